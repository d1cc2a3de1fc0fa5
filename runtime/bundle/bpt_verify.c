/* bpt_verify.c — everything the interpreter relies on, checked once at load time.
 *
 * bpt_read has checked the bytes (bounds, counts, UTF-8, string indices); this checks
 * the meaning: every index in every table, every instruction and operand, and then, per
 * process, an abstract interpretation of the operand stack's depth from every entry
 * point (a worklist over the code, the JVM verifier's idea without the types: values are
 * typed at run time). A bundle that passes cannot make the interpreter read outside an
 * array, underflow or overflow a stack, run off the end of the code or suspend with
 * values on the stack. A store of a value whose type is evident (a constant, a slot or
 * field just loaded) must fit its slot or field; the interpreter checks the others.
 *
 * The checks run in a fixed order and stop at the first problem, so one bundle always
 * gives the same message. */
#include "bpt.h"
#include "bpt_decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum {
  NOT_START = 0xFF, /* mark[pc]: not the first byte of an instruction */
  UNSEEN = 0xFE, /* an instruction no path has reached yet; else the depth there, */
  IN_FRAGMENT = 0x80, /* with this bit when an expression fragment reaches it (depths stay
                         below it: BPT_STACK_MAX is 64) */
  MEMBERS_MAX = 9 /* the widest step result (approve): m < 9 */
};

/* An opcode's layout, from its operand letters in opcodes.def, made once per bundle by
 * op_shapes: every opcode but FORK has operands of fixed widths, so the verifier's two
 * passes read them where the shape says instead of walking the letters with the
 * decoder for each of the 325,000 instructions at 100,000 lines of bench/gen.sh. */
typedef struct OpShape {
  /* each operand's bits in the u32 read at its start: 0xFF, 0xFFFF or all; aligned so
   * that a shape is 64 bytes, found with a shift */
  _Alignas(64) uint32_t mask[4];
  uint8_t size; /* bytes of an instruction, the opcode's included */
  uint8_t room; /* bytes from the pc that reading every operand as a u32 takes (>= size) */
  uint8_t nargs;
  uint8_t j_at, n_at; /* where its `j` and `n` operands start, in bytes from its pc (0: none) */
  uint8_t j_arg; /* which operand is the `j` (when j_at is not 0) */
  uint8_t at[4], width[4];
  char letter[4];
  uint8_t limit[4]; /* each operand's bound: an index of Verifier.limit */
  bool decode; /* FORK (its `J` says its size), or letters the shape cannot hold: decoded
                  whole by bpt_decode_inline, which also refuses what it cannot decode */
  bool special; /* one of the opcodes check_iter_slots, check_try, check_store_type and
                   check_message look at (the others pass them when no message is due) */
  bool stack_special; /* TRY, SPAWN, AND_ELSE or OR_ELSE: step_insn's rules of their own */
  /* An opcode whose stack effect is fixed or its count n (not START's pairs), that does
   * not wait, and has no rule of its own in step_insn: CONST, LOAD, ADD, TEXT, CALL, ...
   * (most of the code), and the jumps and ends among them (flow: FLOW_JUMP, its one `j`;
   * FLOW_END). Its rules are one range: a path whose mark m (depth | IN_FRAGMENT) has
   * m - lo[m >> 7] - (code[pc + n_at] & n_mask) <= span may hold it, and has depth - pops
   * there: lo is IN_FRAGMENT for a fragment plus a fixed pops, or above any mark on the
   * side that may not hold it (a thread: RESULT; a fragment: EFFECT); n_mask is 0 but
   * where pops is the count n; span is BPT_STACK_MAX less the pushes. */
  bool plain;
  uint8_t flow;
  uint8_t pushes, n_mask, span;
  uint16_t lo[2];
  bool slow; /* special, or an operand with a rule beyond a bound (`r`, a count with a
                rule of check_count): always checked in full */
  /* Neither decode nor slow, and at most two operands: those need only their bounds (an
   * operand it does not have: at 0, mask 0, bound L_ANY). QUICK_CALL: CALL, whose count
   * must also be its built-in's (check_count). */
  uint8_t quick;
} OpShape;
_Static_assert(sizeof(OpShape) == 64, "OpShape is 64 bytes");

/* What bounds an operand, by its letter: Verifier.limit holds the process's numbers. */
enum { QUICK = 1, QUICK_CALL };
enum { FLOW_JUMP = 1, FLOW_END = 2 };

enum { L_ANY, /* first: a shape's operand it does not have is one of these, as cleared */
       L_CONST, L_STRING, L_SLOT, L_FIELD, L_MEMBER, L_GROUP, L_ACTION, L_PROCESS, L_STEP, L_STATE,
       L_BUILTIN, L_COUNT };

typedef struct Verifier {
  const BptBundle *b;
  BptError *err;
  const BptProcess *p; /* the process being checked, for messages */
  uint32_t pi;
  const uint8_t *code; /* its code */
  uint8_t *mark; /* per pc: NOT_START, UNSEEN or the stack depth (| IN_FRAGMENT) */
  uint32_t *work, nwork;
  uint32_t expect; /* check_instructions: what the RECEIVE before still wants (check_message) */
  OpShape shape[BPT_OP_COUNT];
  /* The process's bound of each kind of operand (L_ANY: none, UINT32_MAX): an operand
   * below its bound passes check_operand, except where the shape says slow. L_FIELD is
   * 0 in a process without a document type, so that every field goes to check_operand. */
  uint32_t limit[L_COUNT];
} Verifier;

/* ---- messages ------------------------------------------------------------------------ */

static bool fail(Verifier *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->err->message, sizeof v->err->message, fmt, ap);
  va_end(ap);
  return false;
}

/* A prefix, then the message: at most 256 bytes in all, truncated if need be. */
static bool vfail_after(Verifier *v, size_t n, const char *fmt, va_list ap) {
  size_t cap = sizeof v->err->message;
  if (n < cap) n += (size_t)snprintf(v->err->message + n, cap - n, ": ");
  if (n < cap) vsnprintf(v->err->message + n, cap - n, fmt, ap);
  return false;
}

/* "section CONSTS, constant 3" + message, for the tables shared by all processes. */
static bool tfail(Verifier *v, const char *section, const char *what1, uint32_t i1,
                  const char *what2, uint32_t i2, const char *fmt, ...) {
  char *m = v->err->message;
  size_t cap = sizeof v->err->message;
  size_t n = (size_t)snprintf(m, cap, "section %s", section);
  if (what1 && n < cap) n += (size_t)snprintf(m + n, cap - n, ", %s %u", what1, i1);
  if (what2 && n < cap) n += (size_t)snprintf(m + n, cap - n, ", %s %u", what2, i2);
  va_list ap;
  va_start(ap, fmt);
  vfail_after(v, n, fmt, ap);
  va_end(ap);
  return false;
}

/* "process `name`" (or "process 3" when its name is itself bad), ", pc 42" + message. */
static bool vpfail(Verifier *v, uint32_t pc, bool with_pc, const char *fmt, va_list ap) {
  char *m = v->err->message;
  size_t cap = sizeof v->err->message, n;
  const BptProcess *p = v->p;
  if (p->name < v->b->nstrings && v->b->strings[p->name].len > 0) {
    uint32_t len = v->b->strings[p->name].len;
    n = (size_t)snprintf(m, cap, "process `%.*s`", (int)(len > 60 ? 60 : len),
                         v->b->strings[p->name].data);
  } else {
    n = (size_t)snprintf(m, cap, "process %u", v->pi);
  }
  if (with_pc && n < cap) n += (size_t)snprintf(m + n, cap - n, ", pc %u", pc);
  return vfail_after(v, n, fmt, ap);
}

static bool pfail(Verifier *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vpfail(v, 0, false, fmt, ap);
  va_end(ap);
  return false;
}

static bool cfail(Verifier *v, uint32_t pc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vpfail(v, pc, true, fmt, ap);
  va_end(ap);
  return false;
}

