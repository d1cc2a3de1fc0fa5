/* ir.h — the graph IR: a process as nodes and edges, between the checked tree
 * and the bytecode.
 *
 * Lowering (lower.c) builds it from a checked `.bp` Program; a BPMN importer
 * can build the same structure from XML without any `.bp` tree, as long as it
 * produces typed `Expr` trees for conditions and values. The code generator
 * (codegen.c) linearizes it into bytecode, and writes it into the bundle's
 * GRAPH section for diagrams and traces.
 *
 * Shape of a process:
 *  - nodes[] and edges[] are arrays; a node's index is its place in nodes[],
 *    an edge refers to nodes by pointer. After building, ir_proc_index() fills
 *    every node's out[] and in[] (edge indices, in creation order).
 *  - One IR_START node; paths end in IR_END, IR_TERMINATE, IR_GOTO (to a
 *    state), IR_IDLE (an enter block or command body is done: the instance
 *    rests in its state) or IR_HANDLER_END (a remind / on-timeout handler is
 *    done). IR_JOIN / IR_RACE_JOIN continue with their one out-edge.
 *  - Handlers of a human step, enter blocks and command bodies are separate
 *    sub-graphs: an IR_E_TIMER edge goes from the step to each handler's first
 *    node, an IR_E_FLOW edge from a state to its enter block, an IR_E_COMMAND
 *    edge from a state to a command's target state or body. The payloads name
 *    those entry nodes too, so nobody has to search for them.
 *  - Clusters: every node's `cluster` is the IR_BRANCH node of the parallel
 *    branch it is in, or the IR_STATE node whose enter block / command body it
 *    belongs to, or NULL. IR_BRANCH nodes are not on any path.
 *
 * Everything lives in the IrProgram's arena; Expr trees are borrowed from the
 * front end (the Program must outlive the IR). */
#ifndef BPC_IR_H
#define BPC_IR_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "types.h"
#include "util.h"

typedef struct IrNode IrNode;

typedef enum IrNodeKind {
  IR_START, IR_END, IR_TERMINATE,
  IR_TASK, IR_APPROVE, IR_REVIEW, IR_REQUEST, /* human steps: payload human */
  IR_ACTION, IR_NOTIFY, IR_LOG, IR_ASSIGN, IR_START_PROCESS,
  IR_WAIT, IR_WAIT_UNTIL,
  IR_CHOICE,     /* exclusive choice: COND edges (tried in `arm` order), one ELSE edge */
  IR_MERGE,      /* exclusive merge; also a loop's head */
  IR_FORK, IR_JOIN, IR_RACE, IR_RACE_JOIN,
  IR_EVENT_WAIT, /* whichever event comes first (BPMN event gateway; not lowered from .bp) */
  IR_ITER_START, /* for x in LIST: the list into hidden slots */
  IR_ITER_NEXT,  /* the next element into x (body edge), or done (ELSE edge) */
  IR_STATE, IR_GOTO,
  IR_BRANCH,     /* a cluster: one branch of a parallel */
  IR_REASSIGN, IR_ADD, /* inside on timeout */
  IR_HANDLER_END, IR_IDLE,
  IR_NODE_KIND_COUNT
} IrNodeKind;

typedef enum IrEdgeKind {
  IR_E_FLOW, IR_E_COND, IR_E_ELSE, IR_E_LOOP, IR_E_TIMER, IR_E_COMMAND, IR_E_GOTO,
  IR_E_KIND_COUNT
} IrEdgeKind;

enum { IR_EDGE_BACK = 1 }; /* IrEdge.flags: a loop's back edge (to its head) */

typedef struct IrEdge {
  IrNode *from, *to;
  IrEdgeKind kind;
  uint8_t flags;
  uint32_t arm;      /* a choice's COND edges: the order they are tried in */
  Expr *cond;        /* IR_E_COND */
  const char *label; /* the condition's text, "else", "remind 1d before", ... */
} IrEdge;

/* A WHO list: user and users expressions. */
typedef struct IrWho {
  Expr **who;
  uint32_t n;
} IrWho;

typedef struct IrReqField {
  const char *name, *label;
  const Type *type;
  bool to_slot;   /* false: document field `index`; true: local slot `index` */
  uint16_t index;
} IrReqField;

