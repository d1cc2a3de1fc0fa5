/* drive.c — runs instances of a bundle with events chosen by bytes (drive.h). */
#include "drive.h"

#include "bpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most the runtime may hold at once: beyond it allocations fail, which the runtime
 * must report as BP_ENOMEM (libFuzzer's -rss_limit_mb is the outer bound). */
enum { DRIVE_HEAP_LIMIT = 64 << 20 };

static const char *const people[] = {"u0", "u1", "u2", "u3"};

static void *heap(void *ud, void *ptr, size_t old_size, size_t new_size) {
  (void)ud, (void)old_size;
  if (new_size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, new_size);
}

static void *bounded_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  Drive *d = ud;
  if (new_size == 0) {
    free(ptr);
    d->allocated -= old_size;
    return NULL;
  }
  if (new_size > old_size && d->allocated + (new_size - old_size) > d->limit) return NULL;
  void *p = realloc(ptr, new_size);
  if (p) d->allocated += new_size - old_size;
  return p;
}

/* Touches what a callback is given, so that a dangling pointer shows under ASan. */
static size_t touch(const char *s) { return s ? strlen(s) : 0; }

static void on_item(void *ud, BpInstance *inst, const BpItem *item) {
  (void)ud, (void)inst;
  touch(item->user), touch(item->title), touch(item->node);
}
static void on_notify(void *ud, BpInstance *inst, const char *user, const char *message) {
  (void)ud, (void)inst;
  touch(user), touch(message);
}
static void on_call(void *ud, BpInstance *inst, const BpCall *call) {
  (void)ud, (void)inst;
  touch(call->action);
  for (size_t i = 0; i < call->nargs; i++)
    if (call->args[i].s) (void)memchr(call->args[i].s, 0, call->args[i].len + 1);
}
static void on_journal(void *ud, BpInstance *inst, const BpJournal *line) {
  (void)ud, (void)inst;
  touch(line->process), touch(line->node), touch(line->text);
}
/* Not freed here even when there is no room: the runtime still delivers what the new
 * instance did (bp.h: free it after the call that started it returns). */
static void on_started(void *ud, BpInstance *inst) {
  Drive *d = ud;
  if (d->ninsts < DRIVE_MAX_INSTS) {
    d->insts[d->ninsts++] = inst;
    return;
  }
  BpInstance **more = realloc(d->later, (d->nlater + 1) * sizeof *more);
  if (!more) abort();
  d->later = more;
  d->later[d->nlater++] = inst;
}
static int on_role(void *ud, const char *role, const char *const **users, size_t *n) {
  (void)ud;
  *users = people;
  *n = 1 + touch(role) % 4;
  return 0;
}

bool drive_known(const char *message) {
  const char *known = getenv("BPFUZZ_KNOWN");
  return known && *known && strstr(message, known) != NULL;
}

void drive_check_status(BpStatus st, const BpError *err, const char *what) {
  if (st == BP_OK || st == BP_ENOMEM || st == BP_EINVAL || st == BP_EREFUSED || st == BP_EOVER) return;
  fprintf(stderr, "drive: %s returned status %d on a verified bundle: %s\n", what, (int)st,
          err ? err->message : "");
  abort();
}

bool drive_init(Drive *d) {
  memset(d, 0, sizeof *d);
  d->limit = DRIVE_HEAP_LIMIT;
  BpConfig cfg = {.size = sizeof(BpConfig), .alloc = bounded_alloc, .alloc_ud = d, .ud = d, .opened = on_item, .withdrawn = on_item,
                  .notify = on_notify, .call = on_call, .journal = on_journal, .started = on_started,
                  .role = on_role, .step_budget = 100000};
  BpError err;
  return bp_runtime_new(&cfg, &d->rt, &err) == BP_OK;
}

bool drive_load(Drive *d, const uint8_t *bytes, size_t len) {
  BpError err;
  if (bp_bundle_load(d->rt, bytes, len, &d->bundle, &err) != BP_OK) return false;
  /* The runtime took it, so the format's reader must too: its tables name the
   * parameters and fields that bp.h does not list. */
  BptError berr;
  if (!bpt_read(bytes, len, heap, NULL, &d->meta, &berr)) {
    fprintf(stderr, "drive: the runtime loaded a bundle that bpt_read refuses: %s\n", berr.message);
    abort();
  }
  d->have_meta = true;
  return true;
}

void drive_adopt(Drive *d, BpInstance *inst) {
  if (d->ninsts < DRIVE_MAX_INSTS) d->insts[d->ninsts++] = inst;
  else bp_instance_free(inst);
}

