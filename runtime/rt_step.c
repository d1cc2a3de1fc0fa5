/* rt_step.c — human steps: approvals, votes, tasks, reviews and requests, with their
 * people and work items, outcomes and result records, reminders, due times and timeouts
 * (with their handlers), and the instance's timers (due times, reminders, waits) fired in
 * time order. The interpreter opens a step (STEP) and runs the handlers; a step that is
 * over readies its thread again. */
#include <stdio.h>
#include <string.h>

#include "rt_vm.h"

typedef enum Outcome { UNDECIDED, APPROVED, REJECTED } Outcome;
static bool close_step(Tx *tx, int i, bool timed_out, Outcome outcome);

/* ---- people and items ------------------------------------------------------------------------ */

void rt_people_index_free(BpRuntime *rt, RtStep *st) {
  if (st->index) rt_dealloc(rt, st->index, st->index_cap * sizeof *st->index);
  st->index = NULL;
  st->index_cap = 0;
}

void rt_people_index(BpRuntime *rt, RtStep *st) {
  rt_people_index_free(rt, st);
  uint32_t n = st->people.n;
  if (n < RT_INDEX_MIN || n > UINT32_MAX / 8) return;
  uint32_t cap = 32;
  while (cap < 2 * n) cap *= 2; /* at most half full */
  uint32_t *slots = rt_alloc(rt, cap * sizeof *slots);
  if (!slots) return; /* a cache: the step is searched person by person */
  /* A host may give people whose hashes collide: past 8 probes a person on average the
   * index would cost more than it saves (n squared to build), and the step goes without. */
  uint64_t probes = 0;
  for (uint32_t k = 0; k < n; k++) {
    const char *u = RT_AT(st->people, RtPerson, k)->user.u.s->s;
    uint32_t h = rt_text_hash(u, strlen(u)) & (cap - 1); /* as strcmp sees it */
    while (slots[h]) {
      h = (h + 1) & (cap - 1);
      if (++probes > 8 * (uint64_t)n) {
        rt_dealloc(rt, slots, cap * sizeof *slots);
        return;
      }
    }
    slots[h] = k + 1;
  }
  st->index = slots;
  st->index_cap = cap;
}

/* The person of st named USER (as strcmp compares: up to a NUL in the name) with the
 * oldest open item, or -1. */
static int64_t open_person(const RtStep *st, const char *user) {
  int64_t best = -1;
  uint32_t best_item = 0;
  if (!st->index) {
    for (uint32_t k = 0; k < st->people.n; k++) {
      const RtPerson *p = RT_AT(st->people, RtPerson, k);
      if (p->item && (!best_item || p->item < best_item) && rt_name_equal(p->user.u.s->s, user))
        best = k, best_item = p->item;
    }
    return best;
  }
  uint32_t mask = st->index_cap - 1;
  for (uint32_t h = rt_text_hash(user, strlen(user)) & mask; st->index[h]; h = (h + 1) & mask) {
    uint32_t k = st->index[h] - 1;
    const RtPerson *p = RT_AT(st->people, RtPerson, k);
    if (p->item && (!best_item || p->item < best_item) && strcmp(p->user.u.s->s, user) == 0)
      best = k, best_item = p->item;
  }
  return best;
}

/* The index of a step whose people were just copied: a copy of the borrowed one (the
 * people keep their places), or none. */
static void index_copy(BpRuntime *rt, RtStep *st) {
  if (!st->index) return;
  uint32_t *slots = rt_alloc(rt, st->index_cap * sizeof *slots);
  if (slots) memcpy(slots, st->index, st->index_cap * sizeof *slots);
  else st->index_cap = 0;
  st->index = slots;
}

bool rt_people_copy(Tx *tx, RtStep *st) {
  RtVec own = {0};
  if (st->people.n) {
    own.v = rt_alloc(tx->rt, st->people.n * sizeof(RtPerson));
    if (!own.v) return nomem(tx);
    memcpy(own.v, st->people.v, st->people.n * sizeof(RtPerson));
    own.n = own.cap = st->people.n;
    for (uint32_t k = 0; k < own.n; k++) {
      RtPerson *p = RT_AT(own, RtPerson, k);
      rt_ref(p->user);
      rt_ref(p->comment);
    }
  }
  st->people = own;
  st->borrowed &= (uint8_t)~RT_BORROWED_PEOPLE;
  index_copy(tx->rt, st);
  return true;
}

RtPerson *rt_person_change(Tx *tx, RtStep *st, uint32_t k) {
  RtPerson *p = RT_AT(st->people, RtPerson, k);
  if (!(st->borrowed & RT_BORROWED_PEOPLE)) return p;
  RtUndo *u = rt_vec_push_unset(tx->rt, &tx->undo, sizeof *u);
  if (!u) {
    nomem(tx);
    return NULL;
  }
  *u = (RtUndo){.at = p, .old = *p}; /* whole: not cleared first (rt_vec_push_unset) */
  rt_ref(p->user);
  rt_ref(p->comment);
  return p;
}

/* Latest change first, so a person changed twice ends as it was before both. */
void rt_undo_rollback(Tx *tx) {
  for (uint32_t i = tx->undo.n; i-- > 0;) {
    RtUndo *u = RT_AT(tx->undo, RtUndo, i);
    rt_unref(tx->rt, u->at->user);
    rt_unref(tx->rt, u->at->comment);
    *u->at = u->old;
  }
  rt_vec_free(tx->rt, &tx->undo, sizeof(RtUndo));
}

void rt_withdraw_open_items(Tx *tx, RtStep *st) {
  if (!rt_any_open_item(st) || !rt_people_own(tx, st)) return;
  for (uint32_t i = 0; i < st->people.n; i++) {
    RtPerson *who = RT_AT(st->people, RtPerson, i);
    if (!who->item) continue;
    rt_item_effect(tx, EF_WITHDRAWN, st, who);
    rt_journal(tx, BP_J_WITHDRAWN, rt_step_node(tx, st->t), "withdrawn from %s: %s", who->user.u.s->s,
               st->title.u.s->s);
    who->item = 0;
  }
}

void rt_step_free(BpRuntime *rt, RtStep *st) {
  if (!(st->borrowed & RT_BORROWED_VALUES)) { /* else the snapshot's step holds them */
    rt_unref(rt, st->title);
    rt_unref(rt, st->offsets);
  }
  if (st->borrowed & RT_BORROWED_PEOPLE) { /* the snapshot's step frees them */
    st->people = (RtVec){0};
    st->index = NULL;
    st->index_cap = 0;
    return;
  }
  rt_people_index_free(rt, st);
  for (uint32_t i = 0; i < st->people.n; i++) {
    RtPerson *who = RT_AT(st->people, RtPerson, i);
    rt_unref(rt, who->user);
    rt_unref(rt, who->comment);
  }
  rt_vec_free(rt, &st->people, sizeof(RtPerson));
}

