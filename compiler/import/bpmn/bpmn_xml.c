/* bpmn_xml.c — the safe XML layer: libxml2's SAX2 parser behind every limit of
 * bpmn.h, reporting each refusal as `file:line: error: …`.
 *
 * Why SAX and not a tree: memory stays proportional to what the model keeps,
 * not to the input (a tree of 64 MiB of tiny attributes takes gigabytes).
 *
 * The rules (docs/bpmn.md "Safety"):
 * - No network (XML_PARSE_NONET), no DTD loading, no entity substitution. A
 *   document type declaration is refused the moment the parser meets it, before
 *   its internal subset is read: so neither "billion laughs" nor an external
 *   entity (file:///etc/passwd) ever expands. Undeclared entities are then a
 *   well-formedness error.
 * - Size: at most BPMN_MAX_BYTES, checked before parsing. Depth: at most
 *   BPMN_MAX_DEPTH elements (libxml2's own limit without XML_PARSE_HUGE is one
 *   more, so ours speaks first). Attributes: libxml2 2.9 checks duplicate
 *   attributes pairwise (quadratic in their number), so a pre-scan of the raw
 *   bytes refuses a start tag with more than BPMN_MAX_ATTRIBUTES before
 *   libxml2 sees it. Text: the reader caps what it keeps (BPMN_MAX_TEXT);
 *   libxml2 caps names and text nodes itself (no XML_PARSE_HUGE).
 * - Encodings: libxml2 detects UTF-16 by its BOM or first bytes and converts
 *   any declared encoding it knows (UTF-8, UTF-16, ISO-8859-1, windows-1252 …).
 *   A file that lies about its encoding is refused with the line: bytes that
 *   are not valid in the declared encoding (libxml2 finds those), a UTF-16 file
 *   declaring an 8-bit encoding or the reverse, and a file declaring an 8-bit
 *   encoding whose high bytes all form UTF-8 sequences (UTF-8 saved under a
 *   Latin-1 label). UCS-4 and EBCDIC are refused.
 * - libxml2 prints nothing: its errors go to a structured handler set on the
 *   parser context, and for the few it raises without a context (encoding
 *   conversion) the thread's structured handler is set around the parse and
 *   restored after it, as is the thread's "last error": no libxml2 global is
 *   left changed. */
#include "bpmn_int.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>

/* ---- the raw bytes: unit width, declared encoding, attribute pre-scan ---------- */

/* How the file's code units are laid out: 1 byte (UTF-8 and the 8-bit
 * encodings, where every ASCII character is its own byte) or 2 (UTF-16). */
typedef struct Raw {
  const unsigned char *p;
  size_t n;     /* code units */
  int width;    /* 1 or 2 */
  bool big;     /* UTF-16BE */
  size_t start; /* first unit after a byte order mark */
} Raw;

static unsigned raw_at(const Raw *r, size_t i) {
  if (r->width == 1) return r->p[i];
  const unsigned char *q = r->p + 2 * i;
  return r->big ? (unsigned)(q[0] << 8 | q[1]) : (unsigned)(q[1] << 8 | q[0]);
}

/* Does the text at unit i start with the ASCII string s? */
static bool raw_has(const Raw *r, size_t i, const char *s) {
  for (; *s; s++, i++)
    if (i >= r->n || raw_at(r, i) != (unsigned char)*s) return false;
  return true;
}

/* Sets the layout from the first bytes (XML 1.0 appendix F); returns a reason
 * for an encoding the reader refuses, else NULL. */
static const char *raw_detect(Raw *r, const unsigned char *p, size_t len) {
  r->p = p, r->width = 1, r->big = false, r->start = 0, r->n = len;
  if (len >= 4 && ((p[0] == 0 && p[1] == 0) || (p[2] == 0 && p[3] == 0) ||
                   (p[0] == 0xFF && p[1] == 0xFE && p[2] == 0 && p[3] == 0)))
    return "UCS-4 (UTF-32) files are not supported; save it as UTF-8";
  if (len >= 4 && p[0] == 0x4C && p[1] == 0x6F && p[2] == 0xA7 && p[3] == 0x94)
    return "EBCDIC files are not supported; save it as UTF-8";
  if (len >= 2 && ((p[0] == 0xFE && p[1] == 0xFF) || (p[0] == 0xFF && p[1] == 0xFE))) {
    r->width = 2, r->big = p[0] == 0xFE, r->start = 1;
  } else if (len >= 2 && ((p[0] == 0 && p[1] == '<') || (p[0] == '<' && p[1] == 0))) {
    r->width = 2, r->big = p[0] == 0;
  } else if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
    r->start = 3;
  }
  if (r->width == 2) r->n = len / 2;
  return NULL;
}

