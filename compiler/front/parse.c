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

Program *parse_program(const Source *src, Diags *diags) {
  Program *prog = xcalloc(1, sizeof *prog);
  arena_init(&prog->arena);
  prog->src = src;

  Parser *p = xcalloc(1, sizeof *p);
  p->prog = prog;
  p->arena = &prog->arena;
  p->diags = diags;
  lex_init(&p->lex, src, diags, &prog->arena);
  parse_yyparse(p);

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
