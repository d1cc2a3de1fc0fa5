/* diag_code.h — a stable code for each kind of diagnostic, and its "did you mean" fix.
 *
 * Tools (bpc check --diagnostics-format=json|sarif, bpc lsp) name each diagnostic by
 * a short code that does not change when its wording does; docs/diagnostics.md lists
 * them. A code is told from the format the message was made from (Diag.fmt), or from
 * the message itself where the format is only a placeholder. */
#ifndef BPC_DIAG_CODE_H
#define BPC_DIAG_CODE_H

#include <stddef.h>

#include "diag.h"

/* The code of a message that is no note; "error" or "warning" when no entry of the
 * table knows it (tests/tools/diagnostics.py fails on those). */
const char *diag_code(const Diag *g);
/* The code of the i-th message of d: a note has the code of the message it belongs to. */
const char *diags_code_at(const Diags *d, uint32_t i);
/* The replacement a message suggests with "; did you mean `x`?" (for the range of the
 * message): *len bytes at the returned pointer, inside g->message; NULL when none. */
const char *diag_fix(const Diag *g, size_t *len);

#endif
