/* test_bpt.c — the bundle module: tables, CRC-32C, write/read round trips, the listing,
 * and one minimal broken bundle per rule of bpt_read and bpt_verify, each checking its
 * message. Bundles are built in memory by the small builder below, which
 * test_bpt_mutate.c reuses (it includes this file with BPT_TEST_BUILDER_ONLY). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bpt.h"
#include "bpt_time.h"

/* ---- an allocator that counts, checks sizes and can fail on purpose ------------------ */

typedef struct Mem {
  size_t live, peak;
  long allocs;
  long fail_at; /* the allocation (0-based) that returns NULL; -1: none */
} Mem;

#define MEM_INIT                                                                                   \
  { 0, 0, 0, -1 }

/* Each block carries its size in front, so a wrong `old size` is caught. */
static void *mem_alloc(void *ud, void *ptr, size_t old, size_t size) {
  Mem *m = ud;
  size_t *h = ptr ? (size_t *)ptr - 2 : NULL;
  if (h && h[0] != old) {
    fprintf(stderr, "allocator: old size %zu, block has %zu\n", old, h[0]);
    abort();
  }
  if (size == 0) {
    if (h) m->live -= old, free(h);
    return NULL;
  }
  if (m->allocs++ == m->fail_at) return NULL;
  size_t *n = realloc(h, size + 2 * sizeof(size_t));
  if (!n) return NULL;
  n[0] = size;
  m->live = m->live - (h ? old : 0) + size;
  if (m->live > m->peak) m->peak = m->live;
  return n + 2;
}

/* ---- the builder --------------------------------------------------------------------- */

enum {
  MAXS = 160,
  MAXK = 64,
  MAXP = 4,
  MAXSLOT = 16,
  MAXSTEP = 4,
  MAXSTATE = 4,
  MAXCMD = 4,
  MAXCODE = 4096,
  MAXLAB = 64,
  MAXFIX = 128,
  MAXLINE = 64,
  MAXNODE = 32
};

typedef struct Builder {
  BptBundle b;
  BptString strings[MAXS];
  BptConst consts[MAXK];
  uint32_t items[MAXK];
  uint32_t nitems;
  BptDoctype doctype;
  BptField fields[8];
  BptAction action;
  BptParamType aparams[4];
  BptProcess procs[MAXP];
  BptSlot slots[MAXP][MAXSLOT];
  BptParam params[MAXP][4];
  BptStep steps[MAXP][MAXSTEP];
  uint32_t reminds[MAXP][MAXSTEP][4];
  BptReqField rfields[MAXP][MAXSTEP][4];
  BptState states[MAXP][MAXSTATE];
  BptCommand cmds[MAXP][MAXSTATE][MAXCMD];
  uint16_t tfields[MAXP][4];
  uint8_t code[MAXCODE];
  BptLine lines[MAXLINE];
  BptNode nodes[MAXNODE];
  BptEdge edges[MAXNODE];
  uint32_t label[MAXLAB];
  int nlabels;
  struct Fix {
    uint32_t at, end; /* absolute position of the i32, and the relative end of its insn */
    int label;
  } fix[MAXFIX];
  int nfix;
  BptProcess *cur;
} Builder;

static Builder *builder_new(void) {
  Builder *B = calloc(1, sizeof *B);
  assert_non_null(B);
  B->b.strings = B->strings;
  B->strings[0].data = "";
  B->b.nstrings = 1;
  B->b.consts = B->consts;
  B->b.doctypes = &B->doctype;
  B->doctype.fields = B->fields;
  B->b.actions = &B->action;
  B->action.params = B->aparams;
  B->b.processes = B->procs;
  B->b.code = B->code;
  B->b.lines = B->lines;
  B->b.nodes = B->nodes;
  B->b.edges = B->edges;
  return B;
}

/* A string's index, added once. */
static uint32_t S(Builder *B, const char *s) {
  for (uint32_t i = 0; i < B->b.nstrings; i++)
    if (B->strings[i].len == strlen(s) && memcmp(B->strings[i].data, s, strlen(s)) == 0) return i;
  assert_true(B->b.nstrings < MAXS);
  B->strings[B->b.nstrings] = (BptString){s, (uint32_t)strlen(s)};
  return B->b.nstrings++;
}

static uint16_t K(Builder *B, BptConst c) {
  assert_true(B->b.nconsts < MAXK);
  B->consts[B->b.nconsts] = c;
  return (uint16_t)B->b.nconsts++;
}
static uint16_t K_int(Builder *B, int64_t v) { return K(B, (BptConst){.type = BPT_T_INT, .i = v}); }
static uint16_t K_str(Builder *B, const char *s) {
  return K(B, (BptConst){.type = BPT_T_STRING, .str = S(B, s)});
}
static uint16_t K_dur(Builder *B, int64_t s) {
  return K(B, (BptConst){.type = BPT_T_DURATION, .i = s});
}

static uint16_t K_list(Builder *B, uint8_t elem, uint32_t n, const uint16_t *items) {
  uint32_t *at = B->items + B->nitems;
  for (uint32_t i = 0; i < n; i++) at[i] = items[i];
  B->nitems += n;
  return K(B,
           (BptConst){.type = (uint8_t)(BPT_T_LIST | elem), .items = n ? at : NULL, .nitems = n});
}

static uint16_t doc_field(Builder *B, const char *name, uint8_t type, uint16_t def) {
  B->b.ndoctypes = 1;
  B->fields[B->doctype.nfields] = (BptField){S(B, name), type, def};
  return (uint16_t)B->doctype.nfields++;
}

static BptProcess *proc_begin(Builder *B, const char *name, const char *title) {
  uint32_t n = B->b.nprocesses++;
  BptProcess *p = B->cur = &B->procs[n];
  *p = (BptProcess){.name = S(B, name),
                    .title = S(B, title),
                    .doctype = BPT_NONE16,
                    .when_pc = BPT_NO_PC,
                    .code_offset = B->b.code_size,
                    .trigger_fields = B->tfields[n],
                    .slots = B->slots[n],
                    .params = B->params[n],
                    .steps = B->steps[n],
                    .states = B->states[n],
                    .first_line = B->b.nlines,
                    .first_node = B->b.nnodes,
                    .first_edge = B->b.nedges};
  for (int i = 0; i < MAXSTEP; i++) {
    B->steps[n][i].remind_pc = B->reminds[n][i];
    B->steps[n][i].fields = B->rfields[n][i];
  }
  for (int i = 0; i < MAXSTATE; i++) B->states[n][i].commands = B->cmds[n][i];
  B->nlabels = B->nfix = 0;
  return p;
}

static uint16_t slot(Builder *B, const char *name, uint8_t type, uint8_t kind) {
  BptProcess *p = B->cur;
  p->slots[p->nslots] = (BptSlot){S(B, name), type, kind};
  return p->nslots++;
}

static uint32_t pc_now(Builder *B) { return B->b.code_size - B->cur->code_offset; }

static int lab(Builder *B) {
  B->label[B->nlabels] = BPT_NO_PC;
  return B->nlabels++;
}
static void here(Builder *B, int L) { B->label[L] = pc_now(B); }

static void put8(Builder *B, unsigned v) {
  assert_true(B->b.code_size < MAXCODE);
  B->code[B->b.code_size++] = (uint8_t)v;
}
static void put16(Builder *B, unsigned v) { put8(B, v & 0xFF), put8(B, (v >> 8) & 0xFF); }
static void put32(Builder *B, uint32_t v) { put16(B, v & 0xFFFF), put16(B, v >> 16); }

static void add_fix(Builder *B, int L) {
  B->fix[B->nfix++] = (struct Fix){B->b.code_size, 0, L};
  put32(B, 0);
}

/* Emits an instruction: operands as ints in opcodes.def order; j is a label, J a count
 * and that many labels. Returns its pc. */
static uint32_t E(Builder *B, BptOp op, ...) {
  uint32_t pc = pc_now(B);
  int first_fix = B->nfix;
  va_list ap;
  va_start(ap, op);
  put8(B, op);
  for (const char *c = bpt_ops[op].operands; *c; c++) {
    switch (*c) {
    case 'z': put32(B, va_arg(ap, unsigned)); break;
    case 'm':
    case 'n':
    case 'b': put8(B, va_arg(ap, unsigned)); break;
    case 'j': add_fix(B, va_arg(ap, int)); break;
    case 'J': {
      int n = va_arg(ap, int);
      put8(B, (unsigned)n);
      for (int i = 0; i < n; i++) add_fix(B, va_arg(ap, int));
      break;
    }
    default: put16(B, va_arg(ap, unsigned));
    }
  }
  va_end(ap);
  for (int i = first_fix; i < B->nfix; i++) B->fix[i].end = pc_now(B);
  return pc;
}

static void proc_end(Builder *B) {
  BptProcess *p = B->cur;
  for (int i = 0; i < B->nfix; i++) {
    uint32_t target = B->label[B->fix[i].label];
    assert_true(target != BPT_NO_PC);
    uint32_t rel = target - B->fix[i].end; /* two's complement: backward jumps wrap */
    uint8_t *q = B->code + B->fix[i].at;
    q[0] = (uint8_t)rel, q[1] = (uint8_t)(rel >> 8), q[2] = (uint8_t)(rel >> 16),
    q[3] = (uint8_t)(rel >> 24);
  }
  p->code_size = B->b.code_size - p->code_offset;
  p->nlines = B->b.nlines - p->first_line;
  p->nnodes = B->b.nnodes - p->first_node;
  p->nedges = B->b.nedges - p->first_edge;
}

static void line(Builder *B, uint32_t n) { B->lines[B->b.nlines++] = (BptLine){pc_now(B), n, 3}; }

static uint32_t node(Builder *B, uint8_t kind, const char *title, uint32_t cluster) {
  B->nodes[B->b.nnodes] = (BptNode){kind, S(B, title), S(B, title), 0, 1, 1, cluster};
  return B->b.nnodes++;
}

static void edge(Builder *B, uint32_t from, uint32_t to, uint8_t kind, const char *label) {
  B->edges[B->b.nedges++] = (BptEdge){from, to, kind, S(B, label)};
}

/* The source the rich bundle's line table points into. */
static const char rich_source[] =
    "document Deal { title: string  amount: decimal  responsible: user  stage: string = \"new\" }\n"
    "process collect \"Collect documents\" on Deal {\n"
    "  start on change stage when stage == \"won\"\n"
    "  param accounting: users \"Accounting\"\n"
    "  var tries: int = 0\n"
    "  while tries < 3 { tries = tries + 1 }\n"
    "  for x in [\"a\", \"b\"] { log x }\n"
    "  approve accounting, responsible \"Vote on {title}\" mode majority due 3d -> v\n"
    "    remind 1d before { notify accounting \"Reminder\" }\n"
    "    on timeout { reassign accounting due 3d  add responsible }\n"
    "  parallel { branch { notify responsible \"Approved\" } "
    "branch { create_invoice(title, amount) -> inv } }\n"
    "  wait 3d\n"
    "}\n";

/* The richest bundle: every instruction, a loop, a for loop, a STEP with a remind and a
 * timeout handler, FORK/JOIN, an action, a second process with states and commands. */
