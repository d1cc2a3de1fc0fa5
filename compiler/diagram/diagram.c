/* diagram.c — filling the neutral diagram graph (diagram.h) from the IR or
 * from a bundle, and the text helpers its drawing needs. */
#include "diagram.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[DG_KIND_COUNT] = {
    [DG_START] = "start",         [DG_END] = "end",
    [DG_TERMINATE] = "terminate", [DG_TASK] = "task",
    [DG_APPROVE] = "approve",     [DG_REVIEW] = "review",
    [DG_REQUEST] = "request",     [DG_ACTION] = "action",
    [DG_NOTIFY] = "notify",       [DG_LOG] = "log",
    [DG_ASSIGN] = "assign",       [DG_START_PROCESS] = "start_process",
    [DG_TIMER] = "timer",         [DG_CHOICE] = "choice",
    [DG_MERGE] = "merge",         [DG_FORK] = "fork",
    [DG_JOIN] = "join",           [DG_RACE] = "race",
    [DG_RACE_JOIN] = "race_join", [DG_EVENT_WAIT] = "event_wait",
    [DG_STATE] = "state",         [DG_BRANCH] = "branch",
    [DG_GOTO] = "goto",           [DG_HANDLER_END] = "handler_end",
    [DG_IDLE] = "idle",
};

const char *dg_kind_name(DgKind k) { return k < DG_KIND_COUNT ? kind_names[k] : "?"; }

static Diagram *dg_new(uint32_t nprocs) {
  Diagram *d = xcalloc(1, sizeof *d);
  arena_init(&d->arena);
  d->nprocs = nprocs;
  d->procs = arena_alloc(&d->arena, (nprocs + 1) * sizeof *d->procs);
  return d;
}

void dg_free(Diagram *d) {
  if (!d) return;
  arena_free(&d->arena);
  free(d);
}

static const char *copy(Diagram *d, const char *s) { return arena_strdup(&d->arena, s ? s : ""); }

static void proc_alloc(Diagram *d, DgProc *p, uint32_t nnodes, uint32_t nedges) {
  p->nodes = arena_alloc(&d->arena, (nnodes + 1) * sizeof *p->nodes);
  p->edges = arena_alloc(&d->arena, (nedges + 1) * sizeof *p->edges);
  p->start = UINT32_MAX;
}

/* ---- the structure both sources share ---------------------------------------- */

static void index_edges(Diagram *d, DgProc *p) {
  p->out_first = arena_alloc(&d->arena, (p->nnodes + 2) * sizeof *p->out_first);
  p->out = arena_alloc(&d->arena, (p->nedges + 1) * sizeof *p->out);
  for (uint32_t i = 0; i < p->nedges; i++) p->out_first[p->edges[i].from + 1]++;
  for (uint32_t i = 0; i < p->nnodes; i++) p->out_first[i + 1] += p->out_first[i];
  uint32_t *fill = xcalloc(p->nnodes + 1, sizeof *fill);
  for (uint32_t i = 0; i < p->nedges; i++) {
    uint32_t from = p->edges[i].from;
    p->out[p->out_first[from] + fill[from]++] = i;
  }
  free(fill);
  for (uint32_t i = 0; i < p->nnodes && p->start == UINT32_MAX; i++)
    if (p->nodes[i].kind == DG_START) p->start = i;
}

/* Back edges: those that reach a node still on the depth-first walk's path,
 * starting from the START node, then from any node not reached yet (in index
 * order, so the answer is deterministic). Loops made from `.bp` come back to
 * their head this way; so do commands and gotos to an earlier state. The walk
 * keeps its own stack: a generated program may nest deeply. */
