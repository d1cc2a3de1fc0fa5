/* test_bpmn.c — the BPMN reader (compiler/import/bpmn): namespaces under any
 * prefix, encodings, every element family the model keeps, the structural
 * checks, and the hostile XML suite (billion laughs, external entities, deep
 * nesting, huge attributes, bad or lying encodings, not BPMN, empty). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "bpmn.h"

#define NS "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define XMLDECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define OPEN                                                                    \
  XMLDECL "<bpmn:definitions xmlns:bpmn=\"" NS "\"\n"                           \
          "  xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\"\n"           \
          "  xmlns:activiti=\"http://activiti.org/bpmn\"\n"                    \
          "  xmlns:flowable=\"http://flowable.org/bpmn\"\n"                    \
          "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"defs\">\n"
#define CLOSE "</bpmn:definitions>\n"

static BpmnModel *rd_n(const char *xml, size_t n) { return bpmn_read("t.bpmn", xml, n); }
static BpmnModel *rd(const char *xml) { return rd_n(xml, strlen(xml)); }

/* The first message containing text (NULL when none). */
static const BpmnDiag *find_diag(const BpmnModel *m, const char *text) {
  for (uint32_t i = 0; i < m->diags.n; i++) {
    const BpmnDiag *d = m->diags.items[i];
    if (strstr(d->message, text)) return d;
  }
  return NULL;
}

static void print_all(const BpmnModel *m) { bpmn_print_diags(m, stderr); }

/* The model read without any message at all. */
static void assert_clean(const BpmnModel *m) {
  if (m->diags.n) print_all(m);
  assert_int_equal(m->diags.n, 0);
}

/* Refused with an error containing text, on line (0: any line). */
static void assert_refused(const BpmnModel *m, uint32_t line, const char *text) {
  const BpmnDiag *d = find_diag(m, text);
  if (!d || !d->error || (line && d->line != line)) {
    fprintf(stderr, "expected an error on line %u containing \"%s\"; got:\n", line, text);
    print_all(m);
  }
  assert_non_null(d);
  assert_true(d->error);
  if (line) assert_int_equal(d->line, line);
  assert_true(m->errors_n > 0);
}

static BpmnProcess *proc(const BpmnModel *m, uint32_t i) {
  assert_true(i < m->processes.n);
  return m->processes.items[i];
}

static BpmnElement *elem(const BpmnModel *m, const char *id) {
  BpmnElement *e = bpmn_find_element(m, id);
  if (!e) fprintf(stderr, "no element %s\n", id);
  assert_non_null(e);
  return e;
}

static const BpmnEventDef *def0(const BpmnElement *e) {
  assert_true(e->event_defs.n >= 1);
  return e->event_defs.items[0];
}

