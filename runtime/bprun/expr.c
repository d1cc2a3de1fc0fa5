/* expr.c — the expressions of a scenario's `expect EXPR`: the `.bp` expression syntax,
 * evaluated over an instance with the runtime's own operators and functions
 * (bp_value_op, bp_value_call), so `expect` and the process agree on what `==` means.
 *
 *   expr    := or ['?' expr ':' expr]
 *   or      := and {'or' and}        and := not {'and' not}      not := 'not' not | cmp
 *   cmp     := add [('=='|'!='|'<'|'<='|'>'|'>='|'in') add]
 *   add     := mul {('+'|'-') mul}   mul := unary {('*'|'/'|'%') unary}
 *   unary   := '-' unary | primary
 *   primary := number | duration | string | 'true' | 'false' | name['.' name]
 *            | name '(' [expr {',' expr}] ')' | '(' expr ')' | '[' [expr {',' expr}] ']'
 * Strings may interpolate: "{x} of {y}". Every value is owned by the runtime. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

typedef struct P {
  Host *h;
  BpInstance *inst;
  const char *s;
  size_t at;
  char *why;
  size_t why_size;
  bool failed;
  int depth;
} P;

static bool fail(P *p, const char *fmt, const char *arg) {
  if (!p->failed) snprintf(p->why, p->why_size, fmt, arg ? arg : "");
  p->failed = true;
  return false;
}

static void skip_space(P *p) {
  while (p->s[p->at] == ' ' || p->s[p->at] == '\t') p->at++;
}

static bool word_at(P *p, const char *w) {
  skip_space(p);
  size_t n = strlen(w);
  if (strncmp(p->s + p->at, w, n) != 0) return false;
  char next = p->s[p->at + n];
  if (isalnum((unsigned char)w[0]) && (isalnum((unsigned char)next) || next == '_')) return false;
  p->at += n;
  return true;
}

static void drop(P *p, BpValue *v) { bp_value_free(p->h->rt, v); }

static bool binop(P *p, BpOp op, BpValue *a, BpValue *b, BpValue *out) {
  BpError err = {0};
  BpStatus st = bp_value_op(p->h->rt, op, a, b, out, &err);
  drop(p, a);
  if (b) drop(p, b);
  return st == BP_OK || fail(p, "%s", err.message);
}

static bool expr(P *p, BpValue *out);

/* Names may hold letters beyond ASCII (UTF-8, as the compiler takes them):
 * any byte of 0x80 or more counts as a letter here. */
static bool is_ident_start(char c) {
  return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}
static bool is_ident_char(char c) { return is_ident_start(c) || isdigit((unsigned char)c); }

static bool name_value(P *p, BpValue *out) {
  size_t start = p->at;
  while (is_ident_char(p->s[p->at])) p->at++;
  if (p->s[p->at] == '.' && is_ident_start(p->s[p->at + 1])) {
    p->at++;
    while (is_ident_char(p->s[p->at])) p->at++;
  }
  char *name = xstrndup(p->s + start, p->at - start);
  BpValue view;
  BpStatus st = bp_instance_get(p->inst, name, &view);
  if (st != BP_OK) {
    fail(p, "no field, parameter, variable or result member `%s`", name);
    free(name);
    return false;
  }
  if (view.type == BP_T_VOID) {
    fail(p, "`%s` has no value yet", name);
    free(name);
    return false;
  }
  free(name);
  BpError err = {0};
  return bp_value_copy(p->h->rt, &view, out, &err) == BP_OK || fail(p, "%s", err.message);
}

