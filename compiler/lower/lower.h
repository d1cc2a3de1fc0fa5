/* lower.h — the checked `.bp` tree to the graph IR (lower.c).
 *
 *   Program (checked) --lower_program--> IrProgram
 *
 * Deterministic: the same program gives the same IR (no pointers or hash
 * orders decide anything). */
#ifndef BPC_LOWER_H
#define BPC_LOWER_H

#include "ast.h"
#include "ir.h"

/* Lowers a program that parsed and checked without errors, and runs
 * ir_finish on it (a lowered program that ir_finish refuses is a bug of
 * lowering: ir->errors says what, and codegen_bundle refuses it). The IR owns
 * everything it holds: it may outlive the program. */
IrProgram *lower_program(const Program *prog);
/* lower_program, with the IR pointing at the text of prog->src instead of a copy
 * (ir_share_source): that Source must outlive the IR. */
IrProgram *lower_program_sharing(const Program *prog);

#endif
