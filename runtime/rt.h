/* rt.h — the insides of libbprt, shared by its modules (prefix rt_):
 *
 *   rt_api.c     the public functions of bp.h: runtime, bundles, documents, queries
 *   rt_event.c   events: the entry points that move an instance on (bp_start, bp_decide,
 *                bp_complete, bp_command, bp_advance, bp_answer, bp_fail, bp_terminate),
 *                each a transaction, and the host's callbacks after it commits
 *   rt_step.c    human steps: approvals, votes, tasks, reviews, requests; their people,
 *                outcomes and results; reminders, due times, timeouts and the timers
 *   rt_vm.c      the interpreter: threads, fork activations, states, effects and journal
 *                lines, the operand stack and the dispatch loop
 *   rt_save.c    an instance to bytes and back
 *   rt_parse.c   text to values (bp_value_parse)
 *   rt_value.c   values: counted strings, lists and records; decimals; dates; text;
 *                operators and built-in functions
 *
 * The layers call downwards: rt_api.c and rt_save.c use the events and the values; an
 * event (rt_event.c) finds its item among the steps and runs the interpreter; the
 * interpreter opens steps (STEP) and runs their handlers, and a step that is over readies
 * its thread. rt_event.c, rt_step.c and rt_vm.c share rt_vm.h (the transaction, Tx, and
 * the effects it collects); every other module sees only this header.
 *
 * Values. A Value is 16 bytes: a type code (the bundle's BPT_T_*), and a payload — an
 * integer (int, decimal unscaled, bool, date, datetime, duration) or a pointer to an
 * immutable heap object (a string or user, a list, a result record). Objects are
 * reference-counted; those made from a bundle's constants are immortal (never counted,
 * so threads may share them). A slot that holds nothing has type VOID.
 *
 * Events are transactions. An event changes the instance's own state (RtState) in place,
 * after keeping a snapshot of it in its transaction's storage (rt_vm.h's Tx: the slots and
 * records copied; the slots' values shared until the event first writes the slot, which
 * hands the old value to the snapshot (Tx.written), the records' counted; each step's
 * people stay the instance's, borrowed by the working state: a decision changes its one
 * person in place and logs the old record,
 * rt_vm.h's RtUndo), and collects what the host must be told (effects) on the side. If it
 * succeeds the snapshot is let go and the effects are delivered; if memory runs out, or
 * the event is refused, the snapshot is put back, the effects are dropped, the logged
 * people are put back, and the instance is exactly as it was. A decision that does not
 * settle its step takes no snapshot: it changes only its person and the step's counts,
 * and logs both (rt_event.c's TX_LAZY). */
#ifndef RT_H
#define RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bp.h"
#include "bpt.h"
#include "bpt_time.h"

/* A function on a path every event or every saved byte takes: inline always, where the
 * compiler's own choice has flipped with unrelated edits and cost a call each time. */
#define SHORT_PATH static inline __attribute__((always_inline))

#define RT_IMMORTAL UINT32_MAX
#define BPT_T_USERS (BPT_T_LIST | BPT_T_USER)
#define RT_NO_TIME INT64_MIN

typedef struct RtStr RtStr;
typedef struct RtList RtList;
typedef struct RtRec RtRec;
typedef struct RtRoom RtRoom; /* (below) */

typedef struct Value {
  uint8_t type;  /* BPT_T_*; VOID: nothing */
  uint8_t unset; /* DATE, DATETIME: no value given */
  uint8_t scale; /* DECIMAL */
  union {
    int64_t i;
    RtStr *s; /* STRING, USER */
    RtList *l; /* BPT_T_LIST | elem */
    RtRec *r;  /* *_RESULT */
  } u;
} Value;

struct RtStr {
  uint32_t ref;
  uint32_t len;
  char s[]; /* len bytes and a NUL */
};
struct RtList {
  uint32_t ref;
  uint32_t n;
  Value items[];
};
struct RtRec {
  uint32_t ref;
  uint32_t n;
  Value m[];
};

/* Whether a value of each type byte is an object (counted, or immortal): a string, a user,
 * a list or a result record (rt_value.c). A constant table, since every reference taken or
 * dropped asks: one load where four comparisons were. */
extern const uint8_t rt_obj_types[256];
static inline bool rt_is_obj(uint8_t type) { return rt_obj_types[type] != 0; }
static inline bool rt_is_list(uint8_t type) { return (type & BPT_T_LIST) != 0; }
static inline bool rt_is_record(uint8_t type) {
  return type >= BPT_T_TASK_RESULT && type <= BPT_T_REQUEST_RESULT;
}
/* Bytes of an array of n values (never 0: the allocator is asked for at least one). */
static inline size_t rt_values_bytes(uint32_t n) { return (n ? n : 1) * sizeof(Value); }
static inline Value rt_int(int64_t i) { return (Value){.type = BPT_T_INT, .u.i = i}; }
static inline Value rt_bool(bool b) { return (Value){.type = BPT_T_BOOL, .u.i = b}; }

/* ---- errors inside the runtime ------------------------------------------------------ */

/* What an operation came to: fine, out of memory (the event is dropped), or an error of
 * the program (the instance fails with the message). */
