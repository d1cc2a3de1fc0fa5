/* bpc.c — the command-line compiler: `bpc check`, `bpc fmt`, `bpc compile`,
 * `bpc disasm`, `bpc dot`, `bpc render` (the last two in dot_cmd.c), `bpc export`
 * (the BPMN writer is compiler/export/).
 *
 * Exit codes (TOOLS.md): 0 ok, 1 the input has errors, 2 misuse or I/O
 * failure. Diagnostics go to stderr; program output to stdout. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpc_diag.h"
#include "bpc_heap.h"
#include "bpc_import.h"
#include "bpc_load.h"
#include "bpmnw.h"
#include "bxw.h"
#include "codegen.h"
#include "lower.h"
#include "bpt.h"
#include "check.h"
#include "diag.h"
#include "dot.h"
#include "fmt.h"
#include "out.h"
#include "parse.h"
#include "util.h"

/* The version bp.h declares, passed by the Makefile (the compiler does not include bp.h). */
#ifndef BPC_VERSION
#error "BPC_VERSION is set by the Makefile from runtime/bp.h"
#endif

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_MISUSE = 2 };
/* A file with more errors than this is hopeless; stop listing them. */
enum { MAX_ERRORS = 100 };
/* Spans are 32-bit byte offsets. */

static const char usage_text[] =
    "usage: bpc COMMAND [options] FILE...\n"
    "\n"
    "bpc checks business processes written in the .bp language, prints them\n"
    "in canonical form, compiles them to bundles (.bpt) for the runtime and\n"
    "draws their diagrams.\n"
    "\n"
    "commands:\n"
    "  check [-p PROCESS] [--diagnostics-format=text|json|sarif] FILE...\n"
    "                       report every error and warning (exit 1 on errors)\n"
    "  fmt [-w|--check] FILE\n"
    "                       print the canonical text of a .bp file;\n"
    "                       -w rewrites the file, --check only tells whether\n"
    "                       it is already formatted (exit 1 if not)\n"
    "  compile FILE [-p PROCESS] [-o OUT.bpt]\n"
    "                       compile to a bundle (default: FILE with .bpt)\n"
    "  import TEMPLATE.bpt  print a Bitrix24 template export as .bp text\n"
    "  disasm BUNDLE.bpt    verify a bundle and list its bytecode, with the\n"
    "                       source lines when the source file is unchanged\n"
    "  dot FILE [-p PROCESS] [-o OUT.dot] [--trace JOURNAL]\n"
    "                       the diagram as Graphviz DOT (FILE: .bp or .bpt)\n"
    "  render FILE [-p PROCESS] -T svg|png|pdf -o OUT [--trace JOURNAL]\n"
    "                       the diagram drawn; --trace highlights the path\n"
    "                       of one instance from the runtime's journal\n"
    "  export --bpmn FILE [-p PROCESS] [-o OUT.bpmn]\n"
    "                       the processes as BPMN 2.0 XML with a diagram\n"
    "  export --bitrix FILE.bp [-o OUT.bpt]\n"
    "                       the process as a Bitrix24 template\n"
    "  import FILE.bpmn [-p PROCESS] [-o OUT.bp]\n"
    "                       print a BPMN model as .bp text, or name the\n"
    "                       element where its graph is not block-structured\n"
    "  lsp                  a Language Server on stdin and stdout (for editors)\n"
    "\n"
    "options:\n"
    "  --color=auto|always|never\n"
    "                       colour the diagnostics (auto: on a terminal, unless\n"
    "                       NO_COLOR is set)\n"
    "  -h, --help           this help (also: bpc COMMAND --help)\n"
    "  --version            the version (the runtime's, from bp.h)\n"
    "\n"
    "environment:\n"
    "  BPC_THREADS=N        threads one large file may use (1 to 64; default: the\n"
    "                       processors online); the output is the same bytes\n"
    "\n"
    "Diagnostics: FILE:LINE:COL: error|warning: message, then the line and a\n"
    "caret under the range. Exit status: 0 ok, 1 errors in the input, 2 misuse\n"
    "or I/O failure.\n";

