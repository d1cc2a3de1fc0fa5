/* bpt_decode.h — the bytecode decoder as an inline function, private to the bundle
 * code (bpt.c defines bpt_decode with it; the verifier's pass over every instruction
 * inlines it for FORK, and reads the other opcodes' fixed-width operands where the
 * same letters put them: bpt_verify.c, op_shapes). One decoder: the verifier and the
 * interpreter must read the same instructions. */
#ifndef BPT_DECODE_H
#define BPT_DECODE_H

#include <string.h>

#include "bpt.h"

/* Bytes of one operand letter of opcodes.def (J: its count byte; the jumps follow). */
static inline uint32_t bpt_operand_width(char c) {
  switch (c) {
  case 'm':
  case 'n':
  case 'b':
  case 'J': return 1;
  case 'k':
  case 's':
  case 'r':
  case 'f':
  case 'g':
  case 'a':
  case 'p':
  case 't':
  case 'q': return 2;
  case 'z':
  case 'j': return 4;
  default: return 0; /* a letter this decoder does not know */
  }
}

static inline uint32_t bpt_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* from + rel as an absolute pc, or BPT_NO_PC when that is not a pc at all. */
static inline uint32_t bpt_jump_target(uint32_t from, uint32_t rel) {
  int64_t t = (int64_t)from + (rel <= INT32_MAX ? (int64_t)rel : -(int64_t)(uint32_t)~rel - 1);
  return t < 0 || t >= (int64_t)BPT_NO_PC ? BPT_NO_PC : (uint32_t)t;
}

/* bpt_decode, inlined where a loop over instructions calls it (the verifier's first
 * pass, for the instructions it decodes whole). */
static inline bool bpt_decode_inline(const uint8_t *code, uint32_t size, uint32_t pc, BptInsn *insn) {
  memset(insn, 0, sizeof *insn);
  if (pc >= size || code[pc] >= BPT_OP_COUNT) return false;
  insn->op = code[pc];
  uint32_t at = pc + 1;
  int jump = -1; /* which arg holds the relative jump until the size is known */
  for (const char *c = bpt_ops[insn->op].operands; *c; c++) {
    uint32_t w = bpt_operand_width(*c), v;
    if (w == 0 || size - at < w || insn->nargs == 4) return false;
    const uint8_t *q = code + at;
    v = w == 1 ? q[0] : w == 2 ? (uint32_t)(q[0] | (unsigned)q[1] << 8) : bpt_le32(q);
    at += w;
    if (*c == 'j') jump = insn->nargs;
    if (*c == 'J') {
      if ((size - at) / 4 < v) return false;
      insn->nbranches = (uint8_t)v;
      insn->branch = code + at;
      at += 4 * v;
    }
    insn->arg[insn->nargs++] = v;
  }
  insn->size = at - pc;
  if (jump >= 0) insn->arg[jump] = bpt_jump_target(at, insn->arg[jump]);
  return true;
}

#endif
