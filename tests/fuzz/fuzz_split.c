/* fuzz_split — a large .bp file through the compiler on one thread and on two.
 *
 * A file of 256 KiB or more is parsed in two halves at once (parse_split, parse.c) and
 * lowered beside the code generator (lower_bodies_ahead, lower.c) when bpc_threads()
 * is above 1. fuzz_bp's inputs are far below that size, so this target makes a large
 * file of each input: the input (from its second byte on) between a prefix and a
 * suffix of small generated processes, each followed by a long comment line, sized so
 * that the file is over 256 KiB and its middle, where parse_split looks for the line
 * to cut at, falls at a point of the input chosen by its first byte (0: its start, 255:
 * its end). The cut is then made inside the input whenever a line of the input's
 * second part begins an item, and otherwise at the first process of the suffix.
 *
 * Property (abort on violation): with BPC_THREADS=1 and BPC_THREADS=2 the file gives
 * the same messages (parse, check and compile, as printed), the same formatted text
 * (fmt_program) and the same bundle bytes, compiled the way `bpc compile` compiles
 * (lower_program_each handing each process to the code generator). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "bpt.h"
#include "check.h"
#include "codegen.h"
#include "diag.h"
#include "fmt.h"
#include "ir.h"
#include "lower.h"
#include "parse.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
  MAX_INPUT = 64 * 1024,
  SPLIT_BYTES = 256 * 1024, /* parse.c's SPLIT_MIN_BYTES, lower.c's AHEAD_MIN_TEXT */
  UNIT_BYTES = 4096,        /* one generated process and its comment line, about */
};

/* What one compilation said and made. */
typedef struct Result {
  char *messages;  /* every message, as printed */
  char *formatted; /* when the file parsed */
  uint8_t *bundle; /* when it compiled */
  size_t bundle_len;
} Result;

static void result_free(Result *r) {
  free(r->messages);
  free(r->formatted);
  free(r->bundle);
}

/* The pipeline of `bpc compile` on text in memory, on `threads` threads. */
static Result run_compiler(const char *text, size_t len, const char *threads) {
  Result r = {0};
  if (setenv("BPC_THREADS", threads, 1) != 0) abort();
  char *copy = xmalloc(len + 1);
  memcpy(copy, text, len);
  copy[len] = '\0';
  Source *src = source_new("fuzz.bp", copy, (uint32_t)len);
  Diags diags;
  diags_init(&diags, src);
  diags.max_errors = 100;
  Program *prog = parse_program(src, &diags);
  if (diags.errors == 0) {
    r.formatted = fmt_program(prog);
    check_program(prog, &diags);
  }
  size_t mlen;
  FILE *out = open_memstream(&r.messages, &mlen);
  if (!out) abort();
  diags_print(&diags, out);
  if (diags.errors == 0) {
    BptError err = {0};
    CodegenRun run = {NULL, &err}; /* as bpc_compile_bundle */
    IrProgram *ir = lower_program_each(prog, codegen_each, &run);
    if (!codegen_end(codegen_run_all(&run, ir), &r.bundle, &r.bundle_len))
      fprintf(out, "compile: %s\n", err.message);
    ir_free(ir);
  }
  fclose(out);
  diags_free(&diags);
  parse_program_free(prog);
  source_free(src);
  return r;
}

/* n bytes of filler: a line of `#` comment, or a bare newline for one byte. */
static void pad(StrBuf *b, size_t n) {
  if (n == 0) return;
  if (n >= 2) {
    sb_putc(b, '#');
    for (size_t i = 0; i + 2 < n; i++) sb_putc(b, 'x');
  }
  sb_putc(b, '\n');
}

/* Generated processes (fz_NAME_1, ...) on the document FzPad until b holds `until`
 * bytes, the last ones made up by a comment line. */
static void fill(StrBuf *b, const char *name, size_t until) {
  for (unsigned i = 1; b->len + 2 * UNIT_BYTES <= until; i++) {
    size_t start = b->len;
    sb_printf(b, "process fz_%s_%u \"Filler %u\" on FzPad {\n  n = n + %u\n  log \"%s {n}\"\n}\n", name, i, i,
              i, name);
    pad(b, UNIT_BYTES - (b->len - start));
  }
  if (b->len < until) pad(b, until - b->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size - 1 > MAX_INPUT) return 0;
  size_t k = data[0], len = size - 1;
  const char *input = (const char *)data + 1;

  /* The file: prefix, input, suffix, total bytes; its middle total / 2 falls k / 255 of
   * the way through the input. */
  size_t total = SPLIT_BYTES + 2 * len + 4 * UNIT_BYTES;
  size_t prefix = total / 2 - k * len / 255;
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, "document FzPad {\n  n: int\n}\n");
  fill(&b, "before", prefix);
  sb_putn(&b, input, len);
  sb_putc(&b, '\n'); /* the suffix starts on a line of its own */
  fill(&b, "after", total);

  Result one = run_compiler(b.data, b.len, "1");
  Result two = run_compiler(b.data, b.len, "2");
  const char *what = NULL;
  if (strcmp(one.messages, two.messages) != 0) what = "messages";
  else if (!one.formatted != !two.formatted || (one.formatted && strcmp(one.formatted, two.formatted) != 0))
    what = "formatted text";
  else if (one.bundle_len != two.bundle_len || (one.bundle_len && memcmp(one.bundle, two.bundle, one.bundle_len)))
    what = "bundle bytes";
  if (what) {
    fprintf(stderr, "fuzz_split: one thread and two give other %s (%zu bytes, middle at %zu)\n", what, b.len,
            b.len / 2);
    fprintf(stderr, "--- one thread's messages\n%s--- two threads' messages\n%s", one.messages, two.messages);
    abort();
  }
  result_free(&one);
  result_free(&two);
  sb_free(&b);
  return 0;
}
