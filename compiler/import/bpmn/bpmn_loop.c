/* bpmn_loop.c — loops on activities (docs/bpmn.md "Loops"): a standard loop
 * (`standardLoopCharacteristics`: loopCondition, testBefore, loopMaximum) and
 * a multi-instance activity whose instances run one after another (every
 * multi-instance host action or sub-process, a sequential multi-instance user
 * task, a user task with a loopCardinality and no collection) become a loop
 * in the graph IR around the activity's nodes: a count of instances or a for
 * loop over the collection, the completion condition tested after each. The
 * plan is made while the process's variables are typed; the loop is built
 * once every variable has its slot and the activity's flows are drawn. */
#include "bpmn_map.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef enum { LOOP_COUNT, LOOP_ITER, LOOP_STANDARD } LoopMode;

struct BpmnLoopPlan {
  LoopMode mode;
  const BpmnElement *e;
  const char *coll;       /* LOOP_ITER: the collection variable */
  const Type *coll_type;  /* users (human steps) or list of string */
  const char *card_var;   /* LOOP_COUNT: loopCardinality `${x}`, or NULL */
  BpmnUnsaid *unsaid;     /* no count (LOOP_COUNT) or no end (LOOP_STANDARD) given: the start parameter */
  int64_t card;           /* LOOP_COUNT: a literal loopCardinality */
  int64_t maximum;        /* LOOP_STANDARD: loopMaximum, -1: none */
  bool test_before;
  BpmnCond *cond;         /* completion condition / loopCondition, or NULL */
};

static const char *eid(const BpmnElement *e) { return e->id ? e->id : bpmn_kind_name(e->kind); }

static bool is_human(BpmnKind k) {
  return k == BPMN_TASK || k == BPMN_USER_TASK || k == BPMN_MANUAL_TASK;
}

static bool has_collection(const BpmnLoop *lp) {
  const char *c = lp->collection ? lp->collection : lp->data_input_ref;
  return c && *c;
}

bool bpmn_loop_in_turn(const BpmnElement *e) {
  if (e->loop.kind == BPMN_LOOP_STANDARD) return true;
  if (e->loop.kind != BPMN_LOOP_MULTI) return false;
  if (!is_human(e->kind)) return true;
  return e->loop.sequential || !has_collection(&e->loop);
}

/* `name`, `${name}`, `#{name}`, `=name`, with `variables.` or
 * `execution.variables.` before it (bpmn-engine, JUEL): the name, or NULL. */
static const char *var_name(BpmnMap *mp, const char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) n--;
  if (n >= 3 && (s[0] == '$' || s[0] == '#') && s[1] == '{' && s[n - 1] == '}') s += 2, n -= 3;
  else if (n >= 1 && s[0] == '=') s++, n--;
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  if (n > 20 && strncmp(s, "execution.variables.", 20) == 0) s += 20, n -= 20;
  else if (n > 10 && strncmp(s, "variables.", 10) == 0) s += 10, n -= 10;
  if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return NULL;
  for (size_t i = 0; i < n; i++)
    if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) return NULL;
  return arena_strndup(&mp->m->arena, s, n);
}

/* The multi-instance variables in a completion condition (BPMN 2.0 13.3.7,
 * as Camunda, Flowable and bpmn-engine name them) read the loop's counters:
 * BPMN_C_SLOT nodes whose num is given their slot when the loop is built.
 * nrOfActiveInstances is 0 when the condition is tested (no instance runs
 * then); loopCounter is the index of the instance that just completed (MI)
 * or the number of turns done (standard). */
enum { SPECIAL_N = 1, SPECIAL_DONE = 2, SPECIAL_COUNTER = 3 };