/* ---- types --------------------------------------------------------------------------- */

/* What a constant, a field or a parameter may hold: a scalar or a list. */
static bool is_value_type(unsigned t) {
  return bpt_type_valid(t) && t != BPT_T_VOID && (t < BPT_T_TASK_RESULT || t >= BPT_T_LIST);
}

static unsigned result_type_of(unsigned step_kind) {
  return BPT_T_TASK_RESULT + step_kind; /* TASK_RESULT..REQUEST_RESULT follow the kinds */
}

/* ---- the tables shared by all processes ---------------------------------------------- */

static bool check_strings(Verifier *v) {
  const BptBundle *b = v->b;
  if (b->nstrings == 0 || b->strings[0].len != 0)
    return tfail(v, "STRINGS", NULL, 0, NULL, 0, "string 0 must exist and be \"\"");
  return true;
}

/* The checks of bpt_read, again, for a bundle the compiler built in memory. */
static bool check_const(Verifier *v, uint32_t i) {
  const BptBundle *b = v->b;
  const BptConst *c = &b->consts[i];
#define CFAIL(...) tfail(v, "CONSTS", "constant", i, NULL, 0, __VA_ARGS__)
  switch (c->type) {
  case BPT_T_INT:
  case BPT_T_DATE:
  case BPT_T_DATETIME:
  case BPT_T_DURATION: return true;
  case BPT_T_DECIMAL: return c->scale <= 18 || CFAIL("decimal scale %u is above 18", c->scale);
  case BPT_T_BOOL: return c->i == 0 || c->i == 1 || CFAIL("a bool that is not 0 or 1");
  case BPT_T_STRING:
  case BPT_T_USER:
    return c->str < b->nstrings ||
           CFAIL("its text is string %u, but there are %u", c->str, b->nstrings);
  }
  if (!(c->type & BPT_T_LIST) || !bpt_type_valid(c->type))
    return CFAIL("type code 0x%02x is not a constant's type", c->type);
  unsigned elem = c->type & 0x7Fu;
  if (elem == BPT_T_VOID && c->nitems != 0)
    return CFAIL("an empty-list constant (type 0x80) has %u items", c->nitems);
  for (uint32_t j = 0; j < c->nitems; j++) {
    uint32_t k = c->items[j];
    if (k >= i) return CFAIL("list item %u is constant %u, not an earlier one", j, k);
    if (b->consts[k].type != elem)
      return CFAIL("list item %u is constant %u of type 0x%02x, the list holds 0x%02x", j, k,
                   b->consts[k].type, elem);
  }
  return true;
#undef CFAIL
}

static bool check_doctype(Verifier *v, uint32_t i) {
  const BptBundle *b = v->b;
  const BptDoctype *d = &b->doctypes[i];
  if (d->name >= b->nstrings)
    return tfail(v, "DOCTYPES", "document type", i, NULL, 0,
                 "its name is string %u, but there are %u", d->name, b->nstrings);
  for (uint32_t j = 0; j < d->nfields; j++) {
    const BptField *f = &d->fields[j];
#define FFAIL(...) tfail(v, "DOCTYPES", "document type", i, "field", j, __VA_ARGS__)
    if (f->name >= b->nstrings)
      return FFAIL("its name is string %u, but there are %u", f->name, b->nstrings);
    if (!is_value_type(f->type)) return FFAIL("type code 0x%02x is not a field's type", f->type);
    if (f->def != BPT_NONE16 && f->def >= b->nconsts)
      return FFAIL("its default is constant %u, but there are %u", f->def, b->nconsts);
#undef FFAIL
  }
  return true;
}

static bool check_action(Verifier *v, uint32_t i) {
  const BptBundle *b = v->b;
  const BptAction *a = &b->actions[i];
  if (a->name >= b->nstrings)
    return tfail(v, "ACTIONS", "action", i, NULL, 0, "its name is string %u, but there are %u",
                 a->name, b->nstrings);
  if (a->result != BPT_T_VOID && !is_value_type(a->result))
    return tfail(v, "ACTIONS", "action", i, NULL, 0, "type code 0x%02x is not a result type",
                 a->result);
  for (unsigned j = 0; j < a->nparams; j++) {
#define AFAIL(...) tfail(v, "ACTIONS", "action", i, "parameter", j, __VA_ARGS__)
    if (a->params[j].name >= b->nstrings)
      return AFAIL("its name is string %u, but there are %u", a->params[j].name, b->nstrings);
    if (!is_value_type(a->params[j].type))
      return AFAIL("type code 0x%02x is not a parameter's type", a->params[j].type);
#undef AFAIL
  }
  return true;
}

/* Every node's chain of clusters must end (a renderer walks it): marks 1 on the walk in
 * progress, 2 when known to end. */
static bool check_clusters(Verifier *v, uint8_t *state) {
  const BptBundle *b = v->b;
  memset(state, 0, b->nnodes);
  for (uint32_t i = 0; i < b->nnodes; i++) {
    /* Every node before i is known to end (no walk leaves a 1 behind): a node in no
     * cluster or in one of those ends too, as the walk below would find. */
    uint32_t c = b->nodes[i].cluster;
    if (c == BPT_NO_PC || c < i) {
      state[i] = 2;
      continue;
    }
    uint32_t j = i;
    while (j != BPT_NO_PC && state[j] == 0) {
      state[j] = 1;
      j = b->nodes[j].cluster;
    }
    if (j != BPT_NO_PC && state[j] == 1)
      return tfail(v, "GRAPH", "node", i, NULL, 0, "its chain of clusters loops back to node %u",
                   j);
    for (j = i; j != BPT_NO_PC && state[j] == 1; j = b->nodes[j].cluster) state[j] = 2;
  }
  return true;
}

static bool check_node(Verifier *v, uint32_t i) {
  const BptBundle *b = v->b;
  const BptNode *n = &b->nodes[i];
#define NFAIL(...) tfail(v, "GRAPH", "node", i, NULL, 0, __VA_ARGS__)
  if (n->kind >= BPT_N_KIND_COUNT) return NFAIL("unknown kind %u", n->kind);
  if (n->id >= b->nstrings || n->title >= b->nstrings || n->detail >= b->nstrings)
    return NFAIL("a string index is out of range (%u strings)", b->nstrings);
  if (n->cluster != BPT_NO_PC && n->cluster >= b->nnodes)
    return NFAIL("its cluster is node %u, but there are %u", n->cluster, b->nnodes);
  return true;
#undef NFAIL
}

static bool check_edge(Verifier *v, uint32_t i) {
  const BptBundle *b = v->b;
  const BptEdge *e = &b->edges[i];
#define EFAIL(...) tfail(v, "GRAPH", "edge", i, NULL, 0, __VA_ARGS__)
  if (e->from >= b->nnodes || e->to >= b->nnodes)
    return EFAIL("it joins nodes %u and %u, but there are %u", e->from, e->to, b->nnodes);
  if (e->kind >= BPT_E_KIND_COUNT) return EFAIL("unknown kind %u", e->kind);
  if (e->label >= b->nstrings)
    return EFAIL("its label is string %u, but there are %u", e->label, b->nstrings);
  return true;
#undef EFAIL
}

static bool check_graph(Verifier *v, BptAllocFn alloc, void *ud) {
  const BptBundle *b = v->b;
  /* Each record's fields tested with the counts in locals; check_node and check_edge
   * test the one that fails again, and say why. */
  uint32_t nstrings = b->nstrings, nnodes = b->nnodes;
  for (uint32_t i = 0; i < nnodes; i++) {
    const BptNode *n = &b->nodes[i];
    if (n->kind >= BPT_N_KIND_COUNT || n->id >= nstrings || n->title >= nstrings ||
        n->detail >= nstrings || (n->cluster != BPT_NO_PC && n->cluster >= nnodes))
      if (!check_node(v, i)) return false;
  }
  for (uint32_t i = 0; i < b->nedges; i++) {
    const BptEdge *e = &b->edges[i];
    if (e->from >= nnodes || e->to >= nnodes || e->kind >= BPT_E_KIND_COUNT || e->label >= nstrings)
      if (!check_edge(v, i)) return false;
  }
  if (b->nnodes == 0) return true;
  uint8_t *state = alloc(ud, NULL, 0, b->nnodes);
  if (!state) return fail(v, "out of memory verifying the bundle (%u bytes)", b->nnodes);
  bool ok = check_clusters(v, state);
  alloc(ud, state, b->nnodes, 0);
  return ok;
}

