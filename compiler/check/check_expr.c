/* check_expr.c — types of expressions, built-in functions and constants.
 *
 * Every expression gets its static type (Expr.type) and every name its
 * Symbol. An expression that is wrong gets type_error after one report, and
 * type_error fits everywhere, so a mistake is reported once, where it is.
 * Constants are recognised here and int/bool ones folded, so that `vote N%`
 * and similar can be checked at compile time. */
#include <limits.h>
#include <string.h>

#include "bpt_time.h"
#include "check_internal.h"
#include "parse.h"

/* Operator chains (`a + b + c ...`) are not nesting to the parser, so their
 * depth is not bounded by PARSE_MAX_DEPTH; this bound keeps the recursive
 * walks below from exhausting the stack on a pathological line. */
enum { MAX_EXPR_DEPTH = 10 * PARSE_MAX_DEPTH };

/* How many operand-stack places one expression may hold at once. The bundle's
 * operand stack has BPT_STACK_MAX (64) places for a whole statement; the rest
 * is left to what a statement pushes around its expressions (a step's people,
 * title and due time). Right-nested operators are what need places:
 * `a + (b + (c + ...))` keeps every left operand while it computes the right. */
enum { MAX_EXPR_OPERANDS = 48 };

bool check_is_record(const Type *t) { return t->kind == T_RECORD; }

static bool is_time_point(const Type *t) { return t->kind == T_DATE || t->kind == T_DATETIME; }

/* ---- built-in functions ------------------------------------------------------ */

typedef enum BuiltinRule {
  RULE_FIXED,    /* the parameter types below */
  RULE_LEN,      /* a string or a list */
  RULE_ROUND,    /* a number and an int */
  RULE_MINMAX,   /* two numbers, or two dates / datetimes / durations */
  RULE_JOIN,     /* a list and a string */
  RULE_DATE,     /* a string, checked when literal */
  RULE_DATETIME
} BuiltinRule;

typedef struct Builtin {
  const char *name;
  uint8_t nargs;
  BuiltinRule rule;
  bool pure; /* depends only on its arguments: allowed in constants */
  const Type *result; /* NULL: decided by the rule */
  const Type *params[3];
} Builtin;

static const Builtin builtins[] = {
    {"now", 0, RULE_FIXED, false, &type_datetime, {NULL}},
    {"today", 0, RULE_FIXED, false, &type_date, {NULL}},
    {"len", 1, RULE_LEN, true, &type_int, {NULL}},
    {"substr", 3, RULE_FIXED, true, &type_string, {&type_string, &type_int, &type_int}},
    {"lower", 1, RULE_FIXED, true, &type_string, {&type_string}},
    {"upper", 1, RULE_FIXED, true, &type_string, {&type_string}},
    {"trim", 1, RULE_FIXED, true, &type_string, {&type_string}},
    {"replace", 3, RULE_FIXED, true, &type_string, {&type_string, &type_string, &type_string}},
    {"starts_with", 2, RULE_FIXED, true, &type_bool, {&type_string, &type_string}},
    {"ends_with", 2, RULE_FIXED, true, &type_bool, {&type_string, &type_string}},
    {"contains", 2, RULE_FIXED, true, &type_bool, {&type_string, &type_string}},
    {"round", 2, RULE_ROUND, true, &type_decimal, {NULL, &type_int}},
    {"min", 2, RULE_MINMAX, true, NULL, {NULL}},
    {"max", 2, RULE_MINMAX, true, NULL, {NULL}},
    {"role", 1, RULE_FIXED, false, &type_users, {&type_string}},
    {"join", 2, RULE_JOIN, true, &type_string, {NULL, &type_string}},
    {"date", 1, RULE_DATE, true, &type_date, {&type_string}},
    {"datetime", 1, RULE_DATETIME, true, &type_datetime, {&type_string}},
    {"open_items", 0, RULE_FIXED, false, &type_list_string, {NULL}},
    {"open_users", 0, RULE_FIXED, false, &type_users, {NULL}},
};
enum { NBUILTINS = sizeof builtins / sizeof builtins[0] };

