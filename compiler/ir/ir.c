/* ir.c — building and reading the graph IR (see ir.h); ir_finish is in
 * ir_finish.c. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>


IrProgram *ir_new(const char *source_path) {
  IrProgram *ir = xcalloc(1, sizeof *ir);
  arena_init(&ir->arena);
  ir->source_path = source_path ? arena_strdup(&ir->arena, source_path) : "";
  return ir;
}

const char *ir_str(IrProgram *ir, const char *s) { return arena_strdup(&ir->arena, s ? s : ""); }

void ir_set_source(IrProgram *ir, const char *text, size_t len) {
  char *copy = arena_alloc(&ir->arena, len + 1);
  if (len) memcpy(copy, text, len);
  copy[len] = '\0';
  ir->source_text = copy;
  ir->source_len = len;
}

void ir_share_source(IrProgram *ir, const char *text, size_t len) {
  ir->source_text = text;
  ir->source_len = len;
}

/* ---- what only building needs ------------------------------------------------ */

/* While a process is built, its node and edge vectors grow in malloc'd memory, and
 * the tables that number its ids (id_count) too. ir_proc_built moves the vectors into
 * the arena at their final size and frees the rest, so the next process reuses the
 * same memory. In the arena, the grown-out vectors and tables of a 100,000-line
 * program took 5.3 MB, kept until the bundle was made. */
static void push_building(PtrVec *v, void *item) {
  if (v->n == v->cap) {
    if (v->cap > UINT32_MAX / 2) out_of_memory();
    v->cap = v->cap ? v->cap * 2 : 32;
    v->items = xrealloc(v->items, v->cap * sizeof *v->items);
  }
  v->items[v->n++] = item;
}

static void ids_free(IrProc *p) {
  free(p->idkeys);
  p->idkeys = NULL;
  p->idcounts = NULL;
  p->idcap = p->idn = 0;
}

static void vec_to_arena(Arena *a, PtrVec *v) {
  void **items = v->n ? arena_alloc(a, v->n * sizeof *items) : NULL;
  if (v->n) memcpy(items, v->items, v->n * sizeof *items);
  free(v->items);
  v->items = items;
  v->cap = v->n;
}

void ir_proc_built(IrProgram *ir, IrProc *p) {
  ids_free(p);
  if (p->built) return;
  vec_to_arena(&ir->arena, &p->nodes);
  vec_to_arena(&ir->arena, &p->edges);
  p->built = true;
}

void ir_built(IrProgram *ir) {
  for (uint32_t i = 0; i < ir->nprocs; i++) ir_proc_built(ir, &ir->procs[i]);
}

void ir_free(IrProgram *ir) {
  if (!ir) return;
  for (uint32_t i = 0; i < ir->nprocs; i++) {
    IrProc *p = &ir->procs[i];
    ids_free(p);
    if (!p->built) {
      free(p->nodes.items);
      free(p->edges.items);
    }
  }
  arena_free(&ir->arena);
  free(ir);
}

static const char *const node_kind_names[IR_NODE_KIND_COUNT] = {
    [IR_START] = "start",       [IR_END] = "end",
    [IR_TERMINATE] = "terminate", [IR_TASK] = "task",
    [IR_APPROVE] = "approve",   [IR_REVIEW] = "review",
    [IR_REQUEST] = "request",   [IR_ACTION] = "action",
    [IR_NOTIFY] = "notify",     [IR_LOG] = "log",
    [IR_ASSIGN] = "assign",     [IR_START_PROCESS] = "start_process",
    [IR_WAIT] = "wait",         [IR_WAIT_UNTIL] = "wait_until",
    [IR_CHOICE] = "choice",     [IR_MERGE] = "merge",
    [IR_FORK] = "fork",         [IR_JOIN] = "join",
    [IR_RACE] = "race",         [IR_RACE_JOIN] = "race_join",
    [IR_EVENT_WAIT] = "event_wait", [IR_ITER_START] = "iter_start",
    [IR_ITER_NEXT] = "iter_next", [IR_STATE] = "state",
    [IR_GOTO] = "goto",         [IR_BRANCH] = "branch",
    [IR_REASSIGN] = "reassign", [IR_ADD] = "add",
    [IR_HANDLER_END] = "handler_end", [IR_IDLE] = "idle",
    [IR_TRY] = "try",           [IR_TRY_END] = "try_end",
    [IR_THROW] = "throw",
    [IR_RECEIVE] = "receive",
    [IR_SPAWN] = "spawn",
};

