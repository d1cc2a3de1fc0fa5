/* test_lexer.c — the scanner and its filter (compiler/lex.c, grammar/lexer.l):
 * every token class, values, lexical errors, the end-of-line separators, the
 * comments kept for the formatter and the nesting limit.
 *
 * Each case lexes a snippet with lex_all and compares the token kinds (SEP
 * included) and, where it matters, values, spans and messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"

/* ---- helpers ---------------------------------------------------------------- */

typedef struct Lexed {
  Source *src;
  Diags diags;
  Arena arena;
  LexToken *toks;
  uint32_t n;
} Lexed;

static Lexed *lexed_bytes(const char *text, size_t len) {
  Lexed *l = calloc(1, sizeof *l);
  char *copy = malloc(len + 1);
  memcpy(copy, text, len);
  copy[len] = '\0';
  l->src = source_new("test.bp", copy, (uint32_t)len);
  diags_init(&l->diags, l->src);
  arena_init(&l->arena);
  l->toks = lex_all(l->src, &l->diags, &l->arena, &l->n);
  return l;
}

static Lexed *lexed(const char *text) { return lexed_bytes(text, strlen(text)); }

static void lexed_free(Lexed *l) {
  arena_free(&l->arena);
  diags_free(&l->diags);
  source_free(l->src);
  free(l);
}

/* The kinds, up to and including the end of file, must be exactly these
 * (the list ends with TK_EOF). */
static void expect_kinds(const Lexed *l, const int *kinds) {
  uint32_t i = 0;
  for (; kinds[i] != TK_EOF; i++) {
    if (i >= l->n || l->toks[i].kind != kinds[i])
      fail_msg("token %u: got %s, expected %s", i,
               i < l->n ? lex_token_name(l->toks[i].kind) : "nothing",
               lex_token_name(kinds[i]));
  }
  if (i >= l->n || l->toks[i].kind != TK_EOF)
    fail_msg("token %u: got %s, expected end of file", i,
             i < l->n ? lex_token_name(l->toks[i].kind) : "nothing");
}

#define KINDS(...) ((const int[]){__VA_ARGS__, TK_EOF})

static void expect_no_errors(const Lexed *l) {
  if (l->diags.n) fail_msg("unexpected message: %s", l->diags.items[0].message);
}

/* Exactly one message, this one, at this 1-based column (of line 1, or of
 * the line given). */
static void expect_one_error_at(const Lexed *l, const char *message, uint32_t line,
                                uint32_t col) {
  assert_int_equal(l->diags.n, 1);
  assert_string_equal(l->diags.items[0].message, message);
  uint32_t got_line, got_col;
  source_position(l->src, l->diags.items[0].span.off, &got_line, &got_col);
  assert_int_equal(got_line, line);
  assert_int_equal(got_col, col);
}

static const char *text_of(const LexToken *t) { return t->value.text.s; }

/* ---- token classes ---------------------------------------------------------- */

static void test_keywords(void **state) {
  (void)state;
  static const struct {
    const char *word;
    int kind;
  } words[] = {
      {"document", TK_DOCUMENT}, {"action", TK_ACTION},   {"process", TK_PROCESS},
      {"on", TK_ON},             {"start", TK_START},     {"param", TK_PARAM},
      {"var", TK_VAR},           {"const", TK_CONST},     {"task", TK_TASK},
      {"approve", TK_APPROVE},   {"review", TK_REVIEW},   {"request", TK_REQUEST},
      {"mode", TK_MODE},         {"due", TK_DUE},         {"remind", TK_REMIND},
      {"notify", TK_NOTIFY},     {"log", TK_LOG},         {"if", TK_IF},
      {"else", TK_ELSE},         {"while", TK_WHILE},     {"loop", TK_LOOP},
      {"for", TK_FOR},           {"in", TK_IN},           {"break", TK_BREAK},
      {"continue", TK_CONTINUE}, {"parallel", TK_PARALLEL}, {"branch", TK_BRANCH},
      {"wait", TK_WAIT},         {"until", TK_UNTIL},     {"terminate", TK_TERMINATE},
      {"goto", TK_GOTO},         {"states", TK_STATES},   {"command", TK_COMMAND},
      {"by", TK_BY},             {"final", TK_FINAL},     {"enter", TK_ENTER},
      {"true", TK_TRUE},         {"false", TK_FALSE},     {"and", TK_AND},
      {"or", TK_OR},             {"not", TK_NOT},         {"reassign", TK_REASSIGN},
      {"add", TK_ADD},           {"when", TK_WHEN},
  };
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    /* Each word starts the text: nothing before it makes it a name. */
    Lexed *l = lexed(words[i].word);
    if (l->toks[0].kind != words[i].kind)
      fail_msg("`%s` lexed as %s", words[i].word, lex_token_name(l->toks[0].kind));
    assert_int_equal(l->toks[0].span.len, strlen(words[i].word));
    expect_no_errors(l);
    lexed_free(l);
  }
}