static void mark_back_edges(DgProc *p) {
  uint8_t *state = xcalloc(p->nnodes + 1, 1); /* 0 new, 1 on the path, 2 done */
  uint32_t *stack = xmalloc((p->nnodes + 1) * sizeof *stack);
  uint32_t *next = xcalloc(p->nnodes + 1, sizeof *next); /* next out-edge to try */
  for (uint32_t k = 0; k <= p->nnodes; k++) {
    uint32_t root = k == 0 ? p->start : k - 1;
    if (root >= p->nnodes || state[root]) continue;
    uint32_t depth = 0;
    stack[depth++] = root;
    state[root] = 1;
    while (depth) {
      uint32_t n = stack[depth - 1];
      if (p->out_first[n] + next[n] == p->out_first[n + 1]) {
        state[n] = 2;
        depth--;
        continue;
      }
      DgEdge *e = &p->edges[p->out[p->out_first[n] + next[n]++]];
      if (state[e->to] == 1) e->back = true;
      else if (state[e->to] == 0) {
        state[e->to] = 1;
        stack[depth++] = e->to;
      }
    }
  }
  free(next);
  free(stack);
  free(state);
}

/* Handlers: the nodes reached only through a TIMER edge (a remind or
 * on-timeout block), not from the start along the flow. A graph with no start
 * has none. */
static void mark_handlers(DgProc *p) {
  if (p->start >= p->nnodes) return;
  uint8_t *main_flow = xcalloc(p->nnodes + 1, 1);
  uint32_t *queue = xmalloc((p->nnodes + 1) * sizeof *queue);
  uint32_t head = 0, tail = 0;
  main_flow[p->start] = 1;
  queue[tail++] = p->start;
  while (head < tail) {
    uint32_t n = queue[head++];
    for (uint32_t j = p->out_first[n]; j < p->out_first[n + 1]; j++) {
      const DgEdge *e = &p->edges[p->out[j]];
      if (e->kind == BPT_E_TIMER || main_flow[e->to]) continue;
      main_flow[e->to] = 1;
      queue[tail++] = e->to;
    }
  }
  for (uint32_t i = 0; i < p->nnodes; i++)
    p->nodes[i].in_handler = !main_flow[i] && p->nodes[i].kind != DG_BRANCH;
  free(queue);
  free(main_flow);
}

/* A bundle's END nodes, told apart (the IR knows; the bundle folds them):
 * one that leaves by a GOTO edge is a goto; one in a handler ends the
 * handler; one inside a state's cluster is where an enter block or command
 * body rests; the others end the process. */
static void refine_ends(DgProc *p) {
  for (uint32_t i = 0; i < p->nnodes; i++) {
    DgNode *n = &p->nodes[i];
    if (n->kind != DG_END) continue;
    bool leaves_by_goto = false;
    for (uint32_t j = p->out_first[i]; j < p->out_first[i + 1]; j++)
      if (p->edges[p->out[j]].kind == BPT_E_GOTO) leaves_by_goto = true;
    if (leaves_by_goto) n->kind = DG_GOTO;
    else if (n->in_handler) n->kind = DG_HANDLER_END;
    else if (n->cluster >= 0 && p->nodes[n->cluster].kind == DG_STATE) n->kind = DG_IDLE;
  }
}

/* ---- from the IR ---------------------------------------------------------------- */

/* The diagram's kind of an IR node. A for loop is drawn as an assignment of
 * its list and a choice per element; a reassign / add as an assignment. */
