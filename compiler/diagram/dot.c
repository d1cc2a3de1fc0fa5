/* dot.c — a Diagram becomes a Graphviz graph (cgraph), written as DOT or laid
 * out and drawn by gvc. The only file of bpc that includes Graphviz.
 *
 * The visual language (docs/diagrams.md), close to BPMN: start, end and
 * terminate are circles (end bold, terminate filled); human steps rounded
 * boxes saying what they are, who and the rule; actions plain boxes; choices
 * and merges empty diamonds with the conditions on their edges; parallel
 * split and join diamonds with "+", first-wins races doubled diamonds with
 * "1"; timers double circles; remind / timeout handlers hang off their step
 * by dashed edges; loops close with back edges laid out as if they pointed
 * forward, so the flow reads top-down; states rounded boxes (final ones with a
 * double border) joined by command edges. Parallel branches and the bodies of
 * states are clusters; a terminate's reason is a note beside it.
 *
 * Every label is an HTML-like label, built here with its text escaped; see
 * html_text. Each node and edge carries a `class` (its kind, plus
 * "visited"/"passed" for a trace) that SVG keeps and the tests count. */
#include "dot.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gvc.h>

#include "out.h"

/* cgraph 2.x takes `char *` for names and values it only reads. */
static char *mut(const char *s) { return (char *)s; }

enum { TITLE_WIDTH = 24, TITLE_LINES = 5, DETAIL_WIDTH = 32, DETAIL_LINES = 3,
       EDGE_WIDTH = 24, EDGE_LINES = 4 };

#define FONT "DejaVu Sans,Helvetica,Arial,sans-serif"
#define INK "#333333"
#define GREY "#5f6368"
#define TRACE_INK "#c2410c"
#define TRACE_FILL "#ffd98e"

/* ---- escaping ------------------------------------------------------------------ */

/* Text for an HTML-like label: the markup characters as entities, a backslash
 * doubled (Graphviz expands \N, \G, \n... even inside HTML labels, after the
 * entities are decoded, so an entity would not protect it), control
 * characters as spaces, and the line breaks of wrapping as <BR/>. UTF-8 passes
 * through: cgraph's default charset is UTF-8. */
static void html_text(StrBuf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': sb_puts(b, "&amp;"); break;
    case '<': sb_puts(b, "&lt;"); break;
    case '>': sb_puts(b, "&gt;"); break;
    case '"': sb_puts(b, "&quot;"); break;
    case '\\': sb_puts(b, "\\\\"); break;
    case '\n': sb_puts(b, "<BR/>"); break;
    default: sb_putc(b, (unsigned char)*s < 0x20 ? ' ' : *s);
    }
  }
}

/* A plain attribute value (a tooltip): a backslash doubled, control
 * characters as spaces. agwrite quotes it and escapes its quotes. */
static char *plain_text(Arena *a, const char *s) {
  StrBuf b;
  sb_init(&b);
  for (; *s; s++) {
    if (*s == '\\') sb_puts(&b, "\\\\");
    else sb_putc(&b, (unsigned char)*s < 0x20 ? ' ' : *s);
  }
  char *r = arena_strdup(a, b.data ? b.data : "");
  sb_free(&b);
  return r;
}

/* ---- the graph being built -------------------------------------------------------- */

typedef struct Draw {
  const Diagram *d;
  Arena tmp;             /* label text, names */
  Agraph_t *root;
  bool several;          /* more than one process: names get the process's prefix */
  /* per process being drawn */
  const DgProc *p;
  Agraph_t *top;         /* the process's graph: root, or its cluster */
  Agraph_t **clusters;   /* by node index: the cluster that node opens, or NULL */
  bool *opens_cluster;
  Agnode_t **gv;         /* by node index: the drawn node, or NULL */
} Draw;

static void set(void *obj, const char *name, const char *value) {
  agsafeset(obj, mut(name), mut(value), mut(""));
}

/* An HTML-like label. cgraph finds strings by their text, whatever their
 * kind, so a plain value with the same text would be taken as HTML (and the
 * other way round); no plain value set here starts with '<', and every HTML
 * label does (html_label wraps it in a FONT element). */
static void set_html(Draw *w, void *obj, const char *name, const char *html) {
  char *s = agstrdup_html(w->root, mut(html));
  agsafeset(obj, mut(name), s, mut(""));
  agstrfree(w->root, s);
}

