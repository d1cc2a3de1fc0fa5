/* test_check.c — the semantic checker: small programs, parsed for real, and
 * the exact messages the checker gives for them (or that it gives none).
 *
 * Most cases are a process body wrapped in a common prelude (one document,
 * two actions); the wrapper keeps each case to the lines that matter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parse.h"

static const char prelude[] =
    "document Doc {\n"
    "  title: string\n"
    "  author: user\n"
    "  amount: decimal\n"
    "  count: int\n"
    "  done: bool = false\n"
    "  due_at: datetime\n"
    "  day: date\n"
    "  readers: users\n"
    "  tags: string\n"
    "}\n"
    "action create_invoice(deal: string, amount: decimal): string\n"
    "action ping(who: user)\n";

typedef struct Run {
  Source *src;
  Program *prog;
  Diags diags;
  bool parsed, ok;
} Run;

static void run_text(Run *r, const char *text) {
  size_t n = strlen(text);
  char *copy = malloc(n + 1);
  memcpy(copy, text, n + 1);
  r->src = source_new("test.bp", copy, (uint32_t)n);
  diags_init(&r->diags, r->src);
  r->prog = parse_program(r->src, &r->diags);
  r->parsed = r->diags.errors == 0;
  r->ok = r->parsed && check_program(r->prog, &r->diags);
}

/* The prelude, then `process p "P" on Doc {` body `}`. */
static void run_body(Run *r, const char *body) {
  size_t n = strlen(prelude) + strlen(body) + 64;
  char *text = malloc(n);
  snprintf(text, n, "%sprocess p \"P\" on Doc {\n%s\n}\n", prelude, body);
  run_text(r, text);
  free(text);
}

static void run_free(Run *r) {
  diags_free(&r->diags);
  parse_program_free(r->prog);
  source_free(r->src);
}

static void dump(const Run *r) {
  for (uint32_t i = 0; i < r->diags.n; i++)
    fprintf(stderr, "  [%d] %s\n", r->diags.items[i].level, r->diags.items[i].message);
}

static uint32_t count(const Run *r, DiagLevel level) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < r->diags.n; i++) n += r->diags.items[i].level == level;
  return n;
}

static bool has(const Run *r, DiagLevel level, const char *message) {
  for (uint32_t i = 0; i < r->diags.n; i++)
    if (r->diags.items[i].level == level && strcmp(r->diags.items[i].message, message) == 0)
      return true;
  return false;
}

/* The body parses, and checking it gives exactly this one message of this
 * level (notes aside), or nothing at all when message is NULL. */
static void expect_one(const char *body, DiagLevel level, const char *message) {
  Run r;
  run_body(&r, body);
  bool good = r.parsed;
  if (good && !message) good = r.diags.n == 0;
  if (good && message)
    good = r.diags.errors + r.diags.warnings == 1 && has(&r, level, message);
  if (!good) {
    fprintf(stderr, "case:\n%s\nwanted: %s\ngot:\n", body, message ? message : "(nothing)");
    dump(&r);
  }
  run_free(&r);
  assert_true(good);
}

static void expect_error(const char *body, const char *message) {
  expect_one(body, DIAG_ERROR, message);
}
static void expect_warning(const char *body, const char *message) {
  expect_one(body, DIAG_WARNING, message);
}
static void expect_clean(const char *body) { expect_one(body, DIAG_ERROR, NULL); }

/* A whole file (no prelude) gives exactly these messages, in any order. */
static void expect_file(const char *text, const char *const *messages, uint32_t n) {
  Run r;
  run_text(&r, text);
  bool good = r.parsed && r.diags.errors + r.diags.warnings == n;
  for (uint32_t i = 0; good && i < n; i++)
    good = has(&r, DIAG_ERROR, messages[i]) || has(&r, DIAG_WARNING, messages[i]);
  if (!good) {
    fprintf(stderr, "case:\n%s\ngot:\n", text);
    dump(&r);
  }
  run_free(&r);
  assert_true(good);
}

/* ---- the samples shape ---------------------------------------------------- */

