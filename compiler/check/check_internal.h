/* check_internal.h — the checker's private state, shared by its parts.
 *
 * The checker is split by subject: check.c (the whole program, documents,
 * actions, a process's declarations and namespace), check_expr.c
 * (expressions, built-in functions, constants), check_stmt.c (statements and
 * control flow) and check_states.c (processes with statuses). Nothing here is
 * visible outside the checker; its public entry point is check.h. */
#ifndef BPC_CHECK_INTERNAL_H
#define BPC_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "check.h"
#include "diag.h"
#include "types.h"
#include "util.h"

/* ---- a string-keyed hash table ------------------------------------------ */

/* Open addressing with linear probing. Keys are borrowed (they live in the
 * program's arena). A value may be set back to NULL to hide a name that went
 * out of scope: the key stays, and lookups treat it as absent. */
typedef struct NameTable {
  const char **keys;
  void **vals;
  uint32_t cap, n; /* cap is 0 or a power of two; n counts keys */
} NameTable;

void check_table_init(NameTable *t);
void check_table_free(NameTable *t);
void check_table_clear(NameTable *t);
void *check_table_get(const NameTable *t, const char *key);
/* The value slot of key, inserted (holding NULL) when missing. The pointer is
 * valid until the next insertion. */
void **check_table_slot(NameTable *t, const char *key);

/* ---- "did you mean" ------------------------------------------------------ */

/* The closest candidate so far to a misspelt name. */
typedef struct Suggest {
  const char *target;
  const char *best;
  unsigned best_dist;
  unsigned cap; /* the largest distance worth suggesting */
} Suggest;

/* ---- what the checker knows about each process of the file --------------- */

typedef struct ProcEntry {
  Process *proc;
  const Document *doc; /* NULL when absent or unknown */
  bool doc_unknown;    /* `on X` names no document: its field names are unknowable */
  NameTable params;    /* name -> Decl* of every param (first of duplicates) */
  Decl **param_list;   /* in order, duplicates left out */
  uint32_t nparams;
} ProcEntry;

/* Where a name in an expression may come from. */
typedef enum NameMode {
  NAMES_BODY,        /* statements: everything visible */
  NAMES_DECL_INIT,   /* a declaration's initializer: no later declaration */
  NAMES_TRIGGER,     /* `start ... when`: document fields and constants only */
  NAMES_DOC_DEFAULT  /* a document field's default: constants only */
} NameMode;

/* A loop being checked: did anything leave it? */
typedef struct LoopCtx {
  struct LoopCtx *outer;
  bool has_exit; /* a break out of it, a terminate or a goto inside it */
} LoopCtx;

/* What a block inherits from the statements around it. */
typedef struct Flow {
  LoopCtx *loops;        /* every enclosing loop, innermost first */
  LoopCtx *break_target; /* the loop `break` would leave; NULL across boundaries */
  bool in_timeout;       /* directly inside `on timeout` (ifs allowed between) */
  const char *boundary;  /* what break_target was cut off by, for the message */
} Flow;

/* A `goto` or command target: an edge of the state machine. */
typedef struct StateEdge {
  uint32_t from, to;
} StateEdge;

/* The target of an edge to a state that is not declared (a misspelt
 * `goto`): it may have been meant for any state, so reachability takes it
 * for an edge to every one and reports only what no edge can reach. */
enum { STATE_ANY = UINT32_MAX };

typedef struct Checker {
  Program *prog;
  Diags *diags;
  Arena *arena;
  uint64_t suggest_budget; /* edit distances left to compute for suggestions */

  /* top level */
  NameTable docs;    /* name -> Document* */
  NameTable actions; /* name -> Action* */
  NameTable procs;   /* name -> ProcEntry* */
  ProcEntry *entries;
  uint32_t nentries;

  /* the process being checked */
  ProcEntry *entry;
  ProcInfo *info;
  /* every Symbol, in order (heap; copied to info->symbols at the end) */
  Symbol **symbols;
  uint32_t nsymbols, symbols_cap;
  NameTable values;   /* visible name -> Symbol* */
  Symbol **scoped;    /* block-scoped symbols in scope, innermost last */
  uint32_t nscoped, scoped_cap;
  uint32_t slots[SYM_ERROR + 1];

  /* how names in the current expression resolve */
  NameMode mode;
  uint32_t decl_limit;        /* NAMES_DECL_INIT: declarations from here on are not yet usable */
  const Document *doc_scope;  /* NAMES_DOC_DEFAULT: the document being declared */
  const NameTable *doc_fields; /* its fields: name -> DocField* */
  uint32_t expr_depth;
  const Expr *member_obj;     /* the object of the obj.member being checked */

  /* states of the current process */
  States *cur_states;         /* the process's `states` block, or NULL */
  NameTable states;           /* name -> State* (an element of cur_states) */
  int64_t current_state;      /* index of the state whose body is checked, or -1 */
  StateEdge *edges;
  uint32_t nedges, edges_cap;
} Checker;

