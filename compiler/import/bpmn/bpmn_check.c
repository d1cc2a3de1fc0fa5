/* bpmn_check.c — structural checks of a model just read: every reference
 * names an element of the right sort. Duplicate ids are found while reading
 * (bpmn_read.c). What the graph means (reachability, deadlocks) is the IR's
 * business, not this file's.
 *
 * Messages: `file:line: error: ID: reason`, the line of the element that holds
 * the reference. References are ids; a QName form (`prefix:Id`, which some
 * tools write) is accepted when the part after the colon is an id. */
#include "bpmn_int.h"

static BpmnId *resolve(const BpmnModel *m, const char *ref) {
  BpmnId *e = bpmn_id_find(m, ref);
  if (!e && ref) {
    const char *colon = strrchr(ref, ':');
    if (colon && colon[1]) e = bpmn_id_find(m, colon + 1);
  }
  return e;
}

/* The name an element goes by in a message: its id, else <kind>. */
static const char *who(const char *id, const char *tag) { return id ? id : tag; }

/* ref must name something with an id; returns it (NULL after an error). */
static BpmnId *need(BpmnModel *m, uint32_t line, const char *owner, const char *attr,
                    const char *ref) {
  if (!ref || !*ref) {
    bpmn_error(m, line, "%s: no %s", owner, attr);
    return NULL;
  }
  BpmnId *e = resolve(m, ref);
  if (!e) bpmn_error(m, line, "%s: %s \"%s\" names no element of this file", owner, attr, ref);
  return e;
}

/* Like need, for a reference that may be absent. */
static BpmnId *may(BpmnModel *m, uint32_t line, const char *owner, const char *attr,
                   const char *ref) {
  return ref ? need(m, line, owner, attr, ref) : NULL;
}

static void check_flow_end(BpmnModel *m, const BpmnFlow *f, const char *attr, const char *ref) {
  const char *owner = who(f->id, "sequenceFlow");
  BpmnId *e = need(m, f->line, owner, attr, ref);
  if (e && e->kind != BPMN_ID_ELEMENT)
    bpmn_error(m, f->line, "%s: %s \"%s\" names a %s, not a flow node", owner, attr, ref, e->tag);
}

static void check_flows(BpmnModel *m, const PtrVec *flows) {
  for (uint32_t i = 0; i < flows->n; i++) {
    const BpmnFlow *f = flows->items[i];
    if (!f->id) bpmn_error(m, f->line, "sequenceFlow: no id");
    check_flow_end(m, f, "sourceRef", f->source);
    check_flow_end(m, f, "targetRef", f->target);
  }
}

static void check_event_defs(BpmnModel *m, const BpmnElement *e) {
  static const char *const ref_attr[BPMN_DEF_COUNT] = {
      [BPMN_DEF_MESSAGE] = "messageRef",  [BPMN_DEF_ERROR] = "errorRef",
      [BPMN_DEF_SIGNAL] = "signalRef",    [BPMN_DEF_ESCALATION] = "escalationRef",
      [BPMN_DEF_COMPENSATE] = "activityRef",
  };
  for (uint32_t i = 0; i < e->event_defs.n; i++) {
    const BpmnEventDef *d = e->event_defs.items[i];
    if (ref_attr[d->kind]) may(m, d->line, who(e->id, bpmn_kind_name(e->kind)), ref_attr[d->kind], d->ref);
  }
}

static void check_elements(BpmnModel *m, const PtrVec *elements) {
  for (uint32_t i = 0; i < elements->n; i++) {
    const BpmnElement *e = elements->items[i];
    const char *owner = who(e->id, bpmn_kind_name(e->kind));
    if (!e->id) bpmn_error(m, e->line, "%s: no id", owner);
    if (e->kind == BPMN_BOUNDARY_EVENT) {
      BpmnId *a = need(m, e->line, owner, "attachedToRef", e->attached_to);
      if (a) {
        const BpmnElement *act = a->kind == BPMN_ID_ELEMENT ? a->obj : NULL;
        BpmnFamily fam = act ? bpmn_kind_family(act->kind) : BPMN_FAM_DATA;
        if (fam != BPMN_FAM_ACTIVITY && fam != BPMN_FAM_CONTAINER)
          bpmn_error(m, e->line, "%s: attachedToRef \"%s\" names a %s, not an activity", owner,
                     e->attached_to, a->tag);
      }
    }
    if (e->default_flow) {
      BpmnId *d = need(m, e->line, owner, "default", e->default_flow);
      if (d && d->kind != BPMN_ID_FLOW) {
        bpmn_error(m, e->line, "%s: default \"%s\" names a %s, not a sequence flow", owner,
                   e->default_flow, d->tag);
      } else if (d) {
        const BpmnFlow *f = d->obj;
        BpmnId *src = resolve(m, f->source);
        if (src && src->obj != e)
          bpmn_error(m, e->line, "%s: the default flow \"%s\" does not leave this element", owner,
                     e->default_flow);
      }
    }
    if (e->kind == BPMN_ASSOCIATION) {
      may(m, e->line, owner, "sourceRef", e->source_ref);
      may(m, e->line, owner, "targetRef", e->target_ref);
    }
    if (e->kind == BPMN_RECEIVE_TASK || e->kind == BPMN_SEND_TASK)
      may(m, e->line, owner, "messageRef", e->message_ref);
    check_event_defs(m, e);
    if (bpmn_kind_family(e->kind) == BPMN_FAM_CONTAINER) {
      check_elements(m, &e->children);
      check_flows(m, &e->flows);
    }
  }
}

