/* test_parser.c — the grammar (grammar/parser.y) and the tree it builds:
 * every sample parses cleanly, constructs have the right shape and spans,
 * syntax errors are reported precisely and once each, and hostile input
 * (deep nesting, long chains, empty files) gives a message, never a crash.
 *
 * Expressions are compared as S-expressions printed by sexpr() below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "parse.h"

/* ---- helpers ---------------------------------------------------------------- */

typedef struct Parsed {
  Source *src;
  Diags diags;
  Program *prog;
} Parsed;

static Parsed *parse_text(const char *text) {
  Parsed *p = calloc(1, sizeof *p);
  p->src = source_new("test.bp", strdup(text), (uint32_t)strlen(text));
  diags_init(&p->diags, p->src);
  p->prog = parse_program(p->src, &p->diags);
  return p;
}

static void parsed_free(Parsed *p) {
  parse_program_free(p->prog);
  diags_free(&p->diags);
  source_free(p->src);
  free(p);
}

/* A process wrapped around body: "process p {\n" body "\n}\n". */
static Parsed *parse_body(const char *body) {
  size_t n = strlen(body) + 32;
  char *text = malloc(n);
  snprintf(text, n, "process p {\n%s\n}\n", body);
  Parsed *p = parse_text(text);
  free(text);
  return p;
}

static const Process *process_of(const Parsed *p) {
  assert_true(p->prog->nitems >= 1);
  const Item *it = &p->prog->items[p->prog->nitems - 1];
  assert_int_equal(it->kind, I_PROCESS);
  return it->u.proc;
}

static const Stmt *stmt_at(const Parsed *p, uint32_t i) {
  const Process *proc = process_of(p);
  assert_true(i < proc->nmembers);
  assert_int_equal(proc->members[i].kind, M_STMT);
  return proc->members[i].u.stmt;
}

static void expect_clean(const Parsed *p) {
  if (p->diags.n) {
    uint32_t line, col;
    source_position(p->src, p->diags.items[0].span.off, &line, &col);
    fail_msg("%u:%u: %s", line, col, p->diags.items[0].message);
  }
}

/* Messages in the order diags_print shows them: by position, a note right
 * after the message it belongs to. */
typedef struct Sorted {
  uint32_t key_off, key_seq;
  Diag d;
} Sorted;

static int by_position(const void *a, const void *b) {
  const Sorted *x = a, *y = b;
  if (x->key_off != y->key_off) return x->key_off < y->key_off ? -1 : 1;
  if (x->key_seq != y->key_seq) return x->key_seq < y->key_seq ? -1 : 1;
  return x->d.seq < y->d.seq ? -1 : 1;
}

/* The messages, in that order, each as "LINE:COL: message", must be exactly
 * these (the list ends with NULL). */
static void expect_messages(const Parsed *p, const char *const *expected) {
  Sorted *keyed = malloc((p->diags.n + 1) * sizeof *keyed);
  uint32_t owner = 0;
  for (uint32_t i = 0; i < p->diags.n; i++) {
    if (p->diags.items[i].level != DIAG_NOTE) owner = i;
    keyed[i].key_off = p->diags.items[owner].span.off;
    keyed[i].key_seq = owner;
    keyed[i].d = p->diags.items[i];
  }
  qsort(keyed, p->diags.n, sizeof *keyed, by_position);
  Diag *sorted = malloc((p->diags.n + 1) * sizeof *sorted);
  for (uint32_t i = 0; i < p->diags.n; i++) sorted[i] = keyed[i].d;
  free(keyed);
  uint32_t i = 0;
  for (; expected[i]; i++) {
    if (i >= p->diags.n) fail_msg("missing message: %s", expected[i]);
    uint32_t line, col;
    source_position(p->src, sorted[i].span.off, &line, &col);
    char got[512];
    snprintf(got, sizeof got, "%u:%u: %s", line, col, sorted[i].message);
    if (strcmp(got, expected[i]) != 0) fail_msg("got `%s`, expected `%s`", got, expected[i]);
  }
  if (i < p->diags.n) fail_msg("extra message: %s", sorted[i].message);
  free(sorted);
}

#define MESSAGES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- expressions as S-expressions ------------------------------------------- */

static void sexpr_to(const Expr *e, char *out, size_t cap);

static void append(char *out, size_t cap, const char *fmt, ...) {
  size_t len = strlen(out);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out + len, cap - len, fmt, ap);
  va_end(ap);
}

static void sexpr_list(Expr **items, uint32_t n, char *out, size_t cap) {
  for (uint32_t i = 0; i < n; i++) {
    append(out, cap, " ");
    sexpr_to(items[i], out, cap);
  }
}

static void sexpr_to(const Expr *e, char *out, size_t cap) {
  static const char *const binary[] = {"+", "-", "*", "/", "%", "==", "!=", "<", "<=",
                                       ">", ">=", "and", "or", "in"};
  switch (e->kind) {
  case E_INT: append(out, cap, "%lld", (long long)e->u.ival); break;
  case E_DECIMAL: append(out, cap, "%s", e->u.dec.text); break;
  case E_BOOL: append(out, cap, e->u.bval ? "true" : "false"); break;
  case E_DURATION: append(out, cap, "%s", e->u.dur.text); break;
  case E_NAME: append(out, cap, "%s", e->u.name.s); break;
  case E_STRING:
    append(out, cap, "(str");
    for (uint32_t i = 0; i < e->u.str.n; i++) {
      const StrPart *part = &e->u.str.parts[i];
      if (part->expr) {
        append(out, cap, " ");
        sexpr_to(part->expr, out, cap);
      } else {
        append(out, cap, " '%.*s'", (int)part->len, part->text);
      }
    }
    append(out, cap, ")");
    break;
  case E_LIST:
    append(out, cap, "(list");
    sexpr_list(e->u.list.items, e->u.list.n, out, cap);
    append(out, cap, ")");
    break;
  case E_FIELD:
    sexpr_to(e->u.field.obj, out, cap);
    append(out, cap, ".%s", e->u.field.member);
    break;
  case E_CALL:
    append(out, cap, "(%s", e->u.call.fn);
    sexpr_list(e->u.call.args, e->nargs, out, cap);
    append(out, cap, ")");
    break;
  case E_UNARY:
    append(out, cap, "(%s ", e->u.unary.op == U_NEG ? "neg" : "not");
    sexpr_to(e->u.unary.operand, out, cap);
    append(out, cap, ")");
    break;
  case E_BINARY:
    append(out, cap, "(%s ", binary[e->op]);
    sexpr_to(e->u.binary.lhs, out, cap);
    append(out, cap, " ");
    sexpr_to(e->u.binary.rhs, out, cap);
    append(out, cap, ")");
    break;
  case E_COND:
    append(out, cap, "(? ");
    sexpr_to(e->u.cond.cond, out, cap);
    append(out, cap, " ");
    sexpr_to(e->u.cond.arms->then, out, cap);
    append(out, cap, " ");
    sexpr_to(e->u.cond.arms->otherwise, out, cap);
    append(out, cap, ")");
    break;
  case E_ERROR: append(out, cap, "<error>"); break;
  }
}

