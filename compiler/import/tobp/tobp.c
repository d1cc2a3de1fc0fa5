/* tobp.c — `bpc import`: a finished graph IR printed as `.bp` text (tobp.h).
 *
 * The structuring is a walk of each flow from its entry that turns regions
 * with one entry and one exit into blocks, the way a decompiler restores
 * structured code (Cifuentes; the program structure tree of Johnson, Pearson
 * and Pingali names the same regions):
 *
 *  - a sequence goes on along the one FLOW edge of each step;
 *  - a CHOICE is an if / else-if / else whose arms run up to the choice's
 *    immediate post-dominator, where they meet; arms that end the instance
 *    (TERMINATE) or the flow (END) need not meet;
 *  - a FORK / RACE and its JOIN are a `parallel` / `parallel any`;
 *  - an EVENT_WAIT (whichever event comes first) is a `parallel any` whose
 *    branches are just the events; what follows each event runs after it,
 *    chosen by a variable the winning branch set (so a timer does not keep
 *    running beside the path of the task that won); when every continuation
 *    is instantaneous it stays inside its branch instead;
 *  - a node that back edges enter is the head of a natural loop: `loop { }`
 *    whose exits all lead to one follow node (the common post-dominator of
 *    the exit targets): an edge to the follow is a `break`, a back edge a
 *    `continue`; `loop { if not C { break } ... }` prints as `while C`;
 *    ITER_START / ITER_NEXT is a `for`.
 *
 * Every statement node is printed at most once. Where a graph is not
 * block-structured — two flows meet at a node that is no one region's exit,
 * a loop has a second entry, a back edge jumps out of a branch — the walk
 * reaches a node a second time or a jump .bp cannot write, and refuses
 * naming that node. It never prints code that would run differently.
 *
 * A try (TRY ... TRY_END with CATCH edges) is a `try { } catch { }` whose block
 * runs up to the TRY_ENDs of its group (meeting points outside the block are not
 * used inside it); steps after the block that the error paths skip run after it
 * under a flag set at the block's end.
 *
 * A new kind of IR node plugs in at one of four places: a step that runs and
 * goes on along one FLOW edge in step_stmt; one that may follow an
 * EVENT_WAIT also in event_stmt's test; a construct with a region of its own
 * (a try block, say) as a case of walk's switch, built like choice_stmt; an
 * end that ends the instance (a throw) beside IR_TERMINATE in walk, one that
 * ends only its flow beside IR_END there and in tobp_graph.c's ends_flow. A
 * new expression kind goes into expr, a new edge kind of the flow into
 * tobp_is_flow. Until then each is refused by name.
 *
 * The tree is built with the front end's builders (parse_tree.h) and printed
 * with fmt_program, so the text is canonical. Positions: every node has an
 * empty span at offset 0 of an empty source, so the formatter keeps no blank
 * lines and no comments, and prints a block of one short statement on one
 * line, as it does for such source. */
#include "tobp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "keyword.h"
#include "lex.h"
#include "parse.h"
#include "parse_tree.h"
#include "tobp_int.h"

/* Deepest nesting of blocks the walk builds: the parser reads the text back
 * and refuses more than PARSE_MAX_DEPTH levels (expressions inside count). */
enum { MAX_NESTING = PARSE_MAX_DEPTH / 2 };

typedef struct Loop {
  const IrNode *head;
  const IrNode *follow; /* where `break` goes; NULL: the end of the flow */
  uint32_t *members;    /* sorted node indices of the natural loop */
  uint32_t nmembers;
  bool broke;           /* a break was written: the loop can complete */
} Loop;

/* A set of names (open addressing; strings live in the program's arena). */
typedef struct NameSet {
  const char **slots;
  uint32_t cap, n;
} NameSet;

typedef struct ProcNames {
  const char *name;
  const char **slots;  /* per slot; NULL for hidden slots */
  const char **params; /* per parameter */
} ProcNames;

typedef struct Tobp {
  const IrProgram *ir;
  Program *prog;
  Parser *ps;
  Diags diags;
  Source *src;
  NameSet items;         /* documents, actions, processes */
  const char **docs;     /* per document */
  const char ***fields;  /* per document, per field */
  const char **actions;  /* per action */
  ProcNames *procs;      /* per process */
  /* the process being walked */
  const IrProc *p;
  ProcNames *names;
  NameSet locals;
  TobpGraph g;
  bool *emitted;         /* per node: its statement is written */
  bool *merged;          /* per MERGE node: a walk passed it */
  const IrNode **joins;  /* per fork group: its JOIN / RACE_JOIN, or NULL */
  PtrVec extra;          /* Member values (Decl*) of variables the walk adds */
  bool ids;              /* comments with the nodes' ids */
  PtrVec stmt_ids;       /* StmtId*: the statement made from a node, and its id */
  StrBuf text;           /* the made-up source the comments live in (see layout) */
  PtrVec comments;       /* Comment* */
  int depth;
  TobpError *err;
  bool failed;
  const char **schedules; /* per process: the comment on its timer start, or NULL */
  /* try scopes */
  bool *try_slot;        /* per slot: it holds the code (or message) of a caught error */
  struct Catching *catching; /* the catch blocks being walked, innermost first */
  struct TryBody *try_body;  /* the try block being walked, or NULL */
} Tobp;

/* A catch block being walked: its error's slots read as VAR.code / VAR.message. */
typedef struct Catching {
  uint16_t slot;
  const char *var;
  bool used;
  struct Catching *up;
} Catching;

/* A try block being walked: its nodes (up to the TRY_ENDs of its group), and
 * where the flow goes on after it (the one node every TRY_END reached leads to). */
typedef struct TryBody {
  const IrNode *try_node;
  bool *member;          /* per node */
  const IrEdge *after;   /* the way out of its TRY_ENDs (all lead to one node) */
  bool left;             /* a TRY_END was reached */
  struct TryBody *up;
} TryBody;

static Span nospan(void) { return span_make(0, 0); }

typedef struct StmtId {
  const Stmt *stmt;
  const char *id;
} StmtId;

/* Remembers that s was made from node n (its id goes into a comment). */
static Stmt *from_node(struct Tobp *T, Stmt *s, const IrNode *n);

