/* codegen.h — the back end: graph IR -> bytecode -> bundle bytes (codegen.c).
 *
 *   IrProgram --codegen_bundle--> .bpt bytes
 *
 * Deterministic: the same IR gives byte-identical bundles (no pointers, hash
 * orders or times reach the output). */
#ifndef BPC_CODEGEN_H
#define BPC_CODEGEN_H

#include <stddef.h>
#include <stdint.h>

#include "bpt.h"
#include "ir.h"

/* Generates the bundle of every process of ir and serializes it. *out is
 * malloc'd. ir must have passed ir_finish; any program that did compiles.
 * Returns false with a message when ir_finish refused it or a limit of the
 * format is exceeded (more than 65535 slots, a jump beyond 2 GiB, ...). */
bool codegen_bundle(const IrProgram *ir, uint8_t **out, size_t *out_len, BptError *err);

/* codegen_bundle in steps, for a caller that finishes one process at a time and gives
 * its memory to the next (`bpc compile`: lower_program_each): codegen_start once the
 * documents, actions and processes are declared (ir->finished set), codegen_process for
 * every process in order as soon as ir_finish_proc accepted it, codegen_end (which frees
 * the Codegen). With copy_strings the bundle keeps copies of the strings it takes from
 * the IR, so a process's memory may go as soon as codegen_process returns; its tables are
 * then sized for expect_nodes nodes (only the speed depends on it), the IR's processes
 * being yet to come. A process
 * ir_finish_proc refused is not given: codegen_end fails with ir->errors[0], whatever
 * failed before. The bytes are codegen_bundle's. */
typedef struct Gen Codegen;
Codegen *codegen_start(const IrProgram *ir, bool copy_strings, size_t expect_nodes,
                       BptError *err);
void codegen_process(Codegen *g, const IrProc *p);
bool codegen_end(Codegen *g, uint8_t **out, size_t *out_len);

/* The steps above as `bpc compile` takes them. codegen_each is lower_program_each's
 * callback (ctx: a CodegenRun, g NULL at first): the code generator starts at the first
 * process handed to it, copying strings, and takes each in turn. After lowering,
 * codegen_run_all gives run's code generator, started then and given every process of
 * ir when none was handed over (a program lowered whole, or one without processes). */
typedef struct CodegenRun {
  Codegen *g;
  BptError *err;
} CodegenRun;
void codegen_each(IrProgram *ir, IrProc *p, void *ctx);
Codegen *codegen_run_all(CodegenRun *run, const IrProgram *ir);

/* The GRAPH section's kind (bpt.h's BptNodeKind / BptEdgeKind) of an IR node
 * or edge kind. */
unsigned codegen_node_kind(IrNodeKind k);
unsigned codegen_edge_kind(IrEdgeKind k);

/* The bundle's value type code of a static type (BPT_T_*). */
uint8_t codegen_type_code(const Type *t);

#endif
