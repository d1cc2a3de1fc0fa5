/* rt_save.c — an instance's whole state to bytes and back.
 *
 * Layout (little-endian):
 *   u8[4] magic "BPS\x1A"   u8 version (1)   u8 flags (0)   u16 process index
 *   u32 bundle crc          u32 payload size  u32 CRC-32C of the payload
 *   payload: varints (LEB128; signed ones zigzag) and values, in the order written by
 *   save_state below.
 * A value is a tag (its type; an unset date or datetime adds 0x40) and a payload: text
 * as a length and UTF-8 bytes, numbers as varints (a decimal with its scale first), a
 * list or a record as a count and the values.
 *
 * Restoring trusts nothing: every count is bounded by the bytes left, every index by
 * the bundle, every resting thread's pc must be a place where a thread can wait, and
 * every reference (a timer's step, a step's thread, a thread's fork activation) must
 * resolve. Bytes of another bundle are refused by the checksum they carry. */
#include <stdio.h>
#include <string.h>

#include "rt.h"

#define SAVE_MAGIC "BPS\x1A"
enum { SAVE_VERSION = 1, HEADER = 20, UNSET_TAG = 0x40, MAX_DEPTH = 4 };

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct Out {
  BpRuntime *rt;
  RtBuf buf;
} Out;

static void put_u8(Out *o, uint8_t v) { rt_buf_put(o->rt, &o->buf, (const char *)&v, 1); }

static void put_uv(Out *o, uint64_t v) {
  uint8_t b[10];
  int n = 0;
  do {
    b[n] = (uint8_t)(v & 0x7F);
    v >>= 7;
    if (v) b[n] |= 0x80;
    n++;
  } while (v);
  rt_buf_put(o->rt, &o->buf, (const char *)b, (size_t)n);
}