/* The arguments of f(...) or the items of [...]: up to 16 values. */
static int arguments(P *p, char close, BpValue *vals, int max) {
  int n = 0;
  skip_space(p);
  if (p->s[p->at] == close) {
    p->at++;
    return 0;
  }
  for (;;) {
    if (n == max) {
      fail(p, "too many items%s", "");
      break;
    }
    if (!expr(p, &vals[n])) break;
    n++;
    skip_space(p);
    if (p->s[p->at] == ',') {
      p->at++;
      continue;
    }
    if (p->s[p->at] == close) {
      p->at++;
      return n;
    }
    fail(p, "expected `,` or `%s`", close == ')' ? ")" : "]");
    break;
  }
  for (int i = 0; i < n; i++) drop(p, &vals[i]);
  return -1;
}

static bool call(P *p, const char *fn, BpValue *out) {
  BpValue args[16] = {{0}};
  p->at++; /* ( */
  int n = arguments(p, ')', args, 16);
  if (n < 0) return false;
  BpError err = {0};
  BpStatus st = bp_value_call(p->h->rt, fn, args, (size_t)n, out, &err);
  for (int i = 0; i < n; i++) drop(p, &args[i]);
  return st == BP_OK || fail(p, "%s", err.message);
}

static bool list(P *p, BpValue *out) {
  BpValue items[16] = {{0}};
  p->at++; /* [ */
  int n = arguments(p, ']', items, 16);
  if (n < 0) return false;
  uint8_t elem = n ? items[0].type : BP_T_VOID;
  for (int i = 1; i < n; i++) {
    bool numbers = (items[i].type == BP_T_INT || items[i].type == BP_T_DECIMAL) &&
                   (elem == BP_T_INT || elem == BP_T_DECIMAL);
    if (numbers && items[i].type == BP_T_DECIMAL) elem = BP_T_DECIMAL;
    if (items[i].type != elem && !numbers) {
      for (int k = 0; k < n; k++) drop(p, &items[k]);
      return fail(p, "a list's items must be of one type%s", "");
    }
  }
  if (elem == BP_T_DECIMAL) /* ints among decimals become decimals, as in the language */
    for (int i = 0; i < n; i++)
      if (items[i].type == BP_T_INT) items[i] = bp_decimal(items[i].i, 0);
  BpValue lv = bp_list(elem, items, (size_t)n);
  BpError err = {0};
  BpStatus st = bp_value_copy(p->h->rt, &lv, out, &err);
  for (int i = 0; i < n; i++) drop(p, &items[i]);
  return st == BP_OK || fail(p, "%s", err.message);
}

/* Does s hold n digits? */
static bool digits_at(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  return true;
}

/* A number, a decimal, a duration (3d, 4h30m), or, as in `.bp`, a date (2026-03-05) or
 * datetime (2026-03-05T10:00) literal: digits-dash-digits is never subtraction here. */
static bool number(P *p, BpValue *out) {
  size_t start = p->at;
  while (isdigit((unsigned char)p->s[p->at])) p->at++;
  BpType type = BP_T_INT;
  const char *d = p->s + start;
  if (p->at - start == 4 && d[4] == '-' && isdigit((unsigned char)d[5])) {
    size_t n = 4;
    while (isdigit((unsigned char)d[n + 1]) || d[n + 1] == '-') n++; /* the whole word, for the message */
    if (n + 1 == 10 && d[7] == '-' && digits_at(d + 5, 2) && digits_at(d + 8, 2)) {
      type = BP_T_DATE;
      p->at = start + 10;
      if (d[10] == 'T' && digits_at(d + 11, 2) && d[13] == ':' && digits_at(d + 14, 2)) {
        type = BP_T_DATETIME;
        p->at = start + 16;
      }
    } else {
      p->at = start + n + 1;
      return fail(p, "a date is written YYYY-MM-DD, a datetime YYYY-MM-DDTHH:MM%s", "");
    }
  } else if (p->s[p->at] == '.' && isdigit((unsigned char)p->s[p->at + 1])) {
    type = BP_T_DECIMAL;
    p->at++;
    while (isdigit((unsigned char)p->s[p->at])) p->at++;
  } else if (strchr("wdhm", p->s[p->at]) && p->s[p->at]) {
    type = BP_T_DURATION;
    while (isalnum((unsigned char)p->s[p->at])) p->at++;
  }
  BpError err = {0};
  return bp_value_parse(p->h->rt, p->s + start, p->at - start, type, out, &err) == BP_OK ||
         fail(p, "%s", err.message);
}

