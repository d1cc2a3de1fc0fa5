/* bpmnw_expr.c — expressions as people read them, for the texts of exported
 * BPMN (conditions, timers, assignees). bpc itself reads bpc:ir, never these. */
#include <inttypes.h>
#include <string.h>

#include "bpmnw_int.h"

void bpmnw_iso_duration(StrBuf *b, int64_t s) {
  if (s < 0) s = 0;
  int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
  sb_putc(b, 'P');
  if (d) sb_printf(b, "%" PRId64 "D", d);
  if (h || m || sec || !d) {
    sb_putc(b, 'T');
    if (h) sb_printf(b, "%" PRId64 "H", h);
    if (m) sb_printf(b, "%" PRId64 "M", m);
    if (sec || (!h && !m)) sb_printf(b, "%" PRId64 "S", sec);
  }
}

static const char *const ops[] = {" + ", " - ", " * ", " / ", " % ", " == ", " != ",
                                  " < ", " <= ", " > ", " >= ", " && ", " || ", " in "};

static void quoted(StrBuf *b, const char *s, uint32_t len) {
  sb_putc(b, '\'');
  for (uint32_t i = 0; i < len; i++) {
    if (s[i] == '\'' || s[i] == '\\') sb_putc(b, '\\');
    sb_putc(b, s[i]);
  }
  sb_putc(b, '\'');
}

static void expr(StrBuf *b, const IrProgram *ir, const IrProc *p, const IrExpr *e, bool inner);

static void list(StrBuf *b, const IrProgram *ir, const IrProc *p, IrExpr *const *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (i) sb_puts(b, ", ");
    expr(b, ir, p, v[i], false);
  }
}

static void expr(StrBuf *b, const IrProgram *ir, const IrProc *p, const IrExpr *e, bool inner) {
  if (!e) return;
  switch (e->kind) {
  case IR_X_INT: sb_printf(b, "%" PRId64, e->u.i); break;
  case IR_X_DECIMAL: {
    int64_t u = e->u.dec.unscaled, pow = 1;
    for (unsigned i = 0; i < e->u.dec.scale && i < 18; i++) pow *= 10;
    if (u < 0) sb_putc(b, '-');
    uint64_t a = u < 0 ? (uint64_t)0 - (uint64_t)u : (uint64_t)u;
    sb_printf(b, "%" PRIu64, a / (uint64_t)pow);
    if (e->u.dec.scale) sb_printf(b, ".%0*" PRIu64, (int)e->u.dec.scale, a % (uint64_t)pow);
    break;
  }
  case IR_X_BOOL: sb_puts(b, e->u.i ? "true" : "false"); break;
  case IR_X_DURATION: sb_putc(b, '\''), bpmnw_iso_duration(b, e->u.i), sb_putc(b, '\''); break;
  case IR_X_STRING: quoted(b, e->u.str.s, e->u.str.len); break;
  case IR_X_TEXT:
    if (inner) sb_putc(b, '(');
    for (uint32_t i = 0; i < e->u.list.n; i++) {
      if (i) sb_puts(b, " += ");
      expr(b, ir, p, e->u.list.items[i], true);
    }
    if (inner) sb_putc(b, ')');
    break;
  case IR_X_LIST: sb_putc(b, '['), list(b, ir, p, e->u.list.items, e->u.list.n), sb_putc(b, ']'); break;
  case IR_X_SLOT: {
    const IrSlot *s = p && e->u.index < p->slots.n ? ir_slot_at(p, e->u.index) : NULL;
    sb_puts(b, s && s->name ? s->name : "?");
    break;
  }
  case IR_X_FIELD: {
    const IrDoc *d = p && p->doc >= 0 && (uint32_t)p->doc < ir->ndocs ? &ir->docs[p->doc] : NULL;
    sb_puts(b, d && e->u.index < d->nfields ? d->fields[e->u.index].name : "?");
    break;
  }
  case IR_X_MEMBER: {
    const Type *rec = e->u.member.obj ? e->u.member.obj->type : NULL;
    expr(b, ir, p, e->u.member.obj, true);
    sb_putc(b, '.');
    sb_puts(b, rec && rec->kind == T_RECORD && e->u.member.index < rec->nfields ? rec->fields[e->u.member.index].name : "?");
    break;
  }
  case IR_X_CALL:
    sb_printf(b, "%s(", e->u.call.fn);
    list(b, ir, p, e->u.call.args, e->nargs);
    sb_putc(b, ')');
    break;
  case IR_X_UNARY:
    sb_puts(b, e->u.unary.op == IR_OP_NEG ? "-" : "not ");
    expr(b, ir, p, e->u.unary.operand, true);
    break;
  case IR_X_BINARY:
    if (inner) sb_putc(b, '(');
    expr(b, ir, p, e->u.binary.lhs, true);
    sb_puts(b, e->op < sizeof ops / sizeof ops[0] ? ops[e->op] : " ? ");
    expr(b, ir, p, e->u.binary.rhs, true);
    if (inner) sb_putc(b, ')');
    break;
  case IR_X_COND:
    if (inner) sb_putc(b, '(');
    expr(b, ir, p, e->u.cond->cond, true);
    sb_puts(b, " ? ");
    expr(b, ir, p, e->u.cond->then, true);
    sb_puts(b, " : ");
    expr(b, ir, p, e->u.cond->otherwise, true);
    if (inner) sb_putc(b, ')');
    break;
  case IR_X_AS: expr(b, ir, p, e->u.unary.operand, inner); break;
  default: sb_putc(b, '?'); break;
  }
}

void bpmnw_expr(StrBuf *b, const IrProgram *ir, const IrProc *p, const IrExpr *e) {
  sb_puts(b, "${");
  expr(b, ir, p, e, false);
  sb_putc(b, '}');
}

void bpmnw_expr_bare(StrBuf *b, const IrProgram *ir, const IrProc *p, const IrExpr *e) {
  expr(b, ir, p, e, true);
}
