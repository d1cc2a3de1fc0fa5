/* rt_save.c — an instance's whole state to bytes and back.
 *
 * Save format 4 (docs/save-format.md): magic "BS", u8 version (4), u32 bundle crc, the
 * payload, u32 CRC-32C of every byte before it. The payload writes only what differs
 * from the bundle's defaults: a flags byte per record says which of its fields are
 * written, document fields equal to a new document's and empty slots are left out, values
 * of their declared type carry no tag, texts that are the bundle's constants are their
 * index and texts met before in the state their number, a step's title is pieces of
 * these, ids are rises and times differences from the clock in their largest unit; all
 * numbers are varints (LEB128; signed ones zigzag).
 *
 * One function per record both writes and reads it (its argument rd says which: version
 * 4's are each compiled twice, once for each direction, NAME_r and NAME_w), so the
 * writer and the reader cannot drift apart: each field is named once, with the range the
 * reader accepts. Reading trusts nothing: every length is bounded by the bytes left after
 * it, every count and index by the bundle and by the state itself, and check_state then
 * checks what ties the records together (ids unique and below the next id, every
 * reference resolving, votes counted as cast, every waiting thread resting where a
 * thread can wait and waiting for something there). Reading also accepts only the form
 * saving writes (no default written, no tag not needed, a title in the pieces saving
 * makes), so restoring and saving again gives the same bytes. Bytes of another bundle
 * are refused by the checksum they carry. Everything is linear or n log n in the bytes:
 * a crafted state cannot make restoring slow.
 *
 * Save format 3 still restores: io_state and the io_* record functions below read it (its
 * layout: magic "BPS\x1A", u8 version 3, u8 flags 0, u16 process, u32 bundle crc, u32
 * payload size, u32 CRC-32C of the payload; every field of every record, values tagged). */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rt.h"

#define SAVE_MAGIC "BPS\x1A"
enum { SAVE_VERSION_3 = 3, HEADER = 20, UNSET_TAG = 0x40, MAX_DEPTH = 4, MAX_REMINDS = 62 };
#define SAVE_MAGIC_4 "BS"
/* Version 4: magic 2, version 1, bundle crc 4 ... payload ... crc 4. MAX_SEEN: the strings a
 * later one may name; MIN_PIECE, MAX_PIECES, MAX_PIECED: a title is split into pieces of at
 * least MIN_PIECE bytes, at most MAX_PIECES of them, when it has at most MAX_PIECED bytes. */
enum { SAVE_VERSION = 4, HEADER_4 = 7, TRAILER_4 = 4, MAX_SEEN = 64, MIN_PIECE = 3, MAX_PIECES = 32,
       MAX_PIECED = 1024 };

/* ---- the primitives: each writes *v, or reads it and checks its range ---------------------- */

/* The short paths every byte goes through are SHORT_PATH (rt.h). */

typedef struct Io {
  /* io_start clears these (the rest, each direction sets before it reads them). */
  bool reading; /* what version 3's reader passes as rd (version 4's functions are told) */
  bool bad, nomem;
  /* Writing: the bytes outgrew `stack` (then w is allocated), or BP_MAX_STATE. */
  bool wheap, toolong;
  /* Restoring version 4: the largest id read so far (threads, activations, steps, calls,
   * open items, in the order read), and whether one did not rise above it. Ids that each
   * rise above the last are given once; check_state then needs only the last against the
   * next id (else it gathers and sorts them: ids_unique). */
  bool ids_mixed;
  /* Writing: 1 + the number among the seen strings of the first empty one, or 0 (see
   * put_string). */
  uint8_t empty_seen;
  uint32_t id_max;
  /* Version 4 (both directions): the last id of the records being read or written (ids
   * are written as rises), and the strings written whole so far (seen, below), which later
   * ones may name. */
  uint32_t last_id;
  uint32_t nseen, npieces; /* npieces: how many of the seen strings may be a title's piece */
  /* Restoring version 4 into a document of its own: where the texts, lists and records
   * read are placed, immortal, when they fit: the instance's block (see region_guess).
   * Left 0: each is allocated. */
  RtRoom room;
  /* Set by each direction. */
  BpRuntime *rt;
  const BpBundle *b;     /* the bundle and the process the state is of */
  const BptProcess *p;
  const uint8_t *at, *end; /* reading: the bytes left (none once bad: bad() empties them, so a
                            * byte left means not bad); writing: NULL */
  /* Version 4 (both directions): the state (timers find their step in it) and its clock
   * (times are written from it). */
  RtState *s;
  int64_t clock;
  /* Restoring version 4: where the slots and the records (threads, activations, steps,
   * timers, calls, the steps' people) are read, each vector at its exact size, while they
   * fit: `recs`, which is &stage or &room. Restoring into a document of its own reads them
   * into the instance's block itself (room, above); else into `stage`, storage on the
   * stack (see STAGE_BYTES), which adopt_v4 moves into the instance's allocation with one
   * copy. Left 0 (version 3): each vector is allocated. */
  RtRoom stage, *recs;
  /* Writing: the instance's own allocation, [own, own + own_size). A restored instance's
   * texts are there (see region_guess), and no constant is: put_string looks for those
   * immortal texts among the bundle's constants no more. */
  uintptr_t own;
  size_t own_size;
  /* Writing: a bit for each string written whole so far (seen), by its address
   * (seen_bit): put_string searches the seen strings only for one whose bit is set. */
  uint64_t seen_bits;
  /* Writing: the bytes, in `stack` until they outgrow it. */
  uint8_t *w, *wat, *wend; /* [w, wat) written, [wat, wend) room for more */
  /* Nothing from here on is read before it is written. */
  char why[160];
  RtStr *seen[MAX_SEEN];
  uint8_t pieces[MAX_SEEN]; /* the seen strings of MIN_PIECE bytes or more, by their number there */
  uint8_t stack[256];
} Io;

/* An Io with its first members (up to rt) zero; the caller sets the others it reads. */
static void io_start(Io *io) {
  memset(io, 0, offsetof(Io, rt));
  io->why[0] = '\0';
}

static bool bad(Io *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool bad(Io *io, const char *fmt, ...) {
  if (!io->bad) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(io->why, sizeof io->why, fmt, ap);
    va_end(ap);
  }
  io->bad = true;
  io->end = io->at; /* so a reader that finds a byte left knows it is not bad (get_uv) */
  return false;
}

/* How many bytes are left to read. */
static inline size_t io_left(const Io *io) { return (size_t)(io->end - io->at); }

static bool out_of_memory(Io *io) {
  io->nomem = true;
  return bad(io, "out of memory");
}

/* The writer's bytes grow in io->stack, then on the heap; past BP_MAX_STATE they stop
 * (the save is refused), so a huge state cannot take all memory twice. */
static bool grow(Io *io, size_t n) {
  if (io->nomem || io->toolong) return false;
  size_t wlen = (size_t)(io->wat - io->w), wcap = (size_t)(io->wend - io->w);
  if (wlen + n > (size_t)BP_MAX_STATE + 64) {
    io->toolong = io->bad = true;
    return false;
  }
  size_t cap = wcap * 2;
  while (cap < wlen + n) cap *= 2;
  uint8_t *p = io->wheap ? rt_realloc(io->rt, io->w, wcap, cap) : rt_alloc(io->rt, cap);
  if (!p) return out_of_memory(io);
  if (!io->wheap) memcpy(p, io->w, wlen);
  io->w = p;
  io->wat = p + wlen;
  io->wend = p + cap;
  io->wheap = true;
  return true;
}

static inline void put_bytes(Io *io, const void *p, size_t n) {
  if (n > (size_t)(io->wend - io->wat) && !grow(io, n)) return;
  rt_copy_text((char *)io->wat, p, n); /* most are short texts: copied without a call */
  io->wat += n;
}

SHORT_PATH void put_byte(Io *io, uint8_t b) {
  if (io->wat != io->wend) *io->wat++ = b;
  else put_bytes(io, &b, 1);
}

SHORT_PATH uint8_t get_byte(Io *io) {
  if (io->at == io->end) return bad(io, "it ends too soon"), 0; /* (and when bad: nothing is left) */
  if (io->bad) __builtin_unreachable();
  return *io->at++;
}

static void put_uv_long(Io *io, uint64_t v);
SHORT_PATH void put_uv(Io *io, uint64_t v) {
  if (v < 0x80 && io->wat != io->wend) { /* one byte: most of them */
    *io->wat++ = (uint8_t)v;
    return;
  }
  put_uv_long(io, v);
}

static void put_uv_long(Io *io, uint64_t v) {
  if (10 > io->wend - io->wat && !grow(io, 10)) return;
  uint8_t *b = io->wat;
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b[n++] = (uint8_t)v;
  io->wat += n;
}

/* A varint as put_uv writes it: at most 64 bits, and no more bytes than it needs (so
 * that restoring and saving again gives the same bytes). */
static uint64_t get_uv_long(Io *io);
SHORT_PATH uint64_t get_uv(Io *io) {
  if (io->at != io->end && io->at[0] < 0x80) { /* one byte: most of them */
    if (io->bad) __builtin_unreachable(); /* bad() leaves nothing: the callers' tests fold */
    return *io->at++;
  }
  return get_uv_long(io);
}

static uint64_t get_uv_long(Io *io) {
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
SHORT_PATH void io_byte(Io *io, const bool rd, uint8_t *v, uint8_t max, const char *what) {
  if (!rd) {
    put_bytes(io, v, 1);
    return;
  }
  uint8_t b = get_byte(io);
  if (!io->bad && b > max) bad(io, "%s %u is out of range (at most %u)", what, b, max);
  *v = b;
}

/* An unsigned varint of at most max. */
SHORT_PATH uint64_t io_uint(Io *io, const bool rd, uint64_t v, uint64_t max, const char *what) {
  if (!rd) {
    put_uv(io, v);
    return v;
  }
  v = get_uv(io);
  if (!io->bad && v > max) bad(io, "%s %llu is out of range (at most %llu)", what, (unsigned long long)v,
                               (unsigned long long)max);
  return io->bad ? 0 : v;
}

SHORT_PATH void io_u32(Io *io, const bool rd, uint32_t *v, uint32_t max, const char *what) {
  uint32_t got = (uint32_t)io_uint(io, rd, *v, max, what);
  if (rd) *v = got;
}

SHORT_PATH void io_u16(Io *io, const bool rd, uint16_t *v, uint16_t max, const char *what) {
  uint16_t got = (uint16_t)io_uint(io, rd, *v, max, what);
  if (rd) *v = got;
}

static void io_u64(Io *io, const bool rd, uint64_t *v, const char *what) {
  uint64_t got = io_uint(io, rd, *v, UINT64_MAX, what);
  if (rd) *v = got;
}

/* A signed varint (zigzag) in [lo, hi]. */
SHORT_PATH void io_int(Io *io, const bool rd, int64_t *v, int64_t lo, int64_t hi, const char *what) {
  if (!rd) {
    put_uv(io, ((uint64_t)*v << 1) ^ (uint64_t)(*v >> 63));
    return;
  }
  uint64_t u = get_uv(io);
  int64_t got = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
  if (!io->bad && (got < lo || got > hi)) bad(io, "%s %lld is out of range", what, (long long)got);
  *v = io->bad ? 0 : got;
}

/* A time in seconds, or RT_NO_TIME: a byte saying whether there is one, then the time. */
static void io_opt_time(Io *io, const bool rd, int64_t *v, const char *what) {
  uint8_t has = *v != RT_NO_TIME;
  io_byte(io, rd, &has, 1, what);
  if (has) io_int(io, rd, v, INT64_MIN + 1, INT64_MAX, what);
  else if (rd) *v = RT_NO_TIME;
}

/* How many records follow. Each takes at least one byte, so a count is never more than
 * the bytes left after it. */
static inline uint32_t io_count(Io *io, const bool rd, uint32_t n, const char *what) {
  if (!rd) {
    put_uv(io, n);
    return n;
  }
  uint64_t v = get_uv(io);
  if (!io->bad && v > io_left(io)) bad(io, "%s %llu is more than the %zu bytes left", what, (unsigned long long)v, io_left(io));
  return io->bad ? 0 : (uint32_t)v;
}

/* Room for the next record read (zeroed), or NULL: rt_vec_push, without its call while
 * there is room (as a rule the stage's, STAGE_BYTES below). */
SHORT_PATH void *next_record(Io *io, RtVec *vec, size_t size) {
  if (vec->n == (vec->cap & ~RT_VEC_LENT)) return rt_vec_push(io->rt, vec, size);
  void *rec = (char *)vec->v + (size_t)vec->n++ * size;
  memset(rec, 0, size);
  return rec;
}

/* Restoring version 4: the stage's room for the n records of vector vec (empty), about to
 * be read, lent to it; when they do not fit, vec is left to allocate them. */
SHORT_PATH void stage_records(Io *io, RtVec *vec, uint64_t n, size_t size) {
  RtRoom *recs = io->recs;
  void *at = n && n <= recs->left ? rt_room_take(recs, (size_t)n * size) : NULL;
  if (at) *vec = rt_vec_lent(at, (uint32_t)n);
}

/* A vector of records: the count, then each through `each`. */
typedef void IoRecord(Io *io, void *rec);
SHORT_PATH void io_vec(Io *io, const bool rd, RtVec *vec, size_t size, const char *what, IoRecord *each) {
  uint32_t n = io_count(io, rd, vec->n, what);
  if (rd) stage_records(io, vec, n, size);
  for (uint32_t i = 0; i < n && !io->bad; i++) {
    void *rec = rd ? rt_vec_push(io->rt, vec, size) : (char *)vec->v + (size_t)i * size;
    if (!rec) {
      out_of_memory(io);
      return;
    }
    each(io, rec);
  }
}

/* ---- values of save format 3 ---------------------------------------------------------------- */

static bool io_value(Io *io, Value *v, int depth);

static bool io_text(Io *io, Value *v, uint8_t type) {
  if (!io->reading) {
    put_uv(io, v->u.s->len);
    put_bytes(io, v->u.s->s, v->u.s->len);
    return true;
  }
  uint64_t len = get_uv(io); /* the length is consumed before it is compared with what is left */
  if (io->bad) return false;
  if (len > io_left(io)) return bad(io, "a text of %llu bytes where %zu are left", (unsigned long long)len, io_left(io));
  if (len > BP_MAX_STRING) return bad(io, "a text of %llu bytes, more than BP_MAX_STRING", (unsigned long long)len);
  if (!rt_valid_utf8((const char *)io->at, (size_t)len)) return bad(io, "text that is not UTF-8");
  if (!rt_str_new(io->rt, (const char *)io->at, (size_t)len, type, v)) return out_of_memory(io);
  io->at += len;
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
    n = io_count(io, io->reading, 0, "a list length");
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
  io_byte(io, io->reading, &tag, UINT8_MAX, "a value's tag");
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
  case BPT_T_DECIMAL: io_byte(io, io->reading, &v->scale, 18, "a decimal's scale"); break;
  case BPT_T_BOOL: {
    uint8_t b = v->u.i != 0;
    io_byte(io, io->reading, &b, 1, "a bool");
    if (io->reading) v->u.i = b;
    return !io->bad;
  }
  default:
    if (rt_is_list(v->type) || rt_is_record(v->type)) return io_items(io, v, depth);
    break;
  }
  int64_t i = v->unset ? 0 : v->u.i;
  io_int(io, io->reading, &i, v->unset ? 0 : INT64_MIN, v->unset ? 0 : INT64_MAX, "an unset date");
  if (io->reading) v->u.i = i;
  return !io->bad;
}