static bool check_tables(Verifier *v, BptAllocFn alloc, void *ud) {
  const BptBundle *b = v->b;
  if (!check_strings(v)) return false;
  for (uint32_t i = 0; i < b->nconsts; i++)
    if (!check_const(v, i)) return false;
  for (uint32_t i = 0; i < b->ndoctypes; i++)
    if (!check_doctype(v, i)) return false;
  for (uint32_t i = 0; i < b->nactions; i++)
    if (!check_action(v, i)) return false;
  if (b->source_file >= b->nstrings)
    return tfail(v, "LINES", NULL, 0, NULL, 0, "the source file is string %u, but there are %u",
                 b->source_file, b->nstrings);
  return check_graph(v, alloc, ud);
}

/* ---- one process's descriptors ------------------------------------------------------- */

static bool check_str(Verifier *v, uint32_t z, const char *what) {
  if (z < v->b->nstrings) return true;
  return pfail(v, "%s is string %u, but there are %u", what, z, v->b->nstrings);
}

static uint32_t doc_fields(Verifier *v) {
  const BptProcess *p = v->p;
  return p->doctype == BPT_NONE16 ? 0 : v->b->doctypes[p->doctype].nfields;
}

static bool check_header(Verifier *v) {
  const BptBundle *b = v->b;
  const BptProcess *p = v->p;
  if (!check_str(v, p->name, "its name") || !check_str(v, p->title, "its title")) return false;
  if (p->doctype != BPT_NONE16 && p->doctype >= b->ndoctypes)
    return pfail(v, "its document type is %u, but there are %u", p->doctype, b->ndoctypes);
  if (p->trigger > BPT_TRIG_TIMER) return pfail(v, "unknown trigger %u", p->trigger);
  if (p->trigger == BPT_TRIG_TIMER && (p->ntrigger_fields || p->when_pc != BPT_NO_PC))
    return pfail(v, "a timer trigger watches no fields and has no `when`");
  for (unsigned i = 0; i < p->ntrigger_fields; i++)
    if (p->trigger_fields[i] >= doc_fields(v))
      return pfail(v, "trigger field %u is field %u, but its document type has %u", i,
                   p->trigger_fields[i], doc_fields(v));
  if ((uint64_t)p->code_offset + p->code_size > b->code_size)
    return pfail(v, "its code (offset %u, %u bytes) is outside the CODE section (%u bytes)",
                 p->code_offset, p->code_size, b->code_size);
  if (p->code_size == 0) return pfail(v, "it has no code");
  return true;
}

static bool check_slots(Verifier *v) {
  const BptProcess *p = v->p;
  for (unsigned i = 0; i < p->nslots; i++) {
    const BptSlot *s = &p->slots[i];
    if (s->name >= v->b->nstrings)
      return pfail(v, "slot %u: its name is string %u, but there are %u", i, s->name,
                   v->b->nstrings);
    if (s->kind > BPT_SLOT_HIDDEN) return pfail(v, "slot %u: unknown kind %u", i, s->kind);
    if (!bpt_type_valid(s->type) || (s->type == BPT_T_VOID && s->kind != BPT_SLOT_HIDDEN))
      return pfail(v, "slot %u: type code 0x%02x is not a slot's type", i, s->type);
  }
  for (unsigned i = 0; i < p->nparams; i++) {
    const BptParam *q = &p->params[i];
    if (q->slot >= p->nslots)
      return pfail(v, "parameter %u: its slot is %u, but there are %u", i, q->slot, p->nslots);
    if (p->slots[q->slot].kind != BPT_SLOT_PARAM)
      return pfail(v, "parameter %u: slot %u is not a parameter slot", i, q->slot);
    if (q->label >= v->b->nstrings)
      return pfail(v, "parameter %u: its label is string %u, but there are %u", i, q->label,
                   v->b->nstrings);
    if (q->required > 1)
      return pfail(v, "parameter %u: `required` is %u, not 0 or 1", i, q->required);
  }
  return true;
}

static bool mode_allowed(unsigned kind, unsigned mode) {
  switch (kind) {
  case BPT_STEP_APPROVE: return mode <= BPT_MODE_BITRIX;
  case BPT_STEP_REVIEW: return mode <= BPT_MODE_ALL;
  default: return mode == BPT_MODE_ANY; /* task, request */
  }
}

static bool check_req_field(Verifier *v, unsigned si, unsigned i, const BptReqField *f) {
  const BptProcess *p = v->p;
  if (f->name >= v->b->nstrings || f->label >= v->b->nstrings)
    return pfail(v, "step %u, request field %u: a string index is out of range (%u strings)", si, i,
                 v->b->nstrings);
  if (!is_value_type(f->type))
    return pfail(v, "step %u, request field %u: type code 0x%02x is not a field's type", si, i,
                 f->type);
  if (f->to_slot > 1)
    return pfail(v, "step %u, request field %u: to_slot is %u, not 0 or 1", si, i, f->to_slot);
  uint32_t limit = f->to_slot ? p->nslots : doc_fields(v);
  if (f->index >= limit)
    return pfail(v, "step %u, request field %u: it stores into %s %u, but there are %u", si, i,
                 f->to_slot ? "slot" : "document field", f->index, limit);
  /* The answer is stored as the field's type: it must be the type declared where it goes
   * (a slot or field never holds a value of another type; restore relies on it). */
  uint8_t want = f->to_slot ? p->slots[f->index].type : v->b->doctypes[p->doctype].fields[f->index].type;
  if (f->type != want)
    return pfail(v, "step %u, request field %u: a %s answer stored into %s %u, which holds %s", si, i,
                 bpt_type_name(f->type), f->to_slot ? "slot" : "document field", f->index,
                 bpt_type_name(want));
  return true;
}

static bool check_steps(Verifier *v) {
  const BptProcess *p = v->p;
  for (unsigned i = 0; i < p->nsteps; i++) {
    const BptStep *s = &p->steps[i];
    if (s->kind > BPT_STEP_REQUEST) return pfail(v, "step %u: unknown kind %u", i, s->kind);
    if (!mode_allowed(s->kind, s->mode))
      return pfail(v, "step %u: mode %u is not allowed for its kind %u", i, s->mode, s->kind);
    if (s->flags & ~(unsigned)(BPT_STEP_WAIT_ALL | BPT_STEP_HAS_DUE | BPT_STEP_TIMEOUT_TIMES))
      return pfail(v, "step %u: unknown flags 0x%02x", i, s->flags);
    if ((s->flags & BPT_STEP_TIMEOUT_TIMES) && (s->timeout_pc == BPT_NO_PC || !(s->flags & BPT_STEP_HAS_DUE)))
      return pfail(v, "step %u: `on timeout times` without a due time and an `on timeout` handler", i);
    for (unsigned j = 0; j < s->nafters; j++)
      if (s->after_flags[j] & ~(unsigned)(BPT_AFTER_EVERY | BPT_AFTER_TIMES))
        return pfail(v, "step %u, after %u: unknown flags 0x%02x", i, j, s->after_flags[j]);
    if ((s->flags & BPT_STEP_WAIT_ALL) && s->kind != BPT_STEP_APPROVE)
      return pfail(v, "step %u: `wait all` on a step that is not an approval", i);
    if (s->result != BPT_NONE16) {
      if (s->result >= p->nslots)
        return pfail(v, "step %u: its result slot is %u, but there are %u", i, s->result,
                     p->nslots);
      if (p->slots[s->result].type != result_type_of(s->kind))
        return pfail(
            v, "step %u: its result slot %u has type 0x%02x, not the step's result type 0x%02x", i,
            s->result, p->slots[s->result].type, result_type_of(s->kind));
    }
    if (s->nfields && s->kind != BPT_STEP_REQUEST)
      return pfail(v, "step %u: request fields on a step that is not a request", i);
    for (unsigned j = 0; j < s->nfields; j++)
      if (!check_req_field(v, i, j, &s->fields[j])) return false;
    if (s->node != BPT_NO_PC && s->node >= v->b->nnodes)
      return pfail(v, "step %u: its graph node is %u, but there are %u", i, s->node, v->b->nnodes);
  }
  return true;
}

