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
  PtrVec catches;    /* struct El*: error (and escalation) boundary events: a try scope */
  BpmnCond **conds;  /* per out flow: the parsed condition, or NULL */
  struct El *sub;    /* the embedded sub-process holding it, or NULL */
  struct El *link;   /* a link throw event: the catch event it jumps to */
  IrNode *inner;     /* a sub-process: the node of its start event */
  const char *lane;  /* the innermost lane's name */
  uint32_t lane_depth;
  bool refused;
  /* conditional flows out of an inclusive gateway or an activity (plan_inclusive) */
  int incl;          /* INCL_CHOICE: at most one flow can be taken; INCL_SPLIT: a split to `join` */
  struct El *join;   /* INCL_SPLIT: the matching inclusive join */
  bool joined;       /* an inclusive join some split matched */
  const char *vote_list; /* a vote by count (vote_condition): the collection */
  int64_t vote_count;    /* ... and the approvals needed */
  PtrVec afters;     /* struct El*: non-interrupting timers, as `after` handlers */
  PtrVec forks;      /* struct El*: non-interrupting timers whose path rejoins the activity's */
  BpmnCond *adhoc_cond; /* an ad-hoc sub-process's completion condition, parsed and typed */
  BpmnCond *start_cond;  /* a conditional start event's condition, parsed and typed ... */
  IrNode *start_choice;  /* ... and the CHOICE after its START that tests it */
  PtrVec listens;    /* struct El*: non-interrupting boundaries run beside the activity (listen_scope) */
  PtrVec esps;       /* struct El*: a sub-process's error / escalation event sub-processes (wrap_inner_esps) */
} El;

enum { INCL_NONE, INCL_CHOICE, INCL_SPLIT };

/* Open addressing: element pointer -> El. */
typedef struct ElMap {
  El **slots;
  uint32_t cap;
} ElMap;

static El *el_find(const ElMap *h, const BpmnElement *e) {
  if (!e) return NULL;
  for (uint32_t i = bpmn_hash_ptr(e) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
    if (!h->slots[i]) return NULL;
    if (h->slots[i]->e == e) return h->slots[i];
  }
}

static void el_put(ElMap *h, El *el) {
  uint32_t i = bpmn_hash_ptr(el->e) & (h->cap - 1);
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
  case BPMN_DEF_MESSAGE: return "messages are caught by intermediate events, receive tasks and interrupting boundaries of tasks";
  case BPMN_DEF_SIGNAL: return "signals are caught by intermediate events and interrupting boundaries of tasks";
  case BPMN_DEF_ESCALATION: return "escalations are thrown by end events and caught by interrupting boundary events only";
  case BPMN_DEF_COMPENSATE: return "the runtime has no compensation";
  case BPMN_DEF_CONDITIONAL: return "the runtime does not watch conditions";
  case BPMN_DEF_LINK: return "a link goes from a throw event to a catch event";
  case BPMN_DEF_CANCEL: return "the runtime has no transactions";
  case BPMN_DEF_ERROR: return "errors are thrown by end events and caught by boundary events only";
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

static int32_t action_index(BpmnMap *mp, const char *name);

static const char *sub_id(BpmnMap *mp, const BpmnElement *e, const char *suffix) {
  return arena_printf(&mp->ir->arena, "%s__%s", eid(e), suffix);
}

/* ---- messages and signals --------------------------------------------------------- */

/* Messages and signals are delivered by the host (bp_message; a signal is a message the
 * host gives every instance waiting for it): a catch is an IR_RECEIVE of the message's
 * name, a throw a host action named by the element's id, as a sendTask is. */
static bool is_message_def(BpmnEventDefKind k) { return k == BPMN_DEF_MESSAGE || k == BPMN_DEF_SIGNAL; }

/* A reference names an id, perhaps as the QName `prefix:Id`. */
static bool ref_names(const char *ref, const char *id) {
  if (!ref || !id) return false;
  if (strcmp(ref, id) == 0) return true;
  const char *colon = strchr(ref, ':');
  return colon && strcmp(colon + 1, id) == 0;
}

/* The name a host delivers: the referenced <message>'s (or <signal>'s) name, else its
 * id; with no reference, the element's own id. */
static const char *message_name(BpmnMap *mp, const BpmnElement *e, const char *ref, bool signal) {
  const PtrVec *roots = signal ? &mp->m->signals : &mp->m->messages;
  for (uint32_t i = 0; ref && i < roots->n; i++) {
    const BpmnRootRef *r = roots->items[i];
    if (ref_names(ref, r->id)) return r->name && *r->name ? r->name : r->id;
  }
  if (ref) return ref;
  return eid(e);
}

/* A message or signal catch (an event with one such definition, or a receive task):
 * the wait for it. */
static IrNode *receive_node(BpmnMap *mp, IrProc *p, El *el, const char *id) {
  const BpmnElement *e = el->e;
  const char *name;
  bool signal = false;
  if (e->kind == BPMN_RECEIVE_TASK) {
    name = message_name(mp, e, e->message_ref, false);
  } else {
    const BpmnEventDef *d = only_def(e);
    signal = d->kind == BPMN_DEF_SIGNAL;
    name = message_name(mp, e, d->ref, signal);
  }
  IrNode *n = ir_node(mp->ir, p, IR_RECEIVE, id, e->line, 0);
  n->u.receive.name = ir_str(mp->ir, name);
  n->title = ir_str(mp->ir, e->name && *e->name ? e->name : name);
  n->detail = arena_printf(&mp->ir->arena, "%s %s", signal ? "signal" : "message", name);
  return n;
}

/* A message or signal throw (an intermediate throw or end event): the host action named
 * by the element's id (declared by action_names), whose answer means it was sent. */
static IrNode *send_node(BpmnMap *mp, IrProc *p, El *el) {
  const BpmnElement *e = el->e;
  IrNode *n = ir_node(mp->ir, p, IR_ACTION, e->id, e->line, 0);
  n->u.action.action = (uint16_t)action_index(mp, eid(e));
  n->u.action.result = -1;
  const BpmnEventDef *d = only_def(e);
  const char *name = message_name(mp, e, d->ref, d->kind == BPMN_DEF_SIGNAL);
  n->title = ir_str(mp->ir, e->name && *e->name ? e->name : name);
  n->detail = arena_printf(&mp->ir->arena, "sends %s %s", d->kind == BPMN_DEF_SIGNAL ? "signal" : "message", name);
  return n;
}

/* An element that sends a message or signal: a host action like a sendTask. */
static bool is_sending(const BpmnElement *e) {
  if (e->kind != BPMN_INTERMEDIATE_THROW_EVENT && e->kind != BPMN_END_EVENT) return false;
  return e->event_defs.n == 1 && is_message_def(((const BpmnEventDef *)e->event_defs.items[0])->kind);
}

/* An interrupting message or signal boundary event on a task, host action or receive
 * task: raced against it like a timer (wrap_boundaries). */
static bool message_boundary(BpmnMap *mp, El *b, El *act, BpmnEventDefKind dk) {
  char what[96];
  if (!b->e->cancel_activity) {
    snprintf(what, sizeof what, "a non-interrupting %s boundary event", def_word(dk));
    refuse(mp, b, what, "a token leaving the activity while it stays open is not mapped");
    return false;
  }
  if (!act || !(is_human(act->e->kind) || is_action(act->e->kind) || act->e->kind == BPMN_RECEIVE_TASK)) {
    snprintf(what, sizeof what, "%s %s boundary event on this activity", article(def_word(dk)), def_word(dk));
    refuse(mp, b, what, "only tasks, host actions and receive tasks are raced against an event");
    return false;
  }
  return true;
}

/* ---- who --------------------------------------------------------------------- */

typedef struct Who {
  IrExpr *items[64];
  const char *vars[64]; /* a variable's name, filled in after typing */
  const char *roles[64];
  const char *users[64]; /* a plain user id: a user literal */
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
 * or a plain user id (that user: a user literal). */
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
  w->users[w->n++] = s;
  return true;
}

/* A FEEL assignee (Camunda 8's zeebe:assignmentDefinition; the text after `=`):
 * a variable `name` (a user, or for groups a list the IR cannot name: refused
 * as `${name}` is), a string `"john"` (that user or role), or a list of those
 * `["a", b]`. */
static bool who_feel(BpmnMap *mp, BpmnVars *vs, El *el, Who *w, const char *s, bool group) {
  size_t n = strlen(s);
  if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
    bool ok = true, quoted = false;
    const char *from = s + 1;
    for (const char *q = s + 1; q < s + n; q++) { /* the items, split at commas outside strings */
      if (*q == '"') quoted = !quoted;
      if (*q == '[' && !quoted) goto bad;
      if ((*q == ',' && !quoted) || q == s + n - 1) {
        char *item = trim_copy(mp, from, (size_t)(q - from));
        if (*item && !who_feel(mp, vs, el, w, item, group)) ok = false;
        from = q + 1;
      }
    }
    return ok;
  }
  if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
    char *lit = trim_copy(mp, s + 1, n - 2);
    if (strchr(lit, '"') || strchr(lit, '\\')) goto bad;
    return who_add(mp, vs, el, w, lit, group);
  }
  if (n && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n) {
    if (group) {
      bpmn_error(mp->m, el->e->line, "%s: a group from an expression (`=%.60s`) is not supported (roles are names)",
                 eid(el->e), s);
      el->refused = true;
      return false;
    }
    return who_add(mp, vs, el, w, arena_printf(&mp->m->arena, "${%s}", s), false);
  }
bad:
  bpmn_error(mp->m, el->e->line,
             "%s: the assignee `=%.60s` is not supported (FEEL: a variable, a string or a list of those)", eid(el->e), s);
  el->refused = true;
  return false;
}

/* What the plain names of a list are: users, groups (roles), or — a
 * potentialOwner's formal expression in a file made for Camunda 7, Activiti or
 * Flowable, which read a name without `user(…)` as a group — groups while
 * expressions (`${x}`) stay users. */
typedef enum { WHO_USERS, WHO_GROUPS, WHO_OWNERS } WhoMode;

static bool is_plain_name(const char *s) {
  return !((s[0] == '$' || s[0] == '#') && s[1] == '{') && strncmp(s, "user(", 5) != 0 && strncmp(s, "group(", 6) != 0;
}

/* A comma-separated list, or a FEEL expression (`=…`). */
static bool who_list(BpmnMap *mp, BpmnVars *vs, El *el, Who *w, const char *s, WhoMode mode) {
  if (!s) return true;
  while (isspace((unsigned char)*s)) s++;
  if (*s == '=') return who_feel(mp, vs, el, w, trim_copy(mp, s + 1, strlen(s + 1)), mode == WHO_GROUPS);
  bool ok = true;
  int depth = 0;
  const char *from = s;
  for (const char *q = s;; q++) {
    if (*q == '(' || *q == '{') depth++;
    if (*q == ')' || *q == '}') depth--;
    if (*q == 0 || (*q == ',' && depth == 0)) {
      char *item = trim_copy(mp, from, (size_t)(q - from));
      bool group = mode == WHO_GROUPS || (mode == WHO_OWNERS && is_plain_name(item));
      if (*item && !who_add(mp, vs, el, w, item, group)) ok = false;
      if (*q == 0) break;
      from = q + 1;
    }
  }
  return ok;
}

/* Camunda 8 names a multi-instance activity's counters numberOfInstances,
 * numberOfCompletedInstances and numberOfActiveInstances; Camunda 7, Activiti,
 * Flowable and bpmn-engine (and the patterns below) nrOf…. Rewritten in place. */
static void zeebe_counters(char *s) {
  static const char *const tails[] = {"Instances", "CompletedInstances", "ActiveInstances"};
  for (char *q = s; (q = strstr(q, "numberOf")) != NULL; q++) {
    if (q > s && (isalnum((unsigned char)q[-1]) || q[-1] == '_')) continue;
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
      size_t n = strlen(tails[i]);
      if (strncmp(q + 8, tails[i], n) == 0 && !isalnum((unsigned char)q[8 + n]) && q[8 + n] != '_') {
        memmove(q + 4, q + 8, strlen(q + 8) + 1); /* "numberOf" -> "nrOf" */
        memcpy(q, "nrOf", 4);
        break;
      }
    }
  }
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
  PtrVec loops;      /* El*, BpmnLoopPlan* in pairs: loops built last (bpmn_loop.c) */
  PtrVec var_timers; /* VarTimer*: timers given by a variable, for building later */
  uint32_t nstarts;  /* start events at the process's level */
  PtrVec starts;     /* El*: those start events, when there are several (several_starts) */
  PtrVec evstarts;   /* El*: start events of non-interrupting event sub-processes (wrap_process_scope) */
  PtrVec evints;     /* El*: start events of interrupting event sub-processes (wrap_interrupting) */
  PtrVec everrs;     /* El*: error start events of event sub-processes (wrap_error_scope) */
} Proc;

/* A timer given as `${name}` or `=name`: its expression is made in place once the
 * variable has its slot. */
typedef struct VarTimer {
  IrExpr *expr;
  const char *name;
  BpmnUnsaid *unsaid; /* a timer without a time: its parameter (named later) */
} VarTimer;

/* What a timer event says: a first time (a duration from now, or `until`, a
 * datetime), and for a cycle its period and number of runs (NULL: no end). */
typedef struct TimerSpec {
  IrExpr *first;
  IrExpr *every, *times;
  bool until;
} TimerSpec;

/* R[n]/duration (ISO 8601 repeating interval): the runs and the period. Other
 * forms (a start or end date in the interval, cron) are refused with *why. */
static bool parse_cycle(const char *s, int64_t *runs, int64_t *period, const char **why) {
  while (isspace((unsigned char)*s)) s++;
  if (*s != 'R') return (*why = "not an ISO 8601 repeating interval R[n]/duration"), false;
  s++;
  *runs = -1;
  if (isdigit((unsigned char)*s)) {
    int64_t n = 0;
    int digits = 0;
    while (isdigit((unsigned char)*s)) {
      if (++digits > 9) return (*why = "a repeat count too large"), false;
      n = n * 10 + (*s++ - '0');
    }
    *runs = n;
  }
  if (*s != '/') return (*why = "not an ISO 8601 repeating interval R[n]/duration"), false;
  s++;
  if (*s != 'P') return (*why = "only a repeating duration R[n]/PnDTnHnMnS is mapped (no start or end date, no cron)"), false;
  if (!parse_duration(s, period, why)) return false;
  if (*period <= 0) return (*why = "a cycle's period must be above zero"), false;
  return true;
}

/* A timer given by a variable: `${x}`, `${variables.x}`, `#{x}`, `=x` (FEEL). The
 * variable becomes a parameter of type t; *out is filled in once it has a slot. */
static bool var_timer(Proc *P, El *el, const char *text, const Type *t, IrExpr **out) {
  BpmnMap *mp = P->mp;
  const char *why = NULL;
  BpmnCond *c = bpmn_cond_parse(mp, text, NULL, &why);
  if (!c || c->kind != BPMN_C_VAR) {
    char what[96];
    snprintf(what, sizeof what, "the timer expression `%.40s`", text);
    refuse(mp, el, what, c ? "only a variable names a timer's time" : why ? why : "not in the subset");
    return false;
  }
  if (!bpmn_var_use(mp, &P->vars, c->str, t, eid(el->e), el->e->line)) {
    el->refused = true;
    return false;
  }
  VarTimer *vt = arena_alloc(&mp->m->arena, sizeof *vt);
  memset(vt, 0, sizeof *vt);
  vt->name = c->str;
  vt->expr = *out = t == &type_duration ? ir_expr_duration(mp->ir, 0) : ir_expr_int(mp->ir, 0);
  ptrvec_push(&mp->m->arena, &P->var_timers, vt);
  return true;
}

/* `"…"` at *s (after blanks), its text copied: the cursor after it; NULL if none
 * (or the string holds a quote or a backslash: no escapes in a time). */
