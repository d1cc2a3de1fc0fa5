/* bpmnw.c — the BPMN 2.0 writer (bpmnw.h): elements, flows, boundary timers,
 * vendor hints for modelers, bpc:ir for the way back, and the diagram.
 *
 * libxml2's xmlTextWriter does the escaping; every text handed to it is made
 * valid XML first (UTF-8 checked, control characters replaced), so the file is
 * well-formed whatever the strings of the program hold. Ids are made unique
 * across the file (BPMN wants that) and valid NCNames; a node whose id had to
 * change keeps its own in bpc:ir, so journals name it as before. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "bpmnw_int.h"
#include "ir_text.h"

#define NS_MODEL "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define NS_BPMNDI "http://www.omg.org/spec/BPMN/20100524/DI"
#define NS_DC "http://www.omg.org/spec/DD/20100524/DC"
#define NS_DI "http://www.omg.org/spec/DD/20100524/DI"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define NS_CAMUNDA "http://camunda.org/schema/1.0/bpmn"
#define NS_BPC "urn:bpc:bpmn:1" /* = BPMN_NS_BPC of the importer */

/* BPMN shape sizes (bpmn.io's defaults). */
static const double EVENT = 36, GATEWAY = 50, TASK_W = 100, TASK_H = 80;

typedef struct Writer {
  const IrProgram *ir;
  xmlTextWriterPtr w;
  Arena a;
  /* ids used in the file: open addressing */
  const char **ids;
  uint32_t nids, capids;
  FILE *diag;
  int errors;
  /* <message> and <error> root elements: kind ('m' or 'e'), name, id */
  PtrVec ref_names, ref_ids;
  char *ref_kinds;
  uint32_t ref_cap;
} Writer;

typedef struct Elem {
  const char *id;     /* the BPMN id */
  const char *tag;    /* "userTask"; NULL: not written */
  bool boundary;
} Elem;

/* ---- text and ids ------------------------------------------------------------------ */

/* s as valid XML character data: bad UTF-8 and control characters (other
 * than tab and newline) become U+FFFD. */
static const char *xml_text(Writer *W, const char *s) {
  if (!s) return "";
  StrBuf b;
  sb_init(&b);
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    size_t len = c < 0x80 ? 1 : utf8_seq_len((const unsigned char *)s + i, n - i);
    if (len == 0 || (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
      sb_puts(&b, "\xEF\xBF\xBD");
      i += len ? len : 1;
    } else {
      sb_putn(&b, s + i, len);
      i += len;
    }
  }
  char *t = arena_strndup(&W->a, b.data ? b.data : "", b.len);
  sb_free(&b);
  return t;
}

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static bool id_taken(const Writer *W, const char *id) {
  if (!W->capids) return false;
  for (uint32_t i = hash_str(id) & (W->capids - 1); W->ids[i]; i = (i + 1) & (W->capids - 1))
    if (str_eq(W->ids[i], id)) return true;
  return false;
}

static void id_put(Writer *W, const char *id) {
  if (2 * (W->nids + 1) > W->capids) {
    uint32_t cap = W->capids ? 2 * W->capids : 256;
    const char **ids = xcalloc(cap, sizeof *ids);
    for (uint32_t i = 0; i < W->capids; i++) {
      if (!W->ids[i]) continue;
      uint32_t k = hash_str(W->ids[i]) & (cap - 1);
      while (ids[k]) k = (k + 1) & (cap - 1);
      ids[k] = W->ids[i];
    }
    free(W->ids);
    W->ids = ids, W->capids = cap;
  }
  uint32_t k = hash_str(id) & (W->capids - 1);
  while (W->ids[k]) k = (k + 1) & (W->capids - 1);
  W->ids[k] = id;
  W->nids++;
}

/* An XML NCName of ASCII letters, digits, `_`, `-`, `.` (not starting with a
 * digit, `-` or `.`). Non-ASCII names are valid XML too, but some tools choke. */
static bool plain_ncname(const char *s) {
  if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_' || *s == '-' || *s == '.'))
      return false;
  return true;
}

/* want if it is a free NCName, else fallback (then fallback_2, ...) free. */
static const char *unique_id(Writer *W, const char *want, const char *fallback) {
  const char *id = plain_ncname(want) && !id_taken(W, want) ? want : NULL;
  for (uint32_t k = 1; !id; k++) {
    const char *c = k == 1 ? fallback : arena_printf(&W->a, "%s_%u", fallback, (unsigned)k);
    if (!id_taken(W, c)) id = c;
  }
  id = arena_strdup(&W->a, id);
  id_put(W, id);
  return id;
}

/* ---- XML helpers ----------------------------------------------------------------- */

static void start(Writer *W, const char *tag) { xmlTextWriterStartElement(W->w, (const xmlChar *)tag); }
static void end(Writer *W) { xmlTextWriterEndElement(W->w); }
/* An attribute. A value holding `"` and no `'` (bpc:ir, whose strings are
 * quoted) is written between single quotes, so that its quotes need no &quot;:
 * the file is smaller, and XML readers take a value with no reference in it
 * by a faster path (libxml2 reads a 5.8 MB export with 14% fewer instructions).
 * It is escaped as xmlTextWriter escapes a value, `"` aside. */
static void attr(Writer *W, const char *name, const char *value) {
  const char *v = xml_text(W, value);
  if (!strchr(v, '"') || strchr(v, '\'')) {
    xmlTextWriterWriteAttribute(W->w, (const xmlChar *)name, (const xmlChar *)v);
    return;
  }
  StrBuf b;
  sb_init(&b);
  for (const char *c = v; *c; c++) {
    switch (*c) {
    case '&': sb_puts(&b, "&amp;"); break;
    case '<': sb_puts(&b, "&lt;"); break;
    case '>': sb_puts(&b, "&gt;"); break;
    case '\n': sb_puts(&b, "&#10;"); break;
    case '\r': sb_puts(&b, "&#13;"); break;
    case '\t': sb_puts(&b, "&#9;"); break;
    default: sb_putc(&b, *c);
    }
  }
  xmlTextWriterSetQuoteChar(W->w, '\'');
  xmlTextWriterStartAttribute(W->w, (const xmlChar *)name);
  xmlTextWriterWriteRawLen(W->w, (const xmlChar *)b.data, (int)b.len);
  xmlTextWriterEndAttribute(W->w);
  xmlTextWriterSetQuoteChar(W->w, '"');
  sb_free(&b);
}
static void text(Writer *W, const char *s) { xmlTextWriterWriteString(W->w, (const xmlChar *)xml_text(W, s)); }
static void attr_num(Writer *W, const char *name, double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.0f", v);
  attr(W, name, buf);
}