static const Builtin *find_builtin(const char *name) {
  for (size_t i = 0; i < NBUILTINS; i++)
    if (str_eq(builtins[i].name, name)) return &builtins[i];
  return NULL;
}

bool check_is_builtin_function(const char *name) { return find_builtin(name) != NULL; }

/* ---- literal dates ----------------------------------------------------------- */

static bool digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

/* Is s (n bytes) shaped like YYYY-MM-DD? Then *valid says whether it is a day
 * (of years 1..9999: the calendar is the bundle's, bpt_time.h). */
static bool date_shape(const char *s, size_t n, bool *valid) {
  if (n != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
      !digits(s + 8, 2))
    return false;
  int64_t days;
  *valid = bpt_parse_date(s, n, &days);
  return true;
}

/* YYYY-MM-DDTHH:MM */
static bool datetime_shape(const char *s, size_t n, bool *valid) {
  if (n != 16 || s[10] != 'T' || s[13] != ':' || !digits(s + 11, 2) || !digits(s + 14, 2))
    return false;
  bool day_ok;
  if (!date_shape(s, 10, &day_ok)) return false;
  int64_t minutes;
  *valid = day_ok && bpt_parse_datetime(s, n, &minutes);
  return true;
}

/* The text of a string literal without interpolation, or NULL. */
const char *check_literal_text(Checker *C, const Expr *e, size_t *len) {
  if (!e || e->kind != E_STRING) return NULL;
  StrBuf b;
  sb_init(&b);
  for (uint32_t i = 0; i < e->u.str.n; i++) {
    if (e->u.str.parts[i].expr) {
      sb_free(&b);
      return NULL;
    }
    sb_putn(&b, e->u.str.parts[i].text, e->u.str.parts[i].len);
  }
  *len = b.len;
  char *s = arena_strndup(C->arena, b.data ? b.data : "", b.len);
  sb_free(&b);
  return s;
}

static void check_date_literal(Checker *C, const Expr *arg, bool with_time) {
  size_t n;
  const char *s = check_literal_text(C, arg, &n);
  if (!s) return;
  bool valid = false;
  bool shaped = with_time ? datetime_shape(s, n, &valid) : date_shape(s, n, &valid);
  const char *what = with_time ? "datetime" : "date";
  if (!shaped)
    diag_error(C->diags, arg->span, "invalid %s `%s`; write it as %s", what, s,
               with_time ? "YYYY-MM-DDTHH:MM" : "YYYY-MM-DD");
  else if (!valid)
    diag_error(C->diags, arg->span, "invalid %s `%s`", what, s);
}

/* ---- names -------------------------------------------------------------------- */

static const char *sym_kind_name(SymKind k) {
  switch (k) {
  case SYM_FIELD: return "document field";
  case SYM_PARAM: return "parameter";
  case SYM_VAR: return "variable";
  case SYM_CONST: return "constant";
  case SYM_RESULT: return "step result";
  case SYM_LOOPVAR: return "loop variable";
  default: return "name";
  }
}

static const Type *check_doc_default_name(Checker *C, Expr *e) {
  const char *name = e->u.name.s;
  if (check_table_get(C->doc_fields, name))
    diag_error(C->diags, e->span, "the default of a field cannot use the field `%s`", name);
  else
    diag_error(C->diags, e->span, "unknown name `%s`", name);
  return &type_error;
}

/* May this symbol be read where names resolve in C->mode? */
static bool name_allowed(Checker *C, Expr *e, const Symbol *sym) {
  if (C->mode == NAMES_TRIGGER && sym->kind != SYM_FIELD && sym->kind != SYM_CONST) {
    diag_error(C->diags, e->span, "`when` can only use document fields and constants, not %s `%s`",
               sym_kind_name(sym->kind), sym->name);
    return false;
  }
  bool declared_here = sym->kind == SYM_PARAM || sym->kind == SYM_VAR || sym->kind == SYM_CONST;
  if (C->mode == NAMES_DECL_INIT && declared_here && sym->decl_span.off >= C->decl_limit) {
    if (sym->decl_span.off == C->decl_limit)
      diag_error(C->diags, e->span, "`%s` is used in its own declaration", sym->name);
    else
      diag_error(C->diags, e->span, "`%s` is used before its declaration", sym->name);
    return false;
  }
  return true;
}