static const char *sexpr(const Expr *e) {
  static char buf[2048];
  buf[0] = '\0';
  sexpr_to(e, buf, sizeof buf);
  return buf;
}

/* The value of `x = EXPR` parsed as a process body. */
static void expect_expr(const char *source, const char *expected) {
  char body[512];
  snprintf(body, sizeof body, "x = %s", source);
  Parsed *p = parse_body(body);
  expect_clean(p);
  const Stmt *s = stmt_at(p, 0);
  assert_int_equal(s->kind, S_ASSIGN);
  assert_string_equal(sexpr(s->u.assign.value), expected);
  parsed_free(p);
}

static const char *source_of(const Parsed *p, Span span) {
  static char buf[512];
  snprintf(buf, sizeof buf, "%.*s", (int)span.len, p->src->text + span.off);
  return buf;
}

/* ---- the samples and trivial files -------------------------------------------- */

static void test_samples_parse_cleanly(void **state) {
  (void)state;
  DIR *dir = opendir("samples");
  if (!dir) fail_msg("run the tests from the repository root (no samples/)");
  int count = 0;
  struct dirent *ent;
  while ((ent = readdir(dir))) {
    size_t n = strlen(ent->d_name);
    if (n < 4 || strcmp(ent->d_name + n - 3, ".bp") != 0) continue;
    char path[512];
    snprintf(path, sizeof path, "samples/%s", ent->d_name);
    size_t len;
    char *text = read_file(path, &len);
    assert_non_null(text);
    Source *src = source_new(path, text, (uint32_t)len);
    Diags diags;
    diags_init(&diags, src);
    Program *prog = parse_program(src, &diags);
    if (diags.n) fail_msg("%s: %s", path, diags.items[0].message);
    assert_true(prog->nitems >= 2);
    assert_true(prog->ncomments >= 1);
    parse_program_free(prog);
    diags_free(&diags);
    source_free(src);
    count++;
  }
  closedir(dir);
  assert_true(count >= 8);
}

/* The tree's size is most of `bpc check`'s memory (docs/performance-log.md, "The compiler"):
 * a human step's 160 bytes and a call's `-> r` are out of line, so a statement takes 56,
 * not 176 or 72; an
 * expression keeps its small fields beside its kind and the places of its member, call
 * name and operator in its header, 40 bytes, not 56 or 48 (pointers of 8). */
static void test_node_sizes(void **state) {
  (void)state;
  assert_true(sizeof(Stmt) <= 56);
  if (sizeof(void *) == 8) assert_int_equal(sizeof(Expr), 40);
  Parsed *p = parse_body("task boss \"Sign\"\nlog \"x\"");
  expect_clean(p);
  const Stmt *task = stmt_at(p, 0);
  assert_int_equal(task->kind, S_HUMAN);
  assert_non_null(task->u.human);
  assert_int_equal(task->u.human->kind, H_TASK);
  assert_int_equal(stmt_at(p, 1)->kind, S_LOG);
  parsed_free(p);
}

static void test_empty_file(void **state) {
  (void)state;
  Parsed *p = parse_text("");
  expect_clean(p);
  assert_int_equal(p->prog->nitems, 0);
  assert_null(p->prog->items);
  parsed_free(p);
  p = parse_text("\n\n# just a comment\n\n");
  expect_clean(p);
  assert_int_equal(p->prog->nitems, 0);
  assert_int_equal(p->prog->ncomments, 1);
  assert_true(p->prog->comments[0].own_line);
  parsed_free(p);
}

/* ---- items ------------------------------------------------------------------------ */

static void test_document(void **state) {
  (void)state;
  Parsed *p = parse_text("document Deal {\n  title: string\n  stage: string = \"new\"\n}\n");
  expect_clean(p);
  assert_int_equal(p->prog->nitems, 1);
  const Document *d = p->prog->items[0].u.doc;
  assert_int_equal(p->prog->items[0].kind, I_DOCUMENT);
  assert_string_equal(d->name.s, "Deal");
  assert_string_equal(source_of(p, d->name.span), "Deal");
  assert_int_equal(d->nfields, 2);
  assert_string_equal(d->fields[0].name.s, "title");
  assert_string_equal(d->fields[0].type.name.s, "string");
  assert_null(d->fields[0].init);
  assert_string_equal(sexpr(d->fields[1].init), "(str 'new')");
  assert_string_equal(source_of(p, d->fields[1].span), "stage: string = \"new\"");
  assert_int_equal(d->span.off, 0);
  assert_int_equal(d->span.len, strlen(p->src->text) - 1);
  parsed_free(p);
}

static void test_one_line_document(void **state) {
  (void)state;
  Parsed *p = parse_text("document D { a: int; b: bool }\ndocument E {}");
  expect_clean(p);
  assert_int_equal(p->prog->nitems, 2);
  assert_int_equal(p->prog->items[0].u.doc->nfields, 2);
  assert_int_equal(p->prog->items[1].u.doc->nfields, 0);
  parsed_free(p);
}