static const char *const edge_kind_names[IR_E_KIND_COUNT] = {
    "flow", "cond", "else", "loop", "timer", "command", "goto", "catch"};

const char *ir_node_kind_name(IrNodeKind k) {
  return k < IR_NODE_KIND_COUNT ? node_kind_names[k] : "?";
}

const char *ir_edge_kind_name(IrEdgeKind k) {
  return k < IR_E_KIND_COUNT ? edge_kind_names[k] : "?";
}

bool ir_is_human(IrNodeKind k) { return k >= IR_TASK && k <= IR_REQUEST; }

bool ir_is_terminal(IrNodeKind k) {
  return k == IR_END || k == IR_TERMINATE || k == IR_GOTO || k == IR_HANDLER_END ||
         k == IR_IDLE || k == IR_BRANCH || k == IR_THROW;
}

/* ---- unique ids ------------------------------------------------------------- */

/* "approve_11", then "approve_11_2" for a second approve on line 11: a count
 * per (kind, line) in an open-addressing table of the process. The table is needed
 * only while the process is built: it is malloc'd, replaced when it grows, and freed
 * by ir_proc_built (lowering calls it after each process) or ir_finish. */
static uint32_t *id_count(IrProc *p, uint64_t key) {
  if ((p->idn + 1) * 2 > p->idcap) {
    uint32_t cap = p->idcap ? p->idcap * 2 : 64;
    uint64_t *keys = xcalloc(cap, sizeof *keys + sizeof(uint32_t));
    uint32_t *counts = (uint32_t *)(keys + cap);
    for (uint32_t i = 0; i < p->idcap; i++) {
      if (!p->idcounts[i]) continue;
      uint32_t j = (uint32_t)(p->idkeys[i] * 0x9E3779B97F4A7C15u >> 40) & (cap - 1);
      while (counts[j]) j = (j + 1) & (cap - 1);
      keys[j] = p->idkeys[i];
      counts[j] = p->idcounts[i];
    }
    free(p->idkeys); /* and idcounts, in the same block */
    p->idkeys = keys;
    p->idcounts = counts;
    p->idcap = cap;
  }
  uint32_t j = (uint32_t)(key * 0x9E3779B97F4A7C15u >> 40) & (p->idcap - 1);
  while (p->idcounts[j] && p->idkeys[j] != key) j = (j + 1) & (p->idcap - 1);
  if (!p->idcounts[j]) {
    p->idkeys[j] = key;
    p->idn++;
  }
  return &p->idcounts[j];
}

/* Writes "_N" (decimal) at p; returns the end. */
static char *put_suffix(char *p, uint32_t n) {
  /* Two digits a step, from the end, where its length puts it: a node's line has
   * five or six digits in a long program, and a division per digit was half the cost
   * of making ids. */
  static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                              "25262728293031323334353637383940414243444546474849"
                              "50515253545556575859606162636465666768697071727374"
                              "75767778798081828384858687888990919293949596979899";
  unsigned len = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5
               : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  *p++ = '_';
  char *end = p + len, *q = end;
  while (n >= 100) {
    unsigned two = (n % 100) * 2;
    n /= 100;
    *--q = pairs[two + 1];
    *--q = pairs[two];
  }
  if (n >= 10) {
    *--q = pairs[n * 2 + 1];
    *--q = pairs[n * 2];
  } else {
    *--q = (char)('0' + n);
  }
  return end;
}

/* Made by hand, not with printf: one id per node, and vsnprintf cost a tenth of
 * `bpc compile` (docs/performance.md). */