/* <FONT>title</FONT> with an optional smaller, grey second part. */
static void html_label(Draw *w, void *obj, const char *title, const char *small, bool bold) {
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, "<FONT>");
  if (bold) sb_puts(&b, "<B>");
  html_text(&b, title);
  if (bold) sb_puts(&b, "</B>");
  if (small && *small) {
    if (*title) sb_puts(&b, "<BR/>");
    sb_printf(&b, "<FONT POINT-SIZE=\"9\" COLOR=\"%s\">", GREY);
    html_text(&b, small);
    sb_puts(&b, "</FONT>");
  }
  sb_puts(&b, "</FONT>");
  set_html(w, obj, "label", b.data);
  sb_free(&b);
}

static const char *wrap(Draw *w, const char *s, unsigned width, unsigned lines) {
  return dg_wrap(&w->tmp, s, width, lines);
}

/* ---- nodes ----------------------------------------------------------------------------- */

typedef struct Look {
  const char *shape, *style, *fill, *ink;
  const char *size;  /* fixed width and height in inches, or NULL: fit the label */
  const char *penwidth;
} Look;

static Look look_of(const DgNode *n) {
  switch (n->kind) {
  case DG_START: return (Look){"circle", "filled", "#e6f4ea", "#1e7b34", "0.32", "1.5"};
  case DG_END: return (Look){"circle", "filled", "#fce8e6", "#a50e0e", "0.32", "3.5"};
  case DG_TERMINATE: return (Look){"circle", "filled", "#a50e0e", "#5c0707", "0.32", "3.5"};
  case DG_HANDLER_END: return (Look){"circle", "filled", "#ffffff", "#a50e0e", "0.2", "1.5"};
  case DG_TASK: return (Look){"box", "rounded,filled", "#e8f0fe", "#1a4d8f", NULL, "1.3"};
  case DG_APPROVE: return (Look){"box", "rounded,filled", "#e6f4ea", "#1e6b34", NULL, "1.3"};
  case DG_REVIEW: return (Look){"box", "rounded,filled", "#f3e8fd", "#5b2a86", NULL, "1.3"};
  case DG_REQUEST: return (Look){"box", "rounded,filled", "#fef3e0", "#8a5300", NULL, "1.3"};
  case DG_NOTIFY: return (Look){"box", "filled", "#fffbe6", "#6d5200", NULL, "1"};
  case DG_ACTION:
  case DG_START_PROCESS: return (Look){"box", "filled", "#eceff1", "#37474f", NULL, "1"};
  case DG_LOG:
  case DG_ASSIGN: return (Look){"box", "filled", "#fafafa", "#616161", NULL, "1"};
  case DG_TIMER: return (Look){"doublecircle", "filled", "#fffbe6", "#8a5300", NULL, "1.2"};
  case DG_CHOICE:
  case DG_MERGE: return (Look){"diamond", "filled", "#fffde7", "#8a6d00", "0.42", "1.2"};
  case DG_FORK:
  case DG_JOIN: return (Look){"diamond", "filled", "#fffde7", "#8a6d00", "0.46", "1.2"};
  case DG_RACE:
  case DG_RACE_JOIN: return (Look){"diamond", "filled", "#fff0e0", "#a04b00", "0.46", "1.2"};
  case DG_EVENT_WAIT: return (Look){"Mdiamond", "filled", "#fffde7", "#8a6d00", "0.5", "1.2"};
  case DG_STATE: return (Look){"box", "rounded,filled", "#e3ecf7", "#1f3b63", NULL, "1.5"};
  case DG_GOTO: return (Look){"cds", "filled", "#e3ecf7", "#1f3b63", NULL, "1"};
  default: return (Look){"box", "filled", "#ffffff", INK, NULL, "1"};
  }
}

/* The marker inside a gateway. */
static const char *gateway_mark(DgKind k) {
  switch (k) {
  case DG_FORK:
  case DG_JOIN: return "+";
  case DG_RACE:
  case DG_RACE_JOIN: return "1";
  default: return "";
  }
}

/* Lines of text wrapped at width. */
static unsigned line_count(const char *wrapped) {
  unsigned n = 1;
  for (; *wrapped; wrapped++) n += *wrapped == '\n';
  return n;
}

/* Sets the node's label; returns the text of a note to attach beside it (a
 * terminate's reason, a timer too long to fit its circle), or NULL. */