static void refuse(Writer *W, uint32_t line, const char *fmt, const char *arg, const char *arg2) {
  fprintf(W->diag, "%s:%u: error: ", W->ir->source_path, (unsigned)line);
  fprintf(W->diag, fmt, arg, arg2);
  fputc('\n', W->diag);
  W->errors++;
}

/* ---- what can be written ----------------------------------------------------------- */

static const char *tag_of(const IrNode *n) {
  switch (n->kind) {
  case IR_START: return "bpmn:startEvent";
  case IR_END: case IR_TERMINATE: case IR_HANDLER_END: case IR_THROW: return "bpmn:endEvent";
  case IR_TASK: case IR_APPROVE: case IR_REVIEW: case IR_REQUEST: return "bpmn:userTask";
  case IR_ACTION: case IR_START_PROCESS: return "bpmn:serviceTask";
  case IR_NOTIFY: return "bpmn:sendTask";
  /* a status is a milestone the flow reaches (its enter block and its commands go on
     from it at once); a goto is a milestone too, flowing into the next status */
  case IR_LOG: case IR_STATE: case IR_GOTO: return "bpmn:intermediateThrowEvent";
  case IR_IDLE: return "bpmn:endEvent"; /* the token ends; the commands still wait */
  case IR_ASSIGN: case IR_ITER_START: case IR_REASSIGN: case IR_ADD: return "bpmn:task";
  case IR_WAIT: case IR_WAIT_UNTIL: case IR_RECEIVE: return "bpmn:intermediateCatchEvent";
  /* a try: a choice between its body (the default flow) and its handlers (flows whose
     conditions name the errors); the end of its scope: where those paths meet */
  case IR_CHOICE: case IR_MERGE: case IR_ITER_NEXT: case IR_TRY: case IR_TRY_END: return "bpmn:exclusiveGateway";
  case IR_FORK: case IR_JOIN: case IR_RACE: return "bpmn:parallelGateway";
  /* a listener's spawn: a split whose second token (the handler's path) is not joined */
  case IR_SPAWN: return "bpmn:parallelGateway";
  case IR_RACE_JOIN: return "bpmn:complexGateway";
  case IR_EVENT_WAIT: return "bpmn:eventBasedGateway";
  case IR_BRANCH: return "bpmn:group";
  default: return NULL;
  }
}

/* Says why a process cannot be written; true when it can. */
static bool exportable(Writer *W, const IrProc *p, bool alone) {
  bool ok = true;
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    const IrNode *n = ir_node_at(p, i);
    if (n->kind == IR_BRANCH) continue;
    if (!tag_of(n)) {
      refuse(W, n->line ? n->line : p->line, "process `%s`: `%s` steps cannot be exported to BPMN yet",
             p->name, ir_node_kind_name(n->kind));
      ok = false;
    } else if (n->kind == IR_START_PROCESS && alone) {
      refuse(W, n->line ? n->line : p->line,
             "process `%s` starts another process: export the whole file (without -p)%s", p->name, "");
      ok = false;
    }
  }
  return ok;
}

/* ---- elements ---------------------------------------------------------------------- */

static const char *expr_text(Writer *W, const IrProc *p, const IrExpr *e) {
  StrBuf b;
  sb_init(&b);
  bpmnw_expr(&b, W->ir, p, e);
  char *t = arena_strndup(&W->a, b.data, b.len);
  sb_free(&b);
  return t;
}

static const char *payload(Writer *W, const IrNode *n, const char *id, const char *cluster) {
  StrBuf b;
  sb_init(&b);
  ir_text_node(&b, n, id, cluster);
  char *t = arena_strndup(&W->a, b.data, b.len);
  sb_free(&b);
  return t;
}

/* A timer definition: a constant duration as ISO 8601, a date as written,
 * anything else as the expression. */
static void timer_as(Writer *W, const IrProc *p, const IrExpr *at, const IrExpr *before, const char *tag) {
  start(W, "bpmn:timerEventDefinition");
  bool duration = at && at->type->kind == T_DURATION;
  start(W, tag ? tag : duration ? "bpmn:timeDuration" : "bpmn:timeDate");
  attr(W, "xsi:type", "bpmn:tFormalExpression");
  StrBuf b;
  sb_init(&b);
  int64_t left;
  if (duration && at->kind == IR_X_DURATION && (!before || before->kind == IR_X_DURATION) &&
      !__builtin_sub_overflow(at->u.i, before ? before->u.i : 0, &left)) {
    bpmnw_iso_duration(&b, left);
  } else if (!before && at && at->kind == IR_X_CALL && at->nargs == 1 &&
             at->u.call.args[0]->kind == IR_X_STRING) {
    sb_puts(&b, at->u.call.args[0]->u.str.s); /* date("2026-03-01") */
  } else {
    sb_puts(&b, "${");
    bpmnw_expr_bare(&b, W->ir, p, at);
    if (before) {
      sb_puts(&b, " - ");
      bpmnw_expr_bare(&b, W->ir, p, before);
    }
    sb_putc(&b, '}');
  }
  text(W, b.data ? b.data : "");
  sb_free(&b);
  end(W);
  end(W);
}

static void timer(Writer *W, const IrProc *p, const IrExpr *at, const IrExpr *before) {
  timer_as(W, p, at, before, NULL);
}

/* A timer whose text is given as it is (a timer start event's schedule): an ISO 8601
 * repeating interval is a cycle, a duration a duration, anything else a date. */
static void timer_text(Writer *W, const char *when) {
  start(W, "bpmn:timerEventDefinition");
  start(W, when[0] == 'R' ? "bpmn:timeCycle" : when[0] == 'P' ? "bpmn:timeDuration" : "bpmn:timeDate");
  attr(W, "xsi:type", "bpmn:tFormalExpression");
  text(W, when);
  end(W);
  end(W);
}

/* A duration for a timer text: ISO 8601 when constant, else ${...}. */
static void timer_duration(StrBuf *b, Writer *W, const IrProc *p, const IrExpr *e) {
  if (e->kind == IR_X_DURATION) {
    bpmnw_iso_duration(b, e->u.i);
  } else {
    sb_puts(b, "${");
    bpmnw_expr_bare(b, W->ir, p, e);
    sb_putc(b, '}');
  }
}