static Builder *rich(void) {
  Builder *B = builder_new();
  uint16_t k0 = K_int(B, 0), k1 = K_int(B, 1), k3 = K_int(B, 3);
  uint16_t kdec = K(B, (BptConst){.type = BPT_T_DECIMAL, .i = 1250, .scale = 2});
  uint16_t ktrue = K(B, (BptConst){.type = BPT_T_BOOL, .i = 1});
  uint16_t kdate = K(B, (BptConst){.type = BPT_T_DATE, .i = 20517});
  uint16_t kdt = K(B, (BptConst){.type = BPT_T_DATETIME, .i = 20517 * 1440 + 600});
  uint16_t k3d = K_dur(B, 3 * 86400), k1d = K_dur(B, 86400);
  uint16_t kbob = K(B, (BptConst){.type = BPT_T_USER, .str = S(B, "bob")});
  uint16_t kusers = K_list(B, BPT_T_USER, 1, &kbob);
  uint16_t ka = K_str(B, "a"), kb = K_str(B, "b\n\"{x}\"");
  uint16_t kstrs = K_list(B, BPT_T_STRING, 2, (uint16_t[]){ka, kb});
  uint16_t kempty = K_list(B, BPT_T_VOID, 0, NULL);
  uint16_t kvote = K_str(B, "Vote on "), kwon = K_str(B, "won"), krej = K_str(B, "rejected");
  uint16_t kappr = K_str(B, "Approved"), kremind = K_str(B, "Reminder"),
           kfill = K_str(B, "Fill in");
  uint16_t kwd = K_str(B, "withdrawn");

  B->doctype.name = S(B, "Deal");
  uint16_t f_title = doc_field(B, "title", BPT_T_STRING, BPT_NONE16);
  uint16_t f_amount = doc_field(B, "amount", BPT_T_DECIMAL, kdec);
  uint16_t f_resp = doc_field(B, "responsible", BPT_T_USER, BPT_NONE16);
  uint16_t f_stage = doc_field(B, "stage", BPT_T_STRING, K_str(B, "new"));

  B->b.nactions = 1;
  B->action = (BptAction){S(B, "create_invoice"), BPT_T_STRING, B->aparams, 2};
  B->aparams[0] = (BptParamType){S(B, "deal"), BPT_T_STRING};
  B->aparams[1] = (BptParamType){S(B, "amount"), BPT_T_DECIMAL};
  B->b.source_file = S(B, "deal.bp");
  B->b.source_known = true; /* rich_source is the text the positions refer to */
  B->b.source_size = sizeof rich_source - 1;
  B->b.source_crc = bpt_crc32c(0, rich_source, sizeof rich_source - 1);

  /* process 0: collect */
  BptProcess *p = proc_begin(B, "collect", "Collect documents");
  p->doctype = 0;
  p->trigger = BPT_TRIG_CHANGE;
  p->trigger_fields[0] = f_stage;
  p->ntrigger_fields = 1;
  p->ngroups = 1;
  uint16_t s_acc = slot(B, "accounting", BPT_T_LIST | BPT_T_USER, BPT_SLOT_PARAM);
  uint16_t s_tries = slot(B, "tries", BPT_T_INT, BPT_SLOT_VAR);
  uint16_t s_v = slot(B, "v", BPT_T_APPROVE_RESULT, BPT_SLOT_RESULT);
  uint16_t s_it = slot(B, "", BPT_T_LIST | BPT_T_STRING, BPT_SLOT_HIDDEN);
  slot(B, "", BPT_T_INT, BPT_SLOT_HIDDEN);
  uint16_t s_x = slot(B, "x", BPT_T_STRING, BPT_SLOT_LOOPVAR);
  uint16_t s_inv = slot(B, "inv", BPT_T_STRING, BPT_SLOT_RESULT);
  p->params[p->nparams++] = (BptParam){s_acc, S(B, "Accounting"), 1};
  uint32_t n_start = node(B, BPT_N_START, "start", BPT_NO_PC);
  uint32_t n_loop = node(B, BPT_N_CHOICE, "while", BPT_NO_PC);
  uint32_t n_appr = node(B, BPT_N_APPROVE, "Vote on {title}", BPT_NO_PC);
  uint32_t n_fork = node(B, BPT_N_FORK, "parallel", BPT_NO_PC);
  uint32_t n_br = node(B, BPT_N_BRANCH, "branch", BPT_NO_PC);
  uint32_t n_notify = node(B, BPT_N_NOTIFY, "notify", n_br);
  uint32_t n_join = node(B, BPT_N_JOIN, "join", BPT_NO_PC);
  uint32_t n_end = node(B, BPT_N_END, "end", BPT_NO_PC);
  edge(B, n_start, n_loop, BPT_E_FLOW, "");
  edge(B, n_loop, n_loop, BPT_E_LOOP, "tries < 3");
  edge(B, n_loop, n_appr, BPT_E_ELSE, "");
  edge(B, n_appr, n_fork, BPT_E_COND, "approved");
  edge(B, n_fork, n_notify, BPT_E_FLOW, "");
  edge(B, n_notify, n_join, BPT_E_FLOW, "");
  edge(B, n_join, n_end, BPT_E_FLOW, "");
  edge(B, n_appr, n_appr, BPT_E_TIMER, "remind");
  BptStep *st = &p->steps[p->nsteps++];
  st->kind = BPT_STEP_APPROVE, st->mode = BPT_MODE_MAJORITY, st->flags = BPT_STEP_HAS_DUE;
  st->nreminds = 1, st->result = s_v, st->node = n_appr;

  int L1 = lab(B), Lw = lab(B), Lend = lab(B), Lf = lab(B), Ldone = lab(B), La = lab(B);
  int Lrej = lab(B), B1 = lab(B), B2 = lab(B), Lj = lab(B), Lo = lab(B);
  line(B, 4);
  p->entry_pc = E(B, BPT_OP_JUMP_IF_SET, s_acc, L1);
  E(B, BPT_OP_CONST, kusers), E(B, BPT_OP_STORE, s_acc);
  here(B, L1);
  line(B, 5);
  E(B, BPT_OP_CONST, k0), E(B, BPT_OP_STORE, s_tries);
  line(B, 6);
  here(B, Lw);
  E(B, BPT_OP_LOAD, s_tries), E(B, BPT_OP_CONST, k3), E(B, BPT_OP_LT),
      E(B, BPT_OP_JUMP_IF_FALSE, Lend);
  E(B, BPT_OP_LOAD, s_tries), E(B, BPT_OP_CONST, k1), E(B, BPT_OP_ADD), E(B, BPT_OP_STORE, s_tries);
  E(B, BPT_OP_JUMP, Lw);
  here(B, Lend);
  line(B, 7);
  E(B, BPT_OP_CONST, kstrs), E(B, BPT_OP_ITER_START, s_it);
  here(B, Lf);
  E(B, BPT_OP_ITER_NEXT, s_it, s_x, Ldone);
  E(B, BPT_OP_LOAD, s_x), E(B, BPT_OP_LOG), E(B, BPT_OP_JUMP, Lf);
  here(B, Ldone);
  line(B, 8);
  E(B, BPT_OP_LOAD, s_acc), E(B, BPT_OP_LOAD_FIELD, f_resp), E(B, BPT_OP_USERS, 2);
  E(B, BPT_OP_CONST, kvote), E(B, BPT_OP_LOAD_FIELD, f_title), E(B, BPT_OP_TEXT, 2);
  E(B, BPT_OP_CONST, k3d), E(B, BPT_OP_CONST, k1d), E(B, BPT_OP_STEP, 0);
  E(B, BPT_OP_LOAD, s_v), E(B, BPT_OP_MEMBER, 0), E(B, BPT_OP_AND_ELSE, La);
  E(B, BPT_OP_LOAD, s_tries), E(B, BPT_OP_CONST, k1), E(B, BPT_OP_GT);
  here(B, La);
  E(B, BPT_OP_JUMP_IF_FALSE, Lrej);
  line(B, 11);
  E(B, BPT_OP_FORK, 0, 0, 2, B1, B2);
  here(B, B1);
  E(B, BPT_OP_LOAD_FIELD, f_resp), E(B, BPT_OP_TO_USERS), E(B, BPT_OP_CONST, kappr),
      E(B, BPT_OP_NOTIFY);
  E(B, BPT_OP_JUMP, Lj);
  here(B, B2);
  E(B, BPT_OP_LOAD_FIELD, f_title), E(B, BPT_OP_LOAD_FIELD, f_amount),
      E(B, BPT_OP_ACTION, 0, 2, s_inv);
  E(B, BPT_OP_JUMP, Lj);
  here(B, Lj);
  E(B, BPT_OP_JOIN, 0, 2);
  E(B, BPT_OP_CALL, BPT_BI_NOW, 0), E(B, BPT_OP_POP);
  E(B, BPT_OP_CONST, k0), E(B, BPT_OP_LOAD, s_inv), E(B, BPT_OP_START, 1, 1);
  E(B, BPT_OP_LOAD_FIELD, f_amount), E(B, BPT_OP_CONST, kdec), E(B, BPT_OP_MUL),
      E(B, BPT_OP_CONST, k1);
  E(B, BPT_OP_TO_DECIMAL), E(B, BPT_OP_ADD), E(B, BPT_OP_STORE_FIELD, f_amount);
  E(B, BPT_OP_CONST, k1), E(B, BPT_OP_DUP), E(B, BPT_OP_SUB), E(B, BPT_OP_CONST, k3),
      E(B, BPT_OP_MOD);
  E(B, BPT_OP_NEG), E(B, BPT_OP_CONST, k1), E(B, BPT_OP_DIV), E(B, BPT_OP_CONST, k0),
      E(B, BPT_OP_NE);
  E(B, BPT_OP_NOT), E(B, BPT_OP_OR_ELSE, Lo), E(B, BPT_OP_CONST, ktrue);
  here(B, Lo);
  E(B, BPT_OP_POP);
  E(B, BPT_OP_LOAD, s_x), E(B, BPT_OP_CONST, kstrs), E(B, BPT_OP_IN), E(B, BPT_OP_LOAD, s_tries);
  E(B, BPT_OP_CONST, k3), E(B, BPT_OP_LE), E(B, BPT_OP_EQ), E(B, BPT_OP_LOAD, s_tries),
      E(B, BPT_OP_CONST, k0);
  E(B, BPT_OP_GE), E(B, BPT_OP_NE), E(B, BPT_OP_POP);
  E(B, BPT_OP_CONST, ka), E(B, BPT_OP_CONST, kb), E(B, BPT_OP_LIST, 2), E(B, BPT_OP_POP);
  E(B, BPT_OP_CONST, kempty), E(B, BPT_OP_CALL, BPT_BI_LEN, 1), E(B, BPT_OP_POP);
  line(B, 12);
  E(B, BPT_OP_CONST, k3d), E(B, BPT_OP_WAIT);
  E(B, BPT_OP_CONST, kdate), E(B, BPT_OP_WAIT_UNTIL);
  E(B, BPT_OP_CONST, kdt), E(B, BPT_OP_WAIT_UNTIL);
  E(B, BPT_OP_END);
  here(B, Lrej);
  E(B, BPT_OP_CONST, krej), E(B, BPT_OP_TERMINATE);
  line(B, 3);
  p->when_pc = E(B, BPT_OP_LOAD_FIELD, f_stage);
  E(B, BPT_OP_CONST, kwon), E(B, BPT_OP_EQ), E(B, BPT_OP_RESULT);
  line(B, 10);
  st->timeout_pc = E(B, BPT_OP_LOAD, s_acc);
  E(B, BPT_OP_CONST, k3d), E(B, BPT_OP_REASSIGN, 2), E(B, BPT_OP_LOAD_FIELD, f_resp);
  E(B, BPT_OP_ADD_PEOPLE), E(B, BPT_OP_HANDLER_END);
  line(B, 9);
  st->remind_pc[0] = E(B, BPT_OP_LOAD, s_acc);
  E(B, BPT_OP_CONST, kremind), E(B, BPT_OP_NOTIFY), E(B, BPT_OP_HANDLER_END);
  proc_end(B);

  /* process 1: contract, with states */
  p = proc_begin(B, "contract", "Contract with statuses");
  p->doctype = 0;
  uint16_t s_note = slot(B, "note", BPT_T_STRING, BPT_SLOT_PARAM);
  uint16_t s_r = slot(B, "r", BPT_T_REQUEST_RESULT, BPT_SLOT_RESULT);
  uint16_t s_comment = slot(B, "comment", BPT_T_STRING, BPT_SLOT_VAR);
  (void)s_r;
  p->params[p->nparams++] = (BptParam){s_note, S(B, "Note"), 0};
  uint32_t n_draft = node(B, BPT_N_STATE, "draft", BPT_NO_PC);
  uint32_t n_inappr = node(B, BPT_N_STATE, "in_approval", BPT_NO_PC);
  uint32_t n_req = node(B, BPT_N_REQUEST, "Fill in", n_inappr);
  uint32_t n_done = node(B, BPT_N_STATE, "approved", BPT_NO_PC);
  edge(B, n_draft, n_inappr, BPT_E_COMMAND, "submit");
  edge(B, n_inappr, n_draft, BPT_E_COMMAND, "withdraw");
  edge(B, n_req, n_done, BPT_E_GOTO, "");
  st = &p->steps[p->nsteps++];
  st->kind = BPT_STEP_REQUEST, st->result = s_r, st->timeout_pc = BPT_NO_PC, st->node = n_req;
  st->fields[st->nfields++] =
      (BptReqField){S(B, "amount"), S(B, "Amount"), BPT_T_DECIMAL, 0, f_amount};
  st->fields[st->nfields++] =
      (BptReqField){S(B, "comment"), S(B, "Comment"), BPT_T_STRING, 1, s_comment};
  BptState *draft = &p->states[p->nstates++], *inappr = &p->states[p->nstates++];
  BptState *done = &p->states[p->nstates++];
  *draft = (BptState){S(B, "draft"), S(B, "Draft"), 0, BPT_NO_PC, draft->commands, 1};
  *inappr = (BptState){S(B, "in_approval"), S(B, "In approval"), 0, 0, inappr->commands, 1};
  *done = (BptState){S(B, "approved"), S(B, "Approved"), 1, 0, done->commands, 0};
  p->entry_pc = E(B, BPT_OP_GOTO, 0);
  E(B, BPT_OP_FAIL, S(B, "unreachable"));
  draft->commands[0] = (BptCommand){S(B, "submit"), S(B, "Send for approval"), 0, 1, BPT_NO_PC};
  draft->commands[0].by_pc = E(B, BPT_OP_LOAD_FIELD, f_resp);
  E(B, BPT_OP_TO_USERS), E(B, BPT_OP_RESULT);
  inappr->enter_pc = E(B, BPT_OP_LOAD_FIELD, f_resp);
  E(B, BPT_OP_TO_USERS), E(B, BPT_OP_CONST, kfill), E(B, BPT_OP_STEP, 0), E(B, BPT_OP_GOTO, 2);
  inappr->commands[0] = (BptCommand){S(B, "withdraw"), S(B, "Withdraw"), BPT_NO_PC, BPT_NONE16, 0};
  inappr->commands[0].body_pc = E(B, BPT_OP_CONST, kwd);
  E(B, BPT_OP_LOG), E(B, BPT_OP_GOTO, 0);
  done->enter_pc = E(B, BPT_OP_STATE_IDLE);
  proc_end(B);
  return B;
}

