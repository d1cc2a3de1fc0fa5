/* dot_cmd.c — the `bpc dot` and `bpc render` commands (dot.h): options, the
 * input chosen by its content (a bundle starts with the magic "BPT\x1A"; a
 * Bitrix24 export, zlib or PHP serialize data, is named and refused; anything
 * else is read as `.bp` source through bpc's front end), the
 * journal overlay, and the call into dot.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpc_load.h"
#include "codegen.h"
#include "lower.h"
#include "bpt.h"
#include "dot.h"
#include "parse.h"
#include "trace.h"
#include "util.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_MISUSE = 2 };

static const char dot_help[] =
    "usage: bpc dot FILE [-p PROCESS] [-o OUT.dot] [--trace JOURNAL [--instance N]]\n"
    "Writes the diagram of FILE as Graphviz DOT text (to stdout without -o;\n"
    "with -o whole or not at all; a device or FIFO is written in place, a\n"
    "symbolic link's target replaced). FILE is a .bp source\n"
    "(checked first, its errors reported as by `bpc check`, exit 1) or a\n"
    "compiled bundle (verified first; a damaged one is refused, exit 1): the\n"
    "content decides, not the extension.\n"
    "  -p PROCESS        draw only this process. Without -p every process of\n"
    "                    FILE is drawn in one graph, each in its own cluster,\n"
    "                    and node names get the process's name in front\n"
    "                    (PROCESS.NODE_ID); with one process they are the\n"
    "                    node ids the journal uses (approve_11).\n"
    "  -o OUT.dot        where to write it\n"
    "  --trace JOURNAL   highlight the nodes and edges one instance went\n"
    "                    through, from the runtime's journal (lines of\n"
    "                    TIME, #INSTANCE, PROCESS, NODE_ID, TEXT, tab-separated)\n"
    "  --instance N      that instance (default: the first one of a drawn\n"
    "                    process in the journal)\n"
    "The visual language is described in docs/diagrams.md.\n"
    "Exit status: 0 ok, 1 errors in FILE or JOURNAL, 2 misuse or I/O failure.\n";

static const char render_help[] =
    "usage: bpc render FILE [-p PROCESS] -T svg|png|pdf -o OUT\n"
    "                  [--trace JOURNAL [--instance N]]\n"
    "Lays the diagram of FILE out and draws it with Graphviz's library (no\n"
    "`dot` program needed), writing OUT atomically. FILE, -p, --trace and\n"
    "--instance are as for `bpc dot` (see bpc dot --help).\n"
    "  -T FORMAT   svg, png or pdf (default: from OUT's extension)\n"
    "  -o OUT      where to write it (required)\n"
    "A diagram too large to lay out in about a second is refused (more than\n"
    "500 nodes, 800 edges, 60 commands and gotos between states, or clusters\n"
    "nested more than 24 deep; exit 1): draw one process with -p, or use\n"
    "`bpc dot` (any size) and lay it out yourself.\n"
    "Exit status: 0 ok, 1 errors in FILE or JOURNAL, or too large, 2 misuse or\n"
    "I/O failure.\n";

typedef struct Options {
  DotCommand cmd;
  const char *in, *out, *proc, *format, *trace;
  bool has_instance;
  uint64_t instance;
} Options;

static const char *cmd_name(DotCommand cmd) { return cmd == DOT_CMD_DOT ? "dot" : "render"; }

static int misuse(const Options *o, const char *fmt, const char *arg) {
  fprintf(stderr, "bpc: %s: ", cmd_name(o->cmd));
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'bpc %s --help'.\n", cmd_name(o->cmd));
  return EXIT_MISUSE;
}

static bool known_format(const char *f) {
  return strcmp(f, "svg") == 0 || strcmp(f, "png") == 0 || strcmp(f, "pdf") == 0;
}

/* "3" or "#3". */
static bool parse_instance(const char *s, uint64_t *out) {
  if (*s == '#') s++;
  if (!*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s)) return false;
  *out = strtoull(s, NULL, 10);
  return true;
}

/* The value of option argv[*i]; NULL (after a message) when it is missing. */
static const char *option_value(const Options *o, int argc, char **argv, int *i, int *status) {
  if (*i + 1 >= argc) {
    *status = misuse(o, "%s needs a value", argv[*i]);
    return NULL;
  }
  return argv[++*i];
}

