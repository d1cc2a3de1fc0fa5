/* codegen.c — the graph IR becomes bytecode and a bundle (bpt.h).
 *
 * Per process, the graph is linearized by walking chains: a node's code is
 * followed by its successor's when that was not placed yet, else by a JUMP.
 * Choices test their arms in order (`cond; JUMP_IF_FALSE next-arm`) and the
 * first arm follows inline; the other arms, the branches of a FORK and the
 * done-exit of a for loop wait on a work stack. A MERGE waits (is deferred)
 * until every one of its forward predecessors is placed, so an if/else comes
 * out in the classic shape: then, JUMP end, else, end. A JOIN has no place of
 * its own: every edge into it emits `JOIN g n`, and one thread goes on.
 * An event gateway is a race whose events are followed by the race's JOIN.
 * Handlers, state enter blocks and command bodies are further entry points,
 * and the `when` / `by` expression fragments come last.
 *
 * Any graph ir_finish accepted compiles, structured or not: every node is
 * placed once and reached by fall-through or JUMP, so a loop entered in the
 * middle or a merge with many entries needs nothing special; the merge
 * ordering and loop heads only shape the layout. Each step is linear in the
 * graph: a choice's arms and a merge's readiness are kept in tables, not
 * searched for (a choice of 40,000 arms was quadratic).
 *
 * Expressions (IrExpr) stay trees; they are emitted recursively with the
 * implicit conversions made explicit (TO_DECIMAL, TO_USERS) where the context
 * wants another type. Literals, constants, constant lists and date("...")
 * literals become pool constants.
 *
 * Determinism: strings and constants are numbered in first-use order, tables
 * are keyed by content, and nothing depends on addresses or time. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpt_time.h"
#include "codegen.h"

/* ---- growable arrays ---------------------------------------------------------- */

#define VEC_PUSH(arr, n, cap, val)                                   \
  do {                                                               \
    if ((n) == (cap)) {                                              \
      (cap) = (cap) ? 2 * (cap) : 16;                                \
      (arr) = xrealloc((arr), (size_t)(cap) * sizeof *(arr));        \
    }                                                                \
    (arr)[(n)++] = (val);                                            \
  } while (0)

typedef struct ByteBuf {
  uint8_t *data;
  uint32_t len, cap;
} ByteBuf;

static void put_u8(ByteBuf *b, uint8_t v) { VEC_PUSH(b->data, b->len, b->cap, v); }
static void put_u16(ByteBuf *b, uint16_t v) {
  put_u8(b, (uint8_t)v);
  put_u8(b, (uint8_t)(v >> 8));
}
static void put_u32(ByteBuf *b, uint32_t v) {
  put_u16(b, (uint16_t)v);
  put_u16(b, (uint16_t)(v >> 16));
}
/* n bytes at once: a process's code is appended to the bundle's in one copy. */
static void put_bytes(ByteBuf *b, const uint8_t *p, uint32_t n) {
  if (!n) return;
  if (n > b->cap - b->len) {
    if (n > UINT32_MAX / 2 - b->len) out_of_memory(); /* the bundle's 4 GiB limit is far below */
    uint32_t cap = b->cap ? b->cap : 16;
    while (cap - b->len < n) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}
static void set_u32(ByteBuf *b, uint32_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) b->data[at + i] = (uint8_t)(v >> (8 * i));
}

/* ---- the tables of strings and constants ---------------------------------------- */

/* A slot holds a hash and the number + 1 of a string or a constant (0: an empty slot); the
 * string or constant itself is the bundle's list's entry, read only when the hashes
 * agree. Only the probing depends on the hash, never the bundle's bytes (entries are
 * numbered in the order they are first seen). */
typedef struct NumSlot {
  uint32_t hash, number;
} NumSlot;

typedef struct NumMap {
  NumSlot *slots;
  uint32_t cap, n;
} NumMap;

/* Doubles the table; the slots keep their hashes, so no entry is read again. */
static void nummap_grow(NumMap *m) {
  NumMap old = *m;
  m->cap = old.cap ? old.cap * 2 : 256;
  m->slots = xcalloc(m->cap, sizeof *m->slots);
  for (uint32_t i = 0; i < old.cap; i++) {
    if (!old.slots[i].number) continue;
    uint32_t j = old.slots[i].hash & (m->cap - 1);
    while (m->slots[j].number) j = (j + 1) & (m->cap - 1);
    m->slots[j] = old.slots[i];
  }
  free(old.slots);
}

/* The constant table: a constant's hash is made from its fields and a candidate compared
 * field by field. A byte key built on the stack (type, value, scale, string, count,
 * items) was hashed and compared before: its 8-byte reads over the 1- to 8-byte stores
 * that had just written it could not be forwarded, and add_const took 1.5% of the
 * compile's time for 80,000 calls at 100,000 lines. */
static uint32_t const_hash(const BptConst *c) {
  uint64_t h = ((uint64_t)c->i ^ ((uint64_t)c->str << 32 | c->str)) * 0xFF51AFD7ED558CCDu;
  h = (h << 29 | h >> 35) ^ ((uint64_t)c->type | (uint64_t)c->scale << 8 | (uint64_t)c->nitems << 16);
  h *= 0xC4CEB9FE1A85EC53u;
  for (uint32_t k = 0; k < c->nitems; k++) h = ((h << 29 | h >> 35) ^ c->items[k]) * 0xFF51AFD7ED558CCDu;
  return (uint32_t)(h ^ h >> 32);
}

static bool const_equal(const BptConst *a, const BptConst *b) {
  return a->type == b->type && a->i == b->i && a->scale == b->scale && a->str == b->str &&
         a->nitems == b->nitems &&
         (!a->nitems || memcmp(a->items, b->items, a->nitems * sizeof *a->items) == 0);
}

/* ---- the whole bundle ---------------------------------------------------------- */

typedef struct Gen Gen;
struct Gen {
  const IrProgram *ir;
  Arena arena; /* the BptBundle's arrays and strings */
  BptError *err;
  bool failed;
  /* Each new string is copied into the arena: the caller gives a process's memory back
   * after its code is made (codegen_start). */
  bool copy_strings;
  BptBundle b;
  uint32_t next_proc; /* the process codegen_process makes next */
  const IrNode *at; /* the node being emitted, named in a failure; NULL: none */

  /* With 16-byte slots that pointed at the text, the string table was 4 MB at 100,000
   * lines and a lookup missed the cache on the slot and again on the text of each slot it
   * passed with the same length; now the text is read only when the hashes agree. */
  NumMap string_map;
  BptString *strings;
  uint32_t nstrings, strings_cap;
  NumMap const_map;
  BptConst *consts;
  uint32_t nconsts, consts_cap;

  ByteBuf code;
  ByteBuf scratch; /* a process's code: one buffer, grown once, used by every process */
  /* A process's work arrays (per node, per edge), given back after each process, and
   * its growing vectors (labels, fixups, work, deferred nodes, entries), kept with
   * their room for the next process: 15 allocations and frees a process before. */
  Scratch arrays;
  struct PGenVectors *vectors;
  BptLine *lines;
  uint32_t nlines, lines_cap;
  BptNode *nodes;
  uint32_t nnodes, nodes_cap;
  BptEdge *edges;
  uint32_t nedges, edges_cap;
};

