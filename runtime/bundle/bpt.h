/* bpt.h — the `.bpt` bundle: its binary format, its in-memory form, and the one module
 * (bpt.c, bpt_verify.c) that reads, writes and verifies it.
 *
 * The compiler builds a BptBundle and calls bpt_write; the runtime calls bpt_read, then
 * bpt_verify, and trusts the bundle only after both succeed. Reading then writing gives
 * the same bytes. This header is the only runtime header the compiler includes.
 *
 * Layout (all integers little-endian, no padding, no pointers, no timestamps):
 *
 *   header, 24 bytes
 *     u8[4] magic "BPT\x1A"    u16 major  u16 minor   u32 size (whole bundle)
 *     u32 crc   CRC-32C of bytes [24, size)           u32 nsections   u32 flags (0)
 *   section table: nsections x { u32 id, u32 offset, u32 size }, ids strictly increasing,
 *     sections in that order, contiguous after the table, exactly filling the bundle
 *   sections (BPT_SEC_*), each described at its struct below. A string is a u32 index
 *     into the string table; index 0 is always "" and means "none". A pc is a byte offset
 *     into the process's code; BPT_NO_PC means none.
 * docs/bundle-format.md describes the same in prose. */
#ifndef BPT_H
#define BPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPT_MAGIC "BPT\x1A"
#define BPT_MAJOR 3
#define BPT_MINOR 2 /* 3.1: the step flag `on timeout times`, the built-ins open_items and open_users; 3.2: SPAWN */
#define BPT_HEADER_SIZE 24u
#define BPT_NO_PC 0xFFFFFFFFu
#define BPT_NONE16 0xFFFFu
#define BPT_VAR (-1) /* a stack effect computed from the operands */
#define BPT_STACK_MAX 64 /* bpt_verify refuses code whose operand stack could grow deeper */

enum { BPT_F_JUMP = 1, BPT_F_COND = 2, BPT_F_END = 4, BPT_F_WAIT = 8, BPT_F_EFFECT = 16, BPT_F_RESULT = 32 };

/* Every switch over BptOp lists every opcode and has no `default:`, so that -Wswitch names
 * each place to update when an instruction is added (the count is not an enumerator for
 * the same reason). */
typedef enum BptOp {
#define OP(name, operands, pops, pushes, flags) BPT_OP_##name,
#include "opcodes.def"
#undef OP
} BptOp;
enum {
  BPT_OP_COUNT = 0
#define OP(name, operands, pops, pushes, flags) +1
#include "opcodes.def"
#undef OP
};

/* The tables hold arrays, not pointers: with no relocations they stay in read-only
 * memory even in position-independent code (nm shows R, never D). */
typedef struct BptOpInfo {
  char name[16];        /* "JUMP_IF_FALSE" */
  char operands[8];     /* see opcodes.def */
  int pops, pushes;     /* BPT_VAR: see bpt_stack_effect */
  unsigned flags;
} BptOpInfo;
extern const BptOpInfo bpt_ops[BPT_OP_COUNT];

typedef enum BptBuiltin {
#define BUILTIN(id, name, nargs) BPT_BI_##id,
#include "builtins.def"
#undef BUILTIN
  BPT_BI_COUNT
} BptBuiltin;
typedef struct BptBuiltinInfo {
  char name[16];
  int nargs;
} BptBuiltinInfo;
extern const BptBuiltinInfo bpt_builtins[BPT_BI_COUNT];

/* Value types (u8). A list type is BPT_T_LIST | element type (STRING..USER, or VOID for
 * the empty list `[]` whose element type is not known). bpt_type_valid: one of these
 * codes. Each use is checked too: constants, document fields, action and request fields
 * hold a scalar or a list; an action's result may also be VOID; a slot may also hold a
 * result record, and a HIDDEN slot may be VOID (untyped). */