static bool check_states(Verifier *v) {
  const BptProcess *p = v->p;
  uint32_t ns = v->b->nstrings;
  for (unsigned i = 0; i < p->nstates; i++) {
    const BptState *s = &p->states[i];
    if (s->name >= ns || s->label >= ns)
      return pfail(v, "state %u: a string index is out of range (%u strings)", i, ns);
    if (s->final > 1) return pfail(v, "state %u: `final` is %u, not 0 or 1", i, s->final);
    for (unsigned j = 0; j < s->ncommands; j++) {
      const BptCommand *c = &s->commands[j];
      if (c->name >= ns || c->label >= ns)
        return pfail(v, "state %u, command %u: a string index is out of range (%u strings)", i, j,
                     ns);
      bool has_target = c->target != BPT_NONE16, has_body = c->body_pc != BPT_NO_PC;
      if (has_target == has_body)
        return pfail(v,
                     "state %u, command %u: it has %s (exactly one of a target state and a body)",
                     i, j, has_target ? "both a target and a body" : "neither a target nor a body");
      if (has_target && c->target >= p->nstates)
        return pfail(v, "state %u, command %u: its target is state %u, but there are %u", i, j,
                     c->target, p->nstates);
    }
  }
  return true;
}

static bool check_ranges(Verifier *v) {
  const BptBundle *b = v->b;
  const BptProcess *p = v->p;
  if ((uint64_t)p->first_line + p->nlines > b->nlines)
    return pfail(v, "its line entries %u+%u are outside the LINES section (%u)", p->first_line,
                 p->nlines, b->nlines);
  const BptLine *lines = p->nlines ? b->lines + p->first_line : NULL; /* none: no LINES */
  uint32_t code_size = p->code_size, before = 0; /* the entry before's pc (none: 0) */
  for (uint32_t i = 0; i < p->nlines; i++) {
    uint32_t pc = lines[i].pc;
    if (pc >= code_size)
      return pfail(v, "line entry %u has pc %u, outside its code (%u bytes)", p->first_line + i,
                   pc, code_size);
    if (pc < before)
      return pfail(v, "line entry %u has pc %u, before the previous entry's %u", p->first_line + i,
                   pc, before);
    before = pc;
  }
  if ((uint64_t)p->first_node + p->nnodes > b->nnodes)
    return pfail(v, "its graph nodes %u+%u are outside the GRAPH section (%u)", p->first_node,
                 p->nnodes, b->nnodes);
  if ((uint64_t)p->first_edge + p->nedges > b->nedges)
    return pfail(v, "its graph edges %u+%u are outside the GRAPH section (%u)", p->first_edge,
                 p->nedges, b->nedges);
  return true;
}

static bool check_descriptors(Verifier *v) {
  return check_header(v) && check_slots(v) && check_steps(v) && check_states(v) && check_ranges(v);
}

/* ---- one process's code: instructions and operands ----------------------------------- */

/* The host's answer to an ACTION is made a value of the action's result type and stored
 * into slot r as it is, with no STORE to check it: the slot must hold that type (a hidden
 * slot takes anything), or a saved state would hold a slot of the wrong type, which
 * restore refuses. */
static bool check_answer_slot(Verifier *v, uint32_t pc, const BptInsn *in, uint32_t r) {
  const BptAction *a = &v->b->actions[in->arg[0]];
  const BptSlot *s = &v->p->slots[r];
  if (a->result == BPT_T_VOID || s->kind == BPT_SLOT_HIDDEN || s->type == a->result) return true;
  return cfail(v, pc, "ACTION %u stores its answer (%s) into slot %u, which holds %s", in->arg[0],
               bpt_type_name(a->result), r, bpt_type_name(s->type));
}

static bool check_count(Verifier *v, uint32_t pc, const BptInsn *in, uint32_t n) {
  const BptBundle *b = v->b;
  switch ((BptOp)in->op) {
  case BPT_OP_CALL:
    if ((int)n != bpt_builtins[in->arg[0]].nargs)
      return cfail(v, pc, "CALL %s with %u arguments, it takes %d", bpt_builtins[in->arg[0]].name,
                   n, bpt_builtins[in->arg[0]].nargs);
    break;
  case BPT_OP_ACTION:
    if (n != b->actions[in->arg[0]].nparams)
      return cfail(v, pc, "ACTION %u with %u arguments, it takes %u", in->arg[0], n,
                   b->actions[in->arg[0]].nparams);
    break;
  case BPT_OP_START:
    if (n > b->processes[in->arg[0]].nparams)
      return cfail(v, pc, "START of process %u with %u parameters, it has %u", in->arg[0], n,
                   b->processes[in->arg[0]].nparams);
    break;
  case BPT_OP_JOIN:
    if (n < 1) return cfail(v, pc, "JOIN of 0 threads");
    break;
  case BPT_OP_REASSIGN:
    if (n < 1 || n > 2)
      return cfail(v, pc, "REASSIGN with %u values, it takes 1 (who) or 2 (who, due)", n);
    break;
  case BPT_OP_FORK:
    if (n > 1) return cfail(v, pc, "FORK with `any` = %u, not 0 or 1", n);
    break;
  /* No rule for the count of the others. */
  case BPT_OP_CONST: case BPT_OP_LOAD: case BPT_OP_STORE: case BPT_OP_LOAD_FIELD:
  case BPT_OP_STORE_FIELD: case BPT_OP_MEMBER: case BPT_OP_POP: case BPT_OP_DUP: case BPT_OP_LIST:
  case BPT_OP_USERS: case BPT_OP_TO_DECIMAL: case BPT_OP_TO_USERS: case BPT_OP_TEXT:
  case BPT_OP_JUMP_IF_SET: case BPT_OP_ADD: case BPT_OP_SUB: case BPT_OP_MUL: case BPT_OP_DIV:
  case BPT_OP_MOD: case BPT_OP_NEG: case BPT_OP_NOT: case BPT_OP_EQ: case BPT_OP_NE: case BPT_OP_LT:
  case BPT_OP_LE: case BPT_OP_GT: case BPT_OP_GE: case BPT_OP_IN: case BPT_OP_JUMP:
  case BPT_OP_JUMP_IF_FALSE: case BPT_OP_AND_ELSE: case BPT_OP_OR_ELSE: case BPT_OP_ITER_START:
  case BPT_OP_ITER_NEXT: case BPT_OP_STEP: case BPT_OP_ADD_PEOPLE: case BPT_OP_HANDLER_END:
  case BPT_OP_NOTIFY: case BPT_OP_LOG: case BPT_OP_WAIT: case BPT_OP_WAIT_UNTIL: case BPT_OP_TERMINATE:
  case BPT_OP_END: case BPT_OP_GOTO: case BPT_OP_STATE_IDLE: case BPT_OP_RESULT: case BPT_OP_FAIL:
  case BPT_OP_TRY: case BPT_OP_TRY_END: case BPT_OP_THROW:
  case BPT_OP_RECEIVE: case BPT_OP_MSG_TAKE:
  case BPT_OP_SPAWN:
    break;
  }
  return true;
}

/* One operand, by its letter in opcodes.def. Jumps are checked once every instruction
 * start is known. */
