/* bpmn_lint.c — modelling warnings a BPMN user expects from a modeler's linter
 * (bpmnlint's recommended rules, docs/bpmn.md "Modelling warnings"): things that
 * are valid BPMN and run, but often are not what the modeller meant. Each is
 * `file:line: warning: ID: what (rule)` at the element's line; none stops a
 * compile. The graph's real problems (unreachable elements, deadlocks) are the
 * IR checker's errors, not these.
 *
 * Run on a process as read, before call activities are expanded (a copy would
 * repeat its process's warnings), per level: the process, then each
 * sub-process with its own elements and flows. Linear in the model: elements
 * are indexed through a pointer hash, duplicate flows found by sorting. */
#include <stdlib.h>
#include <string.h>

#include "bpmn_int.h"

typedef struct Node {
  BpmnElement *e;
  uint32_t nin, nout;
  uint32_t nout_plain; /* outgoing flows with no condition that are not the default */
  uint32_t nout_cond;  /* outgoing flows with a condition */
} Node;

typedef struct Level {
  BpmnModel *m;
  Node *nodes;
  uint32_t n;
  const BpmnElement **keys; /* open addressing: element -> index + 1 */
  uint32_t *vals, cap;
} Level;

static Node *node_of(Level *L, const BpmnElement *e) {
  if (!e) return NULL;
  for (uint32_t i = bpmn_hash_ptr(e) & (L->cap - 1); L->keys[i]; i = (i + 1) & (L->cap - 1))
    if (L->keys[i] == e) return &L->nodes[L->vals[i]];
  return NULL;
}

static bool is_flow_node(const BpmnElement *e) {
  BpmnFamily f = bpmn_kind_family(e->kind);
  return f == BPMN_FAM_EVENT || f == BPMN_FAM_ACTIVITY || f == BPMN_FAM_CONTAINER || f == BPMN_FAM_GATEWAY;
}

static const char *id_of(const BpmnElement *e) { return e->id ? e->id : bpmn_kind_name(e->kind); }

static bool is_default(const BpmnElement *e, const BpmnFlow *f) {
  return e->default_flow && f->id && strcmp(e->default_flow, f->id) == 0;
}

static bool has_condition(const BpmnFlow *f) {
  if (!f->condition) return false;
  for (const char *c = f->condition; *c; c++)
    if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r') return true;
  return false; /* an empty conditionExpression is read as none */
}

/* A condition written as plainly true (`${true}`, `=true`, `true`). */
static bool always_true(const char *c) {
  char buf[16];
  size_t k = 0;
  for (; *c && k + 1 < sizeof buf; c++)
    if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r') buf[k++] = *c;
  buf[k] = '\0';
  return !*c && (strcmp(buf, "${true}") == 0 || strcmp(buf, "#{true}") == 0 || strcmp(buf, "=true") == 0 ||
                 strcmp(buf, "true") == 0 || strcmp(buf, "true()") == 0);
}

static bool is_start(const BpmnElement *e) { return e->kind == BPMN_START_EVENT; }
static bool is_none_start(const BpmnElement *e) { return is_start(e) && e->event_defs.n == 0; }

/* Compensation handlers and event sub-processes are entered by no sequence flow. */
static bool stands_alone(const BpmnElement *e) {
  return e->kind == BPMN_BOUNDARY_EVENT || e->for_compensation ||
         (e->kind == BPMN_SUB_PROCESS && e->triggered_by_event);
}

static int cmp_flows(const void *a, const void *b) {
  const BpmnFlow *x = *(const BpmnFlow *const *)a, *y = *(const BpmnFlow *const *)b;
  int c = strcmp(x->source ? x->source : "", y->source ? y->source : "");
  if (!c) c = strcmp(x->target ? x->target : "", y->target ? y->target : "");
  if (!c) c = strcmp(x->condition ? x->condition : "", y->condition ? y->condition : "");
  if (!c) c = x->line < y->line ? -1 : x->line > y->line;
  return c;
}

/* no-duplicate-sequence-flows: two flows with the same ends and condition. */
static void duplicate_flows(Level *L, const PtrVec *flows) {
  if (flows->n < 2) return;
  const BpmnFlow **v = xmalloc(flows->n * sizeof *v);
  memcpy(v, flows->items, flows->n * sizeof *v);
  qsort(v, flows->n, sizeof *v, cmp_flows);
  for (uint32_t i = 1; i < flows->n; i++) {
    const BpmnFlow *a = v[i - 1], *b = v[i];
    if (a->source && b->source && a->target && b->target && strcmp(a->source, b->source) == 0 &&
        strcmp(a->target, b->target) == 0 && strcmp(a->condition ? a->condition : "", b->condition ? b->condition : "") == 0)
      bpmn_warning(L->m, b->line, "%s: the same flow as %s (line %u), from `%s` to `%s` (no-duplicate-sequence-flows)",
                   b->id ? b->id : "sequenceFlow", a->id ? a->id : "sequenceFlow", (unsigned)a->line, b->source, b->target);
  }
  free(v);
}