static void test_contextual_words_are_identifiers(void **state) {
  (void)state;
  Lexed *l = lexed("any all majority vote before timeout create change string int "
                      "users date len documents _x x1");
  for (uint32_t i = 0; i < 16; i++) assert_int_equal(l->toks[i].kind, TK_IDENT);
  assert_string_equal(l->toks[0].value.str, "any");
  assert_string_equal(l->toks[15].value.str, "x1");
  expect_no_errors(l);
  lexed_free(l);
}

static void test_identifiers_are_interned(void **state) {
  (void)state;
  Lexed *l = lexed("title x title");
  assert_ptr_equal(l->toks[0].value.str, l->toks[2].value.str);
  assert_string_equal(l->toks[1].value.str, "x");
  lexed_free(l);
}

static void test_operators(void **state) {
  (void)state;
  Lexed *l = lexed("== != <= >= < > -> = + - * / % ( ) [ ] { } , : . ? ;");
  expect_kinds(l, KINDS(TK_EQ, TK_NE, TK_LE, TK_GE, TK_LT, TK_GT, TK_ARROW, TK_ASSIGN,
                        TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT, TK_LPAREN,
                        TK_RPAREN, TK_LBRACKET, TK_RBRACKET, TK_LBRACE, TK_RBRACE,
                        TK_COMMA, TK_COLON, TK_DOT, TK_QUESTION, TK_SEP));
  expect_no_errors(l);
  lexed_free(l);
}

static void test_statement_words_as_names(void **state) {
  (void)state;
  /* Where only a name can stand, a statement word is a name. */
  Lexed *l = lexed("-> review\nnot review.approved\nx = task");
  expect_kinds(l, KINDS(TK_ARROW, TK_IDENT, TK_SEP, TK_NOT, TK_IDENT, TK_DOT, TK_IDENT,
                        TK_SEP, TK_IDENT, TK_ASSIGN, TK_IDENT, TK_SEP));
  assert_string_equal(l->toks[1].value.str, "review");
  assert_string_equal(l->toks[10].value.str, "task");
  lexed_free(l);
  /* At the start of a statement it stays a keyword, and so it does at the
   * start of a line, even when the line before runs on. */
  l = lexed("review r \"t\"");
  assert_int_equal(l->toks[0].kind, TK_REVIEW);
  lexed_free(l);
  l = lexed("x =\ntask");
  expect_kinds(l, KINDS(TK_IDENT, TK_ASSIGN, TK_TASK, TK_SEP));
  lexed_free(l);
}

static void test_token_names(void **state) {
  (void)state;
  assert_string_equal(lex_token_name(TK_ARROW), "`->`");
  assert_string_equal(lex_token_name(TK_IDENT), "identifier");
  assert_string_equal(lex_token_name(TK_SEP), "end of line");
  assert_string_equal(lex_token_name(TK_EOF), "end of file");
  assert_string_equal(lex_token_name(TK_WAIT_ALL), "`wait all`");
  assert_string_equal(lex_token_name(TK_WHILE), "`while`");
}

/* ---- numbers ---------------------------------------------------------------- */

static void test_integers(void **state) {
  (void)state;
  Lexed *l = lexed("0 42 9223372036854775807");
  expect_kinds(l, KINDS(TK_INT, TK_INT, TK_INT, TK_SEP));
  assert_int_equal(l->toks[1].value.ival, 42);
  assert_true(l->toks[2].value.ival == INT64_MAX);
  expect_no_errors(l);
  lexed_free(l);
}

static void test_integer_overflow(void **state) {
  (void)state;
  Lexed *l = lexed("x 9223372036854775808");
  expect_kinds(l, KINDS(TK_IDENT, TK_INT, TK_SEP));
  expect_one_error_at(l, "number too large", 1, 3);
  assert_int_equal(l->diags.items[0].span.len, 19);
  lexed_free(l);
}

/* Every shift and reduce of the parser copies a semantic value: a decimal's three fields
 * and a type's are out of line (grammar/parser.y), so a value is two words, not three. */
static void test_decimals(void **state) {
  (void)state;
  if (sizeof(void *) == 8) assert_int_equal(sizeof(PARSE_YYSTYPE), 16);
  Lexed *l = lexed("12.50 0.001 1250.5");
  expect_kinds(l, KINDS(TK_DECIMAL, TK_DECIMAL, TK_DECIMAL, TK_SEP));
  assert_string_equal(l->toks[0].value.dec->text, "12.50");
  assert_int_equal(l->toks[0].value.dec->unscaled, 1250);
  assert_int_equal(l->toks[0].value.dec->scale, 2);
  assert_int_equal(l->toks[1].value.dec->unscaled, 1);
  assert_int_equal(l->toks[1].value.dec->scale, 3);
  assert_int_equal(l->toks[2].value.dec->unscaled, 12505);
  assert_int_equal(l->toks[2].value.dec->scale, 1);
  expect_no_errors(l);
  lexed_free(l);
}

static void test_decimal_limits(void **state) {
  (void)state;
  Lexed *l = lexed("1.123456789012345678");
  assert_int_equal(l->toks[0].value.dec->scale, 18);
  expect_no_errors(l);
  lexed_free(l);
  l = lexed("1.1234567890123456789");
  expect_one_error_at(l, "a decimal may have at most 18 digits after the point", 1, 1);
  lexed_free(l);
  l = lexed("99999999999999999999.5");
  expect_one_error_at(l, "number too large", 1, 1);
  lexed_free(l);
}

