/* bxw.c — a checked `.bp` process as a Bitrix24 template (bxw.h).
 *
 * The process is walked statement by statement into a small tree of PHP
 * values (strings, integers, arrays), which is then serialized exactly as
 * PHP's serialize() writes it and compressed as Bitrix's export compresses
 * it. Values are written the way Bitrix reads them: `{=Object:Field}` for a
 * field, parameter, variable, constant or step result; a calculation
 * (`=…`, or `{{=…}}` inside text) in the formula subset both Bitrix and
 * `bpc import` know; literals in Bitrix's own forms (Y/N, 2026-03-05). */
#include "bxw.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"

/* ---- PHP values -------------------------------------------------------------------- */

typedef enum WKind { W_STR, W_INT, W_ARR } WKind;

typedef struct W W;
struct W {
  WKind kind;
  bool list;      /* W_ARR: keys 0, 1, 2 … (vals only) */
  const char *s;  /* W_STR */
  size_t len;
  int64_t i;      /* W_INT */
  PtrVec keys;    /* W_ARR, not list: W_STR keys */
  PtrVec vals;
};

/* A step result the template names: its activity's Name, and where the
 * approval's verdict is kept once the process reads `r.approved`. */
typedef struct Res {
  const Symbol *sym;
  const char *name;
  W *yes, *no;      /* an approval's two branches (SequenceActivity children) */
  const char *flag; /* the variable holding `r.approved`, once read */
} Res;

typedef struct E {
  Arena a;
  const Program *prog;
  const Process *proc;
  Diags *d;
  bool failed;
  unsigned next, tmp;
  PtrVec names;   /* activity Names given (unique in a template) */
  PtrVec idents;  /* variable names given to helpers */
  PtrVec results; /* Res */
  W *vars;        /* VARIABLES, helpers appended */
  bool tail;      /* the statement being written is the last its state's handler runs */
  const char *brk; /* the innermost `loop`'s variable: Y while it goes on (NULL: none) */
  const char *go;  /* its per-round variable: Y until a `break`/`continue` ran (NULL: not needed) */
} E;

static W *w_str(E *e, const char *s) {
  W *w = arena_alloc(&e->a, sizeof *w);
  memset(w, 0, sizeof *w);
  w->kind = W_STR;
  w->s = s;
  w->len = strlen(s);
  return w;
}

static W *w_arr(E *e, bool list) {
  W *w = arena_alloc(&e->a, sizeof *w);
  memset(w, 0, sizeof *w);
  w->kind = W_ARR;
  w->list = list;
  return w;
}

static void w_set(E *e, W *arr, const char *key, W *val) {
  ptrvec_push(&e->a, &arr->keys, w_str(e, key));
  ptrvec_push(&e->a, &arr->vals, val);
}

static void w_sets(E *e, W *arr, const char *key, const char *val) { w_set(e, arr, key, w_str(e, val)); }
static void w_push(E *e, W *arr, W *val) { ptrvec_push(&e->a, &arr->vals, val); }

static void w_prepend(E *e, W *arr, W *val) {
  ptrvec_push(&e->a, &arr->vals, val);
  memmove(arr->vals.items + 1, arr->vals.items, (arr->vals.n - 1) * sizeof *arr->vals.items);
  arr->vals.items[0] = val;
}

void bxw_put_string(StrBuf *b, const char *s, size_t n) {
  sb_printf(b, "s:%zu:\"", n);
  sb_putn(b, s, n);
  sb_puts(b, "\";");
}

static void serialize(StrBuf *b, const W *w) {
  switch (w->kind) {
  case W_STR: bxw_put_string(b, w->s, w->len); break;
  case W_INT: sb_printf(b, "i:%lld;", (long long)w->i); break;
  case W_ARR:
    sb_printf(b, "a:%u:{", w->vals.n);
    for (uint32_t i = 0; i < w->vals.n; i++) {
      if (w->list) sb_printf(b, "i:%u;", i);
      else serialize(b, w->keys.items[i]);
      serialize(b, w->vals.items[i]);
    }
    sb_putc(b, '}');
    break;
  }
}

/* ---- messages and names ------------------------------------------------------------ */

