/* util.h — the compiler's small toolbox: an arena for the syntax tree, growable
 * arrays, a string builder, UTF-8 helpers and edit distance for "did you mean".
 *
 * The compiler allocates every tree node in one arena and frees it in one call:
 * a parse that stops half way (syntax error, nesting limit) leaks nothing and
 * needs no per-node destructor. */
#ifndef BPC_UTIL_H
#define BPC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- arena ---------------------------------------------------------------- */

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
  char *next, *end;  /* the free part of the newest block */
  ArenaBlock *head;  /* newest block first */
  size_t block_size; /* the size of the next block (they grow; see util.c) */
} Arena;

void arena_init(Arena *a);
void arena_free(Arena *a);
/* Gives up every allocation but keeps the newest block, its used part zeroed again, for
 * the next ones: a scratch arena reused many times (once per process) touches the same
 * few pages instead of fresh ones each time. */
void arena_reset(Arena *a);
/* Moves every block of from into a, behind its newest (a frees them with its own; the
 * allocations in them stay where they are); from is left empty. */
void arena_adopt(Arena *a, Arena *from);
/* The bytes of a's blocks that are mappings of their own (huge pages, util.c). */
size_t arena_mapped(const Arena *a);
/* Moves those blocks' pages, whole and one after another, to [at, at + room) (at a
 * huge-page boundary, memory the caller owns and no other thread uses), as many as fit,
 * and forgets them: their content is the caller's to overwrite, and a is only to be
 * freed after (nothing in it used). The bytes moved; 0 where pages cannot be moved
 * (not Linux). */
size_t arena_move_mapped(Arena *a, void *at, size_t room);
void *arena_alloc_slow(Arena *a, size_t size);

/* What arena memory is aligned for: pointers, 64-bit integers and doubles,
 * which is all the compiler puts there. (max_align_t would be 16 bytes on
 * common 64-bit targets, for long double: padding on every node.) */
typedef union ArenaAlign {
  void *p;
  void (*f)(void);
  int64_t i;
  double d;
} ArenaAlign;

/* Zeroed memory, aligned as ArenaAlign; aborts the program on out-of-memory
 * (the compiler is a command-line tool; the runtime never uses this).
 * Inline: the parser allocates a node for nearly every token, and this is a
 * pointer bump. */
static inline void *arena_alloc(Arena *a, size_t size) {
  const size_t align = sizeof(ArenaAlign);
  size = size ? (size + align - 1) / align * align : align;
  if ((uintptr_t)a->end - (uintptr_t)a->next < size) return arena_alloc_slow(a, size);
  void *p = a->next;
  a->next += size;
  return p;
}
/* p, the arena's newest allocation of `size` bytes, keeps only its first `used`;
 * the rest (still zeroed: the caller wrote none of it) serves the next allocation.
 * Does nothing when p is not the newest. */
static inline void arena_trim(Arena *a, void *p, size_t size, size_t used) {
  const size_t align = sizeof(ArenaAlign);
  size = size ? (size + align - 1) / align * align : align;
  used = used ? (used + align - 1) / align * align : align;
  if ((char *)p + size == a->next && used <= size) a->next = (char *)p + used;
}
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- hashing ---------------------------------------------------------------- */

/* A hash of n bytes, eight at a time (a multiply and a rotate each), not one: the
 * code generator's tables see every string and constant of the program, and
 * ir_finish every node id. */
static inline uint32_t bytes_hash(const uint8_t *p, uint32_t n) {
  uint64_t h = 0x9E3779B97F4A7C15u ^ n;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDu;
    h = h << 29 | h >> 35;
    p += 8, n -= 8;
  }
  uint64_t w = 0; /* the last 0..7 bytes: 4, 2 and 1 at a time, not one by one */
  if (n & 4) {
    uint32_t x;
    memcpy(&x, p, 4);
    w = x;
    p += 4;
  }
  if (n & 2) {
    uint16_t x;
    memcpy(&x, p, 2);
    w = w << 16 | x;
    p += 2;
  }
  if (n & 1) w = w << 8 | *p;
  h = (h ^ w) * 0xC4CEB9FE1A85EC53u;
  return (uint32_t)(h >> 32 ^ h);
}

/* a[0..n) == b[0..n), eight bytes a step and with no call: the tables compare a key
 * on every hit, and memcmp's call cost more than the compare of the short keys they
 * hold (names, ids, titles). Every load stays inside the n bytes: the last word is
 * the one that ends at n, overlapping the one before it. */
static inline bool bytes_equal(const void *a, const void *b, uint32_t n) {
  const uint8_t *x = a, *y = b;
  if (n >= 8) {
    uint64_t u, v;
    for (uint32_t i = 0; i + 8 < n; i += 8) {
      memcpy(&u, x + i, 8);
      memcpy(&v, y + i, 8);
      if (u != v) return false;
    }
    memcpy(&u, x + n - 8, 8);
    memcpy(&v, y + n - 8, 8);
    return u == v;
  }
  if (n >= 4) {
    uint32_t u1, v1, u2, v2;
    memcpy(&u1, x, 4);
    memcpy(&v1, y, 4);
    memcpy(&u2, x + n - 4, 4);
    memcpy(&v2, y + n - 4, 4);
    return u1 == v1 && u2 == v2;
  }
  for (uint32_t i = 0; i < n; i++)
    if (x[i] != y[i]) return false;
  return true;
}

