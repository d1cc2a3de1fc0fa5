/* ir.h — the graph IR: a process as nodes and edges, between a front end and
 * the bytecode. This header is the whole contract (docs/ir.md explains it):
 * it needs only base/ (types, the arena), never a front end's tree.
 *
 * Lowering (lower/) builds it from a checked `.bp` Program; an importer
 * builds it from BPMN with the same builder functions below. ir_finish()
 * validates a built program and computes what code generation needs (back
 * edges, loop heads, fork groups); the code generator (back/codegen.c)
 * linearizes any program ir_finish accepted into bytecode.
 *
 * Shape of a process:
 *  - nodes[] and edges[] are arrays; a node's index is its place in nodes[],
 *    an edge refers to nodes by pointer. ir_finish fills every node's out[]
 *    and in[] (edge indices, in creation order).
 *  - One IR_START node; paths end in IR_END, IR_TERMINATE, IR_GOTO (to a
 *    state), IR_IDLE (an enter block or command body is done: the instance
 *    rests in its state) or IR_HANDLER_END (a remind / on-timeout handler is
 *    done).
 *  - Handlers of a human step, enter blocks and command bodies are separate
 *    sub-graphs: an IR_E_TIMER edge goes from the step to each handler's first
 *    node, an IR_E_FLOW edge from a state to its enter block, an IR_E_COMMAND
 *    edge from a state to a command's target state or body. The payloads name
 *    those entry nodes too.
 *  - Clusters: a node's `cluster` is the IR_BRANCH node of the parallel
 *    branch it is drawn in, or the IR_STATE node whose enter block / command
 *    body it belongs to, or NULL. Clusters only matter to diagrams. IR_BRANCH
 *    nodes are on no path.
 *
 * Everything, strings and expressions too, lives in the IrProgram's arena: every
 * builder below copies the strings it is given, so a front end may free its own
 * tree (a BPMN model, a syntax tree) as soon as the IR is built. A string stored
 * into a field directly must come from ir_str or the arena, or be a string literal. */
#ifndef BPC_IR_H
#define BPC_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"
#include "util.h"

typedef struct IrNode IrNode;
typedef struct IrExpr IrExpr;

/* ---- expressions ------------------------------------------------------------ */

typedef enum IrExprKind {
  IR_X_INT,      /* u.i */
  IR_X_DECIMAL,  /* u.dec: unscaled digits and a scale (12.50 = 1250, 2) */
  IR_X_BOOL,     /* u.i: 0 or 1 */
  IR_X_DURATION, /* u.i: seconds */
  IR_X_STRING,   /* u.str: literal text (UTF-8, may hold NUL bytes) */
  IR_X_TEXT,     /* u.list: interpolation: the parts' text concatenated */
  IR_X_LIST,     /* u.list: a list of the items */
  IR_X_SLOT,     /* u.index: a local slot of the process */
  IR_X_FIELD,    /* u.index: a field of the process's document */
  IR_X_MEMBER,   /* u.member: member `index` of a step-result record */
  IR_X_CALL,     /* u.call and nargs: a built-in function (runtime/bundle/builtins.def) */
  IR_X_UNARY,    /* u.unary */
  IR_X_BINARY,   /* u.binary and op */
  IR_X_COND,     /* u.cond: c ? a : b */
  IR_X_AS,       /* u.unary.operand taken as `type`: int -> decimal, user -> users,
                    [] -> a list type (a named constant's value, for instance) */
  IR_X_USER,     /* u.str: a user literal (a user id, not empty), type user */
  IR_X_KIND_COUNT
} IrExprKind;

typedef enum IrUnaryOp { IR_OP_NEG, IR_OP_NOT } IrUnaryOp;

typedef enum IrBinaryOp {
  IR_OP_ADD, IR_OP_SUB, IR_OP_MUL, IR_OP_DIV, IR_OP_MOD,
  IR_OP_EQ, IR_OP_NE, IR_OP_LT, IR_OP_LE, IR_OP_GT, IR_OP_GE,
  IR_OP_AND, IR_OP_OR, /* short-circuit */
  IR_OP_IN             /* x in list */
} IrBinaryOp;

/* IR_X_COND's operands, out of line: the only payload of three pointers, and rare. */
typedef struct IrCond {
  IrExpr *cond, *then, *otherwise;
} IrCond;

