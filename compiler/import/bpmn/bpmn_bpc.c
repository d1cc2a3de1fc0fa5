/* bpmn_bpc.c — reads back what `bpc export --bpmn` wrote (docs/bpmn.md
 * "Export"): the graph is the BPMN's elements and sequence flows, and each
 * carries a `bpc:ir` attribute (ir_text.h) with what BPMN cannot say exactly
 * (typed expressions, documents, slots, the payload of each step). A file whose
 * definitions have such an attribute is read this way, so an exported process
 * compiles to the program it was exported from.
 *
 * Elements: every flow element becomes the IR node its bpc:ir names, in
 * document order (so human steps get their numbers again), named by its id
 * (or by the original id the text gives). A boundary timer event is no node:
 * its outgoing flow is the TIMER edge from the step it is attached to into a
 * reminder or on-timeout handler. A <group> is the cluster of a parallel
 * branch (IR_BRANCH, on no path; diagrams draw its members inside it). Sequence flows become edges in document
 * order with the kind, arm and condition their bpc:ir gives. */
#include <stdlib.h>
#include <string.h>

#include "bpmn_bpc.h"
#include "bpmn_int.h"
#include "ir_text.h"

/* BpmnElement* -> IrNode*, open addressing on the pointer. */
typedef struct NodeMap {
  const BpmnElement **keys;
  IrNode **vals;
  uint32_t cap;
} NodeMap;

static void map_put(NodeMap *m, const BpmnElement *k, IrNode *v) {
  uint32_t i = bpmn_hash_ptr(k) & (m->cap - 1);
  while (m->keys[i] && m->keys[i] != k) i = (i + 1) & (m->cap - 1);
  m->keys[i] = k;
  m->vals[i] = v;
}

static IrNode *map_get(const NodeMap *m, const BpmnElement *k) {
  if (!k) return NULL;
  uint32_t i = bpmn_hash_ptr(k) & (m->cap - 1);
  while (m->keys[i]) {
    if (m->keys[i] == k) return m->vals[i];
    i = (i + 1) & (m->cap - 1);
  }
  return NULL;
}

typedef struct Ctx {
  BpmnModel *m;
  IrProgram *ir;
  IrProc *p;
  NodeMap nodes;
  bool failed;
} Ctx;

static void refuse(Ctx *c, uint32_t line, const char *id, const char *what, const char *why) {
  bpmn_error(c->m, line, "%s: %s%s%s", id ? id : "<element>", what, why ? ": " : "", why ? why : "");
  c->failed = true;
}

static const IrSx *parse(Ctx *c, uint32_t line, const char *id, const char *text) {
  const char *err = NULL;
  const IrSx *x = ir_sx_parse(&c->ir->arena, text, &err);
  if (!x) refuse(c, line, id, "bpc:ir cannot be read", err);
  return x;
}

/* The elements a state's commands are drawn with (docs/bpmn.md "Statuses"): the
 * event gateway `(commands)` a state waits for its commands at, and one message
 * catch event `(command "STATE-ID" J)` per command. They are no nodes: the flow out
 * of a command's catch event is the COMMAND edge from its state. */
static const char *label(Ctx *c, const BpmnFlow *f);

static bool command_helper(const IrSx *x) {
  const char *h = x->kind == IR_SX_LIST && x->n && x->items[0]->kind == IR_SX_ATOM ? x->items[0]->s : "";
  return str_eq(h, "commands") || str_eq(h, "command");
}

/* A flow out of a command's catch event: the COMMAND edge from the state it names. */
static void command_flow(Ctx *c, BpmnFlow *f, BpmnElement *catch_el, IrNode *to, const IrSx *fx) {
  const IrSx *x = catch_el->bpc ? parse(c, catch_el->line, catch_el->id, catch_el->bpc) : NULL;
  const IrSx *state_id = x && x->n >= 2 ? x->items[1] : NULL;
  IrNode *state = state_id && state_id->kind == IR_SX_STRING
                      ? map_get(&c->nodes, bpmn_find_element(c->m, state_id->s)) : NULL;
  if (!state || state->kind != IR_STATE || !fx || fx->n != 2 || fx->items[1]->kind != IR_SX_ATOM) {
    refuse(c, f->line, f->id, "a flow out of a command's event is (command ARM) and its event names a state", NULL);
    return;
  }
  IrEdge *e = ir_edge(c->ir, c->p, state, to, IR_E_COMMAND, label(c, f));
  e->arm = (uint32_t)strtoul(fx->items[1]->s, NULL, 10);
}

