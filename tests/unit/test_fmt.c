/* test_fmt.c — the formatter (`bpc fmt`): canonical layout, comments, blank
 * lines, parentheses, string escapes, idempotence, and the samples as fixed
 * points. Inputs go through the real parser; the tests run from the repo root
 * (the samples are read from samples/). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "diag.h"
#include "fmt.h"
#include "parse.h"
#include "util.h"

/* Parses text (which must have no syntax errors) and formats it. */
static char *format_text(const char *text) {
  size_t len = strlen(text);
  char *copy = xmalloc(len + 1);
  memcpy(copy, text, len + 1);
  Source *src = source_new("test.bp", copy, (uint32_t)len);
  Diags diags;
  diags_init(&diags, src);
  Program *prog = parse_program(src, &diags);
  if (diags.errors) {
    diags_print(&diags, stderr);
    fprintf(stderr, "--- input:\n%s\n", text);
  }
  assert_int_equal(diags.errors, 0);
  char *out = fmt_program(prog);
  parse_program_free(prog);
  diags_free(&diags);
  source_free(src);
  return out;
}

/* Formats input, compares with expected, and checks that formatting the
 * result again changes nothing. */
static void assert_formats(const char *input, const char *expected) {
  char *once = format_text(input);
  if (strcmp(once, expected) != 0) fprintf(stderr, "--- got:\n%s--- expected:\n%s---\n", once, expected);
  assert_string_equal(once, expected);
  char *twice = format_text(once);
  assert_string_equal(twice, once);
  free(twice);
  free(once);
}

/* Canonical text is its own format. */
static void assert_fixed_point(const char *text) { assert_formats(text, text); }

/* ---- the samples ----------------------------------------------------------- */

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void samples_are_fixed_points(void **state) {
  (void)state;
  DIR *dir = opendir("samples");
  assert_non_null(dir);
  int count = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    if (!has_suffix(e->d_name, ".bp")) continue;
    char path[512];
    snprintf(path, sizeof path, "samples/%s", e->d_name);
    size_t len;
    char *text = read_file(path, &len);
    assert_non_null(text);
    char *out = format_text(text);
    if (strcmp(out, text) != 0) fprintf(stderr, "%s is not a fixed point:\n%s", path, out);
    assert_string_equal(out, text);
    free(out);
    free(text);
    count++;
  }
  closedir(dir);
  assert_true(count >= 8);
}

/* ---- layout ---------------------------------------------------------------- */

static void empty_file(void **state) {
  (void)state;
  assert_formats("", "");
  assert_formats("\n\n  \n", "");
  assert_formats("# only a comment   \n\n\n", "# only a comment\n");
}

static void declarations(void **state) {
  (void)state;
  assert_formats(
      "document   Deal{\n"
      "  title :string\n"
      "  amount: decimal=0.00\n"
      "    stage: string = \"new\"}\n"
      "action  create_invoice( deal :string,amount: decimal ) :string\n"
      "action ping()\n"
      "document Empty {\n"
      "}\n"
      "process  p   \"Title\"   on Deal {\n"
      "  start   on change stage,amount when stage==\"won\"\n"
      "  param  accounting : users \"Accounting\"\n"
      "  param quorum: int=50 \"Share\"\n"
      "  var tries: int=0\n"
      "  const fee = 0.15\n"
      "  const limit: decimal = 10.5\n"
      "}\n"
      "process q {\n"
      "}\n"
      "process r on Deal { start on create\n"
      "}\n"
      "process s \"S\" { start manual }\n",
      "document Deal {\n"
      "  title: string\n"
      "  amount: decimal = 0.00\n"
      "  stage: string = \"new\"\n"
      "}\n"
      "\n"
      "action create_invoice(deal: string, amount: decimal): string\n"
      "\n"
      "action ping()\n"
      "\n"
      "document Empty {}\n"
      "\n"
      "process p \"Title\" on Deal {\n"
      "  start on change stage, amount when stage == \"won\"\n"
      "  param accounting: users \"Accounting\"\n"
      "  param quorum: int = 50 \"Share\"\n"
      "  var tries: int = 0\n"
      "  const fee = 0.15\n"
      "  const limit: decimal = 10.5\n"
      "}\n"
      "\n"
      "process q {}\n"
      "\n"
      "process r on Deal {\n"
      "  start on create\n"
      "}\n"
      "\n"
      "process s \"S\" {\n"
      "  start manual\n"
      "}\n");
}

