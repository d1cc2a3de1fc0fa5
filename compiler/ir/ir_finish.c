/* ir_finish.c — validating a built IR program and computing what code
 * generation needs (ir.h, docs/ir.md).
 *
 * Per process, in this order (a step runs only when the ones before it found
 * nothing wrong, so each can rely on the shape the earlier ones checked):
 *   1. out[] / in[] of every node;
 *   2. ids unique, exactly one START, every edge legal for its node's kind
 *      and every index in a payload in range;
 *   3. every node reachable from the START over any edge;
 *   4. regions: the flow from the start, and from each handler, state and
 *      command body, is its own; a depth-first walk of each marks the back
 *      edges (a FLOW back edge becomes LOOP);
 *   5. tokens: which parallel split's branches each node runs in; a join
 *      must be fed by the branches of one split only, and no branch of that
 *      split may end before reaching it (the join would wait forever);
 *   6. fork groups, join counts and the loop head of each loop's exit merge.
 * Every walk keeps its own stack or queue: a generated graph may be deep. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

typedef struct Finish {
  IrProgram *ir;
  IrProc *p;
  uint32_t errors_cap;
  uint32_t proc_errors; /* errors in this process */
  Scratch scratch;
  uint32_t back_edges;       /* loops' back edges in this process (mark_regions) */
  uint32_t inert_back_edges; /* the ones between two inert nodes */
} Finish;

/* The work arrays of one process's checks (queues, marks, stacks) come from a scratch
 * block that every process reuses (util.h): they were about 20 mallocs and frees a
 * process, 62,000 frees for 2,900 processes. */
static void *scratch_take(Finish *F, size_t n, size_t size) { return scratch_alloc(&F->scratch, n, size); }
static void *scratch_zero(Finish *F, size_t n, size_t size) { return scratch_calloc(&F->scratch, n, size); }

static void report(Finish *F, const IrNode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(Finish *F, const IrNode *n, const char *fmt, ...) {
  IrProgram *ir = F->ir;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (ir->nerrors == F->errors_cap) {
    uint32_t cap = F->errors_cap ? F->errors_cap * 2 : 8;
    IrError *v = arena_alloc(&ir->arena, cap * sizeof *v);
    if (ir->nerrors) memcpy(v, ir->errors, ir->nerrors * sizeof *v);
    ir->errors = v;
    F->errors_cap = cap;
  }
  IrError *e = &ir->errors[ir->nerrors++];
  e->proc = F->p->name;
  e->node = n ? n->id : NULL;
  e->line = n ? n->line : F->p->line;
  e->col = n ? n->col : F->p->col;
  e->message = arena_strdup(&ir->arena, buf);
  F->proc_errors++;
}

size_t ir_error_text(const IrProgram *ir, const IrError *e, char *buf, size_t size) {
  char where[64] = "";
  if (e->line) snprintf(where, sizeof where, "%u:%u:", e->line, e->col);
  int n = snprintf(buf, size, "%s%s%s%sprocess `%s`%s%s%s: %s", ir->source_path,
                   *ir->source_path ? ":" : "", where, *ir->source_path || *where ? " " : "",
                   e->proc, e->node ? ", node `" : "", e->node ? e->node : "",
                   e->node ? "`" : "", e->message);
  return n < 0 ? 0 : (size_t)n;
}

/* ---- 1. indices ------------------------------------------------------------------ */

static bool is_join(IrNodeKind k);
static bool is_fork(IrNodeKind k);

/* Also forgets what an earlier ir_finish computed (loop heads, back edges), counts the
 * START nodes (returned), p->start the last, and the splits and joins (*splits): one
 * pass over the nodes and one over the edges for all of it. */
static uint32_t index_edges(IrProgram *ir, IrProc *p, uint32_t *splits) {
  uint32_t nn = p->nodes.n, ne = p->edges.n, starts = 0;
  *splits = 0;
  for (uint32_t i = 0; i < nn; i++) {
    IrNode *n = ir_node_at(p, i);
    n->index = i;
    n->nout = n->nin = 0;
    if (n->kind == IR_MERGE) n->u.merge.loop_head = NULL;
    if (n->kind == IR_START) starts++, p->start = n;
    *splits += is_fork(n->kind) || is_join(n->kind);
  }
  for (uint32_t i = 0; i < ne; i++) {
    IrEdge *e = ir_edge_at(p, i);
    e->from->nout++;
    e->to->nin++;
    e->flags &= (uint8_t)~IR_EDGE_BACK;
    if (e->kind == IR_E_LOOP) e->kind = IR_E_FLOW;
  }
  for (uint32_t i = 0; i < nn; i++) {
    IrNode *n = ir_node_at(p, i);
    /* One array, the out-edges then the in-edges: two took 8 bytes each for the one
     * index most nodes have in each (1.3 MB at 100,000 lines instead of 0.6). */
    n->out = arena_alloc(&ir->arena, (n->nout + n->nin) * sizeof *n->out);
    n->in = n->out + n->nout;
    n->nout = n->nin = 0;
  }
  for (uint32_t i = 0; i < ne; i++) {
    IrEdge *e = ir_edge_at(p, i);
    e->from->out[e->from->nout++] = i;
    e->to->in[e->to->nin++] = i;
  }
  return starts;
}

/* ---- 2. shape ---------------------------------------------------------------------- */

static bool is_flow(IrEdgeKind k) {
  return k == IR_E_FLOW || k == IR_E_LOOP || k == IR_E_COND || k == IR_E_ELSE || k == IR_E_CATCH;
}

/* Nodes and edges that neither wait nor change data: see check_idle_cycles. */
static inline bool inert(const IrNode *n) {
  return n->kind == IR_MERGE || n->kind == IR_CHOICE || n->kind == IR_LOG || n->kind == IR_NOTIFY;
}

static inline bool inert_edge(const IrEdge *e) {
  return (e->kind == IR_E_FLOW || e->kind == IR_E_LOOP || e->kind == IR_E_COND || e->kind == IR_E_ELSE) &&
         inert(e->from) && inert(e->to);
}

/* A try scope is a split of one branch (its body) and TRY_END its join. */
static bool is_join(IrNodeKind k) { return k == IR_JOIN || k == IR_RACE_JOIN || k == IR_TRY_END; }
static bool is_fork(IrNodeKind k) {
  return k == IR_FORK || k == IR_RACE || k == IR_EVENT_WAIT || k == IR_TRY;
}

/* What an event gateway may wait for: a timer, a human step, a host action. */
static bool is_event(IrNodeKind k) {
  return k == IR_WAIT || k == IR_WAIT_UNTIL || ir_is_human(k) || k == IR_ACTION || k == IR_RECEIVE;
}

typedef struct EdgeCount {
  uint32_t flow, cond, otherwise, timer, command, go, catches;
} EdgeCount;

static EdgeCount count_out(const IrProc *p, const IrNode *n) {
  EdgeCount c = {0};
  for (uint32_t i = 0; i < n->nout; i++) {
    switch (ir_edge_at(p, n->out[i])->kind) {
    case IR_E_FLOW: case IR_E_LOOP: c.flow++; break;
    case IR_E_COND: c.cond++; break;
    case IR_E_ELSE: c.otherwise++; break;
    case IR_E_TIMER: c.timer++; break;
    case IR_E_COMMAND: c.command++; break;
    case IR_E_GOTO: c.go++; break;
    case IR_E_CATCH: c.catches++; break;
    case IR_E_KIND_COUNT: break;
    }
  }
  return c;
}

static bool only(EdgeCount c, uint32_t flow, uint32_t otherwise) {
  return c.flow == flow && c.otherwise == otherwise && !c.cond && !c.timer && !c.command &&
         !c.go && !c.catches;
}

/* Is t the target of one of n's edges of this kind? */
static bool has_edge_to(const IrProc *p, const IrNode *n, IrEdgeKind kind, const IrNode *t) {
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = ir_edge_at(p, n->out[i]);
    if (e->kind == kind && e->to == t) return true;
  }
  return false;
}