static double seconds_since(struct timespec t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* ---- namespaces ------------------------------------------------------------------ */

/* The same process under a prefix, another prefix, and the default namespace. */
static void test_any_prefix(void **state) {
  (void)state;
  const char *const docs[] = {
      XMLDECL "<bpmn:definitions xmlns:bpmn=\"" NS "\"><bpmn:process id=\"p\" isExecutable=\"true\">"
              "<bpmn:startEvent id=\"s\"/><bpmn:sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"e\"/>"
              "<bpmn:endEvent id=\"e\"/></bpmn:process></bpmn:definitions>",
      XMLDECL "<semantic:definitions xmlns:semantic=\"" NS "\"><semantic:process id=\"p\" isExecutable=\"true\">"
              "<semantic:startEvent id=\"s\"/><semantic:sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"e\"/>"
              "<semantic:endEvent id=\"e\"/></semantic:process></semantic:definitions>",
      XMLDECL "<definitions xmlns=\"" NS "\"><process id=\"p\" isExecutable=\"true\">"
              "<startEvent id=\"s\"/><sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"e\"/>"
              "<endEvent id=\"e\"/></process></definitions>",
      /* a default namespace declared on an inner element */
      XMLDECL "<b:definitions xmlns:b=\"" NS "\"><process xmlns=\"" NS "\" id=\"p\" isExecutable=\"true\">"
              "<startEvent id=\"s\"/><sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"e\"/>"
              "<endEvent id=\"e\"/></process></b:definitions>",
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    BpmnModel *m = rd(docs[i]);
    assert_clean(m);
    assert_int_equal(m->processes.n, 1);
    BpmnProcess *p = proc(m, 0);
    assert_string_equal(p->id, "p");
    assert_true(p->is_executable);
    assert_int_equal(p->elements.n, 2);
    assert_int_equal(p->flows.n, 1);
    assert_int_equal(elem(m, "s")->kind, BPMN_START_EVENT);
    assert_int_equal(elem(m, "e")->kind, BPMN_END_EVENT);
    bpmn_free(m);
  }
}

static void test_not_bpmn(void **state) {
  (void)state;
  BpmnModel *m = rd(XMLDECL "<definitions xmlns=\"http://not-bpmn\">\n<process id=\"p\"/></definitions>");
  assert_refused(m, 2, "not a BPMN 2.0 file");
  assert_int_equal(m->processes.n, 0);
  bpmn_free(m);
  m = rd(XMLDECL "<html><body/></html>");
  assert_refused(m, 2, "not a BPMN 2.0 file");
  bpmn_free(m);
  /* the right namespace, the wrong root */
  m = rd(XMLDECL "<process xmlns=\"" NS "\" id=\"p\"/>");
  assert_refused(m, 2, "not a BPMN 2.0 file");
  bpmn_free(m);
}

static void test_empty(void **state) {
  (void)state;
  BpmnModel *m = rd_n("", 0);
  assert_refused(m, 1, "empty");
  bpmn_free(m);
  m = rd(" \n\t\n");
  assert_refused(m, 1, "empty");
  bpmn_free(m);
  /* empty definitions are a BPMN file with nothing in it */
  m = rd(XMLDECL "<definitions xmlns=\"" NS "\"/>");
  assert_clean(m);
  assert_int_equal(m->processes.n, 0);
  bpmn_free(m);
}

static void test_unknown_elements(void **state) {
  (void)state;
  BpmnModel *m = rd(OPEN "<bpmn:process id=\"p\">\n"
                         "  <bpmn:frobnicate id=\"x\"/>\n"
                         "  <bpmn:task id=\"t\"><bpmn:extensionElements>\n"
                         "    <camunda:anything><bpmn:notBpmnButInsideAnExtension/><plain/></camunda:anything>\n"
                         "  </bpmn:extensionElements></bpmn:task>\n"
                         "  <unqualified/>\n"
                         "</bpmn:process>\n" CLOSE);
  assert_refused(m, 8, "<frobnicate> is not an element of BPMN 2.0");
  assert_refused(m, 12, "<unqualified> has no namespace");
  assert_int_equal(m->errors_n, 2); /* nothing inside the extension counts */
  bpmn_free(m);
  m = rd(OPEN "<bpmn:categoryValue id=\"c\"/>\n" CLOSE);
  assert_refused(m, 7, "may not stand directly in <definitions>");
  bpmn_free(m);
}

/* ---- encodings -------------------------------------------------------------------- */

#define SMALL_UTF8                                                                     \
  "<definitions xmlns=\"" NS "\"><process id=\"p\" name=\"Pr\xc3\xbc" "fung \xe2\x82\xac\">" \
  "<task id=\"t\"/></process></definitions>"

/* text (ASCII or UTF-8) as UTF-16, with or without a BOM. */
static char *to_utf16(const char *utf8, bool big, bool bom, size_t *len) {
  size_t n = strlen(utf8);
  char *out = malloc(2 * n + 2);
  size_t o = 0;
  if (bom) {
    out[o++] = big ? '\xFE' : '\xFF';
    out[o++] = big ? '\xFF' : '\xFE';
  }
  for (size_t i = 0; i < n;) {
    unsigned c = (unsigned char)utf8[i];
    size_t k = 1;
    if (c >= 0xE0) c = (c & 0x0F) << 12 | ((unsigned char)utf8[i + 1] & 0x3F) << 6 | ((unsigned char)utf8[i + 2] & 0x3F), k = 3;
    else if (c >= 0xC0) c = (c & 0x1F) << 6 | ((unsigned char)utf8[i + 1] & 0x3F), k = 2;
    i += k;
    out[o++] = (char)(big ? c >> 8 : c & 0xFF);
    out[o++] = (char)(big ? c & 0xFF : c >> 8);
  }
  *len = o;
  return out;
}

static void test_utf16(void **state) {
  (void)state;
  const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n" SMALL_UTF8;
  for (int big = 0; big <= 1; big++) {
    for (int bom = 0; bom <= 1; bom++) {
      size_t len;
      char *data = to_utf16(doc, big, bom, &len);
      BpmnModel *m = rd_n(data, len);
      assert_clean(m);
      assert_string_equal(proc(m, 0)->name, "Pr\xc3\xbc" "fung \xe2\x82\xac");
      bpmn_free(m);
      free(data);
    }
  }
}

static void test_latin1_and_windows1252(void **state) {
  (void)state;
  BpmnModel *m = rd("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                    "<definitions xmlns=\"" NS "\"><process id=\"p\" name=\"Pr\xfc" "fung\"/></definitions>");
  assert_clean(m);
  assert_string_equal(proc(m, 0)->name, "Pr\xc3\xbc" "fung");
  assert_string_equal(m->encoding, "ISO-8859-1");
  bpmn_free(m);
  /* 0x80 is the euro sign in windows-1252 (and a control in ISO-8859-1) */
  m = rd("<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n"
         "<definitions xmlns=\"" NS "\"><process id=\"p\" name=\"5 \x80 f\xfcr \x93x\x94\"/></definitions>");
  assert_clean(m);
  assert_string_equal(proc(m, 0)->name, "5 \xe2\x82\xac f\xc3\xbcr \xe2\x80\x9cx\xe2\x80\x9d");
  bpmn_free(m);
}

static void test_invalid_utf8(void **state) {
  (void)state;
  BpmnModel *m = rd(XMLDECL "<definitions xmlns=\"" NS "\">\n"
                            "<process id=\"p\" name=\"caf\xe9 cr\xe8me\"/>\n</definitions>");
  assert_refused(m, 3, "not valid UTF-8");
  bpmn_free(m);
  m = rd(XMLDECL "<definitions xmlns=\"" NS "\">\n\n<process id=\"p\" name=\"x \x80 \xc3\x28\"/></definitions>");
  assert_refused(m, 4, "not valid UTF-8");
  bpmn_free(m);
}

/* Files that lie about their encoding, each refused with a line. */
static void test_lying_encoding(void **state) {
  (void)state;
  /* UTF-8 text labelled ISO-8859-1 */
  BpmnModel *m = rd("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<definitions xmlns=\"" NS "\">\n"
                    "<process id=\"p\" name=\"Pr\xc3\xbc" "fung\"/></definitions>");
  assert_refused(m, 3, "lies about its encoding");
  bpmn_free(m);
  /* labelled UTF-16, 8-bit bytes */
  m = rd("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<definitions xmlns=\"" NS "\"/>");
  assert_refused(m, 1, "not UTF-16");
  bpmn_free(m);
  /* UTF-16 bytes labelled ISO-8859-1 */
  size_t len;
  char *data = to_utf16("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" SMALL_UTF8, false, true, &len);
  m = rd_n(data, len);
  assert_refused(m, 1, "the file is UTF-16");
  bpmn_free(m);
  free(data);
  /* labelled windows-1252, with a byte windows-1252 does not define */
  m = rd("<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<definitions xmlns=\"" NS "\">\n"
         "<process id=\"p\" name=\"x \x81 y\"/></definitions>");
  assert_true(m->errors_n > 0);
  assert_non_null(find_diag(m, "windows-1252"));
  bpmn_free(m);
  /* an encoding libxml2 does not know */
  m = rd("<?xml version=\"1.0\" encoding=\"no-such-encoding\"?>\n<definitions xmlns=\"" NS "\"/>");
  assert_true(m->errors_n > 0);
  bpmn_free(m);
  /* UCS-4 */
  static const char ucs4[] = {0, 0, 0, '<', 0, 0, 0, 'a', 0, 0, 0, '/', 0, 0, 0, '>'};
  m = rd_n(ucs4, sizeof ucs4);
  assert_refused(m, 1, "UCS-4");
  bpmn_free(m);
}

/* libxml2 prints nothing itself, even for errors it raises without a parser
 * context (an encoding conversion failure). */
static void test_libxml2_is_silent(void **state) {
  (void)state;
  char path[] = "/tmp/bpmn-stderr-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  BpmnModel *m = rd("<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<definitions xmlns=\"" NS "\">\n"
                    "<process id=\"p\" name=\"x \x81 y\"/></definitions>");
  BpmnModel *m2 = rd(XMLDECL "<definitions xmlns=\"" NS "\"><process id=\"p\" name=\"\xff\"/></definitions>");
  BpmnModel *m3 = rd(XMLDECL "<definitions xmlns=\"" NS "\"><process></definitions>");
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  off_t size = lseek(fd, 0, SEEK_END);
  close(fd);
  unlink(path);
  assert_true(m->errors_n > 0 && m2->errors_n > 0 && m3->errors_n > 0);
  assert_int_equal(size, 0);
  bpmn_free(m);
  bpmn_free(m2);
  bpmn_free(m3);
}

/* The host's libxml2 settings survive a read: its structured error handler
 * and the thread's last error are as they were, even after errors. */
static int host_errors;
static void host_handler(void *ud, xmlErrorPtr e) {
  (void)ud, (void)e;
  host_errors++;
}