static const char *make_id(IrProgram *ir, IrProc *p, IrNodeKind kind, uint32_t line) {
  uint32_t *count = id_count(p, (uint64_t)line << 8 | kind);
  const char *name = node_kind_names[kind];
  size_t n = strlen(name);
  char *id = arena_alloc(&ir->arena, n + 23), *end = id + n;
  memcpy(id, name, n);
  end = put_suffix(end, line);
  if (++*count != 1) end = put_suffix(end, *count);
  *end = '\0';
  /* Room for the longest id is taken, and what it did not use given back: most ids
   * need 16 bytes, not 33 (2.4 MB of fresh memory at 100,000 lines, 1.2 now). */
  arena_trim(&ir->arena, id, n + 23, (size_t)(end - id) + 1);
  return id;
}

/* ---- programs, processes, nodes, edges ---------------------------------------- */

void ir_reserve(IrProgram *ir, uint32_t ndocs, uint32_t nactions, uint32_t nprocs) {
  ir->docs = arena_alloc(&ir->arena, (ndocs + 1) * sizeof *ir->docs);
  ir->actions = arena_alloc(&ir->arena, (nactions + 1) * sizeof *ir->actions);
  ir->procs = arena_alloc(&ir->arena, (nprocs + 1) * sizeof *ir->procs);
  memset(ir->procs, 0, (nprocs + 1) * sizeof *ir->procs);
}

IrDoc *ir_doc(IrProgram *ir, const char *name, uint32_t nfields) {
  IrDoc *d = &ir->docs[ir->ndocs++];
  d->name = ir_str(ir, name);
  d->nfields = nfields;
  d->fields = arena_alloc(&ir->arena, (nfields + 1) * sizeof *d->fields);
  memset(d->fields, 0, (nfields + 1) * sizeof *d->fields);
  return d;
}

IrAction *ir_action(IrProgram *ir, const char *name, const Type *result, uint32_t nparams) {
  IrAction *a = &ir->actions[ir->nactions++];
  a->name = ir_str(ir, name);
  a->result = result ? result : &type_void;
  a->nparams = nparams;
  a->params = arena_alloc(&ir->arena, (nparams + 1) * sizeof *a->params);
  memset(a->params, 0, (nparams + 1) * sizeof *a->params);
  return a;
}

IrProc *ir_proc(IrProgram *ir, const char *name) {
  IrProc *p = &ir->procs[ir->nprocs++];
  memset(p, 0, sizeof *p);
  p->name = ir_str(ir, name);
  p->title = "";
  p->doc = -1;
  return p;
}

IrNode *ir_node(IrProgram *ir, IrProc *p, IrNodeKind kind, const char *id, uint32_t line,
                uint32_t col) {
  IrNode *n = arena_alloc(&ir->arena, sizeof *n); /* zeroed: arena memory comes cleared */
  n->kind = kind;
  n->line = line;
  n->col = col;
  n->id = id ? ir_str(ir, id) : make_id(ir, p, kind, line);
  n->title = "";
  n->detail = "";
  n->index = p->nodes.n;
  if (ir_is_human(kind)) {
    n->u.human = arena_alloc(&ir->arena, sizeof *n->u.human);
    n->u.human->step = (uint16_t)p->nsteps++;
    n->u.human->result = -1;
  }
  if (kind == IR_ACTION) n->u.action.result = -1;
  if (kind == IR_START && !p->start) p->start = n;
  if (p->built) ptrvec_push(&ir->arena, &p->nodes, n);
  else push_building(&p->nodes, n);
  return n;
}

IrEdge *ir_edge(IrProgram *ir, IrProc *p, IrNode *from, IrNode *to, IrEdgeKind kind,
                const char *label) {
  IrEdge *e = arena_alloc(&ir->arena, sizeof *e); /* zeroed: arena memory comes cleared */
  e->from = from;
  e->to = to;
  e->kind = kind;
  e->label = label && *label ? ir_str(ir, label) : "";
  if (p->built) ptrvec_push(&ir->arena, &p->edges, e);
  else push_building(&p->edges, e);
  return e;
}

IrEdge *ir_edge_catch(IrProgram *ir, IrProc *p, IrNode *try_node, IrNode *to, uint32_t arm,
                      const char *const *codes, uint32_t ncodes, const char *label) {
  IrEdge *e = ir_edge(ir, p, try_node, to, IR_E_CATCH, label);
  e->arm = arm;
  e->ncodes = ncodes;
  e->codes = arena_alloc(&ir->arena, (ncodes + 1) * sizeof *e->codes);
  for (uint32_t i = 0; i < ncodes; i++) e->codes[i] = ir_str(ir, codes[i]);
  return e;
}

