/* bpmn_cond.c — conditions of sequence flows: a documented subset of JUEL
 * (`${...}`) and FEEL (`=...`), parsed into a small tree, typed across a
 * whole process (a variable's type comes from its uses), then built as
 * IrExpr (bpmn_ir.h, docs/bpmn.md "Conditions"). */
#include "bpmn_map.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct Parser {
  BpmnMap *mp;
  const char *s, *end;
  bool feel;
  bool xpath;      /* XPath 1.0: the BPMN spec's default expression language */
  const char *why; /* the first problem, NULL while fine */
  int depth;       /* of nested unary operators and parentheses */
  char buf[160];
} Parser;

static BpmnCond *cnode(Parser *P, BpmnCondKind k) {
  BpmnCond *n = arena_alloc(&P->mp->m->arena, sizeof *n);
  memset(n, 0, sizeof *n);
  n->kind = k;
  return n;
}

static void skip(Parser *P) {
  while (P->s < P->end && isspace((unsigned char)*P->s)) P->s++;
}

static bool fail(Parser *P, const char *why) {
  if (!P->why) P->why = why;
  return false;
}

static BpmnCond *expr(Parser *P);

/* XPath: `PREFIX:getDataObject('name')` (BPMN 2.0 section 8.3.1, the data
 * object's value) is the variable `name`; `true()` and `false()` the
 * booleans. Anything else named is a location path or another function:
 * refused. The cursor is at a letter. */
static BpmnCond *xpath_name(Parser *P) {
  const char *w = P->s;
  while (P->s < P->end && (isalnum((unsigned char)*P->s) || *P->s == '_' || *P->s == '-' || *P->s == '.'))
    P->s++;
  if (P->s < P->end && *P->s == ':' && P->s + 1 < P->end && isalpha((unsigned char)P->s[1])) {
    P->s++;
    w = P->s;
    while (P->s < P->end && (isalnum((unsigned char)*P->s) || *P->s == '_' || *P->s == '-' || *P->s == '.'))
      P->s++;
  }
  size_t n = (size_t)(P->s - w);
  skip(P);
  if (!(P->s < P->end && *P->s == '('))
    return fail(P, "an XPath location path is not in the subset (a data object is read with bpmn:getDataObject('name'))"), NULL;
  P->s++;
  skip(P);
  if ((n == 4 && strncmp(w, "true", 4) == 0) || (n == 5 && strncmp(w, "false", 5) == 0)) {
    if (!(P->s < P->end && *P->s == ')')) return fail(P, "true() and false() take no arguments"), NULL;
    P->s++;
    BpmnCond *b = cnode(P, BPMN_C_BOOL);
    b->num = n == 4;
    return b;
  }
  if (n == 3 && strncmp(w, "not", 3) == 0) {
    BpmnCond *c = cnode(P, BPMN_C_NOT);
    c->a = expr(P);
    if (c->a && !(skip(P), P->s < P->end && *P->s == ')')) return fail(P, "a `(` without its `)`"), NULL;
    if (!c->a) return NULL;
    P->s++;
    return c;
  }
  if (!(n == 13 && strncmp(w, "getDataObject", 13) == 0))
    return fail(P, "XPath functions other than bpmn:getDataObject, not, true and false are not in the subset"), NULL;
  if (!(P->s < P->end && (*P->s == '\'' || *P->s == '"')))
    return fail(P, "getDataObject takes the data object's name as a string"), NULL;
  char q = *P->s++;
  const char *name = P->s;
  while (P->s < P->end && *P->s != q) P->s++;
  size_t len = (size_t)(P->s - name);
  if (P->s >= P->end) return fail(P, "a string without its closing quote"), NULL;
  P->s++;
  skip(P);
  if (!(P->s < P->end && *P->s == ')'))
    return fail(P, "getDataObject with a process name (two arguments) is not in the subset"), NULL;
  P->s++;
  bool ident = len > 0 && (isalpha((unsigned char)name[0]) || name[0] == '_');
  for (size_t i = 0; ident && i < len; i++)
    ident = isalnum((unsigned char)name[i]) || name[i] == '_';
  if (!ident) return fail(P, "a data object name that is not a plain name (letters, digits, _)"), NULL;
  BpmnCond *v = cnode(P, BPMN_C_VAR);
  v->str = arena_strndup(&P->mp->m->arena, name, len);
  v->len = (uint32_t)len;
  return v;
}

