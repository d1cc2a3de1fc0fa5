/* bpt.c — the `.bpt` bundle: the instruction and built-in tables, CRC-32C, the writer,
 * the reader and the instruction decoder. The verifier is in bpt_verify.c, the listing in
 * bpt_disasm.c; bpt.h describes the format.
 *
 * The reader trusts nothing: every integer is decoded byte by byte (little-endian), every
 * length and count is checked against the bytes left before anything is allocated, and
 * every allocation goes through the caller's allocator into one block list (b->mem). */
#include "bpt.h"
#include "bpt_decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const BptOpInfo bpt_ops[BPT_OP_COUNT] = {
#define OP(name, operands, pops, pushes, flags) {#name, operands, pops, pushes, flags},
#include "opcodes.def"
#undef OP
};

const BptBuiltinInfo bpt_builtins[BPT_BI_COUNT] = {
#define BUILTIN(id, name, nargs) {name, nargs},
#include "builtins.def"
#undef BUILTIN
};

/* A name that filled its array would lose its NUL: refuse to compile instead. */
#define OP(op, ops, pops, pushes, flags)                                                           \
  _Static_assert(sizeof #op <= sizeof bpt_ops[0].name, "opcode name too long: " #op);              \
  _Static_assert(sizeof ops <= sizeof bpt_ops[0].operands, "too many operands: " #op);
#include "opcodes.def"
#undef OP
#define BUILTIN(id, text, nargs)                                                                   \
  _Static_assert(sizeof text <= sizeof bpt_builtins[0].name, "built-in name too long: " text);
#include "builtins.def"
#undef BUILTIN

const char *bpt_type_name(unsigned t) {
  switch (t) {
  case BPT_T_VOID: return "nothing";
  case BPT_T_STRING: return "string";
  case BPT_T_INT: return "int";
  case BPT_T_DECIMAL: return "decimal";
  case BPT_T_BOOL: return "bool";
  case BPT_T_DATE: return "date";
  case BPT_T_DATETIME: return "datetime";
  case BPT_T_DURATION: return "duration";
  case BPT_T_USER: return "user";
  case BPT_T_TASK_RESULT: return "task result";
  case BPT_T_APPROVE_RESULT: return "approval result";
  case BPT_T_REVIEW_RESULT: return "review result";
  case BPT_T_REQUEST_RESULT: return "request result";
  case BPT_T_LIST | BPT_T_VOID: return "empty list";
  case BPT_T_LIST | BPT_T_USER: return "users";
  case BPT_T_LIST | BPT_T_STRING: return "list of string";
  case BPT_T_LIST | BPT_T_INT: return "list of int";
  case BPT_T_LIST | BPT_T_DECIMAL: return "list of decimal";
  case BPT_T_LIST | BPT_T_BOOL: return "list of bool";
  case BPT_T_LIST | BPT_T_DATE: return "list of date";
  case BPT_T_LIST | BPT_T_DATETIME: return "list of datetime";
  case BPT_T_LIST | BPT_T_DURATION: return "list of duration";
  }
  return "unknown type";
}

bool bpt_type_valid(unsigned type) {
  if (type <= BPT_T_USER) return true;
  if (type >= BPT_T_TASK_RESULT && type <= BPT_T_REQUEST_RESULT) return true;
  return (type & ~0x7Fu) == BPT_T_LIST && (type & 0x7Fu) <= BPT_T_USER;
}

/* ---- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) --------------------------- */

/* bpt_crc32c is in bpt_crc.c (eight bytes a step). */

bool bpt_source_matches(const BptBundle *b, const char *text, size_t len) {
  return b->source_known && len == b->source_size && bpt_crc32c(0, text, len) == b->source_crc;
}

/* ---- writer -------------------------------------------------------------------------- */

/* A growable byte buffer; the first failure sticks and is reported once at the end. */
typedef struct Out {
  uint8_t *p;
  size_t n, cap;
  BptAllocFn alloc;
  void *ud;
  bool oom, too_large;
} Out;

/* Room for n more bytes (n > 0), o->n moved past them, to be written in place; NULL when
 * the bundle cannot take them, and then oom or too_large says why. */
static uint8_t *reserve(Out *o, size_t n) {
  if (o->oom || o->too_large) return NULL;
  if (n > (size_t)UINT32_MAX - o->n) { /* the size field is a u32 */
    o->too_large = true;
    return NULL;
  }
  if (o->cap - o->n < n) {
    size_t cap = o->cap ? o->cap : 256;
    while (cap - o->n < n) cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    uint8_t *p = o->alloc(o->ud, o->p, o->cap, cap);
    if (!p) {
      o->oom = true;
      return NULL;
    }
    o->p = p;
    o->cap = cap;
  }
  uint8_t *at = o->p + o->n;
  o->n += n;
  return at;
}

static void put_slow(Out *o, const void *src, size_t n) {
  if (n == 0) return;
  uint8_t *at = reserve(o, n);
  if (at) memcpy(at, src, n);
}

/* Inlined, so that the fixed-size puts below copy without a call when there is room
 * (a bundle is written a few bytes at a time); the rest is put_slow's. */
static inline void put(Out *o, const void *src, size_t n) {
  if (!o->oom && !o->too_large && n <= o->cap - o->n && n <= (size_t)UINT32_MAX - o->n) {
    if (n) memcpy(o->p + o->n, src, n);
    o->n += n;
    return;
  }
  put_slow(o, src, n);
}

static void put_u8(Out *o, unsigned v) {
  uint8_t b = (uint8_t)v;
  put(o, &b, 1);
}

static void put_u16(Out *o, unsigned v) {
  uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  put(o, b, 2);
}

static void put_u32(Out *o, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  put(o, b, 4);
}

static void put_u64(Out *o, uint64_t v) {
  put_u32(o, (uint32_t)v);
  put_u32(o, (uint32_t)(v >> 32));
}

/* One store on a little-endian host: gcc did not merge the four byte stores in the
 * loops of write_lines and write_graph (about 1,000,000 of them at 100,000 lines). */
static void set_u32(uint8_t *p, uint32_t v) {
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(p, &v, 4);
#else
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
#endif
}

/* In room reserved for the whole section, as the graph: two puts a string, each checked
 * for room, were 80,000 at 100,000 lines. */
static void write_strings(Out *o, const BptBundle *b) {
  uint64_t n = 4;
  for (uint32_t i = 0; i < b->nstrings; i++) n += 4 + (uint64_t)b->strings[i].len;
  if (n > UINT32_MAX) { /* reserve's check, before a size_t of 32 bits could wrap */
    o->too_large = true;
    return;
  }
  uint8_t *at = reserve(o, (size_t)n);
  if (!at) return;
  set_u32(at, b->nstrings);
  at += 4;
  for (uint32_t i = 0; i < b->nstrings; i++) {
    uint32_t len = b->strings[i].len;
    set_u32(at, len);
    if (len) memcpy(at + 4, b->strings[i].data, len);
    at += 4 + (size_t)len;
  }
}

/* The payload of a constant depends on its type: an unknown type cannot be written. */
static bool write_consts(Out *o, const BptBundle *b, BptError *err) {
  put_u32(o, b->nconsts);
  for (uint32_t i = 0; i < b->nconsts; i++) {
    const BptConst *c = &b->consts[i];
    put_u8(o, c->type);
    switch (c->type) {
    case BPT_T_INT:
    case BPT_T_DATETIME:
    case BPT_T_DURATION: put_u64(o, (uint64_t)c->i); break;
    case BPT_T_DECIMAL:
      put_u64(o, (uint64_t)c->i);
      put_u8(o, c->scale);
      break;
    case BPT_T_BOOL: put_u8(o, (unsigned)(c->i & 0xFF)); break; /* as is: the reader checks */
    case BPT_T_STRING:
    case BPT_T_USER: put_u32(o, c->str); break;
    case BPT_T_DATE: put_u32(o, (uint32_t)c->i); break;
    default:
      if (!bpt_type_valid(c->type) || !(c->type & BPT_T_LIST)) {
        snprintf(err->message, sizeof err->message,
                 "constant %u has type 0x%02x, which no constant can have", i, c->type);
        return false;
      }
      put_u32(o, c->nitems);
      for (uint32_t j = 0; j < c->nitems; j++) put_u32(o, c->items[j]);
    }
  }
  return true;
}

static void write_doctypes(Out *o, const BptBundle *b) {
  put_u32(o, b->ndoctypes);
  for (uint32_t i = 0; i < b->ndoctypes; i++) {
    const BptDoctype *d = &b->doctypes[i];
    put_u32(o, d->name);
    put_u32(o, d->nfields);
    for (uint32_t j = 0; j < d->nfields; j++) {
      put_u32(o, d->fields[j].name);
      put_u8(o, d->fields[j].type);
      put_u16(o, d->fields[j].def);
    }
  }
}

static void write_actions(Out *o, const BptBundle *b) {
  put_u32(o, b->nactions);
  for (uint32_t i = 0; i < b->nactions; i++) {
    const BptAction *a = &b->actions[i];
    put_u32(o, a->name);
    put_u8(o, a->result);
    put_u8(o, a->nparams);
    for (unsigned j = 0; j < a->nparams; j++) {
      put_u32(o, a->params[j].name);
      put_u8(o, a->params[j].type);
    }
  }
}

static void write_step(Out *o, const BptStep *s) {
  put_u8(o, s->kind);
  put_u8(o, s->mode);
  put_u8(o, s->flags);
  put_u8(o, s->nreminds);
  put_u16(o, s->result);
  put_u32(o, s->timeout_pc);
  for (unsigned i = 0; i < s->nreminds; i++) put_u32(o, s->remind_pc[i]);
  put_u16(o, s->nfields);
  for (unsigned i = 0; i < s->nfields; i++) {
    const BptReqField *f = &s->fields[i];
    put_u32(o, f->name);
    put_u32(o, f->label);
    put_u8(o, f->type);
    put_u8(o, f->to_slot);
    put_u16(o, f->index);
  }
  put_u32(o, s->node);
  put_u8(o, s->nafters);
  for (unsigned i = 0; i < s->nafters; i++) {
    put_u8(o, s->after_flags[i]);
    put_u32(o, s->after_pc[i]);
  }
}

static void write_state(Out *o, const BptState *s) {
  put_u32(o, s->name);
  put_u32(o, s->label);
  put_u8(o, s->final);
  put_u32(o, s->enter_pc);
  put_u16(o, s->ncommands);
  for (unsigned i = 0; i < s->ncommands; i++) {
    const BptCommand *c = &s->commands[i];
    put_u32(o, c->name);
    put_u32(o, c->label);
    put_u32(o, c->by_pc);
    put_u16(o, c->target);
    put_u32(o, c->body_pc);
  }
}

static void write_process(Out *o, const BptProcess *p) {
  put_u32(o, p->name);
  put_u32(o, p->title);
  put_u16(o, p->doctype);
  put_u8(o, p->trigger);
  put_u8(o, p->ntrigger_fields);
  for (unsigned i = 0; i < p->ntrigger_fields; i++) put_u16(o, p->trigger_fields[i]);
  put_u32(o, p->when_pc);
  put_u32(o, p->code_offset);
  put_u32(o, p->code_size);
  put_u32(o, p->entry_pc);
  put_u16(o, p->ngroups);
  put_u16(o, p->nslots);
  for (unsigned i = 0; i < p->nslots; i++) {
    put_u32(o, p->slots[i].name);
    put_u8(o, p->slots[i].type);
    put_u8(o, p->slots[i].kind);
  }
  put_u16(o, p->nparams);
  for (unsigned i = 0; i < p->nparams; i++) {
    put_u16(o, p->params[i].slot);
    put_u32(o, p->params[i].label);
    put_u8(o, p->params[i].required);
  }
  put_u16(o, p->nsteps);
  for (unsigned i = 0; i < p->nsteps; i++) write_step(o, &p->steps[i]);
  put_u16(o, p->nstates);
  for (unsigned i = 0; i < p->nstates; i++) write_state(o, &p->states[i]);
  put_u32(o, p->first_line);
  put_u32(o, p->nlines);
  put_u32(o, p->first_node);
  put_u32(o, p->nnodes);
  put_u32(o, p->first_edge);
  put_u32(o, p->nedges);
  put_u32(o, p->schedule);
}

static void write_processes(Out *o, const BptBundle *b) {
  put_u32(o, b->nprocesses);
  for (uint32_t i = 0; i < b->nprocesses; i++) write_process(o, &b->processes[i]);
}

/* The many fixed-size records (lines, nodes, edges) are put whole: one put a record
 * instead of one for each of its fields. */
static void write_lines(Out *o, const BptBundle *b) {
  put_u32(o, b->source_file);
  put_u32(o, b->source_size);
  put_u32(o, b->source_crc);
  put_u32(o, b->nlines);
  uint8_t *rec = b->nlines ? reserve(o, (size_t)12 * b->nlines) : NULL;
  for (uint32_t i = 0; rec && i < b->nlines; i++, rec += 12) {
    set_u32(rec, b->lines[i].pc);
    set_u32(rec + 4, b->lines[i].line);
    set_u32(rec + 8, b->lines[i].col);
  }
}

/* The nodes and the edges are written in place, in room reserved for all of them: a put
 * for each record checked for room each time (150,000 records at 100,000 lines). */
static void write_graph(Out *o, const BptBundle *b) {
  put_u32(o, b->nnodes);
  uint8_t *rec = b->nnodes ? reserve(o, (size_t)25 * b->nnodes) : NULL;
  for (uint32_t i = 0; rec && i < b->nnodes; i++, rec += 25) {
    const BptNode *n = &b->nodes[i];
    rec[0] = n->kind;
    set_u32(rec + 1, n->id);
    set_u32(rec + 5, n->title);
    set_u32(rec + 9, n->detail);
    set_u32(rec + 13, n->line);
    set_u32(rec + 17, n->col);
    set_u32(rec + 21, n->cluster);
  }
  put_u32(o, b->nedges);
  rec = b->nedges ? reserve(o, (size_t)13 * b->nedges) : NULL;
  for (uint32_t i = 0; rec && i < b->nedges; i++, rec += 13) {
    const BptEdge *e = &b->edges[i];
    set_u32(rec, e->from);
    set_u32(rec + 4, e->to);
    rec[8] = e->kind;
    set_u32(rec + 9, e->label);
  }
}

/* Room for the bundle in one allocation, most of the time: the exact size of the
 * strings, the code, the lines and the graph, which are nearly all of a large bundle,
 * and a guess for the rest (the buffer grows if it is short, and is cut to size at
 * the end; pages never written are never touched). */
static size_t size_hint(const BptBundle *b) {
  size_t n = 64 * 1024 + (size_t)b->code_size + 12 * (size_t)b->nlines + 25 * (size_t)b->nnodes +
             13 * (size_t)b->nedges + 20 * (size_t)b->nconsts + 256 * (size_t)b->nprocesses;
  for (uint32_t i = 0; i < b->nstrings; i++) n += 4 + (size_t)b->strings[i].len;
  return n + n / 8;
}

enum { TABLE_END = BPT_HEADER_SIZE + BPT_SEC_COUNT * 12 };

bool bpt_write(BptBundle *b, BptAllocFn alloc, void *ud, uint8_t **out, size_t *out_len,
               BptError *err) {
  Out o = {.alloc = alloc, .ud = ud};
  uint8_t head[TABLE_END] = {0};
  uint32_t start[BPT_SEC_COUNT + 1];
  *out = NULL;
  *out_len = 0;
  size_t hint = size_hint(b);
  if (hint <= UINT32_MAX) {
    o.p = alloc(ud, NULL, 0, hint);
    if (o.p) o.cap = hint;
    else o.oom = true;
  }
  put(&o, head, sizeof head); /* filled in at the end */
  for (int s = BPT_SEC_STRINGS; s <= BPT_SEC_GRAPH; s++) {
    start[s - 1] = (uint32_t)o.n;
    switch ((BptSection)s) {
    case BPT_SEC_STRINGS: write_strings(&o, b); break;
    case BPT_SEC_CONSTS:
      if (!write_consts(&o, b, err)) {
        if (o.p) alloc(ud, o.p, o.cap, 0);
        return false;
      }
      break;
    case BPT_SEC_DOCTYPES: write_doctypes(&o, b); break;
    case BPT_SEC_ACTIONS: write_actions(&o, b); break;
    case BPT_SEC_PROCESSES: write_processes(&o, b); break;
    case BPT_SEC_CODE: put(&o, b->code, b->code_size); break;
    case BPT_SEC_LINES: write_lines(&o, b); break;
    case BPT_SEC_GRAPH: write_graph(&o, b); break;
    }
  }
  start[BPT_SEC_COUNT] = (uint32_t)o.n;
  if (o.oom || o.too_large) {
    snprintf(err->message, sizeof err->message,
             o.oom ? "out of memory writing the bundle"
                   : "the bundle would be larger than 4 GiB, the format's limit");
    if (o.p) alloc(ud, o.p, o.cap, 0);
    return false;
  }
  memcpy(o.p, BPT_MAGIC, 4);
  o.p[4] = BPT_MAJOR & 0xFF, o.p[5] = BPT_MAJOR >> 8;
  o.p[6] = BPT_MINOR & 0xFF, o.p[7] = BPT_MINOR >> 8;
  set_u32(o.p + 8, (uint32_t)o.n);
  set_u32(o.p + 16, BPT_SEC_COUNT);
  set_u32(o.p + 20, 0);
  for (int s = 0; s < BPT_SEC_COUNT; s++) {
    uint8_t *e = o.p + BPT_HEADER_SIZE + 12 * s;
    set_u32(e, (uint32_t)s + 1);
    set_u32(e + 4, start[s]);
    set_u32(e + 8, start[s + 1] - start[s]);
  }
  b->crc = bpt_crc32c(0, o.p + BPT_HEADER_SIZE, o.n - BPT_HEADER_SIZE);
  set_u32(o.p + 12, b->crc);
  /* Give back the slack so the caller frees exactly *out_len bytes. */
  if (o.cap != o.n) {
    uint8_t *p = alloc(ud, o.p, o.cap, o.n);
    if (p) o.p = p, o.cap = o.n;
  }
  if (o.cap != o.n) { /* the allocator could not shrink: copy */
    uint8_t *p = alloc(ud, NULL, 0, o.n);
    if (!p) {
      alloc(ud, o.p, o.cap, 0);
      snprintf(err->message, sizeof err->message, "out of memory writing the bundle");
      return false;
    }
    memcpy(p, o.p, o.n);
    alloc(ud, o.p, o.cap, 0);
    o.p = p;
  }
  *out = o.p;
  *out_len = o.n;
  return true;
}

/* ---- reader: memory ------------------------------------------------------------------ */

/* bpt_read's allocations: a list of blocks, each carved up by bumping. */
typedef struct Block {
  struct Block *next;
  size_t size, used; /* size: the whole allocation, header included */
  max_align_t data[];
} Block;

enum { BLOCK_MIN = 4096, BLOCK_MAX = 256 * 1024 };

static void free_blocks(Block *blk, BptAllocFn alloc, void *ud) {
  while (blk) {
    Block *next = blk->next;
    alloc(ud, blk, blk->size, 0);
    blk = next;
  }
}

void bpt_free(BptBundle *b, BptAllocFn alloc, void *ud) {
  free_blocks(b->mem, alloc, ud);
  memset(b, 0, sizeof *b);
}

/* ---- reader: decoding ---------------------------------------------------------------- */

typedef struct Reader {
  const uint8_t *p; /* the current section */
  size_t pos, end;
  const char *section;
  const char *what1, *what2; /* what is being read, for messages: "process 2, step 1" */
  uint32_t index1, index2;
  bool failed;
  BptError *err;
  BptAllocFn alloc;
  void *ud;
  Block *blocks;
  size_t next_block;
  BptBundle *b;
} Reader;

/* (A switch, not a table of pointers: the runtime has no relocated data at all.) */
static const char *section_name(unsigned id) {
  switch (id) {
  case BPT_SEC_STRINGS: return "STRINGS";
  case BPT_SEC_CONSTS: return "CONSTS";
  case BPT_SEC_DOCTYPES: return "DOCTYPES";
  case BPT_SEC_ACTIONS: return "ACTIONS";
  case BPT_SEC_PROCESSES: return "PROCESSES";
  case BPT_SEC_CODE: return "CODE";
  case BPT_SEC_LINES: return "LINES";
  case BPT_SEC_GRAPH: return "GRAPH";
  }
  return "?";
}

/* Records the first failure as "section X, what i, what j: message". */
static bool rfail(Reader *r, const char *fmt, ...) {
  if (r->failed) return false;
  r->failed = true;
  char *m = r->err->message;
  size_t cap = sizeof r->err->message, n = 0;
  n += (size_t)snprintf(m, cap, "section %s", r->section);
  if (r->what1 && n < cap) n += (size_t)snprintf(m + n, cap - n, ", %s %u", r->what1, r->index1);
  if (r->what2 && n < cap) n += (size_t)snprintf(m + n, cap - n, ", %s %u", r->what2, r->index2);
  if (n < cap) n += (size_t)snprintf(m + n, cap - n, ": ");
  if (n < cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m + n, cap - n, fmt, ap);
    va_end(ap);
  }
  return false;
}

static inline bool need(Reader *r, size_t n) {
  if (r->failed) return false;
  if (r->end - r->pos >= n) return true;
  return rfail(r, "cut off at byte %zu of %zu (%zu more needed)", r->pos, r->end, n);
}

static inline uint8_t rd_u8(Reader *r) { return need(r, 1) ? r->p[r->pos++] : 0; }

static inline uint16_t rd_u16(Reader *r) {
  if (!need(r, 2)) return 0;
  const uint8_t *q = r->p + r->pos;
  r->pos += 2;
  return (uint16_t)(q[0] | (unsigned)q[1] << 8);
}

static inline uint32_t rd_u32(Reader *r) {
  if (!need(r, 4)) return 0;
  const uint8_t *q = r->p + r->pos;
  r->pos += 4;
  return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

static uint64_t rd_u64(Reader *r) {
  uint64_t lo = rd_u32(r);
  return lo | (uint64_t)rd_u32(r) << 32;
}

/* Two's complement without implementation-defined conversions. */
static int64_t to_i64(uint64_t u) { return u <= INT64_MAX ? (int64_t)u : -(int64_t)~u - 1; }
static int64_t to_i32(uint32_t u) {
  return u <= INT32_MAX ? (int64_t)u : -(int64_t)(uint32_t)~u - 1;
}

/* A string index, checked against the string table (always read first). */
static uint32_t rd_str(Reader *r, const char *what) {
  uint32_t z = rd_u32(r);
  if (!r->failed && z >= r->b->nstrings)
    rfail(r, "%s is string %u, but there are %u", what, z, r->b->nstrings);
  return z;
}

static uint8_t rd_type(Reader *r, const char *what) {
  uint8_t t = rd_u8(r);
  if (!r->failed && !bpt_type_valid(t)) rfail(r, "%s has unknown type code 0x%02x", what, t);
  return t;
}

/* A count of items of at least `each` bytes: bounded by the bytes left, so a crafted
 * count cannot make us allocate more than a few times the bundle's size. */
static bool fits(Reader *r, uint32_t count, size_t each, const char *what) {
  if (r->failed) return false;
  size_t left = r->end - r->pos;
  if (count <= left / each) return true;
  return rfail(r, "%u %s need at least %llu bytes, only %zu left", count, what,
               (unsigned long long)count * each, left);
}

/* Memory for n items of `size` bytes from the block list, not cleared: for a copy that
 * writes all of it (the code, the strings and their text, the line table, the nodes and
 * edges, whose every field read_strings, read_lines and read_graph set before the read
 * goes on); NULL for n == 0. */
static void *ralloc_raw(Reader *r, size_t n, size_t size) {
  if (r->failed || n == 0) return NULL;
  const size_t align = sizeof(max_align_t);
  if (n > (SIZE_MAX - align) / size) return rfail(r, "out of memory"), NULL;
  size_t bytes = (n * size + align - 1) / align * align;
  Block *blk = r->blocks;
  if (!blk || blk->size - blk->used < bytes) {
    size_t want = r->next_block;
    if (want - sizeof(Block) < bytes) {
      if (bytes > SIZE_MAX - sizeof(Block)) return rfail(r, "out of memory"), NULL;
      want = sizeof(Block) + bytes;
    }
    blk = r->alloc(r->ud, NULL, 0, want);
    if (!blk) return rfail(r, "out of memory (%zu bytes)", want), NULL;
    blk->next = r->blocks;
    blk->size = want;
    blk->used = sizeof(Block);
    r->blocks = blk;
    if (r->next_block < BLOCK_MAX) r->next_block *= 2;
  }
  void *p = (char *)blk + blk->used;
  blk->used += bytes;
  return p;
}

/* Zeroed memory for n items of `size` bytes from the block list; NULL for n == 0. */
static void *ralloc(Reader *r, size_t n, size_t size) {
  void *p = ralloc_raw(r, n, size);
  if (p) memset(p, 0, n * size);
  return p;
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): the offset of
 * the first bad byte, or len when it is valid. */
static size_t utf8_bad(const uint8_t *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    /* Eight bytes at a step while none has its top bit set: a bundle's strings are
     * mostly ASCII, and the reader checks every byte of them. */
    if (len - i >= 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if ((w & 0x8080808080808080u) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned c = s[i];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF)
      n = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else
      return i;
    if (len - i <= n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k <= n; k++)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += n + 1;
  }
  return len;
}

/* Where the first byte of p[from, to) with its top bit set is (to: none), eight bytes a
 * step: text up to there is ASCII, valid UTF-8 without a closer look. */
static size_t ascii_end(const uint8_t *p, size_t from, size_t to) {
  size_t i = from;
  for (; to - i >= 8; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080u) break;
  }
  while (i < to && p[i] < 0x80) i++;
  return i;
}

/* ---- reader: sections ---------------------------------------------------------------- */

static void read_strings(Reader *r) {
  BptBundle *b = r->b;
  uint32_t n = rd_u32(r);
  if (!fits(r, n, 4, "strings")) return;
  if (n == 0) {
    rfail(r, "the string table is empty (string 0 must be \"\")");
    return;
  }
  b->strings = ralloc_raw(r, n, sizeof *b->strings); /* each set below, or the read fails */
  /* All the text in one block: the bytes after the lengths, plus a NUL each. */
  char *data = ralloc_raw(r, r->end - r->pos - (size_t)4 * n + n, 1);
  r->what1 = "string";
  /* The section's bytes before ascii are known to be ASCII: a run of plain strings (and
   * of their lengths) is scanned once, not string by string. */
  size_t ascii = r->pos;
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    r->index1 = i;
    uint32_t len = rd_u32(r);
    /* The later strings' lengths must still fit: the text block counted on them. */
    uint64_t later = (uint64_t)4 * (n - 1 - i);
    if (!r->failed && (uint64_t)len + later > r->end - r->pos) {
      rfail(r, "its length %u leaves no room for the %u strings after it", len, n - 1 - i);
      break;
    }
    if (!need(r, len)) break;
    memcpy(data, r->p + r->pos, len);
    data[len] = '\0';
    if (r->pos + len > ascii) ascii = ascii_end(r->p, r->pos, r->end);
    bool plain = r->pos + len <= ascii;
    r->pos += len;
    b->strings[i].data = data;
    b->strings[i].len = len;
    size_t bad = plain ? len : utf8_bad((const uint8_t *)data, len);
    if (bad < len)
      rfail(r, "not valid UTF-8 at byte %zu", bad);
    else if (i == 0 && len != 0)
      rfail(r, "string 0 must be \"\"");
    data += len + 1;
  }
  r->what1 = NULL;
  if (!r->failed) b->nstrings = n;
}

