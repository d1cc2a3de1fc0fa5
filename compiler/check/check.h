/* check.h — semantic checks of a parsed program.
 *
 * Resolves every name (fields, params, vars, consts, step results, loop
 * variables, actions, processes, states), gives every expression its static
 * type, and reports everything LANGUAGE.md lists under "What the compiler must
 * catch". Run it only on a program that parsed without errors. */
#ifndef BPC_CHECK_H
#define BPC_CHECK_H

#include "ast.h"
#include "diag.h"

/* What the checker learnt about one process (Process.info), for the back end. */
typedef struct ProcInfo {
  const Document *doc; /* the document type it runs on, or NULL */
  Symbol **symbols;    /* every symbol declared in the process, in order */
  uint32_t nsymbols;
  bool has_states;
} ProcInfo;

/* Returns true when there were no errors (warnings allowed). Fills in
 * Expr.type, name symbols and Process.info, all in the program's arena. */
bool check_program(Program *p, Diags *diags);

#endif
