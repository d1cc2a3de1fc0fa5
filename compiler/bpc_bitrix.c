/* bpc_bitrix.c — Bitrix24 templates as bpc inputs: `bpc import X.bpt` prints
 * one as `.bp` text, and every command that takes `.bp` text takes a
 * template too (bpc_load.c), through the same text.
 *
 * The importer (compiler/import/bitrix) writes `.bp` text; it is parsed by
 * the `.bp` parser and printed by the formatter, and that canonical text is
 * the source the rest of the pipeline sees: compiling the template and
 * compiling the text `bpc import` printed give the same bundle, and a
 * message's line is a line of that text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitrix.h"
#include "bpc_diag.h"
#include "bpc_load.h"
#include "fmt.h"
#include "out.h"
#include "parse.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_MISUSE = 2 };

bool bpc_is_bitrix(const char *text, size_t len) { return bx_looks_like_template(text, len); }

Source *bpc_bitrix_source(const Source *src, int *status) {
  StrBuf msgs;
  sb_init(&msgs);
  char *text = bx_import(src->path, src->text, src->len, &msgs);
  if (msgs.len) bpc_diag_import_lines(src->path, msgs.data, "bitrix-error", "bitrix-warning");
  sb_free(&msgs);
  *status = EXIT_INPUT;
  if (!text) return NULL;
  Source *raw = source_new(src->path, text, (uint32_t)strlen(text));
  Diags diags;
  diags_init(&diags, raw);
  Program *prog = parse_program(raw, &diags);
  Source *out = NULL;
  if (diags.errors) { /* the importer wrote text the parser refuses: its bug, shown with the text */
    diags_print(&diags, stderr);
    fprintf(stderr, "bpc: internal error: the .bp text imported from %s does not parse\n", src->path);
  } else {
    char *canon = fmt_program(prog);
    out = source_new(src->path, canon, (uint32_t)strlen(canon));
    *status = EXIT_OK;
  }
  diags_free(&diags);
  parse_program_free(prog);
  source_free(raw);
  return out;
}

static const char import_help[] =
    "usage: bpc import TEMPLATE.bpt [-o OUT.bp]\n"
    "Reads a Bitrix24 business-process template (a .bpt export: zlib or plain\n"
    "PHP serialize data) and prints it as .bp text on stdout (-o: into OUT.bp,\n"
    "written only when the import succeeds); warnings about\n"
    "what maps only in part go to stderr. The text compiles to the same\n"
    "bundle as the template itself (bpc compile TEMPLATE.bpt).\n";

int bpc_import_command(int argc, char **argv) {
  const char *path = NULL, *out = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(import_help, stdout);
      return EXIT_OK;
    }
    if (strcmp(argv[i], "-o") == 0) {
      if (i + 1 >= argc) {
        fputs("bpc: import: -o needs an argument\nTry 'bpc --help'.\n", stderr);
        return EXIT_MISUSE;
      }
      out = argv[++i];
      continue;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "bpc: import: unknown option '%s'\nTry 'bpc --help'.\n", argv[i]);
      return EXIT_MISUSE;
    }
    if (path) {
      fprintf(stderr, "bpc: import: one file at a time (got '%s' too)\nTry 'bpc --help'.\n", argv[i]);
      return EXIT_MISUSE;
    }
    path = argv[i];
  }
  if (!path) {
    fputs("bpc: import: no input file\nTry 'bpc --help'.\n", stderr);
    return EXIT_MISUSE;
  }
  int status;
  Source *src = bpc_read(path, &status);
  if (!src) return status;
  if (!bpc_is_bitrix(src->text, src->len)) {
    fprintf(stderr, "bpc: %s is not a Bitrix24 template (zlib or PHP serialize data)\n", path);
    source_free(src);
    return EXIT_MISUSE;
  }
  Source *bp = bpc_bitrix_source(src, &status);
  if (bp && out && strcmp(out, "-") != 0) {
    if (strcmp(out, path) == 0) {
      fprintf(stderr, "bpc: import: %s would be written over itself\n", path);
      status = EXIT_MISUSE;
    } else if (!out_write_file(out, bp->text, bp->len)) {
      fprintf(stderr, "bpc: cannot write %s: %s\n", out, strerror(errno));
      status = EXIT_MISUSE;
    }
  } else if (bp) {
    fwrite(bp->text, 1, bp->len, stdout);
  }
  source_free(bp);
  source_free(src);
  return status;
}