static void read_list(Reader *r, BptConst *c, uint32_t self) {
  const BptBundle *b = r->b;
  unsigned elem = c->type & 0x7Fu;
  uint32_t n = rd_u32(r);
  if (!fits(r, n, 4, "list items")) return;
  if (elem == BPT_T_VOID && n != 0) {
    rfail(r, "an empty-list constant (type 0x80) has %u items", n);
    return;
  }
  c->items = ralloc(r, n, sizeof *c->items);
  c->nitems = n;
  for (uint32_t j = 0; j < n && !r->failed; j++) {
    uint32_t k = c->items[j] = rd_u32(r);
    if (r->failed) break;
    if (k >= self)
      rfail(r, "list item %u is constant %u, not an earlier one", j, k);
    else if (b->consts[k].type != elem)
      rfail(r, "list item %u is constant %u of type %s, the list holds %s", j, k,
            bpt_type_name(b->consts[k].type), bpt_type_name(elem));
  }
}

static void read_consts(Reader *r) {
  BptBundle *b = r->b;
  uint32_t n = rd_u32(r);
  if (!fits(r, n, 2, "constants")) return;
  b->consts = ralloc(r, n, sizeof *b->consts);
  r->what1 = "constant";
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    BptConst *c = &b->consts[i];
    r->index1 = i;
    c->type = rd_u8(r);
    switch (c->type) {
    case BPT_T_INT:
    case BPT_T_DATETIME:
    case BPT_T_DURATION: c->i = to_i64(rd_u64(r)); break;
    case BPT_T_DECIMAL:
      c->i = to_i64(rd_u64(r));
      c->scale = rd_u8(r);
      if (!r->failed && c->scale > 18) rfail(r, "decimal scale %u is above 18", c->scale);
      break;
    case BPT_T_BOOL:
      c->i = rd_u8(r);
      if (!r->failed && c->i > 1) rfail(r, "bool byte is %u, not 0 or 1", (unsigned)c->i);
      break;
    case BPT_T_STRING:
    case BPT_T_USER: c->str = rd_str(r, "its text"); break;
    case BPT_T_DATE: c->i = to_i32(rd_u32(r)); break;
    default:
      if (r->failed) break;
      if ((c->type & BPT_T_LIST) && bpt_type_valid(c->type))
        read_list(r, c, i);
      else
        rfail(r, "type code 0x%02x is not a constant's type", c->type);
    }
  }
  r->what1 = NULL;
  if (!r->failed) b->nconsts = n;
}