/* An `after` handler's timer: once after its delay (a timeDuration), or a
 * timeCycle R[n]/PERIOD. ISO 8601 has one repeating interval that starts when
 * the timer does: R[n]/duration, whose first run comes one period after the
 * step opened (BPMN 2.0 10.5.4, as Camunda and bpmn-engine read it). It says
 * `after D every P` exactly when D is P. Other delays have no ISO 8601 form
 * (R3/P2D/P1D, a duration then a duration, is none: every reader refuses it),
 * so the timer keeps the period and the number of runs, the runs come at P, 2P
 * ... instead of D, D + P ..., and a warning says so; bpc:ir keeps the exact
 * times for bpc (docs/bpmn.md "Export"). */
static void after_timer(Writer *W, const IrProc *p, const IrNode *n, uint32_t i) {
  const IrHuman *h = n->u.human;
  const IrExpr *delay = h->after_delay[i], *every = h->after_every ? h->after_every[i] : NULL;
  const IrExpr *times = h->after_times ? h->after_times[i] : NULL;
  if (!every) {
    timer_as(W, p, delay, NULL, "bpmn:timeDuration");
    return;
  }
  StrBuf b;
  sb_init(&b);
  sb_putc(&b, 'R');
  if (times && times->kind == IR_X_INT) sb_printf(&b, "%" PRId64, times->u.i);
  else if (times) {
    sb_puts(&b, "${");
    bpmnw_expr_bare(&b, W->ir, p, times);
    sb_putc(&b, '}');
  }
  sb_putc(&b, '/');
  timer_duration(&b, W, p, every);
  bool same = delay->kind == IR_X_DURATION && every->kind == IR_X_DURATION && delay->u.i == every->u.i;
  if (!same) {
    StrBuf d, e;
    sb_init(&d), sb_init(&e);
    timer_duration(&d, W, p, delay);
    timer_duration(&e, W, p, every);
    fprintf(W->diag,
            "%s:%u: warning: after %s every %s: written as the timeCycle %s, whose runs come at "
            "%s, 2 x %s ... rather than %s, %s + %s ...: ISO 8601 has no repeating interval that "
            "starts after another delay; bpc:ir keeps the exact times for bpc\n",
            W->ir->source_path, (unsigned)n->line, d.data, e.data, b.data, e.data, e.data, d.data,
            d.data, e.data);
    sb_free(&d), sb_free(&e);
  }
  start(W, "bpmn:timerEventDefinition");
  start(W, "bpmn:timeCycle");
  attr(W, "xsi:type", "bpmn:tFormalExpression");
  text(W, b.data);
  end(W);
  end(W);
  sb_free(&b);
}

/* The id of the <message> (kind 'm'; 'c' for a command's) or <error> ('e') root element of this name, made
 * when first asked for. */