/* "text {expr} text": the parts concatenated, each as text. */
static bool string(P *p, BpValue *out) {
  char *text = NULL;
  size_t len = 0;
  p->at++;
  for (;;) {
    char c = p->s[p->at];
    if (c == '\0') {
      free(text);
      return fail(p, "a string is not closed%s", "");
    }
    p->at++;
    if (c == '"') break;
    if (c == '\\' && p->s[p->at]) {
      char d = p->s[p->at++];
      c = d == 'n' ? '\n' : d == 't' ? '\t' : d == 'r' ? '\r' : d;
    } else if (c == '{' && p->s[p->at] == '{') {
      p->at++;
    } else if (c == '}' && p->s[p->at] == '}') {
      p->at++;
    } else if (c == '{') {
      BpValue v;
      if (!expr(p, &v)) {
        free(text);
        return false;
      }
      skip_space(p);
      if (p->s[p->at] != '}') {
        drop(p, &v);
        free(text);
        return fail(p, "expected `}` in a string%s", "");
      }
      p->at++;
      size_t need = bp_value_format(&v, NULL, 0);
      text = xrealloc(text, len + need + 1);
      bp_value_format(&v, text + len, need + 1);
      len += need;
      drop(p, &v);
      continue;
    }
    text = xrealloc(text, len + 2);
    text[len++] = c;
  }
  BpValue s = {.type = BP_T_STRING, .s = text ? text : "", .len = len};
  BpError err = {0};
  BpStatus st = bp_value_copy(p->h->rt, &s, out, &err);
  free(text);
  return st == BP_OK || fail(p, "%s", err.message);
}

static bool primary(P *p, BpValue *out) {
  skip_space(p);
  char c = p->s[p->at];
  if (++p->depth > 100) return fail(p, "the expression is nested too deep%s", "");
  bool ok;
  if (c == '(') {
    p->at++;
    ok = expr(p, out);
    skip_space(p);
    if (ok && p->s[p->at] != ')') {
      drop(p, out);
      ok = fail(p, "expected `)`%s", "");
    } else if (ok) {
      p->at++;
    }
  } else if (c == '[') {
    ok = list(p, out);
  } else if (c == '"') {
    ok = string(p, out);
  } else if (isdigit((unsigned char)c)) {
    ok = number(p, out);
  } else if (word_at(p, "true")) {
    *out = bp_bool(true);
    ok = true;
  } else if (word_at(p, "false")) {
    *out = bp_bool(false);
    ok = true;
  } else if (is_ident_start(c)) {
    size_t start = p->at, end = start;
    while (is_ident_char(p->s[end])) end++;
    size_t after = end;
    while (p->s[after] == ' ') after++;
    if (p->s[after] == '(') {
      char *fn = xstrndup(p->s + start, end - start);
      p->at = after;
      ok = call(p, fn, out);
      free(fn);
    } else {
      ok = name_value(p, out);
    }
  } else {
    ok = fail(p, c ? "unexpected `%s`" : "an expression is missing%s", c ? (char[]){c, 0} : "");
  }
  p->depth--;
  return ok;
}

static bool unary(P *p, BpValue *out) {
  skip_space(p);
  if (p->s[p->at] == '-') {
    p->at++;
    BpValue v;
    if (!unary(p, &v)) return false;
    return binop(p, BP_OP_NEG, &v, NULL, out);
  }
  return primary(p, out);
}

static bool mul(P *p, BpValue *out) {
  if (!unary(p, out)) return false;
  for (;;) {
    skip_space(p);
    char c = p->s[p->at];
    if (c != '*' && c != '/' && c != '%') return true;
    p->at++;
    BpValue rhs, a = *out;
    if (!unary(p, &rhs)) {
      drop(p, &a);
      return false;
    }
    if (!binop(p, c == '*' ? BP_OP_MUL : c == '/' ? BP_OP_DIV : BP_OP_MOD, &a, &rhs, out)) return false;
  }
}

