/* bpmnw_int.h — what the files of the BPMN writer share: the readable text of
 * an expression (bpmnw_expr.c) and the layout (bpmnw_layout.c). */
#ifndef BPC_BPMNW_INT_H
#define BPC_BPMNW_INT_H

#include "bpmnw.h"
#include "util.h"

/* The expression as a person reads it, in the `${...}` style of JUEL where
 * the two agree (`review.approved`, `not (x == 'a')`, `trim(city)`). For
 * people and other tools only: bpc reads the exact form in bpc:ir. */
void bpmnw_expr(StrBuf *b, const IrProgram *ir, const IrProc *p, const IrExpr *e);
/* The same without `${}`, parenthesised unless it is a single term. */
void bpmnw_expr_bare(StrBuf *b, const IrProgram *ir, const IrProc *p, const IrExpr *e);
/* An ISO 8601 duration: 90061 -> "P1DT1H1M1S", 0 -> "PT0S". */
void bpmnw_iso_duration(StrBuf *b, int64_t seconds);

/* A box to place (its size in, its top-left corner out) and a line between two
 * of them (its waypoints out, in BPMN coordinates: y grows downwards). */
typedef struct BwBox {
  double w, h;
  double x, y;
  bool used; /* false: not drawn (not placed) */
  const char *outline; /* Graphviz's shape, where lines end: "box", "circle", "diamond" */
  int32_t cluster;     /* the box (a group, not placed itself) it is drawn inside, or -1;
                          a group comes before what it holds */
} BwBox;

typedef struct BwLine {
  uint32_t from, to;
  double *pts; /* x0, y0, x1, y1, ... in the arena */
  uint32_t npts;
} BwLine;

/* Places the boxes with Graphviz's dot (left to right) and routes the lines;
 * when Graphviz cannot (or the graph is larger than it lays out quickly),
 * a plain grid with straight lines. */
void bpmnw_layout(Arena *a, BwBox *boxes, uint32_t nboxes, BwLine *lines, uint32_t nlines);

#endif
