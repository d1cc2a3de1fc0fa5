/* check_stmt.c — statements: human steps, flow, data and the outside world.
 *
 * A block is checked statement by statement, in order, because a step result
 * becomes visible at its step and leaves with its block. A Flow travels down
 * the tree saying which loop a `break` would leave and whether `reassign` is
 * allowed; a LoopCtx per loop collects whether anything leaves the loop. */
#include <string.h>

#include "check_internal.h"

/* ---- helpers ----------------------------------------------------------------- */

/* The first n bytes of a statement: its keyword, for a short caret. */
static Span keyword_span(const Stmt *s, uint32_t n) {
  return span_make(s->span.off, s->span.len < n ? s->span.len : n);
}

/* A block entered across a boundary that `break`, `continue` and `reassign`
 * cannot cross. Loops outside still see a `terminate` inside. */
static Flow cut_flow(Flow flow, const char *boundary) {
  Flow inner = {flow.loops, NULL, false, boundary};
  return inner;
}

/* terminate and goto leave every loop around them. */
static void exit_all_loops(Flow flow) {
  for (LoopCtx *l = flow.loops; l; l = l->outer) l->has_exit = true;
}

void check_who(Checker *C, Expr **who, uint32_t n, const char *empty) {
  for (uint32_t i = 0; i < n; i++) {
    Expr *e = who[i];
    const Type *t = check_expr(C, e);
    if (e && e->kind == E_LIST && e->u.list.n == 0)
      diag_error(C->diags, e->span, "%s", empty);
    else if (t->kind != T_USER && t != &type_users && t->kind != T_ERROR)
      diag_error(C->diags, e->span, "expected a user or users, not %s", t->name);
  }
}

/* For a bare number where a duration is wanted: how to write one. */
static const char *duration_hint(Checker *C, const Expr *e) {
  if (e->kind != E_INT || e->u.ival < 0) return "";
  long long n = (long long)e->u.ival;
  return arena_printf(C->arena, "; write `%lldd` or `%lld day%s` (units: m, h, d, w)", n, n,
                      n == 1 ? "" : "s");
}

static void check_due(Checker *C, Expr *due) {
  const Type *t = check_expr(C, due);
  if (t->kind == T_DURATION || t->kind == T_DATE || t->kind == T_DATETIME ||
      t->kind == T_ERROR)
    return;
  diag_error(C->diags, due->span, "`due` needs a duration, date or datetime, not %s%s", t->name,
             duration_hint(C, due));
}

/* ---- assignment ------------------------------------------------------------- */

static const char *kind_noun(SymKind k) {
  switch (k) {
  case SYM_PARAM: return "parameter";
  case SYM_CONST: return "constant";
  case SYM_RESULT: return "step result";
  case SYM_LOOPVAR: return "loop variable";
  default: return "name";
  }
}

static void report_unknown_value(Checker *C, const Name *n, const char *what) {
  if (C->entry->doc_unknown) return; /* reported once at `on DOC` */
  check_report_unknown(C, n->span, what, n->s, check_suggest_value(C, n->s));
}

/* NAME = EXPR */
static void check_assign(Checker *C, Stmt *s) {
  const Name *target = &s->u.assign.target;
  const Type *t = check_expr(C, s->u.assign.value);
  if (!target->s) return;
  Symbol *sym = check_lookup_value(C, target->s);
  if (!sym) {
    report_unknown_value(C, target, "unknown name");
    return;
  }
  if (sym->kind != SYM_FIELD && sym->kind != SYM_VAR) {
    diag_error(C->diags, target->span, "cannot assign to %s `%s`", kind_noun(sym->kind),
               sym->name);
    sym->used = true; /* the one report is enough */
    return;
  }
  s->u.assign.sym = sym;
  sym->assigned = true;
  if (sym->type && !type_assignable(sym->type, t))
    diag_error(C->diags, s->u.assign.value->span, "cannot assign %s to `%s` (%s)", t->name,
               sym->name, sym->type->name);
}

/* ---- human steps ------------------------------------------------------------- */

