/* rt_save.c — an instance's whole state to bytes and back.
 *
 * Layout (little-endian):
 *   u8[4] magic "BPS\x1A"   u8 version (3)   u8 flags (0)   u16 process index
 *   u32 bundle crc          u32 payload size  u32 CRC-32C of the payload
 *   payload: varints (LEB128, in as few bytes as they need; signed ones zigzag), raw
 *   bytes and values, in the order of the record functions below (io_state and the
 *   io_* functions it calls).
 * A value is a tag (its type; an unset date or datetime adds 0x40) and a payload: text
 * as a length and UTF-8 bytes, numbers as varints (a decimal with its scale first), a
 * list or a record as a count and the values.
 *
 * One function per record both writes and reads it (Io.reading says which), so the
 * writer and the reader cannot drift apart: each field is named once, with the range the
 * reader accepts. Reading trusts nothing: every length is bounded by the bytes left after
 * it, every count and index by the bundle and by the state itself, and check_state then
 * checks what ties the records together (ids unique and below the next id, every
 * reference resolving, votes counted as cast, every waiting thread resting where a
 * thread can wait and waiting for something there). Bytes of another bundle are refused
 * by the checksum they carry. Everything is linear or n log n in the bytes: a crafted
 * state cannot make restoring slow. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rt.h"

#define SAVE_MAGIC "BPS\x1A"
enum { SAVE_VERSION = 3, HEADER = 20, UNSET_TAG = 0x40, MAX_DEPTH = 4, MAX_REMINDS = 62 };

/* ---- the primitives: each writes *v, or reads it and checks its range ---------------------- */

typedef struct Io {
  BpRuntime *rt;
  bool reading;
  RtBuf out;             /* writing */
  const BpBundle *b;     /* reading: the bundle and the process the state is of */
  const BptProcess *p;
  const uint8_t *at;
  size_t left;
  bool bad, nomem;
  char why[160];
} Io;

static bool bad(Io *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool bad(Io *io, const char *fmt, ...) {
  if (!io->bad) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(io->why, sizeof io->why, fmt, ap);
    va_end(ap);
  }
  io->bad = true;
  return false;
}

static bool out_of_memory(Io *io) {
  io->nomem = true;
  return bad(io, "out of memory");
}

static void put_bytes(Io *io, const void *p, size_t n) { rt_buf_put(io->rt, &io->out, p, n); }

static uint8_t get_byte(Io *io) {
  if (io->bad) return 0;
  if (io->left < 1) return bad(io, "it ends too soon"), 0;
  io->left--;
  return *io->at++;
}

static void put_uv(Io *io, uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  do {
    b[n] = (uint8_t)(v & 0x7F);
    v >>= 7;
    if (v) b[n] |= 0x80;
    n++;
  } while (v);
  put_bytes(io, b, n);
}

/* A varint as put_uv writes it: at most 64 bits, and no more bytes than it needs (so
 * that restoring and saving again gives the same bytes). */
static uint64_t get_uv(Io *io) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint8_t b = get_byte(io);
    if (io->bad) return 0;
    if (shift == 63 && b > 1) return bad(io, "a number is too large"), 0;
    if (shift > 0 && b == 0) return bad(io, "a number is written with more bytes than it needs"), 0;
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
  return bad(io, "a number is too large"), 0;
}

/* A raw byte of at most max. */
static void io_byte(Io *io, uint8_t *v, uint8_t max, const char *what) {
  if (!io->reading) {
    put_bytes(io, v, 1);
    return;
  }
  uint8_t b = get_byte(io);
  if (!io->bad && b > max) bad(io, "%s %u is out of range (at most %u)", what, b, max);
  *v = b;
}

/* An unsigned varint of at most max. */
static uint64_t io_uint(Io *io, uint64_t v, uint64_t max, const char *what) {
  if (!io->reading) {
    put_uv(io, v);
    return v;
  }
  v = get_uv(io);
  if (!io->bad && v > max) bad(io, "%s %llu is out of range (at most %llu)", what, (unsigned long long)v,
                               (unsigned long long)max);
  return io->bad ? 0 : v;
}

static void io_u32(Io *io, uint32_t *v, uint32_t max, const char *what) {
  uint32_t got = (uint32_t)io_uint(io, *v, max, what);
  if (io->reading) *v = got;
}