static const char check_help[] =
    "usage: bpc check [-p PROCESS] FILE...\n"
    "Parses and checks each .bp file or BPMN model and reports all errors and\n"
    "warnings on stderr. Exit status 1 if any file has an error, 2 if a file\n"
    "can't be read.\n"
    "  -p PROCESS   check only the process with this id of each BPMN model\n"
    "               (a .bp file is checked whole)\n"
    "  --diagnostics-format=text|json|sarif\n"
    "               text (the default) on stderr; json (an array of objects:\n"
    "               file, line, column, end_line, end_column, severity, code,\n"
    "               message, fix) or sarif (SARIF 2.1.0) on stdout\n"
    "  --color=auto|always|never   colour the text (auto: on a terminal)\n";

static const char fmt_help[] =
    "usage: bpc fmt [-w | --check] FILE\n"
    "Prints the canonical text of FILE (two-space indents, one statement a\n"
    "line, comments kept). Formatting twice gives the same text.\n"
    "  -w        write the result back to FILE (atomically)\n"
    "  --check   print nothing; exit 1 if FILE is not formatted\n";

static const char compile_help[] =
    "usage: bpc compile FILE [-p PROCESS] [-o OUT.bpt]\n"
    "Parses and checks FILE (reporting like `bpc check`), then compiles every\n"
    "document type, action and process in it into one bundle. The bundle is\n"
    "verified before it is written, and written atomically: a failed compile\n"
    "leaves no file behind. One input file per bundle for now.\n"
    "  -p PROCESS   a BPMN model: compile only the process with this id\n"
    "               (without -p: every executable process of the file)\n"
    "  -o OUT.bpt   where to write it (default: FILE with its extension\n"
    "               replaced by .bpt)\n"
    "Exit status: 0 ok, 1 errors in FILE, 2 misuse or I/O failure.\n";

static const char disasm_help[] =
    "usage: bpc disasm BUNDLE.bpt\n"
    "Reads and verifies a bundle (a bad one is refused with the verifier's\n"
    "message, exit 1), then lists every process: its slots, steps, states and\n"
    "bytecode, with the source lines when the source file named in the bundle\n"
    "(relative to the current directory) is still the one compiled: the bundle\n"
    "records its size and CRC-32C, and another file's lines are never shown.\n";

static const char export_help[] =
    "usage: bpc export --bpmn FILE [-p PROCESS] [-o OUT.bpmn]\n"
    "       bpc export --bitrix FILE.bp [--plain] [-o OUT.bpt]\n"
    "Reads FILE (.bp text or a BPMN model, by content) and writes its processes\n"
    "as BPMN 2.0 XML: one executable process each, with a diagram laid out by\n"
    "Graphviz, so BPMN modelers open them. The `bpc:ir` attributes let bpc\n"
    "read the file back into the same program. Statuses (`states`) have no\n"
    "BPMN form and are refused naming the line. Written atomically.\n"
    "  -p PROCESS   only this process\n"
    "  -o OUT.bpmn  where to write it (default: FILE with .bpmn; `-` for stdout)\n"
    "--bitrix writes the one process of a .bp file (or of a Bitrix24 template)\n"
    "as a Bitrix24 business-process template, zlib-compressed as Bitrix's\n"
    "export is (--plain: the PHP serialize data alone); a construct with no\n"
    "Bitrix activity is refused naming its line (docs/bitrix.md). Default\n"
    "output: FILE with .bpt.\n"
    "Exit status: 0 ok, 1 errors in FILE or a construct BPMN cannot express,\n"
    "2 misuse or I/O failure.\n";

int lsp_command(int argc, char **argv); /* bpc_lsp.c */

static int misuse(const char *fmt, const char *arg) {
  fputs("bpc: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\nTry 'bpc --help'.\n", stderr);
  return EXIT_MISUSE;
}