static const char *feel_string_at(BpmnMap *mp, const char **s) {
  const char *q = *s;
  while (isspace((unsigned char)*q)) q++;
  if (*q != '"') return NULL;
  const char *from = ++q;
  while (*q && *q != '"' && *q != '\\') q++;
  if (*q != '"') return NULL;
  *s = q + 1;
  return arena_strndup(&mp->m->arena, from, (size_t)(q - from));
}

/* `word` at *s (after blanks), then `(`: the cursor after the `(`. */
static bool feel_call_at(const char **s, const char *word) {
  const char *q = *s;
  while (isspace((unsigned char)*q)) q++;
  size_t n = strlen(word);
  if (strncmp(q, word, n) != 0) return false;
  q += n;
  while (isspace((unsigned char)*q)) q++;
  if (*q != '(') return false;
  *s = q + 1;
  return true;
}

static bool feel_close_at(const char **s) {
  const char *q = *s;
  while (isspace((unsigned char)*q)) q++;
  if (*q != ')') return false;
  *s = q + 1;
  return true;
}

/* A timer's time written as a FEEL literal (Camunda 8: `=duration("PT1H")`,
 * `=@"PT1H"`, `="PT1H"`, `=date and time("2026-05-01T10:00:00Z")`,
 * `=cycle(duration("PT1H"))`, `=cycle(3, duration("PT1H"))`): the ISO 8601 text
 * it stands for, read then as a literal time; anything else: the text as it is. */
static const char *feel_timer_literal(BpmnMap *mp, const char *text) {
  const char *s = text;
  while (isspace((unsigned char)*s)) s++;
  if (*s != '=') return text;
  s++;
  while (isspace((unsigned char)*s)) s++;
  const char *lit = NULL, *q = s;
  if (*q == '@') {
    q++;
    lit = feel_string_at(mp, &q);
  } else if (*q == '"') {
    lit = feel_string_at(mp, &q);
  } else if (feel_call_at(&q, "duration") || feel_call_at(&q, "date and time")) {
    lit = feel_string_at(mp, &q);
    if (lit && !feel_close_at(&q)) lit = NULL;
  } else if (feel_call_at(&q, "cycle")) {
    const char *runs = "";
    while (isspace((unsigned char)*q)) q++;
    if (isdigit((unsigned char)*q)) {
      const char *d = q;
      while (isdigit((unsigned char)*q)) q++;
      if (q - d > 9) return text;
      runs = arena_strndup(&mp->m->arena, d, (size_t)(q - d));
      while (isspace((unsigned char)*q)) q++;
      if (*q++ != ',') return text;
    }
    const char *per = NULL;
    if (feel_call_at(&q, "duration")) {
      per = feel_string_at(mp, &q);
      if (per && !feel_close_at(&q)) per = NULL;
    }
    if (per && feel_close_at(&q)) lit = arena_printf(&mp->m->arena, "R%s/%s", runs, per);
  }
  if (!lit) return text;
  while (isspace((unsigned char)*q)) q++;
  return *q ? text : lit;
}

/* The time of a timer event (its only event definition); false after refusing. */
static bool timer_spec(Proc *P, El *el, TimerSpec *ts) {
  BpmnMap *mp = P->mp;
  const BpmnEventDef *d = only_def(el->e);
  const char *why = NULL;
  memset(ts, 0, sizeof *ts);
  const char *text = d->text ? feel_timer_literal(mp, d->text) : NULL;
  if (d->timer == BPMN_TIMER_NONE || !text || !*text) {
    /* when it fires is not said: the host says it when it starts the process */
    ts->until = d->timer == BPMN_TIMER_DATE;
    VarTimer *vt = arena_alloc(&mp->m->arena, sizeof *vt);
    memset(vt, 0, sizeof *vt);
    vt->unsaid = ts->until ? bpmn_unsaid(mp, el->e, "date", &type_datetime, "a timer without a time: when it fires")
                           : bpmn_unsaid(mp, el->e, "duration", &type_duration, "a timer without a time: how long it waits");
    vt->expr = ts->first = ts->until ? ir_expr_int(mp->ir, 0) : ir_expr_duration(mp->ir, 0);
    ptrvec_push(&mp->m->arena, &P->var_timers, vt);
    return true;
  }
  bool expr = strstr(text, "${") || strstr(text, "#{") || text[0] == '=';
  if (expr && d->timer == BPMN_TIMER_CYCLE) {
    refuse(mp, el, "a timer cycle computed by an expression", "only literal R[n]/duration cycles are mapped");
    return false;
  }
  if (expr) {
    ts->until = d->timer == BPMN_TIMER_DATE;
    return var_timer(P, el, text, ts->until ? &type_datetime : &type_duration, &ts->first);
  }
  if (d->timer == BPMN_TIMER_CYCLE) {
    int64_t runs, period;
    if (!parse_cycle(text, &runs, &period, &why)) {
      bpmn_error(mp->m, el->e->line, "%s: timeCycle `%.60s`: %s", eid(el->e), text, why);
      el->refused = true;
      return false;
    }
    ts->first = ir_expr_duration(mp->ir, period);
    ts->every = ir_expr_duration(mp->ir, period);
    ts->times = runs >= 0 ? ir_expr_int(mp->ir, runs) : NULL;
    return true;
  }
  if (d->timer == BPMN_TIMER_DURATION) {
    int64_t secs;
    if (!parse_duration(text, &secs, &why)) {
      bpmn_error(mp->m, el->e->line, "%s: timeDuration `%.60s`: %s", eid(el->e), text, why);
      el->refused = true;
      return false;
    }
    ts->first = ir_expr_duration(mp->ir, secs);
    return true;
  }
  char dt[17];
  if (!parse_datetime(text, dt, &why)) {
    bpmn_error(mp->m, el->e->line, "%s: timeDate `%.60s`: %s", eid(el->e), text, why);
    el->refused = true;
    return false;
  }
  IrExpr **args = ir_exprs(mp->ir, 1);
  args[0] = ir_expr_string(mp->ir, ir_str(mp->ir, dt), 16);
  ts->first = ir_expr_call(mp->ir, &type_datetime, "datetime", args, 1);
  ts->until = true;
  return true;
}

/* A timer start event's schedule: a TIMER trigger whose schedule is the event's
 * text (checked here, kept as written): the host starts the process on that
 * schedule (bp_bundle_process_trigger). No time: no schedule (a warning). False
 * after refusing. timer_start: the process's START with it; NULL after refusing. */
static bool timer_schedule(Proc *P, El *el) {
  BpmnMap *mp = P->mp;
  const BpmnEventDef *d = only_def(el->e);
  const char *why = NULL;
  const char *text = d->text ? feel_timer_literal(mp, d->text) : NULL;
  if (d->timer == BPMN_TIMER_NONE || !text || !*text) {
    /* no schedule is said: the host starts the process when it sees fit */
    bpmn_warning(mp->m, el->e->line, "%s: a timer start event without a time: the process has no schedule, the host starts it",
                 eid(el->e));
    return true;
  }
  if (P->p->trigger.kind == IR_TRIG_TIMER) {
    refuse(mp, el, "a second timer start event", "a process has one schedule, which the host keeps");
    return false;
  }
  if (strstr(text, "${") || strstr(text, "#{") || text[0] == '=') {
    refuse(mp, el, "a timer start event computed by an expression", "the host keeps the schedule: it must be literal");
    return false;
  }
  int64_t a, b;
  char dt[17];
  const char *word = d->timer == BPMN_TIMER_CYCLE ? "timeCycle" : d->timer == BPMN_TIMER_DATE ? "timeDate" : "timeDuration";
  bool ok = d->timer == BPMN_TIMER_CYCLE ? parse_cycle(text, &a, &b, &why)
          : d->timer == BPMN_TIMER_DATE  ? parse_datetime(text, dt, &why)
                                         : parse_duration(text, &a, &why);
  if (!ok) {
    bpmn_error(mp->m, el->e->line, "%s: %s `%.60s`: %s", eid(el->e), word, text, why);
    el->refused = true;
    return false;
  }
  const char *s = text;
  size_t len = strlen(s);
  while (len && isspace((unsigned char)s[len - 1])) len--;
  while (len && isspace((unsigned char)*s)) s++, len--;
  P->p->trigger.kind = IR_TRIG_TIMER;
  P->p->trigger.schedule = arena_strndup(&mp->ir->arena, s, len);
  return true;
}

static IrNode *timer_start(Proc *P, El *el) {
  if (!timer_schedule(P, el)) return NULL;
  IrNode *n = ir_node(P->mp->ir, P->p, IR_START, el->e->id, el->e->line, 0);
  if (P->p->trigger.kind == IR_TRIG_TIMER)
    n->detail = arena_printf(&P->mp->ir->arena, "start · on a schedule %s", P->p->trigger.schedule);
  return n;
}

/* A timer event's wait node: IR_WAIT for a duration, IR_WAIT_UNTIL for a
 * date; NULL after refusing. A cycle on a catch event waits for its first
 * time only: a catch event is passed once (BPMN 2.0 10.5.4 gives a cycle
 * meaning on start and boundary events). */
