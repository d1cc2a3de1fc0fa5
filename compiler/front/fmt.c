/* fmt.c — `bpc fmt`: prints a syntax tree back as canonical `.bp` text.
 *
 * The tree holds no layout, so the printer decides it: one member, field or
 * statement a line, clauses in the order of LANGUAGE.md, the fewest
 * parentheses the precedence needs. What the tree lacks — comments and blank
 * lines — comes from the source text through the nodes' spans:
 *
 *  - Output is a sequence of "line elements" (a member, a statement, a state,
 *    a closing brace, an own-line comment), each starting at a source offset.
 *    Before an element starts its line, every comment that stands before that
 *    offset in the source is printed: a trailing comment at the end of the
 *    line being finished, an own-line comment on a line of its own.
 *  - A blank line in the source between two elements becomes one blank line,
 *    except right after a `{` and before a `}`; top-level items always get
 *    exactly one.
 *
 * Every recursive walk here follows the tree, whose depth the parser bounds
 * (PARSE_MAX_DEPTH), so the C stack cannot overflow. */
#include "fmt.h"

#include <string.h>

/* A block printed on one line must fit in this many columns. */
enum { MAX_LINE_COLUMNS = 100 };

/* Whether a blank line may precede a line element. */
typedef enum BlankRule {
  BLANK_KEEP,  /* when the source has one there */
  BLANK_NEVER, /* a closing brace, a step's `remind` / `on timeout` */
  BLANK_FORCE  /* a top-level item (the first line of its comments) */
} BlankRule;

typedef struct Fmt {
  StrBuf out;
  const char *src;
  const Comment *comments; /* in source order */
  uint32_t ncomments;
  uint32_t next_comment; /* comments before this index are printed */
  uint32_t last_end;     /* source offset just past the last printed element */
  int depth;             /* indentation level of the lines started next */
  size_t line_start;     /* where the current line begins in out */
  bool after_open;       /* the current line opened a body with `{` */
  bool line_has_comment; /* the current line ends in a comment: no code may follow */
} Fmt;

static uint32_t span_end(Span s) { return s.off + s.len; }

static void put(Fmt *f, const char *s) { sb_puts(&f->out, s); }

static void put_name(Fmt *f, Name n) {
  if (n.s) put(f, n.s);
}

/* ---- lines, blank lines and comments ------------------------------------ */

/* Does the source between the last printed element and off hold a blank
 * line? Only a line with nothing on it counts: the gap may hold tokens the
 * printer moves, such as the `else {` of `}` / `else {` written on two lines. */
static bool source_gap_has_blank(const Fmt *f, uint32_t off) {
  bool line_empty = false; /* only blanks since the last newline */
  for (uint32_t i = f->last_end; i < off; i++) {
    char c = f->src[i];
    if (c == '\n') {
      if (line_empty) return true;
      line_empty = true;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      line_empty = false;
    }
  }
  return false;
}

static bool wants_blank(const Fmt *f, uint32_t off, BlankRule rule) {
  if (f->out.len == 0 || f->after_open) return false;
  if (rule == BLANK_FORCE) return true;
  return rule == BLANK_KEEP && source_gap_has_blank(f, off);
}

/* Ends the current line (adding a blank one if asked) and indents the next. */
static void new_line(Fmt *f, bool blank) {
  if (f->out.len > 0) {
    sb_putc(&f->out, '\n');
    if (blank) sb_putc(&f->out, '\n');
  }
  f->line_start = f->out.len;
  for (int i = 0; i < f->depth; i++) put(f, "  ");
  f->after_open = false;
  f->line_has_comment = false;
}

/* The comment's text without the blanks (or CR) that ended its line. */
static void put_comment(Fmt *f, const Comment *c) {
  uint32_t len = c->span.len;
  while (len > 0 && (f->src[c->span.off + len - 1] == ' ' || f->src[c->span.off + len - 1] == '\t' ||
                     f->src[c->span.off + len - 1] == '\r'))
    len--;
  sb_putn(&f->out, f->src + c->span.off, len);
  f->line_has_comment = true;
  if (span_end(c->span) > f->last_end) f->last_end = span_end(c->span);
}

/* Prints every comment that stands before source offset `before`. A trailing
 * comment goes at the end of the current line when that line still ends in
 * code; the others get lines of their own at the current depth. Returns the
 * rule for the element that follows them: a forced blank line is spent on the
 * first comment. */