static bool fail(Tobp *T, const IrNode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(Tobp *T, const IrNode *at, const char *fmt, ...) {
  if (T->failed) return false;
  T->failed = true;
  T->err->proc = T->p ? T->p->name : NULL;
  T->err->node = at ? at->id : NULL;
  T->err->line = at ? at->line : T->p ? T->p->line : 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(T->err->message, sizeof T->err->message, fmt, ap);
  va_end(ap);
  return false;
}

/* ---- names ------------------------------------------------------------------ */

static uint32_t hash_name(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static bool nameset_has(const NameSet *ns, const char *s) {
  if (!ns->cap) return false;
  for (uint32_t i = hash_name(s) & (ns->cap - 1);; i = (i + 1) & (ns->cap - 1)) {
    if (!ns->slots[i]) return false;
    if (str_eq(ns->slots[i], s)) return true;
  }
}

static void nameset_add(NameSet *ns, const char *s) {
  if ((ns->n + 1) * 2 > ns->cap) {
    NameSet bigger = {xcalloc(ns->cap ? ns->cap * 2 : 64, sizeof *ns->slots), ns->cap ? ns->cap * 2 : 64, 0};
    for (uint32_t i = 0; i < ns->cap; i++)
      if (ns->slots[i]) nameset_add(&bigger, ns->slots[i]);
    free(ns->slots);
    *ns = bigger;
  }
  uint32_t i = hash_name(s) & (ns->cap - 1);
  while (ns->slots[i]) i = (i + 1) & (ns->cap - 1);
  ns->slots[i] = s;
  ns->n++;
}

static void nameset_free(NameSet *ns) {
  free(ns->slots);
  memset(ns, 0, sizeof *ns);
}


/* `s` made a .bp identifier (letters as the scanner takes them, digits and `_`, not starting
 * with a digit, not a reserved word) that is not in `taken`, then added to
 * it. A name that is one already is kept as it is. */
static const char *unique_name(Tobp *T, NameSet *taken, const char *s, const char *fallback) {
  if (!s || !*s) s = fallback;
  StrBuf b;
  sb_init(&b);
  if (*s >= '0' && *s <= '9') sb_putc(&b, '_');
  for (const char *c = s; *c; c++) {
    uint32_t letter = lex_letter8_len(c);
    if (letter) {
      sb_putn(&b, c, letter);
      c += letter - 1;
      continue;
    }
    bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_';
    sb_putc(&b, ok ? *c : '_');
  }
  if (bp_reserved_word(b.data)) sb_putc(&b, '_');
  char *base = sb_take(&b);
  const char *name = arena_strdup(&T->prog->arena, base);
  for (uint32_t k = 2; nameset_has(taken, name); k++)
    name = arena_printf(&T->prog->arena, "%s_%u", base, k);
  free(base);
  nameset_add(taken, name);
  return name;
}

/* ---- expressions -------------------------------------------------------------- */

static Expr *expr(Tobp *T, const IrExpr *x, const IrNode *at);

static Expr *string_expr(Tobp *T, const char *s, uint32_t len) {
  PartList parts;
  LIST_INIT(parts);
  if (len) LIST_PUSH(T->ps, &parts, tree_text_part((LexText){s, len}, nospan()));
  return tree_string(T->ps, &parts, nospan());
}

/* The parts of an interpolation, nested ones flattened, into parts (a
 * PtrVec of StrPart*, pushed onto a list only when all are built). */
static void text_parts(Tobp *T, const IrExpr *x, PtrVec *parts, const IrNode *at) {
  for (uint32_t i = 0; i < x->u.list.n; i++) {
    const IrExpr *it = x->u.list.items[i];
    StrPart *part = arena_alloc(&T->prog->arena, sizeof *part);
    if (it->kind == IR_X_TEXT) {
      text_parts(T, it, parts, at);
      continue;
    }
    if (it->kind == IR_X_STRING) {
      if (memchr(it->u.str.s, 0, it->u.str.len)) fail(T, at, "a text holds a NUL character, which a .bp string cannot");
      *part = tree_text_part((LexText){it->u.str.s, it->u.str.len}, nospan());
    } else {
      *part = tree_expr_part(expr(T, it, at), nospan());
    }
    ptrvec_push(&T->prog->arena, parts, part);
  }
}

static Expr *list_expr(Tobp *T, IrExpr *const *items, uint32_t n, const IrNode *at) {
  Expr **done = arena_alloc(&T->prog->arena, (n ? n : 1) * sizeof *done);
  for (uint32_t i = 0; i < n; i++) done[i] = expr(T, items[i], at);
  ExprList l;
  LIST_INIT(l);
  for (uint32_t i = 0; i < n; i++) LIST_PUSH(T->ps, &l, done[i]);
  return tree_list(T->ps, &l, nospan());
}

/* A duration as .bp writes it: weeks, days, hours and minutes glued (`1d4h`). */
static Expr *duration_expr(Tobp *T, int64_t seconds, const IrNode *at) {
  if (seconds < 0) return tree_unary(T->ps, U_NEG, duration_expr(T, -seconds, at), nospan());
  if (seconds % 60) {
    fail(T, at, "a duration of %lld seconds: .bp durations count whole minutes", (long long)seconds);
    seconds -= seconds % 60;
  }
  static const struct { char unit; int64_t seconds; } units[] = {
      {'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}};
  StrBuf b;
  sb_init(&b);
  int64_t left = seconds;
  for (size_t i = 0; i < 4; i++) {
    if (left >= units[i].seconds) {
      sb_printf(&b, "%lld%c", (long long)(left / units[i].seconds), units[i].unit);
      left %= units[i].seconds;
    }
  }
  if (b.len == 0) sb_puts(&b, "0m");
  LexDuration d = {arena_strdup(&T->prog->arena, b.data), seconds};
  sb_free(&b);
  return tree_duration(T->ps, d, nospan());
}

/* A decimal as written: unscaled 125050, scale 2 is `1250.50`; scale 0 is
 * an int literal, which .bp turns into a decimal wherever one is wanted. */
static Expr *decimal_expr(Tobp *T, int64_t unscaled, uint8_t scale, const IrNode *at) {
  if (unscaled < 0) {
    if (unscaled == INT64_MIN) {
      fail(T, at, "the decimal is too large to write");
      unscaled = 0;
    }
    return tree_unary(T->ps, U_NEG, decimal_expr(T, -unscaled, scale, at), nospan());
  }
  if (scale == 0) return tree_int(T->ps, unscaled, nospan());
  if (scale > 18) {
    fail(T, at, "a decimal with %u fraction digits", scale);
    scale = 18;
  }
  char digits[300];
  snprintf(digits, sizeof digits, "%0*lld", scale + 1, (long long)unscaled);
  size_t len = strlen(digits);
  char *text = arena_printf(&T->prog->arena, "%.*s.%s", (int)(len - scale), digits, digits + len - scale);
  LexDecimal d = {text, unscaled, scale};
  return tree_decimal(T->ps, d, nospan());
}

static Expr *call_expr(Tobp *T, const IrExpr *x, const IrNode *at) {
  Expr **args = arena_alloc(&T->prog->arena, (x->nargs ? x->nargs : 1) * sizeof *args);
  for (uint32_t i = 0; i < x->nargs; i++) args[i] = expr(T, x->u.call.args[i], at);
  ExprList l;
  LIST_INIT(l);
  for (uint32_t i = 0; i < x->nargs; i++) LIST_PUSH(T->ps, &l, args[i]);
  return tree_call(T->ps, tree_name(x->u.call.fn, nospan()), &l, nospan());
}

static const char *added_var(Tobp *T, const char *base, const Type *type);

/* A hidden slot (an importer's condition flag or loop counter) read or set by
 * the flow: a variable of its own, named after the slot and declared with the
 * process's variables the first time it is met. */
static const char *hidden_name(Tobp *T, uint32_t slot, const IrNode *at) {
  const IrSlot *s = ir_slot_at(T->p, slot);
  if (!s->type || !type_by_name(s->type->name)) {
    fail(T, at, "the flow keeps a value of type %s, which a .bp declaration cannot name",
         s->type ? s->type->name : "?");
    return "_";
  }
  const char *name = added_var(T, s->name && *s->name ? s->name : "hidden", s->type);
  T->names->slots[slot] = name;
  return name;
}

static const char *slot_name(Tobp *T, uint32_t slot, const IrNode *at) {
  if (slot >= T->p->slots.n) {
    fail(T, at, "an expression reads a slot out of range");
    return "_";
  }
  if (T->try_slot && T->try_slot[slot])
    return fail(T, at, "the flow reads a caught error outside its catch block: .bp names the error only there"), "_";
  const char *name = T->names->slots[slot];
  if (!name) {
    if (ir_slot_at(T->p, slot)->kind != IR_SLOT_HIDDEN) {
      fail(T, at, "a value without a name");
      return "_";
    }
    return hidden_name(T, slot, at);
  }
  return name;
}

/* The .bp name of a slot that WHO (an assignment, a form) writes: a parameter is
 * refused, as .bp keeps parameters read-only. */
static const char *written_slot(Tobp *T, uint16_t index, const IrNode *n, const char *who) {
  if (index < T->p->slots.n && ir_slot_at(T->p, index)->kind == IR_SLOT_PARAM)
    fail(T, n, "%s sets the parameter `%s`, which .bp keeps read-only", who, ir_slot_at(T->p, index)->name);
  return slot_name(T, index, n);
}

static const char *field_name(Tobp *T, uint32_t field, const IrNode *at) {
  if (T->p->doc < 0 || field >= T->ir->docs[T->p->doc].nfields) {
    fail(T, at, "a document field out of range");
    return "_";
  }
  return T->fields[T->p->doc][field];
}

static Expr *expr(Tobp *T, const IrExpr *x, const IrNode *at) {
  static const BinaryOp binops[] = {
      [IR_OP_ADD] = B_ADD, [IR_OP_SUB] = B_SUB, [IR_OP_MUL] = B_MUL, [IR_OP_DIV] = B_DIV,
      [IR_OP_MOD] = B_MOD, [IR_OP_EQ] = B_EQ,   [IR_OP_NE] = B_NE,   [IR_OP_LT] = B_LT,
      [IR_OP_LE] = B_LE,   [IR_OP_GT] = B_GT,   [IR_OP_GE] = B_GE,   [IR_OP_AND] = B_AND,
      [IR_OP_OR] = B_OR,   [IR_OP_IN] = B_IN};
  Span sp = nospan();
  switch (x->kind) {
  case IR_X_INT:
    if (x->u.i < 0) {
      if (x->u.i == INT64_MIN) return fail(T, at, "the number is too large to write"), tree_int(T->ps, 0, sp);
      return tree_unary(T->ps, U_NEG, tree_int(T->ps, -x->u.i, sp), sp);
    }
    return tree_int(T->ps, x->u.i, sp);
  case IR_X_DECIMAL: return decimal_expr(T, x->u.dec.unscaled, x->u.dec.scale, at);
  case IR_X_BOOL: return tree_bool(T->ps, x->u.i != 0, sp);
  case IR_X_DURATION: return duration_expr(T, x->u.i, at);
  case IR_X_STRING:
    if (memchr(x->u.str.s, 0, x->u.str.len)) fail(T, at, "a text holds a NUL character, which a .bp string cannot");
    return string_expr(T, x->u.str.s, x->u.str.len);
  case IR_X_TEXT: {
    PtrVec parts = {0};
    text_parts(T, x, &parts, at);
    PartList l;
    LIST_INIT(l);
    for (uint32_t i = 0; i < parts.n; i++) LIST_PUSH(T->ps, &l, *(StrPart *)parts.items[i]);
    return tree_string(T->ps, &l, sp);
  }
  case IR_X_LIST: return list_expr(T, x->u.list.items, x->u.list.n, at);
  case IR_X_SLOT:
    for (Catching *c = T->catching; c; c = c->up)
      if (x->u.index == c->slot || x->u.index == c->slot + 1) {
        c->used = true;
        return tree_field(T->ps, tree_name_expr(T->ps, c->var, sp),
                          tree_name(x->u.index == c->slot ? "code" : "message", sp), sp);
      }
    return tree_name_expr(T->ps, slot_name(T, x->u.index, at), sp);
  case IR_X_FIELD: return tree_name_expr(T->ps, field_name(T, x->u.index, at), sp);
  case IR_X_MEMBER: {
    const Type *rec = x->u.member.obj->type;
    if (!rec || rec->kind != T_RECORD || x->u.member.index >= rec->nfields)
      return fail(T, at, "a member of something that is no step result"), tree_int(T->ps, 0, sp);
    Expr *obj = expr(T, x->u.member.obj, at);
    return tree_field(T->ps, obj, tree_name(rec->fields[x->u.member.index].name, sp), sp);
  }
  case IR_X_CALL: return call_expr(T, x, at);
  case IR_X_UNARY:
    return tree_unary(T->ps, x->u.unary.op == IR_OP_NOT ? U_NOT : U_NEG, expr(T, x->u.unary.operand, at), sp);
  case IR_X_BINARY: {
    if ((unsigned)x->op > IR_OP_IN) return fail(T, at, "an unknown operator"), tree_int(T->ps, 0, sp);
    Expr *l = expr(T, x->u.binary.lhs, at);
    Expr *r = expr(T, x->u.binary.rhs, at);
    return tree_binary(T->ps, binops[x->op], l, r, sp);
  }
  case IR_X_COND: {
    Expr *c = expr(T, x->u.cond->cond, at);
    Expr *a = expr(T, x->u.cond->then, at);
    Expr *b = expr(T, x->u.cond->otherwise, at);
    return tree_cond(T->ps, c, a, b, sp);
  }
  case IR_X_AS: /* the conversions IR_X_AS makes explicit are implicit in .bp */
    return expr(T, x->u.unary.operand, at);
  case IR_X_USER:
    fail(T, at, "the user `%.*s` is named by its id, and .bp has no user literal (a user comes from a "
                "parameter, a variable or a step result)", (int)x->u.str.len, x->u.str.s);
    return tree_int(T->ps, 0, sp);
  default:
    fail(T, at, "an expression of kind %d has no .bp form in bpc import yet", (int)x->kind);
    return tree_int(T->ps, 0, sp);
  }
}

/* not c, with `not not c` and `not a == b` simplified. */
static Expr *negate(Tobp *T, Expr *c) {
  if (c->kind == E_UNARY && c->u.unary.op == U_NOT) return c->u.unary.operand;
  if (c->kind == E_BINARY && (c->op == B_EQ || c->op == B_NE)) {
    c->op = c->op == B_EQ ? B_NE : B_EQ;
    return c;
  }
  return tree_unary(T->ps, U_NOT, c, nospan());
}

/* ---- statements ----------------------------------------------------------------- */

static Block *block_of(Tobp *T, const PtrVec *stmts) {
  StmtList l;
  LIST_INIT(l);
  for (uint32_t i = 0; i < stmts->n; i++) LIST_PUSH(T->ps, &l, (Stmt *)stmts->items[i]);
  return tree_block(T->ps, &l, nospan());
}

static void push(Tobp *T, PtrVec *out, Stmt *s) { ptrvec_push(&T->prog->arena, out, s); }

static ExprList who_list(Tobp *T, const IrWho *w, const IrNode *at) {
  Expr **done = arena_alloc(&T->prog->arena, (w->n ? w->n : 1) * sizeof *done);
  for (uint32_t i = 0; i < w->n; i++) done[i] = expr(T, w->who[i], at);
  ExprList l;
  LIST_INIT(l);
  for (uint32_t i = 0; i < w->n; i++) LIST_PUSH(T->ps, &l, done[i]);
  return l;
}

static Name result_name(Tobp *T, int32_t slot, const IrNode *at) {
  return tree_name(slot >= 0 ? slot_name(T, (uint32_t)slot, at) : NULL, nospan());
}

static bool walk(Tobp *T, const IrNode *n, const IrNode *follow, Loop *L, PtrVec *out, bool *falls,
                 bool at_head);

/* A handler of a human step (a remind or on-timeout block): its own flow,
 * ending in HANDLER_END. */
static Block *handler_block(Tobp *T, const IrNode *entry) {
  PtrVec stmts = {0};
  bool falls;
  walk(T, entry, NULL, NULL, &stmts, &falls, false);
  return block_of(T, &stmts);
}

static Stmt *human_stmt(Tobp *T, const IrNode *n) {
  static const HumanKind kinds[] = {[IR_TASK] = H_TASK, [IR_APPROVE] = H_APPROVE,
                                    [IR_REVIEW] = H_REVIEW, [IR_REQUEST] = H_REQUEST};
  const IrHuman *h = n->u.human;
  HumanKind kind = kinds[n->kind];
  Expr *title = expr(T, h->title, n);
  FieldList fl;
  LIST_INIT(fl);
  RequestField *fields = NULL;
  if (kind == H_REQUEST) {
    fields = arena_alloc(&T->prog->arena, (h->nfields ? h->nfields : 1) * sizeof *fields);
    for (uint32_t i = 0; i < h->nfields; i++) {
      const IrReqField *f = &h->fields[i];
      const char *name = f->to_slot ? written_slot(T, f->index, n, "the form") : field_name(T, f->index, n);
      Expr *label = f->label ? string_expr(T, f->label, (uint32_t)strlen(f->label)) : NULL;
      fields[i] = *tree_request_field(T->ps, tree_name(name, nospan()),
                                      tree_type(tree_name(f->type->name, nospan())), label, nospan());
    }
  }
  ExprList who = who_list(T, &h->who, n);
  for (uint32_t i = 0; kind == H_REQUEST && i < h->nfields; i++) LIST_PUSH(T->ps, &fl, fields[i]);
  Stmt *s = tree_human(T->ps, kind, &who, title, kind == H_REQUEST ? &fl : NULL, nospan(), nospan());
  /* the mode, where it is not the step's default */
  const char *mode = NULL;
  if (kind == H_APPROVE) {
    mode = h->mode == IR_MODE_ALL ? "all" : h->mode == IR_MODE_MAJORITY ? "majority"
         : h->mode == IR_MODE_VOTE ? "vote" : h->mode == IR_MODE_BITRIX ? "bitrix" : NULL;
  } else if (kind == H_REVIEW) {
    if (h->mode == IR_MODE_ANY) mode = "any";
    else if (h->mode != IR_MODE_ALL) fail(T, n, "a review in this mode has no .bp form");
  } else if (h->mode != IR_MODE_ANY) {
    fail(T, n, "a %s done by %s has no .bp form", ir_node_kind_name(n->kind),
         h->mode == IR_MODE_ALL ? "all" : "a vote");
  }
  if (mode) {
    Expr *percent = (h->mode == IR_MODE_VOTE || h->mode == IR_MODE_BITRIX) && h->vote ? expr(T, h->vote, n) : NULL;
    tree_human_mode(T->ps, s, mode, nospan(), percent, nospan());
  }
  if (h->wait_all) {
    if (kind != H_APPROVE) fail(T, n, "`wait all` on a step that is not an approval");
    tree_human_wait_all(T->ps, s, nospan());
  }
  if (h->due) tree_human_due(T->ps, s, expr(T, h->due, n), nospan());
  if (h->result >= 0) tree_human_result(T->ps, s, result_name(T, h->result, n), nospan());
  for (uint32_t i = 0; i < h->nreminds; i++) {
    Expr *before = expr(T, h->remind_before[i], n);
    Block *body = handler_block(T, h->remind_entry[i]);
    tree_human_remind(T->ps, s, before, "before", nospan(), body, nospan());
  }
  if (h->timeout_entry && h->timeout_times)
    tree_human_timeout_times(T->ps, s, "timeout", nospan(), "times", nospan(), expr(T, h->timeout_times, n),
                             handler_block(T, h->timeout_entry), nospan());
  else if (h->timeout_entry)
    tree_human_timeout(T->ps, s, "timeout", nospan(), handler_block(T, h->timeout_entry), nospan());
  for (uint32_t i = 0; i < h->nafters; i++) {
    Expr *delay = expr(T, h->after_delay[i], n);
    Expr *every = h->after_every[i] ? expr(T, h->after_every[i], n) : NULL;
    Expr *times = h->after_times[i] ? expr(T, h->after_times[i], n) : NULL;
    if (times && !every) fail(T, n, "an `after` handler with a count of runs but no period has no .bp form");
    Block *body = handler_block(T, h->after_entry[i]);
    tree_human_after(T->ps, s, delay, every ? "every" : NULL, nospan(), every, times ? "times" : NULL, nospan(),
                     times, body, nospan());
  }
  return s;
}

static Stmt *action_stmt(Tobp *T, const IrNode *n) {
  uint32_t k = n->u.action.n;
  Expr **args = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *args);
  for (uint32_t i = 0; i < k; i++) args[i] = expr(T, n->u.action.args[i], n);
  ExprList l;
  LIST_INIT(l);
  for (uint32_t i = 0; i < k; i++) LIST_PUSH(T->ps, &l, args[i]);
  return tree_call_stmt(T->ps, tree_name(T->actions[n->u.action.action], nospan()), &l,
                        result_name(T, n->u.action.result, n), nospan());
}

static Stmt *start_stmt(Tobp *T, const IrNode *n) {
  const ProcNames *target = &T->procs[n->u.start.proc];
  const IrProc *tp = &T->ir->procs[n->u.start.proc];
  uint32_t k = n->u.start.n;
  NamedArg *args = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *args);
  for (uint32_t i = 0; i < k; i++) {
    const IrStartArg *a = &n->u.start.args[i];
    if (a->param >= tp->params.n) {
      fail(T, n, "a start argument for no parameter");
      return tree_stmt(T->ps, S_ERROR, nospan());
    }
    args[i] = *tree_named_arg(T->ps, tree_name(target->params[a->param], nospan()), expr(T, a->value, n));
  }
  ArgList l;
  LIST_INIT(l);
  for (uint32_t i = 0; i < k; i++) LIST_PUSH(T->ps, &l, args[i]);
  return tree_start(T->ps, tree_name(target->name, nospan()), k ? &l : NULL, nospan());
}

static Stmt *assign_stmt(Tobp *T, const IrNode *n) {
  const char *target;
  if (n->u.assign.to_slot) {
    target = written_slot(T, n->u.assign.index, n, "the step");
  } else {
    target = field_name(T, n->u.assign.index, n);
  }
  return tree_assign(T->ps, tree_name(target, nospan()), expr(T, n->u.assign.value, n), nospan());
}

/* Is s a .bp identifier, not a reserved word? */
static bool is_ident(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9')) return false;
  for (const char *c = s; *c; c++) {
    uint32_t letter = lex_letter8_len(c);
    if (letter) {
      c += letter - 1;
      continue;
    }
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
      return false;
  }
  return !bp_reserved_word(s);
}

/* wait message NAME [{ FIELD: TYPE ... }]: NAME as an identifier when it is one,
 * else as a string. */
static Stmt *receive_stmt(Tobp *T, const IrNode *n) {
  const char *name = n->u.receive.name ? n->u.receive.name : "";
  Expr *quoted = NULL;
  if (!is_ident(name)) {
    if (!*name || strchr(name, '{') || strchr(name, '}'))
      fail(T, n, "the message name \"%s\" cannot be written in .bp (empty, or with a brace)", name);
    quoted = string_expr(T, name, (uint32_t)strlen(name));
  }
  uint32_t k = n->u.receive.nfields;
  RequestField *fields = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *fields);
  for (uint32_t i = 0; i < k; i++) {
    const IrReqField *f = &n->u.receive.fields[i];
    const char *fname = f->to_slot ? slot_name(T, f->index, n) : field_name(T, f->index, n);
    fields[i] = *tree_request_field(T->ps, tree_name(fname, nospan()), tree_type(tree_name(f->type->name, nospan())),
                                    NULL, nospan());
  }
  FieldList fl;
  LIST_INIT(fl);
  for (uint32_t i = 0; i < k; i++) LIST_PUSH(T->ps, &fl, fields[i]);
  return tree_receive(T->ps, tree_name(quoted ? NULL : name, nospan()), quoted, k ? &fl : NULL, nospan());
}

/* The statement of a node that runs and goes on (a step, an action, ...);
 * NULL for a kind that is no such statement. */
static Stmt *step_stmt(Tobp *T, const IrNode *n) {
  Span sp = nospan();
  switch (n->kind) {
  case IR_TASK: case IR_APPROVE: case IR_REVIEW: case IR_REQUEST: return human_stmt(T, n);
  case IR_ACTION: return action_stmt(T, n);
  case IR_NOTIFY: {
    ExprList who = who_list(T, &n->u.notify.who, n);
    return tree_notify(T->ps, &who, expr(T, n->u.notify.message, n), sp);
  }
  case IR_LOG: return tree_log(T->ps, expr(T, n->u.log.text, n), sp);
  case IR_ASSIGN: return assign_stmt(T, n);
  case IR_START_PROCESS: return start_stmt(T, n);
  case IR_WAIT: return tree_wait(T->ps, false, expr(T, n->u.wait.value, n), sp);
  case IR_WAIT_UNTIL: return tree_wait(T->ps, true, expr(T, n->u.wait.value, n), sp);
  case IR_REASSIGN: {
    ExprList who = who_list(T, &n->u.reassign.who, n);
    Expr *due = n->u.reassign.due ? expr(T, n->u.reassign.due, n) : NULL;
    return tree_reassign(T->ps, &who, due, sp);
  }
  case IR_ADD: {
    ExprList who = who_list(T, &n->u.add.who, n);
    return tree_add(T->ps, &who, sp);
  }
  case IR_RECEIVE: return receive_stmt(T, n);
  default: return NULL;
  }
}

/* ---- the structuring walk ----------------------------------------------------------- */

/* The one FLOW (or LOOP) edge out of n. */
static const IrEdge *flow_out(const Tobp *T, const IrNode *n) {
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = ir_edge_at(T->p, n->out[i]);
    if (e->kind == IR_E_FLOW || e->kind == IR_E_LOOP) return e;
  }
  return NULL;
}

