/* rt_vm.c — the interpreter: an instance's threads run the bundle's bytecode, open human
 * steps, set timers, call the host; events (decisions, completions, commands, the clock,
 * answers) move them on.
 *
 * Every event is a transaction (Tx): it works on a copy of the instance's state and
 * collects its effects for the host; tx_commit swaps the copy in and delivers them,
 * tx_abort drops both. So an event that runs out of memory, or is refused, changes
 * nothing. A program error (division by zero, an unset date, a crafted bundle's
 * mistyped value) is not a refusal: the instance fails, with the message and the source
 * position, and that is committed.
 *
 * Threads: a process starts with one; FORK ends it and starts one per branch in a new
 * fork activation; JOIN brings them back. A thread runs until it waits (STEP, ACTION,
 * WAIT, WAIT_UNTIL) or ends; the operand stack is empty whenever it waits (the verifier
 * guarantees it), so a resting instance is slots, program counters and the records of
 * what it waits for. Threads that are ready run in the order they became ready. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rt.h"

enum { DEFAULT_BUDGET = 1000000 };

enum { EF_OPENED, EF_WITHDRAWN, EF_NOTIFY, EF_JOURNAL, EF_CALL, EF_START };

typedef struct Effect {
  uint8_t kind;
  uint8_t jkind;     /* EF_JOURNAL: BpJournalKind */
  uint8_t item_kind; /* EF_OPENED, EF_WITHDRAWN */
  uint16_t index;    /* step descriptor, action or process */
  uint32_t id;       /* item or call */
  int64_t time, due;
  const char *node;
  Value a, b;        /* user and title / user and message / text / args / start args */
  BpValue *args;     /* EF_CALL: the arguments as the host reads them */
  size_t nargs;
} Effect;

typedef struct Tx {
  BpInstance *inst;
  BpRuntime *rt;
  BpBundle *b;
  const BptProcess *p;
  const RtProc *rp;
  const uint8_t *code;
  RtState s;
  RtVec effects; /* Effect */
  RtVec runq;    /* uint32_t: ready threads, by id */
  int64_t now;
  uint32_t budget;
  RtErr err;     /* RT_NOMEM: the event is dropped */
  Value stack[BPT_STACK_MAX];
  int sp;
  const char *end_node; /* the graph node of the last END run (where the instance completes) */
  bool *changed;        /* per document field: set to a new value by this event */
  /* A fragment (`when`, `by`) under way: its result and error. */
  bool in_fragment;
  Value frag_result;
  RtErr frag_err;
} Tx;

static bool nomem(Tx *tx) {
  rt_nomem(&tx->err);
  return false;
}

static bool alive(const Tx *tx) { return tx->err.code == RT_OK && tx->s.status == ST_WAITING; }

/* ---- lookups -------------------------------------------------------------------------------- */

static int step_index(const RtState *s, uint32_t id) {
  for (uint32_t i = 0; i < s->steps.n; i++)
    if (RT_AT(s->steps, RtStep, i)->id == id) return (int)i;
  return -1;
}

RtThread *rt_state_thread(RtState *s, uint32_t id) {
  for (uint32_t i = 0; i < s->threads.n; i++)
    if (RT_AT(s->threads, RtThread, i)->id == id) return RT_AT(s->threads, RtThread, i);
  return NULL;
}

RtStep *rt_state_step(RtState *s, uint32_t id) {
  int i = step_index(s, id);
  return i < 0 ? NULL : RT_AT(s->steps, RtStep, i);
}

static RtThread *thread_by_id(Tx *tx, uint32_t id) { return rt_state_thread(&tx->s, id); }


static RtAct *act_by_id(Tx *tx, uint32_t id) {
  for (uint32_t i = 0; i < tx->s.acts.n; i++)
    if (RT_AT(tx->s.acts, RtAct, i)->id == id) return RT_AT(tx->s.acts, RtAct, i);
  return NULL;
}

static const char *node_id(const BpBundle *b, uint32_t node) {
  return node < b->b.nnodes ? rt_string(b, b->b.nodes[node].id) : "";
}

static const char *step_node(const Tx *tx, uint16_t t) { return node_id(tx->b, tx->p->steps[t].node); }

/* The graph node of the statement at pc: the node placed where the line table puts pc. */
static const char *pc_node(const Tx *tx, uint32_t pc) {
  int64_t at = rt_line_at(tx->b, tx->p, pc);
  return at < 0 ? "" : node_id(tx->b, tx->rp->line_node[at]);
}

static void position(const Tx *tx, uint32_t pc, char *buf, size_t size) {
  int64_t at = rt_line_at(tx->b, tx->p, pc);
  const char *file = rt_string(tx->b, tx->b->b.source_file);
  if (at >= 0) {
    const BptLine *l = &tx->b->b.lines[tx->p->first_line + at];
    snprintf(buf, size, "%s:%u:%u", *file ? file : "?", l->line, l->col);
  } else {
    snprintf(buf, size, "process %s, pc %u", rt_string(tx->b, tx->p->name), pc);
  }
}

/* ---- effects ------------------------------------------------------------------------------- */

static Effect *effect(Tx *tx, uint8_t kind) {
  Effect *e = rt_vec_push(tx->rt, &tx->effects, sizeof *e);
  if (!e) {
    nomem(tx);
    return NULL;
  }
  e->kind = kind;
  e->time = tx->now;
  return e;
}

static void journal_text(Tx *tx, BpJournalKind kind, const char *node, RtBuf *text) {
  Value v;
  if (text->nomem || !rt_str_new(tx->rt, text->s ? text->s : "", text->len, BPT_T_STRING, &v)) {
    rt_buf_free(tx->rt, text);
    nomem(tx);
    return;
  }
  rt_buf_free(tx->rt, text);
  Effect *e = effect(tx, EF_JOURNAL);
  if (!e) {
    rt_unref(tx->rt, v);
    return;
  }
  e->jkind = (uint8_t)kind;
  e->node = node;
  e->a = v;
}

