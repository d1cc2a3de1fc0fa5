/* test_ir.c — the graph IR as an importer sees it: small processes built by
 * hand through the builder (no .bp text), validated by ir_finish, compiled by
 * codegen_bundle, verified, and run through the runtime, checking the path
 * an instance takes by its `log` lines. Unstructured graphs (a loop back into
 * the middle of a branch, a join fed through a choice inside a branch, a
 * merge with several entries) must compile and run; graphs the runtime
 * cannot run (two starts, an unreachable node, a parallel join fed by an
 * exclusive choice, ...) must be refused with the node and the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bp.h"
#include "bpt.h"
#include "codegen.h"
#include "ir.h"
#include "util.h"

/* ---- building ------------------------------------------------------------------------- */

typedef struct Build {
  IrProgram *ir;
  IrProc *p;
  uint16_t x;    /* param x: int */
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

static IrNode *node(Build *B, IrNodeKind kind, const char *id) {
  return ir_node(B->ir, B->p, kind, id, 0, 0);
}

/* log "TEXT", with the text as its id too */
static IrNode *log_node(Build *B, const char *text) {
  IrNode *n = node(B, IR_LOG, text);
  n->u.log.text = ir_expr_string(B->ir, text, (uint32_t)strlen(text));
  return n;
}

/* a task for boss */
static IrNode *task_node(Build *B, const char *id) {
  IrNode *n = node(B, IR_TASK, id);
  IrExpr *who = ir_expr_slot(B->ir, B->p, B->boss);
  n->u.human->who = ir_who(B->ir, 1, &who);
  n->u.human->title = ir_expr_string(B->ir, id, (uint32_t)strlen(id));
  return n;
}

/* i = i + 1 */
static IrNode *increment(Build *B, const char *id) {
  IrNode *n = node(B, IR_ASSIGN, id);
  n->u.assign.to_slot = true;
  n->u.assign.index = B->i;
  n->u.assign.type = &type_int;
  n->u.assign.value = ir_expr_binary(B->ir, &type_int, IR_OP_ADD, ir_expr_slot(B->ir, B->p, B->i),
                                     ir_expr_int(B->ir, 1));
  return n;
}

/* slot OP k, a bool */
static IrExpr *compare(Build *B, uint16_t slot, IrBinaryOp op, int64_t k) {
  return ir_expr_binary(B->ir, &type_bool, op, ir_expr_slot(B->ir, B->p, slot), ir_expr_int(B->ir, k));
}

static void flow(Build *B, IrNode *from, IrNode *to) { ir_edge(B->ir, B->p, from, to, IR_E_FLOW, NULL); }

static void cond(Build *B, IrNode *choice, uint32_t arm, IrExpr *c, IrNode *to) {
  ir_edge_cond(B->ir, B->p, choice, to, arm, c, "cond");
}

static void otherwise(Build *B, IrNode *choice, IrNode *to) {
  ir_edge(B->ir, B->p, choice, to, IR_E_ELSE, "else");
}

/* A fork's branch: FLOW edges numbered by `arm` in branch order. */
static void branch(Build *B, IrNode *fork, uint32_t number, IrNode *to) {
  ir_edge(B->ir, B->p, fork, to, IR_E_FLOW, NULL)->arm = number;
}

/* ---- compiling and running ------------------------------------------------------------- */

typedef struct Run {
  char path[512]; /* the log lines, space-separated */
} Run;

static void on_journal(void *ud, BpInstance *inst, const BpJournal *line) {
  (void)inst;
  Run *r = ud;
  if (line->kind != BP_J_LOG) return;
  size_t n = strlen(r->path);
  snprintf(r->path + n, sizeof r->path - n, "%s%s", n ? " " : "", line->text);
}

/* The bundle of B's finished IR, read back and verified; on a failure, prints why and
 * the graph. */
static uint8_t *bundle_verified(const Build *B, size_t *len) {
  uint8_t *bytes;
  BptError err;
  const char *stage = "codegen";
  bool ok = codegen_bundle(B->ir, &bytes, len, &err);
  if (ok) {
    BptBundle b;
    assert_true(bpt_read(bytes, *len, heap_realloc, NULL, &b, &err));
    stage = "bpt_verify";
    ok = bpt_verify(&b, heap_realloc, NULL, &err);
    bpt_free(&b, heap_realloc, NULL);
  }
  if (!ok) {
    char *dump = ir_dump(B->p);
    fprintf(stderr, "%s: %s\n%s", stage, err.message, dump);
    free(dump);
  }
  assert_true(ok);
  return bytes;
}

/* ir_finish accepts it; the bundle is written, verified and read into *b; its bytes are
 * returned for the caller to free. */
static uint8_t *read_back(Build *B, BptBundle *b) {
  assert_true(ir_finish(B->ir));
  size_t len;
  uint8_t *bytes = bundle_verified(B, &len);
  BptError err;
  assert_true(bpt_read(bytes, len, heap_realloc, NULL, b, &err));
  return bytes;
}

/* ir_finish accepts it; the bundle is written, read back and verified. */
static uint8_t *compile(Build *B, size_t *len) {
  bool ok = ir_finish(B->ir);
  for (uint32_t i = 0; i < B->ir->nerrors; i++) {
    char why[512];
    ir_error_text(B->ir, &B->ir->errors[i], why, sizeof why);
    fprintf(stderr, "ir_finish: %s\n", why);
  }
  assert_true(ok);
  return bundle_verified(B, len);
}

static void *alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  (void)ud;
  (void)old_size;
  if (new_size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, new_size);
}

typedef struct Session {
  BpRuntime *rt;
  BpBundle *b;
  BpInstance *inst;
  Run run;
} Session;

/* A runtime with the bundle loaded, its log lines collected in s->run; no instance yet. */
static void session_open(Session *s, const uint8_t *bytes, size_t len) {
  memset(s, 0, sizeof *s);
  /* a small budget: random graphs may loop without waiting */
  BpConfig cfg = {.size = sizeof(BpConfig), .alloc = alloc, .ud = &s->run, .journal = on_journal, .step_budget = 20000};
  BpError err;
  assert_int_equal(bp_runtime_new(&cfg, &s->rt, &err), BP_OK);
  assert_int_equal(bp_bundle_load(s->rt, bytes, len, &s->b, &err), BP_OK);
}

/* Starts process p with x = X and boss = bob. */
static void session_start(Session *s, const uint8_t *bytes, size_t len, int64_t x) {
  session_open(s, bytes, len);
  BpError err;
  BpArg args[] = {{"x", bp_int(x)}, {"boss", bp_user("bob")}};
  BpStatus st = bp_start(s->b, "p", NULL, args, 2, NULL, &s->inst, &err);
  if (st != BP_OK) fprintf(stderr, "bp_start: %s\n", err.message);
  assert_int_equal(st, BP_OK);
}

static void session_end(Session *s) {
  bp_instance_free(s->inst);
  bp_bundle_free(s->b);
  bp_runtime_free(s->rt);
}

/* Runs the program with x = X to its end (completing boss's tasks as they
 * come) and checks the path. */
static void expect_path(const uint8_t *bytes, size_t len, int64_t x, const char *want) {
  Session s;
  session_start(&s, bytes, len, x);
  BpError err;
  for (int k = 0; k < 10 && bp_instance_status(s.inst) == BP_WAITING; k++)
    assert_int_equal(bp_complete(s.inst, 0, "bob", NULL, NULL, 0, &err), BP_OK);
  if (bp_instance_status(s.inst) != BP_COMPLETED)
    fprintf(stderr, "status %d: %s\n", bp_instance_status(s.inst), bp_instance_message(s.inst));
  assert_int_equal(bp_instance_status(s.inst), BP_COMPLETED);
  assert_string_equal(s.run.path, want);
  session_end(&s);
}

