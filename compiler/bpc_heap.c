/* bpc_heap.c — the C library's heap, prepared for a large compile (bpc_heap.h).
 *
 * `bpc compile` of a 100,000-line program allocates about 100 MB. Its arenas map their
 * own huge pages (util.c); what comes from malloc came in 4 KiB pages, each a page fault,
 * and big blocks freed by one phase went back to the kernel (glibc unmaps a freed block
 * of more than 128 KiB, and trims the top of the heap), so the next phase faulted in
 * fresh pages again: about 9,500 faults, and on a virtual machine a third of compile's
 * CPU time was the kernel's. Here the heap grows once by the expected size, the big
 * blocks come from it, nothing is given back before exit, and that range is advised as
 * huge pages: about a third of the faults remain. */
#define _GNU_SOURCE /* mallopt, madvise */
#include "bpc_heap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>

enum { MIN_PREPARED = 8 << 20, HUGE_PAGE = 2 << 20 };

static bool prepared;

void bpc_heap_prepare(size_t bytes) {
  if (bytes < MIN_PREPARED || bytes > SIZE_MAX / 2) return;
  /* Blocks up to 32 MiB (the most every 64-bit glibc accepts) from the heap, not each
   * from its own mapping; freed memory is kept; the heap grows by `bytes` at a time.
   * One arena for every thread (bpc_threads), so that a second thread's blocks come from
   * this heap too. */
  if (!mallopt(M_ARENA_MAX, 1) || !mallopt(M_MMAP_THRESHOLD, 32 << 20) ||
      !mallopt(M_TRIM_THRESHOLD, INT32_MAX) ||
      !mallopt(M_TOP_PAD, bytes > INT32_MAX ? INT32_MAX : (int)bytes))
    return;
  char *p = malloc(bytes); /* grows the heap; free keeps it */
  if (!p) return;
  uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
  uintptr_t hi = ((uintptr_t)p + bytes) & ~(uintptr_t)(HUGE_PAGE - 1);
  if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* only advice */
  free(p);
  prepared = true;
}

/* The pages go into a block malloc'd for them and then freed: they are the heap's free
 * memory from then on, in place of the untouched pages they replace. The block is the
 * top chunk, where the next large blocks come from, all of it but a few bytes at the
 * break: malloc writes the header of what is left past the block's end, which there is
 * on a small page (the huge pages advised end before the break), not in a fresh huge one. */
void bpc_heap_reuse(Arena *a) {
#if __GLIBC__ > 2 || __GLIBC_MINOR__ >= 33 /* mallinfo2 */
  size_t len = arena_mapped(a);
  if (!prepared || len == 0) return;
  size_t top = mallinfo2().keepcost; /* the top chunk's size */
  if (top < 2 * HUGE_PAGE) return;
  size_t size = top - 256;
  char *p = malloc(size);
  if (!p) return;
  uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
  uintptr_t hi = ((uintptr_t)p + size) & ~(uintptr_t)(HUGE_PAGE - 1);
  if (hi > lo) arena_move_mapped(a, (void *)lo, hi - lo);
  free(p);
#else
  (void)a;
#endif
}
#else
void bpc_heap_prepare(size_t bytes) { (void)bytes; }
void bpc_heap_reuse(Arena *a) { (void)a; }
#endif