static const Type *check_name(Checker *C, Expr *e) {
  const char *name = e->u.name.s;
  if (C->mode == NAMES_DOC_DEFAULT) return check_doc_default_name(C, e);
  Symbol *sym = check_lookup_value(C, name);
  if (!sym) {
    /* With an unknown document every field name would be "unknown": the
     * one report at `on DOC` says it all. */
    if (!(C->entry && C->entry->doc_unknown))
      check_report_unknown(C, e->span, "unknown name", name, check_suggest_value(C, name));
    return &type_error;
  }
  e->u.name.sym = sym;
  sym->used = true;
  if (sym->kind == SYM_ERROR && C->member_obj != e) {
    diag_error(C->diags, e->span, "`%s` is a caught error: use `%s.code` or `%s.message`", name, name, name);
    return &type_error;
  }
  if (!name_allowed(C, e, sym)) return &type_error;
  return sym->type ? sym->type : &type_error;
}

/* How a message names the object of obj.member. */
static const char *member_owner(Checker *C, const Expr *obj, const Type *t) {
  if (obj->kind == E_NAME) return arena_printf(C->arena, "`%s`", obj->u.name.s);
  return arena_printf(C->arena, "a %s", t->name);
}

/* obj.member: a member of a step result. */
static const Type *check_member(Checker *C, Expr *e) {
  C->member_obj = e->u.field.obj;
  const Type *t = check_expr(C, e->u.field.obj);
  C->member_obj = NULL;
  const Name member = expr_member(e), *m = &member;
  if (t->kind == T_ERROR || !m->s) return &type_error;
  const TypeField *f = type_field(t, m->s);
  if (f) return f->type;
  const char *what = member_owner(C, e->u.field.obj, t);
  if (!check_is_record(t)) {
    diag_error(C->diags, m->span, "%s is %s and has no members", what, t->name);
    return &type_error;
  }
  Suggest s;
  check_suggest_init(&s, m->s);
  for (uint32_t i = 0; i < t->nfields; i++) check_suggest_consider(C, &s, t->fields[i].name);
  if (s.best)
    diag_error(C->diags, m->span, "%s has no member `%s`; did you mean `%s`?", what, m->s,
               s.best);
  else
    diag_error(C->diags, m->span, "%s has no member `%s`", what, m->s);
  return &type_error;
}

/* ---- literals ------------------------------------------------------------------ */

static const Type *check_string(Checker *C, Expr *e) {
  for (uint32_t i = 0; i < e->u.str.n; i++) {
    Expr *part = e->u.str.parts[i].expr;
    if (!part) continue;
    const Type *t = check_expr(C, part);
    if (!check_is_record(t)) continue;
    if (part->kind == E_NAME)
      diag_error(C->diags, part->span,
                 "`%s` is a step result and cannot be shown as text; use a member such as "
                 "`%s.%s`",
                 part->u.name.s, part->u.name.s, t->fields[0].name);
    else
      diag_error(C->diags, part->span, "a step result cannot be shown as text");
  }
  return &type_string;
}

static const Type *check_list(Checker *C, Expr *e) {
  if (e->u.list.n == 0) return &type_list_empty;
  const Type *elem = &type_error;
  bool failed = false;
  for (uint32_t i = 0; i < e->u.list.n; i++) {
    Expr *item = e->u.list.items[i];
    const Type *t = check_expr(C, item);
    if (t->kind == T_ERROR) {
      failed = true;
      continue;
    }
    const Type *common = type_common(elem, t);
    if (!common) {
      diag_error(C->diags, item->span, "a list cannot mix %s and %s", elem->name, t->name);
      return &type_error;
    }
    elem = common;
  }
  if (failed || elem->kind == T_ERROR) return &type_error;
  const Type *list = type_list_of(elem);
  if (!list) {
    diag_error(C->diags, e->span, "there are no lists of %s", elem->name);
    return &type_error;
  }
  return list;
}