static const uint8_t dg_kinds[IR_NODE_KIND_COUNT] = {
    [IR_START] = DG_START,         [IR_END] = DG_END,
    [IR_TERMINATE] = DG_TERMINATE, [IR_TASK] = DG_TASK,
    [IR_APPROVE] = DG_APPROVE,     [IR_REVIEW] = DG_REVIEW,
    [IR_REQUEST] = DG_REQUEST,     [IR_ACTION] = DG_ACTION,
    [IR_NOTIFY] = DG_NOTIFY,       [IR_LOG] = DG_LOG,
    [IR_ASSIGN] = DG_ASSIGN,       [IR_START_PROCESS] = DG_START_PROCESS,
    [IR_WAIT] = DG_TIMER,          [IR_WAIT_UNTIL] = DG_TIMER,
    [IR_CHOICE] = DG_CHOICE,       [IR_MERGE] = DG_MERGE,
    [IR_FORK] = DG_FORK,           [IR_JOIN] = DG_JOIN,
    [IR_RACE] = DG_RACE,           [IR_RACE_JOIN] = DG_RACE_JOIN,
    [IR_EVENT_WAIT] = DG_EVENT_WAIT, [IR_ITER_START] = DG_ASSIGN,
    [IR_ITER_NEXT] = DG_CHOICE,    [IR_STATE] = DG_STATE,
    [IR_GOTO] = DG_GOTO,           [IR_BRANCH] = DG_BRANCH,
    [IR_REASSIGN] = DG_ASSIGN,     [IR_ADD] = DG_ASSIGN,
    [IR_HANDLER_END] = DG_HANDLER_END, [IR_IDLE] = DG_IDLE,
    [IR_TRY] = DG_MERGE,           [IR_TRY_END] = DG_MERGE, /* a try scope's way in and out */
    [IR_THROW] = DG_TERMINATE,     /* ends the path, with an error */
    [IR_RECEIVE] = DG_TIMER, /* an intermediate catch event */
    [IR_SPAWN] = DG_FORK,    /* a split whose new token is not joined */
};

static DgKind kind_of_ir(IrNodeKind k) { return k < IR_NODE_KIND_COUNT ? (DgKind)dg_kinds[k] : DG_END; }

/* The GRAPH section's kind of an IR edge (the bundle's and the diagram's). */
static BptEdgeKind edge_kind_of_ir(IrEdgeKind k) {
  static const uint8_t kinds[IR_E_KIND_COUNT] = {
      [IR_E_FLOW] = BPT_E_FLOW,   [IR_E_COND] = BPT_E_COND,   [IR_E_ELSE] = BPT_E_ELSE,
      [IR_E_LOOP] = BPT_E_LOOP,   [IR_E_TIMER] = BPT_E_TIMER, [IR_E_COMMAND] = BPT_E_COMMAND,
      [IR_E_GOTO] = BPT_E_GOTO,   [IR_E_CATCH] = BPT_E_COND};
  return k < IR_E_KIND_COUNT ? (BptEdgeKind)kinds[k] : BPT_E_FLOW;
}

static void proc_from_ir(Diagram *d, const IrProc *ip, DgProc *p) {
  p->name = copy(d, ip->name);
  p->title = copy(d, ip->title);
  p->nnodes = ip->nodes.n;
  p->nedges = ip->edges.n;
  proc_alloc(d, p, p->nnodes, p->nedges);
  for (uint32_t i = 0; i < p->nnodes; i++) {
    const IrNode *n = ir_node_at(ip, i);
    DgNode *g = &p->nodes[i];
    g->kind = kind_of_ir(n->kind);
    g->id = copy(d, n->id);
    g->title = copy(d, n->title);
    g->detail = copy(d, n->detail);
    g->line = n->line;
    g->cluster = n->cluster ? (int32_t)n->cluster->index : -1;
    g->final = n->kind == IR_STATE && n->u.state.state < ip->nstates &&
               ip->states[n->u.state.state].final;
  }
  for (uint32_t i = 0; i < p->nedges; i++) {
    const IrEdge *e = ir_edge_at(ip, i);
    p->edges[i] = (DgEdge){e->from->index, e->to->index, edge_kind_of_ir(e->kind),
                           copy(d, e->label), false, DG_UNMARKED};
  }
  index_edges(d, p);
  mark_back_edges(p);
  mark_handlers(p);
}

Diagram *dg_from_ir(const IrProgram *ir) {
  Diagram *d = dg_new(ir->nprocs);
  for (uint32_t i = 0; i < ir->nprocs; i++) proc_from_ir(d, &ir->procs[i], &d->procs[i]);
  return d;
}

/* ---- from a bundle ---------------------------------------------------------------- */

static const char *bundle_string(Diagram *d, const BptBundle *b, uint32_t z) {
  return z < b->nstrings ? copy(d, b->strings[z].data) : "";
}

/* The bundle's states name no graph node; the compiler writes the STATE nodes
 * of a process in the order of its states (lower_states), so the k-th STATE
 * node is state k. */
