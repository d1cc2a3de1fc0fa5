/* util.c — arena, growable arrays, string builder, UTF-8 and edit distance. */
#if defined(__linux__)
/* For MAP_ANONYMOUS, MADV_HUGEPAGE and mremap, which POSIX does not have. */
#define _GNU_SOURCE
#endif
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* Blocks come zeroed and the arena never reuses memory, so no allocation
 * needs a memset. Blocks double from 64 KiB to 4 MiB: a small file costs
 * little, and a large one a few big blocks with little left unused at their
 * ends. block_size counts the header. */
struct ArenaBlock {
  ArenaBlock *next;
  size_t mapped;     /* bytes mapped by map_block, or 0: from calloc */
  ArenaAlign data[]; /* keeps every allocation aligned */
};

enum { ARENA_FIRST_BLOCK = 64 * 1024, ARENA_MAX_BLOCK = 4 * 1024 * 1024 };

_Noreturn void out_of_memory(void) {
  /* `bpc compile` may run on two threads (bpc_threads): the first to run out says so and
   * exits, and one running out meanwhile waits for that exit (two at once would be
   * undefined). */
  static atomic_flag exiting = ATOMIC_FLAG_INIT;
  if (atomic_flag_test_and_set(&exiting))
    for (;;) pause();
  fputs("bpc: out of memory\n", stderr);
  exit(2);
}

/* Allocation-failure injection, for tests only: a build with -DBPC_ALLOC_FAULTS
 * (make asan) fails the Nth allocation of the process (xmalloc, xcalloc,
 * xrealloc, an arena block, heap_realloc) when the environment has
 * BPC_FAIL_ALLOC=N (tests/alloc_faults.sh); with BPC_COUNT_ALLOCS set it says at
 * exit how many allocations it made. Other builds have none of it. */
#ifdef BPC_ALLOC_FAULTS
static _Atomic unsigned long alloc_count; /* threads may allocate (bpc_threads) */
static void print_alloc_count(void) { fprintf(stderr, "bpc: %lu allocations\n", alloc_count); }
static bool alloc_fails(void) {
  static unsigned long fail_at;
  static bool known;
  if (!known) {
    const char *v = getenv("BPC_FAIL_ALLOC");
    fail_at = v ? strtoul(v, NULL, 10) : 0;
    if (getenv("BPC_COUNT_ALLOCS")) atexit(print_alloc_count); /* how many there are to fail */
    known = true;
  }
  return ++alloc_count == fail_at;
}
#else
#define alloc_fails() false
#endif

