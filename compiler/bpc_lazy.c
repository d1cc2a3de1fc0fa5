/* bpc_lazy.c — libxml2 and Graphviz, loaded by bpc only when a command needs them.
 *
 * Linked at start, libxml2 (with ICU and the C++ library behind it) and Graphviz
 * were 16 of bpc's shared libraries and about 8 ms of CPU time at every start (a
 * program that only links them: 11 ms against 3 ms), though `check` and `compile`
 * of a `.bp` use neither. bpc is therefore linked without them: this file defines
 * each of their functions that bpc calls, and the first call opens the library by
 * its soname (dlopen) and goes on through the real function. A library that cannot
 * be opened stops bpc with a message naming it (exit status 2, as out of memory).
 *
 * Only bpc links this file. The unit tests and fuzz targets link the libraries
 * themselves, and the code that calls them (the BPMN reader and writer, the
 * diagrams) is the same either way. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlwriter.h>

/* The sonames come from the Makefile (the libraries found at build time). */
#ifndef BPC_XML_SONAME
#define BPC_XML_SONAME "libxml2.so.2"
#endif
#ifndef BPC_GVC_SONAME
#define BPC_GVC_SONAME "libgvc.so.6"
#endif
#ifndef BPC_CGRAPH_SONAME
#define BPC_CGRAPH_SONAME "libcgraph.so.6"
#endif

typedef struct LazyLib {
  const char *soname;
  const char *why; /* what bpc needs it for, for the message */
  void *handle;
} LazyLib;

static LazyLib lib_xml = {BPC_XML_SONAME, "to read and write BPMN", NULL};
static LazyLib lib_cgraph = {BPC_CGRAPH_SONAME, "to draw and lay out diagrams", NULL};
static LazyLib lib_gvc = {BPC_GVC_SONAME, "to draw and lay out diagrams", NULL};

/* `name`: the missing function, or NULL when the library itself cannot be opened. */
static _Noreturn void lazy_fail(const LazyLib *lib, const char *name) {
  const char *err = dlerror();
  if (name)
    fprintf(stderr, "bpc: %s has no %s, which bpc needs %s: %s\n", lib->soname, name, lib->why,
            err ? err : "not found");
  else
    fprintf(stderr, "bpc: cannot load %s, which bpc needs %s: %s\n", lib->soname, lib->why,
            err ? err : "not found");
  exit(2);
}

/* The address of `name` in `lib`, opening the library on first use. RTLD_GLOBAL:
 * Graphviz's plugins, which gvc opens itself, expect cgraph's and gvc's symbols. */
static void *lazy_symbol(LazyLib *lib, const char *name) {
  if (!lib->handle) {
    lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_GLOBAL);
    if (!lib->handle) lazy_fail(lib, NULL);
  }
  void *p = dlsym(lib->handle, name);
  if (!p) lazy_fail(lib, name);
  return p;
}

/* ISO C has no conversion from void * to a function pointer; POSIX guarantees the
 * representation, so the bytes are copied. */
