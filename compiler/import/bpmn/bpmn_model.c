/* bpmn_model.c — the model's bookkeeping: names of kinds, messages, the id
 * table (open addressing in the arena), lookups and printing. */
#include "bpmn_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
#define BPMN_KIND_NAME(e, name, fam) name,
    BPMN_KINDS(BPMN_KIND_NAME)
#undef BPMN_KIND_NAME
};
static const BpmnFamily kind_families[] = {
#define BPMN_KIND_FAM(e, name, fam) BPMN_FAM_##fam,
    BPMN_KINDS(BPMN_KIND_FAM)
#undef BPMN_KIND_FAM
};
static const char *const def_names[] = {
#define BPMN_DEF_NAME(e, name) name,
    BPMN_EVENT_DEFS(BPMN_DEF_NAME)
#undef BPMN_DEF_NAME
};

const char *bpmn_kind_name(BpmnKind k) { return k < BPMN_KIND_COUNT ? kind_names[k] : "?"; }
BpmnFamily bpmn_kind_family(BpmnKind k) {
  return k < BPMN_KIND_COUNT ? kind_families[k] : BPMN_FAM_CHOREOGRAPHY;
}
const char *bpmn_event_def_name(BpmnEventDefKind k) {
  return k < BPMN_DEF_COUNT ? def_names[k] : "?";
}

/* ---- messages ----------------------------------------------------------------- */

static void add_diag(BpmnModel *m, bool error, uint32_t line, const char *fmt, va_list ap) {
  StrBuf b;
  sb_init(&b);
  sb_vprintf(&b, fmt, ap);
  BpmnDiag *d = arena_alloc(&m->arena, sizeof *d);
  d->error = error;
  d->line = line;
  d->message = arena_strndup(&m->arena, b.data ? b.data : "", b.len);
  sb_free(&b);
  ptrvec_push(&m->arena, &m->diags, d);
  if (error) m->errors_n++;
  else m->warnings_n++;
}

void bpmn_error(BpmnModel *m, uint32_t line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add_diag(m, true, line, fmt, ap);
  va_end(ap);
}

void bpmn_warning(BpmnModel *m, uint32_t line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add_diag(m, false, line, fmt, ap);
  va_end(ap);
}

void bpmn_print_diags(const BpmnModel *m, FILE *out) {
  for (uint32_t i = 0; i < m->diags.n; i++) {
    const BpmnDiag *d = m->diags.items[i];
    const char *level = d->error ? "error" : "warning";
    if (d->line) fprintf(out, "%s:%u: %s: %s\n", m->path, d->line, level, d->message);
    else fprintf(out, "%s: %s: %s\n", m->path, level, d->message);
  }
}

/* ---- ids ---------------------------------------------------------------------- */

typedef struct IdTable {
  BpmnId **slots;
  uint32_t *hashes; /* of each slot's id: compared before the text, and kept
                       for growing without hashing every id again */
  uint32_t cap, n; /* cap a power of two, kept at most half full */
} IdTable;

/* Eight bytes at a time (ids are some twenty: "approve_4568_di"), each word
 * mixed in by a multiply; the tail byte by byte. Only the table's layout
 * depends on it, never what a lookup answers. */
static uint32_t hash_str(const char *s) {
  const uint64_t k = 0xff51afd7ed558ccdULL;
  size_t n = strlen(s);
  uint64_t h = n * k, w;
  for (; n >= 8; s += 8, n -= 8) {
    memcpy(&w, s, 8);
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  w = 0;
  for (size_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)s[i] << (8 * i);
  h = (h ^ w) * k;
  return (uint32_t)(h ^ h >> 32);
}

/* The slot of id (of hash h): its entry, or the empty slot it would take. */
static uint32_t id_slot(const IdTable *t, const char *id, uint32_t h) {
  uint32_t i = h & (t->cap - 1);
  while (t->slots[i] && (t->hashes[i] != h || !str_eq(t->slots[i]->id, id)))
    i = (i + 1) & (t->cap - 1);
  return i;
}

static void id_grow(BpmnModel *m, IdTable *t) {
  uint32_t old_cap = t->cap;
  BpmnId **old = t->slots;
  uint32_t *old_hashes = t->hashes;
  t->cap = old_cap ? old_cap * 2 : 256;
  t->slots = arena_alloc(&m->arena, t->cap * sizeof *t->slots);
  t->hashes = arena_alloc(&m->arena, t->cap * sizeof *t->hashes);
  for (uint32_t i = 0; i < old_cap; i++) {
    if (!old[i]) continue;
    uint32_t k = old_hashes[i] & (t->cap - 1); /* the ids are distinct: the first free slot */
    while (t->slots[k]) k = (k + 1) & (t->cap - 1);
    t->slots[k] = old[i], t->hashes[k] = old_hashes[i];
  }
}

BpmnId *bpmn_id_add(BpmnModel *m, const char *id, const char *tag, uint32_t line,
                    BpmnIdKind kind, void *obj) {
  IdTable *t = m->ids;
  if (!t) t = m->ids = arena_alloc(&m->arena, sizeof *t);
  if ((t->n + 1) * 2 > t->cap) id_grow(m, t);
  uint32_t h = hash_str(id), i = id_slot(t, id, h);
  if (t->slots[i]) return t->slots[i];
  BpmnId *e = arena_alloc(&m->arena, sizeof *e);
  e->id = id, e->tag = tag, e->line = line, e->kind = kind, e->obj = obj;
  t->slots[i] = e, t->hashes[i] = h;
  t->n++;
  return NULL;
}

BpmnId *bpmn_id_find(const BpmnModel *m, const char *id) {
  const IdTable *t = m->ids;
  if (!t || !id) return NULL;
  return t->slots[id_slot(t, id, hash_str(id))];
}

BpmnElement *bpmn_find_element(const BpmnModel *m, const char *id) {
  BpmnId *e = bpmn_id_find(m, id);
  return e && e->kind == BPMN_ID_ELEMENT ? e->obj : NULL;
}

BpmnFlow *bpmn_find_flow(const BpmnModel *m, const char *id) {
  BpmnId *e = bpmn_id_find(m, id);
  return e && e->kind == BPMN_ID_FLOW ? e->obj : NULL;
}

/* ---- the rest ----------------------------------------------------------------- */

bool bpmn_looks_like_xml(const char *data, size_t len) {
  const unsigned char *p = (const unsigned char *)data;
  if (len >= 2 && ((p[0] == 0xFE && p[1] == 0xFF) || (p[0] == 0xFF && p[1] == 0xFE))) return true;
  if (len >= 2 && ((p[0] == 0 && p[1] == '<') || (p[0] == '<' && p[1] == 0))) return true;
  size_t i = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
  while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
  return i < len && p[i] == '<';
}

void bpmn_free(BpmnModel *m) {
  if (!m) return;
  arena_free(&m->arena);
  free(m);
}
