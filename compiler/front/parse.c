/* parse.c — the entry point from `.bp` text to a syntax tree, and the policy
 * for syntax error messages.
 *
 * The generated parser (grammar/parser.y) reads tokens through the filter of
 * lex.c and builds nodes with parse_tree.c; this file sets them up, collects
 * the items and comments into the Program, and decides which syntax errors
 * are worth a message: one a line, none after a lexical error on the same
 * line (it caused it), none once the nesting limit stopped the parse. */
#include "parse.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "parse_tree.h"
#include "parser.h"

/* The same grammar made without LAC (see the Makefile). LAC decides only which
 * tokens a syntax error names as expected: on text without a syntax error both
 * parsers read the same tokens and run the same actions. LAC costs about 5% of
 * a parse, so the program is parsed without it first, and again with it only
 * when that parse met a syntax error. */
int parse_yyparse_fast(Parser *p);

/* One parse of src, from the byte offset `from` on, into a new Program; *clean: the
 * parser met no syntax error. part: a half of a split parse, whose text is known to hold
 * no NUL byte (the whole file's is checked by lex_init). */
static Program *parse_from(const Source *src, uint32_t from, bool part, Diags *diags, bool lac,
                           bool *clean) {
  Program *prog = xcalloc(1, sizeof *prog);
  arena_init(&prog->arena);
  prog->src = src;

  Parser *p = xcalloc(1, sizeof *p);
  p->prog = prog;
  p->arena = &prog->arena;
  p->diags = diags;
  if (part) lex_init_at(&p->lex, src, from, diags, &prog->arena);
  else lex_init(&p->lex, src, diags, &prog->arena);
  int rc = lac ? parse_yyparse(p) : parse_yyparse_fast(p);
  *clean = rc == 0 && p->syntax_errors == 0;

  /* Whatever was complete is kept, even when the parse gave up early. */
  prog->nitems = p->items.n;
  prog->items = prog->nitems ? arena_alloc(&prog->arena, prog->nitems * sizeof *prog->items)
                             : NULL;
  for (uint32_t i = 0; i < prog->nitems; i++) prog->items[i] = *(Item *)p->items.items[i];
  prog->comments = lex_comments(&p->lex, &prog->ncomments);

  lex_free(&p->lex);
  free(p->lists.data);
  free(p);
  return prog;
}

static Program *parse_once(const Source *src, Diags *diags, bool lac, bool *clean) {
  return parse_from(src, 0, false, diags, lac, clean);
}

/* Drops the messages added since diags had n of them. */
static void diags_back_to(Diags *d, uint32_t n, uint32_t errors, uint32_t warnings) {
  for (uint32_t i = n; i < d->n; i++) free(d->items[i].message);
  d->n = n;
  d->errors = errors;
  d->warnings = warnings;
}

/* ---- a large file parsed in two halves at once ------------------------------------
 *
 * The parse is about 40% of `bpc compile`'s time on a large file, and one thread's
 * work. A file is a list of items (documents, actions, processes), each complete in
 * itself, so a file of several hundred kilobytes is cut at the start of a line near its
 * middle that begins an item (`process `, `document ` or `action ` in the first column),
 * and the two halves are parsed at the same time, the second on a thread of its own.
 *
 * The cut is a guess made without scanning: it may fall inside a block or a comment.
 * It is kept only when it was right: when the first half parsed to its end with no
 * message at all, every block, string and interpolation it opened is closed there, so
 * the scanner and the parser stand between two items exactly as a parse of the whole
 * file does at that line; and when the second half too parsed with no message, the two
 * lists of items (and of comments) put one after the other are what the whole file's
 * parse makes. Any message, from either half, and the file is parsed again whole, as
 * without the cut, so every message is said as before. The halves' trees differ from
 * one parse's only in their interned names (two copies of a name used in both halves):
 * names are compared by text everywhere after the parse.
 *
 * The first half is scanned in a copy of its text (flex wants two NUL bytes after the
 * text it scans, which the second half's first bytes cannot be), the second in place. */

enum { SPLIT_MIN_BYTES = 256 * 1024 };

/* The start of a line at or after `from` that begins an item, or 0 for none. */
static uint32_t item_line_after(const Source *src, uint32_t from) {
  static const char *const words[] = {"process", "document", "action"};
  const char *t = src->text, *end = t + src->len;
  for (const char *nl = t + from; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++) {
    const char *line = nl + 1;
    for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
      size_t n = strlen(words[w]);
      if ((size_t)(end - line) > n && memcmp(line, words[w], n) == 0 &&
          (line[n] == ' ' || line[n] == '\t'))
        return (uint32_t)(line - t);
    }
  }
  return 0;
}

typedef struct Half {
  const Source *src;
  uint32_t from;
  Diags diags;
  Program *prog;
  bool clean;
} Half;