static void fail(Gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(Gen *g, const char *fmt, ...) {
  if (g->failed) return;
  g->failed = true;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(g->err->message, sizeof g->err->message, fmt, ap);
  va_end(ap);
  size_t used = n < 0 ? 0 : (size_t)n;
  if (g->at && used < sizeof g->err->message)
    snprintf(g->err->message + used, sizeof g->err->message - used, " (node `%s`)", g->at->id);
}

/* The number of the string s[0..len). The bundle's string list points at s itself, not
 * a copy, unless the Gen copies its strings: s must live as long as the Gen, and every
 * caller's does (the IR's names, ids, titles and literals, the Gen's arena, a string
 * constant). Copying each new string into the arena took 80,038 allocations and copies
 * at 100,000 lines. */
static uint32_t intern_hashed(Gen *g, const char *s, size_t len, uint32_t hash) {
  if (len > UINT32_MAX / 2) {
    fail(g, "a string of %zu bytes is too long for a bundle", len);
    return 0;
  }
  NumMap *m = &g->string_map;
  if ((m->n + 1) * 2 > m->cap) nummap_grow(m);
  uint32_t mask = m->cap - 1;
  uint32_t i = hash & mask;
  for (; m->slots[i].number; i = (i + 1) & mask) {
    if (m->slots[i].hash != hash) continue;
    const BptString *t = &g->strings[m->slots[i].number - 1];
    if (t->len == len && bytes_equal((const uint8_t *)t->data, (const uint8_t *)s, (uint32_t)len))
      return m->slots[i].number - 1;
  }
  m->slots[i] = (NumSlot){hash, g->nstrings + 1};
  m->n++;
  if (g->copy_strings) s = arena_strndup(&g->arena, s, len);
  BptString str = {s, (uint32_t)len};
  VEC_PUSH(g->strings, g->nstrings, g->strings_cap, str);
  return g->nstrings - 1;
}

static uint32_t intern_n(Gen *g, const char *s, size_t len) {
  uint32_t n = len > UINT32_MAX / 2 ? 0 : (uint32_t)len;
  return intern_hashed(g, s, len, bytes_hash((const uint8_t *)s, n));
}

/* String 0 is "" (interned first): the empty titles, details and labels need no lookup. */
static uint32_t intern(Gen *g, const char *s) { return s && *s ? intern_n(g, s, strlen(s)) : 0; }

/* The number of constant c, a new one when no equal constant is in the table yet. */
static uint16_t add_const(Gen *g, const BptConst *c) {
  NumMap *m = &g->const_map;
  if ((m->n + 1) * 2 > m->cap) nummap_grow(m);
  uint32_t hash = const_hash(c), mask = m->cap - 1, i = hash & mask;
  for (; m->slots[i].number; i = (i + 1) & mask)
    if (m->slots[i].hash == hash && const_equal(&g->consts[m->slots[i].number - 1], c))
      return (uint16_t)(m->slots[i].number - 1);
  if (g->nconsts >= 0xFFFF) {
    fail(g, "more than 65535 distinct constants in one bundle");
    return 0;
  }
  m->slots[i] = (NumSlot){hash, g->nconsts + 1};
  m->n++;
  BptConst copy = *c;
  if (c->nitems) {
    copy.items = arena_alloc(&g->arena, c->nitems * sizeof *copy.items);
    memcpy(copy.items, c->items, c->nitems * sizeof *copy.items);
  } else {
    copy.items = NULL;
  }
  VEC_PUSH(g->consts, g->nconsts, g->consts_cap, copy);
  return (uint16_t)(g->nconsts - 1);
}

/* ---- types --------------------------------------------------------------------- */

uint8_t codegen_type_code(const Type *t) {
  if (!t) return BPT_T_VOID;
  switch (t->kind) {
  case T_STRING: return BPT_T_STRING;
  case T_INT: return BPT_T_INT;
  case T_DECIMAL: return BPT_T_DECIMAL;
  case T_BOOL: return BPT_T_BOOL;
  case T_DATE: return BPT_T_DATE;
  case T_DATETIME: return BPT_T_DATETIME;
  case T_DURATION: return BPT_T_DURATION;
  case T_USER: return BPT_T_USER;
  case T_LIST: {
    uint8_t elem = codegen_type_code(t->elem);
    return (uint8_t)(BPT_T_LIST | (elem < BPT_T_TASK_RESULT ? elem : BPT_T_VOID));
  }
  case T_RECORD:
    if (t == &type_task_result) return BPT_T_TASK_RESULT;
    if (t == &type_approve_result) return BPT_T_APPROVE_RESULT;
    if (t == &type_review_result) return BPT_T_REVIEW_RESULT;
    return BPT_T_REQUEST_RESULT;
  default: return BPT_T_VOID;
  }
}

/* ---- one process --------------------------------------------------------------- */

typedef struct Fixup {
  uint32_t at, end, label; /* the i32 at `at` becomes pc(label) - end */
} Fixup;

typedef struct Work {
  uint32_t label;
  IrNode *node;
  int32_t arm; /* >= 0: the arm-th test of a choice; WORK_AT, WORK_NODE below */
} Work;

enum {
  WORK_AT = -1,  /* place the label, then the chain from the node */
  WORK_NODE = -2, /* the label is the node's own: emit the node's chain unless placed */
  WORK_CATCH = -3 /* place the label, then the catch dispatch of the TRY node */
};

typedef struct StepLabels {
  uint32_t timeout;  /* a label, or UINT32_MAX */
  uint32_t *reminds;
  uint32_t *afters;
} StepLabels;

/* The vectors a PGen grows, kept from one process to the next (Gen.vectors). */
typedef struct PGenVectors {
  uint32_t *label_pc;
  uint32_t labels_cap;
  Fixup *fixups;
  uint32_t fixups_cap;
  Work *work;
  uint32_t work_cap;
  IrNode **deferred;
  uint32_t deferred_cap;
  IrNode **entries;
  uint32_t entries_cap;
} PGenVectors;

typedef struct PGen {
  Gen *g;
  const IrProc *p;
  ByteBuf code;
  uint32_t *label_pc;
  uint32_t nlabels, labels_cap;
  Fixup *fixups;
  uint32_t nfixups, fixups_cap;
  bool *placed;       /* per node */
  uint32_t *arrivals; /* per JOIN node: edges into it emitted so far */
  uint32_t *jumps_to; /* per node: JUMPs to it emitted so far */
  /* Readiness of a merge, kept up to date instead of recounted (a merge of
   * 40,000 arms is asked 40,000 times): per node, the forward in-edges
   * (`need`), how many of them come from code already placed (`have`), and
   * the back edges into it (`back`). */
  uint32_t *need, *have, *back;
  /* A choice's COND edges by arm: arms[arm_first[n] + a]; its ELSE edge. */
  const IrEdge **arms;
  uint32_t *arm_first;
  const IrEdge **else_of;
  uint32_t deferred_from; /* deferred[0 .. deferred_from) are all placed */
  Work *work;
  uint32_t nwork, work_cap;
  IrNode **deferred;
  uint32_t ndeferred, deferred_cap;
  IrNode **entries;
  uint32_t nentries, entries_cap;
  BptStep *steps;
  StepLabels *step_labels;
  uint32_t first_line;
  uint32_t first_node;
} PGen;

static uint32_t new_label(PGen *P) {
  uint32_t none = BPT_NO_PC;
  VEC_PUSH(P->label_pc, P->nlabels, P->labels_cap, none);
  return P->nlabels - 1;
}

static void place_label(PGen *P, uint32_t label) { P->label_pc[label] = P->code.len; }

/* Node i's label is label i. */
static uint32_t node_label(const IrNode *n) { return n->index; }

static void add_line(PGen *P, uint32_t line, uint32_t col) {
  Gen *g = P->g;
  if (!line) return;
  BptLine l = {P->code.len, line, col};
  if (g->nlines > P->first_line) {
    BptLine *last = &g->lines[g->nlines - 1];
    if (last->pc == l.pc) {
      *last = l;
      return;
    }
    if (last->line == line && last->col == col) return;
  }
  VEC_PUSH(g->lines, g->nlines, g->lines_cap, l);
}

/* Operand letters of every instruction, from the one table. */
static const char *const op_operands[BPT_OP_COUNT] = {
#define OP(name, operands, pops, pushes, flags) operands,
#include "opcodes.def"
#undef OP
};

/* Emits op with its operands as unsigned arguments, one per letter: a jump
 * (`j`) takes a label; FORK's `J` takes a count and a `const uint32_t *` of
 * labels. */
static void emit(PGen *P, BptOp op, ...) {
  ByteBuf *c = &P->code;
  uint32_t first_fixup = P->nfixups;
  put_u8(c, (uint8_t)op);
  va_list ap;
  va_start(ap, op);
  for (const char *o = op_operands[op]; *o; o++) {
    switch (*o) {
    case 'z': put_u32(c, va_arg(ap, unsigned)); break;
    case 'm': case 'n': case 'b': put_u8(c, (uint8_t)va_arg(ap, unsigned)); break;
    case 'j': {
      Fixup f = {c->len, 0, va_arg(ap, unsigned)};
      VEC_PUSH(P->fixups, P->nfixups, P->fixups_cap, f);
      put_u32(c, 0);
      break;
    }
    case 'J': {
      unsigned n = va_arg(ap, unsigned);
      const uint32_t *labels = va_arg(ap, const uint32_t *);
      put_u8(c, (uint8_t)n);
      for (unsigned i = 0; i < n; i++) {
        Fixup f = {c->len, 0, labels[i]};
        VEC_PUSH(P->fixups, P->nfixups, P->fixups_cap, f);
        put_u32(c, 0);
      }
      break;
    }
    default: put_u16(c, (uint16_t)va_arg(ap, unsigned)); break;
    }
  }
  va_end(ap);
  for (uint32_t i = first_fixup; i < P->nfixups; i++) P->fixups[i].end = c->len;
}

/* An instruction with no operand, or with one of 16 bits, as emit writes it, by a short
 * way: no argument list, no walk of its operand letters, no fixups, and one check for
 * room. CONST, LOAD, LOAD_FIELD, STORE and the operators are most of a program's code
 * (of the 324,800 instructions at 100,000 lines, emit now writes 99,325). An op of
 * another shape goes to emit, so a call here is right whatever the op's operands. */
static void emit1(PGen *P, BptOp op, unsigned arg) {
  const char *o = op_operands[op];
  bool none = o[0] == '\0';
  if (!none && (o[1] != '\0' || o[0] == 'z' || o[0] == 'm' || o[0] == 'n' || o[0] == 'b' ||
                o[0] == 'j' || o[0] == 'J')) {
    emit(P, op, arg);
    return;
  }
  ByteBuf *c = &P->code;
  if (c->cap - c->len < 3) {
    put_u8(c, (uint8_t)op);
    if (!none) put_u16(c, (uint16_t)arg);
    return;
  }
  c->data[c->len++] = (uint8_t)op;
  if (none) return;
  c->data[c->len++] = (uint8_t)arg;
  c->data[c->len++] = (uint8_t)(arg >> 8);
}

/* ---- constants ---------------------------------------------------------------- */

/* The text of a string literal, or of an interpolation made only of
 * literals; NULL for anything else (in g's arena). */
static const char *literal_string(Gen *g, const IrExpr *e, size_t *len) {
  if (!e) return NULL;
  if (e->kind == IR_X_STRING) {
    *len = e->u.str.len;
    return e->u.str.s;
  }
  if (e->kind != IR_X_TEXT) return NULL;
  size_t n = 0;
  for (uint32_t i = 0; i < e->u.list.n; i++) {
    const IrExpr *part = e->u.list.items[i];
    if (!part || part->kind != IR_X_STRING) return NULL;
    n += part->u.str.len;
  }
  char *s = arena_alloc(&g->arena, n + 1), *p = s;
  for (uint32_t i = 0; i < e->u.list.n; i++) {
    memcpy(p, e->u.list.items[i]->u.str.s, e->u.list.items[i]->u.str.len);
    p += e->u.list.items[i]->u.str.len;
  }
  *len = n;
  return s;
}

/* date("YYYY-MM-DD") and datetime("YYYY-MM-DDTHH:MM") with a literal
 * argument (the checker validated its shape). */
static bool date_literal(Gen *g, const IrExpr *e, BptConst *out) {
  const char *fn = e->u.call.fn;
  if (fn[0] != 'd') return false; /* most calls: no strcmp */
  bool with_time = strcmp(fn, "datetime") == 0;
  if (!with_time && strcmp(fn, "date") != 0) return false;
  if (e->nargs != 1) return false;
  size_t n;
  const char *s = literal_string(g, e->u.call.args[0], &n);
  if (!s) return false;
  out->type = with_time ? BPT_T_DATETIME : BPT_T_DATE;
  return with_time ? bpt_parse_datetime(s, n, &out->i) : bpt_parse_date(s, n, &out->i);
}

static bool const_value_of(Gen *g, const IrExpr *e, const Type *want, BptConst *out, int depth);

/* The value of a constant expression as a pool constant (const_value_of below); false
 * at once, without the call, for the kinds that are never constant. Every expression
 * is asked first (267,560 times at 100,000 lines), and a slot, a field, a member, an
 * operator or a condition is most of them. out is meant only when the answer is true. */
static inline bool const_value(Gen *g, const IrExpr *e, const Type *want, BptConst *out, int depth) {
  if (!e) return false;
  switch (e->kind) {
  case IR_X_SLOT: case IR_X_FIELD: case IR_X_MEMBER: case IR_X_BINARY: case IR_X_COND: return false;
  default: return const_value_of(g, e, want, out, depth);
  }
}

/* A list of constants: the items become constants first (they must come
 * earlier in the pool). */
static bool const_list(Gen *g, const IrExpr *e, const Type *want, BptConst *out, int depth) {
  const Type *lt = want && want->kind == T_LIST && want != &type_list_empty ? want : e->type;
  if (!lt || lt->kind != T_LIST) return false;
  uint32_t n = e->u.list.n;
  uint32_t *items = n ? arena_alloc(&g->arena, n * sizeof *items) : NULL;
  for (uint32_t i = 0; i < n; i++) {
    BptConst item = {0};
    if (!const_value(g, e->u.list.items[i], lt->elem, &item, depth + 1)) return false;
    if ((item.type & BPT_T_LIST) || item.type != codegen_type_code(lt->elem)) return false;
    items[i] = add_const(g, &item);
  }
  memset(out, 0, sizeof *out);
  out->type = codegen_type_code(lt);
  if (n == 0 && lt == &type_list_empty) out->type = BPT_T_LIST | BPT_T_VOID;
  out->items = items;
  out->nitems = n;
  return true;
}

/* The value of a constant expression as a pool constant, converted to want
 * (int -> decimal); false when e is not a literal-like constant. */
static bool const_value_of(Gen *g, const IrExpr *e, const Type *want, BptConst *out, int depth) {
  if (!e || depth > 64) return false;
  memset(out, 0, sizeof *out);
  bool as_decimal = want && want->kind == T_DECIMAL;
  switch (e->kind) {
  case IR_X_INT:
    out->type = as_decimal ? BPT_T_DECIMAL : BPT_T_INT;
    out->i = e->u.i;
    return true;
  case IR_X_DECIMAL:
    out->type = BPT_T_DECIMAL;
    out->i = e->u.dec.unscaled;
    out->scale = e->u.dec.scale;
    return true;
  case IR_X_BOOL:
    out->type = BPT_T_BOOL;
    out->i = e->u.i != 0;
    return true;
  case IR_X_DURATION:
    out->type = BPT_T_DURATION;
    out->i = e->u.i;
    return true;
  case IR_X_STRING: case IR_X_TEXT: {
    size_t n;
    const char *s = literal_string(g, e, &n);
    if (!s) return false;
    out->type = BPT_T_STRING;
    out->str = intern_n(g, s, n);
    return true;
  }
  case IR_X_USER:
    /* no one: refused by emit_expr; as users: TO_USERS after the constant */
    if (e->u.str.len == 0 || (want && want->kind == T_LIST)) return false;
    out->type = BPT_T_USER;
    out->str = intern_n(g, e->u.str.s, e->u.str.len);
    return true;
  case IR_X_LIST: return const_list(g, e, want, out, depth);
  case IR_X_CALL: return date_literal(g, e, out);
  case IR_X_AS: /* a constant's value, as its type */
    if (!const_value(g, e->u.unary.operand, e->type, out, depth + 1)) return false;
    if (as_decimal && out->type == BPT_T_INT) out->type = BPT_T_DECIMAL;
    return true;
  case IR_X_UNARY:
    if (e->u.unary.op != IR_OP_NEG || !const_value(g, e->u.unary.operand, want, out, depth + 1))
      return false;
    if ((out->type != BPT_T_INT && out->type != BPT_T_DECIMAL && out->type != BPT_T_DURATION) ||
        out->i == INT64_MIN)
      return false;
    out->i = -out->i;
    return true;
  default: return false;
  }
}

/* The empty value of a type (a variable without an initializer), or false
 * for types whose empty value is "unset" (user, date, datetime). */
static bool empty_value(const Type *t, BptConst *out) {
  memset(out, 0, sizeof *out);
  if (!t) return false;
  switch (t->kind) {
  case T_STRING: out->type = BPT_T_STRING; return true;
  case T_INT: out->type = BPT_T_INT; return true;
  case T_DECIMAL: out->type = BPT_T_DECIMAL; out->scale = 2; return true;
  case T_BOOL: out->type = BPT_T_BOOL; return true;
  case T_DURATION: out->type = BPT_T_DURATION; return true;
  case T_LIST: out->type = codegen_type_code(t); return true;
  default: return false;
  }
}

/* ---- expressions ---------------------------------------------------------------- */

static void emit_expr(PGen *P, const IrExpr *e);
static void emit_computed(PGen *P, const IrExpr *e);

static void emit_const(PGen *P, const BptConst *c) { emit1(P, BPT_OP_CONST, add_const(P->g, c)); }

static void emit_string(PGen *P, const char *s) {
  BptConst c = {0};
  c.type = BPT_T_STRING;
  c.str = intern(P->g, s);
  emit_const(P, &c);
}

/* Makes the checker's implicit conversions explicit. */
static void convert(PGen *P, const Type *from, const Type *want) {
  if (!from || !want) return;
  if (want->kind == T_DECIMAL && from->kind == T_INT) emit1(P, BPT_OP_TO_DECIMAL, 0);
  else if (want == &type_users && from->kind == T_USER) emit1(P, BPT_OP_TO_USERS, 0);
}

static void emit_as(PGen *P, const IrExpr *e, const Type *want) {
  BptConst c;
  if (const_value(P->g, e, want, &c, 0)) {
    emit_const(P, &c); /* already of the wanted type */
    return;
  }
  /* An interpolation or a call is a constant whatever the type wanted (its text, a
   * date("...") literal), and looking costs nothing else: not asked a second time. */
  if (e && (e->kind == IR_X_TEXT || e->kind == IR_X_CALL)) {
    if (!P->g->failed) emit_computed(P, e);
  } else {
    emit_expr(P, e);
  }
  if (e) convert(P, e->type, want);
}

/* Pops count values and pushes one, with an instruction taking a u8 count:
 * longer runs are folded 255 at a time (TEXT and USERS accept their own
 * result as an input). */
static void emit_counted(PGen *P, BptOp op, uint32_t *pending) {
  while (*pending > 255) {
    emit(P, op, 255u);
    *pending -= 254;
  }
}

static void emit_text(PGen *P, const IrExpr *e) {
  uint32_t pending = 0;
  for (uint32_t i = 0; i < e->u.list.n; i++) {
    const IrExpr *part = e->u.list.items[i];
    if (!part || part->kind != IR_X_STRING) {
      emit_expr(P, part);
    } else {
      if (part->u.str.len == 0) continue;
      BptConst c = {0};
      c.type = BPT_T_STRING;
      c.str = intern_n(P->g, part->u.str.s, part->u.str.len);
      emit_const(P, &c);
    }
    pending++;
    if (pending == 256) emit_counted(P, BPT_OP_TEXT, &pending);
  }
  if (pending == 0) emit_string(P, "");
  else emit(P, BPT_OP_TEXT, pending);
}

static void emit_who(PGen *P, const IrWho *who) {
  uint32_t pending = 0;
  for (uint32_t i = 0; i < who->n; i++) {
    emit_expr(P, who->who[i]);
    pending++;
    if (pending == 256) emit_counted(P, BPT_OP_USERS, &pending);
  }
  emit(P, BPT_OP_USERS, pending);
}

static void emit_list(PGen *P, const IrExpr *e) {
  if (e->u.list.n > 255) {
    fail(P->g, "process `%s`: a list of more than 255 computed items", P->p->name);
    return;
  }
  const Type *elem = e->type && e->type->kind == T_LIST ? e->type->elem : NULL;
  for (uint32_t i = 0; i < e->u.list.n; i++) emit_as(P, e->u.list.items[i], elem);
  emit(P, BPT_OP_LIST, e->u.list.n);
}

static void emit_member(PGen *P, const IrExpr *e) {
  const IrExpr *obj = e->u.member.obj;
  const Type *rec = obj ? obj->type : NULL;
  if (!rec || rec->kind != T_RECORD || e->u.member.index >= rec->nfields) {
    fail(P->g, "process `%s`: member %u of a value that is not a step result", P->p->name,
         e->u.member.index);
    return;
  }
  emit_expr(P, obj);
  emit(P, BPT_OP_MEMBER, e->u.member.index);
}

static const char *const builtin_names[BPT_BI_COUNT] = {
#define BUILTIN(id, name, nargs) name,
#include "builtins.def"
#undef BUILTIN
};

static const uint8_t builtin_nargs[BPT_BI_COUNT] = {
#define BUILTIN(id, name, nargs) nargs,
#include "builtins.def"
#undef BUILTIN
};

static void emit_call(PGen *P, const IrExpr *e) {
  const char *fn = e->u.call.fn;
  unsigned b = 0;
  /* The first letters differ for most names: compared first, they spare most strcmp calls
   * (98,600 at 100,000 lines). */
  while (b < BPT_BI_COUNT && (builtin_names[b][0] != fn[0] || strcmp(builtin_names[b], fn) != 0)) b++;
  if (b == BPT_BI_COUNT) {
    fail(P->g, "process `%s`: unknown function `%s`", P->p->name, fn);
    return;
  }
  if (e->nargs != builtin_nargs[b]) {
    fail(P->g, "process `%s`: `%s` takes %u arguments, not %u", P->p->name, fn,
         (unsigned)builtin_nargs[b], e->nargs);
    return;
  }
  for (uint32_t i = 0; i < e->nargs; i++) {
    const IrExpr *a = e->u.call.args[i];
    const Type *want = a ? a->type : NULL;
    if ((b == BPT_BI_MIN || b == BPT_BI_MAX)) want = e->type;
    if (b == BPT_BI_ROUND && i == 0) want = &type_decimal;
    emit_as(P, a, want);
  }
  emit(P, BPT_OP_CALL, b, e->nargs);
}

static BptOp binary_op(IrBinaryOp op) {
  static const BptOp ops[IR_OP_IN + 1] = {
      [IR_OP_ADD] = BPT_OP_ADD, [IR_OP_SUB] = BPT_OP_SUB, [IR_OP_MUL] = BPT_OP_MUL,
      [IR_OP_DIV] = BPT_OP_DIV, [IR_OP_MOD] = BPT_OP_MOD, [IR_OP_EQ] = BPT_OP_EQ,
      [IR_OP_NE] = BPT_OP_NE,   [IR_OP_LT] = BPT_OP_LT,   [IR_OP_LE] = BPT_OP_LE,
      [IR_OP_GT] = BPT_OP_GT,   [IR_OP_GE] = BPT_OP_GE,   [IR_OP_AND] = BPT_OP_AND_ELSE,
      [IR_OP_OR] = BPT_OP_OR_ELSE, [IR_OP_IN] = BPT_OP_IN};
  return ops[op];
}

static void emit_binary(PGen *P, const IrExpr *e) {
  const IrExpr *l = e->u.binary.lhs, *r = e->u.binary.rhs;
  IrBinaryOp op = e->op;
  if (!l || !r || (unsigned)op > IR_OP_IN) {
    fail(P->g, "process `%s`: a binary operator without its operands", P->p->name);
    return;
  }
  if (op == IR_OP_AND || op == IR_OP_OR) {
    uint32_t end = new_label(P);
    emit_expr(P, l);
    emit(P, binary_op(op), end);
    emit_expr(P, r);
    place_label(P, end);
    return;
  }
  const Type *lt = l->type, *rt = r->type;
  if (op == IR_OP_IN) {
    const Type *elem = rt && rt->kind == T_LIST ? rt->elem : NULL;
    emit_as(P, l, elem && type_is_numeric(elem) ? elem : lt);
    emit_expr(P, r);
  } else if (lt && rt && type_is_numeric(lt) && type_is_numeric(rt)) {
    const Type *common = type_common(lt, rt);
    emit_as(P, l, common);
    emit_as(P, r, common);
  } else {
    emit_expr(P, l);
    emit_expr(P, r);
  }
  emit1(P, binary_op(op), 0);
}

static void emit_cond(PGen *P, const IrExpr *e) {
  uint32_t otherwise = new_label(P), end = new_label(P);
  emit_expr(P, e->u.cond->cond);
  emit(P, BPT_OP_JUMP_IF_FALSE, otherwise);
  emit_as(P, e->u.cond->then, e->type);
  emit(P, BPT_OP_JUMP, end);
  place_label(P, otherwise);
  emit_as(P, e->u.cond->otherwise, e->type);
  place_label(P, end);
}

static void emit_expr(PGen *P, const IrExpr *e) {
  if (P->g->failed) return;
  BptConst c;
  if (!e) {
    fail(P->g, "process `%s`: an expression is missing", P->p->name);
    return;
  }
  if (e->kind != IR_X_AS && const_value(P->g, e, e->type, &c, 0)) {
    emit_const(P, &c);
    return;
  }
  emit_computed(P, e);
}

/* e, not a constant. */
static void emit_computed(PGen *P, const IrExpr *e) {
  switch (e->kind) {
  case IR_X_TEXT: emit_text(P, e); break;
  case IR_X_LIST: emit_list(P, e); break;
  case IR_X_SLOT:
    if (e->u.index >= P->p->slots.n) fail(P->g, "process `%s`: no slot %u", P->p->name, e->u.index);
    emit1(P, BPT_OP_LOAD, e->u.index);
    break;
  case IR_X_FIELD:
    if (P->p->doc < 0 || (uint32_t)P->p->doc >= P->g->ir->ndocs ||
        e->u.index >= P->g->ir->docs[P->p->doc].nfields)
      fail(P->g, "process `%s`: no document field %u", P->p->name, e->u.index);
    emit1(P, BPT_OP_LOAD_FIELD, e->u.index);
    break;
  case IR_X_AS: emit_as(P, e->u.unary.operand, e->type); break;
  case IR_X_MEMBER: emit_member(P, e); break;
  case IR_X_CALL: emit_call(P, e); break;
  case IR_X_UNARY:
    emit_expr(P, e->u.unary.operand);
    emit1(P, e->u.unary.op == IR_OP_NEG ? BPT_OP_NEG : BPT_OP_NOT, 0);
    break;
  case IR_X_BINARY: emit_binary(P, e); break;
  case IR_X_COND: emit_cond(P, e); break;
  case IR_X_USER:
    fail(P->g, "process `%s`: a user literal without an id", P->p->name);
    break;
  case IR_X_INT: case IR_X_DECIMAL: case IR_X_BOOL: case IR_X_DURATION: case IR_X_STRING:
  case IR_X_KIND_COUNT: /* literals are constants, above */
    fail(P->g, "process `%s`: a literal of the wrong type", P->p->name);
    break;
  }
}

/* ---- nodes ----------------------------------------------------------------------- */

static void push_work(PGen *P, uint32_t label, IrNode *node, int32_t arm) {
  Work w = {label, node, arm};
  VEC_PUSH(P->work, P->nwork, P->work_cap, w);
}

static void push_entry(PGen *P, IrNode *n) { VEC_PUSH(P->entries, P->nentries, P->entries_cap, n); }

static const IrEdge *out_edge(const IrProc *p, const IrNode *n, uint32_t i) {
  return ir_edge_at(p, n->out[i]);
}

/* A label to jump to for node t, whose code is emitted later from the work
 * stack: t's own label, unless t has no place of its own (a JOIN or a state
 * entered by GOTO: its code is emitted per edge), then a fresh one. */
static uint32_t target_label(PGen *P, IrNode *t) {
  if (t->kind == IR_JOIN || t->kind == IR_RACE_JOIN || t->kind == IR_STATE) {
    uint32_t l = new_label(P);
    push_work(P, l, t, WORK_AT);
    return l;
  }
  push_work(P, node_label(t), t, WORK_NODE);
  return node_label(t);
}

/* The one successor along the flow (not a handler, command or goto edge). */
static IrNode *flow_successor(const IrProc *p, const IrNode *n) {
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = out_edge(p, n, i);
    if (e->kind == IR_E_FLOW || e->kind == IR_E_LOOP) return e->to;
  }
  return NULL;
}