void drive_settle(Drive *d) {
  for (size_t i = 0; i < d->nlater; i++) bp_instance_free(d->later[i]);
  free(d->later);
  d->later = NULL;
  d->nlater = 0;
}

static uint8_t next(Drive *d) { return d->p < d->end ? *d->p++ : 0; }

/* ---- values ------------------------------------------------------------------------------------ */

enum { MAX_ITEMS = 4 };
typedef struct Made {
  BpValue v;
  BpValue items[MAX_ITEMS];
} Made;

static const char *const strings[] = {"", "x", "Contract 7", "a,b", "\xc3\xa9t\xc3\xa9"};

/* A value of a type, made from the next input bytes. false: no such value can be made
 * by a host (step results). */
static bool make_scalar(Drive *d, uint8_t type, BpValue *out) {
  uint8_t b = next(d);
  switch (type) {
  case BP_T_STRING: *out = bp_string(strings[b % 5]); return true;
  case BP_T_INT: *out = bp_int((int8_t)b); return true;
  case BP_T_DECIMAL: *out = bp_decimal((int8_t)b * 25, b % 3); return true;
  case BP_T_BOOL: *out = bp_bool(b & 1); return true;
  case BP_T_DATE: *out = bp_date(20000 + (int8_t)b); return true;
  case BP_T_DATETIME: *out = bp_datetime((int64_t)(20000 + (int8_t)b) * 1440 + b * 7); return true;
  case BP_T_DURATION: *out = bp_duration((int64_t)b * 3600); return true;
  case BP_T_USER: *out = bp_user(people[b % 4]); return true;
  default: return false;
  }
}

static bool make_value(Drive *d, uint8_t type, Made *m) {
  if (type & BP_T_LIST) {
    size_t n = next(d) % (MAX_ITEMS + 1);
    uint8_t elem = type == BP_T_USERS ? BP_T_USER : (uint8_t)(type & ~BP_T_LIST);
    for (size_t i = 0; i < n; i++)
      if (!make_scalar(d, elem, &m->items[i])) return false;
    m->v = bp_list(elem, m->items, n);
    return true;
  }
  return make_scalar(d, type, &m->v);
}

/* ---- starting ------------------------------------------------------------------------------------ */

enum { MAX_ARGS = 32 };

static const char *meta_string(const Drive *d, uint32_t i) {
  return i < d->meta.nstrings ? d->meta.strings[i].data : "";
}

static const BptProcess *meta_process(const Drive *d, const char *name) {
  for (uint32_t i = 0; i < d->meta.nprocesses; i++)
    if (strcmp(meta_string(d, d->meta.processes[i].name), name) == 0) return &d->meta.processes[i];
  return NULL;
}

static const BptDoctype *meta_doctype(const Drive *d, const BptProcess *p) {
  return p && p->doctype < d->meta.ndoctypes ? &d->meta.doctypes[p->doctype] : NULL;
}

/* Starts a process with values for its parameters and its document's fields (the
 * names from the bundle's tables; a byte leaves some out, to reach the refusals). */
void drive_start(Drive *d, uint8_t which) {
  size_t np = bp_bundle_process_count(d->bundle);
  if (np == 0) return;
  const char *proc = bp_bundle_process_name(d->bundle, which % np);
  const BptProcess *p = meta_process(d, proc);
  if (!p) abort(); /* the runtime and bpt_read disagree on the bundle */
  const BptDoctype *dt = meta_doctype(d, p);
  BpArg args[MAX_ARGS];
  Made made[MAX_ARGS];
  size_t n = 0;
  uint8_t skip = next(d);
  size_t nnames = p->nparams + (dt ? dt->nfields : 0);
  for (size_t i = 0; i < nnames && n < MAX_ARGS; i++) {
    const char *name;
    uint8_t type;
    if (i < p->nparams) {
      const BptSlot *s = &p->slots[p->params[i].slot];
      name = meta_string(d, s->name), type = s->type;
    } else {
      const BptField *f = &dt->fields[i - p->nparams];
      name = meta_string(d, f->name), type = f->type;
    }
    if (skip & 0x80 && skip % (i + 2) == 0) continue;
    if (!make_value(d, type, &made[n])) continue;
    args[n] = (BpArg){.name = name, .value = made[n].v};
    n++;
  }
  BpInstance *inst = NULL;
  BpError err;
  BpStatus st = bp_start(d->bundle, proc, NULL, args, n, NULL, &inst, &err);
  drive_check_status(st, &err, "bp_start");
  if (st == BP_OK) {
    drive_adopt(d, inst);
    d->current = d->ninsts ? d->ninsts - 1 : 0;
  }
}

