/* test_tobp.c — `bpc import`'s structuring (compiler/import/tobp) on graphs
 * built by hand through the IR builder, as an importer builds them: a
 * sequence with a choice, a loop, a fork and join, an event race, each
 * printed as exact .bp text; unstructured graphs (a join of paths from
 * different arms, a loop with a second entry, a back edge out of a branch)
 * refused naming the node where the structure breaks. And .bp programs
 * lowered to the IR and printed back: the text compiles, and printing it
 * again gives the same text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ir.h"
#include "support.h"
#include "tobp.h"
#include "util.h"

typedef struct Build {
  IrProgram *ir;
  IrProc *p;
  uint16_t x;    /* param x: int = 0 */
  uint16_t boss; /* param boss: user */
  uint16_t i;    /* var i: int = 0 */
} Build;

static Build build_new(void) {
  Build B;
  B.ir = ir_new("built.bpmn");
  ir_reserve(B.ir, 0, 0, 1);
  B.p = ir_proc(B.ir, "p");
  B.x = ir_param(B.ir, B.p, "x", &type_int, ir_expr_int(B.ir, 0))->slot;
  B.boss = ir_param(B.ir, B.p, "boss", &type_user, NULL)->slot;
  B.i = ir_var(B.ir, B.p, "i", &type_int, ir_expr_int(B.ir, 0))->slot;
  return B;
}

static IrNode *node(Build *B, IrNodeKind kind, const char *id) { return ir_node(B->ir, B->p, kind, id, 7, 0); }

static IrNode *log_node(Build *B, const char *text) {
  IrNode *n = node(B, IR_LOG, text);
  n->u.log.text = ir_expr_string(B->ir, text, (uint32_t)strlen(text));
  return n;
}

static IrNode *task_node(Build *B, const char *id) {
  IrNode *n = node(B, IR_TASK, id);
  IrExpr *who = ir_expr_slot(B->ir, B->p, B->boss);
  n->u.human->who = ir_who(B->ir, 1, &who);
  n->u.human->title = ir_expr_string(B->ir, id, (uint32_t)strlen(id));
  n->u.human->result = -1;
  return n;
}

static IrNode *increment(Build *B, const char *id) {
  IrNode *n = node(B, IR_ASSIGN, id);
  n->u.assign.to_slot = true;
  n->u.assign.index = B->i;
  n->u.assign.type = &type_int;
  n->u.assign.value = ir_expr_binary(B->ir, &type_int, IR_OP_ADD, ir_expr_slot(B->ir, B->p, B->i),
                                     ir_expr_int(B->ir, 1));
  return n;
}

static IrExpr *compare(Build *B, uint16_t slot, IrBinaryOp op, int64_t k) {
  return ir_expr_binary(B->ir, &type_bool, op, ir_expr_slot(B->ir, B->p, slot), ir_expr_int(B->ir, k));
}

static void flow(Build *B, IrNode *a, IrNode *b) { ir_edge(B->ir, B->p, a, b, IR_E_FLOW, NULL); }

/* Finishes the program and prints it; NULL with *err when refused. */
static char *print(Build *B, TobpError *err) {
  if (!ir_finish(B->ir)) {
    char buf[300];
    ir_error_text(B->ir, &B->ir->errors[0], buf, sizeof buf);
    fail_msg("ir_finish: %s", buf);
  }
  return tobp_program(B->ir, false, err);
}

/* The printed text equals want, and compiles. */
static void expect_text(Build *B, const char *want) {
  TobpError err;
  char *text = print(B, &err);
  if (!text) fail_msg("refused: %s: %s", err.node ? err.node : "-", err.message);
  if (strcmp(text, want) != 0) fail_msg("printed:\n%s\nwanted:\n%s", text, want);
  Compiled c = compile_text(text);
  compiled_free(&c);
  free(text);
  ir_free(B->ir);
}

