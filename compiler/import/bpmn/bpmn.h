/* bpmn.h — BPMN 2.0 XML read into a plain C model (the importer's first half).
 *
 * bpmn_read takes the bytes of a file and returns a BpmnModel: the processes,
 * collaborations, lanes, messages, errors and signals of the definitions, and
 * per process every flow element with what the later mapping to the graph IR
 * needs (kinds, event definitions, loops, assignments, form fields, flows and
 * their conditions). Everything lives in the model's arena; no libxml2 type
 * appears here. The reader is safe against hostile input (docs/bpmn.md): no
 * network, no DTD, no entities, bounded size, depth, attributes and text.
 *
 * The model is what the file says, checked only structurally (duplicate ids,
 * references to missing ids). Whether an element can run is the mapping's
 * question: elements it may refuse are kept with their kind and line. */
#ifndef BPC_BPMN_H
#define BPC_BPMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

/* ---- limits (docs/bpmn.md "Safety") ----------------------------------------- */
#define BPMN_MAX_BYTES (64u << 20)  /* a file larger than this is refused unread */
#define BPMN_MAX_DEPTH 256          /* elements nested deeper are refused */
#define BPMN_MAX_ATTRIBUTES 128     /* attributes (and xmlns) on one element */
#define BPMN_MAX_TEXT (64u << 10)   /* bytes of one expression, timer or name */
#define BPMN_MAX_OBJECTS 200000     /* model objects (elements, flows, shapes…) */

/* The BPMN 2.0 model namespace: a file is BPMN when its root element is
 * `definitions` in this namespace, under any prefix or as the default. */
#define BPMN_NS_MODEL "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define BPMN_NS_DI "http://www.omg.org/spec/BPMN/20100524/DI"
#define BPMN_NS_DC "http://www.omg.org/spec/DD/20100524/DC"
#define BPMN_NS_DD_DI "http://www.omg.org/spec/DD/20100524/DI"
/* bpc's own namespace: the `bpc:ir` attributes `bpc export --bpmn` writes
 * (docs/bpmn.md "Export"); a file whose definitions carry one is read back
 * exactly by bpmn_bpc.c. */
#define BPMN_NS_BPC "urn:bpc:bpmn:1"

/* ---- element kinds ------------------------------------------------------------ */

typedef enum {
  BPMN_FAM_EVENT,
  BPMN_FAM_ACTIVITY, /* tasks and callActivity */
  BPMN_FAM_CONTAINER, /* subProcess, adHocSubProcess, transaction: hold elements */
  BPMN_FAM_GATEWAY,
  BPMN_FAM_DATA,     /* data objects and stores: no effect on the flow */
  BPMN_FAM_ARTIFACT, /* annotations, associations, groups: drawing only */
  BPMN_FAM_CHOREOGRAPHY, /* not allowed in a process */
} BpmnFamily;

/* X(ENUM, localName, family): every flow element and artifact of BPMN 2.0
 * that may appear in a process or sub-process. */
#define BPMN_KINDS(X)                                            \
  X(START_EVENT, "startEvent", EVENT)                            \
  X(END_EVENT, "endEvent", EVENT)                                \
  X(INTERMEDIATE_CATCH_EVENT, "intermediateCatchEvent", EVENT)   \
  X(INTERMEDIATE_THROW_EVENT, "intermediateThrowEvent", EVENT)   \
  X(BOUNDARY_EVENT, "boundaryEvent", EVENT)                      \
  X(IMPLICIT_THROW_EVENT, "implicitThrowEvent", EVENT)           \
  X(TASK, "task", ACTIVITY)                                      \
  X(USER_TASK, "userTask", ACTIVITY)                             \
  X(MANUAL_TASK, "manualTask", ACTIVITY)                         \
  X(SERVICE_TASK, "serviceTask", ACTIVITY)                       \
  X(SEND_TASK, "sendTask", ACTIVITY)                             \
  X(RECEIVE_TASK, "receiveTask", ACTIVITY)                       \
  X(SCRIPT_TASK, "scriptTask", ACTIVITY)                         \
  X(BUSINESS_RULE_TASK, "businessRuleTask", ACTIVITY)            \
  X(CALL_ACTIVITY, "callActivity", ACTIVITY)                     \
  X(SUB_PROCESS, "subProcess", CONTAINER)                        \
  X(AD_HOC_SUB_PROCESS, "adHocSubProcess", CONTAINER)            \
  X(TRANSACTION, "transaction", CONTAINER)                       \
  X(EXCLUSIVE_GATEWAY, "exclusiveGateway", GATEWAY)              \
  X(PARALLEL_GATEWAY, "parallelGateway", GATEWAY)                \
  X(INCLUSIVE_GATEWAY, "inclusiveGateway", GATEWAY)              \
  X(EVENT_BASED_GATEWAY, "eventBasedGateway", GATEWAY)           \
  X(COMPLEX_GATEWAY, "complexGateway", GATEWAY)                  \
  X(DATA_OBJECT, "dataObject", DATA)                             \
  X(DATA_OBJECT_REFERENCE, "dataObjectReference", DATA)          \
  X(DATA_STORE_REFERENCE, "dataStoreReference", DATA)            \
  X(TEXT_ANNOTATION, "textAnnotation", ARTIFACT)                 \
  X(ASSOCIATION, "association", ARTIFACT)                        \
  X(GROUP, "group", ARTIFACT)                                    \
  X(CHOREOGRAPHY_TASK, "choreographyTask", CHOREOGRAPHY)         \
  X(SUB_CHOREOGRAPHY, "subChoreography", CHOREOGRAPHY)           \
  X(CALL_CHOREOGRAPHY, "callChoreography", CHOREOGRAPHY)

