/* bpt_disasm.c — a readable listing of a bundle, like `luac -l -l`: per process its
 * header (slots, steps, states) and every instruction with its operands decoded, entry
 * points labelled, and the source line before the first instruction of each line.
 *
 * Meant for a verified bundle, but it does not trust one: every index is checked before
 * it is followed (a bad one prints as `?`), and a listing stops at an undecodable byte.
 * Output goes through the caller's print callback only, in pieces of at most a buffer. */
#include "bpt.h"
#include "bpt_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct Printer {
  BptPrintFn print;
  void *ud;
  size_t n;
  char buf[512];
} Printer;

static void flush(Printer *o) {
  if (o->n) o->print(o->ud, o->buf, o->n);
  o->n = 0;
}

static void out_bytes(Printer *o, const char *s, size_t n) {
  while (n > 0) {
    if (o->n == sizeof o->buf) flush(o);
    size_t k = sizeof o->buf - o->n;
    if (k > n) k = n;
    memcpy(o->buf + o->n, s, k);
    o->n += k, s += k, n -= k;
  }
}

static void outs(Printer *o, const char *s) { out_bytes(o, s, strlen(s)); }

static void outf(Printer *o, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) out_bytes(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Text from the bundle: control bytes escaped always (a crafted name must not drive
 * the terminal), and inside a literal also quotes, backslashes and braces, as `.bp`
 * writes them. */
static void out_text(Printer *o, const char *s, size_t len, bool literal) {
  size_t run = 0; /* bytes of s[run_start..i) waiting to be copied */
  const char *start = s;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char hex[8];
    if (c == '\n')
      esc = "\\n";
    else if (c == '\r')
      esc = "\\r";
    else if (c == '\t')
      esc = literal ? "\\t" : NULL;
    else if (c < 0x20 || c == 0x7F)
      snprintf(hex, sizeof hex, "\\x%02x", c), esc = hex;
    else if (literal && c == '"')
      esc = "\\\"";
    else if (literal && c == '\\')
      esc = "\\\\";
    else if (literal && c == '{')
      esc = "{{";
    else if (literal && c == '}')
      esc = "}}";
    if (!esc) {
      run++;
      continue;
    }
    out_bytes(o, start, run);
    outs(o, esc);
    start = s + i + 1, run = 0;
  }
  out_bytes(o, start, run);
}

static void out_name(Printer *o, const BptBundle *b, uint32_t z) {
  if (z < b->nstrings)
    out_text(o, b->strings[z].data, b->strings[z].len, false);
  else
    outs(o, "?");
}

static void out_quoted(Printer *o, const BptBundle *b, uint32_t z) {
  if (z >= b->nstrings) {
    outs(o, "?");
    return;
  }
  outs(o, "\"");
  out_text(o, b->strings[z].data, b->strings[z].len, true);
  outs(o, "\"");
}

/* ---- values as `.bp` literals -------------------------------------------------------- */

static uint64_t magnitude(int64_t v) { return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; }

static void out_decimal(Printer *o, int64_t unscaled, unsigned scale) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)magnitude(unscaled));
  if (unscaled < 0) outs(o, "-");
  if (scale == 0) {
    outs(o, digits);
    return;
  }
  for (int i = n; i <= (int)scale; i++) outs(o, "0"); /* at least one digit before the point */
  int whole = n - (int)scale;
  if (whole > 0) out_bytes(o, digits, (size_t)whole);
  outs(o, ".");
  out_bytes(o, digits + (whole > 0 ? whole : 0), (size_t)(n - (whole > 0 ? whole : 0)));
}

