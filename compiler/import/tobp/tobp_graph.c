/* tobp_graph.c — post-dominators and natural loops of a process's flow graph,
 * for the structuring walk (tobp.c).
 *
 * Post-dominators are computed with the iterative algorithm of Cooper, Harvey
 * and Kennedy ("A Simple, Fast Dominance Algorithm") on the reversed graph,
 * from a virtual exit. Every walk here keeps its own stack, so a long chain of
 * nodes cannot exhaust the C stack. */
#include "tobp_int.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

bool tobp_is_flow(const IrEdge *e) {
  return e->kind == IR_E_FLOW || e->kind == IR_E_COND || e->kind == IR_E_ELSE ||
         e->kind == IR_E_LOOP || e->kind == IR_E_CATCH;
}

/* A flow ends here normally and goes on to the virtual exit. */
static bool ends_flow(const IrNode *n) {
  return n->kind == IR_END || n->kind == IR_HANDLER_END || n->kind == IR_IDLE ||
         n->kind == IR_GOTO;
}

/* Postorder of the reversed graph from the exit: a depth-first walk over
 * in-edges. The exit's predecessors are the nodes that end a flow. */
static uint32_t reverse_postorder(TobpGraph *g, uint32_t *post) {
  const IrProc *p = g->p;
  uint32_t n = g->n, count = 0;
  uint32_t *stack = xmalloc((n + 1) * sizeof *stack);
  uint32_t *next = xcalloc(n + 1, sizeof *next); /* the next in-edge to try */
  bool *seen = xcalloc(n + 1, sizeof *seen);
  uint32_t top = 0;
  stack[top++] = n;
  seen[n] = true;
  while (top) {
    uint32_t v = stack[top - 1];
    int32_t pred = -1;
    if (v == n) {
      while (next[v] < n && pred < 0) {
        uint32_t u = next[v]++;
        if (ends_flow(ir_node_at(p, u)) && !seen[u]) pred = (int32_t)u;
      }
    } else {
      const IrNode *node = ir_node_at(p, v);
      while (next[v] < node->nin && pred < 0) {
        const IrEdge *e = ir_edge_at(p, node->in[next[v]++]);
        if (tobp_is_flow(e) && !seen[e->from->index]) pred = (int32_t)e->from->index;
      }
    }
    if (pred >= 0) {
      seen[pred] = true;
      stack[top++] = (uint32_t)pred;
    } else {
      post[count++] = v;
      g->order[v] = count;
      top--;
    }
  }
  free(stack);
  free(next);
  free(seen);
  return count;
}

static int32_t intersect(const TobpGraph *g, int32_t a, int32_t b) {
  while (a != b) {
    while (g->order[a] < g->order[b]) a = g->ipdom[a];
    while (g->order[b] < g->order[a]) b = g->ipdom[b];
  }
  return a;
}

int32_t tobp_common_pdom(const TobpGraph *g, int32_t a, int32_t b) {
  if (a == TOBP_NONE || g->ipdom[a] == TOBP_NONE) return b == TOBP_NONE || g->ipdom[b] == TOBP_NONE ? TOBP_NONE : b;
  if (b == TOBP_NONE || g->ipdom[b] == TOBP_NONE) return a;
  return intersect(g, a, b);
}

void tobp_graph_init(TobpGraph *g, const IrProc *p) {
  g->p = p;
  g->n = p->nodes.n;
  uint32_t n = g->n;
  g->ipdom = xmalloc((n + 1) * sizeof *g->ipdom);
  g->order = xcalloc(n + 1, sizeof *g->order);
  for (uint32_t i = 0; i <= n; i++) g->ipdom[i] = TOBP_NONE;
  uint32_t *post = xmalloc((n + 1) * sizeof *post);
  uint32_t count = reverse_postorder(g, post);
  g->ipdom[n] = (int32_t)n;
  for (bool changed = true; changed;) {
    changed = false;
    for (uint32_t k = count - 1; k-- > 0;) { /* reverse postorder, the exit skipped */
      uint32_t v = post[k];
      const IrNode *node = ir_node_at(p, v);
      int32_t best = ends_flow(node) ? (int32_t)n : TOBP_NONE;
      for (uint32_t i = 0; i < node->nout; i++) {
        const IrEdge *e = ir_edge_at(p, node->out[i]);
        if (!tobp_is_flow(e)) continue;
        int32_t s = (int32_t)e->to->index;
        if (g->ipdom[s] == TOBP_NONE) continue; /* not processed yet, or no way out */
        best = best == TOBP_NONE ? s : intersect(g, s, best);
      }
      if (best != TOBP_NONE && g->ipdom[v] != best) {
        g->ipdom[v] = best;
        changed = true;
      }
    }
  }
  free(post);
}