/* Refused, naming node `id`, with a message containing `why`. */
static void expect_refusal(Build *B, const char *id, const char *why) {
  TobpError err;
  char *text = print(B, &err);
  if (text) fail_msg("printed, though it should be refused:\n%s", text);
  assert_non_null(err.node);
  if (strcmp(err.node, id) != 0 || !strstr(err.message, why))
    fail_msg("refused at %s: %s (wanted %s: ...%s...)", err.node, err.message, id, why);
  assert_int_equal(err.line, 7);
  ir_free(B->ir);
}

static const char header[] = "process p {\n  param x: int = 0\n  param boss: user\n  var i: int = 0\n";

static char *with_header(const char *body) {
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, header);
  sb_puts(&b, body);
  sb_puts(&b, "}\n");
  return sb_take(&b);
}

/* start -> task -> choice (x > 0: log a; x < 0: log b; else log c) -> merge -> log d -> end */
static void test_prints_a_choice(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *t = task_node(&B, "Check"), *c = node(&B, IR_CHOICE, "c");
  IrNode *a = log_node(&B, "a"), *b = log_node(&B, "b"), *cc = log_node(&B, "neither"), *m = node(&B, IR_MERGE, "m");
  IrNode *d = log_node(&B, "d"), *e = node(&B, IR_END, "e");
  flow(&B, s, t);
  flow(&B, t, c);
  ir_edge_cond(B.ir, B.p, c, a, 0, compare(&B, B.x, IR_OP_GT, 0), NULL);
  ir_edge_cond(B.ir, B.p, c, b, 1, compare(&B, B.x, IR_OP_LT, 0), NULL);
  ir_edge(B.ir, B.p, c, cc, IR_E_ELSE, NULL);
  flow(&B, a, m);
  flow(&B, b, m);
  flow(&B, cc, m);
  flow(&B, m, d);
  flow(&B, d, e);
  char *want = with_header("  task boss \"Check\"\n"
                           "  if x > 0 {\n    log \"a\"\n  } else if x < 0 {\n    log \"b\"\n  } else {\n"
                           "    log \"neither\"\n  }\n  log \"d\"\n");
  expect_text(&B, want);
  free(want);
}

/* An arm that ends the instance need not meet the others; one that goes
 * straight to the meeting point is an empty arm, printed as `if not`. */
static void test_prints_an_arm_that_terminates(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *c = node(&B, IR_CHOICE, "c"), *t = node(&B, IR_TERMINATE, "t");
  IrNode *c2 = node(&B, IR_CHOICE, "c2"), *a = log_node(&B, "a"), *m = node(&B, IR_MERGE, "m");
  IrNode *e = node(&B, IR_END, "e");
  t->u.terminate.reason = ir_expr_string(B.ir, "no", 2);
  flow(&B, s, c);
  ir_edge_cond(B.ir, B.p, c, t, 0, compare(&B, B.x, IR_OP_EQ, 5), NULL);
  ir_edge(B.ir, B.p, c, c2, IR_E_ELSE, NULL);
  ir_edge_cond(B.ir, B.p, c2, m, 0, compare(&B, B.x, IR_OP_EQ, 1), NULL);
  ir_edge(B.ir, B.p, c2, a, IR_E_ELSE, NULL);
  flow(&B, a, m);
  flow(&B, m, e);
  char *want = with_header("  if x == 5 { terminate \"no\" }\n  if x != 1 { log \"a\" }\n");
  expect_text(&B, want);
  free(want);
}