static IrNode *timer_node(Proc *P, El *el, const char *id) {
  BpmnMap *mp = P->mp;
  TimerSpec ts;
  if (!timer_spec(P, el, &ts)) return NULL;
  IrNode *n = ir_node(mp->ir, P->p, ts.until ? IR_WAIT_UNTIL : IR_WAIT, id, el->e->line, 0);
  n->u.wait.value = ts.first;
  return n;
}

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
  IrNode *n = ir_node(mp->ir, P->p, e->loop.kind == BPMN_LOOP_MULTI && !bpmn_loop_in_turn(e) ? IR_REVIEW : IR_TASK,
                      e->id, e->line, 0);
  el->node = el->entry = el->exit = n;
  const char *title = e->name && *e->name ? e->name : e->origin ? e->origin : eid(e);
  n->title = ir_str(mp->ir, title);
  n->u.human->title = ir_expr_string(mp->ir, n->title, (uint32_t)strlen(n->title));
  n->u.human->mode = IR_MODE_ANY;
  n->u.human->result = -1;
  Pending *pd = &P->pending[P->npending++];
  pd->node = n;
  Who *w = &pd->who;
  memset(w, 0, sizeof *w);
  const BpmnLoop *lp = &e->loop;
  const char *elemvar = NULL;
  if (lp->kind == BPMN_LOOP_MULTI && bpmn_loop_in_turn(e) && (lp->collection ? lp->collection : lp->data_input_ref))
    elemvar = ""; /* one user of the collection a turn (bpmn_loop_wrap) */
  if (lp->kind == BPMN_LOOP_MULTI && !bpmn_loop_in_turn(e)) {
    const char *coll = lp->collection ? lp->collection : lp->data_input_ref;
    size_t cn = strlen(coll);
    char *name = (cn >= 3 && (coll[0] == '$' || coll[0] == '#') && coll[1] == '{' && coll[cn - 1] == '}')
                     ? trim_copy(mp, coll + 2, cn - 3)
                 : coll[0] == '=' ? trim_copy(mp, coll + 1, cn - 1) /* FEEL (Zeebe's inputCollection) */
                                  : trim_copy(mp, coll, cn);
    if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name)) {
      bpmn_error(mp->m, e->line, "%s: the collection `%.60s` is not a variable name", eid(e), coll);
      el->refused = true;
      return;
    }
    bpmn_var_use(mp, &P->vars, name, &type_users, eid(e), e->line);
    w->vars[w->n++] = name;
    elemvar = lp->element_variable ? lp->element_variable : lp->input_item;
    n->u.human->mode = IR_MODE_ALL;
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
      zeebe_counters(c);
      k = strlen(c);
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
        if (strcmp(body, any[i]) == 0) n->u.human->mode = IR_MODE_ANY, found = true;
      for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(body, all[i]) == 0) n->u.human->mode = IR_MODE_ALL, found = true;
      if (!found && bpmn_vote_condition(mp, n, body, &el->vote_count)) {
        found = true;
        el->vote_list = el->vote_count ? name : NULL;
      }
      if (!found) {
        bpmn_error(mp->m, lp->line ? lp->line : e->line,
                   "%s: the completion condition `%.80s` is not supported (mapped: the first "
                   "completion, `nrOfCompletedInstances >= 1`; all, `nrOfCompletedInstances == "
                   "nrOfInstances` or none; a vote, `nrOfCompletedInstances/nrOfInstances >= 0.6` "
                   "or `nrOfApproved >= 2`; a majority, `nrOfCompletedInstances > nrOfInstances / 2`)",
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
    if (!skip_assignee) ok = who_list(mp, &P->vars, el, w, e->assignee, WHO_USERS) && ok;
    ok = who_list(mp, &P->vars, el, w, e->candidate_users, WHO_USERS) && ok;
    ok = who_list(mp, &P->vars, el, w, e->candidate_groups, WHO_GROUPS) && ok;
    for (uint32_t i = 0; i < e->performers.n; i++) {
      const BpmnPerformer *pf = e->performers.items[i];
      if (pf->expression && *pf->expression)
        ok = who_list(mp, &P->vars, el, w, pf->expression,
                      pf->role == BPMN_RES_POTENTIAL_OWNER && mp->m->engine_extensions ? WHO_OWNERS : WHO_USERS) &&
             ok;
      else if (pf->resource_ref && *pf->resource_ref)
        ok = who_list(mp, &P->vars, el, w, pf->resource_ref, WHO_GROUPS) && ok;
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

/* ---- errors and escalations: try scopes around activities ------------------------------------- */

/* The code an error or escalation event definition names: its root element's errorCode /
 * escalationCode, else its name, else its id (a reference to no root element: the
 * reference itself); NULL without a reference. An escalation's code is prefixed with
 * "escalation " so that it is never taken for an error's. *name: the root's name or "". */
static const char *event_code(BpmnMap *mp, const BpmnEventDef *d, BpmnEventDefKind dk, const char **name) {
  *name = "";
  if (!d || !d->ref) return NULL;
  const PtrVec *roots = dk == BPMN_DEF_ERROR ? &mp->m->errors : &mp->m->escalations;
  const char *code = d->ref;
  for (uint32_t i = 0; i < roots->n; i++) {
    const BpmnRootRef *r = roots->items[i];
    if (!r->id || strcmp(r->id, d->ref) != 0) continue;
    code = r->code && *r->code ? r->code : r->name && *r->name ? r->name : r->id;
    *name = r->name ? r->name : "";
    break;
  }
  return dk == BPMN_DEF_ERROR ? code : arena_printf(&mp->ir->arena, "escalation %s", code);
}

/* What an end event throws: its definition's code, else (no reference) one made of its id. */
static const char *thrown_code(BpmnMap *mp, const El *el, BpmnEventDefKind dk, const char **name) {
  const char *code = event_code(mp, only_def(el->e), dk, name);
  if (code) return code;
  return dk == BPMN_DEF_ERROR ? eid(el->e) : arena_printf(&mp->ir->arena, "escalation %s", eid(el->e));
}

/* Does boundary b (of kind dk) catch code? A boundary without a reference catches every
 * code of its kind. */
static bool boundary_catches(BpmnMap *mp, const El *b, BpmnEventDefKind dk, const char *code) {
  if (def_kind(b->e) != dk) return false;
  const char *name;
  const char *c = event_code(mp, only_def(b->e), dk, &name);
  return !c || strcmp(c, code) == 0;
}

/* An error end event throws its error (caught by the innermost sub-process boundary that
 * takes it, else the instance fails with it). An escalation end event throws only when a
 * boundary of an enclosing sub-process catches it: BPMN lets an escalation that nobody
 * catches end its token and nothing more. */
static IrNode *throw_node(Proc *P, El *el, BpmnEventDefKind dk) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  const char *name;
  const char *code = thrown_code(mp, el, dk, &name);
  if (dk == BPMN_DEF_ESCALATION) {
    bool caught = false;
    bool in_esp = false, skip = false;
    for (const El *s = el->sub; s && !caught; s = s->sub) {
      /* an event sub-process's handler runs after the scope of the sub-process holding
       * it: that sub-process's catches do not take what the handler throws */
      for (uint32_t i = 0; i < s->catches.n && !caught && !skip; i++)
        caught = boundary_catches(mp, s->catches.items[i], dk, code);
      skip = s->e->triggered_by_event;
      if (skip && !s->sub) in_esp = true; /* the process's own event sub-process */
    }
    /* an interrupting escalation event sub-process of the process (wrap_error_scope),
     * for the process's own flow: not for an event sub-process's flow, which runs after
     * the scope */
    for (uint32_t i = 0; i < P->nels && !caught && !in_esp; i++) {
      const El *st = &P->els[i];
      if (st->e->kind == BPMN_START_EVENT && st->sub && st->sub->e->triggered_by_event && !st->sub->sub &&
          st->e->interrupting)
        caught = boundary_catches(mp, st, dk, code);
    }
    if (!caught) return ir_node(ir, P->p, IR_END, el->e->id, el->e->line, 0);
  }
  IrNode *n = ir_node(ir, P->p, IR_THROW, el->e->id, el->e->line, 0);
  n->u.throw_.code = ir_expr_string(ir, ir_str(ir, code), (uint32_t)strlen(code));
  n->u.throw_.message = ir_expr_string(ir, ir_str(ir, name), (uint32_t)strlen(name));
  return n;
}

/* An error or escalation boundary event: kept with its activity, which becomes a try scope
 * (wrap_catch_scope). Errors reach a host action (the host fails it with a code), an
 * embedded sub-process (its error end events, its actions) and a human step (nothing
 * fails one: the boundary is never taken). */
static void catch_boundary(Proc *P, El *b, El *act, BpmnEventDefKind dk) {
  BpmnMap *mp = P->mp;
  const char *word = def_word(dk);
  char what[96];
  if (dk == BPMN_DEF_ESCALATION && !b->e->cancel_activity) {
    refuse(mp, b, "a non-interrupting escalation boundary event",
           "the sub-process would go on while the boundary's flow runs; only interrupting ones are mapped");
    return;
  }
  bool sub = act && act->e->kind == BPMN_SUB_PROCESS && !act->e->triggered_by_event &&
             act->e->loop.kind == BPMN_LOOP_NONE;
  if (!act || !(is_human(act->e->kind) || is_action(act->e->kind) || sub) || act->e->loop.kind != BPMN_LOOP_NONE) {
    snprintf(what, sizeof what, "%s %s boundary event on this activity", article(word), word);
    refuse(mp, b, what, "only tasks, host actions and embedded sub-processes without loops catch errors");
    return;
  }
  ptrvec_push(&mp->m->arena, &act->catches, b);
}

/* The meeting point each boundary of `list` (El*) leaves from: an IR_MERGE with its id,
 * made before the flows are mapped. */
static void boundary_nodes(Proc *P, const PtrVec *list) {
  for (uint32_t i = 0; i < list->n; i++) {
    El *b = list->items[i];
    IrNode *n = ir_node(P->mp->ir, P->p, IR_MERGE, b->e->id, b->e->line, 0);
    n->title = ir_str(P->mp->ir, b->e->name && *b->e->name ? b->e->name : "");
    b->node = b->entry = b->exit = n;
  }
}

/* The meeting point each catching boundary's flows leave from. */
static void catch_nodes(Proc *P, El *act) {
  PtrVec bounds = {0}; /* the boundaries: an event sub-process's start event has its node */
  for (uint32_t i = 0; i < act->catches.n; i++) {
    El *b = act->catches.items[i];
    if (b->e->kind == BPMN_BOUNDARY_EVENT) ptrvec_push(&P->mp->m->arena, &bounds, b);
  }
  boundary_nodes(P, &bounds);
}

/* Every flow edge that leaves `from` leaves `to` instead (edges [0, ne) only). */
static void move_out_edges(IrProc *p, uint32_t ne, IrNode *from, IrNode *to) {
  for (uint32_t i = 0; i < ne; i++) {
    IrEdge *e = ir_edge_at(p, i);
    if (e->from == from && (e->kind == IR_E_FLOW || e->kind == IR_E_LOOP || e->kind == IR_E_COND || e->kind == IR_E_ELSE))
      e->from = to;
  }
}

/* The codes of every escalation an end event of this process throws (a catch-all
 * escalation boundary catches these); a code no event throws when there is none. */
static uint32_t all_escalations(Proc *P, const char ***out) {
  const char **codes = arena_alloc(&P->mp->m->arena, (P->nels + 1) * sizeof *codes);
  uint32_t n = 0;
  for (uint32_t i = 0; i < P->nels; i++) {
    const El *el = &P->els[i];
    const char *name;
    if (el->e->kind == BPMN_END_EVENT && def_kind(el->e) == BPMN_DEF_ESCALATION)
      codes[n++] = thrown_code(P->mp, el, BPMN_DEF_ESCALATION, &name);
  }
  if (!n) codes[n++] = "escalation";
  *out = codes;
  return n;
}

/* An activity with error / escalation boundaries becomes a try scope: TRY before its
 * entry, a TRY_END after its exit (and after each of its timer boundaries, which leave
 * the scope too), a CATCH edge to each boundary: those naming a code first, in document
 * order, then those catching any. Runs once the flows are in place: the edges into the
 * entry go to the TRY, those out of the exit leave from the TRY_END. */
static void wrap_catch_scope(Proc *P, El *act) {
  if (!act->catches.n || !act->entry || !act->exit) return;
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  uint32_t ne = p->edges.n, line = act->e->line;
  IrNode *t = ir_node(ir, p, IR_TRY, sub_id(mp, act->e, "try"), line, 0);
  t->title = ir_str(ir, "try");
  t->u.try_.slot = ir_slot(ir, p, sub_id(mp, act->e, "error_code"), &type_string, IR_SLOT_HIDDEN);
  ir_slot(ir, p, sub_id(mp, act->e, "error_message"), &type_string, IR_SLOT_HIDDEN);
  IrNode *leave = ir_node(ir, p, IR_TRY_END, sub_id(mp, act->e, "leave"), line, 0);
  move_out_edges(p, ne, act->exit, leave);
  for (uint32_t i = 0; i < act->bounds.n; i++) {
    El *b = act->bounds.items[i];
    if (!b->exit) continue;
    IrNode *bl = ir_node(ir, p, IR_TRY_END, sub_id(mp, b->e, "leave"), b->e->line, 0);
    move_out_edges(p, ne, b->exit, bl);
    ir_edge(ir, p, b->exit, bl, IR_E_FLOW, NULL);
  }
  for (uint32_t i = 0; i < ne; i++) {
    IrEdge *e = ir_edge_at(p, i);
    if (e->to == act->entry) e->to = t;
  }
  ir_edge(ir, p, t, act->entry, IR_E_FLOW, NULL);
  ir_edge(ir, p, act->exit, leave, IR_E_FLOW, NULL);
  uint32_t arm = 0;
  for (int any = 0; any < 2; any++)
    for (uint32_t i = 0; i < act->catches.n; i++) {
      El *b = act->catches.items[i];
      BpmnEventDefKind dk = def_kind(b->e);
      const char *name;
      const char *code = event_code(mp, only_def(b->e), dk, &name);
      const char **codes = &code;
      uint32_t n = 1;
      if (!code && dk == BPMN_DEF_ESCALATION) n = all_escalations(P, &codes);
      else if (!code) n = 0; /* any error */
      if ((n == 0 || (!code && dk == BPMN_DEF_ESCALATION)) != (any == 1)) continue;
      if (b->entry) ir_edge_catch(ir, p, t, b->entry, arm++, codes, n, ir_str(ir, code ? code : "any"));
    }
  act->entry = t;
  act->exit = leave;
}

/* An element's own condition (WHAT: "completion", "start"), parsed and typed; NULL, the
 * element refused and the reason reported, when it is outside the subset. */
static BpmnCond *element_cond(Proc *P, El *el, const char *what, const char *text, const char *language) {
  BpmnMap *mp = P->mp;
  const BpmnElement *e = el->e;
  const char *why = NULL;
  BpmnCond *c = bpmn_cond_parse(mp, text, language, &why);
  if (!c) {
    bpmn_error(mp->m, e->line, "%s: the %s condition `%.80s` is not supported (%s)", eid(e), what, text,
               why ? why : "not in the subset");
    el->refused = true;
    return NULL;
  }
  if (!bpmn_cond_type(mp, &P->vars, c, eid(e), e->line)) {
    el->refused = true;
    return NULL;
  }
  return c;
}

/* An ad-hoc sub-process (BPMN 2.0 10.3.5), ordering Parallel: every inner activity
 * without incoming flows opens at once (its performers pick the order; inner flows
 * still order what they connect), and the sub-process is done when all are: the
 * sub-process's implicit start forks to them and its end `ID__done` is a JOIN when
 * there are several. A completion condition is tested after each inner activity
 * completes; when it holds the rest is cancelled and the sub-process completes
 * (wrap_adhoc). Sequential ordering (one activity at a time, in an order chosen as
 * they go) and cancelRemainingInstances="false" are refused. */
static void map_adhoc(Proc *P, El *el) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  BpmnElement *e = el->e;
  if (e->ordering && strcmp(e->ordering, "Parallel") != 0) {
    refuse(mp, el, "a sequential ad-hoc sub-process",
           "its activities run one at a time in an order chosen as they go; the IR offers no choice of the next step");
    return;
  }
  if (e->ad_hoc_completion && *e->ad_hoc_completion) {
    if (!e->cancel_remaining) {
      refuse(mp, el, "an ad-hoc sub-process with cancelRemainingInstances=\"false\"",
             "its open activities would run on after the completion condition holds while no new one starts; only cancelling them is mapped");
      return;
    }
    el->adhoc_cond = element_cond(P, el, "completion", e->ad_hoc_completion, NULL);
    if (!el->adhoc_cond) return;
  }
  uint32_t firsts = 0;
  for (uint32_t i = 0; i < P->nels; i++) {
    const El *c = &P->els[i];
    if (c->sub == el && !c->in.n && c->e->kind != BPMN_BOUNDARY_EVENT) firsts++;
  }
  el->node = el->entry = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
  el->exit = ir_node(ir, P->p, firsts > 1 ? IR_JOIN : IR_MERGE, sub_id(mp, e, "done"), e->line, 0);
  el->entry->title = ir_str(ir, e->name && *e->name ? e->name : "");
}

/* A conditional start event at the process's level (BPMN 2.0 10.5.2): the instance
 * is started when the condition holds. As an engine's condition evaluation API does
 * (the caller gives the variables, the engine starts the processes whose start
 * condition holds), the host starts the instance with its start parameters, and the
 * condition is tested first: START, a CHOICE `ID__condition`, on at `ID__met` when it
 * holds, else an IR_TERMINATE `ID__not_met` that names the event. The CHOICE's edges
 * are drawn by wrap_start_cond once the variables' types are known. */
static IrNode *conditional_start(Proc *P, El *el) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  BpmnElement *e = el->e;
  const BpmnEventDef *d = only_def(e);
  const char *text = d ? d->text : NULL;
  if (!text || !*text) {
    refuse(mp, el, "a conditional start event without a condition", "nothing says when the process starts");
    return NULL;
  }
  el->start_cond = element_cond(P, el, "start", text, d->language);
  if (!el->start_cond) return NULL;
  IrNode *n = ir_node(ir, P->p, IR_START, e->id, e->line, 0);
  IrNode *choice = el->start_choice = ir_node(ir, P->p, IR_CHOICE, sub_id(mp, e, "condition"), e->line, 0);
  choice->title = ir_str(ir, "the start condition");
  ir_edge(ir, P->p, n, choice, IR_E_FLOW, NULL);
  el->exit = ir_node(ir, P->p, IR_MERGE, sub_id(mp, e, "met"), e->line, 0);
  bpmn_warning(mp->m, e->line,
               "%s: a conditional start event: the host starts the instance, which ends at once (terminated) "
               "unless the condition holds on its start parameters",
               eid(e));
  return n;
}

static void wrap_start_cond(Proc *P, El *el) {
  if (!el->start_cond || !el->start_choice || !el->exit) return;
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  const char *id = eid(el->e);
  IrExpr *cond = bpmn_cond_build(mp, P->p, &P->vars, el->start_cond);
  if (!cond) return;
  ir_edge_cond(ir, P->p, el->start_choice, el->exit, 0, cond, ir_str(ir, "holds"));
  IrNode *t = ir_node(ir, P->p, IR_TERMINATE, sub_id(mp, el->e, "not_met"), el->e->line, 0);
  const char *reason = arena_printf(&ir->arena, "the start condition of %s does not hold", id);
  t->u.terminate.reason = ir_expr_string(ir, reason, (uint32_t)strlen(reason));
  ir_edge(ir, P->p, el->start_choice, t, IR_E_ELSE, NULL);
}

/* An ad-hoc sub-process's completion condition: a try scope around it; after each
 * inner activity a CHOICE tests the condition, and when it holds a THROW of the code
 * `ID completed`, which only this scope catches, stops everything still open inside
 * (docs/language.md: try) and the flow goes on after the sub-process. Runs once the
 * flows are drawn, before loops and error boundaries wrap the sub-process. */
static void wrap_adhoc(Proc *P, El *ah) {
  if (!ah->adhoc_cond || !ah->entry || !ah->exit) return;
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  uint32_t ne = p->edges.n, line = ah->e->line;
  const char *code = arena_printf(&ir->arena, "%s completed", eid(ah->e));
  IrNode *th = ir_node(ir, p, IR_THROW, sub_id(mp, ah->e, "completed"), line, 0);
  th->title = ir_str(ir, "the completion condition holds");
  th->u.throw_.code = ir_expr_string(ir, code, (uint32_t)strlen(code));
  th->u.throw_.message = ir_expr_string(ir, "", 0);
  for (uint32_t i = 0; i < P->nels; i++) {
    El *a = &P->els[i];
    BpmnFamily f = bpmn_kind_family(a->e->kind);
    if (a->sub != ah || !a->exit || (f != BPMN_FAM_ACTIVITY && f != BPMN_FAM_CONTAINER)) continue;
    IrNode *test = ir_node(ir, p, IR_CHOICE, sub_id(mp, a->e, "completion"), a->e->line, 0);
    test->title = "";
    IrNode *go = ir_node(ir, p, IR_MERGE, sub_id(mp, a->e, "go_on"), a->e->line, 0);
    go->title = "";
    move_out_edges(p, ne, a->exit, go);
    ir_edge(ir, p, a->exit, test, IR_E_FLOW, NULL);
    IrExpr *cond = bpmn_cond_build(mp, p, &P->vars, ah->adhoc_cond);
    ir_edge_cond(ir, p, test, th, 0, cond, "completed")->line = line;
    ir_edge(ir, p, test, go, IR_E_ELSE, NULL);
  }
  IrNode *t = ir_node(ir, p, IR_TRY, sub_id(mp, ah->e, "scope"), line, 0);
  t->title = ir_str(ir, "until the completion condition holds");
  t->u.try_.slot = ir_slot(ir, p, sub_id(mp, ah->e, "completed_code"), &type_string, IR_SLOT_HIDDEN);
  ir_slot(ir, p, sub_id(mp, ah->e, "completed_message"), &type_string, IR_SLOT_HIDDEN);
  IrNode *leave = ir_node(ir, p, IR_TRY_END, sub_id(mp, ah->e, "all_done"), line, 0);
  IrNode *after = ir_node(ir, p, IR_MERGE, sub_id(mp, ah->e, "after"), line, 0);
  after->title = "";
  move_out_edges(p, ne, ah->exit, after);
  for (uint32_t i = 0; i < ne; i++) {
    IrEdge *ed = ir_edge_at(p, i);
    if (ed->to == ah->entry) ed->to = t;
  }
  ir_edge(ir, p, t, ah->entry, IR_E_FLOW, NULL);
  ir_edge(ir, p, ah->exit, leave, IR_E_FLOW, NULL);
  ir_edge(ir, p, leave, after, IR_E_FLOW, NULL);
  const char **codes = arena_alloc(&ir->arena, sizeof *codes);
  codes[0] = code;
  ir_edge_catch(ir, p, t, after, 0, codes, 1, ir_str(ir, "completed"));
  ah->entry = t;
  ah->exit = after;
}