static const char *root_ref(Writer *W, char kind, const char *name) {
  for (uint32_t i = 0; i < W->ref_names.n; i++)
    if (W->ref_kinds[i] == kind && str_eq(W->ref_names.items[i], name)) return W->ref_ids.items[i];
  if (W->ref_names.n + 1 >= W->ref_cap) {
    W->ref_cap = W->ref_cap ? 2 * W->ref_cap : 16;
    char *k = arena_alloc(&W->a, W->ref_cap);
    if (W->ref_names.n) memcpy(k, W->ref_kinds, W->ref_names.n);
    W->ref_kinds = k;
  }
  /* Message_payment_received: the name's other characters than ASCII letters, digits,
     `-` and `.` become `_` */
  const char *prefix = kind == 'm' ? "Message" : kind == 'c' ? "Command" : "Error";
  char *want = arena_printf(&W->a, "%s_%s", prefix, name);
  for (char *c = want; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
      *c = '_';
  const char *id = unique_id(W, want, prefix);
  W->ref_kinds[W->ref_names.n] = kind;
  ptrvec_push(&W->a, &W->ref_names, arena_strdup(&W->a, name));
  ptrvec_push(&W->a, &W->ref_ids, (void *)id);
  return id;
}

/* role("name") with a name a group list can hold (no comma, not empty). */
static bool is_role_of_name(const IrExpr *u) {
  if (u->kind != IR_X_CALL || !str_eq(u->u.call.fn, "role") || u->nargs != 1) return false;
  const IrExpr *a = u->u.call.args[0];
  return a->kind == IR_X_STRING && a->u.str.len && !memchr(a->u.str.s, ',', a->u.str.len) &&
         !memchr(a->u.str.s, 0, a->u.str.len) && !(a->u.str.len >= 2 && a->u.str.s[0] == '$' && a->u.str.s[1] == '{');
}

/* Assignees and votes where a modeler (Camunda's) shows them. */
static void human_hints(Writer *W, const IrProc *p, const IrNode *n) {
  const IrHuman *h = n->u.human;
  StrBuf b, groups;
  sb_init(&b);
  sb_init(&groups);
  uint32_t users = 0;
  for (uint32_t i = 0; i < h->who.n; i++) {
    const IrExpr *u = h->who.who[i];
    if (is_role_of_name(u)) { /* role("sales"): a candidate group, as Camunda names one */
      if (groups.len) sb_putc(&groups, ',');
      sb_putn(&groups, u->u.call.args[0]->u.str.s, u->u.call.args[0]->u.str.len);
      continue;
    }
    if (users++) sb_putc(&b, ',');
    if (u->kind == IR_X_USER) sb_putn(&b, u->u.str.s, u->u.str.len); /* a user id, as modelers write it */
    else sb_puts(&b, expr_text(W, p, u));
  }
  bool multi = (n->kind == IR_APPROVE || n->kind == IR_REVIEW) && h->who.n == 1 &&
               h->who.who[0]->type->kind == T_LIST && !groups.len;
  if (!multi && b.len) attr(W, h->who.n == 1 && h->who.who[0]->type->kind == T_USER ? "camunda:assignee"
                                                                                     : "camunda:candidateUsers",
                            b.data);
  if (groups.len) attr(W, "camunda:candidateGroups", groups.data);
  sb_free(&groups);
  if (h->nfields) {
    start(W, "bpmn:extensionElements");
    start(W, "camunda:formData");
    for (uint32_t i = 0; i < h->nfields; i++) {
      const IrReqField *f = &h->fields[i];
      const char *t = f->type->kind == T_INT || f->type->kind == T_DECIMAL ? "long"
                      : f->type->kind == T_BOOL                          ? "boolean"
                      : f->type->kind == T_DATE || f->type->kind == T_DATETIME ? "date"
                                                                          : "string";
      start(W, "camunda:formField");
      attr(W, "id", f->name);
      if (f->label && *f->label) attr(W, "label", f->label);
      attr(W, "type", t);
      end(W);
    }
    end(W);
    end(W);
  }
  if (multi) {
    start(W, "bpmn:multiInstanceLoopCharacteristics");
    attr(W, "camunda:collection", b.data);
    attr(W, "camunda:elementVariable", "voter");
    const char *cc = NULL;
    if (h->wait_all) cc = NULL;
    else if (h->mode == IR_MODE_ANY) cc = "${nrOfCompletedInstances >= 1}";
    else if (h->mode == IR_MODE_MAJORITY) cc = "${nrOfApproved > nrOfInstances / 2 || nrOfRejected >= nrOfInstances / 2}";
    else if (h->mode == IR_MODE_VOTE && h->vote && h->vote->kind == IR_X_INT && h->vote->u.i >= 0 &&
             h->vote->u.i <= 100) { /* the fraction importers (bpc's too) read as a vote */
      int64_t v = h->vote->u.i;
      cc = v == 100 ? "${nrOfApproved / nrOfInstances >= 1}"
           : arena_printf(&W->a, "${nrOfApproved / nrOfInstances >= 0.%02d}", (int)v);
      if (v % 10 == 0 && v < 100) cc = arena_printf(&W->a, "${nrOfApproved / nrOfInstances >= 0.%d}", (int)(v / 10));
    } else if (h->mode == IR_MODE_VOTE && h->vote) {
      StrBuf v;
      sb_init(&v);
      bpmnw_expr_bare(&v, W->ir, p, h->vote);
      cc = arena_printf(&W->a, "${nrOfApproved * 100 >= %s * nrOfInstances}", v.data);
      sb_free(&v);
    } else if (h->mode == IR_MODE_BITRIX && h->vote) { /* Bitrix's rule (docs/bitrix.md), for other engines */
      StrBuf v;
      sb_init(&v);
      bpmnw_expr_bare(&v, W->ir, p, h->vote);
      cc = arena_printf(&W->a,
                        "${nrOfApproved * 100 >= (%s + 1) * nrOfInstances || nrOfApproved == nrOfInstances || "
                        "(nrOfRejected > 0 && nrOfRejected * 100 >= (100 - %s) * nrOfInstances)}",
                        v.data, v.data);
      sb_free(&v);
    }
    if (cc) {
      start(W, "bpmn:completionCondition");
      attr(W, "xsi:type", "bpmn:tFormalExpression");
      text(W, cc);
      end(W);
    }
    end(W);
  }
  sb_free(&b);
}

static void element(Writer *W, const IrProc *p, const IrNode *n, const Elem *el, const char *deflt,
                    const char *cluster) {
  start(W, el->tag);
  attr(W, "id", el->id);
  if (n->title && *n->title && n->kind != IR_BRANCH) attr(W, "name", n->title); /* a group has none */
  if (deflt) attr(W, "default", deflt);
  attr(W, "bpc:ir", payload(W, n, el->id, cluster));
  if (ir_is_human(n->kind)) human_hints(W, p, n);
  if (n->kind == IR_TERMINATE) {
    start(W, "bpmn:terminateEventDefinition");
    end(W);
  }
  if (n->kind == IR_WAIT || n->kind == IR_WAIT_UNTIL) timer(W, p, n->u.wait.value, NULL);
  if (n->kind == IR_START && p->trigger.kind == IR_TRIG_TIMER && p->trigger.schedule)
    timer_text(W, p->trigger.schedule);
  if (n->kind == IR_RECEIVE) {
    start(W, "bpmn:messageEventDefinition");
    attr(W, "messageRef", root_ref(W, 'm', n->u.receive.name));
    end(W);
  }
  if (n->kind == IR_THROW) { /* a code known before the run names an <error> */
    const IrExpr *code = n->u.throw_.code;
    start(W, "bpmn:errorEventDefinition");
    if (code && code->kind == IR_X_STRING && strlen(code->u.str.s) == code->u.str.len)
      attr(W, "errorRef", root_ref(W, 'e', code->u.str.s));
    end(W);
  }
  end(W);
}

/* The boundary timers of a human step: one per reminder, one for its timeout. */
static void boundaries(Writer *W, const IrProc *p, const IrNode *n, const Elem *el, const Elem *bnd) {
  const IrHuman *h = n->u.human;
  for (uint32_t i = 0; i <= h->nreminds; i++) {
    bool timeout = i == h->nreminds;
    if (timeout && !h->timeout_entry) break;
    const Elem *b = &bnd[i];
    start(W, "bpmn:boundaryEvent");
    attr(W, "id", b->id);
    attr(W, "name", timeout ? "on timeout" : "reminder");
    attr(W, "attachedToRef", el->id);
    attr(W, "cancelActivity", "false");
    attr(W, "bpc:ir", timeout ? "(timeout)" : arena_printf(&W->a, "(remind %u)", (unsigned)i));
    timer(W, p, h->due, timeout ? NULL : h->remind_before[i]);
    end(W);
  }
  for (uint32_t i = 0; i < h->nafters; i++) { /* a token of its own: non-interrupting */
    const Elem *b = &bnd[h->nreminds + 1 + i];
    start(W, "bpmn:boundaryEvent");
    attr(W, "id", b->id);
    attr(W, "name", "after");
    attr(W, "attachedToRef", el->id);
    attr(W, "cancelActivity", "false");
    attr(W, "bpc:ir", arena_printf(&W->a, "(after %u)", (unsigned)i));
    after_timer(W, p, n, i);
    end(W);
  }
}

/* ---- the diagram ------------------------------------------------------------------- */

typedef struct ProcOut {
  const IrProc *p;
  const char *id;
  Elem *els;        /* per node */
  Elem **bnd;       /* per node: its boundary events (reminders, then timeout) */
  const char **flow_ids; /* per edge */
  BwBox *boxes;     /* per node, then per boundary event */
  BwLine *lines;    /* per edge, then per flow of the states' commands */
  /* statuses: per state, the event gateway its commands wait at (no id: none) and
     per command its message catch event; their boxes follow the nodes' */
  Elem *cmd_gw;
  Elem **cmd_ev;
  uint32_t *gw_box;       /* per state: the gateway's box; its commands' follow */
  int32_t *edge_cmd;      /* per edge: the command a COMMAND edge is, or -1 */
  uint32_t nboxes, nlines;
  const char **helper_flow_ids; /* per helper line (index - edges.n) */
} ProcOut;

static void shape(Writer *W, const char *id, const BwBox *b) {
  start(W, "bpmndi:BPMNShape");
  attr(W, "id", unique_id(W, arena_printf(&W->a, "%s_di", id), "shape_di"));
  attr(W, "bpmnElement", id);
  start(W, "dc:Bounds");
  attr_num(W, "x", b->x);
  attr_num(W, "y", b->y);
  attr_num(W, "width", b->w);
  attr_num(W, "height", b->h);
  end(W);
  end(W);
}

static void waypoint(Writer *W, double x, double y) {
  start(W, "di:waypoint");
  attr_num(W, "x", x);
  attr_num(W, "y", y);
  end(W);
}

/* The boundary event (reminders, timeout, `after` handlers: see plan) a TIMER edge
 * leaves from. */
static uint32_t timer_index(const IrHuman *h, const IrEdge *e) {
  for (uint32_t k = 0; k < h->nreminds; k++)
    if (h->remind_entry[k] == e->to) return k;
  for (uint32_t k = 0; k < h->nafters; k++)
    if (h->after_entry[k] == e->to) return h->nreminds + 1 + k;
  return h->nreminds;
}

/* Where boundary event k sits on its step, counted from the right (no gap for a
 * timeout there is none). */
static uint32_t bnd_place(const IrHuman *h, uint32_t k) {
  return k > h->nreminds && !h->timeout_entry ? k - 1 : k;
}

static void diagram(Writer *W, ProcOut *po) {
  const IrProc *p = po->p;
  start(W, "bpmndi:BPMNDiagram");
  attr(W, "id", unique_id(W, arena_printf(&W->a, "%s_diagram", po->id), "diagram"));
  start(W, "bpmndi:BPMNPlane");
  attr(W, "id", unique_id(W, arena_printf(&W->a, "%s_plane", po->id), "plane"));
  attr(W, "bpmnElement", po->id);
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    if (!po->els[i].tag || !po->boxes[i].used) continue; /* an empty group is not drawn */
    shape(W, po->els[i].id, &po->boxes[i]);
    const IrNode *n = ir_node_at(p, i);
    if (!ir_is_human(n->kind)) continue;
    uint32_t nb = n->u.human->nreminds + 1 + n->u.human->nafters;
    for (uint32_t k = 0; k < nb; k++) { /* on the step's lower edge, from the right */
      if (!po->bnd[i][k].id) continue;
      BwBox b = {EVENT, EVENT, 0, 0, true, "circle", -1};
      b.x = po->boxes[i].x + po->boxes[i].w - EVENT - 6 - bnd_place(n->u.human, k) * (EVENT + 4);
      b.y = po->boxes[i].y + po->boxes[i].h - EVENT / 2;
      shape(W, po->bnd[i][k].id, &b);
    }
  }
  for (uint32_t q = 0; q < p->nstates; q++) {
    if (!po->cmd_ev || !po->cmd_ev[q]) continue;
    shape(W, po->cmd_gw[q].id, &po->boxes[po->gw_box[q]]);
    for (uint32_t j = 0; j < p->states[q].ncommands; j++)
      shape(W, po->cmd_ev[q][j].id, &po->boxes[po->gw_box[q] + 1 + j]);
  }
  for (uint32_t i = p->edges.n; i < po->nlines; i++) {
    const BwLine *l = &po->lines[i];
    start(W, "bpmndi:BPMNEdge");
    attr(W, "id", unique_id(W, arena_printf(&W->a, "%s_di", po->helper_flow_ids[i - p->edges.n]), "edge_di"));
    attr(W, "bpmnElement", po->helper_flow_ids[i - p->edges.n]);
    for (uint32_t k = 0; k < l->npts; k++) waypoint(W, l->pts[2 * k], l->pts[2 * k + 1]);
    end(W);
  }
  for (uint32_t i = 0; i < p->edges.n; i++) {
    if (!po->flow_ids[i]) continue;
    const IrEdge *e = ir_edge_at(p, i);
    BwLine *l = &po->lines[i];
    start(W, "bpmndi:BPMNEdge");
    attr(W, "id", unique_id(W, arena_printf(&W->a, "%s_di", po->flow_ids[i]), "edge_di"));
    attr(W, "bpmnElement", po->flow_ids[i]);
    for (uint32_t k = 0; k < l->npts; k++) {
      double x = l->pts[2 * k], y = l->pts[2 * k + 1];
      if (k == 0 && e->kind == IR_E_TIMER && ir_is_human(e->from->kind)) { /* out of the boundary event's bottom, */
        const IrHuman *h = e->from->u.human;
        uint32_t slot = bnd_place(h, timer_index(h, e));
        const BwBox *s = &po->boxes[e->from->index];
        x = s->x + s->w - EVENT / 2 - 6 - slot * (EVENT + 4), y = s->y + s->h + EVENT / 2;
        if (l->npts >= 2 && l->pts[3] > y) { /* then down to where the route goes on */
          waypoint(W, x, y);
          y = l->pts[3];
        }
      }
      waypoint(W, x, y);
    }
    end(W);
  }
  end(W);
  end(W);
}

