/* trace.c — reading a journal and marking an instance's path on a diagram
 * (trace.h). */
#include "trace.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bpt_time.h"

/* At most this many malformed lines and unknown node ids are listed; a path
 * is looked for from at most CANDIDATES earlier nodes, LOOKBACK entries back
 * at most (a long journal of a loop stays linear). */
enum { MAX_REPORTED = 50, FIELDS = 5, CANDIDATES = 8, LOOKBACK = 64 };

/* ---- reading -------------------------------------------------------------------- */

static bool digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  return true;
}

static unsigned number(const char *s, size_t n) {
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) v = v * 10 + (unsigned)(s[i] - '0');
  return v;
}

/* YYYY-MM-DDTHH:MM, optionally :SS (the calendar is the bundle's, bpt_time.h). */
static bool valid_time(const char *s, size_t n) {
  int64_t minutes;
  if (n != 16 && n != 19) return false;
  if (s[10] != 'T' || !bpt_parse_datetime(s, 16, &minutes)) return false;
  return n == 16 || (s[16] == ':' && digits(s + 17, 2) && number(s + 17, 2) <= 59);
}

static bool valid_process(const char *s, size_t n) {
  if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return false;
  for (size_t i = 1; i < n; i++)
    if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) return false;
  return true;
}

static bool valid_node(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] <= ' ') return false;
  return true;
}

typedef struct Reader {
  Journal *j;
  FILE *err;
  uint32_t errors;
} Reader;

static bool line_error(Reader *r, uint32_t line, const char *what) {
  if (++r->errors <= MAX_REPORTED) fprintf(r->err, "%s:%u: error: %s\n", r->j->path, line, what);
  return false;
}

/* One line, without its end: an entry, a comment or blank. */
static bool parse_line(Reader *r, uint32_t line, const char *s, size_t n) {
  if (n && s[n - 1] == '\r') n--;
  if (n == 0 || (s[0] == '#' && (n == 1 || s[1] == ' ' || s[1] == '\t'))) return true;
  if (memchr(s, '\0', n)) return line_error(r, line, "a NUL byte in the line");
  const char *field[FIELDS];
  size_t len[FIELDS];
  size_t at = 0;
  int k = 0;
  for (; k < FIELDS - 1; k++) {
    const char *tab = memchr(s + at, '\t', n - at);
    if (!tab) break;
    field[k] = s + at;
    len[k] = (size_t)(tab - (s + at));
    at = (size_t)(tab - s) + 1;
  }
  if (k < FIELDS - 1) {
    char msg[200];
    snprintf(msg, sizeof msg,
             "expected 5 fields separated by tabs (TIME, #INSTANCE, PROCESS, NODE_ID, TEXT), "
             "found %d",
             k + 1);
    return line_error(r, line, msg);
  }
  field[k] = s + at; /* TEXT: the rest of the line, tabs and all */
  len[k] = n - at;
  if (!valid_time(field[0], len[0]))
    return line_error(r, line, "the time is not YYYY-MM-DDTHH:MM (e.g. 2026-03-01T09:00)");
  if (len[1] < 2 || len[1] > 19 || field[1][0] != '#' || !digits(field[1] + 1, len[1] - 1))
    return line_error(r, line, "the instance is not `#` and a number (e.g. #1)");
  if (!valid_process(field[2], len[2]))
    return line_error(r, line, "the process is not a process name");
  if (!valid_node(field[3], len[3]))
    return line_error(r, line, "the node id is empty or has spaces (`-` for none)");
  Journal *j = r->j;
  if (j->n == j->cap) {
    uint32_t cap = j->cap ? j->cap * 2 : 64;
    TraceEntry *v = arena_alloc(&j->arena, cap * sizeof *v);
    if (j->n) memcpy(v, j->entries, j->n * sizeof *v);
    j->entries = v;
    j->cap = cap;
  }
  TraceEntry *e = &j->entries[j->n++];
  e->line = line;
  e->time = arena_strndup(&j->arena, field[0], len[0]);
  e->instance = strtoull(arena_strndup(&j->arena, field[1] + 1, len[1] - 1), NULL, 10);
  e->process = arena_strndup(&j->arena, field[2], len[2]);
  bool none = len[3] == 1 && field[3][0] == '-';
  e->node = none ? NULL : arena_strndup(&j->arena, field[3], len[3]);
  e->text = arena_strndup(&j->arena, field[4], len[4]);
  return true;
}

Journal *trace_parse(const char *path, const char *text, size_t len, FILE *err) {
  Journal *j = xcalloc(1, sizeof *j);
  arena_init(&j->arena);
  j->path = arena_strdup(&j->arena, path);
  Reader r = {j, err, 0};
  uint32_t line = 1;
  for (size_t at = 0; at < len; line++) {
    const char *nl = memchr(text + at, '\n', len - at);
    size_t end = nl ? (size_t)(nl - text) : len;
    parse_line(&r, line, text + at, end - at);
    at = end + 1;
  }
  if (r.errors > MAX_REPORTED)
    fprintf(err, "%s: %u malformed lines, the first %d shown\n", path, r.errors, MAX_REPORTED);
  if (r.errors) {
    trace_free(j);
    return NULL;
  }
  return j;
}

void trace_free(Journal *j) {
  if (!j) return;
  arena_free(&j->arena);
  free(j);
}

/* ---- the overlay -------------------------------------------------------------------- */

/* The instance to draw and its process: the first entry of a drawn process,
 * or of the instance asked for. Returns the entry, or NULL. */