static void map_element(Proc *P, El *el) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  BpmnElement *e = el->e;
  BpmnEventDefKind dk = def_kind(e);
  IrNode *n = NULL;
  switch (e->kind) {
  case BPMN_START_EVENT:
    if (!el->sub && P->nstarts > 1) { /* one of several ways in (several_starts) */
      if (dk != BPMN_DEF_NONE && dk != BPMN_DEF_TIMER && !is_message_def(dk)) {
        char what[64];
        snprintf(what, sizeof what, "%s %s start event", article(def_word(dk)), def_word(dk));
        refuse(mp, el, what, def_why(dk));
        return;
      }
      if (dk == BPMN_DEF_TIMER && !timer_schedule(P, el)) return;
      n = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
      ptrvec_push(&mp->m->arena, &P->starts, el);
      break;
    }
    if (dk == BPMN_DEF_TIMER && !el->sub && !P->p->start) {
      n = timer_start(P, el);
      if (!n) return;
      break;
    }
    if (el->sub && el->sub->e->triggered_by_event) { /* an event sub-process's start */
      bool listens = dk == BPMN_DEF_TIMER || is_message_def(dk);
      if (el->sub->sub) { /* inside an embedded sub-process: caught by its scope (wrap_inner_esps) */
        El *holder = el->sub->sub;
        if (!(dk == BPMN_DEF_ERROR || dk == BPMN_DEF_ESCALATION) || !e->interrupting) {
          char what[120];
          snprintf(what, sizeof what, "an event sub-process inside a sub-process started by %s %s%s start event",
                   article(e->interrupting ? "interrupting" : "non-interrupting"), e->interrupting ? "interrupting " : "non-interrupting ",
                   def_word(dk));
          refuse(mp, el, what,
                 "inside a sub-process only error and interrupting escalation starts are mapped, as a try scope around it; listeners need a scope of their own, which the flattened sub-process has not");
          return;
        }
        if (holder->e->triggered_by_event || holder->e->ad_hoc || holder->e->loop.kind != BPMN_LOOP_NONE) {
          refuse(mp, el, "an event sub-process inside an event sub-process, an ad-hoc sub-process or a sub-process with a loop",
                 "only sub-processes without loops catch errors");
          return;
        }
        if (el->sub->inner) {
          refuse(mp, el, "a second start event in an event sub-process", "an event sub-process starts at one place");
          return;
        }
        n = el->sub->inner = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
        ptrvec_push(&mp->m->arena, &holder->catches, el);
        ptrvec_push(&mp->m->arena, &holder->esps, el->sub);
        break;
      }
      if ((dk == BPMN_DEF_ERROR || (dk == BPMN_DEF_ESCALATION && e->interrupting)) && !el->sub->sub) {
        /* catches the flow's errors or escalations (wrap_error_scope) */
        if (!e->interrupting) {
          refuse(mp, el, "a non-interrupting error start event", "BPMN 2.0 10.5.2: an error start event always interrupts");
          return;
        }
        if (el->sub->inner) {
          refuse(mp, el, "a second start event in an event sub-process", "an event sub-process starts at one place");
          return;
        }
        n = el->sub->inner = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
        ptrvec_push(&mp->m->arena, &P->everrs, el);
        break;
      }
      if (!listens) {
        char what[96];
        snprintf(what, sizeof what, "an event sub-process started by %s %s%s start event", article(e->interrupting ? "interrupting" : def_word(dk)),
                 e->interrupting ? "interrupting " : "", def_word(dk));
        refuse(mp, el, what, "only message, signal and timer starts are listened for");
        return;
      }
      if (el->sub->inner) {
        refuse(mp, el, "a second start event in an event sub-process", "an event sub-process starts at one place");
        return;
      }
      n = el->sub->inner = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
      ptrvec_push(&mp->m->arena, e->interrupting ? &P->evints : &P->evstarts, el);
      break;
    }
    if (dk == BPMN_DEF_CONDITIONAL && !el->sub && !P->p->start) {
      n = conditional_start(P, el);
      if (!n) return;
      break;
    }
    /* message / signal start: the host starts the instance when it arrives (no trigger
     * of that kind in the IR; docs/bpmn.md) */
    if (dk != BPMN_DEF_NONE && !(is_message_def(dk) && !el->sub)) {
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
    if (is_message_def(dk)) { /* sends, then the token ends (or its sub-process goes on) */
      n = send_node(mp, P->p, el);
      if (el->sub && el->sub->exit) ir_edge(ir, P->p, n, el->sub->exit, IR_E_FLOW, NULL);
      break;
    }
    if (el->sub && dk != BPMN_DEF_NONE && dk != BPMN_DEF_ERROR && dk != BPMN_DEF_ESCALATION) {
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
    else if (dk == BPMN_DEF_ERROR || dk == BPMN_DEF_ESCALATION) n = throw_node(P, el, dk);
    else {
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
    if (is_message_def(dk)) {
      n = receive_node(mp, P->p, el, e->id);
      break;
    }
    if (dk != BPMN_DEF_TIMER) {
      char what[80];
      snprintf(what, sizeof what, "%s %s intermediate catch event", article(def_word(dk)), def_word(dk));
      refuse(mp, el, what, def_why(dk));
      return;
    }
    n = timer_node(P, el, e->id);
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
    if (is_message_def(dk)) {
      n = send_node(mp, P->p, el);
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
    if (!bpmn_form_plan(mp, &P->vars, e, n)) el->refused = true;
    break;
  case BPMN_SERVICE_TASK: case BPMN_SEND_TASK: case BPMN_BUSINESS_RULE_TASK: case BPMN_SCRIPT_TASK:
    n = ir_node(ir, P->p, IR_ACTION, e->id, e->line, 0);
    n->u.action.action = (uint16_t)action_index(mp, e->action_name ? e->action_name : e->origin ? e->origin : eid(e));
    n->u.action.result = -1;
    n->title = ir_str(ir, e->name && *e->name ? e->name : e->origin ? e->origin : eid(e));
    break;
  case BPMN_RECEIVE_TASK:
    if (e->instantiate) {
      refuse(mp, el, "an instantiating receive task", "processes start when the host starts them");
      return;
    }
    if (e->loop.kind != BPMN_LOOP_NONE) {
      refuse(mp, el, "a loop on a receive task", "loops on activities are not mapped");
      return;
    }
    n = receive_node(mp, P->p, el, e->id);
    break;
  case BPMN_CALL_ACTIVITY: /* run in place as a sub-process (bpmn_call.c), or refused there */
    return;
  case BPMN_SUB_PROCESS:
    if (e->triggered_by_event) {
      /* inside a sub-process: its start event decides (error and escalation ones are
       * mapped, wrap_inner_esps) */
      /* its flow starts at its start event (a listener's path, wrap_process_scope) and
       * ends at `ID__done`, where the handler's token ends */
      el->node = el->exit = ir_node(ir, P->p, IR_MERGE, sub_id(mp, e, "done"), e->line, 0);
      el->exit->title = ir_str(ir, e->name && *e->name ? e->name : "");
      for (uint32_t i = 0; i < P->nels; i++) { /* its none end events mapped before it */
        El *c = &P->els[i];
        if (c->sub == el && c->node && c->e->kind == BPMN_END_EVENT && def_kind(c->e) == BPMN_DEF_NONE)
          ir_edge(ir, P->p, c->node, el->exit, IR_E_FLOW, NULL);
      }
      return;
    }
    if (e->ad_hoc) {
      map_adhoc(P, el);
      return;
    }
    /* embedded: flattened into the process between two meeting points */
    el->node = el->entry = ir_node(ir, P->p, IR_MERGE, e->id, e->line, 0);
    el->exit = ir_node(ir, P->p, IR_MERGE, sub_id(mp, e, "done"), e->line, 0);
    el->entry->title = ir_str(ir, e->name && *e->name ? e->name : "");
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
  case BPMN_INCLUSIVE_GATEWAY: /* a join, or where a split begins (plan_inclusive) */
    n = ir_node(ir, P->p, el->in.n > 1 ? IR_JOIN : IR_MERGE, e->id, e->line, 0);
    break;
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

/* A refusal of a timer boundary event that names the kind of its activity. */
static void refuse_timer_on(BpmnMap *mp, El *b, const El *act, const char *what, const char *why) {
  char text[120];
  const char *kind = act ? bpmn_kind_name(act->e->kind) : "activity";
  snprintf(text, sizeof text, "%s on %s %s", what, article(kind), kind);
  if (act && act->e->kind == BPMN_SUB_PROCESS)
    why = "a sub-process is flattened into the process: no step holds its tokens for a timer";
  refuse(mp, b, text, why);
}

/* Marks in seen[] every element reachable from el's outgoing flows, not going on
 * past those marked in stop[] (if given). */
static void reach_from(Proc *P, const El *el, bool *seen, const bool *stop) {
  uint32_t *stack = arena_alloc(&P->mp->m->arena, (P->nels + 1) * sizeof *stack);
  uint32_t top = 0;
  for (uint32_t i = 0; i < el->out.n; i++) {
    El *t = el_find(&P->map, bpmn_find_element(P->mp->m, ((BpmnFlow *)el->out.items[i])->target));
    if (t && !seen[t - P->els]) seen[t - P->els] = true, stack[top++] = (uint32_t)(t - P->els);
  }
  while (top) {
    const El *x = &P->els[stack[--top]];
    if (stop && stop[x - P->els]) continue;
    for (uint32_t i = 0; i < x->out.n; i++) {
      El *t = el_find(&P->map, bpmn_find_element(P->mp->m, ((BpmnFlow *)x->out.items[i])->target));
      if (t && !seen[t - P->els]) seen[t - P->els] = true, stack[top++] = (uint32_t)(t - P->els);
    }
  }
}

/* Whether the path out of boundary b meets the path out of its activity, and
 * only at parallel joins (which wait for both tokens): then the two paths are the
 * branches of a parallel split. Meeting anywhere else (an exclusive merge, the
 * activity itself) is left to the graph checker, which refuses two regions
 * flowing into one node. */
static bool rejoins(Proc *P, const El *b, const El *act) {
  bool *from_b = arena_alloc(&P->mp->m->arena, (P->nels + 1) * sizeof *from_b);
  bool *from_act = arena_alloc(&P->mp->m->arena, (P->nels + 1) * sizeof *from_act);
  memset(from_b, 0, (P->nels + 1) * sizeof *from_b);
  memset(from_act, 0, (P->nels + 1) * sizeof *from_act);
  reach_from(P, act, from_act, NULL);
  from_act[act - P->els] = true;
  reach_from(P, b, from_b, from_act);
  bool meets = false;
  for (uint32_t i = 0; i < P->nels; i++)
    if (from_b[i] && from_act[i]) {
      if (P->els[i].e->kind != BPMN_PARALLEL_GATEWAY) return false;
      meets = true;
    }
  return meets;
}

static bool listens_on(const El *act);
static void listen_boundary(Proc *P, El *b, El *act, BpmnEventDefKind dk);

/* A non-interrupting timer: on a human task, an `after` handler of its step
 * (its path a token of its own, which the task completing does not stop);
 * when that path flows back into the task's own (a parallel join waiting for
 * both), a parallel branch beside the task that waits for the timer. */
static void non_interrupting(Proc *P, El *b, El *act) {
  BpmnMap *mp = P->mp;
  if (act && !is_human(act->e->kind) && listens_on(act)) {
    listen_boundary(P, b, act, BPMN_DEF_TIMER);
    return;
  }
  if (!act || !is_human(act->e->kind)) {
    refuse_timer_on(mp, b, act, "a non-interrupting timer boundary event",
                    "only a human task keeps running while the timer's token goes on");
    return;
  }
  if (!rejoins(P, b, act)) {
    ptrvec_push(&mp->m->arena, &act->afters, b);
    return;
  }
  const BpmnEventDef *d = only_def(b->e);
  if (d && d->timer == BPMN_TIMER_CYCLE) {
    refuse(mp, b, "a repeating non-interrupting timer whose path joins its task's",
           "each run would bring one more token to the place where the paths meet");
    return;
  }
  ptrvec_push(&mp->m->arena, &act->forks, b);
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
    if (dk == BPMN_DEF_ERROR || dk == BPMN_DEF_ESCALATION) {
      catch_boundary(P, b, act, dk);
      continue;
    }
    if (is_message_def(dk) && !b->e->cancel_activity) {
      listen_boundary(P, b, act, dk);
      continue;
    }
    if (is_message_def(dk)) {
      if (message_boundary(mp, b, act, dk)) ptrvec_push(&mp->m->arena, &act->bounds, b);
      continue;
    }
    if (dk != BPMN_DEF_TIMER) {
      char what[80];
      snprintf(what, sizeof what, "%s %s boundary event", article(def_word(dk)), def_word(dk));
      refuse(mp, b, what, def_why(dk));
      continue;
    }
    if (!b->e->cancel_activity) {
      non_interrupting(P, b, act);
      continue;
    }
    if (!act || !(is_human(act->e->kind) || is_action(act->e->kind) || act->e->kind == BPMN_RECEIVE_TASK)) {
      refuse_timer_on(mp, b, act, "a timer boundary event", "only tasks, host actions and receive tasks can be raced against a timer");
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
    bool message = is_message_def(def_kind(b->e));
    IrNode *t = message ? receive_node(mp, P->p, b, b->e->id) : timer_node(P, b, b->e->id);
    if (!t) continue;
    if (!message) t->title = ir_str(mp->ir, b->e->name && *b->e->name ? b->e->name : "");
    b->node = b->entry = b->exit = t;
    IrEdge *ed = ir_edge(mp->ir, P->p, w, t, IR_E_FLOW, NULL);
    ed->arm = i + 1;
  }
}

/* Non-interrupting timers on a human task: `after` handlers of its step, each
 * entered at an IR_MERGE named by the boundary event; a cycle repeats it. */
static void wrap_afters(Proc *P, El *act) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  if (!act->afters.n || !act->node) return;
  IrHuman *h = act->node->u.human;
  uint32_t n = act->afters.n;
  h->after_delay = ir_exprs(ir, n);
  h->after_every = ir_exprs(ir, n);
  h->after_times = ir_exprs(ir, n);
  h->after_entry = arena_alloc(&ir->arena, (n + 1) * sizeof *h->after_entry);
  for (uint32_t i = 0; i < n; i++) {
    El *b = act->afters.items[i];
    TimerSpec ts;
    if (!timer_spec(P, b, &ts)) continue;
    IrExpr *delay = ts.first;
    if (ts.until) { /* a date: how long from when the task opens, 0 once it has passed */
      IrExpr *now = ir_expr_call(ir, &type_datetime, "now", NULL, 0);
      IrExpr **args = ir_exprs(ir, 2);
      args[0] = ir_expr_binary(ir, &type_duration, IR_OP_SUB, ts.first, now);
      args[1] = ir_expr_duration(ir, 0);
      delay = ir_expr_call(ir, &type_duration, "max", args, 2);
    }
    IrNode *entry = ir_node(ir, P->p, IR_MERGE, b->e->id, b->e->line, 0);
    entry->title = ir_str(ir, b->e->name && *b->e->name ? b->e->name : "");
    b->node = b->entry = b->exit = entry;
    const BpmnEventDef *d = only_def(b->e);
    const char *label = arena_printf(&ir->arena, "after %.40s", d && d->text ? d->text : "");
    ir_edge(ir, P->p, act->node, entry, IR_E_TIMER, label);
    uint32_t k = h->nafters++;
    h->after_delay[k] = delay;
    h->after_every[k] = ts.every;
    h->after_times[k] = ts.times;
    h->after_entry[k] = entry;
  }
}

/* Non-interrupting timers whose path rejoins the task's: a FORK before the task
 * (`ID__fork`), one branch the task, one per timer waiting for it. Exact while
 * the timer fires before the task completes; after that BPMN would cancel the
 * timer and its join would wait for ever, here the timer still fires (docs/bpmn.md). */
static void wrap_forks(Proc *P, El *act) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  if (!act->forks.n || !act->node) return;
  if (act->bounds.n) {
    refuse(mp, act->forks.items[0], "a non-interrupting timer whose path joins its task's, on a task with an interrupting timer too",
           "the interrupting timer would withdraw the task but not the other timer's branch");
    return;
  }
  IrNode *f = ir_node(ir, P->p, IR_FORK, sub_id(mp, act->e, "fork"), act->e->line, 0);
  ir_edge(ir, P->p, f, act->entry, IR_E_FLOW, NULL)->arm = 0;
  act->entry = f;
  for (uint32_t i = 0; i < act->forks.n; i++) {
    El *b = act->forks.items[i];
    IrNode *t = timer_node(P, b, b->e->id);
    if (!t) continue;
    t->title = ir_str(ir, b->e->name && *b->e->name ? b->e->name : "");
    b->node = b->entry = b->exit = t;
    ir_edge(ir, P->p, f, t, IR_E_FLOW, NULL)->arm = i + 1;
  }
}

/* ---- handlers beside an activity: non-interrupting boundary events ---------------------

   A non-interrupting message, signal or timer boundary event sends a token along its own
   path each time it fires while the activity runs, and the activity goes on. The
   activity becomes a race (`ID__scope`, an IR_RACE whose IR_RACE_JOIN `ID__scope_end`
   the activity's own path reaches) with one more branch per boundary: a listener that
   waits for the event (an IR_RECEIVE `B__listen`, an IR_WAIT `B__wait`) and then starts
   the boundary's path as a token of its own (an IR_SPAWN `B__spawn`, whose TIMER edge
   leads to an IR_MERGE named by the boundary). A message or signal listener waits again
   (each arrival runs the path once more); a timer runs once, or again every period of a
   cycle. The activity completing reaches the race's join first, which withdraws the
   listeners; paths already started go on (they are in no race). The same shape as
   `.bp`'s `on message` beside a step (docs/language.md). */

/* The activities a boundary's listeners can run beside: tasks, host actions, receive
 * tasks and embedded sub-processes, without loops. */
static bool listens_on(const El *act) {
  BpmnKind k = act->e->kind;
  bool sub = k == BPMN_SUB_PROCESS && !act->e->triggered_by_event;
  return (is_human(k) || is_action(k) || k == BPMN_RECEIVE_TASK || sub) && act->e->loop.kind == BPMN_LOOP_NONE;
}

/* Whether the path out of boundary b meets the activity's own path anywhere but at an end
 * event (a token of its own cannot merge into another flow). */
static bool meets_activity_path(Proc *P, const El *b, const El *act) {
  bool *from_b = arena_alloc(&P->mp->m->arena, (P->nels + 1) * sizeof *from_b);
  bool *from_act = arena_alloc(&P->mp->m->arena, (P->nels + 1) * sizeof *from_act);
  memset(from_b, 0, (P->nels + 1) * sizeof *from_b);
  memset(from_act, 0, (P->nels + 1) * sizeof *from_act);
  reach_from(P, act, from_act, NULL);
  from_act[act - P->els] = true;
  reach_from(P, b, from_b, NULL);
  for (uint32_t i = 0; i < P->nels; i++)
    if (from_b[i] && from_act[i] && P->els[i].e->kind != BPMN_END_EVENT) return true;
  return false;
}

static void listen_boundary(Proc *P, El *b, El *act, BpmnEventDefKind dk) {
  BpmnMap *mp = P->mp;
  char what[96];
  snprintf(what, sizeof what, "a non-interrupting %s boundary event", def_word(dk));
  if (!act || !listens_on(act)) {
    const char *kind = act ? bpmn_kind_name(act->e->kind) : "activity";
    char text[160];
    snprintf(text, sizeof text, "%s on %s %s", what, article(kind), kind);
    refuse(mp, b, text, "only tasks, host actions, receive tasks and embedded sub-processes without loops run handlers beside them");
    return;
  }
  if (meets_activity_path(P, b, act)) {
    refuse(mp, b, what, "its path meets the activity's own path: a token of its own cannot merge into another flow");
    return;
  }
  ptrvec_push(&mp->m->arena, &act->listens, b);
}

/* The meeting point each listening boundary's path leaves from (before the flows are
 * mapped). */
static void listen_nodes(Proc *P, El *act) { boundary_nodes(P, &act->listens); }

/* A timer listener: wait for the first time, start the path; with a period, wait again
 * and start it again, at most `times` runs in all (a hidden int slot counts them). */
static IrNode *timer_listener(Proc *P, El *b, IrNode *spawn, IrNode **first) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  TimerSpec ts;
  if (!timer_spec(P, b, &ts)) return NULL;
  IrNode *w = ir_node(ir, p, ts.until ? IR_WAIT_UNTIL : IR_WAIT, sub_id(mp, b->e, "wait"), b->e->line, 0);
  w->u.wait.value = ts.first;
  *first = w;
  if (!ts.every) {
    ir_edge(ir, p, w, spawn, IR_E_FLOW, NULL);
    ir_edge(ir, p, spawn, ir_node(ir, p, IR_END, sub_id(mp, b->e, "listened"), b->e->line, 0), IR_E_FLOW, NULL);
    return w;
  }
  IrNode *again = ir_node(ir, p, IR_WAIT, sub_id(mp, b->e, "every"), b->e->line, 0);
  again->u.wait.value = ts.every;
  if (!ts.times) {
    ir_edge(ir, p, w, spawn, IR_E_FLOW, NULL);
    ir_edge(ir, p, spawn, again, IR_E_FLOW, NULL);
    ir_edge(ir, p, again, spawn, IR_E_FLOW, NULL);
    return w;
  }
  /* runs = 0 before the first wait; after each start: runs + 1 < times ? wait again : end */
  uint16_t slot = ir_slot(ir, p, sub_id(mp, b->e, "runs"), &type_int, IR_SLOT_HIDDEN);
  IrNode *zero = ir_node(ir, p, IR_ASSIGN, sub_id(mp, b->e, "runs0"), b->e->line, 0);
  zero->u.assign.to_slot = true;
  zero->u.assign.index = slot;
  zero->u.assign.type = &type_int;
  zero->u.assign.value = ir_expr_int(ir, 0);
  IrNode *count = ir_node(ir, p, IR_ASSIGN, sub_id(mp, b->e, "count"), b->e->line, 0);
  count->u.assign.to_slot = true;
  count->u.assign.index = slot;
  count->u.assign.type = &type_int;
  count->u.assign.value = ir_expr_binary(ir, &type_int, IR_OP_ADD, ir_expr_slot(ir, p, slot), ir_expr_int(ir, 1));
  IrNode *more = ir_node(ir, p, IR_CHOICE, sub_id(mp, b->e, "more"), b->e->line, 0);
  IrNode *done = ir_node(ir, p, IR_END, sub_id(mp, b->e, "listened"), b->e->line, 0);
  *first = zero;
  ir_edge(ir, p, zero, w, IR_E_FLOW, NULL);
  ir_edge(ir, p, w, spawn, IR_E_FLOW, NULL);
  ir_edge(ir, p, spawn, count, IR_E_FLOW, NULL);
  ir_edge(ir, p, count, more, IR_E_FLOW, NULL);
  ir_edge_cond(ir, p, more, again, 0,
               ir_expr_binary(ir, &type_bool, IR_OP_LT, ir_expr_slot(ir, p, slot), ts.times), "more runs");
  ir_edge(ir, p, more, done, IR_E_ELSE, "done");
  ir_edge(ir, p, again, spawn, IR_E_FLOW, NULL);
  return w;
}

/* An activity with interrupting boundaries too (an event race inside the listeners'
 * race: MIWG C.9.1's receive task, reminded daily, given up after a week): every way out
 * of it — the activity done, each interrupting event — must reach the listeners' join,
 * which withdraws them. Each way stores its number in a hidden int slot `ID__way` and goes
 * to the join; after it an IR_CHOICE `ID__ways` sends the token on along that way's flows
 * (from an IR_MERGE `ID__way_N`, N = 0 the activity, 1.. its boundaries in order). */
static void listen_ways_out(Proc *P, El *act, uint32_t ne, IrNode *join) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  uint32_t line = act->e->line;
  uint16_t slot = ir_slot(ir, p, sub_id(mp, act->e, "way"), &type_int, IR_SLOT_HIDDEN);
  IrNode *choice = ir_node(ir, p, IR_CHOICE, sub_id(mp, act->e, "ways"), line, 0);
  ir_edge(ir, p, join, choice, IR_E_FLOW, NULL);
  uint32_t arm = 0;
  for (uint32_t k = 0; k <= act->bounds.n; k++) {
    El *b = k ? act->bounds.items[k - 1] : NULL;
    IrNode *exit = b ? b->exit : act->exit;
    if (!exit) continue;
    IrNode *set = ir_node(ir, p, IR_ASSIGN, arena_printf(&ir->arena, "%s__way_set_%u", eid(act->e), (unsigned)k), line, 0);
    set->u.assign.to_slot = true;
    set->u.assign.index = slot;
    set->u.assign.type = &type_int;
    set->u.assign.value = ir_expr_int(ir, k);
    IrNode *way = ir_node(ir, p, IR_MERGE, arena_printf(&ir->arena, "%s__way_%u", eid(act->e), (unsigned)k), line, 0);
    move_out_edges(p, ne, exit, way);
    ir_edge(ir, p, exit, set, IR_E_FLOW, NULL);
    ir_edge(ir, p, set, join, IR_E_FLOW, NULL);
    if (!b) {
      ir_edge(ir, p, choice, way, IR_E_ELSE, "done");
      act->exit = way;
    } else {
      IrExpr *is = ir_expr_binary(ir, &type_bool, IR_OP_EQ, ir_expr_slot(ir, p, slot), ir_expr_int(ir, k));
      ir_edge_cond(ir, p, choice, way, arm++, is, b->e->name && *b->e->name ? ir_str(ir, b->e->name) : eid(b->e));
      b->exit = way;
    }
  }
}

static void wrap_listen_scope(Proc *P, El *act) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  if (!act->listens.n || !act->entry || !act->exit || act->refused) return;
  if (act->listens.n + 1 > 255) {
    refuse(mp, act->listens.items[0], "more than 254 non-interrupting boundary events on one activity", "a race has at most 255 branches");
    return;
  }
  uint32_t ne = p->edges.n, line = act->e->line;
  IrNode *race = ir_node(ir, p, IR_RACE, sub_id(mp, act->e, "scope"), line, 0);
  IrNode *join = ir_node(ir, p, IR_RACE_JOIN, sub_id(mp, act->e, "scope_end"), line, 0);
  if (!act->bounds.n) move_out_edges(p, ne, act->exit, join);
  for (uint32_t i = 0; i < ne; i++) {
    IrEdge *e = ir_edge_at(p, i);
    if (e->to == act->entry && e->kind != IR_E_TIMER) e->to = race;
  }
  ir_edge(ir, p, race, act->entry, IR_E_FLOW, NULL)->arm = 0;
  if (act->bounds.n) listen_ways_out(P, act, ne, join);
  else ir_edge(ir, p, act->exit, join, IR_E_FLOW, NULL);
  for (uint32_t i = 0; i < act->listens.n; i++) {
    El *b = act->listens.items[i];
    IrNode *spawn = ir_node(ir, p, IR_SPAWN, sub_id(mp, b->e, "spawn"), b->e->line, 0);
    spawn->title = ir_str(ir, b->e->name && *b->e->name ? b->e->name : "");
    ir_edge(ir, p, spawn, b->entry, IR_E_TIMER, NULL);
    IrNode *first = NULL;
    if (def_kind(b->e) == BPMN_DEF_TIMER) {
      if (!timer_listener(P, b, spawn, &first)) continue;
    } else {
      first = receive_node(mp, p, b, sub_id(mp, b->e, "listen"));
      ir_edge(ir, p, first, spawn, IR_E_FLOW, NULL);
      ir_edge(ir, p, spawn, first, IR_E_FLOW, NULL);
    }
    ir_edge(ir, p, race, first, IR_E_FLOW, NULL)->arm = i + 1;
  }
  act->entry = race;
  if (!act->bounds.n) act->exit = join;
}

