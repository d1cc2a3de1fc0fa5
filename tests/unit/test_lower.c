/* test_lower.c — the back end: checked tree -> graph IR (shape of every
 * construct: nodes and edges by kind, clusters, slots) and IR -> bundle (the
 * bytes read back and verify; compiling twice gives the same bytes). Inputs
 * go through the real parser and checker; the samples are read from
 * samples/ (the tests run from the repo root). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codegen.h"
#include "bpt.h"
#include "ir.h"
#include "lower.h"
#include "support.h"
#include "util.h"

/* Generates the bundle, reads it back and verifies it; returns the bytes. */
static uint8_t *assert_bundle_verifies(const IrProgram *ir, size_t *len) {
  uint8_t *bytes = bundle_of(ir, len);
  BptError err;
  BptBundle b;
  bool ok = bpt_read(bytes, *len, heap_realloc, NULL, &b, &err);
  if (!ok) fprintf(stderr, "bpt_read: %s\n", err.message);
  assert_true(ok);
  ok = bpt_verify(&b, heap_realloc, NULL, &err);
  if (!ok) fprintf(stderr, "bpt_verify: %s\n", err.message);
  assert_true(ok);
  assert_int_equal(b.nprocesses, ir->nprocs);
  bpt_free(&b, heap_realloc, NULL);
  return bytes;
}

static void verify(const Compiled *c) {
  size_t len;
  free(assert_bundle_verifies(c->ir, &len));
}

static const IrProc *proc(const Compiled *c, const char *name) {
  for (uint32_t i = 0; i < c->ir->nprocs; i++)
    if (strcmp(c->ir->procs[i].name, name) == 0) return &c->ir->procs[i];
  fail_msg("no process %s", name);
  return NULL;
}

static uint32_t nodes_of(const IrProc *p, IrNodeKind k) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->nodes.n; i++) n += ir_node_at(p, i)->kind == k;
  return n;
}

static uint32_t edges_of(const IrProc *p, IrEdgeKind k) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->edges.n; i++) n += ir_edge_at(p, i)->kind == k;
  return n;
}

static uint32_t back_edges(const IrProc *p) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->edges.n; i++) n += (ir_edge_at(p, i)->flags & IR_EDGE_BACK) != 0;
  return n;
}

static const IrNode *first_node(const IrProc *p, IrNodeKind k) {
  for (uint32_t i = 0; i < p->nodes.n; i++)
    if (ir_node_at(p, i)->kind == k) return ir_node_at(p, i);
  fail_msg("no %s node", ir_node_kind_name(k));
  return NULL;
}

/* Every node's out/in lists agree with the edges; every path node but the
 * start has a way in. */
static void assert_well_formed(const IrProc *p) {
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    const IrNode *n = ir_node_at(p, i);
    assert_int_equal(n->index, i);
    for (uint32_t j = 0; j < n->nout; j++) assert_ptr_equal(ir_edge_at(p, n->out[j])->from, n);
    for (uint32_t j = 0; j < n->nin; j++) assert_ptr_equal(ir_edge_at(p, n->in[j])->to, n);
    if (n->kind != IR_START && n->kind != IR_BRANCH) assert_true(n->nin > 0);
    if (ir_is_terminal(n->kind)) assert_true(n->kind == IR_GOTO ? n->nout == 1 : n->nout == 0);
  }
}

#define DOC "document Doc {\n  title: string\n  author: user\n  n: int\n  amount: decimal\n}\n"

/* ---- sequences and data ----------------------------------------------------- */

static void test_sequence(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  notify author \"hi {title}\"\n"
                            "  log \"x\"\n"
                            "  n = n + 1\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(p->nodes.n, 5);
  assert_int_equal(nodes_of(p, IR_START), 1);
  assert_int_equal(nodes_of(p, IR_NOTIFY), 1);
  assert_int_equal(nodes_of(p, IR_LOG), 1);
  assert_int_equal(nodes_of(p, IR_ASSIGN), 1);
  assert_int_equal(nodes_of(p, IR_END), 1);
  assert_int_equal(edges_of(p, IR_E_FLOW), 4);
  assert_int_equal(p->edges.n, 4);
  const IrNode *notify = first_node(p, IR_NOTIFY);
  assert_string_equal(notify->detail, "notify · author");
  assert_string_equal(notify->title, "hi {title}");
  assert_int_equal(notify->line, 8);
  assert_int_equal(notify->col, 3);
  assert_string_equal(notify->id, "notify_8");
  assert_well_formed(p);
  verify(&c);
  compiled_free(&c);
}

