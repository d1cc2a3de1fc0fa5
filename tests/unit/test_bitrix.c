/* test_bitrix.c — the Bitrix24 template importer (compiler/import/bitrix): the
 * strict reader of PHP serialize data and zlib, against hostile input (truncated
 * and trailing zlib, an inflate bomb, lying string lengths and counts, arrays
 * nested 100,000 deep, objects, references, invalid UTF-8, trailing bytes), each
 * refused with the byte offset; and Bitrix's vote rules of ApproveActivity
 * (BITRIX.md and Bitrix's CBPApproveActivity::OnExternalEvent), decided by the
 * real runtime on the imported process (`mode bitrix M%`) for every order of
 * votes of up to 5 voters, compared vote by vote with Bitrix's; its PHP
 * arithmetic (29 of 100 is 28%), a vote from someone not in the list, and a
 * timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bitrix.h"
#include "bp.h"
#include "support.h"
#include "util.h"

/* ---- the reader ------------------------------------------------------------------ */

/* Reads data; returns the error message (malloc'd) or NULL when it was read. */
static char *read_err(const char *data, size_t len) {
  BxDoc doc;
  char *err = NULL;
  if (bx_read("t.bpt", data, len, &doc, &err)) {
    bx_doc_free(&doc);
    return NULL;
  }
  assert_non_null(err);
  return err;
}

/* data is refused with a message containing want. */
static void refused(const char *data, size_t len, const char *want) {
  char *err = read_err(data, len);
  if (!err || !strstr(err, want)) fprintf(stderr, "wanted \"%s\", got \"%s\"\n", want, err ? err : "(read)");
  assert_non_null(err);
  assert_non_null(strstr(err, want));
  assert_true(strncmp(err, "t.bpt: error: ", 14) == 0);
  free(err);
}
#define REFUSED(lit, want) refused(lit, sizeof lit - 1, want)

static void test_reads_every_kind(void **state) {
  (void)state;
  /* "Ёлка" is 8 bytes: PHP counts bytes */
  const char *s = "a:6:{i:0;N;s:1:\"b\";b:1;s:1:\"i\";i:-42;s:1:\"d\";d:1.5;s:1:\"s\";s:8:\"Ёлка\";i:7;a:0:{}}";
  BxDoc doc;
  char *err = NULL;
  assert_true(bx_read("t.bpt", s, strlen(s), &doc, &err));
  assert_int_equal(doc.root->kind, BX_ARRAY);
  assert_int_equal(doc.root->u.a.n, 6);
  assert_int_equal(bx_get(doc.root, "b")->u.b, true);
  assert_int_equal(bx_get(doc.root, "i")->u.i, -42);
  assert_string_equal(bx_get(doc.root, "d")->u.s.text, "1.5");
  assert_string_equal(bx_get(doc.root, "s")->u.s.text, "Ёлка");
  assert_int_equal(doc.root->u.a.vals[0]->kind, BX_NULL);
  assert_false(doc.compressed);
  bx_doc_free(&doc);
}

static uint8_t *zlib_of(const char *s, size_t len, size_t *out_len) {
  uLongf n = compressBound(len);
  uint8_t *z = malloc(n);
  assert_int_equal(compress2(z, &n, (const Bytef *)s, len, 9), Z_OK);
  *out_len = n;
  return z;
}

static void test_zlib(void **state) {
  (void)state;
  const char *s = "a:1:{s:8:\"TEMPLATE\";a:0:{}}";
  size_t n;
  uint8_t *z = zlib_of(s, strlen(s), &n);
  BxDoc doc;
  char *err = NULL;
  assert_true(bx_looks_like_template((const char *)z, n));
  assert_true(bx_read("t.bpt", (const char *)z, n, &doc, &err));
  assert_true(doc.compressed);
  bx_doc_free(&doc);
  /* truncated: every cut is refused */
  for (size_t cut = 1; cut < n; cut++) {
    char *e = read_err((const char *)z, cut);
    assert_non_null(e);
    free(e);
  }
  refused((const char *)z, n - 3, "truncated");
  /* bytes after the stream */
  uint8_t *more = malloc(n + 3);
  memcpy(more, z, n);
  memcpy(more + n, "xyz", 3);
  refused((const char *)more, n + 3, "3 bytes after the end of the zlib data");
  /* a damaged stream */
  more[n / 2] ^= 0xff;
  char *e = read_err((const char *)more, n);
  assert_non_null(e);
  free(e);
  free(more);
  free(z);
}

