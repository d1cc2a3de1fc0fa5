/* rt_vm.c — the interpreter: an instance's threads run the bundle's bytecode. Here are
 * the threads and fork activations, the states, the effects and journal lines an event
 * collects, failing and ending, the operand stack and the dispatch loop; the human steps
 * a STEP opens are rt_step.c's, the events that move threads on are rt_event.c's.
 *
 * Threads: a process starts with one; FORK ends it and starts one per branch in a new
 * fork activation; JOIN brings them back. A thread runs until it waits (STEP, ACTION,
 * WAIT, WAIT_UNTIL) or ends; the operand stack is empty whenever it waits (the verifier
 * guarantees it), so a resting instance is slots, program counters and the records of
 * what it waits for. Threads that are ready run in the order they became ready.
 *
 * A program error (division by zero, an unset date, a crafted bundle's mistyped value)
 * fails the instance with the message and the source position (rt_fail_at). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rt_vm.h"

/* ---- lookups --------------------------------------------------------------------------------- */

int rt_step_index(const RtState *s, uint32_t id) {
  for (uint32_t i = 0; i < s->steps.n; i++)
    if (RT_AT(s->steps, RtStep, i)->id == id) return (int)i;
  return -1;
}

RtStep *rt_state_step(RtState *s, uint32_t id) {
  int i = rt_step_index(s, id);
  return i < 0 ? NULL : RT_AT(s->steps, RtStep, i);
}

static RtAct *act_by_id(Tx *tx, uint32_t id) {
  for (uint32_t i = 0; i < tx->s.acts.n; i++)
    if (RT_AT(tx->s.acts, RtAct, i)->id == id) return RT_AT(tx->s.acts, RtAct, i);
  return NULL;
}

/* The graph node of the statement at pc: the node placed where the line table puts pc. */
static const char *pc_node(const Tx *tx, uint32_t pc) {
  int64_t at = rt_line_at(tx->b, tx->p, pc);
  return at < 0 ? "" : rt_node_id(tx->b, tx->rp->line_node[at]);
}

const char *rt_pc_node(const Tx *tx, uint32_t pc) { return pc_node(tx, pc); }

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

/* ---- effects and journal lines --------------------------------------------------------------- */

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