/* ir_finish refuses it, and one of its messages names node `id` and says `why`. */
static void expect_refused(Build *B, const char *id, const char *why) {
  assert_false(ir_finish(B->ir));
  bool found = false;
  for (uint32_t i = 0; i < B->ir->nerrors; i++) {
    const IrError *e = &B->ir->errors[i];
    if ((id ? e->node && strcmp(e->node, id) == 0 : !e->node) && strstr(e->message, why))
      found = true;
  }
  if (!found)
    for (uint32_t i = 0; i < B->ir->nerrors; i++) {
      char text[512];
      ir_error_text(B->ir, &B->ir->errors[i], text, sizeof text);
      fprintf(stderr, "got: %s\n", text);
    }
  assert_true(found);
  /* and code generation will not compile it */
  uint8_t *bytes = NULL;
  size_t len;
  BptError err;
  assert_false(codegen_bundle(B->ir, &bytes, &len, &err));
  assert_null(bytes);
  ir_free(B->ir);
}

/* ---- graphs that compile ----------------------------------------------------------------- */

static void test_sequence(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, NULL), *a = log_node(&B, "A"), *b = log_node(&B, "B"),
         *e = node(&B, IR_END, NULL);
  flow(&B, s, a);
  flow(&B, a, b);
  flow(&B, b, e);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  assert_string_equal(s->id, "start_0"); /* ids made when none is given */
  /* A node's in-edges follow its out-edges in one array (ir_finish). */
  IrNode *nodes[] = {s, a, b, e};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(nodes[i]->nout, i < 3);
    assert_int_equal(nodes[i]->nin, i > 0);
    assert_ptr_equal(nodes[i]->in, nodes[i]->out + nodes[i]->nout);
    if (i < 3) assert_int_equal(nodes[i]->out[0], i);
    if (i > 0) assert_int_equal(nodes[i]->in[0], i - 1);
  }
  expect_path(bytes, len, 0, "A B");
  free(bytes);
  ir_free(B.ir);
}

/* A choice with two arms and a default, met by one merge with three entries. */
static void test_choice_with_default(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *c = node(&B, IR_CHOICE, "c"), *one = log_node(&B, "one"),
         *two = log_node(&B, "two"), *other = log_node(&B, "other"), *m = node(&B, IR_MERGE, "m"),
         *done = log_node(&B, "done"), *e = node(&B, IR_END, "e");
  flow(&B, s, c);
  cond(&B, c, 0, compare(&B, B.x, IR_OP_EQ, 1), one);
  cond(&B, c, 1, compare(&B, B.x, IR_OP_EQ, 2), two);
  otherwise(&B, c, other);
  flow(&B, one, m);
  flow(&B, two, m);
  flow(&B, other, m);
  flow(&B, m, done);
  flow(&B, done, e);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  expect_path(bytes, len, 1, "one done");
  expect_path(bytes, len, 2, "two done");
  expect_path(bytes, len, 3, "other done");
  free(bytes);
  ir_free(B.ir);
}

/* START -> FORK -> (a -> task, b) -> JOIN -> done: the join waits for the task. */
static void test_parallel(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *f = node(&B, IR_FORK, "f"), *a = log_node(&B, "a"),
         *t = task_node(&B, "t"), *b = log_node(&B, "b"), *j = node(&B, IR_JOIN, "j"),
         *done = log_node(&B, "done"), *e = node(&B, IR_END, "e");
  flow(&B, s, f);
  branch(&B, f, 0, a);
  branch(&B, f, 1, b);
  flow(&B, a, t);
  flow(&B, t, j);
  flow(&B, b, j);
  flow(&B, j, done);
  flow(&B, done, e);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  assert_int_equal(j->u.fork.nbranches, 2); /* computed by ir_finish */
  assert_int_equal(j->u.fork.group, f->u.fork.group);
  Session ses;
  session_start(&ses, bytes, len, 0);
  assert_int_equal(bp_instance_status(ses.inst), BP_WAITING);
  assert_string_equal(ses.run.path, "a b"); /* not done: the join waits for the task */
  session_end(&ses);
  expect_path(bytes, len, 0, "a b done");
  free(bytes);
  ir_free(B.ir);
}

/* i = 0; while i < 3 { i = i + 1; log "it" }; log "out" */
static void test_loop(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *h = node(&B, IR_MERGE, "h"), *c = node(&B, IR_CHOICE, "c"),
         *inc = increment(&B, "inc"), *it = log_node(&B, "it"), *out = log_node(&B, "out"),
         *e = node(&B, IR_END, "e");
  flow(&B, s, h);
  flow(&B, h, c);
  cond(&B, c, 0, compare(&B, B.i, IR_OP_LT, 3), inc);
  otherwise(&B, c, out);
  flow(&B, inc, it);
  IrEdge *back = ir_edge(B.ir, B.p, it, h, IR_E_FLOW, NULL);
  flow(&B, out, e);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  assert_true(back->flags & IR_EDGE_BACK); /* found by ir_finish */
  assert_int_equal(back->kind, IR_E_LOOP);
  expect_path(bytes, len, 0, "it it it out");
  free(bytes);
  ir_free(B.ir);
}

/* An unstructured (irreducible) graph: a loop that goes back into the middle
 * of a branch of a choice, entered both there and at the merge.
 *   START -> C: x == 1 -> A1 -> A2 -> M;  else -> B -> M
 *   M -> inc -> D: i < 2 -> A2 (back into the first branch);  else -> end */
static void test_loop_into_a_branch(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *c = node(&B, IR_CHOICE, "c"), *a1 = log_node(&B, "A1"),
         *a2 = log_node(&B, "A2"), *b = log_node(&B, "B"), *m = node(&B, IR_MERGE, "m"),
         *inc = increment(&B, "inc"), *d = node(&B, IR_CHOICE, "d"), *end = log_node(&B, "end"),
         *e = node(&B, IR_END, "e");
  flow(&B, s, c);
  cond(&B, c, 0, compare(&B, B.x, IR_OP_EQ, 1), a1);
  otherwise(&B, c, b);
  flow(&B, a1, a2);
  flow(&B, a2, m);
  flow(&B, b, m);
  flow(&B, m, inc);
  flow(&B, inc, d);
  cond(&B, d, 0, compare(&B, B.i, IR_OP_LT, 2), a2);
  otherwise(&B, d, end);
  flow(&B, end, e);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  expect_path(bytes, len, 1, "A1 A2 A2 end");
  expect_path(bytes, len, 0, "B A2 end");
  free(bytes);
  ir_free(B.ir);
}

/* A join fed by flows from two splits: the fork's second branch, and both
 * arms of a choice inside its first branch (three in-edges, two tokens).
 *   START -> F: (C: x == 1 -> P -> J; else -> Q -> task -> J), (R -> J)
 *   J -> done -> END */
static void test_join_of_two_splits(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *f = node(&B, IR_FORK, "f"), *c = node(&B, IR_CHOICE, "c"),
         *pn = log_node(&B, "P"), *q = log_node(&B, "Q"), *t = task_node(&B, "t"),
         *r = log_node(&B, "R"), *j = node(&B, IR_JOIN, "j"), *done = log_node(&B, "done"),
         *e = node(&B, IR_END, "e");
  flow(&B, s, f);
  branch(&B, f, 0, c);
  branch(&B, f, 1, r);
  cond(&B, c, 0, compare(&B, B.x, IR_OP_EQ, 1), pn);
  otherwise(&B, c, q);
  flow(&B, pn, j);
  flow(&B, q, t);
  flow(&B, t, j);
  flow(&B, r, j);
  flow(&B, j, done);
  flow(&B, done, e);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  assert_int_equal(j->nin, 3);
  assert_int_equal(j->u.fork.nbranches, 2);
  expect_path(bytes, len, 1, "P R done");
  expect_path(bytes, len, 0, "Q R done");
  free(bytes);
  ir_free(B.ir);
}