/* start -> h: choice (i < 3: i = i + 1 -> h; else end): a while loop */
static void test_prints_a_while_loop(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *h = node(&B, IR_MERGE, "h"), *c = node(&B, IR_CHOICE, "c");
  IrNode *inc = increment(&B, "inc"), *t = task_node(&B, "Again"), *e = node(&B, IR_END, "e");
  flow(&B, s, h);
  flow(&B, h, c);
  ir_edge_cond(B.ir, B.p, c, inc, 0, compare(&B, B.i, IR_OP_LT, 3), NULL);
  ir_edge(B.ir, B.p, c, e, IR_E_ELSE, NULL);
  flow(&B, inc, t);
  flow(&B, t, h);
  char *want = with_header("  while i < 3 {\n    i = i + 1\n    task boss \"Again\"\n  }\n");
  expect_text(&B, want);
  free(want);
}

/* A loop tested at its end, left from the middle too: loop { } with break */
static void test_prints_a_loop_with_two_exits(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *h = task_node(&B, "Work"), *c = node(&B, IR_CHOICE, "c");
  IrNode *inc = increment(&B, "inc"), *c2 = node(&B, IR_CHOICE, "c2"), *out = log_node(&B, "out");
  IrNode *e = node(&B, IR_END, "e");
  flow(&B, s, h);
  flow(&B, h, c);
  ir_edge_cond(B.ir, B.p, c, out, 0, compare(&B, B.x, IR_OP_GT, 9), NULL);
  ir_edge(B.ir, B.p, c, inc, IR_E_ELSE, NULL);
  flow(&B, inc, c2);
  ir_edge_cond(B.ir, B.p, c2, h, 0, compare(&B, B.i, IR_OP_LT, 3), NULL);
  ir_edge(B.ir, B.p, c2, out, IR_E_ELSE, NULL);
  flow(&B, out, e);
  /* only == and != are flipped when a condition is negated: `not i < 3` */
  char *want = with_header("  loop {\n    task boss \"Work\"\n    if x > 9 { break }\n    i = i + 1\n"
                           "    if not i < 3 { break }\n  }\n  log \"out\"\n");
  expect_text(&B, want);
  free(want);
}

/* fork -> (task, log) -> join -> log */
static void test_prints_a_parallel_block(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *f = node(&B, IR_FORK, "f"), *t = task_node(&B, "One");
  IrNode *a = log_node(&B, "two"), *j = node(&B, IR_JOIN, "j"), *d = log_node(&B, "done");
  IrNode *e = node(&B, IR_END, "e");
  flow(&B, s, f);
  ir_edge(B.ir, B.p, f, t, IR_E_FLOW, NULL)->arm = 0;
  ir_edge(B.ir, B.p, f, a, IR_E_FLOW, NULL)->arm = 1;
  flow(&B, t, j);
  flow(&B, a, j);
  flow(&B, j, d);
  flow(&B, d, e);
  char *want = with_header("  parallel {\n    branch { task boss \"One\" }\n    branch { log \"two\" }\n  }\n"
                           "  log \"done\"\n");
  expect_text(&B, want);
  free(want);
}

/* With ids, each statement made from a node ends in a comment naming it; a
 * block holding one is not folded onto one line. */
static void test_prints_the_ids_as_comments(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *f = node(&B, IR_FORK, "Gateway_1"), *t = task_node(&B, "One");
  IrNode *a = log_node(&B, "two"), *j = node(&B, IR_JOIN, "j"), *e = node(&B, IR_END, "e");
  flow(&B, s, f);
  ir_edge(B.ir, B.p, f, t, IR_E_FLOW, NULL)->arm = 0;
  ir_edge(B.ir, B.p, f, a, IR_E_FLOW, NULL)->arm = 1;
  flow(&B, t, j);
  flow(&B, a, j);
  flow(&B, j, e);
  assert_true(ir_finish(B.ir));
  TobpError err;
  char *text = tobp_program(B.ir, true, &err);
  assert_non_null(text);
  char *want = with_header("  parallel {  # Gateway_1\n    branch {\n      task boss \"One\"  # One\n    }\n"
                           "    branch {\n      log \"two\"  # two\n    }\n  }\n");
  if (strcmp(text, want) != 0) fail_msg("printed:\n%s\nwanted:\n%s", text, want);
  Compiled c = compile_text(text); /* and `bpc fmt` keeps it: checked by tests/import/tobp.sh */
  compiled_free(&c);
  free(text);
  free(want);
  ir_free(B.ir);
}

