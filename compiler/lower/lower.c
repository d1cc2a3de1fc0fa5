/* lower.c — a checked Program becomes the graph IR (ir.h).
 *
 * Statements are lowered in order, each taking the "tails" of the graph so
 * far — the dangling edges that lead to whatever comes next — and returning
 * its own. A tail remembers the node it leaves and the kind of edge (a choice
 * leaves COND and ELSE tails), so the next node connects them all. Flow that
 * ends (terminate, goto, break, continue) returns no tails. Where several
 * tails meet (after an if, at a loop's exit) a MERGE node joins them, so a
 * block never ends with more than one tail.
 *
 * Loops: the head is a MERGE (while, loop) or the ITER_NEXT node (for);
 * `continue` and the end of the body connect back to it; `break` adds its
 * tails to the loop's exit. Which edges are back edges, and which merge is a
 * loop's exit, ir_finish works out from the graph, as for any front end.
 *
 * Expressions become the IR's own (IrExpr): names resolve to slots, document
 * fields and constants' values; labels and titles are copied from the
 * source text. Nesting depth is bounded by the parser (PARSE_MAX_DEPTH), so
 * the recursion here is too. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "check.h"

typedef struct Tail {
  IrNode *from;
  IrEdgeKind kind;
  uint32_t arm;
  IrExpr *cond;
  uint32_t line, col; /* where cond is written */
  const char *label; /* in the IR's arena, or a literal: the edge keeps it (connect_one) */
  IrNode **capture; /* gets the node the tail is connected to (a sub-graph's entry) */
} Tail;

typedef struct Tails {
  Tail *v;
  uint32_t n, cap;
} Tails;

typedef struct Loop {
  IrNode *head;
  Tails breaks;
  struct Loop *outer;
} Loop;

/* Line and character column of a byte offset, like source_position, but
 * remembering the last answer: offsets asked in increasing order along one
 * line (a 10 MB line of statements) cost what they advance, not the whole
 * line each time. */
typedef struct PosCache {
  const Source *src;
  uint32_t off, line, col; /* the last answer; line 0: none */
} PosCache;

/* A process's slots by checked name: per kind of name (params, vars,
 * results, loop variables), indexed by Symbol.slot. */
typedef struct SlotMap {
  int32_t *map[4];
  uint32_t len[4];
} SlotMap;

/* Names to their index, hashed: `start P` and action calls find their target
 * without going through every process (a linear search made lowering
 * quadratic in the number of processes). The first of equal names wins, as
 * the search did. */
typedef struct NameIndex {
  const char **keys; /* NULL: a free slot */
  uint32_t *vals;
  uint32_t mask;
} NameIndex;

typedef struct Lower {
  IrProgram *ir;
  NameIndex procs, actions;
  const Program *prog;
  IrProc *p;
  const Process *proc;
  IrNode *cluster;
  Loop *loop;
  PosCache pos;
  SlotMap *maps; /* per process */
  SlotMap *map;  /* the current process's */
  /* the caught errors of `catch ... as e` in scope: symbol, the try's code slot */
  const Symbol **err_syms;
  uint16_t *err_slots;
  uint32_t nerr, err_cap;
  /* what lowering one process's body needs only while it runs (the Tails vectors, the
   * statement list): reset after each body, so every process reuses the same pages.
   * Scratch, not an arena: each array is written before it is read, and an arena's
   * reset cleared what the body had used (12 M instructions at 100,000 lines). */
  Scratch scratch;
} Lower;

/* ---- text and positions ------------------------------------------------------ */

/* The index of the line holding off (what diag.c's source_position finds by a binary
 * search of every line start), searched from line index `from` outwards: a step of 1, 2,
 * 4, ... lines, then a binary search of the last step. Lowering asks mostly for a line
 * near the one before (the next statement, or the start of a block a few lines up), and
 * the search over all 100,000 line starts missed the cache on most of its 17 steps. */
static uint32_t line_near(const Source *src, uint32_t from, uint32_t off) {
  const uint32_t *starts = src->line_starts;
  uint32_t lo, hi, step = 1; /* starts[lo] <= off < starts[hi] (hi == nlines: the end) */
  if (starts[from] <= off) {
    lo = from;
    while (lo + step < src->nlines && starts[lo + step] <= off) lo += step, step *= 2;
    hi = lo + step < src->nlines ? lo + step : src->nlines;
  } else {
    hi = from;
    while (hi >= step && starts[hi - step] > off) hi -= step, step *= 2;
    lo = hi >= step ? hi - step : 0;
  }
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (starts[mid] <= off) lo = mid;
    else hi = mid;
  }
  return lo;
}

static void position(Lower *L, Span s, uint32_t *line, uint32_t *col) {
  PosCache *c = &L->pos;
  const Source *src = c->src;
  uint32_t off = s.off > src->len ? src->len : s.off;
  if (c->line && off >= c->off) {
    uint32_t next = c->line < src->nlines ? src->line_starts[c->line] : src->len + 1;
    if (off < next) { /* the same line, further on */
      c->col += (uint32_t)utf8_count(src->text + c->off, off - c->off);
      c->off = off;
      *line = c->line;
      *col = c->col;
      return;
    }
  }
  uint32_t li = line_near(src, c->line ? c->line - 1 : 0, off), start = src->line_starts[li];
  c->off = off;
  c->line = *line = li + 1;
  c->col = *col = (uint32_t)utf8_count(src->text + start, off - start) + 1;
}

static const char *source_text(Lower *L, Span s) {
  return arena_strndup(&L->ir->arena, L->prog->src->text + s.off, s.len);
}

/* What `%s` of source_text(L, s) writes: the span's text up to a NUL byte, if it holds
 * one. */
static size_t source_len(Lower *L, Span s) { return strnlen(L->prog->src->text + s.off, s.len); }

/* Appends source_text(L, s) as `%s` would, without copying it into the arena first: a
 * copy made only to be formatted stayed in the arena until the bundle was made. */
static void put_source(StrBuf *b, Lower *L, Span s) {
  sb_putn(b, L->prog->src->text + s.off, source_len(L, s));
}

/* before, the span's text (as put_source) and after, in the arena: what
 * arena_printf(arena, "BEFORE%sAFTER", source_text(L, s)) made, in one allocation. */
static const char *source_framed(Lower *L, const char *before, Span s, const char *after) {
  size_t nb = strlen(before), ns = source_len(L, s), na = strlen(after);
  char *t = arena_alloc(&L->ir->arena, nb + ns + na + 1); /* zeroed: ends in '\0' */
  memcpy(t, before, nb);
  memcpy(t + nb, L->prog->src->text + s.off, ns);
  memcpy(t + nb + ns, after, na);
  return t;
}

/* a, b and c one after the other, in the arena: what arena_printf(arena, "%s%s%s", a, b,
 * c) made (NULL as "(null)", as there), without walking a format. Lowering made 18,850
 * names, titles and details with formats of %s and %u at 100,000 lines; a number goes
 * through decimal() first. */
static const char *cat3(Lower *L, const char *a, const char *b, const char *c) {
  if (!a) a = "(null)";
  if (!b) b = "(null)";
  if (!c) c = "(null)";
  size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
  char *s = arena_alloc(&L->ir->arena, na + nb + nc + 1);
  memcpy(s, a, na);
  memcpy(s + na, b, nb);
  memcpy(s + na + nb, c, nc);
  s[na + nb + nc] = '\0';
  return s;
}

/* v in decimal, as %u writes it, in buf (returned). */
static const char *decimal(char buf[12], uint32_t v) {
  char *p = buf + 11;
  *p = '\0';
  do *--p = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  return p;
}

/* A string literal as written, without its quotes: `Vote on {title}`. */
static const char *string_text(Lower *L, const Expr *e) {
  if (!e) return "";
  Span s = e->span;
  const char *t = L->prog->src->text + s.off;
  if (e->kind == E_STRING && s.len >= 2 && t[0] == '"' && t[s.len - 1] == '"')
    s = span_make(s.off + 1, s.len - 2);
  return source_text(L, s);
}

/* The decoded text of a label (plain text; an interpolation is kept as written). Its
 * length is counted first and the text written into the arena once: it was put together
 * in a StrBuf (a malloc, a realloc or two and a free) and then copied (14,500 labels and
 * names at 100,000 lines). */
static const char *plain_text(Lower *L, const Expr *e) {
  if (!e) return "";
  if (e->kind != E_STRING) return source_text(L, e->span);
  size_t len = 0;
  for (uint32_t i = 0; i < e->u.str.n; i++) {
    const StrPart *part = &e->u.str.parts[i];
    len += part->expr ? source_len(L, part->expr->span) + 2 : part->len;
  }
  char *s = arena_alloc(&L->ir->arena, len + 1), *t = s;
  for (uint32_t i = 0; i < e->u.str.n; i++) {
    const StrPart *part = &e->u.str.parts[i];
    if (part->expr) {
      size_t n = source_len(L, part->expr->span);
      *t++ = '{';
      memcpy(t, L->prog->src->text + part->expr->span.off, n);
      t += n;
      *t++ = '}';
    } else if (part->len) {
      memcpy(t, part->text, part->len);
      t += part->len;
    }
  }
  *t = '\0';
  return s;
}

/* Appends a WHO list as written: "a, b". */
static void put_who(StrBuf *b, Lower *L, Expr **who, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (i) sb_puts(b, ", ");
    put_source(b, L, who[i]->span);
  }
}