static void io_u16(Io *io, uint16_t *v, uint16_t max, const char *what) {
  uint16_t got = (uint16_t)io_uint(io, *v, max, what);
  if (io->reading) *v = got;
}

static void io_u64(Io *io, uint64_t *v, const char *what) {
  uint64_t got = io_uint(io, *v, UINT64_MAX, what);
  if (io->reading) *v = got;
}

/* A signed varint (zigzag) in [lo, hi]. */
static void io_int(Io *io, int64_t *v, int64_t lo, int64_t hi, const char *what) {
  if (!io->reading) {
    put_uv(io, ((uint64_t)*v << 1) ^ (uint64_t)(*v >> 63));
    return;
  }
  uint64_t u = get_uv(io);
  int64_t got = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
  if (!io->bad && (got < lo || got > hi)) bad(io, "%s %lld is out of range", what, (long long)got);
  *v = io->bad ? 0 : got;
}

/* A time in seconds, or RT_NO_TIME: a byte saying whether there is one, then the time. */
static void io_opt_time(Io *io, int64_t *v, const char *what) {
  uint8_t has = *v != RT_NO_TIME;
  io_byte(io, &has, 1, what);
  if (has) io_int(io, v, INT64_MIN + 1, INT64_MAX, what);
  else if (io->reading) *v = RT_NO_TIME;
}

/* How many records follow. Each takes at least one byte, so a count is never more than
 * the bytes left after it. */
static uint32_t io_count(Io *io, uint32_t n, const char *what) {
  if (!io->reading) {
    put_uv(io, n);
    return n;
  }
  uint64_t v = get_uv(io);
  if (!io->bad && v > io->left) bad(io, "%s %llu is more than the %zu bytes left", what, (unsigned long long)v, io->left);
  return io->bad ? 0 : (uint32_t)v;
}

/* A vector of records: the count, then each through `each`. */
typedef void IoRecord(Io *io, void *rec);
static void io_vec(Io *io, RtVec *vec, size_t size, const char *what, IoRecord *each) {
  uint32_t n = io_count(io, vec->n, what);
  for (uint32_t i = 0; i < n && !io->bad; i++) {
    void *rec = io->reading ? rt_vec_push(io->rt, vec, size) : (char *)vec->v + (size_t)i * size;
    if (!rec) {
      out_of_memory(io);
      return;
    }
    each(io, rec);
  }
}

/* ---- values ------------------------------------------------------------------------------- */

static bool io_value(Io *io, Value *v, int depth);

static bool io_text(Io *io, Value *v, uint8_t type) {
  if (!io->reading) {
    put_uv(io, v->u.s->len);
    put_bytes(io, v->u.s->s, v->u.s->len);
    return true;
  }
  uint64_t len = get_uv(io); /* the length is consumed before it is compared with what is left */
  if (io->bad) return false;
  if (len > io->left) return bad(io, "a text of %llu bytes where %zu are left", (unsigned long long)len, io->left);
  if (len > BP_MAX_STRING) return bad(io, "a text of %llu bytes, more than BP_MAX_STRING", (unsigned long long)len);
  if (!rt_valid_utf8((const char *)io->at, (size_t)len)) return bad(io, "text that is not UTF-8");
  if (!rt_str_new(io->rt, (const char *)io->at, (size_t)len, type, v)) return out_of_memory(io);
  io->at += len;
  io->left -= (size_t)len;
  return true;
}

/* Whether item i of a list or record of type `of` may be x. */
static bool fits_in(uint8_t of, uint32_t i, Value x) {
  if (rt_is_record(of)) return x.type == BPT_T_VOID || x.type == rt_record_member_type(of, i);
  uint8_t elem = of & 0x7F;
  if (elem != BPT_T_VOID) return x.type == elem;
  /* A list of no one type (a call's arguments) holds scalars, and lists of one
   * type (a `users` argument), whose items are checked in their turn. */
  if (rt_is_list(x.type)) return (x.type & 0x7F) != BPT_T_VOID;
  return x.type != BPT_T_VOID && !rt_is_record(x.type);
}