/* An event gateway over a task and a timer; what follows the timer waits
 * (a task), so it runs after the race, picked by the winning branch. */
static void test_prints_an_event_race(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *w = node(&B, IR_EVENT_WAIT, "w"), *t = task_node(&B, "Decide");
  IrNode *timer = node(&B, IR_WAIT, "timer"), *late = task_node(&B, "Late"), *m = node(&B, IR_MERGE, "m");
  IrNode *d = log_node(&B, "done"), *e = node(&B, IR_END, "e");
  timer->u.wait.value = ir_expr_duration(B.ir, 2 * 86400 + 3600);
  flow(&B, s, w);
  ir_edge(B.ir, B.p, w, t, IR_E_FLOW, NULL)->arm = 0;
  ir_edge(B.ir, B.p, w, timer, IR_E_FLOW, NULL)->arm = 1;
  flow(&B, t, m);
  flow(&B, timer, late);
  flow(&B, late, m);
  flow(&B, m, d);
  flow(&B, d, e);
  char *want = with_header("  var first: int\n  parallel any {\n    branch {\n      task boss \"Decide\"\n"
                           "      first = 1\n    }\n    branch {\n      wait 2d1h\n      first = 2\n    }\n  }\n"
                           "  if first == 2 { task boss \"Late\" }\n  log \"done\"\n");
  expect_text(&B, want);
  free(want);
}

/* The same race with instantaneous continuations: they stay in the branches. */
static void test_prints_an_instant_race(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *w = node(&B, IR_EVENT_WAIT, "w"), *t = task_node(&B, "Decide");
  IrNode *timer = node(&B, IR_WAIT, "timer"), *late = log_node(&B, "late"), *e = node(&B, IR_END, "e");
  IrNode *e2 = node(&B, IR_END, "e2");
  timer->u.wait.value = ir_expr_duration(B.ir, 30 * 60);
  flow(&B, s, w);
  ir_edge(B.ir, B.p, w, t, IR_E_FLOW, NULL)->arm = 0;
  ir_edge(B.ir, B.p, w, timer, IR_E_FLOW, NULL)->arm = 1;
  flow(&B, t, e);
  flow(&B, timer, late);
  flow(&B, late, e2);
  char *want = with_header("  parallel any {\n    branch { task boss \"Decide\" }\n    branch {\n      wait 30m\n"
                           "      log \"late\"\n    }\n  }\n");
  expect_text(&B, want);
  free(want);
}

/* choice (a: A -> choice2 (X | end1); b: B -> X); X -> end2: X is reached
 * from both arms but the arms do not meet (arm a may end first): refused at X. */
static void test_refuses_a_join_of_two_arms(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *c = node(&B, IR_CHOICE, "c"), *a = log_node(&B, "A");
  IrNode *b = log_node(&B, "B"), *c2 = node(&B, IR_CHOICE, "c2"), *x = log_node(&B, "X");
  IrNode *e1 = node(&B, IR_END, "e1"), *e2 = node(&B, IR_END, "e2");
  flow(&B, s, c);
  ir_edge_cond(B.ir, B.p, c, a, 0, compare(&B, B.x, IR_OP_GT, 0), NULL);
  ir_edge(B.ir, B.p, c, b, IR_E_ELSE, NULL);
  flow(&B, a, c2);
  ir_edge_cond(B.ir, B.p, c2, x, 0, compare(&B, B.x, IR_OP_GT, 5), NULL);
  ir_edge(B.ir, B.p, c2, e1, IR_E_ELSE, NULL);
  flow(&B, b, x);
  flow(&B, x, e2);
  expect_refusal(&B, "X", "not one block");
}

