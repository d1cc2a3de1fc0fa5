/* rt_value.c — the values of the language at run time: counted objects, conversions,
 * exact decimals, calendar arithmetic, text, the operators and the built-in functions.
 *
 * Every operation leaves its operands alone (the caller still owns them) and gives a
 * result that holds its own reference. Failures are RT_NOMEM (out of memory: the event
 * is dropped) or RT_ERROR with a message (the instance fails with it). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rt.h"

/* ---- errors and memory --------------------------------------------------------------- */

RtCode rt_error(RtErr *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return e->code = RT_ERROR;
}

RtCode rt_nomem(RtErr *e) {
  snprintf(e->msg, sizeof e->msg, "out of memory");
  return e->code = RT_NOMEM;
}

void *rt_alloc(BpRuntime *rt, size_t size) {
  void *p = rt->cfg.alloc(rt->cfg.alloc_ud, NULL, 0, size ? size : 1);
  if (p) memset(p, 0, size ? size : 1);
  return p;
}

void *rt_realloc(BpRuntime *rt, void *p, size_t old_size, size_t new_size) {
  return rt->cfg.alloc(rt->cfg.alloc_ud, p, old_size, new_size);
}

void rt_dealloc(BpRuntime *rt, void *p, size_t size) {
  if (p) rt->cfg.alloc(rt->cfg.alloc_ud, p, size ? size : 1, 0);
}

/* VEC's storage made CAP records of SZ bytes: out of lent storage (which stays its
 * owner's) into an allocation of its own, else its allocation grown. False when out of
 * memory, VEC as it was. */
static bool vec_regrow(BpRuntime *rt, RtVec *vec, size_t sz, uint32_t cap) {
  uint32_t have = vec->cap & ~RT_VEC_LENT;
  void *v;
  if (vec->cap & RT_VEC_LENT) {
    v = rt_realloc(rt, NULL, 0, (size_t)cap * sz);
    if (v && vec->n) memcpy(v, vec->v, (size_t)vec->n * sz);
  } else {
    v = rt_realloc(rt, vec->v, (size_t)have * sz, (size_t)cap * sz);
  }
  if (!v) return false;
  vec->v = v;
  vec->cap = cap;
  return true;
}

void *rt_vec_push_grow(BpRuntime *rt, RtVec *vec, size_t sz) {
  uint32_t have = vec->cap & ~RT_VEC_LENT;
  if (vec->n == have && !vec_regrow(rt, vec, sz, have ? have * 2 : 4)) return NULL;
  char *slot = (char *)vec->v + (size_t)vec->n++ * sz;
  memset(slot, 0, sz);
  return slot;
}

bool rt_vec_reserve(BpRuntime *rt, RtVec *vec, size_t sz, uint32_t more) {
  uint32_t have = vec->cap & ~RT_VEC_LENT;
  if (more <= have - vec->n) return true;
  if (more > UINT32_MAX / 2 - vec->n) return false;
  uint32_t cap = vec->n + more;
  if (have <= UINT32_MAX / 4 && cap < have * 2) cap = have * 2;
  return vec_regrow(rt, vec, sz, cap);
}

void rt_vec_remove(RtVec *vec, size_t sz, uint32_t i) {
  char *base = vec->v;
  if (i + 1 < vec->n) /* the last (a state's only step or timer, mostly): nothing to move */
    memmove(base + i * sz, base + (i + 1) * sz, (vec->n - i - 1) * sz);
  vec->n--;
}

void rt_vec_free_owned(BpRuntime *rt, RtVec *vec, size_t sz) {
  rt_dealloc(rt, vec->v, (size_t)vec->cap * sz);
  *vec = (RtVec){0};
}

/* Text values are bounded (BP_MAX_STRING): a buffer stops growing there, so text
 * doubled in a loop fails the instance with a message rather than taking all memory. */
RtCode rt_too_long(RtErr *e) {
  return rt_error(e, "a text longer than %u bytes (the limit is BP_MAX_STRING)", (unsigned)BP_MAX_STRING);
}

RtCode rt_users_bounded(const Value *list, RtErr *e) {
  if (list->u.l->n <= BP_MAX_USERS) return RT_OK;
  return rt_error(e, "a list of %u users, more than %u (the limit is BP_MAX_USERS)", list->u.l->n,
                  (unsigned)BP_MAX_USERS);
}

void rt_buf_put(BpRuntime *rt, RtBuf *b, const char *s, size_t n) {
  if (b->nomem || b->toolong) return;
  if (!b->unbounded && n > BP_MAX_STRING - b->len) {
    b->toolong = true;
    return;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = rt_realloc(rt, b->lent ? NULL : b->s, b->lent ? 0 : b->cap, cap);
    if (!p) {
      b->nomem = true;
      return;
    }
    if (b->lent) memcpy(p, b->s, b->len + 1); /* out of the caller's storage */
    b->s = p;
    b->cap = cap;
    b->lent = false;
  }
  if (n) memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void rt_buf_puts(BpRuntime *rt, RtBuf *b, const char *s) { rt_buf_put(rt, b, s, strlen(s)); }

void rt_buf_printf(BpRuntime *rt, RtBuf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    rt_buf_put(rt, b, tmp, (size_t)n);
    return;
  }
  /* Longer than the stack buffer: make room in b, then format into it. */
  size_t at = b->len;
  for (int i = 0; i < n && !b->nomem && !b->toolong; i += 64)
    rt_buf_put(rt, b, tmp, (size_t)(n - i < 64 ? n - i : 64));
  if (b->nomem || b->toolong) {
    b->len = at; /* nothing of it, rather than a part unformatted */
    return;
  }
  va_start(ap, fmt);
  vsnprintf(b->s + at, (size_t)n + 1, fmt, ap);
  va_end(ap);
}

void rt_buf_free(BpRuntime *rt, RtBuf *b) {
  if (b->s && !b->lent) rt_dealloc(rt, b->s, b->cap);
  *b = (RtBuf){0};
}

/* ---- counted objects ----------------------------------------------------------------------- */

/* rt_is_obj (rt.h): 1 for the types whose values are objects; test_obj_types checks it. */
#define RT_OBJ16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
const uint8_t rt_obj_types[256] = {
    [BPT_T_STRING] = 1,
    [BPT_T_USER] = 1,
    [BPT_T_TASK_RESULT] = 1,
    [BPT_T_APPROVE_RESULT] = 1,
    [BPT_T_REVIEW_RESULT] = 1,
    [BPT_T_REQUEST_RESULT] = 1,
    [BPT_T_LIST] = RT_OBJ16, RT_OBJ16, RT_OBJ16, RT_OBJ16, RT_OBJ16, RT_OBJ16, RT_OBJ16, RT_OBJ16, /* every list */
};
#undef RT_OBJ16
_Static_assert(BPT_T_LIST == 0x80 && BPT_T_REQUEST_RESULT == BPT_T_TASK_RESULT + 3,
               "rt_obj_types: the lists are the upper half of the type bytes, the records four in a row");

static inline uint32_t *obj_ref(Value v) {
  if (!rt_is_obj(v.type) || !v.u.s) return NULL;
  if (v.type == BPT_T_STRING || v.type == BPT_T_USER) return &v.u.s->ref;
  if (rt_is_list(v.type)) return &v.u.l->ref;
  return &v.u.r->ref;
}

size_t rt_obj_size(Value v) {
  if (v.type == BPT_T_STRING || v.type == BPT_T_USER) return sizeof(RtStr) + v.u.s->len + 1;
  if (rt_is_list(v.type)) return sizeof(RtList) + v.u.l->n * sizeof(Value);
  return sizeof(RtRec) + v.u.r->n * sizeof(Value);
}

void rt_ref_obj(Value v) {
  uint32_t *r = obj_ref(v);
  if (r && *r != RT_IMMORTAL) (*r)++;
}

void rt_unref_obj(BpRuntime *rt, Value v) {
  uint32_t *r = obj_ref(v);
  if (!r || *r == RT_IMMORTAL) return;
  if (--*r > 0) return;
  if (rt_is_list(v.type)) rt_unref_all(rt, v.u.l->items, v.u.l->n);
  else if (rt_is_record(v.type)) rt_unref_all(rt, v.u.r->m, v.u.r->n);
  rt_dealloc(rt, v.u.s, rt_obj_size(v));
}

/* Counting down an object that others still hold, or an immortal one (a bundle's
 * constant: most of what a text or a list is made of), is done here, not by a call
 * (rt_unref): most of what an instruction's operands or a state's copy drop is held
 * elsewhere too. */
void rt_unref_all(BpRuntime *rt, Value *v, size_t n) { rt_unref_each(rt, v, n); } /* the loop, out of line */

RtCode rt_buf_value(BpRuntime *rt, RtBuf *b, uint8_t type, Value *out, RtErr *e) {
  RtCode code = b->nomem ? rt_nomem(e) : b->toolong ? rt_too_long(e) : RT_OK;
  if (code == RT_OK && !rt_str_new(rt, b->s ? b->s : "", b->len, type, out)) code = rt_nomem(e);
  rt_buf_free(rt, b);
  return code;
}

bool rt_str_new(BpRuntime *rt, const char *s, size_t len, uint8_t type, Value *out) {
  if (len > UINT32_MAX - 1) return false;
  RtStr *p = rt_realloc(rt, NULL, 0, sizeof *p + len + 1); /* not cleared: every byte is written here */
  if (!p) return false;
  p->ref = 1;
  p->len = (uint32_t)len;
  if (len) memcpy(p->s, s, len);
  p->s[len] = '\0';
  *out = (Value){.type = type, .u.s = p};
  return true;
}

/* A new text of LEN bytes (LEN <= BP_MAX_STRING), for the caller to write: in ROOM,
 * immortal, while it fits there (RtRoom: ROOM may be NULL), else allocated with its
 * count; its NUL written. NULL when out of memory. */