static bool check_operand(Verifier *v, uint32_t pc, const BptInsn *in, char letter, uint32_t x) {
  const BptBundle *b = v->b;
  const BptProcess *p = v->p;
  uint32_t limit;
  const char *what;
  switch (letter) {
  case 'k': limit = b->nconsts, what = "constant"; break;
  case 'z': limit = b->nstrings, what = "string"; break;
  case 's': limit = p->nslots, what = "slot"; break;
  case 'r': /* ACTION's result slot, after its action (operand a) was checked */
    if (x == BPT_NONE16) return true;
    if (x < p->nslots) return check_answer_slot(v, pc, in, x);
    limit = p->nslots, what = "slot";
    break;
  case 'f':
    if (p->doctype == BPT_NONE16)
      return cfail(v, pc, "%s in a process with no document type", bpt_ops[in->op].name);
    limit = doc_fields(v), what = "document field";
    break;
  case 'm': limit = MEMBERS_MAX, what = "result member"; break;
  case 'g': limit = p->ngroups, what = "fork group"; break;
  case 'a': limit = b->nactions, what = "action"; break;
  case 'p': limit = b->nprocesses, what = "process"; break;
  case 't': limit = p->nsteps, what = "step"; break;
  case 'q': limit = p->nstates, what = "state"; break;
  case 'b': limit = BPT_BI_COUNT, what = "built-in"; break;
  case 'J':
    if (x < 1) return cfail(v, pc, "FORK with no branches");
    return true;
  case 'n': return check_count(v, pc, in, x);
  default: return true; /* j */
  }
  if (x >= limit)
    return cfail(v, pc, "%s uses %s %u, but there are %u", bpt_ops[in->op].name, what, x, limit);
  return true;
}

/* Slots s and s + 1 of an instruction that writes them with no STORE to check the
 * value (a for loop's list and position, a try's caught code and message) must exist
 * and be hidden: a hidden slot takes anything, a declared one would end up holding a
 * value of another type, which restore refuses. */
static bool check_pair_hidden(Verifier *v, uint32_t pc, const BptInsn *in, uint32_t s) {
  const char *name = bpt_ops[in->op].name;
  if (s + 1 >= v->p->nslots)
    return cfail(v, pc, "%s uses slots %u and %u, but there are %u", name, s, s + 1, v->p->nslots);
  for (uint32_t i = s; i <= s + 1; i++)
    if (v->p->slots[i].kind != BPT_SLOT_HIDDEN)
      return cfail(v, pc, "%s writes slot %u, which is not hidden", name, i);
  return true;
}

/* A for loop's hidden state is two slots: the list in s, the position in s + 1. */
static bool check_iter_slots(Verifier *v, uint32_t pc, const BptInsn *in) {
  if (in->op != BPT_OP_ITER_START && in->op != BPT_OP_ITER_NEXT) return true;
  if (!check_pair_hidden(v, pc, in, in->arg[0])) return false;
  /* The item goes to a slot of its own: into the position, it would be counted on as an
   * int (a mutated ITER_NEXT moved a text's pointer by one byte: fuzz_bundle). */
  if (in->op == BPT_OP_ITER_NEXT && (in->arg[1] == in->arg[0] || in->arg[1] == in->arg[0] + 1))
    return cfail(v, pc, "ITER_NEXT puts the item into slot %u, which holds the loop's own state", in->arg[1]);
  return true;
}

/* TRY g k s j: the codes it catches are a constant list of strings (empty: any code), and
 * the caught code and message go to slots s and s + 1. */
static bool check_try(Verifier *v, uint32_t pc, const BptInsn *in) {
  if (in->op != BPT_OP_TRY) return true;
  const BptConst *c = &v->b->consts[in->arg[1]];
  if (!(c->type & BPT_T_LIST) || (c->nitems && c->type != (BPT_T_LIST | BPT_T_STRING)))
    return cfail(v, pc, "TRY's codes (constant %u) must be a list of strings", in->arg[1]);
  return check_pair_hidden(v, pc, in, in->arg[2]);
}

/* The operand stack is not typed (values carry their type at run time), but a value whose
 * type is evident at the store is checked here: a STORE or STORE_FIELD right after a CONST
 * (in code order: the constant is what that path stores), or right after a LOAD or
 * LOAD_FIELD of a scalar of another declared type. The value must fit the declared type
 * as restore requires of a saved state: the same type, or an empty list where a list is
 * declared; a hidden slot takes anything. Every other store is checked by the
 * interpreter, which fails the instance (rt_vm.c, fits_store). */
static bool check_store_type(Verifier *v, uint32_t pc, const BptInsn *prev, const BptInsn *in) {
  const BptProcess *p = v->p;
  if (in->op != BPT_OP_STORE && in->op != BPT_OP_STORE_FIELD) return true;
  bool field = in->op == BPT_OP_STORE_FIELD;
  unsigned want;
  if (field) {
    want = v->b->doctypes[p->doctype].fields[in->arg[0]].type;
  } else {
    if (p->slots[in->arg[0]].kind == BPT_SLOT_HIDDEN) return true;
    want = p->slots[in->arg[0]].type;
  }
  unsigned have;
  const char *from;
  if (prev->op == BPT_OP_CONST) {
    const BptConst *c = &v->b->consts[prev->arg[0]];
    have = c->type, from = "constant";
    if ((have & BPT_T_LIST) && (want & BPT_T_LIST) && c->nitems == 0) return true;
  } else if (prev->op == BPT_OP_LOAD && p->slots[prev->arg[0]].kind != BPT_SLOT_HIDDEN) {
    have = p->slots[prev->arg[0]].type, from = "slot";
  } else if (prev->op == BPT_OP_LOAD_FIELD) {
    have = v->b->doctypes[p->doctype].fields[prev->arg[0]].type, from = "document field";
  } else {
    return true;
  }
  if (have == want || (prev->op != BPT_OP_CONST && ((have | want) & BPT_T_LIST))) return true;
  return cfail(v, pc, "%s stores %s (%s %u) into %s %u, which holds %s", bpt_ops[in->op].name,
               bpt_type_name(have), from, prev->arg[0], field ? "document field" : "slot", in->arg[0],
               bpt_type_name(want));
}

/* A message's payload: RECEIVE z n is followed by exactly n pairs MSG_TAKE, STORE or
 * STORE_FIELD (the runtime reads them to check a delivery before it applies it), and
 * MSG_TAKE stands nowhere else. *expect counts what the RECEIVE before still wants: 2 per
 * pair left, odd when a store is due. */
static bool check_message(Verifier *v, uint32_t pc, const BptInsn *in, uint32_t *expect) {
  const char *name = bpt_ops[in->op].name;
  if (*expect) {
    bool store = *expect % 2 == 1;
    if (store && in->op != BPT_OP_STORE && in->op != BPT_OP_STORE_FIELD)
      return cfail(v, pc, "%s where a message field's STORE or STORE_FIELD must follow its MSG_TAKE", name);
    if (!store && in->op != BPT_OP_MSG_TAKE)
      return cfail(v, pc, "%s where RECEIVE wants %u more MSG_TAKE", name, *expect / 2);
    --*expect;
    return true;
  }
  if (in->op == BPT_OP_MSG_TAKE) return cfail(v, pc, "MSG_TAKE not right after a RECEIVE");
  if (in->op == BPT_OP_RECEIVE) *expect = 2 * in->arg[1];
  return true;
}

/* Decodes the whole code linearly from 0, checks every operand, and marks where each
 * instruction starts. The instructions that jump (a `j` operand, or FORK's branches)
 * are listed in pc order in v->work for check_jumps, which needs every start marked
 * first. An instruction of fixed size is read where its shape says: the same operands,
 * refused with the same message, as bpt_decode_inline gives (it refuses an instruction
 * cut off by the end of the code, which is the size test here). */
static uint32_t read_operand(const uint8_t *q, unsigned width) {
  return width == 1 ? q[0] : width == 2 ? (uint32_t)(q[0] | (unsigned)q[1] << 8) : bpt_le32(q);
}