typedef enum {
#define BPMN_KIND_ENUM(e, name, fam) BPMN_##e,
  BPMN_KINDS(BPMN_KIND_ENUM)
#undef BPMN_KIND_ENUM
  BPMN_KIND_COUNT
} BpmnKind;

const char *bpmn_kind_name(BpmnKind k); /* the XML local name: "userTask" */
BpmnFamily bpmn_kind_family(BpmnKind k);

/* ---- events ------------------------------------------------------------------- */

#define BPMN_EVENT_DEFS(X)                             \
  X(NONE, "none")                                      \
  X(TIMER, "timerEventDefinition")                     \
  X(MESSAGE, "messageEventDefinition")                 \
  X(ERROR, "errorEventDefinition")                     \
  X(SIGNAL, "signalEventDefinition")                   \
  X(TERMINATE, "terminateEventDefinition")             \
  X(ESCALATION, "escalationEventDefinition")           \
  X(COMPENSATE, "compensateEventDefinition")           \
  X(CONDITIONAL, "conditionalEventDefinition")         \
  X(LINK, "linkEventDefinition")                       \
  X(CANCEL, "cancelEventDefinition")

typedef enum {
#define BPMN_DEF_ENUM(e, name) BPMN_DEF_##e,
  BPMN_EVENT_DEFS(BPMN_DEF_ENUM)
#undef BPMN_DEF_ENUM
  BPMN_DEF_COUNT
} BpmnEventDefKind;

const char *bpmn_event_def_name(BpmnEventDefKind k);

typedef enum { BPMN_TIMER_NONE, BPMN_TIMER_DURATION, BPMN_TIMER_DATE, BPMN_TIMER_CYCLE } BpmnTimerKind;

typedef struct BpmnEventDef {
  BpmnEventDefKind kind;
  const char *id;     /* may be NULL */
  uint32_t line;
  /* messageRef, errorRef, signalRef, escalationRef or (compensate) activityRef */
  const char *ref;
  BpmnTimerKind timer;  /* which of timeDuration/timeDate/timeCycle was given */
  const char *text;     /* the timer's expression, or a conditional's condition */
  const char *language; /* the expression's language attribute, if any */
  const char *link_name; /* linkEventDefinition name */
} BpmnEventDef;

/* ---- activities --------------------------------------------------------------- */

typedef enum { BPMN_LOOP_NONE, BPMN_LOOP_STANDARD, BPMN_LOOP_MULTI } BpmnLoopKind;

typedef struct BpmnLoop {
  BpmnLoopKind kind;
  uint32_t line;
  bool sequential;             /* multi: isSequential */
  const char *cardinality;     /* loopCardinality text */
  const char *data_input_ref;  /* loopDataInputRef text */
  const char *input_item;      /* inputDataItem name (or id) */
  const char *collection;      /* camunda/activiti/flowable:collection */
  const char *element_variable; /* camunda/activiti/flowable:elementVariable */
  const char *completion;      /* completionCondition text */
  const char *loop_condition;  /* standard: loopCondition text */
  const char *loop_maximum;    /* standard: loopMaximum */
  bool test_before;            /* standard: testBefore */
} BpmnLoop;

typedef enum { BPMN_RES_PERFORMER, BPMN_RES_HUMAN_PERFORMER, BPMN_RES_POTENTIAL_OWNER } BpmnResourceRole;