/* The step at index I goes, its open items withdrawn already (rt_withdraw_open_items): its
 * timers and handler threads cancelled. */
static inline void remove_step_at(Tx *tx, int i) {
  RtStep *st = RT_AT(tx->s.steps, RtStep, i);
  uint32_t step_id = st->id;
  /* A step that borrows all it holds from the snapshot's (a step closed after the
   * snapshot: the usual settling act) has nothing to let go; the record goes next. */
  if (st->borrowed != (RT_BORROWED_PEOPLE | RT_BORROWED_VALUES)) rt_step_free(tx->rt, st);
  vec_remove_at(&tx->s.steps, sizeof(RtStep), (uint32_t)i);
  /* Its timers, in one pass: its deadline and reminders, and its `after` handlers not yet
   * run, which never will. */
  for (uint32_t k = tx->s.timers.n; k-- > 0;) {
    const RtTimer *t = RT_AT(tx->s.timers, RtTimer, k);
    if ((t->kind == TM_DUE || t->kind == TM_REMIND || t->kind == TM_AFTER) && t->ref == step_id)
      vec_remove_at(&tx->s.timers, sizeof(RtTimer), k);
  }
  for (uint32_t k = tx->s.threads.n; k-- > 0;) {
    RtThread *th = RT_AT(tx->s.threads, RtThread, k);
    if ((th->kind == K_REMIND || th->kind == K_TIMEOUT) && th->step == step_id) rt_cancel_thread(tx, th->id);
    if (k > tx->s.threads.n) k = tx->s.threads.n;
  }
}

/* A step goes: its open items withdrawn, its timers and handler threads cancelled. */
void rt_remove_step(Tx *tx, uint32_t step_id) {
  int i = rt_step_index(&tx->s, step_id);
  if (i < 0) return;
  rt_withdraw_open_items(tx, RT_AT(tx->s.steps, RtStep, i));
  remove_step_at(tx, i);
}

static inline bool open_item(Tx *tx, RtStep *st, RtPerson *who) {
  who->item = rt_new_id(tx);
  rt_item_effect(tx, EF_OPENED, st, who);
  rt_journal(tx, BP_J_OPENED, rt_step_node(tx, st->t), "opened for %s: %s", who->user.u.s->s, st->title.u.s->s);
  return tx->err.code == RT_OK;
}

/* The places of inst's people room (bit k: person k) that the steps of STEPS hold. */
static inline uint32_t people_room_held(const RtVec *steps, const RtPerson *room) {
  uint32_t held = 0;
  uintptr_t from = (uintptr_t)room, to = (uintptr_t)(room + RT_PEOPLE_ROOM);
  for (uint32_t i = 0; i < steps->n; i++) {
    const RtVec *v = &RT_AT(*steps, RtStep, i)->people;
    uintptr_t at = (uintptr_t)v->v;
    if (at >= from && at < to) held |= ((1u << (v->cap & ~RT_VEC_LENT)) - 1u) << (at - from) / sizeof(RtPerson);
  }
  return held;
}

/* Room for the N people of a new step in the instance's own allocation (its people room),
 * lent to the step's vector, so that a step of a few people allocates nothing. The places
 * must be free in the event's working state and in its snapshot: a step this event closed
 * holds its people there until the commit (an abort puts it back). {0}: no room. */
static RtVec people_room(Tx *tx, uint32_t n) {
  RtPerson *room = tx->inst->people_room;
  if (!room || n == 0 || n > RT_PEOPLE_ROOM) return (RtVec){0};
  uint32_t held = people_room_held(&tx->s.steps, room) | people_room_held(&tx->snap.steps, room);
  uint32_t want = (1u << n) - 1u;
  for (uint32_t k = 0; k + n <= RT_PEOPLE_ROOM; k++)
    if (!(held & want << k)) return rt_vec_lent(room + k, n);
  return (RtVec){0};
}
_Static_assert(RT_PEOPLE_ROOM < 32, "the people room's places are bits of a uint32_t");

/* The people of a step that has none yet, from WHO (users, each once). */
static bool add_people_new(Tx *tx, RtStep *st, Value who) {
  uint32_t n = who.u.l->n;
  if (!st->people.v) st->people = people_room(tx, n);
  if (!st->people.v && n > RT_PEOPLE_ROOM) { /* more than the room: all at once, not by doubling */
    void *v = rt_realloc(tx->rt, NULL, 0, (size_t)n * sizeof(RtPerson));
    if (!v) return nomem(tx);
    st->people = (RtVec){v, 0, n};
    /* and their items' effects (hundreds copied at each doubling) */
    if (!rt_vec_reserve(tx->rt, &tx->effects, sizeof(Effect), n)) return nomem(tx);
  }
  for (uint32_t i = 0; i < n; i++) {
    RtPerson *who_p = rt_vec_push_unset(tx->rt, &st->people, sizeof *who_p); /* written whole below */
    if (!who_p) return nomem(tx);
    rt_ref(who.u.l->items[i]);
    *who_p = (RtPerson){.user = who.u.l->items[i]};
    if (!open_item(tx, st, who_p)) return false;
  }
  /* rt_add_people let the old index go; a step of fewer people has none */
  if (st->people.n >= RT_INDEX_MIN) rt_people_index(tx->rt, st);
  return true;
}