static void specials(BpmnMap *mp, BpmnCond *n, bool multi, int depth) {
  if (!n || depth > 200) return;
  if (n->kind == BPMN_C_VAR) {
    /* (Camunda 8 names them numberOfInstances …) */
    if (multi && (!strcmp(n->str, "nrOfInstances") || !strcmp(n->str, "numberOfInstances")))
      n->kind = BPMN_C_SLOT, n->num = SPECIAL_N;
    else if (multi && (!strcmp(n->str, "nrOfCompletedInstances") || !strcmp(n->str, "numberOfCompletedInstances")))
      n->kind = BPMN_C_SLOT, n->num = SPECIAL_DONE;
    else if (multi && (!strcmp(n->str, "nrOfActiveInstances") || !strcmp(n->str, "numberOfActiveInstances")))
      n->kind = BPMN_C_NUM, n->num = 0, n->scale = 0;
    else if (strcmp(n->str, "loopCounter") == 0) {
      if (!multi) {
        n->kind = BPMN_C_SLOT, n->num = SPECIAL_DONE;
        return;
      }
      BpmnCond *done = arena_alloc(&mp->m->arena, sizeof *done), *one = arena_alloc(&mp->m->arena, sizeof *one);
      memset(done, 0, sizeof *done);
      memset(one, 0, sizeof *one);
      done->kind = BPMN_C_SLOT, done->num = SPECIAL_DONE;
      one->kind = BPMN_C_NUM, one->num = 1;
      n->kind = BPMN_C_ARITH, n->op = IR_OP_SUB, n->a = done, n->b = one;
    }
    return;
  }
  specials(mp, n->a, multi, depth + 1);
  specials(mp, n->b, multi, depth + 1);
}

static BpmnCond *condition(BpmnMap *mp, BpmnVars *vs, const BpmnElement *e, uint32_t line, const char *text,
                           const char *what, bool multi, bool *refused) {
  const char *why = NULL;
  BpmnCond *c = bpmn_cond_parse(mp, text, NULL, &why);
  if (!c) {
    bpmn_error(mp->m, line, "%s: the %s `%.80s` is not supported (%s)", eid(e), what, text, why);
    *refused = true;
    return NULL;
  }
  specials(mp, c, multi, 0);
  if (!bpmn_cond_type(mp, vs, c, eid(e), line)) {
    *refused = true;
    return NULL;
  }
  return c;
}

/* A literal count: digits only, at most 10000. */
static bool literal_count(const char *s, int64_t *out) {
  while (isspace((unsigned char)*s)) s++;
  if (!isdigit((unsigned char)*s)) return false;
  int64_t v = 0;
  while (isdigit((unsigned char)*s)) {
    v = v * 10 + (*s++ - '0');
    if (v > 10000) return false;
  }
  while (isspace((unsigned char)*s)) s++;
  if (*s) return false;
  *out = v;
  return true;
}

