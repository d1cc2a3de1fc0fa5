/* bx_read.c — a Bitrix template's bytes into a value tree: zlib inflated with
 * an output limit, then PHP serialize() data read strictly (bitrix.h).
 *
 * Only what Bitrix itself accepts is read: N; b: i: d: s: a: — Bitrix
 * unserializes templates with allowed_classes => false, so objects (O:, C:)
 * are refused, and references (r:, R:) have no place in a template. String
 * lengths are bytes and must match exactly; text must be UTF-8; nothing may
 * follow the top value. Every refusal names the byte offset. */
#include "bitrix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct Reader {
  const char *path;
  const unsigned char *b;
  size_t len, pos;
  Arena *arena;
  const char *where; /* "" or " of the inflated data" */
  char *err;
} Reader;

static bool failf(Reader *r, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool failf(Reader *r, size_t off, const char *fmt, ...) {
  if (r->err) return false;
  StrBuf sb;
  sb_init(&sb);
  sb_printf(&sb, "%s: error: at byte %zu%s: ", r->path, off, r->where);
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  r->err = sb_take(&sb);
  return false;
}

bool bx_looks_like_template(const char *bytes, size_t len) {
  const unsigned char *b = (const unsigned char *)bytes;
  if (len >= 2 && (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 == 0) return true;
  if (len < 5 || b[0] != 'a' || b[1] != ':') return false;
  size_t i = 2;
  while (i < len && i < 12 && b[i] >= '0' && b[i] <= '9') i++;
  return i > 2 && i + 1 < len && b[i] == ':' && b[i + 1] == '{';
}

/* ---- inflate ------------------------------------------------------------------ */

/* zlib data (gzcompress) inflated into a malloc'd buffer of at most
 * BX_MAX_INFLATED bytes; NULL with *err on a damaged, truncated or too large
 * stream, or bytes after its end. */
static char *inflate_all(const char *path, const unsigned char *in, size_t len, size_t *out_len, char **err) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit(&z) != Z_OK) {
    *err = xstrdup("bpc: cannot start zlib");
    return NULL;
  }
  size_t cap = len * 4 + 1024, n = 0;
  if (cap > BX_MAX_INFLATED + (size_t)1) cap = BX_MAX_INFLATED + (size_t)1;
  char *out = xmalloc(cap + 1);
  z.next_in = (unsigned char *)in;
  int rc = Z_OK;
  size_t fed = 0;
  StrBuf sb;
  sb_init(&sb);
  for (;;) {
    if (z.avail_in == 0 && fed < len) { /* avail_in is 32-bit: feed in pieces */
      size_t piece = len - fed > (1u << 30) ? (1u << 30) : len - fed;
      z.avail_in = (uInt)piece;
      fed += piece;
    }
    if (n == cap) {
      if (cap > BX_MAX_INFLATED) break;
      cap = cap * 2 > BX_MAX_INFLATED + (size_t)1 ? BX_MAX_INFLATED + (size_t)1 : cap * 2;
      out = xrealloc(out, cap + 1);
    }
    z.next_out = (unsigned char *)out + n;
    z.avail_out = (uInt)(cap - n);
    rc = inflate(&z, Z_NO_FLUSH);
    n = cap - z.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && fed == len) break; /* input ended early */
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
  }
  size_t consumed = len - z.avail_in - (len - fed);
  if (n > BX_MAX_INFLATED) {
    sb_printf(&sb, "%s: error: the compressed template inflates to more than %u bytes (at byte %zu of the file)",
              path, (unsigned)BX_MAX_INFLATED, consumed);
  } else if (rc == Z_STREAM_END) {
    if (consumed != len)
      sb_printf(&sb, "%s: error: at byte %zu: %zu bytes after the end of the zlib data", path, consumed,
                len - consumed);
  } else if (rc == Z_BUF_ERROR || rc == Z_OK) {
    sb_printf(&sb, "%s: error: at byte %zu: the zlib data is truncated (it ends before its end mark)", path, len);
  } else {
    sb_printf(&sb, "%s: error: at byte %zu: damaged zlib data (%s)", path, consumed,
              z.msg ? z.msg : "inflate failed");
  }
  inflateEnd(&z);
  if (sb.len) {
    free(out);
    *err = sb_take(&sb);
    return NULL;
  }
  sb_free(&sb);
  out[n] = '\0';
  *out_len = n;
  return out;
}

/* ---- unserialize ---------------------------------------------------------------- */

