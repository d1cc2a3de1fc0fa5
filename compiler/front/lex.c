/* lex.c — token values, lexical errors, and the filter between the raw
 * scanner (grammar/lexer.l) and the parser (its per-token part is inline in
 * lex_filter.h, which the parser's loop includes).
 *
 * The filter does three things for each token:
 *   1. separators: a line end becomes a SEP token when the token before it can
 *      end a statement and the token after it does not continue the line
 *      (and a statement word where only a name can stand is a name);
 *   2. nesting: the open `{ ( [` and interpolations are kept on a bounded
 *      stack; deeper than PARSE_MAX_DEPTH ends the parse. At the end of the
 *      file, blocks still open are reported once and then closed, so the
 *      parser keeps the partial tree;
 *   3. error recovery: after a syntax error the parser discards tokens up to
 *      the end of the line; a block opened on that line is skipped whole, so
 *      its `}` does not end the enclosing block early. */
#include "lex.h"
#include "lex_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lexical errors ------------------------------------------------------ */

/* The 1-based line of off. (source_position also counts the column, which
 * costs the length of the line: too much on a 10 MB line full of errors.) */
uint32_t lex_line_of(const Lexer *lx, uint32_t off) {
  const Source *src = lx->src;
  uint32_t lo = 0, hi = src->nlines;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (src->line_starts[mid] <= off) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}

/* A lexical error after a syntax error on the same line is left unsaid: the
 * parser skips the rest of that line, and the error is most likely a
 * consequence (an unclosed `{` in a string makes its closing quote open
 * another string). True when the message at off should be given. */
static bool lex_error_wanted(Lexer *lx, uint32_t off) {
  uint32_t line = lex_line_of(lx, off);
  if (line == lx->syntax_error_line) return false;
  lx->lex_error_line = line;
  return true;
}

bool lex_error_on_line_of(const Lexer *lx, uint32_t off) {
  return lx->lex_error_line != 0 && lx->lex_error_line == lex_line_of(lx, off);
}

/* Source text quoted in a message is cut short: a 10 MB token must not make
 * a 10 MB message. Returns how many bytes of s to show (whole characters). */
enum { QUOTE_MAX = 40 };
static int quoted_len(const char *s, uint32_t n) {
  if (n <= QUOTE_MAX) return (int)n;
  uint32_t k = QUOTE_MAX;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  return (int)k;
}

/* ---- the raw scanner's helpers ------------------------------------------- */

/* A comment is on its own line when only blanks precede it there. */
void lex_comment(Lexer *lx, Span span) {
  const char *text = lx->src->text;
  if (span.len > 1 && text[span.off + span.len - 1] == '\r') span.len--;
  uint32_t i = span.off;
  while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\r' ||
                   text[i - 1] == '\f' || text[i - 1] == '\v'))
    i--;
  Comment *c = arena_alloc(lx->arena, sizeof *c);
  c->span = span;
  c->own_line = i == 0 || text[i - 1] == '\n';
  ptrvec_push(lx->arena, &lx->comments, c);
}

/* ---- interned names -------------------------------------------------------- */

/* The table of names twice as big (lex_intern, lex_filter.h, when it is half full). */
void lex_grow_names(Lexer *lx) {
  uint32_t old_cap = lx->names_cap;
  InternedName *old = lx->names;
  lx->names_cap = old_cap ? old_cap * 2 : 1024;
  lx->names = xcalloc(lx->names_cap, sizeof *lx->names);
  for (uint32_t i = 0; i < old_cap; i++) {
    if (!old[i].s) continue;
    uint32_t j = old[i].hash & (lx->names_cap - 1);
    while (lx->names[j].s) j = (j + 1) & (lx->names_cap - 1);
    lx->names[j] = old[i];
  }
  free(old);
}

const char *lex_name(Lexer *lx, const char *s, uint32_t n) { return lex_intern(lx, s, n); }

/* Appends the decimal digits s[0..n) to *acc; false on int64 overflow. */
static bool add_digits(int64_t *acc, const char *s, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    int d = s[i] - '0';
    if (*acc > (INT64_MAX - d) / 10) return false;
    *acc = *acc * 10 + d;
  }
  return true;
}

static void too_large(Lexer *lx, Span at, const char *what) {
  if (lex_error_wanted(lx, at.off)) diag_error(lx->diags, at, "%s too large", what);
}

int lex_int(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value) {
  int64_t v = 0;
  if (!add_digits(&v, s, n)) {
    too_large(lx, at, "number");
    v = 0;
  }
  value->ival = v;
  return TK_INT;
}