/* `bpc compile` lowers with the IR pointing at the loaded text (lower_program_sharing);
 * lower_program keeps a copy of its own. The bundles are the same bytes. */
static void test_source_shared_or_copied(void **state) {
  (void)state;
  Compiled c = compile_text(DOC "process p on Doc {\n  log \"x\"\n}\n");
  assert_ptr_not_equal(c.ir->source_text, c.src->text);
  assert_int_equal(c.ir->source_len, c.src->len);
  assert_memory_equal(c.ir->source_text, c.src->text, c.src->len);
  IrProgram *shared = lower_program_sharing(c.prog);
  assert_ptr_equal(shared->source_text, c.src->text);
  assert_int_equal(shared->source_len, c.src->len);
  size_t copied_len, shared_len;
  uint8_t *copied_bytes = bundle_of(c.ir, &copied_len), *shared_bytes = bundle_of(shared, &shared_len);
  assert_int_equal(copied_len, shared_len);
  assert_memory_equal(copied_bytes, shared_bytes, copied_len);
  free(copied_bytes);
  free(shared_bytes);
  ir_free(shared);
  compiled_free(&c);
}

/* The constant table keys a list by all of its items: two equal lists of 20 (longer
 * than the key's buffer on the stack) are one constant, and one differing in the last
 * item is another. */
static void test_long_list_constants(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  var a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]\n"
                            "  var b = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]\n"
                            "  var d = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21]\n"
                            "  n = len(a) + len(b) + len(d)\n"
                            "}\n");
  size_t len;
  uint8_t *bytes = assert_bundle_verifies(c.ir, &len);
  BptBundle b;
  BptError err;
  assert_true(bpt_read(bytes, len, heap_realloc, NULL, &b, &err));
  uint32_t lists = 0, ints = 0;
  for (uint32_t i = 0; i < b.nconsts; i++) {
    lists += b.consts[i].nitems == 20;
    ints += b.consts[i].type == BPT_T_INT;
  }
  assert_int_equal(lists, 2);
  assert_int_equal(ints, 21); /* 1..21, each once */
  bpt_free(&b, heap_realloc, NULL);
  free(bytes);
  compiled_free(&c);
}

static void test_declarations(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  start on change title, n when n > 2\n"
                            "  param who: users \"Who\"\n"
                            "  param pct: int = 50\n"
                            "  var total: decimal = 1\n"
                            "  var s: string\n"
                            "  const fee = 0.15\n"
                            "  total = amount * fee + n\n"
                            "  s = \"{total}\"\n"
                            "  notify who \"{s}\"\n"
                            "  log \"{pct}\"\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(p->slots.n, 4);
  assert_int_equal(p->params.n, 2);
  assert_int_equal(p->inits.n, 2);
  const IrParam *who = p->params.items[0], *pct = p->params.items[1];
  assert_true(who->required);
  assert_string_equal(who->label, "Who");
  assert_false(pct->required);
  assert_int_equal(ir_slot_at(p, who->slot)->kind, IR_SLOT_PARAM);
  assert_int_equal(p->trigger.kind, TRIG_CHANGE);
  assert_int_equal(p->trigger.nfields, 2);
  assert_int_equal(p->trigger.fields[0], 0); /* title */
  assert_int_equal(p->trigger.fields[1], 2); /* n */
  assert_non_null(p->trigger.when);
  assert_int_equal(p->doc, 0);
  verify(&c);
  compiled_free(&c);
}

/* An expression has no position of its own: lowering keeps where a condition, a default
 * and a trigger's `when` are written on their COND edge, IrParam and IrTrigger, and code
 * generation records those positions in the line table. A CATCH edge's codes share the
 * COND edge's room and stay whole. The IR's expression is 32 bytes and its edge 48
 * (pointers of 8 bytes). */
static bool has_line(const BptBundle *b, const BptProcess *bp, uint32_t line, uint32_t col) {
  for (uint32_t i = 0; i < bp->nlines; i++)
    if (b->lines[bp->first_line + i].line == line && b->lines[bp->first_line + i].col == col)
      return true;
  return false;
}