/* ---- processes ------------------------------------------------------------------------ */

static void box_size(const IrNode *n, BwBox *b) {
  const char *tag = tag_of(n);
  b->used = tag != NULL && n->kind != IR_BRANCH; /* a group is drawn around its members */
  if (!b->used) return;
  if (strstr(tag, "Event")) b->w = b->h = EVENT, b->outline = "circle";
  else if (strstr(tag, "Gateway")) b->w = b->h = GATEWAY, b->outline = "diamond";
  else b->w = TASK_W, b->h = TASK_H, b->outline = "box";
}

/* The boundary event a TIMER edge leaves from. */
static const char *timer_source(const ProcOut *po, const IrEdge *e) {
  if (!ir_is_human(e->from->kind)) return po->els[e->from->index].id; /* a spawn's flow */
  return po->bnd[e->from->index][timer_index(e->from->u.human, e)].id;
}

/* The elements a state's commands are drawn with: an event gateway the state
 * flows into (beside its enter block: BPMN's implicit parallel split), and from
 * it one message catch event per command, whose flow is the COMMAND edge to the
 * target state or the command's body. Their boxes follow the nodes', their
 * flows the edges'. */
static void plan_commands(Writer *W, ProcOut *po) {
  const IrProc *p = po->p;
  uint32_t nh = 0;
  for (uint32_t q = 0; q < p->nstates; q++)
    if (p->states[q].ncommands) nh += 1 + p->states[q].ncommands;
  po->nboxes = p->nodes.n + nh, po->nlines = p->edges.n + nh;
  po->edge_cmd = arena_alloc(&W->a, (p->edges.n + 1) * sizeof *po->edge_cmd);
  for (uint32_t i = 0; i < p->edges.n; i++) po->edge_cmd[i] = -1;
  if (!nh) return;
  BwBox *boxes = arena_alloc(&W->a, (po->nboxes + 1) * sizeof *boxes);
  BwLine *lines = arena_alloc(&W->a, (po->nlines + 1) * sizeof *lines);
  memcpy(boxes, po->boxes, p->nodes.n * sizeof *boxes);
  memset(lines, 0, (po->nlines + 1) * sizeof *lines);
  memcpy(lines, po->lines, p->edges.n * sizeof *lines);
  po->boxes = boxes, po->lines = lines;
  po->cmd_gw = arena_alloc(&W->a, (p->nstates + 1) * sizeof *po->cmd_gw);
  po->cmd_ev = arena_alloc(&W->a, (p->nstates + 1) * sizeof *po->cmd_ev);
  po->gw_box = arena_alloc(&W->a, (p->nstates + 1) * sizeof *po->gw_box);
  po->helper_flow_ids = arena_alloc(&W->a, (nh + 1) * sizeof *po->helper_flow_ids);
  uint32_t b = p->nodes.n, l = 0;
  for (uint32_t q = 0; q < p->nstates; q++) {
    const IrState *st = &p->states[q];
    memset(&po->cmd_gw[q], 0, sizeof po->cmd_gw[q]);
    po->cmd_ev[q] = NULL;
    if (!st->ncommands || !st->node) continue;
    const char *sid = po->els[st->node->index].id;
    po->cmd_gw[q] = (Elem){unique_id(W, arena_printf(&W->a, "%s_commands", sid), "commands"),
                           "bpmn:eventBasedGateway", false};
    po->gw_box[q] = b;
    boxes[b] = (BwBox){GATEWAY, GATEWAY, 0, 0, true, "diamond", -1};
    po->cmd_ev[q] = arena_alloc(&W->a, st->ncommands * sizeof *po->cmd_ev[q]);
    lines[p->edges.n + l] = (BwLine){st->node->index, b, NULL, 0};
    po->helper_flow_ids[l++] = unique_id(W, arena_printf(&W->a, "%s_to_%s", sid, po->cmd_gw[q].id), "flow");
    for (uint32_t j = 0; j < st->ncommands; j++) {
      const char *id = unique_id(W, arena_printf(&W->a, "%s_%s", sid, st->commands[j].name), "command");
      po->cmd_ev[q][j] = (Elem){id, "bpmn:intermediateCatchEvent", false};
      boxes[b + 1 + j] = (BwBox){EVENT, EVENT, 0, 0, true, "circle", -1};
      lines[p->edges.n + l] = (BwLine){b, b + 1 + j, NULL, 0};
      po->helper_flow_ids[l++] = unique_id(W, arena_printf(&W->a, "%s_to_%s", po->cmd_gw[q].id, id), "flow");
    }
    /* the state's COMMAND edges are its commands, in order */
    uint32_t j = 0;
    for (uint32_t i = 0; i < p->edges.n && j < st->ncommands; i++) {
      const IrEdge *e = ir_edge_at(p, i);
      if (e->kind != IR_E_COMMAND || e->from != st->node || !po->els[e->to->index].tag) continue;
      po->edge_cmd[i] = (int32_t)j;
      lines[i].from = b + 1 + j;
      po->flow_ids[i] = unique_id(W, arena_printf(&W->a, "%s_to_%s", po->cmd_ev[q][j].id, po->els[e->to->index].id), "flow");
      j++;
    }
    b += 1 + st->ncommands;
  }
}