static void test_clean_programs(void **state) {
  (void)state;
  expect_clean("notify author \"{title}: {amount} x {count}\"");
  expect_clean("var n = 0\nn = n + 1\nlog \"{n}\"");
  expect_clean("param quorum: int = 50 \"Quorum\"\n"
               "approve readers \"Vote\" mode vote quorum% wait all due 3d -> v\n"
               "if v.approved and v.percent > 50 { done = true }");
  expect_clean("task author \"Do {title}\" due due_at -> t\n"
               "  remind 1d before { notify author \"soon\" }\n"
               "  on timeout times 1 { reassign readers due 2d }\n"
               "log \"{t.completed_by} at {t.completed_at}\"");
  expect_clean("for r in readers { notify r \"hi\" }");
  expect_clean("create_invoice(title, count) -> inv\nlog \"{inv}\"");
  expect_clean("ping(author)");
  expect_clean("const fee = 0.15\namount = amount * fee + 1");
  expect_clean("day = today() + 3d\ndue_at = now() - 1h\nlog \"{due_at - now()}\"");
  expect_clean("if author in readers or len(tags) == 0 { terminate \"x\" }");
  expect_clean("request author \"Fill\" {\n amount: decimal \"Amount for {title}\"\n "
               "count: int \"Count\"\n } -> q\nlog \"{q.completed_by}\"");
  expect_clean("parallel any {\n branch { wait 1d }\n branch { wait until day }\n}");
  expect_clean("loop { task author \"x\" -> t\n if t.comment == \"ok\" { break } }");
  expect_clean("while true { wait 1d\n terminate }");
  expect_clean("var xs: users = []\nxs = role(\"boss\")\nnotify xs, author \"hi\"");
  expect_clean("log \"{join([1, 2, 3], \", \") + substr(lower(title), 0, 3)}\"");
  expect_clean("amount = round(amount / 3, 2)\ncount = max(count, 3) % 7");
  expect_clean("day = date(\"2024-02-29\")\ndue_at = datetime(\"2026-03-05T10:00\")");
  expect_clean("log \"{[\"a\", \"b\"]} {3d} {true} {day}\"");
}

/* ---- names ------------------------------------------------------------------ */

static void test_unknown_names(void **state) {
  (void)state;
  expect_error("log \"{titel}\"", "unknown name `titel`; did you mean `title`?");
  expect_error("log \"{zzzzzz}\"", "unknown name `zzzzzz`");
  expect_error("title = lenn(title)", "unknown function `lenn`; did you mean `len`?");
  expect_error("log \"{create_invoice(title, 1)}\"",
               "action `create_invoice` cannot be called inside an expression; call it as a "
               "step: `create_invoice(...) -> result`");
  expect_error("create_invoce(title, 1)",
               "unknown action `create_invoce`; did you mean `create_invoice`?");
  expect_error("len(title)",
               "`len` is a built-in function, not an action; use its value in an expression");
  expect_error("approve author \"x\" -> review\nlog \"{review.aproved}\"",
               "`review` has no member `aproved`; did you mean `approved`?");
  expect_error("task author \"x\" -> t\nlog \"{t.approved}\"", "`t` has no member `approved`");
  expect_error("log \"{title.size}\"", "`title` is string and has no members");
  expect_error("var x: strng = \"\"\nlog \"{x}\"", "unknown type `strng`; did you mean `string`?");
}

static void test_unknown_document_type(void **state) {
  (void)state;
  /* one report at `on`, none for the field names it would have declared */
  static const char *const m[] = {"unknown document type `Dok`; did you mean `Doc`?"};
  expect_file("document Doc { title: string }\n"
              "process p \"P\" on Dok {\n  log \"{title}\"\n  title = \"x\"\n}\n",
              m, 1);
}

static void test_namespace(void **state) {
  (void)state;
  expect_error("param title: string", "`title` is already declared");
  expect_error("var a = 1\nconst a = 2\nlog \"{a}\"", "`a` is already declared");
  expect_error("task author \"x\" -> amount", "`amount` is already declared");
  expect_error("for count in [1] { log \"\" }", "`count` is already declared");
  expect_error("task author \"x\" -> r\nif true { task author \"y\" -> r\nlog \"{r.comment}\" }\n"
               "log \"{r.comment}\"",
               "`r` is already declared");
  /* siblings may reuse a name; a result is not visible after its block */
  expect_clean("if done { task author \"a\" -> r\nlog \"{r.comment}\" } "
               "else { task author \"b\" -> r\nlog \"{r.comment}\" }");
  expect_error("if done { task author \"a\" -> r\nlog \"{r.comment}\" }\nlog \"{r.comment}\"",
               "unknown name `r`");
  /* not visible inside its own remind / on timeout */
  expect_error("task author \"a\" due 1d -> r\n  on timeout { log \"{r.comment}\" }\n"
               "log \"{r.comment}\"",
               "unknown name `r`");
  expect_error("for x in [1] { log \"{x}\" }\nlog \"{x}\"", "unknown name `x`");
}