static bool wants_help(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return true;
  return false;
}

/* A Bitrix24 export or a compiled bundle where .bp text was expected: says so. */
static bool not_source(const char *path, const char *text, size_t len) {
  const char *foreign = bpt_foreign_format((const uint8_t *)text, len);
  if (foreign)
    fprintf(stderr, "bpc: %s: %s, not .bp source; `bpc import` prints it as .bp text\n", path, foreign);
  else if (len >= 4 && memcmp(text, BPT_MAGIC, 4) == 0)
    fprintf(stderr, "bpc: %s is a compiled bundle, not .bp source (bpc disasm lists it)\n", path);
  return foreign || (len >= 4 && memcmp(text, BPT_MAGIC, 4) == 0);
}

/* Parses (and optionally checks) one file's text, printing its diagnostics.
 * Returns the program, or NULL after printing why when it has errors or is not
 * .bp text; *status gets the exit code for this file. */
static Program *front_end(Source *src, bool run_checks, int *status) {
  const char *path = src->path;
  if (bpc_is_xml(src->text, src->len)) {
    fprintf(stderr, "bpc: %s is XML (a BPMN model): this command takes .bp text\n", path);
    *status = EXIT_MISUSE;
    return NULL;
  }
  if (not_source(path, src->text, src->len)) {
    *status = EXIT_MISUSE;
    return NULL;
  }
  Diags diags;
  diags_init(&diags, src);
  diags.max_errors = MAX_ERRORS;
  Program *prog = parse_program(src, &diags);
  if (diags.errors == 0 && run_checks) check_program(prog, &diags);
  bpc_diag_emit(&diags);
  if (diags.errors >= MAX_ERRORS)
    fprintf(stderr, "bpc: %s: too many errors, stopped after %d\n", path, MAX_ERRORS);
  *status = diags.errors ? EXIT_INPUT : EXIT_OK;
  diags_free(&diags);
  if (*status != EXIT_OK) {
    parse_program_free(prog);
    return NULL;
  }
  return prog;
}

enum { CHECK_HEAP_PER_BYTE = 4 };

static int cmd_check(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    fputs(check_help, stdout);
    return EXIT_OK;
  }
  if (argc == 0) return misuse("check: no input files%s", "");
  int worst = EXIT_OK;
  const char *only = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-p") == 0) {
      if (i + 1 >= argc) return misuse("check: -p needs a process id%s", "");
      only = argv[++i];
      argv[i - 1] = argv[i] = NULL;
      continue;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0') return misuse("check: unknown option '%s'", argv[i]);
  }
  bool any = false;
  for (int i = 0; i < argc; i++) any = any || argv[i];
  if (!any) return misuse("check: no input files%s", "");
  for (int i = 0; i < argc; i++) {
    if (!argv[i]) continue;
    int status;
    struct stat st; /* a large file's heap prepared, as compile's (below) */
    if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < SIZE_MAX / 16)
      bpc_heap_prepare(CHECK_HEAP_PER_BYTE * (size_t)st.st_size);
    Source *src = bpc_read(argv[i], &status);
    if (!src) {
      /* unreadable: said why */
    } else if (bpc_is_xml(src->text, src->len)) { /* BPMN: read, mapped and finished */
      ir_free(bpc_source_ir_only(src, front_end, only, &status));
    } else if (only) {
      fprintf(stderr, "bpc: %s: -p picks one process of a BPMN model; a .bp file is checked whole\n", argv[i]);
      status = EXIT_MISUSE;
    } else if (bpc_is_bitrix(src->text, src->len)) { /* a Bitrix24 template, through its .bp text */
      ir_free(bpc_source_ir(src, front_end, &status));
    } else {
      parse_program_free(front_end(src, true, &status));
    }
    source_free(src);
    if (status > worst) worst = status;
  }
  return worst;
}

