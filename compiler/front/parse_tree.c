/* parse_tree.c — the builders the grammar's actions call (see parse_tree.h).
 *
 * Each builder allocates its node in the Program's arena, fills every field
 * and span, and reports the mistakes the grammar accepts on purpose to give a
 * clearer message: a repeated clause, an unknown approval mode, a misplaced
 * field list, a contextual word (`before`, `timeout`, `create`, ...) that is
 * not the expected one. */
#include "parse_tree.h"

#include <stddef.h>
#include <string.h>

/* ---- lists ------------------------------------------------------------------- */

void tree_list_grow(ListStack *ls, size_t end) {
  if (end > UINT32_MAX) out_of_memory();
  size_t cap = ls->cap ? ls->cap : 4096;
  while (cap < end) cap *= 2;
  if (cap > UINT32_MAX) cap = UINT32_MAX;
  ls->data = xrealloc(ls->data, cap);
  ls->cap = (uint32_t)cap;
}

void *tree_list_done(Parser *p, uint32_t at, uint32_t n, size_t size) {
  if (n == 0) return NULL;
  void *items = arena_alloc(p->arena, n * size);
  memcpy(items, p->lists.data + at, n * size);
  if (at < p->lists.top) p->lists.top = at; /* pops it, and the dead above it */
  return items;
}

void *tree_grow(Parser *p, void *items, uint32_t n, size_t size) {
  if (n != 0 && (n & (n - 1)) != 0) return items;
  void *bigger = arena_alloc(p->arena, (n ? 2 * (size_t)n : 1) * size);
  if (n) memcpy(bigger, items, n * size);
  return bigger;
}

/* ---- names and lists ------------------------------------------------------ */

Name tree_name(const char *s, Span span) {
  Name n = {s, span};
  return n;
}

TypeRef tree_type(Name name) {
  TypeRef t = {name, NULL};
  return t;
}

const char *tree_expect_word(Parser *p, const char *word, Span at, const char *expected,
                             const char *message) {
  if (strcmp(word, expected) == 0) return word;
  diag_error(p->diags, at, "%s", message);
  return NULL;
}

/* ---- items ------------------------------------------------------------------ */

void tree_add_item(Parser *p, ItemKind kind, void *node) {
  Item *it = arena_alloc(p->arena, sizeof *it);
  it->kind = kind;
  switch (kind) {
  case I_DOCUMENT: it->u.doc = node; break;
  case I_ACTION: it->u.action = node; break;
  case I_PROCESS: it->u.proc = node; break;
  }
  ptrvec_push(p->arena, &p->items, it);
}

Document *tree_document(Parser *p, Name name, DocFieldList *fields, Span span) {
  Document *d = arena_alloc(p->arena, sizeof *d);
  d->name = name;
  d->fields = LIST_DONE(p, fields);
  d->nfields = fields->n;
  d->span = span;
  return d;
}

DocField *tree_docfield(Parser *p, Name name, TypeRef type, Expr *init, Span span) {
  DocField *f = arena_alloc(p->arena, sizeof *f);
  f->name = name;
  f->type = type;
  f->init = init;
  f->span = span;
  return f;
}

Action *tree_action(Parser *p, Name name, ParamList *params, TypeRef result, Span span) {
  Action *a = arena_alloc(p->arena, sizeof *a);
  a->name = name;
  a->params = LIST_DONE(p, params);
  a->nparams = params->n;
  a->result = result;
  a->span = span;
  return a;
}

ActionParam *tree_action_param(Parser *p, Name name, TypeRef type, Span span) {
  ActionParam *ap = arena_alloc(p->arena, sizeof *ap);
  ap->name = name;
  ap->type = type;
  ap->span = span;
  return ap;
}

Process *tree_process(Parser *p, Name name, Expr *title, Name doc) {
  Process *proc = arena_alloc(p->arena, sizeof *proc);
  proc->name = name;
  proc->title = title;
  proc->doc = doc;
  return proc;
}

Process *tree_process_body(Parser *p, Process *proc, MemberList *members, Span span) {
  proc->members = LIST_DONE(p, members);
  proc->nmembers = members->n;
  proc->span = span;
  return proc;
}

