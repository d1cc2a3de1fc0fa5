/* test_ir_text.c — the textual form of IR payloads (ir_text.h), which `bpc
 * export --bpmn` writes into bpc:ir attributes and the importer reads back:
 * every expression kind survives a write and a read unchanged, and text that
 * is not a valid form (unclosed, too deep, unknown names, indices out of
 * range, wrong types) is refused with a reason, never half-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ir.h"
#include "ir_text.h"
#include "util.h"

typedef struct Fix {
  IrProgram *ir;
  IrProc *p;
  uint16_t n, who, r; /* param n: int; param who: users; result r */
} Fix;

static Fix fix_new(void) {
  Fix F;
  F.ir = ir_new("t.bpmn");
  ir_reserve(F.ir, 1, 0, 1);
  IrDoc *d = ir_doc(F.ir, "Doc", 1);
  d->fields[0].name = "title";
  d->fields[0].type = &type_string;
  F.p = ir_proc(F.ir, "p");
  F.p->doc = 0;
  F.n = ir_param(F.ir, F.p, "n", &type_int, NULL)->slot;
  F.who = ir_param(F.ir, F.p, "who", &type_users, NULL)->slot;
  F.r = ir_slot(F.ir, F.p, "r", &type_approve_result, IR_SLOT_RESULT);
  return F;
}

static char *text_of(const IrExpr *e) {
  StrBuf b;
  sb_init(&b);
  ir_text_expr(&b, e);
  return sb_take(&b);
}

/* Written, read back, written again: the same text. */
static void assert_round_trip(Fix *F, IrExpr *e) {
  char *t1 = text_of(e);
  const char *err = NULL;
  IrSx *x = ir_sx_parse(&F->ir->arena, t1, &err);
  assert_non_null(x);
  IrExpr *back = ir_text_read_expr(F->ir, F->p, x, &err);
  assert_null(err);
  assert_non_null(back);
  assert_ptr_equal(back->type, e->type);
  assert_int_equal(back->kind, e->kind);
  char *t2 = text_of(back);
  assert_string_equal(t1, t2);
  free(t1);
  free(t2);
}

static void test_every_kind_round_trips(void **state) {
  (void)state;
  Fix F = fix_new();
  IrProgram *ir = F.ir;
  IrExpr **parts = ir_exprs(ir, 3);
  parts[0] = ir_expr_string(ir, "a \"q\" \\ \n\t\x01 \xd0\x96", 14);
  parts[1] = ir_expr_field(ir, &type_string, 0);
  parts[2] = ir_expr_member(ir, ir_expr_slot(ir, F.p, F.r), "percent");
  assert_round_trip(&F, ir_expr_text(ir, parts, 3));
  assert_round_trip(&F, ir_expr_decimal(ir, -1250, 2));
  assert_round_trip(&F, ir_expr_duration(ir, 3 * 86400));
  assert_round_trip(&F, ir_expr_bool(ir, true));
  IrExpr **items = ir_exprs(ir, 2);
  items[0] = ir_expr_int(ir, INT64_MIN);
  items[1] = ir_expr_int(ir, INT64_MAX);
  IrExpr *list = ir_expr_list(ir, &type_list_int, items, 2);
  IrExpr *in = ir_expr_binary(ir, &type_bool, IR_OP_IN, ir_expr_slot(ir, F.p, F.n), list);
  IrExpr *neg = ir_expr_unary(ir, &type_bool, IR_OP_NOT, in);
  IrExpr **args = ir_exprs(ir, 1);
  args[0] = ir_expr_field(ir, &type_string, 0);
  IrExpr *call = ir_expr_call(ir, &type_int, "len", args, 1);
  assert_round_trip(&F, ir_expr_cond(ir, neg, call, ir_expr_int(ir, 0)));
  assert_round_trip(&F, ir_expr_as(ir, &type_decimal, ir_expr_slot(ir, F.p, F.n)));
  assert_round_trip(&F, ir_expr_user(ir, "u\"1", 3));
  ir_free(ir);
}

