/* bpmn_read.c — builds the BpmnModel from the safe XML layer's events.
 *
 * A stack of open elements gives each event its context: a flow element
 * belongs to the process or sub-process directly around it, an event
 * definition to the event around it, a formalExpression to the potentialOwner
 * two levels up. Text is collected only for the elements whose text the model
 * keeps (conditions, timers, loop expressions, lane references), and at most
 * BPMN_MAX_TEXT bytes of it.
 *
 * Element names are matched by namespace URI, never by prefix: `bpmn:`,
 * `bpmn2:`, `semantic:` or the default namespace are all the same. An element
 * of the BPMN namespace that BPMN 2.0 does not define is an error (the file
 * was not written against the standard); a valid element the model does not
 * keep is listed in m->ignored with its line, for the mapping to judge. */
#include "bpmn_int.h"

#include <stdlib.h>

/* ---- namespaces ----------------------------------------------------------------- */

typedef enum {
  NS_NONE, /* unqualified */
  NS_BPMN,
  NS_BPMNDI,
  NS_DC,
  NS_DDI,
  NS_XSI,
  NS_CAMUNDA,
  NS_ACTIVITI,
  NS_FLOWABLE,
  NS_BPC, /* bpc's own attributes on what `bpc export --bpmn` writes */
  NS_OTHER,
} Ns;

static Ns ns_of(const char *uri) {
  if (!uri) return NS_NONE;
  if (str_eq(uri, BPMN_NS_MODEL)) return NS_BPMN;
  if (str_eq(uri, BPMN_NS_DI)) return NS_BPMNDI;
  if (str_eq(uri, BPMN_NS_DC)) return NS_DC;
  if (str_eq(uri, BPMN_NS_DD_DI)) return NS_DDI;
  if (str_eq(uri, "http://www.w3.org/2001/XMLSchema-instance")) return NS_XSI;
  if (str_eq(uri, "http://camunda.org/schema/1.0/bpmn")) return NS_CAMUNDA;
  if (str_eq(uri, "http://activiti.org/bpmn")) return NS_ACTIVITI;
  if (str_eq(uri, "http://flowable.org/bpmn")) return NS_FLOWABLE;
  if (str_eq(uri, BPMN_NS_BPC)) return NS_BPC;
  return NS_OTHER;
}

static bool ns_is_engine(Ns ns) { return ns == NS_CAMUNDA || ns == NS_ACTIVITI || ns == NS_FLOWABLE; }

/* A short name for a vendor's namespace, for the list of vendor names seen. */
static const char *vendor_of(const char *uri) {
  static const struct {
    const char *part, *name;
  } vendors[] = {
      {"camunda.org/schema/1.0/bpmn", "camunda"}, {"camunda.org/schema/zeebe", "zeebe"},
      {"camunda.org/schema/modeler", "modeler"},  {"activiti.org", "activiti"},
      {"flowable.org", "flowable"},               {"signavio", "signavio"},
      {"bizagi", "bizagi"},                       {"jboss.org/drools", "drools"},
      {"yaoqiang", "yaoqiang"},                   {"trisotech", "trisotech"},
      {"bpsim", "bpsim"},                         {"non-normative/color", "color"},
      {"extensions/i18n", "i18n"},                {"w4.eu", "w4"},
      {"knowprocess", "knowprocess"},             {"omg.org/spec/DMN", "dmn"},
      {"openapis.org", "openapi"},                {"bpmn.io/schema/bpmn/biocolor", "bioc"},
      {"bpmn-js", "bpmnjs"},                      {"itp-commerce", "itp"},
      {"boc-group.com", "adonis"},                {"caseagile.com", "caseagile"},
  };
  for (size_t i = 0; i < sizeof vendors / sizeof vendors[0]; i++)
    if (strstr(uri, vendors[i].part)) return vendors[i].name;
  return NULL;
}

/* ---- tags ----------------------------------------------------------------------- */

/* Elements of the BPMN namespace the reader acts on, besides the flow element
 * kinds and the event definitions. */
#define HANDLED_TAGS(X)                                                                   \
  X(definitions) X(process) X(collaboration) X(participant) X(messageFlow) X(message)     \
  X(error) X(signal) X(escalation) X(laneSet) X(childLaneSet) X(lane) X(flowNodeRef)       \
  X(sequenceFlow) X(conditionExpression) X(timeDuration) X(timeDate) X(timeCycle)          \
  X(condition) X(standardLoopCharacteristics) X(multiInstanceLoopCharacteristics)          \
  X(loopCardinality) X(loopDataInputRef) X(inputDataItem) X(completionCondition)           \
  X(loopCondition) X(potentialOwner) X(humanPerformer) X(performer)                        \
  X(resourceAssignmentExpression) X(formalExpression) X(expression) X(resourceRef)         \
  X(script) X(extensionElements) X(category)

/* Valid BPMN 2.0 elements the model does not keep, said nothing about. */
#define SILENT_TAGS(X)                                                                     \
  X(documentation) X(text) X(incoming) X(outgoing) X(import) X(extension) X(itemDefinition) \
  X(categoryValue) X(auditing) X(monitoring) X(relationship) X(source)         \
  X(target) X(dataState) X(sourceRef) X(targetRef) X(dataInputRefs) X(dataOutputRefs)     \
  X(optionalInputRefs) X(optionalOutputRefs) X(whileExecutingInputRefs)                   \
  X(whileExecutingOutputRefs) X(inputSetRefs) X(outputSetRefs) X(dataInput)              \
  X(dataOutput) X(inputSet) X(outputSet) X(from) X(to) X(assignment) X(transformation)   \
  X(interfaceRef) X(endPointRef) X(participantMultiplicity) X(operation) X(inMessageRef)   \
  X(outMessageRef) X(errorRef) X(messageRef) X(supportedInterfaceRef) X(ioBinding)        \
  X(loopDataOutputRef) X(outputDataItem) X(participantRef) X(messageFlowRef)              \
  X(innerParticipantRef) X(outerParticipantRef) X(correlationPropertyRef) X(dataPath)    \
  X(messagePath) X(resourceParameter) X(resourceParameterBinding) X(event)               \
  X(activationCondition) X(partnerEntityRef) X(partnerRoleRef) X(innerConversationNodeRef) \
  X(outerConversationNodeRef) X(innerMessageFlowRef) X(outerMessageFlowRef)               \
  X(messageFlowAssociation) X(participantAssociation) X(conversationAssociation)          \
  X(correlationPropertyBinding) X(correlationPropertyRetrievalExpression) X(eventDefinition)

/* Valid BPMN 2.0 elements the model does not keep, listed in m->ignored. */
#define RECORDED_TAGS(X)                                                                   \
  X(ioSpecification) X(dataInputAssociation) X(dataOutputAssociation) X(property)         \
  X(eventDefinitionRef) X(rendering) X(complexBehaviorDefinition) X(correlationKey)      \
  X(correlationProperty) X(correlationSubscription) X(conversation) X(subConversation)   \
  X(callConversation) X(globalConversation) X(conversationLink) X(choreography)          \
  X(globalChoreographyTask) X(dataStore) X(interface) X(endPoint) X(partnerEntity)       \
  X(partnerRole) X(resource) X(resourceRole) X(globalTask) X(globalUserTask)             \
  X(globalManualTask) X(globalScriptTask) X(globalBusinessRuleTask) X(rootElement)       \
  X(flowElement) X(flowNode) X(artifact) X(baseElement)

typedef enum {
  TAG_UNKNOWN = 0,
  TAG_KIND,    /* + BpmnKind */
  TAG_DEF = TAG_KIND + BPMN_KIND_COUNT, /* + BpmnEventDefKind */
  TAG_FIRST_HANDLED = TAG_DEF + BPMN_DEF_COUNT,
#define TAG_ENUM(n) TAG_##n,
  HANDLED_TAGS(TAG_ENUM)
#undef TAG_ENUM
  TAG_SILENT,
  TAG_RECORDED,
  /* frames outside the BPMN namespace */
  TAG_DI_SHAPE,
  TAG_DI_EDGE,
  TAG_DI_BOUNDS,
  TAG_DI_WAYPOINT,
  TAG_DI_LABEL,
  TAG_VENDOR_FORM_FIELD, /* camunda:formField, activiti/flowable:formProperty */
  TAG_FOREIGN,           /* any other element */
} Tag;