static const TraceEntry *first_entry(const Journal *j, const Diagram *d, int32_t only,
                                     bool has_instance, uint64_t instance) {
  for (uint32_t i = 0; i < j->n; i++) {
    const TraceEntry *e = &j->entries[i];
    if (has_instance && e->instance != instance) continue;
    int32_t p = dg_find_proc(d, e->process);
    if (p >= 0 && (only < 0 || p == only)) return e;
  }
  return NULL;
}

typedef struct Walk {
  DgProc *p;
  uint8_t *named;     /* by node: named in the journal (or the start) */
  uint32_t *queue, *via; /* BFS: via[n] is the edge it was reached by */
  uint8_t *seen;
} Walk;

/* Marks a shortest path from a to b (b may be a: a cycle) whose inner nodes
 * the journal never names; false when there is none. */
static bool mark_path(Walk *w, uint32_t a, uint32_t b) {
  DgProc *p = w->p;
  memset(w->seen, 0, p->nnodes);
  uint32_t head = 0, tail = 0;
  w->queue[tail++] = a;
  bool found = false;
  while (head < tail && !found) {
    uint32_t n = w->queue[head++];
    for (uint32_t j = p->out_first[n]; j < p->out_first[n + 1]; j++) {
      uint32_t ei = p->out[j], to = p->edges[ei].to;
      if (w->seen[to]) continue;
      if (to == b) {
        w->via[to] = ei;
        found = true;
        break;
      }
      if (w->named[to]) continue;
      w->seen[to] = 1;
      w->via[to] = ei;
      w->queue[tail++] = to;
    }
  }
  if (!found) return false;
  for (uint32_t n = b;;) { /* back from b along via[] to a */
    DgEdge *e = &p->edges[w->via[n]];
    e->mark = DG_VISITED;
    n = e->from;
    if (n == a) break;
    if (p->nodes[n].mark == DG_UNMARKED) p->nodes[n].mark = DG_PASSED;
  }
  return true;
}

/* The visited nodes, in journal order after the start, a repeat of the
 * previous one dropped; each is marked DG_VISITED. */
static uint32_t visited_sequence(const Journal *j, DgProc *p, const TraceEntry *first,
                                 uint32_t *seq, uint32_t *used, FILE *err) {
  uint32_t n = 0;
  if (p->start < p->nnodes) seq[n++] = p->start;
  const char *unknown[MAX_REPORTED];
  uint32_t nunknown = 0, more = 0;
  for (uint32_t i = (uint32_t)(first - j->entries); i < j->n; i++) {
    const TraceEntry *e = &j->entries[i];
    if (e->instance != first->instance || strcmp(e->process, p->name) != 0) continue;
    ++*used;
    if (!e->node) continue;
    int32_t k = dg_find_node(p, e->node);
    if (k < 0) {
      bool told = false;
      for (uint32_t u = 0; u < nunknown && !told; u++) told = strcmp(unknown[u], e->node) == 0;
      if (told) continue;
      if (nunknown == MAX_REPORTED) {
        more++;
        continue;
      }
      fprintf(err, "%s:%u: warning: process `%s` has no node `%s`\n", j->path, e->line, p->name,
              e->node);
      unknown[nunknown++] = e->node;
      continue;
    }
    p->nodes[k].mark = DG_VISITED;
    if (n == 0 || seq[n - 1] != (uint32_t)k) seq[n++] = (uint32_t)k;
  }
  if (more)
    fprintf(err, "%s: warning: %u more entries name nodes process `%s` does not have\n", j->path,
            more, p->name);
  return n;
}

uint32_t trace_overlay(const Journal *j, Diagram *d, int32_t only, bool has_instance,
                       uint64_t instance, FILE *err) {
  const TraceEntry *first = first_entry(j, d, only, has_instance, instance);
  if (!first) {
    if (has_instance)
      fprintf(err, "%s: warning: no entries of instance #%llu for the drawn process%s\n",
              j->path, (unsigned long long)instance, only < 0 ? "es" : "");
    else
      fprintf(err, "%s: warning: no entries for the drawn process%s\n", j->path,
              only < 0 ? "es" : "");
    return 0;
  }
  DgProc *p = &d->procs[dg_find_proc(d, first->process)];
  uint32_t *seq = xmalloc((j->n + 2) * sizeof *seq);
  uint32_t used = 0;
  uint32_t n = visited_sequence(j, p, first, seq, &used, err);
  Walk w = {p, xcalloc(p->nnodes + 1, 1), xmalloc((p->nnodes + 1) * sizeof(uint32_t)),
            xmalloc((p->nnodes + 1) * sizeof(uint32_t)), xcalloc(p->nnodes + 1, 1)};
  for (uint32_t i = 0; i < n; i++) w.named[seq[i]] = 1;
  if (p->start < p->nnodes && !p->nodes[p->start].mark) p->nodes[p->start].mark = DG_PASSED;
  for (uint32_t i = 1; i < n; i++) {
    /* from the previous node, else from the latest earlier one with a path */
    uint32_t tried = 0;
    uint32_t oldest = i > LOOKBACK ? i - LOOKBACK : 0;
    for (uint32_t k = i; k-- > oldest && tried < CANDIDATES;) {
      bool again = false;
      for (uint32_t m = k + 1; m < i && !again; m++) again = seq[m] == seq[k];
      if (again) continue; /* a later visit of the same node was tried already */
      tried++;
      if (mark_path(&w, seq[k], seq[i])) break;
    }
  }
  free(w.named);
  free(w.queue);
  free(w.via);
  free(w.seen);
  free(seq);
  return used;
}
