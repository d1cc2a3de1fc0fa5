/* bpmn_ir.c — a BpmnModel mapped onto the graph IR (bpmn_ir.h). Each flow
 * element becomes one IR node (some get a helper node: a FORK after an
 * activity with several outgoing flows, an EVENT_WAIT before a task with
 * interrupting timer boundaries, a TERMINATE after an exclusive gateway
 * without a default); each sequence flow an edge. What the runtime cannot
 * run is refused with the element's id, line and reason, every problem in
 * one pass. docs/bpmn.md lists the mapping element by element. */
#include "bpmn_map.h"
#include "bpmn_bpc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


typedef struct El {
  BpmnElement *e;
  IrNode *node;      /* the element's own node */
  IrNode *entry;     /* where incoming flows go */
  IrNode *exit;      /* where outgoing flows leave */
  PtrVec out, in;    /* BpmnFlow* */
  PtrVec bounds;     /* struct El*: interrupting timer boundary events */
  BpmnCond **conds;  /* per out flow: the parsed condition, or NULL */
  struct El *sub;    /* the embedded sub-process holding it, or NULL */
  struct El *link;   /* a link throw event: the catch event it jumps to */
  IrNode *inner;     /* a sub-process: the node of its start event */
  const char *lane;  /* the innermost lane's name */
  uint32_t lane_depth;
  bool refused;
} El;

/* Open addressing: element pointer -> El. */
typedef struct ElMap {
  El **slots;
  uint32_t cap;
} ElMap;

static uint32_t hash_ptr(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (uint32_t)x;
}

static El *el_find(const ElMap *h, const BpmnElement *e) {
  if (!e) return NULL;
  for (uint32_t i = hash_ptr(e) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
    if (!h->slots[i]) return NULL;
    if (h->slots[i]->e == e) return h->slots[i];
  }
}

static void el_put(ElMap *h, El *el) {
  uint32_t i = hash_ptr(el->e) & (h->cap - 1);
  while (h->slots[i]) i = (i + 1) & (h->cap - 1);
  h->slots[i] = el;
}

/* ---- helpers ------------------------------------------------------------------ */

static const char *eid(const BpmnElement *e) { return e->id ? e->id : bpmn_kind_name(e->kind); }

static void refuse(BpmnMap *mp, El *el, const char *what, const char *why) {
  bpmn_error(mp->m, el->e->line, "%s: %s is not supported (%s)", eid(el->e), what, why);
  el->refused = true;
}

static bool is_human(BpmnKind k) {
  return k == BPMN_TASK || k == BPMN_USER_TASK || k == BPMN_MANUAL_TASK;
}

static bool is_action(BpmnKind k) {
  return k == BPMN_SERVICE_TASK || k == BPMN_SEND_TASK || k == BPMN_BUSINESS_RULE_TASK ||
         k == BPMN_SCRIPT_TASK;
}

static const BpmnEventDef *only_def(const BpmnElement *e) {
  return e->event_defs.n == 1 ? e->event_defs.items[0] : NULL;
}

static BpmnEventDefKind def_kind(const BpmnElement *e) {
  if (e->event_defs.n == 0) return BPMN_DEF_NONE;
  if (e->event_defs.n > 1) return BPMN_DEF_COUNT; /* "multiple" */
  return ((const BpmnEventDef *)e->event_defs.items[0])->kind;
}

static const char *def_word(BpmnEventDefKind k) {
  switch (k) {
  case BPMN_DEF_MESSAGE: return "message";
  case BPMN_DEF_ERROR: return "error";
  case BPMN_DEF_SIGNAL: return "signal";
  case BPMN_DEF_ESCALATION: return "escalation";
  case BPMN_DEF_COMPENSATE: return "compensation";
  case BPMN_DEF_CONDITIONAL: return "conditional";
  case BPMN_DEF_LINK: return "link";
  case BPMN_DEF_CANCEL: return "cancel";
  case BPMN_DEF_TIMER: return "timer";
  case BPMN_DEF_TERMINATE: return "terminate";
  case BPMN_DEF_NONE: return "none";
  default: return "multiple";
  }
}

static const char *article(const char *word) { return strchr("aeiou", word[0]) ? "an" : "a"; }

static const char *def_why(BpmnEventDefKind k) {
  switch (k) {
  case BPMN_DEF_MESSAGE: return "the runtime has no message delivery yet";
  case BPMN_DEF_SIGNAL: return "the runtime has no signals";
  case BPMN_DEF_ESCALATION: return "the runtime has no escalations";
  case BPMN_DEF_COMPENSATE: return "the runtime has no compensation";
  case BPMN_DEF_CONDITIONAL: return "the runtime does not watch conditions";
  case BPMN_DEF_LINK: return "a link goes from a throw event to a catch event";
  case BPMN_DEF_CANCEL: return "the runtime has no transactions";
  case BPMN_DEF_ERROR: return "the runtime has no error catching";
  case BPMN_DEF_COUNT: return "an event with several definitions";
  default: return "the runtime has no such event";
  }
}

/* ISO 8601 duration PnW / PnDTnHnMnS (fractional seconds rounded up). Years
 * and months have no fixed length: refused. Returns false with *why. */
