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

/* The GRAPH section's kind (bpt.h's BptNodeKind / BptEdgeKind) of an IR node
 * or edge kind. */
unsigned codegen_node_kind(IrNodeKind k);
unsigned codegen_edge_kind(IrEdgeKind k);

/* The bundle's value type code of a static type (BPT_T_*). */
uint8_t codegen_type_code(const Type *t);

#endif