typedef struct TagName {
  const char *name;
  int tag;
} TagName;

static const TagName tag_names[] = {
#define KIND_TAG(e, name, fam) {name, TAG_KIND + BPMN_##e},
    BPMN_KINDS(KIND_TAG)
#undef KIND_TAG
#define DEF_TAG(e, name) {name, TAG_DEF + BPMN_DEF_##e},
    BPMN_EVENT_DEFS(DEF_TAG)
#undef DEF_TAG
#define HANDLED(n) {#n, TAG_##n},
    HANDLED_TAGS(HANDLED)
#undef HANDLED
#define SILENT(n) {#n, TAG_SILENT},
    SILENT_TAGS(SILENT)
#undef SILENT
#define RECORDED(n) {#n, TAG_RECORDED},
    RECORDED_TAGS(RECORDED)
#undef RECORDED
};
#define N_TAG_NAMES (sizeof tag_names / sizeof tag_names[0])
#define TAG_SLOTS 1024 /* a power of two, at least twice N_TAG_NAMES */

/* ---- the reader ------------------------------------------------------------------ */

typedef struct Frame {
  int tag;
  Ns ns;
  bool ext; /* inside extensionElements, documentation or a foreign element:
               whatever is there (even in the BPMN namespace) is the vendor's */
  void *obj; /* the model object this element made, if any */
} Frame;

typedef enum { CAP_NONE, CAP_STRING, CAP_SCRIPT } CapKind;

enum { VENDOR_SEEN = 64, QNAME_SEEN = 64, STABLE_SEEN = 64, TAG_SEEN = 64 };

typedef struct Reader {
  BpmnModel *m;
  Frame stack[BPMN_MAX_DEPTH + 2];
  uint32_t depth; /* open elements; stack[depth - 1] is the innermost */
  const TagName *slots[TAG_SLOTS];
  /* text capture: the text directly inside the element at cap_depth */
  CapKind cap_kind;
  uint32_t cap_depth;
  const char **cap_slot;
  bool *cap_flag;
  StrBuf cap;
  uint32_t cap_line;
  const char *flow_node_ref; /* a lane's flowNodeRef text, taken at its end */
  uint32_t line; /* of the element being started */
  /* waypoints of the BPMNEdge being read */
  double *pts;
  uint32_t n_pts, cap_pts;
  bool stop; /* a limit was hit: stop the parse */
  /* vendor attributes already noted (note_vendor): a file repeats a few names
     thousands of times; keyed by libxml2's (interned) pointers, checked by text */
  const char *vendor_seen[VENDOR_SEEN][4]; /* the copies, then libxml2's pointers */
  const BpmnXmlScope *scope; /* the namespaces in scope at the element being started */
  /* ns_cached: the namespace of a URI by libxml2's pointer (its URIs are
     interned in its dictionary for the parse), so that each distinct URI is
     compared with the known ones once, not at every attribute */
  const char *ns_uri[16];
  Ns ns_val[16];
  Ns *attr_ns; /* the namespace of each attribute of the element being started */
  bool qname_last[256]; /* the last letters of the names of qname_attrs */
  /* tag_of, qname_attr_index and stable_name: their answers by libxml2's pointer */
  struct TagSeen {
    const char *local;
    int tag;
  } tag_seen[TAG_SEEN];
  struct QNameSeen {
    const char *local;
    int index;
  } qname_seen[QNAME_SEEN];
  const char *stable_seen[STABLE_SEEN][2]; /* libxml2's name, the stable copy */
  int attr_ns_cap;
  const char *target_ns;     /* the definitions' targetNamespace */
  struct QRef *qrefs;        /* references to check once every id is known */
  uint32_t n_qrefs, cap_qrefs;
} Reader;