static const char *const human_noun[] = {"a task", "an approval", "a review", "a request"};

static void check_vote_percent(Checker *C, Expr *n) {
  if (!check_expect_type(C, n, &type_int, "a vote percentage")) return;
  int64_t v;
  const char *why;
  if (check_fold_int(C, n, &v, &why)) {
    if (v < 0 || v > 100)
      diag_error(C->diags, n->span, "vote percentage must be between 0 and 100, not %lld",
                 (long long)v);
  } else if (why) {
    diag_error(C->diags, n->span, "%s", why);
  }
}

static void check_mode(Checker *C, HumanStep *h) {
  static const char *const mode_name[] = {"", "any", "all", "majority", "vote", "bitrix"};
  if (h->mode == MODE_DEFAULT) return;
  if (h->kind == H_TASK || h->kind == H_REQUEST) {
    diag_error(C->diags, h->mode_span, "`mode` is not allowed on %s", human_noun[h->kind]);
    return;
  }
  if (h->kind == H_REVIEW && (h->mode == MODE_MAJORITY || h->mode == MODE_VOTE || h->mode == MODE_BITRIX)) {
    diag_error(C->diags, h->mode_span,
               "`mode %s` is not allowed on a review; use `any` or `all`", mode_name[h->mode]);
    return;
  }
  if ((h->mode == MODE_VOTE || h->mode == MODE_BITRIX) && h->vote_percent) check_vote_percent(C, h->vote_percent);
}

/* FIELD: TYPE ["label"] of a request, or FIELD: TYPE of `wait message NAME { ... }`: the
 * answer (the payload field) is stored into a document field or variable of that type,
 * each named once. A message field has no label: the host sends it. */
static void check_filled_field(Checker *C, RequestField *f, NameTable *taken, bool message) {
  const char *by = message ? "message" : "request";
  const Type *written = check_resolve_type(C, &f->type);
  if (f->label && message) diag_error(C->diags, f->label->span, "a message field has no label (the host sends it)");
  else if (f->label) check_text(C, f->label, "a field label");
  if (!f->name.s) return;
  void **slot = check_table_slot(taken, f->name.s);
  if (*slot) {
    if (message) diag_error(C->diags, f->name.span, "`%s` is taken twice from this message", f->name.s);
    else diag_error(C->diags, f->name.span, "`%s` is asked twice in this request", f->name.s);
    return;
  }
  *slot = f;
  Symbol *sym = check_lookup_value(C, f->name.s);
  if (!sym) {
    report_unknown_value(C, &f->name, "unknown field or variable");
    return;
  }
  if (sym->kind != SYM_FIELD && sym->kind != SYM_VAR) {
    diag_error(C->diags, f->name.span, "a %s can only fill document fields and variables, not %s `%s`", by,
               kind_noun(sym->kind), sym->name);
    return;
  }
  f->sym = sym;
  sym->assigned = true;
  if (written && sym->type && sym->type->kind != T_ERROR && written != sym->type)
    diag_error(C->diags, f->type.name.span, "`%s` is declared as %s, not %s", sym->name,
               sym->type->name, written->name);
}

static void check_request_fields(Checker *C, HumanStep *h) {
  NameTable asked;
  check_table_init(&asked);
  for (uint32_t i = 0; i < h->nfields; i++) check_filled_field(C, &h->fields[i], &asked, false);
  check_table_free(&asked);
}

/* The same names, in the same order: a reassign to the step's own people. */
static bool same_people(Expr **a, uint32_t na, Expr **b, uint32_t nb) {
  if (na != nb) return false;
  for (uint32_t i = 0; i < na; i++)
    if (a[i]->kind != E_NAME || b[i]->kind != E_NAME || !str_eq(a[i]->u.name.s, b[i]->u.name.s))
      return false;
  return true;
}

/* `on timeout times N`: N an int (a constant one 0 or more). Without it, an `on timeout`
 * whose block always reassigns to other people with a due time that is a duration (from
 * now) escalates again each time that new due time passes, for ever: a warning that says
 * how to stop it. A reassign inside an `if` or a loop, or with a date (which stays in the
 * past once it has passed), may stop by itself; one to the step's own people extends
 * their deadline each time, a nag while the item stays open (as `after D every P`). */
