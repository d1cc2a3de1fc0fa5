/* bx_map.c — a Bitrix24 template's value tree mapped onto `.bp` text (bitrix.h).
 *
 * The activity tree is block-structured, as `.bp` is, so each activity
 * becomes the statements that do what Bitrix does with it (docs/bitrix.md
 * has the table). The text goes through the `.bp` parser afterwards, so the
 * syntax tree is built by the parser's own builders and checked like any
 * `.bp` file; what the checker would refuse is found there, with the line of
 * the printed text (`bpc import` shows it).
 *
 * Names: document fields, parameters, variables and constants keep their
 * Bitrix ids (`Approver`, `PROPERTY_FROM`) unless an id is not a `.bp`
 * identifier or is taken (then `_` replaces what is not allowed and a suffix
 * makes it unique). A step's result is named by its activity's Name
 * (`A58853_60082_34258_61777`); each result a template reads is copied after
 * the step into a variable (`A58853_…_LastApprover = A58853_….last`), as a
 * template reads results anywhere later and `.bp` results end with their
 * block. Each activity is preceded by a comment with its Name and Title, so a
 * Bitrix user finds it in the designer. */
#include "bitrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyword.h"

typedef enum Ty { TY_NONE, TY_STRING, TY_INT, TY_DECIMAL, TY_BOOL, TY_DATE, TY_DATETIME, TY_USER, TY_USERS } Ty;

static const char *const ty_names[] = {"?", "string", "int", "decimal", "bool", "date", "datetime", "user", "users"};

typedef enum SymClass { SC_FIELD, SC_PARAM, SC_VAR, SC_CONST } SymClass;

typedef struct Sym {
  SymClass cls;
  const char *bx; /* the Bitrix id */
  const char *bp; /* the `.bp` identifier */
  Ty ty;
  const char *label;
} Sym;

typedef enum ResKind { R_APPROVE, R_REVIEW, R_REQUEST, R_TASK, R_ACTION } ResKind;

/* A step whose results later activities read as {=NAME:Field}. */
typedef struct Res {
  const char *bx, *bp;
  ResKind kind;
  Ty ty; /* R_ACTION: the result's type */
} Res;

/* A host action declared for an activity type Bitrix has and `.bp` has not. */
typedef struct HostAction {
  const char *type, *bp;
  PtrVec keys;   /* const char *: property names */
  PtrVec params; /* const char *: their `.bp` names */
  PtrVec tys;    /* (uintptr_t)Ty */
  PtrVec uses;   /* const char *: the Names of its activities */
  Ty result;     /* TY_NONE when no template reads what it returns */
} HostAction;

/* A step's result that a later activity reads, kept in a process variable right
 * after the step: `.bp` results are visible to the end of their block only, a
 * Bitrix template reads them anywhere after the activity. */
typedef struct Copy {
  const char *name, *field, *var;
  int ty;
} Copy;

/* An expression's text and type; s NULL when it cannot be mapped (said why). */
typedef struct X {
  const char *s;
  Ty ty;
} X;

typedef struct M {
  const char *path;
  StrBuf *msgs;
  bool failed;
  Arena a;
  PtrVec syms, results, actions, names, referenced, warned, seen;
  PtrVec fields_read; /* "Name\x1fField": the results later activities read */
  PtrVec copies;      /* Copy: the variables that keep them */
  StrBuf out;      /* the body */
  StrBuf vars;     /* helper variables, declared at the top of the process */
  int ind;
  unsigned tmp;
  const char *act_name, *act_type; /* the activity being mapped, for messages */
  char where[512];                 /* its path in the tree */
  const char *author;              /* the field standing for Bitrix's "author" group */
  bool states;                     /* a state machine */
  const char *state_title;         /* the variable SetStateTitleActivity sets, once used */
  const char *modified;            /* the parameter `modified` conditions read, once used */
  const char *workflow_id, *workflow_template; /* the parameters {=Workflow:…} read, once used */
  const BxValue *finalization;     /* the StateFinalizationActivity of the state being mapped */
  bool in_finalization;            /* mapping it, before a goto */
  bool next_var;                   /* this handler's SetStateActivity set bx_next (see handler()) */
  const char *next;                /* the variable bx_next, once declared */
  unsigned depth;
} M;

/* ---- messages ------------------------------------------------------------------ */

static void vmsg(M *m, const char *level, const char *fmt, va_list ap) {
  sb_printf(m->msgs, "%s: %s: ", m->path, level);
  if (m->act_name) sb_printf(m->msgs, "activity %s (%s) at %s: ", m->act_name, m->act_type, m->where);
  sb_vprintf(m->msgs, fmt, ap);
  sb_putc(m->msgs, '\n');
}

static X fail(M *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static X fail(M *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg(m, "error", fmt, ap);
  va_end(ap);
  m->failed = true;
  return (X){NULL, TY_NONE};
}

static void warn(M *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(M *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg(m, "warning", fmt, ap);
  va_end(ap);
}

/* Once per key (an activity type, a kind of note). */
static bool first_time(M *m, const char *key) {
  for (uint32_t i = 0; i < m->warned.n; i++)
    if (str_eq(m->warned.items[i], key)) return false;
  ptrvec_push(&m->a, &m->warned, arena_strdup(&m->a, key));
  return true;
}

/* ---- the value tree ---------------------------------------------------------------- */

static const char *str_of(const BxValue *v) { return v && v->kind == BX_STRING ? v->u.s.text : NULL; }

/* A scalar as text ("" for null, "1"/"0" for bools), NULL for an array. */
static const char *scalar_text(M *m, const BxValue *v) {
  if (!v || v->kind == BX_NULL) return "";
  switch (v->kind) {
  case BX_STRING: return v->u.s.text;
  case BX_FLOAT: return v->u.s.text;
  case BX_BOOL: return v->u.b ? "1" : "0";
  case BX_INT: return arena_printf(&m->a, "%lld", (long long)v->u.i);
  default: return NULL;
  }
}

static const char *prop_text(M *m, const BxValue *props, const char *key) {
  const char *s = scalar_text(m, bx_get(props, key));
  return s ? s : "";
}

static bool truthy(const BxValue *v) {
  if (!v) return false;
  if (v->kind == BX_BOOL) return v->u.b;
  if (v->kind == BX_INT) return v->u.i != 0;
  const char *s = str_of(v);
  return s && (str_eq(s, "1") || str_eq(s, "Y") || str_eq(s, "y") || str_eq(s, "true"));
}

/* ---- names ------------------------------------------------------------------------- */


static bool name_taken(M *m, const char *s) {
  for (uint32_t i = 0; i < m->names.n; i++)
    if (str_eq(m->names.items[i], s)) return true;
  return false;
}

/* A `.bp` identifier for a Bitrix id, unique in the process: letters (ASCII,
 * Cyrillic), digits and `_` kept, anything else `_`; a reserved word or a
 * taken name gets a suffix. */
static const char *ident(M *m, const char *raw) {
  StrBuf b;
  sb_init(&b);
  const unsigned char *s = (const unsigned char *)raw;
  size_t n = strlen(raw);
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9')) {
      if (b.len == 0 && c >= '0' && c <= '9') sb_putc(&b, '_');
      sb_putc(&b, (char)c);
      i++;
      continue;
    }
    size_t k = utf8_seq_len(s + i, n - i);
    if (k == 2 && (c == 0xd0 || c == 0xd1)) { /* Cyrillic U+0400..U+047F */
      sb_putn(&b, raw + i, 2);
    } else if (b.len == 0 || b.data[b.len - 1] != '_') {
      sb_putc(&b, '_');
    }
    i += k ? k : 1;
  }
  if (b.len == 0) sb_puts(&b, "x");
  if (bp_reserved_word(b.data)) sb_putc(&b, '_');
  char *base = sb_take(&b);
  const char *name = base;
  for (unsigned k = 2; name_taken(m, name); k++) name = arena_printf(&m->a, "%s_%u", base, k);
  name = arena_strdup(&m->a, name);
  free(base);
  ptrvec_push(&m->a, &m->names, (void *)name);
  return name;
}

static Sym *find_sym(M *m, SymClass cls, const char *bx) {
  for (uint32_t i = 0; i < m->syms.n; i++) {
    Sym *s = m->syms.items[i];
    if (s->cls == cls && str_eq(s->bx, bx)) return s;
  }
  return NULL;
}

/* A symbol named after `as` (its Bitrix id is bx). */
static Sym *add_sym_as(M *m, SymClass cls, const char *bx, const char *as, Ty ty, const char *label) {
  Sym *s = arena_alloc(&m->a, sizeof *s);
  s->cls = cls;
  s->bx = arena_strdup(&m->a, bx);
  s->bp = ident(m, as);
  s->ty = ty;
  s->label = label;
  ptrvec_push(&m->a, &m->syms, s);
  return s;
}

static Sym *add_sym(M *m, SymClass cls, const char *bx, Ty ty, const char *label) {
  Sym *s = arena_alloc(&m->a, sizeof *s);
  s->cls = cls;
  s->bx = arena_strdup(&m->a, bx);
  s->bp = ident(m, bx);
  s->ty = ty;
  s->label = label;
  ptrvec_push(&m->a, &m->syms, s);
  return s;
}

static Res *find_res(M *m, const char *bx) {
  for (uint32_t i = 0; i < m->results.n; i++) {
    Res *r = m->results.items[i];
    if (str_eq(r->bx, bx)) return r;
  }
  return NULL;
}

static bool is_referenced(M *m, const char *name) {
  for (uint32_t i = 0; i < m->referenced.n; i++)
    if (str_eq(m->referenced.items[i], name)) return true;
  return false;
}

/* ---- types ------------------------------------------------------------------------- */

/* Bitrix's field type (BaseType first: "email" is a string) as a `.bp` type. */
static Ty map_type(M *m, const BxValue *decl, const char *what) {
  const char *t = str_of(bx_get(decl, "BaseType"));
  if (!t || !*t) t = str_of(bx_get(decl, "Type"));
  if (!t) t = "string";
  bool multiple = truthy(bx_get(decl, "Multiple"));
  Ty ty = TY_STRING;
  if (str_eq(t, "int")) ty = TY_INT;
  else if (str_eq(t, "double")) ty = TY_DECIMAL;
  else if (str_eq(t, "bool")) ty = TY_BOOL;
  else if (str_eq(t, "date") || str_eq(t, "S:Date")) ty = TY_DATE;
  else if (str_eq(t, "datetime") || str_eq(t, "time") || str_eq(t, "S:DateTime")) ty = TY_DATETIME;
  else if (str_eq(t, "user") || str_eq(t, "S:employee")) ty = multiple ? TY_USERS : TY_USER;
  if (multiple && ty != TY_USERS)
    warn(m, "%s is a multiple %s: `.bp` declares one value of it (a list of users is the only list type)",
         what, t);
  return ty;
}

/* The type of a document field Bitrix has on every list element, when a
 * template uses it without declaring it. */
static Ty standard_field_type(const char *f) {
  if (str_eq(f, "CREATED_BY") || str_eq(f, "MODIFIED_BY") || str_eq(f, "ASSIGNED_BY_ID") ||
      str_eq(f, "RESPONSIBLE_ID"))
    return TY_USER;
  if (str_eq(f, "DATE_CREATE") || str_eq(f, "TIMESTAMP_X") || str_eq(f, "DATE_MODIFY")) return TY_DATETIME;
  if (str_eq(f, "ID") || str_eq(f, "IBLOCK_ID")) return TY_INT;
  return TY_STRING;
}

/* ---- text ---------------------------------------------------------------------------- */

/* Text as the inside of a `.bp` string literal: quotes, backslashes and braces
 * escaped, line ends as \n; other control characters become blanks. */
static void put_text(StrBuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    switch (c) {
    case '"': sb_puts(b, "\\\""); break;
    case '\\': sb_puts(b, "\\\\"); break;
    case '{': sb_puts(b, "\\{"); break;
    case '}': sb_puts(b, "\\}"); break;
    case '\n': sb_puts(b, "\\n"); break;
    case '\r': sb_puts(b, "\\r"); break;
    case '\t': sb_puts(b, "\\t"); break;
    default: sb_putc(b, (unsigned char)c < 0x20 ? ' ' : c);
    }
  }
}

static const char *quote(M *m, const char *s) {
  StrBuf b;
  sb_init(&b);
  sb_putc(&b, '"');
  put_text(&b, s, strlen(s));
  sb_putc(&b, '"');
  char *t = sb_take(&b);
  const char *r = arena_strdup(&m->a, t);
  free(t);
  return r;
}

