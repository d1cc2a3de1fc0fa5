/* bpmn_sweep.c — reads every file under the given folders (or the given
 * files) with the BPMN reader and prints one line per file:
 *
 *   PATH: OK PROCESSES ELEMENTS
 *   PATH: REFUSED            followed by the reader's messages
 *
 * then `files N, read N, refused N, BYTES bytes in S s, X MB/s` (only the time
 * inside bpmn_read counts). -r N reads each file N times for a steadier speed;
 * -v adds what the files hold: event definitions, condition languages, vendor
 * names, ignored elements (the later mapping's to-do list). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bpmn.h"

typedef struct Names {
  char **name;
  unsigned *count;
  size_t n, cap;
} Names;

static void names_add(Names *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->name[i], name)) {
      s->count[i]++;
      return;
    }
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->name = xrealloc(s->name, s->cap * sizeof *s->name);
    s->count = xrealloc(s->count, s->cap * sizeof *s->count);
  }
  s->name[s->n] = xstrdup(name);
  s->count[s->n++] = 1;
}


static void names_print(const char *title, Names *s) {
  printf("%s:", title);
  for (size_t i = 0; i < s->n; i++) printf(" %s(%u)", s->name[i], s->count[i]);
  printf("\n");
  for (size_t i = 0; i < s->n; i++) free(s->name[i]);
  free(s->name);
  free(s->count);
}

typedef struct Stats {
  Names defs, langs, vendors, ignored, kinds;
} Stats;

static void survey_elements(Stats *st, const PtrVec *elements) {
  for (uint32_t i = 0; i < elements->n; i++) {
    const BpmnElement *e = elements->items[i];
    names_add(&st->kinds, bpmn_kind_name(e->kind));
    for (uint32_t k = 0; k < e->event_defs.n; k++) {
      const BpmnEventDef *d = e->event_defs.items[k];
      char buf[128];
      snprintf(buf, sizeof buf, "%s/%s", bpmn_kind_name(e->kind), bpmn_event_def_name(d->kind));
      names_add(&st->defs, buf);
    }
    if (e->event_defs.n == 0 && bpmn_kind_family(e->kind) == BPMN_FAM_EVENT) {
      char buf[128];
      snprintf(buf, sizeof buf, "%s/none", bpmn_kind_name(e->kind));
      names_add(&st->defs, buf);
    }
    survey_elements(st, &e->children);
    for (uint32_t k = 0; k < e->flows.n; k++) {
      const BpmnFlow *f = e->flows.items[k];
      if (f->condition) names_add(&st->langs, f->language ? f->language : "(none)");
    }
  }
}

static void survey(Stats *st, const BpmnModel *m) {
  for (uint32_t i = 0; i < m->processes.n; i++) {
    const BpmnProcess *p = m->processes.items[i];
    survey_elements(st, &p->elements);
    for (uint32_t k = 0; k < p->flows.n; k++) {
      const BpmnFlow *f = p->flows.items[k];
      if (f->condition) {
        char buf[200];
        snprintf(buf, sizeof buf, "%s[%c]", f->language ? f->language : "(none)",
                 f->condition[0] == '$' ? '$' : f->condition[0] == '=' ? '=' : '?');
        names_add(&st->langs, buf);
      }
    }
  }
  for (uint32_t i = 0; i < m->vendor_names.n; i++) names_add(&st->vendors, m->vendor_names.items[i]);
  for (uint32_t i = 0; i < m->ignored.n; i++) {
    const BpmnIgnored *g = m->ignored.items[i];
    names_add(&st->ignored, g->element);
  }
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(const char *path, char ***files, size_t *n, size_t *cap) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    fprintf(stderr, "bpmn_sweep: %s: %s\n", path, strerror(errno));
    exit(2);
  }
  if (!S_ISDIR(sb.st_mode)) {
    if (*n == *cap) *files = xrealloc(*files, (*cap = *cap ? *cap * 2 : 64) * sizeof **files);
    (*files)[(*n)++] = xstrdup(path);
    return;
  }
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    if (!strcmp(de->d_name, "MANIFEST.tsv") || strstr(de->d_name, ".md")) continue;
    char *sub = xmalloc(strlen(path) + strlen(de->d_name) + 2);
    sprintf(sub, "%s/%s", path, de->d_name);
    collect(sub, files, n, cap);
    free(sub);
  }
  closedir(d);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int repeat = 1;
  bool verbose = false;
  char **files = NULL;
  size_t n = 0, cap = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-r") && i + 1 < argc) repeat = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-v")) verbose = true;
    else collect(argv[i], &files, &n, &cap);
  }
  if (n == 0 || repeat < 1) {
    fprintf(stderr, "usage: bpmn_sweep [-v] [-r N] DIR|FILE...\n");
    return 2;
  }
  qsort(files, n, sizeof *files, cmp_str);
  Stats st = {0};
  size_t ok = 0, refused = 0, bytes = 0;
  double secs = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len;
    char *data = read_file(files[i], &len);
    if (!data) {
      printf("%s: REFUSED\n%s: error: %s\n", files[i], files[i], strerror(errno));
      refused++;
      continue;
    }
    BpmnModel *m = NULL;
    for (int k = 0; k < repeat; k++) {
      if (m) bpmn_free(m);
      double t0 = now();
      m = bpmn_read(files[i], data, len);
      secs += now() - t0;
      bytes += len;
    }
    if (m->errors_n == 0) {
      uint32_t elements = 0;
      for (uint32_t p = 0; p < m->processes.n; p++)
        elements += ((BpmnProcess *)m->processes.items[p])->n_elements;
      printf("%s: OK %u %u\n", files[i], m->processes.n, elements);
      ok++;
    } else {
      printf("%s: REFUSED\n", files[i]);
      refused++;
    }
    fflush(stdout);
    bpmn_print_diags(m, stdout);
    if (verbose) survey(&st, m);
    bpmn_free(m);
    free(data);
    free(files[i]);
  }
  free(files);
  if (verbose) {
    names_print("kinds", &st.kinds);
    names_print("events", &st.defs);
    names_print("condition languages", &st.langs);
    names_print("vendor names", &st.vendors);
    names_print("ignored elements", &st.ignored);
  }
  printf("files %zu, read %zu, refused %zu, %zu bytes in %.4f s, %.1f MB/s\n", n, ok, refused,
         bytes, secs, secs > 0 ? bytes / secs / 1e6 : 0.0);
  return 0;
}