/* The element a flow of edge e leaves from. */
static const char *flow_source(const ProcOut *po, const IrEdge *e, uint32_t i);

/* Ids and the layout of one process, before anything is written. */
static void plan(Writer *W, ProcOut *po) {
  const IrProc *p = po->p;
  po->els = arena_alloc(&W->a, (p->nodes.n + 1) * sizeof *po->els);
  po->bnd = arena_alloc(&W->a, (p->nodes.n + 1) * sizeof *po->bnd);
  po->boxes = arena_alloc(&W->a, (p->nodes.n + 1) * sizeof *po->boxes);
  po->flow_ids = arena_alloc(&W->a, (p->edges.n + 1) * sizeof *po->flow_ids);
  po->lines = arena_alloc(&W->a, (p->edges.n + 1) * sizeof *po->lines);
  memset(po->lines, 0, (p->edges.n + 1) * sizeof *po->lines);
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    const IrNode *n = ir_node_at(p, i);
    Elem *el = &po->els[i];
    memset(el, 0, sizeof *el);
    memset(&po->boxes[i], 0, sizeof po->boxes[i]);
    po->boxes[i].cluster = -1;
    po->bnd[i] = NULL;
    el->tag = tag_of(n);
    if (!el->tag) continue;
    el->id = unique_id(W, n->id, arena_printf(&W->a, "%s_%u", ir_node_kind_name(n->kind), (unsigned)i));
    box_size(n, &po->boxes[i]);
    po->boxes[i].cluster = n->cluster && n->cluster->kind == IR_BRANCH ? (int32_t)n->cluster->index : -1;
    if (ir_is_human(n->kind)) {
      /* reminders, the timeout (no id: none), then the `after` handlers */
      const IrHuman *h = n->u.human;
      uint32_t nb = h->nreminds + 1 + h->nafters;
      po->bnd[i] = arena_alloc(&W->a, nb * sizeof *po->bnd[i]);
      for (uint32_t k = 0; k < nb; k++) {
        bool timeout = k == h->nreminds, after = k > h->nreminds;
        po->bnd[i][k].tag = "bpmn:boundaryEvent";
        po->bnd[i][k].boundary = true;
        po->bnd[i][k].id =
            timeout && !h->timeout_entry ? NULL
            : unique_id(W,
                        after ? arena_printf(&W->a, "%s_after%u", el->id, (unsigned)(k - h->nreminds))
                              : arena_printf(&W->a, timeout ? "%s_timeout" : "%s_remind%u", el->id, (unsigned)(k + 1)),
                        "boundary");
      }
    }
  }
  for (uint32_t i = 0; i < p->edges.n; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    po->flow_ids[i] = NULL;
    if (!po->els[e->from->index].tag || !po->els[e->to->index].tag) continue;
    if (e->kind == IR_E_COMMAND) continue; /* out of its command's event: plan_commands */
    const char *from = e->kind == IR_E_TIMER ? timer_source(po, e) : po->els[e->from->index].id;
    po->flow_ids[i] = unique_id(W, arena_printf(&W->a, "%s_to_%s", from, po->els[e->to->index].id), "flow");
    po->lines[i].from = e->from->index;
    po->lines[i].to = e->to->index;
  }
  plan_commands(W, po);
  bpmnw_layout(&W->a, po->boxes, po->nboxes, po->lines, po->nlines);
  /* groups around their members; a nested branch comes after its outer one,
   * so from the last node back each group is complete before it is counted */
  for (uint32_t i = p->nodes.n; i-- > 0;) {
    const IrNode *n = ir_node_at(p, i);
    BwBox *b = &po->boxes[i];
    if (!n->cluster || n->cluster->kind != IR_BRANCH || !b->used) continue;
    BwBox *g = &po->boxes[n->cluster->index];
    double pad = n->kind == IR_BRANCH ? 10 : 15;
    double x0 = b->x - pad, y0 = b->y - pad, x1 = b->x + b->w + pad, y1 = b->y + b->h + pad;
    if (!g->used) {
      g->x = x0, g->y = y0, g->w = x1 - x0, g->h = y1 - y0, g->used = true;
    } else {
      double gx1 = g->x + g->w, gy1 = g->y + g->h;
      if (x0 < g->x) g->x = x0;
      if (y0 < g->y) g->y = y0;
      g->w = (x1 > gx1 ? x1 : gx1) - g->x;
      g->h = (y1 > gy1 ? y1 : gy1) - g->y;
    }
  }
}