/* One line of a comment: line ends become blanks. */
static const char *comment_text(M *m, const char *s) {
  char *c = arena_strdup(&m->a, s);
  for (char *p = c; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
  return c;
}

/* ---- references {=Object:Field} ------------------------------------------------------ */

static bool strip_suffix(char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  if (n > k && strcmp(s + n - k, suffix) == 0) {
    s[n - k] = '\0';
    return true;
  }
  return false;
}

static X ref_result(M *m, Res *r, const char *field) {
  const char *b = r->bp;
  Arena *a = &m->a;
  if (r->kind == R_ACTION) return (X){b, r->ty};
  if (str_eq(field, "IsTimeout")) return (X){arena_printf(a, "%s.timed_out", b), TY_BOOL};
  if (r->kind == R_APPROVE) {
    if (str_eq(field, "LastApprover")) return (X){arena_printf(a, "%s.last", b), TY_USER};
    if (str_eq(field, "LastApproverComment")) return (X){arena_printf(a, "%s.comment", b), TY_STRING};
    if (str_eq(field, "Comments")) return (X){arena_printf(a, "join(%s.comments, \"\\n\")", b), TY_STRING};
    if (str_eq(field, "ApprovedPercent")) return (X){arena_printf(a, "%s.percent", b), TY_INT};
    if (str_eq(field, "ApprovedCount")) return (X){arena_printf(a, "%s.approvals", b), TY_INT};
    if (str_eq(field, "NotApprovedCount")) return (X){arena_printf(a, "%s.rejections", b), TY_INT};
    if (str_eq(field, "TotalCount")) return (X){arena_printf(a, "%s.total", b), TY_INT};
    if (str_eq(field, "VotedCount")) return (X){arena_printf(a, "(%s.approvals + %s.rejections)", b, b), TY_INT};
    if (str_eq(field, "VotedPercent"))
      return (X){arena_printf(a, "((%s.approvals + %s.rejections) * 100 / %s.total)", b, b, b), TY_INT};
  } else if (r->kind == R_REVIEW) {
    if (str_eq(field, "Comments")) return (X){arena_printf(a, "join(%s.notes, \"\\n\")", b), TY_STRING};
    if (str_eq(field, "ReviewedCount")) return (X){arena_printf(a, "%s.count", b), TY_INT};
  } else if (r->kind == R_REQUEST || r->kind == R_TASK) {
    if (str_eq(field, "InfoUser") || str_eq(field, "ClosedBy")) return (X){arena_printf(a, "%s.completed_by", b), TY_USER};
    if (r->kind == R_TASK && str_eq(field, "Comment")) return (X){arena_printf(a, "%s.comment", b), TY_STRING};
  }
  return fail(m, "the result %s of activity %s is not kept by the matching `.bp` step", field, r->bx);
}

static Sym *doc_field(M *m, const char *f) {
  Sym *s = find_sym(m, SC_FIELD, f);
  if (!s) {
    s = add_sym(m, SC_FIELD, f, standard_field_type(f), NULL);
    if (first_time(m, arena_printf(&m->a, "field %s", f)))
      sb_printf(m->msgs, "%s: warning: the document field %s is used but not declared: declared as %s\n",
                m->path, f, ty_names[s->ty]);
  }
  return s;
}

/* {=Workflow:F}: Bitrix gives the template's id for TemplateId and the workflow's
 * instance id for any other field (ActivityRuntimePropertyGetter). Neither is known
 * to the template: each is a start parameter, which the host gives. */
static X workflow_field(M *m, const char *field) {
  static const char want[] = "templateid"; /* Bitrix compares mb_strtolower($field) */
  bool tpl = strlen(field) == sizeof want - 1;
  for (size_t i = 0; tpl && field[i]; i++)
    tpl = (field[i] >= 'A' && field[i] <= 'Z' ? field[i] - 'A' + 'a' : field[i]) == want[i];
  const char **slot = tpl ? &m->workflow_template : &m->workflow_id;
  if (!*slot) {
    *slot = ident(m, tpl ? "WorkflowTemplateId" : "WorkflowId");
    sb_printf(&m->vars, "  param %s: %s \"%s\"\n", *slot, tpl ? "int" : "string",
              tpl ? "Workflow template id" : "Workflow id");
    warn(m, "`{=Workflow:%s}` reads the start parameter %s (Bitrix's %s): the host gives it", field, *slot,
         tpl ? "template id" : "workflow instance id");
  }
  return (X){*slot, tpl ? TY_INT : TY_STRING};
}

/* {=Object:Field[ > modifier]} given its inside (after `{=`, before `}`). */
static X ref_expr_as(M *m, const char *inside, bool in_text);
static X ref_expr(M *m, const char *inside) { return ref_expr_as(m, inside, false); }

/* in_text: inside a string, where every value is printed anyway. */
static X ref_expr_as(M *m, const char *inside, bool in_text) {
  char *in = arena_strdup(&m->a, inside);
  char *colon = strchr(in, ':');
  if (!colon) return fail(m, "`{=%s}` names no field (Object:Field expected)", inside);
  *colon = '\0';
  char *obj = in, *field = colon + 1, *mod = strchr(field, '>');
  if (mod) *mod++ = '\0';
  while (*obj == ' ') obj++;
  while (*field == ' ') field++;
  for (char *e = field + strlen(field); e > field && e[-1] == ' ';) *--e = '\0';
  for (char *e = obj + strlen(obj); e > obj && e[-1] == ' ';) *--e = '\0';
  bool printable = mod != NULL;
  if (strip_suffix(field, "_printable") || strip_suffix(field, "_PRINTABLE")) printable = true;
  X x = {NULL, TY_NONE};
  Sym *s = NULL;
  if (str_eq(obj, "Document")) s = doc_field(m, field);
  else if (str_eq(obj, "Template")) s = find_sym(m, SC_PARAM, field);
  else if (str_eq(obj, "Variable")) s = find_sym(m, SC_VAR, field);
  else if (str_eq(obj, "Constant")) s = find_sym(m, SC_CONST, field);
  else if (str_eq(obj, "System")) {
    if (str_eq(field, "Now") || str_eq(field, "NowLocal")) x = (X){"now()", TY_DATETIME};
    else if (str_eq(field, "Date")) x = (X){"today()", TY_DATE};
    else if (str_eq(field, "Eol")) x = (X){"\"\\n\"", TY_STRING}; /* PHP_EOL */
    else return fail(m, "`{=System:%s}` is not known (Now, NowLocal, Date and Eol are)", field);
  } else if (str_eq(obj, "Workflow")) {
    x = workflow_field(m, field);
  } else if (str_eq(obj, "User")) {
    return fail(m, "`{=User:%s}`: Bitrix's User object is the user the running request acts for, "
                   "which `.bp` does not keep", field);
  } else {
    Res *r = find_res(m, obj);
    if (!r) return fail(m, "`{=%s:%s}` reads the results of %s, which is not a step before this one", obj, field, obj);
    for (uint32_t i = 0; i < m->copies.n && !x.s; i++) {
      const Copy *c = m->copies.items[i];
      if (str_eq(c->name, obj) && str_eq(c->field, field)) x = (X){c->var, (Ty)c->ty};
    }
    if (!x.s) x = ref_result(m, r, field);
  }
  if (!x.s && !s) {
    if (m->failed && str_eq(obj, "System")) return x;
    if (!s && !x.s && (str_eq(obj, "Template") || str_eq(obj, "Variable") || str_eq(obj, "Constant")))
      return fail(m, "`{=%s:%s}`: no %s named %s is declared", obj, field,
                  str_eq(obj, "Template") ? "parameter" : str_eq(obj, "Variable") ? "variable" : "constant", field);
    return x;
  }
  if (s) x = (X){s->bp, s->ty};
  if (printable && !in_text && x.ty != TY_STRING) x = (X){arena_printf(&m->a, "\"{%s}\"", x.s), TY_STRING};
  return x;
}

/* ---- calculations ------------------------------------------------------------------------ */

/* A Bitrix calculation (`=…`, `{{=…}}`) in the subset docs/bitrix.md lists:
 * numbers, "text", {=…}, true/false, ( ), + - * / on numbers, & joining text,
 * = <> < > <= >=, and the functions if, and, or, not, min, max, round, substr,
 * strlen, strtolower, strtoupper, trim, dateadd(date, "±N d|h|m|w"). Anything
 * else refuses the whole formula, naming it. */
typedef struct Calc {
  M *m;
  const char *s, *whole;
  size_t pos;
  bool bad;
} Calc;

static X calc_expr(Calc *c);

static X calc_fail(Calc *c, const char *why) {
  if (!c->bad) fail(c->m, "the calculation `%s` is not in the subset of formulas bpc maps (docs/bitrix.md): %s", c->whole, why);
  c->bad = true;
  return (X){NULL, TY_NONE};
}

static void calc_blank(Calc *c) {
  while (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' || c->s[c->pos] == '\n' || c->s[c->pos] == '\r') c->pos++;
}

static bool calc_eat(Calc *c, const char *tok) {
  calc_blank(c);
  size_t n = strlen(tok);
  if (strncmp(c->s + c->pos, tok, n) != 0) return false;
  c->pos += n;
  return true;
}

static bool numeric(Ty t) { return t == TY_INT || t == TY_DECIMAL; }

static X calc_args(Calc *c, const char *fn, X *args, int max, int *n) {
  *n = 0;
  if (!calc_eat(c, "(")) return calc_fail(c, "( expected after a function name");
  if (calc_eat(c, ")")) return (X){"", TY_NONE};
  do {
    if (*n == max) return calc_fail(c, arena_printf(&c->m->a, "too many arguments to %s", fn));
    args[(*n)++] = calc_expr(c);
    if (c->bad) return (X){NULL, TY_NONE};
  } while (calc_eat(c, ","));
  if (!calc_eat(c, ")")) return calc_fail(c, ") expected");
  return (X){"", TY_NONE};
}

/* "±N unit…" as a `.bp` duration; NULL if it is not one. */
static const char *calc_interval(M *m, const char *lit, bool *negative) {
  const char *p = lit;
  *negative = *p == '-';
  if (*p == '-' || *p == '+') p++;
  StrBuf b;
  sb_init(&b);
  while (*p) {
    const char *d = p;
    while (*p >= '0' && *p <= '9') p++;
    if (p == d || p - d > 6 || !strchr("wdhm", *p) || !*p) {
      sb_free(&b);
      return NULL;
    }
    sb_putn(&b, d, (size_t)(p - d) + 1);
    p++;
    while (*p == ' ') p++;
  }
  const char *r = b.len ? arena_strdup(&m->a, b.data) : NULL;
  sb_free(&b);
  return r;
}

static X calc_call(Calc *c, const char *fn) {
  X a[3];
  int n;
  Arena *ar = &c->m->a;
  calc_args(c, fn, a, 3, &n);
  if (c->bad) return (X){NULL, TY_NONE};
  if (str_eq(fn, "if") && n == 3 && a[0].ty == TY_BOOL) {
    Ty t = a[1].ty == a[2].ty ? a[1].ty : numeric(a[1].ty) && numeric(a[2].ty) ? TY_DECIMAL : TY_NONE;
    if (t == TY_NONE) return calc_fail(c, "if() with values of two types");
    return (X){arena_printf(ar, "(%s ? %s : %s)", a[0].s, a[1].s, a[2].s), t};
  }
  if ((str_eq(fn, "and") || str_eq(fn, "or")) && n >= 2 && a[0].ty == TY_BOOL && a[1].ty == TY_BOOL &&
      (n < 3 || a[2].ty == TY_BOOL)) {
    const char *r = arena_printf(ar, "(%s %s %s)", a[0].s, fn, a[1].s);
    if (n == 3) r = arena_printf(ar, "(%s %s %s)", r, fn, a[2].s);
    return (X){r, TY_BOOL};
  }
  if (str_eq(fn, "not") && n == 1 && a[0].ty == TY_BOOL) return (X){arena_printf(ar, "(not %s)", a[0].s), TY_BOOL};
  if ((str_eq(fn, "min") || str_eq(fn, "max")) && n == 2 && numeric(a[0].ty) && numeric(a[1].ty))
    return (X){arena_printf(ar, "%s(%s, %s)", fn, a[0].s, a[1].s), a[0].ty == a[1].ty ? a[0].ty : TY_DECIMAL};
  if (str_eq(fn, "round") && (n == 1 || n == 2) && numeric(a[0].ty) && (n == 1 || a[1].ty == TY_INT))
    return (X){arena_printf(ar, "round(%s, %s)", a[0].s, n == 2 ? a[1].s : "0"), TY_DECIMAL};
  if (str_eq(fn, "strlen") && n == 1 && a[0].ty == TY_STRING) return (X){arena_printf(ar, "len(%s)", a[0].s), TY_INT};
  if ((str_eq(fn, "strtolower") || str_eq(fn, "strtoupper") || str_eq(fn, "trim")) && n == 1 && a[0].ty == TY_STRING)
    return (X){arena_printf(ar, "%s(%s)", str_eq(fn, "trim") ? "trim" : fn[3] == 'l' ? "lower" : "upper", a[0].s), TY_STRING};
  if (str_eq(fn, "substr") && n == 3 && a[0].ty == TY_STRING && a[1].ty == TY_INT && a[2].ty == TY_INT)
    return (X){arena_printf(ar, "substr(%s, %s, %s)", a[0].s, a[1].s, a[2].s), TY_STRING};
  if (str_eq(fn, "dateadd") && n == 2 && (a[0].ty == TY_DATE || a[0].ty == TY_DATETIME) && a[1].ty == TY_STRING &&
      a[1].s[0] == '"') {
    bool neg;
    const char *lit = arena_strndup(ar, a[1].s + 1, strlen(a[1].s) - 2);
    const char *d = calc_interval(c->m, lit, &neg);
    if (!d) return calc_fail(c, "dateadd's interval is not like \"-5d\" or \"2h30m\"");
    return (X){arena_printf(ar, "(%s %s %s)", a[0].s, neg ? "-" : "+", d), a[0].ty};
  }
  return calc_fail(c, arena_printf(ar, "%s() with these arguments", fn));
}

static X calc_primary(Calc *c) {
  calc_blank(c);
  const char *p = c->s + c->pos;
  Arena *ar = &c->m->a;
  if (*p == '(') {
    c->pos++;
    X x = calc_expr(c);
    if (!c->bad && !calc_eat(c, ")")) return calc_fail(c, ") expected");
    return (X){x.s ? arena_printf(ar, "(%s)", x.s) : NULL, x.ty};
  }
  if (*p == '-') {
    c->pos++;
    X x = calc_primary(c);
    if (!c->bad && !numeric(x.ty)) return calc_fail(c, "- of something that is not a number");
    return (X){x.s ? arena_printf(ar, "-%s", x.s) : NULL, x.ty};
  }
  if (*p == '"') {
    const char *end = strchr(p + 1, '"');
    if (!end) return calc_fail(c, "a text without its closing quote");
    c->pos += (size_t)(end - p) + 1;
    return (X){quote(c->m, arena_strndup(ar, p + 1, (size_t)(end - p - 1))), TY_STRING};
  }
  if (p[0] == '{' && p[1] == '=') {
    const char *end = strchr(p, '}');
    if (!end) return calc_fail(c, "a {= without its }");
    c->pos += (size_t)(end - p) + 1;
    X x = ref_expr(c->m, arena_strndup(ar, p + 2, (size_t)(end - p - 2)));
    if (!x.s) c->bad = true;
    return x;
  }
  if (*p >= '0' && *p <= '9') {
    size_t n = 0;
    bool dot = false;
    while ((p[n] >= '0' && p[n] <= '9') || (p[n] == '.' && !dot && (dot = true))) n++;
    c->pos += n;
    if (n > 18) return calc_fail(c, "a number too long");
    /* `10.` is a decimal to PHP; .bp writes it `10.0` */
    if (p[n - 1] == '.') return (X){arena_printf(ar, "%.*s0", (int)n, p), TY_DECIMAL};
    return (X){arena_strndup(ar, p, n), dot ? TY_DECIMAL : TY_INT};
  }
  size_t n = 0;
  while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_') n++;
  if (n == 0) return calc_fail(c, arena_printf(ar, "`%.1s` where a value was expected", p));
  char *word = arena_strndup(ar, p, n);
  for (char *w = word; *w; w++)
    if (*w >= 'A' && *w <= 'Z') *w = (char)(*w - 'A' + 'a');
  c->pos += n;
  if (str_eq(word, "true") || str_eq(word, "false")) return (X){word, TY_BOOL};
  return calc_call(c, word);
}

static X calc_product(Calc *c) {
  X l = calc_primary(c);
  for (;;) {
    if (c->bad) return (X){NULL, TY_NONE};
    const char *op = calc_eat(c, "*") ? "*" : calc_eat(c, "/") ? "/" : NULL;
    if (!op) {
      if (calc_eat(c, "^") || calc_eat(c, "%")) return calc_fail(c, "^ and % have no `.bp` counterpart");
      return l;
    }
    X r = calc_primary(c);
    if (c->bad) return r;
    if (!numeric(l.ty) || !numeric(r.ty)) return calc_fail(c, "* or / of something that is not a number");
    Ty t = str_eq(op, "/") || l.ty != r.ty ? TY_DECIMAL : l.ty;
    l = (X){arena_printf(&c->m->a, "%s %s %s", l.s, op, str_eq(op, "/") && t == TY_DECIMAL && l.ty == TY_INT && r.ty == TY_INT ? arena_printf(&c->m->a, "(%s * 1.0)", r.s) : r.s), t};
  }
}

static X calc_sum(Calc *c) {
  X l = calc_product(c);
  for (;;) {
    if (c->bad) return (X){NULL, TY_NONE};
    const char *op = calc_eat(c, "+") ? "+" : calc_eat(c, "-") ? "-" : calc_eat(c, "&") ? "&" : NULL;
    if (!op) return l;
    X r = calc_product(c);
    if (c->bad) return r;
    if (op[0] == '&') {
      l = (X){arena_printf(&c->m->a, "\"{%s}{%s}\"", l.s, r.s), TY_STRING};
    } else if (numeric(l.ty) && numeric(r.ty)) {
      l = (X){arena_printf(&c->m->a, "%s %s %s", l.s, op, r.s), l.ty == r.ty ? l.ty : TY_DECIMAL};
    } else {
      return calc_fail(c, "+ or - of something that is not a number (dates: dateadd)");
    }
  }
}

static X calc_expr(Calc *c) {
  X l = calc_sum(c);
  if (c->bad) return l;
  static const char *const ops[][2] = {{"<>", "!="}, {"<=", "<="}, {">=", ">="}, {"=", "=="}, {"<", "<"}, {">", ">"}};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
    if (calc_eat(c, ops[i][0])) {
      X r = calc_sum(c);
      if (c->bad) return r;
      if (!(l.ty == r.ty || (numeric(l.ty) && numeric(r.ty))) || (i > 0 && i != 3 && (l.ty == TY_BOOL || l.ty == TY_USERS)))
        return calc_fail(c, "a comparison of values of two types");
      return (X){arena_printf(&c->m->a, "(%s %s %s)", l.s, ops[i][1], r.s), TY_BOOL};
    }
  return l;
}

/* The formula text (after `=`, or inside {{= }}) as an expression. */
static X calculation(M *m, const char *formula, const char *whole) {
  Calc c = {m, formula, whole, 0, false};
  X x = calc_expr(&c);
  calc_blank(&c);
  if (!c.bad && c.s[c.pos]) return calc_fail(&c, arena_printf(&m->a, "`%s` left over", c.s + c.pos));
  return c.bad ? (X){NULL, TY_NONE} : x;
}

/* Is s exactly one {=…} (blanks around allowed)? Its inside, or NULL. */
static const char *single_ref(M *m, const char *s) {
  while (*s == ' ' || *s == '\n') s++;
  if (strncmp(s, "{=", 2) != 0) return NULL;
  const char *end = strchr(s, '}');
  if (!end) return NULL;
  for (const char *p = end + 1; *p; p++)
    if (*p != ' ' && *p != '\n' && *p != '\r') return NULL;
  return arena_strndup(&m->a, s + 2, (size_t)(end - s - 2));
}

/* Text with {=…} substitutions as a `.bp` string literal with interpolations. */
static X text_expr(M *m, const char *s) {
  StrBuf b;
  sb_init(&b);
  sb_putc(&b, '"');
  const char *p = s;
  bool ok = true;
  for (;;) {
    const char *open = strstr(p, "{=");
    const char *formula = strstr(p, "{{=");
    if (formula && (!open || formula < open)) {
      const char *end = strstr(formula, "}}");
      if (!end) {
        put_text(&b, p, strlen(p));
        break;
      }
      put_text(&b, p, (size_t)(formula - p));
      const char *whole = arena_strndup(&m->a, formula, (size_t)(end - formula + 2));
      X x = calculation(m, arena_strndup(&m->a, formula + 3, (size_t)(end - formula - 3)), whole);
      if (!x.s) {
        ok = false;
        break;
      }
      sb_printf(&b, "{%s}", x.s);
      p = end + 2;
      continue;
    }
    if (!open) {
      put_text(&b, p, strlen(p));
      break;
    }
    const char *end = strchr(open, '}');
    if (!end) {
      put_text(&b, p, strlen(p));
      break;
    }
    put_text(&b, p, (size_t)(open - p));
    X x = ref_expr_as(m, arena_strndup(&m->a, open + 2, (size_t)(end - open - 2)), true);
    if (!x.s) {
      ok = false;
      break;
    }
    sb_printf(&b, "{%s}", x.s);
    p = end + 1;
  }
  sb_putc(&b, '"');
  char *t = sb_take(&b);
  X r = {ok ? arena_strdup(&m->a, t) : NULL, TY_STRING};
  free(t);
  return r;
}

/* ---- values --------------------------------------------------------------------------- */

static bool is_user_code(const char *s) {
  return strncmp(s, "user_", 5) == 0 || strncmp(s, "group_", 6) == 0 || str_eq(s, "author") ||
         str_eq(s, "Author") || str_eq(s, "responsible") || str_eq(s, "boss");
}

/* A user written as a Bitrix code: `author` is the document's author (a field
 * the host fills); user_N and group codes are roles the host resolves. */
static X user_code(M *m, const char *s, Ty want) {
  if (str_eq(s, "author") || str_eq(s, "Author")) {
    if (!m->author) m->author = add_sym_as(m, SC_FIELD, "\x01author", "author", TY_USER, NULL)->bp;
    return (X){m->author, TY_USER};
  }
  if (want == TY_USER)
    return fail(m, "the user `%s` where one user is expected: `.bp` names people through the host (role(\"%s\") is a list)", s, s);
  return (X){arena_printf(&m->a, "role(%s)", quote(m, s)), TY_USERS};
}

static bool digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return n > 0;
}

/* 2026-03-05 or 05.03.2026 (Bitrix's Russian format) as YYYY-MM-DD; NULL if neither. */
static const char *date_part(M *m, const char *s, const char **rest) {
  if (strlen(s) >= 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' && digits(s + 8, 2)) {
    *rest = s + 10;
    return arena_strndup(&m->a, s, 10);
  }
  if (strlen(s) >= 10 && digits(s, 2) && s[2] == '.' && digits(s + 3, 2) && s[5] == '.' && digits(s + 6, 4)) {
    *rest = s + 10;
    return arena_printf(&m->a, "%.4s-%.2s-%.2s", s + 6, s + 3, s);
  }
  return NULL;
}

/* A literal of the wanted type, from Bitrix's text of it. */
static X literal(M *m, const char *s, Ty want) {
  const char *rest;
  switch (want) {
  case TY_STRING: return (X){quote(m, s), TY_STRING};
  case TY_INT:
    if (!*s) return (X){"0", TY_INT};
    if (digits(s + (*s == '-'), strlen(s) - (*s == '-')) && strlen(s) < 19) return (X){arena_strdup(&m->a, s), TY_INT};
    return fail(m, "`%s` is not a whole number", s);
  case TY_DECIMAL: {
    if (!*s) return (X){"0", TY_DECIMAL};
    const char *p = s + (*s == '-');
    const char *dot = strchr(p, '.');
    size_t whole = dot ? (size_t)(dot - p) : strlen(p);
    if (digits(p, whole) && whole < 16 && (!dot || (digits(dot + 1, strlen(dot + 1)) && strlen(dot + 1) < 10)))
      return (X){arena_strdup(&m->a, s), TY_DECIMAL};
    return fail(m, "`%s` is not a number", s);
  }
  case TY_BOOL:
    if (!*s || str_eq(s, "N") || str_eq(s, "0") || str_eq(s, "false")) return (X){"false", TY_BOOL};
    if (str_eq(s, "Y") || str_eq(s, "1") || str_eq(s, "true")) return (X){"true", TY_BOOL};
    return fail(m, "`%s` is not a yes/no value (Y, N, 1, 0)", s);
  case TY_DATE: {
    const char *d = date_part(m, s, &rest);
    if (d && !*rest) return (X){arena_printf(&m->a, "date(\"%s\")", d), TY_DATE};
    return fail(m, "`%s` is not a date (YYYY-MM-DD or DD.MM.YYYY)", s);
  }
  case TY_DATETIME: {
    const char *d = date_part(m, s, &rest);
    if (d && (*rest == ' ' || *rest == 'T') && digits(rest + 1, 2) && rest[3] == ':' && digits(rest + 4, 2) &&
        (rest[6] == '\0' || (rest[6] == ':' && digits(rest + 7, 2) && rest[9] == '\0')))
      return (X){arena_printf(&m->a, "datetime(\"%sT%.5s\")", d, rest + 1), TY_DATETIME};
    if (d && !*rest) return (X){arena_printf(&m->a, "datetime(\"%sT00:00\")", d), TY_DATETIME};
    return fail(m, "`%s` is not a date and time", s);
  }
  case TY_USER:
  case TY_USERS:
    if (!*s && want == TY_USERS) return (X){"[]", TY_USERS};
    if (is_user_code(s)) return user_code(m, s, want);
    return fail(m, "`%s` is not a user (user_N, group_…, author or {=…})", s);
  default: return fail(m, "no type to read `%s` as", s);
  }
}

/* x converted to the wanted type where `.bp` converts (int to decimal, user
 * to users, anything into text); otherwise refused. */
static X convert(M *m, X x, Ty want, const char *what) {
  if (!x.s || want == TY_NONE || x.ty == want) return x;
  if (want == TY_STRING) return (X){arena_printf(&m->a, "\"{%s}\"", x.s), TY_STRING};
  if (want == TY_DECIMAL && x.ty == TY_INT) return (X){x.s, TY_DECIMAL};
  if (want == TY_USERS && x.ty == TY_USER) return (X){x.s, TY_USERS};
  return fail(m, "%s is %s where %s is expected", what, ty_names[x.ty], ty_names[want]);
}

static X value(M *m, const BxValue *v, Ty want, const char *what);

static X list_value(M *m, const BxValue *v, Ty want, const char *what) {
  uint32_t n = v->u.a.n;
  if (n == 0) return want == TY_USERS ? (X){"[]", TY_USERS} : literal(m, "", want);
  if (n == 1) return value(m, v->u.a.vals[0], want, what);
  StrBuf b;
  sb_init(&b);
  X r = {NULL, want};
  bool codes = true; /* user_1, group_2, …: one role naming them all */
  for (uint32_t i = 0; i < n; i++) {
    const char *e = str_of(v->u.a.vals[i]);
    codes = codes && e && is_user_code(e) && !str_eq(e, "author") && !str_eq(e, "Author");
  }
  if (want == TY_USERS && codes) {
    sb_puts(&b, "role(\"");
    for (uint32_t i = 0; i < n; i++) {
      if (i) sb_puts(&b, ", ");
      put_text(&b, str_of(v->u.a.vals[i]), v->u.a.vals[i]->u.s.len);
    }
    sb_puts(&b, "\")");
  } else if (want == TY_USERS) { /* every element one user: [a, b] */
    sb_putc(&b, '[');
    for (uint32_t i = 0; i < n; i++) {
      X e = value(m, v->u.a.vals[i], TY_USER, what);
      if (!e.s) goto done;
      sb_printf(&b, "%s%s", i ? ", " : "", e.s);
    }
    sb_putc(&b, ']');
  } else if (want == TY_STRING) { /* the elements as text, as Bitrix prints a list */
    sb_putc(&b, '"');
    for (uint32_t i = 0; i < n; i++) {
      X e = value(m, v->u.a.vals[i], TY_STRING, what);
      if (!e.s) goto done;
      sb_printf(&b, "%s{%s}", i ? ", " : "", e.s);
    }
    sb_putc(&b, '"');
  } else {
    fail(m, "%s holds %u values where one %s is expected", what, n, ty_names[want]);
    goto done;
  }
  r.s = arena_strdup(&m->a, b.data);
done:
  sb_free(&b);
  return r;
}

/* A property's value as an expression of the wanted type: one {=…} keeps
 * its type; text with {=…} inside is substituted; a leading `=` is a
 * calculation; anything else a literal. */
static X value(M *m, const BxValue *v, Ty want, const char *what) {
  if (v && v->kind == BX_ARRAY) return list_value(m, v, want, what);
  const char *s = scalar_text(m, v);
  if (v && v->kind == BX_STRING) {
    const char *inside = single_ref(m, s);
    if (inside) return convert(m, ref_expr(m, inside), want, what);
    if (s[0] == '=') return convert(m, calculation(m, s + 1, s), want, what);
    if (strstr(s, "{=") || strstr(s, "{{=")) return convert(m, text_expr(m, s), want, what);
  }
  return literal(m, s, want);
}

/* Text as a string literal, where `.bp` wants one (a title, a message): a
 * value that is one {=…} of type string is interpolated. */
static X text_value(M *m, const BxValue *v, const char *what) {
  X x = value(m, v, TY_STRING, what);
  if (x.s && x.s[0] != '"') x.s = arena_printf(&m->a, "\"{%s}\"", x.s);
  return x;
}

/* Two string literals as one, a line end between them. */
static const char *join_literals(M *m, const char *a, const char *b) {
  size_t la = strlen(a);
  return arena_printf(&m->a, "%.*s\\n%s", (int)(la - 1), a, b + 1);
}

/* ---- output ------------------------------------------------------------------------------- */

static void line(M *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(M *m, const char *fmt, ...) {
  for (int i = 0; i < m->ind; i++) sb_puts(&m->out, "  ");
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&m->out, fmt, ap);
  va_end(ap);
  sb_putc(&m->out, '\n');
}

/* An activity's TimeoutDuration ends it in Bitrix (approval, review, request: the
 * activity completes, timed out); a `.bp` deadline is soft unless `on timeout` says so. A
 * task's DEADLINE stays soft, as a Bitrix task stays open past its deadline. */
static void hard_timeout(M *m, const char *due) {
  if (due) line(m, "  on timeout {}");
}

/* Lines kept aside (a condition's helper statements) written at the indent. */
static void put_lines(M *m, const char *text) {
  while (text && *text) {
    const char *nl = strchr(text, '\n');
    size_t n = nl ? (size_t)(nl - text) : strlen(text);
    for (int i = 0; i < m->ind; i++) sb_puts(&m->out, "  ");
    sb_putn(&m->out, text, n);
    sb_putc(&m->out, '\n');
    text += n + (nl != NULL);
  }
}

static const char *helper_var(M *m, const char *stem, Ty ty, const char *init) {
  const char *name = ident(m, arena_printf(&m->a, "bx_%s_%u", stem, ++m->tmp));
  sb_printf(&m->vars, "  var %s: %s = %s\n", name, ty_names[ty], init);
  return name;
}

/* ---- conditions ------------------------------------------------------------------------------ */

/* Statements setting a helper flag to "every user of a is in b" (and a not
 * empty when nonempty): `.bp` has `x in list` for one element only. */
static const char *subset_flag(M *m, StrBuf *pre, const char *a, const char *b, bool nonempty) {
  const char *flag = helper_var(m, "in", TY_BOOL, "false");
  const char *u = ident(m, arena_printf(&m->a, "bx_u_%u", m->tmp));
  sb_printf(pre, "%s = %s\n", flag, nonempty ? arena_printf(&m->a, "len(%s) > 0", a) : "true");
  sb_printf(pre, "for %s in %s {\n  if not (%s in %s) {\n    %s = false\n  }\n}\n", u, a, u, b, flag);
  return flag;
}

/* One condition `left OP value` with left already an expression. */
static X compare(M *m, StrBuf *pre, X left, const char *op, const BxValue *rv) {
  Arena *a = &m->a;
  const char *rs = scalar_text(m, rv);
  bool empty_value = rs && !*rs;
  if (str_eq(op, "empty") || str_eq(op, "!empty")) {
    bool neg = op[0] == '!';
    const char *t;
    switch (left.ty) {
    case TY_USERS: t = arena_printf(a, "len(%s) %s 0", left.s, neg ? ">" : "=="); break;
    case TY_STRING: t = arena_printf(a, "%s %s \"\"", left.s, neg ? "!=" : "=="); break;
    case TY_INT: case TY_DECIMAL: t = arena_printf(a, "%s %s 0", left.s, neg ? "!=" : "=="); break;
    case TY_BOOL: t = neg ? left.s : arena_printf(a, "not %s", left.s); break;
    default: return fail(m, "`%s` on a %s: an unset %s cannot be tested in `.bp`", op, ty_names[left.ty], ty_names[left.ty]);
    }
    return (X){t, TY_BOOL};
  }
  if (str_eq(op, "modified"))
    return fail(m, "the condition `modified` outside a fieldcondition: Bitrix decides it for document fields "
                   "(fieldcondition) only");
  if (left.ty == TY_USERS || left.ty == TY_USER) {
    X l = convert(m, left, TY_USERS, "the condition's field");
    if ((str_eq(op, "=") || str_eq(op, "!=")) && empty_value)
      return (X){arena_printf(a, "len(%s) %s 0", l.s, op[0] == '!' ? ">" : "=="), TY_BOOL};
    X r = value(m, rv, TY_USERS, "the condition's value");
    if (!r.s) return r;
    const char *f;
    if (str_eq(op, "in") || str_eq(op, "!in")) f = subset_flag(m, pre, l.s, r.s, true);
    else if (str_eq(op, "contain") || str_eq(op, "!contain")) f = subset_flag(m, pre, r.s, l.s, true);
    else if (str_eq(op, "=") || str_eq(op, "!=")) {
      const char *f1 = subset_flag(m, pre, l.s, r.s, false), *f2 = subset_flag(m, pre, r.s, l.s, false);
      f = arena_printf(a, "(%s and %s)", f1, f2);
    } else return fail(m, "the operator `%s` on users", op);
    return (X){op[0] == '!' ? arena_printf(a, "not %s", f) : f, TY_BOOL};
  }
  if (str_eq(op, "in") || str_eq(op, "!in")) {
    X r;
    if (rv && rv->kind == BX_ARRAY) {
      StrBuf b;
      sb_init(&b);
      sb_putc(&b, '[');
      for (uint32_t i = 0; i < rv->u.a.n; i++) {
        X e = value(m, rv->u.a.vals[i], left.ty, "the condition's value");
        if (!e.s) {
          sb_free(&b);
          return e;
        }
        sb_printf(&b, "%s%s", i ? ", " : "", e.s);
      }
      sb_putc(&b, ']');
      r = (X){arena_strdup(a, b.data), TY_NONE};
      sb_free(&b);
      r.s = arena_printf(a, "%s in %s", left.s, r.s);
    } else {
      X v = value(m, rv, TY_STRING, "the condition's value");
      if (!v.s) return v;
      r.s = arena_printf(a, "contains(%s, %s)", v.s, convert(m, left, TY_STRING, "the field").s);
    }
    return (X){op[0] == '!' ? arena_printf(a, "not (%s)", r.s) : r.s, TY_BOOL};
  }
  if (str_eq(op, "contain") || str_eq(op, "!contain")) {
    X l = convert(m, left, TY_STRING, "the condition's field");
    X v = value(m, rv, TY_STRING, "the condition's value");
    if (!l.s || !v.s) return (X){NULL, TY_NONE};
    const char *t = arena_printf(a, "contains(%s, %s)", l.s, v.s);
    return (X){op[0] == '!' ? arena_printf(a, "not %s", t) : t, TY_BOOL};
  }
  const char *bop = str_eq(op, "=") ? "==" : str_eq(op, "!=") || str_eq(op, "<>") ? "!=" : NULL;
  if (!bop && (str_eq(op, ">") || str_eq(op, ">=") || str_eq(op, "<") || str_eq(op, "<="))) bop = op;
  if (!bop) return fail(m, "the condition operator `%s` is not one Bitrix has", op);
  if (bop[0] != '=' && bop[0] != '!' && (left.ty == TY_BOOL))
    return fail(m, "`%s` orders yes/no values", op);
  X r = value(m, rv, left.ty, "the condition's value");
  if (!r.s) return r;
  return (X){arena_printf(a, "%s %s %s", left.s, bop, r.s), TY_BOOL};
}

/* `FIELD modified` of a fieldcondition. Bitrix (CBPFieldCondition) reads the start
 * parameter ModifiedDocumentField, the codes of the fields whose change started the
 * process: true when FIELD is one of them, and true when the process was not started
 * by a change (the parameter is no list then). Here that parameter is a text of
 * codes separated by commas, "*" (its default) when not started by a change. */
static X modified_test(M *m, const char *field) {
  char *code = arena_strdup(&m->a, field); /* Bitrix reads F_PRINTABLE as F */
  if (!strip_suffix(code, "_PRINTABLE")) strip_suffix(code, "_printable");
  if (!m->modified) {
    m->modified = ident(m, "ModifiedDocumentField");
    sb_printf(&m->vars, "  # the codes of the fields whose change started the process, separated by commas;\n"
                        "  # * when no change started it (then every `modified` condition holds, as in Bitrix)\n");
    sb_printf(&m->vars, "  param %s: string = \"*\" \"Fields changed\"\n", m->modified);
    if (first_time(m, "modified"))
      warn(m, "the condition `modified` reads the start parameter %s (the fields whose change started the "
              "process, separated by commas; * when none did): the host gives it, as Bitrix's ModifiedDocumentField",
           m->modified);
  }
  for (const char *c = code; *c; c++)
    if (*c == ',' || *c == '"' || *c == '{' || *c == '}' || *c == '\\' || (unsigned char)*c < ' ')
      return fail(m, "`modified` on the field code %s, which holds a character a list of codes cannot", code);
  return (X){arena_printf(&m->a, "%s == \"*\" or contains(\",{%s},\", \",%s,\")", m->modified, m->modified, code),
             TY_BOOL};
}

/* The left side of a fieldcondition / propertyvariablecondition item. */
static X cond_left(M *m, const char *key, const char *name) {
  if (str_eq(key, "fieldcondition")) {
    Sym *s = doc_field(m, name);
    return (X){s->bp, s->ty};
  }
  Sym *s = find_sym(m, SC_PARAM, name);
  if (!s) s = find_sym(m, SC_VAR, name);
  if (!s) s = find_sym(m, SC_CONST, name);
  if (!s) return fail(m, "the condition names %s, which is no parameter, variable or constant", name);
  return (X){s->bp, s->ty};
}

/* The condition of an IfElseBranchActivity or WhileActivity: an OR of
 * AND-groups (an item joined with OR starts a new group). NULL expression
 * text "true" when there is none. */
static X condition(M *m, const BxValue *props, StrBuf *pre) {
  static const char *const keys[] = {"fieldcondition", "propertyvariablecondition", "mixedcondition", NULL};
  if (bx_get(props, "codecondition"))
    return fail(m, "the condition is PHP code (codecondition): bpc never runs PHP; rewrite it as a field or variable condition");
  const BxValue *items = NULL;
  const char *key = NULL;
  for (int k = 0; keys[k]; k++)
    if ((items = bx_get(props, keys[k])) != NULL) {
      key = keys[k];
      break;
    }
  if (!items) return (X){"true", TY_BOOL};
  if (items->kind != BX_ARRAY) return fail(m, "%s is not a list", key);
  StrBuf b;
  sb_init(&b);
  bool ok = true;
  for (uint32_t i = 0; i < items->u.a.n && ok; i++) {
    const BxValue *it = items->u.a.vals[i];
    X left;
    const char *op;
    const BxValue *rv, *joiner;
    if (str_eq(key, "mixedcondition")) {
      const char *obj = str_of(bx_get(it, "object")), *field = str_of(bx_get(it, "field"));
      op = str_of(bx_get(it, "operator"));
      rv = bx_get(it, "value");
      joiner = bx_get(it, "joiner");
      if (!obj || !field) {
        fail(m, "a mixedcondition item without object and field");
        ok = false;
        break;
      }
      left = ref_expr(m, arena_printf(&m->a, "%s:%s", obj, field));
    } else {
      const char *name = str_of(bx_get(it, "0"));
      if (!name && it->kind == BX_ARRAY && it->u.a.n) name = str_of(it->u.a.vals[0]);
      op = it->kind == BX_ARRAY && it->u.a.n > 1 ? str_of(it->u.a.vals[1]) : NULL;
      rv = it->kind == BX_ARRAY && it->u.a.n > 2 ? it->u.a.vals[2] : NULL;
      joiner = it->kind == BX_ARRAY && it->u.a.n > 3 ? it->u.a.vals[3] : NULL;
      if (!name || !op) {
        fail(m, "a %s item is not [name, operator, value, joiner]", key);
        ok = false;
        break;
      }
      if (str_eq(op, "modified")) {
        if (!str_eq(key, "fieldcondition")) {
          fail(m, "`modified` on %s, which is no document field: Bitrix tests only the document's fields for a change", name);
          ok = false;
          break;
        }
        X c = modified_test(m, name);
        if (!c.s) {
          ok = false;
          break;
        }
        if (i > 0) sb_puts(&b, truthy(joiner) ? " or " : " and ");
        sb_printf(&b, "(%s)", c.s);
        continue;
      }
      left = cond_left(m, key, name);
    }
    if (!left.s || !op) {
      if (!op) fail(m, "a condition item without an operator");
      ok = false;
      break;
    }
    X c = compare(m, pre, left, op, rv);
    if (!c.s) {
      ok = false;
      break;
    }
    if (i > 0) sb_puts(&b, truthy(joiner) ? " or " : " and ");
    sb_printf(&b, "(%s)", c.s);
  }
  X r = {ok ? arena_strdup(&m->a, b.len ? b.data : "true") : NULL, TY_BOOL};
  sb_free(&b);
  return r;
}

/* ---- activities ----------------------------------------------------------------------------- */

static void activity(M *m, const BxValue *act);

static const BxValue *children_of(const BxValue *act) {
  const BxValue *c = bx_get(act, "Children");
  return c && c->kind == BX_ARRAY ? c : NULL;
}

static bool leaves_at_once(const BxValue *act);

/* The children of act from the from-th on, in order. After a SetStateActivity that
 * cancels its state (CancelCurrentState Y) nothing more of them runs in Bitrix. */
static void children_from(M *m, const BxValue *act, uint32_t from) {
  const BxValue *c = children_of(act);
  for (uint32_t i = from; c && i < c->u.a.n; i++) {
    activity(m, c->u.a.vals[i]);
    if (leaves_at_once(c->u.a.vals[i]) && i + 1 < c->u.a.n) {
      const char *an = m->act_name, *at = m->act_type;
      m->act_name = str_of(bx_get(c->u.a.vals[i], "Name"));
      m->act_type = "SetStateActivity";
      warn(m, "cancels its state (CancelCurrentState Y): the %u activities after it never run, and are left out",
           c->u.a.n - i - 1);
      m->act_name = an;
      m->act_type = at;
      break;
    }
  }
}

static void children(M *m, const BxValue *act) { children_from(m, act, 0); }

static const BxValue *child(const BxValue *act, uint32_t i) {
  const BxValue *c = children_of(act);
  return c && i < c->u.a.n ? c->u.a.vals[i] : NULL;
}

static void block_of(M *m, const BxValue *act) {
  m->ind++;
  if (act) activity(m, act);
  m->ind--;
}

/* WHO of a human step or message: a users expression. */
static const char *who(M *m, const BxValue *props, const char *key) {
  const BxValue *v = bx_get(props, key);
  if (!v) {
    fail(m, "%s (who) is missing", key);
    return NULL;
  }
  return value(m, v, TY_USERS, key).s;
}

/* TimeoutDuration + TimeoutDurationType (s m h d) as a `.bp` duration, NULL
 * when none. Seconds round up to whole minutes (`.bp` counts in minutes). */
static const char *duration(M *m, const BxValue *props, const char *dkey, const char *tkey) {
  const char *d = prop_text(m, props, dkey), *t = prop_text(m, props, tkey);
  if (!*d || str_eq(d, "0")) return NULL;
  if (single_ref(m, d)) {
    X x = ref_expr(m, single_ref(m, d));
    if (x.s && x.ty == TY_INT) {
      const char *unit = str_eq(t, "d") ? "1d" : str_eq(t, "h") ? "1h" : "1m";
      return arena_printf(&m->a, "%s * %s", unit, x.s);
    }
    fail(m, "%s is not a number of %s", dkey, *t ? t : "seconds");
    return NULL;
  }
  if (!digits(d, strlen(d)) || strlen(d) > 9) {
    fail(m, "%s `%s` is not a whole number", dkey, d);
    return NULL;
  }
  long long n = atoll(d);
  if (!*t || str_eq(t, "s")) {
    if (n % 60) warn(m, "a timeout of %lld seconds is rounded up to whole minutes", n);
    return arena_printf(&m->a, "%lldm", (n + 59) / 60);
  }
  if (str_eq(t, "m") || str_eq(t, "h") || str_eq(t, "d")) return arena_printf(&m->a, "%lld%s", n, t);
  fail(m, "%s `%s` is not s, m, h or d", tkey, t);
  return NULL;
}

static const char *result_clause(M *m, const char *name, ResKind kind, Ty ty) {
  Res *r = arena_alloc(&m->a, sizeof *r);
  r->bx = name;
  r->bp = ident(m, name);
  r->kind = kind;
  r->ty = ty;
  ptrvec_push(&m->a, &m->results, r);
  return r->bp;
}

/* After a step whose results are read later: each one read kept in a variable. */
static void copy_results(M *m, const char *name) {
  Res *r = find_res(m, name);
  if (!r) return;
  size_t n = strlen(name);
  for (uint32_t i = 0; i < m->fields_read.n; i++) {
    const char *pair = m->fields_read.items[i];
    if (strncmp(pair, name, n) != 0 || pair[n] != '\x1f') continue;
    const char *field = pair + n + 1;
    X e = ref_result(m, r, field);
    if (!e.s) continue;
    Copy *c = arena_alloc(&m->a, sizeof *c);
    c->name = name;
    c->field = field;
    c->var = ident(m, arena_printf(&m->a, "%s_%s", r->bp, field));
    c->ty = e.ty;
    X init = e.ty == TY_USER || e.ty == TY_DATE || e.ty == TY_DATETIME ? (X){NULL, TY_NONE} : literal(m, "", e.ty);
    sb_printf(&m->vars, "  var %s: %s%s%s\n", c->var, ty_names[e.ty], init.s ? " = " : "", init.s ? init.s : "");
    line(m, "%s = %s", c->var, e.s);
    ptrvec_push(&m->a, &m->copies, c);
  }
}

static void approve_activity(M *m, const BxValue *act, const BxValue *p, const char *name) {
  const char *w = who(m, p, "Users");
  X title = text_value(m, bx_get(p, "Name"), "Name");
  const char *type = prop_text(m, p, "ApproveType");
  const char *mode;
  if (!*type || str_eq(type, "any")) mode = "mode any";
  else if (str_eq(type, "all")) mode = "mode all";
  else if (str_eq(type, "vote")) {
    const char *pct = prop_text(m, p, "ApproveMinPercent");
    const char *wait = str_eq(prop_text(m, p, "ApproveWaitForAll"), "Y") ? " wait all" : "";
    long min = *pct ? atol(pct) : 50;
    if (*pct == '=' || strstr(pct, "{=")) { /* a value or calculation, which Bitrix reads at each vote */
      X v = value(m, bx_get(p, "ApproveMinPercent"), TY_INT, "ApproveMinPercent");
      if (!v.s) return;
      mode = arena_printf(&m->a, "mode bitrix (%s)%%%s", v.s, wait);
    } else if (!digits(pct, strlen(pct)) && *pct) {
      fail(m, "ApproveMinPercent `%s` is not a number", pct);
      return;
    } else if (min < 0 || min > 100) {
      fail(m, "ApproveMinPercent %ld is outside 0..100", min);
      return;
    } else {
      /* Bitrix's own vote rule, its arithmetic included: `mode bitrix M%`
       * (docs/bitrix.md "The vote rule"). */
      mode = arena_printf(&m->a, "mode bitrix %ld%%%s", min, wait);
    }
  } else {
    fail(m, "ApproveType `%s` is not any, all or vote", type);
    return;
  }
  const char *due = duration(m, p, "TimeoutDuration", "TimeoutDurationType");
  if (!w || !title.s || m->failed) return;
  const char *r = result_clause(m, name, R_APPROVE, TY_NONE);
  line(m, "approve %s %s %s%s%s -> %s", w, title.s, mode, due ? " due " : "", due ? due : "", r);
  hard_timeout(m, due);
  copy_results(m, name);
  line(m, "if %s.approved {", r);
  block_of(m, child(act, 0));
  line(m, "} else {");
  block_of(m, child(act, 1));
  line(m, "}");
}

static void review_activity(M *m, const BxValue *p, const char *name) {
  const char *w = who(m, p, "Users");
  X title = text_value(m, bx_get(p, "Name"), "Name");
  const char *type = prop_text(m, p, "ApproveType");
  const char *due = duration(m, p, "TimeoutDuration", "TimeoutDurationType");
  if (!w || !title.s) return;
  const char *res = is_referenced(m, name) ? arena_printf(&m->a, " -> %s", result_clause(m, name, R_REVIEW, TY_NONE)) : "";
  line(m, "review %s %s mode %s%s%s%s", w, title.s, str_eq(type, "any") ? "any" : "all", due ? " due " : "",
       due ? due : "", res);
  hard_timeout(m, due);
  copy_results(m, name);
}

static void request_activity(M *m, const BxValue *p, const char *name) {
  const char *w = who(m, p, "Users");
  X title = text_value(m, bx_get(p, "Name"), "Name");
  const BxValue *info = bx_get(p, "RequestedInformation");
  const char *due = duration(m, p, "TimeoutDuration", "TimeoutDurationType");
  if (!w || !title.s) return;
  StrBuf f;
  sb_init(&f);
  for (uint32_t i = 0; info && info->kind == BX_ARRAY && i < info->u.a.n; i++) {
    const BxValue *q = info->u.a.vals[i];
    const char *var = str_of(bx_get(q, "Name"));
    if (!var) {
      fail(m, "a requested field without a Name");
      continue;
    }
    Sym *s = find_sym(m, SC_VAR, var);
    if (!s) s = add_sym(m, SC_VAR, var, map_type(m, q, var), NULL);
    const char *label = prop_text(m, q, "Title");
    sb_printf(&f, "  %s: %s %s\n", s->bp, ty_names[s->ty], quote(m, *label ? label : var));
  }
  if (!f.len) {
    sb_free(&f);
    fail(m, "RequestedInformation asks for nothing");
    return;
  }
  const char *res = is_referenced(m, name) ? arena_printf(&m->a, " -> %s", result_clause(m, name, R_REQUEST, TY_NONE)) : "";
  line(m, "request %s %s {", w, title.s);
  put_lines(m, f.data);
  line(m, "}%s%s%s", due ? " due " : "", due ? due : "", res);
  hard_timeout(m, due);
  copy_results(m, name);
  sb_free(&f);
}

static void task_activity(M *m, const BxValue *p, const char *name) {
  const BxValue *fields = bx_get(p, "Fields");
  const char *w = who(m, fields, "RESPONSIBLE_ID");
  X title = text_value(m, bx_get(fields, "TITLE"), "TITLE");
  const BxValue *dl = bx_get(fields, "DEADLINE");
  const char *due = NULL;
  if (dl && *prop_text(m, fields, "DEADLINE")) {
    X d = value(m, dl, TY_DATETIME, "DEADLINE");
    due = d.s;
  }
  if (!w || !title.s) return;
  const char *res = is_referenced(m, name) ? arena_printf(&m->a, " -> %s", result_clause(m, name, R_TASK, TY_NONE)) : "";
  line(m, "task %s %s%s%s%s", w, title.s, due ? " due " : "", due ? due : "", res);
  copy_results(m, name);
}

/* FieldValue / VariableValue: one assignment each. */
static void assignments(M *m, const BxValue *p, const char *key, SymClass cls) {
  const BxValue *vals = bx_get(p, key);
  for (uint32_t i = 0; vals && vals->kind == BX_ARRAY && i < vals->u.a.n; i++) {
    const char *target = str_of(vals->u.a.keys[i]);
    if (!target) {
      fail(m, "%s names a target by number", key);
      continue;
    }
    Sym *s = cls == SC_FIELD ? doc_field(m, target) : find_sym(m, SC_VAR, target);
    if (!s) {
      fail(m, "%s sets %s, which is no variable", key, target);
      continue;
    }
    X v = value(m, vals->u.a.vals[i], s->ty, target);
    if (v.s) line(m, "%s = %s", s->bp, v.s);
  }
}

static void message_activity(M *m, const char *type, const BxValue *p) {
  const char *to;
  X text;
  if (str_eq(type, "MailActivity")) {
    to = who(m, p, bx_get(p, "MailUserToArray") ? "MailUserToArray" : "MailUserTo");
    const char *subject = prop_text(m, p, "MailSubject"), *body = prop_text(m, p, "MailText");
    text = text_value(m, bx_get(p, "MailText"), "MailText");
    if (*subject) {
      X s = text_value(m, bx_get(p, "MailSubject"), "MailSubject");
      if (s.s && text.s) text.s = join_literals(m, s.s, text.s);
    }
    (void)body;
  } else {
    to = who(m, p, "MessageUserTo");
    const char *key = str_eq(type, "IMNotifyActivity") ? "MessageSite" : "MessageText";
    text = text_value(m, bx_get(p, key), key);
  }
  if (to && text.s) line(m, "notify %s %s", to, text.s);
}

static void delay_activity(M *m, const BxValue *p) {
  const char *d = duration(m, p, "TimeoutDuration", "TimeoutDurationType");
  if (d) {
    line(m, "wait %s", d);
    return;
  }
  const BxValue *t = bx_get(p, "TimeoutTime");
  if (t && *prop_text(m, p, "TimeoutTime")) {
    X x = value(m, t, TY_DATETIME, "TimeoutTime");
    if (x.s) line(m, "wait until %s", x.s);
    return;
  }
  if (!m->failed) line(m, "wait 0m");
}

static void while_activity(M *m, const BxValue *act, const BxValue *p, const char *name) {
  StrBuf pre;
  sb_init(&pre);
  X c = condition(m, p, &pre);
  if (!c.s) {
    sb_free(&pre);
    return;
  }
  /* Bitrix ends a loop after 1000 iterations: the count is part of the condition. */
  const char *n = helper_var(m, arena_printf(&m->a, "%s_iterations", name), TY_INT, "0");
  line(m, "%s = 0", n);
  put_lines(m, pre.data);
  line(m, "while %s < 1000 and (%s) {", n, c.s);
  m->ind++;
  line(m, "%s = %s + 1", n, n);
  activity(m, child(act, 0));
  put_lines(m, pre.data);
  m->ind--;
  line(m, "}");
  sb_free(&pre);
}

static void ifelse_activity(M *m, const BxValue *act) {
  const BxValue *c = children_of(act);
  uint32_t n = c ? c->u.a.n : 0;
  StrBuf pre;
  sb_init(&pre);
  const char **conds = arena_alloc(&m->a, sizeof(char *) * (n + 1));
  uint32_t k = 0;
  for (; k < n; k++) {
    const BxValue *br = c->u.a.vals[k];
    const char *saved_name = m->act_name, *saved_type = m->act_type;
    m->act_name = str_of(bx_get(br, "Name"));
    m->act_type = "IfElseBranchActivity";
    X x = condition(m, bx_get(br, "Properties"), &pre);
    m->act_name = saved_name;
    m->act_type = saved_type;
    if (!x.s) {
      sb_free(&pre);
      return;
    }
    conds[k] = x.s;
    if (str_eq(x.s, "true")) break; /* the branches after it never run */
  }
  if (k + 1 < n) warn(m, "the branches after the %u. are never taken (it is always true)", k + 1);
  put_lines(m, pre.data);
  sb_free(&pre);
  uint32_t last = k < n ? k : n - 1;
  if (n == 0) return;
  if (str_eq(conds[0], "true")) { /* the first branch always runs */
    children(m, c->u.a.vals[0]);
    return;
  }
  const BxValue *lc = children_of(c->u.a.vals[last]);
  if (last > 0 && str_eq(conds[last], "true") && (!lc || lc->u.a.n == 0)) last--; /* an empty else */
  for (uint32_t i = 0; i <= last; i++) {
    const BxValue *br = c->u.a.vals[i];
    const char *title = prop_text(m, bx_get(br, "Properties"), "Title");
    if (i == 0) line(m, "if %s {  # %s", conds[i], comment_text(m, title));
    else if (str_eq(conds[i], "true")) line(m, "} else {  # %s", comment_text(m, title));
    else line(m, "} else if %s {  # %s", conds[i], comment_text(m, title));
    m->ind++;
    children(m, br);
    m->ind--;
  }
  line(m, "}");
}

static void parallel_activity(M *m, const BxValue *act, bool listen) {
  const BxValue *c = children_of(act);
  uint32_t n = c ? c->u.a.n : 0;
  if (n == 0) return;
  if (!listen) {
    line(m, "parallel {");
    for (uint32_t i = 0; i < n; i++) {
      m->ind++;
      line(m, "branch {");
      block_of(m, c->u.a.vals[i]);
      line(m, "}");
      m->ind--;
    }
    line(m, "}");
    return;
  }
  /* ListenActivity: the first event wins. The events race in `parallel
   * any`; the winner's number is kept, and only its branch goes on. */
  const char *won = helper_var(m, "listen", TY_INT, "0");
  line(m, "%s = 0", won);
  line(m, "parallel any {");
  m->ind++;
  for (uint32_t i = 0; i < n; i++) {
    line(m, "branch {");
    m->ind++;
    activity(m, child(c->u.a.vals[i], 0));
    line(m, "%s = %u", won, i + 1);
    m->ind--;
    line(m, "}");
  }
  m->ind--;
  line(m, "}");
  for (uint32_t i = 0; i < n; i++) {
    line(m, "%sif %s == %u {", i ? "} else " : "", won, i + 1);
    const BxValue *ev = c->u.a.vals[i], *cs = children_of(ev);
    m->ind++;
    for (uint32_t j = 1; cs && j < cs->u.a.n; j++) activity(m, cs->u.a.vals[j]);
    m->ind--;
  }
  line(m, "}");
}

/* ---- host actions ------------------------------------------------------------------------------ */

static bool plain_property(const char *key) {
  return !str_eq(key, "Title") && !str_eq(key, "EditorComment");
}

/* Is this property a list of people (every element one {=…} or a user code)? */
static bool users_property(M *m, const BxValue *v) {
  if (!v || v->kind != BX_ARRAY || v->u.a.n == 0) return false;
  for (uint32_t i = 0; i < v->u.a.n; i++) {
    const char *s = str_of(v->u.a.vals[i]);
    if (!s || !(single_ref(m, s) || is_user_code(s))) return false;
  }
  return true;
}

/* A property that is a map (Permission: {R: [...]}) as text "R: a, b". */
static X map_text(M *m, const BxValue *v, const char *what) {
  StrBuf b;
  sb_init(&b);
  sb_putc(&b, '"');
  bool ok = true;
  for (uint32_t i = 0; i < v->u.a.n && ok; i++) {
    const char *k = scalar_text(m, v->u.a.keys[i]);
    if (i) sb_puts(&b, "; ");
    put_text(&b, k, strlen(k));
    sb_puts(&b, ": ");
    const BxValue *e = v->u.a.vals[i];
    X x = e->kind == BX_ARRAY && users_property(m, e) ? value(m, e, TY_USERS, what)
          : e->kind == BX_ARRAY ? map_text(m, e, what) : value(m, e, TY_STRING, what);
    if (!x.s) ok = false;
    else sb_printf(&b, "{%s}", x.s);
  }
  sb_putc(&b, '"');
  X r = {ok ? arena_strdup(&m->a, b.data) : NULL, TY_STRING};
  sb_free(&b);
  return r;
}

static HostAction *host_action(M *m, const char *type) {
  for (uint32_t i = 0; i < m->actions.n; i++) {
    HostAction *h = m->actions.items[i];
    if (str_eq(h->type, type)) return h;
  }
  HostAction *h = arena_alloc(&m->a, sizeof *h);
  h->type = arena_strdup(&m->a, type);
  h->bp = ident(m, type);
  /* What Bitrix's activities return, where a template reads it: GetUserActivity's
   * GetUser is people; any other result is read as text. */
  h->result = str_eq(type, "GetUserActivity") ? TY_USERS : TY_STRING;
  ptrvec_push(&m->a, &m->actions, h);
  return h;
}

/* First pass over the tree: each host action's parameters (the union of its
 * instances' properties), and the activities whose results are read later. */
static void survey(M *m, const BxValue *act, unsigned depth);

static bool known_type(const char *t);

/* Notes that a later activity reads result `field` (blanks, a `> modifier` and a
 * _printable suffix dropped) of activity `name`. */
static void read_field(M *m, const char *name, const char *field) {
  char *f = arena_strdup(&m->a, field);
  char *gt = strchr(f, '>');
  if (gt) *gt = '\0';
  while (*f == ' ') f++;
  for (char *e = f + strlen(f); e > f && e[-1] == ' ';) *--e = '\0';
  if (!strip_suffix(f, "_printable")) strip_suffix(f, "_PRINTABLE");
  const char *pair = arena_printf(&m->a, "%s\x1f%s", name, f);
  for (uint32_t i = 0; i < m->fields_read.n; i++)
    if (str_eq(m->fields_read.items[i], pair)) return;
  ptrvec_push(&m->a, &m->fields_read, (void *)pair);
}

static void survey_strings(M *m, const BxValue *v) {
  if (!v) return;
  if (v->kind == BX_ARRAY) {
    for (uint32_t i = 0; i < v->u.a.n; i++) survey_strings(m, v->u.a.vals[i]);
    return;
  }
  const char *s = str_of(v);
  for (const char *p = s; p && (p = strstr(p, "{=")) != NULL; p += 2) {
    const char *colon = strchr(p, ':'), *end = strchr(p, '}');
    if (colon && end && colon < end) {
      ptrvec_push(&m->a, &m->referenced, arena_strndup(&m->a, p + 2, (size_t)(colon - p - 2)));
      read_field(m, arena_strndup(&m->a, p + 2, (size_t)(colon - p - 2)),
                 arena_strndup(&m->a, colon + 1, (size_t)(end - colon - 1)));
    }
  }
}

static void survey(M *m, const BxValue *act, unsigned depth) {
  if (!act || act->kind != BX_ARRAY || depth > BX_MAX_ACTIVITY_DEPTH) return;
  const char *type = str_of(bx_get(act, "Type"));
  const char *own = str_of(bx_get(act, "Name"));
  if (own) { /* Names are unique in a template: results and states are found by them */
    for (uint32_t i = 0; i < m->seen.n; i++)
      if (str_eq(m->seen.items[i], own)) {
        fail(m, "the activity Name %s is used twice (at byte %u): Bitrix finds activities by their Name", own,
             act->off);
        break;
      }
    ptrvec_push(&m->a, &m->seen, (void *)own);
  }
  const BxValue *props = bx_get(act, "Properties");
  survey_strings(m, props);
  const BxValue *mixed = bx_get(props, "mixedcondition");
  for (uint32_t i = 0; mixed && mixed->kind == BX_ARRAY && i < mixed->u.a.n; i++) {
    const char *o = str_of(bx_get(mixed->u.a.vals[i], "object")), *f = str_of(bx_get(mixed->u.a.vals[i], "field"));
    if (o && f) {
      ptrvec_push(&m->a, &m->referenced, (void *)o);
      read_field(m, o, f);
    }
  }
  if (type && !known_type(type) && props && props->kind == BX_ARRAY && !str_eq(type, "CodeActivity")) {
    HostAction *h = host_action(m, type);
    const char *nm = str_of(bx_get(act, "Name"));
    if (nm) ptrvec_push(&m->a, &h->uses, (void *)nm);
    for (uint32_t i = 0; i < props->u.a.n; i++) {
      const char *k = str_of(props->u.a.keys[i]);
      if (!k || !plain_property(k)) continue;
      uint32_t j = 0;
      while (j < h->keys.n && !str_eq(h->keys.items[j], k)) j++;
      Ty ty = users_property(m, props->u.a.vals[i]) ? TY_USERS : TY_STRING;
      if (j == h->keys.n) {
        ptrvec_push(&m->a, &h->keys, arena_strdup(&m->a, k));
        ptrvec_push(&m->a, &h->params, (void *)k);
        ptrvec_push(&m->a, &h->tys, (void *)(uintptr_t)ty);
      } else if ((Ty)(uintptr_t)h->tys.items[j] != ty) {
        h->tys.items[j] = (void *)(uintptr_t)TY_STRING;
      }
    }
  }
  const BxValue *c = children_of(act);
  for (uint32_t i = 0; c && i < c->u.a.n; i++) survey(m, c->u.a.vals[i], depth + 1);
}

static void host_activity(M *m, const char *type, const BxValue *p, const char *name) {
  HostAction *h = host_action(m, type);
  if (first_time(m, arena_printf(&m->a, "type %s", type))) {
    StrBuf b;
    sb_init(&b);
    for (uint32_t i = 0; i < h->keys.n; i++) sb_printf(&b, "%s%s", i ? ", " : "", (char *)h->keys.items[i]);
    sb_printf(m->msgs, "%s: warning: %s has no `.bp` counterpart: declared as the host action %s(%s); the host decides what it does\n",
              m->path, type, h->bp, b.len ? b.data : "");
    sb_free(&b);
  }
  StrBuf args;
  sb_init(&args);
  for (uint32_t i = 0; i < h->keys.n; i++) {
    const char *k = h->keys.items[i];
    Ty ty = (Ty)(uintptr_t)h->tys.items[i];
    const BxValue *v = bx_get(p, k);
    X x;
    if (!v) x = ty == TY_USERS ? (X){"[]", TY_USERS} : (X){"\"\"", TY_STRING};
    else if (v->kind == BX_ARRAY && ty == TY_STRING && !users_property(m, v)) x = map_text(m, v, k);
    else x = value(m, v, ty, k);
    if (!x.s) {
      sb_free(&args);
      return;
    }
    sb_printf(&args, "%s%s", i ? ", " : "", x.s);
  }
  const char *res = is_referenced(m, name) ? arena_printf(&m->a, " -> %s", result_clause(m, name, R_ACTION, h->result)) : "";
  line(m, "%s(%s)%s", h->bp, args.len ? args.data : "", res);
  copy_results(m, name);
  sb_free(&args);
}

/* ---- state machines ------------------------------------------------------------------------------- */

static const char *state_name(M *m, const char *bx) {
  Sym *s = find_sym(m, SC_CONST, arena_printf(&m->a, "\x02state %s", bx));
  return s ? s->bp : NULL;
}

/* Does act hold an activity of this type (itself or below)? */
static bool holds_type(const BxValue *act, const char *type, unsigned depth) {
  const char *t = str_of(bx_get(act, "Type"));
  if (t && str_eq(t, type)) return true;
  const BxValue *c = children_of(act);
  for (uint32_t i = 0; c && depth < BX_MAX_ACTIVITY_DEPTH && i < c->u.a.n; i++)
    if (holds_type(c->u.a.vals[i], type, depth + 1)) return true;
  return false;
}

static unsigned count_type(const BxValue *act, const char *type, unsigned depth) {
  const char *t = str_of(bx_get(act, "Type"));
  unsigned n = t && str_eq(t, type);
  const BxValue *c = children_of(act);
  for (uint32_t i = 0; c && depth < BX_MAX_ACTIVITY_DEPTH && i < c->u.a.n; i++)
    n += count_type(c->u.a.vals[i], type, depth + 1);
  return n;
}

/* A step with a result, or a host action: mapped twice, its result would be declared twice. */
static bool holds_result_step(const BxValue *act, unsigned depth) {
  const char *t = str_of(bx_get(act, "Type"));
  if (t && (str_eq(t, "ApproveActivity") || str_eq(t, "ReviewActivity") || str_eq(t, "RequestInformationActivity") ||
            str_eq(t, "Task2Activity") || !known_type(t)))
    return true;
  const BxValue *c = children_of(act);
  for (uint32_t i = 0; c && depth < BX_MAX_ACTIVITY_DEPTH && i < c->u.a.n; i++)
    if (holds_result_step(c->u.a.vals[i], depth + 1)) return true;
  return false;
}

/* A state's StateFinalizationActivity: Bitrix (CBPStateActivity) runs it when the
 * state's initialization or event handler that ran a SetStateActivity has finished,
 * before the next state; a handler that sets no next state does not run it. With
 * `goto` at the end of the handler, that is right before each `goto` of the state. */
static const BxValue *state_finalization(M *m, const BxValue *st) {
  const BxValue *sc = children_of(st), *fin = NULL;
  for (uint32_t j = 0; sc && j < sc->u.a.n; j++) {
    const char *t = str_of(bx_get(sc->u.a.vals[j], "Type"));
    if (t && str_eq(t, "StateFinalizationActivity")) {
      if (fin) fail(m, "two StateFinalizationActivity in one state");
      fin = sc->u.a.vals[j];
    }
  }
  if (!fin) return NULL;
  const BxValue *on = bx_get(fin, "Activated");
  if (on && str_of(on) && str_eq(str_of(on), "N")) return NULL;
  if (holds_type(fin, "SetStateActivity", 0)) {
    fail(m, "a SetStateActivity in the StateFinalizationActivity %s: the state is being left already",
         str_of(bx_get(fin, "Name")) ? str_of(bx_get(fin, "Name")) : "");
    return NULL;
  }
  if (count_type(st, "SetStateActivity", 0) > 1 && holds_result_step(fin, 0)) {
    fail(m, "the StateFinalizationActivity %s holds a step with results and the state is left from several "
            "places: `.bp` runs it before each `goto` and would declare its results twice",
         str_of(bx_get(fin, "Name")) ? str_of(bx_get(fin, "Name")) : "");
    return NULL;
  }
  return fin;
}

/* ---- leaving a state ----------------------------------------------------------------
 * Bitrix's SetStateActivity only names the next state (CBPStateActivity::SetNextStateName);
 * the handler goes on to its end, then the state's finalization runs and the next state
 * starts. A handler of a command that ends without naming one closes its state with no
 * next state, and the state machine, and so the process, completes. `.bp`'s `goto`
 * leaves at once. So where every SetStateActivity of a handler is the last thing it runs
 * and every way through it ends in one, each is a `goto`; otherwise the handler sets a
 * variable bx_next and ends with the finalization and the `goto` it names (or, for a
 * command's handler that named none, `goto bx_end`, a final state). A SetStateActivity
 * with CancelCurrentState Y cancels the state at once: always a `goto`. */

static bool switched_off(const BxValue *act) {
  const BxValue *on = bx_get(act, "Activated");
  return on && str_of(on) && str_eq(str_of(on), "N");
}

static bool cancels_state(const BxValue *act) {
  const char *c = str_of(bx_get(bx_get(act, "Properties"), "CancelCurrentState"));
  return c && str_eq(c, "Y");
}

static bool leaves_at_once(const BxValue *act) {
  const char *t = str_of(bx_get(act, "Type"));
  return t && !switched_off(act) && str_eq(t, "SetStateActivity") && cancels_state(act);
}

/* Types whose children are alternatives that each end the activity (each may be last). */
static bool alternatives(const char *t) {
  return str_eq(t, "IfElseActivity") || str_eq(t, "ApproveActivity") || str_eq(t, "ListenActivity");
}

/* Types whose children run in order, the last one last. */
static bool in_order(const char *t) {
  return str_eq(t, "SequenceActivity") || str_eq(t, "EmptyBlockActivity") || str_eq(t, "IfElseBranchActivity") ||
         str_eq(t, "EventDrivenActivity") || str_eq(t, "StateInitializationActivity");
}

/* Every SetStateActivity in act is the last thing the handler runs (tail: act is). */
static bool tail_only(const BxValue *act, bool tail, unsigned depth) {
  if (!act || act->kind != BX_ARRAY || switched_off(act) || depth > BX_MAX_ACTIVITY_DEPTH) return true;
  const char *t = str_of(bx_get(act, "Type"));
  if (!t) return true;
  if (str_eq(t, "SetStateActivity")) return tail || cancels_state(act);
  const BxValue *c = children_of(act);
  int32_t last = -1;
  for (uint32_t i = 0; c && i < c->u.a.n; i++)
    if (!switched_off(c->u.a.vals[i])) last = (int32_t)i;
  for (uint32_t i = 0; c && i < c->u.a.n; i++) {
    bool ct = alternatives(t) ? tail : in_order(t) ? tail && (int32_t)i == last : false;
    if (!tail_only(c->u.a.vals[i], ct, depth + 1)) return false;
  }
  return true;
}

static bool branch_default(const BxValue *br) {
  const BxValue *p = bx_get(br, "Properties");
  return !bx_get(p, "fieldcondition") && !bx_get(p, "propertyvariablecondition") && !bx_get(p, "mixedcondition") &&
         !bx_get(p, "codecondition");
}

/* Every way through act ends the handler: in a TerminateActivity, a SetStateActivity
 * that cancels its state, or (sets) any SetStateActivity. */
static bool always_leaves_as(const BxValue *act, bool sets, unsigned depth) {
  if (!act || act->kind != BX_ARRAY || switched_off(act) || depth > BX_MAX_ACTIVITY_DEPTH) return false;
  const char *t = str_of(bx_get(act, "Type"));
  if (!t) return false;
  if (str_eq(t, "SetStateActivity")) return sets || cancels_state(act);
  if (str_eq(t, "TerminateActivity")) return true;
  const BxValue *c = children_of(act);
  if (in_order(t)) {
    for (uint32_t i = 0; c && i < c->u.a.n; i++)
      if (leaves_at_once(c->u.a.vals[i])) return true;
    for (uint32_t i = c ? c->u.a.n : 0; i-- > 0;)
      if (!switched_off(c->u.a.vals[i])) return always_leaves_as(c->u.a.vals[i], sets, depth + 1);
    return false;
  }
  if (str_eq(t, "IfElseActivity")) {
    for (uint32_t i = 0; c && i < c->u.a.n; i++) {
      const BxValue *br = c->u.a.vals[i];
      if (switched_off(br)) continue;
      if (!always_leaves_as(br, sets, depth + 1)) return false;
      if (branch_default(br)) return true; /* the branches after it never run */
    }
    return false; /* no branch may match */
  }
  if (str_eq(t, "ApproveActivity") || str_eq(t, "ListenActivity")) {
    for (uint32_t i = 0; c && i < c->u.a.n; i++)
      if (!always_leaves_as(c->u.a.vals[i], sets, depth + 1)) return false;
    return c && c->u.a.n > 0;
  }
  return false;
}

static bool always_leaves(const BxValue *act, unsigned depth) { return always_leaves_as(act, true, depth); }

static void collect_targets(M *m, const BxValue *act, PtrVec *out, unsigned depth) {
  if (!act || act->kind != BX_ARRAY || switched_off(act) || depth > BX_MAX_ACTIVITY_DEPTH) return;
  const char *t = str_of(bx_get(act, "Type"));
  if (t && str_eq(t, "SetStateActivity") && !cancels_state(act)) {
    const char *st = state_name(m, prop_text(m, bx_get(act, "Properties"), "TargetStateName"));
    for (uint32_t i = 0; st && i < out->n; i++)
      if (str_eq(out->items[i], st)) st = NULL;
    if (st) ptrvec_push(&m->a, out, (void *)st);
  }
  const BxValue *c = children_of(act);
  for (uint32_t i = 0; c && i < c->u.a.n; i++) collect_targets(m, c->u.a.vals[i], out, depth + 1);
}

/* The activities of a handler from its child `from` on: a state's initialization
 * (command NULL) or an EventDrivenActivity (from 1: after its event). ends: a way
 * through it that names no next state completes the process (a command's handler, an
 * initialization of a state without events). Returns whether `goto bx_end` was written. */
static bool handler_general(const BxValue *h, bool ends) {
  return !tail_only(h, true, 0) || (ends && holds_type(h, "SetStateActivity", 0) && !always_leaves(h, 0));
}

/* An activity that waits (for people, time or the host) before it is done. */
static bool waits(const BxValue *act, unsigned depth) {
  if (!act || act->kind != BX_ARRAY || switched_off(act) || depth > BX_MAX_ACTIVITY_DEPTH) return false;
  const char *t = str_of(bx_get(act, "Type"));
  if (t && (str_eq(t, "ApproveActivity") || str_eq(t, "ReviewActivity") || str_eq(t, "RequestInformationActivity") ||
            str_eq(t, "Task2Activity") || str_eq(t, "DelayActivity") || str_eq(t, "ListenActivity") ||
            str_eq(t, "WhileActivity") || !known_type(t)))
    return true;
  const BxValue *c = children_of(act);
  for (uint32_t i = 0; c && i < c->u.a.n; i++)
    if (waits(c->u.a.vals[i], depth + 1)) return true;
  return false;
}

static bool handler(M *m, const BxValue *h, uint32_t from, bool ends) {
  bool general = handler_general(h, ends);
  if (!general) {
    children_from(m, h, from);
    if (ends && !always_leaves(h, 0)) { /* no next state: the process completes */
      line(m, "goto bx_end");
      return true;
    }
    return false;
  }
  if (!m->next) {
    m->next = ident(m, "bx_next");
    sb_printf(&m->vars, "  var %s: string = \"\"  # the next state a SetStateActivity named\n", m->next);
  }
  m->next_var = true;
  children_from(m, h, from);
  m->next_var = false;
  if (always_leaves_as(h, false, 0)) return false; /* every way out terminates or cancels the state */
  PtrVec targets = {0};
  collect_targets(m, h, &targets, 0);
  if (targets.n) {
    line(m, "if %s != \"\" {", m->next);
    m->ind++;
    if (m->finalization) {
      m->in_finalization = true;
      children(m, m->finalization);
      m->in_finalization = false;
    }
    for (uint32_t i = 0; i < targets.n; i++) {
      if (i + 1 < targets.n) line(m, "%sif %s == %s {", i ? "} else " : "", m->next, quote(m, targets.items[i]));
      else if (i) line(m, "} else {");
      if (targets.n > 1) m->ind++;
      line(m, "%s = \"\"", m->next);
      line(m, "goto %s", (const char *)targets.items[i]);
      if (targets.n > 1) m->ind--;
    }
    if (targets.n > 1) line(m, "}");
    m->ind--;
    line(m, "}");
  }
  if (ends) line(m, "goto bx_end");
  return ends;
}

static void state_machine(M *m, const BxValue *root) {
  const BxValue *c = children_of(root);
  const char *initial = prop_text(m, bx_get(root, "Properties"), "InitialStateName");
  uint32_t n = c ? c->u.a.n : 0;
  for (uint32_t i = 0; i < n; i++) { /* every state's name first: goto may jump forward */
    const char *nm = str_of(bx_get(c->u.a.vals[i], "Name"));
    if (nm) add_sym_as(m, SC_CONST, arena_printf(&m->a, "\x02state %s", nm), nm, TY_NONE, NULL);
  }
  line(m, "states {");
  m->ind++;
  bool end_needed = false;
  for (int pass = 0; pass < 2; pass++) /* the initial state first */
    for (uint32_t i = 0; i < n; i++) {
      const BxValue *st = c->u.a.vals[i];
      const char *nm = str_of(bx_get(st, "Name"));
      if (!nm || (pass == 0) != str_eq(nm, initial)) continue;
      m->act_name = nm;
      m->act_type = "StateActivity";
      const char *rn = str_of(bx_get(root, "Name"));
      snprintf(m->where, sizeof m->where, "%s/%s", rn ? rn : "", nm); /* for messages */
      const char *title = prop_text(m, bx_get(st, "Properties"), "Title");
      const BxValue *sc = children_of(st);
      bool has_events = false;
      const BxValue *init = NULL;
      for (uint32_t j = 0; sc && j < sc->u.a.n; j++) {
        const char *t = str_of(bx_get(sc->u.a.vals[j], "Type"));
        if (t && str_eq(t, "EventDrivenActivity")) has_events = true;
        else if (t && str_eq(t, "StateInitializationActivity")) init = sc->u.a.vals[j];
      }
      m->finalization = state_finalization(m, st);
      if (!has_events && !init) {
        line(m, "%s %s final", state_name(m, nm), quote(m, *title ? title : nm));
        continue;
      }
      /* No events and no way out of the initialization: Bitrix completes
       * the process in this state, which is what a final state does. */
      bool final = !has_events && !holds_type(init, "SetStateActivity", 0);
      line(m, "%s %s%s {", state_name(m, nm), quote(m, *title ? title : nm), final ? " final" : "");
      m->ind++;
      /* Bitrix offers a state's commands once its initialization is done
       * (CBPStateActivity subscribes its events then): an initialization that
       * waits is a state of its own, which goes on to the state of the commands. */
      bool init_leaves = init && (handler_general(init, false) ? always_leaves_as(init, false, 0) : always_leaves(init, 0));
      if (has_events && init_leaves) {
        warn(m, "the state's initialization always names the next state, so Bitrix never offers its commands: "
                "they are left out");
        has_events = false;
      }
      const char *ready = init && has_events && waits(init, 0)
                              ? ident(m, arena_printf(&m->a, "%s_ready", state_name(m, nm))) : NULL;
      if (init) {
        line(m, "enter {");
        m->ind++;
        if (handler(m, init, 0, !has_events && !final)) end_needed = true;
        if (ready) line(m, "goto %s", ready);
        m->ind--;
        line(m, "}");
      }
      if (ready) {
        m->ind--;
        line(m, "}");
        line(m, "%s %s {", ready, quote(m, *title ? title : nm));
        m->ind++;
      }
      for (uint32_t j = 0; has_events && sc && j < sc->u.a.n; j++) {
        const BxValue *ev = sc->u.a.vals[j];
        const char *t = str_of(bx_get(ev, "Type"));
        if (!t || !str_eq(t, "EventDrivenActivity")) continue;
        const BxValue *h = child(ev, 0);
        const char *ht = h ? str_of(bx_get(h, "Type")) : NULL;
        const char *hn = h ? str_of(bx_get(h, "Name")) : NULL;
        m->act_name = str_of(bx_get(ev, "Name"));
        m->act_type = "EventDrivenActivity";
        snprintf(m->where, sizeof m->where, "%s/%s/%s", rn ? rn : "", nm, m->act_name ? m->act_name : "");
        if (!ht || !str_eq(ht, "HandleExternalEventActivity") || !hn) {
          fail(m, "a state's event is %s: only commands (HandleExternalEventActivity) are mapped in a state", ht ? ht : "missing");
          continue;
        }
        const BxValue *hp = bx_get(h, "Properties");
        const BxValue *perm = bx_get(hp, "Permission");
        const char *by = NULL;
        if (perm && ((perm->kind == BX_ARRAY && perm->u.a.n) || (perm->kind == BX_STRING && perm->u.s.len)))
          by = value(m, perm, TY_USERS, "Permission").s;
        const char *label = prop_text(m, hp, "Title");
        line(m, "command %s %s%s%s {", ident(m, hn), quote(m, *label ? label : hn), by ? " by " : "", by ? by : "");
        m->ind++;
        if (handler(m, ev, 1, true)) end_needed = true;
        m->ind--;
        line(m, "}");
      }
      m->ind--;
      line(m, "}");
    }
  m->finalization = NULL;
  m->where[0] = '\0';
  if (end_needed) line(m, "bx_end \"End\" final");
  m->ind--;
  line(m, "}");
}

/* ---- the activity switch ---------------------------------------------------------------------------- */

static const char *const known_types[] = {
    "SequentialWorkflowActivity", "StateMachineWorkflowActivity", "StateActivity", "StateInitializationActivity",
    "StateFinalizationActivity", "EventDrivenActivity", "HandleExternalEventActivity", "SetStateActivity",
    "SequenceActivity", "ParallelActivity", "ListenActivity", "WhileActivity", "IfElseActivity",
    "IfElseBranchActivity", "ApproveActivity", "ReviewActivity", "RequestInformationActivity", "DelayActivity",
    "SetFieldActivity", "SetVariableActivity", "SetStateTitleActivity", "SocNetMessageActivity",
    "IMNotifyActivity", "MailActivity", "Task2Activity", "TerminateActivity", "LogActivity",
    "EmptyBlockActivity", NULL};

static bool known_type(const char *t) {
  for (const char *const *k = known_types; *k; k++)
    if (str_eq(*k, t)) return true;
  return false;
}

static void activity(M *m, const BxValue *act) {
  if (!act) return;
  if (act->kind != BX_ARRAY) {
    fail(m, "an activity is not an array (at byte %u)", act->off);
    return;
  }
  const char *type = str_of(bx_get(act, "Type")), *name = str_of(bx_get(act, "Name"));
  if (!type || !name) {
    fail(m, "an activity without Type or Name (at byte %u)", act->off);
    return;
  }
  const char *saved_name = m->act_name, *saved_type = m->act_type;
  size_t saved_where = strlen(m->where);
  if (saved_where + strlen(name) + 2 < sizeof m->where)
    snprintf(m->where + saved_where, sizeof m->where - saved_where, "%s%s", saved_where ? "/" : "", name);
  m->act_name = name;
  m->act_type = type;
  const BxValue *p = bx_get(act, "Properties");
  const char *title = prop_text(m, p, "Title");
  const BxValue *on = bx_get(act, "Activated");
  if (++m->depth > BX_MAX_ACTIVITY_DEPTH) {
    fail(m, "activities nested more than %d deep", BX_MAX_ACTIVITY_DEPTH);
  } else if (on && str_of(on) && str_eq(str_of(on), "N")) {
    warn(m, "switched off in the designer (Activated: N): skipped, as Bitrix skips it");
  } else if (str_eq(type, "SequenceActivity") || str_eq(type, "EmptyBlockActivity") ||
             str_eq(type, "SequentialWorkflowActivity")) {
    children(m, act);
  } else {
    if (str_eq(type, "SetStateActivity") && m->finalization && !m->in_finalization &&
        (!m->next_var || cancels_state(act))) {
      /* the state's StateFinalizationActivity, which Bitrix runs on leaving it */
      m->in_finalization = true;
      children(m, m->finalization);
      m->in_finalization = false;
      m->act_name = name;
      m->act_type = type;
    }
    if (*title) line(m, "# %s: %s", comment_text(m, name), comment_text(m, title));
    if (str_eq(type, "ApproveActivity")) approve_activity(m, act, p, name);
    else if (str_eq(type, "ReviewActivity")) review_activity(m, p, name);
    else if (str_eq(type, "RequestInformationActivity")) request_activity(m, p, name);
    else if (str_eq(type, "Task2Activity")) task_activity(m, p, name);
    else if (str_eq(type, "DelayActivity")) delay_activity(m, p);
    else if (str_eq(type, "SetFieldActivity")) assignments(m, p, "FieldValue", SC_FIELD);
    else if (str_eq(type, "SetVariableActivity")) assignments(m, p, "VariableValue", SC_VAR);
    else if (str_eq(type, "SetStateTitleActivity")) {
      X t = value(m, bx_get(p, "TargetStateTitle"), TY_STRING, "TargetStateTitle");
      if (!m->state_title) {
        m->state_title = ident(m, "state_title");
        sb_printf(&m->vars, "  var %s: string = \"\"\n", m->state_title);
      }
      if (t.s) {
        line(m, "%s = %s", m->state_title, t.s);
        line(m, "log \"status: {%s}\"", m->state_title);
      }
    } else if (str_eq(type, "SocNetMessageActivity") || str_eq(type, "IMNotifyActivity") ||
               str_eq(type, "MailActivity")) {
      message_activity(m, type, p);
    } else if (str_eq(type, "TerminateActivity")) {
      const char *st = prop_text(m, p, "StateTitle");
      if (*st) {
        X t = text_value(m, bx_get(p, "StateTitle"), "StateTitle");
        if (t.s) line(m, "terminate %s", t.s);
      } else {
        line(m, "terminate");
      }
    } else if (str_eq(type, "LogActivity")) {
      X t = text_value(m, bx_get(p, "Text"), "Text");
      if (t.s) line(m, "log %s", t.s);
    } else if (str_eq(type, "WhileActivity")) while_activity(m, act, p, name);
    else if (str_eq(type, "IfElseActivity")) ifelse_activity(m, act);
    else if (str_eq(type, "ParallelActivity")) parallel_activity(m, act, false);
    else if (str_eq(type, "ListenActivity")) parallel_activity(m, act, true);
    else if (str_eq(type, "EventDrivenActivity") || str_eq(type, "HandleExternalEventActivity"))
      fail(m, "%s outside a state or a ListenActivity", type);
    else if (str_eq(type, "SetStateActivity")) {
      const char *target = prop_text(m, p, "TargetStateName");
      const char *st = state_name(m, target);
      if (!m->states || !st) fail(m, "SetStateActivity to `%s`, which is no state of this template", target);
      else if (m->next_var && !cancels_state(act)) line(m, "%s = %s", m->next, quote(m, st));
      else line(m, "goto %s", st);
    } else if (str_eq(type, "StateMachineWorkflowActivity") || str_eq(type, "StateActivity") ||
               str_eq(type, "StateInitializationActivity") || str_eq(type, "StateFinalizationActivity") ||
               str_eq(type, "IfElseBranchActivity")) {
      fail(m, "%s in the wrong place", type);
    } else if (str_eq(type, "CodeActivity")) {
      fail(m, "CodeActivity holds PHP code: bpc never runs it nor passes it on");
    } else {
      host_activity(m, type, p, name);
    }
  }
  m->depth--;
  m->where[saved_where] = '\0';
  m->act_name = saved_name;
  m->act_type = saved_type;
}

/* ---- declarations ----------------------------------------------------------------------------------- */

static void declare_group(M *m, const BxValue *root, const char *key, SymClass cls) {
  const BxValue *g = bx_get(root, key);
  for (uint32_t i = 0; g && g->kind == BX_ARRAY && i < g->u.a.n; i++) {
    const char *id = scalar_text(m, g->u.a.keys[i]);
    const BxValue *d = g->u.a.vals[i];
    const char *label = str_of(bx_get(d, "Name"));
    Ty ty = map_type(m, d, arena_printf(&m->a, "%s %s", key, id));
    add_sym(m, cls, id, ty, label);
  }
}

/* The declaration of a parameter, variable or constant. */
static void declare(M *m, StrBuf *b, const BxValue *root, const char *key, SymClass cls) {
  const BxValue *g = bx_get(root, key);
  for (uint32_t i = 0; g && g->kind == BX_ARRAY && i < g->u.a.n; i++) {
    const char *id = scalar_text(m, g->u.a.keys[i]);
    const BxValue *d = g->u.a.vals[i];
    Sym *s = find_sym(m, cls, id);
    const BxValue *def = bx_get(d, "Default");
    const char *deft = scalar_text(m, def);
    bool has_default = def && (def->kind == BX_ARRAY ? def->u.a.n > 0 : deft && *deft);
    const char *desc = str_of(bx_get(d, "Description"));
    const BxValue *opts = bx_get(d, "Options");
    if (desc && *desc) sb_printf(b, "  # %s\n", comment_text(m, desc));
    if (opts && opts->kind == BX_ARRAY && opts->u.a.n) {
      sb_puts(b, "  # options:");
      for (uint32_t k = 0; k < opts->u.a.n; k++)
        sb_printf(b, " %s = %s;", comment_text(m, scalar_text(m, opts->u.a.keys[k])),
                  comment_text(m, scalar_text(m, opts->u.a.vals[k]) ? scalar_text(m, opts->u.a.vals[k]) : ""));
      sb_putc(b, '\n');
    }
    X init = {NULL, TY_NONE};
    if (has_default) init = value(m, def, s->ty, id);
    else if (cls == SC_VAR && s->ty != TY_USER && s->ty != TY_DATE && s->ty != TY_DATETIME) init = literal(m, "", s->ty);
    if (has_default && !init.s) return;
    const char *label = s->label ? quote(m, s->label) : NULL;
    if (cls == SC_PARAM || (cls == SC_CONST && !init.s)) {
      /* A constant without a value is set when the template is installed:
       * here it is asked at start, as a parameter. */
      if (cls == SC_CONST) sb_printf(b, "  # constant %s: set by whoever installs the process\n", comment_text(m, id));
      else if (!truthy(bx_get(d, "Required")) && !init.s && s->ty != TY_USER && s->ty != TY_DATE &&
               s->ty != TY_DATETIME)
        init = literal(m, "", s->ty);
      sb_printf(b, "  param %s: %s%s%s%s%s\n", s->bp, ty_names[s->ty], init.s ? " = " : "", init.s ? init.s : "",
                label ? " " : "", label ? label : "");
    } else if (cls == SC_CONST) {
      sb_printf(b, "  const %s: %s = %s\n", s->bp, ty_names[s->ty], init.s);
    } else {
      sb_printf(b, "  var %s: %s%s%s\n", s->bp, ty_names[s->ty], init.s ? " = " : "", init.s ? init.s : "");
    }
  }
}

/* The process name: the file's name up to its first dot, as an identifier. */
static const char *process_name(M *m) {
  const char *base = strrchr(m->path, '/');
  base = base ? base + 1 : m->path;
  const char *dot = strchr(base, '.');
  return ident(m, arena_strndup(&m->a, base, dot && dot > base ? (size_t)(dot - base) : strlen(base)));
}

char *bx_to_bp(const char *path, const BxValue *root, StrBuf *msgs) {
  M m;
  memset(&m, 0, sizeof m);
  m.path = path;
  m.msgs = msgs;
  arena_init(&m.a);
  sb_init(&m.out);
  sb_init(&m.vars);
  char *result = NULL;
  const BxValue *tpl = bx_get(root, "TEMPLATE");
  const BxValue *top = tpl && tpl->kind == BX_ARRAY && tpl->u.a.n ? tpl->u.a.vals[0] : NULL;
  if (!top || top->kind != BX_ARRAY) {
    fail(&m, "no TEMPLATE with a root activity: not a Bitrix24 business-process template");
    goto done;
  }
  if (tpl->u.a.n > 1) warn(&m, "TEMPLATE has %u root activities; the first is imported", tpl->u.a.n);
  const char *ver = scalar_text(&m, bx_get(root, "VERSION"));
  if (ver && *ver && !str_eq(ver, "2")) warn(&m, "VERSION %s (templates of version 2 are what this reads)", ver);
  const char *proc = process_name(&m);
  const char *doc = ident(&m, "Document");
  const BxValue *fields = bx_get(root, "DOCUMENT_FIELDS");
  for (uint32_t i = 0; fields && fields->kind == BX_ARRAY && i < fields->u.a.n; i++) {
    const char *id = scalar_text(&m, fields->u.a.keys[i]);
    const BxValue *d = fields->u.a.vals[i];
    Ty ty = map_type(&m, d, arena_printf(&m.a, "the document field %s", id));
    add_sym(&m, SC_FIELD, id, ty, str_of(bx_get(d, "Name")));
  }
  declare_group(&m, root, "PARAMETERS", SC_PARAM);
  declare_group(&m, root, "VARIABLES", SC_VAR);
  declare_group(&m, root, "CONSTANTS", SC_CONST);
  survey(&m, top, 0);
  if (m.failed) goto done;
  for (uint32_t i = 0; i < m.actions.n; i++) { /* a result only where it is read */
    HostAction *h = m.actions.items[i];
    bool read = false;
    for (uint32_t k = 0; k < h->uses.n; k++) read |= is_referenced(&m, h->uses.items[k]);
    if (!read) h->result = TY_NONE;
  }
  StrBuf decls;
  sb_init(&decls);
  declare(&m, &decls, root, "PARAMETERS", SC_PARAM);
  declare(&m, &decls, root, "VARIABLES", SC_VAR);
  declare(&m, &decls, root, "CONSTANTS", SC_CONST);
  const char *root_type = str_of(bx_get(top, "Type"));
  const char *title = prop_text(&m, bx_get(top, "Properties"), "Title");
  m.ind = 1;
  if (root_type && str_eq(root_type, "StateMachineWorkflowActivity")) {
    m.states = true;
    state_machine(&m, top);
  } else if (root_type && str_eq(root_type, "SequentialWorkflowActivity")) {
    activity(&m, top);
  } else {
    fail(&m, "the root activity is %s, not SequentialWorkflowActivity or StateMachineWorkflowActivity",
         root_type ? root_type : "missing");
  }
  if (m.failed) {
    sb_free(&decls);
    goto done;
  }
  StrBuf b;
  sb_init(&b);
  const char *base = strrchr(path, '/');
  sb_printf(&b, "# Imported from the Bitrix24 template %s\n", comment_text(&m, base ? base + 1 : path));
  sb_printf(&b, "document %s {\n", doc);
  for (uint32_t i = 0; i < m.syms.n; i++) {
    Sym *s = m.syms.items[i];
    if (s->cls != SC_FIELD) continue;
    sb_printf(&b, "  %s: %s", s->bp, ty_names[s->ty]);
    const BxValue *def = s->bx[0] == '\x01' ? NULL : bx_get(bx_get(fields, s->bx), "Default");
    const char *deft = def && def->kind != BX_ARRAY ? scalar_text(&m, def) : NULL;
    if (deft && *deft) { /* a field's first value, as Bitrix gives a new element */
      X v = value(&m, def, s->ty, s->bx);
      if (v.s) sb_printf(&b, " = %s", v.s);
    }
    if (s->bx[0] == '\x01') sb_puts(&b, "  # Bitrix's \"author\" group: who started the document");
    else if (s->label && *s->label) sb_printf(&b, "  # %s", comment_text(&m, s->label));
    sb_putc(&b, '\n');
  }
  sb_puts(&b, "}\n\n");
  if (m.failed) { /* a field's Default that is no value of its type */
    sb_free(&b);
    sb_free(&decls);
    goto done;
  }
  for (uint32_t i = 0; i < m.actions.n; i++) {
    HostAction *h = m.actions.items[i];
    sb_printf(&b, "action %s(", h->bp);
    PtrVec given = {0}; /* the parameters' names so far: two keys may clean to one name */
    for (uint32_t k = 0; k < h->keys.n; k++) {
      const char *pn = h->keys.items[k];
      char *clean = arena_strdup(&m.a, pn);
      for (char *c = clean; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) *c = '_';
      const char *name = arena_printf(&m.a, "%s%s%s", clean[0] >= '0' && clean[0] <= '9' ? "_" : "",
                                      *clean ? clean : "x", bp_reserved_word(clean) ? "_" : "");
      const char *base = name;
      for (unsigned u = 2;; u++) {
        bool taken = false;
        for (uint32_t g = 0; g < given.n && !taken; g++) taken = str_eq(given.items[g], name);
        if (!taken) break;
        name = arena_printf(&m.a, "%s_%u", base, u);
      }
      ptrvec_push(&m.a, &given, (void *)name);
      sb_printf(&b, "%s%s: %s", k ? ", " : "", name, ty_names[(Ty)(uintptr_t)h->tys.items[k]]);
    }
    sb_printf(&b, ")%s%s\n", h->result ? ": " : "", h->result ? ty_names[h->result] : "");
  }
  if (m.actions.n) sb_putc(&b, '\n');
  sb_printf(&b, "process %s %s on %s {\n", proc, quote(&m, *title ? title : proc), doc);
  sb_puts(&b, decls.data ? decls.data : "");
  sb_puts(&b, m.vars.data ? m.vars.data : "");
  sb_puts(&b, m.out.data ? m.out.data : "");
  sb_puts(&b, "}\n");
  sb_free(&decls);
  result = sb_take(&b);
done:
  sb_free(&m.out);
  sb_free(&m.vars);
  arena_free(&m.a);
  return result;
}

char *bx_import(const char *path, const char *bytes, size_t len, StrBuf *msgs) {
  BxDoc doc;
  char *err = NULL;
  if (!bx_read(path, bytes, len, &doc, &err)) {
    sb_printf(msgs, "%s\n", err);
    free(err);
    return NULL;
  }
  char *text = bx_to_bp(path, doc.root, msgs);
  bx_doc_free(&doc);
  return text;
}