/* A word at the cursor (letters, digits, _), not consumed; its length. */
static size_t word_len(const Parser *P) {
  const char *q = P->s;
  if (q >= P->end || !(isalpha((unsigned char)*q) || *q == '_')) return 0;
  while (q < P->end && (isalnum((unsigned char)*q) || *q == '_')) q++;
  return (size_t)(q - P->s);
}

static bool word_is(const Parser *P, const char *w) {
  size_t n = word_len(P);
  return n == strlen(w) && strncmp(P->s, w, n) == 0;
}

static bool accept_word(Parser *P, const char *w) {
  skip(P);
  if (!word_is(P, w)) return false;
  P->s += strlen(w);
  return true;
}

static bool accept(Parser *P, const char *op) {
  skip(P);
  size_t n = strlen(op);
  if ((size_t)(P->end - P->s) < n || strncmp(P->s, op, n) != 0) return false;
  /* "=" must not take the first half of "==" or "=>"; "<" not of "<=" */
  if (n == 1 && P->s + 1 < P->end && P->s[1] == '=' && strchr("=<>!", op[0])) return false;
  P->s += n;
  return true;
}

static BpmnCond *bin(Parser *P, BpmnCondKind k, IrBinaryOp op, BpmnCond *a, BpmnCond *b) {
  if (!a || !b) return NULL;
  BpmnCond *n = cnode(P, k);
  n->op = op;
  n->a = a;
  n->b = b;
  return n;
}

static BpmnCond *number(Parser *P) {
  int64_t v = 0;
  uint8_t scale = 0;
  int digits = 0;
  bool dot = false;
  while (P->s < P->end && (isdigit((unsigned char)*P->s) || (*P->s == '.' && !dot))) {
    if (*P->s == '.') {
      dot = true;
      P->s++;
      if (P->s >= P->end || !isdigit((unsigned char)*P->s)) return fail(P, "a number ends in a dot"), NULL;
      continue;
    }
    if (++digits > 18) return fail(P, "a number with more than 18 digits"), NULL;
    v = v * 10 + (*P->s - '0');
    if (dot) scale++;
    P->s++;
  }
  BpmnCond *n = cnode(P, BPMN_C_NUM);
  n->num = v;
  n->scale = scale;
  return n;
}

static BpmnCond *string(Parser *P) {
  char q = *P->s++;
  StrBuf b;
  sb_init(&b);
  for (;;) {
    if (P->s >= P->end) {
      sb_free(&b);
      return fail(P, "a string without its closing quote"), NULL;
    }
    char c = *P->s++;
    if (c == q) break;
    if (c == '\\' && P->s < P->end) c = *P->s++;
    sb_putc(&b, c);
  }
  BpmnCond *n = cnode(P, BPMN_C_STR);
  n->len = (uint32_t)b.len;
  n->str = arena_strndup(&P->mp->m->arena, b.data ? b.data : "", b.len);
  sb_free(&b);
  return n;
}

/* FEEL names may hold spaces (DMN 1.3, 10.3.1.2: `Vacation Approval`): the
 * words after the first, up to an operator or a FEEL keyword, belong to the
 * name. The variable gets a valid identifier: the words joined by `_`
 * (`Vacation_Approval`). The cursor is after the first word. */
static bool feel_keyword(const char *w, size_t n) {
  static const char *const kw[] = {"and", "or", "not", "true", "false", "null", "in", "between",
                                   "instance", "of", "satisfies", "some", "every", "if", "then",
                                   "else", "for", "return"};
  for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
    if (strlen(kw[i]) == n && strncmp(kw[i], w, n) == 0) return true;
  return false;
}