enum { MAX_SCALE = 18 };

int lex_decimal(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value) {
  const char *dot = memchr(s, '.', n);
  uint32_t whole = (uint32_t)(dot - s), frac = n - whole - 1;
  int64_t v = 0;
  bool fits = add_digits(&v, s, whole) && add_digits(&v, dot + 1, frac);
  if (frac > MAX_SCALE) {
    if (lex_error_wanted(lx, at.off))
      diag_error(lx->diags, at, "a decimal may have at most %d digits after the point",
                 MAX_SCALE);
    v = 0;
    frac = 0;
  } else if (!fits) {
    too_large(lx, at, "number");
    v = 0;
  }
  LexDecimal *dec = arena_alloc(lx->arena, sizeof *dec);
  dec->text = arena_strndup(lx->arena, s, n);
  dec->unscaled = v;
  dec->scale = (uint8_t)frac;
  value->dec = dec;
  return TK_DECIMAL;
}

static int64_t unit_seconds(char unit) {
  switch (unit) {
  case 'w': return 7 * 24 * 3600;
  case 'd': return 24 * 3600;
  case 'h': return 3600;
  default: return 60; /* m */
  }
}

/* `4h30m`: digits and a unit, repeated; the value is in seconds. */
int lex_duration(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value) {
  int64_t total = 0;
  bool fits = true;
  for (uint32_t i = 0; i < n && fits;) {
    uint32_t start = i;
    while (s[i] >= '0' && s[i] <= '9') i++;
    int64_t count = 0, unit = unit_seconds(s[i]);
    fits = add_digits(&count, s + start, i - start) && count <= (INT64_MAX - total) / unit;
    if (fits) total += count * unit;
    i++;
  }
  if (!fits) {
    too_large(lx, at, "duration");
    total = 0;
  }
  value->dur.text = arena_strndup(lx->arena, s, n);
  value->dur.seconds = total;
  return TK_DURATION;
}

uint32_t lex_letter8_len(const char *s) {
  unsigned char a = (unsigned char)s[0], b = (unsigned char)s[1];
  if (b < 0x80 || b > 0xBF) return 0;
  if (a == 0xC3) return b == 0x97 || b == 0xB7 ? 0 : 2; /* not × and ÷ */
  if ((a >= 0xC4 && a <= 0xC9) || (a >= 0xCE && a <= 0xD3)) return 2;
  if (a == 0xD4) return b <= 0xAF ? 2 : 0;
  return 0;
}

uint32_t lex_digits_len(const char *s) {
  uint32_t n = 0;
  while (s[n] >= '0' && s[n] <= '9') n++;
  return n;
}

/* The unit words a count may be followed by, with their short form. */
static const struct {
  const char *word;
  char unit;
} unit_words[] = {
    {"minute", 'm'}, {"minutes", 'm'}, {"hour", 'h'}, {"hours", 'h'},
    {"day", 'd'},    {"days", 'd'},    {"week", 'w'}, {"weeks", 'w'},
};

int lex_unit_duration(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value) {
  uint32_t digits = lex_digits_len(s), word = digits;
  while (s[word] == ' ' || s[word] == '\t') word++;
  char unit = 0;
  uint32_t len = n - word;
  for (size_t i = 0; i < sizeof unit_words / sizeof unit_words[0]; i++)
    if (strlen(unit_words[i].word) == len && memcmp(s + word, unit_words[i].word, len) == 0)
      unit = unit_words[i].unit;
  if (!unit) return 0;
  int64_t count = 0;
  if (!add_digits(&count, s, digits) || count > INT64_MAX / unit_seconds(unit)) {
    too_large(lx, at, "duration");
    count = 0;
  }
  /* The text the formatter prints: one blank between count and word. */
  char *text = arena_alloc(lx->arena, digits + 1 + (n - word) + 1);
  memcpy(text, s, digits);
  text[digits] = ' ';
  memcpy(text + digits + 1, s + word, n - word);
  text[digits + 1 + (n - word)] = '\0';
  value->dur.text = text;
  value->dur.seconds = count * unit_seconds(unit);
  return TK_DURATION;
}

int lex_date(Lexer *lx, const char *s, uint32_t n, bool with_time, PARSE_YYSTYPE *value) {
  value->str = arena_strndup(lx->arena, s, n);
  return with_time ? TK_DATETIME : TK_DATE;
}

/* `05.03.2026` (day.month.year): one error that shows the date as it is written here,
 * `2026-03-05`, and that date as the token, so the checks go on. */