typedef struct ArmAt {
  const IrEdge *edge;
  uint32_t pos; /* among the node's out-edges: the order of equal arms */
} ArmAt;

static int cmp_arm(const void *a, const void *b) {
  const ArmAt *x = a, *y = b;
  if (x->edge->arm != y->edge->arm) return x->edge->arm < y->edge->arm ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The out-edges of a split in branch (arm) order; edges of equal arms in
 * the order they were made. */
static const IrEdge **arms_of(Tobp *T, const IrNode *n, uint32_t *count) {
  ArmAt *at = xmalloc((n->nout ? n->nout : 1) * sizeof *at);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = ir_edge_at(T->p, n->out[i]);
    if (e->kind == IR_E_FLOW || e->kind == IR_E_LOOP || e->kind == IR_E_COND) at[k++] = (ArmAt){e, i};
  }
  qsort(at, k, sizeof *at, cmp_arm);
  const IrEdge **arms = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *arms);
  for (uint32_t i = 0; i < k; i++) arms[i] = at[i].edge;
  free(at);
  *count = k;
  return arms;
}

static bool is_loop_head(const Tobp *T, const IrNode *n) {
  for (uint32_t i = 0; i < n->nin; i++)
    if (ir_edge_at(T->p, n->in[i])->flags & IR_EDGE_BACK) return true;
  return false;
}