static BpmnCond *feel_name(Parser *P, const char *name, size_t len) {
  StrBuf b;
  sb_init(&b);
  sb_putn(&b, name, len);
  for (;;) {
    const char *q = P->s;
    while (q < P->end && (*q == ' ' || *q == '\t')) q++;
    if (q == P->s) break;
    const char *w = q;
    if (!(q < P->end && (isalpha((unsigned char)*q) || *q == '_'))) break;
    while (q < P->end && (isalnum((unsigned char)*q) || *q == '_')) q++;
    if (feel_keyword(w, (size_t)(q - w))) break;
    sb_putc(&b, '_');
    sb_putn(&b, w, (size_t)(q - w));
    P->s = q;
  }
  if (P->s < P->end && *P->s == '.') {
    sb_free(&b);
    return fail(P, "member access (`a.b`) is not in the subset"), NULL;
  }
  skip(P);
  if (P->s < P->end && *P->s == '(') {
    sb_free(&b);
    return fail(P, "function calls are not in the subset"), NULL;
  }
  BpmnCond *v = cnode(P, BPMN_C_VAR);
  v->len = (uint32_t)b.len;
  v->str = arena_strndup(&P->mp->m->arena, b.data, b.len);
  sb_free(&b);
  return v;
}

/* ---- FEEL quantifiers ------------------------------------------------------------ */

/* Does n read the variable x? */
static bool mentions(const BpmnCond *n, const char *x, int depth) {
  if (!n || depth > 200) return false;
  if (n->kind == BPMN_C_VAR && strcmp(n->str, x) == 0) return true;
  return mentions(n->a, x, depth + 1) || mentions(n->b, x, depth + 1);
}

/* `x = E` or `E = x` (op), E a literal or a variable other than x: E, else NULL. */
static BpmnCond *item_test(const BpmnCond *c, const char *x, IrBinaryOp op) {
  if (c->kind != BPMN_C_CMP || c->op != op) return NULL;
  const BpmnCond *e = NULL;
  if (c->a->kind == BPMN_C_VAR && strcmp(c->a->str, x) == 0) e = c->b;
  else if (c->b->kind == BPMN_C_VAR && strcmp(c->b->str, x) == 0) e = c->a;
  if (!e || mentions(e, x, 0)) return NULL;
  return e->kind == BPMN_C_STR || e->kind == BPMN_C_NUM || e->kind == BPMN_C_VAR ? (BpmnCond *)e : NULL;
}

/* `some x in L satisfies c` (neg: `… satisfies not(c)`) as membership tests of L,
 * exactly: some x: x = E is `E in L`; some distributes over `or`, and `not`
 * turns `and` into `or` (not(A and B) = not A or not B). Anything else (some x:
 * x != E, some x: A and B, …) has no test over a list in the IR: NULL. */
static BpmnCond *some_of(Parser *P, const char *x, BpmnCond *L, BpmnCond *c, bool neg, int depth) {
  if (depth > 64) return NULL;
  if (c->kind == BPMN_C_NOT) return some_of(P, x, L, c->a, !neg, depth + 1);
  if (c->kind == BPMN_C_LOGIC && c->op == (neg ? IR_OP_AND : IR_OP_OR)) {
    BpmnCond *a = some_of(P, x, L, c->a, neg, depth + 1), *b = a ? some_of(P, x, L, c->b, neg, depth + 1) : NULL;
    return b ? bin(P, BPMN_C_LOGIC, IR_OP_OR, a, b) : NULL;
  }
  BpmnCond *e = item_test(c, x, neg ? IR_OP_NE : IR_OP_EQ);
  return e ? bin(P, BPMN_C_IN, IR_OP_IN, e, L) : NULL;
}

/* FEEL `some x in L satisfies C` and `every x in L satisfies C` (L a list
 * variable), where C tests the items for equality: `some` with `x = E` joined by
 * `or`, `every` with `x != E` joined by `and` (every x: C is not (some x: not C)).
 * The cursor is after the keyword. */