/* `after` handlers: a first node each, a TIMER edge to it, and a delay. */
static void check_afters(Finish *F, const IrNode *n) {
  const IrHuman *h = n->u.human;
  for (uint32_t i = 0; i < h->nafters; i++) {
    if (!h->after_entry[i] || !has_edge_to(F->p, n, IR_E_TIMER, h->after_entry[i]))
      report(F, n, "`after` handler %u names a first node that no TIMER edge leads to", i + 1);
    if (!h->after_delay[i]) report(F, n, "`after` handler %u needs its delay", i + 1);
    if (h->after_times && h->after_times[i] && !(h->after_every && h->after_every[i]))
      report(F, n, "`after` handler %u has a count of runs but no period", i + 1);
  }
}

static void check_human(Finish *F, const IrNode *n, EdgeCount c) {
  const IrHuman *h = n->u.human;
  uint32_t handlers = h->nreminds + (h->timeout_entry != NULL) + h->nafters;
  if (c.flow != 1 || c.cond || c.otherwise || c.command || c.go || c.timer != handlers) {
    report(F, n, "a human step needs one FLOW edge and one TIMER edge per handler "
                 "(%u), and no other", handlers);
    return;
  }
  for (uint32_t i = 0; i < h->nreminds; i++)
    if (!h->remind_entry[i] || !has_edge_to(F->p, n, IR_E_TIMER, h->remind_entry[i]))
      report(F, n, "reminder %u names a first node that no TIMER edge leads to", i + 1);
  if (h->timeout_entry && !has_edge_to(F->p, n, IR_E_TIMER, h->timeout_entry))
    report(F, n, "the timeout handler's first node has no TIMER edge to it");
  check_afters(F, n);
  if (!h->who.n) report(F, n, "a human step needs at least one person (who)");
  if (!h->title) report(F, n, "a human step needs a title");
  if ((unsigned)h->mode > IR_MODE_BITRIX) report(F, n, "no approval mode %u", (unsigned)h->mode);
  if ((h->mode == IR_MODE_VOTE || h->mode == IR_MODE_BITRIX) && !h->vote) report(F, n, "a vote needs its percentage");
  if (h->result >= (int32_t)F->p->slots.n) report(F, n, "the result slot is out of range");
  if (h->step >= F->p->nsteps) report(F, n, "the step number is out of range");
  const IrProc *p = F->p;
  for (uint32_t i = 0; i < h->nfields; i++) {
    const IrReqField *f = &h->fields[i];
    bool ok = f->to_slot ? f->index < p->slots.n
                         : p->doc >= 0 && (uint32_t)p->doc < F->ir->ndocs &&
                               f->index < F->ir->docs[p->doc].nfields;
    if (!ok) report(F, n, "request field %u is stored in a %s that does not exist", i + 1,
                    f->to_slot ? "slot" : "document field");
  }
}

/* A choice: COND edges with arms 0..k-1 (each once, each with a condition),
 * and one ELSE edge. */