/* What the element's bpc:ir says it is; boundary events are handled by their flows. */
static void element_node(Ctx *c, BpmnElement *e) {
  if (e->kind == BPMN_BOUNDARY_EVENT) return;
  if (!e->bpc) {
    refuse(c, e->line, e->id, "this element has no bpc:ir in a process bpc exported",
           "edit the .bp source, or remove every bpc:ir attribute to import the file as plain BPMN");
    return;
  }
  const IrSx *x = parse(c, e->line, e->id, e->bpc);
  IrNodeKind kind;
  if (!x) return;
  if (command_helper(x)) return;
  if (!ir_text_node_kind(x, &kind)) {
    refuse(c, e->line, e->id, "bpc:ir names no kind of node bpc reads from BPMN", NULL);
    return;
  }
  const char *id = ir_text_node_id(x);
  IrNode *n = ir_node(c->ir, c->p, kind, id ? id : e->id, e->line, 0);
  const char *err = NULL;
  if (!ir_text_read_node(c->ir, c->p, n, x, &err)) refuse(c, e->line, e->id, "bpc:ir", err);
  map_put(&c->nodes, e, n);
  const char *cluster = ir_text_node_cluster(x);
  if (cluster) { /* a branch drawn before its members: the group comes first */
    IrNode *cn = map_get(&c->nodes, bpmn_find_element(c->m, cluster));
    if (!cn || (cn->kind != IR_BRANCH && cn->kind != IR_STATE) || cn == n) refuse(c, e->line, e->id, "its cluster is no group bpc read before it", NULL);
    n->cluster = cn;
  }
}

/* The flow's name as the edge's label, in the program's arena (the model is
 * freed before the program is compiled). */
static const char *label(Ctx *c, const BpmnFlow *f) { return f->name ? ir_str(c->ir, f->name) : NULL; }

/* A flow out of a boundary timer: the TIMER edge from the step into a handler. */
static void timer_flow(Ctx *c, BpmnFlow *f, BpmnElement *boundary, IrNode *to) {
  BpmnElement *step_el = boundary->attached_to ? bpmn_find_element(c->m, boundary->attached_to) : NULL;
  IrNode *step = map_get(&c->nodes, step_el);
  const IrSx *x = boundary->bpc ? parse(c, boundary->line, boundary->id, boundary->bpc) : NULL;
  if (x && (x->kind != IR_SX_LIST || !x->n || x->items[0]->kind != IR_SX_ATOM ||
            (x->n > 1 && x->items[1]->kind != IR_SX_ATOM)))
    x = NULL; /* not (timeout), (remind N) or (after N) */
  if (!step || !ir_is_human(step->kind) || !x) {
    refuse(c, boundary->line, boundary->id, "a boundary timer bpc reads is on a human step and has bpc:ir", NULL);
    return;
  }
  IrHuman *h = step->u.human;
  if (str_eq(x->n ? x->items[0]->s : "", "timeout") && !h->timeout_entry) {
    h->timeout_entry = to;
  } else if (str_eq(x->n ? x->items[0]->s : "", "remind") && x->n == 2) {
    uint32_t i = (uint32_t)strtoul(x->items[1]->s, NULL, 10);
    if (i >= h->nreminds || h->remind_entry[i]) {
      refuse(c, boundary->line, boundary->id, "the reminder it names is not one of the step's", NULL);
      return;
    }
    h->remind_entry[i] = to;
  } else if (str_eq(x->n ? x->items[0]->s : "", "after") && x->n == 2) {
    uint32_t i = (uint32_t)strtoul(x->items[1]->s, NULL, 10);
    if (i >= h->nafters || h->after_entry[i]) {
      refuse(c, boundary->line, boundary->id, "the `after` handler it names is not one of the step's", NULL);
      return;
    }
    h->after_entry[i] = to;
  } else {
    refuse(c, boundary->line, boundary->id, "bpc:ir is neither (timeout), (remind N) nor (after N), or says it twice", NULL);
    return;
  }
  ir_edge(c->ir, c->p, step, to, IR_E_TIMER, label(c, f));
}