static bool io_items(Io *io, Value *v, int depth) {
  bool list = rt_is_list(v->type);
  uint32_t n = io->reading ? 0 : list ? v->u.l->n : v->u.r->n; /* reading: nothing there yet */
  if (io->reading) {
    if (depth >= MAX_DEPTH) return bad(io, "values nested too deep");
    n = io_count(io, 0, "a list length");
    if (io->bad) return false;
    if (!list && n != rt_record_size(v->type)) return bad(io, "a result record of the wrong size");
    uint8_t type = v->type;
    bool made = list ? rt_list_new(io->rt, type, n, v) : rt_rec_new(io->rt, type, n, v);
    if (!made) {
      *v = (Value){0};
      return out_of_memory(io);
    }
  } else {
    put_uv(io, n);
  }
  Value *items = list ? v->u.l->items : v->u.r->m;
  for (uint32_t i = 0; i < n; i++) {
    if (!io_value(io, &items[i], depth + 1)) return false; /* the caller frees *v */
    if (io->reading && !fits_in(v->type, i, items[i])) return bad(io, "a list or record holds a value of the wrong type");
  }
  return true;
}

/* The tag, then the payload. Reading, *v is VOID or a whole value the caller frees. */
static bool io_value(Io *io, Value *v, int depth) {
  uint8_t tag = (uint8_t)(v->type | (v->unset ? UNSET_TAG : 0));
  io_byte(io, &tag, UINT8_MAX, "a value's tag");
  if (io->bad) return false;
  if (io->reading) {
    uint8_t type = tag & (uint8_t)~UNSET_TAG;
    bool unset = (tag & UNSET_TAG) != 0;
    if (unset && type != BPT_T_DATE && type != BPT_T_DATETIME) return bad(io, "a value with a bad tag");
    if (type != BPT_T_VOID && !bpt_type_valid(type)) return bad(io, "a value of unknown type");
    *v = (Value){.type = type, .unset = unset};
  }
  switch (v->type) {
  case BPT_T_VOID: return true;
  case BPT_T_STRING:
  case BPT_T_USER: return io_text(io, v, v->type);
  case BPT_T_DECIMAL: io_byte(io, &v->scale, 18, "a decimal's scale"); break;
  case BPT_T_BOOL: {
    uint8_t b = v->u.i != 0;
    io_byte(io, &b, 1, "a bool");
    if (io->reading) v->u.i = b;
    return !io->bad;
  }
  default:
    if (rt_is_list(v->type) || rt_is_record(v->type)) return io_items(io, v, depth);
    break;
  }
  int64_t i = v->unset ? 0 : v->u.i;
  io_int(io, &i, v->unset ? 0 : INT64_MIN, v->unset ? 0 : INT64_MAX, "an unset date");
  if (io->reading) v->u.i = i;
  return !io->bad;
}

/* ---- the records: each field once, in the order of the bytes ------------------------------- */

static void io_thread(Io *io, void *rec) {
  RtThread *t = rec;
  io_u32(io, &t->id, UINT32_MAX, "a thread id");
  io_u32(io, &t->pc, io->reading ? io->p->code_size - 1 : UINT32_MAX, "a pc");
  io_u32(io, &t->act, UINT32_MAX, "a thread's activation");
  io_u32(io, &t->step, UINT32_MAX, "a thread's step");
  io_byte(io, &t->wait, W_MESSAGE, "what a thread waits for");
  io_byte(io, &t->kind, K_AFTER, "a thread's kind");
  if (io->reading && !io->bad && t->wait == W_RUN) bad(io, "a thread that runs while the instance rests");
}

/* A try scope: its TRY's pc (which must be a TRY of the scope's group) and the kind and
 * step of the thread that entered it. */
static void io_try(Io *io, RtAct *a) {
  io_u32(io, &a->try_pc, io->reading ? io->p->code_size - 1 : UINT32_MAX, "a try scope's pc");
  io_byte(io, &a->kind, K_STATE, "a try scope's thread kind");
  io_u32(io, &a->step, UINT32_MAX, "a try scope's step");
  if (!io->reading || io->bad) return;
  BptInsn in;
  if (!bpt_decode(io->b->b.code + io->p->code_offset, io->p->code_size, a->try_pc, &in) ||
      in.op != BPT_OP_TRY || in.arg[0] != a->group)
    bad(io, "a try scope whose pc is not its TRY");
}