static void check_choice(Finish *F, const IrNode *n, EdgeCount c) {
  if (!c.cond || c.otherwise != 1 || c.flow || c.timer || c.command || c.go) {
    report(F, n, "a choice needs one or more COND edges and exactly one ELSE edge "
                 "(make the default explicit: an ELSE to a TERMINATE fails the instance)");
    return;
  }
  uint8_t *seen = scratch_zero(F, c.cond + 1, 1);
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = ir_edge_at(F->p, n->out[i]);
    if (e->kind != IR_E_COND) continue;
    if (e->arm >= c.cond || seen[e->arm]) {
      report(F, n, "the COND edges' arms must number 0 to %u, each once", c.cond - 1);
      break;
    }
    seen[e->arm] = 1;
    if (!e->cond) report(F, n, "COND edge %u has no condition", e->arm);
  }
}

static void check_state(Finish *F, const IrNode *n, EdgeCount c) {
  const IrProc *p = F->p;
  uint16_t q = n->u.state.state;
  if (q >= p->nstates || p->states[q].node != n) {
    report(F, n, "a STATE node must be the node of state %u in the process's states", q);
    return;
  }
  if (c.flow != 1 || c.cond || c.otherwise || c.timer || c.go)
    report(F, n, "a state needs one FLOW edge (to its enter block) and COMMAND edges only");
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = ir_edge_at(p, n->out[i]);
    if (e->kind == IR_E_FLOW && e->to->kind == IR_STATE)
      report(F, n, "the enter block's FLOW edge leads to another state");
  }
  /* Each command: a COMMAND edge to its target state's node or to its body;
   * and no COMMAND edge that no command explains. */
  const IrState *st = &p->states[q];
  uint32_t explained = 0;
  for (uint32_t j = 0; j < st->ncommands; j++) {
    const IrCommand *cmd = &st->commands[j];
    const IrNode *to = cmd->target >= 0 && (uint32_t)cmd->target < p->nstates
                           ? p->states[cmd->target].node
                           : cmd->target < 0 ? cmd->body : NULL;
    if (!to || !has_edge_to(p, n, IR_E_COMMAND, to))
      report(F, n, "command `%s` needs a target state or a body, and a COMMAND edge to it",
             cmd->name ? cmd->name : "?");
    else
      explained++;
  }
  if (explained == st->ncommands && c.command != st->ncommands)
    report(F, n, "%u COMMAND edges for %u commands", c.command, st->ncommands);
}

/* A try: one FLOW edge (its body) and CATCH edges with arms 0..k-1, each once, whose
 * codes are non-empty; two hidden slots for the caught error. */
static void check_try(Finish *F, const IrNode *n, EdgeCount c) {
  if (c.flow != 1 || !c.catches || c.cond || c.otherwise || c.timer || c.command || c.go) {
    report(F, n, "a try needs one FLOW edge (its body) and one or more CATCH edges, and no other");
    return;
  }
  uint8_t *seen = scratch_zero(F, c.catches + 1, 1);
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = ir_edge_at(F->p, n->out[i]);
    if (e->kind != IR_E_CATCH) continue;
    if (e->arm >= c.catches || seen[e->arm]) {
      report(F, n, "the CATCH edges' arms must number 0 to %u, each once", c.catches - 1);
      break;
    }
    seen[e->arm] = 1;
    for (uint32_t k = 0; k < e->ncodes; k++)
      if (!e->codes || !e->codes[k] || !*e->codes[k]) {
        report(F, n, "CATCH edge %u has an empty error code", e->arm);
        break;
      }
  }
  if (n->u.try_.slot + 1u >= F->p->slots.n) report(F, n, "a try needs two hidden slots for the caught error");
}

/* A message wait: a name, and payload fields stored into slots or document fields in
 * range, each named once. */
static void check_receive(Finish *F, const IrNode *n) {
  const IrProgram *ir = F->ir;
  const IrProc *p = F->p;
  if (!n->u.receive.name || !*n->u.receive.name) report(F, n, "a message wait needs a message name");
  if (n->u.receive.nfields > 255) report(F, n, "a message takes at most 255 fields");
  for (uint32_t i = 0; i < n->u.receive.nfields; i++) {
    const IrReqField *f = &n->u.receive.fields[i];
    if (!f->name || !f->type) report(F, n, "a message field needs a name and a type");
    else if (f->to_slot ? f->index >= p->slots.n
                        : p->doc < 0 || (uint32_t)p->doc >= ir->ndocs || f->index >= ir->docs[p->doc].nfields)
      report(F, n, "message field `%s` is stored into a %s out of range", f->name, f->to_slot ? "slot" : "field");
    for (uint32_t j = 0; j < i && f->name; j++)
      if (n->u.receive.fields[j].name && strcmp(n->u.receive.fields[j].name, f->name) == 0)
        report(F, n, "message field `%s` is named twice", f->name);
  }
}

