/* rt_message.c — messages: a thread waiting for one (RECEIVE), its delivery by the host
 * (bp_message, through rt_deliver_message) and the payload fields it takes (MSG_TAKE),
 * and the host's view of what an instance waits for.
 *
 * The code of `wait message paid { amount: decimal }` is
 *
 *     RECEIVE "paid" 1
 *     MSG_TAKE "amount"
 *     STORE amount
 *
 * (the verifier makes sure the n pairs follow the RECEIVE). A waiting thread rests just
 * after the RECEIVE, so the message it waits for is the RECEIVE before its pc, and the
 * fields it takes are the pairs after it: nothing about a message wait is kept in the
 * state but the thread. A delivery reads those pairs first and refuses a payload that
 * does not fit before anything moves; then each receiver runs its pairs, which take the
 * payload from the event (Tx). */
#include <stdio.h>
#include <string.h>

#include "rt_vm.h"

uint32_t rt_receive_pc(const BpBundle *b, const BptProcess *p, const RtThread *t) {
  if (t->pc < RT_RECEIVE_SIZE) return BPT_NO_PC;
  uint32_t pc = t->pc - RT_RECEIVE_SIZE;
  BptInsn in;
  const uint8_t *code = b->b.code + p->code_offset;
  if (!bpt_decode(code, p->code_size, pc, &in) || in.op != BPT_OP_RECEIVE || in.size != RT_RECEIVE_SIZE)
    return BPT_NO_PC;
  return pc;
}

/* One payload field a receiver takes: its name and the type of where it is stored. */
typedef struct Take {
  const char *name;
  uint8_t type;
} Take;

/* The type a STORE or STORE_FIELD at pc stores (BPT_T_VOID: not a store). */
static uint8_t store_type(const BpBundle *b, const BptProcess *p, uint32_t pc) {
  BptInsn in;
  if (!bpt_decode(b->b.code + p->code_offset, p->code_size, pc, &in)) return BPT_T_VOID;
  if (in.op == BPT_OP_STORE && in.arg[0] < p->nslots) return p->slots[in.arg[0]].type;
  if (in.op == BPT_OP_STORE_FIELD && p->doctype != BPT_NONE16 && in.arg[0] < b->b.doctypes[p->doctype].nfields)
    return b->b.doctypes[p->doctype].fields[in.arg[0]].type;
  return BPT_T_VOID;
}

/* The k-th field taken by the RECEIVE at pc (k < its count). false: the code is not as
 * the verifier leaves it. */
static bool take_at(const BpBundle *b, const BptProcess *p, uint32_t pc, uint32_t k, Take *out) {
  const uint8_t *code = b->b.code + p->code_offset;
  BptInsn in;
  pc += RT_RECEIVE_SIZE;
  for (uint32_t i = 0; i <= k; i++) {
    if (!bpt_decode(code, p->code_size, pc, &in) || in.op != BPT_OP_MSG_TAKE) return false;
    uint32_t store = pc + in.size;
    if (i == k) {
      out->name = rt_string(b, in.arg[0]);
      out->type = store_type(b, p, store);
      return out->type != BPT_T_VOID;
    }
    if (!bpt_decode(code, p->code_size, store, &in)) return false;
    pc = store + in.size;
  }
  return false;
}

/* The RECEIVE at pc: its message name and field count. */
static const char *receive_name(const BpBundle *b, const BptProcess *p, uint32_t pc, uint32_t *nfields) {
  BptInsn in;
  bpt_decode(b->b.code + p->code_offset, p->code_size, pc, &in);
  *nfields = in.arg[1];
  return rt_string(b, in.arg[0]);
}

bool rt_receive(Tx *tx, uint32_t tid, const BptInsn *in, uint32_t pc, uint32_t next) {
  RtThread *th = thread_by_id(tx, tid);
  th->wait = W_MESSAGE;
  th->pc = next;
  rt_journal(tx, BP_J_MESSAGE_WAIT, rt_pc_node(tx, pc), "waits for message %s", rt_string(tx->b, in->arg[0]));
  return tx->err.code == RT_OK;
}

bool rt_msg_take(Tx *tx, const BptInsn *in, uint32_t pc, uint32_t next, Value *out) {
  const char *name = rt_string(tx->b, in->arg[0]);
  uint8_t type = store_type(tx->b, tx->p, next);
  size_t i = 0;
  while (tx->msg_fields && i < tx->msg_n && strcmp(tx->msg_fields[i].name, name) != 0) i++;
  if (!tx->msg_fields || i == tx->msg_n || type == BPT_T_VOID)
    return rt_fail_at(tx, pc, "message field `%s` read outside the delivery of its message", name);
  RtErr e = {0};
  RtCode code = rt_convert(tx->rt, tx->msg_values[i], type, out, &e);
  if (code == RT_NOMEM) return nomem(tx);
  if (code != RT_OK) return rt_fail_at(tx, pc, "message field `%s`: %s", name, e.msg);
  return true;
}