static bool parse_duration(const char *s, int64_t *out, const char **why) {
  while (isspace((unsigned char)*s)) s++;
  if (*s != 'P') return (*why = "not an ISO 8601 duration (PnDTnHnMnS)"), false;
  s++;
  bool time = false, any = false;
  int64_t total = 0;
  while (*s && !isspace((unsigned char)*s)) {
    if (*s == 'T') {
      if (time) return (*why = "two `T`s in the duration"), false;
      time = true;
      s++;
      continue;
    }
    if (!isdigit((unsigned char)*s)) return (*why = "not an ISO 8601 duration (PnDTnHnMnS)"), false;
    int64_t v = 0, frac_num = 0, frac_den = 1;
    int digits = 0;
    while (isdigit((unsigned char)*s)) {
      if (++digits > 12) return (*why = "a duration too long"), false;
      v = v * 10 + (*s++ - '0');
    }
    if (*s == '.' || *s == ',') {
      s++;
      if (!isdigit((unsigned char)*s)) return (*why = "not an ISO 8601 duration (PnDTnHnMnS)"), false;
      while (isdigit((unsigned char)*s)) {
        if (frac_den < 1000000000) {
          frac_num = frac_num * 10 + (*s - '0');
          frac_den *= 10;
        }
        s++;
      }
    }
    int64_t unit;
    char u = *s++;
    if (!time && u == 'Y') return (*why = "years have no fixed length"), false;
    if (!time && u == 'M') return (*why = "months have no fixed length"), false;
    if (!time && u == 'W') unit = 7 * 86400;
    else if (!time && u == 'D') unit = 86400;
    else if (time && u == 'H') unit = 3600;
    else if (time && u == 'M') unit = 60;
    else if (time && u == 'S') unit = 1;
    else return (*why = "not an ISO 8601 duration (PnDTnHnMnS)"), false;
    if (frac_num && u != 'S') return (*why = "a fraction is supported on seconds only"), false;
    total += v * unit + (frac_num ? 1 : 0); /* a fraction of a second rounds up */
    any = true;
    if (total > (int64_t)100 * 366 * 86400) return (*why = "a duration over 100 years"), false;
  }
  while (isspace((unsigned char)*s)) s++;
  if (!any || *s) return (*why = "not an ISO 8601 duration (PnDTnHnMnS)"), false;
  *out = total;
  return true;
}

/* YYYY-MM-DDTHH:MM[:00][Z]: the datetime("YYYY-MM-DDTHH:MM") literal. */
static bool parse_datetime(const char *s, char out[17], const char **why) {
  while (isspace((unsigned char)*s)) s++;
  const char *shape = "dddd-dd-ddTdd:dd";
  for (int i = 0; shape[i]; i++)
    if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
      return (*why = "not a date and time YYYY-MM-DDTHH:MM"), false;
  const char *rest = s + 16;
  if (rest[0] == ':') {
    if (rest[1] != '0' || rest[2] != '0') return (*why = "seconds in a timeDate"), false;
    rest += 3;
  }
  if (*rest == 'Z') rest++;
  while (isspace((unsigned char)*rest)) rest++;
  if (*rest) return (*why = "a time zone offset in a timeDate (only UTC, `Z` or none)"), false;
  int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8), h = atoi(s + 11), mi = atoi(s + 14);
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
      h > 23 || mi > 59)
    return (*why = "not a real date and time"), false;
  memcpy(out, s, 16);
  out[16] = 0;
  return true;
}

/* A timer event's wait node: IR_WAIT for a duration, IR_WAIT_UNTIL for a
 * date; NULL after refusing. */
static IrNode *timer_node(BpmnMap *mp, IrProc *p, El *el, const char *id) {
  const BpmnEventDef *d = only_def(el->e);
  const char *why = NULL;
  if (d->timer == BPMN_TIMER_CYCLE) {
    refuse(mp, el, "a timer cycle", "repeating timers are not mapped");
    return NULL;
  }
  if (d->timer == BPMN_TIMER_NONE || !d->text || !*d->text) {
    refuse(mp, el, "a timer without a time", "no timeDuration or timeDate is given");
    return NULL;
  }
  if (strstr(d->text, "${") || strstr(d->text, "#{") || d->text[0] == '=') {
    refuse(mp, el, "a timer computed by an expression", "only literal ISO 8601 times are mapped");
    return NULL;
  }
  if (d->timer == BPMN_TIMER_DURATION) {
    int64_t secs;
    if (!parse_duration(d->text, &secs, &why)) {
      bpmn_error(mp->m, el->e->line, "%s: timeDuration `%.60s`: %s", eid(el->e), d->text, why);
      el->refused = true;
      return NULL;
    }
    IrNode *n = ir_node(mp->ir, p, IR_WAIT, id, el->e->line, 0);
    n->u.wait.value = ir_expr_duration(mp->ir, secs);
    return n;
  }
  char dt[17];
  if (!parse_datetime(d->text, dt, &why)) {
    bpmn_error(mp->m, el->e->line, "%s: timeDate `%.60s`: %s", eid(el->e), d->text, why);
    el->refused = true;
    return NULL;
  }
  IrNode *n = ir_node(mp->ir, p, IR_WAIT_UNTIL, id, el->e->line, 0);
  IrExpr **args = ir_exprs(mp->ir, 1);
  args[0] = ir_expr_string(mp->ir, ir_str(mp->ir, dt), 16);
  n->u.wait.value = ir_expr_call(mp->ir, &type_datetime, "datetime", args, 1);
  return n;
}

static const char *sub_id(BpmnMap *mp, const BpmnElement *e, const char *suffix) {
  return arena_printf(&mp->ir->arena, "%s__%s", eid(e), suffix);
}

/* ---- who --------------------------------------------------------------------- */

typedef struct Who {
  IrExpr *items[64];
  const char *vars[64]; /* a variable's name, filled in after typing */
  const char *roles[64];
  uint32_t n;
} Who;

typedef struct Pending {
  IrNode *node;
  Who who;
} Pending;

static char *trim_copy(BpmnMap *mp, const char *s, size_t n) {
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  return arena_strndup(&mp->m->arena, s, n);
}

/* One assignee: `${x}` (a user variable), `user(x)`, `group(x)` (a role),
 * or a plain user id (a user parameter of that name the host passes). */
static bool who_add(BpmnMap *mp, BpmnVars *vs, El *el, Who *w, const char *s, bool group) {
  size_t n = strlen(s);
  if (w->n == 64) {
    refuse(mp, el, "more than 64 assignees", "a limit of the importer");
    return false;
  }
  if (n >= 3 && (s[0] == '$' || s[0] == '#') && s[1] == '{' && s[n - 1] == '}') {
    char *name = trim_copy(mp, s + 2, n - 3);
    if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name)) {
      bpmn_error(mp->m, el->e->line, "%s: the assignee `%.60s` is not a variable: only `${name}` is mapped", eid(el->e), s);
      el->refused = true;
      return false;
    }
    if (group) {
      bpmn_error(mp->m, el->e->line, "%s: a group from an expression (`%.60s`) is not supported (roles are names)", eid(el->e), s);
      el->refused = true;
      return false;
    }
    bpmn_var_use(mp, vs, name, &type_user, eid(el->e), el->e->line);
    w->vars[w->n++] = name;
    return true;
  }
  if (strncmp(s, "user(", 5) == 0 && s[n - 1] == ')') return who_add(mp, vs, el, w, trim_copy(mp, s + 5, n - 6), false);
  if (strncmp(s, "group(", 6) == 0 && s[n - 1] == ')') return who_add(mp, vs, el, w, trim_copy(mp, s + 6, n - 7), true);
  if (!*s) return true;
  if (group) {
    w->roles[w->n++] = s;
    return true;
  }
  bpmn_var_use(mp, vs, s, &type_user, eid(el->e), el->e->line);
  w->vars[w->n++] = s;
  return true;
}