unsigned bpc_threads(void) {
#ifdef BPC_ALLOC_FAULTS
  /* BPC_FAULT_THREADS keeps the threads (tests/alloc_faults.sh's pass on a large file):
   * which allocation is the Nth then varies from run to run, but each must end cleanly. */
  if ((getenv("BPC_FAIL_ALLOC") || getenv("BPC_COUNT_ALLOCS")) && !getenv("BPC_FAULT_THREADS")) return 1;
#endif
  const char *v = getenv("BPC_THREADS");
  if (v && *v) {
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (*end == '\0' && n >= 1 && n <= 64) return (unsigned)n;
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online < 1 ? 1 : online > 64 ? 64 : (unsigned)online;
}

void arena_init(Arena *a) {
  a->next = a->end = NULL;
  a->head = NULL;
  a->block_size = ARENA_FIRST_BLOCK;
}

static void free_block(ArenaBlock *b) {
#if defined(__linux__)
  if (b->mapped) {
    munmap(b, b->mapped);
    return;
  }
#endif
  free(b);
}

void arena_free(Arena *a) {
  ArenaBlock *b = a->head;
  while (b) {
    ArenaBlock *next = b->next;
    free_block(b);
    b = next;
  }
  arena_init(a);
}

void arena_reset(Arena *a) {
  ArenaBlock *keep = a->head;
  if (!keep) return;
  for (ArenaBlock *b = keep->next; b;) {
    ArenaBlock *next = b->next;
    free_block(b);
    b = next;
  }
  keep->next = NULL;
  char *start = (char *)keep->data;
  memset(start, 0, (size_t)(a->next - start));
  a->next = start;
}

void arena_adopt(Arena *a, Arena *from) {
  ArenaBlock *first = from->head;
  if (!first) return;
  ArenaBlock *last = first;
  while (last->next) last = last->next;
  if (a->head) { /* behind the newest, which goes on serving a's allocations */
    last->next = a->head->next;
    a->head->next = first;
  } else { /* a has no room of its own: its next allocation takes a new block */
    a->head = first;
    a->next = a->end = NULL;
  }
  arena_init(from);
}

/* ---- scratch ---------------------------------------------------------------- */

struct ScratchSpill {
  ScratchSpill *next;
  ArenaAlign data[];
};

void *scratch_alloc(Scratch *s, size_t n, size_t size) {
  const size_t align = sizeof(ArenaAlign);
  if (size && n > (SIZE_MAX - align) / size) out_of_memory();
  size_t bytes = (n * size + align - 1) & ~(align - 1);
  s->taken += bytes;
  if (s->cap - s->used >= bytes) {
    void *at = s->block + s->used;
    s->used += bytes;
    return at;
  }
  ScratchSpill *sp = xmalloc(sizeof *sp + bytes);
  sp->next = s->spills;
  s->spills = sp;
  return sp->data;
}

void *scratch_calloc(Scratch *s, size_t n, size_t size) {
  void *at = scratch_alloc(s, n, size);
  memset(at, 0, n * size);
  return at;
}

static void free_spills(Scratch *s) {
  for (ScratchSpill *sp = s->spills; sp;) {
    ScratchSpill *next = sp->next;
    free(sp);
    sp = next;
  }
  s->spills = NULL;
}

void scratch_reset(Scratch *s) {
  free_spills(s);
  if (s->taken > s->cap) {
    free(s->block);
    s->cap = s->taken;
    s->block = xmalloc(s->cap);
  }
  s->used = s->taken = 0;
}

void scratch_free(Scratch *s) {
  free_spills(s);
  free(s->block);
  *s = (Scratch){0};
}

/* Large blocks, where the kernel allows, are backed by huge pages: a large
 * input touches tens of megabytes of tree, and a page fault for each 4 KiB
 * of it was a fifth of the time of `bpc check`. On Linux such a block is
 * mapped at a 2 MiB boundary (the huge page size of x86-64 and of most
 * arm64 kernels; elsewhere merely a waste of a little address space) and
 * marked MADV_HUGEPAGE, which is only advice: where transparent huge pages
 * are off, the block gets ordinary pages. Elsewhere, or if the mapping
 * fails, it comes from calloc like a small one. */
enum { HUGE_PAGE = 2 * 1024 * 1024 };

static ArenaBlock *map_block(size_t len) {
#if defined(__linux__) && defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
  /* A huge page more than needed, then the ends unmapped to align it. */
  char *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) return NULL;
  char *start = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (start > p) munmap(p, (size_t)(start - p));
  munmap(start + len, HUGE_PAGE - (size_t)(start - p));
  madvise(start, len, MADV_HUGEPAGE);
  ArenaBlock *b = (ArenaBlock *)start; /* fresh pages: zeroed */
  b->mapped = len;
  return b;
#else
  (void)len;
  return NULL;
#endif
}

/* A zeroed block of *total bytes, the header included; a mapped one is
 * rounded up to whole huge pages, and *total says so. */