static void test_durations(void **state) {
  (void)state;
  Lexed *l = lexed("30m 4h 3d 2w 4h30m 1w2d");
  expect_kinds(l, KINDS(TK_DURATION, TK_DURATION, TK_DURATION, TK_DURATION, TK_DURATION,
                        TK_DURATION, TK_SEP));
  assert_int_equal(l->toks[0].value.dur.seconds, 1800);
  assert_int_equal(l->toks[1].value.dur.seconds, 4 * 3600);
  assert_int_equal(l->toks[2].value.dur.seconds, 3 * 86400);
  assert_int_equal(l->toks[3].value.dur.seconds, 14 * 86400);
  assert_int_equal(l->toks[4].value.dur.seconds, 16200);
  assert_string_equal(l->toks[4].value.dur.text, "4h30m");
  assert_int_equal(l->toks[5].value.dur.seconds, 9 * 86400);
  expect_no_errors(l);
  lexed_free(l);
}

static void test_duration_overflow(void **state) {
  (void)state;
  Lexed *l = lexed("99999999999999999w");
  expect_one_error_at(l, "duration too large", 1, 1);
  lexed_free(l);
}

static void test_number_glued_to_letters(void **state) {
  (void)state;
  Lexed *l = lexed("a = 3x");
  expect_kinds(l, KINDS(TK_IDENT, TK_ASSIGN, TK_INT, TK_SEP));
  expect_one_error_at(l, "invalid number `3x`", 1, 5);
  assert_int_equal(l->toks[2].span.len, 2);
  lexed_free(l);
  l = lexed("12abc");
  expect_kinds(l, KINDS(TK_INT, TK_SEP));
  expect_one_error_at(l, "invalid number `12abc`", 1, 1);
  lexed_free(l);
  l = lexed("3dx 1.5e3");
  expect_kinds(l, KINDS(TK_INT, TK_INT, TK_SEP));
  assert_int_equal(l->diags.n, 2);
  assert_string_equal(l->diags.items[1].message, "invalid number `1.5e3`");
  lexed_free(l);
}

/* ---- strings ------------------------------------------------------------------ */

static void test_plain_string(void **state) {
  (void)state;
  Lexed *l = lexed("\"Согласовать договор\"");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_SEP));
  assert_string_equal(text_of(&l->toks[1]), "Согласовать договор");
  assert_int_equal(l->toks[0].span.off, 0);
  assert_int_equal(l->toks[0].span.len, 1);
  expect_no_errors(l);
  lexed_free(l);
}

static void test_string_escapes(void **state) {
  (void)state;
  Lexed *l = lexed("\"a\\\"b\\\\c\\nd\\te\\rf\\{g\\}\"");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_SEP));
  assert_string_equal(text_of(&l->toks[1]), "a\"b\\c\nd\te\rf{g}");
  assert_int_equal(l->toks[1].value.text.len, 14);
  expect_no_errors(l);
  lexed_free(l);
}

/* String text is taken eight plain bytes at a step: an escape, a brace pair, a lone
 * `}`, a letter beyond ASCII or a bad byte is decoded (or reported) wherever it
 * stands in or across those steps, at every place in texts of 1 to 24 bytes. */
static void test_string_text_at_every_place(void **state) {
  (void)state;
  static const struct {
    const char *written, *decoded; /* decoded NULL: invalid UTF-8, one error */
  } specials[] = {
      {"\\n", "\n"}, {"\\\\", "\\"}, {"{{", "{"}, {"}}", "}"}, {"}", "}"},
      {"\xC3\xA9", "\xC3\xA9"}, {"\xE2\x80\x94", "\xE2\x80\x94"}, {"\xFF", NULL},
  };
  for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
    for (size_t len = 1; len <= 24; len++)
      for (size_t at = 0; at < len; at++) {
        char text[64], want[64];
        size_t w = 0, t = 0;
        text[t++] = '"';
        for (size_t i = 0; i < len; i++) {
          const char *put = i == at ? specials[k].written : "a";
          const char *get = i == at ? (specials[k].decoded ? specials[k].decoded : "\xEF\xBF\xBD") : "a";
          memcpy(text + t, put, strlen(put)), t += strlen(put);
          memcpy(want + w, get, strlen(get)), w += strlen(get);
        }
        text[t++] = '"', text[t] = '\0', want[w] = '\0';
        Lexed *l = lexed(text);
        expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_SEP));
        assert_string_equal(text_of(&l->toks[1]), want);
        assert_int_equal(l->toks[1].value.text.len, w);
        assert_int_equal(l->diags.n, specials[k].decoded ? 0 : 1);
        lexed_free(l);
      }
}

static void test_string_braces(void **state) {
  (void)state;
  Lexed *l = lexed("\"{{x}} a } b }}}\"");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_SEP));
  assert_string_equal(text_of(&l->toks[1]), "{x} a } b }}");
  expect_no_errors(l);
  lexed_free(l);
}

static void test_empty_string(void **state) {
  (void)state;
  Lexed *l = lexed("\"\"");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_END, TK_SEP));
  lexed_free(l);
}