static bool in_loop(const Loop *L, const IrNode *n) {
  return tobp_in_members(L->members, L->nmembers, n->index);
}

/* Marks a statement node written; false (refused) when it was already: two
 * flows reach it that do not meet as one block. */
static bool once(Tobp *T, const IrNode *n) {
  if (!T->emitted[n->index]) {
    T->emitted[n->index] = true;
    return true;
  }
  return fail(T, n, "flows that are not one block meet here (a join of paths from different "
                    "branches, or a second way into a loop): .bp would have to write this step twice");
}

/* A MERGE a second walk reaches: harmless when nothing but the end of the
 * flow follows it (both paths end there); otherwise the structure breaks here. */
static bool merge_again(Tobp *T, const IrNode *m) {
  const IrNode *n = m;
  for (uint32_t steps = 0; steps <= T->p->nodes.n; steps++) {
    if (n->kind == IR_END || n->kind == IR_TERMINATE || n->kind == IR_HANDLER_END) return true;
    if (n->kind != IR_MERGE) break;
    const IrEdge *e = flow_out(T, n);
    if (!e || (e->flags & IR_EDGE_BACK)) break;
    n = e->to;
  }
  return fail(T, m, "flows that are not one block meet here (their paths split at different "
                    "places): .bp cannot write this meeting point without repeating the steps after it");
}

/* The statements of a flow reaching its end (an END, or the end of a
 * construct with nothing after it): nothing at the top level, a `break` in a
 * loop whose exit is the end of the flow. */
static bool at_end(Tobp *T, const IrNode *n, const IrNode *follow, Loop *L, PtrVec *out, bool *falls) {
  if (T->try_body && n->kind == IR_END)
    return fail(T, n, "this path ends the flow inside the try scope `%s`: .bp has no statement that ends "
                      "the process there", T->try_body->try_node->id);
  if (follow)
    return fail(T, n, "this path ends the flow while the others go on to `%s`: .bp has no statement "
                      "that ends the process there", follow->id);
  if (!L) {
    *falls = true;
    return true;
  }
  if (L->follow)
    return fail(T, n, "this path ends the flow inside the loop at `%s`, which otherwise goes on to "
                      "`%s`: .bp has no statement that ends the process there", L->head->id, L->follow->id);
  push(T, out, tree_stmt(T->ps, S_BREAK, nospan()));
  L->broke = true;
  *falls = false;
  return true;
}

/* Where the arms of a split meet: its immediate post-dominator; NULL when
 * they do not meet (each ends the flow), or, inside a loop, when they meet
 * outside it (each arm then ends in `break` or `continue`). */
static const IrNode *meeting_point(const Tobp *T, const IrNode *n, const Loop *L) {
  if (!n) return NULL;
  int32_t d = T->g.ipdom[n->index];
  if (d == TOBP_NONE || d == (int32_t)T->g.n) return NULL;
  const IrNode *f = ir_node_at(T->p, (uint32_t)d);
  if (L && !in_loop(L, f)) return NULL;
  if (T->try_body && !T->try_body->member[f->index]) return NULL; /* they meet after the try */
  return f;
}

/* Walks from edge e: a back edge to the loop's head is `continue`. */
static bool walk_edge(Tobp *T, const IrEdge *e, const IrNode *follow, Loop *L, PtrVec *out, bool *falls) {
  if (e->flags & IR_EDGE_BACK) {
    if (L && e->to == L->head) {
      push(T, out, tree_stmt(T->ps, S_CONTINUE, nospan()));
      *falls = false;
      return true;
    }
    return fail(T, e->to, "a flow loops back to here from outside the loop that starts here (out of a "
                          "parallel branch or an inner loop): .bp has no jump for it");
  }
  return walk(T, e->to, follow, L, out, falls, false);
}

static bool deeper(Tobp *T, const IrNode *n) {
  if (++T->depth <= MAX_NESTING) return true;
  return fail(T, n, "blocks nest more than %d deep here", MAX_NESTING);
}

/* if / else if / else. */
static bool choice_stmt(Tobp *T, const IrNode *n, Loop *L, PtrVec *out, bool *falls, const IrNode **next) {
  const IrNode *f = meeting_point(T, n, L);
  const IrEdge *otherwise = NULL;
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = ir_edge_at(T->p, n->out[i]);
    if (e->kind == IR_E_ELSE) otherwise = e;
  }
  uint32_t k;
  const IrEdge **arms = arms_of(T, n, &k);
  Expr **conds = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *conds);
  Block **blocks = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *blocks);
  bool any_falls = false;
  for (uint32_t i = 0; i < k && !T->failed; i++) {
    conds[i] = expr(T, arms[i]->cond, n);
    PtrVec stmts = {0};
    bool arm_falls;
    walk_edge(T, arms[i], f, L, &stmts, &arm_falls);
    any_falls |= arm_falls;
    blocks[i] = block_of(T, &stmts);
  }
  Block *else_block = NULL;
  if (otherwise && !T->failed) {
    PtrVec stmts = {0};
    bool arm_falls;
    walk_edge(T, otherwise, f, L, &stmts, &arm_falls);
    any_falls |= arm_falls;
    else_block = block_of(T, &stmts);
  }
  if (T->failed) return false;
  if (k == 0) { /* only an ELSE: a plain sequence */
    for (uint32_t i = 0; else_block && i < else_block->n; i++) push(T, out, else_block->stmts[i]);
  } else {
    if (k == 1 && blocks[0]->n == 0 && else_block && else_block->n) { /* if not C { X } */
      conds[0] = negate(T, conds[0]);
      blocks[0] = else_block;
      else_block = NULL;
    }
    Stmt *s = tree_if(T->ps, conds[0], blocks[0], nospan());
    for (uint32_t i = 1; i < k; i++) tree_if_add(T->ps, s, conds[i], blocks[i], nospan());
    if (else_block && else_block->n) tree_if_else(s, else_block, nospan());
    push(T, out, from_node(T, s, n));
  }
  *falls = any_falls;
  *next = f;
  return true;
}

/* The JOIN (RACE_JOIN) of a fork group, or NULL. */
static const IrNode *join_of(const Tobp *T, const IrNode *fork) {
  return fork->u.fork.group < T->p->ngroups ? T->joins[fork->u.fork.group] : NULL;
}

/* parallel [any] { branch { } ... }: the branches run up to the join; break
 * and continue cannot leave a branch, so they walk outside any loop. */
static bool fork_stmt(Tobp *T, const IrNode *n, PtrVec *out, const IrEdge **after) {
  const IrNode *join = join_of(T, n);
  uint32_t k;
  const IrEdge **arms = arms_of(T, n, &k);
  Block **blocks = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *blocks);
  for (uint32_t i = 0; i < k && !T->failed; i++) {
    PtrVec stmts = {0};
    bool falls;
    walk_edge(T, arms[i], join, NULL, &stmts, &falls);
    blocks[i] = block_of(T, &stmts);
  }
  if (T->failed) return false;
  BlockList l;
  LIST_INIT(l);
  for (uint32_t i = 0; i < k; i++) LIST_PUSH(T->ps, &l, blocks[i]);
  /* a RACE without its join has nothing to cancel: every branch runs to its end */
  push(T, out, from_node(T, tree_parallel(T->ps, n->kind == IR_RACE && join, &l, nospan()), n));
  *after = NULL;
  if (join) {
    if (!once(T, join)) return false;
    *after = flow_out(T, join);
  }
  return true;
}

/* `on message NAME { }` handlers of a human step: a RACE whose first branch is the step,
 * flowing straight to the race's join, and whose other branches are listeners — an
 * IR_RECEIVE without fields, then an IR_SPAWN back to it, whose TIMER edge enters the
 * handler. false (nothing written) when n is not of that shape. */
static bool listen_stmt(Tobp *T, const IrNode *n, PtrVec *out, const IrEdge **after) {
  const IrNode *join = join_of(T, n);
  uint32_t k;
  const IrEdge **arms = arms_of(T, n, &k);
  if (!join || k < 2 || !ir_is_human(arms[0]->to->kind)) return false;
  const IrNode *step = arms[0]->to;
  const IrEdge *out0 = flow_out(T, step);
  if (!out0 || out0->to != join) return false;
  const IrNode **entries = arena_alloc(&T->prog->arena, k * sizeof *entries);
  for (uint32_t i = 1; i < k; i++) {
    const IrNode *r = arms[i]->to;
    if (r->kind != IR_RECEIVE || r->u.receive.nfields || r->nin != 2) return false;
    const IrEdge *to_spawn = flow_out(T, r);
    const IrNode *sp = to_spawn ? to_spawn->to : NULL;
    if (!sp || sp->kind != IR_SPAWN || sp->nin != 1) return false;
    const IrEdge *back = flow_out(T, sp);
    if (!back || back->to != r) return false;
    entries[i] = NULL;
    for (uint32_t j = 0; j < sp->nout; j++) {
      const IrEdge *e = ir_edge_at(T->p, sp->out[j]);
      if (e->kind == IR_E_TIMER) entries[i] = e->to;
    }
    if (!entries[i]) return false;
  }
  if (!once(T, n) || !once(T, step) || !once(T, join)) return false;
  Stmt *s = human_stmt(T, step);
  for (uint32_t i = 1; i < k && !T->failed; i++) {
    const IrNode *r = arms[i]->to;
    const char *name = r->u.receive.name ? r->u.receive.name : "";
    Expr *quoted = NULL;
    if (!is_ident(name)) {
      if (!*name || strchr(name, '{') || strchr(name, '}'))
        fail(T, r, "the message name \"%s\" cannot be written in .bp (empty, or with a brace)", name);
      quoted = string_expr(T, name, (uint32_t)strlen(name));
    }
    Block *body = handler_block(T, entries[i]);
    tree_human_on_message(T->ps, s, "message", nospan(), tree_name(quoted ? NULL : name, nospan()), quoted, body,
                          nospan());
  }
  if (T->failed) return false;
  push(T, out, from_node(T, s, step));
  *after = flow_out(T, join);
  return true;
}