static bool refuse(E *e, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool refuse(E *e, Span at, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  diag_error(e->d, at, "%s", buf);
  e->failed = true;
  return false;
}

static bool in_vec(const PtrVec *v, const char *s) {
  for (uint32_t i = 0; i < v->n; i++)
    if (str_eq(v->items[i], s)) return true;
  return false;
}

/* Bitrix finds results by `{=Name:Field}`, whose Name is [A-Za-z0-9_]. */
static bool plain_ident(const char *s) {
  if (!*s) return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return false;
  return true;
}

/* An activity Name: `want` when it is free and plain, else A1, A2 … */
static const char *act_name(E *e, const char *want) {
  const char *n = want && plain_ident(want) && !in_vec(&e->names, want) ? want : NULL;
  for (unsigned k = 2; want && !n && plain_ident(want) && k < 100; k++) {
    const char *t = arena_printf(&e->a, "%s_%u", want, k);
    if (!in_vec(&e->names, t)) n = t;
  }
  while (!n) {
    const char *t = arena_printf(&e->a, "A%u", ++e->next);
    if (!in_vec(&e->names, t)) n = t;
  }
  ptrvec_push(&e->a, &e->names, (void *)n);
  return n;
}

static bool ident_taken(E *e, const char *s) {
  const ProcInfo *pi = e->proc->info;
  for (uint32_t i = 0; i < pi->nsymbols; i++)
    if (str_eq(pi->symbols[i]->name, s)) return true;
  if (pi->doc)
    for (uint32_t i = 0; i < pi->doc->nfields; i++)
      if (str_eq(pi->doc->fields[i].name.s, s)) return true;
  return in_vec(&e->idents, s);
}

/* ---- activities ----------------------------------------------------------------------- */

static W *activity(E *e, const char *type, const char *name, const char *title) {
  W *a = w_arr(e, false);
  w_sets(e, a, "Type", type);
  w_sets(e, a, "Name", act_name(e, name));
  W *p = w_arr(e, false);
  if (title) w_sets(e, p, "Title", title);
  w_set(e, a, "Properties", p);
  w_set(e, a, "Children", w_arr(e, true));
  return a;
}

static W *props(W *act) { return act->vals.items[2]; }
static W *kids(W *act) { return act->vals.items[3]; }
static const char *name_of(W *act) { return ((W *)act->vals.items[1])->s; }

/* A process variable for the export's own use, declared in VARIABLES. */
static const char *helper(E *e, const char *stem, const char *type, const char *def) {
  const char *n = stem;
  for (unsigned k = 2; ident_taken(e, n); k++) n = arena_printf(&e->a, "%s_%u", stem, k);
  ptrvec_push(&e->a, &e->idents, (void *)n);
  W *v = w_arr(e, false);
  w_sets(e, v, "Name", n);
  w_sets(e, v, "Description", "");
  w_sets(e, v, "Type", type);
  w_sets(e, v, "Required", "0");
  w_sets(e, v, "Multiple", "0");
  w_sets(e, v, "Options", "");
  w_sets(e, v, "Default", def);
  w_set(e, e->vars, n, v);
  return n;
}

/* ---- types and literals ------------------------------------------------------------------ */

/* Bitrix's field type of a `.bp` type (users: user, Multiple), or NULL. */
static const char *bx_type(const Type *t, bool *multiple) {
  *multiple = false;
  if (!t) return NULL;
  switch (t->kind) {
  case T_STRING: return "string";
  case T_INT: return "int";
  case T_DECIMAL: return "double";
  case T_BOOL: return "bool";
  case T_DATE: return "date";
  case T_DATETIME: return "datetime";
  case T_USER: return "user";
  case T_LIST:
    if (t->elem && t->elem->kind == T_USER) {
      *multiple = true;
      return "user";
    }
    return NULL;
  default: return NULL;
  }
}

/* Text of a string literal without interpolations, or NULL. */
static const char *plain_text(E *e, const Expr *x) {
  if (!x || x->kind != E_STRING) return NULL;
  StrBuf b;
  sb_init(&b);
  for (uint32_t i = 0; i < x->u.str.n; i++) {
    if (!x->u.str.parts[i].text) {
      sb_free(&b);
      return NULL;
    }
    sb_putn(&b, x->u.str.parts[i].text, x->u.str.parts[i].len);
  }
  const char *r = arena_strdup(&e->a, b.data ? b.data : "");
  sb_free(&b);
  return r;
}

/* The folded value of a constant expression, if it is one. */
static const Expr *folded(const Expr *x) {
  while (x && x->kind == E_NAME && x->u.name.sym && x->u.name.sym->kind == SYM_CONST && x->u.name.sym->const_value)
    x = x->u.name.sym->const_value;
  return x;
}

/* A literal in Bitrix's form (Y/N, 2026-03-05, 2026-03-05 10:00), or NULL. */
static const char *literal_text(E *e, const Expr *x) {
  x = folded(x);
  if (!x) return NULL;
  switch (x->kind) {
  case E_INT: return arena_printf(&e->a, "%lld", (long long)x->u.ival);
  case E_DECIMAL: return x->u.dec.text;
  case E_BOOL: return x->u.bval ? "Y" : "N";
  case E_STRING: return plain_text(e, x);
  case E_UNARY:
    if (x->u.unary.op == U_NEG && folded(x->u.unary.operand)->kind == E_INT)
      return arena_printf(&e->a, "%lld", -(long long)folded(x->u.unary.operand)->u.ival);
    return NULL;
  case E_LIST: return x->u.list.n == 0 ? "" : NULL;
  case E_CALL:
    if (x->nargs == 1 && (str_eq(x->u.call.fn, "date") || str_eq(x->u.call.fn, "datetime"))) {
      const char *t = plain_text(e, x->u.call.args[0]);
      if (!t) return NULL;
      char *c = arena_strdup(&e->a, t);
      char *tee = strchr(c, 'T');
      if (tee) *tee = ' ';
      return c;
    }
    return NULL;
  default: return NULL;
  }
}

/* A duration literal as Bitrix's TimeoutDuration and its unit (d, h or m). */
static bool duration_parts(E *e, const Expr *x, const char **n, const char **unit) {
  x = folded(x);
  if (!x || x->kind != E_DURATION) return false;
  int64_t s = x->u.dur.seconds;
  if (s <= 0) return false;
  if (s % 86400 == 0) *n = arena_printf(&e->a, "%lld", (long long)(s / 86400)), *unit = "d";
  else if (s % 3600 == 0) *n = arena_printf(&e->a, "%lld", (long long)(s / 3600)), *unit = "h";
  else if (s % 60 == 0) *n = arena_printf(&e->a, "%lld", (long long)(s / 60)), *unit = "m";
  else *n = arena_printf(&e->a, "%lld", (long long)s), *unit = "s";
  return true;
}

/* ---- references ------------------------------------------------------------------------ */

static Res *find_res(E *e, const Symbol *sym) {
  for (uint32_t i = 0; i < e->results.n; i++) {
    Res *r = e->results.items[i];
    if (r->sym == sym) return r;
  }
  return NULL;
}

/* The Bitrix result field of `r.member`, or NULL. */
static const char *result_field(const Symbol *sym, const char *m) {
  const Type *t = sym->type;
  if (str_eq(m, "timed_out")) return "IsTimeout";
  if (t == &type_approve_result) {
    static const char *const map[][2] = {{"last", "LastApprover"}, {"comment", "LastApproverComment"},
                                         {"percent", "ApprovedPercent"}, {"approvals", "ApprovedCount"},
                                         {"rejections", "NotApprovedCount"}, {"total", "TotalCount"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
      if (str_eq(m, map[i][0])) return map[i][1];
  } else if (t == &type_review_result) {
    if (str_eq(m, "count")) return "ReviewedCount";
  } else if (t == &type_request_result) {
    if (str_eq(m, "completed_by")) return "InfoUser";
  } else if (t == &type_task_result) {
    if (str_eq(m, "completed_by")) return "ClosedBy";
    if (str_eq(m, "comment")) return "Comment";
  }
  return NULL;
}

/* The variable keeping an approval's verdict, declared and set on first use. */
static const char *approved_flag(E *e, Res *r) {
  if (r->flag) return r->flag;
  r->flag = helper(e, arena_printf(&e->a, "%s_approved", r->name), "bool", "N");
  for (int k = 0; k < 2; k++) {
    W *set = activity(e, "SetVariableActivity", NULL, k ? "Not approved" : "Approved");
    W *vv = w_arr(e, false);
    w_sets(e, vv, r->flag, k ? "N" : "Y");
    w_set(e, props(set), "VariableValue", vv);
    w_prepend(e, k ? r->no : r->yes, set);
  }
  return r->flag;
}

/* `{=Object:Field}` of a name or a result's member; NULL (after an error
 * when `loud`) when x is neither. */
static const char *ref(E *e, const Expr *x, bool loud) {
  if (x->kind == E_NAME && x->u.name.sym) {
    const Symbol *s = x->u.name.sym;
    switch (s->kind) {
    case SYM_FIELD: return arena_printf(&e->a, "{=Document:%s}", s->name);
    case SYM_PARAM: return arena_printf(&e->a, "{=Template:%s}", s->name);
    case SYM_VAR: return arena_printf(&e->a, "{=Variable:%s}", s->name);
    case SYM_CONST: return arena_printf(&e->a, "{=Constant:%s}", s->name);
    default:
      if (loud) refuse(e, x->span, "`%s` (a %s) has no Bitrix value to stand for it", s->name,
                       s->kind == SYM_LOOPVAR ? "loop variable" : s->kind == SYM_RESULT ? "step result" : "name");
      return NULL;
    }
  }
  if (x->kind == E_FIELD && x->u.field.obj->kind == E_NAME && x->u.field.obj->u.name.sym &&
      x->u.field.obj->u.name.sym->kind == SYM_RESULT) {
    const Symbol *s = x->u.field.obj->u.name.sym;
    Res *r = find_res(e, s);
    const char *m = x->u.field.member;
    if (!r) {
      if (loud) refuse(e, x->span, "`%s.%s`: the step's result has no Bitrix activity (a host action's result)", s->name, m);
      return NULL;
    }
    if (str_eq(m, "approved") && s->type == &type_approve_result)
      return arena_printf(&e->a, "{=Variable:%s}", approved_flag(e, r));
    const char *f = result_field(s, m);
    if (!f) {
      if (loud) refuse(e, x->span, "`%s.%s` has no Bitrix counterpart among the activity's results", s->name, m);
      return NULL;
    }
    return arena_printf(&e->a, "{=%s:%s}", r->name, f);
  }
  if (loud) refuse(e, x->span, "this expression has no Bitrix value");
  return NULL;
}

/* ---- calculations ------------------------------------------------------------------------- */

static bool calc(E *e, StrBuf *b, const Expr *x);

static bool calc_args(E *e, StrBuf *b, const char *fn, const Expr *const *args, uint32_t n) {
  sb_printf(b, "%s(", fn);
  for (uint32_t i = 0; i < n; i++) {
    if (i) sb_puts(b, ", ");
    if (!calc(e, b, args[i])) return false;
  }
  sb_putc(b, ')');
  return true;
}

/* A calculation's text literal: no quotes or braces inside (Bitrix's
 * formulas have no escapes, and `}}` ends a formula inside text). */
static bool calc_text(E *e, StrBuf *b, const char *t, Span at) {
  if (strpbrk(t, "\"{}")) return refuse(e, at, "text with quotes or braces cannot stand inside a Bitrix calculation");
  sb_printf(b, "\"%s\"", t);
  return true;
}

static bool calc(E *e, StrBuf *b, const Expr *x) {
  if (e->failed) return false;
  const Expr *f = folded(x);
  switch (f->kind) {
  case E_INT: sb_printf(b, f->u.ival < 0 ? "(%lld)" : "%lld", (long long)f->u.ival); return true;
  case E_DECIMAL: sb_puts(b, f->u.dec.text); return true;
  case E_BOOL: sb_puts(b, f->u.bval ? "true" : "false"); return true;
  case E_STRING: {
    if (f->u.str.n == 0) {
      sb_puts(b, "\"\"");
      return true;
    }
    sb_putc(b, '(');
    for (uint32_t i = 0; i < f->u.str.n; i++) {
      const StrPart *p = &f->u.str.parts[i];
      if (i) sb_puts(b, " & ");
      if (p->text) {
        if (!calc_text(e, b, arena_strndup(&e->a, p->text, p->len), p->span)) return false;
      } else if (!calc(e, b, p->expr)) {
        return false;
      }
    }
    sb_putc(b, ')');
    return true;
  }
  case E_NAME:
  case E_FIELD: {
    const char *r = ref(e, f, true);
    if (r) sb_puts(b, r);
    return r != NULL;
  }
  case E_CALL: {
    const char *fn = f->u.call.fn;
    const Expr *const *args = (const Expr *const *)f->u.call.args;
    uint32_t n = f->nargs;
    if (str_eq(fn, "now") && n == 0) return sb_puts(b, "{=System:Now}"), true;
    if (str_eq(fn, "today") && n == 0) return sb_puts(b, "{=System:Date}"), true;
    if (str_eq(fn, "len") && n == 1 && args[0]->type == &type_string) return calc_args(e, b, "strlen", args, 1);
    if (str_eq(fn, "lower") && n == 1) return calc_args(e, b, "strtolower", args, 1);
    if (str_eq(fn, "upper") && n == 1) return calc_args(e, b, "strtoupper", args, 1);
    if ((str_eq(fn, "trim") && n == 1) || (str_eq(fn, "substr") && n == 3) ||
        ((str_eq(fn, "min") || str_eq(fn, "max")) && n == 2) || (str_eq(fn, "round") && n == 2))
      return calc_args(e, b, fn, args, n);
    return refuse(e, f->span, "the function %s() has no Bitrix calculation that bpc maps (docs/bitrix.md)", fn);
  }
  case E_UNARY:
    if (f->u.unary.op == U_NEG) {
      sb_puts(b, "-(");
      if (!calc(e, b, f->u.unary.operand)) return false;
      sb_putc(b, ')');
      return true;
    }
    sb_puts(b, "not(");
    if (!calc(e, b, f->u.unary.operand)) return false;
    sb_putc(b, ')');
    return true;
  case E_COND: {
    const Expr *a[3] = {f->u.cond.cond, f->u.cond.arms->then, f->u.cond.arms->otherwise};
    return calc_args(e, b, "if", a, 3);
  }
  case E_BINARY: {
    const Expr *l = f->u.binary.lhs, *r = f->u.binary.rhs;
    BinaryOp op = f->op;
    if (op == B_AND || op == B_OR) {
      const Expr *a[2] = {l, r};
      return calc_args(e, b, op == B_AND ? "and" : "or", a, 2);
    }
    if (op == B_IN) { /* x in [a, b]: or(x = a, x = b) */
      const Expr *list = folded(r);
      if (list->kind != E_LIST || list->u.list.n == 0 || (l->type && l->type->kind == T_USER))
        return refuse(e, f->span, "`in` on this list has no Bitrix calculation (a list literal of values is mapped)");
      for (uint32_t i = 0; i < list->u.list.n; i++) {
        if (i + 1 < list->u.list.n) sb_puts(b, "or(");
        sb_putc(b, '(');
        if (!calc(e, b, l)) return false;
        sb_puts(b, " = ");
        if (!calc(e, b, list->u.list.items[i])) return false;
        sb_putc(b, ')');
        if (i + 1 < list->u.list.n) sb_puts(b, ", ");
      }
      for (uint32_t i = 0; i + 1 < list->u.list.n; i++) sb_putc(b, ')');
      return true;
    }
    const Type *lt = l->type, *rt = r->type;
    if ((op == B_ADD || op == B_SUB) && lt && (lt->kind == T_DATE || lt->kind == T_DATETIME) && rt &&
        rt->kind == T_DURATION) {
      const Expr *d = folded(r);
      if (d->kind != E_DURATION || d->u.dur.seconds % 60 != 0)
        return refuse(e, f->span, "a date moved by a duration that is not a literal in whole minutes has no Bitrix formula");
      int64_t m = d->u.dur.seconds / 60;
      sb_puts(b, "dateadd(");
      if (!calc(e, b, l)) return false;
      sb_printf(b, ", \"%s", op == B_SUB ? "-" : "");
      if (m % 1440 == 0) sb_printf(b, "%lldd\")", (long long)(m / 1440));
      else if (m % 60 == 0) sb_printf(b, "%lldh\")", (long long)(m / 60));
      else sb_printf(b, "%lldm\")", (long long)m);
      return true;
    }
    if (op == B_ADD && lt == &type_string) {
      sb_putc(b, '(');
      if (!calc(e, b, l)) return false;
      sb_puts(b, " & ");
      if (!calc(e, b, r)) return false;
      sb_putc(b, ')');
      return true;
    }
    const char *o = NULL;
    bool numeric = type_is_numeric(lt) && type_is_numeric(rt);
    switch (op) {
    case B_ADD: o = numeric ? "+" : NULL; break;
    case B_SUB: o = numeric ? "-" : NULL; break;
    case B_MUL: o = numeric ? "*" : NULL; break;
    case B_DIV: o = numeric && (lt == &type_decimal || rt == &type_decimal) ? "/" : NULL; break;
    case B_EQ: o = "="; break;
    case B_NE: o = "<>"; break;
    case B_LT: o = "<"; break;
    case B_LE: o = "<="; break;
    case B_GT: o = ">"; break;
    case B_GE: o = ">="; break;
    default: break;
    }
    if (o && op >= B_EQ && op <= B_GE && lt && (lt->kind == T_LIST || lt->kind == T_USER)) o = NULL;
    if (!o)
      return refuse(e, f->span, "this %s has no Bitrix calculation (whole-number division, %%, or values of these types)",
                    op == B_DIV ? "division" : "operation");
    sb_putc(b, '(');
    if (!calc(e, b, l)) return false;
    sb_printf(b, " %s ", o);
    if (!calc(e, b, r)) return false;
    sb_putc(b, ')');
    return true;
  }
  default: return refuse(e, f->span, "this expression has no Bitrix calculation");
  }
}

/* ---- values --------------------------------------------------------------------------------- */

/* Text as Bitrix substitutes it: `{=…}` for names, `{{=…}}` for the rest. */
static const char *text(E *e, const Expr *x) {
  if (x->kind != E_STRING) {
    const char *r = ref(e, x, false);
    if (r) return r;
    StrBuf b;
    sb_init(&b);
    sb_puts(&b, "{{=(");
    bool ok = calc(e, &b, x);
    sb_puts(&b, ")}}");
    const char *t = ok ? arena_strdup(&e->a, b.data) : NULL;
    sb_free(&b);
    return t;
  }
  StrBuf b;
  sb_init(&b);
  bool ok = true;
  for (uint32_t i = 0; i < x->u.str.n && ok; i++) {
    const StrPart *p = &x->u.str.parts[i];
    if (p->text) {
      const char *t = arena_strndup(&e->a, p->text, p->len);
      if (strstr(t, "{=") || strstr(t, "{{=") || (i == 0 && t[0] == '=')) {
        ok = refuse(e, p->span, "the text `%s` would read as a Bitrix value or calculation", t);
        break;
      }
      sb_putn(&b, p->text, p->len);
      continue;
    }
    const char *r = ref(e, p->expr, false);
    if (r) {
      sb_puts(&b, r);
      continue;
    }
    if (e->failed) {
      ok = false;
      break;
    }
    sb_puts(&b, "{{=(");
    ok = calc(e, &b, p->expr);
    sb_puts(&b, ")}}");
  }
  const char *t = ok ? arena_strdup(&e->a, b.data ? b.data : "") : NULL;
  sb_free(&b);
  return t;
}

/* A property's value: one `{=…}` (it keeps its type), a literal, text with
 * substitutions, or a calculation. */
static W *value(E *e, const Expr *x) {
  if (x->type && x->type->kind == T_DURATION) {
    refuse(e, x->span, "a duration value has no Bitrix type to hold it");
    return NULL;
  }
  const char *r = ref(e, x, false);
  if (r) return w_str(e, r);
  if (e->failed) return NULL;
  if (folded(x)->kind == E_STRING) {
    const char *t = text(e, folded(x));
    return t ? w_str(e, t) : NULL;
  }
  const char *lit = literal_text(e, x);
  if (lit) return w_str(e, lit);
  StrBuf b;
  sb_init(&b);
  sb_putc(&b, '=');
  bool ok = calc(e, &b, x);
  W *w = ok ? w_str(e, arena_strdup(&e->a, b.data)) : NULL;
  sb_free(&b);
  return w;
}

/* People: `{=…}` references and user codes (a role's name), one or a list. */
static bool people_one(E *e, W *list, const Expr *x) {
  x = folded(x);
  if (x->kind == E_LIST) {
    for (uint32_t i = 0; i < x->u.list.n; i++)
      if (!people_one(e, list, x->u.list.items[i])) return false;
    return true;
  }
  if (x->kind == E_CALL && str_eq(x->u.call.fn, "role") && x->nargs == 1) {
    const char *code = plain_text(e, x->u.call.args[0]);
    if (!code || !(strncmp(code, "user_", 5) == 0 || strncmp(code, "group_", 6) == 0 || str_eq(code, "author")))
      return refuse(e, x->span, "the role %s is no Bitrix user code (user_N, group_…, author)", code ? code : "(computed)");
    w_push(e, list, w_str(e, code));
    return true;
  }
  const char *r = ref(e, x, true);
  if (!r) return false;
  w_push(e, list, w_str(e, r));
  return true;
}

static W *people(E *e, Expr *const *who, uint32_t n) {
  W *list = w_arr(e, true);
  uint32_t groups = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (who[i]->type && who[i]->type->kind == T_LIST) groups++;
    if (!people_one(e, list, who[i])) return NULL;
  }
  if (groups && list->vals.n > 1) {
    refuse(e, who[0]->span, "a list of people joined with others: Bitrix's import reads such a list as single users");
    return NULL;
  }
  return list->vals.n == 1 ? list->vals.items[0] : list;
}

/* ---- conditions ---------------------------------------------------------------------------- */

typedef struct Cond {
  W *items;   /* mixedcondition items */
  bool group; /* the next item starts an OR-group */
} Cond;

static bool cond_item(E *e, Cond *c, const char *obj, const char *field, const char *op, W *val) {
  W *it = w_arr(e, false);
  w_sets(e, it, "object", obj);
  w_sets(e, it, "field", field);
  w_sets(e, it, "operator", op);
  w_set(e, it, "value", val);
  w_sets(e, it, "joiner", c->group && c->items->vals.n ? "1" : "0");
  c->group = false;
  w_push(e, c->items, it);
  return true;
}

/* Object and field of a `{=Object:Field}` reference. */
static void split_ref(E *e, const char *r, const char **obj, const char **field) {
  const char *colon = strchr(r, ':');
  *obj = arena_strndup(&e->a, r + 2, (size_t)(colon - r - 2));
  *field = arena_strndup(&e->a, colon + 1, strlen(colon + 1) - 1);
}

/* One AND-ed part: `REF op value` when it is one, else a helper flag the
 * calculation sets just before (`pre`). */
static bool cond_atom(E *e, Cond *c, const Expr *x, W *pre) {
  const char *r = NULL, *op = NULL;
  W *val = NULL;
  if (x->kind == E_BINARY && x->op >= B_EQ && x->op <= B_GE) {
    static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};
    static const char *const flipped[] = {"=", "!=", ">", ">=", "<", "<="};
    const Expr *l = x->u.binary.lhs, *rt = x->u.binary.rhs;
    const Type *t = l->type;
    bool people = t && (t->kind == T_USER || t->kind == T_LIST);
    if (!people && (r = ref(e, l, false)) != NULL && literal_text(e, rt)) {
      op = ops[x->op - B_EQ];
      val = w_str(e, literal_text(e, rt));
    } else if (!people && (r = ref(e, rt, false)) != NULL && literal_text(e, l)) {
      op = flipped[x->op - B_EQ];
      val = w_str(e, literal_text(e, l));
    }
  } else if (x->kind == E_BINARY && x->op == B_IN && folded(x->u.binary.rhs)->kind == E_LIST &&
             x->u.binary.lhs->type && x->u.binary.lhs->type->kind != T_USER) {
    const Expr *list = folded(x->u.binary.rhs);
    W *vals = w_arr(e, true);
    for (uint32_t i = 0; i < list->u.list.n; i++) {
      const char *t = literal_text(e, list->u.list.items[i]);
      if (!t) break;
      w_push(e, vals, w_str(e, t));
    }
    if (vals->vals.n == list->u.list.n && list->u.list.n && (r = ref(e, x->u.binary.lhs, false)) != NULL) {
      op = "in";
      val = vals;
    }
  } else if (x->type == &type_bool && (r = ref(e, x, false)) != NULL) {
    op = "=";
    val = w_str(e, "Y");
  } else if (x->kind == E_UNARY && x->u.unary.op == U_NOT && (r = ref(e, x->u.unary.operand, false)) != NULL) {
    op = "=";
    val = w_str(e, "N");
  }
  if (e->failed) return false;
  if (r && op) {
    const char *obj, *field;
    split_ref(e, r, &obj, &field);
    return cond_item(e, c, obj, field, op, val);
  }
  /* Anything else: computed into a flag just before the condition is read. */
  const char *flag = helper(e, arena_printf(&e->a, "bx_if_%u", ++e->tmp), "bool", "N");
  W *v = value(e, x);
  if (!v) return false;
  W *set = activity(e, "SetVariableActivity", NULL, "Condition");
  W *vv = w_arr(e, false);
  w_set(e, vv, flag, v);
  w_set(e, props(set), "VariableValue", vv);
  w_push(e, pre, set);
  return cond_item(e, c, "Variable", flag, "=", w_str(e, "Y"));
}

static bool cond_and(E *e, Cond *c, const Expr *x, W *pre) {
  if (x->kind == E_BINARY && x->op == B_AND)
    return cond_and(e, c, x->u.binary.lhs, pre) && cond_and(e, c, x->u.binary.rhs, pre);
  return cond_atom(e, c, x, pre);
}

static bool cond_or(E *e, Cond *c, const Expr *x, W *pre) {
  if (x->kind == E_BINARY && x->op == B_OR) {
    if (!cond_or(e, c, x->u.binary.lhs, pre)) return false;
    c->group = true;
    return cond_or(e, c, x->u.binary.rhs, pre);
  }
  return cond_and(e, c, x, pre);
}

/* The condition x into props as a mixedcondition; the activities that
 * compute its helper flags go to pre. */
static bool condition(E *e, W *p, const Expr *x, W *pre) {
  Cond c = {w_arr(e, true), false};
  const Expr *f = folded(x);
  if (f->kind == E_BOOL && f->u.bval) {
    w_sets(e, p, "truecondition", "1");
    return true;
  }
  if (!cond_or(e, &c, x, pre)) return false;
  w_set(e, p, "mixedcondition", c.items);
  return true;
}

/* ---- statements ---------------------------------------------------------------------------- */

static bool block(E *e, const Block *b, W *out);

static W *sequence(E *e, const Block *b, const char *title) {
  W *s = activity(e, "SequenceActivity", NULL, title);
  if (b && !block(e, b, kids(s))) return NULL;
  return s;
}

/* `{=Template:P}` of a parameter, which keeps its value while the process runs; else NULL. */
static const char *param_ref(E *e, const Expr *x) {
  if (x->kind != E_NAME || !x->u.name.sym || x->u.name.sym->kind != SYM_PARAM) return NULL;
  return ref(e, x, false);
}

static bool timeout(E *e, W *p, const HumanStep *h) {
  if (!h->due) return true;
  const char *n, *unit;
  if (!duration_parts(e, h->due, &n, &unit))
    return refuse(e, h->due->span, "a due time that is not a duration literal: Bitrix's timeouts are durations");
  w_sets(e, p, "TimeoutDuration", n);
  w_sets(e, p, "TimeoutDurationType", unit);
  return true;
}

static bool human(E *e, const Stmt *s, W *out) {
  const HumanStep *h = s->u.human;
  if (h->nreminds) return refuse(e, h->reminds[0].span, "`remind … before` has no Bitrix counterpart");
  if (h->on_timeout) return refuse(e, h->on_timeout_span, "`on timeout` has no Bitrix counterpart (a timed-out approval takes its \"not approved\" branch)");
  if (h->nafters) return refuse(e, h->afters[0].span, "`after` has no Bitrix counterpart");
  W *who = people(e, h->who, h->nwho);
  const char *title = text(e, h->title);
  if (!who || !title) return false;
  static const char *const types[] = {"Task2Activity", "ApproveActivity", "ReviewActivity", "RequestInformationActivity"};
  static const char *const titles[] = {"Task", "Approval", "Review", "Request for information"};
  W *a = activity(e, types[h->kind], h->result.s, titles[h->kind]);
  W *p = props(a);
  if (h->result_sym) {
    Res *r = arena_alloc(&e->a, sizeof *r);
    memset(r, 0, sizeof *r);
    r->sym = h->result_sym;
    r->name = name_of(a);
    ptrvec_push(&e->a, &e->results, r);
    if (h->kind == H_APPROVE) {
      r->yes = w_arr(e, true);
      r->no = w_arr(e, true);
    }
  }
  switch (h->kind) {
  case H_TASK: {
    W *f = w_arr(e, false);
    w_sets(e, f, "TITLE", title);
    w_set(e, f, "RESPONSIBLE_ID", who);
    if (h->due) {
      if (h->due->type && h->due->type->kind == T_DURATION) {
        Expr now = {.kind = E_CALL, .span = h->due->span, .type = &type_datetime};
        now.u.call.fn = "now";
        Expr sum = {.kind = E_BINARY, .span = h->due->span, .type = &type_datetime};
        sum.op = B_ADD;
        sum.u.binary.lhs = &now;
        sum.u.binary.rhs = h->due;
        W *d = value(e, &sum);
        if (!d) return false;
        w_set(e, f, "DEADLINE", d);
      } else {
        W *d = value(e, h->due);
        if (!d) return false;
        w_set(e, f, "DEADLINE", d);
      }
    }
    w_set(e, p, "Fields", f);
    break;
  }
  case H_APPROVE: {
    w_set(e, p, "Users", who);
    const char *type = "any", *min = "50";
    if (h->mode == MODE_ALL) type = "all";
    else if (h->mode == MODE_MAJORITY) {
      type = "vote";
      diag_warning(e->d, h->mode_span,
                   "`mode majority` is written as Bitrix's vote with ApproveMinPercent 50 (more than 50%% in whole "
                   "percents); the two differ from 51 voters on (26 of 51 is a majority, 50%% is not above 50)");
    } else if (h->mode == MODE_VOTE) {
      type = "vote";
      const Expr *n = folded(h->vote_percent);
      const char *r = n && n->kind == E_INT ? NULL : param_ref(e, h->vote_percent);
      if (r) { /* a parameter: Bitrix reads the property's value at each vote, and a parameter stays */
        min = arena_printf(&e->a, "=if(%s>=100,100,%s-1)", r, r);
        if (!h->wait_all)
          diag_warning(e->d, h->mode_span,
                       "a vote without `wait all`: Bitrix rejects it only once the votes against reach 101%% - the "
                       "percentage of all (docs/bitrix.md), which can be later than `.bp`, which rejects once approval is out of reach");
      } else if (!n || n->kind != E_INT)
        return refuse(e, h->vote_percent->span, "a vote percentage that is neither a constant nor a parameter: Bitrix's ApproveMinPercent is a number, or a value it reads at each vote");
      else if (n->u.ival < 1 || n->u.ival > 100)
        return refuse(e, h->vote_percent->span, "`vote %lld%%`: Bitrix approves above a minimum of 0..100%%, so 1..100%% can be written",
                      (long long)n->u.ival);
      /* .bp's vote N%: approvals x 100 >= N x total; Bitrix's: the truncated
       * percent above the minimum M, or both 100: the same for M = N - 1. */
      else min = arena_printf(&e->a, "%lld", (long long)(n->u.ival == 100 ? 100 : n->u.ival - 1));
      if (!r && !h->wait_all)
        diag_warning(e->d, h->mode_span,
                     "a vote without `wait all`: Bitrix rejects it only once the votes against reach 100 - %s%% of all "
                     "(docs/bitrix.md), which can be later than `.bp`, which rejects once approval is out of reach", min);
    }
    if (h->mode == MODE_BITRIX) { /* Bitrix's own rule: its minimum as it is */
      type = "vote";
      const Expr *n = folded(h->vote_percent);
      const char *r = n && n->kind == E_INT ? NULL : param_ref(e, h->vote_percent);
      if (!r && (!n || n->kind != E_INT))
        return refuse(e, h->vote_percent->span, "a vote percentage that is neither a constant nor a parameter: Bitrix's ApproveMinPercent is a number, or a value it reads at each vote");
      min = r ? r : arena_printf(&e->a, "%lld", (long long)n->u.ival);
    }
    w_sets(e, p, "ApproveType", type);
    w_sets(e, p, "ApproveMinPercent", min);
    w_sets(e, p, "ApproveWaitForAll", h->wait_all ? "Y" : "N");
    w_sets(e, p, "Name", title);
    w_sets(e, p, "Description", "");
    if (!timeout(e, p, h)) return false;
    W *yes = activity(e, "SequenceActivity", NULL, "Approved");
    W *no = activity(e, "SequenceActivity", NULL, "Not approved");
    if (h->result_sym) {
      Res *r = find_res(e, h->result_sym);
      yes->vals.items[3] = r->yes;
      no->vals.items[3] = r->no;
    }
    w_push(e, kids(a), yes);
    w_push(e, kids(a), no);
    break;
  }
  case H_REVIEW:
    w_set(e, p, "Users", who);
    w_sets(e, p, "ApproveType", h->mode == MODE_ANY ? "any" : "all");
    w_sets(e, p, "Name", title);
    w_sets(e, p, "Description", "");
    if (!timeout(e, p, h)) return false;
    break;
  case H_REQUEST: {
    w_set(e, p, "Users", who);
    w_sets(e, p, "Name", title);
    w_sets(e, p, "Description", "");
    if (!timeout(e, p, h)) return false;
    W *info = w_arr(e, true);
    for (uint32_t i = 0; i < h->nfields; i++) {
      const RequestField *rf = &h->fields[i];
      bool multiple;
      const char *t = bx_type(rf->type.type, &multiple);
      if (!rf->sym || rf->sym->kind != SYM_VAR)
        return refuse(e, rf->span, "a request into `%s`, which is no variable: Bitrix's request writes its answers into variables", rf->name.s);
      if (!t) return refuse(e, rf->span, "the type of `%s` has no Bitrix field type", rf->name.s);
      W *q = w_arr(e, false);
      const char *label = rf->label ? plain_text(e, rf->label) : NULL;
      w_sets(e, q, "Title", label ? label : rf->name.s);
      w_sets(e, q, "Name", rf->name.s);
      w_sets(e, q, "Type", t);
      w_sets(e, q, "Required", "1");
      w_sets(e, q, "Multiple", multiple ? "1" : "0");
      w_sets(e, q, "Default", "");
      w_push(e, info, q);
    }
    w_set(e, p, "RequestedInformation", info);
    break;
  }
  }
  w_push(e, out, a);
  return !e->failed;
}

static bool assign(E *e, const Stmt *s, W *out) {
  const Symbol *sym = s->u.assign.sym;
  if (!sym || (sym->kind != SYM_FIELD && sym->kind != SYM_VAR))
    return refuse(e, s->span, "an assignment to `%s`, which is no document field or variable", s->u.assign.target.s);
  W *v = value(e, s->u.assign.value);
  if (!v) return false;
  bool field = sym->kind == SYM_FIELD;
  W *a = activity(e, field ? "SetFieldActivity" : "SetVariableActivity", NULL, field ? "Set field" : "Set variable");
  W *vv = w_arr(e, false);
  w_set(e, vv, sym->name, v);
  w_set(e, props(a), field ? "FieldValue" : "VariableValue", vv);
  w_push(e, out, a);
  return true;
}

static bool if_stmt(E *e, const Stmt *s, W *out) {
  W *a = activity(e, "IfElseActivity", NULL, "Condition");
  for (uint32_t i = 0; i < s->u.if_.n; i++) {
    W *br = activity(e, "IfElseBranchActivity", NULL, i ? "else if" : "if");
    if (!condition(e, props(br), s->u.if_.conds[i], out) || !block(e, s->u.if_.blocks[i], kids(br))) return false;
    w_push(e, kids(a), br);
  }
  if (s->u.if_.otherwise) {
    W *br = activity(e, "IfElseBranchActivity", NULL, "else");
    w_sets(e, props(br), "truecondition", "1");
    if (!block(e, s->u.if_.otherwise, kids(br))) return false;
    w_push(e, kids(a), br);
  }
  w_push(e, out, a);
  return true;
}

static bool while_stmt(E *e, const Stmt *s, W *out) {
  e->tail = false; /* a round is followed by the next */
  W *a = activity(e, "WhileActivity", NULL, "Loop");
  W *pre = w_arr(e, true);
  if (!condition(e, props(a), s->u.while_.cond, pre)) return false;
  W *body = sequence(e, s->u.while_.body, "Loop body");
  if (!body) return false;
  for (uint32_t i = 0; i < pre->vals.n; i++) { /* the flags: before the loop and after each round */
    w_push(e, out, pre->vals.items[i]);
    W *again = activity(e, "SetVariableActivity", NULL, "Condition");
    again->vals.items[2] = props(pre->vals.items[i]);
    w_push(e, kids(body), again);
  }
  diag_warning(e->d, s->span, "Bitrix ends a WhileActivity after 1000 rounds; `bpc import` keeps that rule");
  w_push(e, kids(a), body);
  w_push(e, out, a);
  return true;
}

/* A statement that may run a `break` or `continue` of the loop it is in
 * (the jumps of a loop inside it are that loop's). */
static bool jumps(const Stmt *s) {
  if (s->kind == S_BREAK || s->kind == S_CONTINUE) return true;
  if (s->kind != S_IF) return false;
  for (uint32_t k = 0; k < s->u.if_.n; k++)
    for (uint32_t i = 0; i < s->u.if_.blocks[k]->n; i++)
      if (jumps(s->u.if_.blocks[k]->stmts[i])) return true;
  for (uint32_t i = 0; s->u.if_.otherwise && i < s->u.if_.otherwise->n; i++)
    if (jumps(s->u.if_.otherwise->stmts[i])) return true;
  return false;
}

/* Some statement of the round may follow a `break`/`continue` that ran. */
static bool needs_go(const Block *b) {
  for (uint32_t i = 0; b && i < b->n; i++) {
    const Stmt *s = b->stmts[i];
    if (i + 1 < b->n && jumps(s)) return true;
    if (s->kind == S_IF) {
      for (uint32_t k = 0; k < s->u.if_.n; k++)
        if (needs_go(s->u.if_.blocks[k])) return true;
      if (needs_go(s->u.if_.otherwise)) return true;
    }
  }
  return false;
}

static W *set_flags(E *e, const char *title, const char *a, const char *b, const char *v) {
  W *set = activity(e, "SetVariableActivity", NULL, title);
  W *vv = w_arr(e, false);
  if (a) w_sets(e, vv, a, v);
  if (b) w_sets(e, vv, b, v);
  w_set(e, props(set), "VariableValue", vv);
  return set;
}

/* `loop { … }`, and a `while` whose body has a `break` or `continue`: a WhileActivity on a
 * variable bx_loop_N that `break` sets to N (a `while`'s condition is an
 * IfElseActivity at the start of each round, whose other branch sets it to N).
 * Statements that may follow a `break`/`continue` that ran in the round are
 * in an IfElseActivity on bx_go_N, which each round starts with Y and
 * `break`/`continue` set to N. */
static bool loop_stmt(E *e, const Stmt *s, const Expr *cond, const Block *b, W *out) {
  e->tail = false; /* a round is followed by the next */
  const char *brk = e->brk, *go = e->go;
  e->brk = helper(e, arena_printf(&e->a, "bx_loop_%u", ++e->tmp), "bool", "N");
  e->go = needs_go(b) ? helper(e, arena_printf(&e->a, "bx_go_%u", e->tmp), "bool", "N") : NULL;
  w_push(e, out, set_flags(e, "Loop", e->brk, NULL, "Y"));
  W *a = activity(e, "WhileActivity", NULL, "Loop");
  W *items = w_arr(e, true);
  cond_item(e, &(Cond){items, false}, "Variable", e->brk, "=", w_str(e, "Y"));
  w_set(e, props(a), "mixedcondition", items);
  W *body = activity(e, "SequenceActivity", NULL, "Loop body");
  if (e->go) w_push(e, kids(body), set_flags(e, "Round", e->go, NULL, "Y"));
  W *into = kids(body);
  if (cond) {
    W *test = activity(e, "IfElseActivity", NULL, "Condition");
    W *yes = activity(e, "IfElseBranchActivity", NULL, "if");
    W *no = activity(e, "IfElseBranchActivity", NULL, "else");
    if (!condition(e, props(yes), cond, into)) return false;
    w_sets(e, props(no), "truecondition", "1");
    w_push(e, kids(no), set_flags(e, "Loop ends", e->brk, NULL, "N"));
    w_push(e, kids(test), yes);
    w_push(e, kids(test), no);
    w_push(e, into, test);
    into = kids(yes);
  }
  if (!block(e, b, into)) return false;
  diag_warning(e->d, s->span, "Bitrix ends a WhileActivity after 1000 rounds; `bpc import` keeps that rule");
  w_push(e, kids(a), body);
  w_push(e, out, a);
  e->brk = brk;
  e->go = go;
  return true;
}

/* A body with a `break` or `continue` of its own loop. */
static bool body_jumps(const Block *b) {
  for (uint32_t i = 0; b && i < b->n; i++)
    if (jumps(b->stmts[i])) return true;
  return false;
}

static bool parallel(E *e, const Stmt *s, W *out) {
  e->tail = false; /* a branch is followed by the others, or by what the winner goes on with */
  if (!s->u.parallel.any) {
    W *a = activity(e, "ParallelActivity", NULL, "Parallel");
    for (uint32_t i = 0; i < s->u.parallel.n; i++) {
      W *b = sequence(e, s->u.parallel.branches[i], "Branch");
      if (!b) return false;
      w_push(e, kids(a), b);
    }
    w_push(e, out, a);
    return true;
  }
  /* parallel any: Bitrix's ListenActivity waits for the first event of its
   * branches; an event is a delay, so every branch must start with one. */
  W *a = activity(e, "ListenActivity", NULL, "Listen");
  for (uint32_t i = 0; i < s->u.parallel.n; i++) {
    const Block *b = s->u.parallel.branches[i];
    if (!b->n || b->stmts[0]->kind != S_WAIT)
      return refuse(e, b->span, "a `parallel any` branch that does not start with `wait`: Bitrix's ListenActivity races events (delays), not steps");
    W *ev = activity(e, "EventDrivenActivity", NULL, "Event");
    if (!block(e, b, kids(ev))) return false;
    w_push(e, kids(a), ev);
  }
  w_push(e, out, a);
  return true;
}

static bool wait_stmt(E *e, const Stmt *s, W *out) {
  W *a = activity(e, "DelayActivity", NULL, "Pause");
  if (s->u.wait.until) {
    W *v = value(e, s->u.wait.value);
    if (!v) return false;
    w_set(e, props(a), "TimeoutTime", v);
  } else {
    const char *n, *unit;
    if (!duration_parts(e, s->u.wait.value, &n, &unit))
      return refuse(e, s->u.wait.value->span, "a wait that is not a duration literal: Bitrix's delay is a number of s, m, h or d");
    w_sets(e, props(a), "TimeoutDuration", n);
    w_sets(e, props(a), "TimeoutDurationType", unit);
  }
  w_push(e, out, a);
  return true;
}

static bool stmt(E *e, const Stmt *s, W *out) {
  switch (s->kind) {
  case S_ASSIGN: return assign(e, s, out);
  case S_HUMAN: return human(e, s, out);
  case S_IF: return if_stmt(e, s, out);
  case S_WHILE:
    if (body_jumps(s->u.while_.body)) return loop_stmt(e, s, s->u.while_.cond, s->u.while_.body, out);
    return while_stmt(e, s, out);
  case S_LOOP: return loop_stmt(e, s, NULL, s->u.loop.body, out);
  case S_BREAK:
    w_push(e, out, set_flags(e, "Break", e->brk, e->go, "N"));
    return true;
  case S_CONTINUE:
    if (e->go) w_push(e, out, set_flags(e, "Continue", e->go, NULL, "N"));
    return true;
  case S_PARALLEL: return parallel(e, s, out);
  case S_WAIT: return wait_stmt(e, s, out);
  case S_TERMINATE: {
    W *a = activity(e, "TerminateActivity", NULL, "Stop");
    if (s->u.terminate.reason) {
      const char *t = text(e, s->u.terminate.reason);
      if (!t) return false;
      w_sets(e, props(a), "StateTitle", t);
    }
    w_push(e, out, a);
    return true;
  }
  case S_NOTIFY: {
    W *who = people(e, s->u.notify.who, s->u.notify.nwho);
    const char *t = text(e, s->u.notify.message);
    if (!who || !t) return false;
    W *a = activity(e, "IMNotifyActivity", NULL, "Notification");
    w_sets(e, props(a), "MessageUserFrom", "");
    w_set(e, props(a), "MessageUserTo", who);
    w_sets(e, props(a), "MessageSite", t);
    w_sets(e, props(a), "MessageOut", t);
    w_sets(e, props(a), "MessageType", "4"); /* a system notification: no sender */
    w_push(e, out, a);
    return true;
  }
  case S_LOG: {
    const char *t = text(e, s->u.log.text);
    if (!t) return false;
    W *a = activity(e, "LogActivity", NULL, "Log");
    w_sets(e, props(a), "Text", t);
    w_push(e, out, a);
    return true;
  }
  case S_GOTO: {
    W *a = activity(e, "SetStateActivity", NULL, "Go to state");
    w_sets(e, props(a), "TargetStateName", s->u.goto_.state.s);
    /* Bitrix's SetStateActivity only names the next state and the handler goes on;
     * `goto` leaves at once, which is CancelCurrentState Y (where more may follow) */
    if (!e->tail) w_sets(e, props(a), "CancelCurrentState", "Y");
    w_push(e, out, a);
    return true;
  }
  case S_FOR: return refuse(e, s->span, "`for … in` has no Bitrix counterpart bpc maps");
  case S_CALL:
    return refuse(e, s->span, "the host action `%s` has no Bitrix activity", s->u.call.action.s);
  case S_START:
    return refuse(e, s->span, "`start %s`: Bitrix's StartWorkflowActivity names a template installed in the portal, which a template cannot carry",
                  s->u.start.process.s);
  case S_TRY: return refuse(e, s->span, "`try … catch` has no Bitrix counterpart");
  case S_THROW: return refuse(e, s->span, "`throw` has no Bitrix counterpart");
  case S_RECEIVE: return refuse(e, s->span, "`wait message` has no Bitrix counterpart");
  case S_REASSIGN:
  case S_ADD: return refuse(e, s->span, "`reassign`/`add` has no Bitrix counterpart");
  case S_ERROR: return refuse(e, s->span, "a statement that did not parse");
  }
  return refuse(e, s->span, "this statement has no Bitrix counterpart");
}

static bool block(E *e, const Block *b, W *out) {
  bool tail = e->tail;
  for (uint32_t i = 0; i < b->n; i++) {
    e->tail = tail && i + 1 == b->n;
    if (!stmt(e, b->stmts[i], out)) return false;
    if (e->go && i + 1 < b->n && jumps(b->stmts[i])) { /* the rest runs while the round goes on */
      W *g = activity(e, "IfElseActivity", NULL, "Condition");
      W *br = activity(e, "IfElseBranchActivity", NULL, "if");
      W *items = w_arr(e, true);
      cond_item(e, &(Cond){items, false}, "Variable", e->go, "=", w_str(e, "Y"));
      w_set(e, props(br), "mixedcondition", items);
      w_push(e, kids(g), br);
      w_push(e, out, g);
      out = kids(br);
    }
  }
  e->tail = tail;
  return true;
}

/* A block with a step that waits (for people, time or the host). */
static bool block_waits(const Block *b) {
  for (uint32_t i = 0; b && i < b->n; i++) {
    const Stmt *s = b->stmts[i];
    switch (s->kind) {
    case S_HUMAN: case S_WAIT: case S_PARALLEL: case S_CALL: case S_START: return true;
    case S_IF:
      for (uint32_t k = 0; k < s->u.if_.n; k++)
        if (block_waits(s->u.if_.blocks[k])) return true;
      if (block_waits(s->u.if_.otherwise)) return true;
      break;
    case S_WHILE:
      if (block_waits(s->u.while_.body)) return true;
      break;
    case S_LOOP:
      if (block_waits(s->u.loop.body)) return true;
      break;
    default: break;
    }
  }
  return false;
}

/* Every way through the block ends in `goto` or `terminate`. */
static bool block_leaves(const Block *b) {
  if (!b || !b->n) return false;
  const Stmt *s = b->stmts[b->n - 1];
  if (s->kind == S_GOTO || s->kind == S_TERMINATE) return true;
  if (s->kind != S_IF || !s->u.if_.otherwise || !block_leaves(s->u.if_.otherwise)) return false;
  for (uint32_t k = 0; k < s->u.if_.n; k++)
    if (!block_leaves(s->u.if_.blocks[k])) return false;
  return true;
}

/* ---- declarations ---------------------------------------------------------------------------- */

static W *declaration(E *e, const char *label, const Type *t, const Expr *def, bool required, Span at) {
  bool multiple;
  const char *bt = bx_type(t, &multiple);
  if (!bt) {
    refuse(e, at, "the type %s has no Bitrix field type", t ? t->name : "?");
    return NULL;
  }
  W *d = w_arr(e, false);
  w_sets(e, d, "Name", label);
  w_sets(e, d, "Description", "");
  w_sets(e, d, "Type", bt);
  w_sets(e, d, "Required", required ? "1" : "0");
  w_sets(e, d, "Multiple", multiple ? "1" : "0");
  w_sets(e, d, "Options", "");
  if (def) {
    const char *lit = literal_text(e, def);
    if (!lit) {
      refuse(e, def->span, "a default that is not a literal: Bitrix's Default is a value");
      return NULL;
    }
    w_sets(e, d, "Default", lit);
  } else {
    w_sets(e, d, "Default", "");
  }
  return d;
}

static bool states(E *e, const States *st, W *root) {
  w_sets(e, props(root), "InitialStateName", st->states[0].name.s);
  for (uint32_t i = 0; i < st->n; i++) {
    const State *s = &st->states[i];
    const char *label = s->label ? plain_text(e, s->label) : NULL;
    W *sa = activity(e, "StateActivity", s->name.s, label ? label : s->name.s);
    if (!str_eq(name_of(sa), s->name.s))
      return refuse(e, s->name.span, "the state `%s` cannot be an activity Name in Bitrix (a plain, unique name is)", s->name.s);
    if (s->enter && s->ncommands && block_waits(s->enter))
      return refuse(e, s->enter->span,
                    "a state whose `enter` waits and that has commands: Bitrix offers a state's commands only once "
                    "its initialization is done, `.bp` while `enter` runs");
    if (s->enter) {
      W *init = activity(e, "StateInitializationActivity", NULL, "Entering the state");
      e->tail = true;
      bool ok = block(e, s->enter, kids(init));
      e->tail = false;
      if (!ok) return false;
      w_push(e, kids(sa), init);
    }
    for (uint32_t k = 0; k < s->ncommands; k++) {
      const Command *c = &s->commands[k];
      W *ev = activity(e, "EventDrivenActivity", NULL, "Command");
      const char *cl = c->label ? plain_text(e, c->label) : NULL;
      W *h = activity(e, "HandleExternalEventActivity", c->name.s, cl ? cl : c->name.s);
      if (!str_eq(name_of(h), c->name.s))
        diag_warning(e->d, c->name.span, "the command `%s` is named %s in the template: activity Names are unique there",
                     c->name.s, name_of(h));
      if (c->nby) {
        W *who = people(e, c->by, c->nby);
        if (!who) return false;
        if (who->kind == W_STR) {
          W *l = w_arr(e, true);
          w_push(e, l, who);
          who = l;
        }
        w_set(e, props(h), "Permission", who);
      }
      w_push(e, kids(ev), h);
      if (c->target.s) {
        W *go = activity(e, "SetStateActivity", NULL, "Go to state");
        w_sets(e, props(go), "TargetStateName", c->target.s);
        w_push(e, kids(ev), go);
      } else if (c->body) {
        e->tail = true;
        bool ok = block(e, c->body, kids(ev));
        e->tail = false;
        if (!ok) return false;
        if (!block_leaves(c->body)) {
          /* Bitrix ends the process after a command that names no next state; naming
           * this one again stays, as `.bp` does, when entering it runs nothing */
          if (s->enter)
            return refuse(e, c->name.span,
                          "the command `%s` may stay in its state: Bitrix ends the process after a command "
                          "that names no next state, and naming this one again would run its `enter`",
                          c->name.s);
          W *go = activity(e, "SetStateActivity", NULL, "Stay in the state");
          w_sets(e, props(go), "TargetStateName", s->name.s);
          w_push(e, kids(ev), go);
        }
      }
      w_push(e, kids(sa), ev);
    }
    if (s->final && s->ncommands)
      return refuse(e, s->span, "a final state with commands");
    w_push(e, kids(root), sa);
  }
  return true;
}

static bool process(E *e, W *top) {
  const Process *p = e->proc;
  const ProcInfo *pi = p->info;
  W *params = w_arr(e, false), *consts = w_arr(e, false), *fields = w_arr(e, false);
  e->vars = w_arr(e, false);
  W *init = w_arr(e, true); /* variables set from expressions, at the start */
  const States *st = NULL;
  for (uint32_t i = 0; i < p->nmembers; i++) {
    const Member *m = &p->members[i];
    if (m->kind == M_TRIGGER && m->u.trigger->kind != TRIG_MANUAL)
      refuse(e, m->u.trigger->span, "`start on %s`: when a template runs by itself is set in the portal, not in the template",
             m->u.trigger->kind == TRIG_CREATE ? "create" : "change");
    if (m->kind == M_STATES) st = m->u.states;
    if (m->kind != M_DECL) continue;
    const Decl *d = m->u.decl;
    const Symbol *sym = d->sym;
    if (!sym) continue;
    const char *label = d->label ? plain_text(e, d->label) : NULL;
    if (d->kind == D_PARAM) {
      W *w = declaration(e, label ? label : sym->name, sym->type, d->init, d->init == NULL, d->span);
      if (w) w_set(e, params, sym->name, w);
    } else if (d->kind == D_CONST) {
      W *w = declaration(e, sym->name, sym->type, sym->const_value ? sym->const_value : d->init, false, d->span);
      if (w) w_set(e, consts, sym->name, w);
    } else {
      bool lit = d->init && literal_text(e, d->init);
      W *w = declaration(e, sym->name, sym->type, lit ? d->init : NULL, false, d->span);
      if (w) w_set(e, e->vars, sym->name, w);
      if (d->init && !lit) {
        W *v = value(e, d->init);
        if (!v) continue;
        W *a = activity(e, "SetVariableActivity", NULL, "Initial value");
        W *vv = w_arr(e, false);
        w_set(e, vv, sym->name, v);
        w_set(e, props(a), "VariableValue", vv);
        w_push(e, init, a);
      }
    }
  }
  if (pi->doc)
    for (uint32_t i = 0; i < pi->doc->nfields; i++) {
      const DocField *f = &pi->doc->fields[i];
      W *w = declaration(e, f->name.s, f->type.type, f->init, false, f->span);
      if (w) w_set(e, fields, f->name.s, w);
    }
  if (e->failed) return false;
  const char *title = p->title ? plain_text(e, p->title) : NULL;
  W *root = activity(e, st ? "StateMachineWorkflowActivity" : "SequentialWorkflowActivity", "Template",
                     title ? title : p->name.s);
  if (st) {
    if (init->vals.n)
      return refuse(e, p->span, "a variable of a process with statuses whose first value is computed: Bitrix sets it nowhere");
    if (!states(e, st, root)) return false;
  } else {
    for (uint32_t i = 0; i < init->vals.n; i++) w_push(e, kids(root), init->vals.items[i]);
    for (uint32_t i = 0; i < p->nmembers; i++)
      if (p->members[i].kind == M_STMT && !stmt(e, p->members[i].u.stmt, kids(root))) return false;
  }
  if (e->failed) return false;
  W *tpl = w_arr(e, true);
  w_push(e, tpl, root);
  W *ver = w_arr(e, false);
  ver->kind = W_INT;
  ver->i = 2;
  w_set(e, top, "VERSION", ver);
  w_set(e, top, "TEMPLATE", tpl);
  w_set(e, top, "PARAMETERS", params);
  w_set(e, top, "VARIABLES", e->vars);
  w_set(e, top, "CONSTANTS", consts);
  w_set(e, top, "DOCUMENT_FIELDS", fields);
  return true;
}

bool bxw_export(const Program *prog, bool plain, char **out, size_t *len, Diags *diags) {
  E e;
  memset(&e, 0, sizeof e);
  arena_init(&e.a);
  e.prog = prog;
  e.d = diags;
  *out = NULL;
  *len = 0;
  const Process *proc = NULL;
  for (uint32_t i = 0; i < prog->nitems; i++) {
    const Item *it = &prog->items[i];
    if (it->kind != I_PROCESS) continue;
    if (proc) {
      refuse(&e, it->u.proc->name.span, "a second process: a Bitrix template holds one process (export each file with one)");
      break;
    }
    proc = it->u.proc;
  }
  if (!proc && !e.failed) {
    diag_error(diags, span_make(0, 0), "the file has no process to export");
    e.failed = true;
  }
  if (proc && !proc->info && !e.failed) { /* not checked: nothing to write from */
    diag_error(diags, proc->name.span, "the process was not checked");
    e.failed = true;
  }
  W *top = w_arr(&e, false);
  if (!e.failed) {
    e.proc = proc;
    process(&e, top);
  }
  bool ok = !e.failed;
  if (ok) {
    StrBuf b;
    sb_init(&b);
    serialize(&b, top);
    if (plain) {
      *len = b.len;
      *out = sb_take(&b);
    } else {
      uLongf n = compressBound((uLong)b.len);
      Bytef *z = xmalloc(n);
      if (compress2(z, &n, (const Bytef *)b.data, (uLong)b.len, 9) != Z_OK) {
        free(z);
        diag_error(diags, span_make(0, 0), "zlib could not compress the template");
        ok = false;
      } else {
        *out = (char *)z;
        *len = n;
      }
      sb_free(&b);
    }
  }
  arena_free(&e.a);
  return ok;
}
