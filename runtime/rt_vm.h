/* rt_vm.h — what the interpreter's three files share: the transaction an event runs in
 * (Tx) and the effects it collects (Effect), and the functions each offers the others.
 *
 *   rt_event.c   events: the public entry points, each a transaction; delivery to the host
 *   rt_step.c    human steps, their results, reminders, timeouts and the timers
 *   rt_vm.c      the interpreter: threads, states, effects, the operand stack, dispatch
 *
 * Events call the interpreter (rt_run) and the steps (rt_find_item, rt_fire_due); the
 * interpreter opens steps (rt_open_step) and the steps ready threads (rt_ready). Only
 * these three files include this header. */
#ifndef RT_VM_H
#define RT_VM_H

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

/* A person of a borrowed step (RtStep.borrowed) that an event changed in place: where, and
 * the record as it was, holding references to its values. A dropped event puts it back
 * (rt_undo_rollback); a committed one lets it go (rt_undo_release). */
typedef struct RtUndo {
  RtPerson *at;
  RtPerson old;
} RtUndo;

/* A document field this event wrote: its value before (the reference held here). An
 * event writes the document's own fields, logging the first write of each (Tx.logged: a
 * loop that writes a field again and again logs it once); a dropped event puts them back
 * (tx_abort), a committed one lets the old values go. */
typedef struct RtFieldUndo {
  uint16_t f;
  Value old;
} RtFieldUndo;

enum { TX_INLINE_FIELDS = 32 };
enum { TX_LENT_EFFECTS = 4, TX_LENT_RUNQ = 8, TX_LENT_UNDO = 2, TX_LENT_FIELD_UNDO = 4 };
/* Bytes of a transaction's storage for its snapshot of the state: a state whose slots
 * and records fit (a few steps, threads and timers) needs no allocation. */
enum { TX_SNAP_ROOM = 2048 };
enum { TX_NOTES_ROOM = 256 };

typedef struct Tx {
  BpInstance *inst;
  BpRuntime *rt;
  BpBundle *b;
  const BptProcess *p;
  const RtProc *rp;
  const uint8_t *code;
  RtVec effects; /* Effect */
  RtVec runq;    /* uint32_t: ready threads, by id */
  RtVec undo;    /* RtUndo: people changed in the instance's own vectors */
  RtVec field_undo;     /* RtFieldUndo */
  /* Per slot: 1 once this event wrote it (rt_slot_let_go). The snapshot keeps the slots'
   * values as they were without counting references: while a slot is unwritten its value
   * is the snapshot's too. The first write hands the old value's reference to the
   * snapshot; a commit lets the old values of written slots go, a dropped event puts them
   * back. A start, with no snapshot, has every slot marked (each write lets go). */
  uint8_t *written;
  /* A counted list of users found each once in this event (USERS, or bp_start's voters:
   * rt_start_known), with a reference of the event's own, let go when it ends (tx_commit,
   * tx_abort): while held it cannot be freed, so the same pointer is the same unchanged list,
   * and USERS and a step take it without looking at its people again. (An immortal one is
   * the instance's users_known.) */
  RtList *users_held;
  bool *changed;        /* per document field: set to a new value by this event */
  uint8_t *logged;      /* bit per document field: its old value is in field_undo */
  int64_t now;
  uint32_t budget;
  /* tx_open sets everything above and clears everything from here to `s`. */
  int sp;        /* the operand stack's depth (`stack`, below) */
  const char *end_node; /* the graph node of the last END run (where the instance completes), for a
                         * host that reads the journal (NULL without one) */
  /* An advance of the clock: how many timers it fired, and whether an earlier call of the
   * same advance (bp_advance_shared) spent part of its budget already. */
  bool advancing, budget_carried;
  uint32_t fired;
  bool fresh; /* a new instance's start: no snapshot (the instance is dropped if it fails) */
  /* A decision or completion whose snapshot is not taken yet (rt_event.c's tx_snapshot):
   * until then the event has changed only what it logs, the person (undo) and the counts
   * of the step they acted on (act_step, act_counts), and `snap` and `written` are not
   * set. One that does not settle its step commits so: its snapshot is never taken. */
  bool unsnapped;
  uint16_t notes_used; /* bytes of notes_room taken */
  bool any_changed;     /* any of `changed` */
  bool changed_inline[TX_INLINE_FIELDS]; /* `changed` of a document of few fields */
  uint8_t logged_inline[TX_INLINE_FIELDS / 8];
  /* A fragment (`when`, `by`) under way: its result and error. */
  bool in_fragment;
  Value frag_result;
  /* A message under delivery (bp_message): its payload, read by MSG_TAKE. */
  const Value *msg_values;
  const BpArg *msg_fields;
  size_t msg_n;
  /* Not cleared by tx_open: the states and
   * the errors, which it sets (the fragment's error: rt_run_fragment), then the first
   * elements of effects, runq, undo and field_undo (rt_vec_lent): most events need no
   * allocation for them. */
  RtState s;     /* the instance's state, which the event changes in place */
  RtState snap;  /* the state as it was (tx_begin): put back if the event is dropped */
  /* The step an unsnapped event's person acted on (0: none yet; set by tx_open), its
   * place among the steps, and its acted, approved, rejected and done counts before the
   * act. */
  uint32_t act_step, act_index, act_counts[4];
  RtErr err;     /* RT_NOMEM: the event is dropped */
  RtErr frag_err;
  Effect effects_lent[TX_LENT_EFFECTS];
  uint32_t runq_lent[TX_LENT_RUNQ];
  RtUndo undo_lent[TX_LENT_UNDO];
  RtFieldUndo field_undo_lent[TX_LENT_FIELD_UNDO];
  Value stack[BPT_STACK_MAX]; /* the operand stack: nothing above sp is read */
  _Alignas(16) unsigned char snap_room[TX_SNAP_ROOM]; /* lent to `snap` */
  /* The texts of this event's notifications (a TEXT that a NOTIFY takes next), placed
   * here immortal when they fit: an effect holds its text only until the commit delivers
   * it, while the transaction lives, and nothing else keeps it (make_text). */
  _Alignas(8) char notes_room[TX_NOTES_ROOM];
} Tx;