static const char *node_label(Draw *w, Agnode_t *g, const DgNode *n) {
  switch (n->kind) {
  case DG_START:
  case DG_END:
  case DG_HANDLER_END:
    set(g, "label", "");
    return NULL;
  case DG_TERMINATE:
    set(g, "label", "");
    return *n->title && strcmp(n->title, "terminate") != 0 ? n->title : NULL;
  case DG_CHOICE:
  case DG_MERGE:
  case DG_FORK:
  case DG_JOIN:
  case DG_RACE:
  case DG_RACE_JOIN:
  case DG_EVENT_WAIT: {
    const char *mark = gateway_mark(n->kind);
    if (*mark) {
      char html[64];
      snprintf(html, sizeof html, "<FONT POINT-SIZE=\"14\"><B>%s</B></FONT>", mark);
      set_html(w, g, "label", html);
    } else {
      set(g, "label", "");
    }
    return NULL;
  }
  case DG_TIMER: {
    /* the double circle says "wait"; what for goes inside when it is short */
    const char *what = strncmp(n->title, "wait ", 5) == 0 ? n->title + 5 : n->title;
    const char *inside = wrap(w, what, 12, 99);
    if (line_count(inside) > 2) {
      set(g, "label", "");
      set(g, "fixedsize", "true");
      set(g, "width", "0.34");
      set(g, "height", "0.34");
      return n->title;
    }
    html_label(w, g, inside, NULL, false);
    set(g, "fontsize", "9");
    return NULL;
  }
  case DG_STATE: {
    const char *name = strchr(n->detail, ' ') ? strrchr(n->detail, ' ') + 1 : "";
    html_label(w, g, wrap(w, n->title, TITLE_WIDTH, TITLE_LINES),
               strcmp(name, n->title) != 0 ? name : NULL, true);
    return NULL;
  }
  default: {
    const char *detail = dg_wrap_parts(&w->tmp, n->detail, " · ", DETAIL_WIDTH, DETAIL_LINES);
    /* an assignment's and a goto's detail is only their kind, which their
     * text says already (a log's is kept: its text alone reads as a step) */
    if ((n->kind == DG_ASSIGN || n->kind == DG_GOTO) && !strstr(n->detail, " · ")) /* but a Bitrix step's text */
      detail = NULL;
    html_label(w, g, wrap(w, n->title, TITLE_WIDTH, TITLE_LINES), detail, false);
    return NULL;
  }
  }
}

/* A text annotation (BPMN's), joined to its node by a dotted line. */
static void add_note(Draw *w, Agraph_t *sub, Agnode_t *of, const char *text) {
  Agnode_t *note = agnode(sub, mut(arena_printf(&w->tmp, "%s.note", agnameof(of))), 1);
  set(note, "shape", "note");
  set(note, "style", "filled");
  set(note, "fillcolor", "#ffffff");
  set(note, "color", "#9e9e9e");
  set(note, "fontsize", "10");
  set(note, "class", "note");
  html_label(w, note, wrap(w, text, TITLE_WIDTH, TITLE_LINES), NULL, false);
  Agedge_t *e = agedge(sub, of, note, NULL, 1);
  set(e, "style", "dotted");
  set(e, "arrowhead", "none");
  set(e, "color", "#9e9e9e");
  set(e, "class", "note");
}

static bool has_timer_edge(const DgProc *p, const DgNode *n) {
  uint32_t i = (uint32_t)(n - p->nodes);
  for (uint32_t j = p->out_first[i]; j < p->out_first[i + 1]; j++)
    if (p->edges[p->out[j]].kind == BPT_E_TIMER) return true;
  return false;
}

static const char *mark_class(uint8_t mark) {
  return mark == DG_VISITED ? " visited" : mark == DG_PASSED ? " passed" : "";
}

static const char *style_node(Draw *w, Agnode_t *g, const DgNode *n) {
  Look l = look_of(n);
  set(g, "shape", l.shape);
  set(g, "style", l.style);
  set(g, "fillcolor", l.fill);
  set(g, "color", l.ink);
  set(g, "penwidth", l.penwidth);
  if (l.size) {
    set(g, "fixedsize", "true");
    set(g, "width", l.size);
    set(g, "height", l.size);
  }
  if (n->kind == DG_RACE || n->kind == DG_RACE_JOIN || (n->kind == DG_STATE && n->final))
    set(g, "peripheries", "2");
  if (n->kind == DG_STATE) set(g, "margin", "0.15,0.07");
  /* a step's handlers (whose edges come last) to the right of the flow, and
   * branches in their order (dot keeps that only outside clusters). Only on
   * these nodes: on every node it would fight the reversed back edges. */
  if (n->kind == DG_FORK || n->kind == DG_RACE || has_timer_edge(w->p, n)) set(g, "ordering", "out");
  const char *note = node_label(w, g, n);
  const char *detail = *n->detail ? n->detail : dg_kind_name(n->kind);
  set(g, "tooltip", plain_text(&w->tmp, arena_printf(&w->tmp, "%s · %s", n->id, detail)));
  char *cls = arena_printf(&w->tmp, "%s%s%s", dg_kind_name(n->kind),
                           n->kind == DG_STATE && n->final ? " final" : "", mark_class(n->mark));
  set(g, "class", cls);
  if (n->mark == DG_VISITED) {
    set(g, "fillcolor", TRACE_FILL);
    set(g, "color", TRACE_INK);
    set(g, "penwidth", "3");
  } else if (n->mark == DG_PASSED) {
    set(g, "color", TRACE_INK);
    set(g, "penwidth", "2.5");
  }
  return note;
}