IrEdge *ir_edge_cond(IrProgram *ir, IrProc *p, IrNode *from, IrNode *to, uint32_t arm,
                     IrExpr *cond, const char *label) {
  IrEdge *e = ir_edge(ir, p, from, to, IR_E_COND, label);
  e->arm = arm;
  e->cond = cond;
  return e;
}

uint16_t ir_slot(IrProgram *ir, IrProc *p, const char *name, const Type *type, IrSlotKind kind) {
  IrSlot *s = arena_alloc(&ir->arena, sizeof *s);
  s->name = ir_str(ir, name);
  s->type = type;
  s->kind = kind;
  ptrvec_push(&ir->arena, &p->slots, s);
  return (uint16_t)(p->slots.n - 1);
}

IrParam *ir_param(IrProgram *ir, IrProc *p, const char *name, const Type *type, IrExpr *def) {
  IrParam *prm = arena_alloc(&ir->arena, sizeof *prm);
  prm->label = "";
  prm->type = type;
  prm->def = def;
  prm->required = !def;
  prm->slot = ir_slot(ir, p, name, type, IR_SLOT_PARAM);
  prm->name = ((IrSlot *)p->slots.items[prm->slot])->name;
  ptrvec_push(&ir->arena, &p->params, prm);
  return prm;
}

IrInit *ir_var(IrProgram *ir, IrProc *p, const char *name, const Type *type, IrExpr *value) {
  IrInit *init = arena_alloc(&ir->arena, sizeof *init);
  memset(init, 0, sizeof *init);
  init->type = type;
  init->value = value;
  init->slot = ir_slot(ir, p, name, type, IR_SLOT_VAR);
  ptrvec_push(&ir->arena, &p->inits, init);
  return init;
}

IrExpr **ir_exprs(IrProgram *ir, uint32_t n) {
  /* Exactly n: no reader looks past the count, and a slot more took 0.67 MB of 1.6 at
   * 100,000 lines (most lists have one or two entries). n = 0 still gets a pointer. */
  IrExpr **v = arena_alloc(&ir->arena, n * sizeof *v); /* zeroed: arena memory comes cleared */
  return v;
}

IrWho ir_who(IrProgram *ir, uint32_t n, IrExpr *const *who) {
  IrWho w = {ir_exprs(ir, n), n};
  for (uint32_t i = 0; i < n; i++) w.who[i] = who[i];
  return w;
}

/* ---- expressions ------------------------------------------------------------------ */

static IrExpr *expr_new(IrProgram *ir, IrExprKind kind, const Type *type) {
  IrExpr *e = arena_alloc(&ir->arena, sizeof *e); /* zeroed: arena memory comes cleared */
  e->kind = kind;
  e->type = type;
  return e;
}

IrExpr *ir_expr_int(IrProgram *ir, int64_t v) {
  IrExpr *e = expr_new(ir, IR_X_INT, &type_int);
  e->u.i = v;
  return e;
}

IrExpr *ir_expr_decimal(IrProgram *ir, int64_t unscaled, uint8_t scale) {
  IrExpr *e = expr_new(ir, IR_X_DECIMAL, &type_decimal);
  e->u.dec.unscaled = unscaled;
  e->u.dec.scale = scale;
  return e;
}

IrExpr *ir_expr_bool(IrProgram *ir, bool v) {
  IrExpr *e = expr_new(ir, IR_X_BOOL, &type_bool);
  e->u.i = v;
  return e;
}

IrExpr *ir_expr_duration(IrProgram *ir, int64_t seconds) {
  IrExpr *e = expr_new(ir, IR_X_DURATION, &type_duration);
  e->u.i = seconds;
  return e;
}

IrExpr *ir_expr_string(IrProgram *ir, const char *s, uint32_t len) {
  IrExpr *e = expr_new(ir, IR_X_STRING, &type_string);
  e->u.str.s = arena_strndup(&ir->arena, s ? s : "", s ? len : 0);
  e->u.str.len = s ? len : 0;
  return e;
}

