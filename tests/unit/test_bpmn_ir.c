/* test_bpmn_ir.c — small hand-written BPMN files mapped to the graph IR
 * (bpmn_to_ir), compiled, verified and run through the runtime: the path an
 * instance takes is the list of activities completed (tasks by their node
 * id, host actions by name), driven like bpmn-engine would be (tasks done in
 * the order they open, actions answered, timers fired by bp_advance). And
 * what the mapping must refuse, with the element's id and the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bp.h"
#include "bpmn.h"
#include "bpmn_ir.h"
#include "bpt.h"
#include "codegen.h"
#include "ir.h"
#include "util.h"

#define HEAD                                                                                  \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                              \
  "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"\n"                      \
  "  xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" id=\"d\" targetNamespace=\"t\">\n" \
  "<process id=\"p\" isExecutable=\"true\">\n"
#define TAIL "</process>\n</definitions>\n"

/* ---- compiling ----------------------------------------------------------------------- */

static void print_diags(BpmnModel *m) { bpmn_print_diags(m, stderr); }

static uint8_t *compile(const char *xml, size_t *len) {
  BpmnModel *m = bpmn_read("t.bpmn", xml, strlen(xml));
  IrProgram *ir = bpmn_to_ir(m, NULL);
  if (!ir) print_diags(m);
  assert_non_null(ir);
  bpmn_free(m);
  uint8_t *bytes;
  BptError err;
  bool ok = codegen_bundle(ir, &bytes, len, &err);
  if (!ok) fprintf(stderr, "codegen: %s\n", err.message);
  assert_true(ok);
  BptBundle b;
  assert_true(bpt_read(bytes, *len, heap_realloc, NULL, &b, &err));
  ok = bpt_verify(&b, heap_realloc, NULL, &err);
  if (!ok) fprintf(stderr, "bpt_verify: %s\n", err.message);
  assert_true(ok);
  bpt_free(&b, heap_realloc, NULL);
  ir_free(ir);
  return bytes;
}

/* The mapping refuses it with a message holding `want` (and file:line). */
static void expect_refused(const char *xml, const char *want) {
  BpmnModel *m = bpmn_read("t.bpmn", xml, strlen(xml));
  IrProgram *ir = bpmn_to_ir(m, NULL);
  assert_null(ir);
  bool found = false;
  for (uint32_t i = 0; i < m->diags.n; i++) {
    const BpmnDiag *d = m->diags.items[i];
    if (d->error && d->line > 0 && strstr(d->message, want)) found = true;
  }
  if (!found) print_diags(m);
  assert_true(found);
  bpmn_free(m);
}

/* ---- running ------------------------------------------------------------------------- */

static void *alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  (void)ud;
  (void)old_size;
  if (new_size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, new_size);
}

typedef struct Run {
  char path[512];
  uint32_t calls[16];
  char call_names[16][64];
  uint32_t ncalls;
} Run;

static void on_call(void *ud, BpInstance *inst, const BpCall *call) {
  (void)inst;
  Run *r = ud;
  if (r->ncalls == 16) return;
  r->calls[r->ncalls] = call->id;
  snprintf(r->call_names[r->ncalls], sizeof r->call_names[0], "%s", call->action);
  r->ncalls++;
}

static int on_role(void *ud, const char *role, const char *const **users, size_t *n) {
  (void)ud;
  static const char *const clerks[] = {"carol"};
  if (strcmp(role, "Clerks") != 0) return 1;
  *users = clerks;
  *n = 1;
  return 0;
}

typedef struct Session {
  BpRuntime *rt;
  BpBundle *b;
  BpInstance *inst;
  Run run;
} Session;

static void add(Run *r, const char *what) {
  size_t n = strlen(r->path);
  snprintf(r->path + n, sizeof r->path - n, "%s%s", n ? " " : "", what);
}

static void start(Session *s, const uint8_t *bytes, size_t len, const BpArg *args, size_t nargs) {
  memset(s, 0, sizeof *s);
  BpConfig cfg = {.size = sizeof(BpConfig), .alloc = alloc, .ud = &s->run, .call = on_call,
                  .role = on_role, .step_budget = 20000};
  BpError err;
  assert_int_equal(bp_runtime_new(&cfg, &s->rt, &err), BP_OK);
  assert_int_equal(bp_bundle_load(s->rt, bytes, len, &s->b, &err), BP_OK);
  BpStatus st = bp_start(s->b, "p", NULL, args, nargs, NULL, &s->inst, &err);
  if (st != BP_OK) fprintf(stderr, "bp_start: %s\n", err.message);
  assert_int_equal(st, BP_OK);
}

/* Answers the actions and completes the open items (the oldest first)
 * until nothing is left to do but wait for time. */
static void drive(Session *s) {
  BpError err;
  for (int k = 0; k < 50 && bp_instance_status(s->inst) == BP_WAITING; k++) {
    if (s->run.ncalls) {
      uint32_t id = s->run.calls[0];
      char name[64];
      snprintf(name, sizeof name, "%s", s->run.call_names[0]);
      memmove(s->run.calls, s->run.calls + 1, (s->run.ncalls - 1) * sizeof s->run.calls[0]);
      memmove(s->run.call_names, s->run.call_names + 1, (s->run.ncalls - 1) * sizeof s->run.call_names[0]);
      s->run.ncalls--;
      add(&s->run, name);
      assert_int_equal(bp_answer(s->inst, id, NULL, &err), BP_OK);
      continue;
    }
    BpItem it;
    if (!bp_instance_item(s->inst, 0, &it)) break;
    add(&s->run, it.node);
    char user[64];
    snprintf(user, sizeof user, "%s", it.user);
    BpStatus st = bp_complete(s->inst, it.id, user, NULL, NULL, 0, &err);
    if (st != BP_OK) fprintf(stderr, "bp_complete: %s\n", err.message);
    assert_int_equal(st, BP_OK);
  }
}

static void finish(Session *s, BpRunStatus want_status, const char *want_path) {
  if (bp_instance_status(s->inst) != want_status)
    fprintf(stderr, "status %d: %s\n", bp_instance_status(s->inst), bp_instance_message(s->inst));
  assert_int_equal(bp_instance_status(s->inst), want_status);
  assert_string_equal(s->run.path, want_path);
  bp_instance_free(s->inst);
  bp_bundle_free(s->b);
  bp_runtime_free(s->rt);
}

static void run_path(const char *xml, const BpArg *args, size_t nargs, BpRunStatus st, const char *want) {
  size_t len;
  uint8_t *bytes = compile(xml, &len);
  Session s;
  start(&s, bytes, len, args, nargs);
  drive(&s);
  finish(&s, st, want);
  free(bytes);
}

/* ---- processes that run ---------------------------------------------------------------- */