Member tree_error_member(Parser *p, Span span) {
  Member m = {.kind = M_STMT, .u.stmt = tree_stmt(p, S_ERROR, span)};
  return m;
}

/* `start on create` / `start on change F, G`: the words are not reserved, so
 * they are checked here. */
Trigger *tree_trigger(Parser *p, Name word, NameList *fields, Expr *when, Span span) {
  Trigger *t = arena_alloc(p->arena, sizeof *t);
  t->fields = LIST_DONE(p, fields);
  t->nfields = fields->n;
  t->when = when;
  t->span = span;
  if (strcmp(word.s, "create") == 0) {
    t->kind = TRIG_CREATE;
    if (t->nfields > 0)
      diag_error(p->diags, t->fields[0].span, "`start on create` takes no fields");
  } else if (strcmp(word.s, "change") == 0) {
    t->kind = TRIG_CHANGE;
    if (t->nfields == 0)
      diag_error(p->diags, word.span,
                 "`start on change` needs the fields it watches, as in `start on change stage`");
  } else {
    t->kind = TRIG_CHANGE;
    diag_error(p->diags, word.span, "expected `create` or `change`");
  }
  return t;
}

Decl *tree_decl(Parser *p, DeclKind kind, Name name, TypeRef type, Expr *init, Expr *label,
                Span span) {
  Decl *d = arena_alloc(p->arena, sizeof *d);
  d->kind = kind;
  d->name = name;
  d->type = type;
  d->init = init;
  d->label = label;
  d->span = span;
  return d;
}

/* ---- states ------------------------------------------------------------------ */

States *tree_states(Parser *p, StateList *states, Span span) {
  States *ss = arena_alloc(p->arena, sizeof *ss);
  ss->states = LIST_DONE(p, states);
  ss->n = states->n;
  ss->span = span;
  return ss;
}

State *tree_state(Parser *p, Name name, Expr *label, bool final, Span span) {
  State *st = arena_alloc(p->arena, sizeof *st);
  st->name = name;
  st->label = label;
  st->final = final;
  st->span = span;
  return st;
}

State *tree_state_body(Parser *p, State *st, StateBody *body, Span span) {
  st->enter = body->enter;
  st->commands = LIST_DONE(p, &body->commands);
  st->ncommands = body->commands.n;
  st->span = span;
  return st;
}

void tree_state_enter(Parser *p, StateBody *body, Block *enter, Span keyword) {
  if (body->enter) {
    diag_error(p->diags, keyword, "duplicate `enter` block");
    return;
  }
  body->enter = enter;
}

Command *tree_command(Parser *p, Name name, Expr *label, ExprList *by, Name target, Block *body,
                      Span span) {
  Command *c = arena_alloc(p->arena, sizeof *c);
  c->name = name;
  c->label = label;
  if (by) {
    c->by = LIST_DONE(p, by);
    c->nby = by->n;
  }
  c->target = target;
  c->body = body;
  c->span = span;
  return c;
}

/* ---- statements ---------------------------------------------------------------- */

Block *tree_block(Parser *p, StmtList *stmts, Span span) {
  Block *b = arena_alloc(p->arena, sizeof *b);
  b->stmts = LIST_DONE(p, stmts);
  b->n = stmts->n;
  b->span = span;
  return b;
}

Stmt *tree_stmt(Parser *p, StmtKind kind, Span span) {
  Stmt *s = arena_alloc(p->arena, sizeof *s);
  s->kind = kind;
  s->span = span;
  if (kind == S_HUMAN) s->u.human = arena_alloc(p->arena, sizeof *s->u.human);
  return s;
}

Stmt *tree_assign(Parser *p, Name target, Expr *value, Span span) {
  Stmt *s = tree_stmt(p, S_ASSIGN, span);
  s->u.assign.target = target;
  s->u.assign.value = value;
  return s;
}

Stmt *tree_call_stmt(Parser *p, Name action, ExprList *args, Name result, Span span) {
  Stmt *s = tree_stmt(p, S_CALL, span);
  s->u.call.action = action;
  s->u.call.args = LIST_DONE(p, args);
  s->u.call.n = args->n;
  if (result.s) {
    s->u.call.result = arena_alloc(p->arena, sizeof *s->u.call.result);
    s->u.call.result->name = result;
  }
  return s;
}