static void check_timeout_times(Checker *C, HumanStep *h) {
  Expr *n = h->timeout_times;
  if (n) {
    const Type *t = check_expr(C, n);
    if (t->kind != T_INT && t->kind != T_ERROR)
      diag_error(C->diags, n->span, "`on timeout times` needs an int (how many runs), not %s", t->name);
    int64_t v;
    if (t->kind == T_INT && check_fold_int(C, n, &v, NULL) && v < 0)
      diag_error(C->diags, n->span, "`on timeout times %lld`: a count of runs cannot be negative", (long long)v);
    return;
  }
  for (uint32_t i = 0; i < h->on_timeout->n; i++) {
    const Stmt *s = h->on_timeout->stmts[i];
    if (s->kind != S_REASSIGN || !s->u.reassign.due || !s->u.reassign.due->type ||
        s->u.reassign.due->type->kind != T_DURATION ||
        same_people(s->u.reassign.who, s->u.reassign.nwho, h->who, h->nwho))
      continue;
    diag_warning(C->diags, h->on_timeout_span,
                 "this escalation never stops: each time the new due time passes, `on timeout` runs "
                 "and reassigns again; write `on timeout times N { ... }`, or reassign the last time "
                 "without `due`");
    return;
  }
}

/* `remind` and `on timeout` blocks: they run while the step is open, before
 * its result exists, and break/continue cannot leave them. */
static void check_step_handlers(Checker *C, HumanStep *h, Flow flow) {
  for (uint32_t i = 0; i < h->nreminds; i++) {
    Remind *r = &h->reminds[i];
    if (!h->due)
      diag_error(C->diags, r->span, "`remind` needs a `due` on its step");
    const Type *t = check_expr(C, r->before);
    if (t->kind != T_DURATION && t->kind != T_ERROR)
      diag_error(C->diags, r->before->span, "`remind` needs a duration, not %s%s", t->name,
                 duration_hint(C, r->before));
    check_block(C, r->body, cut_flow(flow, "a `remind` block"));
  }
  if (!h->on_timeout) return;
  if (!h->due)
    diag_error(C->diags, h->on_timeout_span, "`on timeout` needs a `due` on its step");
  Flow inner = cut_flow(flow, "an `on timeout` block");
  inner.in_timeout = true;
  check_block(C, h->on_timeout, inner);
  check_timeout_times(C, h);
}

/* `after D [every P [times N]] { }`: durations and an int; the block runs as a token of
 * its own (the step may have closed meanwhile), and break/continue cannot leave it. */
static void check_step_afters(Checker *C, HumanStep *h, Flow flow) {
  for (uint32_t i = 0; i < h->nafters; i++) {
    After *a = &h->afters[i];
    Expr *durations[] = {a->delay, a->every};
    const char *words[] = {"after", "every"};
    for (int k = 0; k < 2; k++) {
      if (!durations[k]) continue;
      const Type *t = check_expr(C, durations[k]);
      if (t->kind != T_DURATION && t->kind != T_ERROR)
        diag_error(C->diags, durations[k]->span, "`%s` needs a duration, not %s%s", words[k], t->name,
                   duration_hint(C, durations[k]));
    }
    if (a->times) {
      const Type *t = check_expr(C, a->times);
      if (t->kind != T_INT && t->kind != T_ERROR)
        diag_error(C->diags, a->times->span, "`times` needs an int (how many runs), not %s", t->name);
    }
    Flow inner = cut_flow(flow, "an `after` block");
    inner.in_timeout = false;
    check_block(C, a->body, inner);
  }
}

static void check_message_name(Checker *C, Expr *q);

/* `on message NAME { }`: a plain, non-empty name; the block runs as a token of its own
 * (as an `after` block), so break/continue cannot leave it. */
