/* bpmn_call.c — call activities (docs/bpmn.md "Call activities"): a
 * callActivity whose calledElement names another process of the same file
 * runs that process's flow in place. Before the mapping, the call activity
 * becomes an embedded sub-process holding a copy of the called process's
 * elements and flows, each id prefixed by the call activity's id and `/`
 * (`call/Task_1`: the instance's journal names every copy apart). A copied
 * host action keeps its original id as the action's name: the host runs the
 * same action wherever the process is called from. Calls inside the copy are
 * expanded the same way; a process that calls itself, directly or through
 * others, is refused naming the call activity and the chain. */
#include "bpmn_map.h"

#include <string.h>

enum { MAX_CALL_DEPTH = 32 };

typedef struct Expand {
  BpmnMap *mp;
  BpmnProcess *top; /* the process being mapped: its element count grows */
  const BpmnProcess *stack[MAX_CALL_DEPTH];
  uint32_t depth;
  bool full; /* the object limit was reached (reported once) */
} Expand;

static const char *eid(const BpmnElement *e) { return e->id ? e->id : bpmn_kind_name(e->kind); }

static const char *prefixed(Expand *X, const char *prefix, const char *id) {
  return id ? arena_printf(&X->mp->m->arena, "%s/%s", prefix, id) : NULL;
}

static bool count_object(Expand *X, uint32_t line) {
  BpmnModel *m = X->mp->m;
  if (++m->n_objects <= BPMN_MAX_OBJECTS) return true;
  if (!X->full)
    bpmn_error(m, line, "the call activities of this file expand to more than %u elements (the importer's limit)",
               (unsigned)BPMN_MAX_OBJECTS);
  X->full = true;
  return false;
}

static void clone_flows(Expand *X, const PtrVec *from, PtrVec *to, const char *prefix, BpmnElement *parent) {
  BpmnModel *m = X->mp->m;
  memset(to, 0, sizeof *to);
  for (uint32_t i = 0; i < from->n && !X->full; i++) {
    const BpmnFlow *f = from->items[i];
    if (!count_object(X, f->line)) return;
    BpmnFlow *c = arena_alloc(&m->arena, sizeof *c);
    *c = *f;
    c->id = prefixed(X, prefix, f->id);
    c->source = prefixed(X, prefix, f->source);
    c->target = prefixed(X, prefix, f->target);
    c->parent = parent;
    if (c->id) {
      BpmnId *had = bpmn_id_add(m, c->id, "sequenceFlow", c->line, BPMN_ID_FLOW, c);
      if (had) {
        bpmn_error(m, c->line, "%s: the copy of this flow for a call activity has the id of the %s at line %u", c->id,
                   had->tag, had->line);
        continue;
      }
    }
    ptrvec_push(&m->arena, to, c);
  }
}

static void clone_elements(Expand *X, const PtrVec *from, PtrVec *to, const char *prefix, BpmnElement *parent) {
  BpmnModel *m = X->mp->m;
  memset(to, 0, sizeof *to);
  for (uint32_t i = 0; i < from->n && !X->full; i++) {
    const BpmnElement *e = from->items[i];
    if (!count_object(X, e->line)) return;
    BpmnElement *c = arena_alloc(&m->arena, sizeof *c);
    *c = *e;
    c->id = prefixed(X, prefix, e->id);
    c->origin = e->origin ? e->origin : e->id;
    c->parent = parent;
    c->attached_to = prefixed(X, prefix, e->attached_to);
    c->default_flow = prefixed(X, prefix, e->default_flow);
    c->source_ref = prefixed(X, prefix, e->source_ref);
    c->target_ref = prefixed(X, prefix, e->target_ref);
    clone_elements(X, &e->children, &c->children, prefix, c);
    clone_flows(X, &e->flows, &c->flows, prefix, c);
    if (c->id) {
      BpmnId *had = bpmn_id_add(m, c->id, bpmn_kind_name(c->kind), c->line, BPMN_ID_ELEMENT, c);
      if (had) {
        bpmn_error(m, c->line, "%s: the copy of this element for a call activity has the id of the %s at line %u",
                   c->id, had->tag, had->line);
        continue;
      }
    }
    X->top->n_elements++;
    ptrvec_push(&m->arena, to, c);
  }
}

static BpmnProcess *find_process(BpmnModel *m, const char *id) {
  for (uint32_t i = 0; i < m->processes.n; i++) {
    BpmnProcess *bp = m->processes.items[i];
    if (bp->id && strcmp(bp->id, id) == 0) return bp;
  }
  return NULL;
}

static void expand_list(Expand *X, PtrVec *elements);

static BpmnElement *find_global_task(BpmnModel *m, const char *id) {
  for (uint32_t i = 0; i < m->global_tasks.n; i++) {
    BpmnElement *g = m->global_tasks.items[i];
    if (g->id && strcmp(g->id, id) == 0) return g;
  }
  return NULL;
}

