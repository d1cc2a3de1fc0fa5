/* fuzz_bitrix — bytes as a Bitrix24 template through the importer: zlib, the
 * strict PHP unserialize reader, the mapping of the activity tree onto `.bp` text.
 *
 * Properties (abort on violation, which libFuzzer reports):
 *   - every input is imported or refused, within the reader's limits;
 *   - every refusal comes with a message naming the file (`fuzz.bpt: error: …`);
 *   - importing is deterministic: the same bytes twice give the same text;
 *   - the text of an imported template always parses as `.bp` (the checker may
 *     still refuse it, with a message), and its formatted text parses too. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitrix.h"
#include "fmt.h"
#include "parse.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_INPUT = 1 << 20 };

/* Is there a line starting `fuzz.bpt: error: `? (Messages quote the input, so
 * only the start of a line counts.) */
static bool has_error_line(const char *text) {
  for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
    if (strncmp(line, "fuzz.bpt: error: ", 17) == 0) return true;
  return false;
}

/* text parses without a syntax error; returns its formatted text. */
static char *parses(const char *text) {
  Source *src = source_new("fuzz.bp", xstrdup(text), (uint32_t)strlen(text));
  Diags diags;
  diags_init(&diags, src);
  Program *prog = parse_program(src, &diags);
  char *out = NULL;
  if (diags.errors) {
    diags_print(&diags, stderr);
    fprintf(stderr, "fuzz_bitrix: the imported text does not parse:\n%s\n", text);
    abort();
  }
  out = fmt_program(prog);
  parse_program_free(prog);
  diags_free(&diags);
  source_free(src);
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_INPUT) return 0;
  StrBuf m1, m2;
  sb_init(&m1);
  sb_init(&m2);
  char *t1 = bx_import("fuzz.bpt", (const char *)data, size, &m1);
  char *t2 = bx_import("fuzz.bpt", (const char *)data, size, &m2);
  if (!t1 && !has_error_line(m1.data)) {
    fprintf(stderr, "fuzz_bitrix: refused without a `fuzz.bpt: error:` message:\n%s", m1.data ? m1.data : "");
    abort();
  }
  if ((t1 == NULL) != (t2 == NULL) || (t1 && strcmp(t1, t2) != 0) ||
      (m1.len != m2.len || (m1.len && memcmp(m1.data, m2.data, m1.len) != 0))) {
    fprintf(stderr, "fuzz_bitrix: the same bytes imported twice differ\n");
    abort();
  }
  if (t1) {
    char *f1 = parses(t1);
    char *f2 = parses(f1);
    free(f1);
    free(f2);
  }
  free(t1);
  free(t2);
  sb_free(&m1);
  sb_free(&m2);
  return 0;
}