static void node_rules(Level *L, const Node *n) {
  BpmnElement *e = n->e;
  const char *id = id_of(e);
  BpmnFamily fam = bpmn_kind_family(e->kind);
  bool gateway = fam == BPMN_FAM_GATEWAY;
  if (!n->nin && !n->nout && !stands_alone(e))
    bpmn_warning(L->m, e->line, "%s: no sequence flow enters or leaves it (no-disconnected)", id);
  if (!gateway && n->nout_plain > 1)
    bpmn_warning(L->m, e->line, "%s: %u flows without conditions leave it: an implicit parallel split; "
                 "a parallel gateway says so (no-implicit-split)", id, (unsigned)n->nout_plain);
  if ((fam == BPMN_FAM_ACTIVITY || fam == BPMN_FAM_CONTAINER) && n->nin > 1)
    bpmn_warning(L->m, e->line, "%s: %u flows enter it: each token runs it again, nothing waits for the "
                 "others; a gateway says which join is meant (fake-join)", id, (unsigned)n->nin);
  if (gateway && n->nin == 1 && n->nout == 1)
    bpmn_warning(L->m, e->line, "%s: one flow in and one out: the gateway does nothing (superfluous-gateway)", id);
  if (gateway && n->nin > 1 && n->nout > 1)
    bpmn_warning(L->m, e->line, "%s: joins %u flows and splits into %u at once; two gateways say which happens "
                 "first (no-gateway-join-fork)", id, (unsigned)n->nin, (unsigned)n->nout);
  bool choice = e->kind == BPMN_EXCLUSIVE_GATEWAY || e->kind == BPMN_INCLUSIVE_GATEWAY;
  if (choice && n->nout > 1 && n->nout_plain)
    bpmn_warning(L->m, e->line, "%s: %u of its outgoing flows have no condition and are not its default "
                 "(conditional-flows)", id, (unsigned)n->nout_plain);
}

/* An exclusive (or inclusive) gateway that splits on conditions only, with no
 * default: when none holds the instance fails (docs/bpmn.md). */
static void no_default(Level *L, const Node *n, const PtrVec *flows) {
  BpmnElement *e = n->e;
  bool choice = e->kind == BPMN_EXCLUSIVE_GATEWAY || e->kind == BPMN_INCLUSIVE_GATEWAY;
  if (!choice || !n->nout_cond || n->nout_plain || e->default_flow) return;
  for (uint32_t i = 0; i < flows->n; i++) {
    const BpmnFlow *f = flows->items[i];
    if (f->source && e->id && strcmp(f->source, e->id) == 0 && has_condition(f) && always_true(f->condition)) return;
  }
  bpmn_warning(L->m, e->line, "%s: its conditions may all be false and it has no default flow: the instance "
               "then fails (no condition of gateway %s holds) (conditional-flows)", id_of(e), id_of(e));
}

static void lint_level(BpmnModel *m, const char *owner, uint32_t line, const PtrVec *elements, const PtrVec *flows,
                       uint32_t depth) {
  Level L = {m, NULL, 0, NULL, NULL, 16};
  while (L.cap < 2 * elements->n + 2) L.cap *= 2;
  L.nodes = xcalloc(elements->n + 1, sizeof *L.nodes);
  L.keys = xcalloc(L.cap, sizeof *L.keys);
  L.vals = xcalloc(L.cap, sizeof *L.vals);
  uint32_t starts = 0, none_starts = 0, ends = 0;
  for (uint32_t i = 0; i < elements->n; i++) {
    BpmnElement *e = elements->items[i];
    if (!is_flow_node(e)) continue;
    uint32_t k = bpmn_hash_ptr(e) & (L.cap - 1);
    while (L.keys[k]) k = (k + 1) & (L.cap - 1);
    L.keys[k] = e, L.vals[k] = L.n;
    L.nodes[L.n++].e = e;
    starts += is_start(e), none_starts += is_none_start(e), ends += e->kind == BPMN_END_EVENT;
  }
  for (uint32_t i = 0; i < flows->n; i++) {
    const BpmnFlow *f = flows->items[i];
    Node *s = node_of(&L, f->source ? bpmn_find_element(m, f->source) : NULL);
    Node *t = node_of(&L, f->target ? bpmn_find_element(m, f->target) : NULL);
    if (t) t->nin++;
    if (!s) continue;
    s->nout++;
    if (has_condition(f)) s->nout_cond++;
    else if (!is_default(s->e, f)) s->nout_plain++;
  }
  if (L.n && !starts)
    bpmn_warning(m, line, "%s: no start event: every element no flow enters starts it (start-event-required)", owner);
  if (L.n && !ends)
    bpmn_warning(m, line, "%s: no end event: its paths end where their last element has no outgoing flow "
                 "(end-event-required)", owner);
  if (none_starts > 1)
    bpmn_warning(m, line, "%s: %u blank start events: which one a start takes is not said "
                 "(single-blank-start-event)", owner, (unsigned)none_starts);
  for (uint32_t i = 0; i < L.n; i++) {
    node_rules(&L, &L.nodes[i]);
    no_default(&L, &L.nodes[i], flows);
  }
  duplicate_flows(&L, flows);
  free(L.nodes);
  free(L.keys);
  free(L.vals);
  for (uint32_t i = 0; i < elements->n && depth < 64; i++) {
    BpmnElement *e = elements->items[i];
    if (bpmn_kind_family(e->kind) == BPMN_FAM_CONTAINER && e->kind != BPMN_AD_HOC_SUB_PROCESS)
      lint_level(m, id_of(e), e->line, &e->children, &e->flows, depth + 1);
  }
}

void bpmn_lint(BpmnModel *m, const BpmnProcess *bp) {
  lint_level(m, bp->id ? bp->id : "process", bp->line, &bp->elements, &bp->flows, 0);
}