static void put_sv(Out *o, int64_t v) { put_uv(o, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

static void put_value(Out *o, Value v) {
  put_u8(o, (uint8_t)(v.type | (v.unset ? UNSET_TAG : 0)));
  switch (v.type) {
  case BPT_T_VOID: return;
  case BPT_T_STRING:
  case BPT_T_USER:
    put_uv(o, v.u.s->len);
    rt_buf_put(o->rt, &o->buf, v.u.s->s, v.u.s->len);
    return;
  case BPT_T_DECIMAL:
    put_u8(o, v.scale);
    put_sv(o, v.u.i);
    return;
  case BPT_T_BOOL: put_u8(o, v.u.i != 0); return;
  default:
    if (rt_is_list(v.type)) {
      put_uv(o, v.u.l->n);
      for (uint32_t i = 0; i < v.u.l->n; i++) put_value(o, v.u.l->items[i]);
    } else if (rt_is_record(v.type)) {
      put_uv(o, v.u.r->n);
      for (uint32_t i = 0; i < v.u.r->n; i++) put_value(o, v.u.r->m[i]);
    } else {
      put_sv(o, v.unset ? 0 : v.u.i);
    }
  }
}

static void save_state(Out *o, const RtState *s, const Value *fields, uint16_t nfields) {
  put_uv(o, s->status);
  put_uv(o, s->state == BPT_NONE16 ? 0 : (uint32_t)s->state + 1);
  put_uv(o, s->next_id);
  put_sv(o, s->clock);
  put_value(o, s->message);
  put_uv(o, nfields);
  for (uint16_t i = 0; i < nfields; i++) put_value(o, fields[i]);
  put_uv(o, s->nslots);
  for (uint16_t i = 0; i < s->nslots; i++) put_value(o, s->slots[i]);
  put_uv(o, s->threads.n);
  for (uint32_t i = 0; i < s->threads.n; i++) {
    const RtThread *t = RT_AT(s->threads, RtThread, i);
    put_uv(o, t->id);
    put_uv(o, t->pc);
    put_uv(o, t->act);
    put_uv(o, t->step);
    put_u8(o, t->wait);
    put_u8(o, t->kind);
  }
  put_uv(o, s->acts.n);
  for (uint32_t i = 0; i < s->acts.n; i++) {
    const RtAct *a = RT_AT(s->acts, RtAct, i);
    put_uv(o, a->id);
    put_uv(o, a->parent);
    put_uv(o, a->group);
    put_u8(o, a->race);
    put_uv(o, a->arrived);
  }
  put_uv(o, s->steps.n);
  for (uint32_t i = 0; i < s->steps.n; i++) {
    const RtStep *st = RT_AT(s->steps, RtStep, i);
    put_uv(o, st->id);
    put_uv(o, st->t);
    put_uv(o, st->thread);
    put_value(o, st->title);
    put_sv(o, st->percent);
    put_u8(o, st->due != RT_NO_TIME);
    if (st->due != RT_NO_TIME) put_sv(o, st->due);
    put_uv(o, st->acted);
    put_u8(o, st->flags);
    put_value(o, st->offsets);
    put_uv(o, st->fired);
    put_uv(o, st->people.n);
    for (uint32_t k = 0; k < st->people.n; k++) {
      const RtPerson *p = RT_AT(st->people, RtPerson, k);
      put_value(o, p->user);
      put_uv(o, p->item);
      put_u8(o, p->act);
      put_uv(o, p->order);
      put_sv(o, p->at);
      put_value(o, p->comment);
    }
  }
  put_uv(o, s->timers.n);
  for (uint32_t i = 0; i < s->timers.n; i++) {
    const RtTimer *t = RT_AT(s->timers, RtTimer, i);
    put_sv(o, t->at);
    put_uv(o, t->seq);
    put_uv(o, t->ref);
    put_uv(o, t->index);
    put_u8(o, t->kind);
  }
  put_uv(o, s->calls.n);
  for (uint32_t i = 0; i < s->calls.n; i++) {
    const RtCall *c = RT_AT(s->calls, RtCall, i);
    put_uv(o, c->id);
    put_uv(o, c->thread);
    put_uv(o, c->action);
    put_uv(o, c->slot);
    put_value(o, c->args);
  }
}

static void put_u32_at(char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}

BpStatus bp_instance_save(const BpInstance *inst, uint8_t **bytes, size_t *len, BpError *err) {
  if (!inst || !bytes || !len) return rt_fail_status(err, BP_EINVAL, "bp_instance_save: missing argument");
  *bytes = NULL;
  *len = 0;
  Out o = {.rt = inst->rt};
  char header[HEADER] = {0};
  rt_buf_put(o.rt, &o.buf, header, HEADER);
  save_state(&o, &inst->s, inst->doc->fields, inst->doc->nfields);
  if (o.buf.nomem) {
    rt_buf_free(o.rt, &o.buf);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  if (o.buf.len - HEADER > UINT32_MAX) {
    rt_buf_free(o.rt, &o.buf);
    return rt_fail_status(err, BP_EINVAL, "the state is too large to save");
  }
  /* The bytes are handed over at their exact size (bp_free takes the length). */
  uint8_t *out = rt_alloc(inst->rt, o.buf.len);
  if (!out) {
    rt_buf_free(o.rt, &o.buf);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  char *h = o.buf.s;
  memcpy(h, SAVE_MAGIC, 4);
  h[4] = SAVE_VERSION;
  h[5] = 0;
  h[6] = (char)(inst->proc & 0xFF);
  h[7] = (char)(inst->proc >> 8);
  put_u32_at(h + 8, inst->b->b.crc);
  put_u32_at(h + 12, (uint32_t)(o.buf.len - HEADER));
  put_u32_at(h + 16, bpt_crc32c(0, o.buf.s + HEADER, o.buf.len - HEADER));
  memcpy(out, o.buf.s, o.buf.len);
  *bytes = out;
  *len = o.buf.len;
  rt_buf_free(o.rt, &o.buf);
  return BP_OK;
}

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct In {
  BpRuntime *rt;
  const BpBundle *b;
  const uint8_t *p;
  size_t n;
  bool bad, nomem;
  char why[160];
} In;

static bool bad(In *in, const char *why) {
  if (!in->bad) snprintf(in->why, sizeof in->why, "%s", why);
  in->bad = true;
  return false;
}

static uint8_t get_u8(In *in) {
  if (in->bad) return 0;
  if (in->n < 1) return bad(in, "it ends too soon"), 0;
  in->n--;
  return *in->p++;
}

static uint64_t get_uv(In *in) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = get_u8(in);
    if (in->bad) return 0;
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
  bad(in, "a number is too long");
  return 0;
}

static int64_t get_sv(In *in) {
  uint64_t u = get_uv(in);
  return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static uint32_t get_u32v(In *in, uint32_t max, const char *what) {
  uint64_t v = get_uv(in);
  if (!in->bad && v > max) {
    char why[120];
    snprintf(why, sizeof why, "%s %llu is out of range", what, (unsigned long long)v);
    bad(in, why);
    return 0;
  }
  return (uint32_t)v;
}

/* A count of things each taking at least one byte: never more than the bytes left
 * after the count itself (which is read first: its own bytes are not left). */
static uint32_t get_count(In *in, const char *what) {
  uint64_t v = get_uv(in);
  if (!in->bad && (v > in->n || v > UINT32_MAX)) {
    char why[120];
    snprintf(why, sizeof why, "%s %llu is more than the bytes left", what, (unsigned long long)v);
    bad(in, why);
    return 0;
  }
  return (uint32_t)v;
}

static bool get_value(In *in, Value *out, int depth) {
  *out = (Value){0};
  uint8_t tag = get_u8(in);
  if (in->bad) return false;
  uint8_t type = tag & (uint8_t)~UNSET_TAG;
  bool unset = (tag & UNSET_TAG) != 0;
  if (unset && type != BPT_T_DATE && type != BPT_T_DATETIME) return bad(in, "a value with a bad tag");
  if (type != BPT_T_VOID && !bpt_type_valid(type)) return bad(in, "a value of unknown type");
  switch (type) {
  case BPT_T_VOID: return true;
  case BPT_T_STRING:
  case BPT_T_USER: {
    uint32_t len = get_count(in, "a text length");
    if (in->bad) return false;
    if (!rt_valid_utf8((const char *)in->p, len)) return bad(in, "text that is not UTF-8");
    if (!rt_str_new(in->rt, (const char *)in->p, len, type, out)) return in->nomem = true, bad(in, "out of memory");
    in->p += len;
    in->n -= len;
    return true;
  }
  case BPT_T_DECIMAL: {
    uint8_t scale = get_u8(in);
    if (scale > 18) return bad(in, "a decimal's scale is out of range");
    *out = (Value){.type = type, .scale = scale, .u.i = get_sv(in)};
    return !in->bad;
  }
  case BPT_T_BOOL: {
    uint8_t b = get_u8(in);
    if (b > 1) return bad(in, "a bool that is neither true nor false");
    *out = rt_bool(b);
    return !in->bad;
  }
  default: break;
  }
  if (rt_is_list(type) || rt_is_record(type)) {
    if (depth >= MAX_DEPTH) return bad(in, "values nested too deep");
    uint32_t n = get_count(in, "a list length");
    if (in->bad) return false;
    if (rt_is_record(type) && n != rt_record_size(type)) return bad(in, "a result record of the wrong size");
    bool made = rt_is_list(type) ? rt_list_new(in->rt, type, n, out) : rt_rec_new(in->rt, type, n, out);
    if (!made) return in->nomem = true, bad(in, "out of memory");
    Value *items = rt_is_list(type) ? out->u.l->items : out->u.r->m;
    for (uint32_t i = 0; i < n; i++) {
      if (!get_value(in, &items[i], depth + 1)) return false; /* the caller frees *out */
      uint8_t want = rt_is_list(type) ? (uint8_t)(type & 0x7F) : rt_record_member_type(type, i);
      bool fits = items[i].type == want || (rt_is_record(type) && items[i].type == BPT_T_VOID) ||
                  (rt_is_list(type) && want == BPT_T_VOID && !rt_is_list(items[i].type) &&
                   !rt_is_record(items[i].type) && items[i].type != BPT_T_VOID);
      if (!fits) return bad(in, "a list or record holds a value of the wrong type");
    }
    return true;
  }
  *out = (Value){.type = type, .unset = unset, .u.i = get_sv(in)};
  if (unset) out->u.i = 0;
  return !in->bad;
}

/* A slot or field value must be of its declared type (or nothing, for slots); a for
 * loop's hidden slots hold what the loop put there. */
static bool fits_declared(Value v, uint8_t declared, int slot_kind) {
  if (slot_kind == BPT_SLOT_HIDDEN) return true;
  if (v.type == BPT_T_VOID) return slot_kind >= 0;
  if (v.type == declared) return true;
  return rt_is_list(v.type) && rt_is_list(declared) && v.u.l->n == 0;
}

static bool find_act(RtState *s, uint32_t id) {
  for (uint32_t i = 0; i < s->acts.n; i++)
    if (RT_AT(s->acts, RtAct, i)->id == id) return true;
  return false;
}

static bool read_state(In *in, const BptProcess *p, RtState *s, Value **fields, uint16_t nfields) {
  BpRuntime *rt = in->rt;
  s->status = (uint8_t)get_u32v(in, ST_FAILED, "the status");
  uint32_t state = get_u32v(in, p->nstates, "the state");
  s->state = state == 0 ? BPT_NONE16 : (uint16_t)(state - 1);
  s->next_id = get_u32v(in, UINT32_MAX - 1, "the next id");
  s->clock = get_sv(in);
  if (!get_value(in, &s->message, 0)) return false;
  if (s->message.type != BPT_T_VOID && s->message.type != BPT_T_STRING) return bad(in, "the message is not text");
  if (get_u32v(in, UINT16_MAX, "the field count") != nfields) return bad(in, "the document has another number of fields");
  *fields = rt_alloc(rt, rt_values_bytes(nfields));
  if (!*fields) return in->nomem = true, bad(in, "out of memory");
  const BptDoctype *dt = p->doctype == BPT_NONE16 ? NULL : &in->b->b.doctypes[p->doctype];
  for (uint16_t i = 0; i < nfields; i++) {
    if (!get_value(in, &(*fields)[i], 0)) return false;
    if (!fits_declared((*fields)[i], dt->fields[i].type, -1)) return bad(in, "a document field of the wrong type");
  }
  if (get_u32v(in, UINT16_MAX, "the slot count") != p->nslots) return bad(in, "the process has another number of slots");
  s->nslots = p->nslots;
  s->slots = rt_alloc(rt, rt_values_bytes(p->nslots));
  if (!s->slots) return in->nomem = true, bad(in, "out of memory");
  for (uint16_t i = 0; i < p->nslots; i++) {
    if (!get_value(in, &s->slots[i], 0)) return false;
    if (!fits_declared(s->slots[i], p->slots[i].type, p->slots[i].kind)) return bad(in, "a slot of the wrong type");
  }
  uint32_t n = get_count(in, "the thread count");
  for (uint32_t i = 0; i < n && !in->bad; i++) {
    RtThread *t = rt_vec_push(rt, &s->threads, sizeof *t);
    if (!t) return in->nomem = true, bad(in, "out of memory");
    t->id = get_u32v(in, UINT32_MAX, "a thread id");
    t->pc = get_u32v(in, UINT32_MAX, "a pc");
    t->act = get_u32v(in, UINT32_MAX, "an activation");
    t->step = get_u32v(in, UINT32_MAX, "a step id");
    t->wait = get_u8(in);
    t->kind = get_u8(in);
    if (t->wait > W_TIMER || t->wait == W_RUN || t->kind > K_STATE) bad(in, "a thread in an impossible state");
  }
  n = get_count(in, "the activation count");
  for (uint32_t i = 0; i < n && !in->bad; i++) {
    RtAct *a = rt_vec_push(rt, &s->acts, sizeof *a);
    if (!a) return in->nomem = true, bad(in, "out of memory");
    a->id = get_u32v(in, UINT32_MAX, "an activation id");
    a->parent = get_u32v(in, UINT32_MAX, "an activation's parent");
    a->group = (uint16_t)get_u32v(in, p->ngroups ? p->ngroups - 1u : 0, "a fork group");
    a->race = get_u8(in);
    a->arrived = (uint16_t)get_u32v(in, UINT16_MAX, "an arrival count");
    if (!p->ngroups || a->race > 1 || a->parent >= a->id) bad(in, "a fork activation that cannot be");
  }
  n = get_count(in, "the step count");
  for (uint32_t i = 0; i < n && !in->bad; i++) {
    RtStep *st = rt_vec_push(rt, &s->steps, sizeof *st);
    if (!st) return in->nomem = true, bad(in, "out of memory");
    st->id = get_u32v(in, UINT32_MAX, "a step id");
    st->t = (uint16_t)get_u32v(in, p->nsteps ? p->nsteps - 1u : 0, "a step descriptor");
    st->thread = get_u32v(in, UINT32_MAX, "a step's thread");
    if (!p->nsteps) return bad(in, "a step in a process without steps");
    if (!get_value(in, &st->title, 0)) return false;
    if (st->title.type != BPT_T_STRING) return bad(in, "a step's title is not text");
    st->percent = get_sv(in);
    if (st->percent < 0 || st->percent > 100) return bad(in, "a vote percentage out of range");
    st->due = get_u8(in) ? get_sv(in) : RT_NO_TIME;
    st->acted = get_u32v(in, UINT32_MAX, "a count of acts");
    st->flags = get_u8(in);
    if (!get_value(in, &st->offsets, 0)) return false;
    uint8_t nreminds = p->steps[st->t].nreminds;
    if (nreminds ? st->offsets.type != (BPT_T_LIST | BPT_T_DURATION) || st->offsets.u.l->n != nreminds
                 : st->offsets.type != BPT_T_VOID)
      return bad(in, "a step's reminders do not match its descriptor");
    st->fired = get_uv(in);
    uint32_t np = get_count(in, "the people count");
    for (uint32_t k = 0; k < np && !in->bad; k++) {
      RtPerson *who = rt_vec_push(rt, &st->people, sizeof *who);
      if (!who) return in->nomem = true, bad(in, "out of memory");
      if (!get_value(in, &who->user, 0)) return false;
      if (who->user.type != BPT_T_USER) return bad(in, "a step's person is not a user");
      who->item = get_u32v(in, UINT32_MAX, "an item id");
      who->act = get_u8(in);
      who->order = get_u32v(in, UINT32_MAX, "an order");
      who->at = get_sv(in);
      if (!get_value(in, &who->comment, 0)) return false;
      if (who->act > P_DONE || (who->comment.type != BPT_T_VOID && who->comment.type != BPT_T_STRING))
        return bad(in, "a person's act is not one there is");
    }
    if (!in->bad && st->people.n == 0) return bad(in, "a step with nobody to ask");
  }
  n = get_count(in, "the timer count");
  for (uint32_t i = 0; i < n && !in->bad; i++) {
    RtTimer *t = rt_vec_push(rt, &s->timers, sizeof *t);
    if (!t) return in->nomem = true, bad(in, "out of memory");
    t->at = get_sv(in);
    t->seq = get_u32v(in, UINT32_MAX, "a timer's order");
    t->ref = get_u32v(in, UINT32_MAX, "a timer's thread or step");
    t->index = (uint16_t)get_u32v(in, UINT16_MAX, "a reminder index");
    t->kind = get_u8(in);
    if (t->kind > TM_REMIND) bad(in, "a timer of unknown kind");
  }
  n = get_count(in, "the call count");
  for (uint32_t i = 0; i < n && !in->bad; i++) {
    RtCall *c = rt_vec_push(rt, &s->calls, sizeof *c);
    if (!c) return in->nomem = true, bad(in, "out of memory");
    c->id = get_u32v(in, UINT32_MAX, "a call id");
    c->thread = get_u32v(in, UINT32_MAX, "a call's thread");
    c->action = (uint16_t)get_u32v(in, in->b->b.nactions ? in->b->b.nactions - 1u : 0, "an action");
    c->slot = (uint16_t)get_u32v(in, UINT16_MAX, "a result slot");
    if (!in->b->b.nactions) return bad(in, "a call in a bundle without actions");
    if (!get_value(in, &c->args, 0)) return false;
    if (!rt_is_list(c->args.type) || c->args.u.l->n != in->b->b.actions[c->action].nparams)
      return bad(in, "a call's arguments do not match its action");
    if (c->slot != BPT_NONE16 && c->slot >= p->nslots) return bad(in, "a call's result slot is out of range");
  }
  return !in->bad;
}

/* Every reference resolves, and every resting thread rests where a thread can. */
static bool check_links(In *in, const BptProcess *p, const RtProc *rp, RtState *s) {
  if (s->status != ST_WAITING &&
      (s->threads.n || s->steps.n || s->timers.n || s->calls.n || s->acts.n))
    return bad(in, "an ended instance that still waits");
  for (uint32_t i = 0; i < s->threads.n; i++) {
    RtThread *t = RT_AT(s->threads, RtThread, i);
    if (t->id == 0 || t->id > s->next_id) return bad(in, "a thread id beyond the next id");
    for (uint32_t k = 0; k < i; k++)
      if (RT_AT(s->threads, RtThread, k)->id == t->id) return bad(in, "two threads with one id");
    if (!rt_resume_point(rp, t->pc, p->code_size)) return bad(in, "a thread rests where no thread can wait");
    if (t->act && !find_act(s, t->act)) return bad(in, "a thread of a fork activation that is not there");
    if ((t->kind == K_REMIND || t->kind == K_TIMEOUT) && !rt_state_step(s, t->step))
      return bad(in, "a handler of a step that is not there");
  }
  for (uint32_t i = 0; i < s->acts.n; i++) {
    RtAct *a = RT_AT(s->acts, RtAct, i);
    if (a->id > s->next_id || (a->parent && !find_act(s, a->parent))) return bad(in, "a fork activation that cannot be");
  }
  for (uint32_t i = 0; i < s->steps.n; i++) {
    RtStep *st = RT_AT(s->steps, RtStep, i);
    RtThread *t = rt_state_thread(s, st->thread);
    if (!t || t->wait != W_STEP || st->id > s->next_id) return bad(in, "a step nobody waits for");
    for (uint32_t k = 0; k < st->people.n; k++)
      if (RT_AT(st->people, RtPerson, k)->item > s->next_id) return bad(in, "an item id beyond the next id");
  }
  for (uint32_t i = 0; i < s->timers.n; i++) {
    RtTimer *tm = RT_AT(s->timers, RtTimer, i);
    if (tm->kind == TM_WAIT) {
      RtThread *t = rt_state_thread(s, tm->ref);
      if (!t || t->wait != W_TIMER) return bad(in, "a timer for a thread that does not wait for it");
    } else {
      RtStep *st = rt_state_step(s, tm->ref);
      if (!st) return bad(in, "a timer of a step that is not there");
      if (tm->kind == TM_REMIND && tm->index >= p->steps[st->t].nreminds) return bad(in, "a reminder that is not there");
    }
  }
  for (uint32_t i = 0; i < s->calls.n; i++) {
    RtCall *c = RT_AT(s->calls, RtCall, i);
    RtThread *t = rt_state_thread(s, c->thread);
    if (!t || t->wait != W_CALL) return bad(in, "a call nobody waits for");
  }
  return true;
}

static uint32_t get_u32_at(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

BpStatus bp_instance_restore(BpBundle *b, BpDoc *doc, const uint8_t *bytes, size_t len, BpInstance **out,
                             BpError *err) {
  if (!b || !out || (len && !bytes)) return rt_fail_status(err, BP_EINVAL, "bp_instance_restore: missing argument");
  *out = NULL;
  if (len < HEADER || memcmp(bytes, SAVE_MAGIC, 4) != 0)
    return rt_fail_status(err, BP_EBADDATA, "these are not the saved bytes of an instance");
  if (bytes[4] != SAVE_VERSION)
    return rt_fail_status(err, BP_EBADDATA, "saved state version %u is not supported (this runtime reads %u)", bytes[4],
                          SAVE_VERSION);
  if (bytes[5] != 0) return rt_fail_status(err, BP_EBADDATA, "saved state with unknown flags");
  uint16_t proc = (uint16_t)(bytes[6] | bytes[7] << 8);
  if (get_u32_at(bytes + 8) != b->b.crc)
    return rt_fail_status(err, BP_EBADDATA, "the state was saved with another bundle (checksum %08x, this one is %08x)",
                          get_u32_at(bytes + 8), b->b.crc);
  if (get_u32_at(bytes + 12) != len - HEADER)
    return rt_fail_status(err, BP_EBADDATA, "the saved state is cut short or too long");
  if (get_u32_at(bytes + 16) != bpt_crc32c(0, bytes + HEADER, len - HEADER))
    return rt_fail_status(err, BP_EBADDATA, "the saved state is damaged (checksum mismatch)");
  if (proc >= b->b.nprocesses) return rt_fail_status(err, BP_EBADDATA, "the saved state names a process that is not there");
  const BptProcess *p = &b->b.processes[proc];
  if (doc && doc->doctype != p->doctype)
    return rt_fail_status(err, BP_EINVAL, "the document is of another type than the process's");
  BpRuntime *rt = b->rt;
  uint16_t nfields = p->doctype == BPT_NONE16 ? 0 : (uint16_t)b->b.doctypes[p->doctype].nfields;
  In in = {.rt = rt, .b = b, .p = bytes + HEADER, .n = len - HEADER};
  RtState s = {0};
  s.state = BPT_NONE16;
  Value *fields = NULL;
  bool ok = read_state(&in, p, &s, &fields, nfields) && check_links(&in, p, &b->procs[proc], &s);
  if (ok && in.n != 0) ok = bad(&in, "bytes are left over");
  if (!ok) {
    if (fields) {
      rt_unref_all(rt, fields, nfields);
      rt_dealloc(rt, fields, rt_values_bytes(nfields));
    }
    rt_state_free(rt, &s);
    if (in.nomem) return rt_fail_status(err, BP_ENOMEM, "out of memory");
    return rt_fail_status(err, BP_EBADDATA, "the saved state is not valid: %s", in.why);
  }
  BpInstance *inst = rt_alloc(rt, sizeof *inst);
  BpDoc *made = NULL;
  BpStatus st = inst ? BP_OK : rt_fail_status(err, BP_ENOMEM, "out of memory");
  if (st == BP_OK && !doc) {
    const char *dt = p->doctype == BPT_NONE16 ? "" : rt_string(b, b->b.doctypes[p->doctype].name);
    st = bp_doc_new(b, dt, NULL, 0, &made, err);
    if (st == BP_OK) {
      for (uint16_t i = 0; i < nfields; i++) {
        rt_unref(rt, made->fields[i]);
        made->fields[i] = fields[i];
        fields[i] = (Value){0};
      }
    }
  }
  rt_unref_all(rt, fields, nfields);
  rt_dealloc(rt, fields, rt_values_bytes(nfields));
  if (st != BP_OK) {
    if (inst) rt_dealloc(rt, inst, sizeof *inst);
    rt_state_free(rt, &s);
    return st;
  }
  inst->b = b;
  inst->rt = rt;
  inst->proc = proc;
  inst->s = s;
  inst->doc = doc ? doc : made;
  if (doc) doc->refs++;
  *out = inst;
  return BP_OK;
}
