/* bpc_load.h — any input of bpc as a finished graph IR: a BPMN 2.0 file
 * (recognised by content: XML, whatever its name) through the importer, or
 * `.bp` text through the front end and lowering. */
#ifndef BPC_LOAD_H
#define BPC_LOAD_H

#include <stdbool.h>

#include "ir.h"
#include "dot.h"

/* Is the file XML (so a BPMN model, not .bp text)? False when unreadable. */
bool bpc_is_xml_file(const char *path);

/* Loads path into a program ir_finish accepted, printing every message on
 * stderr (BPMN: `file:line: error: ID: reason`). NULL with *status 1 (errors
 * in the input) or 2 (unreadable). front_end parses and checks `.bp` text. */
IrProgram *bpc_load_ir(const char *path, DotFrontEnd front_end, int *status);

#endif