/* A small bundle for the code rules: one document type (2 fields), one action (1
 * parameter), and process `m` with slots a (int), who (users), r (task result), two
 * hidden slots, one task step with a due date (it pops who, title, due), one fork group
 * and one state. The caller emits the code (pc 0 is the entry) and calls mini_end. */
enum { M_INT1 = 0, M_TITLE = 1, M_3D = 2 };
enum { M_A = 0, M_WHO = 1, M_R = 2, M_IT = 3 };

static Builder *mini(void) {
  Builder *B = builder_new();
  K_int(B, 1), K_str(B, "t"), K_dur(B, 3 * 86400);
  B->doctype.name = S(B, "Doc");
  doc_field(B, "f0", BPT_T_INT, BPT_NONE16);
  doc_field(B, "f1", BPT_T_STRING, BPT_NONE16);
  B->b.nactions = 1;
  B->action = (BptAction){S(B, "act"), BPT_T_INT, B->aparams, 1};
  B->aparams[0] = (BptParamType){S(B, "x"), BPT_T_INT};
  BptProcess *p = proc_begin(B, "m", "Mini");
  p->doctype = 0;
  p->ngroups = 1;
  slot(B, "a", BPT_T_INT, BPT_SLOT_VAR);
  slot(B, "who", BPT_T_LIST | BPT_T_USER, BPT_SLOT_PARAM);
  slot(B, "r", BPT_T_TASK_RESULT, BPT_SLOT_RESULT);
  slot(B, "", BPT_T_LIST | BPT_T_INT, BPT_SLOT_HIDDEN);
  slot(B, "", BPT_T_INT, BPT_SLOT_HIDDEN);
  p->params[p->nparams++] = (BptParam){M_WHO, S(B, "Who"), 1};
  BptStep *st = &p->steps[p->nsteps++];
  st->kind = BPT_STEP_TASK, st->flags = BPT_STEP_HAS_DUE, st->result = M_R;
  st->timeout_pc = BPT_NO_PC, st->node = BPT_NO_PC;
  p->states[p->nstates++] =
      (BptState){S(B, "s0"), S(B, "S0"), 1, BPT_NO_PC, p->states[0].commands, 0};
  return B;
}

static void mini_end(Builder *B) { proc_end(B); }

/* Emits the instructions that open step 0 of mini and wait for it (depth 0 -> 0). */
static void mini_step(Builder *B) {
  E(B, BPT_OP_LOAD, M_WHO), E(B, BPT_OP_CONST, M_TITLE), E(B, BPT_OP_CONST, M_3D),
      E(B, BPT_OP_STEP, 0);
}

/* mini's simplest valid code: open the step, end. */
static void c_ok(Builder *B) { mini_step(B), E(B, BPT_OP_END); }

/* A print callback that appends to a growing string. */
typedef struct Sink {
  char *text;
  size_t len, cap;
} Sink;

static void sink_print(void *ud, const char *text, size_t len) {
  Sink *s = ud;
  if (s->len + len + 1 > s->cap) {
    s->cap = (s->len + len + 1) * 2;
    s->text = realloc(s->text, s->cap);
    assert_non_null(s->text);
  }
  memcpy(s->text + s->len, text, len);
  s->len += len;
  s->text[s->len] = '\0';
}

/* Recomputes the size field and the checksum after an edit of the bytes. */
static void reseal(uint8_t *bytes, size_t len) {
  uint32_t size = (uint32_t)len;
  bytes[8] = (uint8_t)size, bytes[9] = (uint8_t)(size >> 8), bytes[10] = (uint8_t)(size >> 16),
  bytes[11] = (uint8_t)(size >> 24);
  if (len < BPT_HEADER_SIZE) return;
  uint32_t crc = bpt_crc32c(0, bytes + BPT_HEADER_SIZE, len - BPT_HEADER_SIZE);
  bytes[12] = (uint8_t)crc, bytes[13] = (uint8_t)(crc >> 8), bytes[14] = (uint8_t)(crc >> 16),
  bytes[15] = (uint8_t)(crc >> 24);
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* Writes a bundle into malloc'ed bytes (the test's own copy). */
static uint8_t *write_bytes(BptBundle *b, size_t *len) {
  Mem m = MEM_INIT;
  BptError err;
  uint8_t *out;
  if (!bpt_write(b, mem_alloc, &m, &out, len, &err)) fail_msg("bpt_write: %s", err.message);
  uint8_t *copy = malloc(*len);
  assert_non_null(copy);
  memcpy(copy, out, *len);
  mem_alloc(&m, out, *len, 0);
  assert_int_equal(m.live, 0);
  return copy;
}

/* Walks a verified bundle the way the interpreter and the tools would: every
 * instruction decoded, every branch and stack effect computed, the listing printed. */
static void walk_verified(const BptBundle *b) {
  for (uint32_t i = 0; i < b->nprocesses; i++) {
    const BptProcess *p = &b->processes[i];
    const uint8_t *code = b->code + p->code_offset;
    for (uint32_t pc = 0; pc < p->code_size;) {
      BptInsn in;
      assert_true(bpt_decode(code, p->code_size, pc, &in));
      int pops, pushes;
      bpt_stack_effect(p, &in, &pops, &pushes);
      assert_true(pops >= 0 && pops <= 300 && pushes >= 0 && pushes <= 2);
      for (uint8_t j = 0; j < in.nbranches; j++)
        assert_true(bpt_branch_target(&in, pc, j) < p->code_size);
      pc += in.size;
    }
  }
  Sink s = {0};
  bpt_disasm(b, rich_source, sizeof rich_source - 1, sink_print, &s);
  assert_true(s.len > 0);
  free(s.text);
}

#ifndef BPT_TEST_BUILDER_ONLY

static void assert_msg(const char *message, const char *expect) {
  if (!strstr(message, expect))
    fail_msg("message \"%s\"\n  does not contain \"%s\"", message, expect);
}

/* ---- tables, CRC, decoding ----------------------------------------------------------- */

static void test_tables(void **state) {
  (void)state;
  assert_string_equal(bpt_ops[BPT_OP_JUMP_IF_FALSE].name, "JUMP_IF_FALSE");
  assert_string_equal(bpt_ops[BPT_OP_ACTION].operands, "anr");
  assert_int_equal(bpt_ops[BPT_OP_STEP].pops, BPT_VAR);
  assert_int_equal(bpt_ops[BPT_OP_FORK].flags, BPT_F_END | BPT_F_EFFECT);
  assert_string_equal(bpt_builtins[BPT_BI_STARTS_WITH].name, "starts_with");
  assert_int_equal(bpt_builtins[BPT_BI_SUBSTR].nargs, 3);
  for (int i = 0; i < BPT_OP_COUNT; i++) assert_true(bpt_ops[i].name[0] != '\0');
  assert_true(bpt_type_valid(BPT_T_VOID));
  assert_true(bpt_type_valid(BPT_T_USER));
  assert_true(bpt_type_valid(BPT_T_REQUEST_RESULT));
  assert_true(bpt_type_valid(BPT_T_LIST | BPT_T_USER));
  assert_true(bpt_type_valid(BPT_T_LIST));
  assert_false(bpt_type_valid(BPT_T_USER + 1));
  assert_false(bpt_type_valid(BPT_T_REQUEST_RESULT + 1));
  assert_false(bpt_type_valid(BPT_T_LIST | BPT_T_TASK_RESULT));
  assert_false(bpt_type_valid(0x100 | BPT_T_INT));
}

/* The one calendar of compiler, disassembler and runtime (bpt_time.h). */
static void expect_date(const char *text, int64_t days) {
  int64_t got;
  char back[32];
  assert_true(bpt_parse_date(text, strlen(text), &got));
  assert_int_equal(got, days);
  assert_int_equal(bpt_format_date(days, back, sizeof back), strlen(text));
  assert_string_equal(back, text);
}