static void io_act(Io *io, void *rec) {
  RtAct *a = rec;
  io_u32(io, &a->id, UINT32_MAX, "an activation id");
  io_u32(io, &a->parent, UINT32_MAX, "an activation's parent");
  io_u16(io, &a->group, io->reading ? (uint16_t)(io->p->ngroups ? io->p->ngroups - 1u : 0) : UINT16_MAX, "a fork group");
  io_byte(io, &a->race, RT_ACT_TRY, "a fork's race flag");
  io_u16(io, &a->arrived, UINT16_MAX, "an arrival count");
  if (a->race == RT_ACT_TRY && !io->bad) io_try(io, a);
  if (io->reading && !io->bad && !io->p->ngroups) bad(io, "a fork activation in a process without forks");
}

static void io_person(Io *io, void *rec) {
  RtPerson *who = rec;
  if (!io_value(io, &who->user, 0)) return;
  if (io->reading && (who->user.type != BPT_T_USER || who->user.u.s->len == 0)) {
    bad(io, "a step's person is not a user");
    return;
  }
  io_u32(io, &who->item, UINT32_MAX, "an item id");
  io_byte(io, &who->act, P_DONE, "a person's act");
  io_u32(io, &who->order, UINT32_MAX, "the order of an act");
  io_int(io, &who->at, INT64_MIN, INT64_MAX, "the time of an act");
  if (!io_value(io, &who->comment, 0)) return;
  if (io->reading && who->comment.type != BPT_T_VOID && who->comment.type != BPT_T_STRING)
    bad(io, "a comment that is not text");
}

static void io_step(Io *io, void *rec) {
  RtStep *st = rec;
  const BptProcess *p = io->p;
  io_u32(io, &st->id, UINT32_MAX, "a step id");
  if (io->reading && !p->nsteps) {
    bad(io, "a step in a process without steps");
    return;
  }
  io_u16(io, &st->t, io->reading ? (uint16_t)(p->nsteps - 1u) : UINT16_MAX, "a step descriptor");
  io_u32(io, &st->thread, UINT32_MAX, "a step's thread");
  if (!io_value(io, &st->title, 0)) return;
  if (io->reading && st->title.type != BPT_T_STRING) {
    bad(io, "a step's title is not text");
    return;
  }
  io_int(io, &st->percent, 0, 100, "a vote percentage");
  io_opt_time(io, &st->due, "a step's due time");
  io_u32(io, &st->acted, UINT32_MAX, "a count of acts");
  io_byte(io, &st->flags, S_IN_TIMEOUT | S_HANDLED | S_OVERDUE, "a step's flags");
  if (!io_value(io, &st->offsets, 0)) return;
  io_u64(io, &st->fired, "the reminders that ran");
  io_u32(io, &st->timeouts_left, UINT32_MAX, "the `on timeout` runs left"); /* format 3 */
  io_vec(io, &st->people, sizeof(RtPerson), "the people count", io_person);
  if (!io->reading || io->bad) return;
  uint8_t nreminds = p->steps[st->t].nreminds;
  if (nreminds > MAX_REMINDS) bad(io, "a step with more than %d reminders", MAX_REMINDS);
  else if (nreminds ? st->offsets.type != (BPT_T_LIST | BPT_T_DURATION) || st->offsets.u.l->n != nreminds
                    : st->offsets.type != BPT_T_VOID)
    bad(io, "a step's reminders do not match its descriptor");
  else if (st->fired >> nreminds) bad(io, "a reminder that is not there has run");
  else if (!BPT_MODE_HAS_PERCENT(p->steps[st->t].mode) && st->percent != 0) bad(io, "a vote percentage on a step that is no vote");
  else if (st->people.n == 0) bad(io, "a step with nobody to ask");
}

static void io_timer(Io *io, void *rec) {
  RtTimer *t = rec;
  io_int(io, &t->at, INT64_MIN, INT64_MAX, "a timer's time");
  io_u32(io, &t->seq, UINT32_MAX, "a timer's order");
  io_u32(io, &t->ref, UINT32_MAX, "a timer's thread or step");
  io_u16(io, &t->index, UINT8_MAX - 1, "a reminder or `after` index");
  io_byte(io, &t->kind, TM_AFTER, "a timer's kind");
  io_int(io, &t->every, 0, INT64_MAX, "an `after` handler's period"); /* format 2 */
  io_u32(io, &t->left, UINT32_MAX, "an `after` handler's runs left");
  if (io->reading && !io->bad && t->kind == TM_REMIND && t->index >= MAX_REMINDS) bad(io, "a reminder index out of range");
  if (io->reading && !io->bad && t->kind != TM_REMIND && t->kind != TM_AFTER && t->index != 0)
    bad(io, "a reminder index on another timer");
  if (io->reading && !io->bad && t->kind != TM_AFTER && (t->every || t->left)) bad(io, "a period on a timer that does not repeat");
}