static void test_action(void **state) {
  (void)state;
  Parsed *p = parse_text("action create_invoice(deal: string, amount: decimal): string\n"
                         "action ping()\n");
  expect_clean(p);
  assert_int_equal(p->prog->nitems, 2);
  const Action *a = p->prog->items[0].u.action;
  assert_string_equal(a->name.s, "create_invoice");
  assert_int_equal(a->nparams, 2);
  assert_string_equal(a->params[1].name.s, "amount");
  assert_string_equal(a->params[1].type.name.s, "decimal");
  assert_string_equal(a->result.name.s, "string");
  const Action *ping = p->prog->items[1].u.action;
  assert_int_equal(ping->nparams, 0);
  assert_null(ping->result.name.s);
  parsed_free(p);
}

static void test_process_header_and_members(void **state) {
  (void)state;
  Parsed *p = parse_text("process collect \"Collect documents\" on Deal {\n"
                         "  start on change stage, amount when stage == \"won\"\n"
                         "  param accounting: users \"Accounting\"\n"
                         "  param quorum: int = 50 \"Share\"\n"
                         "  var tries: int = 0\n"
                         "  var note = \"\"\n"
                         "  var flag: bool\n"
                         "  const fee = 0.15\n"
                         "  log \"go\"\n"
                         "}\n");
  expect_clean(p);
  const Process *proc = process_of(p);
  assert_string_equal(proc->name.s, "collect");
  assert_string_equal(sexpr(proc->title), "(str 'Collect documents')");
  assert_string_equal(proc->doc.s, "Deal");
  assert_int_equal(proc->nmembers, 8);

  const Trigger *t = proc->members[0].u.trigger;
  assert_int_equal(proc->members[0].kind, M_TRIGGER);
  assert_int_equal(t->kind, TRIG_CHANGE);
  assert_int_equal(t->nfields, 2);
  assert_string_equal(t->fields[1].s, "amount");
  assert_string_equal(sexpr(t->when), "(== stage (str 'won'))");

  const Decl *d = proc->members[2].u.decl;
  assert_int_equal(d->kind, D_PARAM);
  assert_string_equal(d->name.s, "quorum");
  assert_string_equal(d->type.name.s, "int");
  assert_string_equal(sexpr(d->init), "50");
  assert_string_equal(sexpr(d->label), "(str 'Share')");
  assert_string_equal(source_of(p, d->span), "param quorum: int = 50 \"Share\"");

  d = proc->members[4].u.decl;
  assert_int_equal(d->kind, D_VAR);
  assert_null(d->type.name.s);
  assert_string_equal(sexpr(d->init), "(str)");
  d = proc->members[5].u.decl;
  assert_string_equal(d->type.name.s, "bool");
  assert_null(d->init);
  d = proc->members[6].u.decl;
  assert_int_equal(d->kind, D_CONST);
  assert_string_equal(sexpr(d->init), "0.15");
  assert_int_equal(proc->members[7].kind, M_STMT);
  parsed_free(p);
}

static void test_triggers(void **state) {
  (void)state;
  Parsed *p = parse_body("start on create");
  expect_clean(p);
  assert_int_equal(process_of(p)->members[0].u.trigger->kind, TRIG_CREATE);
  parsed_free(p);

  p = parse_body("start on create title");
  expect_messages(p, MESSAGES("2:17: `start on create` takes no fields"));
  parsed_free(p);
  p = parse_body("start on change");
  expect_messages(
      p, MESSAGES("2:10: `start on change` needs the fields it watches, as in `start on change stage`"));
  parsed_free(p);
  p = parse_body("start on update x");
  expect_messages(p, MESSAGES("2:10: expected `create` or `change`"));
  parsed_free(p);
}

/* ---- statements ------------------------------------------------------------------- */

static void test_simple_statements(void **state) {
  (void)state;
  Parsed *p = parse_body("x = 1\n"
                         "create_invoice(title, 2) -> inv\n"
                         "ping()\n"
                         "wait 3d\n"
                         "wait until deadline\n"
                         "terminate\n"
                         "terminate \"no\"\n"
                         "notify a, b \"hi\"\n"
                         "log \"x\"\n"
                         "start other(deal: title, n: 1)\n"
                         "start bare\n"
                         "goto done\n"
                         "break; continue\n");
  expect_clean(p);
  const Process *proc = process_of(p);
  assert_int_equal(proc->nmembers, 14);
  const Stmt *s = stmt_at(p, 1);
  assert_int_equal(s->kind, S_CALL);
  assert_string_equal(s->u.call.action.s, "create_invoice");
  assert_int_equal(s->u.call.n, 2);
  assert_non_null(s->u.call.result);
  assert_string_equal(s->u.call.result->name.s, "inv");
  assert_int_equal(stmt_at(p, 2)->u.call.n, 0);
  assert_null(stmt_at(p, 2)->u.call.result);
  assert_false(stmt_at(p, 3)->u.wait.until);
  assert_string_equal(sexpr(stmt_at(p, 3)->u.wait.value), "3d");
  assert_true(stmt_at(p, 4)->u.wait.until);
  assert_null(stmt_at(p, 5)->u.terminate.reason);
  assert_non_null(stmt_at(p, 6)->u.terminate.reason);
  assert_int_equal(stmt_at(p, 7)->u.notify.nwho, 2);
  assert_int_equal(stmt_at(p, 8)->kind, S_LOG);
  s = stmt_at(p, 9);
  assert_int_equal(s->kind, S_START);
  assert_int_equal(s->u.start.n, 2);
  assert_string_equal(s->u.start.args[1].name.s, "n");
  assert_string_equal(sexpr(s->u.start.args[0].value), "title");
  assert_int_equal(stmt_at(p, 10)->u.start.n, 0);
  assert_string_equal(stmt_at(p, 11)->u.goto_.state.s, "done");
  assert_int_equal(stmt_at(p, 12)->kind, S_BREAK);
  assert_int_equal(stmt_at(p, 13)->kind, S_CONTINUE);
  parsed_free(p);
}

static void test_if_chain(void **state) {
  (void)state;
  Parsed *p = parse_body("if a { x = 1 } else if b {\n  x = 2\n}\nelse if c { } else {\n  x = 4\n}");
  expect_clean(p);
  const Stmt *s = stmt_at(p, 0);
  assert_int_equal(s->kind, S_IF);
  assert_int_equal(s->u.if_.n, 3);
  assert_string_equal(sexpr(s->u.if_.conds[2]), "c");
  assert_int_equal(s->u.if_.blocks[1]->n, 1);
  assert_int_equal(s->u.if_.blocks[2]->n, 0);
  assert_non_null(s->u.if_.otherwise);
  assert_int_equal(s->u.if_.otherwise->n, 1);
  assert_int_equal(process_of(p)->nmembers, 1);
  /* The statement spans from `if` to the last `}`. */
  assert_int_equal(s->span.off, strlen("process p {\n"));
  assert_int_equal(s->span.off + s->span.len, strlen(p->src->text) - 3);
  parsed_free(p);
}

