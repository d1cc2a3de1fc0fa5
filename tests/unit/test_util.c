/* test_util.c — compiler/base helpers: path_clean, the lexical normalizer that
 * makes a bundle's recorded source name the same however it was spelled, and
 * out_write_file's whole-or-nothing writes; arena_reset; utf8_count; the formats that
 * arena_printf and sb_printf write without vsnprintf. */
#if defined(__linux__)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out.h"
#include "util.h"

static void expect_clean(const char *in, const char *want) {
  char *got = path_clean(in);
  if (strcmp(got, want) != 0) fail_msg("path_clean(\"%s\") = \"%s\", expected \"%s\"", in, got, want);
  free(got);
}

/* arena_reset keeps the newest block for the next allocations, zeroed again, and frees
 * the others (lowering resets its scratch arena after each process). */
/* A scratch hands out aligned arrays from one block, spills what does not fit, and
 * after a reset holds in its block all that the last unit took; scratch_calloc clears
 * memory an earlier unit wrote. */
static void test_scratch(void **state) {
  (void)state;
  Scratch s = {0};
  uint8_t *a = scratch_alloc(&s, 3, 1); /* the block is empty: a spill */
  memset(a, 0xAB, 3);
  uint32_t *b = scratch_calloc(&s, 1000, sizeof *b);
  for (uint32_t i = 0; i < 1000; i++) assert_int_equal(b[i], 0), b[i] = 0xFFFFFFFF;
  assert_int_equal((uintptr_t)b % sizeof(ArenaAlign), 0);
  scratch_reset(&s);
  assert_true(s.cap >= 1003);
  for (int round = 0; round < 3; round++) {
    uint8_t *x = scratch_alloc(&s, 3, 1);
    uint32_t *y = scratch_calloc(&s, 1000, sizeof *y);
    assert_true((char *)x >= s.block && (char *)(y + 1000) <= s.block + s.cap); /* no spill */
    assert_int_equal((uintptr_t)y % sizeof(ArenaAlign), 0);
    for (uint32_t i = 0; i < 1000; i++) assert_int_equal(y[i], 0), y[i] = 0xFFFFFFFF;
    scratch_reset(&s);
  }
  char *big = scratch_calloc(&s, 10000, 1); /* larger than the block: a spill, then grown */
  assert_true(big < s.block || big >= s.block + s.cap);
  for (int i = 0; i < 10000; i++) assert_int_equal(big[i], 0);
  scratch_reset(&s);
  assert_true(s.cap >= 10000);
  scratch_free(&s);
  assert_null(s.block);
}

static void test_arena_reset(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  arena_reset(&a); /* an empty arena: nothing to keep */
  unsigned char *first = arena_alloc(&a, 100);
  memset(first, 0xab, 100);
  arena_reset(&a);
  unsigned char *again = arena_alloc(&a, 100);
  assert_ptr_equal(again, first); /* the same memory */
  for (int i = 0; i < 100; i++) assert_int_equal(again[i], 0);
  /* many blocks, and one large allocation in a block of its own */
  for (int i = 0; i < 4000; i++) memset(arena_alloc(&a, 64), 0xcd, 64);
  memset(arena_alloc(&a, 1 << 20), 0xef, 1 << 20);
  unsigned char *newest = arena_alloc(&a, 16);
  arena_reset(&a);
  unsigned char *p = arena_alloc(&a, 16);
  /* the start of the newest block, which held `newest` */
  assert_true(p <= newest && (size_t)(newest - p) < ((size_t)4 << 20));
  for (int i = 0; i < 2000; i++) {
    unsigned char *q = arena_alloc(&a, 64);
    for (int k = 0; k < 64; k++) assert_int_equal(q[k], 0);
  }
  arena_free(&a);
}

/* arena_trim gives back the unused end of the newest allocation: the next one starts
 * where the kept bytes end (aligned), zeroed; an allocation that is not the newest keeps
 * all its room. make_id (ir.c) takes room for its longest id this way. */
static void test_arena_trim(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  char *p = arena_alloc(&a, 40);
  memcpy(p, "abc", 4);
  arena_trim(&a, p, 40, 4);
  char *q = arena_alloc(&a, 40);
  assert_ptr_equal(q, p + sizeof(ArenaAlign)); /* 4 bytes kept, one alignment unit */
  for (int i = 0; i < 40; i++) assert_int_equal(q[i], 0);
  assert_string_equal(p, "abc");
  char *r = arena_alloc(&a, 16);
  arena_trim(&a, q, 40, 1); /* q is not the newest: nothing changes */
  assert_ptr_equal(arena_alloc(&a, 8), r + 16);
  arena_trim(&a, r + 16, 8, 0); /* 0 bytes kept: one unit, as arena_alloc(0) takes */
  assert_ptr_equal(arena_alloc(&a, 8), r + 16 + sizeof(ArenaAlign));
  arena_free(&a);
}