static BpmnCond *quantifier(Parser *P, bool every) {
  skip(P);
  size_t n = word_len(P);
  if (!n) return fail(P, "a quantifier without its variable"), NULL;
  const char *x = arena_strndup(&P->mp->m->arena, P->s, n);
  P->s += n;
  if (!accept_word(P, "in")) return fail(P, "a quantifier without `in`"), NULL;
  skip(P);
  size_t ln = word_len(P);
  if (!ln) return fail(P, "a quantifier ranges over a list variable"), NULL;
  const char *lname = P->s;
  P->s += ln;
  BpmnCond *L = feel_name(P, lname, ln);
  if (!L) return NULL;
  if (!accept_word(P, "satisfies")) return fail(P, "a quantifier over more than one list, or without `satisfies`"), NULL;
  BpmnCond *c = expr(P);
  if (!c) return NULL;
  BpmnCond *q = some_of(P, x, L, c, every, 0);
  if (!q)
    return fail(P, every ? "the IR tests whether a list holds a value (`E in L`): `every` is mapped when it says that "
                           "no item equals a value (`x != E`, joined by `and`), not that every item does"
                         : "the IR tests whether a list holds a value (`E in L`): `some` is mapped when it says that "
                           "an item equals a value (`x = E`, joined by `or`)"),
           NULL;
  if (!every) return q;
  BpmnCond *no = cnode(P, BPMN_C_NOT);
  no->a = q;
  return no;
}

static BpmnCond *primary(Parser *P) {
  skip(P);
  if (P->feel && (word_is(P, "some") || word_is(P, "every"))) {
    bool every = word_is(P, "every");
    P->s += every ? 5 : 4;
    return quantifier(P, every);
  }
  if (P->s >= P->end) return fail(P, "the expression ends too early"), NULL;
  char c = *P->s;
  if (c == '(') {
    P->s++;
    BpmnCond *n = expr(P);
    if (n && !accept(P, ")")) return fail(P, "a `(` without its `)`"), NULL;
    return n;
  }
  if (isdigit((unsigned char)c)) return number(P);
  if (c == '"' || (c == '\'' && !P->feel)) return string(P);
  if (P->xpath && (isalpha((unsigned char)c) || c == '_')) return xpath_name(P);
  size_t n = word_len(P);
  if (!n) {
    /* the whole character, not its first byte: names are ASCII in the subset */
    int len = 1;
    if ((unsigned char)c >= 0xC0)
      while (len < 4 && P->s + len < P->end && ((unsigned char)P->s[len] & 0xC0) == 0x80) len++;
    snprintf(P->buf, sizeof P->buf, "`%.*s` is not in the subset%s", len, P->s,
             (unsigned char)c >= 0x80 ? " (names in conditions are ASCII)" : "");
    return fail(P, P->buf), NULL;
  }
  if (word_is(P, "true") || word_is(P, "false")) {
    BpmnCond *b = cnode(P, BPMN_C_BOOL);
    b->num = word_is(P, "true");
    P->s += n;
    return b;
  }
  if (word_is(P, "null")) return fail(P, "`null` is not in the subset"), NULL;
  const char *name = P->s;
  P->s += n;
  /* variables.x and execution.variables.x are x */
  size_t len = n;
  for (;;) {
    bool prefix = (len == 9 && strncmp(name, "variables", 9) == 0) ||
                  (len == 9 && strncmp(name, "execution", 9) == 0) ||
                  (len == 11 && strncmp(name, "environment", 11) == 0); /* bpmn-engine */
    if (!(prefix && P->s < P->end && *P->s == '.')) break;
    P->s++;
    name = P->s;
    len = word_len(P);
    if (!len) return fail(P, "a `.` not followed by a name"), NULL;
    P->s += len;
  }
  if (P->feel) return feel_name(P, name, len);
  if (P->s < P->end && *P->s == '.')
    return fail(P, "member access (`a.b`) is not in the subset"), NULL;
  skip(P);
  if (P->s < P->end && *P->s == '(') return fail(P, "function calls are not in the subset"), NULL;
  BpmnCond *v = cnode(P, BPMN_C_VAR);
  v->str = arena_strndup(&P->mp->m->arena, name, len);
  v->len = (uint32_t)len;
  return v;
}

enum { MAX_DEPTH = 64 };

static BpmnCond *unary_(Parser *P);

/* Bounded recursion: `((((…` or `!!!!…` nested deeper than MAX_DEPTH is refused. */
static BpmnCond *unary(Parser *P) {
  if (++P->depth > MAX_DEPTH) return fail(P, "nested more than 64 deep"), NULL;
  BpmnCond *n = unary_(P);
  P->depth--;
  return n;
}

