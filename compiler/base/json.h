/* json.h — writing JSON text, and reading it into a small tree (for `bpc lsp`).
 *
 * The reader takes one JSON text of at most JSON_MAX_TEXT bytes, nested at most
 * JSON_MAX_DEPTH deep, into nodes of an arena; anything else is refused with NULL
 * and a reason. Strings are kept as the UTF-8 they decode to (\u escapes included). */
#ifndef BPC_JSON_H
#define BPC_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum { JSON_MAX_TEXT = 16 << 20, JSON_MAX_DEPTH = 64 };

/* s (n bytes) as a JSON string, quotes included. Invalid UTF-8 bytes become U+FFFD. */
void json_put_string(StrBuf *b, const char *s, size_t n);

typedef enum { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } JsonKind;

typedef struct JsonNode JsonNode;
struct JsonNode {
  JsonKind kind;
  double number;
  const char *string; /* JSON_STRING: NUL-terminated (may hold NULs before len) */
  size_t len;         /* JSON_STRING: bytes; JSON_ARRAY / JSON_OBJECT: members */
  JsonNode **items;   /* array elements, or object values */
  const char **keys;  /* object keys */
};

/* NULL on a malformed text, with *why set to a static reason. */
JsonNode *json_parse(Arena *a, const char *text, size_t len, const char **why);
/* The member of an object, or NULL (also when node is no object). */
const JsonNode *json_get(const JsonNode *node, const char *key);
/* The string of a node, or NULL when it is no string. */
const char *json_string(const JsonNode *node);
/* The number of a node as an integer; false when it is no number or not whole. */
bool json_int(const JsonNode *node, long long *out);

#endif