static void io_call(Io *io, void *rec) {
  RtCall *c = rec;
  const BptBundle *bb = io->reading ? &io->b->b : NULL;
  io_u32(io, &c->id, UINT32_MAX, "a call id");
  io_u32(io, &c->thread, UINT32_MAX, "a call's thread");
  if (io->reading && !bb->nactions) {
    bad(io, "a call in a bundle without actions");
    return;
  }
  io_u16(io, &c->action, bb ? (uint16_t)(bb->nactions - 1u) : UINT16_MAX, "an action");
  io_u16(io, &c->slot, UINT16_MAX, "a call's result slot");
  if (!io_value(io, &c->args, 0) || !io->reading) return;
  const BptAction *a = &bb->actions[c->action];
  if (!rt_is_list(c->args.type) || c->args.u.l->n != a->nparams)
    bad(io, "a call's arguments do not match its action");
  else if (c->slot != BPT_NONE16 && c->slot >= io->p->nslots)
    bad(io, "a call's result slot is out of range");
}

/* A slot or field value must be of its declared type (or nothing, for slots); a for
 * loop's hidden slots hold what the loop put there. */
static bool fits_declared(Value v, uint8_t declared, int slot_kind) {
  if (slot_kind == BPT_SLOT_HIDDEN) return true;
  if (v.type == BPT_T_VOID) return slot_kind >= 0;
  if (v.type == declared) return true;
  return rt_is_list(v.type) && rt_is_list(declared) && v.u.l->n == 0;
}

/* The whole state. The document's fields travel with it (fields, nfields). */
static bool io_state(Io *io, RtState *s, Value *fields, uint16_t nfields) {
  const BptProcess *p = io->p;
  uint8_t status = s->status;
  status = (uint8_t)io_uint(io, status, ST_FAILED, "the status");
  uint32_t state = s->state == BPT_NONE16 ? 0 : s->state + 1u;
  io_u32(io, &state, p->nstates, "the state");
  if (io->reading) {
    s->status = status;
    s->state = state == 0 ? BPT_NONE16 : (uint16_t)(state - 1);
  }
  io_u32(io, &s->next_id, UINT32_MAX - 1, "the next id");
  io_int(io, &s->clock, INT64_MIN, INT64_MAX, "the clock");
  if (!io_value(io, &s->message, 0)) return false;
  if (io->reading && s->message.type != BPT_T_VOID && s->message.type != BPT_T_STRING)
    return bad(io, "the message is not text");
  if (io_uint(io, nfields, UINT16_MAX, "the field count") != nfields && !io->bad)
    return bad(io, "the document has another number of fields");
  const BptDoctype *dt = p->doctype == BPT_NONE16 ? NULL : &io->b->b.doctypes[p->doctype];
  for (uint16_t i = 0; i < nfields; i++) {
    if (!io_value(io, &fields[i], 0)) return false;
    if (io->reading && !fits_declared(fields[i], dt->fields[i].type, -1)) return bad(io, "a document field of the wrong type");
  }
  if (io_uint(io, s->nslots, UINT16_MAX, "the slot count") != s->nslots && !io->bad)
    return bad(io, "the process has another number of slots");
  for (uint16_t i = 0; i < s->nslots; i++) {
    if (!io_value(io, &s->slots[i], 0)) return false;
    if (io->reading && !fits_declared(s->slots[i], p->slots[i].type, p->slots[i].kind)) return bad(io, "a slot of the wrong type");
  }
  io_vec(io, &s->threads, sizeof(RtThread), "the thread count", io_thread);
  io_vec(io, &s->acts, sizeof(RtAct), "the activation count", io_act);
  io_vec(io, &s->steps, sizeof(RtStep), "the step count", io_step);
  io_vec(io, &s->timers, sizeof(RtTimer), "the timer count", io_timer);
  io_vec(io, &s->calls, sizeof(RtCall), "the call count", io_call);
  return !io->bad;
}

/* ---- what ties the records together ------------------------------------------------------- */

/* The records of each kind are kept in the order they were made, so their ids rise:
 * that makes ids unique within a kind, and lookups binary searches. */