BpmnLoopPlan *bpmn_loop_plan(BpmnMap *mp, BpmnVars *vs, const BpmnElement *e, bool *refused) {
  if (!bpmn_loop_in_turn(e)) return NULL;
  const BpmnLoop *lp = &e->loop;
  uint32_t line = lp->line ? lp->line : e->line;
  BpmnLoopPlan *pl = arena_alloc(&mp->m->arena, sizeof *pl);
  memset(pl, 0, sizeof *pl);
  pl->e = e;
  pl->maximum = -1;
  if (lp->kind == BPMN_LOOP_STANDARD) {
    pl->mode = LOOP_STANDARD;
    pl->test_before = lp->test_before;
    const char *max = lp->loop_maximum;
    if (max && *max && !literal_count(max, &pl->maximum)) {
      bpmn_error(mp->m, line, "%s: the loopMaximum `%.60s` is not supported (a whole number up to 10000)", eid(e), max);
      *refused = true;
      return NULL;
    }
    bool has_cond = lp->loop_condition && *lp->loop_condition;
    if (!has_cond && pl->maximum < 0) /* when it stops is not said: the host says it when it starts the process */
      pl->unsaid = bpmn_unsaid(mp, e, "loops", &type_int,
                               "a standard loop without loopCondition or loopMaximum: how many times it runs at most");
    if (has_cond) pl->cond = condition(mp, vs, e, line, lp->loop_condition, "loopCondition", false, refused);
    return *refused ? NULL : pl;
  }
  /* multi-instance, one instance after another */
  const char *coll = lp->collection ? lp->collection : lp->data_input_ref;
  if (coll && *coll) {
    pl->mode = LOOP_ITER;
    pl->coll = var_name(mp, coll);
    if (!pl->coll) {
      bpmn_error(mp->m, line, "%s: the collection `%.60s` is not a variable name", eid(e), coll);
      *refused = true;
      return NULL;
    }
    /* a user task's collection says who does each instance; an action's or
     * a sub-process's is a list the host passes (its items are not used) */
    pl->coll_type = is_human(e->kind) ? &type_users : &type_list_string;
    if (!bpmn_var_use(mp, vs, pl->coll, pl->coll_type, eid(e), line)) *refused = true;
  } else if (lp->cardinality && *lp->cardinality) {
    pl->mode = LOOP_COUNT;
    if (!literal_count(lp->cardinality, &pl->card)) {
      pl->card_var = var_name(mp, lp->cardinality);
      if (!pl->card_var) {
        bpmn_error(mp->m, line, "%s: the loopCardinality `%.60s` is not supported (a whole number up to 10000 or `${name}`)",
                   eid(e), lp->cardinality);
        *refused = true;
        return NULL;
      }
      if (!bpmn_var_use(mp, vs, pl->card_var, &type_decimal, eid(e), line)) *refused = true;
    }
  } else { /* how many instances is not said: the host says it when it starts the process */
    pl->mode = LOOP_COUNT;
    pl->unsaid = bpmn_unsaid(mp, e, "count", &type_int,
                             "multi-instance without loopCardinality or collection: the number of instances");
  }
  if (lp->completion && *lp->completion)
    pl->cond = condition(mp, vs, e, line, lp->completion, "completion condition", true, refused);
  return *refused ? NULL : pl;
}

/* ---- building ------------------------------------------------------------------ */

static void set_slots(BpmnCond *n, uint16_t slot_n, uint16_t slot_done, int depth) {
  if (!n || depth > 200) return;
  if (n->kind == BPMN_C_SLOT) n->num = n->num == SPECIAL_N ? slot_n : slot_done;
  set_slots(n->a, slot_n, slot_done, depth + 1);
  set_slots(n->b, slot_n, slot_done, depth + 1);
}

static IrNode *assign(BpmnMap *mp, IrProc *p, const char *id, uint32_t line, uint16_t slot, IrExpr *value) {
  IrNode *a = ir_node(mp->ir, p, IR_ASSIGN, id, line, 0);
  a->u.assign.to_slot = true;
  a->u.assign.index = slot;
  a->u.assign.type = ir_slot_at(p, slot)->type;
  a->u.assign.value = value;
  return a;
}

static const char *hid(BpmnMap *mp, const BpmnElement *e, const char *suffix) {
  return arena_printf(&mp->ir->arena, "%s__%s", eid(e), suffix);
}