static BlankRule flush_comments(Fmt *f, uint32_t before, BlankRule rule) {
  while (f->next_comment < f->ncomments && f->comments[f->next_comment].span.off < before) {
    const Comment *c = &f->comments[f->next_comment++];
    if (!c->own_line && f->out.len > 0 && !f->line_has_comment) {
      put(f, "  ");
      put_comment(f, c);
      continue;
    }
    new_line(f, wants_blank(f, c->span.off, rule == BLANK_FORCE ? BLANK_FORCE : BLANK_KEEP));
    put_comment(f, c);
    rule = rule == BLANK_FORCE ? BLANK_KEEP : rule;
  }
  return rule;
}

/* Starts the line of the element whose source begins at off. */
static void open_line(Fmt *f, uint32_t off, BlankRule rule) {
  rule = flush_comments(f, off, rule);
  new_line(f, wants_blank(f, off, rule));
}

/* Records that the element printed last ended at source offset end. */
static void end_element(Fmt *f, uint32_t end) {
  if (end > f->last_end) f->last_end = end;
}

/* The current line ends with `{` and the lines after it are one level in. */
static void open_body(Fmt *f) {
  put(f, "{");
  f->after_open = true;
  f->depth++;
}

/* Closes a body whose source ends at end (just past its `}`); the comments
 * left inside it are printed at the body's depth. */
static void close_body(Fmt *f, uint32_t end) {
  flush_comments(f, end, BLANK_KEEP);
  f->depth--;
  new_line(f, false);
  put(f, "}");
  end_element(f, end);
}

/* Is there a comment in the source range [off, end) not printed yet? */
static bool comments_within(const Fmt *f, uint32_t off, uint32_t end) {
  for (uint32_t i = f->next_comment; i < f->ncomments && f->comments[i].span.off < end; i++)
    if (f->comments[i].span.off >= off) return true;
  return false;
}

static bool source_has_newline(const Fmt *f, Span s) {
  return memchr(f->src + s.off, '\n', s.len) != NULL;
}

/* Where the single character ch stands at or after off, skipping blanks,
 * separators and comments; off itself when something else comes first. Used
 * for the braces of a request's fields, which the tree does not record. */
static uint32_t find_after(const Fmt *f, uint32_t off, char ch) {
  uint32_t i = off;
  for (;;) {
    char c = f->src[i];
    if (c == ch) return i;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == ',') {
      i++;
    } else if (c == '#') {
      while (f->src[i] != '\n' && f->src[i] != '\0') i++;
    } else {
      return off;
    }
  }
}

static size_t line_columns(const Fmt *f) {
  return utf8_count(f->out.data + f->line_start, f->out.len - f->line_start);
}

/* ---- expressions --------------------------------------------------------- */

/* Precedence levels, lowest first. */
enum {
  PREC_COND,    /* c ? a : b, right-associative */
  PREC_OR,
  PREC_AND,
  PREC_NOT,
  PREC_COMPARE, /* == != < <= > >= in, non-associative */
  PREC_ADD,
  PREC_MUL,
  PREC_NEG,
  PREC_POSTFIX  /* names, literals, .member, calls, lists */
};

static int binary_prec(BinaryOp op) {
  switch (op) {
  case B_OR: return PREC_OR;
  case B_AND: return PREC_AND;
  case B_ADD: case B_SUB: return PREC_ADD;
  case B_MUL: case B_DIV: case B_MOD: return PREC_MUL;
  default: return PREC_COMPARE;
  }
}

static const char *binary_text(BinaryOp op) {
  static const char *const text[] = {
      [B_ADD] = "+", [B_SUB] = "-", [B_MUL] = "*", [B_DIV] = "/", [B_MOD] = "%",
      [B_EQ] = "==", [B_NE] = "!=", [B_LT] = "<", [B_LE] = "<=", [B_GT] = ">",
      [B_GE] = ">=", [B_AND] = "and", [B_OR] = "or", [B_IN] = "in"};
  return (unsigned)op < sizeof text / sizeof *text && text[op] ? text[op] : "?";
}

static int expr_prec(const Expr *e) {
  switch (e->kind) {
  case E_COND: return PREC_COND;
  case E_BINARY: return binary_prec(e->op);
  case E_UNARY: return e->u.unary.op == U_NOT ? PREC_NOT : PREC_NEG;
  /* a folded negative literal reads like a negation */
  case E_INT: return e->u.ival < 0 ? PREC_NEG : PREC_POSTFIX;
  case E_DECIMAL: return e->u.dec.text && e->u.dec.text[0] == '-' ? PREC_NEG : PREC_POSTFIX;
  default: return PREC_POSTFIX;
  }
}

static void fmt_expr(Fmt *f, const Expr *e, int min_prec);

static void fmt_expr_list(Fmt *f, Expr *const *items, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (i) put(f, ", ");
    fmt_expr(f, items[i], PREC_COND);
  }
}