#define ID_AT(vec, T, i) (RT_AT(vec, T, i)->id)
#define FIND_BY_ID(name, T)                                                                   \
  static T *name(const RtVec *v, uint32_t id) {                                              \
    uint32_t lo = 0, hi = v->n;                                                              \
    while (lo < hi) {                                                                        \
      uint32_t mid = lo + (hi - lo) / 2;                                                     \
      uint32_t at = ID_AT(*v, T, mid);                                                       \
      if (at == id) return RT_AT(*v, T, mid);                                                \
      if (at < id) lo = mid + 1;                                                             \
      else hi = mid;                                                                         \
    }                                                                                        \
    return NULL;                                                                             \
  }
FIND_BY_ID(find_thread, RtThread)
FIND_BY_ID(find_act, RtAct)
FIND_BY_ID(find_step, RtStep)

static bool ids_rise(Io *io, const RtVec *v, size_t size, uint32_t next_id, const char *what) {
  uint32_t last = 0;
  for (uint32_t i = 0; i < v->n; i++) {
    uint32_t id = *(const uint32_t *)((const char *)v->v + (size_t)i * size); /* id is each record's first member */
    if (id <= last || id > next_id) return bad(io, "%s ids out of order, repeated or beyond the next id", what);
    last = id;
  }
  return true;
}

static int cmp_ids(const void *ctx, uint32_t a, uint32_t b) {
  (void)ctx;
  return a < b ? -1 : a > b;
}

/* Every id (threads, activations, steps, calls, open items) was given once. */
static bool ids_unique(Io *io, const RtState *s) {
  size_t n = (size_t)s->threads.n + s->acts.n + s->steps.n + s->calls.n;
  for (uint32_t i = 0; i < s->steps.n; i++) n += RT_AT(s->steps, RtStep, i)->people.n;
  if (n > UINT32_MAX) return bad(io, "too many ids");
  uint32_t *ids = rt_alloc(io->rt, (n ? n : 1) * sizeof *ids);
  if (!ids) return out_of_memory(io);
  uint32_t k = 0;
  for (uint32_t i = 0; i < s->threads.n; i++) ids[k++] = RT_AT(s->threads, RtThread, i)->id;
  for (uint32_t i = 0; i < s->acts.n; i++) ids[k++] = RT_AT(s->acts, RtAct, i)->id;
  for (uint32_t i = 0; i < s->calls.n; i++) ids[k++] = RT_AT(s->calls, RtCall, i)->id;
  for (uint32_t i = 0; i < s->steps.n; i++) {
    const RtStep *st = RT_AT(s->steps, RtStep, i);
    ids[k++] = st->id;
    for (uint32_t j = 0; j < st->people.n; j++) {
      uint32_t item = RT_AT(st->people, RtPerson, j)->item;
      if (item) ids[k++] = item;
    }
  }
  rt_sort(ids, k, cmp_ids, NULL);
  bool ok = true;
  for (uint32_t i = 0; i < k && ok; i++)
    ok = ids[i] <= s->next_id && (i == 0 || ids[i] != ids[i - 1]);
  rt_dealloc(io->rt, ids, (n ? n : 1) * sizeof *ids);
  return ok || bad(io, "an id given twice, or beyond the next id");
}

static int cmp_people(const void *ctx, uint32_t a, uint32_t b) {
  const RtStep *st = ctx;
  const RtStr *x = RT_AT(st->people, RtPerson, a)->user.u.s, *y = RT_AT(st->people, RtPerson, b)->user.u.s;
  int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
  return c ? c : x->len < y->len ? -1 : x->len > y->len;
}

/* A step's people: each once; those who acted did so in the order 1..acted, each at one
 * place of it, and have no open item; the others have no place in it. */