/* Statements that take no time: an event's continuation made of these may
 * stay in its `parallel any` branch. */
static bool instant(const Block *b) {
  for (uint32_t i = 0; i < b->n; i++) {
    const Stmt *s = b->stmts[i];
    switch (s->kind) {
    case S_ASSIGN: case S_LOG: case S_NOTIFY: case S_START: case S_TERMINATE: break;
    case S_IF:
      for (uint32_t k = 0; k < s->u.if_.n; k++)
        if (!instant(s->u.if_.blocks[k])) return false;
      if (s->u.if_.otherwise && !instant(s->u.if_.otherwise)) return false;
      break;
    default: return false;
    }
  }
  return true;
}

static Stmt *prepend(Tobp *T, Stmt *first, const Block *rest, PtrVec *into) {
  push(T, into, first);
  for (uint32_t i = 0; rest && i < rest->n; i++) push(T, into, rest->stmts[i]);
  return first;
}

/* A variable the walk adds, declared with the process's variables. */
static const char *added_var(Tobp *T, const char *base, const Type *type) {
  const char *name = unique_name(T, &T->locals, base, base);
  Decl *d = tree_decl(T->ps, D_VAR, tree_name(name, nospan()), tree_type(tree_name(type->name, nospan())), NULL,
                      NULL, nospan());
  Member *m = arena_alloc(&T->prog->arena, sizeof *m);
  m->kind = M_DECL;
  m->u.decl = d;
  ptrvec_push(&T->prog->arena, &T->extra, m);
  return name;
}

/* Whichever event comes first: `parallel any` over the events alone; what
 * follows each runs after the race, picked by the variable its branch set
 * (or inside the branch, when every continuation takes no time). */
static bool event_stmt(Tobp *T, const IrNode *n, Loop *L, PtrVec *out, bool *falls, const IrNode **next) {
  const IrNode *f = meeting_point(T, n, L);
  uint32_t k;
  const IrEdge **arms = arms_of(T, n, &k);
  /* the other events may end the instance: then the paths meet at or after an event,
   * and they go on after it (an event is written in its branch) */
  for (bool again = true; again && f;) {
    again = false;
    for (uint32_t i = 0; i < k; i++)
      if (arms[i]->to == f) {
        f = meeting_point(T, f, L);
        again = true;
        break;
      }
  }
  Stmt **events = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *events);
  Block **conts = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *conts);
  bool any_falls = false, all_instant = true;
  for (uint32_t i = 0; i < k && !T->failed; i++) {
    const IrNode *ev = arms[i]->to;
    if (!ir_is_human(ev->kind) && ev->kind != IR_WAIT && ev->kind != IR_WAIT_UNTIL && ev->kind != IR_ACTION &&
        ev->kind != IR_RECEIVE)
      return fail(T, ev, "an event of kind `%s` after an event gateway has no .bp form in bpc import yet",
                  ir_node_kind_name(ev->kind));
    if (!once(T, ev)) return false;
    events[i] = from_node(T, step_stmt(T, ev), ev);
    const IrEdge *e = flow_out(T, ev);
    PtrVec stmts = {0};
    bool cont_falls = false;
    if (e) walk_edge(T, e, f, L, &stmts, &cont_falls);
    else fail(T, ev, "an event with no way on");
    any_falls |= cont_falls;
    conts[i] = block_of(T, &stmts);
    all_instant = all_instant && instant(conts[i]);
  }
  if (T->failed) return false;
  const char *winner = all_instant ? NULL : added_var(T, "first", &type_int);
  BlockList l;
  LIST_INIT(l);
  Block **branches = arena_alloc(&T->prog->arena, (k ? k : 1) * sizeof *branches);
  for (uint32_t i = 0; i < k; i++) {
    PtrVec stmts = {0};
    if (winner) {
      push(T, &stmts, events[i]);
      push(T, &stmts, tree_assign(T->ps, tree_name(winner, nospan()), tree_int(T->ps, i + 1, nospan()), nospan()));
    } else {
      prepend(T, events[i], conts[i], &stmts);
    }
    branches[i] = block_of(T, &stmts);
  }
  for (uint32_t i = 0; i < k; i++) LIST_PUSH(T->ps, &l, branches[i]);
  push(T, out, from_node(T, tree_parallel(T->ps, true, &l, nospan()), n));
  if (winner) {
    Stmt *s = NULL;
    for (uint32_t i = 0; i < k; i++) {
      if (conts[i]->n == 0) continue;
      Expr *c = tree_binary(T->ps, B_EQ, tree_name_expr(T->ps, winner, nospan()), tree_int(T->ps, i + 1, nospan()),
                            nospan());
      if (!s) s = tree_if(T->ps, c, conts[i], nospan());
      else tree_if_add(T->ps, s, c, conts[i], nospan());
    }
    if (s) push(T, out, s);
  }
  *falls = any_falls;
  *next = f;
  return true;
}

/* The nodes of a try block: those reached from its first node without passing a
 * TRY_END of its group (the flow, and the handlers of the steps in it). */
static bool *try_members(const Tobp *T, const IrNode *t, const IrNode *first) {
  uint32_t n = T->p->nodes.n;
  bool *member = xcalloc(n ? n : 1, sizeof *member);
  uint32_t *stack = xmalloc((n ? n : 1) * sizeof *stack), top = 0;
  member[first->index] = true;
  stack[top++] = first->index;
  while (top) {
    const IrNode *v = ir_node_at(T->p, stack[--top]);
    if (v->kind == IR_TRY_END && v->u.try_.group == t->u.try_.group) continue;
    for (uint32_t i = 0; i < v->nout; i++) {
      const IrEdge *e = ir_edge_at(T->p, v->out[i]);
      if ((tobp_is_flow(e) || e->kind == IR_E_TIMER) && !member[e->to->index]) {
        member[e->to->index] = true;
        stack[top++] = e->to->index;
      }
    }
  }
  free(stack);
  return member;
}

/* try { } catch "A", "B" [as e] { } ...: the block runs up to the TRY_ENDs of its
 * group, each clause up to the try's meeting point. Steps that follow the block
 * before that point (on its way out only) run after the try when no clause ran,
 * which a variable set at the end of the block tells. */
static bool try_stmt(Tobp *T, const IrNode *n, Loop *L, PtrVec *out, bool *falls, const IrNode **next) {
  const IrNode *f = meeting_point(T, n, L);
  const IrEdge *body = flow_out(T, n);
  ArmAt *at = xmalloc((n->nout ? n->nout : 1) * sizeof *at);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n->nout; i++) {
    const IrEdge *e = ir_edge_at(T->p, n->out[i]);
    if (e->kind == IR_E_CATCH) at[k++] = (ArmAt){e, i};
  }
  qsort(at, k, sizeof *at, cmp_arm);
  if (!body || k == 0) {
    free(at);
    return fail(T, n, "a try scope without its block or without a catch");
  }
  for (uint32_t i = 0; i + 1 < k; i++)
    if (at[i].edge->ncodes == 0) {
      free(at);
      return fail(T, n, "a catch of any error before another catch: .bp takes such a clause only last");
    }
  /* the block */
  TryBody tb = {n, try_members(T, n, body->to), NULL, false, T->try_body};
  /* When every clause ends the instance (a terminate, a throw), only the block's
   * paths reach the end, and the try's post-dominator lies inside its block: the
   * paths meet where the block's way out meets them, after its TRY_ENDs. */
  while (f && tb.member[f->index]) f = meeting_point(T, f, L);
  T->try_body = &tb;
  PtrVec bstmts = {0};
  bool body_falls;
  walk_edge(T, body, NULL, NULL, &bstmts, &body_falls);
  T->try_body = tb.up;
  free(tb.member);
  /* the clauses */
  const char *var = unique_name(T, &T->locals, "e", "e");
  Catch **catches = arena_alloc(&T->prog->arena, k * sizeof *catches);
  bool any_falls = false;
  for (uint32_t i = 0; i < k && !T->failed; i++) {
    const IrEdge *e = at[i].edge;
    Catching c = {n->u.try_.slot, var, false, T->catching};
    T->catching = &c;
    PtrVec stmts = {0};
    bool cf;
    walk_edge(T, e, f, L, &stmts, &cf);
    T->catching = c.up;
    any_falls |= cf;
    Expr **codes = arena_alloc(&T->prog->arena, (e->ncodes ? e->ncodes : 1) * sizeof *codes);
    for (uint32_t j = 0; j < e->ncodes; j++) {
      const char *code = e->codes[j] ? e->codes[j] : "";
      if (!*code || strchr(code, '{') || strchr(code, '}'))
        fail(T, n, "the error code \"%s\" cannot be written as a .bp catch code", code);
      codes[j] = string_expr(T, code, (uint32_t)strlen(code));
    }
    ExprList cl;
    LIST_INIT(cl);
    for (uint32_t j = 0; j < e->ncodes; j++) LIST_PUSH(T->ps, &cl, codes[j]);
    catches[i] = tree_catch(T->ps, e->ncodes ? &cl : NULL, tree_name(c.used ? var : NULL, nospan()),
                            block_of(T, &stmts), nospan());
  }
  free(at);
  /* what follows the block before the meeting point */
  PtrVec tail = {0};
  bool tail_falls = false;
  if (tb.left && !T->failed) walk_edge(T, tb.after, f, L, &tail, &tail_falls);
  if (T->failed) return false;
  const char *flag = NULL;
  if (tail.n && any_falls) {
    flag = added_var(T, "try_done", &type_bool);
    push(T, out, tree_assign(T->ps, tree_name(flag, nospan()), tree_bool(T->ps, false, nospan()), nospan()));
    push(T, &bstmts, tree_assign(T->ps, tree_name(flag, nospan()), tree_bool(T->ps, true, nospan()), nospan()));
  }
  Stmt *s = tree_try(T->ps, block_of(T, &bstmts), catches[0], nospan());
  for (uint32_t i = 1; i < k; i++) tree_try_add(T->ps, s, catches[i], nospan());
  push(T, out, from_node(T, s, n));
  if (flag) push(T, out, tree_if(T->ps, tree_name_expr(T->ps, flag, nospan()), block_of(T, &tail), nospan()));
  else
    for (uint32_t i = 0; i < tail.n; i++) push(T, out, tail.items[i]);
  (void)body_falls;
  *falls = (tb.left && tail_falls) || any_falls;
  *next = f;
  return true;
}

/* The follow of a loop: the common post-dominator of the targets of its
 * exits (NULL: they all end the flow). */
static const IrNode *loop_follow(const Tobp *T, const Loop *L) {
  int32_t d = TOBP_NONE;
  for (uint32_t i = 0; i < L->nmembers; i++) {
    const IrNode *m = ir_node_at(T->p, L->members[i]);
    for (uint32_t k = 0; k < m->nout; k++) {
      const IrEdge *e = ir_edge_at(T->p, m->out[k]);
      if (tobp_is_flow(e) && !in_loop(L, e->to)) d = tobp_common_pdom(&T->g, d, (int32_t)e->to->index);
    }
  }
  return d == TOBP_NONE || d == (int32_t)T->g.n ? NULL : ir_node_at(T->p, (uint32_t)d);
}