/* The same through a merge point: the merge is named. */
static void test_refuses_a_merge_of_two_arms(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *c = node(&B, IR_CHOICE, "c"), *a = log_node(&B, "A");
  IrNode *b = log_node(&B, "B"), *c2 = node(&B, IR_CHOICE, "c2"), *m = node(&B, IR_MERGE, "M");
  IrNode *x = log_node(&B, "X"), *e1 = node(&B, IR_END, "e1"), *e2 = node(&B, IR_END, "e2");
  flow(&B, s, c);
  ir_edge_cond(B.ir, B.p, c, a, 0, compare(&B, B.x, IR_OP_GT, 0), NULL);
  ir_edge(B.ir, B.p, c, b, IR_E_ELSE, NULL);
  flow(&B, a, c2);
  ir_edge_cond(B.ir, B.p, c2, m, 0, compare(&B, B.x, IR_OP_GT, 5), NULL);
  ir_edge(B.ir, B.p, c2, e1, IR_E_ELSE, NULL);
  flow(&B, b, m);
  flow(&B, m, x);
  flow(&B, x, e2);
  expect_refusal(&B, "M", "meet here");
}

/* choice (x > 0: A; else B); A -> B; B -> c3 (i < 3: inc -> A; else end):
 * the cycle A, B, c3, inc is entered at A and at B. */
static void test_refuses_a_loop_entered_twice(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *c = node(&B, IR_CHOICE, "c"), *a = log_node(&B, "A");
  IrNode *b = log_node(&B, "B"), *c3 = node(&B, IR_CHOICE, "c3"), *inc = increment(&B, "inc");
  IrNode *e = node(&B, IR_END, "e");
  flow(&B, s, c);
  ir_edge_cond(B.ir, B.p, c, a, 0, compare(&B, B.x, IR_OP_GT, 0), NULL);
  ir_edge(B.ir, B.p, c, b, IR_E_ELSE, NULL);
  flow(&B, a, b);
  flow(&B, b, c3);
  ir_edge_cond(B.ir, B.p, c3, inc, 0, compare(&B, B.i, IR_OP_LT, 3), NULL);
  ir_edge(B.ir, B.p, c3, e, IR_E_ELSE, NULL);
  flow(&B, inc, a);
  expect_refusal(&B, "B", "also entered here");
}

/* A loop with two exits that meet only at the end of the flow: the path out
 * that has more steps runs them inside the loop, then breaks. */
static void test_prints_a_break_with_steps_before_it(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *h = node(&B, IR_MERGE, "h"), *c = node(&B, IR_CHOICE, "c");
  IrNode *c2 = node(&B, IR_CHOICE, "c2"), *inc = increment(&B, "inc"), *after = log_node(&B, "after");
  IrNode *e = node(&B, IR_END, "e"), *quit = node(&B, IR_END, "quit");
  flow(&B, s, h);
  flow(&B, h, c);
  ir_edge_cond(B.ir, B.p, c, quit, 0, compare(&B, B.x, IR_OP_EQ, 1), NULL);
  ir_edge(B.ir, B.p, c, inc, IR_E_ELSE, NULL);
  flow(&B, inc, c2);
  ir_edge_cond(B.ir, B.p, c2, h, 0, compare(&B, B.i, IR_OP_LT, 3), NULL);
  ir_edge(B.ir, B.p, c2, after, IR_E_ELSE, NULL);
  flow(&B, after, e);
  char *want = with_header("  while x != 1 {\n    i = i + 1\n    if not i < 3 {\n      log \"after\"\n"
                           "      break\n    }\n  }\n");
  expect_text(&B, want);
  free(want);
}

/* 150 choices nested in each other's first arm: deeper than the printer
 * writes (MAX_NESTING, 100 blocks), refused naming the choice where it stops. */