#define LAZY_LOAD(lib, name)                                                                \
  static __typeof__(name) *fn;                                                              \
  if (!fn) {                                                                                \
    void *p = lazy_symbol(&(lib), #name);                                                   \
    memcpy(&fn, &p, sizeof fn);                                                             \
  }

#define LAZY(lib, ret, name, params, args)                                                  \
  ret name params {                                                                         \
    LAZY_LOAD(lib, name)                                                                    \
    return fn args;                                                                         \
  }

#define LAZY_VOID(lib, name, params, args)                                                  \
  void name params {                                                                        \
    LAZY_LOAD(lib, name)                                                                    \
    fn args;                                                                                \
  }

/* ---- libxml2: the BPMN reader (bpmn_xml.c) and writer (export/) ---------------- */
LAZY(lib_xml, xmlStructuredErrorFunc *, __xmlStructuredError, (void), ())
LAZY(lib_xml, void **, __xmlStructuredErrorContext, (void), ())
LAZY_VOID(lib_xml, xmlInitParser, (void), ())
LAZY(lib_xml, xmlParserCtxtPtr, xmlCreateIOParserCtxt,
     (xmlSAXHandlerPtr sax, void *user_data, xmlInputReadCallback ioread,
      xmlInputCloseCallback ioclose, void *ioctx, xmlCharEncoding enc),
     (sax, user_data, ioread, ioclose, ioctx, enc))
LAZY(lib_xml, int, xmlCtxtUseOptions, (xmlParserCtxtPtr ctxt, int options), (ctxt, options))
LAZY(lib_xml, int, xmlParseDocument, (xmlParserCtxtPtr ctxt), (ctxt))
LAZY_VOID(lib_xml, xmlStopParser, (xmlParserCtxtPtr ctxt), (ctxt))
LAZY_VOID(lib_xml, xmlFreeParserCtxt, (xmlParserCtxtPtr ctxt), (ctxt))
LAZY_VOID(lib_xml, xmlFreeDoc, (xmlDocPtr cur), (cur))
LAZY_VOID(lib_xml, xmlSetStructuredErrorFunc, (void *ctx, xmlStructuredErrorFunc handler),
          (ctx, handler))
LAZY(lib_xml, xmlErrorPtr, xmlGetLastError, (void), ())
LAZY(lib_xml, int, xmlCopyError, (xmlErrorPtr from, xmlErrorPtr to), (from, to))
LAZY_VOID(lib_xml, xmlResetError, (xmlErrorPtr err), (err))
LAZY(lib_xml, xmlBufferPtr, xmlBufferCreate, (void), ())
LAZY(lib_xml, const xmlChar *, xmlBufferContent, (const xmlBuffer *buf), (buf))
LAZY(lib_xml, int, xmlBufferLength, (const xmlBuffer *buf), (buf))
LAZY_VOID(lib_xml, xmlBufferFree, (xmlBufferPtr buf), (buf))
LAZY(lib_xml, xmlTextWriterPtr, xmlNewTextWriterMemory, (xmlBufferPtr buf, int compression),
     (buf, compression))
LAZY_VOID(lib_xml, xmlFreeTextWriter, (xmlTextWriterPtr writer), (writer))
LAZY(lib_xml, int, xmlTextWriterSetIndent, (xmlTextWriterPtr writer, int indent),
     (writer, indent))
LAZY(lib_xml, int, xmlTextWriterSetIndentString, (xmlTextWriterPtr writer, const xmlChar *str),
     (writer, str))
LAZY(lib_xml, int, xmlTextWriterSetQuoteChar, (xmlTextWriterPtr writer, xmlChar quotechar),
     (writer, quotechar))
LAZY(lib_xml, int, xmlTextWriterStartDocument,
     (xmlTextWriterPtr writer, const char *version, const char *encoding,
      const char *standalone),
     (writer, version, encoding, standalone))
LAZY(lib_xml, int, xmlTextWriterEndDocument, (xmlTextWriterPtr writer), (writer))
LAZY(lib_xml, int, xmlTextWriterStartElement, (xmlTextWriterPtr writer, const xmlChar *name),
     (writer, name))
LAZY(lib_xml, int, xmlTextWriterEndElement, (xmlTextWriterPtr writer), (writer))
LAZY(lib_xml, int, xmlTextWriterStartAttribute, (xmlTextWriterPtr writer, const xmlChar *name),
     (writer, name))
LAZY(lib_xml, int, xmlTextWriterEndAttribute, (xmlTextWriterPtr writer), (writer))
LAZY(lib_xml, int, xmlTextWriterWriteAttribute,
     (xmlTextWriterPtr writer, const xmlChar *name, const xmlChar *content),
     (writer, name, content))
LAZY(lib_xml, int, xmlTextWriterWriteString, (xmlTextWriterPtr writer, const xmlChar *content),
     (writer, content))
LAZY(lib_xml, int, xmlTextWriterWriteRawLen,
     (xmlTextWriterPtr writer, const xmlChar *content, int len), (writer, content, len))

/* ---- Graphviz: diagrams (diagram/dot.c) and the BPMN writer's layout ------------ */

/* cgraph's constant for a directed graph (its graph.c: directed, a main graph). A
 * value passed to agopen, so bpc's own copy serves before the library is loaded. */
Agdesc_t Agdirected = {.directed = 1, .maingraph = 1};

LAZY(lib_cgraph, Agraph_t *, agopen, (char *name, Agdesc_t desc, Agdisc_t *disc),
     (name, desc, disc))
LAZY(lib_cgraph, int, agclose, (Agraph_t * g), (g))
LAZY(lib_cgraph, Agraph_t *, agsubg, (Agraph_t * g, char *name, int cflag), (g, name, cflag))
LAZY(lib_cgraph, Agnode_t *, agnode, (Agraph_t * g, char *name, int createflag),
     (g, name, createflag))
LAZY(lib_cgraph, Agedge_t *, agedge,
     (Agraph_t * g, Agnode_t *t, Agnode_t *h, char *name, int createflag),
     (g, t, h, name, createflag))
LAZY(lib_cgraph, char *, agnameof, (void *obj), (obj))
LAZY(lib_cgraph, Agsym_t *, agattr, (Agraph_t * g, int kind, char *name, char *value),
     (g, kind, name, value))
LAZY(lib_cgraph, int, agsafeset, (void *obj, char *name, char *value, char *def),
     (obj, name, value, def))
LAZY(lib_cgraph, agerrlevel_t, agseterr, (agerrlevel_t level), (level))
LAZY(lib_cgraph, char *, agstrdup, (Agraph_t * g, char *s), (g, s))
LAZY(lib_cgraph, char *, agstrdup_html, (Agraph_t * g, char *s), (g, s))
LAZY(lib_cgraph, int, agstrfree, (Agraph_t * g, char *s), (g, s))
LAZY(lib_cgraph, int, agwrite, (Agraph_t * g, void *chan), (g, chan))
LAZY(lib_gvc, GVC_t *, gvContext, (void), ())
LAZY(lib_gvc, int, gvLayout, (GVC_t * gvc, graph_t *g, const char *engine), (gvc, g, engine))
LAZY(lib_gvc, int, gvRender, (GVC_t * gvc, graph_t *g, const char *format, FILE *out),
     (gvc, g, format, out))
LAZY(lib_gvc, int, gvFreeLayout, (GVC_t * gvc, graph_t *g), (gvc, g))
LAZY(lib_gvc, int, gvFreeContext, (GVC_t * gvc), (gvc))