static uint32_t hash_name(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static void tags_init(Reader *r) {
  for (size_t i = 0; i < N_TAG_NAMES; i++) {
    uint32_t k = hash_name(tag_names[i].name) & (TAG_SLOTS - 1);
    while (r->slots[k]) k = (k + 1) & (TAG_SLOTS - 1);
    r->slots[k] = &tag_names[i];
  }
}

static int tag_of(Reader *r, const char *local) {
  struct TagSeen *seen = &r->tag_seen[bpmn_hash_ptr(local) & (TAG_SEEN - 1)];
  if (seen->local == local) return seen->tag;
  int tag = TAG_UNKNOWN;
  for (uint32_t k = hash_name(local) & (TAG_SLOTS - 1); r->slots[k]; k = (k + 1) & (TAG_SLOTS - 1))
    if (str_eq(r->slots[k]->name, local)) {
      tag = r->slots[k]->tag;
      break;
    }
  seen->local = local, seen->tag = tag;
  return tag;
}

/* While an element starts (before it is pushed): up = 1 is the element around
 * it, 2 the one around that. */
static Frame *parent(Reader *r, uint32_t up) {
  return r->depth >= up ? &r->stack[r->depth - up] : NULL;
}

/* Counts a model object against BPMN_MAX_OBJECTS. */
static bool count_object(Reader *r, uint32_t line) {
  if (++r->m->n_objects <= BPMN_MAX_OBJECTS) return true;
  bpmn_error(r->m, line, "more than %d elements: the reader's limit for one file",
             BPMN_MAX_OBJECTS);
  r->stop = true;
  return false;
}

static void *new_object(Reader *r, size_t size, uint32_t line) {
  if (!count_object(r, line)) return NULL;
  return arena_alloc(&r->m->arena, size);
}

/* ---- attributes ------------------------------------------------------------------- */

typedef struct Attrs {
  const BpmnXmlAttr *a;
  int n;
  uint32_t line;
  const Ns *ns; /* the namespace of each attribute */
  uint64_t names; /* name_bit of each attribute's local name, or'ed */
} Attrs;

/* One of 64 bits for a (non-empty) name, from its first two letters: an
 * element asks for some twenty attributes it mostly does not have (a task:
 * cancelActivity, messageRef, scriptFormat ...), and a bit not in Attrs.names
 * answers "absent" without a look at its few attributes. */
static inline uint64_t name_bit(const char *s) {
  return (uint64_t)1 << (((unsigned char)s[0] * 5u + (unsigned char)s[1]) & 63);
}

static Ns ns_cached(Reader *r, const char *uri) {
  if (!uri) return NS_NONE;
  uint32_t k = bpmn_hash_ptr(uri) & 15;
  if (r->ns_uri[k] == uri) return r->ns_val[k];
  Ns ns = ns_of(uri);
  r->ns_uri[k] = uri, r->ns_val[k] = ns;
  return ns;
}

/* The value of the attribute local in namespace ns (NS_NONE: unqualified), as
 * an arena string; NULL when absent. */
static const char *attr_value(Reader *r, const Attrs *at, const BpmnXmlAttr *a,
                              const char *local) {
  if (a->len > BPMN_MAX_TEXT) {
    bpmn_error(r->m, at->line, "the attribute %s has %zu bytes; at most %u are read", local,
               a->len, BPMN_MAX_TEXT);
    r->stop = true;
    return NULL;
  }
  return arena_strndup(&r->m->arena, a->value, a->len);
}

/* Inline: where local is a literal, its name_bit is a constant. */
static inline const char *attr_in(Reader *r, const Attrs *at, Ns ns, const char *local) {
  if (!(at->names & name_bit(local))) return NULL;
  for (int i = 0; i < at->n; i++)
    if (at->ns[i] == ns && str_eq(at->a[i].local, local)) return attr_value(r, at, &at->a[i], local);
  return NULL;
}

static const char *attr(Reader *r, const Attrs *at, const char *local) {
  return attr_in(r, at, NS_NONE, local);
}

/* A QName-valued reference (messageRef, attachedToRef, bpmnElement ...), as the
 * id it names: a QName in this file's namespace (`tns:Msg_1` with tns the
 * targetNamespace, or `bpmn:Msg_1` with the BPMN model namespace, as some tools
 * write) is kept as its local part, so every later lookup sees the plain id.
 * Any other value is kept as written (an undeclared prefix is an error of
 * check_qnames). */
static const char *attr_ref(Reader *r, const Attrs *at, const char *local) {
  const char *v = attr(r, at, local);
  const char *colon = v ? strchr(v, ':') : NULL;
  if (!colon || colon == v || !colon[1] || !r->scope) return v;
  const char *uri = bpmn_xml_scope_uri(r->scope, v, (size_t)(colon - v));
  if (uri && (str_eq(uri, BPMN_NS_MODEL) || (r->target_ns && str_eq(uri, r->target_ns))))
    return colon + 1;
  return v;
}

/* The attribute in whichever engine namespace (Camunda, Activiti, Flowable). */
static const char *attr_engine(Reader *r, const Attrs *at, const char *local) {
  const char *v = attr_in(r, at, NS_CAMUNDA, local);
  if (!v) v = attr_in(r, at, NS_ACTIVITI, local);
  if (!v) v = attr_in(r, at, NS_FLOWABLE, local);
  return v;
}

static bool parse_bool(Reader *r, const Attrs *at, const char *local, bool dflt) {
  const char *v = attr(r, at, local);
  if (!v) return dflt;
  while (*v == ' ') v++;
  if (!strncmp(v, "true", 4) || !strcmp(v, "1")) return true;
  if (!strncmp(v, "false", 5) || !strcmp(v, "0")) return false;
  bpmn_error(r->m, at->line, "%s=\"%s\" is not a boolean (true or false)", local, v);
  return dflt;
}

/* Remembers the distinct vendor names seen ("camunda:assignee"), at most 256. */
static void note_vendor(Reader *r, const char *uri, const char *local) {
  BpmnModel *m = r->m;
  if (m->vendor_names.n >= 256) return;
  uintptr_t key = ((uintptr_t)uri >> 4) * 31 + ((uintptr_t)local >> 4);
  const char **seen = r->vendor_seen[(key ^ key >> 7) & (VENDOR_SEEN - 1)];
  if (seen[2] == uri && seen[3] == local) return; /* the same interned strings */
  if (seen[0] && str_eq(seen[0], uri) && str_eq(seen[1], local)) return;
  seen[0] = arena_strdup(&m->arena, uri), seen[1] = arena_strdup(&m->arena, local);
  seen[2] = uri, seen[3] = local;
  const char *v = vendor_of(uri);
  char buf[160];
  snprintf(buf, sizeof buf, "%s:%s", v ? v : uri, local);
  for (uint32_t i = 0; i < m->vendor_names.n; i++)
    if (str_eq(m->vendor_names.items[i], buf)) return;
  ptrvec_push(&m->arena, &m->vendor_names, arena_strdup(&m->arena, buf));
}

static void note_vendor_attrs(Reader *r, const Attrs *at) {
  for (int i = 0; i < at->n; i++) {
    Ns ns = at->ns[i];
    if (ns_is_engine(ns)) r->m->engine_extensions = true;
    if (ns != NS_NONE && ns != NS_XSI && ns != NS_BPMN && ns != NS_BPMNDI && ns != NS_DC &&
        ns != NS_DDI && !str_eq(at->a[i].uri, "http://www.w3.org/XML/1998/namespace"))
      note_vendor(r, at->a[i].uri, at->a[i].local);
  }
}

/* ---- ids ---------------------------------------------------------------------------- */

/* The element name as a string that outlives the parse (libxml2's names
 * live in its dictionary, freed with the parser): the tag table's own copy,
 * else one in the arena. */
static const char *stable_name(Reader *r, const char *local) {
  const char **seen = r->stable_seen[bpmn_hash_ptr(local) & (STABLE_SEEN - 1)];
  if (seen[0] == local) return seen[1];
  const char *name = NULL;
  uint32_t k = hash_name(local) & (TAG_SLOTS - 1);
  for (; r->slots[k] && !name; k = (k + 1) & (TAG_SLOTS - 1))
    if (str_eq(r->slots[k]->name, local)) name = r->slots[k]->name;
  if (!name) name = arena_strdup(&r->m->arena, local);
  seen[0] = local, seen[1] = name;
  return name;
}

static void register_id(Reader *r, const char *id, const char *tag, uint32_t line,
                        BpmnIdKind kind, void *obj) {
  if (!id) return;
  tag = stable_name(r, tag);
  BpmnId *first = bpmn_id_add(r->m, id, tag, line, kind, obj);
  if (first)
    bpmn_error(r->m, line, "%s: duplicate id (the %s at line %u has it already)", id, first->tag,
               first->line);
}

/* ---- text capture ------------------------------------------------------------------- */

static void capture(Reader *r, CapKind kind, const char **slot, bool *flag) {
  r->cap_kind = kind;
  r->cap_depth = r->depth + 1; /* the element being started, once pushed */
  r->cap_line = r->line;
  r->cap_slot = slot;
  r->cap_flag = flag;
  r->cap.len = 0;
  if (r->cap.data) r->cap.data[0] = '\0';
}

static void capture_end(Reader *r) {
  const char *s = r->cap.data ? r->cap.data : "";
  size_t n = r->cap.len;
  while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
  if (r->cap_kind == CAP_SCRIPT) {
    if (r->cap_flag) *r->cap_flag = n > 0;
  } else if (r->cap_slot) {
    *r->cap_slot = n ? arena_strndup(&r->m->arena, s, n) : NULL;
  }
  r->cap_kind = CAP_NONE;
  r->cap_depth = 0;
}

static bool on_text(void *ud, const char *s, size_t n) {
  Reader *r = ud;
  if (r->cap_kind == CAP_NONE || r->depth != r->cap_depth) return true;
  if (r->cap_kind == CAP_SCRIPT) { /* only whether there is a body: keep one blank-free byte */
    for (size_t i = 0; i < n && r->cap.len == 0; i++)
      if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') sb_putc(&r->cap, 'x');
    return true;
  }
  if (r->cap.len + n > BPMN_MAX_TEXT) {
    bpmn_error(r->m, r->cap_line, "an expression or reference longer than %u bytes",
               BPMN_MAX_TEXT);
    return false;
  }
  sb_putn(&r->cap, s, n);
  return true;
}

/* ---- model objects ------------------------------------------------------------------- */

/* The process or sub-process an element directly inside frame f belongs to. */
static bool container_of(Frame *f, BpmnProcess **proc, BpmnElement **sub) {
  *proc = NULL, *sub = NULL;
  if (!f) return false;
  if (f->tag == TAG_process && f->obj) {
    *proc = f->obj;
    return true;
  }
  if (f->tag >= TAG_KIND && f->tag < TAG_DEF && f->obj &&
      bpmn_kind_family((BpmnKind)(f->tag - TAG_KIND)) == BPMN_FAM_CONTAINER) {
    *sub = f->obj;
    return true;
  }
  return false;
}

/* The process around the innermost open elements (for lanes and counts). */
static BpmnProcess *current_process(Reader *r) {
  for (uint32_t i = r->depth; i-- > 0;)
    if (r->stack[i].tag == TAG_process) return r->stack[i].obj;
  return NULL;
}

static BpmnElement *frame_element(Frame *f) {
  return f && f->tag >= TAG_KIND && f->tag < TAG_DEF ? f->obj : NULL;
}

static void record_ignored(Reader *r, const char *local, uint32_t line) {
  BpmnIgnored *g = new_object(r, sizeof *g, line);
  if (!g) return;
  g->element = stable_name(r, local);
  g->line = line;
  for (uint32_t i = r->depth; i-- > 0;) {
    BpmnElement *e = frame_element(&r->stack[i]);
    if (e) {
      g->owner_id = e->id;
      break;
    }
  }
  ptrvec_push(&r->m->arena, &r->m->ignored, g);
}

static void *start_kind(Reader *r, BpmnKind kind, const char *local, const Attrs *at) {
  BpmnProcess *proc;
  BpmnElement *sub;
  if (!container_of(parent(r, 1), &proc, &sub)) {
    /* an artifact of a collaboration (a group, an annotation): drawn, so named */
    register_id(r, attr(r, at, "id"), local, at->line, BPMN_ID_OTHER, NULL);
    record_ignored(r, local, at->line);
    return NULL;
  }
  BpmnElement *e = new_object(r, sizeof *e, at->line);
  if (!e) return NULL;
  e->kind = kind;
  e->line = at->line;
  e->parent = sub;
  e->id = attr(r, at, "id");
  e->name = attr(r, at, "name");
  e->cancel_activity = parse_bool(r, at, "cancelActivity", true);
  e->interrupting = parse_bool(r, at, "isInterrupting", true);
  e->parallel_multiple = parse_bool(r, at, "parallelMultiple", false);
  e->attached_to = attr_ref(r, at, "attachedToRef");
  e->default_flow = attr(r, at, "default");
  e->for_compensation = parse_bool(r, at, "isForCompensation", false);
  e->implementation = attr(r, at, "implementation");
  e->message_ref = attr_ref(r, at, "messageRef");
  e->instantiate = parse_bool(r, at, "instantiate", false);
  e->script_format = attr(r, at, "scriptFormat");
  e->called_element = attr_ref(r, at, "calledElement");
  e->gateway_direction = attr(r, at, "gatewayDirection");
  e->event_gateway_type = attr(r, at, "eventGatewayType");
  e->triggered_by_event = parse_bool(r, at, "triggeredByEvent", false);
  e->source_ref = attr_ref(r, at, "sourceRef");
  e->target_ref = attr_ref(r, at, "targetRef");
  e->bpc = attr_in(r, at, NS_BPC, "ir");
  if (kind == BPMN_USER_TASK || kind == BPMN_MANUAL_TASK || kind == BPMN_TASK) {
    e->assignee = attr_engine(r, at, "assignee");
    e->candidate_users = attr_engine(r, at, "candidateUsers");
    e->candidate_groups = attr_engine(r, at, "candidateGroups");
    e->form_key = attr_engine(r, at, "formKey");
  }
  if (kind == BPMN_AD_HOC_SUB_PROCESS) {
    e->ordering = attr(r, at, "ordering");
    e->cancel_remaining = parse_bool(r, at, "cancelRemainingInstances", true);
  }
  if (kind == BPMN_CALL_ACTIVITY && !e->called_element) /* Camunda/Flowable write it so too */
    e->called_element = attr_engine(r, at, "calledElement");
  register_id(r, e->id, local, at->line, BPMN_ID_ELEMENT, e);
  if (sub) ptrvec_push(&r->m->arena, &sub->children, e);
  else ptrvec_push(&r->m->arena, &proc->elements, e);
  BpmnProcess *p = current_process(r);
  if (p) p->n_elements++;
  return e;
}

/* A global task of the definitions (BPMN 2.0 10.3.3: a task a call activity
 * reuses): kept in m->global_tasks as an element of the matching task kind,
 * with no process; its performers and vendor assignees are read like a task's
 * (on_start gives its frame the task kind). NULL for any other recorded tag. */
static BpmnElement *start_global(Reader *r, const char *local, const Attrs *at) {
  static const struct {
    const char *name;
    BpmnKind kind;
  } globals[] = {
      {"globalTask", BPMN_TASK},
      {"globalUserTask", BPMN_USER_TASK},
      {"globalManualTask", BPMN_MANUAL_TASK},
      {"globalScriptTask", BPMN_SCRIPT_TASK},
      {"globalBusinessRuleTask", BPMN_BUSINESS_RULE_TASK},
  };
  for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++) {
    if (!str_eq(globals[i].name, local)) continue;
    BpmnElement *e = new_object(r, sizeof *e, at->line);
    if (!e) return NULL;
    e->kind = globals[i].kind;
    e->line = at->line;
    e->id = attr(r, at, "id");
    e->name = attr(r, at, "name");
    e->implementation = attr(r, at, "implementation");
    e->script_format = attr(r, at, "scriptFormat");
    e->cancel_activity = e->interrupting = true;
    e->assignee = attr_engine(r, at, "assignee");
    e->candidate_users = attr_engine(r, at, "candidateUsers");
    e->candidate_groups = attr_engine(r, at, "candidateGroups");
    register_id(r, e->id, local, at->line, BPMN_ID_OTHER, e);
    ptrvec_push(&r->m->arena, &r->m->global_tasks, e);
    return e;
  }
  return NULL;
}