/* Adds the users of a WHO list to the step (each person once), opening their items. */
bool rt_add_people(Tx *tx, RtStep *st, Value who, uint32_t pc) {
  if (who.type != BPT_T_USERS) return rt_fail_at(tx, pc, "a step's people must be users, not %s", bpt_type_name(who.type));
  for (uint32_t i = 0; i < who.u.l->n; i++)
    if (who.u.l->items[i].type != BPT_T_USER) return rt_fail_at(tx, pc, "a step's people must be users");
  if (!rt_people_own(tx, st)) return false;
  rt_people_index_free(tx->rt, st); /* made again once everyone is in */
  uint32_t before = st->people.n, n = who.u.l->n;
  /* Users each once (a list made by USERS is; a crafted bundle's need not be) are a new
   * step's people as they are (rt_users_distinct: then at most 341, within BP_MAX_USERS). */
  if (before == 0 && (who.u.l == tx->inst->users_known || who.u.l == tx->users_held || rt_users_distinct(who.u.l))) return add_people_new(tx, st, who);
  /* Those asked already, then WHO, each once (n log n): what follows the first `before`
   * are the people to add. */
  Value all;
  if (n > UINT32_MAX / 32 - before) return rt_fail_at(tx, pc, "too many people on one step");
  if (!rt_list_new(tx->rt, BPT_T_USERS, before + n, &all)) return nomem(tx);
  for (uint32_t k = 0; k < before; k++) all.u.l->items[k] = RT_AT(st->people, RtPerson, k)->user;
  for (uint32_t i = 0; i < n; i++) all.u.l->items[before + i] = who.u.l->items[i];
  for (uint32_t i = 0; i < before + n; i++) rt_ref(all.u.l->items[i]);
  bool ok = rt_users_unique(tx->rt, &all, before + n) || nomem(tx);
  if (ok && all.u.l->n > BP_MAX_USERS) {
    rt_unref(tx->rt, all);
    return rt_fail_at(tx, pc, "more than %u people on one step (the limit is BP_MAX_USERS)", (unsigned)BP_MAX_USERS);
  }
  for (uint32_t i = before; ok && i < all.u.l->n; i++) {
    RtPerson *who_p = rt_vec_push_unset(tx->rt, &st->people, sizeof *who_p); /* written whole below */
    if (!who_p) {
      ok = nomem(tx);
      break;
    }
    rt_ref(all.u.l->items[i]);
    *who_p = (RtPerson){.user = all.u.l->items[i]};
    ok = open_item(tx, st, who_p);
  }
  rt_unref(tx->rt, all);
  if (ok && st->people.n >= RT_INDEX_MIN) rt_people_index(tx->rt, st); /* (as in add_people_new) */
  return ok;
}

/* ---- timers ---------------------------------------------------------------------------------- */

void rt_remove_timers(Tx *tx, uint8_t kind_a, uint8_t kind_b, uint32_t ref) {
  for (uint32_t i = tx->s.timers.n; i-- > 0;) {
    RtTimer *t = RT_AT(tx->s.timers, RtTimer, i);
    if ((t->kind == kind_a || t->kind == kind_b) && t->ref == ref)
      vec_remove_at(&tx->s.timers, sizeof(RtTimer), i);
  }
}

bool rt_add_timer(Tx *tx, int64_t at, uint8_t kind, uint32_t ref, uint16_t index) {
  RtTimer *t = rt_vec_push_unset(tx->rt, &tx->s.timers, sizeof *t); /* written whole below */
  if (!t) return nomem(tx);
  *t = (RtTimer){.at = at, .seq = rt_new_id(tx), .ref = ref, .index = index, .kind = kind};
  return true;
}

/* A due time from a duration (from now), a date (the end of that day) or a datetime. */
static bool due_time(Tx *tx, Value v, int64_t *at, uint32_t pc) {
  int64_t r;
  bool over = false;
  switch (v.type) {
  case BPT_T_DURATION: over = __builtin_add_overflow(tx->now, v.u.i, &r); break;
  case BPT_T_DATE:
    if (v.unset) return rt_fail_at(tx, pc, "the due date is not set");
    over = __builtin_mul_overflow(v.u.i + 1, (int64_t)86400, &r);
    break;
  case BPT_T_DATETIME:
    if (v.unset) return rt_fail_at(tx, pc, "the due time is not set");
    over = __builtin_mul_overflow(v.u.i, (int64_t)60, &r);
    break;
  default: return rt_fail_at(tx, pc, "`due` needs a duration, date or datetime, not %s", bpt_type_name(v.type));
  }
  if (over) return rt_fail_at(tx, pc, "the due time is out of range");
  *at = r;
  return true;
}

/* A reminder whose time is not after now (the step opens, or is reassigned, too close
 * to its due time) never runs: it counts as run. Its purpose is a warning ahead of the
 * deadline; the person was just given the item with its due time, and several reminders
 * (3d, 1d, 2h before) would otherwise all arrive at the same instant. */
static bool reminder_passed(Tx *tx, RtStep *st, uint32_t i, int64_t at) {
  if (at > tx->now) return false;
  st->fired |= (uint64_t)1 << i;
  return true;
}

/* The due timer, and reminder i at due - offset i; a reminder that already ran stays
 * quiet (reassigning re-arms only those that have not). */
static inline bool arm_timers(Tx *tx, RtStep *st) {
  if (st->due == RT_NO_TIME) return true;
  uint32_t id = st->id;
  int64_t due = st->due;
  uint64_t fired = st->fired;
  Value offsets = st->offsets;
  if (!rt_add_timer(tx, due, TM_DUE, id, 0)) return false;
  uint32_t n = offsets.type == BPT_T_VOID ? 0 : offsets.u.l->n;
  for (uint32_t i = 0; i < n; i++) {
    if (fired >> i & 1) continue;
    int64_t at;
    if (__builtin_sub_overflow(due, offsets.u.l->items[i].u.i, &at)) at = due;
    if (reminder_passed(tx, st, i, at)) continue;
    if (!rt_add_timer(tx, at, TM_REMIND, id, (uint16_t)i)) return false;
  }
  return true;
}

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

static void fire_after(Tx *tx, RtTimer t);

/* A soft deadline: the due time passed and no `on timeout` handler (or none left: `on
 * timeout times N` ran N times) takes it. The step stays open, its items marked overdue
 * (BpItem.overdue), its due time kept; its `after` handlers go on. */
static void step_overdue(Tx *tx, RtStep *st) {
  st->flags |= S_OVERDUE;
  if (!rt_journaling(tx)) return;
  RtBuf names = {0};
  for (uint32_t i = 0; i < st->people.n; i++) {
    const RtPerson *p = RT_AT(st->people, RtPerson, i);
    if (!p->item) continue;
    if (names.len) rt_buf_puts(tx->rt, &names, ", ");
    rt_buf_puts(tx->rt, &names, p->user.u.s->s);
  }
  /* Names cut short by a failed allocation would commit a line a direct run never
   * writes: the event is dropped instead. */
  if (names.nomem) nomem(tx);
  else
    rt_journal(tx, BP_J_OVERDUE, rt_step_node(tx, st->t), "overdue: %s (waiting for %s)", st->title.u.s->s,
               names.s ? names.s : "");
  rt_buf_free(tx->rt, &names);
}