static void test_loops(void **state) {
  (void)state;
  Parsed *p = parse_body("while n < 3 { n = n + 1 }\nloop {\n  break\n}\nfor x in [1, 2] { log \"{x}\" }");
  expect_clean(p);
  assert_string_equal(sexpr(stmt_at(p, 0)->u.while_.cond), "(< n 3)");
  assert_int_equal(stmt_at(p, 1)->u.loop.body->n, 1);
  const Stmt *f = stmt_at(p, 2);
  assert_string_equal(f->u.for_.var.s, "x");
  assert_string_equal(sexpr(f->u.for_.list), "(list 1 2)");
  assert_int_equal(f->u.for_.body->n, 1);
  parsed_free(p);
}

static void test_parallel(void **state) {
  (void)state;
  Parsed *p = parse_body("parallel any {\n  branch { x = 1 }\n\n  branch {\n    y = 2\n  }\n}\nparallel { }");
  expect_clean(p);
  const Stmt *s = stmt_at(p, 0);
  assert_int_equal(s->kind, S_PARALLEL);
  assert_true(s->u.parallel.any);
  assert_int_equal(s->u.parallel.n, 2);
  assert_int_equal(s->u.parallel.branches[1]->n, 1);
  assert_false(stmt_at(p, 1)->u.parallel.any);
  assert_int_equal(stmt_at(p, 1)->u.parallel.n, 0);
  parsed_free(p);
  p = parse_body("parallel all { branch { } }");
  expect_messages(p, MESSAGES("2:10: expected `any` or `{` after `parallel`"));
  parsed_free(p);
}

static void test_states(void **state) {
  (void)state;
  Parsed *p = parse_body("states {\n"
                         "  draft \"Draft\" {\n"
                         "    enter { status = \"draft\" }\n"
                         "    command submit \"Send\" by author, boss -> review\n"
                         "    command note { log \"n\" }\n"
                         "  }\n"
                         "  review\n"
                         "  done \"Done\" final\n"
                         "}");
  expect_clean(p);
  const Process *proc = process_of(p);
  assert_int_equal(proc->members[0].kind, M_STATES);
  const States *ss = proc->members[0].u.states;
  assert_int_equal(ss->n, 3);
  const State *draft = &ss->states[0];
  assert_string_equal(draft->name.s, "draft");
  assert_false(draft->final);
  assert_non_null(draft->enter);
  assert_int_equal(draft->ncommands, 2);
  assert_int_equal(draft->commands[0].nby, 2);
  assert_string_equal(draft->commands[0].target.s, "review");
  assert_null(draft->commands[0].body);
  assert_null(draft->commands[1].target.s);
  assert_non_null(draft->commands[1].body);
  assert_null(draft->commands[1].label);
  assert_null(ss->states[1].label);
  assert_true(ss->states[2].final);
  assert_null(ss->states[2].enter);
  parsed_free(p);
  p = parse_body("states {\n  a {\n    enter { }\n    enter { }\n  }\n}");
  expect_messages(p, MESSAGES("5:5: duplicate `enter` block"));
  parsed_free(p);
}

/* ---- human steps ---------------------------------------------------------------- */

static void test_approval_with_every_clause(void **state) {
  (void)state;
  Parsed *p = parse_body("approve voters, boss \"Vote on {title}\"\n"
                         "  -> ballot due 3d mode vote quorum% wait all\n"
                         "  remind 1d before { notify voters \"soon\" }\n"
                         "  remind 1h before { notify voters \"now\" }\n"
                         "  on timeout { reassign boss due 1d; add helpers }\n"
                         "x = 1");
  expect_clean(p);
  const Stmt *s = stmt_at(p, 0);
  assert_int_equal(s->kind, S_HUMAN);
  const HumanStep *h = s->u.human;
  assert_int_equal(h->kind, H_APPROVE);
  assert_int_equal(h->nwho, 2);
  assert_string_equal(sexpr(h->title), "(str 'Vote on ' title)");
  assert_int_equal(h->mode, MODE_VOTE);
  assert_string_equal(sexpr(h->vote_percent), "quorum");
  assert_string_equal(source_of(p, h->mode_span), "mode vote quorum%");
  assert_true(h->wait_all);
  assert_string_equal(source_of(p, h->wait_all_span), "wait all");
  assert_string_equal(sexpr(h->due), "3d");
  assert_string_equal(h->result.s, "ballot");
  assert_int_equal(h->nreminds, 2);
  assert_string_equal(sexpr(h->reminds[1].before), "1h");
  assert_string_equal(source_of(p, h->reminds[0].span),
                      "remind 1d before { notify voters \"soon\" }");
  assert_non_null(h->on_timeout);
  assert_string_equal(source_of(p, h->on_timeout_span), "on timeout");
  const Stmt *re = h->on_timeout->stmts[0];
  assert_int_equal(re->kind, S_REASSIGN);
  assert_string_equal(sexpr(re->u.reassign.due), "1d");
  assert_int_equal(h->on_timeout->stmts[1]->kind, S_ADD);
  /* The step's span includes its tails. */
  const char *text = p->src->text;
  assert_true(s->span.off + s->span.len == (uint32_t)(strstr(text, "}\nx = 1") - text) + 1);
  assert_int_equal(stmt_at(p, 1)->kind, S_ASSIGN);
  parsed_free(p);
}

