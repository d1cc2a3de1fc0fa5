/* rt_event.c — events: the public entry points that move an instance on (start, decide,
 * complete, command, advance, answer, fail, terminate) and the transactions they run in.
 *
 * Every event is a transaction (Tx): it changes the instance's state in place after
 * keeping a snapshot of it in the transaction's own storage (state_snapshot: no
 * allocation for a state of a few records), and collects its effects for the host;
 * tx_commit lets the snapshot go and delivers the effects through the host's callbacks,
 * tx_abort puts the snapshot back (state_put_back), drops the effects and puts back the
 * people a decision changed in place (rt_undo_rollback). So an event that runs out of
 * memory, or is refused, changes nothing. A program error is not a refusal: the instance
 * fails, and that is committed. A new instance's start takes no snapshot: if it fails,
 * the instance is dropped whole (rt_start_ex); the document's fields, which other
 * instances may share, are put back as for any event. A decision or completion takes its
 * snapshot only when it goes past the act itself (TX_LAZY): an act that does not settle
 * its step changes one person and the step's counts, both logged, and commits or is
 * dropped by that log alone. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rt_vm.h"

_Static_assert(sizeof(BpInstance) % _Alignof(Value) == 0, "an instance's slots follow it");
_Static_assert(sizeof(RtTimer) % _Alignof(RtPerson) == 0, "its people follow its timers, aligned");

/* ---- transactions ---------------------------------------------------------------------------- */

static int64_t clock_now(BpInstance *inst) {
  BpRuntime *rt = inst->rt;
  return rt->cfg.clock ? rt->cfg.clock(rt->cfg.ud) : inst->s.clock;
}

static void changed_free(Tx *tx);
static size_t logged_bytes(uint16_t nfields) { return nfields / 8u + 1u; }
static inline bool state_snapshot(BpRuntime *rt, const RtState *from, RtState *to, void *room, size_t room_size,
                                  uint8_t **written);
static void state_put_back(BpRuntime *rt, RtState *work, RtState *snap, const uint8_t *written);

/* How an event's transaction keeps the state as it was: TX_FRESH, the start of a new
 * instance (rt_start_ex), keeps nothing: a start that fails drops the instance, so there is
 * nothing to put back (tx_abort); TX_SNAPSHOT takes the snapshot at once; TX_LAZY, a
 * decision or completion, only when the event goes past what it logs (tx_snapshot). */
typedef enum TxKeep { TX_FRESH, TX_SNAPSHOT, TX_LAZY } TxKeep;

static inline bool snapshot_take(Tx *tx);
static bool tx_snapshot(Tx *tx);