/* Payload indices that the bundle format would otherwise carry out of range. */
static void check_payload(Finish *F, const IrNode *n) {
  const IrProgram *ir = F->ir;
  const IrProc *p = F->p;
  switch (n->kind) {
  case IR_ACTION:
    if (n->u.action.action >= ir->nactions) report(F, n, "no action %u", n->u.action.action);
    else if (n->u.action.n != ir->actions[n->u.action.action].nparams)
      report(F, n, "action `%s` takes %u arguments, not %u", ir->actions[n->u.action.action].name,
             ir->actions[n->u.action.action].nparams, n->u.action.n);
    if (n->u.action.result >= (int32_t)p->slots.n) report(F, n, "the result slot is out of range");
    break;
  case IR_START_PROCESS:
    if (n->u.start.proc >= ir->nprocs) report(F, n, "no process %u", n->u.start.proc);
    break;
  case IR_ASSIGN:
    if (!n->u.assign.value) report(F, n, "an assignment needs a value");
    if (n->u.assign.to_slot ? n->u.assign.index >= p->slots.n
                            : p->doc < 0 || (uint32_t)p->doc >= ir->ndocs ||
                                  n->u.assign.index >= ir->docs[p->doc].nfields)
      report(F, n, "the assigned %s is out of range", n->u.assign.to_slot ? "slot" : "field");
    break;
  case IR_WAIT: case IR_WAIT_UNTIL:
    if (!n->u.wait.value) report(F, n, "a wait needs a value");
    break;
  case IR_NOTIFY:
    if (!n->u.notify.message || !n->u.notify.who.n) report(F, n, "a notify needs who and a message");
    break;
  case IR_LOG:
    if (!n->u.log.text) report(F, n, "a log needs a text");
    break;
  case IR_ITER_START:
    if (!n->u.iter_start.list || n->u.iter_start.slot + 1u >= p->slots.n)
      report(F, n, "a for loop needs a list and two hidden slots");
    break;
  case IR_ITER_NEXT:
    if (n->u.iter_next.slot + 1u >= p->slots.n || n->u.iter_next.var >= p->slots.n)
      report(F, n, "a for loop's slots are out of range");
    break;
  case IR_GOTO:
    if (n->u.state.state >= p->nstates) report(F, n, "no state %u", n->u.state.state);
    break;
  case IR_THROW:
    if (!n->u.throw_.code) report(F, n, "a throw needs an error code");
    break;
  case IR_RECEIVE: check_receive(F, n); break;
  default: break;
  }
}

static void check_node(Finish *F, const IrNode *n) {
  const IrProc *p = F->p;
  EdgeCount c = count_out(p, n);
  switch (n->kind) {
  case IR_START:
    if (!only(c, 1, 0)) report(F, n, "the start needs exactly one FLOW edge");
    if (n->nin) report(F, n, "no edge may lead to the start");
    break;
  case IR_END: case IR_TERMINATE: case IR_HANDLER_END: case IR_IDLE: case IR_BRANCH: case IR_THROW:
    if (n->nout) report(F, n, "a %s node has no out-edges", ir_node_kind_name(n->kind));
    if (n->kind == IR_BRANCH && n->nin) report(F, n, "a branch node is a cluster, on no path");
    break;
  case IR_GOTO:
    if (!(c.go == 1 && !c.flow && !c.cond && !c.otherwise && !c.timer && !c.command))
      report(F, n, "a goto needs exactly one GOTO edge, to its state");
    else if (n->u.state.state < p->nstates &&
             !has_edge_to(p, n, IR_E_GOTO, p->states[n->u.state.state].node))
      report(F, n, "the GOTO edge must lead to the node of state %u", n->u.state.state);
    break;
  case IR_TASK: case IR_APPROVE: case IR_REVIEW: case IR_REQUEST: check_human(F, n, c); break;
  case IR_CHOICE: check_choice(F, n, c); break;
  case IR_FORK: case IR_RACE:
    if (c.flow < 1 || c.flow > 255 || !only(c, c.flow, 0))
      report(F, n, "a parallel split needs 1 to 255 FLOW edges (its branches), and no other");
    break;
  case IR_ITER_NEXT:
    if (!only(c, 1, 1)) report(F, n, "a for loop's next needs one FLOW edge (the body) and one ELSE edge (done)");
    break;
  case IR_STATE: check_state(F, n, c); break;
  case IR_TRY: check_try(F, n, c); break;
  case IR_EVENT_WAIT:
    if (c.flow < 1 || c.flow > 255 || !only(c, c.flow, 0)) {
      report(F, n, "an event gateway needs 1 to 255 FLOW edges (its events), and no other");
      break;
    }
    for (uint32_t i = 0; i < n->nout; i++) {
      const IrNode *t = ir_edge_at(p, n->out[i])->to;
      if (!is_event(t->kind))
        report(F, n, "an event gateway waits for timers, messages, human steps and actions, not for "
                     "`%s` (a %s)", t->id,
               ir_node_kind_name(t->kind));
      else if (t->nin != 1)
        report(F, n, "the event `%s` must have the gateway as its only predecessor", t->id);
    }
    break;
  case IR_SPAWN:
    if (c.flow != 1 || c.timer != 1 || c.cond || c.otherwise || c.command || c.go || c.catches)
      report(F, n, "a spawn needs one FLOW edge (on) and one TIMER edge (the flow it starts), and no other");
    break;
  default: /* one way on */
    if (!only(c, 1, 0)) report(F, n, "a %s node needs exactly one FLOW edge, and no other",
                               ir_node_kind_name(n->kind));
    break;
  }
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = ir_edge_at(p, n->out[i]);
    if (e->kind == IR_E_COMMAND && n->kind != IR_STATE) report(F, n, "only a state has COMMAND edges");
    if (e->kind == IR_E_CATCH && n->kind != IR_TRY) report(F, n, "only a try has CATCH edges");
    if (is_flow(e->kind) && e->to->kind == IR_START) report(F, n, "an edge leads back to the start");
    if (e->kind == IR_E_GOTO && e->to->kind != IR_STATE) report(F, n, "a GOTO edge must lead to a state");
  }
  check_payload(F, n);
}

static int compare_ids(const void *a, const void *b) {
  return strcmp((*(IrNode *const *)a)->id, (*(IrNode *const *)b)->id);
}

/* Whether two nodes of p have the same id: a hash set of the ids, one pass. With none,
 * the ids' hashes are kept for code generation (p->id_hashes, in ir's arena): it
 * hashed each id again for the bundle's string table (72,500 at 100,000 lines). */