void bpmn_loop_wrap(BpmnMap *mp, IrProc *p, const BpmnVars *vs, BpmnLoopPlan *pl, IrNode *entry, IrNode *exit,
                    IrNode *step) {
  IrProgram *ir = mp->ir;
  const BpmnElement *e = pl->e;
  uint32_t line = e->line;
  /* the flows into the activity now enter the loop; those out of it leave the loop */
  IrNode *first = NULL, *done = ir_node(ir, p, IR_MERGE, hid(mp, e, "loop_done"), line, 0);
  done->title = "";
  uint32_t nedges = p->edges.n;
  IrNode *head;
  uint16_t s_n = ir_slot(ir, p, hid(mp, e, "nrOfInstances"), &type_decimal, IR_SLOT_HIDDEN);
  uint16_t s_done = ir_slot(ir, p, hid(mp, e, "nrOfCompletedInstances"), &type_decimal, IR_SLOT_HIDDEN);
  IrNode *init = assign(mp, p, hid(mp, e, "loop"), line, s_done, ir_expr_decimal(ir, 0, 0));
  init->title = ir_str(ir, pl->mode == LOOP_STANDARD ? "loop" : "for each instance");
  first = init;
  IrNode *last = init;
  IrExpr *more = NULL; /* COUNT / STANDARD: the test before a turn */
  if (pl->mode == LOOP_ITER) {
    int32_t cslot = -1;
    for (uint32_t i = 0; i < vs->n; i++)
      if (strcmp(vs->v[i].name, pl->coll) == 0) cslot = vs->v[i].slot;
    IrExpr **args = ir_exprs(ir, 1);
    args[0] = ir_expr_slot(ir, p, (uint16_t)cslot);
    IrNode *count = assign(mp, p, hid(mp, e, "loop_n"), line, s_n, ir_expr_call(ir, &type_int, "len", args, 1));
    count->title = ir_str(ir, arena_printf(&ir->arena, "nrOfInstances = len(%s)", pl->coll));
    ir_edge(ir, p, last, count, IR_E_FLOW, NULL);
    uint16_t hidden = ir_slot(ir, p, hid(mp, e, "loop_list"), pl->coll_type, IR_SLOT_HIDDEN);
    ir_slot(ir, p, hid(mp, e, "loop_at"), &type_int, IR_SLOT_HIDDEN);
    uint16_t var = ir_slot(ir, p, hid(mp, e, "loop_item"), pl->coll_type->elem, IR_SLOT_LOOPVAR);
    IrNode *is = ir_node(ir, p, IR_ITER_START, hid(mp, e, "loop_start"), line, 0);
    is->u.iter_start.slot = hidden;
    is->u.iter_start.list = ir_expr_slot(ir, p, (uint16_t)cslot);
    is->title = ir_str(ir, arena_printf(&ir->arena, "for each of %s", pl->coll));
    ir_edge(ir, p, count, is, IR_E_FLOW, NULL);
    head = ir_node(ir, p, IR_ITER_NEXT, hid(mp, e, "loop_next"), line, 0);
    head->u.iter_next.slot = hidden;
    head->u.iter_next.var = var;
    ir_edge(ir, p, is, head, IR_E_FLOW, NULL);
    ir_edge(ir, p, head, done, IR_E_ELSE, "done");
    last = head;
    if (step && pl->coll_type == &type_users) { /* each instance to one user of the collection */
      IrExpr *who = ir_expr_slot(ir, p, var);
      step->u.human->who = ir_who(ir, 1, &who);
    }
  } else {
    IrExpr *n = pl->mode == LOOP_STANDARD ? ir_expr_decimal(ir, pl->maximum < 0 ? 0 : pl->maximum, 0)
                : pl->card_var ? NULL : ir_expr_decimal(ir, pl->card, 0);
    if (pl->unsaid) pl->card_var = pl->unsaid->name; /* an int parameter: counted as a decimal */
    if (pl->card_var)
      for (uint32_t i = 0; i < vs->n; i++)
        if (strcmp(vs->v[i].name, pl->card_var) == 0) n = ir_expr_slot(ir, p, (uint16_t)vs->v[i].slot);
    if (pl->unsaid) n = ir_expr_as(ir, &type_decimal, n);
    IrNode *count = assign(mp, p, hid(mp, e, "loop_n"), line, s_n, n);
    count->title = pl->mode == LOOP_STANDARD ? (pl->unsaid ? ir_str(ir, arena_printf(&ir->arena, "loopMaximum = %s", pl->card_var))
                                                          : "loopMaximum")
                   : pl->card_var ? ir_str(ir, arena_printf(&ir->arena, "nrOfInstances = %s", pl->card_var))
                                  : ir_str(ir, arena_printf(&ir->arena, "nrOfInstances = %lld", (long long)pl->card));
    ir_edge(ir, p, last, count, IR_E_FLOW, NULL);
    head = ir_node(ir, p, IR_MERGE, hid(mp, e, "loop_next"), line, 0);
    head->title = "";
    ir_edge(ir, p, count, head, IR_E_FLOW, NULL);
    last = head;
    if (pl->mode == LOOP_COUNT || pl->maximum >= 0 || pl->unsaid)
      more = ir_expr_binary(ir, &type_bool, IR_OP_LT, ir_expr_slot(ir, p, s_done), ir_expr_slot(ir, p, s_n));
  }
  IrExpr *cond = NULL;
  uint32_t cond_line = 0; /* a COND edge that tests cond as it is records this line */
  if (pl->cond) {
    set_slots(pl->cond, s_n, s_done, 0);
    cond = bpmn_cond_build(mp, p, vs, pl->cond);
    cond_line = e->loop.line ? e->loop.line : line;
  }
  /* STANDARD: loop while the condition holds (and below the maximum) */
  IrExpr *go_on = NULL;
  if (pl->mode == LOOP_STANDARD)
    go_on = cond && more ? ir_expr_binary(ir, &type_bool, IR_OP_AND, more, cond) : cond ? cond : more;
  else if (pl->mode == LOOP_COUNT)
    go_on = more;
  if (go_on && (pl->mode != LOOP_STANDARD || pl->test_before)) {
    IrNode *test = ir_node(ir, p, IR_CHOICE, hid(mp, e, "loop_test"), line, 0);
    test->title = "";
    ir_edge(ir, p, last, test, IR_E_FLOW, NULL);
    IrEdge *t = ir_edge_cond(ir, p, test, entry, 0, go_on, pl->mode == LOOP_STANDARD ? "loop" : "more");
    if (go_on == cond) t->line = cond_line;
    ir_edge(ir, p, test, done, IR_E_ELSE, "done");
  } else {
    ir_edge(ir, p, last, entry, IR_E_FLOW, NULL);
  }
  /* after each turn: count it, then the completion condition (MI) or the
   * loop condition (a standard loop testing after) */
  IrNode *tick = assign(mp, p, hid(mp, e, "loop_count"), line, s_done,
                        ir_expr_binary(ir, &type_decimal, IR_OP_ADD, ir_expr_slot(ir, p, s_done),
                                       ir_expr_decimal(ir, 1, 0)));
  tick->title = pl->mode == LOOP_STANDARD ? "loopCounter + 1" : "nrOfCompletedInstances + 1";
  ir_edge(ir, p, exit, tick, IR_E_FLOW, NULL);
  IrExpr *stop_or_go = pl->mode == LOOP_STANDARD ? (pl->test_before ? NULL : go_on) : cond;
  if (stop_or_go) {
    IrNode *check = ir_node(ir, p, IR_CHOICE, hid(mp, e, "loop_check"), line, 0);
    check->title = "";
    ir_edge(ir, p, tick, check, IR_E_FLOW, NULL);
    if (pl->mode == LOOP_STANDARD) { /* go on while it holds */
      IrEdge *t = ir_edge_cond(ir, p, check, head, 0, stop_or_go, "loop");
      if (stop_or_go == cond) t->line = cond_line;
      ir_edge(ir, p, check, done, IR_E_ELSE, "done");
    } else { /* the completion condition ends the loop early */
      IrEdge *t = ir_edge_cond(ir, p, check, done, 0, stop_or_go, "complete");
      if (stop_or_go == cond) t->line = cond_line;
      ir_edge(ir, p, check, head, IR_E_ELSE, "next");
    }
  } else {
    ir_edge(ir, p, tick, head, IR_E_FLOW, NULL);
  }
  /* the activity's own flows, made before the loop, go round it */
  for (uint32_t i = 0; i < nedges; i++) {
    IrEdge *ed = p->edges.items[i];
    if (ed->to == entry) ed->to = first;
    if (ed->from == exit) ed->from = done;
  }
}