/* Text inside a string literal, escaped so the lexer reads it back as is. */
static void put_string_text(Fmt *f, const char *s, uint32_t len) {
  for (uint32_t i = 0; i < len; i++) {
    switch (s[i]) {
    case '"': put(f, "\\\""); break;
    case '\\': put(f, "\\\\"); break;
    case '\n': put(f, "\\n"); break;
    case '\t': put(f, "\\t"); break;
    case '\r': put(f, "\\r"); break;
    case '{': put(f, "{{"); break;
    case '}': put(f, "}}"); break;
    default: sb_putc(&f->out, s[i]);
    }
  }
}

/* "text {expr} text": interpolated expressions are formatted like any other,
 * strings inside them included. */
static void fmt_string(Fmt *f, const Expr *e) {
  put(f, "\"");
  for (uint32_t i = 0; i < e->u.str.n; i++) {
    const StrPart *part = &e->u.str.parts[i];
    if (part->expr) {
      put(f, "{");
      fmt_expr(f, part->expr, PREC_COND);
      put(f, "}");
    } else if (part->text) {
      put_string_text(f, part->text, part->len);
    }
  }
  put(f, "\"");
}

static void fmt_binary(Fmt *f, const Expr *e) {
  int prec = binary_prec(e->op);
  /* left-associative levels accept their own level on the left; comparisons
   * chain on neither side */
  fmt_expr(f, e->u.binary.lhs, prec == PREC_COMPARE ? prec + 1 : prec);
  sb_printf(&f->out, " %s ", binary_text(e->op));
  fmt_expr(f, e->u.binary.rhs, prec + 1);
}

static void fmt_unary(Fmt *f, const Expr *e) {
  const Expr *operand = e->u.unary.operand;
  if (e->u.unary.op == U_NOT) {
    put(f, "not ");
    fmt_expr(f, operand, PREC_NOT);
    return;
  }
  put(f, "-");
  /* `--x` would not read back as two negations in every lexer */
  fmt_expr(f, operand, expr_prec(operand) == PREC_NEG ? PREC_POSTFIX : PREC_NEG);
}

static void fmt_cond(Fmt *f, const Expr *e) {
  fmt_expr(f, e->u.cond.cond, PREC_OR);
  put(f, " ? ");
  fmt_expr(f, e->u.cond.arms->then, PREC_COND);
  put(f, " : ");
  fmt_expr(f, e->u.cond.arms->otherwise, PREC_COND);
}

static void fmt_expr_bare(Fmt *f, const Expr *e) {
  switch (e->kind) {
  case E_INT: sb_printf(&f->out, "%lld", (long long)e->u.ival); break;
  case E_DECIMAL: put(f, e->u.dec.text ? e->u.dec.text : "0"); break;
  case E_BOOL: put(f, e->u.bval ? "true" : "false"); break;
  case E_DURATION: put(f, e->u.dur.text ? e->u.dur.text : "0s"); break;
  case E_STRING: fmt_string(f, e); break;
  case E_LIST:
    put(f, "[");
    fmt_expr_list(f, e->u.list.items, e->u.list.n);
    put(f, "]");
    break;
  case E_NAME: put(f, e->u.name.s ? e->u.name.s : ""); break;
  case E_FIELD:
    /* `7.f` would read as a malformed number: `(7).f` */
    fmt_expr(f, e->u.field.obj,
             e->u.field.obj && e->u.field.obj->kind == E_INT ? PREC_POSTFIX + 1 : PREC_POSTFIX);
    put(f, ".");
    put_name(f, expr_member(e));
    break;
  case E_CALL:
    if (e->literal) {
      put(f, e->u.call.args[0]->u.str.parts[0].text);
      break;
    }
    put_name(f, expr_fn(e));
    put(f, "(");
    fmt_expr_list(f, e->u.call.args, e->nargs);
    put(f, ")");
    break;
  case E_UNARY: fmt_unary(f, e); break;
  case E_BINARY: fmt_binary(f, e); break;
  case E_COND: fmt_cond(f, e); break;
  case E_ERROR: break;
  }
}

/* Prints e, in parentheses when its operator binds looser than min_prec. */
static void fmt_expr(Fmt *f, const Expr *e, int min_prec) {
  if (!e) return;
  bool parens = expr_prec(e) < min_prec;
  if (parens) put(f, "(");
  fmt_expr_bare(f, e);
  if (parens) put(f, ")");
}

/* ` EXPR` for an optional clause operand such as a label or a title. */
static void fmt_opt_expr(Fmt *f, const char *before, const Expr *e) {
  if (!e || e->kind == E_ERROR) return;
  put(f, before);
  fmt_expr(f, e, PREC_COND);
}

static void fmt_type_suffix(Fmt *f, const TypeRef *t) {
  if (!t->name.s) return;
  put(f, ": ");
  put(f, t->name.s);
}

