/* bpc_load.c — bpc's inputs, each read once and recognised by content (bpc_load.h). */
#include "bpc_load.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpc_diag.h"
#include "bpc_heap.h"
#include "bpmn.h"
#include "bpmn_ir.h"
#include "codegen.h"
#include "lower.h"
#include "parse.h"
#include "util.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_MISUSE = 2 };

/* The largest input: Source offsets are 32-bit, and a process is not a gigabyte. */
#define MAX_SOURCE_BYTES (1024u * 1024u * 1024u)

Source *bpc_read(const char *path, int *status) {
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
  if (S_ISREG(st.st_mode) && (uint64_t)st.st_size >= MAX_SOURCE_BYTES) { /* before reading it */
    fprintf(stderr, "bpc: %s is too large (the limit is 1 GiB)\n", path);
    return NULL;
  }
  size_t len;
  char *text = read_file(path, &len);
  if (!text) {
    fprintf(stderr, "bpc: cannot read %s: %s\n", path, strerror(errno));
    return NULL;
  }
  if (len >= MAX_SOURCE_BYTES) { /* a pipe or device has no size to check first */
    free(text);
    fprintf(stderr, "bpc: %s is too large (the limit is 1 GiB)\n", path);
    return NULL;
  }
  *status = EXIT_OK;
  return source_new(path, text, (uint32_t)len);
}

bool bpc_is_xml(const char *text, size_t len) { return bpmn_looks_like_xml(text, len); }

/* share: the IR points at src's text (ir_share_source) instead of copying it. */
static IrProgram *bpmn_ir(Source *src, const char *only, bool share, int *status) {
  if (src->len > BPMN_MAX_BYTES) {
    char msg[128];
    snprintf(msg, sizeof msg, "the file has %lu bytes, more than the %u a BPMN file may have",
             (unsigned long)src->len, (unsigned)BPMN_MAX_BYTES);
    bpc_diag_import(src->path, 0, true, "bpmn-error", msg);
    *status = EXIT_INPUT;
    return NULL;
  }
  BpmnModel *m = bpmn_read(src->path, src->text, src->len);
  IrProgram *ir = m->errors_n ? NULL : bpmn_to_ir(m, only);
  if (ir && share) ir_share_source(ir, src->text, src->len); /* the bundle knows the file again by it */
  else if (ir) ir_set_source(ir, src->text, src->len);
  for (uint32_t i = 0; i < m->diags.n; i++) { /* in the format `bpc check` was asked for */
    const BpmnDiag *d = m->diags.items[i];
    bpc_diag_import(m->path, d->line, d->error, d->error ? "bpmn-error" : "bpmn-warning", d->message);
  }
  bpmn_free(m);
  *status = ir ? EXIT_OK : EXIT_INPUT;
  return ir;
}

static IrProgram *source_ir(Source *src, DotFrontEnd front_end, bool share, int *status) {
  if (bpc_is_xml(src->text, src->len)) return bpmn_ir(src, NULL, share, status);
  if (bpc_is_bitrix(src->text, src->len)) { /* through its `.bp` text, freed here: copied */
    Source *bp = bpc_bitrix_source(src, status);
    IrProgram *ir = bp ? source_ir(bp, front_end, false, status) : NULL;
    source_free(bp);
    return ir;
  }
  Program *prog = front_end(src, true, status);
  IrProgram *ir = !prog ? NULL : share ? lower_program_sharing(prog) : lower_program(prog);
  parse_program_free(prog);
  return ir;
}

IrProgram *bpc_source_ir(Source *src, DotFrontEnd front_end, int *status) {
  return source_ir(src, front_end, false, status);
}

bool bpc_bundle(const char *path, const char *bytes, size_t len, BptBundle *b, int *status) {
  const char *foreign = bpt_foreign_format((const uint8_t *)bytes, len);
  if (foreign) { /* Bitrix24 exports share the extension .bpt: the content decides */
    fprintf(stderr, "bpc: %s: %s, not a bpc bundle; `bpc compile` makes a bundle of it\n", path, foreign);
    *status = EXIT_MISUSE;
    return false;
  }
  BptError err;
  *status = EXIT_INPUT;
  if (!bpt_read((const uint8_t *)bytes, len, heap_realloc, NULL, b, &err)) {
    fprintf(stderr, "bpc: %s: not a valid bundle: %s\n", path, err.message);
    return false;
  }
  if (!bpt_verify(b, heap_realloc, NULL, &err)) {
    fprintf(stderr, "bpc: %s: the bundle does not verify: %s\n", path, err.message);
    bpt_free(b, heap_realloc, NULL);
    return false;
  }
  *status = EXIT_OK;
  return true;
}

static IrProgram *source_ir_only(Source *src, DotFrontEnd front_end, const char *only, bool share,
                                 int *status) {
  if (!only) return source_ir(src, front_end, share, status);
  if (bpc_is_xml(src->text, src->len)) return bpmn_ir(src, only, share, status);
  fprintf(stderr, "bpc: %s: -p picks one process of a BPMN model; a .bp file is compiled whole\n", src->path);
  *status = EXIT_MISUSE;
  return NULL;
}

IrProgram *bpc_source_ir_only(Source *src, DotFrontEnd front_end, const char *only, int *status) {
  return source_ir_only(src, front_end, only, false, status);
}

bool bpc_compile_bundle(Source *src, DotFrontEnd front_end, const char *only, bool *made,
                        uint8_t **bytes, size_t *len, BptError *err, int *status) {
  CodegenRun run = {NULL, err}; /* started when lowering hands it the first process */
  IrProgram *ir;
  bool text = !only && !bpc_is_xml(src->text, src->len) && !bpc_is_bitrix(src->text, src->len);
  if (text) { /* each process generated as soon as it is lowered, in the memory of the one before */
    Program *prog = front_end(src, true, status);
    ir = prog ? lower_program_each(prog, codegen_each, &run) : NULL;
    /* the tree's pages serve the bundle and its read-back */
    if (prog) bpc_heap_reuse(&prog->arena);
    parse_program_free(prog);
  } else {
    ir = source_ir_only(src, front_end, only, true, status);
  }
  if (!ir) return false;
  *made = codegen_end(codegen_run_all(&run, ir), bytes, len);
  ir_free(ir);
  return true;
}

IrProgram *bpc_load_ir(const char *path, DotFrontEnd front_end, int *status) {
  Source *src = bpc_read(path, status);
  if (!src) return NULL;
  IrProgram *ir = bpc_source_ir(src, front_end, status);
  source_free(src);
  return ir;
}
