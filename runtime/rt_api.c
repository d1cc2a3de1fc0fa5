/* rt_api.c — the public face of libbprt (bp.h): the runtime, loading bundles, documents,
 * starting instances and looking into them, and values for the host. The events
 * themselves are rt_event.c's, saving is rt_save.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

int bp_version_number(void) { return BP_VERSION_NUMBER; }
const char *bp_version(void) { return BP_VERSION; }

BpStatus rt_fail_status(BpError *err, BpStatus st, const char *fmt, ...) {
  if (err) {
    err->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return st;
}

/* ---- public values ---------------------------------------------------------------------- */

BpValue bp_string(const char *s) {
  return (BpValue){.type = BP_T_STRING, .s = s ? s : "", .len = s ? strlen(s) : 0};
}
BpValue bp_user(const char *id) {
  return (BpValue){.type = BP_T_USER, .s = id ? id : "", .len = id ? strlen(id) : 0};
}
BpValue bp_int(int64_t i) { return (BpValue){.type = BP_T_INT, .i = i}; }
BpValue bp_bool(bool b) { return (BpValue){.type = BP_T_BOOL, .i = b}; }
BpValue bp_decimal(int64_t unscaled, uint8_t scale) {
  return (BpValue){.type = BP_T_DECIMAL, .i = unscaled, .scale = scale};
}
BpValue bp_duration(int64_t seconds) { return (BpValue){.type = BP_T_DURATION, .i = seconds}; }
BpValue bp_date(int64_t days) { return (BpValue){.type = BP_T_DATE, .i = days}; }
BpValue bp_datetime(int64_t minutes) { return (BpValue){.type = BP_T_DATETIME, .i = minutes}; }
BpValue bp_list(BpType elem_type, const BpValue *items, size_t n) {
  return (BpValue){.type = (uint8_t)(BP_T_LIST | elem_type), .items = items, .n = n};
}

void bp_value_free(BpRuntime *rt, BpValue *v) {
  if (!rt || !v) return;
  if ((v->type == BP_T_STRING || v->type == BP_T_USER) && v->s) rt_dealloc(rt, (void *)v->s, v->len + 1);
  if ((v->type & BP_T_LIST) && v->items) {
    BpValue *items = (BpValue *)v->items;
    for (size_t i = 0; i < v->n; i++) bp_value_free(rt, &items[i]);
    rt_dealloc(rt, items, (v->n ? v->n : 1) * sizeof *items);
  }
  *v = (BpValue){0};
}

BpStatus bp_value_copy(BpRuntime *rt, const BpValue *in, BpValue *out, BpError *err) {
  if (!rt || !in || !out) return rt_fail_status(err, BP_EINVAL, "bp_value_copy: missing argument");
  *out = (BpValue){0};
  if (in->type == BP_T_VOID || rt_is_record(in->type)) {
    out->type = in->type;
    return BP_OK;
  }
  RtErr e = {0};
  Value v;
  RtCode c = rt_from_public(rt, in, &v, &e);
  if (c == RT_OK) {
    if (!rt_to_owned(rt, v, out)) c = rt_nomem(&e);
    rt_unref(rt, v);
  }
  if (c == RT_OK) return BP_OK;
  return rt_fail_status(err, c == RT_NOMEM ? BP_ENOMEM : BP_EINVAL, "%s", e.msg);
}

size_t bp_value_format(const BpValue *v, char *buf, size_t size) {
  char tmp[64];
  if (!v) return 0;
  if (size) buf[0] = '\0';
  switch (v->type) {
  case BP_T_STRING:
  case BP_T_USER:
    if (size) snprintf(buf, size, "%.*s", (int)(v->len > (size_t)INT32_MAX ? INT32_MAX : v->len), v->s ? v->s : "");
    return v->len;
  case BP_T_INT: return (size_t)snprintf(buf, size, "%lld", (long long)v->i);
  case BP_T_BOOL: return (size_t)snprintf(buf, size, "%s", v->i ? "true" : "false");
  case BP_T_DURATION: return rt_format_duration(v->i, buf, size);
  case BP_T_DECIMAL: return rt_format_decimal(v->i, v->scale, buf, size);
  case BP_T_DATE:
  case BP_T_DATETIME:
    if (v->unset) return (size_t)snprintf(buf, size, "(not set)");
    return v->type == BP_T_DATE ? bpt_format_date(v->i, buf, size) : bpt_format_datetime(v->i, buf, size);
  default:
    if (v->type & BP_T_LIST) {
      size_t total = 0;
      for (size_t i = 0; i < v->n; i++) {
        if (i) {
          if (total + 2 < size) memcpy(buf + total, ", ", 3);
          total += 2;
        }
        size_t room = total < size ? size - total : 0;
        size_t k = bp_value_format(&v->items[i], room ? buf + total : tmp, room ? room : sizeof tmp);
        total += k;
      }
      if (size) buf[total < size ? total : size - 1] = '\0';
      return total;
    }
    return (size_t)snprintf(buf, size, "(%s)", bpt_type_name(v->type));
  }
}

BpStatus bp_value_op(BpRuntime *rt, BpOp op, const BpValue *a, const BpValue *b, BpValue *out,
                     BpError *err) {
  if (!rt || !a || !out || (op < BP_OP_NEG && !b)) return rt_fail_status(err, BP_EINVAL, "bp_value_op: missing operand");
  RtErr e = {0};
  Value x = {0}, y = {0}, r = {0};
  RtCode c = rt_from_public(rt, a, &x, &e);
  if (c == RT_OK && op < BP_OP_NEG) c = rt_from_public(rt, b, &y, &e);
  if (c == RT_OK) c = op < BP_OP_NEG ? rt_binop(rt, op, x, y, &r, &e) : rt_unop(rt, op, x, &r, &e);
  rt_unref(rt, x);
  rt_unref(rt, y);
  if (c == RT_OK && !rt_to_owned(rt, r, out)) c = rt_nomem(&e);
  rt_unref(rt, r);
  if (c == RT_OK) return BP_OK;
  return rt_fail_status(err, c == RT_NOMEM ? BP_ENOMEM : BP_EINVAL, "%s", e.msg);
}

BpStatus bp_value_call(BpRuntime *rt, const char *fn, const BpValue *args, size_t n, BpValue *out,
                       BpError *err) {
  if (!rt || !fn || !out || (n && !args)) return rt_fail_status(err, BP_EINVAL, "bp_value_call: missing argument");
  unsigned b = 0;
  while (b < BPT_BI_COUNT && strcmp(bpt_builtins[b].name, fn) != 0) b++;
  if (b == BPT_BI_COUNT) return rt_fail_status(err, BP_EINVAL, "unknown function `%s`", fn);
  if (n != (size_t)bpt_builtins[b].nargs)
    return rt_fail_status(err, BP_EINVAL, "`%s` takes %d arguments, not %zu", fn, bpt_builtins[b].nargs, n);
  Value vals[3] = {{0}};
  RtErr e = {0};
  RtCode c = RT_OK;
  for (size_t i = 0; i < n && c == RT_OK; i++) c = rt_from_public(rt, &args[i], &vals[i], &e);
  /* The checker's implicit conversion: an int argument of round() is a number already. */
  Value r = {0};
  int64_t now = rt->cfg.clock ? rt->cfg.clock(rt->cfg.ud) : 0;
  if (c == RT_OK) c = rt_builtin(rt, b, vals, (unsigned)n, now, &r, &e);
  rt_unref_all(rt, vals, 3);
  if (c == RT_OK && !rt_to_owned(rt, r, out)) c = rt_nomem(&e);
  rt_unref(rt, r);
  if (c == RT_OK) return BP_OK;
  return rt_fail_status(err, c == RT_NOMEM ? BP_ENOMEM : BP_EINVAL, "%s", e.msg);
}

/* ---- the runtime ---------------------------------------------------------------------------- */

void bp_config_init(BpConfig *config) {
  if (!config) return;
  memset(config, 0, sizeof *config);
  config->size = sizeof *config;
}

/* The smallest BpConfig a host may hand in: the first one with a size field (this one).
 * When fields are added at the end, hosts built before pass a smaller size; what they do
 * not know stays zero. */
enum { CONFIG_SIZE_MIN = offsetof(BpConfig, step_budget) + sizeof(uint32_t) };