static void fire(Tx *tx, RtTimer t) {
  if (t.kind == TM_AFTER) {
    fire_after(tx, t);
    return;
  }
  if (t.kind == TM_WAIT) {
    RtThread *th = thread_by_id(tx, t.ref);
    if (!th) return;
    th->wait = W_RUN;
    rt_ready(tx, t.ref);
    return;
  }
  int i = rt_step_index(&tx->s, t.ref);
  if (i < 0) return;
  RtStep *st = RT_AT(tx->s.steps, RtStep, i);
  const BptStep *d = &tx->p->steps[st->t];
  RtThread *owner = thread_by_id(tx, st->thread);
  uint32_t act = owner ? owner->act : 0;
  if (t.kind == TM_REMIND) {
    if (t.index >= d->nreminds) return;
    st->fired |= (uint64_t)1 << t.index;
    rt_journal(tx, BP_J_REMINDED, rt_step_node(tx, st->t), "reminder: %s", st->title.u.s->s);
    rt_spawn(tx, d->remind_pc[t.index], act, K_REMIND, st->id);
    return;
  }
  if (d->timeout_pc == BPT_NO_PC || st->timeouts_left == 0) {
    step_overdue(tx, st);
    return;
  }
  if (st->timeouts_left != UINT32_MAX) st->timeouts_left--;
  rt_journal(tx, BP_J_TIMED_OUT, rt_step_node(tx, st->t), "due time passed: %s", st->title.u.s->s);
  st->flags = (uint8_t)((st->flags | S_IN_TIMEOUT | S_OVERDUE) & ~S_HANDLED);
  st->due = RT_NO_TIME;
  rt_spawn(tx, d->timeout_pc, act, K_TIMEOUT, st->id);
}

/* An `after` handler's time came while its step is open: its thread starts, and a
 * repeating one is armed again a period later (from when it was due, so the runs keep
 * their rhythm however late the clock is moved). The thread is in no fork activation: a
 * token that left the step (BPMN's non-interrupting boundary event), which neither the
 * step closing nor a race the step's thread is in cancels; leaving the state (`goto`)
 * and the end of the instance do. */
static void fire_after(Tx *tx, RtTimer t) {
  int i = rt_step_index(&tx->s, t.ref);
  if (i < 0) return;
  RtStep *st = RT_AT(tx->s.steps, RtStep, i);
  const BptStep *d = &tx->p->steps[st->t];
  if (t.index >= d->nafters) return;
  uint32_t step_thread = st->thread;
  rt_journal(tx, BP_J_REMINDED, rt_step_node(tx, st->t), "after %u fires: %s", t.index + 1u, st->title.u.s->s);
  if (t.every > 0 && t.left > 0) {
    int64_t at;
    if (!__builtin_add_overflow(t.at, t.every, &at)) {
      RtTimer *again = rt_vec_push(tx->rt, &tx->s.timers, sizeof *again);
      if (!again) {
        nomem(tx);
        return;
      }
      *again = t;
      again->at = at;
      again->seq = rt_new_id(tx);
      if (again->left != UINT32_MAX) again->left--;
    }
  }
  rt_spawn(tx, d->after_pc[t.index], 0, K_AFTER, step_thread);
}

/* Fires every timer due by `until`, each at its own time, running the threads it
 * readies before the next one. */
void rt_fire_due(Tx *tx, int64_t until) {
  int64_t end = until > tx->now ? until : tx->now;
  for (;;) {
    if (!alive(tx)) return;
    int i = earliest_timer(&tx->s, end);
    if (i < 0) break;
    RtTimer t = *RT_AT(tx->s.timers, RtTimer, i);
    vec_remove_at(&tx->s.timers, sizeof(RtTimer), (uint32_t)i);
    if (t.at > tx->now) tx->now = t.at;
    tx->fired++;
    fire(tx, t);
    rt_run(tx);
  }
  tx->now = end;
}

/* ---- outcomes and results -------------------------------------------------------------------- */

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

/* Bitrix24's vote (ApproveActivity with ApproveType vote), decided after each vote as
 * Bitrix decides it, M being ApproveMinPercent (st->percent). Its percentages are
 * PHP's: intval(count / total * 100) in double arithmetic, so 29 of 100 is 28%.
 *  - wait for all: once every vote is in, approved when the approved percent is above
 *    M, or both are 100; else rejected;
 *  - without: approved as soon as that holds; rejected as soon as the share of the
 *    votes that are not approvals, (voted - approved) / total * 100 not truncated, is
 *    above 0 and at least 100 - M. Neither with every vote in: the approval stays
 *    open (its timeout, if any, ends it), as in Bitrix. */
int64_t rt_bitrix_percent(int64_t count, int64_t total) {
  return total > 0 ? (int64_t)((double)count / (double)total * 100.0) : 0;
}

bool rt_bitrix_vote(int64_t approved, int64_t rejected, int64_t total, int64_t min, bool wait_all, bool *yes,
                    bool *no) {
  *yes = *no = false;
  if (total <= 0) return false;
  int64_t voted = approved + rejected;
  int64_t percent = rt_bitrix_percent(approved, total);
  bool above = percent > min || (percent == 100 && min == 100);
  if (wait_all) {
    if (voted < total) return false;
    *yes = above;
    *no = !above;
    return true;
  }
  double against = (double)(voted - approved) / (double)total * 100.0;
  *yes = above;
  *no = !above && against > 0 && against >= (double)(100 - min);
  return *yes || *no;
}

/* The approval rules of LANGUAGE.md. Without `wait all` an approval is decided as soon
 * as its outcome can no longer change; with it, once every vote is in. */