static bool ids_repeat(IrProgram *ir, IrProc *p) {
  enum { ON_STACK = 512 };
  uint32_t nn = p->nodes.n, cap = 16;
  while (cap < 2 * (size_t)nn) cap *= 2;
  struct IdSlot {
    const char *id; /* NULL: empty */
    uint32_t hash;
  } stack_slots[ON_STACK], *slots = cap <= ON_STACK ? stack_slots : xmalloc(cap * sizeof *slots);
  memset(slots, 0, cap * sizeof *slots);
  bool repeat = false;
  IrIdHash *kept = arena_alloc(&ir->arena, (nn + 1) * sizeof *kept);
  for (uint32_t i = 0; i < nn && !repeat; i++) {
    const char *id = ir_node_at(p, i)->id;
    uint32_t len = (uint32_t)strlen(id), h = bytes_hash((const uint8_t *)id, len);
    kept[i] = (IrIdHash){id, len, h};
    uint32_t at = h & (cap - 1);
    while (slots[at].id && !(slots[at].hash == h && strcmp(slots[at].id, id) == 0)) at = (at + 1) & (cap - 1);
    if (slots[at].id) repeat = true;
    slots[at].id = id, slots[at].hash = h;
  }
  if (slots != stack_slots) free(slots);
  if (!repeat) p->id_hashes = kept;
  return repeat;
}

static void check_ids(Finish *F) {
  IrProc *p = F->p;
  uint32_t nn = p->nodes.n;
  /* Only when some id repeats: the ids sorted, each repeat reported in their order. */
  if (!ids_repeat(F->ir, p)) return;
  IrNode **sorted = scratch_take(F, nn + 1, sizeof *sorted);
  for (uint32_t i = 0; i < nn; i++) sorted[i] = ir_node_at(p, i);
  qsort(sorted, nn, sizeof *sorted, compare_ids);
  for (uint32_t i = 1; i < nn; i++)
    if (strcmp(sorted[i - 1]->id, sorted[i]->id) == 0)
      report(F, sorted[i], "two nodes have the id `%s`", sorted[i]->id);
}

static void check_shape(Finish *F, uint32_t starts) {
  IrProc *p = F->p;
  if (starts != 1) report(F, NULL, "a process needs exactly one START node, not %u", starts);
  check_ids(F);
  for (uint32_t i = 0; i < p->nodes.n; i++) check_node(F, ir_node_at(p, i));
  for (uint32_t i = 0; i < p->nstates; i++)
    if (!p->states[i].node || p->states[i].node->kind != IR_STATE)
      report(F, NULL, "state %u has no STATE node", i);
  if (p->trigger.kind == IR_TRIG_TIMER && (!p->trigger.schedule || p->trigger.nfields || p->trigger.when))
    report(F, NULL, "a timer trigger needs its schedule, and watches no fields");
  if ((unsigned)p->trigger.kind > IR_TRIG_TIMER)
    report(F, NULL, "no trigger kind %u", (unsigned)p->trigger.kind);
  bool has_doc = p->doc >= 0 && (uint32_t)p->doc < F->ir->ndocs;
  if (p->doc >= 0 && !has_doc) report(F, NULL, "no document type %d", p->doc);
  for (uint32_t i = 0; i < p->trigger.nfields; i++)
    if (!has_doc || p->trigger.fields[i] >= F->ir->docs[p->doc].nfields)
      report(F, NULL, "the trigger watches a field the document does not have");
}

/* ---- 3. reachability ------------------------------------------------------------------ */

static void check_reachable(Finish *F) {
  const IrProc *p = F->p;
  uint32_t nn = p->nodes.n, head = 0, tail = 0;
  uint8_t *seen = scratch_zero(F, nn + 1, 1);
  uint32_t *queue = scratch_take(F, nn + 1, sizeof *queue);
  seen[p->start->index] = 1;
  queue[tail++] = p->start->index;
  while (head < tail) {
    const IrNode *n = ir_node_at(p, queue[head++]);
    for (uint32_t i = 0; i < n->nout; i++) {
      const IrNode *t = ir_edge_at(p, n->out[i])->to;
      if (!seen[t->index]) {
        seen[t->index] = 1;
        queue[tail++] = t->index;
      }
    }
  }
  for (uint32_t i = 0; i < nn; i++)
    if (!seen[i] && ir_node_at(p, i)->kind != IR_BRANCH)
      report(F, ir_node_at(p, i), "unreachable: no path from the start leads here");
}

/* ---- 4. regions and back edges -------------------------------------------------------- */

/* The first nodes of the separate flows: the start, each handler, each state
 * (its enter block follows it) and each command body. */
static uint32_t collect_entries(Finish *F, uint32_t *entries) {
  const IrProc *p = F->p;
  uint32_t n = 0;
  uint8_t *is_entry = scratch_zero(F, p->nodes.n + 1, 1);
  entries[n++] = p->start->index;
  is_entry[p->start->index] = 1;
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    const IrNode *x = ir_node_at(p, i);
    if (x->kind == IR_STATE && !is_entry[i]) entries[n++] = i, is_entry[i] = 1;
    for (uint32_t j = 0; j < x->nout; j++) {
      const IrEdge *e = ir_edge_at(p, x->out[j]);
      if ((e->kind == IR_E_TIMER || e->kind == IR_E_COMMAND) && !is_entry[e->to->index]) {
        entries[n++] = e->to->index;
        is_entry[e->to->index] = 1;
      }
    }
  }
  return n;
}

/* Flow edges a walk follows: not into a state (flowing into a state enters
 * it: a goto, not a loop). */
static bool walk_edge(const IrEdge *e) { return is_flow(e->kind) && e->to->kind != IR_STATE; }

/* A depth-first walk of each region from its entry: an edge to a node still
 * on the walk's path is a back edge. A node met from two entries is an error. */