typedef enum BptType {
  BPT_T_VOID = 0, BPT_T_STRING, BPT_T_INT, BPT_T_DECIMAL, BPT_T_BOOL, BPT_T_DATE,
  BPT_T_DATETIME, BPT_T_DURATION, BPT_T_USER,
  BPT_T_TASK_RESULT = 0x20, BPT_T_APPROVE_RESULT, BPT_T_REVIEW_RESULT, BPT_T_REQUEST_RESULT,
  BPT_T_LIST = 0x80 /* | element; BPT_T_LIST | BPT_T_USER is `users` */
} BptType;
bool bpt_type_valid(unsigned type);
/* A type code as the disassembler and the loader's messages write it: "int", "users",
 * "[date]", "approve_result", "[]" (the empty list), "?" (no valid type). */
const char *bpt_type_name(unsigned type);
/* The members of the step results, by MEMBER's index m (the order of the compiler's
 * record types; the interpreter builds the records in this order):
 *   TASK_RESULT     0 completed_by  1 completed_at  2 comment  3 timed_out
 *   APPROVE_RESULT  0 approved  1 approvals  2 rejections  3 total  4 percent  5 last
 *                   6 comment  7 comments  8 timed_out
 *   REVIEW_RESULT   0 notes  1 count  2 timed_out
 *   REQUEST_RESULT  0 completed_by  1 completed_at  2 timed_out
 * The verifier checks m < 9; MEMBER on a smaller record fails the instance at run time. */

typedef enum BptSection {
  BPT_SEC_STRINGS = 1, BPT_SEC_CONSTS, BPT_SEC_DOCTYPES, BPT_SEC_ACTIONS, BPT_SEC_PROCESSES,
  BPT_SEC_CODE, BPT_SEC_LINES, BPT_SEC_GRAPH,
  BPT_SEC_COUNT = 8
} BptSection;

/* STRINGS: u32 count, then count x { u32 len, len bytes of UTF-8 }; [0] is "". */
typedef struct BptString {
  const char *data; /* not NUL-terminated in the file; bpt_read adds a NUL */
  uint32_t len;
} BptString;

/* CONSTS: u32 count, then count x { u8 type, payload }:
 *   INT i64 | DECIMAL i64 unscaled, u8 scale (<= 18) | BOOL u8 (0/1) | STRING, USER u32 z |
 *   DATE i32 days since 1970-01-01 | DATETIME i64 minutes since 1970-01-01T00:00 |
 *   DURATION i64 seconds | LIST|elem: u32 n, n x u32 index of an EARLIER constant of
 *   type elem (not itself a list). LIST|VOID is the empty list `[]` (n = 0). */
typedef struct BptConst {
  uint8_t type;
  int64_t i;      /* INT, DECIMAL unscaled, BOOL, DATE, DATETIME, DURATION */
  uint8_t scale;  /* DECIMAL */
  uint32_t str;   /* STRING, USER */
  uint32_t *items; /* LIST */
  uint32_t nitems;
} BptConst;

/* DOCTYPES: u32 count, then { u32 name z, u32 nfields, nfields x { u32 name z, u8 type,
 *   u16 default const (BPT_NONE16: none) } } */
typedef struct BptField {
  uint32_t name;
  uint8_t type;
  uint16_t def;
} BptField;
typedef struct BptDoctype {
  uint32_t name;
  BptField *fields;
  uint32_t nfields;
} BptDoctype;

/* ACTIONS: u32 count, then { u32 name z, u8 result type (VOID: none), u8 nparams,
 *   nparams x { u32 name z, u8 type } } */
typedef struct BptParamType {
  uint32_t name;
  uint8_t type;
} BptParamType;
typedef struct BptAction {
  uint32_t name;
  uint8_t result;
  BptParamType *params;
  uint8_t nparams;
} BptAction;