static void read_doctypes(Reader *r) {
  BptBundle *b = r->b;
  uint32_t n = rd_u32(r);
  if (!fits(r, n, 8, "document types")) return;
  b->doctypes = ralloc(r, n, sizeof *b->doctypes);
  r->what1 = "document type";
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    BptDoctype *d = &b->doctypes[i];
    r->index1 = i;
    d->name = rd_str(r, "its name");
    d->nfields = rd_u32(r);
    if (!fits(r, d->nfields, 7, "fields")) break;
    d->fields = ralloc(r, d->nfields, sizeof *d->fields);
    r->what2 = "field";
    for (uint32_t j = 0; j < d->nfields && !r->failed; j++) {
      r->index2 = j;
      d->fields[j].name = rd_str(r, "its name");
      d->fields[j].type = rd_type(r, "it");
      d->fields[j].def = rd_u16(r);
    }
    r->what2 = NULL;
  }
  r->what1 = NULL;
  if (!r->failed) b->ndoctypes = n;
}

static void read_actions(Reader *r) {
  BptBundle *b = r->b;
  uint32_t n = rd_u32(r);
  if (!fits(r, n, 6, "actions")) return;
  b->actions = ralloc(r, n, sizeof *b->actions);
  r->what1 = "action";
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    BptAction *a = &b->actions[i];
    r->index1 = i;
    a->name = rd_str(r, "its name");
    a->result = rd_type(r, "its result");
    a->nparams = rd_u8(r);
    if (!fits(r, a->nparams, 5, "parameters")) break;
    a->params = ralloc(r, a->nparams, sizeof *a->params);
    r->what2 = "parameter";
    for (unsigned j = 0; j < a->nparams && !r->failed; j++) {
      r->index2 = j;
      a->params[j].name = rd_str(r, "its name");
      a->params[j].type = rd_type(r, "it");
    }
    r->what2 = NULL;
  }
  r->what1 = NULL;
  if (!r->failed) b->nactions = n;
}