static void blank_lines(void **state) {
  (void)state;
  assert_formats(
      "\n\ndocument D { a: int }\n\n\n\n"
      "process p {\n"
      "\n"
      "  x = 1\n"
      "  y = 2\n"
      "\n"
      "\n"
      "\n"
      "  loop {\n"
      "\n"
      "    z = 3\n"
      "\n"
      "    break\n"
      "\n"
      "  }\n"
      "\n"
      "}\n\n\n",
      "document D {\n"
      "  a: int\n"
      "}\n"
      "\n"
      "process p {\n"
      "  x = 1\n"
      "  y = 2\n"
      "\n"
      "  loop {\n"
      "    z = 3\n"
      "\n"
      "    break\n"
      "  }\n"
      "}\n");
}

static void separators(void **state) {
  (void)state;
  assert_formats("process p { x = 1; y = 2;\n z = 3 }\n",
                 "process p {\n"
                 "  x = 1\n"
                 "  y = 2\n"
                 "  z = 3\n"
                 "}\n");
}

/* ---- blocks ------------------------------------------------------------------ */

static void one_line_blocks(void **state) {
  (void)state;
  /* kept on one line only when written so, with one flat statement */
  assert_formats(
      "process p {\n"
      "  if a {   goto b   }\n"
      "  if a {\n"
      "    goto b\n"
      "  }\n"
      "  while a { x = 1; y = 2 }\n"
      "  loop { if a { break } }\n"
      "  for i in [1, 2] { log \"{i}\" }\n"
      "  if a { x = 1 } else { x = 2 }\n"
      "  loop {}\n"
      "  loop {\n"
      "  }\n"
      "}\n",
      "process p {\n"
      "  if a { goto b }\n"
      "  if a {\n"
      "    goto b\n"
      "  }\n"
      "  while a {\n"
      "    x = 1\n"
      "    y = 2\n"
      "  }\n"
      "  loop {\n"
      "    if a { break }\n"
      "  }\n"
      "  for i in [1, 2] { log \"{i}\" }\n"
      "  if a {\n"
      "    x = 1\n"
      "  } else {\n"
      "    x = 2\n"
      "  }\n"
      "  loop {}\n"
      "  loop {}\n"
      "}\n");
}

static void too_wide_block_opens(void **state) {
  (void)state;
  /* `  loop { log "` + 83 letters + `" }` is exactly 100 columns: it fits */
  const char *fits =
      "process p {\n"
      "  loop { log \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" }\n"
      "}\n";
  assert_fixed_point(fits);
  assert_formats(
      "process p {\n"
      "  loop { log \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" }\n"
      "}\n",
      "process p {\n"
      "  loop {\n"
      "    log \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
      "  }\n"
      "}\n");
  /* columns count characters, not bytes */
  assert_fixed_point(
      "process p {\n"
      "  loop { log \"жжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжж\" }\n"
      "}\n");
}

static void else_if_chains(void **state) {
  (void)state;
  assert_formats(
      "process p {\n"
      "  if a { x = 1 }   else if b {x = 2}\n"
      "  else if c {\n"
      "  x = 3 } else { x = 4\n"
      "  }\n"
      "}\n",
      "process p {\n"
      "  if a {\n"
      "    x = 1\n"
      "  } else if b {\n"
      "    x = 2\n"
      "  } else if c {\n"
      "    x = 3\n"
      "  } else {\n"
      "    x = 4\n"
      "  }\n"
      "}\n");
}

static void parallel_branches(void **state) {
  (void)state;
  assert_formats(
      "process p {\n"
      "  parallel any {\n"
      "    branch { task a \"A\" }\n"
      "    branch {\n"
      "      wait 3d\n"
      "      notify a, b \"late\"\n"
      "    }\n"
      "  }\n"
      "  parallel { branch { wait until now() + 1h } }\n"
      "}\n",
      "process p {\n"
      "  parallel any {\n"
      "    branch { task a \"A\" }\n"
      "    branch {\n"
      "      wait 3d\n"
      "      notify a, b \"late\"\n"
      "    }\n"
      "  }\n"
      "  parallel {\n"
      "    branch { wait until now() + 1h }\n"
      "  }\n"
      "}\n");
}

/* ---- steps --------------------------------------------------------------------- */