/* Local slots of a process: u32 name z, u8 type, u8 kind. */
typedef enum BptSlotKind {
  BPT_SLOT_PARAM, BPT_SLOT_VAR, BPT_SLOT_RESULT, BPT_SLOT_LOOPVAR, BPT_SLOT_HIDDEN
} BptSlotKind;
typedef struct BptSlot {
  uint32_t name;
  uint8_t type;
  uint8_t kind;
} BptSlot;

/* Parameters: u16 slot, u32 label z, u8 required (no default). */
typedef struct BptParam {
  uint16_t slot;
  uint32_t label;
  uint8_t required;
} BptParam;

typedef enum BptStepKind { BPT_STEP_TASK, BPT_STEP_APPROVE, BPT_STEP_REVIEW, BPT_STEP_REQUEST } BptStepKind;
/* BPT_MODE_BITRIX: Bitrix24's vote (ApproveActivity, ApproveType vote), its percent
 * the ApproveMinPercent M, decided by Bitrix's own arithmetic (rt_step.c). */
typedef enum BptMode { BPT_MODE_ANY, BPT_MODE_ALL, BPT_MODE_MAJORITY, BPT_MODE_VOTE, BPT_MODE_BITRIX } BptMode;
/* Does the mode take a percentage (STEP pops it)? */
#define BPT_MODE_HAS_PERCENT(m) ((m) == BPT_MODE_VOTE || (m) == BPT_MODE_BITRIX)
/* BPT_STEP_TIMEOUT_TIMES: `on timeout times N`: STEP pops N (an int) after the reminders'
 * durations (it is pushed right after the due time). */
enum { BPT_STEP_WAIT_ALL = 1, BPT_STEP_HAS_DUE = 2, BPT_STEP_TIMEOUT_TIMES = 4 };
/* An `after` handler's flags: it repeats (`every`), and a bound on its runs (`times`). */
enum { BPT_AFTER_EVERY = 1, BPT_AFTER_TIMES = 2 };

/* A request's field: where the answer is stored. */
typedef struct BptReqField {
  uint32_t name, label;
  uint8_t type;
  uint8_t to_slot; /* 0: document field `index`; 1: local slot `index` */
  uint16_t index;
} BptReqField;

/* Human-step descriptors: u8 kind, u8 mode, u8 flags, u8 nreminds, u16 result slot
 * (BPT_NONE16: none), u32 timeout pc (BPT_NO_PC: none), nreminds x u32 remind pc,
 * u16 nfields, nfields x { u32 name z, u32 label z, u8 type, u8 to_slot, u16 index },
 * u32 graph node (BPT_NO_PC: none), u8 nafters, nafters x { u8 flags (BPT_AFTER_*),
 * u32 pc } (format 3: `after` handlers, which run a while after the step opened).
 * The STEP instruction pops, pushed in this order: who (users), title (string),
 * [vote percent (int) if mode is VOTE], [due (duration, date or datetime) if HAS_DUE],
 * then one duration per reminder (how long before due), then per `after` handler: its
 * delay (duration), [its period (duration) if EVERY], [its most runs (int) if TIMES].
 * Handlers start with an empty stack and end with HANDLER_END (an `after` handler may
 * also end with END: it is a token of its own). */
typedef struct BptStep {
  uint8_t kind, mode, flags, nreminds;
  uint16_t result;
  uint32_t timeout_pc;
  uint32_t *remind_pc;
  BptReqField *fields;
  uint16_t nfields;
  uint32_t node;
  uint8_t nafters;
  uint8_t *after_flags; /* BPT_AFTER_* */
  uint32_t *after_pc;
} BptStep;

/* Commands: u32 name z, u32 label z, u32 by pc (an expression fragment ending in RESULT
 * with a users value; BPT_NO_PC: anyone), u16 target state (BPT_NONE16 when it has a
 * body), u32 body pc (BPT_NO_PC when it has a target). */
typedef struct BptCommand {
  uint32_t name, label;
  uint32_t by_pc;
  uint16_t target;
  uint32_t body_pc;
} BptCommand;