static BpmnCond *unary_(Parser *P) {
  if (accept(P, "-")) {
    BpmnCond *a = unary(P);
    if (!a) return NULL;
    return bin(P, BPMN_C_ARITH, IR_OP_SUB, cnode(P, BPMN_C_NUM), a);
  }
  if (P->xpath) return primary(P); /* not(...) is a function there */
  if (!P->feel && (accept(P, "!") || accept_word(P, "not"))) {
    BpmnCond *n = cnode(P, BPMN_C_NOT);
    n->a = unary(P);
    return n->a ? n : NULL;
  }
  if (P->feel && accept_word(P, "not")) {
    if (!accept(P, "(")) return fail(P, "FEEL's not needs parentheses: not(x)"), NULL;
    BpmnCond *n = cnode(P, BPMN_C_NOT);
    n->a = expr(P);
    if (n->a && !accept(P, ")")) return fail(P, "a `(` without its `)`"), NULL;
    return n->a ? n : NULL;
  }
  if (!P->feel && accept_word(P, "empty")) {
    BpmnCond *n = cnode(P, BPMN_C_EMPTY);
    n->a = unary(P);
    return n->a ? n : NULL;
  }
  return primary(P);
}

static BpmnCond *mul(Parser *P) {
  BpmnCond *a = unary(P);
  for (;;) {
    if (!a) return NULL;
    if (accept(P, "*")) a = bin(P, BPMN_C_ARITH, IR_OP_MUL, a, unary(P));
    else if ((!P->xpath && accept(P, "/")) || (!P->feel && accept_word(P, "div")))
      a = bin(P, BPMN_C_ARITH, IR_OP_DIV, a, unary(P));
    else if ((!P->feel && !P->xpath && accept(P, "%")) || (!P->feel && accept_word(P, "mod")))
      a = bin(P, BPMN_C_ARITH, IR_OP_MOD, a, unary(P));
    else return a;
  }
}

static BpmnCond *add(Parser *P) {
  BpmnCond *a = mul(P);
  for (;;) {
    if (!a) return NULL;
    if (accept(P, "+")) a = bin(P, BPMN_C_ARITH, IR_OP_ADD, a, mul(P));
    else if (accept(P, "-")) a = bin(P, BPMN_C_ARITH, IR_OP_SUB, a, mul(P));
    else return a;
  }
}

static BpmnCond *cmp(Parser *P) {
  BpmnCond *a = add(P);
  if (!a) return NULL;
  static const struct { const char *sym, *word; IrBinaryOp op; } ops[] = {
      {"==", "eq", IR_OP_EQ}, {"!=", "ne", IR_OP_NE}, {"<=", "le", IR_OP_LE},
      {">=", "ge", IR_OP_GE}, {"<", "lt", IR_OP_LT},  {">", "gt", IR_OP_GT},
  };
  if (P->feel || P->xpath) {
    /* FEEL and XPath: = is equality, != inequality; no == and no word operators */
    if (accept(P, "!=")) return bin(P, BPMN_C_CMP, IR_OP_NE, a, add(P));
    if (accept(P, "<=")) return bin(P, BPMN_C_CMP, IR_OP_LE, a, add(P));
    if (accept(P, ">=")) return bin(P, BPMN_C_CMP, IR_OP_GE, a, add(P));
    if (accept(P, "<")) return bin(P, BPMN_C_CMP, IR_OP_LT, a, add(P));
    if (accept(P, ">")) return bin(P, BPMN_C_CMP, IR_OP_GT, a, add(P));
    if (accept(P, "=")) return bin(P, BPMN_C_CMP, IR_OP_EQ, a, add(P));
    return a;
  }
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (accept(P, ops[i].sym) || accept_word(P, ops[i].word))
      return bin(P, BPMN_C_CMP, ops[i].op, a, add(P));
  return a;
}

static BpmnCond *and_(Parser *P) {
  BpmnCond *a = cmp(P);
  while (a && ((!P->feel && !P->xpath && accept(P, "&&")) || accept_word(P, "and")))
    a = bin(P, BPMN_C_LOGIC, IR_OP_AND, a, cmp(P));
  return a;
}