typedef struct IrHuman {
  HumanKind kind;
  ApproveMode mode; /* resolved: never MODE_DEFAULT */
  IrWho who;
  Expr *title;
  Expr *vote;       /* MODE_VOTE */
  bool wait_all;
  Expr *due;        /* NULL: none */
  IrReqField *fields;
  uint32_t nfields;
  int32_t result;   /* slot of `-> r`, or -1 */
  Expr **remind_before;
  IrNode **remind_entry;
  uint32_t nreminds;
  IrNode *timeout_entry; /* NULL: none */
  uint16_t step;    /* index in the process's step table */
} IrHuman;

typedef struct IrStartArg {
  uint16_t param; /* index among the target's parameters */
  const Type *type;
  Expr *value;
} IrStartArg;

struct IrNode {
  IrNodeKind kind;
  uint32_t index;    /* in the process's nodes[] */
  const char *id;    /* in the source: "approve_11", or a BPMN id */
  const char *title; /* what a diagram writes in the node */
  const char *detail;/* "approve · voters · vote 60% · due 3d" */
  uint32_t line, col;
  IrNode *cluster;
  uint32_t *out, nout; /* edge indices, filled by ir_proc_index */
  uint32_t *in, nin;
  union {
    IrHuman human;
    struct { uint16_t action; Expr **args; uint32_t n; int32_t result; } action;
    struct { IrWho who; Expr *message; } notify;
    struct { Expr *text; } log;
    struct { bool to_slot; uint16_t index; const Type *type; Expr *value; } assign;
    struct { uint16_t proc; IrStartArg *args; uint32_t n; } start;
    struct { Expr *value; } wait;           /* a duration, or a date / datetime */
    struct { Expr *reason; } terminate;     /* NULL: none */
    struct { uint16_t group; uint32_t nbranches; } fork; /* FORK, RACE, JOIN, RACE_JOIN */
    struct { uint16_t slot; Expr *list; } iter_start;    /* slot, slot+1: list, position */
    struct { uint16_t slot, var; } iter_next;
    struct { uint16_t state; } state;       /* IR_STATE, IR_GOTO */
    struct { IrWho who; Expr *due; } reassign;
    struct { IrWho who; } add;
    struct { uint32_t number; } branch;     /* IR_BRANCH: 1-based */
    struct { IrNode *loop_head; } merge;    /* a loop's exit: its head, else NULL */
  } u;
};

typedef enum IrSlotKind {
  IR_SLOT_PARAM, IR_SLOT_VAR, IR_SLOT_RESULT, IR_SLOT_LOOPVAR, IR_SLOT_HIDDEN
} IrSlotKind;

typedef struct IrSlot {
  const char *name;
  const Type *type;
  IrSlotKind kind;
  const Symbol *sym; /* NULL for hidden slots */
} IrSlot;

typedef struct IrParam {
  uint16_t slot;
  const char *name, *label;
  const Type *type;
  bool required;
  Expr *def;        /* NULL: none */
} IrParam;

typedef struct IrInit {
  uint16_t slot;
  const Type *type;
  Expr *value;      /* NULL: the empty value of the type */
  uint32_t line, col;
} IrInit;

typedef struct IrTrigger {
  TriggerKind kind;
  uint16_t *fields; /* document field indices */
  uint32_t nfields;
  Expr *when;       /* NULL: none */
} IrTrigger;

typedef struct IrCommand {
  const char *name, *label;
  IrWho by;         /* n = 0: anyone */
  int32_t target;   /* a state index, or -1 when it has a body */
  IrNode *body;     /* first node of the body */
  uint32_t line, col;
} IrCommand;

typedef struct IrState {
  const char *name, *label;
  bool final;
  IrNode *node;
  IrNode *enter;    /* first node of the enter block (an IR_IDLE when there is none) */
  IrCommand *commands;
  uint32_t ncommands;
} IrState;

typedef struct IrDocField {
  const char *name;
  const Type *type;
  Expr *def; /* a constant, or NULL */
} IrDocField;

typedef struct IrDoc {
  const char *name;
  IrDocField *fields;
  uint32_t nfields;
} IrDoc;