static bool loop_init(Tobp *T, Loop *L, const IrNode *head) {
  memset(L, 0, sizeof *L);
  L->head = head;
  bool elsewhere;
  L->members = tobp_loop_members(T->p, head, &L->nmembers, &elsewhere);
  if (elsewhere) {
    const IrNode *second = tobp_second_entry(T->p, head);
    return fail(T, second ? second : head,
                "the loop through `%s` is also entered here, not only at its start: a .bp loop has one entry",
                head->id);
  }
  L->follow = loop_follow(T, L);
  return true;
}

/* Tidies a loop body: a `continue` at its end is dropped, in the arms of an
 * ending `if` too; then `if C {} else { X }` becomes `if not C { X }`. */
static void tidy_end(Tobp *T, Block *b) {
  if (!b || b->n == 0) return;
  Stmt *last = b->stmts[b->n - 1];
  if (last->kind == S_CONTINUE) {
    b->n--;
    return;
  }
  if (last->kind != S_IF) return;
  for (uint32_t i = 0; i < last->u.if_.n; i++) tidy_end(T, last->u.if_.blocks[i]);
  tidy_end(T, last->u.if_.otherwise);
  if (last->u.if_.otherwise && last->u.if_.otherwise->n == 0) last->u.if_.otherwise = NULL;
  if (last->u.if_.n == 1 && last->u.if_.blocks[0]->n == 0 && last->u.if_.otherwise) {
    last->u.if_.conds[0] = negate(T, last->u.if_.conds[0]);
    last->u.if_.blocks[0] = last->u.if_.otherwise;
    last->u.if_.otherwise = NULL;
  }
}

static bool is_break_block(const Block *b) {
  return b && b->n == 1 && b->stmts[0]->kind == S_BREAK;
}

/* The last statement of a loop body `if C { X } else { break }` is
 * `if not C { break }` followed by X (and `if C { break } else { X }` is
 * `if C { break }` and X): X is then at the body's level. */
static void hoist_last_if(Tobp *T, Block *body) {
  Stmt *last = body->n ? body->stmts[body->n - 1] : NULL;
  if (!last || last->kind != S_IF || last->u.if_.n != 1 || !last->u.if_.otherwise) return;
  Block *keep;
  if (is_break_block(last->u.if_.otherwise)) {
    keep = last->u.if_.blocks[0];
    last->u.if_.conds[0] = negate(T, last->u.if_.conds[0]);
    last->u.if_.blocks[0] = last->u.if_.otherwise;
  } else if (is_break_block(last->u.if_.blocks[0])) {
    keep = last->u.if_.otherwise;
  } else {
    return;
  }
  last->u.if_.otherwise = NULL;
  Stmt **stmts = arena_alloc(&T->prog->arena, (body->n + keep->n) * sizeof *stmts);
  memcpy(stmts, body->stmts, body->n * sizeof *stmts);
  memcpy(stmts + body->n, keep->stmts, keep->n * sizeof *stmts);
  body->stmts = stmts;
  body->n += keep->n;
}

/* `loop { if C { break } rest }` is `while not C { rest }`. */
static Stmt *loop_or_while(Tobp *T, Block *body) {
  tidy_end(T, body);
  hoist_last_if(T, body);
  if (body->n > 0) {
    Stmt *first = body->stmts[0];
    if (first->kind == S_IF && first->u.if_.n == 1 && !first->u.if_.otherwise &&
        first->u.if_.blocks[0]->n == 1 && first->u.if_.blocks[0]->stmts[0]->kind == S_BREAK) {
      Block *rest = arena_alloc(&T->prog->arena, sizeof *rest);
      *rest = *body;
      rest->stmts++;
      rest->n--;
      return tree_while(T->ps, negate(T, first->u.if_.conds[0]), rest, nospan());
    }
  }
  return tree_loop(T->ps, body, nospan());
}

/* A natural loop at head: `loop { }` (or `while`), then on at its follow. */
static bool loop_stmt(Tobp *T, const IrNode *head, PtrVec *out, bool *falls, const IrNode **next) {
  Loop L;
  if (!loop_init(T, &L, head)) {
    free(L.members);
    return false;
  }
  PtrVec stmts = {0};
  bool body_falls;
  walk(T, head, NULL, &L, &stmts, &body_falls, true);
  free(L.members);
  if (T->failed) return false;
  push(T, out, loop_or_while(T, block_of(T, &stmts)));
  *falls = L.broke;
  *next = L.follow;
  return true;
}

/* for x in LIST { }: ITER_START, then ITER_NEXT (the head) with the body on
 * its FLOW edge and the way out on its ELSE edge. */
static bool for_stmt(Tobp *T, const IrNode *start, PtrVec *out, const IrNode **next) {
  const IrEdge *e = flow_out(T, start);
  const IrNode *head = e ? e->to : NULL;
  if (!head || head->kind != IR_ITER_NEXT || (e->flags & IR_EDGE_BACK))
    return fail(T, start, "a for loop whose start is not followed by its next-element step");
  if (!once(T, head)) return false;
  const IrEdge *body = NULL, *done = NULL;
  for (uint32_t i = 0; i < head->nout; i++) {
    const IrEdge *o = ir_edge_at(T->p, head->out[i]);
    if (o->kind == IR_E_FLOW || o->kind == IR_E_LOOP) body = o;
    else if (o->kind == IR_E_ELSE) done = o;
  }
  if (!body || !done) return fail(T, head, "a for loop without its body or its way out");
  Loop L;
  if (!loop_init(T, &L, head)) {
    free(L.members);
    return false;
  }
  if (L.follow != done->to && !(L.follow == NULL && done->to->kind == IR_END)) {
    free(L.members);
    return fail(T, head, "the for loop leaves to more than one place (`%s` when the list is done, `%s` "
                         "from inside)", done->to->id, L.follow ? L.follow->id : "the end");
  }
  PtrVec stmts = {0};
  bool body_falls;
  walk_edge(T, body, NULL, &L, &stmts, &body_falls);
  free(L.members);
  if (T->failed) return false;
  Block *b = block_of(T, &stmts);
  tidy_end(T, b);
  const char *var = slot_name(T, head->u.iter_next.var, head);
  Expr *list = expr(T, start->u.iter_start.list, start);
  push(T, out, from_node(T, tree_for(T->ps, tree_name(var, nospan()), list, b, nospan()), start));
  *next = L.follow;
  return true;
}

/* The walk: the statements from n on, up to `follow` (exclusive; NULL: to
 * the end of the flow), into out. *falls: whether the end of what was
 * written is reached (false when every path ended in a jump or a
 * terminate). at_head: n is the head of the loop L being written. */
static bool walk(Tobp *T, const IrNode *n, const IrNode *follow, Loop *L, PtrVec *out, bool *falls,
                 bool at_head) {
  *falls = false;
  if (!deeper(T, n)) return false;
  bool ok = false;
  for (;;) {
    if (T->failed) break;
    if (n == follow) {
      *falls = ok = true;
      break;
    }
    if (L && n == L->follow) {
      push(T, out, tree_stmt(T->ps, S_BREAK, nospan()));
      L->broke = true;
      ok = true;
      break;
    }
    const IrNode *next = NULL;
    bool goes_on = true;
    if (!at_head && is_loop_head(T, n) && n->kind != IR_ITER_NEXT) {
      if (!loop_stmt(T, n, out, &goes_on, &next)) break;
    } else {
      at_head = false;
      const IrEdge *e = NULL;
      switch (n->kind) {
      case IR_START: e = flow_out(T, n); break;
      case IR_MERGE:
        if (T->merged[n->index] && !merge_again(T, n)) return false;
        T->merged[n->index] = true;
        e = flow_out(T, n);
        break;
      case IR_END: case IR_HANDLER_END:
        T->depth--;
        return at_end(T, n, follow, L, out, falls);
      case IR_TERMINATE: {
        Expr *reason = n->u.terminate.reason ? expr(T, n->u.terminate.reason, n) : NULL;
        push(T, out, from_node(T, tree_terminate(T->ps, reason, nospan()), n));
        T->depth--;
        return !T->failed;
      }
      case IR_CHOICE:
        if (!once(T, n) || !choice_stmt(T, n, L, out, &goes_on, &next)) goto done;
        break;
      case IR_FORK: case IR_RACE:
        if (n->kind == IR_RACE && listen_stmt(T, n, out, &e)) {
          if (!e) next = NULL;
          break;
        }
        if (T->failed || !once(T, n) || !fork_stmt(T, n, out, &e)) goto done;
        if (!e) next = NULL;
        break;
      case IR_EVENT_WAIT:
        if (!once(T, n) || !event_stmt(T, n, L, out, &goes_on, &next)) goto done;
        break;
      case IR_ITER_START:
        if (!once(T, n) || !for_stmt(T, n, out, &next)) goto done;
        break;
      case IR_TRY:
        if (!once(T, n) || !try_stmt(T, n, L, out, &goes_on, &next)) goto done;
        break;
      case IR_TRY_END: {
        TryBody *tb = T->try_body;
        if (!tb || n->u.try_.group != tb->try_node->u.try_.group) {
          fail(T, n, "a flow reaches the end of a try scope from outside its block");
          goto done;
        }
        const IrEdge *leave = flow_out(T, n);
        if (!leave) {
          fail(T, n, "the end of a try scope with no way on");
          goto done;
        }
        if (tb->left && tb->after->to != leave->to) {
          fail(T, n, "the try scope `%s` is left for two places (`%s`, `%s`): .bp goes on after a try at one",
               tb->try_node->id, tb->after->to->id, leave->to->id);
          goto done;
        }
        tb->left = true;
        tb->after = leave;
        *falls = ok = true;
        goto done;
      }
      case IR_THROW: {
        Expr *code = expr(T, n->u.throw_.code, n);
        Expr *msg = n->u.throw_.message ? expr(T, n->u.throw_.message, n) : NULL;
        push(T, out, from_node(T, tree_throw(T->ps, code, msg, nospan()), n));
        T->depth--;
        return !T->failed;
      }
      case IR_JOIN: case IR_RACE_JOIN:
        fail(T, n, "flows reach this join that do not come from one parallel split as one block");
        goto done;
      case IR_STATE: case IR_GOTO: case IR_IDLE:
        fail(T, n, "processes with states are not printed by bpc import yet");
        goto done;
      case IR_SPAWN: /* a listener not beside a human step (listen_stmt) */
        fail(T, n, "handlers beside an activity that is not a human step (a non-interrupting boundary "
                   "event on a sub-process, an action or a receive task) have no .bp form: `on message` "
                   "follows a human step");
        goto done;
      default: {
        if (!once(T, n)) goto done; /* before a step's handlers are walked */
        Stmt *s = step_stmt(T, n);
        if (!s) {
          fail(T, n, "a node of kind `%s` has no .bp statement in bpc import yet", ir_node_kind_name(n->kind));
          goto done;
        }
        push(T, out, from_node(T, s, n));
        e = flow_out(T, n);
        if (!e) {
          fail(T, n, "a step with no way on");
          goto done;
        }
      }
      }
      if (e) { /* go on along one edge */
        if (e->flags & IR_EDGE_BACK) {
          ok = walk_edge(T, e, follow, L, out, falls);
          break;
        }
        n = e->to;
        continue;
      }
    }
    if (!goes_on) { /* every path of the construct ended in a jump */
      ok = true;
      break;
    }
    if (!next) {
      T->depth--;
      return at_end(T, n, follow, L, out, falls);
    }
    n = next;
  }
done:
  T->depth--;
  return ok && !T->failed;
}