static BpmnCond *expr(Parser *P) {
  BpmnCond *a = and_(P);
  while (a && ((!P->feel && !P->xpath && accept(P, "||")) || accept_word(P, "or")))
    a = bin(P, BPMN_C_LOGIC, IR_OP_OR, a, and_(P));
  return a;
}

static bool has_word(const char *s, const char *w) {
  size_t n = strlen(w);
  for (const char *p = s; *p; p++)
    if (strncasecmp(p, w, n) == 0) return true;
  return false;
}

BpmnCond *bpmn_cond_parse(BpmnMap *mp, const char *text, const char *language, const char **why) {
  const char *lang = language && *language ? language : NULL;
  if (lang) {
    const char *name = has_word(lang, "javascript") || has_word(lang, "ecmascript") ||
                               strcasecmp(lang, "js") == 0
                           ? "JavaScript"
                       : has_word(lang, "groovy") ? "Groovy"
                       : has_word(lang, "python") ? "Python"
                       : has_word(lang, "mvel")   ? "MVEL"
                       : has_word(lang, "drools") ? "Drools"
                       : has_word(lang, "java")   ? "Java"
                       : has_word(lang, "kotlin") ? "Kotlin"
                       : has_word(lang, "ruby")   ? "Ruby"
                       : has_word(lang, "spel")   ? "SpEL"
                       : has_word(lang, "ncalc")  ? "NCalc"
                       : has_word(lang, "c#") || has_word(lang, "csharp") || has_word(lang, "ecma-334") ? "C#"
                                                  : NULL;
    if (name) {
      snprintf(mp->why, sizeof mp->why, "%s conditions are never run; the subset is JUEL `${...}` and FEEL `=...`", name);
      *why = mp->why;
      return NULL;
    }
  }
  Parser P = {mp, text, text + strlen(text), false, false, NULL, 0, {0}};
  skip(&P);
  const char *e = P.end;
  while (e > P.s && isspace((unsigned char)e[-1])) e--;
  const char *dl = mp->m->expression_language;
  if ((lang && has_word(lang, "xpath")) || (!lang && dl && has_word(dl, "xpath") && P.s < e &&
                                             P.s[0] != '=' && !(P.s[0] == '$' || P.s[0] == '#'))) {
    /* XPath, named by the flow or by the definitions' default for text that
     * is neither JUEL nor FEEL */
    P.xpath = true;
    P.end = e;
  } else if ((e - P.s) >= 3 && (P.s[0] == '$' || P.s[0] == '#') && P.s[1] == '{' && e[-1] == '}') {
    P.s += 2;
    P.end = e - 1;
  } else if (P.s < e && P.s[0] == '=') {
    P.feel = true;
    P.s++;
    P.end = e;
  } else if ((lang && has_word(lang, "feel")) || (!lang && dl && has_word(dl, "feel")) || (!lang && !dl)) {
    /* FEEL without the `=` Zeebe writes: named by the flow or by the
     * definitions' default, or when nothing names a language and the text
     * parses as FEEL (Trisotech, Yaoqiang: `Vacation Approval = "Approved"`) */
    P.feel = true;
    P.end = e;
    BpmnCond *n = expr(&P);
    skip(&P);
    if (n && P.s == P.end) return n;
    if (lang || dl) {
      snprintf(mp->why, sizeof mp->why, "FEEL: %s", P.why ? P.why : "unexpected text after the expression");
      *why = mp->why;
      return NULL;
    }
    snprintf(mp->why, sizeof mp->why, "`%.60s` is neither JUEL `${...}` nor FEEL", text);
    *why = mp->why;
    return NULL;
  } else {
    snprintf(mp->why, sizeof mp->why, "`%.60s` is neither JUEL `${...}` nor FEEL `=...`", text);
    *why = mp->why;
    return NULL;
  }
  BpmnCond *n = expr(&P);
  skip(&P);
  if (n && P.s != P.end) {
    snprintf(P.buf, sizeof P.buf, "unexpected `%.20s`", P.s);
    fail(&P, P.buf);
    n = NULL;
  }
  if (!n) {
    snprintf(mp->why, sizeof mp->why, "%s%s", P.xpath ? "XPath: " : "", P.why ? P.why : "not in the subset");
    *why = mp->why;
  }
  return n;
}