static void test_time(void **state) {
  (void)state;
  expect_date("1970-01-01", 0);
  expect_date("1969-12-31", -1);
  expect_date("2026-03-05", 20517);
  expect_date("2024-02-29", 19782);
  expect_date("2000-02-29", 11016);
  expect_date("0001-01-01", -719162); /* years 1..9999: year 0 is refused */
  expect_date("9999-12-31", 2932896);
  int64_t v;
  static const char *const bad[] = {"2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                                    "2026-3-05",  "2026-03-5x", "20260305",   "2026/03/05", "", "0000-03-01"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_false(bpt_parse_date(bad[i], strlen(bad[i]), &v));
  assert_true(bpt_parse_datetime("2026-03-05T10:07", 16, &v));
  assert_int_equal(v, 20517 * 1440 + 607);
  assert_true(bpt_parse_datetime("2026-03-05 10:07", 16, &v));
  assert_int_equal(v, 20517 * 1440 + 607);
  assert_false(bpt_parse_datetime("2026-03-05T24:00", 16, &v));
  assert_false(bpt_parse_datetime("2026-03-05T10:60", 16, &v));
  assert_false(bpt_parse_datetime("2026-03-05X10:00", 16, &v));
  char text[32];
  bpt_format_datetime(-1, text, sizeof text);
  assert_string_equal(text, "1969-12-31T23:59");
  assert_int_equal(bpt_format_datetime(20517 * 1440 + 607, text, 8), 16);
  assert_string_equal(text, "2026-03");
  int64_t y;
  unsigned m, d;
  for (int64_t days = -800000; days < 3000000; days += 997) {
    bpt_civil_from_days(days, &y, &m, &d);
    assert_int_equal(bpt_days_from_civil(y, m, d), days);
  }
  assert_string_equal(bpt_type_name(BPT_T_LIST | BPT_T_USER), "users");
  assert_string_equal(bpt_type_name(BPT_T_LIST | BPT_T_DATE), "list of date");
  assert_string_equal(bpt_type_name(0x55), "unknown type");
}

static void test_crc32c(void **state) {
  (void)state;
  assert_int_equal(bpt_crc32c(0, "123456789", 9), 0xE3069283u); /* the standard check */
  assert_int_equal(bpt_crc32c(0, "", 0), 0);
  uint32_t part = bpt_crc32c(0, "1234", 4);
  assert_int_equal(bpt_crc32c(part, "56789", 5), 0xE3069283u);
}

/* The CRC bit by bit, from the definition: what the eight-bytes-a-step tables must give. */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t len) {
  crc = ~crc;
  for (size_t i = 0; i < len; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

/* n bytes of a linear congruential sequence from seed: the same bytes on every run. */
static void fill_noise(uint8_t *buf, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    buf[i] = (uint8_t)(seed >> 16);
  }
}

/* Long inputs (16 KiB and more; on x86-64 they take the CPU's crc32 instruction where
 * there is one): the same CRC at every alignment, around the threshold, and split. */
static void test_crc32c_long(void **state) {
  (void)state;
  enum { N = 40000 };
  uint8_t *buf = malloc(N);
  assert_non_null(buf);
  fill_noise(buf, N, 99);
  for (size_t off = 0; off < 8; off++)
    for (size_t len = 16 * 1024 - 9; len <= 16 * 1024 + 9; len++)
      assert_int_equal(bpt_crc32c(0, buf + off, len), crc32c_bitwise(0, buf + off, len));
  uint32_t whole = crc32c_bitwise(0, buf, N);
  assert_int_equal(bpt_crc32c(0, buf, N), whole);
  for (size_t cut = 0; cut <= N; cut += 4999) {
    uint32_t part = bpt_crc32c(0, buf, cut);
    assert_int_equal(bpt_crc32c(part, buf + cut, N - cut), whole);
  }
  free(buf);
}

/* Every length from 0 to 300 at every alignment, and split anywhere: the same CRC as the
 * bit-by-bit one (every table entry is used: the bytes run through all 256 values). */
static void test_crc32c_slices(void **state) {
  (void)state;
  uint8_t buf[320];
  fill_noise(buf, sizeof buf, 12345);
  for (size_t i = 0; i < 256; i++) buf[i] = (uint8_t)(i * 167u); /* every byte value */
  for (size_t off = 0; off < 8; off++)
    for (size_t len = 0; len + off <= 300; len++)
      assert_int_equal(bpt_crc32c(0, buf + off, len), crc32c_bitwise(0, buf + off, len));
  for (size_t cut = 0; cut <= 300; cut++) {
    uint32_t part = bpt_crc32c(0, buf, cut);
    assert_int_equal(bpt_crc32c(part, buf + cut, 300 - cut), crc32c_bitwise(0, buf, 300));
  }
  for (unsigned b = 0; b < 256; b++) { /* each byte value at each of the 8 lanes */
    for (size_t lane = 0; lane < 8; lane++) {
      uint8_t w[16] = {0};
      w[lane] = (uint8_t)b, w[8 + lane] = (uint8_t)(255 - b);
      assert_int_equal(bpt_crc32c(7, w, 16), crc32c_bitwise(7, w, 16));
    }
  }
}

/* bpt_crc32c_with, with the CPU's instruction where bpt_crc32c_insn says there is one (the
 * saved states' short inputs: its 8-, 4-, 2- and 1-byte steps) and without: the same CRC
 * at every length from 0 to 300, every alignment, and split anywhere. */
static void test_crc32c_with(void **state) {
  (void)state;
  uint8_t buf[320];
  fill_noise(buf, sizeof buf, 4242);
  bool ways[2] = {false, bpt_crc32c_insn()};
  for (int w = 0; w < 2; w++) {
    for (size_t off = 0; off < 8; off++)
      for (size_t len = 0; len + off <= 300; len++)
        assert_int_equal(bpt_crc32c_with(ways[w], 0, buf + off, len), crc32c_bitwise(0, buf + off, len));
    for (size_t cut = 0; cut <= 300; cut++) {
      uint32_t part = bpt_crc32c_with(ways[w], 0, buf, cut);
      assert_int_equal(bpt_crc32c_with(ways[w], part, buf + cut, 300 - cut), crc32c_bitwise(0, buf, 300));
    }
  }
}

static void test_decode(void **state) {
  (void)state;
  Builder *B = rich();
  const BptProcess *p = &B->procs[0];
  const uint8_t *code = B->code + p->code_offset;
  BptInsn in;
  int pops, pushes, steps = 0, forks = 0, ands = 0;
  for (uint32_t pc = 0; pc < p->code_size; pc += in.size) {
    assert_true(bpt_decode(code, p->code_size, pc, &in));
    bpt_stack_effect(p, &in, &pops, &pushes);
    if (in.op == BPT_OP_STEP) {
      assert_int_equal(pops, 4); /* who, title, due, one reminder */
      steps++;
    } else if (in.op == BPT_OP_START) {
      assert_int_equal(pops, 2);
    } else if (in.op == BPT_OP_USERS || in.op == BPT_OP_TEXT) {
      assert_int_equal(pops, 2);
    } else if (in.op == BPT_OP_FORK) {
      assert_int_equal(in.nargs, 3);
      assert_int_equal(in.nbranches, 2);
      assert_int_equal(bpt_branch_target(&in, pc, 0), pc + in.size); /* branch 1 follows */
      assert_true(bpt_branch_target(&in, pc, 1) > pc + in.size);
      assert_int_equal(bpt_branch_target(&in, pc, 2), BPT_NO_PC);
      forks++;
    } else if (in.op == BPT_OP_AND_ELSE) {
      assert_int_equal(pops, 1), assert_int_equal(pushes, 1);
      assert_true(in.arg[0] > pc);
      ands++;
    } else if (in.op == BPT_OP_JUMP && in.arg[0] < pc) {
      assert_true(in.arg[0] < pc); /* the loops jump back */
    }
  }
  assert_int_equal(steps, 1), assert_int_equal(forks, 1), assert_int_equal(ands, 1);
  /* cut off, unknown, out of range */
  uint8_t bad[] = {BPT_OP_CONST, 1};
  assert_false(bpt_decode(bad, 2, 0, &in));
  bad[0] = BPT_OP_COUNT;
  assert_false(bpt_decode(bad, 2, 0, &in));
  assert_false(bpt_decode(bad, 2, 2, &in));
  uint8_t back[] = {BPT_OP_JUMP, 0xF0, 0xFF, 0xFF, 0xFF}; /* -16 from pc 5: before 0 */
  assert_true(bpt_decode(back, 5, 0, &in));
  assert_int_equal(in.arg[0], BPT_NO_PC);
  uint8_t fork[] = {BPT_OP_FORK, 0, 0, 0, 200}; /* 200 branches, no room for them */
  assert_false(bpt_decode(fork, 5, 0, &in));
  free(B);
}

/* ---- round trips --------------------------------------------------------------------- */

static void test_roundtrip(void **state) {
  (void)state;
  Builder *B = rich();
  Mem m = MEM_INIT;
  BptError err;
  if (!bpt_verify(&B->b, mem_alloc, &m, &err)) fail_msg("verify: %s", err.message);
  size_t len1, len2, len3;
  uint8_t *one = write_bytes(&B->b, &len1), *two = write_bytes(&B->b, &len2);
  assert_int_equal(len1, len2);
  assert_memory_equal(one, two, len1);
  BptBundle rb;
  if (!bpt_read(one, len1, mem_alloc, &m, &rb, &err)) fail_msg("read: %s", err.message);
  assert_int_equal(rb.crc, B->b.crc);
  if (!bpt_verify(&rb, mem_alloc, &m, &err)) fail_msg("verify after read: %s", err.message);
  assert_int_equal(rb.nprocesses, 2);
  assert_int_equal(rb.processes[1].nstates, 3);
  assert_int_equal(rb.processes[0].steps[0].remind_pc[0], B->procs[0].steps[0].remind_pc[0]);
  assert_string_equal(rb.strings[rb.processes[0].name].data, "collect");
  assert_int_equal(rb.consts[3].type, BPT_T_DECIMAL);
  assert_int_equal(rb.consts[3].i, 1250);
  uint8_t *three = write_bytes(&rb, &len3);
  assert_int_equal(len1, len3);
  assert_memory_equal(one, three, len1);
  walk_verified(&rb);
  bpt_free(&rb, mem_alloc, &m);
  assert_int_equal(m.live, 0);
  assert_null(rb.mem);
  free(one), free(two), free(three), free(B);
}

/* bpt_read_written takes the header's checksum as right and checks all the rest. */
static void test_read_written(void **state) {
  (void)state;
  Builder *B = rich();
  size_t len;
  uint8_t *bytes = write_bytes(&B->b, &len);
  bytes[12] ^= 0x5A; /* the checksum field only */
  Mem m = MEM_INIT;
  BptError err;
  BptBundle rb;
  assert_false(bpt_read(bytes, len, mem_alloc, &m, &rb, &err));
  assert_msg(err.message, "checksum mismatch");
  if (!bpt_read_written(bytes, len, mem_alloc, &m, &rb, &err)) fail_msg("read_written: %s", err.message);
  if (!bpt_verify(&rb, mem_alloc, &m, &err)) fail_msg("verify: %s", err.message);
  assert_string_equal(rb.strings[rb.processes[0].name].data, "collect");
  bpt_free(&rb, mem_alloc, &m);
  bytes[len - 1] ^= 1; /* and a damaged last section: refused, and not for its checksum */
  assert_false(bpt_read_written(bytes, len, mem_alloc, &m, &rb, &err));
  assert_null(strstr(err.message, "checksum"));
  assert_int_equal(m.live, 0);
  free(bytes), free(B);
}

/* A bundle much larger than bpt_write's first guess of its size (a list constant of
 * 100,000 items: 400 KB in the CONSTS section) is written whole, and reads back. */
static void test_write_grows(void **state) {
  (void)state;
  Builder *B = rich();
  BptConst *list = NULL;
  for (uint32_t i = 0; i < B->b.nconsts && !list; i++)
    if (B->consts[i].type == (BPT_T_LIST | BPT_T_STRING)) list = &B->consts[i];
  assert_non_null(list);
  enum { N = 100000 };
  uint32_t *items = malloc(N * sizeof *items), *old_items = list->items, old_n = list->nitems;
  assert_non_null(items);
  for (uint32_t i = 0; i < N; i++) items[i] = old_items[i % old_n];
  list->items = items, list->nitems = N;
  size_t len, len2;
  uint8_t *bytes = write_bytes(&B->b, &len);
  assert_true(len > 4 * N);
  Mem m = MEM_INIT;
  BptError err;
  BptBundle rb;
  if (!bpt_read(bytes, len, mem_alloc, &m, &rb, &err)) fail_msg("read: %s", err.message);
  const BptConst *back = &rb.consts[list - B->consts];
  assert_int_equal(back->nitems, N);
  assert_memory_equal(back->items, items, N * sizeof *items);
  uint8_t *again = write_bytes(&rb, &len2);
  assert_int_equal(len, len2);
  assert_memory_equal(bytes, again, len);
  bpt_free(&rb, mem_alloc, &m);
  assert_int_equal(m.live, 0);
  list->items = old_items, list->nitems = old_n;
  free(items), free(bytes), free(again), free(B);
}

static void test_minor_version(void **state) {
  (void)state;
  Builder *B = rich();
  size_t len;
  uint8_t *bytes = write_bytes(&B->b, &len);
  bytes[6] = 7; /* format 1.7: read (its additions would be refused where used) */
  Mem m = MEM_INIT;
  BptError err;
  BptBundle rb;
  if (!bpt_read(bytes, len, mem_alloc, &m, &rb, &err)) fail_msg("read: %s", err.message);
  bpt_free(&rb, mem_alloc, &m);
  assert_int_equal(m.live, 0);
  free(bytes), free(B);
}

static void test_disasm(void **state) {
  (void)state;
  Builder *B = rich();
  Sink s = {0};
  bpt_disasm(&B->b, rich_source, sizeof rich_source - 1, sink_print, &s);
  const char *want[] = {
      "process collect \"Collect documents\" on Deal\n",
      "  trigger: on change stage when ",
      "    0   accounting  users           param\n",
      "    3   $3          list of string  hidden\n",
      "    0   approve mode majority, due -> v  timeout ",
      "  ; 6: while tries < 3 { tries = tries + 1 }\n",
      "  ; 8: approve accounting, responsible \"Vote on {title}\" mode majority due 3d -> v\n",
      ("\nentry:\n  ; 4: param accounting: users \"Accounting\"\n"
       "  0000  JUMP_IF_SET    accounting -> 00"), /* one entry: two lines */
      "  JUMP_IF_FALSE  -> 0",
      "  ITER_NEXT      $3, x -> 0",
      "  CONST          12.50\n",
      "  CONST          [\"a\", \"b\\n\\\"{{x}}\\\"\"]\n",
      "  CONST          []\n",
      "  CONST          3d\n",
      "  CONST          date(\"2026-03-05\")\n",
      "  CONST          datetime(\"2026-03-05T10:00\")\n",
      "  CONST          [user(\"bob\")]\n",
      "  STEP           step 0 (approve)\n",
      "  FORK           group 0, all -> 0",
      "  JOIN           group 0, 2\n",
      "  ACTION         create_invoice, 2 -> inv\n",
      "  CALL           now, 0\n",
      "  START          contract, 1\n",
      "  MEMBER         0 (approved)\n",
      "\nwhen:\n  ; 3: start on change stage when stage == \"won\"\n",
      "\ntimeout of step 0:\n",
      "\nremind 0 of step 0:\n",
      "process contract \"Contract with statuses\" on Deal\n",
      "          command submit \"Send for approval\" by 0",
      " -> in_approval\n",
      "    2   approved \"Approved\" final  enter ",
      "\n`by` of command submit (state draft):\n",
      "\nbody of command withdraw (state in_approval):\n",
      "\nenter of state approved:\n",
      "  GOTO           draft\n",
      "  FAIL           \"unreachable\"\n",
      "          field comment: string \"Comment\" -> comment\n",
      "          field amount: decimal \"Amount\" -> amount\n",
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    if (!strstr(s.text, want[i]))
      fail_msg("listing lacks:\n%s\n---- listing:\n%s", want[i], s.text);
  }
  free(s.text);
  /* without the source, positions only */
  s = (Sink){0};
  bpt_disasm(&B->b, NULL, 0, sink_print, &s);
  assert_non_null(strstr(s.text, "  ; line 8, col 3\n"));
  free(s.text);
  /* another text than the one compiled (a bundle may name any file): not shown */
  char other[sizeof rich_source];
  memset(other, 0, sizeof other);
  for (size_t i = 0; i + 1 < sizeof other; i++) other[i] = rich_source[i] == '\n' ? '\n' : 'X';
  s = (Sink){0};
  bpt_disasm(&B->b, other, sizeof other - 1, sink_print, &s);
  assert_null(strstr(s.text, "XXXX"));
  assert_non_null(strstr(s.text, "; (the file there is not this source: its lines are not shown)\n"));
  assert_non_null(strstr(s.text, "  ; line 8, col 3\n"));
  free(s.text);
  free(B);
}

/* The writer refuses only what it cannot encode. */
static void test_write_errors(void **state) {
  (void)state;
  Builder *B = rich();
  B->consts[0].type = BPT_T_APPROVE_RESULT;
  Mem m = MEM_INIT;
  BptError err;
  uint8_t *out = (uint8_t *)&err;
  size_t len = 1;
  assert_false(bpt_write(&B->b, mem_alloc, &m, &out, &len, &err));
  assert_string_equal(err.message, "constant 0 has type 0x21, which no constant can have");
  assert_null(out);
  assert_int_equal(len, 0);
  assert_int_equal(m.live, 0);
  free(B);
}

/* ---- allocation failures: every allocation, in turn ---------------------------------- */

static void test_alloc_failures(void **state) {
  (void)state;
  Builder *B = rich();
  size_t len;
  uint8_t *bytes = write_bytes(&B->b, &len);
  BptError err;
  int read_fails = 0, write_fails = 0, verify_fails = 0;
  for (long n = 0;; n++) { /* bpt_read */
    Mem m = {0, 0, 0, n};
    BptBundle rb;
    bool ok = bpt_read(bytes, len, mem_alloc, &m, &rb, &err);
    if (ok) {
      bpt_free(&rb, mem_alloc, &m);
      assert_int_equal(m.live, 0);
      break;
    }
    assert_msg(err.message, "out of memory");
    assert_int_equal(m.live, 0);
    read_fails++;
  }
  for (long n = 0;; n++) { /* bpt_write */
    Mem m = {0, 0, 0, n};
    uint8_t *out;
    size_t out_len;
    if (bpt_write(&B->b, mem_alloc, &m, &out, &out_len, &err)) {
      mem_alloc(&m, out, out_len, 0);
      assert_int_equal(m.live, 0);
      break;
    }
    assert_msg(err.message, "out of memory");
    assert_int_equal(m.live, 0);
    write_fails++;
  }
  for (long n = 0;; n++) { /* bpt_verify */
    Mem m = {0, 0, 0, n};
    if (bpt_verify(&B->b, mem_alloc, &m, &err)) break;
    assert_msg(err.message, "out of memory");
    assert_int_equal(m.live, 0);
    verify_fails++;
  }
  assert_true(read_fails >= 1 && write_fails >= 1 && verify_fails >= 2);
  free(bytes), free(B);
}

/* A count of 4 billion in a tiny bundle is refused before anything is allocated. */
static void test_huge_count(void **state) {
  (void)state;
  Builder *B = mini();
  E(B, BPT_OP_END);
  mini_end(B);
  size_t len;
  uint8_t *bytes = write_bytes(&B->b, &len);
  uint32_t consts_at = get32(bytes + BPT_HEADER_SIZE + 12 + 4);
  set32(bytes + consts_at, 0xFFFFFFFFu);
  reseal(bytes, len);
  Mem m = MEM_INIT;
  BptError err;
  BptBundle rb;
  assert_false(bpt_read(bytes, len, mem_alloc, &m, &rb, &err));
  assert_msg(err.message, "section CONSTS: 4294967295 constants need at least 8589934590 bytes");
  assert_true(m.peak < 64 * 1024);
  assert_int_equal(m.live, 0);
  free(bytes), free(B);
}

/* ---- one broken bundle per rule ------------------------------------------------------ */

typedef enum { RICH, MINI, BYTES } Base;
typedef enum { AT_READ, AT_VERIFY } Stage;

typedef struct Case {
  const char *name;
  Base base;
  Stage stage;
  void (*edit)(Builder *B); /* RICH: edit it; MINI: emit the code */
  void (*edit_bytes)(uint8_t *b, size_t *len); /* BYTES: edit the rich bundle's bytes */
  bool reseal; /* BYTES: recompute size and checksum after */
  const char *expect;
} Case;

static void b_crc(uint8_t *b, size_t *n);

/* Offsets in the written rich bundle. */
static uint32_t sec_off(const uint8_t *b, int id) {
  return get32(b + BPT_HEADER_SIZE + 12 * (id - 1) + 4);
}

static void run_case(void **state) {
  const Case *c = *state;
  Builder *B = c->base == MINI ? mini() : rich();
  if (c->base == MINI)
    c->edit(B), mini_end(B);
  else if (c->base == RICH)
    c->edit(B);
  size_t len;
  uint8_t *bytes = write_bytes(&B->b, &len);
  if (c->base == BYTES) {
    bytes = realloc(bytes, len + 64); /* room to grow */
    c->edit_bytes(bytes, &len);
    if (c->reseal) reseal(bytes, len);
  }
  Mem m = MEM_INIT;
  BptError err = {{0}};
  BptBundle rb;
  bool read_ok = bpt_read(bytes, len, mem_alloc, &m, &rb, &err);
  /* bpt_read_written gives the same answer, but for the checksum, which it takes as
   * right: where the bytes were edited without resealing, it is the only difference. */
  BptError werr = {{0}};
  BptBundle wb;
  bool written_ok = bpt_read_written(bytes, len, mem_alloc, &m, &wb, &werr);
  if (c->edit_bytes == b_crc) {
    assert_false(read_ok);
    assert_true(written_ok || strstr(werr.message, "checksum") == NULL);
  } else if (c->base != BYTES || c->reseal) {
    assert_int_equal(written_ok, read_ok);
    if (!read_ok) assert_string_equal(werr.message, err.message);
  }
  if (written_ok) bpt_free(&wb, mem_alloc, &m);
  if (c->stage == AT_READ) {
    if (read_ok) fail_msg("bpt_read accepted it (expected \"%s\")", c->expect);
    assert_msg(err.message, c->expect);
  } else {
    if (!read_ok) fail_msg("bpt_read refused it: %s", err.message);
    if (bpt_verify(&rb, mem_alloc, &m, &err))
      fail_msg("bpt_verify accepted it (expected \"%s\")", c->expect);
    assert_msg(err.message, c->expect);
    /* the bundle as built in memory gets the same answer */
    BptError err2;
    assert_false(bpt_verify(&B->b, mem_alloc, &m, &err2));
    assert_string_equal(err.message, err2.message);
    bpt_free(&rb, mem_alloc, &m);
  }
  assert_true(strchr(err.message, '\n') == NULL);
  assert_int_equal(m.live, 0);
  free(bytes), free(B);
}

/* -- header and section table (bytes) -- */
static void b_magic(uint8_t *b, size_t *n) { (void)n, b[0] = 'X'; }
static void b_short(uint8_t *b, size_t *n) { (void)b, *n = 3; }
static void b_bitrix_zlib(uint8_t *b, size_t *n) { b[0] = 0x78, b[1] = 0x9C, b[2] = 0xED, *n = 12; }
static void b_bitrix_php(uint8_t *b, size_t *n) { memcpy(b, "a:6:{s:8:\"", 10), *n = 10; }
static void b_major(uint8_t *b, size_t *n) { (void)n, b[4] = 4; }
static void b_major_old(uint8_t *b, size_t *n) { (void)n, b[4] = 2; }
static void b_cut_header(uint8_t *b, size_t *n) { (void)b, *n = 40; }
static void b_size(uint8_t *b, size_t *n) { set32(b + 8, (uint32_t)*n + 1); }
static void b_crc(uint8_t *b, size_t *n) { b[*n - 1] ^= 1; }
static void b_nsections(uint8_t *b, size_t *n) { (void)n, set32(b + 16, 9); }
static void b_flags(uint8_t *b, size_t *n) { (void)n, set32(b + 20, 1); }
static void b_order(uint8_t *b, size_t *n) { (void)n, set32(b + BPT_HEADER_SIZE + 12, 1); }
static void b_missing(uint8_t *b, size_t *n) { (void)n, set32(b + BPT_HEADER_SIZE + 12 * 7, 9); }
static void b_gap(uint8_t *b, size_t *n) { /* a byte between STRINGS and CONSTS */
  uint32_t at = sec_off(b, BPT_SEC_CONSTS);
  memmove(b + at + 1, b + at, *n - at);
  b[at] = 0;
  (*n)++;
  for (int i = 1; i < BPT_SEC_COUNT; i++)
    set32(b + BPT_HEADER_SIZE + 12 * i + 4, sec_off(b, i + 1) + 1);
}
static void b_past_end(uint8_t *b, size_t *n) {
  uint8_t *e = b + BPT_HEADER_SIZE + 12 * 7 + 8;
  set32(e, get32(e) + 1);
  (void)n;
}
static void b_after_last(uint8_t *b, size_t *n) { b[(*n)++] = 0; }
static void b_trailing(uint8_t *b, size_t *n) { /* a byte more in the STRINGS section */
  uint32_t at = sec_off(b, BPT_SEC_CONSTS);
  memmove(b + at + 1, b + at, *n - at);
  b[at] = 0;
  (*n)++;
  uint8_t *e = b + BPT_HEADER_SIZE + 8;
  set32(e, get32(e) + 1);
  for (int i = 1; i < BPT_SEC_COUNT; i++)
    set32(b + BPT_HEADER_SIZE + 12 * i + 4, sec_off(b, i + 1) + 1);
}
static void b_string_eats(uint8_t *b, size_t *n) { /* string 1 claims the later lengths */
  uint32_t at = sec_off(b, BPT_SEC_STRINGS), size = get32(b + BPT_HEADER_SIZE + 8);
  set32(b + at + 8, size - 12);
  (void)n;
}
static void b_cut_section(uint8_t *b, size_t *n) { /* STRINGS loses its last byte to CONSTS */
  uint8_t *e = b + BPT_HEADER_SIZE;
  set32(e + 8, get32(e + 8) - 1);
  set32(e + 12 + 4, get32(e + 12 + 4) - 1);
  set32(e + 12 + 8, get32(e + 12 + 8) + 1);
  (void)n;
}

/* -- section contents (built bad in memory, then written) -- */
static void r_utf8(Builder *B) { B->strings[3] = (BptString){"\xC0\xAF", 2}; } /* overlong */
static void r_utf8_surrogate(Builder *B) { B->strings[3] = (BptString){"a\xED\xA0\x80", 4}; }
static void r_utf8_cut(Builder *B) { B->strings[3] = (BptString){"ab\xE2\x82", 4}; }
/* after and between the reader's 8-byte steps over ASCII */
static void r_utf8_at_8(Builder *B) { B->strings[3] = (BptString){"abcdefgh\xE2\x82", 10}; }
static void r_utf8_at_9(Builder *B) { B->strings[3] = (BptString){"abcdefghi\xFF", 10}; }
static void r_utf8_at_15(Builder *B) { B->strings[3] = (BptString){"abcdefghijklmno\x80" "abcdefgh", 24}; }
static void r_utf8_at_18(Builder *B) {
  B->strings[3] = (BptString){"abcdefgh\xC3\xA9ijklmnop\xED\xA0\x80", 21};
}
/* The reader takes a run of ASCII strings, their lengths with them, in one scan: a bad
 * string after a long one (its length's low byte has the top bit set), after one with a
 * letter above ASCII, and after many plain ones. */
static const char long_text[] =
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
static void r_utf8_after_long(Builder *B) {
  B->strings[2] = (BptString){long_text, 150};
  B->strings[3] = (BptString){"ab\xFF", 3};
}
static void r_utf8_after_letter(Builder *B) {
  B->strings[2] = (BptString){"caf\xC3\xA9", 5};
  B->strings[3] = (BptString){"abcdefghijk\xC3", 12};
}
static void r_utf8_late(Builder *B) {
  uint32_t last = B->b.nstrings - 1;
  B->strings[last] = (BptString){"abcdefgh\xE2\x82\xACx\xE2\x82", 14};
}
static void r_string0(Builder *B) { B->strings[0] = (BptString){"x", 1}; }
static void r_no_strings(Builder *B) { B->b.nstrings = 0; }
/* rich's constants: 0..2 ints, 3 decimal, 4 bool, 5 date, 6 datetime, 7..8 durations,
 * 9 user, 10 [user], 11..12 strings, 13 [string], 14 [], 15.. strings */
static void r_list_forward(Builder *B) { B->consts[10].items[0] = 20; }
static void r_list_type(Builder *B) { B->consts[10].items[0] = 0; }
static void r_list_nested(Builder *B) { B->consts[13].items[0] = 10; }
static void r_empty_list_items(Builder *B) {
  B->consts[14].nitems = 1, B->consts[14].items = B->items;
}
static void r_scale(Builder *B) { B->consts[3].scale = 19; }
static void r_bool(Builder *B) { B->consts[4].i = 2; }
static void r_const_string(Builder *B) { B->consts[11].str = 999; }
static void b_const_type(uint8_t *b, size_t *n) {
  (void)n, b[sec_off(b, BPT_SEC_CONSTS) + 4] = BPT_T_APPROVE_RESULT;
}
static void r_name_string(Builder *B) { B->procs[1].title = 5000; }
static void r_slot_type(Builder *B) { B->slots[0][1].type = 0x55; }
static void r_field_type(Builder *B) { B->fields[0].type = 0x7F; }
static void r_code_range(Builder *B) { B->procs[1].code_size += 1; }
static void r_node_string(Builder *B) { B->nodes[2].detail = 4000; }
/* The first bad string index of the graph is the one named: node 3's title before its
 * detail and before node 5's id, and an edge's label after every node. */
static void r_node_strings(Builder *B) {
  B->nodes[3].title = 4001, B->nodes[3].detail = 4002, B->nodes[5].id = 4003;
  B->edges[0].label = 4004;
}
static void r_edge_string(Builder *B) { B->edges[2].label = 3000; }

/* -- tables (verify) -- */
static void v_field_void(Builder *B) { B->fields[1].type = BPT_T_VOID; }
static void v_field_default(Builder *B) { B->fields[1].def = 60; }
static void v_action_result(Builder *B) { B->action.result = BPT_T_TASK_RESULT; }
static void v_action_param(Builder *B) { B->aparams[1].type = BPT_T_VOID; }
static void v_node_kind(Builder *B) { B->nodes[1].kind = BPT_N_KIND_COUNT; }
static void v_edge_node(Builder *B) { B->edges[2].to = 99; }
static void v_edge_kind(Builder *B) { B->edges[2].kind = BPT_E_KIND_COUNT; }
static void v_cluster(Builder *B) { B->nodes[3].cluster = 77; }
static void v_cluster_loop(Builder *B) { B->nodes[4].cluster = 5; } /* 5 is inside 4 */
/* A loop reached from a node before it, and one after a chain that goes forward and back
 * (1 in 6, 6 in 0): the verifier takes a node in an earlier cluster as ending at once. */
static void v_cluster_loop_entered(Builder *B) { B->nodes[2].cluster = 4, B->nodes[4].cluster = 5; }
static void v_cluster_loop_later(Builder *B) {
  B->nodes[1].cluster = 6, B->nodes[6].cluster = 0, B->nodes[4].cluster = 5;
}

/* -- process descriptors (verify) -- */
static void v_doctype(Builder *B) { B->procs[0].doctype = 3; }
static void v_trigger(Builder *B) { B->procs[0].trigger = 4; }
static void v_trigger_timer(Builder *B) { B->procs[0].trigger = BPT_TRIG_TIMER; } /* it watches fields */
static uint8_t after_bad_flags[1] = {4};
static uint32_t after_pc[1] = {0};
static void v_after_flags(Builder *B) {
  B->steps[0][0].nafters = 1, B->steps[0][0].after_flags = after_bad_flags, B->steps[0][0].after_pc = after_pc;
}
static void v_trigger_field(Builder *B) { B->tfields[0][0] = 4; }
static void v_no_code(Builder *B) {
  B->procs[1].code_offset = B->b.code_size, B->procs[1].code_size = 0;
}
static void v_slot_kind(Builder *B) { B->slots[0][2].kind = 5; }
static void v_slot_void(Builder *B) { B->slots[0][1].type = BPT_T_VOID; }
static void v_param_slot(Builder *B) { B->params[0][0].slot = 40; }
static void v_param_kind(Builder *B) { B->params[0][0].slot = 1; }
static void v_param_required(Builder *B) { B->params[0][0].required = 2; }
static void v_step_kind(Builder *B) { B->steps[0][0].kind = 4; }
static void v_step_mode(Builder *B) { B->steps[1][0].mode = BPT_MODE_ALL; } /* a request */
static void v_step_flags(Builder *B) { B->steps[0][0].flags |= 8; }
static void v_step_timeout_times(Builder *B) { B->steps[0][0].flags |= BPT_STEP_TIMEOUT_TIMES; }
static void v_step_timeout_times_alone(Builder *B) { B->steps[1][0].flags |= BPT_STEP_TIMEOUT_TIMES; }
static void v_step_wait_all(Builder *B) { B->steps[1][0].flags |= BPT_STEP_WAIT_ALL; }
static void v_step_result(Builder *B) { B->steps[0][0].result = 30; }
static void v_step_result_type(Builder *B) { B->steps[0][0].result = 1; }
static void v_step_fields(Builder *B) {
  B->steps[0][0].nfields = 1;
  B->rfields[0][0][0] = B->rfields[1][0][0];
}
static void v_req_field(Builder *B) { B->rfields[1][0][0].index = 4; }
static void v_req_slot(Builder *B) { B->rfields[1][0][1].index = 3; }
static void v_req_to(Builder *B) { B->rfields[1][0][1].to_slot = 2; }
static void v_step_node(Builder *B) { B->steps[0][0].node = 50; }
static void v_timeout_pc(Builder *B) { B->steps[0][0].timeout_pc = B->procs[0].code_size; }
static void v_timeout_mid(Builder *B) { B->steps[0][0].timeout_pc += 1; }
static void v_remind_pc(Builder *B) { B->reminds[0][0][0] = BPT_NO_PC; }
static void v_entry_pc(Builder *B) { B->procs[0].entry_pc = 100000; }
static void v_entry_mid(Builder *B) { B->procs[0].entry_pc = 1; }
static void v_when_pc(Builder *B) { B->procs[0].when_pc += 2; }
static void v_state_target(Builder *B) { B->cmds[1][0][0].target = 3; }
static void v_state_both(Builder *B) { B->cmds[1][0][0].body_pc = 0; }
static void v_state_neither(Builder *B) { B->cmds[1][1][0].body_pc = BPT_NO_PC; }
static void v_state_final(Builder *B) { B->states[1][0].final = 2; }
static void v_enter_pc(Builder *B) { B->states[1][1].enter_pc += 1; }
static void v_by_pc(Builder *B) { B->cmds[1][0][0].by_pc = 5000; }
static void v_lines_range(Builder *B) { B->procs[1].nlines = 5; }
static void v_line_pc(Builder *B) { B->lines[1].pc = B->procs[0].code_size; }
static void v_line_order(Builder *B) { B->lines[2].pc = 0; }
static void v_nodes_range(Builder *B) { B->procs[1].nnodes = 10; }
static void v_edges_range(Builder *B) { B->procs[1].first_edge = 9; }
static void r_source_file(Builder *B) { B->b.source_file = 900; }

/* -- code (verify, on mini: the case emits the code from pc 0) -- */
static void c_unknown(Builder *B) { put8(B, BPT_OP_COUNT); }
static void c_cut(Builder *B) { E(B, BPT_OP_END), put8(B, BPT_OP_CONST), put8(B, 0); }
static void c_const(Builder *B) { E(B, BPT_OP_CONST, 3), E(B, BPT_OP_POP), E(B, BPT_OP_END); }
static void c_string(Builder *B) { E(B, BPT_OP_FAIL, 1000); }
static void c_slot(Builder *B) { E(B, BPT_OP_LOAD, 5), E(B, BPT_OP_POP), E(B, BPT_OP_END); }
static void c_slot_r(Builder *B) {
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_ACTION, 0, 1, 5), E(B, BPT_OP_END);
}
static void c_field(Builder *B) { E(B, BPT_OP_LOAD_FIELD, 2), E(B, BPT_OP_POP), E(B, BPT_OP_END); }
static void c_field_nodoc(Builder *B) {
  B->cur->doctype = BPT_NONE16;
  E(B, BPT_OP_LOAD_FIELD, 0), E(B, BPT_OP_POP), E(B, BPT_OP_END);
}
static void c_member(Builder *B) {
  E(B, BPT_OP_LOAD, M_R), E(B, BPT_OP_MEMBER, 9), E(B, BPT_OP_POP), E(B, BPT_OP_END);
}
static void c_action(Builder *B) { E(B, BPT_OP_ACTION, 1, 0, BPT_NONE16), E(B, BPT_OP_END); }
static void c_action_n(Builder *B) { E(B, BPT_OP_ACTION, 0, 0, BPT_NONE16), E(B, BPT_OP_END); }
static void c_process(Builder *B) { E(B, BPT_OP_START, 1, 0), E(B, BPT_OP_END); }
static void c_start_n(Builder *B) { E(B, BPT_OP_START, 0, 2), E(B, BPT_OP_END); }
static void c_step(Builder *B) { E(B, BPT_OP_STEP, 1), E(B, BPT_OP_END); }
static void c_state(Builder *B) { E(B, BPT_OP_GOTO, 1); }
static void c_group(Builder *B) { E(B, BPT_OP_JOIN, 1, 2), E(B, BPT_OP_END); }
static void c_builtin(Builder *B) {
  E(B, BPT_OP_CALL, BPT_BI_COUNT, 0), E(B, BPT_OP_POP), E(B, BPT_OP_END);
}
static void c_builtin_n(Builder *B) {
  E(B, BPT_OP_CALL, BPT_BI_LEN, 0), E(B, BPT_OP_POP), E(B, BPT_OP_END);
}
static void c_join0(Builder *B) { E(B, BPT_OP_JOIN, 0, 0), E(B, BPT_OP_END); }
static void c_fork0(Builder *B) { E(B, BPT_OP_FORK, 0, 0, 0); }
static void c_fork_any(Builder *B) {
  int L = lab(B);
  E(B, BPT_OP_FORK, 0, 2, 1, L), here(B, L), E(B, BPT_OP_END);
}
static void c_reassign(Builder *B) { E(B, BPT_OP_REASSIGN, 3), E(B, BPT_OP_HANDLER_END); }
static void c_iter_slots(Builder *B) {
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_ITER_START, 4), E(B, BPT_OP_END);
}
static void c_jump_mid(Builder *B) { /* JUMP to pc 1: inside itself */
  put8(B, BPT_OP_JUMP), put32(B, (uint32_t)-4);
}
static void c_jump_out(Builder *B) { put8(B, BPT_OP_JUMP), put32(B, 100); }
static void c_jump_neg(Builder *B) {
  E(B, BPT_OP_END), put8(B, BPT_OP_JUMP), put32(B, (uint32_t)-100);
}
static void c_fork_out(Builder *B) {
  put8(B, BPT_OP_FORK), put16(B, 0), put8(B, 0), put8(B, 1), put32(B, 50);
}
static void c_depth(Builder *B) { /* if a { push 1 } then join with 0 or 1 values */
  int L = lab(B);
  E(B, BPT_OP_LOAD, M_A), E(B, BPT_OP_JUMP_IF_FALSE, L), E(B, BPT_OP_CONST, 0);
  here(B, L);
  E(B, BPT_OP_END);
}
/* Both paths of a jump fail: the fall-through is checked first (the work list is a
 * stack, and the verifier takes a fall-through at once), so its failure is the one. */