static void test_interpolation(void **state) {
  (void)state;
  Lexed *l = lexed("\"Hi {name}!\"");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_TEXT, TK_INTERP_BEGIN, TK_IDENT, TK_INTERP_END,
                        TK_STR_TEXT, TK_STR_END, TK_SEP));
  assert_string_equal(text_of(&l->toks[1]), "Hi ");
  assert_string_equal(l->toks[3].value.str, "name");
  assert_string_equal(text_of(&l->toks[5]), "!");
  assert_int_equal(l->toks[2].span.off, 4);
  assert_int_equal(l->toks[4].span.off, 9);
  expect_no_errors(l);
  lexed_free(l);
}

/* Spaces and tabs before a token are stepped over when the scanner is called, not
 * matched by a rule: the spans after them, outside strings, inside interpolations,
 * after a carriage return and after a token that gave back blanks, are where the
 * bytes are, and a string keeps its own blanks. */
static void test_blanks_before_tokens(void **state) {
  (void)state;
  const char *text = "x \t= \t 1\r \"  a {\t b  } \t\"  wait \t\t\n\t\t y";
  Lexed *l = lexed(text);
  expect_kinds(l, KINDS(TK_IDENT, TK_ASSIGN, TK_INT, TK_STR_BEGIN, TK_STR_TEXT, TK_INTERP_BEGIN,
                        TK_IDENT, TK_INTERP_END, TK_STR_TEXT, TK_STR_END, TK_WAIT, TK_SEP,
                        TK_IDENT, TK_SEP));
  static const char *const at[] = {"x", "=", "1", "\"", "  a ", "{", "b", "}", " \t", "\"",
                                   "wait", NULL, "y"};
  for (uint32_t i = 0; i < sizeof at / sizeof at[0]; i++) {
    if (!at[i]) continue;
    const char *want = strstr(text + (i ? l->toks[i - 1].span.off + 1 : 0), at[i]);
    if (i == 4) want = strstr(text, "  a ");
    assert_int_equal(l->toks[i].span.off, want - text);
    assert_int_equal(l->toks[i].span.len, strlen(at[i]));
  }
  assert_string_equal(text_of(&l->toks[4]), "  a ");
  assert_string_equal(text_of(&l->toks[8]), " \t");
  expect_no_errors(l);
  lexed_free(l);
}

static void test_nested_interpolation(void **state) {
  (void)state;
  Lexed *l = lexed("\"{a ? \"yes {b}\" : \"no\"} by {who}\"");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_INTERP_BEGIN, TK_IDENT, TK_QUESTION,
                        TK_STR_BEGIN, TK_STR_TEXT, TK_INTERP_BEGIN, TK_IDENT, TK_INTERP_END,
                        TK_STR_END, TK_COLON, TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END,
                        TK_INTERP_END, TK_STR_TEXT, TK_INTERP_BEGIN, TK_IDENT, TK_INTERP_END,
                        TK_STR_END, TK_SEP));
  assert_string_equal(text_of(&l->toks[5]), "yes ");
  assert_string_equal(text_of(&l->toks[15]), " by ");
  expect_no_errors(l);
  lexed_free(l);
}

static void test_unterminated_string(void **state) {
  (void)state;
  /* The pieces left open are closed, so the parser stays in step. */
  Lexed *l = lexed("x = \"abc {y + \"z\nw");
  expect_kinds(l, KINDS(TK_IDENT, TK_ASSIGN, TK_STR_BEGIN, TK_STR_TEXT, TK_INTERP_BEGIN,
                        TK_IDENT, TK_PLUS, TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END,
                        TK_INTERP_END, TK_STR_END, TK_SEP, TK_IDENT, TK_SEP));
  expect_one_error_at(l, "unterminated string", 1, 5);
  lexed_free(l);
  l = lexed("\"abc");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_SEP));
  expect_one_error_at(l, "unterminated string", 1, 1);
  lexed_free(l);
  l = lexed("\"a\\");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_SEP));
  expect_one_error_at(l, "unterminated string", 1, 1);
  lexed_free(l);
}

static void test_bad_escape(void **state) {
  (void)state;
  Lexed *l = lexed("\"a\\qb\" \"\\я\"");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_STR_BEGIN, TK_STR_TEXT,
                        TK_STR_END, TK_SEP));
  assert_int_equal(l->diags.n, 2);
  assert_string_equal(l->diags.items[0].message, "invalid escape `\\q` in string");
  assert_int_equal(l->diags.items[0].span.off, 2);
  assert_int_equal(l->diags.items[0].span.len, 2);
  assert_string_equal(l->diags.items[1].message, "invalid escape `\\я` in string");
  assert_string_equal(text_of(&l->toks[1]), "ab");
  lexed_free(l);
}

static void test_bad_utf8(void **state) {
  (void)state;
  Lexed *l = lexed("\"a\xff\xfe b\"");
  expect_kinds(l, KINDS(TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_SEP));
  expect_one_error_at(l, "invalid UTF-8 in string", 1, 3);
  /* Each bad byte becomes U+FFFD: the tree holds valid UTF-8 only. */
  assert_string_equal(text_of(&l->toks[1]), "a\xEF\xBF\xBD\xEF\xBF\xBD b");
  lexed_free(l);
}