/* A comma-separated list. */
static bool who_list(BpmnMap *mp, BpmnVars *vs, El *el, Who *w, const char *s, bool group) {
  if (!s) return true;
  bool ok = true;
  int depth = 0;
  const char *from = s;
  for (const char *q = s;; q++) {
    if (*q == '(' || *q == '{') depth++;
    if (*q == ')' || *q == '}') depth--;
    if (*q == 0 || (*q == ',' && depth == 0)) {
      char *item = trim_copy(mp, from, (size_t)(q - from));
      if (*item && !who_add(mp, vs, el, w, item, group)) ok = false;
      if (*q == 0) break;
      from = q + 1;
    }
  }
  return ok;
}

/* ---- the mapping of one process ---------------------------------------------- */

typedef struct Proc {
  BpmnMap *mp;
  BpmnProcess *bp;
  IrProc *p;
  El *els;
  uint32_t nels;
  ElMap map;
  BpmnVars vars;
  Pending *pending; /* human steps whose WHO waits for the variables' slots */
  uint32_t npending;
  PtrVec cond_flows; /* El* of gateways with conditions, for building later */
} Proc;

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The actions are declared in name order: a binary search. */
static int32_t action_index(BpmnMap *mp, const char *name) {
  uint32_t lo = 0, hi = mp->ir->nactions;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = strcmp(mp->ir->actions[mid].name, name);
    if (c == 0) return (int32_t)mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

static void map_human(Proc *P, El *el) {
  BpmnMap *mp = P->mp;
  BpmnElement *e = el->e;
  /* a parallel multi-instance task is a review: one work item per user, done
   * when all (or, by its completion condition, any) completed theirs */
  IrNode *n = ir_node(mp->ir, P->p, e->loop.kind == BPMN_LOOP_MULTI ? IR_REVIEW : IR_TASK, e->id,
                      e->line, 0);
  el->node = el->entry = el->exit = n;
  const char *title = e->name && *e->name ? e->name : eid(e);
  n->title = ir_str(mp->ir, title);
  n->u.human.title = ir_expr_string(mp->ir, n->title, (uint32_t)strlen(n->title));
  n->u.human.mode = IR_MODE_ANY;
  n->u.human.result = -1;
  Pending *pd = &P->pending[P->npending++];
  pd->node = n;
  Who *w = &pd->who;
  memset(w, 0, sizeof *w);
  const BpmnLoop *lp = &e->loop;
  const char *elemvar = NULL;
  if (lp->kind == BPMN_LOOP_STANDARD) {
    refuse(mp, el, "a standard loop on a task", "loops on activities are not mapped; draw the loop with a gateway");
    return;
  }
  if (lp->kind == BPMN_LOOP_MULTI) {
    const char *coll = lp->collection ? lp->collection : lp->data_input_ref;
    if (lp->sequential) {
      refuse(mp, el, "a sequential multi-instance task", "the runtime's steps are parallel; one user after another is not mapped");
      return;
    }
    if (!coll || !*coll) {
      refuse(mp, el, "a multi-instance task without a collection", "loopCardinality alone names no users");
      return;
    }
    size_t cn = strlen(coll);
    char *name = (cn >= 3 && (coll[0] == '$' || coll[0] == '#') && coll[1] == '{' && coll[cn - 1] == '}')
                     ? trim_copy(mp, coll + 2, cn - 3)
                     : trim_copy(mp, coll, cn);
    if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name)) {
      bpmn_error(mp->m, e->line, "%s: the collection `%.60s` is not a variable name", eid(e), coll);
      el->refused = true;
      return;
    }
    bpmn_var_use(mp, &P->vars, name, &type_users, eid(e), e->line);
    w->vars[w->n++] = name;
    elemvar = lp->element_variable ? lp->element_variable : lp->input_item;
    n->u.human.mode = IR_MODE_ALL;
    if (lp->completion && *lp->completion) {
      /* the text without blanks and ${ } */
      char c[128];
      size_t k = 0;
      const char *s = lp->completion;
      while (*s && k < sizeof c - 1) {
        if (!isspace((unsigned char)*s)) c[k++] = *s;
        s++;
      }
      c[k] = 0;
      char *body = c;
      if ((body[0] == '$' || body[0] == '#') && body[1] == '{' && k > 3 && body[k - 1] == '}') {
        body[k - 1] = 0;
        body += 2;
      } else if (body[0] == '=') {
        body++;
      }
      static const char *const any[] = {"nrOfCompletedInstances>=1", "nrOfCompletedInstances>0",
                                        "nrOfCompletedInstances==1", "nrOfCompletedInstances=1",
                                        "nrOfCompletedInstancesge1", "nrOfCompletedInstancesgt0"};
      static const char *const all[] = {"nrOfCompletedInstances==nrOfInstances",
                                        "nrOfCompletedInstances>=nrOfInstances",
                                        "nrOfCompletedInstances=nrOfInstances",
                                        "nrOfActiveInstances==0", "nrOfActiveInstances=0"};
      bool found = false;
      for (size_t i = 0; i < sizeof any / sizeof any[0]; i++)
        if (strcmp(body, any[i]) == 0) n->u.human.mode = IR_MODE_ANY, found = true;
      for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(body, all[i]) == 0) n->u.human.mode = IR_MODE_ALL, found = true;
      if (!found) {
        bpmn_error(mp->m, lp->line ? lp->line : e->line,
                   "%s: the completion condition `%.80s` is not supported (mapped: the first "
                   "completion ends the task, `nrOfCompletedInstances >= 1`; or all, "
                   "`nrOfCompletedInstances == nrOfInstances` or none)",
                   eid(e), lp->completion);
        el->refused = true;
        return;
      }
    }
  }
  /* the assignee of each instance is the element variable: the collection says who */
  bool skip_assignee = false;
  if (elemvar && e->assignee) {
    size_t an = strlen(e->assignee);
    if (an >= 3 && e->assignee[1] == '{') {
      char *inner = trim_copy(mp, e->assignee + 2, an - 3);
      skip_assignee = strcmp(inner, elemvar) == 0;
    }
  }
  bool ok = true;
  if (!elemvar) {
    if (!skip_assignee) ok = who_list(mp, &P->vars, el, w, e->assignee, false) && ok;
    ok = who_list(mp, &P->vars, el, w, e->candidate_users, false) && ok;
    ok = who_list(mp, &P->vars, el, w, e->candidate_groups, true) && ok;
    for (uint32_t i = 0; i < e->performers.n; i++) {
      const BpmnPerformer *pf = e->performers.items[i];
      if (pf->expression && *pf->expression)
        ok = who_list(mp, &P->vars, el, w, pf->expression, false) && ok;
      else if (pf->resource_ref && *pf->resource_ref)
        ok = who_list(mp, &P->vars, el, w, pf->resource_ref, true) && ok;
    }
    if (ok && w->n == 0) {
      if (el->lane && *el->lane) w->roles[w->n++] = el->lane;
      else {
        bpmn_var_use(mp, &P->vars, "performer", &type_user, eid(e), e->line);
        w->vars[w->n++] = "performer";
      }
    }
  }
}