static void human_steps(void **state) {
  (void)state;
  assert_formats(
      "process p {\n"
      "  approve   a,b  \"Vote\"   mode vote  quorum%  wait  all due 3d ->r\n"
      "  approve a \"V\" mode vote (q + 1)%\n"
      "  approve a \"V\" mode vote 50%\n"
      "  review a \"R\" mode any\n"
      "  approve a \"A\" mode majority due d + 1d -> x\n"
      "    remind 1d before { notify a \"soon\" }\n"
      "    remind 2h before {\n"
      "      notify a \"sooner\"\n"
      "    }\n"
      "    on timeout { reassign b due 2d }\n"
      "  task a \"T\"\n"
      "    on timeout { add b, c }\n"
      "}\n",
      "process p {\n"
      "  approve a, b \"Vote\" mode vote quorum% wait all due 3d -> r\n"
      "  approve a \"V\" mode vote (q + 1)%\n"
      "  approve a \"V\" mode vote 50%\n"
      "  review a \"R\" mode any\n"
      "  approve a \"A\" mode majority due d + 1d -> x\n"
      "    remind 1d before { notify a \"soon\" }\n"
      "    remind 2h before {\n"
      "      notify a \"sooner\"\n"
      "    }\n"
      "    on timeout { reassign b due 2d }\n"
      "  task a \"T\"\n"
      "    on timeout { add b, c }\n"
      "}\n");
  /* `after` clauses keep their place among the others, and the comments theirs */
  assert_formats(
      "process p {\n"
      "  task a \"T\" due 3d\n"
      "    after  1h   every 30m times  n+1 { log \"a\" }  # trailing\n"
      "    remind 1d before { log \"r\" }\n"
      "    # before the second\n"
      "    after 2d {\n"
      "      log \"b\"\n"
      "    }\n"
      "    on timeout { log \"t\" }\n"
      "    after 5d every 1d { log \"c\" }\n"
      "}\n",
      "process p {\n"
      "  task a \"T\" due 3d\n"
      "    after 1h every 30m times n + 1 { log \"a\" }  # trailing\n"
      "    remind 1d before { log \"r\" }\n"
      "    # before the second\n"
      "    after 2d {\n"
      "      log \"b\"\n"
      "    }\n"
      "    on timeout { log \"t\" }\n"
      "    after 5d every 1d { log \"c\" }\n"
      "}\n");
}

static void request_fields(void **state) {
  (void)state;
  assert_formats(
      "process p {\n"
      "  request a \"Tell\" {amount: decimal \"Amount\"\n"
      "    city :string \"City\" } due 2d -> r\n"
      "    on timeout { terminate }\n"
      "  if a { request b \"More\" { note: string \"Note\" } }\n"
      "}\n",
      "process p {\n"
      "  request a \"Tell\" {\n"
      "    amount: decimal \"Amount\"\n"
      "    city: string \"City\"\n"
      "  } due 2d -> r\n"
      "    on timeout { terminate }\n"
      "  if a {\n"
      "    request b \"More\" {\n"
      "      note: string \"Note\"\n"
      "    }\n"
      "  }\n"
      "}\n");
}

static void other_statements(void **state) {
  (void)state;
  assert_formats(
      "process p {\n"
      "  create_invoice( title,amount )->inv\n"
      "  ping()\n"
      "  start other( a:1,b: \"x\" )\n"
      "  start other\n"
      "  terminate\n"
      "  terminate \"why\"\n"
      "  log \"l\"\n"
      "  wait 4h30m\n"
      "  for  x  in  xs { continue }\n"
      "}\n",
      "process p {\n"
      "  create_invoice(title, amount) -> inv\n"
      "  ping()\n"
      "  start other(a: 1, b: \"x\")\n"
      "  start other\n"
      "  terminate\n"
      "  terminate \"why\"\n"
      "  log \"l\"\n"
      "  wait 4h30m\n"
      "  for x in xs { continue }\n"
      "}\n");
}

static void states_machine(void **state) {
  (void)state;
  assert_formats(
      "process c on Doc {\n"
      "  states {\n"
      "    draft \"Draft\" { command submit \"Send\" by author -> checking }\n"
      "    checking \"Checking\" {\n"
      "      enter {\n"
      "        approve x \"A\" -> r\n"
      "        if r.approved { goto done }\n"
      "      }\n"
      "      command back \"Back\" by author, x { goto draft }\n"
      "      command cancel \"Cancel\" {\n"
      "        log \"cancelled\"\n"
      "        goto gone\n"
      "      }\n"
      "    }\n"
      "    done \"Done\" final\n"
      "    gone \"Gone\" final {}\n"
      "    archived \"Archived\" final { enter { log \"archived\" } }\n"
      "  }\n"
      "}\n",
      "process c on Doc {\n"
      "  states {\n"
      "    draft \"Draft\" {\n"
      "      command submit \"Send\" by author -> checking\n"
      "    }\n"
      "    checking \"Checking\" {\n"
      "      enter {\n"
      "        approve x \"A\" -> r\n"
      "        if r.approved { goto done }\n"
      "      }\n"
      "      command back \"Back\" by author, x { goto draft }\n"
      "      command cancel \"Cancel\" {\n"
      "        log \"cancelled\"\n"
      "        goto gone\n"
      "      }\n"
      "    }\n"
      "    done \"Done\" final\n"
      "    gone \"Gone\" final\n"
      "    archived \"Archived\" final {\n"
      "      enter { log \"archived\" }\n"
      "    }\n"
      "  }\n"
      "}\n");
}