/* Nodes that are not drawn: a branch is a cluster, and resting in a state
 * after its enter block says nothing the state does not. */
static bool drawn(const DgNode *n) { return n->kind != DG_BRANCH && n->kind != DG_IDLE; }

/* ---- clusters ---------------------------------------------------------------------------- */

/* A BPMN lane or pool (a BRANCH cluster the importer made: docs/diagrams.md) is
 * drawn as modelers draw it: a plain rectangle, the pool's name in bold. */
static bool lane_or_pool(const DgNode *n, bool *pool) {
  *pool = strncmp(n->detail, "pool · ", strlen("pool · ")) == 0;
  return n->kind == DG_BRANCH && (*pool || strncmp(n->detail, "lane · ", strlen("lane · ")) == 0);
}

static void style_cluster(Draw *w, Agraph_t *c, const DgNode *owner) {
  bool pool, lane = lane_or_pool(owner, &pool);
  set(c, "style", owner->kind == DG_STATE ? "rounded,filled" : lane ? "solid" : "rounded,dashed");
  set(c, "fillcolor", owner->kind == DG_STATE ? "#f5f8fc" : "#ffffff");
  set(c, "color", owner->kind == DG_STATE ? "#b8c7db" : "#9aa5b1");
  set(c, "penwidth", "1");
  set(c, "margin", "10");
  set(c, "labeljust", "l");
  if (owner->kind == DG_BRANCH) {
    StrBuf b;
    sb_init(&b);
    sb_printf(&b, "<FONT POINT-SIZE=\"%s\" COLOR=\"%s\">%s", lane ? "10" : "9", GREY, pool ? "<B>" : "");
    html_text(&b, owner->title);
    sb_puts(&b, pool ? "</B></FONT>" : "</FONT>");
    set_html(w, c, "label", b.data);
    sb_free(&b);
  } else {
    set(c, "label", "");
  }
  set(c, "class", dg_kind_name(owner->kind));
}

/* A node's name in the graph: its id (the journal's name for it), after its
 * process's name when several are drawn. */
static const char *gv_name(Draw *w, const DgNode *n, int32_t index) {
  const char *id = *n->id ? n->id : arena_printf(&w->tmp, "node_%d", index);
  return w->several ? arena_printf(&w->tmp, "%s.%s", w->p->name, id) : id;
}

/* The cluster node c opens, made (with the clusters around it) on first use.
 * The chain of clusters is walked without recursion: a bundle's can be long
 * (the verifier only made sure it ends). */
static Agraph_t *cluster_of(Draw *w, int32_t c) {
  if (c < 0) return w->top;
  if (w->clusters[c]) return w->clusters[c];
  uint32_t n = 0;
  for (int32_t k = c; k >= 0 && !w->clusters[k]; k = w->p->nodes[k].cluster) n++;
  int32_t *chain = arena_alloc(&w->tmp, n * sizeof *chain);
  n = 0;
  for (int32_t k = c; k >= 0 && !w->clusters[k]; k = w->p->nodes[k].cluster) chain[n++] = k;
  while (n--) { /* outermost first */
    int32_t k = chain[n], parent = w->p->nodes[k].cluster;
    Agraph_t *outer = parent < 0 ? w->top : w->clusters[parent];
    const char *name = arena_printf(&w->tmp, "cluster_%s", gv_name(w, &w->p->nodes[k], k));
    w->clusters[k] = agsubg(outer, mut(name), 1);
    style_cluster(w, w->clusters[k], &w->p->nodes[k]);
  }
  return w->clusters[c];
}

/* ---- edges --------------------------------------------------------------------------------- */

static const char *const edge_class[BPT_E_KIND_COUNT] = {"flow", "cond", "else", "loop",
                                                         "timer", "command", "goto"};

static void edge_label(Draw *w, Agedge_t *g, const DgEdge *e) {
  const DgNode *from = &w->p->nodes[e->from];
  /* the branches of a parallel are labelled clusters already */
  bool from_split = from->kind == DG_FORK || from->kind == DG_RACE;
  if (!*e->label || (e->kind == BPT_E_FLOW && from_split)) return;
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, "<FONT>");
  html_text(&b, wrap(w, e->label, EDGE_WIDTH, EDGE_LINES));
  sb_puts(&b, "</FONT>");
  set_html(w, g, "label", b.data);
  sb_free(&b);
}