/* ---- blocks and statements ------------------------------------------------ */

static void fmt_stmt(Fmt *f, const Stmt *s);

/* A statement that prints as one line with nothing nested: the only kind a
 * block may hold when printed as `{ stmt }`. */
static bool stmt_is_flat(const Stmt *s) {
  switch (s->kind) {
  case S_IF: case S_WHILE: case S_LOOP: case S_FOR: case S_PARALLEL: case S_ERROR: case S_TRY:
    return false;
  case S_HUMAN:
    return s->u.human->kind != H_REQUEST && s->u.human->nreminds == 0 && !s->u.human->on_timeout &&
           s->u.human->nafters == 0 && s->u.human->nonmsgs == 0;
  case S_RECEIVE: return !s->u.receive.braces;
  default:
    return true;
  }
}

static bool block_may_be_one_line(const Fmt *f, const Block *b) {
  return b->n == 1 && stmt_is_flat(b->stmts[0]) && !source_has_newline(f, b->span) &&
         !comments_within(f, b->span.off, span_end(b->span));
}

static void fmt_stmt_lines(Fmt *f, Stmt *const *stmts, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const Stmt *s = stmts[i];
    if (s->kind == S_ERROR) continue;
    open_line(f, s->span.off, BLANK_KEEP);
    fmt_stmt(f, s);
    end_element(f, span_end(s->span));
  }
}

/* Prints a block at the end of the current line. With may_collapse, a block
 * written on one line with one flat statement stays `{ stmt }` when it fits. */
static void fmt_block(Fmt *f, const Block *b, bool may_collapse) {
  if (!b) { /* only in a tree cut short by a syntax error */
    put(f, "{}");
    return;
  }
  uint32_t end = span_end(b->span);
  if (b->n == 0 && !comments_within(f, b->span.off, end)) {
    put(f, "{}");
    end_element(f, end);
    return;
  }
  if (may_collapse && block_may_be_one_line(f, b)) {
    size_t mark = f->out.len;
    put(f, "{ ");
    fmt_stmt(f, b->stmts[0]);
    put(f, " }");
    if (line_columns(f) <= MAX_LINE_COLUMNS) {
      end_element(f, end);
      return;
    }
    f->out.len = mark; /* too wide: print it open */
    f->out.data[mark] = '\0';
  }
  open_body(f);
  fmt_stmt_lines(f, b->stmts, b->n);
  close_body(f, end);
}

static void fmt_who(Fmt *f, Expr *const *who, uint32_t n) {
  put(f, " ");
  fmt_expr_list(f, who, n);
}

static void fmt_if(Fmt *f, const Stmt *s) {
  bool has_else = s->u.if_.n > 1 || s->u.if_.otherwise;
  for (uint32_t i = 0; i < s->u.if_.n; i++) {
    put(f, i ? " else if " : "if ");
    fmt_expr(f, s->u.if_.conds[i], PREC_COND);
    put(f, " ");
    fmt_block(f, s->u.if_.blocks[i], !has_else);
  }
  if (s->u.if_.otherwise) {
    put(f, " else ");
    fmt_block(f, s->u.if_.otherwise, false);
  }
}

/* try { } catch ["A", "B"] [as e] { } ...: the clauses on the line of the closing brace,
 * like `else` */
static void fmt_try(Fmt *f, const Stmt *s) {
  put(f, "try ");
  fmt_block(f, s->u.try_.body, false);
  for (uint32_t i = 0; i < s->u.try_.n; i++) {
    const Catch *c = s->u.try_.catches[i];
    put(f, " catch ");
    for (uint32_t k = 0; k < c->ncodes; k++) {
      if (k) put(f, ", ");
      fmt_expr(f, c->codes[k], PREC_COND);
    }
    if (c->ncodes) put(f, " ");
    if (c->var.s) {
      put(f, "as ");
      put_name(f, c->var);
      put(f, " ");
    }
    fmt_block(f, c->body, false);
  }
}

/* parallel [any] { branch { } ... } */
static void fmt_parallel(Fmt *f, const Stmt *s) {
  put(f, s->u.parallel.any ? "parallel any " : "parallel ");
  uint32_t end = span_end(s->span);
  if (s->u.parallel.n == 0 && !comments_within(f, s->span.off, end)) {
    put(f, "{}");
    return;
  }
  open_body(f);
  for (uint32_t i = 0; i < s->u.parallel.n; i++) {
    const Block *b = s->u.parallel.branches[i];
    open_line(f, b->span.off, BLANK_KEEP);
    put(f, "branch ");
    fmt_block(f, b, true);
  }
  close_body(f, end);
}