/* ---- save and restore ---------------------------------------------------------------------------- */

/* The saved bytes a restored onto inst's document (the host's document: its saved fields
 * are read and dropped, the slots and records go through the stage): they restore there
 * too, and what that instance saves restores on its own. (Not the same bytes: a text the
 * state shares between a field and a slot is two texts once the field is dropped.) */
static void onto_doc(Drive *d, BpInstance *inst, const uint8_t *a, size_t alen) {
  BpInstance *onto = NULL, *again = NULL;
  uint8_t *c = NULL;
  size_t clen = 0;
  BpError err;
  BpStatus st = bp_instance_restore(d->bundle, bp_instance_doc(inst), a, alen, &onto, &err);
  if (st == BP_ENOMEM) return;
  if (st != BP_OK) {
    if (drive_known(err.message)) return;
    fprintf(stderr, "drive: a state that restores does not restore onto its document: %s\n", err.message);
    abort();
  }
  st = bp_instance_save(onto, &c, &clen, &err);
  drive_check_status(st, &err, "bp_instance_save");
  bp_instance_free(onto);
  if (st != BP_OK) return;
  st = bp_instance_restore(d->bundle, NULL, c, clen, &again, &err);
  if (st != BP_OK && st != BP_ENOMEM && !drive_known(err.message)) {
    fprintf(stderr, "drive: a state restored onto its document saves bytes that do not restore: %s\n", err.message);
    abort();
  }
  if (again) bp_instance_free(again);
  bp_free(d->rt, c, clen);
}

void drive_roundtrip(Drive *d, size_t i) {
  if (i >= d->ninsts) return;
  uint8_t *a = NULL, *b = NULL;
  size_t alen = 0, blen = 0;
  BpError err;
  BpStatus st = bp_instance_save(d->insts[i], &a, &alen, &err);
  drive_check_status(st, &err, "bp_instance_save");
  if (st != BP_OK) return;
  if (d->saved) d->saved(d->saved_ud, d->bundle_index, a, alen);
  BpInstance *fresh = NULL;
  st = bp_instance_restore(d->bundle, NULL, a, alen, &fresh, &err);
  if (st == BP_OK) {
    st = bp_instance_save(fresh, &b, &blen, &err);
    if (st == BP_OK && (alen != blen || memcmp(a, b, alen) != 0)) {
      fprintf(stderr, "drive: save -> restore -> save gives other bytes (%zu, then %zu)\n", alen, blen);
      abort();
    }
    if (b) bp_free(d->rt, b, blen);
    onto_doc(d, fresh, a, alen);
    bp_instance_free(d->insts[i]);
    d->insts[i] = fresh;
  } else if (st != BP_ENOMEM && !drive_known(err.message)) {
    fprintf(stderr, "drive: a state the runtime saved does not restore: %s\n", err.message);
    abort();
  }
  bp_free(d->rt, a, alen);
}

/* ---- events ------------------------------------------------------------------------------------ */

static BpInstance *current(Drive *d) { return d->ninsts ? d->insts[d->current % d->ninsts] : NULL; }

/* An open item of the current instance, by the next byte; false when there is none. */
static bool pick_item(Drive *d, BpInstance *inst, BpItem *item) {
  size_t n = bp_instance_item_count(inst);
  uint8_t b = next(d);
  if (n == 0) return false;
  if (!bp_instance_item(inst, b % n, item)) return false;
  /* Now and then someone who is not the item's person acts on it. */
  if ((b & 0xc0) == 0xc0) item->user = people[b % 4];
  return true;
}

static void event_decide(Drive *d, BpInstance *inst, bool approve) {
  BpItem item;
  if (!pick_item(d, inst, &item)) return;
  BpError err;
  uint8_t c = next(d);
  drive_check_status(bp_decide(inst, item.id, item.user, approve, c & 1 ? strings[c % 5] : NULL, &err), &err,
                     "bp_decide");
}

static void event_complete(Drive *d, BpInstance *inst) {
  BpItem item;
  if (!pick_item(d, inst, &item)) return;
  BpArg answers[8];
  Made made[8];
  size_t n = 0;
  for (size_t i = 0; i < item.nfields && n < 8; i++) {
    if (!make_value(d, item.fields[i].type, &made[n])) continue;
    answers[n] = (BpArg){.name = item.fields[i].name, .value = made[n].v};
    n++;
  }
  BpError err;
  drive_check_status(bp_complete(inst, item.id, item.user, NULL, answers, n, &err), &err, "bp_complete");
}