static void test_duplicates_note(void **state) {
  (void)state;
  Run r;
  run_body(&r, "var a = 1\nvar a = 2\nlog \"{a}\"");
  assert_true(r.parsed);
  assert_int_equal(r.diags.errors, 1);
  assert_int_equal(r.diags.n, 2);
  assert_int_equal(count(&r, DIAG_NOTE), 1);
  assert_string_equal(r.diags.items[0].message, "`a` is already declared");
  assert_int_equal(r.diags.items[1].level, DIAG_NOTE);
  assert_string_equal(r.diags.items[1].message, "first declared here");
  /* the note points at the first `a` */
  uint32_t line, col;
  source_position(r.src, r.diags.items[1].span.off, &line, &col);
  uint32_t line2, col2;
  source_position(r.src, r.diags.items[0].span.off, &line2, &col2);
  assert_int_equal(line2, line + 1);
  assert_int_equal(col, 5);
  run_free(&r);
}

static void test_top_level_duplicates(void **state) {
  (void)state;
  static const char *const docs[] = {"duplicate document `D`", "duplicate field `a` in document `D`",
                                     "duplicate action `f`", "duplicate parameter `x` in action `g`",
                                     "duplicate process `p`"};
  expect_file("document D { a: int\n a: string }\ndocument D { b: int }\n"
              "action f()\naction f()\naction g(x: int, x: int)\n"
              "process p \"P\" on D { log \"\" }\nprocess p \"Q\" on D { log \"\" }\n",
              docs, 5);
}

static void test_decls(void **state) {
  (void)state;
  expect_error("var x\nlog \"{x}\"", "variable `x` needs a type or a value");
  expect_error("var x = []\nlog \"{x}\"",
               "the type of `x` cannot be told from an empty list; write its type");
  expect_error("var x: int = \"a\"\nlog \"{x}\"", "cannot initialize `x` (int) with string");
  expect_error("param q: int = 5 \"Quorum {title}\"",
               "a parameter label must be plain text, without `{...}`");
  expect_error("var x = y\nvar y = 1\nlog \"{x}{y}\"", "`y` is used before its declaration");
  expect_error("var x: int = x + 1\nlog \"{x}\"", "`x` is used in its own declaration");
  expect_clean("param a: int = 2\nvar b = a * count\nlog \"{b}\"");
  static const char *const m[] = {"a process title must be plain text, without `{...}`"};
  expect_file("document D { t: string }\nprocess p \"P {t}\" on D { log \"\" }\n", m, 1);
}

static void test_constants(void **state) {
  (void)state;
  expect_error("const c = count + 1", "constant `c` must be computed from literals and other constants");
  expect_error("const c = now()", "constant `c` must be computed from literals and other constants");
  expect_error("const c = 1 / 0", "division by zero in a constant");
  expect_error("const c = 9223372036854775807 + 1", "this constant does not fit in an int");
  expect_clean("const a = 40\nconst b = a + 20 * 3\nconst s = \"x{a}\" + upper(\"y\")\n"
               "const d = date(\"2026-01-01\") + 1d\nlog \"{b}{s}{d}\"");
  expect_error("const a = 60 * 2\napprove readers \"x\" mode vote a% -> v\nlog \"{v.approved}\"",
               "vote percentage must be between 0 and 100, not 120");
}

static void test_document_defaults(void **state) {
  (void)state;
  static const char *const m1[] = {"the default of `b` must be int, not string"};
  expect_file("document D { b: int = \"x\" }\n", m1, 1);
  static const char *const m2[] = {"the default of a field cannot use the field `a`"};
  expect_file("document D { a: int\n b: int = a + 1 }\n", m2, 1);
  static const char *const m3[] = {"the default of `b` must be a constant"};
  expect_file("document D { b: datetime = now() }\n", m3, 1);
  static const char *const m4[] = {"unknown type `strin`; did you mean `string`?"};
  expect_file("document D { b: strin }\n", m4, 1);
  expect_file("document D { a: int = 2 * 3\n b: users = []\n c: date = date(\"2026-01-01\") }\n",
              NULL, 0);
}