static RtStr *text_made(BpRuntime *rt, RtRoom *room, size_t len) {
  RtStr *p = room ? rt_room_take(room, sizeof *p + len + 1) : NULL;
  if (p) {
    p->ref = RT_IMMORTAL;
  } else {
    p = rt_realloc(rt, NULL, 0, sizeof *p + len + 1); /* not cleared: every byte is written */
    if (!p) return NULL;
    p->ref = 1;
  }
  p->len = (uint32_t)len;
  p->s[len] = '\0';
  return p;
}

/* The LEN bytes at S as a new text (text_made's). */
static RtCode text_part(BpRuntime *rt, RtRoom *room, const char *s, size_t len, Value *out, RtErr *e) {
  RtStr *p = text_made(rt, room, len);
  if (!p) return rt_nomem(e);
  rt_copy_text(p->s, s, len);
  *out = (Value){.type = BPT_T_STRING, .u.s = p};
  return RT_OK;
}

bool rt_list_new(BpRuntime *rt, uint8_t type, uint32_t n, Value *out) {
  RtList *l = rt_alloc(rt, sizeof *l + (size_t)n * sizeof(Value));
  if (!l) return false;
  l->ref = 1;
  l->n = n;
  *out = (Value){.type = type, .u.l = l};
  return true;
}

bool rt_rec_new(BpRuntime *rt, uint8_t type, uint32_t n, Value *out) {
  RtRec *r = rt_alloc(rt, sizeof *r + (size_t)n * sizeof(Value));
  if (!r) return false;
  r->ref = 1;
  r->n = n;
  *out = (Value){.type = type, .u.r = r};
  return true;
}

void rt_make_immortal(Value v) {
  uint32_t *r = obj_ref(v);
  if (!r) return;
  *r = RT_IMMORTAL;
  if (rt_is_list(v.type))
    for (uint32_t i = 0; i < v.u.l->n; i++) rt_make_immortal(v.u.l->items[i]);
}

/* Frees v's own object only: a constant list's items are constants of their own. */
void rt_free_immortal(BpRuntime *rt, Value v) {
  if (!obj_ref(v)) return;
  rt_dealloc(rt, v.u.s, rt_obj_size(v));
}

/* ---- types -------------------------------------------------------------------------------------- */

static const char record_members[4][9][16] = {
    {"completed_by", "completed_at", "comment", "timed_out"},
    {"approved", "approvals", "rejections", "total", "percent", "last", "comment", "comments",
     "timed_out"},
    {"notes", "count", "timed_out"},
    {"completed_by", "completed_at", "timed_out"},
};
static const uint8_t record_types[4][9] = {
    {BPT_T_USER, BPT_T_DATETIME, BPT_T_STRING, BPT_T_BOOL},
    {BPT_T_BOOL, BPT_T_INT, BPT_T_INT, BPT_T_INT, BPT_T_INT, BPT_T_USER, BPT_T_STRING,
     BPT_T_LIST | BPT_T_STRING, BPT_T_BOOL},
    {BPT_T_LIST | BPT_T_STRING, BPT_T_INT, BPT_T_BOOL},
    {BPT_T_USER, BPT_T_DATETIME, BPT_T_BOOL},
};
const char *rt_record_member(uint8_t type, uint32_t m) {
  return m < rt_record_size(type) ? record_members[type - BPT_T_TASK_RESULT][m] : NULL;
}

uint8_t rt_record_member_type(uint8_t type, uint32_t m) {
  return m < rt_record_size(type) ? record_types[type - BPT_T_TASK_RESULT][m] : BPT_T_VOID;
}

Value rt_empty(uint8_t type) {
  Value v = {.type = type};
  if (type == BPT_T_DATE || type == BPT_T_DATETIME) v.unset = 1;
  if (type == BPT_T_DECIMAL) v.scale = 2; /* 0.00, as the language has it */
  /* strings and lists: the empty ones are made by the caller (they are objects) */
  return v;
}

/* ---- decimals ----------------------------------------------------------------------------------- */

typedef __int128 i128;

static const int64_t pow10_table[19] = {1LL,
                                        10LL,
                                        100LL,
                                        1000LL,
                                        10000LL,
                                        100000LL,
                                        1000000LL,
                                        10000000LL,
                                        100000000LL,
                                        1000000000LL,
                                        10000000000LL,
                                        100000000000LL,
                                        1000000000000LL,
                                        10000000000000LL,
                                        100000000000000LL,
                                        1000000000000000LL,
                                        10000000000000000LL,
                                        100000000000000000LL,
                                        1000000000000000000LL};

static bool i128_pow10(unsigned k, i128 *out) {
  *out = 1;
  if (k > 36) return false;
  i128 p = 1;
  for (unsigned i = 0; i < k; i++) p *= 10;
  *out = p;
  return true;
}

/* q = n / d rounded half to even (d != 0). */
static i128 div_half_even(i128 n, i128 d) {
  i128 q = n / d, r = n % d;
  if (r == 0) return q;
  i128 ar = r < 0 ? -r : r, ad = d < 0 ? -d : d;
  bool neg = (n < 0) != (d < 0);
  if (2 * ar > ad || (2 * ar == ad && (q % 2 != 0))) q += neg ? -1 : 1;
  return q;
}

static bool fits64(i128 v) { return v >= INT64_MIN && v <= INT64_MAX; }

/* Numbers as (unscaled, scale): an int is scale 0. */
static bool as_decimal(Value v, i128 *u, unsigned *scale) {
  *u = 0;
  *scale = 0;
  if (v.type == BPT_T_INT) {
    *u = v.u.i;
    *scale = 0;
    return true;
  }
  if (v.type == BPT_T_DECIMAL) {
    *u = v.u.i;
    *scale = v.scale;
    return true;
  }
  return false;
}

static RtCode decimal_result(i128 u, unsigned scale, Value *out, RtErr *e) {
  if (!fits64(u) || scale > 18) return rt_error(e, "decimal overflow");
  *out = (Value){.type = BPT_T_DECIMAL, .scale = (uint8_t)scale, .u.i = (int64_t)u};
  return RT_OK;
}

/* u at scale `from` expressed at scale `to` (to >= from). */
static bool rescale(i128 u, unsigned from, unsigned to, i128 *out) {
  i128 p;
  if (!i128_pow10(to - from, &p)) return false;
  if (__builtin_mul_overflow(u, p, out)) return false;
  return true;
}

static RtCode decimal_arith(BpOp op, Value a, Value b, Value *out, RtErr *e) {
  i128 x, y;
  unsigned sx, sy;
  as_decimal(a, &x, &sx);
  as_decimal(b, &y, &sy);
  unsigned s = sx > sy ? sx : sy;
  i128 r;
  switch (op) {
  case BP_OP_ADD:
  case BP_OP_SUB:
    if (!rescale(x, sx, s, &x) || !rescale(y, sy, s, &y)) return rt_error(e, "decimal overflow");
    r = op == BP_OP_ADD ? x + y : x - y;
    return decimal_result(r, s, out, e);
  case BP_OP_MUL: {
    i128 p;
    if (__builtin_mul_overflow(x, y, &p)) return rt_error(e, "decimal overflow");
    i128 d;
    i128_pow10(sx + sy - s, &d); /* the product has scale sx + sy; keep s */
    return decimal_result(div_half_even(p, d), s, out, e);
  }
  case BP_OP_DIV: {
    if (y == 0) return rt_error(e, "division by zero");
    if (s < 4) s = 4;
    /* x / y at scale s: (x * 10^(s + sy - sx)) / y */
    i128 n;
    if (!rescale(x, 0, s + sy - sx, &n)) return rt_error(e, "decimal overflow");
    return decimal_result(div_half_even(n, y), s, out, e);
  }
  default:
    return rt_error(e, "`%%` needs two ints");
  }
}

/* Compares two numbers exactly. */
static int number_cmp(Value a, Value b) {
  i128 x, y;
  unsigned sx, sy;
  as_decimal(a, &x, &sx);
  as_decimal(b, &y, &sy);
  /* Compare x / 10^sx with y / 10^sy without overflow: scale up the smaller scale; the
   * values are below 2^63 and the factor below 10^18, so the product fits in 128 bits. */
  if (sx < sy) x *= pow10_table[sy - sx];
  else if (sy < sx) y *= pow10_table[sx - sy];
  return x < y ? -1 : x > y;
}

size_t rt_format_decimal(int64_t u, unsigned scale, char *buf, size_t size) {
  char digits[64];
  bool neg = u < 0;
  uint64_t m = neg ? (uint64_t)0 - (uint64_t)u : (uint64_t)u;
  int n = 0;
  do {
    digits[n++] = (char)('0' + m % 10);
    m /= 10;
  } while (m);
  while (n <= (int)scale) digits[n++] = '0';
  char out[80];
  size_t k = 0;
  if (neg) out[k++] = '-';
  for (int i = n - 1; i >= 0; i--) {
    out[k++] = digits[i];
    if (i == (int)scale && scale > 0) out[k++] = '.';
  }
  out[k] = '\0';
  if (size) {
    size_t m = k < size ? k : size - 1;
    memcpy(buf, out, m);
    buf[m] = '\0';
  }
  return k;
}

/* ---- calendar ------------------------------------------------------------------------------------ */

/* Dates and datetimes are bpt_time.h's, shared with the compiler and the disassembler. */

/* Dates are of the years 1 to 9999: what four digits write and every reader reads back.
 * Days since 1970-01-01 of 0001-01-01 and 9999-12-31. */
enum { FIRST_DAY = -719162, LAST_DAY = 2932896 };