/* Each text is refused with a reason. */
static void test_bad_text_is_refused(void **state) {
  (void)state;
  static const char *const bad_sx[] = {
      "(int 1", "\"open", "(str \"\\q\")", ")", "", "(a) (b)", "(str \"\\x4\")",
  };
  static const char *const bad_expr[] = {
      "(int x)",       "(int 99999999999999999999)", "(slot 3)",        "(slot -1)",
      "(field \"string\" 1)", "(field \"int\" 0)",   "(member \"nope\" (slot 2))",
      "(member \"approved\" (int 1))", "(list \"int\" (int 1))", "(bin \"int\" (int 1))",
      "(add \"nosuchtype\" (int 1) (int 2))", "(add \"int\" (int 1))", "(dec 1 99)",
      "(text (int 1) -)", "(frobnicate)", "(if (bool 1) (int 1))", "(as \"int\" (str \"x\"))",
      "(if (int 3) (int 1) (str \"a\"))", "(add \"string\" (int 1) (int 2))", "(and \"bool\" (int 1) (bool 1))",
      "(list \"list of int\" (str \"a\"))", "(not \"bool\" (int 1))", "(eq \"int\" (int 1) (int 1))",
      "(user \"\")", "(user (str \"u1\"))", "(user \"a\" \"b\")",
  };
  Fix F = fix_new();
  for (size_t i = 0; i < sizeof bad_sx / sizeof bad_sx[0]; i++) {
    const char *err = NULL;
    assert_null(ir_sx_parse(&F.ir->arena, bad_sx[i], &err));
    assert_non_null(err);
  }
  for (size_t i = 0; i < sizeof bad_expr / sizeof bad_expr[0]; i++) {
    const char *err = NULL;
    IrSx *x = ir_sx_parse(&F.ir->arena, bad_expr[i], &err);
    assert_non_null(x);
    IrExpr *e = ir_text_read_expr(F.ir, F.p, x, &err);
    if (e || !err) fail_msg("accepted: %s", bad_expr[i]);
  }
  /* nesting: 64 levels are read, 65 are not */
  StrBuf b;
  sb_init(&b);
  for (int i = 0; i < 65; i++) sb_putc(&b, '(');
  for (int i = 0; i < 65; i++) sb_putc(&b, ')');
  const char *err = NULL;
  assert_null(ir_sx_parse(&F.ir->arena, b.data, &err));
  assert_string_equal(err, "the text nests too deep");
  sb_free(&b);
  ir_free(F.ir);
}

/* A whole process and a human step: written, read into a fresh program, written again. */
static void test_process_and_node_round_trip(void **state) {
  (void)state;
  Fix F = fix_new();
  IrProgram *ir = F.ir;
  F.p->title = "The title";
  ir_var(ir, F.p, "count", &type_int, ir_expr_int(ir, 5));
  IrNode *n = ir_node(ir, F.p, IR_APPROVE, "approve_1", 0, 0);
  IrExpr *who = ir_expr_slot(ir, F.p, F.who);
  n->title = "Vote";
  n->u.human->who = ir_who(ir, 1, &who);
  n->u.human->title = ir_expr_string(ir, "Vote", 4);
  n->u.human->mode = IR_MODE_VOTE;
  n->u.human->vote = ir_expr_slot(ir, F.p, F.n);
  n->u.human->result = F.r;
  StrBuf prog, proc, node;
  sb_init(&prog), sb_init(&proc), sb_init(&node);
  ir_text_program(&prog, ir);
  ir_text_proc(&proc, F.p);
  ir_text_node(&node, n, "renamed", NULL);
  assert_non_null(strstr(node.data, "(id \"approve_1\")"));

  IrProgram *ir2 = ir_new("back.bpmn");
  const char *err = NULL;
  assert_true(ir_text_read_program(ir2, ir_sx_parse(&ir2->arena, prog.data, &err), 1, &err));
  IrProc *p2 = ir_proc(ir2, "p");
  assert_true(ir_text_read_proc(ir2, p2, ir_sx_parse(&ir2->arena, proc.data, &err), &err));
  IrSx *nx = ir_sx_parse(&ir2->arena, node.data, &err);
  IrNodeKind kind;
  assert_true(ir_text_node_kind(nx, &kind));
  assert_int_equal(kind, IR_APPROVE);
  assert_string_equal(ir_text_node_id(nx), "approve_1");
  IrNode *n2 = ir_node(ir2, p2, kind, ir_text_node_id(nx), 0, 0);
  assert_true(ir_text_read_node(ir2, p2, n2, nx, &err));
  StrBuf proc2, node2;
  sb_init(&proc2), sb_init(&node2);
  ir_text_proc(&proc2, p2);
  ir_text_node(&node2, n2, "renamed", NULL);
  assert_string_equal(proc.data, proc2.data);
  assert_string_equal(node.data, node2.data);

  /* the result slot must be of the step's result type */
  char *wrong = xstrdup(node.data);
  char *at = strstr(wrong, "(result 2)");
  assert_non_null(at);
  at[8] = '0'; /* slot 0 is the int parameter n */
  IrNode *n3 = ir_node(ir2, p2, kind, "approve_2", 0, 0);
  assert_false(ir_text_read_node(ir2, p2, n3, ir_sx_parse(&ir2->arena, wrong, &err), &err));
  assert_string_equal(err, "a step's result slot is not of its result type");
  free(wrong);
  sb_free(&prog), sb_free(&proc), sb_free(&node), sb_free(&proc2), sb_free(&node2);
  ir_free(ir2);
  ir_free(ir);
}