static void map_element(Proc *P, El *el) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  BpmnElement *e = el->e;
  BpmnEventDefKind dk = def_kind(e);
  IrNode *n = NULL;
  switch (e->kind) {
  case BPMN_START_EVENT:
    if (dk != BPMN_DEF_NONE) {
      char what[64];
      snprintf(what, sizeof what, "%s %s start event", article(def_word(dk)), def_word(dk));
      refuse(mp, el, what, dk == BPMN_DEF_TIMER ? "processes start when the host starts them; a timed trigger is not in the IR" : def_why(dk));
      return;
    }
    if (el->sub) { /* inside a sub-process: where its flow begins */
      if (el->sub->inner) {
        refuse(mp, el, "a second start event in a sub-process", "a sub-process starts at one place");
        return;
      }
      n = el->sub->inner = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
      if (el->sub->entry) ir_edge(ir, P->p, el->sub->entry, n, IR_E_FLOW, NULL);
      break;
    }
    if (P->p->start) {
      refuse(mp, el, "a second start event", "a process starts at one place");
      return;
    }
    n = ir_node(ir, P->p, IR_START, e->id, e->line, 0);
    break;
  case BPMN_END_EVENT:
    if (el->sub && dk != BPMN_DEF_NONE && dk != BPMN_DEF_ERROR) {
      char what[80];
      snprintf(what, sizeof what, "%s %s end event in a sub-process", article(def_word(dk)), def_word(dk));
      refuse(mp, el, what, dk == BPMN_DEF_TERMINATE ? "it ends the sub-process only; a flattened sub-process cannot" : def_why(dk));
      return;
    }
    if (el->sub && dk == BPMN_DEF_NONE) { /* the sub-process is done: on after it */
      n = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
      if (el->sub->exit) ir_edge(ir, P->p, n, el->sub->exit, IR_E_FLOW, NULL);
      break;
    }
    if (dk == BPMN_DEF_NONE) n = ir_node(ir, P->p, IR_END, e->id, e->line, 0);
    else if (dk == BPMN_DEF_TERMINATE) n = ir_node(ir, P->p, IR_TERMINATE, e->id, e->line, 0);
    else if (dk == BPMN_DEF_ERROR) {
      const BpmnEventDef *d = only_def(e);
      const char *name = NULL;
      for (uint32_t i = 0; d->ref && i < mp->m->errors.n; i++) {
        const BpmnRootRef *r = mp->m->errors.items[i];
        if (r->id && strcmp(r->id, d->ref) == 0)
          name = r->name && *r->name ? r->name : r->code && *r->code ? r->code : r->id;
      }
      if (!name) name = d->ref ? d->ref : eid(e);
      n = ir_node(ir, P->p, IR_TERMINATE, e->id, e->line, 0);
      const char *reason = arena_printf(&ir->arena, "error %s", name);
      n->u.terminate.reason = ir_expr_string(ir, reason, (uint32_t)strlen(reason));
    } else {
      char what[64];
      snprintf(what, sizeof what, "%s %s end event", article(def_word(dk)), def_word(dk));
      refuse(mp, el, what, def_why(dk));
      return;
    }
    break;
  case BPMN_INTERMEDIATE_CATCH_EVENT:
    if (dk == BPMN_DEF_LINK) { /* where links of its name arrive (map_links) */
      n = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
      break;
    }
    if (dk != BPMN_DEF_TIMER) {
      char what[80];
      snprintf(what, sizeof what, "%s %s intermediate catch event", article(def_word(dk)), def_word(dk));
      refuse(mp, el, what, def_why(dk));
      return;
    }
    n = timer_node(mp, P->p, el, e->id);
    if (!n) return;
    break;
  case BPMN_INTERMEDIATE_THROW_EVENT:
    if (dk == BPMN_DEF_LINK) { /* a jump to the catch event of its name (map_links) */
      if (el->out.n) {
        refuse(mp, el, "a link throw event with outgoing flows", "its token goes to the link's catch event");
        return;
      }
      n = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
      break;
    }
    if (dk != BPMN_DEF_NONE) {
      char what[80];
      snprintf(what, sizeof what, "%s %s intermediate throw event", article(def_word(dk)), def_word(dk));
      refuse(mp, el, what, def_why(dk));
      return;
    }
    n = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
    break;
  case BPMN_BOUNDARY_EVENT:
    return; /* mapped with the activity it is attached to */
  case BPMN_TASK: case BPMN_USER_TASK: case BPMN_MANUAL_TASK:
    map_human(P, el);
    n = el->node;
    if (!n) return;
    break;
  case BPMN_SERVICE_TASK: case BPMN_SEND_TASK: case BPMN_BUSINESS_RULE_TASK: case BPMN_SCRIPT_TASK:
    if (e->loop.kind != BPMN_LOOP_NONE) {
      refuse(mp, el, e->loop.kind == BPMN_LOOP_MULTI ? "a multi-instance service task" : "a standard loop on a task",
             "loops on host actions are not mapped");
      return;
    }
    n = ir_node(ir, P->p, IR_ACTION, e->id, e->line, 0);
    n->u.action.action = (uint16_t)action_index(mp, eid(e));
    n->u.action.result = -1;
    n->title = ir_str(ir, e->name && *e->name ? e->name : eid(e));
    break;
  case BPMN_RECEIVE_TASK:
    refuse(mp, el, "a receive task", "the runtime has no message delivery yet");
    return;
  case BPMN_CALL_ACTIVITY:
    refuse(mp, el, "a call activity", "calling another process and waiting for it is not mapped");
    return;
  case BPMN_SUB_PROCESS:
    if (e->triggered_by_event) {
      refuse(mp, el, "an event sub-process", "the runtime has no event handlers of this kind");
      return;
    }
    if (e->loop.kind != BPMN_LOOP_NONE) {
      refuse(mp, el, "a loop on a sub-process", "loops on activities are not mapped");
      return;
    }
    /* embedded: flattened into the process between two meeting points */
    el->node = el->entry = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
    el->exit = ir_node(ir, P->p, IR_MERGE, sub_id(mp, e, "done"), e->line, 0);
    el->entry->title = ir_str(ir, e->name && *e->name ? e->name : "");
    return;
  case BPMN_AD_HOC_SUB_PROCESS:
    refuse(mp, el, "an ad-hoc sub-process", "its activities have no order to run in");
    return;
  case BPMN_TRANSACTION:
    refuse(mp, el, "a transaction", "the runtime has no transactions or compensation");
    return;
  case BPMN_EXCLUSIVE_GATEWAY: {
    bool split = el->out.n > 1;
    for (uint32_t i = 0; i < el->out.n; i++)
      if (((BpmnFlow *)el->out.items[i])->condition) split = true;
    n = ir_node(ir, P->p, split ? IR_CHOICE : IR_MERGE, e->id, e->line, 0);
    break;
  }
  case BPMN_PARALLEL_GATEWAY: {
    IrNodeKind k = el->in.n > 1 ? IR_JOIN : el->out.n > 1 ? IR_FORK : IR_MERGE;
    n = ir_node(ir, P->p, k, e->id, e->line, 0);
    if (el->in.n > 1 && el->out.n > 1) {
      IrNode *f = ir_node(ir, P->p, IR_FORK, sub_id(mp, e, "split"), e->line, 0);
      ir_edge(ir, P->p, n, f, IR_E_FLOW, NULL);
      el->node = el->entry = n;
      el->exit = f;
      return;
    }
    break;
  }
  case BPMN_EVENT_BASED_GATEWAY:
    if (e->instantiate) {
      refuse(mp, el, "an instantiating event gateway", "processes start when the host starts them");
      return;
    }
    n = ir_node(ir, P->p, IR_EVENT_WAIT, e->id, e->line, 0);
    break;
  case BPMN_INCLUSIVE_GATEWAY:
    refuse(mp, el, "an inclusive gateway", "the IR has no join that waits only for tokens that can still arrive");
    return;
  case BPMN_COMPLEX_GATEWAY:
    refuse(mp, el, "a complex gateway", "its activation rule has no IR");
    return;
  default:
    return;
  }
  if (!n->title || !*n->title) n->title = ir_str(ir, e->name && *e->name ? e->name : "");
  el->node = n;
  if (!el->entry) el->entry = n;
  if (!el->exit) el->exit = n;
}

