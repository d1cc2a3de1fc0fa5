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
  n->u.human.who = ir_who(ir, 1, &who);
  n->u.human.title = ir_expr_string(ir, "Vote", 4);
  n->u.human.mode = IR_MODE_VOTE;
  n->u.human.vote = ir_expr_slot(ir, F.p, F.n);
  n->u.human.result = F.r;
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_kind_round_trips),
      cmocka_unit_test(test_bad_text_is_refused),
      cmocka_unit_test(test_process_and_node_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