static void test_human_kinds_and_modes(void **state) {
  (void)state;
  Parsed *p = parse_body("task a \"t\"\n"
                         "review a \"r\" mode all\n"
                         "approve a \"x\" mode majority\n"
                         "approve a \"y\" mode any -> d\n"
                         "request a \"q\" {\n  amount: decimal \"Amount\"\n  note: string\n} due 1d");
  expect_clean(p);
  assert_int_equal(stmt_at(p, 0)->u.human->kind, H_TASK);
  assert_int_equal(stmt_at(p, 0)->u.human->mode, MODE_DEFAULT);
  assert_int_equal(stmt_at(p, 1)->u.human->kind, H_REVIEW);
  assert_int_equal(stmt_at(p, 1)->u.human->mode, MODE_ALL);
  assert_int_equal(stmt_at(p, 2)->u.human->mode, MODE_MAJORITY);
  assert_int_equal(stmt_at(p, 3)->u.human->mode, MODE_ANY);
  const HumanStep *r = stmt_at(p, 4)->u.human;
  assert_int_equal(r->kind, H_REQUEST);
  assert_int_equal(r->nfields, 2);
  assert_string_equal(r->fields[0].name.s, "amount");
  assert_string_equal(r->fields[0].type.name.s, "decimal");
  assert_string_equal(sexpr(r->fields[0].label), "(str 'Amount')");
  assert_null(r->fields[1].label);
  assert_non_null(r->due);
  parsed_free(p);
}

static void test_human_clause_errors(void **state) {
  (void)state;
  Parsed *p = parse_body("task a \"t\" due 1d due 2d\n"
                         "approve a \"t\" mode most\n"
                         "approve a \"t\" mode vote\n"
                         "approve a \"t\" mode any 50%\n"
                         "approve a \"t\" -> r -> s\n"
                         "task a \"t\" { x: int }\n"
                         "request a \"t\"\n"
                         "task a \"t\" due 1d remind 1h after { }\n"
                         "task a \"t\" due 1d on late { }\n"
                         "task a \"t\" due 1d on timeout { } on timeout { }\n"
                         "task a \"t\" due 1d on timeout { } remind 1h before { }");
  expect_messages(p, MESSAGES("2:19: duplicate `due` clause",
                              "3:20: unknown mode `most`; expected any, all, majority or vote",
                              "4:15: `mode vote` needs a percentage, as in `mode vote 60%`",
                              "5:24: only `mode vote` takes a percentage",
                              "6:20: duplicate `->` clause",
                              "7:12: only `request` takes a list of fields",
                              "8:1: `request` needs the fields it asks for, as in `{ amount: decimal \"Amount\" }`",
                              "9:29: expected `before`, as in `remind 1d before { ... }`",
                              "10:22: expected `timeout` after `on`",
                              "11:34: duplicate `on timeout`",
                              "12:34: `remind` goes before `on timeout`"));
  parsed_free(p);
}

/* ---- expressions ------------------------------------------------------------------ */

static void test_precedence(void **state) {
  (void)state;
  expect_expr("a or b and not c == d + e * -f.g", "(or a (and b (not (== c (+ d (* e (neg f.g)))))))");
  expect_expr("a * b + c * d - e", "(- (+ (* a b) (* c d)) e)");
  expect_expr("(a + b) * c % 2", "(% (* (+ a b) c) 2)");
  expect_expr("c ? a : b ? x : y", "(? c a (? b x y))");
  expect_expr("a or b ? 1 : 2", "(? (or a b) 1 2)");
  expect_expr("not a and b", "(and (not a) b)");
  expect_expr("x in [1, 2] or y != 3", "(or (in x (list 1 2)) (!= y 3))");
  expect_expr("-a - -b", "(- (neg a) (neg b))");
  expect_expr("r.x.y", "r.x.y");
}

static void test_literals_and_calls(void **state) {
  (void)state;
  expect_expr("42", "42");
  expect_expr("12.50", "12.50");
  expect_expr("4h30m", "4h30m");
  expect_expr("true", "true");
  expect_expr("[]", "(list)");
  expect_expr("len(s) - 1", "(- (len s) 1)");
  expect_expr("now()", "(now)");
  expect_expr("substr(s, 0, len(s))", "(substr s 0 (len s))");
  expect_expr("\"a {b} c {d.e}\"", "(str 'a ' b ' c ' d.e)");
  expect_expr("\"{x ? \"y{z}\" : \"n\"}\"", "(str (? x (str 'y' z) (str 'n')))");
}

static void test_expression_spans(void **state) {
  (void)state;
  Parsed *p = parse_body("x = a + b * 2");
  expect_clean(p);
  const Expr *e = stmt_at(p, 0)->u.assign.value;
  assert_string_equal(source_of(p, e->span), "a + b * 2");
  assert_string_equal(source_of(p, expr_op_span(e)), "+");
  assert_string_equal(source_of(p, e->u.binary.rhs->span), "b * 2");
  assert_string_equal(source_of(p, stmt_at(p, 0)->u.assign.target.span), "x");
  parsed_free(p);
  p = parse_body("log \"Hi {name}!\"");
  e = stmt_at(p, 0)->u.log.text;
  assert_string_equal(source_of(p, e->span), "\"Hi {name}!\"");
  assert_int_equal(e->u.str.n, 3);
  assert_string_equal(source_of(p, e->u.str.parts[1].span), "{name}");
  assert_string_equal(source_of(p, e->u.str.parts[2].span), "!");
  parsed_free(p);
  /* The places of a member, a call's name and an operator are kept in the expression's
   * header, not as spans of their own (ast.h): they come out the same. */
  p = parse_body("x = r . approved  and\tlen (s) >= 2026-03-05 ? f.g.h : 1");
  expect_clean(p);
  e = stmt_at(p, 0)->u.assign.value;
  assert_int_equal(e->kind, E_COND);
  const Expr *and = e->u.cond.cond;
  assert_string_equal(source_of(p, expr_op_span(and)), "and");
  assert_string_equal(source_of(p, expr_member(and->u.binary.lhs).span), "approved");
  assert_string_equal(expr_member(and->u.binary.lhs).s, "approved");
  const Expr *ge = and->u.binary.rhs;
  assert_string_equal(source_of(p, expr_op_span(ge)), ">=");
  assert_string_equal(source_of(p, expr_fn(ge->u.binary.lhs).span), "len");
  assert_string_equal(expr_fn(ge->u.binary.lhs).s, "len");
  assert_string_equal(source_of(p, expr_fn(ge->u.binary.rhs).span), "2026-03-05");
  assert_string_equal(expr_fn(ge->u.binary.rhs).s, "date");
  assert_string_equal(source_of(p, expr_member(e->u.cond.arms->then).span), "h");
  assert_string_equal(source_of(p, expr_member(e->u.cond.arms->then->u.field.obj).span), "g");
  assert_string_equal(source_of(p, e->u.cond.arms->otherwise->span), "1");
  parsed_free(p);
  /* A name of 255 bytes or more does not fit the byte that holds a name's length. */
  for (size_t len = 253; len <= 300; len += 47 - 45 * (len < 256)) {
    char body[400];
    memset(body, 'f', sizeof body);
    memcpy(body, "x = ", 4);
    snprintf(body + 4 + len, sizeof body - 4 - len, "(1)");
    p = parse_body(body);
    expect_clean(p);
    e = stmt_at(p, 0)->u.assign.value;
    assert_int_equal(e->kind, E_CALL);
    body[4 + len] = '\0';
    assert_string_equal(source_of(p, expr_fn(e).span), body + 4);
    assert_int_equal(strlen(expr_fn(e).s), len);
    parsed_free(p);
  }
}