static void test_refuses_blocks_nested_too_deep(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *prev = node(&B, IR_START, "s"), *end = node(&B, IR_END, "e");
  char id[32];
  for (int k = 0; k < 150; k++) {
    snprintf(id, sizeof id, "c%d", k);
    IrNode *c = node(&B, IR_CHOICE, ir_str(B.ir, id));
    snprintf(id, sizeof id, "no%d", k);
    IrNode *no = log_node(&B, ir_str(B.ir, id));
    flow(&B, prev, c);
    ir_edge(B.ir, B.p, c, no, IR_E_ELSE, NULL);
    flow(&B, no, end);
    IrNode *yes = node(&B, IR_MERGE, NULL);
    ir_edge_cond(B.ir, B.p, c, yes, 0, compare(&B, B.x, IR_OP_GT, k), NULL);
    prev = yes;
  }
  flow(&B, prev, end);
  TobpError err;
  char *text = print(&B, &err);
  if (text) fail_msg("printed 150 nested blocks");
  assert_non_null(strstr(err.message, "blocks nest more than 100 deep here"));
  assert_non_null(err.node);
  ir_free(B.ir);
}

/* ---- .bp lowered and printed back ---------------------------------------------- */

static const char roundtrip_text[] =
    "document Deal {\n"
    "  title: string\n"
    "  amount: decimal = 0.00\n"
    "  stage: string = \"new\"\n"
    "}\n"
    "\n"
    "action create_invoice(deal: string, amount: decimal): string\n"
    "\n"
    "process sub \"Sub\" on Deal {\n"
    "  param who: user\n"
    "  notify who \"hello {title}\"\n"
    "}\n"
    "\n"
    "process main \"Main\" on Deal {\n"
    "  start on change stage when amount > 100\n"
    "  param boss: user\n"
    "  param voters: users\n"
    "  param limit: int = 3 \"Limit\"\n"
    "  var count: int = 0\n"
    "  var note: string\n"
    "  approve voters \"Vote on {title}\" mode vote 60% due 3d -> v\n"
    "    remind 1d before { notify boss \"remind {title}\" }\n"
    "    on timeout { reassign boss due 1d }\n"
    "  if v.approved and amount >= 1000.50 {\n"
    "    create_invoice(title, amount) -> inv\n"
    "    log \"invoice {inv}\"\n"
    "  } else if v.percent < 10 {\n"
    "    terminate \"rejected\"\n"
    "  }\n"
    "  while count < limit {\n"
    "    count = count + 1\n"
    "    if count == 2 { continue }\n"
    "    log \"round {count}\"\n"
    "  }\n"
    "  for u in voters { notify u \"thanks\" }\n"
    "  parallel any {\n"
    "    branch { task boss \"Check {title}\" }\n"
    "    branch { wait 2h }\n"
    "  }\n"
    "  parallel {\n"
    "    branch { request boss \"Details\" { note: string \"Note\" } }\n"
    "    branch { wait until datetime(\"2030-01-01T10:00\") }\n"
    "  }\n"
    "  review voters \"Read\" mode any\n"
    "  start sub(who: boss)\n"
    "  stage = \"done {note}\"\n"
    "}\n";

static char *lowered_and_printed(const char *text) {
  Compiled c = compile_text(text);
  TobpError err;
  char *out = tobp_program(c.ir, false, &err);
  if (!out) fail_msg("refused: %s: %s", err.node ? err.node : "-", err.message);
  compiled_free(&c);
  return out;
}

static void test_prints_lowered_bp_back(void **state) {
  (void)state;
  char *once_ = lowered_and_printed(roundtrip_text);
  char *twice = lowered_and_printed(once_); /* compiles (asserted), and is a fixed point */
  if (strcmp(once_, twice) != 0) fail_msg("first:\n%s\nsecond:\n%s", once_, twice);
  /* the structure came back: one of each construct */
  assert_non_null(strstr(once_, "while count < limit {"));
  assert_non_null(strstr(once_, "for u in voters"));
  assert_non_null(strstr(once_, "parallel any {"));
  assert_non_null(strstr(once_, "remind 1d before"));
  assert_non_null(strstr(once_, "on timeout { reassign boss due 1d }"));
  assert_non_null(strstr(once_, "start on change stage when amount > 100"));
  free(once_);
  free(twice);
}