int lex_dotted_date(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value) {
  unsigned day = 0, month = 0, year = 0;
  uint32_t i = 0;
  while (i < n && s[i] != '.') day = day * 10 + (unsigned)(s[i++] - '0');
  for (i++; i < n && s[i] != '.'; i++) month = month * 10 + (unsigned)(s[i] - '0');
  for (i++; i < n; i++) year = year * 10 + (unsigned)(s[i] - '0');
  char iso[16];
  snprintf(iso, sizeof iso, "%04u-%02u-%02u", year, month, day);
  if (lex_error_wanted(lx, at.off))
    diag_error(lx->diags, at, "a date is written year-month-day: `%s`, not `%.*s`", iso, (int)n, s);
  value->str = arena_strndup(lx->arena, iso, strlen(iso));
  return TK_DATE;
}

/* `3x`, `12abc`: one error, and a number token so the parse goes on. */
int lex_bad_number(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value) {
  if (lex_error_wanted(lx, at.off))
    diag_error(lx->diags, at, "invalid number `%.*s%s`", quoted_len(s, n), s,
               (uint32_t)quoted_len(s, n) < n ? "..." : "");
  value->ival = 0;
  return TK_INT;
}

/* The escape after a backslash, or -1 for an invalid one. */
static int escaped(char c) {
  switch (c) {
  case '"': return '"';
  case '\\': return '\\';
  case 'n': return '\n';
  case 't': return '\t';
  case 'r': return '\r';
  case '{': return '{';
  case '}': return '}';
  default: return -1;
  }
}

static bool plain_string_byte(unsigned char c) {
  return c < 0x80 && c != '\\' && c != '{' && c != '}';
}

/* Whether no byte of the word w is b (the classic test for a zero byte, on w ^ b's
 * bytes: exact as a yes or no). */
static inline bool word_lacks(uint64_t w, unsigned char b) {
  const uint64_t ones = 0x0101010101010101u;
  uint64_t x = w ^ (ones * b);
  return ((x - ones) & ~x & (ones << 7)) == 0;
}

/* True when s[0..n) is its own decoding: valid UTF-8 without a backslash
 * or a brace (most string text is). Eight plain bytes a step while there
 * are (ASCII, none of `\`, `{`, `}`); the rest a byte at a time. */
static bool verbatim_text(const char *s, uint32_t n) {
  for (uint32_t i = 0; i < n;) {
    if (n - i >= 8) {
      uint64_t w = load64(s + i);
      if ((w & 0x8080808080808080u) == 0 && word_lacks(w, '\\') && word_lacks(w, '{') &&
          word_lacks(w, '}')) {
        i += 8;
        continue;
      }
    }
    unsigned char c = (unsigned char)s[i];
    if (plain_string_byte(c)) {
      i++;
      continue;
    }
    size_t k = c >= 0x80 ? utf8_seq_len((const unsigned char *)s + i, n - i) : 0;
    if (k == 0) return false;
    i += (uint32_t)k;
  }
  return true;
}

/* Decodes one run of string text: escapes, `{{` and `}}` (a lone `}` is
 * itself), with UTF-8 checked; an invalid byte becomes U+FFFD after its
 * error, so the tree holds only valid UTF-8. */
int lex_text(Lexer *lx, const char *s, uint32_t n, Span at, PARSE_YYSTYPE *value) {
  if (verbatim_text(s, n)) {
    value->text.s = arena_strndup(lx->arena, s, n);
    value->text.len = n;
    return TK_STR_TEXT;
  }
  StrBuf *b = &lx->scratch;
  b->len = 0;
  bool utf8_reported = false;
  for (uint32_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (plain_string_byte(c)) {
      uint32_t start = i;
      while (i < n && plain_string_byte((unsigned char)s[i])) i++;
      sb_putn(b, s + start, i - start);
    } else if (c == '\\') {
      /* The pattern guarantees a byte after the backslash. */
      int e = escaped(s[i + 1]);
      size_t k = utf8_seq_len((const unsigned char *)s + i + 1, n - i - 1);
      if (k == 0) k = 1;
      if (e >= 0) {
        sb_putc(b, (char)e);
      } else if (lex_error_wanted(lx, at.off + i)) {
        diag_error(lx->diags, span_make(at.off + i, (uint32_t)(1 + k)),
                   "invalid escape `\\%.*s` in string", (int)k, s + i + 1);
      }
      i += 1 + (uint32_t)k;
    } else if (c == '{' || c == '}') {
      sb_putc(b, (char)c);
      i += i + 1 < n && s[i + 1] == (char)c ? 2 : 1;
    } else {
      size_t k = utf8_seq_len((const unsigned char *)s + i, n - i);
      if (k > 0) {
        sb_putn(b, s + i, k);
        i += (uint32_t)k;
        continue;
      }
      if (!utf8_reported && lex_error_wanted(lx, at.off + i))
        diag_error(lx->diags, span_make(at.off + i, 1), "invalid UTF-8 in string");
      utf8_reported = true;
      sb_puts(b, "\xEF\xBF\xBD");
      i++;
    }
  }
  value->text.s = arena_strndup(lx->arena, b->len ? b->data : "", b->len);
  value->text.len = (uint32_t)b->len;
  return TK_STR_TEXT;
}