IrExpr *ir_expr_user(IrProgram *ir, const char *id, uint32_t len) {
  IrExpr *e = expr_new(ir, IR_X_USER, &type_user);
  e->u.str.s = arena_strndup(&ir->arena, id ? id : "", id ? len : 0);
  e->u.str.len = id ? len : 0;
  return e;
}

IrExpr *ir_expr_text(IrProgram *ir, IrExpr **parts, uint32_t n) {
  IrExpr *e = expr_new(ir, IR_X_TEXT, &type_string);
  e->u.list.items = parts;
  e->u.list.n = n;
  return e;
}

IrExpr *ir_expr_list(IrProgram *ir, const Type *list_type, IrExpr **items, uint32_t n) {
  IrExpr *e = expr_new(ir, IR_X_LIST, list_type);
  e->u.list.items = items;
  e->u.list.n = n;
  return e;
}

IrExpr *ir_expr_slot(IrProgram *ir, const IrProc *p, uint16_t slot) {
  IrExpr *e = expr_new(ir, IR_X_SLOT, slot < p->slots.n ? ir_slot_at(p, slot)->type : NULL);
  e->u.index = slot;
  return e;
}

IrExpr *ir_expr_field(IrProgram *ir, const Type *type, uint16_t field) {
  IrExpr *e = expr_new(ir, IR_X_FIELD, type);
  e->u.index = field;
  return e;
}

IrExpr *ir_expr_member(IrProgram *ir, IrExpr *record, const char *member) {
  const Type *rec = record ? record->type : NULL;
  const TypeField *f = rec && rec->kind == T_RECORD ? type_field(rec, member) : NULL;
  if (!f) return NULL;
  IrExpr *e = expr_new(ir, IR_X_MEMBER, f->type);
  e->u.member.obj = record;
  e->u.member.index = (uint8_t)(f - rec->fields);
  return e;
}

IrExpr *ir_expr_call(IrProgram *ir, const Type *type, const char *fn, IrExpr **args,
                     uint32_t n) {
  IrExpr *e = expr_new(ir, IR_X_CALL, type);
  e->u.call.fn = ir_str(ir, fn);
  e->u.call.args = args;
  e->nargs = n;
  return e;
}

IrExpr *ir_expr_unary(IrProgram *ir, const Type *type, IrUnaryOp op, IrExpr *operand) {
  IrExpr *e = expr_new(ir, IR_X_UNARY, type);
  e->u.unary.op = op;
  e->u.unary.operand = operand;
  return e;
}

IrExpr *ir_expr_binary(IrProgram *ir, const Type *type, IrBinaryOp op, IrExpr *l, IrExpr *r) {
  IrExpr *e = expr_new(ir, IR_X_BINARY, type);
  e->op = op;
  e->u.binary.lhs = l;
  e->u.binary.rhs = r;
  return e;
}

IrExpr *ir_expr_cond(IrProgram *ir, IrExpr *c, IrExpr *then, IrExpr *otherwise) {
  IrExpr *e = expr_new(ir, IR_X_COND, then ? then->type : NULL);
  e->u.cond = arena_alloc(&ir->arena, sizeof *e->u.cond);
  e->u.cond->cond = c;
  e->u.cond->then = then;
  e->u.cond->otherwise = otherwise;
  return e;
}

IrExpr *ir_expr_as(IrProgram *ir, const Type *type, IrExpr *operand) {
  IrExpr *e = expr_new(ir, IR_X_AS, type);
  e->u.unary.operand = operand;
  return e;
}

char *ir_dump(const IrProc *p) {
  StrBuf b;
  sb_init(&b);
  sb_printf(&b, "process %s\n", p->name);
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    const IrNode *n = ir_node_at(p, i);
    sb_printf(&b, "  %u %s [%s] %s", n->index, n->id, n->detail, n->title);
    if (n->cluster) sb_printf(&b, " (in %u)", n->cluster->index);
    sb_putc(&b, '\n');
    for (uint32_t j = 0; j < n->nout; j++) {
      const IrEdge *e = ir_edge_at(p, n->out[j]);
      sb_printf(&b, "    -%s-> %u %s\n", edge_kind_names[e->kind], e->to->index, e->label);
    }
  }
  return sb_take(&b);
}