static void test_condition_positions(void **state) {
  (void)state;
  if (sizeof(void *) == 8) {
    assert_int_equal(sizeof(IrExpr), 32);
    assert_int_equal(sizeof(IrEdge), 48);
  }
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  start on change n when  n > 2\n"
                            "  param pct: int =   50\n"
                            "  if   n > 1 {\n    log \"a\"\n  } else if  n > 0 {\n    log \"b\"\n  }\n"
                            "  while    n < 9 { n = n + 1 }\n"
                            "  try {\n    log \"t\"\n  } catch \"X\", \"Y\" as e {\n    log \"c\"\n  }\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(p->trigger.line, 8);
  assert_int_equal(p->trigger.col, 27);
  const IrParam *pct = p->params.items[0];
  assert_int_equal(pct->line, 9);
  assert_int_equal(pct->col, 22);
  uint32_t conds = 0, catches = 0;
  for (uint32_t i = 0; i < p->edges.n; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    if (e->kind == IR_E_COND) {
      conds++;
      assert_non_null(e->cond);
      if (str_eq(e->label, "n > 1")) assert_true(e->line == 10 && e->col == 8);
      else if (str_eq(e->label, "n > 0")) assert_true(e->line == 12 && e->col == 14);
      else assert_true(str_eq(e->label, "n < 9") && e->line == 15 && e->col == 12);
    } else if (e->kind == IR_E_CATCH) {
      catches++;
      assert_int_equal(e->ncodes, 2);
      assert_string_equal(e->codes[0], "X");
      assert_string_equal(e->codes[1], "Y");
    }
  }
  assert_int_equal(conds, 3);
  assert_int_equal(catches, 1);
  size_t len;
  uint8_t *bytes = assert_bundle_verifies(c.ir, &len);
  BptBundle b;
  BptError err;
  assert_true(bpt_read(bytes, len, heap_realloc, NULL, &b, &err));
  const BptProcess *bp = &b.processes[0];
  assert_true(has_line(&b, bp, 9, 22));
  /* a first arm's test (`if`, `while`) takes its choice's entry */
  assert_true(has_line(&b, bp, 12, 14));
  assert_true(has_line(&b, bp, 8, 27));
  bpt_free(&b, heap_realloc, NULL);
  free(bytes);
  compiled_free(&c);
}

/* `bpc compile` lowers, finishes and generates one process at a time
 * (lower_program_each): each process is handed over once, in order, built in the memory
 * the one before used (its first node at the same address), and gone after; the bundle
 * keeps copies of the strings it took (the ids are overwritten here once generated) and
 * is the bundle of the whole program lowered at once. */
typedef struct EachRun {
  Codegen *g;
  BptError err;
  uint32_t n;
  const void *first[4];
  uint32_t nodes[4];
} EachRun;

static void each_process(IrProgram *ir, IrProc *p, void *ctx) {
  EachRun *r = ctx;
  if (!r->g) r->g = codegen_start(ir, true, 0, &r->err);
  assert_true(r->n < 4);
  assert_int_equal(p - ir->procs, r->n);
  r->first[r->n] = ir_node_at(p, 0);
  r->nodes[r->n] = p->nodes.n;
  codegen_process(r->g, p);
  for (uint32_t i = 0; i < p->nodes.n; i++) { /* what lowering gives back next */
    IrNode *n = ir_node_at(p, i);
    memset((char *)n->id, 'X', strlen(n->id));
  }
  r->n++;
}

static void test_one_process_at_a_time(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process a on Doc {\n  log \"a\"\n  start b(k: 2)\n}\n"
                            "process b on Doc {\n  param k: int\n  if k > 1 {\n    log \"big\"\n  }\n}\n"
                            "process c on Doc {\n  while n < 3 { n = n + 1 }\n}\n");
  size_t want_len;
  uint8_t *want = bundle_of(c.ir, &want_len);
  EachRun r = {0};
  IrProgram *ir = lower_program_each(c.prog, each_process, &r);
  assert_int_equal(r.n, 3);
  assert_ptr_equal(r.first[1], r.first[0]);
  assert_ptr_equal(r.first[2], r.first[0]);
  for (uint32_t i = 0; i < 3; i++) {
    assert_true(r.nodes[i] > 1);
    assert_int_equal(ir->procs[i].nodes.n, 0);
  }
  assert_int_equal(ir->procs[1].params.n, 1); /* the shell stays */
  uint8_t *bytes;
  size_t len;
  assert_true(codegen_end(r.g, &bytes, &len));
  assert_int_equal(len, want_len);
  assert_memory_equal(bytes, want, len);
  free(bytes);
  free(want);
  ir_free(ir);
  compiled_free(&c);
}