/* Link events (BPMN 2.0, 10.5.6): a throw event's token goes on at the catch
 * event of the same name in the same process or sub-process, like a sequence
 * flow. Each name has one catch event; a throw naming none is refused. The
 * catch events are sorted by (level, name) and each throw looks its up. */
static bool is_link(const El *el, BpmnKind k) {
  return el->e->kind == k && def_kind(el->e) == BPMN_DEF_LINK;
}

static const char *link_name(const El *el) {
  const char *s = only_def(el->e)->link_name;
  return s ? s : "";
}

static int cmp_link(const void *a, const void *b) {
  const El *x = *(const El *const *)a, *y = *(const El *const *)b;
  if (x->sub != y->sub) return (uintptr_t)x->sub < (uintptr_t)y->sub ? -1 : 1;
  return strcmp(link_name(x), link_name(y));
}

static void map_links(Proc *P) {
  BpmnMap *mp = P->mp;
  uint32_t n = 0;
  for (uint32_t i = 0; i < P->nels; i++)
    if (is_link(&P->els[i], BPMN_INTERMEDIATE_CATCH_EVENT) || is_link(&P->els[i], BPMN_INTERMEDIATE_THROW_EVENT)) n++;
  if (!n) return;
  El **catches = arena_alloc(&mp->m->arena, n * sizeof *catches);
  uint32_t nc = 0;
  for (uint32_t i = 0; i < P->nels; i++) {
    El *el = &P->els[i];
    if (!is_link(el, BPMN_INTERMEDIATE_CATCH_EVENT)) continue;
    if (!*link_name(el)) {
      refuse(mp, el, "a link catch event without a name", "a link is found by its name");
      continue;
    }
    catches[nc++] = el;
  }
  qsort(catches, nc, sizeof *catches, cmp_link);
  for (uint32_t i = 1; i < nc; i++)
    if (cmp_link(&catches[i - 1], &catches[i]) == 0) {
      bpmn_error(mp->m, catches[i]->e->line, "%s: a second link catch event named \"%s\" at this level (%s at line %u has the name)",
                 eid(catches[i]->e), link_name(catches[i]), eid(catches[i - 1]->e), catches[i - 1]->e->line);
      catches[i]->refused = true;
    }
  for (uint32_t i = 0; i < P->nels; i++) {
    El *el = &P->els[i];
    if (!is_link(el, BPMN_INTERMEDIATE_THROW_EVENT) || el->refused) continue;
    El key = {0}, *kp = &key;
    key.e = el->e; /* link_name reads the throw's definition */
    key.sub = el->sub;
    El **hit = nc ? bsearch(&kp, catches, nc, sizeof *catches, cmp_link) : NULL;
    if (!hit) {
      bpmn_error(mp->m, el->e->line, "%s: the link \"%s\" has no catch event of that name in its %s", eid(el->e),
                 link_name(el), el->sub ? "sub-process" : "process");
      el->refused = true;
      continue;
    }
    el->link = *hit;
  }
}