static void test_statement_words_as_names(void **state) {
  (void)state;
  Parsed *p = parse_body("approve expert \"x\" -> review\nif not review.approved { log \"{review.comment}\" }");
  expect_clean(p);
  assert_string_equal(stmt_at(p, 0)->u.human->result.s, "review");
  assert_string_equal(sexpr(stmt_at(p, 1)->u.if_.conds[0]), "(not review.approved)");
  parsed_free(p);
  /* At the start of a line, a name followed by `=` or `:` may be one too. */
  p = parse_text("document D {\n  task: string\n  log: string = \"\"\n}\n"
                 "process p {\n  var review = 1\n  review = review + 1\n  goto final\n}");
  expect_clean(p);
  assert_string_equal(p->prog->items[0].u.doc->fields[0].name.s, "task");
  assert_string_equal(p->prog->items[0].u.doc->fields[1].name.s, "log");
  assert_string_equal(stmt_at(p, 1)->u.assign.target.s, "review");
  assert_string_equal(sexpr(stmt_at(p, 1)->u.assign.value), "(+ review 1)");
  assert_string_equal(stmt_at(p, 2)->u.goto_.state.s, "final");
  parsed_free(p);
}

static void test_statement_word_starting_a_line_is_a_keyword(void **state) {
  (void)state;
  /* `x =` runs on into the next line, but `if` there is not a name. */
  Parsed *p = parse_body("x =\nif a { break }");
  expect_messages(p, MESSAGES("3:1: unexpected `if`; expected a value: a name, a number, a string or `(`"));
  parsed_free(p);
  /* A declaration word never names anything at the start of a line. */
  p = parse_body("var = 5");
  expect_messages(p, MESSAGES("2:5: unexpected `=`, expected identifier"));
  parsed_free(p);
}

static void test_negative_vote_percentage_parses(void **state) {
  (void)state;
  /* The checker reports the range; the parser keeps `-5` as written. */
  Parsed *p = parse_body("approve v \"t\" mode vote -5% -> r");
  expect_clean(p);
  const HumanStep *h = stmt_at(p, 0)->u.human;
  assert_int_equal(h->mode, MODE_VOTE);
  assert_string_equal(sexpr(h->vote_percent), "(neg 5)");
  assert_string_equal(source_of(p, h->vote_percent->span), "-5");
  assert_string_equal(source_of(p, h->mode_span), "mode vote -5%");
  parsed_free(p);
}

static void test_comparisons_do_not_chain(void **state) {
  (void)state;
  Parsed *p = parse_body("x = a < b < c");
  expect_messages(p, MESSAGES("2:11: unexpected `<`"));
  parsed_free(p);
}

/* ---- syntax errors ------------------------------------------------------------------ */

static void test_five_errors_on_five_lines(void **state) {
  (void)state;
  Parsed *p = parse_text("document Doc {\n"
                         "  title: string\n"
                         "  author user\n"
                         "}\n"
                         "process p on Doc {\n"
                         "  x = = 3\n"
                         "  if x y {\n"
                         "    notify author \"a\"\n"
                         "  }\n"
                         "  task author \"t\" due -> r\n"
                         "  notify author \"fine\"\n"
                         "  while { log \"c\" }\n"
                         "  log \"still here\"\n"
                         "}\n");
  expect_messages(p, MESSAGES("3:10: unexpected identifier `user`, expected `:`; a type follows a colon: `author: user`",
                              "6:7: unexpected `=`; expected a value: a name, a number, a string or `(`",
                              "7:8: unexpected identifier `y`; expected `{`: a block goes in braces, as in `if c { ... }`",
                              "10:23: unexpected `->`; expected a value: a name, a number, a string or `(`",
                              "12:9: unexpected `{`; expected a value: a name, a number, a string or `(`"));
  /* Recovery kept everything else, bad lines as S_ERROR. */
  const Process *proc = process_of(p);
  assert_int_equal(proc->nmembers, 6);
  assert_int_equal(proc->members[0].u.stmt->kind, S_ERROR);
  assert_int_equal(proc->members[3].u.stmt->kind, S_NOTIFY);
  assert_int_equal(proc->members[5].u.stmt->kind, S_LOG);
  assert_int_equal(p->prog->items[0].u.doc->nfields, 1);
  parsed_free(p);
}

static void test_expected_tokens_named(void **state) {
  (void)state;
  Parsed *p = parse_text("process p { x }");
  expect_messages(p, MESSAGES("1:15: unexpected `}`, expected `=` or `(`"));
  parsed_free(p);
  p = parse_body("x = ;");
  expect_messages(p, MESSAGES("2:5: unexpected `;`; expected a value: a name, a number, a string or `(`"));
  parsed_free(p);
  p = parse_text("action a(x: int y: int)");
  expect_messages(p, MESSAGES("1:17: unexpected identifier `y`, expected `)` or `,`"));
  parsed_free(p);
}

static void test_unclosed_block(void **state) {
  (void)state;
  Parsed *p = parse_text("process p {\n  if x {\n    log \"a\"\n");
  expect_messages(p, MESSAGES("4:1: unexpected end of file, expected `}`", "2:8: this `{` is never closed"));
  /* The blocks were closed for the parser: the partial tree is kept. */
  const Stmt *s = stmt_at(p, 0);
  assert_int_equal(s->kind, S_IF);
  assert_int_equal(s->u.if_.blocks[0]->stmts[0]->kind, S_LOG);
  parsed_free(p);
}