static const char *const human_keyword[] = {
    [H_TASK] = "task", [H_APPROVE] = "approve", [H_REVIEW] = "review", [H_REQUEST] = "request"};

static const char *const mode_word[] = {
    [MODE_DEFAULT] = "", [MODE_ANY] = "any", [MODE_ALL] = "all",
    [MODE_MAJORITY] = "majority", [MODE_VOTE] = "vote", [MODE_BITRIX] = "bitrix"};

/* `{ FIELD: TYPE "label" ... }` of a request, one field a line. The tree does
 * not keep the braces, so the source is searched for them. */
static void fmt_request_fields(Fmt *f, const HumanStep *h) {
  uint32_t after = h->title ? span_end(h->title->span) : 0;
  uint32_t lbrace = find_after(f, after, '{');
  uint32_t rbrace = find_after(f, h->nfields ? span_end(h->fields[h->nfields - 1].span) : lbrace + 1, '}');
  put(f, " ");
  if (h->nfields == 0 && !comments_within(f, lbrace, rbrace)) {
    put(f, "{}");
    return;
  }
  open_body(f);
  for (uint32_t i = 0; i < h->nfields; i++) {
    const RequestField *field = &h->fields[i];
    open_line(f, field->span.off, BLANK_KEEP);
    put_name(f, field->name);
    fmt_type_suffix(f, &field->type);
    fmt_opt_expr(f, " ", field->label);
    end_element(f, span_end(field->span));
  }
  close_body(f, rbrace + 1);
}

static void fmt_mode(Fmt *f, const HumanStep *h) {
  if (h->mode == MODE_DEFAULT || (unsigned)h->mode > MODE_BITRIX) return;
  put(f, " mode ");
  put(f, mode_word[h->mode]);
  if ((h->mode == MODE_VOTE || h->mode == MODE_BITRIX) && h->vote_percent) {
    put(f, " ");
    fmt_expr(f, h->vote_percent, PREC_POSTFIX);
    put(f, "%");
  }
}

/* `after D [every P [times N]] { }`: those from the k-th on that are written before
 * offset `before` (the handlers keep the order they are written in, and so the comments
 * between them their places); returns the next one. */
static uint32_t fmt_afters(Fmt *f, const HumanStep *h, uint32_t k, uint32_t before) {
  for (; k < h->nafters && h->afters[k].span.off < before; k++) {
    const After *a = &h->afters[k];
    open_line(f, a->span.off, BLANK_NEVER);
    put(f, "after ");
    fmt_expr(f, a->delay, PREC_COND);
    if (a->every) put(f, " every "), fmt_expr(f, a->every, PREC_COND);
    if (a->times) put(f, " times "), fmt_expr(f, a->times, PREC_COND);
    put(f, " ");
    fmt_block(f, a->body, true);
    end_element(f, span_end(a->body->span));
  }
  return k;
}

/* `on message NAME { }`: the m-th on that is written before offset `before`, if it comes
 * before the k-th `after` too; returns whether it printed one. */
static bool fmt_on_message(Fmt *f, const HumanStep *h, uint32_t k, uint32_t *m, uint32_t before) {
  if (*m >= h->nonmsgs || h->onmsgs[*m].span.off >= before) return false;
  if (k < h->nafters && h->afters[k].span.off < h->onmsgs[*m].span.off) return false;
  const OnMessage *o = &h->onmsgs[(*m)++];
  open_line(f, o->span.off, BLANK_NEVER);
  put(f, "on message ");
  if (o->quoted) fmt_expr(f, o->quoted, PREC_POSTFIX);
  else put_name(f, o->name);
  put(f, " ");
  fmt_block(f, o->body, true);
  end_element(f, span_end(o->body->span));
  return true;
}

/* The `after` and `on message` handlers written before offset `before`, in the order they
 * are written. */
static uint32_t fmt_more_tails(Fmt *f, const HumanStep *h, uint32_t k, uint32_t *m, uint32_t before) {
  for (;;) {
    while (fmt_on_message(f, h, k, m, before)) {}
    uint32_t limit = *m < h->nonmsgs && h->onmsgs[*m].span.off < before ? h->onmsgs[*m].span.off : before;
    uint32_t next = fmt_afters(f, h, k, limit);
    if (next == k && !(*m < h->nonmsgs && h->onmsgs[*m].span.off < before)) return k;
    k = next;
  }
}

/* `remind D before { }` and `on timeout { }`, each on its own line one level
 * deeper than the step. */