/* States: u32 name z, u32 label z, u8 final, u32 enter pc, u16 ncommands, commands. */
typedef struct BptState {
  uint32_t name, label;
  uint8_t final;
  uint32_t enter_pc;
  BptCommand *commands;
  uint16_t ncommands;
} BptState;

/* TIMER (format 3): the host starts the process on a schedule, the process's `schedule`
 * string (ISO 8601 of a BPMN timer start event); the runtime starts nothing by itself. */
typedef enum BptTrigger { BPT_TRIG_MANUAL, BPT_TRIG_CREATE, BPT_TRIG_CHANGE, BPT_TRIG_TIMER } BptTrigger;

/* PROCESSES: u32 count, then per process:
 *   u32 name z, u32 title z, u16 doctype (BPT_NONE16: none),
 *   u8 trigger, u8 ntrigger_fields, ntrigger_fields x u16 field, u32 when pc,
 *   u32 code offset, u32 code size (a range of the CODE section),
 *   u32 entry pc (the start: parameter defaults, var initializers, then the body),
 *   u16 ngroups (fork groups used by FORK/JOIN), u16 nslots, slots, u16 nparams, params, u16 nsteps, steps, u16 nstates, states
 *   (0 for a sequential process; the first is the initial one; entry jumps there with
 *   GOTO), u32 first line, u32 nlines (a range of LINES),
 *   u32 first node, u32 nnodes, u32 first edge, u32 nedges (ranges of GRAPH),
 *   u32 schedule z (format 3: a TIMER trigger's ISO 8601 text, "" for the others). */
typedef struct BptProcess {
  uint32_t name, title;
  uint16_t doctype;
  uint8_t trigger;
  uint16_t *trigger_fields;
  uint8_t ntrigger_fields;
  uint32_t when_pc;
  uint32_t code_offset, code_size;
  uint32_t entry_pc;
  uint16_t ngroups;
  BptSlot *slots;
  uint16_t nslots;
  BptParam *params;
  uint16_t nparams;
  BptStep *steps;
  uint16_t nsteps;
  BptState *states;
  uint16_t nstates;
  uint32_t first_line, nlines;
  uint32_t first_node, nnodes, first_edge, nedges;
  uint32_t schedule;
} BptProcess;

/* CODE: the bytecode of every process, as raw bytes (no count: the section's size is
 * code_size); each process owns the range code offset .. code offset + code size.
 *
 * LINES: u32 file z (the source file), u32 source size, u32 source crc (CRC-32C of the
 * file's bytes; both 0 when there is no file; new in format 2), u32 count,
 * count x { u32 pc, u32 line, u32 col }:
 * per process (its range), pcs non-decreasing (several entries may share a pc) and inside
 * the process's code; an instruction's position is that of the last entry at or before
 * its pc. */
typedef struct BptLine {
  uint32_t pc, line, col;
} BptLine;

/* GRAPH: the IR for diagrams and traces. u32 nnodes, nodes x { u8 kind, u32 id z (the
 * id in the source: a BPMN id, or one made from the line), u32 title z, u32 detail z
 * (e.g. "approve · voters · vote 60%"), u32 line, u32 col, u32 cluster (index of the
 * node this one is drawn inside: a parallel branch, a state; BPT_NO_PC: none) },
 * u32 nedges, edges x { u32 from, u32 to, u8 kind, u32 label z }. Node and edge indices
 * are global to the section; a process owns a contiguous range of each. */
