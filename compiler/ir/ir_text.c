/* ir_text.c — the textual form of IR payloads (ir_text.h): a writer and a
 * checking reader, kept side by side so the two never drift apart. */
#include "ir_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- s-expressions ------------------------------------------------------------ */

enum { SX_MAX_DEPTH = 64 };

typedef struct SxReader {
  Arena *a;
  const char *p;
  const char *err;
} SxReader;

static void sx_blank(SxReader *r) {
  while (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r') r->p++;
}

static bool atom_char(char c) {
  return c && c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != '(' && c != ')' &&
         c != '"';
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static IrSx *sx_new(SxReader *r, IrSxKind kind) {
  IrSx *x = arena_alloc(r->a, sizeof *x); /* zeroed */
  x->kind = kind;
  return x;
}

/* An atom or a string with no escape: the node and a copy of its len bytes
 * in one allocation (most are a few bytes: `slot`, `0`, "Expert"). */
static IrSx *sx_text(SxReader *r, IrSxKind kind, const char *start, size_t len) {
  IrSx *x = arena_alloc(r->a, sizeof *x + len + 1); /* zeroed: the copy's NUL too */
  char *s = (char *)(x + 1);
  memcpy(s, start, len);
  x->kind = kind;
  x->s = s;
  x->len = (uint32_t)len;
  return x;
}

/* "..." with \\ \" \n \t \xHH. One pass finds the closing quote (and the first
 * fault, in reading order), a second decodes straight into the arena: the
 * text is never longer than its spelling, and most strings have no escape. */
static IrSx *sx_string(SxReader *r) {
  /* the bytes that end a run of plain text in a string */
  static const bool stop[256] = {[0] = true, ['"'] = true, ['\\'] = true};
  const char *start = ++r->p, *q = start;
  bool escapes = false;
  for (;; q++) {
    while (!stop[(unsigned char)*q]) q++;
    if (*q == '"') break;
    if (!*q) {
      r->err = "a string is not closed";
      return NULL;
    }
    char e = q[1]; /* *q is a backslash */
    escapes = true;
    if (e == 'n' || e == 't' || e == '\\' || e == '"') {
      q++;
    } else if (e == 'x' && hex_digit(q[2]) >= 0 && hex_digit(q[3]) >= 0) {
      q += 3;
    } else {
      r->err = "a string has an unknown escape";
      return NULL;
    }
  }
  r->p = q + 1;
  if (!escapes) return sx_text(r, IR_SX_STRING, start, (size_t)(q - start));
  IrSx *x = sx_new(r, IR_SX_STRING);
  char *out = arena_alloc(r->a, (size_t)(q - start) + 1), *o = out;
  for (const char *p = start; p < q; p++) {
    char c = *p;
    if (c == '\\') {
      char e = *++p;
      if (e == 'n') c = '\n';
      else if (e == 't') c = '\t';
      else if (e == 'x') {
        c = (char)(hex_digit(p[1]) * 16 + hex_digit(p[2]));
        p += 2;
      } else c = e; /* \\ or \" */
    }
    *o++ = c;
  }
  *o = '\0';
  x->len = (uint32_t)(o - out);
  x->s = out;
  return x;
}

/* A list's items are gathered on the stack (on the heap past 16) and copied
 * once into the arena at its `)`. */
enum { SX_LOCAL_ITEMS = 16 };

/* One item, at r->p (the blanks before it skipped). */
static IrSx *sx_any(SxReader *r, unsigned depth) {
  if (*r->p == '"') return sx_string(r);
  if (*r->p == '(') {
    if (depth >= SX_MAX_DEPTH) {
      r->err = "the text nests too deep";
      return NULL;
    }
    IrSx *l = sx_new(r, IR_SX_LIST);
    IrSx *local[SX_LOCAL_ITEMS], **items = local;
    uint32_t n = 0, cap = SX_LOCAL_ITEMS;
    r->p++;
    for (;;) {
      sx_blank(r);
      if (*r->p == ')') break;
      IrSx *item = NULL;
      if (!*r->p) r->err = "a list is not closed";
      else item = sx_any(r, depth + 1);
      if (!item) {
        if (items != local) free(items);
        return NULL;
      }
      if (n == cap) {
        cap *= 2;
        if (items == local) {
          items = xmalloc(cap * sizeof *items);
          memcpy(items, local, sizeof local);
        } else {
          items = xrealloc(items, cap * sizeof *items);
        }
      }
      items[n++] = item;
    }
    r->p++;
    if (n) {
      l->items = arena_alloc(r->a, n * sizeof *items);
      memcpy(l->items, items, n * sizeof *items);
    }
    l->n = n;
    if (items != local) free(items);
    return l;
  }
  if (!atom_char(*r->p)) {
    r->err = *r->p ? "unexpected `)`" : "the text ends early";
    return NULL;
  }
  const char *start = r->p;
  while (atom_char(*r->p)) r->p++;
  return sx_text(r, IR_SX_ATOM, start, (size_t)(r->p - start));
}

IrSx *ir_sx_parse(Arena *a, const char *text, const char **err) {
  SxReader r = {a, text ? text : "", NULL};
  sx_blank(&r);
  IrSx *x = sx_any(&r, 0);
  if (x) {
    sx_blank(&r);
    if (*r.p) r.err = "text after the end";
  }
  *err = r.err;
  return r.err ? NULL : x;
}

static bool is_atom(const IrSx *x, const char *s) {
  return x && x->kind == IR_SX_ATOM && str_eq(x->s, s);
}

/* The head atom of a list, or "". */
static const char *head(const IrSx *x) {
  return x && x->kind == IR_SX_LIST && x->n && x->items[0]->kind == IR_SX_ATOM ? x->items[0]->s
                                                                               : "";
}

const IrSx *ir_sx_find(const IrSx *l, const char *name) {
  if (!l || l->kind != IR_SX_LIST) return NULL;
  for (uint32_t i = 1; i < l->n; i++)
    if (str_eq(head(l->items[i]), name)) return l->items[i];
  return NULL;
}

/* ---- writing --------------------------------------------------------------------- */

void ir_text_string(StrBuf *b, const char *s, uint32_t len) {
  sb_putc(b, '"');
  for (uint32_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      sb_putc(b, '\\');
      sb_putc(b, (char)c);
    } else if (c == '\n') {
      sb_puts(b, "\\n");
    } else if (c == '\t') {
      sb_puts(b, "\\t");
    } else if (c < 0x20 || c == 0x7f) {
      sb_printf(b, "\\x%02x", c);
    } else {
      sb_putc(b, (char)c);
    }
  }
  sb_putc(b, '"');
}

static void put_cstr(StrBuf *b, const char *s) {
  if (!s) sb_putc(b, '-');
  else ir_text_string(b, s, (uint32_t)strlen(s));
}

static const Type *const all_types[] = {
    &type_void,          &type_string,        &type_int,          &type_decimal,
    &type_bool,          &type_date,          &type_datetime,     &type_duration,
    &type_user,          &type_users,         &type_list_string,  &type_list_int,
    &type_list_decimal,  &type_list_bool,     &type_list_date,    &type_list_datetime,
    &type_list_duration, &type_list_empty,    &type_task_result,  &type_approve_result,
    &type_review_result, &type_request_result,
};

void ir_text_type(StrBuf *b, const Type *t) { put_cstr(b, t ? t->name : NULL); }

const Type *ir_text_type_named(const char *name) {
  for (size_t i = 0; i < sizeof all_types / sizeof all_types[0]; i++)
    if (str_eq(all_types[i]->name, name)) return all_types[i];
  return NULL;
}

static const char *const binary_names[] = {"add", "sub", "mul", "div", "mod", "eq", "ne",
                                           "lt",  "le",  "gt",  "ge",  "and", "or", "in"};
#define N_BINARY (sizeof binary_names / sizeof binary_names[0])

static void exprs(StrBuf *b, IrExpr *const *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    sb_putc(b, ' ');
    ir_text_expr(b, v[i]);
  }
}