static void *start_flow(Reader *r, const Attrs *at) {
  BpmnProcess *proc;
  BpmnElement *sub;
  if (!container_of(parent(r, 1), &proc, &sub)) {
    record_ignored(r, "sequenceFlow", at->line);
    return NULL;
  }
  BpmnFlow *f = new_object(r, sizeof *f, at->line);
  if (!f) return NULL;
  f->line = at->line;
  f->id = attr(r, at, "id");
  f->name = attr(r, at, "name");
  f->source = attr(r, at, "sourceRef");
  f->target = attr(r, at, "targetRef");
  f->bpc = attr_in(r, at, NS_BPC, "ir");
  f->parent = sub;
  register_id(r, f->id, "sequenceFlow", at->line, BPMN_ID_FLOW, f);
  if (sub) ptrvec_push(&r->m->arena, &sub->flows, f);
  else ptrvec_push(&r->m->arena, &proc->flows, f);
  return f;
}

static void *start_event_def(Reader *r, BpmnEventDefKind kind, const char *local,
                             const Attrs *at) {
  BpmnElement *e = frame_element(parent(r, 1));
  if (!e || bpmn_kind_family(e->kind) != BPMN_FAM_EVENT) { /* a root-level definition */
    register_id(r, attr(r, at, "id"), local, at->line, BPMN_ID_OTHER, NULL);
    record_ignored(r, local, at->line);
    return NULL;
  }
  BpmnEventDef *d = new_object(r, sizeof *d, at->line);
  if (!d) return NULL;
  d->kind = kind;
  d->line = at->line;
  d->id = attr(r, at, "id");
  static const char *const ref_attr[BPMN_DEF_COUNT] = {
      [BPMN_DEF_MESSAGE] = "messageRef",  [BPMN_DEF_ERROR] = "errorRef",
      [BPMN_DEF_SIGNAL] = "signalRef",    [BPMN_DEF_ESCALATION] = "escalationRef",
      [BPMN_DEF_COMPENSATE] = "activityRef",
  };
  if (ref_attr[kind]) d->ref = attr_ref(r, at, ref_attr[kind]);
  if (kind == BPMN_DEF_LINK) d->link_name = attr(r, at, "name");
  register_id(r, d->id, local, at->line, BPMN_ID_OTHER, d);
  ptrvec_push(&r->m->arena, &e->event_defs, d);
  return d;
}

static BpmnRootRef *start_root_ref(Reader *r, PtrVec *into, const char *local, const Attrs *at) {
  BpmnRootRef *x = new_object(r, sizeof *x, at->line);
  if (!x) return NULL;
  x->line = at->line;
  x->id = attr(r, at, "id");
  x->name = attr(r, at, "name");
  x->code = attr(r, at, "errorCode");
  if (!x->code) x->code = attr(r, at, "escalationCode");
  register_id(r, x->id, local, at->line, BPMN_ID_OTHER, x);
  ptrvec_push(&r->m->arena, into, x);
  return x;
}

/* The loop characteristics of the activity directly around. */
static void *start_loop(Reader *r, BpmnLoopKind kind, const char *local, const Attrs *at) {
  BpmnElement *e = frame_element(parent(r, 1));
  if (!e || (bpmn_kind_family(e->kind) != BPMN_FAM_ACTIVITY &&
             bpmn_kind_family(e->kind) != BPMN_FAM_CONTAINER)) {
    record_ignored(r, local, at->line);
    return NULL;
  }
  BpmnLoop *l = &e->loop;
  l->kind = kind;
  l->line = at->line;
  l->sequential = parse_bool(r, at, "isSequential", false);
  l->test_before = parse_bool(r, at, "testBefore", false);
  l->loop_maximum = attr(r, at, "loopMaximum");
  l->collection = attr_engine(r, at, "collection");
  l->element_variable = attr_engine(r, at, "elementVariable");
  return l;
}

static BpmnLoop *parent_loop(Reader *r) {
  Frame *f = parent(r, 1);
  return f && (f->tag == TAG_multiInstanceLoopCharacteristics ||
               f->tag == TAG_standardLoopCharacteristics)
             ? f->obj
             : NULL;
}

static void *start_performer(Reader *r, BpmnResourceRole role, const char *local,
                             const Attrs *at) {
  BpmnElement *e = frame_element(parent(r, 1));
  if (!e) {
    record_ignored(r, local, at->line);
    return NULL;
  }
  BpmnPerformer *p = new_object(r, sizeof *p, at->line);
  if (!p) return NULL;
  p->role = role;
  p->line = at->line;
  ptrvec_push(&r->m->arena, &e->performers, p);
  return p;
}