/* ---- types -------------------------------------------------------------------- */

static const char *type_word(const Type *t) {
  return t == &type_decimal ? "a number" : t == &type_string ? "a string"
       : t == &type_bool    ? "a yes/no value" : t == &type_user ? "a user"
       : t == &type_users   ? "a list of users" : t == &type_list_string ? "a list of strings"
       : t == &type_list_decimal ? "a list of numbers" : "a value";
}

bool bpmn_var_use(BpmnMap *mp, BpmnVars *vs, const char *name, const Type *t, const char *elem,
                  uint32_t line) {
  BpmnVar *v = NULL;
  for (uint32_t i = 0; i < vs->n; i++)
    if (strcmp(vs->v[i].name, name) == 0) v = &vs->v[i];
  if (!v) {
    if (vs->n == BPMN_MAX_VARS) {
      if (!vs->full)
        bpmn_error(mp->m, line, "%s: more than %u variables in one process (the importer's limit)",
                   elem, (unsigned)BPMN_MAX_VARS);
      vs->full = true; /* reported once */
      return false;
    }
    if (vs->n == vs->cap) {
      uint32_t cap = vs->cap ? vs->cap * 2 : 8;
      BpmnVar *nv = arena_alloc(&mp->m->arena, cap * sizeof *nv);
      if (vs->n) memcpy(nv, vs->v, vs->n * sizeof *nv);
      vs->v = nv;
      vs->cap = cap;
    }
    v = &vs->v[vs->n++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->slot = -1;
  }
  if (!t) return true;
  if (!v->type) {
    v->type = t;
    v->elem = elem;
    v->line = line;
    return true;
  }
  if (v->type == t) return true;
  bpmn_error(mp->m, line, "%s: variable `%s` is used as %s here and as %s by %s (line %u)", elem,
             name, type_word(t), type_word(v->type), v->elem, v->line);
  v->type = t; /* report each conflict once */
  v->elem = elem;
  v->line = line;
  return false;
}

/* The type of n, telling variables `want` when they have none yet. */
static const Type *type_of(BpmnMap *mp, BpmnVars *vs, BpmnCond *n, const Type *want,
                           const char *elem, uint32_t line, bool *ok) {
  switch (n->kind) {
  case BPMN_C_NUM: case BPMN_C_SLOT: return &type_decimal;
  case BPMN_C_STR: return &type_string;
  case BPMN_C_BOOL: return &type_bool;
  case BPMN_C_VAR: {
    if (want && !bpmn_var_use(mp, vs, n->str, want, elem, line)) *ok = false;
    if (!want) bpmn_var_use(mp, vs, n->str, NULL, elem, line);
    for (uint32_t i = 0; i < vs->n; i++)
      if (strcmp(vs->v[i].name, n->str) == 0) return vs->v[i].type;
    return NULL;
  }
  case BPMN_C_NOT: type_of(mp, vs, n->a, &type_bool, elem, line, ok); return &type_bool;
  case BPMN_C_EMPTY: type_of(mp, vs, n->a, &type_string, elem, line, ok); return &type_bool;
  case BPMN_C_LOGIC:
    type_of(mp, vs, n->a, &type_bool, elem, line, ok);
    type_of(mp, vs, n->b, &type_bool, elem, line, ok);
    return &type_bool;
  case BPMN_C_ARITH:
    type_of(mp, vs, n->a, &type_decimal, elem, line, ok);
    type_of(mp, vs, n->b, &type_decimal, elem, line, ok);
    return &type_decimal;
  case BPMN_C_IN: { /* an item in a list variable: a list of strings, unless the item is a number */
    const Type *t = type_of(mp, vs, n->a, NULL, elem, line, ok);
    if (!t && n->a->kind == BPMN_C_VAR) t = type_of(mp, vs, n->a, &type_string, elem, line, ok);
    if (t != &type_string && t != &type_decimal) {
      bpmn_error(mp->m, line, "%s: a quantifier compares the items of a list with %s (the subset has lists of strings and numbers)",
                 elem, type_word(t));
      *ok = false;
      return &type_bool;
    }
    type_of(mp, vs, n->b, t == &type_decimal ? &type_list_decimal : &type_list_string, elem, line, ok);
    return &type_bool;
  }
  case BPMN_C_CMP: {
    /* a variable takes the type of what it is compared with (a conflict
     * with its earlier uses names both elements) */
    bool va = n->a->kind == BPMN_C_VAR, vb = n->b->kind == BPMN_C_VAR;
    const Type *ta = va ? NULL : type_of(mp, vs, n->a, NULL, elem, line, ok);
    const Type *tb = vb ? NULL : type_of(mp, vs, n->b, NULL, elem, line, ok);
    if (va) ta = type_of(mp, vs, n->a, tb, elem, line, ok);
    if (vb) tb = type_of(mp, vs, n->b, ta, elem, line, ok);
    if (va && !ta && tb) ta = type_of(mp, vs, n->a, tb, elem, line, ok);
    bool order = n->op != IR_OP_EQ && n->op != IR_OP_NE;
    if (!ta && !tb) {
      const Type *t = order ? &type_decimal : &type_string;
      ta = type_of(mp, vs, n->a, t, elem, line, ok);
      tb = type_of(mp, vs, n->b, t, elem, line, ok);
    }
    if (!*ok) return &type_bool;
    if (ta && tb && ta != tb) {
      bpmn_error(mp->m, line, "%s: the condition compares %s with %s", elem, type_word(ta),
                 type_word(tb));
      *ok = false;
    }
    if (ta == &type_bool && order) {
      bpmn_error(mp->m, line, "%s: the condition orders yes/no values", elem);
      *ok = false;
    }
    return &type_bool;
  }
  }
  return NULL;
}

bool bpmn_cond_type(BpmnMap *mp, BpmnVars *vs, BpmnCond *n, const char *elem, uint32_t line) {
  bool ok = true;
  const Type *t = type_of(mp, vs, n, &type_bool, elem, line, &ok);
  if (ok && t && t != &type_bool) {
    bpmn_error(mp->m, line, "%s: the condition is %s, not a yes/no test", elem, type_word(t));
    ok = false;
  }
  return ok;
}

IrExpr *bpmn_cond_build(BpmnMap *mp, IrProc *p, const BpmnVars *vs, const BpmnCond *n) {
  IrProgram *ir = mp->ir;
  switch (n->kind) {
  case BPMN_C_NUM: return ir_expr_decimal(ir, n->num, n->scale);
  case BPMN_C_STR: return ir_expr_string(ir, ir_str(ir, n->str), n->len);
  case BPMN_C_BOOL: return ir_expr_bool(ir, n->num != 0);
  case BPMN_C_SLOT: return ir_expr_slot(ir, p, (uint16_t)n->num);
  case BPMN_C_VAR:
    for (uint32_t i = 0; i < vs->n; i++)
      if (strcmp(vs->v[i].name, n->str) == 0) return ir_expr_slot(ir, p, (uint16_t)vs->v[i].slot);
    return ir_expr_bool(ir, false); /* not reached: every variable has a slot */
  case BPMN_C_NOT:
    return ir_expr_unary(ir, &type_bool, IR_OP_NOT, bpmn_cond_build(mp, p, vs, n->a));
  case BPMN_C_EMPTY: {
    IrExpr **args = ir_exprs(ir, 1);
    args[0] = bpmn_cond_build(mp, p, vs, n->a);
    return ir_expr_binary(ir, &type_bool, IR_OP_EQ, ir_expr_call(ir, &type_int, "len", args, 1),
                          ir_expr_int(ir, 0));
  }
  case BPMN_C_LOGIC: case BPMN_C_CMP: case BPMN_C_IN:
    return ir_expr_binary(ir, &type_bool, n->op, bpmn_cond_build(mp, p, vs, n->a),
                          bpmn_cond_build(mp, p, vs, n->b));
  case BPMN_C_ARITH:
    return ir_expr_binary(ir, &type_decimal, n->op, bpmn_cond_build(mp, p, vs, n->a),
                          bpmn_cond_build(mp, p, vs, n->b));
  }
  return NULL;
}
