/* tobp_int.h — what the files of `bpc import` share: the graph analyses of
 * tobp_graph.c (post-dominators, natural loops) used by the structuring walk
 * of tobp.c. */
#ifndef BPC_TOBP_INT_H
#define BPC_TOBP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ir.h"

/* No post-dominator: the node reaches no end (every path from it ends in a
 * TERMINATE, or it loops for ever). */
enum { TOBP_NONE = -1 };

/* Post-dominators of one process's flows. A virtual exit, numbered
 * p->nodes.n, follows every node where a flow ends normally (END,
 * HANDLER_END, IDLE); TERMINATE does not reach it, so a path that ends the
 * instance never decides where the other paths meet. Back edges are
 * ordinary edges here: a choice whose arm loops back still meets its other
 * arms after the loop. */
typedef struct TobpGraph {
  const IrProc *p;
  uint32_t n;      /* nodes; the exit is n */
  int32_t *ipdom;  /* the immediate post-dominator (a node, n, or TOBP_NONE) */
  uint32_t *order; /* postorder number in the reversed graph (the exit's is highest) */
} TobpGraph;

/* Is e an edge of the flow (not a handler's TIMER edge, a COMMAND, a GOTO)? */
bool tobp_is_flow(const IrEdge *e);

void tobp_graph_init(TobpGraph *g, const IrProc *p);
void tobp_graph_free(TobpGraph *g);
/* The nearest common post-dominator of a and b (either may be TOBP_NONE,
 * which is ignored); TOBP_NONE when both are. */
int32_t tobp_common_pdom(const TobpGraph *g, int32_t a, int32_t b);

/* The natural loop of head: the head and every node that reaches one of its
 * back edges without passing the head, as sorted node indices (malloc'd,
 * *n of them). *entered_elsewhere is set when the START is among them: the
 * loop has a second entry and is no `.bp` loop. */
uint32_t *tobp_loop_members(const IrProc *p, const IrNode *head, uint32_t *n,
                            bool *entered_elsewhere);
bool tobp_in_members(const uint32_t *members, uint32_t n, uint32_t node);
/* For a loop entered elsewhere: the first node on a path from the START that
 * is inside the loop without passing its head (the second entry), or NULL. */
const IrNode *tobp_second_entry(const IrProc *p, const IrNode *head);

#endif