static void check_step_on_messages(Checker *C, HumanStep *h, Flow flow) {
  for (uint32_t i = 0; i < h->nonmsgs; i++) {
    OnMessage *m = &h->onmsgs[i];
    if (m->quoted) check_message_name(C, m->quoted);
    Flow inner = cut_flow(flow, "an `on message` block");
    inner.in_timeout = false;
    check_block(C, m->body, inner);
  }
}

static void check_human(Checker *C, Stmt *s, Flow flow) {
  static const Type *const result_type[] = {&type_task_result, &type_approve_result,
                                            &type_review_result, &type_request_result};
  HumanStep *h = s->u.human;
  check_who(C, h->who, h->nwho, "no one to ask: the list is empty");
  check_text(C, h->title, "a title");
  check_mode(C, h);
  if (h->wait_all && h->kind != H_APPROVE)
    diag_error(C->diags, h->wait_all_span, "`wait all` is only allowed on an approval");
  if (h->due) check_due(C, h->due);
  if (h->kind == H_REQUEST) check_request_fields(C, h);
  check_step_handlers(C, h, flow);
  check_step_afters(C, h, flow);
  check_step_on_messages(C, h, flow);
  if (h->result.s)
    h->result_sym = check_declare_scoped(C, SYM_RESULT, h->result, result_type[h->kind], h);
}

/* ---- flow -------------------------------------------------------------------- */

static void check_if(Checker *C, Stmt *s, Flow flow) {
  for (uint32_t i = 0; i < s->u.if_.n; i++) {
    check_expect_type(C, s->u.if_.conds[i], &type_bool, "condition");
    check_block(C, s->u.if_.blocks[i], flow);
  }
  if (s->u.if_.otherwise) check_block(C, s->u.if_.otherwise, flow);
}

/* The ways through a block that neither wait nor change data (only `log`, `notify`
 * and choices on the way): to its end, to a `continue` or to a `break` of the loop it
 * is in. A loop that can go round such a way repeats for ever once it does: its
 * conditions see the same data each time. The graph IR refuses the same cycle
 * (ir_finish); this names it in the source. A `while` may be passed by (its condition
 * false), a `loop` only through a `break`; every other statement acts. */
typedef struct Idle { bool through, cont, brk; } Idle;

static Idle idle_ways(const Block *b) {
  Idle r = {true, false, false};
  for (uint32_t i = 0; b && i < b->n && r.through; i++) {
    const Stmt *s = b->stmts[i];
    switch (s->kind) {
    case S_LOG: case S_NOTIFY: break;
    case S_IF: {
      Idle all = {!s->u.if_.otherwise, false, false};
      for (uint32_t k = 0; k <= s->u.if_.n; k++) {
        const Block *arm = k < s->u.if_.n ? s->u.if_.blocks[k] : s->u.if_.otherwise;
        if (!arm) continue;
        Idle x = idle_ways(arm);
        all.through |= x.through;
        all.cont |= x.cont;
        all.brk |= x.brk;
      }
      r.through = all.through;
      r.cont |= all.cont;
      r.brk |= all.brk;
      break;
    }
    case S_CONTINUE: r.cont = true; r.through = false; break;
    case S_BREAK: r.brk = true; r.through = false; break;
    case S_WHILE: break;
    case S_LOOP: r.through = idle_ways(s->u.loop.body).brk; break;
    default: r.through = false; break;
    }
  }
  return r;
}

/* A loop body; `endless` loops (`loop`, `while true`) must have a way out. */
static void check_loop_body(Checker *C, Stmt *s, Block *body, Flow flow, bool endless,
                            uint32_t keyword_len) {
  LoopCtx loop = {flow.loops, false};
  Flow inner = {&loop, &loop, false, NULL};
  check_block(C, body, inner);
  if (endless && !loop.has_exit)
    diag_warning(C->diags, keyword_span(s, keyword_len), "this loop has no way out");
  Idle idle = s->kind == S_FOR ? (Idle){false, false, false} : idle_ways(body);
  if (idle.through || idle.cont)
    diag_error(C->diags, keyword_span(s, keyword_len),
               "this loop can go round without waiting or changing data: once it does, it repeats for ever");
}