/* potentialOwner / humanPerformer / performer with its assignment. */
typedef struct BpmnPerformer {
  BpmnResourceRole role;
  uint32_t line;
  const char *expression;   /* resourceAssignmentExpression formalExpression text */
  const char *resource_ref; /* resourceRef text */
} BpmnPerformer;

/* A vendor's form field: camunda:formField, or activiti/flowable:formProperty. */
typedef struct BpmnFormField {
  const char *id, *label, *type;
  const char *vendor; /* "camunda", "activiti", "flowable" */
  uint32_t line;
  bool required;      /* camunda:validation constraint required, formProperty required */
  const char *variable;      /* formProperty variable: the variable it writes (else id) */
  const char *default_value; /* camunda defaultValue, formProperty default */
  bool read_only;            /* formProperty writable="false": shown, not answered */
} BpmnFormField;

/* ---- flow elements ------------------------------------------------------------ */

typedef struct BpmnElement BpmnElement;
struct BpmnElement {
  BpmnKind kind;
  const char *id, *name; /* id may be NULL in a file that breaks the schema */
  uint32_t line;
  BpmnElement *parent; /* the sub-process holding it, NULL at process level */

  /* events */
  PtrVec event_defs;      /* BpmnEventDef*; several: a "multiple" event */
  const char *attached_to; /* boundaryEvent attachedToRef */
  bool cancel_activity;   /* boundaryEvent cancelActivity (default true) */
  bool interrupting;      /* startEvent isInterrupting (default true) */
  bool parallel_multiple; /* parallelMultiple */

  /* activities and gateways */
  const char *default_flow;
  BpmnLoop loop;
  bool for_compensation;
  PtrVec performers;       /* BpmnPerformer* */
  const char *assignee;    /* vendor attributes on userTask */
  const char *candidate_users;
  const char *candidate_groups;
  const char *form_key;
  PtrVec form_fields;      /* BpmnFormField* */
  const char *implementation; /* implementation attribute */
  const char *message_ref; /* receiveTask / sendTask messageRef */
  bool instantiate;        /* receiveTask / eventBasedGateway instantiate */
  const char *script_format;
  bool has_script;          /* a script body (never executed) */
  const char *called_element;
  const char *gateway_direction;
  const char *event_gateway_type; /* eventBasedGateway: Exclusive / Parallel */

  /* containers */
  bool triggered_by_event; /* an event sub-process */
  const char *ordering;    /* adHocSubProcess ordering (Parallel, the default, or Sequential) */
  bool cancel_remaining;   /* adHocSubProcess cancelRemainingInstances (default true) */
  const char *ad_hoc_completion; /* adHocSubProcess completionCondition text */
  bool ad_hoc;             /* an adHocSubProcess the mapping treats as a sub-process (bpmn_call.c) */
  PtrVec children;         /* BpmnElement* */
  PtrVec flows;            /* BpmnFlow* */

  /* artifacts */
  const char *source_ref, *target_ref; /* association */

  /* call activities run in place (bpmn_call.c): a copy's original id (NULL
   * for an element of the file), and the process a call activity that became
   * a sub-process runs */
  const char *origin;
  const char *called_process;
  const char *bpc; /* bpc:ir (docs/bpmn.md "Export"), NULL when none */
  /* the host action an activity calls when it is not named by its id (a call
   * of a process that is not in the file: that process's id), else NULL */
  const char *action_name;
};

typedef struct BpmnFlow {
  const char *id, *name;
  uint32_t line;
  const char *source, *target; /* sourceRef, targetRef (ids) */
  const char *condition;       /* conditionExpression text, NULL when none */
  const char *language;        /* its language attribute, if any */
  BpmnElement *parent;         /* the sub-process holding it, or NULL */
  const char *bpc;             /* bpc:ir, NULL when none */
} BpmnFlow;

typedef struct BpmnLane {
  const char *id, *name;
  uint32_t line;
  struct BpmnLane *parent; /* the lane of a childLaneSet */
  PtrVec node_refs;        /* const char*: flowNodeRef ids */
} BpmnLane;

typedef struct BpmnProcess {
  const char *id, *name;
  uint32_t line;
  bool is_executable; /* isExecutable="true" */
  PtrVec elements;    /* BpmnElement*: top level (sub-processes hold theirs) */
  PtrVec flows;       /* BpmnFlow*: top level */
  PtrVec lanes;       /* BpmnLane*, nested lanes included (see parent) */
  uint32_t n_elements; /* every flow element at any depth, artifacts included */
  const char *bpc;    /* bpc:ir, NULL when none */
} BpmnProcess;

