/* bpc_load.h — reading bpc's inputs: each file is read once (so a pipe or
 * /dev/stdin works like a file) and recognised by its content, not its name:
 * `.bp` text, a BPMN 2.0 model (XML), a compiled bundle, or a Bitrix24 export.
 * Text and models become a finished graph IR here; bundles are the caller's. */
#ifndef BPC_LOAD_H
#define BPC_LOAD_H

#include <stdbool.h>

#include "bpt.h"
#include "diag.h"
#include "dot.h"
#include "ir.h"

/* Reads path whole (at most 1 GiB; a regular file's size is checked before
 * reading). NULL after printing why, with *status 2. */
Source *bpc_read(const char *path, int *status);

/* Is the text XML (so a BPMN model, not .bp text)? */
bool bpc_is_xml(const char *text, size_t len);

/* The finished IR of src — a BPMN model, a Bitrix24 template or `.bp` text, by
 * content — printing
 * every message on stderr (BPMN: `file:line: error: ID: reason`). NULL with
 * *status 1 (errors in the input) or 2 (not something bpc compiles). src stays
 * the caller's; the IR keeps a copy of its text. */
IrProgram *bpc_source_ir(Source *src, DotFrontEnd front_end, int *status);

/* The bundle in bytes (a file read with bpc_read), read and verified into *b;
 * false after printing why (exit status 1: not a bundle, damaged, or one the
 * verifier refuses; a Bitrix24 export is named as such, status 2), in *status.
 * On success free *b with bpt_free(b, heap_realloc, NULL). */
bool bpc_bundle(const char *path, const char *bytes, size_t len, BptBundle *b, int *status);

/* bpc_source_ir keeping only the process with id `only` of a BPMN model (`-p`;
 * NULL: all). A .bp file with `only` set is refused (status 2): it is compiled
 * whole, its processes may start each other. */
IrProgram *bpc_source_ir_only(Source *src, DotFrontEnd front_end, const char *only, int *status);
/* `bpc compile`: the bundle of src (the inputs of bpc_source_ir_only). `.bp` text is
 * lowered, finished and generated one process at a time (lower_program_each), each in
 * the memory of the one before (a large program's lowered on a second thread beside the
 * generating, in batches); the IR points at src's text instead of a copy (the
 * bundle's SOURCE entry). False with *status when src has errors (printed); otherwise
 * true, *made saying whether *bytes (*len, malloc'd) were made or err why not. */
bool bpc_compile_bundle(Source *src, DotFrontEnd front_end, const char *only, bool *made,
                        uint8_t **bytes, size_t *len, BptError *err, int *status);

/* Is the text a Bitrix24 template export (zlib, or `a:N:{` PHP serialize data)? */
bool bpc_is_bitrix(const char *text, size_t len);

/* A Bitrix24 template imported as canonical `.bp` text (bpc_bitrix.c), under
 * the template's path; NULL with *status 1 after printing why. Warnings go
 * to stderr. */
Source *bpc_bitrix_source(const Source *src, int *status);

/* `bpc import TEMPLATE.bpt`: the template as `.bp` text on stdout. */
int bpc_import_command(int argc, char **argv);

/* bpc_read, then bpc_source_ir. */
IrProgram *bpc_load_ir(const char *path, DotFrontEnd front_end, int *status);

#endif