/* An event gateway: whichever comes first, the task or an hour passing.
 *   START -> W: (wait 1h -> late -> M), (task -> done -> M);  M -> END */
static void test_event_gateway(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *w = node(&B, IR_EVENT_WAIT, "w"),
         *hour = node(&B, IR_WAIT, "hour"), *late = log_node(&B, "late"), *t = task_node(&B, "t"),
         *done = log_node(&B, "done"), *m = node(&B, IR_MERGE, "m"), *e = node(&B, IR_END, "e");
  hour->u.wait.value = ir_expr_duration(B.ir, 3600);
  flow(&B, s, w);
  branch(&B, w, 0, hour);
  branch(&B, w, 1, t);
  flow(&B, hour, late);
  flow(&B, t, done);
  flow(&B, late, m);
  flow(&B, done, m);
  flow(&B, m, e);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  expect_path(bytes, len, 0, "done"); /* the task first: the timer is withdrawn */
  Session ses;
  session_start(&ses, bytes, len, 0);
  assert_int_equal(bp_instance_item_count(ses.inst), 1);
  BpError err;
  assert_int_equal(bp_advance(ses.inst, 7200, &err), BP_OK);
  assert_int_equal(bp_instance_status(ses.inst), BP_COMPLETED);
  assert_string_equal(ses.run.path, "late");
  assert_int_equal(bp_instance_item_count(ses.inst), 0); /* the task was withdrawn */
  session_end(&ses);
  free(bytes);
  ir_free(B.ir);
}

/* Made ids count per (kind, line) in a table that lives only while the process is
 * built: ir_proc_built and ir_finish free it; the ids made stay. The node and edge
 * vectors move to the arena at their final size, and may still grow after. */
static void test_building_memory_freed(void **state) {
  (void)state;
  IrProgram *ir = ir_new("ids.bpmn");
  ir_reserve(ir, 0, 0, 2);
  IrProc *p = ir_proc(ir, "p"), *q = ir_proc(ir, "q");
  const char *ids[200];
  for (uint32_t i = 0; i < 200; i++) ids[i] = ir_node(ir, p, IR_LOG, NULL, 3 + i / 2, 1)->id;
  assert_string_equal(ids[0], "log_3");
  assert_string_equal(ids[1], "log_3_2");
  assert_string_equal(ids[199], "log_102_2");
  assert_non_null(p->idkeys); /* grown past its first 64 slots: 100 keys */
  assert_true(p->idcap >= 256);
  for (uint32_t i = 1; i < 200; i++) ir_edge(ir, p, ir_node_at(p, i - 1), ir_node_at(p, i), IR_E_FLOW, NULL);
  assert_true(p->nodes.cap > 200); /* grown by doubling */
  ir_proc_built(ir, p);
  assert_null(p->idkeys);
  assert_int_equal(p->idcap, 0);
  assert_true(p->built);
  assert_int_equal(p->nodes.n, 200);
  assert_int_equal(p->nodes.cap, 200);
  assert_int_equal(p->edges.n, 199);
  assert_int_equal(p->edges.cap, 199);
  for (uint32_t i = 0; i < 200; i++) assert_ptr_equal(ir_node_at(p, i)->id, ids[i]);
  assert_ptr_equal(ir_edge_at(p, 198)->to, ir_node_at(p, 199));
  assert_string_equal(ids[199], "log_102_2"); /* in the arena, not in the table */
  IrNode *late = ir_node(ir, p, IR_END, "late", 0, 0); /* after: the vector grows in the arena */
  assert_int_equal(p->nodes.n, 201);
  assert_ptr_equal(ir_node_at(p, 200), late);
  assert_ptr_equal(ir_node_at(p, 7)->id, ids[7]);
  assert_string_equal(ir_node(ir, q, IR_LOG, NULL, 3, 1)->id, "log_3"); /* q counts apart */
  assert_non_null(q->idkeys);
  ir_finish(ir);
  assert_null(q->idkeys);
  ir_free(ir);
  /* An edge is one of the IR's most numerous records (77,575 at 100,082 lines): its
   * fields go by size, with no padding between them. */
  assert_true(sizeof(IrEdge) <= 5 * sizeof(void *) + 3 * sizeof(uint32_t) + 4);
}

/* The worked example of docs/ir.md, as written there (ids given, no .bp). */
static void test_the_documented_example(void **state) {
  (void)state;
  IrProgram *ir = ir_new("example.bpmn");
  ir_reserve(ir, 0, 0, 1);
  IrProc *p = ir_proc(ir, "review");
  uint16_t boss = ir_param(ir, p, "boss", &type_user, NULL)->slot;
  uint16_t r = ir_slot(ir, p, "r", &type_approve_result, IR_SLOT_RESULT);

  IrNode *start = ir_node(ir, p, IR_START, "StartEvent_1", 0, 0);
  IrNode *ask = ir_node(ir, p, IR_APPROVE, "Task_approve", 0, 0);
  IrExpr *who = ir_expr_slot(ir, p, boss);
  ask->u.human->who = ir_who(ir, 1, &who);
  ask->u.human->title = ir_expr_string(ir, "Approve", 7);
  ask->u.human->mode = IR_MODE_ANY;
  ask->u.human->due = ir_expr_duration(ir, 3 * 86400);
  ask->u.human->result = r;

  IrNode *ok = ir_node(ir, p, IR_CHOICE, "Gateway_ok", 0, 0);
  IrNode *yes = ir_node(ir, p, IR_LOG, "Log_yes", 0, 0);
  yes->u.log.text = ir_expr_string(ir, "approved", 8);
  IrNode *no = ir_node(ir, p, IR_LOG, "Log_no", 0, 0);
  no->u.log.text = ir_expr_string(ir, "rejected", 8);
  IrNode *end = ir_node(ir, p, IR_END, "EndEvent_1", 0, 0);
  IrNode *end2 = ir_node(ir, p, IR_END, "EndEvent_2", 0, 0);

  ir_edge(ir, p, start, ask, IR_E_FLOW, NULL);
  ir_edge(ir, p, ask, ok, IR_E_FLOW, NULL);
  IrExpr *approved = ir_expr_member(ir, ir_expr_slot(ir, p, r), "approved");
  assert_non_null(approved);
  ir_edge_cond(ir, p, ok, yes, 0, approved, "approved");
  ir_edge(ir, p, ok, no, IR_E_ELSE, "else");
  ir_edge(ir, p, yes, end, IR_E_FLOW, NULL);
  ir_edge(ir, p, no, end2, IR_E_FLOW, NULL);

  Build B = {ir, p, 0, boss, 0};
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  for (int approve = 0; approve < 2; approve++) {
    Session ses;
    session_open(&ses, bytes, len);
    BpError err;
    BpArg args[] = {{"boss", bp_user("bob")}};
    assert_int_equal(bp_start(ses.b, "review", NULL, args, 1, NULL, &ses.inst, &err), BP_OK);
    BpItem item;
    assert_true(bp_instance_item(ses.inst, 0, &item));
    assert_string_equal(item.node, "Task_approve"); /* the journal and diagrams name it so */
    assert_int_equal(bp_decide(ses.inst, 0, "bob", approve, NULL, &err), BP_OK);
    assert_int_equal(bp_instance_status(ses.inst), BP_COMPLETED);
    assert_string_equal(ses.run.path, approve ? "approved" : "rejected");
    session_end(&ses);
  }
  free(bytes);
  ir_free(ir);
}

/* ---- any graph ir_finish accepts compiles ----------------------------------------------- */

static uint32_t rng_next(uint64_t *s) {
  *s = *s * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(*s >> 33);
}

/* A random graph of up to 14 nodes: logs, increments, tasks, choices, merges,
 * forks and races with their joins, ends and terminates; each node's out-edges
 * are what its kind needs, leading mostly to the next node (a fork's two
 * first branches to the nodes after it, and those on to the join three nodes
 * on) and sometimes anywhere (back into loops, across branches). */