bool rt_date_in_range(uint8_t type, int64_t v) {
  if (type == BPT_T_DATE) return v >= FIRST_DAY && v <= LAST_DAY;
  return v >= (int64_t)FIRST_DAY * 1440 && v < ((int64_t)LAST_DAY + 1) * 1440;
}

static RtCode date_range_error(uint8_t type, RtErr *e) {
  return rt_error(e, "a %s outside the years 1 to 9999 (0001-01-01 to 9999-12-31)",
                  type == BPT_T_DATE ? "date" : "datetime");
}


int64_t rt_floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

size_t rt_format_duration(int64_t seconds, char *buf, size_t size) {
  char out[64];
  size_t k = 0;
  uint64_t s = seconds < 0 ? (uint64_t)0 - (uint64_t)seconds : (uint64_t)seconds;
  if (seconds < 0) out[k++] = '-';
  static const struct { uint64_t len; char unit; } units[] = {
      {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  bool any = false;
  for (size_t i = 0; i < 4; i++) {
    uint64_t q = s / units[i].len;
    s %= units[i].len;
    if (!q) continue;
    k += (size_t)snprintf(out + k, sizeof out - k, "%llu%c", (unsigned long long)q, units[i].unit);
    any = true;
  }
  if (!any) k += (size_t)snprintf(out + k, sizeof out - k, "0m");
  if (size) {
    size_t m = k < size ? k : size - 1;
    memcpy(buf, out, m);
    buf[m] = '\0';
  }
  return k;
}

/* ---- text ---------------------------------------------------------------------------------------- */

static RtCode unset_error(Value v, RtErr *e) {
  return rt_error(e, "a %s that was never set is used", v.type == BPT_T_DATE ? "date" : "datetime");
}

/* i in decimal, as "%lld" writes it, into out (at least 20 bytes); returns the length.
 * Text made of numbers ("{n} votes") is common enough that snprintf was 5% of a vote. */
size_t rt_format_int(int64_t i, char *out) {
  char digits[20];
  uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i; /* INT64_MIN too */
  size_t n = 0, k = 0;
  do {
    digits[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (i < 0) out[k++] = '-';
  while (n) out[k++] = digits[--n];
  return k;
}

RtCode rt_text(BpRuntime *rt, RtBuf *buf, Value v, RtErr *e) {
  char tmp[64];
  size_t n = 0;
  switch (v.type) {
  case BPT_T_STRING:
  case BPT_T_USER: rt_buf_put(rt, buf, v.u.s->s, v.u.s->len); break;
  case BPT_T_INT: n = rt_format_int(v.u.i, tmp); break;
  case BPT_T_DECIMAL: n = rt_format_decimal(v.u.i, v.scale, tmp, sizeof tmp); break;
  case BPT_T_BOOL: rt_buf_puts(rt, buf, v.u.i ? "true" : "false"); break;
  case BPT_T_DATE:
    if (v.unset) return unset_error(v, e);
    n = bpt_format_date(v.u.i, tmp, sizeof tmp);
    break;
  case BPT_T_DATETIME:
    if (v.unset) return unset_error(v, e);
    n = bpt_format_datetime(v.u.i, tmp, sizeof tmp);
    break;
  case BPT_T_DURATION: n = rt_format_duration(v.u.i, tmp, sizeof tmp); break;
  default:
    if (rt_is_list(v.type)) {
      for (uint32_t i = 0; i < v.u.l->n; i++) {
        if (i) rt_buf_put(rt, buf, ", ", 2);
        if (rt_text(rt, buf, v.u.l->items[i], e) != RT_OK) return e->code;
      }
      break;
    }
    return rt_error(e, "%s cannot be shown as text", bpt_type_name(v.type));
  }
  if (n) rt_buf_put(rt, buf, tmp, n);
  return buf->nomem ? rt_nomem(e) : buf->toolong ? rt_too_long(e) : RT_OK;
}

/* ---- equality, conversion ------------------------------------------------------------------- */

static bool is_number(uint8_t t) { return t == BPT_T_INT || t == BPT_T_DECIMAL; }
static bool is_text(uint8_t t) { return t == BPT_T_STRING || t == BPT_T_USER; }

bool rt_equal(Value a, Value b) {
  if (is_number(a.type) && is_number(b.type)) return number_cmp(a, b) == 0;
  if (is_text(a.type) && is_text(b.type)) return rt_text_equal(a.u.s, b.u.s);
  if (rt_is_list(a.type) && rt_is_list(b.type)) {
    if (a.u.l->n != b.u.l->n) return false;
    for (uint32_t i = 0; i < a.u.l->n; i++)
      if (!rt_equal(a.u.l->items[i], b.u.l->items[i])) return false;
    return true;
  }
  if (a.type != b.type) return false;
  if (a.unset || b.unset) return a.unset == b.unset;
  if (rt_is_record(a.type)) return a.u.r == b.u.r;
  return a.u.i == b.u.i;
}

RtCode rt_convert(BpRuntime *rt, Value v, uint8_t want, Value *out, RtErr *e) {
  if (v.type == want) {
    rt_ref(v);
    *out = v;
    return RT_OK;
  }
  if (want == BPT_T_DECIMAL && v.type == BPT_T_INT) {
    *out = (Value){.type = BPT_T_DECIMAL, .u.i = v.u.i};
    return RT_OK;
  }
  if (want == BPT_T_USERS && v.type == BPT_T_USER) {
    if (!rt_list_new(rt, BPT_T_USERS, 1, out)) return rt_nomem(e);
    rt_ref(v);
    out->u.l->items[0] = v;
    return RT_OK;
  }
  if (rt_is_list(want) && rt_is_list(v.type) && v.u.l->n == 0) {
    if (!rt_list_new(rt, want, 0, out)) return rt_nomem(e);
    return RT_OK;
  }
  if (rt_is_list(want) && rt_is_list(v.type) && (want & 0x7F) == BPT_T_DECIMAL &&
      (v.type & 0x7F) == BPT_T_INT) {
    if (!rt_list_new(rt, want, v.u.l->n, out)) return rt_nomem(e);
    for (uint32_t i = 0; i < v.u.l->n; i++)
      out->u.l->items[i] = (Value){.type = BPT_T_DECIMAL, .u.i = v.u.l->items[i].u.i};
    return RT_OK;
  }
  return rt_error(e, "expected %s, not %s", bpt_type_name(want), bpt_type_name(v.type));
}

/* ---- operators -------------------------------------------------------------------------------- */

static RtCode type_error2(RtErr *e, const char *what, Value a, Value b) {
  return rt_error(e, "cannot %s %s and %s", what, bpt_type_name(a.type), bpt_type_name(b.type));
}

static RtCode int_arith(BpOp op, int64_t x, int64_t y, Value *out, RtErr *e) {
  int64_t r = 0;
  bool over = false;
  switch (op) {
  case BP_OP_ADD: over = __builtin_add_overflow(x, y, &r); break;
  case BP_OP_SUB: over = __builtin_sub_overflow(x, y, &r); break;
  case BP_OP_MUL: over = __builtin_mul_overflow(x, y, &r); break;
  case BP_OP_DIV:
  case BP_OP_MOD:
    if (y == 0) return rt_error(e, op == BP_OP_DIV ? "division by zero" : "remainder of a division by zero");
    if (x == INT64_MIN && y == -1) over = true;
    else r = op == BP_OP_DIV ? x / y : x % y;
    break;
  default: break;
  }
  if (over) return rt_error(e, "integer overflow");
  *out = rt_int(r);
  return RT_OK;
}

/* date/datetime +- duration: a date moves by whole days, and stays in the years 1..9999. */
static RtCode time_shift(Value t, int64_t seconds, Value *out, RtErr *e) {
  if (t.unset) return unset_error(t, e);
  int64_t delta = t.type == BPT_T_DATE ? seconds / 86400 : seconds / 60, r;
  if (__builtin_add_overflow(t.u.i, delta, &r) || !rt_date_in_range(t.type, r)) return date_range_error(t.type, e);
  *out = (Value){.type = t.type, .u.i = r};
  return RT_OK;
}

RtCode rt_text_concat(BpRuntime *rt, RtRoom *room, const RtStr *a, const RtStr *b, Value *out, RtErr *e) {
  size_t n = (size_t)a->len + b->len;
  if (n > BP_MAX_STRING) return rt_too_long(e);
  RtStr *s = text_made(rt, room, n);
  if (!s) return rt_nomem(e);
  rt_copy_text(s->s, a->s, a->len);
  rt_copy_text(s->s + a->len, b->s, b->len);
  *out = (Value){.type = BPT_T_STRING, .u.s = s};
  return RT_OK;
}

static RtCode arith(BpRuntime *rt, BpOp op, Value a, Value b, Value *out, RtErr *e) {
  static const char verbs[][24] = {"add", "subtract", "multiply", "divide", "take the remainder of"};
  if (is_number(a.type) && is_number(b.type)) {
    if (a.type == BPT_T_INT && b.type == BPT_T_INT) return int_arith(op, a.u.i, b.u.i, out, e);
    if (op == BP_OP_MOD) return rt_error(e, "`%%` needs two ints");
    return decimal_arith(op, a, b, out, e);
  }
  bool ta = a.type == BPT_T_DATE || a.type == BPT_T_DATETIME;
  bool tb = b.type == BPT_T_DATE || b.type == BPT_T_DATETIME;
  bool da = a.type == BPT_T_DURATION, db = b.type == BPT_T_DURATION;
  int64_t r;
  switch (op) {
  case BP_OP_ADD:
    if (a.type == BPT_T_STRING && b.type == BPT_T_STRING) return rt_text_concat(rt, NULL, a.u.s, b.u.s, out, e);
    if (ta && db) return time_shift(a, b.u.i, out, e);
    if (da && tb) return time_shift(b, a.u.i, out, e);
    if (da && db) {
      if (__builtin_add_overflow(a.u.i, b.u.i, &r)) return rt_error(e, "duration overflow");
      *out = (Value){.type = BPT_T_DURATION, .u.i = r};
      return RT_OK;
    }
    break;
  case BP_OP_SUB:
    if (ta && db) {
      if (b.u.i == INT64_MIN) return rt_error(e, "duration overflow");
      return time_shift(a, -b.u.i, out, e);
    }
    if (ta && a.type == b.type) {
      if (a.unset) return unset_error(a, e);
      if (b.unset) return unset_error(b, e);
      int64_t unit = a.type == BPT_T_DATE ? 86400 : 60, d;
      if (__builtin_sub_overflow(a.u.i, b.u.i, &d) || __builtin_mul_overflow(d, unit, &r))
        return rt_error(e, "duration overflow");
      *out = (Value){.type = BPT_T_DURATION, .u.i = r};
      return RT_OK;
    }
    if (da && db) {
      if (__builtin_sub_overflow(a.u.i, b.u.i, &r)) return rt_error(e, "duration overflow");
      *out = (Value){.type = BPT_T_DURATION, .u.i = r};
      return RT_OK;
    }
    break;
  case BP_OP_MUL:
    if ((da && b.type == BPT_T_INT) || (a.type == BPT_T_INT && db)) {
      if (__builtin_mul_overflow(a.u.i, b.u.i, &r)) return rt_error(e, "duration overflow");
      *out = (Value){.type = BPT_T_DURATION, .u.i = r};
      return RT_OK;
    }
    break;
  default: break;
  }
  return type_error2(e, verbs[op], a, b);
}

static int text_cmp(Value a, Value b) {
  uint32_t n = a.u.s->len < b.u.s->len ? a.u.s->len : b.u.s->len;
  int c = memcmp(a.u.s->s, b.u.s->s, n);
  if (c) return c < 0 ? -1 : 1;
  return a.u.s->len < b.u.s->len ? -1 : a.u.s->len > b.u.s->len;
}

/* Orders two values of an ordered kind; RT_ERROR otherwise. */
static RtCode order(Value a, Value b, int *c, RtErr *e) {
  if (is_number(a.type) && is_number(b.type)) *c = number_cmp(a, b);
  else if (a.type == BPT_T_STRING && b.type == BPT_T_STRING) *c = text_cmp(a, b);
  else if (a.type == b.type &&
           (a.type == BPT_T_DATE || a.type == BPT_T_DATETIME || a.type == BPT_T_DURATION)) {
    if (a.unset) return unset_error(a, e);
    if (b.unset) return unset_error(b, e);
    *c = a.u.i < b.u.i ? -1 : a.u.i > b.u.i;
  } else
    return type_error2(e, "compare", a, b);
  return RT_OK;
}

RtCode rt_binop(BpRuntime *rt, BpOp op, Value a, Value b, Value *out, RtErr *e) {
  int c;
  switch (op) {
  case BP_OP_ADD: case BP_OP_SUB: case BP_OP_MUL: case BP_OP_DIV: case BP_OP_MOD:
    return arith(rt, op, a, b, out, e);
  case BP_OP_EQ:
  case BP_OP_NE:
    if ((a.type == BPT_T_DATE || a.type == BPT_T_DATETIME) && a.type == b.type &&
        (a.unset || b.unset) && a.unset != b.unset) {
      *out = rt_bool(op == BP_OP_NE);
      return RT_OK;
    }
    *out = rt_bool(rt_equal(a, b) == (op == BP_OP_EQ));
    return RT_OK;
  case BP_OP_LT: case BP_OP_LE: case BP_OP_GT: case BP_OP_GE:
    if (order(a, b, &c, e) != RT_OK) return e->code;
    *out = rt_bool(op == BP_OP_LT ? c < 0 : op == BP_OP_LE ? c <= 0 : op == BP_OP_GT ? c > 0 : c >= 0);
    return RT_OK;
  case BP_OP_IN:
    if (!rt_is_list(b.type)) return rt_error(e, "`in` needs a list, not %s", bpt_type_name(b.type));
    for (uint32_t i = 0; i < b.u.l->n; i++)
      if (rt_equal(a, b.u.l->items[i])) {
        *out = rt_bool(true);
        return RT_OK;
      }
    *out = rt_bool(false);
    return RT_OK;
  default:
    return rt_unop(rt, op, a, out, e);
  }
}

RtCode rt_unop(BpRuntime *rt, BpOp op, Value a, Value *out, RtErr *e) {
  (void)rt;
  if (op == BP_OP_NOT) {
    if (a.type != BPT_T_BOOL) return rt_error(e, "`not` needs a bool, not %s", bpt_type_name(a.type));
    *out = rt_bool(!a.u.i);
    return RT_OK;
  }
  if (op != BP_OP_NEG) return rt_error(e, "unknown operator");
  if (a.type != BPT_T_INT && a.type != BPT_T_DECIMAL && a.type != BPT_T_DURATION)
    return rt_error(e, "cannot negate %s", bpt_type_name(a.type));
  if (a.u.i == INT64_MIN) return rt_error(e, "integer overflow");
  *out = a;
  out->u.i = -a.u.i;
  return RT_OK;
}

/* ---- UTF-8 ------------------------------------------------------------------------------------- */

/* The code point at s[*i] (strings are valid UTF-8: the loader and rt_from_public check). */
static uint32_t utf8_next(const char *s, size_t len, size_t *i) {
  const unsigned char *u = (const unsigned char *)s;
  uint32_t c = u[*i];
  size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (*i + n > len) n = len - *i;
  if (n == 1) {
    (*i)++;
    return c;
  }
  c &= n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07;
  for (size_t k = 1; k < n; k++) c = c << 6 | (u[*i + k] & 0x3F);
  *i += n;
  return c;
}

static size_t utf8_put(uint32_t c, char *out) {
  if (c < 0x80) {
    out[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (char)(0xC0 | c >> 6);
    out[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = (char)(0xE0 | c >> 12);
    out[1] = (char)(0x80 | (c >> 6 & 0x3F));
    out[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | c >> 18);
  out[1] = (char)(0x80 | (c >> 12 & 0x3F));
  out[2] = (char)(0x80 | (c >> 6 & 0x3F));
  out[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

/* The 8 bytes at u as a number with u[0] in its lowest byte, whatever the machine's byte
 * order (compilers make this one load): short_chars shifts a byte's mark onto the next
 * byte's place. */
static inline uint64_t load8(const unsigned char *u) {
  return (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 |
         (uint64_t)u[4] << 32 | (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
}

/* How many of the bytes of W are continuation bytes (10xxxxxx: bit 7 set, bit 6 clear):
 * the marks, one bit a byte, are added up by the multiplication into the top byte. */
static size_t continuations(uint64_t w) {
  const uint64_t ones = 0x0101010101010101u;
  return (size_t)((((w & ~(w << 1)) >> 7 & ones) * ones) >> 56);
}

/* The characters of valid UTF-8 text: its bytes that are not continuation bytes, 8 at a
 * time. The last bytes, fewer than 8, are the top of the text's last 8 (when it has so
 * many), shifted down. */
static size_t utf8_count(const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  size_t n = len, i = 0;
  for (; len - i >= 8; i += 8) n -= continuations(load8(u + i));
  if (i < len && len >= 8) return n - continuations(load8(u + len - 8) >> 8 * (8 - (len - i)));
  for (; i < len; i++) n -= (u[i] & 0xC0) == 0x80;
  return n;
}

size_t rt_text_chars(const RtStr *s) { return utf8_count(s->s, s->len); }

/* Byte offset of the k-th character of valid UTF-8 text (len if there are fewer): the
 * place of its k+1-th byte that is not a continuation byte. Whole words are passed while
 * they hold no more than the characters still to pass (the word after may begin inside a
 * character: the search below skips its continuation bytes). */
static size_t utf8_offset(const char *s, size_t len, size_t k) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  for (; len - i >= 8; i += 8) {
    size_t starts = 8 - continuations(load8(u + i));
    if (starts > k) break;
    k -= starts;
  }
  for (; i < len; i++)
    if ((u[i] & 0xC0) != 0x80 && k-- == 0) return i;
  return len;
}

/* Simple case mapping for the scripts a CRM meets: ASCII, Latin-1, Latin Extended-A,
 * Greek and Cyrillic (one code point to one code point, no special casing). */
static uint32_t to_lower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
      c != 0x17F) {
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper) return (c % 2 == 1) ? c + 1 : c;
    return (c % 2 == 0) ? c + 1 : c;
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (c >= 0x460 && c <= 0x4FF && c % 2 == 0 && !(c >= 0x482 && c <= 0x489)) return c + 1;
  return c;
}

static uint32_t to_upper(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
      c != 0x17F) {
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper) return (c % 2 == 0) ? c - 1 : c;
    return (c % 2 == 1) ? c - 1 : c;
  }
  if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  if (c >= 0x461 && c <= 0x4FF && c % 2 == 1 && !(c >= 0x482 && c <= 0x489)) return c - 1;
  return c;
}

static RtCode map_case(BpRuntime *rt, Value s, bool upper, Value *out, RtErr *e) {
  char room[RT_BUF_ROOM];
  RtBuf b = rt_buf_on(room, sizeof room);
  size_t i = 0;
  while (i < s.u.s->len) {
    char enc[4];
    uint32_t c = utf8_next(s.u.s->s, s.u.s->len, &i);
    rt_buf_put(rt, &b, enc, utf8_put(upper ? to_upper(c) : to_lower(c), enc));
  }
  return rt_buf_value(rt, &b, BPT_T_STRING, out, e);
}

static bool is_space(uint32_t c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x202F || c == 0x3000 || c == 0xFEFF;
}

/* S without the white space at either end. Only the ends are read: the characters from
 * the start while they are spaces, then from the end (each found by stepping back over
 * continuation bytes: the text is valid UTF-8). A text with no space at either end is
 * itself (texts are never changed in place), with no copy. */
/* Whether byte c can be the first (the last) byte of a character is_space takes: the
 * ASCII ones and C2 A0, E2 80 80..8A, E2 80 AF, E3 80 80, EF BB BF. A text whose ends
 * are neither (most: a letter, a digit, a Cyrillic letter's D0 B0) has nothing to trim,
 * and trim answers without decoding a character. */
static bool may_start_space(unsigned char c) { return c <= ' ' || c == 0xC2 || c == 0xE2 || c == 0xE3 || c == 0xEF; }
static bool may_end_space(unsigned char c) {
  return c <= ' ' || (c >= 0x80 && c <= 0x8A) || c == 0xA0 || c == 0xAF || c == 0xBF;
}

static __attribute__((noinline)) RtCode trim(BpRuntime *rt, RtRoom *room, Value s, Value *out, RtErr *e) {
  const char *p = s.u.s->s;
  size_t len = s.u.s->len, lo = 0, hi = len;
  if (len == 0 || (!may_start_space((unsigned char)p[0]) && !may_end_space((unsigned char)p[len - 1]))) {
    rt_ref(s);
    *out = s;
    return RT_OK;
  }
  while (lo < hi) {
    size_t i = lo;
    if (!is_space(utf8_next(p, hi, &i))) break;
    lo = i;
  }
  while (hi > lo) {
    size_t at = hi - 1, i;
    while (at > lo && ((unsigned char)p[at] & 0xC0) == 0x80) at--;
    i = at;
    if (!is_space(utf8_next(p, hi, &i))) break;
    hi = at;
  }
  if (lo == 0 && hi == len) {
    rt_ref(s);
    *out = s;
    return RT_OK;
  }
  return text_part(rt, room, p + lo, hi - lo, out, e);
}

/* trim's first test here, without its call: a text with nothing to trim (the most) costs
 * no saving of the registers that trim's loops use. */
bool rt_text_trim(BpRuntime *rt, RtRoom *room, Value s, Value *out) {
  const unsigned char *p = (const unsigned char *)s.u.s->s;
  size_t len = s.u.s->len;
  if (len == 0 || (!may_start_space(p[0]) && !may_end_space(p[len - 1]))) {
    rt_ref(s);
    *out = s;
    return true;
  }
  RtErr e;
  return trim(rt, room, s, out, &e) == RT_OK;
}

static RtCode replace(BpRuntime *rt, Value s, Value from, Value to, Value *out, RtErr *e) {
  const RtStr *a = s.u.s, *f = from.u.s, *t = to.u.s;
  if (f->len == 0) {
    rt_ref(s);
    *out = s;
    return RT_OK;
  }
  char room[RT_BUF_ROOM];
  RtBuf b = rt_buf_on(room, sizeof room);
  size_t i = 0;
  while (i < a->len) {
    if (i + f->len <= a->len && memcmp(a->s + i, f->s, f->len) == 0) {
      rt_buf_put(rt, &b, t->s, t->len);
      i += f->len;
    } else {
      rt_buf_put(rt, &b, a->s + i, 1);
      i++;
    }
  }
  return rt_buf_value(rt, &b, BPT_T_STRING, out, e);
}

static bool contains(const RtStr *s, const RtStr *p) {
  if (p->len == 0) return true;
  for (size_t i = 0; i + p->len <= s->len; i++)
    if (memcmp(s->s + i, p->s, p->len) == 0) return true;
  return false;
}

/* ---- built-in functions ----------------------------------------------------------------------- */

static RtCode round_to(Value x, int64_t n, Value *out, RtErr *e) {
  if (n < 0 || n > 18) return rt_error(e, "round: %lld fraction digits (0..18 allowed)", (long long)n);
  i128 u;
  unsigned s;
  as_decimal(x, &u, &s);
  if ((unsigned)n >= s) {
    if (!rescale(u, s, (unsigned)n, &u)) return rt_error(e, "decimal overflow");
  } else {
    i128 d;
    i128_pow10(s - (unsigned)n, &d);
    u = div_half_even(u, d);
  }
  return decimal_result(u, (unsigned)n, out, e);
}

static RtCode min_max(bool want_max, Value a, Value b, Value *out, RtErr *e) {
  int c;
  if (order(a, b, &c, e) != RT_OK) return e->code;
  Value pick = (want_max ? c >= 0 : c <= 0) ? a : b;
  if (is_number(a.type) && is_number(b.type) && a.type != b.type && pick.type == BPT_T_INT)
    pick = (Value){.type = BPT_T_DECIMAL, .u.i = pick.u.i}; /* the common type */
  *out = pick;
  return RT_OK;
}

static RtCode join(BpRuntime *rt, Value list, Value sep, Value *out, RtErr *e) {
  char room[RT_BUF_ROOM];
  RtBuf b = rt_buf_on(room, sizeof room);
  for (uint32_t i = 0; i < list.u.l->n; i++) {
    if (i) rt_buf_put(rt, &b, sep.u.s->s, sep.u.s->len);
    if (rt_text(rt, &b, list.u.l->items[i], e) != RT_OK) {
      rt_buf_free(rt, &b);
      return e->code;
    }
  }
  return rt_buf_value(rt, &b, BPT_T_STRING, out, e);
}

bool rt_list_shrink(BpRuntime *rt, Value *list, uint32_t k) {
  if (k == list->u.l->n) return true;
  Value exact;
  if (!rt_list_new(rt, list->type, k, &exact)) return false;
  for (uint32_t j = 0; j < k; j++) {
    exact.u.l->items[j] = list->u.l->items[j];
    list->u.l->items[j] = (Value){0};
  }
  rt_unref(rt, *list);
  *list = exact;
  return true;
}

/* Heapsort: n log n however the input is ordered, and no memory of its own. */
static void sift_down(uint32_t *a, uint32_t root, uint32_t n, RtCompare *cmp, const void *ctx) {
  for (;;) {
    uint32_t child = 2 * root + 1;
    if (child >= n || child < root) return;
    if (child + 1 < n && cmp(ctx, a[child], a[child + 1]) < 0) child++;
    if (cmp(ctx, a[root], a[child]) >= 0) return;
    uint32_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

void rt_sort(uint32_t *a, uint32_t n, RtCompare *cmp, const void *ctx) {
  for (uint32_t i = n / 2; i-- > 0;) sift_down(a, i, n, cmp, ctx);
  for (uint32_t end = n; end > 1;) {
    end--;
    uint32_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_down(a, 0, end, cmp, ctx);
  }
}

/* Items a and b of a list of users: by their text, then by place. */
static int user_place_order(const void *ctx, uint32_t a, uint32_t b) {
  const Value *items = ctx;
  const RtStr *x = items[a].u.s, *y = items[b].u.s;
  int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
  if (!c) c = x->len < y->len ? -1 : x->len > y->len;
  if (!c) c = a < b ? -1 : a > b;
  return c;
}

/* The users among the first k items of ITEMS, each once at their first place, by sorting
 * their places by text (n log n, at any input). The later places of a user are let go
 * and left VOID; the items are not moved. BY_TEXT has room for k places. */
static void users_unique_sorted(BpRuntime *rt, Value *items, uint32_t k, uint32_t *by_text) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < k; i++)
    if (items[i].type != BPT_T_VOID) by_text[n++] = i;
  if (n < 2) return;
  rt_sort(by_text, n, user_place_order, items);
  /* In each run of one user the first is the earliest place: the later ones go. */
  for (uint32_t i = 1, first = by_text[0]; i < n; i++) {
    if (rt_text_equal(items[first].u.s, items[by_text[i]].u.s)) {
      rt_unref(rt, items[by_text[i]]);
      items[by_text[i]] = (Value){0};
    } else {
      first = by_text[i];
    }
  }
}

/* The table of users_unique_hashed on the stack: lists of up to 341 users (at most two
 * thirds full); a longer list's table is allocated. */
enum { UNIQUE_STACK_SLOTS = 512 };

/* The slots of a table of places for K users: a power of two, at least 1.5 K. */
static uint32_t unique_slots(uint32_t k) {
  uint32_t cap = 32;
  while (cap < k + k / 2) cap *= 2;
  return cap;
}

/* A table of places of users in an open hash table (SLOTS, CAP of them, cleared: a slot
 * holds a place + 1), and how many probes it may take before its users count as
 * colliding: 8 a user on average. */
typedef struct UserTable {
  uint32_t *slots, cap;
  unsigned shift;
  uint64_t probes, most;
} UserTable;

static void user_table_open(UserTable *t, uint32_t *slots, uint32_t cap, uint32_t k) {
  memset(slots, 0, (size_t)cap * sizeof *slots);
  *t = (UserTable){slots, cap, 32 - (unsigned)__builtin_ctz(cap), 0, 8 * (uint64_t)k};
}

enum { USER_PLACED, USER_TWICE, USER_COLLIDING };
/* Item I of ITEMS, a user, looked up in T: placed at an empty slot, found there already
 * at an earlier place (USER_TWICE), or USER_COLLIDING once T's probes pass its bound. */
static inline int user_place(UserTable *t, const Value *items, uint32_t i) {
  const RtStr *u = items[i].u.s;
  /* FNV-1a over the bytes, its high bits taken by a Fibonacci multiply */
  uint32_t at = (uint32_t)(rt_text_hash(u->s, u->len) * 2654435769u) >> t->shift;
  for (;;) {
    if (!t->slots[at]) {
      t->slots[at] = i + 1;
      return USER_PLACED;
    }
    if (rt_text_equal(items[t->slots[at] - 1].u.s, u)) return USER_TWICE;
    if (++t->probes > t->most) return USER_COLLIDING;
    at = (at + 1) & (t->cap - 1);
  }
}

/* users_unique_sorted's result in expected linear time: each user looked up in an open
 * hash table of places (SLOTS, CAP of them: unique_slots(k)). A host may give users whose
 * hashes collide; once the probes pass 8 a user on average, the users left are sorted
 * instead (in the table's memory), so no list costs more than the sort plus a linear
 * pass. */
static void users_unique_hashed(BpRuntime *rt, Value *items, uint32_t k, uint32_t *slots, uint32_t cap) {
  UserTable t;
  user_table_open(&t, slots, cap, k);
  for (uint32_t i = 0; i < k; i++) {
    int r = user_place(&t, items, i);
    if (r == USER_TWICE) { /* there already: a person counts once */
      rt_unref(rt, items[i]);
      items[i] = (Value){0};
    } else if (r == USER_COLLIDING) { /* the rest by sorting */
      users_unique_sorted(rt, items, k, slots);
      return;
    }
  }
}

bool rt_users_unique(BpRuntime *rt, Value *list, uint32_t k) {
  Value *items = list->u.l->items;
  if (k <= RT_USERS_FEW) { /* a few: compare each with those before it, and allocate nothing */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < k; i++) {
      Value x = items[i];
      items[i] = (Value){0};
      uint32_t j = 0;
      while (j < kept && !rt_text_equal(items[j].u.s, x.u.s)) j++;
      if (j < kept) rt_unref(rt, x); /* there already: a person counts once */
      else items[kept++] = x;
    }
    return rt_list_shrink(rt, list, kept);
  }
  if (k > UINT32_MAX / 4) return false; /* (past any list the runtime can hold) */
  uint32_t cap = unique_slots(k);
  uint32_t stack[UNIQUE_STACK_SLOTS];
  uint32_t *slots = cap <= UNIQUE_STACK_SLOTS ? stack : rt_alloc(rt, (size_t)cap * sizeof *slots);
  if (!slots) return false;
  users_unique_hashed(rt, items, k, slots, cap);
  if (slots != stack) rt_dealloc(rt, slots, (size_t)cap * sizeof *slots);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < k; i++) {
    if (items[i].type == BPT_T_VOID) continue;
    Value x = items[i];
    items[i] = (Value){0};
    items[kept++] = x;
  }
  return rt_list_shrink(rt, list, kept);
}

bool rt_users_distinct_many(const RtList *l) {
  uint32_t cap = unique_slots(l->n);
  if (cap > UNIQUE_STACK_SLOTS) return false; /* not known: more than 341 */
  uint32_t slots[UNIQUE_STACK_SLOTS];
  UserTable t;
  user_table_open(&t, slots, cap, l->n);
  for (uint32_t i = 0; i < l->n; i++)
    if (user_place(&t, l->items, i) != USER_PLACED) return false; /* twice, or colliding: not known */
  return true;
}

void rt_users_add_once(BpRuntime *rt, Value list, uint32_t *k, Value x) {
  for (uint32_t j = 0; j < *k; j++)
    if (rt_text_equal(list.u.l->items[j].u.s, x.u.s)) {
      rt_unref(rt, x);
      return;
    }
  list.u.l->items[(*k)++] = x;
}

static RtCode role(BpRuntime *rt, Value name, Value *out, RtErr *e) {
  const char *const *users = NULL;
  size_t n = 0;
  if (rt->cfg.role && rt->cfg.role(rt->cfg.ud, name.u.s->s, &users, &n) != 0)
    return rt_error(e, "the host could not look up role `%s`", name.u.s->s);
  if (n > UINT32_MAX / 32) return rt_error(e, "role `%s` has too many users", name.u.s->s);
  if (!rt_list_new(rt, BPT_T_USERS, (uint32_t)n, out)) return rt_nomem(e);
  uint32_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!users[i] || !users[i][0]) continue;
    Value u;
    if (!rt_str_new(rt, users[i], strlen(users[i]), BPT_T_USER, &u)) {
      rt_unref(rt, *out);
      return rt_nomem(e);
    }
    out->u.l->items[k++] = u;
  }
  if (!rt_users_unique(rt, out, k)) {
    rt_unref(rt, *out);
    return rt_nomem(e);
  }
  if (rt_users_bounded(out, e) != RT_OK) {
    rt_unref(rt, *out);
    *out = (Value){0};
    return e->code;
  }
  return RT_OK;
}

static bool want(const Value *args, unsigned i, uint8_t type) { return args[i].type == type; }

RtCode rt_text_substr(BpRuntime *rt, RtRoom *room, const RtStr *s, int64_t from, int64_t count, Value *out, RtErr *e) {
  if (from < 0 || count < 0)
    return rt_error(e, "substr: %s %lld is negative", from < 0 ? "position" : "length",
                    (long long)(from < 0 ? from : count));
  size_t lo = utf8_offset(s->s, s->len, (size_t)from), rest = s->len - lo;
  /* A count of at least the bytes left takes them all (a character is a byte or more):
   * substr(t, k, len(t) - k), the usual tail, without counting its characters. */
  size_t n = (uint64_t)count >= rest ? rest : utf8_offset(s->s + lo, rest, (size_t)count);
  return text_part(rt, room, s->s + lo, n, out, e);
}

RtCode rt_builtin(BpRuntime *rt, unsigned b, const Value *args, unsigned n, int64_t now,
                  Value *out, RtErr *e) {
  if (b >= BPT_BI_COUNT || n != (unsigned)bpt_builtins[b].nargs)
    return rt_error(e, "unknown built-in function");
  const char *name = bpt_builtins[b].name;
  bool strings = true;
  for (unsigned i = 0; i < n; i++) {
    if (args[i].type == BPT_T_DATE || args[i].type == BPT_T_DATETIME) {
      if (args[i].unset && b != BPT_BI_MIN && b != BPT_BI_MAX) return unset_error(args[i], e);
    }
    strings = strings && args[i].type == BPT_T_STRING;
  }
  switch (b) {
  case BPT_BI_NOW:
  case BPT_BI_TODAY: {
    uint8_t type = b == BPT_BI_NOW ? BPT_T_DATETIME : BPT_T_DATE;
    int64_t v = rt_floor_div(now, type == BPT_T_DATE ? 86400 : 60);
    if (!rt_date_in_range(type, v)) return date_range_error(type, e); /* the host's clock */
    *out = (Value){.type = type, .u.i = v};
    return RT_OK;
  }
  case BPT_BI_LEN:
    if (args[0].type == BPT_T_STRING || args[0].type == BPT_T_USER) {
      *out = rt_int((int64_t)utf8_count(args[0].u.s->s, args[0].u.s->len));
      return RT_OK;
    }
    if (rt_is_list(args[0].type)) {
      *out = rt_int(args[0].u.l->n);
      return RT_OK;
    }
    break;
  case BPT_BI_SUBSTR: {
    if (!want(args, 0, BPT_T_STRING) || !want(args, 1, BPT_T_INT) || !want(args, 2, BPT_T_INT))
      break;
    return rt_text_substr(rt, NULL, args[0].u.s, args[1].u.i, args[2].u.i, out, e);
  }
  case BPT_BI_LOWER:
  case BPT_BI_UPPER:
    if (!strings) break;
    return map_case(rt, args[0], b == BPT_BI_UPPER, out, e);
  case BPT_BI_TRIM:
    if (!strings) break;
    return trim(rt, NULL, args[0], out, e);
  case BPT_BI_REPLACE:
    if (!strings) break;
    return replace(rt, args[0], args[1], args[2], out, e);
  case BPT_BI_STARTS_WITH:
  case BPT_BI_ENDS_WITH:
  case BPT_BI_CONTAINS: {
    if (!strings) break;
    const RtStr *s = args[0].u.s, *p = args[1].u.s;
    bool r = b == BPT_BI_CONTAINS ? contains(s, p)
             : p->len > s->len    ? false
             : b == BPT_BI_STARTS_WITH ? memcmp(s->s, p->s, p->len) == 0
                                       : memcmp(s->s + s->len - p->len, p->s, p->len) == 0;
    *out = rt_bool(r);
    return RT_OK;
  }
  case BPT_BI_ROUND:
    if (!is_number(args[0].type) || !want(args, 1, BPT_T_INT)) break;
    return round_to(args[0], args[1].u.i, out, e);
  case BPT_BI_MIN:
  case BPT_BI_MAX:
    /* Numbers, dates, datetimes or durations (docs/language.md): min_max returns one of
     * its arguments as it is, which for a text or a list would be a reference not counted
     * (a crafted bundle's min of two texts freed its variable's text: fuzz_bundle). */
    if (rt_is_obj(args[0].type) || rt_is_obj(args[1].type)) break;
    return min_max(b == BPT_BI_MAX, args[0], args[1], out, e);
  case BPT_BI_ROLE:
    if (!strings) break;
    return role(rt, args[0], out, e);
  case BPT_BI_JOIN:
    if (!rt_is_list(args[0].type) || !want(args, 1, BPT_T_STRING)) break;
    return join(rt, args[0], args[1], out, e);
  case BPT_BI_DATE:
  case BPT_BI_DATETIME: {
    if (!strings) break;
    int64_t v;
    const RtStr *s = args[0].u.s;
    bool ok = b == BPT_BI_DATE ? bpt_parse_date(s->s, s->len, &v) : bpt_parse_datetime(s->s, s->len, &v);
    if (!ok)
      return rt_error(e, "%s(\"%.40s\"): not a valid %s (%s)", name, s->s, name,
                      b == BPT_BI_DATE ? "YYYY-MM-DD" : "YYYY-MM-DDTHH:MM");
    *out = (Value){.type = b == BPT_BI_DATE ? BPT_T_DATE : BPT_T_DATETIME, .u.i = v};
    return RT_OK;
  }
  case BPT_BI_OPEN_ITEMS:
  case BPT_BI_OPEN_USERS: /* the interpreter answers these (rt_open_items): they read an instance */
    return rt_error(e, "`%s` reads the open items of an instance: only a process can call it", name);
  default: break;
  }
  return rt_error(e, "`%s` cannot take these arguments", name);
}

/* ---- public values ---------------------------------------------------------------------------- */

bool rt_view(BpRuntime *rt, Value v, BpValue *out, RtVec *scratch) {
  *out = (BpValue){.type = v.type, .unset = v.unset != 0, .scale = v.scale};
  if (v.type == BPT_T_STRING || v.type == BPT_T_USER) {
    out->s = v.u.s->s;
    out->len = v.u.s->len;
  } else if (rt_is_list(v.type)) {
    scratch->n = 0;
    for (uint32_t i = 0; i < v.u.l->n; i++) {
      BpValue *item = rt_vec_push(rt, scratch, sizeof *item);
      if (!item) return false;
      Value x = v.u.l->items[i];
      *item = (BpValue){.type = x.type, .unset = x.unset != 0, .scale = x.scale, .i = x.u.i};
      if (x.type == BPT_T_STRING || x.type == BPT_T_USER) {
        item->s = x.u.s->s;
        item->len = x.u.s->len;
        item->i = 0;
      }
    }
    out->items = scratch->v;
    out->n = v.u.l->n;
  } else if (!rt_is_record(v.type)) {
    out->i = v.u.i;
  }
  return true;
}

/* How many of the 8 bytes at u, a character's start, are valid characters of one or two
 * bytes (ASCII, Latin, Greek, Cyrillic, mixed in any way): 8, or 7 when the eighth byte
 * leads a character that ends in the next 8; 0 when the word holds anything else (a
 * longer character, an invalid byte), for the caller to go a character at a time. Each
 * byte's bit 7 carries a mark, tested for all 8 bytes at once. A lead C2..DF and one
 * continuation byte is always a valid character (C0 and C1 would be overlong); so the
 * word is good when it has no lead of 0xE0 or more and none below C2, and the
 * continuation bytes are exactly the bytes after a lead. No sum carries out of its byte.
 * FIRST_CONT 0x80 lets the first byte be a continuation byte (rt_valid_utf8's last word,
 * whose first bytes were checked already). */
static inline size_t short_chars(const unsigned char *u, uint64_t first_cont) {
  const uint64_t ones = 0x0101010101010101u, high = 0x80 * ones;
  uint64_t w = load8(u);
  uint64_t top = w & high; /* bit 7 set: not ASCII */
  if (!top) return 8;
  uint64_t lead = top & (w << 1);  /* 11xxxxxx */
  uint64_t cont = top & ~(w << 1); /* 10xxxxxx */
  uint64_t long_lead = lead & (w << 2); /* 111xxxxx */
  /* bits 1-4 of a lead all zero (C0, C1): (lead & 0x1E) + 0x7E reaches bit 7 otherwise */
  uint64_t overlong = lead & ~((w & 0x1E * ones) + 0x7E * ones);
  if ((long_lead | overlong) != 0 || (cont & ~first_cont) != (lead << 8)) return 0;
  return 8 - (size_t)(lead >> 63);
}

#if defined(__SSE2__)
#include <emmintrin.h>
/* One block of 16 bytes for wide_chars: its lead bytes C2..DF as bits (byte k: bit k)
 * into *LEADS; false unless every byte is ASCII, such a lead or a continuation byte, and
 * the continuation bytes are exactly the bytes after a lead (CARRY: the byte before the
 * block was one). As signed bytes: a continuation is -128..-65, a lead C2..DF -62..-33. */
static inline bool wide_block(__m128i v, unsigned carry, unsigned *leads) {
  unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-64)));
  unsigned lead = (unsigned)_mm_movemask_epi8(
      _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(-63)), _mm_cmplt_epi8(v, _mm_set1_epi8(-32))));
  unsigned high = (unsigned)_mm_movemask_epi8(v); /* bit 7 set: not ASCII */
  *leads = lead;
  return (cont | lead) == high && cont == (((lead << 1) | carry) & 0xFFFF);
}