static void flow_edge(Ctx *c, BpmnFlow *f) {
  BpmnElement *se = bpmn_find_element(c->m, f->source), *te = bpmn_find_element(c->m, f->target);
  IrNode *to = map_get(&c->nodes, te);
  if (f->bpc && str_eq(f->bpc, "(commands)")) return; /* to or within a state's commands: drawing only */
  if (!se || !to) {
    refuse(c, f->line, f->id, "the flow does not join two elements bpc read", NULL);
    return;
  }
  if (se->kind == BPMN_BOUNDARY_EVENT) {
    timer_flow(c, f, se, to);
    return;
  }
  IrNode *from = map_get(&c->nodes, se);
  const IrSx *x = f->bpc ? parse(c, f->line, f->id, f->bpc) : NULL;
  if (x && (x->kind != IR_SX_LIST || !x->n || x->items[0]->kind != IR_SX_ATOM ||
            (x->n > 1 && x->items[1]->kind != IR_SX_ATOM))) {
    /* (KIND ARM ...): a list in their place would be read as text that is not there */
    refuse(c, f->line, f->id, "bpc:ir of a flow is not (KIND ...) with a number for its arm", NULL);
    return;
  }
  if (!from && x && se->bpc) {
    const IrSx *sx = parse(c, se->line, se->id, se->bpc);
    if (sx && command_helper(sx)) {
      command_flow(c, f, se, to, x);
      return;
    }
  }
  if (!from || !x || x->kind != IR_SX_LIST || !x->n) {
    if (from && !f->bpc) refuse(c, f->line, f->id, "this flow has no bpc:ir in a process bpc exported", NULL);
    return;
  }
  const char *kind = x->items[0]->s;
  if (str_eq(kind, "spawn") && from->kind == IR_SPAWN) { /* the flow a spawn starts */
    ir_edge(c->ir, c->p, from, to, IR_E_TIMER, label(c, f));
    return;
  }
  if (str_eq(kind, "goto") && x->n == 1) {
    ir_edge(c->ir, c->p, from, to, IR_E_GOTO, label(c, f));
  } else if (str_eq(kind, "flow") || str_eq(kind, "else")) {
    IrEdge *e = ir_edge(c->ir, c->p, from, to, str_eq(kind, "flow") ? IR_E_FLOW : IR_E_ELSE, label(c, f));
    if (x->n == 2) e->arm = (uint32_t)strtoul(x->items[1]->s, NULL, 10);
  } else if (str_eq(kind, "cond") && x->n == 3) {
    const char *err = NULL;
    uint32_t arm = (uint32_t)strtoul(x->items[1]->s, NULL, 10);
    IrExpr *cond = ir_text_read_expr(c->ir, c->p, x->items[2], &err);
    if (!cond) refuse(c, f->line, f->id, "the condition in bpc:ir cannot be read", err ? err : "none given");
    else if (cond->type != &type_bool) refuse(c, f->line, f->id, "the condition in bpc:ir is not a bool", NULL);
    else ir_edge_cond(c->ir, c->p, from, to, arm, cond, label(c, f));
  } else if (str_eq(kind, "catch") && x->n >= 2 && x->items[1]->kind == IR_SX_ATOM) {
    /* (catch ARM "code" ...): no code, any error */
    uint32_t arm = (uint32_t)strtoul(x->items[1]->s, NULL, 10), n = x->n - 2;
    const char **codes = arena_alloc(&c->ir->arena, (n + 1) * sizeof *codes);
    for (uint32_t i = 0; i < n; i++) {
      const IrSx *code = x->items[i + 2];
      if (code->kind != IR_SX_STRING || !code->len || strlen(code->s) != code->len) {
        refuse(c, f->line, f->id, "an error code in bpc:ir is not a non-empty string", NULL);
        return;
      }
      codes[i] = code->s;
    }
    if (from->kind != IR_TRY) refuse(c, f->line, f->id, "a (catch ...) flow does not leave a try", NULL);
    else ir_edge_catch(c->ir, c->p, from, to, arm, codes, n, label(c, f));
  } else {
    refuse(c, f->line, f->id, "bpc:ir of a flow is not (flow), (else), (cond ARM EXPR) or (catch ARM CODES)", NULL);
  }
}