#if defined(__linux__)
/* arena_move_mapped: the arena's blocks that are mappings of their own (2 and 4 MiB after
 * 5 MiB of allocations) go whole, content and all, to the memory given, as many as fit,
 * and the arena forgets them; the rest are freed with it (bpc_heap_reuse gives the
 * syntax tree's pages to the heap this way). */
static size_t bytes_equal_to(const unsigned char *p, size_t n, unsigned char c) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += p[i] == c;
  return k;
}

static void test_arena_move_mapped(void **state) {
  (void)state;
  const size_t mib = 1u << 20, chunk = 4096;
  unsigned char *map = mmap(NULL, 8 * mib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(map != MAP_FAILED);
  unsigned char *to = (unsigned char *)(((uintptr_t)map + 2 * mib - 1) & ~(uintptr_t)(2 * mib - 1));
  for (int pass = 0; pass < 2; pass++) {
    size_t room = pass == 0 ? 6 * mib : 2 * mib; /* both blocks, then the 2 MiB one */
    Arena a;
    arena_init(&a);
    for (size_t n = 0; n < 5 * mib; n += chunk) memset(arena_alloc(&a, chunk), 0xab, chunk);
    assert_int_equal(arena_mapped(&a), 6 * mib); /* 2 MiB filled, about 1 in the 4 MiB */
    memset(to, 0, 6 * mib);
    size_t moved = arena_move_mapped(&a, to, room);
    assert_int_equal(moved, room);
    assert_int_equal(arena_mapped(&a), 6 * mib - moved);
    assert_true(bytes_equal_to(to, moved, 0xab) >= (room == 6 * mib ? 3 * mib - 2 * chunk : 2 * mib - chunk));
    memset(arena_alloc(&a, 64), 0xcd, 64); /* an arena that lost its newest block allocates on */
    arena_free(&a);
  }
  munmap(map, 8 * mib);
}
#endif

/* arena_adopt: the adopted blocks keep their allocations where they are, the adopting
 * arena goes on filling its own newest block, and freeing it frees them all (leak
 * checkers see nothing left); an empty arena adopts too. */
static void test_arena_adopt(void **state) {
  (void)state;
  Arena a, from, empty;
  arena_init(&a);
  arena_init(&from);
  arena_init(&empty);
  char *p = arena_alloc(&a, 16);
  char *big = arena_alloc(&from, 200000); /* a second block in from */
  char *q = arena_alloc(&from, 24);
  memcpy(big, "kept", 5);
  memcpy(q, "too", 4);
  arena_adopt(&a, &from);
  assert_null(from.head);
  assert_ptr_equal(arena_alloc(&a, 8), p + 16); /* a's newest block serves on */
  assert_string_equal(big, "kept");
  assert_string_equal(q, "too");
  char *r = arena_alloc(&empty, 8); /* an arena with no block of its own adopts one */
  arena_init(&from);
  arena_adopt(&from, &empty);
  assert_null(empty.head);
  r[0] = 'y'; /* still its memory */
  char *s = arena_alloc(&from, 8);
  assert_true(s != r);
  for (int i = 0; i < 8; i++) assert_int_equal(s[i], 0);
  arena_free(&a);
  arena_free(&from);
}

static void test_path_clean(void **state) {
  (void)state;
  expect_clean("", "");
  expect_clean("a.bp", "a.bp");
  expect_clean("./a.bp", "a.bp");
  expect_clean(".//./a.bp", "a.bp");
  expect_clean("dir/../a.bp", "a.bp");
  expect_clean("dir/sub/../../a.bp", "a.bp");
  expect_clean("dir//a.bp", "dir/a.bp");
  expect_clean("dir/./a.bp/", "dir/a.bp");
  expect_clean("../a.bp", "../a.bp");
  expect_clean("../../x/../a.bp", "../../a.bp");
  expect_clean("a/../../b", "../b");
  expect_clean("/a/../b.bp", "/b.bp");
  expect_clean("/../a.bp", "/a.bp");
  expect_clean("//a//b", "/a/b");
  expect_clean("/", "/");
  expect_clean(".", ".");
  expect_clean("a/..", ".");
  expect_clean("..", "..");
}

/* A failed write leaves the old file and no temporary file beside it. */
static void test_out_abort(void **state) {
  (void)state;
  char dir[] = "/tmp/bpc-out.XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/f", dir);
  assert_true(out_write_file(path, "old", 3));
  OutFile o;
  assert_true(out_open(&o, path));
  fputs("half", o.f);
  out_abort(&o);
  size_t len;
  char *text = read_file(path, &len);
  assert_non_null(text);
  assert_string_equal(text, "old");
  free(text);
  assert_int_equal(unlink(path), 0);
  assert_int_equal(rmdir(dir), 0); /* empty: no temporary file left */
}