static void style_edge(Draw *w, Agedge_t *g, const DgEdge *e) {
  edge_label(w, g, e);
  switch (e->kind) {
  case BPT_E_TIMER:
    set(g, "style", "dashed");
    set(g, "color", "#8a5300");
    set(g, "fontcolor", "#8a5300");
    break;
  case BPT_E_COMMAND:
    set(g, "color", "#1f3b63");
    set(g, "fontcolor", "#1f3b63");
    set(g, "penwidth", "1.4");
    break;
  case BPT_E_GOTO:
    set(g, "color", "#1f3b63");
    break;
  default: break;
  }
  if (e->back) set(g, "dir", "back");
  set(g, "class", arena_printf(&w->tmp, "%s%s%s", e->kind < BPT_E_KIND_COUNT ? edge_class[e->kind] : "?",
                               e->back ? " back" : "", mark_class(e->mark)));
  if (e->mark) {
    set(g, "color", TRACE_INK);
    set(g, "fontcolor", TRACE_INK);
    set(g, "penwidth", "2.5");
  }
}

/* ---- a process ------------------------------------------------------------------------------ */

/* "won_deal_documents · start on change stage when ..." under the title. */
static void process_label(Draw *w, void *obj, const DgProc *p) {
  const char *trigger = "";
  if (p->start < p->nnodes && strncmp(p->nodes[p->start].detail, "start · ", 9) == 0)
    trigger = p->nodes[p->start].detail + 9;
  const char *title = *p->title ? p->title : p->name;
  const char *sub = *trigger ? arena_printf(&w->tmp, "%s · %s", p->name, trigger) : p->name;
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, "<FONT POINT-SIZE=\"14\"><B>");
  html_text(&b, wrap(w, title, 60, 2));
  sb_puts(&b, "</B><BR/>");
  sb_printf(&b, "<FONT POINT-SIZE=\"10\" COLOR=\"%s\">", GREY);
  html_text(&b, wrap(w, sub, 80, 2));
  sb_puts(&b, "</FONT></FONT>");
  set_html(w, obj, "label", b.data);
  sb_free(&b);
}

static void draw_process(Draw *w, const DgProc *p) {
  w->p = p;
  if (w->several) {
    w->top = agsubg(w->root, mut(arena_printf(&w->tmp, "cluster_process_%s", p->name)), 1);
    set(w->top, "style", "rounded");
    set(w->top, "color", "#c0c0c0");
    set(w->top, "fillcolor", "#ffffff");
    set(w->top, "labeljust", "c");
    set(w->top, "margin", "14");
    set(w->top, "class", "process");
    process_label(w, w->top, p);
  } else {
    w->top = w->root;
    process_label(w, w->root, p);
  }
  w->clusters = arena_alloc(&w->tmp, (p->nnodes + 1) * sizeof *w->clusters);
  w->opens_cluster = arena_alloc(&w->tmp, (p->nnodes + 1) * sizeof *w->opens_cluster);
  w->gv = arena_alloc(&w->tmp, (p->nnodes + 1) * sizeof *w->gv);
  for (uint32_t i = 0; i < p->nnodes; i++)
    if (drawn(&p->nodes[i]) && p->nodes[i].cluster >= 0) w->opens_cluster[p->nodes[i].cluster] = true;
  /* The flow's nodes first, the handlers' after them: agwrite lists a node's
   * edges in the order of their heads, so the DOT text keeps the flow's
   * edges before the timer edges, as the graph built here does. */
  for (uint32_t k = 0; k < 2 * p->nnodes; k++) {
    uint32_t i = k % p->nnodes;
    const DgNode *n = &p->nodes[i];
    if (!drawn(n) || n->in_handler != (k >= p->nnodes)) continue;
    /* a state heads the cluster of its body, when it has one */
    int32_t c = n->kind == DG_STATE && w->opens_cluster[i] ? (int32_t)i : n->cluster;
    Agraph_t *sub = cluster_of(w, c);
    w->gv[i] = agnode(sub, mut(gv_name(w, n, (int32_t)i)), 1);
    const char *note = style_node(w, w->gv[i], n);
    if (note) add_note(w, sub, w->gv[i], note);
  }
  /* Timer edges last: dot puts a node's first successors to the left, so
   * the main flow keeps the left and the handlers hang off to the right. */
  for (int timers = 0; timers < 2; timers++)
    for (uint32_t i = 0; i < p->nedges; i++) {
      const DgEdge *e = &p->edges[i];
      if ((e->kind == BPT_E_TIMER) != timers || !w->gv[e->from] || !w->gv[e->to]) continue;
      /* A back edge is laid out the other way round and drawn with its arrow
       * reversed (dir=back): the ranking then sees no cycle and the flow
       * stays top-down, and dot routes it like any other edge (with
       * constraint=false it would cut across the boxes). */
      Agedge_t *g = e->back ? agedge(w->top, w->gv[e->to], w->gv[e->from], NULL, 1)
                            : agedge(w->top, w->gv[e->from], w->gv[e->to], NULL, 1);
      style_edge(w, g, e);
    }
}