static void test_end_of_file_in_statement(void **state) {
  (void)state;
  Parsed *p = parse_text("process p {\n  x =");
  expect_messages(p, MESSAGES("2:6: unexpected end of file; expected a value: a name, a number, a string or `(`"));
  parsed_free(p);
}

static void test_bad_line_with_block_is_skipped_whole(void **state) {
  (void)state;
  /* The `}` of the bad line's block must not close the process early. */
  Parsed *p = parse_body("if x y {\n  a = 1\n}\nb = 2\nc = = 3\nd = 4");
  expect_messages(p, MESSAGES("2:6: unexpected identifier `y`; expected `{`: a block goes in braces, as in `if c { ... }`", "6:5: unexpected `=`; expected a value: a name, a number, a string or `(`"));
  const Process *proc = process_of(p);
  assert_int_equal(proc->nmembers, 4);
  assert_int_equal(stmt_at(p, 1)->kind, S_ASSIGN);
  assert_int_equal(stmt_at(p, 3)->kind, S_ASSIGN);
  parsed_free(p);
}

static void test_error_inside_one_line_block(void **state) {
  (void)state;
  Parsed *p = parse_body("if a { x = }\ny = 1");
  expect_messages(p, MESSAGES("2:12: unexpected `}`; expected a value: a name, a number, a string or `(`"));
  assert_int_equal(stmt_at(p, 0)->kind, S_IF);
  assert_int_equal(stmt_at(p, 1)->kind, S_ASSIGN);
  parsed_free(p);
}

static void test_lexical_error_not_reported_twice(void **state) {
  (void)state;
  /* `x = @` does not run on into the next line: the invalid character ends it. */
  Parsed *p = parse_body("x = @\ny = \"abc\nz = 3x");
  expect_messages(p, MESSAGES("2:5: unexpected character `@`", "3:5: unterminated string",
                              "4:5: invalid number `3x`"));
  parsed_free(p);
}

static void test_one_message_a_line(void **state) {
  (void)state;
  /* The missing `}` makes the closing quote open a string left unterminated:
   * only the syntax error is reported. */
  Parsed *p = parse_body("notify author \"Your {title is approved\"\nlog \"next\"");
  expect_messages(p, MESSAGES("2:28: unexpected identifier `is`; the `{` before it in the string starts an "
                              "expression that must end with `}` (to write the brace itself, write `{{`)"));
  assert_int_equal(stmt_at(p, 1)->kind, S_LOG);
  parsed_free(p);
}

static void test_recovery_inside_interpolation(void **state) {
  (void)state;
  /* A `{` inside an interpolation on a bad line: its `}` ends the
   * interpolation, so it must not be taken for a block to skip (this once
   * made the end of the file loop). */
  Parsed *p = parse_body("notify a \"{r.count people read {title}\"\nlog \"x\"\nlog \"{a ( {b}\"");
  assert_true(p->diags.errors >= 1);
  assert_int_equal(stmt_at(p, 1)->kind, S_LOG);
  parsed_free(p);
  p = parse_text("process p {\n  if x y { log \"{ {a}\" }\n  log \"kept\"\n}\n");
  expect_messages(p, MESSAGES("2:8: unexpected identifier `y`; expected `{`: a block goes in braces, as in `if c { ... }`"));
  assert_int_equal(stmt_at(p, 1)->kind, S_LOG);
  parsed_free(p);
}

static void test_bad_items_recovered(void **state) {
  (void)state;
  Parsed *p = parse_text("documen D {}\naction f(a int)\ndocument E { x: int }\n}\nprocess q { }");
  expect_messages(p, MESSAGES("1:1: unexpected identifier `documen`", "2:12: unexpected identifier `int`, expected `:`; a type follows a colon: `a: int`",
                              "4:1: unexpected `}`; no block is open here: this `}` closes nothing"));
  assert_int_equal(p->prog->nitems, 2);
  assert_int_equal(p->prog->items[0].kind, I_DOCUMENT);
  assert_int_equal(p->prog->items[1].kind, I_PROCESS);
  parsed_free(p);
}

/* ---- limits ------------------------------------------------------------------------- */

static char *repeat(const char *head, const char *unit, int n, const char *middle,
                    const char *close, const char *tail) {
  size_t len = strlen(head) + (strlen(unit) + strlen(close)) * (size_t)n + strlen(middle) +
               strlen(tail) + 1;
  char *out = malloc(len), *q = out;
  q += sprintf(q, "%s", head);
  for (int i = 0; i < n; i++) q += sprintf(q, "%s", unit);
  q += sprintf(q, "%s", middle);
  for (int i = 0; i < n; i++) q += sprintf(q, "%s", close);
  sprintf(q, "%s", tail);
  return out;
}

static void test_ten_thousand_nested_blocks(void **state) {
  (void)state;
  char *text = repeat("process p {\n", "loop {\n", 10000, "", "}\n", "}\n");
  Parsed *p = parse_text(text);
  assert_int_equal(p->diags.n, 1);
  assert_string_equal(p->diags.items[0].message, "nesting deeper than 200 levels");
  parsed_free(p);
  free(text);
}

static void test_nesting_at_the_limit(void **state) {
  (void)state;
  /* 1 process + 199 loops = 200 levels: fine. */
  char *text = repeat("process p {\n", "loop {\n", 199, "break\n", "}\n", "}\n");
  Parsed *p = parse_text(text);
  expect_clean(p);
  parsed_free(p);
  free(text);
}

static void test_deep_expressions(void **state) {
  (void)state;
  char *text = repeat("process p {\nx = 1", " + 1", 300, "", "", "\n}\n");
  Parsed *p = parse_text(text);
  expect_messages(p, MESSAGES("2:5: expression nested deeper than 200 levels"));
  parsed_free(p);
  free(text);
  text = repeat("process p {\nx = ", "not ", 20000, "a", "", "\n}\n");
  p = parse_text(text);
  assert_int_equal(p->diags.n, 1);
  assert_string_equal(p->diags.items[0].message, "expression nested deeper than 200 levels");
  parsed_free(p);
  free(text);
  text = repeat("process p {\nx = ", "(", 250, "a", ")", "\n}\n");
  p = parse_text(text);
  assert_int_equal(p->diags.n, 1);
  assert_string_equal(p->diags.items[0].message, "nesting deeper than 200 levels");
  parsed_free(p);
  free(text);
}