BpStatus bp_runtime_new(const BpConfig *config, BpRuntime **out, BpError *err) {
  if (!out) return rt_fail_status(err, BP_EINVAL, "bp_runtime_new: no place for the runtime");
  *out = NULL;
  if (!config) return rt_fail_status(err, BP_EINVAL, "bp_runtime_new: no config");
  if (config->size < CONFIG_SIZE_MIN || config->size > sizeof *config)
    return rt_fail_status(err, BP_EINVAL,
                          "bp_runtime_new: config.size is %zu, not one this library (%s) knows: make "
                          "the config with bp_config_init or BP_CONFIG_INIT",
                          config->size, BP_VERSION);
  if (!config->alloc) return rt_fail_status(err, BP_EINVAL, "bp_runtime_new: the config needs an allocator");
  BpRuntime *rt = config->alloc(config->alloc_ud, NULL, 0, sizeof *rt);
  if (!rt) return rt_fail_status(err, BP_ENOMEM, "out of memory");
  memset(rt, 0, sizeof *rt);
  memcpy(&rt->cfg, config, config->size);
  rt->cfg.size = sizeof rt->cfg;
  *out = rt;
  return BP_OK;
}

void bp_runtime_free(BpRuntime *rt) {
  if (rt) rt->cfg.alloc(rt->cfg.alloc_ud, rt, sizeof *rt, 0);
}

void bp_free(BpRuntime *rt, void *p, size_t len) {
  if (rt && p) rt_dealloc(rt, p, len);
}

/* ---- bundles ------------------------------------------------------------------------------------ */

static void *bundle_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  BpRuntime *rt = ud;
  return rt->cfg.alloc(rt->cfg.alloc_ud, ptr, old_size, new_size);
}

static void bundle_release(BpBundle *b) {
  BpRuntime *rt = b->rt;
  rt_save_index_free(b);
  if (b->consts) {
    for (uint32_t i = 0; i < b->b.nconsts; i++) rt_free_immortal(rt, b->consts[i]);
    rt_dealloc(rt, b->consts, rt_values_bytes(b->b.nconsts));
  }
  rt_free_immortal(rt, b->empty_text);
  rt_free_immortal(rt, b->empty_list);
  rt_dealloc(rt, b->initial, b->ninitial ? b->ninitial * sizeof(Value) : 1);
  rt_dealloc(rt, b->doc_initial, (b->b.ndoctypes ? b->b.ndoctypes : 1) * sizeof(Value *));
  if (b->procs) {
    for (uint32_t i = 0; i < b->b.nprocesses; i++) {
      const BptProcess *p = &b->b.processes[i];
      rt_dealloc(rt, b->procs[i].resume, p->code_size / 8 + 1);
      rt_dealloc(rt, b->procs[i].fields, (p->nsteps ? p->nsteps : 1) * sizeof(BpField *));
      rt_dealloc(rt, b->procs[i].line_node, (p->nlines ? p->nlines : 1) * sizeof(uint32_t));
      if (b->procs[i].insn_at) rt_dealloc(rt, b->procs[i].insn_at, (p->code_size ? p->code_size : 1) * sizeof(uint32_t));
      if (b->procs[i].insns) rt_dealloc(rt, b->procs[i].insns, (b->procs[i].ninsns ? b->procs[i].ninsns : 1) * sizeof(BptInsn));
      if (b->procs[i].ops) rt_dealloc(rt, b->procs[i].ops, (b->procs[i].ninsns + 1) * sizeof(RtOp));
      rt_dealloc(rt, b->procs[i].names, (b->procs[i].nnames ? b->procs[i].nnames : 1) * sizeof(RtName));
    }
    rt_dealloc(rt, b->procs, (b->b.nprocesses ? b->b.nprocesses : 1) * sizeof(RtProc));
  }
  rt_dealloc(rt, b->field_mem, (b->nfield_mem ? b->nfield_mem : 1) * sizeof(BpField));
  bpt_free(&b->b, bundle_alloc, rt);
  rt_dealloc(rt, b->bytes, b->len ? b->len : 1);
  rt_dealloc(rt, b, sizeof *b);
}

static bool make_consts(BpBundle *b) {
  BpRuntime *rt = b->rt;
  b->consts = rt_alloc(rt, rt_values_bytes(b->b.nconsts));
  if (!b->consts) return false;
  for (uint32_t i = 0; i < b->b.nconsts; i++) {
    const BptConst *c = &b->b.consts[i];
    Value *v = &b->consts[i];
    switch (c->type) {
    case BPT_T_STRING:
    case BPT_T_USER: {
      const BptString *s = &b->b.strings[c->str];
      if (!rt_str_new(rt, s->data, s->len, c->type, v)) return false;
      break;
    }
    case BPT_T_DECIMAL: *v = (Value){.type = c->type, .scale = c->scale, .u.i = c->i}; break;
    default:
      if (rt_is_list(c->type)) {
        if (!rt_list_new(rt, c->type, c->nitems, v)) return false;
        for (uint32_t k = 0; k < c->nitems; k++) v->u.l->items[k] = b->consts[c->items[k]];
      } else {
        *v = (Value){.type = c->type, .u.i = c->i};
      }
    }
    rt_make_immortal(*v);
  }
  return true;
}

static bool make_empties(BpBundle *b) {
  if (!rt_str_new(b->rt, "", 0, BPT_T_STRING, &b->empty_text)) return false;
  rt_make_immortal(b->empty_text);
  if (!rt_list_new(b->rt, BPT_T_LIST | BPT_T_VOID, 0, &b->empty_list)) return false;
  rt_make_immortal(b->empty_list);
  return true;
}

/* A field's value when nobody gave one: its default, or the empty value of its type. */
static Value field_initial(const BpBundle *b, const BptField *f) {
  if (f->def != BPT_NONE16) return b->consts[f->def];
  if (f->type == BPT_T_STRING || f->type == BPT_T_USER) return rt_empty_text(b, f->type);
  if (rt_is_list(f->type)) return rt_empty_list(b, f->type);
  return rt_empty(f->type);
}

/* Variables start empty, as fields do ("", 0, an unset date); the compiler's initializers
 * then run, but it has no constant for some types (a user, a date). A result record stays
 * VOID until its step closes, and so does a parameter not given. */
static Value slot_initial(const BpBundle *b, const BptSlot *slot) {
  uint8_t t = slot->type;
  if (slot->kind != BPT_SLOT_VAR || rt_is_record(t)) return (Value){0};
  if (t == BPT_T_STRING || t == BPT_T_USER) return rt_empty_text(b, t);
  if (rt_is_list(t)) return rt_empty_list(b, t);
  return rt_empty(t);
}

/* BpBundle.initial: every document type's fields as new, then every process's slots as
 * started (after make_consts and make_empties, whose immortal values they may be). */
static bool make_initial(BpBundle *b) {
  size_t n = 0;
  for (uint32_t i = 0; i < b->b.ndoctypes; i++) n += b->b.doctypes[i].nfields;
  for (uint32_t i = 0; i < b->b.nprocesses; i++) n += rt_values_bytes(b->b.processes[i].nslots) / sizeof(Value);
  b->doc_initial = rt_alloc(b->rt, (b->b.ndoctypes ? b->b.ndoctypes : 1) * sizeof(Value *));
  b->initial = rt_alloc(b->rt, n ? n * sizeof(Value) : 1);
  b->ninitial = n; /* (the size bundle_release frees) */
  if (!b->doc_initial || !b->initial) return false;
  Value *v = b->initial;
  for (uint32_t i = 0; i < b->b.ndoctypes; i++) {
    const BptDoctype *d = &b->b.doctypes[i];
    b->doc_initial[i] = v;
    for (uint32_t k = 0; k < d->nfields; k++) *v++ = field_initial(b, &d->fields[k]);
  }
  for (uint32_t i = 0; i < b->b.nprocesses; i++) {
    const BptProcess *p = &b->b.processes[i];
    b->procs[i].slots_initial = v;
    for (uint16_t k = 0; k < p->nslots; k++) *v++ = slot_initial(b, &p->slots[k]);
    if (p->nslots == 0) *v++ = (Value){0}; /* (a start's block has room for one: rt_values_bytes) */
  }
  return true;
}

/* Where a waiting thread may rest: just after an instruction that waits. */
static bool make_resume_points(BpBundle *b, uint32_t i) {
  const BptProcess *p = &b->b.processes[i];
  uint8_t *bits = rt_alloc(b->rt, p->code_size / 8 + 1);
  if (!bits) return false;
  b->procs[i].resume = bits;
  const uint8_t *code = b->b.code + p->code_offset;
  BptInsn in;
  for (uint32_t pc = 0; pc < p->code_size && bpt_decode(code, p->code_size, pc, &in); pc += in.size) {
    uint32_t next = pc + in.size;
    if ((bpt_ops[in.op].flags & BPT_F_WAIT) && next < p->code_size) bits[next / 8] |= (uint8_t)(1u << (next % 8));
  }
  return true;
}