SHORT_PATH Outcome approval_outcome(const Tx *tx, const RtStep *st) {
  const BptStep *d = &tx->p->steps[st->t];
  if (d->mode == BPT_MODE_BITRIX) {
    bool yes, no;
    rt_bitrix_vote(st->approved, st->rejected, st->people.n, st->percent,
                   (d->flags & BPT_STEP_WAIT_ALL) != 0, &yes, &no);
    return yes ? APPROVED : no ? REJECTED : UNDECIDED;
  }
  int64_t total = st->people.n, a = st->approved, r = st->rejected;
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
  if (n == 0) {
    *out = rt_empty_list(tx->b, BPT_T_LIST | BPT_T_STRING);
    return true;
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
  *out = rt_empty_text(tx->b, BPT_T_USER);
  return true;
}

static bool comment_or_empty(Tx *tx, const RtPerson *p, Value *out) {
  if (p && p->comment.type == BPT_T_STRING) {
    rt_ref(p->comment);
    *out = p->comment;
    return true;
  }
  *out = rt_empty_text(tx->b, BPT_T_STRING);
  return true;
}

/* The members of the step's result record into M (bpt.h gives their order), every one
 * written, also when it fails (out of memory: the comments' list, made last, is VOID). */
static bool fill_result(Tx *tx, const RtStep *st, bool timed_out, Outcome outcome, Value *m) {
  const BptStep *d = &tx->p->steps[st->t];
  const RtPerson *last = last_to_act(st);
  switch (d->kind) {
  case BPT_STEP_TASK:
  case BPT_STEP_REQUEST: {
    const RtPerson *done = timed_out ? NULL : last;
    user_or_empty(tx, done, &m[0]);
    m[1] = (Value){.type = BPT_T_DATETIME, .unset = !done, .u.i = done ? rt_floor_div(done->at, 60) : 0};
    if (d->kind == BPT_STEP_TASK) {
      comment_or_empty(tx, done, &m[2]);
      m[3] = rt_bool(timed_out);
    } else {
      m[2] = rt_bool(timed_out);
    }
    return true;
  }
  case BPT_STEP_APPROVE: {
    int64_t total = st->people.n, a = st->approved;
    m[0] = rt_bool(!timed_out && outcome == APPROVED);
    m[1] = rt_int(a);
    m[2] = rt_int(st->rejected);
    m[3] = rt_int(total);
    m[4] = rt_int(d->mode == BPT_MODE_BITRIX ? rt_bitrix_percent(a, total) : total ? a * 100 / total : 0);
    user_or_empty(tx, last, &m[5]);
    comment_or_empty(tx, last, &m[6]);
    m[8] = rt_bool(timed_out);
    m[7] = (Value){0};
    return comments_list(tx, st, &m[7]);
  }
  default: /* review */
    m[1] = rt_int(st->done);
    m[2] = rt_bool(timed_out);
    m[0] = (Value){0};
    return comments_list(tx, st, &m[0]);
  }
}

/* The members of a result of step kind K that fill_result may make objects (bit i:
 * member i): the user, the comment and the comments; the rest it writes as scalars. */
static const uint16_t result_objects[] = {
    [BPT_STEP_TASK] = 1u << 0 | 1u << 2, [BPT_STEP_APPROVE] = 1u << 5 | 1u << 6 | 1u << 7,
    [BPT_STEP_REVIEW] = 1u << 0, [BPT_STEP_REQUEST] = 1u << 0};

/* Whether none of the members OBJECTS (result_objects) at M is counted (a record of them
 * may be immortal). */
static bool all_uncounted(const Value *m, uint32_t objects) {
  for (; objects; objects &= objects - 1)
    if (!rt_uncounted(m[__builtin_ctz(objects)])) return false;
  return true;
}

/* The step's result record (bpt.h gives the member order). It is made in its instance's
 * document (BpDoc.made), immortal, when it fits there and no member is counted (an
 * immortal record never counts its members down): filled in its place there, and moved to
 * an allocation of its own only when a member turns out counted (the place is given back
 * at once: nothing took the room after it, nor saw it). */
static bool step_result(Tx *tx, const RtStep *st, bool timed_out, Outcome outcome, Value *out) {
  const BptStep *d = &tx->p->steps[st->t];
  static const uint8_t types[] = {BPT_T_TASK_RESULT, BPT_T_APPROVE_RESULT, BPT_T_REVIEW_RESULT,
                                  BPT_T_REQUEST_RESULT};
  uint8_t type = types[d->kind];
  uint32_t n = rt_record_size(type);
  RtRoom *made = &tx->inst->doc->made;
  size_t bytes = sizeof(RtRec) + n * sizeof(Value); /* a multiple of 8, as the room takes it */
  RtRec *r = rt_room_take(made, bytes);
  bool own = !r; /* an allocation of its own */
  if (own) {
    if (!rt_rec_new(tx->rt, type, n, out)) return nomem(tx);
    r = out->u.r;
  }
  bool ok = fill_result(tx, st, timed_out, outcome, r->m); /* (one call: gcc keeps it inline) */
  if (own) {
    if (ok) return true;
    rt_unref(tx->rt, *out);
    *out = (Value){0};
    return false;
  }
  if (ok && all_uncounted(r->m, result_objects[d->kind])) {
    r->ref = RT_IMMORTAL;
    r->n = n;
    *out = (Value){.type = type, .u.r = r};
    return true;
  }
  made->at -= bytes, made->left += bytes; /* the place back: the record goes elsewhere, or nowhere */
  if (ok && rt_rec_new(tx->rt, type, n, out)) {
    memcpy(out->u.r->m, r->m, n * sizeof(Value));
    return true;
  }
  rt_unref_all(tx->rt, r->m, n);
  return ok ? nomem(tx) : false;
}

/* The step at index I of the working state is over: its result stored, the others' items
 * withdrawn, its thread ready. OUTCOME is an approval's (approval_outcome, which the
 * caller has worked out already), UNDECIDED for other steps. */
static bool close_step(Tx *tx, int i, bool timed_out, Outcome outcome) {
  RtStep *st = RT_AT(tx->s.steps, RtStep, i);
  const BptStep *d = &tx->p->steps[st->t];
  Value result;
  if (!step_result(tx, st, timed_out, outcome, &result)) return false;
  if (d->result != BPT_NONE16) {
    rt_slot_let_go(tx, d->result);
    tx->s.slots[d->result] = result;
  } else {
    rt_unref(tx->rt, result);
  }
  const char *how;
  char counts[96]; /* (not cleared whole: every step that closes) */
  counts[0] = '\0';
  if (timed_out) how = "timed out";
  else if (d->kind == BPT_STEP_APPROVE) {
    how = outcome == APPROVED ? "approved" : "rejected";
    if (rt_journaling(tx))
      snprintf(counts, sizeof counts, " (%u of %u approved)", st->approved, st->people.n);
  } else how = "done";
  if (rt_any_open_item(st)) rt_withdraw_open_items(tx, st); /* the others' items go first, then the step closes */
  rt_journal(tx, BP_J_CLOSED, rt_step_node(tx, st->t), "closed: %s, %s%s", st->title.u.s->s, how, counts);
  uint32_t tid = st->thread;
  remove_step_at(tx, i);
  RtThread *th = thread_by_id(tx, tid);
  if (th) {
    th->wait = W_RUN;
    return rt_ready(tx, tid);
  }
  return tx->err.code == RT_OK;
}

bool rt_step_over(Tx *tx, uint32_t index, int *outcome) {
  *outcome = UNDECIDED;
  RtStep *st = RT_AT(tx->s.steps, RtStep, index);
  const BptStep *d = &tx->p->steps[st->t];
  if (d->kind == BPT_STEP_APPROVE) return (*outcome = approval_outcome(tx, st)) != UNDECIDED;
  if (d->kind == BPT_STEP_REVIEW && d->mode == BPT_MODE_ALL) return st->done == st->people.n;
  return st->done > 0;
}

bool rt_step_close(Tx *tx, uint32_t index, int outcome) { return close_step(tx, (int)index, false, (Outcome)outcome); }

/* Whether the step is done after someone acted. */
bool rt_step_settled(Tx *tx, uint32_t step_id) {
  int i = rt_step_index(&tx->s, step_id), outcome;
  if (i < 0) return true;
  return rt_step_over(tx, (uint32_t)i, &outcome) ? close_step(tx, i, false, (Outcome)outcome) : true;
}

/* ---- opening a step; handlers ---------------------------------------------------------------- */

/* The `after` handlers' inputs (the last STEP pops): each handler's first time, from
 * now, its period and its runs, as timers still to be given their step and order. A
 * handler that may run no more (`times 0`) gets no timer. */
static bool pop_afters(Tx *tx, const BptStep *d, uint32_t pc, RtTimer *out, unsigned *n) {
  if (d->nafters == 0) return true; /* most steps: nothing to pop, no call */
  unsigned count = 0;
  for (unsigned i = 0; i < d->nafters; i++)
    count += 1u + !!(d->after_flags[i] & BPT_AFTER_EVERY) + !!(d->after_flags[i] & BPT_AFTER_TIMES);
  Value v[BPT_STACK_MAX];
  rt_pop_n(tx, count, v);
  bool ok = true;
  unsigned k = 0;
  for (unsigned i = 0; i < d->nafters && ok; i++) {
    Value delay = v[k++], every = {0}, times = {0};
    if (d->after_flags[i] & BPT_AFTER_EVERY) every = v[k++];
    if (d->after_flags[i] & BPT_AFTER_TIMES) times = v[k++];
    if (delay.type != BPT_T_DURATION || ((d->after_flags[i] & BPT_AFTER_EVERY) && every.type != BPT_T_DURATION))
      ok = rt_fail_at(tx, pc, "`after` and `every` need durations");
    else if ((d->after_flags[i] & BPT_AFTER_TIMES) && times.type != BPT_T_INT)
      ok = rt_fail_at(tx, pc, "`times` needs an int, not %s", bpt_type_name(times.type));
    else if (delay.u.i < 0 || every.u.i < 0 || (every.type && every.u.i == 0))
      ok = rt_fail_at(tx, pc, "`after` needs a delay of 0 or more and `every` a period above 0");
    else if (times.type && times.u.i < 0)
      ok = rt_fail_at(tx, pc, "`times %lld`: a count of runs cannot be negative", (long long)times.u.i);
    if (!ok || (times.type && times.u.i == 0)) continue;
    RtTimer *tm = &out[(*n)++];
    *tm = (RtTimer){.kind = TM_AFTER, .index = (uint16_t)i};
    if (__builtin_add_overflow(tx->now, delay.u.i, &tm->at)) ok = rt_fail_at(tx, pc, "the time is out of range");
    if (every.type) {
      tm->every = every.u.i;
      tm->left = !times.type ? UINT32_MAX : times.u.i - 1 > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)(times.u.i - 1);
    }
  }
  rt_unref_all(tx->rt, v, count); /* durations and ints: no objects, but a crafted bundle's */
  return ok;
}

