/* json.c — JSON out (strings) and in (a recursive-descent reader with limits). */
#include "json.h"

#include <math.h> /* isfinite: a macro, no libm */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void json_put_string(StrBuf *b, const char *s, size_t n) {
  sb_putc(b, '"');
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      sb_putc(b, '\\');
      sb_putc(b, (char)c);
      i++;
    } else if (c == '\n') {
      sb_puts(b, "\\n"), i++;
    } else if (c == '\t') {
      sb_puts(b, "\\t"), i++;
    } else if (c == '\r') {
      sb_puts(b, "\\r"), i++;
    } else if (c < 0x20 || c == 0x7f) {
      sb_printf(b, "\\u%04x", c), i++;
    } else if (c < 0x80) {
      sb_putc(b, (char)c), i++;
    } else {
      size_t k = utf8_seq_len((const unsigned char *)s + i, n - i);
      if (k == 0) {
        sb_puts(b, "\\ufffd");
        i++;
      } else {
        sb_putn(b, s + i, k);
        i += k;
      }
    }
  }
  sb_putc(b, '"');
}

/* ---- reader ------------------------------------------------------------------ */

typedef struct {
  Arena *a;
  const char *p, *end;
  const char *why;
  int depth;
} Reader;

static void skip_space(Reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static JsonNode *node_new(Reader *r, JsonKind kind) {
  JsonNode *n = arena_alloc(r->a, sizeof *n);
  memset(n, 0, sizeof *n);
  n->kind = kind;
  return n;
}

static JsonNode *fail(Reader *r, const char *why) {
  if (!r->why) r->why = why;
  return NULL;
}

static int hex4(const char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

static void put_utf8(StrBuf *b, uint32_t cp) {
  if (cp < 0x80) {
    sb_putc(b, (char)cp);
  } else if (cp < 0x800) {
    sb_putc(b, (char)(0xC0 | (cp >> 6)));
    sb_putc(b, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    sb_putc(b, (char)(0xE0 | (cp >> 12)));
    sb_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    sb_putc(b, (char)(0x80 | (cp & 0x3F)));
  } else {
    sb_putc(b, (char)(0xF0 | (cp >> 18)));
    sb_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
    sb_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    sb_putc(b, (char)(0x80 | (cp & 0x3F)));
  }
}

/* string -> '"' chars '"'; r->p is at the opening quote. */
static const char *read_string(Reader *r, size_t *len) {
  StrBuf b;
  sb_init(&b);
  sb_putn(&b, "", 0);
  r->p++;
  while (r->p < r->end && *r->p != '"') {
    unsigned char c = (unsigned char)*r->p;
    if (c < 0x20) break;
    if (c != '\\') {
      sb_putc(&b, (char)c);
      r->p++;
      continue;
    }
    if (r->end - r->p < 2) break;
    char e = r->p[1];
    r->p += 2;
    const char *simple = strchr("\"\\/bfnrt", e);
    if (e && simple) {
      static const char out[] = "\"\\/\b\f\n\r\t";
      sb_putc(&b, out[simple - "\"\\/bfnrt"]);
      continue;
    }
    if (e != 'u' || r->end - r->p < 4 || hex4(r->p) < 0) break;
    uint32_t cp = (uint32_t)hex4(r->p);
    r->p += 4;
    if (cp >= 0xD800 && cp < 0xDC00 && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u' &&
        hex4(r->p + 2) >= 0xDC00 && hex4(r->p + 2) < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)hex4(r->p + 2) - 0xDC00);
      r->p += 6;
    } else if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD;
    }
    put_utf8(&b, cp);
  }
  if (r->p >= r->end || *r->p != '"') {
    sb_free(&b);
    fail(r, "a string is not closed or holds a control character or bad escape");
    return NULL;
  }
  r->p++;
  *len = b.len;
  char *s = arena_strndup(r->a, b.data ? b.data : "", b.len);
  sb_free(&b);
  return s;
}

static JsonNode *read_value(Reader *r);

