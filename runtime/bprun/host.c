/* host.c — the host side of bprun, shared by its commands: a counting allocator, the
 * callbacks that record notifications and journals, a virtual clock, role() from the
 * environment, --reload (every instance saved and restored between two commands), and
 * small text and file helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* ---- small helpers --------------------------------------------------------------------- */

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fputs("bprun: out of memory\n", stderr);
    exit(2);
  }
  return q;
}

char *xstrndup(const char *s, size_t n) {
  char *p = xrealloc(NULL, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

void format_time(int64_t seconds, char *buf, size_t size) {
  BpValue v = bp_datetime(seconds >= 0 ? seconds / 60 : -((-seconds + 59) / 60));
  bp_value_format(&v, buf, size);
}

#define PUSH(arr, n, cap, item)                                   \
  do {                                                            \
    if ((n) == (cap)) {                                           \
      (cap) = (cap) ? 2 * (cap) : 8;                              \
      (arr) = xrealloc((arr), (cap) * sizeof *(arr));             \
    }                                                             \
    (arr)[(n)++] = (item);                                        \
  } while (0)

/* ---- the host: allocator and callbacks ---------------------------------------------------- */

#ifdef BPRUN_SWEEP
/* build/faults/bprun (scn.c's sweep): when sweep_fail_at is set, the allocator's
 * sweep_fail_at-th growth from then on fails (a free or a shrink never does, as with the
 * unit tests' heap), and sweep_failed says it happened; sweep_told counts the journal
 * lines that tell of a start that ran out of memory (a process started after its parent's
 * event, which stays applied). bprun's own build has none of it. */
long sweep_allocs, sweep_fail_at, sweep_told;
bool sweep_failed;
#endif

static void *counting_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  Host *h = ud;
  if (new_size == 0) {
    free(ptr);
    h->allocated -= old_size;
    return NULL;
  }
#ifdef BPRUN_SWEEP
  if (sweep_fail_at && new_size > old_size && ++sweep_allocs == sweep_fail_at) {
    sweep_failed = true;
    return NULL;
  }
#endif
  void *p = realloc(ptr, new_size);
  if (p) h->allocated += new_size - old_size;
  return p;
}

Inst *host_new_inst(Host *h) {
  Inst *r;
  if (h->ninsts < h->nspare) { /* a record host_reset kept, past the live ones */
    r = h->insts[h->ninsts++];
  } else {
    r = xrealloc(NULL, sizeof *r);
    PUSH(h->insts, h->ninsts, h->capinsts, r);
    if (h->lean) h->nspare = h->ninsts;
  }
  memset(r, 0, sizeof *r);
  r->number = h->number ? h->number : (int)h->ninsts;
  return r;
}

static void on_notify(void *ud, BpInstance *inst, const char *user, const char *message) {
  (void)ud;
  Inst *r = bp_instance_ud(inst);
  if (!r) return;
  Note n = {xstrdup(user), xstrdup(message)};
  PUSH(r->notes, r->nnotes, r->capnotes, n);
}

static void on_journal(void *ud, BpInstance *inst, const BpJournal *line) {
  Host *h = ud;
  Inst *r = inst ? bp_instance_ud(inst) : (h->current < h->ninsts ? h->insts[h->current] : NULL);
#ifdef BPRUN_SWEEP
  if (line->kind == BP_J_STARTED_OTHER && strstr(line->text, ": out of memory")) sweep_told++;
#endif
  if (r && !h->lean) PUSH(r->journal, r->njournal, r->capjournal, xstrdup(line->text));
  if (!h->journal_out && !h->echo_journal) return;
  char when[32];
  format_time(line->time ? line->time : h->clock, when, sizeof when);
  if (h->journal_out)
    fprintf(h->journal_out, "%s\t#%d\t%s\t%s\t%s\n", when, r ? r->number : 0, line->process,
            *line->node ? line->node : "-", line->text);
  if (h->echo_journal) printf("  %s #%d %s\n", when, r ? r->number : 0, line->text);
}

static void on_started(void *ud, BpInstance *inst) {
  Host *h = ud;
  Inst *r = host_new_inst(h);
  r->inst = inst;
  bp_instance_set_ud(inst, r);
}

static int64_t on_clock(void *ud) { return ((Host *)ud)->clock; }

/* Roles for scenarios: role("x") is empty unless the environment names its users
 * (BPRUN_ROLE_x=ann,bob). */
static int on_role(void *ud, const char *role, const char *const **users, size_t *n) {
  Host *h = ud;
  char var[128];
  snprintf(var, sizeof var, "BPRUN_ROLE_%s", role);
  const char *v = getenv(var);
  *n = 0;
  *users = (const char *const *)h->role_users;
  if (!v) return 0;
  snprintf(h->role_buf, sizeof h->role_buf, "%s", v);
  char *p = h->role_buf;
  while (*p && *n < 64) {
    h->role_users[(*n)++] = p;
    char *comma = strchr(p, ',');
    if (!comma) break;
    *comma = '\0';
    p = comma + 1;
  }
  return 0;
}

void host_init(Host *h) {
  memset(h, 0, sizeof *h);
  h->clock = (int64_t)20454 * 86400; /* 2026-01-01T00:00 */
}

bool host_open(Host *h, const uint8_t *bundle, size_t len, char *why, size_t why_size) {
  BpConfig cfg = {.size = sizeof cfg, .alloc = counting_alloc, .alloc_ud = h, .ud = h, .notify = on_notify,
                  .journal = on_journal, .started = on_started, .clock = on_clock, .role = on_role};
  if (h->alloc) cfg.alloc = h->alloc, cfg.alloc_ud = h->alloc_ud;
  if (h->lean) { /* a mass run reads no notes, and journal lines only for its file */
    cfg.notify = NULL;
    if (!h->journal) cfg.journal = NULL;
  }
  BpError err = {0};
  if (bp_runtime_new(&cfg, &h->rt, &err) != BP_OK || bp_bundle_load(h->rt, bundle, len, &h->bundle, &err) != BP_OK) {
    snprintf(why, why_size, "%s", err.message);
    if (h->rt) bp_runtime_free(h->rt);
    h->rt = NULL;
    return false;
  }
  return true;
}

/* What a record holds, freed; the record stays. */
static void clear_inst(Inst *r) {
  /* (A lean record has neither: bprun mass clears one a row, without the calls.) */
  if (r->notes) {
    for (size_t i = 0; i < r->nnotes; i++) {
      free(r->notes[i].user);
      free(r->notes[i].message);
    }
    free(r->notes);
  }
  if (r->journal) {
    for (size_t i = 0; i < r->njournal; i++) free(r->journal[i]);
    free(r->journal);
  }
  if (r->inst) bp_instance_free(r->inst);
}

void host_free_inst(Inst *r) {
  clear_inst(r);
  free(r);
}

void host_reset(Host *h) {
  for (size_t i = 0; i < h->ninsts; i++) {
    if (h->lean) clear_inst(h->insts[i]);
    else host_free_inst(h->insts[i]);
  }
  h->ninsts = 0;
  h->current = 0;
  h->clock = (int64_t)20454 * 86400;
}

void host_close(Host *h) {
  host_reset(h);
  for (size_t i = 0; i < h->nspare; i++) free(h->insts[i]);
  h->nspare = 0;
  free(h->insts);
  h->insts = NULL;
  h->capinsts = 0;
  if (h->bundle) bp_bundle_free(h->bundle);
  if (h->rt) bp_runtime_free(h->rt);
  h->bundle = NULL;
  h->rt = NULL;
}

Inst *host_current(Host *h) { return h->current < h->ninsts ? h->insts[h->current] : NULL; }

bool host_reload(Host *h, char *why, size_t why_size) {
  size_t n = h->ninsts;
  uint8_t **bytes = xrealloc(NULL, n * sizeof *bytes);
  size_t *lens = xrealloc(NULL, n * sizeof *lens);
  BpDoc **old_docs = xrealloc(NULL, n * sizeof *old_docs);
  BpDoc **new_docs = xrealloc(NULL, n * sizeof *new_docs);
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    bytes[i] = NULL;
    BpError err = {0};
    if (ok && bp_instance_save(h->insts[i]->inst, &bytes[i], &lens[i], &err) != BP_OK) {
      snprintf(why, why_size, "saving instance #%zu: %s", i + 1, err.message);
      ok = false;
    }
    old_docs[i] = bp_instance_doc(h->insts[i]->inst);
  }
  if (ok) {
    /* Keep the documents alive until every instance on them is restored. */
    for (size_t i = 0; i < n; i++) new_docs[i] = NULL;
    for (size_t i = 0; i < n; i++) {
      BpDoc *doc = NULL;
      for (size_t k = 0; k < i && !doc; k++)
        if (old_docs[k] == old_docs[i]) doc = new_docs[k];
      BpInstance *fresh = NULL;
      BpError err = {0};
      if (bp_instance_restore(h->bundle, doc, bytes[i], lens[i], &fresh, &err) != BP_OK) {
        snprintf(why, why_size, "restoring instance #%zu: %s", i + 1, err.message);
        ok = false;
        for (size_t k = i; k < n; k++) new_docs[k] = NULL;
        break;
      }
      new_docs[i] = bp_instance_doc(fresh);
      bp_instance_set_ud(fresh, h->insts[i]);
      bp_instance_free(h->insts[i]->inst);
      h->insts[i]->inst = fresh;
    }
  }
  for (size_t i = 0; i < n; i++) bp_free(h->rt, bytes[i], bytes[i] ? lens[i] : 0);
  free(bytes);
  free(lens);
  free(old_docs);
  free(new_docs);
  return ok;
}

bool host_has_process(Host *h, const char *name) {
  for (size_t i = 0; i < bp_bundle_process_count(h->bundle); i++)
    if (strcmp(bp_bundle_process_name(h->bundle, i), name) == 0) return true;
  return false;
}

/* ---- files ------------------------------------------------------------------------------------ */

bool read_whole_file(const char *path, uint8_t **data, size_t *len, char *why, size_t why_size) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(why, why_size, "cannot open %s: %s", path, strerror(errno));
    return false;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = xrealloc(NULL, cap);
  for (;;) {
    if (n == cap) buf = xrealloc(buf, cap *= 2);
    size_t k = fread(buf + n, 1, cap - n, f);
    n += k;
    if (k == 0) break;
  }
  bool err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    snprintf(why, why_size, "cannot read %s", path);
    return false;
  }
  *data = buf;
  *len = n;
  return true;
}