static void test_libxml2_state_kept(void **state) {
  (void)state;
  int marker;
  xmlSetStructuredErrorFunc(&marker, host_handler);
  xmlDocPtr doc = xmlReadMemory("<a>", 3, "host.xml", NULL, XML_PARSE_NONET);
  assert_null(doc);
  int seen = host_errors;
  assert_true(seen > 0);
  const xmlError *before = xmlGetLastError();
  assert_non_null(before);
  int code = before->code;
  BpmnModel *m = rd("<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<definitions xmlns=\"" NS "\">\n"
                    "<process id=\"p\" name=\"x \x81 y\"/></definitions>");
  BpmnModel *m2 = rd(XMLDECL "<definitions xmlns=\"" NS "\"><process></definitions>");
  assert_true(m->errors_n > 0 && m2->errors_n > 0);
  assert_ptr_equal(xmlStructuredError, host_handler);
  assert_ptr_equal(xmlStructuredErrorContext, &marker);
  assert_int_equal(host_errors, seen); /* the host's handler heard nothing of ours */
  assert_non_null(xmlGetLastError());
  assert_int_equal(xmlGetLastError()->code, code);
  assert_non_null(xmlGetLastError()->file);
  assert_string_equal(xmlGetLastError()->file, "host.xml");
  /* and a host without a last error keeps none */
  xmlResetLastError();
  bpmn_free(rd(XMLDECL "<definitions xmlns=\"" NS "\"><process></definitions>"));
  assert_null(xmlGetLastError());
  xmlSetStructuredErrorFunc(NULL, NULL);
  bpmn_free(m);
  bpmn_free(m2);
}

/* ---- the hostile suite ------------------------------------------------------------- */

static void test_billion_laughs(void **state) {
  (void)state;
  const char *doc = XMLDECL "<!DOCTYPE lolz [\n"
                            " <!ENTITY lol \"lol\">\n"
                            " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
                            " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
                            " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
                            " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
                            " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
                            " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
                            " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
                            " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
                            " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
                            "]>\n"
                            "<definitions xmlns=\"" NS "\"><process id=\"p\" name=\"&lol9;\"/></definitions>";
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  BpmnModel *m = rd(doc);
  assert_true(seconds_since(t0) < 1.0);
  assert_refused(m, 2, "document type declaration");
  assert_int_equal(m->processes.n, 0);
  assert_int_equal(m->errors_n, 1);
  bpmn_free(m);
}

/* An external entity naming a local file: refused, and the file never read
 * (its secret appears nowhere in the model or the messages). */
static void test_external_entity(void **state) {
  (void)state;
  char path[] = "/tmp/bpmn-secret-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "SECRET-42", 9), 9);
  close(fd);
  const char *const templates[] = {
      XMLDECL "<!DOCTYPE d [ <!ENTITY xxe SYSTEM \"file://%s\"> ]>\n"
              "<definitions xmlns=\"" NS "\"><process id=\"p\" name=\"&xxe;\"/></definitions>",
      XMLDECL "<!DOCTYPE d SYSTEM \"file://%s\">\n"
              "<definitions xmlns=\"" NS "\"><process id=\"p\" name=\"&xxe;\"/></definitions>",
      XMLDECL "<!DOCTYPE d [ <!ENTITY %% pe SYSTEM \"file://%s\"> %%pe; ]>\n"
              "<definitions xmlns=\"" NS "\"/>",
      XMLDECL "<!DOCTYPE d [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
              "<definitions xmlns=\"" NS "\"><process id=\"p\" name=\"&xxe;\"/></definitions>%s",
  };
  for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
    char doc[1024];
    snprintf(doc, sizeof doc, templates[i], i == 3 ? "" : path);
    BpmnModel *m = rd(doc);
    assert_refused(m, 2, "document type declaration");
    assert_int_equal(m->processes.n, 0);
    for (uint32_t k = 0; k < m->diags.n; k++) {
      const BpmnDiag *d = m->diags.items[k];
      assert_null(strstr(d->message, "SECRET"));
      assert_null(strstr(d->message, "root:"));
    }
    bpmn_free(m);
  }
  /* without a DTD an entity reference is simply undefined */
  BpmnModel *m = rd(XMLDECL "<definitions xmlns=\"" NS "\">\n<process id=\"p\" name=\"&xxe;\"/></definitions>");
  assert_refused(m, 3, "Entity 'xxe' not defined");
  bpmn_free(m);
  unlink(path);
}

static char *repeat_into(char *p, const char *s, size_t times) {
  size_t n = strlen(s);
  for (size_t i = 0; i < times; i++, p += n) memcpy(p, s, n);
  return p;
}

static void test_deep_nesting(void **state) {
  (void)state;
  const size_t depth = 100000;
  const char *head = XMLDECL "<definitions xmlns=\"" NS "\"><extensionElements>\n";
  char *doc = malloc(strlen(head) + depth * 7 + 64);
  char *p = doc + sprintf(doc, "%s", head);
  p = repeat_into(p, "<a>", depth);
  p = repeat_into(p, "</a>", depth);
  p += sprintf(p, "</extensionElements></definitions>");
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  BpmnModel *m = rd_n(doc, (size_t)(p - doc));
  assert_true(seconds_since(t0) < 2.0);
  assert_refused(m, 3, "nested more than 256 deep");
  assert_int_equal(m->errors_n, 1);
  bpmn_free(m);
  /* 250 deep is fine */
  p = doc + sprintf(doc, "%s", head);
  p = repeat_into(p, "<a>", 250);
  p = repeat_into(p, "</a>", 250);
  p += sprintf(p, "</extensionElements></definitions>");
  m = rd_n(doc, (size_t)(p - doc));
  assert_clean(m);
  bpmn_free(m);
  free(doc);
}

/* 100 MB of attributes: refused by the size limit before any parsing; a start
 * tag with too many attributes, by the pre-scan; many elements each with
 * many attributes, within the limits, parse in bounded time. */