void ir_text_expr(StrBuf *b, const IrExpr *e) {
  if (!e) {
    sb_putc(b, '-');
    return;
  }
  switch (e->kind) {
  case IR_X_INT: sb_printf(b, "(int %" PRId64 ")", e->u.i); return;
  case IR_X_DECIMAL:
    sb_printf(b, "(dec %" PRId64 " %u)", e->u.dec.unscaled, (unsigned)e->u.dec.scale);
    return;
  case IR_X_BOOL: sb_printf(b, "(bool %d)", e->u.i ? 1 : 0); return;
  case IR_X_DURATION: sb_printf(b, "(dur %" PRId64 ")", e->u.i); return;
  case IR_X_STRING:
    sb_puts(b, "(str ");
    ir_text_string(b, e->u.str.s, e->u.str.len);
    break;
  case IR_X_TEXT:
    sb_puts(b, "(text");
    exprs(b, e->u.list.items, e->u.list.n);
    break;
  case IR_X_LIST:
    sb_puts(b, "(list ");
    ir_text_type(b, e->type);
    exprs(b, e->u.list.items, e->u.list.n);
    break;
  case IR_X_SLOT: sb_printf(b, "(slot %u)", (unsigned)e->u.index); return;
  case IR_X_FIELD:
    sb_puts(b, "(field ");
    ir_text_type(b, e->type);
    sb_printf(b, " %u", (unsigned)e->u.index);
    break;
  case IR_X_MEMBER: {
    const Type *rec = e->u.member.obj ? e->u.member.obj->type : NULL;
    sb_puts(b, "(member ");
    put_cstr(b, rec && rec->kind == T_RECORD && e->u.member.index < rec->nfields
                    ? rec->fields[e->u.member.index].name
                    : NULL);
    sb_putc(b, ' ');
    ir_text_expr(b, e->u.member.obj);
    break;
  }
  case IR_X_CALL:
    sb_puts(b, "(call ");
    ir_text_type(b, e->type);
    sb_putc(b, ' ');
    put_cstr(b, e->u.call.fn);
    exprs(b, e->u.call.args, e->nargs);
    break;
  case IR_X_UNARY:
    sb_puts(b, e->u.unary.op == IR_OP_NEG ? "(neg " : "(not ");
    ir_text_type(b, e->type);
    sb_putc(b, ' ');
    ir_text_expr(b, e->u.unary.operand);
    break;
  case IR_X_BINARY:
    sb_printf(b, "(%s ", e->op < N_BINARY ? binary_names[e->op] : "?");
    ir_text_type(b, e->type);
    sb_putc(b, ' ');
    ir_text_expr(b, e->u.binary.lhs);
    sb_putc(b, ' ');
    ir_text_expr(b, e->u.binary.rhs);
    break;
  case IR_X_COND:
    sb_puts(b, "(if ");
    ir_text_expr(b, e->u.cond->cond);
    sb_putc(b, ' ');
    ir_text_expr(b, e->u.cond->then);
    sb_putc(b, ' ');
    ir_text_expr(b, e->u.cond->otherwise);
    break;
  case IR_X_AS:
    sb_puts(b, "(as ");
    ir_text_type(b, e->type);
    sb_putc(b, ' ');
    ir_text_expr(b, e->u.unary.operand);
    break;
  case IR_X_USER:
    sb_puts(b, "(user ");
    ir_text_string(b, e->u.str.s, e->u.str.len);
    break;
  default: sb_puts(b, "(?"); break;
  }
  sb_putc(b, ')');
}

static void who(StrBuf *b, const char *tag, IrWho w) {
  sb_printf(b, " (%s", tag);
  exprs(b, w.who, w.n);
  sb_putc(b, ')');
}

static void field_expr(StrBuf *b, const char *tag, const IrExpr *e) {
  if (!e) return;
  sb_printf(b, " (%s ", tag);
  ir_text_expr(b, e);
  sb_putc(b, ')');
}

void ir_text_program(StrBuf *b, const IrProgram *ir) {
  sb_puts(b, "(program (docs");
  for (uint32_t i = 0; i < ir->ndocs; i++) {
    const IrDoc *d = &ir->docs[i];
    sb_puts(b, " (");
    put_cstr(b, d->name);
    for (uint32_t f = 0; f < d->nfields; f++) {
      sb_puts(b, " (");
      put_cstr(b, d->fields[f].name);
      sb_putc(b, ' ');
      ir_text_type(b, d->fields[f].type);
      sb_putc(b, ' ');
      ir_text_expr(b, d->fields[f].def);
      sb_putc(b, ')');
    }
    sb_putc(b, ')');
  }
  sb_puts(b, ") (actions");
  for (uint32_t i = 0; i < ir->nactions; i++) {
    const IrAction *a = &ir->actions[i];
    sb_puts(b, " (");
    put_cstr(b, a->name);
    sb_putc(b, ' ');
    ir_text_type(b, a->result);
    for (uint32_t k = 0; k < a->nparams; k++) {
      sb_puts(b, " (");
      put_cstr(b, a->params[k].name);
      sb_putc(b, ' ');
      ir_text_type(b, a->params[k].type);
      sb_putc(b, ')');
    }
    sb_putc(b, ')');
  }
  sb_puts(b, "))");
}

static const char *const slot_kinds[] = {"param", "var", "result", "loopvar", "hidden"};
static const char *const trigger_kinds[] = {"manual", "create", "change", "timer"};
static const char *const modes[] = {"any", "all", "majority", "vote", "bitrix"};

/* (states ("name" "label" FINAL ("command" "label" TARGET (by WHO...)) ...) ...): a
 * process's statuses and commands; TARGET is a state index, or -1 for a command with
 * a body. The STATE nodes, enter blocks and bodies are the graph's (its STATE nodes
 * and COMMAND edges, in order: ir_text_link_states). */
static void states_text(StrBuf *b, const IrProc *p) {
  sb_puts(b, " (states");
  for (uint32_t i = 0; i < p->nstates; i++) {
    const IrState *st = &p->states[i];
    sb_puts(b, " (");
    put_cstr(b, st->name);
    sb_putc(b, ' ');
    put_cstr(b, st->label);
    sb_printf(b, " %d", st->final ? 1 : 0);
    for (uint32_t j = 0; j < st->ncommands; j++) {
      const IrCommand *c = &st->commands[j];
      sb_puts(b, " (");
      put_cstr(b, c->name);
      sb_putc(b, ' ');
      put_cstr(b, c->label);
      sb_printf(b, " %" PRId32, c->target);
      who(b, "by", c->by);
      sb_putc(b, ')');
    }
    sb_putc(b, ')');
  }
  sb_putc(b, ')');
}