/* The bytes of U from I to LEN (1 to 15 of them) as a block padded with NULs, read by
 * loads of 8 bytes that stay within the text (no copy through memory). */
static inline __m128i tail_block(const unsigned char *u, size_t i, size_t len) {
  size_t n = len - i;
  uint64_t lo = 0, hi = 0;
  if (n >= 8) {
    memcpy(&lo, u + i, 8);
    memcpy(&hi, u + len - 8, 8);
    hi = n == 8 ? 0 : hi >> (8 * (16 - n)); /* its last n - 8 bytes */
  } else if (len >= 8) {
    memcpy(&lo, u + len - 8, 8);
    lo >>= 8 * (8 - n); /* its last n bytes */
  } else {
    for (size_t k = 0; k < n; k++) lo |= (uint64_t)u[i + k] << (8 * k);
  }
  return _mm_set_epi64x((long long)hi, (long long)lo);
}
#endif

/* How many of the first bytes of U (LEN of them) are valid characters of one or two bytes,
 * ending where a character ends: 16 bytes a step with SSE2 (always there on x86-64), the
 * last 1 to 15 in a block padded with NULs (tail_block: a lead at the very end then lacks
 * its continuation byte, as it should). A text of longer characters or an invalid byte stops
 * it at the start of the character before the block it is in; rt_valid_utf8 goes on from
 * there. Names and addresses in Latin, Greek or Cyrillic letters are checked here whole.
 * Without SSE2: 0. */