static const char sequence[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<userTask id=\"fill\" name=\"Fill in\" camunda:assignee=\"${boss}\"/>\n"
    "<serviceTask id=\"book\"/>\n"
    "<task id=\"file\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"fill\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"fill\" targetRef=\"book\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"book\" targetRef=\"file\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"file\" targetRef=\"e\"/>\n" TAIL;

static void test_sequence(void **state) {
  (void)state;
  BpArg args[] = {{"boss", bp_user("bob")}, {"performer", bp_user("pat")}};
  run_path(sequence, args, 2, BP_COMPLETED, "fill book file");
}

/* conditions in document order, the default flow, JUEL and FEEL */
static const char exclusive[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<exclusiveGateway id=\"g\" default=\"fd\"/>\n"
    "<serviceTask id=\"big\"/><serviceTask id=\"vip\"/><serviceTask id=\"small\"/>\n"
    "<exclusiveGateway id=\"m\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"fb\" sourceRef=\"g\" targetRef=\"big\">"
    "<conditionExpression>${variables.amount &gt; 1000 &amp;&amp; !rush}</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"fv\" sourceRef=\"g\" targetRef=\"vip\">"
    "<conditionExpression>= tier = \"gold\" or amount &gt;= 5000</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"fd\" sourceRef=\"g\" targetRef=\"small\"/>\n"
    "<sequenceFlow id=\"x1\" sourceRef=\"big\" targetRef=\"m\"/>\n"
    "<sequenceFlow id=\"x2\" sourceRef=\"vip\" targetRef=\"m\"/>\n"
    "<sequenceFlow id=\"x3\" sourceRef=\"small\" targetRef=\"m\"/>\n"
    "<sequenceFlow id=\"x4\" sourceRef=\"m\" targetRef=\"e\"/>\n" TAIL;

static void test_exclusive(void **state) {
  (void)state;
  BpArg a1[] = {{"amount", bp_decimal(200000, 2)}, {"rush", bp_bool(false)}, {"tier", bp_string("")}};
  run_path(exclusive, a1, 3, BP_COMPLETED, "big");
  BpArg a2[] = {{"amount", bp_decimal(200000, 2)}, {"rush", bp_bool(true)}, {"tier", bp_string("gold")}};
  run_path(exclusive, a2, 3, BP_COMPLETED, "vip");
  BpArg a3[] = {{"amount", bp_decimal(10, 0)}, {"rush", bp_bool(true)}, {"tier", bp_string("")}};
  run_path(exclusive, a3, 3, BP_COMPLETED, "small");
  /* no variable given: every one has an empty default */
  run_path(exclusive, NULL, 0, BP_COMPLETED, "small");
}

/* no condition holds and there is no default: the instance ends naming the gateway */
static const char no_default[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<exclusiveGateway id=\"g\"/>\n"
    "<serviceTask id=\"a\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"a\">"
    "<conditionExpression>${ok}</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"a\" targetRef=\"e\"/>\n" TAIL;

static void test_no_default(void **state) {
  (void)state;
  BpArg yes[] = {{"ok", bp_bool(true)}};
  run_path(no_default, yes, 1, BP_COMPLETED, "a");
  size_t len;
  uint8_t *bytes = compile(no_default, &len);
  Session s;
  start(&s, bytes, len, NULL, 0);
  drive(&s);
  assert_int_equal(bp_instance_status(s.inst), BP_TERMINATED);
  assert_non_null(strstr(bp_instance_message(s.inst), "gateway g"));
  finish(&s, BP_TERMINATED, "");
  free(bytes);
}

/* a parallel split and join, and an implicit split out of a task */
static const char parallel[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<parallelGateway id=\"fork\"/>\n"
    "<serviceTask id=\"a\"/><serviceTask id=\"b\"/><serviceTask id=\"c\"/><serviceTask id=\"dd\"/>\n"
    "<parallelGateway id=\"join\"/>\n"
    "<serviceTask id=\"after\"/>\n"
    "<endEvent id=\"e1\"/><endEvent id=\"e2\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"fork\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"fork\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"fork\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"a\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"b\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"join\" targetRef=\"after\"/>\n"
    "<sequenceFlow id=\"f7\" sourceRef=\"after\" targetRef=\"c\"/>\n"
    "<sequenceFlow id=\"f8\" sourceRef=\"after\" targetRef=\"dd\"/>\n"
    "<sequenceFlow id=\"f9\" sourceRef=\"c\" targetRef=\"e1\"/>\n"
    "<sequenceFlow id=\"fa\" sourceRef=\"dd\" targetRef=\"e2\"/>\n" TAIL;

static void test_parallel(void **state) {
  (void)state;
  run_path(parallel, NULL, 0, BP_COMPLETED, "a b after c dd");
}

/* a loop back to a task, until the reviewer is happy (a number compared) */
static const char loop[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<exclusiveGateway id=\"m\"/>\n"
    "<serviceTask id=\"draft\"/>\n"
    "<exclusiveGateway id=\"g\" default=\"again\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"m\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"m\" targetRef=\"draft\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"draft\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"done\" sourceRef=\"g\" targetRef=\"e\">"
    "<conditionExpression>${score ge 3}</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"again\" sourceRef=\"g\" targetRef=\"m\"/>\n" TAIL;

static void test_loop(void **state) {
  (void)state;
  BpArg good[] = {{"score", bp_decimal(3, 0)}};
  run_path(loop, good, 1, BP_COMPLETED, "draft");
  /* with a low score it drafts again and again: still waiting after 5 rounds */
  size_t len;
  uint8_t *bytes = compile(loop, &len);
  Session s;
  BpArg bad[] = {{"score", bp_decimal(1, 0)}};
  start(&s, bytes, len, bad, 1);
  BpError err;
  for (int k = 0; k < 5; k++) {
    assert_int_equal(s.run.ncalls, 1);
    uint32_t id = s.run.calls[0];
    s.run.ncalls = 0;
    assert_int_equal(bp_answer(s.inst, id, NULL, &err), BP_OK);
  }
  assert_int_equal(bp_instance_status(s.inst), BP_WAITING);
  assert_int_equal(s.run.ncalls, 1);
  finish(&s, BP_WAITING, "");
  free(bytes);
}

/* an interrupting timer on a task (lane as the role): done in time, or late */
static const char boundary[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\" targetNamespace=\"t\">\n"
    "<process id=\"p\" isExecutable=\"true\">\n"
    "<laneSet><lane id=\"l\" name=\"Clerks\"><flowNodeRef>check</flowNodeRef></lane></laneSet>\n"
    "<startEvent id=\"s\"/>\n"
    "<userTask id=\"check\"/>\n"
    "<boundaryEvent id=\"late\" attachedToRef=\"check\">"
    "<timerEventDefinition><timeDuration>P1DT2H0.5S</timeDuration></timerEventDefinition></boundaryEvent>\n"
    "<serviceTask id=\"ok\"/><serviceTask id=\"escalate\"/>\n"
    "<endEvent id=\"e1\"/><endEvent id=\"e2\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"check\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"check\" targetRef=\"ok\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"late\" targetRef=\"escalate\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"ok\" targetRef=\"e1\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"escalate\" targetRef=\"e2\"/>\n" TAIL;

static void test_boundary_timer(void **state) {
  (void)state;
  run_path(boundary, NULL, 0, BP_COMPLETED, "check ok");
  size_t len;
  uint8_t *bytes = compile(boundary, &len);
  Session s;
  start(&s, bytes, len, NULL, 0);
  BpItem it;
  assert_true(bp_instance_item(s.inst, 0, &it));
  assert_string_equal(it.user, "carol"); /* the lane's role */
  BpError err;
  assert_int_equal(bp_advance(s.inst, 86400 + 7200, &err), BP_OK); /* 0.5 s rounds up */
  assert_int_equal(bp_instance_item_count(s.inst), 1);
  assert_int_equal(bp_advance(s.inst, 86400 + 7201, &err), BP_OK);
  assert_int_equal(bp_instance_item_count(s.inst), 0); /* withdrawn */
  drive(&s);
  finish(&s, BP_COMPLETED, "escalate");
  free(bytes);
}

/* an event gateway: a task or an hour, whichever comes first */
static const char event_gateway[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<eventBasedGateway id=\"g\"/>\n"
    "<userTask id=\"answer\" camunda:assignee=\"${boss}\"/>\n"
    "<intermediateCatchEvent id=\"hour\"><timerEventDefinition><timeDuration>PT1H</timeDuration>"
    "</timerEventDefinition></intermediateCatchEvent>\n"
    "<serviceTask id=\"remind\"/>\n"
    "<endEvent id=\"e1\"/><endEvent id=\"e2\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"answer\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"g\" targetRef=\"hour\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"answer\" targetRef=\"e1\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"hour\" targetRef=\"remind\"/>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"remind\" targetRef=\"e2\"/>\n" TAIL;

static void test_event_gateway(void **state) {
  (void)state;
  BpArg args[] = {{"boss", bp_user("bob")}};
  run_path(event_gateway, args, 1, BP_COMPLETED, "answer");
  size_t len;
  uint8_t *bytes = compile(event_gateway, &len);
  Session s;
  start(&s, bytes, len, args, 1);
  BpError err;
  assert_int_equal(bp_advance(s.inst, 3600, &err), BP_OK);
  assert_int_equal(bp_instance_item_count(s.inst), 0);
  drive(&s);
  finish(&s, BP_COMPLETED, "remind");
  free(bytes);
}

/* a parallel multi-instance task: one work item per user of the collection;
 * all must finish, or (completion condition) the first one */
#define MULTI(COMPLETION)                                                                    \
  HEAD "<startEvent id=\"s\"/>\n"                                                            \
       "<userTask id=\"vote\" camunda:assignee=\"${voter}\">"                                \
       "<multiInstanceLoopCharacteristics camunda:collection=\"${voters}\" "                 \
       "camunda:elementVariable=\"voter\">" COMPLETION "</multiInstanceLoopCharacteristics>" \
       "</userTask>\n"                                                                       \
       "<serviceTask id=\"count\"/>\n"                                                       \
       "<endEvent id=\"e\"/>\n"                                                              \
       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"vote\"/>\n"                      \
       "<sequenceFlow id=\"f2\" sourceRef=\"vote\" targetRef=\"count\"/>\n"                  \
       "<sequenceFlow id=\"f3\" sourceRef=\"count\" targetRef=\"e\"/>\n" TAIL

static void test_multi_instance(void **state) {
  (void)state;
  BpValue people[] = {bp_user("ann"), bp_user("ben"), bp_user("cid")};
  BpArg args[] = {{"voters", bp_list(BP_T_USER, people, 3)}};
  run_path(MULTI(""), args, 1, BP_COMPLETED, "vote vote vote count");
  run_path(MULTI("<completionCondition>${nrOfCompletedInstances &gt;= 1}</completionCondition>"), args, 1,
           BP_COMPLETED, "vote count");
  expect_refused(MULTI("<completionCondition>${nrOfCompletedInstances/nrOfInstances &gt; 0.6}"
                       "</completionCondition>"),
                 "vote: the completion condition `${nrOfCompletedInstances/nrOfInstances > 0.6}` is not supported");
  expect_refused(MULTI("<completionCondition>${nrOfCompletedInstances/nrOfInstances &gt;= 0.655}"
                       "</completionCondition>"),
                 "vote: the completion condition `${nrOfCompletedInstances/nrOfInstances >= 0.655}` is not supported");
}

/* a vote: the task becomes an approval of the collection's users with `vote N%` and its
 * early decision; approve(a) / reject(r) in order, then what is still open */
static void vote_run(const char *xml, int nusers, const char *acts, int want_open) {
  static const char *const names[] = {"u1", "u2", "u3", "u4", "u5"};
  BpValue people[5];
  for (int i = 0; i < nusers; i++) people[i] = bp_user(names[i]);
  BpArg args[] = {{"voters", bp_list(BP_T_USER, people, (size_t)nusers)}};
  size_t len;
  uint8_t *bytes = compile(xml, &len);
  Session s;
  start(&s, bytes, len, args, 1);
  BpError err;
  for (const char *a = acts; *a; a++) {
    BpItem it;
    assert_true(bp_instance_item(s.inst, 0, &it));
    assert_int_equal(it.kind, BP_ITEM_APPROVE);
    char user[16];
    snprintf(user, sizeof user, "%s", it.user);
    assert_int_equal(bp_decide(s.inst, it.id, user, *a == 'a', NULL, &err), BP_OK);
  }
  int open = 0;
  BpItem it;
  while (bp_instance_item(s.inst, (size_t)open, &it)) open++;
  assert_int_equal(open, want_open);
  bp_instance_free(s.inst);
  bp_bundle_free(s.b);
  bp_runtime_free(s.rt);
  free(bytes);
}

static void test_multi_instance_vote(void **state) {
  (void)state;
  const char *pct = MULTI("<completionCondition>${nrOfCompletedInstances/nrOfInstances &gt;= 0.6}</completionCondition>");
  vote_run(pct, 5, "aa", 3);  /* 2 of 5 = 40%: still open */
  vote_run(pct, 5, "aaa", 0); /* 3 of 5 = 60%: decided, the other items withdrawn */
  vote_run(pct, 5, "rrr", 0); /* 60% can no longer be reached */
  const char *two = MULTI("<completionCondition>${nrOfApproved &gt;= 2}</completionCondition>");
  vote_run(two, 3, "a", 2);
  vote_run(two, 3, "ra", 1);
  vote_run(two, 3, "raa", 0);
  vote_run(two, 5, "aa", 0);
  vote_run(two, 5, "a", 4);
  /* Camunda 8 names the counters numberOf…, in FEEL */
  const char *zeebe = MULTI("<completionCondition>= numberOfCompletedInstances / numberOfInstances &gt;= 0.6"
                            "</completionCondition>");
  vote_run(zeebe, 5, "aa", 3);
  vote_run(zeebe, 5, "aaa", 0);
}

/* an embedded sub-process, flattened */
static const char sub_process[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<subProcess id=\"sub\"><startEvent id=\"ss\"/><serviceTask id=\"inner\"/><endEvent id=\"se\"/>"
    "<sequenceFlow id=\"g1\" sourceRef=\"ss\" targetRef=\"inner\"/>"
    "<sequenceFlow id=\"g2\" sourceRef=\"inner\" targetRef=\"se\"/></subProcess>\n"
    "<serviceTask id=\"outer\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sub\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"sub\" targetRef=\"outer\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"outer\" targetRef=\"e\"/>\n" TAIL;

static void test_sub_process(void **state) {
  (void)state;
  run_path(sub_process, NULL, 0, BP_COMPLETED, "inner outer");
}


/* a plain assignee id is that user (a user literal), not a parameter the host must pass */
static const char user_literal[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<userTask id=\"a\" camunda:assignee=\"kermit\"/>\n"
    "<userTask id=\"b\"><potentialOwner><resourceAssignmentExpression><formalExpression>"
    "user(gonzo), ${boss}</formalExpression></resourceAssignmentExpression></potentialOwner></userTask>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"e\"/>\n" TAIL;

static void test_user_literal(void **state) {
  (void)state;
  size_t len;
  uint8_t *bytes = compile(user_literal, &len);
  Session s;
  BpArg args[] = {{"boss", bp_user("piggy")}};
  start(&s, bytes, len, args, 1); /* no `kermit` or `gonzo` parameter to pass */
  BpItem it;
  assert_true(bp_instance_item(s.inst, 0, &it));
  assert_string_equal(it.user, "kermit");
  assert_false(bp_instance_item(s.inst, 1, &it));
  BpError err;
  assert_true(bp_instance_item(s.inst, 0, &it));
  assert_int_equal(bp_complete(s.inst, it.id, "kermit", NULL, NULL, 0, &err), BP_OK);
  assert_true(bp_instance_item(s.inst, 0, &it));
  assert_string_equal(it.user, "gonzo");
  assert_true(bp_instance_item(s.inst, 1, &it));
  assert_string_equal(it.user, "piggy");
  drive(&s);
  finish(&s, BP_COMPLETED, "b");
  free(bytes);
}


/* A potentialOwner's plain name: in a file made for Camunda 7, Activiti or
 * Flowable (it uses their extensions) a group, as those engines read it (their
 * `${x}` stays a user); elsewhere a user. humanPerformer names a user. */
#define OWNERS(vendor_attr)                                                                     \
  HEAD "<startEvent id=\"s\"/>\n"                                                               \
       "<userTask id=\"a\" " vendor_attr "><potentialOwner><resourceAssignmentExpression>"         \
       "<formalExpression>Clerks</formalExpression></resourceAssignmentExpression></potentialOwner>" \
       "</userTask>\n<userTask id=\"b\"><humanPerformer><resourceAssignmentExpression>"            \
       "<formalExpression>kermit</formalExpression></resourceAssignmentExpression></humanPerformer>" \
       "</userTask>\n<endEvent id=\"e\"/>\n"                                                       \
       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>\n"                              \
       "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"b\"/>\n"                              \
       "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"e\"/>\n" TAIL

static void owners_run(const char *xml, const char *first) {
  size_t len;
  uint8_t *bytes = compile(xml, &len);
  Session s;
  start(&s, bytes, len, NULL, 0);
  BpItem it;
  BpError err;
  assert_true(bp_instance_item(s.inst, 0, &it));
  assert_string_equal(it.user, first);
  assert_int_equal(bp_complete(s.inst, it.id, first, NULL, NULL, 0, &err), BP_OK);
  assert_true(bp_instance_item(s.inst, 0, &it));
  assert_string_equal(it.user, "kermit");
  drive(&s);
  finish(&s, BP_COMPLETED, "b");
  free(bytes);
}

static void test_potential_owner_groups(void **state) {
  (void)state;
  owners_run(OWNERS("camunda:formKey=\"f\""), "carol"); /* the role Clerks */
  owners_run(OWNERS("name=\"A\""), "Clerks");           /* the user Clerks */
}

/* ---- loops on activities ------------------------------------------------------------ */

/* one activity `a` (its attributes and loop), between a start and an end */
#define LOOPED(el)                                                                   \
  HEAD "<startEvent id=\"s\"/>\n" el "\n<endEvent id=\"e\"/>\n"                      \
       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>\n"                 \
       "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"e\"/>\n" TAIL

static void test_multi_instance_actions(void **state) {
  (void)state;
  /* Camunda 8 names the counters numberOf… */
  run_path(LOOPED("<serviceTask id=\"a\"><multiInstanceLoopCharacteristics isSequential=\"true\">"
                  "<loopCardinality>5</loopCardinality><completionCondition>=numberOfCompletedInstances &gt;= 2"
                  "</completionCondition></multiInstanceLoopCharacteristics></serviceTask>"),
           NULL, 0, BP_COMPLETED, "a a");
  /* a literal count: the action three times, parallel or not (the instances run in turn) */
  run_path(LOOPED("<serviceTask id=\"a\"><multiInstanceLoopCharacteristics>"
                  "<loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics></serviceTask>"),
           NULL, 0, BP_COMPLETED, "a a a");
  run_path(LOOPED("<sendTask id=\"a\"><multiInstanceLoopCharacteristics isSequential=\"true\">"
                  "<loopCardinality>0</loopCardinality></multiInstanceLoopCharacteristics></sendTask>"),
           NULL, 0, BP_COMPLETED, "");
  /* a count from a variable, and a completion condition ending it early */
  const char *by_var = LOOPED("<scriptTask id=\"a\"><multiInstanceLoopCharacteristics>"
                              "<loopCardinality>${n}</loopCardinality>"
                              "<completionCondition>${nrOfCompletedInstances &gt;= 2 &amp;&amp; loopCounter == 1}"
                              "</completionCondition></multiInstanceLoopCharacteristics></scriptTask>");
  BpArg five[] = {{"n", bp_decimal(5, 0)}};
  run_path(by_var, five, 1, BP_COMPLETED, "a a");
  BpArg one[] = {{"n", bp_decimal(1, 0)}};
  run_path(by_var, one, 1, BP_COMPLETED, "a");
  /* a collection: once per item; nrOfInstances is its length */
  const char *coll = LOOPED("<businessRuleTask id=\"a\"><multiInstanceLoopCharacteristics "
                            "camunda:collection=\"${variables.items}\" camunda:elementVariable=\"item\">"
                            "<completionCondition>${nrOfCompletedInstances == nrOfInstances - 1}</completionCondition>"
                            "</multiInstanceLoopCharacteristics></businessRuleTask>");
  BpValue items[] = {bp_string("x"), bp_string("y"), bp_string("z")};
  BpArg three[] = {{"items", bp_list(BP_T_STRING, items, 3)}};
  run_path(coll, three, 1, BP_COMPLETED, "a a");
  run_path(coll, NULL, 0, BP_COMPLETED, "");
  /* Camunda 8 names the collection in zeebe:loopCharacteristics inputCollection (FEEL) */
  const char *zeebe = LOOPED("<serviceTask id=\"a\"><multiInstanceLoopCharacteristics><extensionElements>"
                             "<zeebe:loopCharacteristics xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "
                             "inputCollection=\"=items\" inputElement=\"item\"/></extensionElements>"
                             "</multiInstanceLoopCharacteristics></serviceTask>");
  run_path(zeebe, three, 1, BP_COMPLETED, "a a a");
  /* no count and no collection: the count is the start parameter `a_count` (an int) */
  const char *unsaid = LOOPED("<serviceTask id=\"a\"><multiInstanceLoopCharacteristics isSequential=\"false\">"
                              "<loopCardinality/></multiInstanceLoopCharacteristics></serviceTask>");
  BpArg two[] = {{"a_count", bp_int(2)}};
  run_path(unsaid, two, 1, BP_COMPLETED, "a a");
  /* named after the element's name when it is plain; a name taken gets `_2` */
  const char *named = LOOPED("<serviceTask id=\"a\" name=\"Send  reminder\"><multiInstanceLoopCharacteristics>"
                             "<completionCondition>${Send_reminder_count}</completionCondition>"
                             "</multiInstanceLoopCharacteristics></serviceTask>");
  BpArg three_more[] = {{"Send_reminder_count_2", bp_int(3)}, {"Send_reminder_count", bp_bool(false)}};
  run_path(named, three_more, 2, BP_COMPLETED, "a a a");
  expect_refused(LOOPED("<serviceTask id=\"a\"><multiInstanceLoopCharacteristics "
                        "camunda:collection=\"${list}\"><completionCondition>${services.done}</completionCondition>"
                        "</multiInstanceLoopCharacteristics></serviceTask>"),
                 "a: the completion condition `${services.done}` is not supported (member access");
  expect_refused(LOOPED("<serviceTask id=\"a\"><multiInstanceLoopCharacteristics>"
                        "<loopCardinality>${n + 1}</loopCardinality></multiInstanceLoopCharacteristics></serviceTask>"),
                 "a: the loopCardinality `${n + 1}` is not supported");
}

/* user tasks: sequential over a collection (one user after another), or a
 * count without a collection (the same assignees, one instance after another) */
static void test_multi_instance_in_turn(void **state) {
  (void)state;
  const char *seq = LOOPED("<userTask id=\"a\" camunda:assignee=\"${who}\"><multiInstanceLoopCharacteristics "
                           "isSequential=\"true\" camunda:collection=\"${people}\" camunda:elementVariable=\"who\"/>"
                           "</userTask>");
  size_t len;
  uint8_t *bytes = compile(seq, &len);
  BpValue people[] = {bp_user("ann"), bp_user("ben")};
  BpArg args[] = {{"people", bp_list(BP_T_USER, people, 2)}};
  Session s;
  start(&s, bytes, len, args, 1);
  BpItem it;
  BpError err;
  assert_true(bp_instance_item(s.inst, 0, &it));
  assert_string_equal(it.user, "ann");
  assert_false(bp_instance_item(s.inst, 1, &it)); /* one at a time */
  assert_int_equal(bp_complete(s.inst, it.id, "ann", NULL, NULL, 0, &err), BP_OK);
  assert_true(bp_instance_item(s.inst, 0, &it));
  assert_string_equal(it.user, "ben");
  drive(&s);
  finish(&s, BP_COMPLETED, "a");
  free(bytes);
  run_path(LOOPED("<userTask id=\"a\" camunda:assignee=\"kermit\"><multiInstanceLoopCharacteristics>"
                  "<loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics></userTask>"),
           NULL, 0, BP_COMPLETED, "a a");
  /* bpmn-moddle's expression-plain: ten instances, complete after the first */
  run_path(LOOPED("<task id=\"a\" camunda:assignee=\"kermit\"><multiInstanceLoopCharacteristics>"
                  "<loopCardinality>10</loopCardinality><completionCondition>${ true }</completionCondition>"
                  "</multiInstanceLoopCharacteristics></task>"),
           NULL, 0, BP_COMPLETED, "a");
}

/* standard loops: loopCondition tested after each turn (or before, testBefore), loopMaximum */
static void test_standard_loop(void **state) {
  (void)state;
  run_path(LOOPED("<serviceTask id=\"a\"><standardLoopCharacteristics>"
                  "<loopCondition>${loopCounter &lt; 3}</loopCondition></standardLoopCharacteristics></serviceTask>"),
           NULL, 0, BP_COMPLETED, "a a a");
  /* tested after: at least once; before: maybe never */
  run_path(LOOPED("<serviceTask id=\"a\"><standardLoopCharacteristics>"
                  "<loopCondition>${again}</loopCondition></standardLoopCharacteristics></serviceTask>"),
           NULL, 0, BP_COMPLETED, "a");
  run_path(LOOPED("<serviceTask id=\"a\"><standardLoopCharacteristics testBefore=\"true\">"
                  "<loopCondition>${again}</loopCondition></standardLoopCharacteristics></serviceTask>"),
           NULL, 0, BP_COMPLETED, "");
  BpArg again[] = {{"again", bp_bool(true)}};
  run_path(LOOPED("<userTask id=\"a\" camunda:assignee=\"kermit\"><standardLoopCharacteristics testBefore=\"true\" "
                  "loopMaximum=\"2\"><loopCondition>${again}</loopCondition></standardLoopCharacteristics></userTask>"),
           again, 1, BP_COMPLETED, "a a");
  /* a loop on a sub-process: its flow again each turn */
  run_path(LOOPED("<subProcess id=\"a\"><standardLoopCharacteristics loopMaximum=\"2\"/>"
                  "<startEvent id=\"ss\"/><serviceTask id=\"in1\"/><serviceTask id=\"in2\"/><endEvent id=\"se\"/>"
                  "<sequenceFlow id=\"g1\" sourceRef=\"ss\" targetRef=\"in1\"/>"
                  "<sequenceFlow id=\"g2\" sourceRef=\"in1\" targetRef=\"in2\"/>"
                  "<sequenceFlow id=\"g3\" sourceRef=\"in2\" targetRef=\"se\"/></subProcess>"),
           NULL, 0, BP_COMPLETED, "in1 in2 in1 in2");
  run_path(LOOPED("<subProcess id=\"a\"><multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality>"
                  "</multiInstanceLoopCharacteristics><serviceTask id=\"in1\"/></subProcess>"),
           NULL, 0, BP_COMPLETED, "in1 in1 in1");
  /* neither a condition nor a maximum: the most turns are the start parameter a_loops */
  BpArg loops[] = {{"a_loops", bp_int(2)}};
  run_path(LOOPED("<serviceTask id=\"a\"><standardLoopCharacteristics/></serviceTask>"), loops, 1, BP_COMPLETED,
           "a a");
  expect_refused(HEAD "<startEvent id=\"s\"/><serviceTask id=\"a\"><standardLoopCharacteristics loopMaximum=\"2\"/>"
                      "</serviceTask><boundaryEvent id=\"b\" attachedToRef=\"a\"><timerEventDefinition>"
                      "<timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"e\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"e\"/>" TAIL,
                 "a: a boundary event on a looped activity is not supported");
}


/* ---- call activities ----------------------------------------------------------------- */

#define CALLHEAD                                                                              \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                              \
  "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"\n"                      \
  "  xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" id=\"d\" targetNamespace=\"t\">\n"
/* `p` calls `sub` twice (once in a loop); `sub` calls `leaf`; the host
 * actions keep their names, the nodes are prefixed by the call's id */
static const char calls[] = CALLHEAD
    "<process id=\"p\" isExecutable=\"true\">\n"
    "<startEvent id=\"s\"/><callActivity id=\"c1\" calledElement=\"sub\"/>"
    "<callActivity id=\"c2\" calledElement=\"sub\"><standardLoopCharacteristics loopMaximum=\"2\"/></callActivity>"
    "<endEvent id=\"e\"/>"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c1\"/><sequenceFlow id=\"f2\" sourceRef=\"c1\" targetRef=\"c2\"/>"
    "<sequenceFlow id=\"f3\" sourceRef=\"c2\" targetRef=\"e\"/></process>\n"
    "<process id=\"sub\" isExecutable=\"false\">\n"
    "<startEvent id=\"s2\"/><serviceTask id=\"work\"/><callActivity id=\"deep\" calledElement=\"leaf\"/>"
    "<endEvent id=\"e2\"/>"
    "<sequenceFlow id=\"g1\" sourceRef=\"s2\" targetRef=\"work\"/><sequenceFlow id=\"g2\" sourceRef=\"work\" targetRef=\"deep\"/>"
    "<sequenceFlow id=\"g3\" sourceRef=\"deep\" targetRef=\"e2\"/></process>\n"
    "<process id=\"leaf\"><userTask id=\"t\" camunda:assignee=\"kermit\"/></process>\n"
    "</definitions>\n";

static void test_call_activity(void **state) {
  (void)state;
  run_path(calls, NULL, 0, BP_COMPLETED, "work c1/deep/t work c2/deep/t work c2/deep/t");
  /* the copies' ids in the IR: unique, prefixed */
  BpmnModel *m = bpmn_read("t.bpmn", calls, strlen(calls));
  IrProgram *ir = bpmn_to_ir(m, NULL);
  assert_non_null(ir);
  assert_int_equal(ir->nprocs, 1); /* sub and leaf are not executable: run in place only */
  assert_int_equal(ir->nactions, 1);
  assert_string_equal(ir->actions[0].name, "work");
  char *dump = ir_dump(&ir->procs[0]);
  assert_non_null(strstr(dump, "c1/work"));
  assert_non_null(strstr(dump, "c2/deep/t"));
  free(dump);
  ir_free(ir);
  bpmn_free(m);
  /* a missing process, recursion (direct and indirect) */
  /* a process of another file: a host action named by its id (made an identifier) */
  run_path(CALLHEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                    "<callActivity id=\"c\" calledElement=\"other-file.process\"/>"
                    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c\"/></process></definitions>",
           NULL, 0, BP_COMPLETED, "other_file_process");
  /* Camunda 8 names it in zeebe:calledElement */
  run_path(CALLHEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                    "<callActivity id=\"c\"><extensionElements><zeebe:calledElement "
                    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" processId=\"billing\"/></extensionElements>"
                    "</callActivity><sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c\"/></process></definitions>",
           NULL, 0, BP_COMPLETED, "billing");
  expect_refused(CALLHEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                          "<callActivity id=\"c\" calledElement=\"${which}\"/>"
                          "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c\"/></process></definitions>",
                 "c: a call activity of `${which}` is not supported (the called process is computed");
  /* global tasks: a script task is a host action named by the call activity, a
   * user task a human step of the global task's performer */
  run_path(CALLHEAD "<globalScriptTask id=\"gs\" scriptFormat=\"js\"/>"
                    "<globalUserTask id=\"gu\"><potentialOwner><resourceAssignmentExpression>"
                    "<formalExpression>user(kermit)</formalExpression></resourceAssignmentExpression>"
                    "</potentialOwner></globalUserTask>"
                    "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                    "<callActivity id=\"c1\" calledElement=\"gs\"/><callActivity id=\"c2\" calledElement=\"gu\"/>"
                    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c1\"/>"
                    "<sequenceFlow id=\"f2\" sourceRef=\"c1\" targetRef=\"c2\"/></process></definitions>",
           NULL, 0, BP_COMPLETED, "c1 c2");
  expect_refused(CALLHEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                          "<callActivity id=\"c\" calledElement=\"p\"/>"
                          "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c\"/></process></definitions>",
                 "c: a call activity calling `p` recursively is not supported (p → p");
  expect_refused(CALLHEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                          "<callActivity id=\"c\" calledElement=\"q\"/>"
                          "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c\"/></process>"
                          "<process id=\"q\"><subProcess id=\"inner\"><callActivity id=\"back\" calledElement=\"p\"/>"
                          "</subProcess></process></definitions>",
                 "c/back: a call activity calling `p` recursively is not supported (p → q → p");
  expect_refused(CALLHEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                          "<callActivity id=\"c\"/>"
                          "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c\"/></process></definitions>",
                 "c: a call activity without a calledElement is not supported");
}


/* ad-hoc sub-processes: Parallel, every activity at once, done when all are (or when
 * the completion condition holds after one); Sequential and not cancelling refused */
static void test_ad_hoc(void **state) {
  (void)state;
#define ADHOC(ATTRS, COND)                                                                        \
  HEAD "<startEvent id=\"s\"/><adHocSubProcess id=\"h\"" ATTRS "><userTask id=\"a\" "                \
       "camunda:assignee=\"kermit\"/><userTask id=\"b\" camunda:assignee=\"kermit\"/>" COND            \
       "</adHocSubProcess><serviceTask id=\"z\"/>"                                                \
       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"h\"/>"                                  \
       "<sequenceFlow id=\"f2\" sourceRef=\"h\" targetRef=\"z\"/>" TAIL
  run_path(ADHOC("", ""), NULL, 0, BP_COMPLETED, "a b z");
  const char *cond = ADHOC(" ordering=\"Parallel\"", "<completionCondition>${done}</completionCondition>");
  run_path(cond, NULL, 0, BP_COMPLETED, "a b z");
  BpArg done[] = {{"done", bp_bool(true)}};
  run_path(cond, done, 1, BP_COMPLETED, "a z");
  expect_refused(ADHOC(" ordering=\"Sequential\"", ""), "h: a sequential ad-hoc sub-process is not supported");
  expect_refused(ADHOC(" cancelRemainingInstances=\"false\"", "<completionCondition>${done}</completionCondition>"),
                 "h: an ad-hoc sub-process with cancelRemainingInstances=\"false\" is not supported");
#undef ADHOC
}

/* parallel joins that BPMN's token semantics leave waiting for ever: tokens needed
 * from two flows of one exclusive gateway; a flow that never carries a token (the
 * default of a gateway with an unconditional flow) */
static void test_token_joins(void **state) {
  (void)state;
#define JOINS(FLOWS)                                                                              \
  HEAD "<startEvent id=\"s\"/><parallelGateway id=\"fork\"/><exclusiveGateway id=\"x\" default=\"fb\"/>" \
       "<parallelGateway id=\"j\"/><endEvent id=\"e\"/>"                                            \
       "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"fork\"/>"                              \
       "<sequenceFlow id=\"f1\" sourceRef=\"fork\" targetRef=\"x\"/>"                              \
       "<sequenceFlow id=\"f2\" sourceRef=\"fork\" targetRef=\"j\"/>" FLOWS                          \
       "<sequenceFlow id=\"f9\" sourceRef=\"j\" targetRef=\"e\"/>" TAIL
  expect_refused(JOINS("<sequenceFlow id=\"fa\" sourceRef=\"x\" targetRef=\"j\">"
                       "<conditionExpression>${a}</conditionExpression></sequenceFlow>"
                       "<sequenceFlow id=\"fb\" sourceRef=\"x\" targetRef=\"j\"/>"),
                 "j: this parallel join waits forever under BPMN's token semantics: it needs tokens that follow "
                 "different flows of exclusive gateway `x`, which takes only one");
  expect_refused(JOINS("<sequenceFlow id=\"fa\" sourceRef=\"x\" targetRef=\"e\"/>"
                       "<sequenceFlow id=\"fb\" sourceRef=\"x\" targetRef=\"j\"/>"),
                 "j: this parallel join waits forever under BPMN's token semantics: it needs a token on every "
                 "incoming flow, and `fb` (from `x`) never carries one");
  /* the alternatives merge before the join: it runs */
  run_path(JOINS("<exclusiveGateway id=\"m\"/><sequenceFlow id=\"fa\" sourceRef=\"x\" targetRef=\"m\">"
                 "<conditionExpression>${a}</conditionExpression></sequenceFlow>"
                 "<sequenceFlow id=\"fb\" sourceRef=\"x\" targetRef=\"m\"/>"
                 "<sequenceFlow id=\"fm\" sourceRef=\"m\" targetRef=\"j\"/>"),
           NULL, 0, BP_COMPLETED, "");
#undef JOINS
}

/* FEEL without `=`: under the definitions' FEEL expressionLanguage, or with no
 * language named anywhere when the text parses as FEEL; names with spaces
 * become variables with `_` (Trisotech's `Vacation Approval = "Approved"`) */
#define FHEAD(lang)                                                                           \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                              \
  "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\" targetNamespace=\"t\"" \
  lang ">\n<process id=\"p\" isExecutable=\"true\">\n"
#define FEELGATE(head, c1, c2)                                                                \
  head "<startEvent id=\"s\"/>\n"                                                             \
       "<exclusiveGateway id=\"g\"/>\n"                                                       \
       "<serviceTask id=\"yes\"/><serviceTask id=\"no\"/>\n"                                  \
       "<endEvent id=\"e\"/>\n"                                                               \
       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>\n"                          \
       "<sequenceFlow id=\"fy\" sourceRef=\"g\" targetRef=\"yes\">"                           \
       "<conditionExpression>" c1 "</conditionExpression></sequenceFlow>\n"                   \
       "<sequenceFlow id=\"fn\" sourceRef=\"g\" targetRef=\"no\">"                            \
       "<conditionExpression>" c2 "</conditionExpression></sequenceFlow>\n"                   \
       "<sequenceFlow id=\"x1\" sourceRef=\"yes\" targetRef=\"e\"/>\n"                        \
       "<sequenceFlow id=\"x2\" sourceRef=\"no\" targetRef=\"e\"/>\n" TAIL

static void test_feel_plain(void **state) {
  (void)state;
  const char *trisotech = FEELGATE(FHEAD(" expressionLanguage=\"https://www.omg.org/spec/DMN/20191111/FEEL/\""),
                                   "Vacation Approval = \"Approved\"",
                                   "Vacation Approval != \"Approved\" and Days Left &gt; 2");
  BpArg a1[] = {{"Vacation_Approval", bp_string("Approved")}, {"Days_Left", bp_decimal(5, 0)}};
  run_path(trisotech, a1, 2, BP_COMPLETED, "yes");
  BpArg a2[] = {{"Vacation_Approval", bp_string("Rejected")}, {"Days_Left", bp_decimal(5, 0)}};
  run_path(trisotech, a2, 2, BP_COMPLETED, "no");
  /* Yaoqiang: no language anywhere */
  const char *yaoqiang = FEELGATE(FHEAD(""), "ErrorThrown = true", "ErrorThrown = false");
  BpArg t[] = {{"ErrorThrown", bp_bool(true)}};
  run_path(yaoqiang, t, 1, BP_COMPLETED, "yes");
  BpArg f[] = {{"ErrorThrown", bp_bool(false)}};
  run_path(yaoqiang, f, 1, BP_COMPLETED, "no");
  /* XPath named by the definitions: a name is a location path, still refused */
  expect_refused(FEELGATE(FHEAD(" expressionLanguage=\"http://www.w3.org/1999/XPath\""),
                          "Service Level = 'Premium'", "true()"),
                 "fy: the condition `Service Level = 'Premium'` is not supported (XPath: an XPath location path");
  /* FEEL quantifiers over a list variable: `some x: x = E` is `E in L`, `every x: x != E`
   * is `not (E in L)`; the list is a parameter of strings (numbers when E is one) */
  const char *quant = FEELGATE(FHEAD(" expressionLanguage=\"https://www.omg.org/spec/DMN/20191111/FEEL/\""),
                               "some risk in riskLevels satisfies risk = \"red\" or \"black\" = risk",
                               "every risk in riskLevels satisfies risk != \"red\" and not(risk = \"black\")");
  BpValue red[] = {bp_string("green"), bp_string("red")}, green[] = {bp_string("green")};
  BpArg with_red[] = {{"riskLevels", bp_list(BP_T_STRING, red, 2)}};
  run_path(quant, with_red, 1, BP_COMPLETED, "yes");
  BpArg all_green[] = {{"riskLevels", bp_list(BP_T_STRING, green, 1)}};
  run_path(quant, all_green, 1, BP_COMPLETED, "no");
  run_path(FEELGATE(FHEAD(""), "=some n in counts satisfies n = 3", "=every n in counts satisfies n != 3"), NULL, 0,
           BP_COMPLETED, "no");
  /* what is not a membership test: FEEL's reason */
  expect_refused(FEELGATE(FHEAD(" expressionLanguage=\"https://www.omg.org/spec/DMN/20191111/FEEL/\""),
                          "every risk in riskLevels satisfies risk = \"yellow\"", "true"),
                 "fy: the condition `every risk in riskLevels satisfies risk = \"yellow\"` is not supported (FEEL: the IR "
                 "tests whether a list holds a value (`E in L`): `every` is mapped when it says that no item equals a value");
  expect_refused(FEELGATE(FHEAD(""), "=some x in xs satisfies x > 3", "true"),
                 "fy: the condition `=some x in xs satisfies x > 3` is not supported (the IR tests whether a list holds a value");
  expect_refused(FEELGATE(FHEAD(""), "x := 1", "true"),
                 "fy: the condition `x := 1` is not supported (`x := 1` is neither JUEL `${...}` nor FEEL)");
}


/* ---- inclusive gateways ------------------------------------------------------------ */

/* every flow whose condition holds, the default only when none does; the join
 * waits for exactly the branches taken */
static const char inclusive[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<inclusiveGateway id=\"g\" default=\"fc\"/>\n"
    "<serviceTask id=\"a\"/><serviceTask id=\"b\"/><serviceTask id=\"c\"/>\n"
    "<inclusiveGateway id=\"j\"/><serviceTask id=\"after\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"fa\" sourceRef=\"g\" targetRef=\"a\"><conditionExpression>${x &gt; 1}</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"fb\" sourceRef=\"g\" targetRef=\"b\"><conditionExpression>${y}</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"fc\" sourceRef=\"g\" targetRef=\"c\"/>\n"
    "<sequenceFlow id=\"x1\" sourceRef=\"a\" targetRef=\"j\"/>\n"
    "<sequenceFlow id=\"x2\" sourceRef=\"b\" targetRef=\"j\"/>\n"
    "<sequenceFlow id=\"x3\" sourceRef=\"c\" targetRef=\"j\"/>\n"
    "<sequenceFlow id=\"x4\" sourceRef=\"j\" targetRef=\"after\"/>\n"
    "<sequenceFlow id=\"x5\" sourceRef=\"after\" targetRef=\"e\"/>\n" TAIL;

/* conditional flows out of a task (BPMN's implicit inclusive split), no
 * default: one unconditional flow, two conditional ones */
static const char implicit[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<serviceTask id=\"t\"/>\n"
    "<serviceTask id=\"a\"/><serviceTask id=\"b\"/><serviceTask id=\"always\"/>\n"
    "<inclusiveGateway id=\"j\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n"
    "<sequenceFlow id=\"fa\" sourceRef=\"t\" targetRef=\"a\"><conditionExpression>${x &gt; 1}</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"fb\" sourceRef=\"t\" targetRef=\"b\"><conditionExpression>${x &gt; 2}</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"fw\" sourceRef=\"t\" targetRef=\"always\"/>\n"
    "<sequenceFlow id=\"x1\" sourceRef=\"a\" targetRef=\"j\"/>\n"
    "<sequenceFlow id=\"x2\" sourceRef=\"b\" targetRef=\"j\"/>\n"
    "<sequenceFlow id=\"x3\" sourceRef=\"always\" targetRef=\"j\"/>\n"
    "<sequenceFlow id=\"x4\" sourceRef=\"j\" targetRef=\"e\"/>\n" TAIL;

static void test_inclusive(void **state) {
  (void)state;
  BpArg both[] = {{"x", bp_decimal(5, 0)}, {"y", bp_bool(true)}};
  run_path(inclusive, both, 2, BP_COMPLETED, "a b after");
  BpArg one[] = {{"x", bp_decimal(5, 0)}, {"y", bp_bool(false)}};
  run_path(inclusive, one, 2, BP_COMPLETED, "a after");
  BpArg other[] = {{"x", bp_decimal(0, 0)}, {"y", bp_bool(true)}};
  run_path(inclusive, other, 2, BP_COMPLETED, "b after");
  run_path(inclusive, NULL, 0, BP_COMPLETED, "c after"); /* none holds: the default */
  BpArg x3[] = {{"x", bp_decimal(3, 0)}};
  run_path(implicit, x3, 1, BP_COMPLETED, "t a b always");
  BpArg x0[] = {{"x", bp_decimal(0, 0)}};
  run_path(implicit, x0, 1, BP_COMPLETED, "t always");
  /* no condition holds and no default: the instance fails naming the gateway */
  static const char none[] = HEAD
      "<startEvent id=\"s\"/><inclusiveGateway id=\"g\"/><serviceTask id=\"a\"/><serviceTask id=\"b\"/>"
      "<inclusiveGateway id=\"j\"/><endEvent id=\"e\"/>"
      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
      "<sequenceFlow id=\"fa\" sourceRef=\"g\" targetRef=\"a\"><conditionExpression>${p}</conditionExpression></sequenceFlow>"
      "<sequenceFlow id=\"fb\" sourceRef=\"g\" targetRef=\"b\"><conditionExpression>${q}</conditionExpression></sequenceFlow>"
      "<sequenceFlow id=\"x1\" sourceRef=\"a\" targetRef=\"j\"/><sequenceFlow id=\"x2\" sourceRef=\"b\" targetRef=\"j\"/>"
      "<sequenceFlow id=\"x3\" sourceRef=\"j\" targetRef=\"e\"/>" TAIL;
  BpArg q[] = {{"q", bp_bool(true)}};
  run_path(none, q, 1, BP_COMPLETED, "b");
  size_t len;
  uint8_t *bytes = compile(none, &len);
  Session s;
  start(&s, bytes, len, NULL, 0);
  drive(&s);
  assert_int_equal(bp_instance_status(s.inst), BP_TERMINATED);
  assert_non_null(strstr(bp_instance_message(s.inst), "no condition of gateway g holds"));
  finish(&s, BP_TERMINATED, "");
  free(bytes);
  /* one conditional flow out of a task and a default: an exclusive choice */
  static const char choice[] = HEAD
      "<startEvent id=\"s\"/><serviceTask id=\"t\" default=\"fd\"/><serviceTask id=\"a\"/><serviceTask id=\"dflt\"/>"
      "<endEvent id=\"e\"/>"
      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>"
      "<sequenceFlow id=\"fa\" sourceRef=\"t\" targetRef=\"a\"><conditionExpression>${p}</conditionExpression></sequenceFlow>"
      "<sequenceFlow id=\"fd\" sourceRef=\"t\" targetRef=\"dflt\"/>"
      "<sequenceFlow id=\"x1\" sourceRef=\"a\" targetRef=\"e\"/><sequenceFlow id=\"x2\" sourceRef=\"dflt\" targetRef=\"e\"/>" TAIL;
  BpArg p[] = {{"p", bp_bool(true)}};
  run_path(choice, p, 1, BP_COMPLETED, "t a");
  run_path(choice, NULL, 0, BP_COMPLETED, "t dflt");
  /* refused: a join no split matches; branches that do not meet again */
  expect_refused(HEAD "<startEvent id=\"s\"/><parallelGateway id=\"f\"/><inclusiveGateway id=\"j\"/><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"f\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"f\" targetRef=\"j\"/><sequenceFlow id=\"f3\" sourceRef=\"f\" targetRef=\"j\"/>"
                      "<sequenceFlow id=\"f4\" sourceRef=\"j\" targetRef=\"e\"/>" TAIL,
                 "j: an inclusive join without a matching inclusive split is not supported");
  expect_refused(HEAD "<startEvent id=\"s\"/><serviceTask id=\"t\"/><serviceTask id=\"a\"/><endEvent id=\"e\"/>"
                      "<endEvent id=\"e2\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>"
                      "<sequenceFlow id=\"fa\" sourceRef=\"t\" targetRef=\"a\"><conditionExpression>${p}</conditionExpression></sequenceFlow>"
                      "<sequenceFlow id=\"fb\" sourceRef=\"t\" targetRef=\"e2\"><conditionExpression>${q}</conditionExpression></sequenceFlow>"
                      "<sequenceFlow id=\"f4\" sourceRef=\"a\" targetRef=\"e\"/>" TAIL,
                 "t: conditional flows out of an activity that do not all meet again at one inclusive join is not supported");
}


/* ---- form fields -------------------------------------------------------------------- */

/* a user task with form fields is a request: its answers are the process's
 * variables, typed by the fields (long: a number, boolean, date, enum: a
 * string), and conditions read them */
static const char form[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<userTask id=\"ask\" camunda:assignee=\"kermit\"><extensionElements><camunda:formData>"
    "<camunda:formField id=\"amount\" label=\"Amount\" type=\"long\"/>"
    "<camunda:formField id=\"approved\" label=\"Approved?\" type=\"boolean\" defaultValue=\"true\"/>"
    "<camunda:formField id=\"due\" type=\"date\"/>"
    "<camunda:formField id=\"kind\" type=\"enum\"><camunda:value id=\"a\" name=\"A\"/></camunda:formField>"
    "<camunda:formField id=\"note\"/>"
    "</camunda:formData></extensionElements></userTask>\n"
    "<exclusiveGateway id=\"g\" default=\"fn\"/><serviceTask id=\"big\"/><serviceTask id=\"small\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"ask\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"ask\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"fy\" sourceRef=\"g\" targetRef=\"big\">"
    "<conditionExpression>${approved &amp;&amp; amount &gt; 100 &amp;&amp; kind == 'a'}</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"fn\" sourceRef=\"g\" targetRef=\"small\"/>\n"
    "<sequenceFlow id=\"x1\" sourceRef=\"big\" targetRef=\"e\"/><sequenceFlow id=\"x2\" sourceRef=\"small\" targetRef=\"e\"/>\n" TAIL;

static void test_form_fields(void **state) {
  (void)state;
  size_t len;
  uint8_t *bytes = compile(form, &len);
  for (int round = 0; round < 2; round++) {
    Session s;
    start(&s, bytes, len, NULL, 0);
    BpItem it;
    assert_true(bp_instance_item(s.inst, 0, &it));
    assert_int_equal(it.nfields, 5);
    assert_string_equal(it.fields[0].name, "amount");
    assert_string_equal(it.fields[0].label, "Amount");
    assert_int_equal(it.fields[0].type, BP_T_DECIMAL);
    assert_int_equal(it.fields[1].type, BP_T_BOOL);
    assert_int_equal(it.fields[2].type, BP_T_DATE);
    assert_int_equal(it.fields[3].type, BP_T_STRING);
    assert_string_equal(it.fields[4].name, "note");
    BpArg answers[] = {{"amount", bp_decimal(round ? 50 : 500, 0)}, {"approved", bp_bool(true)},
                       {"due", bp_date(20000)}, {"kind", bp_string("a")}, {"note", bp_string("hi")}};
    BpError err;
    BpStatus st = bp_complete(s.inst, it.id, "kermit", NULL, answers, 5, &err);
    if (st != BP_OK) fprintf(stderr, "bp_complete: %s\n", err.message);
    assert_int_equal(st, BP_OK);
    drive(&s);
    finish(&s, BP_COMPLETED, round ? "small" : "big");
  }
  free(bytes);
  /* Flowable's formProperty: `variable` names the variable; read-only ones are not asked */
  static const char flowable[] =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
      "xmlns:flowable=\"http://flowable.org/bpmn\" id=\"d\" targetNamespace=\"t\">\n"
      "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
      "<userTask id=\"ask\" flowable:assignee=\"kermit\"><extensionElements>"
      "<flowable:formProperty id=\"days\" name=\"Days\" type=\"long\" variable=\"numberOfDays\"/>"
      "<flowable:formProperty id=\"info\" name=\"Info\" type=\"string\" writable=\"false\"/>"
      "</extensionElements></userTask><endEvent id=\"e\"/>"
      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"ask\"/><sequenceFlow id=\"f2\" sourceRef=\"ask\" targetRef=\"e\"/>"
      "</process></definitions>";
  bytes = compile(flowable, &len);
  Session s;
  start(&s, bytes, len, NULL, 0);
  BpItem it;
  assert_true(bp_instance_item(s.inst, 0, &it));
  assert_int_equal(it.nfields, 1);
  assert_string_equal(it.fields[0].name, "numberOfDays");
  assert_string_equal(it.fields[0].label, "Days");
  BpArg days[] = {{"numberOfDays", bp_decimal(3, 0)}};
  BpError err;
  assert_int_equal(bp_complete(s.inst, it.id, "kermit", NULL, days, 1, &err), BP_OK);
  finish(&s, BP_COMPLETED, "");
  free(bytes);
  /* a conflict with a condition names both elements; an unknown type is refused */
  expect_refused(HEAD "<startEvent id=\"s\"/><userTask id=\"ask\"><extensionElements><camunda:formData>"
                      "<camunda:formField id=\"amount\" type=\"boolean\"/></camunda:formData></extensionElements></userTask>"
                      "<exclusiveGateway id=\"g\" default=\"f4\"/><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"ask\">"
                      "<conditionExpression>${amount &gt; 5}</conditionExpression></sequenceFlow>"
                      "<sequenceFlow id=\"f4\" sourceRef=\"g\" targetRef=\"e\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"ask\" targetRef=\"e\"/>" TAIL,
                 "variable `amount` is used as a number here and as a yes/no value by ask");
  expect_refused(HEAD "<startEvent id=\"s\"/><userTask id=\"ask\"><extensionElements><camunda:formData>"
                      "<camunda:formField id=\"file\" type=\"upload\"/></camunda:formData></extensionElements></userTask>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"ask\"/>" TAIL,
                 "ask: the form field `file` of type `upload` is not supported");
}

/* ---- refusals ---------------------------------------------------------------------------- */

/* XPath, the BPMN spec's default expression language (here the definitions'
 * default): bpmn:getDataObject('x') reads the data object x, not(...), =,
 * and/or, string literals; a flow may name XPath itself */
#define XHEAD                                                                                 \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                              \
  "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"\n"                      \
  "  xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\" targetNamespace=\"t\"\n" \
  "  expressionLanguage=\"http://www.w3.org/1999/XPath\">\n"                                   \
  "<process id=\"p\" isExecutable=\"true\">\n"
static const char xpath[] = XHEAD
    "<startEvent id=\"s\"/>\n"
    "<exclusiveGateway id=\"g\"/>\n"
    "<serviceTask id=\"pay\"/><serviceTask id=\"ask\"/><serviceTask id=\"drop\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"fp\" sourceRef=\"g\" targetRef=\"pay\">"
    "<conditionExpression>bpmn:getDataObject('approved')</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"fa\" sourceRef=\"g\" targetRef=\"ask\">"
    "<conditionExpression>not(bpmn:getDataObject('approved')) and "
    "bpmn:getDataObject(\"clarified\") = 'yes'</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"fd\" sourceRef=\"g\" targetRef=\"drop\">"
    "<conditionExpression language=\"http://www.w3.org/1999/XPath\">"
    "not(getDataObject('approved')) and getDataObject('clarified') != 'yes' or false()"
    "</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"x1\" sourceRef=\"pay\" targetRef=\"e\"/>\n"
    "<sequenceFlow id=\"x2\" sourceRef=\"ask\" targetRef=\"e\"/>\n"
    "<sequenceFlow id=\"x3\" sourceRef=\"drop\" targetRef=\"e\"/>\n" TAIL;

static void test_xpath(void **state) {
  (void)state;
  BpArg a1[] = {{"approved", bp_bool(true)}, {"clarified", bp_string("yes")}};
  run_path(xpath, a1, 2, BP_COMPLETED, "pay");
  BpArg a2[] = {{"approved", bp_bool(false)}, {"clarified", bp_string("yes")}};
  run_path(xpath, a2, 2, BP_COMPLETED, "ask");
  BpArg a3[] = {{"approved", bp_bool(false)}, {"clarified", bp_string("no")}};
  run_path(xpath, a3, 2, BP_COMPLETED, "drop");
  /* a location path, another function, two arguments: refused, named */
  expect_refused(XHEAD "<startEvent id=\"s\"/><exclusiveGateway id=\"g\"/><endEvent id=\"e\"/>"
                       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
                       "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\">"
                       "<conditionExpression>Service Level == 'Premium'</conditionExpression>"
                       "</sequenceFlow>" TAIL,
                 "f2: the condition `Service Level == 'Premium'` is not supported (XPath: an XPath location path");
  expect_refused(XHEAD "<startEvent id=\"s\"/><exclusiveGateway id=\"g\"/><endEvent id=\"e\"/>"
                       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
                       "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\">"
                       "<conditionExpression>count(bpmn:getDataObject('x')) &gt; 1</conditionExpression>"
                       "</sequenceFlow>" TAIL,
                 "XPath functions other than bpmn:getDataObject");
  expect_refused(XHEAD "<startEvent id=\"s\"/><exclusiveGateway id=\"g\"/><endEvent id=\"e\"/>"
                       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
                       "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\">"
                       "<conditionExpression>bpmn:getDataObject('p', 'x')</conditionExpression>"
                       "</sequenceFlow>" TAIL,
                 "with a process name");
}

/* link events: a throw's token goes on at the catch of the same name, like
 * a sequence flow (the catch is not a start though it has no incoming flow) */
static const char link[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<serviceTask id=\"a\"/>\n"
    "<intermediateThrowEvent id=\"go\"><linkEventDefinition name=\"L\"/></intermediateThrowEvent>\n"
    "<intermediateThrowEvent id=\"other\"><linkEventDefinition name=\"M\"/></intermediateThrowEvent>\n"
    "<intermediateCatchEvent id=\"land\"><linkEventDefinition name=\"L\"/></intermediateCatchEvent>\n"
    "<intermediateCatchEvent id=\"land2\"><linkEventDefinition name=\"M\"/></intermediateCatchEvent>\n"
    "<serviceTask id=\"b\"/><serviceTask id=\"c\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"go\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"land\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"b\" targetRef=\"other\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"land2\" targetRef=\"c\"/>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"c\" targetRef=\"e\"/>\n" TAIL;

static void test_link(void **state) {
  (void)state;
  run_path(link, NULL, 0, BP_COMPLETED, "a b c");
  expect_refused(HEAD "<startEvent id=\"s\"/>"
                      "<intermediateThrowEvent id=\"go\"><linkEventDefinition name=\"L\"/></intermediateThrowEvent>"
                      "<intermediateCatchEvent id=\"land\"><linkEventDefinition name=\"K\"/></intermediateCatchEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"go\"/>" TAIL,
                 "go: the link \"L\" has no catch event of that name in its process");
  expect_refused(HEAD "<startEvent id=\"s\"/>"
                      "<intermediateThrowEvent id=\"go\"><linkEventDefinition name=\"L\"/></intermediateThrowEvent>"
                      "<intermediateCatchEvent id=\"c1\"><linkEventDefinition name=\"L\"/></intermediateCatchEvent>"
                      "<intermediateCatchEvent id=\"c2\"><linkEventDefinition name=\"L\"/></intermediateCatchEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"go\"/>" TAIL,
                 "a second link catch event named \"L\" at this level");
  /* a link does not leave its sub-process */
  expect_refused(HEAD "<startEvent id=\"s\"/>"
                      "<subProcess id=\"sp\"><intermediateThrowEvent id=\"go\"><linkEventDefinition name=\"L\"/>"
                      "</intermediateThrowEvent></subProcess>"
                      "<intermediateCatchEvent id=\"c1\"><linkEventDefinition name=\"L\"/></intermediateCatchEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sp\"/>" TAIL,
                 "go: the link \"L\" has no catch event of that name in its sub-process");
}

/* ---- timers: non-interrupting boundaries, start events, cycles, variables ----------------- */

/* a non-interrupting timer cycle on a task: a nag every hour, twice at most, while the
 * task is open; its path ends on its own */
#define NAG(TIMER)                                                                            \
  HEAD "<startEvent id=\"s\"/>\n"                                                            \
       "<userTask id=\"sign\" camunda:assignee=\"${boss}\"/>\n"                               \
       "<boundaryEvent id=\"hourly\" cancelActivity=\"false\" attachedToRef=\"sign\">"        \
       "<timerEventDefinition>" TIMER "</timerEventDefinition></boundaryEvent>\n"             \
       "<serviceTask id=\"nag\"/>\n"                                                         \
       "<endEvent id=\"e1\"/><endEvent id=\"e2\"/>\n"                                        \
       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sign\"/>\n"                      \
       "<sequenceFlow id=\"f2\" sourceRef=\"sign\" targetRef=\"e1\"/>\n"                     \
       "<sequenceFlow id=\"f3\" sourceRef=\"hourly\" targetRef=\"nag\"/>\n"                  \
       "<sequenceFlow id=\"f4\" sourceRef=\"nag\" targetRef=\"e2\"/>\n" TAIL

static void nag_run(const char *xml, int64_t until, const char *want) {
  BpArg args[] = {{"boss", bp_user("bob")}};
  size_t len;
  uint8_t *bytes = compile(xml, &len);
  Session s;
  start(&s, bytes, len, args, 1);
  BpError err;
  for (int64_t t = 1800; t <= until; t += 1800) { /* every half hour: answer what was called */
    assert_int_equal(bp_advance(s.inst, t, &err), BP_OK);
    while (s.run.ncalls) {
      add(&s.run, s.run.call_names[0]);
      assert_int_equal(bp_answer(s.inst, s.run.calls[0], NULL, &err), BP_OK);
      memmove(s.run.calls, s.run.calls + 1, (s.run.ncalls - 1) * sizeof s.run.calls[0]);
      memmove(s.run.call_names, s.run.call_names + 1, (s.run.ncalls - 1) * sizeof s.run.call_names[0]);
      s.run.ncalls--;
    }
    assert_int_equal(bp_instance_item_count(s.inst), 1); /* the task stays open */
  }
  drive(&s);
  finish(&s, BP_COMPLETED, want);
  free(bytes);
}

static void test_non_interrupting(void **state) {
  (void)state;
  /* R2/PT1H: at 1 h and 2 h, not at 3 h */
  nag_run(NAG("<timeCycle>R2/PT1H</timeCycle>"), 4 * 3600, "nag nag sign");
  /* R/PT1H: no end while the task is open */
  nag_run(NAG("<timeCycle>R/PT1H</timeCycle>"), 4 * 3600, "nag nag nag nag sign");
  /* a duration: once; the task done before it: never */
  nag_run(NAG("<timeDuration>PT1H</timeDuration>"), 3 * 3600, "nag sign");
  nag_run(NAG("<timeDuration>PT1H</timeDuration>"), 1800, "sign");
  /* a variable's duration (FEEL `=x`), passed at start */
  {
    size_t len;
    uint8_t *bytes = compile(NAG("<timeDuration>=wait</timeDuration>"), &len);
    BpBundle *b = NULL;
    BpRuntime *rt = NULL;
    BpConfig cfg = {.size = sizeof(BpConfig), .alloc = alloc};
    BpError err;
    assert_int_equal(bp_runtime_new(&cfg, &rt, &err), BP_OK);
    assert_int_equal(bp_bundle_load(rt, bytes, len, &b, &err), BP_OK);
    assert_int_equal(bp_bundle_name_type(b, "p", "wait", NULL), BP_T_DURATION);
    bp_bundle_free(b);
    bp_runtime_free(rt);
    free(bytes);
  }
  /* on a host action, a listener beside it; its path may not merge into the action's (a
   * shared end event is fine); on a call activity: refused; repeating while its path
   * rejoins the task's */
  expect_refused(HEAD "<startEvent id=\"s\"/><serviceTask id=\"a\"/><exclusiveGateway id=\"m\"/><endEvent id=\"e\"/>"
                      "<boundaryEvent id=\"b\" cancelActivity=\"false\" attachedToRef=\"a\">"
                      "<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"m\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"m\"/>"
                      "<sequenceFlow id=\"f4\" sourceRef=\"m\" targetRef=\"e\"/>" TAIL,
                 "b: a non-interrupting timer boundary event is not supported (its path meets the activity's own path");
  expect_refused(HEAD "<startEvent id=\"s\"/><serviceTask id=\"a\"><standardLoopCharacteristics loopMaximum=\"3\"/></serviceTask><endEvent id=\"e\"/>"
                      "<boundaryEvent id=\"b\" cancelActivity=\"false\" attachedToRef=\"a\">"
                      "<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"e\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"e\"/>" TAIL,
                 "b: a non-interrupting timer boundary event on a serviceTask is not supported");
  expect_refused(HEAD "<startEvent id=\"s\"/><userTask id=\"a\"/><parallelGateway id=\"j\"/><endEvent id=\"e\"/>"
                      "<boundaryEvent id=\"b\" cancelActivity=\"false\" attachedToRef=\"a\">"
                      "<timerEventDefinition><timeCycle>R/PT1H</timeCycle></timerEventDefinition></boundaryEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"j\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"j\"/>"
                      "<sequenceFlow id=\"f4\" sourceRef=\"j\" targetRef=\"e\"/>" TAIL,
                 "b: a repeating non-interrupting timer whose path joins its task's is not supported");
  /* its path back into the task's without a join: two tokens, and the graph says where */
  expect_refused(HEAD "<startEvent id=\"s\"/><userTask id=\"a\"/><exclusiveGateway id=\"m\"/><endEvent id=\"e\"/>"
                      "<boundaryEvent id=\"b\" cancelActivity=\"false\" attachedToRef=\"a\">"
                      "<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"m\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"m\"/>"
                      "<sequenceFlow id=\"f4\" sourceRef=\"m\" targetRef=\"e\"/>" TAIL,
                 "m: ");
}

/* a timer start event: a TIMER trigger with its schedule; started by hand all the same */
static void test_timer_start(void **state) {
  (void)state;
  const char *xml = HEAD "<startEvent id=\"s\"><timerEventDefinition><timeCycle> R3/PT10H </timeCycle>"
                         "</timerEventDefinition></startEvent><userTask id=\"t\"/><endEvent id=\"e\"/>"
                         "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>"
                         "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>" TAIL;
  size_t len;
  uint8_t *bytes = compile(xml, &len);
  BpRuntime *rt = NULL;
  BpBundle *b = NULL;
  BpConfig cfg = {.size = sizeof(BpConfig), .alloc = alloc};
  BpError err;
  assert_int_equal(bp_runtime_new(&cfg, &rt, &err), BP_OK);
  assert_int_equal(bp_bundle_load(rt, bytes, len, &b, &err), BP_OK);
  const char *schedule = NULL;
  assert_int_equal(bp_bundle_process_trigger(b, 0, &schedule), BP_TRIGGER_TIMER);
  assert_string_equal(schedule, "R3/PT10H");
  assert_int_equal(bp_bundle_process_trigger(b, 1, &schedule), -1);
  bp_bundle_free(b);
  bp_runtime_free(rt);
  free(bytes);
  BpArg args[] = {{"performer", bp_user("pat")}};
  run_path(xml, args, 1, BP_COMPLETED, "t");
  expect_refused(HEAD "<startEvent id=\"s\"><timerEventDefinition><timeCycle>0 0 9 * * ?</timeCycle>"
                      "</timerEventDefinition></startEvent><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"e\"/>" TAIL,
                 "s: timeCycle `0 0 9 * * ?`: not an ISO 8601 repeating interval");
  expect_refused(HEAD "<startEvent id=\"s\"><timerEventDefinition><timeDate>${when}</timeDate>"
                      "</timerEventDefinition></startEvent><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"e\"/>" TAIL,
                 "s: a timer start event computed by an expression is not supported");
  /* several start events: the start parameter `start_event` says which fired (by
   * default the none start); a process has one schedule */
#define STARTS(S2, S3)                                                                            \
  HEAD "<startEvent id=\"s1\"/>" S2 S3 "<serviceTask id=\"a1\"/><serviceTask id=\"a2\"/>"          \
       "<serviceTask id=\"a3\"/><sequenceFlow id=\"f1\" sourceRef=\"s1\" targetRef=\"a1\"/>"         \
       "<sequenceFlow id=\"f2\" sourceRef=\"s2\" targetRef=\"a2\"/>"                                \
       "<sequenceFlow id=\"f3\" sourceRef=\"s3\" targetRef=\"a3\"/>" TAIL
  const char *three = STARTS("<startEvent id=\"s2\"><messageEventDefinition/></startEvent>",
                             "<startEvent id=\"s3\"><timerEventDefinition><timeDuration>PT1H</timeDuration>"
                             "</timerEventDefinition></startEvent>");
  run_path(three, NULL, 0, BP_COMPLETED, "a1");
  BpArg by_message[] = {{"start_event", bp_string("s2")}};
  run_path(three, by_message, 1, BP_COMPLETED, "a2");
  BpArg by_timer[] = {{"start_event", bp_string("s3")}};
  run_path(three, by_timer, 1, BP_COMPLETED, "a3");
  BpArg by_none[] = {{"start_event", bp_string("s9")}};
  run_path(three, by_none, 1, BP_TERMINATED, "");
  expect_refused(STARTS("<startEvent id=\"s2\"><timerEventDefinition><timeDuration>PT1H</timeDuration>"
                        "</timerEventDefinition></startEvent>",
                        "<startEvent id=\"s3\"><timerEventDefinition><timeDuration>PT2H</timeDuration>"
                        "</timerEventDefinition></startEvent>"),
                 "s3: a second timer start event is not supported (a process has one schedule");
#undef STARTS
}

/* intermediate timers: a cycle waits for its first time; a date from a variable */
static void test_timer_catch(void **state) {
  (void)state;
#define CATCH(TIMER)                                                                              \
  HEAD "<startEvent id=\"s\"/><intermediateCatchEvent id=\"t\"><timerEventDefinition>" TIMER     \
       "</timerEventDefinition></intermediateCatchEvent><serviceTask id=\"go\"/><endEvent id=\"e\"/>" \
       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>"                                \
       "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"go\"/>"                               \
       "<sequenceFlow id=\"f3\" sourceRef=\"go\" targetRef=\"e\"/>" TAIL
  const struct { const char *xml; int64_t due; BpArg arg; size_t nargs; } cases[] = {
      {CATCH("<timeCycle>R5/PT2H</timeCycle>"), 7200, {0}, 0},
      {CATCH("<timeDate>${variables.at}</timeDate>"), 3 * 86400 + 600,
       {"at", {.type = BP_T_DATETIME, .i = (3 * 86400 + 600) / 60}}, 1},
      {CATCH("<timeDuration>#{pause}</timeDuration>"), 90, {"pause", {.type = BP_T_DURATION, .i = 90}}, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len;
    uint8_t *bytes = compile(cases[i].xml, &len);
    Session s;
    start(&s, bytes, len, &cases[i].arg, cases[i].nargs);
    BpError err;
    assert_int_equal(bp_advance(s.inst, cases[i].due - 1, &err), BP_OK);
    assert_int_equal(s.run.ncalls, 0);
    assert_int_equal(bp_advance(s.inst, cases[i].due, &err), BP_OK);
    assert_int_equal(s.run.ncalls, 1);
    drive(&s);
    finish(&s, BP_COMPLETED, "go");
    free(bytes);
  }
  expect_refused(CATCH("<timeDuration>${a + 1}</timeDuration>"), "t: the timer expression `${a + 1}` is not supported");
  expect_refused(CATCH("<timeCycle>R/2026-01-01T00:00/PT1H</timeCycle>"), "t: timeCycle `R/2026-01-01T00:00/PT1H`: only a repeating duration");
#undef CATCH
}

static void test_refusals(void **state) {
  (void)state;
  expect_refused(HEAD "<startEvent id=\"s\"/><exclusiveGateway id=\"g\"/><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\">"
                      "<conditionExpression language=\"javascript\">next(null, true)</conditionExpression>"
                      "</sequenceFlow>" TAIL,
                 "f2: the condition `next(null, true)` is not supported (JavaScript conditions are never run");
  /* a variable used as a number and as a string: both elements named */
  expect_refused(HEAD "<startEvent id=\"s\"/><exclusiveGateway id=\"g\" default=\"f3\"/><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\">"
                      "<conditionExpression>${x &gt; 1}</conditionExpression></sequenceFlow>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"g\" targetRef=\"e\">"
                      "<conditionExpression>${x == 'a'}</conditionExpression></sequenceFlow>" TAIL,
                 "f3: variable `x` is used as a string here and as a number by f2");
  expect_refused(HEAD "<startEvent id=\"s\"/><intermediateCatchEvent id=\"t\"><timerEventDefinition>"
                      "<timeDuration>P1M</timeDuration></timerEventDefinition></intermediateCatchEvent>"
                      "<endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>" TAIL,
                 "t: timeDuration `P1M`: months have no fixed length");
  /* deep nesting is refused, not a deep recursion */
  {
    StrBuf b;
    sb_init(&b);
    sb_puts(&b, HEAD "<startEvent id=\"s\"/><exclusiveGateway id=\"g\" default=\"f3\"/><endEvent id=\"e\"/>"
                "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
                "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\"><conditionExpression>${");
    for (int i = 0; i < 20000; i++) sb_puts(&b, "(!");
    sb_puts(&b, "a");
    for (int i = 0; i < 20000; i++) sb_putc(&b, ')');
    sb_puts(&b, "}</conditionExpression></sequenceFlow>"
                "<sequenceFlow id=\"f3\" sourceRef=\"g\" targetRef=\"e\"/>" TAIL);
    expect_refused(b.data, "f2: the condition `${(!(!(!");
    expect_refused(b.data, "nested more than 64 deep");
    sb_free(&b);
  }
  /* every problem in one pass, the graph's too: a join fed by an exclusive choice */
  expect_refused(HEAD "<startEvent id=\"s\"/><exclusiveGateway id=\"g\" default=\"f3\"/>"
                      "<parallelGateway id=\"j\"/><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"j\">"
                      "<conditionExpression>${a}</conditionExpression></sequenceFlow>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"g\" targetRef=\"j\"/>"
                      "<sequenceFlow id=\"f4\" sourceRef=\"j\" targetRef=\"e\"/>" TAIL,
                 "j: ");
}

/* an embedded sub-process with an error boundary: an error end event inside (errorRef ->
 * errorCode E1) withdraws the sub-process's open task and goes on along the boundary's
 * flow; without the error the sub-process ends normally */
#define ERROR_SUB(BOUNDARY_DEF, END_DEF)                                                       \
  HEAD "<startEvent id=\"s\"/>\n"                                                             \
  "<subProcess id=\"sub\"><startEvent id=\"ss\"/><parallelGateway id=\"fork\"/>"              \
  "<userTask id=\"wait\" camunda:assignee=\"${boss}\"/>"                                      \
  "<exclusiveGateway id=\"g\" default=\"g3\"/>" END_DEF "<serviceTask id=\"inner\"/>"         \
  "<parallelGateway id=\"join\"/><endEvent id=\"se\"/>"                                       \
  "<sequenceFlow id=\"g0\" sourceRef=\"ss\" targetRef=\"fork\"/>"                             \
  "<sequenceFlow id=\"g1\" sourceRef=\"fork\" targetRef=\"g\"/>"                              \
  "<sequenceFlow id=\"g1b\" sourceRef=\"fork\" targetRef=\"wait\"/>"                          \
  "<sequenceFlow id=\"g2\" sourceRef=\"g\" targetRef=\"bad\"><conditionExpression>${fail}"   \
  "</conditionExpression></sequenceFlow>"                                                     \
  "<sequenceFlow id=\"g3\" sourceRef=\"g\" targetRef=\"inner\"/>"                             \
  "<sequenceFlow id=\"g4\" sourceRef=\"inner\" targetRef=\"join\"/>"                          \
  "<sequenceFlow id=\"g5\" sourceRef=\"wait\" targetRef=\"join\"/>"                           \
  "<sequenceFlow id=\"g6\" sourceRef=\"join\" targetRef=\"se\"/></subProcess>\n"              \
  "<boundaryEvent id=\"caught\" attachedToRef=\"sub\">" BOUNDARY_DEF "</boundaryEvent>\n"     \
  "<serviceTask id=\"recover\"/><serviceTask id=\"outer\"/>\n"                                \
  "<endEvent id=\"e\"/><endEvent id=\"e2\"/>\n"                                               \
  "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sub\"/>\n"                             \
  "<sequenceFlow id=\"f2\" sourceRef=\"sub\" targetRef=\"outer\"/>\n"                         \
  "<sequenceFlow id=\"f3\" sourceRef=\"outer\" targetRef=\"e\"/>\n"                           \
  "<sequenceFlow id=\"f4\" sourceRef=\"caught\" targetRef=\"recover\"/>\n"                    \
  "<sequenceFlow id=\"f5\" sourceRef=\"recover\" targetRef=\"e2\"/>\n"                        \
  "</process>\n<error id=\"Err1\" name=\"Bad input\" errorCode=\"E1\"/>"                      \
  "<error id=\"Err2\" name=\"Other\" errorCode=\"E2\"/><escalation id=\"Esc\" escalationCode=\"UP\"/>\n" \
  "</definitions>\n"

static void test_error_boundary(void **state) {
  (void)state;
  const char *xml = ERROR_SUB("<errorEventDefinition errorRef=\"Err1\"/>",
                              "<endEvent id=\"bad\"><errorEventDefinition errorRef=\"Err1\"/></endEvent>");
  BpArg no[] = {{"boss", bp_user("bob")}, {"fail", bp_bool(false)}};
  run_path(xml, no, 2, BP_COMPLETED, "inner wait outer");
  BpArg yes[] = {{"boss", bp_user("bob")}, {"fail", bp_bool(true)}};
  size_t len;
  uint8_t *bytes = compile(xml, &len);
  Session s;
  start(&s, bytes, len, yes, 2);
  assert_int_equal(bp_instance_item_count(s.inst), 0); /* the task was opened, then withdrawn */
  drive(&s);
  finish(&s, BP_COMPLETED, "recover");
  free(bytes);
  /* a boundary without errorRef catches any error */
  run_path(ERROR_SUB("<errorEventDefinition/>", "<endEvent id=\"bad\"><errorEventDefinition errorRef=\"Err2\"/></endEvent>"),
           yes, 2, BP_COMPLETED, "recover");
  /* another error passes the boundary by: the instance fails with the error's code and name */
  bytes = compile(ERROR_SUB("<errorEventDefinition errorRef=\"Err1\"/>",
                            "<endEvent id=\"bad\"><errorEventDefinition errorRef=\"Err2\"/></endEvent>"),
                  &len);
  start(&s, bytes, len, yes, 2);
  assert_non_null(strstr(bp_instance_message(s.inst), "error E2: Other"));
  finish(&s, BP_FAILED, "");
  free(bytes);
  /* an interrupting escalation boundary catches the escalation end event inside */
  run_path(ERROR_SUB("<escalationEventDefinition escalationRef=\"Esc\"/>",
                     "<endEvent id=\"bad\"><escalationEventDefinition escalationRef=\"Esc\"/></endEvent>"),
           yes, 2, BP_COMPLETED, "recover");
  /* a non-interrupting escalation boundary is refused */
  expect_refused(HEAD "<startEvent id=\"s\"/><subProcess id=\"sub\"/><endEvent id=\"e\"/>"
                      "<boundaryEvent id=\"up\" attachedToRef=\"sub\" cancelActivity=\"false\">"
                      "<escalationEventDefinition/></boundaryEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sub\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"sub\" targetRef=\"e\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"up\" targetRef=\"e\"/>" TAIL,
                 "up: a non-interrupting escalation boundary event is not supported");
}

/* messages and signals: a receive task names its <message> (by name, else id); a catch
 * event without a reference is named by its id; a signal by its <signal>'s name; an
 * interrupting message boundary races its task; throw events are host actions */
static const char messages[] = HEAD
    "<startEvent id=\"s\"><messageEventDefinition messageRef=\"m_go\"/></startEvent>\n"
    "<receiveTask id=\"pay\" messageRef=\"m_paid\"/>\n"
    "<userTask id=\"check\" camunda:assignee=\"${boss}\"/>\n"
    "<boundaryEvent id=\"stop\" attachedToRef=\"check\"><messageEventDefinition messageRef=\"m_stop\"/></boundaryEvent>\n"
    "<intermediateCatchEvent id=\"later\"><messageEventDefinition/></intermediateCatchEvent>\n"
    "<intermediateCatchEvent id=\"sig\"><signalEventDefinition signalRef=\"s_all\"/></intermediateCatchEvent>\n"
    "<intermediateThrowEvent id=\"tell\"><messageEventDefinition messageRef=\"m_paid\"/></intermediateThrowEvent>\n"
    "<endEvent id=\"e\"/>\n"
    "<endEvent id=\"stopped\"><signalEventDefinition signalRef=\"s_all\"/></endEvent>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"pay\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"pay\" targetRef=\"check\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"check\" targetRef=\"later\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"later\" targetRef=\"sig\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"sig\" targetRef=\"tell\"/>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"tell\" targetRef=\"e\"/>\n"
    "<sequenceFlow id=\"f7\" sourceRef=\"stop\" targetRef=\"stopped\"/>\n"
    "</process>\n"
    "<message id=\"m_go\" name=\"go\"/><message id=\"m_paid\" name=\"paid\"/><message id=\"m_stop\"/>\n"
    "<signal id=\"s_all\" name=\"all clear\"/>\n"
    "</definitions>\n";

static void expect_waits(BpInstance *inst, const char *name) {
  BpMessageWait m;
  bool found = false;
  for (size_t i = 0; i < bp_instance_message_count(inst); i++)
    if (bp_instance_message_wait(inst, i, &m) && strcmp(m.name, name) == 0) found = true;
  if (!found) fprintf(stderr, "not waiting for message %s\n", name);
  assert_true(found);
}

static void test_messages(void **state) {
  (void)state;
  BpArg args[] = {{"boss", bp_user("bob")}};
  size_t len;
  uint8_t *bytes = compile(messages, &len);
  BpError err;
  /* the whole way: each message in turn */
  Session s;
  start(&s, bytes, len, args, 1);
  expect_waits(s.inst, "paid");
  assert_int_equal(bp_message(s.inst, "later", NULL, 0, &err), BP_EREFUSED);
  assert_non_null(strstr(err.message, "waits for `paid`"));
  assert_int_equal(bp_message(s.inst, "paid", NULL, 0, &err), BP_OK);
  expect_waits(s.inst, "m_stop");
  drive(&s); /* completes check */
  expect_waits(s.inst, "later");
  assert_int_equal(bp_message(s.inst, "later", NULL, 0, &err), BP_OK);
  expect_waits(s.inst, "all clear");
  assert_int_equal(bp_message(s.inst, "all clear", NULL, 0, &err), BP_OK);
  drive(&s); /* answers tell */
  finish(&s, BP_COMPLETED, "check tell");
  /* the boundary message withdraws the task */
  start(&s, bytes, len, args, 1);
  assert_int_equal(bp_message(s.inst, "paid", NULL, 0, &err), BP_OK);
  assert_int_equal(bp_instance_item_count(s.inst), 1);
  assert_int_equal(bp_message(s.inst, "m_stop", NULL, 0, &err), BP_OK);
  assert_int_equal(bp_instance_item_count(s.inst), 0);
  drive(&s);
  finish(&s, BP_COMPLETED, "stopped");
  free(bytes);
}

/* a flow cycle through gateways only (no activity): once taken it repeats for ever,
 * so it is refused naming a node of the cycle; a task on the cycle makes it fine */
static void test_idle_cycle(void **state) {
  (void)state;
#define CYCLE(ON_CYCLE, BACK_TO)                                                                  \
  HEAD "<startEvent id=\"s\"/><exclusiveGateway id=\"a\"/>" ON_CYCLE                          \
       "<exclusiveGateway id=\"b\" default=\"back\"/><endEvent id=\"e\"/>"                   \
       "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>"                            \
       "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"" BACK_TO "\"/>"                 \
       "<sequenceFlow id=\"back\" sourceRef=\"b\" targetRef=\"a\"/>"                         \
       "<sequenceFlow id=\"out\" sourceRef=\"b\" targetRef=\"e\">"                           \
       "<conditionExpression>${done}</conditionExpression></sequenceFlow>"
  expect_refused(CYCLE("", "b") TAIL, "a cycle of flows with no step that waits or changes data");
  size_t len;
  uint8_t *bytes = compile(CYCLE("<userTask id=\"t\"/><sequenceFlow id=\"f3\" sourceRef=\"t\" targetRef=\"b\"/>", "t") TAIL, &len);
  assert_non_null(bytes);
  free(bytes);
#undef CYCLE
}

static void test_message_refusals(void **state) {
  (void)state;
  /* a non-interrupting message on a looped task (each turn would listen anew) */
  expect_refused(HEAD "<startEvent id=\"s\"/><task id=\"t\"><standardLoopCharacteristics loopMaximum=\"2\"/></task><endEvent id=\"e\"/>"
                      "<boundaryEvent id=\"b\" attachedToRef=\"t\" cancelActivity=\"false\"><messageEventDefinition/></boundaryEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"e\"/>" TAIL,
                 "b: a non-interrupting message boundary event on a task is not supported");
  expect_refused(HEAD "<startEvent id=\"s\"/><subProcess id=\"sp\"><task id=\"t\"/></subProcess><endEvent id=\"e\"/>"
                      "<boundaryEvent id=\"b\" attachedToRef=\"sp\"><signalEventDefinition/></boundaryEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sp\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"sp\" targetRef=\"e\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"e\"/>" TAIL,
                 "b: a signal boundary event on this activity is not supported");
  expect_refused(HEAD "<receiveTask id=\"r\" instantiate=\"true\"/><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"r\" targetRef=\"e\"/>" TAIL,
                 "r: an instantiating receive task is not supported");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sequence),       cmocka_unit_test(test_exclusive),
      cmocka_unit_test(test_no_default),     cmocka_unit_test(test_parallel),
      cmocka_unit_test(test_loop),           cmocka_unit_test(test_boundary_timer),
      cmocka_unit_test(test_event_gateway),  cmocka_unit_test(test_multi_instance),
      cmocka_unit_test(test_sub_process),    cmocka_unit_test(test_error_boundary),    cmocka_unit_test(test_refusals),    cmocka_unit_test(test_xpath),    cmocka_unit_test(test_link),
      cmocka_unit_test(test_user_literal),
      cmocka_unit_test(test_potential_owner_groups),
      cmocka_unit_test(test_multi_instance_actions), cmocka_unit_test(test_multi_instance_in_turn),
      cmocka_unit_test(test_standard_loop), cmocka_unit_test(test_call_activity),
      cmocka_unit_test(test_ad_hoc),
      cmocka_unit_test(test_token_joins),
      cmocka_unit_test(test_feel_plain), cmocka_unit_test(test_inclusive),
      cmocka_unit_test(test_form_fields), cmocka_unit_test(test_multi_instance_vote),
      cmocka_unit_test(test_non_interrupting), cmocka_unit_test(test_timer_start), cmocka_unit_test(test_timer_catch),
      cmocka_unit_test(test_messages),       cmocka_unit_test(test_message_refusals),
      cmocka_unit_test(test_idle_cycle),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