/* Non-interrupting event sub-processes at the process's level (BPMN 2.0 10.3.5): while
 * the process's own flow runs, each arrival of the start event's message or signal (each
 * firing of its timer) runs the event sub-process's flow as a token of its own. The same
 * listeners as for a boundary event beside an activity (wrap_listen_scope), beside the
 * whole flow: its START goes on to an IR_MERGE `PROC__body`, and each IR_END of the flow
 * becomes an IR_MERGE into `PROC__body_end`, the scope's end, after which one IR_END
 * ends the process; the race's join withdraws the listeners there. Runs before the
 * activities' own listeners are made, so every END reachable from START (through any
 * edge but the TIMER edges of started paths) is the flow's own. */
/* Interrupting event sub-processes at the process's level (BPMN 2.0 10.3.5): the first
 * of their events to come while the process's own flow runs cancels that flow and runs
 * its event sub-process instead; the flow done first withdraws the events. An event race
 * around the whole flow: IR_RACE `PROC__scope`, its arm 0 the flow (from `PROC__body` to
 * `PROC__body_end`), one arm per event sub-process waiting for its message or signal (an
 * IR_RECEIVE `START__listen`) or for its timer's first time (`START__wait`: a start event
 * fires once). Every way into the IR_RACE_JOIN `PROC__scope_end` stores its number in a
 * hidden int slot `PROC__way`; after the join an IR_CHOICE `PROC__ways` goes on to the
 * event sub-process that won (from the IR_MERGE named by its start event), else to the
 * process's end. The join withdraws the other arms: the flow's open steps and timers,
 * the other events. */
static void wrap_interrupting(Proc *P, BpmnElement *pe, IrEdge *into_body, IrNode *body, IrNode *body_end,
                              IrNode **race_out, IrNode **join_out) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  if (P->evints.n + 1 > 255) {
    refuse(mp, P->evints.items[0], "more than 254 interrupting event sub-processes in one process", "a race has at most 255 branches");
    return;
  }
  if (P->evstarts.n) {
    refuse(mp, P->evints.items[0], "an interrupting event sub-process beside non-interrupting ones",
           "the paths the non-interrupting ones start run as tokens of their own, which the runtime does not cancel when the interrupting one wins; BPMN cancels them");
    return;
  }
  IrNode *race = ir_node(ir, p, IR_RACE, sub_id(mp, pe, "scope"), p->line, 0);
  IrNode *join = ir_node(ir, p, IR_RACE_JOIN, sub_id(mp, pe, "scope_end"), p->line, 0);
  IrNode *choice = ir_node(ir, p, IR_CHOICE, sub_id(mp, pe, "ways"), p->line, 0);
  *race_out = race;
  *join_out = join;
  uint16_t slot = ir_slot(ir, p, sub_id(mp, pe, "way"), &type_int, IR_SLOT_HIDDEN);
  into_body->to = race;
  ir_edge(ir, p, race, body, IR_E_FLOW, NULL)->arm = 0;
  ir_edge(ir, p, join, choice, IR_E_FLOW, NULL);
  for (uint32_t k = 0; k <= P->evints.n; k++) {
    El *b = k ? P->evints.items[k - 1] : NULL;
    IrNode *from = body_end;
    if (b) {
      TimerSpec ts;
      if (def_kind(b->e) == BPMN_DEF_TIMER) {
        if (!timer_spec(P, b, &ts)) continue;
        from = ir_node(ir, p, ts.until ? IR_WAIT_UNTIL : IR_WAIT, sub_id(mp, b->e, "wait"), b->e->line, 0);
        from->u.wait.value = ts.first;
      } else {
        from = receive_node(mp, p, b, sub_id(mp, b->e, "listen"));
      }
      ir_edge(ir, p, race, from, IR_E_FLOW, NULL)->arm = k;
    }
    uint32_t line = b ? b->e->line : p->line;
    IrNode *set = ir_node(ir, p, IR_ASSIGN, arena_printf(&ir->arena, "%s__way_set_%u", eid(pe), (unsigned)k), line, 0);
    set->u.assign.to_slot = true;
    set->u.assign.index = slot;
    set->u.assign.type = &type_int;
    set->u.assign.value = ir_expr_int(ir, k);
    ir_edge(ir, p, from, set, IR_E_FLOW, NULL);
    ir_edge(ir, p, set, join, IR_E_FLOW, NULL);
    if (!b) continue;
    IrExpr *is = ir_expr_binary(ir, &type_bool, IR_OP_EQ, ir_expr_slot(ir, p, slot), ir_expr_int(ir, k));
    const BpmnElement *esp = b->sub->e;
    ir_edge_cond(ir, p, choice, b->entry, k - 1, is,
                 esp->name && *esp->name ? ir_str(ir, esp->name) : eid(esp));
  }
  ir_edge(ir, p, choice, ir_node(ir, p, IR_END, sub_id(mp, pe, "end"), p->line, 0), IR_E_ELSE, "done");
}

