/* bpmnw_layout.c — where the shapes and lines of an exported diagram go:
 * Graphviz's dot lays the graph out left to right (each node a fixed-size box
 * of its BPMN shape's size, lines as polylines), and the positions and routes
 * are read back through cgraph, the y axis turned to BPMN's (downwards). */
#include <stdio.h>
#include <string.h>

#include <gvc.h>

#include "bpmnw_int.h"

/* dot's time grows fast with the graph (docs/limits.md measured 1,000 `if`s
 * at 124 s, 60 nested parallels at 5 to 11 s): beyond the bounds `bpc render`
 * lays out, a grid is drawn instead. */
enum { MAX_NODES = 500, MAX_EDGES = 800, MAX_CLUSTER_DEPTH = 24 };

/* Within the bounds above? */
static bool small_enough(Arena *a, const BwBox *boxes, uint32_t nboxes, uint32_t nlines) {
  uint32_t used = 0;
  for (uint32_t i = 0; i < nboxes; i++) used += boxes[i].used;
  if (used > MAX_NODES || nlines > MAX_EDGES) return false;
  uint32_t *depth = arena_alloc(a, (nboxes + 1) * sizeof *depth);
  for (uint32_t i = 0; i < nboxes; i++) { /* a group comes before what it holds */
    int32_t c = boxes[i].cluster;
    depth[i] = c >= 0 && (uint32_t)c < i ? depth[c] + 1 : 0;
    if (depth[i] > MAX_CLUSTER_DEPTH) return false;
  }
  return true;
}
static const double MARGIN = 40;

static char *mut(const char *s) { return (char *)s; }

static void set(void *obj, const char *name, const char *value) {
  agsafeset(obj, mut(name), mut(value), mut(""));
}

/* Boxes in rows of ten, lines straight from centre to centre. */
static void grid(Arena *a, BwBox *boxes, uint32_t nboxes, BwLine *lines, uint32_t nlines) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < nboxes; i++) {
    if (!boxes[i].used) continue;
    boxes[i].x = MARGIN + (k % 10) * 160 + (100 - boxes[i].w) / 2;
    boxes[i].y = MARGIN + (k / 10) * 140 + (80 - boxes[i].h) / 2;
    k++;
  }
  for (uint32_t i = 0; i < nlines; i++) {
    const BwBox *f = &boxes[lines[i].from], *t = &boxes[lines[i].to];
    lines[i].pts = arena_alloc(a, 4 * sizeof *lines[i].pts);
    lines[i].pts[0] = f->x + f->w / 2, lines[i].pts[1] = f->y + f->h / 2;
    lines[i].pts[2] = t->x + t->w / 2, lines[i].pts[3] = t->y + t->h / 2;
    lines[i].npts = 2;
  }
}

static double dist2(double x, double y, const BwBox *b) {
  double cx = b->x + b->w / 2, cy = b->y + b->h / 2;
  return (x - cx) * (x - cx) + (y - cy) * (y - cy);
}

/* The route of one laid-out edge: the polyline's corners (every third point
 * of its Bézier form), from the tail's side to the head's. */
static void route(Arena *a, Agedge_t *e, double top, BwLine *l, const BwBox *boxes) {
  if (!ED_spl(e) || ED_spl(e)->size < 1) return;
  bezier bz = ED_spl(e)->list[0];
  uint32_t n = (uint32_t)(bz.size + 2) / 3 + 2, k = 0;
  double *pts = arena_alloc(a, 2 * n * sizeof *pts);
  if (bz.sflag) pts[k++] = bz.sp.x, pts[k++] = bz.sp.y;
  for (int i = 0; i < bz.size; i += 3) pts[k++] = bz.list[i].x, pts[k++] = bz.list[i].y;
  if (bz.size > 0 && (bz.size - 1) % 3) pts[k++] = bz.list[bz.size - 1].x, pts[k++] = bz.list[bz.size - 1].y;
  if (bz.eflag) pts[k++] = bz.ep.x, pts[k++] = bz.ep.y;
  for (uint32_t i = 1; i < k; i += 2) pts[i] = top - pts[i] + MARGIN;
  for (uint32_t i = 0; i < k; i += 2) pts[i] += MARGIN;
  /* a back edge may come out head first */
  if (k >= 4 && dist2(pts[0], pts[1], &boxes[l->from]) > dist2(pts[0], pts[1], &boxes[l->to]))
    for (uint32_t i = 0, j = k - 2; i < j; i += 2, j -= 2) {
      double x = pts[i], y = pts[i + 1];
      pts[i] = pts[j], pts[i + 1] = pts[j + 1];
      pts[j] = x, pts[j + 1] = y;
    }
  l->pts = pts;
  l->npts = k / 2;
}

