/* ir.c — building and reading the graph IR (see ir.h). */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

#include "bpt.h"

IrProgram *ir_program_new(void) {
  IrProgram *ir = xcalloc(1, sizeof *ir);
  arena_init(&ir->arena);
  ir->source_path = "";
  return ir;
}

void ir_free(IrProgram *ir) {
  if (!ir) return;
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
};

static const char *const edge_kind_names[IR_E_KIND_COUNT] = {
    "flow", "cond", "else", "loop", "timer", "command", "goto"};

const char *ir_node_kind_name(IrNodeKind k) {
  return k < IR_NODE_KIND_COUNT ? node_kind_names[k] : "?";
}

const char *ir_edge_kind_name(IrEdgeKind k) {
  return k < IR_E_KIND_COUNT ? edge_kind_names[k] : "?";
}

/* Node kinds the GRAPH section has no word for are drawn as the nearest one:
 * the end of a handler, a resting state and a goto end a path (END); a
 * reassign / add changes who works on a step (ASSIGN); a for loop is an
 * assignment of its list and a choice per element. */
static const uint8_t bpt_node_kinds[IR_NODE_KIND_COUNT] = {
    [IR_START] = BPT_N_START,       [IR_END] = BPT_N_END,
    [IR_TERMINATE] = BPT_N_TERMINATE, [IR_TASK] = BPT_N_TASK,
    [IR_APPROVE] = BPT_N_APPROVE,   [IR_REVIEW] = BPT_N_REVIEW,
    [IR_REQUEST] = BPT_N_REQUEST,   [IR_ACTION] = BPT_N_ACTION,
    [IR_NOTIFY] = BPT_N_NOTIFY,     [IR_LOG] = BPT_N_LOG,
    [IR_ASSIGN] = BPT_N_ASSIGN,     [IR_START_PROCESS] = BPT_N_START_PROCESS,
    [IR_WAIT] = BPT_N_TIMER,        [IR_WAIT_UNTIL] = BPT_N_TIMER,
    [IR_CHOICE] = BPT_N_CHOICE,     [IR_MERGE] = BPT_N_MERGE,
    [IR_FORK] = BPT_N_FORK,         [IR_JOIN] = BPT_N_JOIN,
    [IR_RACE] = BPT_N_RACE,         [IR_RACE_JOIN] = BPT_N_RACE_JOIN,
    [IR_EVENT_WAIT] = BPT_N_EVENT_WAIT, [IR_ITER_START] = BPT_N_ASSIGN,
    [IR_ITER_NEXT] = BPT_N_CHOICE,  [IR_STATE] = BPT_N_STATE,
    [IR_GOTO] = BPT_N_END,          [IR_BRANCH] = BPT_N_BRANCH,
    [IR_REASSIGN] = BPT_N_ASSIGN,   [IR_ADD] = BPT_N_ASSIGN,
    [IR_HANDLER_END] = BPT_N_END,   [IR_IDLE] = BPT_N_END,
};

unsigned ir_node_bpt_kind(IrNodeKind k) { return bpt_node_kinds[k]; }

unsigned ir_edge_bpt_kind(IrEdgeKind k) {
  static const uint8_t kinds[IR_E_KIND_COUNT] = {BPT_E_FLOW, BPT_E_COND,    BPT_E_ELSE,
                                                 BPT_E_LOOP, BPT_E_TIMER,   BPT_E_COMMAND,
                                                 BPT_E_GOTO};
  return kinds[k];
}

bool ir_is_human(IrNodeKind k) { return k >= IR_TASK && k <= IR_REQUEST; }

bool ir_is_terminal(IrNodeKind k) {
  return k == IR_END || k == IR_TERMINATE || k == IR_GOTO || k == IR_HANDLER_END ||
         k == IR_IDLE || k == IR_BRANCH;
}

/* ---- unique ids ------------------------------------------------------------- */

/* "approve_11", then "approve_11_2" for a second approve on line 11: a count
 * per (kind, line) in an open-addressing table of the process. */