static Build random_graph(uint64_t *seed) {
  static const IrNodeKind kinds[] = {IR_LOG, IR_LOG, IR_ASSIGN, IR_TASK, IR_CHOICE, IR_CHOICE,
                                     IR_MERGE, IR_FORK, IR_FORK, IR_JOIN, IR_RACE,
                                     IR_RACE_JOIN, IR_END, IR_TERMINATE};
  Build B = build_new();
  uint32_t n = 3 + rng_next(seed) % 12;
  IrNodeKind kind[16];
  uint32_t next[16];
  for (uint32_t i = 0; i < n; i++) {
    kind[i] = i == 0 ? IR_START : i == n - 1 ? IR_END
            : kinds[rng_next(seed) % (sizeof kinds / sizeof *kinds)];
    next[i] = i + 1;
  }
  for (uint32_t i = 1; i + 4 < n; i++) /* a fork's join three nodes on */
    if (kind[i] == IR_FORK || kind[i] == IR_RACE) {
      kind[i + 3] = kind[i] == IR_FORK ? IR_JOIN : IR_RACE_JOIN;
      next[i + 1] = next[i + 2] = i + 3;
    }
  IrNode *v[16];
  char id[16];
  for (uint32_t i = 0; i < n; i++) {
    IrNodeKind k = kind[i];
    snprintf(id, sizeof id, "n%u", i);
    v[i] = k == IR_LOG ? log_node(&B, id) : k == IR_TASK ? task_node(&B, id)
         : k == IR_ASSIGN ? increment(&B, id) : node(&B, k, id);
    if (k == IR_TERMINATE) v[i]->u.terminate.reason = ir_expr_string(B.ir, "stop", 4);
  }
  for (uint32_t i = 0; i < n; i++) {
    IrNode *x = v[i];
#define PICK(to) (to < n && rng_next(seed) % 5 ? v[to] : v[1 + rng_next(seed) % (n - 1)])
    switch (x->kind) {
    case IR_END: case IR_TERMINATE: break;
    case IR_CHOICE: {
      uint32_t arms = 1 + rng_next(seed) % 2;
      for (uint32_t a = 0; a < arms; a++)
        cond(&B, x, a, compare(&B, a ? B.x : B.i, IR_OP_LT, 2 + a), PICK(next[i]));
      otherwise(&B, x, PICK(next[i]));
      break;
    }
    case IR_FORK: case IR_RACE: {
      uint32_t nb = 1 + rng_next(seed) % 3;
      for (uint32_t b = 0; b < nb; b++) branch(&B, x, b, PICK(i + 1 + b));
      break;
    }
    default: flow(&B, x, PICK(next[i])); break;
    }
#undef PICK
  }
  return B;
}

/* Runs until nothing is left to do (tasks completed). The instance may also
 * fail as runaway (a loop with no wait), but never otherwise: a verified
 * bundle does not trap the interpreter. */
static void run_to_rest(const uint8_t *bytes, size_t len, int64_t x) {
  Session s;
  session_start(&s, bytes, len, x);
  BpError err;
  for (int k = 0; k < 50 && bp_instance_status(s.inst) == BP_WAITING; k++) {
    if (bp_instance_item_count(s.inst) == 0) break;
    if (bp_complete(s.inst, 0, "bob", NULL, NULL, 0, &err) != BP_OK) break;
  }
  BpRunStatus st = bp_instance_status(s.inst);
  if (st == BP_FAILED && !strstr(bp_instance_message(s.inst), "instructions without waiting")) {
    fprintf(stderr, "x = %lld: failed: %s\n", (long long)x, bp_instance_message(s.inst));
    fail();
  }
  session_end(&s);
}

static void test_random_graphs(void **state) {
  (void)state;
  uint64_t seed = 42;
  uint32_t accepted = 0, tried = 20000, joins = 0, loops = 0;
  for (uint32_t t = 0; t < tried; t++) {
    Build B = random_graph(&seed);
    if (!ir_finish(B.ir)) {
      ir_free(B.ir);
      continue;
    }
    accepted++;
    bool has_join = false, has_loop = false;
    for (uint32_t i = 0; i < B.p->nodes.n; i++) has_join |= ir_node_at(B.p, i)->kind == IR_JOIN;
    for (uint32_t i = 0; i < B.p->edges.n; i++) has_loop |= ir_edge_at(B.p, i)->flags & IR_EDGE_BACK;
    joins += has_join;
    loops += has_loop;
    size_t len;
    uint8_t *bytes = bundle_verified(&B, &len);
    for (int64_t x = 0; x < 4; x++) run_to_rest(bytes, len, x);
    free(bytes);
    ir_free(B.ir);
  }
  printf("random graphs: %u of %u accepted by ir_finish (%u with a join, %u with a loop), "
         "each compiled, verified and run\n", accepted, tried, joins, loops);
  assert_true(accepted > tried / 20 && joins > 10 && loops > 10);
}

/* ---- graphs that are refused -------------------------------------------------------------- */

/* An `after` handler built by hand: its run, a token of its own, logs after the task is
 * done; a count of runs without a period, or a handler no TIMER edge leads to, is refused. */
static IrNode *task_with_after(Build *B, IrNode **entry, bool with_edge) {
  IrNode *t = task_node(B, "t");
  IrHuman *h = t->u.human;
  h->nafters = 1;
  h->after_delay = ir_exprs(B->ir, 1);
  h->after_every = ir_exprs(B->ir, 1);
  h->after_times = ir_exprs(B->ir, 1);
  h->after_entry = arena_alloc(&B->ir->arena, sizeof *h->after_entry);
  h->after_delay[0] = ir_expr_duration(B->ir, 60);
  h->after_every[0] = NULL;
  h->after_times[0] = NULL;
  *entry = log_node(B, "late");
  h->after_entry[0] = *entry;
  if (with_edge) ir_edge(B->ir, B->p, t, *entry, IR_E_TIMER, "after 1m");
  return t;
}

static void test_after_handler(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *late, *s = node(&B, IR_START, "s"), *t = task_with_after(&B, &late, true);
  IrNode *done = log_node(&B, "done"), *e = node(&B, IR_END, "e"), *e2 = node(&B, IR_END, "e2");
  flow(&B, s, t);
  flow(&B, t, done);
  flow(&B, done, e);
  flow(&B, late, e2);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  Session ses;
  session_start(&ses, bytes, len, 0);
  BpError err;
  assert_int_equal(bp_advance(ses.inst, 60, &err), BP_OK);
  assert_int_equal(bp_complete(ses.inst, 0, "bob", NULL, NULL, 0, &err), BP_OK);
  assert_int_equal(bp_instance_status(ses.inst), BP_COMPLETED);
  assert_string_equal(ses.run.path, "late done");
  session_end(&ses);
  free(bytes);
  ir_free(B.ir);

  B = build_new();
  s = node(&B, IR_START, "s");
  t = task_with_after(&B, &late, true);
  t->u.human->after_times[0] = ir_expr_int(B.ir, 3);
  e = node(&B, IR_END, "e");
  e2 = node(&B, IR_END, "e2");
  flow(&B, s, t);
  flow(&B, t, e);
  flow(&B, late, e2);
  expect_refused(&B, "t", "has a count of runs but no period");

  B = build_new();
  s = node(&B, IR_START, "s");
  t = task_with_after(&B, &late, false);
  e = node(&B, IR_END, "e");
  e2 = node(&B, IR_END, "e2");
  flow(&B, s, t);
  flow(&B, t, e);
  flow(&B, late, e2);
  expect_refused(&B, "t", "one TIMER edge per handler (1)");
}

/* A step beside a listener (`on message ping { ... }`, a BPMN non-interrupting message
 * boundary): each arrival starts the handler as a token of its own; the step closing
 * withdraws the listener but not a handler already started; saved and restored in
 * between. A spawn without the TIMER edge to its flow is refused. */
