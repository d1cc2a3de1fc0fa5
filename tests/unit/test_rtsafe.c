/* test_rtsafe.c — the runtime reading bytes and text that others wrote: list text with
 * bad items (each item freed once), saved states whose lengths and counts lie (a text
 * length that runs past the end, a step claiming more votes than its people cast), a
 * mutation sweep that sets every number of a saved state to huge values and changes
 * every byte, and lists of many users made unique in n log n. Run under ASan by
 * `make asan`; a read past the end is caught without it too, by a guard page. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "bp.h"
#include "codegen.h"
#include "support.h"
#include "util.h"

typedef struct World {
  Heap heap;
  size_t opened; /* items opened, each checked by expect_opened */
  uint32_t wrong; /* of them, opened for another user than expected */
  uint32_t modulo;
  int64_t clock;
  BpRuntime *rt;
  BpBundle *b;
} World;

static int64_t world_clock(void *ud) { return ((World *)ud)->clock; }

/* With modulo set, item i must be for user "v<i * 7 % modulo>". */
static void on_opened(void *ud, BpInstance *inst, const BpItem *item) {
  (void)inst;
  World *w = ud;
  if (w->modulo) {
    char want[16];
    snprintf(want, sizeof want, "v%u", (uint32_t)(w->opened * 7u) % w->modulo);
    w->wrong += strcmp(item->user, want) != 0;
  }
  w->opened++;
}

static void world_open(World *w, const char *sample) {
  memset(w, 0, sizeof *w);
  w->clock = (int64_t)20454 * 86400;
  size_t len;
  uint8_t *bytes = compile_file(sample, &len);
  BpConfig cfg = {.size = sizeof(BpConfig), .alloc = heap_alloc, .alloc_ud = &w->heap, .ud = w, .clock = world_clock, .opened = on_opened};
  BpError err;
  assert_int_equal(bp_runtime_new(&cfg, &w->rt, &err), BP_OK);
  assert_int_equal(bp_bundle_load(w->rt, bytes, len, &w->b, &err), BP_OK);
  free(bytes);
}

static void world_close(World *w) {
  bp_bundle_free(w->b);
  bp_runtime_free(w->rt);
  assert_int_equal(w->heap.outstanding, 0);
}

static BpArg arg(const char *name, BpValue v) { return (BpArg){name, v}; }

/* The checksum and size of a changed payload made right again, so the deeper checks run. */
/* The saved state (version 4): magic, version, u32 bundle checksum, the payload, then a
 * CRC-32C of everything before it in the last 4 bytes. */