static void graph_defaults(Agraph_t *g) {
  agattr(g, AGRAPH, "rankdir", "TB");
  agattr(g, AGRAPH, "fontname", FONT);
  agattr(g, AGRAPH, "labelloc", "t");
  agattr(g, AGRAPH, "nodesep", "0.3");
  agattr(g, AGRAPH, "ranksep", "0.35");
  agattr(g, AGRAPH, "pad", "0.25");
  agattr(g, AGRAPH, "outputorder", "edgesfirst");
  agattr(g, AGRAPH, "newrank", "true");
  agattr(g, AGNODE, "label", "\\N"); /* declared, so that label="" is written out */
  agattr(g, AGNODE, "fontname", FONT);
  agattr(g, AGNODE, "fontsize", "11");
  agattr(g, AGNODE, "fontcolor", INK);
  agattr(g, AGNODE, "margin", "0.12,0.05");
  agattr(g, AGEDGE, "fontname", FONT);
  agattr(g, AGEDGE, "fontsize", "9");
  agattr(g, AGEDGE, "fontcolor", "#444444");
  agattr(g, AGEDGE, "color", "#555555");
  agattr(g, AGEDGE, "arrowsize", "0.7");
}

/* ---- names in the order they were made ------------------------------------------------------ */

/* cgraph's own ID discipline makes a name's ID the address of its copy of the
 * string, and keeps a graph's subgraphs ordered by ID: the clusters of `bpc dot`
 * then came out in the heap's order, which changed from run to run (libxml2
 * seeds its dictionary's hash at random). This discipline numbers the names in
 * the order they are first seen (even IDs; odd ones are anonymous, as
 * cgraph's), so the same diagram is the same text every time. Each name is
 * still cgraph's reference-counted string (agstrdup), as with its own
 * discipline: agwrite reads a flag kept before the string's bytes. */
typedef struct NameId {
  char *name; /* agstrdup'd; NULL once every object of the name is gone */
  uint64_t objects;
} NameId;

typedef struct NameIds {
  Agraph_t *g;
  NameId *names;     /* by ID / 2 - 1 */
  uint64_t n, cap;
  uint64_t *slots;   /* open addressing: ID / 2 (0: empty), mask + 1 of them */
  uint64_t mask;
  uint64_t anon;     /* anonymous IDs given */
} NameIds;

static uint64_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void *ids_open(Agraph_t *g, Agdisc_t *disc) {
  (void)disc;
  NameIds *t = calloc(1, sizeof *t);
  if (t) t->g = g;
  return t;
}

static bool ids_grow(NameIds *t) {
  uint64_t size = t->mask ? (t->mask + 1) * 2 : 256;
  uint64_t *slots = calloc(size, sizeof *slots);
  if (!slots) return false;
  for (uint64_t i = 0; i < t->n; i++) {
    if (!t->names[i].name) continue;
    uint64_t k = name_hash(t->names[i].name) & (size - 1);
    while (slots[k]) k = (k + 1) & (size - 1);
    slots[k] = i + 1;
  }
  free(t->slots);
  t->slots = slots;
  t->mask = size - 1;
  return true;
}

static long ids_map(void *state, int objtype, char *str, IDTYPE *id, int createflag) {
  (void)objtype;
  NameIds *t = state;
  if (!str) { /* anonymous: odd */
    *id = ++t->anon * 2 + 1;
    return 1;
  }
  uint64_t h = name_hash(str);
  for (uint64_t k = t->mask ? h & t->mask : 0; t->mask && t->slots[k]; k = (k + 1) & t->mask) {
    NameId *e = &t->names[t->slots[k] - 1];
    if (e->name && strcmp(e->name, str) == 0) {
      if (createflag) { /* another object of this name: one more reference, as cgraph's */
        agstrdup(t->g, str);
        e->objects++;
      }
      *id = t->slots[k] * 2;
      return 1;
    }
  }
  if (!createflag) return 0;
  if ((t->n + 1) * 2 > t->mask && !ids_grow(t)) return 0;
  if (t->n == t->cap) {
    uint64_t cap = t->cap ? t->cap * 2 : 256;
    NameId *names = realloc(t->names, cap * sizeof *names);
    if (!names) return 0;
    t->names = names, t->cap = cap;
  }
  char *copy = agstrdup(t->g, str);
  if (!copy) return 0;
  t->names[t->n++] = (NameId){copy, 1};
  uint64_t k = h & t->mask;
  while (t->slots[k]) k = (k + 1) & t->mask;
  t->slots[k] = t->n;
  *id = t->n * 2;
  return 1;
}