/* The opcode and first operand of the instruction at pc (NO_PC: none, as END), all
 * check_store_type reads of the one before a STORE. */
static BptInsn insn_before(Verifier *v, uint32_t pc) {
  BptInsn prev = {.op = BPT_OP_END};
  if (pc == BPT_NO_PC) return prev;
  prev.op = v->code[pc];
  const OpShape *s = &v->shape[prev.op];
  if (s->nargs) prev.arg[0] = read_operand(v->code + pc + s->at[0], s->width[0]);
  return prev;
}

static void set_limits(Verifier *v) {
  const BptBundle *b = v->b;
  const BptProcess *p = v->p;
  v->limit[L_CONST] = b->nconsts, v->limit[L_STRING] = b->nstrings, v->limit[L_SLOT] = p->nslots;
  v->limit[L_FIELD] = p->doctype == BPT_NONE16 ? 0 : doc_fields(v);
  v->limit[L_MEMBER] = MEMBERS_MAX, v->limit[L_GROUP] = p->ngroups, v->limit[L_ACTION] = b->nactions;
  v->limit[L_PROCESS] = b->nprocesses, v->limit[L_STEP] = p->nsteps, v->limit[L_STATE] = p->nstates;
  v->limit[L_BUILTIN] = BPT_BI_COUNT, v->limit[L_ANY] = UINT32_MAX;
}

/* check_instructions' checks in full of the instruction at pc (a known opcode), whose
 * instruction before is at prev_pc: its size, or 0 when it fails (the message made). A
 * jumping instruction is listed in v->work at *nwork. Kept out of check_instructions'
 * loop, so that the loop over the instructions that need only their bounds holds its
 * few values in registers. */
static __attribute__((noinline)) uint32_t check_full(Verifier *v, uint32_t pc, uint32_t prev_pc,
                                                     uint32_t *nwork) {
  const uint8_t *code = v->code;
  uint32_t code_size = v->p->code_size;
  uint8_t op = code[pc];
  const OpShape *s = &v->shape[op];
  BptInsn in;
  const char *letters;
  bool jumps;
  if (s->decode) {
    letters = bpt_ops[op].operands;
    if (!bpt_decode_inline(code, code_size, pc, &in))
      return cfail(v, pc, "%s is cut off by the end of the code (%u bytes)", bpt_ops[op].name,
                   code_size);
    jumps = in.nbranches > 0 || strchr(letters, 'j');
  } else {
    if (code_size - pc < s->size)
      return cfail(v, pc, "%s is cut off by the end of the code (%u bytes)", bpt_ops[op].name,
                   code_size);
    in.op = op, in.size = s->size, in.nargs = s->nargs, in.nbranches = 0, in.branch = NULL;
    in.arg[0] = 0;
    for (unsigned i = 0; i < s->nargs; i++) in.arg[i] = read_operand(code + pc + s->at[i], s->width[i]);
    if (s->j_at) in.arg[s->j_arg] = bpt_jump_target(pc + s->size, in.arg[s->j_arg]);
    letters = s->letter;
    jumps = s->j_at != 0;
  }
  for (unsigned i = 0; i < in.nargs; i++)
    if (!check_operand(v, pc, &in, letters[i], in.arg[i])) return 0;
  if (jumps) v->work[(*nwork)++] = pc;
  if (s->special || v->expect) {
    BptInsn prev = insn_before(v, prev_pc);
    if (!check_iter_slots(v, pc, &in) || !check_try(v, pc, &in) || !check_store_type(v, pc, &prev, &in))
      return 0;
    if (!check_message(v, pc, &in, &v->expect)) return 0;
  }
  v->mark[pc] = UNSEEN;
  return in.size;
}

/* Decodes the whole code linearly from 0, checks every operand, and marks where each
 * instruction starts. The instructions that jump (a `j` operand, or FORK's branches)
 * are listed in pc order in v->work for check_jumps, which needs every start marked
 * first. An instruction of fixed size is read where its shape says: the same operands,
 * refused with the same message, as bpt_decode_inline gives (it refuses an instruction
 * cut off by the end of the code, which is the size test here). Most instructions need
 * no more than their operands below their bounds: one compare each; any other (a rule
 * of its own, an operand at or above its bound, a message's fields due) is checked in
 * full by check_full, by the same functions in the same order, so the first failure and
 * its message are the same. */
static bool check_instructions(Verifier *v) {
  const uint8_t *code = v->code;
  uint32_t code_size = v->p->code_size;
  /* Kept here, not in *v: a store to a mark (a byte) could change any of them as far as
   * the compiler knows, which would make it load them again after each. */
  uint8_t *mark = v->mark;
  uint32_t *work = v->work, nwork = 0;
  const OpShape *shape = v->shape;
  const uint32_t *limit = v->limit;
  memset(mark, NOT_START, code_size);
  set_limits(v);
  uint32_t prev_pc = BPT_NO_PC;
  v->expect = 0;
  for (uint32_t pc = 0; pc < code_size;) {
    uint8_t op = code[pc];
    if (op >= BPT_OP_COUNT) return cfail(v, pc, "unknown opcode %u", op);
    const OpShape *s = &shape[op];
    if (s->quick && code_size - pc >= s->room) {
      /* Whole, and with room to read each operand as a u32 (its mask keeps its bytes): an
       * instruction whose operands are all below their bounds passes check_operand, and no
       * rule of check_instructions' own applies to it. */
      const uint8_t *q = code + pc;
      if ((bpt_le32(q + s->at[0]) & s->mask[0]) < limit[s->limit[0]] &&
          (bpt_le32(q + s->at[1]) & s->mask[1]) < limit[s->limit[1]] &&
          (s->quick == QUICK || (int)q[2] == bpt_builtins[q[1]].nargs)) {
        if (s->j_at) work[nwork++] = pc;
        mark[pc] = UNSEEN;
        prev_pc = pc;
        pc += s->size;
        continue;
      }
    }
    /* And while a RECEIVE's message fields are due, every instruction in full. */
    do {
      uint32_t size = check_full(v, pc, prev_pc, &nwork);
      if (size == 0) return false;
      prev_pc = pc;
      pc += size;
    } while (v->expect && pc < code_size && code[pc] < BPT_OP_COUNT);
  }
  v->nwork = nwork;
  if (v->expect) return cfail(v, code_size, "the code ends inside a RECEIVE's message fields");
  return true;
}

/* ---- one process's code: jumps, entries and the stack -------------------------------- */

static bool is_start(Verifier *v, uint32_t pc) {
  return pc < v->p->code_size && v->mark[pc] != NOT_START;
}

static bool check_target(Verifier *v, uint32_t pc, uint32_t target) {
  if (target == BPT_NO_PC || target >= v->p->code_size)
    return cfail(v, pc, "%s jumps outside the code (%u bytes)", bpt_ops[v->code[pc]].name,
                 v->p->code_size);
  if (v->mark[target] == NOT_START)
    return cfail(v, pc, "%s jumps to pc %u, inside an instruction", bpt_ops[v->code[pc]].name,
                 target);
  return true;
}

/* The targets of the jumping instructions check_instructions listed, in pc order. */
static bool check_jumps(Verifier *v) {
  const BptProcess *p = v->p;
  for (uint32_t k = 0; k < v->nwork; k++) {
    uint32_t pc = v->work[k];
    uint8_t op = v->code[pc];
    if (!v->shape[op].decode) { /* one `j`, where its shape says */
      uint32_t size = v->shape[op].size, target = bpt_le32(v->code + pc + v->shape[op].j_at);
      if (!check_target(v, pc, bpt_jump_target(pc + size, target))) return false;
      continue;
    }
    BptInsn in;
    bpt_decode(v->code, p->code_size, pc, &in);
    for (uint8_t i = 0; i < in.nbranches; i++)
      if (!check_target(v, pc, bpt_branch_target(&in, pc, i))) return false;
  }
  v->nwork = 0;
  return true;
}

/* A path reaches pc with `depth` values on the stack, in a thread or in an expression
 * fragment: the first time, it is queued; after that, every path must agree. */