enum { STATE_HEADER = 7 };
static void reseal(uint8_t *b, size_t len) {
  uint32_t crc = bpt_crc32c(0, b, len - 4);
  for (int i = 0; i < 4; i++) b[len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

static size_t put_varint(uint8_t *to, uint64_t v) {
  size_t n = 0;
  do {
    to[n] = (uint8_t)(v & 0x7F);
    v >>= 7;
    if (v) to[n] |= 0x80;
    n++;
  } while (v);
  return n;
}

/* The length of the varint at p (at most left bytes), or 0 if it does not end there. */
static size_t varint_len(const uint8_t *p, size_t left) {
  for (size_t i = 0; i < left && i < 10; i++)
    if (!(p[i] & 0x80)) return i + 1;
  return 0;
}

/* good with the `old` bytes at `at` replaced by the varint v, resealed: a new buffer. */
static uint8_t *splice_varint(const uint8_t *good, size_t len, size_t at, size_t old, uint64_t v, size_t *out_len) {
  uint8_t num[10];
  size_t k = put_varint(num, v);
  *out_len = len - old + k;
  uint8_t *b = malloc(*out_len);
  memcpy(b, good, at);
  memcpy(b + at, num, k);
  memcpy(b + at + k, good + at + old, len - at - old);
  reseal(b, *out_len);
  return b;
}

/* ---- 1. list text with a bad item --------------------------------------------------------- */

static void expect_refused(BpRuntime *rt, const char *text, uint8_t type, const char *why) {
  BpValue out;
  BpError err = {0};
  assert_int_equal(bp_value_parse(rt, text, strlen(text), type, &out, &err), BP_EINVAL);
  if (!strstr(err.message, why)) fprintf(stderr, "`%s`: %s\n", text, err.message);
  assert_non_null(strstr(err.message, why));
}

static void test_list_with_a_bad_item(void **state) {
  (void)state;
  Heap heap = {0};
  BpConfig cfg = {.size = sizeof(BpConfig), .alloc = heap_alloc, .alloc_ud = &heap};
  BpRuntime *rt;
  assert_int_equal(bp_runtime_new(&cfg, &rt, NULL), BP_OK);
  /* Each of these failed item by item once freed the item and then freed it again with
   * its list. */
  expect_refused(rt, "lee,m\xffx", BP_T_USERS, "item 2 of the list: text that is not valid UTF-8");
  expect_refused(rt, "m\xffx", BP_T_USERS, "not valid UTF-8");
  expect_refused(rt, "\"m\xff\",ann", BP_T_USERS, "item 1");
  expect_refused(rt, "ann,\"\",bob", BP_T_USERS, "item 2 of the list: an empty user id");
  expect_refused(rt, "a,b,\xc0\xaf", BP_T_LIST | BP_T_STRING, "item 3");
  expect_refused(rt, "ann,,bob", BP_T_USERS, "item 2 of the list is empty");
  expect_refused(rt, "1,2,x", BP_T_LIST | BP_T_INT, "item 3 of the list: `x` is not an int");
  expect_refused(rt, "\"a\\q\",b", BP_T_LIST | BP_T_STRING, "unknown escape");
  expect_refused(rt, "m\xffx", BP_T_USER, "not valid UTF-8");
  expect_refused(rt, "\"\"", BP_T_USER, "an empty user id");
  /* A message quotes a long text only in part. */
  char long_text[400];
  memset(long_text, 'x', sizeof long_text - 2);
  long_text[sizeof long_text - 2] = 'x';
  long_text[sizeof long_text - 1] = '\0';
  expect_refused(rt, long_text, BP_T_INT, "is not an int");
  bp_runtime_free(rt);
  assert_int_equal(heap.outstanding, 0);
}

/* ---- 6. dates of the years 1 to 9999 ------------------------------------------------------- */

static void test_dates_in_range(void **state) {
  (void)state;
  Heap heap = {0};
  BpConfig cfg = {.size = sizeof(BpConfig), .alloc = heap_alloc, .alloc_ud = &heap};
  BpRuntime *rt;
  assert_int_equal(bp_runtime_new(&cfg, &rt, NULL), BP_OK);
  BpValue out, last, first;
  BpError err;
  assert_int_equal(bp_value_parse(rt, "9999-12-31", 10, BP_T_DATE, &last, &err), BP_OK);
  assert_int_equal(bp_value_parse(rt, "0001-01-01", 10, BP_T_DATE, &first, &err), BP_OK);
  expect_refused(rt, "0000-12-31", BP_T_DATE, "is not a date");
  expect_refused(rt, "0000-12-31T10:00", BP_T_DATETIME, "is not a datetime");
  BpValue day = bp_duration(86400), none = bp_duration(0), far = bp_duration((int64_t)700000000 * 86400);
  assert_int_equal(bp_value_op(rt, BP_OP_ADD, &last, &none, &out, &err), BP_OK);
  char text[32];
  bp_value_format(&out, text, sizeof text);
  assert_string_equal(text, "9999-12-31");
  /* One day more was year 10000, which four digits cannot write nor anyone read back. */
  assert_int_equal(bp_value_op(rt, BP_OP_ADD, &last, &day, &out, &err), BP_EINVAL);
  assert_non_null(strstr(err.message, "outside the years 1 to 9999"));
  assert_int_equal(bp_value_op(rt, BP_OP_SUB, &first, &day, &out, &err), BP_EINVAL);
  assert_int_equal(bp_value_op(rt, BP_OP_ADD, &first, &far, &out, &err), BP_EINVAL);
  BpValue dt = bp_datetime(((int64_t)2932896 + 1) * 1440 - 1); /* 9999-12-31T23:59 */
  bp_value_format(&dt, text, sizeof text);
  assert_string_equal(text, "9999-12-31T23:59");
  BpValue minute = bp_duration(60);
  assert_int_equal(bp_value_op(rt, BP_OP_ADD, &dt, &minute, &out, &err), BP_EINVAL);
  /* A host's date out of the range is refused as it comes in. */
  BpValue huge = bp_date(700000000);
  assert_int_equal(bp_value_op(rt, BP_OP_ADD, &huge, &none, &out, &err), BP_EINVAL);
  assert_non_null(strstr(err.message, "outside the years 1 to 9999"));
  bp_runtime_free(rt);
  assert_int_equal(heap.outstanding, 0);
}

/* ---- 2. a text length that runs past the end ---------------------------------------------- */

/* Restores bytes placed so that they end at a page that cannot be read: reading one byte
 * past the end is a crash, with or without ASan. */
static BpStatus restore_at_page_end(BpBundle *b, const uint8_t *bytes, size_t len, BpInstance **x, BpError *err) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t span = (len + page - 1) / page * page;
  uint8_t *map = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(map != MAP_FAILED);
  assert_int_equal(mprotect(map + span, page, PROT_NONE), 0);
  uint8_t *at = map + span - len;
  memcpy(at, bytes, len);
  BpStatus st = bp_instance_restore(b, NULL, at, len, x, err);
  munmap(map, span + page);
  return st;
}

static BpInstance *start_pay_materials(World *w) {
  BpArg args[] = {arg("accountant", bp_user("marina")), arg("chief_accountant", bp_user("svetlana")),
                  arg("site_manager", bp_user("fedor")), arg("logistics", bp_user("ivan")),
                  arg("storekeeper", bp_user("vasily")),
                  arg("helpers", bp_list(BP_T_USER, (BpValue[]){bp_user("h1"), bp_user("h2")}, 2)),
                  arg("title", bp_string("bricks")), arg("pay_by", bp_datetime((int64_t)20517 * 1440 + 1080))};
  BpInstance *inst;
  BpError err;
  assert_int_equal(bp_start(w->b, "pay_materials", NULL, args, 8, NULL, &inst, &err), BP_OK);
  return inst;
}

static void test_text_length_past_the_end(void **state) {
  (void)state;
  World w;
  world_open(&w, "samples/pay_materials.bp");
  BpInstance *inst = start_pay_materials(&w);
  uint8_t *good;
  size_t len;
  BpError err;
  assert_int_equal(bp_instance_save(inst, &good, &len, &err), BP_OK);
  /* Cut after a text's tag, then a one-byte length L and L - 1 bytes: the length is
   * exactly the bytes left before it was read, one more than after. */
  int tried = 0;
  for (size_t at = STATE_HEADER; at < len; at++) {
    if (good[at] != BP_T_STRING && good[at] != BP_T_USER) continue;
    for (unsigned L = 1; L < 100; L += 7) {
      size_t n = at + 1 + L;
      uint8_t *b = malloc(n);
      memcpy(b, good, at + 1);
      b[at + 1] = (uint8_t)L;
      memset(b + at + 2, 'a', L - 1);
      reseal(b, n);
      BpInstance *x = NULL;
      BpStatus st = restore_at_page_end(w.b, b, n, &x, &err);
      assert_int_not_equal(st, BP_OK); /* it ends inside a value: never whole */
      free(b);
      tried++;
    }
  }
  assert_true(tried > 0);
  bp_free(w.rt, good, len);
  bp_instance_free(inst);
  world_close(&w);
}

/* ---- 3. counts that the people cannot have ------------------------------------------------- */

/* simple_vote with voters u1..u3 after u1 voted (wait all: the step stays open). */
static BpInstance *one_vote_cast(World *w) {
  BpArg args[] = {arg("voters", bp_list(BP_T_USER, (BpValue[]){bp_user("u1"), bp_user("u2"), bp_user("u3")}, 3)),
                  arg("title", bp_string("office"))};
  BpInstance *inst;
  BpError err;
  assert_int_equal(bp_start(w->b, "simple_vote", NULL, args, 2, NULL, &inst, &err), BP_OK);
  assert_int_equal(bp_decide(inst, 0, "u1", true, "yes", &err), BP_OK);
  return inst;
}

static void test_votes_beyond_the_people(void **state) {
  (void)state;
  World w;
  world_open(&w, "samples/simple_vote.bp");
  BpInstance *inst = one_vote_cast(&w);
  uint8_t *good;
  size_t len;
  BpError err;
  assert_int_equal(bp_instance_save(inst, &good, &len, &err), BP_OK);
  /* The step (version 4): its flags (a count of acts is written), its title in two pieces
   * (the constant "Vote on " and the document's title, met before), acted 1, 3 people. */
  static const uint8_t tail[] = {4, 3, 1, 2, 1, 3};
  size_t at = 0;
  for (size_t i = STATE_HEADER; i + sizeof tail <= len && !at; i++)
    if (memcmp(good + i, tail, sizeof tail) == 0) at = i + 4;
  assert_true(at > 0);
  static const uint64_t claims[] = {0, 2, 3, 4, 0xFFFFFFF0u, UINT32_MAX};
  for (size_t c = 0; c < sizeof claims / sizeof *claims; c++) {
    size_t n;
    uint8_t *b = splice_varint(good, len, at, 1, claims[c], &n);
    BpInstance *x = NULL;
    BpStatus st = bp_instance_restore(w.b, NULL, b, n, &x, &err);
    if (st == BP_OK) bp_instance_free(x);
    assert_int_equal(st, BP_EBADDATA); /* only 1 is what the people did */
    free(b);
  }
  /* The true count restores, and the vote goes on. */
  BpInstance *x = NULL;
  assert_int_equal(bp_instance_restore(w.b, NULL, good, len, &x, &err), BP_OK);
  assert_int_equal(bp_decide(x, 0, "u2", true, NULL, &err), BP_OK);
  assert_int_equal(bp_decide(x, 0, "u3", false, NULL, &err), BP_OK);
  assert_int_equal(bp_instance_status(x), BP_COMPLETED);
  bp_instance_free(x);
  bp_free(w.rt, good, len);
  bp_instance_free(inst);
  world_close(&w);
}

/* ---- 8. every number huge, every byte changed ------------------------------------------------ */

typedef struct Sweep {
  int refused, restored;
} Sweep;

/* Restores b; whatever restores must save to the very same bytes and take events. */
static void try_mutant(World *w, const uint8_t *b, size_t n, Sweep *sw) {
  BpInstance *x = NULL;
  BpError err;
  if (restore_at_page_end(w->b, b, n, &x, &err) != BP_OK) {
    sw->refused++;
    return;
  }
  sw->restored++;
  uint8_t *again;
  size_t again_len;
  assert_int_equal(bp_instance_save(x, &again, &again_len, &err), BP_OK);
  if (again_len != n || memcmp(again, b, n) != 0) fprintf(stderr, "restore accepted bytes save does not write\n");
  assert_int_equal(again_len, n);
  assert_memory_equal(again, b, n);
  bp_free(w->rt, again, again_len);
  bp_advance(x, w->clock + 30 * 86400, &err);
  for (int i = 1; i <= 3; i++) {
    char user[16];
    snprintf(user, sizeof user, "u%d", i);
    bp_decide(x, 0, user, i != 2, "why", &err);
  }
  bp_decide(x, 0, "marina", true, NULL, &err);
  bp_complete(x, 0, "marina", NULL, NULL, 0, &err);
  bp_instance_free(x);
}

static void sweep_state(World *w, BpInstance *inst, Sweep *sw) {
  uint8_t *good;
  size_t len;
  BpError err;
  assert_int_equal(bp_instance_save(inst, &good, &len, &err), BP_OK);
  size_t left = len - STATE_HEADER - 4;
  /* Every varint (wherever one can be read) set to huge values and to the bytes left. */
  const uint64_t huge[] = {0x7F, 0x80, 0xFFFF, 0x10000, 0x7FFFFFFF, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
                           INT64_MAX, UINT64_MAX, left, left + 1, left - 1};
  for (size_t at = STATE_HEADER; at < len; at++) {
    size_t old = varint_len(good + at, len - at);
    if (!old) continue;
    for (size_t h = 0; h < sizeof huge / sizeof *huge; h++) {
      size_t n;
      uint8_t *b = splice_varint(good, len, at, old, huge[h], &n);
      try_mutant(w, b, n, sw);
      free(b);
    }
  }
  /* Every byte set to each of a few values, and every bit flipped. */
  const uint8_t values[] = {0x00, 0x01, 0x7F, 0x80, 0xFF};
  uint8_t *b = malloc(len);
  for (size_t at = STATE_HEADER; at < len; at++) {
    for (size_t v = 0; v < sizeof values + 8; v++) {
      memcpy(b, good, len);
      b[at] = v < sizeof values ? values[v] : (uint8_t)(good[at] ^ (1u << (v - sizeof values)));
      if (b[at] == good[at]) continue;
      reseal(b, len);
      try_mutant(w, b, len, sw);
    }
  }
  free(b);
  bp_free(w->rt, good, len);
}

static void test_mutated_states(void **state) {
  (void)state;
  Sweep sw = {0};
  World w;
  world_open(&w, "samples/pay_materials.bp");
  BpInstance *inst = start_pay_materials(&w);
  sweep_state(&w, inst, &sw);
  bp_instance_free(inst);
  world_close(&w);
  world_open(&w, "samples/simple_vote.bp");
  inst = one_vote_cast(&w);
  sweep_state(&w, inst, &sw);
  bp_instance_free(inst);
  world_close(&w);
  printf("mutated states: %d refused, %d restored (saving them again gives the same bytes)\n", sw.refused,
         sw.restored);
  assert_true(sw.refused > 0 && sw.restored > 0);
}

/* ---- 5. many users, each once -------------------------------------------------------------- */

static void test_many_users_once(void **state) {
  (void)state;
  Heap heap = {0};
  BpConfig cfg = {.size = sizeof(BpConfig), .alloc = heap_alloc, .alloc_ud = &heap};
  BpRuntime *rt;
  assert_int_equal(bp_runtime_new(&cfg, &rt, NULL), BP_OK);
  /* 200,000 ids, each distinct one named twice (the second time later), in a shuffled
   * order: the result keeps each once, at its first place. */
  enum { N = 100000 };
  size_t cap = (size_t)N * 2 * 9 + 1, len = 0;
  char *text = malloc(cap);
  for (uint32_t i = 0; i < 2 * N; i++) {
    uint32_t id = (i < N ? i * 7919u : (i - N) * 7919u + 7919u * 3) % N; /* both halves cover 0..N-1 */
    len += (size_t)snprintf(text + len, cap - len, "%su%u", i ? "," : "", id);
  }
  BpValue out;
  BpError err;
  assert_int_equal(bp_value_parse(rt, text, len, BP_T_USERS, &out, &err), BP_OK);
  assert_int_equal(out.n, N);
  for (uint32_t i = 0; i < N; i++) {
    char want[16];
    snprintf(want, sizeof want, "u%u", i * 7919u % N);
    assert_int_equal(out.items[i].len, strlen(want));
    assert_memory_equal(out.items[i].s, want, out.items[i].len);
  }
  bp_value_free(rt, &out);
  /* A few, with repeats: the same rule on the short path. */
  assert_int_equal(bp_value_parse(rt, "c,a,c,b,a", 9, BP_T_USERS, &out, &err), BP_OK);
  assert_int_equal(out.n, 3);
  assert_memory_equal(out.items[0].s, "c", 1);
  assert_memory_equal(out.items[1].s, "a", 1);
  assert_memory_equal(out.items[2].s, "b", 1);
  bp_value_free(rt, &out);
  free(text);
  bp_runtime_free(rt);
  assert_int_equal(heap.outstanding, 0);
}

/* A step for 60,000 voters named with repeats: each is asked once, at the place they were
 * first named (the step's people were compared each with all before). */
static void test_many_people_on_a_step(void **state) {
  (void)state;
  World w;
  world_open(&w, "samples/simple_vote.bp");
  enum { N = 60000 };
  BpValue *voters = malloc(2 * N * sizeof *voters);
  char *names = malloc(2 * N * 16);
  for (uint32_t i = 0; i < 2 * N; i++) {
    snprintf(names + 16 * i, 16, "v%u", (i * 7u) % N);
    voters[i] = bp_user(names + 16 * i);
  }
  BpArg args[] = {arg("voters", bp_list(BP_T_USER, voters, 2 * N)), arg("title", bp_string("office"))};
  BpInstance *inst;
  BpError err;
  w.modulo = N;
  assert_int_equal(bp_start(w.b, "simple_vote", NULL, args, 2, NULL, &inst, &err), BP_OK);
  assert_int_equal(w.opened, N);
  assert_int_equal(w.wrong, 0);
  bp_instance_free(inst);
  free(voters);
  free(names);
  world_close(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_list_with_a_bad_item),
      cmocka_unit_test(test_dates_in_range),
      cmocka_unit_test(test_text_length_past_the_end),
      cmocka_unit_test(test_votes_beyond_the_people),
      cmocka_unit_test(test_mutated_states),
      cmocka_unit_test(test_many_users_once),
      cmocka_unit_test(test_many_people_on_a_step),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