/* Boundary events: interrupting timers on a task or an action become an
 * EVENT_WAIT over the activity and a wait; everything else is refused. */
static void map_boundaries(Proc *P) {
  BpmnMap *mp = P->mp;
  for (uint32_t i = 0; i < P->nels; i++) {
    El *b = &P->els[i];
    if (b->e->kind != BPMN_BOUNDARY_EVENT) continue;
    El *act = el_find(&P->map, bpmn_find_element(mp->m, b->e->attached_to));
    BpmnEventDefKind dk = def_kind(b->e);
    if (dk != BPMN_DEF_TIMER) {
      char what[80];
      snprintf(what, sizeof what, "%s %s boundary event", article(def_word(dk)), def_word(dk));
      refuse(mp, b, what, def_why(dk));
      continue;
    }
    if (!b->e->cancel_activity) {
      refuse(mp, b, "a non-interrupting timer boundary event",
             "the runtime's reminders only notify; a token leaving the task while it stays open is not mapped");
      continue;
    }
    if (!act || !(is_human(act->e->kind) || is_action(act->e->kind))) {
      refuse(mp, b, "a timer boundary event on this activity", "only tasks and host actions can be raced against a timer");
      continue;
    }
    ptrvec_push(&mp->m->arena, &act->bounds, b);
  }
}

/* Wraps activities with boundaries: EVENT_WAIT -> activity, -> each wait. */
static void wrap_boundaries(Proc *P, El *act) {
  BpmnMap *mp = P->mp;
  if (!act->bounds.n || !act->node) return;
  IrNode *w = ir_node(mp->ir, P->p, IR_EVENT_WAIT, sub_id(mp, act->e, "race"), act->e->line, 0);
  ir_edge(mp->ir, P->p, w, act->node, IR_E_FLOW, NULL)->arm = 0;
  act->entry = w;
  for (uint32_t i = 0; i < act->bounds.n; i++) {
    El *b = act->bounds.items[i];
    IrNode *t = timer_node(mp, P->p, b, b->e->id);
    if (!t) continue;
    t->title = ir_str(mp->ir, b->e->name && *b->e->name ? b->e->name : "");
    b->node = b->entry = b->exit = t;
    IrEdge *ed = ir_edge(mp->ir, P->p, w, t, IR_E_FLOW, NULL);
    ed->arm = i + 1;
  }
}

/* Parses the conditions of an exclusive gateway's flows; refuses conditions
 * anywhere else. */
static void map_conditions(Proc *P, El *el) {
  BpmnMap *mp = P->mp;
  el->conds = arena_alloc(&mp->m->arena, (el->out.n ? el->out.n : 1) * sizeof *el->conds);
  for (uint32_t i = 0; i < el->out.n; i++) {
    BpmnFlow *f = el->out.items[i];
    el->conds[i] = NULL;
    if (!f->condition) continue;
    if (el->e->kind != BPMN_EXCLUSIVE_GATEWAY) {
      bpmn_error(mp->m, f->line, "%s: a conditional flow out of a %s is not supported (put an exclusive gateway before the choice)",
                 f->id ? f->id : "sequenceFlow", bpmn_kind_name(el->e->kind));
      el->refused = true;
      continue;
    }
    const char *why = NULL;
    const char *lang = f->language;
    BpmnCond *c = bpmn_cond_parse(mp, f->condition, lang, &why);
    if (!c) {
      bpmn_error(mp->m, f->line, "%s: the condition `%.60s` is not supported (%s)", f->id ? f->id : "sequenceFlow",
                 f->condition, why);
      el->refused = true;
      continue;
    }
    if (!bpmn_cond_type(mp, &P->vars, c, f->id ? f->id : "sequenceFlow", f->line)) {
      el->refused = true;
      continue;
    }
    el->conds[i] = c;
  }
}

static const char *flow_label(const BpmnFlow *f) {
  if (f->name && *f->name) return f->name;
  if (f->condition && *f->condition) return f->condition;
  return NULL;
}

static void map_flows(Proc *P, El *el) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  IrNode *from = el->exit;
  if (!from) return;
  BpmnElement *e = el->e;
  if (el->link) {
    if (el->link->entry) ir_edge(ir, p, from, el->link->entry, IR_E_FLOW, NULL);
    return;
  }
  if (el->out.n == 0) {
    if (from->kind == IR_END || from->kind == IR_TERMINATE) return;
    if (el->sub) { /* the token's end inside a sub-process: on after it */
      if (e->kind != BPMN_END_EVENT) ir_edge(ir, p, from, el->sub->exit, IR_E_FLOW, NULL);
      return;
    }
    /* BPMN: a token with no outgoing flow ends there */
    IrNode *end = ir_node(ir, p, IR_END, sub_id(mp, e, "end"), e->line, 0);
    ir_edge(ir, p, from, end, IR_E_FLOW, NULL);
    return;
  }
  if (from->kind == IR_CHOICE) {
    uint32_t arm = 0;
    bool has_default = false;
    for (uint32_t i = 0; i < el->out.n; i++) {
      BpmnFlow *f = el->out.items[i];
      El *to = el_find(&P->map, bpmn_find_element(mp->m, f->target));
      if (!to || !to->entry) continue;
      if (e->default_flow && f->id && strcmp(e->default_flow, f->id) == 0) {
        ir_edge(ir, p, from, to->entry, IR_E_ELSE, ir_str(ir, f->name && *f->name ? f->name : "default"));
        has_default = true;
        continue;
      }
      IrExpr *c = el->conds[i] ? bpmn_cond_build(mp, p, &P->vars, el->conds[i]) : ir_expr_bool(ir, true);
      if (c) c->line = f->line;
      const char *label = flow_label(f);
      ir_edge_cond(ir, p, from, to->entry, arm++, c, label ? ir_str(ir, label) : NULL);
    }
    if (!has_default) {
      IrNode *t = ir_node(ir, p, IR_TERMINATE, sub_id(mp, e, "no_match"), e->line, 0);
      const char *reason = arena_printf(&ir->arena, "no condition of gateway %s holds", eid(e));
      t->u.terminate.reason = ir_expr_string(ir, reason, (uint32_t)strlen(reason));
      ir_edge(ir, p, from, t, IR_E_ELSE, "no match");
    }
    return;
  }
  bool fan = from->kind == IR_FORK || from->kind == IR_EVENT_WAIT;
  if (!fan && el->out.n > 1) {
    /* an implicit parallel split */
    IrNode *f = ir_node(ir, p, IR_FORK, sub_id(mp, e, "split"), e->line, 0);
    ir_edge(ir, p, from, f, IR_E_FLOW, NULL);
    from = f;
    fan = true;
  }
  for (uint32_t i = 0; i < el->out.n; i++) {
    BpmnFlow *f = el->out.items[i];
    El *to = el_find(&P->map, bpmn_find_element(mp->m, f->target));
    if (!to || !to->entry) continue;
    const char *label = flow_label(f);
    IrEdge *ed = ir_edge(ir, p, from, to->entry, IR_E_FLOW, label ? ir_str(ir, label) : NULL);
    if (fan) ed->arm = i;
  }
}