/* 3d, 4h30m, 2w; seconds too, though `.bp` cannot write them. */
static void out_duration(Printer *o, int64_t seconds) {
  static const struct {
    uint32_t secs;
    char unit;
  } units[] = {{604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  uint64_t u = magnitude(seconds);
  if (seconds < 0) outs(o, "-");
  if (u == 0) outs(o, "0m");
  for (unsigned i = 0; i < sizeof units / sizeof units[0]; i++) {
    uint64_t k = u / units[i].secs;
    if (k) outf(o, "%llu%c", (unsigned long long)k, units[i].unit);
    u %= units[i].secs;
  }
}

static void out_date(Printer *o, int64_t days) {
  char text[32];
  bpt_format_date(days, text, sizeof text);
  outs(o, text);
}

static void out_const(Printer *o, const BptBundle *b, uint32_t k, bool nested);

static void out_list(Printer *o, const BptBundle *b, const BptConst *c, bool nested) {
  outs(o, "[");
  for (uint32_t j = 0; j < c->nitems; j++) {
    if (j) outs(o, ", ");
    if (nested || c->items[j] >= b->nconsts)
      outs(o, "?"); /* items are never lists */
    else
      out_const(o, b, c->items[j], true);
  }
  outs(o, "]");
}

static void out_const(Printer *o, const BptBundle *b, uint32_t k, bool nested) {
  if (k >= b->nconsts) {
    outs(o, "?");
    return;
  }
  const BptConst *c = &b->consts[k];
  switch (c->type) {
  case BPT_T_INT: outf(o, "%lld", (long long)c->i); break;
  case BPT_T_DECIMAL: out_decimal(o, c->i, c->scale); break;
  case BPT_T_BOOL: outs(o, c->i ? "true" : "false"); break;
  case BPT_T_STRING: out_quoted(o, b, c->str); break;
  case BPT_T_USER: outs(o, "user("), out_quoted(o, b, c->str), outs(o, ")"); break;
  case BPT_T_DATE: outs(o, "date(\""), out_date(o, c->i), outs(o, "\")"); break;
  case BPT_T_DATETIME: {
    char text[48];
    bpt_format_datetime(c->i, text, sizeof text);
    outs(o, "datetime(\""), outs(o, text), outs(o, "\")");
    break;
  }
  case BPT_T_DURATION: out_duration(o, c->i); break;
  default:
    if (c->type & BPT_T_LIST)
      out_list(o, b, c, nested);
    else
      outs(o, "?");
  }
}

/* ---- names of the things operands refer to ------------------------------------------- */

static void out_slot(Printer *o, const BptBundle *b, const BptProcess *p, uint32_t s) {
  if (s < p->nslots && p->slots[s].name < b->nstrings && b->strings[p->slots[s].name].len)
    out_name(o, b, p->slots[s].name);
  else
    outf(o, "$%u", s); /* a hidden slot has no name */
}

static void out_field(Printer *o, const BptBundle *b, const BptProcess *p, uint32_t f) {
  if (p->doctype < b->ndoctypes && f < b->doctypes[p->doctype].nfields)
    out_name(o, b, b->doctypes[p->doctype].fields[f].name);
  else
    outf(o, "field %u", f);
}

static void out_state(Printer *o, const BptBundle *b, const BptProcess *p, uint32_t q) {
  if (q < p->nstates)
    out_name(o, b, p->states[q].name);
  else
    outf(o, "state %u", q);
}

static const char *step_kind_name(unsigned k) {
  switch (k) {
  case BPT_STEP_TASK: return "task";
  case BPT_STEP_APPROVE: return "approve";
  case BPT_STEP_REVIEW: return "review";
  case BPT_STEP_REQUEST: return "request";
  }
  return "?";
}

static const char *mode_name(unsigned m) {
  switch (m) {
  case BPT_MODE_ANY: return "any";
  case BPT_MODE_ALL: return "all";
  case BPT_MODE_MAJORITY: return "majority";
  case BPT_MODE_VOTE: return "vote";
  case BPT_MODE_BITRIX: return "bitrix";
  }
  return "?";
}

/* A step result's member m (bpt.h lists them), or NULL. */
static const char *member_name(unsigned record, unsigned m) {
  switch (record) {
  case BPT_T_TASK_RESULT:
    return m == 0   ? "completed_by"
           : m == 1 ? "completed_at"
           : m == 2 ? "comment"
           : m == 3 ? "timed_out"
                    : NULL;
  case BPT_T_APPROVE_RESULT:
    switch (m) {
    case 0: return "approved";
    case 1: return "approvals";
    case 2: return "rejections";
    case 3: return "total";
    case 4: return "percent";
    case 5: return "last";
    case 6: return "comment";
    case 7: return "comments";
    case 8: return "timed_out";
    }
    return NULL;
  case BPT_T_REVIEW_RESULT:
    return m == 0 ? "notes" : m == 1 ? "count" : m == 2 ? "timed_out" : NULL;
  case BPT_T_REQUEST_RESULT:
    return m == 0 ? "completed_by" : m == 1 ? "completed_at" : m == 2 ? "timed_out" : NULL;
  }
  return NULL;
}

static void out_pc(Printer *o, uint32_t pc) {
  if (pc == BPT_NO_PC)
    outs(o, "????");
  else
    outf(o, "%04u", pc);
}

/* ---- the process header -------------------------------------------------------------- */

static void out_trigger(Printer *o, const BptBundle *b, const BptProcess *p) {
  outs(o, "  trigger: ");
  outs(o, p->trigger == BPT_TRIG_CREATE   ? "on create"
          : p->trigger == BPT_TRIG_CHANGE ? "on change"
          : p->trigger == BPT_TRIG_TIMER  ? "on a schedule "
                                          : "manual");
  if (p->trigger == BPT_TRIG_TIMER) out_quoted(o, b, p->schedule);
  for (unsigned i = 0; i < p->ntrigger_fields; i++) {
    outs(o, i ? ", " : " ");
    out_field(o, b, p, p->trigger_fields[i]);
  }
  if (p->when_pc != BPT_NO_PC) outs(o, " when "), out_pc(o, p->when_pc);
  outf(o, "\n  code: %u bytes at %u, %u fork group%s\n", p->code_size, p->code_offset, p->ngroups,
       p->ngroups == 1 ? "" : "s");
}

static const char *slot_kind_name(unsigned k) {
  switch (k) {
  case BPT_SLOT_PARAM: return "param";
  case BPT_SLOT_VAR: return "var";
  case BPT_SLOT_RESULT: return "result";
  case BPT_SLOT_LOOPVAR: return "loop";
  case BPT_SLOT_HIDDEN: return "hidden";
  }
  return "?";
}

/* Characters of UTF-8 text (a Cyrillic name is half as wide as its bytes). */
static size_t text_width(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

/* How wide out_slot prints slot s (before escapes). */
static size_t slot_width(const BptBundle *b, const BptProcess *p, uint32_t s) {
  if (s < p->nslots && p->slots[s].name < b->nstrings && b->strings[p->slots[s].name].len)
    return text_width(b->strings[p->slots[s].name].data, b->strings[p->slots[s].name].len);
  char tmp[16];
  return (size_t)snprintf(tmp, sizeof tmp, "$%u", s);
}

static void out_slots(Printer *o, const BptBundle *b, const BptProcess *p) {
  size_t width = 0;
  for (unsigned i = 0; i < p->nslots; i++)
    if (slot_width(b, p, i) > width) width = slot_width(b, p, i);
  if (width > 24) width = 24;
  if (p->nslots) outs(o, "  slots:\n");
  for (unsigned i = 0; i < p->nslots; i++) {
    outf(o, "    %-3u ", i);
    out_slot(o, b, p, i);
    for (size_t w = slot_width(b, p, i); w < width; w++) outs(o, " ");
    outf(o, "  %-14s  %s\n", bpt_type_name(p->slots[i].type), slot_kind_name(p->slots[i].kind));
  }
  if (p->nparams) outs(o, "  params:\n");
  for (unsigned i = 0; i < p->nparams; i++) {
    outs(o, "    ");
    out_slot(o, b, p, p->params[i].slot);
    outs(o, " ");
    out_quoted(o, b, p->params[i].label);
    outs(o, p->params[i].required ? " required\n" : "\n");
  }
}

static void out_step(Printer *o, const BptBundle *b, const BptProcess *p, unsigned i) {
  const BptStep *s = &p->steps[i];
  outf(o, "    %-3u %s mode %s", i, step_kind_name(s->kind), mode_name(s->mode));
  if (s->flags & BPT_STEP_WAIT_ALL) outs(o, ", wait all");
  if (s->flags & BPT_STEP_HAS_DUE) outs(o, ", due");
  if (s->flags & BPT_STEP_TIMEOUT_TIMES) outs(o, ", timeout times");
  if (s->result != BPT_NONE16) outs(o, " -> "), out_slot(o, b, p, s->result);
  if (s->timeout_pc != BPT_NO_PC) outs(o, "  timeout "), out_pc(o, s->timeout_pc);
  for (unsigned j = 0; j < s->nreminds; j++) outs(o, "  remind "), out_pc(o, s->remind_pc[j]);
  for (unsigned j = 0; j < s->nafters; j++) {
    outs(o, "  after");
    if (s->after_flags[j] & BPT_AFTER_EVERY) outs(o, " every");
    if (s->after_flags[j] & BPT_AFTER_TIMES) outs(o, " times");
    outs(o, " "), out_pc(o, s->after_pc[j]);
  }
  if (s->node != BPT_NO_PC) outf(o, "  node %u", s->node);
  outs(o, "\n");
  for (unsigned j = 0; j < s->nfields; j++) {
    const BptReqField *f = &s->fields[j];
    outs(o, "          field ");
    out_name(o, b, f->name);
    outf(o, ": %s ", bpt_type_name(f->type));
    out_quoted(o, b, f->label);
    outs(o, " -> ");
    if (f->to_slot)
      out_slot(o, b, p, f->index);
    else
      out_field(o, b, p, f->index);
    outs(o, "\n");
  }
}

static void out_states(Printer *o, const BptBundle *b, const BptProcess *p) {
  if (p->nstates) outs(o, "  states:\n");
  for (unsigned i = 0; i < p->nstates; i++) {
    const BptState *s = &p->states[i];
    outf(o, "    %-3u ", i);
    out_name(o, b, s->name);
    outs(o, " ");
    out_quoted(o, b, s->label);
    if (s->final) outs(o, " final");
    if (s->enter_pc != BPT_NO_PC) outs(o, "  enter "), out_pc(o, s->enter_pc);
    outs(o, "\n");
    for (unsigned j = 0; j < s->ncommands; j++) {
      const BptCommand *c = &s->commands[j];
      outs(o, "          command ");
      out_name(o, b, c->name);
      outs(o, " ");
      out_quoted(o, b, c->label);
      if (c->by_pc != BPT_NO_PC) outs(o, " by "), out_pc(o, c->by_pc);
      if (c->target != BPT_NONE16) outs(o, " -> "), out_state(o, b, p, c->target);
      if (c->body_pc != BPT_NO_PC) outs(o, " body "), out_pc(o, c->body_pc);
      outs(o, "\n");
    }
  }
}

static void out_header(Printer *o, const BptBundle *b, const BptProcess *p) {
  outs(o, "process ");
  out_name(o, b, p->name);
  outs(o, " ");
  out_quoted(o, b, p->title);
  if (p->doctype < b->ndoctypes) outs(o, " on "), out_name(o, b, b->doctypes[p->doctype].name);
  outs(o, "\n");
  out_trigger(o, b, p);
  out_slots(o, b, p);
  if (p->nsteps) outs(o, "  steps:\n");
  for (unsigned i = 0; i < p->nsteps; i++) out_step(o, b, p, i);
  out_states(o, b, p);
}

/* ---- entry labels and source lines --------------------------------------------------- */

/* Labels every entry point that starts at pc; whether there was one. */
static bool out_labels(Printer *o, const BptBundle *b, const BptProcess *p, uint32_t pc) {
  bool any = false;
  if (p->entry_pc == pc) outs(o, "\nentry:\n"), any = true;
  if (p->when_pc == pc) outs(o, "\nwhen:\n"), any = true;
  for (unsigned i = 0; i < p->nsteps; i++) {
    const BptStep *s = &p->steps[i];
    if (s->timeout_pc == pc) outf(o, "\ntimeout of step %u:\n", i), any = true;
    for (unsigned j = 0; j < s->nreminds; j++)
      if (s->remind_pc[j] == pc) outf(o, "\nremind %u of step %u:\n", j, i), any = true;
    for (unsigned j = 0; j < s->nafters; j++)
      if (s->after_pc[j] == pc) outf(o, "\nafter %u of step %u:\n", j, i), any = true;
  }
  for (unsigned i = 0; i < p->nstates; i++) {
    const BptState *s = &p->states[i];
    if (s->enter_pc == pc) {
      outs(o, "\nenter of state ");
      out_state(o, b, p, i);
      outs(o, ":\n");
      any = true;
    }
    for (unsigned j = 0; j < s->ncommands; j++) {
      const BptCommand *c = &s->commands[j];
      if (c->by_pc != pc && c->body_pc != pc) continue;
      outs(o, c->by_pc == pc ? "\n`by` of command " : "\nbody of command ");
      out_name(o, b, c->name);
      outs(o, " (state ");
      out_state(o, b, p, i);
      outs(o, "):\n");
      any = true;
    }
  }
  return any;
}

/* Where line `n` (1-based) of the source starts; a cursor makes walking forward cheap. */
typedef struct Source {
  const char *text;
  size_t len;
  uint32_t line; /* the cursor: line `line` starts at `at` */
  size_t at;
} Source;

static bool find_line(Source *s, uint32_t n, const char **start, size_t *len) {
  if (!s->text || n == 0) return false;
  if (n < s->line) s->line = 1, s->at = 0;
  while (s->line < n) {
    const char *nl = memchr(s->text + s->at, '\n', s->len - s->at);
    if (!nl) return false;
    s->at = (size_t)(nl - s->text) + 1;
    s->line++;
  }
  const char *p = s->text + s->at, *end = memchr(p, '\n', s->len - s->at);
  if (!end) end = s->text + s->len;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) end--;
  *start = p;
  *len = (size_t)(end - p);
  return true;
}

static void out_line(Printer *o, Source *src, const BptLine *l) {
  const char *text;
  size_t len;
  if (find_line(src, l->line, &text, &len)) {
    outf(o, "  ; %u: ", l->line);
    out_text(o, text, len, false);
    outs(o, "\n");
  } else {
    outf(o, "  ; line %u, col %u\n", l->line, l->col);
  }
}

/* ---- instructions -------------------------------------------------------------------- */

/* record: the type of the slot the previous instruction loaded (for MEMBER's name). */
static void out_operand(Printer *o, const BptBundle *b, const BptProcess *p, const BptInsn *in,
                        uint32_t pc, char letter, uint32_t x, unsigned record) {
  switch (letter) {
  case 'k': out_const(o, b, x, false); break;
  case 'z': out_quoted(o, b, x); break;
  case 's': out_slot(o, b, p, x); break;
  case 'r':
    outs(o, "-> ");
    if (x == BPT_NONE16)
      outs(o, "(dropped)");
    else
      out_slot(o, b, p, x);
    break;
  case 'f': out_field(o, b, p, x); break;
  case 'j': outs(o, "-> "), out_pc(o, x); break;
  case 'g': outf(o, "group %u", x); break;
  case 'J':
    outs(o, "->");
    for (uint8_t i = 0; i < in->nbranches; i++)
      outs(o, i ? ", " : " "), out_pc(o, bpt_branch_target(in, pc, i));
    break;
  case 'a':
    if (x < b->nactions)
      out_name(o, b, b->actions[x].name);
    else
      outf(o, "action %u", x);
    break;
  case 'p':
    if (x < b->nprocesses)
      out_name(o, b, b->processes[x].name);
    else
      outf(o, "process %u", x);
    break;
  case 't':
    outf(o, "step %u", x);
    if (x < p->nsteps) outf(o, " (%s)", step_kind_name(p->steps[x].kind));
    break;
  case 'q': out_state(o, b, p, x); break;
  case 'b': outs(o, x < BPT_BI_COUNT ? bpt_builtins[x].name : "?"); break;
  case 'n':
    if (in->op == BPT_OP_FORK)
      outs(o, x ? "any" : "all");
    else
      outf(o, "%u", x);
    break;
  default: /* m */
    outf(o, "%u", x);
    if (member_name(record, x)) outf(o, " (%s)", member_name(record, x));
  }
}

static void out_insn(Printer *o, const BptBundle *b, const BptProcess *p, uint32_t pc,
                     const BptInsn *in, unsigned record) {
  const char *letters = bpt_ops[in->op].operands;
  if (in->nargs == 0) {
    outf(o, "  %04u  %s\n", pc, bpt_ops[in->op].name);
    return;
  }
  outf(o, "  %04u  %-13s", pc, bpt_ops[in->op].name);
  for (unsigned i = 0; i < in->nargs; i++) {
    bool arrow = letters[i] == 'j' || letters[i] == 'J' || letters[i] == 'r';
    outs(o, i == 0 ? "  " : arrow ? " " : ", ");
    out_operand(o, b, p, in, pc, letters[i], in->arg[i], record);
  }
  outs(o, "\n");
}

static void out_code(Printer *o, const BptBundle *b, const BptProcess *p, const char *source,
                     size_t source_len) {
  if ((uint64_t)p->code_offset + p->code_size > b->code_size) {
    outs(o, "  (code outside the CODE section)\n");
    return;
  }
  const uint8_t *code = b->code + p->code_offset;
  Source src = {source, source_len, 1, 0};
  uint64_t line = p->first_line, line_end = (uint64_t)p->first_line + p->nlines;
  if (line_end > b->nlines) line = line_end = 0;
  uint32_t shown = 0; /* the source line printed last, not repeated until a label */
  unsigned record = BPT_T_VOID;
  for (uint32_t pc = 0; pc < p->code_size;) {
    BptInsn in;
    if (out_labels(o, b, p, pc)) shown = 0, record = BPT_T_VOID;
    for (; line < line_end && b->lines[line].pc <= pc; line++)
      if (b->lines[line].line != shown)
        out_line(o, &src, &b->lines[line]), shown = b->lines[line].line;
    if (!bpt_decode(code, p->code_size, pc, &in)) {
      outf(o, "  %04u  ?? byte 0x%02x: not an instruction (the listing stops)\n", pc, code[pc]);
      return;
    }
    out_insn(o, b, p, pc, &in, record);
    record = in.op == BPT_OP_LOAD && in.arg[0] < p->nslots ? p->slots[in.arg[0]].type : BPT_T_VOID;
    pc += in.size;
  }
}

void bpt_disasm(const BptBundle *b, const char *source, size_t source_len, BptPrintFn print,
                void *ud) {
  Printer o = {.print = print, .ud = ud};
  outf(&o,
       "; bundle: %u process%s, %u document type%s, %u action%s, %u constants, %u strings, "
       "%u bytes of code\n",
       b->nprocesses, b->nprocesses == 1 ? "" : "es", b->ndoctypes, b->ndoctypes == 1 ? "" : "s",
       b->nactions, b->nactions == 1 ? "" : "s", b->nconsts, b->nstrings, b->code_size);
  if (b->source_file && b->source_file < b->nstrings) {
    outs(&o, "; source: ");
    out_name(&o, b, b->source_file);
    if (b->source_known) outf(&o, " (%u bytes, CRC-32C 0x%08x)", b->source_size, b->source_crc);
    outs(&o, "\n");
  }
  /* Only the text the bundle was compiled from: a bundle names any file it likes
   * (/etc/passwd), and another file's lines would be shown as if they were code. */
  if (source && !bpt_source_matches(b, source, source_len)) {
    outs(&o, b->source_known ? "; (the file there is not this source: its lines are not shown)\n"
                             : "; (the bundle records no checksum of its source: lines not shown)\n");
    source = NULL;
    source_len = 0;
  }
  for (uint32_t i = 0; i < b->nprocesses; i++) {
    outs(&o, "\n");
    out_header(&o, b, &b->processes[i]);
    out_code(&o, b, &b->processes[i], source, source_len);
  }
  flush(&o);
}