void rt_journal_text(Tx *tx, BpJournalKind kind, const char *node, RtBuf *text) {
  if (!rt_journaling(tx)) {
    rt_buf_free(tx->rt, text);
    return;
  }
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

void rt_journal_line(Tx *tx, BpJournalKind kind, const char *node, const char *fmt, ...) {
  if (tx->err.code != RT_OK || !rt_journaling(tx)) return;
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  RtBuf b = {0};
  rt_buf_puts(tx->rt, &b, tmp);
  rt_journal_text(tx, kind, node, &b);
}

/* The text of v for a journal line ("(not set)" rather than an error). */
void rt_text_of(Tx *tx, RtBuf *b, Value v) {
  RtErr e = {0};
  if (rt_text(tx->rt, b, v, &e) == RT_ERROR) rt_buf_puts(tx->rt, b, "(not set)");
}

void rt_effect_args_free(BpRuntime *rt, Effect *e) {
  for (size_t k = 0; k < e->nargs; k++) bp_value_free(rt, &e->args[k]);
  rt_dealloc(rt, e->args, e->nargs * sizeof *e->args);
  e->args = NULL;
}

void rt_effects_free(BpRuntime *rt, RtVec *effects) {
  for (uint32_t i = 0; i < effects->n; i++) rt_effect_release(rt, RT_AT(*effects, Effect, i));
  rt_vec_free(rt, effects, sizeof(Effect));
}

/* ---- failing, ending ------------------------------------------------------------------------- */

/* Everything the instance waits for goes: steps (their items withdrawn), timers, calls,
 * threads, fork activations. */
static void cancel_all(Tx *tx) {
  for (uint32_t i = 0; i < tx->s.steps.n; i++) {
    rt_withdraw_open_items(tx, RT_AT(tx->s.steps, RtStep, i));
    rt_step_free(tx->rt, RT_AT(tx->s.steps, RtStep, i));
  }
  tx->s.steps.n = 0;
  for (uint32_t i = 0; i < tx->s.calls.n; i++) rt_unref(tx->rt, RT_AT(tx->s.calls, RtCall, i)->args);
  tx->s.calls.n = 0;
  tx->s.timers.n = 0;
  tx->s.threads.n = 0;
  tx->s.acts.n = 0;
  /* The run queue keeps its ids: those of the threads gone are skipped by rt_run(). */
}

/* The instance ends; NODE is the graph node where (for the journal and traces). */
static void end_instance_at(Tx *tx, uint8_t status, const char *message, const char *node) {
  if (tx->s.status != ST_WAITING) return;
  cancel_all(tx);
  tx->s.status = status;
  Value m = rt_empty_text(tx->b, BPT_T_STRING);
  if (*message && !rt_str_new(tx->rt, message, strlen(message), BPT_T_STRING, &m)) {
    nomem(tx);
    return;
  }
  rt_unref(tx->rt, tx->s.message);
  tx->s.message = m;
  if (status == ST_COMPLETED) rt_journal(tx, BP_J_COMPLETED, node, "completed");
  else if (status == ST_TERMINATED)
    rt_journal(tx, BP_J_TERMINATED, node, *message ? "terminated: %s" : "terminated%s", message);
  else rt_journal(tx, BP_J_FAILED, node, "failed: %s", message);
}

void rt_end_instance(Tx *tx, uint8_t status, const char *message) { end_instance_at(tx, status, message, ""); }

/* A program error at pc: the instance fails, naming the source position. In a fragment
 * the error goes to the fragment's caller instead. */
bool rt_fail_at(Tx *tx, uint32_t pc, const char *fmt, ...) {
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
  return rt_fail_at(tx, pc, "%s", e->msg);
}

/* ---- threads and fork activations ------------------------------------------------------------ */

RtThread *rt_spawn(Tx *tx, uint32_t pc, uint32_t act, uint8_t kind, uint32_t step) {
  if (tx->s.threads.n >= BP_MAX_THREADS) {
    rt_fail_at(tx, pc, "more than %u threads alive at once (parallel branches, command bodies and handlers "
               "that wait; the limit is BP_MAX_THREADS)", (unsigned)BP_MAX_THREADS);
    return NULL;
  }
  RtThread *th = rt_vec_push_unset(tx->rt, &tx->s.threads, sizeof *th); /* written whole below */
  if (!th) {
    nomem(tx);
    return NULL;
  }
  *th = (RtThread){.id = rt_new_id(tx), .pc = pc, .act = act, .step = step, .wait = W_RUN, .kind = kind};
  uint32_t id = th->id;
  if (!rt_ready(tx, id)) return NULL;
  return thread_by_id(tx, id);
}

void rt_remove_thread(Tx *tx, uint32_t tid) {
  for (uint32_t i = 0; i < tx->s.threads.n; i++)
    if (RT_AT(tx->s.threads, RtThread, i)->id == tid) {
      vec_remove_at(&tx->s.threads, sizeof(RtThread), i);
      return;
    }
}

/* A thread goes, with what it waits for (its step's items withdrawn, its timer, its
 * call) and the handler threads of its step. */
void rt_cancel_thread(Tx *tx, uint32_t tid) {
  RtThread *th = thread_by_id(tx, tid);
  if (!th) return;
  uint8_t wait = th->wait;
  rt_remove_thread(tx, tid);
  if (wait == W_TIMER) rt_remove_timers(tx, TM_WAIT, TM_WAIT, tid);
  for (uint32_t i = tx->s.calls.n; i-- > 0;) {
    RtCall *c = RT_AT(tx->s.calls, RtCall, i);
    if (c->thread != tid) continue;
    rt_unref(tx->rt, c->args);
    rt_vec_remove(&tx->s.calls, sizeof(RtCall), i);
  }
  for (uint32_t i = 0; i < tx->s.steps.n; i++) {
    RtStep *st = RT_AT(tx->s.steps, RtStep, i);
    if (st->thread == tid) {
      rt_remove_step(tx, st->id);
      break;
    }
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
    rt_cancel_thread(tx, victim);
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

/* ---- states and document fields -------------------------------------------------------------- */

void rt_enter_state(Tx *tx, uint16_t q) {
  cancel_all(tx);
  if (tx->err.code != RT_OK) return;
  const BptState *st = &tx->p->states[q];
  tx->s.state = q;
  const char *label = rt_string(tx->b, st->label);
  rt_journal(tx, BP_J_STATE, "", "state: %s%s%s%s", rt_string(tx->b, st->name), *label ? " (" : "",
             label, *label ? ")" : "");
  if (st->enter_pc != BPT_NO_PC) rt_spawn(tx, st->enter_pc, 0, K_STATE, 0);
  else if (st->final) rt_end_instance(tx, ST_COMPLETED, "");
}

/* A document field gets a new value (this event's changes start the processes watching). */
bool rt_set_field(Tx *tx, uint16_t f, Value v) {
  Value *at = &tx->s.fields[f];
  /* (two texts of a type compared here, without rt_equal's call: most fields set) */
  bool same = at->type == v.type && (v.type == BPT_T_STRING || v.type == BPT_T_USER ? rt_text_equal(at->u.s, v.u.s) : rt_equal(*at, v));
  if (!same) tx->changed[f] = tx->any_changed = true;
  if (tx->logged[f / 8] >> (f % 8) & 1) { /* this event's own value: it goes */
    rt_unref(tx->rt, *at);
    *at = v;
    return true;
  }
  RtFieldUndo *u = rt_vec_push_unset(tx->rt, &tx->field_undo, sizeof *u);
  if (!u) {
    rt_unref(tx->rt, v);
    return nomem(tx);
  }
  *u = (RtFieldUndo){.f = f, .old = *at}; /* whole; the old value's reference moves to the log */
  tx->logged[f / 8] |= (uint8_t)(1u << (f % 8));
  *at = v;
  return true;
}

/* ---- the operand stack ----------------------------------------------------------------------- */

static inline bool push(Tx *tx, Value v, uint32_t pc) {
  if (tx->sp >= BPT_STACK_MAX) {
    rt_unref(tx->rt, v);
    return rt_fail_at(tx, pc, "the operand stack overflows");
  }
  tx->stack[tx->sp++] = v;
  return true;
}

bool rt_pop_wrong(Tx *tx, Value *v, uint8_t type, const char *what, uint32_t pc) {
  uint8_t got = v->type;
  rt_unref(tx->rt, *v);
  *v = (Value){0};
  return rt_fail_at(tx, pc, "%s must be %s, not %s", what, bpt_type_name(type), bpt_type_name(got));
}

void rt_stack_clear(Tx *tx) {
  while (tx->sp > 0) rt_unref(tx->rt, tx->stack[--tx->sp]);
}

/* Pops n values; *vals gets them in push order. */
void rt_pop_n(Tx *tx, unsigned n, Value *vals) {
  tx->sp -= (int)n;
  memcpy(vals, &tx->stack[tx->sp], n * sizeof *vals);
}

static bool make_list(Tx *tx, Value *vals, unsigned n, uint32_t pc, Value *out) {
  uint8_t elem = n ? vals[0].type : BPT_T_VOID;
  for (unsigned i = 0; i < n; i++)
    if (vals[i].type != elem || rt_is_list(elem) || rt_is_record(elem) || elem == BPT_T_VOID)
      return rt_fail_at(tx, pc, "a list's items must be of one type");
  if (!rt_list_new(tx->rt, (uint8_t)(BPT_T_LIST | elem), n, out)) return nomem(tx);
  memcpy(out->u.l->items, vals, n * sizeof *vals);
  for (unsigned i = 0; i < n; i++) vals[i] = (Value){0};
  return true;
}

/* Whether LIST (users) is already what make_users would make of it alone: none unset,
 * each once as far as rt_users_distinct knows (then at most 341, within BP_MAX_USERS).
 * An immortal list found so is kept as the instance's users_known, and known at once the
 * next time: the same list goes through USERS for a step, for the step's people
 * (rt_add_people) and for a notification, in this event or a later one. A counted one is
 * held by the event (Tx.users_held), and known at once in it: USERS, then the step. */
static bool users_as_made(Tx *tx, Value list) {
  const RtList *l = list.u.l;
  if (list.type != BPT_T_USERS) return false;
  if (l == tx->inst->users_known || l == tx->users_held) return true;
  for (uint32_t i = 0; i < l->n; i++)
    if (l->items[i].type != BPT_T_USER || l->items[i].u.s->len == 0) return false;
  if (!rt_users_distinct(l)) return false;
  if (l->ref == RT_IMMORTAL) {
    tx->inst->users_known = l;
  } else if (!tx->users_held && !tx->unsnapped) { /* (an unsnapped event lets go of none: tx_commit) */
    rt_ref(list);
    tx->users_held = list.u.l;
  }
  return true;
}

/* Whether USERS 1 leaves X as it is: a set user, or a list of users as made. Not inline:
 * its loops would weigh on the interpreter's fast loop, which every instruction runs. */
static __attribute__((noinline)) bool users_left(Tx *tx, Value x) {
  return (x.type == BPT_T_USER && x.u.s->len > 0) || users_as_made(tx, x);
}

/* USERS n: the union of users and user lists, each person once, in order. */
static bool make_users(Tx *tx, Value *vals, unsigned n, uint32_t pc, Value *out) {
  /* `approve voters`: a list that is already each person once is the result itself
   * (lists are immutable: shared, counted). */
  if (n == 1 && vals[0].type == BPT_T_USER && vals[0].u.s->len > 0) {
    *out = vals[0]; /* one person: the user itself (rt_who_view); the reference moves */
    vals[0] = (Value){0};
    return true;
  }
  if (n == 1 && users_as_made(tx, vals[0])) {
    rt_ref(vals[0]);
    *out = vals[0];
    return true;
  }
  uint32_t total = 0;
  for (unsigned i = 0; i < n; i++) {
    if (vals[i].type == BPT_T_USER) total++;
    else if (rt_is_list(vals[i].type) && (vals[i].type == BPT_T_USERS || vals[i].u.l->n == 0))
      total += vals[i].u.l->n;
    else return rt_fail_at(tx, pc, "people must be users, not %s", bpt_type_name(vals[i].type));
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
  if (!rt_users_unique(tx->rt, out, k)) {
    rt_unref(tx->rt, *out);
    return nomem(tx);
  }
  RtErr e;
  RT_ERR_NONE(e);
  if (rt_users_bounded(out, &e) == RT_OK) return true;
  rt_unref(tx->rt, *out);
  *out = (Value){0};
  return rt_fail_at(tx, pc, "%s", e.msg);
}

/* The text in b (made whole) placed in ROOM, immortal, and b let go; false when it does
 * not fit there (b is left as it is). */
static bool text_in_room(Tx *tx, RtRoom *room, RtBuf *b, Value *out) {
  if (b->nomem || b->toolong || !rt_room_text(room, b->s, b->len, BPT_T_STRING, out)) return false;
  rt_buf_free(tx->rt, b);
  return true;
}

/* The text in b as a note in tx's notes room (Tx.notes_room). */
static bool note_in_tx(Tx *tx, RtBuf *b, Value *out) {
  RtRoom notes = {tx->notes_room + tx->notes_used, TX_NOTES_ROOM - (size_t)tx->notes_used};
  if (!text_in_room(tx, &notes, b, out)) return false;
  tx->notes_used = (uint16_t)(notes.at - tx->notes_room);
  return true;
}

/* The text in b placed in its instance's document (BpDoc.made). */
static bool text_in_doc(Tx *tx, RtBuf *b, Value *out) { return text_in_room(tx, &tx->inst->doc->made, b, out); }

/* text_placed's answers: not placed (make_text_built makes it), or placed and its pieces
 * all immortal (nothing to let go: the constants, the document's texts in its room), or
 * placed with a counted piece among them. */
enum { TEXT_NOT_PLACED, TEXT_PLACED_UNCOUNTED, TEXT_PLACED };

/* text_placed's end: the text of LEN bytes made of the pieces VALS, placed in its room;
 * INTS holds the digits of its int pieces, in order (none without). */
static inline int text_put(Tx *tx, const Value *vals, unsigned n, bool note, Value *out, size_t len, bool counted,
                           char (*ints)[20], const uint8_t *int_len) {
  if (len > BP_MAX_STRING) return TEXT_NOT_PLACED;
  RtRoom notes = {tx->notes_room + tx->notes_used, TX_NOTES_ROOM - (size_t)tx->notes_used};
  RtRoom *room = note ? &notes : &tx->inst->doc->made;
  RtStr *p = rt_room_take(room, sizeof *p + len + 1);
  if (!p) return TEXT_NOT_PLACED;
  if (note) tx->notes_used = (uint16_t)(notes.at - tx->notes_room);
  p->ref = RT_IMMORTAL;
  p->len = (uint32_t)len;
  char *d = p->s;
  for (unsigned i = 0, k = 0; i < n; i++) { /* (rt_copy_text: a short piece without a call) */
    if (ints && vals[i].type == BPT_T_INT) {
      rt_copy_text(d, ints[k], int_len[k]);
      d += int_len[k++];
      continue;
    }
    const RtStr *x = vals[i].u.s;
    rt_copy_text(d, x->s, x->len);
    d += x->len;
  }
  *d = '\0';
  *out = (Value){.type = BPT_T_STRING, .u.s = p};
  return counted ? TEXT_PLACED : TEXT_PLACED_UNCOUNTED;
}

/* text_placed of pieces among which are ints ("{n} of {total}"), up to TEXT_PLACED_INTS
 * of them, written as rt_text writes them. Out of line: most texts have none, and within
 * text_placed it made that too large for gcc to inline into the interpreter. */
enum { TEXT_PLACED_INTS = 4 };
static __attribute__((noinline)) int text_placed_ints(Tx *tx, const Value *vals, unsigned n, bool note, Value *out) {
  size_t len = 0;
  bool counted = false;
  char ints[TEXT_PLACED_INTS][20];
  uint8_t int_len[TEXT_PLACED_INTS];
  unsigned nints = 0;
  for (unsigned i = 0; i < n; i++) {
    if (vals[i].type == BPT_T_STRING || vals[i].type == BPT_T_USER) {
      len += vals[i].u.s->len;
      counted |= vals[i].u.s->ref != RT_IMMORTAL;
    } else if (vals[i].type == BPT_T_INT && nints < TEXT_PLACED_INTS) {
      int_len[nints] = (uint8_t)rt_format_int(vals[i].u.i, ints[nints]);
      len += int_len[nints++];
    } else {
      return TEXT_NOT_PLACED;
    }
  }
  return text_put(tx, vals, n, note, out, len, counted, ints, int_len);
}

/* make_text of pieces that are all texts (a title: the constants between the document's
 * texts) or a few ints (text_placed_ints), when the whole fits its room: the bytes are
 * copied once, piece by piece, into the text's place there, not into a buffer first and
 * then into the room. TEXT_NOT_PLACED, with nothing taken, for anything else
 * (make_text_built then does it as before, with the same result: the same bytes, or the
 * same error for a text past BP_MAX_STRING). The pieces are the caller's to let go, as
 * make_text's. */
static inline int text_placed(Tx *tx, const Value *vals, unsigned n, bool note, Value *out) {
  size_t len = 0;
  bool counted = false;
  for (unsigned i = 0; i < n; i++) {
    if (vals[i].type != BPT_T_STRING && vals[i].type != BPT_T_USER)
      return vals[i].type == BPT_T_INT ? text_placed_ints(tx, vals, n, note, out) : TEXT_NOT_PLACED;
    len += vals[i].u.s->len;
    counted |= vals[i].u.s->ref != RT_IMMORTAL;
  }
  return text_put(tx, vals, n, note, out, len, counted, NULL, NULL);
}

/* TEXT n. NOTE: the text goes to the NOTIFY that follows, which only hands it to the host
 * at the commit (an effect): it may live in the transaction (note_in_tx). Any other may
 * live in the document while it has room (text_in_doc). Built in a buffer: what
 * text_placed does not place (make_text tries that first). */
static bool make_text_built(Tx *tx, Value *vals, unsigned n, uint32_t pc, bool note, Value *out) {
  char room[RT_BUF_ROOM];
  RtBuf b = rt_buf_on(room, sizeof room);
  RtErr e;
  RT_ERR_NONE(e);
  for (unsigned i = 0; i < n; i++) {
    /* A text that fits the buffer as it is (most pieces: the constants between the
     * values, and the values that are texts) is copied here; anything else is rt_text's. */
    const Value v = vals[i];
    if ((v.type == BPT_T_STRING || v.type == BPT_T_USER) && !b.nomem && !b.toolong &&
        v.u.s->len < b.cap - b.len && v.u.s->len <= BP_MAX_STRING - b.len) {
      char *d = b.s + b.len;
      const char *s = v.u.s->s;
      size_t len = v.u.s->len;
      if (len >= 8 && len <= 16) { /* the usual piece: two loads and stores that may overlap, no call */
        uint64_t x, y;
        memcpy(&x, s, 8), memcpy(&y, s + len - 8, 8);
        memcpy(d, &x, 8), memcpy(d + len - 8, &y, 8);
      } else {
        memcpy(d, s, len);
      }
      b.len += v.u.s->len;
      b.s[b.len] = '\0';
      continue;
    }
    if (rt_text(tx->rt, &b, v, &e) != RT_OK) {
      rt_buf_free(tx->rt, &b);
      return check(tx, e.code, &e, pc);
    }
  }
  if (note && note_in_tx(tx, &b, out)) return true;
  if (!note && text_in_doc(tx, &b, out)) return true;
  RtCode code = rt_buf_value(tx->rt, &b, BPT_T_STRING, out, &e);
  return check(tx, code, &e, pc);
}

/* TEXT n (the pieces VALS stay the caller's to let go). */
static bool make_text(Tx *tx, Value *vals, unsigned n, uint32_t pc, bool note, Value *out) {
  return text_placed(tx, vals, n, note, out) != TEXT_NOT_PLACED || make_text_built(tx, vals, n, pc, note, out);
}

/* ---- the instructions that reach outside ----------------------------------------------------- */

static const BpOp binops[] = {
    [BPT_OP_ADD] = BP_OP_ADD, [BPT_OP_SUB] = BP_OP_SUB, [BPT_OP_MUL] = BP_OP_MUL,
    [BPT_OP_DIV] = BP_OP_DIV, [BPT_OP_MOD] = BP_OP_MOD, [BPT_OP_EQ] = BP_OP_EQ,
    [BPT_OP_NE] = BP_OP_NE,   [BPT_OP_LT] = BP_OP_LT,   [BPT_OP_LE] = BP_OP_LE,
    [BPT_OP_GT] = BP_OP_GT,   [BPT_OP_GE] = BP_OP_GE,   [BPT_OP_IN] = BP_OP_IN,
};

static bool notify(Tx *tx, Value who, Value msg, uint32_t pc) {
  if (who.type != BPT_T_USERS) return rt_fail_at(tx, pc, "`notify` needs users, not %s", bpt_type_name(who.type));
  if (msg.type != BPT_T_STRING) return rt_fail_at(tx, pc, "a message must be a string");
  const char *node = rt_journaling(tx) ? pc_node(tx, pc) : ""; /* for the journal only: a search */
  /* many people: their effects made room for at once, not by doubling */
  if (who.u.l->n > TX_LENT_EFFECTS && !rt_vec_reserve(tx->rt, &tx->effects, sizeof(Effect), who.u.l->n))
    return nomem(tx);
  for (uint32_t i = 0; i < who.u.l->n; i++) {
    Effect *e = rt_vec_push_unset(tx->rt, &tx->effects, sizeof *e); /* written whole below */
    if (!e) return nomem(tx);
    rt_ref(who.u.l->items[i]);
    rt_ref(msg);
    *e = (Effect){.kind = EF_NOTIFY, .time = tx->now, .a = who.u.l->items[i], .b = msg};
    rt_journal(tx, BP_J_NOTIFIED, node, "notified %s: %s", who.u.l->items[i].u.s->s, msg.u.s->s);
  }
  return tx->err.code == RT_OK;
}

static bool call_action(Tx *tx, uint32_t tid, const BptInsn *in, uint32_t pc, uint32_t next) {
  uint16_t a = (uint16_t)in->arg[0];
  unsigned n = in->arg[1];
  const BptAction *act = &tx->b->b.actions[a];
  Value args;
  if (!rt_list_new(tx->rt, BPT_T_LIST | BPT_T_VOID, n, &args)) return nomem(tx);
  rt_pop_n(tx, n, args.u.l->items);
  for (unsigned i = 0; i < n; i++)
    if (args.u.l->items[i].type != act->params[i].type) {
      uint8_t got = args.u.l->items[i].type;
      rt_unref(tx->rt, args);
      return rt_fail_at(tx, pc, "argument %u of `%s` must be %s, not %s", i + 1, rt_string(tx->b, act->name),
                        bpt_type_name(act->params[i].type), bpt_type_name(got));
    }
  RtCall *c = rt_vec_push(tx->rt, &tx->s.calls, sizeof *c);
  if (!c) {
    rt_unref(tx->rt, args);
    return nomem(tx);
  }
  *c = (RtCall){.id = rt_new_id(tx), .thread = tid, .action = a, .slot = (uint16_t)in->arg[2], .args = args};
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
  /* no arguments: no array (it is freed by its count, and a count of 0
   * must not stand for an allocation of one) */
  e->args = n ? rt_alloc(tx->rt, n * sizeof *e->args) : NULL;
  if (n && !e->args) return nomem(tx);
  for (unsigned i = 0; i < n; i++) {
    if (!rt_to_owned(tx->rt, args.u.l->items[i], &e->args[i])) return nomem(tx);
    e->nargs = i + 1;
  }
  if (!rt_journaling(tx)) return true;
  RtBuf b = {0};
  rt_buf_printf(tx->rt, &b, "called %s(", rt_string(tx->b, act->name));
  for (unsigned i = 0; i < n; i++) {
    if (i) rt_buf_puts(tx->rt, &b, ", ");
    rt_text_of(tx, &b, args.u.l->items[i]);
  }
  rt_buf_puts(tx->rt, &b, ")");
  rt_journal_text(tx, BP_J_CALLED, pc_node(tx, pc), &b);
  return tx->err.code == RT_OK;
}

static bool start_other(Tx *tx, const BptInsn *in, uint32_t pc) {
  unsigned n = in->arg[1];
  Value args;
  if (!rt_list_new(tx->rt, BPT_T_LIST | BPT_T_VOID, 2 * n, &args)) return nomem(tx);
  rt_pop_n(tx, 2 * n, args.u.l->items);
  const BptProcess *target = &tx->b->b.processes[in->arg[0]];
  for (unsigned i = 0; i < n; i++) {
    Value idx = args.u.l->items[2 * i];
    if (idx.type != BPT_T_INT || idx.u.i < 0 || idx.u.i >= target->nparams) {
      rt_unref(tx->rt, args);
      return rt_fail_at(tx, pc, "`start %s`: a parameter index out of range", rt_string(tx->b, target->name));
    }
  }
  rt_journal(tx, BP_J_STARTED_OTHER, pc_node(tx, pc), "starts %s", rt_string(tx->b, target->name));
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
    if (v.type != BPT_T_DURATION) return rt_fail_at(tx, pc, "`wait` needs a duration");
    if (__builtin_add_overflow(tx->now, v.u.i, &at)) return rt_fail_at(tx, pc, "the time is out of range");
  } else if (v.type == BPT_T_DATE || v.type == BPT_T_DATETIME) {
    if (v.unset) return rt_fail_at(tx, pc, "`wait until` a %s that is not set", bpt_type_name(v.type));
    if (__builtin_mul_overflow(v.u.i, (int64_t)(v.type == BPT_T_DATE ? 86400 : 60), &at))
      return rt_fail_at(tx, pc, "the time is out of range");
  } else {
    return rt_fail_at(tx, pc, "`wait until` needs a date or datetime");
  }
  RtThread *th = thread_by_id(tx, tid);
  th->wait = W_TIMER;
  th->pc = next;
  return rt_add_timer(tx, at, TM_WAIT, tid, 0);
}

/* ---- errors a process can catch: try scopes ---------------------------------------------------- */

/* TRY g k s j: the thread enters a new try scope, an activation of group g nested in its
 * own, and goes on into the body. */
static bool enter_try(Tx *tx, uint32_t tid, const BptInsn *in, uint32_t pc) {
  RtThread *th = thread_by_id(tx, tid);
  uint32_t parent = th->act, kind = th->kind, step = th->step, id = rt_new_id(tx);
  RtAct *a = rt_vec_push(tx->rt, &tx->s.acts, sizeof *a);
  if (!a) return nomem(tx);
  *a = (RtAct){.id = id, .parent = parent, .group = (uint16_t)in->arg[0], .race = RT_ACT_TRY,
               .try_pc = pc, .kind = (uint8_t)kind, .step = step};
  thread_by_id(tx, tid)->act = id;
  return true;
}

/* TRY_END g: the thread leaves its try scope (anything else still in it is cancelled). */
static bool leave_try(Tx *tx, uint32_t tid, const BptInsn *in, uint32_t pc) {
  RtAct *a = act_by_id(tx, thread_by_id(tx, tid)->act);
  if (!a || a->race != RT_ACT_TRY || a->group != in->arg[0])
    return rt_fail_at(tx, pc, "TRY_END of group %u outside its try scope", in->arg[0]);
  uint32_t act_id = a->id, parent = a->parent;
  cancel_race(tx, act_id, tid);
  if (tx->err.code != RT_OK) return false;
  remove_act(tx, act_id);
  thread_by_id(tx, tid)->act = parent;
  return true;
}

/* Does the constant list k (empty: any code) hold code? */
static bool catches(const Tx *tx, uint32_t k, Value code) {
  Value list = tx->b->consts[k];
  if (!rt_is_list(list.type)) return false;
  if (list.u.l->n == 0) return true;
  for (uint32_t i = 0; i < list.u.l->n; i++)
    if (rt_equal(list.u.l->items[i], code)) return true;
  return false;
}

/* "CODE" or "CODE: message", appended to b. */
static void error_text(Tx *tx, RtBuf *b, Value code, Value message) {
  rt_text_of(tx, b, code);
  if (message.type == BPT_T_STRING && message.u.s->len) {
    rt_buf_puts(tx->rt, b, ": ");
    rt_text_of(tx, b, message);
  }
}

/* Scope act_id catches the error: everything in it goes, and a thread of the scope's
 * parent goes on at the catch target with the code and message in the TRY's slots. */
static bool catch_in(Tx *tx, uint32_t act_id, const BptInsn *in, Value code, Value message) {
  RtAct *a = act_by_id(tx, act_id);
  uint32_t parent = a->parent, step = a->step, try_pc = a->try_pc;
  uint8_t kind = a->kind;
  if (rt_journaling(tx)) {
    RtBuf b = {0};
    rt_buf_puts(tx->rt, &b, "error ");
    error_text(tx, &b, code, message);
    rt_buf_puts(tx->rt, &b, " caught");
    rt_journal_text(tx, BP_J_CAUGHT, pc_node(tx, try_pc), &b);
  }
  cancel_race(tx, act_id, 0);
  remove_act(tx, act_id);
  if (tx->err.code != RT_OK) return false;
  uint16_t s = (uint16_t)in->arg[2];
  rt_ref(code);
  rt_ref(message);
  rt_slot_let_go(tx, s);
  rt_slot_let_go(tx, s + 1u);
  tx->s.slots[s] = code;
  tx->s.slots[s + 1] = message;
  rt_spawn(tx, in->arg[3], parent, kind, step);
  return false;
}

bool rt_raise(Tx *tx, uint32_t tid, Value code, Value message, uint32_t pc, const char *origin) {
  if (code.type != BPT_T_STRING || message.type != BPT_T_STRING)
    return rt_fail_at(tx, pc, "an error's code and message must be strings");
  if (code.u.s->len == 0) return rt_fail_at(tx, pc, "an error's code must not be empty");
  RtThread *th = thread_by_id(tx, tid);
  uint32_t act = th ? th->act : 0;
  for (int guard = 0; act && guard < 100000; guard++) {
    RtAct *a = act_by_id(tx, act);
    if (!a) break;
    if (a->race == RT_ACT_TRY) {
      BptInsn in;
      if (!bpt_decode(tx->code, tx->p->code_size, a->try_pc, &in) || in.op != BPT_OP_TRY)
        return rt_fail_at(tx, pc, "a try scope without its TRY");
      if (catches(tx, in.arg[1], code)) return catch_in(tx, act, &in, code, message);
    }
    act = a->parent;
  }
  RtBuf b = {0};
  if (origin) rt_buf_printf(tx->rt, &b, "%s failed with ", origin);
  rt_buf_puts(tx->rt, &b, "error ");
  error_text(tx, &b, code, message);
  if (b.nomem) {
    rt_buf_free(tx->rt, &b);
    return nomem(tx);
  }
  rt_fail_at(tx, pc, "%s", b.s);
  rt_buf_free(tx->rt, &b);
  return false;
}

/* ---- the interpreter loop -------------------------------------------------------------------- */

/* x OP y of two ints into *out, as rt_binop computes it, when no error can come of it
 * (no overflow, no division by zero); false: rt_binop does it and reports the error. */
static inline bool int_binop(uint8_t op, int64_t x, int64_t y, Value *out) {
  int64_t r;
  switch ((BptOp)op) {
  case BPT_OP_ADD: if (__builtin_add_overflow(x, y, &r)) return false; break;
  case BPT_OP_SUB: if (__builtin_sub_overflow(x, y, &r)) return false; break;
  case BPT_OP_MUL: if (__builtin_mul_overflow(x, y, &r)) return false; break;
  case BPT_OP_DIV:
  case BPT_OP_MOD:
    if (y == 0 || (x == INT64_MIN && y == -1)) return false;
    r = op == BPT_OP_DIV ? x / y : x % y;
    break;
  case BPT_OP_EQ: *out = rt_bool(x == y); return true;
  case BPT_OP_NE: *out = rt_bool(x != y); return true;
  case BPT_OP_LT: *out = rt_bool(x < y); return true;
  case BPT_OP_LE: *out = rt_bool(x <= y); return true;
  case BPT_OP_GT: *out = rt_bool(x > y); return true;
  case BPT_OP_GE: *out = rt_bool(x >= y); return true;
  default: return false;
  }
  *out = rt_int(r);
  return true;
}

/* A fragment (`when`, `by`) computes a value: no waiting, no effects, no control of
 * threads (BPT_F_EFFECT); RESULT ends it and nothing else (BPT_F_RESULT). The verifier
 * refuses a bundle that breaks this; the interpreter checks it all the same. */
static bool not_allowed(Tx *tx, uint8_t op, uint32_t pc) {
  return rt_fail_at(tx, pc, "%s is not allowed %s", bpt_ops[op].name,
                    tx->in_fragment ? "in an expression fragment" : "outside an expression fragment");
}

/* A value the compiler's code stores where a type is declared (a slot, a document field)
 * has that type: unset (slots only), the declared type, or an empty list where a list
 * is declared -- the rule restore applies to a saved state (rt_save.c, fits_declared).
 * Only a crafted bundle stores anything else; the verifier does not type the stack, so
 * the store fails the instance here instead of leaving a value that confuses the
 * instructions reading it and a state that restore refuses. */
static bool misfit_store(Tx *tx, Value x, uint8_t declared, int slot_kind, uint32_t pc, const char *where,
                         uint32_t i) {
  if (x.type == BPT_T_VOID && slot_kind >= 0) return true;
  if (rt_is_list(x.type) && rt_is_list(declared) && x.u.l->n == 0) return true;
  rt_unref(tx->rt, x);
  return rt_fail_at(tx, pc, "%s stored into %s %u, which holds %s", bpt_type_name(x.type), where, i,
                    bpt_type_name(declared));
}

static inline bool fits_store(Tx *tx, Value x, uint8_t declared, int slot_kind, uint32_t pc, const char *where,
                              uint32_t i) {
  return slot_kind == BPT_SLOT_HIDDEN || x.type == declared || misfit_store(tx, x, declared, slot_kind, pc, where, i);
}

/* The event ran out of its step budget. In an advance that fired several timers the
 * cause is rather a timer that keeps re-arming itself than a loop. */
static bool runaway(Tx *tx, uint32_t pc) {
  uint32_t budget = bp_runtime_step_budget(tx->rt);
  if (tx->advancing && (tx->fired > 1 || tx->budget_carried))
    return rt_fail_at(tx, pc, "more than %u instructions in one advance of the clock (a timer that keeps "
                      "re-arming itself, such as an `on timeout` that sets a new due time?)", budget);
  return rt_fail_at(tx, pc, "more than %u instructions without waiting (a loop with no human step or wait?)", budget);
}

/* The general path: runs thread tid (tid 0: a fragment) from *pc, every check made, the
 * step budget (tx->budget) charged for each instruction, at least one instruction and
 * on until the next one has a fast form (*pc: where). Returns false when the event must
 * stop looking at this thread (it waits, ended, failed, or memory ran out). */
static bool step(Tx *tx, uint32_t tid, uint32_t *at) {
  uint32_t pc = *at;
  uint32_t size = tx->p->code_size;
  const uint32_t *insn_at = tx->rp->insn_at;
  const RtOp *ops = tx->rp->ops;
  BpRuntime *rt = tx->rt;
  RtErr e; /* not {0}: clearing its message each call was a tenth of this function */
  e.code = RT_OK;
  e.msg[0] = '\0';
  Value v[BPT_STACK_MAX], r;
  for (;;) {
    if (tx->budget == 0) return runaway(tx, pc);
    tx->budget--;
    if (pc >= size || insn_at[pc] == UINT32_MAX) return rt_fail_at(tx, pc, "no instruction at pc %u", pc);
    const BptInsn *in = &tx->rp->insns[insn_at[pc]];
    uint32_t next = pc + in->size;
    /* What the verifier keeps out of a fragment, checked here all the same; RESULT
     * outside a fragment is checked where it runs. */
    if (tx->in_fragment && (bpt_ops[in->op].flags & BPT_F_EFFECT)) return not_allowed(tx, in->op, pc);
    switch ((BptOp)in->op) {
    case BPT_OP_CONST:
      if (!push(tx, tx->b->consts[in->arg[0]], pc)) return false;
      break;
    case BPT_OP_LOAD:
      rt_ref(tx->s.slots[in->arg[0]]);
      if (!push(tx, tx->s.slots[in->arg[0]], pc)) return false;
      break;
    case BPT_OP_STORE: {
      const BptSlot *sl = &tx->p->slots[in->arg[0]];
      Value x = tx->stack[--tx->sp];
      if (!fits_store(tx, x, sl->type, sl->kind, pc, "slot", in->arg[0])) return false;
      rt_slot_let_go(tx, in->arg[0]);
      tx->s.slots[in->arg[0]] = x;
      break;
    }
    case BPT_OP_LOAD_FIELD:
      if (in->arg[0] >= tx->s.nfields) return rt_fail_at(tx, pc, "no document field %u", in->arg[0]);
      rt_ref(tx->s.fields[in->arg[0]]);
      if (!push(tx, tx->s.fields[in->arg[0]], pc)) return false;
      break;
    case BPT_OP_STORE_FIELD: {
      if (in->arg[0] >= tx->s.nfields) return rt_fail_at(tx, pc, "no document field %u", in->arg[0]);
      Value x = tx->stack[--tx->sp];
      const BptDoctype *dt = &tx->b->b.doctypes[tx->p->doctype];
      if (!fits_store(tx, x, dt->fields[in->arg[0]].type, -1, pc, "document field", in->arg[0])) return false;
      if (!rt_set_field(tx, (uint16_t)in->arg[0], x)) return false;
      if (rt_journaling(tx)) {
        RtBuf b = {0};
        rt_buf_printf(rt, &b, "%s = ", rt_string(tx->b, dt->fields[in->arg[0]].name));
        rt_text_of(tx, &b, x);
        rt_journal_text(tx, BP_J_FIELD, pc_node(tx, pc), &b);
      }
      if (tx->err.code != RT_OK) return false;
      break;
    }
    case BPT_OP_MEMBER: {
      Value rec = tx->stack[--tx->sp];
      if (!rt_is_record(rec.type) || in->arg[0] >= rec.u.r->n) {
        rt_unref(rt, rec);
        return rt_fail_at(tx, pc, rec.type == BPT_T_VOID ? "a step result read before its step ended"
                                                      : "no member %u in %s", in->arg[0], bpt_type_name(rec.type));
      }
      r = rec.u.r->m[in->arg[0]];
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
      unsigned n = in->arg[0];
      rt_pop_n(tx, n, v);
      bool ok = in->op == BPT_OP_LIST    ? make_list(tx, v, n, pc, &r)
                : in->op == BPT_OP_USERS ? make_users(tx, v, n, pc, &r)
                                        : make_text(tx, v, n, pc, false, &r);
      rt_unref_all(rt, v, n);
      if (!ok) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_TO_DECIMAL:
    case BPT_OP_TO_USERS: {
      Value x = tx->stack[--tx->sp];
      RtCode c = rt_convert(rt, x, in->op == BPT_OP_TO_DECIMAL ? BPT_T_DECIMAL : BPT_T_USERS, &r, &e);
      rt_unref(rt, x);
      if (!check(tx, c, &e, pc)) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_CALL: {
      unsigned n = in->arg[1];
      rt_pop_n(tx, n, v);
      RtCode c = in->arg[0] == BPT_BI_OPEN_ITEMS || in->arg[0] == BPT_BI_OPEN_USERS
                     ? rt_open_items(tx, in->arg[0] == BPT_BI_OPEN_USERS, &r, &e)
                     : rt_builtin(rt, in->arg[0], v, n, tx->now, &r, &e);
      rt_unref_all(rt, v, n);
      if (!check(tx, c, &e, pc)) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_JUMP_IF_SET:
      if (tx->s.slots[in->arg[0]].type != BPT_T_VOID) next = in->arg[1];
      break;
    case BPT_OP_ADD: case BPT_OP_SUB: case BPT_OP_MUL: case BPT_OP_DIV: case BPT_OP_MOD:
    case BPT_OP_EQ: case BPT_OP_NE: case BPT_OP_LT: case BPT_OP_LE: case BPT_OP_GT:
    case BPT_OP_GE: case BPT_OP_IN: {
      Value *top = &tx->stack[tx->sp - 2];
      if (top[0].type == BPT_T_INT && top[1].type == BPT_T_INT && int_binop(in->op, top[0].u.i, top[1].u.i, top)) {
        tx->sp--;
        break;
      }
      rt_pop_n(tx, 2, v);
      RtCode c = rt_binop(rt, binops[in->op], v[0], v[1], &r, &e);
      rt_unref_all(rt, v, 2);
      if (!check(tx, c, &e, pc)) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_NEG:
    case BPT_OP_NOT: {
      Value x = tx->stack[--tx->sp];
      RtCode c = rt_unop(rt, in->op == BPT_OP_NEG ? BP_OP_NEG : BP_OP_NOT, x, &r, &e);
      rt_unref(rt, x);
      if (!check(tx, c, &e, pc)) return false;
      tx->stack[tx->sp++] = r;
      break;
    }
    case BPT_OP_JUMP: next = in->arg[0]; break;
    case BPT_OP_JUMP_IF_FALSE: {
      Value x = tx->stack[--tx->sp];
      if (x.type != BPT_T_BOOL) {
        rt_unref(rt, x);
        return rt_fail_at(tx, pc, "a condition must be a bool, not %s", bpt_type_name(x.type));
      }
      if (!x.u.i) next = in->arg[0];
      break;
    }
    case BPT_OP_AND_ELSE:
    case BPT_OP_OR_ELSE: {
      Value x = tx->stack[tx->sp - 1];
      if (x.type != BPT_T_BOOL) return rt_fail_at(tx, pc, "`and`/`or` need bools, not %s", bpt_type_name(x.type));
      if ((in->op == BPT_OP_AND_ELSE) != (x.u.i != 0)) next = in->arg[0];
      else tx->sp--;
      break;
    }
    case BPT_OP_ITER_START: {
      Value x = tx->stack[--tx->sp];
      if (!rt_is_list(x.type)) {
        rt_unref(rt, x);
        return rt_fail_at(tx, pc, "`for` needs a list, not %s", bpt_type_name(x.type));
      }
      uint32_t s = in->arg[0];
      rt_slot_let_go(tx, s);
      rt_slot_let_go(tx, s + 1);
      tx->s.slots[s] = x;
      tx->s.slots[s + 1] = rt_int(0);
      break;
    }
    case BPT_OP_ITER_NEXT: {
      uint32_t s = in->arg[0];
      Value list = tx->s.slots[s], at = tx->s.slots[s + 1];
      if (!rt_is_list(list.type) || at.type != BPT_T_INT) return rt_fail_at(tx, pc, "a `for` loop's state is broken");
      if (at.u.i < 0 || at.u.i >= list.u.l->n) {
        next = in->arg[2];
        break;
      }
      r = list.u.l->items[at.u.i];
      rt_ref(r);
      tx->s.slots[s + 1].u.i++; /* before the store: the verifier keeps the item out of s + 1 */
      const BptSlot *sl = &tx->p->slots[in->arg[1]];
      if (!fits_store(tx, r, sl->type, sl->kind, pc, "slot", in->arg[1])) return false;
      rt_slot_let_go(tx, in->arg[1]);
      tx->s.slots[in->arg[1]] = r;
      break;
    }
    case BPT_OP_STEP:
      rt_open_step(tx, tid, (uint16_t)in->arg[0], pc, next);
      return false;
    case BPT_OP_REASSIGN:
    case BPT_OP_ADD_PEOPLE: {
      Value due = {0}, who;
      bool has_due = in->op == BPT_OP_REASSIGN && in->arg[0] == 2;
      if (has_due) due = tx->stack[--tx->sp];
      Value held = tx->stack[--tx->sp];
      RtWhoRoom one;
      who = rt_who_view(held, &one);
      RtStep *st = NULL;
      bool ok = rt_handler_step(tx, tid, pc, &st);
      if (ok && st && who.type != BPT_T_USERS) ok = rt_fail_at(tx, pc, "people must be users");
      if (ok && st) {
        if (in->op == BPT_OP_REASSIGN) ok = rt_reassign(tx, st, who, has_due, due, pc);
        else if ((ok = rt_add_people(tx, st, who, pc))) {
          int i = rt_step_index(&tx->s, thread_by_id(tx, tid)->step);
          RT_AT(tx->s.steps, RtStep, i)->flags |= S_HANDLED;
          if (rt_journaling(tx)) {
            RtBuf names = {0};
            rt_text_of(tx, &names, who);
            if (names.nomem) ok = nomem(tx); /* not a line with the names cut short */
            else rt_journal(tx, BP_J_REASSIGNED, pc_node(tx, pc), "added: %s", names.s ? names.s : "");
            rt_buf_free(rt, &names);
          }
        }
      }
      rt_unref(rt, held);
      rt_unref(rt, due);
      if (!ok || tx->err.code != RT_OK) return false;
      break;
    }
    case BPT_OP_HANDLER_END:
      rt_handler_end(tx, tid, pc);
      return false;
    case BPT_OP_NOTIFY: {
      rt_pop_n(tx, 2, v);
      RtWhoRoom one;
      bool ok = notify(tx, rt_who_view(v[0], &one), v[1], pc);
      rt_unref_each(rt, v, 2);
      if (!ok) return false;
      break;
    }
    case BPT_OP_LOG: {
      Value x = tx->stack[--tx->sp];
      if (rt_journaling(tx)) {
        RtBuf b = {0};
        rt_text_of(tx, &b, x);
        rt_journal_text(tx, BP_J_LOG, pc_node(tx, pc), &b);
      }
      rt_unref(rt, x);
      if (tx->err.code != RT_OK) return false;
      break;
    }
    case BPT_OP_ACTION:
      call_action(tx, tid, in, pc, next);
      return false;
    case BPT_OP_START:
      if (!start_other(tx, in, pc)) return false;
      break;
    case BPT_OP_WAIT:
    case BPT_OP_WAIT_UNTIL: {
      Value x = tx->stack[--tx->sp];
      wait_timer(tx, tid, x, pc, next, in->op == BPT_OP_WAIT_UNTIL);
      rt_unref(rt, x);
      return false;
    }
    case BPT_OP_FORK: {
      RtThread *th = thread_by_id(tx, tid);
      uint32_t parent = th->act, act_id = rt_new_id(tx);
      uint8_t kind = th->kind;
      uint32_t step = th->step;
      RtAct *a = rt_vec_push(rt, &tx->s.acts, sizeof *a);
      if (!a) return nomem(tx);
      *a = (RtAct){.id = act_id, .parent = parent, .group = (uint16_t)in->arg[0], .race = (uint8_t)in->arg[1]};
      rt_remove_thread(tx, tid);
      for (uint8_t i = 0; i < in->nbranches; i++)
        if (!rt_spawn(tx, bpt_branch_target(in, pc, i), act_id, kind, step)) return false;
      return false;
    }
    case BPT_OP_JOIN: {
      RtThread *th = thread_by_id(tx, tid);
      RtAct *a = act_by_id(tx, th->act);
      if (!a || a->group != in->arg[0]) return rt_fail_at(tx, pc, "JOIN of fork group %u outside it", in->arg[0]);
      uint32_t act_id = a->id, parent = a->parent;
      if (a->race) {
        cancel_race(tx, act_id, tid);
        if (tx->err.code != RT_OK) return false;
      } else if (++a->arrived < in->arg[1]) {
        rt_remove_thread(tx, tid);
        return false;
      }
      remove_act(tx, act_id);
      thread_by_id(tx, tid)->act = parent;
      break;
    }
    case BPT_OP_TERMINATE: {
      Value x = tx->stack[--tx->sp];
      RtBuf b = {0};
      rt_text_of(tx, &b, x);
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
      rt_remove_thread(tx, tid);
      if (rt_journaling(tx)) tx->end_node = pc_node(tx, pc); /* for the journal's last line only */
      return false;
    case BPT_OP_GOTO:
      if (tx->p->nstates == 0) return rt_fail_at(tx, pc, "`goto` in a process without states");
      rt_enter_state(tx, (uint16_t)in->arg[0]);
      return false;
    case BPT_OP_STATE_IDLE:
      rt_remove_thread(tx, tid);
      if (tx->s.state != BPT_NONE16 && tx->p->states[tx->s.state].final) rt_end_instance(tx, ST_COMPLETED, "");
      return false;
    case BPT_OP_RESULT:
      if (!tx->in_fragment) return not_allowed(tx, in->op, pc);
      tx->frag_result = tx->stack[--tx->sp];
      return false;
    case BPT_OP_FAIL:
      return rt_fail_at(tx, pc, "%s", rt_string(tx->b, in->arg[0]));
    case BPT_OP_TRY:
      if (!enter_try(tx, tid, in, pc)) return false;
      break;
    case BPT_OP_TRY_END:
      if (!leave_try(tx, tid, in, pc)) return false;
      break;
    case BPT_OP_THROW: {
      rt_pop_n(tx, 2, v);
      rt_raise(tx, tid, v[0], v[1], pc, NULL);
      rt_unref_all(rt, v, 2);
      return false;
    }
    case BPT_OP_RECEIVE:
      rt_receive(tx, tid, in, pc, next);
      return false;
    case BPT_OP_MSG_TAKE:
      if (!rt_msg_take(tx, in, pc, next, &r)) return false;
      tx->stack[tx->sp++] = r;
      break;
    case BPT_OP_SPAWN: /* a token of its own, like a fired `after` handler (K_AFTER) */
      if (!rt_spawn(tx, in->arg[0], 0, K_AFTER, tid)) return false;
      break;
    }
    pc = next;
    if (pc < size && insn_at[pc] != UINT32_MAX && ops[insn_at[pc]].op != RT_OP_SLOW) {
      *at = pc;
      return true;
    }
  }
}

static inline bool is_text(uint8_t type) { return type == BPT_T_STRING || type == BPT_T_USER; }

/* Runs thread tid from its pc until it waits or ends; with tid 0, a fragment from pc
 * until RESULT (tx->frag_result). Returns false when the event must stop looking at
 * this thread (it waits, ended, failed, or memory ran out).
 *
 * A fragment runs every instruction on the general path (step). A thread runs the
 * straight runs of plain instructions (RtOp) in the loop below, with the operand
 * stack's depth, the budget and the slots in locals: at the start of a run it charges
 * the budget for the whole run (RtOp.len) if the budget holds it, and then runs its
 * instructions without counting. Anything out of the ordinary -- a slow instruction,
 * a value not of the expected type, an overflow, a full stack, a budget too small for
 * the run -- gives back the charge for the instructions not run, puts the locals back
 * into tx, and runs that one instruction on the general path, which does and reports
 * everything as it always did. An instruction that calls out as the general path does
 * (a built-in, rt_binop, make_text, rt_set_field) and fails there has reported it as
 * the general path would: the loop gives back the charge for those after it and stops.
 * So the budget runs out on the same instruction, with the same message, as when it was
 * counted one instruction at a time, and what is left of it after the event is the same. */
static bool interpret(Tx *tx, uint32_t tid, uint32_t pc) {
  tx->sp = 0;
  if (tx->in_fragment) {
    for (;;)
      if (!step(tx, tid, &pc)) return false;
  }
  const RtProc *rp = tx->rp;
  const RtOp *ops = rp->ops, *o;
  const uint32_t *insn_at = rp->insn_at;
  const uint32_t size = tx->p->code_size;
  const Value *consts = tx->b->consts;
  Value *stack = tx->stack, *slots;
  BpRuntime *rt = tx->rt;
  RtErr e; /* written only when an operation fails */
  uint32_t budget;
  int sp;
  for (;;) {
    if (pc >= size || insn_at[pc] == UINT32_MAX) { /* step reports it */
      if (!step(tx, tid, &pc)) return false;
      continue;
    }
    o = &ops[insn_at[pc]];
    sp = tx->sp;
    budget = tx->budget;
    slots = tx->s.slots;
  enter: /* the start of a run */
    if (budget < o->len) goto uncharged;
    budget -= o->len;
  next: /* within the run charged, o->len is what is left of it from o on */
    switch (o->op) {
    case BPT_OP_CONST:
      if (sp >= BPT_STACK_MAX) goto slow;
      stack[sp++] = consts[o->a];
      o++;
      goto next;
    case BPT_OP_LOAD:
      if (sp >= BPT_STACK_MAX) goto slow;
      if (slots[o->a].type != BPT_T_INT && rt_is_obj(slots[o->a].type)) rt_ref_obj(slots[o->a]); /* an int first: most of what loops move */
      stack[sp++] = slots[o->a];
      o++;
      goto next;
    case BPT_OP_LOAD_FIELD: { /* `{title}`, `author`: a document field */
      if (sp >= BPT_STACK_MAX || o->a >= tx->s.nfields) goto slow;
      Value f = tx->s.fields[o->a];
      /* A string, the field a row's rule reads most, counted inline; other objects by the call. */
      if (f.type == BPT_T_STRING && f.u.s) {
        if (f.u.s->ref != RT_IMMORTAL) f.u.s->ref++;
      } else if (rt_is_obj(f.type)) {
        rt_ref_obj(f);
      }
      stack[sp++] = f;
      o++;
      goto next;
    }
    case BPT_OP_MEMBER: { /* `review.approved`: a member of a step's result */
      Value rec = stack[sp - 1];
      if (!rt_is_record(rec.type) || o->a >= rec.u.r->n) goto slow;
      Value m = rec.u.r->m[o->a];
      if (rt_is_obj(m.type)) rt_ref_obj(m);
      stack[sp - 1] = m;
      rt_unref(rt, rec);
      o++;
      goto next;
    }
    case BPT_OP_NOT:
      if (stack[sp - 1].type != BPT_T_BOOL) goto slow;
      stack[sp - 1] = rt_bool(!stack[sp - 1].u.i);
      o++;
      goto next;
    case BPT_OP_STORE: {
      Value x = stack[sp - 1];
      if (x.type != o->type && !o->any) goto slow;
      sp--;
      if (slots[o->a].type != BPT_T_INT || x.type != BPT_T_INT) { /* an int over an int: no mark */
        if (!tx->written[o->a]) tx->written[o->a] = 1; /* rt_slot_let_go */
        else rt_unref(rt, slots[o->a]);
      }
      slots[o->a] = x;
      o++;
      goto next;
    }
/* Two ints on top: int_binop's result replaces them, unless it would be an error (the
 * general path reports it); other values: rt_binop's, as on the general path. */
#define INT_OP(OP)                                                                                        \
    case OP:                                                                                              \
      if (stack[sp - 2].type != BPT_T_INT || stack[sp - 1].type != BPT_T_INT) goto binop;                 \
      if (!int_binop(OP, stack[sp - 2].u.i, stack[sp - 1].u.i, &stack[sp - 2])) goto slow;                \
      sp--;                                                                                               \
      o++;                                                                                                \
      goto next;
    INT_OP(BPT_OP_ADD)
    INT_OP(BPT_OP_SUB)
    INT_OP(BPT_OP_MUL)
    INT_OP(BPT_OP_DIV)
    INT_OP(BPT_OP_MOD)
    INT_OP(BPT_OP_EQ)
    INT_OP(BPT_OP_NE)
    INT_OP(BPT_OP_LT)
    INT_OP(BPT_OP_LE)
    INT_OP(BPT_OP_GT)
    INT_OP(BPT_OP_GE)
#undef INT_OP
    case RT_OP_CMP_JUMP: { /* LOAD a, LOAD b, EQ..GE, JUMP_IF_FALSE */
      Value x = slots[o->a], y = slots[o[1].a];
      if (x.type != BPT_T_INT || y.type != BPT_T_INT || sp + 2 > BPT_STACK_MAX) goto slow;
      bool holds;
      switch ((BptOp)o->type) {
      case BPT_OP_EQ: holds = x.u.i == y.u.i; break;
      case BPT_OP_NE: holds = x.u.i != y.u.i; break;
      case BPT_OP_LT: holds = x.u.i < y.u.i; break;
      case BPT_OP_LE: holds = x.u.i <= y.u.i; break;
      case BPT_OP_GT: holds = x.u.i > y.u.i; break;
      default: holds = x.u.i >= y.u.i; break; /* GE: make_ops fuses only EQ..GE */
      }
      o = holds ? o + 4 : &ops[o[3].a];
      goto enter;
    }
    case RT_OP_SLOT_ARITH: { /* LOAD a, CONST k, ADD..MOD */
      Value x = slots[o->a], y = consts[o[1].a];
      if (x.type != BPT_T_INT || y.type != BPT_T_INT || sp + 2 > BPT_STACK_MAX) goto slow;
      Value res;
      if (!int_binop(o->type, x.u.i, y.u.i, &res)) goto slow;
      stack[sp++] = res;
      o += 3;
      goto next;
    }
    case RT_OP_SLOT_ADD_STORE: { /* LOAD a, CONST k, ADD, STORE b: b an int slot that holds an int */
      Value x = slots[o->a], y = consts[o[1].a];
      int64_t res;
      if (x.type != BPT_T_INT || y.type != BPT_T_INT || sp + 2 > BPT_STACK_MAX || slots[o[3].a].type != BPT_T_INT ||
          (o[3].type != BPT_T_INT && !o[3].any) || __builtin_add_overflow(x.u.i, y.u.i, &res))
        goto slow;
      slots[o[3].a] = rt_int(res);
      o += 4;
      goto next;
    }
    case BPT_OP_IN: { /* a text in a list: compared as rt_equal compares texts, without its calls */
      Value x = stack[sp - 2], list = stack[sp - 1];
      if (!is_text(x.type) || !rt_is_list(list.type)) goto binop;
      bool found = false;
      for (uint32_t i = 0; i < list.u.l->n && !found; i++)
        found = is_text(list.u.l->items[i].type) && rt_text_equal(x.u.s, list.u.l->items[i].u.s);
      rt_unref(rt, x);
      rt_unref(rt, list);
      stack[--sp - 1] = rt_bool(found);
      o++;
      goto next;
    }
    binop: { /* as the general path: the operands go, the result or the error stays */
      Value r;
      /* two strings joined: the text in the document's room while it fits (text_in_doc) */
      RtCode c = o->op == BPT_OP_ADD && stack[sp - 2].type == BPT_T_STRING && stack[sp - 1].type == BPT_T_STRING
                     ? rt_text_concat(rt, &tx->inst->doc->made, stack[sp - 2].u.s, stack[sp - 1].u.s, &r, &e)
                     : rt_binop(rt, binops[o->op], stack[sp - 2], stack[sp - 1], &r, &e);
      rt_unref(rt, stack[sp - 2]);
      rt_unref(rt, stack[sp - 1]);
      sp -= 2;
      if (!check(tx, c, &e, o->pc)) goto failed;
      stack[sp++] = r;
      o++;
      goto next;
    }
    case BPT_OP_CALL: { /* a built-in of values only (make_ops), as the general path calls it */
      unsigned n = o->type;
      if (n == 0 && sp >= BPT_STACK_MAX) goto slow;
      Value r;
      /* len of a text and starts_with of two strings answer an int or a bool: written here
       * as rt_builtin answers them, without its checks of arguments that these have passed */
      if (o->a == BPT_BI_LEN && n == 1 && is_text(stack[sp - 1].type)) {
        r = rt_int((int64_t)rt_text_chars(stack[sp - 1].u.s));
        rt_unref(rt, stack[sp - 1]);
        stack[sp - 1] = r;
        o++;
        goto next;
      }
      if (o->a == BPT_BI_TRIM && n == 1 && stack[sp - 1].type == BPT_T_STRING) {
        bool ok = rt_text_trim(rt, &tx->inst->doc->made, stack[sp - 1], &r);
        rt_unref(rt, stack[sp - 1]);
        if (!ok) {
          sp--;
          nomem(tx);
          goto failed;
        }
        stack[sp - 1] = r;
        o++;
        goto next;
      }
      if (o->a == BPT_BI_STARTS_WITH && n == 2 && stack[sp - 2].type == BPT_T_STRING &&
          stack[sp - 1].type == BPT_T_STRING) {
        const RtStr *t = stack[sp - 2].u.s, *p = stack[sp - 1].u.s;
        r = rt_bool(p->len <= t->len && memcmp(t->s, p->s, p->len) == 0);
        rt_unref(rt, stack[sp - 2]);
        rt_unref(rt, stack[sp - 1]);
        stack[--sp - 1] = r;
        o++;
        goto next;
      }
      /* substr of a string: its text in the document's room while it fits (text_in_doc) */
      RtCode c = o->a == BPT_BI_SUBSTR && n == 3 && stack[sp - 3].type == BPT_T_STRING &&
                         stack[sp - 2].type == BPT_T_INT && stack[sp - 1].type == BPT_T_INT
                     ? rt_text_substr(rt, &tx->inst->doc->made, stack[sp - 3].u.s, stack[sp - 2].u.i,
                                      stack[sp - 1].u.i, &r, &e)
                     : rt_builtin(rt, o->a, &stack[sp - n], n, tx->now, &r, &e);
      sp -= (int)n;
      rt_unref_all(rt, &stack[sp], n);
      if (!check(tx, c, &e, o->pc)) goto failed;
      stack[sp++] = r;
      o++;
      goto next;
    }
    case BPT_OP_TEXT: { /* `"city {city}"`: make_text reports what goes wrong itself */
      unsigned n = o->a;
      if (n == 0 && sp >= BPT_STACK_MAX) goto slow;
      Value r;
      if (o[1].op == BPT_OP_LOG && !rt_journaling(tx)) {
        /* A line for LOG, next, without a journal to read it: it is not made when making
         * it cannot fail (texts only, within BP_MAX_STRING); LOG drops what is pushed. */
        size_t bytes = 0;
        unsigned k = 0;
        for (; k < n && is_text(stack[sp - n + k].type); k++) bytes += stack[sp - n + k].u.s->len;
        if (k == n && bytes <= BP_MAX_STRING) {
          sp -= (int)n;
          rt_unref_all(rt, &stack[sp], n);
          stack[sp++] = (Value){0};
          o++;
          goto next;
        }
      }
      sp -= (int)n;
      int placed = text_placed(tx, &stack[sp], n, o->any, &r);
      bool ok = placed != TEXT_NOT_PLACED || make_text_built(tx, &stack[sp], n, o->pc, o->any, &r);
      if (placed != TEXT_PLACED_UNCOUNTED) rt_unref_all(rt, &stack[sp], n); /* else none is counted */
      if (!ok) goto failed;
      stack[sp++] = r;
      o++;
      goto next;
    }
    case BPT_OP_USERS: { /* USERS 1 of a set user or of a list each person once leaves it as it is (make_users) */
      if (!users_left(tx, stack[sp - 1])) goto slow;
      o++;
      goto next;
    }
    case BPT_OP_LOG: /* without a journal a line goes nowhere */
      if (rt_journaling(tx)) goto slow;
      rt_unref(rt, stack[--sp]);
      o++;
      goto next;
    case BPT_OP_STORE_FIELD: { /* a value of the field's type, without a journal to write */
      Value x = stack[sp - 1];
      if (rt_journaling(tx) || o->a >= tx->s.nfields || x.type != o->type) goto slow;
      sp--;
      if (!rt_set_field(tx, (uint16_t)o->a, x)) goto failed;
      o++;
      goto next;
    }
    case BPT_OP_ITER_START: { /* `for x in list`: the list and the position 0 into two hidden slots */
      Value x = stack[sp - 1];
      if (!rt_is_list(x.type)) goto slow;
      sp--;
      rt_slot_let_go(tx, o->a);
      rt_slot_let_go(tx, o->a + 1);
      slots[o->a] = x;
      slots[o->a + 1] = rt_int(0);
      o++;
      goto next;
    }
    case BPT_OP_ITER_NEXT: { /* the next item into the loop's slot, or out of the loop */
      const BptInsn *in = &rp->insns[o - ops];
      uint32_t s = in->arg[0];
      Value list = slots[s], at = slots[s + 1];
      if (!rt_is_list(list.type) || at.type != BPT_T_INT) goto slow;
      if (at.u.i < 0 || at.u.i >= list.u.l->n) {
        o = &ops[o->a];
        goto enter;
      }
      Value x = list.u.l->items[at.u.i];
      if (x.type != o->type && !o->any) goto slow;
      rt_ref(x);
      slots[s + 1].u.i++; /* an int over an int: the snapshot puts it back as it is */
      rt_slot_let_go(tx, in->arg[1]);
      slots[in->arg[1]] = x;
      o++;
      goto enter;
    }
    case BPT_OP_JUMP:
      o = &ops[o->a];
      goto enter;
    case BPT_OP_JUMP_IF_FALSE:
      if (stack[sp - 1].type != BPT_T_BOOL) goto slow;
      o = stack[--sp].u.i ? o + 1 : &ops[o->a];
      goto enter;
    case BPT_OP_JUMP_IF_SET: /* `param quorum: int = 50`: given, or the default follows */
      o = slots[rp->insns[o - ops].arg[0]].type != BPT_T_VOID ? &ops[o->a] : o + 1;
      goto enter;
    default: goto slow;
    }
  failed: /* o failed and said why, as on the general path: give back the charge for those after it */
    tx->sp = sp;
    tx->budget = budget + o->len - 1;
    return false;
  slow: /* o runs on the general path: give back the charge for o and after */
    budget += o->len;
    if (o->op == RT_OP_SLOW && budget && rp->insns[o - ops].op == BPT_OP_STEP) {
      /* STEP, the usual end of a thread's run: the general path's one case for it (the
       * budget charged for it alone, rt_open_step, the thread waits), without that path's
       * set-up for every instruction. With no budget left, the general path reports it. */
      const BptInsn *in = &rp->insns[o - ops];
      tx->sp = sp;
      tx->budget = budget - 1;
      rt_open_step(tx, tid, (uint16_t)in->arg[0], o->pc, o->pc + in->size);
      return false;
    }
  uncharged:
    tx->sp = sp;
    tx->budget = budget;
    pc = o->pc;
    if (!step(tx, tid, &pc)) return false;
  }
}

/* Runs the ready threads until none is left (or the instance ends). */
void rt_run(Tx *tx) {
  uint32_t head = 0;
  while (head < tx->runq.n && alive(tx)) {
    uint32_t tid = *RT_AT(tx->runq, uint32_t, head++);
    RtThread *th = thread_by_id(tx, tid);
    if (!th || th->wait != W_RUN) continue;
    interpret(tx, tid, th->pc);
    rt_stack_clear(tx);
  }
  tx->runq.n = 0;
  if (alive(tx) && tx->p->nstates == 0 && tx->s.threads.n == 0)
    end_instance_at(tx, ST_COMPLETED, "", tx->end_node ? tx->end_node : "");
}

/* Runs a `when` or `by` fragment: *out its value. RT_ERROR: the fragment failed
 * (tx->frag_err), the instance is unchanged. */
RtCode rt_run_fragment(Tx *tx, uint32_t pc, Value *out) {
  tx->in_fragment = true;
  tx->frag_result = (Value){0};
  tx->frag_err = (RtErr){0};
  interpret(tx, 0, pc);
  rt_stack_clear(tx);
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