static long ids_alloc(void *state, int objtype, IDTYPE id) {
  (void)state, (void)objtype;
  return (id & 1) == 0; /* odd IDs are for anonymous objects, as in cgraph */
}

static NameId *ids_entry(NameIds *t, IDTYPE id) {
  return id && (id & 1) == 0 && id / 2 <= t->n && t->names[id / 2 - 1].name ? &t->names[id / 2 - 1] : NULL;
}

/* An object is gone: its reference to the name goes too (the name stays in the
 * table, unfound, once no object has it). */
static void ids_free(void *state, int objtype, IDTYPE id) {
  (void)objtype;
  NameIds *t = state;
  NameId *e = ids_entry(t, id);
  if (!e) return;
  agstrfree(t->g, e->name);
  if (--e->objects == 0) e->name = NULL;
}

static char *ids_print(void *state, int objtype, IDTYPE id) {
  (void)objtype;
  NameId *e = ids_entry(state, id);
  return e ? e->name : NULL;
}

static void ids_close(void *state) {
  NameIds *t = state;
  if (!t) return;
  free(t->names);
  free(t->slots);
  free(t);
}

static void ids_register(void *state, int objtype, void *obj) { (void)state, (void)objtype, (void)obj; }

static Agiddisc_t name_ids = {ids_open, ids_map, ids_alloc, ids_free, ids_print, ids_close, ids_register};
/* cgraph takes its own memory and I/O disciplines where these are NULL */
static Agdisc_t name_disc = {NULL, &name_ids, NULL};

static Agraph_t *build(Draw *w, int32_t only) {
  w->root = agopen(mut("bpc"), Agdirected, &name_disc);
  graph_defaults(w->root);
  w->several = only < 0 && w->d->nprocs > 1;
  for (uint32_t i = 0; i < w->d->nprocs; i++)
    if (only < 0 || (uint32_t)only == i) draw_process(w, &w->d->procs[i]);
  return w->root;
}

/* ---- the size that can be laid out ------------------------------------------------------------ */

/* Graphviz's dot layout grows much faster than the graph: measured on this machine
 * (docs/limits.md), 450 nodes in a row of `if`s take about 1.4 s, 900 take 4 to 7 s,
 * 3,000 two minutes; 40 nested `parallel`s take 0.7 to 2 s, 60 take 5 to 11 s, 95 more
 * than 14 s. `bpc render` refuses a diagram above these bounds rather than stall (a
 * service draws what its users upload); `bpc dot` writes any size (it does not lay out:
 * linear, 36,000 lines in 0.25 s). */
enum { MAX_LAYOUT_NODES = 500, MAX_LAYOUT_EDGES = 800, MAX_LAYOUT_DEPTH = 24, MAX_LAYOUT_LINKS = 60 };

/* The deepest nesting of clusters among p's drawn nodes. Each node's depth is found
 * once, walking up to the first node whose depth is known (no recursion: a bundle's
 * chain may be long; the verifier only made sure it ends). */
static uint32_t cluster_depth(const DgProc *p) {
  uint32_t *depth = xcalloc(p->nnodes + 1, sizeof *depth); /* depth + 1; 0: not known */
  uint32_t *chain = xcalloc(p->nnodes + 1, sizeof *chain);
  uint32_t deepest = 0;
  for (uint32_t i = 0; i < p->nnodes; i++) {
    uint32_t n = 0, known = 0;
    for (int32_t k = (int32_t)i; k >= 0 && (uint32_t)k < p->nnodes; k = p->nodes[k].cluster) {
      if (depth[k]) {
        known = depth[k];
        break;
      }
      if (n > p->nnodes) break; /* a cycle: the reader refuses those; never loop */
      chain[n++] = (uint32_t)k;
    }
    if (!known) known = 1; /* outside every cluster: depth 0 */
    else known++;
    while (n--) depth[chain[n]] = known++;
    /* a node's own depth counts the clusters around it, not the one it opens */
    if (drawn(&p->nodes[i]) && depth[i] - 1 > deepest) deepest = depth[i] - 1;
  }
  free(depth);
  free(chain);
  return deepest;
}