enum {
  STEP_MIN = 16,
  REMIND_SIZE = 4,
  AFTER_SIZE = 5,
  REQ_FIELD_SIZE = 12,
  STATE_MIN = 15,
  COMMAND_SIZE = 18,
  SLOT_SIZE = 6,
  PARAM_SIZE = 7,
  PROCESS_MIN = 66
};

static void read_step(Reader *r, BptStep *s) {
  s->kind = rd_u8(r);
  s->mode = rd_u8(r);
  s->flags = rd_u8(r);
  s->nreminds = rd_u8(r);
  s->result = rd_u16(r);
  s->timeout_pc = rd_u32(r);
  if (!fits(r, s->nreminds, REMIND_SIZE, "reminders")) return;
  s->remind_pc = ralloc(r, s->nreminds, sizeof *s->remind_pc);
  for (unsigned i = 0; i < s->nreminds && !r->failed; i++) s->remind_pc[i] = rd_u32(r);
  s->nfields = rd_u16(r);
  if (!fits(r, s->nfields, REQ_FIELD_SIZE, "request fields")) return;
  s->fields = ralloc(r, s->nfields, sizeof *s->fields);
  for (unsigned i = 0; i < s->nfields && !r->failed; i++) {
    BptReqField *f = &s->fields[i];
    f->name = rd_str(r, "a request field's name");
    f->label = rd_str(r, "a request field's label");
    f->type = rd_type(r, "a request field");
    f->to_slot = rd_u8(r);
    f->index = rd_u16(r);
  }
  s->node = rd_u32(r);
  s->nafters = rd_u8(r);
  if (!fits(r, s->nafters, AFTER_SIZE, "`after` handlers")) return;
  s->after_flags = ralloc(r, s->nafters, sizeof *s->after_flags);
  s->after_pc = ralloc(r, s->nafters, sizeof *s->after_pc);
  for (unsigned i = 0; i < s->nafters && !r->failed; i++) {
    s->after_flags[i] = rd_u8(r);
    s->after_pc[i] = rd_u32(r);
  }
}