/* 32 bytes, where the first layout took 48: the kind and the small fields beside it,
 * a payload of at most two words (239,255 expressions at 100,000 lines: 3.8 MB less).
 * An expression has no position: where code generation records one, the IR keeps it
 * beside the expression (a COND edge's line and col, an IrParam's, an IrTrigger's). */
struct IrExpr {
  IrExprKind kind : 8;
  IrBinaryOp op : 8;  /* IR_X_BINARY: the operator */
  uint32_t nargs;     /* IR_X_CALL: how many arguments */
  const Type *type;   /* the static type of the value (types.h) */
  union {
    int64_t i;
    struct { int64_t unscaled; uint8_t scale; } dec;
    struct { const char *s; uint32_t len; } str;
    struct { IrExpr **items; uint32_t n; } list;
    uint16_t index;
    struct { IrExpr *obj; uint8_t index; } member;
    struct { const char *fn; IrExpr **args; } call; /* nargs arguments */
    struct { IrUnaryOp op; IrExpr *operand; } unary;
    struct { IrExpr *lhs, *rhs; } binary;          /* op: the operator */
    IrCond *cond;
  } u;
};

/* ---- nodes and edges -------------------------------------------------------- */

typedef enum IrNodeKind {
  IR_START, IR_END, IR_TERMINATE,
  IR_TASK, IR_APPROVE, IR_REVIEW, IR_REQUEST, /* human steps: payload human */
  IR_ACTION, IR_NOTIFY, IR_LOG, IR_ASSIGN, IR_START_PROCESS,
  IR_WAIT, IR_WAIT_UNTIL,
  IR_CHOICE,     /* exclusive choice: COND edges (tried in `arm` order), one ELSE edge */
  IR_MERGE,      /* exclusive merge (any node may have several in-edges; a MERGE
                    only names the meeting point) */
  IR_FORK, IR_JOIN, IR_RACE, IR_RACE_JOIN,
  IR_EVENT_WAIT, /* whichever event comes first (BPMN event gateway): FLOW edges to
                    timers, human steps or actions, each reached from it only; the
                    first to happen withdraws the others */
  IR_ITER_START, /* for x in LIST: the list into hidden slots */
  IR_ITER_NEXT,  /* the next element into x (FLOW edge: the body), or done (ELSE edge) */
  IR_STATE, IR_GOTO,
  IR_BRANCH,     /* a cluster: one branch of a parallel, on no path */
  IR_REASSIGN, IR_ADD, /* inside on timeout */
  IR_HANDLER_END, IR_IDLE,
  /* errors a process can catch */
  IR_TRY,        /* enters a try scope: one FLOW edge (the body) and CATCH edges (tried
                    in `arm` order) to the handlers; payload try_ */
  IR_TRY_END,    /* the body of its TRY is done: the scope ends (FLOW) */
  IR_THROW,      /* raises error throw_.code with throw_.message; no out-edges */
  IR_RECEIVE,    /* waits until the host delivers message `receive.name`; its payload
                    fields stored like a request's answers */
  /* event handlers beside a scope (`on message`, BPMN non-interrupting boundaries) */
  IR_SPAWN,      /* starts the flow its one TIMER edge leads to as a token of its own (the
                    scope it was started in ending does not stop it) and goes on (FLOW) */
  IR_NODE_KIND_COUNT
} IrNodeKind;

typedef enum IrEdgeKind {
  IR_E_FLOW, IR_E_COND, IR_E_ELSE,
  IR_E_LOOP,    /* set by ir_finish on a FLOW edge that closes a loop; a builder may
                   use it, it means FLOW */
  IR_E_TIMER, IR_E_COMMAND, IR_E_GOTO,
  IR_E_CATCH,   /* a TRY to a handler: the error codes it catches (codes; none: any) */
  IR_E_KIND_COUNT
} IrEdgeKind;

enum { IR_EDGE_BACK = 1 }; /* IrEdge.flags, set by ir_finish: a loop's back edge */

/* 48 bytes, where the fields one after the other took 64: a COND edge's condition and
 * a CATCH edge's codes share their room, and the kind takes a byte. */