/* ---- calls --------------------------------------------------------------------- */

static void argument_error(Checker *C, const Expr *arg, uint32_t i, const char *fn,
                           const char *want, const Type *got) {
  diag_error(C->diags, arg->span, "argument %u of `%s` must be %s, not %s", i + 1, fn, want,
             got->name);
}

/* The result type of a call to b with argument types t[]; reports misfits. */
static const Type *apply_builtin(Checker *C, const Builtin *b, Expr **args,
                                 const Type **t) {
  switch (b->rule) {
  case RULE_LEN:
    if (t[0]->kind != T_STRING && t[0]->kind != T_LIST) {
      argument_error(C, args[0], 0, b->name, "a string or a list", t[0]);
      return &type_error;
    }
    return b->result;
  case RULE_ROUND:
    if (!type_is_numeric(t[0])) {
      argument_error(C, args[0], 0, b->name, "a number", t[0]);
      return &type_error;
    }
    break;
  case RULE_JOIN:
    if (t[0]->kind != T_LIST) {
      argument_error(C, args[0], 0, b->name, "a list", t[0]);
      return &type_error;
    }
    break;
  case RULE_MINMAX: {
    const Type *c = type_common(t[0], t[1]);
    if (c && (type_is_numeric(c) || is_time_point(c) || c->kind == T_DURATION)) return c;
    diag_error(C->diags, args[1]->span,
               "`%s` needs two numbers, dates, datetimes or durations, not %s and %s", b->name,
               t[0]->name, t[1]->name);
    return &type_error;
  }
  default: break;
  }
  for (uint32_t i = 0; i < b->nargs; i++) {
    if (!b->params[i] || type_assignable(b->params[i], t[i])) continue;
    argument_error(C, args[i], i, b->name, b->params[i]->name, t[i]);
    return &type_error;
  }
  if (b->rule == RULE_DATE || b->rule == RULE_DATETIME)
    check_date_literal(C, args[0], b->rule == RULE_DATETIME);
  return b->result;
}

static void unknown_function(Checker *C, const Expr *call) {
  const Name name = expr_fn(call), *fn = &name; /* its place, for the message only */
  if (check_table_get(&C->actions, fn->s)) {
    diag_error(C->diags, fn->span,
               "action `%s` cannot be called inside an expression; call it as a step: "
               "`%s(...) -> result`",
               fn->s, fn->s);
    return;
  }
  Suggest s;
  check_suggest_init(&s, fn->s);
  for (size_t i = 0; i < NBUILTINS; i++) check_suggest_consider(C, &s, builtins[i].name);
  check_report_unknown(C, fn->span, "unknown function", fn->s, s.best);
}

static const Type *check_call(Checker *C, Expr *e) {
  const char *fn = e->u.call.fn;
  const Type *t[3] = {&type_error, &type_error, &type_error};
  bool failed = false;
  for (uint32_t i = 0; i < e->nargs; i++) {
    const Type *ti = check_expr(C, e->u.call.args[i]);
    if (i < 3) t[i] = ti;
    failed |= ti->kind == T_ERROR;
  }
  const Builtin *b = fn ? find_builtin(fn) : NULL;
  if (!b) {
    if (fn) unknown_function(C, e);
    return &type_error;
  }
  if (e->nargs != b->nargs) {
    diag_error(C->diags, e->span, "`%s` takes %s, not %u", b->name,
               check_plural(C, b->nargs, "argument"), e->nargs);
    return &type_error;
  }
  if (failed) return b->result ? b->result : &type_error;
  return apply_builtin(C, b, e->u.call.args, t);
}

/* ---- operators ------------------------------------------------------------------ */

static const Type *check_unary(Checker *C, Expr *e) {
  const Type *t = check_expr(C, e->u.unary.operand);
  if (t->kind == T_ERROR) return t;
  if (e->u.unary.op == U_NOT) {
    if (t->kind == T_BOOL) return t;
    diag_error(C->diags, e->span, "`not` needs a bool, not %s", t->name);
    return &type_error;
  }
  if (type_is_numeric(t) || t->kind == T_DURATION) return t;
  diag_error(C->diags, e->span, "cannot negate %s", t->name);
  return &type_error;
}