static inline bool nomem(Tx *tx) {
  rt_nomem(&tx->err);
  return false;
}

/* Journal lines are made only for a host that reads them (config.journal): without one,
 * formatting them was a quarter of an event's work. Code that builds a line's text in
 * pieces asks this first; rt_journal and rt_journal_text ask it too. */
static inline bool rt_journaling(const Tx *tx) { return tx->rt->cfg.journal != NULL; }

/* Before the event writes slot s (any write: of a scalar over a scalar too, except an int
 * over an int, which the snapshot's copy puts back as it is): the value there goes. A slot
 * written before holds the event's own value, let go now; the first write leaves it to the
 * snapshot, which shares it, and marks the slot. */
static inline void rt_slot_let_go(Tx *tx, uint32_t s) {
  if (tx->written[s]) rt_unref(tx->rt, tx->s.slots[s]);
  else tx->written[s] = 1;
}

static inline bool alive(const Tx *tx) { return tx->err.code == RT_OK && tx->s.status == ST_WAITING; }

/* A thread of the event's state by its id, or NULL; inline: a step that opens or closes
 * finds its thread. */
static inline RtThread *thread_by_id(Tx *tx, uint32_t id) {
  for (uint32_t i = 0; i < tx->s.threads.n; i++)
    if (RT_AT(tx->s.threads, RtThread, i)->id == id) return RT_AT(tx->s.threads, RtThread, i);
  return NULL;
}

/* rt_vec_remove of record I, inline when it is the last (a state's only step, timer or
 * thread, mostly): nothing to move. */
static inline void vec_remove_at(RtVec *vec, size_t sz, uint32_t i) {
  if (i + 1 == vec->n) vec->n--;
  else rt_vec_remove(vec, sz, i);
}

static inline RtStep *step_by_id(Tx *tx, uint32_t id) { return rt_state_step(&tx->s, id); }

/* ---- the interpreter (rt_vm.c) ------------------------------------------------------- */

