/* bpc_load.c — any input as a finished IrProgram (bpc_load.h). */
#include "bpc_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpmn.h"
#include "bpmn_ir.h"
#include "lower.h"
#include "parse.h"
#include "util.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_MISUSE = 2 };

bool bpc_is_xml_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  char head[512];
  size_t n = fread(head, 1, sizeof head, f);
  fclose(f);
  return bpmn_looks_like_xml(head, n);
}

static IrProgram *load_bpmn(const char *path, int *status) {
  struct stat st;
  if (stat(path, &st) != 0 || S_ISDIR(st.st_mode)) {
    fprintf(stderr, "bpc: cannot read %s: %s\n", path, S_ISDIR(st.st_mode) ? "it is a directory" : strerror(errno));
    *status = EXIT_MISUSE;
    return NULL;
  }
  size_t len;
  char *bytes = read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, "bpc: cannot read %s: %s\n", path, strerror(errno));
    *status = EXIT_MISUSE;
    return NULL;
  }
  BpmnModel *m = bpmn_read(path, bytes, len);
  free(bytes);
  IrProgram *ir = m->errors_n ? NULL : bpmn_to_ir(m, NULL);
  bpmn_print_diags(m, stderr);
  bpmn_free(m);
  *status = ir ? EXIT_OK : EXIT_INPUT;
  return ir;
}

IrProgram *bpc_load_ir(const char *path, DotFrontEnd front_end, int *status) {
  if (bpc_is_xml_file(path)) return load_bpmn(path, status);
  Source *src;
  Program *prog = front_end(path, true, &src, status);
  IrProgram *ir = prog ? lower_program(prog) : NULL;
  program_free(prog);
  source_free(src);
  return ir;
}