static void test_huge_attributes(void **state) {
  (void)state;
  const size_t big = 100u << 20;
  char *doc = malloc(big + 256);
  char *p = doc + sprintf(doc, XMLDECL "<definitions xmlns=\"" NS "\"><process id=\"p\" ");
  size_t i = 0;
  while ((size_t)(p - doc) < big) p += sprintf(p, "a%zu=\"x\" ", i++);
  p += sprintf(p, "/></definitions>");
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  BpmnModel *m = rd_n(doc, (size_t)(p - doc));
  assert_true(seconds_since(t0) < 1.0);
  assert_refused(m, 1, "at most 64 MiB");
  bpmn_free(m);

  /* 8 MB in one start tag: the attribute limit, found in one pass */
  size_t len = 8u << 20;
  p = doc + sprintf(doc, XMLDECL "<definitions xmlns=\"" NS "\">\n\n<process id=\"p\" ");
  for (i = 0; (size_t)(p - doc) < len; i++) p += sprintf(p, "a%zu=\"x\" ", i);
  p += sprintf(p, "/></definitions>");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  m = rd_n(doc, (size_t)(p - doc));
  assert_true(seconds_since(t0) < 2.0);
  assert_refused(m, 4, "more than 128 attributes");
  bpmn_free(m);

  /* 4 MB of elements with 100 attributes each: read, in bounded time */
  len = 4u << 20;
  p = doc + sprintf(doc, XMLDECL "<definitions xmlns=\"" NS "\"><extensionElements>");
  for (size_t e = 0; (size_t)(p - doc) < len; e++) {
    p += sprintf(p, "<x:v xmlns:x=\"urn:x\" ");
    for (i = 0; i < 100; i++) p += sprintf(p, "a%zu=\"%zu\" ", i, e);
    p += sprintf(p, "/>\n");
  }
  p += sprintf(p, "</extensionElements></definitions>");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  m = rd_n(doc, (size_t)(p - doc));
  assert_true(seconds_since(t0) < 10.0);
  assert_clean(m);
  bpmn_free(m);
  free(doc);
}

/* A start tag the pre-scan does not see as one: after a '<' in an attribute
 * value, or after an invalid character in a comment, libxml2 2.9 reports the
 * error and goes on reading what follows as markup, where the pre-scan saw a
 * quoted value or a comment. 120,000 attributes there took libxml2 (which
 * compares them pairwise) some ten seconds; the input now ends at the error. */
static void test_attributes_after_an_error(void **state) {
  (void)state;
  const char *const heads[] = {
      XMLDECL "<definitions xmlns=\"" NS "\">\n<process id=\"p\" name=\"<x ",
      XMLDECL "<definitions xmlns=\"" NS "\">\n<!-- \x01 <x ",
  };
  const char *const errors[] = {"Unescaped '<' not allowed in attributes values",
                                "xmlParseComment: invalid xmlChar value 1"};
  size_t n = 120000;
  char *doc = malloc(n * 16 + 256);
  for (size_t k = 0; k < 2; k++) {
    char *p = doc + sprintf(doc, "%s", heads[k]);
    for (size_t i = 0; i < n; i++) p += sprintf(p, "a%zu=\"\" ", i);
    p += sprintf(p, k == 0 ? "/></process></definitions>" : "/> --></definitions>");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    BpmnModel *m = rd_n(doc, (size_t)(p - doc));
    assert_true(seconds_since(t0) < 2.0);
    assert_refused(m, 3, errors[k]);
    assert_int_equal(m->errors_n, 1);
    bpmn_free(m);
  }
  free(doc);
}

static void test_not_well_formed(void **state) {
  (void)state;
  BpmnModel *m = rd(XMLDECL "<definitions xmlns=\"" NS "\">\n<process id=\"p\">\n</definitions>");
  assert_refused(m, 4, "not well-formed XML: Opening and ending tag mismatch");
  assert_int_equal(m->errors_n, 1);
  bpmn_free(m);
  /* the root's line, though its start tag spans lines and a comment comes first */
  m = rd(XMLDECL "<!-- a\ncomment -->\n<definitions xmlns=\"" NS "\"\n id=\"d\">\n<process id=\"d\"/></definitions>");
  assert_refused(m, 6, "d: duplicate id (the definitions at line 4 has it already)");
  assert_int_equal(m->errors_n, 1);
  bpmn_free(m);
  m = rd(XMLDECL "<definitions xmlns=\"" NS "\"\n id=\"a\" id=\"b\"/>");
  assert_refused(m, 0, "redefined");
  bpmn_free(m);
  m = rd(XMLDECL "<x:definitions xmlns=\"" NS "\"/>");
  assert_refused(m, 2, "x");
  bpmn_free(m);
  /* binary noise */
  char noise[4096];
  unsigned x = 1;
  for (size_t i = 0; i < sizeof noise; i++) x = x * 1103515245u + 12345u, noise[i] = (char)(x >> 16);
  noise[0] = '<';
  m = rd_n(noise, sizeof noise);
  assert_true(m->errors_n > 0);
  bpmn_free(m);
}

static void test_limits(void **state) {
  (void)state;
  /* a condition longer than BPMN_MAX_TEXT */
  size_t n = BPMN_MAX_TEXT + 100;
  char *doc = malloc(n + 1024);
  char *p = doc + sprintf(doc, OPEN "<bpmn:process id=\"p\"><bpmn:sequenceFlow id=\"f\" sourceRef=\"a\" "
                                    "targetRef=\"b\">\n<bpmn:conditionExpression>");
  memset(p, 'x', n);
  p += n;
  p += sprintf(p, "</bpmn:conditionExpression></bpmn:sequenceFlow></bpmn:process>" CLOSE);
  BpmnModel *m = rd_n(doc, (size_t)(p - doc));
  assert_refused(m, 8, "longer than 65536 bytes");
  bpmn_free(m);
  free(doc);
  /* more model objects than BPMN_MAX_OBJECTS */
  doc = malloc((size_t)(BPMN_MAX_OBJECTS + 10) * 40 + 1024);
  p = doc + sprintf(doc, OPEN "<bpmn:process id=\"p\">\n");
  for (int i = 0; i <= BPMN_MAX_OBJECTS + 1; i++) p += sprintf(p, "<bpmn:task id=\"t%d\"/>", i);
  p += sprintf(p, "</bpmn:process>" CLOSE);
  m = rd_n(doc, (size_t)(p - doc));
  assert_refused(m, 8, "more than 200000 elements");
  bpmn_free(m);
  free(doc);
}

/* ---- elements ---------------------------------------------------------------------- */