/* `on timeout times N`: N, an int of 0 or more (0: the handler never runs, the deadline is
 * soft from the start). */
static bool pop_timeout_times(Tx *tx, uint32_t pc, uint32_t *left) {
  Value n;
  if (!rt_pop_typed(tx, &n, BPT_T_INT, "`on timeout times`", pc)) return false;
  if (n.u.i < 0) return rt_fail_at(tx, pc, "`on timeout times %lld`: a count of runs cannot be negative", (long long)n.u.i);
  *left = n.u.i >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)n.u.i;
  return true;
}

/* STEP t: the inputs are on the stack; the thread waits for the step. */
bool rt_open_step(Tx *tx, uint32_t tid, uint16_t t, uint32_t pc, uint32_t next) {
  const BptStep *d = &tx->p->steps[t];
  Value who = {0}, title = {0}, due = {0}, vote = {0}, offsets = {0};
  RtTimer afters[BPT_STACK_MAX];
  unsigned nafter = 0;
  bool ok = pop_afters(tx, d, pc, afters, &nafter);
  if (!ok) return false;
  if (d->nreminds > 62) return rt_fail_at(tx, pc, "more than 62 reminders on a step");
  if (d->nreminds > 0) {
    if (!rt_list_new(tx->rt, BPT_T_LIST | BPT_T_DURATION, d->nreminds, &offsets)) return nomem(tx);
    rt_pop_n(tx, d->nreminds, offsets.u.l->items);
    for (uint8_t i = 0; i < d->nreminds && ok; i++)
      if (offsets.u.l->items[i].type != BPT_T_DURATION)
        ok = rt_fail_at(tx, pc, "a reminder needs a duration, not %s", bpt_type_name(offsets.u.l->items[i].type));
  }
  uint32_t timeouts_left = UINT32_MAX;
  if (ok && (d->flags & BPT_STEP_TIMEOUT_TIMES)) ok = pop_timeout_times(tx, pc, &timeouts_left);
  if (ok && (d->flags & BPT_STEP_HAS_DUE)) {
    due = tx->stack[--tx->sp];
  }
  if (ok && BPT_MODE_HAS_PERCENT(d->mode)) ok = rt_pop_typed(tx, &vote, BPT_T_INT, "a vote percentage", pc);
  if (ok) ok = rt_pop_typed(tx, &title, BPT_T_STRING, "a step's title", pc);
  Value held = {0}; /* WHO as popped: a list, or one user seen through `one` */
  RtWhoRoom one;
  if (ok) who = rt_who_view(held = tx->stack[--tx->sp], &one);
  int64_t due_at = RT_NO_TIME;
  if (ok && (d->flags & BPT_STEP_HAS_DUE)) ok = due_time(tx, due, &due_at, pc);
  if (ok && BPT_MODE_HAS_PERCENT(d->mode) && (vote.u.i < 0 || vote.u.i > 100))
    ok = rt_fail_at(tx, pc, "a vote percentage of %lld (0..100 allowed)", (long long)vote.u.i);
  if (ok && (who.type != BPT_T_USERS || who.u.l->n == 0))
    ok = who.type == BPT_T_USERS ? rt_fail_at(tx, pc, "nobody to ask for \"%s\": the list of people is empty", title.u.s->s)
                                 : rt_fail_at(tx, pc, "a step's people must be users, not %s", bpt_type_name(who.type));
  rt_unref(tx->rt, due);
  RtStep *st = ok ? rt_vec_push_unset(tx->rt, &tx->s.steps, sizeof *st) : NULL; /* written whole below */
  if (!st) {
    rt_unref(tx->rt, held);
    rt_unref(tx->rt, title);
    rt_unref(tx->rt, offsets);
    return ok ? nomem(tx) : false;
  }
  uint32_t step_id = rt_new_id(tx);
  *st = (RtStep){.id = step_id, .t = t, .thread = tid, .title = title, .percent = vote.u.i,
                 .due = due_at, .offsets = offsets, .timeouts_left = timeouts_left};
  RtThread *th = thread_by_id(tx, tid);
  th->wait = W_STEP;
  th->pc = next;
  ok = rt_add_people(tx, st, who, pc);
  rt_unref(tx->rt, held);
  if (!ok) return false;
  /* st is still the step: adding people adds no step and removes none (a failure there
   * that ends the instance returned above). */
  if (!arm_timers(tx, st)) return false;
  for (unsigned k = 0; k < nafter; k++) {
    RtTimer *tm = rt_vec_push(tx->rt, &tx->s.timers, sizeof *tm);
    if (!tm) return nomem(tx);
    *tm = afters[k];
    tm->ref = step_id;
    tm->seq = rt_new_id(tx);
  }
  /* `vote 0%` is decided before anyone votes. No other approval is (approval_outcome with
   * no votes among one person or more: `any` has no first, `all` not all, `majority` not
   * half; `vote N%` with N of 1 to 100 neither reaches N nor falls short of it), so only
   * these two and Bitrix's vote, its own rule, are looked at: not every step that opens. */
  if (d->kind == BPT_STEP_APPROVE && (d->mode == BPT_MODE_BITRIX || (d->mode == BPT_MODE_VOTE && vote.u.i == 0)))
    return rt_step_settled(tx, step_id);
  return true;
}

