/* bitrix.h — Bitrix24 business-process templates (`.bpt` exports) into `.bp` text.
 *
 * A template is zlib (PHP gzcompress) of PHP serialize() data, or the
 * serialize() data itself (Bitrix's importer accepts both). bx_read inflates
 * with an output limit and reads the data with a strict, bounded unserialize
 * into a small value tree; bx_to_bp maps the activity tree onto `.bp` text,
 * which the caller parses with the `.bp` parser (so the syntax tree is the
 * one the parser's own builders make) and then checks, lowers and draws as
 * any `.bp` file. Refusals name the file and the byte offset (of the
 * inflated data, for a compressed template), or the activity's Name and its
 * path in the tree. docs/bitrix.md describes the mapping. */
#ifndef BPC_BITRIX_H
#define BPC_BITRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Limits of the reader (docs/limits.md). */
enum {
  BX_MAX_INFLATED = 64 * 1024 * 1024, /* bytes a compressed template may inflate to */
  BX_MAX_DEPTH = 256,                 /* nesting of arrays */
  BX_MAX_ACTIVITY_DEPTH = 60          /* nesting of activities (the `.bp` parser allows 200 blocks) */
};

typedef enum BxKind { BX_NULL, BX_BOOL, BX_INT, BX_FLOAT, BX_STRING, BX_ARRAY } BxKind;

typedef struct BxValue BxValue;
struct BxValue {
  BxKind kind;
  uint32_t off; /* byte offset of the value in the serialized data */
  union {
    bool b;
    int64_t i;
    struct { const char *text; uint32_t len; } s; /* BX_STRING, BX_FLOAT (as written) */
    struct { BxValue **keys, **vals; uint32_t n; } a; /* keys are BX_INT or BX_STRING */
  } u;
};

/* A read template: the value tree lives in the arena. */
typedef struct BxDoc {
  Arena arena;
  BxValue *root;
  bool compressed;
} BxDoc;

/* Is this a Bitrix template by its first bytes (zlib header, or `a:N:{`)? */
bool bx_looks_like_template(const char *bytes, size_t len);

/* Reads bytes into doc. On failure returns false with a message in *err
 * (malloc'd, "PATH: error: ..."); doc is then already freed. */
bool bx_read(const char *path, const char *bytes, size_t len, BxDoc *doc, char **err);
void bx_doc_free(BxDoc *doc);

/* The array member under a string key, or NULL. */
const BxValue *bx_get(const BxValue *array, const char *key);

/* The template mapped to `.bp` text (malloc'd), or NULL when it cannot be.
 * Warnings and errors are appended to *msgs, one a line, each starting
 * "PATH: warning: " or "PATH: error: ". */
char *bx_to_bp(const char *path, const BxValue *root, StrBuf *msgs);

/* bx_read then bx_to_bp. */
char *bx_import(const char *path, const char *bytes, size_t len, StrBuf *msgs);

#endif