void tobp_graph_free(TobpGraph *g) {
  free(g->ipdom);
  free(g->order);
  g->ipdom = NULL;
  g->order = NULL;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

uint32_t *tobp_loop_members(const IrProc *p, const IrNode *head, uint32_t *n,
                            bool *entered_elsewhere) {
  uint32_t total = p->nodes.n, count = 0;
  bool *in = xcalloc(total, sizeof *in);
  uint32_t *stack = xmalloc(total * sizeof *stack);
  uint32_t *members = xmalloc(total * sizeof *members);
  uint32_t top = 0;
  in[head->index] = true;
  members[count++] = head->index;
  for (uint32_t i = 0; i < head->nin; i++) {
    const IrEdge *e = ir_edge_at(p, head->in[i]);
    if (!(e->flags & IR_EDGE_BACK) || in[e->from->index]) continue;
    in[e->from->index] = true;
    members[count++] = e->from->index;
    stack[top++] = e->from->index;
  }
  *entered_elsewhere = false;
  while (top) {
    const IrNode *v = ir_node_at(p, stack[--top]);
    if (v == p->start) *entered_elsewhere = true;
    for (uint32_t i = 0; i < v->nin; i++) {
      const IrEdge *e = ir_edge_at(p, v->in[i]);
      if (!tobp_is_flow(e) || in[e->from->index]) continue;
      in[e->from->index] = true;
      members[count++] = e->from->index;
      stack[top++] = e->from->index;
    }
  }
  free(in);
  free(stack);
  qsort(members, count, sizeof *members, cmp_u32);
  *n = count;
  return members;
}

bool tobp_in_members(const uint32_t *members, uint32_t n, uint32_t node) {
  return bsearch(&node, members, n, sizeof *members, cmp_u32) != NULL;
}

/* Nodes reachable from `from` over flow edges, not passing `avoid` (NULL:
 * none); a bool per node, malloc'd. */
static bool *reachable(const IrProc *p, const IrNode *from, const IrNode *avoid) {
  uint32_t total = p->nodes.n, top = 0;
  bool *seen = xcalloc(total, sizeof *seen);
  uint32_t *stack = xmalloc(total * sizeof *stack);
  seen[from->index] = true;
  stack[top++] = from->index;
  while (top) {
    const IrNode *v = ir_node_at(p, stack[--top]);
    for (uint32_t i = 0; i < v->nout; i++) {
      const IrEdge *e = ir_edge_at(p, v->out[i]);
      if (!tobp_is_flow(e) || seen[e->to->index] || e->to == avoid) continue;
      seen[e->to->index] = true;
      stack[top++] = e->to->index;
    }
  }
  free(stack);
  return seen;
}

const IrNode *tobp_second_entry(const IrProc *p, const IrNode *head) {
  bool *from_head = reachable(p, head, NULL);
  bool *from_start = reachable(p, p->start, head);
  /* the first such node in a breadth-first order from the START */
  uint32_t total = p->nodes.n, lo = 0, hi = 0;
  uint32_t *queue = xmalloc(total * sizeof *queue);
  bool *queued = xcalloc(total, sizeof *queued);
  const IrNode *found = NULL;
  queue[hi++] = p->start->index;
  queued[p->start->index] = true;
  while (lo < hi && !found) {
    const IrNode *v = ir_node_at(p, queue[lo++]);
    if (v != head && from_head[v->index] && from_start[v->index]) {
      found = v;
      break;
    }
    for (uint32_t i = 0; i < v->nout; i++) {
      const IrEdge *e = ir_edge_at(p, v->out[i]);
      if (!tobp_is_flow(e) || queued[e->to->index] || e->to == head) continue;
      queued[e->to->index] = true;
      queue[hi++] = e->to->index;
    }
  }
  free(queue);
  free(queued);
  free(from_head);
  free(from_start);
  return found;
}