static void check_process(BpmnModel *m, const BpmnProcess *p) {
  if (!p->id) bpmn_error(m, p->line, "process: no id");
  check_elements(m, &p->elements);
  check_flows(m, &p->flows);
  for (uint32_t i = 0; i < p->lanes.n; i++) {
    const BpmnLane *l = p->lanes.items[i];
    for (uint32_t k = 0; k < l->node_refs.n; k++) {
      const char *ref = l->node_refs.items[k];
      BpmnId *e = need(m, l->line, who(l->id, "lane"), "flowNodeRef", ref);
      if (e && e->kind != BPMN_ID_ELEMENT)
        bpmn_error(m, l->line, "%s: flowNodeRef \"%s\" names a %s, not a flow node",
                   who(l->id, "lane"), ref, e->tag);
    }
  }
}

static void check_collaboration(BpmnModel *m, const BpmnCollaboration *c) {
  for (uint32_t i = 0; i < c->participants.n; i++) {
    const BpmnParticipant *p = c->participants.items[i];
    BpmnId *e = may(m, p->line, who(p->id, "participant"), "processRef", p->process_ref);
    if (e && !str_eq(e->tag, "process"))
      bpmn_error(m, p->line, "%s: processRef \"%s\" names a %s, not a process",
                 who(p->id, "participant"), p->process_ref, e->tag);
  }
  for (uint32_t i = 0; i < c->message_flows.n; i++) {
    const BpmnMessageFlow *f = c->message_flows.items[i];
    const char *owner = who(f->id, "messageFlow");
    need(m, f->line, owner, "sourceRef", f->source);
    need(m, f->line, owner, "targetRef", f->target);
    may(m, f->line, owner, "messageRef", f->message_ref);
  }
}

/* The drawing. BPMN 2.0.2 12.2.1: "BPMNPlane, BPMNShape, and BPMNEdge MUST
 * reference exactly one abstract syntax BPMN element ... using the bpmnElement
 * attribute", the one exception an edge drawing a data association on a
 * sequence flow, which names its ends by sourceElement and targetElement
 * instead (table 12.35). A shape or edge without bpmnElement is so an error;
 * the exception's edge is drawn by nobody here (a warning). A bpmnElement
 * naming no element of the file is only a warning: it changes no behaviour, and
 * a file may draw what another file defines (bpmn-moddle reads such a drawing
 * with an unresolved reference). */
static void check_drawn(BpmnModel *m, uint32_t line, const char *owner, const char *kind,
                        const char *ref, bool exception) {
  if ((!ref || !*ref) && exception)
    bpmn_warning(m, line, "%s: no bpmnElement; this part of the drawing is ignored", owner);
  else if (!ref || !*ref)
    bpmn_error(m, line, "%s: a %s without bpmnElement (BPMN DI: every shape and edge "
               "depicts one element of the model)", owner, kind);
  else if (!resolve(m, ref))
    bpmn_warning(m, line, "%s: bpmnElement \"%s\" names no element; this part of the drawing is ignored",
                 owner, ref);
}

static void check_diagram(BpmnModel *m) {
  for (uint32_t i = 0; i < m->shapes.n; i++) {
    const BpmnShape *s = m->shapes.items[i];
    check_drawn(m, s->line, who(s->id, "BPMNShape"), "BPMNShape", s->element, false);
  }
  for (uint32_t i = 0; i < m->edges.n; i++) {
    const BpmnEdge *e = m->edges.items[i];
    check_drawn(m, e->line, who(e->id, "BPMNEdge"), "BPMNEdge", e->element, e->has_ends);
  }
}

void bpmn_check(BpmnModel *m) {
  for (uint32_t i = 0; i < m->processes.n; i++) check_process(m, m->processes.items[i]);
  for (uint32_t i = 0; i < m->collaborations.n; i++)
    check_collaboration(m, m->collaborations.items[i]);
  check_diagram(m);
}