/* `pre` and `fix`, then a WHO list as written, "a, b", in the arena: counted, then
 * written once, as plain_text. */
static const char *who_text(Lower *L, const char *pre, const char *fix, Expr **who, uint32_t n) {
  size_t n1 = strlen(pre), n2 = strlen(fix), len = n1 + n2;
  for (uint32_t i = 0; i < n; i++) len += (i ? 2 : 0) + source_len(L, who[i]->span);
  char *s = arena_alloc(&L->ir->arena, len + 1), *t = s;
  memcpy(t, pre, n1);
  memcpy(t + n1, fix, n2);
  t += n1 + n2;
  for (uint32_t i = 0; i < n; i++) {
    size_t k = source_len(L, who[i]->span);
    if (i) *t++ = ',', *t++ = ' ';
    memcpy(t, L->prog->src->text + who[i]->span.off, k);
    t += k;
  }
  *t = '\0';
  return s;
}

/* ---- nodes, edges, tails ----------------------------------------------------- */

static IrNode *new_node(Lower *L, IrNodeKind kind, Span at) {
  uint32_t line, col;
  position(L, at, &line, &col);
  IrNode *n = ir_node(L->ir, L->p, kind, NULL, line, col);
  n->cluster = L->cluster;
  return n;
}

static void tails_add(Lower *L, Tails *t, Tail x) {
  if (t->n == t->cap) {
    uint32_t cap = t->cap ? t->cap * 2 : 4;
    Tail *v = scratch_alloc(&L->scratch, cap, sizeof *v);
    if (t->n) memcpy(v, t->v, t->n * sizeof *v);
    t->v = v;
    t->cap = cap;
  }
  t->v[t->n++] = x;
}

static void tails_append(Lower *L, Tails *dst, Tails src) {
  for (uint32_t i = 0; i < src.n; i++) tails_add(L, dst, src.v[i]);
}

static Tails tail_of(Lower *L, IrNode *from, IrEdgeKind kind, const char *label) {
  Tails t = {0};
  tails_add(L, &t, (Tail){from, kind, 0, NULL, 0, 0, label, NULL});
  return t;
}

static IrEdge *connect_one(Lower *L, const Tail *t, IrNode *to) {
  /* A tail's label is already in the IR's arena or a literal: stored, not copied again
   * (ir_edge's copy took 0.4 MB at 100,000 lines). */
  IrEdge *e = ir_edge(L->ir, L->p, t->from, to, t->kind, NULL);
  if (t->label && *t->label) e->label = t->label;
  e->arm = t->arm;
  if (t->kind == IR_E_COND) { /* only a COND edge has the room (it is a CATCH edge's codes) */
    e->cond = t->cond;
    e->line = t->line;
    e->col = t->col;
  }
  if (t->capture) *t->capture = to;
  return e;
}

static void connect(Lower *L, Tails in, IrNode *to) {
  for (uint32_t i = 0; i < in.n; i++) connect_one(L, &in.v[i], to);
}


/* A node in sequence: the tails lead to it, and it leaves one flow tail. */
static Tails then(Lower *L, Tails in, IrNode *n) {
  connect(L, in, n);
  return tail_of(L, n, IR_E_FLOW, NULL);
}

/* Where several tails meet, a merge node joins them. A loop left by `break`
 * always gets one (its exit): ir_finish links it to the loop's head so the
 * code generator can lay the exit out after the whole loop. */
static Tails merge(Lower *L, Tails in, Span at, const char *title, bool loop_exit) {
  if (in.n == 0 || (in.n == 1 && !loop_exit)) return in;
  IrNode *m = new_node(L, IR_MERGE, at);
  m->title = title;
  m->detail = loop_exit ? "loop exit" : "merge";
  return then(L, in, m);
}

/* ---- lookups ----------------------------------------------------------------- */

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* The slot of name: where it is, or the free slot where it would go. */
static uint32_t name_slot(const NameIndex *x, const char *name) {
  uint32_t i = name_hash(name) & x->mask;
  while (x->keys[i] && strcmp(x->keys[i], name) != 0) i = (i + 1) & x->mask;
  return i;
}

/* An empty index with room for n names, in the IR's arena. */
static void name_index_init(Lower *L, NameIndex *x, uint32_t n) {
  uint32_t cap = 8;
  while (cap < 2 * n) cap *= 2;
  x->keys = arena_alloc(&L->ir->arena, cap * sizeof *x->keys);
  x->vals = arena_alloc(&L->ir->arena, cap * sizeof *x->vals);
  memset(x->keys, 0, cap * sizeof *x->keys);
  x->mask = cap - 1;
}

static void name_index_add(NameIndex *x, const char *name, uint32_t val) {
  uint32_t i = name_slot(x, name);
  if (x->keys[i]) return; /* the first one stays */
  x->keys[i] = name;
  x->vals[i] = val;
}

static uint32_t name_index_get(const NameIndex *x, const char *name) {
  uint32_t i = name_slot(x, name);
  return x->keys[i] ? x->vals[i] : 0; /* the checker made sure it exists */
}

static uint16_t action_index(const Lower *L, const char *name) {
  return (uint16_t)name_index_get(&L->actions, name);
}

static uint16_t proc_index(const Lower *L, const char *name) {
  return (uint16_t)name_index_get(&L->procs, name);
}

static uint16_t state_index(const Lower *L, const char *name) {
  for (uint32_t i = 0; i < L->p->nstates; i++)
    if (strcmp(L->p->states[i].name, name) == 0) return (uint16_t)i;
  return 0;
}

/* A checked name's kind: its slot map, which is also its IrSlotKind (the one
 * map of kinds: IR_SLOT_PARAM .. IR_SLOT_LOOPVAR are 0 .. 3), or -1 when it
 * has no slot. */
static int map_kind(SymKind k) {
  switch (k) {
  case SYM_PARAM: return IR_SLOT_PARAM;
  case SYM_VAR: return IR_SLOT_VAR;
  case SYM_RESULT: return IR_SLOT_RESULT;
  case SYM_LOOPVAR: return IR_SLOT_LOOPVAR;
  default: return -1;
  }
}

/* The slot of a param / var / result / loop variable, or -1. */
static int32_t slot_of(const Lower *L, const Symbol *sym) {
  int k = sym ? map_kind(sym->kind) : -1;
  if (k < 0 || !L->map || sym->slot >= L->map->len[k]) return -1;
  return L->map->map[k][sym->slot];
}

/* ---- expressions ----------------------------------------------------------------- */

static IrExpr *lower_expr(Lower *L, const Expr *e);

static IrExpr **lower_exprs(Lower *L, Expr **v, uint32_t n) {
  IrExpr **out = ir_exprs(L->ir, n);
  for (uint32_t i = 0; i < n; i++) out[i] = lower_expr(L, v[i]);
  return out;
}

static IrWho lower_who(Lower *L, Expr **who, uint32_t n) {
  return (IrWho){lower_exprs(L, who, n), n};
}

/* A string literal: its text when it has no interpolation, else the parts. */
static IrExpr *lower_string(Lower *L, const Expr *e) {
  uint32_t n = e->u.str.n;
  bool interpolated = false;
  for (uint32_t i = 0; i < n; i++) interpolated |= e->u.str.parts[i].expr != NULL;
  if (!interpolated) {
    StrBuf b;
    sb_init(&b);
    for (uint32_t i = 0; i < n; i++) sb_putn(&b, e->u.str.parts[i].text, e->u.str.parts[i].len);
    IrExpr *x = ir_expr_string(L->ir, b.data ? b.data : "", (uint32_t)b.len);
    sb_free(&b);
    return x;
  }
  IrExpr **parts = ir_exprs(L->ir, n);
  for (uint32_t i = 0; i < n; i++) {
    const StrPart *part = &e->u.str.parts[i];
    parts[i] = part->expr ? lower_expr(L, part->expr)
                          : ir_expr_string(L->ir, part->text, part->len);
  }
  return ir_expr_text(L->ir, parts, n);
}

/* A name: a document field, a constant (its value, taken as the constant's
 * type), or a slot. */
static IrExpr *lower_name(Lower *L, const Expr *e) {
  const Symbol *sym = e->u.name.sym;
  if (!sym) return NULL;
  if (sym->kind == SYM_FIELD) return ir_expr_field(L->ir, e->type, (uint16_t)sym->slot);
  if (sym->kind == SYM_CONST)
    return sym->const_value ? ir_expr_as(L->ir, sym->type, lower_expr(L, sym->const_value)) : NULL;
  int32_t slot = slot_of(L, sym);
  if (slot < 0) return NULL;
  IrExpr *x = ir_expr_slot(L->ir, L->p, (uint16_t)slot);
  x->type = e->type;
  return x;
}

/* e.code / e.message of a caught error: the slots of its try. */
static IrExpr *lower_caught(Lower *L, const Expr *e) {
  const Symbol *sym = e->u.field.obj->u.name.sym;
  for (uint32_t i = L->nerr; i-- > 0;)
    if (L->err_syms[i] == sym) {
      bool message = strcmp(e->u.field.member, "message") == 0;
      return ir_expr_slot(L->ir, L->p, (uint16_t)(L->err_slots[i] + message));
    }
  return NULL; /* the checker made sure it is in scope */
}