int rt_step_index(const RtState *s, uint32_t id);
/* The graph node of step descriptor t (inline: every item's effect names it). */
static inline const char *rt_step_node(const Tx *tx, uint16_t t) { return rt_node_id(tx->b, tx->p->steps[t].node); }
const char *rt_pc_node(const Tx *tx, uint32_t pc); /* the graph node of the statement at pc */
void rt_journal_text(Tx *tx, BpJournalKind kind, const char *node, RtBuf *text);
void rt_journal_line(Tx *tx, BpJournalKind kind, const char *node, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A journal line: asks rt_journaling before anything, so without a journal neither the
 * call (a variadic one, whose entry saves every argument register) nor its arguments
 * (the node's name, looked up) cost anything. The arguments must have no side effects. */
#define rt_journal(tx, ...) (rt_journaling(tx) ? rt_journal_line((tx), __VA_ARGS__) : (void)0)
void rt_text_of(Tx *tx, RtBuf *b, Value v);
/* An item opened or withdrawn: every member written at once (a compound literal), not
 * cleared first and then set (rt_vec_push_unset). Inline: an effect for each person asked. */
static inline void rt_item_effect(Tx *tx, uint8_t kind, const RtStep *st, const RtPerson *who) {
  Effect *e = rt_vec_push_unset(tx->rt, &tx->effects, sizeof *e);
  if (!e) {
    nomem(tx);
    return;
  }
  rt_ref(who->user);
  rt_ref(st->title);
  *e = (Effect){.kind = kind, .item_kind = tx->p->steps[st->t].kind, .index = st->t, .id = who->item,
                .time = tx->now, .due = st->due, .node = rt_step_node(tx, st->t), .a = who->user,
                .b = st->title};
}

void rt_effects_free(BpRuntime *rt, RtVec *effects);
void rt_effect_args_free(BpRuntime *rt, Effect *e);
/* Lets go of what effect E holds (its values; a call's arguments, by a call). */
static inline void rt_effect_release(BpRuntime *rt, Effect *e) {
  rt_unref(rt, e->a);
  rt_unref(rt, e->b);
  if (e->args) rt_effect_args_free(rt, e);
}
void rt_end_instance(Tx *tx, uint8_t status, const char *message);
bool rt_fail_at(Tx *tx, uint32_t pc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The next id of the instance (items, threads, steps, timers, calls): inline, several a step. */
static inline uint32_t rt_new_id(Tx *tx) { return ++tx->s.next_id; }
/* Thread tid is ready to run in this event (inline: a thread spawned, a step closed). */
static inline bool rt_ready(Tx *tx, uint32_t tid) {
  uint32_t *q = rt_vec_push_unset(tx->rt, &tx->runq, sizeof *q);
  if (!q) return nomem(tx);
  *q = tid;
  return true;
}
RtThread *rt_spawn(Tx *tx, uint32_t pc, uint32_t act, uint8_t kind, uint32_t step);
void rt_remove_thread(Tx *tx, uint32_t tid);
void rt_cancel_thread(Tx *tx, uint32_t tid);
void rt_enter_state(Tx *tx, uint16_t q);
/* Document field f gets v (its reference taken over); the old value is logged. False when
 * out of memory (v released, the field as it was). */
bool rt_set_field(Tx *tx, uint16_t f, Value v);
/* Pops *v, which must be of TYPE; else the event fails naming WHAT (rt_pop_wrong: *v
 * let go and VOID) and false. The usual case, the right type, inline. */
bool rt_pop_wrong(Tx *tx, Value *v, uint8_t type, const char *what, uint32_t pc);
static inline bool rt_pop_typed(Tx *tx, Value *v, uint8_t type, const char *what, uint32_t pc) {
  *v = tx->stack[--tx->sp];
  return v->type == type || rt_pop_wrong(tx, v, type, what, pc);
}
void rt_stack_clear(Tx *tx);
void rt_pop_n(Tx *tx, unsigned n, Value *vals);
void rt_run(Tx *tx);
RtCode rt_run_fragment(Tx *tx, uint32_t pc, Value *out);
/* Raises error `code` (a non-empty string) with `message` (a string) in thread tid at pc:
 * the innermost try scope around the thread that catches the code takes it, or the
 * instance fails ("error CODE: message", prefixed by `origin` when not NULL). The values
 * are borrowed. Returns false (the thread does not go on). */
bool rt_raise(Tx *tx, uint32_t tid, Value code, Value message, uint32_t pc, const char *origin);

/* ---- messages (rt_message.c) ---------------------------------------------------------- */

/* RECEIVE: thread tid waits for the message (journalled); MSG_TAKE: *out is the payload
 * field of the message just delivered, converted to the type of the store at next. */
bool rt_receive(Tx *tx, uint32_t tid, const BptInsn *in, uint32_t pc, uint32_t next);
bool rt_msg_take(Tx *tx, const BptInsn *in, uint32_t pc, uint32_t next, Value *out);
/* Delivers message NAME with its payload to every thread waiting for it: checks the
 * payload against each receiver's fields (a refusal: false with why), readies them. */
bool rt_deliver_message(Tx *tx, const char *name, const BpArg *fields, size_t n, char *why,
                        size_t why_size);

/* ---- human steps and timers (rt_step.c) ---------------------------------------------- */

/* Before an event changes a step's people: its own copy of the instance's (RtStep.borrowed;
 * references counted). False when out of memory. Inline: most steps own theirs already;
 * rt_people_copy makes the copy. */
bool rt_people_copy(Tx *tx, RtStep *st);
static inline bool rt_people_own(Tx *tx, RtStep *st) {
  return !(st->borrowed & RT_BORROWED_PEOPLE) || rt_people_copy(tx, st);
}
/* Person k of step st, to change in place: a decision changes one person, so it logs that
 * one (RtUndo) rather than copying every person of the step. NULL when out of memory. */
RtPerson *rt_person_change(Tx *tx, RtStep *st, uint32_t k);
void rt_undo_rollback(Tx *tx);
/* At a commit: the people's old records let go (inline: every decision's commit has one). */
static inline void rt_undo_release(Tx *tx) {
  for (uint32_t i = 0; i < tx->undo.n; i++) {
    RtUndo *u = RT_AT(tx->undo, RtUndo, i);
    rt_unref(tx->rt, u->old.user);
    rt_unref(tx->rt, u->old.comment);
  }
  rt_vec_free(tx->rt, &tx->undo, sizeof(RtUndo));
}
/* Whether a person of st has an open item (inline: a step that closes when its last
 * person acts has none left to withdraw). */
static inline bool rt_any_open_item(const RtStep *st) {
  for (uint32_t i = 0; i < st->people.n; i++)
    if (RT_AT(st->people, RtPerson, i)->item) return true;
  return false;
}
void rt_withdraw_open_items(Tx *tx, RtStep *st);
/* open_items() (a list of "user: title (due ..., overdue)") or, USERS, open_users() (the
 * people with open items, each once): what the instance waits for, oldest item first. */
RtCode rt_open_items(Tx *tx, bool users, Value *out, RtErr *e);
/* Lets go of what st holds, but for what it borrows from its snapshot's copy
 * (RtStep.borrowed). */
void rt_step_free(BpRuntime *rt, RtStep *st);
void rt_remove_timers(Tx *tx, uint8_t kind_a, uint8_t kind_b, uint32_t ref);
bool rt_add_timer(Tx *tx, int64_t at, uint8_t kind, uint32_t ref, uint16_t index);
void rt_remove_step(Tx *tx, uint32_t step_id);
bool rt_add_people(Tx *tx, RtStep *st, Value who, uint32_t pc);
/* A WHO of one person: `USERS 1` of a single set user leaves the user itself on the stack
 * (no list allocated and freed at once, as for `approve expert`). Its readers (STEP,
 * NOTIFY, REASSIGN, ADD_PEOPLE, a command's `by`) see it through rt_who_view: a one-item
 * list in ROOM, on the reader's C stack, immortal (never counted), which no reader keeps
 * (they take its items); any other value is returned as it is. */
typedef struct RtWhoRoom {
  _Alignas(Value) unsigned char bytes[sizeof(RtList) + sizeof(Value)];
} RtWhoRoom;
static inline Value rt_who_view(Value who, RtWhoRoom *room) {
  if (who.type != BPT_T_USER) return who;
  RtList *l = (RtList *)(void *)room->bytes;
  l->ref = RT_IMMORTAL;
  l->n = 1;
  l->items[0] = who;
  return (Value){.type = BPT_T_USERS, .u.l = l};
}
bool rt_step_settled(Tx *tx, uint32_t step_id);
/* rt_step_settled in two, for the step at INDEX of the working state: whether it is over
 * after someone acted (*outcome what closing it needs), and closing it. */
bool rt_step_over(Tx *tx, uint32_t index, int *outcome);
bool rt_step_close(Tx *tx, uint32_t index, int outcome);
/* Bitrix24's vote (BPT_MODE_BITRIX): its ApprovedPercent (PHP's intval(count / total *
 * 100) in doubles), and its decision after a vote; false while undecided. */
int64_t rt_bitrix_percent(int64_t count, int64_t total);
bool rt_bitrix_vote(int64_t approved, int64_t rejected, int64_t total, int64_t min, bool wait_all, bool *yes,
                    bool *no);
bool rt_open_step(Tx *tx, uint32_t tid, uint16_t t, uint32_t pc, uint32_t next);
bool rt_reassign(Tx *tx, RtStep *st, Value who, bool has_due, Value due, uint32_t pc);
bool rt_handler_step(Tx *tx, uint32_t tid, uint32_t pc, RtStep **st);
bool rt_handler_end(Tx *tx, uint32_t tid, uint32_t pc);
void rt_fire_due(Tx *tx, int64_t until);
/* The open item to act on: ITEM itself, or USER's oldest open item of the kinds wanted; its
 * step's place among the working state's steps in *STEP and its person's in *PERSON. False
 * with why when there is none. */
bool rt_find_item(Tx *tx, uint32_t item, const char *user, bool approval, uint32_t *step,
                  uint32_t *person, char *why, size_t why_size);
bool rt_record_act(Tx *tx, RtStep *st, uint32_t person, uint8_t act, const char *comment);
bool rt_store_answers(Tx *tx, const BptStep *d, const BpArg *answers, size_t n, BpError *err);

#endif