/* ---- expressions ------------------------------------------------------------------ */

static void parentheses(void **state) {
  (void)state;
  assert_formats(
      "process p {\n"
      "  x = (a + b) * c\n"
      "  x = a + (b * c)\n"
      "  x = (a + b) + c\n"
      "  x = a - (b - c)\n"
      "  x = a - (b + c)\n"
      "  x = not (a and b)\n"
      "  x = (not a) and b\n"
      "  x = not (a == b)\n"
      "  x = (not a) == b\n"
      "  x = -(x)\n"
      "  x = -(a + b)\n"
      "  x = -(-a)\n"
      "  x = -(a.b)\n"
      "  x = (a + b).c\n"
      "  x = (a or b) and c\n"
      "  x = a or (b and c)\n"
      "  x = (a == b) == c\n"
      "  x = a == (b < c)\n"
      "  x = (a in b) == c\n"
      "  x = (a ? b : c) ? d : e\n"
      "  x = a ? b : (c ? d : e)\n"
      "  x = a ? (b ? c : d) : e\n"
      "  x = (a or b) ? c : d\n"
      "  x = ((a))\n"
      "  x = a % (b * c)\n"
      "  x = len(( s ))+substr(s,0,(n))\n"
      "  x = [ (a), (b + c) ]\n"
      "}\n",
      "process p {\n"
      "  x = (a + b) * c\n"
      "  x = a + b * c\n"
      "  x = a + b + c\n"
      "  x = a - (b - c)\n"
      "  x = a - (b + c)\n"
      "  x = not (a and b)\n"
      "  x = not a and b\n"
      "  x = not a == b\n"
      "  x = (not a) == b\n"
      "  x = -x\n"
      "  x = -(a + b)\n"
      "  x = -(-a)\n"
      "  x = -a.b\n"
      "  x = (a + b).c\n"
      "  x = (a or b) and c\n"
      "  x = a or b and c\n"
      "  x = (a == b) == c\n"
      "  x = a == (b < c)\n"
      "  x = (a in b) == c\n"
      "  x = (a ? b : c) ? d : e\n"
      "  x = a ? b : c ? d : e\n"
      "  x = a ? b ? c : d : e\n"
      "  x = a or b ? c : d\n"
      "  x = a\n"
      "  x = a % (b * c)\n"
      "  x = len(s) + substr(s, 0, n)\n"
      "  x = [a, b + c]\n"
      "}\n");
}

static void literals(void **state) {
  (void)state;
  assert_formats(
      "process p {\n"
      "  x = 1250.50 + 0.0\n"
      "  x = 007\n"
      "  d = 2w + 3d + 4h30m + 15m\n"
      "  b = true or false\n"
      "  l = []\n"
      "  t = date(\"2026-03-05\")\n"
      "}\n",
      "process p {\n"
      "  x = 1250.50 + 0.0\n"
      "  x = 7\n"
      "  d = 2w + 3d + 4h30m + 15m\n"
      "  b = true or false\n"
      "  l = []\n"
      "  t = date(\"2026-03-05\")\n"
      "}\n");
}

/* Date literals and unit-word durations print as written (one blank between
 * count and unit); names in Cyrillic are names. */
static void dates_units_and_letters(void **state) {
  (void)state;
  assert_formats(
      "process p {\n"
      "  t = 2026-03-05\n"
      "  m = 2026-03-05T10:00 +   30  minutes\n"
      "  wait 5\tdays\n"
      "  сумма = -(2026-03-05)\n"
      "  x = 2026 - 3 - 5\n"
      "}\n",
      "process p {\n"
      "  t = 2026-03-05\n"
      "  m = 2026-03-05T10:00 + 30 minutes\n"
      "  wait 5 days\n"
      "  сумма = -2026-03-05\n"
      "  x = 2026 - 3 - 5\n"
      "}\n");
}