static void test_spawn_listener(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *race = node(&B, IR_RACE, "race"), *t = task_node(&B, "t");
  IrNode *join = node(&B, IR_RACE_JOIN, "join"), *done = log_node(&B, "done"), *e = node(&B, IR_END, "e");
  IrNode *r = node(&B, IR_RECEIVE, "listen"), *sp = node(&B, IR_SPAWN, "spawn");
  r->u.receive.name = "ping";
  IrNode *heard = log_node(&B, "heard"), *w = node(&B, IR_WAIT, "w"), *later = log_node(&B, "later");
  w->u.wait.value = ir_expr_duration(B.ir, 3600);
  IrNode *hend = node(&B, IR_HANDLER_END, "hend");
  flow(&B, s, race);
  branch(&B, race, 0, t);
  branch(&B, race, 1, r);
  flow(&B, t, join);
  flow(&B, join, done);
  flow(&B, done, e);
  flow(&B, r, sp);
  flow(&B, sp, r);
  ir_edge(B.ir, B.p, sp, heard, IR_E_TIMER, NULL);
  flow(&B, heard, w);
  flow(&B, w, later);
  flow(&B, later, hend);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  Session ses;
  session_start(&ses, bytes, len, 0);
  BpError err;
  assert_int_equal(bp_message(ses.inst, "ping", NULL, 0, &err), BP_OK);
  assert_int_equal(bp_message(ses.inst, "ping", NULL, 0, &err), BP_OK);
  assert_string_equal(ses.run.path, "heard heard");
  /* saved and restored while the listener and two handlers wait */
  uint8_t *saved = NULL;
  size_t nsaved = 0;
  assert_int_equal(bp_instance_save(ses.inst, &saved, &nsaved, &err), BP_OK);
  bp_instance_free(ses.inst);
  ses.inst = NULL;
  assert_int_equal(bp_instance_restore(ses.b, NULL, saved, nsaved, &ses.inst, &err), BP_OK);
  bp_free(ses.rt, saved, nsaved);
  assert_int_equal(bp_complete(ses.inst, 0, "bob", NULL, NULL, 0, &err), BP_OK);
  assert_string_equal(ses.run.path, "heard heard done");
  assert_int_equal(bp_instance_status(ses.inst), BP_WAITING); /* the handlers still wait */
  assert_int_not_equal(bp_message(ses.inst, "ping", NULL, 0, &err), BP_OK); /* nobody listens */
  assert_int_equal(bp_advance(ses.inst, 3600, &err), BP_OK);
  assert_string_equal(ses.run.path, "heard heard done later later");
  assert_int_equal(bp_instance_status(ses.inst), BP_COMPLETED);
  session_end(&ses);
  free(bytes);
  ir_free(B.ir);

  B = build_new();
  s = node(&B, IR_START, "s");
  sp = node(&B, IR_SPAWN, "spawn");
  e = node(&B, IR_END, "e");
  flow(&B, s, sp);
  flow(&B, sp, e);
  expect_refused(&B, "spawn", "a spawn needs one FLOW edge (on) and one TIMER edge");
}

/* Two processes, the second with a node no path reaches when `lost` is set. */
static IrProgram *two_processes(bool lost) {
  IrProgram *ir = ir_new("two.bpmn");
  ir_reserve(ir, 0, 0, 2);
  for (uint32_t k = 0; k < 2; k++) {
    IrProc *p = ir_proc(ir, k ? "q" : "p");
    IrNode *s = ir_node(ir, p, IR_START, "s", 0, 0), *l = ir_node(ir, p, IR_LOG, "l", 0, 0),
           *e = ir_node(ir, p, IR_END, "e", 0, 0);
    l->u.log.text = ir_expr_string(ir, "hi", 2);
    ir_edge(ir, p, s, l, IR_E_FLOW, NULL);
    ir_edge(ir, p, l, e, IR_E_FLOW, NULL);
    if (k && lost) {
      IrNode *x = ir_node(ir, p, IR_LOG, "lost", 0, 0), *e2 = ir_node(ir, p, IR_END, "e2", 0, 0);
      x->u.log.text = ir_expr_string(ir, "x", 1);
      ir_edge(ir, p, x, e2, IR_E_FLOW, NULL);
    }
  }
  return ir;
}

/* ir_finish_proc, one process at a time, with codegen_start / codegen_process /
 * codegen_end: the same bundle as ir_finish and codegen_bundle, and a process refused
 * after an earlier one was generated fails with ir_finish's first message, as
 * codegen_bundle does. */
static void test_finished_one_process_at_a_time(void **state) {
  (void)state;
  for (int lost = 0; lost < 2; lost++) {
    IrProgram *whole = two_processes(lost);
    assert_int_equal(ir_finish(whole), !lost);
    uint8_t *want = NULL, *bytes = NULL;
    size_t want_len = 0, len = 0;
    BptError want_err, err;
    bool want_ok = codegen_bundle(whole, &want, &want_len, &want_err);
    assert_int_equal(want_ok, !lost);

    IrProgram *ir = two_processes(lost);
    ir->finished = true;
    Scratch scratch = {0};
    Codegen *g = codegen_start(ir, true, 0, &err);
    for (uint32_t i = 0; i < ir->nprocs; i++) {
      bool ok = ir_finish_proc(ir, &ir->procs[i], &scratch);
      assert_int_equal(ok, !(lost && i == 1));
      if (ok) codegen_process(g, &ir->procs[i]);
    }
    scratch_free(&scratch);
    assert_int_equal(codegen_end(g, &bytes, &len), want_ok);
    if (want_ok) {
      assert_int_equal(len, want_len);
      assert_memory_equal(bytes, want, len);
    } else {
      assert_null(bytes);
      assert_string_equal(err.message, want_err.message);
      assert_non_null(strstr(err.message, "unreachable"));
    }
    free(bytes);
    free(want);
    ir_free(ir);
    ir_free(whole);
  }
}

static void test_refuses_two_starts(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s1 = node(&B, IR_START, "s1"), *s2 = node(&B, IR_START, "s2"), *e = node(&B, IR_END, "e");
  flow(&B, s1, e);
  flow(&B, s2, e);
  expect_refused(&B, NULL, "exactly one START node, not 2");
}

static void test_refuses_an_unreachable_node(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *e = node(&B, IR_END, "e"), *lost = log_node(&B, "lost"),
         *e2 = node(&B, IR_END, "e2");
  flow(&B, s, e);
  flow(&B, lost, e2);
  expect_refused(&B, "lost", "unreachable");
}

/* A parallel join after an exclusive choice: only one token ever arrives. */
static void test_refuses_a_join_fed_by_a_choice(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *c = node(&B, IR_CHOICE, "c"), *a = log_node(&B, "a"),
         *b = log_node(&B, "b"), *j = node(&B, IR_JOIN, "j"), *e = node(&B, IR_END, "e");
  flow(&B, s, c);
  cond(&B, c, 0, compare(&B, B.x, IR_OP_EQ, 1), a);
  otherwise(&B, c, b);
  flow(&B, a, j);
  flow(&B, b, j);
  flow(&B, j, e);
  expect_refused(&B, "j", "wait forever");
}

/* A branch of the fork can end before the join: the join would wait forever. */
static void test_refuses_a_lost_branch(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *f = node(&B, IR_FORK, "f"), *c = node(&B, IR_CHOICE, "c"),
         *a = log_node(&B, "a"), *quit = node(&B, IR_END, "quit"), *b = log_node(&B, "b"),
         *j = node(&B, IR_JOIN, "j"), *e = node(&B, IR_END, "e");
  flow(&B, s, f);
  branch(&B, f, 0, c);
  branch(&B, f, 1, b);
  cond(&B, c, 0, compare(&B, B.x, IR_OP_EQ, 1), a);
  otherwise(&B, c, quit);
  flow(&B, a, j);
  flow(&B, b, j);
  flow(&B, j, e);
  expect_refused(&B, "j", "can end at `quit`");
}