/* The index of the instruction at pc, or UINT32_MAX when none starts there. */
static uint32_t insn_index(const RtProc *rp, uint32_t code_size, uint32_t pc) {
  return pc < code_size ? rp->insn_at[pc] : UINT32_MAX;
}

/* The fast form of process i's decoded code (RtProc.ops, see RtOp): the instructions the
 * interpreter's inner loop runs, their operands and, for a STORE, the slot's type; the
 * straight runs' lengths, from the last instruction back; one slow entry after the last
 * instruction, at pc = code_size. */
static bool make_ops(BpBundle *b, uint32_t i) {
  const BptProcess *p = &b->b.processes[i];
  RtProc *rp = &b->procs[i];
  uint32_t n = rp->ninsns;
  RtOp *ops = rt_alloc(b->rt, (n + 1) * sizeof *ops);
  if (!ops) return false;
  rp->ops = ops;
  uint32_t pc = 0;
  for (uint32_t k = 0; k < n; pc += rp->insns[k++].size) ops[k].pc = pc;
  ops[n] = (RtOp){.op = RT_OP_SLOW, .pc = pc};
  for (uint32_t k = n; k-- > 0;) {
    const BptInsn *in = &rp->insns[k];
    RtOp *o = &ops[k];
    *o = (RtOp){.op = in->op, .a = in->arg[0], .pc = o->pc};
    bool ends = false;
    switch (in->op) {
    case BPT_OP_STORE:
      o->type = p->slots[in->arg[0]].type;
      o->any = p->slots[in->arg[0]].kind == BPT_SLOT_HIDDEN;
      break;
    case BPT_OP_JUMP:
    case BPT_OP_JUMP_IF_FALSE:
      o->a = insn_index(rp, p->code_size, in->arg[0]);
      ends = true;
      if (o->a == UINT32_MAX) o->op = RT_OP_SLOW; /* the general path reports the pc */
      break;
    case BPT_OP_ITER_NEXT: /* the item's slot's type as a STORE's; a jump to the loop's exit */
      o->type = p->slots[in->arg[1]].type;
      o->any = p->slots[in->arg[1]].kind == BPT_SLOT_HIDDEN;
      o->a = insn_index(rp, p->code_size, in->arg[2]);
      ends = true;
      if (o->a == UINT32_MAX) o->op = RT_OP_SLOW;
      break;
    case BPT_OP_CALL: /* a built-in of values only: open_items and role read the instance or the host */
      o->type = (uint8_t)in->arg[1];
      if (in->arg[0] == BPT_BI_OPEN_ITEMS || in->arg[0] == BPT_BI_OPEN_USERS || in->arg[0] == BPT_BI_ROLE ||
          in->arg[1] > UINT8_MAX)
        o->op = RT_OP_SLOW;
      break;
    case BPT_OP_STORE_FIELD: /* the field's declared type */
      if (p->doctype < b->b.ndoctypes && in->arg[0] < b->b.doctypes[p->doctype].nfields)
        o->type = b->b.doctypes[p->doctype].fields[in->arg[0]].type;
      else
        o->op = RT_OP_SLOW;
      break;
    case BPT_OP_JUMP_IF_SET: /* a parameter's default: its slot is read from its BptInsn */
      o->a = insn_index(rp, p->code_size, in->arg[1]);
      ends = true;
      if (o->a == UINT32_MAX) o->op = RT_OP_SLOW;
      break;
    case BPT_OP_USERS: /* `approve expert`, `notify voters`: one operand, most often left as it is */
      if (in->arg[0] != 1) o->op = RT_OP_SLOW;
      break;
    case BPT_OP_TEXT: /* a notification's text: NOTIFY takes it next (make_text) */
      o->any = k + 1 < n && rp->insns[k + 1].op == BPT_OP_NOTIFY;
      break;
    case BPT_OP_CONST: case BPT_OP_LOAD: case BPT_OP_LOAD_FIELD: case BPT_OP_MEMBER: case BPT_OP_NOT:
    case BPT_OP_ADD: case BPT_OP_SUB: case BPT_OP_MUL: case BPT_OP_DIV: case BPT_OP_MOD:
    case BPT_OP_EQ: case BPT_OP_NE: case BPT_OP_LT: case BPT_OP_LE: case BPT_OP_GT: case BPT_OP_GE:
    case BPT_OP_IN: case BPT_OP_LOG: case BPT_OP_ITER_START:
      break;
    default: o->op = RT_OP_SLOW; break;
    }
    o->len = o->op == RT_OP_SLOW ? 0 : ends ? 1 : 1 + ops[k + 1].len;
  }
  _Static_assert((int)BPT_OP_COUNT < (int)RT_OP_CMP_JUMP, "the fused forms' codes are above the instructions'");
  for (uint32_t k = 0; k + 2 < n; k++) {
    RtOp *o = &ops[k];
    uint8_t third = o[2].op, fourth = k + 3 < n ? o[3].op : RT_OP_SLOW;
    bool compare = third >= BPT_OP_EQ && third <= BPT_OP_GE, arith = third >= BPT_OP_ADD && third <= BPT_OP_MOD;
    if (o->op != BPT_OP_LOAD) continue;
    if (o[1].op == BPT_OP_LOAD && compare && fourth == BPT_OP_JUMP_IF_FALSE) o->op = RT_OP_CMP_JUMP, o->type = third;
    else if (o[1].op == BPT_OP_CONST && third == BPT_OP_ADD && fourth == BPT_OP_STORE) o->op = RT_OP_SLOT_ADD_STORE;
    else if (o[1].op == BPT_OP_CONST && arith) o->op = RT_OP_SLOT_ARITH, o->type = third;
  }
  return true;
}

/* The rooms of process i's started instances (RtProc.inst_size): what it can use at once.
 * Most processes wait on one step at a time, with its thread and at most a due time: no
 * `parallel`, `try`, `after` handler, reminder, `on timeout` or states (each of which runs
 * threads of its own). They get room for one thread, one step and one timer; the others
 * for two of each, as every process had. Each room is rounded up to 8 bytes, the
 * alignment of the next. */
static void plan_rooms(BpBundle *b, uint32_t i) {
  const BptProcess *p = &b->b.processes[i];
  RtProc *rp = &b->procs[i];
  bool solo = p->nstates == 0;
  for (uint16_t k = 0; k < p->nsteps; k++) {
    const BptStep *d = &p->steps[k];
    solo = solo && d->timeout_pc == BPT_NO_PC && d->nreminds == 0 && d->nafters == 0;
  }
  for (uint32_t k = 0; k < rp->ninsns; k++) {
    uint8_t op = rp->insns[k].op;
    solo = solo && op != BPT_OP_FORK && op != BPT_OP_TRY && op != BPT_OP_SPAWN;
  }
  unsigned n = solo ? 1 : 2;
  rp->room_each = (uint8_t)n;
  rp->steps_at = (uint16_t)rt_room_bytes(n * sizeof(RtThread));
  rp->timers_at = (uint16_t)(rp->steps_at + n * sizeof(RtStep));
  rp->people_at = (uint16_t)(rp->timers_at + n * sizeof(RtTimer));
  rp->inst_size = (uint32_t)(sizeof(BpInstance) + rt_values_bytes(p->nslots) + rp->people_at +
                             RT_PEOPLE_ROOM * sizeof(RtPerson));
}
_Static_assert(_Alignof(RtStep) <= 8 && _Alignof(RtTimer) <= 8 && _Alignof(RtPerson) <= 8 && sizeof(RtStep) % 8 == 0 &&
                   sizeof(RtTimer) % 8 == 0 && sizeof(Value) % 8 == 0,
               "an instance's rooms follow its slots, each aligned");