static void strings(void **state) {
  (void)state;
  assert_formats(
      "process p {\n"
      "  log \"quote \\\" back \\\\ nl \\n tab \\t cr \\r braces {{ }} end\"\n"
      "  log \"{ a+b } and {x ? \"yes {y}\" : \"no {{\"}\"\n"
      "  log \"\"\n"
      "  log \"Москва {city}\"\n"
      "}\n",
      "process p {\n"
      "  log \"quote \\\" back \\\\ nl \\n tab \\t cr \\r braces {{ }} end\"\n"
      "  log \"{a + b} and {x ? \"yes {y}\" : \"no {{\"}\"\n"
      "  log \"\"\n"
      "  log \"Москва {city}\"\n"
      "}\n");
}

/* ---- random expressions: the fewest parentheses keep the tree ------------ */

/* A parsed source and its program, freed together. */
typedef struct Parsed {
  Source *src;
  Program *prog;
} Parsed;

static Parsed parse_text(const char *text) {
  size_t len = strlen(text);
  char *copy = xmalloc(len + 1);
  memcpy(copy, text, len + 1);
  Parsed r;
  r.src = source_new("test.bp", copy, (uint32_t)len);
  Diags diags;
  diags_init(&diags, r.src);
  r.prog = parse_program(r.src, &diags);
  if (diags.errors) diags_print(&diags, stderr);
  assert_int_equal(diags.errors, 0);
  diags_free(&diags);
  return r;
}

static void parsed_free(Parsed *r) {
  parse_program_free(r->prog);
  source_free(r->src);
}

/* The value of `x = EXPR`, the first member of the first process. */
static const Expr *first_assigned(const Parsed *r) {
  assert_int_equal(r->prog->nitems, 1);
  const Process *proc = r->prog->items[0].u.proc;
  assert_true(proc->nmembers >= 1);
  assert_int_equal(proc->members[0].kind, M_STMT);
  assert_int_equal(proc->members[0].u.stmt->kind, S_ASSIGN);
  return proc->members[0].u.stmt->u.assign.value;
}

/* The tree of an expression in prefix notation: what the parentheses must
 * not change. */
static void dump_expr(StrBuf *b, const Expr *e) {
  static const char *const ops[] = {"+", "-", "*", "/", "%", "==", "!=", "<",
                                    "<=", ">", ">=", "and", "or", "in"};
  switch (e->kind) {
  case E_INT: sb_printf(b, "%lld", (long long)e->u.ival); break;
  case E_DECIMAL: sb_puts(b, e->u.dec.text); break;
  case E_BOOL: sb_puts(b, e->u.bval ? "true" : "false"); break;
  case E_DURATION: sb_puts(b, e->u.dur.text); break;
  case E_NAME: sb_puts(b, e->u.name.s); break;
  case E_STRING:
    sb_puts(b, "str(");
    for (uint32_t i = 0; i < e->u.str.n; i++) {
      if (e->u.str.parts[i].expr) dump_expr(b, e->u.str.parts[i].expr);
      else sb_putn(b, e->u.str.parts[i].text, e->u.str.parts[i].len);
      sb_puts(b, "|");
    }
    sb_puts(b, ")");
    break;
  case E_LIST:
  case E_CALL: {
    Expr **items = e->kind == E_LIST ? e->u.list.items : e->u.call.args;
    uint32_t n = e->kind == E_LIST ? e->u.list.n : e->nargs;
    sb_puts(b, e->kind == E_LIST ? "list(" : e->u.call.fn);
    if (e->kind == E_CALL) sb_puts(b, "(");
    for (uint32_t i = 0; i < n; i++) {
      dump_expr(b, items[i]);
      sb_puts(b, ";");
    }
    sb_puts(b, ")");
    break;
  }
  case E_FIELD:
    sb_puts(b, "field(");
    dump_expr(b, e->u.field.obj);
    sb_printf(b, ";%s)", e->u.field.member);
    break;
  case E_UNARY:
    sb_puts(b, e->u.unary.op == U_NOT ? "not(" : "neg(");
    dump_expr(b, e->u.unary.operand);
    sb_puts(b, ")");
    break;
  case E_BINARY:
    sb_printf(b, "%s(", ops[e->op]);
    dump_expr(b, e->u.binary.lhs);
    sb_puts(b, ";");
    dump_expr(b, e->u.binary.rhs);
    sb_puts(b, ")");
    break;
  case E_COND:
    sb_puts(b, "cond(");
    dump_expr(b, e->u.cond.cond);
    sb_puts(b, ";");
    dump_expr(b, e->u.cond.arms->then);
    sb_puts(b, ";");
    dump_expr(b, e->u.cond.arms->otherwise);
    sb_puts(b, ")");
    break;
  case E_ERROR: sb_puts(b, "error"); break;
  }
}

