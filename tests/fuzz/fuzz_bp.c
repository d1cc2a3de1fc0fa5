/* fuzz_bp — .bp text through the compiler: parse, check, format, compile.
 *
 * Properties (abort on violation, which libFuzzer reports):
 *   - fmt is idempotent: a program that parses formats to text that parses, and
 *     formatting that text again gives the same text;
 *   - formatting keeps the program: when the input compiles, its formatted text
 *     compiles too, to a bundle with the same code, constants, processes and graph
 *     node kinds (only positions, the node ids made of them, and the diagram's
 *     titles, which are source text as written, may differ);
 *   - compiling is deterministic: the same text twice gives the same bytes;
 *   - every bundle the compiler makes verifies. */
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

enum { MAX_INPUT = 1 << 20 };

static FILE *devnull(void) {
  static FILE *f;
  if (!f) f = fopen("/dev/null", "w");
  if (!f) abort();
  return f;
}

typedef struct Result {
  bool parsed, checked, compiled;
  char *formatted;     /* when parsed */
  uint8_t *bundle;     /* when compiled */
  size_t bundle_len;
} Result;

static void result_free(Result *r) {
  free(r->formatted);
  free(r->bundle);
  memset(r, 0, sizeof *r);
}

/* The pipeline of `bpc compile` on text in memory. */
static Result run_compiler(const char *text, size_t len) {
  Result r = {0};
  char *copy = xmalloc(len + 1);
  memcpy(copy, text, len);
  copy[len] = '\0';
  Source *src = source_new("fuzz.bp", copy, (uint32_t)len);
  Diags diags;
  diags_init(&diags, src);
  diags.max_errors = 100;
  Program *prog = parse_program(src, &diags);
  r.parsed = diags.errors == 0;
  if (r.parsed) {
    r.formatted = fmt_program(prog);
    r.checked = check_program(prog, &diags) && diags.errors == 0;
  }
  diags_print(&diags, devnull());
  if (r.checked) {
    IrProgram *ir = lower_program(prog);
    BptError err;
    r.compiled = codegen_bundle(ir, &r.bundle, &r.bundle_len, &err);
    ir_free(ir);
    if (r.compiled) {
      BptBundle b;
      bool ok = bpt_read(r.bundle, r.bundle_len, heap_realloc, NULL, &b, &err);
      if (ok) {
        ok = bpt_verify(&b, heap_realloc, NULL, &err);
        bpt_free(&b, heap_realloc, NULL);
      }
      if (!ok) {
        fprintf(stderr, "fuzz_bp: the compiled bundle does not verify: %s\n", err.message);
        abort();
      }
    }
  }
  diags_free(&diags);
  parse_program_free(prog);
  source_free(src);
  return r;
}

static bool same_bytes(const void *a, const void *b, size_t n) { return n == 0 || memcmp(a, b, n) == 0; }

static const BptString *string_at(const BptBundle *b, uint32_t i) {
  static const BptString none = {"", 0};
  return i < b->nstrings ? &b->strings[i] : &none;
}

static bool same_string(const BptBundle *a, uint32_t i, const BptBundle *b, uint32_t j) {
  const BptString *x = string_at(a, i), *y = string_at(b, j);
  return x->len == y->len && same_bytes(x->data, y->data, x->len);
}

/* A bundle's code as the disassembler lists it without source, minus comment lines:
 * instructions with their operands decoded, strings by their text, not their index. */
static void listing_add(void *ud, const char *text, size_t len) { sb_putn((StrBuf *)ud, text, len); }

static char *code_listing(const BptBundle *b) {
  StrBuf raw, out;
  sb_init(&raw);
  sb_init(&out);
  bpt_disasm(b, NULL, 0, listing_add, &raw);
  for (const char *line = raw.data; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line + 1) : strlen(line);
    const char *t = line;
    while (t < line + len && *t == ' ') t++;
    if (*t != ';') sb_putn(&out, line, len);
    line += len;
  }
  sb_free(&raw);
  return out.data ? out.data : xstrdup("");
}

