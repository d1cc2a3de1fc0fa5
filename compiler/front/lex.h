/* lex.h — the tokens of `.bp` text, as the parser and the unit tests see them.
 *
 * Two layers. The raw scanner generated from grammar/lexer.l turns bytes into
 * tokens (a string arrives as STR_BEGIN, STR_TEXT and INTERP_BEGIN ...
 * INTERP_END pieces, STR_END) and reports lexical errors. The filter (lex.c,
 * its per-token part inline in lex_filter.h) sits between it and the parser:
 * it inserts the end-of-line separators (SEP) the grammar uses, Go style; it
 * bounds the nesting depth; and after a syntax
 * error it skips a block opened on the bad line whole, so the parser's
 * recovery resumes at the next line of the same block.
 *
 * Token kinds (TK_IDENT, TK_SEP, ...) and their values (PARSE_YYSTYPE) are the
 * parser's, from the generated parser.h. */
#ifndef BPC_LEX_H
#define BPC_LEX_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"
#include "parse.h"
#include "parser.h"
#include "util.h"

/* One token: its kind, where it was written, and its value for identifiers,
 * numbers, durations and string text. */
typedef struct LexToken {
  int kind;
  Span span;
  PARSE_YYSTYPE value;
} LexToken;

enum { NO_NEWLINE = UINT32_MAX };

/* A slot of the table of names; s is NULL in an empty one. The hash and the
 * length spare a string comparison on every probe that cannot match. */
typedef struct InternedName {
  const char *s;
  uint32_t hash, len;
} InternedName;

typedef struct Lexer {
  const Source *src;
  Diags *diags;
  Arena *arena;      /* token values and comments live here */
  void *scanner;     /* the flex scanner (yyscan_t) */
  uint32_t pos;      /* offset of the next byte flex will match */
  PtrVec comments;   /* Comment*, in source order */
  StrBuf scratch;    /* reused while decoding string text */
  /* Identifiers are interned: a name used 1000 times is stored once. An
   * open-addressing table of arena strings, at most half full (heap). */
  InternedName *names;
  uint32_t names_cap, names_used;

  /* raw scanner */
  uint32_t newline;      /* first newline since the last token, or NO_NEWLINE */
  uint32_t quote;        /* the opening quote of the outermost open string */
  bool unwinding;        /* closing the pieces of an unterminated string */
  uint32_t lex_error_line;  /* last line (1-based) with a lexical error, or 0 */
  uint32_t bad_char_line;   /* last line with an "unexpected character" */
  uint32_t syntax_error_line; /* last line with a syntax error: lexical errors
                                 later on it are consequences, and not said */

  /* separators */
  int prev;              /* kind of the last token passed on, or 0 */
  LexToken held;         /* the token a SEP was inserted before */

  /* nesting: every open `{ ( [` and interpolation passed to the parser */
  uint32_t depth;
  int open_kind[PARSE_MAX_DEPTH];
  Span open_at[PARSE_MAX_DEPTH];

  /* Four flags side by side, read as one word (`slow`) on every token: while none is
   * set (and no block is skipped), lex_filter_next takes its fast path. */
  union {
    struct {
      bool raw_done;     /* the raw scanner returned end of file */
      bool has_held;     /* `held` is the next token (a SEP was passed on before it) */
      bool stopped;      /* nested too deep: only end of file from now on */
      bool recovering;   /* the parser is discarding tokens up to a SEP or `}` (see
                            lex_syntax_error) */
    };
    uint32_t slow;
  };

  /* error recovery (see lex_syntax_error) */
  uint32_t skip_depth;   /* > 0: inside a block being skipped whole */
  uint32_t skip_interp;  /* open interpolations within the skipped block */
  bool eof_open_sent;    /* TK_EOF_OPEN was passed on; now closing blocks */
  LexToken last;         /* the last token passed on */
  int before_last;       /* the kind of the token passed on before it */
  Span before_last_span;
  bool last_closed_block; /* it was a `}` that closed an open `{` */
} Lexer;
_Static_assert(sizeof(bool) == 1, "Lexer.slow covers its four flags");

