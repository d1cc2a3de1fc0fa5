/* pool.c — size-class free lists over large slabs for bprun mass's runtimes (pool.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

enum { SLAB_SIZE = 64 * 1024, SLAB_HEAD = POOL_GRAIN /* the link to the slab before */ };

static size_t class_of(size_t size) { return (size - 1) / POOL_GRAIN; }

/* A block of class K: from its free list, else from the newest slab (a new one when it
 * is used up: its tail, smaller than a block, is left unused). */
static void *take(Pool *p, size_t k) {
  size_t bytes = (k + 1) * POOL_GRAIN;
  void *b = p->free[k];
  if (b) {
    UNPOISON(b, bytes);
    memcpy(&p->free[k], b, sizeof(void *));
    return b;
  }
  if ((size_t)(p->end - p->at) < bytes) {
    char *slab = malloc(SLAB_SIZE);
    if (!slab) return NULL;
    memcpy(slab, &p->slabs, sizeof(void *));
    p->slabs = slab;
    p->at = slab + SLAB_HEAD;
    p->end = slab + SLAB_SIZE;
    POISON(p->at, (size_t)(p->end - p->at));
  }
  b = p->at;
  p->at += bytes;
  UNPOISON(b, bytes);
  return b;
}

static void give_back(Pool *p, void *b, size_t k) {
  memcpy(b, &p->free[k], sizeof(void *));
  p->free[k] = b;
  POISON((char *)b + sizeof(void *), (k + 1) * POOL_GRAIN - sizeof(void *));
}

/* Everything but the common cases of pool_alloc (kept out of it, so that they cost
 * it no saved registers). */
__attribute__((noinline)) static void *pool_realloc(Pool *p, void *ptr, size_t old_size, size_t new_size) {
  if (!ptr) old_size = 0;
  bool small_old = old_size && old_size <= POOL_MAX_BLOCK, small_new = new_size && new_size <= POOL_MAX_BLOCK;
  if (new_size == 0) {
    if (!ptr) return NULL;
    if (small_old) give_back(p, ptr, class_of(old_size));
    else free(ptr);
    p->allocated -= old_size;
    return NULL;
  }
  void *q;
  if (small_new && small_old && class_of(old_size) == class_of(new_size)) q = ptr; /* it fits where it is */
  else if (!small_new && !small_old) q = realloc(ptr, new_size);
  else {
    q = small_new ? take(p, class_of(new_size)) : malloc(new_size);
    if (q && ptr) {
      memcpy(q, ptr, old_size < new_size ? old_size : new_size);
      if (small_old) give_back(p, ptr, class_of(old_size));
      else free(ptr);
    }
  }
  if (q) p->allocated += new_size - old_size;
  return q;
}

/* The common cases first, in a function that calls nothing else on its way: a small
 * block taken from its free list, a small block freed. */
void *pool_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  Pool *p = ud;
  if (!ptr && new_size - 1 < POOL_MAX_BLOCK) {
    size_t k = class_of(new_size);
    void *b = p->free[k];
    if (b) {
      UNPOISON(b, (k + 1) * POOL_GRAIN);
      memcpy(&p->free[k], b, sizeof(void *));
      p->allocated += new_size;
      return b;
    }
  } else if (ptr && new_size == 0 && old_size - 1 < POOL_MAX_BLOCK) {
    give_back(p, ptr, class_of(old_size));
    p->allocated -= old_size;
    return NULL;
  }
  return pool_realloc(p, ptr, old_size, new_size);
}

void pool_free(Pool *p) {
  while (p->slabs) {
    void *slab = p->slabs;
    UNPOISON(slab, SLAB_SIZE);
    memcpy(&p->slabs, slab, sizeof(void *));
    free(slab);
  }
  memset(p, 0, sizeof *p);
}
