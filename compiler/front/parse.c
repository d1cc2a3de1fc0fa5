/* parse.c — the entry point from `.bp` text to a syntax tree, and the policy
 * for syntax error messages.
 *
 * The generated parser (grammar/parser.y) reads tokens through the filter of
 * lex.c and builds nodes with parse_tree.c; this file sets them up, collects
 * the items and comments into the Program, and decides which syntax errors
 * are worth a message: one a line, none after a lexical error on the same
 * line (it caused it), none once the nesting limit stopped the parse. */
#include "parse.h"

#include <stdlib.h>

#include "parse_tree.h"
#include "parser.h"

/* The same grammar made without LAC (see the Makefile). LAC decides only which
 * tokens a syntax error names as expected: on text without a syntax error both
 * parsers read the same tokens and run the same actions. LAC costs about 5% of
 * a parse, so the program is parsed without it first, and again with it only
 * when that parse met a syntax error. */
int parse_yyparse_fast(Parser *p);

/* One parse of src into a new Program; *clean: the parser met no syntax error. */
static Program *parse_once(const Source *src, Diags *diags, bool lac, bool *clean) {
  Program *prog = xcalloc(1, sizeof *prog);
  arena_init(&prog->arena);
  prog->src = src;

  Parser *p = xcalloc(1, sizeof *p);
  p->prog = prog;
  p->arena = &prog->arena;
  p->diags = diags;
  lex_init(&p->lex, src, diags, &prog->arena);
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

/* Drops the messages added since diags had n of them. */
static void diags_back_to(Diags *d, uint32_t n, uint32_t errors, uint32_t warnings) {
  for (uint32_t i = n; i < d->n; i++) free(d->items[i].message);
  d->n = n;
  d->errors = errors;
  d->warnings = warnings;
}

Program *parse_program(const Source *src, Diags *diags) {
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
