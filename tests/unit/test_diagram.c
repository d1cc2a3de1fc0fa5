/* test_diagram.c — the neutral diagram graph (diagram.c), without Graphviz:
 * the graph read from the IR and from the bundle is the same (kinds, ids,
 * clusters, finals, back edges), the bundle's folded END nodes are told
 * apart, text wraps by characters on word boundaries. Inputs go through the real parser, checker and code
 * generator; the samples are read from samples/ (tests run from the root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend.h"
#include "check.h"
#include "diag.h"
#include "diagram.h"
#include "parse.h"
#include "util.h"

static void *heap(void *ud, void *ptr, size_t old_size, size_t new_size) {
  (void)ud;
  (void)old_size;
  if (new_size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, new_size);
}

/* Both diagrams of a program: from its IR and from its compiled bundle. */
typedef struct Both {
  Diagram *ir, *bundle;
} Both;

static Both diagrams_of(const char *text) {
  size_t len = strlen(text);
  char *copy = xmalloc(len + 1);
  memcpy(copy, text, len + 1);
  Source *src = source_new("test.bp", copy, (uint32_t)len);
  Diags diags;
  diags_init(&diags, src);
  Program *prog = parse_program(src, &diags);
  if (diags.errors == 0) check_program(prog, &diags);
  if (diags.errors) diags_print(&diags, stderr);
  assert_int_equal(diags.errors, 0);
  diags_free(&diags);
  IrProgram *ir = lower_program(prog);
  Both d = {dg_from_ir(ir), NULL};
  uint8_t *bytes;
  size_t n;
  BptError err;
  assert_true(codegen_bundle(ir, &bytes, &n, &err));
  BptBundle b;
  assert_true(bpt_read(bytes, n, heap, NULL, &b, &err));
  assert_true(bpt_verify(&b, heap, NULL, &err));
  d.bundle = dg_from_bundle(&b);
  bpt_free(&b, heap, NULL);
  free(bytes);
  ir_free(ir);
  program_free(prog);
  source_free(src);
  return d;
}

static void release(Both *d) {
  dg_free(d->ir);
  dg_free(d->bundle);
}

static void assert_same(const Diagram *a, const Diagram *b) {
  assert_int_equal(a->nprocs, b->nprocs);
  for (uint32_t i = 0; i < a->nprocs; i++) {
    const DgProc *p = &a->procs[i], *q = &b->procs[i];
    assert_string_equal(p->name, q->name);
    assert_string_equal(p->title, q->title);
    assert_int_equal(p->nnodes, q->nnodes);
    assert_int_equal(p->nedges, q->nedges);
    assert_int_equal(p->start, q->start);
    for (uint32_t j = 0; j < p->nnodes; j++) {
      const DgNode *m = &p->nodes[j], *n = &q->nodes[j];
      if (m->kind != n->kind)
        fail_msg("%s: node %s is %s from the IR, %s from the bundle", p->name, m->id,
                 dg_kind_name(m->kind), dg_kind_name(n->kind));
      assert_string_equal(m->id, n->id);
      assert_string_equal(m->title, n->title);
      assert_string_equal(m->detail, n->detail);
      assert_int_equal(m->cluster, n->cluster);
      assert_int_equal(m->final, n->final);
    }
    for (uint32_t j = 0; j < p->nedges; j++) {
      const DgEdge *e = &p->edges[j], *f = &q->edges[j];
      assert_int_equal(e->from, f->from);
      assert_int_equal(e->to, f->to);
      assert_int_equal(e->kind, f->kind);
      assert_int_equal(e->back, f->back);
      assert_string_equal(e->label, f->label);
    }
  }
}

static uint32_t count(const DgProc *p, DgKind k) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->nnodes; i++) n += p->nodes[i].kind == k;
  return n;
}

static uint32_t back_edges(const DgProc *p) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->nedges; i++) n += p->edges[i].back;
  return n;
}

static const DgNode *node(const DgProc *p, const char *id) {
  int32_t i = dg_find_node(p, id);
  if (i < 0) fail_msg("no node %s", id);
  return &p->nodes[i];
}

#define DOC "document Doc {\n  title: string\n  author: user\n  n: int\n}\n"

/* ---- the model ------------------------------------------------------------------ */

static void test_states_and_handlers(void **state) {
  (void)state;
  Both d = diagrams_of(DOC
                       "process p on Doc {\n"                                     /* 6 */
                       "  param boss: user\n"
                       "  states {\n"
                       "    draft \"Draft\" {\n"
                       "      command go \"Go\" by author -> review\n"            /* 10 */
                       "    }\n"
                       "    review \"Review\" {\n"
                       "      enter {\n"
                       "        task boss \"Look\" due 1d\n"
                       "          on timeout { goto draft }\n"                   /* 15 */
                       "        goto done\n"
                       "      }\n"
                       "      command back \"Back\" -> draft\n"
                       "    }\n"
                       "    done \"Done\" final\n"                               /* 20 */
                       "  }\n"
                       "}\n");
  assert_same(d.ir, d.bundle);
  const DgProc *p = &d.bundle->procs[0];
  assert_int_equal(count(p, DG_STATE), 3);
  assert_int_equal(count(p, DG_GOTO), 2);
  assert_int_equal(count(p, DG_IDLE), 2); /* draft and done have no enter block */
  assert_int_equal(count(p, DG_END), 0);
  assert_false(node(p, "state_9")->final);
  assert_true(node(p, "state_20")->final);
  /* the task and both gotos are drawn inside review's cluster */
  int32_t review = dg_find_node(p, "state_12");
  assert_int_equal(node(p, "task_14")->cluster, review);
  assert_int_equal(node(p, "goto_15")->cluster, review);
  /* back to draft: the timeout's goto and the command */
  assert_int_equal(back_edges(p), 2);
  release(&d);
}