static void c_first_failure(Builder *B) {
  int L = lab(B);
  E(B, BPT_OP_LOAD, M_A), E(B, BPT_OP_JUMP_IF_FALSE, L), E(B, BPT_OP_ADD);
  here(B, L);
  E(B, BPT_OP_POP), E(B, BPT_OP_END);
}
static void c_underflow(Builder *B) { E(B, BPT_OP_CONST, 0), E(B, BPT_OP_ADD), E(B, BPT_OP_END); }
static void c_overflow(Builder *B) {
  for (int i = 0; i < BPT_STACK_MAX + 1; i++) E(B, BPT_OP_CONST, 0);
  E(B, BPT_OP_END);
}
static void c_step_stack(Builder *B) { E(B, BPT_OP_CONST, 0), mini_step(B), E(B, BPT_OP_END); }
static void c_step_short(Builder *B) {
  E(B, BPT_OP_LOAD, M_WHO), E(B, BPT_OP_CONST, M_TITLE), E(B, BPT_OP_STEP, 0), E(B, BPT_OP_END);
}
static void c_wait_stack(Builder *B) {
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_CONST, M_3D), E(B, BPT_OP_WAIT), E(B, BPT_OP_END);
}
static void c_action_stack(Builder *B) {
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_CONST, 0), E(B, BPT_OP_ACTION, 0, 1, M_A), E(B, BPT_OP_END);
}
/* The count operand of CALL (after its built-in) and of START (after its process, and
 * pairs): the stack pass reads it where the operand letters put it. */