static const char *const family_doc =
    OPEN
    "<bpmn:message id=\"Msg\" name=\"order received\"/>\n"                                     /* 7 */
    "<bpmn:error id=\"Err\" name=\"rejected\" errorCode=\"E42\"/>\n"                          /* 8 */
    "<bpmn:signal id=\"Sig\" name=\"alarm\"/>\n"                                              /* 9 */
    "<bpmn:escalation id=\"Esc\" name=\"boss\" escalationCode=\"up\"/>\n"                     /* 10 */
    "<bpmn:collaboration id=\"C\"><bpmn:participant id=\"P1\" name=\"Shop\" processRef=\"p\"/>\n" /* 11 */
    "  <bpmn:participant id=\"P2\" name=\"Customer\"/>\n"                                    /* 12 */
    "  <bpmn:messageFlow id=\"MF\" sourceRef=\"P2\" targetRef=\"start\" messageRef=\"Msg\"/></bpmn:collaboration>\n"
    "<bpmn:process id=\"p\" name=\"Orders\" isExecutable=\"true\">\n"                         /* 14 */
    "  <bpmn:laneSet id=\"LS\"><bpmn:lane id=\"L1\" name=\"clerks\">\n"                       /* 15 */
    "    <bpmn:flowNodeRef>approve</bpmn:flowNodeRef> <bpmn:flowNodeRef>vote</bpmn:flowNodeRef>\n"
    "    <bpmn:childLaneSet id=\"LS2\"><bpmn:lane id=\"L2\" name=\"seniors\"><bpmn:flowNodeRef>gw</bpmn:flowNodeRef></bpmn:lane></bpmn:childLaneSet>\n"
    "  </bpmn:lane></bpmn:laneSet>\n"                                                        /* 18 */
    "  <bpmn:startEvent id=\"start\" name=\"Order\"><bpmn:messageEventDefinition messageRef=\"Msg\"/></bpmn:startEvent>\n"
    "  <bpmn:userTask id=\"approve\" name=\"Approve\" camunda:assignee=\"${boss}\"\n"        /* 20 */
    "      camunda:candidateUsers=\"ann,bob\" camunda:candidateGroups=\"sales\" camunda:formKey=\"f1\">\n"
    "    <bpmn:extensionElements><camunda:formData>\n"                                       /* 22 */
    "      <camunda:formField id=\"amount\" label=\"Amount\" type=\"long\"><camunda:validation><camunda:constraint name=\"required\"/></camunda:validation></camunda:formField>\n"
    "      <camunda:formField id=\"ok\" label=\"OK?\" type=\"boolean\"/>\n"                 /* 24 */
    "    </camunda:formData></bpmn:extensionElements>\n"
    "    <bpmn:potentialOwner id=\"po\"><bpmn:resourceAssignmentExpression>\n"               /* 26 */
    "      <bpmn:formalExpression>user(ann), group(sales)</bpmn:formalExpression>\n"
    "    </bpmn:resourceAssignmentExpression></bpmn:potentialOwner>\n"
    "    <bpmn:humanPerformer><bpmn:resourceRef>Res1</bpmn:resourceRef></bpmn:humanPerformer>\n"
    "  </bpmn:userTask>\n"                                                                   /* 30 */
    "  <bpmn:boundaryEvent id=\"late\" attachedToRef=\"approve\" cancelActivity=\"false\">\n"
    "    <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\"> P3D </bpmn:timeDuration></bpmn:timerEventDefinition>\n"
    "  </bpmn:boundaryEvent>\n"
    "  <bpmn:boundaryEvent id=\"fail\" attachedToRef=\"approve\"><bpmn:errorEventDefinition errorRef=\"Err\"/></bpmn:boundaryEvent>\n"
    "  <bpmn:exclusiveGateway id=\"gw\" default=\"f_no\"/>\n"                                /* 35 */
    "  <bpmn:sequenceFlow id=\"f_yes\" sourceRef=\"gw\" targetRef=\"vote\">\n"
    "    <bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\" language=\"juel\">${ok &amp;&amp; amount &gt; 5}</bpmn:conditionExpression>\n"
    "  </bpmn:sequenceFlow>\n"
    "  <bpmn:sequenceFlow id=\"f_no\" sourceRef=\"gw\" targetRef=\"end_err\"/>\n"
    "  <bpmn:userTask id=\"vote\" activiti:assignee=\"kim\">\n"                              /* 40 */
    "    <bpmn:extensionElements><activiti:formProperty id=\"verdict\" name=\"Verdict\" type=\"enum\" required=\"true\"/></bpmn:extensionElements>\n"
    "    <bpmn:multiInstanceLoopCharacteristics isSequential=\"false\" camunda:collection=\"voters\" camunda:elementVariable=\"voter\">\n"
    "      <bpmn:loopCardinality>5</bpmn:loopCardinality>\n"
    "      <bpmn:loopDataInputRef>votersRef</bpmn:loopDataInputRef>\n"
    "      <bpmn:inputDataItem name=\"v\"/>\n"                                               /* 45 */
    "      <bpmn:completionCondition>${nrOfCompletedInstances/nrOfInstances &gt;= 0.6}</bpmn:completionCondition>\n"
    "    </bpmn:multiInstanceLoopCharacteristics>\n"
    "  </bpmn:userTask>\n"
    "  <bpmn:manualTask id=\"pack\"><bpmn:standardLoopCharacteristics testBefore=\"true\" loopMaximum=\"3\"><bpmn:loopCondition>${again}</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:manualTask>\n"
    "  <bpmn:scriptTask id=\"calc\" scriptFormat=\"groovy\"><bpmn:script><![CDATA[x = 1]]></bpmn:script></bpmn:scriptTask>\n" /* 50 */
    "  <bpmn:scriptTask id=\"calc0\" scriptFormat=\"javascript\"><bpmn:script>  </bpmn:script></bpmn:scriptTask>\n"
    "  <bpmn:serviceTask id=\"svc\" implementation=\"##WebService\"/>\n"
    "  <bpmn:sendTask id=\"send\" messageRef=\"Msg\"/><bpmn:receiveTask id=\"recv\" messageRef=\"Msg\" instantiate=\"true\"/>\n"
    "  <bpmn:businessRuleTask id=\"rules\"/><bpmn:task id=\"plain\"/>\n"
    "  <bpmn:callActivity id=\"call\" calledElement=\"other\"/>\n"                           /* 55 */
    "  <bpmn:subProcess id=\"sub\">\n"
    "    <bpmn:startEvent id=\"sub_start\"/><bpmn:endEvent id=\"sub_end\"/>\n"
    "    <bpmn:sequenceFlow id=\"sub_f\" sourceRef=\"sub_start\" targetRef=\"sub_end\"/>\n"
    "    <bpmn:subProcess id=\"evsub\" triggeredByEvent=\"true\">\n"
    "      <bpmn:startEvent id=\"evsub_start\" isInterrupting=\"false\"><bpmn:signalEventDefinition signalRef=\"Sig\"/></bpmn:startEvent>\n" /* 60 */
    "    </bpmn:subProcess>\n"
    "  </bpmn:subProcess>\n"
    "  <bpmn:intermediateCatchEvent id=\"wait\"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n"
    "  <bpmn:intermediateCatchEvent id=\"cond\"><bpmn:conditionalEventDefinition><bpmn:condition language=\"feel\">=x &gt; 5</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>\n"
    "  <bpmn:intermediateThrowEvent id=\"lnk\"><bpmn:linkEventDefinition name=\"jump\"/></bpmn:intermediateThrowEvent>\n" /* 65 */
    "  <bpmn:intermediateThrowEvent id=\"esc\"><bpmn:escalationEventDefinition escalationRef=\"Esc\"/></bpmn:intermediateThrowEvent>\n"
    "  <bpmn:intermediateThrowEvent id=\"comp\"><bpmn:compensateEventDefinition activityRef=\"svc\"/></bpmn:intermediateThrowEvent>\n"
    "  <bpmn:transaction id=\"tx\"><bpmn:endEvent id=\"tx_cancel\"><bpmn:cancelEventDefinition/></bpmn:endEvent></bpmn:transaction>\n"
    "  <bpmn:startEvent id=\"at9\"><bpmn:timerEventDefinition><bpmn:timeDate>2026-01-01T09:00:00Z</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:startEvent>\n"
    "  <bpmn:endEvent id=\"end_err\"><bpmn:errorEventDefinition errorRef=\"Err\"/></bpmn:endEvent>\n" /* 70 */
    "  <bpmn:endEvent id=\"stop\"><bpmn:terminateEventDefinition/></bpmn:endEvent>\n"
    "  <bpmn:endEvent id=\"multi\"><bpmn:messageEventDefinition/><bpmn:signalEventDefinition/></bpmn:endEvent>\n"
    "  <bpmn:parallelGateway id=\"par\"/><bpmn:inclusiveGateway id=\"inc\"/><bpmn:complexGateway id=\"cx\"/>\n"
    "  <bpmn:eventBasedGateway id=\"evgw\" instantiate=\"true\" eventGatewayType=\"Exclusive\"/>\n"
    "  <bpmn:textAnnotation id=\"note\"><bpmn:text>remember</bpmn:text></bpmn:textAnnotation>\n" /* 75 */
    "  <bpmn:association id=\"as\" sourceRef=\"note\" targetRef=\"approve\"/>\n"
    "  <bpmn:group id=\"grp\"/><bpmn:dataObject id=\"do\"/><bpmn:dataObjectReference id=\"dor\" dataObjectRef=\"do\"/>\n"
    "  <bpmn:dataStoreReference id=\"dsr\"/>\n"
    "  <bpmn:adHocSubProcess id=\"adhoc\"><bpmn:completionCondition>${done}</bpmn:completionCondition></bpmn:adHocSubProcess>\n"
    "  <bpmn:task id=\"io\"><bpmn:ioSpecification id=\"ios\"/></bpmn:task>\n"                /* 80 */
    "</bpmn:process>\n"
    "<bpmn:process id=\"other\" isExecutable=\"false\"><bpmn:task id=\"flowable\" flowable:candidateGroups=\"ops\">\n"
    "  <bpmn:extensionElements><flowable:formProperty id=\"note2\" name=\"Note\" type=\"string\"/></bpmn:extensionElements>\n"
    "</bpmn:task></bpmn:process>\n" CLOSE;