/* Says that path could not be written, and why (errno); false. */
static bool cannot_write(const char *path) {
  fprintf(stderr, "bpc: cannot write %s: %s\n", path, strerror(errno));
  return false;
}

/* Writes text to path whole or not at all (out.h: a regular file through a
 * temporary file and rename(2), a device or FIFO in place, a link's target). */
static bool write_output(const char *path, const char *text, size_t len) {
  return out_write_file(path, text, len) || cannot_write(path);
}

static int cmd_fmt(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    fputs(fmt_help, stdout);
    return EXIT_OK;
  }
  bool write_back = false, check_only = false;
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-w") == 0) write_back = true;
    else if (strcmp(argv[i], "--check") == 0) check_only = true;
    else if (argv[i][0] == '-' && argv[i][1] != '\0') return misuse("fmt: unknown option '%s'", argv[i]);
    else if (path) return misuse("fmt: one file at a time (got '%s' too)", argv[i]);
    else path = argv[i];
  }
  if (!path) return misuse("fmt: no input file%s", "");
  if (write_back && check_only) return misuse("fmt: -w and --check exclude each other%s", "");
  int status;
  Source *src = bpc_read(path, &status);
  Program *prog = src ? front_end(src, false, &status) : NULL;
  if (prog) {
    char *text = fmt_program(prog);
    size_t len = strlen(text);
    bool same = len == src->len && memcmp(text, src->text, len) == 0;
    if (check_only) {
      if (!same) {
        fprintf(stderr, "%s: not formatted\n", path);
        status = EXIT_INPUT;
      }
    } else if (write_back) {
      if (!same && !write_output(path, text, len)) status = EXIT_MISUSE;
    } else {
      fwrite(text, 1, len, stdout);
    }
    free(text);
  }
  parse_program_free(prog);
  source_free(src);
  return status;
}

/* ---- compile and disasm ------------------------------------------------------ */

/* IN with its extension replaced by .bpt (IN.bpt when it has none). */
static char *default_output(const char *in) {
  const char *slash = strrchr(in, '/');
  const char *dot = strrchr(in, '.');
  size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - in) : strlen(in);
  StrBuf b;
  sb_init(&b);
  sb_putn(&b, in, stem);
  sb_puts(&b, ".bpt");
  return sb_take(&b);
}

/* Reads the bundle back and verifies it, as a runtime would (all but the
 * checksum, which bpt_write has just computed over these bytes): a compiler that
 * produced a bundle its own verifier refuses has a bug. */
static void *check_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  void *p = heap_realloc(NULL, ptr, old_size, new_size);
  if (new_size > old_size && !p) *(bool *)ud = true;
  return p;
}

static bool self_check(const uint8_t *bytes, size_t len, const char *in) {
  BptBundle b;
  BptError err;
  bool oom = false; /* running out of memory is no verdict on the bundle */
  bool ok = bpt_read_written(bytes, len, check_alloc, &oom, &b, &err);
  if (ok) {
    ok = bpt_verify(&b, check_alloc, &oom, &err);
    bpt_free(&b, check_alloc, &oom);
  }
  if (!ok && oom) out_of_memory();
  if (!ok)
    fprintf(stderr, "bpc: internal error: the bundle compiled from %s does not verify: %s\n",
            in, err.message);
  return ok;
}

/* A large bundle is written to its temporary file on a second thread while the
 * self-check reads it (each takes about 7 ms at 100,000 lines), and put in place only
 * when the check has passed; a failed check removes it, so the output file is left as
 * it was, as when the check comes first. Below this size a thread is not worth it. */
enum { OVERLAP_WRITE_MIN = 512 * 1024 };

typedef struct Writer {
  OutFile o;
  const uint8_t *bytes;
  size_t len;
  bool ok;
  int err;
} Writer;

static void *write_bytes(void *arg) {
  Writer *w = arg;
  errno = 0;
  w->ok = fwrite(w->bytes, 1, w->len, w->o.f) == w->len;
  w->err = errno ? errno : EIO;
  return NULL;
}