/* utf8_count as it was written first: utf8_seq_len at every character. */
static size_t count_by_sequences(const char *s, size_t n) {
  size_t count = 0, i = 0;
  while (i < n) {
    size_t k = utf8_seq_len((const unsigned char *)s + i, n - i);
    i += k ? k : 1;
    count++;
  }
  return count;
}

/* Its 8-bytes-a-step path for ASCII gives the same counts as the plain one: runs of
 * ASCII around valid, cut and invalid sequences, at every start and length. */
static void test_utf8_count(void **state) {
  (void)state;
  assert_int_equal(utf8_count("", 0), 0);
  assert_int_equal(utf8_count("approve boss", 12), 12);
  assert_int_equal(utf8_count("Zoë Müller, état", strlen("Zoë Müller, état")), 16);
  const char *text = "abcdefghij\xC3\xA9klmnopqrstuvw\xE2\x82\xACxyz0123456789\xF0\x9F\x98\x80"
                     "ABCDEFGH\xFF\xC3IJKLMNOPQRSTU\xE2\x82VWXYZ\x80" "abcdefghijklmnop\xED\xA0\x80z";
  size_t len = strlen(text);
  for (size_t at = 0; at < len; at++)
    for (size_t n = 0; at + n <= len; n++)
      assert_int_equal(utf8_count(text + at, n), count_by_sequences(text + at, n));
}

/* arena_printf and sb_printf write %s, %u, %d and %% themselves, in one pass into a
 * buffer of 256 bytes, and in two when the text is longer: both give what snprintf
 * gives, at every length around the buffer's. */
static void test_simple_formats(void **state) {
  (void)state;
  Arena a;
  arena_init(&a);
  char word[600], want[1400];
  for (size_t len = 0; len < sizeof word - 1; len += (len < 240 || len > 270) ? 37 : 1) {
    memset(word, 'w', len);
    word[len] = '\0';
    snprintf(want, sizeof want, "if %s_%u %d%%%s|%d", word, 4294967295u, -2147483647 - 1, word, 0);
    char *got = arena_printf(&a, "if %s_%u %d%%%s|%d", word, 4294967295u, -2147483647 - 1, word, 0);
    assert_string_equal(got, want);
    StrBuf b;
    sb_init(&b);
    sb_puts(&b, "<");
    sb_printf(&b, "if %s_%u %d%%%s|%d", word, 4294967295u, -2147483647 - 1, word, 0);
    assert_int_equal(b.len, strlen(want) + 1);
    assert_string_equal(b.data + 1, want);
    sb_free(&b);
  }
  const char *volatile none = NULL; /* as glibc's printf writes it; volatile: gcc checks it */
  assert_string_equal(arena_printf(&a, "%s and %s", "x", none), "x and (null)");
  assert_string_equal(arena_printf(&a, "%u%%", 0u), "0%");
  assert_string_equal(arena_printf(&a, "%s", ""), "");
  assert_string_equal(arena_printf(&a, "%5.2f", 1.5), " 1.50"); /* not simple: vsnprintf */
  arena_free(&a);
}

/* bytes_equal compares by words, the last one overlapping: it answers as memcmp does
 * for every length from 0 to 40, at every alignment, with one byte changed at each
 * place (and with none). A last word that stopped short of the end misses a change in
 * the last bytes. */
static void test_bytes_equal(void **state) {
  (void)state;
  uint8_t a[64], b[64];
  for (uint32_t i = 0; i < sizeof a; i++) a[i] = (uint8_t)(i * 37 + 11);
  for (uint32_t align = 0; align < 8; align++)
    for (uint32_t n = 0; n <= 40; n++) {
      memcpy(b + align, a, n);
      assert_true(bytes_equal(a, b + align, n));
      for (uint32_t at = 0; at < n; at++) {
        b[align + at] ^= 0x40;
        assert_false(bytes_equal(a, b + align, n));
        assert_false(bytes_equal(b + align, a, n));
        assert_true(bytes_equal(a, b + align, at)); /* the bytes before it still match */
        b[align + at] ^= 0x40;
      }
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arena_reset),
      cmocka_unit_test(test_arena_trim),
      cmocka_unit_test(test_arena_adopt),
#if defined(__linux__)
      cmocka_unit_test(test_arena_move_mapped),
#endif
      cmocka_unit_test(test_path_clean),
      cmocka_unit_test(test_out_abort),
      cmocka_unit_test(test_utf8_count),
      cmocka_unit_test(test_simple_formats),
      cmocka_unit_test(test_scratch),
      cmocka_unit_test(test_bytes_equal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
