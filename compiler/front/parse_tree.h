/* parse_tree.h — what the grammar's actions call: the parser's state and the
 * builders of syntax tree nodes (parse_tree.c), and the syntax error policy
 * (parse.c).
 *
 * Builders allocate in the Program's arena, give every node its span, take
 * the lists the grammar collects as the arrays ast.h wants, and report
 * the errors a grammar rule cannot express (a repeated `due` clause, an
 * unknown approval mode, ...). */
#ifndef BPC_PARSE_TREE_H
#define BPC_PARSE_TREE_H

#include "ast.h"
#include "lex.h"

/* The items of the lists the grammar is collecting, one list after the
 * other (byte offsets, 8-aligned; heap). */
typedef struct ListStack {
  char *data;
  uint32_t top, cap;
} ListStack;

struct Parser {
  Program *prog;
  Arena *arena; /* &prog->arena */
  Diags *diags;
  Lexer lex;
  PtrVec items;             /* Item*, in source order, as each is complete */
  ListStack lists;          /* the lists being collected (see LIST_PUSH) */
  bool deep_reported;       /* "expression nested too deeply" is said once */
  bool eof_error_reported;  /* a syntax error at the end of the file was said */
  uint32_t error_line;      /* line of the last syntax error reported, or 0 */
  uint32_t syntax_errors;   /* times the parser met one (reported or not) */
};

/* ---- syntax errors (parse.c) --------------------------------------------- */

/* Whether a syntax error at `at` deserves a message: not after the nesting
 * limit stopped the parse, not a second one on a line that already has an
 * error (lexical or syntax), not a second one at the end of the file. */
bool parse_error_wanted(Parser *p, Span at, bool at_eof);
/* "unexpected X[, expected A, B or C][; HINT]"; expected names only when
 * 1..4, the hint (how to write what was likely meant) when not NULL. */
void parse_syntax_error(Parser *p, Span at, const char *unexpected, const char **expected,
                        int nexpected, const char *hint);
/* An expression too deep for the tree walkers; reported once. */
void parse_too_deep(Parser *p, Span at);

/* ---- spans, names and lists ------------------------------------------------ */

/* Room for element n of an array whose capacity is the next power of two
 * of n: returns the array, moved to a block twice as big when it is full.
 * (For the few arrays a node grows itself: the branches of an `if`.) */
void *tree_grow(Parser *p, void *items, uint32_t n, size_t size);

/* The lists of the grammar (LIST_OF in parser.y) are collected on one stack,
 * p->lists, and copied to the arena once, exactly sized, when the node that
 * owns them is built: growing them in the arena would leave every outgrown
 * array behind. Lists nest as the grammar does: an item's own lists are
 * finished (or dropped by error recovery) before the next item is pushed,
 * so a push only ever extends the newest live list, and anything above it
 * on the stack is dead.
 *
 * LIST_PUSH leaves list->items pointing at the list on the stack, valid
 * only until the next push; a builder takes the list with LIST_DONE. */
void tree_list_grow(ListStack *ls, size_t end);
void *tree_list_done(Parser *p, uint32_t at, uint32_t n, size_t size);

/* Room for item n of the list at *at (a new list starts on top); inline, as
 * it runs for every item. */
static inline void *tree_list_push(Parser *p, uint32_t *at, uint32_t n, size_t size) {
  ListStack *ls = &p->lists;
  if (n == 0) *at = (ls->top + 7) & ~7u;
  size_t end = *at + (n + (size_t)1) * size; /* drops what is above the list */
  if (end > ls->cap) tree_list_grow(ls, end);
  ls->top = (uint32_t)end;
  return ls->data + *at;
}
#define LIST_INIT(list) ((list).items = NULL, (list).n = 0, (list).at = 0)
#define LIST_PUSH(p, list, value)                                                 \
  ((list)->items = tree_list_push((p), &(list)->at, (list)->n, sizeof *(list)->items), \
   (list)->items[(list)->n++] = (value))
/* The finished list as an arena array (NULL when empty). */
#define LIST_DONE(p, list) tree_list_done((p), (list)->at, (list)->n, sizeof *(list)->items)

Name tree_name(const char *s, Span span);
TypeRef tree_type(Name name);
/* Returns word when it is `expected`, else reports message and returns NULL. */
const char *tree_expect_word(Parser *p, const char *word, Span at, const char *expected,
                             const char *message);

/* ---- items ------------------------------------------------------------------ */

void tree_add_item(Parser *p, ItemKind kind, void *node);
Document *tree_document(Parser *p, Name name, DocFieldList *fields, Span span);
DocField *tree_docfield(Parser *p, Name name, TypeRef type, Expr *init, Span span);
Action *tree_action(Parser *p, Name name, ParamList *params, TypeRef result, Span span);
ActionParam *tree_action_param(Parser *p, Name name, TypeRef type, Span span);
Process *tree_process(Parser *p, Name name, Expr *title, Name doc);
Process *tree_process_body(Parser *p, Process *proc, MemberList *members, Span span);
/* What error recovery leaves of a member: an S_ERROR statement. */
Member tree_error_member(Parser *p, Span span);
Trigger *tree_trigger(Parser *p, Name word, NameList *fields, Expr *when, Span span);
Decl *tree_decl(Parser *p, DeclKind kind, Name name, TypeRef type, Expr *init, Expr *label,
                Span span);

/* ---- states ------------------------------------------------------------------ */