/* A zlib stream of 80 MiB of 'a' (about 80 KB): more than the reader inflates. */
static void test_inflate_bomb(void **state) {
  (void)state;
  static unsigned char in[1 << 20];
  memset(in, 'a', sizeof in);
  size_t cap = 1 << 20, len = 0;
  unsigned char *out = malloc(cap);
  z_stream z;
  memset(&z, 0, sizeof z);
  assert_int_equal(deflateInit(&z, 9), Z_OK);
  for (int i = 0; i < 80; i++) {
    z.next_in = in;
    z.avail_in = sizeof in;
    do {
      if (cap - len < 4096) out = realloc(out, cap *= 2);
      z.next_out = out + len;
      z.avail_out = (uInt)(cap - len);
      deflate(&z, i == 79 ? Z_FINISH : Z_NO_FLUSH);
      len = cap - z.avail_out;
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  assert_true(len < 200000);
  refused((const char *)out, len, "inflates to more than 67108864 bytes");
  free(out);
}

static void test_hostile_serialize(void **state) {
  (void)state;
  REFUSED("a:1:{s:1:\"x\";O:8:\"stdClass\":0:{}}", "at byte 13: a PHP object");
  REFUSED("a:1:{s:1:\"x\";C:3:\"Foo\":0:{}}", "at byte 13: a PHP object");
  REFUSED("a:2:{i:0;a:0:{}i:1;r:2;}", "at byte 19: a PHP reference");
  REFUSED("a:2:{i:0;a:0:{}i:1;R:2;}", "a PHP reference");
  REFUSED("a:1:{i:0;s:5:\"Ёлка\";}", "at byte 9: the string's length 5 does not match");
  REFUSED("a:1:{i:0;s:9:\"Ёлка\";}", "does not match");
  REFUSED("a:1:{i:0;s:99999999999:\"x\";}", "does not match");
  REFUSED("a:1:{i:0;s:-1:\"x\";}", "a number expected");
  REFUSED("a:1:{i:0;s:2:\"\xc3\x28\";}", "at byte 14: the text is not UTF-8");
  REFUSED("a:1:{i:0;s:2:\"\xc0\xaf\";}", "not UTF-8"); /* overlong */
  REFUSED("a:1:{i:0;s:3:\"\xed\xa0\x80\";}", "not UTF-8"); /* a surrogate */
  REFUSED("a:1:{i:0;s:1:\"\x80\";}", "not UTF-8");
  REFUSED("a:0:{}x", "at byte 6: 1 bytes after the end of the data");
  REFUSED("a:0:{}a:0:{}", "6 bytes after the end");
  REFUSED("a:999999:{i:0;N;}", "claims 999999 members");
  REFUSED("a:2:{i:0;N;}", "claims 2 members"); /* fewer members than it says */
  REFUSED("a:2:{i:0;N;}a:0:{}xxxxx", "at byte 11: '}' is not a PHP serialize type");
  REFUSED("a:1:{i:0;i:99999999999999999999;}", "too large");
  REFUSED("a:1:{i:0;b:2;}", "a bool is 0 or 1");
  REFUSED("a:1:{i:0;x:1;}", "not a PHP serialize type");
  REFUSED("a:1:{a:0:{}N;}", "an array key must be an integer or a string");
  REFUSED("a:1:{i:0;d:1e5x;}", "a number expected");
  REFUSED("a:1:{i:0;a:0:", "the data ends");
  REFUSED("s:1:\"x\";", "damaged zlib data"); /* not `a:`: so read as zlib, as Bitrix does */
}

/* 10^5 nested arrays: refused at the depth limit, without recursing that deep. */
static void test_deep(void **state) {
  (void)state;
  enum { N = 100000 };
  StrBuf b;
  sb_init(&b);
  for (int i = 0; i < N; i++) sb_puts(&b, "a:1:{i:0;");
  sb_puts(&b, "N;");
  for (int i = 0; i < N; i++) sb_putc(&b, '}');
  refused(b.data, b.len, "arrays nested more than 256 deep");
  sb_free(&b);
}

/* ---- templates written here ---------------------------------------------------------- */

static void put_str(StrBuf *b, const char *s) { sb_printf(b, "s:%zu:\"%s\";", strlen(s), s); }
static void put_kv(StrBuf *b, const char *k, const char *v) {
  put_str(b, k);
  put_str(b, v);
}

/* A template: a vote of Voters (min percent, wait for all Y/N, a timeout of
 * `timeout_days` days unless 0) whose branches set Outcome to "yes" or "no". */
static char *vote_template_due(int min, bool wait, int timeout_days) {
  StrBuf b;
  sb_init(&b);
  char pct[16];
  snprintf(pct, sizeof pct, "%d", min);
  sb_puts(&b, "a:5:{");
  put_str(&b, "TEMPLATE");
  sb_puts(&b, "a:1:{i:0;a:4:{");
  put_kv(&b, "Type", "SequentialWorkflowActivity");
  put_kv(&b, "Name", "Template");
  put_str(&b, "Properties");
  sb_puts(&b, "a:1:{");
  put_kv(&b, "Title", "vote");
  sb_puts(&b, "}");
  put_str(&b, "Children");
  sb_puts(&b, "a:1:{i:0;a:4:{");
  put_kv(&b, "Type", "ApproveActivity");
  put_kv(&b, "Name", "A1");
  put_str(&b, "Properties");
  sb_printf(&b, "a:%d:{", timeout_days ? 7 : 5);
  if (timeout_days) {
    char days[16];
    snprintf(days, sizeof days, "%d", timeout_days);
    put_kv(&b, "TimeoutDuration", days);
    put_kv(&b, "TimeoutDurationType", "d");
  }
  put_kv(&b, "ApproveType", min < 0 ? (min == -1 ? "any" : "all") : "vote");
  put_kv(&b, "ApproveMinPercent", min < 0 ? "50" : pct);
  put_kv(&b, "ApproveWaitForAll", wait ? "Y" : "N");
  put_kv(&b, "Name", "Vote");
  put_str(&b, "Users");
  sb_puts(&b, "a:1:{i:0;");
  put_str(&b, "{=Template:Voters}");
  sb_puts(&b, "}}");
  put_str(&b, "Children");
  sb_puts(&b, "a:2:{");
  for (int i = 0; i < 2; i++) {
    sb_printf(&b, "i:%d;a:3:{", i);
    put_kv(&b, "Type", "SetVariableActivity");
    put_kv(&b, "Name", i ? "N1" : "Y1");
    put_str(&b, "Properties");
    sb_puts(&b, "a:1:{");
    put_str(&b, "VariableValue");
    sb_puts(&b, "a:1:{");
    put_kv(&b, "Outcome", i ? "no" : "yes");
    sb_puts(&b, "}}}");
  }
  sb_puts(&b, "}}}}}");
  put_str(&b, "PARAMETERS");
  sb_puts(&b, "a:1:{");
  put_str(&b, "Voters");
  sb_puts(&b, "a:4:{");
  put_kv(&b, "Name", "Voters");
  put_kv(&b, "Type", "user");
  put_kv(&b, "Required", "1");
  put_kv(&b, "Multiple", "1");
  sb_puts(&b, "}}");
  put_str(&b, "VARIABLES");
  sb_puts(&b, "a:1:{");
  put_str(&b, "Outcome");
  sb_puts(&b, "a:2:{");
  put_kv(&b, "Name", "Outcome");
  put_kv(&b, "Type", "string");
  sb_puts(&b, "}}");
  put_str(&b, "CONSTANTS");
  sb_puts(&b, "a:0:{}");
  put_str(&b, "DOCUMENT_FIELDS");
  sb_puts(&b, "a:0:{}}");
  return sb_take(&b);
}

static char *vote_template(int min, bool wait) { return vote_template_due(min, wait, 0); }

static char *import_text(const char *tpl) {
  StrBuf msgs;
  sb_init(&msgs);
  char *text = bx_import("vote.bpt", tpl, strlen(tpl), &msgs);
  if (!text) fprintf(stderr, "%s", msgs.data ? msgs.data : "");
  sb_free(&msgs);
  assert_non_null(text);
  return text;
}

/* ---- Bitrix's vote rules (BITRIX.md), after each vote ------------------------------- */

typedef enum Verdict { UNDECIDED, APPROVED, REJECTED } Verdict;

/* min: -1 any, -2 all, else vote with that ApproveMinPercent. first: the first vote. */
static Verdict bitrix_rule(int min, bool wait, int total, int approved, int rejected, bool first_approved) {
  int voted = approved + rejected;
  if (min == -1) return voted ? (first_approved ? APPROVED : REJECTED) : UNDECIDED;
  if (min == -2) return rejected ? REJECTED : approved == total ? APPROVED : UNDECIDED;
  int percent = (int)((double)approved / total * 100); /* PHP: intval($a / $t * 100) */
  bool yes = percent > min || (percent == 100 && min == 100);
  if (wait) return voted < total ? UNDECIDED : yes ? APPROVED : REJECTED;
  if (yes) return APPROVED;
  double none = (double)(voted - approved) / total * 100; /* not truncated */
  if (none > 0 && none >= 100 - min) return REJECTED;
  return UNDECIDED;
}

/* The vote sequence `bits` (bit i: voter i approves) through the real runtime:
 * the verdict and after how many votes it came. */
static Verdict runtime_vote(BpBundle *b, int total, unsigned bits, int *after) {
  static const char *const names[] = {"v1", "v2", "v3", "v4", "v5"};
  BpValue voters[5];
  for (int i = 0; i < total; i++) voters[i] = bp_user(names[i]);
  BpArg args[] = {{"Voters", bp_list(BP_T_USER, voters, (size_t)total)}};
  BpInstance *inst = NULL;
  BpError err;
  assert_int_equal(bp_start(b, "vote", NULL, args, 1, NULL, &inst, &err), BP_OK);
  *after = 0;
  for (int i = 0; i < total && bp_instance_status(inst) == BP_WAITING; i++) {
    assert_int_equal(bp_decide(inst, 0, names[i], (bits >> i) & 1, NULL, &err), BP_OK);
    *after = i + 1;
  }
  Verdict v = UNDECIDED;
  if (bp_instance_status(inst) == BP_COMPLETED) {
    BpValue out;
    assert_int_equal(bp_instance_get(inst, "Outcome", &out), BP_OK);
    char text[16];
    bp_value_format(&out, text, sizeof text);
    v = strcmp(text, "yes") == 0 ? APPROVED : REJECTED;
  }
  bp_instance_free(inst);
  return v;
}

typedef struct Tally { int cases, same, undecided; } Tally;

/* The imported template compiled and loaded into a runtime. */
typedef struct Loaded {
  char *tpl, *text;
  Compiled c;
  uint8_t *bytes;
  Heap heap;
  BpRuntime *rt;
  BpBundle *b;
} Loaded;

static void load(Loaded *l, char *tpl) {
  memset(l, 0, sizeof *l);
  l->tpl = tpl;
  l->text = import_text(tpl);
  l->c = compile_text(l->text);
  size_t len;
  l->bytes = bundle_of(l->c.ir, &len);
  BpConfig cfg = {.size = sizeof cfg, .alloc = heap_alloc, .alloc_ud = &l->heap};
  BpError err;
  assert_int_equal(bp_runtime_new(&cfg, &l->rt, &err), BP_OK);
  assert_int_equal(bp_bundle_load(l->rt, l->bytes, len, &l->b, &err), BP_OK);
}

static void unload(Loaded *l) {
  bp_bundle_free(l->b);
  bp_runtime_free(l->rt);
  assert_int_equal(l->heap.outstanding, 0);
  free(l->bytes);
  compiled_free(&l->c);
  free(l->text);
  free(l->tpl);
}

/* An instance of the vote with n voters u0, u1, … */
static BpInstance *start_vote(Loaded *l, int n) {
  BpValue *voters = calloc((size_t)n, sizeof *voters);
  char(*names)[16] = calloc((size_t)n, sizeof *names);
  for (int i = 0; i < n; i++) {
    snprintf(names[i], sizeof names[i], "u%d", i);
    voters[i] = bp_user(names[i]);
  }
  BpArg args[] = {{"Voters", bp_list(BP_T_USER, voters, (size_t)n)}};
  BpInstance *inst = NULL;
  BpError err;
  assert_int_equal(bp_start(l->b, "vote", NULL, args, 1, NULL, &inst, &err), BP_OK);
  free(voters);
  free(names);
  return inst;
}

static const char *outcome_of(BpInstance *inst, char *text, size_t size) {
  BpValue out;
  assert_int_equal(bp_instance_get(inst, "Outcome", &out), BP_OK);
  bp_value_format(&out, text, size);
  return text;
}

static void compare_rule(int min, bool wait, Tally *t) {
  char *tpl = vote_template(min, wait);
  char *text = import_text(tpl);
  Compiled c = compile_text(text);
  size_t len;
  uint8_t *bytes = bundle_of(c.ir, &len);
  Heap heap = {0};
  BpConfig cfg = {.size = sizeof cfg, .alloc = heap_alloc, .alloc_ud = &heap};
  BpRuntime *rt;
  BpBundle *b;
  BpError err;
  assert_int_equal(bp_runtime_new(&cfg, &rt, &err), BP_OK);
  assert_int_equal(bp_bundle_load(rt, bytes, len, &b, &err), BP_OK);
  for (int total = 1; total <= 5; total++)
    for (unsigned bits = 0; bits < (1u << total); bits++) {
      /* Bitrix: the first vote after which it decides */
      Verdict want = UNDECIDED;
      int want_after = 0, a = 0, r = 0;
      for (int i = 0; i < total && want == UNDECIDED; i++) {
        ((bits >> i) & 1) ? a++ : r++;
        want = bitrix_rule(min, wait, total, a, r, bits & 1);
        want_after = i + 1;
      }
      int after;
      Verdict got = runtime_vote(b, total, bits, &after);
      t->cases++;
      if (got == want && after == want_after) {
        t->same++;
        t->undecided += want == UNDECIDED; /* every vote in, no rule met: open, as in Bitrix */
        continue;
      }
      fprintf(stderr, "min %d wait %d total %d votes %x: Bitrix %d after %d, runtime %d after %d\n%s", min, wait,
              total, bits, want, want_after, got, after, text);
      fail();
    }
  bp_bundle_free(b);
  bp_runtime_free(rt);
  assert_int_equal(heap.outstanding, 0);
  free(bytes);
  compiled_free(&c);
  free(text);
  free(tpl);
}

static void test_vote_any_all(void **state) {
  (void)state;
  Tally t = {0};
  compare_rule(-1, false, &t);
  compare_rule(-2, false, &t);
  assert_int_equal(t.same, t.cases); /* any and all: the same, vote by vote */
}

/* vote with wait-for-all: decided once everyone voted, approved when the truncated
 * percent is strictly above min (or both 100) — `.bp`'s vote (min+1)% wait all. */
static void test_vote_wait_all(void **state) {
  (void)state;
  static const int mins[] = {0, 50, 51, 66, 100};
  Tally t = {0};
  for (size_t i = 0; i < sizeof mins / sizeof *mins; i++) compare_rule(mins[i], true, &t);
  printf("vote, wait for all: %d cases, %d the same\n", t.cases, t.same);
  assert_int_equal(t.same, t.cases);
}

/* vote without wait: approved as soon as the truncated percent is above min (or both
 * 100), rejected as soon as the votes against are a share > 0 and >= 100 - min, vote by
 * vote as Bitrix; with every vote in and neither met, it stays open as in Bitrix. */
static void test_vote_no_wait(void **state) {
  (void)state;
  static const int mins[] = {0, 50, 51, 66, 100};
  Tally t = {0};
  for (size_t i = 0; i < sizeof mins / sizeof *mins; i++) compare_rule(mins[i], false, &t);
  printf("vote, no wait: %d cases, %d the same (%d left open with every vote in)\n", t.cases, t.same, t.undecided);
  assert_int_equal(t.same, t.cases);
  assert_true(t.undecided > 0); /* 3 voters, min 66: 2 for, 1 against */
}

/* Bitrix's percentages are PHP's doubles: 29 of 100 is intval(28.999…) = 28, not above
 * 28; 30 of 100 is 30. ApprovedPercent reads the same. */
static void test_vote_php_arithmetic(void **state) {
  (void)state;
  for (int approvals = 29; approvals <= 30; approvals++) {
    Loaded l;
    load(&l, vote_template(28, true));
    BpInstance *inst = start_vote(&l, 100);
    BpError err;
    for (int i = 0; i < 100; i++) {
      char who[16];
      snprintf(who, sizeof who, "u%d", i);
      assert_int_equal(bp_decide(inst, 0, who, i < approvals, NULL, &err), BP_OK);
    }
    assert_int_equal(bp_instance_status(inst), BP_COMPLETED);
    char text[16];
    assert_string_equal(outcome_of(inst, text, sizeof text), approvals == 29 ? "no" : "yes");
    bp_instance_free(inst);
    unload(&l);
  }
}

/* A vote from someone not in the list: refused, and it changes nothing (Bitrix ignores it). */
static void test_vote_outsider(void **state) {
  (void)state;
  Loaded l;
  load(&l, vote_template(50, false));
  BpInstance *inst = start_vote(&l, 2);
  BpError err;
  assert_int_not_equal(bp_decide(inst, 0, "stranger", false, NULL, &err), BP_OK);
  assert_int_equal(bp_instance_status(inst), BP_WAITING);
  assert_int_equal(bp_decide(inst, 0, "u0", true, NULL, &err), BP_OK);
  assert_int_equal(bp_instance_status(inst), BP_WAITING); /* 50% is not above 50 */
  assert_int_equal(bp_decide(inst, 0, "u1", true, NULL, &err), BP_OK);
  char text[16];
  assert_string_equal(outcome_of(inst, text, sizeof text), "yes");
  bp_instance_free(inst);
  unload(&l);
}

/* Timeout: the "not approved" branch runs, with IsTimeout; also when every vote is in
 * without a verdict (3 voters, min 66, 2 for and 1 against: open until the timeout). */
static void test_vote_timeout(void **state) {
  (void)state;
  for (int votes = 0; votes <= 3; votes += 3) {
    Loaded l;
    load(&l, vote_template_due(66, false, 2));
    BpInstance *inst = start_vote(&l, 3);
    BpError err;
    for (int i = 0; i < votes; i++) {
      char who[16];
      snprintf(who, sizeof who, "u%d", i);
      assert_int_equal(bp_decide(inst, 0, who, i != 1, NULL, &err), BP_OK);
    }
    assert_int_equal(bp_instance_status(inst), BP_WAITING);
    assert_int_equal(bp_advance(inst, 86400, &err), BP_OK);
    assert_int_equal(bp_instance_status(inst), BP_WAITING);
    assert_int_equal(bp_advance(inst, 2 * 86400, &err), BP_OK);
    assert_int_equal(bp_instance_status(inst), BP_COMPLETED);
    char text[16];
    assert_string_equal(outcome_of(inst, text, sizeof text), "no");
    bp_instance_free(inst);
    unload(&l);
  }
}

static void test_vote_percent_mapping(void **state) {
  (void)state;
  static const struct { int min; const char *mode; } rows[] = {
      {0, "mode bitrix 0%"}, {50, "mode bitrix 50%"}, {51, "mode bitrix 51%"}, {99, "mode bitrix 99%"}, {100, "mode bitrix 100%"}};
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    char *tpl = vote_template(rows[i].min, false);
    char *text = import_text(tpl);
    assert_non_null(strstr(text, rows[i].mode));
    free(text);
    free(tpl);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_every_kind),     cmocka_unit_test(test_zlib),
      cmocka_unit_test(test_inflate_bomb),         cmocka_unit_test(test_hostile_serialize),
      cmocka_unit_test(test_deep),                 cmocka_unit_test(test_vote_any_all),
      cmocka_unit_test(test_vote_wait_all),        cmocka_unit_test(test_vote_no_wait),
      cmocka_unit_test(test_vote_percent_mapping), cmocka_unit_test(test_vote_php_arithmetic),
      cmocka_unit_test(test_vote_outsider),        cmocka_unit_test(test_vote_timeout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
