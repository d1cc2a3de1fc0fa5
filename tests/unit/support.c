/* support.c — the unit tests' shared helpers (support.h). The compiling helpers
 * assert with cmocka, so they fail the test that calls them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "codegen.h"
#include "diag.h"
#include "lower.h"
#include "support.h"
#include "util.h"

void *heap_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  Heap *h = ud;
  if (new_size == 0) {
    free(ptr);
    h->outstanding -= (long)old_size;
    return NULL;
  }
  if (h->armed && new_size > old_size) {
    h->allocations++;
    if (h->allocations == h->fail_at) {
      h->failed = true;
      return NULL;
    }
  }
  void *p = realloc(ptr, new_size);
  if (p) h->outstanding += (long)new_size - (long)old_size;
  return p;
}

/* SRC (owned by the result) parsed, checked and lowered; SHOW is printed after
 * the diagnostics when there are any. */
static Compiled compile_source(Source *src, const char *show) {
  Compiled c = {src, NULL, NULL};
  Diags diags;
  diags_init(&diags, src);
  c.prog = parse_program(src, &diags);
  if (diags.errors == 0) check_program(c.prog, &diags);
  if (diags.errors) {
    diags_print(&diags, stderr);
    if (show) fprintf(stderr, "--- input:\n%s\n", show);
  }
  assert_int_equal(diags.errors, 0);
  diags_free(&diags);
  c.ir = lower_program(c.prog);
  return c;
}

Compiled compile_text(const char *text) {
  size_t len = strlen(text);
  char *copy = xmalloc(len + 1);
  memcpy(copy, text, len + 1);
  return compile_source(source_new("test.bp", copy, (uint32_t)len), text);
}

void compiled_free(Compiled *c) {
  ir_free(c->ir);
  parse_program_free(c->prog);
  source_free(c->src);
}

uint8_t *bundle_of(const IrProgram *ir, size_t *len) {
  uint8_t *bytes;
  BptError err;
  bool ok = codegen_bundle(ir, &bytes, len, &err);
  if (!ok) fprintf(stderr, "codegen: %s\n", err.message);
  assert_true(ok);
  return bytes;
}

uint8_t *compile_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *text = xmalloc(1 << 20);
  size_t n = fread(text, 1, (1 << 20) - 1, f);
  fclose(f);
  text[n] = '\0';
  Compiled c = compile_source(source_new(path, text, (uint32_t)n), NULL);
  uint8_t *bytes = bundle_of(c.ir, len);
  compiled_free(&c);
  return bytes;
}