/* After the whole process is mapped: an interrupting event sub-process cancels the
 * process's flow, but not a path the flow started as a token of its own (IR_SPAWN: a
 * non-interrupting boundary or event sub-process; a TIMER edge out of a step: an
 * `after` handler), which the runtime lets run on when its scope ends. BPMN cancels
 * them too, so such a process is refused. */
static void check_interrupting(Proc *P) {
  if (!P->evints.n && !P->everrs.n) return;
  El *first = P->evints.n ? P->evints.items[0] : P->everrs.items[0];
  IrProc *p = P->p;
  const char *own = NULL;
  for (uint32_t i = 0; i < p->nodes.n && !own; i++) {
    const IrNode *n = ir_node_at(p, i);
    if (n->kind == IR_SPAWN) own = n->id;
  }
  for (uint32_t i = 0; i < p->edges.n && !own; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    if (e->kind == IR_E_TIMER && e->from->kind != IR_SPAWN) own = e->from->id;
  }
  if (!own) return;
  char why[200];
  snprintf(why, sizeof why, "`%.60s` starts a path of its own, which the runtime does not cancel when the event sub-process interrupts the process; BPMN cancels it", own);
  refuse(P->mp, first, "an interrupting event sub-process beside paths started on their own", why);
}

/* The try scope from ENTRY to EXIT whose catches are the error event sub-processes
 * (P->everrs); returns the scope's exit. */
static IrNode *catch_event_errors(Proc *P, BpmnElement *pe, IrNode *entry, IrNode *exit) {
  El act;
  memset(&act, 0, sizeof act);
  act.e = pe;
  act.entry = entry;
  act.exit = exit;
  for (uint32_t i = 0; i < P->everrs.n; i++) ptrvec_push(&P->mp->m->arena, &act.catches, P->everrs.items[i]);
  wrap_catch_scope(P, &act);
  return act.exit;
}

/* Event sub-processes started by an error at the process's level (BPMN 2.0 10.3.5,
 * 10.5.2: an error start event always interrupts): an error the process's flow does
 * not catch itself — an error end event, a host action the host fails with a code —
 * cancels the flow and runs the event sub-process whose errorRef names its code (one
 * without errorRef takes any). The whole flow, from `PROC__body` to `PROC__body_end`,
 * is a try scope (as an activity with error boundaries is, wrap_catch_scope) whose
 * catches lead to the event sub-processes' start events; the scope's end goes on to
 * the process's end `PROC__end`. */
static void wrap_error_scope(Proc *P, BpmnElement *pe, IrNode *body, IrNode *body_end) {
  BpmnMap *mp = P->mp;
  IrNode *exit = catch_event_errors(P, pe, body, body_end);
  ir_edge(mp->ir, P->p, exit, ir_node(mp->ir, P->p, IR_END, sub_id(mp, pe, "end"), P->p->line, 0), IR_E_FLOW, NULL);
}

/* Error event sub-processes beside interrupting message, signal or timer ones: the try
 * scope holds the event race (wrap_interrupting) up to its join, so an error of the
 * process's flow withdraws the flow and the events and runs the error's event
 * sub-process; the one that won the race runs after the scope (an error in it is not
 * caught there). */
static void wrap_error_race(Proc *P, BpmnElement *pe, IrNode *race, IrNode *join) {
  catch_event_errors(P, pe, race, join);
}

static void wrap_process_scope(Proc *P) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  if ((!P->evstarts.n && !P->evints.n && !P->everrs.n) || !p->start) return;
  if (P->everrs.n && P->evstarts.n) {
    refuse(mp, P->everrs.items[0], "an error event sub-process beside non-interrupting event sub-processes",
           "the paths those start run as tokens of their own, which the runtime does not cancel when the error interrupts the process; BPMN cancels them");
    return;
  }
  uint32_t nn = p->nodes.n, ne = p->edges.n;
  /* out-edges by node (the IR links them only in ir_finish) */
  uint32_t *first = arena_alloc(&mp->m->arena, (nn + 1) * sizeof *first);
  uint32_t *next = arena_alloc(&mp->m->arena, (ne + 1) * sizeof *next);
  for (uint32_t i = 0; i <= nn; i++) first[i] = UINT32_MAX;
  for (uint32_t i = 0; i < ne; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    next[i] = first[e->from->index];
    first[e->from->index] = i;
  }
  bool *seen = arena_alloc(&mp->m->arena, (nn + 1) * sizeof *seen);
  uint32_t *stack = arena_alloc(&mp->m->arena, (nn + 1) * sizeof *stack), top = 0;
  memset(seen, 0, (nn + 1) * sizeof *seen);
  seen[p->start->index] = true;
  stack[top++] = p->start->index;
  while (top) {
    uint32_t v = stack[--top];
    for (uint32_t i = first[v]; i != UINT32_MAX; i = next[i]) {
      const IrEdge *e = ir_edge_at(p, i);
      if (e->kind == IR_E_TIMER || seen[e->to->index]) continue;
      seen[e->to->index] = true;
      stack[top++] = e->to->index;
    }
  }
  BpmnElement *pe = arena_alloc(&mp->m->arena, sizeof *pe);
  memset(pe, 0, sizeof *pe);
  pe->id = p->name;
  pe->kind = BPMN_SUB_PROCESS;
  pe->line = p->line;
  El act;
  memset(&act, 0, sizeof act);
  act.e = pe;
  IrNode *body = ir_node(ir, p, IR_MERGE, sub_id(mp, pe, "body"), p->line, 0);
  IrNode *body_end = ir_node(ir, p, IR_MERGE, sub_id(mp, pe, "body_end"), p->line, 0);
  move_out_edges(p, ne, p->start, body);
  IrEdge *into_body = ir_edge(ir, p, p->start, body, IR_E_FLOW, NULL);
  for (uint32_t i = 0; i < nn; i++) {
    IrNode *n = ir_node_at(p, i);
    if (!seen[i] || n->kind != IR_END) continue;
    n->kind = IR_MERGE;
    ir_edge(ir, p, n, body_end, IR_E_FLOW, NULL);
  }
  if (P->evints.n) {
    IrNode *race = NULL, *join = NULL;
    wrap_interrupting(P, pe, into_body, body, body_end, &race, &join);
    if (P->everrs.n && race) wrap_error_race(P, pe, race, join);
    return; /* non-interrupting ones beside them are refused there */
  }
  if (P->everrs.n) {
    wrap_error_scope(P, pe, body, body_end);
    return;
  }
  act.entry = body;
  act.exit = body_end;
  for (uint32_t i = 0; i < P->evstarts.n; i++) ptrvec_push(&mp->m->arena, &act.listens, P->evstarts.items[i]);
  wrap_listen_scope(P, &act);
  ir_edge(ir, p, act.exit, ir_node(ir, p, IR_END, sub_id(mp, pe, "end"), p->line, 0), IR_E_FLOW, NULL);
}

/* Event sub-processes started by an error or an (interrupting) escalation inside an
 * embedded sub-process (BPMN 2.0 10.3.5): the sub-process is a try scope whose catches
 * lead to their start events, as for error boundary events (wrap_catch_scope); the
 * handler runs in place of the rest of the sub-process, which then completes: its end
 * `ESP__done` and the scope's end meet at an IR_MERGE `SUB__after`, where the
 * sub-process's outgoing flows leave. A sub-process with error or escalation boundary
 * events too is refused: the event sub-processes' scope would have to lie inside the
 * boundaries' (a try inside a try), and one scope holds both. */
static void check_inner_esps(Proc *P, El *act) {
  if (!act->esps.n || act->refused) return;
  for (uint32_t i = 0; i < act->catches.n; i++) {
    El *b = act->catches.items[i];
    if (b->e->kind != BPMN_BOUNDARY_EVENT) continue;
    El *first = act->esps.items[0];
    refuse(P->mp, first, "an error or escalation event sub-process in a sub-process that has error or escalation boundary events",
           "the event sub-process's scope lies inside the boundaries'; nested scopes on one sub-process are not mapped");
    act->catches.n = 0;
    return;
  }
}