static bool is_join(const IrNode *n) { return n->kind == IR_JOIN || n->kind == IR_RACE_JOIN; }

/* Does a merge wait for the code of this in-edge's source? */
static bool forward_flow(const IrEdge *e) {
  return !(e->flags & IR_EDGE_BACK) && e->kind != IR_E_TIMER && e->kind != IR_E_COMMAND &&
         e->kind != IR_E_GOTO;
}

/* n's code is placed (a JOIN: every edge into it emitted): its successors
 * have one more forward predecessor done. */
static void note_done(PGen *P, const IrNode *n) {
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = out_edge(P->p, n, i);
    if (forward_flow(e)) P->have[e->to->index]++;
  }
}

/* May n be placed now: are all its forward predecessors placed (and, for a
 * loop's exit, the whole loop: has every back edge to its head been emitted,
 * as a JUMP)? */
static bool ready(const PGen *P, const IrNode *n) {
  const IrNode *head = n->kind == IR_MERGE ? n->u.merge.loop_head : NULL;
  if (head && P->jumps_to[head->index] < P->back[head->index]) return false;
  return P->have[n->index] >= P->need[n->index];
}

/* The counts behind ready() and the arms of every choice, in one pass over
 * the edges. */
static void index_process(PGen *P) {
  const IrProc *p = P->p;
  uint32_t nn = p->nodes.n, ne = p->edges.n;
  Scratch *s = &P->g->arrays;
  P->need = scratch_calloc(s, nn + 1, sizeof *P->need);
  P->have = scratch_calloc(s, nn + 1, sizeof *P->have);
  P->back = scratch_calloc(s, nn + 1, sizeof *P->back);
  P->arm_first = scratch_calloc(s, nn + 2, sizeof *P->arm_first);
  P->arms = scratch_calloc(s, ne + 1, sizeof *P->arms);
  P->else_of = scratch_calloc(s, nn + 1, sizeof *P->else_of);
  for (uint32_t i = 0; i < ne; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    if (forward_flow(e)) P->need[e->to->index]++;
    if (e->flags & IR_EDGE_BACK) P->back[e->to->index]++;
    if (e->kind == IR_E_COND) P->arm_first[e->from->index + 1]++;
    if (e->kind == IR_E_ELSE) P->else_of[e->from->index] = e;
  }
  for (uint32_t i = 0; i < nn; i++) P->arm_first[i + 1] += P->arm_first[i];
  for (uint32_t i = 0; i < ne; i++) { /* ir_finish checked: arms 0 .. k-1, once each */
    const IrEdge *e = ir_edge_at(p, i);
    uint32_t k = P->arm_first[e->from->index + 1] - P->arm_first[e->from->index];
    if (e->kind == IR_E_COND && e->arm < k) P->arms[P->arm_first[e->from->index] + e->arm] = e;
  }
}