static void flows(Writer *W, const ProcOut *po) {
  const IrProc *p = po->p;
  for (uint32_t i = 0; i < p->edges.n; i++) {
    const IrEdge *e = ir_edge_at(p, i);
    if (!po->flow_ids[i]) continue;
    start(W, "bpmn:sequenceFlow");
    attr(W, "id", po->flow_ids[i]);
    if (e->label && *e->label) attr(W, "name", e->label);
    attr(W, "sourceRef", flow_source(po, e, i));
    attr(W, "targetRef", po->els[e->to->index].id);
    StrBuf b;
    sb_init(&b);
    if (e->kind == IR_E_COND) {
      sb_printf(&b, "(cond %u ", (unsigned)e->arm);
      ir_text_expr(&b, e->cond);
      sb_putc(&b, ')');
    } else if (e->kind == IR_E_ELSE) {
      sb_puts(&b, "(else)");
    } else if (e->kind == IR_E_TIMER && e->from->kind == IR_SPAWN) {
      sb_puts(&b, "(spawn)");
    } else if (e->kind == IR_E_TIMER) {
      sb_puts(&b, "(timer)");
    } else if (e->kind == IR_E_GOTO) {
      sb_puts(&b, "(goto)");
    } else if (e->kind == IR_E_COMMAND) {
      sb_printf(&b, "(command %u)", (unsigned)e->arm);
    } else if (e->kind == IR_E_CATCH) {
      sb_printf(&b, "(catch %u", (unsigned)e->arm);
      for (uint32_t k = 0; k < e->ncodes; k++) {
        sb_putc(&b, ' ');
        ir_text_string(&b, e->codes[k], (uint32_t)strlen(e->codes[k]));
      }
      sb_putc(&b, ')');
    } else {
      sb_printf(&b, "(flow %u)", (unsigned)e->arm);
    }
    attr(W, "bpc:ir", b.data);
    sb_free(&b);
    if (e->kind == IR_E_COND) {
      start(W, "bpmn:conditionExpression");
      attr(W, "xsi:type", "bpmn:tFormalExpression");
      text(W, expr_text(W, p, e->cond));
      end(W);
    } else if (e->kind == IR_E_CATCH) { /* for a reader: which errors take this way */
      StrBuf c;
      sb_init(&c);
      sb_puts(&c, "${");
      if (!e->ncodes) sb_puts(&c, "error != null");
      for (uint32_t k = 0; k < e->ncodes; k++)
        sb_printf(&c, "%serror.code == '%s'", k ? " || " : "", e->codes[k]);
      sb_putc(&c, '}');
      start(W, "bpmn:conditionExpression");
      attr(W, "xsi:type", "bpmn:tFormalExpression");
      text(W, c.data);
      end(W);
      sb_free(&c);
    }
    end(W);
  }
}

static const char *flow_source(const ProcOut *po, const IrEdge *e, uint32_t i) {
  if (e->kind == IR_E_TIMER) return timer_source(po, e);
  if (e->kind == IR_E_COMMAND && po->edge_cmd[i] >= 0)
    return po->cmd_ev[e->from->u.state.state][po->edge_cmd[i]].id;
  return po->els[e->from->index].id;
}

/* The flows from a state to its commands' gateway and on to each command's event:
 * the drawing of "this state waits for one of its commands" (bpc reads them as no
 * edge: `(commands)`). */
static void command_flows(Writer *W, const ProcOut *po) {
  const IrProc *p = po->p;
  uint32_t l = 0;
  for (uint32_t q = 0; q < p->nstates; q++) {
    if (!po->cmd_ev || !po->cmd_ev[q]) continue;
    for (uint32_t j = 0; j <= p->states[q].ncommands; j++) {
      start(W, "bpmn:sequenceFlow");
      attr(W, "id", po->helper_flow_ids[l++]);
      attr(W, "sourceRef", j ? po->cmd_gw[q].id : po->els[p->states[q].node->index].id);
      attr(W, "targetRef", j ? po->cmd_ev[q][j - 1].id : po->cmd_gw[q].id);
      attr(W, "bpc:ir", "(commands)");
      end(W);
    }
  }
}

/* A state's commands: the event gateway, and per command a message catch event
 * named by its label (and who may run it), its message the command's name. */
static void command_events(Writer *W, const ProcOut *po, uint32_t q) {
  const IrState *st = &po->p->states[q];
  if (!po->cmd_ev || !po->cmd_ev[q]) return;
  start(W, po->cmd_gw[q].tag);
  attr(W, "id", po->cmd_gw[q].id);
  attr(W, "name", "commands");
  attr(W, "bpc:ir", "(commands)");
  end(W);
  StrBuf b;
  for (uint32_t j = 0; j < st->ncommands; j++) {
    const IrCommand *c = &st->commands[j];
    start(W, po->cmd_ev[q][j].tag);
    attr(W, "id", po->cmd_ev[q][j].id);
    sb_init(&b);
    sb_puts(&b, c->label);
    for (uint32_t k = 0; k < c->by.n; k++) {
      sb_puts(&b, k ? ", " : " (by ");
      bpmnw_expr_bare(&b, W->ir, po->p, c->by.who[k]);
    }
    if (c->by.n) sb_putc(&b, ')');
    attr(W, "name", b.data);
    sb_free(&b);
    sb_init(&b);
    sb_puts(&b, "(command ");
    ir_text_string(&b, po->els[st->node->index].id, (uint32_t)strlen(po->els[st->node->index].id));
    sb_printf(&b, " %u)", (unsigned)j);
    attr(W, "bpc:ir", b.data);
    sb_free(&b);
    start(W, "bpmn:messageEventDefinition");
    attr(W, "messageRef", root_ref(W, 'c', c->name));
    end(W);
    end(W);
  }
}