/* REASSIGN: those who have not acted are replaced by WHO (their items withdrawn); the
 * votes already cast stay. A new due time re-arms the timeout and the reminders that
 * have not run; without one the step waits with no deadline. */
bool rt_reassign(Tx *tx, RtStep *st, Value who, bool has_due, Value due, uint32_t pc) {
  uint32_t step_id = st->id;
  if (!rt_people_own(tx, st)) return false;
  rt_people_index_free(tx->rt, st); /* people go: their places change */
  for (uint32_t i = st->people.n; i-- > 0;) {
    RtPerson *p = RT_AT(st->people, RtPerson, i);
    if (p->act != P_NONE) continue;
    if (p->item) {
      rt_item_effect(tx, EF_WITHDRAWN, st, p);
      rt_journal(tx, BP_J_WITHDRAWN, rt_step_node(tx, st->t), "withdrawn from %s: %s", p->user.u.s->s, st->title.u.s->s);
    }
    rt_unref(tx->rt, p->user);
    rt_unref(tx->rt, p->comment);
    rt_vec_remove(&st->people, sizeof(RtPerson), i);
  }
  if (tx->err.code != RT_OK) return false;
  if (who.type == BPT_T_USERS && who.u.l->n == 0)
    return rt_fail_at(tx, pc, "`reassign` to nobody: the list of people is empty");
  RtBuf names = {0};
  if (who.type == BPT_T_USERS && rt_journaling(tx)) rt_text_of(tx, &names, who);
  if (names.nomem) { /* not a line with the names cut short: the event is dropped */
    rt_buf_free(tx->rt, &names);
    return nomem(tx);
  }
  rt_journal(tx, BP_J_REASSIGNED, rt_step_node(tx, st->t), "reassigned: %s to %s", st->title.u.s->s,
             names.s ? names.s : "");
  rt_buf_free(tx->rt, &names);
  if (!rt_add_people(tx, st, who, pc)) return false;
  st = RT_AT(tx->s.steps, RtStep, rt_step_index(&tx->s, step_id));
  rt_remove_timers(tx, TM_DUE, TM_REMIND, step_id);
  st->due = RT_NO_TIME;
  if (has_due && !due_time(tx, due, &st->due, pc)) return false;
  st->flags = (uint8_t)((st->flags | S_HANDLED) & ~S_OVERDUE); /* new people: not late yet */
  if (st->due != RT_NO_TIME && st->due <= tx->now) {
    /* The new deadline has passed already: running the timeout again now would only
     * reassign again, at the same instant, for ever. The step waits with no deadline. */
    st->due = RT_NO_TIME;
    rt_journal(tx, BP_J_REASSIGNED, rt_step_node(tx, st->t), "the new due time has passed already: %s has no deadline",
               st->title.u.s->s);
  }
  if (!arm_timers(tx, st)) return false;
  return true;
}

bool rt_handler_step(Tx *tx, uint32_t tid, uint32_t pc, RtStep **st) {
  RtThread *th = thread_by_id(tx, tid);
  if (!th || th->kind != K_TIMEOUT) return rt_fail_at(tx, pc, "`reassign` and `add` belong in an `on timeout` block");
  int i = rt_step_index(&tx->s, th->step);
  *st = i < 0 ? NULL : RT_AT(tx->s.steps, RtStep, i);
  return true;
}

bool rt_handler_end(Tx *tx, uint32_t tid, uint32_t pc) {
  RtThread *th = thread_by_id(tx, tid);
  if (th && th->kind == K_AFTER) { /* a token of its own: it only ends */
    rt_remove_thread(tx, tid);
    return true;
  }
  if (!th || (th->kind != K_REMIND && th->kind != K_TIMEOUT))
    return rt_fail_at(tx, pc, "the end of a handler outside a handler");
  uint8_t kind = th->kind;
  uint32_t step_id = th->step;
  rt_remove_thread(tx, tid);
  int i = rt_step_index(&tx->s, step_id);
  if (kind == K_REMIND || i < 0) return true;
  RtStep *st = RT_AT(tx->s.steps, RtStep, i);
  st->flags &= (uint8_t)~S_IN_TIMEOUT;
  if (!(st->flags & S_HANDLED))
    return close_step(tx, i, true, tx->p->steps[st->t].kind == BPT_STEP_APPROVE ? approval_outcome(tx, st) : UNDECIDED);
  st->flags &= (uint8_t)~S_HANDLED;
  return rt_step_settled(tx, step_id);
}

/* ---- acting on an item ----------------------------------------------------------------------- */

/* USER's oldest open item of the kinds wanted, found step by step through each step's
 * index of its people (open_person). */
