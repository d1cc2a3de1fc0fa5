/* bpc_diag.h — how bpc shows diagnostics: text (coloured or not), JSON or SARIF.
 *
 *   --diagnostics-format=text|json|sarif   (bpc check)
 *   --color=auto|always|never              (every command that reads .bp text)
 *
 * Text is printed as each file is read; JSON (an array of objects) and SARIF 2.1.0
 * (one run) are collected and printed by bpc_diag_finish. */
#ifndef BPC_DIAG_OUT_H
#define BPC_DIAG_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "util.h"

typedef enum { BPC_DIAG_TEXT, BPC_DIAG_JSON, BPC_DIAG_SARIF } BpcDiagFormat;

/* Takes `--color=...` or `--diagnostics-format=...`: 1 taken, 0 not such an option,
 * -1 a bad value (said on stderr). */
int bpc_diag_option(const char *arg, bool formats_allowed);
BpcDiagFormat bpc_diag_format(void);
/* Shows (text) or keeps (JSON, SARIF) the messages of one file. */
void bpc_diag_emit(Diags *d);
/* Prints the JSON array or the SARIF log of every kept message to out. */
void bpc_diag_finish(FILE *out);
/* Shows (text, exactly as `FILE:LINE: error: message`, or `FILE: ...` when line is 0)
 * or keeps (JSON, SARIF: column 1, or no position when line is 0) one message of an
 * importer, under the given code. */
void bpc_diag_import(const char *path, uint32_t line, bool error, const char *code, const char *message);
/* The same for the text lines an importer wrote (`FILE: error: ...`, `FILE: warning: ...`). */
void bpc_diag_import_lines(const char *path, const char *text, const char *error_code,
                           const char *warning_code);

/* One message as a JSON object (the form of --diagnostics-format=json): file, line,
 * column, end_line, end_column (just after the range), severity, code, message and,
 * where the message suggests one, fix {replacement}. */
void bpc_diag_json(StrBuf *b, const Diags *d, uint32_t i);

#endif