/* The Graphviz cluster of group i (made on first use, inside its own group's). */
static Agraph_t *cluster_graph(Agraph_t *g, Agraph_t **subs, const BwBox *boxes, int32_t i) {
  if (i < 0) return g;
  if (!subs[i]) {
    char name[32];
    snprintf(name, sizeof name, "cluster_%d", (int)i);
    int32_t outer = boxes[i].cluster < i ? boxes[i].cluster : -1; /* a group holds only later boxes */
    subs[i] = agsubg(cluster_graph(g, subs, boxes, outer), name, 1);
    set(subs[i], "margin", "18"); /* points: room for the group's border around its members */
  }
  return subs[i];
}

void bpmnw_layout(Arena *a, BwBox *boxes, uint32_t nboxes, BwLine *lines, uint32_t nlines) {
  if (!small_enough(a, boxes, nboxes, nlines)) {
    grid(a, boxes, nboxes, lines, nlines);
    return;
  }
  agseterr(AGERR);
  Agraph_t *g = agopen(mut("export"), Agdirected, NULL);
  agattr(g, AGRAPH, mut("rankdir"), mut("LR"));
  agattr(g, AGRAPH, mut("splines"), mut("polyline"));
  agattr(g, AGRAPH, mut("nodesep"), mut("0.5"));
  agattr(g, AGRAPH, mut("ranksep"), mut("0.6"));
  agattr(g, AGNODE, mut("shape"), mut("box"));
  agattr(g, AGNODE, mut("fixedsize"), mut("true"));
  agattr(g, AGNODE, mut("label"), mut(""));
  agattr(g, AGEDGE, mut("arrowhead"), mut("none"));
  Agnode_t **gv = arena_alloc(a, (nboxes + 1) * sizeof *gv);
  Agraph_t **subs = arena_alloc(a, (nboxes + 1) * sizeof *subs);
  memset(subs, 0, (nboxes + 1) * sizeof *subs);
  char name[32];
  for (uint32_t i = 0; i < nboxes; i++) {
    gv[i] = NULL;
    if (!boxes[i].used) continue;
    snprintf(name, sizeof name, "n%u", (unsigned)i);
    int32_t c = boxes[i].cluster >= 0 && (uint32_t)boxes[i].cluster < i ? boxes[i].cluster : -1;
    gv[i] = agnode(cluster_graph(g, subs, boxes, c), name, 1);
    if (boxes[i].outline) set(gv[i], "shape", boxes[i].outline);
    snprintf(name, sizeof name, "%.4f", boxes[i].w / 72);
    set(gv[i], "width", name);
    snprintf(name, sizeof name, "%.4f", boxes[i].h / 72);
    set(gv[i], "height", name);
  }
  Agedge_t **ge = arena_alloc(a, (nlines + 1) * sizeof *ge);
  for (uint32_t i = 0; i < nlines; i++) {
    ge[i] = NULL;
    if (!gv[lines[i].from] || !gv[lines[i].to]) continue;
    snprintf(name, sizeof name, "e%u", (unsigned)i);
    ge[i] = agedge(g, gv[lines[i].from], gv[lines[i].to], name, 1);
  }
  GVC_t *gvc = gvContext();
  if (!gvc || gvLayout(gvc, g, "dot") != 0) {
    if (gvc) gvFreeContext(gvc);
    agclose(g);
    grid(a, boxes, nboxes, lines, nlines);
    return;
  }
  double top = GD_bb(g).UR.y;
  for (uint32_t i = 0; i < nboxes; i++) {
    if (!gv[i]) continue;
    boxes[i].x = ND_coord(gv[i]).x - boxes[i].w / 2 + MARGIN;
    boxes[i].y = top - ND_coord(gv[i]).y - boxes[i].h / 2 + MARGIN;
  }
  for (uint32_t i = 0; i < nlines; i++) {
    if (ge[i]) route(a, ge[i], top, &lines[i], boxes);
    if (!lines[i].pts) { /* not routed: straight, centre to centre */
      const BwBox *f = &boxes[lines[i].from], *t = &boxes[lines[i].to];
      lines[i].pts = arena_alloc(a, 4 * sizeof *lines[i].pts);
      lines[i].pts[0] = f->x + f->w / 2, lines[i].pts[1] = f->y + f->h / 2;
      lines[i].pts[2] = t->x + t->w / 2, lines[i].pts[3] = t->y + t->h / 2;
      lines[i].npts = 2;
    }
  }
  gvFreeLayout(gvc, g);
  gvFreeContext(gvc);
  agclose(g);
}