/* + - * / %: the result type, or NULL when the operand types do not mix. */
static const Type *arithmetic_type(BinaryOp op, const Type *a, const Type *b) {
  if (type_is_numeric(a) && type_is_numeric(b))
    return op == B_MOD && (a->kind != T_INT || b->kind != T_INT) ? NULL : type_common(a, b);
  bool dur_a = a->kind == T_DURATION, dur_b = b->kind == T_DURATION;
  switch (op) {
  case B_ADD:
    if (a->kind == T_STRING && b->kind == T_STRING) return a;
    if (is_time_point(a) && dur_b) return a;
    if (dur_a && is_time_point(b)) return b;
    if (dur_a && dur_b) return a;
    return NULL;
  case B_SUB:
    if (is_time_point(a) && dur_b) return a;
    if (is_time_point(a) && a == b) return &type_duration;
    if (dur_a && dur_b) return a;
    return NULL;
  case B_MUL:
    if (dur_a && b->kind == T_INT) return a;
    if (a->kind == T_INT && dur_b) return b;
    return NULL;
  default:
    return NULL;
  }
}

static void arithmetic_error(Checker *C, Expr *e, const Type *a, const Type *b) {
  const char *x = a->name, *y = b->name;
  switch (e->op) {
  case B_ADD: diag_error(C->diags, e->span, "cannot add %s and %s", x, y); break;
  case B_SUB: diag_error(C->diags, e->span, "cannot subtract %s from %s", y, x); break;
  case B_MUL: diag_error(C->diags, e->span, "cannot multiply %s by %s", x, y); break;
  case B_DIV: diag_error(C->diags, e->span, "cannot divide %s by %s", x, y); break;
  default: diag_error(C->diags, e->span, "`%%` needs two ints, not %s and %s", x, y); break;
  }
}

static const char *const op_text[] = {"+", "-", "*", "/", "%", "==", "!=",
                                      "<", "<=", ">", ">=", "and", "or", "in"};

static const Type *comparison_type(Checker *C, Expr *e, const Type *a, const Type *b) {
  BinaryOp op = e->op;
  const Type *c = type_common(a, b);
  if (c && (a->kind == T_USER) != (b->kind == T_USER)) {
    diag_error(C->diags, e->span, "cannot compare %s and %s; to look for a user in a list, use `in`",
               a->name, b->name);
    return &type_error;
  }
  bool ok = c && !check_is_record(c);
  if (ok && op != B_EQ && op != B_NE)
    ok = type_is_numeric(c) || is_time_point(c) || c->kind == T_STRING || c->kind == T_DURATION;
  if (ok) return &type_bool;
  if (op == B_EQ || op == B_NE)
    diag_error(C->diags, e->span, "cannot compare %s and %s", a->name, b->name);
  else
    diag_error(C->diags, e->span, "cannot compare %s and %s with `%s`", a->name, b->name,
               op_text[op]);
  return &type_error;
}

static const Type *logic_type(Checker *C, Expr *e, const Type *a, const Type *b) {
  const char *op = op_text[e->op];
  bool ok = true;
  if (a->kind != T_BOOL && a->kind != T_ERROR) {
    diag_error(C->diags, e->u.binary.lhs->span, "`%s` needs bool operands, not %s", op, a->name);
    ok = false;
  }
  if (b->kind != T_BOOL && b->kind != T_ERROR) {
    diag_error(C->diags, e->u.binary.rhs->span, "`%s` needs bool operands, not %s", op, b->name);
    ok = false;
  }
  return ok ? &type_bool : &type_error;
}

static const Type *membership_type(Checker *C, Expr *e, const Type *a, const Type *b) {
  if (b->kind != T_LIST) {
    diag_error(C->diags, e->u.binary.rhs->span, "`in` needs a list on its right, not %s", b->name);
    return &type_error;
  }
  if (b == &type_list_empty || (a->kind != T_LIST && type_common(a, b->elem))) return &type_bool;
  diag_error(C->diags, e->span, "cannot look for %s in %s", a->name, b->name);
  return &type_error;
}