/* The encoding named by the XML declaration, copied into buf ("" when none). */
static void raw_declared_encoding(const Raw *r, char *buf, size_t cap) {
  buf[0] = '\0';
  size_t i = r->start;
  if (!raw_has(r, i, "<?xml")) return;
  size_t end = i + 5;
  while (end < r->n && end < i + 400 && !raw_has(r, end, "?>")) end++;
  for (size_t k = i + 5; k + 8 < end; k++) {
    if (!raw_has(r, k, "encoding")) continue;
    k += 8;
    while (k < end && (raw_at(r, k) == ' ' || raw_at(r, k) == '\t' || raw_at(r, k) == '\r' ||
                       raw_at(r, k) == '\n' || raw_at(r, k) == '='))
      k++;
    if (k >= end || (raw_at(r, k) != '"' && raw_at(r, k) != '\'')) return;
    unsigned q = raw_at(r, k++);
    size_t o = 0;
    while (k < end && raw_at(r, k) != q && o + 1 < cap) {
      unsigned c = raw_at(r, k++);
      buf[o++] = c < 128 ? (char)c : '?';
    }
    buf[o] = '\0';
    return;
  }
}

static bool name_is(const char *a, const char *b) { /* ASCII, case-insensitive */
  for (; *a && *b; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static bool starts_ci(const char *e, const char *prefix) {
  for (; *prefix; e++, prefix++) {
    char x = *e >= 'A' && *e <= 'Z' ? (char)(*e + 32) : *e;
    char y = *prefix >= 'A' && *prefix <= 'Z' ? (char)(*prefix + 32) : *prefix;
    if (x != y) return false;
  }
  return true;
}

static bool is_utf16_name(const char *e) {
  return name_is(e, "UTF-16") || name_is(e, "UTF-16LE") || name_is(e, "UTF-16BE") ||
         name_is(e, "UTF16");
}

/* An 8-bit encoding other than UTF-8 where a UTF-8 file could be mistaken
 * for one: ISO-8859-*, windows-125*, latin*, cp125*. */
static bool is_8bit_name(const char *e) {
  return starts_ci(e, "ISO-8859-") || starts_ci(e, "ISO8859") || starts_ci(e, "windows-125") ||
         starts_ci(e, "cp125") || starts_ci(e, "latin");
}

/* Line (1-based) of unit i. */
static uint32_t raw_line(const Raw *r, size_t i) {
  uint32_t line = 1;
  for (size_t k = 0; k < i && k < r->n; k++) line += raw_at(r, k) == '\n';
  return line;
}

/* In a file declared 8-bit: the first high byte, when every high byte is part
 * of a well-formed UTF-8 sequence (so the file is UTF-8 under a false label);
 * SIZE_MAX when the bytes are plausibly what they claim. */
static size_t raw_utf8_in_disguise(const Raw *r) {
  size_t first = SIZE_MAX;
  for (size_t i = r->start; i < r->n;) {
    if (r->p[i] < 0x80) {
      i++;
      continue;
    }
    size_t k = utf8_seq_len(r->p + i, r->n - i);
    if (k < 2) return SIZE_MAX; /* not UTF-8: a real 8-bit text */
    if (first == SIZE_MAX) first = i;
    i += k;
  }
  return first;
}

/* Walks the markup without parsing it and returns the unit index of the first
 * start tag with more than BPMN_MAX_ATTRIBUTES attributes (counted by their
 * `=` outside quoted values), or SIZE_MAX. Comments, CDATA sections,
 * processing instructions and declarations are skipped whole. *first_tag
 * gets the index of the first start tag (the root's), SIZE_MAX when none. */
static const bool tag_special[256] = {['"'] = true, ['\''] = true, ['='] = true, ['<'] = true, ['>'] = true};

static size_t tag_end_8bit(const unsigned char *p, size_t n, size_t last, size_t i,
                           unsigned *count) {
  /* From i in a start tag of 1-byte units: the index of its `>` (or of a `<`,
   * or n), counting the `=` outside quoted values into *count (it stops
   * counting past the limit). A quoted value is skipped with memchr. last is
   * the index of the text's last special byte (SIZE_MAX: none). */
  for (; i < n; i++) {
    if (last != SIZE_MAX && i <= last) {
      /* Names and blanks, four bytes a round and no bound to test: p[last]
       * is special, so a byte is read only while every byte before it, from
       * i on, was not, and each of those lies before last. */
      for (;; i += 4) {
        if (tag_special[p[i]]) break;
        if (tag_special[p[i + 1]]) { i += 1; break; }
        if (tag_special[p[i + 2]]) { i += 2; break; }
        if (tag_special[p[i + 3]]) { i += 3; break; }
      }
    } else {
      while (i < n && !tag_special[p[i]]) i++; /* names and blanks */
    }
    if (i == n) break;
    unsigned char c = p[i];
    if (c == '"' || c == '\'') {
      const unsigned char *q = memchr(p + i + 1, c, n - i - 1);
      if (!q) return n;
      i = (size_t)(q - p);
    } else if (c == '=') {
      if (++*count > BPMN_MAX_ATTRIBUTES) return i;
    } else if (c == '>' || c == '<') {
      return i;
    }
  }
  return n;
}

static size_t raw_too_many_attributes(const Raw *r, size_t *first_tag) {
  *first_tag = SIZE_MAX;
  size_t i = r->start, last = SIZE_MAX;
  if (r->width == 1)
    for (size_t k = r->n; k > r->start; k--)
      if (tag_special[r->p[k - 1]]) {
        last = k - 1;
        break;
      }
  while (i < r->n) {
    if (r->width == 1) { /* the common case: memchr finds the next tag */
      const unsigned char *lt = memchr(r->p + i, '<', r->n - i);
      if (!lt) break;
      i = (size_t)(lt - r->p);
    } else if (raw_at(r, i) != '<') {
      i++;
      continue;
    }
    size_t tag = i;
    const char *close = NULL;
    unsigned next = i + 1 < r->n ? raw_at(r, i + 1) : 0;
    if (next != '!' && next != '?') {
      /* a start or end tag: none of the four below (the common case, tested first) */
    } else if (raw_has(r, i, "<!--")) close = "-->";
    else if (raw_has(r, i, "<![CDATA[")) close = "]]>";
    else if (raw_has(r, i, "<?")) close = "?>";
    else if (raw_has(r, i, "<!")) close = ">";
    if (close) {
      i += 2;
      while (i < r->n && !raw_has(r, i, close)) i++;
      i += strlen(close);
      continue;
    }
    unsigned quote = 0, count = 0;
    if (*first_tag == SIZE_MAX) *first_tag = tag;
    if (r->width == 1) {
      i = tag_end_8bit(r->p, r->n, last, i + 1, &count);
      if (count > BPMN_MAX_ATTRIBUTES) return tag;
      if (i < r->n && r->p[i] == '>') i++;
      continue;
    }
    for (i++; i < r->n; i++) {
      unsigned c = raw_at(r, i);
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '=') {
        if (++count > BPMN_MAX_ATTRIBUTES) return tag;
      } else if (c == '>' || c == '<') {
        break;
      }
    }
    if (i < r->n && raw_at(r, i) == '>') i++;
  }
  return SIZE_MAX;
}

/* ---- the parse ---------------------------------------------------------------- */

/* The namespace declarations of the open elements, innermost last. The
 * strings are libxml2's (interned in the parser's dictionary): valid during
 * the parse, read only during a start event. */
struct BpmnXmlScope {
  const char **pairs; /* prefix (NULL: the default namespace), URI; ... */
  size_t n, cap;      /* pairs used and allocated, in strings */
  size_t mark[BPMN_MAX_DEPTH + 2]; /* n before the element at each depth declared its own */
};

const char *bpmn_xml_scope_uri(const BpmnXmlScope *s, const char *prefix, size_t len) {
  if (len == 3 && !memcmp(prefix, "xml", 3)) return "http://www.w3.org/XML/1998/namespace";
  for (size_t i = s->n; i >= 2; i -= 2) {
    const char *p = s->pairs[i - 2];
    if (len == 0 ? !p : p && strlen(p) == len && !memcmp(p, prefix, len)) {
      const char *uri = s->pairs[i - 1];
      return uri && *uri ? uri : NULL; /* xmlns="" undeclares the default namespace */
    }
  }
  return NULL;
}

static void scope_push(BpmnXmlScope *s, uint32_t depth, int nb_ns, const xmlChar **ns) {
  s->mark[depth] = s->n;
  if (s->n + 2 * (size_t)nb_ns > s->cap) {
    s->cap = (s->n + 2 * (size_t)nb_ns) * 2;
    s->pairs = xrealloc(s->pairs, s->cap * sizeof *s->pairs);
  }
  for (int i = 0; i < 2 * nb_ns; i++) s->pairs[s->n++] = (const char *)ns[i];
}

typedef struct XmlRun {
  BpmnModel *m;
  const BpmnXmlHandler *h;
  void *ud;
  xmlParserCtxtPtr ctxt;
  const Raw *raw;
  const char *declared; /* the declared encoding, "" when none */
  uint32_t depth;
  uint32_t mark_line; /* where the next markup starts: the line after the last event */
  uint32_t root_line; /* of the root's start tag, from the pre-scan (nothing before
                         the root is an event that would give it) */
  bool stopped;       /* we stopped the parser and said why */
  bool reported;      /* libxml2 reported an error (only its first is kept) */
  BpmnXmlAttr *attrs;
  int attrs_cap;
  BpmnXmlScope scope;
} XmlRun;

static uint32_t cur_line(const XmlRun *r) {
  if (r->ctxt && r->ctxt->input && r->ctxt->input->line > 0)
    return (uint32_t)r->ctxt->input->line;
  return 1;
}

static void stop(XmlRun *r) {
  r->stopped = true;
  xmlStopParser(r->ctxt);
}

static void after_event(XmlRun *r) { r->mark_line = cur_line(r); }

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **ns, int nb_attrs, int nb_defaulted,
                     const xmlChar **attrs) {
  (void)prefix, (void)nb_defaulted;
  XmlRun *r = ctx;
  if (r->stopped) return;
  uint32_t line = r->depth == 0 ? r->root_line : r->mark_line ? r->mark_line : cur_line(r);
  if (++r->depth > BPMN_MAX_DEPTH) {
    bpmn_error(r->m, line, "elements nested more than %d deep (a BPMN file needs far fewer)",
               BPMN_MAX_DEPTH);
    stop(r);
    return;
  }
  scope_push(&r->scope, r->depth, nb_ns, ns);
  if (nb_attrs > r->attrs_cap) {
    r->attrs_cap = nb_attrs;
    r->attrs = xrealloc(r->attrs, (size_t)nb_attrs * sizeof *r->attrs);
  }
  for (int i = 0; i < nb_attrs; i++) {
    const xmlChar **a = attrs + 5 * i;
    r->attrs[i].local = (const char *)a[0];
    r->attrs[i].uri = (const char *)a[2];
    r->attrs[i].value = (const char *)a[3];
    r->attrs[i].len = (size_t)(a[4] - a[3]);
  }
  if (!r->h->start(r->ud, (const char *)local, (const char *)uri, r->attrs, nb_attrs, line,
                   &r->scope))
    stop(r);
  after_event(r);
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri) {
  (void)local, (void)prefix, (void)uri;
  XmlRun *r = ctx;
  if (r->stopped) return;
  r->scope.n = r->scope.mark[r->depth];
  r->depth--;
  if (!r->h->end(r->ud)) stop(r);
  after_event(r);
}