static bool reach(Verifier *v, uint32_t pc, unsigned depth, bool fragment, uint32_t from) {
  uint8_t *m = &v->mark[pc];
  uint8_t want = (uint8_t)(depth | (fragment ? IN_FRAGMENT : 0));
  if (*m == UNSEEN) {
    *m = want;
    v->work[v->nwork++] = pc;
    return true;
  }
  if (*m == want) return true;
  if ((*m ^ want) & IN_FRAGMENT)
    return cfail(v, pc, "code reached both by an expression fragment and by a thread (via pc %u)", from);
  return cfail(v, pc, "stack depth %u from one path and %u from another (via pc %u)", *m & ~IN_FRAGMENT,
               depth, from);
}

static bool entry(Verifier *v, uint32_t pc, bool fragment, const char *what, unsigned i, unsigned j) {
  if (is_start(v, pc)) return reach(v, pc, 0, fragment, pc);
  char name[64]; /* made only for the message: a bundle has thousands of entries */
  snprintf(name, sizeof name, what, i, j);
  if (pc >= v->p->code_size)
    return pfail(v, "%s pc %u is outside its code (%u bytes)", name, pc, v->p->code_size);
  return pfail(v, "%s pc %u is inside an instruction", name, pc);
}

/* Every place a thread or a fragment (`when`, `by`) can start, each with an empty stack. */
static bool seed_entries(Verifier *v) {
  const BptProcess *p = v->p;
  if (!entry(v, p->entry_pc, false, "entry", 0, 0)) return false;
  if (p->when_pc != BPT_NO_PC && !entry(v, p->when_pc, true, "when", 0, 0)) return false;
  for (unsigned i = 0; i < p->nsteps; i++) {
    const BptStep *s = &p->steps[i];
    if (s->timeout_pc != BPT_NO_PC && !entry(v, s->timeout_pc, false, "step %u timeout", i, 0))
      return false;
    for (unsigned j = 0; j < s->nreminds; j++)
      if (!entry(v, s->remind_pc[j], false, "step %u remind %u", i, j)) return false;
    for (unsigned j = 0; j < s->nafters; j++)
      if (!entry(v, s->after_pc[j], false, "step %u after %u", i, j)) return false;
  }
  for (unsigned i = 0; i < p->nstates; i++) {
    const BptState *s = &p->states[i];
    if (s->enter_pc != BPT_NO_PC && !entry(v, s->enter_pc, false, "state %u enter", i, 0)) return false;
    for (unsigned j = 0; j < s->ncommands; j++) {
      const BptCommand *c = &s->commands[j];
      if (c->by_pc != BPT_NO_PC && !entry(v, c->by_pc, true, "state %u command %u `by`", i, j))
        return false;
      if (c->body_pc != BPT_NO_PC && !entry(v, c->body_pc, false, "state %u command %u body", i, j))
        return false;
    }
  }
  return true;
}

/* What step_general found: a failure (its message made; cfail's false is STEP_FAIL), the
 * end of the path (or its join with a path seen before), or the next instruction, reached
 * for the first time. */
enum { STEP_FAIL = false, STEP_END, STEP_NEXT };

/* The abstract interpretation of the instruction at *pc with the depth its mark says:
 * every rule, for the instructions that are not plain or that a plain one's range
 * refuses. On STEP_NEXT, *pc is the next instruction, marked as reach would. Kept out of
 * step_insn's loop, so that the loop over plain instructions holds its few values in
 * registers. */
static __attribute__((noinline)) int step_general(Verifier *v, uint32_t *pcp) {
  const BptProcess *p = v->p;
  const uint8_t *code = v->code;
  uint32_t pc = *pcp;
  uint8_t mark = v->mark[pc], op = code[pc];
  unsigned depth = mark & ~IN_FRAGMENT;
  bool fragment = (mark & IN_FRAGMENT) != 0;
  const OpShape *s = &v->shape[op];
  const BptOpInfo *info = &bpt_ops[op];
  BptInsn in;
  int pops, pushes;
  uint32_t target = BPT_NO_PC; /* of a `j` operand */
  if (s->decode) {
    /* FORK's branches: decoded whole. */
    bpt_decode(code, p->code_size, pc, &in);
    bpt_stack_effect(p, &in, &pops, &pushes);
  } else {
    /* check_instructions has decoded and checked every instruction: the size of one
     * without a J operand is its opcode's, and its `j` and `n` operands are where its
     * shape says. The stack effect is bpt_stack_effect's. */
    in.op = op;
    in.size = s->size;
    in.nbranches = 0;
    pops = info->pops;
    pushes = info->pushes;
    if (op == BPT_OP_STEP) { /* its descriptor's inputs: bpt_stack_effect reads its `t` */
      in.nargs = 1;
      in.arg[0] = read_operand(code + pc + s->at[0], s->width[0]);
      bpt_stack_effect(p, &in, &pops, &pushes);
    } else if (pops == BPT_VAR) {
      pops = s->n_at ? code[pc + s->n_at] * (op == BPT_OP_START ? 2 : 1) : 0;
    }
    if (s->j_at) target = bpt_jump_target(pc + in.size, bpt_le32(code + pc + s->j_at));
  }
  /* An effect in a fragment, a result outside one: which one is refused depends on
   * where the path is. */
  if (info->flags & (fragment ? BPT_F_EFFECT : BPT_F_RESULT)) {
    if (fragment)
      return cfail(v, pc, "%s in an expression fragment (a `when` or `by` only computes a value)", info->name);
    return cfail(v, pc, "%s outside an expression fragment", info->name);
  }
  if ((unsigned)pops > depth)
    return cfail(v, pc, "%s needs %d values, the stack has %u", info->name, pops, depth);
  unsigned after = depth - (unsigned)pops + (unsigned)pushes;
  if (after > BPT_STACK_MAX) return cfail(v, pc, "stack depth %u exceeds %d", after, BPT_STACK_MAX);
  if ((info->flags & BPT_F_WAIT) && depth != (unsigned)pops)
    return cfail(v, pc, "%s leaves %u values on the stack; a waiting instruction needs it empty",
                 info->name, depth - (unsigned)pops);
  if (s->stack_special) {
    if (op == BPT_OP_TRY && depth != 0) /* the catch starts a thread with an empty stack */
      return cfail(v, pc, "TRY with %u values on the stack; it needs it empty", depth);
    if (op == BPT_OP_SPAWN && depth != 0) /* the new thread starts with an empty stack */
      return cfail(v, pc, "SPAWN with %u values on the stack; it needs it empty", depth);
  }
  if ((info->flags & BPT_F_JUMP) && s->j_at && !reach(v, target, after, fragment, pc))
    return STEP_FAIL;
  for (uint8_t i = 0; i < in.nbranches; i++) /* FORK: each branch is a new thread */
    if (!reach(v, bpt_branch_target(&in, pc, i), 0, fragment, pc)) return STEP_FAIL;
  if (info->flags & BPT_F_END) return STEP_END;
  /* AND_ELSE and OR_ELSE keep the value when they jump and pop it when they do not. */
  if (s->stack_special && (op == BPT_OP_AND_ELSE || op == BPT_OP_OR_ELSE)) after--;
  uint32_t next = pc + in.size;
  if (next >= p->code_size)
    return cfail(v, pc,
                 "%s falls off the end of the code (every path must end in an "
                 "instruction that does not fall through)",
                 info->name);
  if (v->mark[next] != UNSEEN) return reach(v, next, after, fragment, pc) ? STEP_END : STEP_FAIL;
  v->mark[next] = (uint8_t)(after | (fragment ? IN_FRAGMENT : 0)); /* as reach would */
  *pcp = next;
  return STEP_NEXT;
}

/* The abstract interpretation of the instruction at pc, and of the ones after it while
 * each is reached for the first time by falling through. Such a next instruction is taken
 * at once rather than queued and popped again at once: the work list is a stack, so the
 * order of the instructions, and with it the first failure, is the same. */
