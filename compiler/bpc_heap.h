/* bpc_heap.h — the C library's heap, prepared for a large compile. */
#ifndef BPC_HEAP_H
#define BPC_HEAP_H

#include <stddef.h>

#include "util.h"

/* Before a job that will allocate about `bytes` from malloc in a few large, short-lived
 * buffers (the code generator's tables, the bundle, its read-back): on Linux with glibc,
 * for `bytes` of 8 MiB and more, makes the heap grow once by that much and keep what is
 * freed (so each phase reuses the pages of the one before instead of faulting in fresh
 * ones), with that part of the heap backed by huge pages where the kernel allows.
 * Elsewhere, and for less, does nothing. Only speed changes, never a result. */
void bpc_heap_prepare(size_t bytes);

/* Once a's memory is no longer used (a is only to be freed after), and while no other
 * thread allocates: where the heap was prepared, a's huge-page blocks are moved (not
 * copied) into the heap where malloc's next large allocations come from, so that those
 * reuse their pages instead of faulting in fresh ones (a freed block is otherwise given
 * back to the kernel). Elsewhere does nothing. Only speed changes. */
void bpc_heap_reuse(Arena *a);

#endif