static void test_unbalanced_braces(void **state) {
  (void)state;
  char *text = repeat("", "{", 10000, "", "", "");
  Parsed *p = parse_text(text);
  expect_messages(p, MESSAGES("1:1: unexpected `{`"));
  parsed_free(p);
  free(text);
  text = repeat("", "}", 10000, "", "", "");
  p = parse_text(text);
  expect_messages(p, MESSAGES("1:1: unexpected `}`; no block is open here: this `}` closes nothing"));
  parsed_free(p);
  free(text);
}

/* ---- a large file parsed in two halves (parse.c) ----------------------------------- */

/* count copies of unit, with extra inserted after copy number at (none when NULL). */
static char *copies(const char *unit, uint32_t count, uint32_t at, const char *extra) {
  size_t n = strlen(unit), e = extra ? strlen(extra) : 0;
  char *text = malloc(n * count + e + 1), *o = text;
  for (uint32_t i = 0; i < count; i++) {
    memcpy(o, unit, n);
    o += n;
    if (extra && i == at) memcpy(o, extra, e), o += e;
  }
  *o = '\0';
  return text;
}

static Parsed *parse_threads(const char *text, const char *threads) {
  setenv("BPC_THREADS", threads, 1);
  Parsed *p = parse_text(text);
  unsetenv("BPC_THREADS");
  return p;
}

/* Parsed on one thread and on two: the same messages, and for a clean file the same
 * tree (as fmt prints it, comments included). Returns whether the two-thread parse
 * was cut in two: its first and last process share no interned name. */
static bool same_on_two_threads(const char *text) {
  Parsed *one = parse_threads(text, "1"), *two = parse_threads(text, "2");
  assert_int_equal(one->diags.n, two->diags.n);
  for (uint32_t i = 0; i < one->diags.n; i++) {
    assert_string_equal(one->diags.items[i].message, two->diags.items[i].message);
    assert_int_equal(one->diags.items[i].span.off, two->diags.items[i].span.off);
    assert_int_equal(one->diags.items[i].level, two->diags.items[i].level);
  }
  assert_int_equal(one->prog->nitems, two->prog->nitems);
  assert_int_equal(one->prog->ncomments, two->prog->ncomments);
  bool cut = false;
  if (one->diags.n == 0) {
    char *a = fmt_program(one->prog), *b = fmt_program(two->prog);
    assert_string_equal(a, b);
    free(a);
    free(b);
    const Process *first = NULL, *last = NULL;
    for (uint32_t i = 0; i < two->prog->nitems; i++)
      if (two->prog->items[i].kind == I_PROCESS) {
        if (!first) first = two->prog->items[i].u.proc;
        last = two->prog->items[i].u.proc;
      }
    assert_non_null(first);
    assert_string_equal(first->name.s, last->name.s);
    cut = first->name.s != last->name.s;
  }
  parsed_free(one);
  parsed_free(two);
  return cut;
}

static void test_large_file_in_two_halves(void **state) {
  (void)state;
  size_t len;
  char *unit = read_file("samples/two_stage_approval.bp", &len);
  assert_non_null(unit);
  /* about 350 KB: past the size at which the parse is cut */
  char *text = copies(unit, 300, 0, NULL);
  assert_true(same_on_two_threads(text));
  free(text);
  /* a syntax error in the first half, in the second: every message as on one thread */
  const char *broken = "process broken {\n  x = \n  if { }\n}\n";
  text = copies(unit, 300, 20, broken);
  same_on_two_threads(text);
  free(text);
  text = copies(unit, 300, 280, broken);
  same_on_two_threads(text);
  free(text);
  /* the line where the cut is tried is inside an open block */
  text = copies(unit, 300, 140, "process open {\n  if true {\n");
  same_on_two_threads(text);
  free(text);
  /* a lexical error (a string not closed) in the second half */
  text = copies(unit, 300, 200, "process s {\n  log \"open\n}\n");
  same_on_two_threads(text);
  free(text);
  free(unit);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_samples_parse_cleanly),
      cmocka_unit_test(test_empty_file),
      cmocka_unit_test(test_node_sizes),
      cmocka_unit_test(test_document),
      cmocka_unit_test(test_one_line_document),
      cmocka_unit_test(test_action),
      cmocka_unit_test(test_process_header_and_members),
      cmocka_unit_test(test_triggers),
      cmocka_unit_test(test_simple_statements),
      cmocka_unit_test(test_if_chain),
      cmocka_unit_test(test_loops),
      cmocka_unit_test(test_parallel),
      cmocka_unit_test(test_states),
      cmocka_unit_test(test_approval_with_every_clause),
      cmocka_unit_test(test_human_kinds_and_modes),
      cmocka_unit_test(test_human_clause_errors),
      cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_literals_and_calls),
      cmocka_unit_test(test_expression_spans),
      cmocka_unit_test(test_statement_words_as_names),
      cmocka_unit_test(test_statement_word_starting_a_line_is_a_keyword),
      cmocka_unit_test(test_negative_vote_percentage_parses),
      cmocka_unit_test(test_comparisons_do_not_chain),
      cmocka_unit_test(test_five_errors_on_five_lines),
      cmocka_unit_test(test_expected_tokens_named),
      cmocka_unit_test(test_unclosed_block),
      cmocka_unit_test(test_end_of_file_in_statement),
      cmocka_unit_test(test_bad_line_with_block_is_skipped_whole),
      cmocka_unit_test(test_error_inside_one_line_block),
      cmocka_unit_test(test_lexical_error_not_reported_twice),
      cmocka_unit_test(test_one_message_a_line),
      cmocka_unit_test(test_recovery_inside_interpolation),
      cmocka_unit_test(test_bad_items_recovered),
      cmocka_unit_test(test_ten_thousand_nested_blocks),
      cmocka_unit_test(test_nesting_at_the_limit),
      cmocka_unit_test(test_deep_expressions),
      cmocka_unit_test(test_unbalanced_braces),
      cmocka_unit_test(test_large_file_in_two_halves),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