static void test_element_families(void **state) {
  (void)state;
  BpmnModel *m = rd(family_doc);
  assert_clean(m);
  assert_string_equal(m->id, "defs");
  assert_int_equal(m->processes.n, 2);
  assert_int_equal(m->messages.n, 1);
  assert_int_equal(m->errors.n, 1);
  assert_int_equal(m->signals.n, 1);
  assert_int_equal(m->escalations.n, 1);
  assert_string_equal(((BpmnRootRef *)m->errors.items[0])->code, "E42");
  assert_string_equal(((BpmnRootRef *)m->messages.items[0])->name, "order received");

  BpmnCollaboration *c = m->collaborations.items[0];
  assert_int_equal(c->participants.n, 2);
  assert_string_equal(((BpmnParticipant *)c->participants.items[0])->process_ref, "p");
  assert_null(((BpmnParticipant *)c->participants.items[1])->process_ref);
  assert_int_equal(c->message_flows.n, 1);

  BpmnProcess *p = proc(m, 0);
  assert_string_equal(p->name, "Orders");
  assert_int_equal(p->line, 14);
  assert_int_equal(p->lanes.n, 2);
  BpmnLane *l1 = p->lanes.items[0], *l2 = p->lanes.items[1];
  assert_string_equal(l1->name, "clerks");
  assert_int_equal(l1->node_refs.n, 2);
  assert_string_equal(l1->node_refs.items[1], "vote");
  assert_ptr_equal(l2->parent, l1);
  assert_string_equal(l2->node_refs.items[0], "gw");

  BpmnElement *e = elem(m, "start");
  assert_int_equal(e->line, 19);
  assert_int_equal(def0(e)->kind, BPMN_DEF_MESSAGE);
  assert_string_equal(def0(e)->ref, "Msg");

  e = elem(m, "approve");
  assert_int_equal(e->kind, BPMN_USER_TASK);
  assert_int_equal(e->line, 20); /* the line of `<`, not of the tag's end */
  assert_string_equal(e->assignee, "${boss}");
  assert_string_equal(e->candidate_users, "ann,bob");
  assert_string_equal(e->candidate_groups, "sales");
  assert_string_equal(e->form_key, "f1");
  assert_int_equal(e->form_fields.n, 2);
  BpmnFormField *ff = e->form_fields.items[0];
  assert_string_equal(ff->id, "amount");
  assert_string_equal(ff->label, "Amount");
  assert_string_equal(ff->type, "long");
  assert_string_equal(ff->vendor, "camunda");
  assert_true(ff->required);
  assert_false(((BpmnFormField *)e->form_fields.items[1])->required);
  assert_int_equal(e->performers.n, 2);
  BpmnPerformer *po = e->performers.items[0];
  assert_int_equal(po->role, BPMN_RES_POTENTIAL_OWNER);
  assert_string_equal(po->expression, "user(ann), group(sales)");
  assert_int_equal(((BpmnPerformer *)e->performers.items[1])->role, BPMN_RES_HUMAN_PERFORMER);
  assert_string_equal(((BpmnPerformer *)e->performers.items[1])->resource_ref, "Res1");

  e = elem(m, "late");
  assert_int_equal(e->kind, BPMN_BOUNDARY_EVENT);
  assert_string_equal(e->attached_to, "approve");
  assert_false(e->cancel_activity);
  assert_int_equal(def0(e)->kind, BPMN_DEF_TIMER);
  assert_int_equal(def0(e)->timer, BPMN_TIMER_DURATION);
  assert_string_equal(def0(e)->text, "P3D");
  e = elem(m, "fail");
  assert_true(e->cancel_activity);
  assert_string_equal(def0(e)->ref, "Err");

  assert_string_equal(elem(m, "gw")->default_flow, "f_no");
  BpmnFlow *f = bpmn_find_flow(m, "f_yes");
  assert_non_null(f);
  assert_string_equal(f->condition, "${ok && amount > 5}");
  assert_string_equal(f->language, "juel");
  assert_null(bpmn_find_flow(m, "f_no")->condition);

  e = elem(m, "vote");
  assert_string_equal(e->assignee, "kim");
  assert_string_equal(((BpmnFormField *)e->form_fields.items[0])->vendor, "activiti");
  assert_true(((BpmnFormField *)e->form_fields.items[0])->required);
  assert_int_equal(e->loop.kind, BPMN_LOOP_MULTI);
  assert_false(e->loop.sequential);
  assert_string_equal(e->loop.collection, "voters");
  assert_string_equal(e->loop.element_variable, "voter");
  assert_string_equal(e->loop.cardinality, "5");
  assert_string_equal(e->loop.data_input_ref, "votersRef");
  assert_string_equal(e->loop.input_item, "v");
  assert_string_equal(e->loop.completion, "${nrOfCompletedInstances/nrOfInstances >= 0.6}");

  e = elem(m, "pack");
  assert_int_equal(e->loop.kind, BPMN_LOOP_STANDARD);
  assert_true(e->loop.test_before);
  assert_string_equal(e->loop.loop_maximum, "3");
  assert_string_equal(e->loop.loop_condition, "${again}");

  assert_true(elem(m, "calc")->has_script);
  assert_string_equal(elem(m, "calc")->script_format, "groovy");
  assert_false(elem(m, "calc0")->has_script);
  assert_string_equal(elem(m, "svc")->implementation, "##WebService");
  assert_string_equal(elem(m, "send")->message_ref, "Msg");
  assert_true(elem(m, "recv")->instantiate);
  assert_int_equal(elem(m, "rules")->kind, BPMN_BUSINESS_RULE_TASK);
  assert_int_equal(elem(m, "plain")->kind, BPMN_TASK);
  assert_string_equal(elem(m, "call")->called_element, "other");

  e = elem(m, "sub");
  assert_int_equal(e->kind, BPMN_SUB_PROCESS);
  assert_int_equal(e->children.n, 3);
  assert_int_equal(e->flows.n, 1);
  assert_ptr_equal(elem(m, "sub_start")->parent, e);
  BpmnElement *ev = elem(m, "evsub");
  assert_true(ev->triggered_by_event);
  assert_ptr_equal(ev->parent, e);
  assert_false(elem(m, "evsub_start")->interrupting);
  assert_int_equal(def0(elem(m, "evsub_start"))->kind, BPMN_DEF_SIGNAL);

  assert_int_equal(def0(elem(m, "wait"))->timer, BPMN_TIMER_CYCLE);
  assert_string_equal(def0(elem(m, "wait"))->text, "R3/PT1H");
  assert_int_equal(def0(elem(m, "cond"))->kind, BPMN_DEF_CONDITIONAL);
  assert_string_equal(def0(elem(m, "cond"))->text, "=x > 5");
  assert_string_equal(def0(elem(m, "cond"))->language, "feel");
  assert_string_equal(def0(elem(m, "lnk"))->link_name, "jump");
  assert_string_equal(def0(elem(m, "esc"))->ref, "Esc");
  assert_string_equal(def0(elem(m, "comp"))->ref, "svc");
  assert_int_equal(def0(elem(m, "tx_cancel"))->kind, BPMN_DEF_CANCEL);
  assert_int_equal(elem(m, "tx")->kind, BPMN_TRANSACTION);
  assert_int_equal(def0(elem(m, "at9"))->timer, BPMN_TIMER_DATE);
  assert_int_equal(def0(elem(m, "end_err"))->kind, BPMN_DEF_ERROR);
  assert_int_equal(def0(elem(m, "stop"))->kind, BPMN_DEF_TERMINATE);
  assert_int_equal(elem(m, "multi")->event_defs.n, 2);
  assert_int_equal(elem(m, "par")->kind, BPMN_PARALLEL_GATEWAY);
  assert_int_equal(elem(m, "inc")->kind, BPMN_INCLUSIVE_GATEWAY);
  assert_int_equal(elem(m, "cx")->kind, BPMN_COMPLEX_GATEWAY);
  assert_string_equal(elem(m, "evgw")->event_gateway_type, "Exclusive");
  assert_int_equal(bpmn_kind_family(elem(m, "note")->kind), BPMN_FAM_ARTIFACT);
  assert_string_equal(elem(m, "as")->target_ref, "approve");
  assert_int_equal(bpmn_kind_family(elem(m, "grp")->kind), BPMN_FAM_ARTIFACT);
  assert_int_equal(bpmn_kind_family(elem(m, "do")->kind), BPMN_FAM_DATA);
  assert_int_equal(bpmn_kind_family(elem(m, "dsr")->kind), BPMN_FAM_DATA);
  assert_int_equal(elem(m, "adhoc")->kind, BPMN_AD_HOC_SUB_PROCESS);

  /* the ioSpecification is listed as read but not modelled, with its owner */
  bool seen = false;
  for (uint32_t i = 0; i < m->ignored.n; i++) {
    BpmnIgnored *g = m->ignored.items[i];
    if (!strcmp(g->element, "ioSpecification")) {
      seen = true;
      assert_string_equal(g->owner_id, "io");
      assert_int_equal(g->line, 80);
    }
  }
  assert_true(seen);

  BpmnProcess *other = proc(m, 1);
  assert_false(other->is_executable);
  e = elem(m, "flowable");
  assert_string_equal(e->candidate_groups, "ops");
  assert_string_equal(((BpmnFormField *)e->form_fields.items[0])->vendor, "flowable");
  assert_string_equal(((BpmnFormField *)e->form_fields.items[0])->label, "Note");
  bpmn_free(m);
}