/* The step descriptor and the code of a human step. */
static void emit_afters(PGen *P, const IrHuman *h, BptStep *s, StepLabels *sl);

static void emit_human(PGen *P, IrNode *n) {
  const IrHuman *h = n->u.human;
  static const uint8_t modes[] = {[IR_MODE_ANY] = BPT_MODE_ANY, [IR_MODE_ALL] = BPT_MODE_ALL,
                                  [IR_MODE_MAJORITY] = BPT_MODE_MAJORITY,
                                  [IR_MODE_VOTE] = BPT_MODE_VOTE, [IR_MODE_BITRIX] = BPT_MODE_BITRIX};
  static const uint8_t kinds[] = {[IR_TASK] = BPT_STEP_TASK, [IR_APPROVE] = BPT_STEP_APPROVE,
                                  [IR_REVIEW] = BPT_STEP_REVIEW, [IR_REQUEST] = BPT_STEP_REQUEST};
  BptStep *s = &P->steps[h->step];
  StepLabels *sl = &P->step_labels[h->step];
  s->kind = kinds[n->kind];
  s->mode = modes[h->mode];
  s->flags = (uint8_t)((h->wait_all ? BPT_STEP_WAIT_ALL : 0) | (h->due ? BPT_STEP_HAS_DUE : 0) |
                       (h->timeout_times && h->timeout_entry && h->due ? BPT_STEP_TIMEOUT_TIMES : 0));
  if (h->nreminds > 255) fail(P->g, "process `%s`: more than 255 reminders on a step", P->p->name);
  s->nreminds = (uint8_t)h->nreminds;
  s->result = h->result >= 0 ? (uint16_t)h->result : BPT_NONE16;
  s->node = P->first_node + n->index;
  s->nfields = (uint16_t)h->nfields;
  s->fields = arena_alloc(&P->g->arena, (h->nfields + 1) * sizeof *s->fields);
  for (uint32_t i = 0; i < h->nfields; i++) {
    const IrReqField *f = &h->fields[i];
    s->fields[i] = (BptReqField){intern(P->g, f->name), intern(P->g, f->label),
                                 codegen_type_code(f->type), f->to_slot, f->index};
  }
  s->remind_pc = arena_alloc(&P->g->arena, (h->nreminds + 1) * sizeof *s->remind_pc);
  sl->reminds = arena_alloc(&P->g->arena, (h->nreminds + 1) * sizeof *sl->reminds);
  sl->timeout = UINT32_MAX;

  emit_who(P, &h->who);
  emit_as(P, h->title, &type_string);
  if (h->mode == IR_MODE_VOTE || h->mode == IR_MODE_BITRIX) emit_as(P, h->vote, &type_int);
  if (h->due) emit_expr(P, h->due);
  if (s->flags & BPT_STEP_TIMEOUT_TIMES) emit_as(P, h->timeout_times, &type_int);
  for (uint32_t i = 0; i < h->nreminds; i++) emit_as(P, h->remind_before[i], &type_duration);
  emit_afters(P, h, s, sl);
  emit1(P, BPT_OP_STEP, h->step);
  for (uint32_t i = 0; i < h->nreminds; i++) {
    sl->reminds[i] = node_label(h->remind_entry[i]);
    push_entry(P, h->remind_entry[i]);
  }
  if (h->timeout_entry) {
    sl->timeout = node_label(h->timeout_entry);
    push_entry(P, h->timeout_entry);
  }
  for (uint32_t i = 0; i < h->nafters; i++) {
    sl->afters[i] = node_label(h->after_entry[i]);
    push_entry(P, h->after_entry[i]);
  }
}

