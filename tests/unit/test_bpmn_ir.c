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
  expect_refused(MULTI("<completionCondition>${nrOfCompletedInstances/nrOfInstances &gt;= 0.6}"
                       "</completionCondition>"),
                 "vote: the completion condition `${nrOfCompletedInstances/nrOfInstances >= 0.6}` is not supported");
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
  expect_refused(HEAD "<startEvent id=\"s\"/><inclusiveGateway id=\"g\"/><endEvent id=\"e\"/>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\"/>" TAIL,
                 "g: an inclusive gateway is not supported");
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

static void test_message_refusals(void **state) {
  (void)state;
  expect_refused(HEAD "<startEvent id=\"s\"/><userTask id=\"t\"/><endEvent id=\"e\"/>"
                      "<boundaryEvent id=\"b\" attachedToRef=\"t\" cancelActivity=\"false\"><messageEventDefinition/></boundaryEvent>"
                      "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>"
                      "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>"
                      "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"e\"/>" TAIL,
                 "b: a non-interrupting message boundary event is not supported");
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
      cmocka_unit_test(test_sub_process),    cmocka_unit_test(test_refusals),    cmocka_unit_test(test_xpath),    cmocka_unit_test(test_link),
      cmocka_unit_test(test_messages),       cmocka_unit_test(test_message_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