void ir_text_proc(StrBuf *b, const IrProc *p) {
  sb_puts(b, "(process (title ");
  put_cstr(b, p->title);
  sb_printf(b, ") (doc %" PRId32 ") (trigger %s (fields", p->doc, p->trigger.kind <= IR_TRIG_TIMER ? trigger_kinds[p->trigger.kind] : "?");
  for (uint32_t i = 0; i < p->trigger.nfields; i++) sb_printf(b, " %u", (unsigned)p->trigger.fields[i]);
  sb_putc(b, ')');
  field_expr(b, "when", p->trigger.when);
  if (p->trigger.kind == IR_TRIG_TIMER) {
    sb_puts(b, " (schedule ");
    put_cstr(b, p->trigger.schedule);
    sb_putc(b, ')');
  }
  sb_puts(b, ") (slots");
  for (uint32_t i = 0; i < p->slots.n; i++) {
    const IrSlot *s = ir_slot_at(p, i);
    sb_puts(b, " (");
    put_cstr(b, s->name);
    sb_putc(b, ' ');
    ir_text_type(b, s->type);
    sb_printf(b, " %s)", s->kind <= IR_SLOT_HIDDEN ? slot_kinds[s->kind] : "?");
  }
  sb_puts(b, ") (params");
  for (uint32_t i = 0; i < p->params.n; i++) {
    const IrParam *prm = p->params.items[i];
    sb_printf(b, " (%u ", (unsigned)prm->slot);
    put_cstr(b, prm->name);
    sb_putc(b, ' ');
    put_cstr(b, prm->label);
    sb_putc(b, ' ');
    ir_text_type(b, prm->type);
    sb_printf(b, " %d ", prm->required ? 1 : 0);
    ir_text_expr(b, prm->def);
    sb_putc(b, ')');
  }
  sb_puts(b, ") (inits");
  for (uint32_t i = 0; i < p->inits.n; i++) {
    const IrInit *in = p->inits.items[i];
    sb_printf(b, " (%u ", (unsigned)in->slot);
    ir_text_type(b, in->type);
    sb_putc(b, ' ');
    ir_text_expr(b, in->value);
    sb_putc(b, ')');
  }
  sb_putc(b, ')');
  if (p->nstates) states_text(b, p);
  sb_putc(b, ')');
}

/* (fields (name label type to_slot index) ...) */
static void req_fields(StrBuf *b, const IrReqField *fields, uint32_t n) {
  sb_puts(b, " (fields");
  for (uint32_t i = 0; i < n; i++) {
    const IrReqField *f = &fields[i];
    sb_puts(b, " (");
    put_cstr(b, f->name);
    sb_putc(b, ' ');
    put_cstr(b, f->label);
    sb_putc(b, ' ');
    ir_text_type(b, f->type);
    sb_printf(b, " %d %u)", f->to_slot ? 1 : 0, (unsigned)f->index);
  }
  sb_putc(b, ')');
}

static void human(StrBuf *b, const IrHuman *h) {
  who(b, "who", h->who);
  field_expr(b, "title", h->title);
  sb_printf(b, " (mode %s)", h->mode <= IR_MODE_BITRIX ? modes[h->mode] : "?");
  field_expr(b, "vote", h->vote);
  if (h->wait_all) sb_puts(b, " (wait_all 1)");
  field_expr(b, "due", h->due);
  if (h->nfields) req_fields(b, h->fields, h->nfields);
  sb_printf(b, " (result %" PRId32 ")", h->result);
  if (h->nreminds) {
    sb_puts(b, " (remind");
    exprs(b, h->remind_before, h->nreminds);
    sb_putc(b, ')');
  }
  if (h->nafters) { /* (after (DELAY EVERY TIMES) ...), `-` for none */
    sb_puts(b, " (after");
    for (uint32_t i = 0; i < h->nafters; i++) {
      sb_puts(b, " (");
      ir_text_expr(b, h->after_delay[i]);
      sb_putc(b, ' ');
      ir_text_expr(b, h->after_every ? h->after_every[i] : NULL);
      sb_putc(b, ' ');
      ir_text_expr(b, h->after_times ? h->after_times[i] : NULL);
      sb_putc(b, ')');
    }
    sb_putc(b, ')');
  }
  field_expr(b, "timeout_times", h->timeout_times);
}