/* How to write what a character that starts no token was likely meant for. */
static const char *bad_char_hint(const char *s, uint32_t n, size_t k) {
  static const struct {
    const char *chars, *hint;
  } hints[] = {
      {"&&", "; write `and`"},
      {"&", "; write `and`"},
      {"||", "; write `or`"},
      {"|", "; write `or`"},
      {"!", "; write `not` (and `!=` for not equal)"},
      {"'", "; strings are written in double quotes: \"text\""},
      {"\xE2\x80\x9C", "; strings are written in plain double quotes: \"text\""},
      {"\xE2\x80\x9D", "; strings are written in plain double quotes: \"text\""},
      {"\xC2\xAB", "; strings are written in plain double quotes: \"text\""},
      {"\xC2\xA0", "; a no-break space: write a plain space"},
      {"\xE2\x80\x94", "; write `-` for minus"},
      {"\xE2\x80\x93", "; write `-` for minus"},
  };
  for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
    size_t len = strlen(hints[i].chars);
    if (len <= n && memcmp(s, hints[i].chars, len) == 0 && (len >= k)) return hints[i].hint;
  }
  if ((unsigned char)s[0] >= 0x80)
    return "; names are written with letters (Latin, Greek or Cyrillic), digits and `_`";
  return "";
}

/* A run of characters that start no token: one error, and at most one such
 * error a line, so a binary file gives a handful of messages, not thousands. */
void lex_bad_chars(Lexer *lx, const char *s, uint32_t n, Span at) {
  (void)n;
  uint32_t line = lex_line_of(lx, at.off);
  if (line == lx->bad_char_line) return;
  lx->bad_char_line = line;
  if (!lex_error_wanted(lx, at.off)) return;
  unsigned char c = (unsigned char)s[0];
  size_t k = c >= 0x80 ? utf8_seq_len((const unsigned char *)s, n) : 1;
  if (c >= 0x80 && k == 0)
    diag_error(lx->diags, at, "invalid UTF-8 (byte 0x%02x): a `.bp` file is UTF-8 text", c);
  else if (c < 0x20 || c == 0x7f || k == 0)
    diag_error(lx->diags, at, "unexpected byte 0x%02x", c);
  else
    diag_error(lx->diags, at, "unexpected character `%.*s`%s", (int)k, s,
               bad_char_hint(s, n, k));
}

void lex_unterminated(Lexer *lx) {
  if (lx->unwinding) return;
  lx->unwinding = true;
  if (lex_error_wanted(lx, lx->quote))
    diag_error(lx->diags, span_make(lx->quote, 1), "unterminated string");
}

/* ---- 2. nesting -------------------------------------------------------------- */

int lex_closer_of(int opener) {
  switch (opener) {
  case TK_LBRACE: return TK_RBRACE;
  case TK_LPAREN: return TK_RPAREN;
  case TK_LBRACKET: return TK_RBRACKET;
  case TK_INTERP_BEGIN: return TK_INTERP_END;
  default: return 0;
  }
}

int lex_innermost_open(const Lexer *lx, Span *at) {
  if (lx->depth == 0) return 0;
  *at = lx->open_at[lx->depth - 1];
  return lx->open_kind[lx->depth - 1];
}

void lex_too_deep(Lexer *lx, Span at) {
  diag_error(lx->diags, at, "nesting deeper than %d levels", PARSE_MAX_DEPTH);
  lx->stopped = true;
}

/* The end of the file. With blocks open: first TK_EOF_OPEN, which the parser
 * reports ("unexpected end of file, expected `}`"); then one `}` per open
 * block (each followed by a SEP through with_separators), so the parser's
 * recovery completes the enclosing constructs instead of giving up. */