static IrBinaryOp binary_op(BinaryOp op) {
  switch (op) {
  case B_ADD: return IR_OP_ADD;
  case B_SUB: return IR_OP_SUB;
  case B_MUL: return IR_OP_MUL;
  case B_DIV: return IR_OP_DIV;
  case B_MOD: return IR_OP_MOD;
  case B_EQ: return IR_OP_EQ;
  case B_NE: return IR_OP_NE;
  case B_LT: return IR_OP_LT;
  case B_LE: return IR_OP_LE;
  case B_GT: return IR_OP_GT;
  case B_GE: return IR_OP_GE;
  case B_AND: return IR_OP_AND;
  case B_OR: return IR_OP_OR;
  case B_IN: return IR_OP_IN;
  }
  return IR_OP_EQ; /* not reached: every operator is listed */
}

static IrExpr *lower_expr(Lower *L, const Expr *e) {
  if (!e) return NULL;
  IrExpr *x = NULL;
  switch (e->kind) {
  case E_INT: x = ir_expr_int(L->ir, e->u.ival); break;
  case E_DECIMAL: x = ir_expr_decimal(L->ir, e->u.dec.unscaled, e->len8); break;
  case E_BOOL: x = ir_expr_bool(L->ir, e->u.bval); break;
  case E_DURATION: x = ir_expr_duration(L->ir, e->u.dur.seconds); break;
  case E_STRING: x = lower_string(L, e); break;
  case E_LIST:
    x = ir_expr_list(L->ir, e->type, lower_exprs(L, e->u.list.items, e->u.list.n), e->u.list.n);
    break;
  case E_NAME: return lower_name(L, e);
  case E_FIELD:
    if (e->u.field.obj->kind == E_NAME && e->u.field.obj->u.name.sym &&
        e->u.field.obj->u.name.sym->kind == SYM_ERROR)
      return lower_caught(L, e);
    return ir_expr_member(L->ir, lower_expr(L, e->u.field.obj), e->u.field.member);
  case E_CALL:
    x = ir_expr_call(L->ir, e->type, e->u.call.fn, lower_exprs(L, e->u.call.args, e->nargs),
                     e->nargs);
    break;
  case E_UNARY:
    x = ir_expr_unary(L->ir, e->type, e->u.unary.op == U_NEG ? IR_OP_NEG : IR_OP_NOT,
                      lower_expr(L, e->u.unary.operand));
    break;
  case E_BINARY:
    x = ir_expr_binary(L->ir, e->type, binary_op(e->op), lower_expr(L, e->u.binary.lhs),
                       lower_expr(L, e->u.binary.rhs));
    break;
  case E_COND:
    x = ir_expr_cond(L->ir, lower_expr(L, e->u.cond.cond), lower_expr(L, e->u.cond.arms->then),
                     lower_expr(L, e->u.cond.arms->otherwise));
    break;
  default: return NULL; /* E_ERROR: a checked program has none */
  }
  x->type = e->type;
  return x;
}

/* An expression whose position code generation records (a condition, a
 * default, a trigger's `when`): the position goes where the IR keeps it. */
static IrExpr *lower_expr_at(Lower *L, const Expr *e, uint32_t *line, uint32_t *col) {
  IrExpr *x = lower_expr(L, e);
  if (x) position(L, e->span, line, col);
  return x;
}

/* ---- statements ---------------------------------------------------------------- */

static Tails lower_block(Lower *L, const Block *b, Tails in);

static Tails lower_assign(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_ASSIGN, s->span);
  const Symbol *sym = s->u.assign.sym;
  n->u.assign.to_slot = sym->kind != SYM_FIELD;
  n->u.assign.index = (uint16_t)(sym->kind == SYM_FIELD ? sym->slot : (uint32_t)slot_of(L, sym));
  n->u.assign.type = sym->type;
  n->u.assign.value = lower_expr(L, s->u.assign.value);
  n->title = source_text(L, s->span);
  n->detail = "assign";
  return then(L, in, n);
}

static const char *const human_words[] = {"task", "approve", "review", "request"};
static const IrNodeKind human_nodes[] = {IR_TASK, IR_APPROVE, IR_REVIEW, IR_REQUEST};

static IrMode resolved_mode(const HumanStep *h) {
  switch (h->mode) {
  case MODE_ANY: return IR_MODE_ANY;
  case MODE_ALL: return IR_MODE_ALL;
  case MODE_MAJORITY: return IR_MODE_MAJORITY;
  case MODE_VOTE: return IR_MODE_VOTE;
  case MODE_BITRIX: return IR_MODE_BITRIX;
  case MODE_DEFAULT: break;
  }
  return h->kind == H_REVIEW ? IR_MODE_ALL : IR_MODE_ANY;
}

/* "approve · voters · vote 60% · wait all · due 3d" */
static const char *human_detail(Lower *L, const HumanStep *h) {
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, human_words[h->kind]);
  sb_puts(&b, " · ");
  put_who(&b, L, h->who, h->nwho);
  if (h->mode == MODE_VOTE || h->mode == MODE_BITRIX) {
    sb_puts(&b, h->mode == MODE_VOTE ? " · vote " : " · Bitrix vote above ");
    put_source(&b, L, h->vote_percent->span);
    sb_putc(&b, '%');
  } else if (h->mode == MODE_ALL) sb_puts(&b, " · all");
  else if (h->mode == MODE_MAJORITY) sb_puts(&b, " · majority");
  else if (h->mode == MODE_ANY) sb_puts(&b, " · any");
  if (h->wait_all) sb_puts(&b, " · wait all");
  if (h->due) {
    sb_puts(&b, " · due ");
    put_source(&b, L, h->due->span);
  }
  const char *s = arena_strdup(&L->ir->arena, b.data);
  sb_free(&b);
  return s;
}

/* A handler (remind / on timeout): a sub-graph entered by a TIMER edge from
 * the step, ending in HANDLER_END. Returns its entry node. */
static IrNode *lower_handler(Lower *L, IrNode *step, const Block *body, const char *label,
                             Span at) {
  IrNode *entry = NULL;
  Tails in = {0};
  tails_add(L, &in, (Tail){step, IR_E_TIMER, 0, NULL, 0, 0, label, &entry});
  Loop *outer = L->loop;
  L->loop = NULL;
  Tails out = lower_block(L, body, in);
  L->loop = outer;
  if (out.n) {
    IrNode *end = new_node(L, IR_HANDLER_END, at);
    end->title = "end of handler";
    end->detail = "handler end";
    connect(L, out, end);
  }
  return entry;
}

static void lower_request_fields(Lower *L, const HumanStep *h, IrHuman *ih) {
  ih->nfields = h->nfields;
  ih->fields = arena_alloc(&L->ir->arena, (h->nfields + 1) * sizeof *ih->fields);
  for (uint32_t i = 0; i < h->nfields; i++) {
    const RequestField *f = &h->fields[i];
    IrReqField *g = &ih->fields[i];
    g->name = ir_str(L->ir, f->name.s);
    g->label = plain_text(L, f->label);
    g->type = f->sym ? f->sym->type : f->type.type;
    g->to_slot = f->sym && f->sym->kind != SYM_FIELD;
    g->index = (uint16_t)(!f->sym ? 0 : g->to_slot ? (uint32_t)slot_of(L, f->sym) : f->sym->slot);
  }
}

/* `after` handlers: like the others, a sub-graph entered by a TIMER edge, labelled with
 * the clause as written. */
static void lower_afters(Lower *L, const HumanStep *h, IrNode *n) {
  IrHuman *ih = n->u.human;
  ih->nafters = h->nafters;
  ih->after_delay = ir_exprs(L->ir, h->nafters);
  ih->after_every = ir_exprs(L->ir, h->nafters);
  ih->after_times = ir_exprs(L->ir, h->nafters);
  ih->after_entry = arena_alloc(&L->ir->arena, (h->nafters + 1) * sizeof(IrNode *));
  for (uint32_t i = 0; i < h->nafters; i++) {
    const After *a = &h->afters[i];
    ih->after_delay[i] = lower_expr(L, a->delay);
    ih->after_every[i] = a->every ? lower_expr(L, a->every) : NULL;
    ih->after_times[i] = a->times ? lower_expr(L, a->times) : NULL;
    const char *label = source_framed(L, "", a->span, "");
    ih->after_entry[i] = lower_handler(L, n, a->body, label, a->span);
  }
}

/* `on message NAME { }` handlers: the step runs in a race (IR_RACE, IR_RACE_JOIN) beside
 * one listener per handler, which waits for the message (IR_RECEIVE) and starts the
 * block as a token of its own (IR_SPAWN, whose TIMER edge enters the block), then waits
 * again. The step closing reaches the join first, which withdraws the listeners; blocks
 * already started go on. The same shape as BPMN's non-interrupting boundary events
 * (docs/ir.md). *out: the join's tail. */