static ArenaBlock *new_block(size_t *total) {
  if (alloc_fails()) out_of_memory();
  if (*total >= HUGE_PAGE) {
    size_t len = (*total + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    ArenaBlock *b = map_block(len);
    if (b) {
      *total = len;
      return b;
    }
  }
  ArenaBlock *b = calloc(1, *total);
  if (!b) out_of_memory();
  return b;
}

size_t arena_mapped(const Arena *a) {
  size_t n = 0;
  for (const ArenaBlock *b = a->head; b; b = b->next) n += b->mapped;
  return n;
}

size_t arena_move_mapped(Arena *a, void *at, size_t room) {
  size_t moved = 0;
#if defined(__linux__) && defined(MREMAP_FIXED)
  ArenaBlock **link = &a->head;
  while (*link) {
    ArenaBlock *b = *link;
    size_t len = b->mapped;
    if (!len || len > room - moved) {
      link = &b->next;
      continue;
    }
    if (b == a->head) a->next = a->end = NULL; /* its room goes with it */
    *link = b->next; /* unlinked first: the header moves with the pages */
    char *to = (char *)at + moved;
    if (mremap(b, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to) {
      /* Left where it was, and freed as before; the destination may have been unmapped
       * first: mapped again (fresh pages) */
      munmap(b, len);
      if (mmap(to, room - moved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
               -1, 0) != to)
        out_of_memory();
      break;
    }
    moved += len;
  }
#else
  (void)a, (void)at, (void)room;
#endif
  return moved;
}

/* size (rounded by arena_alloc) does not fit in the newest block. One larger
 * than a quarter block gets a block of its own, behind the newest, which
 * goes on serving the small ones. */
void *arena_alloc_slow(Arena *a, size_t size) {
  const size_t header = offsetof(ArenaBlock, data);
  if (size > a->block_size / 4 && a->head) {
    size_t total = header + size;
    ArenaBlock *own = new_block(&total);
    own->next = a->head->next;
    a->head->next = own;
    return own->data;
  }
  size_t total = a->block_size;
  while (total - header < size) total *= 2;
  if (a->block_size < ARENA_MAX_BLOCK) a->block_size *= 2;
  ArenaBlock *b = new_block(&total);
  b->next = a->head;
  a->head = b;
  a->next = (char *)b->data + size;
  a->end = (char *)b + total;
  return b->data;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *arena_strdup(Arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

/* The formats the compiler makes names and labels with ("if %s", "%s_%u", "branch %u")
 * use only %s, %u, %d and %%: those are written here without vsnprintf, which cost a
 * tenth of `bpc compile` (docs/performance.md). simple_format_only says whether FMT is
 * such a format (the caller uses vsnprintf when it is not). */
static bool simple_format_only(const char *fmt) {
  for (const char *f = fmt; (f = strchr(f, '%')) != NULL; f += 2)
    if (f[1] != 's' && f[1] != 'u' && f[1] != 'd' && f[1] != '%') return false;
  return true;
}

/* The bytes of the output from *n on, as far as cap allows; *n counts them all. */
static void put_text(char *dst, size_t cap, size_t *n, const char *s, size_t len) {
  if (*n < cap) memcpy(dst + *n, s, len < cap - *n ? len : cap - *n);
  *n += len;
}

static void put_decimal(char *dst, size_t cap, size_t *n, unsigned long long v, bool neg) {
  char digits[24];
  int k = (int)sizeof digits;
  do digits[--k] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  if (neg) digits[--k] = '-';
  put_text(dst, cap, n, digits + k, sizeof digits - (size_t)k);
}

/* Writes the first cap bytes of the output to dst (no NUL) and returns its length: one
 * pass into a buffer on the stack is enough for the short names and labels, where a pass
 * to measure and one to write each took a call per character. */
static size_t simple_format(char *dst, size_t cap, const char *fmt, va_list ap) {
  size_t n = 0;
  for (const char *f = fmt;;) {
    const char *pct = strchr(f, '%');
    put_text(dst, cap, &n, f, pct ? (size_t)(pct - f) : strlen(f));
    if (!pct) return n;
    f = pct + 2;
    switch (pct[1]) {
    case 's': {
      const char *str = va_arg(ap, const char *);
      if (!str) str = "(null)"; /* as glibc's printf writes it */
      put_text(dst, cap, &n, str, strlen(str));
      break;
    }
    case 'u': put_decimal(dst, cap, &n, va_arg(ap, unsigned), false); break;
    case 'd': {
      int v = va_arg(ap, int);
      put_decimal(dst, cap, &n, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0);
      break;
    }
    default: put_text(dst, cap, &n, "%", 1); /* "%%" */
    }
  }
}

char *arena_printf(Arena *a, const char *fmt, ...) {
  va_list ap;
  if (simple_format_only(fmt)) {
    char buf[256];
    va_start(ap, fmt);
    size_t n = simple_format(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, n + 1);
    if (n <= sizeof buf) {
      memcpy(p, buf, n);
    } else {
      va_start(ap, fmt);
      simple_format(p, n, fmt, ap);
      va_end(ap);
    }
    p[n] = '\0';
    return p;
  }
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  char *p = arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void ptrvec_push(Arena *a, PtrVec *v, void *item) {
  if (v->n == v->cap) {
    uint32_t cap = v->cap ? v->cap * 2 : 4;
    void **items = arena_alloc(a, cap * sizeof *items);
    if (v->n) memcpy(items, v->items, v->n * sizeof *items);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->n++] = item;
}

void *xmalloc(size_t n) {
  void *p = alloc_fails() ? NULL : malloc(n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = alloc_fails() ? NULL : calloc(n ? n : 1, size ? size : 1);
  if (!p) out_of_memory();
  return p;
}

void *xrealloc(void *p, size_t n) {
  p = alloc_fails() ? NULL : realloc(p, n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

void sb_init(StrBuf *b) {
  b->data = NULL;
  b->len = b->cap = 0;
}

void sb_free(StrBuf *b) {
  free(b->data);
  sb_init(b);
}

static void sb_reserve(StrBuf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  b->data = xrealloc(b->data, cap);
  b->cap = cap;
}

void sb_putn(StrBuf *b, const char *s, size_t n) {
  sb_reserve(b, n);
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void sb_putc(StrBuf *b, char c) { sb_putn(b, &c, 1); }
void sb_puts(StrBuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_vprintf(StrBuf *b, const char *fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  if (simple_format_only(fmt)) {
    char buf[256];
    size_t len = simple_format(buf, sizeof buf, fmt, copy);
    va_end(copy);
    if (len == 0) return;
    sb_reserve(b, len);
    if (len <= sizeof buf) memcpy(b->data + b->len, buf, len);
    else simple_format(b->data + b->len, len, fmt, ap);
    b->len += len;
    b->data[b->len] = '\0';
    return;
  }
  int n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return;
  sb_reserve(b, (size_t)n);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void sb_printf(StrBuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(b, fmt, ap);
  va_end(ap);
}

char *sb_take(StrBuf *b) {
  char *s = b->data ? b->data : xstrdup("");
  sb_init(b);
  return s;
}

size_t utf8_seq_len(const unsigned char *s, size_t n) {
  if (n == 0) return 0;
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) len = 2, min = 0x80;
  else if ((c & 0xF0) == 0xE0) len = 3, min = 0x800;
  else if ((c & 0xF8) == 0xF0) len = 4, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  unsigned cp = c & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/* Columns are counted with it for every node and expression lowering places (74,674
 * calls at 100,000 lines): ASCII, one character a byte, is taken 8 bytes a step and
 * byte by byte without a call; only a byte of 0x80 and above goes to utf8_seq_len. */
size_t utf8_count(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t count = 0, i = 0;
  while (i < n) {
    uint64_t w;
    if (n - i >= 8 && (memcpy(&w, p + i, 8), (w & 0x8080808080808080u) == 0)) {
      i += 8, count += 8;
      continue;
    }
    if (p[i] < 0x80) {
      i++, count++;
      continue;
    }
    size_t k = utf8_seq_len(p + i, n - i);
    i += k ? k : 1;
    count++;
  }
  return count;
}

unsigned edit_distance(const char *a, const char *b, unsigned cap) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 64 || m > 64) return cap + 1;
  if ((n > m ? n - m : m - n) > cap) return cap + 1;
  unsigned d[65][65];
  for (size_t i = 0; i <= n; i++) d[i][0] = (unsigned)i;
  for (size_t j = 0; j <= m; j++) d[0][j] = (unsigned)j;
  for (size_t i = 1; i <= n; i++) {
    unsigned row_min = cap + 1;
    for (size_t j = 1; j <= m; j++) {
      unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
      unsigned v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
      if (v < row_min) row_min = v;
    }
    if (row_min > cap) return cap + 1;
  }
  return d[n][m] > cap ? cap + 1 : d[n][m];
}

/* A regular file is read with one read(2) into a buffer of its exact size
 * (fstat), so the text is never copied and no page is wasted; a pipe, or a
 * file that grows meanwhile, has its buffer doubled as the bytes come. */
char *read_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  struct stat st;
  size_t cap = 64 * 1024; /* bytes of text the buffer holds, the NUL aside */
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) cap = (size_t)st.st_size + 1;
  char *buf = xmalloc(cap + 1);
  size_t n = 0;
  for (;;) {
    if (n == cap) buf = xrealloc(buf, (cap *= 2) + 1);
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      close(fd);
      free(buf);
      errno = EIO;
      return NULL;
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  close(fd);
  buf[n] = '\0';
  *len = n;
  return buf;
}

void *heap_realloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  (void)ud;
  (void)old_size;
  if (new_size == 0) {
    free(ptr);
    return NULL;
  }
  return alloc_fails() ? NULL : realloc(ptr, new_size);
}

char *path_clean(const char *path) {
  size_t n = strlen(path);
  if (n == 0) return xstrdup("");
  bool rooted = path[0] == '/';
  char *out = xmalloc(n + 2);
  size_t w = rooted ? 1 : 0, floor = w; /* ".." never removes what is before floor */
  out[0] = '/';
  for (size_t r = 0; r < n;) {
    if (path[r] == '/') {
      r++;
      continue;
    }
    size_t end = r;
    while (end < n && path[end] != '/') end++;
    size_t len = end - r;
    if (len == 1 && path[r] == '.') {
      /* nothing */
    } else if (len == 2 && path[r] == '.' && path[r + 1] == '.') {
      if (w > floor) { /* drop the last part */
        while (w > floor && out[w - 1] != '/') w--;
        if (w > floor) w--; /* its slash */
      } else if (!rooted) { /* a leading "..": kept, and it raises the floor */
        if (w > 0) out[w++] = '/';
        memcpy(out + w, "..", 2);
        w += 2;
        floor = w;
      }
    } else {
      if (w > (rooted ? 1u : 0u)) out[w++] = '/';
      memcpy(out + w, path + r, len);
      w += len;
    }
    r = end;
  }
  if (w == 0) out[w++] = '.';
  out[w] = '\0';
  return out;
}
