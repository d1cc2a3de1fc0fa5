/* test_util.c — compiler/base helpers: path_clean, the lexical normalizer that
 * makes a bundle's recorded source name the same however it was spelled, and
 * out_write_file's whole-or-nothing writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out.h"
#include "util.h"

static void expect_clean(const char *in, const char *want) {
  char *got = path_clean(in);
  if (strcmp(got, want) != 0) fail_msg("path_clean(\"%s\") = \"%s\", expected \"%s\"", in, got, want);
  free(got);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_clean),
      cmocka_unit_test(test_out_abort),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
