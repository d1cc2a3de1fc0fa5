/* bpmn_map.h — what the mapping's files share (bpmn_ir.c, bpmn_cond.c). */
#ifndef BPC_BPMN_MAP_H
#define BPC_BPMN_MAP_H

#include "bpmn_int.h"
#include "bpmn_ir.h"

typedef struct BpmnMap {
  BpmnModel *m;
  IrProgram *ir;
  char why[256]; /* the reason of the last refused expression */
  PtrVec unsaid;   /* BpmnUnsaid* of the process being mapped */
} BpmnMap;

/* A value the diagram does not give (a timer without a time, a multi-instance
 * activity without a count or collection): a required start parameter of the
 * process, named after the element once every other variable is known
 * (docs/bpmn.md "What the diagram does not say"). */
typedef struct BpmnUnsaid {
  const BpmnElement *e;
  const char *suffix; /* of the name: "count", "duration", "date" */
  const Type *type;   /* int, duration, datetime */
  const char *what;   /* for the warning: "multi-instance without loopCardinality or collection: the number of instances" */
  const char *name;   /* the parameter, once named */
} BpmnUnsaid;

/* Records that e's `what` becomes a start parameter of type t (named later). */
BpmnUnsaid *bpmn_unsaid(BpmnMap *mp, const BpmnElement *e, const char *suffix, const Type *t, const char *what);

/* A process variable: its name, the type its uses gave it (NULL: none yet),
 * the first element that typed it, and its slot once made. */
typedef struct BpmnVar {
  const char *name;
  const Type *type;
  const char *elem;
  uint32_t line;
  int32_t slot;
} BpmnVar;

/* Variables of one process: more are refused (their lookups are linear). */
#define BPMN_MAX_VARS 1000

typedef struct BpmnVars {
  BpmnVar *v;
  uint32_t n, cap;
  bool full; /* BPMN_MAX_VARS reached (and reported) */
} BpmnVars;

typedef enum {
  BPMN_C_NUM, BPMN_C_STR, BPMN_C_BOOL, BPMN_C_VAR, BPMN_C_NOT, BPMN_C_EMPTY,
  BPMN_C_LOGIC, BPMN_C_CMP, BPMN_C_ARITH,
  BPMN_C_SLOT, /* a loop's counter (bpmn_loop.c): a decimal in slot `num` */
  BPMN_C_IN    /* a in b: b a list variable (a FEEL quantifier, bpmn_cond.c) */
} BpmnCondKind;

/* A parsed condition, before its variables have types. */
typedef struct BpmnCond BpmnCond;
struct BpmnCond {
  BpmnCondKind kind;
  IrBinaryOp op;
  BpmnCond *a, *b;
  const char *str; /* STR: the text; VAR: the name */
  uint32_t len;
  int64_t num;     /* NUM: unscaled; BOOL: 0/1 */
  uint8_t scale;
};

/* NULL and *why set when the text is not in the subset or in a language
 * that is never run. */
BpmnCond *bpmn_cond_parse(BpmnMap *mp, const char *text, const char *language, const char **why);
/* Types the condition's variables (errors naming elem on conflicts). */
bool bpmn_cond_type(BpmnMap *mp, BpmnVars *vs, BpmnCond *n, const char *elem, uint32_t line);
/* Records a use of variable `name` as type t (NULL: no type from this use);
 * false after an error when it had another type. */
bool bpmn_var_use(BpmnMap *mp, BpmnVars *vs, const char *name, const Type *t, const char *elem,
                  uint32_t line);
/* The IR of a typed condition; every variable has its slot. */
IrExpr *bpmn_cond_build(BpmnMap *mp, IrProc *p, const BpmnVars *vs, const BpmnCond *n);

/* ---- forms and votes of user tasks (bpmn_form.c) ----------------------------------- */

/* e's form fields (answers, not read-only ones) typed into the process's
 * variables; a task with any becomes an IR_REQUEST (n must be an IR_TASK:
 * refused on a review). False after refusing, the reasons among m's messages. */
bool bpmn_form_plan(BpmnMap *mp, BpmnVars *vs, const BpmnElement *e, IrNode *n);
/* The request's fields, once every variable has its slot. */
void bpmn_form_build(BpmnMap *mp, const BpmnVars *vs, const BpmnElement *e, IrNode *n);
/* A multi-instance completion condition that is a vote (`body`: the text
 * without blanks and ${ }): n becomes an IR_APPROVE with IR_MODE_VOTE; a
 * percentage is set at once, a count of approvals is left in *count for
 * bpmn_vote_percent (0 otherwise). False when it is no vote. */
bool bpmn_vote_condition(BpmnMap *mp, IrNode *n, const char *body, int64_t *count);
/* The percentage for `count` approvals among the users of collection `coll`. */
IrExpr *bpmn_vote_percent(BpmnMap *mp, IrProc *p, const BpmnVars *vs, const char *coll, int64_t count);

/* ---- call activities (bpmn_call.c) ---------------------------------------------- */

/* Each call activity of bp (at any depth) whose calledElement names a process
 * of the file becomes an embedded sub-process holding a copy of that process,
 * ids prefixed `CALLID/`; one naming a global task becomes that task, one naming
 * no process of the file a host action (action_name); the others are refused
 * naming the element (recursion, no calledElement, a computed one). Every
 * adHocSubProcess becomes a sub-process with `ad_hoc` set. Runs before the
 * mapping of bp. */
void bpmn_call_expand(BpmnMap *mp, BpmnProcess *bp);

/* ---- loops on activities (bpmn_loop.c) ----------------------------------------- */

typedef struct BpmnLoopPlan BpmnLoopPlan;

/* Does e's loop run its turns one after another, mapped by bpmn_loop (a
 * standard loop; a multi-instance action or sub-process; a sequential
 * multi-instance user task, or one without a collection)? A parallel
 * multi-instance user task over a collection is a review instead. */
bool bpmn_loop_in_turn(const BpmnElement *e);
/* The plan of e's loop: its count or collection and its condition, parsed
 * and typed with the process's variables. NULL when e has no such loop, or
 * after refusing it (*refused set, the reason among m's messages). */
BpmnLoopPlan *bpmn_loop_plan(BpmnMap *mp, BpmnVars *vs, const BpmnElement *e, bool *refused);
/* Builds the loop around the activity's nodes, from entry to exit, once
 * every variable has its slot and the flows into entry and out of exit are
 * made: those flows then enter and leave the loop. A human step over a
 * collection (`step`, else NULL) gets each turn's user as its assignee. */
void bpmn_loop_wrap(BpmnMap *mp, IrProc *p, const BpmnVars *vs, BpmnLoopPlan *pl, IrNode *entry, IrNode *exit,
                    IrNode *step);

#endif