LexToken lex_at_end(Lexer *lx) {
  Span end = span_make(lx->src->len, 0);
  lx->skip_depth = 0;
  lx->skip_interp = 0;
  if (!block_open(lx)) return make_token(TK_EOF, end);
  if (!lx->eof_open_sent) {
    lx->eof_open_sent = true;
    return make_token(TK_EOF_OPEN, end);
  }
  /* Down to and including the innermost `{`: every call pops, so this ends. */
  while (lx->open_kind[lx->depth - 1] != TK_LBRACE) lx->depth--;
  lx->depth--;
  lx->prev = TK_RBRACE;
  lx->last_closed_block = true;
  return make_token(TK_RBRACE, end);
}


/* ---- 3. error recovery --------------------------------------------------- */

/* After a syntax error the parser discards tokens until it can go on after
 * an `error` symbol: at a SEP or at the `}` that closes the current block.
 * A block opened meanwhile is skipped here, whole, so its own `}` is not
 * taken for the end of the enclosing block. */
void lex_syntax_error(Lexer *lx, Span at) {
  lx->syntax_error_line = lex_line_of(lx, at.off);
  switch (lx->last.kind) {
  case TK_SEP: case TK_EOF: case TK_EOF_OPEN:
    return; /* the parser resumes right at it */
  case TK_RBRACE:
    if (lx->last_closed_block) return;
    break;
  case TK_LBRACE:
    /* The parser drops this `{`: skip its block (see may_skip_block). */
    if (may_skip_block(lx, lx->depth - 1)) {
      lx->depth--;
      lx->skip_depth = 1;
    }
    break;
  default:
    break;
  }
  lx->recovering = true;
}

/* ---- the filter's interface ------------------------------------------------ */

/* Text never holds a NUL byte: a file that does is binary (an executable, an
 * archive, a bundle given by mistake). One message says so, instead of one
 * for every line of noise. */
static void refuse_binary(Lexer *lx) {
  const char *nul = memchr(lx->src->text, '\0', lx->src->len);
  if (!nul) return;
  uint32_t off = (uint32_t)(nul - lx->src->text);
  diag_error(lx->diags, span_make(off, 1),
             "unexpected byte 0x00: this looks like a binary file, not `.bp` text");
  lx->stopped = true;
}

void lex_init_at(Lexer *lx, const Source *src, uint32_t from, Diags *diags, Arena *arena) {
  memset(lx, 0, sizeof *lx);
  lx->src = src;
  lx->diags = diags;
  lx->arena = arena;
  lx->pos = from;
  sb_init(&lx->scratch);
  lex_scanner_open(lx);
}

void lex_init(Lexer *lx, const Source *src, Diags *diags, Arena *arena) {
  lex_init_at(lx, src, 0, diags, arena);
  refuse_binary(lx);
}

void lex_free(Lexer *lx) {
  lex_scanner_close(lx);
  sb_free(&lx->scratch);
  free(lx->names);
}

int lex_next(Lexer *lx, PARSE_YYSTYPE *value, Span *span) {
  return lex_filter_next(lx, value, span);
}

Span lex_last_span(const Lexer *lx) { return lx->last.span; }

Comment *lex_comments(Lexer *lx, uint32_t *n) {
  *n = lx->comments.n;
  if (lx->comments.n == 0) return NULL;
  Comment *out = arena_alloc(lx->arena, lx->comments.n * sizeof *out);
  for (uint32_t i = 0; i < lx->comments.n; i++) out[i] = *(Comment *)lx->comments.items[i];
  return out;
}

LexToken *lex_all(const Source *src, Diags *diags, Arena *arena, uint32_t *n) {
  Lexer *lx = xmalloc(sizeof *lx);
  lex_init(lx, src, diags, arena);
  uint32_t cap = 64, count = 0;
  LexToken *toks = arena_alloc(arena, cap * sizeof *toks);
  for (;;) {
    if (count == cap) {
      LexToken *bigger = arena_alloc(arena, 2 * cap * sizeof *toks);
      memcpy(bigger, toks, cap * sizeof *toks);
      toks = bigger;
      cap *= 2;
    }
    LexToken *t = &toks[count++];
    t->kind = lex_next(lx, &t->value, &t->span);
    if (t->kind == TK_EOF || t->kind == TK_EOF_OPEN) break;
  }
  lex_free(lx);
  free(lx);
  *n = count;
  return toks;
}

const char *lex_token_name(int kind) { return parse_token_name(kind); }