static uint32_t *id_count(IrProgram *ir, IrProc *p, uint64_t key) {
  if ((p->idn + 1) * 2 > p->idcap) {
    uint32_t cap = p->idcap ? p->idcap * 2 : 64;
    uint64_t *keys = arena_alloc(&ir->arena, cap * sizeof *keys);
    uint32_t *counts = arena_alloc(&ir->arena, cap * sizeof *counts);
    for (uint32_t i = 0; i < p->idcap; i++) {
      if (!p->idcounts[i]) continue;
      uint32_t j = (uint32_t)(p->idkeys[i] * 0x9E3779B97F4A7C15u >> 40) & (cap - 1);
      while (counts[j]) j = (j + 1) & (cap - 1);
      keys[j] = p->idkeys[i];
      counts[j] = p->idcounts[i];
    }
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

static const char *make_id(IrProgram *ir, IrProc *p, IrNodeKind kind, uint32_t line) {
  uint32_t *count = id_count(ir, p, (uint64_t)line << 8 | kind);
  if (++*count == 1) return arena_printf(&ir->arena, "%s_%u", node_kind_names[kind], line);
  return arena_printf(&ir->arena, "%s_%u_%u", node_kind_names[kind], line, *count);
}

IrNode *ir_node(IrProgram *ir, IrProc *p, IrNodeKind kind, uint32_t line, uint32_t col) {
  IrNode *n = arena_alloc(&ir->arena, sizeof *n);
  n->kind = kind;
  n->line = line;
  n->col = col;
  n->id = make_id(ir, p, kind, line);
  n->title = "";
  n->detail = "";
  n->index = p->nodes.n;
  ptrvec_push(&ir->arena, &p->nodes, n);
  return n;
}

IrEdge *ir_edge(IrProgram *ir, IrProc *p, IrNode *from, IrNode *to, IrEdgeKind kind,
                const char *label) {
  IrEdge *e = arena_alloc(&ir->arena, sizeof *e);
  e->from = from;
  e->to = to;
  e->kind = kind;
  e->label = label ? label : "";
  ptrvec_push(&ir->arena, &p->edges, e);
  return e;
}

uint16_t ir_slot(IrProgram *ir, IrProc *p, const char *name, const Type *type,
                 IrSlotKind kind, const Symbol *sym) {
  IrSlot *s = arena_alloc(&ir->arena, sizeof *s);
  s->name = name;
  s->type = type;
  s->kind = kind;
  s->sym = sym;
  ptrvec_push(&ir->arena, &p->slots, s);
  return (uint16_t)(p->slots.n - 1);
}

static int slot_map_kind(SymKind k) {
  switch (k) {
  case SYM_PARAM: return 0;
  case SYM_VAR: return 1;
  case SYM_RESULT: return 2;
  case SYM_LOOPVAR: return 3;
  default: return -1;
  }
}

int32_t ir_slot_of(const IrProc *p, const Symbol *sym) {
  int k = sym ? slot_map_kind(sym->kind) : -1;
  if (k < 0 || sym->slot >= p->slot_map_len[k]) return -1;
  return p->slot_map[k][sym->slot];
}

void ir_proc_index(IrProgram *ir, IrProc *p) {
  uint32_t nn = p->nodes.n, ne = p->edges.n;
  for (uint32_t i = 0; i < nn; i++) {
    IrNode *n = ir_node_at(p, i);
    n->nout = n->nin = 0;
  }
  for (uint32_t i = 0; i < ne; i++) {
    IrEdge *e = ir_edge_at(p, i);
    e->from->nout++;
    e->to->nin++;
  }
  for (uint32_t i = 0; i < nn; i++) {
    IrNode *n = ir_node_at(p, i);
    n->out = arena_alloc(&ir->arena, (n->nout + 1) * sizeof *n->out);
    n->in = arena_alloc(&ir->arena, (n->nin + 1) * sizeof *n->in);
    n->nout = n->nin = 0;
  }
  for (uint32_t i = 0; i < ne; i++) {
    IrEdge *e = ir_edge_at(p, i);
    e->from->out[e->from->nout++] = i;
    e->to->in[e->to->nin++] = i;
  }
}

void ir_position(IrPosCache *c, uint32_t off, uint32_t *line, uint32_t *col) {
  const Source *s = c->src;
  if (off > s->len) off = s->len;
  if (c->line && off >= c->off) {
    uint32_t next = c->line < s->nlines ? s->line_starts[c->line] : s->len + 1;
    if (off < next) { /* the same line, further on */
      c->col += (uint32_t)utf8_count(s->text + c->off, off - c->off);
      c->off = off;
      *line = c->line;
      *col = c->col;
      return;
    }
  }
  source_position(s, off, line, col);
  c->off = off;
  c->line = *line;
  c->col = *col;
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