States *tree_states(Parser *p, StateList *states, Span span);
State *tree_state(Parser *p, Name name, Expr *label, bool final, Span span);
State *tree_state_body(Parser *p, State *st, StateBody *body, Span span);
void tree_state_enter(Parser *p, StateBody *body, Block *enter, Span keyword);
Command *tree_command(Parser *p, Name name, Expr *label, ExprList *by, Name target, Block *body,
                      Span span);

/* ---- statements ---------------------------------------------------------------- */

Block *tree_block(Parser *p, StmtList *stmts, Span span);
/* A zeroed statement of that kind; an S_HUMAN one with its zeroed HumanStep. */
Stmt *tree_stmt(Parser *p, StmtKind kind, Span span);
Stmt *tree_assign(Parser *p, Name target, Expr *value, Span span);
Stmt *tree_call_stmt(Parser *p, Name action, ExprList *args, Name result, Span span);
Stmt *tree_if(Parser *p, Expr *cond, Block *then, Span span);
void tree_if_add(Parser *p, Stmt *s, Expr *cond, Block *then, Span span);
void tree_if_else(Stmt *s, Block *otherwise, Span span);
Stmt *tree_while(Parser *p, Expr *cond, Block *body, Span span);
Stmt *tree_loop(Parser *p, Block *body, Span span);
Stmt *tree_for(Parser *p, Name var, Expr *list, Block *body, Span span);
Stmt *tree_parallel(Parser *p, bool any, BlockList *branches, Span span);
Stmt *tree_wait(Parser *p, bool until, Expr *value, Span span);
Stmt *tree_terminate(Parser *p, Expr *reason, Span span);
Stmt *tree_notify(Parser *p, ExprList *who, Expr *message, Span span);
Stmt *tree_log(Parser *p, Expr *text, Span span);
Stmt *tree_start(Parser *p, Name process, ArgList *args, Span span);
NamedArg *tree_named_arg(Parser *p, Name name, Expr *value);
Stmt *tree_goto(Parser *p, Name state, Span span);
Stmt *tree_reassign(Parser *p, ExprList *who, Expr *due, Span span);
Stmt *tree_add(Parser *p, ExprList *who, Span span);
Stmt *tree_try(Parser *p, Block *body, Catch *first, Span span);
void tree_try_add(Parser *p, Stmt *try_stmt, Catch *c, Span span);
Catch *tree_catch(Parser *p, ExprList *codes, Name var, Block *body, Span span);
Stmt *tree_throw(Parser *p, Expr *code, Expr *message, Span span);
/* wait message NAME [{ fields }]: the name an identifier (quoted NULL) or a string;
 * fields NULL when no braces were written. */
Stmt *tree_receive(Parser *p, Name name, Expr *quoted, FieldList *fields, Span span);

/* ---- human steps -------------------------------------------------------------- */

/* fields is NULL when no `{ ... }` was written; at is where to report a
 * missing or misplaced field list. */
Stmt *tree_human(Parser *p, HumanKind kind, ExprList *who, Expr *title, FieldList *fields, Span at,
                 Span span);
RequestField *tree_request_field(Parser *p, Name name, TypeRef type, Expr *label, Span span);
void tree_human_mode(Parser *p, Stmt *s, const char *word, Span word_at, Expr *percent,
                     Span clause);
void tree_human_wait_all(Parser *p, Stmt *s, Span clause);
void tree_human_due(Parser *p, Stmt *s, Expr *due, Span clause);
void tree_human_result(Parser *p, Stmt *s, Name result, Span clause);
void tree_human_remind(Parser *p, Stmt *s, Expr *before, const char *word, Span word_at,
                       Block *body, Span tail);
void tree_human_timeout_times(Parser *p, Stmt *s, const char *word, Span word_at, const char *times_word,
                              Span times_at, Expr *times, Block *body, Span keywords);
void tree_human_timeout(Parser *p, Stmt *s, const char *word, Span word_at, Block *body,
                        Span keywords);
void tree_human_on_message(Parser *p, Stmt *s, const char *word, Span word_at, Name name, Expr *quoted,
                           Block *body, Span clause);
void tree_human_after(Parser *p, Stmt *s, Expr *delay, const char *every_word, Span every_at,
                      Expr *every, const char *times_word, Span times_at, Expr *times, Block *body,
                      Span clause);

/* ---- expressions ---------------------------------------------------------------- */

Expr *tree_int(Parser *p, int64_t value, Span span);
Expr *tree_decimal(Parser *p, LexDecimal value, Span span);
Expr *tree_duration(Parser *p, LexDuration value, Span span);
Expr *tree_bool(Parser *p, bool value, Span span);
Expr *tree_name_expr(Parser *p, const char *name, Span span);
Expr *tree_list(Parser *p, ExprList *items, Span span);
Expr *tree_field(Parser *p, Expr *obj, Name member, Span span);
Expr *tree_date(Parser *p, const char *text, bool with_time, Span span);
Expr *tree_call(Parser *p, Name fn, ExprList *args, Span span);
Expr *tree_unary(Parser *p, UnaryOp op, Expr *operand, Span span);
Expr *tree_binary(Parser *p, BinaryOp op, Expr *lhs, Expr *rhs, Span op_span);
Expr *tree_cond(Parser *p, Expr *cond, Expr *then, Expr *otherwise, Span span);
StrPart tree_text_part(LexText text, Span span);
StrPart tree_expr_part(Expr *e, Span span);
Expr *tree_string(Parser *p, PartList *parts, Span span);
/* A string of one text part (the parser's shortcut for the most common string). */
Expr *tree_text_string(Parser *p, LexText text, Span text_span, Span span);

#endif
