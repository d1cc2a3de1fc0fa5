/* backend.h — the compiler's back end: checked tree -> graph IR -> bundle.
 *
 *   Program (checked) --lower_program--> IrProgram --codegen_bundle--> .bpt bytes
 *
 * Both steps are deterministic: the same input gives byte-identical bundles
 * (no pointers, hash orders or times reach the output). */
#ifndef BPC_BACKEND_H
#define BPC_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "bpt.h"
#include "ir.h"

/* Lowers a program that parsed and checked without errors (lower.c). The IR
 * borrows the program's expressions: free it (ir_free) before the program. */
IrProgram *lower_program(const Program *prog);

/* Generates the bundle of every process of ir and serializes it (codegen.c).
 * *out is malloc'd. Returns false with a message when a limit of the format
 * is exceeded (more than 65535 slots, a jump beyond 2 GiB, ...). */
bool codegen_bundle(const IrProgram *ir, uint8_t **out, size_t *out_len, BptError *err);

/* The bundle's value type code of a static type (BPT_T_*). */
uint8_t codegen_type_code(const Type *t);

#endif