/* The branches of two forks meet at one join. */
static void test_refuses_branches_of_two_forks(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *f1 = node(&B, IR_FORK, "f1"), *f2 = node(&B, IR_FORK, "f2"),
         *a = log_node(&B, "a"), *b = log_node(&B, "b"), *c = log_node(&B, "c"),
         *j = node(&B, IR_JOIN, "j"), *e = node(&B, IR_END, "e");
  flow(&B, s, f1);
  branch(&B, f1, 0, a);
  branch(&B, f1, 1, f2);
  branch(&B, f2, 0, b);
  branch(&B, f2, 1, c);
  flow(&B, a, j);
  flow(&B, b, j);
  flow(&B, c, j);
  flow(&B, j, e);
  expect_refused(&B, "j", "different parallel splits");
}

static void test_refuses_bad_edges(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *c = node(&B, IR_CHOICE, "c"), *e = node(&B, IR_END, "e");
  flow(&B, s, c);
  cond(&B, c, 0, compare(&B, B.x, IR_OP_EQ, 1), e); /* no ELSE */
  expect_refused(&B, "c", "exactly one ELSE edge");

  B = build_new();
  s = node(&B, IR_START, "s");
  IrNode *w = node(&B, IR_EVENT_WAIT, "w"), *l = log_node(&B, "not an event");
  e = node(&B, IR_END, "e");
  flow(&B, s, w);
  flow(&B, w, l);
  flow(&B, l, e);
  expect_refused(&B, "w", "waits for timers, messages, human steps and actions");

  B = build_new();
  s = node(&B, IR_START, "s");
  IrNode *a = log_node(&B, "same"), *b = log_node(&B, "same");
  e = node(&B, IR_END, "e");
  flow(&B, s, a);
  flow(&B, a, b);
  flow(&B, b, e);
  expect_refused(&B, "same", "two nodes have the id");
}

/* A chain of n LOG nodes named n0, n1, ...; the last is named `last` when not NULL.
 * More nodes than fit the id check's table on the stack. */
static Build long_chain(uint32_t n, const char *last) {
  Build B = build_new();
  IrNode *prev = node(&B, IR_START, "s");
  for (uint32_t i = 0; i < n; i++) {
    char id[16];
    snprintf(id, sizeof id, "n%u", i);
    IrNode *l = log_node(&B, i + 1 == n && last ? last : id);
    flow(&B, prev, l);
    prev = l;
  }
  flow(&B, prev, node(&B, IR_END, "e"));
  return B;
}

static void test_ids_of_a_long_chain(void **state) {
  (void)state;
  Build B = long_chain(700, NULL);
  assert_true(ir_finish(B.ir));
  ir_free(B.ir);
  B = long_chain(700, "n17"); /* the first repeat, far from its twin */
  expect_refused(&B, "n17", "two nodes have the id");
  B = long_chain(700, "e");
  expect_refused(&B, "e", "two nodes have the id");
}

/* A made id writes its line and its count in decimal, two digits a step from the end:
 * every length of number from 1 to 10 digits, at both ends of each length. A step that
 * put its two digits the wrong way round, or a length one short, fails it. */
static void test_ids_of_every_length(void **state) {
  (void)state;
  IrProgram *ir = ir_new("ids.bp");
  ir_reserve(ir, 0, 0, 1);
  IrProc *p = ir_proc(ir, "p");
  const uint32_t lines[] = {0,         1,          9,          10,        12,        99,
                            100,       109,        999,        1000,      4321,      9999,
                            10000,     65432,      99999,      100000,    100082,    999999,
                            1000000,   9999999,    10000000,   99999999,  100000000, 987654321,
                            999999999, 1000000000, 4294967295u};
  char want[32];
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    snprintf(want, sizeof want, "log_%u", lines[i]);
    assert_string_equal(ir_node(ir, p, IR_LOG, NULL, lines[i], 1)->id, want);
  }
  /* A made id takes only its length of the arena: the next node comes right after it
   * (room for the longest id, 33 bytes for "end_", left 32 bytes between them). */
  const char *id7 = ir_node(ir, p, IR_END, NULL, 7, 1)->id;
  assert_string_equal(id7, "end_7");
  assert_ptr_equal((const char *)ir_node(ir, p, IR_LOG, NULL, 7, 1), id7 + sizeof(ArenaAlign));
  /* A list of expressions takes its count of slots: the next allocation follows it. */
  IrExpr **two = ir_exprs(ir, 2);
  assert_ptr_equal((void *)ir_expr_int(ir, 1), (void *)(two + 2));
  for (uint32_t k = 2; k <= 1234; k++) { /* the count: _2 to _1234 on one line */
    snprintf(want, sizeof want, "end_7_%u", k);
    assert_string_equal(ir_node(ir, p, IR_END, NULL, 7, 1)->id, want);
  }
  ir_free(ir);
}

/* In process p of B's program: a chain of n LOG nodes from the start to an end; with
 * `lost`, a LOG node of that id after them that nothing leads to. */
static void chain_in(Build *B, IrProc *p, uint32_t n, const char *lost) {
  B->p = p;
  IrNode *prev = node(B, IR_START, NULL);
  for (uint32_t i = 0; i < n; i++) {
    IrNode *l = node(B, IR_LOG, NULL);
    l->u.log.text = ir_expr_string(B->ir, "x", 1);
    flow(B, prev, l);
    prev = l;
  }
  flow(B, prev, node(B, IR_END, NULL));
  if (!lost) return;
  IrNode *l = log_node(B, lost);
  flow(B, l, node(B, IR_END, NULL));
}

/* ir_finish takes every process's work arrays from one block that the processes
 * reuse (and grows it after one that did not fit). A process checked in memory that
 * an earlier one marked must still see its own graph: here the marks of two chains
 * of 300 nodes (every node reached) are left where the third process, with a node
 * nothing reaches, is checked; the fourth does not fit the block. */
static void test_processes_reuse_the_work_arrays(void **state) {
  (void)state;
  Build B;
  B.ir = ir_new("built.bpmn");
  ir_reserve(B.ir, 0, 0, 4);
  chain_in(&B, ir_proc(B.ir, "p1"), 300, NULL);
  chain_in(&B, ir_proc(B.ir, "p2"), 300, NULL);
  chain_in(&B, ir_proc(B.ir, "p3"), 40, "lost3");
  chain_in(&B, ir_proc(B.ir, "p4"), 900, "lost4");
  assert_false(ir_finish(B.ir));
  /* each lost node and the end after it, in p3 and in p4 */
  assert_int_equal(B.ir->nerrors, 4);
  assert_string_equal(B.ir->errors[0].node, "lost3");
  assert_string_equal(B.ir->errors[2].node, "lost4");
  for (uint32_t i = 0; i < 4; i++) {
    assert_string_equal(B.ir->errors[i].proc, i < 2 ? "p3" : "p4");
    assert_non_null(strstr(B.ir->errors[i].message, "unreachable"));
  }
  ir_free(B.ir);
}

/* Document d's N fields named f0, f1, ... in order, each an int. */
static void number_fields(Build *B, IrDoc *d, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    char name[16];
    snprintf(name, sizeof name, "f%u", i);
    d->fields[i].name = arena_strdup(&B->ir->arena, name);
    d->fields[i].type = &type_int;
  }
}

/* The string table is sized from the nodes before the first string; a program with
 * many more strings than nodes (here a document of 700 fields and a process of 3
 * nodes) grows it twice, and every string keeps its number: the fields' names are
 * numbered in order. */
