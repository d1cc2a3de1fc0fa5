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

#include <stdint.h>
#include <stdlib.h>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>

enum { MIN_PREPARED = 8 << 20, HUGE_PAGE = 2 << 20 };

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
}
#else
void bpc_heap_prepare(size_t bytes) { (void)bytes; }
#endif