static BpmnPerformer *performer_around(Reader *r, uint32_t up) {
  Frame *f = parent(r, up);
  if (!f) return NULL;
  return f->tag == TAG_potentialOwner || f->tag == TAG_humanPerformer || f->tag == TAG_performer
             ? f->obj
             : NULL;
}

/* A form field of a vendor (camunda:formField inside camunda:formData, or
 * activiti/flowable:formProperty) inside the extensionElements of a task. */
static void *start_form_field(Reader *r, Ns ns, const Attrs *at) {
  BpmnElement *e = NULL;
  for (uint32_t up = 1; up <= 3 && !e; up++) {
    Frame *f = parent(r, up);
    if (!f) break;
    e = frame_element(f);
  }
  if (!e) return NULL;
  BpmnFormField *ff = new_object(r, sizeof *ff, at->line);
  if (!ff) return NULL;
  ff->line = at->line;
  ff->vendor = ns == NS_CAMUNDA ? "camunda" : ns == NS_ACTIVITI ? "activiti" : "flowable";
  ff->id = attr(r, at, "id");
  ff->label = attr(r, at, "label");
  if (!ff->label) ff->label = attr(r, at, "name");
  ff->type = attr(r, at, "type");
  ff->required = parse_bool(r, at, "required", false);
  ff->variable = attr(r, at, "variable");
  ff->default_value = attr(r, at, "defaultValue");
  if (!ff->default_value) ff->default_value = attr(r, at, "default");
  ff->read_only = !parse_bool(r, at, "writable", true);
  ptrvec_push(&r->m->arena, &e->form_fields, ff);
  return ff;
}

/* ---- diagram interchange ---------------------------------------------------------- */

/* Coordinates are mostly whole numbers ("240"): read those directly (exactly,
 * as strtod would), anything else with strtod. */
/* ---- QName references ------------------------------------------------------------ */

/* Attributes the BPMN 2.0 schemas (Semantic.xsd, BPMNDI.xsd) type as xsd:QName.
 * A QName's prefix must be bound by a namespace declaration in scope (XML
 * Namespaces 1.0, 4; XML Schema part 2, 3.2.18): `ino:tInnovator` without an
 * xmlns:ino is no name at all, and the file is refused naming the element.
 *   QREF_HERE: names a BPMN element nothing else looks up (an item definition,
 *     an operation, a category value ...). When the QName is in this file's
 *     namespace (no prefix, the targetNamespace, or the BPMN model namespace some
 *     tools write) the element should be in this file (a warning when it is
 *     not); a QName of another namespace names what an import brings, which is
 *     not read.
 *   QREF_PREFIX: only the prefix is checked here: the structural checks
 *     (bpmn_check.c) or the mapping look the element up with messages of their
 *     own (messageRef, attachedToRef, bpmnElement, a calledElement the host may
 *     run ...), or it names no BPMN element at all (an XML Schema type, a Java
 *     class, an extension's schema element). */
typedef enum { QREF_HERE, QREF_PREFIX } QRefKind;

static const struct {
  const char *name;
  QRefKind kind;
} qname_attrs[] = {
    {"itemSubjectRef", QREF_HERE},      {"itemRef", QREF_HERE},
    {"operationRef", QREF_HERE},        {"categoryValueRef", QREF_HERE},
    {"dataStoreRef", QREF_HERE},        {"definitionalCollaborationRef", QREF_HERE},
    {"oneBehaviorEventRef", QREF_HERE}, {"noneBehaviorEventRef", QREF_HERE},
    {"partitionElementRef", QREF_HERE}, {"attachedToRef", QREF_PREFIX},
    {"messageRef", QREF_PREFIX},        {"errorRef", QREF_PREFIX},
    {"signalRef", QREF_PREFIX},         {"escalationRef", QREF_PREFIX},
    {"activityRef", QREF_PREFIX},       {"processRef", QREF_PREFIX},
    {"sourceRef", QREF_PREFIX},         {"targetRef", QREF_PREFIX},
    {"calledElement", QREF_PREFIX},     {"bpmnElement", QREF_PREFIX},
    {"sourceElement", QREF_PREFIX},     {"targetElement", QREF_PREFIX},
    {"structureRef", QREF_PREFIX},      {"implementationRef", QREF_PREFIX},
    {"definition", QREF_PREFIX},        {"evaluatesToTypeRef", QREF_PREFIX},
    {"typeRef", QREF_PREFIX},
};

static void qnames_init(Reader *r) {
  for (size_t k = 0; k < sizeof qname_attrs / sizeof qname_attrs[0]; k++)
    r->qname_last[(unsigned char)qname_attrs[k].name[strlen(qname_attrs[k].name) - 1]] = true;
}

/* A QName_HERE reference, checked once every id of the file is known. */
typedef struct QRef {
  const char *attr, *value, *local, *owner;
  uint32_t line;
} QRef;

/* The element's id for a message, else <local>. */
static const char *qname_owner(Reader *r, const Attrs *at, const char *local) {
  const char *id = attr(r, at, "id");
  if (id && *id) return id;
  char buf[96];
  snprintf(buf, sizeof buf, "<%s>", local);
  return arena_strdup(&r->m->arena, buf);
}

static void qname_note_here(Reader *r, const Attrs *at, const char *local, const char *name,
                            const char *v, size_t n, size_t local_at) {
  if (!count_object(r, at->line)) return;
  if (r->n_qrefs == r->cap_qrefs) {
    r->cap_qrefs = r->cap_qrefs ? r->cap_qrefs * 2 : 16;
    r->qrefs = xrealloc(r->qrefs, r->cap_qrefs * sizeof *r->qrefs);
  }
  QRef *q = &r->qrefs[r->n_qrefs++];
  q->attr = name, q->line = at->line;
  q->value = arena_strndup(&r->m->arena, v, n);
  q->local = q->value + local_at;
  q->owner = qname_owner(r, at, local);
}

/* The index in qname_attrs of an attribute's local name, -1 when none. The
 * answer is kept by libxml2's pointer (its names are interned for the parse):
 * a file repeats a few attribute names thousands of times. */
static int qname_attr_index(Reader *r, const char *local) {
  struct QNameSeen *c = &r->qname_seen[bpmn_hash_ptr(local) & (QNAME_SEEN - 1)];
  if (c->local == local) return c->index;
  int k = -1;
  size_t ln = strlen(local);
  /* most attributes (id, name, x ...) end in a letter no name of
     qname_attrs ends in: they are passed without a search */
  if (ln && r->qname_last[(unsigned char)local[ln - 1]]) {
    int n_attrs = (int)(sizeof qname_attrs / sizeof qname_attrs[0]);
    for (k = 0; k < n_attrs && !str_eq(qname_attrs[k].name, local); k++) {}
    if (k == n_attrs) k = -1;
  }
  c->local = local, c->index = k;
  return k;
}

/* Checks the QName-valued attributes of an element of the BPMN or BPMN DI namespace. */
static void check_qnames(Reader *r, const Attrs *at, const char *local) {
  for (int i = 0; i < at->n; i++) {
    const BpmnXmlAttr *a = &at->a[i];
    if (a->uri) continue; /* the schemas' attributes are unqualified */
    int k = qname_attr_index(r, a->local);
    if (k < 0 || a->len > BPMN_MAX_TEXT) continue;
    /* xsd:QName collapses white space */
    const char *v = a->value;
    size_t n = a->len;
    while (n && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')) v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n' || v[n - 1] == '\r')) n--;
    if (!n) continue;
    const char *colon = memchr(v, ':', n);
    const char *uri = NULL;
    if (colon) {
      size_t plen = (size_t)(colon - v);
      uri = plen ? bpmn_xml_scope_uri(r->scope, v, plen) : NULL;
      if (!uri) {
        bpmn_error(r->m, at->line,
                   "%s: %s \"%.*s\": the prefix \"%.*s\" is not declared (a QName's prefix "
                   "needs an xmlns:%.*s declaration in scope)",
                   qname_owner(r, at, local), a->local, (int)n, v, (int)plen, v, (int)plen, v);
        continue;
      }
    }
    bool here = !uri || str_eq(uri, BPMN_NS_MODEL) || (r->target_ns && str_eq(uri, r->target_ns));
    if (qname_attrs[k].kind == QREF_HERE && here)
      qname_note_here(r, at, local, qname_attrs[k].name, v, n, colon ? (size_t)(colon - v) + 1 : 0);
  }
}