static void journal(Tx *tx, BpJournalKind kind, const char *node, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void journal(Tx *tx, BpJournalKind kind, const char *node, const char *fmt, ...) {
  if (tx->err.code != RT_OK) return;
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  RtBuf b = {0};
  rt_buf_puts(tx->rt, &b, tmp);
  journal_text(tx, kind, node, &b);
}

/* The text of v for a journal line ("(not set)" rather than an error). */
static void text_of(Tx *tx, RtBuf *b, Value v) {
  RtErr e = {0};
  if (rt_text(tx->rt, b, v, &e) == RT_ERROR) rt_buf_puts(tx->rt, b, "(not set)");
}

static void item_effect(Tx *tx, uint8_t kind, const RtStep *st, const RtPerson *who) {
  Effect *e = effect(tx, kind);
  if (!e) return;
  e->item_kind = tx->p->steps[st->t].kind;
  e->index = st->t;
  e->id = who->item;
  e->due = st->due;
  e->node = step_node(tx, st->t);
  rt_ref(who->user);
  rt_ref(st->title);
  e->a = who->user;
  e->b = st->title;
}

static void effects_free(BpRuntime *rt, RtVec *effects) {
  for (uint32_t i = 0; i < effects->n; i++) {
    Effect *e = RT_AT(*effects, Effect, i);
    rt_unref(rt, e->a);
    rt_unref(rt, e->b);
    if (e->args) {
      for (size_t k = 0; k < e->nargs; k++) bp_value_free(rt, &e->args[k]);
      rt_dealloc(rt, e->args, e->nargs * sizeof *e->args);
    }
  }
  rt_vec_free(rt, effects, sizeof(Effect));
}

/* ---- failing, ending ----------------------------------------------------------------------- */

static void withdraw_open_items(Tx *tx, RtStep *st) {
  for (uint32_t i = 0; i < st->people.n; i++) {
    RtPerson *who = RT_AT(st->people, RtPerson, i);
    if (!who->item) continue;
    item_effect(tx, EF_WITHDRAWN, st, who);
    journal(tx, BP_J_WITHDRAWN, step_node(tx, st->t), "withdrawn from %s: %s", who->user.u.s->s,
            st->title.u.s->s);
    who->item = 0;
  }
}

static void step_free(BpRuntime *rt, RtStep *st) {
  rt_unref(rt, st->title);
  rt_unref(rt, st->offsets);
  for (uint32_t i = 0; i < st->people.n; i++) {
    RtPerson *who = RT_AT(st->people, RtPerson, i);
    rt_unref(rt, who->user);
    rt_unref(rt, who->comment);
  }
  rt_vec_free(rt, &st->people, sizeof(RtPerson));
}

/* Everything the instance waits for goes: steps (their items withdrawn), timers, calls,
 * threads, fork activations. */
static void cancel_all(Tx *tx) {
  for (uint32_t i = 0; i < tx->s.steps.n; i++) {
    withdraw_open_items(tx, RT_AT(tx->s.steps, RtStep, i));
    step_free(tx->rt, RT_AT(tx->s.steps, RtStep, i));
  }
  tx->s.steps.n = 0;
  for (uint32_t i = 0; i < tx->s.calls.n; i++) rt_unref(tx->rt, RT_AT(tx->s.calls, RtCall, i)->args);
  tx->s.calls.n = 0;
  tx->s.timers.n = 0;
  tx->s.threads.n = 0;
  tx->s.acts.n = 0;
  /* The run queue keeps its ids: those of the threads gone are skipped by run(). */
}

/* The instance ends; NODE is the graph node where (for the journal and traces). */
static void end_instance_at(Tx *tx, uint8_t status, const char *message, const char *node) {
  if (tx->s.status != ST_WAITING) return;
  cancel_all(tx);
  tx->s.status = status;
  Value m;
  if (!rt_str_new(tx->rt, message, strlen(message), BPT_T_STRING, &m)) {
    nomem(tx);
    return;
  }
  rt_unref(tx->rt, tx->s.message);
  tx->s.message = m;
  if (status == ST_COMPLETED) journal(tx, BP_J_COMPLETED, node, "completed");
  else if (status == ST_TERMINATED)
    journal(tx, BP_J_TERMINATED, node, *message ? "terminated: %s" : "terminated%s", message);
  else journal(tx, BP_J_FAILED, node, "failed: %s", message);
}

static void end_instance(Tx *tx, uint8_t status, const char *message) { end_instance_at(tx, status, message, ""); }

/* The process's start node, for the journal's first line. */
static const char *start_node(const BpBundle *b, const BptProcess *p) {
  for (uint32_t i = 0; i < p->nnodes; i++)
    if (b->b.nodes[p->first_node + i].kind == BPT_N_START) return rt_string(b, b->b.nodes[p->first_node + i].id);
  return "";
}

/* A program error at pc: the instance fails, naming the source position. In a fragment
 * the error goes to the fragment's caller instead. */
static bool fail_at(Tx *tx, uint32_t pc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail_at(Tx *tx, uint32_t pc, const char *fmt, ...) {
  char msg[300], where[160], all[480];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (tx->in_fragment) {
    rt_error(&tx->frag_err, "%s", msg);
    return false;
  }
  position(tx, pc, where, sizeof where);
  snprintf(all, sizeof all, "%s (at %s)", msg, where);
  end_instance_at(tx, ST_FAILED, all, pc_node(tx, pc));
  return false;
}

/* The outcome of a value operation: fine, out of memory, or a program error at pc. */
static bool check(Tx *tx, RtCode code, const RtErr *e, uint32_t pc) {
  if (code == RT_OK) return true;
  if (code == RT_NOMEM) return nomem(tx);
  return fail_at(tx, pc, "%s", e->msg);
}

/* ---- threads -------------------------------------------------------------------------------- */

static uint32_t new_id(Tx *tx) { return ++tx->s.next_id; }

static bool ready(Tx *tx, uint32_t tid) {
  uint32_t *q = rt_vec_push(tx->rt, &tx->runq, sizeof *q);
  if (!q) return nomem(tx);
  *q = tid;
  return true;
}

static RtThread *spawn(Tx *tx, uint32_t pc, uint32_t act, uint8_t kind, uint32_t step) {
  RtThread *th = rt_vec_push(tx->rt, &tx->s.threads, sizeof *th);
  if (!th) {
    nomem(tx);
    return NULL;
  }
  *th = (RtThread){.id = new_id(tx), .pc = pc, .act = act, .step = step, .wait = W_RUN, .kind = kind};
  uint32_t id = th->id;
  if (!ready(tx, id)) return NULL;
  return thread_by_id(tx, id);
}

static void remove_thread(Tx *tx, uint32_t tid) {
  for (uint32_t i = 0; i < tx->s.threads.n; i++)
    if (RT_AT(tx->s.threads, RtThread, i)->id == tid) {
      rt_vec_remove(&tx->s.threads, sizeof(RtThread), i);
      return;
    }
}

static void remove_timers(Tx *tx, uint8_t kind_a, uint8_t kind_b, uint32_t ref) {
  for (uint32_t i = tx->s.timers.n; i-- > 0;) {
    RtTimer *t = RT_AT(tx->s.timers, RtTimer, i);
    if ((t->kind == kind_a || t->kind == kind_b) && t->ref == ref)
      rt_vec_remove(&tx->s.timers, sizeof(RtTimer), i);
  }
}

static bool add_timer(Tx *tx, int64_t at, uint8_t kind, uint32_t ref, uint16_t index) {
  RtTimer *t = rt_vec_push(tx->rt, &tx->s.timers, sizeof *t);
  if (!t) return nomem(tx);
  *t = (RtTimer){.at = at, .seq = new_id(tx), .ref = ref, .index = index, .kind = kind};
  return true;
}

static void remove_step(Tx *tx, uint32_t step_id);

/* A thread goes, with what it waits for (its step's items withdrawn, its timer, its
 * call) and the handler threads of its step. */
static void cancel_thread(Tx *tx, uint32_t tid) {
  RtThread *th = thread_by_id(tx, tid);
  if (!th) return;
  uint8_t wait = th->wait;
  remove_thread(tx, tid);
  if (wait == W_TIMER) remove_timers(tx, TM_WAIT, TM_WAIT, tid);
  for (uint32_t i = tx->s.calls.n; i-- > 0;) {
    RtCall *c = RT_AT(tx->s.calls, RtCall, i);
    if (c->thread != tid) continue;
    rt_unref(tx->rt, c->args);
    rt_vec_remove(&tx->s.calls, sizeof(RtCall), i);
  }
  for (uint32_t i = 0; i < tx->s.steps.n; i++) {
    RtStep *st = RT_AT(tx->s.steps, RtStep, i);
    if (st->thread == tid) {
      remove_step(tx, st->id);
      break;
    }
  }
}

/* A step goes: its open items withdrawn, its timers and handler threads cancelled. */
static void remove_step(Tx *tx, uint32_t step_id) {
  int i = step_index(&tx->s, step_id);
  if (i < 0) return;
  withdraw_open_items(tx, RT_AT(tx->s.steps, RtStep, i));
  step_free(tx->rt, RT_AT(tx->s.steps, RtStep, i));
  rt_vec_remove(&tx->s.steps, sizeof(RtStep), (uint32_t)i);
  remove_timers(tx, TM_DUE, TM_REMIND, step_id);
  for (uint32_t k = tx->s.threads.n; k-- > 0;) {
    RtThread *th = RT_AT(tx->s.threads, RtThread, k);
    if ((th->kind == K_REMIND || th->kind == K_TIMEOUT) && th->step == step_id) cancel_thread(tx, th->id);
    if (k > tx->s.threads.n) k = tx->s.threads.n;
  }
}

/* Whether activation `act` is `root` or nested in it. */
static bool act_within(Tx *tx, uint32_t act, uint32_t root) {
  for (int guard = 0; act && guard < 100000; guard++) {
    if (act == root) return true;
    RtAct *a = act_by_id(tx, act);
    act = a ? a->parent : 0;
  }
  return false;
}

/* A race is won: every other thread of activation `root` (and of those nested in it)
 * is cancelled, and the nested activations go. */
static void cancel_race(Tx *tx, uint32_t root, uint32_t winner) {
  for (;;) {
    uint32_t victim = 0;
    for (uint32_t i = 0; i < tx->s.threads.n && !victim; i++) {
      RtThread *th = RT_AT(tx->s.threads, RtThread, i);
      if (th->id != winner && act_within(tx, th->act, root)) victim = th->id;
    }
    if (!victim) break;
    cancel_thread(tx, victim);
  }
  for (uint32_t i = tx->s.acts.n; i-- > 0;) {
    RtAct *a = RT_AT(tx->s.acts, RtAct, i);
    if (a->id != root && act_within(tx, a->parent, root)) {
      rt_vec_remove(&tx->s.acts, sizeof(RtAct), i);
      i = tx->s.acts.n; /* restart: removal may orphan others; they are caught next round */
    }
  }
}

static void remove_act(Tx *tx, uint32_t id) {
  for (uint32_t i = 0; i < tx->s.acts.n; i++)
    if (RT_AT(tx->s.acts, RtAct, i)->id == id) {
      rt_vec_remove(&tx->s.acts, sizeof(RtAct), i);
      return;
    }
}

/* ---- states -------------------------------------------------------------------------------- */

static void enter_state(Tx *tx, uint16_t q) {
  cancel_all(tx);
  if (tx->err.code != RT_OK) return;
  const BptState *st = &tx->p->states[q];
  tx->s.state = q;
  const char *label = rt_string(tx->b, st->label);
  journal(tx, BP_J_STATE, "", "state: %s%s%s%s", rt_string(tx->b, st->name), *label ? " (" : "",
          label, *label ? ")" : "");
  if (st->enter_pc != BPT_NO_PC) spawn(tx, st->enter_pc, 0, K_STATE, 0);
  else if (st->final) end_instance(tx, ST_COMPLETED, "");
}

/* ---- human steps ------------------------------------------------------------------------------ */

/* A due time from a duration (from now), a date (the end of that day) or a datetime. */
static bool due_time(Tx *tx, Value v, int64_t *at, uint32_t pc) {
  int64_t r;
  bool over = false;
  switch (v.type) {
  case BPT_T_DURATION: over = __builtin_add_overflow(tx->now, v.u.i, &r); break;
  case BPT_T_DATE:
    if (v.unset) return fail_at(tx, pc, "the due date is not set");
    over = __builtin_mul_overflow(v.u.i + 1, (int64_t)86400, &r);
    break;
  case BPT_T_DATETIME:
    if (v.unset) return fail_at(tx, pc, "the due time is not set");
    over = __builtin_mul_overflow(v.u.i, (int64_t)60, &r);
    break;
  default: return fail_at(tx, pc, "`due` needs a duration, date or datetime, not %s", rt_type_name(v.type));
  }
  if (over) return fail_at(tx, pc, "the due time is out of range");
  *at = r;
  return true;
}

static bool open_item(Tx *tx, RtStep *st, RtPerson *who) {
  who->item = new_id(tx);
  item_effect(tx, EF_OPENED, st, who);
  journal(tx, BP_J_OPENED, step_node(tx, st->t), "opened for %s: %s", who->user.u.s->s, st->title.u.s->s);
  return tx->err.code == RT_OK;
}

/* Adds the users of a WHO list to the step (each person once), opening their items. */
static bool add_people(Tx *tx, RtStep *st, Value who, uint32_t pc) {
  if (who.type != BPT_T_USERS) return fail_at(tx, pc, "a step's people must be users, not %s", rt_type_name(who.type));
  for (uint32_t i = 0; i < who.u.l->n; i++)
    if (who.u.l->items[i].type != BPT_T_USER) return fail_at(tx, pc, "a step's people must be users");
  /* Those asked already, then WHO, each once (n log n): what follows the first `before`
   * are the people to add. */
  uint32_t before = st->people.n, n = who.u.l->n;
  Value all;
  if (n > UINT32_MAX / 32 - before) return fail_at(tx, pc, "too many people on one step");
  if (!rt_list_new(tx->rt, BPT_T_USERS, before + n, &all)) return nomem(tx);
  for (uint32_t k = 0; k < before; k++) all.u.l->items[k] = RT_AT(st->people, RtPerson, k)->user;
  for (uint32_t i = 0; i < n; i++) all.u.l->items[before + i] = who.u.l->items[i];
  for (uint32_t i = 0; i < before + n; i++) rt_ref(all.u.l->items[i]);
  bool ok = rt_users_unique(tx->rt, &all, before + n) || nomem(tx);
  for (uint32_t i = before; ok && i < all.u.l->n; i++) {
    RtPerson *who_p = rt_vec_push(tx->rt, &st->people, sizeof *who_p);
    if (!who_p) {
      ok = nomem(tx);
      break;
    }
    rt_ref(all.u.l->items[i]);
    who_p->user = all.u.l->items[i];
    ok = open_item(tx, st, who_p);
  }
  rt_unref(tx->rt, all);
  return ok;
}

/* The due timer, and reminder i at due - offset i; a reminder that already ran stays
 * quiet (reassigning re-arms only those that have not). */
static bool arm_timers(Tx *tx, RtStep *st) {
  if (st->due == RT_NO_TIME) return true;
  uint32_t id = st->id;
  int64_t due = st->due;
  uint64_t fired = st->fired;
  Value offsets = st->offsets;
  if (!add_timer(tx, due, TM_DUE, id, 0)) return false;
  uint32_t n = offsets.type == BPT_T_VOID ? 0 : offsets.u.l->n;
  for (uint32_t i = 0; i < n; i++) {
    if (fired >> i & 1) continue;
    int64_t at;
    if (__builtin_sub_overflow(due, offsets.u.l->items[i].u.i, &at)) at = due;
    if (!add_timer(tx, at, TM_REMIND, id, (uint16_t)i)) return false;
  }
  return true;
}

typedef enum Outcome { UNDECIDED, APPROVED, REJECTED } Outcome;

static uint32_t count_acts(const RtStep *st, uint8_t act) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < st->people.n; i++) n += RT_AT(st->people, RtPerson, i)->act == act;
  return n;
}

static const RtPerson *first_to_act(const RtStep *st) {
  const RtPerson *best = NULL;
  for (uint32_t i = 0; i < st->people.n; i++) {
    const RtPerson *p = RT_AT(st->people, RtPerson, i);
    if (p->act != P_NONE && (!best || p->order < best->order)) best = p;
  }
  return best;
}

static const RtPerson *last_to_act(const RtStep *st) {
  const RtPerson *best = NULL;
  for (uint32_t i = 0; i < st->people.n; i++) {
    const RtPerson *p = RT_AT(st->people, RtPerson, i);
    if (p->act != P_NONE && (!best || p->order > best->order)) best = p;
  }
  return best;
}

/* The approval rules of LANGUAGE.md. Without `wait all` an approval is decided as soon
 * as its outcome can no longer change; with it, once every vote is in. */
static Outcome approval_outcome(const Tx *tx, const RtStep *st) {
  const BptStep *d = &tx->p->steps[st->t];
  int64_t total = st->people.n, a = count_acts(st, P_APPROVED), r = count_acts(st, P_REJECTED);
  int64_t open = total - a - r;
  bool yes = false, no = false;
  switch (d->mode) {
  case BPT_MODE_ANY: {
    const RtPerson *first = first_to_act(st);
    yes = first && first->act == P_APPROVED;
    no = first && first->act == P_REJECTED;
    break;
  }
  case BPT_MODE_ALL:
    yes = a == total;
    no = r > 0;
    break;
  case BPT_MODE_MAJORITY:
    yes = 2 * a > total;
    no = 2 * (a + open) <= total;
    break;
  default: /* vote N% */
    yes = 100 * a >= st->percent * total;
    no = 100 * (a + open) < st->percent * total;
    break;
  }
  if ((d->flags & BPT_STEP_WAIT_ALL) && open > 0) return UNDECIDED;
  return yes ? APPROVED : no ? REJECTED : UNDECIDED;
}

/* "who: text" of everyone who acted with a text, in the order they acted. */
static bool comments_list(Tx *tx, const RtStep *st, Value *out) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < st->people.n; i++) {
    const RtPerson *p = RT_AT(st->people, RtPerson, i);
    n += p->act != P_NONE && p->comment.type == BPT_T_STRING && p->comment.u.s->len > 0;
  }
  if (!rt_list_new(tx->rt, BPT_T_LIST | BPT_T_STRING, n, out)) return nomem(tx);
  uint32_t k = 0;
  for (uint32_t order = 1; order <= st->acted && k < n; order++)
    for (uint32_t i = 0; i < st->people.n; i++) {
      const RtPerson *p = RT_AT(st->people, RtPerson, i);
      if (p->order != order || p->act == P_NONE || p->comment.type != BPT_T_STRING ||
          p->comment.u.s->len == 0)
        continue;
      RtBuf b = {0};
      rt_buf_put(tx->rt, &b, p->user.u.s->s, p->user.u.s->len);
      rt_buf_put(tx->rt, &b, ": ", 2);
      rt_buf_put(tx->rt, &b, p->comment.u.s->s, p->comment.u.s->len);
      bool ok = !b.nomem && rt_str_new(tx->rt, b.s, b.len, BPT_T_STRING, &out->u.l->items[k]);
      rt_buf_free(tx->rt, &b);
      if (!ok) return nomem(tx);
      k++;
    }
  return true;
}