typedef enum RtCode { RT_OK = 0, RT_NOMEM, RT_ERROR } RtCode;
typedef struct RtErr {
  RtCode code;
  char msg[224];
} RtErr;
RtCode rt_error(RtErr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* No error yet, as `RtErr e = {0}` reads, without clearing its 224 bytes of message:
 * for the error records made for every instruction of a kind (text, users). */
#define RT_ERR_NONE(e) ((e).code = RT_OK, (e).msg[0] = '\0')
RtCode rt_nomem(RtErr *e);

/* ---- memory ---------------------------------------------------------------------------- */

void *rt_alloc(BpRuntime *rt, size_t size); /* zeroed; NULL when out of memory */
void *rt_realloc(BpRuntime *rt, void *p, size_t old_size, size_t new_size);
void rt_dealloc(BpRuntime *rt, void *p, size_t size);

/* A growable array of fixed-size elements. */
typedef struct RtVec {
  void *v;
  uint32_t n, cap;
} RtVec;
/* A vector may start in storage lent to it (a buffer in a transaction, RT_VEC_LENT set in
 * cap): it grows by copying its elements into an allocation of its own, and freeing it
 * gives back only such an allocation. The owner of the storage must outlive the vector. */
#define RT_VEC_LENT 0x80000000u
static inline RtVec rt_vec_lent(void *storage, uint32_t cap) { return (RtVec){storage, 0, cap | RT_VEC_LENT}; }
void *rt_vec_push_grow(BpRuntime *rt, RtVec *vec, size_t sz);
/* Room for one more element of size sz; returns it (zeroed) or NULL. A vector with room
 * is written inline (sz is a constant at every call: the clearing is a few stores);
 * rt_vec_push_grow makes room first. */
static inline void *rt_vec_push(BpRuntime *rt, RtVec *vec, size_t sz) {
  if (vec->n == (vec->cap & ~RT_VEC_LENT)) return rt_vec_push_grow(rt, vec, sz);
  char *slot = (char *)vec->v + (size_t)vec->n++ * sz;
  memset(slot, 0, sz);
  return slot;
}
/* As rt_vec_push, but the element is not cleared when the vector has room: for a caller
 * that writes the whole of it at once (a compound literal) before anything reads it. */
static inline void *rt_vec_push_unset(BpRuntime *rt, RtVec *vec, size_t sz) {
  if (vec->n == (vec->cap & ~RT_VEC_LENT)) return rt_vec_push_grow(rt, vec, sz);
  return (char *)vec->v + (size_t)vec->n++ * sz;
}
/* Room for MORE elements past those there, in one allocation (at least twice the room
 * there was, as growing by rt_vec_push would): for a caller that knows how many it will
 * push, so that hundreds are not copied at each doubling. False when out of memory (the
 * vector as it was). */
bool rt_vec_reserve(BpRuntime *rt, RtVec *vec, size_t sz, uint32_t more);
void rt_vec_remove(RtVec *vec, size_t sz, uint32_t i); /* keeps the order */
void rt_vec_free_owned(BpRuntime *rt, RtVec *vec, size_t sz);
/* Frees vec's own allocation (none for lent storage or an empty vector: most of the
 * vectors an event lets go, so that test is inline) and empties it. */
static inline void rt_vec_free(BpRuntime *rt, RtVec *vec, size_t sz) {
  if (vec->v && !(vec->cap & RT_VEC_LENT)) rt_vec_free_owned(rt, vec, sz);
  *vec = (RtVec){0};
}
#define RT_AT(vec, T, i) (&((T *)(vec).v)[i])

/* A growing string. */
typedef struct RtBuf {
  char *s;
  size_t len, cap;
  bool nomem;
  bool unbounded; /* bytes, not a text value (a saved state): BP_MAX_STRING does not apply */
  bool toolong;   /* a put would have passed BP_MAX_STRING: dropped, the text is cut */
  bool lent;      /* s is storage lent by the caller (rt_buf_on): growing copies it out */
} RtBuf;
enum { RT_BUF_ROOM = 256 }; /* the stack storage the runtime lends its text buffers */
/* A buffer that starts in the caller's storage (on its stack): a text that fits needs no
 * allocation. Only for a buffer whose text is copied out (rt_buf_value) or dropped. */
static inline RtBuf rt_buf_on(char *storage, size_t cap) {
  storage[0] = '\0';
  return (RtBuf){.s = storage, .cap = cap, .lent = true};
}
void rt_buf_put(BpRuntime *rt, RtBuf *b, const char *s, size_t n);
/* The text of b as a value of type `type`; frees b. RT_ERROR when it passed BP_MAX_STRING. */
RtCode rt_buf_value(BpRuntime *rt, RtBuf *b, uint8_t type, Value *out, RtErr *e);
RtCode rt_too_long(RtErr *e);
/* RT_ERROR naming BP_MAX_USERS when the list of users (already each person once) is longer. */
RtCode rt_users_bounded(const Value *list, RtErr *e);
void rt_buf_puts(BpRuntime *rt, RtBuf *b, const char *s);
void rt_buf_printf(BpRuntime *rt, RtBuf *b, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rt_buf_free(BpRuntime *rt, RtBuf *b);

/* ---- values (rt_value.c) ------------------------------------------------------------------ */

/* Counting references: a scalar (an int, a date...) has none, and the test for it is
 * inline, so copying and dropping scalars (most of what the interpreter moves) calls
 * nothing. */
void rt_ref_obj(Value v);
void rt_unref_obj(BpRuntime *rt, Value v);
static inline uint32_t *rt_obj_count(Value v) { /* v is an object: its count */
  if (v.type == BPT_T_STRING || v.type == BPT_T_USER) return &v.u.s->ref;
  if (v.type & BPT_T_LIST) return &v.u.l->ref;
  return &v.u.r->ref;
}
/* The count is written inline (the interpreter's fast loop calls rt_ref_obj instead,
 * which keeps that loop small). */
static inline void rt_ref(Value v) {
  if (rt_is_obj(v.type) && v.u.s) {
    uint32_t *r = rt_obj_count(v);
    if (*r != RT_IMMORTAL) (*r)++;
  }
}
/* Counting down an object that others still hold (or an immortal one) is written inline:
 * most of what an event lets go is held elsewhere too; the last reference calls
 * rt_unref_obj, which frees the object. */
/* Whether v holds nothing counted: a scalar, a NULL object or an immortal one. */
static inline bool rt_uncounted(Value v) { return !rt_is_obj(v.type) || !v.u.s || *rt_obj_count(v) == RT_IMMORTAL; }
static inline void rt_unref(BpRuntime *rt, Value v) {
  if (!rt_is_obj(v.type)) return;
  if (v.u.s) {
    uint32_t *r = rt_obj_count(v);
    if (*r == RT_IMMORTAL) return;
    if (*r > 1) {
      (*r)--;
      return;
    }
  }
  rt_unref_obj(rt, v);
}
void rt_unref_all(BpRuntime *rt, Value *v, size_t n);
/* rt_unref_all without the call, for a few values most of which are held elsewhere or
 * immortal (an instance's slots, a start's parameters, a document's fields). */
static inline void rt_unref_each(BpRuntime *rt, const Value *v, size_t n) {
  for (size_t i = 0; i < n; i++) rt_unref(rt, v[i]);
}
/* An int in decimal, as "%lld" writes it, into OUT (20 bytes at least): its length. */
size_t rt_format_int(int64_t i, char *out);
/* New objects; false when out of memory. Lists and records start filled with VOID. */
bool rt_str_new(BpRuntime *rt, const char *s, size_t len, uint8_t type, Value *out);
bool rt_list_new(BpRuntime *rt, uint8_t type, uint32_t n, Value *out);
bool rt_rec_new(BpRuntime *rt, uint8_t type, uint32_t n, Value *out);
size_t rt_obj_size(Value v); /* bytes of v's object */
/* LIST (of n items, the first k of them set) becomes a list of exactly k items: an
 * object's size is its item count, so a list never shrinks in place. */
bool rt_list_shrink(BpRuntime *rt, Value *list, uint32_t k);
/* Adds user x (its reference taken over) to the first *k items of list, unless it is
 * there already: a person counts once. Linear in *k: for a few users. */
void rt_users_add_once(BpRuntime *rt, Value list, uint32_t *k, Value x);
/* The first k items of *list (users; the rest VOID) each once, in the order of their first
 * place, and *list cut to them: linear expected time (a hash table), n log n at most. False
 * when out of memory (*list is whole). */
bool rt_users_unique(BpRuntime *rt, Value *list, uint32_t k);
/* Sorts a[0..n) by cmp (negative, 0, positive, as strcmp) in n log n, allocating nothing. */
typedef int RtCompare(const void *ctx, uint32_t a, uint32_t b);
void rt_sort(uint32_t *a, uint32_t n, RtCompare *cmp, const void *ctx);
/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool rt_valid_utf8(const char *s, size_t len);
/* Whether the len bytes at p (at most 16) are all ASCII: two loads that may overlap, of 8,
 * 4 or 1 bytes each. The texts of a host and of a saved state are mostly short names in
 * ASCII, for which a call of rt_valid_utf8 costs more than this check. */
static inline bool rt_short_ascii(const char *p, size_t len) {
  uint64_t a = 0, b = 0;
  if (len >= 8) {
    memcpy(&a, p, 8), memcpy(&b, p + len - 8, 8);
  } else if (len >= 4) {
    uint32_t x, y;
    memcpy(&x, p, 4), memcpy(&y, p + len - 4, 4);
    a = x, b = y;
  } else if (len) {
    a = (uint8_t)p[0], b = (uint64_t)(uint8_t)p[len / 2] << 8 | (uint8_t)p[len - 1];
  }
  return ((a | b) & 0x8080808080808080u) == 0;
}
/* Whether the len bytes at s are valid UTF-8: a short text in ASCII by rt_short_ascii's
 * loads, anything else by rt_valid_utf8. */
static inline bool rt_text_valid(const char *s, size_t len) {
  return (len <= 16 && rt_short_ascii(s, len)) || rt_valid_utf8(s, len);
}
/* Makes the object of v immortal (a bundle's constant), with everything in it. */
void rt_make_immortal(Value v);
void rt_free_immortal(BpRuntime *rt, Value v);

/* The members of the result records, in MEMBER order (bpt.h): how many (0 for a type
 * that is not a record; inline, since every step that closes asks), their names and types
 * (rt_value.c's tables). */
static inline uint8_t rt_record_size(uint8_t type) {
  switch (type) {
  case BPT_T_TASK_RESULT: return 4;
  case BPT_T_APPROVE_RESULT: return 9;
  case BPT_T_REVIEW_RESULT:
  case BPT_T_REQUEST_RESULT: return 3;
  default: return 0;
  }
}
const char *rt_record_member(uint8_t type, uint32_t m);
uint8_t rt_record_member_type(uint8_t type, uint32_t m);

bool rt_equal(Value a, Value b);
/* Whether two texts (strings or users) are equal, inline: the checks that a list of users
 * names each person once compare every pair. The same object is equal; two texts of one
 * length are compared from their last byte (names of one pattern, "v1", "v2", differ
 * there), then whole. */
static inline bool rt_text_equal(const RtStr *x, const RtStr *y) {
  if (x == y) return true;
  if (x->len != y->len) return false;
  return x->len == 0 || (x->s[x->len - 1] == y->s[x->len - 1] && memcmp(x->s, y->s, x->len) == 0);
}
/* FNV-1a over the LEN bytes at S (users are short names or ids). The host chooses the users
 * and can make their hashes collide, so a table over them bounds its probes
 * (rt_users_unique, rt_people_index). */
static inline uint32_t rt_text_hash(const char *s, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}
/* The characters of a text (valid UTF-8): len() of a string or a user. */
size_t rt_text_chars(const RtStr *s);
/* trim() of a string: false when out of memory (*out untouched). */
bool rt_text_trim(BpRuntime *rt, RtRoom *room, Value s, Value *out);
/* substr(s, from, count) and a + b of two strings, as rt_builtin and rt_binop make them.
 * With ROOM, trim's, substr's and concat's new texts go there, immortal, while they fit
 * (RtRoom; the interpreter's: its instance's document's BpDoc.made); else, and without
 * it, they are allocated. */
RtCode rt_text_substr(BpRuntime *rt, RtRoom *room, const RtStr *s, int64_t from, int64_t count, Value *out, RtErr *e);
RtCode rt_text_concat(BpRuntime *rt, RtRoom *room, const RtStr *a, const RtStr *b, Value *out, RtErr *e);
/* strcmp(a, b) == 0 without a call, for short names (of fields, parameters, people) that
 * mostly differ in their first bytes. */
static inline bool rt_name_equal(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}
/* Whether the users of L are each there once, for a few of them (RT_USERS_FEW; more are
 * left to the general path): every pair compared. */
enum { RT_USERS_FEW = 16 };
static inline bool rt_users_once(const RtList *l) {
  if (l->n > RT_USERS_FEW) return false;
  for (uint32_t i = 1; i < l->n; i++)
    for (uint32_t j = 0; j < i; j++)
      if (rt_text_equal(l->items[j].u.s, l->items[i].u.s)) return false;
  return true;
}
/* Whether the users of L (each a user) are known to be there once each, L unchanged:
 * up to RT_USERS_FEW compared pair by pair (rt_users_once), up to 341 looked up in a hash
 * table on the stack as rt_users_unique does (so a list rt_users_unique made, the host's
 * voters, is passed by USERS and a step's people as it is, not made each once again).
 * False means "not known": a longer list, a person twice, or users whose hashes collide
 * (the probes past 8 a user on average); the caller then makes the list each once. */
bool rt_users_distinct_many(const RtList *l); /* (more than RT_USERS_FEW) */
static inline bool rt_users_distinct(const RtList *l) {
  return l->n <= RT_USERS_FEW ? rt_users_once(l) : rt_users_distinct_many(l);
}
/* Converts v to type want where the language does it implicitly (int -> decimal,
 * user -> users, [] -> any list), or checks that it is already of that type. The
 * result holds its own reference. RT_ERROR: the types do not fit. */
RtCode rt_convert(BpRuntime *rt, Value v, uint8_t want, Value *out, RtErr *e);
/* The empty value of a declared type: 0, 0.00, false, unset date (strings, users and lists
 * are objects: the caller makes the empty ones). */
Value rt_empty(uint8_t type);

RtCode rt_binop(BpRuntime *rt, BpOp op, Value a, Value b, Value *out, RtErr *e);
RtCode rt_unop(BpRuntime *rt, BpOp op, Value a, Value *out, RtErr *e);
/* The text of v as "{v}" shows it, appended to buf. RT_ERROR for an unset date. */
RtCode rt_text(BpRuntime *rt, RtBuf *buf, Value v, RtErr *e);

/* Built-in function b (builtins.def) on n arguments. now: the event's time (seconds). */
RtCode rt_builtin(BpRuntime *rt, unsigned b, const Value *args, unsigned n, int64_t now,
                  Value *out, RtErr *e);

/* Whether v, a DATE (days) or DATETIME (minutes), is of the years 1 to 9999: date
 * arithmetic, the clock, parsing and host values refuse any other. */
bool rt_date_in_range(uint8_t type, int64_t v);
/* Dates and datetimes (parsing, text, the calendar) are bpt_time.h's. The text of
 * numbers, NUL-terminated and cut to size; each returns the full length (rt_text and
 * bp_value_format both use them). */
size_t rt_format_duration(int64_t seconds, char *buf, size_t size);
size_t rt_format_decimal(int64_t unscaled, unsigned scale, char *buf, size_t size);
int64_t rt_floor_div(int64_t a, int64_t b); /* rounded toward minus infinity */

/* Public values: a view of v (strings and lists point into v's objects; a list's items
 * are written to *scratch, grown as needed) and a copy into runtime values. */
bool rt_view(BpRuntime *rt, Value v, BpValue *out, RtVec *scratch);
RtCode rt_from_public(BpRuntime *rt, const BpValue *in, Value *out, RtErr *e);
/* Room in a document's own allocation for the host's texts that bp_start stores (in the
 * fields, the parameters): `left` bytes from `at`, 8-byte aligned. An object placed there
 * is immortal (never counted, never freed alone) and goes with the document's allocation.
 * That is safe because no value leaves its document inside the runtime: the instances on
 * it hold a reference to it, a process that one starts runs on the same document, and
 * messages and answers come from the host, converted anew; the host sees such an object
 * only through views, which end with the document at the latest. Immortal objects are
 * only read, so the instances sharing the document may use them from any thread, one at
 * a time, as bp.h requires. It saves the host's few short texts an allocation each. */
typedef struct RtRoom {
  char *at;
  size_t left;
} RtRoom;
/* N bytes as a room takes them: rounded up to 8, the alignment of what it holds. */
static inline size_t rt_room_bytes(size_t n) { return (n + 7u) & ~(size_t)7u; }
/* rt_room_bytes(n) bytes taken from the room, or NULL when they do not fit. */
static inline void *rt_room_take(RtRoom *room, size_t n) {
  n = rt_room_bytes(n);
  if (n > room->left) return NULL;
  void *p = room->at;
  room->at += n, room->left -= n;
  return p;
}
/* memcpy(d, s, n) of a text's bytes: 4 to 16 of them, a name's or a piece's, by two
 * loads and stores that may overlap, without a call; fewer byte by byte. */
static inline void rt_copy_text(char *d, const char *s, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    memcpy(&a, s, 8), memcpy(&b, s + n - 8, 8);
    memcpy(d, &a, 8), memcpy(d + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    memcpy(&a, s, 4), memcpy(&b, s + n - 4, 4);
    memcpy(d, &a, 4), memcpy(d + n - 4, &b, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; i++) d[i] = s[i];
  } else {
    memcpy(d, s, n);
  }
}
/* Text s (len bytes, already checked) placed in the room as an immortal object of type
 * TYPE into *out; false when it does not fit (the room and *out untouched). A name of 8
 * to 16 bytes, the usual text, is copied by two stores that may overlap, without a call. */
static inline bool rt_room_text(RtRoom *room, const char *s, size_t len, uint8_t type, Value *out) {
  RtStr *p = rt_room_take(room, sizeof *p + len + 1);
  if (!p) return false;
  p->ref = RT_IMMORTAL;
  p->len = (uint32_t)len;
  if (len >= 8 && len <= 16) {
    uint64_t a, b;
    memcpy(&a, s, 8), memcpy(&b, s + len - 8, 8);
    memcpy(p->s, &a, 8), memcpy(p->s + len - 8, &b, 8);
  } else if (len < 8) {
    for (size_t i = 0; i < len; i++) p->s[i] = s[i];
  } else {
    memcpy(p->s, s, len);
  }
  p->s[len] = '\0';
  *out = (Value){.type = type, .u.s = p};
  return true;
}
/* The bytes IN takes in a room (0: it does not go there: not a text, or too large). A
 * text, most of a start's arguments, is worked out inline; a list by rt_room_need_other. */
enum { RT_ROOM_TEXT_MAX = 64 }; /* the longest text a room takes */
static inline size_t rt_room_text_need(const BpValue *in) { /* in: a string or a user */
  size_t len = in->s ? in->len : 0;
  return len <= RT_ROOM_TEXT_MAX ? rt_room_bytes(sizeof(RtStr) + len + 1) : 0;
}
size_t rt_room_need_other(const BpValue *in);
static inline size_t rt_room_need(const BpValue *in) {
  return in->type == BP_T_STRING || in->type == BP_T_USER ? rt_room_text_need(in) : rt_room_need_other(in);
}
/* rt_from_public, with the value placed in *room when it fits there; NEED is
 * rt_room_need(in), which the caller has worked out already (bp_start sums the needs to
 * size the room: it keeps each rather than working it out twice). Without a room the
 * callers call rt_from_public itself: bp_start_at's texts and a document of the host's
 * (`bprun mass`, a row each) do not pay for this function's entry. */
RtCode rt_from_public_in(BpRuntime *rt, RtRoom *room, const BpValue *in, size_t need, Value *out, RtErr *e);
/* rt_from_public_in with its common case inline: the host's short text in ASCII (a string
 * or a user, 16 bytes at most) that fits ROOM (not NULL) is placed there without the call.
 * Anything else, and every error, goes through rt_from_public_in, whose checks and messages
 * it keeps: what this passes, text_check would pass too (valid UTF-8, far below the limit). */
SHORT_PATH RtCode rt_from_public_room(BpRuntime *rt, RtRoom *room, const BpValue *in, size_t need, Value *out,
                                      RtErr *e) {
  if ((in->type == BP_T_STRING || in->type == BP_T_USER) && in->s && in->len <= 16 && need && need <= room->left &&
      rt_short_ascii(in->s, in->len)) {
    rt_room_text(room, in->s, in->len, in->type, out); /* (it fits: need is its size) */
    return RT_OK;
  }
  return rt_from_public_in(rt, room, in, need, out, e);
}
/* A host's value for document field f, converted as bp_start stores it: its own
 * reference in *out, or bp_start's error (rt_api.c; also bp_start_at's). */
BpStatus rt_field_value(BpBundle *b, const BptField *f, const BpValue *in, Value *out, BpError *err);
/* The process named NAME (rt_api.c). */
bool rt_process_by_name(const BpBundle *b, const char *name, uint16_t *out);
/* A host's start argument A, if it names a parameter of P: its value checked into
 * params[k] (replacing one given before; a failure in *st, with bp_start's message)
 * and true; false when it names none (rt_api.c; also bp_start_at's). With a room, NEED
 * is rt_room_need(&a->value) (rt_from_public_in). */
bool rt_start_param(BpBundle *b, const BptProcess *p, const BpArg *a, RtRoom *room, size_t need, Value *params,
                    BpStatus *st, BpError *err);
/* A public value owned by the caller (freed by bp_value_free). */
bool rt_to_owned(BpRuntime *rt, Value v, BpValue *out);


/* ---- runtime, bundles, documents, instances --------------------------------------------- */

struct BpRuntime {
  BpConfig cfg;
};

/* The bundle's string constants indexed for saving (rt_save.c). */
typedef struct RtSaveIndex RtSaveIndex;
bool rt_save_index_new(BpBundle *b); /* false when out of memory (b->save may be half made) */
void rt_save_index_free(BpBundle *b);

/* The fast form of one instruction (RtProc.ops, made at load from RtProc.insns): what the
 * interpreter's inner loop needs of the instructions it runs without the general path
 * (CONST, LOAD, STORE, LOAD_FIELD, MEMBER, NOT, arithmetic and comparison, IN, CALL of a
 * built-in other than open_items, open_users and role, USERS 1, TEXT, LOG, STORE_FIELD,
 * ITER_START, ITER_NEXT, JUMP, JUMP_IF_FALSE, JUMP_IF_SET, and three sequences of them fused, below),
 * in 16 bytes. Any other
 * instruction has op RT_OP_SLOW and runs on the general path, which reads its BptInsn,
 * as does the entry after the last instruction (pc = code_size) and a jump whose target
 * is not an instruction. `len` is how many instructions run from here to the end of the
 * straight run this one is in (up to and including its jump, or up to the next slow
 * instruction; 0 for a slow one): the budget is charged once for them all. */
enum {
  /* Three instructions in a row run as one, from their first RtOp (the next ones keep
   * their own forms, for jumps into them); the kind of the comparison or arithmetic is
   * in `type`, the other operands in the RtOps that follow:
   *   RT_OP_CMP_JUMP        LOAD a, LOAD b, EQ..GE, JUMP_IF_FALSE (a loop's test)
   *   RT_OP_SLOT_ARITH      LOAD a, CONST k, ADD..MOD: pushes the result
   *   RT_OP_SLOT_ADD_STORE  LOAD a, CONST k, ADD, STORE b (a counter) */
  RT_OP_CMP_JUMP = 0xF0, RT_OP_SLOT_ARITH, RT_OP_SLOT_ADD_STORE,
  RT_OP_SLOW = 0xFF
};
typedef struct RtOp {
  uint8_t op;     /* BptOp, or RT_OP_* */
  uint8_t type;   /* STORE, ITER_NEXT: the slot's declared type; STORE_FIELD: the field's;
                     CALL: the number of arguments; fused: the BptOp compared or computed */
  uint8_t any;    /* STORE, ITER_NEXT: a hidden slot, which holds any type; TEXT: NOTIFY is next */
  uint8_t pad;
  uint32_t a;     /* CONST: constant; LOAD, STORE, ITER_START: slot; LOAD_FIELD, STORE_FIELD:
                     field; CALL: built-in; TEXT: pieces; jumps and ITER_NEXT: the target's
                     index (the slots of ITER_NEXT and JUMP_IF_SET are read from their BptInsn) */
  uint32_t len;
  uint32_t pc;
} RtOp;

/* What loading adds to a bundle for the interpreter. */
/* A name that bp_start matches a host's argument against (RtProc.names): a parameter's
 * (index: its k in BptProcess.params) or a field's of the process's document. */
typedef struct RtName {
  const char *s;
  uint16_t index;
  char first; /* s[0]: most names differ there, so it is compared first, without a load of s */
  bool field;
  uint16_t len; /* strlen(s), in the padding: the rest compared to a known end */
} RtName;

typedef struct RtProc {
  /* The parameters' names in their order, then the document's fields' in theirs: the
   * first that equals an argument's name is the one bp_start's lookup by parameters and
   * then fields finds, without going through the bundle's string table for each. */
  RtName *names;      /* nnames of them (below, beside ninsns: no padding, and RtProc stays
                         96 bytes, which the many b->procs[i] multiply by without an imul) */
  uint8_t *resume;    /* bit per pc: a waiting thread may rest here */
  uint32_t *line_node; /* per entry of the process's LINES range: the graph node placed at
                          that line and column (BPT_NO_PC: none), for the journal */
  BpField **fields;   /* per step: its request fields for BpItem (NULL if none) */
  /* The process's code decoded once, at load (the verifier has checked it): insns[k] is
   * its k-th instruction, and insn_at[pc] the k of the instruction starting at pc
   * (UINT32_MAX inside one). The interpreter reads these instead of decoding operands
   * again for every instruction it runs. */
  BptInsn *insns;
  uint32_t *insn_at;   /* code_size entries */
  uint32_t nnames;
  uint32_t ninsns;
  RtOp *ops;           /* ninsns + 1 entries: the interpreter's fast form (RtOp, above) */
  const char *title;
  /* What a started instance's allocation holds after its slots (rt_start_ex), sized at load
   * to what the process can use (rt_api.c's plan_rooms): room_each threads, then as
   * many steps and as many timers, then RT_PEOPLE_ROOM people (steps_at, timers_at and
   * people_at bytes after the slots); inst_size bytes in all. A room that is short costs
   * an allocation, never a wrong result: a vector grows out of it. */
  uint32_t inst_size;
  uint16_t steps_at, timers_at, people_at;
  uint8_t room_each;
  /* The values a start gives its slots before anything runs, in BpBundle.initial: a
   * variable empty as fields are ("", 0, an unset date, the empty list), every other slot
   * VOID (a result record until its step closes, a parameter until the start sets it).
   * rt_values_bytes(nslots) of them, as many as the start's block has room for (one VOID
   * for none), copied whole instead of worked out slot by slot at every start. */
  const Value *slots_initial;
} RtProc;

struct BpBundle {
  BpRuntime *rt;
  uint8_t *bytes;
  size_t len;
  BptBundle b;
  Value *consts;      /* b.nconsts, immortal */
  /* The empty text and the empty list, immortal, made once at load: a variable, field,
   * result member or message that starts empty shares them instead of allocating its
   * own (rt_empty_text, rt_empty_list). */
  Value empty_text, empty_list;
  RtProc *procs;      /* b.nprocesses */
  BpField *field_mem; /* every BpField of every request step */
  size_t nfield_mem;
  RtSaveIndex *save;  /* rt_save.c */
  /* Made once at load, none of them counted (nothing to take or let go): each document
   * type's fields as a new document has them (the default, or the empty
   * value of the field's type), then each process's slots as a start gives them
   * (RtProc.slots_initial). doc_initial[dt] is document type dt's first, in `initial`. */
  Value *initial;
  size_t ninitial;
  const Value **doc_initial; /* b.ndoctypes */
};

/* The empty text as a STRING or USER, and the empty list as any list type: b's shared,
 * immortal objects (no allocation, nothing to free). */
static inline Value rt_empty_text(const BpBundle *b, uint8_t type) {
  Value v = b->empty_text;
  v.type = type;
  return v;
}
static inline Value rt_empty_list(const BpBundle *b, uint8_t type) {
  Value v = b->empty_list;
  v.type = type;
  return v;
}

static inline const char *rt_string(const BpBundle *b, uint32_t z) {
  return z < b->b.nstrings ? b->b.strings[z].data : "";
}
/* The id of graph node NODE, or "" for none. */
static inline const char *rt_node_id(const BpBundle *b, uint32_t node) {
  return node < b->b.nnodes ? rt_string(b, b->b.nodes[node].id) : "";
}

/* The members are ordered, and the rooms' sizes are 32 bits, so that the document is 80
 * bytes: with a few fields it takes a 16-byte step less of bp_start's allocation. */
/* The most starts on one document nested in each other (a change that starts a process that
 * changes a field that starts another, a `start` in a started process's first run): more
 * is a loop between processes, cut and journalled. */
enum { MAX_START_CHAIN = 8 };
struct BpDoc {
  BpBundle *b;
  Value *fields;
  uint16_t doctype; /* BPT_NONE16: none */
  uint16_t nfields;
  uint32_t refs;
  uint8_t trigger_depth; /* starts under way on it, triggered or by `start` (at most MAX_START_CHAIN) */
  RtVec scratch;         /* BpValue items of the last bp_doc_get of a list */
  /* A document that bp_start or bp_start_at makes for its instance holds that instance
   * too, after its fields (one allocation for both): `room`, room_size bytes, zeroed,
   * until rt_start_ex takes it (then NULL). Restoring without the host's document makes
   * one so for the restored instance (rt_doc_blank_room_cleared; it takes the room at
   * once). The instance holds a reference to the document, so the document outlives it;
   * the allocation goes when the document does (room_size stays, for the size). */
  void *room;
  uint32_t room_size;
  /* bp_start's and bp_start_at's documents also hold the host's texts that they store
   * (RtRoom), texts_size bytes after the room; they go with the allocation. */
  uint32_t texts_size;
  /* The end of those texts_size bytes (RT_DOC_MADE_ROOM of them in bp_start's document;
   * all of them in bp_start_at's, whose host's texts take their places here too, and which
   * bp_start_at_again hands whole to the next start: rt_doc_texts; in the one restoring
   * makes, what is left of the instance's region, rt_save.c's region_guess; none in others): texts
   * that the instances on the document make (make_text: a step's title, most often; trim,
   * substr and + of strings in the interpreter's loop) and the steps' result records whose
   * members are all uncounted (step_result) are placed there, immortal, while they fit,
   * for the same reason the host's texts are (RtRoom). A place is taken once and never
   * given back, even by an event that is dropped: a text placed there may still be read
   * until the document goes (a nested event's, an effect's being delivered), and nothing
   * tells when it is not. */
  RtRoom made;
};
/* The bytes of bp_start's document for what its instances make (BpDoc.made): the
 * two-stage approval's two step titles and two result records (152 bytes each). */
enum { RT_DOC_MADE_ROOM = 384 };

/* Starts the processes that watch the document: BPT_TRIG_CHANGE ones watching a field
 * whose flag is set in changed[] (one per field), or BPT_TRIG_CREATE ones (changed NULL),
 * when their `when` holds; each goes to config.started. A process does not start on its
 * own changes (skip_proc; -1: none). Starts that cannot happen are journalled with no
 * instance. Returns how many started. */
size_t rt_doc_triggers(BpDoc *doc, uint8_t trigger, const bool *changed, int skip_proc);

/* ---- the state of an instance -------------------------------------------------------------- */

/* W_MESSAGE: the thread rests just after a RECEIVE (its pc is the RECEIVE's + its size,
 * RT_RECEIVE_SIZE) and goes on when the host delivers that message (rt_message.c). */
typedef enum RtWait { W_RUN, W_STEP, W_CALL, W_TIMER, W_MESSAGE } RtWait;
enum { RT_RECEIVE_SIZE = 6 }; /* RECEIVE z n: opcode, u32, u8 */
/* K_AFTER: an `after` handler that fired. It is a token of its own, in no fork activation:
 * neither the step closing nor a race cancels it; leaving the state (goto) does. */
typedef enum RtThreadKind { K_BODY, K_REMIND, K_TIMEOUT, K_STATE, K_AFTER } RtThreadKind;

typedef struct RtThread {
  uint32_t id;
  uint32_t pc;   /* where it goes on */
  uint32_t act;  /* its fork activation (0: none) */
  uint32_t step; /* K_REMIND, K_TIMEOUT: the step it serves; K_AFTER: the thread of the step */
  uint8_t wait;  /* RtWait */
  uint8_t kind;  /* RtThreadKind */
} RtThread;

/* A running `parallel`: the threads of fork group `group` that FORK started. */
typedef struct RtAct {
  uint32_t id;
  uint32_t parent; /* the activation the FORK ran in (0: none) */
  uint16_t group;
  uint8_t race;    /* 0: a parallel; 1: a race; RT_ACT_TRY: a try scope */
  uint16_t arrived;
  /* A try scope: the pc of its TRY (its codes, slot and catch target), and the kind and
   * step of the thread that entered it (the catch goes on as such a thread). */
  uint32_t try_pc;
  uint8_t kind;
  uint32_t step;
} RtAct;
enum { RT_ACT_TRY = 2 };

enum { P_NONE = 0, P_APPROVED, P_REJECTED, P_DONE };

/* One assignee of an open human step. */
typedef struct RtPerson {
  Value user;
  uint32_t item;  /* the open item, 0 once acted or withdrawn */
  uint8_t act;    /* P_* */
  uint32_t order; /* 1, 2, ...: when they acted */
  int64_t at;     /* seconds */
  Value comment;  /* STRING, or VOID */
} RtPerson;

/* S_OVERDUE: the step's due time passed while it stayed open (a soft deadline, an
 * escalation that stopped, or an `on timeout` that only added people). */
enum { S_IN_TIMEOUT = 1, S_HANDLED = 2, S_OVERDUE = 4 };

/* The members are ordered so that no padding comes between them (120 bytes): an instance
 * holds two steps in its own allocation and every event copies its steps to its snapshot. */
typedef struct RtStep {
  uint32_t id;
  uint32_t thread; /* the thread waiting for it */
  uint16_t t;      /* descriptor */
  uint8_t flags;
  /* Only in an event's working state (never saved), bits of RtBorrowed: what the step
   * still shares, without counting references, with its copy in the event's snapshot. */
  uint8_t borrowed;
  uint32_t acted;  /* how many decided / completed */
  Value title;
  int64_t percent; /* mode vote */
  int64_t due;     /* seconds, or RT_NO_TIME */
  RtVec people;    /* RtPerson */
  Value offsets;   /* the reminders: how long before due (a list of durations, VOID if none) */
  uint64_t fired;  /* bit i: reminder i ran (at most 62: STEP's inputs fit the stack) */
  uint32_t timeouts_left; /* runs of `on timeout` left (`on timeout times N`), UINT32_MAX: no end */
  /* How many people approved, rejected, or completed (P_DONE): kept as they act, so a
   * decision does not count every vote again; never saved (restoring counts them). */
  uint32_t approved, rejected, done;
  /* The people by user, for a step of many (rt_people_index): slots of a
   * hash table holding k + 1 for person k (0: empty), index_cap of them (a power of 2),
   * or NULL. Never saved. It belongs with `people`: borrowed, copied, handed over and
   * freed with it, and dropped when a person is added or removed. A cache only: a step
   * without one is searched person by person. */
  uint32_t *index;
  uint32_t index_cap;
} RtStep;

/* RtStep.borrowed. RT_BORROWED_PEOPLE: `people` (and its index) is still the vector the
 * snapshot's step owns; rt_people_own copies it before a change. RT_BORROWED_VALUES:
 * `title` and `offsets` are the snapshot step's, which never change while the step lives:
 * freeing the working step leaves them to the snapshot (a dropped event puts them back),
 * and a commit hands them to the step that survives it or lets them go with the snapshot
 * (rt_event.c's steps_hand_over). A step the event opened borrows nothing. */
enum RtBorrowed { RT_BORROWED_PEOPLE = 1, RT_BORROWED_VALUES = 2 };

/* A step of at least this many people gets an index by user (fewer are searched in turn). */
enum { RT_INDEX_MIN = 16 };
/* (Re)makes st's index of people by user; out of memory leaves it without one. */
void rt_people_index(BpRuntime *rt, RtStep *st);
void rt_people_index_free(BpRuntime *rt, RtStep *st);

enum { TM_WAIT, TM_DUE, TM_REMIND, TM_AFTER };
/* Ordered by size, so that no padding comes between the members (32 bytes, not 40): an
 * instance holds two in its allocation and every event copies them to its snapshot. */
typedef struct RtTimer {
  int64_t at;
  int64_t every; /* TM_AFTER: the period (seconds), 0: it runs once */
  uint32_t seq;  /* order among timers due at the same time */
  uint32_t ref;  /* TM_WAIT: thread; TM_DUE, TM_REMIND, TM_AFTER: step */
  uint32_t left; /* TM_AFTER with a period: runs left after this one, UINT32_MAX: no end */
  uint16_t index; /* TM_REMIND: which reminder; TM_AFTER: which `after` handler */
  uint8_t kind;
} RtTimer;

typedef struct RtCall {
  uint32_t id;
  uint32_t thread;
  uint16_t action;
  uint16_t slot; /* BPT_NONE16: result not kept */
  Value args;    /* a list */
} RtCall;

enum { ST_WAITING = BP_WAITING, ST_COMPLETED = BP_COMPLETED, ST_TERMINATED = BP_TERMINATED,
       ST_FAILED = BP_FAILED };

/* The members are ordered so that little padding comes between them (152 bytes): an
 * instance holds one, and an event copies it in and out of its transaction. */
typedef struct RtState {
  uint8_t status;
  bool slots_lent;  /* below */
  uint16_t state;   /* BPT_NONE16: none */
  uint32_t next_id; /* ids of everything: items, threads, steps, calls, timers */
  int64_t clock;    /* the time of the last event, seconds */
  Value message;    /* terminated / failed: why */
  Value *fields;    /* the document's fields */
  Value *slots;
  uint16_t nfields, nslots;
  RtVec threads, acts, steps, timers, calls;
  /* The slots (slots_lent) and the first elements of the five vectors (RT_VEC_LENT) may
   * live in storage the state does not own: a started instance's allocation, or an
   * event's snapshot (rt_vm.h's Tx). `block`, when set, is one allocation of the state's
   * own holding them (a snapshot too large for its transaction's storage). During an
   * event the state's vectors never shrink (removing keeps the capacity): putting a
   * snapshot back writes its records into them. */
  void *block;
  size_t block_size;
} RtState;

struct BpInstance {
  BpBundle *b;
  BpRuntime *rt;
  uint16_t proc;
  bool in_doc;    /* it lives in its document's allocation (BpDoc.room): freed with it */
  uint32_t size;  /* bytes of its allocation (a started one holds its first slots after it) */
  BpDoc *doc;
  RtState s;
  void *ud;
  RtVec scratch;  /* BpValue list items of the last view */
  RtVec message_fields; /* BpField: the payload fields of the last bp_instance_message_wait */
  /* RT_PEOPLE_ROOM people in its allocation that new steps' people may use (rt_step.c's
   * people_room), or NULL (a restored instance whose document restoring did not make with
   * it: the host's, or one of more fields than rt_save.c's LEND_FIELDS). */
  RtPerson *people_room;
  /* An immortal list of users found each once (rt_vm.c's users_as_made), or NULL: lists
   * are never written once made, and an immortal one outlives the instance (the host's
   * voters in its document's room, a constant), so it is not looked at again. */
  const RtList *users_known;
};
/* The people a started instance has room for in its own allocation: a step or two of a
 * few people each (an approval of one expert, then a vote of three). */
enum { RT_PEOPLE_ROOM = 4 };

void rt_state_free(BpRuntime *rt, RtState *s);
/* rt_state_free without emptying S after: for a state whose memory goes next (an
 * instance freed). */
void rt_state_release(BpRuntime *rt, RtState *s);
/* A step of the state by its id, or NULL (a thread: rt_vm.h's thread_by_id). */
RtStep *rt_state_step(RtState *s, uint32_t id);

/* The message thread t waits for (a W_MESSAGE thread): the pc of its RECEIVE, or
 * BPT_NO_PC when the instruction before t's pc is not one (only a crafted saved state). */
uint32_t rt_receive_pc(const BpBundle *b, const BptProcess *p, const RtThread *t);

/* ---- starting and fragments (rt_event.c) ------------------------------------------------------ */

/* Starts process proc on doc with params (by parameter index; VOID: not given). UD is
 * the host's pointer; ANNOUNCE hands the instance to config.started before its effects. */
BpStatus rt_start_ex(BpBundle *b, uint16_t proc, BpDoc *doc, const Value *params, void *ud,
                     bool announce, BpInstance **out, BpError *err);
/* rt_start_ex told of KNOWN (or NULL), a list of users each set and each once (bp_start's
 * voters): immortal, it lives as long as DOC (in the document bp_start made) and is the
 * instance's users_known; counted, the start's event holds it (rt_vm.h's Tx.users_held). */
BpStatus rt_start_known(BpBundle *b, uint16_t proc, BpDoc *doc, const Value *params, const RtList *known, void *ud,
                        bool announce, BpInstance **out, BpError *err);
/* The bytes of a started instance of process PROC with its rooms (RtProc.inst_size). */
static inline size_t rt_instance_size(const BpBundle *b, uint16_t proc) { return b->procs[proc].inst_size; }
/* The first bytes of an instance's block that a start clears: the instance and its slots.
 * The rooms after them (threads, steps, timers, people) are lent to vectors, whose places
 * are cleared or written whole as they are taken (rt_vec_push), before anything reads them. */
static inline size_t rt_instance_head(const BpBundle *b, uint16_t proc) {
  return sizeof(BpInstance) + rt_values_bytes(b->b.processes[proc].nslots);
}
/* Runs a `when` fragment of process proc against doc's fields: *holds. */
RtCode rt_eval_when(BpBundle *b, uint16_t proc, BpDoc *doc, bool *holds, RtErr *e);

/* ---- the public functions' helpers (rt_api.c) ----------------------------------------------------- */

bool rt_doc_lookup(const BpBundle *b, uint16_t doctype, const char *name, uint16_t *field);
/* For restoring: a document whose fields are all VOID (NULL: out of memory), and a field's
 * value in a new document (its default, or the empty value of its type; false: out of memory). */
BpDoc *rt_doc_blank(BpBundle *b, uint16_t doctype);
/* The same, with `room` bytes after its fields for the instance it is started with (see
 * BpDoc.room; the caller takes the room and sets it to NULL), then `texts` bytes for
 * texts (BpDoc.made; bp_start_at's document). */
BpDoc *rt_doc_blank_room(BpBundle *b, uint16_t doctype, size_t room, size_t texts);
/* The whole of DOC's bytes for texts after its ROOM (where BpDoc.room was), from the first
 * 8-byte boundary (BpDoc.made as it was made; none when it has none): what
 * bp_start_at_again hands to the next start when nothing holds the old one's. */
static inline RtRoom rt_doc_texts(const BpDoc *doc, void *room) {
  size_t lead = rt_room_bytes(doc->room_size) - doc->room_size;
  if (doc->texts_size <= lead) return (RtRoom){0};
  return (RtRoom){(char *)room + doc->room_size + lead, doc->texts_size - lead};
}
/* The same with only the room's first CLEAR bytes zeroed (the rest is the caller's to write
 * before anything reads it). */
BpDoc *rt_doc_blank_room_cleared(BpBundle *b, uint16_t doctype, size_t room, size_t clear);
/* Errors into a BpError. */
BpStatus rt_fail_status(BpError *err, BpStatus st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The process's line entry that gives pc its position (the last at or before it), as an
 * index into its LINES range, or -1. */
static inline int64_t rt_line_at(const BpBundle *b, const BptProcess *p, uint32_t pc) {
  uint32_t lo = 0, hi = p->nlines; /* entries [0, lo) are at or before pc */
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (b->b.lines[p->first_line + mid].pc <= pc) lo = mid + 1;
    else hi = mid;
  }
  return (int64_t)lo - 1;
}

/* Save and restore check a resting thread's pc with this. */
static inline bool rt_resume_point(const RtProc *p, uint32_t pc, uint32_t code_size) {
  return pc < code_size && (p->resume[pc / 8] >> (pc % 8) & 1);
}

#endif
