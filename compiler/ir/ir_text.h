/* ir_text.h — a textual form of what a graph IR holds beyond its graph: the
 * document types and actions of a program, a process's slots, parameters,
 * variables and trigger, and each node's payload, with typed expressions.
 *
 * `bpc export --bpmn` writes it into `bpc:ir` attributes of the BPMN it makes
 * (the graph itself is the BPMN's elements and sequence flows), and the BPMN
 * importer reads it back, so an exported process compiles to the same program
 * (docs/bpmn.md "Export"). The text is a list of s-expressions:
 *
 *   (approve (who (slot 3)) (title (text (str "Vote on ") (field "string" 0)))
 *            (mode majority) (wait_all 1) (result 4))
 *
 * atoms (names, numbers) and "strings" (escapes \\ \" \n \t \xHH) in lists.
 * Every reader checks what it reads (indices, types, counts) and says what is
 * wrong; input may come from anyone. */
#ifndef BPC_IR_TEXT_H
#define BPC_IR_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "ir.h"
#include "util.h"

/* ---- s-expressions ------------------------------------------------------------ */

typedef enum { IR_SX_ATOM, IR_SX_STRING, IR_SX_LIST } IrSxKind;

typedef struct IrSx {
  IrSxKind kind;
  const char *s;       /* ATOM, STRING: the text (NUL-terminated; a STRING may hold NULs) */
  uint32_t len;
  struct IrSx **items; /* LIST */
  uint32_t n;
} IrSx;

/* Parses one s-expression (blanks around it allowed) into arena a. NULL with
 * *err set when the text is not one (or nests deeper than 64). */
IrSx *ir_sx_parse(Arena *a, const char *text, const char **err);
/* The list item (NAME ...) of list l whose first atom is name, or NULL. */
const IrSx *ir_sx_find(const IrSx *l, const char *name);

/* ---- writing -------------------------------------------------------------------- */

void ir_text_string(StrBuf *b, const char *s, uint32_t len); /* a quoted string */
void ir_text_type(StrBuf *b, const Type *t);                  /* "list of string" */
void ir_text_expr(StrBuf *b, const IrExpr *e);                /* `-` for NULL */
/* (program (docs ...) (actions ...)) */
void ir_text_program(StrBuf *b, const IrProgram *ir);
/* (process (title ..) (doc N) (trigger ..) (slots ..) (params ..) (inits ..)) */
void ir_text_proc(StrBuf *b, const IrProc *p);
/* (KIND (cluster ..) (id ..) (name ..) (detail ..) payload...): everything of a
 * node but its edges; a human step's handler entries are its TIMER edges. `id`
 * is written when the node's id differs from bpmn_id; cluster_id (NULL: none)
 * names the element of the node's cluster (an IR_BRANCH) in the file. */
void ir_text_node(StrBuf *b, const IrNode *n, const char *bpmn_id, const char *cluster_id);

/* ---- reading ------------------------------------------------------------------------ */

/* The type named as ir_text_type writes it, or NULL. */
const Type *ir_text_type_named(const char *name);
/* An expression of process p (NULL p: no slots), or NULL with *err set. A
 * `-` gives NULL with *err left NULL. */
IrExpr *ir_text_read_expr(IrProgram *ir, const IrProc *p, const IrSx *x, const char **err);
/* Fills ir's documents and actions from (program ...), and reserves nprocs
 * processes. False with *err set. */
bool ir_text_read_program(IrProgram *ir, const IrSx *x, uint32_t nprocs, const char **err);
/* Fills a new process (from ir_proc) from (process ...). */
bool ir_text_read_proc(IrProgram *ir, IrProc *p, const IrSx *x, const char **err);
/* The node kind a (KIND ...) text names; false when none. */
bool ir_text_node_kind(const IrSx *x, IrNodeKind *kind);
/* Fills node n (made by ir_node with the kind ir_text_node_kind gave) from its
 * text: title, detail, place and payload. A human step's reminders get their
 * durations; their entries (and timeout_entry) are the caller's to set. */
bool ir_text_read_node(IrProgram *ir, IrProc *p, IrNode *n, const IrSx *x, const char **err);
/* After the nodes and edges of process p are read: each state's enter block
 * (its STATE node's FLOW edge) and each command's body (the state's COMMAND
 * edges, in order, one per command). False with *err set when they disagree. */
bool ir_text_link_states(IrProc *p, const char **err);
/* The original id a node text names with (id "..."), or NULL. */
const char *ir_text_node_id(const IrSx *x);
/* The element id of the node's cluster, (cluster "..."), or NULL. */
const char *ir_text_node_cluster(const IrSx *x);

#endif