static bool user_or_empty(Tx *tx, const RtPerson *p, Value *out) {
  if (p) {
    rt_ref(p->user);
    *out = p->user;
    return true;
  }
  return rt_str_new(tx->rt, "", 0, BPT_T_USER, out) || nomem(tx);
}

static bool comment_or_empty(Tx *tx, const RtPerson *p, Value *out) {
  if (p && p->comment.type == BPT_T_STRING) {
    rt_ref(p->comment);
    *out = p->comment;
    return true;
  }
  return rt_str_new(tx->rt, "", 0, BPT_T_STRING, out) || nomem(tx);
}

static bool fill_result(Tx *tx, const RtStep *st, bool timed_out, Outcome outcome, Value *m);

/* The step's result record (bpt.h gives the member order). */
static bool step_result(Tx *tx, const RtStep *st, bool timed_out, Outcome outcome, Value *out) {
  const BptStep *d = &tx->p->steps[st->t];
  static const uint8_t types[] = {BPT_T_TASK_RESULT, BPT_T_APPROVE_RESULT, BPT_T_REVIEW_RESULT,
                                  BPT_T_REQUEST_RESULT};
  uint8_t type = types[d->kind];
  if (!rt_rec_new(tx->rt, type, rt_record_size(type), out)) return nomem(tx);
  if (fill_result(tx, st, timed_out, outcome, out->u.r->m)) return true;
  rt_unref(tx->rt, *out); /* members not made yet are VOID */
  *out = (Value){0};
  return false;
}

static bool fill_result(Tx *tx, const RtStep *st, bool timed_out, Outcome outcome, Value *m) {
  const BptStep *d = &tx->p->steps[st->t];
  const RtPerson *last = last_to_act(st);
  switch (d->kind) {
  case BPT_STEP_TASK:
  case BPT_STEP_REQUEST: {
    const RtPerson *done = timed_out ? NULL : last;
    if (!user_or_empty(tx, done, &m[0])) return false;
    m[1] = (Value){.type = BPT_T_DATETIME, .unset = !done, .u.i = done ? rt_floor_div(done->at, 60) : 0};
    if (d->kind == BPT_STEP_TASK) {
      if (!comment_or_empty(tx, done, &m[2])) return false;
      m[3] = rt_bool(timed_out);
    } else {
      m[2] = rt_bool(timed_out);
    }
    return true;
  }
  case BPT_STEP_APPROVE: {
    int64_t total = st->people.n, a = count_acts(st, P_APPROVED);
    m[0] = rt_bool(!timed_out && outcome == APPROVED);
    m[1] = rt_int(a);
    m[2] = rt_int(count_acts(st, P_REJECTED));
    m[3] = rt_int(total);
    m[4] = rt_int(total ? a * 100 / total : 0);
    if (!user_or_empty(tx, last, &m[5]) || !comment_or_empty(tx, last, &m[6])) return false;
    if (!comments_list(tx, st, &m[7])) return false;
    m[8] = rt_bool(timed_out);
    return true;
  }
  default: /* review */
    if (!comments_list(tx, st, &m[0])) return false;
    m[1] = rt_int(count_acts(st, P_DONE));
    m[2] = rt_bool(timed_out);
    return true;
  }
}

/* The step is over: its result stored, the others' items withdrawn, its thread ready. */
static bool close_step(Tx *tx, uint32_t step_id, bool timed_out) {
  int i = step_index(&tx->s, step_id);
  if (i < 0) return true;
  RtStep *st = RT_AT(tx->s.steps, RtStep, i);
  const BptStep *d = &tx->p->steps[st->t];
  Outcome outcome = d->kind == BPT_STEP_APPROVE ? approval_outcome(tx, st) : UNDECIDED;
  Value result;
  if (!step_result(tx, st, timed_out, outcome, &result)) return false;
  if (d->result != BPT_NONE16) {
    rt_unref(tx->rt, tx->s.slots[d->result]);
    tx->s.slots[d->result] = result;
  } else {
    rt_unref(tx->rt, result);
  }
  const char *how;
  char counts[96] = "";
  if (timed_out) how = "timed out";
  else if (d->kind == BPT_STEP_APPROVE) {
    how = outcome == APPROVED ? "approved" : "rejected";
    snprintf(counts, sizeof counts, " (%u of %u approved)", count_acts(st, P_APPROVED), st->people.n);
  } else how = "done";
  withdraw_open_items(tx, st); /* the others' items go first, then the step closes */
  journal(tx, BP_J_CLOSED, step_node(tx, st->t), "closed: %s, %s%s", st->title.u.s->s, how, counts);
  uint32_t tid = st->thread;
  remove_step(tx, step_id);
  RtThread *th = thread_by_id(tx, tid);
  if (th) {
    th->wait = W_RUN;
    return ready(tx, tid);
  }
  return tx->err.code == RT_OK;
}

/* Whether the step is done after someone acted. */
static bool step_settled(Tx *tx, uint32_t step_id) {
  int i = step_index(&tx->s, step_id);
  if (i < 0) return true;
  RtStep *st = RT_AT(tx->s.steps, RtStep, i);
  const BptStep *d = &tx->p->steps[st->t];
  bool done;
  if (d->kind == BPT_STEP_APPROVE) done = approval_outcome(tx, st) != UNDECIDED;
  else if (d->kind == BPT_STEP_REVIEW && d->mode == BPT_MODE_ALL) done = count_acts(st, P_DONE) == st->people.n;
  else done = count_acts(st, P_DONE) > 0;
  return done ? close_step(tx, step_id, false) : true;
}

static bool pop_typed(Tx *tx, Value *v, uint8_t type, const char *what, uint32_t pc);
static void pop_n(Tx *tx, unsigned n, Value *vals);

/* STEP t: the inputs are on the stack; the thread waits for the step. */
static bool open_step(Tx *tx, uint32_t tid, uint16_t t, uint32_t pc, uint32_t next) {
  const BptStep *d = &tx->p->steps[t];
  Value who = {0}, title = {0}, due = {0}, vote = {0}, offsets = {0};
  bool ok = true;
  if (d->nreminds > 62) return fail_at(tx, pc, "more than 62 reminders on a step");
  if (d->nreminds > 0) {
    if (!rt_list_new(tx->rt, BPT_T_LIST | BPT_T_DURATION, d->nreminds, &offsets)) return nomem(tx);
    pop_n(tx, d->nreminds, offsets.u.l->items);
    for (uint8_t i = 0; i < d->nreminds && ok; i++)
      if (offsets.u.l->items[i].type != BPT_T_DURATION)
        ok = fail_at(tx, pc, "a reminder needs a duration, not %s", rt_type_name(offsets.u.l->items[i].type));
  }
  if (ok && (d->flags & BPT_STEP_HAS_DUE)) {
    due = tx->stack[--tx->sp];
  }
  if (ok && d->mode == BPT_MODE_VOTE) ok = pop_typed(tx, &vote, BPT_T_INT, "a vote percentage", pc);
  if (ok) ok = pop_typed(tx, &title, BPT_T_STRING, "a step's title", pc);
  if (ok) who = tx->stack[--tx->sp];
  int64_t due_at = RT_NO_TIME;
  if (ok && (d->flags & BPT_STEP_HAS_DUE)) ok = due_time(tx, due, &due_at, pc);
  if (ok && d->mode == BPT_MODE_VOTE && (vote.u.i < 0 || vote.u.i > 100))
    ok = fail_at(tx, pc, "a vote percentage of %lld (0..100 allowed)", (long long)vote.u.i);
  if (ok && (who.type != BPT_T_USERS || who.u.l->n == 0))
    ok = who.type == BPT_T_USERS ? fail_at(tx, pc, "nobody to ask for \"%s\": the list of people is empty", title.u.s->s)
                                 : fail_at(tx, pc, "a step's people must be users, not %s", rt_type_name(who.type));
  rt_unref(tx->rt, due);
  RtStep *st = ok ? rt_vec_push(tx->rt, &tx->s.steps, sizeof *st) : NULL;
  if (!st) {
    rt_unref(tx->rt, who);
    rt_unref(tx->rt, title);
    rt_unref(tx->rt, offsets);
    return ok ? nomem(tx) : false;
  }
  uint32_t step_id = new_id(tx);
  *st = (RtStep){.id = step_id, .t = t, .thread = tid, .title = title, .percent = vote.u.i,
                 .due = due_at, .offsets = offsets};
  RtThread *th = thread_by_id(tx, tid);
  th->wait = W_STEP;
  th->pc = next;
  ok = add_people(tx, st, who, pc);
  rt_unref(tx->rt, who);
  if (!ok) return false;
  int i = step_index(&tx->s, step_id);
  if (!arm_timers(tx, RT_AT(tx->s.steps, RtStep, i))) return false;
  /* `vote 0%` is decided before anyone votes. */
  if (d->kind == BPT_STEP_APPROVE) return step_settled(tx, step_id);
  return true;
}

/* REASSIGN: those who have not acted are replaced by WHO (their items withdrawn); the
 * votes already cast stay. A new due time re-arms the timeout and the reminders that
 * have not run; without one the step waits with no deadline. */
static bool reassign(Tx *tx, RtStep *st, Value who, bool has_due, Value due, uint32_t pc) {
  uint32_t step_id = st->id;
  for (uint32_t i = st->people.n; i-- > 0;) {
    RtPerson *p = RT_AT(st->people, RtPerson, i);
    if (p->act != P_NONE) continue;
    if (p->item) {
      item_effect(tx, EF_WITHDRAWN, st, p);
      journal(tx, BP_J_WITHDRAWN, step_node(tx, st->t), "withdrawn from %s: %s", p->user.u.s->s, st->title.u.s->s);
    }
    rt_unref(tx->rt, p->user);
    rt_unref(tx->rt, p->comment);
    rt_vec_remove(&st->people, sizeof(RtPerson), i);
  }
  if (tx->err.code != RT_OK) return false;
  if (who.type == BPT_T_USERS && who.u.l->n == 0)
    return fail_at(tx, pc, "`reassign` to nobody: the list of people is empty");
  RtBuf names = {0};
  if (who.type == BPT_T_USERS) text_of(tx, &names, who);
  journal(tx, BP_J_REASSIGNED, step_node(tx, st->t), "reassigned: %s to %s", st->title.u.s->s,
          names.s ? names.s : "");
  rt_buf_free(tx->rt, &names);
  if (!add_people(tx, st, who, pc)) return false;
  st = RT_AT(tx->s.steps, RtStep, step_index(&tx->s, step_id));
  remove_timers(tx, TM_DUE, TM_REMIND, step_id);
  st->due = RT_NO_TIME;
  if (has_due && !due_time(tx, due, &st->due, pc)) return false;
  st->flags |= S_HANDLED;
  if (st->due != RT_NO_TIME && st->due <= tx->now) {
    /* The new deadline has passed already: running the timeout again now would only
     * reassign again, at the same instant, for ever. The step waits with no deadline. */
    st->due = RT_NO_TIME;
    journal(tx, BP_J_REASSIGNED, step_node(tx, st->t), "the new due time has passed already: %s has no deadline",
            st->title.u.s->s);
  }
  if (!arm_timers(tx, st)) return false;
  return true;
}

/* A document field gets a new value (this event's changes start the processes watching). */
static void set_field(Tx *tx, uint16_t f, Value v) {
  if (!rt_equal(tx->s.fields[f], v) || tx->s.fields[f].type != v.type) tx->changed[f] = true;
  rt_unref(tx->rt, tx->s.fields[f]);
  tx->s.fields[f] = v;
}

/* ---- the operand stack -------------------------------------------------------------------- */

static bool push(Tx *tx, Value v, uint32_t pc) {
  if (tx->sp >= BPT_STACK_MAX) {
    rt_unref(tx->rt, v);
    return fail_at(tx, pc, "the operand stack overflows");
  }
  tx->stack[tx->sp++] = v;
  return true;
}

static bool pop_typed(Tx *tx, Value *v, uint8_t type, const char *what, uint32_t pc) {
  *v = tx->stack[--tx->sp];
  if (v->type == type) return true;
  uint8_t got = v->type;
  rt_unref(tx->rt, *v);
  *v = (Value){0};
  return fail_at(tx, pc, "%s must be %s, not %s", what, rt_type_name(type), rt_type_name(got));
}

