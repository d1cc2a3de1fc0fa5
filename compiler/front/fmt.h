/* fmt.h — the canonical text of a `.bp` program (`bpc fmt`).
 *
 * Prints a syntax tree back as source in one canonical layout: two-space
 * indents, one statement a line, one space around binary operators, clauses in
 * the order of LANGUAGE.md, at most one blank line kept between statements,
 * and every comment kept where it was (own-line comments before the node that
 * follows them, trailing comments after their line). Formatting its own output
 * gives the same text. */
#ifndef BPC_FMT_H
#define BPC_FMT_H

#include "ast.h"

/* The formatted text (malloc'd, NUL-terminated). */
char *fmt_program(const Program *p);

#endif