static void c_call_pops(Builder *B) { E(B, BPT_OP_CALL, BPT_BI_LEN, 1), E(B, BPT_OP_POP), E(B, BPT_OP_END); }
static void c_start_pops(Builder *B) {
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_START, 0, 1), E(B, BPT_OP_END);
}
static void c_join_stack(Builder *B) {
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_JOIN, 0, 2), E(B, BPT_OP_END);
}
/* A message's payload pairs follow its RECEIVE, and MSG_TAKE stands nowhere else. */
static void c_receive_short(Builder *B) { E(B, BPT_OP_RECEIVE, S(B, "paid"), 1), E(B, BPT_OP_END); }
static void c_take_alone(Builder *B) { E(B, BPT_OP_MSG_TAKE, S(B, "x")), E(B, BPT_OP_POP), E(B, BPT_OP_END); }
static void c_take_no_store(Builder *B) {
  E(B, BPT_OP_RECEIVE, S(B, "paid"), 1), E(B, BPT_OP_MSG_TAKE, S(B, "x")), E(B, BPT_OP_POP), E(B, BPT_OP_END);
}
static void c_receive_cut(Builder *B) { E(B, BPT_OP_END), E(B, BPT_OP_RECEIVE, S(B, "paid"), 1); }
static void c_fall_off(Builder *B) { E(B, BPT_OP_CONST, 0), E(B, BPT_OP_POP); }
static void c_fall_off_cond(Builder *B) {
  int L = lab(B);
  E(B, BPT_OP_JUMP, L), E(B, BPT_OP_END), here(B, L), E(B, BPT_OP_LOAD, M_A),
      E(B, BPT_OP_JUMP_IF_FALSE, L);
}
static void c_and_else(Builder *B) { /* AND_ELSE's fall-through pops: END sees 0 and 1 */
  int L = lab(B);
  E(B, BPT_OP_LOAD, M_A), E(B, BPT_OP_AND_ELSE, L), here(B, L), E(B, BPT_OP_END);
}
static void c_fork_branch_stack(Builder *B) { /* a branch is a new thread: it starts empty */
  int L = lab(B);
  E(B, BPT_OP_FORK, 0, 0, 1, L), here(B, L), E(B, BPT_OP_POP), E(B, BPT_OP_END);
}
static void c_dead_bad(Builder *B) { /* unreachable code is still checked */
  E(B, BPT_OP_END), E(B, BPT_OP_LOAD, 9), E(B, BPT_OP_END);
}
/* A `when` fragment only computes a value: an effect there (BPT_F_EFFECT), or a RESULT in
 * a thread (BPT_F_RESULT), is refused; so is code that a fragment and a thread share. */
