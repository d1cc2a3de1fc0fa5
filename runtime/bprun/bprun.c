/* bprun.c — the reference host of libbprt: `bprun test` runs scenario files against a
 * bundle, `bprun run` drives one instance from the terminal, `bprun mass` runs a process
 * on every row of a CSV file (mass.c).
 *
 * Exit status: 0 every expectation held, 1 a failure or bad input (a damaged bundle, a
 * scenario line that cannot be understood), 2 misuse or I/O failure. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_MISUSE = 2 };

static const char usage[] =
    "usage: bprun COMMAND BUNDLE.bpt ...\n"
    "\n"
    "bprun runs compiled process bundles (bpc compile) with the runtime library.\n"
    "\n"
    "commands:\n"
    "  test BUNDLE.bpt SCENARIO.scn|DIR [--reload] [--journal FILE] [-v]\n"
    "                       run scenario tests (every .scn under DIR); the output ends\n"
    "                       with `N passed, N failed`. --reload saves and restores\n"
    "                       every instance between every two commands; --journal\n"
    "                       writes every journal line to FILE (for bpc render --trace)\n"
    "  run BUNDLE.bpt PROCESS [name=value ...] [--journal FILE]\n"
    "                       start PROCESS and drive it from the terminal: type\n"
    "                       scenario commands (approve bob fine, complete ann,\n"
    "                       command ola submit, advance 1d, answer ACTION VALUE, ...);\n"
    "                       the open items and the journal are shown; quit ends\n"
    "  mass BUNDLE.bpt PROCESS --documents IN.csv --out OUT.csv [--journal FILE]\n"
    "       [--jobs N] [--clock DATETIME] [param=value ...]\n"
    "                       run PROCESS on every row of IN.csv (the header names\n"
    "                       document fields) with N threads; OUT.csv gets the rows'\n"
    "                       fields after the run, a status and a message; bad rows\n"
    "                       are reported with their line and do not stop the others\n"
    "\n"
    "  --store URL COMMAND ...\n"
    "                       processes kept in a database across runs (SQLite file or\n"
    "                       postgresql://...): deploy, start, list, tasks, act, advance,\n"
    "                       history, worker ... (bprun --store URL --help, docs/store.md)\n"
    "\n"
    "  -h, --help           this help\n"
    "  --version            the versions of bprun and of the runtime library\n";

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every .scn file under dir, sorted, appended to *files. */
static void collect(const char *dir, char ***files, size_t *n, size_t *cap) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char **names = NULL;
  size_t nn = 0, nc = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (nn == nc) names = xrealloc(names, (nc = nc ? 2 * nc : 16) * sizeof *names);
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    names[nn] = xrealloc(NULL, len);
    snprintf(names[nn], len, "%s/%s", dir, e->d_name);
    nn++;
  }
  closedir(d);
  qsort(names, nn, sizeof *names, by_name);
  for (size_t i = 0; i < nn; i++) {
    struct stat st;
    size_t len = strlen(names[i]);
    if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      collect(names[i], files, n, cap);
      free(names[i]);
    } else if (len > 4 && strcmp(names[i] + len - 4, ".scn") == 0) {
      if (*n == *cap) *files = xrealloc(*files, (*cap = *cap ? 2 * *cap : 16) * sizeof **files);
      (*files)[(*n)++] = names[i];
    } else {
      free(names[i]);
    }
  }
  free(names);
}

static bool load(Host *h, const char *path) {
  uint8_t *bytes;
  size_t len;
  char why[300];
  if (!read_whole_file(path, &bytes, &len, why, sizeof why)) {
    fprintf(stderr, "bprun: %s\n", why);
    return false;
  }
  bool ok = host_open(h, bytes, len, why, sizeof why);
  free(bytes);
  if (!ok) fprintf(stderr, "bprun: %s: %s\n", path, why);
  return ok;
}