static void read_state(Reader *r, BptState *s) {
  s->name = rd_str(r, "its name");
  s->label = rd_str(r, "its label");
  s->final = rd_u8(r);
  s->enter_pc = rd_u32(r);
  s->ncommands = rd_u16(r);
  if (!fits(r, s->ncommands, COMMAND_SIZE, "commands")) return;
  s->commands = ralloc(r, s->ncommands, sizeof *s->commands);
  for (unsigned i = 0; i < s->ncommands && !r->failed; i++) {
    BptCommand *c = &s->commands[i];
    c->name = rd_str(r, "a command's name");
    c->label = rd_str(r, "a command's label");
    c->by_pc = rd_u32(r);
    c->target = rd_u16(r);
    c->body_pc = rd_u32(r);
  }
}

static void read_slots_and_params(Reader *r, BptProcess *p) {
  p->nslots = rd_u16(r);
  if (!fits(r, p->nslots, SLOT_SIZE, "slots")) return;
  p->slots = ralloc(r, p->nslots, sizeof *p->slots);
  r->what2 = "slot";
  for (unsigned i = 0; i < p->nslots && !r->failed; i++) {
    r->index2 = i;
    p->slots[i].name = rd_str(r, "its name");
    p->slots[i].type = rd_type(r, "it");
    p->slots[i].kind = rd_u8(r);
  }
  p->nparams = rd_u16(r);
  if (!fits(r, p->nparams, PARAM_SIZE, "parameters")) return;
  p->params = ralloc(r, p->nparams, sizeof *p->params);
  r->what2 = "parameter";
  for (unsigned i = 0; i < p->nparams && !r->failed; i++) {
    r->index2 = i;
    p->params[i].slot = rd_u16(r);
    p->params[i].label = rd_str(r, "its label");
    p->params[i].required = rd_u8(r);
  }
  r->what2 = NULL;
}

