/* bpc_heap.h — the C library's heap, prepared for a large compile. */
#ifndef BPC_HEAP_H
#define BPC_HEAP_H

#include <stddef.h>

/* Before a job that will allocate about `bytes` from malloc in a few large, short-lived
 * buffers (the code generator's tables, the bundle, its read-back): on Linux with glibc,
 * for `bytes` of 8 MiB and more, makes the heap grow once by that much and keep what is
 * freed (so each phase reuses the pages of the one before instead of faulting in fresh
 * ones), with that part of the heap backed by huge pages where the kernel allows.
 * Elsewhere, and for less, does nothing. Only speed changes, never a result. */
void bpc_heap_prepare(size_t bytes);

#endif