void ir_text_node(StrBuf *b, const IrNode *n, const char *bpmn_id, const char *cluster_id) {
  sb_printf(b, "(%s", ir_node_kind_name(n->kind));
  if (cluster_id) {
    sb_puts(b, " (cluster ");
    put_cstr(b, cluster_id);
    sb_putc(b, ')');
  }
  if (!bpmn_id || !str_eq(bpmn_id, n->id)) {
    sb_puts(b, " (id ");
    put_cstr(b, n->id);
    sb_putc(b, ')');
  }
  if (n->title && *n->title) {
    sb_puts(b, " (name ");
    put_cstr(b, n->title);
    sb_putc(b, ')');
  }
  if (n->detail && *n->detail) {
    sb_puts(b, " (detail ");
    put_cstr(b, n->detail);
    sb_putc(b, ')');
  }
  switch (n->kind) {
  case IR_TASK: case IR_APPROVE: case IR_REVIEW: case IR_REQUEST: human(b, n->u.human); break;
  case IR_ACTION:
    sb_printf(b, " (action %u) (args", (unsigned)n->u.action.action);
    exprs(b, n->u.action.args, n->u.action.n);
    sb_printf(b, ") (result %" PRId32 ")", n->u.action.result);
    break;
  case IR_NOTIFY:
    who(b, "who", n->u.notify.who);
    field_expr(b, "message", n->u.notify.message);
    break;
  case IR_LOG: field_expr(b, "text", n->u.log.text); break;
  case IR_ASSIGN:
    sb_printf(b, " (to_slot %d) (index %u) (type ", n->u.assign.to_slot ? 1 : 0,
              (unsigned)n->u.assign.index);
    ir_text_type(b, n->u.assign.type);
    sb_putc(b, ')');
    field_expr(b, "value", n->u.assign.value);
    break;
  case IR_START_PROCESS:
    sb_printf(b, " (proc %u) (args", (unsigned)n->u.start.proc);
    for (uint32_t i = 0; i < n->u.start.n; i++) {
      const IrStartArg *a = &n->u.start.args[i];
      sb_printf(b, " (%u ", (unsigned)a->param);
      ir_text_type(b, a->type);
      sb_putc(b, ' ');
      ir_text_expr(b, a->value);
      sb_putc(b, ')');
    }
    sb_putc(b, ')');
    break;
  case IR_WAIT: case IR_WAIT_UNTIL: field_expr(b, "value", n->u.wait.value); break;
  case IR_TERMINATE: field_expr(b, "reason", n->u.terminate.reason); break;
  case IR_ITER_START:
    sb_printf(b, " (slot %u)", (unsigned)n->u.iter_start.slot);
    field_expr(b, "list", n->u.iter_start.list);
    break;
  case IR_ITER_NEXT:
    sb_printf(b, " (slot %u) (var %u)", (unsigned)n->u.iter_next.slot, (unsigned)n->u.iter_next.var);
    break;
  case IR_REASSIGN:
    who(b, "who", n->u.reassign.who);
    field_expr(b, "due", n->u.reassign.due);
    break;
  case IR_ADD: who(b, "who", n->u.add.who); break;
  case IR_BRANCH: sb_printf(b, " (number %u)", (unsigned)n->u.branch.number); break;
  case IR_STATE: case IR_GOTO: sb_printf(b, " (state %u)", (unsigned)n->u.state.state); break;
  case IR_TRY: sb_printf(b, " (slot %u)", (unsigned)n->u.try_.slot); break;
  case IR_THROW:
    field_expr(b, "code", n->u.throw_.code);
    field_expr(b, "message", n->u.throw_.message);
    break;
  case IR_RECEIVE:
    sb_puts(b, " (message ");
    put_cstr(b, n->u.receive.name);
    sb_putc(b, ')');
    if (n->u.receive.nfields) req_fields(b, n->u.receive.fields, n->u.receive.nfields);
    break;
  default: break;
  }
  sb_putc(b, ')');
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct Rd {
  IrProgram *ir;
  const IrProc *p;
  const char *err;
} Rd;

static bool fail(Rd *r, const char *why) {
  if (!r->err) r->err = why;
  return false;
}

static bool get_i64(Rd *r, const IrSx *x, int64_t *v) {
  if (!x || x->kind != IR_SX_ATOM) return fail(r, "a number is missing");
  char *end;
  errno = 0;
  long long n = strtoll(x->s, &end, 10);
  if (*end || end == x->s || errno) return fail(r, "a number is not one");
  *v = n;
  return true;
}

static bool get_u(Rd *r, const IrSx *x, uint32_t max, uint32_t *v) {
  int64_t n;
  if (!get_i64(r, x, &n)) return false;
  if (n < 0 || n > (int64_t)max) return fail(r, "a number is out of range");
  *v = (uint32_t)n;
  return true;
}

static const char *get_str(Rd *r, const IrSx *x) {
  if (is_atom(x, "-")) return NULL;
  if (!x || x->kind != IR_SX_STRING) {
    fail(r, "a string is missing");
    return NULL;
  }
  return arena_strndup(&r->ir->arena, x->s, x->len);
}

static const Type *get_type(Rd *r, const IrSx *x) {
  const Type *t = x && x->kind == IR_SX_STRING ? ir_text_type_named(x->s) : NULL;
  if (!t) fail(r, "a type is not one bpc knows");
  return t;
}

/* The n-th item of the (TAG ...) list of l; NULL when absent. */
static const IrSx *arg(const IrSx *l, const char *tag, uint32_t i) {
  const IrSx *f = ir_sx_find(l, tag);
  return f && f->n > i + 1 ? f->items[i + 1] : NULL;
}

static IrExpr *expr(Rd *r, const IrSx *x);

static IrExpr **expr_list(Rd *r, const IrSx *x, uint32_t from, uint32_t *n) {
  *n = x->n > from ? x->n - from : 0;
  IrExpr **v = ir_exprs(r->ir, *n);
  for (uint32_t i = 0; i < *n; i++)
    if (!(v[i] = expr(r, x->items[from + i]))) {
      fail(r, "an expression is missing");
      return NULL;
    }
  return v;
}

static bool arity(Rd *r, const IrSx *x, uint32_t n) {
  return x->n == n ? true : fail(r, "an expression has the wrong number of parts");
}

/* Is the type an expression claims the one its parts give? The code generator
 * trusts the IR's types (the verifier then refuses a constant stored where its
 * type does not belong), so a text must not lie about them. A built-in's result
 * is not checked here: a wrong kind there fails the instance at run time. */
static bool is_time(const Type *t) {
  return t->kind == T_DATE || t->kind == T_DATETIME || t->kind == T_DURATION;
}

static bool honest(const IrExpr *e) {
  const Type *t = e->type;
  switch (e->kind) {
  case IR_X_LIST:
    for (uint32_t i = 0; i < e->u.list.n; i++)
      if (t->elem == &type_error || !type_assignable(t->elem, e->u.list.items[i]->type)) return false;
    return true;
  case IR_X_COND:
    return e->u.cond->cond->type == &type_bool && type_assignable(t, e->u.cond->then->type) &&
           type_assignable(t, e->u.cond->otherwise->type);
  case IR_X_UNARY:
    return e->u.unary.op == IR_OP_NOT ? t == &type_bool && e->u.unary.operand->type == &type_bool
                                      : t == e->u.unary.operand->type;
  case IR_X_BINARY: {
    const Type *l = e->u.binary.lhs->type, *rt = e->u.binary.rhs->type;
    switch (e->op) {
    case IR_OP_AND: case IR_OP_OR: return t == &type_bool && l == &type_bool && rt == &type_bool;
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV: case IR_OP_MOD:
      return t == l || t == rt || (t == &type_decimal && type_is_numeric(l) && type_is_numeric(rt)) ||
             (t == &type_duration && is_time(l) && is_time(rt)); /* a datetime minus a datetime */
    default: return t == &type_bool; /* comparisons and `in` */
    }
  }
  default: return true;
  }
}

/* e (NULL: none) may be used where a value of type `want` goes. */
static bool fits(Rd *r, const IrExpr *e, const Type *want, const char *what) {
  if (!e || !want || type_assignable(want, e->type)) return true;
  return fail(r, what);
}

/* Each of a WHO list is a user or users. */
static bool people(Rd *r, IrWho w) {
  for (uint32_t i = 0; i < w.n; i++)
    if (w.who[i]->type != &type_user && w.who[i]->type != &type_users)
      return fail(r, "someone named to do or hear something is not a user or users");
  return true;
}

/* A due time or a wait: a duration, or (when dates are allowed) a date or datetime. */
static bool when(Rd *r, const IrExpr *e, bool duration, bool date) {
  if (!e) return true;
  TypeKind k = e->type->kind;
  if ((duration && k == T_DURATION) || (date && (k == T_DATE || k == T_DATETIME))) return true;
  return fail(r, "a time is not a duration, date or datetime where one is wanted");
}

static IrExpr *expr_raw(Rd *r, const IrSx *x);

static IrExpr *expr(Rd *r, const IrSx *x) {
  IrExpr *e = expr_raw(r, x);
  if (e && !honest(e)) {
    fail(r, "an expression's type is not the one its parts give");
    return NULL;
  }
  return e;
}

static IrExpr *expr_raw(Rd *r, const IrSx *x) {
  if (r->err || is_atom(x, "-")) return NULL;
  const char *h = head(x);
  int64_t v = 0;
  const Type *t;
  uint32_t n;
  IrExpr **items;
  IrExpr *e = NULL;
  if (str_eq(h, "int") && arity(r, x, 2) && get_i64(r, x->items[1], &v)) return ir_expr_int(r->ir, v);
  if (str_eq(h, "bool") && arity(r, x, 2) && get_i64(r, x->items[1], &v)) return ir_expr_bool(r->ir, v != 0);
  if (str_eq(h, "dur") && arity(r, x, 2) && get_i64(r, x->items[1], &v)) return ir_expr_duration(r->ir, v);
  if (str_eq(h, "dec") && arity(r, x, 3) && get_i64(r, x->items[1], &v)) {
    uint32_t scale;
    if (get_u(r, x->items[2], 18, &scale)) return ir_expr_decimal(r->ir, v, (uint8_t)scale);
  } else if (str_eq(h, "str") && arity(r, x, 2)) {
    if (x->items[1]->kind == IR_SX_STRING)
      return ir_expr_string(r->ir, x->items[1]->s, x->items[1]->len);
    fail(r, "a string is missing");
  } else if (str_eq(h, "user") && arity(r, x, 2)) {
    if (x->items[1]->kind == IR_SX_STRING && x->items[1]->len > 0)
      return ir_expr_user(r->ir, x->items[1]->s, x->items[1]->len);
    fail(r, "a user literal is not a user id");
  } else if (str_eq(h, "text")) {
    if ((items = expr_list(r, x, 1, &n))) return ir_expr_text(r->ir, items, n);
  } else if (str_eq(h, "list") && x->n >= 2 && (t = get_type(r, x->items[1]))) {
    if (t->kind != T_LIST) fail(r, "a list is typed as something else");
    else if ((items = expr_list(r, x, 2, &n))) return ir_expr_list(r->ir, t, items, n);
  } else if (str_eq(h, "slot") && arity(r, x, 2)) {
    uint32_t slot;
    if (!r->p) fail(r, "a slot outside a process");
    else if (get_u(r, x->items[1], UINT16_MAX, &slot) && slot < r->p->slots.n)
      return ir_expr_slot(r->ir, r->p, (uint16_t)slot);
    else fail(r, "a slot number is out of range");
  } else if (str_eq(h, "field") && arity(r, x, 3) && (t = get_type(r, x->items[1]))) {
    uint32_t f;
    const IrDoc *d = r->p && r->p->doc >= 0 && (uint32_t)r->p->doc < r->ir->ndocs ? &r->ir->docs[r->p->doc] : NULL;
    if (!d) fail(r, "a document field in a process without a document");
    else if (get_u(r, x->items[2], UINT16_MAX, &f) && f < d->nfields && d->fields[f].type == t)
      return ir_expr_field(r->ir, t, (uint16_t)f);
    else fail(r, "a document field is out of range or of another type");
  } else if (str_eq(h, "member") && arity(r, x, 3) && x->items[1]->kind == IR_SX_STRING) {
    IrExpr *rec = expr(r, x->items[2]);
    if (rec && !(e = ir_expr_member(r->ir, rec, x->items[1]->s))) fail(r, "a member of no result");
    return e;
  } else if (str_eq(h, "call") && x->n >= 3 && (t = get_type(r, x->items[1])) &&
             x->items[2]->kind == IR_SX_STRING) {
    if ((items = expr_list(r, x, 3, &n))) return ir_expr_call(r->ir, t, x->items[2]->s, items, n);
  } else if ((str_eq(h, "neg") || str_eq(h, "not")) && arity(r, x, 3) && (t = get_type(r, x->items[1]))) {
    IrExpr *o = expr(r, x->items[2]);
    if (o) return ir_expr_unary(r->ir, t, str_eq(h, "neg") ? IR_OP_NEG : IR_OP_NOT, o);
  } else if (str_eq(h, "if") && arity(r, x, 4)) {
    IrExpr *c = expr(r, x->items[1]), *a = expr(r, x->items[2]), *b = expr(r, x->items[3]);
    if (c && a && b) return ir_expr_cond(r->ir, c, a, b);
  } else if (str_eq(h, "as") && arity(r, x, 3) && (t = get_type(r, x->items[1]))) {
    IrExpr *o = expr(r, x->items[2]);
    /* the conversions IR_X_AS stands for (ir.h) */
    if (o && ((t == &type_decimal && o->type == &type_int) || (t == &type_users && o->type == &type_user) ||
              (t->kind == T_LIST && o->type == &type_list_empty) || t == o->type))
      return ir_expr_as(r->ir, t, o);
    if (o) fail(r, "`as` converts only int to decimal, user to users and [] to a list");
  } else {
    for (uint32_t op = 0; op < N_BINARY; op++) {
      if (!str_eq(h, binary_names[op])) continue;
      if (arity(r, x, 4) && (t = get_type(r, x->items[1]))) {
        IrExpr *a = expr(r, x->items[2]), *b = expr(r, x->items[3]);
        if (a && b) return ir_expr_binary(r->ir, t, (IrBinaryOp)op, a, b);
      }
      break;
    }
  }
  fail(r, "an expression is not one bpc knows");
  return NULL;
}

IrExpr *ir_text_read_expr(IrProgram *ir, const IrProc *p, const IrSx *x, const char **err) {
  Rd r = {ir, p, NULL};
  IrExpr *e = expr(&r, x);
  *err = r.err;
  return r.err ? NULL : e;
}

/* A required expression of type kind `want` (T_ERROR: any) under tag. */
static IrExpr *tagged_expr(Rd *r, const IrSx *l, const char *tag, bool required) {
  const IrSx *x = arg(l, tag, 0);
  if (!x) {
    if (required) fail(r, "a required expression is missing");
    return NULL;
  }
  return expr(r, x);
}

static IrWho tagged_who(Rd *r, const IrSx *l, const char *tag) {
  IrWho w = {0};
  const IrSx *f = ir_sx_find(l, tag);
  if (!f) return w;
  uint32_t n;
  IrExpr **v = expr_list(r, f, 1, &n);
  if (v) w = ir_who(r->ir, n, v);
  return w;
}

bool ir_text_read_program(IrProgram *ir, const IrSx *x, uint32_t nprocs, const char **err) {
  Rd r = {ir, NULL, NULL};
  const IrSx *docs = ir_sx_find(x, "docs"), *acts = ir_sx_find(x, "actions");
  if (!str_eq(head(x), "program") || !docs || !acts) {
    *err = "the definitions' bpc:ir is not a (program ...)";
    return false;
  }
  ir_reserve(ir, docs->n - 1, acts->n - 1, nprocs);
  for (uint32_t i = 1; i < docs->n && !r.err; i++) {
    const IrSx *d = docs->items[i];
    if (d->kind != IR_SX_LIST || d->n < 1 || !get_str(&r, d->items[0])) {
      fail(&r, "a document type has no name");
      break;
    }
    IrDoc *doc = ir_doc(ir, get_str(&r, d->items[0]), d->n - 1);
    for (uint32_t f = 1; f < d->n && !r.err; f++) {
      const IrSx *fx = d->items[f];
      if (fx->kind != IR_SX_LIST || fx->n != 3) {
        fail(&r, "a document field is not (name type default)");
        break;
      }
      doc->fields[f - 1].name = get_str(&r, fx->items[0]);
      doc->fields[f - 1].type = get_type(&r, fx->items[1]);
      doc->fields[f - 1].def = expr(&r, fx->items[2]);
      if (!doc->fields[f - 1].name) fail(&r, "a document field has no name");
      fits(&r, doc->fields[f - 1].def, doc->fields[f - 1].type, "a document field's default is not of its type");
    }
  }
  for (uint32_t i = 1; i < acts->n && !r.err; i++) {
    const IrSx *a = acts->items[i];
    if (a->kind != IR_SX_LIST || a->n < 2) {
      fail(&r, "an action is not (name result params...)");
      break;
    }
    const char *name = get_str(&r, a->items[0]);
    const Type *res = get_type(&r, a->items[1]);
    if (r.err || !name) {
      fail(&r, "an action has no name");
      break;
    }
    IrAction *act = ir_action(ir, name, res, a->n - 2);
    for (uint32_t k = 2; k < a->n && !r.err; k++) {
      const IrSx *px = a->items[k];
      if (px->kind != IR_SX_LIST || px->n != 2) {
        fail(&r, "an action parameter is not (name type)");
        break;
      }
      act->params[k - 2].name = get_str(&r, px->items[0]);
      act->params[k - 2].type = get_type(&r, px->items[1]);
      if (!act->params[k - 2].name) fail(&r, "an action parameter has no name");
    }
  }
  *err = r.err;
  return !r.err;
}

static int name_index(const char *const *names, size_t n, const IrSx *x) {
  for (size_t i = 0; x && x->kind == IR_SX_ATOM && i < n; i++)
    if (str_eq(names[i], x->s)) return (int)i;
  return -1;
}

static bool read_slots(Rd *r, IrProc *p, const IrSx *slots) {
  for (uint32_t i = 1; slots && i < slots->n && !r->err; i++) {
    const IrSx *s = slots->items[i];
    if (s->kind != IR_SX_LIST || s->n != 3) return fail(r, "a slot is not (name type kind)");
    const Type *t = get_type(r, s->items[1]);
    int kind = name_index(slot_kinds, 5, s->items[2]);
    if (kind < 0) return fail(r, "a slot's kind is not one bpc knows");
    if (p->slots.n >= UINT16_MAX) return fail(r, "too many slots");
    ir_slot(r->ir, p, get_str(r, s->items[0]), t, (IrSlotKind)kind);
  }
  return !r->err;
}

static bool read_params(Rd *r, IrProc *p, const IrSx *params) {
  for (uint32_t i = 1; params && i < params->n && !r->err; i++) {
    const IrSx *x = params->items[i];
    uint32_t slot, req;
    if (x->kind != IR_SX_LIST || x->n != 6) return fail(r, "a parameter is not (slot name label type required default)");
    if (!get_u(r, x->items[0], p->slots.n ? p->slots.n - 1 : 0, &slot) || slot >= p->slots.n ||
        ir_slot_at(p, slot)->kind != IR_SLOT_PARAM)
      return fail(r, "a parameter's slot is out of range");
    IrParam *prm = arena_alloc(&r->ir->arena, sizeof *prm);
    memset(prm, 0, sizeof *prm);
    prm->slot = (uint16_t)slot;
    prm->name = get_str(r, x->items[1]);
    prm->label = get_str(r, x->items[2]);
    if (!prm->label) prm->label = "";
    prm->type = get_type(r, x->items[3]);
    if (!get_u(r, x->items[4], 1, &req)) return false;
    prm->required = req;
    prm->def = expr(r, x->items[5]);
    fits(r, prm->def, prm->type, "a parameter's default is not of its type");
    if (!prm->name || prm->type != ir_slot_at(p, slot)->type) return fail(r, "a parameter does not match its slot");
    ptrvec_push(&r->ir->arena, &p->params, prm);
  }
  return !r->err;
}

static bool read_inits(Rd *r, IrProc *p, const IrSx *inits) {
  for (uint32_t i = 1; inits && i < inits->n && !r->err; i++) {
    const IrSx *x = inits->items[i];
    uint32_t slot;
    if (x->kind != IR_SX_LIST || x->n != 3) return fail(r, "a variable is not (slot type value)");
    if (!get_u(r, x->items[0], p->slots.n ? p->slots.n - 1 : 0, &slot) || slot >= p->slots.n ||
        ir_slot_at(p, slot)->kind != IR_SLOT_VAR)
      return fail(r, "a variable's slot is out of range");
    IrInit *in = arena_alloc(&r->ir->arena, sizeof *in);
    memset(in, 0, sizeof *in);
    in->slot = (uint16_t)slot;
    in->type = get_type(r, x->items[1]);
    in->value = expr(r, x->items[2]);
    fits(r, in->value, in->type, "a variable's value is not of its type");
    if (in->type != ir_slot_at(p, slot)->type) return fail(r, "a variable does not match its slot");
    ptrvec_push(&r->ir->arena, &p->inits, in);
  }
  return !r->err;
}

/* (states ...) as states_text writes it: names, labels, commands with their
 * targets and who may run them; nodes and entries come from the graph. */
static bool read_command(Rd *r, IrProc *p, IrCommand *c, const IrSx *x, uint32_t nstates) {
  int64_t target;
  if (x->kind != IR_SX_LIST || x->n < 3) return fail(r, "a command is not (name label target (by ...))");
  c->name = get_str(r, x->items[0]);
  c->label = get_str(r, x->items[1]);
  if (!get_i64(r, x->items[2], &target)) return false;
  if (!c->name || !*c->name || !c->label) return fail(r, "a command has no name or label");
  if (target < -1 || target >= (int64_t)nstates) return fail(r, "a command's target state is out of range");
  c->target = (int32_t)target;
  c->by = tagged_who(r, x, "by");
  c->line = p->line;
  return people(r, c->by);
}

static bool read_states(Rd *r, IrProc *p, const IrSx *states) {
  if (!states) return true;
  uint32_t n = states->n - 1;
  if (n > UINT16_MAX) return fail(r, "too many states");
  p->nstates = n;
  p->states = arena_alloc(&r->ir->arena, (n + 1) * sizeof *p->states);
  memset(p->states, 0, (n + 1) * sizeof *p->states);
  for (uint32_t i = 0; i < n && !r->err; i++) {
    const IrSx *s = states->items[i + 1];
    IrState *st = &p->states[i];
    uint32_t final;
    if (s->kind != IR_SX_LIST || s->n < 3) return fail(r, "a state is not (name label final commands...)");
    st->name = get_str(r, s->items[0]);
    st->label = get_str(r, s->items[1]);
    if (!st->name || !*st->name || !st->label) return fail(r, "a state has no name or label");
    if (!get_u(r, s->items[2], 1, &final)) return false;
    st->final = final;
    st->ncommands = s->n - 3;
    st->commands = arena_alloc(&r->ir->arena, (st->ncommands + 1) * sizeof *st->commands);
    memset(st->commands, 0, (st->ncommands + 1) * sizeof *st->commands);
    for (uint32_t j = 0; j < st->ncommands && !r->err; j++)
      read_command(r, p, &st->commands[j], s->items[j + 3], n);
  }
  return !r->err;
}

bool ir_text_read_proc(IrProgram *ir, IrProc *p, const IrSx *x, const char **err) {
  Rd r = {ir, p, NULL};
  if (!str_eq(head(x), "process")) {
    *err = "the process's bpc:ir is not a (process ...)";
    return false;
  }
  const IrSx *t = arg(x, "title", 0);
  if (t) p->title = get_str(&r, t);
  int64_t doc = -1;
  if (arg(x, "doc", 0) && get_i64(&r, arg(x, "doc", 0), &doc) && (doc < -1 || doc >= (int64_t)ir->ndocs))
    fail(&r, "the process's document type is out of range");
  p->doc = (int32_t)doc;
  const IrSx *trig = ir_sx_find(x, "trigger");
  if (trig && !r.err) {
    int k = name_index(trigger_kinds, 4, trig->n > 1 ? trig->items[1] : NULL);
    if (k < 0) fail(&r, "the trigger is not manual, create, change or timer");
    p->trigger.kind = k < 0 ? IR_TRIG_MANUAL : (IrTriggerKind)k;
    const IrSx *fields = ir_sx_find(trig, "fields");
    uint32_t nf = fields ? fields->n - 1 : 0;
    p->trigger.fields = arena_alloc(&ir->arena, (nf + 1) * sizeof *p->trigger.fields);
    p->trigger.nfields = nf;
    uint32_t ndf = doc >= 0 && doc < (int64_t)ir->ndocs ? ir->docs[doc].nfields : 0;
    for (uint32_t i = 0; i < nf && !r.err; i++) {
      uint32_t f;
      if (get_u(&r, fields->items[i + 1], UINT16_MAX, &f) && f >= ndf) fail(&r, "a trigger field is out of range");
      p->trigger.fields[i] = (uint16_t)f;
    }
    const IrSx *sched = arg(trig, "schedule", 0);
    if (p->trigger.kind == IR_TRIG_TIMER && !r.err) {
      p->trigger.schedule = sched ? get_str(&r, sched) : NULL;
      if (!p->trigger.schedule || !*p->trigger.schedule) fail(&r, "a timer trigger has no schedule");
    } else if (sched) {
      fail(&r, "only a timer trigger has a schedule");
    }
  }
  if (!r.err && read_slots(&r, p, ir_sx_find(x, "slots")) && read_params(&r, p, ir_sx_find(x, "params")) &&
      read_inits(&r, p, ir_sx_find(x, "inits")) && read_states(&r, p, ir_sx_find(x, "states")) && trig)
    p->trigger.when = tagged_expr(&r, trig, "when", false);
  fits(&r, p->trigger.when, &type_bool, "a trigger's condition is not a bool");
  *err = r.err;
  return !r.err;
}

bool ir_text_node_kind(const IrSx *x, IrNodeKind *kind) {
  const char *h = head(x);
  for (int k = 0; k < IR_NODE_KIND_COUNT; k++)
    if (str_eq(ir_node_kind_name((IrNodeKind)k), h)) {
      *kind = (IrNodeKind)k;
      return true;
    }
  return false;
}

const char *ir_text_node_id(const IrSx *x) {
  const IrSx *id = arg(x, "id", 0);
  return id && id->kind == IR_SX_STRING ? id->s : NULL;
}

const char *ir_text_node_cluster(const IrSx *x) {
  const IrSx *c = arg(x, "cluster", 0);
  return c && c->kind == IR_SX_STRING ? c->s : NULL;
}

static bool slot_of(Rd *r, const IrSx *x, const IrProc *p, int32_t *slot, bool allow_none) {
  int64_t v;
  if (!get_i64(r, x, &v)) return false;
  if ((allow_none && v == -1) || (v >= 0 && v < (int64_t)p->slots.n)) {
    *slot = (int32_t)v;
    return true;
  }
  return fail(r, "a slot number is out of range");
}

static const Type *step_result_type(IrNodeKind k) {
  return k == IR_TASK ? &type_task_result : k == IR_APPROVE ? &type_approve_result
         : k == IR_REVIEW ? &type_review_result : &type_request_result;
}

/* The type of a document field or slot an answer or assignment goes to. */
static const Type *target_type(const IrProgram *ir, const IrProc *p, bool to_slot, uint32_t index) {
  if (to_slot) return index < p->slots.n ? ir_slot_at(p, index)->type : NULL;
  const IrDoc *d = p->doc >= 0 && (uint32_t)p->doc < ir->ndocs ? &ir->docs[p->doc] : NULL;
  return d && index < d->nfields ? d->fields[index].type : NULL;
}

/* (fields (name label type to_slot index) ...): each stored into a slot or document
 * field in range and of its type. */
static IrReqField *read_req_fields(Rd *r, IrProc *p, const IrSx *fields, uint32_t *n) {
  *n = fields->n - 1;
  IrReqField *v = arena_alloc(&r->ir->arena, (*n + 1) * sizeof *v);
  memset(v, 0, (*n + 1) * sizeof *v);
  for (uint32_t i = 0; i < *n && !r->err; i++) {
    const IrSx *f = fields->items[i + 1];
    IrReqField *rf = &v[i];
    uint32_t to_slot, index;
    if (f->kind != IR_SX_LIST || f->n != 5) {
      fail(r, "a request field is not (name label type to_slot index)");
      break;
    }
    rf->name = get_str(r, f->items[0]);
    rf->label = get_str(r, f->items[1]);
    rf->type = get_type(r, f->items[2]);
    if (!get_u(r, f->items[3], 1, &to_slot) || !get_u(r, f->items[4], UINT16_MAX, &index)) break;
    rf->to_slot = to_slot, rf->index = (uint16_t)index;
    const Type *t = target_type(r->ir, p, to_slot, index);
    if (!t || !rf->name) fail(r, "a request field's place is out of range");
    else if (t != rf->type) fail(r, "a request field's type is not its place's");
  }
  return v;
}

static void read_timeout_times(Rd *r, IrHuman *h, const IrSx *x);

static void read_human(Rd *r, IrProc *p, IrHuman *h, IrNodeKind kind, const IrSx *x) {
  h->who = tagged_who(r, x, "who");
  h->title = tagged_expr(r, x, "title", false);
  int m = name_index(modes, 5, arg(x, "mode", 0));
  if (m < 0) fail(r, "a human step's mode is not any, all, majority, vote or bitrix");
  h->mode = m < 0 ? IR_MODE_ANY : (IrMode)m;
  h->vote = tagged_expr(r, x, "vote", h->mode == IR_MODE_VOTE || h->mode == IR_MODE_BITRIX);
  h->wait_all = ir_sx_find(x, "wait_all") != NULL;
  h->due = tagged_expr(r, x, "due", false);
  people(r, h->who);
  fits(r, h->title, &type_string, "a step's title is not a string");
  fits(r, h->vote, &type_int, "a vote's percentage is not an int");
  when(r, h->due, true, true);
  const IrSx *fields = ir_sx_find(x, "fields");
  if (fields) h->fields = read_req_fields(r, p, fields, &h->nfields);
  const IrSx *res = arg(x, "result", 0);
  if (res && slot_of(r, res, p, &h->result, true) && h->result >= 0 &&
      ir_slot_at(p, (uint32_t)h->result)->type != step_result_type(kind))
    fail(r, "a step's result slot is not of its result type");
  const IrSx *rem = ir_sx_find(x, "remind");
  if (rem && !r->err) {
    h->remind_before = expr_list(r, rem, 1, &h->nreminds);
    for (uint32_t i = 0; h->remind_before && i < h->nreminds; i++) when(r, h->remind_before[i], true, false);
    h->remind_entry = arena_alloc(&r->ir->arena, (h->nreminds + 1) * sizeof *h->remind_entry);
    memset(h->remind_entry, 0, (h->nreminds + 1) * sizeof *h->remind_entry);
  }
  const IrSx *aft = ir_sx_find(x, "after");
  if (aft && !r->err) { /* (after (DELAY EVERY TIMES) ...): the entries are the caller's */
    uint32_t n = aft->n - 1;
    h->after_delay = ir_exprs(r->ir, n + 1);
    h->after_every = ir_exprs(r->ir, n + 1);
    h->after_times = ir_exprs(r->ir, n + 1);
    h->after_entry = arena_alloc(&r->ir->arena, (n + 1) * sizeof *h->after_entry);
    memset(h->after_entry, 0, (n + 1) * sizeof *h->after_entry);
    h->nafters = n;
    for (uint32_t i = 0; i < n && !r->err; i++) {
      const IrSx *a = aft->items[i + 1];
      if (a->kind != IR_SX_LIST || a->n != 3) {
        fail(r, "an `after` handler is not (delay every times)");
        break;
      }
      h->after_delay[i] = expr(r, a->items[0]);
      h->after_every[i] = expr(r, a->items[1]);
      h->after_times[i] = expr(r, a->items[2]);
      if (!r->err && !h->after_delay[i]) fail(r, "an `after` handler has no delay");
      when(r, h->after_delay[i], true, false);
      when(r, h->after_every[i], true, false);
      fits(r, h->after_times[i], &type_int, "an `after` handler's count is not an int");
      if (h->after_times[i] && !h->after_every[i]) fail(r, "an `after` handler has a count of runs but no period");
    }
  }
  read_timeout_times(r, h, x);
}

/* (timeout_times N): `on timeout times N`, an int. */
static void read_timeout_times(Rd *r, IrHuman *h, const IrSx *x) {
  if (r->err) return;
  h->timeout_times = tagged_expr(r, x, "timeout_times", false);
  fits(r, h->timeout_times, &type_int, "a timeout's count of runs is not an int");
}

bool ir_text_read_node(IrProgram *ir, IrProc *p, IrNode *n, const IrSx *x, const char **err) {
  Rd r = {ir, p, NULL};
  const IrSx *t = arg(x, "name", 0), *d = arg(x, "detail", 0);
  if (t) n->title = get_str(&r, t);
  if (d) n->detail = get_str(&r, d);
  if (!n->title) n->title = "";
  if (!n->detail) n->detail = "";
  uint32_t u, v;
  switch (n->kind) {
  case IR_TASK: case IR_APPROVE: case IR_REVIEW: case IR_REQUEST: read_human(&r, p, n->u.human, n->kind, x); break;
  case IR_ACTION: {
    const IrSx *args = ir_sx_find(x, "args");
    if (!get_u(&r, arg(x, "action", 0), ir->nactions ? ir->nactions - 1 : 0, &u) || u >= ir->nactions) {
      fail(&r, "an action number is out of range");
      break;
    }
    n->u.action.action = (uint16_t)u;
    if (args) n->u.action.args = expr_list(&r, args, 1, &n->u.action.n);
    if (!r.err && n->u.action.n != ir->actions[u].nparams) fail(&r, "an action has the wrong number of arguments");
    for (uint32_t i = 0; !r.err && i < n->u.action.n; i++)
      fits(&r, n->u.action.args[i], ir->actions[u].params[i].type, "an action's argument is not of its parameter's type");
    if (arg(x, "result", 0) && slot_of(&r, arg(x, "result", 0), p, &n->u.action.result, true) &&
        n->u.action.result >= 0 && ir_slot_at(p, (uint32_t)n->u.action.result)->type != ir->actions[u].result)
      fail(&r, "an action's result slot is not of its result type");
    break;
  }
  case IR_NOTIFY:
    n->u.notify.who = tagged_who(&r, x, "who");
    n->u.notify.message = tagged_expr(&r, x, "message", true);
    people(&r, n->u.notify.who);
    fits(&r, n->u.notify.message, &type_string, "a message is not a string");
    break;
  case IR_LOG:
    n->u.log.text = tagged_expr(&r, x, "text", true);
    fits(&r, n->u.log.text, &type_string, "a journal line is not a string");
    break;
  case IR_ASSIGN: {
    if (!get_u(&r, arg(x, "to_slot", 0), 1, &u) || !get_u(&r, arg(x, "index", 0), UINT16_MAX, &v)) break;
    n->u.assign.to_slot = u, n->u.assign.index = (uint16_t)v;
    n->u.assign.type = get_type(&r, arg(x, "type", 0));
    n->u.assign.value = tagged_expr(&r, x, "value", true);
    const Type *t = target_type(ir, p, u, v);
    if (!t) fail(&r, "an assignment's target is out of range");
    else if (t != n->u.assign.type || (n->u.assign.value && !type_assignable(t, n->u.assign.value->type)))
      fail(&r, "an assignment's value is not of its target's type");
    break;
  }
  case IR_START_PROCESS: {
    const IrSx *args = ir_sx_find(x, "args");
    if (!get_u(&r, arg(x, "proc", 0), UINT16_MAX, &u)) break;
    n->u.start.proc = (uint16_t)u;
    n->u.start.n = args ? args->n - 1 : 0;
    n->u.start.args = arena_alloc(&ir->arena, (n->u.start.n + 1) * sizeof *n->u.start.args);
    for (uint32_t i = 0; i < n->u.start.n && !r.err; i++) {
      const IrSx *a = args->items[i + 1];
      if (a->kind != IR_SX_LIST || a->n != 3 || !get_u(&r, a->items[0], UINT16_MAX, &v)) {
        fail(&r, "a start argument is not (param type value)");
        break;
      }
      n->u.start.args[i].param = (uint16_t)v;
      n->u.start.args[i].type = get_type(&r, a->items[1]);
      n->u.start.args[i].value = expr(&r, a->items[2]);
      fits(&r, n->u.start.args[i].value, n->u.start.args[i].type, "a start argument is not of its type");
    }
    break;
  }
  case IR_WAIT: case IR_WAIT_UNTIL:
    n->u.wait.value = tagged_expr(&r, x, "value", true);
    when(&r, n->u.wait.value, n->kind == IR_WAIT, n->kind == IR_WAIT_UNTIL);
    break;
  case IR_TERMINATE:
    n->u.terminate.reason = tagged_expr(&r, x, "reason", false);
    fits(&r, n->u.terminate.reason, &type_string, "a reason is not a string");
    break;
  case IR_ITER_START:
    if (get_u(&r, arg(x, "slot", 0), UINT16_MAX, &u) && u + 1 < p->slots.n) n->u.iter_start.slot = (uint16_t)u;
    else fail(&r, "a loop's slots are out of range");
    n->u.iter_start.list = tagged_expr(&r, x, "list", true);
    if (n->u.iter_start.list && n->u.iter_start.list->type->kind != T_LIST) fail(&r, "a loop's list is not a list");
    break;
  case IR_ITER_NEXT:
    if (get_u(&r, arg(x, "slot", 0), UINT16_MAX, &u) && get_u(&r, arg(x, "var", 0), UINT16_MAX, &v) &&
        u + 1 < p->slots.n && v < p->slots.n)
      n->u.iter_next.slot = (uint16_t)u, n->u.iter_next.var = (uint16_t)v;
    else fail(&r, "a loop's slots are out of range");
    break;
  case IR_REASSIGN:
    n->u.reassign.who = tagged_who(&r, x, "who");
    n->u.reassign.due = tagged_expr(&r, x, "due", false);
    people(&r, n->u.reassign.who);
    when(&r, n->u.reassign.due, true, true);
    break;
  case IR_ADD:
    n->u.add.who = tagged_who(&r, x, "who");
    people(&r, n->u.add.who);
    break;
  case IR_BRANCH:
    if (get_u(&r, arg(x, "number", 0), UINT32_MAX, &u)) n->u.branch.number = u;
    break;
  case IR_STATE: case IR_GOTO:
    if (!get_u(&r, arg(x, "state", 0), UINT16_MAX, &u) || u >= p->nstates) {
      fail(&r, "a state number is out of range");
      break;
    }
    n->u.state.state = (uint16_t)u;
    if (n->kind == IR_GOTO) break;
    if (p->states[u].node) fail(&r, "two nodes are the same state");
    else p->states[u].node = n;
    break;
  case IR_IDLE: break;
  case IR_TRY:
    if (get_u(&r, arg(x, "slot", 0), UINT16_MAX, &u) && u + 1 < p->slots.n &&
        ir_slot_at(p, u)->kind == IR_SLOT_HIDDEN && ir_slot_at(p, u + 1)->kind == IR_SLOT_HIDDEN &&
        ir_slot_at(p, u)->type == &type_string && ir_slot_at(p, u + 1)->type == &type_string)
      n->u.try_.slot = (uint16_t)u;
    else fail(&r, "a try's slots are out of range or not hidden");
    break;
  case IR_THROW:
    n->u.throw_.code = tagged_expr(&r, x, "code", true);
    n->u.throw_.message = tagged_expr(&r, x, "message", false);
    fits(&r, n->u.throw_.code, &type_string, "an error code is not a string");
    fits(&r, n->u.throw_.message, &type_string, "an error message is not a string");
    break;
  case IR_RECEIVE: {
    const IrSx *name = arg(x, "message", 0), *fields = ir_sx_find(x, "fields");
    n->u.receive.name = name ? get_str(&r, name) : NULL;
    if (!r.err && (!n->u.receive.name || !*n->u.receive.name)) fail(&r, "a message wait has no message name");
    if (fields && !r.err) n->u.receive.fields = read_req_fields(&r, p, fields, &n->u.receive.nfields);
    break;
  }
  case IR_START: case IR_END: case IR_CHOICE: case IR_MERGE: case IR_FORK: case IR_JOIN:
  case IR_RACE: case IR_RACE_JOIN: case IR_EVENT_WAIT: case IR_HANDLER_END: case IR_TRY_END:
  case IR_SPAWN: break;
  default: fail(&r, "this kind of node is not read from BPMN"); break;
  }
  *err = r.err;
  return !r.err;
}

bool ir_text_link_states(IrProc *p, const char **err) {
  for (uint32_t i = 0; i < p->nstates; i++) {
    IrState *st = &p->states[i];
    uint32_t j = 0;
    if (!st->node) continue; /* ir_finish names a state without its node */
    for (uint32_t k = 0; k < p->edges.n; k++) {
      IrEdge *e = ir_edge_at(p, k);
      if (e->from != st->node) continue;
      if (e->kind == IR_E_FLOW && !st->enter) st->enter = e->to;
      if (e->kind != IR_E_COMMAND) continue;
      if (j >= st->ncommands) {
        *err = "a state has more COMMAND edges than commands";
        return false;
      }
      IrCommand *c = &st->commands[j++];
      if (c->target < 0) c->body = e->to;
      else if (e->to != p->states[c->target].node) {
        *err = "a command's COMMAND edge does not lead to its target state";
        return false;
      }
    }
  }
  return true;
}