static bool find_users_item(Tx *tx, const char *user, bool approval, uint32_t *step, uint32_t *person,
                            char *why, size_t why_size) {
  uint32_t best = 0;
  for (uint32_t i = 0; i < tx->s.steps.n; i++) {
    RtStep *st = RT_AT(tx->s.steps, RtStep, i);
    if ((tx->p->steps[st->t].kind == BPT_STEP_APPROVE) != approval) continue;
    int64_t k = open_person(st, user);
    if (k < 0) continue;
    const RtPerson *p = RT_AT(st->people, RtPerson, k);
    if (!best || p->item < best) {
      best = p->item;
      *step = i;
      *person = (uint32_t)k;
    }
  }
  if (best) return true;
  snprintf(why, why_size, "no open %s for %s", approval ? "approval" : "task, review or request", user);
  return false;
}

/* The open item to act on: ITEM itself, or USER's oldest open item of the kinds wanted. */
bool rt_find_item(Tx *tx, uint32_t item, const char *user, bool approval, uint32_t *step,
                      uint32_t *person, char *why, size_t why_size) {
  if (!item) return find_users_item(tx, user, approval, step, person, why, why_size);
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
        *step = i;
        *person = k;
      }
    }
  }
  if (best) return true;
  if (item) snprintf(why, why_size, "no open item %u", item);
  else snprintf(why, why_size, "no open %s for %s", approval ? "approval" : "task, review or request", user);
  return false;
}

bool rt_record_act(Tx *tx, RtStep *st, uint32_t person, uint8_t act, const char *comment) {
  Value c = {0};
  if (comment && *comment && !rt_str_new(tx->rt, comment, strlen(comment), BPT_T_STRING, &c)) return nomem(tx);
  RtPerson *p = rt_person_change(tx, st, person);
  if (!p) {
    rt_unref(tx->rt, c);
    return false;
  }
  p->act = act;
  p->item = 0;
  p->order = ++st->acted;
  st->approved += act == P_APPROVED;
  st->rejected += act == P_REJECTED;
  st->done += act == P_DONE;
  p->at = tx->now;
  rt_unref(tx->rt, p->comment);
  p->comment = c;
  static const char verbs[][12] = {"", "approved", "rejected", "completed"};
  rt_journal(tx, BP_J_DECIDED, rt_step_node(tx, st->t), "%s by %s: %s%s%s%s", verbs[act], p->user.u.s->s,
             st->title.u.s->s, c.type ? " (\"" : "", c.type ? comment : "", c.type ? "\")" : "");
  return tx->err.code == RT_OK;
}

/* A request's answers into its fields: every one given, each of its field's type. */
bool rt_store_answers(Tx *tx, const BptStep *d, const BpArg *answers, size_t n, BpError *err) {
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
      rt_slot_let_go(tx, rf->index);
      tx->s.slots[rf->index] = v;
    } else if (!rt_set_field(tx, rf->index, v)) {
      return false;
    }
    if (rt_journaling(tx)) {
      RtBuf b = {0};
      rt_buf_printf(tx->rt, &b, "%s = ", name);
      rt_text_of(tx, &b, v);
      rt_journal_text(tx, BP_J_FIELD, "", &b);
    }
    if (tx->err.code != RT_OK) return false;
  }
  return true;
}

/* ---- open items, read by the process ---------------------------------------------------------- */

typedef struct OpenItem {
  uint32_t item;
  const RtStep *st;
  const RtPerson *p;
} OpenItem;

static int open_item_order(const void *ctx, uint32_t a, uint32_t b) {
  const OpenItem *x = &((const OpenItem *)ctx)[a], *y = &((const OpenItem *)ctx)[b];
  return x->item < y->item ? -1 : x->item > y->item;
}

/* "kate: Pay Invoice 1 (due 2026-03-04T09:00, overdue)": who, what, until when. */
static RtCode open_item_text(Tx *tx, const OpenItem *o, Value *out, RtErr *e) {
  char room[RT_BUF_ROOM];
  RtBuf b = rt_buf_on(room, sizeof room);
  rt_buf_printf(tx->rt, &b, "%s: %s", o->p->user.u.s->s, o->st->title.u.s->s);
  if (o->st->due != RT_NO_TIME) {
    char when[32];
    bpt_format_datetime(rt_floor_div(o->st->due, 60), when, sizeof when);
    rt_buf_printf(tx->rt, &b, " (due %s%s)", when, o->st->flags & S_OVERDUE ? ", overdue" : "");
  } else if (o->st->flags & S_OVERDUE) {
    rt_buf_puts(tx->rt, &b, " (overdue)");
  }
  return rt_buf_value(tx->rt, &b, BPT_T_STRING, out, e);
}

/* open_items(): every open item of the instance as text, oldest first; open_users():
 * the people they wait for, each once, in the order of their oldest item. */
RtCode rt_open_items(Tx *tx, bool users, Value *out, RtErr *e) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < tx->s.steps.n; i++) {
    const RtStep *st = RT_AT(tx->s.steps, RtStep, i);
    for (uint32_t k = 0; k < st->people.n; k++) n += RT_AT(st->people, RtPerson, k)->item != 0;
  }
  OpenItem *items = rt_alloc(tx->rt, (size_t)(n + 1) * sizeof *items);
  uint32_t *order = rt_alloc(tx->rt, (size_t)(n + 1) * sizeof *order);
  RtCode c = RT_OK;
  if (!items || !order || !rt_list_new(tx->rt, users ? (BPT_T_LIST | BPT_T_USER) : (BPT_T_LIST | BPT_T_STRING), n, out)) {
    c = rt_nomem(e);
    goto done;
  }
  uint32_t m = 0;
  for (uint32_t i = 0; i < tx->s.steps.n; i++) {
    const RtStep *st = RT_AT(tx->s.steps, RtStep, i);
    for (uint32_t k = 0; k < st->people.n; k++) {
      const RtPerson *p = RT_AT(st->people, RtPerson, k);
      if (p->item) order[m] = m, items[m++] = (OpenItem){p->item, st, p};
    }
  }
  rt_sort(order, n, open_item_order, items);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < n && c == RT_OK; i++) {
    const OpenItem *o = &items[order[i]];
    if (users) {
      rt_ref(o->p->user);
      rt_users_add_once(tx->rt, *out, &kept, o->p->user);
    } else {
      c = open_item_text(tx, o, &out->u.l->items[kept], e);
      kept += c == RT_OK;
    }
  }
  if (c == RT_OK && !rt_list_shrink(tx->rt, out, kept)) c = rt_nomem(e);
  if (c != RT_OK) {
    rt_unref(tx->rt, *out);
    *out = (Value){0};
  }
done:
  if (items) rt_dealloc(tx->rt, items, (size_t)(n + 1) * sizeof *items);
  if (order) rt_dealloc(tx->rt, order, (size_t)(n + 1) * sizeof *order);
  return c;
}