/* array -> '[' (value (',' value)*)? ']';  object -> '{' (string ':' value ...)? '}' */
static JsonNode *read_container(Reader *r, bool object) {
  if (++r->depth > JSON_MAX_DEPTH) return fail(r, "nested too deeply");
  JsonNode *n = node_new(r, object ? JSON_OBJECT : JSON_ARRAY);
  PtrVec items = {0}, keys = {0};
  char close = object ? '}' : ']';
  r->p++;
  skip_space(r);
  if (r->p < r->end && *r->p == close) {
    r->p++;
    r->depth--;
    return n;
  }
  for (;;) {
    skip_space(r);
    if (object) {
      if (r->p >= r->end || *r->p != '"') return fail(r, "an object key must be a string");
      size_t klen;
      const char *key = read_string(r, &klen);
      if (!key) return NULL;
      skip_space(r);
      if (r->p >= r->end || *r->p != ':') return fail(r, "expected `:` after an object key");
      r->p++;
      ptrvec_push(r->a, &keys, (void *)key);
    }
    JsonNode *v = read_value(r);
    if (!v) return NULL;
    ptrvec_push(r->a, &items, v);
    skip_space(r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      continue;
    }
    if (r->p < r->end && *r->p == close) {
      r->p++;
      break;
    }
    return fail(r, object ? "expected `,` or `}` in an object" : "expected `,` or `]` in an array");
  }
  n->len = items.n;
  n->items = (JsonNode **)items.items;
  n->keys = (const char **)keys.items;
  r->depth--;
  return n;
}

static JsonNode *read_value(Reader *r) {
  skip_space(r);
  if (r->p >= r->end) return fail(r, "unexpected end of the text");
  char c = *r->p;
  if (c == '{' || c == '[') return read_container(r, c == '{');
  if (c == '"') {
    JsonNode *n = node_new(r, JSON_STRING);
    n->string = read_string(r, &n->len);
    return n->string ? n : NULL;
  }
  static const struct { const char *word; JsonKind kind; } words[] = {
      {"null", JSON_NULL}, {"true", JSON_TRUE}, {"false", JSON_FALSE}};
  for (size_t i = 0; i < 3; i++) {
    size_t k = strlen(words[i].word);
    if ((size_t)(r->end - r->p) >= k && memcmp(r->p, words[i].word, k) == 0) {
      r->p += k;
      return node_new(r, words[i].kind);
    }
  }
  /* number -> '-'? int frac? exp? */
  const char *start = r->p;
  if (r->p < r->end && *r->p == '-') r->p++;
  const char *digits = r->p;
  while (r->p < r->end && ((*r->p >= '0' && *r->p <= '9') || strchr(".eE+-", *r->p))) r->p++;
  if (r->p == digits || r->p - start > 64) return fail(r, "unexpected character");
  char buf[80];
  memcpy(buf, start, (size_t)(r->p - start));
  buf[r->p - start] = '\0';
  char *end;
  JsonNode *n = node_new(r, JSON_NUMBER);
  n->number = strtod(buf, &end);
  if (*end != '\0' || !isfinite(n->number)) return fail(r, "a malformed number");
  return n;
}

JsonNode *json_parse(Arena *a, const char *text, size_t len, const char **why) {
  if (len > JSON_MAX_TEXT) {
    *why = "the text is too long";
    return NULL;
  }
  Reader r = {a, text, text + len, NULL, 0};
  JsonNode *n = read_value(&r);
  if (n) {
    skip_space(&r);
    if (r.p != r.end) n = fail(&r, "text after the value");
  }
  if (!n) *why = r.why ? r.why : "malformed";
  return n;
}

const JsonNode *json_get(const JsonNode *node, const char *key) {
  if (!node || node->kind != JSON_OBJECT) return NULL;
  for (size_t i = 0; i < node->len; i++)
    if (strcmp(node->keys[i], key) == 0) return node->items[i];
  return NULL;
}

const char *json_string(const JsonNode *node) {
  return node && node->kind == JSON_STRING ? node->string : NULL;
}

bool json_int(const JsonNode *node, long long *out) {
  if (!node || node->kind != JSON_NUMBER) return false;
  double d = node->number;
  if (!(d >= -9.0e15 && d <= 9.0e15) || (double)(long long)d != d) return false;
  *out = (long long)d;
  return true;
}