/* After the parse: a QREF_HERE reference in this file's namespace that names
 * no element is a warning. These name item definitions, operations, data
 * stores and category values, which change nothing the mapping runs (the
 * references it runs on are errors when they dangle: bpmn_check.c); modelers
 * write such (bpmn-moddle reads them as unresolved references). */
static void check_qrefs_here(Reader *r) {
  for (uint32_t i = 0; i < r->n_qrefs; i++) {
    const QRef *q = &r->qrefs[i];
    if (!bpmn_id_find(r->m, q->local))
      bpmn_warning(r->m, q->line, "%s: %s \"%s\" names no element of this file; ignored",
                   q->owner, q->attr, q->value);
  }
}

static double attr_num_copy(Reader *r, const Attrs *at, const char *local) {
  const char *v = attr(r, at, local);
  if (!v) return 0;
  const char *d = v + (*v == '-');
  int64_t n = 0;
  int k = 0;
  for (; d[k] >= '0' && d[k] <= '9' && k < 15; k++) n = n * 10 + (d[k] - '0');
  if (k > 0 && !d[k]) return *v == '-' ? -(double)n : (double)n;
  return strtod(v, NULL);
}

/* A diagram coordinate, the attribute a named local (di_nums finds it; NULL
 * when absent), read from libxml2's bytes without the copy attr makes when it is a plain
 * decimal: [-]DIGITS[.DIGITS] with at most 15 digits in all. Its digits as an
 * integer m (below 2^53) and the digits after the point k (at most 15) give
 * m / 10^k, both exact doubles, and IEEE division rounds the quotient
 * correctly: the same double strtod gives (Clinger's fast path). Anything else
 * (an exponent, blanks, more digits) is read by strtod, as attr_num_copy does. */