/* ---- comments with the ids ------------------------------------------------------- */

static Stmt *from_node(Tobp *T, Stmt *s, const IrNode *n) {
  if (T->ids && s && n->id && *n->id) {
    StmtId *si = arena_alloc(&T->prog->arena, sizeof *si);
    si->stmt = s;
    si->id = n->id;
    ptrvec_push(&T->prog->arena, &T->stmt_ids, si);
  }
  return s;
}

static int cmp_stmt_id(const void *a, const void *b) {
  const Stmt *x = (*(const StmtId *const *)a)->stmt, *y = (*(const StmtId *const *)b)->stmt;
  return x < y ? -1 : x > y;
}

static const char *id_of(const Tobp *T, const Stmt *s) {
  StmtId key = {s, NULL}, *kp = &key;
  StmtId **hit = T->stmt_ids.n ? bsearch(&kp, T->stmt_ids.items, T->stmt_ids.n, sizeof kp, cmp_stmt_id) : NULL;
  return hit ? (*hit)->id : NULL;
}

/* The formatter takes comments and line breaks from the source text through
 * the nodes' spans. For the ids, a made-up source is laid out in the order
 * the formatter prints: a character for each statement, then the comment
 * `# ID` running to the end of its line, then the statement's blocks. A
 * statement's comment thus trails the first line the statement prints; a
 * block holding a comment is not folded onto one line. Nothing else of the
 * made-up text is ever printed, and it has no blank line. */
static void layout_stmt(Tobp *T, Stmt *s);

static void layout_block(Tobp *T, Block *b) {
  if (!b) return;
  b->span.off = (uint32_t)T->text.len;
  sb_putc(&T->text, '{');
  for (uint32_t i = 0; i < b->n; i++) layout_stmt(T, b->stmts[i]);
  sb_putc(&T->text, '}');
  b->span.len = (uint32_t)T->text.len - b->span.off;
}

static void layout_stmt(Tobp *T, Stmt *s) {
  s->span.off = (uint32_t)T->text.len;
  sb_putc(&T->text, 's');
  const char *id = id_of(T, s);
  if (id) {
    Comment *c = arena_alloc(&T->prog->arena, sizeof *c);
    c->own_line = false;
    c->span.off = (uint32_t)T->text.len;
    sb_puts(&T->text, "# ");
    for (const char *p = id; *p; p++) sb_putc(&T->text, *p == '\n' || *p == '\r' ? ' ' : *p);
    c->span.len = (uint32_t)T->text.len - c->span.off;
    sb_putc(&T->text, '\n');
    ptrvec_push(&T->prog->arena, &T->comments, c);
  }
  switch (s->kind) {
  case S_IF:
    for (uint32_t i = 0; i < s->u.if_.n; i++) layout_block(T, s->u.if_.blocks[i]);
    layout_block(T, s->u.if_.otherwise);
    break;
  case S_WHILE: layout_block(T, s->u.while_.body); break;
  case S_LOOP: layout_block(T, s->u.loop.body); break;
  case S_FOR: layout_block(T, s->u.for_.body); break;
  case S_TRY:
    layout_block(T, s->u.try_.body);
    for (uint32_t i = 0; i < s->u.try_.n; i++) layout_block(T, s->u.try_.catches[i]->body);
    break;
  case S_PARALLEL:
    for (uint32_t i = 0; i < s->u.parallel.n; i++) layout_block(T, s->u.parallel.branches[i]);
    break;
  case S_HUMAN: {
    HumanStep *h = s->u.human;
    for (uint32_t i = 0; i < h->nreminds; i++) {
      h->reminds[i].span.off = (uint32_t)T->text.len;
      sb_putc(&T->text, 'r');
      layout_block(T, h->reminds[i].body);
      h->reminds[i].span.len = (uint32_t)T->text.len - h->reminds[i].span.off;
    }
    if (h->on_timeout) {
      h->on_timeout_span.off = (uint32_t)T->text.len;
      sb_putc(&T->text, 'o');
      layout_block(T, h->on_timeout);
    }
    for (uint32_t i = 0; i < h->nafters; i++) { /* after the reminds and the on timeout */
      h->afters[i].span.off = (uint32_t)T->text.len;
      sb_putc(&T->text, 'a');
      layout_block(T, h->afters[i].body);
      h->afters[i].span.len = (uint32_t)T->text.len - h->afters[i].span.off;
    }
    break;
  }
  default: break;
  }
  s->span.len = (uint32_t)T->text.len - s->span.off;
}

/* Lays out every item (see layout_stmt) and makes the program's source the
 * made-up text. The text starts with a character no comment precedes: the
 * formatter looks for a request's braces from offset 0. */
static void layout_program(Tobp *T) {
  if (T->stmt_ids.n) qsort(T->stmt_ids.items, T->stmt_ids.n, sizeof *T->stmt_ids.items, cmp_stmt_id);
  sb_init(&T->text);
  sb_puts(&T->text, "x\n");
  uint32_t nproc = 0;
  for (uint32_t i = 0; i < T->prog->nitems; i++) {
    Item *it = &T->prog->items[i];
    uint32_t off = (uint32_t)T->text.len;
    sb_putc(&T->text, 'i');
    if (it->kind == I_PROCESS) {
      Process *p = it->u.proc;
      const char *schedule = nproc < T->ir->nprocs ? T->schedules[nproc] : NULL;
      nproc++;
      if (schedule) { /* a comment of its own line before the statements */
        sb_putc(&T->text, '\n');
        Comment *c = arena_alloc(&T->prog->arena, sizeof *c);
        c->own_line = true;
        c->span.off = (uint32_t)T->text.len;
        sb_puts(&T->text, "# ");
        for (const char *q = schedule; *q; q++) sb_putc(&T->text, *q == '\n' || *q == '\r' ? ' ' : *q);
        c->span.len = (uint32_t)T->text.len - c->span.off;
        sb_putc(&T->text, '\n');
        ptrvec_push(&T->prog->arena, &T->comments, c);
      }
      for (uint32_t k = 0; k < p->nmembers; k++)
        if (p->members[k].kind == M_STMT) layout_stmt(T, p->members[k].u.stmt);
      sb_putc(&T->text, '}');
      p->span = span_make(off, (uint32_t)T->text.len - off);
    } else if (it->kind == I_DOCUMENT) {
      it->u.doc->span = span_make(off, 1);
    } else {
      it->u.action->span = span_make(off, 1);
    }
  }
  T->prog->ncomments = T->comments.n;
  T->prog->comments = arena_alloc(&T->prog->arena, (T->comments.n ? T->comments.n : 1) * sizeof *T->prog->comments);
  for (uint32_t i = 0; i < T->comments.n; i++) T->prog->comments[i] = *(Comment *)T->comments.items[i];
}

/* ---- declarations and the program ------------------------------------------------ */

static Member member_decl(Decl *d) {
  Member m = {.kind = M_DECL, .u.decl = d};
  return m;
}

static TypeRef type_ref(Tobp *T, const Type *t, const char *what, uint32_t line) {
  if (!t || !type_by_name(t->name)) {
    IrNode at = {.id = what, .line = line};
    fail(T, &at, "`%s` has the type %s, which a .bp declaration cannot name", what, t ? t->name : "?");
    return tree_type(tree_name("string", nospan()));
  }
  return tree_type(tree_name(t->name, nospan()));
}

/* Names every process's slots and parameters first: a `start` names the
 * parameters of another process. */
static void name_procs(Tobp *T) {
  T->procs = arena_alloc(&T->prog->arena, (T->ir->nprocs ? T->ir->nprocs : 1) * sizeof *T->procs);
  for (uint32_t i = 0; i < T->ir->nprocs; i++) {
    const IrProc *p = &T->ir->procs[i];
    ProcNames *pn = &T->procs[i];
    pn->name = unique_name(T, &T->items, p->name, "process");
    NameSet locals = {0};
    if (p->doc >= 0)
      for (uint32_t k = 0; k < T->ir->docs[p->doc].nfields; k++) nameset_add(&locals, T->fields[p->doc][k]);
    pn->slots = arena_alloc(&T->prog->arena, (p->slots.n ? p->slots.n : 1) * sizeof *pn->slots);
    for (uint32_t k = 0; k < p->slots.n; k++) {
      const IrSlot *s = ir_slot_at(p, k);
      pn->slots[k] = s->kind == IR_SLOT_HIDDEN ? NULL : unique_name(T, &locals, s->name, "value");
    }
    pn->params = arena_alloc(&T->prog->arena, (p->params.n ? p->params.n : 1) * sizeof *pn->params);
    for (uint32_t k = 0; k < p->params.n; k++) {
      const IrParam *pa = p->params.items[k];
      pn->params[k] = pa->slot < p->slots.n ? pn->slots[pa->slot] : "_";
    }
    nameset_free(&locals);
  }
}

static void name_items(Tobp *T) {
  const IrProgram *ir = T->ir;
  T->docs = arena_alloc(&T->prog->arena, (ir->ndocs ? ir->ndocs : 1) * sizeof *T->docs);
  T->fields = arena_alloc(&T->prog->arena, (ir->ndocs ? ir->ndocs : 1) * sizeof *T->fields);
  for (uint32_t i = 0; i < ir->ndocs; i++) {
    T->docs[i] = unique_name(T, &T->items, ir->docs[i].name, "Document");
    NameSet fs = {0};
    uint32_t n = ir->docs[i].nfields;
    T->fields[i] = arena_alloc(&T->prog->arena, (n ? n : 1) * sizeof **T->fields);
    for (uint32_t k = 0; k < n; k++) T->fields[i][k] = unique_name(T, &fs, ir->docs[i].fields[k].name, "field");
    nameset_free(&fs);
  }
  T->actions = arena_alloc(&T->prog->arena, (ir->nactions ? ir->nactions : 1) * sizeof *T->actions);
  for (uint32_t i = 0; i < ir->nactions; i++) T->actions[i] = unique_name(T, &T->items, ir->actions[i].name, "action");
  name_procs(T);
}