typedef struct BpmnParticipant {
  const char *id, *name, *process_ref;
  uint32_t line;
} BpmnParticipant;

typedef struct BpmnMessageFlow {
  const char *id, *name, *source, *target, *message_ref;
  uint32_t line;
} BpmnMessageFlow;

typedef struct BpmnCollaboration {
  const char *id, *name;
  uint32_t line;
  PtrVec participants;  /* BpmnParticipant* */
  PtrVec message_flows; /* BpmnMessageFlow* */
} BpmnCollaboration;

/* message, error, signal, escalation: root elements referred to by events. */
typedef struct BpmnRootRef {
  const char *id, *name;
  const char *code; /* errorCode / escalationCode */
  uint32_t line;
} BpmnRootRef;

/* Diagram interchange: where the modeler drew an element. */
typedef struct BpmnShape {
  const char *id, *element; /* bpmnElement */
  uint32_t line;
  double x, y, w, h;
  bool has_bounds, expanded;
} BpmnShape;

typedef struct BpmnEdge {
  const char *id, *element;
  uint32_t line;
  bool has_ends; /* sourceElement and targetElement given: BPMN DI's one edge with no
                    bpmnElement (a data association drawn on a sequence flow) */
  double *points; /* x0, y0, x1, y1, … */
  uint32_t n_points;
} BpmnEdge;

/* A BPMN element read but not modelled (ioSpecification, conversation,
 * dataStore, …): the mapping decides whether it matters. */
typedef struct BpmnIgnored {
  const char *element; /* local name */
  const char *owner_id; /* id of the enclosing element, if any */
  uint32_t line;
} BpmnIgnored;

typedef struct BpmnDiag {
  bool error; /* else a warning */
  uint32_t line; /* 1-based; 0 when the message is about the whole file */
  const char *message;
} BpmnDiag;

typedef struct BpmnModel {
  Arena arena; /* owns everything below */
  const char *path;
  const char *id, *name;
  uint32_t line; /* of the definitions' start tag */
  const char *exporter, *exporter_version;
  const char *expression_language; /* definitions' default, if given */
  const char *encoding; /* as declared, or detected ("UTF-8", "UTF-16LE"…) */
  const char *bpc; /* the definitions' bpc:ir: written by bpc export, NULL when none */
  PtrVec processes;      /* BpmnProcess* */
  PtrVec collaborations; /* BpmnCollaboration* */
  PtrVec messages, errors, signals, escalations; /* BpmnRootRef* */
  PtrVec shapes, edges;  /* BpmnShape*, BpmnEdge* */
  PtrVec ignored;        /* BpmnIgnored* */
  /* globalTask, globalUserTask, globalManualTask, globalScriptTask,
   * globalBusinessRuleTask: BpmnElement* of kind TASK, USER_TASK, MANUAL_TASK,
   * SCRIPT_TASK, BUSINESS_RULE_TASK (no parent, no flows), with their
   * performers and vendor assignees; a callActivity's calledElement names one */
  PtrVec global_tasks;
  PtrVec vendor_names;   /* const char*: distinct "camunda:assignee"-style names seen */
  bool engine_extensions; /* a camunda:, activiti: or flowable: name is used: made for those engines */
  PtrVec diags;          /* BpmnDiag*, in the order found */
  uint32_t errors_n, warnings_n;
  uint32_t n_objects; /* counted against BPMN_MAX_OBJECTS */
  void *ids; /* the id table (bpmn_read.c) */
} BpmnModel;

/* ---- API ---------------------------------------------------------------------- */

/* True when the bytes look like XML (a BOM or `<` first, after blanks): how bpc
 * tells a BPMN file from a .bp source by content. */
bool bpmn_looks_like_xml(const char *data, size_t len);

/* Reads a BPMN 2.0 file from memory and checks it structurally. Never NULL
 * (out of memory exits, as everywhere in the compiler); on any error
 * m->errors_n > 0 and the model holds what was read before it. */
BpmnModel *bpmn_read(const char *path, const char *data, size_t len);
void bpmn_free(BpmnModel *m);

/* Prints the messages as `path:line: error: message`, in the order found. */
void bpmn_print_diags(const BpmnModel *m, FILE *out);

/* The element or flow with this id, NULL when none (after bpmn_read). */
BpmnElement *bpmn_find_element(const BpmnModel *m, const char *id);
BpmnFlow *bpmn_find_flow(const BpmnModel *m, const char *id);

#endif