static int cmd_test(int argc, char **argv) {
  const char *bundle = NULL, *target = NULL, *journal = NULL;
  ScnOptions opt = {0};
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--reload")) opt.reload = true;
    else if (!strcmp(argv[i], "-v")) opt.verbose = true;
    else if (!strcmp(argv[i], "--journal") && i + 1 < argc) journal = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "bprun test: unknown option %s\n", argv[i]);
      return EXIT_MISUSE;
    } else if (!bundle) bundle = argv[i];
    else if (!target) target = argv[i];
    else {
      fprintf(stderr, "bprun test: one bundle and one scenario file or directory\n");
      return EXIT_MISUSE;
    }
  }
  if (!bundle || !target) {
    fprintf(stderr, "usage: bprun test BUNDLE.bpt SCENARIO.scn|DIR [--reload] [--journal FILE] [-v]\n");
    return EXIT_MISUSE;
  }
  struct stat st;
  if (stat(target, &st) != 0) {
    fprintf(stderr, "bprun: cannot open %s: %s\n", target, strerror(errno));
    return EXIT_MISUSE;
  }
  char **files = NULL;
  size_t nfiles = 0, cap = 0;
  if (S_ISDIR(st.st_mode)) collect(target, &files, &nfiles, &cap);
  else {
    files = xrealloc(NULL, sizeof *files);
    files[nfiles++] = xstrdup(target);
  }
  Host h;
  host_init(&h);
  if (!load(&h, bundle)) {
    for (size_t i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    return EXIT_FAILED;
  }
  if (journal && !(h.journal_out = fopen(journal, "w"))) {
    fprintf(stderr, "bprun: cannot write %s: %s\n", journal, strerror(errno));
    host_close(&h);
    return EXIT_MISUSE;
  }
  if (h.journal_out) fprintf(h.journal_out, "# bprun journal: time, instance, process, node, text\n");
  int passed = 0, failed = 0, status = EXIT_OK;
  for (size_t i = 0; i < nfiles; i++) {
    FILE *in = fopen(files[i], "r");
    if (!in) {
      fprintf(stderr, "bprun: cannot open %s: %s\n", files[i], strerror(errno));
      status = EXIT_MISUSE;
    } else {
      if (h.journal_out) fprintf(h.journal_out, "# %s\n", files[i]);
      scn_run(&h, files[i], in, &opt, stdout, &passed, &failed);
      fclose(in);
    }
    host_reset(&h);
    free(files[i]);
  }
  free(files);
  if (h.journal_out && fclose(h.journal_out) != 0) {
    fprintf(stderr, "bprun: cannot write %s\n", journal);
    status = EXIT_MISUSE;
  }
  h.journal_out = NULL;
  host_close(&h);
  if (h.allocated != 0) {
    fprintf(stderr, "bprun: the runtime still holds %zu bytes after freeing everything\n", h.allocated);
    failed++;
  }
  printf("%d passed, %d failed\n", passed, failed);
  if (status != EXIT_OK) return status;
  return failed ? EXIT_FAILED : EXIT_OK;
}

static const char run_usage[] =
    "usage: bprun run BUNDLE.bpt PROCESS [name=value ...] [--journal FILE]\n"
    "\n"
    "Starts PROCESS with the parameters given and reads commands, one a line, from the\n"
    "terminal or a pipe; after each the open items, the journal lines and the status are\n"
    "shown. Messages name the start, the command (`command N:`, from a terminal) or the\n"
    "line of the input (`stdin:N:`). Exit status: 0 when every command was accepted\n"
    "(and every expect held), 1 when the start or any command was refused or failed,\n"
    "2 for a mistake on the command line. For line editing and history, run it under\n"
    "rlwrap (bprun links no line-editing library).\n"
    "\n";

static int cmd_run(int argc, char **argv) {
  const char *journal = NULL;
  char **words = xrealloc(NULL, (size_t)(argc + 2) * sizeof *words);
  int n = 0;
  const char *bundle = NULL;
  words[n++] = "start";
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--journal") && i + 1 < argc) journal = argv[++i];
    else if (!bundle) bundle = argv[i];
    else words[n++] = argv[i];
  }
  if (!bundle || n < 2) {
    fputs(run_usage, stderr);
    free(words);
    return EXIT_MISUSE;
  }
  Host h;
  host_init(&h);
  if (!load(&h, bundle)) {
    free(words);
    return EXIT_FAILED;
  }
  if (journal && !(h.journal_out = fopen(journal, "w"))) {
    fprintf(stderr, "bprun: cannot write %s: %s\n", journal, strerror(errno));
    host_close(&h);
    free(words);
    return EXIT_MISUSE;
  }
  h.echo_journal = true;
  ScnOptions opt = {.interactive = true, .start = words, .nstart = n};
  int passed = 0, failed = 0;
  scn_run(&h, "stdin", stdin, &opt, stdout, &passed, &failed);
  if (h.journal_out) fclose(h.journal_out);
  h.journal_out = NULL;
  host_close(&h);
  free(words);
  if (passed || failed) printf("%d passed, %d failed\n", passed, failed);
  return failed ? EXIT_FAILED : EXIT_OK;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return EXIT_MISUSE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--store")) return store_main(argc - 2, argv + 2);
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    fputs(usage, stdout);
    return EXIT_OK;
  }
  if (!strcmp(cmd, "--version")) {
    printf("bprun %s (libbprt %s)\n", BP_VERSION, bp_version());
    return EXIT_OK;
  }
  for (int i = 2; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      if (!strcmp(cmd, "run")) {
        fputs(run_usage, stdout);
        fputs(scn_run_help, stdout);
      } else {
        fputs(usage, stdout);
      }
      return EXIT_OK;
    }
  if (!strcmp(cmd, "test")) return cmd_test(argc - 2, argv + 2);
  if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
  if (!strcmp(cmd, "mass")) return mass_main(argc - 2, argv + 2);
  fprintf(stderr, "bprun: unknown command `%s` (see bprun --help)\n", cmd);
  return EXIT_MISUSE;
}