static void mark_regions(Finish *F, const uint32_t *entries, uint32_t nentries) {
  const IrProc *p = F->p;
  uint32_t nn = p->nodes.n;
  uint32_t *region = scratch_take(F, nn + 1, sizeof *region);
  uint8_t *on_path = scratch_zero(F, nn + 1, 1);
  uint32_t *next = scratch_zero(F, nn + 1, sizeof *next), *stack = scratch_take(F, nn + 1, sizeof *stack);
  for (uint32_t i = 0; i < nn; i++) region[i] = UINT32_MAX;
  for (uint32_t r = 0; r < nentries; r++) {
    uint32_t root = entries[r], depth = 0;
    if (region[root] != UINT32_MAX) continue; /* reported below when met */
    region[root] = r;
    on_path[root] = 1;
    stack[depth++] = root;
    while (depth) {
      const IrNode *n = ir_node_at(p, stack[depth - 1]);
      if (next[n->index] == n->nout) {
        on_path[n->index] = 0;
        depth--;
        continue;
      }
      IrEdge *e = ir_edge_at(p, n->out[next[n->index]++]);
      if (!walk_edge(e)) continue;
      uint32_t t = e->to->index;
      if (on_path[t]) {
        e->flags |= IR_EDGE_BACK;
        F->back_edges++;
        F->inert_back_edges += inert_edge(e);
        if (e->kind == IR_E_FLOW) e->kind = IR_E_LOOP;
      } else if (region[t] == UINT32_MAX) {
        region[t] = r;
        on_path[t] = 1;
        stack[depth++] = t;
      } else if (region[t] != r && e->to->kind != IR_END) { /* an END only ends the token */
        report(F, e->to, "reached both from `%s` and from `%s`: a handler, an enter block "
                         "and a command body must each be a graph of its own",
               ir_node_at(p, entries[region[t]])->id, ir_node_at(p, root)->id);
      }
    }
  }
}

/* ---- 5. tokens of parallel splits ------------------------------------------------------ */

/* ctx[n]: the index of the innermost FORK / RACE whose branches n runs in, or
 * -1 (no parallel split). A FORK's out-edges carry its own index; a JOIN's
 * out-edge carries its fork's ctx. Every edge into a node must carry the same
 * ctx: two different ones mean flows of different splits meet, which the
 * runtime's fork groups cannot count. */
typedef struct Tokens {
  int32_t *ctx;
  int32_t *join_of; /* per fork node: its join's index, or -1 */
} Tokens;

static const char *ctx_name(const IrProc *p, int32_t c) {
  return c < 0 ? "the main flow" : ir_node_at(p, (uint32_t)c)->id;
}

/* The ctx that an edge out of n carries. The events of an event gateway
 * run in its ctx (the first to happen cancels the others), and leave it. */
static int32_t ctx_after(const Finish *F, const Tokens *T, const IrNode *n) {
  if (is_fork(n->kind)) return (int32_t)n->index;
  int32_t c = T->ctx[n->index];
  if (is_join(n->kind)) return c >= 0 ? T->ctx[c] : -1;
  if (c >= 0 && ir_node_at(F->p, (uint32_t)c)->kind == IR_EVENT_WAIT) return T->ctx[c];
  return c;
}

static void arrive_at_join(Finish *F, Tokens *T, const IrNode *j, int32_t c) {
  const IrProc *p = F->p;
  IrNodeKind want = j->kind == IR_JOIN ? IR_FORK : j->kind == IR_TRY_END ? IR_TRY : IR_RACE;
  if (c < 0 || ir_node_at(p, (uint32_t)c)->kind != want) {
    report(F, j, "this %s is fed by %s, not by the branches of a %s: it would wait forever",
           ir_node_kind_name(j->kind), c < 0 ? "the main flow" : ctx_name(p, c),
           want == IR_FORK ? "FORK" : want == IR_TRY ? "TRY" : "RACE");
    return;
  }
  if (want == IR_TRY) return; /* a scope may be left at several places: each TRY_END leaves it */
  int32_t other = T->join_of[c];
  if (other >= 0 && other != (int32_t)j->index)
    report(F, j, "the branches of `%s` meet at two joins (`%s` and this one): a split's "
                 "branches must all reach the same join",
           ctx_name(p, c), ir_node_at(p, (uint32_t)other)->id);
  else
    T->join_of[c] = (int32_t)j->index;
}

static void propagate_tokens(Finish *F, Tokens *T, const uint32_t *entries, uint32_t nentries) {
  const IrProc *p = F->p;
  uint32_t nn = p->nodes.n, head = 0, tail = 0;
  uint32_t *queue = scratch_take(F, nn + 1, sizeof *queue);
  uint8_t *reported = scratch_zero(F, nn + 1, 1);
  for (uint32_t r = 0; r < nentries; r++) {
    if (T->ctx[entries[r]] != INT32_MIN) continue;
    T->ctx[entries[r]] = -1;
    queue[tail++] = entries[r];
  }
  while (head < tail) {
    const IrNode *n = ir_node_at(p, queue[head++]);
    int32_t after = ctx_after(F, T, n);
    for (uint32_t i = 0; i < n->nout; i++) {
      const IrEdge *e = ir_edge_at(p, n->out[i]);
      if (!walk_edge(e)) continue;
      int32_t c = e->kind == IR_E_CATCH ? T->ctx[n->index] : after; /* a catch leaves the scope */
      const IrNode *t = e->to;
      if (is_join(t->kind) && T->ctx[t->index] != c) arrive_at_join(F, T, t, c);
      if (T->ctx[t->index] == INT32_MIN) {
        T->ctx[t->index] = c;
        queue[tail++] = t->index;
      } else if (T->ctx[t->index] != c && !reported[t->index]) {
        reported[t->index] = 1;
        report(F, t, "flows of different parallel splits meet here (of `%s` and of `%s`): "
                     "a node may be reached from the branches of one split only",
               ctx_name(p, T->ctx[t->index]), ctx_name(p, c));
      }
    }
  }
}