/* The self-check, then the bundle written to path: the exit status. */
static int check_and_write(const uint8_t *bytes, size_t len, const char *in, const char *path) {
  Writer w = {.bytes = bytes, .len = len};
  pthread_t thread;
  if (len < OVERLAP_WRITE_MIN || bpc_threads() < 2 || !out_open_temporary(&w.o, path)) {
    if (!self_check(bytes, len, in)) return EXIT_INPUT;
    return write_output(path, (const char *)bytes, len) ? EXIT_OK : EXIT_MISUSE;
  }
  bool threaded = pthread_create(&thread, NULL, write_bytes, &w) == 0;
  bool checked = self_check(bytes, len, in);
  if (threaded) pthread_join(thread, NULL);
  else if (checked) write_bytes(&w);
  if (!checked) {
    out_abort(&w.o);
    return EXIT_INPUT;
  }
  if (w.ok && out_commit(&w.o)) return EXIT_OK;
  if (!w.ok) {
    out_abort(&w.o);
    errno = w.err;
  }
  cannot_write(path);
  return EXIT_MISUSE;
}

static int cmd_compile(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    fputs(compile_help, stdout);
    return EXIT_OK;
  }
  const char *in = NULL, *out = NULL, *only = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0) {
      if (i + 1 >= argc) return misuse("compile: -o needs a file name%s", "");
      out = argv[++i];
    } else if (strcmp(argv[i], "-p") == 0) {
      if (i + 1 >= argc) return misuse("compile: -p needs a process id%s", "");
      only = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return misuse("compile: unknown option '%s'", argv[i]);
    } else if (in) {
      return misuse("compile: one input file at a time for now (got '%s' too)", argv[i]);
    } else {
      in = argv[i];
    }
  }
  if (!in) return misuse("compile: no input file%s", "");
  int status;
  /* What compile mallocs grows with the program: about 8 times its text on one thread
   * (measured on bench/gen.sh's programs: tables, code, the bundle and its read-back), and
   * the text; on two threads about 12 (the lowering's four batch arenas and the second
   * thread's own memory: at 9 times, 900 to 1,600 page faults at 100,000 lines against
   * 130 to 630 on one thread; at 13, 150 to 630). Only what is used is ever touched.
   * The heap is prepared before the text is read when the file's size is known, so the
   * text comes from it too: read into a mapping of its own, 3.4 MB at 100,000 lines
   * took 820 page faults of 4 KiB. */
  struct stat st;
  bool sized = stat(in, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < SIZE_MAX / 16;
  if (sized) bpc_heap_prepare(13 * (size_t)st.st_size);
  Source *src = bpc_read(in, &status);
  if (!src) return status;
  if (!sized) bpc_heap_prepare(12 * (size_t)src->len);
  uint8_t *bytes = NULL;
  size_t len = 0;
  BptError err;
  bool made = false;
  /* the IR is freed before the read-back (its memory is used again there) */
  bool read = bpc_compile_bundle(src, front_end, only, &made, &bytes, &len, &err, &status);
  source_free(src); /* the IR pointed at its text */
  if (!read) return status;
  if (!made) {
    fprintf(stderr, "bpc: %s: cannot compile: %s\n", in, err.message);
    status = EXIT_INPUT;
  } else {
    char *path = out ? xstrdup(out) : default_output(in);
    status = check_and_write(bytes, len, in, path);
    free(path);
  }
  free(bytes);
  return status;
}

/* IN with its extension replaced by ext (IN.ext when it has none). */
static char *output_named(const char *in, const char *ext) {
  char *bpt = default_output(in); /* "IN.bpt" */
  StrBuf b;
  sb_init(&b);
  sb_putn(&b, bpt, strlen(bpt) - 4);
  sb_puts(&b, ext);
  free(bpt);
  return sb_take(&b);
}