/* The `after` handlers of a step: their flags in the descriptor, their inputs (delay,
 * [period], [runs]) pushed last before STEP. */
static void emit_afters(PGen *P, const IrHuman *h, BptStep *s, StepLabels *sl) {
  if (h->nafters > 255) fail(P->g, "process `%s`: more than 255 `after` handlers on a step", P->p->name);
  s->nafters = (uint8_t)h->nafters;
  s->after_flags = arena_alloc(&P->g->arena, h->nafters + 1);
  s->after_pc = arena_alloc(&P->g->arena, (h->nafters + 1) * sizeof *s->after_pc);
  sl->afters = arena_alloc(&P->g->arena, (h->nafters + 1) * sizeof *sl->afters);
  for (uint32_t i = 0; i < h->nafters; i++) {
    IrExpr *every = h->after_every ? h->after_every[i] : NULL;
    IrExpr *times = h->after_times ? h->after_times[i] : NULL;
    s->after_flags[i] = (uint8_t)((every ? BPT_AFTER_EVERY : 0) | (times ? BPT_AFTER_TIMES : 0));
    emit_as(P, h->after_delay[i], &type_duration);
    if (every) emit_as(P, every, &type_duration);
    if (times) emit_as(P, times, &type_int);
  }
}

static void emit_action(PGen *P, const IrNode *n) {
  const IrAction *a = &P->g->ir->actions[n->u.action.action];
  for (uint32_t i = 0; i < n->u.action.n; i++)
    emit_as(P, n->u.action.args[i], i < a->nparams ? a->params[i].type : NULL);
  int32_t r = n->u.action.result;
  emit(P, BPT_OP_ACTION, n->u.action.action, n->u.action.n, r >= 0 ? (unsigned)r : BPT_NONE16);
}

static void emit_start_process(PGen *P, const IrNode *n) {
  if (n->u.start.n > 255) fail(P->g, "process `%s`: `start` with more than 255 arguments", P->p->name);
  for (uint32_t i = 0; i < n->u.start.n; i++) {
    const IrStartArg *a = &n->u.start.args[i];
    BptConst idx = {0};
    idx.type = BPT_T_INT;
    idx.i = a->param;
    emit_const(P, &idx);
    emit_as(P, a->value, a->type);
  }
  emit(P, BPT_OP_START, n->u.start.proc, n->u.start.n);
}

/* Parameter defaults and variable initializers: the start of the entry. */
static void emit_prologue(PGen *P) {
  const IrProc *p = P->p;
  for (uint32_t i = 0; i < p->params.n; i++) {
    const IrParam *prm = p->params.items[i];
    if (!prm->def) continue;
    uint32_t skip = new_label(P);
    add_line(P, prm->line, prm->col);
    emit(P, BPT_OP_JUMP_IF_SET, prm->slot, skip);
    emit_as(P, prm->def, prm->type);
    emit1(P, BPT_OP_STORE, prm->slot);
    place_label(P, skip);
  }
  for (uint32_t i = 0; i < p->inits.n; i++) {
    const IrInit *init = p->inits.items[i];
    BptConst c;
    add_line(P, init->line, init->col);
    if (init->value) emit_as(P, init->value, init->type);
    else if (empty_value(init->type, &c)) emit_const(P, &c);
    else continue;
    emit1(P, BPT_OP_STORE, init->slot);
  }
}

/* The COND edge of a choice tried arm-th (arms are numbered 0, 1, ...), or
 * NULL past the last. */
static const IrEdge *cond_arm(const PGen *P, const IrNode *n, int32_t arm) {
  uint32_t first = P->arm_first[n->index], k = P->arm_first[n->index + 1] - first;
  return arm >= 0 && (uint32_t)arm < k ? P->arms[first + (uint32_t)arm] : NULL;
}

/* Emits test `arm` of a choice and returns the node to continue with. */
static IrNode *emit_choice_arm(PGen *P, IrNode *n, int32_t arm) {
  const IrEdge *e = cond_arm(P, n, arm);
  const IrEdge *el = P->else_of[n->index];
  if (e) {
    uint32_t next;
    emit_expr(P, e->cond);
    if (!cond_arm(P, n, arm + 1) && el) { /* the last test: false goes to else */
      next = target_label(P, el->to);
    } else {
      next = new_label(P);
      push_work(P, next, n, arm + 1);
    }
    emit(P, BPT_OP_JUMP_IF_FALSE, next);
    return e->to;
  }
  if (el) return el->to;
  emit1(P, BPT_OP_END, 0);
  return NULL;
}

static IrNode *emit_iter_next(PGen *P, IrNode *n) {
  IrNode *body = NULL, *done = NULL;
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = out_edge(P->p, n, i);
    if (e->kind == IR_E_ELSE) done = e->to;
    else if (!body) body = e->to;
  }
  if (!done) {
    fail(P->g, "process `%s`: a for loop without an exit", P->p->name);
    return NULL;
  }
  emit(P, BPT_OP_ITER_NEXT, n->u.iter_next.slot, n->u.iter_next.var, target_label(P, done));
  return body;
}

static IrNode *emit_fork(PGen *P, IrNode *n) {
  uint32_t nb = 0;
  const IrEdge *branches[256];
  for (uint32_t i = 0; i < n->nout && nb < 256; i++) {
    const IrEdge *e = out_edge(P->p, n, i);
    if (e->kind != IR_E_FLOW && e->kind != IR_E_LOOP) continue;
    uint32_t j = nb++;
    while (j > 0 && branches[j - 1]->arm > e->arm) { /* by branch order */
      branches[j] = branches[j - 1];
      j--;
    }
    branches[j] = e;
  }
  if (nb == 0 || nb > 255) {
    fail(P->g, "process `%s`: a parallel needs 1 to 255 branches", P->p->name);
    return NULL;
  }
  /* Branches go on the work stack last first, so the first is laid out first. */
  uint32_t labels[255];
  for (uint32_t i = nb; i-- > 0;) labels[i] = target_label(P, branches[i]->to);
  emit(P, BPT_OP_FORK, n->u.fork.group, n->kind == IR_FORK ? 0u : 1u, nb, labels);
  return NULL;
}

/* ---- try scopes ---- */

/* The CATCH edges of TRY n by arm (ir_finish checked: arms 0 .. k-1, once each), into
 * edges[]; returns k. */
static uint32_t catch_edges(const PGen *P, const IrNode *n, const IrEdge **edges) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n->nout; i++)
    if (out_edge(P->p, n, i)->kind == IR_E_CATCH) k++;
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = out_edge(P->p, n, i);
    if (e->kind == IR_E_CATCH && e->arm < k) edges[e->arm] = e;
  }
  return k;
}

/* A constant list of strings: codes (n of them; 0: the empty list). */
static uint16_t codes_const(PGen *P, const char *const *codes, uint32_t n) {
  BptConst c = {0};
  c.type = BPT_T_LIST | BPT_T_STRING;
  c.nitems = n;
  c.items = arena_alloc(&P->g->arena, (n + 1) * sizeof *c.items);
  for (uint32_t i = 0; i < n; i++) {
    BptConst item = {0};
    item.type = BPT_T_STRING;
    item.str = intern(P->g, codes[i]);
    c.items[i] = add_const(P->g, &item);
  }
  return add_const(P->g, &c);
}

/* TRY g k s catch: k holds the codes of every CATCH edge together (the empty list when one
 * catches any error); the catch target is a dispatch, laid out later, that picks the first
 * CATCH edge whose codes hold the caught code (slot s). */
static IrNode *emit_try(PGen *P, IrNode *n) {
  const IrEdge **edges = xcalloc(n->nout + 1, sizeof *edges);
  uint32_t k = catch_edges(P, n, edges), total = 0;
  bool any = false;
  for (uint32_t i = 0; i < k; i++) {
    if (!edges[i]) continue;
    any = any || edges[i]->ncodes == 0;
    total += edges[i]->ncodes;
  }
  const char **all = xcalloc(total + 1, sizeof *all);
  uint32_t m = 0;
  for (uint32_t i = 0; i < k && !any; i++)
    for (uint32_t j = 0; edges[i] && j < edges[i]->ncodes; j++) all[m++] = edges[i]->codes[j];
  uint16_t codes = codes_const(P, all, any ? 0 : m);
  free(all);
  free(edges);
  uint32_t dispatch = new_label(P);
  push_work(P, dispatch, n, WORK_CATCH);
  emit(P, BPT_OP_TRY, n->u.try_.group, codes, n->u.try_.slot, dispatch);
  return flow_successor(P->p, n);
}

/* SPAWN: the flow its TIMER edge leads to starts as a thread of its own, laid out as a
 * further entry point like a step's handlers. */
static void emit_spawn(PGen *P, IrNode *n) {
  for (uint32_t i = 0; i < n->nout; i++) {
    IrEdge *e = ir_edge_at(P->p, n->out[i]);
    if (e->kind != IR_E_TIMER) continue;
    emit(P, BPT_OP_SPAWN, node_label(e->to));
    push_entry(P, e->to);
    return;
  }
}

/* A jump to node t (placed or to be placed). */
static void jump_to(PGen *P, IrNode *t) {
  if (P->placed[t->index] && t->kind != IR_JOIN && t->kind != IR_RACE_JOIN && t->kind != IR_STATE) {
    P->jumps_to[t->index]++;
    emit(P, BPT_OP_JUMP, node_label(t));
  } else {
    emit(P, BPT_OP_JUMP, target_label(P, t));
  }
}

/* The catch dispatch of TRY n: each CATCH edge in order, `code in [codes]`. */
static void emit_catch_dispatch(PGen *P, IrNode *n) {
  const IrEdge **edges = xcalloc(n->nout + 1, sizeof *edges);
  uint32_t k = catch_edges(P, n, edges);
  bool done = false;
  for (uint32_t i = 0; i < k && !done; i++) {
    const IrEdge *e = edges[i];
    if (!e) continue;
    if (e->ncodes == 0) {
      jump_to(P, e->to);
      done = true;
      break;
    }
    uint32_t next = new_label(P);
    emit1(P, BPT_OP_LOAD, n->u.try_.slot);
    emit(P, BPT_OP_CONST, codes_const(P, e->codes, e->ncodes));
    emit1(P, BPT_OP_IN, 0);
    emit(P, BPT_OP_JUMP_IF_FALSE, next);
    jump_to(P, e->to);
    place_label(P, next);
  }
  if (!done) emit(P, BPT_OP_FAIL, intern(P->g, "an error reached a catch that does not take it"));
  free(edges);
}