static void c_when_effect(Builder *B) {
  c_ok(B);
  B->cur->when_pc = pc_now(B);
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_STORE, M_A), E(B, BPT_OP_CONST, 0), E(B, BPT_OP_RESULT);
}
static void c_result_in_thread(Builder *B) { E(B, BPT_OP_CONST, 0), E(B, BPT_OP_RESULT); }
static void c_when_shared(Builder *B) {
  B->cur->when_pc = 0;
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_POP), E(B, BPT_OP_END);
}

/* A store whose value's type is evident (a constant, a typed slot or field just loaded)
 * must fit the declared type of its slot or field. */
static void c_store_const_type(Builder *B) { /* the fuzz finding: a constant of another type */
  E(B, BPT_OP_CONST, M_3D), E(B, BPT_OP_STORE, M_A), c_ok(B);
}
static void c_store_field_type(Builder *B) {
  E(B, BPT_OP_CONST, M_TITLE), E(B, BPT_OP_STORE_FIELD, 0), c_ok(B);
}
static void c_store_loaded_type(Builder *B) {
  E(B, BPT_OP_LOAD_FIELD, 1), E(B, BPT_OP_STORE, M_A), c_ok(B);
}
static void c_store_list_const(Builder *B) { /* a list constant of other elements */
  uint16_t one = M_INT1;
  uint16_t k = K_list(B, BPT_T_INT, 1, &one);
  E(B, BPT_OP_CONST, k), E(B, BPT_OP_STORE, M_WHO), c_ok(B);
}
/* TRY: its codes are a list of strings, its two slots exist, the stack is empty there (the
 * catch starts a thread). */
static void c_try_codes(Builder *B) {
  int L = lab(B);
  E(B, BPT_OP_TRY, 0, M_INT1, M_A, L), E(B, BPT_OP_TRY_END, 0), here(B, L), c_ok(B);
}
static void c_try_slots(Builder *B) {
  int L = lab(B);
  uint16_t k = K_list(B, BPT_T_STRING, 1, (uint16_t[]){M_TITLE});
  E(B, BPT_OP_TRY, 0, k, 4, L), E(B, BPT_OP_TRY_END, 0), here(B, L), c_ok(B);
}
/* SPAWN: the new thread starts with an empty stack, so the spawner's must be empty too;
 * its target is checked like a jump's, and the code there like any thread's. */
static void c_spawn_stack(Builder *B) {
  int L = lab(B);
  E(B, BPT_OP_CONST, M_INT1), E(B, BPT_OP_SPAWN, L), E(B, BPT_OP_POP), here(B, L), c_ok(B);
}
static void c_spawn_out(Builder *B) { put8(B, BPT_OP_SPAWN), put32(B, 100), E(B, BPT_OP_END); }
static void c_spawn_target(Builder *B) { /* the handler pops a value it does not have */
  int L = lab(B);
  E(B, BPT_OP_SPAWN, L), E(B, BPT_OP_END), here(B, L), E(B, BPT_OP_POP), E(B, BPT_OP_END);
}
static void c_try_stack(Builder *B) {
  int L = lab(B);
  uint16_t k = K_list(B, BPT_T_STRING, 0, NULL);
  E(B, BPT_OP_CONST, M_INT1), E(B, BPT_OP_TRY, 0, k, M_IT, L), E(B, BPT_OP_POP), here(B, L), c_ok(B);
}
/* The slots that ITER_START, ITER_NEXT and TRY write with no STORE must be hidden: a loop's
 * list in an int variable would be saved as a state that restore refuses (fuzz_bundle). */
static void c_iter_declared(Builder *B) {
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_ITER_START, M_A), E(B, BPT_OP_END);
}
static void c_iter_item_in_state(Builder *B) { /* the item into the loop's position */
  int L = lab(B);
  E(B, BPT_OP_CONST, 0), E(B, BPT_OP_ITER_START, M_IT);
  here(B, L);
  E(B, BPT_OP_ITER_NEXT, M_IT, M_IT + 1, L), E(B, BPT_OP_END);
}
static void c_try_declared(Builder *B) {
  int L = lab(B);
  uint16_t k = K_list(B, BPT_T_STRING, 1, (uint16_t[]){M_TITLE});
  E(B, BPT_OP_TRY, 0, k, M_R, L), E(B, BPT_OP_TRY_END, 0), here(B, L), c_ok(B);
}