/* `bpc export --bitrix`: the checked program as a Bitrix24 template. */
static int export_bitrix(const char *in, const char *out, bool plain) {
  int status;
  Source *src = bpc_read(in, &status);
  if (!src) return status;
  if (bpc_is_bitrix(src->text, src->len)) { /* a template: through its .bp text */
    Source *bp = bpc_bitrix_source(src, &status);
    source_free(src);
    if (!bp) return status;
    src = bp;
  }
  Program *prog = front_end(src, true, &status);
  if (!prog) {
    source_free(src);
    return status;
  }
  Diags diags;
  diags_init(&diags, src);
  char *bytes = NULL;
  size_t len = 0;
  bool ok = bxw_export(prog, plain, &bytes, &len, &diags);
  diags_print(&diags, stderr);
  diags_free(&diags);
  status = ok ? EXIT_OK : EXIT_INPUT;
  if (ok && out && strcmp(out, "-") == 0) {
    fwrite(bytes, 1, len, stdout);
  } else if (ok) {
    char *path = out ? xstrdup(out) : output_named(in, ".bpt");
    if (!out && strcmp(path, in) == 0) {
      fprintf(stderr, "bpc: export: %s would be written over itself; name the output with -o\n", in);
      status = EXIT_MISUSE;
    } else if (!write_output(path, bytes, len)) {
      status = EXIT_MISUSE;
    }
    free(path);
  }
  free(bytes);
  parse_program_free(prog);
  source_free(src);
  return status;
}

static int cmd_export(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    fputs(export_help, stdout);
    return EXIT_OK;
  }
  const char *in = NULL, *out = NULL, *only = NULL;
  bool bpmn = false, bitrix = false, plain = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--bpmn") == 0) {
      bpmn = true;
    } else if (strcmp(argv[i], "--bitrix") == 0) {
      bitrix = true;
    } else if (strcmp(argv[i], "--plain") == 0) {
      plain = true;
    } else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "-p") == 0) {
      if (i + 1 >= argc) return misuse("export: %s needs an argument", argv[i]);
      if (argv[i][1] == 'o') out = argv[++i];
      else only = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return misuse("export: unknown option '%s'", argv[i]);
    } else if (in) {
      return misuse("export: one input file at a time (got '%s' too)", argv[i]);
    } else {
      in = argv[i];
    }
  }
  if (bpmn == bitrix) return misuse("export: say which format: --bpmn or --bitrix%s", "");
  if (!in) return misuse("export: no input file%s", "");
  if (bitrix) {
    if (only) return misuse("export: -p is for BPMN; a .bp file has one process to write as a template%s", "");
    return export_bitrix(in, out, plain);
  }
  if (plain) return misuse("export: --plain is for --bitrix%s", "");
  int status;
  IrProgram *ir = bpc_load_ir(in, front_end, &status);
  if (!ir) return status;
  char *xml = NULL;
  size_t len = 0;
  if (bpmnw_export(ir, only, &xml, &len, stderr) != 0) {
    status = EXIT_INPUT;
  } else if (out && strcmp(out, "-") == 0) {
    fwrite(xml, 1, len, stdout);
  } else {
    char *path = out ? xstrdup(out) : output_named(in, ".bpmn");
    if (!out && strcmp(path, in) == 0) { /* a .bpmn input: never overwrite it unasked */
      fprintf(stderr, "bpc: export: %s would be written over itself; name the output with -o\n", in);
      status = EXIT_MISUSE;
    } else if (!write_output(path, xml, len)) {
      status = EXIT_MISUSE;
    }
    free(path);
  }
  free(xml);
  ir_free(ir);
  return status;
}

static void print_stdout(void *ud, const char *text, size_t len) {
  (void)ud;
  fwrite(text, 1, len, stdout);
}

/* The source the bundle was compiled from, if the file it names is still there
 * unchanged: a regular file of the recorded size and CRC (bpt_source_matches).
 * Nothing else is read: not a device or FIFO, not a file of another size. */