static void event_command(Drive *d, BpInstance *inst) {
  const char *cmds[8];
  uint8_t b = next(d);
  const char *user = people[b % 4];
  size_t n = bp_instance_commands(inst, user, cmds, NULL, 8);
  if (n > 8) n = 8;
  BpError err;
  const char *name = n ? cmds[(b >> 2) % n] : "submit";
  drive_check_status(bp_command(inst, user, name, &err), &err, "bp_command");
}

static void event_call(Drive *d, BpInstance *inst, bool fail) {
  size_t n = bp_instance_call_count(inst);
  uint8_t b = next(d);
  if (n == 0) return;
  BpCall call;
  if (!bp_instance_call(inst, b % n, &call)) return;
  BpError err;
  if (fail) {
    drive_check_status(bp_fail(inst, call.id, "it broke", &err), &err, "bp_fail");
    return;
  }
  Made m;
  bool have = call.result_type != BP_T_VOID && make_value(d, call.result_type, &m);
  drive_check_status(bp_answer(inst, call.id, have ? &m.v : NULL, &err), &err, "bp_answer");
}

static void event_advance(Drive *d, BpInstance *inst, int64_t unit) {
  d->now += (int64_t)next(d) * unit;
  BpError err;
  drive_check_status(bp_advance(inst, d->now, &err), &err, "bp_advance");
}

static void event_doc(Drive *d, BpInstance *inst) {
  BpDoc *doc = bp_instance_doc(inst);
  const BptDoctype *dt = meta_doctype(d, meta_process(d, bp_instance_process(inst)));
  uint8_t b = next(d);
  if (!doc || !dt || dt->nfields == 0) return;
  const char *name = meta_string(d, dt->fields[b % dt->nfields].name);
  BpValue old;
  if (bp_doc_get(doc, name, &old) != BP_OK) return;
  Made m;
  if (!make_value(d, old.type, &m)) return;
  BpArg arg = {.name = name, .value = m.v};
  BpError err;
  drive_check_status(bp_doc_set(doc, &arg, 1, &err), &err, "bp_doc_set");
}

static void event_read(Drive *d, BpInstance *inst) {
  const BptProcess *p = meta_process(d, bp_instance_process(inst));
  uint8_t b = next(d);
  const char *name = p && p->nslots ? meta_string(d, p->slots[b % p->nslots].name) : "title";
  BpValue v;
  char buf[64];
  if (bp_instance_get(inst, name, &v) == BP_OK) bp_value_format(&v, buf, sizeof buf);
  int64_t at;
  (void)bp_instance_next_timer(inst, &at);
  touch(bp_instance_message(inst));
  touch(bp_instance_state(inst));
  BpRunStatus rs = bp_instance_status(inst);
  if (rs != BP_WAITING && rs != BP_COMPLETED && rs != BP_TERMINATED && rs != BP_FAILED) abort();
}

void drive_events(Drive *d) {
  for (int i = 0; i < DRIVE_MAX_EVENTS && d->p < d->end; i++) {
    drive_settle(d);
    uint8_t op = next(d);
    BpInstance *inst = current(d);
    if (op % 16 == 15 || !inst) {
      drive_start(d, next(d));
      continue;
    }
    BpError err;
    switch (op % 16) {
    case 0: case 1: event_decide(d, inst, true); break;
    case 2: event_decide(d, inst, false); break;
    case 3: event_complete(d, inst); break;
    case 4: event_advance(d, inst, 60); break;
    case 5: event_advance(d, inst, 3600); break;
    case 6: event_advance(d, inst, 86400 * 7); break;
    case 7: event_command(d, inst); break;
    case 8: event_call(d, inst, false); break;
    case 9: event_call(d, inst, true); break;
    case 10: event_doc(d, inst); break;
    case 11: d->current = next(d); break;
    case 12: drive_roundtrip(d, d->current % d->ninsts); break;
    case 13: event_read(d, inst); break;
    case 14:
      if (op == 14) drive_check_status(bp_terminate(inst, "stop", &err), &err, "bp_terminate");
      else event_complete(d, inst);
      break;
    }
  }
  for (size_t i = 0; i < d->ninsts; i++) drive_roundtrip(d, i);
}

void drive_free(Drive *d) {
  drive_settle(d);
  for (size_t i = 0; i < d->ninsts; i++) bp_instance_free(d->insts[i]);
  d->ninsts = 0;
  bp_bundle_free(d->bundle);
  d->bundle = NULL;
  if (d->have_meta) bpt_free(&d->meta, heap, NULL);
  d->have_meta = false;
  bp_runtime_free(d->rt);
  d->rt = NULL;
  if (d->allocated != 0) {
    fprintf(stderr, "drive: %zu bytes still held after everything was freed\n", d->allocated);
    abort();
  }
}
