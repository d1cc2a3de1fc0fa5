/* bxw.h — `bpc export --bitrix`: a checked `.bp` process written as a Bitrix24
 * business-process template (docs/bitrix.md "Export").
 *
 * The template is what Bitrix's own export writes: PHP serialize() of
 * {VERSION, TEMPLATE, PARAMETERS, VARIABLES, CONSTANTS, DOCUMENT_FIELDS},
 * compressed with zlib (gzcompress, level 9). The syntax tree is block
 * structured like Bitrix's activity tree, so each statement becomes one
 * activity (or a few); a construct with no Bitrix activity is refused with
 * `file:line:col: error:` naming it. Importing the export back (`bpc import`)
 * gives a process that behaves as the original. */
#ifndef BPC_BXW_H
#define BPC_BXW_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "diag.h"

/* Writes the one process of the checked program prog as a template into a
 * new buffer (*out, *len; the caller frees it); compressed with zlib unless
 * plain. Returns true; false with the reasons in diags (errors at the
 * constructs Bitrix cannot express). */
bool bxw_export(const Program *prog, bool plain, char **out, size_t *len, Diags *diags);

/* PHP serialize() of a string: s:LEN:"bytes"; with LEN in bytes. */
void bxw_put_string(StrBuf *b, const char *s, size_t n);

#endif