typedef struct IrEdge {
  IrNode *from, *to;
  const char *label; /* the condition's text, "else", "remind 1d before", ... */
  union {
    /* IR_E_COND: a bool, and where it is written (the bytecode's line table records
     * it before the test; 0: unknown) */
    struct { IrExpr *cond; uint32_t line, col; };
    /* IR_E_CATCH: the error codes it catches; ncodes 0: any */
    struct { const char **codes; uint32_t ncodes; };
  };
  uint32_t arm;      /* COND edges: the order they are tried in; FORK / RACE edges:
                        the branch order */
  IrEdgeKind kind : 8;
  uint8_t flags;
} IrEdge;

/* A WHO list: user and users expressions. */
typedef struct IrWho {
  IrExpr **who;
  uint32_t n;
} IrWho;

/* IR_MODE_BITRIX: Bitrix24's vote rule, `vote` its ApproveMinPercent (docs/bitrix.md). */
typedef enum IrMode { IR_MODE_ANY, IR_MODE_ALL, IR_MODE_MAJORITY, IR_MODE_VOTE, IR_MODE_BITRIX } IrMode;

typedef struct IrReqField {
  const char *name, *label;
  const Type *type;
  bool to_slot;   /* false: document field `index`; true: local slot `index` */
  uint16_t index;
} IrReqField;

typedef struct IrHuman {
  IrMode mode;
  IrWho who;
  IrExpr *title;    /* a string */
  IrExpr *vote;     /* IR_MODE_VOTE, IR_MODE_BITRIX: the percentage (int) */
  bool wait_all;
  IrExpr *due;      /* a duration, date or datetime; NULL: none */
  IrReqField *fields;
  uint32_t nfields;
  int32_t result;   /* slot of the step's result record, or -1 */
  IrExpr **remind_before; /* durations */
  IrNode **remind_entry;
  uint32_t nreminds;
  IrNode *timeout_entry; /* NULL: none */
  uint16_t step;    /* index in the process's step table (ir_node numbers them) */
  /* `after` handlers: each runs after_delay[i] (a duration) after the step opened if it is
   * still open, again every after_every[i] (a duration, or NULL: once), at most
   * after_times[i] times in all (an int, or NULL: while the step is open). Its first node
   * after_entry[i] is entered by a TIMER edge; its flow ends in IR_HANDLER_END or IR_END:
   * once run it is a token of its own, which the step closing does not cancel. */
  IrExpr **after_delay, **after_every, **after_times;
  IrNode **after_entry;
  uint32_t nafters;
  IrExpr *timeout_times; /* `on timeout times N`: N (an int); NULL: the handler runs every time */
} IrHuman;

typedef struct IrStartArg {
  uint16_t param; /* index among the target's parameters */
  const Type *type;
  IrExpr *value;
} IrStartArg;

/* The fields go by size: 96 bytes, where `uint32_t *out, nout; uint32_t *in, nin;`
 * padded each count to 8 (104). */
struct IrNode {
  IrNodeKind kind;
  uint32_t index;    /* in the process's nodes[] */
  const char *id;    /* unique in the process: "approve_11", or a BPMN id */
  const char *title; /* what a diagram writes in the node */
  const char *detail;/* "approve · voters · vote 60% · due 3d" */
  uint32_t line, col;
  IrNode *cluster;
  uint32_t *out, *in; /* edge indices, filled by ir_finish */
  uint32_t nout, nin;
  union {
    /* out of line: 160 bytes, where every other payload takes at most 24, and most
     * nodes are not human steps; ir_node allocates it for the human kinds */
    IrHuman *human;
    struct { uint16_t action; IrExpr **args; uint32_t n; int32_t result; } action;
    struct { IrWho who; IrExpr *message; } notify;
    struct { IrExpr *text; } log;
    struct { bool to_slot; uint16_t index; const Type *type; IrExpr *value; } assign;
    struct { uint16_t proc; IrStartArg *args; uint32_t n; } start;
    struct { IrExpr *value; } wait;         /* a duration, or a date / datetime */
    struct { IrExpr *reason; } terminate;   /* NULL: none */
    /* FORK, RACE, EVENT_WAIT, JOIN, RACE_JOIN: computed by ir_finish (a join
     * gets its fork's group and branch count) */
    struct { uint16_t group; uint32_t nbranches; } fork;
    struct { uint16_t slot; IrExpr *list; } iter_start; /* slot, slot+1: list, position */
    struct { uint16_t slot, var; } iter_next;
    struct { uint16_t state; } state;       /* IR_STATE, IR_GOTO */
    struct { IrWho who; IrExpr *due; } reassign;
    struct { IrWho who; } add;
    struct { uint32_t number; } branch;     /* IR_BRANCH: 1-based */
    struct { IrNode *loop_head; } merge;    /* computed by ir_finish: see docs/ir.md */
    /* IR_TRY (IR_TRY_END: group only): group and nbranches (1) computed by ir_finish as
     * for a fork; slot, slot+1: two hidden slots for the caught code and message */
    struct { uint16_t group; uint32_t nbranches; uint16_t slot; } try_;
    struct { IrExpr *code, *message; } throw_; /* strings; message NULL: "" */
    struct { const char *name; IrReqField *fields; uint32_t nfields; } receive; /* labels unused */
  } u;
};