Stmt *tree_if(Parser *p, Expr *cond, Block *then, Span span) {
  Stmt *s = tree_stmt(p, S_IF, span);
  tree_if_add(p, s, cond, then, span);
  return s;
}

void tree_if_add(Parser *p, Stmt *s, Expr *cond, Block *then, Span span) {
  uint32_t n = s->u.if_.n;
  s->u.if_.conds = tree_grow(p, s->u.if_.conds, n, sizeof *s->u.if_.conds);
  s->u.if_.blocks = tree_grow(p, s->u.if_.blocks, n, sizeof *s->u.if_.blocks);
  s->u.if_.conds[n] = cond;
  s->u.if_.blocks[n] = then;
  s->u.if_.n = n + 1;
  s->span = span;
}

void tree_if_else(Stmt *s, Block *otherwise, Span span) {
  s->u.if_.otherwise = otherwise;
  s->span = span;
}

Stmt *tree_while(Parser *p, Expr *cond, Block *body, Span span) {
  Stmt *s = tree_stmt(p, S_WHILE, span);
  s->u.while_.cond = cond;
  s->u.while_.body = body;
  return s;
}

Stmt *tree_loop(Parser *p, Block *body, Span span) {
  Stmt *s = tree_stmt(p, S_LOOP, span);
  s->u.loop.body = body;
  return s;
}

Stmt *tree_for(Parser *p, Name var, Expr *list, Block *body, Span span) {
  Stmt *s = tree_stmt(p, S_FOR, span);
  s->u.for_.var = var;
  s->u.for_.list = list;
  s->u.for_.body = body;
  return s;
}

Stmt *tree_parallel(Parser *p, bool any, BlockList *branches, Span span) {
  Stmt *s = tree_stmt(p, S_PARALLEL, span);
  s->u.parallel.any = any;
  s->u.parallel.branches = LIST_DONE(p, branches);
  s->u.parallel.n = branches->n;
  return s;
}

Stmt *tree_wait(Parser *p, bool until, Expr *value, Span span) {
  Stmt *s = tree_stmt(p, S_WAIT, span);
  s->u.wait.until = until;
  s->u.wait.value = value;
  return s;
}

Stmt *tree_receive(Parser *p, Name name, Expr *quoted, FieldList *fields, Span span) {
  Stmt *s = tree_stmt(p, S_RECEIVE, span);
  s->u.receive.name = name;
  s->u.receive.quoted = quoted;
  if (fields) {
    s->u.receive.braces = true;
    s->u.receive.fields = LIST_DONE(p, fields);
    s->u.receive.nfields = fields->n;
  }
  return s;
}

Stmt *tree_terminate(Parser *p, Expr *reason, Span span) {
  Stmt *s = tree_stmt(p, S_TERMINATE, span);
  s->u.terminate.reason = reason;
  return s;
}

Stmt *tree_notify(Parser *p, ExprList *who, Expr *message, Span span) {
  Stmt *s = tree_stmt(p, S_NOTIFY, span);
  s->u.notify.who = LIST_DONE(p, who);
  s->u.notify.nwho = who->n;
  s->u.notify.message = message;
  return s;
}

Stmt *tree_log(Parser *p, Expr *text, Span span) {
  Stmt *s = tree_stmt(p, S_LOG, span);
  s->u.log.text = text;
  return s;
}

Stmt *tree_start(Parser *p, Name process, ArgList *args, Span span) {
  Stmt *s = tree_stmt(p, S_START, span);
  s->u.start.process = process;
  if (args) {
    s->u.start.args = LIST_DONE(p, args);
    s->u.start.n = args->n;
  }
  return s;
}

NamedArg *tree_named_arg(Parser *p, Name name, Expr *value) {
  NamedArg *a = arena_alloc(p->arena, sizeof *a);
  a->name = name;
  a->value = value;
  return a;
}

Stmt *tree_goto(Parser *p, Name state, Span span) {
  Stmt *s = tree_stmt(p, S_GOTO, span);
  s->u.goto_.state = state;
  return s;
}

Stmt *tree_reassign(Parser *p, ExprList *who, Expr *due, Span span) {
  Stmt *s = tree_stmt(p, S_REASSIGN, span);
  s->u.reassign.who = LIST_DONE(p, who);
  s->u.reassign.nwho = who->n;
  s->u.reassign.due = due;
  return s;
}