static const Type *check_binary(Checker *C, Expr *e) {
  const Type *a = check_expr(C, e->u.binary.lhs);
  const Type *b = check_expr(C, e->u.binary.rhs);
  BinaryOp op = e->op;
  if (op == B_AND || op == B_OR) return logic_type(C, e, a, b);
  if (a->kind == T_ERROR || b->kind == T_ERROR) return &type_error;
  switch (op) {
  case B_ADD: case B_SUB: case B_MUL: case B_DIV: case B_MOD: {
    const Type *t = arithmetic_type(op, a, b);
    if (t) return t;
    arithmetic_error(C, e, a, b);
    return &type_error;
  }
  case B_IN: return membership_type(C, e, a, b);
  default: return comparison_type(C, e, a, b);
  }
}

static const Type *check_cond(Checker *C, Expr *e) {
  check_expect_type(C, e->u.cond.cond, &type_bool, "condition");
  const Type *a = check_expr(C, e->u.cond.arms->then);
  const Type *b = check_expr(C, e->u.cond.arms->otherwise);
  const Type *c = type_common(a, b);
  if (c) return c;
  diag_error(C->diags, e->span, "the two sides of `? :` have different types: %s and %s",
             a->name, b->name);
  return &type_error;
}

/* ---- dispatch ------------------------------------------------------------------- */

static const Type *expr_type(Checker *C, Expr *e) {
  switch (e->kind) {
  case E_INT: return &type_int;
  case E_DECIMAL: return &type_decimal;
  case E_BOOL: return &type_bool;
  case E_DURATION: return &type_duration;
  case E_STRING: return check_string(C, e);
  case E_LIST: return check_list(C, e);
  case E_NAME: return check_name(C, e);
  case E_FIELD: return check_member(C, e);
  case E_CALL: return check_call(C, e);
  case E_UNARY: return check_unary(C, e);
  case E_BINARY: return check_binary(C, e);
  case E_COND: return check_cond(C, e);
  default: return &type_error;
  }
}

/* The operand places e needs at its fullest, as the code generator evaluates it:
 * operands left to right, each kept while those after it are computed. */
static uint32_t operand_places(const Expr *e, uint32_t depth) {
  if (!e || depth > MAX_EXPR_DEPTH) return 0;
  uint32_t most = 1;
  switch (e->kind) {
  case E_STRING:
    for (uint32_t i = 0; i < e->u.str.n; i++) {
      uint32_t k = i + (e->u.str.parts[i].expr ? operand_places(e->u.str.parts[i].expr, depth + 1) : 1);
      if (k > most) most = k;
    }
    return most;
  case E_LIST:
    for (uint32_t i = 0; i < e->u.list.n; i++) {
      uint32_t k = i + operand_places(e->u.list.items[i], depth + 1);
      if (k > most) most = k;
    }
    return most;
  case E_CALL:
    for (uint32_t i = 0; i < e->nargs; i++) {
      uint32_t k = i + operand_places(e->u.call.args[i], depth + 1);
      if (k > most) most = k;
    }
    return most;
  case E_FIELD: return operand_places(e->u.field.obj, depth + 1);
  case E_UNARY: return operand_places(e->u.unary.operand, depth + 1);
  case E_BINARY: {
    uint32_t l = operand_places(e->u.binary.lhs, depth + 1);
    uint32_t r = 1 + operand_places(e->u.binary.rhs, depth + 1);
    return l > r ? l : r;
  }
  case E_COND: {
    uint32_t c = operand_places(e->u.cond.cond, depth + 1);
    uint32_t a = operand_places(e->u.cond.arms->then, depth + 1);
    uint32_t b = operand_places(e->u.cond.arms->otherwise, depth + 1);
    return c > a ? (c > b ? c : b) : (a > b ? a : b);
  }
  default: return 1;
  }
}

uint32_t check_operand_places(const Expr *e) { return operand_places(e, 0); }