/* ---- check.c -------------------------------------------------------------- */

void check_suggest_init(Suggest *s, const char *target);
void check_suggest_consider(Checker *C, Suggest *s, const char *candidate);
/* "what `name`" or "what `name`; did you mean `best`?" */
void check_report_unknown(Checker *C, Span span, const char *what, const char *name,
                    const char *best);
/* A value name visible here (a field, param, var, const, result, loop var). */
Symbol *check_lookup_value(Checker *C, const char *name);
/* A new symbol of the current process, listed in info->symbols. */
Symbol *check_add_symbol(Checker *C, SymKind kind, Name name, const Type *type, const void *decl);
/* The closest visible value name, or NULL. */
const char *check_suggest_value(Checker *C, const char *name);
/* Declares a block-scoped name (a step result or loop variable); reports a
 * clash with anything visible. Never returns NULL. */
Symbol *check_declare_scoped(Checker *C, SymKind kind, Name name, const Type *type,
                       const void *decl);
/* Block scopes: remember the mark, declare, then check_end_scope(mark). */
uint32_t check_scope_mark(const Checker *C);
void check_end_scope(Checker *C, uint32_t mark);
/* Resolves a written type, reporting an unknown one. NULL when unknown. */
const Type *check_resolve_type(Checker *C, TypeRef *t);
/* "1 argument", "3 arguments" */
const char *check_plural(Checker *C, uint32_t n, const char *word);

/* ---- check_expr.c ---------------------------------------------------------- */

/* Gives e and its parts their types; returns e's type (type_error after an
 * error, so callers stay quiet). NULL e is type_error. */
const Type *check_expr(Checker *C, Expr *e);
/* The operand-stack places E needs at its fullest while it is computed (1 for a plain
 * value): what a statement that keeps values below it adds them to. */
uint32_t check_operand_places(const Expr *e);
/* Reports unless e's type fits `want`; `what` names the place, as in
 * "condition must be bool, not int". Returns whether it fits. */
bool check_expect_type(Checker *C, Expr *e, const Type *want, const char *what);
/* A string expression (a title, message, label): must be string-typed. */
void check_text(Checker *C, Expr *e, const char *what);
/* A label that must be plain text (no interpolation). */
void check_plain_text(Checker *C, Expr *e, const char *what);
/* The first part of e that is not a compile-time constant, or NULL. */
const Expr *check_first_non_constant(const Checker *C, const Expr *e);
/* Folds an int- or bool-typed constant expression. Returns false when e is
 * not constant or its value is undefined (overflow, division by zero), and
 * then sets *why (when not NULL) to a message or NULL. */
bool check_fold_int(const Checker *C, const Expr *e, int64_t *out, const char **why);
/* The text of a string literal without interpolation (its length in *len), or NULL. */
const char *check_literal_text(Checker *C, const Expr *e, size_t *len);
/* Builds the folded form of a constant (an E_INT / E_BOOL node when it folds,
 * else e itself). */
Expr *check_fold_constant(Checker *C, Expr *e);
/* Is the type a step's result (a record)? */
bool check_is_record(const Type *t);
bool check_is_builtin_function(const char *name);

/* ---- check_stmt.c ---------------------------------------------------------- */

void check_block(Checker *C, Block *b, Flow flow);
/* WHO: one or more user / users expressions. `empty` is the message for an
 * empty list literal. */
void check_who(Checker *C, Expr **who, uint32_t n, const char *empty);

/* ---- check_states.c --------------------------------------------------------- */

/* Declares the state names (before any `goto` is checked). */
void check_register_states(Checker *C, States *st);
/* Checks the states' bodies and that the machine can reach its end. */
void check_states(Checker *C, States *st);
/* A goto: resolves the state and records the edge. Returns false when goto
 * is not allowed here at all (then it is no jump either). */
bool check_goto(Checker *C, Stmt *s);

#endif