static void wrap_inner_esps(Proc *P, El *act) {
  if (!act->esps.n || !act->catches.n || !act->exit) return;
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  IrNode *after = ir_node(ir, p, IR_MERGE, sub_id(mp, act->e, "after"), act->e->line, 0);
  uint32_t ne = p->edges.n;
  move_out_edges(p, ne, act->exit, after);
  ir_edge(ir, p, act->exit, after, IR_E_FLOW, NULL);
  for (uint32_t i = 0; i < act->esps.n; i++) {
    El *esp = act->esps.items[i];
    if (esp->exit) ir_edge(ir, p, esp->exit, after, IR_E_FLOW, NULL);
  }
  act->exit = after;
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
    if (el->e->kind != BPMN_EXCLUSIVE_GATEWAY && !el->incl) {
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

/* ---- inclusive splits and joins ------------------------------------------------ */

/* Conditional flows out of an inclusive gateway, or out of an activity (BPMN's
 * implicit inclusive split, 13.2.1): every flow whose condition holds is
 * taken, a flow without a condition always, the default only when no other
 * is. When at most one can be taken (one conditional flow, no unconditional
 * one) that is an exclusive choice. Otherwise the branches must all meet at
 * one inclusive join (a single-entry, single-exit region): the conditions
 * are evaluated first into hidden slots, then a FORK gives every flow a
 * branch that runs its elements when its slot holds and goes straight to the
 * JOIN when not, so the JOIN always gets one token per branch. */

static El *flow_target(Proc *P, const BpmnFlow *f) {
  return el_find(&P->map, bpmn_find_element(P->mp->m, f->target));
}

static bool is_default(const El *el, const BpmnFlow *f) {
  return el->e->default_flow && f->id && strcmp(el->e->default_flow, f->id) == 0;
}

static bool is_incl_join(const El *el) { return el->e->kind == BPMN_INCLUSIVE_GATEWAY && el->in.n > 1; }

/* The inclusive join every branch of split meets first, or NULL with *why. */
static El *find_join(Proc *P, El *split, uint32_t *seen, uint32_t *stamp, El **stack, const char **why) {
  El *join = NULL;
  for (uint32_t i = 0; i < split->out.n; i++) {
    El *to = flow_target(P, split->out.items[i]);
    if (!to) continue;
    uint32_t mark = ++*stamp, n = 0;
    stack[n++] = to;
    seen[to - P->els] = mark;
    while (n) {
      El *x = stack[--n];
      if (is_incl_join(x)) {
        if (join && join != x) {
          *why = arena_printf(&P->mp->m->arena, "its branches meet at two inclusive joins, %s and %s", eid(join->e), eid(x->e));
          return NULL;
        }
        join = x;
        continue;
      }
      if (x->out.n == 0) {
        *why = arena_printf(&P->mp->m->arena, "a branch ends at %s without meeting the others at an inclusive join",
                            eid(x->e));
        return NULL;
      }
      for (uint32_t k = 0; k < x->out.n; k++) {
        El *y = flow_target(P, x->out.items[k]);
        if (!y || seen[y - P->els] == mark) continue;
        seen[y - P->els] = mark;
        stack[n++] = y;
      }
    }
  }
  if (!join) *why = "its branches meet at no inclusive join";
  else if (join->in.n != split->out.n)
    *why = arena_printf(&P->mp->m->arena, "its %u branches meet at %s, which has %u incoming flows: each branch must be one flow into the join",
                        split->out.n, eid(join->e), join->in.n);
  return join && join->in.n == split->out.n ? join : NULL;
}

static void plan_inclusive(Proc *P) {
  BpmnMap *mp = P->mp;
  uint32_t *seen = NULL, stamp = 0;
  El **stack = NULL;
  for (uint32_t i = 0; i < P->nels; i++) {
    El *el = &P->els[i];
    BpmnFamily fam = bpmn_kind_family(el->e->kind);
    bool gate = el->e->kind == BPMN_INCLUSIVE_GATEWAY;
    if (!gate && fam != BPMN_FAM_ACTIVITY && fam != BPMN_FAM_CONTAINER) continue;
    uint32_t nu = 0, nc = 0;
    for (uint32_t k = 0; k < el->out.n; k++) {
      const BpmnFlow *f = el->out.items[k];
      if (f->condition) nc++;
      else if (!is_default(el, f)) nu++;
    }
    if (!gate && nc == 0) continue;
    if (gate && el->out.n <= 1 && nc == 0) continue;
    if (nu == 0 && nc <= 1) {
      el->incl = INCL_CHOICE;
      continue;
    }
    if (!seen) {
      seen = arena_alloc(&mp->m->arena, P->nels * sizeof *seen);
      memset(seen, 0, P->nels * sizeof *seen);
      stack = arena_alloc(&mp->m->arena, (P->nels + 1) * sizeof *stack);
    }
    const char *why = NULL;
    El *join = find_join(P, el, seen, &stamp, stack, &why);
    if (!join) {
      refuse(mp, el, gate ? "an inclusive split whose branches do not all meet at one inclusive join"
                          : "conditional flows out of an activity that do not all meet again at one inclusive join",
             why);
      continue;
    }
    el->incl = INCL_SPLIT;
    el->join = join;
    join->joined = true;
  }
  for (uint32_t i = 0; i < P->nels; i++) {
    El *el = &P->els[i];
    if (is_incl_join(el) && !el->joined)
      refuse(mp, el, "an inclusive join without a matching inclusive split",
             "the IR has no join that waits only for tokens that can still arrive; a join is mapped where the "
             "branches of one inclusive split all meet it");
  }
}

static IrExpr *any_of(IrProgram *ir, IrProc *p, const uint16_t *slots, uint32_t n) {
  IrExpr *x = NULL;
  for (uint32_t i = 0; i < n; i++) {
    IrExpr *s = ir_expr_slot(ir, p, slots[i]);
    x = x ? ir_expr_binary(ir, &type_bool, IR_OP_OR, x, s) : s;
  }
  return x ? x : ir_expr_bool(ir, false);
}

static IrNode *no_match(Proc *P, El *el) {
  IrProgram *ir = P->mp->ir;
  IrNode *t = ir_node(ir, P->p, IR_TERMINATE, sub_id(P->mp, el->e, "no_match"), el->e->line, 0);
  const char *reason = arena_printf(&ir->arena, "no condition of %s %s holds",
                                    el->e->kind == BPMN_INCLUSIVE_GATEWAY ? "gateway" : "the flows out of", eid(el->e));
  t->u.terminate.reason = ir_expr_string(ir, reason, (uint32_t)strlen(reason));
  return t;
}

static void inclusive_flows(Proc *P, El *el) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  BpmnElement *e = el->e;
  IrNode *from = el->exit;
  if (el->incl == INCL_CHOICE) {
    IrNode *c = ir_node(ir, p, IR_CHOICE, sub_id(mp, e, "choice"), e->line, 0);
    ir_edge(ir, p, from, c, IR_E_FLOW, NULL);
    bool has_default = false;
    uint32_t arm = 0;
    for (uint32_t i = 0; i < el->out.n; i++) {
      BpmnFlow *f = el->out.items[i];
      El *to = flow_target(P, f);
      if (!to || !to->entry) continue;
      const char *label = flow_label(f);
      if (is_default(el, f)) {
        ir_edge(ir, p, c, to->entry, IR_E_ELSE, ir_str(ir, f->name && *f->name ? f->name : "default"));
        has_default = true;
        continue;
      }
      IrExpr *x = el->conds[i] ? bpmn_cond_build(mp, p, &P->vars, el->conds[i]) : ir_expr_bool(ir, true);
      ir_edge_cond(ir, p, c, to->entry, arm++, x, label ? ir_str(ir, label) : NULL)->line = f->line;
    }
    if (!has_default) ir_edge(ir, p, c, no_match(P, el), IR_E_ELSE, "no match");
    return;
  }
  /* the conditions first, each into its slot */
  uint16_t *slots = arena_alloc(&mp->m->arena, (el->out.n + 1) * sizeof *slots);
  uint16_t *cslots = arena_alloc(&mp->m->arena, (el->out.n + 1) * sizeof *cslots);
  uint32_t nc = 0, nu = 0;
  int32_t def = -1;
  IrNode *last = from;
  for (uint32_t i = 0; i < el->out.n; i++) {
    BpmnFlow *f = el->out.items[i];
    if (is_default(el, f)) {
      def = (int32_t)i;
      continue;
    }
    if (!el->conds[i]) {
      nu++;
      continue;
    }
    slots[i] = cslots[nc++] = ir_slot(ir, p, arena_printf(&ir->arena, "%s.cond%u", eid(e), i), &type_bool, IR_SLOT_HIDDEN);
    IrNode *a = ir_node(ir, p, IR_ASSIGN, arena_printf(&ir->arena, "%s__cond_%u", eid(e), i), f->line, 0);
    a->u.assign.to_slot = true;
    a->u.assign.index = slots[i];
    a->u.assign.type = &type_bool;
    a->u.assign.value = bpmn_cond_build(mp, p, &P->vars, el->conds[i]);
    a->title = ir_str(ir, arena_printf(&ir->arena, "test %.60s", f->condition));
    ir_edge(ir, p, last, a, IR_E_FLOW, NULL);
    last = a;
  }
  if (def >= 0) { /* the default: only when no other flow is taken */
    BpmnFlow *f = el->out.items[def];
    slots[def] = ir_slot(ir, p, arena_printf(&ir->arena, "%s.default", eid(e)), &type_bool, IR_SLOT_HIDDEN);
    IrNode *a = ir_node(ir, p, IR_ASSIGN, sub_id(mp, e, "default"), f->line, 0);
    a->u.assign.to_slot = true;
    a->u.assign.index = slots[def];
    a->u.assign.type = &type_bool;
    a->title = "default: none holds";
    a->u.assign.value = nu ? ir_expr_bool(ir, false)
                           : ir_expr_unary(ir, &type_bool, IR_OP_NOT, any_of(ir, p, cslots, nc));
    ir_edge(ir, p, last, a, IR_E_FLOW, NULL);
    last = a;
  } else if (nu == 0) { /* no condition holds and no default: the instance fails naming the element */
    IrNode *g = ir_node(ir, p, IR_CHOICE, sub_id(mp, e, "any"), e->line, 0);
    ir_edge(ir, p, last, g, IR_E_FLOW, NULL);
    IrNode *fork = ir_node(ir, p, IR_FORK, sub_id(mp, e, "split"), e->line, 0);
    ir_edge_cond(ir, p, g, fork, 0, any_of(ir, p, cslots, nc), "any");
    ir_edge(ir, p, g, no_match(P, el), IR_E_ELSE, "no match");
    last = fork;
  }
  IrNode *fork = last;
  if (last->kind != IR_FORK) {
    fork = ir_node(ir, p, IR_FORK, sub_id(mp, e, "split"), e->line, 0);
    ir_edge(ir, p, last, fork, IR_E_FLOW, NULL);
  }
  IrNode *join = el->join->entry;
  for (uint32_t i = 0; i < el->out.n; i++) {
    BpmnFlow *f = el->out.items[i];
    El *to = flow_target(P, f);
    if (!to || !to->entry) continue;
    const char *label = flow_label(f);
    if ((int32_t)i != def && !el->conds[i]) { /* always taken */
      ir_edge(ir, p, fork, to->entry, IR_E_FLOW, label ? ir_str(ir, label) : NULL)->arm = i;
      continue;
    }
    IrNode *c = ir_node(ir, p, IR_CHOICE, arena_printf(&ir->arena, "%s__take_%u", eid(e), i), f->line, 0);
    ir_edge(ir, p, fork, c, IR_E_FLOW, NULL)->arm = i;
    ir_edge_cond(ir, p, c, to->entry, 0, ir_expr_slot(ir, p, slots[i]),
                 label ? ir_str(ir, label) : (int32_t)i == def ? "default" : "taken");
    ir_edge(ir, p, c, join, IR_E_ELSE, "not taken");
  }
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
  if (el->incl) {
    inclusive_flows(P, el);
    return;
  }
  if (el->out.n == 0) {
    if (from->kind == IR_END || from->kind == IR_TERMINATE || from->kind == IR_THROW) return;
    if (el->sub) { /* the token's end inside a sub-process: on after it */
      if (e->kind == BPMN_SUB_PROCESS && e->triggered_by_event) return; /* after its scope: wrap_inner_esps */
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
      const char *label = flow_label(f);
      IrEdge *ce = ir_edge_cond(ir, p, from, to->entry, arm++, c, label ? ir_str(ir, label) : NULL);
      if (c) ce->line = f->line;
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
    /* an event sub-process's elements too (wrap_process_scope, wrap_inner_esps) */
    if (e->kind == BPMN_SUB_PROCESS) collect(P, &e->children, el);
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

/* ---- joins that BPMN's token semantics leave waiting for ever ------------------------------ */

/* A parallel join fires once a token has arrived on every incoming flow (BPMN 2.0
 * 13.4.1). Which elements can get a token at all is a fixpoint over the flows where a
 * parallel join needs all of its incoming flows and every other element one: an
 * over-approximation (counts, loops and timing are ignored), so what it finds no token
 * for gets none in any run. Two exact consequences are reported, naming the join:
 *  - a join that gets no token on some incoming flow although others do: the flow's
 *    source never runs (a gateway's default flow is never taken when another flow of
 *    it has no condition);
 *  - a join that gets tokens in the whole graph, but in no run where exclusive gateway
 *    X (on no cycle: it runs at most once) takes one of its flows: it needs tokens
 *    from two alternatives of X.
 * Models that reach such a join deadlock under BPMN's semantics; engines that pass a
 * "discard" token along the flows not taken (bpmn-engine) run them (docs/bpmn.md). */
typedef struct Tok {
  Proc *P;
  uint8_t *live;     /* per El: gets a token */
  uint32_t *stack;
} Tok;

static uint32_t el_index(const Proc *P, const El *el) { return (uint32_t)(el - P->els); }

static bool is_and_join(const El *el) { return el->e->kind == BPMN_PARALLEL_GATEWAY && el->in.n > 1; }

/* Is flow f (out of el) ever taken when el runs? The default of a gateway or activity
 * is not when another flow of it has no condition. forced: the only flow of `fx` taken. */
static bool flow_on(const El *el, const BpmnFlow *f, const El *fx, const BpmnFlow *forced) {
  if (el == fx && f != forced) return false;
  if (!is_default(el, f)) return true;
  for (uint32_t i = 0; i < el->out.n; i++) {
    const BpmnFlow *g = el->out.items[i];
    if (g != f && !g->condition) return false;
  }
  return true;
}

static void tok_mark(Tok *T, El *el, uint32_t *sp) {
  uint32_t k = el_index(T->P, el);
  if (T->live[k]) return;
  T->live[k] = 1;
  T->stack[(*sp)++] = k;
}

/* Which elements get a token, X forced to take `forced` only (fx NULL: none forced). */
static void tok_reach(Tok *T, const El *fx, const BpmnFlow *forced) {
  Proc *P = T->P;
  uint32_t sp = 0;
  memset(T->live, 0, P->nels);
  for (uint32_t i = 0; i < P->nels; i++) {
    El *el = &P->els[i];
    if (el->sub) continue;
    if (el->e->kind == BPMN_START_EVENT || (!el->in.n && el->e->kind != BPMN_BOUNDARY_EVENT)) tok_mark(T, el, &sp);
  }
  for (;;) {
    while (sp) {
      El *el = &P->els[T->stack[--sp]];
      for (uint32_t i = 0; i < el->out.n; i++) {
        const BpmnFlow *f = el->out.items[i];
        El *to = flow_target(P, f);
        if (!to || is_and_join(to) || !flow_on(el, f, fx, forced)) continue;
        tok_mark(T, to, &sp);
      }
      /* inside a sub-process: its first elements; its boundary events */
      for (uint32_t i = 0; i < P->nels; i++) {
        El *c = &P->els[i];
        if (c->sub == el && (c->e->kind == BPMN_START_EVENT || (!c->in.n && c->e->kind != BPMN_BOUNDARY_EVENT)))
          tok_mark(T, c, &sp);
        if (c->e->kind == BPMN_BOUNDARY_EVENT && c->e->attached_to && el->e->id && strcmp(c->e->attached_to, el->e->id) == 0)
          tok_mark(T, c, &sp);
        if (is_link(c, BPMN_INTERMEDIATE_CATCH_EVENT) && is_link(el, BPMN_INTERMEDIATE_THROW_EVENT)) tok_mark(T, c, &sp);
      }
    }
    /* parallel joins whose every incoming flow carries a token */
    bool more = false;
    for (uint32_t i = 0; i < P->nels; i++) {
      El *j = &P->els[i];
      if (!is_and_join(j) || T->live[i]) continue;
      bool all = true;
      for (uint32_t k = 0; k < j->in.n && all; k++) {
        const BpmnFlow *f = j->in.items[k];
        El *from = el_find(&P->map, bpmn_find_element(P->mp->m, f->source));
        all = from && T->live[el_index(P, from)] && flow_on(from, f, fx, forced);
      }
      if (all) {
        tok_mark(T, j, &sp);
        more = true;
      }
    }
    if (!more) break;
  }
}

/* Is `to` reached from the targets of el's flows (a cycle through el)? */
static bool on_cycle(Proc *P, El *el, uint8_t *seen, uint32_t *stack) {
  uint32_t sp = 0;
  memset(seen, 0, P->nels);
  for (uint32_t i = 0; i < el->out.n; i++) {
    El *to = flow_target(P, el->out.items[i]);
    if (to && !seen[el_index(P, to)]) seen[el_index(P, to)] = 1, stack[sp++] = el_index(P, to);
  }
  while (sp) {
    El *n = &P->els[stack[--sp]];
    if (n == el) return true;
    for (uint32_t i = 0; i < n->out.n; i++) {
      El *to = flow_target(P, n->out.items[i]);
      if (to && !seen[el_index(P, to)]) seen[el_index(P, to)] = 1, stack[sp++] = el_index(P, to);
    }
  }
  return false;
}

enum { TOKEN_CHECK_MAX_ELEMENTS = 2000, TOKEN_CHECK_MAX_CHOICES = 64 };

static void token_deadlocks(Proc *P) {
  BpmnMap *mp = P->mp;
  bool any = false;
  for (uint32_t i = 0; i < P->nels && !any; i++) any = is_and_join(&P->els[i]);
  if (!any || P->nels > TOKEN_CHECK_MAX_ELEMENTS) return;
  Tok T = {P, xcalloc(P->nels + 1, 1), xmalloc((P->nels + 1) * sizeof *T.stack)};
  uint8_t *plain = xcalloc(P->nels + 1, 1), *reported = xcalloc(P->nels + 1, 1);
  tok_reach(&T, NULL, NULL);
  memcpy(plain, T.live, P->nels);
  for (uint32_t i = 0; i < P->nels; i++) { /* joins with a flow that never carries a token */
    El *j = &P->els[i];
    if (!is_and_join(j) || plain[i]) continue;
    const BpmnFlow *dead = NULL;
    bool some = false;
    for (uint32_t k = 0; k < j->in.n; k++) {
      const BpmnFlow *f = j->in.items[k];
      El *from = el_find(&P->map, bpmn_find_element(mp->m, f->source));
      bool on = from && plain[el_index(P, from)] && flow_on(from, f, NULL, NULL);
      if (on) some = true;
      else if (!dead) dead = f;
    }
    if (!some || !dead) continue;
    bpmn_error(mp->m, j->e->line,
               "%s: this parallel join waits forever under BPMN's token semantics: it needs a token on every "
               "incoming flow, and `%s` (from `%s`) never carries one",
               eid(j->e), dead->id ? dead->id : "a flow", dead->source ? dead->source : "?");
    reported[i] = 1;
    j->refused = true;
  }
  uint32_t choices = 0;
  uint8_t *seen = xcalloc(P->nels + 1, 1);
  for (uint32_t x = 0; x < P->nels && choices < TOKEN_CHECK_MAX_CHOICES; x++) {
    El *X = &P->els[x];
    if (X->e->kind != BPMN_EXCLUSIVE_GATEWAY || X->out.n < 2 || !plain[x]) continue;
    choices++;
    if (on_cycle(P, X, seen, T.stack)) continue;
    uint8_t *ever = xcalloc(P->nels + 1, 1); /* reached under some single choice of X */
    for (uint32_t o = 0; o < X->out.n; o++) {
      tok_reach(&T, X, X->out.items[o]);
      for (uint32_t k = 0; k < P->nels; k++) ever[k] |= T.live[k];
    }
    for (uint32_t i = 0; i < P->nels; i++) {
      El *j = &P->els[i];
      if (!is_and_join(j) || !plain[i] || ever[i] || reported[i]) continue;
      bpmn_error(mp->m, j->e->line,
                 "%s: this parallel join waits forever under BPMN's token semantics: it needs tokens that follow "
                 "different flows of exclusive gateway `%s`, which takes only one",
                 eid(j->e), eid(X->e));
      reported[i] = 1;
      j->refused = true;
    }
    free(ever);
  }
  free(seen);
  free(plain);
  free(reported);
  free(T.live);
  free(T.stack);
}

/* Loops on activities (bpmn_loop.c): planned while the variables are typed,
 * built last. A boundary event on a looped activity is refused: it would
 * apply to each turn, where BPMN means the whole loop. */
static void plan_loops(Proc *P) {
  BpmnMap *mp = P->mp;
  for (uint32_t i = 0; i < P->nels; i++) {
    El *el = &P->els[i];
    if (el->refused || !el->entry || !bpmn_loop_in_turn(el->e)) continue;
    if (el->bounds.n) {
      refuse(mp, el, "a boundary event on a looped activity", "it would interrupt one turn, not the whole loop");
      continue;
    }
    bool refused = false;
    BpmnLoopPlan *pl = bpmn_loop_plan(mp, &P->vars, el->e, &refused);
    if (refused) el->refused = true;
    if (!pl) continue;
    ptrvec_push(&mp->m->arena, &P->loops, el);
    ptrvec_push(&mp->m->arena, &P->loops, pl);
  }
}

/* Timers given by a variable read its slot (a parameter by now). */
static void fill_var_timers(Proc *P) {
  for (uint32_t i = 0; i < P->var_timers.n; i++) {
    VarTimer *vt = P->var_timers.items[i];
    const char *name = vt->unsaid ? vt->unsaid->name : vt->name;
    for (uint32_t k = 0; k < P->vars.n; k++)
      if (name && strcmp(P->vars.v[k].name, name) == 0 && P->vars.v[k].slot >= 0)
        *vt->expr = *ir_expr_slot(P->mp->ir, P->p, (uint16_t)P->vars.v[k].slot);
  }
}

static bool var_taken(const Proc *P, const char *name);

/* Several start events at the process's level (BPMN 2.0 10.5.2: each is a way
 * in, the instance begins at the one that fired): one START, then a CHOICE on
 * the start parameter `start_event` — the id of the start event that fired,
 * which the host passes when it starts the instance for a message, a signal or
 * the schedule of a timer start event — to each start event (an IR_MERGE with
 * its id). Its default is the first none start event (a start by hand); with
 * none it is required. Another id fails the instance, naming it. */
static void several_starts(Proc *P) {
  BpmnMap *mp = P->mp;
  IrProgram *ir = mp->ir;
  IrProc *p = P->p;
  const char *name = "start_event";
  for (int k = 2; var_taken(P, name); k++) name = arena_printf(&ir->arena, "start_event_%d", k);
  const char *def = NULL;
  for (uint32_t i = 0; i < P->starts.n && !def; i++) {
    const El *el = P->starts.items[i];
    if (def_kind(el->e) == BPMN_DEF_NONE) def = el->e->id;
  }
  IrParam *prm = ir_param(ir, p, ir_str(ir, name), &type_string,
                          def ? ir_expr_string(ir, ir_str(ir, def), (uint32_t)strlen(def)) : NULL);
  IrNode *st = ir_node(ir, p, IR_START, arena_printf(&ir->arena, "%s__start", p->name), p->line, 0);
  if (p->trigger.kind == IR_TRIG_TIMER)
    st->detail = arena_printf(&ir->arena, "start · on a schedule %s", p->trigger.schedule);
  IrNode *c = ir_node(ir, p, IR_CHOICE, arena_printf(&ir->arena, "%s__start_event", p->name), p->line, 0);
  c->title = ir_str(ir, "which start event");
  ir_edge(ir, p, st, c, IR_E_FLOW, NULL);
  for (uint32_t i = 0; i < P->starts.n; i++) {
    const El *el = P->starts.items[i];
    const char *id = el->e->id;
    IrExpr *is = ir_expr_binary(ir, &type_bool, IR_OP_EQ, ir_expr_slot(ir, p, prm->slot),
                                ir_expr_string(ir, ir_str(ir, id), (uint32_t)strlen(id)));
    ir_edge_cond(ir, p, c, el->node, i, is, ir_str(ir, id));
  }
  IrNode *t = ir_node(ir, p, IR_TERMINATE, arena_printf(&ir->arena, "%s__no_start", p->name), p->line, 0);
  const char *reason = arena_printf(&ir->arena, "%s names no start event of process %s", name, p->name);
  t->u.terminate.reason = ir_expr_string(ir, reason, (uint32_t)strlen(reason));
  ir_edge(ir, p, c, t, IR_E_ELSE, NULL);
  bpmn_warning(mp->m, p->line, "%s: %u start events: the start parameter `%s` names the one that fired (%s%s)",
               p->name, P->starts.n, name, def ? "by default " : "required: no none start event", def ? def : "");
}

BpmnUnsaid *bpmn_unsaid(BpmnMap *mp, const BpmnElement *e, const char *suffix, const Type *t, const char *what) {
  BpmnUnsaid *u = arena_alloc(&mp->m->arena, sizeof *u);
  memset(u, 0, sizeof *u);
  u->e = e;
  u->suffix = suffix;
  u->type = t;
  u->what = what;
  ptrvec_push(&mp->m->arena, &mp->unsaid, u);
  return u;
}

static bool var_taken(const Proc *P, const char *name) {
  for (uint32_t i = 0; i < P->vars.n; i++)
    if (strcmp(P->vars.v[i].name, name) == 0) return true;
  return false;
}

/* The start parameters of what the diagram does not say, named once every other
 * variable is known: the element's name when it is plain (ASCII letters, digits,
 * blanks, `_`, `-`; at most 40 bytes), else its id, with every other character
 * made `_` and `_` put before a leading digit, then `_` and the suffix
 * (`Task_1_count`); a name some variable has already gets `_2`, `_3` … */
static void name_unsaid(Proc *P) {
  BpmnMap *mp = P->mp;
  for (uint32_t i = 0; i < mp->unsaid.n; i++) {
    BpmnUnsaid *u = mp->unsaid.items[i];
    const char *base = u->e->name;
    size_t bn = base ? strlen(base) : 0;
    bool plain = bn > 0 && bn <= 40;
    for (size_t k = 0; plain && k < bn; k++)
      plain = isalnum((unsigned char)base[k]) || base[k] == ' ' || base[k] == '_' || base[k] == '-';
    if (plain) {
      while (*base == ' ') base++;
      plain = *base != 0;
    }
    if (!plain) base = eid(u->e);
    StrBuf sb;
    sb_init(&sb);
    if (isdigit((unsigned char)base[0])) sb_putc(&sb, '_');
    for (const char *c = base; *c; c++) {
      if (*c == ' ' && sb.len && sb.data[sb.len - 1] == '_') continue; /* `a  b`: one `_` */
      sb_putc(&sb, isalnum((unsigned char)*c) ? *c : '_');
    }
    while (sb.len && sb.data[sb.len - 1] == '_') sb.len--;
    sb_printf(&sb, "_%s", u->suffix);
    const char *name = arena_strndup(&mp->m->arena, sb.data, sb.len);
    for (int k = 2; var_taken(P, name); k++) name = arena_printf(&mp->m->arena, "%.*s_%d", (int)sb.len, sb.data, k);
    sb_free(&sb);
    u->name = name;
    bpmn_var_use(mp, &P->vars, name, u->type, eid(u->e), u->e->line);
    bpmn_warning(mp->m, u->e->line, "%s: %s is the start parameter `%s`", eid(u->e), u->what, name);
  }
}

/* ---- lanes and the pool as diagram clusters ---------------------------------------------- */

/* The named participant (pool) of a collaboration that shows process bp, or NULL. */
static const BpmnParticipant *pool_of(const BpmnModel *m, const BpmnProcess *bp) {
  for (uint32_t i = 0; bp->id && i < m->collaborations.n; i++) {
    const BpmnCollaboration *c = m->collaborations.items[i];
    for (uint32_t k = 0; k < c->participants.n; k++) {
      const BpmnParticipant *pt = c->participants.items[k];
      if (pt->process_ref && pt->name && *pt->name && strcmp(pt->process_ref, bp->id) == 0) return pt;
    }
  }
  return NULL;
}

static IrNode *cluster_node(Proc *P, const char *id, const char *title, const char *what, IrNode *outer,
                            uint32_t line) {
  IrNode *n = ir_node(P->mp->ir, P->p, IR_BRANCH, id, line, 0);
  n->title = ir_str(P->mp->ir, title && *title ? title : id);
  n->detail = arena_printf(&P->mp->ir->arena, "%s · %s", what, n->title);
  n->cluster = outer;
  return n;
}

/* Lanes by pointer: the index of a lane in bp->lanes (open addressing). */
typedef struct LaneMap {
  const BpmnLane **keys;
  uint32_t *vals, cap;
} LaneMap;

static uint32_t lane_index(const LaneMap *h, const BpmnLane *l) {
  for (uint32_t i = bpmn_hash_ptr(l) & (h->cap - 1); h->keys[i]; i = (i + 1) & (h->cap - 1))
    if (h->keys[i] == l) return h->vals[i];
  return UINT32_MAX;
}

/* The lane cluster of lane l, its parent's made first: lanes[i] for bp->lanes.items[i]. */
static IrNode *lane_node(Proc *P, const LaneMap *h, IrNode **lanes, IrNode *pool, const BpmnLane *l,
                         uint32_t depth) {
  uint32_t i = l ? lane_index(h, l) : UINT32_MAX;
  if (i == UINT32_MAX) return pool;
  if (!lanes[i]) {
    IrNode *outer = l->parent && depth < 64 ? lane_node(P, h, lanes, pool, l->parent, depth + 1) : pool;
    lanes[i] = cluster_node(P, l->id ? l->id : "lane", l->name, "lane", outer, l->line);
  }
  return lanes[i];
}

/* Made before the elements' nodes, as a cluster comes before what it holds
 * (IR_BRANCH: a cluster for diagrams, on no path; docs/diagrams.md). */
static IrNode **lane_clusters(Proc *P, IrNode **pool) {
  Arena *a = &P->mp->m->arena;
  uint32_t n = P->bp->lanes.n;
  const BpmnParticipant *pt = n ? pool_of(P->mp->m, P->bp) : NULL;
  *pool = pt ? cluster_node(P, pt->id ? pt->id : "pool", pt->name, "pool", NULL, pt->line) : NULL;
  IrNode **lanes = arena_alloc(a, (n + 1) * sizeof *lanes);
  memset(lanes, 0, (n + 1) * sizeof *lanes);
  LaneMap h = {NULL, NULL, 16};
  while (h.cap < 2 * n + 2) h.cap *= 2;
  h.keys = arena_alloc(a, h.cap * sizeof *h.keys);
  h.vals = arena_alloc(a, h.cap * sizeof *h.vals);
  memset(h.keys, 0, h.cap * sizeof *h.keys);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k = bpmn_hash_ptr(P->bp->lanes.items[i]) & (h.cap - 1);
    while (h.keys[k]) k = (k + 1) & (h.cap - 1);
    h.keys[k] = P->bp->lanes.items[i], h.vals[k] = i;
  }
  for (uint32_t i = 0; i < n; i++) lane_node(P, &h, lanes, *pool, P->bp->lanes.items[i], 0);
  return lanes;
}

/* Each node made for an element (its own, and helpers `ID__...`, copies `CALL/...`)
 * is drawn in the element's innermost lane (a lane's own flowNodeRefs win over its
 * parent's), else in the pool. */
static void lane_members(Proc *P, IrNode **lanes, IrNode *pool, uint32_t first) {
  if (!P->bp->lanes.n) return;
  BpmnModel *m = P->mp->m;
  int32_t *lane_of = arena_alloc(&m->arena, (P->nels + 1) * sizeof *lane_of);
  uint32_t *depth = arena_alloc(&m->arena, (P->nels + 1) * sizeof *depth);
  memset(depth, 0, (P->nels + 1) * sizeof *depth);
  for (uint32_t i = 0; i < P->bp->lanes.n; i++) {
    const BpmnLane *l = P->bp->lanes.items[i];
    uint32_t d = lane_depth(l);
    for (uint32_t k = 0; k < l->node_refs.n; k++) {
      El *el = el_find(&P->map, bpmn_find_element(m, l->node_refs.items[k]));
      uint32_t e = el ? (uint32_t)(el - P->els) : 0;
      if (el && d > depth[e]) lane_of[e] = (int32_t)i, depth[e] = d;
    }
  }
  for (uint32_t i = first; i < P->p->nodes.n; i++) {
    IrNode *n = ir_node_at(P->p, i);
    if (n->cluster || n->kind == IR_BRANCH) continue;
    size_t len = strcspn(n->id, "/");
    const char *helper = strstr(n->id, "__");
    if (helper && (size_t)(helper - n->id) < len) len = (size_t)(helper - n->id);
    El *el = el_find(&P->map, bpmn_find_element(m, arena_strndup(&m->arena, n->id, len)));
    uint32_t e = el ? (uint32_t)(el - P->els) : 0;
    n->cluster = el && depth[e] ? lanes[lane_of[e]] : pool;
  }
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
  memset(&mp->unsaid, 0, sizeof mp->unsaid);
  collect(&P, &bp->elements, NULL);
  for (uint32_t i = 0; i < P.nels; i++)
    if (P.els[i].e->kind == BPMN_START_EVENT && !P.els[i].sub) P.nstarts++;
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
  IrNode *pool;
  IrNode **lanes = lane_clusters(&P, &pool);
  uint32_t first_node = P.p->nodes.n;
  add_flows(&P, &bp->flows);
  for (uint32_t i = 0; i < P.nels; i++)
    if (P.els[i].e->kind == BPMN_SUB_PROCESS) add_flows(&P, &P.els[i].e->flows);
  token_deadlocks(&P);
  plan_inclusive(&P);
  map_boundaries(&P);
  for (uint32_t i = 0; i < P.nels; i++) map_element(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) check_inner_esps(&P, &P.els[i]);
  map_links(&P);
  for (uint32_t i = 0; i < P.nels; i++) wrap_boundaries(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) catch_nodes(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) listen_nodes(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) wrap_afters(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) wrap_forks(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) map_conditions(&P, &P.els[i]);
  plan_loops(&P);
  if (m->errors_n != errors_before) return;
  name_unsaid(&P);
  lane_members(&P, lanes, pool, first_node);
  /* the variables: parameters the host may pass, with empty defaults */
  for (uint32_t i = 0; i < P.vars.n; i++) {
    BpmnVar *v = &P.vars.v[i];
    const Type *t = v->type ? v->type : &type_string;
    IrExpr *def = t == &type_decimal ? ir_expr_decimal(ir, 0, 0)
                : t == &type_bool    ? ir_expr_bool(ir, false)
                : t == &type_string  ? ir_expr_string(ir, "", 0)
                : t->kind == T_LIST  ? ir_expr_list(ir, t, NULL, 0)
                                     : NULL; /* a user: the host must say who */
    if (t == &type_date) { /* a date from a form: no empty date to default a parameter to */
      v->slot = ir_var(ir, P.p, ir_str(ir, v->name), t, NULL)->slot;
      continue;
    }
    v->slot = ir_param(ir, P.p, ir_str(ir, v->name), t, def)->slot;
  }
  fill_var_timers(&P);
  if (P.nstarts > 1 && P.starts.n == P.nstarts) several_starts(&P);
  for (uint32_t i = 0; i < P.npending; i++) {
    Pending *pd = &P.pending[i];
    Who *w = &pd->who;
    IrExpr **items = ir_exprs(ir, w->n ? w->n : 1);
    for (uint32_t k = 0; k < w->n; k++) {
      if (w->users[k]) {
        items[k] = ir_expr_user(ir, w->users[k], (uint32_t)strlen(w->users[k]));
      } else if (w->roles[k]) {
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
    pd->node->u.human->who.who = items;
    pd->node->u.human->who.n = w->n;
  }
  for (uint32_t i = 0; i < P.nels; i++) {
    El *el = &P.els[i];
    if (el->node && el->node->kind == IR_REQUEST) bpmn_form_build(mp, &P.vars, el->e, el->node);
    if (el->node && el->vote_list) el->node->u.human->vote = bpmn_vote_percent(mp, P.p, &P.vars, el->vote_list, el->vote_count);
  }
  for (uint32_t i = 0; i < P.nels; i++) map_flows(&P, &P.els[i]);
  if (!P.p->start) implicit_start(&P, NULL);
  for (uint32_t i = 0; i < P.nels; i++)
    if (P.els[i].e->kind == BPMN_SUB_PROCESS && P.els[i].entry && !P.els[i].inner)
      implicit_start(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) wrap_adhoc(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) wrap_start_cond(&P, &P.els[i]);
  for (uint32_t i = 0; i + 1 < P.loops.n; i += 2) {
    El *el = P.loops.items[i];
    bpmn_loop_wrap(mp, P.p, &P.vars, P.loops.items[i + 1], el->entry, el->exit,
                   is_human(el->e->kind) ? el->node : NULL);
  }
  wrap_process_scope(&P);
  for (uint32_t i = 0; i < P.nels; i++) wrap_listen_scope(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) wrap_catch_scope(&P, &P.els[i]);
  for (uint32_t i = 0; i < P.nels; i++) wrap_inner_esps(&P, &P.els[i]);
  check_interrupting(&P);
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
    if ((is_action(e->kind) || is_sending(e)) && e->id)
      ptrvec_push(&m->arena, names, (void *)(e->action_name ? e->action_name : e->origin ? e->origin : e->id));
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
  /* Valid BPMN (a collaboration or a drawing alone), as an empty .bp program is valid:
   * an empty bundle, and a warning at the definitions that says why. */
  if (chosen.n == 0)
    bpmn_warning(m, m->line, "%s: the file has no process with flow elements: nothing to run",
                 m->id && *m->id ? m->id : "<definitions>");
  for (uint32_t i = 0; i < chosen.n; i++) bpmn_lint(m, chosen.items[i]); /* before copies are made */
  for (uint32_t i = 0; i < chosen.n; i++) bpmn_call_expand(&mp, chosen.items[i]);
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
