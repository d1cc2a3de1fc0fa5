/* bpc_load.c — any input as a finished IrProgram (bpc_load.h). */
#include "bpc_load.h"

#include <errno.h>
#include <stdint.h>
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
  *status = EXIT_MISUSE;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "bpc: cannot read %s: %s\n", path, strerror(errno));
    return NULL;
  }
  if (S_ISDIR(st.st_mode)) {
    fprintf(stderr, "bpc: cannot read %s: it is a directory\n", path);
    return NULL;
  }
  if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > BPMN_MAX_BYTES) {
    fprintf(stderr, "%s: error: the file has %llu bytes, more than the %u a BPMN file may have\n", path,
            (unsigned long long)st.st_size, (unsigned)BPMN_MAX_BYTES);
    *status = EXIT_INPUT;
    return NULL;
  }
  size_t len;
  char *bytes = read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, "bpc: cannot read %s: %s\n", path, strerror(errno));
    return NULL;
  }
  BpmnModel *m = bpmn_read(path, bytes, len);
  IrProgram *ir = m->errors_n ? NULL : bpmn_to_ir(m, NULL);
  if (ir) ir_set_source(ir, bytes, len); /* the bundle knows the file again by it */
  free(bytes);
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
  parse_program_free(prog);
  source_free(src);
  return ir;
}