static uint32_t next_random(uint32_t *state) { /* xorshift32 */
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

/* A random expression with every operand in parentheses, so its text reads
 * as the tree intended whatever the precedence. */
static void random_expr(StrBuf *b, uint32_t *rng, int depth) {
  static const char *const leaves[] = {"a", "b", "7", "1.50", "3d", "true", "\"s\"", "len(s)"};
  static const char *const ops[] = {"+", "-", "*", "/", "%", "==", "!=", "<",
                                    "<=", ">", ">=", "and", "or", "in"};
  uint32_t pick = next_random(rng) % 10;
  if (depth == 0 || pick < 2) {
    sb_puts(b, leaves[next_random(rng) % 8]);
    return;
  }
#define SUB(text_before, text_after)      \
  do {                                    \
    sb_puts(b, text_before);              \
    random_expr(b, rng, depth - 1);       \
    sb_puts(b, text_after);               \
  } while (0)
  switch (pick) {
  case 2: case 3: case 4:
    SUB("(", ")");
    sb_printf(b, " %s ", ops[next_random(rng) % 14]);
    SUB("(", ")");
    break;
  case 5: SUB(next_random(rng) % 2 ? "not (" : "-(", ")"); break;
  case 6:
    SUB("(", ") ? ");
    SUB("(", ") : ");
    SUB("(", ")");
    break;
  case 7: SUB("(", ").f"); break;
  case 8: {
    bool list = next_random(rng) % 2;
    SUB(list ? "[(" : "max((", "), (");
    SUB("", list ? ")]" : "))");
    break;
  }
  default: SUB("\"t{", "}t\""); break;
  }
#undef SUB
}

static void random_expressions_keep_their_tree(void **state) {
  (void)state;
  uint32_t rng = 12345;
  for (int i = 0; i < 2000; i++) {
    StrBuf in, tree1, tree2;
    sb_init(&in);
    sb_init(&tree1);
    sb_init(&tree2);
    sb_puts(&in, "process p {\n  x = ");
    random_expr(&in, &rng, 5);
    sb_puts(&in, "\n}\n");
    Parsed first = parse_text(in.data);
    dump_expr(&tree1, first_assigned(&first));
    char *out = fmt_program(first.prog);
    Parsed second = parse_text(out);
    dump_expr(&tree2, first_assigned(&second));
    if (strcmp(tree1.data, tree2.data) != 0) fprintf(stderr, "input:\n%soutput:\n%s", in.data, out);
    assert_string_equal(tree1.data, tree2.data);
    char *again = fmt_program(second.prog);
    assert_string_equal(out, again);
    free(again);
    free(out);
    parsed_free(&first);
    parsed_free(&second);
    sb_free(&in);
    sb_free(&tree1);
    sb_free(&tree2);
  }
}

/* ---- comments ------------------------------------------------------------------------ */

static void comments(void **state) {
  (void)state;
  assert_formats(
      "# head\n"
      "\n"
      "# about D\n"
      "document D {   # trailing after brace\n"
      "  a: int    # trailing\n"
      "      # own line, odd indent\n"
      "  b: int\n"
      "  # last in body\n"
      "}   # after close\n"
      "# about p, no blank before\n"
      "process p {\n"
      "  loop {\n"
      "    # only a comment\n"
      "  }\n"
      "  if a { goto b }  # trailing after one-line block\n"
      "  if a { goto b  # inside\n"
      "  }\n"
      "  task a \"T\"  # step\n"
      "    # before timeout\n"
      "    on timeout { add b }  # tail\n"
      "\n"
      "  # group 1\n"
      "\n"
      "  # group 2\n"
      "  x = 1\n"
      "}\n"
      "\n\n"
      "# at the end   \n",
      "# head\n"
      "\n"
      "# about D\n"
      "document D {  # trailing after brace\n"
      "  a: int  # trailing\n"
      "  # own line, odd indent\n"
      "  b: int\n"
      "  # last in body\n"
      "}  # after close\n"
      "\n"
      "# about p, no blank before\n"
      "process p {\n"
      "  loop {\n"
      "    # only a comment\n"
      "  }\n"
      "  if a { goto b }  # trailing after one-line block\n"
      "  if a {\n"
      "    goto b  # inside\n"
      "  }\n"
      "  task a \"T\"  # step\n"
      "    # before timeout\n"
      "    on timeout { add b }  # tail\n"
      "\n"
      "  # group 1\n"
      "\n"
      "  # group 2\n"
      "  x = 1\n"
      "}\n"
      "\n"
      "# at the end\n");
}

static void comments_in_empty_bodies(void **state) {
  (void)state;
  assert_formats(
      "document D {\n# nothing yet\n}\n"
      "process p {   # empty\n}\n"
      "process q {\n"
      "  states {\n"
      "    a \"A\" final {\n"
      "      # later\n"
      "    }\n"
      "  }\n"
      "  parallel {\n"
      "    # no branches\n"
      "  }\n"
      "}\n",
      "document D {\n"
      "  # nothing yet\n"
      "}\n"
      "\n"
      "process p {  # empty\n"
      "}\n"
      "\n"
      "process q {\n"
      "  states {\n"
      "    a \"A\" final {\n"
      "      # later\n"
      "    }\n"
      "  }\n"
      "  parallel {\n"
      "    # no branches\n"
      "  }\n"
      "}\n");
}

/* ---- the messy file ----------------------------------------------------------------- */

/* Every construct of ast.h with odd spacing, blank lines and comments. */
static const char messy_input[] =
    "   # a messy file\n"
    "document   Deal{ title:string;amount :decimal=0.00   # money\n"
    "\n\n"
    "  stage : string=\"new\"\n"
    "  # who\n"
    "  responsible:user }\n"
    "action  invoice(deal:string , amount:decimal):string\n"
    "process   deal  \"Deal {title} for {amount}\"on Deal{\n"
    "start on change stage , amount   when stage==\"won\"and amount>0\n"
    "  param  approvers:users\"Approvers\"\n"
    "param quorum :int=50\"Quorum\"\n"
    "  var n:int=0;const fee=0.15\n"
    "\n\n\n"
    "  # main loop\n"
    "  loop{n=n+1\n"
    "    if n>3{break}else if n==2 {continue}else{log \"n={n}\"}\n"
    "    x = (n + 1) * 2 ; y = not (a and b) ; z = -(n)\n"
    "  }\n"
    "  approve approvers,responsible \"Approve {title}: {stage == \"won\" ? \"yes\" : \"no\"}\" mode vote quorum% wait all due 3d->r\n"
    "      remind 1d before{notify approvers \"soon\"}\n"
    "   on timeout {   reassign responsible due 2d\n"
    "add approvers }\n"
    "  request responsible \"Tell\" { amount: decimal \"Amount\" # how much\n"
    "  } -> info\n"
    "  parallel any{branch{wait 1d};branch{task responsible \"Do\";log \"done\"}}\n"
    "  for s in [\"a\",\"b\"]{log \"{s}\"}\n"
    "  while n<10 { n = n + 1 }\n"
    "  invoice(title,amount)->inv\n"
    "  start deal(title:\"x\")\n"
    "  wait until now()+1h\n"
    "  terminate \"done\"\n"
    "}\n"
    "process st \"States\" on Deal {\n"
    "  states { draft \"Draft\" { enter { stage = \"draft\" }\n"
    "      command go \"Go\" by responsible -> done }\n"
    "    done \"Done\" final } }\n";

static const char messy_expected[] =
    "# a messy file\n"
    "document Deal {\n"
    "  title: string\n"
    "  amount: decimal = 0.00  # money\n"
    "\n"
    "  stage: string = \"new\"\n"
    "  # who\n"
    "  responsible: user\n"
    "}\n"
    "\n"
    "action invoice(deal: string, amount: decimal): string\n"
    "\n"
    "process deal \"Deal {title} for {amount}\" on Deal {\n"
    "  start on change stage, amount when stage == \"won\" and amount > 0\n"
    "  param approvers: users \"Approvers\"\n"
    "  param quorum: int = 50 \"Quorum\"\n"
    "  var n: int = 0\n"
    "  const fee = 0.15\n"
    "\n"
    "  # main loop\n"
    "  loop {\n"
    "    n = n + 1\n"
    "    if n > 3 {\n"
    "      break\n"
    "    } else if n == 2 {\n"
    "      continue\n"
    "    } else {\n"
    "      log \"n={n}\"\n"
    "    }\n"
    "    x = (n + 1) * 2\n"
    "    y = not (a and b)\n"
    "    z = -n\n"
    "  }\n"
    "  approve approvers, responsible \"Approve {title}: {stage == \"won\" ? \"yes\" : \"no\"}\" mode vote quorum% wait all due 3d -> r\n"
    "    remind 1d before { notify approvers \"soon\" }\n"
    "    on timeout {\n"
    "      reassign responsible due 2d\n"
    "      add approvers\n"
    "    }\n"
    "  request responsible \"Tell\" {\n"
    "    amount: decimal \"Amount\"  # how much\n"
    "  } -> info\n"
    "  parallel any {\n"
    "    branch { wait 1d }\n"
    "    branch {\n"
    "      task responsible \"Do\"\n"
    "      log \"done\"\n"
    "    }\n"
    "  }\n"
    "  for s in [\"a\", \"b\"] { log \"{s}\" }\n"
    "  while n < 10 { n = n + 1 }\n"
    "  invoice(title, amount) -> inv\n"
    "  start deal(title: \"x\")\n"
    "  wait until now() + 1h\n"
    "  terminate \"done\"\n"
    "}\n"
    "\n"
    "process st \"States\" on Deal {\n"
    "  states {\n"
    "    draft \"Draft\" {\n"
    "      enter { stage = \"draft\" }\n"
    "      command go \"Go\" by responsible -> done\n"
    "    }\n"
    "    done \"Done\" final\n"
    "  }\n"
    "}\n";

static void messy_file(void **state) {
  (void)state;
  assert_formats(messy_input, messy_expected);
}

/* ---- scale ------------------------------------------------------------------------------ */

/* Nesting near the parser's limits formats, and formats again the same. */
static void deep_nesting(void **state) {
  (void)state;
  enum { PARENS = 40, BLOCKS = 150 };
  StrBuf in;
  sb_init(&in);
  sb_puts(&in, "process p {\n  x = ");
  for (int i = 0; i < PARENS; i++) sb_puts(&in, "(1 + ");
  sb_puts(&in, "1");
  for (int i = 0; i < PARENS; i++) sb_puts(&in, ") * 2");
  sb_puts(&in, "\n  y = ");
  for (int i = 0; i < PARENS; i++) sb_puts(&in, "-(");
  sb_puts(&in, "1");
  for (int i = 0; i < PARENS; i++) sb_puts(&in, ")");
  sb_puts(&in, "\n");
  for (int i = 0; i < BLOCKS; i++) sb_puts(&in, "loop {\n");
  sb_puts(&in, "log \"{\"{\"{x}\"}\"}\"\n");
  for (int i = 0; i < BLOCKS; i++) sb_puts(&in, "}\n");
  sb_puts(&in, "}\n");
  char *once = format_text(in.data);
  assert_non_null(strstr(once, "  x = (1 + (1 + "));
  assert_non_null(strstr(once, "  y = -(-(-("));
  char *twice = format_text(once);
  assert_string_equal(once, twice);
  free(once);
  free(twice);
  sb_free(&in);
}

static void large_file_is_fast(void **state) {
  (void)state;
  enum { LINES = 100000 };
  StrBuf in;
  sb_init(&in);
  sb_puts(&in, "process p {\n");
  for (int i = 0; i < LINES; i++) sb_printf(&in, "  x%d = a + %d  # c\n", i, i);
  sb_puts(&in, "}\n");
  clock_t t0 = clock();
  char *out = format_text(in.data);
  double seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
  assert_string_equal(out, in.data);
  /* generous: parsing is included, and sanitizers slow everything down */
  assert_true(seconds < 10.0);
  free(out);
  sb_free(&in);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(samples_are_fixed_points),
      cmocka_unit_test(empty_file),
      cmocka_unit_test(declarations),
      cmocka_unit_test(blank_lines),
      cmocka_unit_test(separators),
      cmocka_unit_test(one_line_blocks),
      cmocka_unit_test(too_wide_block_opens),
      cmocka_unit_test(else_if_chains),
      cmocka_unit_test(parallel_branches),
      cmocka_unit_test(human_steps),
      cmocka_unit_test(request_fields),
      cmocka_unit_test(other_statements),
      cmocka_unit_test(states_machine),
      cmocka_unit_test(parentheses),
      cmocka_unit_test(literals),
      cmocka_unit_test(dates_units_and_letters),
      cmocka_unit_test(strings),
      cmocka_unit_test(random_expressions_keep_their_tree),
      cmocka_unit_test(comments),
      cmocka_unit_test(comments_in_empty_bodies),
      cmocka_unit_test(messy_file),
      cmocka_unit_test(deep_nesting),
      cmocka_unit_test(large_file_is_fast),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