Stmt *tree_add(Parser *p, ExprList *who, Span span) {
  Stmt *s = tree_stmt(p, S_ADD, span);
  s->u.add.who = LIST_DONE(p, who);
  s->u.add.nwho = who->n;
  return s;
}

Stmt *tree_try(Parser *p, Block *body, Catch *first, Span span) {
  Stmt *s = tree_stmt(p, S_TRY, span);
  s->u.try_.body = body;
  tree_try_add(p, s, first, span);
  return s;
}

void tree_try_add(Parser *p, Stmt *s, Catch *c, Span span) {
  uint32_t n = s->u.try_.n;
  s->u.try_.catches = tree_grow(p, s->u.try_.catches, n, sizeof *s->u.try_.catches);
  s->u.try_.catches[n] = c;
  s->u.try_.n = n + 1;
  s->span = span;
}

Catch *tree_catch(Parser *p, ExprList *codes, Name var, Block *body, Span span) {
  Catch *c = arena_alloc(p->arena, sizeof *c);
  memset(c, 0, sizeof *c);
  if (codes) {
    c->codes = LIST_DONE(p, codes);
    c->ncodes = codes->n;
  }
  c->var = var;
  c->body = body;
  c->span = span;
  return c;
}

Stmt *tree_throw(Parser *p, Expr *code, Expr *message, Span span) {
  Stmt *s = tree_stmt(p, S_THROW, span);
  s->u.throw_.code = code;
  s->u.throw_.message = message;
  return s;
}

/* ---- human steps -------------------------------------------------------------- */

Stmt *tree_human(Parser *p, HumanKind kind, ExprList *who, Expr *title, FieldList *fields, Span at,
                 Span span) {
  Stmt *s = tree_stmt(p, S_HUMAN, span);
  HumanStep *h = s->u.human;
  h->kind = kind;
  h->who = LIST_DONE(p, who);
  h->nwho = who->n;
  h->title = title;
  if (fields && kind != H_REQUEST) {
    diag_error(p->diags, at, "only `request` takes a list of fields");
  } else if (fields && fields->n) {
    h->fields = LIST_DONE(p, fields);
    h->nfields = fields->n;
  } else if (kind == H_REQUEST) {
    /* no list, or `{ }`: a request that asks for nothing is a task */
    diag_error(p->diags, at,
               "`request` needs the fields it asks for, as in `{ amount: decimal \"Amount\" }`");
  }
  return s;
}

RequestField *tree_request_field(Parser *p, Name name, TypeRef type, Expr *label, Span span) {
  RequestField *f = arena_alloc(p->arena, sizeof *f);
  f->name = name;
  f->type = type;
  f->label = label;
  f->span = span;
  return f;
}

static void duplicate_clause(Parser *p, Span clause, const char *what) {
  diag_error(p->diags, clause, "duplicate `%s` clause", what);
}

static bool approve_mode(const char *word, ApproveMode *mode) {
  static const struct {
    const char *word;
    ApproveMode mode;
  } modes[] = {{"any", MODE_ANY}, {"all", MODE_ALL}, {"majority", MODE_MAJORITY},
               {"vote", MODE_VOTE}, {"bitrix", MODE_BITRIX}};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    if (strcmp(word, modes[i].word) == 0) {
      *mode = modes[i].mode;
      return true;
    }
  }
  return false;
}

/* `mode any|all|majority` or `mode vote N%` (percent is the N, or NULL). */
void tree_human_mode(Parser *p, Stmt *s, const char *word, Span word_at, Expr *percent,
                     Span clause) {
  HumanStep *h = s->u.human;
  s->span = span_join(s->span, clause);
  if (h->mode_span.len) {
    duplicate_clause(p, clause, "mode");
    return;
  }
  h->mode_span = clause;
  ApproveMode mode;
  if (!approve_mode(word, &mode)) {
    diag_error(p->diags, word_at, "unknown mode `%s`; expected any, all, majority or vote", word);
  } else if (mode == MODE_VOTE && !percent) {
    diag_error(p->diags, clause, "`mode vote` needs a percentage, as in `mode vote 60%%`");
  } else if (mode == MODE_BITRIX && !percent) {
    diag_error(p->diags, clause, "`mode bitrix` needs Bitrix's minimum percentage, as in `mode bitrix 50%%`");
  } else if (mode != MODE_VOTE && mode != MODE_BITRIX && percent) {
    diag_error(p->diags, percent->span, "only `mode vote` takes a percentage");
  } else {
    h->mode = mode;
    h->vote_percent = percent;
  }
}