/* QName-valued attributes: a prefix must be declared in scope; one bound to the
 * targetNamespace or the BPMN model namespace names an element of this file. */
static void test_qnames(void **state) {
  (void)state;
  BpmnModel *m = rd("<bpmn:definitions xmlns:bpmn=\"" NS "\" xmlns:tns=\"urn:t\" targetNamespace=\"urn:t\">\n"
                    "<bpmn:extension definition=\"ino:tInnovator\"/>\n"
                    "<bpmn:message id=\"m\"/>\n"
                    "<bpmn:process id=\"p\"><bpmn:serviceTask id=\"a\"/>\n"
                    "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"tns:a\"><bpmn:messageEventDefinition messageRef=\"bpmn:m\"/></bpmn:boundaryEvent>\n"
                    "<bpmn:receiveTask id=\"r\" messageRef=\"x:m\" xmlns:x=\"urn:t\"/>\n"
                    "<bpmn:receiveTask id=\"q\" messageRef=\"y:m\"/>\n"
                    "<bpmn:dataObject id=\"d\" itemSubjectRef=\"tns:none\"/>\n"
                    "</bpmn:process></bpmn:definitions>\n");
  assert_non_null(find_diag(m, "<extension>: definition \"ino:tInnovator\": the prefix \"ino\" is not declared"));
  assert_non_null(find_diag(m, "q: messageRef \"y:m\": the prefix \"y\" is not declared"));
  assert_int_equal(m->errors_n, 2);
  assert_string_equal(elem(m, "b")->attached_to, "a");
  assert_string_equal(((BpmnEventDef *)elem(m, "b")->event_defs.items[0])->ref, "m");
  assert_string_equal(elem(m, "r")->message_ref, "m"); /* declared on the element itself */
  assert_non_null(find_diag(m, "d: itemSubjectRef \"tns:none\" names no element of this file; ignored"));
  assert_int_equal(m->warnings_n, 1);
  bpmn_free(m);
}