/* A process whose name is no plain BPMN id was exported as Process_N with its
 * name in (process (name "...") ...). */
static void process_name(Ctx *c, const BpmnProcess *bp, const IrSx *x) {
  const IrSx *n = ir_sx_find(x, "name");
  if (!n) return;
  if (n->n != 2 || n->items[1]->kind != IR_SX_STRING || !n->items[1]->len || strlen(n->items[1]->s) != n->items[1]->len)
    refuse(c, bp->line, bp->id, "bpc:ir", "the process's name is not a non-empty string");
  else
    c->p->name = ir_str(c->ir, n->items[1]->s);
}

static void read_process(Ctx *c, BpmnProcess *bp) {
  const char *err = NULL;
  const IrSx *x = parse(c, bp->line, bp->id, bp->bpc);
  c->p = ir_proc(c->ir, bp->id);
  c->p->line = bp->line;
  if (bp->name) c->p->title = ir_str(c->ir, bp->name);
  if (!x) return;
  if (!ir_text_read_proc(c->ir, c->p, x, &err)) {
    refuse(c, bp->line, bp->id, "bpc:ir", err);
    return;
  }
  process_name(c, bp, x);
  c->nodes.cap = 16;
  while (c->nodes.cap < 2 * bp->elements.n + 2) c->nodes.cap *= 2;
  c->nodes.keys = arena_alloc(&c->ir->arena, c->nodes.cap * sizeof *c->nodes.keys);
  c->nodes.vals = arena_alloc(&c->ir->arena, c->nodes.cap * sizeof *c->nodes.vals);
  memset(c->nodes.keys, 0, c->nodes.cap * sizeof *c->nodes.keys);
  for (uint32_t i = 0; i < bp->elements.n; i++) {
    BpmnElement *e = bp->elements.items[i];
    if (bpmn_kind_family(e->kind) == BPMN_FAM_CONTAINER)
      refuse(c, e->line, e->id, "sub-processes are not in what bpc exports", NULL);
    else element_node(c, e);
  }
  for (uint32_t i = 0; i < bp->flows.n; i++) flow_edge(c, bp->flows.items[i]);
  if (!c->failed && !ir_text_link_states(c->p, &err)) refuse(c, bp->line, bp->id, "bpc:ir", err);
}

bool bpmn_is_bpc_export(const BpmnModel *m) { return m->bpc != NULL; }

IrProgram *bpmn_bpc_to_ir(BpmnModel *m, const char *only) {
  Ctx c = {m, ir_new(m->path), NULL, {0}, false};
  PtrVec chosen = {0};
  for (uint32_t i = 0; i < m->processes.n; i++) {
    BpmnProcess *bp = m->processes.items[i];
    if (only ? bp->id && str_eq(bp->id, only) : bp->bpc != NULL) ptrvec_push(&m->arena, &chosen, bp);
  }
  if (only && chosen.n == 0) bpmn_error(m, 0, "%s: no process of this file has this id", only);
  const char *err = NULL;
  const IrSx *prog = parse(&c, 1, "definitions", m->bpc);
  if (prog && !ir_text_read_program(c.ir, prog, chosen.n, &err)) refuse(&c, 1, "definitions", "bpc:ir", err);
  for (uint32_t i = 0; i < chosen.n && !c.failed; i++) {
    BpmnProcess *bp = chosen.items[i];
    if (!bp->bpc) refuse(&c, bp->line, bp->id, "this process has no bpc:ir in a file bpc exported", NULL);
    else read_process(&c, bp);
  }
  if (c.failed || m->errors_n) {
    ir_free(c.ir);
    return NULL;
  }
  if (!ir_finish(c.ir)) {
    for (uint32_t i = 0; i < c.ir->nerrors; i++) {
      const IrError *e = &c.ir->errors[i];
      bpmn_error(m, e->line, "%s: %s", e->node ? e->node : e->proc ? e->proc : "process", e->message);
    }
    ir_free(c.ir);
    return NULL;
  }
  return c.ir;
}