static void fmt_tails(Fmt *f, const HumanStep *h) {
  f->depth++;
  uint32_t k = 0, m = 0;
  for (uint32_t i = 0; i < h->nreminds; i++) {
    const Remind *r = &h->reminds[i];
    k = fmt_more_tails(f, h, k, &m, r->span.off);
    open_line(f, r->span.off, BLANK_NEVER);
    put(f, "remind ");
    fmt_expr(f, r->before, PREC_COND);
    put(f, " before ");
    fmt_block(f, r->body, true);
    end_element(f, span_end(r->span));
  }
  if (h->on_timeout) {
    k = fmt_more_tails(f, h, k, &m, h->on_timeout_span.off);
    open_line(f, h->on_timeout_span.off, BLANK_NEVER);
    put(f, "on timeout ");
    if (h->timeout_times) {
      put(f, "times ");
      fmt_expr(f, h->timeout_times, PREC_COND);
      put(f, " ");
    }
    fmt_block(f, h->on_timeout, true);
  }
  fmt_more_tails(f, h, k, &m, UINT32_MAX);
  f->depth--;
}

/* wait message NAME [{ FIELD: TYPE ... }]: the name as written (an identifier or a
 * string), the fields one a line as a request's. */
static void fmt_receive(Fmt *f, const Stmt *s) {
  put(f, "wait message ");
  if (s->u.receive.quoted) fmt_expr(f, s->u.receive.quoted, PREC_POSTFIX);
  else put_name(f, s->u.receive.name);
  if (!s->u.receive.braces) return;
  uint32_t after = s->u.receive.quoted ? span_end(s->u.receive.quoted->span) : span_end(s->u.receive.name.span);
  uint32_t n = s->u.receive.nfields;
  uint32_t lbrace = find_after(f, after, '{');
  uint32_t rbrace = find_after(f, n ? span_end(s->u.receive.fields[n - 1].span) : lbrace + 1, '}');
  put(f, " ");
  if (n == 0 && !comments_within(f, lbrace, rbrace)) {
    put(f, "{}");
    return;
  }
  open_body(f);
  for (uint32_t i = 0; i < n; i++) {
    const RequestField *field = &s->u.receive.fields[i];
    open_line(f, field->span.off, BLANK_KEEP);
    put_name(f, field->name);
    fmt_type_suffix(f, &field->type);
    fmt_opt_expr(f, " ", field->label);
    end_element(f, span_end(field->span));
  }
  close_body(f, rbrace + 1);
}

/* task|approve|review|request WHO "title" [fields] [mode M] [wait all] [due E] [-> r] */
static void fmt_human(Fmt *f, const HumanStep *h) {
  put(f, (unsigned)h->kind <= H_REQUEST ? human_keyword[h->kind] : "task");
  fmt_who(f, h->who, h->nwho);
  fmt_opt_expr(f, " ", h->title);
  if (h->kind == H_REQUEST) fmt_request_fields(f, h);
  fmt_mode(f, h);
  if (h->wait_all) put(f, " wait all");
  fmt_opt_expr(f, " due ", h->due);
  if (h->result.s) {
    put(f, " -> ");
    put(f, h->result.s);
  }
  fmt_tails(f, h);
}

static void fmt_call(Fmt *f, const Stmt *s) {
  put_name(f, s->u.call.action);
  put(f, "(");
  fmt_expr_list(f, s->u.call.args, s->u.call.n);
  put(f, ")");
  if (s->u.call.result) {
    put(f, " -> ");
    put(f, s->u.call.result->name.s);
  }
}

/* start PROCESS(name: expr, ...); `start PROCESS` when there are no arguments */
static void fmt_start(Fmt *f, const Stmt *s) {
  put(f, "start ");
  put_name(f, s->u.start.process);
  if (s->u.start.n == 0) return;
  put(f, "(");
  for (uint32_t i = 0; i < s->u.start.n; i++) {
    if (i) put(f, ", ");
    put_name(f, s->u.start.args[i].name);
    put(f, ": ");
    fmt_expr(f, s->u.start.args[i].value, PREC_COND);
  }
  put(f, ")");
}

/* Prints s from the current position; statements with bodies go on over
 * further lines. */