/* ---- scratch ---------------------------------------------------------------- */

/* Work arrays that live for one unit of work (a process) and are then all given back
 * at once, in one block that every unit reuses: no malloc and free per array. An
 * array that does not fit is malloc'd on its own (a spill) until scratch_reset, which
 * then grows the block to what the unit took, so the next unit of that size fits.
 * Zero-initialize it ({0}). */
typedef struct ScratchSpill ScratchSpill;
typedef struct Scratch {
  char *block;
  size_t cap, used; /* used: bytes of the block taken since the last reset */
  size_t taken;     /* bytes asked for since the last reset, spills included */
  ScratchSpill *spills;
} Scratch;

/* n items of size bytes, aligned as ArenaAlign; valid until scratch_reset. */
void *scratch_alloc(Scratch *s, size_t n, size_t size);
/* As scratch_alloc, zeroed. */
void *scratch_calloc(Scratch *s, size_t n, size_t size);
void scratch_reset(Scratch *s);
void scratch_free(Scratch *s);

/* A growable array of pointers whose storage lives in an arena. */
typedef struct PtrVec {
  void **items;
  uint32_t n, cap;
} PtrVec;

void ptrvec_push(Arena *a, PtrVec *v, void *item);

/* ---- strings ----------------------------------------------------------------- */

/* strcmp(a, b) == 0, the first bytes compared inline: in a search through a
 * list of names, most candidates differ there, and the call is saved. */
static inline bool str_eq(const char *a, const char *b) {
  return a[0] == b[0] && strcmp(a, b) == 0;
}

/* ---- heap helpers (abort on out-of-memory) -------------------------------- */

/* Says so on stderr and exits with status 2. */
_Noreturn void out_of_memory(void);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* ---- threads ----------------------------------------------------------------- */

/* How many threads one compile may use: BPC_THREADS when it is a number from 1 to
 * 64, else the processors online (at most 64). A phase that can work in parallel
 * uses at most this many; 1 runs everything on the calling thread. The output is
 * the same bytes whatever the count. A build with allocation-failure injection
 * uses one thread while BPC_FAIL_ALLOC or BPC_COUNT_ALLOCS is set, so that the Nth
 * allocation is the same one in every run (unless BPC_FAULT_THREADS is set too). */
unsigned bpc_threads(void);

/* ---- string builder -------------------------------------------------------- */

typedef struct StrBuf {
  char *data; /* always NUL-terminated once anything was added */
  size_t len, cap;
} StrBuf;

void sb_init(StrBuf *b);
void sb_free(StrBuf *b);
void sb_putc(StrBuf *b, char c);
void sb_puts(StrBuf *b, const char *s);
void sb_putn(StrBuf *b, const char *s, size_t n);
void sb_printf(StrBuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* fmt is never NULL: said so, because GCC's -Wformat-truncation with UBSan at -O2 took a
 * path with a NULL format for real and failed the build. */
void sb_vprintf(StrBuf *b, const char *fmt, va_list ap) __attribute__((nonnull(2), format(printf, 2, 0)));
/* Returns the string and leaves the builder empty; the caller frees it. */
char *sb_take(StrBuf *b);

/* ---- UTF-8 ------------------------------------------------------------------ */

/* Number of code points in s[0..n); invalid bytes count one each. */
size_t utf8_count(const char *s, size_t n);
/* Length of a valid UTF-8 sequence starting at s (at most n bytes), or 0 when
 * the bytes there are not valid UTF-8. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* ---- names ------------------------------------------------------------------ */

/* Damerau-Levenshtein (optimal string alignment) distance, capped: returns
 * cap+1 as soon as the distance is known to exceed cap. */
unsigned edit_distance(const char *a, const char *b, unsigned cap);

/* The C heap as a realloc-style allocator (bpt.h's BptAllocFn, bp.h's): the
 * one the compiler's tools hand to the bundle reader, writer and verifier.
 * new_size 0 frees ptr and returns NULL. */
void *heap_realloc(void *ud, void *ptr, size_t old_size, size_t new_size);

/* path cleaned lexically, as Go's path.Clean: repeated slashes and "." parts
 * dropped, "dir/.." removed (never above the root or a leading ".."), no
 * trailing slash; "" stays "", and nothing left is ".". Symbolic links are
 * not resolved (the file system is not read). The caller frees the result. */
char *path_clean(const char *path);

/* Reads a whole file; returns NULL and sets errno on failure. *len gets the
 * size. The buffer is NUL-terminated (the NUL is not counted) and has room
 * for one byte more, which source_new uses. */
char *read_file(const char *path, size_t *len);

#endif
