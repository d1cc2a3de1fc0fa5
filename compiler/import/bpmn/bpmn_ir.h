/* bpmn_ir.h — the importer's second half: a BpmnModel mapped onto the graph
 * IR through its builder (docs/bpmn.md "Mapping"). */
#ifndef BPC_BPMN_IR_H
#define BPC_BPMN_IR_H

#include "bpmn.h"
#include "ir.h"

/* Maps every executable process of m (every process with elements when none
 * is marked executable; only the process with id `only` when not NULL) into
 * one program and runs ir_finish on it. Returns the finished program, or
 * NULL when anything is refused: then every problem is among m's messages
 * (`file:line: error: ID: what is not supported (why)`), all found in one
 * pass; bpmn_print_diags prints them. Warnings may be added either way. */
IrProgram *bpmn_to_ir(BpmnModel *m, const char *only);

#endif