static bool people_consistent(Io *io, const RtStep *st) {
  uint32_t n = st->people.n, acted = 0;
  for (uint32_t k = 0; k < n; k++) {
    const RtPerson *who = RT_AT(st->people, RtPerson, k);
    if (who->act == P_NONE ? who->order != 0 : who->item != 0 || who->order == 0 || who->order > st->acted)
      return bad(io, "a person's act does not fit the step's count of acts");
    acted += who->act != P_NONE;
  }
  if (acted != st->acted) return bad(io, "a step counts %u acts where its people made %u", st->acted, acted);
  size_t bytes = (n ? n : 1) * sizeof(uint32_t);
  uint32_t *order = rt_alloc(io->rt, bytes);
  if (!order) return out_of_memory(io);
  for (uint32_t k = 0; k < n; k++) order[k] = k;
  rt_sort(order, n, cmp_people, st);
  bool ok = true;
  for (uint32_t k = 1; k < n && ok; k++) ok = cmp_people(st, order[k - 1], order[k]) != 0;
  /* The orders of the acts: one each, 1..acted (the same array, now by order). */
  for (uint32_t k = 0, j = 0; k < n && ok; k++) {
    const RtPerson *who = RT_AT(st->people, RtPerson, k);
    if (who->act != P_NONE) order[j++] = who->order;
  }
  if (ok) rt_sort(order, acted, cmp_ids, NULL);
  for (uint32_t k = 0; k < acted && ok; k++) ok = order[k] == k + 1;
  rt_dealloc(io->rt, order, bytes);
  return ok || bad(io, "a person named twice on a step, or two acts at one place of its order");
}

static bool check_state(Io *io, const RtProc *rp, RtState *s) {
  const BptProcess *p = io->p;
  if (s->status != ST_WAITING && (s->threads.n || s->steps.n || s->timers.n || s->calls.n || s->acts.n))
    return bad(io, "an ended instance that still waits");
  if (!ids_rise(io, &s->threads, sizeof(RtThread), s->next_id, "thread") ||
      !ids_rise(io, &s->acts, sizeof(RtAct), s->next_id, "activation") ||
      !ids_rise(io, &s->steps, sizeof(RtStep), s->next_id, "step") ||
      !ids_rise(io, &s->calls, sizeof(RtCall), s->next_id, "call") || !ids_unique(io, s))
    return false;
  /* What each thread waits for: counted here, and each must wait for exactly one thing. */
  size_t wbytes = (s->threads.n ? s->threads.n : 1) * sizeof(uint32_t);
  uint32_t *waits = rt_alloc(io->rt, wbytes);
  if (!waits) return out_of_memory(io);
  for (uint32_t i = 0; i < s->acts.n && !io->bad; i++) {
    const RtAct *a = RT_AT(s->acts, RtAct, i);
    if (a->parent >= a->id || (a->parent && !find_act(&s->acts, a->parent))) bad(io, "a fork activation that cannot be");
  }
  for (uint32_t i = 0; i < s->threads.n && !io->bad; i++) {
    const RtThread *t = RT_AT(s->threads, RtThread, i);
    if (!rt_resume_point(rp, t->pc, p->code_size)) bad(io, "a thread rests where no thread can wait");
    else if (t->act && !find_act(&s->acts, t->act)) bad(io, "a thread of a fork activation that is not there");
    else if ((t->kind == K_REMIND || t->kind == K_TIMEOUT) && !find_step(&s->steps, t->step))
      bad(io, "a handler of a step that is not there");
  }
  for (uint32_t i = 0; i < s->steps.n && !io->bad; i++) {
    RtStep *st = RT_AT(s->steps, RtStep, i);
    RtThread *t = find_thread(&s->threads, st->thread);
    if (!t || t->wait != W_STEP) bad(io, "a step nobody waits for");
    else if (people_consistent(io, st)) waits[t - (RtThread *)s->threads.v]++;
  }
  for (uint32_t i = 0; i < s->timers.n && !io->bad; i++) {
    const RtTimer *tm = RT_AT(s->timers, RtTimer, i);
    if (tm->kind == TM_WAIT) {
      RtThread *t = find_thread(&s->threads, tm->ref);
      if (!t || t->wait != W_TIMER) bad(io, "a timer for a thread that does not wait for it");
      else waits[t - (RtThread *)s->threads.v]++;
      continue;
    }
    const RtStep *st = find_step(&s->steps, tm->ref);
    if (!st) bad(io, "a timer of a step that is not there");
    else if (tm->kind == TM_AFTER) {
      if (tm->index >= p->steps[st->t].nafters) bad(io, "an `after` handler that is not there");
    } else if (st->due == RT_NO_TIME) bad(io, "a timer of a step that has no due time");
    else if (tm->kind == TM_REMIND && tm->index >= p->steps[st->t].nreminds) bad(io, "a reminder that is not there");
  }
  for (uint32_t i = 0; i < s->calls.n && !io->bad; i++) {
    const RtCall *c = RT_AT(s->calls, RtCall, i);
    RtThread *t = find_thread(&s->threads, c->thread);
    if (!t || t->wait != W_CALL) bad(io, "a call nobody waits for");
    else waits[t - (RtThread *)s->threads.v]++;
  }
  for (uint32_t i = 0; i < s->threads.n && !io->bad; i++) {
    const RtThread *t = RT_AT(s->threads, RtThread, i);
    if (t->wait != W_MESSAGE) continue;
    if (rt_receive_pc(io->b, p, t) == BPT_NO_PC) bad(io, "a thread waits for a message where there is no RECEIVE");
    else waits[i]++;
  }
  for (uint32_t i = 0; i < s->threads.n && !io->bad; i++)
    if (waits[i] != 1) bad(io, "a thread that waits for %s", waits[i] ? "two things at once" : "nothing");
  rt_dealloc(io->rt, waits, wbytes);
  return !io->bad;
}