void tree_human_wait_all(Parser *p, Stmt *s, Span clause) {
  HumanStep *h = s->u.human;
  s->span = span_join(s->span, clause);
  if (h->wait_all) {
    duplicate_clause(p, clause, "wait all");
    return;
  }
  h->wait_all = true;
  h->wait_all_span = clause;
}

void tree_human_due(Parser *p, Stmt *s, Expr *due, Span clause) {
  HumanStep *h = s->u.human;
  s->span = span_join(s->span, clause);
  if (h->due) {
    duplicate_clause(p, clause, "due");
    return;
  }
  h->due = due;
}

void tree_human_result(Parser *p, Stmt *s, Name result, Span clause) {
  HumanStep *h = s->u.human;
  s->span = span_join(s->span, clause);
  if (h->result.s) {
    duplicate_clause(p, clause, "->");
    return;
  }
  h->result = result;
}

/* `remind DURATION before { ... }`; several may be given, all before an
 * `on timeout` (LANGUAGE.md: "in this order"). */
void tree_human_remind(Parser *p, Stmt *s, Expr *before, const char *word, Span word_at,
                       Block *body, Span tail) {
  HumanStep *h = s->u.human;
  s->span = span_join(s->span, tail);
  if (strcmp(word, "before") != 0) {
    diag_error(p->diags, word_at, "expected `before`, as in `remind 1d before { ... }`");
    return;
  }
  if (h->on_timeout) {
    diag_error(p->diags, tail, "`remind` goes before `on timeout`");
    return;
  }
  h->reminds = tree_grow(p, h->reminds, h->nreminds, sizeof *h->reminds);
  Remind *r = &h->reminds[h->nreminds++];
  r->before = before;
  r->body = body;
  r->span = tail;
}

void tree_human_timeout(Parser *p, Stmt *s, const char *word, Span word_at, Block *body,
                        Span keywords) {
  HumanStep *h = s->u.human;
  s->span = span_join(s->span, body->span);
  if (strcmp(word, "timeout") != 0) {
    diag_error(p->diags, word_at, "expected `timeout` after `on`");
    return;
  }
  if (h->on_timeout) {
    diag_error(p->diags, keywords, "duplicate `on timeout`");
    return;
  }
  h->on_timeout = body;
  h->on_timeout_span = keywords;
}

/* `on timeout times N { ... }`: the handler runs at most N times; the due time passing
 * again after that leaves the step open and overdue (a soft deadline). */
void tree_human_timeout_times(Parser *p, Stmt *s, const char *word, Span word_at, const char *times_word,
                              Span times_at, Expr *times, Block *body, Span keywords) {
  if (strcmp(times_word, "times") != 0) {
    s->span = span_join(s->span, body->span);
    diag_error(p->diags, times_at, "expected `times` or a block, as in `on timeout times 2 { ... }`");
    return;
  }
  bool had = s->u.human->on_timeout != NULL;
  tree_human_timeout(p, s, word, word_at, body, keywords);
  if (!had && s->u.human->on_timeout) s->u.human->timeout_times = times;
}

/* `on message NAME { ... }` / `on message "name" { ... }`: any number, in any order among
 * the other tails. */
void tree_human_on_message(Parser *p, Stmt *s, const char *word, Span word_at, Name name, Expr *quoted,
                           Block *body, Span clause) {
  HumanStep *h = s->u.human;
  s->span = span_join(s->span, body->span);
  if (strcmp(word, "message") != 0) {
    diag_error(p->diags, word_at, "expected `message` after `on` and before a message's name, as in `on message paid { ... }`");
    return;
  }
  h->onmsgs = tree_grow(p, h->onmsgs, h->nonmsgs, sizeof *h->onmsgs);
  OnMessage *m = &h->onmsgs[h->nonmsgs++];
  *m = (OnMessage){.name = name, .quoted = quoted, .body = body, .span = clause};
}