/* ---- types ------------------------------------------------------------------ */

static void test_operators(void **state) {
  (void)state;
  expect_error("log \"{title + count}\"", "cannot add string and int");
  expect_error("log \"{day - title}\"", "cannot subtract string from date");
  expect_error("log \"{3d * 1.5}\"", "cannot multiply duration by decimal");
  expect_error("log \"{title / 2}\"", "cannot divide string by int");
  expect_error("log \"{amount % 2}\"", "`%` needs two ints, not decimal and int");
  expect_error("if title == 1 { log \"\" }", "cannot compare string and int");
  expect_error("if done < done { log \"\" }", "cannot compare bool and bool with `<`");
  expect_error("if author == readers { log \"\" }",
               "cannot compare user and users; to look for a user in a list, use `in`");
  expect_error("if done and count { log \"\" }", "`and` needs bool operands, not int");
  expect_error("if not count { log \"\" }", "`not` needs a bool, not int");
  expect_error("log \"{-title}\"", "cannot negate string");
  expect_error("if author in title { log \"\" }", "`in` needs a list on its right, not string");
  expect_error("if count in [\"a\"] { log \"\" }", "cannot look for int in list of string");
  expect_error("if count { log \"\" }", "condition must be bool, not int");
  expect_error("while title { wait 1d }", "condition must be bool, not string");
  expect_error("log \"{done ? 1 : \"a\"}\"",
               "the two sides of `? :` have different types: int and string");
  expect_error("log \"{[1, \"a\"]}\"", "a list cannot mix int and string");
  expect_error("log \"{[readers]}\"", "there are no lists of users");
  expect_clean("log \"{due_at - due_at} {day - day} {3d + 4h} {-3d} {2 * 1d} {amount + 1}\"");
  expect_clean("if 1 < 2.5 and \"a\" < \"b\" and 1d < 2d and day <= day { log \"\" }");
  expect_clean("if count in [1, 2.5] and author in [author] and title in [] { log \"\" }");
}

static void test_assignments(void **state) {
  (void)state;
  expect_error("amount = \"x\"", "cannot assign string to `amount` (decimal)");
  expect_error("param x: int\nx = 1", "cannot assign to parameter `x`");
  expect_error("const x = 1\nx = 2", "cannot assign to constant `x`");
  expect_error("task author \"t\" -> r\nr = 1", "cannot assign to step result `r`");
  expect_error("for x in [1] { x = 2 }", "cannot assign to loop variable `x`");
  expect_error("titel = \"x\"", "unknown name `titel`; did you mean `title`?");
  expect_clean("amount = 3\nreaders = author\nreaders = []");
  expect_error("author = readers", "cannot assign users to `author` (user)");
}

static void test_functions(void **state) {
  (void)state;
  expect_error("log \"{substr(title, 1)}\"", "`substr` takes 3 arguments, not 2");
  expect_error("log \"{now(1)}\"", "`now` takes 0 arguments, not 1");
  expect_error("log \"{len(3)}\"", "argument 1 of `len` must be a string or a list, not int");
  expect_error("log \"{upper(count)}\"", "argument 1 of `upper` must be string, not int");
  expect_error("log \"{round(title, 2)}\"", "argument 1 of `round` must be a number, not string");
  expect_error("log \"{min(day, 3)}\"",
               "`min` needs two numbers, dates, datetimes or durations, not date and int");
  expect_error("log \"{join(title, \",\")}\"", "argument 1 of `join` must be a list, not string");
  expect_error("day = date(\"2026-13-01\")", "invalid date `2026-13-01`");
  expect_error("day = date(\"2026-02-29\")", "invalid date `2026-02-29`");
  expect_error("day = date(\"05.03.2026\")", "invalid date `05.03.2026`; write it as YYYY-MM-DD");
  expect_error("due_at = datetime(\"2026-03-05T24:00\")", "invalid datetime `2026-03-05T24:00`");
  expect_error("due_at = datetime(\"2026-03-05\")",
               "invalid datetime `2026-03-05`; write it as YYYY-MM-DDTHH:MM");
  expect_error("readers = role(1)", "argument 1 of `role` must be string, not int");
  expect_error("log \"{len(tiitle)}\"", "unknown name `tiitle`; did you mean `title`?");
}