/* A branch of a FORK that can end (END, the end of a handler or of an enter
 * block) never reaches the fork's join: the join would wait forever. */
static void check_lost_tokens(Finish *F, const Tokens *T) {
  const IrProc *p = F->p;
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    const IrNode *n = ir_node_at(p, i);
    int32_t c = T->ctx[i];
    if (c < 0 || (n->kind != IR_END && n->kind != IR_HANDLER_END && n->kind != IR_IDLE)) continue;
    const IrNode *fork = ir_node_at(p, (uint32_t)c);
    if (fork->kind != IR_FORK || T->join_of[c] < 0) continue;
    report(F, ir_node_at(p, (uint32_t)T->join_of[c]),
           "this join can wait forever: a branch of `%s` can end at `%s` without reaching it",
           fork->id, n->id);
  }
}

static void number_groups(IrProc *p, const Tokens *T) {
  uint32_t groups = 0;
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    IrNode *n = ir_node_at(p, i);
    if (!is_fork(n->kind)) continue;
    n->u.fork.group = (uint16_t)groups++;
    n->u.fork.nbranches = n->kind == IR_TRY ? 1 : n->nout; /* an event gateway's events join as a race: 1 */
    if (T->join_of[i] >= 0) {
      IrNode *j = ir_node_at(p, (uint32_t)T->join_of[i]);
      j->u.fork.group = n->u.fork.group;
      j->u.fork.nbranches = n->kind == IR_RACE || n->kind == IR_TRY ? 1 : n->nout;
    }
  }
  for (uint32_t i = 0; i < p->nodes.n; i++) { /* each TRY_END: the group of its TRY */
    IrNode *n = ir_node_at(p, i);
    if (n->kind == IR_TRY_END && T->ctx[i] >= 0) {
      n->u.fork.group = ir_node_at(p, (uint32_t)T->ctx[i])->u.fork.group;
      n->u.fork.nbranches = 1;
    }
  }
  p->ngroups = groups;
}

static void check_tokens(Finish *F, const uint32_t *entries, uint32_t nentries) {
  IrProc *p = F->p;
  uint32_t nn = p->nodes.n;
  Tokens T = {scratch_take(F, nn + 1, sizeof *T.ctx), scratch_take(F, nn + 1, sizeof *T.join_of)};
  for (uint32_t i = 0; i < nn; i++) T.ctx[i] = INT32_MIN, T.join_of[i] = -1;
  propagate_tokens(F, &T, entries, nentries);
  check_lost_tokens(F, &T);
  if (!F->proc_errors) number_groups(p, &T);
}

/* ---- 6. loop heads ----------------------------------------------------------------------- */

/* A loop's exit merge: a MERGE outside the natural loop of a head (the head
 * and every node that reaches one of its back edges without passing it) with
 * an in-edge from inside. Its loop_head lets code generation lay the exit out
 * after the whole loop. Loops are taken smallest first, so a merge leaving
 * nested loops names the innermost. Layout only: any answer is correct code. */
typedef struct Loop {
  uint32_t head, size;
} Loop;

static int compare_loops(const void *a, const void *b) {
  const Loop *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? -1 : 1;
  return x->head < y->head ? -1 : x->head > y->head;
}

/* The natural loop of head h into body[] (returned: its size), each member
 * stamped with mark. Returns 0 when no back edge enters h. */
static uint32_t loop_body(const IrProc *p, uint32_t h, uint32_t mark, uint32_t *stamp,
                          uint32_t *body) {
  const IrNode *head = ir_node_at(p, h);
  uint32_t size = 0, done = 0;
  for (uint32_t i = 0; i < head->nin; i++) {
    const IrEdge *e = ir_edge_at(p, head->in[i]);
    if (!(e->flags & IR_EDGE_BACK)) continue;
    if (stamp[h] != mark) stamp[h] = mark, body[size++] = h, done = size;
    if (stamp[e->from->index] != mark) stamp[e->from->index] = mark, body[size++] = e->from->index;
  }
  while (done < size) { /* body[done ..] still to walk backwards from */
    const IrNode *x = ir_node_at(p, body[done++]);
    if (x->index == h) continue;
    for (uint32_t j = 0; j < x->nin; j++) {
      const IrEdge *in = ir_edge_at(p, x->in[j]);
      if (!walk_edge(in) || stamp[in->from->index] == mark) continue;
      stamp[in->from->index] = mark;
      body[size++] = in->from->index;
    }
  }
  return size;
}

static void find_loop_heads(Finish *F) {
  IrProc *p = F->p;
  if (!F->back_edges) return; /* no loop */
  uint32_t nn = p->nodes.n, nloops = 0;
  Loop *loops = scratch_take(F, nn + 1, sizeof *loops);
  uint32_t *stamp = scratch_zero(F, nn + 1, sizeof *stamp), *body = scratch_take(F, nn + 1, sizeof *body);
  /* The heads, the nodes a back edge leads to, marked from the edges: the others have
   * no natural loop, and were each asked in turn (72,500 walks of their in-edges). */
  uint8_t *head = scratch_zero(F, nn + 1, 1);
  for (uint32_t i = 0; i < p->edges.n; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    if (e->flags & IR_EDGE_BACK) head[e->to->index] = 1;
  }
  for (uint32_t h = 0; h < nn; h++) {
    if (!head[h]) continue;
    uint32_t size = loop_body(p, h, h + 1, stamp, body);
    if (size) loops[nloops++] = (Loop){h, size};
  }
  qsort(loops, nloops, sizeof *loops, compare_loops);
  memset(stamp, 0, (nn + 1) * sizeof *stamp);
  for (uint32_t l = 0; l < nloops; l++) {
    uint32_t size = loop_body(p, loops[l].head, l + 1, stamp, body);
    for (uint32_t k = 0; k < size; k++) {
      const IrNode *x = ir_node_at(p, body[k]);
      for (uint32_t j = 0; j < x->nout; j++) {
        const IrEdge *e = ir_edge_at(p, x->out[j]);
        IrNode *m = e->to;
        if (m->kind == IR_MERGE && stamp[m->index] != l + 1 && !m->u.merge.loop_head &&
            walk_edge(e))
          m->u.merge.loop_head = ir_node_at(p, loops[l].head);
      }
    }
  }
}