static void read_process(Reader *r, BptProcess *p) {
  p->name = rd_str(r, "its name");
  p->title = rd_str(r, "its title");
  p->doctype = rd_u16(r);
  p->trigger = rd_u8(r);
  p->ntrigger_fields = rd_u8(r);
  if (!fits(r, p->ntrigger_fields, 2, "trigger fields")) return;
  p->trigger_fields = ralloc(r, p->ntrigger_fields, sizeof *p->trigger_fields);
  for (unsigned i = 0; i < p->ntrigger_fields && !r->failed; i++) p->trigger_fields[i] = rd_u16(r);
  p->when_pc = rd_u32(r);
  p->code_offset = rd_u32(r);
  p->code_size = rd_u32(r);
  p->entry_pc = rd_u32(r);
  p->ngroups = rd_u16(r);
  read_slots_and_params(r, p);
  p->nsteps = rd_u16(r);
  if (!fits(r, p->nsteps, STEP_MIN, "steps")) return;
  p->steps = ralloc(r, p->nsteps, sizeof *p->steps);
  r->what2 = "step";
  for (unsigned i = 0; i < p->nsteps && !r->failed; i++) {
    r->index2 = i;
    read_step(r, &p->steps[i]);
  }
  p->nstates = rd_u16(r);
  r->what2 = NULL;
  if (!fits(r, p->nstates, STATE_MIN, "states")) return;
  p->states = ralloc(r, p->nstates, sizeof *p->states);
  r->what2 = "state";
  for (unsigned i = 0; i < p->nstates && !r->failed; i++) {
    r->index2 = i;
    read_state(r, &p->states[i]);
  }
  r->what2 = NULL;
  p->first_line = rd_u32(r);
  p->nlines = rd_u32(r);
  p->first_node = rd_u32(r);
  p->nnodes = rd_u32(r);
  p->first_edge = rd_u32(r);
  p->nedges = rd_u32(r);
  p->schedule = rd_str(r, "its schedule");
}

static void read_processes(Reader *r) {
  BptBundle *b = r->b;
  uint32_t n = rd_u32(r);
  if (!fits(r, n, PROCESS_MIN, "processes")) return;
  b->processes = ralloc(r, n, sizeof *b->processes);
  r->what1 = "process";
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    r->index1 = i;
    read_process(r, &b->processes[i]);
  }
  r->what1 = NULL;
  if (!r->failed) b->nprocesses = n;
}

static void read_code(Reader *r) {
  BptBundle *b = r->b;
  size_t n = r->end - r->pos;
  b->code = ralloc_raw(r, n, 1);
  if (r->failed) return;
  if (n) memcpy(b->code, r->p + r->pos, n);
  r->pos += n;
  b->code_size = (uint32_t)n;
}

static void read_lines(Reader *r) {
  BptBundle *b = r->b;
  b->source_file = rd_str(r, "the source file");
  b->source_size = rd_u32(r);
  b->source_crc = rd_u32(r);
  b->source_known = b->source_file != 0 && !r->failed;
  uint32_t n = rd_u32(r);
  if (!fits(r, n, 12, "line entries")) return;
  b->lines = ralloc_raw(r, n, sizeof *b->lines); /* every field is written below */
  if (r->failed) return;
  /* fits has made sure all n entries are there: read without a check for each field. */
  const uint8_t *q = r->p + r->pos;
  for (uint32_t i = 0; i < n; i++, q += 12) {
    b->lines[i].pc = bpt_le32(q);
    b->lines[i].line = bpt_le32(q + 4);
    b->lines[i].col = bpt_le32(q + 8);
  }
  r->pos += (size_t)12 * n;
  b->nlines = n;
}