/* The constructs added after the printer: `after` handlers, try/catch/throw with the
 * caught error read, `wait message` alone and as a branch of a race. */
static const char roundtrip_new_text[] =
    "process p {\n"
    "  param boss: user\n"
    "  var amount: decimal\n"
    "  var note: string\n"
    "  task boss \"Sign\" -> s\n"
    "    after 2d every 1d times 3 { notify boss \"still open\" }\n"
    "    after 5d { task boss \"Look into it\" }\n"
    "  wait message paid {\n"
    "    amount: decimal\n"
    "  }\n"
    "  try {\n"
    "    task boss \"Pack\"\n"
    "    if amount > 100 { throw \"too_much\" \"over {amount}\" }\n"
    "  } catch \"too_much\", \"other\" as e {\n"
    "    note = e.message\n"
    "    log \"caught {e.code}\"\n"
    "  } catch { log \"any\" }\n"
    "  parallel any {\n"
    "    branch { task boss \"Ship\" }\n"
    "    branch { wait message \"order cancelled\" }\n"
    "  }\n"
    "}\n";

static void test_prints_new_constructs_back(void **state) {
  (void)state;
  char *once_ = lowered_and_printed(roundtrip_new_text);
  char *twice = lowered_and_printed(once_);
  if (strcmp(once_, twice) != 0) fail_msg("first:\n%s\nsecond:\n%s", once_, twice);
  const char *want[] = {"after 2d every 1d times 3 { notify boss \"still open\" }", "after 5d { task boss",
                        "wait message paid {\n    amount: decimal\n  }", "try {",
                        "throw \"too_much\" \"over {amount}\"", "} catch \"too_much\", \"other\" as e {",
                        "note = e.message", "log \"caught {e.code}\"", "} catch {\n    log \"any\"\n  }",
                        "branch { wait message \"order cancelled\" }"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    if (!strstr(once_, want[i])) fail_msg("no `%s` in:\n%s", want[i], once_);
  free(once_);
  free(twice);
}

/* Clauses that end the instance (terminate, throw) with steps after the try: the
 * try's paths meet after its block, not inside it; also inside a loop. */
static const char try_that_ends_text[] =
    "process p {\n"
    "  param boss: user\n"
    "  var n: int\n"
    "  try {\n"
    "    task boss \"Pack\"\n"
    "    n = 1\n"
    "  } catch \"late\" {\n"
    "    terminate \"late\"\n"
    "  } catch {\n"
    "    throw \"other\" \"failed\"\n"
    "  }\n"
    "  while n < 3 {\n"
    "    try {\n"
    "      task boss \"Step {n}\"\n"
    "    } catch { terminate \"step failed\" }\n"
    "    n = n + 1\n"
    "  }\n"
    "  log \"done\"\n"
    "}\n";

static void test_prints_a_try_whose_clauses_end(void **state) {
  (void)state;
  char *once_ = lowered_and_printed(try_that_ends_text);
  char *twice = lowered_and_printed(once_);
  if (strcmp(once_, twice) != 0) fail_msg("first:\n%s\nsecond:\n%s", once_, twice);
  const char *want[] = {"} catch \"late\" {\n    terminate \"late\"\n  }", "throw \"other\" \"failed\"",
                        "while n < 3 {", "terminate \"step failed\"", "n = n + 1", "log \"done\""};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    if (!strstr(once_, want[i])) fail_msg("no `%s` in:\n%s", want[i], once_);
  free(once_);
  free(twice);
}

/* Names in Cyrillic (and other letters the scanner takes) print as they are. */
static void test_prints_unicode_names(void **state) {
  (void)state;
  char *out = lowered_and_printed("document Заявка { сумма: decimal }\n"
                                  "process согласование on Заявка {\n"
                                  "  param директор: user\n"
                                  "  approve директор \"Согласовать {сумма}\" -> итог\n"
                                  "  if итог.approved { сумма = сумма + 1 }\n"
                                  "}\n");
  const char *want[] = {"document Заявка {", "сумма: decimal", "process согласование on Заявка {",
                        "param директор: user", "сумма = сумма + 1"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    if (!strstr(out, want[i])) fail_msg("no `%s` in:\n%s", want[i], out);
  free(out);
}

/* A user literal (a BPMN assignee id) has no .bp form: refused naming the user. */
static void test_refuses_a_user_literal(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *t = task_node(&B, "T"), *e = node(&B, IR_END, "e");
  IrExpr *who = ir_expr_user(B.ir, "lena", 4);
  t->u.human->who = ir_who(B.ir, 1, &who);
  flow(&B, s, t);
  flow(&B, t, e);
  expect_refusal(&B, "T", "the user `lena` is named by its id, and .bp has no user literal");
}

/* TRY around a task, its way out through TRY_END to a log the error path skips, a
 * CATCH edge to a handler that ends the flow: the log runs after the try only when
 * the block completed. */
static void test_prints_a_try_with_a_tail(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *t = node(&B, IR_TRY, "t"), *a = task_node(&B, "A");
  IrNode *leave = node(&B, IR_TRY_END, "leave"), *b = log_node(&B, "b"), *h = log_node(&B, "h");
  IrNode *e1 = node(&B, IR_END, "e1"), *e2 = node(&B, IR_END, "e2");
  t->u.try_.slot = ir_slot(B.ir, B.p, "t.code", &type_string, IR_SLOT_HIDDEN);
  ir_slot(B.ir, B.p, "t.message", &type_string, IR_SLOT_HIDDEN);
  flow(&B, s, t);
  flow(&B, t, a);
  flow(&B, a, leave);
  flow(&B, leave, b);
  flow(&B, b, e1);
  const char *codes[] = {"late"};
  ir_edge_catch(B.ir, B.p, t, h, 0, codes, 1, "late");
  flow(&B, h, e2);
  char *want = with_header("  var try_done: bool\n  try_done = false\n  try {\n    task boss \"A\"\n"
                           "    try_done = true\n  } catch \"late\" {\n    log \"h\"\n  }\n"
                           "  if try_done { log \"b\" }\n");
  expect_text(&B, want);
  free(want);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prints_a_choice),
      cmocka_unit_test(test_prints_an_arm_that_terminates),
      cmocka_unit_test(test_prints_a_try_whose_clauses_end),
      cmocka_unit_test(test_prints_unicode_names),
      cmocka_unit_test(test_prints_a_while_loop),
      cmocka_unit_test(test_prints_a_loop_with_two_exits),
      cmocka_unit_test(test_prints_a_parallel_block),
      cmocka_unit_test(test_prints_the_ids_as_comments),
      cmocka_unit_test(test_prints_an_event_race),
      cmocka_unit_test(test_prints_an_instant_race),
      cmocka_unit_test(test_refuses_a_join_of_two_arms),
      cmocka_unit_test(test_refuses_a_merge_of_two_arms),
      cmocka_unit_test(test_refuses_a_loop_entered_twice),
      cmocka_unit_test(test_prints_a_break_with_steps_before_it),
      cmocka_unit_test(test_refuses_blocks_nested_too_deep),
      cmocka_unit_test(test_prints_lowered_bp_back),
      cmocka_unit_test(test_prints_new_constructs_back),
      cmocka_unit_test(test_refuses_a_user_literal),
      cmocka_unit_test(test_prints_a_try_with_a_tail),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