static void fmt_stmt(Fmt *f, const Stmt *s) {
  switch (s->kind) {
  case S_ASSIGN:
    put_name(f, s->u.assign.target);
    put(f, " = ");
    fmt_expr(f, s->u.assign.value, PREC_COND);
    break;
  case S_HUMAN: fmt_human(f, s->u.human); break;
  case S_IF: fmt_if(f, s); break;
  case S_WHILE:
    put(f, "while ");
    fmt_expr(f, s->u.while_.cond, PREC_COND);
    put(f, " ");
    fmt_block(f, s->u.while_.body, true);
    break;
  case S_LOOP:
    put(f, "loop ");
    fmt_block(f, s->u.loop.body, true);
    break;
  case S_FOR:
    put(f, "for ");
    put_name(f, s->u.for_.var);
    put(f, " in ");
    fmt_expr(f, s->u.for_.list, PREC_COND);
    put(f, " ");
    fmt_block(f, s->u.for_.body, true);
    break;
  case S_BREAK: put(f, "break"); break;
  case S_CONTINUE: put(f, "continue"); break;
  case S_PARALLEL: fmt_parallel(f, s); break;
  case S_WAIT:
    put(f, s->u.wait.until ? "wait until " : "wait ");
    fmt_expr(f, s->u.wait.value, PREC_COND);
    break;
  case S_RECEIVE: fmt_receive(f, s); break;
  case S_TERMINATE:
    put(f, "terminate");
    fmt_opt_expr(f, " ", s->u.terminate.reason);
    break;
  case S_NOTIFY:
    put(f, "notify");
    fmt_who(f, s->u.notify.who, s->u.notify.nwho);
    fmt_opt_expr(f, " ", s->u.notify.message);
    break;
  case S_LOG:
    put(f, "log");
    fmt_opt_expr(f, " ", s->u.log.text);
    break;
  case S_CALL: fmt_call(f, s); break;
  case S_START: fmt_start(f, s); break;
  case S_GOTO:
    put(f, "goto ");
    put_name(f, s->u.goto_.state);
    break;
  case S_REASSIGN:
    put(f, "reassign");
    fmt_who(f, s->u.reassign.who, s->u.reassign.nwho);
    fmt_opt_expr(f, " due ", s->u.reassign.due);
    break;
  case S_ADD:
    put(f, "add");
    fmt_who(f, s->u.add.who, s->u.add.nwho);
    break;
  case S_ERROR: break;
  case S_TRY: fmt_try(f, s); break;
  case S_THROW:
    put(f, "throw ");
    fmt_expr(f, s->u.throw_.code, PREC_COND);
    fmt_opt_expr(f, " ", s->u.throw_.message);
    break;
  }
}

/* ---- process members ------------------------------------------------------ */

/* start on create | start on change F, G | start manual, then [when COND] */
static void fmt_trigger(Fmt *f, const Trigger *t) {
  switch (t->kind) {
  case TRIG_MANUAL: put(f, "start manual"); break;
  case TRIG_CREATE: put(f, "start on create"); break;
  case TRIG_CHANGE:
    put(f, "start on change ");
    for (uint32_t i = 0; i < t->nfields; i++) {
      if (i) put(f, ", ");
      put_name(f, t->fields[i]);
    }
    break;
  }
  fmt_opt_expr(f, " when ", t->when);
}

static void fmt_decl(Fmt *f, const Decl *d) {
  static const char *const keyword[] = {[D_PARAM] = "param ", [D_VAR] = "var ", [D_CONST] = "const "};
  put(f, (unsigned)d->kind <= D_CONST ? keyword[d->kind] : "var ");
  put_name(f, d->name);
  fmt_type_suffix(f, &d->type);
  fmt_opt_expr(f, " = ", d->init);
  fmt_opt_expr(f, " ", d->label);
}

/* command NAME "label" [by WHO] (-> STATE | { ... }) */
static void fmt_command(Fmt *f, const Command *c) {
  put(f, "command ");
  put_name(f, c->name);
  fmt_opt_expr(f, " ", c->label);
  if (c->nby) {
    put(f, " by ");
    fmt_expr_list(f, c->by, c->nby);
  }
  if (c->body) {
    put(f, " ");
    fmt_block(f, c->body, true);
  } else {
    put(f, " -> ");
    put_name(f, c->target);
  }
}

/* The body of a state: `enter { }` and its commands, in source order (the
 * order keeps each comment beside the line it was written next to). */
static void fmt_state_body(Fmt *f, const State *st) {
  open_body(f);
  bool enter_done = st->enter == NULL;
  for (uint32_t i = 0; i <= st->ncommands; i++) {
    const Command *c = i < st->ncommands ? &st->commands[i] : NULL;
    if (!enter_done && (!c || st->enter->span.off < c->span.off)) {
      open_line(f, st->enter->span.off, BLANK_KEEP);
      put(f, "enter ");
      fmt_block(f, st->enter, true);
      enter_done = true;
    }
    if (!c) break;
    open_line(f, c->span.off, BLANK_KEEP);
    fmt_command(f, c);
    end_element(f, span_end(c->span));
  }
  close_body(f, span_end(st->span));
}

/* NAME "label" [final], with a body only when there is something in it. */
static void fmt_state(Fmt *f, const State *st) {
  put_name(f, st->name);
  fmt_opt_expr(f, " ", st->label);
  if (st->final) put(f, " final");
  uint32_t header_end = st->label ? span_end(st->label->span) : span_end(st->name.span);
  if (st->enter || st->ncommands || comments_within(f, header_end, span_end(st->span))) {
    put(f, " ");
    fmt_state_body(f, st);
  }
}