/* ---- bad characters ------------------------------------------------------------ */

/* 2026-03-05 is a date, never 2026 - 3 - 5; what stops short of one is
 * the arithmetic it reads as. */
/* lex_letter8_len (what the printers outside the scanner use to write names) says
 * of every two-byte sequence what the scanner does: `x` followed by it is one
 * identifier exactly when it is a letter. */
static void test_letter8_len_agrees_with_the_scanner(void **state) {
  (void)state;
  for (unsigned a = 0xC2; a <= 0xDF; a++)
    for (unsigned b = 0x80; b <= 0xBF; b++) {
      char text[4] = {'x', (char)a, (char)b, '\0'};
      Lexed *l = lexed_bytes(text, 3);
      /* one identifier, then at most a separator, then the end */
      bool one_ident = l->n >= 2 && l->toks[0].kind == TK_IDENT && l->toks[1].kind != TK_IDENT &&
                       l->diags.n == 0 && l->toks[0].value.str && strlen(l->toks[0].value.str) == 3;
      uint32_t len = lex_letter8_len(text + 1);
      if (one_ident != (len == 2)) fail_msg("\\x%02X\\x%02X: scanner %s, lex_letter8_len %u", a, b,
                                           one_ident ? "takes it" : "refuses it", len);
      lexed_free(l);
    }
  assert_int_equal(lex_letter8_len("a"), 0);
  assert_int_equal(lex_letter8_len("\xD0"), 0); /* a lead byte at the end */
}

static void test_date_literals(void **state) {
  (void)state;
  Lexed *l = lexed("2026-03-05 2026-03-05T10:00 2026-3-5");
  expect_kinds(l, KINDS(TK_DATE, TK_DATETIME, TK_DATE, TK_SEP));
  assert_string_equal(l->toks[0].value.str, "2026-03-05");
  assert_string_equal(l->toks[1].value.str, "2026-03-05T10:00");
  expect_no_errors(l);
  lexed_free(l);
  l = lexed("2026-03 x-1-2 12345-1-1 2026-03-05T10");
  expect_kinds(l, KINDS(TK_INT, TK_MINUS, TK_INT, TK_IDENT, TK_MINUS, TK_INT, TK_MINUS, TK_INT,
                        TK_INT, TK_MINUS, TK_INT, TK_MINUS, TK_INT, TK_DATE, TK_IDENT, TK_SEP));
  lexed_free(l);
}

/* `5 days`: a count and a unit word are one duration; other words are not. */
static void test_unit_word_durations(void **state) {
  (void)state;
  Lexed *l = lexed("5 days 1\tweek 3  hours 30 minutes 1 day 2 dayz 7 in x");
  expect_kinds(l, KINDS(TK_DURATION, TK_DURATION, TK_DURATION, TK_DURATION, TK_DURATION,
                        TK_INT, TK_IDENT, TK_INT, TK_IN, TK_IDENT, TK_SEP));
  assert_int_equal(l->toks[0].value.dur.seconds, 5 * 86400);
  assert_string_equal(l->toks[0].value.dur.text, "5 days");
  assert_int_equal(l->toks[1].value.dur.seconds, 7 * 86400);
  assert_string_equal(l->toks[1].value.dur.text, "1 week");
  assert_string_equal(l->toks[2].value.dur.text, "3 hours");
  assert_int_equal(l->toks[3].value.dur.seconds, 1800);
  assert_int_equal(l->toks[5].value.ival, 2);
  expect_no_errors(l);
  lexed_free(l);
}

/* Names may be written in Latin, Greek and Cyrillic letters; other
 * characters beyond ASCII are still errors, and end the name before them. */
static void test_unicode_identifiers(void **state) {
  (void)state;
  Lexed *l = lexed("сумма Счёт_2 façade λ");
  expect_kinds(l, KINDS(TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT, TK_SEP));
  assert_string_equal(l->toks[0].value.str, "сумма");
  assert_string_equal(l->toks[1].value.str, "Счёт_2");
  expect_no_errors(l);
  lexed_free(l);
  l = lexed("сумма×2");
  expect_kinds(l, KINDS(TK_IDENT, TK_INVALID, TK_INT, TK_SEP));
  assert_string_equal(l->toks[0].value.str, "сумма");
  expect_one_error_at(l, "unexpected character `×`; names are written with letters (Latin, "
                         "Greek or Cyrillic), digits and `_`", 1, 6);
  lexed_free(l);
}

static void test_bad_characters_coalesced(void **state) {
  (void)state;
  Lexed *l = lexed("x @@@ y");
  expect_kinds(l, KINDS(TK_IDENT, TK_INVALID, TK_IDENT, TK_SEP));
  expect_one_error_at(l, "unexpected character `@`", 1, 3);
  assert_int_equal(l->diags.items[0].span.len, 3);
  lexed_free(l);
  l = lexed("a \x01\x02 b");
  expect_one_error_at(l, "unexpected byte 0x01", 1, 3);
  lexed_free(l);
  l = lexed("«x»");
  expect_one_error_at(l,
                      "unexpected character `«`; strings are written in plain double quotes: "
                      "\"text\"",
                      1, 1);
  lexed_free(l);
  /* One such message a line, however many runs. */
  l = lexed("a $ b & c ! d\ne ~");
  assert_int_equal(l->diags.n, 2);
  assert_string_equal(l->diags.items[0].message, "unexpected character `$`");
  assert_string_equal(l->diags.items[1].message, "unexpected character `~`");
  lexed_free(l);
}

