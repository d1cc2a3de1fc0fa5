/* tobp_bp.c — prints a .bp file through the graph IR: parsed, checked and
 * lowered as `bpc compile` does, then printed back by `bpc import`'s printer
 * (compiler/import/tobp), with the nodes' ids as comments. tests/import/tobp.sh
 * compiles the text, checks that `bpc fmt` keeps it, and runs the
 * file's scenarios on it: the structuring of every construct the lowering
 * makes is checked against the runtime, not only against itself.
 *
 * usage: tobp_bp FILE.bp   (exit 0: printed; 1: refused or not compiled) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lower.h"
#include "parse.h"
#include "tobp.h"
#include "util.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tobp_bp FILE.bp\n");
    return 2;
  }
  size_t len;
  char *text = read_file(argv[1], &len);
  if (!text) {
    perror(argv[1]);
    return 2;
  }
  Source *src = source_new(argv[1], text, (uint32_t)len);
  Diags diags;
  diags_init(&diags, src);
  Program *prog = parse_program(src, &diags);
  if (diags.errors == 0) check_program(prog, &diags);
  int status = 1;
  if (diags.errors) {
    diags_print(&diags, stderr);
  } else {
    IrProgram *ir = lower_program(prog);
    TobpError err;
    char *out = ir ? tobp_program(ir, true, &err) : NULL;
    if (out) {
      fputs(out, stdout);
      status = 0;
    } else if (ir) {
      fprintf(stderr, "%s:%u: error: %s: %s\n", argv[1], (unsigned)err.line,
              err.node ? err.node : err.proc ? err.proc : "process", err.message);
    }
    free(out);
    ir_free(ir);
  }
  diags_free(&diags);
  parse_program_free(prog);
  source_free(src);
  return status;
}
