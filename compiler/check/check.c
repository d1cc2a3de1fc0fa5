/* check.c — the semantic checker's driver: the whole program, documents,
 * actions, and a process's declarations and namespace.
 *
 * The work goes in passes so that every name can be used before the line that
 * declares it: first the top-level names, then documents and actions, then
 * every process's `on DOC` and parameters (a `start` needs its target's), and
 * last each process body. Expressions are in check_expr.c, statements in
 * check_stmt.c, state machines in check_states.c. */
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

/* Edit distances spent on "did you mean" in one run: a file full of unknown
 * names in a huge namespace must not turn the checker quadratic. */
enum { SUGGEST_BUDGET = 250u * 1000u };

/* ---- NameTable ------------------------------------------------------------- */

static uint32_t hash_name(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

void check_table_init(NameTable *t) { memset(t, 0, sizeof *t); }

void check_table_free(NameTable *t) {
  free(t->keys);
  free(t->vals);
  check_table_init(t);
}

void check_table_clear(NameTable *t) {
  if (t->cap) {
    memset(t->keys, 0, t->cap * sizeof *t->keys);
    memset(t->vals, 0, t->cap * sizeof *t->vals);
  }
  t->n = 0;
}

/* Index of key's slot, or of the empty slot where it would go. Names are
 * mostly the lexer's interned strings, so the key itself is often there. */
static uint32_t table_find(const NameTable *t, const char *key) {
  uint32_t mask = t->cap - 1, i = hash_name(key) & mask;
  while (t->keys[i] && t->keys[i] != key && !str_eq(t->keys[i], key)) i = (i + 1) & mask;
  return i;
}

void *check_table_get(const NameTable *t, const char *key) {
  if (!t->cap || !key) return NULL;
  uint32_t i = table_find(t, key);
  return t->keys[i] ? t->vals[i] : NULL;
}

static void table_grow(NameTable *t) {
  NameTable old = *t;
  t->cap = old.cap ? old.cap * 2 : 16;
  t->keys = xcalloc(t->cap, sizeof *t->keys);
  t->vals = xcalloc(t->cap, sizeof *t->vals);
  for (uint32_t i = 0; i < old.cap; i++) {
    if (!old.keys[i]) continue;
    uint32_t j = table_find(t, old.keys[i]);
    t->keys[j] = old.keys[i];
    t->vals[j] = old.vals[i];
  }
  free(old.keys);
  free(old.vals);
}

void **check_table_slot(NameTable *t, const char *key) {
  if ((t->n + 1) * 2 > t->cap) table_grow(t); /* load stays at most 1/2 */
  uint32_t i = table_find(t, key);
  if (!t->keys[i]) {
    t->keys[i] = key;
    t->n++;
  }
  return &t->vals[i];
}

/* ---- suggestions and shared reports ---------------------------------------- */

void check_suggest_init(Suggest *s, const char *target) {
  size_t len = strlen(target);
  s->target = target;
  s->best = NULL;
  /* One-letter names are guesses anyway; short ones allow one slip. */
  s->cap = len <= 1 ? 0 : len <= 4 ? 1 : 2;
  s->best_dist = s->cap + 1;
}

/* Is a search for a suggestion worth its time? Not past the error limit,
 * where the message is dropped anyway, nor once the budget is spent. */
static bool suggestions_wanted(const Checker *C, const Suggest *s) {
  if (s->cap == 0 || C->suggest_budget == 0) return false;
  return !(C->diags->max_errors && C->diags->errors >= C->diags->max_errors);
}

void check_suggest_consider(Checker *C, Suggest *s, const char *candidate) {
  if (!candidate || !suggestions_wanted(C, s)) return;
  C->suggest_budget--;
  unsigned d = edit_distance(s->target, candidate, s->cap);
  if (d > 0 && d < s->best_dist) {
    s->best_dist = d;
    s->best = candidate;
  }
}

void check_report_unknown(Checker *C, Span span, const char *what, const char *name,
                    const char *best) {
  if (best)
    diag_error(C->diags, span, "%s `%s`; did you mean `%s`?", what, name, best);
  else
    diag_error(C->diags, span, "%s `%s`", what, name);
}

const char *check_plural(Checker *C, uint32_t n, const char *word) {
  return arena_printf(C->arena, "%u %s%s", n, word, n == 1 ? "" : "s");
}

const Type *check_resolve_type(Checker *C, TypeRef *t) {
  if (!t->name.s) return NULL;
  t->type = type_by_name(t->name.s);
  if (t->type) return t->type;
  Suggest s;
  check_suggest_init(&s, t->name.s);
  for (size_t i = 0; type_names[i]; i++) check_suggest_consider(C, &s, type_names[i]);
  check_report_unknown(C, t->name.span, "unknown type", t->name.s, s.best);
  return NULL;
}

static void note_first(Checker *C, Span first) {
  diag_note(C->diags, first, "first declared here");
}

/* ---- the process namespace ------------------------------------------------- */

Symbol *check_add_symbol(Checker *C, SymKind kind, Name name, const Type *type,
                          const void *decl) {
  Symbol *sym = arena_alloc(C->arena, sizeof *sym);
  sym->kind = kind;
  sym->name = name.s;
  sym->decl_span = name.span;
  sym->type = type;
  sym->slot = C->slots[kind]++;
  sym->decl = decl;
  if (C->nsymbols == C->symbols_cap) {
    C->symbols_cap = C->symbols_cap ? C->symbols_cap * 2 : 32;
    C->symbols = xrealloc(C->symbols, C->symbols_cap * sizeof *C->symbols);
  }
  C->symbols[C->nsymbols++] = sym;
  return sym;
}

Symbol *check_lookup_value(Checker *C, const char *name) {
  return check_table_get(&C->values, name);
}

/* Binds name to sym unless something visible has it already (then reports
 * the clash and leaves the first binding). */
static bool bind_value(Checker *C, Symbol *sym) {
  void **slot = check_table_slot(&C->values, sym->name);
  if (*slot) {
    const Symbol *first = *slot;
    diag_error(C->diags, sym->decl_span, "`%s` is already declared", sym->name);
    note_first(C, first->decl_span);
    sym->used = true; /* no name reaches it: "never used" would say it twice */
    return false;
  }
  *slot = sym;
  return true;
}

Symbol *check_declare_scoped(Checker *C, SymKind kind, Name name, const Type *type,
                       const void *decl) {
  Symbol *sym = check_add_symbol(C, kind, name, type, decl);
  if (!bind_value(C, sym)) return sym;
  if (C->nscoped == C->scoped_cap) {
    C->scoped_cap = C->scoped_cap ? C->scoped_cap * 2 : 32;
    C->scoped = xrealloc(C->scoped, C->scoped_cap * sizeof *C->scoped);
  }
  C->scoped[C->nscoped++] = sym;
  return sym;
}

uint32_t check_scope_mark(const Checker *C) { return C->nscoped; }

void check_end_scope(Checker *C, uint32_t mark) {
  while (C->nscoped > mark) {
    Symbol *sym = C->scoped[--C->nscoped];
    void **slot = check_table_slot(&C->values, sym->name);
    if (*slot == sym) *slot = NULL;
  }
}

const char *check_suggest_value(Checker *C, const char *name) {
  Suggest s;
  check_suggest_init(&s, name);
  /* Declaration order makes the choice between equally close names stable. */
  for (uint32_t i = 0; i < C->nsymbols && suggestions_wanted(C, &s); i++) {
    const Symbol *sym = C->symbols[i];
    if (sym->kind != SYM_STATE && check_lookup_value(C, sym->name) == sym)
      check_suggest_consider(C, &s, sym->name);
  }
  return s.best;
}

/* ---- top-level names ------------------------------------------------------- */

static const char *const item_kind_name[] = {"document", "action", "process"};

static Name item_name(const Item *it) {
  switch (it->kind) {
  case I_DOCUMENT: return it->u.doc->name;
  case I_ACTION: return it->u.action->name;
  default: return it->u.proc->name;
  }
}

/* Registers every document, action and process name; a second one of a kind
 * is an error pointing back at the first. */
static void register_items(Checker *C) {
  NameTable *tables[] = {&C->docs, &C->actions, &C->procs};
  uint32_t nprocs = 0;
  for (uint32_t i = 0; i < C->prog->nitems; i++)
    if (C->prog->items[i].kind == I_PROCESS) nprocs++;
  C->entries = xcalloc(nprocs, sizeof *C->entries);
  for (uint32_t i = 0; i < C->prog->nitems; i++) {
    Item *it = &C->prog->items[i];
    Name name = item_name(it);
    void *value = it->u.doc;
    if (it->kind == I_PROCESS) {
      ProcEntry *e = &C->entries[C->nentries++];
      e->proc = it->u.proc;
      value = e;
    }
    if (!name.s) continue;
    void **slot = check_table_slot(tables[it->kind], name.s);
    if (*slot) {
      diag_error(C->diags, name.span, "duplicate %s `%s`", item_kind_name[it->kind], name.s);
      Item first = {.kind = it->kind};
      first.u.doc = it->kind == I_PROCESS ? (void *)((ProcEntry *)*slot)->proc : *slot;
      note_first(C, item_name(&first).span);
      continue;
    }
    *slot = value;
  }
}

/* ---- documents ------------------------------------------------------------- */

static void check_field_default(Checker *C, const Document *d, const NameTable *fields,
                                DocField *f) {
  C->mode = NAMES_DOC_DEFAULT;
  C->doc_scope = d;
  C->doc_fields = fields;
  const Type *t = check_expr(C, f->init);
  C->mode = NAMES_BODY;
  C->doc_fields = NULL;
  if (t->kind == T_ERROR) return;
  const Expr *bad = check_first_non_constant(C, f->init);
  if (bad) {
    diag_error(C->diags, bad->span, "the default of `%s` must be a constant", f->name.s);
    return;
  }
  if (f->type.type && !type_assignable(f->type.type, t))
    diag_error(C->diags, f->init->span, "the default of `%s` must be %s, not %s", f->name.s,
               f->type.type->name, t->name);
}

static void check_document(Checker *C, Document *d) {
  NameTable fields;
  check_table_init(&fields);
  for (uint32_t i = 0; i < d->nfields; i++) {
    DocField *f = &d->fields[i];
    check_resolve_type(C, &f->type);
    if (!f->name.s) continue;
    void **slot = check_table_slot(&fields, f->name.s);
    if (*slot) {
      diag_error(C->diags, f->name.span, "duplicate field `%s` in document `%s`", f->name.s,
                 d->name.s);
      note_first(C, ((DocField *)*slot)->name.span);
      continue;
    }
    *slot = f;
  }
  for (uint32_t i = 0; i < d->nfields; i++)
    if (d->fields[i].init) check_field_default(C, d, &fields, &d->fields[i]);
  check_table_free(&fields);
}

/* ---- actions --------------------------------------------------------------- */

static void check_action(Checker *C, Action *a) {
  NameTable params;
  check_table_init(&params);
  for (uint32_t i = 0; i < a->nparams; i++) {
    ActionParam *p = &a->params[i];
    check_resolve_type(C, &p->type);
    if (!p->name.s) continue;
    void **slot = check_table_slot(&params, p->name.s);
    if (*slot) {
      diag_error(C->diags, p->name.span, "duplicate parameter `%s` in action `%s`", p->name.s,
                 a->name.s);
      note_first(C, ((ActionParam *)*slot)->name.span);
      continue;
    }
    *slot = p;
  }
  check_table_free(&params);
  check_resolve_type(C, &a->result);
}

/* ---- processes: what other processes need to know -------------------------- */

static void resolve_process_doc(Checker *C, ProcEntry *e) {
  Name doc = e->proc->doc;
  if (!doc.s) return;
  e->doc = check_table_get(&C->docs, doc.s);
  if (e->doc) return;
  e->doc_unknown = true;
  Suggest s;
  check_suggest_init(&s, doc.s);
  for (uint32_t i = 0; i < C->prog->nitems; i++)
    if (C->prog->items[i].kind == I_DOCUMENT)
      check_suggest_consider(C, &s, C->prog->items[i].u.doc->name.s);
  check_report_unknown(C, doc.span, "unknown document type", doc.s, s.best);
}

/* Resolves the process's `on DOC` and the types of its declarations, and
 * lists its parameters for `start` statements elsewhere. */
static void prepare_process(Checker *C, ProcEntry *e) {
  resolve_process_doc(C, e);
  PtrVec params = {0};
  for (uint32_t i = 0; i < e->proc->nmembers; i++) {
    Member *m = &e->proc->members[i];
    if (m->kind != M_DECL) continue;
    Decl *d = m->u.decl;
    check_resolve_type(C, &d->type);
    if (d->kind != D_PARAM || !d->name.s) continue;
    void **slot = check_table_slot(&e->params, d->name.s);
    if (*slot) continue; /* the namespace check reports it */
    *slot = d;
    ptrvec_push(C->arena, &params, d);
  }
  e->param_list = (Decl **)params.items;
  e->nparams = params.n;
}

/* ---- a process's declarations ---------------------------------------------- */

static void declare_fields(Checker *C, const Document *doc) {
  for (uint32_t i = 0; i < doc->nfields; i++) {
    const DocField *f = &doc->fields[i];
    if (!f->name.s) continue;
    const Type *t = f->type.type ? f->type.type : &type_error;
    Symbol *sym = check_add_symbol(C, SYM_FIELD, f->name, t, f);
    sym->slot = i; /* the field's index in its document */
    void **slot = check_table_slot(&C->values, f->name.s);
    if (!*slot) *slot = sym; /* a duplicate field was reported with the document */
  }
}

static const SymKind decl_sym_kind[] = {SYM_PARAM, SYM_VAR, SYM_CONST};

static void declare_decl(Checker *C, Decl *d) {
  if (!d->name.s) return;
  const Type *t = d->type.name.s ? (d->type.type ? d->type.type : &type_error) : NULL;
  d->sym = check_add_symbol(C, decl_sym_kind[d->kind], d->name, t, d);
  bind_value(C, d->sym);
}

/* A constant's value: checked to be constant, folded when int or bool. */
static void check_const_value(Checker *C, Decl *d) {
  const Expr *bad = check_first_non_constant(C, d->init);
  if (bad) {
    diag_error(C->diags, bad->span,
               "constant `%s` must be computed from literals and other constants", d->name.s);
    return;
  }
  const char *why = NULL;
  int64_t v;
  const Type *t = d->sym->type;
  if ((t->kind == T_INT || t->kind == T_BOOL) && !check_fold_int(C, d->init, &v, &why) && why) {
    diag_error(C->diags, d->init->span, "%s", why);
    return;
  }
  d->sym->const_value = check_fold_constant(C, d->init);
}

static void check_decl_init(Checker *C, Decl *d) {
  Symbol *sym = d->sym;
  if (d->kind == D_PARAM && !d->type.name.s)
    diag_error(C->diags, d->name.span, "parameter `%s` needs a type", d->name.s);
  if (d->label) check_plain_text(C, d->label, "a parameter label");
  if (!d->init) {
    if (d->kind == D_CONST)
      diag_error(C->diags, d->name.span, "constant `%s` needs a value", d->name.s);
    else if (d->kind == D_VAR && !d->type.name.s)
      diag_error(C->diags, d->name.span, "variable `%s` needs a type or a value", d->name.s);
    if (!sym->type) sym->type = &type_error;
    return;
  }
  C->mode = NAMES_DECL_INIT;
  C->decl_limit = d->name.span.off;
  const Type *t = check_expr(C, d->init);
  C->mode = NAMES_BODY;
  if (sym->type && !type_assignable(sym->type, t)) {
    diag_error(C->diags, d->init->span, "cannot initialize `%s` (%s) with %s", d->name.s,
               sym->type->name, t->name);
    t = &type_error;
  } else if (!sym->type) {
    sym->type = t;
    if (t == &type_list_empty) {
      diag_error(C->diags, d->init->span,
                 "the type of `%s` cannot be told from an empty list; write its type",
                 d->name.s);
      sym->type = &type_error;
    }
  }
  if (d->kind == D_CONST && t->kind != T_ERROR && sym->type->kind != T_ERROR)
    check_const_value(C, d);
}

/* ---- triggers -------------------------------------------------------------- */

static void check_change_field(Checker *C, const Name *f) {
  Symbol *sym = check_lookup_value(C, f->s);
  if (sym && sym->kind == SYM_FIELD) return;
  if (sym) {
    diag_error(C->diags, f->span, "`%s` is not a document field", f->s);
    return;
  }
  if (C->entry->doc_unknown) return;
  Suggest s;
  check_suggest_init(&s, f->s);
  if (C->entry->doc)
    for (uint32_t i = 0; i < C->entry->doc->nfields; i++)
      check_suggest_consider(C, &s, C->entry->doc->fields[i].name.s);
  check_report_unknown(C, f->span, "unknown document field", f->s, s.best);
}

static void check_trigger(Checker *C, Trigger *t) {
  if (t->kind == TRIG_CHANGE)
    for (uint32_t i = 0; i < t->nfields; i++)
      if (t->fields[i].s) check_change_field(C, &t->fields[i]);
  if (!t->when) return;
  if (t->kind == TRIG_MANUAL)
    diag_error(C->diags, t->when->span, "`when` needs `start on create` or `start on change`");
  C->mode = NAMES_TRIGGER;
  check_expect_type(C, t->when, &type_bool, "condition");
  C->mode = NAMES_BODY;
}

/* ---- a process ------------------------------------------------------------- */

static void reset_process_state(Checker *C, ProcEntry *e) {
  C->entry = e;
  C->nsymbols = 0;
  check_table_clear(&C->values);
  check_table_clear(&C->states);
  C->nscoped = 0;
  C->nedges = 0;
  C->current_state = -1;
  C->cur_states = NULL;
  memset(C->slots, 0, sizeof C->slots);
  C->mode = NAMES_BODY;
}

/* The top-level statements, gathered into one block (members interleave). */
static Block *top_level_block(Checker *C, Process *p) {
  Block *b = arena_alloc(C->arena, sizeof *b);
  for (uint32_t i = 0; i < p->nmembers; i++)
    if (p->members[i].kind == M_STMT) b->n++;
  b->stmts = b->n ? arena_alloc(C->arena, b->n * sizeof *b->stmts) : NULL;
  for (uint32_t i = 0, k = 0; i < p->nmembers; i++)
    if (p->members[i].kind == M_STMT) b->stmts[k++] = p->members[i].u.stmt;
  b->span = p->span;
  return b;
}

/* Declarations, triggers and the `states` block; returns that block. */
static States *check_members(Checker *C, Process *p) {
  const Trigger *trigger = NULL;
  States *states = NULL;
  for (uint32_t i = 0; i < p->nmembers; i++)
    if (p->members[i].kind == M_DECL) declare_decl(C, p->members[i].u.decl);
  for (uint32_t i = 0; i < p->nmembers; i++) {
    Member *m = &p->members[i];
    if (m->kind == M_DECL && m->u.decl->sym) {
      check_decl_init(C, m->u.decl);
    } else if (m->kind == M_TRIGGER) {
      if (trigger) {
        diag_error(C->diags, m->u.trigger->span, "a process has only one trigger");
        diag_note(C->diags, trigger->span, "the first trigger is here");
      } else {
        trigger = m->u.trigger;
      }
      check_trigger(C, m->u.trigger);
    } else if (m->kind == M_STATES) {
      if (states) {
        diag_error(C->diags, m->u.states->span, "a process has only one `states` block");
        diag_note(C->diags, states->span, "the first one is here");
      } else {
        states = m->u.states;
      }
    }
  }
  return states;
}

static void warn_unused(Checker *C) {
  for (uint32_t i = 0; i < C->nsymbols; i++) {
    const Symbol *sym = C->symbols[i];
    if (sym->used) continue;
    if (sym->kind == SYM_VAR)
      diag_warning(C->diags, sym->decl_span, "variable `%s` is never used", sym->name);
    else if (sym->kind == SYM_RESULT)
      diag_warning(C->diags, sym->decl_span, "result `%s` is never used", sym->name);
  }
}

static void check_process(Checker *C, ProcEntry *e) {
  Process *p = e->proc;
  process_prefetch(p);
  reset_process_state(C, e);
  ProcInfo *info = arena_alloc(C->arena, sizeof *info);
  p->info = info;
  C->info = info;
  info->doc = e->doc;
  if (p->title) check_plain_text(C, p->title, "a process title");
  if (e->doc) declare_fields(C, e->doc);
  States *states = check_members(C, p);
  info->has_states = states != NULL;
  C->cur_states = states;
  if (states) check_register_states(C, states);
  Block *body = top_level_block(C, p);
  if (states && body->n)
    diag_error(C->diags, body->stmts[0]->span,
               "a process with states has no statements at its top level; put them in a "
               "state's `enter` block");
  check_block(C, body, (Flow){0});
  if (states) check_states(C, states);
  warn_unused(C);
  info->nsymbols = C->nsymbols;
  info->symbols = arena_alloc(C->arena, C->nsymbols * sizeof *info->symbols);
  if (C->nsymbols) memcpy(info->symbols, C->symbols, C->nsymbols * sizeof *info->symbols);
}

/* ---- entry point ----------------------------------------------------------- */

bool check_program(Program *p, Diags *diags) {
  uint32_t errors_before = diags->errors;
  Checker C;
  memset(&C, 0, sizeof C);
  C.prog = p;
  C.diags = diags;
  C.arena = &p->arena;
  C.suggest_budget = SUGGEST_BUDGET;
  C.current_state = -1;
  register_items(&C);
  for (uint32_t i = 0; i < p->nitems; i++) {
    if (p->items[i].kind == I_DOCUMENT) check_document(&C, p->items[i].u.doc);
    if (p->items[i].kind == I_ACTION) check_action(&C, p->items[i].u.action);
  }
  for (uint32_t i = 0; i < C.nentries; i++) prepare_process(&C, &C.entries[i]);
  for (uint32_t i = 0; i < C.nentries; i++) check_process(&C, &C.entries[i]);
  for (uint32_t i = 0; i < C.nentries; i++) check_table_free(&C.entries[i].params);
  free(C.entries);
  free(C.symbols);
  free(C.scoped);
  free(C.edges);
  check_table_free(&C.docs);
  check_table_free(&C.actions);
  check_table_free(&C.procs);
  check_table_free(&C.values);
  check_table_free(&C.states);
  return diags->errors == errors_before;
}
