/* bpc_import.h — `bpc import X.bpmn [-p PROCESS] [-o OUT.bp]`: a BPMN model
 * printed as `.bp` text (compiler/import/tobp does the work). */
#ifndef BPC_IMPORT_H
#define BPC_IMPORT_H

/* argv: the arguments after `import`. Returns the exit status. */
int import_command(int argc, char **argv);

#endif