static void test_text(void **state) {
  (void)state;
  expect_error("task author \"x\" -> r\nlog \"{r}\"",
               "`r` is a step result and cannot be shown as text; use a member such as "
               "`r.completed_by`");
  expect_clean("log \"{readers} {[1.5, 2]} {done}\"");
}

/* ---- human steps ---------------------------------------------------------------- */

static void test_human_steps(void **state) {
  (void)state;
  expect_error("task [] \"x\"", "no one to ask: the list is empty");
  expect_error("notify [] \"x\"", "no one to notify: the list is empty");
  expect_error("task title \"x\"", "expected a user or users, not string");
  expect_error("task author \"x\" mode all", "`mode` is not allowed on a task");
  expect_error("request author \"x\" { count: int \"n\" } mode any",
               "`mode` is not allowed on a request");
  expect_error("review author \"x\" mode majority",
               "`mode majority` is not allowed on a review; use `any` or `all`");
  expect_error("review author \"x\" wait all", "`wait all` is only allowed on an approval");
  expect_error("approve author \"x\" mode vote 120%", "vote percentage must be between 0 and 100, not 120");
  expect_error("approve author \"x\" mode vote 1.5%", "a vote percentage must be int, not decimal");
  expect_error("task author \"x\" due title", "`due` needs a duration, date or datetime, not string");
  expect_error("task author \"x\"\n  remind 1d before { log \"\" }",
               "`remind` needs a `due` on its step");
  expect_error("task author \"x\" due 2d\n  remind 1 before { log \"\" }",
               "`remind` needs a duration, not int; write `1d` or `1 day` (units: m, h, d, w)");
  expect_error("task author \"x\"\n  on timeout { log \"\" }", "`on timeout` needs a `due` on its step");
  expect_error("reassign author", "`reassign` is only allowed inside `on timeout`");
  expect_error("task author \"x\" due 1d\n  on timeout { parallel { branch { add readers } } }",
               "`add` is only allowed inside `on timeout`");
  expect_clean("task author \"x\" due 1d\n  on timeout { if done { add readers } else { reassign [author] } }");
  expect_warning("task author \"x\" -> r", "result `r` is never used");
  expect_warning("var x = 1\nx = 2", "variable `x` is never used");
}

static void test_requests(void **state) {
  (void)state;
  expect_error("request author \"x\" { amount: int \"n\" }", "`amount` is declared as decimal, not int");
  expect_error("param p: int\nrequest author \"x\" { p: int \"n\" }",
               "a request can only fill document fields and variables, not parameter `p`");
  expect_error("request author \"x\" { amout: decimal \"n\" }",
               "unknown field or variable `amout`; did you mean `amount`?");
  expect_error("request author \"x\" { count: int \"n\"\n count: int \"m\" }",
               "`count` is asked twice in this request");
  expect_clean("var v: string\nrequest author \"x\" { v: string \"n\" }\nlog \"{v}\"");
}

/* ---- control flow ---------------------------------------------------------------- */

static void test_flow(void **state) {
  (void)state;
  expect_error("break", "`break` outside a loop");
  expect_error("if done { continue }", "`continue` outside a loop");
  expect_error("loop { parallel { branch { break } } }", "`break` cannot leave a parallel branch");
  expect_error("loop { task author \"x\" due 1d\n on timeout { break }\n break }",
               "`break` cannot leave an `on timeout` block");
  expect_error("terminate\nlog \"a\"\nlog \"b\"", "unreachable statement");
  expect_error("loop { break\nlog \"a\" }", "unreachable statement");
  expect_warning("loop { wait 1d }", "this loop has no way out");
  expect_warning("while true { wait 1d }", "this loop has no way out");
  expect_warning("loop { loop { wait 1d\nbreak } }", "this loop has no way out");
  expect_error("while count < 3 { loop { break } }", "this loop can go round without waiting or changing data: once it does, it repeats for ever");
  expect_error("while count < 3 { if count > 1 { count = 0 } }", "this loop can go round without waiting or changing data: once it does, it repeats for ever");
  expect_clean("while count < 3 { log \"a\"\ncount = count + 1 }");
  expect_clean("loop { parallel { branch { terminate } } }");
  expect_clean("while count < 3 { count = count + 1 }");
  expect_error("for x in title { log \"\" }", "`for` needs a list, not string");
  expect_error("wait title", "`wait` needs a duration, not string");
  expect_error("wait until 3d", "`wait until` needs a date or datetime, not duration");
  expect_error("goto draft", "`goto` is only allowed in a process with states");
}