static void lower_on_messages(Lower *L, const Stmt *s, Tails in, IrNode *step, Tails *out) {
  const HumanStep *h = s->u.human;
  IrNode *race = new_node(L, IR_RACE, s->span);
  race->title = "on message";
  race->detail = "the step beside its message handlers";
  connect(L, in, race);
  for (uint32_t i = 0; i < h->nonmsgs; i++) {
    const OnMessage *m = &h->onmsgs[i];
    IrNode *r = new_node(L, IR_RECEIVE, m->span);
    r->u.receive.name = m->quoted ? plain_text(L, m->quoted) : ir_str(L->ir, m->name.s);
    r->u.receive.fields = arena_alloc(&L->ir->arena, sizeof *r->u.receive.fields);
    r->title = cat3(L, "on message ", r->u.receive.name, "");
    r->detail = cat3(L, "message ", r->u.receive.name, "");
    IrNode *sp = new_node(L, IR_SPAWN, m->span);
    sp->title = r->title;
    sp->detail = "starts the handler";
    ir_edge(L->ir, L->p, race, r, IR_E_FLOW, NULL)->arm = i + 1;
    ir_edge(L->ir, L->p, r, sp, IR_E_FLOW, NULL);
    ir_edge(L->ir, L->p, sp, r, IR_E_FLOW, NULL);
    lower_handler(L, sp, m->body, source_text(L, m->span), m->span);
  }
  IrNode *join = new_node(L, IR_RACE_JOIN, s->span);
  join->title = "end of on message";
  join->detail = "the step is done: its handlers stop listening";
  ir_edge(L->ir, L->p, race, step, IR_E_FLOW, NULL)->arm = 0;
  ir_edge(L->ir, L->p, step, join, IR_E_FLOW, NULL);
  *out = tail_of(L, join, IR_E_FLOW, NULL);
}

static Tails lower_human(Lower *L, Stmt *s, Tails in) {
  HumanStep *h = s->u.human;
  IrNode *n = new_node(L, human_nodes[h->kind], s->span);
  IrHuman *ih = n->u.human;
  ih->mode = resolved_mode(h);
  ih->who = lower_who(L, h->who, h->nwho);
  ih->title = lower_expr(L, h->title);
  ih->vote = h->mode == MODE_VOTE || h->mode == MODE_BITRIX ? lower_expr(L, h->vote_percent) : NULL;
  ih->wait_all = h->wait_all;
  ih->due = lower_expr(L, h->due);
  ih->result = h->result_sym ? slot_of(L, h->result_sym) : -1;
  lower_request_fields(L, h, ih);
  n->title = string_text(L, h->title);
  n->detail = human_detail(L, h);
  Tails out = {0};
  if (h->nonmsgs) lower_on_messages(L, s, in, n, &out);
  else connect(L, in, n);
  ih->nreminds = h->nreminds;
  ih->remind_before = ir_exprs(L->ir, h->nreminds);
  ih->remind_entry = arena_alloc(&L->ir->arena, (h->nreminds + 1) * sizeof(IrNode *));
  for (uint32_t i = 0; i < h->nreminds; i++) {
    const Remind *r = &h->reminds[i];
    ih->remind_before[i] = lower_expr(L, r->before);
    const char *label = source_framed(L, "remind ", r->before->span, " before");
    ih->remind_entry[i] = lower_handler(L, n, r->body, label, r->span);
  }
  if (h->on_timeout)
    ih->timeout_entry = lower_handler(L, n, h->on_timeout, "on timeout", h->on_timeout_span);
  ih->timeout_times = lower_expr(L, h->timeout_times);
  lower_afters(L, h, n);
  return h->nonmsgs ? out : tail_of(L, n, IR_E_FLOW, NULL);
}

static Tails lower_if(Lower *L, Stmt *s, Tails in) {
  IrNode *c = new_node(L, IR_CHOICE, s->span);
  c->title = source_framed(L, "if ", s->u.if_.conds[0]->span, "");
  c->detail = s->u.if_.n > 1 ? "if · else if" : "if";
  connect(L, in, c);
  Tails out = {0};
  for (uint32_t i = 0; i < s->u.if_.n; i++) {
    Expr *cond = s->u.if_.conds[i];
    Tails arm = {0};
    Tail t = {c, IR_E_COND, i, NULL, 0, 0, NULL, NULL};
    t.cond = lower_expr_at(L, cond, &t.line, &t.col);
    t.label = source_text(L, cond->span);
    tails_add(L, &arm, t);
    tails_append(L, &out, lower_block(L, s->u.if_.blocks[i], arm));
  }
  Tails otherwise = {0};
  tails_add(L, &otherwise, (Tail){c, IR_E_ELSE, s->u.if_.n, NULL, 0, 0, "else", NULL});
  if (s->u.if_.otherwise) otherwise = lower_block(L, s->u.if_.otherwise, otherwise);
  tails_append(L, &out, otherwise);
  return merge(L, out, s->span, "end if", false);
}

/* Runs body as a loop with this head; returns the loop's exits (breaks and
 * `exits` given), merged. */
static Tails lower_loop_body(Lower *L, Stmt *s, const Block *body, IrNode *head, Tails entry,
                             Tails exits) {
  Loop loop = {head, {0}, L->loop};
  L->loop = &loop;
  Tails out = lower_block(L, body, entry);
  L->loop = loop.outer;
  connect(L, out, head);
  tails_append(L, &exits, loop.breaks);
  return merge(L, exits, s->span, "end loop", loop.breaks.n > 0);
}

static IrNode *loop_head(Lower *L, Stmt *s, Tails in, const char *title) {
  IrNode *head = new_node(L, IR_MERGE, s->span);
  head->title = title;
  head->detail = "loop";
  connect(L, in, head);
  return head;
}

static Tails lower_while(Lower *L, Stmt *s, Tails in) {
  IrNode *head = loop_head(L, s, in, "while");
  IrNode *c = new_node(L, IR_CHOICE, s->span);
  Expr *cond = s->u.while_.cond;
  c->title = source_framed(L, "while ", cond->span, "");
  c->detail = "while";
  ir_edge(L->ir, L->p, head, c, IR_E_FLOW, NULL);
  Tails body = {0}, done = {0};
  Tail t = {c, IR_E_COND, 0, NULL, 0, 0, NULL, NULL};
  t.cond = lower_expr_at(L, cond, &t.line, &t.col);
  t.label = source_text(L, cond->span);
  tails_add(L, &body, t);
  tails_add(L, &done, (Tail){c, IR_E_ELSE, 1, NULL, 0, 0, "else", NULL});
  return lower_loop_body(L, s, s->u.while_.body, head, body, done);
}

static Tails lower_forever(Lower *L, Stmt *s, Tails in) {
  IrNode *head = loop_head(L, s, in, "loop");
  return lower_loop_body(L, s, s->u.loop.body, head, tail_of(L, head, IR_E_FLOW, NULL),
                         (Tails){0});
}

/* for x in LIST: ITER_START keeps the list in a hidden slot and the position
 * in the next one; ITER_NEXT is the loop's head. */
static Tails lower_for(Lower *L, Stmt *s, Tails in) {
  const char *var = s->u.for_.var.s;
  const Type *list_type = s->u.for_.list->type;
  if (!list_type || list_type->kind != T_LIST || list_type == &type_list_empty)
    list_type = &type_list_string;
  uint16_t slot = ir_slot(L->ir, L->p, cat3(L, "for_", var, ""), list_type,
                          IR_SLOT_HIDDEN);
  ir_slot(L->ir, L->p, cat3(L, "for_", var, "_pos"), &type_int,
          IR_SLOT_HIDDEN);
  IrNode *start = new_node(L, IR_ITER_START, s->span);
  start->u.iter_start.slot = slot;
  start->u.iter_start.list = lower_expr(L, s->u.for_.list);
  start->title =
      source_framed(L, cat3(L, "for ", var, " in "), s->u.for_.list->span, "");
  start->detail = "for";
  connect(L, in, start);
  IrNode *next = new_node(L, IR_ITER_NEXT, s->span);
  next->u.iter_next.slot = slot;
  next->u.iter_next.var = (uint16_t)slot_of(L, s->u.for_.sym);
  next->title = cat3(L, "next ", var, "");
  next->detail = "for each";
  ir_edge(L->ir, L->p, start, next, IR_E_FLOW, NULL);
  Tails body = {0}, done = {0};
  tails_add(L, &body, (Tail){next, IR_E_FLOW, 0, NULL, 0, 0, cat3(L, "each ", var, ""), NULL});
  tails_add(L, &done, (Tail){next, IR_E_ELSE, 1, NULL, 0, 0, "done", NULL});
  return lower_loop_body(L, s, s->u.for_.body, next, body, done);
}

static Tails lower_parallel(Lower *L, Stmt *s, Tails in) {
  bool any = s->u.parallel.any;
  uint32_t nb = s->u.parallel.n;
  IrNode *fork = new_node(L, any ? IR_RACE : IR_FORK, s->span);
  fork->title = any ? "parallel any" : "parallel";
  char num[12];
  fork->detail = cat3(L, any ? "first wins · " : "all · ", decimal(num, nb), " branches");
  connect(L, in, fork);
  IrNode *outer_cluster = L->cluster;
  Loop *outer_loop = L->loop;
  Tails out = {0};
  for (uint32_t i = 0; i < nb; i++) {
    const Block *b = s->u.parallel.branches[i];
    IrNode *branch = new_node(L, IR_BRANCH, b->span);
    branch->u.branch.number = i + 1;
    branch->title = cat3(L, "branch ", decimal(num, i + 1), "");
    branch->detail = "branch";
    L->cluster = branch;
    L->loop = NULL;
    Tails arm = {0};
    tails_add(L, &arm, (Tail){fork, IR_E_FLOW, i, NULL, 0, 0, branch->title, NULL});
    tails_append(L, &out, lower_block(L, b, arm));
    L->cluster = outer_cluster;
    L->loop = outer_loop;
  }
  if (out.n == 0) return out;
  IrNode *join = new_node(L, any ? IR_RACE_JOIN : IR_JOIN, s->span);
  join->title = any ? "first branch done" : "all branches done";
  join->detail = any ? "race join" : "join";
  return then(L, out, join);
}