static void check_while(Checker *C, Stmt *s, Flow flow) {
  bool endless = false;
  if (check_expect_type(C, s->u.while_.cond, &type_bool, "condition")) {
    int64_t v;
    endless = check_fold_int(C, s->u.while_.cond, &v, NULL) && v;
  }
  check_loop_body(C, s, s->u.while_.body, flow, endless, 5);
}

static void check_for(Checker *C, Stmt *s, Flow flow) {
  const Type *t = check_expr(C, s->u.for_.list);
  const Type *elem = &type_error;
  if (t->kind == T_LIST)
    elem = t->elem;
  else if (t->kind != T_ERROR)
    diag_error(C->diags, s->u.for_.list->span, "`for` needs a list, not %s", t->name);
  uint32_t mark = check_scope_mark(C);
  if (s->u.for_.var.s)
    s->u.for_.sym = check_declare_scoped(C, SYM_LOOPVAR, s->u.for_.var, elem, s);
  check_loop_body(C, s, s->u.for_.body, flow, false, 3);
  check_end_scope(C, mark);
}

/* break / continue: returns whether it is valid (then it ends its block). */
static bool check_jump(Checker *C, Stmt *s, Flow flow) {
  const char *word = s->kind == S_BREAK ? "break" : "continue";
  if (flow.break_target) {
    if (s->kind == S_BREAK) flow.break_target->has_exit = true;
    return true;
  }
  if (flow.loops && flow.boundary) {
    diag_error(C->diags, s->span, "`%s` cannot leave %s", word, flow.boundary);
    /* It was meant to leave the loop: no "no way out" warning on top. */
    if (s->kind == S_BREAK) flow.loops->has_exit = true;
  } else
    diag_error(C->diags, s->span, "`%s` outside a loop", word);
  return false;
}

static void check_parallel(Checker *C, Stmt *s, Flow flow) {
  for (uint32_t i = 0; i < s->u.parallel.n; i++)
    check_block(C, s->u.parallel.branches[i], cut_flow(flow, "a parallel branch"));
}

static void check_wait(Checker *C, Stmt *s) {
  Expr *v = s->u.wait.value;
  const Type *t = check_expr(C, v);
  if (t->kind == T_ERROR) return;
  if (s->u.wait.until && t->kind != T_DATE && t->kind != T_DATETIME)
    diag_error(C->diags, v->span, "`wait until` needs a date or datetime, not %s", t->name);
  else if (!s->u.wait.until && t->kind != T_DURATION)
    diag_error(C->diags, v->span, "`wait` needs a duration, not %s%s", t->name,
               duration_hint(C, v));
}

/* reassign / add: only where a timed-out step can still be kept open. */
static void check_timeout_action(Checker *C, Stmt *s, Flow flow) {
  bool reassign = s->kind == S_REASSIGN;
  const char *word = reassign ? "reassign" : "add";
  if (!flow.in_timeout)
    diag_error(C->diags, keyword_span(s, (uint32_t)strlen(word)),
               "`%s` is only allowed inside `on timeout`", word);
  if (reassign) {
    check_who(C, s->u.reassign.who, s->u.reassign.nwho, "no one to ask: the list is empty");
    if (s->u.reassign.due) check_due(C, s->u.reassign.due);
  } else {
    check_who(C, s->u.add.who, s->u.add.nwho, "no one to ask: the list is empty");
  }
}

/* ---- actions and other processes ---------------------------------------------- */

/* The bundle's operand stack (BPT_STACK_MAX, 64 places): an action call keeps each
 * argument while the next ones are computed, a `start` each argument and its parameter's
 * number. Past it the code generator made code the bundle's verifier refuses, reported as
 * an internal error; the checker says so instead. MOST is the places the statement needs
 * at its fullest. */
enum { MAX_STMT_OPERANDS = 64 };