typedef struct IrActionParam {
  const char *name;
  const Type *type;
} IrActionParam;

typedef struct IrAction {
  const char *name;
  const Type *result; /* &type_void: none */
  IrActionParam *params;
  uint32_t nparams;
} IrAction;

typedef struct IrProc {
  const char *name, *title;
  int32_t doc;       /* index in IrProgram.docs, or -1 */
  uint32_t line, col;
  IrTrigger trigger;
  PtrVec slots;      /* IrSlot* */
  PtrVec params;     /* IrParam* */
  PtrVec inits;      /* IrInit*: variables, in order */
  PtrVec nodes;      /* IrNode* */
  PtrVec edges;      /* IrEdge* */
  IrNode *start;
  IrState *states;   /* NULL/0 for a sequential process */
  uint32_t nstates;
  uint32_t nsteps, ngroups;
  /* Symbol -> slot, per kind (params, vars, results, loop variables), indexed
   * by Symbol.slot; see ir_slot_of. */
  int32_t *slot_map[4];
  uint32_t slot_map_len[4];
  uint64_t *idkeys;  /* (line, kind) -> how many ids made: see ir_node */
  uint32_t *idcounts, idcap, idn;
} IrProc;

typedef struct IrProgram {
  Arena arena;
  const char *source_path; /* "" for a model with no source file */
  const Source *src;       /* NULL when not from .bp text */
  IrDoc *docs;
  uint32_t ndocs;
  IrAction *actions;
  uint32_t nactions;
  IrProc *procs;
  uint32_t nprocs;
} IrProgram;

/* ---- building ------------------------------------------------------------ */

IrProgram *ir_program_new(void);
void ir_free(IrProgram *ir);

/* A new node at line:col; title and detail may be NULL (""). The id is made
 * from the kind and the line ("approve_11"), unique in the process. */
IrNode *ir_node(IrProgram *ir, IrProc *p, IrNodeKind kind, uint32_t line, uint32_t col);
IrEdge *ir_edge(IrProgram *ir, IrProc *p, IrNode *from, IrNode *to, IrEdgeKind kind,
                const char *label);
/* Appends a slot; returns its index. */
uint16_t ir_slot(IrProgram *ir, IrProc *p, const char *name, const Type *type,
                 IrSlotKind kind, const Symbol *sym);
/* The slot of a param / var / result / loop variable symbol, or -1. */
int32_t ir_slot_of(const IrProc *p, const Symbol *sym);
/* Fills every node's out[] and in[]; call when the process is built. */
void ir_proc_index(IrProgram *ir, IrProc *p);

/* ---- reading ------------------------------------------------------------- */

static inline IrNode *ir_node_at(const IrProc *p, uint32_t i) { return p->nodes.items[i]; }
static inline IrEdge *ir_edge_at(const IrProc *p, uint32_t i) { return p->edges.items[i]; }
static inline IrSlot *ir_slot_at(const IrProc *p, uint32_t i) { return p->slots.items[i]; }

const char *ir_node_kind_name(IrNodeKind k);  /* "approve" */
const char *ir_edge_kind_name(IrEdgeKind k);  /* "cond" */
/* The GRAPH section's kind of an IR node (bpt.h's BptNodeKind) and of an edge. */
unsigned ir_node_bpt_kind(IrNodeKind k);
unsigned ir_edge_bpt_kind(IrEdgeKind k);
/* Is it a human step (task / approve / review / request)? */
bool ir_is_human(IrNodeKind k);
/* Does a path end at a node of this kind (no out-edge to follow)? */
bool ir_is_terminal(IrNodeKind k);

/* Line and character column of a byte offset, like source_position, but
 * remembering the last answer: offsets asked in increasing order along one
 * line (a 10 MB line of statements) cost what they advance, not the whole
 * line each time. */
typedef struct IrPosCache {
  const Source *src;
  uint32_t off, line, col; /* the last answer; line 0: none */
} IrPosCache;
void ir_position(IrPosCache *c, uint32_t off, uint32_t *line, uint32_t *col);

/* A readable dump of a process, one node and its out-edges a line (tests,
 * debugging). The caller frees the string. */
char *ir_dump(const IrProc *p);

#endif