static void *parse_half(void *arg) {
  Half *h = arg;
  h->prog = parse_from(h->src, h->from, true, &h->diags, false, &h->clean);
  return NULL;
}

/* The Program of src parsed in two halves at once, or NULL when the file is not cut
 * or the cut was not right (nothing is then said in diags). */
static Program *parse_split(const Source *src, Diags *diags) {
  if (src->len < SPLIT_MIN_BYTES || memchr(src->text, '\0', src->len)) return NULL;
  uint32_t cut = item_line_after(src, src->len / 2);
  if (cut == 0) return NULL;

  /* The first half: its text copied, with the two NULs flex wants after it. */
  char *text = xmalloc((size_t)cut + 2);
  memcpy(text, src->text, cut);
  text[cut] = text[cut + 1] = '\0';
  Source first = *src;
  first.text = text;
  first.len = cut;

  Half second = {src, cut, {0}, NULL, false};
  diags_init(&second.diags, src);
  pthread_t thread;
  bool threaded = pthread_create(&thread, NULL, parse_half, &second) == 0;
  uint32_t n = diags->n, errors = diags->errors, warnings = diags->warnings;
  bool clean;
  Program *prog = parse_from(&first, 0, true, diags, false, &clean);
  if (threaded) pthread_join(thread, NULL);
  else parse_half(&second);
  free(text); /* the tree keeps spans, not pointers into the text */
  prog->src = src;

  bool right = clean && diags->n == n && second.clean && second.diags.n == 0;
  diags_free(&second.diags);
  if (!right) {
    diags_back_to(diags, n, errors, warnings);
    parse_program_free(second.prog);
    parse_program_free(prog);
    return NULL;
  }
  Program *b = second.prog;
  Item *items = arena_alloc(&prog->arena, ((size_t)prog->nitems + b->nitems) * sizeof *items);
  if (prog->nitems) memcpy(items, prog->items, prog->nitems * sizeof *items);
  if (b->nitems) memcpy(items + prog->nitems, b->items, b->nitems * sizeof *items);
  prog->items = items;
  prog->nitems += b->nitems;
  if (b->ncomments) {
    Comment *comments = arena_alloc(&prog->arena, ((size_t)prog->ncomments + b->ncomments) * sizeof *comments);
    if (prog->ncomments) memcpy(comments, prog->comments, prog->ncomments * sizeof *comments);
    memcpy(comments + prog->ncomments, b->comments, b->ncomments * sizeof *comments);
    prog->comments = comments;
    prog->ncomments += b->ncomments;
  }
  arena_adopt(&prog->arena, &b->arena);
  free(b);
  return prog;
}

Program *parse_program(const Source *src, Diags *diags) {
  if (src->len >= SPLIT_MIN_BYTES && bpc_threads() > 1) {
    Program *prog = parse_split(src, diags);
    if (prog) return prog;
  }
  uint32_t n = diags->n, errors = diags->errors, warnings = diags->warnings;
  bool clean;
  Program *prog = parse_once(src, diags, false, &clean);
  if (clean) return prog;
  /* A syntax error: everything again with LAC, for its messages. */
  parse_program_free(prog);
  diags_back_to(diags, n, errors, warnings);
  return parse_once(src, diags, true, &clean);
}

void parse_program_free(Program *p) {
  if (!p) return;
  arena_free(&p->arena);
  free(p);
}

bool parse_error_wanted(Parser *p, Span at, bool at_eof) {
  if (p->lex.stopped) return false;
  /* Past the limit nothing more is kept: spare the work of the message
   * (its hint quotes the source into the arena). */
  if (p->diags->max_errors && p->diags->errors >= p->diags->max_errors) return false;
  if (at_eof && p->eof_error_reported) return false;
  if (lex_error_on_line_of(&p->lex, at.off)) return false;
  uint32_t line = lex_line_of(&p->lex, at.off);
  if (line == p->error_line) return false;
  p->error_line = line;
  if (at_eof) p->eof_error_reported = true;
  return true;
}

void parse_syntax_error(Parser *p, Span at, const char *unexpected, const char **expected,
                        int nexpected, const char *hint) {
  StrBuf b;
  sb_init(&b);
  sb_printf(&b, "unexpected %s", unexpected);
  if (nexpected >= 1 && nexpected <= 4) {
    sb_puts(&b, ", expected ");
    for (int i = 0; i < nexpected; i++) {
      if (i > 0) sb_puts(&b, i == nexpected - 1 ? " or " : ", ");
      sb_puts(&b, expected[i]);
    }
  }
  if (hint) sb_printf(&b, "; %s", hint);
  diag_error(p->diags, at, "%s", b.data);
  sb_free(&b);
}

void parse_too_deep(Parser *p, Span at) {
  if (p->deep_reported) return;
  p->deep_reported = true;
  diag_error(p->diags, at, "expression nested deeper than %d levels", PARSE_MAX_DEPTH);
}