/* An event's transaction on INST, keeping its state as KEEP says. */
static BpStatus tx_open(Tx *tx, BpInstance *inst, TxKeep keep, BpError *err) {
  bool fresh = keep == TX_FRESH;
  /* Cleared: what an event starts without (sp to s); the rest is set below. */
  memset(&tx->sp, 0, offsetof(Tx, s) - offsetof(Tx, sp));
  tx->written = NULL;
  tx->users_held = NULL;
  tx->fresh = fresh;
  tx->unsnapped = !fresh;
  tx->act_step = 0;
  tx->err.code = RT_OK;
  tx->err.msg[0] = '\0';
  tx->effects = rt_vec_lent(tx->effects_lent, TX_LENT_EFFECTS);
  tx->runq = rt_vec_lent(tx->runq_lent, TX_LENT_RUNQ);
  tx->undo = rt_vec_lent(tx->undo_lent, TX_LENT_UNDO);
  tx->field_undo = rt_vec_lent(tx->field_undo_lent, TX_LENT_FIELD_UNDO);
  tx->inst = inst;
  tx->rt = inst->rt;
  tx->b = inst->b;
  tx->p = &inst->b->b.processes[inst->proc];
  tx->rp = &inst->b->procs[inst->proc];
  tx->code = inst->b->b.code + tx->p->code_offset;
  tx->budget = tx->rt->cfg.step_budget ? tx->rt->cfg.step_budget : DEFAULT_BUDGET; /* bp_runtime_step_budget, without a call */
  tx->now = clock_now(inst);
  BpDoc *doc = inst->doc;
  bool few = doc->nfields <= TX_INLINE_FIELDS;
  tx->changed = few ? tx->changed_inline : rt_alloc(tx->rt, doc->nfields);
  tx->logged = few ? tx->logged_inline : rt_alloc(tx->rt, logged_bytes(doc->nfields));
  if (!tx->changed || !tx->logged) {
    changed_free(tx);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  /* The event works on the instance's state; it writes the document's own fields,
   * logging each write (rt_set_field). */
  tx->s = inst->s;
  tx->s.nfields = doc->nfields;
  tx->s.fields = doc->fields;
  if (fresh) {
    /* No snapshot: every slot counts as written, so each write lets its old value go. */
    tx->snap = (RtState){0};
    uint16_t n = inst->s.nslots;
    tx->written = tx->snap_room;
    if (n > sizeof tx->snap_room) {
      tx->written = rt_realloc(tx->rt, NULL, 0, n);
      if (!tx->written) {
        changed_free(tx);
        return rt_fail_status(err, BP_ENOMEM, "out of memory");
      }
      tx->snap.block = tx->written; /* freed with the snapshot (snapshot_release, tx_abort) */
      tx->snap.block_size = n;
    }
    if (n <= 16) memset(tx->written, 1, 16); /* constant: two stores */
    else memset(tx->written, 1, n);
  } else if (keep == TX_SNAPSHOT && !snapshot_take(tx)) {
    changed_free(tx);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  return BP_OK;
}

static BpStatus tx_begin(Tx *tx, BpInstance *inst, BpError *err) { return tx_open(tx, inst, TX_SNAPSHOT, err); }

/* The counts of the step a TX_LAZY event acted on, as they were (tx_log_counts), into ST:
 * the snapshot's copy of that step, or the step itself when the event is dropped before
 * a snapshot; its people are its own again. */
static inline void counts_put_back(const Tx *tx, RtStep *st) {
  st->borrowed = 0;
  st->acted = tx->act_counts[0];
  st->approved = tx->act_counts[1];
  st->rejected = tx->act_counts[2];
  st->done = tx->act_counts[3];
}

/* The snapshot (state_snapshot), taken before the event changes anything it does not
 * log: at once (TX_SNAPSHOT), or when a TX_LAZY event goes past the act it logged
 * (tx_log_counts). Then the counts of the step a person acted on are taken back in the
 * copy (the person is put back by its undo record, in the people the snapshot's step
 * shares), and from here the working state's steps borrow the snapshot's people (copied
 * only if the event changes them: rt_people_own), titles and offsets. False when out of
 * memory (the event is dropped, or not opened). Does nothing once taken. */
SHORT_PATH bool snapshot_take(Tx *tx) {
  if (!tx->unsnapped) return true;
  if (!state_snapshot(tx->rt, &tx->s, &tx->snap, tx->snap_room, sizeof tx->snap_room, &tx->written)) return nomem(tx);
  tx->unsnapped = false;
  if (tx->act_step) counts_put_back(tx, RT_AT(tx->snap.steps, RtStep, tx->act_index));
  for (uint32_t i = 0; i < tx->s.steps.n; i++)
    RT_AT(tx->s.steps, RtStep, i)->borrowed = RT_BORROWED_PEOPLE | RT_BORROWED_VALUES;
  return true;
}

/* snapshot_take as a call, where it is not on the way of every event. */
static bool tx_snapshot(Tx *tx) { return snapshot_take(tx); }

/* A TX_LAZY event about to record a person's act on ST, the step at INDEX: the step's
 * counts as they were, and its people borrowed (so that rt_person_change logs the person
 * it changes) until the snapshot is taken or the event ends. Past the first act, or with
 * the snapshot taken, it takes the snapshot (no event acts twice now). False when out of
 * memory. */
static bool tx_log_counts(Tx *tx, RtStep *st, uint32_t index) {
  if (!tx->unsnapped) return true;
  if (tx->act_step) return tx_snapshot(tx);
  tx->act_step = st->id;
  tx->act_index = index;
  tx->act_counts[0] = st->acted;
  tx->act_counts[1] = st->approved;
  tx->act_counts[2] = st->rejected;
  tx->act_counts[3] = st->done;
  st->borrowed = RT_BORROWED_PEOPLE | RT_BORROWED_VALUES;
  return true;
}

static void changed_free(Tx *tx) {
  if (tx->changed && tx->changed != tx->changed_inline) rt_dealloc(tx->rt, tx->changed, tx->inst->doc->nfields);
  tx->changed = NULL;
  if (tx->logged && tx->logged != tx->logged_inline) rt_dealloc(tx->rt, tx->logged, logged_bytes(tx->inst->doc->nfields));
  tx->logged = NULL;
}

/* The document's fields as they were before the event, latest write first. */
static void fields_rollback(Tx *tx) {
  for (uint32_t i = tx->field_undo.n; i-- > 0;) {
    RtFieldUndo *u = RT_AT(tx->field_undo, RtFieldUndo, i);
    rt_unref(tx->rt, tx->s.fields[u->f]);
    tx->s.fields[u->f] = u->old;
  }
  rt_vec_free(tx->rt, &tx->field_undo, sizeof(RtFieldUndo));
}

static void fields_release(Tx *tx) {
  for (uint32_t i = 0; i < tx->field_undo.n; i++) rt_unref(tx->rt, RT_AT(tx->field_undo, RtFieldUndo, i)->old);
  rt_vec_free(tx->rt, &tx->field_undo, sizeof(RtFieldUndo));
}

static inline void users_let_go(Tx *tx);

static void tx_abort(Tx *tx) {
  users_let_go(tx);
  rt_undo_rollback(tx); /* the instance's own people as they were */
  fields_rollback(tx);  /* and the document's fields */
  tx->s.fields = NULL;  /* the document's */
  tx->s.nfields = 0;
  rt_stack_clear(tx);
  changed_free(tx);
  /* A dropped TX_LAZY event that took no snapshot: the logged counts put back in place,
   * and the step's mark cleared (the person is put back by rt_undo_rollback). A new
   * instance's start has no snapshot: the instance, freed next, keeps what the event
   * left, and bp_instance_free lets it go. */
  if (tx->unsnapped) {
    if (tx->act_step) counts_put_back(tx, RT_AT(tx->s.steps, RtStep, tx->act_index));
  } else if (!tx->fresh) state_put_back(tx->rt, &tx->s, &tx->snap, tx->written);
  else if (tx->snap.block) rt_dealloc(tx->rt, tx->snap.block, tx->snap.block_size); /* the marks */
  tx->inst->s = tx->s;
  rt_effects_free(tx->rt, &tx->effects);
  rt_vec_free(tx->rt, &tx->runq, sizeof(uint32_t));
}

static void deliver(BpInstance *inst, RtVec *effects);
static void steps_hand_over(BpRuntime *rt, RtState *old, RtState *now);
static void snapshot_release(BpRuntime *rt, RtState *snap, const uint8_t *written);

/* Swaps the working state in and delivers the effects. The document's fields go to the
 * document (shared by the instances on it). */
/* The event's reference to the list it found each once (Tx.users_held). */
static inline void users_let_go(Tx *tx) {
  if (tx->users_held) rt_unref(tx->rt, (Value){.type = BPT_T_USERS, .u.l = tx->users_held});
}

static BpStatus tx_commit(Tx *tx, bool announce) {
  BpInstance *inst = tx->inst;
  BpDoc *doc = inst->doc;
  fields_release(tx); /* the document has its new values already */
  tx->s.fields = NULL;
  tx->s.nfields = 0;
  tx->s.clock = tx->now;
  /* The steps' leftovers, then what the event replaced or removed. An event without a
   * snapshot (TX_LAZY, unsnapped) changed only its person and counts: its steps still
   * borrow everything they had, which is theirs again. */
  if (tx->unsnapped) {
    if (tx->act_step) RT_AT(tx->s.steps, RtStep, tx->act_index)->borrowed = 0;
  } else {
    users_let_go(tx); /* (an unsnapped event ran nothing: it holds none) */
    if (!tx->fresh) steps_hand_over(tx->rt, &tx->snap, &tx->s);
    snapshot_release(tx->rt, &tx->snap, tx->written);
  }
  inst->s = tx->s;
  rt_undo_release(tx);
  rt_vec_free(tx->rt, &tx->runq, sizeof(uint32_t));
  RtVec effects = tx->effects;
  tx->effects = (RtVec){0};
  bool *changed = tx->changed;
  tx->changed = NULL;
  if (tx->logged != tx->logged_inline) rt_dealloc(tx->rt, tx->logged, logged_bytes(doc->nfields));
  tx->logged = NULL;
  uint16_t nfields = doc->nfields;
  bool any = tx->any_changed;
  if (announce && inst->rt->cfg.started) inst->rt->cfg.started(inst->rt->cfg.ud, inst);
  /* The document and the instance hold each other up while the host is told. */
  doc->refs++;
  deliver(inst, &effects);
  if (any) rt_doc_triggers(doc, BPT_TRIG_CHANGE, changed, inst->proc);
  if (changed != tx->changed_inline) rt_dealloc(doc->b->rt, changed, nfields);
  if (doc->refs == 1) bp_doc_release(doc); /* the host let both go while it was told */
  else doc->refs--;
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

/* After an event: the process runs until it waits, then every timer due by the event's
 * time fires (a wait the run just began may be over already, and the host's clock may
 * have passed timers while the instance rested). */
static void run_on(Tx *tx) {
  rt_run(tx);
  /* rt_fire_due by the event's own time changes nothing when no timer is due by then
   * (most events: a step's deadline days ahead, or none): asked here, without the call. */
  for (uint32_t i = 0; i < tx->s.timers.n; i++)
    if (RT_AT(tx->s.timers, RtTimer, i)->at <= tx->now) {
      rt_fire_due(tx, tx->now);
      return;
    }
}

/* ---- delivering effects ---------------------------------------------------------------------- */

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
    rt_effect_release(rt, e); /* told: what it holds goes now, not in a second pass */
  }
  rt_vec_free(rt, effects, sizeof(Effect));
}

/* ---- starting -------------------------------------------------------------------------------- */

/* The process's start node, for the journal's first line. */
static const char *start_node(const BpBundle *b, const BptProcess *p) {
  for (uint32_t i = 0; i < p->nnodes; i++)
    if (b->b.nodes[p->first_node + i].kind == BPT_N_START) return rt_string(b, b->b.nodes[p->first_node + i].id);
  return "";
}

static bool param_check(Tx *tx, const Value *params, BpError *err) {
  const BptProcess *p = tx->p;
  for (uint16_t i = 0; i < p->nparams; i++) {
    const BptParam *prm = &p->params[i];
    const BptSlot *slot = &p->slots[prm->slot];
    if (params && params[i].type != BPT_T_VOID) {
      RtErr e;
      RT_ERR_NONE(e);
      Value v = params[i];
      /* Of its type already (the usual start): rt_convert's first case, without a call. */
      RtCode c = v.type == slot->type ? (rt_ref(v), RT_OK) : rt_convert(tx->rt, params[i], slot->type, &v, &e);
      if (c != RT_OK) {
        if (c == RT_NOMEM) return nomem(tx);
        rt_fail_status(err, BP_EINVAL, "parameter `%s`: %s", rt_string(tx->b, slot->name), e.msg);
        return false;
      }
      tx->s.slots[prm->slot] = v;
      /* A required list of people must name someone: an empty one would only fail the
       * instance later, at the first step that asks them. */
      if (prm->required && v.type == BPT_T_USERS && v.u.l->n == 0) {
        const char *label = rt_string(tx->b, prm->label);
        rt_fail_status(err, BP_EREFUSED, "`%s` cannot start: parameter `%s`%s%s%s is empty: name at least one user",
                       rt_string(tx->b, p->name), rt_string(tx->b, slot->name), *label ? " (" : "", label,
                       *label ? ")" : "");
        return false;
      }
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

BpStatus rt_start_ex(BpBundle *b, uint16_t proc, BpDoc *doc, const Value *params, void *ud,
                     bool announce, BpInstance **out, BpError *err) {
  return rt_start_known(b, proc, doc, params, NULL, ud, announce, out, err);
}

BpStatus rt_start_known(BpBundle *b, uint16_t proc, BpDoc *doc, const Value *params, const RtList *known, void *ud,
                        bool announce, BpInstance **out, BpError *err) {
  BpRuntime *rt = b->rt;
  const BptProcess *p = &b->b.processes[proc];
  *out = NULL;
  /* One allocation: the instance, then the slots of its state and the first records of
   * its threads, steps and timers (lent to the state, as many as RtProc.room_each; more move to an
   * allocation of their own), and room for the people of its steps (RT_PEOPLE_ROOM, lent
   * to a new step's people: rt_step.c). Events change the state in place. A document made for
   * this start may hold it (its `room`: taken here, once). */
  const RtProc *rp = &b->procs[proc];
  size_t slots_size = rt_values_bytes(p->nslots);
  size_t size = rp->inst_size;
  bool in_doc = doc->room && doc->room_size == size;
  BpInstance *inst = in_doc ? doc->room : rt_realloc(rt, NULL, 0, size);
  if (!inst) return rt_fail_status(err, BP_ENOMEM, "out of memory");
  /* Cleared but for the rooms, which vectors write before they read (rt_instance_head); a
   * document's room is cleared as far when it is made (bp_start). The slots are then
   * given their values as started (RtProc.slots_initial). */
  if (!in_doc) memset(inst, 0, sizeof(BpInstance) + slots_size);
  if (in_doc) doc->room = NULL;
  inst->in_doc = in_doc;
  inst->size = size;
  inst->b = b;
  inst->rt = rt;
  inst->proc = proc;
  inst->doc = doc;
  inst->ud = ud;
  inst->s.state = BPT_NONE16;
  inst->s.nslots = p->nslots;
  inst->s.slots = (Value *)(inst + 1);
  inst->s.slots_lent = true;
  char *room = (char *)inst->s.slots + slots_size; /* (RtProc.inst_size) */
  inst->s.threads = rt_vec_lent(room, rp->room_each);
  inst->s.steps = rt_vec_lent(room + rp->steps_at, rp->room_each);
  inst->s.timers = rt_vec_lent(room + rp->timers_at, rp->room_each);
  inst->people_room = (RtPerson *)(room + rp->people_at);
  inst->users_known = NULL; /* (a document's room handed again holds the last one's) */
  doc->refs++;
  memcpy(inst->s.slots, rp->slots_initial, slots_size); /* (uncounted) */
  Tx tx;
  BpStatus st = tx_open(&tx, inst, TX_FRESH, err);
  if (st != BP_OK) {
    bp_instance_free(inst);
    return st;
  }
  if (known) {
    if (known->ref == RT_IMMORTAL) {
      inst->users_known = known;
    } else { /* held by the start's event (a counted list: the host's many voters) */
      tx.users_held = (RtList *)known;
      rt_ref((Value){.type = BPT_T_USERS, .u.l = tx.users_held});
    }
  }
  BpError perr; /* no error yet (its 256 bytes of message are not cleared: every start) */
  perr.status = BP_OK;
  perr.message[0] = '\0';
  if (!param_check(&tx, params, &perr)) {
    tx_abort(&tx);
    bp_instance_free(inst);
    if (perr.status == BP_OK) return rt_fail_status(err, BP_ENOMEM, "out of memory");
    if (err) *err = perr;
    return perr.status;
  }
  const char *title = rt_string(b, p->title);
  rt_journal(&tx, BP_J_STARTED, start_node(b, p), "started: %s", *title ? title : rt_string(b, p->name));
  rt_spawn(&tx, p->entry_pc, 0, K_BODY, 0);
  run_on(&tx);
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
  BpDoc *doc = parent->doc;
  if (doc->trigger_depth >= MAX_START_CHAIN) {
    /* The child's first run delivers its own `start`s before this returns: a process
     * that starts itself (or P starts Q starts P) nested starts until the stack ran out
     * (found by fuzz_bundle). Counted with the triggered starts on the document, and cut
     * as they are: a chain this long is a loop between processes, not a business rule. */
    st = BP_EINVAL;
    snprintf(err.message, sizeof err.message, "more than %d processes started by each other in a row",
             MAX_START_CHAIN);
  } else if (params) {
    for (uint32_t i = 0; i + 1 < e->a.u.l->n; i += 2)
      params[e->a.u.l->items[i].u.i] = e->a.u.l->items[i + 1];
    doc->trigger_depth++;
    st = rt_start_ex(b, e->index, doc, params, NULL, true, &child, &err);
    doc->trigger_depth--;
  } else {
    snprintf(err.message, sizeof err.message, "out of memory");
  }
  if (params) rt_dealloc(rt, params, rt_values_bytes(target->nparams));
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

/* ---- events ---------------------------------------------------------------------------------- */

static const char ended_how[][12] = {"waiting", "completed", "terminated", "failed"};

static BpStatus over(BpInstance *inst, BpError *err) {
  return rt_fail_status(err, BP_EOVER, "the instance has %s; it takes no more events", ended_how[inst->s.status]);
}

/* An event's transaction, on a waiting instance only. */
static BpStatus event_begin(Tx *tx, BpInstance *inst, BpError *err) {
  if (inst->s.status != ST_WAITING) return over(inst, err);
  return tx_begin(tx, inst, err);
}

/* A decision or completion for an ended instance: there is no open item. */
static BpStatus over_item(BpInstance *inst, const char *user, bool approval, BpError *err) {
  return rt_fail_status(err, BP_EOVER, "no open %s for %s: the instance has %s",
                        approval ? "approval" : "task, review or request", user, ended_how[inst->s.status]);
}

/* Comments and messages come from the host: refuse what is not UTF-8 rather than store it. */
static bool valid_text(const char *s) { return rt_valid_utf8(s, strlen(s)); }

/* The start of a decision or completion: the instance waits, a transaction is open and
 * USER's open item ITEM is found (its step's place and its person). Anything else is the
 * status to return, the transaction already closed. */
static BpStatus item_begin(Tx *tx, BpInstance *inst, uint32_t item, const char *user, bool approval,
                           uint32_t *step, uint32_t *person, BpError *err) {
  if (inst->s.status != ST_WAITING) return over_item(inst, user, approval, err);
  BpStatus st = tx_open(tx, inst, TX_LAZY, err);
  if (st != BP_OK) return st;
  char why[200];
  if (!rt_find_item(tx, item, user, approval, step, person, why, sizeof why))
    return tx_refuse(tx, err, BP_EREFUSED, why);
  return BP_OK;
}

/* Whether running on after an act would do nothing: no thread ready, the process not at
 * its end, no timer due by the event's time (rt_run, rt_fire_due). */
static bool nothing_to_run(const Tx *tx) {
  if (tx->runq.n || (tx->p->nstates == 0 && tx->s.threads.n == 0)) return false;
  for (uint32_t i = 0; i < tx->s.timers.n; i++)
    if (RT_AT(tx->s.timers, RtTimer, i)->at <= tx->now) return false;
  return true;
}

/* Whether an act on ST settles it whatever it is: an approval's first act in mode `any`
 * or its last person's, a task's or request's or a review's (but for a review of all, only
 * its last person's). Only a hint for item_act, which then takes the snapshot at once
 * rather than logging the counts and taking it after the act (either is right). */
static inline bool act_settles(const Tx *tx, const RtStep *st) {
  const BptStep *d = &tx->p->steps[st->t];
  bool last = st->acted + 1 >= st->people.n;
  if (d->kind == BPT_STEP_APPROVE) return d->mode == BPT_MODE_ANY || last;
  return d->kind != BPT_STEP_REVIEW || d->mode != BPT_MODE_ALL || last;
}

/* The end of one: records the act on the step at STEP; when that settles the step, the
 * process runs on. An act that does not settle it, with nothing due, changes only the
 * person and the step's counts, both logged: it commits without a snapshot (TX_LAZY),
 * which is most votes of a vote. Anything more takes the snapshot first: before the act
 * when it settles the step for sure (act_settles), else after it. */
SHORT_PATH BpStatus item_act(Tx *tx, uint32_t step, uint32_t person, uint8_t act, const char *comment,
                             BpError *err) {
  RtStep *st = RT_AT(tx->s.steps, RtStep, step);
  if (act_settles(tx, st) && !snapshot_take(tx)) return tx_end(tx, err);
  if (tx_log_counts(tx, st, step) && rt_record_act(tx, st, person, act, comment)) {
    int outcome;
    bool over = rt_step_over(tx, step, &outcome);
    if ((over || !tx->unsnapped || !nothing_to_run(tx)) && tx_snapshot(tx)) {
      if (over) rt_step_close(tx, step, outcome);
      run_on(tx);
    }
  }
  return tx_end(tx, err);
}

BpStatus bp_decide(BpInstance *inst, uint32_t item, const char *user, bool approve,
                   const char *comment, BpError *err) {
  if (!inst || !user) return rt_fail_status(err, BP_EINVAL, "bp_decide: no instance or user");
  if (comment && !valid_text(comment)) return rt_fail_status(err, BP_EINVAL, "the comment is not valid UTF-8");
  if (comment && strlen(comment) > BP_MAX_STRING)
    return rt_fail_status(err, BP_EINVAL, "the comment is longer than %u bytes (BP_MAX_STRING)", (unsigned)BP_MAX_STRING);
  Tx tx;
  uint32_t step, person;
  BpStatus st = item_begin(&tx, inst, item, user, true, &step, &person, err);
  if (st != BP_OK) return st;
  return item_act(&tx, step, person, approve ? P_APPROVED : P_REJECTED, comment, err);
}

BpStatus bp_complete(BpInstance *inst, uint32_t item, const char *user, const char *comment,
                     const BpArg *answers, size_t n, BpError *err) {
  if (!inst || !user || (n && !answers)) return rt_fail_status(err, BP_EINVAL, "bp_complete: no instance or user");
  if (comment && !valid_text(comment)) return rt_fail_status(err, BP_EINVAL, "the comment is not valid UTF-8");
  if (comment && strlen(comment) > BP_MAX_STRING)
    return rt_fail_status(err, BP_EINVAL, "the comment is longer than %u bytes (BP_MAX_STRING)", (unsigned)BP_MAX_STRING);
  for (size_t i = 0; i < n; i++)
    if (!answers[i].name) return rt_fail_status(err, BP_EINVAL, "an answer without a name");
  Tx tx;
  uint32_t step, person;
  BpStatus st = item_begin(&tx, inst, item, user, false, &step, &person, err);
  if (st != BP_OK) return st;
  const BptStep *d = &tx.p->steps[RT_AT(tx.s.steps, RtStep, step)->t];
  if (d->kind != BPT_STEP_REQUEST && n > 0)
    return tx_refuse(&tx, err, BP_EREFUSED, "this item asks for no answers");
  if (d->kind == BPT_STEP_REQUEST) {
    if (!tx_snapshot(&tx)) return tx_end(&tx, err); /* the answers go into slots and fields */
    BpError aerr = {0};
    if (!rt_store_answers(&tx, d, answers, n, &aerr)) {
      if (tx.err.code == RT_NOMEM) return tx_end(&tx, err);
      return tx_refuse(&tx, err, aerr.status, aerr.message);
    }
  }
  return item_act(&tx, step, person, P_DONE, comment, err);
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
  Value held;
  RtCode code = rt_run_fragment(tx, c->by_pc, &held);
  if (code != RT_OK) return code;
  *allowed = false;
  RtWhoRoom one;
  Value who = rt_who_view(held, &one);
  if (who.type == BPT_T_USERS)
    for (uint32_t i = 0; i < who.u.l->n && !*allowed; i++)
      *allowed = strcmp(who.u.l->items[i].u.s->s, user) == 0;
  rt_unref(tx->rt, held);
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
  rt_journal(&tx, BP_J_COMMAND, "", "command %s by %s", name, user);
  if (c->target != BPT_NONE16) rt_enter_state(&tx, c->target);
  else rt_spawn(&tx, c->body_pc, 0, K_STATE, 0);
  run_on(&tx);
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

uint32_t bp_runtime_step_budget(const BpRuntime *rt) {
  return rt && rt->cfg.step_budget ? rt->cfg.step_budget : DEFAULT_BUDGET;
}

BpStatus bp_advance(BpInstance *inst, int64_t now, BpError *err) {
  if (!inst) return rt_fail_status(err, BP_EINVAL, "bp_advance: no instance");
  uint32_t budget = bp_runtime_step_budget(inst->rt);
  return bp_advance_shared(inst, now, &budget, err);
}

/* One advance is one event, whether the host makes it in one call or in several: the
 * timers it fires share one step budget, so a timer that re-arms itself fails the
 * instance after the same work however the host slices the time. */
BpStatus bp_advance_shared(BpInstance *inst, int64_t now, uint32_t *budget, BpError *err) {
  if (!inst || !budget) return rt_fail_status(err, BP_EINVAL, "bp_advance_shared: no instance or budget");
  if (inst->s.status != ST_WAITING) {
    if (now > inst->s.clock) inst->s.clock = now;
    return BP_OK; /* time passes for an ended instance too; nothing happens */
  }
  Tx tx;
  BpStatus st = tx_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  tx.advancing = true;
  tx.budget_carried = *budget < tx.budget;
  tx.budget = *budget;
  /* The clock never goes back: a timer due "before now" fires at once. */
  int64_t start = inst->s.clock < tx.now ? inst->s.clock : tx.now;
  if (start < now) tx.now = start;
  rt_fire_due(&tx, now);
  uint32_t left = tx.budget;
  /* Only a committed advance spends the host's budget: a dropped one changed nothing,
   * and the host may try it again with the same budget. */
  st = tx_end(&tx, err);
  if (st == BP_OK) *budget = left;
  return st;
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
  Tx tx;
  BpStatus st = event_begin(&tx, inst, err);
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
      snprintf(why, sizeof why, "`%s` must be answered with %s", name, bpt_type_name(a->result));
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
  if (rt_journaling(&tx)) {
    RtBuf b = {0};
    rt_buf_printf(tx.rt, &b, "answered %s", name);
    if (v.type != BPT_T_VOID) {
      rt_buf_puts(tx.rt, &b, ": ");
      rt_text_of(&tx, &b, v);
    }
    rt_journal_text(&tx, BP_J_ANSWERED, "", &b);
  }
  if (slot != BPT_NONE16 && slot < tx.s.nslots) {
    rt_slot_let_go(&tx, slot);
    tx.s.slots[slot] = v;
  } else {
    rt_unref(tx.rt, v);
  }
  RtThread *th = thread_by_id(&tx, tid);
  if (th) {
    th->wait = W_RUN;
    rt_ready(&tx, tid);
  }
  run_on(&tx);
  return tx_end(&tx, err);
}

/* A message from the host (rt_message.c checks and delivers it; the receivers run). */
BpStatus bp_message(BpInstance *inst, const char *name, const BpArg *fields, size_t n, BpError *err) {
  if (!inst || !name || (n && !fields)) return rt_fail_status(err, BP_EINVAL, "bp_message: no instance or name");
  if (!valid_text(name)) return rt_fail_status(err, BP_EINVAL, "bp_message: the name is not UTF-8");
  Tx tx;
  BpStatus st = event_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  char why[256];
  if (!rt_deliver_message(&tx, name, fields, n, why, sizeof why)) return tx_refuse(&tx, err, BP_EREFUSED, why);
  if (tx.err.code == RT_OK) rt_fire_due(&tx, tx.now);
  return tx_end(&tx, err);
}

BpStatus bp_fail(BpInstance *inst, uint32_t call, const char *message, BpError *err) {
  if (!inst) return rt_fail_status(err, BP_EINVAL, "bp_fail: no instance");
  if (message && !valid_text(message)) return rt_fail_status(err, BP_EINVAL, "the message is not valid UTF-8");
  Tx tx;
  BpStatus st = event_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  uint32_t index;
  RtCall *c = call_by_id(&tx, call, &index);
  if (!c) return tx_refuse(&tx, err, BP_EREFUSED, "no pending call");
  char msg[400];
  snprintf(msg, sizeof msg, "action `%s` failed: %s", rt_string(tx.b, tx.b->b.actions[c->action].name),
           message && *message ? message : "(no message)");
  rt_end_instance(&tx, ST_FAILED, msg);
  return tx_end(&tx, err);
}

BpStatus bp_fail_error(BpInstance *inst, uint32_t call, const char *code, const char *message,
                       BpError *err) {
  if (!inst) return rt_fail_status(err, BP_EINVAL, "bp_fail_error: no instance");
  if (!code || !*code) return rt_fail_status(err, BP_EINVAL, "bp_fail_error: the error code is empty");
  if (!valid_text(code) || (message && !valid_text(message)))
    return rt_fail_status(err, BP_EINVAL, "the error code or message is not valid UTF-8");
  if (strlen(code) > BP_MAX_STRING || (message && strlen(message) > BP_MAX_STRING))
    return rt_fail_status(err, BP_EINVAL, "the error code or message is longer than BP_MAX_STRING");
  Tx tx;
  BpStatus st = event_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  uint32_t index;
  RtCall *c = call_by_id(&tx, call, &index);
  if (!c) return tx_refuse(&tx, err, BP_EREFUSED, "no pending call");
  char origin[200];
  snprintf(origin, sizeof origin, "action `%s`", rt_string(tx.b, tx.b->b.actions[c->action].name));
  uint32_t tid = c->thread;
  rt_unref(tx.rt, c->args);
  rt_vec_remove(&tx.s.calls, sizeof(RtCall), index);
  Value vc, vm;
  if (!rt_str_new(tx.rt, code, strlen(code), BPT_T_STRING, &vc)) {
    nomem(&tx);
    return tx_end(&tx, err);
  }
  if (!rt_str_new(tx.rt, message ? message : "", message ? strlen(message) : 0, BPT_T_STRING, &vm)) {
    rt_unref(tx.rt, vc);
    nomem(&tx);
    return tx_end(&tx, err);
  }
  RtThread *th = thread_by_id(&tx, tid);
  /* The position of the ACTION instruction the thread waits after. */
  uint32_t pc = th && th->pc > 0 ? th->pc - 1 : 0;
  rt_raise(&tx, tid, vc, vm, pc, origin);
  rt_unref(tx.rt, vc);
  rt_unref(tx.rt, vm);
  run_on(&tx);
  return tx_end(&tx, err);
}

BpStatus bp_terminate(BpInstance *inst, const char *reason, BpError *err) {
  if (!inst) return rt_fail_status(err, BP_EINVAL, "bp_terminate: no instance");
  if (reason && !valid_text(reason)) return rt_fail_status(err, BP_EINVAL, "the reason is not valid UTF-8");
  Tx tx;
  BpStatus st = event_begin(&tx, inst, err);
  if (st != BP_OK) return st;
  rt_end_instance(&tx, ST_TERMINATED, reason ? reason : "");
  return tx_end(&tx, err);
}

/* ---- fragments without an instance ----------------------------------------------------------- */

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
    code = rt_run_fragment(&tx, p->when_pc, &v);
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

/* ---- states: copy and free ------------------------------------------------------------------- */

void rt_state_free(BpRuntime *rt, RtState *s) {
  rt_state_release(rt, s);
  *s = (RtState){0};
}

void rt_state_release(BpRuntime *rt, RtState *s) {
  rt_unref(rt, s->message);
  if (s->fields) {
    rt_unref_all(rt, s->fields, s->nfields);
    rt_dealloc(rt, s->fields, rt_values_bytes(s->nfields));
  }
  if (s->slots) {
    rt_unref_each(rt, s->slots, s->nslots);
    if (!s->slots_lent) rt_dealloc(rt, s->slots, rt_values_bytes(s->nslots));
  }
  for (uint32_t i = 0; i < s->steps.n; i++) rt_step_free(rt, RT_AT(s->steps, RtStep, i));
  for (uint32_t i = 0; i < s->calls.n; i++) rt_unref(rt, RT_AT(s->calls, RtCall, i)->args);
  rt_vec_free(rt, &s->threads, sizeof(RtThread));
  rt_vec_free(rt, &s->acts, sizeof(RtAct));
  rt_vec_free(rt, &s->steps, sizeof(RtStep));
  rt_vec_free(rt, &s->timers, sizeof(RtTimer));
  rt_vec_free(rt, &s->calls, sizeof(RtCall));
  if (s->block) rt_dealloc(rt, s->block, s->block_size);
}

/* Room in a block for n elements of size sz (16-byte aligned). */
static size_t block_room(uint32_t n, size_t sz) { return ((size_t)n * sz + 15u) & ~(size_t)15u; }

/* Room in a block for the marks of n slots (Tx.written): at least 16 bytes, which the
 * usual process (16 slots or fewer) clears with two stores. */
static size_t marks_room(uint32_t n) { return n <= 16 ? 16 : block_room(n, 1); }

/* Lends vec the room at *at for FROM's records (block_room), with them copied; *at moves
 * past it. An empty FROM takes none. */
static void vec_lend(char **at, const RtVec *from, RtVec *vec, size_t sz) {
  *vec = (RtVec){0};
  if (!from->n) return;
  *vec = rt_vec_lent(*at, from->n);
  memcpy(vec->v, from->v, (size_t)from->n * sz);
  vec->n = from->n;
  *at += block_room(from->n, sz);
}

/* A state of at most SNAP_FEW_SLOTS slots and SNAP_FEW_RECORDS records in all (the usual
 * one: a few steps, threads and timers) fits a transaction's storage whatever its
 * records are, so state_snapshot does not add up their rooms to know: each room is at
 * most 15 bytes past its records, and a step is the largest record. */
enum { SNAP_FEW_SLOTS = 32, SNAP_FEW_RECORDS = 8 };
_Static_assert(sizeof(RtThread) <= sizeof(RtStep) && sizeof(RtAct) <= sizeof(RtStep) &&
                   sizeof(RtTimer) <= sizeof(RtStep) && sizeof(RtCall) <= sizeof(RtStep),
               "a step is the largest record");
_Static_assert(SNAP_FEW_SLOTS * sizeof(Value) + 15 + SNAP_FEW_SLOTS + SNAP_FEW_RECORDS * sizeof(RtStep) + 5 * 15 <=
                   TX_SNAP_ROOM,
               "a few slots and records fit a transaction's storage");

/* The state FROM as it is, in TO, for an event to put back if it is dropped: the slots and
 * the records of the five vectors copied into ROOM (or into one allocation, `block`, when
 * they do not fit), and *WRITTEN, a mark per slot, cleared (Tx.written). The slots' values
 * are shared, not counted: a slot's old value becomes the snapshot's only when the event
 * first writes the slot (rt_slot_let_go). The steps own their people, titles and offsets,
 * not counted either: the working state's steps borrow them (RtStep.borrowed), and the
 * commit sorts out which side keeps them (steps_hand_over). Every other value is counted
 * (snapshot_release lets them go). False when out of memory. */
SHORT_PATH bool state_snapshot(BpRuntime *rt, const RtState *from, RtState *to, void *room, size_t room_size,
                               uint8_t **written) {
  /* The header: only what putting it back and letting it go read (state_put_back,
   * snapshot_release, steps_hand_over); the slots and vectors are lent below. */
  to->status = from->status;
  to->state = from->state;
  to->next_id = from->next_id;
  to->clock = from->clock;
  to->message = from->message;
  to->fields = NULL;
  to->nfields = 0;
  to->nslots = from->nslots;
  to->block = NULL;
  to->block_size = 0;
  size_t slots = block_room(1, rt_values_bytes(from->nslots)), marks = marks_room(from->nslots);
  uint64_t records = (uint64_t)from->threads.n + from->acts.n + from->timers.n + from->calls.n + from->steps.n;
  char *block = room;
  if (from->nslots > SNAP_FEW_SLOTS || records > SNAP_FEW_RECORDS || room_size < TX_SNAP_ROOM) {
    size_t threads = block_room(from->threads.n, sizeof(RtThread)), acts = block_room(from->acts.n, sizeof(RtAct));
    size_t timers = block_room(from->timers.n, sizeof(RtTimer)), calls = block_room(from->calls.n, sizeof(RtCall));
    size_t steps = block_room(from->steps.n, sizeof(RtStep));
    size_t size = slots + marks + threads + acts + timers + calls + steps;
    if (size > room_size) {
      block = rt_realloc(rt, NULL, 0, size);
      if (!block) return false;
      to->block = block;
      to->block_size = size;
    }
  }
  to->slots = (Value *)block;
  to->slots_lent = true;
  if (from->nslots) memcpy(to->slots, from->slots, (size_t)from->nslots * sizeof(Value));
  block += slots;
  *written = (uint8_t *)block;
  if (from->nslots <= 16) memset(*written, 0, 16); /* constant: two stores */
  else memset(*written, 0, from->nslots);
  block += marks;
  vec_lend(&block, &from->threads, &to->threads, sizeof(RtThread));
  vec_lend(&block, &from->acts, &to->acts, sizeof(RtAct));
  vec_lend(&block, &from->timers, &to->timers, sizeof(RtTimer));
  vec_lend(&block, &from->calls, &to->calls, sizeof(RtCall));
  vec_lend(&block, &from->steps, &to->steps, sizeof(RtStep));
  rt_ref(from->message);
  for (uint32_t i = 0; i < to->calls.n; i++) rt_ref(RT_AT(to->calls, RtCall, i)->args);
  return true;
}

/* At a commit: lets go of what the snapshot (state_snapshot) holds, which is what the
 * event replaced or removed (its steps' leftovers went in steps_hand_over): rt_state_free
 * without what a snapshot never has (document fields, vectors of its own: its records
 * are in lent storage or its `block`). The transaction ends with it. */
static void snapshot_release(BpRuntime *rt, RtState *snap, const uint8_t *written) {
  rt_unref(rt, snap->message);
  for (uint32_t i = 0; i < snap->nslots; i++) /* the old values of the slots the event wrote */
    if (written[i]) rt_unref(rt, snap->slots[i]);
  for (uint32_t i = 0; i < snap->calls.n; i++) rt_unref(rt, RT_AT(snap->calls, RtCall, i)->args);
  if (snap->block) rt_dealloc(rt, snap->block, snap->block_size);
}

/* The n records of FROM written over VEC's (an event's working vector, which held them
 * when the snapshot was taken and has not shrunk since: it has the room). */
static void vec_put_back(RtVec *vec, const RtVec *from, size_t sz) {
  if (from->n) memcpy(vec->v, from->v, (size_t)from->n * sz);
  vec->n = from->n;
}

/* A dropped event: WORK, the instance's state as the event left it, lets go of its values
 * (of the slots, those it WRITTEN: Tx.written) and takes back SNAP's (state_snapshot), into
 * its own storage; SNAP is emptied. The
 * people WORK's steps borrow are SNAP's (put back as they were by rt_undo_rollback);
 * those it owns are the event's copies, freed here. */
static void state_put_back(BpRuntime *rt, RtState *work, RtState *snap, const uint8_t *written) {
  rt_unref(rt, work->message);
  /* The slots the event wrote hold its own values; the others hold the snapshot's (or an
   * int over an int, which holds no reference), put back by the copy. */
  for (uint32_t i = 0; i < work->nslots; i++)
    if (written[i]) rt_unref(rt, work->slots[i]);
  for (uint32_t i = 0; i < work->steps.n; i++) rt_step_free(rt, RT_AT(work->steps, RtStep, i));
  for (uint32_t i = 0; i < work->calls.n; i++) rt_unref(rt, RT_AT(work->calls, RtCall, i)->args);
  if (work->nslots) memcpy(work->slots, snap->slots, (size_t)work->nslots * sizeof(Value));
  vec_put_back(&work->threads, &snap->threads, sizeof(RtThread));
  vec_put_back(&work->acts, &snap->acts, sizeof(RtAct));
  vec_put_back(&work->steps, &snap->steps, sizeof(RtStep));
  vec_put_back(&work->timers, &snap->timers, sizeof(RtTimer));
  vec_put_back(&work->calls, &snap->calls, sizeof(RtCall));
  work->status = snap->status;
  work->state = snap->state;
  work->next_id = snap->next_id;
  work->clock = snap->clock;
  work->message = snap->message;
  if (snap->block) rt_dealloc(rt, snap->block, snap->block_size);
  *snap = (RtState){0};
}

/* At a commit: the snapshot's steps OLD against the new state NOW's. A step NOW still has
 * keeps the title and offsets it borrowed (RT_BORROWED_VALUES), and its people when the
 * event did not copy them (RT_BORROWED_PEOPLE); OLD's step lets go of the rest: all of a
 * step the event removed, the people of one whose people it copied. Both are in rising
 * order of id (a step is appended with a new id and removed in place; a restored state's
 * ids rise: rt_save.c's ids_rise), so one pass matches them. NOW's steps then own
 * everything they hold. */
static void steps_hand_over(BpRuntime *rt, RtState *old, RtState *now) {
  uint32_t j = 0;
  for (uint32_t i = 0; i < old->steps.n; i++) {
    RtStep *o = RT_AT(old->steps, RtStep, i);
    while (j < now->steps.n && RT_AT(now->steps, RtStep, j)->id < o->id) j++;
    const RtStep *s = j < now->steps.n ? RT_AT(now->steps, RtStep, j) : NULL;
    /* What s still borrows, o no longer holds; o holds all of itself if s is not o's. */
    o->borrowed = s && s->id == o->id ? s->borrowed : 0;
    if (o->borrowed == (RT_BORROWED_PEOPLE | RT_BORROWED_VALUES)) continue; /* nothing left */
    rt_step_free(rt, o);
  }
  for (uint32_t k = 0; k < now->steps.n; k++) RT_AT(now->steps, RtStep, k)->borrowed = 0;
}
