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
/* lower_program_sharing for `bpc compile`, one process at a time: each process is
 * lowered and finished (ir_finish_proc), handed to each(ir, p, ctx) (the code generator:
 * codegen_process), and then its nodes, edges, slots and states are gone, their memory
 * used again for the next process (p keeps its name, document, trigger and parameters).
 * A process ir_finish_proc refuses is not handed over and stops the lowering: ir->errors
 * then begins with what ir_finish would have said first. ir->finished is set.
 * With two threads (bpc_threads) and a large program, the bodies are lowered on both in
 * batches while each is still called on the calling thread, in program order, with the
 * same processes, errors and bytes as on one (lower.c, lower_bodies_ahead). */
typedef void LowerEach(IrProgram *ir, IrProc *p, void *ctx);
IrProgram *lower_program_each(const Program *prog, LowerEach *each, void *ctx);

#endif