static void stack_clear(Tx *tx) {
  while (tx->sp > 0) rt_unref(tx->rt, tx->stack[--tx->sp]);
}

/* Pops n values; *vals gets them in push order. */
static void pop_n(Tx *tx, unsigned n, Value *vals) {
  tx->sp -= (int)n;
  memcpy(vals, &tx->stack[tx->sp], n * sizeof *vals);
}

static bool make_list(Tx *tx, Value *vals, unsigned n, uint32_t pc, Value *out) {
  uint8_t elem = n ? vals[0].type : BPT_T_VOID;
  for (unsigned i = 0; i < n; i++)
    if (vals[i].type != elem || rt_is_list(elem) || rt_is_record(elem) || elem == BPT_T_VOID)
      return fail_at(tx, pc, "a list's items must be of one type");
  if (!rt_list_new(tx->rt, (uint8_t)(BPT_T_LIST | elem), n, out)) return nomem(tx);
  memcpy(out->u.l->items, vals, n * sizeof *vals);
  for (unsigned i = 0; i < n; i++) vals[i] = (Value){0};
  return true;
}

/* USERS n: the union of users and user lists, each person once, in order. */
static bool make_users(Tx *tx, Value *vals, unsigned n, uint32_t pc, Value *out) {
  uint32_t total = 0;
  for (unsigned i = 0; i < n; i++) {
    if (vals[i].type == BPT_T_USER) total++;
    else if (rt_is_list(vals[i].type) && (vals[i].type == BPT_T_USERS || vals[i].u.l->n == 0))
      total += vals[i].u.l->n;
    else return fail_at(tx, pc, "people must be users, not %s", rt_type_name(vals[i].type));
  }
  if (!rt_list_new(tx->rt, BPT_T_USERS, total, out)) return nomem(tx);
  uint32_t k = 0;
  for (unsigned i = 0; i < n; i++) {
    const Value *from = vals[i].type == BPT_T_USER ? &vals[i] : vals[i].u.l->items;
    uint32_t m = vals[i].type == BPT_T_USER ? 1 : vals[i].u.l->n;
    for (uint32_t j = 0; j < m; j++) {
      if (from[j].type == BPT_T_USER && from[j].u.s->len == 0) continue; /* unset: nobody */
      rt_ref(from[j]);
      out->u.l->items[k++] = from[j];
    }
  }
  if (rt_users_unique(tx->rt, out, k)) return true;
  rt_unref(tx->rt, *out);
  return nomem(tx);
}

static bool make_text(Tx *tx, Value *vals, unsigned n, uint32_t pc, Value *out) {
  RtBuf b = {0};
  RtErr e = {0};
  for (unsigned i = 0; i < n; i++)
    if (rt_text(tx->rt, &b, vals[i], &e) != RT_OK) {
      rt_buf_free(tx->rt, &b);
      return check(tx, e.code, &e, pc);
    }
  bool ok = !b.nomem && rt_str_new(tx->rt, b.s ? b.s : "", b.len, BPT_T_STRING, out);
  rt_buf_free(tx->rt, &b);
  return ok || nomem(tx);
}

/* ---- the interpreter loop ------------------------------------------------------------------- */

static const BpOp binops[] = {
    [BPT_OP_ADD] = BP_OP_ADD, [BPT_OP_SUB] = BP_OP_SUB, [BPT_OP_MUL] = BP_OP_MUL,
    [BPT_OP_DIV] = BP_OP_DIV, [BPT_OP_MOD] = BP_OP_MOD, [BPT_OP_EQ] = BP_OP_EQ,
    [BPT_OP_NE] = BP_OP_NE,   [BPT_OP_LT] = BP_OP_LT,   [BPT_OP_LE] = BP_OP_LE,
    [BPT_OP_GT] = BP_OP_GT,   [BPT_OP_GE] = BP_OP_GE,   [BPT_OP_IN] = BP_OP_IN,
};

static bool notify(Tx *tx, Value who, Value msg, uint32_t pc) {
  if (who.type != BPT_T_USERS) return fail_at(tx, pc, "`notify` needs users, not %s", rt_type_name(who.type));
  if (msg.type != BPT_T_STRING) return fail_at(tx, pc, "a message must be a string");
  const char *node = pc_node(tx, pc);
  for (uint32_t i = 0; i < who.u.l->n; i++) {
    Effect *e = effect(tx, EF_NOTIFY);
    if (!e) return false;
    rt_ref(who.u.l->items[i]);
    rt_ref(msg);
    e->a = who.u.l->items[i];
    e->b = msg;
    journal(tx, BP_J_NOTIFIED, node, "notified %s: %s", who.u.l->items[i].u.s->s, msg.u.s->s);
  }
  return tx->err.code == RT_OK;
}

static bool call_action(Tx *tx, uint32_t tid, const BptInsn *in, uint32_t pc, uint32_t next) {
  uint16_t a = (uint16_t)in->arg[0];
  unsigned n = in->arg[1];
  const BptAction *act = &tx->b->b.actions[a];
  Value args;
  if (!rt_list_new(tx->rt, BPT_T_LIST | BPT_T_VOID, n, &args)) return nomem(tx);
  pop_n(tx, n, args.u.l->items);
  for (unsigned i = 0; i < n; i++)
    if (args.u.l->items[i].type != act->params[i].type) {
      uint8_t got = args.u.l->items[i].type;
      rt_unref(tx->rt, args);
      return fail_at(tx, pc, "argument %u of `%s` must be %s, not %s", i + 1, rt_string(tx->b, act->name),
                     rt_type_name(act->params[i].type), rt_type_name(got));
    }
  RtCall *c = rt_vec_push(tx->rt, &tx->s.calls, sizeof *c);
  if (!c) {
    rt_unref(tx->rt, args);
    return nomem(tx);
  }
  *c = (RtCall){.id = new_id(tx), .thread = tid, .action = a, .slot = (uint16_t)in->arg[2], .args = args};
  uint32_t call_id = c->id;
  RtThread *th = thread_by_id(tx, tid);
  th->wait = W_CALL;
  th->pc = next;
  Effect *e = effect(tx, EF_CALL);
  if (!e) return false;
  e->id = call_id;
  e->index = a;
  rt_ref(args);
  e->a = args;
  e->args = rt_alloc(tx->rt, (n ? n : 1) * sizeof *e->args);
  if (!e->args) return nomem(tx);
  for (unsigned i = 0; i < n; i++) {
    if (!rt_to_owned(tx->rt, args.u.l->items[i], &e->args[i])) return nomem(tx);
    e->nargs = i + 1;
  }
  RtBuf b = {0};
  rt_buf_printf(tx->rt, &b, "called %s(", rt_string(tx->b, act->name));
  for (unsigned i = 0; i < n; i++) {
    if (i) rt_buf_puts(tx->rt, &b, ", ");
    text_of(tx, &b, args.u.l->items[i]);
  }
  rt_buf_puts(tx->rt, &b, ")");
  journal_text(tx, BP_J_CALLED, pc_node(tx, pc), &b);
  return tx->err.code == RT_OK;
}

static bool start_other(Tx *tx, const BptInsn *in, uint32_t pc) {
  unsigned n = in->arg[1];
  Value args;
  if (!rt_list_new(tx->rt, BPT_T_LIST | BPT_T_VOID, 2 * n, &args)) return nomem(tx);
  pop_n(tx, 2 * n, args.u.l->items);
  const BptProcess *target = &tx->b->b.processes[in->arg[0]];
  for (unsigned i = 0; i < n; i++) {
    Value idx = args.u.l->items[2 * i];
    if (idx.type != BPT_T_INT || idx.u.i < 0 || idx.u.i >= target->nparams) {
      rt_unref(tx->rt, args);
      return fail_at(tx, pc, "`start %s`: a parameter index out of range", rt_string(tx->b, target->name));
    }
  }
  journal(tx, BP_J_STARTED_OTHER, pc_node(tx, pc), "starts %s", rt_string(tx->b, target->name));
  Effect *e = tx->err.code == RT_OK ? effect(tx, EF_START) : NULL;
  if (!e) {
    rt_unref(tx->rt, args);
    return false;
  }
  e->index = (uint16_t)in->arg[0];
  e->a = args;
  return true;
}

static bool wait_timer(Tx *tx, uint32_t tid, Value v, uint32_t pc, uint32_t next, bool until) {
  int64_t at;
  if (!until) {
    if (v.type != BPT_T_DURATION) return fail_at(tx, pc, "`wait` needs a duration");
    if (__builtin_add_overflow(tx->now, v.u.i, &at)) return fail_at(tx, pc, "the time is out of range");
  } else if (v.type == BPT_T_DATE || v.type == BPT_T_DATETIME) {
    if (v.unset) return fail_at(tx, pc, "`wait until` a %s that is not set", rt_type_name(v.type));
    if (__builtin_mul_overflow(v.u.i, (int64_t)(v.type == BPT_T_DATE ? 86400 : 60), &at))
      return fail_at(tx, pc, "the time is out of range");
  } else {
    return fail_at(tx, pc, "`wait until` needs a date or datetime");
  }
  RtThread *th = thread_by_id(tx, tid);
  th->wait = W_TIMER;
  th->pc = next;
  return add_timer(tx, at, TM_WAIT, tid, 0);
}

static bool handler_step(Tx *tx, uint32_t tid, uint32_t pc, RtStep **st) {
  RtThread *th = thread_by_id(tx, tid);
  if (!th || th->kind != K_TIMEOUT) return fail_at(tx, pc, "`reassign` and `add` belong in an `on timeout` block");
  int i = step_index(&tx->s, th->step);
  *st = i < 0 ? NULL : RT_AT(tx->s.steps, RtStep, i);
  return true;
}

static bool handler_end(Tx *tx, uint32_t tid, uint32_t pc) {
  RtThread *th = thread_by_id(tx, tid);
  if (!th || (th->kind != K_REMIND && th->kind != K_TIMEOUT))
    return fail_at(tx, pc, "the end of a handler outside a handler");
  uint8_t kind = th->kind;
  uint32_t step_id = th->step;
  remove_thread(tx, tid);
  int i = step_index(&tx->s, step_id);
  if (kind == K_REMIND || i < 0) return true;
  RtStep *st = RT_AT(tx->s.steps, RtStep, i);
  st->flags &= (uint8_t)~S_IN_TIMEOUT;
  if (!(st->flags & S_HANDLED)) return close_step(tx, step_id, true);
  st->flags &= (uint8_t)~S_HANDLED;
  return step_settled(tx, step_id);
}

/* A fragment (`when`, `by`) computes a value: no waiting, no effects, no control of
 * threads; RESULT ends it. RESULT ends nothing else. */
static bool op_allowed(bool in_fragment, uint8_t op) {
  if (op == BPT_OP_RESULT) return in_fragment;
  if (!in_fragment || op == BPT_OP_JUMP || op == BPT_OP_FAIL) return true;
  if (bpt_ops[op].flags & (BPT_F_WAIT | BPT_F_END)) return false;
  switch (op) {
  case BPT_OP_STORE: case BPT_OP_STORE_FIELD: case BPT_OP_NOTIFY: case BPT_OP_LOG:
  case BPT_OP_START: case BPT_OP_REASSIGN: case BPT_OP_ADD_PEOPLE: case BPT_OP_ITER_START:
  case BPT_OP_ITER_NEXT:
    return false;
  default:
    return true;
  }
}

/* Runs thread tid from its pc until it waits or ends; with tid 0, a fragment from pc
 * until RESULT (tx->frag_result). Returns false when the event must stop looking at
 * this thread (it waits, ended, failed, or memory ran out). */