/* The event gateway n is one of the events of, or NULL. An event gateway is
 * a race: FORK any=1 with a branch per event; each event's code is followed
 * by the race's JOIN, so the first to happen withdraws the others. */
static const IrNode *event_gateway(const IrProc *p, const IrNode *n) {
  if (n->nin != 1) return NULL;
  const IrNode *from = ir_edge_at(p, n->in[0])->from;
  return from->kind == IR_EVENT_WAIT ? from : NULL;
}

/* A message wait: RECEIVE name n, then each payload field taken and stored (the
 * runtime reads these pairs to check a delivery, docs/bytecode.md). */
static void emit_receive(PGen *P, const IrNode *n) {
  emit(P, BPT_OP_RECEIVE, intern(P->g, n->u.receive.name), n->u.receive.nfields);
  for (uint32_t i = 0; i < n->u.receive.nfields; i++) {
    const IrReqField *f = &n->u.receive.fields[i];
    emit(P, BPT_OP_MSG_TAKE, intern(P->g, f->name));
    emit1(P, f->to_slot ? BPT_OP_STORE : BPT_OP_STORE_FIELD, f->index);
  }
}

/* Emits node n (already placed) and returns the node its thread goes on to,
 * or NULL when the thread ends here or continues elsewhere. */
static IrNode *emit_node(PGen *P, IrNode *n) {
  const IrProc *p = P->p;
  switch (n->kind) {
  case IR_START: emit_prologue(P); break;
  case IR_END: emit1(P, BPT_OP_END, 0); return NULL;
  case IR_TERMINATE:
    if (n->u.terminate.reason) emit_as(P, n->u.terminate.reason, &type_string);
    else emit_string(P, "");
    emit1(P, BPT_OP_TERMINATE, 0);
    return NULL;
  case IR_TASK: case IR_APPROVE: case IR_REVIEW: case IR_REQUEST: emit_human(P, n); break;
  case IR_ACTION: emit_action(P, n); break;
  case IR_NOTIFY:
    emit_who(P, &n->u.notify.who);
    emit_as(P, n->u.notify.message, &type_string);
    emit1(P, BPT_OP_NOTIFY, 0);
    break;
  case IR_LOG:
    emit_as(P, n->u.log.text, &type_string);
    emit1(P, BPT_OP_LOG, 0);
    break;
  case IR_ASSIGN:
    emit_as(P, n->u.assign.value, n->u.assign.type);
    emit1(P, n->u.assign.to_slot ? BPT_OP_STORE : BPT_OP_STORE_FIELD, n->u.assign.index);
    break;
  case IR_START_PROCESS: emit_start_process(P, n); break;
  case IR_WAIT:
    emit_as(P, n->u.wait.value, &type_duration);
    emit1(P, BPT_OP_WAIT, 0);
    break;
  case IR_WAIT_UNTIL:
    emit_expr(P, n->u.wait.value);
    emit1(P, BPT_OP_WAIT_UNTIL, 0);
    break;
  case IR_CHOICE: return emit_choice_arm(P, n, 0);
  case IR_MERGE: case IR_STATE: break;
  case IR_FORK: case IR_RACE: case IR_EVENT_WAIT: return emit_fork(P, n);
  case IR_ITER_START:
    emit_expr(P, n->u.iter_start.list);
    emit1(P, BPT_OP_ITER_START, n->u.iter_start.slot);
    break;
  case IR_ITER_NEXT: return emit_iter_next(P, n);
  case IR_GOTO: emit(P, BPT_OP_GOTO, n->u.state.state); return NULL;
  case IR_REASSIGN:
    emit_who(P, &n->u.reassign.who);
    if (n->u.reassign.due) emit_expr(P, n->u.reassign.due);
    emit(P, BPT_OP_REASSIGN, n->u.reassign.due ? 2u : 1u);
    break;
  case IR_ADD:
    emit_who(P, &n->u.add.who);
    emit1(P, BPT_OP_ADD_PEOPLE, 0);
    break;
  case IR_HANDLER_END: emit1(P, BPT_OP_HANDLER_END, 0); return NULL;
  case IR_IDLE: emit1(P, BPT_OP_STATE_IDLE, 0); return NULL;
  case IR_TRY: return emit_try(P, n);
  case IR_TRY_END: emit(P, BPT_OP_TRY_END, n->u.try_.group); break;
  case IR_THROW:
    emit_as(P, n->u.throw_.code, &type_string);
    if (n->u.throw_.message) emit_as(P, n->u.throw_.message, &type_string);
    else emit_string(P, "");
    emit1(P, BPT_OP_THROW, 0);
    return NULL;
  case IR_RECEIVE: emit_receive(P, n); break;
  case IR_SPAWN: emit_spawn(P, n); break;
  default: /* IR_BRANCH is on no path; a join is emitted per edge (chain) */
    fail(P->g, "process `%s`: node %s cannot be on a path", p->name, n->id);
    return NULL;
  }
  const IrNode *gateway = event_gateway(p, n);
  if (gateway) emit(P, BPT_OP_JOIN, gateway->u.fork.group, 1u); /* first event: cancel the rest */
  IrNode *next = flow_successor(p, n);
  if (!next) emit1(P, BPT_OP_END, 0); /* a graph from an importer may stop anywhere */
  return next;
}

/* Nodes that only end a block keep the position of what came before them. */
static void place_node(PGen *P, IrNode *n) {
  P->g->at = n;
  place_label(P, node_label(n));
  P->placed[n->index] = true;
  note_done(P, n);
  if (n->kind != IR_IDLE && n->kind != IR_HANDLER_END && n->kind != IR_MERGE)
    add_line(P, n->line, n->col);
}

/* Emits the chain of nodes starting at n, until its thread ends or goes on
 * at code placed elsewhere. */
static void chain(PGen *P, IrNode *n) {
  while (n && !P->g->failed) {
    if (is_join(n)) {
      emit(P, BPT_OP_JOIN, n->u.fork.group, n->u.fork.nbranches);
      if (++P->arrivals[n->index] == n->nin) note_done(P, n);
      n = flow_successor(P->p, n);
      if (!n) emit1(P, BPT_OP_END, 0);
      continue;
    }
    if (n->kind == IR_STATE) { /* flowing into a state enters it */
      emit(P, BPT_OP_GOTO, n->u.state.state);
      return;
    }
    if (P->placed[n->index]) {
      P->jumps_to[n->index]++;
      emit(P, BPT_OP_JUMP, node_label(n));
      return;
    }
    if (n->kind == IR_MERGE && !ready(P, n)) {
      emit(P, BPT_OP_JUMP, node_label(n));
      VEC_PUSH(P->deferred, P->ndeferred, P->deferred_cap, n);
      return;
    }
    place_node(P, n);
    n = emit_node(P, n);
  }
}

/* Runs the work stack, then the deferred merges, until both are empty. */
static void drain(PGen *P) {
  for (;;) {
    if (P->nwork) {
      Work w = P->work[--P->nwork];
      if (w.arm == WORK_NODE) {
        if (P->placed[w.node->index]) continue;
        if (w.node->kind == IR_MERGE && !ready(P, w.node)) {
          VEC_PUSH(P->deferred, P->ndeferred, P->deferred_cap, w.node);
          continue;
        }
        chain(P, w.node);
        continue;
      }
      place_label(P, w.label);
      if (w.arm == WORK_CATCH) {
        emit_catch_dispatch(P, w.node);
      } else if (w.arm >= 0) {
        const IrEdge *e = cond_arm(P, w.node, w.arm);
        if (e && e->cond) add_line(P, e->line, e->col);
        chain(P, emit_choice_arm(P, w.node, w.arm));
      } else {
        chain(P, w.node);
      }
      continue;
    }
    uint32_t i = P->deferred_from; /* placed stays placed: no need to look again */
    while (i < P->ndeferred && P->placed[P->deferred[i]->index]) i++;
    P->deferred_from = i;
    if (i == P->ndeferred) return;
    IrNode *m = P->deferred[i];
    place_node(P, m);
    chain(P, emit_node(P, m));
  }
}

/* An entry point: a handler's first node, a state (its enter block), a
 * command body. */
static void emit_entry(PGen *P, IrNode *n) {
  if (P->placed[n->index]) return;
  if (n->kind == IR_STATE) {
    place_node(P, n);
    IrNode *enter = flow_successor(P->p, n);
    if (enter) chain(P, enter);
    else emit1(P, BPT_OP_STATE_IDLE, 0);
  } else {
    chain(P, n);
  }
  drain(P);
}

/* An expression fragment (`when`, `by`): its pc. */
static uint32_t emit_fragment_when(PGen *P, const IrExpr *e, uint32_t line, uint32_t col) {
  uint32_t pc = P->code.len;
  add_line(P, line, col);
  emit_as(P, e, &type_bool);
  emit1(P, BPT_OP_RESULT, 0);
  return pc;
}

static uint32_t emit_fragment_by(PGen *P, const IrWho *who, uint32_t line, uint32_t col) {
  uint32_t pc = P->code.len;
  add_line(P, line, col);
  emit_who(P, who);
  emit1(P, BPT_OP_RESULT, 0);
  return pc;
}

static uint32_t label_pc(const PGen *P, uint32_t label) {
  return label == UINT32_MAX ? BPT_NO_PC : P->label_pc[label];
}

static void resolve_fixups(PGen *P) {
  for (uint32_t i = 0; i < P->nfixups; i++) {
    const Fixup *f = &P->fixups[i];
    uint32_t target = P->label_pc[f->label];
    if (target == BPT_NO_PC) {
      fail(P->g, "process `%s`: a jump to code that was never placed", P->p->name);
      return;
    }
    set_u32(&P->code, f->at, (uint32_t)((int64_t)target - (int64_t)f->end));
  }
}

/* ---- process descriptors and the graph ------------------------------------------- */

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
    [IR_TRY] = BPT_N_MERGE,         [IR_TRY_END] = BPT_N_MERGE,
    [IR_THROW] = BPT_N_TERMINATE,
    [IR_RECEIVE] = BPT_N_TIMER,     /* an intermediate catch event, as a timer is drawn */
    [IR_SPAWN] = BPT_N_FORK,        /* a split whose new token is not joined */
};

static const uint8_t bpt_edge_kinds[IR_E_KIND_COUNT] = {
    [IR_E_FLOW] = BPT_E_FLOW,   [IR_E_COND] = BPT_E_COND,   [IR_E_ELSE] = BPT_E_ELSE,
    [IR_E_LOOP] = BPT_E_LOOP,   [IR_E_TIMER] = BPT_E_TIMER, [IR_E_COMMAND] = BPT_E_COMMAND,
    [IR_E_GOTO] = BPT_E_GOTO,   [IR_E_CATCH] = BPT_E_COND};