/* The payloads other branches added: a timer trigger's schedule, `after` handlers, a try,
 * a throw, a message wait. Each goes through text and back unchanged; each broken
 * text is refused with its reason. */
typedef struct Back {
  IrProgram *ir;
  IrProc *p;
  const char *err;
} Back;

/* Reads the program and process text of F into a new program. */
static Back back_of(Fix *F) {
  StrBuf prog, proc;
  sb_init(&prog), sb_init(&proc);
  ir_text_program(&prog, F->ir);
  ir_text_proc(&proc, F->p);
  Back B = {ir_new("back.bpmn"), NULL, NULL};
  assert_true(ir_text_read_program(B.ir, ir_sx_parse(&B.ir->arena, prog.data, &B.err), 1, &B.err));
  B.p = ir_proc(B.ir, "p");
  if (!ir_text_read_proc(B.ir, B.p, ir_sx_parse(&B.ir->arena, proc.data, &B.err), &B.err)) B.p = NULL;
  sb_free(&prog), sb_free(&proc);
  return B;
}

/* A node's text read into B: NULL with B->err when refused. */
static IrNode *node_back(Back *B, const char *text) {
  IrSx *x = ir_sx_parse(&B->ir->arena, text, &B->err);
  IrNodeKind kind;
  assert_non_null(x);
  assert_true(ir_text_node_kind(x, &kind));
  IrNode *n = ir_node(B->ir, B->p, kind, NULL, 0, 0);
  B->err = NULL;
  return ir_text_read_node(B->ir, B->p, n, x, &B->err) ? n : NULL;
}

static char *node_text(const IrNode *n) {
  StrBuf b;
  sb_init(&b);
  ir_text_node(&b, n, n->id, NULL);
  return sb_take(&b);
}

/* text with its first `from` replaced by `to` (which must be there) */
static char *edited(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);
  if (!at) fail_msg("no `%s` in %s", from, text);
  StrBuf b;
  sb_init(&b);
  sb_putn(&b, text, (size_t)(at - text));
  sb_puts(&b, to);
  sb_puts(&b, at + strlen(from));
  return sb_take(&b);
}

static void assert_refused(Back *B, const char *text, const char *from, const char *to, const char *why) {
  char *t = edited(text, from, to);
  if (node_back(B, t)) fail_msg("accepted: %s", t);
  assert_string_equal(B->err, why);
  free(t);
}