static void add_item(Tobp *T, ItemKind kind, void *node) { tree_add_item(T->ps, kind, node); }

static void document_item(Tobp *T, uint32_t i) {
  const IrDoc *d = &T->ir->docs[i];
  DocField *fields = arena_alloc(&T->prog->arena, (d->nfields ? d->nfields : 1) * sizeof *fields);
  for (uint32_t k = 0; k < d->nfields; k++) {
    Expr *init = d->fields[k].def ? expr(T, d->fields[k].def, NULL) : NULL;
    fields[k] = *tree_docfield(T->ps, tree_name(T->fields[i][k], nospan()),
                               type_ref(T, d->fields[k].type, d->fields[k].name, 0), init, nospan());
  }
  DocFieldList l;
  LIST_INIT(l);
  for (uint32_t k = 0; k < d->nfields; k++) LIST_PUSH(T->ps, &l, fields[k]);
  add_item(T, I_DOCUMENT, tree_document(T->ps, tree_name(T->docs[i], nospan()), &l, nospan()));
}

static void action_item(Tobp *T, uint32_t i) {
  const IrAction *a = &T->ir->actions[i];
  ActionParam *params = arena_alloc(&T->prog->arena, (a->nparams ? a->nparams : 1) * sizeof *params);
  NameSet names = {0};
  for (uint32_t k = 0; k < a->nparams; k++) {
    const char *name = unique_name(T, &names, a->params[k].name, "value");
    params[k] = *tree_action_param(T->ps, tree_name(name, nospan()), type_ref(T, a->params[k].type, name, 0), nospan());
  }
  nameset_free(&names);
  ParamList l;
  LIST_INIT(l);
  for (uint32_t k = 0; k < a->nparams; k++) LIST_PUSH(T->ps, &l, params[k]);
  TypeRef result = tree_type(tree_name(NULL, nospan()));
  if (a->result && a->result != &type_void) result = type_ref(T, a->result, a->name, 0);
  add_item(T, I_ACTION, tree_action(T->ps, tree_name(T->actions[i], nospan()), &l, result, nospan()));
}

static Trigger *trigger_of(Tobp *T, const IrProc *p) {
  const IrTrigger *t = &p->trigger;
  Name *fields = arena_alloc(&T->prog->arena, (t->nfields ? t->nfields : 1) * sizeof *fields);
  for (uint32_t i = 0; i < t->nfields; i++) fields[i] = tree_name(field_name(T, t->fields[i], NULL), nospan());
  NameList l;
  LIST_INIT(l);
  for (uint32_t i = 0; i < t->nfields; i++) LIST_PUSH(T->ps, &l, fields[i]);
  Expr *when = t->when ? expr(T, t->when, NULL) : NULL;
  const char *word = t->kind == IR_TRIG_CREATE ? "create" : "change";
  return tree_trigger(T->ps, tree_name(word, nospan()), &l, when, nospan());
}

/* Parameters and variables, in slot order. */
static void declarations(Tobp *T, PtrVec *members) {
  const IrProc *p = T->p;
  for (uint32_t i = 0; i < p->params.n; i++) {
    const IrParam *pa = p->params.items[i];
    Expr *def = pa->def ? expr(T, pa->def, NULL) : NULL;
    Expr *label = pa->label && *pa->label ? string_expr(T, pa->label, (uint32_t)strlen(pa->label)) : NULL;
    Member *m = arena_alloc(&T->prog->arena, sizeof *m);
    *m = member_decl(tree_decl(T->ps, D_PARAM, tree_name(T->names->params[i], nospan()),
                               type_ref(T, pa->type, pa->name, p->line), def, label, nospan()));
    ptrvec_push(&T->prog->arena, members, m);
  }
  for (uint32_t i = 0; i < p->inits.n; i++) {
    const IrInit *in = p->inits.items[i];
    Expr *value = in->value ? expr(T, in->value, NULL) : NULL;
    Member *m = arena_alloc(&T->prog->arena, sizeof *m);
    *m = member_decl(tree_decl(T->ps, D_VAR, tree_name(slot_name(T, in->slot, NULL), nospan()),
                               type_ref(T, in->type, ir_slot_at(p, in->slot)->name, in->line), value, NULL,
                               nospan()));
    ptrvec_push(&T->prog->arena, members, m);
  }
}

static void fork_joins(Tobp *T) {
  const IrProc *p = T->p;
  T->joins = arena_alloc(&T->prog->arena, (p->ngroups ? p->ngroups : 1) * sizeof *T->joins);
  memset(T->joins, 0, (p->ngroups ? p->ngroups : 1) * sizeof *T->joins);
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    const IrNode *n = ir_node_at(p, i);
    if ((n->kind == IR_JOIN || n->kind == IR_RACE_JOIN) && n->u.fork.group < p->ngroups) T->joins[n->u.fork.group] = n;
  }
}

static void process_item(Tobp *T, uint32_t i) {
  const IrProc *p = &T->ir->procs[i];
  T->p = p;
  T->names = &T->procs[i];
  memset(&T->locals, 0, sizeof T->locals);
  for (uint32_t k = 0; k < p->slots.n; k++)
    if (T->names->slots[k]) nameset_add(&T->locals, T->names->slots[k]);
  if (p->doc >= 0)
    for (uint32_t k = 0; k < T->ir->docs[p->doc].nfields; k++) nameset_add(&T->locals, T->fields[p->doc][k]);
  memset(&T->extra, 0, sizeof T->extra);
  T->emitted = xcalloc(p->nodes.n ? p->nodes.n : 1, sizeof *T->emitted);
  T->merged = xcalloc(p->nodes.n ? p->nodes.n : 1, sizeof *T->merged);
  T->try_slot = xcalloc(p->slots.n + 2, sizeof *T->try_slot);
  for (uint32_t k = 0; k < p->nodes.n; k++) {
    const IrNode *t = ir_node_at(p, k);
    if (t->kind == IR_TRY && t->u.try_.slot < p->slots.n) T->try_slot[t->u.try_.slot] = T->try_slot[t->u.try_.slot + 1] = true;
  }
  tobp_graph_init(&T->g, p);
  fork_joins(T);

  PtrVec members = {0};
  if (p->trigger.kind == IR_TRIG_TIMER) {
    /* .bp has no schedule trigger: the process is printed to be started by hand, with
     * the schedule in a comment at the top of its body (layout_program) */
    const char *when = p->trigger.schedule && *p->trigger.schedule ? p->trigger.schedule : "?";
    T->schedules[i] = arena_printf(&T->prog->arena, "started by a timer on the schedule %s, which .bp has no trigger for: the host starts it", when);
  } else if (p->trigger.kind != IR_TRIG_MANUAL) {
    Member *m = arena_alloc(&T->prog->arena, sizeof *m);
    *m = (Member){.kind = M_TRIGGER, .u.trigger = trigger_of(T, p)};
    ptrvec_push(&T->prog->arena, &members, m);
  }
  declarations(T, &members);
  PtrVec body = {0};
  bool falls;
  if (p->nstates) fail(T, p->states[0].node, "processes with states are not printed by bpc import yet");
  else if (!p->start) fail(T, NULL, "the process has no start");
  else walk(T, p->start, NULL, NULL, &body, &falls, false);

  MemberList l;
  LIST_INIT(l);
  for (uint32_t k = 0; k < members.n; k++) LIST_PUSH(T->ps, &l, *(Member *)members.items[k]);
  for (uint32_t k = 0; k < T->extra.n; k++) LIST_PUSH(T->ps, &l, *(Member *)T->extra.items[k]);
  for (uint32_t k = 0; k < body.n; k++) LIST_PUSH(T->ps, &l, ((Member){.kind = M_STMT, .u.stmt = body.items[k]}));
  const char *name = T->names->name;
  Expr *title = p->title && *p->title && strcmp(p->title, name) != 0
                    ? string_expr(T, p->title, (uint32_t)strlen(p->title)) : NULL;
  Name doc = tree_name(p->doc >= 0 ? T->docs[p->doc] : NULL, nospan());
  Process *proc = tree_process(T->ps, tree_name(name, nospan()), title, doc);
  add_item(T, I_PROCESS, tree_process_body(T->ps, proc, &l, nospan()));

  tobp_graph_free(&T->g);
  free(T->emitted);
  free(T->merged);
  free(T->try_slot);
  T->try_slot = NULL;
  nameset_free(&T->locals);
  T->p = NULL;
}

char *tobp_program(const IrProgram *ir, bool ids, TobpError *err) {
  memset(err, 0, sizeof *err);
  Tobp T;
  memset(&T, 0, sizeof T);
  T.ir = ir;
  T.ids = ids;
  T.err = err;
  char *empty = xcalloc(1, 1);
  T.src = source_new(ir->source_path && *ir->source_path ? ir->source_path : "import.bp", empty, 0);
  T.prog = xcalloc(1, sizeof *T.prog);
  arena_init(&T.prog->arena);
  T.prog->src = T.src;
  diags_init(&T.diags, T.src);
  T.ps = xcalloc(1, sizeof *T.ps);
  T.ps->prog = T.prog;
  T.ps->arena = &T.prog->arena;
  T.ps->diags = &T.diags;

  if (!ir->finished || ir->nerrors) fail(&T, NULL, "the program was not finished without errors");
  if (!T.failed) name_items(&T);
  for (uint32_t i = 0; i < ir->ndocs && !T.failed; i++) document_item(&T, i);
  for (uint32_t i = 0; i < ir->nactions && !T.failed; i++) action_item(&T, i);
  T.schedules = xcalloc(ir->nprocs + 1, sizeof *T.schedules);
  for (uint32_t i = 0; i < ir->nprocs && !T.failed; i++) process_item(&T, i);
  if (!T.failed && T.diags.errors) { /* a builder refused what the walk made */
    const char *why = "?";
    for (uint32_t i = 0; i < T.diags.n; i++)
      if (T.diags.items[i].level == DIAG_ERROR) {
        why = T.diags.items[i].message;
        break;
      }
    fail(&T, NULL, "the printed text would not read back (%s)", why);
  }

  char *text = NULL;
  if (!T.failed) {
    T.prog->nitems = T.ps->items.n;
    T.prog->items = arena_alloc(&T.prog->arena, (T.prog->nitems ? T.prog->nitems : 1) * sizeof *T.prog->items);
    for (uint32_t i = 0; i < T.prog->nitems; i++) T.prog->items[i] = *(Item *)T.ps->items.items[i];
    layout_program(&T);
    size_t len = T.text.len;
    Source *laid = source_new(T.src->path, sb_take(&T.text), (uint32_t)len);
    T.prog->src = laid;
    text = fmt_program(T.prog);
    T.prog->src = T.src;
    source_free(laid);
  }
  nameset_free(&T.items);
  free(T.schedules);
  free(T.ps->lists.data);
  free(T.ps);
  diags_free(&T.diags);
  parse_program_free(T.prog);
  source_free(T.src);
  return text;
}