static void test_loops_and_handler_ends(void **state) {
  (void)state;
  Both d = diagrams_of(DOC
                       "process p on Doc {\n"
                       "  while n < 3 {\n"                                       /* 7 */
                       "    task author \"Again\" due 1d\n"
                       "      remind 1h before { notify author \"soon\" }\n"
                       "    if n == 2 { continue }\n"                            /* 10 */
                       "    n = n + 1\n"
                       "  }\n"
                       "  parallel any {\n"
                       "    branch { task author \"A\" }\n"
                       "    branch { wait 1d }\n"                                 /* 15 */
                       "  }\n"
                       "}\n");
  assert_same(d.ir, d.bundle);
  const DgProc *p = &d.bundle->procs[0];
  assert_int_equal(count(p, DG_HANDLER_END), 1);
  assert_int_equal(count(p, DG_END), 1);
  assert_int_equal(count(p, DG_BRANCH), 2);
  assert_int_equal(count(p, DG_RACE), 1);
  assert_int_equal(count(p, DG_TIMER), 1);
  /* `continue` (a COND edge) and the end of the body go back to the head */
  assert_int_equal(back_edges(p), 2);
  assert_int_equal(node(p, "wait_15")->cluster, dg_find_node(p, "branch_15"));
  release(&d);
}

static void test_samples_agree(void **state) {
  (void)state;
  static const char *const names[] = {"acknowledge", "first_vote", "fix_city", "pay_materials",
                                      "simple_vote", "statuses", "two_stage_approval",
                                      "won_deal_documents"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char path[64];
    snprintf(path, sizeof path, "samples/%s.bp", names[i]);
    size_t len;
    char *text = read_file(path, &len);
    assert_non_null(text);
    Both d = diagrams_of(text);
    assert_same(d.ir, d.bundle);
    assert_int_equal(dg_find_proc(d.ir, "no_such_process"), -1);
    release(&d);
    free(text);
  }
}

/* ---- wrapping ----------------------------------------------------------------------- */

static void assert_wrap(const char *text, unsigned width, unsigned lines, const char *want) {
  Arena a;
  arena_init(&a);
  const char *got = dg_wrap(&a, text, width, lines);
  if (strcmp(got, want) != 0) fail_msg("wrap(\"%s\", %u): \"%s\", not \"%s\"", text, width, got, want);
  arena_free(&a);
}

static void test_wrap(void **state) {
  (void)state;
  assert_wrap("", 24, 5, "");
  assert_wrap("Vote on {title}", 24, 5, "Vote on {title}");
  assert_wrap("  spaces   between\twords ", 24, 5, "spaces between words");
  /* even lines rather than a last word alone */
  assert_wrap("Revise {title}: {ballot.percent}% voted for", 24, 5,
              "Revise {title}:\n{ballot.percent}%\nvoted for");
  assert_wrap("one two three four five six", 12, 5, "one two\nthree four\nfive six");
  /* characters, not bytes: 24 Cyrillic letters are 48 bytes and fit */
  assert_wrap("Согласовать заказ на сумму", 24, 5, "Согласовать\nзаказ на сумму");
  assert_wrap("абвгдеёжзийклмнопрстуфхц", 24, 5, "абвгдеёжзийклмнопрстуфхц");
  /* a word longer than a line is cut, by characters */
  assert_wrap("абвгдеёжзий", 4, 5, "абвг\nдеёж\nзий");
  /* too many lines: the last one says so */
  assert_wrap("a b c d e f", 1, 3, "a\nb\nc…");
  Arena a;
  arena_init(&a);
  assert_string_equal(dg_wrap_parts(&a, "approve · expert · any · due 3d", " · ", 30, 3),
                      "approve · expert\nany · due 3d");
  assert_string_equal(dg_wrap_parts(&a, "task · logistics · due paid.completed_at + 7d", " · ", 30, 3),
                      "task · logistics\ndue paid.completed_at + 7d");
  assert_string_equal(dg_wrap_parts(&a, "review · readers · all", " · ", 30, 3),
                      "review · readers · all");
  /* a part too long for a line starts one */
  assert_string_equal(dg_wrap_parts(&a, "task · bob · due delivered.completed_at + 1d", " · ", 24, 4),
                      "task · bob\ndue\ndelivered.completed_at\n+ 1d");
  arena_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_states_and_handlers),
      cmocka_unit_test(test_loops_and_handler_ends),
      cmocka_unit_test(test_samples_agree),
      cmocka_unit_test(test_wrap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
