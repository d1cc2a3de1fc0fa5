/* diagram.h — the neutral graph a process diagram is drawn from.
 *
 * Two sources fill it: the graph IR (a `.bp` file today, a BPMN model later)
 * and the GRAPH section of a verified bundle. Both give the same Diagram for
 * the same program, so dot.c draws it once and trace.c marks an instance's
 * path on it without knowing where it came from. Everything, strings too,
 * lives in the Diagram's arena: it outlives the IR or bundle it was read from.
 *
 *   IrProgram --dg_from_ir-->     \
 *                                  Diagram --dot.c--> cgraph --> DOT, SVG, PNG, PDF
 *   BptBundle --dg_from_bundle--> /
 *
 * The bundle's node kinds are coarser than the IR's: a goto, the end of a
 * handler and "rest in this state" are all BPT_N_END there. dg_from_bundle
 * tells them apart by their place in the graph (see refine_ends in
 * diagram.c); dg_from_ir knows them. */
#ifndef BPC_DIAGRAM_H
#define BPC_DIAGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "bpt.h"
#include "ir.h"
#include "util.h"

/* The bundle's node kinds, plus the three it folds into BPT_N_END. */
typedef enum DgKind {
  DG_START = BPT_N_START, DG_END = BPT_N_END, DG_TERMINATE = BPT_N_TERMINATE,
  DG_TASK = BPT_N_TASK, DG_APPROVE = BPT_N_APPROVE, DG_REVIEW = BPT_N_REVIEW,
  DG_REQUEST = BPT_N_REQUEST,
  DG_ACTION = BPT_N_ACTION, DG_NOTIFY = BPT_N_NOTIFY, DG_LOG = BPT_N_LOG,
  DG_ASSIGN = BPT_N_ASSIGN, DG_START_PROCESS = BPT_N_START_PROCESS,
  DG_TIMER = BPT_N_TIMER,
  DG_CHOICE = BPT_N_CHOICE, DG_MERGE = BPT_N_MERGE,
  DG_FORK = BPT_N_FORK, DG_JOIN = BPT_N_JOIN,
  DG_RACE = BPT_N_RACE, DG_RACE_JOIN = BPT_N_RACE_JOIN,
  DG_EVENT_WAIT = BPT_N_EVENT_WAIT,
  DG_STATE = BPT_N_STATE,
  DG_BRANCH = BPT_N_BRANCH, /* a cluster, never drawn as a node */
  DG_GOTO = BPT_N_KIND_COUNT, /* leaves for a state: one GOTO edge */
  DG_HANDLER_END,           /* a remind / on-timeout handler is done */
  DG_IDLE,                  /* an enter block or command body is done; not drawn */
  DG_KIND_COUNT
} DgKind;

/* Trace marks (trace.c): a node named in the journal, or one the instance
 * must have passed between two of those (a gateway, a merge). */
enum { DG_UNMARKED = 0, DG_PASSED = 1, DG_VISITED = 2 };

typedef struct DgNode {
  DgKind kind;
  const char *id;     /* "approve_11": the journal names nodes by it */
  const char *title;  /* "Vote on {title}" */
  const char *detail; /* "approve · voters · vote 60%" */
  uint32_t line;
  int32_t cluster;    /* the BRANCH or STATE node it is drawn inside, or -1 */
  bool final;         /* DG_STATE: a final state */
  bool in_handler;    /* reached only through a TIMER edge: part of a handler */
  uint8_t mark;
} DgNode;

typedef struct DgEdge {
  uint32_t from, to;
  BptEdgeKind kind;
  const char *label;  /* a condition, "else", "remind 1d before", "submit · by author" */
  bool back;          /* closes a cycle (a loop, a command or goto to an earlier state) */
  uint8_t mark;
} DgEdge;

typedef struct DgProc {
  const char *name, *title;
  DgNode *nodes;
  uint32_t nnodes;
  DgEdge *edges;
  uint32_t nedges;
  uint32_t start;     /* the START node, or UINT32_MAX when there is none */
  /* Out-edges: edge indices out[out_first[i] .. out_first[i + 1]) of node i,
   * in edge order. */
  uint32_t *out_first, *out;
} DgProc;

typedef struct Diagram {
  Arena arena;
  DgProc *procs;
  uint32_t nprocs;
} Diagram;

/* Every process of a lowered program. */
Diagram *dg_from_ir(const IrProgram *ir);
/* Every process of a bundle that passed bpt_read and bpt_verify. An edge or
 * cluster that leaves its process's range of the GRAPH section is dropped. */
Diagram *dg_from_bundle(const BptBundle *b);
void dg_free(Diagram *d);

/* The index of the process / of the node with this id, or -1. */
int32_t dg_find_proc(const Diagram *d, const char *name);
int32_t dg_find_node(const DgProc *p, const char *id);
const char *dg_kind_name(DgKind k); /* "approve", "handler_end" */

/* text broken into lines of at most `width` characters (code points, not
 * bytes) at spaces, '\n' between lines, the lines as even as the breaking
 * allows; a word longer than a line is cut. At most max_lines lines: the
 * last one then ends with "…". */
char *dg_wrap(Arena *a, const char *text, unsigned width, unsigned max_lines);
/* The same, breaking preferably between the parts of text separated by sep
 * ("approve · voters · vote 60%" -> "approve · voters\nvote 60%"); a break
 * there drops the separator. */
char *dg_wrap_parts(Arena *a, const char *text, const char *sep, unsigned width,
                    unsigned max_lines);

#endif