static BxValue *new_value(Reader *r, BxKind kind, size_t off) {
  BxValue *v = arena_alloc(r->arena, sizeof *v);
  v->kind = kind;
  v->off = (uint32_t)off;
  return v;
}

static bool expect_char(Reader *r, char c) {
  if (r->pos < r->len && r->b[r->pos] == (unsigned char)c) {
    r->pos++;
    return true;
  }
  if (r->pos >= r->len) return failf(r, r->pos, "the data ends where '%c' was expected", c);
  return failf(r, r->pos, "'%c' expected, found '%c'", c, r->b[r->pos]);
}

/* An optionally signed decimal integer ending at `end`. */
static bool read_int(Reader *r, char end, bool sign, int64_t *out) {
  size_t start = r->pos;
  bool neg = false;
  if (sign && r->pos < r->len && (r->b[r->pos] == '-' || r->b[r->pos] == '+')) neg = r->b[r->pos++] == '-';
  uint64_t v = 0;
  size_t digits = 0;
  while (r->pos < r->len && r->b[r->pos] >= '0' && r->b[r->pos] <= '9') {
    unsigned d = r->b[r->pos++] - '0';
    if (v > (UINT64_C(9223372036854775808) - d) / 10) return failf(r, start, "the number is too large");
    v = v * 10 + d;
    digits++;
  }
  if (!digits) return failf(r, start, "a number expected");
  if (!neg && v > INT64_MAX) return failf(r, start, "the number is too large");
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return expect_char(r, end);
}

static BxValue *read_value(Reader *r, unsigned depth);

static BxValue *read_string(Reader *r, size_t off) {
  int64_t n;
  if (!read_int(r, ':', false, &n)) return NULL;
  if (!expect_char(r, '"')) return NULL;
  if ((uint64_t)n > r->len - r->pos || r->len - r->pos - (size_t)n < 2 || r->b[r->pos + n] != '"' ||
      r->b[r->pos + n + 1] != ';') {
    failf(r, off, "the string's length %lld does not match its bytes (PHP counts bytes, not characters)",
          (long long)n);
    return NULL;
  }
  const unsigned char *s = r->b + r->pos;
  for (size_t i = 0; i < (size_t)n;) {
    size_t k = s[i] < 0x80 ? 1 : utf8_seq_len(s + i, (size_t)n - i);
    if (!k) {
      failf(r, r->pos + i, "the text is not UTF-8");
      return NULL;
    }
    i += k;
  }
  BxValue *v = new_value(r, BX_STRING, off);
  v->u.s.text = arena_strndup(r->arena, (const char *)s, (size_t)n);
  v->u.s.len = (uint32_t)n;
  r->pos += (size_t)n + 2;
  return v;
}

static BxValue *read_float(Reader *r, size_t off) {
  size_t start = r->pos;
  while (r->pos < r->len && r->b[r->pos] != ';') {
    unsigned char c = r->b[r->pos];
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'E' || c == 'e' || c == 'I' ||
          c == 'N' || c == 'F' || c == 'A')) {
      failf(r, r->pos, "a number expected");
      return NULL;
    }
    if (r->pos - start > 64) {
      failf(r, start, "the number is too long");
      return NULL;
    }
    r->pos++;
  }
  if (r->pos == start) {
    failf(r, start, "a number expected");
    return NULL;
  }
  if (!expect_char(r, ';')) return NULL;
  BxValue *v = new_value(r, BX_FLOAT, off);
  v->u.s.text = arena_strndup(r->arena, (const char *)r->b + start, r->pos - 1 - start);
  v->u.s.len = (uint32_t)(r->pos - 1 - start);
  return v;
}

static BxValue *read_array(Reader *r, size_t off, unsigned depth) {
  int64_t n;
  if (!read_int(r, ':', false, &n)) return NULL;
  if (!expect_char(r, '{')) return NULL;
  /* Every member takes at least 6 bytes (`i:0;N;`): a count beyond that is a lie,
   * refused before anything is allocated for it. */
  if ((uint64_t)n > (r->len - r->pos) / 6) {
    failf(r, off, "the array claims %lld members, more than the data holds", (long long)n);
    return NULL;
  }
  BxValue *v = new_value(r, BX_ARRAY, off);
  v->u.a.n = (uint32_t)n;
  v->u.a.keys = arena_alloc(r->arena, sizeof(BxValue *) * (size_t)(n ? n : 1));
  v->u.a.vals = arena_alloc(r->arena, sizeof(BxValue *) * (size_t)(n ? n : 1));
  for (int64_t i = 0; i < n; i++) {
    size_t at = r->pos;
    BxValue *k = read_value(r, depth + 1);
    if (!k) return NULL;
    if (k->kind != BX_INT && k->kind != BX_STRING) {
      failf(r, at, "an array key must be an integer or a string");
      return NULL;
    }
    BxValue *val = read_value(r, depth + 1);
    if (!val) return NULL;
    v->u.a.keys[i] = k;
    v->u.a.vals[i] = val;
  }
  if (!expect_char(r, '}')) return NULL;
  return v;
}