/* ---- actions and other processes ---------------------------------------------------- */

static void test_actions(void **state) {
  (void)state;
  expect_error("create_invoice(title, 1, 2) -> i\nlog \"{i}\"", "`create_invoice` takes 2 arguments, not 3");
  expect_error("create_invoice(title, title) -> i\nlog \"{i}\"",
               "argument 2 of `create_invoice` must be decimal, not string");
  expect_error("ping(author) -> r", "action `ping` has no result to name");
  static const char *const m[] = {"unknown type `sting`; did you mean `string`?"};
  expect_file("action a(x: sting)\n", m, 1);
}

static void test_start(void **state) {
  (void)state;
  static const char *const m[] = {
      "missing parameter `voters` of `vote`",
      "`vote` has no parameter `votrs`; did you mean `voters`?",
      "parameter `quorum` of `vote` must be int, not string",
      "unknown process `vot`; did you mean `vote`?",
      "process `other` runs on `E`, not on `D`",
      "parameter `voters` is given twice",
  };
  expect_file("document D { t: string }\ndocument E { t: string }\n"
              "process vote \"V\" on D { param voters: users\n param quorum: int = 5\n log \"\" }\n"
              "process other \"O\" on E { log \"\" }\n"
              "process p \"P\" on D {\n"
              "  start vote(votrs: [], quorum: \"x\")\n"
              "  start vot()\n"
              "  start other()\n"
              "  start vote(voters: [])\n"
              "  start vote(quorum: 3)\n"
              "  start vote(voters: [], voters: [])\n"
              "}\n",
              m, 6);
}

/* ---- triggers ----------------------------------------------------------------------- */

static void test_triggers(void **state) {
  (void)state;
  expect_clean("start on change title, amount when title == \"won\"");
  expect_error("start on change titl", "unknown document field `titl`; did you mean `title`?");
  expect_error("param x: int\nstart on change x", "`x` is not a document field");
  expect_error("start on create when count", "condition must be bool, not int");
  expect_error("param x: int\nstart on change count when count > x",
               "`when` can only use document fields and constants, not parameter `x`");
  expect_error("start on create\nstart on change title", "a process has only one trigger");
}

/* ---- states ------------------------------------------------------------------------- */

static void test_states(void **state) {
  (void)state;
  expect_clean("states {\n draft \"D\" { command go \"Go\" by author -> done_ }\n"
               " done_ \"Done\" final\n}");
  expect_error("log \"x\"\nstates {\n a \"A\" final\n}",
               "a process with states has no statements at its top level; put them in a "
               "state's `enter` block");
  expect_error("states {\n a \"A\" { command go \"Go\" -> b }\n b \"B\" final\n c \"C\" final\n}",
               "state `c` can never be reached");
  expect_error("states {\n a \"A\" { command go \"Go\" -> b }\n b \"B\" { command back \"B\" -> a }\n}",
               "no final state can be reached from `a`");
  expect_error("states {\n a \"A\" { command go \"Go\" -> bb }\n bb \"B\" final { command x \"X\" -> a }\n}",
               "final state `bb` cannot have commands");
  expect_error("states {\n a \"A\" { command go \"Go\" -> fnial }\n final_ \"F\" final\n}",
               "unknown state `fnial`; did you mean `final_`?");
  expect_error("states {\n a \"A\" { enter { goto fina } }\n fin \"F\" final\n}",
               "unknown state `fina`; did you mean `fin`?");
  expect_error("states {\n a \"A\" { command go \"Go\" -> b\n command go \"Again\" -> b }\n b \"B\" final\n}",
               "duplicate command `go` in this state");
  expect_error("states {\n a \"A\" { command go \"Go\" by [] -> b }\n b \"B\" final\n}",
               "no one may run this command: the list is empty");
  expect_error("states {\n a \"A\" { enter { break }\n command go \"Go\" -> b }\n b \"B\" final\n}", "`break` outside a loop");
  expect_clean("states {\n a \"A\" { enter { approve readers \"ok\" -> r\n"
               "   if r.approved { goto b }\n   goto a } }\n b \"B\" final\n}");
}

/* ---- what the back end reads ---------------------------------------------------------- */

