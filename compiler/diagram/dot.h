/* dot.h — diagrams: `bpc dot` (Graphviz DOT text) and `bpc render` (SVG, PNG,
 * PDF), from a `.bp` source or a compiled bundle, with an optional trace.
 *
 * dot_cmd.c is the command: options, input chosen by content, the journal
 * overlay (trace.c). dot.c is the only file that knows Graphviz: it turns a
 * Diagram (diagram.h) into a cgraph graph, writes it with agwrite or lays it
 * out and draws it with gvc. No Graphviz type appears in this header, so the
 * rest of the compiler builds without Graphviz's headers. */
#ifndef BPC_DOT_H
#define BPC_DOT_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "diagram.h"

/* The front end's checked program (front/ast.h), only passed through here: the
 * diagram room does not see the front end. */
typedef struct Program Program;

/* How bpc turns `.bp` text (read once, by the caller) into a program: parse,
 * check, print the diagnostics as `bpc check` does. Returns the checked
 * program, or NULL with *status set (1: the text has errors, 2: it is not .bp
 * text). bpc.c passes its own. */
typedef Program *(*DotFrontEnd)(Source *src, bool run_checks, int *status);

typedef enum DotCommand { DOT_CMD_DOT, DOT_CMD_RENDER } DotCommand;

/* `bpc dot ARGS` or `bpc render ARGS` (argv without the command word);
 * returns the exit status: 0 ok, 1 the input has errors, 2 misuse or I/O. */
int dot_command(DotCommand cmd, int argc, char **argv, DotFrontEnd front_end);

/* Draws process `only` of d (all of them when only < 0) in `format`: "dot"
 * (the DOT text, not laid out), "svg", "png" or "pdf". Writes to path whole
 * or not at all (out.h), or to stdout when path is NULL ("dot" only).
 * Returns 0; 1 when the diagram is too large to lay out (a format other than
 * "dot": docs/limits.md); 2 after printing why on stderr. */
int dot_draw(const Diagram *d, int32_t only, const char *format, const char *path);

#endif