/* ---- for the parser ----------------------------------------------------- */

void lex_init(Lexer *lx, const Source *src, Diags *diags, Arena *arena);
/* The same for the text of src from the byte offset `from` on (a line's start, where
 * the scanner is at the top level), with the offsets of every token counted from
 * the start of src; the caller has made sure the text holds no NUL byte. For a
 * parse of part of a file (parse.c). */
void lex_init_at(Lexer *lx, const Source *src, uint32_t from, Diags *diags, Arena *arena);
void lex_free(Lexer *lx);
/* The next token for the parser (SEP included); 0 (end of file) at the end. */
int lex_next(Lexer *lx, PARSE_YYSTYPE *value, Span *span);
/* The parser found a syntax error at the last token passed on (at `at`):
 * discard up to the end of the line, skipping any block opened before it
 * ends, and report no lexical error later on that line. */
void lex_syntax_error(Lexer *lx, Span at);
/* The innermost open `{ ( [` or interpolation (its token kind, 0 if none). */
int lex_innermost_open(const Lexer *lx, Span *at);
/* The token that closes an opener (TK_RBRACE for TK_LBRACE, ...), or 0. */
int lex_closer_of(int opener);
Span lex_last_span(const Lexer *lx);
/* The 1-based line of a byte offset (without the cost of its column). */
uint32_t lex_line_of(const Lexer *lx, uint32_t off);
/* True when a lexical error was reported on the line holding off. */
bool lex_error_on_line_of(const Lexer *lx, uint32_t off);
/* The comments seen so far, as the array Program wants. */
Comment *lex_comments(Lexer *lx, uint32_t *n);

/* ---- for the unit tests ------------------------------------------------- */

/* Every token of src through the filter, SEP included, up to and including
 * the end of file (or TK_EOF_OPEN); the array lives in arena. */
LexToken *lex_all(const Source *src, Diags *diags, Arena *arena, uint32_t *n);
/* The name a user reads for a token kind: "identifier", "`->`", ... */
const char *lex_token_name(int kind);
/* Defined by the parser (grammar/parser.y). */
const char *parse_token_name(int token_kind);

/* ---- for the raw scanner (grammar/lexer.l) -------------------------------- */

/* Starts and stops the flex scanner over lx->src (defined in lexer.l). */
void lex_scanner_open(Lexer *lx);
void lex_scanner_close(Lexer *lx);
/* The scanner itself (flex's yylex): the next raw token's kind, its value
 * and its span. */
int lex_yylex(PARSE_YYSTYPE *value, Span *span, void *scanner);

/* A line ends at off: the first since the last token is noted (inline: once a line). */
static inline void lex_newline(Lexer *lx, uint32_t off) {
  if (lx->newline == NO_NEWLINE) lx->newline = off;
}
void lex_comment(Lexer *lx, Span span);
int lex_int(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value);
int lex_decimal(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value);
int lex_duration(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value);
/* `5 days`: digits, blanks and a unit word (day, hour, minute, week, or
 * their plurals); 0 when the word is not a unit (then nothing is said). */
int lex_unit_duration(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value);
/* A date literal `2026-03-05` or datetime `2026-03-05T10:00`, as text (the
 * checker validates it). */
int lex_date(Lexer *lx, const char *s, uint32_t n, bool with_time, PARSE_YYSTYPE *value);
/* `05.03.2026`: an error showing `2026-03-05`, and that date (TK_DATE). */
int lex_dotted_date(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value);
/* How many digits s starts with. */
uint32_t lex_digits_len(const char *s);
/* The length in bytes of the identifier letter beyond ASCII that s begins
 * with (LETTER8 of grammar/lexer.l: 2), or 0 when it begins with none. */
uint32_t lex_letter8_len(const char *s);
int lex_bad_number(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value);
int lex_text(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value);
void lex_bad_chars(Lexer *lx, const char *s, uint32_t n, Span at);
/* A newline or the end of the file inside a string: reports it once, at the
 * outermost opening quote; the scanner then closes each open piece. */
void lex_unterminated(Lexer *lx);

#endif