static const char *else_flow(const ProcOut *po, const IrNode *n) {
  for (uint32_t k = 0; k < n->nout; k++) {
    IrEdgeKind kind = ir_edge_at(po->p, n->out[k])->kind;
    if (kind == IR_E_ELSE || (n->kind == IR_TRY && (kind == IR_E_FLOW || kind == IR_E_LOOP)))
      return po->flow_ids[n->out[k]]; /* a try's body is its default way */
  }
  return NULL;
}

static void process(Writer *W, const ProcOut *po) {
  const IrProc *p = po->p;
  start(W, "bpmn:process");
  attr(W, "id", po->id);
  if (p->title && *p->title) attr(W, "name", p->title);
  attr(W, "isExecutable", "true");
  StrBuf b;
  sb_init(&b);
  ir_text_proc(&b, p);
  if (!str_eq(po->id, p->name)) { /* (process (name "договор") ...) */
    StrBuf n;
    sb_init(&n);
    sb_puts(&n, "(process (name ");
    ir_text_string(&n, p->name, (uint32_t)strlen(p->name));
    sb_printf(&n, ")%s", b.data + strlen("(process"));
    sb_free(&b);
    b = n;
  }
  attr(W, "bpc:ir", b.data);
  sb_free(&b);
  for (uint32_t i = 0; i < p->nodes.n; i++) {
    const IrNode *n = ir_node_at(p, i);
    if (!po->els[i].tag) continue;
    const char *cluster = n->cluster && (n->cluster->kind == IR_BRANCH || n->cluster->kind == IR_STATE)
                              ? po->els[n->cluster->index].id : NULL;
    element(W, p, n, &po->els[i], else_flow(po, n), cluster);
    if (ir_is_human(n->kind)) boundaries(W, p, n, &po->els[i], po->bnd[i]);
    if (n->kind == IR_STATE) command_events(W, po, n->u.state.state);
  }
  flows(W, po);
  command_flows(W, po);
  end(W);
}

int bpmnw_export(const IrProgram *ir, const char *only, char **xml, size_t *len, FILE *diag) {
  Writer W;
  memset(&W, 0, sizeof W);
  W.ir = ir;
  W.diag = diag;
  arena_init(&W.a);
  *xml = NULL, *len = 0;
  int32_t chosen = -1;
  if (only) {
    for (uint32_t i = 0; i < ir->nprocs; i++)
      if (str_eq(ir->procs[i].name, only)) chosen = (int32_t)i;
    if (chosen < 0) {
      fprintf(diag, "%s: error: no process is named `%s`\n", ir->source_path, only);
      arena_free(&W.a);
      return 1;
    }
  }
  ProcOut *pos = arena_alloc(&W.a, (ir->nprocs + 1) * sizeof *pos);
  id_put(&W, "definitions");
  for (uint32_t i = 0; i < ir->nprocs; i++) {
    pos[i].p = NULL;
    if (chosen >= 0 && (int32_t)i != chosen) continue;
    const IrProc *p = &ir->procs[i];
    if (!exportable(&W, p, chosen >= 0)) continue;
    /* a name that is no plain id (`договор`) or is taken: Process_N, the name in bpc:ir */
    pos[i].p = p;
    pos[i].id = unique_id(&W, p->name, arena_printf(&W.a, "Process_%u", (unsigned)i + 1));
  }
  if (W.errors) {
    free(W.ids);
    arena_free(&W.a);
    return 1;
  }
  for (uint32_t i = 0; i < ir->nprocs; i++)
    if (pos[i].p) plan(&W, &pos[i]);

  xmlBufferPtr buf = xmlBufferCreate();
  W.w = xmlNewTextWriterMemory(buf, 0);
  if (!buf || !W.w) out_of_memory();
  xmlTextWriterSetIndent(W.w, 1);
  xmlTextWriterSetIndentString(W.w, (const xmlChar *)"  ");
  xmlTextWriterStartDocument(W.w, "1.0", "UTF-8", NULL);
  start(&W, "bpmn:definitions");
  attr(&W, "xmlns:bpmn", NS_MODEL);
  attr(&W, "xmlns:bpmndi", NS_BPMNDI);
  attr(&W, "xmlns:dc", NS_DC);
  attr(&W, "xmlns:di", NS_DI);
  attr(&W, "xmlns:xsi", NS_XSI);
  attr(&W, "xmlns:camunda", NS_CAMUNDA);
  attr(&W, "xmlns:bpc", NS_BPC);
  attr(&W, "id", "definitions");
  attr(&W, "targetNamespace", "urn:bpc:processes");
  attr(&W, "exporter", "bpc");
  attr(&W, "exporterVersion", "0.1.0");
  StrBuf b;
  sb_init(&b);
  ir_text_program(&b, ir); /* every document and action, also with -p: indices stay */
  attr(&W, "bpc:ir", b.data);
  sb_free(&b);
  for (uint32_t i = 0; i < ir->nprocs; i++)
    if (pos[i].p) process(&W, &pos[i]);
  for (uint32_t i = 0; i < W.ref_names.n; i++) { /* what the processes' events named */
    start(&W, W.ref_kinds[i] == 'e' ? "bpmn:error" : "bpmn:message"); /* a command's too */
    attr(&W, "id", W.ref_ids.items[i]);
    attr(&W, "name", W.ref_names.items[i]);
    if (W.ref_kinds[i] == 'e') attr(&W, "errorCode", W.ref_names.items[i]);
    end(&W);
  }
  for (uint32_t i = 0; i < ir->nprocs; i++)
    if (pos[i].p) diagram(&W, &pos[i]);
  end(&W);
  xmlTextWriterEndDocument(W.w);
  xmlFreeTextWriter(W.w);
  *len = (size_t)xmlBufferLength(buf);
  *xml = xmalloc(*len + 1);
  memcpy(*xml, xmlBufferContent(buf), *len);
  (*xml)[*len] = '\0';
  xmlBufferFree(buf);
  free(W.ids);
  arena_free(&W.a);
  return 0;
}