/* `after DELAY [every PERIOD [times N]] { ... }`: any number, in any order among the
 * reminders and the timeout (they do not depend on the due time). */
void tree_human_after(Parser *p, Stmt *s, Expr *delay, const char *every_word, Span every_at,
                      Expr *every, const char *times_word, Span times_at, Expr *times, Block *body,
                      Span clause) {
  HumanStep *h = s->u.human;
  s->span = span_join(s->span, body->span);
  if (every_word && strcmp(every_word, "every") != 0) {
    diag_error(p->diags, every_at, "expected `every` or a block, as in `after 1d every 1d times 3 { ... }`");
    return;
  }
  if (times_word && strcmp(times_word, "times") != 0) {
    diag_error(p->diags, times_at, "expected `times` or a block, as in `after 1d every 1d times 3 { ... }`");
    return;
  }
  h->afters = tree_grow(p, h->afters, h->nafters, sizeof *h->afters);
  After *a = &h->afters[h->nafters++];
  *a = (After){.delay = delay, .every = every, .times = times, .body = body, .span = clause};
}

/* ---- expressions ---------------------------------------------------------------- */

/* Every expression the parser makes knows the height of its tree, so a
 * builder knows the depth of its operands in O(1). A tree deeper than
 * PARSE_MAX_DEPTH (a chain of 300 `+`, say) is cut with an E_ERROR after one
 * message: the tree walkers recurse and rely on the bound. */
static uint32_t depth_of(const Expr *e) { return e ? e->depth : 0; }

static uint32_t max_depth(Expr *const *items, uint32_t n) {
  uint32_t d = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t di = depth_of(items[i]);
    if (di > d) d = di;
  }
  return d;
}

static uint32_t max3(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t m = a > b ? a : b;
  return m > c ? m : c;
}

_Static_assert(PARSE_MAX_DEPTH + 1 < (1 << 15), "Expr.depth has 15 bits");

/* A new node over children at most child_depth deep; E_ERROR (check the
 * kind before filling the union) when that makes the tree too deep. */
_Static_assert(PARSE_MAX_DEPTH < (1 << 11), "Expr.depth has 11 bits");

static Expr *new_expr(Parser *p, ExprKind kind, Span span, uint32_t child_depth) {
  Expr *e = arena_alloc(p->arena, sizeof *e);
  e->depth = child_depth + 1;
  if (e->depth > PARSE_MAX_DEPTH) {
    parse_too_deep(p, span);
    kind = E_ERROR;
    e->depth = 1;
  }
  e->kind = kind;
  e->span = span;
  return e;
}

Expr *tree_int(Parser *p, int64_t value, Span span) {
  Expr *e = new_expr(p, E_INT, span, 0);
  e->u.ival = value;
  return e;
}

Expr *tree_decimal(Parser *p, LexDecimal value, Span span) {
  Expr *e = new_expr(p, E_DECIMAL, span, 0);
  e->u.dec.text = value.text;
  e->u.dec.unscaled = value.unscaled;
  e->len8 = value.scale;
  return e;
}

Expr *tree_duration(Parser *p, LexDuration value, Span span) {
  Expr *e = new_expr(p, E_DURATION, span, 0);
  e->u.dur.seconds = value.seconds;
  e->u.dur.text = value.text;
  return e;
}

Expr *tree_bool(Parser *p, bool value, Span span) {
  Expr *e = new_expr(p, E_BOOL, span, 0);
  e->u.bval = value;
  return e;
}

Expr *tree_name_expr(Parser *p, const char *name, Span span) {
  Expr *e = new_expr(p, E_NAME, span, 0);
  e->u.name.s = name;
  return e;
}

Expr *tree_list(Parser *p, ExprList *items, Span span) {
  Expr **done = items ? LIST_DONE(p, items) : NULL;
  uint32_t n = items ? items->n : 0;
  Expr *e = new_expr(p, E_LIST, span, max_depth(done, n));
  if (e->kind != E_LIST) return e;
  e->u.list.items = done;
  e->u.list.n = n;
  return e;
}