#define READ_CASE(fn, msg)                                                                         \
  { #fn, RICH, AT_READ, fn, NULL, false, msg }
#define VERIFY_CASE(fn, msg)                                                                       \
  { #fn, RICH, AT_VERIFY, fn, NULL, false, msg }
#define CODE_CASE(fn, msg)                                                                         \
  { #fn, MINI, AT_VERIFY, fn, NULL, false, msg }
#define BYTES_CASE(fn, reseal, msg)                                                                \
  { #fn, BYTES, AT_READ, NULL, fn, reseal, msg }

static const Case cases[] = {
    BYTES_CASE(b_magic, false, "not a bundle: the first bytes are not the magic"),
    BYTES_CASE(b_short, false, "not a bundle"),
    BYTES_CASE(b_bitrix_zlib, false, "not a bpc bundle: this is a Bitrix24 template export (zlib data); `bpc compile` makes a bundle of it"),
    BYTES_CASE(b_bitrix_php, false, "not a bpc bundle: this is a Bitrix24 template export (PHP serialize data)"),
    BYTES_CASE(b_major, false, "bundle format 4.x is not supported (this runtime reads 3.x)"),
    BYTES_CASE(b_major_old, false, "bundle format 2.x is not supported (this runtime reads 3.x; compile its source again)"),
    BYTES_CASE(b_cut_header, true, "the bundle is cut off: 40 bytes"),
    BYTES_CASE(b_size, false, "size field says"),
    BYTES_CASE(b_crc, false, "checksum mismatch"),
    BYTES_CASE(b_nsections, true, "the bundle has 9 sections, format 3.x has 8"),
    BYTES_CASE(b_flags, true, "unknown header flags 0x00000001"),
    BYTES_CASE(b_order, true,
               "section table entry 1 has id 1 after id 1 (ids must be strictly increasing)"),
    BYTES_CASE(b_missing, true, "section table entry 7 has id 9, expected 8 (GRAPH)"),
    BYTES_CASE(b_gap, true, "section CONSTS starts at offset"),
    BYTES_CASE(b_past_end, true, "section GRAPH (offset"),
    BYTES_CASE(b_after_last, true, "1 bytes after the last section"),
    BYTES_CASE(b_trailing, true, "section STRINGS: 1 bytes left over after its content"),
    BYTES_CASE(b_cut_section, true, "section STRINGS, string "),
    BYTES_CASE(
        b_string_eats, true,
        "section STRINGS, string 1: its length 607 leaves no room for the 54 strings after it"),
    READ_CASE(r_utf8, "section STRINGS, string 3: not valid UTF-8 at byte 0"),
    READ_CASE(r_utf8_surrogate, "section STRINGS, string 3: not valid UTF-8 at byte 1"),
    READ_CASE(r_utf8_cut, "section STRINGS, string 3: not valid UTF-8 at byte 2"),
    READ_CASE(r_utf8_at_8, "section STRINGS, string 3: not valid UTF-8 at byte 8"),
    READ_CASE(r_utf8_at_9, "section STRINGS, string 3: not valid UTF-8 at byte 9"),
    READ_CASE(r_utf8_at_15, "section STRINGS, string 3: not valid UTF-8 at byte 15"),
    READ_CASE(r_utf8_at_18, "section STRINGS, string 3: not valid UTF-8 at byte 18"),
    READ_CASE(r_utf8_after_long, "section STRINGS, string 3: not valid UTF-8 at byte 2"),
    READ_CASE(r_utf8_after_letter, "section STRINGS, string 3: not valid UTF-8 at byte 11"),
    READ_CASE(r_utf8_late, ": not valid UTF-8 at byte 12"),
    READ_CASE(r_string0, "section STRINGS, string 0: string 0 must be \"\""),
    READ_CASE(r_no_strings, "section STRINGS: the string table is empty"),
    READ_CASE(r_list_forward,
              "section CONSTS, constant 10: list item 0 is constant 20, not an earlier one"),
    READ_CASE(
        r_list_type,
        "section CONSTS, constant 10: list item 0 is constant 0 of type int, the list holds user"),
    READ_CASE(r_list_nested,
              "section CONSTS, constant 13: list item 0 is constant 10 of type users, "
              "the list holds string"),
    READ_CASE(r_empty_list_items,
              "section CONSTS, constant 14: an empty-list constant (type 0x80) has 1 items"),
    READ_CASE(r_scale, "section CONSTS, constant 3: decimal scale 19 is above 18"),
    READ_CASE(r_bool, "section CONSTS, constant 4: bool byte is 2"),
    READ_CASE(r_const_string, "section CONSTS, constant 11: its text is string 999"),
    BYTES_CASE(b_const_type, true,
               "section CONSTS, constant 0: type code 0x21 is not a constant's type"),
    READ_CASE(r_source_file, "section LINES: the source file is string 900"),
    READ_CASE(r_name_string, "section PROCESSES, process 1: its title is string 5000"),
    READ_CASE(r_slot_type, "section PROCESSES, process 0, slot 1: it has unknown type code 0x55"),
    READ_CASE(r_field_type,
              "section DOCTYPES, document type 0, field 0: it has unknown type code 0x7f"),
    READ_CASE(r_code_range, "section PROCESSES, process 1: its code (offset"),
    READ_CASE(r_node_string, "section GRAPH, node 2: its detail is string 4000"),
    READ_CASE(r_node_strings, "section GRAPH, node 3: its title is string 4001, but there are "),
    READ_CASE(r_edge_string, "section GRAPH, edge 2: its label is string 3000, but there are "),
    VERIFY_CASE(v_field_void,
                "section DOCTYPES, document type 0, field 1: type code 0x00 is not a field's type"),
    VERIFY_CASE(v_field_default, "field 1: its default is constant 60"),
    VERIFY_CASE(v_action_result, "section ACTIONS, action 0: type code 0x20 is not a result type"),
    VERIFY_CASE(v_action_param, "section ACTIONS, action 0, parameter 1: type code 0x00"),
    VERIFY_CASE(v_node_kind, "section GRAPH, node 1: unknown kind"),
    VERIFY_CASE(v_edge_node, "section GRAPH, edge 2: it joins nodes 1 and 99, but there are 12"),
    VERIFY_CASE(v_edge_kind, "section GRAPH, edge 2: unknown kind 7"),
    VERIFY_CASE(v_cluster, "section GRAPH, node 3: its cluster is node 77"),
    VERIFY_CASE(v_cluster_loop,
                "section GRAPH, node 4: its chain of clusters loops back to node 4"),
    VERIFY_CASE(v_cluster_loop_entered,
                "section GRAPH, node 2: its chain of clusters loops back to node 4"),
    VERIFY_CASE(v_cluster_loop_later,
                "section GRAPH, node 4: its chain of clusters loops back to node 4"),
    VERIFY_CASE(v_doctype, "process `collect`: its document type is 3, but there are 1"),
    VERIFY_CASE(v_trigger, "process `collect`: unknown trigger 4"),
    VERIFY_CASE(v_trigger_timer, "process `collect`: a timer trigger watches no fields and has no `when`"),
    VERIFY_CASE(v_after_flags, "process `collect`: step 0, after 0: unknown flags 0x04"),
    VERIFY_CASE(v_trigger_field,
                "process `collect`: trigger field 0 is field 4, but its document type has 4"),
    VERIFY_CASE(v_no_code, "process `contract`: it has no code"),
    VERIFY_CASE(v_slot_kind, "process `collect`: slot 2: unknown kind 5"),
    VERIFY_CASE(v_slot_void, "process `collect`: slot 1: type code 0x00 is not a slot's type"),
    VERIFY_CASE(v_param_slot, "process `collect`: parameter 0: its slot is 40, but there are 7"),
    VERIFY_CASE(v_param_kind, "process `collect`: parameter 0: slot 1 is not a parameter slot"),
    VERIFY_CASE(v_param_required, "parameter 0: `required` is 2"),
    VERIFY_CASE(v_step_kind, "process `collect`: step 0: unknown kind 4"),
    VERIFY_CASE(v_step_mode, "process `contract`: step 0: mode 1 is not allowed for its kind 3"),
    VERIFY_CASE(v_step_flags, "process `collect`: step 0: unknown flags 0x0a"),
    VERIFY_CASE(v_step_timeout_times, "process `collect`, pc 92: STEP needs 5 values, the stack has 4"),
    VERIFY_CASE(v_step_timeout_times_alone,
                "process `contract`: step 0: `on timeout times` without a due time and an `on timeout` handler"),
    VERIFY_CASE(v_step_wait_all,
                "process `contract`: step 0: `wait all` on a step that is not an approval"),
    VERIFY_CASE(v_step_result, "process `collect`: step 0: its result slot is 30, but there are 7"),
    VERIFY_CASE(v_step_result_type, "process `collect`: step 0: its result slot 1 has type 0x02, "
                                    "not the step's result type 0x21"),
    VERIFY_CASE(v_step_fields,
                "process `collect`: step 0: request fields on a step that is not a request"),
    VERIFY_CASE(v_req_field,
                "process `contract`: step 0, request field 0: it stores into document field 4, "
                "but there are 4"),
    VERIFY_CASE(
        v_req_slot,
        "process `contract`: step 0, request field 1: it stores into slot 3, but there are 3"),
    VERIFY_CASE(v_req_to, "request field 1: to_slot is 2"),
    VERIFY_CASE(v_step_node, "process `collect`: step 0: its graph node is 50"),
    VERIFY_CASE(v_timeout_pc, "process `collect`: step 0 timeout pc "),
    VERIFY_CASE(v_timeout_mid, " is inside an instruction"),
    VERIFY_CASE(v_remind_pc,
                "process `collect`: step 0 remind 0 pc 4294967295 is outside its code"),
    VERIFY_CASE(v_entry_pc, "process `collect`: entry pc 100000 is outside its code"),
    VERIFY_CASE(v_entry_mid, "process `collect`: entry pc 1 is inside an instruction"),
    VERIFY_CASE(v_when_pc, "process `collect`: when pc "),
    VERIFY_CASE(v_state_target,
                "process `contract`: state 0, command 0: its target is state 3, but there are 3"),
    VERIFY_CASE(v_state_both, "state 0, command 0: it has both a target and a body"),
    VERIFY_CASE(v_state_neither, "state 1, command 0: it has neither a target nor a body"),
    VERIFY_CASE(v_state_final, "state 0: `final` is 2"),
    VERIFY_CASE(v_enter_pc, "process `contract`: state 1 enter pc "),
    VERIFY_CASE(v_by_pc, "process `contract`: state 0 command 0 `by` pc 5000 is outside its code"),
    VERIFY_CASE(v_lines_range, "process `contract`: its line entries "),
    VERIFY_CASE(v_line_pc, "process `collect`: line entry 1 has pc "),
    VERIFY_CASE(v_line_order,
                "process `collect`: line entry 2 has pc 0, before the previous entry's"),
    VERIFY_CASE(v_nodes_range,
                "process `contract`: its graph nodes 8+10 are outside the GRAPH section (12)"),
    VERIFY_CASE(v_edges_range,
                "process `contract`: its graph edges 9+3 are outside the GRAPH section (11)"),
    CODE_CASE(c_unknown, "process `m`, pc 0: unknown opcode"),
    CODE_CASE(c_cut, "process `m`, pc 1: CONST is cut off by the end of the code (3 bytes)"),
    CODE_CASE(c_const, "process `m`, pc 0: CONST uses constant 3, but there are 3"),
    CODE_CASE(c_string, "process `m`, pc 0: FAIL uses string 1000"),
    CODE_CASE(c_slot, "process `m`, pc 0: LOAD uses slot 5, but there are 5"),
    CODE_CASE(c_slot_r, "process `m`, pc 3: ACTION uses slot 5, but there are 5"),
    CODE_CASE(c_field, "process `m`, pc 0: LOAD_FIELD uses document field 2, but there are 2"),
    CODE_CASE(c_field_nodoc, "process `m`, pc 0: LOAD_FIELD in a process with no document type"),
    CODE_CASE(c_member, "process `m`, pc 3: MEMBER uses result member 9, but there are 9"),
    CODE_CASE(c_action, "process `m`, pc 0: ACTION uses action 1, but there are 1"),
    CODE_CASE(c_action_n, "process `m`, pc 0: ACTION 0 with 0 arguments, it takes 1"),
    CODE_CASE(c_process, "process `m`, pc 0: START uses process 1, but there are 1"),
    CODE_CASE(c_start_n, "process `m`, pc 0: START of process 0 with 2 parameters, it has 1"),
    CODE_CASE(c_step, "process `m`, pc 0: STEP uses step 1, but there are 1"),
    CODE_CASE(c_state, "process `m`, pc 0: GOTO uses state 1, but there are 1"),
    CODE_CASE(c_group, "process `m`, pc 0: JOIN uses fork group 1, but there are 1"),
    CODE_CASE(c_builtin, "process `m`, pc 0: CALL uses built-in 20, but there are 20"),
    CODE_CASE(c_builtin_n, "process `m`, pc 0: CALL len with 0 arguments, it takes 1"),
    CODE_CASE(c_join0, "process `m`, pc 0: JOIN of 0 threads"),
    CODE_CASE(c_fork0, "process `m`, pc 0: FORK with no branches"),
    CODE_CASE(c_fork_any, "process `m`, pc 0: FORK with `any` = 2, not 0 or 1"),
    CODE_CASE(c_reassign, "process `m`, pc 0: REASSIGN with 3 values"),
    CODE_CASE(c_iter_slots, "process `m`, pc 3: ITER_START uses slots 4 and 5, but there are 5"),
    CODE_CASE(c_iter_declared, "process `m`, pc 3: ITER_START writes slot 0, which is not hidden"),
    CODE_CASE(c_iter_item_in_state, "process `m`, pc 6: ITER_NEXT puts the item into slot 4, which holds the loop's own state"),
    CODE_CASE(c_try_declared, "process `m`, pc 0: TRY writes slot 2, which is not hidden"),
    CODE_CASE(c_jump_mid, "process `m`, pc 0: JUMP jumps to pc 1, inside an instruction"),
    CODE_CASE(c_jump_out, "process `m`, pc 0: JUMP jumps outside the code (5 bytes)"),
    CODE_CASE(c_jump_neg, "process `m`, pc 1: JUMP jumps outside the code (6 bytes)"),
    CODE_CASE(c_fork_out, "process `m`, pc 0: FORK jumps outside the code"),
    CODE_CASE(c_depth,
              "process `m`, pc 11: stack depth 0 from one path and 1 from another (via pc 8)"),
    CODE_CASE(c_underflow, "process `m`, pc 3: ADD needs 2 values, the stack has 1"),
    CODE_CASE(c_first_failure, "process `m`, pc 8: ADD needs 2 values, the stack has 0"),
    CODE_CASE(c_overflow, "process `m`, pc 192: stack depth 65 exceeds 64"),
    CODE_CASE(c_step_stack, "process `m`, pc 12: STEP leaves 1 values on the stack; "
                            "a waiting instruction needs it empty"),
    CODE_CASE(c_step_short, "process `m`, pc 6: STEP needs 3 values, the stack has 2"),
    CODE_CASE(c_wait_stack, "process `m`, pc 6: WAIT leaves 1 values on the stack"),
    CODE_CASE(c_action_stack, "process `m`, pc 6: ACTION leaves 1 values on the stack"),
    CODE_CASE(c_join_stack, "process `m`, pc 3: JOIN leaves 1 values on the stack"),
    CODE_CASE(c_call_pops, "process `m`, pc 0: CALL needs 1 values, the stack has 0"),
    CODE_CASE(c_start_pops, "process `m`, pc 3: START needs 2 values, the stack has 1"),
    CODE_CASE(c_receive_short, "process `m`, pc 6: END where RECEIVE wants 1 more MSG_TAKE"),
    CODE_CASE(c_take_alone, "process `m`, pc 0: MSG_TAKE not right after a RECEIVE"),
    CODE_CASE(c_take_no_store,
              "process `m`, pc 11: POP where a message field's STORE or STORE_FIELD must follow its MSG_TAKE"),
    CODE_CASE(c_receive_cut, "process `m`, pc 7: the code ends inside a RECEIVE's message fields"),
    CODE_CASE(c_fall_off, "process `m`, pc 3: POP falls off the end of the code"),
    CODE_CASE(c_fall_off_cond, "process `m`, pc 9: JUMP_IF_FALSE falls off the end of the code"),
    CODE_CASE(c_and_else,
              "process `m`, pc 8: stack depth 1 from one path and 0 from another (via pc 3)"),
    CODE_CASE(c_fork_branch_stack, "process `m`, pc 9: POP needs 1 values, the stack has 0"),
    CODE_CASE(c_dead_bad, "process `m`, pc 1: LOAD uses slot 9"),
    CODE_CASE(c_when_effect, "process `m`, pc 16: STORE in an expression fragment"),
    CODE_CASE(c_result_in_thread, "process `m`, pc 3: RESULT outside an expression fragment"),
    CODE_CASE(c_when_shared, "process `m`, pc 0: code reached both by an expression fragment and by a thread"),
    CODE_CASE(c_store_const_type,
              "process `m`, pc 3: STORE stores duration (constant 2) into slot 0, which holds int"),
    CODE_CASE(c_store_field_type,
              "process `m`, pc 3: STORE_FIELD stores string (constant 1) into document field 0, "
              "which holds int"),
    CODE_CASE(c_store_loaded_type,
              "process `m`, pc 3: STORE stores string (document field 1) into slot 0, which holds int"),
    CODE_CASE(c_store_list_const,
              "process `m`, pc 3: STORE stores list of int (constant 3) into slot 1, which holds users"),
    CODE_CASE(c_try_codes, "process `m`, pc 0: TRY's codes (constant 0) must be a list of strings"),
    CODE_CASE(c_try_slots, "process `m`, pc 0: TRY uses slots 4 and 5, but there are 5"),
    CODE_CASE(c_try_stack, "process `m`, pc 3: TRY with 1 values on the stack; it needs it empty"),
    CODE_CASE(c_spawn_stack, "process `m`, pc 3: SPAWN with 1 values on the stack; it needs it empty"),
    CODE_CASE(c_spawn_out, "process `m`, pc 0: SPAWN jumps outside the code"),
    CODE_CASE(c_spawn_target, "process `m`, pc 6: POP needs 1 values, the stack has 0"),
};

/* The mini bundle itself is valid: the code cases break only what they name. */
static void test_mini_valid(void **state) {
  (void)state;
  Builder *B = mini();
  c_ok(B);
  mini_end(B);
  Mem m = MEM_INIT;
  BptError err;
  if (!bpt_verify(&B->b, mem_alloc, &m, &err)) fail_msg("%s", err.message);
  assert_int_equal(m.live, 0);
  free(B);
}

/* Stores that fit: the same type, an empty list into a list of another type, anything into
 * a hidden slot, a list loaded from a list slot (checked when it runs). */
static void test_store_fits(void **state) {
  (void)state;
  Builder *B = mini();
  uint16_t empty = K_list(B, BPT_T_STRING, 0, NULL);
  E(B, BPT_OP_CONST, M_INT1), E(B, BPT_OP_STORE, M_A);
  E(B, BPT_OP_LOAD_FIELD, 0), E(B, BPT_OP_STORE, M_A);
  E(B, BPT_OP_LOAD, M_A), E(B, BPT_OP_STORE_FIELD, 0);
  E(B, BPT_OP_CONST, M_TITLE), E(B, BPT_OP_STORE_FIELD, 1);
  E(B, BPT_OP_CONST, empty), E(B, BPT_OP_STORE, M_WHO);
  E(B, BPT_OP_CONST, M_TITLE), E(B, BPT_OP_STORE, M_IT + 1);
  E(B, BPT_OP_LOAD, M_IT), E(B, BPT_OP_STORE, M_WHO);
  c_ok(B);
  mini_end(B);
  Mem m = MEM_INIT;
  BptError err;
  if (!bpt_verify(&B->b, mem_alloc, &m, &err)) fail_msg("%s", err.message);
  assert_int_equal(m.live, 0);
  free(B);
}

int main(void) {
  enum { NNAMED = 16, NCASES = sizeof cases / sizeof cases[0] };
  static struct CMUnitTest tests[NNAMED + NCASES] = {
      cmocka_unit_test(test_tables),         cmocka_unit_test(test_crc32c),
      cmocka_unit_test(test_crc32c_slices),  cmocka_unit_test(test_crc32c_with),  cmocka_unit_test(test_time),
      cmocka_unit_test(test_decode),         cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_minor_version),  cmocka_unit_test(test_disasm),
      cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_huge_count),
      cmocka_unit_test(test_mini_valid),     cmocka_unit_test(test_write_errors),
      cmocka_unit_test(test_store_fits),     cmocka_unit_test(test_read_written),
      cmocka_unit_test(test_write_grows),    cmocka_unit_test(test_crc32c_long),
  };
  for (int i = 0; i < NCASES; i++)
    tests[NNAMED + i] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif /* BPT_TEST_BUILDER_ONLY */