/* String index z of a record's field; the failure names the field, as rd_str does. */
static bool str_index(Reader *r, uint32_t z, const char *what) {
  if (z < r->b->nstrings) return true;
  return rfail(r, "%s is string %u, but there are %u", what, z, r->b->nstrings);
}

/* The nodes and edges are fixed-size records, and fits makes sure all of them are there
 * before the first is read: each field is read without a check of its own (rd_u32 and
 * rd_str checked each one, 290,000 string indexes at 100,000 lines of bench/gen.sh).
 * Only the string indexes are checked, in the order rd_str checked them. */
static void read_graph(Reader *r) {
  BptBundle *b = r->b;
  uint32_t ns = b->nstrings;
  uint32_t n = rd_u32(r);
  if (!fits(r, n, 25, "nodes")) return;
  b->nodes = ralloc_raw(r, n, sizeof *b->nodes); /* every field is written below */
  if (r->failed) return;
  const uint8_t *q = r->p + r->pos;
  for (uint32_t i = 0; i < n; i++, q += 25) {
    BptNode *nd = &b->nodes[i];
    nd->kind = q[0];
    nd->id = bpt_le32(q + 1);
    nd->title = bpt_le32(q + 5);
    nd->detail = bpt_le32(q + 9);
    nd->line = bpt_le32(q + 13);
    nd->col = bpt_le32(q + 17);
    nd->cluster = bpt_le32(q + 21);
    if (nd->id >= ns || nd->title >= ns || nd->detail >= ns) {
      r->what1 = "node", r->index1 = i;
      (void)(str_index(r, nd->id, "its id") && str_index(r, nd->title, "its title") &&
             str_index(r, nd->detail, "its detail"));
      r->what1 = NULL;
      return;
    }
  }
  r->pos += (size_t)25 * n;
  b->nnodes = n;
  n = rd_u32(r);
  if (!fits(r, n, 13, "edges")) return;
  b->edges = ralloc_raw(r, n, sizeof *b->edges); /* every field is written below */
  if (r->failed) return;
  q = r->p + r->pos;
  for (uint32_t i = 0; i < n; i++, q += 13) {
    BptEdge *e = &b->edges[i];
    e->from = bpt_le32(q);
    e->to = bpt_le32(q + 4);
    e->kind = q[8];
    e->label = bpt_le32(q + 9);
    if (e->label >= ns) {
      r->what1 = "edge", r->index1 = i;
      str_index(r, e->label, "its label");
      r->what1 = NULL;
      return;
    }
  }
  r->pos += (size_t)13 * n;
  b->nedges = n;
}

/* The code ranges can be checked only once CODE is read, after PROCESSES. */
static void check_code_ranges(Reader *r) {
  const BptBundle *b = r->b;
  r->section = section_name(BPT_SEC_PROCESSES);
  r->what1 = "process";
  for (uint32_t i = 0; i < b->nprocesses && !r->failed; i++) {
    const BptProcess *p = &b->processes[i];
    r->index1 = i;
    if ((uint64_t)p->code_offset + p->code_size > b->code_size)
      rfail(r, "its code (offset %u, %u bytes) is outside the CODE section (%u bytes)",
            p->code_offset, p->code_size, b->code_size);
  }
  r->what1 = NULL;
}

static void read_section(Reader *r, unsigned id) {
  switch (id) {
  case BPT_SEC_STRINGS: read_strings(r); break;
  case BPT_SEC_CONSTS: read_consts(r); break;
  case BPT_SEC_DOCTYPES: read_doctypes(r); break;
  case BPT_SEC_ACTIONS: read_actions(r); break;
  case BPT_SEC_PROCESSES: read_processes(r); break;
  case BPT_SEC_CODE: read_code(r); break;
  case BPT_SEC_LINES: read_lines(r); break;
  case BPT_SEC_GRAPH: read_graph(r); break;
  }
}

/* ---- reader: header and section table ------------------------------------------------ */

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool fail(BptError *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return false;
}

/* A zlib stream header (RFC 1950): deflate with a window of 32 KiB (0x78), no preset
 * dictionary, and the check bits that make the pair a multiple of 31: 78 01, 78 5E,
 * 78 9C (PHP's gzcompress by default), 78 DA. "x^" could begin a text file, so 78 5E
 * counts only when a byte that text does not have follows. */
static bool zlib_header(const uint8_t *b, size_t len) {
  if (len < 3 || b[0] != 0x78 || (b[1] & 0x20) || (b[0] * 256u + b[1]) % 31 != 0) return false;
  if (b[1] != 0x5E) return true;
  for (size_t i = 2; i < len && i < 18; i++)
    if (b[i] >= 0x80 || (b[i] < 0x20 && b[i] != '\n' && b[i] != '\r' && b[i] != '\t')) return true;
  return false;
}

/* PHP serialize data of an array: "a:" digits ":{". */
static bool php_array(const uint8_t *b, size_t len) {
  if (len < 5 || b[0] != 'a' || b[1] != ':') return false;
  size_t i = 2;
  while (i < len && i < 12 && b[i] >= '0' && b[i] <= '9') i++;
  return i > 2 && i + 1 < len && b[i] == ':' && b[i + 1] == '{';
}

const char *bpt_foreign_format(const uint8_t *bytes, size_t len) {
  if (zlib_header(bytes, len)) return "a Bitrix24 template export (zlib data)";
  if (php_array(bytes, len)) return "a Bitrix24 template export (PHP serialize data)";
  return NULL;
}