/* Returns -1 when the options are good, else the exit status. */
static int parse_options(Options *o, int argc, char **argv) {
  int status = -1;
  const char *instance = NULL;
  for (int i = 0; i < argc && status < 0; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (strcmp(a, "-o") == 0) slot = &o->out;
    else if (strcmp(a, "-p") == 0) slot = &o->proc;
    else if (strcmp(a, "--trace") == 0) slot = &o->trace;
    else if (strcmp(a, "--instance") == 0) slot = &instance;
    else if (strcmp(a, "-T") == 0 && o->cmd == DOT_CMD_RENDER) slot = &o->format;
    else if (strncmp(a, "-T", 2) == 0 && a[2] && o->cmd == DOT_CMD_RENDER) o->format = a + 2;
    else if (a[0] == '-' && a[1] != '\0') return misuse(o, "unknown option '%s'", a);
    else if (o->in) return misuse(o, "one input file at a time (got '%s' too)", a);
    else o->in = a;
    if (slot && !(*slot = option_value(o, argc, argv, &i, &status))) return status;
  }
  if (!o->in) return misuse(o, "no input file%s", "");
  if (instance && !parse_instance(instance, &o->instance))
    return misuse(o, "--instance needs an instance number (e.g. 1 or #1), not '%s'", instance);
  o->has_instance = instance != NULL;
  if (instance && !o->trace) return misuse(o, "--instance goes with --trace%s", "");
  if (o->cmd == DOT_CMD_DOT) {
    o->format = "dot";
    return -1;
  }
  if (!o->out) return misuse(o, "-o OUT is required (the file to draw into)%s", "");
  if (!o->format) {
    const char *dot = strrchr(o->out, '.');
    if (!dot || !known_format(dot + 1))
      return misuse(o, "-T svg|png|pdf is required ('%s' does not say which)", o->out);
    o->format = dot + 1;
  }
  if (!known_format(o->format)) return misuse(o, "-T must be svg, png or pdf, not '%s'", o->format);
  return -1;
}

/* ---- input ------------------------------------------------------------------------ */

static bool has_extension(const char *path, const char *ext) {
  size_t n = strlen(path), m = strlen(ext);
  return n > m && strcmp(path + n - m, ext) == 0 && path[n - m - 1] != '/';
}

/* A file read once: a bundle is drawn from its GRAPH section, `.bp` text and
 * BPMN models from their IR. */
static int load_diagram(const char *path, DotFrontEnd front_end, Diagram **out) {
  int status;
  Source *src = bpc_read(path, &status);
  if (!src) return status;
  bool bundle = src->len >= 4 && memcmp(src->text, BPT_MAGIC, 4) == 0;
  bool bitrix = bpc_is_bitrix(src->text, src->len); /* drawn from its imported text */
  if (bundle) {
    BptBundle b;
    if (bpc_bundle(path, src->text, src->len, &b, &status)) {
      *out = dg_from_bundle(&b);
      bpt_free(&b, heap_realloc, NULL);
    }
  } else if (has_extension(path, ".bpt") && !bitrix) {
    fprintf(stderr, "bpc: %s: not a bundle: it does not start with \"BPT\\x1A\"\n", path);
    status = EXIT_INPUT;
  } else {
    IrProgram *ir = bpc_source_ir(src, front_end, &status);
    if (ir) *out = dg_from_ir(ir);
    ir_free(ir);
  }
  source_free(src);
  return status;
}

static int32_t choose_process(const Options *o, const Diagram *d, int *status) {
  *status = EXIT_OK;
  if (!o->proc) return -1;
  int32_t p = dg_find_proc(d, o->proc);
  if (p >= 0) return p;
  StrBuf names;
  sb_init(&names);
  for (uint32_t i = 0; i < d->nprocs; i++) sb_printf(&names, "%s%s", i ? ", " : "", d->procs[i].name);
  fprintf(stderr, "bpc: %s: %s has no process `%s` (%s%s)\nTry 'bpc %s --help'.\n",
          cmd_name(o->cmd), o->in, o->proc, d->nprocs ? "it has: " : "it has none",
          names.data ? names.data : "", cmd_name(o->cmd));
  sb_free(&names);
  *status = EXIT_MISUSE;
  return -1;
}

static int overlay(const Options *o, Diagram *d, int32_t only) {
  size_t len;
  char *text = read_file(o->trace, &len);
  if (!text) {
    fprintf(stderr, "bpc: cannot read %s: %s\n", o->trace, strerror(errno));
    return EXIT_MISUSE;
  }
  Journal *j = trace_parse(o->trace, text, len, stderr);
  free(text);
  if (!j) return EXIT_INPUT;
  trace_overlay(j, d, only, o->has_instance, o->instance, stderr);
  trace_free(j);
  return EXIT_OK;
}

int dot_command(DotCommand cmd, int argc, char **argv, DotFrontEnd front_end) {
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(cmd == DOT_CMD_DOT ? dot_help : render_help, stdout);
      return EXIT_OK;
    }
  Options o = {cmd, NULL, NULL, NULL, NULL, NULL, false, 0};
  int status = parse_options(&o, argc, argv);
  if (status >= 0) return status;
  Diagram *d = NULL;
  status = load_diagram(o.in, front_end, &d);
  if (status != EXIT_OK) return status;
  int32_t only = choose_process(&o, d, &status);
  if (status == EXIT_OK && o.trace) status = overlay(&o, d, only);
  if (status == EXIT_OK) status = dot_draw(d, only, o.format, o.out);
  dg_free(d);
  return status;
}