/* A process (sub == NULL) or sub-process without a start event starts at
 * every element without incoming flows (BPMN 2.0, 10.5.2): from a START or
 * the sub-process's entry, through a FORK when there are several. An empty
 * sub-process goes straight on. */
static void implicit_start(Proc *P, El *sub) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  PtrVec firsts = {0};
  for (uint32_t i = 0; i < P->nels; i++) {
    El *el = &P->els[i];
    if (el->sub != sub || el->in.n || !el->entry || el->e->kind == BPMN_BOUNDARY_EVENT ||
        is_link(el, BPMN_INTERMEDIATE_CATCH_EVENT)) /* reached by its links */
      continue;
    ptrvec_push(&mp->m->arena, &firsts, el);
  }
  IrNode *from;
  if (sub) {
    from = sub->entry;
    if (firsts.n == 0) {
      ir_edge(ir, P->p, from, sub->exit, IR_E_FLOW, NULL);
      return;
    }
  } else {
    if (firsts.n == 0) return; /* ir_finish says the process has no start */
    from = ir_node(ir, P->p, IR_START, arena_printf(&ir->arena, "%s__start", P->p->name), P->p->line, 0);
  }
  if (firsts.n > 1) {
    IrNode *f = ir_node(ir, P->p, IR_FORK, arena_printf(&ir->arena, "%s__starts", sub ? eid(sub->e) : P->p->name),
                        sub ? sub->e->line : P->p->line, 0);
    ir_edge(ir, P->p, from, f, IR_E_FLOW, NULL);
    from = f;
  }
  for (uint32_t i = 0; i < firsts.n; i++)
    ir_edge(ir, P->p, from, ((El *)firsts.items[i])->entry, IR_E_FLOW, NULL)->arm = i;
}

static bool mappable(const BpmnElement *e) {
  BpmnFamily f = bpmn_kind_family(e->kind);
  return f == BPMN_FAM_EVENT || f == BPMN_FAM_ACTIVITY || f == BPMN_FAM_CONTAINER ||
         f == BPMN_FAM_GATEWAY;
}

/* The flow elements of a process and of its embedded sub-processes (each
 * sub-process before its children). */
static void collect(Proc *P, const PtrVec *elements, El *sub) {
  BpmnModel *m = P->mp->m;
  for (uint32_t i = 0; i < elements->n; i++) {
    BpmnElement *e = elements->items[i];
    if (bpmn_kind_family(e->kind) == BPMN_FAM_CHOREOGRAPHY) {
      bpmn_error(m, e->line, "%s: a %s is not supported (choreographies are not process elements)", eid(e), bpmn_kind_name(e->kind));
      continue;
    }
    if (!mappable(e) || !e->id) continue;
    El *el = &P->els[P->nels++];
    memset(el, 0, sizeof *el);
    el->e = e;
    el->sub = sub;
    el_put(&P->map, el);
    if (e->kind == BPMN_SUB_PROCESS && !e->triggered_by_event && e->loop.kind == BPMN_LOOP_NONE)
      collect(P, &e->children, el);
  }
}

static void add_flows(Proc *P, const PtrVec *flows) {
  BpmnModel *m = P->mp->m;
  for (uint32_t i = 0; i < flows->n; i++) {
    BpmnFlow *f = flows->items[i];
    El *from = el_find(&P->map, bpmn_find_element(m, f->source));
    El *to = el_find(&P->map, bpmn_find_element(m, f->target));
    if (!from || !to) continue;
    ptrvec_push(&m->arena, &from->out, f);
    ptrvec_push(&m->arena, &to->in, f);
  }
}

static uint32_t lane_depth(const BpmnLane *l) {
  uint32_t d = 0;
  for (; l && d < 1000; l = l->parent) d++;
  return d;
}