static BxValue *read_value(Reader *r, unsigned depth) {
  size_t off = r->pos;
  if (depth > BX_MAX_DEPTH) {
    failf(r, off, "arrays nested more than %d deep", BX_MAX_DEPTH);
    return NULL;
  }
  if (r->pos >= r->len) {
    failf(r, off, "the data ends where a value was expected");
    return NULL;
  }
  char t = (char)r->b[r->pos++];
  if (t == 'N') {
    if (!expect_char(r, ';')) return NULL;
    return new_value(r, BX_NULL, off);
  }
  switch (t) {
  case 'O': case 'C': case 'o':
    failf(r, off, "a PHP object: Bitrix reads templates without classes (allowed_classes => false)");
    return NULL;
  case 'r': case 'R':
    failf(r, off, "a PHP reference: a template holds plain values only");
    return NULL;
  case 'b': case 'i': case 'd': case 's': case 'a': break;
  default:
    failf(r, off, "'%c' is not a PHP serialize type (N b i d s a)", t);
    return NULL;
  }
  if (!expect_char(r, ':')) return NULL;
  int64_t iv;
  switch (t) {
  case 'b': {
    if (!read_int(r, ';', false, &iv)) return NULL;
    if (iv > 1) {
      failf(r, off, "a bool is 0 or 1");
      return NULL;
    }
    BxValue *v = new_value(r, BX_BOOL, off);
    v->u.b = iv == 1;
    return v;
  }
  case 'i': {
    if (!read_int(r, ';', true, &iv)) return NULL;
    BxValue *v = new_value(r, BX_INT, off);
    v->u.i = iv;
    return v;
  }
  case 'd': return read_float(r, off);
  case 's': return read_string(r, off);
  default: return read_array(r, off, depth);
  }
}

bool bx_read(const char *path, const char *bytes, size_t len, BxDoc *doc, char **err) {
  memset(doc, 0, sizeof *doc);
  *err = NULL;
  arena_init(&doc->arena);
  char *inflated = NULL;
  const char *data = bytes;
  size_t n = len;
  bool plain = len >= 2 && bytes[0] == 'a' && bytes[1] == ':';
  if (!plain) { /* as Bitrix: plain serialize data first, else zlib */
    inflated = inflate_all(path, (const unsigned char *)bytes, len, &n, err);
    if (!inflated) {
      arena_free(&doc->arena);
      return false;
    }
    data = inflated;
    doc->compressed = true;
  }
  if (n > UINT32_MAX) {
    free(inflated);
    arena_free(&doc->arena);
    *err = xstrdup("bpc: the template is larger than 4 GiB");
    return false;
  }
  Reader r = {path, (const unsigned char *)data, n, 0, &doc->arena, doc->compressed ? " of the inflated data" : "",
              NULL};
  BxValue *root = read_value(&r, 0);
  if (root && r.pos != r.len) failf(&r, r.pos, "%zu bytes after the end of the data", r.len - r.pos);
  else if (root && root->kind != BX_ARRAY) failf(&r, 0, "the template is not a PHP array");
  free(inflated);
  if (r.err) {
    *err = r.err;
    arena_free(&doc->arena);
    return false;
  }
  doc->root = root;
  return true;
}

void bx_doc_free(BxDoc *doc) { arena_free(&doc->arena); }

const BxValue *bx_get(const BxValue *a, const char *key) {
  if (!a || a->kind != BX_ARRAY) return NULL;
  size_t kl = strlen(key);
  for (uint32_t i = a->u.a.n; i-- > 0;) { /* PHP keeps the last of a repeated key */
    const BxValue *k = a->u.a.keys[i];
    if (k->kind == BX_STRING && k->u.s.len == kl && memcmp(k->u.s.text, key, kl) == 0) return a->u.a.vals[i];
  }
  return NULL;
}