static void mark_final_states(DgProc *p, const BptProcess *bp) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < p->nnodes; i++) {
    if (p->nodes[i].kind != DG_STATE) continue;
    p->nodes[i].final = k < bp->nstates && bp->states[k].final;
    k++;
  }
}

static void proc_from_bundle(Diagram *d, const BptBundle *b, const BptProcess *bp, DgProc *p) {
  p->name = bundle_string(d, b, bp->name);
  p->title = bundle_string(d, b, bp->title);
  uint32_t first = bp->first_node, nn = bp->nnodes;
  proc_alloc(d, p, nn, bp->nedges);
  p->nnodes = nn;
  for (uint32_t i = 0; i < nn; i++) {
    const BptNode *n = &b->nodes[first + i];
    DgNode *g = &p->nodes[i];
    g->kind = (DgKind)n->kind;
    g->id = bundle_string(d, b, n->id);
    g->title = bundle_string(d, b, n->title);
    g->detail = bundle_string(d, b, n->detail);
    g->line = n->line;
    bool inside = n->cluster != BPT_NO_PC && n->cluster >= first && n->cluster - first < nn;
    g->cluster = inside ? (int32_t)(n->cluster - first) : -1;
  }
  for (uint32_t i = 0; i < bp->nedges; i++) {
    const BptEdge *e = &b->edges[bp->first_edge + i];
    if (e->from < first || e->from - first >= nn || e->to < first || e->to - first >= nn) continue;
    p->edges[p->nedges++] = (DgEdge){e->from - first, e->to - first, (BptEdgeKind)e->kind,
                                     bundle_string(d, b, e->label), false, DG_UNMARKED};
  }
  index_edges(d, p);
  mark_back_edges(p);
  mark_handlers(p);
  refine_ends(p);
  mark_final_states(p, bp);
}

Diagram *dg_from_bundle(const BptBundle *b) {
  Diagram *d = dg_new(b->nprocesses);
  for (uint32_t i = 0; i < b->nprocesses; i++)
    proc_from_bundle(d, b, &b->processes[i], &d->procs[i]);
  return d;
}

/* ---- lookups ---------------------------------------------------------------------- */

int32_t dg_find_proc(const Diagram *d, const char *name) {
  for (uint32_t i = 0; i < d->nprocs; i++)
    if (strcmp(d->procs[i].name, name) == 0) return (int32_t)i;
  return -1;
}

int32_t dg_find_node(const DgProc *p, const char *id) {
  for (uint32_t i = 0; i < p->nnodes; i++)
    if (strcmp(p->nodes[i].id, id) == 0) return (int32_t)i;
  return -1;
}

/* ---- wrapping ----------------------------------------------------------------------- */

/* Text is cut into units that a line break may separate: words, or for a
 * detail whole " · " parts when they fit on a line. A unit longer than a line
 * is cut into line-long pieces. */
typedef struct Unit {
  const char *s;
  size_t len;
  unsigned chars;
  const char *sep; /* what joins it to the previous unit on the same line */
  unsigned sep_chars;
  bool new_line;   /* starts a line: the first word of a part too long for one */
} Unit;

typedef struct Units {
  Unit *v;
  uint32_t n, cap;
} Units;

/* Bytes of the character at s, at most n (1 for a byte that is not UTF-8). */
static size_t char_len(const char *s, size_t n) {
  size_t k = utf8_seq_len((const unsigned char *)s, n);
  return k ? k : 1;
}

static void add_unit(Units *u, Unit x) {
  if (u->n == u->cap) {
    u->cap = u->cap ? u->cap * 2 : 16;
    u->v = xrealloc(u->v, u->cap * sizeof *u->v);
  }
  u->v[u->n++] = x;
}