/* ---- the whole program ---------------------------------------------------------------- */

/* A cycle of flows through nodes that neither wait nor change data (merges, choices,
 * journal lines, notifications) repeats for ever once taken: its conditions see the
 * same data each time round. BPMN allows drawing one (a gateway looping back to a
 * gateway); it is refused here, naming a node of the cycle. Linear: the inert nodes
 * are pruned from both ends of the subgraph they form (nodes with no inert
 * predecessor, then none with an inert successor); what is left holds a cycle. */
static void check_idle_cycles(Finish *F) {
  const IrProc *p = F->p;
  uint32_t n = p->nodes.n;
  uint32_t *in = scratch_zero(F, n + 1, sizeof *in), *out = scratch_zero(F, n + 1, sizeof *out);
  uint32_t *queue = scratch_take(F, n + 1, sizeof *queue);
  uint8_t *gone = scratch_zero(F, n + 1, 1);
  for (uint32_t i = 0; i < p->edges.n; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    if (!inert_edge(e)) continue;
    in[e->to->index]++;
    out[e->from->index]++;
  }
  for (int pass = 0; pass < 2; pass++) {
    uint32_t *deg = pass == 0 ? in : out;
    uint32_t head = 0, tail = 0;
    for (uint32_t i = 0; i < n; i++)
      if (!gone[i] && (!inert(ir_node_at(p, i)) || deg[i] == 0)) {
        gone[i] = 1;
        queue[tail++] = i;
      }
    while (head < tail) {
      const IrNode *x = ir_node_at(p, queue[head++]);
      /* An inert edge joins two inert nodes: the others (most nodes, gone at once) have
       * none to follow, and are not walked. */
      if (!inert(x)) continue;
      const uint32_t *edges = pass == 0 ? x->out : x->in;
      uint32_t ne = pass == 0 ? x->nout : x->nin;
      for (uint32_t k = 0; k < ne; k++) {
        const IrEdge *e = ir_edge_at(p, edges[k]);
        if (!inert_edge(e)) continue;
        uint32_t y = pass == 0 ? e->to->index : e->from->index;
        if (!gone[y] && --deg[y] == 0) {
          gone[y] = 1;
          queue[tail++] = y;
        }
      }
    }
    if (pass == 0) { /* the second pass counts only the edges between the nodes left */
      memset(out, 0, (n + 1) * sizeof *out);
      for (uint32_t i = 0; i < p->edges.n; i++) {
        const IrEdge *e = ir_edge_at(p, i);
        if (inert_edge(e) && !gone[e->from->index] && !gone[e->to->index]) out[e->from->index]++;
      }
    }
  }
  for (uint32_t i = 0; i < n; i++)
    if (!gone[i]) {
      report(F, ir_node_at(p, i),
             "a cycle of flows with no step that waits or changes data passes here: once taken, it repeats for ever");
      break;
    }
}

static void finish_proc(Finish *F, IrProc *p) {
  F->p = p;
  F->proc_errors = 0;
  F->back_edges = F->inert_back_edges = 0;
  p->id_hashes = NULL;
  scratch_reset(&F->scratch);
  uint32_t splits;
  check_shape(F, index_edges(F->ir, p, &splits));
  if (F->proc_errors) return;
  check_reachable(F);
  if (F->proc_errors) return;
  uint32_t *entries = scratch_take(F, p->nodes.n + 1, sizeof *entries);
  uint32_t nentries = collect_entries(F, entries);
  mark_regions(F, entries, nentries);
  /* Without a split or a join every flow carries the main flow's ctx: nothing to say,
   * and no group to number. */
  if (!F->proc_errors && splits) check_tokens(F, entries, nentries);
  else if (!F->proc_errors) p->ngroups = 0;
  /* A cycle of inert nodes has a back edge between two of them: mark_regions' walk
   * follows every inert edge and reaches every node (the process has no error), and the
   * edge into a cycle's first node met comes from a node still on the path. Without
   * one the pruning would leave nothing. */
  if (!F->proc_errors && F->inert_back_edges) check_idle_cycles(F);
  if (!F->proc_errors) find_loop_heads(F);
}

bool ir_finish(IrProgram *ir) {
  Finish F = {ir, NULL, 0, 0, {0}, 0, 0};
  ir->finished = true;
  ir->errors = NULL;
  ir->nerrors = 0;
  ir_built(ir); /* building is over */
  for (uint32_t i = 0; i < ir->nprocs; i++) finish_proc(&F, &ir->procs[i]);
  scratch_free(&F.scratch);
  return ir->nerrors == 0;
}

bool ir_finish_proc(IrProgram *ir, IrProc *p, Scratch *scratch) {
  /* the errors so far fill their array: the next one grows it */
  Finish F = {ir, NULL, ir->nerrors, 0, *scratch, 0, 0};
  ir_proc_built(ir, p);
  finish_proc(&F, p);
  *scratch = F.scratch;
  return F.proc_errors == 0;
}