static void check_stmt_places(Checker *C, Span span, const char *what, uint64_t most) {
  if (most > MAX_STMT_OPERANDS)
    diag_error(C->diags, span,
               "this %s keeps %llu values at once, more than the %d a process may; "
               "compute arguments into variables, or pass fewer",
               what, (unsigned long long)most, (int)MAX_STMT_OPERANDS);
}

static void check_action_args(Checker *C, Stmt *s, const Action *a) {
  const Name *name = &s->u.call.action;
  if (s->u.call.n != a->nparams) {
    diag_error(C->diags, name->span, "`%s` takes %s, not %u", name->s,
               check_plural(C, a->nparams, "argument"), s->u.call.n);
    return;
  }
  for (uint32_t i = 0; i < a->nparams; i++) {
    const Type *want = a->params[i].type.type;
    Expr *arg = s->u.call.args[i];
    if (want && !type_assignable(want, arg->type))
      diag_error(C->diags, arg->span, "argument %u of `%s` must be %s, not %s", i + 1, name->s,
                 want->name, arg->type->name);
  }
}

static void report_unknown_action(Checker *C, const Name *name) {
  if (check_is_builtin_function(name->s)) {
    diag_error(C->diags, name->span,
               "`%s` is a built-in function, not an action; use its value in an expression",
               name->s);
    return;
  }
  Suggest sg;
  check_suggest_init(&sg, name->s);
  for (uint32_t i = 0; i < C->prog->nitems; i++)
    if (C->prog->items[i].kind == I_ACTION)
      check_suggest_consider(C, &sg, C->prog->items[i].u.action->name.s);
  check_report_unknown(C, name->span, "unknown action", name->s, sg.best);
}

/* ACTION(args) [-> r] */
static void check_action_call(Checker *C, Stmt *s) {
  const Name *name = &s->u.call.action;
  uint64_t most = 0;
  for (uint32_t i = 0; i < s->u.call.n; i++) {
    check_expr(C, s->u.call.args[i]);
    uint64_t k = i + (uint64_t)check_operand_places(s->u.call.args[i]); /* the i before it kept */
    if (k > most) most = k;
  }
  check_stmt_places(C, name->span, "action call", most);
  const Action *a = name->s ? check_table_get(&C->actions, name->s) : NULL;
  if (a)
    check_action_args(C, s, a);
  else if (name->s)
    report_unknown_action(C, name);
  CallResult *r = s->u.call.result;
  if (!r) return;
  const Type *t = &type_error;
  bool no_result = a && !a->result.name.s;
  if (no_result)
    diag_error(C->diags, r->name.span, "action `%s` has no result to name", name->s);
  else if (a && a->result.type)
    t = a->result.type;
  r->sym = check_declare_scoped(C, SYM_RESULT, r->name, t, s);
  if (no_result) r->sym->used = true;
}

/* `start P(...)` where P runs on another document (or on none). */
static void report_other_document(Checker *C, const Name *name, const Document *theirs,
                                  const Document *ours) {
  if (theirs && ours)
    diag_error(C->diags, name->span, "process `%s` runs on `%s`, not on `%s`", name->s,
               theirs->name.s, ours->name.s);
  else if (theirs)
    diag_error(C->diags, name->span,
               "process `%s` runs on `%s`, and this process has no document", name->s,
               theirs->name.s);
  else
    diag_error(C->diags, name->span, "process `%s` has no document, and this one runs on `%s`",
               name->s, ours->name.s);
}

/* One `name: value`; returns false when the name is not a parameter of the
 * target (then "missing parameter" reports would only repeat the typo). */
