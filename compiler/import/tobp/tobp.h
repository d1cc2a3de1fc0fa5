/* tobp.h — `bpc import`: a finished graph IR printed back as `.bp` text.
 *
 * The IR of a BPMN model is a graph; `.bp` is block-structured. tobp_program
 * finds the graph's single-entry/single-exit regions (sequences, if/else-if
 * chains, parallel blocks, races, loops) and builds the `.bp` syntax tree
 * with the front end's builders, then prints it with the formatter, so the
 * text is canonical. Where a region is not block-structured it refuses,
 * naming the node where structure breaks: it never prints code that would
 * run differently. See docs/bpmn.md, "Import to .bp". */
#ifndef BPC_TOBP_H
#define BPC_TOBP_H

#include <stdbool.h>
#include <stdint.h>

#include "ir.h"

/* Why a program could not be printed: the node (its id and line; NULL/0 for
 * the process as a whole) and the reason. */
typedef struct TobpError {
  const char *proc;
  const char *node;
  uint32_t line;
  char message[320];
} TobpError;

/* The `.bp` text of every process of ir (which ir_finish accepted), as
 * `bpc fmt` prints it: malloc'd, NUL-terminated. NULL with *err filled when
 * some process is not block-structured or uses what `.bp` cannot say. With
 * ids, each statement made from a node ends in a comment with the node's id
 * (`task clerk "Check credit"  # Task_check`): `.bp` names its steps itself,
 * and the comment keeps the way back to the model's element. */
char *tobp_program(const IrProgram *ir, bool ids, TobpError *err);

#endif