static void fmt_states(Fmt *f, const States *ss) {
  put(f, "states ");
  if (ss->n == 0 && !comments_within(f, ss->span.off, span_end(ss->span))) {
    put(f, "{}");
    return;
  }
  open_body(f);
  for (uint32_t i = 0; i < ss->n; i++) {
    open_line(f, ss->states[i].span.off, BLANK_KEEP);
    fmt_state(f, &ss->states[i]);
    end_element(f, span_end(ss->states[i].span));
  }
  close_body(f, span_end(ss->span));
}

static Span member_span(const Member *m) {
  switch (m->kind) {
  case M_TRIGGER: return m->u.trigger->span;
  case M_DECL: return m->u.decl->span;
  case M_STMT: return m->u.stmt->span;
  case M_STATES: return m->u.states->span;
  }
  return span_make(0, 0);
}

static void fmt_member(Fmt *f, const Member *m) {
  switch (m->kind) {
  case M_TRIGGER: fmt_trigger(f, m->u.trigger); break;
  case M_DECL: fmt_decl(f, m->u.decl); break;
  case M_STMT: fmt_stmt(f, m->u.stmt); break;
  case M_STATES: fmt_states(f, m->u.states); break;
  }
}

/* ---- top-level items ------------------------------------------------------ */

static void fmt_document(Fmt *f, const Document *d) {
  put(f, "document ");
  put_name(f, d->name);
  put(f, " ");
  uint32_t end = span_end(d->span);
  if (d->nfields == 0 && !comments_within(f, d->span.off, end)) {
    put(f, "{}");
    return;
  }
  open_body(f);
  for (uint32_t i = 0; i < d->nfields; i++) {
    const DocField *field = &d->fields[i];
    open_line(f, field->span.off, BLANK_KEEP);
    put_name(f, field->name);
    fmt_type_suffix(f, &field->type);
    fmt_opt_expr(f, " = ", field->init);
    end_element(f, span_end(field->span));
  }
  close_body(f, end);
}

/* action NAME(p: T, ...)[: T] */
static void fmt_action(Fmt *f, const Action *a) {
  put(f, "action ");
  put_name(f, a->name);
  put(f, "(");
  for (uint32_t i = 0; i < a->nparams; i++) {
    if (i) put(f, ", ");
    put_name(f, a->params[i].name);
    fmt_type_suffix(f, &a->params[i].type);
  }
  put(f, ")");
  fmt_type_suffix(f, &a->result);
}

static bool member_is_error(const Member *m) {
  return m->kind == M_STMT && m->u.stmt->kind == S_ERROR;
}

/* process NAME ["title"] [on DOC] { members } */
static void fmt_process(Fmt *f, const Process *p) {
  put(f, "process ");
  put_name(f, p->name);
  fmt_opt_expr(f, " ", p->title);
  if (p->doc.s) {
    put(f, " on ");
    put(f, p->doc.s);
  }
  put(f, " ");
  uint32_t end = span_end(p->span);
  if (p->nmembers == 0 && !comments_within(f, p->span.off, end)) {
    put(f, "{}");
    return;
  }
  open_body(f);
  for (uint32_t i = 0; i < p->nmembers; i++) {
    const Member *m = &p->members[i];
    if (member_is_error(m)) continue;
    Span s = member_span(m);
    open_line(f, s.off, BLANK_KEEP);
    fmt_member(f, m);
    end_element(f, span_end(s));
  }
  close_body(f, end);
}

static Span item_span(const Item *it) {
  switch (it->kind) {
  case I_DOCUMENT: return it->u.doc->span;
  case I_ACTION: return it->u.action->span;
  case I_PROCESS: return it->u.proc->span;
  }
  return span_make(0, 0);
}

char *fmt_program(const Program *p) {
  Fmt f;
  memset(&f, 0, sizeof f);
  sb_init(&f.out);
  f.src = p->src->text;
  f.comments = p->comments;
  f.ncomments = p->ncomments;
  for (uint32_t i = 0; i < p->nitems; i++) {
    const Item *it = &p->items[i];
    Span s = item_span(it);
    open_line(&f, s.off, BLANK_FORCE);
    switch (it->kind) {
    case I_DOCUMENT: fmt_document(&f, it->u.doc); break;
    case I_ACTION: fmt_action(&f, it->u.action); break;
    case I_PROCESS: fmt_process(&f, it->u.proc); break;
    }
    end_element(&f, span_end(s));
  }
  flush_comments(&f, UINT32_MAX, BLANK_KEEP);
  if (f.out.len > 0) sb_putc(&f.out, '\n');
  return sb_take(&f.out);
}