static bool interpret(Tx *tx, uint32_t tid, uint32_t pc) {
  const uint8_t *code = tx->code;
  uint32_t size = tx->p->code_size;
  BpRuntime *rt = tx->rt;
  RtErr e = {0};
  Value v[BPT_STACK_MAX], r;
  tx->sp = 0;
  for (;;) {
    if (tx->budget == 0)
      return fail_at(tx, pc, "more than %u instructions without waiting (a loop with no human step or wait?)",
                     rt->cfg.step_budget ? rt->cfg.step_budget : DEFAULT_BUDGET);
    tx->budget--;
    BptInsn in;
    if (!bpt_decode(code, size, pc, &in)) return fail_at(tx, pc, "no instruction at pc %u", pc);
    uint32_t next = pc + in.size;
    if (!op_allowed(tx->in_fragment, in.op))
      return fail_at(tx, pc, "%s is not allowed %s", bpt_ops[in.op].name,
                     tx->in_fragment ? "in an expression fragment" : "outside an expression fragment");
    switch ((BptOp)in.op) {
    case BPT_OP_CONST:
      if (!push(tx, tx->b->consts[in.arg[0]], pc)) return false;
      break;
    case BPT_OP_LOAD:
      rt_ref(tx->s.slots[in.arg[0]]);
      if (!push(tx, tx->s.slots[in.arg[0]], pc)) return false;
      break;
    case BPT_OP_STORE:
      rt_unref(rt, tx->s.slots[in.arg[0]]);
      tx->s.slots[in.arg[0]] = tx->stack[--tx->sp];
      break;
    case BPT_OP_LOAD_FIELD:
      if (in.arg[0] >= tx->s.nfields) return fail_at(tx, pc, "no document field %u", in.arg[0]);
      rt_ref(tx->s.fields[in.arg[0]]);
      if (!push(tx, tx->s.fields[in.arg[0]], pc)) return false;
      break;
    case BPT_OP_STORE_FIELD: {
      if (in.arg[0] >= tx->s.nfields) return fail_at(tx, pc, "no document field %u", in.arg[0]);
      Value x = tx->stack[--tx->sp];
      set_field(tx, (uint16_t)in.arg[0], x);
      const BptDoctype *dt = &tx->b->b.doctypes[tx->p->doctype];
      RtBuf b = {0};
      rt_buf_printf(rt, &b, "%s = ", rt_string(tx->b, dt->fields[in.arg[0]].name));
      text_of(tx, &b, x);
      journal_text(tx, BP_J_FIELD, pc_node(tx, pc), &b);
      if (tx->err.code != RT_OK) return false;
      break;
    }
    case BPT_OP_MEMBER: {
      Value rec = tx->stack[--tx->sp];
      if (!rt_is_record(rec.type) || in.arg[0] >= rec.u.r->n) {
        rt_unref(rt, rec);
        return fail_at(tx, pc, rec.type == BPT_T_VOID ? "a step result read before its step ended"
                                                      : "no member %u in %s", in.arg[0], rt_type_name(rec.type));
      }
      r = rec.u.r->m[in.arg[0]];
      rt_ref(r);
      rt_unref(rt, rec);
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_POP: rt_unref(rt, tx->stack[--tx->sp]); break;
    case BPT_OP_DUP:
      r = tx->stack[tx->sp - 1];
      rt_ref(r);
      if (!push(tx, r, pc)) return false;
      break;
    case BPT_OP_LIST:
    case BPT_OP_USERS:
    case BPT_OP_TEXT: {
      unsigned n = in.arg[0];
      pop_n(tx, n, v);
      bool ok = in.op == BPT_OP_LIST    ? make_list(tx, v, n, pc, &r)
                : in.op == BPT_OP_USERS ? make_users(tx, v, n, pc, &r)
                                        : make_text(tx, v, n, pc, &r);
      rt_unref_all(rt, v, n);
      if (!ok) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_TO_DECIMAL:
    case BPT_OP_TO_USERS: {
      Value x = tx->stack[--tx->sp];
      RtCode c = rt_convert(rt, x, in.op == BPT_OP_TO_DECIMAL ? BPT_T_DECIMAL : BPT_T_USERS, &r, &e);
      rt_unref(rt, x);
      if (!check(tx, c, &e, pc)) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_CALL: {
      unsigned n = in.arg[1];
      pop_n(tx, n, v);
      RtCode c = rt_builtin(rt, in.arg[0], v, n, tx->now, &r, &e);
      rt_unref_all(rt, v, n);
      if (!check(tx, c, &e, pc)) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_JUMP_IF_SET:
      if (tx->s.slots[in.arg[0]].type != BPT_T_VOID) next = in.arg[1];
      break;
    case BPT_OP_ADD: case BPT_OP_SUB: case BPT_OP_MUL: case BPT_OP_DIV: case BPT_OP_MOD:
    case BPT_OP_EQ: case BPT_OP_NE: case BPT_OP_LT: case BPT_OP_LE: case BPT_OP_GT:
    case BPT_OP_GE: case BPT_OP_IN: {
      pop_n(tx, 2, v);
      RtCode c = rt_binop(rt, binops[in.op], v[0], v[1], &r, &e);
      rt_unref_all(rt, v, 2);
      if (!check(tx, c, &e, pc)) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_NEG:
    case BPT_OP_NOT: {
      Value x = tx->stack[--tx->sp];
      RtCode c = rt_unop(rt, in.op == BPT_OP_NEG ? BP_OP_NEG : BP_OP_NOT, x, &r, &e);
      rt_unref(rt, x);
      if (!check(tx, c, &e, pc)) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_JUMP: next = in.arg[0]; break;
    case BPT_OP_JUMP_IF_FALSE: {
      Value x = tx->stack[--tx->sp];
      if (x.type != BPT_T_BOOL) {
        rt_unref(rt, x);
        return fail_at(tx, pc, "a condition must be a bool, not %s", rt_type_name(x.type));
      }
      if (!x.u.i) next = in.arg[0];
      break;
    }
    case BPT_OP_AND_ELSE:
    case BPT_OP_OR_ELSE: {
      Value x = tx->stack[tx->sp - 1];
      if (x.type != BPT_T_BOOL) return fail_at(tx, pc, "`and`/`or` need bools, not %s", rt_type_name(x.type));
      if ((in.op == BPT_OP_AND_ELSE) != (x.u.i != 0)) next = in.arg[0];
      else tx->sp--;
      break;
    }
    case BPT_OP_ITER_START: {
      Value x = tx->stack[--tx->sp];
      if (!rt_is_list(x.type)) {
        rt_unref(rt, x);
        return fail_at(tx, pc, "`for` needs a list, not %s", rt_type_name(x.type));
      }
      uint32_t s = in.arg[0];
      rt_unref(rt, tx->s.slots[s]);
      rt_unref(rt, tx->s.slots[s + 1]);
      tx->s.slots[s] = x;
      tx->s.slots[s + 1] = rt_int(0);
      break;
    }
    case BPT_OP_ITER_NEXT: {
      uint32_t s = in.arg[0];
      Value list = tx->s.slots[s], at = tx->s.slots[s + 1];
      if (!rt_is_list(list.type) || at.type != BPT_T_INT) return fail_at(tx, pc, "a `for` loop's state is broken");
      if (at.u.i < 0 || at.u.i >= list.u.l->n) {
        next = in.arg[2];
        break;
      }
      r = list.u.l->items[at.u.i];
      rt_ref(r);
      rt_unref(rt, tx->s.slots[in.arg[1]]);
      tx->s.slots[in.arg[1]] = r;
      tx->s.slots[s + 1].u.i++;
      break;
    }
    case BPT_OP_STEP:
      open_step(tx, tid, (uint16_t)in.arg[0], pc, next);
      return false;
    case BPT_OP_REASSIGN:
    case BPT_OP_ADD_PEOPLE: {
      Value due = {0}, who;
      bool has_due = in.op == BPT_OP_REASSIGN && in.arg[0] == 2;
      if (has_due) due = tx->stack[--tx->sp];
      who = tx->stack[--tx->sp];
      RtStep *st = NULL;
      bool ok = handler_step(tx, tid, pc, &st);
      if (ok && st && who.type != BPT_T_USERS) ok = fail_at(tx, pc, "people must be users");
      if (ok && st) {
        if (in.op == BPT_OP_REASSIGN) ok = reassign(tx, st, who, has_due, due, pc);
        else if ((ok = add_people(tx, st, who, pc))) {
          int i = step_index(&tx->s, thread_by_id(tx, tid)->step);
          RT_AT(tx->s.steps, RtStep, i)->flags |= S_HANDLED;
          RtBuf names = {0};
          text_of(tx, &names, who);
          journal(tx, BP_J_REASSIGNED, pc_node(tx, pc), "added: %s", names.s ? names.s : "");
          rt_buf_free(rt, &names);
        }
      }
      rt_unref(rt, who);
      rt_unref(rt, due);
      if (!ok || tx->err.code != RT_OK) return false;
      break;
    }
    case BPT_OP_HANDLER_END:
      handler_end(tx, tid, pc);
      return false;
    case BPT_OP_NOTIFY: {
      pop_n(tx, 2, v);
      bool ok = notify(tx, v[0], v[1], pc);
      rt_unref_all(rt, v, 2);
      if (!ok) return false;
      break;
    }
    case BPT_OP_LOG: {
      Value x = tx->stack[--tx->sp];
      RtBuf b = {0};
      text_of(tx, &b, x);
      rt_unref(rt, x);
      journal_text(tx, BP_J_LOG, pc_node(tx, pc), &b);
      if (tx->err.code != RT_OK) return false;
      break;
    }
    case BPT_OP_ACTION:
      call_action(tx, tid, &in, pc, next);
      return false;
    case BPT_OP_START:
      if (!start_other(tx, &in, pc)) return false;
      break;
    case BPT_OP_WAIT:
    case BPT_OP_WAIT_UNTIL: {
      Value x = tx->stack[--tx->sp];
      wait_timer(tx, tid, x, pc, next, in.op == BPT_OP_WAIT_UNTIL);
      rt_unref(rt, x);
      return false;
    }
    case BPT_OP_FORK: {
      RtThread *th = thread_by_id(tx, tid);
      uint32_t parent = th->act, act_id = new_id(tx);
      uint8_t kind = th->kind;
      uint32_t step = th->step;
      RtAct *a = rt_vec_push(rt, &tx->s.acts, sizeof *a);
      if (!a) return nomem(tx);
      *a = (RtAct){.id = act_id, .parent = parent, .group = (uint16_t)in.arg[0], .race = (uint8_t)in.arg[1]};
      remove_thread(tx, tid);
      for (uint8_t i = 0; i < in.nbranches; i++)
        if (!spawn(tx, bpt_branch_target(&in, pc, i), act_id, kind, step)) return false;
      return false;
    }
    case BPT_OP_JOIN: {
      RtThread *th = thread_by_id(tx, tid);
      RtAct *a = act_by_id(tx, th->act);
      if (!a || a->group != in.arg[0]) return fail_at(tx, pc, "JOIN of fork group %u outside it", in.arg[0]);
      uint32_t act_id = a->id, parent = a->parent;
      if (a->race) {
        cancel_race(tx, act_id, tid);
        if (tx->err.code != RT_OK) return false;
      } else if (++a->arrived < in.arg[1]) {
        remove_thread(tx, tid);
        return false;
      }
      remove_act(tx, act_id);
      thread_by_id(tx, tid)->act = parent;
      break;
    }
    case BPT_OP_TERMINATE: {
      Value x = tx->stack[--tx->sp];
      RtBuf b = {0};
      text_of(tx, &b, x);
      rt_unref(rt, x);
      if (b.nomem) {
        rt_buf_free(rt, &b);
        return nomem(tx);
      }
      end_instance_at(tx, ST_TERMINATED, b.s ? b.s : "", pc_node(tx, pc));
      rt_buf_free(rt, &b);
      return false;
    }
    case BPT_OP_END:
      remove_thread(tx, tid);
      tx->end_node = pc_node(tx, pc);
      return false;
    case BPT_OP_GOTO:
      if (tx->p->nstates == 0) return fail_at(tx, pc, "`goto` in a process without states");
      enter_state(tx, (uint16_t)in.arg[0]);
      return false;
    case BPT_OP_STATE_IDLE:
      remove_thread(tx, tid);
      if (tx->s.state != BPT_NONE16 && tx->p->states[tx->s.state].final) end_instance(tx, ST_COMPLETED, "");
      return false;
    case BPT_OP_RESULT:
      tx->frag_result = tx->stack[--tx->sp];
      return false;
    case BPT_OP_FAIL:
      return fail_at(tx, pc, "%s", rt_string(tx->b, in.arg[0]));
    default:
      return fail_at(tx, pc, "unknown instruction %u", in.op);
    }
    pc = next;
  }
}

/* Runs the ready threads until none is left (or the instance ends). */
static void run(Tx *tx) {
  uint32_t head = 0;
  while (head < tx->runq.n && alive(tx)) {
    uint32_t tid = *RT_AT(tx->runq, uint32_t, head++);
    RtThread *th = thread_by_id(tx, tid);
    if (!th || th->wait != W_RUN) continue;
    interpret(tx, tid, th->pc);
    stack_clear(tx);
  }
  tx->runq.n = 0;
  if (alive(tx) && tx->p->nstates == 0 && tx->s.threads.n == 0)
    end_instance_at(tx, ST_COMPLETED, "", tx->end_node ? tx->end_node : "");
}

/* Runs a `when` or `by` fragment: *out its value. RT_ERROR: the fragment failed
 * (tx->frag_err), the instance is unchanged. */
static RtCode run_fragment(Tx *tx, uint32_t pc, Value *out) {
  tx->in_fragment = true;
  tx->frag_result = (Value){0};
  tx->frag_err = (RtErr){0};
  interpret(tx, 0, pc);
  stack_clear(tx);
  tx->in_fragment = false;
  if (tx->err.code != RT_OK) {
    rt_unref(tx->rt, tx->frag_result);
    return RT_NOMEM;
  }
  if (tx->frag_err.code != RT_OK) {
    rt_unref(tx->rt, tx->frag_result);
    return RT_ERROR;
  }
  *out = tx->frag_result;
  return RT_OK;
}

/* ---- timers ------------------------------------------------------------------------------------ */

static int earliest_timer(const RtState *s, int64_t until) {
  int best = -1;
  for (uint32_t i = 0; i < s->timers.n; i++) {
    const RtTimer *t = RT_AT(s->timers, RtTimer, i);
    if (t->at > until) continue;
    const RtTimer *b = best < 0 ? NULL : RT_AT(s->timers, RtTimer, best);
    if (!b || t->at < b->at || (t->at == b->at && t->seq < b->seq)) best = (int)i;
  }
  return best;
}

static void fire(Tx *tx, RtTimer t) {
  if (t.kind == TM_WAIT) {
    RtThread *th = thread_by_id(tx, t.ref);
    if (!th) return;
    th->wait = W_RUN;
    ready(tx, t.ref);
    return;
  }
  int i = step_index(&tx->s, t.ref);
  if (i < 0) return;
  RtStep *st = RT_AT(tx->s.steps, RtStep, i);
  const BptStep *d = &tx->p->steps[st->t];
  RtThread *owner = thread_by_id(tx, st->thread);
  uint32_t act = owner ? owner->act : 0;
  if (t.kind == TM_REMIND) {
    if (t.index >= d->nreminds) return;
    st->fired |= (uint64_t)1 << t.index;
    journal(tx, BP_J_REMINDED, step_node(tx, st->t), "reminder: %s", st->title.u.s->s);
    spawn(tx, d->remind_pc[t.index], act, K_REMIND, st->id);
    return;
  }
  journal(tx, BP_J_TIMED_OUT, step_node(tx, st->t), "due time passed: %s", st->title.u.s->s);
  if (d->timeout_pc == BPT_NO_PC) {
    close_step(tx, st->id, true);
    return;
  }
  st->flags = (uint8_t)((st->flags | S_IN_TIMEOUT) & ~S_HANDLED);
  st->due = RT_NO_TIME;
  spawn(tx, d->timeout_pc, act, K_TIMEOUT, st->id);
}

/* Fires every timer due by `until`, each at its own time, running the threads it
 * readies before the next one. */
static void fire_due(Tx *tx, int64_t until) {
  int64_t end = until > tx->now ? until : tx->now;
  for (;;) {
    if (!alive(tx)) return;
    int i = earliest_timer(&tx->s, end);
    if (i < 0) break;
    RtTimer t = *RT_AT(tx->s.timers, RtTimer, i);
    rt_vec_remove(&tx->s.timers, sizeof(RtTimer), (uint32_t)i);
    if (t.at > tx->now) tx->now = t.at;
    fire(tx, t);
    run(tx);
  }
  tx->now = end;
}

/* ---- transactions --------------------------------------------------------------------------------- */

static int64_t clock_now(BpInstance *inst) {
  BpRuntime *rt = inst->rt;
  return rt->cfg.clock ? rt->cfg.clock(rt->cfg.ud) : inst->s.clock;
}

static BpStatus tx_begin(Tx *tx, BpInstance *inst, BpError *err) {
  memset(tx, 0, sizeof *tx);
  tx->inst = inst;
  tx->rt = inst->rt;
  tx->b = inst->b;
  tx->p = &inst->b->b.processes[inst->proc];
  tx->rp = &inst->b->procs[inst->proc];
  tx->code = inst->b->b.code + tx->p->code_offset;
  tx->budget = tx->rt->cfg.step_budget ? tx->rt->cfg.step_budget : DEFAULT_BUDGET;
  tx->now = clock_now(inst);
  if (!rt_state_copy(tx->rt, &inst->s, &tx->s)) return rt_fail_status(err, BP_ENOMEM, "out of memory");
  BpDoc *doc = inst->doc;
  tx->s.nfields = doc->nfields;
  tx->s.fields = rt_alloc(tx->rt, (doc->nfields ? doc->nfields : 1) * sizeof(Value));
  if (!tx->s.fields) {
    rt_state_free(tx->rt, &tx->s);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  for (uint16_t i = 0; i < doc->nfields; i++) {
    rt_ref(doc->fields[i]);
    tx->s.fields[i] = doc->fields[i];
  }
  tx->changed = rt_alloc(tx->rt, doc->nfields ? doc->nfields : 1);
  if (!tx->changed) {
    rt_state_free(tx->rt, &tx->s);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  return BP_OK;
}

static void changed_free(Tx *tx) {
  if (tx->changed) rt_dealloc(tx->rt, tx->changed, tx->inst->doc->nfields ? tx->inst->doc->nfields : 1);
  tx->changed = NULL;
}



static void tx_abort(Tx *tx) {
  stack_clear(tx);
  changed_free(tx);
  rt_state_free(tx->rt, &tx->s);
  effects_free(tx->rt, &tx->effects);
  rt_vec_free(tx->rt, &tx->runq, sizeof(uint32_t));
}

static void deliver(BpInstance *inst, RtVec *effects);

/* Swaps the working state in and delivers the effects. The document's fields go to the
 * document (shared by the instances on it). */
static BpStatus tx_commit(Tx *tx, bool announce) {
  BpInstance *inst = tx->inst;
  BpDoc *doc = inst->doc;
  Value *old_fields = doc->fields;
  doc->fields = tx->s.fields;
  tx->s.fields = old_fields;
  tx->s.clock = tx->now;
  RtState old = inst->s;
  inst->s = tx->s;
  inst->s.fields = NULL;
  old.fields = tx->s.fields;
  old.nfields = doc->nfields;
  rt_state_free(tx->rt, &old);
  rt_vec_free(tx->rt, &tx->runq, sizeof(uint32_t));
  RtVec effects = tx->effects;
  tx->effects = (RtVec){0};
  bool *changed = tx->changed;
  tx->changed = NULL;
  uint16_t nfields = doc->nfields;
  bool any = false;
  for (uint16_t i = 0; i < nfields; i++) any = any || changed[i];
  if (announce && inst->rt->cfg.started) inst->rt->cfg.started(inst->rt->cfg.ud, inst);
  /* The document and the instance hold each other up while the host is told. */
  doc->refs++;
  deliver(inst, &effects);
  if (any) rt_doc_triggers(doc, BPT_TRIG_CHANGE, changed, inst->proc);
  rt_dealloc(doc->b->rt, changed, nfields ? nfields : 1);
  bp_doc_release(doc);
  return BP_OK;
}

/* Ends an event: on success commits; out of memory drops everything. */
static BpStatus tx_end(Tx *tx, BpError *err) {
  if (tx->err.code == RT_NOMEM) {
    tx_abort(tx);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  return tx_commit(tx, false);
}

static BpStatus tx_refuse(Tx *tx, BpError *err, BpStatus st, const char *msg) {
  tx_abort(tx);
  return rt_fail_status(err, st, "%s", msg);
}

/* ---- delivering effects --------------------------------------------------------------------------- */

static void child_start(BpInstance *parent, const Effect *e);

static void deliver(BpInstance *inst, RtVec *effects) {
  BpRuntime *rt = inst->rt;
  const BpConfig *cfg = &rt->cfg;
  for (uint32_t i = 0; i < effects->n; i++) {
    Effect *e = RT_AT(*effects, Effect, i);
    switch (e->kind) {
    case EF_OPENED:
    case EF_WITHDRAWN: {
      void (*fn)(void *, BpInstance *, const BpItem *) = e->kind == EF_OPENED ? cfg->opened : cfg->withdrawn;
      if (!fn) break;
      const BptStep *d = &inst->b->b.processes[inst->proc].steps[e->index];
      BpItem item = {.id = e->id, .kind = (BpItemKind)e->item_kind, .user = e->a.u.s->s,
                     .title = e->b.u.s->s, .has_due = e->due != RT_NO_TIME,
                     .due = e->due == RT_NO_TIME ? 0 : e->due, .node = e->node,
                     .fields = inst->b->procs[inst->proc].fields[e->index], .nfields = d->nfields};
      fn(cfg->ud, inst, &item);
      break;
    }
    case EF_NOTIFY:
      if (cfg->notify) cfg->notify(cfg->ud, inst, e->a.u.s->s, e->b.u.s->s);
      break;
    case EF_JOURNAL:
      if (cfg->journal) {
        BpJournal line = {.time = e->time, .kind = (BpJournalKind)e->jkind,
                          .process = rt_string(inst->b, inst->b->b.processes[inst->proc].name),
                          .node = e->node ? e->node : "", .text = e->a.u.s->s};
        cfg->journal(cfg->ud, inst, &line);
      }
      break;
    case EF_CALL:
      if (cfg->call) {
        const BptAction *a = &inst->b->b.actions[e->index];
        BpCall call = {.id = e->id, .action = rt_string(inst->b, a->name), .args = e->args,
                       .nargs = e->nargs, .result_type = a->result};
        cfg->call(cfg->ud, inst, &call);
      }
      break;
    case EF_START:
      child_start(inst, e);
      break;
    }
  }
  effects_free(rt, effects);
}

/* ---- starting -------------------------------------------------------------------------------------- */

static bool param_check(Tx *tx, const Value *params, BpError *err) {
  const BptProcess *p = tx->p;
  for (uint16_t i = 0; i < p->nparams; i++) {
    const BptParam *prm = &p->params[i];
    const BptSlot *slot = &p->slots[prm->slot];
    if (params && params[i].type != BPT_T_VOID) {
      RtErr e = {0};
      Value v;
      RtCode c = rt_convert(tx->rt, params[i], slot->type, &v, &e);
      if (c != RT_OK) {
        if (c == RT_NOMEM) return nomem(tx);
        rt_fail_status(err, BP_EINVAL, "parameter `%s`: %s", rt_string(tx->b, slot->name), e.msg);
        return false;
      }
      tx->s.slots[prm->slot] = v;
    } else if (prm->required) {
      const char *label = rt_string(tx->b, prm->label);
      rt_fail_status(err, BP_EREFUSED, "`%s` cannot start: parameter `%s`%s%s%s is not given",
                     rt_string(tx->b, p->name), rt_string(tx->b, slot->name), *label ? " (" : "",
                     label, *label ? ")" : "");
      return false;
    }
  }
  return true;
}

/* Variables start empty, as fields do ("", 0, an unset date); the compiler's initializers
 * then run, but it has no constant for some types (a user, a date). */
static bool vars_empty(BpRuntime *rt, const BptProcess *p, Value *slots) {
  for (uint16_t i = 0; i < p->nslots; i++) {
    uint8_t t = p->slots[i].type;
    if (p->slots[i].kind != BPT_SLOT_VAR || rt_is_record(t)) continue;
    if (t == BPT_T_STRING || t == BPT_T_USER) {
      if (!rt_str_new(rt, "", 0, t, &slots[i])) return false;
    } else if (rt_is_list(t)) {
      if (!rt_list_new(rt, t, 0, &slots[i])) return false;
    } else {
      slots[i] = rt_empty(t);
    }
  }
  return true;
}

BpStatus rt_start_ex(BpBundle *b, uint16_t proc, BpDoc *doc, const Value *params, void *ud,
                     bool announce, BpInstance **out, BpError *err) {
  BpRuntime *rt = b->rt;
  const BptProcess *p = &b->b.processes[proc];
  *out = NULL;
  BpInstance *inst = rt_alloc(rt, sizeof *inst);
  if (!inst) return rt_fail_status(err, BP_ENOMEM, "out of memory");
  inst->b = b;
  inst->rt = rt;
  inst->proc = proc;
  inst->doc = doc;
  inst->ud = ud;
  inst->s.state = BPT_NONE16;
  inst->s.nslots = p->nslots;
  inst->s.slots = rt_alloc(rt, rt_values_bytes(p->nslots));
  if (!inst->s.slots) {
    rt_dealloc(rt, inst, sizeof *inst);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  doc->refs++;
  if (!vars_empty(rt, p, inst->s.slots)) {
    bp_instance_free(inst);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  Tx tx;
  BpStatus st = tx_begin(&tx, inst, err);
  if (st != BP_OK) {
    bp_instance_free(inst);
    return st;
  }
  BpError perr = {0};
  if (!param_check(&tx, params, &perr)) {
    tx_abort(&tx);
    bp_instance_free(inst);
    if (perr.status == BP_OK) return rt_fail_status(err, BP_ENOMEM, "out of memory");
    if (err) *err = perr;
    return perr.status;
  }
  const char *title = rt_string(b, p->title);
  journal(&tx, BP_J_STARTED, start_node(b, p), "started: %s", *title ? title : rt_string(b, p->name));
  spawn(&tx, p->entry_pc, 0, K_BODY, 0);
  run(&tx);
  fire_due(&tx, tx.now);
  if (tx.err.code == RT_NOMEM) {
    tx_abort(&tx);
    bp_instance_free(inst);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  *out = inst;
  return tx_commit(&tx, announce);
}

/* `start P(...)`, after the parent's event: a new instance on the same document, handed
 * to the host by config.started. A start that cannot happen is journalled on the parent. */
static void child_start(BpInstance *parent, const Effect *e) {
  BpBundle *b = parent->b;
  BpRuntime *rt = b->rt;
  const BptProcess *target = &b->b.processes[e->index];
  Value *params = rt_alloc(rt, rt_values_bytes(target->nparams));
  BpError err = {0};
  BpStatus st = BP_ENOMEM;
  BpInstance *child = NULL;
  if (params) {
    for (uint32_t i = 0; i + 1 < e->a.u.l->n; i += 2)
      params[e->a.u.l->items[i].u.i] = e->a.u.l->items[i + 1];
    st = rt_start_ex(b, e->index, parent->doc, params, NULL, true, &child, &err);
    rt_dealloc(rt, params, rt_values_bytes(target->nparams));
  } else {
    snprintf(err.message, sizeof err.message, "out of memory");
  }
  if (st == BP_OK) return;
  if (rt->cfg.journal) {
    char text[400];
    snprintf(text, sizeof text, "could not start %s: %s", rt_string(b, target->name), err.message);
    BpJournal line = {.time = parent->s.clock, .kind = BP_J_STARTED_OTHER,
                      .process = rt_string(b, parent->b->b.processes[parent->proc].name), .node = "",
                      .text = text};
    rt->cfg.journal(rt->cfg.ud, parent, &line);
  }
}

/* ---- events --------------------------------------------------------------------------------------- */

static const char ended_how[][12] = {"waiting", "completed", "terminated", "failed"};

static BpStatus over(BpInstance *inst, BpError *err) {
  return rt_fail_status(err, BP_EOVER, "the instance has %s; it takes no more events", ended_how[inst->s.status]);
}

/* A decision or completion for an ended instance: there is no open item. */
static BpStatus over_item(BpInstance *inst, const char *user, bool approval, BpError *err) {
  return rt_fail_status(err, BP_EOVER, "no open %s for %s: the instance has %s",
                        approval ? "approval" : "task, review or request", user, ended_how[inst->s.status]);
}

/* The open item to act on: ITEM itself, or USER's oldest open item of the kinds wanted. */
static bool find_item(Tx *tx, uint32_t item, const char *user, bool approval, uint32_t *step_id,
                      uint32_t *person, char *why, size_t why_size) {
  uint32_t best = 0;
  for (uint32_t i = 0; i < tx->s.steps.n; i++) {
    RtStep *st = RT_AT(tx->s.steps, RtStep, i);
    bool is_approval = tx->p->steps[st->t].kind == BPT_STEP_APPROVE;
    for (uint32_t k = 0; k < st->people.n; k++) {
      RtPerson *p = RT_AT(st->people, RtPerson, k);
      if (!p->item || (item && p->item != item)) continue;
      if (item) {
        if (strcmp(p->user.u.s->s, user) != 0) {
          snprintf(why, why_size, "item %u is %s's, not %s's: no open item of %s there", item,
                   p->user.u.s->s, user, user);
          return false;
        }
      } else if (strcmp(p->user.u.s->s, user) != 0 || is_approval != approval) {
        continue;
      }
      if (item && is_approval != approval) {
        snprintf(why, why_size, "item %u is %s; no open %s there", item, is_approval ? "an approval" : "not an approval",
                 approval ? "approval" : "task, review or request");
        return false;
      }
      if (!best || p->item < best) {
        best = p->item;
        *step_id = st->id;
        *person = k;
      }
    }
  }
  if (best) return true;
  if (item) snprintf(why, why_size, "no open item %u", item);
  else snprintf(why, why_size, "no open %s for %s", approval ? "approval" : "task, review or request", user);
  return false;
}

static RtStep *step_by_id(Tx *tx, uint32_t id) { return rt_state_step(&tx->s, id); }

static bool record_act(Tx *tx, RtStep *st, uint32_t person, uint8_t act, const char *comment) {
  RtPerson *p = RT_AT(st->people, RtPerson, person);
  Value c = {0};
  if (comment && *comment && !rt_str_new(tx->rt, comment, strlen(comment), BPT_T_STRING, &c)) return nomem(tx);
  p->act = act;
  p->item = 0;
  p->order = ++st->acted;
  p->at = tx->now;
  rt_unref(tx->rt, p->comment);
  p->comment = c;
  static const char verbs[][12] = {"", "approved", "rejected", "completed"};
  journal(tx, BP_J_DECIDED, step_node(tx, st->t), "%s by %s: %s%s%s%s", verbs[act], p->user.u.s->s,
          st->title.u.s->s, c.type ? " (\"" : "", c.type ? comment : "", c.type ? "\")" : "");
  return tx->err.code == RT_OK;
}

/* Comments and messages come from the host: refuse what is not UTF-8 rather than store it. */
static bool valid_text(const char *s) { return rt_valid_utf8(s, strlen(s)); }

BpStatus bp_decide(BpInstance *inst, uint32_t item, const char *user, bool approve,
                   const char *comment, BpError *err) {
  if (!inst || !user) return rt_fail_status(err, BP_EINVAL, "bp_decide: no instance or user");
  if (comment && !valid_text(comment)) return rt_fail_status(err, BP_EINVAL, "the comment is not valid UTF-8");
  if (inst->s.status != ST_WAITING) return over_item(inst, user, true, err);
  Tx tx;
  BpStatus st = tx_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  uint32_t step_id, person;
  char why[200];
  if (!find_item(&tx, item, user, true, &step_id, &person, why, sizeof why))
    return tx_refuse(&tx, err, BP_EREFUSED, why);
  if (record_act(&tx, step_by_id(&tx, step_id), person, approve ? P_APPROVED : P_REJECTED, comment)) {
    step_settled(&tx, step_id);
    run(&tx);
    fire_due(&tx, tx.now);
  }
  return tx_end(&tx, err);
}

/* A request's answers into its fields: every one given, each of its field's type. */
static bool store_answers(Tx *tx, const BptStep *d, const BpArg *answers, size_t n, BpError *err) {
  for (size_t i = 0; i < n; i++) {
    bool known = false;
    for (uint16_t f = 0; f < d->nfields && !known; f++)
      known = answers[i].name && strcmp(rt_string(tx->b, d->fields[f].name), answers[i].name) == 0;
    if (!known) {
      rt_fail_status(err, BP_EREFUSED, "`%s` is not asked for here", answers[i].name ? answers[i].name : "(null)");
      return false;
    }
  }
  for (uint16_t f = 0; f < d->nfields; f++) {
    const BptReqField *rf = &d->fields[f];
    const char *name = rt_string(tx->b, rf->name);
    const BpArg *ans = NULL;
    for (size_t i = 0; i < n && !ans; i++)
      if (strcmp(answers[i].name, name) == 0) ans = &answers[i];
    if (!ans) {
      rt_fail_status(err, BP_EREFUSED, "the answer to `%s` (%s) is missing", name, rt_string(tx->b, rf->label));
      return false;
    }
    RtErr e = {0};
    Value raw, v;
    RtCode c = rt_from_public(tx->rt, &ans->value, &raw, &e);
    if (c == RT_OK) {
      c = rt_convert(tx->rt, raw, rf->type, &v, &e);
      rt_unref(tx->rt, raw);
    }
    if (c == RT_NOMEM) return nomem(tx);
    if (c != RT_OK) {
      rt_fail_status(err, BP_EREFUSED, "the answer to `%s`: %s", name, e.msg);
      return false;
    }
    if (rf->to_slot) {
      rt_unref(tx->rt, tx->s.slots[rf->index]);
      tx->s.slots[rf->index] = v;
    } else {
      set_field(tx, rf->index, v);
    }
    RtBuf b = {0};
    rt_buf_printf(tx->rt, &b, "%s = ", name);
    text_of(tx, &b, v);
    journal_text(tx, BP_J_FIELD, "", &b);
    if (tx->err.code != RT_OK) return false;
  }
  return true;
}

BpStatus bp_complete(BpInstance *inst, uint32_t item, const char *user, const char *comment,
                     const BpArg *answers, size_t n, BpError *err) {
  if (!inst || !user || (n && !answers)) return rt_fail_status(err, BP_EINVAL, "bp_complete: no instance or user");
  if (comment && !valid_text(comment)) return rt_fail_status(err, BP_EINVAL, "the comment is not valid UTF-8");
  for (size_t i = 0; i < n; i++)
    if (!answers[i].name) return rt_fail_status(err, BP_EINVAL, "an answer without a name");
  if (inst->s.status != ST_WAITING) return over_item(inst, user, false, err);
  Tx tx;
  BpStatus st = tx_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  uint32_t step_id, person;
  char why[200];
  if (!find_item(&tx, item, user, false, &step_id, &person, why, sizeof why))
    return tx_refuse(&tx, err, BP_EREFUSED, why);
  RtStep *s = step_by_id(&tx, step_id);
  const BptStep *d = &tx.p->steps[s->t];
  if (d->kind != BPT_STEP_REQUEST && n > 0)
    return tx_refuse(&tx, err, BP_EREFUSED, "this item asks for no answers");
  if (d->kind == BPT_STEP_REQUEST) {
    BpError aerr = {0};
    if (!store_answers(&tx, d, answers, n, &aerr)) {
      if (tx.err.code == RT_NOMEM) return tx_end(&tx, err);
      return tx_refuse(&tx, err, aerr.status, aerr.message);
    }
  }
  if (record_act(&tx, step_by_id(&tx, step_id), person, P_DONE, comment)) {
    step_settled(&tx, step_id);
    run(&tx);
    fire_due(&tx, tx.now);
  }
  return tx_end(&tx, err);
}

static const BptCommand *find_command(const BptProcess *p, const BpBundle *b, uint16_t state, const char *name) {
  const BptState *s = &p->states[state];
  for (uint16_t i = 0; i < s->ncommands; i++)
    if (strcmp(rt_string(b, s->commands[i].name), name) == 0) return &s->commands[i];
  return NULL;
}

/* Whether USER may run command c: its `by` fragment's users (anyone without one). */
static RtCode command_allowed(Tx *tx, const BptCommand *c, const char *user, bool *allowed) {
  *allowed = true;
  if (c->by_pc == BPT_NO_PC || !user) return RT_OK;
  Value who;
  RtCode code = run_fragment(tx, c->by_pc, &who);
  if (code != RT_OK) return code;
  *allowed = false;
  if (who.type == BPT_T_USERS)
    for (uint32_t i = 0; i < who.u.l->n && !*allowed; i++)
      *allowed = strcmp(who.u.l->items[i].u.s->s, user) == 0;
  rt_unref(tx->rt, who);
  return RT_OK;
}

BpStatus bp_command(BpInstance *inst, const char *user, const char *name, BpError *err) {
  if (!inst || !user || !name) return rt_fail_status(err, BP_EINVAL, "bp_command: no instance, user or name");
  if (inst->s.status != ST_WAITING) return over(inst, err);
  const BptProcess *p = &inst->b->b.processes[inst->proc];
  if (p->nstates == 0 || inst->s.state == BPT_NONE16)
    return rt_fail_status(err, BP_EREFUSED, "command `%s` is not allowed: `%s` has no states", name,
                          rt_string(inst->b, p->name));
  const BptCommand *c = find_command(p, inst->b, inst->s.state, name);
  if (!c) {
    char list[200] = "";
    const BptState *s = &p->states[inst->s.state];
    for (uint16_t i = 0; i < s->ncommands; i++) {
      size_t at = strlen(list);
      snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", rt_string(inst->b, s->commands[i].name));
    }
    return rt_fail_status(err, BP_EREFUSED, "command `%s` is not allowed in state `%s` (%s%s)", name,
                          rt_string(inst->b, s->name), *list ? "its commands: " : "it has no commands", list);
  }
  Tx tx;
  BpStatus st = tx_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  bool allowed;
  RtCode code = command_allowed(&tx, c, user, &allowed);
  if (code == RT_NOMEM) return tx_end(&tx, err);
  if (code == RT_ERROR) {
    char why[300];
    snprintf(why, sizeof why, "command `%s` is not allowed: who may run it cannot be told (%s)", name, tx.frag_err.msg);
    return tx_refuse(&tx, err, BP_EREFUSED, why);
  }
  if (!allowed) {
    char why[300];
    snprintf(why, sizeof why, "%s is not allowed to run command `%s` in state `%s`", user, name,
             rt_string(inst->b, p->states[inst->s.state].name));
    return tx_refuse(&tx, err, BP_EREFUSED, why);
  }
  journal(&tx, BP_J_COMMAND, "", "command %s by %s", name, user);
  if (c->target != BPT_NONE16) enter_state(&tx, c->target);
  else spawn(&tx, c->body_pc, 0, K_STATE, 0);
  run(&tx);
  fire_due(&tx, tx.now);
  return tx_end(&tx, err);
}

size_t bp_instance_commands(BpInstance *inst, const char *user, const char **names,
                            const char **labels, size_t max) {
  if (!inst || inst->s.status != ST_WAITING || inst->s.state == BPT_NONE16) return 0;
  const BptProcess *p = &inst->b->b.processes[inst->proc];
  const BptState *s = &p->states[inst->s.state];
  size_t n = 0;
  Tx tx;
  if (tx_begin(&tx, inst, NULL) != BP_OK) return 0;
  for (uint16_t i = 0; i < s->ncommands; i++) {
    bool allowed = true;
    if (user && command_allowed(&tx, &s->commands[i], user, &allowed) != RT_OK) allowed = false;
    if (!allowed) continue;
    if (n < max) {
      if (names) names[n] = rt_string(inst->b, s->commands[i].name);
      if (labels) labels[n] = rt_string(inst->b, s->commands[i].label);
    }
    n++;
  }
  tx_abort(&tx);
  return n;
}

BpStatus bp_advance(BpInstance *inst, int64_t now, BpError *err) {
  if (!inst) return rt_fail_status(err, BP_EINVAL, "bp_advance: no instance");
  if (inst->s.status != ST_WAITING) {
    if (now > inst->s.clock) inst->s.clock = now;
    return BP_OK; /* time passes for an ended instance too; nothing happens */
  }
  Tx tx;
  BpStatus st = tx_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  /* The clock never goes back: a timer due "before now" fires at once. */
  int64_t start = inst->s.clock < tx.now ? inst->s.clock : tx.now;
  if (start < now) tx.now = start;
  fire_due(&tx, now);
  return tx_end(&tx, err);
}

static RtCall *call_by_id(Tx *tx, uint32_t id, uint32_t *index) {
  for (uint32_t i = 0; i < tx->s.calls.n; i++) {
    RtCall *c = RT_AT(tx->s.calls, RtCall, i);
    if (!id || c->id == id) {
      *index = i;
      return c;
    }
  }
  return NULL;
}

BpStatus bp_answer(BpInstance *inst, uint32_t call, const BpValue *result, BpError *err) {
  if (!inst) return rt_fail_status(err, BP_EINVAL, "bp_answer: no instance");
  if (inst->s.status != ST_WAITING) return over(inst, err);
  Tx tx;
  BpStatus st = tx_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  uint32_t index;
  RtCall *c = call_by_id(&tx, call, &index);
  if (!c) return tx_refuse(&tx, err, BP_EREFUSED, call ? "no pending call with that id" : "no pending call");
  const BptAction *a = &tx.b->b.actions[c->action];
  const char *name = rt_string(tx.b, a->name);
  Value v = {0};
  if (a->result != BPT_T_VOID) {
    if (!result) {
      char why[200];
      snprintf(why, sizeof why, "`%s` must be answered with %s", name, rt_type_name(a->result));
      return tx_refuse(&tx, err, BP_EINVAL, why);
    }
    RtErr e = {0};
    Value raw;
    RtCode code = rt_from_public(tx.rt, result, &raw, &e);
    if (code == RT_OK) {
      code = rt_convert(tx.rt, raw, a->result, &v, &e);
      rt_unref(tx.rt, raw);
    }
    if (code == RT_NOMEM) {
      nomem(&tx);
      return tx_end(&tx, err);
    }
    if (code != RT_OK) {
      char why[300];
      snprintf(why, sizeof why, "the answer to `%s`: %s", name, e.msg);
      return tx_refuse(&tx, err, BP_EINVAL, why);
    }
  }
  uint32_t tid = c->thread;
  uint16_t slot = c->slot;
  rt_unref(tx.rt, c->args);
  rt_vec_remove(&tx.s.calls, sizeof(RtCall), index);
  RtBuf b = {0};
  rt_buf_printf(tx.rt, &b, "answered %s", name);
  if (v.type != BPT_T_VOID) {
    rt_buf_puts(tx.rt, &b, ": ");
    text_of(&tx, &b, v);
  }
  journal_text(&tx, BP_J_ANSWERED, "", &b);
  if (slot != BPT_NONE16 && slot < tx.s.nslots) {
    rt_unref(tx.rt, tx.s.slots[slot]);
    tx.s.slots[slot] = v;
  } else {
    rt_unref(tx.rt, v);
  }
  RtThread *th = thread_by_id(&tx, tid);
  if (th) {
    th->wait = W_RUN;
    ready(&tx, tid);
  }
  run(&tx);
  fire_due(&tx, tx.now);
  return tx_end(&tx, err);
}

BpStatus bp_fail(BpInstance *inst, uint32_t call, const char *message, BpError *err) {
  if (!inst) return rt_fail_status(err, BP_EINVAL, "bp_fail: no instance");
  if (message && !valid_text(message)) return rt_fail_status(err, BP_EINVAL, "the message is not valid UTF-8");
  if (inst->s.status != ST_WAITING) return over(inst, err);
  Tx tx;
  BpStatus st = tx_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  uint32_t index;
  RtCall *c = call_by_id(&tx, call, &index);
  if (!c) return tx_refuse(&tx, err, BP_EREFUSED, "no pending call");
  char msg[400];
  snprintf(msg, sizeof msg, "action `%s` failed: %s", rt_string(tx.b, tx.b->b.actions[c->action].name),
           message && *message ? message : "(no message)");
  end_instance(&tx, ST_FAILED, msg);
  return tx_end(&tx, err);
}

BpStatus bp_terminate(BpInstance *inst, const char *reason, BpError *err) {
  if (!inst) return rt_fail_status(err, BP_EINVAL, "bp_terminate: no instance");
  if (reason && !valid_text(reason)) return rt_fail_status(err, BP_EINVAL, "the reason is not valid UTF-8");
  if (inst->s.status != ST_WAITING) return over(inst, err);
  Tx tx;
  BpStatus st = tx_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  end_instance(&tx, ST_TERMINATED, reason ? reason : "");
  return tx_end(&tx, err);
}

/* ---- fragments without an instance ------------------------------------------------------------------ */

RtCode rt_eval_when(BpBundle *b, uint16_t proc, BpDoc *doc, bool *holds, RtErr *e) {
  const BptProcess *p = &b->b.processes[proc];
  *holds = true;
  if (p->when_pc == BPT_NO_PC) return RT_OK;
  BpInstance tmp = {.b = b, .rt = b->rt, .proc = proc, .doc = doc};
  tmp.s.state = BPT_NONE16;
  tmp.s.nslots = p->nslots;
  tmp.s.slots = rt_alloc(b->rt, rt_values_bytes(p->nslots));
  if (!tmp.s.slots) return rt_nomem(e);
  Tx tx;
  RtCode code;
  if (tx_begin(&tx, &tmp, NULL) != BP_OK) {
    code = rt_nomem(e);
  } else {
    Value v;
    code = run_fragment(&tx, p->when_pc, &v);
    if (code == RT_OK) {
      if (v.type == BPT_T_BOOL) *holds = v.u.i != 0;
      else code = rt_error(e, "the `when` condition is not a bool");
      rt_unref(b->rt, v);
    } else if (code == RT_ERROR) {
      rt_error(e, "%s", tx.frag_err.msg);
    } else {
      rt_nomem(e);
    }
    tx_abort(&tx);
  }
  rt_state_free(b->rt, &tmp.s);
  return code;
}

/* ---- states: copy and free ---------------------------------------------------------------------- */

static bool vec_copy(BpRuntime *rt, const RtVec *from, RtVec *to, size_t sz) {
  *to = (RtVec){0};
  if (from->n == 0) return true;
  to->v = rt_alloc(rt, from->n * sz);
  if (!to->v) return false;
  memcpy(to->v, from->v, from->n * sz);
  to->n = to->cap = from->n;
  return true;
}

static Value *values_copy(BpRuntime *rt, const Value *from, uint32_t n) {
  Value *to = rt_alloc(rt, rt_values_bytes(n));
  if (!to) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    rt_ref(from[i]);
    to[i] = from[i];
  }
  return to;
}

void rt_state_free(BpRuntime *rt, RtState *s) {
  rt_unref(rt, s->message);
  if (s->fields) {
    rt_unref_all(rt, s->fields, s->nfields);
    rt_dealloc(rt, s->fields, rt_values_bytes(s->nfields));
  }
  if (s->slots) {
    rt_unref_all(rt, s->slots, s->nslots);
    rt_dealloc(rt, s->slots, rt_values_bytes(s->nslots));
  }
  for (uint32_t i = 0; i < s->steps.n; i++) step_free(rt, RT_AT(s->steps, RtStep, i));
  for (uint32_t i = 0; i < s->calls.n; i++) rt_unref(rt, RT_AT(s->calls, RtCall, i)->args);
  rt_vec_free(rt, &s->threads, sizeof(RtThread));
  rt_vec_free(rt, &s->acts, sizeof(RtAct));
  rt_vec_free(rt, &s->steps, sizeof(RtStep));
  rt_vec_free(rt, &s->timers, sizeof(RtTimer));
  rt_vec_free(rt, &s->calls, sizeof(RtCall));
  *s = (RtState){0};
}

bool rt_state_copy(BpRuntime *rt, const RtState *from, RtState *to) {
  *to = *from;
  to->fields = NULL;
  to->nfields = 0;
  to->slots = NULL;
  to->threads = to->acts = to->steps = to->timers = to->calls = (RtVec){0};
  to->message = (Value){0};
  bool ok = (to->slots = values_copy(rt, from->slots, from->nslots)) != NULL &&
            vec_copy(rt, &from->threads, &to->threads, sizeof(RtThread)) &&
            vec_copy(rt, &from->acts, &to->acts, sizeof(RtAct)) &&
            vec_copy(rt, &from->timers, &to->timers, sizeof(RtTimer));
  if (!ok) {
    rt_state_free(rt, to);
    return false;
  }
  rt_ref(from->message);
  to->message = from->message;
  for (uint32_t i = 0; i < from->calls.n; i++) {
    RtCall *c = rt_vec_push(rt, &to->calls, sizeof *c);
    if (!c) {
      rt_state_free(rt, to);
      return false;
    }
    *c = *RT_AT(from->calls, RtCall, i);
    rt_ref(c->args);
  }
  for (uint32_t i = 0; i < from->steps.n; i++) {
    const RtStep *a = RT_AT(from->steps, RtStep, i);
    RtStep *st = rt_vec_push(rt, &to->steps, sizeof *st);
    if (!st) {
      rt_state_free(rt, to);
      return false;
    }
    *st = *a;
    st->people = (RtVec){0};
    rt_ref(st->title);
    rt_ref(st->offsets);
    if (!vec_copy(rt, &a->people, &st->people, sizeof(RtPerson))) {
      rt_state_free(rt, to);
      return false;
    }
    for (uint32_t k = 0; k < st->people.n; k++) {
      RtPerson *p = RT_AT(st->people, RtPerson, k);
      rt_ref(p->user);
      rt_ref(p->comment);
    }
  }
  return true;
}