Expr *tree_field(Parser *p, Expr *obj, Name member, Span span) {
  Expr *e = new_expr(p, E_FIELD, span, depth_of(obj));
  if (e->kind != E_FIELD) return e;
  e->u.field.obj = obj;
  e->u.field.member = member.s;
  e->at = member.span.off; /* its end is the expression's: see expr_member */
  return e;
}

Expr *tree_call(Parser *p, Name fn, ExprList *args, Span span) {
  Expr **done = LIST_DONE(p, args);
  Expr *e = new_expr(p, E_CALL, span, max_depth(done, args->n));
  if (e->kind != E_CALL) return e;
  e->u.call.fn = fn.s;
  /* The name starts where the call does (see expr_fn): only its length is kept. */
  e->len8 = fn.span.len < EXPR_LONG_NAME ? fn.span.len : EXPR_LONG_NAME;
  e->u.call.args = done;
  e->nargs = args->n;
  return e;
}

/* `2026-03-05` is `date("2026-03-05")` written as a literal: the checker
 * and the back end see the call; the formatter prints the literal. */
Expr *tree_date(Parser *p, const char *text, bool with_time, Span span) {
  Expr *arg = new_expr(p, E_STRING, span, 0);
  StrPart *part = arena_alloc(p->arena, sizeof *part);
  *part = (StrPart){.text = text, .len = span.len, .span = span};
  arg->u.str.parts = part;
  arg->u.str.n = 1;
  Expr **args = arena_alloc(p->arena, sizeof *args);
  args[0] = arg;
  Expr *e = new_expr(p, E_CALL, span, 1);
  e->u.call.fn = with_time ? "datetime" : "date"; /* written as the whole literal */
  e->u.call.args = args;
  e->nargs = 1;
  e->literal = true;
  return e;
}

Expr *tree_unary(Parser *p, UnaryOp op, Expr *operand, Span span) {
  Expr *e = new_expr(p, E_UNARY, span, depth_of(operand));
  if (e->kind != E_UNARY) return e;
  e->u.unary.op = op;
  e->u.unary.operand = operand;
  return e;
}

Expr *tree_binary(Parser *p, BinaryOp op, Expr *lhs, Expr *rhs, Span op_span) {
  uint32_t dl = depth_of(lhs), dr = depth_of(rhs);
  Expr *e = new_expr(p, E_BINARY, span_join(lhs->span, rhs->span), dl > dr ? dl : dr);
  if (e->kind != E_BINARY) return e;
  e->op = op;
  e->u.binary.lhs = lhs;
  e->u.binary.rhs = rhs;
  e->at = op_span.off;
  e->len8 = op_span.len; /* an operator has at most three bytes */
  return e;
}

Expr *tree_cond(Parser *p, Expr *cond, Expr *then, Expr *otherwise, Span span) {
  Expr *e = new_expr(p, E_COND, span, max3(depth_of(cond), depth_of(then), depth_of(otherwise)));
  if (e->kind != E_COND) return e;
  ExprArms *arms = arena_alloc(p->arena, sizeof *arms);
  arms->then = then;
  arms->otherwise = otherwise;
  e->u.cond.cond = cond;
  e->u.cond.arms = arms;
  return e;
}

StrPart tree_text_part(LexText text, Span span) {
  StrPart part = {.text = text.s, .len = text.len, .span = span};
  return part;
}

StrPart tree_expr_part(Expr *e, Span span) {
  StrPart part = {.expr = e, .span = span};
  return part;
}

Expr *tree_text_string(Parser *p, LexText text, Span text_span, Span span) {
  StrPart *part = arena_alloc(p->arena, sizeof *part);
  *part = tree_text_part(text, text_span);
  Expr *e = new_expr(p, E_STRING, span, 0);
  if (e->kind != E_STRING) return e;
  e->u.str.parts = part;
  e->u.str.n = 1;
  return e;
}

Expr *tree_string(Parser *p, PartList *parts, Span span) {
  StrPart *done = LIST_DONE(p, parts);
  uint32_t depth = 0;
  for (uint32_t i = 0; i < parts->n; i++) {
    uint32_t d = depth_of(done[i].expr);
    if (d > depth) depth = d;
  }
  Expr *e = new_expr(p, E_STRING, span, depth);
  if (e->kind != E_STRING) return e;
  e->u.str.parts = done;
  e->u.str.n = parts->n;
  return e;
}