/* ---- if, loops ------------------------------------------------------------------ */

static void test_if_else_if_else(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  if n > 1 {\n    log \"a\"\n  } else if n > 0 {\n    log \"b\"\n"
                            "  } else {\n    log \"c\"\n  }\n"
                            "  log \"after\"\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_CHOICE), 1);
  assert_int_equal(nodes_of(p, IR_MERGE), 1);
  assert_int_equal(edges_of(p, IR_E_COND), 2);
  assert_int_equal(edges_of(p, IR_E_ELSE), 1);
  const IrNode *choice = first_node(p, IR_CHOICE);
  assert_int_equal(choice->nout, 3);
  const IrNode *merge = first_node(p, IR_MERGE);
  assert_int_equal(merge->nin, 3);
  /* The arms keep their order and their condition's text. */
  for (uint32_t i = 0; i < choice->nout; i++) {
    const IrEdge *e = ir_edge_at(p, choice->out[i]);
    if (e->kind == IR_E_COND) assert_string_equal(e->label, e->arm == 0 ? "n > 1" : "n > 0");
  }
  assert_well_formed(p);
  verify(&c);
  compiled_free(&c);
}

static void test_if_without_else(void **state) {
  (void)state;
  Compiled c = compile_text(DOC "process p on Doc {\n  if n > 1 { log \"a\" }\n  log \"b\"\n}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_CHOICE), 1);
  assert_int_equal(edges_of(p, IR_E_COND), 1);
  assert_int_equal(edges_of(p, IR_E_ELSE), 1);
  assert_int_equal(nodes_of(p, IR_MERGE), 1);
  verify(&c);
  compiled_free(&c);
}

/* A branch that ends (terminate) needs no merge: the else edge goes on. */
static void test_if_that_ends(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n  if n > 1 { terminate \"no\" }\n  log \"b\"\n}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_MERGE), 0);
  assert_int_equal(nodes_of(p, IR_TERMINATE), 1);
  const IrNode *log = first_node(p, IR_LOG);
  assert_int_equal(log->nin, 1);
  assert_int_equal(ir_edge_at(p, log->in[0])->kind, IR_E_ELSE);
  verify(&c);
  compiled_free(&c);
}

static void test_while_break_continue(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  while n < 10 {\n"
                            "    n = n + 1\n"
                            "    if n == 3 { continue }\n"
                            "    if n == 7 { break }\n"
                            "  }\n"
                            "  log \"done\"\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  /* head, end-if merges are not needed (each if has one way on), loop exit */
  assert_int_equal(nodes_of(p, IR_CHOICE), 3);
  const IrNode *head = ir_node_at(p, 1);
  assert_int_equal(head->kind, IR_MERGE);
  /* back edges: the continue and the end of the body */
  assert_int_equal(back_edges(p), 2);
  uint32_t exits = 0;
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    const IrNode *n = ir_node_at(p, i);
    if (n->kind == IR_MERGE && n->u.merge.loop_head == head) {
      exits++;
      assert_int_equal(n->nin, 2); /* the while's else, the break */
    }
  }
  assert_int_equal(exits, 1);
  assert_well_formed(p);
  verify(&c);
  compiled_free(&c);
}

static void test_loop_forever_with_break(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  loop {\n    n = n + 1\n    if n > 3 { break }\n  }\n"
                            "  log \"done\"\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_MERGE), 2); /* head, exit */
  assert_int_equal(back_edges(p), 1);
  assert_int_equal(edges_of(p, IR_E_ELSE), 1);
  /* the break is the choice's COND edge, to the loop's exit */
  const IrNode *choice = first_node(p, IR_CHOICE);
  for (uint32_t i = 0; i < choice->nout; i++) {
    const IrEdge *e = ir_edge_at(p, choice->out[i]);
    if (e->kind == IR_E_COND) assert_ptr_equal(e->to->u.merge.loop_head, ir_node_at(p, 1));
    else assert_true(e->flags & IR_EDGE_BACK);
  }
  verify(&c);
  compiled_free(&c);
}

static void test_for(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  var s: string\n"
                            "  for x in [\"a\", \"b\"] {\n    s = s + x\n  }\n"
                            "  log \"{s}\"\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_ITER_START), 1);
  assert_int_equal(nodes_of(p, IR_ITER_NEXT), 1);
  const IrNode *start = first_node(p, IR_ITER_START);
  const IrNode *next = first_node(p, IR_ITER_NEXT);
  uint16_t slot = start->u.iter_start.slot;
  assert_int_equal(next->u.iter_next.slot, slot);
  assert_int_equal(ir_slot_at(p, slot)->kind, IR_SLOT_HIDDEN);
  assert_int_equal(ir_slot_at(p, slot + 1)->kind, IR_SLOT_HIDDEN);
  assert_ptr_equal(ir_slot_at(p, slot + 1)->type, &type_int);
  assert_int_equal(ir_slot_at(p, next->u.iter_next.var)->kind, IR_SLOT_LOOPVAR);
  assert_int_equal(back_edges(p), 1);
  assert_int_equal(edges_of(p, IR_E_LOOP), 1);
  assert_int_equal(edges_of(p, IR_E_ELSE), 1); /* done */
  assert_well_formed(p);
  verify(&c);
  compiled_free(&c);
}

/* ---- parallel ----------------------------------------------------------------- */

static void test_parallel_all(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  parallel {\n"
                            "    branch { task author \"A\" }\n"
                            "    branch { wait 1h\n      log \"x\" }\n"
                            "    branch { }\n"
                            "  }\n"
                            "  log \"after\"\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_FORK), 1);
  assert_int_equal(nodes_of(p, IR_BRANCH), 3);
  assert_int_equal(nodes_of(p, IR_JOIN), 1);
  const IrNode *fork = first_node(p, IR_FORK), *join = first_node(p, IR_JOIN);
  assert_int_equal(fork->nout, 3);
  assert_int_equal(join->nin, 3);
  assert_int_equal(join->u.fork.nbranches, 3);
  assert_int_equal(join->u.fork.group, fork->u.fork.group);
  assert_int_equal(p->ngroups, 1);
  /* nodes inside a branch are in its cluster; the fork and join are not */
  const IrNode *task = first_node(p, IR_TASK), *wait = first_node(p, IR_WAIT);
  assert_non_null(task->cluster);
  assert_int_equal(task->cluster->kind, IR_BRANCH);
  assert_int_equal(task->cluster->u.branch.number, 1);
  assert_int_equal(wait->cluster->u.branch.number, 2);
  assert_int_equal(first_node(p, IR_LOG)->cluster->u.branch.number, 2);
  assert_null(fork->cluster);
  assert_null(join->cluster);
  assert_well_formed(p);
  verify(&c);
  compiled_free(&c);
}

static void test_parallel_any(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  parallel any {\n"
                            "    branch { approve author \"A\" }\n"
                            "    branch { wait 3d }\n"
                            "  }\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_RACE), 1);
  assert_int_equal(nodes_of(p, IR_BRANCH), 2);
  assert_int_equal(nodes_of(p, IR_RACE_JOIN), 1);
  assert_int_equal(nodes_of(p, IR_FORK), 0);
  assert_int_equal(first_node(p, IR_RACE_JOIN)->u.fork.nbranches, 1);
  verify(&c);
  compiled_free(&c);
}

static void test_nested_parallel(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  parallel {\n"
                            "    branch {\n"
                            "      parallel any {\n"
                            "        branch { task author \"x\" }\n"
                            "        branch { wait 1d }\n"
                            "      }\n"
                            "    }\n"
                            "    branch { log \"y\" }\n"
                            "  }\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(p->ngroups, 2);
  const IrNode *task = first_node(p, IR_TASK);
  assert_int_equal(task->cluster->kind, IR_BRANCH);
  assert_non_null(task->cluster->cluster); /* the inner branch is in the outer one */
  assert_int_equal(first_node(p, IR_RACE)->cluster->kind, IR_BRANCH);
  verify(&c);
  compiled_free(&c);
}

/* ---- waits, terminate, steps, actions -------------------------------------------- */

static void test_waits_and_terminate(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  wait 2h\n"
                            "  wait until now() + 1d\n"
                            "  terminate \"stop\"\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_WAIT), 1);
  assert_int_equal(nodes_of(p, IR_WAIT_UNTIL), 1);
  assert_int_equal(nodes_of(p, IR_TERMINATE), 1);
  assert_int_equal(nodes_of(p, IR_END), 0);
  assert_int_equal(codegen_node_kind(IR_WAIT), BPT_N_TIMER);
  verify(&c);
  compiled_free(&c);
}

static void test_human_steps(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  param voters: users\n"
                            "  param quorum: int = 60\n"
                            "  param boss: user\n"
                            "  var note: string\n"
                            "  approve voters \"Vote on {title}\" mode vote quorum% due 3d -> v\n"
                            "    remind 1d before { notify voters \"soon\" }\n"
                            "    remind 2h before { }\n"
                            "    on timeout {\n"
                            "      if quorum > 50 { reassign boss due 1d } else { add voters }\n"
                            "    }\n"
                            "  task author \"T\" -> t\n"
                            "  review voters \"R\" -> r\n"
                            "  request author \"Q\" {\n    title: string \"Title\"\n"
                            "    note: string \"Note\"\n  } -> q\n"
                            "  log \"{v.approved} {t.comment} {r.count} {q.completed_by} {note}\"\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_APPROVE), 1);
  assert_int_equal(nodes_of(p, IR_TASK), 1);
  assert_int_equal(nodes_of(p, IR_REVIEW), 1);
  assert_int_equal(nodes_of(p, IR_REQUEST), 1);
  assert_int_equal(p->nsteps, 4);
  assert_int_equal(edges_of(p, IR_E_TIMER), 3);
  assert_int_equal(nodes_of(p, IR_HANDLER_END), 3);
  assert_int_equal(nodes_of(p, IR_REASSIGN), 1);
  assert_int_equal(nodes_of(p, IR_ADD), 1);
  const IrNode *a = first_node(p, IR_APPROVE);
  const IrHuman *h = a->u.human;
  assert_int_equal(h->mode, IR_MODE_VOTE);
  assert_int_equal(h->nreminds, 2);
  assert_int_equal(h->remind_entry[0]->kind, IR_NOTIFY);
  assert_int_equal(h->remind_entry[1]->kind, IR_HANDLER_END); /* an empty handler */
  assert_int_equal(h->timeout_entry->kind, IR_CHOICE);
  assert_true(h->result >= 0);
  assert_int_equal(ir_slot_at(p, (uint32_t)h->result)->kind, IR_SLOT_RESULT);
  assert_string_equal(a->detail, "approve · voters · vote quorum% · due 3d");
  assert_string_equal(a->title, "Vote on {title}");
  /* The labels lowering makes from the source (connect_one keeps them as made): the
   * handlers' TIMER edges, in the order written, and the timeout's choice. */
  const char *timer_labels[] = {"remind 1d before", "remind 2h before", "on timeout"};
  uint32_t t = 0;
  for (uint32_t i = 0; i < p->edges.n; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    if (e->kind == IR_E_TIMER && t < 3) assert_string_equal(e->label, timer_labels[t++]);
    if (e->kind == IR_E_COND) assert_string_equal(e->label, "quorum > 50");
    if (e->kind == IR_E_ELSE) assert_string_equal(e->label, "else");
    if (e->kind == IR_E_FLOW && e->from->kind != IR_CHOICE) assert_string_equal(e->label, "");
  }
  assert_int_equal(t, 3);
  assert_string_equal(h->timeout_entry->title, "if quorum > 50");
  assert_int_equal(first_node(p, IR_REVIEW)->u.human->mode, IR_MODE_ALL); /* review default */
  const IrHuman *q = first_node(p, IR_REQUEST)->u.human;
  assert_int_equal(q->nfields, 2);
  assert_false(q->fields[0].to_slot); /* a document field */
  assert_int_equal(q->fields[0].index, 0);
  assert_true(q->fields[1].to_slot); /* a variable */
  assert_string_equal(q->fields[1].label, "Note");
  assert_well_formed(p);
  verify(&c);
  compiled_free(&c);
}

static void test_actions_and_start(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "action invoice(deal: string, amount: decimal): string\n"
                            "action ping(to: users)\n"
                            "process child on Doc {\n  param a: int\n  param b: string = \"x\"\n"
                            "  log \"{a}{b}\"\n}\n"
                            "process p on Doc {\n"
                            "  invoice(title, 5) -> id\n"
                            "  ping(author)\n"
                            "  start child(b: id, a: n)\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(nodes_of(p, IR_ACTION), 2);
  assert_int_equal(nodes_of(p, IR_START_PROCESS), 1);
  const IrNode *s = first_node(p, IR_START_PROCESS);
  assert_int_equal(s->u.start.proc, 0);
  assert_int_equal(s->u.start.n, 2);
  assert_int_equal(s->u.start.args[0].param, 1); /* b */
  assert_int_equal(s->u.start.args[1].param, 0); /* a */
  const IrNode *inv = first_node(p, IR_ACTION);
  assert_int_equal(inv->u.action.action, 0);
  assert_true(inv->u.action.result >= 0);
  verify(&c);
  compiled_free(&c);
}

/* ---- states ------------------------------------------------------------------------ */

static void test_states(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p on Doc {\n"
                            "  param approvers: users\n"
                            "  states {\n"
                            "    draft \"Draft\" {\n"
                            "      command submit \"Send\" by author -> checking\n"
                            "    }\n"
                            "    checking \"Checking\" {\n"
                            "      enter {\n"
                            "        approve approvers \"Approve {title}\" mode all -> r\n"
                            "        if r.approved { goto done }\n"
                            "        goto draft\n"
                            "      }\n"
                            "      command note \"Note\" { log \"noted\" }\n"
                            "    }\n"
                            "    done \"Done\" final\n"
                            "  }\n"
                            "}\n");
  const IrProc *p = proc(&c, "p");
  assert_int_equal(p->nstates, 3);
  assert_int_equal(nodes_of(p, IR_STATE), 3);
  assert_int_equal(nodes_of(p, IR_GOTO), 2);
  assert_int_equal(edges_of(p, IR_E_GOTO), 2);
  assert_int_equal(edges_of(p, IR_E_COMMAND), 2);
  /* draft rests at once, the note command body rests, done rests */
  assert_int_equal(nodes_of(p, IR_IDLE), 3);
  assert_true(p->states[2].final);
  assert_int_equal(p->states[0].commands[0].target, 1);
  assert_int_equal(p->states[1].commands[0].target, -1);
  assert_int_equal(p->states[1].commands[0].body->kind, IR_LOG);
  assert_int_equal(p->states[1].enter->kind, IR_APPROVE);
  /* the start flows into the first state */
  assert_int_equal(p->start->nout, 1);
  assert_ptr_equal(ir_edge_at(p, p->start->out[0])->to, p->states[0].node);
  /* enter blocks and command bodies are drawn inside their state */
  assert_ptr_equal(first_node(p, IR_APPROVE)->cluster, p->states[1].node);
  assert_ptr_equal(first_node(p, IR_LOG)->cluster, p->states[1].node);
  assert_well_formed(p);
  verify(&c);
  compiled_free(&c);
}

/* ---- the bundle ------------------------------------------------------------------- */

static void test_bundle_contents(void **state) {
  (void)state;
  Compiled c = compile_text(DOC
                            "process p \"P\" on Doc {\n"
                            "  parallel {\n    branch { task author \"A\" }\n"
                            "    branch { log \"b\" }\n  }\n"
                            "}\n");
  size_t len;
  uint8_t *bytes = assert_bundle_verifies(c.ir, &len);
  BptBundle b;
  BptError err;
  assert_true(bpt_read(bytes, len, heap_realloc, NULL, &b, &err));
  assert_int_equal(b.nprocesses, 1);
  const BptProcess *bp = &b.processes[0];
  assert_int_equal(bp->ngroups, 1);
  assert_int_equal(bp->nsteps, 1);
  assert_int_equal(bp->nnodes, proc(&c, "p")->nodes.n);
  assert_int_equal(bp->nedges, proc(&c, "p")->edges.n);
  assert_true(bp->nlines > 0);
  assert_string_equal(b.strings[0].data, "");
  assert_string_equal(b.strings[b.source_file].data, "test.bp");
  assert_string_equal(b.strings[bp->title].data, "P");
  /* the step's graph node is the task */
  assert_int_equal(b.nodes[b.processes[0].steps[0].node].kind, BPT_N_TASK);
  /* two branch clusters, the task inside one */
  uint32_t branches = 0;
  for (uint32_t i = 0; i < b.nnodes; i++) branches += b.nodes[i].kind == BPT_N_BRANCH;
  assert_int_equal(branches, 2);
  assert_int_equal(b.nodes[b.nodes[b.processes[0].steps[0].node].cluster].kind, BPT_N_BRANCH);
  /* the code has one FORK and two JOINs */
  uint32_t forks = 0, joins = 0;
  for (uint32_t pc = 0; pc < bp->code_size;) {
    BptInsn in;
    assert_true(bpt_decode(b.code + bp->code_offset, bp->code_size, pc, &in));
    forks += in.op == BPT_OP_FORK;
    joins += in.op == BPT_OP_JOIN;
    pc += in.size;
  }
  assert_int_equal(forks, 1);
  assert_int_equal(joins, 2);
  bpt_free(&b, heap_realloc, NULL);
  free(bytes);
  compiled_free(&c);
}

static void test_deterministic(void **state) {
  (void)state;
  const char *text = DOC
      "process p on Doc {\n"
      "  var s: string\n"
      "  for x in [\"a\", \"b\"] { s = s + x }\n"
      "  if s == \"ab\" and n > 1 { log \"{s}\" } else { notify author \"{n > 1 ? 1 : 2.5}\" }\n"
      "}\n";
  Compiled a = compile_text(text), b = compile_text(text);
  size_t la, lb;
  uint8_t *ba = assert_bundle_verifies(a.ir, &la), *bb = assert_bundle_verifies(b.ir, &lb);
  assert_int_equal(la, lb);
  assert_memory_equal(ba, bb, la);
  free(ba);
  free(bb);
  compiled_free(&a);
  compiled_free(&b);
}

/* Deep nesting within the parser's limit lowers and verifies. */
static void test_deep_nesting(void **state) {
  (void)state;
  StrBuf t;
  sb_init(&t);
  sb_puts(&t, DOC "process p on Doc {\n");
  for (int i = 0; i < 60; i++) sb_printf(&t, "if n > %d {\nwhile n < %d {\nn = n + 1\n", i, i + 5);
  for (int i = 0; i < 60; i++) sb_puts(&t, "}\n}\n");
  sb_puts(&t, "}\n");
  Compiled c = compile_text(t.data);
  assert_int_equal(nodes_of(proc(&c, "p"), IR_CHOICE), 120);
  verify(&c);
  compiled_free(&c);
  sb_free(&t);
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_samples(void **state) {
  (void)state;
  DIR *d = opendir("samples");
  assert_non_null(d);
  char *names[256];
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < 256;)
    if (has_suffix(e->d_name, ".bp")) names[n++] = xstrdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, compare_names);
  assert_true(n > 0);
  for (size_t i = 0; i < n; i++) {
    StrBuf path;
    sb_init(&path);
    sb_printf(&path, "samples/%s", names[i]);
    size_t len;
    char *text = read_file(path.data, &len);
    assert_non_null(text);
    Compiled c = compile_text(text);
    for (uint32_t j = 0; j < c.ir->nprocs; j++) assert_well_formed(&c.ir->procs[j]);
    size_t len1, len2;
    uint8_t *before = assert_bundle_verifies(c.ir, &len1);
    /* The IR owns its strings and expressions: it outlives the program and
     * the source text, and gives the same bundle without them. */
    parse_program_free(c.prog);
    source_free(c.src);
    for (uint32_t j = 0; j < c.ir->nprocs; j++) free(ir_dump(&c.ir->procs[j]));
    uint8_t *after = assert_bundle_verifies(c.ir, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(before, after, len1);
    free(before);
    free(after);
    ir_free(c.ir);
    free(text);
    sb_free(&path);
    free(names[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sequence),
      cmocka_unit_test(test_declarations),
      cmocka_unit_test(test_condition_positions),
      cmocka_unit_test(test_one_process_at_a_time),
      cmocka_unit_test(test_long_list_constants),
      cmocka_unit_test(test_source_shared_or_copied),
      cmocka_unit_test(test_if_else_if_else),
      cmocka_unit_test(test_if_without_else),
      cmocka_unit_test(test_if_that_ends),
      cmocka_unit_test(test_while_break_continue),
      cmocka_unit_test(test_loop_forever_with_break),
      cmocka_unit_test(test_for),
      cmocka_unit_test(test_parallel_all),
      cmocka_unit_test(test_parallel_any),
      cmocka_unit_test(test_nested_parallel),
      cmocka_unit_test(test_waits_and_terminate),
      cmocka_unit_test(test_human_steps),
      cmocka_unit_test(test_actions_and_start),
      cmocka_unit_test(test_states),
      cmocka_unit_test(test_bundle_contents),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_deep_nesting),
      cmocka_unit_test(test_samples),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