static void on_text(void *ctx, const xmlChar *s, int n) {
  XmlRun *r = ctx;
  if (r->stopped) return;
  if (!r->h->text(r->ud, (const char *)s, (size_t)n)) stop(r);
  after_event(r);
}

static void on_other(void *ctx, const xmlChar *a, const xmlChar *b) {
  (void)a, (void)b;
  after_event(ctx);
}
static void on_comment(void *ctx, const xmlChar *a) {
  (void)a;
  after_event(ctx);
}

static void refuse_dtd(XmlRun *r) {
  if (r->stopped) return;
  bpmn_error(r->m, cur_line(r),
             "a document type declaration (<!DOCTYPE>) is not allowed: BPMN needs none, and "
             "its entities could expand without bound or read other files");
  stop(r);
}
static void on_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys) {
  (void)name, (void)ext, (void)sys;
  refuse_dtd(ctx);
}
static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                           const xmlChar *sys, xmlChar *content) {
  (void)name, (void)type, (void)pub, (void)sys, (void)content;
  refuse_dtd(ctx);
}
static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name) {
  (void)ctx, (void)name;
  return NULL; /* only the five predefined entities exist */
}

/* libxml2's message on one line: its newlines become "; ", the end trimmed. */
static void add_xml_error(XmlRun *r, uint32_t line, const char *msg) {
  StrBuf b;
  sb_init(&b);
  for (const char *s = msg; *s; s++) {
    if (*s == '\n') {
      if (s[1]) sb_puts(&b, "; ");
    } else {
      sb_putc(&b, *s);
    }
  }
  while (b.len && (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == ';')) b.data[--b.len] = 0;
  bpmn_error(r->m, line, "%s", b.len ? b.data : "not well-formed XML");
  sb_free(&b);
}