static Tails lower_wait(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, s->u.wait.until ? IR_WAIT_UNTIL : IR_WAIT, s->span);
  n->u.wait.value = lower_expr(L, s->u.wait.value);
  n->title = source_text(L, s->span);
  n->detail = "timer";
  return then(L, in, n);
}

/* wait message NAME { fields }: an IR_RECEIVE whose fields store like a request's. */
static Tails lower_receive(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_RECEIVE, s->span);
  const char *name = s->u.receive.quoted ? plain_text(L, s->u.receive.quoted) : ir_str(L->ir, s->u.receive.name.s);
  n->u.receive.name = name;
  uint32_t k = s->u.receive.nfields;
  n->u.receive.nfields = k;
  n->u.receive.fields = arena_alloc(&L->ir->arena, (k + 1) * sizeof *n->u.receive.fields);
  for (uint32_t i = 0; i < k; i++) {
    const RequestField *f = &s->u.receive.fields[i];
    IrReqField *g = &n->u.receive.fields[i];
    g->name = ir_str(L->ir, f->name.s);
    g->label = "";
    g->type = f->sym ? f->sym->type : f->type.type;
    g->to_slot = f->sym && f->sym->kind != SYM_FIELD;
    g->index = (uint16_t)(!f->sym ? 0 : g->to_slot ? (uint32_t)slot_of(L, f->sym) : f->sym->slot);
  }
  n->title = cat3(L, "message ", name, "");
  n->detail = "message";
  return then(L, in, n);
}

static Tails lower_terminate(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_TERMINATE, s->span);
  n->u.terminate.reason = lower_expr(L, s->u.terminate.reason);
  n->title = s->u.terminate.reason ? string_text(L, s->u.terminate.reason) : "terminate";
  n->detail = "terminate";
  connect(L, in, n);
  return (Tails){0};
}

/* try { body } catch ... { }: TRY, the body, TRY_END; a CATCH edge per clause, in
 * order, to a meeting point where its block begins; all that goes on meets after. */
static Tails lower_try(Lower *L, Stmt *s, Tails in) {
  IrNode *t = new_node(L, IR_TRY, s->span);
  t->title = "try";
  char num[12];
  t->detail = cat3(L, "try · ", decimal(num, s->u.try_.n), s->u.try_.n == 1 ? " catch" : " catches");
  t->u.try_.slot = ir_slot(L->ir, L->p, cat3(L, "try_", decimal(num, t->index), "_code"), &type_string,
                           IR_SLOT_HIDDEN);
  ir_slot(L->ir, L->p, cat3(L, "try_", decimal(num, t->index), "_message"), &type_string, IR_SLOT_HIDDEN);
  connect(L, in, t);
  Loop *outer_loop = L->loop;
  L->loop = NULL; /* break and continue do not leave a try block (the checker says so) */
  Tails body = lower_block(L, s->u.try_.body, tail_of(L, t, IR_E_FLOW, NULL));
  L->loop = outer_loop;
  Tails out = {0};
  if (body.n) {
    IrNode *end = new_node(L, IR_TRY_END, s->span);
    end->title = "end try";
    end->detail = "try end";
    out = then(L, body, end);
  }
  for (uint32_t i = 0; i < s->u.try_.n; i++) {
    const Catch *c = s->u.try_.catches[i];
    const char **codes = arena_alloc(&L->ir->arena, (c->ncodes + 1) * sizeof *codes);
    for (uint32_t k = 0; k < c->ncodes; k++) codes[k] = plain_text(L, c->codes[k]);
    IrNode *m = new_node(L, IR_MERGE, c->span);
    m->title = c->ncodes ? source_framed(L, "catch ", c->codes[0]->span, "") : "catch";
    m->detail = "catch";
    ir_edge_catch(L->ir, L->p, t, m, i, codes, c->ncodes, m->title);
    uint32_t mark = L->nerr;
    if (c->sym) {
      if (L->nerr == L->err_cap) {
        L->err_cap = L->err_cap ? L->err_cap * 2 : 8;
        L->err_syms = xrealloc(L->err_syms, L->err_cap * sizeof *L->err_syms);
        L->err_slots = xrealloc(L->err_slots, L->err_cap * sizeof *L->err_slots);
      }
      L->err_syms[L->nerr] = c->sym;
      L->err_slots[L->nerr++] = t->u.try_.slot;
    }
    tails_append(L, &out, lower_block(L, c->body, tail_of(L, m, IR_E_FLOW, NULL)));
    L->nerr = mark;
  }
  return merge(L, out, s->span, "end try", false);
}

static Tails lower_throw(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_THROW, s->span);
  n->u.throw_.code = lower_expr(L, s->u.throw_.code);
  n->u.throw_.message = s->u.throw_.message ? lower_expr(L, s->u.throw_.message) : NULL;
  n->title = source_text(L, s->span);
  n->detail = "throw";
  connect(L, in, n);
  return (Tails){0};
}

static Tails lower_notify(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_NOTIFY, s->span);
  n->u.notify.who = lower_who(L, s->u.notify.who, s->u.notify.nwho);
  n->u.notify.message = lower_expr(L, s->u.notify.message);
  n->title = string_text(L, s->u.notify.message);
  n->detail = who_text(L, "notify · ", "", s->u.notify.who, s->u.notify.nwho);
  return then(L, in, n);
}

static Tails lower_log(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_LOG, s->span);
  n->u.log.text = lower_expr(L, s->u.log.text);
  n->title = string_text(L, s->u.log.text);
  n->detail = "log";
  return then(L, in, n);
}

static Tails lower_call(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_ACTION, s->span);
  n->u.action.action = action_index(L, s->u.call.action.s);
  n->u.action.args = lower_exprs(L, s->u.call.args, s->u.call.n);
  n->u.action.n = s->u.call.n;
  const CallResult *r = s->u.call.result;
  n->u.action.result = r && r->sym ? slot_of(L, r->sym) : -1;
  n->title = source_text(L, s->span);
  n->detail = r ? cat3(L, "action · -> ", r->name.s, "")
                  : "action";
  return then(L, in, n);
}

static Tails lower_start(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_START_PROCESS, s->span);
  uint16_t target = proc_index(L, s->u.start.process.s);
  const IrProc *tp = &L->ir->procs[target];
  n->u.start.proc = target;
  n->u.start.n = s->u.start.n;
  n->u.start.args = arena_alloc(&L->ir->arena, (s->u.start.n + 1) * sizeof *n->u.start.args);
  for (uint32_t i = 0; i < s->u.start.n; i++) {
    const NamedArg *a = &s->u.start.args[i];
    IrStartArg *g = &n->u.start.args[i];
    g->value = lower_expr(L, a->value);
    for (uint32_t j = 0; j < tp->params.n; j++) {
      const IrParam *prm = tp->params.items[j];
      if (strcmp(prm->name, a->name.s) == 0) {
        g->param = (uint16_t)j;
        g->type = prm->type;
      }
    }
    if (!g->type) g->type = a->value->type;
  }
  n->title = source_text(L, s->span);
  n->detail = cat3(L, "start process · ", s->u.start.process.s, "");
  return then(L, in, n);
}

static Tails lower_goto(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_GOTO, s->span);
  uint16_t q = state_index(L, s->u.goto_.state.s);
  n->u.state.state = q;
  n->title = cat3(L, "goto ", s->u.goto_.state.s, "");
  n->detail = "goto";
  connect(L, in, n);
  if (q < L->p->nstates) ir_edge(L->ir, L->p, n, L->p->states[q].node, IR_E_GOTO, NULL);
  return (Tails){0};
}

static Tails lower_reassign(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_REASSIGN, s->span);
  n->u.reassign.who = lower_who(L, s->u.reassign.who, s->u.reassign.nwho);
  n->u.reassign.due = lower_expr(L, s->u.reassign.due);
  n->title = source_text(L, s->span);
  n->detail = "reassign";
  return then(L, in, n);
}

static Tails lower_add(Lower *L, Stmt *s, Tails in) {
  IrNode *n = new_node(L, IR_ADD, s->span);
  n->u.add.who = lower_who(L, s->u.add.who, s->u.add.nwho);
  n->title = source_text(L, s->span);
  n->detail = "add people";
  return then(L, in, n);
}

static Tails lower_stmt(Lower *L, Stmt *s, Tails in) {
  switch (s->kind) {
  case S_ASSIGN: return lower_assign(L, s, in);
  case S_HUMAN: return lower_human(L, s, in);
  case S_IF: return lower_if(L, s, in);
  case S_WHILE: return lower_while(L, s, in);
  case S_LOOP: return lower_forever(L, s, in);
  case S_FOR: return lower_for(L, s, in);
  case S_BREAK:
    if (L->loop) tails_append(L, &L->loop->breaks, in);
    return (Tails){0};
  case S_CONTINUE:
    if (L->loop) connect(L, in, L->loop->head);
    return (Tails){0};
  case S_PARALLEL: return lower_parallel(L, s, in);
  case S_WAIT: return lower_wait(L, s, in);
  case S_RECEIVE: return lower_receive(L, s, in);
  case S_TERMINATE: return lower_terminate(L, s, in);
  case S_NOTIFY: return lower_notify(L, s, in);
  case S_LOG: return lower_log(L, s, in);
  case S_CALL: return lower_call(L, s, in);
  case S_START: return lower_start(L, s, in);
  case S_GOTO: return lower_goto(L, s, in);
  case S_REASSIGN: return lower_reassign(L, s, in);
  case S_ADD: return lower_add(L, s, in);
  case S_TRY: return lower_try(L, s, in);
  case S_THROW: return lower_throw(L, s, in);
  default: return in; /* S_ERROR: a checked program has none */
  }
}

