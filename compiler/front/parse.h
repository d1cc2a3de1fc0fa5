/* parse.h — from `.bp` text to a syntax tree.
 *
 * The scanner (grammar/lexer.l) and parser (grammar/parser.y) are generated;
 * this is their only entry point for the rest of the compiler. */
#ifndef BPC_PARSE_H
#define BPC_PARSE_H

#include "ast.h"
#include "diag.h"

/* Deepest nesting of blocks, brackets and parentheses a file may have. The
 * parser refuses deeper input with a message instead of exhausting its stack;
 * every recursive walk of the tree (checker, formatter, back end) relies on
 * this bound. */
enum { PARSE_MAX_DEPTH = 200 };

/* Parses src. Syntax errors are reported to diags; the parser recovers at
 * statement and block boundaries, so all of them are reported. Always returns
 * a Program (partial when there were errors); free it with parse_program_free. */
Program *parse_program(const Source *src, Diags *diags);
void parse_program_free(Program *p);

#endif