/* Checks the payload against the fields the RECEIVE at pc takes; marks the fields used. */
static bool payload_fits(Tx *tx, uint32_t pc, const Value *values, const BpArg *fields, size_t n, bool *used,
                         char *why, size_t why_size) {
  uint32_t k;
  const char *msg = receive_name(tx->b, tx->p, pc, &k);
  for (uint32_t j = 0; j < k; j++) {
    Take t;
    if (!take_at(tx->b, tx->p, pc, j, &t)) {
      snprintf(why, why_size, "message `%s`: its fields are damaged in the bundle", msg);
      return false;
    }
    size_t i = 0;
    while (i < n && strcmp(fields[i].name, t.name) != 0) i++;
    if (i == n) {
      snprintf(why, why_size, "message `%s` needs field `%s` (%s)", msg, t.name, bpt_type_name(t.type));
      return false;
    }
    Value v;
    RtErr e = {0};
    RtCode code = rt_convert(tx->rt, values[i], t.type, &v, &e);
    if (code == RT_NOMEM) return nomem(tx);
    if (code != RT_OK) {
      snprintf(why, why_size, "message `%s`, field `%s`: %s", msg, t.name, e.msg);
      return false;
    }
    rt_unref(tx->rt, v);
    used[i] = true;
  }
  return true;
}

/* Copies of the payload's values (runtime values), checked for duplicate names. */
static bool payload_values(Tx *tx, const BpArg *fields, size_t n, Value *values, char *why, size_t why_size) {
  for (size_t i = 0; i < n; i++) {
    if (!fields[i].name || !rt_valid_utf8(fields[i].name, strlen(fields[i].name))) {
      snprintf(why, why_size, "a message field without a name, or not UTF-8");
      return false;
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(fields[j].name, fields[i].name) == 0) {
        snprintf(why, why_size, "message field `%s` is given twice", fields[i].name);
        return false;
      }
    RtErr e = {0};
    RtCode code = rt_from_public(tx->rt, &fields[i].value, &values[i], &e);
    if (code == RT_NOMEM) return nomem(tx);
    if (code != RT_OK) {
      snprintf(why, why_size, "message field `%s`: %s", fields[i].name, e.msg);
      return false;
    }
  }
  return true;
}

/* The journal line of a delivery: "received message paid: amount = 12.50". */
static void journal_received(Tx *tx, uint32_t pc, const char *name, const BpArg *fields, const Value *values,
                             size_t n) {
  if (!rt_journaling(tx)) return;
  RtBuf b = {0};
  rt_buf_printf(tx->rt, &b, "received message %s", name);
  for (size_t i = 0; i < n; i++) {
    rt_buf_printf(tx->rt, &b, "%s%s = ", i ? ", " : ": ", fields[i].name);
    rt_text_of(tx, &b, values[i]);
  }
  rt_journal_text(tx, BP_J_RECEIVED, rt_pc_node(tx, pc), &b);
}

static void waited_names(Tx *tx, char *why, size_t why_size, const char *name) {
  size_t len = (size_t)snprintf(why, why_size, "no thread of this instance waits for message `%s`", name);
  uint32_t listed = 0;
  for (uint32_t i = 0; i < tx->s.threads.n && len < why_size; i++) {
    const RtThread *t = RT_AT(tx->s.threads, RtThread, i);
    uint32_t pc = t->wait == W_MESSAGE ? rt_receive_pc(tx->b, tx->p, t) : BPT_NO_PC;
    if (pc == BPT_NO_PC) continue;
    uint32_t k;
    len += (size_t)snprintf(why + len, why_size - len, "%s`%s`", listed++ ? ", " : " (it waits for ",
                            receive_name(tx->b, tx->p, pc, &k));
  }
  if (len < why_size) snprintf(why + len, why_size - len, "%s", listed ? ")" : " (it waits for no message)");
}

