/* bpmnw.h — `bpc export --bpmn`: a finished graph IR written as BPMN 2.0 XML
 * with diagram interchange (docs/bpmn.md "Export").
 *
 * Every process becomes one executable <process>; its nodes become BPMN
 * elements and its edges sequence flows, drawn where Graphviz's `dot` lays
 * them out. What BPMN cannot say exactly (typed expressions, documents, the
 * payload of each step) rides along in `bpc:ir` attributes (ir_text.h), which
 * the BPMN importer reads back, so the exported file compiles to the program
 * it came from. A construct BPMN cannot express (statuses) is refused. */
#ifndef BPC_BPMNW_H
#define BPC_BPMNW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ir.h"

/* Writes the processes of the finished program ir (only the one named `only`
 * when not NULL) as BPMN XML into a new buffer (*xml, *len; the caller frees
 * it). Returns 0; 1 after printing on `diag` why a construct cannot be
 * expressed (`file:line: error: ...`, one line per problem). */
int bpmnw_export(const IrProgram *ir, const char *only, char **xml, size_t *len, FILE *diag);

#endif