static void test_new_payloads_round_trip(void **state) {
  (void)state;
  Fix F = fix_new();
  IrProgram *ir = F.ir;
  F.p->trigger.kind = IR_TRIG_TIMER;
  F.p->trigger.schedule = "R3/PT10H";
  uint16_t code = ir_slot(ir, F.p, "code", &type_string, IR_SLOT_HIDDEN);
  ir_slot(ir, F.p, "message", &type_string, IR_SLOT_HIDDEN);
  uint16_t note = ir_slot(ir, F.p, "note", &type_string, IR_SLOT_VAR);

  IrNode *task = ir_node(ir, F.p, IR_TASK, "task_1", 0, 0);
  IrExpr *who = ir_expr_user(ir, "kim", 3);
  task->u.human->who = ir_who(ir, 1, &who);
  task->u.human->result = -1;
  IrHuman *h = task->u.human;
  h->nafters = 2;
  h->after_delay = ir_exprs(ir, 2), h->after_every = ir_exprs(ir, 2), h->after_times = ir_exprs(ir, 2);
  h->after_entry = arena_alloc(&ir->arena, 2 * sizeof *h->after_entry);
  h->after_delay[0] = ir_expr_duration(ir, 172800), h->after_every[0] = ir_expr_duration(ir, 86400);
  h->after_times[0] = ir_expr_int(ir, 3);
  h->after_delay[1] = ir_expr_duration(ir, 3600), h->after_every[1] = NULL, h->after_times[1] = NULL;

  IrNode *try_ = ir_node(ir, F.p, IR_TRY, "try_1", 0, 0);
  try_->u.try_.slot = code;
  IrNode *end = ir_node(ir, F.p, IR_TRY_END, "try_end_1", 0, 0);
  IrNode *thr = ir_node(ir, F.p, IR_THROW, "throw_1", 0, 0);
  thr->u.throw_.code = ir_expr_string(ir, "late", 4);
  thr->u.throw_.message = ir_expr_field(ir, &type_string, 0);
  IrNode *rcv = ir_node(ir, F.p, IR_RECEIVE, "receive_1", 0, 0);
  rcv->u.receive.name = "paid";
  rcv->u.receive.nfields = 2;
  rcv->u.receive.fields = arena_alloc(&ir->arena, 2 * sizeof(IrReqField));
  rcv->u.receive.fields[0] = (IrReqField){"note", "", &type_string, true, note};
  rcv->u.receive.fields[1] = (IrReqField){"title", "Title", &type_string, false, 0};

  Back B = back_of(&F);
  assert_non_null(B.p);
  assert_int_equal(B.p->trigger.kind, IR_TRIG_TIMER);
  assert_string_equal(B.p->trigger.schedule, "R3/PT10H");
  IrNode *const nodes[] = {task, try_, end, thr, rcv};
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
    char *t1 = node_text(nodes[i]);
    IrNode *n2 = node_back(&B, t1);
    if (!n2) fail_msg("refused (%s): %s", B.err, t1);
    n2->id = nodes[i]->id;
    char *t2 = node_text(n2);
    assert_string_equal(t1, t2);
    free(t2);
    free(t1);
  }

  char *t = node_text(task);
  assert_refused(&B, t, "(dur 86400) (int 3)", "- (int 3)", "an `after` handler has a count of runs but no period");
  assert_refused(&B, t, "(dur 172800)", "-", "an `after` handler has no delay");
  assert_refused(&B, t, "(dur 172800)", "(int 2)", "a time is not a duration, date or datetime where one is wanted");
  assert_refused(&B, t, "(int 3)", "(str \"3\")", "an `after` handler's count is not an int");
  assert_refused(&B, t, "(after (", "(after (- ", "an `after` handler is not (delay every times)");
  assert_refused(&B, t, "(after (", "(after (frob) (", "an `after` handler is not (delay every times)");
  free(t);
  t = node_text(try_);
  assert_refused(&B, t, "(slot 3)", "(slot 4)", "a try's slots are out of range or not hidden");
  assert_refused(&B, t, "(slot 3)", "(slot 2)", "a try's slots are out of range or not hidden");
  free(t);
  t = node_text(thr);
  assert_refused(&B, t, "(code (str \"late\"))", "(code (int 1))", "an error code is not a string");
  assert_refused(&B, t, "(code (str \"late\"))", "", "a required expression is missing");
  free(t);
  t = node_text(rcv);
  assert_refused(&B, t, "(message \"paid\")", "(message \"\")", "a message wait has no message name");
  assert_refused(&B, t, "(message \"paid\")", "", "a message wait has no message name");
  assert_refused(&B, t, "\"string\" 1 5)", "\"string\" 1 9)", "a request field's place is out of range");
  assert_refused(&B, t, "\"string\" 0 0)", "\"int\" 0 0)", "a request field's type is not its place's");
  free(t);
  ir_free(B.ir);

  /* a timer trigger needs its schedule; no other trigger has one */
  StrBuf proc;
  sb_init(&proc);
  ir_text_proc(&proc, F.p);
  static const char *const from[] = {" (schedule \"R3/PT10H\")", "(trigger timer", "\"R3/PT10H\""};
  static const char *const to[] = {"", "(trigger manual", "\"\""};
  static const char *const why[] = {"a timer trigger has no schedule", "only a timer trigger has a schedule",
                                    "a timer trigger has no schedule"};
  for (int i = 0; i < 3; i++) {
    IrProgram *ir2 = ir_new("back.bpmn");
    const char *err = NULL;
    StrBuf prog;
    sb_init(&prog);
    ir_text_program(&prog, ir);
    assert_true(ir_text_read_program(ir2, ir_sx_parse(&ir2->arena, prog.data, &err), 1, &err));
    char *bad = edited(proc.data, from[i], to[i]);
    assert_false(ir_text_read_proc(ir2, ir_proc(ir2, "p"), ir_sx_parse(&ir2->arena, bad, &err), &err));
    assert_string_equal(err, why[i]);
    free(bad);
    sb_free(&prog);
    ir_free(ir2);
  }
  sb_free(&proc);
  ir_free(ir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_kind_round_trips),
      cmocka_unit_test(test_bad_text_is_refused),
      cmocka_unit_test(test_process_and_node_round_trip),
      cmocka_unit_test(test_new_payloads_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