static const Process *find_process(const Program *prog, const char *name) {
  for (uint32_t i = 0; i < prog->nitems; i++)
    if (prog->items[i].kind == I_PROCESS && strcmp(prog->items[i].u.proc->name.s, name) == 0)
      return prog->items[i].u.proc;
  return NULL;
}

static void test_process_info(void **state) {
  (void)state;
  Run r;
  run_body(&r, "param q: int = 5\nvar n = 1\nconst k = 2 * 3\n"
               "approve readers \"x\" mode vote q% -> v\n"
               "for who in readers { n = n + k }\n"
               "if v.approved { log \"{n}\" }");
  assert_true(r.ok);
  const Process *p = find_process(r.prog, "p");
  assert_non_null(p);
  const ProcInfo *info = p->info;
  assert_non_null(info);
  assert_false(info->has_states);
  assert_non_null(info->doc);
  assert_string_equal(info->doc->name.s, "Doc");
  /* 9 fields, then q, n, k, then v and who in statement order */
  assert_int_equal(info->nsymbols, 9 + 5);
  static const SymKind kinds[] = {SYM_PARAM, SYM_VAR, SYM_CONST, SYM_RESULT, SYM_LOOPVAR};
  static const char *const names[] = {"q", "n", "k", "v", "who"};
  for (uint32_t i = 0; i < 9; i++) {
    assert_int_equal(info->symbols[i]->kind, SYM_FIELD);
    assert_int_equal(info->symbols[i]->slot, i);
  }
  for (uint32_t i = 0; i < 5; i++) {
    assert_int_equal(info->symbols[9 + i]->kind, kinds[i]);
    assert_string_equal(info->symbols[9 + i]->name, names[i]);
    assert_int_equal(info->symbols[9 + i]->slot, 0);
  }
  const Symbol *k = info->symbols[11];
  assert_ptr_equal(k->type, &type_int);
  assert_non_null(k->const_value);
  assert_int_equal(k->const_value->kind, E_INT);
  assert_int_equal(k->const_value->u.ival, 6);
  assert_ptr_equal(info->symbols[12]->type, &type_approve_result);
  assert_ptr_equal(info->symbols[13]->type, &type_user);
  /* the statements point at their symbols; names and types are filled in */
  const Stmt *step = NULL, *loop = NULL;
  for (uint32_t i = 0; i < p->nmembers; i++) {
    if (p->members[i].kind != M_STMT) continue;
    const Stmt *s = p->members[i].u.stmt;
    if (s->kind == S_HUMAN) step = s;
    if (s->kind == S_FOR) loop = s;
  }
  assert_non_null(step);
  assert_non_null(loop);
  assert_ptr_equal(step->u.human->result_sym, info->symbols[12]);
  assert_ptr_equal(step->u.human->vote_percent->u.name.sym, info->symbols[9]);
  assert_ptr_equal(loop->u.for_.sym, info->symbols[13]);
  const Stmt *assign = loop->u.for_.body->stmts[0];
  assert_ptr_equal(assign->u.assign.sym, info->symbols[10]);
  assert_ptr_equal(assign->u.assign.value->type, &type_int);
  assert_true(info->symbols[10]->used && info->symbols[10]->assigned);
  run_free(&r);
}

static void test_states_info(void **state) {
  (void)state;
  Run r;
  run_body(&r, "states {\n a \"A\" { command go \"Go\" -> b }\n b \"B\" final\n}");
  assert_true(r.ok);
  const ProcInfo *info = find_process(r.prog, "p")->info;
  assert_true(info->has_states);
  assert_int_equal(info->symbols[info->nsymbols - 1]->kind, SYM_STATE);
  assert_int_equal(info->symbols[info->nsymbols - 1]->slot, 1);
  run_free(&r);
}

/* ---- robustness ------------------------------------------------------------------------- */

static void test_long_chain(void **state) {
  (void)state;
  /* an operator chain deeper than the checker's recursion bound */
  enum { TERMS = 20000 };
  size_t cap = TERMS * 4 + 64;
  char *body = malloc(cap);
  size_t n = (size_t)snprintf(body, cap, "count = 1");
  for (int i = 0; i < TERMS; i++) n += (size_t)snprintf(body + n, cap - n, " + 1");
  Run r;
  run_body(&r, body);
  free(body);
  if (r.parsed) assert_true(r.diags.errors >= 1);
  run_free(&r);
}