static void test_string_table_grows(void **state) {
  (void)state;
  Build B;
  B.ir = ir_new("fields.bpmn");
  ir_reserve(B.ir, 1, 0, 1);
  enum { FIELDS = 700 };
  number_fields(&B, ir_doc(B.ir, "Wide", FIELDS), FIELDS);
  chain_in(&B, ir_proc(B.ir, "p"), 1, NULL);
  BptBundle b;
  uint8_t *bytes = read_back(&B, &b);
  assert_int_equal(b.ndoctypes, 1);
  assert_int_equal(b.doctypes[0].nfields, FIELDS);
  for (uint32_t i = 0; i < FIELDS; i++) {
    char name[16];
    snprintf(name, sizeof name, "f%u", i);
    const BptString *s = &b.strings[b.doctypes[0].fields[i].name];
    assert_int_equal(s->len, strlen(name));
    assert_memory_equal(s->data, name, s->len);
    if (i) assert_int_equal(b.doctypes[0].fields[i].name, b.doctypes[0].fields[i - 1].name + 1);
  }
  bpt_free(&b, heap_realloc, NULL);
  free(bytes);
  ir_free(B.ir);
}

/* The same names at other addresses, met after the table has grown twice: each is found
 * again by its bytes (the table keeps every string's hash when it grows, and compares
 * the text of the string the slot numbers), so the second document's fields have the
 * first one's numbers, and no string is listed twice. */
static void test_string_table_finds_copies(void **state) {
  (void)state;
  Build B;
  B.ir = ir_new("fields.bpmn");
  ir_reserve(B.ir, 2, 0, 1);
  enum { FIELDS = 700 };
  number_fields(&B, ir_doc(B.ir, "Wide", FIELDS), FIELDS);
  number_fields(&B, ir_doc(B.ir, "Copy", FIELDS), FIELDS);
  chain_in(&B, ir_proc(B.ir, "p"), 1, NULL);
  BptBundle b;
  uint8_t *bytes = read_back(&B, &b);
  assert_int_equal(b.ndoctypes, 2);
  for (uint32_t i = 0; i < FIELDS; i++)
    assert_int_equal(b.doctypes[1].fields[i].name, b.doctypes[0].fields[i].name);
  for (uint32_t i = 0; i < b.nstrings; i++) /* no text twice */
    for (uint32_t j = i + 1; j < b.nstrings; j++)
      assert_false(b.strings[i].len == b.strings[j].len &&
                   memcmp(b.strings[i].data, b.strings[j].data, b.strings[i].len) == 0);
  bpt_free(&b, heap_realloc, NULL);
  free(bytes);
  ir_free(B.ir);
}

/* A document type and a host action, built by hand: the process calls the
 * action with a document field, stores the answer in the field and logs it.
 *   START -> ACTION price(amount) -> r -> ASSIGN amount = r -> LOG "total {amount}" -> END */
static void test_documents_and_actions(void **state) {
  (void)state;
  IrProgram *ir = ir_new("order.bpmn");
  ir_reserve(ir, 1, 1, 1);
  IrDoc *d = ir_doc(ir, "Order", 1);
  d->fields[0].name = "amount";
  d->fields[0].type = &type_int;
  d->fields[0].def = ir_expr_int(ir, 5);
  IrAction *a = ir_action(ir, "price", &type_int, 1);
  a->params[0].name = "n";
  a->params[0].type = &type_int;
  IrProc *p = ir_proc(ir, "order");
  p->doc = 0;
  uint16_t r = ir_slot(ir, p, "r", &type_int, IR_SLOT_RESULT);
  IrNode *s = ir_node(ir, p, IR_START, "s", 0, 0), *call = ir_node(ir, p, IR_ACTION, "call", 0, 0),
         *set = ir_node(ir, p, IR_ASSIGN, "set", 0, 0), *log = ir_node(ir, p, IR_LOG, "log", 0, 0),
         *e = ir_node(ir, p, IR_END, "e", 0, 0);
  call->u.action.action = 0;
  call->u.action.n = 1;
  call->u.action.args = ir_exprs(ir, 1);
  call->u.action.args[0] = ir_expr_field(ir, &type_int, 0);
  call->u.action.result = r;
  set->u.assign.to_slot = false;
  set->u.assign.index = 0;
  set->u.assign.type = &type_int;
  set->u.assign.value = ir_expr_slot(ir, p, r);
  IrExpr **parts = ir_exprs(ir, 2);
  parts[0] = ir_expr_string(ir, "total ", 6);
  parts[1] = ir_expr_field(ir, &type_int, 0);
  log->u.log.text = ir_expr_text(ir, parts, 2);
  ir_edge(ir, p, s, call, IR_E_FLOW, NULL);
  ir_edge(ir, p, call, set, IR_E_FLOW, NULL);
  ir_edge(ir, p, set, log, IR_E_FLOW, NULL);
  ir_edge(ir, p, log, e, IR_E_FLOW, NULL);
  Build B = {ir, p, 0, 0, 0};
  size_t len;
  uint8_t *bytes = compile(&B, &len);

  Session ses;
  session_open(&ses, bytes, len);
  BpError err;
  assert_int_equal(bp_bundle_field_type(ses.b, "Order", "amount"), BP_T_INT);
  assert_int_equal(bp_start(ses.b, "order", NULL, NULL, 0, NULL, &ses.inst, &err), BP_OK);
  assert_int_equal(bp_instance_call_count(ses.inst), 1);
  BpCall c;
  assert_true(bp_instance_call(ses.inst, 0, &c));
  assert_string_equal(c.action, "price");
  assert_int_equal(c.nargs, 1);
  assert_int_equal(c.args[0].i, 5); /* the field's default */
  BpValue answer = bp_int(42);
  assert_int_equal(bp_answer(ses.inst, 0, &answer, &err), BP_OK);
  assert_int_equal(bp_instance_status(ses.inst), BP_COMPLETED);
  assert_string_equal(ses.run.path, "total 42");
  session_end(&ses);
  free(bytes);
  ir_free(ir);
}

/* What ir_finish leaves to the code generator (an expression's details) is
 * refused there, naming the node, and no bundle is written. */
static void test_codegen_names_the_node(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *l = node(&B, IR_LOG, "Log_len"), *e = node(&B, IR_END, "e");
  IrExpr **args = ir_exprs(B.ir, 2);
  args[0] = ir_expr_string(B.ir, "a", 1);
  args[1] = ir_expr_string(B.ir, "b", 1);
  l->u.log.text = ir_expr_call(B.ir, &type_int, "len", args, 2); /* len takes 1 */
  flow(&B, s, l);
  flow(&B, l, e);
  assert_true(ir_finish(B.ir));
  uint8_t *bytes = NULL;
  size_t len;
  BptError err;
  assert_false(codegen_bundle(B.ir, &bytes, &len, &err));
  assert_null(bytes);
  assert_non_null(strstr(err.message, "`len` takes 1 arguments, not 2"));
  assert_non_null(strstr(err.message, "node `Log_len`"));
  ir_free(B.ir);
}

/* ---- try scopes ---------------------------------------------------------------------------- */

/* A TRY with two hidden slots for the caught error. */
static IrNode *try_node(Build *B, const char *id) {
  IrNode *n = node(B, IR_TRY, id);
  n->u.try_.slot = ir_slot(B->ir, B->p, "error_code", &type_string, IR_SLOT_HIDDEN);
  ir_slot(B->ir, B->p, "error_message", &type_string, IR_SLOT_HIDDEN);
  return n;
}

static IrNode *throw_node(Build *B, const char *id, const char *code) {
  IrNode *n = node(B, IR_THROW, id);
  n->u.throw_.code = ir_expr_string(B->ir, code, (uint32_t)strlen(code));
  n->u.throw_.message = ir_expr_string(B->ir, "too late", 8);
  return n;
}

/* try { parallel { task t; { wait 1h; if x == 1 throw "LATE" else task t3 } } }
 * catch "LATE" { log "caught" }:
 * the error in one branch cancels the other (its task withdrawn) and the catch goes on;
 * without the error the body ends the scope. Also across a save and restore. */
