/* fuzz_json — the JSON reader of `bpc lsp` (compiler/base/json.c).
 *
 * Properties: any bytes are read in bounds to a tree or refused with a reason; a tree,
 * written back (json_put_string for strings, %.17g for numbers), reads again; and after
 * one such round the text is a fixed point (the first writing turns invalid UTF-8 into
 * U+FFFD, so only the second must equal the third). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why) {
  fprintf(stderr, "fuzz_json: %s\n", why);
  abort();
}

static void write_node(StrBuf *b, const JsonNode *n) {
  switch (n->kind) {
  case JSON_NULL: sb_puts(b, "null"); break;
  case JSON_FALSE: sb_puts(b, "false"); break;
  case JSON_TRUE: sb_puts(b, "true"); break;
  case JSON_NUMBER: sb_printf(b, "%.17g", n->number); break;
  case JSON_STRING: json_put_string(b, n->string, n->len); break;
  case JSON_ARRAY:
  case JSON_OBJECT:
    sb_putc(b, n->kind == JSON_ARRAY ? '[' : '{');
    for (size_t i = 0; i < n->len; i++) {
      if (i) sb_putc(b, ',');
      if (n->kind == JSON_OBJECT) {
        json_put_string(b, n->keys[i], strlen(n->keys[i]));
        sb_putc(b, ':');
      }
      write_node(b, n->items[i]);
    }
    sb_putc(b, n->kind == JSON_ARRAY ? ']' : '}');
    break;
  }
}

/* The tree of text written back, or NULL when text does not read. */
static char *round_trip(const char *text, size_t len, size_t *out_len) {
  Arena a;
  arena_init(&a);
  const char *why = NULL;
  JsonNode *n = json_parse(&a, text, len, &why);
  char *out = NULL;
  if (n) {
    StrBuf b;
    sb_init(&b);
    write_node(&b, n);
    *out_len = b.len;
    out = sb_take(&b);
  } else if (!why || !*why) {
    fail("a refusal without a reason");
  }
  arena_free(&a);
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t l1, l2, l3;
  char *t1 = round_trip((const char *)data, size, &l1);
  if (!t1) return 0;
  char *t2 = round_trip(t1, l1, &l2);
  if (!t2) fail("a tree written back does not read");
  char *t3 = round_trip(t2, l2, &l3);
  if (!t3) fail("a tree written back twice does not read");
  if (l2 != l3 || memcmp(t2, t3, l2) != 0) fail("writing back is not a fixed point after one round");
  free(t1);
  free(t2);
  free(t3);
  return 0;
}