/* ---- the records of save format 3 (read only): each field once, in the order of the bytes -- */

static void io_thread(Io *io, void *rec) {
  RtThread *t = rec;
  io_u32(io, io->reading, &t->id, UINT32_MAX, "a thread id");
  io_u32(io, io->reading, &t->pc, io->reading ? io->p->code_size - 1 : UINT32_MAX, "a pc");
  io_u32(io, io->reading, &t->act, UINT32_MAX, "a thread's activation");
  io_u32(io, io->reading, &t->step, UINT32_MAX, "a thread's step");
  io_byte(io, io->reading, &t->wait, W_MESSAGE, "what a thread waits for");
  io_byte(io, io->reading, &t->kind, K_AFTER, "a thread's kind");
  if (io->reading && !io->bad && t->wait == W_RUN) bad(io, "a thread that runs while the instance rests");
}

/* A try scope: its TRY's pc (which must be a TRY of the scope's group) and the kind and
 * step of the thread that entered it. */
static void io_try(Io *io, RtAct *a) {
  io_u32(io, io->reading, &a->try_pc, io->reading ? io->p->code_size - 1 : UINT32_MAX, "a try scope's pc");
  io_byte(io, io->reading, &a->kind, K_STATE, "a try scope's thread kind");
  io_u32(io, io->reading, &a->step, UINT32_MAX, "a try scope's step");
  if (!io->reading || io->bad) return;
  BptInsn in;
  if (!bpt_decode(io->b->b.code + io->p->code_offset, io->p->code_size, a->try_pc, &in) ||
      in.op != BPT_OP_TRY || in.arg[0] != a->group)
    bad(io, "a try scope whose pc is not its TRY");
}

static void io_act(Io *io, void *rec) {
  RtAct *a = rec;
  io_u32(io, io->reading, &a->id, UINT32_MAX, "an activation id");
  io_u32(io, io->reading, &a->parent, UINT32_MAX, "an activation's parent");
  io_u16(io, io->reading, &a->group, io->reading ? (uint16_t)(io->p->ngroups ? io->p->ngroups - 1u : 0) : UINT16_MAX, "a fork group");
  io_byte(io, io->reading, &a->race, RT_ACT_TRY, "a fork's race flag");
  io_u16(io, io->reading, &a->arrived, UINT16_MAX, "an arrival count");
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
  io_u32(io, io->reading, &who->item, UINT32_MAX, "an item id");
  io_byte(io, io->reading, &who->act, P_DONE, "a person's act");
  io_u32(io, io->reading, &who->order, UINT32_MAX, "the order of an act");
  io_int(io, io->reading, &who->at, INT64_MIN, INT64_MAX, "the time of an act");
  if (!io_value(io, &who->comment, 0)) return;
  if (io->reading && who->comment.type != BPT_T_VOID && who->comment.type != BPT_T_STRING)
    bad(io, "a comment that is not text");
}

static void io_step(Io *io, void *rec) {
  RtStep *st = rec;
  const BptProcess *p = io->p;
  io_u32(io, io->reading, &st->id, UINT32_MAX, "a step id");
  if (io->reading && !p->nsteps) {
    bad(io, "a step in a process without steps");
    return;
  }
  io_u16(io, io->reading, &st->t, io->reading ? (uint16_t)(p->nsteps - 1u) : UINT16_MAX, "a step descriptor");
  io_u32(io, io->reading, &st->thread, UINT32_MAX, "a step's thread");
  if (!io_value(io, &st->title, 0)) return;
  if (io->reading && st->title.type != BPT_T_STRING) {
    bad(io, "a step's title is not text");
    return;
  }
  io_int(io, io->reading, &st->percent, 0, 100, "a vote percentage");
  io_opt_time(io, io->reading, &st->due, "a step's due time");
  io_u32(io, io->reading, &st->acted, UINT32_MAX, "a count of acts");
  io_byte(io, io->reading, &st->flags, S_IN_TIMEOUT | S_HANDLED | S_OVERDUE, "a step's flags");
  if (!io_value(io, &st->offsets, 0)) return;
  io_u64(io, io->reading, &st->fired, "the reminders that ran");
  io_u32(io, io->reading, &st->timeouts_left, UINT32_MAX, "the `on timeout` runs left"); /* format 3 */
  io_vec(io, io->reading, &st->people, sizeof(RtPerson), "the people count", io_person);
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
  io_int(io, io->reading, &t->at, INT64_MIN, INT64_MAX, "a timer's time");
  io_u32(io, io->reading, &t->seq, UINT32_MAX, "a timer's order");
  io_u32(io, io->reading, &t->ref, UINT32_MAX, "a timer's thread or step");
  io_u16(io, io->reading, &t->index, UINT8_MAX - 1, "a reminder or `after` index");
  io_byte(io, io->reading, &t->kind, TM_AFTER, "a timer's kind");
  io_int(io, io->reading, &t->every, 0, INT64_MAX, "an `after` handler's period"); /* format 2 */
  io_u32(io, io->reading, &t->left, UINT32_MAX, "an `after` handler's runs left");
  if (io->reading && !io->bad && t->kind == TM_REMIND && t->index >= MAX_REMINDS) bad(io, "a reminder index out of range");
  if (io->reading && !io->bad && t->kind != TM_REMIND && t->kind != TM_AFTER && t->index != 0)
    bad(io, "a reminder index on another timer");
  if (io->reading && !io->bad && t->kind != TM_AFTER && (t->every || t->left)) bad(io, "a period on a timer that does not repeat");
}

static void io_call(Io *io, void *rec) {
  RtCall *c = rec;
  const BptBundle *bb = io->reading ? &io->b->b : NULL;
  io_u32(io, io->reading, &c->id, UINT32_MAX, "a call id");
  io_u32(io, io->reading, &c->thread, UINT32_MAX, "a call's thread");
  if (io->reading && !bb->nactions) {
    bad(io, "a call in a bundle without actions");
    return;
  }
  io_u16(io, io->reading, &c->action, bb ? (uint16_t)(bb->nactions - 1u) : UINT16_MAX, "an action");
  io_u16(io, io->reading, &c->slot, UINT16_MAX, "a call's result slot");
  if (!io_value(io, &c->args, 0) || !io->reading) return;
  const BptAction *a = &bb->actions[c->action];
  if (!rt_is_list(c->args.type) || c->args.u.l->n != a->nparams)
    bad(io, "a call's arguments do not match its action");
  else if (c->slot != BPT_NONE16 && c->slot >= io->p->nslots)
    bad(io, "a call's result slot is out of range");
}

/* A slot or field value must be of its declared type (or nothing, for slots); a for
 * loop's hidden slots hold what the loop put there. */
static inline bool fits_declared(Value v, uint8_t declared, int slot_kind) {
  if (slot_kind == BPT_SLOT_HIDDEN) return true;
  if (v.type == BPT_T_VOID) return slot_kind >= 0;
  if (v.type == declared) return true;
  return rt_is_list(v.type) && rt_is_list(declared) && v.u.l->n == 0;
}

/* The whole state. The document's fields travel with it (fields, nfields). */
static bool io_state(Io *io, RtState *s, Value *fields, uint16_t nfields) {
  const BptProcess *p = io->p;
  uint8_t status = s->status;
  status = (uint8_t)io_uint(io, io->reading, status, ST_FAILED, "the status");
  uint32_t state = s->state == BPT_NONE16 ? 0 : s->state + 1u;
  io_u32(io, io->reading, &state, p->nstates, "the state");
  if (io->reading) {
    s->status = status;
    s->state = state == 0 ? BPT_NONE16 : (uint16_t)(state - 1);
  }
  io_u32(io, io->reading, &s->next_id, UINT32_MAX - 1, "the next id");
  io_int(io, io->reading, &s->clock, INT64_MIN, INT64_MAX, "the clock");
  if (!io_value(io, &s->message, 0)) return false;
  if (io->reading && s->message.type != BPT_T_VOID && s->message.type != BPT_T_STRING)
    return bad(io, "the message is not text");
  if (io_uint(io, io->reading, nfields, UINT16_MAX, "the field count") != nfields && !io->bad)
    return bad(io, "the document has another number of fields");
  const BptDoctype *dt = p->doctype == BPT_NONE16 ? NULL : &io->b->b.doctypes[p->doctype];
  for (uint16_t i = 0; i < nfields; i++) {
    if (!io_value(io, &fields[i], 0)) return false;
    if (io->reading && !fits_declared(fields[i], dt->fields[i].type, -1)) return bad(io, "a document field of the wrong type");
  }
  if (io_uint(io, io->reading, s->nslots, UINT16_MAX, "the slot count") != s->nslots && !io->bad)
    return bad(io, "the process has another number of slots");
  for (uint16_t i = 0; i < s->nslots; i++) {
    if (!io_value(io, &s->slots[i], 0)) return false;
    if (io->reading && !fits_declared(s->slots[i], p->slots[i].type, p->slots[i].kind)) return bad(io, "a slot of the wrong type");
  }
  io_vec(io, io->reading, &s->threads, sizeof(RtThread), "the thread count", io_thread);
  io_vec(io, io->reading, &s->acts, sizeof(RtAct), "the activation count", io_act);
  io_vec(io, io->reading, &s->steps, sizeof(RtStep), "the step count", io_step);
  io_vec(io, io->reading, &s->timers, sizeof(RtTimer), "the timer count", io_timer);
  io_vec(io, io->reading, &s->calls, sizeof(RtCall), "the call count", io_call);
  return !io->bad;
}

/* ---- what ties the records together ------------------------------------------------------- */

/* Up to SMALL ids, counts or places are checked in arrays on the stack, more in the heap. */
enum { SMALL = 32 };

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

/* rt_sort, by insertion for up to SMALL items (at most SMALL * SMALL / 2 comparisons; the
 * usual few ids come nearly in order, and a heap sort's set-up costs more than sorting them). */
static void sort_few(uint32_t *a, uint32_t n, RtCompare *cmp, const void *ctx) {
  if (n > SMALL) {
    rt_sort(a, n, cmp, ctx);
    return;
  }
  for (uint32_t i = 1; i < n; i++) {
    uint32_t x = a[i], j = i;
    for (; j > 0 && cmp(ctx, a[j - 1], x) > 0; j--) a[j] = a[j - 1];
    a[j] = x;
  }
}

