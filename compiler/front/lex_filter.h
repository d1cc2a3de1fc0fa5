/* lex_filter.h — the filter between the raw scanner and the parser (lex.c says
 * what it does), inline: the parser's loop (grammar/parser.y) calls
 * lex_filter_next for every token, and lex.c's lex_next is the same function
 * for everyone else; the interning of names is here too, for the scanner's rule
 * for a name. Only lex.c, the parser and the scanner (inside the fast parser)
 * include it. */
#ifndef BPC_LEX_FILTER_H
#define BPC_LEX_FILTER_H

#include <string.h>

#include "lex.h"

/* lex.c's, for the rare cases: a statement word used as a name, a nesting too
 * deep, the end of the file. */
const char *lex_name(Lexer *lx, const char *s, uint32_t n);
void lex_too_deep(Lexer *lx, Span at);
LexToken lex_at_end(Lexer *lx);

/* ---- interned names ------------------------------------------------------------ */
/* Inline here, not in lex.c: the scanner's rule for a name (in the fast parser, where
 * flex's scanner is inline too) calls lex_intern for each of the 176,000 names of
 * 100,000 lines; lex.c keeps the growing of the table. */
void lex_grow_names(Lexer *lx);

static inline uint64_t load64(const char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline uint32_t load32(const char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Folds a word into the hash; hash_end spreads every bit over the low ones
 * the table uses (the finalizer of MurmurHash3). */
static inline uint64_t hash_mix(uint64_t h) {
  h *= 0x9E3779B97F4A7C15u;
  return h ^ (h >> 32);
}

static inline uint32_t hash_end(uint64_t h) {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDu;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53u;
  return (uint32_t)(h ^ (h >> 33));
}

/* Hashes a name eight bytes at a time (a byte at a time, FNV-1a, was most of
 * the cost of interning). Every load stays inside s[0..n): the last word is
 * the one that ends at n, overlapping the one before it; a short name is
 * read as two overlapping 4-byte words, or as its first, middle and last
 * bytes. */
static inline uint32_t name_hash(const char *s, uint32_t n) {
  uint64_t h = n;
  if (n >= 8) {
    for (uint32_t i = 0; i + 8 < n; i += 8) h = hash_mix(h ^ load64(s + i));
    h = hash_mix(h ^ load64(s + n - 8));
  } else if (n >= 4) {
    h = hash_mix(h ^ ((uint64_t)load32(s) << 32 | load32(s + n - 4)));
  } else if (n > 0) {
    unsigned first = (unsigned char)s[0], mid = (unsigned char)s[n / 2];
    h = hash_mix(h ^ (first << 16 | mid << 8 | (unsigned char)s[n - 1]));
  }
  return hash_end(h);
}

/* a[0..n) == b[0..n), compared by the same words as name_hash reads. */
static inline bool same_name(const char *a, const char *b, uint32_t n) {
  if (n >= 8) {
    for (uint32_t i = 0; i + 8 < n; i += 8)
      if (load64(a + i) != load64(b + i)) return false;
    return load64(a + n - 8) == load64(b + n - 8);
  }
  if (n >= 4) return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
  for (uint32_t i = 0; i < n; i++)
    if (a[i] != b[i]) return false;
  return true;
}

/* The one arena copy of the name s[0..n). */
#if defined(__GNUC__)
__attribute__((always_inline)) /* gcc would not, in the scanner */
#endif
static inline const char *lex_intern(Lexer *lx, const char *s, uint32_t n) {
  if (2 * (lx->names_used + 1) > lx->names_cap) lex_grow_names(lx);
  uint32_t hash = name_hash(s, n);
  uint32_t j = hash & (lx->names_cap - 1);
  for (; lx->names[j].s; j = (j + 1) & (lx->names_cap - 1)) {
    const InternedName *e = &lx->names[j];
    if (e->hash == hash && e->len == n && same_name(e->s, s, n)) return e->s;
  }
  lx->names_used++;
  lx->names[j] = (InternedName){arena_strndup(lx->arena, s, n), hash, n};
  return lx->names[j].s;
}

/* ---- 1. separators --------------------------------------------------------- */

/* Reserved words that start a statement or declaration. Where only a name
 * or an operand can stand, one of them can only be a name: `-> review`,
 * `review.approved`, `"{review.comment}"`. (`on`, `until`, `not`, `true`,
 * `false`, the operators and the clause words are never names.) */
static inline bool statement_word(int kind) {
  switch (kind) {
  case TK_DOCUMENT: case TK_ACTION: case TK_PROCESS: case TK_START: case TK_PARAM:
  case TK_VAR: case TK_CONST: case TK_TASK: case TK_APPROVE: case TK_REVIEW:
  case TK_REQUEST: case TK_NOTIFY: case TK_LOG: case TK_IF: case TK_WHILE: case TK_LOOP:
  case TK_FOR: case TK_BREAK: case TK_CONTINUE: case TK_PARALLEL: case TK_BRANCH:
  case TK_WAIT: case TK_TERMINATE: case TK_GOTO: case TK_STATES: case TK_COMMAND:
  case TK_FINAL: case TK_ENTER: case TK_REASSIGN: case TK_ADD: case TK_TRY: case TK_THROW:
    return true;
  default:
    return false;
  }
}

/* Tokens that can end a statement or declaration. Statement words are among
 * them: besides `break`, `continue`, `terminate` and `final`, any of them may
 * be a name ending a line (a state called `review`); none is followed by a
 * line break when it is a keyword. An invalid character ends a line too, so
 * the parser's recovery stops at the end of its line. */
static inline bool ends_line(int kind) {
  switch (kind) {
  case TK_IDENT: case TK_INT: case TK_DECIMAL: case TK_DURATION: case TK_DATE:
  case TK_DATETIME: case TK_STR_END:
  case TK_TRUE: case TK_FALSE: case TK_RPAREN: case TK_RBRACKET: case TK_RBRACE:
  case TK_WAIT_ALL: case TK_PERCENT: case TK_INVALID:
  case TK_WAIT_MESSAGE: /* not an end, but a line that stops here lacks its name */
    return true;
  default:
    return statement_word(kind);
  }
}

/* Tokens that continue the previous line when they start one. */
static inline bool continues_line(int kind) {
  switch (kind) {
  case TK_PLUS: case TK_MINUS: case TK_STAR: case TK_SLASH: case TK_PERCENT:
  case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE:
  case TK_AND: case TK_OR: case TK_IN: case TK_QUESTION: case TK_COLON: case TK_DOT:
  case TK_COMMA: case TK_ARROW: case TK_ELSE: case TK_REMIND: case TK_ON: case TK_MODE: case TK_AFTER:
  case TK_DUE: case TK_WAIT_ALL: case TK_BY: case TK_WHEN: case TK_LBRACE:
  case TK_RPAREN: case TK_RBRACKET: case TK_CATCH:
    return true;
  default:
    return false;
  }
}

/* Tokens after which comes a name or an operand, never a statement word. */
static inline bool name_follows(int kind) {
  switch (kind) {
  case TK_ARROW: case TK_DOT: case TK_GOTO: case TK_COMMAND: case TK_PARAM: case TK_VAR:
  case TK_CONST: case TK_FOR: case TK_DOCUMENT: case TK_ACTION: case TK_PROCESS:
  case TK_START: case TK_ASSIGN: case TK_PLUS: case TK_MINUS: case TK_STAR: case TK_SLASH:
  case TK_PERCENT: case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE:
  case TK_AND: case TK_OR: case TK_IN: case TK_NOT: case TK_QUESTION: case TK_COLON:
  case TK_COMMA: case TK_LPAREN: case TK_LBRACKET: case TK_INTERP_BEGIN: case TK_IF:
  case TK_WHILE: case TK_DUE: case TK_WAIT: case TK_UNTIL: case TK_REMIND: case TK_AFTER: case TK_TASK:
  case TK_APPROVE: case TK_REVIEW: case TK_REQUEST: case TK_NOTIFY: case TK_REASSIGN:
  case TK_ADD: case TK_BY: case TK_WHEN: case TK_THROW: case TK_WAIT_MESSAGE:
    return true;
  default:
    return false;
  }
}

/* The scanner for the fast path below: flex's own, inline, in the fast parser
 * (grammar/parser.y); lex_yylex elsewhere. */
#ifndef LEX_SCAN_FAST
#define LEX_SCAN_FAST lex_yylex
#endif

static inline LexToken make_token(int kind, Span span) {
  LexToken t;
  memset(&t, 0, sizeof t);
  t.kind = kind;
  t.span = span;
  return t;
}

/* The raw scanner's next token into *t; returns the offset of the first
 * newline before it, or NO_NEWLINE. */
static inline uint32_t raw_next(Lexer *lx, LexToken *t) {
  lx->newline = NO_NEWLINE;
  t->kind = lx->raw_done ? TK_EOF : lex_yylex(&t->value, &t->span, lx->scanner);
  if (t->kind == TK_EOF) {
    lx->raw_done = true;
    t->span = span_make(lx->src->len, 0);
  }
  return lx->newline;
}

/* The raw tokens with SEP inserted, into *t. At the end of the file a SEP
 * comes first when the last token could end a line (length 0, at the end). */
static inline void with_separators(Lexer *lx, LexToken *t) {
  bool starts_line = false; /* a statement word starting a line is a keyword */
  if (lx->has_held) {
    lx->has_held = false;
    *t = lx->held;
  } else {
    uint32_t newline = raw_next(lx, t);
    starts_line = newline != NO_NEWLINE;
    bool line_ended = t->kind == TK_EOF || (newline != NO_NEWLINE && !continues_line(t->kind));
    if (line_ended && ends_line(lx->prev)) {
      lx->held = *t;
      lx->has_held = true;
      t->kind = TK_SEP;
      if (newline != NO_NEWLINE && lx->held.kind != TK_EOF) t->span = span_make(newline, 1);
    }
  }
  if (statement_word(t->kind) && name_follows(lx->prev) && !starts_line) {
    t->kind = TK_IDENT;
    t->value.str = lex_name(lx, lx->src->text + t->span.off, t->span.len);
  }
  lx->prev = t->kind;
}

/* Pops down to the innermost opener of this kind, without crossing a
 * stronger boundary: `)` and `]` only close the top, `}` does not reach out
 * of an interpolation. False when there is nothing to close. */
static inline bool close_open(Lexer *lx, int opener) {
  for (uint32_t i = lx->depth; i > 0; i--) {
    int kind = lx->open_kind[i - 1];
    if (kind == opener) {
      lx->depth = i - 1;
      return true;
    }
    bool may_cross = opener == TK_INTERP_BEGIN || (opener == TK_LBRACE && kind != TK_INTERP_BEGIN);
    if (!may_cross) return false;
  }
  return false;
}

/* Keeps the stack of openers the parser has seen. False: too deep, stop. */
#if defined(__GNUC__)
__attribute__((always_inline)) /* in both of lex_filter_next's paths */
#endif
static inline bool track_nesting(Lexer *lx, const LexToken *t) {
  lx->last_closed_block = false;
  switch (t->kind) {
  case TK_LBRACE: case TK_LPAREN: case TK_LBRACKET: case TK_INTERP_BEGIN:
    if (lx->depth >= PARSE_MAX_DEPTH) {
      lex_too_deep(lx, t->span);
      return false;
    }
    lx->open_kind[lx->depth] = t->kind;
    lx->open_at[lx->depth] = t->span;
    lx->depth++;
    return true;
  case TK_RBRACE:
    lx->last_closed_block = close_open(lx, TK_LBRACE);
    return true;
  case TK_RPAREN:
    close_open(lx, TK_LPAREN);
    return true;
  case TK_RBRACKET:
    close_open(lx, TK_LBRACKET);
    return true;
  case TK_INTERP_END:
    close_open(lx, TK_INTERP_BEGIN);
    return true;
  case TK_SEP:
    /* No `(` or `[` stays open across a separator: one left open was on a
     * line the parser rejected. */
    while (lx->depth > 0 && (lx->open_kind[lx->depth - 1] == TK_LPAREN ||
                             lx->open_kind[lx->depth - 1] == TK_LBRACKET))
      lx->depth--;
    return true;
  default:
    return true;
  }
}

static inline bool block_open(const Lexer *lx) {
  for (uint32_t i = 0; i < lx->depth; i++)
    if (lx->open_kind[i] == TK_LBRACE) return true;
  return false;
}

/* ---- 3. error recovery --------------------------------------------------- */

/* A `{` inside an interpolation is never skipped as a block: there the
 * scanner reads its `}` as the end of the interpolation, so the braces do not
 * pair up. (The end of the interpolation closes it instead.) `depth` is the
 * number of openers below the `{`. */
static inline bool may_skip_block(const Lexer *lx, uint32_t depth) {
  for (uint32_t i = 0; i < depth; i++)
    if (lx->open_kind[i] == TK_INTERP_BEGIN) return false;
  return true;
}

/* While a block is skipped: counts its braces, but not those inside its
 * strings' interpolations (which do not pair up; the scanner keeps the
 * interpolations themselves balanced). Nothing of the block reaches the
 * parser, so its depth needs no limit. */
static inline void skip_token(Lexer *lx, const LexToken *t) {
  switch (t->kind) {
  case TK_INTERP_BEGIN: lx->skip_interp++; break;
  case TK_INTERP_END: lx->skip_interp--; break;
  case TK_LBRACE: if (lx->skip_interp == 0) lx->skip_depth++; break;
  case TK_RBRACE: if (lx->skip_interp == 0) lx->skip_depth--; break;
  default: break;
  }
}

/* ---- the filter's loop ----------------------------------------------------- */

/* The filter's loop. It is inline, and the parser calls it here, not through
 * lex_next: it runs for every token, and the call cost 17 instructions a token
 * in saving and restoring the registers the parser's own loop has saved already. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int lex_filter_next(Lexer *lx, PARSE_YYSTYPE *value, Span *span) {
  LexToken *t = &lx->last;
  lx->before_last = t->kind;
  lx->before_last_span = t->span;
  /* Nearly every token: no error being recovered from, no block skipped, no
   * token held back, the scanner not at the end. Then the loop below comes to
   * this, with fewer tests: a SEP before the token when a line ends, or the
   * token itself (a statement word where a name must stand as the name). */
  if ((lx->slow | lx->skip_depth) == 0) {
    /* The value goes straight to the parser; t keeps it only when it is needed again
     * (a token held back, the end). */
    lx->newline = NO_NEWLINE;
    int kind = LEX_SCAN_FAST(value, &t->span, lx->scanner);
    if (kind != TK_EOF) {
      uint32_t newline = lx->newline;
      if (newline != NO_NEWLINE) {
        if (!continues_line(kind) && ends_line(lx->prev)) {
          lx->held.kind = kind;
          lx->held.span = t->span;
          lx->held.value = *value;
          lx->has_held = true;
          kind = TK_SEP;
          t->span = span_make(newline, 1);
        }
      } else if (statement_word(kind) && name_follows(lx->prev)) {
        kind = TK_IDENT;
        value->str = lex_name(lx, lx->src->text + t->span.off, t->span.len);
      }
      t->kind = kind;
      lx->prev = kind;
      if (!track_nesting(lx, t)) { /* stopped */
        *t = make_token(TK_EOF, span_make(lx->src->len, 0));
        *value = t->value;
      }
      *span = t->span;
      return t->kind;
    }
    t->value = *value; /* as raw_next would have left it */
    lx->raw_done = true; /* the end: raw_next gives it to the loop again */
  }
  for (;;) {
    if (lx->stopped) {
      *t = make_token(TK_EOF, span_make(lx->src->len, 0));
      break;
    }
    with_separators(lx, t);
    if (t->kind == TK_EOF) {
      *t = lex_at_end(lx);
      break;
    }
    if (lx->skip_depth > 0 ||
        (lx->recovering && t->kind == TK_LBRACE && may_skip_block(lx, lx->depth))) {
      skip_token(lx, t);
      continue;
    }
    if (!track_nesting(lx, t)) continue; /* stopped */
    if (lx->recovering &&
        (t->kind == TK_SEP || (t->kind == TK_RBRACE && lx->last_closed_block)))
      lx->recovering = false;
    break;
  }
  *value = t->value;
  *span = t->span;
  return t->kind;
}

#endif