static bool add(P *p, BpValue *out) {
  if (!mul(p, out)) return false;
  for (;;) {
    skip_space(p);
    char c = p->s[p->at];
    if (c != '+' && c != '-') return true;
    p->at++;
    BpValue rhs, a = *out;
    if (!mul(p, &rhs)) {
      drop(p, &a);
      return false;
    }
    if (!binop(p, c == '+' ? BP_OP_ADD : BP_OP_SUB, &a, &rhs, out)) return false;
  }
}

static bool cmp(P *p, BpValue *out) {
  if (!add(p, out)) return false;
  static const struct { const char *op; BpOp code; } ops[] = {
      {"==", BP_OP_EQ}, {"!=", BP_OP_NE}, {"<=", BP_OP_LE}, {">=", BP_OP_GE},
      {"<", BP_OP_LT},  {">", BP_OP_GT},  {"in", BP_OP_IN}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (!word_at(p, ops[i].op)) continue;
    BpValue rhs, a = *out;
    if (!add(p, &rhs)) {
      drop(p, &a);
      return false;
    }
    return binop(p, ops[i].code, &a, &rhs, out);
  }
  return true;
}

static bool not_expr(P *p, BpValue *out) {
  if (word_at(p, "not")) {
    BpValue v;
    if (!not_expr(p, &v)) return false;
    return binop(p, BP_OP_NOT, &v, NULL, out);
  }
  return cmp(p, out);
}

static bool truth(P *p, BpValue *v, bool *b) {
  if (v->type != BP_T_BOOL) {
    drop(p, v);
    return fail(p, "`and`, `or` and `?` need bools%s", "");
  }
  *b = v->i != 0;
  return true;
}

static bool and_expr(P *p, BpValue *out) {
  if (!not_expr(p, out)) return false;
  while (word_at(p, "and")) {
    bool a, b;
    if (!truth(p, out, &a)) return false;
    BpValue rhs;
    if (!not_expr(p, &rhs) || !truth(p, &rhs, &b)) return false;
    *out = bp_bool(a && b);
  }
  return true;
}

static bool or_expr(P *p, BpValue *out) {
  if (!and_expr(p, out)) return false;
  while (word_at(p, "or")) {
    bool a, b;
    if (!truth(p, out, &a)) return false;
    BpValue rhs;
    if (!and_expr(p, &rhs) || !truth(p, &rhs, &b)) return false;
    *out = bp_bool(a || b);
  }
  return true;
}

static bool expr(P *p, BpValue *out) {
  if (!or_expr(p, out)) return false;
  skip_space(p);
  if (p->s[p->at] != '?') return true;
  p->at++;
  bool c;
  if (!truth(p, out, &c)) return false;
  BpValue yes, no;
  if (!expr(p, &yes)) return false;
  skip_space(p);
  if (p->s[p->at] != ':') {
    drop(p, &yes);
    return fail(p, "expected `:`%s", "");
  }
  p->at++;
  if (!expr(p, &no)) {
    drop(p, &yes);
    return false;
  }
  if (c) {
    *out = yes;
    drop(p, &no);
  } else {
    *out = no;
    drop(p, &yes);
  }
  return true;
}

bool expr_eval(Host *h, BpInstance *inst, const char *text, BpValue *out, char *why, size_t why_size) {
  P p = {.h = h, .inst = inst, .s = text, .why = why, .why_size = why_size};
  if (!expr(&p, out)) return false;
  skip_space(&p);
  if (p.s[p.at] && p.s[p.at] != '#') {
    bp_value_free(h->rt, out);
    snprintf(why, why_size, "unexpected `%s` after the expression", p.s + p.at);
    return false;
  }
  return true;
}