/* The code of process i decoded once (RtProc.insns): two passes, counting then filling. */
static bool predecode(BpBundle *b, uint32_t i) {
  const BptProcess *p = &b->b.processes[i];
  RtProc *rp = &b->procs[i];
  const uint8_t *code = b->b.code + p->code_offset;
  BptInsn in;
  uint32_t n = 0;
  for (uint32_t pc = 0; pc < p->code_size && bpt_decode(code, p->code_size, pc, &in); pc += in.size) n++;
  rp->insn_at = rt_alloc(b->rt, (p->code_size ? p->code_size : 1) * sizeof(uint32_t));
  if (!rp->insn_at) return false;
  rp->insns = rt_alloc(b->rt, (n ? n : 1) * sizeof(BptInsn));
  if (!rp->insns) return false;
  rp->ninsns = n;
  memset(rp->insn_at, 0xFF, (size_t)p->code_size * sizeof(uint32_t));
  uint32_t k = 0;
  for (uint32_t pc = 0; k < n && bpt_decode(code, p->code_size, pc, &rp->insns[k]); pc += rp->insns[k++].size)
    rp->insn_at[pc] = k;
  plan_rooms(b, i);
  return make_ops(b, i);
}

/* A statement's node by its position: the line table and the graph agree on (line,
 * column); of several nodes at one spot the first wins; merges and branch clusters are
 * not statements. */
typedef struct Spot {
  uint32_t line, col, node;
} Spot;

static int spot_order(const void *a, const void *b) {
  const Spot *x = a, *y = b;
  if (x->line != y->line) return x->line < y->line ? -1 : 1;
  if (x->col != y->col) return x->col < y->col ? -1 : 1;
  return x->node < y->node ? -1 : x->node > y->node;
}

static bool make_line_nodes(BpBundle *b, uint32_t i) {
  const BptProcess *p = &b->b.processes[i];
  uint32_t *map = rt_alloc(b->rt, (p->nlines ? p->nlines : 1) * sizeof *map);
  Spot *spots = rt_alloc(b->rt, (p->nnodes ? p->nnodes : 1) * sizeof *spots);
  if (!map || !spots) {
    rt_dealloc(b->rt, map, (p->nlines ? p->nlines : 1) * sizeof *map);
    rt_dealloc(b->rt, spots, (p->nnodes ? p->nnodes : 1) * sizeof *spots);
    return false;
  }
  uint32_t n = 0;
  for (uint32_t k = 0; k < p->nnodes; k++) {
    const BptNode *nd = &b->b.nodes[p->first_node + k];
    if (nd->kind != BPT_N_MERGE && nd->kind != BPT_N_BRANCH) spots[n++] = (Spot){nd->line, nd->col, p->first_node + k};
  }
  qsort(spots, n, sizeof *spots, spot_order);
  for (uint32_t k = 0; k < p->nlines; k++) {
    const BptLine *l = &b->b.lines[p->first_line + k];
    Spot want = {l->line, l->col, 0};
    uint32_t lo = 0, hi = n; /* the first spot not before (line, col) */
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (spot_order(&spots[mid], &want) < 0) lo = mid + 1;
      else hi = mid;
    }
    map[k] = lo < n && spots[lo].line == l->line && spots[lo].col == l->col ? spots[lo].node : BPT_NO_PC;
  }
  rt_dealloc(b->rt, spots, (p->nnodes ? p->nnodes : 1) * sizeof *spots);
  b->procs[i].line_node = map;
  return true;
}

static bool make_fields(BpBundle *b) {
  size_t total = 0;
  for (uint32_t i = 0; i < b->b.nprocesses; i++)
    for (uint16_t t = 0; t < b->b.processes[i].nsteps; t++) total += b->b.processes[i].steps[t].nfields;
  b->field_mem = rt_alloc(b->rt, (total ? total : 1) * sizeof(BpField));
  if (!b->field_mem) return false;
  b->nfield_mem = total;
  size_t k = 0;
  for (uint32_t i = 0; i < b->b.nprocesses; i++) {
    const BptProcess *p = &b->b.processes[i];
    b->procs[i].fields = rt_alloc(b->rt, (p->nsteps ? p->nsteps : 1) * sizeof(BpField *));
    if (!b->procs[i].fields) return false;
    for (uint16_t t = 0; t < p->nsteps; t++) {
      const BptStep *d = &p->steps[t];
      b->procs[i].fields[t] = d->nfields ? &b->field_mem[k] : NULL;
      for (uint16_t f = 0; f < d->nfields; f++, k++)
        b->field_mem[k] = (BpField){rt_string(b, d->fields[f].name), rt_string(b, d->fields[f].label),
                                    d->fields[f].type};
    }
  }
  return true;
}

/* RtProc.names of process i: its parameters, then its document's fields. */
static bool make_names(BpBundle *b, uint32_t i) {
  const BptProcess *p = &b->b.processes[i];
  const BptDoctype *d = p->doctype < b->b.ndoctypes ? &b->b.doctypes[p->doctype] : NULL;
  uint32_t n = (uint32_t)p->nparams + (d ? d->nfields : 0);
  RtName *names = rt_alloc(b->rt, (n ? n : 1) * sizeof *names);
  if (!names) return false;
  for (uint16_t k = 0; k < p->nparams; k++)
    names[k] = (RtName){.s = rt_string(b, p->slots[p->params[k].slot].name), .index = k};
  for (uint32_t f = 0; d && f < d->nfields; f++)
    names[p->nparams + f] = (RtName){.s = rt_string(b, d->fields[f].name), .index = (uint16_t)f, .field = true};
  for (uint32_t k = 0; k < n; k++) {
    names[k].first = names[k].s[0];
    size_t len = strlen(names[k].s);
    names[k].len = len < UINT16_MAX ? (uint16_t)len : UINT16_MAX; /* (UINT16_MAX: by rt_name_equal) */
  }
  b->procs[i].names = names;
  b->procs[i].nnames = n;
  return true;
}