static char *recorded_source(const BptBundle *b, size_t *len) {
  if (!b->source_known || !b->source_file || b->source_file >= b->nstrings) return NULL;
  const char *path = b->strings[b->source_file].data;
  struct stat st;
  if (stat(path, &st) != 0) return NULL; /* moved away: nothing to say */
  char *text = NULL;
  if (S_ISREG(st.st_mode) && (uint64_t)st.st_size == b->source_size) text = read_file(path, len);
  if (text && bpt_source_matches(b, text, *len)) return text;
  free(text);
  fprintf(stderr, "bpc: disasm: %s is not the source this bundle was compiled from (size or "
          "checksum differs); its lines are not shown\n", path);
  return NULL;
}

static int cmd_disasm(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    fputs(disasm_help, stdout);
    return EXIT_OK;
  }
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1] != '\0') return misuse("disasm: unknown option '%s'", argv[i]);
    if (path) return misuse("disasm: one bundle at a time (got '%s' too)", argv[i]);
    path = argv[i];
  }
  if (!path) return misuse("disasm: no bundle%s", "");
  int status;
  Source *src = bpc_read(path, &status);
  if (!src) return status;
  BptBundle b;
  if (bpc_bundle(path, src->text, src->len, &b, &status)) {
    size_t source_len = 0;
    char *source = recorded_source(&b, &source_len);
    bpt_disasm(&b, source, source ? source_len : 0, print_stdout, NULL);
    free(source);
    bpt_free(&b, heap_realloc, NULL);
  }
  source_free(src);
  return status;
}

/* bpc import: a Bitrix24 template (by content) through its importer, anything else
 * (a BPMN model) through the BPMN one. */
static int cmd_import(int argc, char **argv) {
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "-p") == 0) {
      i++;
      continue;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0') continue;
    int st;
    Source *s = bpc_read(argv[i], &st);
    bool bitrix = s && bpc_is_bitrix(s->text, s->len);
    source_free(s);
    if (bitrix) return bpc_import_command(argc, argv);
    break;
  }
  return import_command(argc, argv);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return EXIT_MISUSE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_text, stdout);
    return EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("bpc %s\n", BPC_VERSION);
    return EXIT_OK;
  }
  /* --color (any command) and --diagnostics-format (check) are taken out here. */
  int kept_args = 2;
  for (int i = 2; i < argc; i++) {
    int taken = bpc_diag_option(argv[i], strcmp(cmd, "check") == 0);
    if (taken < 0) return misuse("see '%s --help'", "bpc check");
    if (!taken) argv[kept_args++] = argv[i];
  }
  argc = kept_args;
  int status;
  if (strcmp(cmd, "check") == 0) {
    status = cmd_check(argc - 2, argv + 2);
    bpc_diag_finish(stdout);
  } else if (strcmp(cmd, "lsp") == 0) status = lsp_command(argc - 2, argv + 2);
  else if (strcmp(cmd, "fmt") == 0) status = cmd_fmt(argc - 2, argv + 2);
  else if (strcmp(cmd, "compile") == 0) status = cmd_compile(argc - 2, argv + 2);
  else if (strcmp(cmd, "disasm") == 0) status = cmd_disasm(argc - 2, argv + 2);
  else if (strcmp(cmd, "dot") == 0) status = dot_command(DOT_CMD_DOT, argc - 2, argv + 2, front_end);
  else if (strcmp(cmd, "export") == 0) status = cmd_export(argc - 2, argv + 2);
  else if (strcmp(cmd, "import") == 0) status = cmd_import(argc - 2, argv + 2);
  else if (strcmp(cmd, "render") == 0) status = dot_command(DOT_CMD_RENDER, argc - 2, argv + 2, front_end);
  else return misuse("unknown command '%s'", cmd);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "bpc: cannot write the output: %s\n", strerror(errno));
    return EXIT_MISUSE;
  }
  return status;
}