static bool blank(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

/* The words of s[0..len), the first joined by sep, cut to `width`. */
static void add_words(Units *u, const char *s, size_t len, const char *sep, unsigned width) {
  size_t i = 0;
  while (i < len) {
    while (i < len && blank(s[i])) i++;
    if (i == len) break;
    size_t at = i;
    unsigned chars = 0;
    while (i < len && !blank(s[i]) && chars < width) {
      i += char_len(s + i, len - i);
      chars++;
    }
    add_unit(u, (Unit){s + at, i - at, chars, sep, (unsigned)utf8_count(sep, strlen(sep)), false});
    /* a piece of a cut word continues with no separator */
    sep = i < len && !blank(s[i]) ? "" : " ";
  }
}

/* Lays the units out greedily in lines of `width`; returns how many lines
 * it takes. With out, writes them (at most max_lines; *cut when that hid
 * some). */
static uint32_t lay_out(const Units *u, unsigned width, StrBuf *out, unsigned max_lines, bool *cut) {
  uint32_t lines = u->n ? 1 : 0;
  unsigned col = 0;
  for (uint32_t i = 0; i < u->n; i++) {
    const Unit *x = &u->v[i];
    bool fits = col == 0 || (!x->new_line && col + x->sep_chars + x->chars <= width);
    if (!fits) {
      lines++;
      col = 0;
    }
    if (out && lines > max_lines) {
      *cut = true;
      break;
    }
    if (out && !fits) sb_putc(out, '\n');
    if (col) {
      if (out) sb_puts(out, x->sep);
      col += x->sep_chars;
    }
    if (out) sb_putn(out, x->s, x->len);
    col += x->chars;
  }
  return lines;
}

/* Lines as even as greedy breaking allows: the narrowest width that needs no
 * more lines than `width` does ("Revise {title}: / {ballot.percent}% voted
 * for" rather than a last line of one word). */
static char *wrap_units(Arena *a, const Units *u, unsigned width, unsigned max_lines) {
  width = width ? width : 1;
  max_lines = max_lines ? max_lines : 1;
  uint32_t lines = lay_out(u, width, NULL, 0, NULL);
  unsigned best = width;
  if (lines > 1 && lines <= max_lines) {
    unsigned total = 0, widest = 1;
    for (uint32_t i = 0; i < u->n; i++) {
      total += u->v[i].chars + (i ? 1 : 0);
      if (u->v[i].chars > widest) widest = u->v[i].chars;
    }
    unsigned w = total / lines > widest ? total / lines : widest;
    for (; w < width; w++)
      if (lay_out(u, w, NULL, 0, NULL) <= lines) break;
    best = w;
  }
  StrBuf b;
  sb_init(&b);
  bool cut = false;
  lay_out(u, best, &b, max_lines, &cut);
  if (cut) sb_puts(&b, "…");
  char *r = arena_strdup(a, b.data ? b.data : "");
  sb_free(&b);
  return r;
}

char *dg_wrap(Arena *a, const char *text, unsigned width, unsigned max_lines) {
  Units u = {0};
  const char *s = text ? text : "";
  add_words(&u, s, strlen(s), " ", width ? width : 1);
  char *r = wrap_units(a, &u, width, max_lines);
  free(u.v);
  return r;
}

char *dg_wrap_parts(Arena *a, const char *text, const char *sep, unsigned width,
                    unsigned max_lines) {
  Units u = {0};
  const char *s = text ? text : "";
  size_t seplen = strlen(sep);
  unsigned sepchars = (unsigned)utf8_count(sep, seplen);
  width = width ? width : 1;
  const char *join = "";
  for (;;) {
    const char *end = seplen ? strstr(s, sep) : NULL;
    size_t len = end ? (size_t)(end - s) : strlen(s);
    unsigned chars = (unsigned)utf8_count(s, len);
    if (chars <= width && len && !blank(s[0]) && !blank(s[len - 1]))
      add_unit(&u, (Unit){s, len, chars, join, *join ? sepchars : 0, false});
    else {
      uint32_t first = u.n;
      add_words(&u, s, len, *join ? join : " ", width);
      if (first < u.n) u.v[first].new_line = true;
    }
    join = sep;
    if (!end) break;
    s = end + seplen;
  }
  char *r = wrap_units(a, &u, width, max_lines);
  free(u.v);
  return r;
}