static void map_process(BpmnMap *mp, BpmnProcess *bp, uint32_t index) {
  BpmnModel *m = mp->m;
  IrProgram *ir = mp->ir;
  uint32_t errors_before = m->errors_n;
  Proc P;
  memset(&P, 0, sizeof P);
  P.mp = mp;
  P.bp = bp;
  P.p = ir_proc(ir, bp->id ? bp->id : "process");
  P.p->title = ir_str(ir, bp->name && *bp->name ? bp->name : P.p->name);
  P.p->line = bp->line;
  P.p->doc = -1;
  uint32_t total = bp->n_elements + bp->elements.n + 1;
  P.els = arena_alloc(&m->arena, total * sizeof *P.els);
  P.map.cap = 16;
  while (P.map.cap < total * 2 + 2) P.map.cap *= 2;
  P.map.slots = arena_alloc(&m->arena, P.map.cap * sizeof *P.map.slots);
  memset(P.map.slots, 0, P.map.cap * sizeof *P.map.slots);
  P.pending = arena_alloc(&m->arena, total * sizeof *P.pending);
  collect(&P, &bp->elements, NULL);
  for (uint32_t i = 0; i < bp->lanes.n; i++) {
    const BpmnLane *l = bp->lanes.items[i];
    uint32_t d = lane_depth(l);
    for (uint32_t k = 0; k < l->node_refs.n; k++) {
      El *el = el_find(&P.map, bpmn_find_element(m, l->node_refs.items[k]));
      if (el && d > el->lane_depth) {
        el->lane = l->name;
        el->lane_depth = d;
      }
    }
  }
  add_flows(&P, &bp->flows);
  for (uint32_t i = 0; i < P.nels; i++)
    if (P.els[i].e->kind == BPMN_SUB_PROCESS && !P.els[i].e->triggered_by_event)
      add_flows(&P, &P.els[i].e->flows);
  map_boundaries(&P);
  for (uint32_t i = 0; i < P.nels; i++) map_element(&P, &P.els[i]);
  map_links(&P);
  for (uint32_t i = 0; i < P.nels; i++) wrap_boundaries(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) map_conditions(&P, &P.els[i]);
  if (m->errors_n != errors_before) return;
  /* the variables: parameters the host may pass, with empty defaults */
  for (uint32_t i = 0; i < P.vars.n; i++) {
    BpmnVar *v = &P.vars.v[i];
    const Type *t = v->type ? v->type : &type_string;
    IrExpr *def = t == &type_decimal ? ir_expr_decimal(ir, 0, 0)
                : t == &type_bool    ? ir_expr_bool(ir, false)
                : t == &type_string  ? ir_expr_string(ir, "", 0)
                : t == &type_users   ? ir_expr_list(ir, &type_users, NULL, 0)
                                     : NULL; /* a user: the host must say who */
    v->slot = ir_param(ir, P.p, ir_str(ir, v->name), t, def)->slot;
  }
  for (uint32_t i = 0; i < P.npending; i++) {
    Pending *pd = &P.pending[i];
    Who *w = &pd->who;
    IrExpr **items = ir_exprs(ir, w->n ? w->n : 1);
    for (uint32_t k = 0; k < w->n; k++) {
      if (w->roles[k]) {
        IrExpr **args = ir_exprs(ir, 1);
        args[0] = ir_expr_string(ir, ir_str(ir, w->roles[k]), (uint32_t)strlen(w->roles[k]));
        items[k] = ir_expr_call(ir, &type_users, "role", args, 1);
      } else {
        int32_t slot = -1;
        for (uint32_t j = 0; j < P.vars.n; j++)
          if (strcmp(P.vars.v[j].name, w->vars[k]) == 0) slot = P.vars.v[j].slot;
        items[k] = ir_expr_slot(ir, P.p, (uint16_t)slot);
      }
    }
    pd->node->u.human.who.who = items;
    pd->node->u.human.who.n = w->n;
  }
  for (uint32_t i = 0; i < P.nels; i++) map_flows(&P, &P.els[i]);
  if (!P.p->start) implicit_start(&P, NULL);
  for (uint32_t i = 0; i < P.nels; i++)
    if (P.els[i].e->kind == BPMN_SUB_PROCESS && P.els[i].entry && !P.els[i].inner)
      implicit_start(&P, &P.els[i]);
  (void)index;
}

/* ---- the program --------------------------------------------------------------- */

static bool has_elements(const BpmnProcess *bp) {
  for (uint32_t i = 0; i < bp->elements.n; i++)
    if (mappable(bp->elements.items[i])) return true;
  return false;
}

static void action_names(BpmnModel *m, const PtrVec *elements, PtrVec *names) {
  for (uint32_t k = 0; k < elements->n; k++) {
    BpmnElement *e = elements->items[k];
    if (is_action(e->kind) && e->id) ptrvec_push(&m->arena, names, (void *)e->id);
    if (e->kind == BPMN_SUB_PROCESS) action_names(m, &e->children, names);
  }
}

IrProgram *bpmn_to_ir(BpmnModel *m, const char *only) {
  if (m->errors_n) return NULL;
  if (bpmn_is_bpc_export(m)) return bpmn_bpc_to_ir(m, only); /* written by bpc export */
  BpmnMap mp;
  memset(&mp, 0, sizeof mp);
  mp.m = m;
  /* which processes */
  PtrVec chosen = {0};
  bool any_exec = false;
  for (uint32_t i = 0; i < m->processes.n; i++)
    if (((BpmnProcess *)m->processes.items[i])->is_executable) any_exec = true;
  for (uint32_t i = 0; i < m->processes.n; i++) {
    BpmnProcess *bp = m->processes.items[i];
    if (only) {
      if (bp->id && strcmp(bp->id, only) == 0) ptrvec_push(&m->arena, &chosen, bp);
    } else if (any_exec ? bp->is_executable : has_elements(bp)) {
      ptrvec_push(&m->arena, &chosen, bp);
    }
  }
  if (chosen.n == 0 && only) {
    bpmn_error(m, 0, "%s: no process of this file has this id", only);
    return NULL;
  }
  if (chosen.n == 0) bpmn_warning(m, 0, "the file has no process with flow elements: nothing to run");
  IrProgram *ir = ir_new(m->path);
  mp.ir = ir;
  /* the host actions: one per service, send, business rule and script task */
  PtrVec names = {0};
  for (uint32_t i = 0; i < chosen.n; i++) {
    BpmnProcess *bp = chosen.items[i];
    action_names(m, &bp->elements, &names);
  }
  /* distinct names (sorted, so the order does not depend on the file's) */
  if (names.n) qsort(names.items, names.n, sizeof names.items[0], cmp_names);
  uint32_t nact = 0;
  for (uint32_t i = 0; i < names.n; i++)
    if (nact == 0 || strcmp(names.items[nact - 1], names.items[i]) != 0)
      names.items[nact++] = names.items[i];
  ir_reserve(ir, 0, nact, chosen.n);
  for (uint32_t i = 0; i < nact; i++) ir_action(ir, ir_str(ir, names.items[i]), &type_void, 0);
  for (uint32_t i = 0; i < chosen.n; i++) map_process(&mp, chosen.items[i], i);
  if (m->errors_n) {
    ir_free(ir);
    return NULL;
  }
  if (!ir_finish(ir)) {
    for (uint32_t i = 0; i < ir->nerrors; i++) {
      const IrError *e = &ir->errors[i];
      bpmn_error(m, e->line, "%s: %s", e->node ? e->node : e->proc ? e->proc : "process", e->message);
    }
    ir_free(ir);
    return NULL;
  }
  return ir;
}