BpStatus bp_bundle_load(BpRuntime *rt, const void *bytes, size_t len, BpBundle **out, BpError *err) {
  if (!rt || !out || (len && !bytes)) return rt_fail_status(err, BP_EINVAL, "bp_bundle_load: missing argument");
  *out = NULL;
  if (len > BP_MAX_BUNDLE)
    return rt_fail_status(err, BP_EBADDATA, "a bundle of %zu bytes is larger than %u, the limit (BP_MAX_BUNDLE)", len,
                          (unsigned)BP_MAX_BUNDLE);
  BpBundle *b = rt_alloc(rt, sizeof *b);
  if (!b) return rt_fail_status(err, BP_ENOMEM, "out of memory");
  b->rt = rt;
  b->bytes = rt_alloc(rt, len ? len : 1);
  if (!b->bytes) {
    rt_dealloc(rt, b, sizeof *b);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  if (len) memcpy(b->bytes, bytes, len);
  b->len = len;
  BptError e = {{0}};
  if (!bpt_read(b->bytes, len, bundle_alloc, rt, &b->b, &e)) {
    rt_dealloc(rt, b->bytes, len ? len : 1);
    rt_dealloc(rt, b, sizeof *b);
    bool oom = strstr(e.message, "out of memory") != NULL;
    return rt_fail_status(err, oom ? BP_ENOMEM : BP_EBADDATA, "%s", e.message);
  }
  if (!bpt_verify(&b->b, bundle_alloc, rt, &e)) {
    bundle_release(b);
    bool oom = strstr(e.message, "out of memory") != NULL;
    return rt_fail_status(err, oom ? BP_ENOMEM : BP_EBADDATA, "%s", e.message);
  }
  b->procs = rt_alloc(rt, (b->b.nprocesses ? b->b.nprocesses : 1) * sizeof(RtProc));
  bool ok = b->procs && make_consts(b) && make_empties(b) && make_fields(b) && rt_save_index_new(b) &&
            make_initial(b);
  for (uint32_t i = 0; ok && i < b->b.nprocesses; i++) ok = make_resume_points(b, i) && make_line_nodes(b, i) && predecode(b, i) && make_names(b, i);
  if (!ok) {
    bundle_release(b);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  *out = b;
  return BP_OK;
}

void bp_bundle_free(BpBundle *b) {
  if (b) bundle_release(b);
}

uint32_t bp_bundle_checksum(const BpBundle *b) { return b ? b->b.crc : 0; }

size_t bp_bundle_process_count(const BpBundle *b) { return b ? b->b.nprocesses : 0; }

const char *bp_bundle_process_name(const BpBundle *b, size_t i) {
  return b && i < b->b.nprocesses ? rt_string(b, b->b.processes[i].name) : NULL;
}

const char *bp_bundle_process_title(const BpBundle *b, size_t i) {
  return b && i < b->b.nprocesses ? rt_string(b, b->b.processes[i].title) : NULL;
}

int bp_bundle_process_trigger(const BpBundle *b, size_t i, const char **schedule) {
  if (schedule) *schedule = "";
  if (!b || i >= b->b.nprocesses) return -1;
  const BptProcess *p = &b->b.processes[i];
  if (schedule && p->trigger == BPT_TRIG_TIMER) *schedule = rt_string(b, p->schedule);
  switch (p->trigger) {
  case BPT_TRIG_CREATE: return BP_TRIGGER_CREATE;
  case BPT_TRIG_CHANGE: return BP_TRIGGER_CHANGE;
  case BPT_TRIG_TIMER: return BP_TRIGGER_TIMER;
  default: return BP_TRIGGER_MANUAL;
  }
}

bool rt_process_by_name(const BpBundle *b, const char *name, uint16_t *out) {
  for (uint32_t i = 0; name && i < b->b.nprocesses; i++)
    if (strcmp(rt_string(b, b->b.processes[i].name), name) == 0) {
      *out = (uint16_t)i;
      return true;
    }
  return false;
}

bool rt_doc_lookup(const BpBundle *b, uint16_t doctype, const char *name, uint16_t *field) {
  if (doctype == BPT_NONE16 || doctype >= b->b.ndoctypes || !name) return false;
  const BptDoctype *d = &b->b.doctypes[doctype];
  for (uint32_t i = 0; i < d->nfields; i++) {
    if (rt_name_equal(rt_string(b, d->fields[i].name), name)) {
      *field = (uint16_t)i;
      return true;
    }
  }
  return false;
}

static bool slot_by_name(const BpBundle *b, const BptProcess *p, const char *name, uint16_t *slot) {
  for (uint16_t i = 0; i < p->nslots; i++)
    if (strcmp(rt_string(b, p->slots[i].name), name) == 0 && p->slots[i].kind != BPT_SLOT_HIDDEN) {
      *slot = i;
      return true;
    }
  return false;
}

BpType bp_bundle_name_type(const BpBundle *b, const char *process, const char *name, BpNameKind *kind) {
  uint16_t pi, i;
  if (kind) *kind = BP_NAME_NONE;
  if (!b || !name || !rt_process_by_name(b, process, &pi)) return BP_T_VOID;
  const BptProcess *p = &b->b.processes[pi];
  if (slot_by_name(b, p, name, &i)) {
    uint8_t k = p->slots[i].kind;
    if (k != BPT_SLOT_PARAM && k != BPT_SLOT_VAR) return BP_T_VOID;
    if (kind) *kind = k == BPT_SLOT_PARAM ? BP_NAME_PARAM : BP_NAME_VARIABLE;
    return (BpType)p->slots[i].type;
  }
  if (rt_doc_lookup(b, p->doctype, name, &i)) {
    if (kind) *kind = BP_NAME_FIELD;
    return (BpType)b->b.doctypes[p->doctype].fields[i].type;
  }
  return BP_T_VOID;
}

static bool doctype_by_name(const BpBundle *b, const char *name, uint16_t *out);

BpType bp_bundle_field_type(const BpBundle *b, const char *doctype, const char *field) {
  uint16_t dt, f;
  if (!b || !doctype_by_name(b, doctype, &dt) || !rt_doc_lookup(b, dt, field, &f)) return BP_T_VOID;
  return (BpType)b->b.doctypes[dt].fields[f].type;
}

size_t bp_process_param_count(const BpBundle *b, size_t process) {
  return b && process < b->b.nprocesses ? b->b.processes[process].nparams : 0;
}

bool bp_process_param(const BpBundle *b, size_t process, size_t i, BpParamInfo *out) {
  if (!b || !out || process >= b->b.nprocesses || i >= b->b.processes[process].nparams) return false;
  const BptProcess *p = &b->b.processes[process];
  const BptParam *prm = &p->params[i];
  const BptSlot *slot = &p->slots[prm->slot];
  *out = (BpParamInfo){.name = rt_string(b, slot->name), .label = rt_string(b, prm->label),
                       .type = (BpType)slot->type, .required = prm->required != 0};
  return true;
}

/* ---- documents ------------------------------------------------------------------------------------- */

_Static_assert(sizeof(BpDoc) % _Alignof(Value) == 0, "a document's fields follow it");

static size_t doc_bytes(uint16_t nfields) { /* the document and its fields, 16-byte aligned */
  return (sizeof(BpDoc) + rt_values_bytes(nfields) + 15u) & ~(size_t)15u;
}

/* A document of type dt with every field VOID: one allocation, the fields after it, and
 * after them ROOM bytes (aligned for an instance, the first CLEAR of them zeroed) for the
 * instance it is made for, then TEXTS bytes for the host's texts and the made ones (RtRoom;
 * a multiple of 8). The texts' bytes are not cleared: a place in a room is handed out once
 * (rt_room_take) and filled by what takes it before anything reads it; nor are the
 * instance's rooms past rt_instance_head (rt_start_ex). */
static BpDoc *doc_alloc_texts(BpBundle *b, uint16_t dt, size_t room, size_t clear, size_t texts) {
  uint16_t nfields = dt == BPT_NONE16 ? 0 : (uint16_t)b->b.doctypes[dt].nfields;
  BpDoc *doc = rt_realloc(b->rt, NULL, 0, doc_bytes(nfields) + room + texts);
  if (!doc) return NULL;
  memset(doc, 0, doc_bytes(nfields) + clear);
  doc->b = b;
  doc->doctype = dt;
  doc->refs = 1;
  doc->nfields = nfields;
  doc->fields = (Value *)(doc + 1);
  doc->room = room ? (char *)doc + doc_bytes(nfields) : NULL;
  doc->room_size = (uint32_t)room;
  doc->texts_size = (uint32_t)texts;
  return doc;
}

static BpDoc *doc_alloc_room(BpBundle *b, uint16_t dt, size_t room) { return doc_alloc_texts(b, dt, room, room, 0); }

static BpDoc *doc_alloc(BpBundle *b, uint16_t dt) { return doc_alloc_room(b, dt, 0); }

static void doc_free(BpDoc *doc) {
  BpRuntime *rt = doc->b->rt;
  rt_vec_free(rt, &doc->scratch, sizeof(BpValue));
  rt_unref_each(rt, doc->fields, doc->nfields);
  rt_dealloc(rt, doc, doc_bytes(doc->nfields) + doc->room_size + doc->texts_size);
}

/* A host's value for field F as bp_start stores it: its own reference in *out, or the
 * error bp_start gives. A text for a text field (a user for a user field), the common
 * case, is rt_from_public's value itself, without the reference rt_convert would take
 * and drop. */
static inline BpStatus field_value(BpBundle *b, const BptField *f, const BpValue *in, RtRoom *room, size_t need,
                                   Value *out, BpError *err) {
  RtErr e; /* (not zeroed whole: 224 bytes, per field of every start) */
  e.code = RT_OK;
  e.msg[0] = '\0';
  RtCode c;
  if (in->type == f->type && (f->type == BPT_T_STRING || f->type == BPT_T_USER)) {
    c = room ? rt_from_public_room(b->rt, room, in, need, out, &e) : rt_from_public(b->rt, in, out, &e);
  } else {
    Value raw;
    c = room ? rt_from_public_in(b->rt, room, in, need, &raw, &e) : rt_from_public(b->rt, in, &raw, &e);
    if (c == RT_OK) {
      c = rt_convert(b->rt, raw, f->type, out, &e);
      rt_unref(b->rt, raw);
    }
  }
  if (c == RT_OK) return BP_OK;
  if (c == RT_NOMEM) return rt_fail_status(err, BP_ENOMEM, "out of memory");
  return rt_fail_status(err, BP_EINVAL, "field `%s`: %s", rt_string(b, f->name), e.msg);
}

BpStatus rt_field_value(BpBundle *b, const BptField *f, const BpValue *in, Value *out, BpError *err) {
  return field_value(b, f, in, NULL, 0, out, err);
}

static BpStatus doc_make(BpBundle *b, uint16_t dt, size_t room, size_t clear, size_t texts, BpDoc **out,
                         BpError *err) {
  BpDoc *doc = doc_alloc_texts(b, dt, room, clear, texts);
  if (!doc) return rt_fail_status(err, BP_ENOMEM, "out of memory");
  if (doc->nfields) memcpy(doc->fields, b->doc_initial[dt], doc->nfields * sizeof(Value)); /* (uncounted) */
  *out = doc;
  return BP_OK;
}

/* A document of type dt with every field VOID, which restoring fills (each with its saved
 * value or its first: BpBundle.doc_initial). NULL when out of memory. */
BpDoc *rt_doc_blank(BpBundle *b, uint16_t dt) { return doc_alloc(b, dt); }

/* The same with ROOM bytes after the fields for the instance started with it (in `room`,
 * zeroed, which the caller takes), then TEXTS bytes for texts (BpDoc.made: all of them;
 * bp_start_at's document). */
BpDoc *rt_doc_blank_room(BpBundle *b, uint16_t dt, size_t room, size_t texts) {
  BpDoc *doc = doc_alloc_texts(b, dt, room, room, texts ? rt_room_bytes(room) - room + texts : 0);
  if (doc) doc->made = rt_doc_texts(doc, doc->room);
  return doc;
}

/* The same with only the first CLEAR bytes of the room zeroed (restoring writes the rest
 * before anything reads it): the room of a restored instance is about 1,300 bytes, of
 * which the instance is 240. */
BpDoc *rt_doc_blank_room_cleared(BpBundle *b, uint16_t dt, size_t room, size_t clear) {
  return doc_alloc_texts(b, dt, room, clear < room ? clear : room, 0);
}

/* Stores the named fields into doc (all or none). changed[] (if given) flags those whose
 * value is new. */
enum { STORE_FEW = 16 }; /* doc_store and bp_start: this many values or fewer go on the stack */
/* The most bytes of the host's texts that bp_start's document holds (RtRoom): the names,
 * titles and short lists of a usual start; more are allocated as before. */
enum { START_TEXTS_MAX = 512 };

/* Stores fields[0..n) in doc; room, when given, takes the texts that fit (RtRoom). (A
 * start of a few fields stores them itself, looked up already: bp_start.) */
static BpStatus doc_store_at(BpDoc *doc, const BpArg *fields, RtRoom *room, size_t n, bool *changed, BpError *err);

static BpStatus doc_store(BpDoc *doc, const BpArg *fields, size_t n, bool *changed, BpError *err) {
  return doc_store_at(doc, fields, NULL, n, changed, err);
}

static BpStatus doc_store_at(BpDoc *doc, const BpArg *fields, RtRoom *room, size_t n, bool *changed, BpError *err) {
  BpBundle *b = doc->b;
  if (n == 0) return BP_OK;
  /* A few fields (the usual call) are gathered on the stack. */
  Value vals_few[STORE_FEW];
  uint16_t idx_few[STORE_FEW];
  bool few = n <= STORE_FEW;
  Value *vals = few ? vals_few : rt_alloc(b->rt, rt_values_bytes((uint32_t)n));
  uint16_t *idx = few ? idx_few : rt_alloc(b->rt, n * sizeof *idx);
  BpStatus st = vals && idx ? BP_OK : rt_fail_status(err, BP_ENOMEM, "out of memory");
  size_t done = 0;
  for (; st == BP_OK && done < n; done++) {
    if (!fields[done].name || !rt_doc_lookup(b, doc->doctype, fields[done].name, &idx[done])) {
      const char *dt = doc->doctype == BPT_NONE16 ? "" : rt_string(b, b->b.doctypes[doc->doctype].name);
      st = rt_fail_status(err, BP_EINVAL, "`%s` is not a field of %s%s",
                          fields[done].name ? fields[done].name : "(null)", *dt ? "document type " : "this document",
                          dt);
      break;
    }
    const BpValue *in = &fields[done].value;
    size_t need = room ? rt_room_need(in) : 0;
    st = field_value(b, &b->b.doctypes[doc->doctype].fields[idx[done]], in, room, need, &vals[done], err);
    if (st != BP_OK) break;
  }
  if (st == BP_OK) {
    for (size_t i = 0; i < n; i++) {
      if (changed) changed[idx[i]] = changed[idx[i]] || !rt_equal(doc->fields[idx[i]], vals[i]);
      rt_unref(b->rt, doc->fields[idx[i]]);
      doc->fields[idx[i]] = vals[i];
    }
  } else if (vals) {
    rt_unref_all(b->rt, vals, done);
  }
  if (!few && vals) rt_dealloc(b->rt, vals, rt_values_bytes((uint32_t)n));
  if (!few && idx) rt_dealloc(b->rt, idx, n * sizeof *idx);
  return st;
}

static bool doctype_by_name(const BpBundle *b, const char *name, uint16_t *out) {
  if (!name || !*name) {
    *out = BPT_NONE16;
    return true;
  }
  for (uint32_t i = 0; i < b->b.ndoctypes; i++)
    if (strcmp(rt_string(b, b->b.doctypes[i].name), name) == 0) {
      *out = (uint16_t)i;
      return true;
    }
  return false;
}

BpStatus bp_doc_new(BpBundle *b, const char *doctype, const BpArg *fields, size_t n, BpDoc **out,
                    BpError *err) {
  if (!b || !out || (n && !fields)) return rt_fail_status(err, BP_EINVAL, "bp_doc_new: missing argument");
  *out = NULL;
  uint16_t dt;
  if (!doctype_by_name(b, doctype, &dt)) return rt_fail_status(err, BP_EINVAL, "no document type `%s`", doctype);
  BpDoc *doc = NULL;
  BpStatus st = doc_make(b, dt, 0, 0, 0, &doc, err);
  if (st != BP_OK) return st;
  st = doc_store(doc, fields, n, NULL, err);
  if (st != BP_OK) {
    doc_free(doc);
    return st;
  }
  *out = doc;
  return BP_OK;
}

void bp_doc_release(BpDoc *doc) {
  if (doc && --doc->refs == 0) doc_free(doc);
}

BpStatus bp_doc_get(const BpDoc *doc, const char *field, BpValue *out) {
  uint16_t i;
  if (!doc || !out || !rt_doc_lookup(doc->b, doc->doctype, field, &i)) return BP_EINVAL;
  /* The view's list items live in the document's scratch memory until the next call. */
  return rt_view(doc->b->rt, doc->fields[i], out, &((BpDoc *)doc)->scratch) ? BP_OK : BP_ENOMEM;
}


static void trigger_failed(BpBundle *b, const BptProcess *p, const char *why) {
  if (!b->rt->cfg.journal) return;
  char text[400];
  snprintf(text, sizeof text, "could not start %s: %s", rt_string(b, p->name), why);
  BpJournal line = {.time = 0, .kind = BP_J_STARTED_OTHER, .process = rt_string(b, p->name), .node = "", .text = text};
  b->rt->cfg.journal(b->rt->cfg.ud, NULL, &line);
}

size_t rt_doc_triggers(BpDoc *doc, uint8_t trigger, const bool *changed, int skip_proc) {
  BpBundle *b = doc->b;
  size_t started = 0;
  for (uint32_t pi = 0; pi < b->b.nprocesses; pi++) {
    const BptProcess *p = &b->b.processes[pi];
    if (p->trigger != trigger || p->doctype != doc->doctype || (int)pi == skip_proc) continue;
    bool watched = trigger == BPT_TRIG_CREATE;
    for (uint8_t k = 0; changed && k < p->ntrigger_fields && !watched; k++)
      watched = p->trigger_fields[k] < doc->nfields && changed[p->trigger_fields[k]];
    if (!watched) continue;
    if (doc->trigger_depth >= MAX_START_CHAIN) {
      /* A change that starts a process that changes a field that starts another ...:
       * a chain this long is a loop between processes, not a business rule. */
      trigger_failed(b, p, "more than 8 processes started by each other's changes in a row");
      continue;
    }
    bool holds;
    RtErr e = {0};
    RtCode c = rt_eval_when(b, (uint16_t)pi, doc, &holds, &e);
    if (c != RT_OK) {
      trigger_failed(b, p, e.msg);
      continue;
    }
    if (!holds) continue;
    BpInstance *inst = NULL;
    BpError serr = {0};
    doc->trigger_depth++;
    BpStatus st = rt_start_ex(b, (uint16_t)pi, doc, NULL, NULL, true, &inst, &serr);
    doc->trigger_depth--;
    if (st == BP_OK) started++;
    else trigger_failed(b, p, serr.message);
  }
  return started;
}

BpStatus bp_doc_set(BpDoc *doc, const BpArg *fields, size_t n, BpError *err) {
  if (!doc || (n && !fields)) return rt_fail_status(err, BP_EINVAL, "bp_doc_set: missing argument");
  BpBundle *b = doc->b;
  bool *changed = rt_alloc(b->rt, doc->nfields ? doc->nfields : 1);
  if (!changed) return rt_fail_status(err, BP_ENOMEM, "out of memory");
  BpStatus st = doc_store(doc, fields, n, changed, err);
  if (st == BP_OK) rt_doc_triggers(doc, BPT_TRIG_CHANGE, changed, -1);
  rt_dealloc(b->rt, changed, doc->nfields ? doc->nfields : 1);
  return st;
}

BpStatus bp_doc_created(BpDoc *doc, size_t *started, BpError *err) {
  if (!doc) return rt_fail_status(err, BP_EINVAL, "bp_doc_created: no document");
  size_t n = rt_doc_triggers(doc, BPT_TRIG_CREATE, NULL, -1);
  if (started) *started = n;
  return BP_OK;
}

/* ---- instances ----------------------------------------------------------------------------------- */

/* A's value checked into params[k] (rt_start_param, once k is known). */
static void start_param_at(BpBundle *b, uint16_t k, const BpArg *a, RtRoom *room, size_t need, Value *params,
                           BpStatus *st, BpError *err) {
  const char *name = a->name;
  RtErr e;
  RT_ERR_NONE(e);
  rt_unref(b->rt, params[k]);
  params[k] = (Value){0};
  const BpValue *in = &a->value;
  RtCode c = room ? rt_from_public_room(b->rt, room, in, need, &params[k], &e) : rt_from_public(b->rt, in, &params[k], &e);
  if (c != RT_OK) *st = rt_fail_status(err, c == RT_NOMEM ? BP_ENOMEM : BP_EINVAL, "parameter `%s`: %s", name, e.msg);
}

bool rt_start_param(BpBundle *b, const BptProcess *p, const BpArg *a, RtRoom *room, size_t need, Value *params,
                    BpStatus *st, BpError *err) {
  const char *name = a->name;
  uint16_t k = 0;
  while (k < p->nparams && (!name || !rt_name_equal(rt_string(b, p->slots[p->params[k].slot].name), name))) k++;
  if (k == p->nparams) return false;
  start_param_at(b, k, a, room, need, params, st, err);
  return true;
}

/* Whether NAME, whose first byte is X's, equals X's name: its bytes up to X's known length
 * (the host's NUL differs from every byte of X's, so the loop stops there or before, and
 * reads no byte past NAME's end), then NAME's end there. */
static inline bool name_rest_equal(const RtName *x, const char *name) {
  if (x->len == UINT16_MAX) return rt_name_equal(x->s, name);
  for (uint32_t i = 1; i < x->len; i++)
    if (name[i] != x->s[i]) return false;
  return x->len == 0 || name[x->len] == '\0';
}

/* The first of RP's names (RtProc.names) that equals NAME, or NULL; with FIELDS false,
 * only a parameter's: what rt_start_param's search and then rt_doc_lookup's find. */
static const RtName *start_name(const RtProc *rp, const char *name, bool fields) {
  if (!name) return NULL;
  char c = name[0];
  for (uint32_t i = 0; i < rp->nnames; i++) {
    const RtName *x = &rp->names[i];
    if (x->first == c && name_rest_equal(x, name)) return x->field && !fields ? NULL : x;
  }
  return NULL;
}

/* The first of bp_start's N parameters that is a list of users with every person set, or
 * NULL. Such a list is each person once as made from the host's (room_has_user in the
 * document's room, rt_users_unique else: rt_value.c), so the start is told (rt_start_known)
 * and USERS and its step do not look at its people again. */
static inline const RtList *users_placed(const Value *params, uint16_t n) {
  for (uint16_t k = 0; k < n; k++) {
    if (params[k].type != BPT_T_USERS) continue;
    const RtList *l = params[k].u.l;
    uint32_t i = 0;
    while (i < l->n && l->items[i].u.s->len > 0) i++;
    if (i == l->n) return l;
  }
  return NULL;
}

BpStatus bp_start(BpBundle *b, const char *process, BpDoc *doc, const BpArg *args, size_t n, void *ud,
                  BpInstance **out, BpError *err) {
  if (!b || !out || (n && !args)) return rt_fail_status(err, BP_EINVAL, "bp_start: missing argument");
  *out = NULL;
  uint16_t pi;
  if (!rt_process_by_name(b, process, &pi))
    return rt_fail_status(err, BP_EINVAL, "no process `%s` in the bundle", process ? process : "(null)");
  const BptProcess *p = &b->b.processes[pi];
  if (doc && doc->doctype != p->doctype)
    return rt_fail_status(err, BP_EINVAL, "process `%s` runs on another document type", process);
  BpRuntime *rt = b->rt;
  /* A new document for the instance is made first: its allocation holds the instance and
   * the host's short texts that the parameters and fields below take (RtRoom). */
  BpDoc *own = NULL;
  RtRoom room = {0}, *texts = NULL;
  /* Each argument's rt_room_need, kept for placing it below when the arguments are few. */
  uint16_t needs[STORE_FEW];
  bool few_fields = n <= STORE_FEW;
  if (!doc) {
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
      size_t k = rt_room_need(&args[i].value);
      if (few_fields) needs[i] = (uint16_t)k;
      if (k <= START_TEXTS_MAX - need) need += k;
    }
    size_t inst = rt_instance_size(b, pi), lead = need ? rt_room_bytes(inst) - inst : 0;
    BpStatus st = doc_make(b, p->doctype, inst, rt_instance_head(b, pi), lead + need + RT_DOC_MADE_ROOM, &own, err);
    if (st != BP_OK) return st;
    room = (RtRoom){(char *)own->room + inst + lead, need};
    texts = &room;
    own->made = (RtRoom){room.at + need, RT_DOC_MADE_ROOM};
  }
  /* Parameters by index; the rest must be document fields. */
  Value params_few[STORE_FEW];
  BpArg fields_few[STORE_FEW];
  uint16_t known[STORE_FEW]; /* the field index of each of fields[], when they are few */
  uint16_t field_needs[STORE_FEW]; /* and its rt_room_need, with a room */
  bool few_params = p->nparams <= STORE_FEW;
  if (few_params) memset(params_few, 0, p->nparams * sizeof *params_few);
  Value *params = few_params ? params_few : rt_alloc(rt, rt_values_bytes(p->nparams));
  BpArg *fields = few_fields ? fields_few : rt_alloc(rt, (n ? n : 1) * sizeof *fields);
  BpStatus st = params && fields ? BP_OK : rt_fail_status(err, BP_ENOMEM, "out of memory");
  size_t nfields = 0;
  for (size_t i = 0; st == BP_OK && i < n; i++) {
    const char *name = args[i].name;
    size_t need = !texts ? 0 : few_fields ? needs[i] : rt_room_need(&args[i].value);
    const RtName *x = start_name(&b->procs[pi], name, !doc);
    if (x && !x->field) {
      start_param_at(b, x->index, &args[i], texts, need, params, &st, err);
      continue;
    }
    if (x) {
      if (few_fields) known[nfields] = x->index, field_needs[nfields] = (uint16_t)need;
      fields[nfields++] = args[i];
      continue;
    }
    st = rt_fail_status(err, BP_EINVAL, "`%s` is not a parameter of `%s`%s", name ? name : "(null)", process,
                        doc || p->doctype == BPT_NONE16 ? "" : " nor a field of its document");
  }
  if (st == BP_OK && own && few_fields && nfields) { /* (none: perhaps no document type) */
    /* Into the document made here, each in its place: doc_store_at's values, in its order,
     * with its first error, but not gathered first to be stored all or none, since a start
     * that fails lets this document go whole (below). */
    const BptField *dfields = b->b.doctypes[own->doctype].fields;
    for (size_t i = 0; st == BP_OK && i < nfields; i++) {
      Value v;
      st = field_value(b, &dfields[known[i]], &fields[i].value, texts, field_needs[i], &v, err);
      if (st != BP_OK) break;
      rt_unref(rt, own->fields[known[i]]);
      own->fields[known[i]] = v;
    }
  } else if (st == BP_OK && own) {
    st = doc_store_at(own, fields, texts, nfields, NULL, err);
  }
  if (st == BP_OK) st = rt_start_known(b, pi, doc ? doc : own, params, users_placed(params, p->nparams), ud,
                                       false, out, err);
  if (params) {
    rt_unref_each(rt, params, p->nparams);
    if (!few_params) rt_dealloc(rt, params, rt_values_bytes(p->nparams));
  }
  if (fields && !few_fields) rt_dealloc(rt, fields, (n ? n : 1) * sizeof *fields);
  /* Last: the parameters may be texts in its room. */
  if (own) bp_doc_release(own);
  return st;
}

void bp_instance_free(BpInstance *inst) {
  if (!inst) return;
  BpRuntime *rt = inst->rt;
  rt_state_release(rt, &inst->s); /* not emptied: the instance goes */
  rt_vec_free(rt, &inst->scratch, sizeof(BpValue));
  rt_vec_free(rt, &inst->message_fields, sizeof(BpField));
  if (inst->in_doc) { /* its memory is its document's: it goes with the document */
    bp_doc_release(inst->doc);
    return;
  }
  bp_doc_release(inst->doc);
  rt_dealloc(rt, inst, inst->size);
}

BpRunStatus bp_instance_status(const BpInstance *inst) { return inst ? (BpRunStatus)inst->s.status : BP_FAILED; }

const char *bp_instance_message(const BpInstance *inst) {
  return inst && inst->s.message.type == BPT_T_STRING ? inst->s.message.u.s->s : "";
}

const char *bp_instance_process(const BpInstance *inst) {
  return inst ? rt_string(inst->b, inst->b->b.processes[inst->proc].name) : "";
}

BpDoc *bp_instance_doc(BpInstance *inst) { return inst ? inst->doc : NULL; }

const char *bp_instance_state(const BpInstance *inst) {
  if (!inst || inst->s.state == BPT_NONE16) return NULL;
  return rt_string(inst->b, inst->b->b.processes[inst->proc].states[inst->s.state].name);
}

void bp_instance_set_ud(BpInstance *inst, void *ud) {
  if (inst) inst->ud = ud;
}
void *bp_instance_ud(const BpInstance *inst) { return inst ? inst->ud : NULL; }

/* Views of n values into the instance's scratch memory: the values first, then the items
 * of the lists among them (reserved at once, so no pointer moves while filling). */
static bool view_values(BpInstance *inst, const Value *vals, size_t n, BpValue **out) {
  size_t total = n;
  for (size_t i = 0; i < n; i++)
    if (rt_is_list(vals[i].type)) total += vals[i].u.l->n;
  RtVec *sc = &inst->scratch;
  if (sc->cap < total) {
    void *v = rt_realloc(inst->rt, sc->v, sc->cap * sizeof(BpValue), total * sizeof(BpValue));
    if (!v) return false;
    sc->v = v;
    sc->cap = (uint32_t)total;
  }
  BpValue *all = sc->v;
  size_t k = n;
  for (size_t i = 0; i < n; i++) {
    Value v = vals[i];
    all[i] = (BpValue){.type = v.type, .unset = v.unset != 0, .scale = v.scale};
    if (v.type == BPT_T_STRING || v.type == BPT_T_USER) {
      all[i].s = v.u.s->s;
      all[i].len = v.u.s->len;
    } else if (rt_is_list(v.type)) {
      all[i].items = &all[k];
      all[i].n = v.u.l->n;
      for (uint32_t j = 0; j < v.u.l->n; j++, k++) {
        Value x = v.u.l->items[j];
        all[k] = (BpValue){.type = x.type, .unset = x.unset != 0, .scale = x.scale};
        if (x.type == BPT_T_STRING || x.type == BPT_T_USER) {
          all[k].s = x.u.s->s;
          all[k].len = x.u.s->len;
        } else {
          all[k].i = x.u.i;
        }
      }
    } else if (!rt_is_record(v.type)) {
      all[i].i = v.u.i;
    }
  }
  *out = all;
  return true;
}

BpStatus bp_instance_get(BpInstance *inst, const char *name, BpValue *out) {
  if (!inst || !name || !out) return BP_EINVAL;
  const BpBundle *b = inst->b;
  const BptProcess *p = &b->b.processes[inst->proc];
  const char *dot = strchr(name, '.');
  char base[128];
  size_t blen = dot ? (size_t)(dot - name) : strlen(name);
  if (blen >= sizeof base) return BP_EINVAL;
  memcpy(base, name, blen);
  base[blen] = '\0';
  Value v;
  uint16_t i;
  uint8_t declared;
  if (slot_by_name(b, p, base, &i)) {
    v = inst->s.slots[i];
    declared = p->slots[i].type;
  } else if (rt_doc_lookup(b, p->doctype, base, &i)) {
    v = inst->doc->fields[i];
    declared = b->b.doctypes[p->doctype].fields[i].type;
  } else {
    return BP_EINVAL;
  }
  if (dot) {
    const char *member = dot + 1;
    uint8_t rtype = declared;
    if (!rt_is_record(rtype)) return BP_EINVAL;
    uint32_t m = 0;
    while (rt_record_member(rtype, m) && strcmp(rt_record_member(rtype, m), member) != 0) m++;
    if (!rt_record_member(rtype, m)) return BP_EINVAL;
    v = rt_is_record(v.type) ? v.u.r->m[m] : (Value){0};
  }
  BpValue *view;
  if (!view_values(inst, &v, 1, &view)) return BP_ENOMEM;
  *out = view[0];
  return BP_OK;
}

/* The open items, by id: the i-th oldest. */
static bool item_at(const BpInstance *inst, size_t i, const RtStep **step, const RtPerson **person) {
  for (uint32_t a = 0; a < inst->s.steps.n; a++) {
    const RtStep *st = RT_AT(inst->s.steps, RtStep, a);
    for (uint32_t k = 0; k < st->people.n; k++) {
      const RtPerson *p = RT_AT(st->people, RtPerson, k);
      if (!p->item) continue;
      size_t older = 0;
      for (uint32_t b = 0; b < inst->s.steps.n; b++) {
        const RtStep *s2 = RT_AT(inst->s.steps, RtStep, b);
        for (uint32_t q = 0; q < s2->people.n; q++) {
          uint32_t id = RT_AT(s2->people, RtPerson, q)->item;
          older += id && id < p->item;
        }
      }
      if (older == i) {
        *step = st;
        *person = p;
        return true;
      }
    }
  }
  return false;
}

size_t bp_instance_item_count(const BpInstance *inst) {
  size_t n = 0;
  if (!inst) return 0;
  for (uint32_t a = 0; a < inst->s.steps.n; a++) {
    const RtStep *st = RT_AT(inst->s.steps, RtStep, a);
    for (uint32_t k = 0; k < st->people.n; k++) n += RT_AT(st->people, RtPerson, k)->item != 0;
  }
  return n;
}

bool bp_instance_item(const BpInstance *inst, size_t i, BpItem *out) {
  const RtStep *st;
  const RtPerson *p;
  if (!inst || !out || !item_at(inst, i, &st, &p)) return false;
  const BpBundle *b = inst->b;
  const BptStep *d = &b->b.processes[inst->proc].steps[st->t];
  *out = (BpItem){.id = p->item, .kind = (BpItemKind)d->kind, .user = p->user.u.s->s,
                  .title = st->title.u.s->s, .has_due = st->due != RT_NO_TIME,
                  .due = st->due == RT_NO_TIME ? 0 : st->due,
                  .node = rt_node_id(b, d->node),
                  .fields = b->procs[inst->proc].fields[st->t], .nfields = d->nfields,
                  .overdue = (st->flags & S_OVERDUE) != 0};
  return true;
}

size_t bp_instance_call_count(const BpInstance *inst) { return inst ? inst->s.calls.n : 0; }

bool bp_instance_call(const BpInstance *inst, size_t i, BpCall *out) {
  if (!inst || !out || i >= inst->s.calls.n) return false;
  const RtCall *c = RT_AT(inst->s.calls, RtCall, i);
  BpValue *args;
  if (!view_values((BpInstance *)inst, c->args.u.l->items, c->args.u.l->n, &args)) return false;
  const BptAction *a = &inst->b->b.actions[c->action];
  *out = (BpCall){.id = c->id, .action = rt_string(inst->b, a->name), .args = args, .nargs = c->args.u.l->n,
                  .result_type = a->result};
  return true;
}

bool bp_instance_next_timer(const BpInstance *inst, int64_t *at) {
  if (!inst || inst->s.timers.n == 0) return false;
  int64_t best = INT64_MAX;
  for (uint32_t i = 0; i < inst->s.timers.n; i++) {
    int64_t t = RT_AT(inst->s.timers, RtTimer, i)->at;
    if (t < best) best = t;
  }
  if (at) *at = best;
  return true;
}