static bool check_start_arg(Checker *C, const ProcEntry *target, NamedArg *arg,
                            NameTable *given) {
  const Type *t = check_expr(C, arg->value);
  const char *pname = target->proc->name.s;
  if (!arg->name.s) return false;
  const Decl *d = check_table_get(&target->params, arg->name.s);
  if (!d) {
    Suggest sg;
    check_suggest_init(&sg, arg->name.s);
    for (uint32_t i = 0; i < target->nparams; i++)
      check_suggest_consider(C, &sg, target->param_list[i]->name.s);
    if (sg.best)
      diag_error(C->diags, arg->name.span, "`%s` has no parameter `%s`; did you mean `%s`?",
                 pname, arg->name.s, sg.best);
    else
      diag_error(C->diags, arg->name.span, "`%s` has no parameter `%s`", pname, arg->name.s);
    return false;
  }
  void **slot = check_table_slot(given, arg->name.s);
  if (*slot) {
    diag_error(C->diags, arg->name.span, "parameter `%s` is given twice", arg->name.s);
    return true;
  }
  *slot = arg;
  if (d->type.type && !type_assignable(d->type.type, t))
    diag_error(C->diags, arg->value->span, "parameter `%s` of `%s` must be %s, not %s",
               arg->name.s, pname, d->type.type->name, t->name);
  return true;
}

/* start PROCESS(name: expr, ...) */
static void check_start(Checker *C, Stmt *s) {
  const Name *name = &s->u.start.process;
  const ProcEntry *target = name->s ? check_table_get(&C->procs, name->s) : NULL;
  if (!target) {
    for (uint32_t i = 0; i < s->u.start.n; i++) check_expr(C, s->u.start.args[i].value);
    if (!name->s) return;
    Suggest sg;
    check_suggest_init(&sg, name->s);
    for (uint32_t i = 0; i < C->nentries; i++)
      check_suggest_consider(C, &sg, C->entries[i].proc->name.s);
    check_report_unknown(C, name->span, "unknown process", name->s, sg.best);
    return;
  }
  if (target->doc != C->entry->doc && !target->doc_unknown && !C->entry->doc_unknown)
    report_other_document(C, name, target->doc, C->entry->doc);
  NameTable given;
  check_table_init(&given);
  bool names_ok = true;
  uint64_t most = 0;
  for (uint32_t i = 0; i < s->u.start.n; i++) {
    names_ok &= check_start_arg(C, target, &s->u.start.args[i], &given);
    /* the 2 i before it kept, and its parameter's number */
    uint64_t k = 2 * (uint64_t)i + 1 + check_operand_places(s->u.start.args[i].value);
    if (k > most) most = k;
  }
  check_stmt_places(C, name->span, "`start`", most);
  for (uint32_t i = 0; names_ok && i < target->nparams; i++) {
    const Decl *d = target->param_list[i];
    if (!d->init && !check_table_get(&given, d->name.s))
      diag_error(C->diags, name->span, "missing parameter `%s` of `%s`", d->name.s, name->s);
  }
  check_table_free(&given);
}

/* ---- errors: try / catch / throw ------------------------------------------------- */

/* A string literal without interpolation: its text (NULL otherwise). */
static const char *literal_code(Checker *C, const Expr *e) {
  size_t len;
  return check_literal_text(C, e, &len);
}

/* try { } catch ["A", ...] [as e] { } ...: the body may not be left by break or continue
 * (the scope would stay open); the codes are non-empty string literals, so that which
 * catch takes an error is known from the text; a catch after one that takes any error
 * would never run. */
static void check_try(Checker *C, Stmt *s, Flow flow) {
  check_block(C, s->u.try_.body, cut_flow(flow, "a try block"));
  bool any_seen = false;
  for (uint32_t i = 0; i < s->u.try_.n; i++) {
    Catch *c = s->u.try_.catches[i];
    if (any_seen)
      diag_error(C->diags, c->span, "this `catch` never runs: an earlier one takes any error");
    if (c->ncodes == 0) any_seen = true;
    for (uint32_t k = 0; k < c->ncodes; k++) {
      const char *code = literal_code(C, c->codes[k]);
      if (!code)
        diag_error(C->diags, c->codes[k]->span, "an error code to catch is a string literal, like \"late\"");
      else if (!*code)
        diag_error(C->diags, c->codes[k]->span, "an error code is not empty");
    }
    uint32_t mark = check_scope_mark(C);
    if (c->var.s) c->sym = check_declare_scoped(C, SYM_ERROR, c->var, &type_caught_error, c);
    check_block(C, c->body, flow);
    check_end_scope(C, mark);
  }
}