/* Statements after the flow ended are unreachable (the checker reports
 * them), so they are not lowered. */
static Tails lower_block(Lower *L, const Block *b, Tails in) {
  if (!b) return in;
  for (uint32_t i = 0; i < b->n && in.n; i++) in = lower_stmt(L, b->stmts[i], in);
  return in;
}

/* ---- states -------------------------------------------------------------------- */

/* An enter block or command body: entered by `in`, ending in IDLE. */
static void lower_state_block(Lower *L, const Block *b, Tails in, Span at) {
  Tails out = lower_block(L, b, in);
  if (!out.n) return;
  IrNode *idle = new_node(L, IR_IDLE, at);
  idle->title = "rest in state";
  idle->detail = "idle";
  connect(L, out, idle);
}

static const char *command_label(Lower *L, const Command *c) {
  if (!c->nby) return ir_str(L->ir, c->name.s);
  return who_text(L, c->name.s, " · by ", c->by, c->nby);
}

static void lower_commands(Lower *L, const State *s, IrState *st) {
  st->ncommands = s->ncommands;
  st->commands = arena_alloc(&L->ir->arena, (s->ncommands + 1) * sizeof *st->commands);
  for (uint32_t j = 0; j < s->ncommands; j++) {
    const Command *c = &s->commands[j];
    IrCommand *ic = &st->commands[j];
    ic->name = ir_str(L->ir, c->name.s);
    ic->label = c->label ? plain_text(L, c->label) : ic->name;
    ic->by = lower_who(L, c->by, c->nby);
    position(L, c->span, &ic->line, &ic->col);
    const char *label = command_label(L, c);
    if (c->target.s) {
      ic->target = state_index(L, c->target.s);
      ir_edge(L->ir, L->p, st->node, L->p->states[ic->target].node, IR_E_COMMAND, label);
      continue;
    }
    ic->target = -1;
    Tails in = {0};
    tails_add(L, &in, (Tail){st->node, IR_E_COMMAND, j, NULL, 0, 0, label, &ic->body});
    lower_state_block(L, c->body, in, c->span);
  }
}

static void lower_states(Lower *L, const States *states) {
  IrProc *p = L->p;
  p->nstates = states->n;
  p->states = arena_alloc(&L->ir->arena, (states->n + 1) * sizeof *p->states);
  for (uint32_t i = 0; i < states->n; i++) {
    const State *s = &states->states[i];
    IrState *st = &p->states[i];
    st->name = ir_str(L->ir, s->name.s);
    st->label = s->label ? plain_text(L, s->label) : st->name;
    st->final = s->final;
    st->node = new_node(L, IR_STATE, s->span);
    st->node->u.state.state = (uint16_t)i;
    st->node->title = st->label;
    st->node->detail = cat3(L, s->final ? "final state · " : "state · ", st->name, "");
  }
  ir_edge(L->ir, p, p->start, p->states[0].node, IR_E_FLOW, NULL);
  for (uint32_t i = 0; i < states->n; i++) {
    const State *s = &states->states[i];
    IrState *st = &p->states[i];
    L->cluster = st->node;
    Tails in = {0};
    tails_add(L, &in, (Tail){st->node, IR_E_FLOW, 0, NULL, 0, 0, "enter", &st->enter});
    lower_state_block(L, s->enter, in, s->span);
    lower_commands(L, s, st);
    L->cluster = NULL;
  }
}

/* ---- processes ------------------------------------------------------------------- */

static int32_t doc_index(const Lower *L, const Document *d) {
  if (!d) return -1;
  for (uint32_t i = 0; i < L->ir->ndocs; i++)
    if (strcmp(L->ir->docs[i].name, d->name.s) == 0) return (int32_t)i;
  return -1;
}


/* Slots for every param, var, step result and loop variable, in declaration
 * order; parameters and variable initializers. */
static void lower_declarations(Lower *L, const ProcInfo *info) {
  IrProc *p = L->p;
  SlotMap *m = L->map;
  for (uint32_t i = 0; i < info->nsymbols; i++) {
    const Symbol *sym = info->symbols[i];
    int k = map_kind(sym->kind);
    if (k >= 0 && sym->slot >= m->len[k]) m->len[k] = sym->slot + 1;
  }
  for (int k = 0; k < 4; k++) {
    m->map[k] = arena_alloc(&L->ir->arena, (m->len[k] + 1) * sizeof(int32_t));
    for (uint32_t j = 0; j < m->len[k]; j++) m->map[k][j] = -1;
  }
  for (uint32_t i = 0; i < info->nsymbols; i++) {
    const Symbol *sym = info->symbols[i];
    int k = map_kind(sym->kind);
    if (k >= 0) /* ir_slot copies the name: a copy of it here was one more in the arena */
      m->map[k][sym->slot] = ir_slot(L->ir, p, sym->name, sym->type, (IrSlotKind)k);
  }
  for (uint32_t i = 0; i < info->nsymbols; i++) { /* every slot known: the values */
    const Symbol *sym = info->symbols[i];
    int k = map_kind(sym->kind);
    if (k < 0) continue;
    uint16_t slot = (uint16_t)m->map[k][sym->slot];
    if (sym->kind == SYM_PARAM) {
      const Decl *d = sym->decl;
      IrParam *prm = arena_alloc(&L->ir->arena, sizeof *prm);
      prm->slot = slot;
      prm->name = ir_slot_at(p, slot)->name;
      prm->label = d && d->label ? plain_text(L, d->label) : "";
      prm->type = sym->type;
      prm->def = d ? lower_expr_at(L, d->init, &prm->line, &prm->col) : NULL;
      prm->required = !prm->def;
      ptrvec_push(&L->ir->arena, &p->params, prm);
    } else if (sym->kind == SYM_VAR) {
      const Decl *d = sym->decl;
      IrInit *init = arena_alloc(&L->ir->arena, sizeof *init);
      init->slot = slot;
      init->type = sym->type;
      init->value = d ? lower_expr(L, d->init) : NULL;
      position(L, d ? d->span : sym->decl_span, &init->line, &init->col);
      ptrvec_push(&L->ir->arena, &p->inits, init);
    }
  }
}

static void lower_trigger(Lower *L, const Trigger *t, const Document *doc) {
  IrTrigger *g = &L->p->trigger;
  g->kind = t->kind == TRIG_CREATE ? IR_TRIG_CREATE
            : t->kind == TRIG_CHANGE ? IR_TRIG_CHANGE : IR_TRIG_MANUAL;
  g->when = lower_expr_at(L, t->when, &g->line, &g->col);
  g->nfields = t->nfields;
  g->fields = arena_alloc(&L->ir->arena, (t->nfields + 1) * sizeof *g->fields);
  for (uint32_t i = 0; i < t->nfields && doc; i++)
    for (uint32_t j = 0; j < doc->nfields; j++)
      if (doc->fields[j].name.s && strcmp(doc->fields[j].name.s, t->fields[i].s) == 0)
        g->fields[i] = (uint16_t)j;
}

static const char *start_detail(Lower *L, const Process *proc) {
  for (uint32_t i = 0; i < proc->nmembers; i++) {
    if (proc->members[i].kind != M_TRIGGER) continue;
    return source_framed(L, "start · ", proc->members[i].u.trigger->span, "");
  }
  return "start";
}

/* The process's shell: name, document, trigger, slots and parameters. The
 * bodies come after every shell exists (a `start` needs its target's
 * parameters). */
static void lower_shell(Lower *L, const Process *proc, IrProc *p) {
  const ProcInfo *info = proc->info;
  L->p = p;
  L->proc = proc;
  L->map = &L->maps[p - L->ir->procs];
  p->title = proc->title ? plain_text(L, proc->title) : "";
  position(L, proc->span, &p->line, &p->col);
  p->doc = doc_index(L, info->doc);
  p->trigger.kind = IR_TRIG_MANUAL;
  for (uint32_t i = 0; i < proc->nmembers; i++)
    if (proc->members[i].kind == M_TRIGGER) {
      lower_trigger(L, proc->members[i].u.trigger, info->doc);
      break;
    }
  lower_declarations(L, info);
}

static void lower_body(Lower *L, const Process *proc, IrProc *p) {
  process_prefetch(proc);
  L->p = p;
  L->proc = proc;
  L->map = &L->maps[p - L->ir->procs];
  L->cluster = NULL;
  L->loop = NULL;
  new_node(L, IR_START, proc->name.span); /* p->start */
  p->start->title = *p->title ? p->title : p->name;
  p->start->detail = start_detail(L, proc);
  const States *states = NULL;
  Stmt **stmts = scratch_alloc(&L->scratch, proc->nmembers + 1, sizeof *stmts);
  uint32_t nstmts = 0;
  for (uint32_t i = 0; i < proc->nmembers; i++) {
    const Member *m = &proc->members[i];
    if (m->kind == M_STATES && !states) states = m->u.states;
    if (m->kind == M_STMT) stmts[nstmts++] = m->u.stmt;
  }
  if (states && states->n) {
    lower_states(L, states);
  } else {
    Block body = {stmts, nstmts, proc->span};
    Tails out = lower_block(L, &body, tail_of(L, p->start, IR_E_FLOW, NULL));
    if (out.n) {
      IrNode *end = new_node(L, IR_END, span_make(proc->span.off + proc->span.len - 1, 1));
      end->title = "end";
      end->detail = "end";
      connect(L, out, end);
    }
  }
}

