/* bpmn_bpc.h — BPMN that `bpc export --bpmn` wrote, read back exactly through
 * its `bpc:ir` attributes (bpmn_bpc.c; docs/bpmn.md "Export"). */
#ifndef BPC_BPMN_BPC_H
#define BPC_BPMN_BPC_H

#include "bpmn.h"
#include "ir.h"

/* Does the file carry bpc's own description of its processes? */
bool bpmn_is_bpc_export(const BpmnModel *m);
/* Like bpmn_to_ir, for such a file: every process with a bpc:ir (only the one
 * with id `only` when not NULL), finished; NULL with m's messages saying why. */
IrProgram *bpmn_bpc_to_ir(BpmnModel *m, const char *only);

#endif