static void on_xml_error(void *ud, xmlErrorPtr e) {
  XmlRun *r = ud;
  if (!e || e->level < XML_ERR_ERROR) return; /* warnings (e.g. odd namespace URIs) */
  if (e->code == XML_ERR_USER_STOP || r->stopped || r->reported) return;
  r->reported = true;
  uint32_t line = e->line > 0 ? (uint32_t)e->line : cur_line(r);
  const char *msg = e->message ? e->message : "";
  if (e->code == XML_ERR_INVALID_CHAR || e->code == XML_ERR_INVALID_ENCODING ||
      e->domain == XML_FROM_I18N) {
    StrBuf b;
    sb_init(&b);
    sb_printf(&b, "the bytes are not valid %s (the file lies about its encoding or is damaged): %s",
              r->declared[0] ? r->declared : r->raw->width == 2 ? "UTF-16" : "UTF-8", msg);
    add_xml_error(r, line, b.data);
    sb_free(&b);
    return;
  }
  if (e->domain == XML_FROM_NAMESPACE) {
    add_xml_error(r, line, msg);
    return;
  }
  StrBuf b;
  sb_init(&b);
  sb_printf(&b, "not well-formed XML: %s", msg);
  add_xml_error(r, line, b.data);
  sb_free(&b);
}

