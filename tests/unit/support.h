/* support.h — what the unit tests share (support.c, linked into every one): a
 * counting allocator that can fail on purpose, for the runtime's hosts; and .bp text
 * or a file taken through the real parser, checker and lowering, asserted free of
 * errors, then compiled to a bundle. */
#ifndef BPC_TESTS_SUPPORT_H
#define BPC_TESTS_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir.h"
#include "parse.h"

/* ---- a counting allocator (BpConfig.alloc, with the Heap as alloc_ud) ---- */

typedef struct Heap {
  long allocations; /* counted while armed */
  long fail_at;     /* 1-based; 0: never */
  bool armed;
  bool failed;      /* the failure happened */
  long outstanding; /* bytes */
} Heap;

void *heap_alloc(void *ud, void *ptr, size_t old_size, size_t new_size);

/* ---- compiling .bp ---- */

typedef struct Compiled {
  Source *src;
  Program *prog;
  IrProgram *ir;
} Compiled;

/* TEXT (named test.bp) parsed, checked and lowered; errors are printed with the
 * text, and fail the test. */
Compiled compile_text(const char *text);
void compiled_free(Compiled *c);

/* The bundle of IR (codegen must succeed); the caller frees it. */
uint8_t *bundle_of(const IrProgram *ir, size_t *len);

/* The bundle of the .bp file at PATH (up to 1 MiB), compiled as compile_text does. */
uint8_t *compile_file(const char *path, size_t *len);

#endif