const Type *check_expr(Checker *C, Expr *e) {
  if (!e) return &type_error;
  if (C->expr_depth >= MAX_EXPR_DEPTH) {
    diag_error(C->diags, e->span, "this expression is nested too deeply");
    return e->type = &type_error;
  }
  C->expr_depth++;
  e->type = expr_type(C, e);
  C->expr_depth--;
  if (C->expr_depth == 0 && e->type != &type_error) {
    uint32_t places = operand_places(e, 0);
    if (places > MAX_EXPR_OPERANDS) {
      diag_error(C->diags, e->span,
                 "this expression keeps %u values at once, more than the %d a process may; "
                 "compute parts of it into variables first",
                 places, (int)MAX_EXPR_OPERANDS);
      e->type = &type_error;
    }
  }
  return e->type;
}

bool check_expect_type(Checker *C, Expr *e, const Type *want, const char *what) {
  const Type *t = check_expr(C, e);
  if (type_assignable(want, t)) return true;
  diag_error(C->diags, e->span, "%s must be %s, not %s", what, want->name, t->name);
  return false;
}

void check_text(Checker *C, Expr *e, const char *what) {
  if (e) check_expect_type(C, e, &type_string, what);
}

void check_plain_text(Checker *C, Expr *e, const char *what) {
  if (!e) return;
  if (e->kind != E_STRING) {
    check_text(C, e, what);
    return;
  }
  e->type = &type_string;
  for (uint32_t i = 0; i < e->u.str.n; i++) {
    if (!e->u.str.parts[i].expr) continue;
    diag_error(C->diags, e->u.str.parts[i].span, "%s must be plain text, without `{...}`", what);
    return;
  }
}

/* ---- constants ------------------------------------------------------------------- */

static const Expr *non_constant_at(const Checker *C, const Expr *e, uint32_t depth) {
  if (!e || depth > MAX_EXPR_DEPTH) return NULL; /* too deep was reported */
  switch (e->kind) {
  case E_STRING:
    for (uint32_t i = 0; i < e->u.str.n; i++) {
      const Expr *bad = non_constant_at(C, e->u.str.parts[i].expr, depth + 1);
      if (bad) return bad;
    }
    return NULL;
  case E_LIST:
    for (uint32_t i = 0; i < e->u.list.n; i++) {
      const Expr *bad = non_constant_at(C, e->u.list.items[i], depth + 1);
      if (bad) return bad;
    }
    return NULL;
  case E_NAME: /* an unresolved name was reported already */
    return !e->u.name.sym || e->u.name.sym->kind == SYM_CONST ? NULL : e;
  case E_FIELD:
    return e;
  case E_CALL: {
    const Builtin *b = e->u.call.fn ? find_builtin(e->u.call.fn) : NULL;
    if (b && !b->pure) return e;
    for (uint32_t i = 0; i < e->nargs; i++) {
      const Expr *bad = non_constant_at(C, e->u.call.args[i], depth + 1);
      if (bad) return bad;
    }
    return NULL;
  }
  case E_UNARY: return non_constant_at(C, e->u.unary.operand, depth + 1);
  case E_BINARY: {
    const Expr *bad = non_constant_at(C, e->u.binary.lhs, depth + 1);
    return bad ? bad : non_constant_at(C, e->u.binary.rhs, depth + 1);
  }
  case E_COND: {
    const Expr *bad = non_constant_at(C, e->u.cond.cond, depth + 1);
    if (!bad) bad = non_constant_at(C, e->u.cond.arms->then, depth + 1);
    return bad ? bad : non_constant_at(C, e->u.cond.arms->otherwise, depth + 1);
  }
  default: return NULL;
  }
}

const Expr *check_first_non_constant(const Checker *C, const Expr *e) {
  return non_constant_at(C, e, 0);
}

typedef struct Folder {
  const char *why; /* set when a constant has no value (overflow, division by zero) */
} Folder;

static bool fold_at(Folder *f, const Expr *e, int64_t *out, uint32_t depth);