typedef enum BptNodeKind {
  BPT_N_START, BPT_N_END, BPT_N_TERMINATE,
  BPT_N_TASK, BPT_N_APPROVE, BPT_N_REVIEW, BPT_N_REQUEST,
  BPT_N_ACTION, BPT_N_NOTIFY, BPT_N_LOG, BPT_N_ASSIGN, BPT_N_START_PROCESS,
  BPT_N_TIMER,        /* wait, wait until */
  BPT_N_CHOICE,       /* exclusive choice (if, while, for) */
  BPT_N_MERGE,        /* exclusive merge */
  BPT_N_FORK, BPT_N_JOIN, /* parallel split and join */
  BPT_N_RACE, BPT_N_RACE_JOIN, /* first-wins split and its join */
  BPT_N_EVENT_WAIT,   /* waits for whichever event comes first (BPMN event gateway) */
  BPT_N_STATE,        /* a status */
  BPT_N_BRANCH,       /* a cluster: a parallel branch */
  BPT_N_KIND_COUNT
} BptNodeKind;
typedef enum BptEdgeKind {
  BPT_E_FLOW,      /* normal sequence */
  BPT_E_COND,      /* taken when its label's condition holds */
  BPT_E_ELSE,      /* the default branch of a choice */
  BPT_E_LOOP,      /* a back edge */
  BPT_E_TIMER,     /* due, remind, timeout (drawn dashed) */
  BPT_E_COMMAND,   /* a state machine command: label "command · by whom" */
  BPT_E_GOTO,      /* goto between states */
  BPT_E_KIND_COUNT
} BptEdgeKind;
typedef struct BptNode {
  uint8_t kind;
  uint32_t id, title, detail, line, col, cluster;
} BptNode;
typedef struct BptEdge {
  uint32_t from, to;
  uint8_t kind;
  uint32_t label;
} BptEdge;

/* A whole bundle in memory. bpt_read allocates everything with the given allocator in
 * one block list; bpt_free releases it. */
typedef struct BptBundle {
  BptString *strings;
  uint32_t nstrings;
  BptConst *consts;
  uint32_t nconsts;
  BptDoctype *doctypes;
  uint32_t ndoctypes;
  BptAction *actions;
  uint32_t nactions;
  BptProcess *processes;
  uint32_t nprocesses;
  uint8_t *code;
  uint32_t code_size;
  uint32_t source_file; /* z: the file the LINES refer to */
  uint32_t source_size, source_crc; /* of that file's bytes, to know it again */
  bool source_known;    /* false: no source file */
  BptLine *lines;
  uint32_t nlines;
  BptNode *nodes;
  uint32_t nnodes;
  BptEdge *edges;
  uint32_t nedges;
  uint32_t crc; /* of the bytes it was read from, or last written */
  void *mem;    /* bpt_read's allocations */
} BptBundle;

/* realloc-style allocator: (ud, ptr, old size, new size); new size 0 frees. */
typedef void *(*BptAllocFn)(void *ud, void *ptr, size_t old_size, size_t new_size);

/* An error message buffer: functions that fail write one line here. */
typedef struct BptError {
  char message[256];
} BptError;

uint32_t bpt_crc32c(uint32_t crc, const void *data, size_t len);
/* Whether this CPU has an instruction for CRC-32C (x86-64's SSE 4.2 crc32): slow to ask in a
 * virtual machine, so ask once and keep the answer. */
bool bpt_crc32c_insn(void);
/* bpt_crc32c, with that instruction when insn (which must be bpt_crc32c_insn()'s answer)
 * at every length: the same CRC. For many short inputs, which bpt_crc32c checksums a byte
 * table at a time. */
uint32_t bpt_crc32c_with(bool insn, uint32_t crc, const void *data, size_t len);

/* Serializes b (its crc is set). *out is allocated with alloc, exactly *out_len bytes
 * (free it with alloc(ud, *out, *out_len, 0)).
 * Returns false with a message when out of memory, when the bundle would exceed 4 GiB,
 * or when a constant's type has no encoding; it checks nothing else (bpt_verify does). */
bool bpt_write(BptBundle *b, BptAllocFn alloc, void *ud, uint8_t **out, size_t *out_len,
               BptError *err);