/* NULL when the drawing of process `only` (all when only < 0) can be laid out in
 * about a second; else what is too large, for the message. */
static const char *too_large_to_lay_out(Draw *w, int32_t only) {
  uint64_t nodes = 0, edges = 0, links = 0;
  uint32_t depth = 0;
  for (uint32_t i = 0; i < w->d->nprocs; i++) {
    if (only >= 0 && (uint32_t)only != i) continue;
    const DgProc *p = &w->d->procs[i];
    for (uint32_t k = 0; k < p->nnodes; k++) nodes += drawn(&p->nodes[k]);
    for (uint32_t k = 0; k < p->nedges; k++)
      edges += p->edges[k].from < p->nnodes && p->edges[k].to < p->nnodes && drawn(&p->nodes[p->edges[k].from]) &&
               drawn(&p->nodes[p->edges[k].to]);
    for (uint32_t k = 0; k < p->nedges; k++)
      links += p->edges[k].kind == BPT_E_COMMAND || p->edges[k].kind == BPT_E_GOTO;
    uint32_t d = cluster_depth(p);
    if (d > depth) depth = d;
  }
  if (links > MAX_LAYOUT_LINKS)
    return arena_printf(&w->tmp, "%llu commands and gotos between states, the limit is %d", (unsigned long long)links,
                        MAX_LAYOUT_LINKS);
  if (nodes > MAX_LAYOUT_NODES)
    return arena_printf(&w->tmp, "%llu nodes, the limit is %d", (unsigned long long)nodes, MAX_LAYOUT_NODES);
  if (edges > MAX_LAYOUT_EDGES)
    return arena_printf(&w->tmp, "%llu edges, the limit is %d", (unsigned long long)edges, MAX_LAYOUT_EDGES);
  if (depth > MAX_LAYOUT_DEPTH)
    return arena_printf(&w->tmp, "clusters (parallel branches, states) nested %u deep, the limit is %d", depth,
                        MAX_LAYOUT_DEPTH);
  return NULL;
}

/* ---- output ----------------------------------------------------------------------------------- */

static int cannot_write(const char *path) {
  fprintf(stderr, "bpc: cannot write %s: %s\n", path, strerror(errno));
  return 2;
}

/* The DOT text to stdout, or to path (out.h: whole or not at all). */
static int write_dot(Agraph_t *g, const char *path) {
  if (!path) return agwrite(g, stdout) == 0 ? 0 : 2;
  OutFile o;
  if (!out_open(&o, path)) return cannot_write(path);
  errno = EIO; /* what a failed write says when nothing else does */
  if (agwrite(g, o.f) != 0) {
    out_abort(&o);
    return cannot_write(path);
  }
  return out_commit(&o) ? 0 : cannot_write(path);
}

/* Laid out and drawn into path. The file is opened here (gvRender into it)
 * so that a failure to write is reported once, by bpc. */
static int render(Agraph_t *g, const char *format, const char *path) {
  OutFile o;
  if (!out_open(&o, path)) return cannot_write(path);
  GVC_t *gvc = gvContext();
  const char *failed = NULL;
  if (!gvc) failed = "cannot start Graphviz";
  else if (gvLayout(gvc, g, "dot") != 0) failed = "Graphviz could not lay the diagram out";
  else {
    errno = EIO;
    if (gvRender(gvc, g, mut(format), o.f) != 0) failed = "";
    gvFreeLayout(gvc, g);
  }
  if (gvc) gvFreeContext(gvc);
  if (failed) {
    out_abort(&o);
    if (!*failed) return cannot_write(path);
    fprintf(stderr, "bpc: %s: %s\n", path, failed);
    return 2;
  }
  return out_commit(&o) ? 0 : cannot_write(path);
}

int dot_draw(const Diagram *d, int32_t only, const char *format, const char *path) {
  Draw w;
  memset(&w, 0, sizeof w);
  w.d = d;
  arena_init(&w.tmp);
  agseterr(AGERR); /* Graphviz's warnings say nothing to a user of bpc */
  const char *large = strcmp(format, "dot") == 0 ? NULL : too_large_to_lay_out(&w, only);
  if (large) {
    fprintf(stderr,
            "bpc: render: the diagram is too large to lay out: %s (docs/limits.md)%s; `bpc dot` writes it "
            "as DOT text at any size\n",
            large, only < 0 && d->nprocs > 1 ? "; draw one process with -p" : "");
    arena_free(&w.tmp);
    return 1;
  }
  Agraph_t *g = build(&w, only);
  int status = strcmp(format, "dot") == 0 ? write_dot(g, path) : render(g, format, path);
  agclose(g);
  arena_free(&w.tmp);
  return status;
}