static bool only_blanks(const Raw *raw) {
  for (size_t i = raw->start; i < raw->n; i++) {
    unsigned c = raw_at(raw, i);
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

/* Everything that can be refused before libxml2 sees a byte. */
static bool prescan(BpmnModel *m, Raw *raw, const char *data, size_t len, char *declared,
                    size_t cap, uint32_t *root_line) {
  if (len > BPMN_MAX_BYTES) {
    bpmn_error(m, 1, "the file has %zu bytes; a BPMN file may have at most %u MiB", len,
               BPMN_MAX_BYTES >> 20);
    return false;
  }
  const char *why = raw_detect(raw, (const unsigned char *)data, len);
  if (why) {
    bpmn_error(m, 1, "%s", why);
    return false;
  }
  if (only_blanks(raw)) {
    bpmn_error(m, 1, "the file is empty: not a BPMN 2.0 file");
    return false;
  }
  raw_declared_encoding(raw, declared, cap);
  if (raw->width == 2 && declared[0] && !is_utf16_name(declared)) {
    bpmn_error(m, 1, "the file is UTF-16 but its XML declaration says encoding \"%s\"", declared);
    return false;
  }
  if (raw->width == 1 && declared[0] && is_utf16_name(declared)) {
    bpmn_error(m, 1, "the XML declaration says encoding \"%s\" but the file is not UTF-16",
               declared);
    return false;
  }
  if (raw->width == 1 && is_8bit_name(declared)) {
    size_t at = raw_utf8_in_disguise(raw);
    if (at != SIZE_MAX) {
      bpmn_error(m, raw_line(raw, at),
                 "the XML declaration says encoding \"%s\" but the text is UTF-8 (the file "
                 "lies about its encoding; declare UTF-8)",
                 declared);
      return false;
    }
  }
  size_t root;
  size_t tag = raw_too_many_attributes(raw, &root);
  *root_line = root == SIZE_MAX ? 1 : raw_line(raw, root);
  if (tag != SIZE_MAX) {
    bpmn_error(m, raw_line(raw, tag), "an element with more than %d attributes",
               BPMN_MAX_ATTRIBUTES);
    return false;
  }
  m->encoding = arena_strdup(&m->arena, declared[0]                ? declared
                                        : raw->width == 1          ? "UTF-8"
                                        : raw->big                 ? "UTF-16BE"
                                                                   : "UTF-16LE");
  return true;
}

/* libxml2 reads the bytes through a callback, a few KiB at a time, into a
 * buffer it reuses. xmlCreateMemoryParserCtxt would copy the whole file into a
 * buffer of its own first: for a large file that copy and the page faults of its
 * fresh memory were a quarter of the CPU time of `bpc check` (most of it system
 * time). (Its "static" buffers, which read the bytes in place, are no way out:
 * libxml2 2.9 converts only their first line from another encoding, and its
 * parser moves back in them when it frees what it has read.) */
typedef struct MemInput {
  const char *p;
  size_t left;
  xmlParserCtxtPtr ctxt; /* set once the parser exists */
} MemInput;

/* After a fatal error libxml2 2.9 goes on parsing (it only stops calling our
 * handlers), and from a place of its own choosing: after a '<' in an attribute
 * value or an invalid character in a comment it reads what follows as markup,
 * where the attribute pre-scan saw a quoted value or a comment. A start tag
 * there with thousands of attributes would cost what the pre-scan is for
 * (libxml2 compares them pairwise). So once an error has stopped the events
 * (disableSAX), the input ends: nothing after it is read, no diagnostic changes
 * (only libxml2's first error is reported), and what libxml2 still holds is a
 * few KiB. */
static int mem_read(void *ctx, char *buf, int len) {
  MemInput *in = ctx;
  if (in->ctxt && in->ctxt->disableSAX) return 0;
  size_t n = len > 0 ? (size_t)len : 0;
  if (n > in->left) n = in->left;
  memcpy(buf, in->p, n);
  in->p += n, in->left -= n;
  return (int)n;
}

bool bpmn_xml_parse(BpmnModel *m, const char *data, size_t len, const BpmnXmlHandler *h,
                    void *ud) {
  Raw raw;
  char declared[64];
  uint32_t root_line;
  if (!prescan(m, &raw, data, len, declared, sizeof declared, &root_line)) return false;

  xmlInitParser();
  MemInput input = {data, len, NULL};
  xmlParserCtxtPtr ctxt = xmlCreateIOParserCtxt(NULL, NULL, mem_read, NULL, &input, XML_CHAR_ENCODING_NONE);
  if (!ctxt) out_of_memory();
  input.ctxt = ctxt;
  XmlRun r = {.m = m, .h = h, .ud = ud, .ctxt = ctxt, .raw = &raw, .declared = declared,
              .root_line = root_line};

  /* Our handlers only: no tree, no DTD, no entity lookups. ctxt->sax belongs
   * to this context, so nothing outside it changes. */
  xmlSAXHandler *sax = ctxt->sax;
  memset(sax, 0, sizeof *sax);
  sax->initialized = XML_SAX2_MAGIC;
  sax->startElementNs = on_start;
  sax->endElementNs = on_end;
  sax->characters = on_text;
  sax->ignorableWhitespace = on_text;
  sax->cdataBlock = on_text;
  sax->comment = on_comment;
  sax->processingInstruction = on_other;
  sax->internalSubset = on_subset;
  sax->externalSubset = on_subset;
  sax->entityDecl = on_entity_decl;
  sax->getEntity = on_get_entity;
  sax->getParameterEntity = on_get_entity;
  sax->serror = on_xml_error;
  ctxt->userData = &r;
  xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                              XML_PARSE_BIG_LINES);
  ctxt->replaceEntities = 0;
  ctxt->loadsubset = 0;
  ctxt->validate = 0;

  /* For errors raised without a context (encoding conversion): this thread's
   * handler, restored below. */
  xmlStructuredErrorFunc old_fn = xmlStructuredError;
  void *old_ud = xmlStructuredErrorContext;
  xmlSetStructuredErrorFunc(&r, on_xml_error);
  /* libxml2 also copies every error into the thread's "last error": the
   * host's is put back after the parse. */
  xmlError old_last;
  memset(&old_last, 0, sizeof old_last);
  if (xmlGetLastError()) xmlCopyError(xmlGetLastError(), &old_last);
  xmlParseDocument(ctxt);
  xmlErrorPtr last = xmlGetLastError();
  if (last) {
    xmlResetError(last);
    if (old_last.code != XML_ERR_OK) xmlCopyError(&old_last, last);
  }
  xmlResetError(&old_last);
  xmlSetStructuredErrorFunc(old_ud, old_fn);

  bool ok = ctxt->wellFormed && !r.stopped && !r.reported;
  if (!ok && !r.stopped && !r.reported) {
    bpmn_error(m, cur_line(&r), "not well-formed XML");
  }
  if (ctxt->myDoc) xmlFreeDoc(ctxt->myDoc);
  xmlFreeParserCtxt(ctxt);
  free(r.attrs);
  free(r.scope.pairs);
  return ok;
}