/* What a file that is not a bundle is, when its first bytes say so: Bitrix24 exports its
 * business process templates with the same extension `.bpt` (zlib data starting 0x78, or
 * PHP serialize data `a:N:{`). Returns a phrase ("a Bitrix24 template export (zlib
 * data)"), or NULL for anything else, a bundle included. bpt_read uses it in its
 * message; a tool can ask first and say it in its own words. */
const char *bpt_foreign_format(const uint8_t *bytes, size_t len);

/* Whether text is the source the bundle was compiled from (its recorded size and CRC). */
bool bpt_source_matches(const BptBundle *b, const char *text, size_t len);

/* Parses bytes: magic, version (any minor of BPT_MAJOR), size, checksum, section table
 * and every section's bounds and counts, and what needs no cross-reference: UTF-8 and
 * string[0] == "", type codes, string indices, constant list references, code ranges.
 * Does not look inside the code: that is bpt_verify's job. On failure *out is empty. */
bool bpt_read(const uint8_t *bytes, size_t len, BptAllocFn alloc, void *ud, BptBundle *out,
              BptError *err);
/* bpt_read of the bytes bpt_write has just made in this process (the compiler's
 * self-check): everything but the checksum, which bpt_write computed over these bytes. */
bool bpt_read_written(const uint8_t *bytes, size_t len, BptAllocFn alloc, void *ud, BptBundle *out,
                      BptError *err);
void bpt_free(BptBundle *b, BptAllocFn alloc, void *ud);
/* Checks everything the interpreter relies on: every index (strings, constants, types,
 * slots, fields, actions, processes, steps, states, builtins, nodes, lines), every
 * instruction and operand, jump targets on instruction boundaries inside the process's
 * code, handler and fragment entry points, a consistent stack depth at every join, an
 * empty stack after every waiting instruction, and every path ending in an END-flagged
 * instruction. Returns false with the first problem found ("process `x`, pc 42: ...").
 * Works on any BptBundle (read, or built by the compiler); its scratch memory (a few
 * bytes per byte of the largest process's code) comes from alloc and is freed before it
 * returns. */
bool bpt_verify(const BptBundle *b, BptAllocFn alloc, void *ud, BptError *err);

/* Decoding help for the verifier, the disassembler and the interpreter. */
typedef struct BptInsn {
  uint8_t op;
  uint32_t size;         /* bytes, including the opcode */
  uint32_t arg[4];       /* operands in order (jumps: the absolute target pc, BPT_NO_PC
                            if it is below 0 or above 0xFFFFFFFE; FORK: g, any, count) */
  uint8_t nargs;
  uint8_t nbranches;     /* FORK: the branch targets are in branch[] */
  const uint8_t *branch; /* FORK: nbranches x i32, relative to the end of the instruction */
} BptInsn;
/* Decodes the instruction at pc of code[0..size); false if it is cut off or unknown. */
bool bpt_decode(const uint8_t *code, uint32_t size, uint32_t pc, BptInsn *insn);
/* The FORK instruction's i-th absolute target. */
uint32_t bpt_branch_target(const BptInsn *insn, uint32_t pc, uint8_t i);
/* Stack effect of a decoded instruction of process p (STEP reads its descriptor; a step
 * index out of range gives 0). AND_ELSE and OR_ELSE give 1/1, their jump path; when they
 * fall through they pop the value (1/0). */
void bpt_stack_effect(const BptProcess *p, const BptInsn *insn, int *pops, int *pushes);

/* Writes a human-readable listing of the bundle (every process's instructions, with the
 * source lines when `source` is given and bpt_source_matches it: the text of the file
 * named by source_file; another text is not shown, and the listing says so). Meant
 * for a verified bundle; on another, a bad index prints as `?` rather than crashing. */
typedef void (*BptPrintFn)(void *ud, const char *text, size_t len);
void bpt_disasm(const BptBundle *b, const char *source, size_t source_len, BptPrintFn print,
                void *ud);

#endif