static bool fold_arith(Folder *f, BinaryOp op, int64_t a, int64_t b, int64_t *out) {
  bool overflow = false;
  switch (op) {
  case B_ADD: overflow = __builtin_add_overflow(a, b, out); break;
  case B_SUB: overflow = __builtin_sub_overflow(a, b, out); break;
  case B_MUL: overflow = __builtin_mul_overflow(a, b, out); break;
  case B_DIV: case B_MOD:
    if (b == 0) {
      f->why = "division by zero in a constant";
      return false;
    }
    overflow = a == INT64_MIN && b == -1;
    if (!overflow) *out = op == B_DIV ? a / b : a % b;
    break;
  default: return false;
  }
  if (overflow) f->why = "this constant does not fit in an int";
  return !overflow;
}

static bool fold_compare(BinaryOp op, int64_t a, int64_t b, int64_t *out) {
  switch (op) {
  case B_EQ: *out = a == b; return true;
  case B_NE: *out = a != b; return true;
  case B_LT: *out = a < b; return true;
  case B_LE: *out = a <= b; return true;
  case B_GT: *out = a > b; return true;
  case B_GE: *out = a >= b; return true;
  default: return false;
  }
}

static bool fold_binary(Folder *f, const Expr *e, int64_t *out, uint32_t depth) {
  const Expr *l = e->u.binary.lhs, *r = e->u.binary.rhs;
  BinaryOp op = e->op;
  int64_t a, b;
  /* Comparisons of decimals, strings, ... are constant but not folded here. */
  if (!l->type || !r->type || (l->type->kind != T_INT && l->type->kind != T_BOOL) ||
      l->type != r->type)
    return false;
  if (!fold_at(f, l, &a, depth + 1)) return false;
  if (op == B_AND && !a) return *out = 0, true;
  if (op == B_OR && a) return *out = 1, true;
  if (!fold_at(f, r, &b, depth + 1)) return false;
  if (op == B_AND || op == B_OR) return *out = b != 0, true;
  if (op <= B_MOD) return fold_arith(f, op, a, b, out);
  return fold_compare(op, a, b, out);
}

static bool fold_at(Folder *f, const Expr *e, int64_t *out, uint32_t depth) {
  if (!e || !e->type || depth > MAX_EXPR_DEPTH) return false;
  if (e->type->kind != T_INT && e->type->kind != T_BOOL) return false;
  switch (e->kind) {
  case E_INT: *out = e->u.ival; return true;
  case E_BOOL: *out = e->u.bval; return true;
  case E_NAME: {
    const Symbol *sym = e->u.name.sym;
    if (!sym || sym->kind != SYM_CONST || !sym->const_value) return false;
    return fold_at(f, sym->const_value, out, depth + 1);
  }
  case E_UNARY: {
    int64_t v;
    if (!fold_at(f, e->u.unary.operand, &v, depth + 1)) return false;
    if (e->u.unary.op == U_NOT) return *out = !v, true;
    if (v == INT64_MIN) {
      f->why = "this constant does not fit in an int";
      return false;
    }
    return *out = -v, true;
  }
  case E_BINARY: return fold_binary(f, e, out, depth);
  case E_COND: {
    int64_t c;
    if (!fold_at(f, e->u.cond.cond, &c, depth + 1)) return false;
    return fold_at(f, c ? e->u.cond.arms->then : e->u.cond.arms->otherwise, out, depth + 1);
  }
  default: return false;
  }
}

bool check_fold_int(const Checker *C, const Expr *e, int64_t *out, const char **why) {
  (void)C;
  Folder f = {NULL};
  bool ok = fold_at(&f, e, out, 0);
  if (why) *why = ok ? NULL : f.why;
  return ok;
}

Expr *check_fold_constant(Checker *C, Expr *e) {
  int64_t v;
  if (!check_fold_int(C, e, &v, NULL) || e->kind == E_INT || e->kind == E_BOOL) return e;
  Expr *folded = arena_alloc(C->arena, sizeof *folded);
  folded->span = e->span;
  folded->type = e->type;
  if (e->type->kind == T_BOOL) {
    folded->kind = E_BOOL;
    folded->u.bval = v != 0;
  } else {
    folded->kind = E_INT;
    folded->u.ival = v;
  }
  return folded;
}