/* ---- documents and actions ------------------------------------------------------- */

static void lower_doc(Lower *L, const Document *d, IrDoc *g) {
  g->name = ir_str(L->ir, d->name.s);
  g->nfields = d->nfields;
  g->fields = arena_alloc(&L->ir->arena, (d->nfields + 1) * sizeof *g->fields);
  for (uint32_t i = 0; i < d->nfields; i++) {
    g->fields[i].name = ir_str(L->ir, d->fields[i].name.s);
    g->fields[i].type = d->fields[i].type.type ? d->fields[i].type.type : &type_string;
    g->fields[i].def = lower_expr(L, d->fields[i].init);
  }
}

static void lower_action(Lower *L, const Action *a, IrAction *g) {
  g->name = ir_str(L->ir, a->name.s);
  g->result = a->result.name.s && a->result.type ? a->result.type : &type_void;
  g->nparams = a->nparams;
  g->params = arena_alloc(&L->ir->arena, (a->nparams + 1) * sizeof *g->params);
  for (uint32_t i = 0; i < a->nparams; i++) {
    g->params[i].name = ir_str(L->ir, a->params[i].name.s);
    g->params[i].type = a->params[i].type.type ? a->params[i].type.type : &type_string;
  }
}

/* ---- Bitrix24 names (docs/bitrix.md "Names") ---------------------------------- */

/* Text imported from a Bitrix24 template (`bpc import`) names each step in a comment
 * `# NAME: Title` on the line above it: NAME the activity's Name (its id in the
 * template), Title what the designer shows. The step's first node takes NAME as its
 * id, which the journal names it by, and Title as its diagram title (the step's own
 * text moves to the detail). Other files are left as they are. */
static const char bitrix_mark[] = "# Imported from the Bitrix24 template ";

static bool bitrix_id_free(const IrProc *p, const char *id) {
  for (uint32_t i = 0; i < p->nodes.n; i++)
    if (str_eq(((const IrNode *)p->nodes.items[i])->id, id)) return false;
  return true;
}

static void bitrix_labels(Lower *L, IrProc *p) {
  const Source *src = L->prog->src;
  uint32_t last_line = 0;
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    IrNode *n = p->nodes.items[i];
    if (n->line < 2 || n->line > src->nlines || n->line == last_line) continue;
    const char *s = src->text + src->line_starts[n->line - 2];
    const char *end = src->text + src->line_starts[n->line - 1];
    while (s < end && *s == ' ') s++;
    if (end - s < 4 || s[0] != '#' || s[1] != ' ') continue;
    const char *name = s + 2, *c = name;
    while (c < end && ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_')) c++;
    if (c == name || c + 2 > end || c[0] != ':' || c[1] != ' ') continue;
    const char *title = c + 2, *te = end;
    while (te > title && (te[-1] == '\n' || te[-1] == '\r' || te[-1] == ' ')) te--;
    const char *id = arena_strndup(&L->ir->arena, name, (size_t)(c - name));
    last_line = n->line;
    if (!bitrix_id_free(p, id)) continue;
    n->id = id;
    const char *t = arena_strndup(&L->ir->arena, title, (size_t)(te - title));
    if (*n->title && !str_eq(n->title, t))
      n->detail = *n->detail ? arena_printf(&L->ir->arena, "%s · %s", n->title, n->detail) : n->title;
    n->title = t;
  }
}

/* A process whose body lived in memory that was given back: it keeps its name, title,
 * document, trigger and parameters (a later `start` reads its target's), not its graph. */
static void forget_body(IrProc *p) {
  p->nodes = (PtrVec){0};
  p->edges = (PtrVec){0};
  p->slots = (PtrVec){0}; /* a hidden slot's growth moved the vector into the body's memory */
  p->start = NULL;
  p->id_hashes = NULL;
  p->made_from = p->made_to = NULL;
  p->states = NULL;
  p->nstates = 0;
}

/* Lowers process p's body in L->ir's arena and, with finish, finishes it (what
 * lower_program_each does for each process, on whichever thread lowers; without, ir_finish
 * finishes every process at the end). Returns ir_finish_proc's answer, or true. */
static bool lower_finished(Lower *L, const Process *proc, IrProc *p, bool bitrix, bool finish) {
  lower_body(L, proc, p);
  ir_proc_built(L->ir, p); /* its building memory serves the next one */
  if (bitrix) bitrix_labels(L, p);
  bool ok = !finish || ir_finish_proc(L->ir, p, &L->scratch);
  scratch_reset(&L->scratch);
  return ok;
}

/* ---- lowering beside the code generator --------------------------------------------
 *
 * With two threads, `bpc compile` lowers and finishes the bodies of a large program on
 * both while the calling thread also hands the finished ones to each (the code generator)
 * in program order. The processes are cut into batches (64 in a large program), so the
 * threads meet tens of times, not once per process. Each batch is lowered whole by one
 * thread into an arena of its own, AHEAD_BATCHES of which go round: batch c takes arena
 * c % AHEAD_BATCHES once the batch before in it has been generated and its arena reset.
 * The second thread lowers batch after batch; the calling thread generates the next batch
 * when it is ready, and otherwise lowers the next one not yet taken, so neither waits
 * while there is work (lowering and finishing cost about as much as generating).
 *
 * Each thread lowers through a Lower and an IrProgram of its own (copies of the
 * program's, with their own arena, errors, scratch and position cache; the name
 * indexes and slot maps of the shells are only read): the calling thread reads the
 * program (the code generator reads its documents, actions and error count) while the
 * other builds, and nothing either writes is read by the other before they meet. Of the
 * IrProc array a thread writes only the processes of the batches it lowers, until they
 * are handed over; of others it reads only the parameters, which stay as the shells made
 * them. The first process ir_finish_proc refuses stops the taking of batches: those
 * before it are generated, as without the thread, its batch's arena (the errors are in
 * it) is kept by the program, and the batches lowered past it are dropped. */
enum {
  AHEAD_BATCHES = 4,
  /* Below this much text (about 7,500 lines of bench/gen.sh's) the thread, started and
   * met, costs about what it saves (medians of 40 runs): 1,000 lines took 0.2 ms longer
   * with it (of 2.8), 3,000 0.25 ms longer, 5,000 and 7,000 as long, 10,000 1.1 ms less
   * (of 15). */
  AHEAD_MIN_TEXT = 256 * 1024,
  /* A batch's processes span a 64th of the text (at least 4 KiB of it): the first batch
   * and the last, where one thread has nothing to do beside the other, are short, and 64
   * meetings cost little (fewer batches were no faster; many more were slower, each
   * meeting a wake-up of the other thread). */
  AHEAD_SHARE = 64,
  AHEAD_MIN_BATCH = 4 * 1024,
};

typedef struct Batch {
  uint32_t item, first, n; /* prog->items from item, ir->procs[first .. first + n) */
  bool ready;      /* lowered and finished (those before a refused one) */
  bool refused;    /* ir_finish_proc refused process first + nmade: errors, nerrors say why */
  uint32_t nmade;
  IrError *errors;
  uint32_t nerrors;
} Batch;

typedef struct Ahead {
  const Program *prog;
  bool bitrix;
  Batch *batches;
  uint32_t nbatches;
  pthread_mutex_t lock;
  pthread_cond_t changed;  /* a batch is ready, an arena reset, or no batch is left */
  uint32_t ntaken, ngiven; /* batches taken to be lowered; generated and their arena reset */
  bool stop;               /* a process was refused: no batch is taken after it */
  Arena arenas[AHEAD_BATCHES];
} Ahead;

/* The next batch to lower, taken (under A->lock), or -1 when none may be taken now. */
static int64_t take_batch(Ahead *A) {
  if (A->stop || A->ntaken == A->nbatches || A->ntaken - A->ngiven == AHEAD_BATCHES) return -1;
  return A->ntaken++;
}

/* Lowers batch c through L (one thread's) into its arena (outside A->lock), then says it
 * is ready (under it; returns with A->lock held). */
static void lower_batch(Ahead *A, Lower *L, uint32_t c) {
  Batch *bt = &A->batches[c];
  IrProgram *own = L->ir;
  own->arena = A->arenas[c % AHEAD_BATCHES];
  own->errors = NULL;
  own->nerrors = 0;
  uint32_t item = bt->item;
  for (uint32_t j = 0; j < bt->n; j++) {
    const Item *it = &A->prog->items[item++];
    while (it->kind != I_PROCESS || !it->u.proc->info) it = &A->prog->items[item++];
    IrProc *p = &own->procs[bt->first + j];
    const ArenaBlock *block = own->arena.head;
    const char *from = own->arena.next;
    if (!lower_finished(L, it->u.proc, p, A->bitrix, true)) {
      bt->refused = true;
      break;
    }
    if (own->arena.head == block) p->made_from = from, p->made_to = own->arena.next;
    bt->nmade++;
  }
  bt->errors = own->errors;
  bt->nerrors = own->nerrors;
  pthread_mutex_lock(&A->lock);
  A->arenas[c % AHEAD_BATCHES] = own->arena;
  arena_init(&own->arena);
  bt->ready = true;
  if (bt->refused) A->stop = true;
  pthread_cond_broadcast(&A->changed);
}

/* The second thread's Lower, and the batches. */
typedef struct Beside {
  Lower L;
  Ahead *A;
} Beside;

