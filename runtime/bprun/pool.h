/* pool.h — the allocator bprun mass gives each worker's runtime: small blocks from free
 * lists by size class, carved from large slabs, so that a row's few allocations and
 * frees (texts past its document's room for them, lists: the instance, its document and
 * that room are the worker's, bp_start_at_again) cost a few instructions each rather
 * than a trip through malloc.
 *
 * It relies on the allocator contract of bp.h (BpAllocFn): every free and realloc names
 * the block's size as it was allocated, so the size alone finds the block's class and no
 * header is needed. Blocks above POOL_MAX_BLOCK go to realloc/free; it is below a
 * document with the instance of a small process (over 1 KB for S15: the document, its
 * fields, the instance, its slots, the room for its first threads, steps and timers, and
 * the room for texts), which a worker makes again only after a row that could not keep it. A pool
 * belongs to one runtime, used by one thread at a time; it keeps what it was given until
 * pool_free, so its memory is the most the runtime held at once (rounded up to the
 * classes), not the sum over the rows. Under AddressSanitizer a block on a free list is
 * poisoned, so a use after free inside the runtime is still reported. */
#ifndef BPRUN_POOL_H
#define BPRUN_POOL_H

#include <stddef.h>

enum { POOL_GRAIN = 16, POOL_MAX_BLOCK = 1024, POOL_CLASSES = POOL_MAX_BLOCK / POOL_GRAIN };

typedef struct Pool {
  void *free[POOL_CLASSES]; /* blocks of class k: (k + 1) * POOL_GRAIN bytes */
  char *at, *end;           /* what is left of the newest slab */
  void *slabs;              /* the slabs, each linked to the one before */
  size_t allocated;         /* bytes the runtime holds (as it asked for them) */
} Pool;

/* A BpAllocFn over the Pool given as ud. */
void *pool_alloc(void *ud, void *ptr, size_t old_size, size_t new_size);
/* Gives the slabs back (what the runtime still holds included). */
void pool_free(Pool *p);

#endif