unsigned codegen_node_kind(IrNodeKind k) { return k < IR_NODE_KIND_COUNT ? bpt_node_kinds[k] : BPT_N_END; }
unsigned codegen_edge_kind(IrEdgeKind k) { return k < IR_E_KIND_COUNT ? bpt_edge_kinds[k] : BPT_E_FLOW; }

/* A string of the graph, hashed ahead of its lookup (len 0: "" or NULL, string 0). */
typedef struct Hashed {
  const char *s;
  size_t len;
  uint32_t hash;
} Hashed;

static Hashed hashed(const NumMap *m, const char *s) {
  Hashed h = {s, 0, 0};
  if (!s || !*s) return h;
  h.len = strlen(s);
  if (h.len > UINT32_MAX / 2) return h; /* intern_hashed refuses it */
  h.hash = bytes_hash((const uint8_t *)s, (uint32_t)h.len);
  __builtin_prefetch(&m->slots[h.hash & (m->cap - 1)]);
  return h;
}

static uint32_t intern_ahead(Gen *g, const Hashed *h) {
  return h->len ? intern_hashed(g, h->s, h->len, h->hash) : 0;
}

/* The strings of a process's nodes and edges are hashed, and their slots of the string
 * table fetched (a prefetch), before the first is looked up: nearly every lookup is
 * made here (290,000 at 100,000 lines, most of them new ids), and the table (2 MB) is
 * not in the cache, so each waited for its slot in turn (71% of the lookup's cycles on
 * that load). The lookups and their order are as before; the table may grow between, a
 * prefetch then only fetches a line for nothing. */
static void graph_of(PGen *P, BptProcess *bp) {
  Gen *g = P->g;
  const IrProc *p = P->p;
  uint32_t nn = p->nodes.n, ne = p->edges.n;
  Hashed *h = scratch_alloc(&g->arrays, 3 * (size_t)nn + ne + 1, sizeof *h);
  const IrIdHash *ids = p->id_hashes;
  for (uint32_t i = 0; i < nn; i++) {
    const IrNode *n = ir_node_at(p, i);
    if (ids && ids[i].id == n->id && ids[i].len) { /* hashed by ir_finish */
      h[3 * i] = (Hashed){n->id, ids[i].len, ids[i].hash};
      __builtin_prefetch(&g->string_map.slots[ids[i].hash & (g->string_map.cap - 1)]);
    } else {
      h[3 * i] = hashed(&g->string_map, n->id);
    }
    h[3 * i + 1] = hashed(&g->string_map, n->title);
    h[3 * i + 2] = hashed(&g->string_map, n->detail);
  }
  for (uint32_t i = 0; i < ne; i++) h[3 * nn + i] = hashed(&g->string_map, ir_edge_at(p, i)->label);
  bp->first_node = g->nnodes;
  bp->nnodes = nn;
  for (uint32_t i = 0; i < nn; i++) {
    const IrNode *n = ir_node_at(p, i);
    BptNode bn = {(uint8_t)codegen_node_kind(n->kind), intern_ahead(g, &h[3 * i]),
                  intern_ahead(g, &h[3 * i + 1]), intern_ahead(g, &h[3 * i + 2]), n->line, n->col,
                  n->cluster ? P->first_node + n->cluster->index : BPT_NO_PC};
    VEC_PUSH(g->nodes, g->nnodes, g->nodes_cap, bn);
  }
  bp->first_edge = g->nedges;
  bp->nedges = ne;
  for (uint32_t i = 0; i < ne; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    BptEdge be = {P->first_node + e->from->index, P->first_node + e->to->index,
                  (uint8_t)codegen_edge_kind(e->kind), intern_ahead(g, &h[3 * nn + i])};
    VEC_PUSH(g->edges, g->nedges, g->edges_cap, be);
  }
}

static void slots_of(PGen *P, BptProcess *bp) {
  const IrProc *p = P->p;
  if (p->slots.n > 0xFFFE) fail(P->g, "process `%s` has more than 65534 slots", p->name);
  bp->nslots = (uint16_t)p->slots.n;
  bp->slots = arena_alloc(&P->g->arena, (p->slots.n + 1) * sizeof *bp->slots);
  for (uint32_t i = 0; i < p->slots.n; i++) {
    const IrSlot *s = ir_slot_at(p, i);
    bp->slots[i] = (BptSlot){intern(P->g, s->name), codegen_type_code(s->type), (uint8_t)s->kind};
  }
  bp->nparams = (uint16_t)p->params.n;
  bp->params = arena_alloc(&P->g->arena, (p->params.n + 1) * sizeof *bp->params);
  for (uint32_t i = 0; i < p->params.n; i++) {
    const IrParam *prm = p->params.items[i];
    bp->params[i] = (BptParam){prm->slot, intern(P->g, prm->label), prm->required};
  }
}

static void states_of(PGen *P, BptProcess *bp) {
  const IrProc *p = P->p;
  bp->nstates = (uint16_t)p->nstates;
  bp->states = arena_alloc(&P->g->arena, (p->nstates + 1) * sizeof *bp->states);
  for (uint32_t i = 0; i < p->nstates; i++) {
    const IrState *st = &p->states[i];
    BptState *bs = &bp->states[i];
    bs->name = intern(P->g, st->name);
    bs->label = intern(P->g, st->label);
    bs->final = st->final;
    bs->enter_pc = P->label_pc[node_label(st->node)];
    bs->ncommands = (uint16_t)st->ncommands;
    bs->commands = arena_alloc(&P->g->arena, (st->ncommands + 1) * sizeof *bs->commands);
    for (uint32_t j = 0; j < st->ncommands; j++) {
      const IrCommand *c = &st->commands[j];
      BptCommand *bc = &bs->commands[j];
      bc->name = intern(P->g, c->name);
      bc->label = intern(P->g, c->label);
      bc->by_pc = c->by.n ? emit_fragment_by(P, &c->by, c->line, c->col) : BPT_NO_PC;
      bc->target = c->target >= 0 ? (uint16_t)c->target : BPT_NONE16;
      bc->body_pc = c->target < 0 && c->body ? P->label_pc[node_label(c->body)] : BPT_NO_PC;
    }
  }
}

static void trigger_of(PGen *P, BptProcess *bp) {
  const IrTrigger *t = &P->p->trigger;
  static const uint8_t triggers[] = {[IR_TRIG_MANUAL] = BPT_TRIG_MANUAL,
                                     [IR_TRIG_CREATE] = BPT_TRIG_CREATE,
                                     [IR_TRIG_CHANGE] = BPT_TRIG_CHANGE,
                                     [IR_TRIG_TIMER] = BPT_TRIG_TIMER};
  bp->trigger = triggers[t->kind];
  bp->schedule = intern(P->g, t->kind == IR_TRIG_TIMER && t->schedule ? t->schedule : "");
  if (t->nfields > 255) fail(P->g, "process `%s`: a trigger on more than 255 fields", P->p->name);
  bp->ntrigger_fields = (uint8_t)t->nfields;
  bp->trigger_fields = arena_alloc(&P->g->arena, (t->nfields + 1) * sizeof *bp->trigger_fields);
  if (t->nfields) memcpy(bp->trigger_fields, t->fields, t->nfields * sizeof *bp->trigger_fields);
  bp->when_pc = t->when ? emit_fragment_when(P, t->when, t->line, t->col) : BPT_NO_PC;
}

/* The vectors go back to the Gen with their room; the work arrays are the Gen's
 * scratch, reset by the next process. */
static void free_pgen(PGen *P) {
  free(P->code.data);
  *P->g->vectors = (PGenVectors){P->label_pc, P->labels_cap, P->fixups, P->fixups_cap,
                                 P->work, P->work_cap, P->deferred, P->deferred_cap,
                                 P->entries, P->entries_cap};
}

static void free_vectors(PGenVectors *v) {
  free(v->label_pc);
  free(v->fixups);
  free(v->work);
  free(v->deferred);
  free(v->entries);
}

/* The memory a process's body was made in, when lowering made it on the other thread:
 * asked for at once, not line by line as the walks first meet it. */
static void prefetch_body(const IrProc *p) {
  uintptr_t from = (uintptr_t)p->made_from, to = (uintptr_t)p->made_to;
  if (!from || to <= from || to - from > 256 * 1024) return;
  for (; from < to; from += 64) __builtin_prefetch((const void *)from);
}

static void gen_process(Gen *g, const IrProc *p, BptProcess *bp) {
  prefetch_body(p);
  PGen P;
  memset(&P, 0, sizeof P);
  P.g = g;
  P.p = p;
  P.first_line = g->nlines;
  P.first_node = g->nnodes;
  P.code = g->scratch;
  P.code.len = 0;
  const PGenVectors *v = g->vectors;
  P.label_pc = v->label_pc, P.labels_cap = v->labels_cap;
  P.fixups = v->fixups, P.fixups_cap = v->fixups_cap;
  P.work = v->work, P.work_cap = v->work_cap;
  P.deferred = v->deferred, P.deferred_cap = v->deferred_cap;
  P.entries = v->entries, P.entries_cap = v->entries_cap;
  scratch_reset(&g->arrays);
  uint32_t nn = p->nodes.n;
  for (uint32_t i = 0; i < nn; i++) new_label(&P); /* label i is node i's */
  P.placed = scratch_calloc(&g->arrays, nn + 1, sizeof *P.placed);
  P.arrivals = scratch_calloc(&g->arrays, nn + 1, sizeof *P.arrivals);
  P.jumps_to = scratch_calloc(&g->arrays, nn + 1, sizeof *P.jumps_to);
  index_process(&P);
  P.steps = arena_alloc(&g->arena, (p->nsteps + 1) * sizeof *P.steps);
  P.step_labels = arena_alloc(&g->arena, (p->nsteps + 1) * sizeof *P.step_labels);
  for (uint32_t i = 0; i < p->nsteps; i++) P.step_labels[i].timeout = UINT32_MAX;

  bp->name = intern(g, p->name);
  bp->title = intern(g, p->title);
  bp->doctype = p->doc >= 0 ? (uint16_t)p->doc : BPT_NONE16;
  if (p->ngroups > 0xFFFF || p->nsteps > 0xFFFF || p->nstates > 0xFFFE)
    fail(g, "process `%s` is too large for a bundle", p->name);
  bp->ngroups = (uint16_t)p->ngroups;
  bp->entry_pc = 0;

  if (p->start) {
    chain(&P, p->start);
    drain(&P);
  } else {
    emit(&P, BPT_OP_END);
  }
  for (uint32_t i = 0; i < p->nstates; i++) push_entry(&P, p->states[i].node);
  for (uint32_t i = 0; i < p->nstates; i++)
    for (uint32_t j = 0; j < p->states[i].ncommands; j++)
      if (p->states[i].commands[j].body) push_entry(&P, p->states[i].commands[j].body);
  for (uint32_t i = 0; i < P.nentries && !g->failed; i++) emit_entry(&P, P.entries[i]);
  for (uint32_t i = 0; i < nn && !g->failed; i++) /* nodes no path reaches */
    if (!P.placed[i] && ir_node_at(p, i)->kind == IR_STATE) emit_entry(&P, ir_node_at(p, i));

  g->at = NULL; /* the fragments and tables below belong to no node */
  trigger_of(&P, bp);
  slots_of(&P, bp);
  states_of(&P, bp);
  resolve_fixups(&P);
  for (uint32_t i = 0; i < p->nsteps; i++) {
    BptStep *s = &P.steps[i];
    s->timeout_pc = label_pc(&P, P.step_labels[i].timeout);
    for (uint32_t j = 0; j < s->nreminds; j++)
      s->remind_pc[j] = label_pc(&P, P.step_labels[i].reminds[j]);
    for (uint32_t j = 0; j < s->nafters; j++)
      s->after_pc[j] = label_pc(&P, P.step_labels[i].afters[j]);
  }
  bp->steps = P.steps;
  bp->nsteps = (uint16_t)p->nsteps;
  graph_of(&P, bp);
  bp->first_line = P.first_line;
  bp->nlines = g->nlines - P.first_line;
  bp->code_offset = g->code.len;
  bp->code_size = P.code.len;
  put_bytes(&g->code, P.code.data, P.code.len);
  g->scratch = P.code;
  P.code = (ByteBuf){0};
  free_pgen(&P);
}