/* ---- processes and programs ---------------------------------------------------- */

typedef enum IrSlotKind {
  IR_SLOT_PARAM, IR_SLOT_VAR, IR_SLOT_RESULT, IR_SLOT_LOOPVAR, IR_SLOT_HIDDEN
} IrSlotKind;

typedef struct IrSlot {
  const char *name;
  const Type *type;
  IrSlotKind kind;
} IrSlot;

typedef struct IrParam {
  uint16_t slot;
  const char *name, *label;
  const Type *type;
  bool required;
  IrExpr *def;      /* NULL: none */
  uint32_t line, col; /* where def is written (code generation records it); 0: unknown */
} IrParam;

typedef struct IrInit {
  uint16_t slot;
  const Type *type;
  IrExpr *value;    /* NULL: the empty value of the type */
  uint32_t line, col;
} IrInit;

/* IR_TRIG_TIMER: started by the host on a schedule (`schedule`, ISO 8601: a date, a
 * duration or a repeating interval R[n]/duration, as a BPMN timer start event gives it). */
typedef enum IrTriggerKind { IR_TRIG_MANUAL, IR_TRIG_CREATE, IR_TRIG_CHANGE, IR_TRIG_TIMER } IrTriggerKind;

typedef struct IrTrigger {
  IrTriggerKind kind;
  uint16_t *fields; /* document field indices */
  uint32_t nfields;
  IrExpr *when;     /* a bool; NULL: none */
  uint32_t line, col; /* where when is written (code generation records it); 0: unknown */
  const char *schedule; /* IR_TRIG_TIMER: the schedule's text */
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
  IrExpr *def; /* a literal, or NULL */
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

/* A node's id as ir_finish hashed it to find repeats (its length and util.h's bytes_hash
 * of it): code generation's string table takes the same hash. */
typedef struct IrIdHash {
  const char *id;
  uint32_t len, hash;
} IrIdHash;

typedef struct IrProc {
  const char *name, *title;
  int32_t doc;       /* index in IrProgram.docs, or -1 */
  uint32_t line, col;
  IrTrigger trigger;
  PtrVec slots;      /* IrSlot* */
  PtrVec params;     /* IrParam* */
  PtrVec inits;      /* IrInit*: variables, in order */
  PtrVec nodes;      /* IrNode*; malloc'd until ir_proc_built moves it to the arena */
  PtrVec edges;      /* IrEdge*; the same */
  IrNode *start;     /* set by ir_node for the IR_START node */
  IrState *states;   /* NULL/0 for a sequential process */
  uint32_t nstates;
  uint32_t nsteps, ngroups; /* ngroups: computed by ir_finish */
  uint64_t *idkeys;  /* (line, kind) -> how many ids made: see ir_node; malloc'd, */
  uint32_t *idcounts, idcap, idn; /* idcounts in idkeys' block; freed by ir_proc_built */
  bool built;        /* ir_proc_built has run */
  const IrIdHash *id_hashes; /* per node, by ir_finish (NULL: none); in the arena */
  /* Where the body was made, when lowering made it on a thread beside code generation
   * (NULL: not known): code generation prefetches it, as it is in the other core's cache. */
  const char *made_from, *made_to;
} IrProc;

/* A problem ir_finish found: where (the node's id and position, or the
 * process's), and why. */
typedef struct IrError {
  const char *proc;    /* the process's name */
  const char *node;    /* the node's id, or NULL for the process as a whole */
  uint32_t line, col;
  const char *message;
} IrError;

typedef struct IrProgram {
  Arena arena;
  const char *source_path; /* file names in messages; "" when none */
  /* The text the program was made from (a copy; NULL when none was given):
   * the bundle records its size and checksum, so a reader knows the file
   * again (bpc disasm shows its lines only then). */
  const char *source_text;
  size_t source_len;
  IrDoc *docs;
  uint32_t ndocs;
  IrAction *actions;
  uint32_t nactions;
  IrProc *procs;
  uint32_t nprocs;
  bool finished;           /* ir_finish ran */
  IrError *errors;         /* what ir_finish refused */
  uint32_t nerrors;
} IrProgram;

/* ---- building ------------------------------------------------------------ */

/* An empty program; source_path names the file in messages (NULL: ""). */
IrProgram *ir_new(const char *source_path);
void ir_free(IrProgram *ir);
/* Keeps a copy of the source text the program was made from (see
 * IrProgram.source_text). */
void ir_set_source(IrProgram *ir, const char *text, size_t len);
/* Points at the source text instead of copying it (`bpc compile`: 3.4 MB of arena fewer
 * for a 100,000-line program): the caller keeps text, unchanged, as long as the IR. */
void ir_share_source(IrProgram *ir, const char *text, size_t len);
/* A string copied into the program's arena. */
const char *ir_str(IrProgram *ir, const char *s);

/* Documents, actions and processes are arrays: declare how many first (each
 * once), then fill ir->docs[i] etc. ir_proc returns process i with its name
 * set and every list empty. */
void ir_reserve(IrProgram *ir, uint32_t ndocs, uint32_t nactions, uint32_t nprocs);
IrDoc *ir_doc(IrProgram *ir, const char *name, uint32_t nfields);
IrAction *ir_action(IrProgram *ir, const char *name, const Type *result, uint32_t nparams);
IrProc *ir_proc(IrProgram *ir, const char *name);

/* A new node at line:col (0:0 when it has no place in a file). `id` names it
 * (a BPMN id); NULL makes one from the kind and the line ("approve_11", then
 * "approve_11_2"), unique in the process. title and detail start as "".
 * A human step gets the next step number; an IR_START node becomes p->start. */
IrNode *ir_node(IrProgram *ir, IrProc *p, IrNodeKind kind, const char *id, uint32_t line,
                uint32_t col);
IrEdge *ir_edge(IrProgram *ir, IrProc *p, IrNode *from, IrNode *to, IrEdgeKind kind,
                const char *label);
/* A COND edge tried arm-th (0, 1, ...) with a bool condition. */
IrEdge *ir_edge_cond(IrProgram *ir, IrProc *p, IrNode *from, IrNode *to, uint32_t arm,
                     IrExpr *cond, const char *label);
/* A TRY's CATCH edge, tried arm-th (0, 1, ...): the handler `to` takes the errors whose
 * code is one of codes[0 .. ncodes) (copied), or any error when ncodes is 0. */
IrEdge *ir_edge_catch(IrProgram *ir, IrProc *p, IrNode *try_node, IrNode *to, uint32_t arm,
                      const char *const *codes, uint32_t ncodes, const char *label);
/* Appends a slot; returns its index. */
uint16_t ir_slot(IrProgram *ir, IrProc *p, const char *name, const Type *type, IrSlotKind kind);
/* A parameter (a new IR_SLOT_PARAM slot); def NULL makes it required. */
IrParam *ir_param(IrProgram *ir, IrProc *p, const char *name, const Type *type, IrExpr *def);
/* A variable (a new IR_SLOT_VAR slot), set from value (NULL: the type's empty
 * value) when the process starts. */
IrInit *ir_var(IrProgram *ir, IrProc *p, const char *name, const Type *type, IrExpr *value);
/* `n` expression pointers / WHO list entries, in the arena. */
IrExpr **ir_exprs(IrProgram *ir, uint32_t n);
IrWho ir_who(IrProgram *ir, uint32_t n, IrExpr *const *who);

/* Expressions: each returns a new node typed as its name says. */
IrExpr *ir_expr_int(IrProgram *ir, int64_t v);
IrExpr *ir_expr_decimal(IrProgram *ir, int64_t unscaled, uint8_t scale);
IrExpr *ir_expr_bool(IrProgram *ir, bool v);
IrExpr *ir_expr_duration(IrProgram *ir, int64_t seconds);
IrExpr *ir_expr_string(IrProgram *ir, const char *s, uint32_t len);
IrExpr *ir_expr_text(IrProgram *ir, IrExpr **parts, uint32_t n); /* type string */
IrExpr *ir_expr_list(IrProgram *ir, const Type *list_type, IrExpr **items, uint32_t n);
IrExpr *ir_expr_slot(IrProgram *ir, const IrProc *p, uint16_t slot); /* the slot's type */
IrExpr *ir_expr_field(IrProgram *ir, const Type *type, uint16_t field);
/* A member of a step result, by name; NULL when the record has none. */
IrExpr *ir_expr_member(IrProgram *ir, IrExpr *record, const char *member);
IrExpr *ir_expr_call(IrProgram *ir, const Type *type, const char *fn, IrExpr **args, uint32_t n);
IrExpr *ir_expr_unary(IrProgram *ir, const Type *type, IrUnaryOp op, IrExpr *operand);
IrExpr *ir_expr_binary(IrProgram *ir, const Type *type, IrBinaryOp op, IrExpr *l, IrExpr *r);
IrExpr *ir_expr_cond(IrProgram *ir, IrExpr *c, IrExpr *then, IrExpr *otherwise);
IrExpr *ir_expr_as(IrProgram *ir, const Type *type, IrExpr *operand);
/* A user literal: the user with this id (len > 0 bytes of UTF-8), type user. */
IrExpr *ir_expr_user(IrProgram *ir, const char *id, uint32_t len);

/* Validates every process and computes out[]/in[], back edges (kind LOOP for
 * a FLOW one), loop heads, fork groups and join counts. Returns true when the
 * program can be compiled; otherwise ir->errors says why, one per problem.
 * docs/ir.md lists the checks. Call once, after building. */
bool ir_finish(IrProgram *ir);
/* ir_finish for one process, p's nodes and edges all made (`bpc compile` generates a
 * process's code as soon as it is finished, and builds the next one in its memory:
 * lower_program_each). The work arrays come from scratch, which the caller keeps for the
 * next call (reset here). Returns false when it added errors to ir->errors. ir_finish
 * is this for every process, after it starts ir->errors again and sets ir->finished. */
bool ir_finish_proc(IrProgram *ir, IrProc *p, Scratch *scratch);
/* A process's nodes and edges are all made: their vectors move into the arena at
 * their final size, and the tables that number the ids are freed (lowering calls it
 * after each process, ir_finish for every one). A node made in it after that could
 * repeat an id (ir_finish would refuse it). */
void ir_proc_built(IrProgram *ir, IrProc *p);
void ir_built(IrProgram *ir);
/* Writes "file:line:col: process `p`, node `id`: message" (the parts that
 * are known) into buf, like snprintf; returns the length it needed. */
size_t ir_error_text(const IrProgram *ir, const IrError *e, char *buf, size_t size);

/* ---- reading ------------------------------------------------------------- */

static inline IrNode *ir_node_at(const IrProc *p, uint32_t i) { return p->nodes.items[i]; }
static inline IrEdge *ir_edge_at(const IrProc *p, uint32_t i) { return p->edges.items[i]; }
static inline IrSlot *ir_slot_at(const IrProc *p, uint32_t i) { return p->slots.items[i]; }

const char *ir_node_kind_name(IrNodeKind k);  /* "approve" */
const char *ir_edge_kind_name(IrEdgeKind k);  /* "cond" */
/* Is it a human step (task / approve / review / request)? */
bool ir_is_human(IrNodeKind k);
/* Does a path end at a node of this kind (no FLOW edge to follow)? */
bool ir_is_terminal(IrNodeKind k);

/* A readable dump of a process, one node and its out-edges a line (tests,
 * debugging). The caller frees the string. */
char *ir_dump(const IrProc *p);

#endif