static bool check_header(const uint8_t *bytes, size_t len, bool check_crc, BptError *err) {
  const char *foreign = len >= 4 && memcmp(bytes, BPT_MAGIC, 4) == 0 ? NULL : bpt_foreign_format(bytes, len);
  if (foreign)
    return fail(err, "not a bpc bundle: this is %s; `bpc compile` makes a bundle of it",
                foreign);
  if (len < 4 || memcmp(bytes, BPT_MAGIC, 4) != 0)
    return fail(err, "not a bundle: the first bytes are not the magic \"BPT\\x1A\"");
  /* The version comes before any other check: a later major may change the rest. Any
   * minor is read: later minors only add codes this reader refuses if they are used. */
  unsigned major = len < 6 ? 0 : bytes[4] | (unsigned)bytes[5] << 8;
  if (len >= 6 && major != BPT_MAJOR)
    return fail(err, "bundle format %u.x is not supported (this runtime reads %u.x%s)", major,
                (unsigned)BPT_MAJOR, major < BPT_MAJOR ? "; compile its source again" : "");
  if (len < TABLE_END)
    return fail(err,
                "the bundle is cut off: %zu bytes, the header and section table "
                "alone take %u",
                len, (unsigned)TABLE_END);
  uint32_t size = get_u32(bytes + 8);
  if (size != len)
    return fail(err,
                "the bundle's size field says %u bytes, but it has %zu (cut off or "
                "padded)",
                size, len);
  uint32_t want = get_u32(bytes + 12);
  uint32_t got = check_crc ? bpt_crc32c(0, bytes + BPT_HEADER_SIZE, len - BPT_HEADER_SIZE) : want;
  if (want != got)
    return fail(err,
                "checksum mismatch: the header says 0x%08x, the bytes give 0x%08x "
                "(the bundle is damaged)",
                want, got);
  uint32_t nsections = get_u32(bytes + 16), flags = get_u32(bytes + 20);
  if (nsections != BPT_SEC_COUNT)
    return fail(err, "the bundle has %u sections, format %u.x has %u", nsections, major,
                (unsigned)BPT_SEC_COUNT);
  if (flags != 0) return fail(err, "unknown header flags 0x%08x", flags);
  return true;
}

/* Section i (0-based) must have id i + 1 and start where the previous one ended. */
static bool check_table(const uint8_t *bytes, size_t len, uint32_t off[], uint32_t size[],
                        BptError *err) {
  uint64_t at = TABLE_END;
  uint32_t prev = 0;
  for (unsigned i = 0; i < BPT_SEC_COUNT; i++) {
    const uint8_t *e = bytes + BPT_HEADER_SIZE + 12 * i;
    uint32_t id = get_u32(e);
    off[i] = get_u32(e + 4);
    size[i] = get_u32(e + 8);
    if (i > 0 && id <= prev)
      return fail(err,
                  "section table entry %u has id %u after id %u (ids must be strictly "
                  "increasing)",
                  i, id, prev);
    if (id != i + 1)
      return fail(err, "section table entry %u has id %u, expected %u (%s)", i, id, i + 1,
                  section_name(i + 1));
    if (off[i] != at)
      return fail(err,
                  "section %s starts at offset %u, expected %llu (sections follow the "
                  "table contiguously)",
                  section_name(id), off[i], (unsigned long long)at);
    if (at + size[i] > len)
      return fail(err,
                  "section %s (offset %u, %u bytes) runs past the end of the bundle "
                  "(%zu bytes)",
                  section_name(id), off[i], size[i], len);
    at += size[i];
    prev = id;
  }
  if (at != len)
    return fail(err, "%llu bytes after the last section", (unsigned long long)(len - at));
  return true;
}

static bool read_bundle(const uint8_t *bytes, size_t len, bool check_crc, BptAllocFn alloc, void *ud,
                        BptBundle *out, BptError *err) {
  uint32_t off[BPT_SEC_COUNT], size[BPT_SEC_COUNT];
  memset(out, 0, sizeof *out);
  if (!check_header(bytes, len, check_crc, err) || !check_table(bytes, len, off, size, err))
    return false;
  Reader r = {.err = err, .alloc = alloc, .ud = ud, .b = out, .next_block = BLOCK_MIN};
  for (unsigned i = 0; i < BPT_SEC_COUNT && !r.failed; i++) {
    r.p = bytes + off[i];
    r.pos = 0;
    r.end = size[i];
    r.section = section_name(i + 1);
    read_section(&r, i + 1);
    if (!r.failed && r.pos != r.end)
      rfail(&r, "%zu bytes left over after its content", r.end - r.pos);
  }
  if (!r.failed) check_code_ranges(&r);
  if (r.failed) {
    free_blocks(r.blocks, alloc, ud);
    memset(out, 0, sizeof *out);
    return false;
  }
  out->crc = get_u32(bytes + 12);
  out->mem = r.blocks;
  return true;
}

bool bpt_read(const uint8_t *bytes, size_t len, BptAllocFn alloc, void *ud, BptBundle *out,
              BptError *err) {
  return read_bundle(bytes, len, true, alloc, ud, out, err);
}

bool bpt_read_written(const uint8_t *bytes, size_t len, BptAllocFn alloc, void *ud, BptBundle *out,
                      BptError *err) {
  return read_bundle(bytes, len, false, alloc, ud, out, err);
}

/* ---- instructions -------------------------------------------------------------------- */

bool bpt_decode(const uint8_t *code, uint32_t size, uint32_t pc, BptInsn *insn) {
  return bpt_decode_inline(code, size, pc, insn);
}

uint32_t bpt_branch_target(const BptInsn *insn, uint32_t pc, uint8_t i) {
  if (i >= insn->nbranches || pc > UINT32_MAX - insn->size) return BPT_NO_PC;
  return bpt_jump_target(pc + insn->size, bpt_le32(insn->branch + 4 * i));
}

/* What a STEP's `after` handlers add to its inputs: a delay each, a period and a count
 * where their flags say. */
static int after_inputs(const BptStep *s) {
  int n = 0;
  for (unsigned i = 0; i < s->nafters; i++)
    n += 1 + ((s->after_flags[i] & BPT_AFTER_EVERY) != 0) + ((s->after_flags[i] & BPT_AFTER_TIMES) != 0);
  return n;
}

/* What a STEP pops: who, title, [vote %], [due], [`on timeout times` N], one duration per
 * reminder, the `after` handlers' inputs. */
static int step_inputs(const BptStep *s) {
  return 2 + BPT_MODE_HAS_PERCENT(s->mode) + ((s->flags & BPT_STEP_HAS_DUE) != 0) +
         ((s->flags & BPT_STEP_TIMEOUT_TIMES) != 0) + s->nreminds + after_inputs(s);
}

void bpt_stack_effect(const BptProcess *p, const BptInsn *insn, int *pops, int *pushes) {
  const BptOpInfo *info = &bpt_ops[insn->op];
  *pops = info->pops;
  *pushes = info->pushes;
  if (info->pops != BPT_VAR) return;
  *pops = 0;
  if (insn->op == BPT_OP_STEP) {
    if (p && insn->arg[0] < p->nsteps) *pops = step_inputs(&p->steps[insn->arg[0]]);
    return;
  }
  /* Otherwise the count operand n says how many: START pops (index, value) pairs. */
  const char *n = strchr(info->operands, 'n');
  if (n) *pops = (int)insn->arg[n - info->operands] * (insn->op == BPT_OP_START ? 2 : 1);
}