/* The diagram: shapes with bounds, edges with waypoints. */
static void test_diagram(void **state) {
  (void)state;
  BpmnModel *m = rd(OPEN
                    "<bpmn:process id=\"p\"><bpmn:task id=\"t\"/></bpmn:process>\n"
                    "<bpmndi:BPMNDiagram xmlns:bpmndi=\"http://www.omg.org/spec/BPMN/20100524/DI\" "
                    "xmlns:dc=\"http://www.omg.org/spec/DD/20100524/DC\" xmlns:di=\"http://www.omg.org/spec/DD/20100524/DI\">"
                    "<bpmndi:BPMNPlane bpmnElement=\"p\">\n"
                    "<bpmndi:BPMNShape id=\"t_di\" bpmnElement=\"t\"><dc:Bounds x=\"10\" y=\"20.5\" width=\"100\" height=\"80\"/>"
                    "<bpmndi:BPMNLabel><dc:Bounds x=\"1\" y=\"1\" width=\"1\" height=\"1\"/></bpmndi:BPMNLabel></bpmndi:BPMNShape>\n"
                    "<bpmndi:BPMNEdge id=\"e_di\" bpmnElement=\"t\"><di:waypoint x=\"1\" y=\"2\"/><di:waypoint x=\"3\" y=\"4\"/></bpmndi:BPMNEdge>\n"
                    "<bpmndi:BPMNShape id=\"lost\"/>\n"
                    "<bpmndi:BPMNEdge id=\"da\" sourceElement=\"t_di\" targetElement=\"e_di\"/>\n"
                    "<bpmndi:BPMNShape id=\"gone\" bpmnElement=\"nothing\"/>\n"
                    "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n" CLOSE);
  /* BPMN DI 12.2.1: a shape MUST name its element; an edge without one but with
     both ends is the data-association shortcut (drawn by nobody here); a name
     that dangles only loses its drawing */
  assert_int_equal(m->errors_n, 1);
  assert_non_null(find_diag(m, "lost: a BPMNShape without bpmnElement"));
  assert_int_equal(m->warnings_n, 2);
  assert_non_null(find_diag(m, "da: no bpmnElement; this part of the drawing is ignored"));
  assert_non_null(find_diag(m, "gone: bpmnElement \"nothing\" names no element"));
  assert_int_equal(m->shapes.n, 3);
  BpmnShape *s = m->shapes.items[0];
  assert_true(s->has_bounds);
  assert_true(s->x == 10 && s->y == 20.5 && s->w == 100 && s->h == 80);
  BpmnEdge *e = m->edges.items[0];
  assert_int_equal(e->n_points, 2);
  assert_true(e->points[2] == 3 && e->points[3] == 4);
  bpmn_free(m);
}

/* ---- structural checks ------------------------------------------------------------- */

static void test_structural_checks(void **state) {
  (void)state;
  BpmnModel *m = rd(OPEN
                    "<bpmn:process id=\"p\">\n"                                                  /* 7 */
                    "  <bpmn:task id=\"a\"/>\n"                                                  /* 8 */
                    "  <bpmn:task id=\"a\"/>\n"                                                  /* 9 */
                    "  <bpmn:sequenceFlow id=\"f1\" sourceRef=\"a\" targetRef=\"nowhere\"/>\n"  /* 10 */
                    "  <bpmn:sequenceFlow id=\"f2\" targetRef=\"a\"/>\n"                        /* 11 */
                    "  <bpmn:boundaryEvent id=\"b1\" attachedToRef=\"ghost\"/>\n"              /* 12 */
                    "  <bpmn:exclusiveGateway id=\"g\" default=\"f9\"/>\n"                      /* 13 */
                    "  <bpmn:boundaryEvent id=\"b2\" attachedToRef=\"g\"/>\n"                  /* 14 */
                    "  <bpmn:sequenceFlow id=\"f3\" sourceRef=\"p\" targetRef=\"a\"/>\n"        /* 15 */
                    "  <bpmn:exclusiveGateway id=\"g2\" default=\"f1\"/>\n"                     /* 16 */
                    "  <bpmn:lane id=\"L\"/>\n"                                                 /* 17 */
                    "</bpmn:process>\n" CLOSE);
  assert_refused(m, 9, "a: duplicate id (the task at line 8 has it already)");
  assert_refused(m, 10, "f1: targetRef \"nowhere\" names no element");
  assert_refused(m, 11, "f2: no sourceRef");
  assert_refused(m, 12, "b1: attachedToRef \"ghost\" names no element");
  assert_refused(m, 13, "g: default \"f9\" names no element");
  assert_refused(m, 14, "b2: attachedToRef \"g\" names a exclusiveGateway, not an activity");
  assert_refused(m, 15, "f3: sourceRef \"p\" names a process, not a flow node");
  assert_refused(m, 16, "g2: the default flow \"f1\" does not leave this element");
  assert_int_equal(m->errors_n, 8);
  /* unsupported elements are no errors here: the mapping judges them */
  bpmn_free(m);
}

static void test_print_format(void **state) {
  (void)state;
  BpmnModel *m = rd(OPEN "<bpmn:process id=\"p\">\n<bpmn:boundaryEvent id=\"b\" attachedToRef=\"x\"/>\n</bpmn:process>" CLOSE);
  char buf[512] = "";
  FILE *f = fmemopen(buf, sizeof buf, "w");
  bpmn_print_diags(m, f);
  fclose(f);
  assert_string_equal(buf, "t.bpmn:8: error: b: attachedToRef \"x\" names no element of this file\n");
  bpmn_free(m);
}

static void test_sniff(void **state) {
  (void)state;
  assert_true(bpmn_looks_like_xml("<?xml", 5));
  assert_true(bpmn_looks_like_xml("\xEF\xBB\xBF  \n<definitions", 17));
  assert_true(bpmn_looks_like_xml("\xFF\xFE<\0", 4));
  assert_false(bpmn_looks_like_xml("process p {}", 12));
  assert_false(bpmn_looks_like_xml("", 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_any_prefix),
      cmocka_unit_test(test_not_bpmn),
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_unknown_elements),
      cmocka_unit_test(test_utf16),
      cmocka_unit_test(test_latin1_and_windows1252),
      cmocka_unit_test(test_qnames),
      cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_lying_encoding),
      cmocka_unit_test(test_libxml2_is_silent),
      cmocka_unit_test(test_libxml2_state_kept),
      cmocka_unit_test(test_billion_laughs),
      cmocka_unit_test(test_external_entity),
      cmocka_unit_test(test_deep_nesting),
      cmocka_unit_test(test_huge_attributes),
      cmocka_unit_test(test_attributes_after_an_error),
      cmocka_unit_test(test_not_well_formed),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_element_families),
      cmocka_unit_test(test_diagram),
      cmocka_unit_test(test_structural_checks),
      cmocka_unit_test(test_print_format),
      cmocka_unit_test(test_sniff),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
