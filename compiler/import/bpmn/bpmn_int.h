/* bpmn_int.h — what the files of the BPMN reader share: the safe XML layer's
 * callback interface (bpmn_xml.c), messages and the id table (bpmn_model.c). */
#ifndef BPC_BPMN_INT_H
#define BPC_BPMN_INT_H

#include "bpmn.h"

/* ---- messages ----------------------------------------------------------------- */
void bpmn_error(BpmnModel *m, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bpmn_warning(BpmnModel *m, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- ids ---------------------------------------------------------------------- */
typedef enum { BPMN_ID_ELEMENT, BPMN_ID_FLOW, BPMN_ID_OTHER } BpmnIdKind;

typedef struct BpmnId {
  const char *id;
  const char *tag; /* the element's local name, for messages */
  uint32_t line;
  BpmnIdKind kind;
  void *obj; /* BpmnElement* or BpmnFlow* by kind, else what registered it */
} BpmnId;

/* Registers id; when it is taken already returns the first holder (and
 * registers nothing), else NULL. */
BpmnId *bpmn_id_add(BpmnModel *m, const char *id, const char *tag, uint32_t line,
                    BpmnIdKind kind, void *obj);
BpmnId *bpmn_id_find(const BpmnModel *m, const char *id);

/* ---- the safe XML layer ------------------------------------------------------- */
typedef struct BpmnXmlAttr {
  const char *local, *uri; /* uri NULL when unqualified */
  const char *value;       /* not NUL-terminated: len bytes */
  size_t len;
} BpmnXmlAttr;

/* The namespace declarations in scope at the element being started (XML
 * Namespaces 1.0, 6.1): what the prefix of a QName-valued attribute means. */
typedef struct BpmnXmlScope BpmnXmlScope;

/* The URI bound to the prefix of len bytes (len 0: the default namespace) at
 * the element being started; NULL when no declaration in scope binds it. The
 * prefix `xml` is always bound (XML Namespaces 1.0, 3). */
const char *bpmn_xml_scope_uri(const BpmnXmlScope *s, const char *prefix, size_t len);

/* Callbacks of one parse; each returns false to stop it (having said why with
 * bpmn_error). Names, URIs and the scope stay valid during the call only. */
typedef struct BpmnXmlHandler {
  bool (*start)(void *ud, const char *local, const char *uri, const BpmnXmlAttr *attrs,
                int n_attrs, uint32_t line, const BpmnXmlScope *scope);
  bool (*end)(void *ud);
  bool (*text)(void *ud, const char *s, size_t n);
} BpmnXmlHandler;

/* Parses data with every limit of bpmn.h; reports refusals and libxml2's
 * errors as messages of m. Returns true when the whole document was read. */
bool bpmn_xml_parse(BpmnModel *m, const char *data, size_t len, const BpmnXmlHandler *h,
                    void *ud);

/* ---- the structural checks (bpmn_check.c) ------------------------------------- */
void bpmn_check(BpmnModel *m);

/* ---- modelling warnings (bpmn_lint.c): bpmnlint's rules, as warnings ------------ */
void bpmn_lint(BpmnModel *m, const BpmnProcess *bp);

/* A hash of a pointer (the mixing step of MurmurHash3's finalizer), for the room's
 * open-addressing maps keyed by element. */
static inline uint32_t bpmn_hash_ptr(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (uint32_t)x;
}

#endif