/* A call of a global task (BPMN 2.0 10.3.3) is that task, in the call
 * activity's place and under its id and name: a user, manual or plain task a
 * human step with the global task's performers and assignees (the call
 * activity's own, or its lane, when the global task names none), a script or
 * business rule task a host action named by the call activity's id. */
static void call_global_task(BpmnElement *e, const BpmnElement *g) {
  e->kind = g->kind;
  e->called_process = g->id;
  if (!e->performers.n) e->performers = g->performers;
  if (!e->assignee) e->assignee = g->assignee;
  if (!e->candidate_users) e->candidate_users = g->candidate_users;
  if (!e->candidate_groups) e->candidate_groups = g->candidate_groups;
  if (!e->script_format) e->script_format = g->script_format;
  if (!e->implementation) e->implementation = g->implementation;
  e->has_script = g->has_script;
  if (!e->name || !*e->name) e->name = g->name;
}

/* The id of a process that is not in the file, as a host action's name: an
 * identifier, every character other than an ASCII letter, digit or `_` made
 * `_`, and `_` before a leading digit (`payment-process` → `payment_process`). */
static const char *action_of_process(BpmnModel *m, const char *id) {
  bool digit = id[0] >= '0' && id[0] <= '9';
  char *s = arena_printf(&m->arena, "%s%s", digit ? "_" : "", id);
  for (char *c = s; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_')) *c = '_';
  return s;
}

static void expand_one(Expand *X, BpmnElement *e) {
  BpmnModel *m = X->mp->m;
  const char *target = e->called_element;
  if (!target || !*target) {
    bpmn_error(m, e->line, "%s: a call activity without a calledElement is not supported (which process it runs is not said)",
               eid(e));
    return;
  }
  BpmnProcess *callee = find_process(m, target);
  if (!callee) {
    const BpmnElement *g = find_global_task(m, target);
    if (g) {
      call_global_task(e, g);
      return;
    }
    /* a process of another file (or deployment): the host runs it, as a host action
     * named by the process's id; the host reports its errors (bp_fail_error), which
     * the call activity's error boundaries catch */
    if (strchr(target, '$') || strchr(target, '{') || target[0] == '=') {
      bpmn_error(m, e->line,
                 "%s: a call activity of `%.80s` is not supported (the called process is computed by an "
                 "expression: the host action it would be must have a name)",
                 eid(e), target);
      return;
    }
    e->kind = BPMN_SERVICE_TASK;
    e->called_process = target;
    e->action_name = action_of_process(m, target);
    bpmn_warning(m, e->line, "%s: calls `%.80s`, which is no process of this file: the host runs process %s",
                 eid(e), target, e->action_name);
    return;
  }
  for (uint32_t i = 0; i < X->depth; i++)
    if (X->stack[i] == callee) {
      char chain[512];
      size_t k = 0;
      chain[0] = 0;
      for (uint32_t j = i; j < X->depth && k < sizeof chain - 1; j++)
        k += (size_t)snprintf(chain + k, sizeof chain - k, "%s → ", X->stack[j]->id ? X->stack[j]->id : "process");
      if (k < sizeof chain - 1) snprintf(chain + k, sizeof chain - k, "%s", target);
      bpmn_error(m, e->line, "%s: a call activity calling `%.80s` recursively is not supported (%s: a process run in place cannot contain itself)",
                 eid(e), target, chain);
      return;
    }
  if (X->depth == MAX_CALL_DEPTH) {
    bpmn_error(m, e->line, "%s: call activities nested more than %d deep are not supported", eid(e), MAX_CALL_DEPTH);
    return;
  }
  if (!e->id) return;
  /* the call activity becomes an embedded sub-process holding the copy */
  clone_elements(X, &callee->elements, &e->children, e->id, e);
  clone_flows(X, &callee->flows, &e->flows, e->id, e);
  e->kind = BPMN_SUB_PROCESS;
  e->triggered_by_event = false;
  e->called_process = callee->id;
  X->stack[X->depth++] = callee;
  expand_list(X, &e->children);
  X->depth--;
}

static void expand_list(Expand *X, PtrVec *elements) {
  for (uint32_t i = 0; i < elements->n && !X->full; i++) {
    BpmnElement *e = elements->items[i];
    if (e->kind == BPMN_AD_HOC_SUB_PROCESS) { /* mapped as a sub-process with its own start and end (bpmn_ir.c) */
      e->kind = BPMN_SUB_PROCESS;
      e->ad_hoc = true;
    }
    if (e->kind == BPMN_CALL_ACTIVITY) expand_one(X, e);
    else if (bpmn_kind_family(e->kind) == BPMN_FAM_CONTAINER) expand_list(X, &e->children);
  }
}

void bpmn_call_expand(BpmnMap *mp, BpmnProcess *bp) {
  Expand X;
  memset(&X, 0, sizeof X);
  X.mp = mp;
  X.top = bp;
  X.stack[X.depth++] = bp;
  expand_list(&X, &bp->elements);
}