bool rt_deliver_message(Tx *tx, const char *name, const BpArg *fields, size_t n, char *why, size_t why_size) {
  size_t vbytes = (n ? n : 1) * sizeof(Value);
  Value *values = rt_alloc(tx->rt, vbytes);
  bool *used = rt_alloc(tx->rt, n ? n : 1);
  bool ok = values && used;
  if (!ok) nomem(tx);
  *why = 0;
  ok = ok && payload_values(tx, fields, n, values, why, why_size);
  uint32_t receivers = 0;
  for (uint32_t i = 0; ok && i < tx->s.threads.n; i++) {
    const RtThread *t = RT_AT(tx->s.threads, RtThread, i);
    uint32_t pc = t->wait == W_MESSAGE ? rt_receive_pc(tx->b, tx->p, t) : BPT_NO_PC;
    uint32_t k;
    if (pc == BPT_NO_PC || strcmp(receive_name(tx->b, tx->p, pc, &k), name) != 0) continue;
    receivers++;
    ok = payload_fits(tx, pc, values, fields, n, used, why, why_size);
  }
  if (ok && !receivers) {
    waited_names(tx, why, why_size, name);
    ok = false;
  }
  for (size_t i = 0; ok && i < n; i++)
    if (!used[i]) {
      snprintf(why, why_size, "message `%s` has no field `%s`", name, fields[i].name);
      ok = false;
    }
  /* Every receiver goes on, in the order the threads are kept (the order they began). */
  for (uint32_t i = 0; ok && i < tx->s.threads.n; i++) {
    RtThread *t = RT_AT(tx->s.threads, RtThread, i);
    uint32_t pc = t->wait == W_MESSAGE ? rt_receive_pc(tx->b, tx->p, t) : BPT_NO_PC;
    uint32_t k;
    if (pc == BPT_NO_PC || strcmp(receive_name(tx->b, tx->p, pc, &k), name) != 0) continue;
    journal_received(tx, pc, name, fields, values, n);
    t->wait = W_RUN;
    ok = rt_ready(tx, t->id) && tx->err.code == RT_OK;
  }
  if (ok) {
    tx->msg_values = values;
    tx->msg_fields = fields;
    tx->msg_n = n;
    rt_run(tx);
    tx->msg_values = NULL;
    tx->msg_fields = NULL;
    tx->msg_n = 0;
  }
  if (values) {
    for (size_t i = 0; i < n; i++) rt_unref(tx->rt, values[i]);
    rt_dealloc(tx->rt, values, vbytes);
  }
  if (used) rt_dealloc(tx->rt, used, n ? n : 1);
  return ok || tx->err.code != RT_OK;
}

/* ---- what the host sees ------------------------------------------------------------------- */

/* The RECEIVE pc of the i-th distinct message name the instance waits for. */
static uint32_t nth_message(const BpInstance *inst, size_t want, size_t *count) {
  const BptProcess *p = &inst->b->b.processes[inst->proc];
  size_t found = 0;
  for (uint32_t i = 0; i < inst->s.threads.n; i++) {
    const RtThread *t = RT_AT(inst->s.threads, RtThread, i);
    uint32_t pc = t->wait == W_MESSAGE ? rt_receive_pc(inst->b, p, t) : BPT_NO_PC;
    if (pc == BPT_NO_PC) continue;
    uint32_t k;
    const char *name = receive_name(inst->b, p, pc, &k);
    bool seen = false;
    for (uint32_t j = 0; j < i && !seen; j++) {
      const RtThread *u = RT_AT(inst->s.threads, RtThread, j);
      uint32_t q = u->wait == W_MESSAGE ? rt_receive_pc(inst->b, p, u) : BPT_NO_PC;
      seen = q != BPT_NO_PC && strcmp(receive_name(inst->b, p, q, &k), name) == 0;
    }
    if (seen) continue;
    if (found++ == want) return pc;
  }
  if (count) *count = found;
  return BPT_NO_PC;
}

size_t bp_instance_message_count(const BpInstance *inst) {
  if (!inst || inst->s.status != ST_WAITING) return 0;
  size_t n = 0;
  nth_message(inst, SIZE_MAX, &n);
  return n;
}

bool bp_instance_message_wait(BpInstance *inst, size_t i, BpMessageWait *out) {
  if (!inst || !out || inst->s.status != ST_WAITING) return false;
  uint32_t pc = nth_message(inst, i, NULL);
  if (pc == BPT_NO_PC) return false;
  const BptProcess *p = &inst->b->b.processes[inst->proc];
  uint32_t k;
  out->name = receive_name(inst->b, p, pc, &k);
  RtVec *v = &inst->message_fields;
  v->n = 0;
  for (uint32_t j = 0; j < k; j++) {
    Take t;
    if (!take_at(inst->b, p, pc, j, &t)) return false;
    BpField *f = rt_vec_push(inst->rt, v, sizeof *f);
    if (!f) return false;
    *f = (BpField){.name = t.name, .label = "", .type = (BpType)t.type};
  }
  out->fields = k ? v->v : NULL;
  out->nfields = k;
  return true;
}