/* ---- documents, actions, the bundle ------------------------------------------------ */

static void gen_doctypes(Gen *g, BptBundle *b) {
  const IrProgram *ir = g->ir;
  b->ndoctypes = ir->ndocs;
  b->doctypes = arena_alloc(&g->arena, (ir->ndocs + 1) * sizeof *b->doctypes);
  for (uint32_t i = 0; i < ir->ndocs; i++) {
    const IrDoc *d = &ir->docs[i];
    BptDoctype *bd = &b->doctypes[i];
    bd->name = intern(g, d->name);
    bd->nfields = d->nfields;
    bd->fields = arena_alloc(&g->arena, (d->nfields + 1) * sizeof *bd->fields);
    for (uint32_t j = 0; j < d->nfields; j++) {
      const IrDocField *f = &d->fields[j];
      BptField *bf = &bd->fields[j];
      bf->name = intern(g, f->name);
      bf->type = codegen_type_code(f->type);
      bf->def = BPT_NONE16;
      if (!f->def) continue;
      BptConst c;
      if (const_value(g, f->def, f->type, &c, 0) && (c.type == bf->type || (c.type & BPT_T_LIST)))
        bf->def = add_const(g, &c);
      else
        fail(g, "the default of `%s.%s` cannot be computed when compiling; write a literal",
             d->name, f->name);
    }
  }
}

static void gen_actions(Gen *g, BptBundle *b) {
  const IrProgram *ir = g->ir;
  b->nactions = ir->nactions;
  b->actions = arena_alloc(&g->arena, (ir->nactions + 1) * sizeof *b->actions);
  for (uint32_t i = 0; i < ir->nactions; i++) {
    const IrAction *a = &ir->actions[i];
    BptAction *ba = &b->actions[i];
    ba->name = intern(g, a->name);
    ba->result = codegen_type_code(a->result);
    if (a->nparams > 255) fail(g, "action `%s` has more than 255 parameters", a->name);
    ba->nparams = (uint8_t)a->nparams;
    ba->params = arena_alloc(&g->arena, (a->nparams + 1) * sizeof *ba->params);
    for (uint32_t j = 0; j < a->nparams; j++)
      ba->params[j] = (BptParamType){intern(g, a->params[j].name), codegen_type_code(a->params[j].type)};
  }
}

/* The GRAPH section's arrays at their final size: every node and edge of the IR
 * goes there once (graph_of), so they are not grown by doubling and copied. */
static void reserve_graph(Gen *g, size_t nodes) {
  size_t edges = nodes + nodes / 8; /* as many edges as nodes, and a few more */
  if (!g->copy_strings) {
    nodes = edges = 0;
    for (uint32_t i = 0; i < g->ir->nprocs; i++) {
      nodes += g->ir->procs[i].nodes.n;
      edges += g->ir->procs[i].edges.n;
    }
  }
  if (nodes >= UINT32_MAX || edges >= UINT32_MAX) return; /* graph_of grows them and fails */
  g->nodes_cap = (uint32_t)nodes + 1;
  g->nodes = xrealloc(g->nodes, g->nodes_cap * sizeof *g->nodes);
  g->edges_cap = (uint32_t)edges + 1;
  g->edges = xrealloc(g->edges, g->edges_cap * sizeof *g->edges);
}

/* The string table sized from the IR before the first string: a bundle has about one
 * string per node (its id, label and names), and a table grown by doubling rehashed
 * every entry at each step (131,072 of them for bench/gen.sh's 100,000 lines). Only the
 * probing depends on the size, never the strings' numbers or the bundle's bytes. */
static void reserve_strings(Gen *g, size_t nodes) {
  if (!g->copy_strings) {
    nodes = 0;
    for (uint32_t i = 0; i < g->ir->nprocs; i++) nodes += g->ir->procs[i].nodes.n;
  }
  size_t want = 2 * (nodes + nodes / 4 + 128), cap = 256;
  while (cap < want && cap < ((size_t)1 << 24)) cap *= 2;
  g->string_map.cap = (uint32_t)cap;
  g->string_map.slots = xcalloc(cap, sizeof *g->string_map.slots);
  /* The list of strings at the size the table expects, not grown by doubling from 16:
   * its 13 copies at 100,000 lines left 2 MB of holes behind in the heap. */
  g->strings_cap = (uint32_t)(want / 2);
  g->strings = xrealloc(g->strings, g->strings_cap * sizeof *g->strings);
}

Codegen *codegen_start(const IrProgram *ir, bool copy_strings, size_t expect_nodes,
                       BptError *err) {
  Gen *g = xcalloc(1, sizeof *g);
  g->vectors = xcalloc(1, sizeof *g->vectors);
  g->ir = ir;
  g->err = err;
  g->copy_strings = copy_strings;
  arena_init(&g->arena);
  err->message[0] = 0;
  reserve_strings(g, expect_nodes);
  intern_n(g, "", 0); /* string 0 */

  if (!ir->finished) fail(g, "the IR was not finished (ir_finish)");
  else if (ir->nerrors) {
    char why[sizeof err->message];
    ir_error_text(ir, &ir->errors[0], why, sizeof why);
    fail(g, "%s", why);
  }

  BptBundle *b = &g->b;
  /* The name as spelled lexically clean (./a.bp and a.bp give the same bytes); the
   * text's size and CRC let a reader know the file again (bpc disasm). */
  char *source_name = path_clean(ir->source_path);
  b->source_file = intern(g, arena_strdup(&g->arena, source_name)); /* interned strings are not copied */
  free(source_name);
  if (ir->source_text && *ir->source_path && ir->source_len <= UINT32_MAX) {
    b->source_known = true;
    b->source_size = (uint32_t)ir->source_len;
    b->source_crc = bpt_crc32c(0, ir->source_text, ir->source_len);
  }
  gen_doctypes(g, b);
  gen_actions(g, b);
  if (ir->nprocs > 0xFFFF) fail(g, "more than 65535 processes in one bundle");
  b->nprocesses = ir->nprocs;
  b->processes = arena_alloc(&g->arena, (ir->nprocs + 1) * sizeof *b->processes);
  reserve_graph(g, expect_nodes);
  return g;
}

void codegen_process(Codegen *g, const IrProc *p) {
  uint32_t i = g->next_proc++;
  if (!g->failed && i < g->ir->nprocs) gen_process(g, p, &g->b.processes[i]);
}

void codegen_each(IrProgram *ir, IrProc *p, void *ctx) {
  CodegenRun *run = ctx;
  /* bench/gen.sh's programs have a node for every 47 bytes of text: tables sized for one
   * every 40 are not grown (nor the memory of their growth left behind, in pieces too
   * small for the bundle's bytes, which then took 1,500 page faults more) */
  if (!run->g) run->g = codegen_start(ir, true, ir->source_len / 40, run->err);
  codegen_process(run->g, p);
}

Codegen *codegen_run_all(CodegenRun *run, const IrProgram *ir) {
  if (!run->g) {
    run->g = codegen_start(ir, false, 0, run->err);
    for (uint32_t i = 0; i < ir->nprocs; i++) codegen_process(run->g, &ir->procs[i]);
  }
  return run->g;
}

bool codegen_end(Codegen *g, uint8_t **out, size_t *out_len) {
  BptError *err = g->err;
  *out = NULL;
  *out_len = 0;
  /* What ir_finish refused comes first, as when every process was finished before the
   * first was generated (a process's code that failed earlier says less). */
  if (g->ir->nerrors) {
    char why[sizeof err->message];
    ir_error_text(g->ir, &g->ir->errors[0], why, sizeof why);
    g->failed = false;
    g->at = NULL;
    fail(g, "%s", why);
  }
  BptBundle *b = &g->b;
  b->strings = g->strings;
  b->nstrings = g->nstrings;
  b->consts = g->consts;
  b->nconsts = g->nconsts;
  b->code = g->code.data;
  b->code_size = g->code.len;
  b->lines = g->lines;
  b->nlines = g->nlines;
  b->nodes = g->nodes;
  b->nnodes = g->nnodes;
  b->edges = g->edges;
  b->nedges = g->nedges;
  bool ok = !g->failed && bpt_write(b, heap_realloc, NULL, out, out_len, err);

  free(g->string_map.slots);
  free(g->const_map.slots);
  free(g->strings);
  free(g->consts);
  free(g->code.data);
  free(g->scratch.data);
  scratch_free(&g->arrays);
  free_vectors(g->vectors);
  free(g->vectors);
  free(g->lines);
  free(g->nodes);
  free(g->edges);
  arena_free(&g->arena);
  free(g);
  return ok;
}

bool codegen_bundle(const IrProgram *ir, uint8_t **out, size_t *out_len, BptError *err) {
  Codegen *g = codegen_start(ir, false, 0, err);
  for (uint32_t i = 0; i < ir->nprocs && !g->failed; i++) codegen_process(g, &ir->procs[i]);
  return codegen_end(g, out, out_len);
}