/* Two bundles of the same program laid out differently: the same code and the same
 * constants. The graph's titles and labels are source text as written (`a>1` and
 * `a > 1` draw differently; `"a}b"` and `"a}}b"` too), node ids and the line table hold
 * positions: these may differ, and so may the string table they share — its size and
 * order, and so the string indices in the code: the code is compared as listed, with
 * every string operand as its text. */
static bool same_program(const uint8_t *x, size_t xlen, const uint8_t *y, size_t ylen, const char **what) {
  BptBundle a, b;
  BptError err;
  if (!bpt_read(x, xlen, heap_realloc, NULL, &a, &err)) abort();
  if (!bpt_read(y, ylen, heap_realloc, NULL, &b, &err)) abort();
  bool same = false;
  *what = "code";
  if (a.code_size != b.code_size) goto done;
  char *la = code_listing(&a), *lb = code_listing(&b);
  bool same_code = strcmp(la, lb) == 0;
  free(la);
  free(lb);
  if (!same_code) goto done;
  *what = "constants";
  if (a.nconsts != b.nconsts) goto done;
  for (uint32_t i = 0; i < a.nconsts; i++) {
    const BptConst *p = &a.consts[i], *q = &b.consts[i];
    if (p->type != q->type || p->i != q->i || p->scale != q->scale || p->nitems != q->nitems ||
        !same_string(&a, p->str, &b, q->str))
      goto done;
    for (uint32_t k = 0; k < p->nitems; k++)
      if (p->items[k] != q->items[k]) goto done;
  }
  *what = "processes, document types or actions";
  if (a.nprocesses != b.nprocesses || a.nactions != b.nactions || a.ndoctypes != b.ndoctypes) goto done;
  for (uint32_t i = 0; i < a.nprocesses; i++) {
    const BptProcess *p = &a.processes[i], *q = &b.processes[i];
    if (!same_string(&a, p->name, &b, q->name) || p->nslots != q->nslots || p->nsteps != q->nsteps ||
        p->nstates != q->nstates || p->nparams != q->nparams || p->entry_pc != q->entry_pc)
      goto done;
  }
  *what = "graph";
  if (a.nnodes != b.nnodes || a.nedges != b.nedges) goto done;
  for (uint32_t i = 0; i < a.nnodes; i++)
    if (a.nodes[i].kind != b.nodes[i].kind) goto done;
  same = true;
done:
  bpt_free(&a, heap_realloc, NULL);
  bpt_free(&b, heap_realloc, NULL);
  return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_INPUT) return 0;
  Result first = run_compiler((const char *)data, size);
  if (!first.parsed) {
    result_free(&first);
    return 0;
  }
  /* fmt: its output parses and is a fixed point. */
  Result again = run_compiler(first.formatted, strlen(first.formatted));
  if (!again.parsed) {
    fprintf(stderr, "fuzz_bp: the formatted text does not parse:\n%s\n", first.formatted);
    abort();
  }
  if (strcmp(again.formatted, first.formatted) != 0) {
    fprintf(stderr, "fuzz_bp: fmt is not idempotent:\n--- fmt(x)\n%s\n--- fmt(fmt(x))\n%s\n", first.formatted,
            again.formatted);
    abort();
  }
  if (again.checked != first.checked || again.compiled != first.compiled) {
    fprintf(stderr, "fuzz_bp: the input %s, its formatted text %s:\n%s\n",
            first.checked ? "checks" : "does not check", again.checked ? "checks" : "does not check",
            first.formatted);
    abort();
  }
  if (first.compiled) {
    const char *what;
    if (!same_program(first.bundle, first.bundle_len, again.bundle, again.bundle_len, &what)) {
      fprintf(stderr, "fuzz_bp: the formatted text compiles to another program (%s differ):\n%s\n", what,
              first.formatted);
      abort();
    }
    /* Deterministic: the same text, the same bytes. */
    Result twice = run_compiler((const char *)data, size);
    if (!twice.compiled || twice.bundle_len != first.bundle_len ||
        memcmp(twice.bundle, first.bundle, first.bundle_len) != 0) {
      fprintf(stderr, "fuzz_bp: compiling the same text twice gives other bytes\n");
      abort();
    }
    result_free(&twice);
  }
  result_free(&again);
  result_free(&first);
  return 0;
}