static void test_binary_file(void **state) {
  (void)state;
  static const char bytes[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00garbage @@ \"\x01";
  Lexed *l = lexed_bytes(bytes, sizeof bytes - 1);
  expect_one_error_at(l, "unexpected byte 0x00: this looks like a binary file, not `.bp` text",
                      1, 8);
  assert_int_equal(l->toks[l->n - 1].kind, TK_EOF);
  lexed_free(l);
}

/* What stops short of a dotted date is the decimal before its second point, then
 * the rest scanned again: `1.2.3` is 1.2, `.`, 3 (a rule of lexer.l keeps the
 * scanner from backing up here, and must not change these tokens). */
static void test_dotted_date_prefixes(void **state) {
  (void)state;
  static const struct {
    const char *text, *decimal; /* the decimal is at offset 4 */
    int after[3];               /* the kinds after it, up to TK_EOF */
  } cases[] = {
      {"x = 1.2.", "1.2", {TK_DOT, TK_EOF}},
      {"x = 1.2.3", "1.2", {TK_DOT, TK_INT, TK_EOF}},
      {"x = 12.34.567", "12.34", {TK_DOT, TK_INT, TK_EOF}},
      {"x = 1.23.45 + y", "1.23", {TK_DOT, TK_INT, TK_PLUS}},
      {"x = 12.3.4a", "12.3", {TK_DOT, TK_INT, TK_EOF}},
      {"x = 1.2.x", "1.2", {TK_DOT, TK_IDENT, TK_EOF}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    Lexed *l = lexed(cases[i].text);
    assert_int_equal(l->toks[2].kind, TK_DECIMAL);
    assert_string_equal(l->toks[2].value.dec->text, cases[i].decimal);
    assert_int_equal(l->toks[2].span.off, 4);
    assert_int_equal(l->toks[2].span.len, strlen(cases[i].decimal));
    assert_int_equal(l->toks[3].span.off, 4 + strlen(cases[i].decimal));
    for (int k = 0; k < 3 && cases[i].after[k] != TK_EOF; k++)
      assert_int_equal(l->toks[3 + k].kind, cases[i].after[k]);
    assert_int_equal(l->diags.n, strchr(cases[i].text, 'a') ? 1 : 0); /* `4a` */
    lexed_free(l);
  }
  Lexed *l = lexed("x = 1.2.2026"); /* four digits: the date, with its error */
  expect_kinds(l, KINDS(TK_IDENT, TK_ASSIGN, TK_DATE, TK_SEP));
  assert_string_equal(l->toks[2].value.str, "2026-02-01");
  lexed_free(l);
}

/* `05.03.2026` is day.month.year: an error showing `2026-03-05`, and that date as the
 * token; a byte that begins no UTF-8 character is named as invalid UTF-8. */
static void test_dotted_date_and_bad_utf8(void **state) {
  (void)state;
  Lexed *l = lexed("wait until 05.03.2026");
  expect_kinds(l, KINDS(TK_WAIT, TK_UNTIL, TK_DATE, TK_SEP));
  assert_string_equal(l->toks[2].value.str, "2026-03-05");
  expect_one_error_at(l, "a date is written year-month-day: `2026-03-05`, not `05.03.2026`", 1, 12);
  lexed_free(l);
  l = lexed("x = 5.3"); /* a decimal stays a decimal */
  assert_int_equal(l->diags.n, 0);
  lexed_free(l);
  l = lexed("var a\xff = 1");
  expect_one_error_at(l, "invalid UTF-8 (byte 0xff): a `.bp` file is UTF-8 text", 1, 6);
  lexed_free(l);
}

static void test_empty_input(void **state) {
  (void)state;
  Lexed *l = lexed("");
  expect_kinds(l, KINDS(TK_EOF));
  assert_int_equal(l->toks[0].span.off, 0);
  expect_no_errors(l);
  lexed_free(l);
  l = lexed("  \n\n # only a comment\n");
  expect_kinds(l, KINDS(TK_EOF));
  lexed_free(l);
}

/* ---- separators ---------------------------------------------------------------- */

static void test_separator_at_line_end(void **state) {
  (void)state;
  Lexed *l = lexed("a = 1\nb = \"x\"\nbreak\n");
  expect_kinds(l, KINDS(TK_IDENT, TK_ASSIGN, TK_INT, TK_SEP, TK_IDENT, TK_ASSIGN,
                        TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_SEP, TK_BREAK, TK_SEP));
  /* A SEP is the newline character; at the end of the file it is empty. */
  assert_int_equal(l->toks[3].span.off, 5);
  assert_int_equal(l->toks[3].span.len, 1);
  assert_int_equal(l->toks[11].span.off, 20);
  assert_int_equal(l->toks[11].span.len, 0);
  lexed_free(l);
}

static void test_separator_after_each_ending_token(void **state) {
  (void)state;
  static const char *const enders[] = {"x", "1", "1.5", "3d", "\"s\"", "true", "false",
                                       ")", "]", "}", "break", "continue", "terminate",
                                       "final", "wait all", "%"};
  for (size_t i = 0; i < sizeof enders / sizeof enders[0]; i++) {
    char text[32];
    snprintf(text, sizeof text, "%s\ny", enders[i]);
    Lexed *l = lexed(text);
    uint32_t k = 0;
    while (k < l->n && l->toks[k].kind != TK_SEP) k++;
    if (k + 1 >= l->n || l->toks[k + 1].kind != TK_IDENT)
      fail_msg("no separator after `%s`", enders[i]);
    lexed_free(l);
  }
}

static void test_no_separator_after_open_line(void **state) {
  (void)state;
  /* A line ending in an operator, a comma or an opener continues. */
  Lexed *l = lexed("a = 1 +\n2\nf(a,\nb)\nx = [\n1\n]\nif c {\ny = 1\n}");
  expect_kinds(l, KINDS(TK_IDENT, TK_ASSIGN, TK_INT, TK_PLUS, TK_INT, TK_SEP, TK_IDENT,
                        TK_LPAREN, TK_IDENT, TK_COMMA, TK_IDENT, TK_RPAREN, TK_SEP, TK_IDENT,
                        TK_ASSIGN, TK_LBRACKET, TK_INT, TK_RBRACKET, TK_SEP, TK_IF,
                        TK_IDENT, TK_LBRACE, TK_IDENT, TK_ASSIGN, TK_INT, TK_SEP, TK_RBRACE,
                        TK_SEP));
  lexed_free(l);
}

static void test_no_separator_before_continuing_token(void **state) {
  (void)state;
  static const struct {
    const char *word;
    int kind;
  } continuers[] = {
      {"+", TK_PLUS},       {"-", TK_MINUS},       {"*", TK_STAR},      {"/", TK_SLASH},
      {"%", TK_PERCENT},    {"==", TK_EQ},         {"!=", TK_NE},       {"<", TK_LT},
      {"<=", TK_LE},        {">", TK_GT},          {">=", TK_GE},       {"and", TK_AND},
      {"or", TK_OR},        {"in", TK_IN},         {"?", TK_QUESTION},  {":", TK_COLON},
      {".", TK_DOT},        {",", TK_COMMA},       {"->", TK_ARROW},    {"else", TK_ELSE},
      {"remind", TK_REMIND}, {"on", TK_ON},        {"mode", TK_MODE},   {"due", TK_DUE},
      {"wait all", TK_WAIT_ALL}, {"by", TK_BY},    {"when", TK_WHEN},   {"{", TK_LBRACE},
      {")", TK_RPAREN},     {"]", TK_RBRACKET},
  };
  for (size_t i = 0; i < sizeof continuers / sizeof continuers[0]; i++) {
    char text[48];
    snprintf(text, sizeof text, "x\n  %s", continuers[i].word);
    Lexed *l = lexed(text);
    if (l->toks[1].kind != continuers[i].kind)
      fail_msg("`%s` at the start of a line: got %s", continuers[i].word,
               lex_token_name(l->toks[1].kind));
    lexed_free(l);
  }
}

static void test_one_separator_for_blank_and_comment_lines(void **state) {
  (void)state;
  Lexed *l = lexed("a\n\n  # note\n\n\nb");
  expect_kinds(l, KINDS(TK_IDENT, TK_SEP, TK_IDENT, TK_SEP));
  assert_int_equal(l->toks[1].span.off, 1);
  lexed_free(l);
}

static void test_semicolon_is_a_separator(void **state) {
  (void)state;
  Lexed *l = lexed("a = 1; b = 2;\nc");
  expect_kinds(l, KINDS(TK_IDENT, TK_ASSIGN, TK_INT, TK_SEP, TK_IDENT, TK_ASSIGN, TK_INT,
                        TK_SEP, TK_IDENT, TK_SEP));
  lexed_free(l);
}

static void test_step_clauses_on_following_lines(void **state) {
  (void)state;
  Lexed *l = lexed("task a \"t\" due 1d\n  remind 1h before { x = 1 }\n  on timeout { y = 2 }\nz = 3");
  expect_kinds(l, KINDS(TK_TASK, TK_IDENT, TK_STR_BEGIN, TK_STR_TEXT, TK_STR_END, TK_DUE,
                        TK_DURATION, TK_REMIND, TK_DURATION, TK_IDENT, TK_LBRACE, TK_IDENT,
                        TK_ASSIGN, TK_INT, TK_RBRACE, TK_ON, TK_IDENT, TK_LBRACE, TK_IDENT,
                        TK_ASSIGN, TK_INT, TK_RBRACE, TK_SEP, TK_IDENT, TK_ASSIGN, TK_INT,
                        TK_SEP));
  lexed_free(l);
}

static void test_wait_all(void **state) {
  (void)state;
  /* `wait all` is one token, and continues the line before it; `wait` and
   * `all` on two lines are two statements' worth. */
  Lexed *l = lexed("mode any\n  wait \t all\nx\nwait\nall\nwait allx\nwait until d");
  expect_kinds(l, KINDS(TK_MODE, TK_IDENT, TK_WAIT_ALL, TK_SEP, TK_IDENT, TK_SEP, TK_WAIT,
                        TK_SEP, TK_IDENT, TK_SEP, TK_WAIT, TK_IDENT, TK_SEP, TK_WAIT, TK_UNTIL,
                        TK_IDENT, TK_SEP));
  assert_int_equal(l->toks[2].span.len, 10);
  assert_int_equal(l->toks[10].span.len, 4);
  assert_string_equal(l->toks[11].value.str, "allx");
  lexed_free(l);
}

/* ---- comments ------------------------------------------------------------------ */

static void test_comments_recorded(void **state) {
  (void)state;
  const char *text = "# head\nx = 1 # trailing\r\n   # indented\ny";
  char *copy = strdup(text);
  Source *src = source_new("c.bp", copy, (uint32_t)strlen(text));
  Diags diags;
  diags_init(&diags, src);
  Arena arena;
  arena_init(&arena);
  Lexer *lx = malloc(sizeof *lx);
  lex_init(lx, src, &diags, &arena);
  PARSE_YYSTYPE value;
  Span span;
  while (lex_next(lx, &value, &span) != TK_EOF) {
  }
  uint32_t n;
  Comment *c = lex_comments(lx, &n);
  assert_int_equal(n, 3);
  assert_int_equal(c[0].span.off, 0);
  assert_int_equal(c[0].span.len, 6);
  assert_true(c[0].own_line);
  assert_int_equal(c[1].span.off, 13);
  assert_int_equal(c[1].span.len, 10); /* "# trailing", the \r left out */
  assert_false(c[1].own_line);
  assert_true(c[2].own_line);
  lex_free(lx);
  free(lx);
  arena_free(&arena);
  diags_free(&diags);
  source_free(src);
}

/* ---- nesting -------------------------------------------------------------------- */

static void test_depth_limit(void **state) {
  (void)state;
  enum { N = 10000 };
  char *text = malloc(N + 2);
  memset(text, '(', N);
  text[N] = 'x';
  text[N + 1] = '\0';
  Lexed *l = lexed(text);
  expect_one_error_at(l, "nesting deeper than 200 levels", 1, 201);
  /* The limit ends the input: 200 `(` and then the end of file. */
  assert_int_equal(l->n, PARSE_MAX_DEPTH + 1);
  assert_int_equal(l->toks[l->n - 1].kind, TK_EOF);
  lexed_free(l);
  free(text);
}

static void test_depth_limit_counts_interpolations(void **state) {
  (void)state;
  char text[2000] = "";
  for (int i = 0; i < 250; i++) strcat(text, "\"{");
  Lexed *l = lexed(text);
  assert_int_equal(l->diags.errors, 1);
  assert_string_equal(l->diags.items[0].message, "nesting deeper than 200 levels");
  lexed_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keywords),
      cmocka_unit_test(test_contextual_words_are_identifiers),
      cmocka_unit_test(test_identifiers_are_interned),
      cmocka_unit_test(test_operators),
      cmocka_unit_test(test_statement_words_as_names),
      cmocka_unit_test(test_token_names),
      cmocka_unit_test(test_integers),
      cmocka_unit_test(test_integer_overflow),
      cmocka_unit_test(test_decimals),
      cmocka_unit_test(test_decimal_limits),
      cmocka_unit_test(test_durations),
      cmocka_unit_test(test_duration_overflow),
      cmocka_unit_test(test_number_glued_to_letters),
      cmocka_unit_test(test_plain_string),
      cmocka_unit_test(test_string_escapes),
      cmocka_unit_test(test_string_text_at_every_place),
      cmocka_unit_test(test_string_braces),
      cmocka_unit_test(test_empty_string),
      cmocka_unit_test(test_interpolation),
      cmocka_unit_test(test_blanks_before_tokens),
      cmocka_unit_test(test_nested_interpolation),
      cmocka_unit_test(test_unterminated_string),
      cmocka_unit_test(test_bad_escape),
      cmocka_unit_test(test_bad_utf8),
      cmocka_unit_test(test_letter8_len_agrees_with_the_scanner),
      cmocka_unit_test(test_bad_characters_coalesced),
      cmocka_unit_test(test_date_literals),
      cmocka_unit_test(test_unit_word_durations),
      cmocka_unit_test(test_unicode_identifiers),
      cmocka_unit_test(test_binary_file),
      cmocka_unit_test(test_dotted_date_prefixes),
      cmocka_unit_test(test_dotted_date_and_bad_utf8),
      cmocka_unit_test(test_empty_input),
      cmocka_unit_test(test_separator_at_line_end),
      cmocka_unit_test(test_separator_after_each_ending_token),
      cmocka_unit_test(test_no_separator_after_open_line),
      cmocka_unit_test(test_no_separator_before_continuing_token),
      cmocka_unit_test(test_one_separator_for_blank_and_comment_lines),
      cmocka_unit_test(test_semicolon_is_a_separator),
      cmocka_unit_test(test_step_clauses_on_following_lines),
      cmocka_unit_test(test_wait_all),
      cmocka_unit_test(test_comments_recorded),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_depth_limit_counts_interpolations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
