/* bpc_import.c — `bpc import`: reads a BPMN model, maps it onto the graph IR
 * as `bpc check` does, and prints the `.bp` text of the IR (tobp.h). The text
 * is read back, checked and formatted again before it is written: a text
 * that would not compile, or that `bpc fmt` would change, is a bug of the
 * printer and is refused as such, never written. */
#include "bpc_import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpc_load.h"
#include "bpmn.h"
#include "bpmn_ir.h"
#include "check.h"
#include "fmt.h"
#include "out.h"
#include "parse.h"
#include "tobp.h"
#include "util.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_MISUSE = 2 };

static const char import_help[] =
    "usage: bpc import FILE.bpmn [-p PROCESS] [-o OUT.bp]\n"
    "Reads a BPMN 2.0 model (checked and mapped as `bpc check` does) and prints\n"
    "the equivalent .bp text, in the canonical layout of `bpc fmt`. Every\n"
    "executable process of the file is printed; -p picks the one with that id.\n"
    "A graph that is not block-structured (two paths meeting at a node that is\n"
    "no if/else or parallel block's end, a loop entered in the middle) has no\n"
    ".bp text: it is refused with FILE:LINE: error: ID: reason, naming the\n"
    "element where the structure breaks (exit 1).\n"
    "  -p PROCESS   only the process with this id\n"
    "  -o OUT.bp    write the text there instead of to standard output\n";

static int misuse(const char *fmt, const char *arg) {
  fputs("bpc: import: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\nTry 'bpc import --help'.\n", stderr);
  return EXIT_MISUSE;
}

/* The BPMN model of src mapped onto a finished IR (only process `only` when
 * not NULL); NULL after printing why. */
static IrProgram *model_ir(Source *src, const char *only, int *status) {
  *status = EXIT_INPUT;
  if (src->len > BPMN_MAX_BYTES) {
    fprintf(stderr, "%s: error: the file has %lu bytes, more than the %u a BPMN file may have\n", src->path,
            (unsigned long)src->len, (unsigned)BPMN_MAX_BYTES);
    return NULL;
  }
  BpmnModel *m = bpmn_read(src->path, src->text, src->len);
  IrProgram *ir = m->errors_n ? NULL : bpmn_to_ir(m, only);
  bpmn_print_diags(m, stderr);
  bpmn_free(m);
  if (ir) *status = EXIT_OK;
  return ir;
}

/* Reads the printed text back: it must check without errors and format to
 * itself. Prints why not (an internal error) and returns false. */
static bool text_reads_back(const char *path, const char *text) {
  size_t len = strlen(text);
  char *copy = xmalloc(len + 1);
  memcpy(copy, text, len + 1);
  Source *src = source_new(path, copy, (uint32_t)len);
  Diags diags;
  diags_init(&diags, src);
  Program *prog = parse_program(src, &diags);
  if (diags.errors == 0) check_program(prog, &diags);
  bool ok = diags.errors == 0;
  char *again = ok ? fmt_program(prog) : NULL;
  if (!ok) {
    diags_print(&diags, stderr);
    fprintf(stderr, "bpc: internal error: the .bp text printed for %s does not compile\n", path);
  } else if (strcmp(again, text) != 0) {
    ok = false;
    fprintf(stderr, "bpc: internal error: the .bp text printed for %s is not in canonical form\n", path);
  }
  free(again);
  diags_free(&diags);
  parse_program_free(prog);
  source_free(src);
  return ok;
}

int import_command(int argc, char **argv) {
  const char *in = NULL, *out = NULL, *only = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(import_help, stdout);
      return EXIT_OK;
    }
  }
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "-p") == 0) {
      if (i + 1 >= argc) return misuse("%s needs an argument", argv[i]);
      if (argv[i][1] == 'o') out = argv[++i];
      else only = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return misuse("unknown option '%s'", argv[i]);
    } else if (in) {
      return misuse("one model at a time (got '%s' too)", argv[i]);
    } else {
      in = argv[i];
    }
  }
  if (!in) return misuse("no input file%s", "");
  if (out && strcmp(out, "-") == 0) out = NULL; /* -o - is standard output, as for compile */
  int status;
  Source *src = bpc_read(in, &status);
  if (!src) return status;
  if (!bpc_is_xml(src->text, src->len)) {
    fprintf(stderr, "bpc: import: %s is not XML (a BPMN model); `bpc fmt` prints .bp text\n", in);
    source_free(src);
    return EXIT_MISUSE;
  }
  IrProgram *ir = model_ir(src, only, &status);
  source_free(src);
  if (!ir) return status;
  TobpError err;
  char *text = tobp_program(ir, true, &err);
  if (!text) {
    fprintf(stderr, "%s:%u: error: %s: %s\n", in, (unsigned)err.line,
            err.node ? err.node : err.proc ? err.proc : "process", err.message);
    status = EXIT_INPUT;
  } else if (!text_reads_back(out ? out : in, text)) {
    status = EXIT_INPUT;
  } else if (out) {
    if (!out_write_file(out, text, strlen(text))) {
      fprintf(stderr, "bpc: cannot write %s: %s\n", out, strerror(errno));
      status = EXIT_MISUSE;
    }
  } else {
    fputs(text, stdout);
  }
  free(text);
  ir_free(ir);
  return status;
}