static void test_try_cancels_parallel_branches(void **state) {
  (void)state;
  Build B = build_new();
  const char *late = "LATE";
  size_t len;
  IrNode *s, *tr, *f, *t, *hour, *th, *j, *te, *ok, *caught, *m, *e;
  s = node(&B, IR_START, "s"), tr = try_node(&B, "try"), f = node(&B, IR_FORK, "f");
  /* parallel { task t; { wait 1h; if x == 1 { throw "LATE" } else { task t3 } } } */
  t = task_node(&B, "t"), hour = node(&B, IR_WAIT, "hour"), th = throw_node(&B, "th", "LATE");
  IrNode *t3 = task_node(&B, "t3");
  j = node(&B, IR_JOIN, "j"), te = node(&B, IR_TRY_END, "te"), ok = log_node(&B, "ok");
  caught = log_node(&B, "caught"), m = node(&B, IR_MERGE, "m"), e = node(&B, IR_END, "e");
  IrNode *c = node(&B, IR_CHOICE, "c");
  hour->u.wait.value = ir_expr_duration(B.ir, 3600);
  flow(&B, s, tr);
  flow(&B, tr, f);
  ir_edge_catch(B.ir, B.p, tr, caught, 0, &late, 1, "LATE");
  branch(&B, f, 0, t);
  branch(&B, f, 1, hour);
  flow(&B, hour, c);
  cond(&B, c, 0, compare(&B, B.x, IR_OP_EQ, 1), th); /* x = 1: the branch throws */
  otherwise(&B, c, t3);
  flow(&B, t, j);
  flow(&B, t3, j);
  flow(&B, j, te);
  flow(&B, te, ok);
  flow(&B, ok, m);
  flow(&B, caught, m);
  flow(&B, m, e);
  uint8_t *bytes = compile(&B, &len);
  { /* no error: both tasks, the join, the end of the scope */
    Session ses;
    session_start(&ses, bytes, len, 0);
    BpError err;
    assert_int_equal(bp_advance(ses.inst, 7200, &err), BP_OK);
    assert_int_equal(bp_instance_item_count(ses.inst), 2);
    assert_int_equal(bp_complete(ses.inst, 0, "bob", NULL, NULL, 0, &err), BP_OK);
    assert_int_equal(bp_complete(ses.inst, 0, "bob", NULL, NULL, 0, &err), BP_OK);
    assert_int_equal(bp_instance_status(ses.inst), BP_COMPLETED);
    assert_string_equal(ses.run.path, "ok");
    session_end(&ses);
  }
  for (int reload = 0; reload < 2; reload++) {
    Session ses;
    session_start(&ses, bytes, len, 1);
    BpError err;
    assert_int_equal(bp_instance_item_count(ses.inst), 1);
    if (reload) { /* in the middle of the try: save, free, restore */
      uint8_t *saved;
      size_t saved_len;
      assert_int_equal(bp_instance_save(ses.inst, &saved, &saved_len, &err), BP_OK);
      bp_instance_free(ses.inst);
      assert_int_equal(bp_instance_restore(ses.b, NULL, saved, saved_len, &ses.inst, &err), BP_OK);
      bp_free(ses.rt, saved, saved_len);
    }
    assert_int_equal(bp_advance(ses.inst, 7200, &err), BP_OK);
    if (bp_instance_status(ses.inst) != BP_COMPLETED) fprintf(stderr, "%s\n", bp_instance_message(ses.inst));
    assert_int_equal(bp_instance_status(ses.inst), BP_COMPLETED);
    assert_string_equal(ses.run.path, "caught");
    assert_int_equal(bp_instance_item_count(ses.inst), 0); /* the task was withdrawn */
    session_end(&ses);
  }
  free(bytes);
  ir_free(B.ir);
}

/* Nested scopes: the inner one catches only "OTHER", so "X" goes to the outer one; a code
 * nobody catches fails the instance with the code and the message. */
static void test_try_nested_and_uncaught(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *outer = try_node(&B, "outer"), *inner = try_node(&B, "inner"),
         *c = node(&B, IR_CHOICE, "c"), *tx = throw_node(&B, "tx", "X"), *ty = throw_node(&B, "ty", "Y"),
         *in_c = log_node(&B, "inner caught"), *out_c = log_node(&B, "outer caught"), *m = node(&B, IR_MERGE, "m"),
         *e = node(&B, IR_END, "e"), *after = log_node(&B, "after");
  flow(&B, s, outer);
  flow(&B, outer, inner);
  flow(&B, inner, c);
  cond(&B, c, 0, compare(&B, B.x, IR_OP_EQ, 1), tx);
  otherwise(&B, c, ty);
  const char *other = "OTHER", *codes[] = {"X", "Z"};
  ir_edge_catch(B.ir, B.p, inner, in_c, 0, &other, 1, NULL);
  ir_edge_catch(B.ir, B.p, outer, out_c, 0, codes, 2, NULL);
  IrNode *te = node(&B, IR_TRY_END, "te"); /* the inner catch is still in the outer scope */
  flow(&B, in_c, te);
  flow(&B, te, m);
  flow(&B, out_c, m);
  flow(&B, m, after);
  flow(&B, after, e);
  size_t len;
  uint8_t *bytes = compile(&B, &len);
  expect_path(bytes, len, 1, "outer caught after");
  Session ses;
  session_start(&ses, bytes, len, 2);
  assert_int_equal(bp_instance_status(ses.inst), BP_FAILED);
  assert_non_null(strstr(bp_instance_message(ses.inst), "error Y: too late"));
  session_end(&ses);
  free(bytes);
  ir_free(B.ir);
}

/* A try needs its CATCH edges; only a try has them. */
static void test_refuses_a_try_without_catch(void **state) {
  (void)state;
  Build B = build_new();
  IrNode *s = node(&B, IR_START, "s"), *tr = try_node(&B, "try"), *te = node(&B, IR_TRY_END, "te"),
         *e = node(&B, IR_END, "e");
  flow(&B, s, tr);
  flow(&B, tr, te);
  flow(&B, te, e);
  expect_refused(&B, "try", "one or more CATCH edges");
}


int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sequence),
      cmocka_unit_test(test_finished_one_process_at_a_time),
      cmocka_unit_test(test_building_memory_freed),
      cmocka_unit_test(test_ids_of_every_length),
      cmocka_unit_test(test_choice_with_default),
      cmocka_unit_test(test_parallel),
      cmocka_unit_test(test_loop),
      cmocka_unit_test(test_loop_into_a_branch),
      cmocka_unit_test(test_join_of_two_splits),
      cmocka_unit_test(test_event_gateway),
      cmocka_unit_test(test_the_documented_example),
      cmocka_unit_test(test_string_table_grows),
      cmocka_unit_test(test_string_table_finds_copies),
      cmocka_unit_test(test_documents_and_actions),
      cmocka_unit_test(test_random_graphs),
      cmocka_unit_test(test_after_handler),
      cmocka_unit_test(test_spawn_listener),
      cmocka_unit_test(test_refuses_two_starts),
      cmocka_unit_test(test_refuses_an_unreachable_node),
      cmocka_unit_test(test_processes_reuse_the_work_arrays),
      cmocka_unit_test(test_refuses_a_join_fed_by_a_choice),
      cmocka_unit_test(test_refuses_a_lost_branch),
      cmocka_unit_test(test_refuses_branches_of_two_forks),
      cmocka_unit_test(test_refuses_bad_edges),
      cmocka_unit_test(test_ids_of_a_long_chain),
      cmocka_unit_test(test_codegen_names_the_node),
      cmocka_unit_test(test_try_cancels_parallel_branches),
      cmocka_unit_test(test_try_nested_and_uncaught),
      cmocka_unit_test(test_refuses_a_try_without_catch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
