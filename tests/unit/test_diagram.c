/* test_diagram.c — the neutral diagram graph (diagram.c) and the journal
 * overlay (trace.c), without Graphviz: the graph read from the IR and from
 * the bundle is the same (kinds, ids, clusters, finals, back edges), the
 * bundle's folded END nodes are told apart, text wraps by characters on word
 * boundaries, journals parse or are refused line by line, and an instance's
 * path is marked. Inputs go through the real parser, checker and code
 * generator; the samples are read from samples/ (tests run from the root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diagram.h"
#include "support.h"
#include "trace.h"
#include "util.h"

/* Both diagrams of a program: from its IR and from its compiled bundle. */
typedef struct Both {
  Diagram *ir, *bundle;
} Both;

static Both diagrams_of(const char *text) {
  Compiled c = compile_text(text);
  Both d = {dg_from_ir(c.ir), NULL};
  size_t n;
  uint8_t *bytes = bundle_of(c.ir, &n);
  BptBundle b;
  BptError err;
  assert_true(bpt_read(bytes, n, heap_realloc, NULL, &b, &err));
  assert_true(bpt_verify(&b, heap_realloc, NULL, &err));
  d.bundle = dg_from_bundle(&b);
  bpt_free(&b, heap_realloc, NULL);
  free(bytes);
  compiled_free(&c);
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
      assert_int_equal(m->in_handler, n->in_handler);
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

/* ---- journals --------------------------------------------------------------------------- */

static Journal *parse(const char *text, char *errors, size_t size) {
  FILE *err = fmemopen(errors, size, "w");
  assert_non_null(err);
  Journal *j = trace_parse("j.log", text, strlen(text), err);
  fclose(err);
  return j;
}

static void test_journal_parse(void **state) {
  (void)state;
  char errors[2048] = "";
  Journal *j = parse("# a comment\n"
                     "\n"
                     "2026-03-01T09:00\t#1\tsimple_vote\tapprove_9\topened: Vote on Contract 7\r\n"
                     "2026-03-01T09:05:30\t#12\tsimple_vote\t-\ttext\twith a tab\n"
                     "#\n"
                     "2026-03-01T09:06\t#1\tsimple_vote\tnotify_11\t",
                     errors, sizeof errors);
  assert_non_null(j);
  assert_string_equal(errors, "");
  assert_int_equal(j->n, 3);
  assert_int_equal(j->entries[0].line, 3);
  assert_int_equal(j->entries[0].instance, 1);
  assert_string_equal(j->entries[0].node, "approve_9");
  assert_string_equal(j->entries[0].text, "opened: Vote on Contract 7");
  assert_int_equal(j->entries[1].instance, 12);
  assert_null(j->entries[1].node);
  assert_string_equal(j->entries[1].text, "text\twith a tab");
  assert_string_equal(j->entries[2].text, "");
  trace_free(j);

  /* every malformed line is reported, and nothing is returned */
  j = parse("2026-03-01 09:00\t#1\tp\tn\tx\n"
            "2026-03-01T09:00\t1\tp\tn\tx\n"
            "2026-03-01T09:00\t#1\tp\tn\n"
            "2026-03-01T09:00\t#1\tp q\tn\tx\n"
            "2026-03-01T09:00\t#1\tp\ta b\tx\n"
            "2026-03-01T24:00\t#1\tp\tn\tx\n"
            "#1 not a comment\n",
            errors, sizeof errors);
  assert_null(j);
  for (int line = 1; line <= 7; line++) {
    char want[32];
    snprintf(want, sizeof want, "j.log:%d: error: ", line);
    if (!strstr(errors, want)) fail_msg("no error for line %d in:\n%s", line, errors);
  }
}

static void test_overlay(void **state) {
  (void)state;
  size_t len;
  char *text = read_file("samples/two_stage_approval.bp", &len);
  assert_non_null(text);
  Both d = diagrams_of(text);
  free(text);
  char errors[1024] = "";
  /* The expert rejects, the author revises, the expert approves, the vote passes. */
  Journal *j = parse("2026-03-01T09:00\t#1\ttwo_stage_approval\tapprove_17\topened\n"
                     "2026-03-01T09:00\t#2\ttwo_stage_approval\tapprove_17\tanother instance\n"
                     "2026-03-02T09:00\t#1\ttwo_stage_approval\ttask_19\topened\n"
                     "2026-03-02T09:00\t#1\ttwo_stage_approval\tnope_1\tunknown\n"
                     "2026-03-03T09:00\t#1\ttwo_stage_approval\tapprove_17\topened\n"
                     "2026-03-04T09:00\t#1\ttwo_stage_approval\tapprove_22\topened\n"
                     "2026-03-05T09:00\t#1\ttwo_stage_approval\tnotify_29\tsent\n",
                     errors, sizeof errors);
  assert_non_null(j);
  FILE *err = fmemopen(errors, sizeof errors, "w");
  assert_int_equal(trace_overlay(j, d.bundle, -1, false, 0, err), 6);
  fclose(err);
  assert_non_null(strstr(errors, "j.log:4: warning: process `two_stage_approval` has no node `nope_1`"));
  const DgProc *p = &d.bundle->procs[0];
  assert_int_equal(node(p, "approve_17")->mark, DG_VISITED);
  assert_int_equal(node(p, "task_19")->mark, DG_VISITED);
  assert_int_equal(node(p, "start_9")->mark, DG_PASSED);
  assert_int_equal(node(p, "merge_15")->mark, DG_PASSED);   /* the loop head */
  assert_int_equal(node(p, "choice_23")->mark, DG_PASSED);
  assert_int_equal(node(p, "task_26")->mark, DG_UNMARKED);  /* the second revision: not taken */
  assert_int_equal(node(p, "end_30")->mark, DG_UNMARKED);
  uint32_t marked = 0;
  for (uint32_t i = 0; i < p->nedges; i++) {
    const DgEdge *e = &p->edges[i];
    marked += e->mark != DG_UNMARKED;
    if (e->back && e->mark) assert_string_equal(p->nodes[e->from].id, "task_19");
  }
  assert_int_equal(marked, 11);

  /* instance 2 of the same journal: the start and its first step */
  Both again = diagrams_of("document Doc {\n  title: string\n}\nprocess other on Doc {\n  log \"x\"\n}\n");
  err = fmemopen(errors, sizeof errors, "w");
  assert_int_equal(trace_overlay(j, again.ir, -1, true, 2, err), 0); /* not its process */
  fclose(err);
  assert_non_null(strstr(errors, "warning: no entries of instance #2"));
  release(&again);
  trace_free(j);
  release(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_states_and_handlers),
      cmocka_unit_test(test_loops_and_handler_ends),
      cmocka_unit_test(test_samples_agree),
      cmocka_unit_test(test_wrap),
      cmocka_unit_test(test_journal_parse),
      cmocka_unit_test(test_overlay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