/* ---- saving ------------------------------------------------------------------------------- */

static void put_u32_at(char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}

BpStatus bp_instance_save(const BpInstance *inst, uint8_t **bytes, size_t *len, BpError *err) {
  if (!inst || !bytes || !len) return rt_fail_status(err, BP_EINVAL, "bp_instance_save: missing argument");
  *bytes = NULL;
  *len = 0;
  Io io = {.rt = inst->rt, .b = inst->b, .p = &inst->b->b.processes[inst->proc], .out = {.unbounded = true}};
  char header[HEADER] = {0};
  put_bytes(&io, header, HEADER);
  /* Writing only reads the state: the cast lets one function serve both directions. */
  io_state(&io, (RtState *)&inst->s, inst->doc->fields, inst->doc->nfields);
  if (io.out.nomem) {
    rt_buf_free(io.rt, &io.out);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  if (io.out.len > BP_MAX_STATE) {
    size_t n = io.out.len;
    rt_buf_free(io.rt, &io.out);
    return rt_fail_status(err, BP_EINVAL, "the state is too large to save: %zu bytes, more than %u (BP_MAX_STATE)", n,
                          (unsigned)BP_MAX_STATE);
  }
  /* The bytes are handed over at their exact size (bp_free takes the length). */
  uint8_t *out = rt_alloc(inst->rt, io.out.len);
  if (!out) {
    rt_buf_free(io.rt, &io.out);
    return rt_fail_status(err, BP_ENOMEM, "out of memory");
  }
  char *h = io.out.s;
  memcpy(h, SAVE_MAGIC, 4);
  h[4] = SAVE_VERSION;
  h[5] = 0;
  h[6] = (char)(inst->proc & 0xFF);
  h[7] = (char)(inst->proc >> 8);
  put_u32_at(h + 8, inst->b->b.crc);
  put_u32_at(h + 12, (uint32_t)(io.out.len - HEADER));
  put_u32_at(h + 16, bpt_crc32c(0, io.out.s + HEADER, io.out.len - HEADER));
  memcpy(out, io.out.s, io.out.len);
  *bytes = out;
  *len = io.out.len;
  rt_buf_free(io.rt, &io.out);
  return BP_OK;
}

/* ---- restoring ---------------------------------------------------------------------------- */

static uint32_t get_u32_at(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

BpStatus bp_instance_restore(BpBundle *b, BpDoc *doc, const uint8_t *bytes, size_t len, BpInstance **out,
                             BpError *err) {
  if (!b || !out || (len && !bytes)) return rt_fail_status(err, BP_EINVAL, "bp_instance_restore: missing argument");
  *out = NULL;
  if (len > BP_MAX_STATE)
    return rt_fail_status(err, BP_EBADDATA, "a saved state of %zu bytes is larger than %u, the limit (BP_MAX_STATE)", len,
                          (unsigned)BP_MAX_STATE);
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
  Io in = {.rt = rt, .reading = true, .b = b, .p = p, .at = bytes + HEADER, .left = len - HEADER};
  RtState s = {.state = BPT_NONE16, .nslots = p->nslots};
  Value *fields = rt_alloc(rt, rt_values_bytes(nfields));
  s.slots = rt_alloc(rt, rt_values_bytes(p->nslots));
  bool ok = (fields && s.slots) || out_of_memory(&in);
  ok = ok && io_state(&in, &s, fields, nfields) && check_state(&in, &b->procs[proc], &s);
  if (ok && in.left != 0) ok = bad(&in, "%zu bytes are left over", in.left);
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