/* throw CODE ["message"]: a string code (a literal one must not be empty) and a text. */
static void check_throw(Checker *C, Stmt *s) {
  const Type *t = check_expr(C, s->u.throw_.code);
  if (t->kind != T_STRING && t->kind != T_ERROR)
    diag_error(C->diags, s->u.throw_.code->span, "an error code is a string, not %s", t->name);
  const char *code = literal_code(C, s->u.throw_.code);
  if (code && !*code) diag_error(C->diags, s->u.throw_.code->span, "an error code is not empty");
  if (s->u.throw_.message) check_text(C, s->u.throw_.message, "an error message");
}

/* ---- messages ------------------------------------------------------------------- */

/* wait message NAME [{ fields }]: a name that is plain, non-empty text. */
static void check_message_name(Checker *C, Expr *q) {
  check_plain_text(C, q, "a message name");
  bool empty = q->kind == E_STRING;
  for (uint32_t i = 0; empty && i < q->u.str.n; i++) empty = !q->u.str.parts[i].expr && q->u.str.parts[i].len == 0;
  if (empty) diag_error(C->diags, q->span, "a message name cannot be empty");
}

static void check_receive(Checker *C, Stmt *s) {
  Expr *q = s->u.receive.quoted;
  if (q) check_message_name(C, q);
  NameTable taken;
  check_table_init(&taken);
  for (uint32_t i = 0; i < s->u.receive.nfields; i++) check_filled_field(C, &s->u.receive.fields[i], &taken, true);
  check_table_free(&taken);
}

/* ---- statements and blocks ------------------------------------------------------ */

/* Checks one statement; returns true when control never goes past it. */
static bool check_stmt(Checker *C, Stmt *s, Flow flow) {
  switch (s->kind) {
  case S_ASSIGN: check_assign(C, s); return false;
  case S_HUMAN: check_human(C, s, flow); return false;
  case S_IF: check_if(C, s, flow); return false;
  case S_WHILE: check_while(C, s, flow); return false;
  case S_LOOP: check_loop_body(C, s, s->u.loop.body, flow, true, 4); return false;
  case S_FOR: check_for(C, s, flow); return false;
  case S_BREAK: case S_CONTINUE: return check_jump(C, s, flow);
  case S_PARALLEL: check_parallel(C, s, flow); return false;
  case S_WAIT: check_wait(C, s); return false;
  case S_TERMINATE:
    if (s->u.terminate.reason) check_text(C, s->u.terminate.reason, "a reason");
    exit_all_loops(flow);
    return true;
  case S_NOTIFY:
    check_who(C, s->u.notify.who, s->u.notify.nwho, "no one to notify: the list is empty");
    check_text(C, s->u.notify.message, "a message");
    return false;
  case S_LOG: check_text(C, s->u.log.text, "a log line"); return false;
  case S_CALL: check_action_call(C, s); return false;
  case S_START: check_start(C, s); return false;
  case S_GOTO:
    if (!check_goto(C, s)) return false;
    exit_all_loops(flow);
    return true;
  case S_REASSIGN: case S_ADD: check_timeout_action(C, s, flow); return false;
  case S_TRY: check_try(C, s, flow); return false;
  case S_THROW:
    check_throw(C, s);
    exit_all_loops(flow);
    return true;
  case S_RECEIVE: check_receive(C, s); return false;
  default: return false;
  }
}

static void check_stmt_list(Checker *C, Block *b, Flow flow) {
  bool ended = false, reported = false;
  for (uint32_t i = 0; i < b->n; i++) {
    Stmt *s = b->stmts[i];
    if (!s) continue;
    if (ended && !reported) {
      diag_error(C->diags, s->span, "unreachable statement");
      reported = true;
    }
    ended |= check_stmt(C, s, flow);
  }
}

void check_block(Checker *C, Block *b, Flow flow) {
  if (!b) return;
  uint32_t mark = check_scope_mark(C);
  check_stmt_list(C, b, flow);
  check_end_scope(C, mark);
}