/* The second thread: every batch it can take. */
static void *lower_beside(void *arg) {
  Beside *B = arg;
  Lower *L = &B->L;
  Ahead *A = B->A;
  pthread_mutex_lock(&A->lock);
  for (;;) {
    int64_t c = take_batch(A);
    if (c >= 0) {
      pthread_mutex_unlock(&A->lock);
      lower_batch(A, L, (uint32_t)c);
    } else if (A->stop || A->ntaken == A->nbatches) {
      break;
    } else {
      pthread_cond_wait(&A->changed, &A->lock);
    }
  }
  pthread_mutex_unlock(&A->lock);
  return NULL;
}

/* The batches: consecutive processes spanning A's share of the text each. */
static void cut_batches(Ahead *A, uint32_t nprocs) {
  const Program *prog = A->prog;
  size_t text = prog->src->len, share = text / AHEAD_SHARE;
  if (share < AHEAD_MIN_BATCH) share = AHEAD_MIN_BATCH;
  A->batches = xcalloc(nprocs, sizeof *A->batches);
  Batch *bt = NULL;
  size_t spanned = 0;
  for (uint32_t i = 0, k = 0; i < prog->nitems; i++) {
    const Item *it = &prog->items[i];
    if (it->kind != I_PROCESS || !it->u.proc->info) continue;
    if (!bt || spanned >= share) {
      bt = &A->batches[A->nbatches++];
      bt->item = i;
      bt->first = k;
      spanned = 0;
    }
    bt->n++;
    k++;
    spanned += it->u.proc->span.len;
  }
}

/* The calling thread's part (see above). *refused gets the arena of the batch that was
 * refused (it stays empty when none was). False when the second thread could not be
 * started (nothing was done then). */
static bool lower_bodies_ahead(Lower *L, const Program *prog, bool bitrix, LowerEach *each,
                               void *ctx, Arena *refused) {
  IrProgram *ir = L->ir, mine = *ir, theirs = *ir; /* each thread's program: see above */
  arena_init(&mine.arena);
  arena_init(&theirs.arena);
  Ahead A = {.prog = prog, .bitrix = bitrix};
  for (int i = 0; i < AHEAD_BATCHES; i++) arena_init(&A.arenas[i]);
  cut_batches(&A, ir->nprocs);
  Beside other = {*L, &A}; /* the second thread's Lower: its own scratch, caught errors, positions */
  other.L.ir = &theirs;
  other.L.scratch = (Scratch){0};
  other.L.err_syms = NULL;
  other.L.err_slots = NULL;
  other.L.nerr = other.L.err_cap = 0;
  other.L.pos.line = 0;
  L->ir = &mine;
  pthread_attr_t attr;
  pthread_t thread;
  bool started = false;
  if (pthread_mutex_init(&A.lock, NULL) != 0) goto not_started;
  pthread_cond_init(&A.changed, NULL);
  if (pthread_attr_init(&attr) == 0) {
    /* as deep as the calling thread's recursion may go (PARSE_MAX_DEPTH), with room */
    pthread_attr_setstacksize(&attr, 8u << 20);
    started = pthread_create(&thread, &attr, lower_beside, &other) == 0;
    pthread_attr_destroy(&attr);
  }
  if (!started) {
    pthread_cond_destroy(&A.changed);
    pthread_mutex_destroy(&A.lock);
    goto not_started;
  }
  pthread_mutex_lock(&A.lock);
  for (uint32_t c = 0; c < A.nbatches; c++) {
    Batch *bt = &A.batches[c];
    while (!bt->ready) { /* lower the next batch meanwhile, or wait for one */
      int64_t next = take_batch(&A);
      if (next < 0) {
        pthread_cond_wait(&A.changed, &A.lock);
      } else {
        pthread_mutex_unlock(&A.lock);
        lower_batch(&A, L, (uint32_t)next);
      }
    }
    pthread_mutex_unlock(&A.lock);
    for (uint32_t j = 0; j < bt->nmade; j++) {
      IrProc *p = &ir->procs[bt->first + j];
      each(ir, p, ctx);
      forget_body(p);
    }
    Arena *arena = &A.arenas[c % AHEAD_BATCHES];
    if (bt->refused) {
      *refused = *arena;
      arena_init(arena);
      ir->errors = bt->errors;
      ir->nerrors = bt->nerrors;
    } else {
      arena_reset(arena);
    }
    pthread_mutex_lock(&A.lock);
    A.ngiven++;
    pthread_cond_broadcast(&A.changed);
    if (bt->refused) break;
  }
  pthread_mutex_unlock(&A.lock);
  pthread_join(thread, NULL);
  /* the batches lowered past a refused one are dropped: their memory goes below */
  for (uint32_t c = A.ngiven; c < A.ntaken; c++) {
    const Batch *dropped = &A.batches[c];
    for (uint32_t j = 0; j < dropped->nmade + dropped->refused; j++)
      forget_body(&ir->procs[dropped->first + j]);
  }
  pthread_cond_destroy(&A.changed);
  pthread_mutex_destroy(&A.lock);
  scratch_free(&other.L.scratch);
  free(other.L.err_syms);
  free(other.L.err_slots);
not_started:
  for (int i = 0; i < AHEAD_BATCHES; i++) arena_free(&A.arenas[i]);
  free(A.batches);
  L->ir = ir;
  return started;
}

/* each NULL: every process is lowered, then ir_finish runs. Otherwise each process's
 * body is built in an arena of its own (swapped in for the IR's while it is built),
 * finished at once and handed to each, and the arena is reset for the next one: the
 * bodies of a 100,000-line program took 30 MB of fresh memory, where now one body's
 * worth of pages is used again and again while it is still in the cache. With a second
 * thread (bpc_threads) and a large program, the bodies are lowered ahead on it
 * (lower_bodies_ahead). */
static IrProgram *lower(const Program *prog, bool share_source, LowerEach *each, void *ctx) {
  IrProgram *ir = ir_new(prog->src && prog->src->path ? prog->src->path : "");
  if (prog->src && share_source) ir_share_source(ir, prog->src->text, prog->src->len);
  else if (prog->src) ir_set_source(ir, prog->src->text, prog->src->len);
  Lower L = {ir, {0}, {0}, prog, NULL, NULL, NULL, NULL, {prog->src, 0, 0, 0}, NULL, NULL, NULL, NULL, 0, 0, {0}};
  uint32_t counts[3] = {0, 0, 0};
  for (uint32_t i = 0; i < prog->nitems; i++) counts[prog->items[i].kind]++;
  ir_reserve(ir, counts[I_DOCUMENT], counts[I_ACTION], counts[I_PROCESS]);
  L.maps = arena_alloc(&ir->arena, (counts[I_PROCESS] + 1) * sizeof *L.maps);
  for (uint32_t i = 0; i < prog->nitems; i++) {
    const Item *it = &prog->items[i];
    if (it->kind == I_DOCUMENT) lower_doc(&L, it->u.doc, &ir->docs[ir->ndocs++]);
    if (it->kind == I_ACTION) lower_action(&L, it->u.action, &ir->actions[ir->nactions++]);
  }
  name_index_init(&L, &L.actions, ir->nactions);
  for (uint32_t i = 0; i < ir->nactions; i++) name_index_add(&L.actions, ir->actions[i].name, i);
  for (uint32_t i = 0; i < prog->nitems; i++)
    if (prog->items[i].kind == I_PROCESS && prog->items[i].u.proc->info)
      lower_shell(&L, prog->items[i].u.proc, ir_proc(ir, prog->items[i].u.proc->name.s));
  name_index_init(&L, &L.procs, ir->nprocs);
  for (uint32_t i = 0; i < ir->nprocs; i++) name_index_add(&L.procs, ir->procs[i].name, i);
  bool bitrix = prog->src && strncmp(prog->src->text, bitrix_mark, sizeof bitrix_mark - 1) == 0;
  Arena shared = {0}, body;
  arena_init(&body);
  if (each) ir->finished = true; /* every process given to each has passed ir_finish_proc */
  bool ahead = each && ir->nprocs > 1 && prog->src && prog->src->len >= AHEAD_MIN_TEXT &&
               bpc_threads() > 1 && lower_bodies_ahead(&L, prog, bitrix, each, ctx, &body);
  uint32_t k = 0;
  for (uint32_t i = 0; i < prog->nitems && !ahead; i++) {
    if (prog->items[i].kind != I_PROCESS || !prog->items[i].u.proc->info) continue;
    IrProc *p = &ir->procs[k++];
    if (each) shared = ir->arena, ir->arena = body;
    bool ok = lower_finished(&L, prog->items[i].u.proc, p, bitrix, each != NULL);
    if (!each) continue;
    if (ok && !ir->nerrors) {
      each(ir, p, ctx);
      forget_body(p);
      arena_reset(&ir->arena);
    }
    body = ir->arena, ir->arena = shared;
    if (!ok) break; /* ir->errors[0] is what ir_finish would have said first */
  }
  arena_adopt(&ir->arena, &body); /* the errors ir_finish_proc reported point into it */
  scratch_free(&L.scratch);
  free(L.err_syms);
  free(L.err_slots);
  if (!each) ir_finish(ir);
  return ir;
}

IrProgram *lower_program(const Program *prog) { return lower(prog, false, NULL, NULL); }
IrProgram *lower_program_sharing(const Program *prog) { return lower(prog, true, NULL, NULL); }
IrProgram *lower_program_each(const Program *prog, LowerEach *each, void *ctx) {
  return lower(prog, true, each, ctx);
}