static double attr_num(Reader *r, const Attrs *at, const BpmnXmlAttr *a, const char *local) {
  static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  if (!a) return 0; /* absent: as attr_num_copy says */
  const char *v = a->value;
  size_t len = a->len, j = len && *v == '-';
  bool neg = j == 1;
  int64_t m = 0;
  int digits = 0, frac = 0, before = 0;
  bool point = false;
  for (; j < len; j++) {
    if (v[j] >= '0' && v[j] <= '9') {
      if (++digits > 15) break;
      m = m * 10 + (v[j] - '0');
      frac += point;
      before += !point;
    } else if (v[j] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (j == len && before > 0 && (!point || frac > 0)) {
    double d = (double)m / pow10[frac];
    return neg ? -d : d;
  }
  return attr_num_copy(r, at, local);
}

/* The unqualified attributes x, y, width and height (the first of each; NULL
 * when absent), found in one pass: a diagram has four per shape, two per
 * waypoint, and they are most of its elements. */
typedef struct DiNums {
  const BpmnXmlAttr *x, *y, *width, *height;
} DiNums;

static DiNums di_nums(const Attrs *at) {
  DiNums d = {NULL, NULL, NULL, NULL};
  for (int i = 0; i < at->n; i++) {
    const BpmnXmlAttr *a = &at->a[i];
    const char *l = a->local;
    if (at->ns[i] != NS_NONE) continue;
    if (l[0] == 'x' && !l[1]) {
      if (!d.x) d.x = a;
    } else if (l[0] == 'y' && !l[1]) {
      if (!d.y) d.y = a;
    } else if (str_eq(l, "width")) {
      if (!d.width) d.width = a;
    } else if (str_eq(l, "height")) {
      if (!d.height) d.height = a;
    }
  }
  return d;
}

static int start_di(Reader *r, Ns ns, const char *local, const Attrs *at, void **obj) {
  *obj = NULL;
  if (ns == NS_BPMNDI && (str_eq(local, "BPMNShape") || str_eq(local, "BPMNEdge"))) {
    bool shape = local[4] == 'S';
    const char *id = attr(r, at, "id");
    register_id(r, id, local, at->line, BPMN_ID_OTHER, NULL);
    if (shape) {
      BpmnShape *s = new_object(r, sizeof *s, at->line);
      if (!s) return TAG_FOREIGN;
      s->id = id, s->line = at->line, s->element = attr_ref(r, at, "bpmnElement");
      s->expanded = parse_bool(r, at, "isExpanded", false);
      ptrvec_push(&r->m->arena, &r->m->shapes, s);
      *obj = s;
      return TAG_DI_SHAPE;
    }
    BpmnEdge *e = new_object(r, sizeof *e, at->line);
    if (!e) return TAG_FOREIGN;
    e->id = id, e->line = at->line, e->element = attr_ref(r, at, "bpmnElement");
    e->has_ends = attr(r, at, "sourceElement") && attr(r, at, "targetElement");
    ptrvec_push(&r->m->arena, &r->m->edges, e);
    r->n_pts = 0;
    *obj = e;
    return TAG_DI_EDGE;
  }
  if (ns == NS_BPMNDI) {
    const char *id = attr(r, at, "id");
    register_id(r, id, local, at->line, BPMN_ID_OTHER, NULL);
    /* BPMN 2.0.2 12.2.1: a plane MUST reference one BPMN element */
    if (str_eq(local, "BPMNPlane") && !attr(r, at, "bpmnElement"))
      bpmn_error(r->m, at->line, "%s: a BPMNPlane without bpmnElement (BPMN DI: a plane "
                 "depicts one process, collaboration or sub-process)", id ? id : "<BPMNPlane>");
    return str_eq(local, "BPMNLabel") ? TAG_DI_LABEL : TAG_FOREIGN;
  }
  Frame *p = parent(r, 1);
  if (ns == NS_DC && str_eq(local, "Bounds") && p && p->tag == TAG_DI_SHAPE) {
    BpmnShape *s = p->obj;
    DiNums d = di_nums(at);
    s->x = attr_num(r, at, d.x, "x"), s->y = attr_num(r, at, d.y, "y");
    s->w = attr_num(r, at, d.width, "width"), s->h = attr_num(r, at, d.height, "height");
    s->has_bounds = true;
    return TAG_DI_BOUNDS;
  }
  if (ns == NS_DDI && str_eq(local, "waypoint") && p && p->tag == TAG_DI_EDGE) {
    if (!count_object(r, at->line)) return TAG_FOREIGN;
    if (r->n_pts + 2 > r->cap_pts) {
      r->cap_pts = r->cap_pts ? r->cap_pts * 2 : 16;
      r->pts = xrealloc(r->pts, r->cap_pts * sizeof *r->pts);
    }
    DiNums d = di_nums(at);
    r->pts[r->n_pts++] = attr_num(r, at, d.x, "x");
    r->pts[r->n_pts++] = attr_num(r, at, d.y, "y");
    return TAG_DI_WAYPOINT;
  }
  return TAG_FOREIGN;
}

/* ---- start of an element ------------------------------------------------------------ */

static bool start_root(Reader *r, const char *local, const char *uri, const Attrs *at) {
  if (ns_of(uri) != NS_BPMN || !str_eq(local, "definitions")) {
    bpmn_error(r->m, at->line,
               "not a BPMN 2.0 file: the root element is <%s> %s%s, not <definitions> in "
               "the namespace " BPMN_NS_MODEL,
               local, uri ? "in the namespace " : "in no namespace", uri ? uri : "");
    return false;
  }
  BpmnModel *m = r->m;
  m->id = attr(r, at, "id");
  m->line = at->line;
  m->name = attr(r, at, "name");
  m->exporter = attr(r, at, "exporter");
  m->exporter_version = attr(r, at, "exporterVersion");
  m->expression_language = attr(r, at, "expressionLanguage");
  m->bpc = attr_in(r, at, NS_BPC, "ir");
  r->target_ns = attr(r, at, "targetNamespace");
  register_id(r, m->id, "definitions", at->line, BPMN_ID_OTHER, NULL);
  return true;
}

/* What BPMN 2.0 allows directly inside <definitions>: imports, extensions,
 * relationships and the root elements. */
static bool allowed_in_definitions(int tag, const char *local) {
  static const char *const names[] = {
      "import", "extension", "relationship", "documentation", "extensionElements", "category",
      "collaboration", "correlationProperty", "dataStore", "endPoint", "error", "escalation",
      "globalBusinessRuleTask", "globalManualTask", "globalScriptTask", "globalTask",
      "globalUserTask", "globalConversation", "interface", "itemDefinition", "message",
      "partnerEntity", "partnerRole", "process", "resource", "signal", "choreography",
      "globalChoreographyTask", "rootElement", "eventDefinition",
  };
  if (tag >= TAG_DEF && tag < TAG_FIRST_HANDLED) return true; /* the event definitions */
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (str_eq(names[i], local)) return true;
  return false;
}

/* An element of the BPMN namespace; returns the object it made (or NULL). */
static void *start_bpmn(Reader *r, int tag, const char *local, const Attrs *at) {
  BpmnModel *m = r->m;
  Frame *p = parent(r, 1);
  int ptag = p ? p->tag : TAG_UNKNOWN;
  if (tag >= TAG_KIND && tag < TAG_DEF) return start_kind(r, (BpmnKind)(tag - TAG_KIND), local, at);
  if (tag >= TAG_DEF && tag < TAG_FIRST_HANDLED)
    return start_event_def(r, (BpmnEventDefKind)(tag - TAG_DEF), local, at);
  switch (tag) {
  case TAG_process: {
    BpmnProcess *proc = new_object(r, sizeof *proc, at->line);
    if (!proc) return NULL;
    proc->line = at->line;
    proc->id = attr(r, at, "id");
    proc->name = attr(r, at, "name");
    proc->is_executable = parse_bool(r, at, "isExecutable", false);
    proc->bpc = attr_in(r, at, NS_BPC, "ir");
    register_id(r, proc->id, local, at->line, BPMN_ID_OTHER, proc);
    ptrvec_push(&m->arena, &m->processes, proc);
    return proc;
  }
  case TAG_sequenceFlow:
    return start_flow(r, at);
  case TAG_collaboration: {
    BpmnCollaboration *c = new_object(r, sizeof *c, at->line);
    if (!c) return NULL;
    c->line = at->line;
    c->id = attr(r, at, "id");
    c->name = attr(r, at, "name");
    register_id(r, c->id, local, at->line, BPMN_ID_OTHER, c);
    ptrvec_push(&m->arena, &m->collaborations, c);
    return c;
  }
  case TAG_participant:
  case TAG_messageFlow: {
    if (ptag != TAG_collaboration || !p->obj) break;
    BpmnCollaboration *c = p->obj;
    if (tag == TAG_participant) {
      BpmnParticipant *x = new_object(r, sizeof *x, at->line);
      if (!x) return NULL;
      x->line = at->line, x->id = attr(r, at, "id"), x->name = attr(r, at, "name");
      x->process_ref = attr_ref(r, at, "processRef");
      register_id(r, x->id, local, at->line, BPMN_ID_OTHER, x);
      ptrvec_push(&m->arena, &c->participants, x);
      return x;
    }
    BpmnMessageFlow *x = new_object(r, sizeof *x, at->line);
    if (!x) return NULL;
    x->line = at->line, x->id = attr(r, at, "id"), x->name = attr(r, at, "name");
    x->source = attr_ref(r, at, "sourceRef"), x->target = attr_ref(r, at, "targetRef");
    x->message_ref = attr_ref(r, at, "messageRef");
    register_id(r, x->id, local, at->line, BPMN_ID_OTHER, x);
    ptrvec_push(&m->arena, &c->message_flows, x);
    return x;
  }
  case TAG_message:
    if (ptag != TAG_definitions) break;
    return start_root_ref(r, &m->messages, local, at);
  case TAG_error:
    if (ptag != TAG_definitions) break;
    return start_root_ref(r, &m->errors, local, at);
  case TAG_signal:
    if (ptag != TAG_definitions) break;
    return start_root_ref(r, &m->signals, local, at);
  case TAG_escalation:
    if (ptag != TAG_definitions) break;
    return start_root_ref(r, &m->escalations, local, at);
  case TAG_laneSet:
  case TAG_childLaneSet:
    register_id(r, attr(r, at, "id"), local, at->line, BPMN_ID_OTHER, NULL);
    return NULL;
  case TAG_lane: {
    BpmnProcess *proc = current_process(r);
    if (!proc) break;
    BpmnLane *l = new_object(r, sizeof *l, at->line);
    if (!l) return NULL;
    l->line = at->line, l->id = attr(r, at, "id"), l->name = attr(r, at, "name");
    Frame *pp = parent(r, 2);
    if (ptag == TAG_childLaneSet && pp && pp->tag == TAG_lane) l->parent = pp->obj;
    register_id(r, l->id, local, at->line, BPMN_ID_OTHER, l);
    ptrvec_push(&m->arena, &proc->lanes, l);
    return l;
  }
  case TAG_flowNodeRef:
    if (ptag != TAG_lane || !p->obj) break;
    r->flow_node_ref = NULL;
    capture(r, CAP_STRING, &r->flow_node_ref, NULL);
    return p->obj;
  case TAG_conditionExpression:
    if (ptag != TAG_sequenceFlow || !p->obj) break;
    {
      BpmnFlow *f = p->obj;
      f->language = attr(r, at, "language");
      capture(r, CAP_STRING, &f->condition, NULL); /* blank: no condition */
      return f;
    }
  case TAG_timeDuration:
  case TAG_timeDate:
  case TAG_timeCycle:
  case TAG_condition:
    if (!p || !p->obj || (ptag != TAG_DEF + BPMN_DEF_TIMER && ptag != TAG_DEF + BPMN_DEF_CONDITIONAL))
      break;
    {
      BpmnEventDef *d = p->obj;
      if (tag != TAG_condition)
        d->timer = tag == TAG_timeDuration ? BPMN_TIMER_DURATION
                   : tag == TAG_timeDate   ? BPMN_TIMER_DATE
                                           : BPMN_TIMER_CYCLE;
      d->language = attr(r, at, "language");
      capture(r, CAP_STRING, &d->text, NULL);
      return d;
    }
  case TAG_standardLoopCharacteristics:
    return start_loop(r, BPMN_LOOP_STANDARD, local, at);
  case TAG_multiInstanceLoopCharacteristics:
    return start_loop(r, BPMN_LOOP_MULTI, local, at);
  case TAG_loopCardinality:
  case TAG_loopDataInputRef:
  case TAG_completionCondition:
  case TAG_loopCondition:
  case TAG_inputDataItem: {
    BpmnLoop *l = parent_loop(r);
    if (!l) {
      BpmnElement *ah = frame_element(p);
      if (tag == TAG_completionCondition && ah) { /* adHocSubProcess */
        if (ah->kind == BPMN_AD_HOC_SUB_PROCESS) capture(r, CAP_STRING, &ah->ad_hoc_completion, NULL);
        return NULL;
      }
      break;
    }
    if (tag == TAG_inputDataItem) {
      l->input_item = attr(r, at, "name");
      if (!l->input_item) l->input_item = attr(r, at, "id");
      return l;
    }
    const char **slot = tag == TAG_loopCardinality    ? &l->cardinality
                        : tag == TAG_loopDataInputRef ? &l->data_input_ref
                        : tag == TAG_loopCondition    ? &l->loop_condition
                                                      : &l->completion;
    capture(r, CAP_STRING, slot, NULL);
    return l;
  }
  case TAG_potentialOwner:
    return start_performer(r, BPMN_RES_POTENTIAL_OWNER, local, at);
  case TAG_humanPerformer:
    return start_performer(r, BPMN_RES_HUMAN_PERFORMER, local, at);
  case TAG_performer:
    return start_performer(r, BPMN_RES_PERFORMER, local, at);
  case TAG_resourceAssignmentExpression:
    return performer_around(r, 1);
  case TAG_formalExpression:
  case TAG_expression: {
    BpmnPerformer *pf = ptag == TAG_resourceAssignmentExpression ? performer_around(r, 2) : NULL;
    if (pf) capture(r, CAP_STRING, &pf->expression, NULL);
    return pf;
  }
  case TAG_resourceRef: {
    BpmnPerformer *pf = performer_around(r, 1);
    if (pf) capture(r, CAP_STRING, &pf->resource_ref, NULL);
    return pf;
  }
  case TAG_script: {
    BpmnElement *e = frame_element(p);
    if (e && e->kind == BPMN_SCRIPT_TASK) capture(r, CAP_SCRIPT, NULL, &e->has_script);
    return e;
  }
  case TAG_extensionElements:
    return p ? p->obj : NULL;
  case TAG_category: /* read for its categoryValues, which groups name */
    register_id(r, attr(r, at, "id"), local, at->line, BPMN_ID_OTHER, NULL);
    return NULL;
  case TAG_RECORDED:
    if (ptag == TAG_definitions) {
      BpmnElement *g = start_global(r, local, at);
      if (g) return g;
    }
    register_id(r, attr(r, at, "id"), local, at->line, BPMN_ID_OTHER, NULL);
    record_ignored(r, local, at->line);
    return NULL;
  default:
    register_id(r, attr(r, at, "id"), local, at->line, BPMN_ID_OTHER, NULL);
    return NULL;
  }
  /* A known element in a place the model does not read it from. */
  register_id(r, attr(r, at, "id"), local, at->line, BPMN_ID_OTHER, NULL);
  record_ignored(r, local, at->line);
  return NULL;
}

static bool on_start(void *ud, const char *local, const char *uri, const BpmnXmlAttr *a, int n,
                     uint32_t line, const BpmnXmlScope *scope) {
  Reader *r = ud;
  r->scope = scope;
  if (n > r->attr_ns_cap) {
    r->attr_ns_cap = n;
    r->attr_ns = xrealloc(r->attr_ns, (size_t)n * sizeof *r->attr_ns);
  }
  uint64_t names = 0;
  for (int i = 0; i < n; i++) {
    r->attr_ns[i] = a[i].uri ? ns_cached(r, a[i].uri) : NS_NONE; /* most are unqualified */
    names |= name_bit(a[i].local);
  }
  Attrs at = {a, n, line, r->attr_ns, names};
  Ns ns = ns_cached(r, uri);
  Frame f = {TAG_FOREIGN, ns, false, NULL};
  r->line = line;
  Frame *up = parent(r, 1);
  if (up)
    f.ext = up->ext || up->tag == TAG_extensionElements || up->tag == TAG_SILENT ||
            up->tag == TAG_FOREIGN;
  if (r->depth == 0) {
    if (!start_root(r, local, uri, &at)) return false;
    f.tag = TAG_definitions;
  } else if (ns == NS_BPMN && !f.ext) {
    f.tag = tag_of(r, local);
    if (f.tag == TAG_UNKNOWN) {
      bpmn_error(r->m, line, "<%s> is not an element of BPMN 2.0", local);
      f.tag = TAG_FOREIGN;
    } else if (up->tag == TAG_definitions && !allowed_in_definitions(f.tag, local)) {
      bpmn_error(r->m, line, "<%s> may not stand directly in <definitions>", local);
      f.tag = TAG_FOREIGN;
    } else {
      f.obj = start_bpmn(r, f.tag, local, &at);
      /* a global task: its performers and script are read as a task's */
      if (f.tag == TAG_RECORDED && f.obj) f.tag = TAG_KIND + (int)((BpmnElement *)f.obj)->kind;
    }
    check_qnames(r, &at, local);
    note_vendor_attrs(r, &at);
  } else if (ns == NS_BPMNDI || ns == NS_DC || ns == NS_DDI) {
    if (ns == NS_BPMNDI) check_qnames(r, &at, local);
    f.tag = start_di(r, ns, local, &at, &f.obj);
  } else {
    Frame *p = parent(r, 1);
    if (ns == NS_NONE && !f.ext)
      bpmn_error(r->m, line, "<%s> has no namespace: not an element of BPMN 2.0", local);
    if (ns_is_engine(ns)) r->m->engine_extensions = true;
    if (ns == NS_CAMUNDA || ns == NS_ACTIVITI || ns == NS_FLOWABLE || ns == NS_OTHER)
      note_vendor(r, uri, local);
    if (ns_is_engine(ns) && (str_eq(local, "formField") || str_eq(local, "formProperty"))) {
      f.obj = start_form_field(r, ns, &at);
      if (f.obj) f.tag = TAG_VENDOR_FORM_FIELD;
    } else if (ns == NS_OTHER && str_eq(local, "calledElement") && strstr(uri, "camunda.org/schema/zeebe") &&
               p && p->tag == TAG_extensionElements) {
      /* zeebe:calledElement processId="..." (Camunda 8) names the called process */
      BpmnElement *e = frame_element(parent(r, 2));
      if (e && e->kind == BPMN_CALL_ACTIVITY && !e->called_element) e->called_element = attr(r, &at, "processId");
    } else if (ns == NS_OTHER && str_eq(local, "assignmentDefinition") && strstr(uri, "camunda.org/schema/zeebe") &&
               p && p->tag == TAG_extensionElements) {
      /* zeebe:assignmentDefinition assignee="=manager" candidateUsers="…" candidateGroups="…"
       * (Camunda 8): FEEL expressions (`=name`, `=["a", "b"]`) or static comma lists */
      BpmnElement *e = frame_element(parent(r, 2));
      if (e) {
        if (!e->assignee) e->assignee = attr(r, &at, "assignee");
        if (!e->candidate_users) e->candidate_users = attr(r, &at, "candidateUsers");
        if (!e->candidate_groups) e->candidate_groups = attr(r, &at, "candidateGroups");
      }
    } else if (ns == NS_OTHER && str_eq(local, "loopCharacteristics") && strstr(uri, "camunda.org/schema/zeebe") &&
               p && p->tag == TAG_extensionElements && parent(r, 2) && parent(r, 2)->tag == TAG_multiInstanceLoopCharacteristics) {
      /* zeebe:loopCharacteristics inputCollection="=items" inputElement="item" (Camunda 8) */
      BpmnLoop *l = parent(r, 2)->obj;
      if (l && !l->collection) l->collection = attr(r, &at, "inputCollection");
      if (l && !l->element_variable) l->element_variable = attr(r, &at, "inputElement");
    } else if (ns_is_engine(ns) && str_eq(local, "constraint") && p && p->tag == TAG_FOREIGN) {
      /* camunda:validation/camunda:constraint name="required" */
      Frame *ff = parent(r, 2);
      const char *name = attr(r, &at, "name");
      if (ff && ff->tag == TAG_VENDOR_FORM_FIELD && name && str_eq(name, "required"))
        ((BpmnFormField *)ff->obj)->required = true;
    }
  }
  if (r->stop) return false;
  r->stack[r->depth++] = f;
  return true;
}

static bool on_end(void *ud) {
  Reader *r = ud;
  if (r->cap_kind != CAP_NONE && r->depth == r->cap_depth) capture_end(r);
  Frame *f = &r->stack[--r->depth];
  if (f->tag == TAG_flowNodeRef && f->obj && r->flow_node_ref) {
    BpmnLane *l = f->obj;
    if (count_object(r, 0)) ptrvec_push(&r->m->arena, &l->node_refs, (char *)r->flow_node_ref);
    r->flow_node_ref = NULL;
  } else if (f->tag == TAG_DI_EDGE && f->obj) {
    BpmnEdge *e = f->obj;
    e->n_points = r->n_pts / 2;
    if (r->n_pts) {
      e->points = arena_alloc(&r->m->arena, r->n_pts * sizeof *e->points);
      memcpy(e->points, r->pts, r->n_pts * sizeof *e->points);
    }
    r->n_pts = 0;
  }
  return !r->stop;
}

BpmnModel *bpmn_read(const char *path, const char *data, size_t len) {
  BpmnModel *m = xcalloc(1, sizeof *m);
  arena_init(&m->arena);
  m->path = arena_strdup(&m->arena, path);
  Reader *r = xcalloc(1, sizeof *r);
  r->m = m;
  tags_init(r);
  qnames_init(r);
  sb_init(&r->cap);
  static const BpmnXmlHandler handler = {on_start, on_end, on_text};
  bool ok = bpmn_xml_parse(m, data, len, &handler, r);
  if (ok) check_qrefs_here(r);
  free(r->qrefs);
  sb_free(&r->cap);
  free(r->pts);
  free(r->attr_ns);
  free(r);
  if (ok) bpmn_check(m);
  return m;
}