static inline size_t wide_chars(const unsigned char *u, size_t len) {
#if defined(__SSE2__)
  size_t i = 0;
  unsigned carry = 0, leads;
  for (; len - i >= 16; i += 16) {
    if (!wide_block(_mm_loadu_si128((const __m128i *)(const void *)(u + i)), carry, &leads)) return i - carry;
    carry = leads >> 15;
  }
  if (i == len) return i - carry;
  if (!wide_block(tail_block(u, i, len), carry, &leads)) return i - carry;
  return len;
#else
  (void)u, (void)len;
  return 0;
#endif
}

/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. Text of one- and
 * two-byte characters goes 16 bytes at a time (wide_chars), else from where wide_chars
 * stopped 8 bytes at a time (short_chars). Its last bytes, fewer than
 * 8, are tested as the last 8 bytes of the text: the bytes before i are valid already,
 * and the first after them cannot be a continuation byte there, since the byte before it
 * ends a character and short_chars passes a continuation byte only after a lead. Anything
 * else goes a character at a time, and after a word that short_chars does not pass, the
 * next 8 bytes too, then 16, 32...: text of longer characters (Chinese, Hindi) does not
 * pay for a word test per character. valid_utf8_from: the bytes from I on, the bytes
 * before I valid and I a character's start. */