/* Every id (threads, activations, steps, calls, open items) was given once. */
static bool ids_unique(Io *io, const RtState *s) {
  size_t n = (size_t)s->threads.n + s->acts.n + s->steps.n + s->calls.n;
  for (uint32_t i = 0; i < s->steps.n; i++) n += RT_AT(s->steps, RtStep, i)->people.n;
  if (n > UINT32_MAX) return bad(io, "too many ids");
  uint32_t small[SMALL];
  uint32_t *ids = n <= SMALL ? small : rt_alloc(io->rt, n * sizeof *ids);
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
  /* Ids rising as gathered (a waiting instance's thread, then its step and items, as they
   * were made: mostly) are unique without a sort; else sorted, then compared in turn. */
  bool rising = true;
  for (uint32_t i = 1; i < k && rising; i++) rising = ids[i - 1] < ids[i];
  bool ok = k == 0 || ids[k - 1] <= s->next_id; /* rising: the last is the largest */
  if (!rising) {
    sort_few(ids, k, cmp_ids, NULL);
    ok = true;
    for (uint32_t i = 0; i < k && ok; i++)
      ok = ids[i] <= s->next_id && (i == 0 || ids[i] != ids[i - 1]);
  }
  if (ids != small) rt_dealloc(io->rt, ids, n * sizeof *ids);
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
static bool people_consistent(Io *io, RtStep *st) {
  uint32_t n = st->people.n, acted = 0, approved = 0, rejected = 0;
  for (uint32_t k = 0; k < n; k++) {
    const RtPerson *who = RT_AT(st->people, RtPerson, k);
    if (who->act == P_NONE ? who->order != 0 : who->item != 0 || who->order == 0 || who->order > st->acted)
      return bad(io, "a person's act does not fit the step's count of acts");
    acted += who->act != P_NONE;
    approved += who->act == P_APPROVED;
    rejected += who->act == P_REJECTED;
  }
  if (acted != st->acted) return bad(io, "a step counts %u acts where its people made %u", st->acted, acted);
  /* The counts of acts are not saved: counted here, in the pass that checks the people. */
  st->approved = approved, st->rejected = rejected, st->done = acted - approved - rejected;
  /* One person (the usual approval): named once, and one who acted did so first (order 1:
   * the test above, with acted 1); the sorts below find nothing more. */
  if (n < 2) return true;
  size_t bytes = (n ? n : 1) * sizeof(uint32_t);
  uint32_t small[SMALL];
  uint32_t *order = n <= SMALL ? small : rt_alloc(io->rt, bytes);
  if (!order) return out_of_memory(io);
  for (uint32_t k = 0; k < n; k++) order[k] = k;
  sort_few(order, n, cmp_people, st);
  bool ok = true;
  for (uint32_t k = 1; k < n && ok; k++) ok = cmp_people(st, order[k - 1], order[k]) != 0;
  /* The orders of the acts: one each, 1..acted (the same array, now by order). */
  for (uint32_t k = 0, j = 0; k < n && ok; k++) {
    const RtPerson *who = RT_AT(st->people, RtPerson, k);
    if (who->act != P_NONE) order[j++] = who->order;
  }
  if (ok) sort_few(order, acted, cmp_ids, NULL);
  for (uint32_t k = 0; k < acted && ok; k++) ok = order[k] == k + 1;
  if (order != small) rt_dealloc(io->rt, order, bytes);
  return ok || bad(io, "a person named twice on a step, or two acts at one place of its order");
}

/* What ties the records together. READ_IDS: the ids were read by version 4's io_id, so
 * those of a kind rise and are not 0, and Io.id_max and ids_mixed say whether all rose
 * as read. */
static bool check_state(Io *io, const RtProc *rp, RtState *s, bool read_ids) {
  const BptProcess *p = io->p;
  if (s->status != ST_WAITING && (s->threads.n || s->steps.n || s->timers.n || s->calls.n || s->acts.n))
    return bad(io, "an ended instance that still waits");
  if (read_ids) {
    if (io->ids_mixed ? !ids_unique(io, s) : io->id_max > s->next_id) return bad(io, "an id given twice, or beyond the next id");
  } else if (!ids_rise(io, &s->threads, sizeof(RtThread), s->next_id, "thread") ||
             !ids_rise(io, &s->acts, sizeof(RtAct), s->next_id, "activation") ||
             !ids_rise(io, &s->steps, sizeof(RtStep), s->next_id, "step") ||
             !ids_rise(io, &s->calls, sizeof(RtCall), s->next_id, "call") || !ids_unique(io, s)) {
    return false;
  }
  /* What each thread waits for: counted here (0, 1, or 2 for two and more: WAITED), and
   * each must wait for exactly one thing. A byte each: SMALL of them are cleared by two
   * stores (rt_alloc clears more). */
  size_t wbytes = s->threads.n ? s->threads.n : 1;
  uint8_t small[SMALL] = {0};
  uint8_t *waits = s->threads.n <= SMALL ? small : rt_alloc(io->rt, wbytes);
  if (!waits) return out_of_memory(io);
#define WAITED(t) (waits[(t) - (RtThread *)s->threads.v] = (uint8_t)(1 + (waits[(t) - (RtThread *)s->threads.v] != 0)))
  for (uint32_t i = 0; i < s->acts.n && !io->bad; i++) {
    const RtAct *a = RT_AT(s->acts, RtAct, i);
    if (a->parent >= a->id || (a->parent && !find_act(&s->acts, a->parent))) bad(io, "a fork activation that cannot be");
  }
  for (uint32_t i = 0; i < s->steps.n && !io->bad; i++) {
    RtStep *st = RT_AT(s->steps, RtStep, i);
    RtThread *t = find_thread(&s->threads, st->thread);
    if (!t || t->wait != W_STEP) bad(io, "a step nobody waits for");
    else if (people_consistent(io, st)) {
      WAITED(t);
      /* The index is not saved either; a step of fewer people than RT_INDEX_MIN has none
       * (the record read is zeroed: no index to free), so the call is for large steps only. */
      if (st->people.n >= RT_INDEX_MIN) rt_people_index(io->rt, st);
    }
  }
  for (uint32_t i = 0; i < s->timers.n && !io->bad; i++) {
    const RtTimer *tm = RT_AT(s->timers, RtTimer, i);
    if (tm->kind == TM_WAIT) {
      RtThread *t = find_thread(&s->threads, tm->ref);
      if (!t || t->wait != W_TIMER) bad(io, "a timer for a thread that does not wait for it");
      else WAITED(t);
      continue;
    }
    const RtStep *st = find_step(&s->steps, tm->ref);
    if (!st) bad(io, "a timer of a step that is not there");
    else if (tm->kind == TM_AFTER) {
      if (tm->index >= p->steps[st->t].nafters) bad(io, "an `after` handler that is not there");
    } else if (tm->kind == TM_REMIND) {
      /* Its step may have no due time any more: a reminder not before the due time
       * (`remind 0 minutes before`, or a duration worked out to less than zero) still
       * waits after the due time passed and its timeout took that time away (rt_step.c's
       * fire); it runs all the same, as it would have without the save. */
      if (tm->index >= p->steps[st->t].nreminds) bad(io, "a reminder that is not there");
    } else if (st->due == RT_NO_TIME) bad(io, "a timer of a step that has no due time");
  }
  for (uint32_t i = 0; i < s->calls.n && !io->bad; i++) {
    const RtCall *c = RT_AT(s->calls, RtCall, i);
    RtThread *t = find_thread(&s->threads, c->thread);
    if (!t || t->wait != W_CALL) bad(io, "a call nobody waits for");
    else WAITED(t);
  }
#undef WAITED
  /* Each thread, in one pass: where it rests, what it belongs to, and what it waits for
   * (a message it waits for is counted here). */
  for (uint32_t i = 0; i < s->threads.n && !io->bad; i++) {
    const RtThread *t = RT_AT(s->threads, RtThread, i);
    unsigned w = waits[i] + (t->wait == W_MESSAGE);
    if (!rt_resume_point(rp, t->pc, p->code_size)) bad(io, "a thread rests where no thread can wait");
    else if (t->act && !find_act(&s->acts, t->act)) bad(io, "a thread of a fork activation that is not there");
    else if ((t->kind == K_REMIND || t->kind == K_TIMEOUT) && !find_step(&s->steps, t->step))
      bad(io, "a handler of a step that is not there");
    else if (t->wait == W_MESSAGE && rt_receive_pc(io->b, p, t) == BPT_NO_PC)
      bad(io, "a thread waits for a message where there is no RECEIVE");
    else if (w != 1) bad(io, "a thread that waits for %s", w ? "two things at once" : "nothing");
  }
  if (waits != small) rt_dealloc(io->rt, waits, wbytes);
  return !io->bad;
}

/* ---- version 4: what differs from the bundle's defaults ------------------------------------ */

/* The bundle's string constants: by address (a string of the state that is a constant is
 * saved as its index) and by first byte (the pieces a title is made of). Made at load. */
struct RtSaveIndex {
  /* The STRING and USER constants by a hash of their text's address (each constant has a
   * text of its own: make_consts, rt_api.c): 1 << bits places, each the constant's index
   * + 1 or 0 (empty), at least half of them empty. Saving asks it of the immortal texts it
   * writes (const_index). */
  uint32_t *by_hash;
  unsigned bits;
  uint32_t *next;       /* per constant: the next constant of MIN_PIECE bytes or more with its first byte */
  uint32_t first[256];  /* per byte: the first such constant (BPT_NO_PC: none) */
  bool crc_insn;        /* the CPU has an instruction for the saved states' CRC-32C (asked once) */
};

static inline bool is_text_type(uint8_t t) { return t == BPT_T_STRING || t == BPT_T_USER; }

/* A place among 1 << bits for the text at s: its address by a Fibonacci multiply. */
static inline uint32_t address_hash(const RtStr *s, unsigned bits) {
  return (uint32_t)(((uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

bool rt_save_index_new(BpBundle *b) {
  BpRuntime *rt = b->rt;
  uint32_t n = b->b.nconsts;
  RtSaveIndex *ix = rt_alloc(rt, sizeof *ix);
  if (!ix) return false;
  b->save = ix;
  uint32_t ntexts = 0;
  for (uint32_t k = 0; k < n; k++) ntexts += is_text_type(b->consts[k].type);
  ix->bits = 1;
  while (((size_t)1 << ix->bits) < 2 * (size_t)ntexts) ix->bits++;
  uint32_t mask = ((uint32_t)1 << ix->bits) - 1;
  ix->by_hash = rt_alloc(rt, ((size_t)mask + 1) * sizeof(uint32_t)); /* cleared: all empty */
  ix->next = rt_alloc(rt, (n ? n : 1) * sizeof(uint32_t));
  if (!ix->by_hash || !ix->next) return false;
  for (int c = 0; c < 256; c++) ix->first[c] = BPT_NO_PC;
  ix->crc_insn = bpt_crc32c_insn();
  for (uint32_t k = n; k-- > 0;) {
    if (!is_text_type(b->consts[k].type)) continue;
    uint32_t at = address_hash(b->consts[k].u.s, ix->bits);
    while (ix->by_hash[at]) at = (at + 1) & mask;
    ix->by_hash[at] = k + 1;
    const RtStr *str = b->consts[k].u.s;
    if (str->len < MIN_PIECE) continue;
    uint8_t c = (uint8_t)str->s[0];
    ix->next[k] = ix->first[c];
    ix->first[c] = k;
  }
  return true;
}

void rt_save_index_free(BpBundle *b) {
  RtSaveIndex *ix = b->save;
  if (!ix) return;
  uint32_t n = b->b.nconsts ? b->b.nconsts : 1;
  rt_dealloc(b->rt, ix->next, n * sizeof(uint32_t));
  if (ix->by_hash) rt_dealloc(b->rt, ix->by_hash, ((size_t)1 << ix->bits) * sizeof(uint32_t));
  rt_dealloc(b->rt, ix, sizeof *ix);
  b->save = NULL;
}

/* The index of the constant whose text is s, if it is one. */
static bool const_index(const BpBundle *b, const RtStr *s, uint32_t *k) {
  const RtSaveIndex *ix = b->save;
  uint32_t mask = ((uint32_t)1 << ix->bits) - 1;
  for (uint32_t at = address_hash(s, ix->bits); ix->by_hash[at]; at = (at + 1) & mask)
    if (b->consts[ix->by_hash[at] - 1].u.s == s) return *k = ix->by_hash[at] - 1, true;
  return false;
}

/* ---- restoring into the document's allocation ---------------------------------------------- */

/* Restoring without the host's document reads the texts, lists and records the state
 * holds into the region of the instance's block in the document's allocation (Io.room,
 * region_guess), immortal: a text of at most ROOM_TEXT_MAX bytes, a list or record of at
 * most ROOM_ITEMS items, while there is room. What does not fit is allocated as before. So
 * the usual state is restored with one allocation, not one per text and list, and freeing
 * the instance visits none of them. */
enum { ROOM_TEXT_MAX = 256, ROOM_ITEMS = 16 };

/* A new text read: in the room when it fits, else allocated (false: out of memory). */
SHORT_PATH bool new_text(Io *io, const char *s, size_t len, uint8_t type, Value *out) {
  if (len <= ROOM_TEXT_MAX && rt_room_text(&io->room, s, len, type, out)) return true;
  return rt_str_new(io->rt, s, len, type, out);
}

/* A list or record of type `type` of the n values read into ITEMS (their references
 * taken over): in the room when they are all uncounted and it fits, else allocated
 * (false: out of memory, the items still the caller's). */
SHORT_PATH bool new_items(Io *io, uint8_t type, const Value *items, uint32_t n, Value *out) {
  bool all = true;
  for (uint32_t i = 0; i < n && all; i++) all = rt_uncounted(items[i]);
  void *p = all ? rt_room_take(&io->room, sizeof(RtList) + (size_t)n * sizeof(Value)) : NULL;
  Value *to;
  if (rt_is_record(type)) {
    RtRec *r = p;
    if (r) r->ref = RT_IMMORTAL, r->n = n, *out = (Value){.type = type, .u.r = r};
    else if (!rt_rec_new(io->rt, type, n, out)) return false;
    to = out->u.r->m;
  } else {
    RtList *l = p;
    if (l) l->ref = RT_IMMORTAL, l->n = n, *out = (Value){.type = type, .u.l = l};
    else if (!rt_list_new(io->rt, type, n, out)) return false;
    to = out->u.l->items;
  }
  for (uint32_t i = 0; i < n; i++) to[i] = items[i];
  return true;
}
_Static_assert(sizeof(RtList) == sizeof(RtRec), "a record takes the room a list of as many items does");

/* A new list of n scalars of type `type` (a step's reminders), zeroed, for the caller to
 * read into: in the room when it fits, else allocated. */
static bool new_scalars(Io *io, uint8_t type, uint32_t n, Value *out) {
  RtList *l = rt_room_take(&io->room, sizeof *l + (size_t)n * sizeof(Value));
  if (!l) return rt_list_new(io->rt, type, n, out);
  l->ref = RT_IMMORTAL;
  l->n = n;
  memset(l->items, 0, (size_t)n * sizeof(Value));
  *out = (Value){.type = type, .u.l = l};
  return true;
}

/* Where the stage's records went: they were at FROM (SIZE bytes), they are at TO. */
typedef struct Moved {
  uintptr_t from;
  size_t size;
  char *to;
} Moved;

/* ---- strings: inline, a constant, a string of the state, or (titles) pieces of these ---- */

enum { STR_INLINE, STR_CONST, STR_SEEN, STR_PIECES };
typedef struct Piece {
  uint8_t kind;       /* STR_INLINE, STR_CONST, STR_SEEN */
  uint32_t index;     /* STR_CONST, STR_SEEN */
  uint32_t from, len; /* the bytes of the title it stands for */
} Piece;

static inline void remember(Io *io, RtStr *s) {
  if (io->nseen == MAX_SEEN) return;
  if (s->len >= MIN_PIECE) io->pieces[io->npieces++] = (uint8_t)io->nseen;
  io->seen[io->nseen++] = s;
}

/* The next piece x of a split: stored at pc[*n] (at most MAX_PIECES), or, when checking
 * (split_in), compared with the piece pc[*n] read (at most `given` of them). */
SHORT_PATH bool add_piece(Piece *pc, uint32_t *n, Piece x, const bool check, uint32_t given) {
  if (check) {
    const Piece *y = &pc[*n];
    if (*n == given || y->kind != x.kind || y->index != x.index || y->from != x.from || y->len != x.len) return false;
    (*n)++;
    return true;
  }
  if (*n == MAX_PIECES) return false;
  pc[(*n)++] = x;
  return true;
}

/* Whether the n bytes at a and b are the same, for a piece and the title at a place: up to
 * 16 bytes by two loads each that may overlap (8, 4 or 2 bytes), longer by memcmp. Both
 * have n bytes there; most candidates are short names and constants, for which a call of
 * memcmp costs more than the comparison. */
SHORT_PATH bool same_bytes(const char *a, const char *b, uint32_t n) {
  if (n > 16) return memcmp(a, b, n) == 0;
  uint64_t x0, x1, y0, y1;
  if (n >= 8) {
    memcpy(&x0, a, 8), memcpy(&x1, a + n - 8, 8), memcpy(&y0, b, 8), memcpy(&y1, b + n - 8, 8);
  } else if (n >= 4) {
    uint32_t p0, p1, q0, q1;
    memcpy(&p0, a, 4), memcpy(&p1, a + n - 4, 4), memcpy(&q0, b, 4), memcpy(&q1, b + n - 4, 4);
    x0 = p0, x1 = p1, y0 = q0, y1 = q1;
  } else if (n >= 2) {
    uint16_t p0, p1, q0, q1;
    memcpy(&p0, a, 2), memcpy(&p1, a + n - 2, 2), memcpy(&q0, b, 2), memcpy(&q1, b + n - 2, 2);
    x0 = p0, x1 = p1, y0 = q0, y1 = q1;
  } else {
    x0 = x1 = n ? (uint8_t)a[0] : 0, y0 = y1 = n ? (uint8_t)b[0] : 0;
  }
  return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}

/* A title as pieces: from its start, the longest constant or earlier string of the state
 * (of MIN_PIECE bytes or more) found there, or else one byte more of inline text. Ties go
 * to the state's strings, then to the lower index. Returns the count, or 0 when the title
 * is too long to split or makes too many pieces: it is then written inline. Saving and
 * restoring split alike (restoring checks that the pieces it read are these). */
SHORT_PATH uint32_t split_in(const Io *io, const char *s, uint32_t len, Piece *pc, const bool check, uint32_t given) {
  if (len > MAX_PIECED) return 0;
  const RtSaveIndex *ix = io->b->save;
  const Value *consts = io->b->consts;
  uint32_t n = 0, lit = 0, i = 0;
  while (i < len) {
    uint8_t c = (uint8_t)s[i];
    uint32_t room = len - i, best = 0, index = 0; /* best: the longest piece's length so far */
    uint8_t kind = STR_INLINE;
    for (uint32_t q = 0; q < io->npieces; q++) { /* the seen strings long enough, in their order */
      uint32_t j = io->pieces[q];
      const RtStr *t = io->seen[j];
      if ((uint8_t)t->s[0] == c && t->len > best && t->len <= room && same_bytes(t->s, s + i, t->len))
        best = t->len, kind = STR_SEEN, index = j;
    }
    for (uint32_t k = ix->first[c]; k != BPT_NO_PC; k = ix->next[k]) {
      const RtStr *t = consts[k].u.s;
      if (t->len > best && t->len <= room && same_bytes(t->s, s + i, t->len)) best = t->len, kind = STR_CONST, index = k;
    }
    if (!best) {
      i++;
      continue;
    }
    if (lit < i && !add_piece(pc, &n, (Piece){STR_INLINE, 0, lit, i - lit}, check, given)) return 0;
    if (!add_piece(pc, &n, (Piece){kind, index, i, best}, check, given)) return 0;
    i += best;
    lit = i;
  }
  if (lit < len && !add_piece(pc, &n, (Piece){STR_INLINE, 0, lit, len - lit}, check, given)) return 0;
  return n;
}

static uint32_t split_title(const Io *io, const char *s, uint32_t len, Piece *pc) { return split_in(io, s, len, pc, false, 0); }

/* Whether title s splits into the n pieces pc (2 to MAX_PIECES, as read), exactly: the
 * split is made and compared piece by piece, and stops at the first that differs. */
static bool split_is(const Io *io, const char *s, uint32_t len, const Piece *pc, uint32_t n) {
  return split_in(io, s, len, (Piece *)pc, true, n) == n;
}

static void put_piece(Io *io, const char *s, Piece x) {
  if (x.kind == STR_INLINE) {
    put_uv(io, (uint64_t)x.len << 2 | STR_INLINE);
    put_bytes(io, s + x.from, x.len);
  } else {
    put_uv(io, (uint64_t)x.index << 2 | x.kind);
  }
}

/* Writes title s in pieces when it splits into two or more (else writes nothing). Not
 * inline: put_string's other strings need not set up room for the pieces. */
static __attribute__((noinline)) bool put_pieces(Io *io, const RtStr *s) {
  Piece pc[MAX_PIECES];
  uint32_t n = split_title(io, s->s, s->len, pc);
  if (n < 2) return false;
  put_uv(io, (uint64_t)(n - 2) << 2 | STR_PIECES);
  for (uint32_t i = 0; i < n; i++) put_piece(io, s->s, pc[i]);
  return true;
}

/* A string's bit in Io.seen_bits, from its address (past the 3 low bits, which the
 * alignment of where strings are placed mostly leaves 0). */
static inline uint64_t seen_bit(const RtStr *s) { return (uint64_t)1 << ((uintptr_t)s >> 3 & 63u); }

/* An empty text, not met before as this object, is written as the first empty one seen
 * (Io.empty_seen), whichever object that was, else inline. The bundle's empty text
 * (rt_empty_text: a comment not given, a variable's first value) is one object that every
 * instance shares, but an empty text read inline is a new one: were they told apart by
 * address, a state saved after a restore would write an empty text inline where the same
 * run without the restore names the earlier one as a seen string, and the bytes would
 * differ. The reader is unchanged: it takes string j as it is. Not inline: put_string's
 * other strings need not pay for it. */
static __attribute__((noinline)) void put_empty(Io *io, RtStr *s) {
  if (io->empty_seen) {
    put_uv(io, (uint64_t)(io->empty_seen - 1u) << 2 | STR_SEEN);
    return;
  }
  if (io->nseen < MAX_SEEN) io->empty_seen = (uint8_t)(io->nseen + 1u);
  put_uv(io, STR_INLINE); /* (no bytes: a length of 0) */
  remember(io, s);
  io->seen_bits |= seen_bit(s);
}

/* Writes string s: uv h, then by h & 3 — STR_INLINE: h >> 2 bytes of text; STR_CONST: the
 * bundle's constant h >> 2 (s is that constant); STR_SEEN: the state's string h >> 2 (s is
 * that very string, met before, or, when empty, any empty one: put_empty); STR_PIECES
 * (titles): (h >> 2) + 2 pieces, each written as one of the other three. */
SHORT_PATH void put_string(Io *io, RtStr *s, bool title) {
  uint32_t k;
  if (s->ref == RT_IMMORTAL && (uintptr_t)s - io->own >= io->own_size && const_index(io->b, s, &k)) {
    put_uv(io, (uint64_t)k << 2 | STR_CONST);
    return;
  }
  uint64_t bit = seen_bit(s);
  if (io->seen_bits & bit) /* else s is not among them: most strings, written once */
    for (uint32_t j = 0; j < io->nseen; j++)
      if (io->seen[j] == s) {
        put_uv(io, (uint64_t)j << 2 | STR_SEEN);
        return;
      }
  if (!title || !put_pieces(io, s)) { /* (an empty title is not split) */
    if (s->len == 0) {
      put_empty(io, s);
      return;
    }
    put_uv(io, (uint64_t)s->len << 2 | STR_INLINE);
    put_bytes(io, s->s, s->len);
  }
  remember(io, s);
  io->seen_bits |= bit; /* (also when seen is full: a bit too many costs only a search) */
}

/* Inline text of len bytes at io->at, checked; not consumed. */
static inline bool text_here(Io *io, uint64_t len) {
  if (len > io_left(io)) return bad(io, "a text of %llu bytes where %zu are left", (unsigned long long)len, io_left(io));
  if (len > BP_MAX_STRING) return bad(io, "a text of %llu bytes, more than BP_MAX_STRING", (unsigned long long)len);
  if (!rt_text_valid((const char *)io->at, (size_t)len)) return bad(io, "text that is not UTF-8");
  return true;
}

/* A piece of a title as read (not inline: a constant or a seen string, which it must be). */
SHORT_PATH const RtStr *piece_text(Io *io, uint8_t kind, uint64_t index) {
  if (kind == STR_CONST) {
    if (index >= io->b->b.nconsts || !is_text_type(io->b->consts[index].type))
      return bad(io, "a string names constant %llu, which is no text", (unsigned long long)index), NULL;
    return io->b->consts[index].u.s;
  }
  if (index >= io->nseen) return bad(io, "a string names string %llu of the state, which is not there", (unsigned long long)index), NULL;
  return io->seen[index];
}

/* A title in pieces, read: the text put together, then checked to be split so. It is put
 * together where new_text would place it, in the room's next place, when it would go there
 * (at most ROOM_TEXT_MAX bytes, and they fit): then only that place is taken, and the text
 * is not copied again. A longer one is put together on the stack (moved there when it
 * outgrows the room's place), and new_text allocates it. Nothing is taken from the room
 * until the text is checked, and the room's places past it are not read before they are
 * taken (rt_room_take), so writing there first is harmless. */
static __attribute__((noinline)) bool get_pieces(Io *io, uint64_t n, uint8_t type, Value *v) {
  if (n > MAX_PIECES) return bad(io, "a title of %llu pieces", (unsigned long long)n);
  char stacked[MAX_PIECED];
  Piece pc[MAX_PIECES];
  uint32_t len = 0;
  size_t fits = io->room.left > sizeof(RtStr) ? io->room.left - sizeof(RtStr) - 1 : 0; /* new_text's rule */
  if (fits > ROOM_TEXT_MAX) fits = ROOM_TEXT_MAX;
  RtStr *placed = fits ? (RtStr *)io->room.at : NULL;
  char *text = placed ? placed->s : stacked;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t h = get_uv(io);
    if (io->bad) return false;
    uint8_t kind = h & 3;
    const char *from;
    uint64_t plen;
    if (kind == STR_PIECES) return bad(io, "pieces within pieces");
    if (kind == STR_INLINE) {
      plen = h >> 2;
      if (!text_here(io, plen)) return false;
      from = (const char *)io->at;
    } else {
      const RtStr *t = piece_text(io, kind, h >> 2);
      if (!t) return false;
      from = t->s;
      plen = t->len;
    }
    if (plen == 0 || plen > MAX_PIECED - len) return bad(io, "a title's pieces are empty or too long");
    if (placed && len + plen > fits) { /* too long for the room: on the stack from here on */
      memcpy(stacked, text, len);
      text = stacked, placed = NULL;
    }
    rt_copy_text(text + len, from, (size_t)plen);
    pc[i] = (Piece){kind, kind == STR_INLINE ? 0 : (uint32_t)(h >> 2), len, (uint32_t)plen};
    len += (uint32_t)plen;
    if (kind == STR_INLINE) io->at += plen;
  }
  /* Each piece is UTF-8 (an inline one was checked, constants by the loader, the state's
   * strings when read), and so is what they make together. */
  if (!split_is(io, text, len, pc, (uint32_t)n)) return bad(io, "a title in other pieces than saving makes");
  Value made;
  if (placed) { /* as rt_room_text places it, without the copy */
    rt_room_take(&io->room, sizeof *placed + len + 1);
    placed->ref = RT_IMMORTAL;
    placed->len = len;
    placed->s[len] = '\0';
    made = (Value){.type = type, .u.s = placed};
  } else if (!new_text(io, text, len, type, &made)) {
    return out_of_memory(io);
  }
  *v = made;
  remember(io, made.u.s);
  return true;
}

/* Whether the len bytes of text at io->at, a title read inline, split into pieces (then
 * saving would have written them so). Not inline: only titles ask. */
static __attribute__((noinline)) bool splits(Io *io, uint64_t len) {
  Piece pc[MAX_PIECES];
  return split_title(io, (const char *)io->at, (uint32_t)len, pc) >= 2;
}

/* Reads a string of type `type` into *v (which is left VOID unless whole). Inline always
 * (a call's entry and exit cost as much as reading a short text); titles in pieces and
 * their check are calls of their own. */
SHORT_PATH bool get_string(Io *io, uint8_t type, bool title, Value *v) {
  uint64_t h = get_uv(io);
  if (io->bad) return false;
  uint8_t kind = h & 3;
  if (kind == STR_PIECES) return title ? get_pieces(io, (h >> 2) + 2, type, v) : bad(io, "a string in pieces that is no title");
  if (kind != STR_INLINE) {
    const RtStr *t = piece_text(io, kind, h >> 2);
    if (!t) return false;
    *v = (Value){.type = type, .u.s = (RtStr *)t};
    rt_ref(*v); /* a constant is immortal: nothing counted */
    return true;
  }
  uint64_t len = h >> 2;
  if (!text_here(io, len)) return false;
  if (title && splits(io, len)) return bad(io, "a title inline that saving writes in pieces");
  Value made;
  if (!new_text(io, (const char *)io->at, (size_t)len, type, &made)) return out_of_memory(io);
  io->at += len;
  *v = made;
  remember(io, made.u.s);
  return true;
}

SHORT_PATH bool io_string(Io *io, const bool rd, Value *v, uint8_t type, bool title) {
  if (rd) return get_string(io, type, title, v);
  put_string(io, v->u.s, title);
  return !io->bad;
}

/* ---- values: of a known type, or tagged ------------------------------------------------- */

/* Each record and value function serves both directions: written once as NAME_in, which
 * takes the direction as a constant (rd), and made twice, NAME_r for reading and NAME_w
 * for writing, so that neither direction tests which it is at every field. */
static bool v4_tagged_r(Io *io, Value *v, int depth);
static bool v4_tagged_w(Io *io, Value *v, int depth);
static bool v4_value_r(Io *io, Value *v, uint8_t type, int depth);
static bool v4_value_w(Io *io, Value *v, uint8_t type, int depth);
SHORT_PATH bool v4_tagged(Io *io, Value *v, int depth, const bool rd) {
  return rd ? v4_tagged_r(io, v, depth) : v4_tagged_w(io, v, depth);
}
SHORT_PATH bool v4_value(Io *io, Value *v, uint8_t type, int depth, const bool rd) {
  return rd ? v4_value_r(io, v, type, depth) : v4_value_w(io, v, type, depth);
}
SHORT_PATH bool v4_value_short(Io *io, const bool rd, Value *v, uint8_t type, int depth);

/* Seconds in the largest unit that divides them exactly: seconds, minutes, hours or days
 * (u 0..3; a due time three days on is the number 3 in days). False when the count q is
 * too large for the form (zigzag(q) needs more than 62 bits). */
static const int64_t UNIT[4] = {1, 60, 3600, 86400};
/* The counts of each unit a time may have (read, q * UNIT[u] must not overflow). */
static const int64_t MAX_Q[4] = {INT64_MAX, INT64_MAX / 60, INT64_MAX / 3600, INT64_MAX / 86400};
static const int64_t MIN_Q[4] = {INT64_MIN, INT64_MIN / 60, INT64_MIN / 3600, INT64_MIN / 86400};
static bool secs_form(int64_t d, unsigned *u, int64_t *q) {
  /* Each divisor a constant: the compiler multiplies instead (a 64-bit division by a
   * number in a register takes tens of cycles, and a save and a restore make a dozen). */
  if (d == 0) *u = 0, *q = 0;
  else if (d % 86400 == 0) *u = 3, *q = d / 86400;
  else if (d % 3600 == 0) *u = 2, *q = d / 3600;
  else if (d % 60 == 0) *u = 1, *q = d / 60;
  else *u = 0, *q = d;
  uint64_t z = ((uint64_t)*q << 1) ^ (uint64_t)(*q >> 63);
  return z < ((uint64_t)1 << 62);
}

/* A time or a count of seconds, written from BASE (times from the clock, the clock from
 * 0): the difference d (mod 2^64, so every time has one) as uv zigzag(q) << 2 | u, d =
 * q * UNIT[u] in its largest unit; or, when q is too large for that, uv 1 (minutes, 0:
 * no other number is written so) and uv zigzag(d). */
SHORT_PATH void io_secs_in(Io *io, int64_t *v, int64_t base, const bool rd) {
  unsigned u;
  int64_t q;
  if (!rd) {
    int64_t d = (int64_t)((uint64_t)*v - (uint64_t)base);
    if (secs_form(d, &u, &q)) {
      put_uv(io, (((uint64_t)q << 1) ^ (uint64_t)(q >> 63)) << 2 | u);
    } else {
      put_uv(io, 1);
      put_uv(io, ((uint64_t)d << 1) ^ (uint64_t)(d >> 63));
    }
    return;
  }
  uint64_t h = get_uv(io), z = h >> 2;
  bool escaped = h == 1;
  if (escaped) z = get_uv(io);
  if (io->bad) return;
  int64_t x = (int64_t)(z >> 1) ^ -(int64_t)(z & 1), d = x;
  /* Only the form saving writes (secs_form's): the largest unit, escaped only when it must
   * be. Not escaped, zigzag(x) has at most 62 bits (h's 64 less its unit), so the form
   * fits, and the unit is the largest when the next one does not divide the count (0 is
   * 0 seconds): checked so, without secs_form's three divisions. */
  bool form;
  if (!escaped) {
    u = h & 3;
    if (x > MAX_Q[u] || x < MIN_Q[u]) {
      bad(io, "a time out of range");
      return;
    }
    d = x * UNIT[u];
    form = u == 0 ? x == 0 || x % 60 != 0 : x != 0 && (u == 1 ? x % 60 != 0 : u == 2 ? x % 24 != 0 : true);
  } else {
    unsigned want_u;
    int64_t want_q;
    form = !secs_form(d, &want_u, &want_q);
  }
  if (!form) {
    bad(io, "a time written in another form than saving writes");
    return;
  }
  *v = (int64_t)((uint64_t)base + (uint64_t)d);
}

/* Reading inline (a restore reads three or four times, each check short); writing, which
 * finds the unit by division, is a call. */
static void io_secs_w(Io *io, int64_t *v, int64_t base) { io_secs_in(io, v, base, false); }
SHORT_PATH void io_secs(Io *io, const bool rd, int64_t *v, int64_t base) {
  if (rd) io_secs_in(io, v, base, true);
  else io_secs_w(io, v, base);
}
SHORT_PATH void io_time(Io *io, const bool rd, int64_t *v) { io_secs(io, rd, v, io->clock); }

/* A list: uv count << 1 | tagged, then its items, of the list's element type or (tagged)
 * each with its tag: a list of no one type, or with an unset date. */
static bool get_list(Io *io, Value *v, int depth);
SHORT_PATH bool v4_list(Io *io, const bool rd, Value *v, int depth) {
  if (rd) return get_list(io, v, depth);
  uint8_t elem = v->type & 0x7F;
  uint32_t n = v->u.l->n;
  bool tagged = elem == BPT_T_VOID;
  for (uint32_t i = 0; i < n && !tagged; i++) tagged = v->u.l->items[i].unset != 0;
  put_uv(io, (uint64_t)n << 1 | tagged);
  for (uint32_t i = 0; i < n; i++) {
    Value *x = &v->u.l->items[i];
    if (!(tagged ? v4_tagged(io, x, depth + 1, rd) : v4_value_short(io, rd, x, elem, depth + 1))) return false;
  }
  return true;
}

/* v4_list reading (a function of its own: saving does not set up its storage). A few
 * items are read into the stack first, then placed (in the room when they may be:
 * new_items); more into the list allocated now. */
static __attribute__((noinline)) bool get_list(Io *io, Value *v, int depth) {
  const bool rd = true;
  uint8_t elem = v->type & 0x7F;
  if (depth >= MAX_DEPTH) return bad(io, "values nested too deep");
  uint64_t h = get_uv(io);
  if (io->bad) return false;
  if ((h >> 1) > io_left(io)) return bad(io, "a list of %llu items where %zu bytes are left", (unsigned long long)(h >> 1), io_left(io));
  uint32_t n = (uint32_t)(h >> 1);
  if (!(h & 1) && elem == BPT_T_VOID) return bad(io, "a list of no one type without tags");
  bool tagged = h & 1;
  Value few[ROOM_ITEMS], *items;
  bool staged = io->room.left && n <= ROOM_ITEMS;
  if (staged) {
    items = few;
  } else {
    Value made;
    if (!rt_list_new(io->rt, v->type, n, &made)) return out_of_memory(io);
    *v = made;
    items = made.u.l->items;
  }
  bool any_unset = false, ok = true;
  uint32_t i = 0;
  for (; i < n && ok; i++) {
    Value *x = &items[i];
    if (staged) *x = (Value){0}; /* (an allocated list is cleared) */
    ok = tagged ? v4_tagged(io, x, depth + 1, rd) : v4_value_short(io, rd, x, elem, depth + 1);
    if (ok && !fits_in(v->type, i, *x)) ok = bad(io, "a list holds a value of the wrong type");
    any_unset |= x->unset != 0;
  }
  if (ok && tagged && elem != BPT_T_VOID && !any_unset) ok = bad(io, "a list with tags it does not need");
  if (!staged) return ok;
  if (ok && new_items(io, v->type, few, n, v)) return true;
  rt_unref_all(io->rt, few, i); /* the items read, and the one that failed (VOID or part made) */
  return ok ? out_of_memory(io) : false;
}

static inline bool v4_tagged_short(Io *io, const bool rd, Value *v, int depth);

/* A result record: its members, tagged (each may be VOID). */
static bool get_record(Io *io, Value *v, int depth);
static bool put_record(Io *io, Value *v, int depth);
SHORT_PATH bool v4_record(Io *io, const bool rd, Value *v, int depth) {
  if (rd) return get_record(io, v, depth);
  return put_record(io, v, depth);
}

/* v4_record reading: the members are read into the stack, then placed (in the room when
 * they may be: new_items). */
static __attribute__((noinline)) bool get_record(Io *io, Value *v, int depth) {
  const bool rd = true;
  uint32_t n = rt_record_size(v->type);
  if (depth >= MAX_DEPTH) return bad(io, "values nested too deep");
  if (n > io_left(io)) return bad(io, "it ends too soon");
  Value m[ROOM_ITEMS];
  _Static_assert(ROOM_ITEMS >= 9, "a record's members fit (rt_record_size)");
  memset(m, 0, (size_t)n * sizeof *m);
  bool ok = true;
  for (uint32_t i = 0; i < n && ok; i++) {
    ok = v4_tagged(io, &m[i], depth + 1, rd);
    if (ok && !fits_in(v->type, i, m[i])) ok = bad(io, "a record holds a value of the wrong type");
  }
  if (ok && new_items(io, v->type, m, n, v)) return true;
  rt_unref_all(io->rt, m, n);
  return ok ? out_of_memory(io) : false;
}

/* The scalars most values are (int, date, datetime, duration, bool) as v4_value writes and
 * reads them, without its general path: true when `type` is one of them (then done, or
 * io->bad). */
SHORT_PATH bool v4_scalar(Io *io, const bool rd, Value *v, uint8_t type) {
  switch (type) {
  case BPT_T_INT:
  case BPT_T_DATE:
  case BPT_T_DATETIME:
  case BPT_T_DURATION:
    if (!rd) {
      put_uv(io, ((uint64_t)v->u.i << 1) ^ (uint64_t)(v->u.i >> 63));
    } else {
      uint64_t u = get_uv(io);
      if (!io->bad) *v = (Value){.type = type, .u.i = (int64_t)(u >> 1) ^ -(int64_t)(u & 1)};
    }
    return true;
  case BPT_T_BOOL:
    if (!rd) {
      put_byte(io, v->u.i != 0);
    } else {
      uint8_t b = get_byte(io);
      if (!io->bad && b > 1) bad(io, "a bool %u is out of range (at most 1)", b);
      if (!io->bad) *v = (Value){.type = BPT_T_BOOL, .u.i = b};
    }
    return true;
  default: return false;
  }
}

/* Writing a tagged value that is nothing, a scalar, a text or a list (a result record's
 * members) without a call of v4_tagged; anything else, and reading, through it. */
static inline bool v4_tagged_short(Io *io, const bool rd, Value *v, int depth) {
  if (!rd && !v->unset) {
    uint8_t type = v->type;
    if (type == BPT_T_VOID) {
      put_byte(io, type);
      return !io->bad;
    }
    if (type == BPT_T_BOOL) {
      put_byte(io, type);
      put_byte(io, v->u.i != 0);
      return !io->bad;
    }
    if (type == BPT_T_INT || type == BPT_T_DATE || type == BPT_T_DATETIME || type == BPT_T_DURATION) {
      put_byte(io, type); /* then the number as v4_scalar writes it, without its switch again */
      put_uv(io, ((uint64_t)v->u.i << 1) ^ (uint64_t)(v->u.i >> 63));
      return !io->bad;
    }
    if (is_text_type(type)) { /* a user or a comment: the text as io_string writes it */
      put_byte(io, type);
      put_string(io, v->u.s, false);
      return !io->bad;
    }
    if (rt_is_list(type)) { /* a result's comments */
      put_byte(io, type);
      return v4_list(io, rd, v, depth);
    }
  }
  return v4_tagged(io, v, depth, rd);
}

/* v4_record writing: each member as v4_tagged_short writes it, byte for byte, with the
 * tags and the scalars (nothing, a bool, an int, a date, a time, a duration: most of a
 * result's members) stored through a local cursor after one test of the room for the
 * member (MEMBER_ROOM bytes), not through Io's at every byte; a text, a list or anything
 * else goes through v4_tagged_short, and the cursor is taken again after it. */
enum { MEMBER_ROOM = 11 }; /* a tag and a varint of at most 10 bytes */
static bool put_record(Io *io, Value *v, int depth) {
  uint32_t n = rt_record_size(v->type);
  const Value *m = v->u.r->m;
  uint8_t *w = io->wat;
  for (uint32_t i = 0; i < n; i++) {
    if (io->wend - w < MEMBER_ROOM) { /* (as put_uv_long asks: within grow's slack past BP_MAX_STATE) */
      io->wat = w;
      if (!grow(io, MEMBER_ROOM)) return false;
      w = io->wat;
    }
    const Value *x = &m[i];
    uint8_t type = x->type;
    if (x->unset || !(type == BPT_T_VOID || type == BPT_T_BOOL || type == BPT_T_INT || type == BPT_T_DATE ||
                      type == BPT_T_DATETIME || type == BPT_T_DURATION)) {
      io->wat = w;
      if (!v4_tagged_short(io, false, (Value *)x, depth + 1)) return false;
      w = io->wat;
      continue;
    }
    *w++ = type;
    if (type == BPT_T_VOID) continue;
    uint64_t u = type == BPT_T_BOOL ? x->u.i != 0 : ((uint64_t)x->u.i << 1) ^ (uint64_t)(x->u.i >> 63);
    while (u >= 0x80) {
      *w++ = (uint8_t)(u | 0x80);
      u >>= 7;
    }
    *w++ = (uint8_t)u;
  }
  io->wat = w;
  return !io->bad;
}

/* A value of type `type` (set, not unset), without its tag. Reading: *v is VOID, and is
 * set only to a whole value (which the caller frees). */
SHORT_PATH bool v4_value_in(Io *io, Value *v, uint8_t type, int depth, const bool rd) {
  if (v4_scalar(io, rd, v, type)) return !io->bad;
  Value x = rd ? (Value){.type = type} : *v;
  switch (type) {
  case BPT_T_STRING:
  case BPT_T_USER: return io_string(io, rd, v, type, false);
  case BPT_T_DECIMAL:
    io_byte(io, rd, &x.scale, 18, "a decimal's scale");
    io_int(io, rd, &x.u.i, INT64_MIN, INT64_MAX, "a decimal");
    break;
  case BPT_T_BOOL: {
    uint8_t b = x.u.i != 0;
    io_byte(io, rd, &b, 1, "a bool");
    x.u.i = b;
    break;
  }
  case BPT_T_INT:
  case BPT_T_DATE:
  case BPT_T_DATETIME:
  case BPT_T_DURATION: io_int(io, rd, &x.u.i, INT64_MIN, INT64_MAX, "a number"); break;
  default:
    if (rd) *v = (Value){.type = type};
    if (rt_is_list(type)) return v4_list(io, rd, v, depth);
    if (rt_is_record(type)) return v4_record(io, rd, v, depth);
    if (rd) *v = (Value){0};
    return bad(io, "a value of unknown type");
  }
  if (rd && !io->bad) *v = x;
  return !io->bad;
}

/* v4_value with the scalars and texts most values are (a field, a slot, a list's item, a
 * tagged value) written and read without its call: a call's entry and exit cost more than
 * their writing or reading. Inline always, like the short paths. */
SHORT_PATH bool v4_value_short(Io *io, const bool rd, Value *v, uint8_t type, int depth) {
  if (v4_scalar(io, rd, v, type)) return !io->bad;
  if (is_text_type(type)) return io_string(io, rd, v, type, false);
  return v4_value(io, v, type, depth, rd);
}

/* A value with its tag first: its type, plus UNSET_TAG for an unset date (which has
 * nothing more). */
SHORT_PATH bool v4_tagged_in(Io *io, Value *v, int depth, const bool rd) {
  uint8_t tag;
  if (!rd) put_byte(io, tag = (uint8_t)(v->type | (v->unset ? UNSET_TAG : 0)));
  else tag = get_byte(io);
  if (io->bad) return false;
  uint8_t type = tag & (uint8_t)~UNSET_TAG;
  if (rd) {
    if (type != BPT_T_VOID && !bpt_type_valid(type)) return bad(io, "a value of unknown type");
    if (tag & UNSET_TAG) {
      if (type != BPT_T_DATE && type != BPT_T_DATETIME) return bad(io, "a value with a bad tag");
      *v = (Value){.type = type, .unset = 1};
      return true;
    }
    *v = (Value){0};
  }
  if (type == BPT_T_VOID || (tag & UNSET_TAG)) return true;
  return v4_value_short(io, rd, v, type, depth);
}

static bool v4_value_r(Io *io, Value *v, uint8_t type, int depth) { return v4_value_in(io, v, type, depth, true); }
static bool v4_value_w(Io *io, Value *v, uint8_t type, int depth) { return v4_value_in(io, v, type, depth, false); }
static bool v4_tagged_r(Io *io, Value *v, int depth) { return v4_tagged_in(io, v, depth, true); }
static bool v4_tagged_w(Io *io, Value *v, int depth) { return v4_tagged_in(io, v, depth, false); }

/* Whether v is written with its tag where `declared` is expected. */
static inline bool odd_value(Value v, uint8_t declared) { return v.type != declared || v.unset; }

/* Two values alike in type and content (a document field and its initial value). */
static bool same_value(Value a, Value b) {
  if (a.type != b.type || a.unset != b.unset || a.scale != b.scale) return false;
  if (is_text_type(a.type))
    return a.u.s == b.u.s || (a.u.s->len == b.u.s->len && memcmp(a.u.s->s, b.u.s->s, a.u.s->len) == 0); /* one text: no bytes compared */
  if (rt_is_list(a.type) || rt_is_record(a.type)) {
    uint32_t n = rt_is_list(a.type) ? a.u.l->n : a.u.r->n;
    if (n != (rt_is_list(b.type) ? b.u.l->n : b.u.r->n)) return false;
    const Value *x = rt_is_list(a.type) ? a.u.l->items : a.u.r->m, *y = rt_is_list(b.type) ? b.u.l->items : b.u.r->m;
    for (uint32_t i = 0; i < n; i++)
      if (!same_value(x[i], y[i])) return false;
    return true;
  }
  return a.unset || a.u.i == b.u.i;
}

/* Whether a field holds what a new document has there (bp_doc_new): its default, or the
 * empty value of its type. Inline: saving asks it of every field, restoring of every
 * field read, and most answers take a comparison or two. */
SHORT_PATH bool field_is_initial(const BpBundle *b, const BptField *f, Value v) {
  if (f->def != BPT_NONE16) {
    Value d = b->consts[f->def];
    if (is_text_type(v.type) && v.type == d.type && v.u.s == d.u.s) return true; /* the default itself, mostly */
    return same_value(v, d);
  }
  if (v.type != f->type) return false;
  if (is_text_type(v.type)) return v.u.s->len == 0;
  if (rt_is_list(v.type)) return v.u.l->n == 0;
  return same_value(v, rt_empty(f->type));
}

/* Saving: which of the first PLANNED values are written and which of those tagged, a bit
 * each in bytes of 8 as v4_values writes them (plan_fields and plan_slots, below, decide
 * them once). */
enum { PLANNED = 64 };
typedef struct Plan {
  uint8_t written[PLANNED / 8], tagged[PLANNED / 8];
} Plan;

/* Whether saving writes value v: a field (f its descriptor) that differs from a new
 * document's, a slot (f NULL) that holds something. */
static inline bool written_value(const Io *io, const BptField *f, Value v) {
  return f ? !field_is_initial(io->b, f, v) : v.type != BPT_T_VOID;
}

/* Values in groups of 8: a byte of which are written, a byte of which of those are tagged
 * (only when `odd`), then those values. FIELDS: a document's, which are written when they
 * differ from a new document's (and reading leaves the others as they are); else slots,
 * written when they hold something. Saving, plan has those bytes for the first PLANNED. */
SHORT_PATH bool v4_values(Io *io, const bool rd, Value *vals, uint32_t n, bool fields, bool odd, const Plan *plan) {
  const BptDoctype *dt = fields && n ? &io->b->b.doctypes[io->p->doctype] : NULL;
  /* The declarations, loaded once: io->p is in memory, which each value written may change
   * as far as the compiler knows. */
  const BptField *fds = dt ? dt->fields : NULL;
  const BptSlot *slots = fields ? NULL : io->p->slots;
  for (uint32_t g = 0; g < n; g += 8) {
    uint32_t m = n - g < 8 ? n - g : 8;
    uint8_t written = 0, tagged = 0;
    if (!rd && g < PLANNED) {
      written = plan->written[g / 8], tagged = plan->tagged[g / 8];
    } else {
      for (uint32_t i = 0; i < m && !rd; i++) {
        Value v = vals[g + i];
        if (written_value(io, fields ? &fds[g + i] : NULL, v))
          written |= (uint8_t)(1u << i), tagged |= (uint8_t)(odd_value(v, fields ? fds[g + i].type : slots[g + i].type) << i);
      }
    }
    io_byte(io, rd, &written, (uint8_t)((1u << m) - 1), "which values are written");
    if (odd) io_byte(io, rd, &tagged, UINT8_MAX, "which values are tagged");
    if (io->bad) return false;
    if (rd && (tagged & ~written)) return bad(io, "a value tagged that is not written");
    for (unsigned rest = written; rest; rest &= rest - 1) { /* the values written, in order */
      uint32_t i = (uint32_t)__builtin_ctz(rest), k = g + i;
      uint8_t declared = fields ? fds[k].type : slots[k].type;
      bool is_tagged = tagged >> i & 1;
      if (!rd) {
        if (!(is_tagged ? v4_tagged(io, &vals[k], 0, rd) : v4_value_short(io, rd, &vals[k], declared, 0))) return false;
        continue;
      }
      Value x = {0};
      bool ok = is_tagged ? v4_tagged(io, &x, 0, rd) : v4_value_short(io, rd, &x, declared, 0);
      if (ok && !fits_declared(x, declared, fields ? -1 : slots[k].kind))
        ok = bad(io, fields ? "a document field of the wrong type" : "a slot of the wrong type");
      else if (ok && is_tagged && !odd_value(x, declared)) ok = bad(io, "a value with a tag it does not need");
      else if (ok && (fields ? field_is_initial(io->b, &fds[k], x) : x.type == BPT_T_VOID))
        ok = bad(io, "a value written that need not be");
      if (!ok) {
        rt_unref(io->rt, x);
        return false;
      }
      vals[k] = x; /* over VOID: restoring reads into fields and slots that are all VOID, each once */
    }
  }
  return true;
}

/* v4_values for the fields and for the slots: each made for its one kind of value. */
SHORT_PATH bool v4_fields(Io *io, const bool rd, Value *vals, uint32_t n, bool odd, const Plan *plan) {
  return v4_values(io, rd, vals, n, true, odd, plan);
}
SHORT_PATH bool v4_slots(Io *io, const bool rd, Value *vals, uint32_t n, bool odd, const Plan *plan) {
  return v4_values(io, rd, vals, n, false, odd, plan);
}

/* ---- the records of version 4 --------------------------------------------------------------- */

/* Restoring: an id read (a record's, or an open item's), for check_state (Io.id_max). */
SHORT_PATH void id_read(Io *io, uint32_t id) {
  if (id > io->id_max) io->id_max = id;
  else io->ids_mixed = true;
}

/* An id: how much it rises from the last one of its kind (ids of a kind rise, and are not
 * 0: so, read, they need not be checked again for that). */
static inline void io_id(Io *io, const bool rd, uint32_t *id, const char *what) {
  if (!rd) {
    put_uv(io, *id - io->last_id);
    io->last_id = *id;
    return;
  }
  uint64_t d = get_uv(io);
  if (!io->bad && (d == 0 || d > (uint64_t)UINT32_MAX - io->last_id)) bad(io, "%s that does not rise", what);
  *id = io->bad ? 0 : io->last_id + (uint32_t)d;
  io->last_id = *id;
  id_read(io, *id);
}

/* A flag byte's bit b says whether a value is written: set it (writing) or read it, and
 * check a value read is not the one the flag leaves out. */
#define HAS(f, bit) (((f) & (bit)) != 0)

/* The reading and the writing twin of record function NAME_in (see v4_tagged). */
#define RECORD_TWINS(name)                                                   \
  static void name##_r(Io *io, void *rec) { name##_in(io, rec, true); }       \
  static void name##_w(Io *io, void *rec) { name##_in(io, rec, false); }

enum { TH_ACT = 0x40, TH_STEP = 0x80 };
SHORT_PATH void v4_thread_in(Io *io, void *rec, const bool rd) {
  RtThread *t = rec;
  io_id(io, rd, &t->id, "a thread id");
  io_u32(io, rd, &t->pc, rd ? io->p->code_size - 1 : UINT32_MAX, "a pc");
  uint8_t f = (uint8_t)(t->wait | t->kind << 3 | (t->act ? TH_ACT : 0) | (t->step ? TH_STEP : 0));
  io_byte(io, rd, &f, UINT8_MAX, "a thread's flags");
  if (rd) {
    t->wait = f & 7;
    t->kind = f >> 3 & 7;
    if (t->wait == W_RUN || t->wait > W_MESSAGE || t->kind > K_AFTER) bad(io, "a thread's flags %u are out of range", f);
  }
  if (HAS(f, TH_ACT)) io_u32(io, rd, &t->act, UINT32_MAX, "a thread's activation");
  if (HAS(f, TH_STEP)) io_u32(io, rd, &t->step, UINT32_MAX, "a thread's step");
  if (rd && ((HAS(f, TH_ACT) && !t->act) || (HAS(f, TH_STEP) && !t->step))) bad(io, "a thread's 0 written");
}

SHORT_PATH void v4_act_in(Io *io, void *rec, const bool rd) {
  RtAct *a = rec;
  io_id(io, rd, &a->id, "an activation id");
  if (rd && !io->p->ngroups) {
    bad(io, "a fork activation in a process without forks");
    return;
  }
  io_u32(io, rd, &a->parent, UINT32_MAX, "an activation's parent");
  io_u16(io, rd, &a->group, rd ? (uint16_t)(io->p->ngroups - 1u) : UINT16_MAX, "a fork group");
  io_byte(io, rd, &a->race, RT_ACT_TRY, "a fork's race flag");
  io_u16(io, rd, &a->arrived, UINT16_MAX, "an arrival count");
  if (a->race == RT_ACT_TRY && !io->bad) io_try(io, a);
}

enum { PF_ITEM = 4, PF_ORDER = 8, PF_AT = 16, PF_COMMENT = 32 };
SHORT_PATH void v4_person_in(Io *io, void *rec, const bool rd) {
  RtPerson *who = rec;
  if (!io_string(io, rd, &who->user, BPT_T_USER, false)) return;
  if (rd && who->user.u.s->len == 0) {
    bad(io, "a step's person is not a user");
    return;
  }
  uint8_t f = (uint8_t)(who->act | (who->item ? PF_ITEM : 0) | (who->order ? PF_ORDER : 0) | (who->at ? PF_AT : 0) |
                        (who->comment.type != BPT_T_VOID ? PF_COMMENT : 0));
  io_byte(io, rd, &f, 63, "a person's flags");
  if (rd) who->act = f & 3;
  if (HAS(f, PF_ITEM)) {
    io_u32(io, rd, &who->item, UINT32_MAX, "an item id");
    if (rd) id_read(io, who->item);
  }
  if (HAS(f, PF_ORDER)) io_u32(io, rd, &who->order, UINT32_MAX, "the order of an act");
  if (HAS(f, PF_AT)) io_time(io, rd, &who->at);
  if (io->bad) return;
  if (rd && ((HAS(f, PF_ITEM) && !who->item) || (HAS(f, PF_ORDER) && !who->order) || (HAS(f, PF_AT) && !who->at))) {
    bad(io, "a person's 0 written");
    return;
  }
  if (HAS(f, PF_COMMENT)) io_string(io, rd, &who->comment, BPT_T_STRING, false);
}

RECORD_TWINS(v4_person)

enum { SF_PERCENT = 1, SF_DUE = 2, SF_ACTED = 4, SF_FLAGS = 8, SF_FIRED = 16, SF_TIMEOUTS = 32 };
SHORT_PATH void v4_step_in(Io *io, void *rec, const bool rd) {
  RtStep *st = rec;
  const BptProcess *p = io->p;
  io_id(io, rd, &st->id, "a step id");
  if (rd && !p->nsteps) {
    bad(io, "a step in a process without steps");
    return;
  }
  io_u16(io, rd, &st->t, rd ? (uint16_t)(p->nsteps - 1u) : UINT16_MAX, "a step descriptor");
  io_u32(io, rd, &st->thread, UINT32_MAX, "a step's thread");
  uint8_t f = (uint8_t)((st->percent ? SF_PERCENT : 0) | (st->due != RT_NO_TIME ? SF_DUE : 0) | (st->acted ? SF_ACTED : 0) |
                        (st->flags ? SF_FLAGS : 0) | (st->fired ? SF_FIRED : 0) |
                        (st->timeouts_left != UINT32_MAX ? SF_TIMEOUTS : 0));
  io_byte(io, rd, &f, 63, "a step's flags");
  if (io->bad || !io_string(io, rd, &st->title, BPT_T_STRING, true)) return;
  if (rd) st->due = RT_NO_TIME, st->timeouts_left = UINT32_MAX;
  if (HAS(f, SF_PERCENT)) io_int(io, rd, &st->percent, 1, 100, "a vote percentage");
  if (HAS(f, SF_DUE)) io_time(io, rd, &st->due);
  if (HAS(f, SF_ACTED)) io_u32(io, rd, &st->acted, UINT32_MAX, "a count of acts");
  if (HAS(f, SF_FLAGS)) io_byte(io, rd, &st->flags, S_IN_TIMEOUT | S_HANDLED | S_OVERDUE, "a step's flags");
  if (HAS(f, SF_FIRED)) io_u64(io, rd, &st->fired, "the reminders that ran");
  if (HAS(f, SF_TIMEOUTS)) io_u32(io, rd, &st->timeouts_left, UINT32_MAX - 1, "the `on timeout` runs left");
  if (io->bad) return;
  if (rd && ((HAS(f, SF_DUE) && st->due == RT_NO_TIME) || (HAS(f, SF_ACTED) && !st->acted) ||
                      (HAS(f, SF_FLAGS) && !st->flags) || (HAS(f, SF_FIRED) && !st->fired))) {
    bad(io, "a step's default written");
    return;
  }
  /* The reminders: as many durations as the descriptor has. */
  uint8_t nreminds = p->steps[st->t].nreminds;
  if (nreminds > MAX_REMINDS) {
    bad(io, "a step with more than %d reminders", MAX_REMINDS);
    return;
  }
  if (!rd && (nreminds ? st->offsets.type != (BPT_T_LIST | BPT_T_DURATION) || st->offsets.u.l->n != nreminds
                                : st->offsets.type != BPT_T_VOID)) {
    bad(io, "a step's reminders do not match its descriptor");
    return;
  }
  if (nreminds && rd) {
    Value made;
    if (!new_scalars(io, BPT_T_LIST | BPT_T_DURATION, nreminds, &made)) {
      out_of_memory(io);
      return;
    }
    st->offsets = made;
  }
  for (uint8_t i = 0; i < nreminds && !io->bad; i++) {
    Value *x = &st->offsets.u.l->items[i];
    if (rd) x->type = BPT_T_DURATION;
    io_int(io, rd, &x->u.i, INT64_MIN, INT64_MAX, "a reminder's offset");
  }
  io_vec(io, rd, &st->people, sizeof(RtPerson), "the people count", rd ? v4_person_r : v4_person_w);
  if (!rd || io->bad) return;
  if (st->fired >> nreminds) bad(io, "a reminder that is not there has run");
  else if (!BPT_MODE_HAS_PERCENT(p->steps[st->t].mode) && st->percent != 0) bad(io, "a vote percentage on a step that is no vote");
  else if (st->people.n == 0) bad(io, "a step with nobody to ask");
}

enum { TF_AT_DUE = 4, TF_INDEX = 8, TF_EVERY = 16, TF_LEFT = 32 };
SHORT_PATH void v4_timer_in(Io *io, void *rec, const bool rd) {
  RtTimer *t = rec;
  const RtStep *st = NULL;
  bool at_due = false;
  if (!rd) {
    st = t->kind == TM_DUE ? find_step(&io->s->steps, t->ref) : NULL;
    at_due = st && st->due == t->at;
  }
  uint8_t f = (uint8_t)(t->kind | (at_due ? TF_AT_DUE : 0) | (t->index ? TF_INDEX : 0) | (t->every ? TF_EVERY : 0) |
                        (t->left ? TF_LEFT : 0));
  io_byte(io, rd, &f, 63, "a timer's flags");
  if (rd) t->kind = f & 3;
  if (!HAS(f, TF_AT_DUE)) io_time(io, rd, &t->at);
  io_u32(io, rd, &t->seq, UINT32_MAX, "a timer's order");
  io_u32(io, rd, &t->ref, UINT32_MAX, "a timer's thread or step");
  if (HAS(f, TF_INDEX)) io_u16(io, rd, &t->index, UINT8_MAX - 1, "a reminder or `after` index");
  if (HAS(f, TF_EVERY)) io_int(io, rd, &t->every, 1, INT64_MAX, "an `after` handler's period");
  if (HAS(f, TF_LEFT)) io_u32(io, rd, &t->left, UINT32_MAX, "an `after` handler's runs left");
  if (!rd || io->bad) return;
  st = t->kind == TM_DUE ? find_step(&io->s->steps, t->ref) : NULL;
  if (HAS(f, TF_AT_DUE)) {
    if (!st || st->due == RT_NO_TIME) bad(io, "a timer at the due time of a step that has none");
    else t->at = st->due;
  } else if (st && st->due == t->at) {
    bad(io, "a timer's time written that its step gives");
  }
  if ((HAS(f, TF_INDEX) && !t->index) || (HAS(f, TF_LEFT) && !t->left)) bad(io, "a timer's 0 written");
  else if (t->kind == TM_REMIND && t->index >= MAX_REMINDS) bad(io, "a reminder index out of range");
  else if (t->kind != TM_REMIND && t->kind != TM_AFTER && t->index != 0) bad(io, "a reminder index on another timer");
  else if (t->kind != TM_AFTER && (t->every || t->left)) bad(io, "a period on a timer that does not repeat");
}

SHORT_PATH void v4_call_in(Io *io, void *rec, const bool rd) {
  RtCall *c = rec;
  const BptBundle *bb = &io->b->b;
  io_id(io, rd, &c->id, "a call id");
  io_u32(io, rd, &c->thread, UINT32_MAX, "a call's thread");
  if (rd && !bb->nactions) {
    bad(io, "a call in a bundle without actions");
    return;
  }
  io_u16(io, rd, &c->action, rd ? (uint16_t)(bb->nactions - 1u) : UINT16_MAX, "an action");
  uint32_t slot = c->slot == BPT_NONE16 ? 0 : c->slot + 1u;
  io_u32(io, rd, &slot, rd ? io->p->nslots : UINT16_MAX, "a call's result slot");
  if (rd) c->slot = slot ? (uint16_t)(slot - 1) : BPT_NONE16;
  if (io->bad || !v4_tagged(io, &c->args, 0, rd) || !rd) return;
  if (!rt_is_list(c->args.type) || c->args.u.l->n != bb->actions[c->action].nparams)
    bad(io, "a call's arguments do not match its action");
}

RECORD_TWINS(v4_thread)
RECORD_TWINS(v4_act)
RECORD_TWINS(v4_step)
RECORD_TWINS(v4_timer)
RECORD_TWINS(v4_call)

/* A section of records: present (a bit of the state's flags) when it has any; then the
 * count and the records. */
SHORT_PATH void v4_section(Io *io, const bool rd, RtVec *vec, size_t size, bool present, const char *what, IoRecord *each) {
  if (!present) return;
  io->last_id = 0;
  if (rd) {
    uint64_t n = get_uv(io);
    if (!io->bad && (n == 0 || n > io_left(io))) bad(io, "%s %llu is 0 or more than the %zu bytes left", what, (unsigned long long)n, io_left(io));
    if (!io->bad) stage_records(io, vec, n, size);
    for (uint32_t i = 0; i < n && !io->bad; i++) {
      void *rec = next_record(io, vec, size);
      if (!rec) {
        out_of_memory(io);
        return;
      }
      each(io, rec);
    }
    return;
  }
  put_uv(io, vec->n);
  for (uint32_t i = 0; i < vec->n && !io->bad; i++) each(io, (char *)vec->v + (size_t)i * size);
}

/* The state's flags: its status (2 bits) and which parts are written. */
enum { H_THREADS = 4, H_STEPS = 8, H_TIMERS = 16, H_STATE = 32, H_MESSAGE = 64, H_ACTS = 128, H_CALLS = 256,
       H_ODD_FIELDS = 512, H_ODD_SLOTS = 1024, H_ALL = 2047 };

/* Saving: whether any value written is tagged, and the plan of the first PLANNED (which
 * are written, which tagged), so that v4_values need not decide them again. */
SHORT_PATH bool plan_values_of(const Io *io, const Value *v, uint32_t n, bool fields, Plan *plan) {
  const BptDoctype *dt = fields && n ? &io->b->b.doctypes[io->p->doctype] : NULL;
  const BptSlot *slots = io->p->slots;
  unsigned odd = 0;
  for (uint32_t g = 0; g < n; g += 8) {
    if (g >= PLANNED && odd) break; /* past the plan, only whether any is tagged */
    uint32_t m = n - g < 8 ? n - g : 8;
    unsigned w = 0, t = 0;
    for (uint32_t i = 0; i < m; i++) {
      Value x = v[g + i];
      if (!written_value(io, fields ? &dt->fields[g + i] : NULL, x)) continue;
      w |= 1u << i;
      t |= (unsigned)odd_value(x, fields ? dt->fields[g + i].type : slots[g + i].type) << i;
    }
    odd |= t;
    if (g < PLANNED) plan->written[g / 8] = (uint8_t)w, plan->tagged[g / 8] = (uint8_t)t;
  }
  return odd != 0;
}

/* plan_values_of for the fields and for the slots: each made for its one kind of value. */
static bool plan_fields(const Io *io, const Value *v, uint32_t n, Plan *plan) {
  return plan_values_of(io, v, n, true, plan);
}
static bool plan_slots(const Io *io, const Value *v, uint32_t n, Plan *plan) {
  return plan_values_of(io, v, n, false, plan);
}

/* The whole state: uv flags, [uv state], uv next id, sv clock, [message], the fields, the
 * slots, the sections. The document's fields travel with it (fields, nfields). */
SHORT_PATH bool v4_state_in(Io *io, RtState *s, Value *fields, uint16_t nfields, const bool rd) {
  const BptProcess *p = io->p;
  uint64_t h = 0;
  Plan fplan, splan;
  if (!rd)
    h = s->status | (s->threads.n ? H_THREADS : 0) | (s->steps.n ? H_STEPS : 0) | (s->timers.n ? H_TIMERS : 0) |
        (s->state != BPT_NONE16 ? H_STATE : 0) | (s->message.type != BPT_T_VOID ? H_MESSAGE : 0) |
        (s->acts.n ? H_ACTS : 0) | (s->calls.n ? H_CALLS : 0) | (plan_fields(io, fields, nfields, &fplan) ? H_ODD_FIELDS : 0) |
        (plan_slots(io, s->slots, s->nslots, &splan) ? H_ODD_SLOTS : 0);
  h = io_uint(io, rd, h, H_ALL, "the state's flags");
  if (rd) {
    s->status = h & 3;
    s->state = BPT_NONE16;
  }
  if (h & H_STATE) {
    if (rd && !p->nstates) return bad(io, "a state in a process without states");
    io_u16(io, rd, &s->state, rd ? (uint16_t)(p->nstates - 1u) : UINT16_MAX, "the state");
  }
  io_u32(io, rd, &s->next_id, UINT32_MAX - 1, "the next id");
  io_secs(io, rd, &s->clock, 0);
  io->clock = s->clock;
  if ((h & H_MESSAGE) && !io_string(io, rd, &s->message, BPT_T_STRING, false)) return false;
  if (io->bad || !v4_fields(io, rd, fields, nfields, h & H_ODD_FIELDS, &fplan) ||
      !v4_slots(io, rd, s->slots, s->nslots, h & H_ODD_SLOTS, &splan))
    return false;
  v4_section(io, rd, &s->threads, sizeof(RtThread), h & H_THREADS, "the thread count", rd ? v4_thread_r : v4_thread_w);
  v4_section(io, rd, &s->acts, sizeof(RtAct), h & H_ACTS, "the activation count", rd ? v4_act_r : v4_act_w);
  v4_section(io, rd, &s->steps, sizeof(RtStep), h & H_STEPS, "the step count", rd ? v4_step_r : v4_step_w);
  v4_section(io, rd, &s->timers, sizeof(RtTimer), h & H_TIMERS, "the timer count", rd ? v4_timer_r : v4_timer_w);
  v4_section(io, rd, &s->calls, sizeof(RtCall), h & H_CALLS, "the call count", rd ? v4_call_r : v4_call_w);
  return !io->bad;
}

/* v4_state reading and writing. */
static bool v4_state_read(Io *io, RtState *s, Value *fields, uint16_t nfields) { return v4_state_in(io, s, fields, nfields, true); }
static bool v4_state_write(Io *io, RtState *s, Value *fields, uint16_t nfields) { return v4_state_in(io, s, fields, nfields, false); }

/* ---- saving ------------------------------------------------------------------------------- */

static void put_u32_at(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

BpStatus bp_instance_save(const BpInstance *inst, uint8_t **bytes, size_t *len, BpError *err) {
  if (!inst || !bytes || !len) return rt_fail_status(err, BP_EINVAL, "bp_instance_save: missing argument");
  *bytes = NULL;
  *len = 0;
  /* Writing only reads the state: the cast lets one function serve both directions. */
  Io io;
  io_start(&io);
  io.rt = inst->rt;
  io.b = inst->b;
  io.p = &inst->b->b.processes[inst->proc];
  io.s = (RtState *)&inst->s;
  io.at = io.end = NULL;
  io.own = (uintptr_t)inst;
  io.own_size = inst->size;
  io.seen_bits = 0;
  io.w = io.wat = io.stack;
  io.wend = io.stack + sizeof io.stack;
  uint8_t header[HEADER_4] = {SAVE_MAGIC_4[0], SAVE_MAGIC_4[1], SAVE_VERSION};
  put_u32_at(header + 3, inst->b->b.crc);
  put_bytes(&io, header, HEADER_4);
  put_uv(&io, inst->proc);
  v4_state_write(&io, io.s, inst->doc->fields, inst->doc->nfields);
  uint8_t crc[TRAILER_4];
  put_u32_at(crc, bpt_crc32c_with(inst->b->save->crc_insn, 0, io.w, (size_t)(io.wat - io.w)));
  put_bytes(&io, crc, TRAILER_4);
  size_t wlen = (size_t)(io.wat - io.w);
  BpStatus st = BP_OK;
  uint8_t *out = NULL;
  if (io.nomem) st = rt_fail_status(err, BP_ENOMEM, "out of memory");
  else if (io.toolong || wlen > BP_MAX_STATE)
    st = rt_fail_status(err, BP_EINVAL, "the state is too large to save: more than %u bytes (BP_MAX_STATE)", (unsigned)BP_MAX_STATE);
  else if (io.bad) st = rt_fail_status(err, BP_EINVAL, "the state cannot be saved: %s", io.why);
  else if (!(out = rt_realloc(inst->rt, NULL, 0, wlen))) /* not cleared: the bytes are copied over it */
    st = rt_fail_status(err, BP_ENOMEM, "out of memory");
  if (st == BP_OK) {
    /* The bytes are handed over at their exact size (bp_free takes the length). */
    memcpy(out, io.w, wlen);
    *bytes = out;
    *len = wlen;
  }
  if (io.wheap) rt_dealloc(inst->rt, io.w, (size_t)(io.wend - io.w));
  return st;
}

/* ---- restoring ---------------------------------------------------------------------------- */

static uint32_t get_u32_at(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static BpStatus restore_v3(BpBundle *b, BpDoc *doc, const uint8_t *bytes, size_t len, BpInstance **out, BpError *err);

/* No room for the instance: what the restored state and document hold is freed. */
static BpStatus no_room(BpBundle *b, BpDoc *made, RtState *s, BpError *err) {
  rt_state_free(b->rt, s);
  if (made) bp_doc_release(made);
  return rt_fail_status(err, BP_ENOMEM, "out of memory");
}

/* inst (size bytes) takes the restored state and its document (made: the document
 * restore made; else doc, which gains a reference). */
static BpStatus adopted(BpInstance *inst, size_t size, BpBundle *b, uint16_t proc, BpDoc *doc, BpDoc *made, RtState *s,
                        BpInstance **out) {
  inst->size = size;
  inst->b = b;
  inst->rt = b->rt;
  inst->proc = proc;
  inst->s = *s;
  inst->doc = doc ? doc : made;
  if (doc) doc->refs++;
  *out = inst;
  return BP_OK;
}

/* The instance made of a restored state and document (made: the document restore made). */
static BpStatus adopt(BpBundle *b, uint16_t proc, BpDoc *doc, BpDoc *made, RtState *s, BpInstance **out, BpError *err) {
  BpInstance *inst = rt_alloc(b->rt, sizeof *inst);
  if (!inst) return no_room(b, made, s, err);
  return adopted(inst, sizeof *inst, b, proc, doc, made, s, out);
}

/* Restoring into a document of its own with a few fields (LEND_FIELDS, the usual case)
 * makes that document first, with the instance's block in its room, as bp_start makes
 * one: the instance, then a region where the slots, the five record vectors, the steps'
 * people and the texts, lists and records of the state are read in place, each vector at
 * its exact size as its count is read, one after the other (region_guess), then the people
 * room (BpInstance.people_room, RT_PEOPLE_ROOM places) for a new step's people, as a
 * started instance has. The vectors are lent to the state as a started instance's first
 * records are: the first event's copy replaces them (a step's people it may take over:
 * they stay where they are, RT_VEC_LENT), and freeing the instance frees them. The texts,
 * lists and records are immortal in the document's allocation, as bp_start's document holds
 * the host's short texts (RtRoom, rt.h), and safe for the same reason: no value leaves its
 * document inside the runtime. An immortal object holds only immortal ones (nothing counts
 * down what it holds): a list or record goes to the region only when each of its items did,
 * or is a scalar or a constant. What does not fit is allocated as it is read, and keeps that
 * allocation. So the usual state is restored with one allocation, and nothing is moved.
 *
 * Otherwise (the host's document, or more fields) the slots and records are read into
 * storage on the stack (Io.stage, STAGE_BYTES), and adopt_v4 copies them after the instance
 * in its allocation; the texts are allocated. */
enum { STAGE_BYTES = 2048, LEND_FIELDS = 16 };

/* What is left of the region once the state is read is the room for what the instance's
 * events make (BpDoc.made): region_guess leaves RESTORED_MADE_ROOM bytes for it, what one
 * event most often makes (a step's title of up to 40 bytes and an approval's result
 * record, 152: the expert's decision in the two-stage approval). So the usual decision on
 * a restored instance allocates nothing, and freeing it frees nothing it made.
 * RT_DOC_MADE_ROOM (bp_start's, for two titles and two records) made the round 160
 * instructions dearer than this (a larger block to clear and for the allocator), for what
 * a second event, after a save and restore, gets anyway. The state read takes up to about
 * REGION_PER_BYTE bytes of records and texts for each byte of the saved payload (a record
 * of 24 to 120 bytes, a text of 16 or more, for a few bytes each; the most among the
 * restores of test_runtime and of every scenario with --reload, whose median is 5.7; the
 * two-stage approval waiting for its expert: 368 for 48), at most REGION_READ bytes (the
 * stage's and the room's that restoring had on the stack before): a state that takes more
 * leaves less room for what its events make, and past the region its records and texts
 * are allocated, as before. */
enum { RESTORED_MADE_ROOM = 200, REGION_PER_BYTE = 12, REGION_READ = 3072 };
static size_t room16(size_t n) { return (n + 15u) & ~(size_t)15u; }

/* The bytes of the region for a state of len saved bytes whose slots take slots_bytes. */
static size_t region_guess(size_t slots_bytes, size_t len) {
  size_t payload = len - HEADER_4 - TRAILER_4; /* (len is at least their sum + 1: checked) */
  size_t read = payload < REGION_READ / REGION_PER_BYTE ? payload * REGION_PER_BYTE : REGION_READ;
  return slots_bytes + rt_room_bytes(read) + RESTORED_MADE_ROOM;
}
_Static_assert(MAX_SEEN < 255, "Io.empty_seen holds a seen string's number + 1");
_Static_assert(RESTORED_MADE_ROOM % 8 == 0 && REGION_READ % 8 == 0,
               "the people room after the region is aligned as a room's places are");

/* Where a vector's records went, when they were on the stage (see Moved). */
SHORT_PATH void vec_moved(RtVec *v, const Moved *m) {
  uintptr_t at = (uintptr_t)v->v - m->from;
  if ((v->cap & RT_VEC_LENT) && at < m->size) v->v = m->to + at;
}

/* The instance of a restored version 4 state read into the stage (with the host's
 * document, or a document of more fields than LEND_FIELDS: made, or NULL), in one
 * allocation with its slots and records; on failure frees what the state holds. STAGE
 * (STAGED bytes) holds the slots and records read: they go after the instance, and every
 * vector that points into them is moved with them. */
static BpStatus adopt_v4(BpBundle *b, uint16_t proc, BpDoc *doc, BpDoc *made, RtState *s, const char *stage, size_t staged,
                         BpInstance **out, BpError *err) {
  size_t head = room16(sizeof(BpInstance)), size = head + staged;
  char *block = rt_realloc(b->rt, NULL, 0, size);
  if (!block) return no_room(b, made, s, err);
  BpInstance *inst = (BpInstance *)block;
  memset(inst, 0, sizeof *inst);
  /* The stage in one copy; the slots and vectors on it move by as much. */
  Moved r = {(uintptr_t)stage, staged, block + head};
  memcpy(r.to, stage, staged);
  if (s->slots_lent) s->slots = (Value *)(r.to + ((const char *)s->slots - stage));
  vec_moved(&s->threads, &r);
  vec_moved(&s->acts, &r);
  vec_moved(&s->steps, &r);
  vec_moved(&s->timers, &r);
  vec_moved(&s->calls, &r);
  for (uint32_t i = 0; i < s->steps.n; i++) vec_moved(&RT_AT(s->steps, RtStep, i)->people, &r);
  return adopted(inst, size, b, proc, doc, made, s, out);
}

BpStatus bp_instance_restore(BpBundle *b, BpDoc *doc, const uint8_t *bytes, size_t len, BpInstance **out,
                             BpError *err) {
  if (!b || !out || (len && !bytes)) return rt_fail_status(err, BP_EINVAL, "bp_instance_restore: missing argument");
  *out = NULL;
  if (len > BP_MAX_STATE)
    return rt_fail_status(err, BP_EBADDATA, "a saved state of %zu bytes is larger than %u, the limit (BP_MAX_STATE)", len,
                          (unsigned)BP_MAX_STATE);
  if (len >= HEADER && memcmp(bytes, SAVE_MAGIC, 4) == 0) {
    if (bytes[4] == SAVE_VERSION_3) return restore_v3(b, doc, bytes, len, out, err);
    return rt_fail_status(err, BP_EBADDATA, "saved state version %u is not supported (this runtime reads 3 and %u)", bytes[4],
                          SAVE_VERSION);
  }
  if (len < HEADER_4 + TRAILER_4 + 1 || memcmp(bytes, SAVE_MAGIC_4, 2) != 0)
    return rt_fail_status(err, BP_EBADDATA, "these are not the saved bytes of an instance");
  if (bytes[2] != SAVE_VERSION)
    return rt_fail_status(err, BP_EBADDATA, "saved state version %u is not supported (this runtime reads 3 and %u)", bytes[2],
                          SAVE_VERSION);
  if (get_u32_at(bytes + len - TRAILER_4) != bpt_crc32c_with(b->save->crc_insn, 0, bytes, len - TRAILER_4))
    return rt_fail_status(err, BP_EBADDATA, "the saved state is damaged (checksum mismatch)");
  if (get_u32_at(bytes + 3) != b->b.crc)
    return rt_fail_status(err, BP_EBADDATA, "the state was saved with another bundle (checksum %08x, this one is %08x)",
                          get_u32_at(bytes + 3), b->b.crc);
  BpRuntime *rt = b->rt;
  Io in;
  io_start(&in);
  in.rt = rt;
  in.reading = true;
  in.b = b;
  in.at = bytes + HEADER_4;
  in.end = bytes + len - TRAILER_4;
  uint64_t proc = get_uv(&in);
  if (in.bad || proc >= b->b.nprocesses)
    return rt_fail_status(err, BP_EBADDATA, "the saved state names a process that is not there");
  const BptProcess *p = in.p = &b->b.processes[proc];
  if (doc && doc->doctype != p->doctype)
    return rt_fail_status(err, BP_EINVAL, "the document is of another type than the process's");
  uint16_t nfields = p->doctype == BPT_NONE16 ? 0 : (uint16_t)b->b.doctypes[p->doctype].nfields;
  /* Without the host's document, and with a few fields (LEND_FIELDS), the document is
   * made now with the instance's block in its room (region_guess), and the fields, slots,
   * records and texts are read straight into them: nothing is moved after. Else the
   * fields go into a new document made now (more of them), or, with the host's document,
   * into an allocation of their own (read and dropped); the slots and records into the
   * stage on the stack, the texts allocated, and adopt_v4 moves them. Without the host's
   * document, the fields not written are then set as in a new document. */
  BpDoc *made = NULL;
  Value *fields = NULL;
  Value fields_few[LEND_FIELDS]; /* (the host's document: read and dropped) */
  char *block = NULL;
  size_t head = room16(sizeof(BpInstance)), slots_bytes = rt_values_bytes(p->nslots), size = 0;
  RtState s = {.state = BPT_NONE16, .nslots = p->nslots};
  _Alignas(16) char stage[STAGE_BYTES];
  in.recs = &in.stage;
  if (!doc && nfields <= LEND_FIELDS) {
    size_t region = region_guess(slots_bytes, len);
    size = head + region + RT_PEOPLE_ROOM * sizeof(RtPerson);
    /* Cleared: the instance and its slots (all VOID); the rest is written before it is read. */
    if (!(made = rt_doc_blank_room_cleared(b, p->doctype, size, head + slots_bytes)))
      return rt_fail_status(err, BP_ENOMEM, "out of memory");
    block = made->room;
    made->room = NULL; /* taken: no start may take it again */
    fields = made->fields;
    s.slots = (Value *)(block + head);
    s.slots_lent = true;
    in.room = (RtRoom){block + head + slots_bytes, region - slots_bytes};
    in.recs = &in.room;
  } else {
    if (!doc) {
      if (!(made = rt_doc_blank(b, p->doctype))) return rt_fail_status(err, BP_ENOMEM, "out of memory");
      fields = made->fields;
    } else if (nfields <= LEND_FIELDS) {
      memset(fields_few, 0, rt_values_bytes(nfields));
      fields = fields_few;
    } else {
      fields = rt_alloc(rt, rt_values_bytes(nfields));
    }
    /* The slots and records are read into the stage (adopt_v4 moves them). */
    in.stage = (RtRoom){stage, sizeof stage};
    if ((s.slots = rt_room_take(&in.stage, slots_bytes)) != NULL) {
      memset(s.slots, 0, slots_bytes);
      s.slots_lent = true;
    } else {
      s.slots = rt_alloc(rt, slots_bytes);
    }
  }
  in.s = &s;
  bool ok = (fields && s.slots) || out_of_memory(&in);
  ok = ok && v4_state_read(&in, &s, fields, nfields) && check_state(&in, &b->procs[proc], &s, true);
  if (ok && io_left(&in) != 0) ok = bad(&in, "%zu bytes are left over", io_left(&in));
  /* The fields not written are as in a new document (a written one is never VOID). */
  for (uint16_t i = 0; ok && !doc && i < nfields; i++)
    if (fields[i].type == BPT_T_VOID) fields[i] = b->doc_initial[p->doctype][i]; /* (uncounted) */
  if (doc && fields) {
    rt_unref_all(rt, fields, nfields);
    if (fields != fields_few) rt_dealloc(rt, fields, rt_values_bytes(nfields));
  }
  if (!ok) {
    rt_state_free(rt, &s); /* (first: its records may be in the document's block) */
    if (made) bp_doc_release(made);
    if (in.nomem) return rt_fail_status(err, BP_ENOMEM, "out of memory");
    return rt_fail_status(err, BP_EBADDATA, "the saved state is not valid: %s", in.why);
  }
  if (block) {
    /* Read in place: what is left of the region is the room for what the instance's events
     * make, and the people room comes after it. */
    BpInstance *inst = (BpInstance *)block;
    inst->in_doc = true; /* (the rest of it is cleared) */
    made->made = in.room;
    inst->people_room = (RtPerson *)(block + size - RT_PEOPLE_ROOM * sizeof(RtPerson));
    return adopted(inst, size, b, (uint16_t)proc, NULL, made, &s, out);
  }
  return adopt_v4(b, (uint16_t)proc, doc, made, &s, stage, (size_t)(in.stage.at - stage), out, err);
}

/* Version 3 (20-byte header: magic, version, flags, u16 process, u32 bundle crc, u32 payload
 * size, u32 payload crc; then io_state's payload) still restores. */
static BpStatus restore_v3(BpBundle *b, BpDoc *doc, const uint8_t *bytes, size_t len, BpInstance **out, BpError *err) {
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
  Io in = {.rt = rt, .reading = true, .b = b, .p = p, .at = bytes + HEADER, .end = bytes + len};
  in.recs = &in.stage; /* (left 0: io_vec allocates each vector) */
  RtState s = {.state = BPT_NONE16, .nslots = p->nslots};
  Value *fields = rt_alloc(rt, rt_values_bytes(nfields));
  s.slots = rt_alloc(rt, rt_values_bytes(p->nslots));
  bool ok = (fields && s.slots) || out_of_memory(&in);
  ok = ok && io_state(&in, &s, fields, nfields) && check_state(&in, &b->procs[proc], &s, false);
  if (ok && io_left(&in) != 0) ok = bad(&in, "%zu bytes are left over", io_left(&in));
  BpDoc *made = NULL;
  BpStatus st = BP_OK;
  if (ok && !doc) {
    const char *dt = p->doctype == BPT_NONE16 ? "" : rt_string(b, b->b.doctypes[p->doctype].name);
    st = bp_doc_new(b, dt, NULL, 0, &made, err);
    for (uint16_t i = 0; st == BP_OK && i < nfields; i++) {
      rt_unref(rt, made->fields[i]);
      made->fields[i] = fields[i];
      fields[i] = (Value){0};
    }
  }
  if (fields) {
    rt_unref_all(rt, fields, nfields);
    rt_dealloc(rt, fields, rt_values_bytes(nfields));
  }
  if (!ok || st != BP_OK) {
    rt_state_free(rt, &s);
    if (st != BP_OK) return st;
    if (in.nomem) return rt_fail_status(err, BP_ENOMEM, "out of memory");
    return rt_fail_status(err, BP_EBADDATA, "the saved state is not valid: %s", in.why);
  }
  return adopt(b, proc, doc, made, &s, out, err);
}