/* An action call keeps its arguments, a `start` its arguments and their parameters'
 * numbers, on the bundle's operand stack of 64 places: past it the code generator made
 * code the verifier refused, which `bpc compile` reported as an internal error. The
 * checker's bound is the verifier's exactly: 64 plain arguments of an action fit, 65 do
 * not; 32 of a `start` fit, 33 do not; a nested last argument counts its own places. */
static char *call_text(unsigned nparams, unsigned nargs, bool start, const char *last) {
  size_t cap = 64 + 64 * (size_t)(nparams + nargs);
  char *t = malloc(cap);
  assert_non_null(t);
  size_t at = (size_t)snprintf(t, cap, "document D {\n  n: int\n}\n");
  if (!start) {
    at += (size_t)snprintf(t + at, cap - at, "action big(");
    for (unsigned i = 0; i < nparams; i++) at += (size_t)snprintf(t + at, cap - at, "%sa%u: int", i ? ", " : "", i);
    at += (size_t)snprintf(t + at, cap - at, ")\nprocess p \"P\" on D {\n  big(");
    for (unsigned i = 0; i < nargs; i++)
      at += (size_t)snprintf(t + at, cap - at, "%s%s", i ? ", " : "", i + 1 == nargs ? last : "n");
    at += (size_t)snprintf(t + at, cap - at, ")\n}\n");
  } else {
    at += (size_t)snprintf(t + at, cap - at, "process p \"P\" on D {\n  start q(");
    for (unsigned i = 0; i < nargs; i++)
      at += (size_t)snprintf(t + at, cap - at, "%sa%u: %s", i ? ", " : "", i, i + 1 == nargs ? last : "n");
    at += (size_t)snprintf(t + at, cap - at, ")\n}\nprocess q \"Q\" on D {\n");
    for (unsigned i = 0; i < nparams; i++) at += (size_t)snprintf(t + at, cap - at, "  param a%u: int = 0 \"A\"\n", i);
    at += (size_t)snprintf(t + at, cap - at, "  n = a0\n}\n");
  }
  return t;
}

static void expect_call(unsigned n, bool start, const char *last, const char *message) {
  char *t = call_text(n, n, start, last);
  expect_file(t, &message, message ? 1 : 0);
  free(t);
}

static void test_call_operands(void **state) {
  (void)state;
  expect_call(64, false, "n", NULL);
  expect_call(65, false, "n",
              "this action call keeps 65 values at once, more than the 64 a process may; compute arguments "
              "into variables, or pass fewer");
  expect_call(200, false, "n",
              "this action call keeps 200 values at once, more than the 64 a process may; compute arguments "
              "into variables, or pass fewer");
  expect_call(61, false, "n + (n + (n + n))", NULL);
  expect_call(62, false, "n + (n + (n + n))",
              "this action call keeps 65 values at once, more than the 64 a process may; compute arguments "
              "into variables, or pass fewer");
  expect_call(32, true, "n", NULL);
  expect_call(33, true, "n",
              "this `start` keeps 66 values at once, more than the 64 a process may; compute arguments "
              "into variables, or pass fewer");
  expect_call(30, true, "n + (n + n)", NULL);
  expect_call(31, true, "n + (n + (n + n))",
              "this `start` keeps 65 values at once, more than the 64 a process may; compute arguments "
              "into variables, or pass fewer");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean_programs),
      cmocka_unit_test(test_unknown_names),
      cmocka_unit_test(test_unknown_document_type),
      cmocka_unit_test(test_namespace),
      cmocka_unit_test(test_duplicates_note),
      cmocka_unit_test(test_top_level_duplicates),
      cmocka_unit_test(test_decls),
      cmocka_unit_test(test_constants),
      cmocka_unit_test(test_document_defaults),
      cmocka_unit_test(test_operators),
      cmocka_unit_test(test_assignments),
      cmocka_unit_test(test_functions),
      cmocka_unit_test(test_text),
      cmocka_unit_test(test_human_steps),
      cmocka_unit_test(test_requests),
      cmocka_unit_test(test_flow),
      cmocka_unit_test(test_actions),
      cmocka_unit_test(test_start),
      cmocka_unit_test(test_triggers),
      cmocka_unit_test(test_states),
      cmocka_unit_test(test_process_info),
      cmocka_unit_test(test_states_info),
      cmocka_unit_test(test_long_chain),
      cmocka_unit_test(test_call_operands),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