static __attribute__((noinline)) bool valid_utf8_from(const unsigned char *u, size_t len, size_t i) {
  size_t by_char_until = 0, by_char = 8, k;
  while (i < len) {
    if (i >= by_char_until) {
      size_t from = i;
      while (len - i >= 8 && (k = short_chars(u + i, 0)) != 0) i += k;
      if (i == len || (len - i < 8 && len >= 8 && short_chars(u + len - 8, 0x80) == 8)) return true;
      /* A word short_chars did not pass, or the last bytes: the next by_char bytes go a
       * character at a time, twice as many each time no word passed. */
      by_char = i > from ? 8 : by_char < 256 ? 2 * by_char : by_char;
      by_char_until = i + by_char;
    }
    unsigned c = u[i];
    size_t n;
    uint32_t cp, min;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (len - i < 2 || (u[i + 1] & 0xC0) != 0x80) return false;
      i += 2;
      continue;
    } else if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07, min = 0x10000;
    else return false;
    if (i + n > len) return false;
    for (size_t k = 1; k < n; k++) {
      if ((u[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (u[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

/* (The text wide_chars passes whole, most, returns without the byte-wise part's setup.) */
bool rt_valid_utf8(const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = wide_chars(u, len);
  return i == len || valid_utf8_from(u, len, i);
}

bool bp_text_valid(const char *s, size_t len) { return s && rt_valid_utf8(s, len); }

/* A host's text or user checked: UTF-8, then its size. */
static inline RtCode text_check(const char *s, size_t len, RtErr *e) {
  if (!rt_text_valid(s, len)) return rt_error(e, "text that is not valid UTF-8");
  if (len > BP_MAX_STRING) return rt_too_long(e);
  return RT_OK;
}

/* A host's text or user: checked, then copied. */
static inline RtCode text_from_public(BpRuntime *rt, const BpValue *in, Value *out, RtErr *e) {
  const char *s = in->s ? in->s : "";
  size_t len = in->s ? in->len : 0;
  if (text_check(s, len, e) != RT_OK) return e->code;
  return rt_str_new(rt, s, len, in->type, out) ? RT_OK : rt_nomem(e);
}

static RtCode scalar_from_public(BpRuntime *rt, const BpValue *in, Value *out, RtErr *e) {
  switch (in->type) {
  case BPT_T_STRING:
  case BPT_T_USER:
    return text_from_public(rt, in, out, e);
  case BPT_T_DECIMAL:
    if (in->scale > 18) return rt_error(e, "a decimal with %u fraction digits (18 at most)", in->scale);
    *out = (Value){.type = BPT_T_DECIMAL, .scale = in->scale, .u.i = in->i};
    return RT_OK;
  case BPT_T_BOOL:
    *out = rt_bool(in->i != 0);
    return RT_OK;
  case BPT_T_INT:
  case BPT_T_DURATION:
    *out = (Value){.type = in->type, .u.i = in->i};
    return RT_OK;
  case BPT_T_DATE:
  case BPT_T_DATETIME:
    if (!in->unset && !rt_date_in_range(in->type, in->i)) return date_range_error(in->type, e);
    *out = (Value){.type = in->type, .unset = in->unset, .u.i = in->unset ? 0 : in->i};
    return RT_OK;
  default:
    return rt_error(e, "a value of unknown type %u", in->type);
  }
}

static RtCode list_from_public(BpRuntime *rt, const BpValue *in, Value *out, RtErr *e);

/* On failure *out holds nothing (whatever was built is freed). */
RtCode rt_from_public(BpRuntime *rt, const BpValue *in, Value *out, RtErr *e) {
  RtCode c = in->type == BP_T_STRING || in->type == BP_T_USER ? text_from_public(rt, in, out, e) /* the most */
             : rt_is_list(in->type)                          ? list_from_public(rt, in, out, e)
                                                             : scalar_from_public(rt, in, out, e);
  if (c != RT_OK) *out = (Value){0};
  return c;
}

static RtCode list_from_public(BpRuntime *rt, const BpValue *in, Value *out, RtErr *e) {
  uint8_t elem = in->type & 0x7F;
  if (elem > BPT_T_USER) return rt_error(e, "a list of unknown type");
  if (in->n > UINT32_MAX / 32 || (in->n && !in->items)) return rt_error(e, "a list without items");
  if (!rt_list_new(rt, in->type, (uint32_t)in->n, out)) return rt_nomem(e);
  uint32_t k = 0;
  for (size_t i = 0; i < in->n; i++) {
    if (in->items[i].type != elem) {
      rt_unref(rt, *out);
      return rt_error(e, "item %zu of a %s is %s", i + 1, bpt_type_name(in->type),
                      bpt_type_name(in->items[i].type));
    }
    Value x;
    if (scalar_from_public(rt, &in->items[i], &x, e) != RT_OK) {
      rt_unref(rt, *out);
      return e->code;
    }
    out->u.l->items[k++] = x;
  }
  if (!(elem == BPT_T_USER ? rt_users_unique(rt, out, k) : rt_list_shrink(rt, out, k))) {
    rt_unref(rt, *out);
    return rt_nomem(e);
  }
  if (elem == BPT_T_USER && rt_users_bounded(out, e) != RT_OK) {
    rt_unref(rt, *out);
    *out = (Value){0};
    return e->code;
  }
  return RT_OK;
}

/* ---- the host's texts in a document's room (RtRoom, rt.h) ---- */

/* Names, titles and short lists of people, the usual start arguments, go to the room;
 * longer texts and lists are allocated as before (a room is for a few small objects). */
enum { ROOM_TEXT_MAX = RT_ROOM_TEXT_MAX, ROOM_ITEMS_MAX = RT_USERS_FEW };
_Static_assert(ROOM_ITEMS_MAX <= BP_MAX_USERS, "a list in a room is never too long");
_Static_assert(sizeof(RtList) + ROOM_ITEMS_MAX * (sizeof(Value) + sizeof(RtStr) + ROOM_TEXT_MAX + 16u) <= 0xFFFF,
               "rt_room_need fits 16 bits (bp_start keeps it so)");

static size_t room_text_need(const BpValue *in) { return rt_room_text_need(in); }

size_t rt_room_need_other(const BpValue *in) {
  if (!rt_is_list(in->type) || in->n > ROOM_ITEMS_MAX || (in->n && !in->items)) return 0;
  size_t need = rt_room_bytes(sizeof(RtList) + in->n * sizeof(Value));
  for (size_t i = 0; i < in->n; i++) {
    const BpValue *x = &in->items[i];
    if (x->type != BP_T_STRING && x->type != BP_T_USER) continue; /* a scalar is in the list */
    size_t k = room_text_need(x);
    if (!k) return 0;
    need += k;
  }
  return need;
}

/* Whether user s is among the first k items of l already. */
SHORT_PATH bool room_has_user(const RtList *l, uint32_t k, const char *s, size_t len) {
  for (uint32_t j = 0; j < k; j++) {
    const RtStr *u = l->items[j].u.s;
    /* the last bytes first, as rt_text_equal does: names of a length mostly end apart */
    if (u->len == len && (len == 0 || (u->s[len - 1] == s[len - 1] && memcmp(u->s, s, len) == 0))) return true;
  }
  return false;
}

/* list_in_room's common case, a list of the host's people or names: each item a short
 * text in ASCII (rt_short_ascii, 16 bytes at most) of the list's type, placed as
 * list_in_room places it. False for anything else, with the room as it was (nothing is
 * taken before the end): list_in_room then goes through the list with its checks and
 * messages, and is kept out of line: its error paths would cost this one registers. */
static bool texts_in_room(RtRoom *room, const BpValue *in, uint8_t elem, Value *out) {
  RtList *l = (RtList *)room->at;
  size_t head = rt_room_bytes(sizeof *l + in->n * sizeof(Value));
  RtRoom items = {room->at + head, room->left - head};
  uint32_t k = 0;
  for (size_t i = 0; i < in->n; i++) {
    const BpValue *x = &in->items[i];
    if (x->type != elem || !x->s || x->len > 16 || !rt_short_ascii(x->s, x->len)) return false;
    if (elem == BPT_T_USER && room_has_user(l, k, x->s, x->len)) continue; /* a person counts once */
    rt_room_text(&items, x->s, x->len, elem, &l->items[k++]); /* (it fits: rt_room_need counted it) */
  }
  l->ref = RT_IMMORTAL;
  l->n = k;
  *room = items;
  *out = (Value){.type = in->type, .u.l = l};
  return true;
}

/* list_from_public in a room that holds rt_room_need(in) bytes: the same checks in the
 * same order, the same messages, and a list of users keeps each person's first place
 * (as rt_users_unique does). On an error the room is as it was. */
static __attribute__((noinline)) RtCode list_in_room(BpRuntime *rt, RtRoom *room, const BpValue *in, Value *out, RtErr *e) {
  uint8_t elem = in->type & 0x7F;
  if (elem > BPT_T_USER) return rt_error(e, "a list of unknown type");
  RtList *l = (RtList *)room->at;
  size_t head = rt_room_bytes(sizeof *l + in->n * sizeof(Value));
  RtRoom items = {room->at + head, room->left - head};
  uint32_t k = 0;
  for (size_t i = 0; i < in->n; i++) {
    const BpValue *x = &in->items[i];
    if (x->type != elem)
      return rt_error(e, "item %zu of a %s is %s", i + 1, bpt_type_name(in->type), bpt_type_name(x->type));
    Value v;
    if (elem == BPT_T_STRING || elem == BPT_T_USER) {
      const char *s = x->s ? x->s : "";
      size_t len = x->s ? x->len : 0;
      if (text_check(s, len, e) != RT_OK) return e->code;
      if (elem == BPT_T_USER && room_has_user(l, k, s, len)) continue; /* a person counts once */
      rt_room_text(&items, s, len, elem, &v); /* (it fits: rt_room_need counted it) */
    } else if (scalar_from_public(rt, x, &v, e) != RT_OK) {
      return e->code;
    }
    l->items[k++] = v;
  }
  l->ref = RT_IMMORTAL;
  l->n = k;
  *room = items;
  *out = (Value){.type = in->type, .u.l = l};
  return RT_OK;
}

RtCode rt_from_public_in(BpRuntime *rt, RtRoom *room, const BpValue *in, size_t need, Value *out, RtErr *e) {
  if (!room || !need || need > room->left) return rt_from_public(rt, in, out, e);
  *out = (Value){0};
  if (rt_is_list(in->type)) {
    uint8_t elem = in->type & 0x7F;
    if ((elem == BPT_T_USER || elem == BPT_T_STRING) && texts_in_room(room, in, elem, out)) return RT_OK;
    return list_in_room(rt, room, in, out, e);
  }
  const char *s = in->s ? in->s : "";
  size_t len = in->s ? in->len : 0;
  if (text_check(s, len, e) != RT_OK) return e->code;
  rt_room_text(room, s, len, in->type, out); /* (it fits: need <= room->left) */
  return RT_OK;
}

static bool copy_text(BpRuntime *rt, const char *s, size_t len, BpValue *out) {
  char *p = rt_alloc(rt, len + 1);
  if (!p) return false;
  memcpy(p, s, len);
  out->s = p;
  out->len = len;
  return true;
}

bool rt_to_owned(BpRuntime *rt, Value v, BpValue *out) {
  *out = (BpValue){.type = v.type, .unset = v.unset != 0, .scale = v.scale};
  if (v.type == BPT_T_STRING || v.type == BPT_T_USER) return copy_text(rt, v.u.s->s, v.u.s->len, out);
  if (rt_is_record(v.type)) return true;
  if (!rt_is_list(v.type)) {
    out->i = v.u.i;
    return true;
  }
  BpValue *items = rt_alloc(rt, (v.u.l->n ? v.u.l->n : 1) * sizeof *items);
  if (!items) return false;
  out->items = items;
  out->n = v.u.l->n;
  for (uint32_t i = 0; i < v.u.l->n; i++) {
    Value x = v.u.l->items[i];
    items[i] = (BpValue){.type = x.type, .unset = x.unset != 0, .scale = x.scale};
    if (x.type == BPT_T_STRING || x.type == BPT_T_USER) {
      if (!copy_text(rt, x.u.s->s, x.u.s->len, &items[i])) {
        out->n = i;
        bp_value_free(rt, out);
        return false;
      }
    } else {
      items[i].i = x.u.i;
    }
  }
  return true;
}