static bool step_insn(Verifier *v, uint32_t pc) {
  const uint8_t *code = v->code;
  uint8_t *marks = v->mark; /* in locals: see check_instructions */
  const OpShape *shape = v->shape;
  uint32_t code_size = v->p->code_size;
  for (;;) {
    uint8_t mark = marks[pc];
    const OpShape *s = &shape[code[pc]];
    while (s->plain) {
      /* The rules of step_general that apply to a plain opcode, as one range (OpShape);
       * where one fails, step_general says why, with the same message. Its count, where
       * it pops one, is whole: check_instructions has found the instruction whole. */
      unsigned fragment = mark >> 7; /* IN_FRAGMENT */
      unsigned rest = mark - s->lo[fragment] - (code[pc + s->n_at] & s->n_mask);
      if (rest > s->span) break; /* rest: depth - pops */
      unsigned after = rest + s->pushes;
      if (s->flow) {
        if ((s->flow & FLOW_JUMP) &&
            !reach(v, bpt_jump_target(pc + s->size, bpt_le32(code + pc + s->j_at)), after, fragment, pc))
          return false;
        if (s->flow & FLOW_END) return true;
      }
      uint32_t next = pc + s->size;
      /* Off the end: step_general says so (its reach of the jump's target again finds
       * the mark it set, and does nothing). */
      if (next >= code_size) break;
      if (marks[next] != UNSEEN) return reach(v, next, after, fragment, pc);
      mark = (uint8_t)(after | (mark & IN_FRAGMENT)); /* as reach would */
      marks[next] = mark;
      pc = next;
      s = &shape[code[pc]];
    }
    int r = step_general(v, &pc);
    if (r != STEP_NEXT) return r == STEP_END;
  }
}

static bool check_code(Verifier *v) {
  v->code = v->b->code + v->p->code_offset;
  if (!check_instructions(v) || !check_jumps(v) || !seed_entries(v)) return false;
  while (v->nwork > 0)
    if (!step_insn(v, v->work[--v->nwork])) return false;
  return true;
}

/* ---- the whole bundle ---------------------------------------------------------------- */

/* The bound of operand `letter` of op (check_operand's limit), or L_ANY with *slow set
 * when check_operand has more to say than a bound. */
static uint8_t operand_limit(BptOp op, char letter, bool *slow) {
  switch (letter) {
  case 'k': return L_CONST;
  case 'z': return L_STRING;
  case 's': return L_SLOT;
  case 'f': return L_FIELD;
  case 'm': return L_MEMBER;
  case 'g': return L_GROUP;
  case 'a': return L_ACTION;
  case 'p': return L_PROCESS;
  case 't': return L_STEP;
  case 'q': return L_STATE;
  case 'b': return L_BUILTIN;
  case 'j': return L_ANY;
  case 'n': /* the counts check_count has a rule for */
    if (op == BPT_OP_CALL || op == BPT_OP_ACTION || op == BPT_OP_START || op == BPT_OP_JOIN ||
        op == BPT_OP_REASSIGN || op == BPT_OP_FORK)
      *slow = true;
    return L_ANY;
  default: *slow = true; return L_ANY; /* r, J */
  }
}

/* Each opcode's shape, from its operand letters. */
static void op_shapes(Verifier *v) {
  for (unsigned op = 0; op < BPT_OP_COUNT; op++) {
    OpShape *s = &v->shape[op];
    uint32_t at = 1;
    for (const char *c = bpt_ops[op].operands; *c; c++) {
      uint32_t w = bpt_operand_width(*c);
      if (*c == 'J' || w == 0 || s->nargs == 4) {
        s->decode = true;
        break;
      }
      if (*c == 'j') s->j_at = (uint8_t)at, s->j_arg = s->nargs;
      if (*c == 'n') s->n_at = (uint8_t)at;
      s->limit[s->nargs] = operand_limit((BptOp)op, *c, &s->slow);
      s->at[s->nargs] = (uint8_t)at, s->width[s->nargs] = (uint8_t)w, s->letter[s->nargs] = *c;
      s->mask[s->nargs] = w == 1 ? 0xFFu : w == 2 ? 0xFFFFu : 0xFFFFFFFFu;
      s->nargs++;
      at += w;
    }
    s->size = (uint8_t)at;
    s->room = s->nargs && s->at[s->nargs - 1] + 4u > at ? (uint8_t)(s->at[s->nargs - 1] + 4u) : s->size;
    s->special = op == BPT_OP_ITER_START || op == BPT_OP_ITER_NEXT || op == BPT_OP_TRY ||
                 op == BPT_OP_STORE || op == BPT_OP_STORE_FIELD || op == BPT_OP_MSG_TAKE ||
                 op == BPT_OP_RECEIVE;
    s->stack_special = op == BPT_OP_TRY || op == BPT_OP_SPAWN || op == BPT_OP_AND_ELSE ||
                       op == BPT_OP_OR_ELSE;
    s->slow |= s->special;
    s->quick = !s->decode && !s->slow && s->nargs <= 2 ? QUICK : 0;
    if (op == BPT_OP_CALL && s->size == 3 && s->at[0] == 1 && s->at[1] == 2) s->quick = QUICK_CALL; /* b n */
    if (s->room < 4) s->room = 4;
    const BptOpInfo *info = &bpt_ops[op];
    s->plain = !s->decode && op != BPT_OP_STEP && op != BPT_OP_START && !s->stack_special &&
               !(info->flags & BPT_F_WAIT) && (s->j_at != 0) == ((info->flags & BPT_F_JUMP) != 0) &&
               (info->pops == BPT_VAR || (info->pops >= 0 && info->pops <= BPT_STACK_MAX)) &&
               info->pushes >= 0 && info->pushes <= BPT_STACK_MAX;
    if (s->plain) {
      s->flow = (info->flags & BPT_F_JUMP ? FLOW_JUMP : 0) | (info->flags & BPT_F_END ? FLOW_END : 0);
      s->pushes = (uint8_t)info->pushes;
      s->span = (uint8_t)(BPT_STACK_MAX - info->pushes);
      unsigned fixed = info->pops == BPT_VAR ? 0 : (unsigned)info->pops;
      s->lo[0] = (uint16_t)(info->flags & BPT_F_RESULT ? 0xFFFF : fixed);
      s->lo[1] = (uint16_t)(info->flags & BPT_F_EFFECT ? 0xFFFF : IN_FRAGMENT + fixed);
      if (info->pops == BPT_VAR && s->n_at) s->n_mask = 0xFF; /* as step_general counts */
    }
  }
}

bool bpt_verify(const BptBundle *b, BptAllocFn alloc, void *ud, BptError *err) {
  Verifier v = {.b = b, .err = err};
  op_shapes(&v);
  if (!check_tables(&v, alloc, ud)) return false;
  uint32_t max_code = 0;
  for (uint32_t i = 0; i < b->nprocesses; i++) {
    v.p = &b->processes[i], v.pi = i;
    if (!check_descriptors(&v)) return false;
    if (v.p->code_size > max_code) max_code = v.p->code_size;
  }
  if (b->nprocesses == 0) return true;
  /* Scratch for the largest process: a work list entry and a mark per byte of code. */
  if (max_code > (SIZE_MAX - max_code) / sizeof *v.work)
    return fail(&v, "out of memory verifying the bundle (code of %u bytes)", max_code);
  size_t bytes = (size_t)max_code * sizeof *v.work + max_code;
  void *scratch = alloc(ud, NULL, 0, bytes);
  if (!scratch) return fail(&v, "out of memory verifying the bundle (%zu bytes)", bytes);
  v.work = scratch;
  v.mark = (uint8_t *)scratch + (size_t)max_code * sizeof *v.work;
  bool ok = true;
  for (uint32_t i = 0; i < b->nprocesses && ok; i++) {
    v.p = &b->processes[i], v.pi = i;
    ok = check_code(&v);
  }
  alloc(ud, scratch, bytes, 0);
  return ok;
}
