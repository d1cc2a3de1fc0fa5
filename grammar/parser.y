/* parser.y — the grammar of `.bp` files and the syntax tree it builds.
 *
 * Tokens come from the scanner through the filter in compiler/lex.c, which
 * inserts SEP at line ends that end a statement (Go style), so the grammar
 * below reads like the reference: lists of items separated by SEP.
 *
 * The actions only call the tree builders of compiler/parse_tree.c; every node
 * lives in the Program's arena. Syntax errors are reported by
 * yyreport_syntax_error below; every SEP-separated list has `error`
 * alternatives, so a bad line costs just itself and later errors are reported
 * too. The filter helps by skipping a block opened on a bad line whole. */

%code requires {
#include <stdint.h>

#include "ast.h"

typedef struct Parser Parser;

/* Token values the scanner produces. */
typedef struct LexText {    /* STR_TEXT: decoded UTF-8 */
  const char *s;
  uint32_t len;
} LexText;
typedef struct LexDecimal { /* DECIMAL: exact (an Expr keeps the digits in u.dec, the scale in its header) */
  const char *text;
  int64_t unscaled;
  uint8_t scale;
} LexDecimal;
typedef struct LexDuration { /* DURATION: seconds, and the text as written */
  const char *text;
  int64_t seconds;
} LexDuration;

/* The lists the grammar collects, on the parser's stack of lists (`at` is
 * where the list starts there); the builders copy each to the array with a
 * count that ast.h wants. See LIST_PUSH in parse_tree.h. */
#define LIST_OF(T) struct { T *items; uint32_t n, at; }
typedef LIST_OF(Expr *) ExprList;
typedef LIST_OF(Stmt *) StmtList;
typedef LIST_OF(Block *) BlockList;
typedef LIST_OF(StrPart) PartList;
typedef LIST_OF(Member) MemberList;
typedef LIST_OF(DocField) DocFieldList;
typedef LIST_OF(ActionParam) ParamList;
typedef LIST_OF(State) StateList;
typedef LIST_OF(Command) CommandList;
typedef LIST_OF(RequestField) FieldList;
typedef LIST_OF(NamedArg) ArgList;
typedef LIST_OF(Name) NameList;

/* What a state's body collects: its `enter` block and commands. */
typedef struct StateBody {
  Block *enter;
  CommandList commands;
} StateBody;
}

%code {
#include <string.h>

/* The fast parser (parser_fast.c, BPC_PARSER_FAST) has flex's scanner inline in its
 * loop: lexer.c is included at the end of this file, where its scanner is
 * lex_yylex_inline (YY_DECL in lexer.l), and lex_yylex, the scanner as a function for
 * the filter's other path and everyone else, calls it. The call, and the saving and
 * restoring of the registers both loops use, cost about 19 instructions a token. */
#ifdef BPC_PARSER_FAST
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int lex_yylex_inline(PARSE_YYSTYPE *value, Span *span, void *scanner);
#define LEX_SCAN_FAST lex_yylex_inline
#endif

#include "lex_filter.h"
#include "parse_tree.h"

/* A nonterminal's span runs from its first to its last symbol; an empty one
 * sits, with length 0, just after what precedes it. The symbols come in the
 * order of the text (an empty one at the end of what precedes it, a SEP at its
 * newline, the end of the file at its end), so the first starts first and the
 * last ends last: no min and max at each of the 600,000 reductions
 * of 100,000 lines. (A build that checked the order at every reduction ran
 * through every .bp of the repository and 8,000 broken variants of them.) */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                        \
  do {                                                                     \
    if (N)                                                                 \
      (Cur) = span_make(YYRHSLOC(Rhs, 1).off,                              \
                        YYRHSLOC(Rhs, N).off + YYRHSLOC(Rhs, N).len -      \
                            YYRHSLOC(Rhs, 1).off);                         \
    else                                                                   \
      (Cur) = span_make(YYRHSLOC(Rhs, 0).off + YYRHSLOC(Rhs, 0).len, 0);   \
  } while (0)

/* Inline, with the filter (lex_filter.h): the parser's loop has saved the
 * registers a call would save again for every token. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int yylex(YYSTYPE *value, Span *span, Parser *p) {
  return lex_filter_next(&p->lex, value, span);
}
static void yyerror(const Span *span, Parser *p, const char *message);
}

%define api.pure full
%define api.token.raw
%define api.prefix {parse_yy}
%define api.location.type {Span}
%locations
%define parse.error custom
%define parse.lac full
%expect 0
%parse-param {Parser *p}
%lex-param {Parser *p}

%union {
  const char *str;
  int64_t ival;
  const LexDecimal *dec; /* in the arena: a decimal is rare, and 24 bytes inline made every value 24 */
  LexDuration dur;
  LexText text;
  Expr *expr;
  Stmt *stmt;
  Block *block;
  Member member;
  Document *document;
  DocField *docfield;
  Action *action;
  ActionParam *aparam;
  Process *process;
  Trigger *trigger;
  Decl *decl;
  States *states;
  State *state;
  StateBody *sbody;
  Command *command;
  RequestField *rfield;
  NamedArg *narg;
  ExprList exprs;
  StmtList stmts;
  BlockList blocks;
  PartList parts;
  MemberList members;
  DocFieldList docfields;
  ParamList params;
  StateList states_;
  FieldList rfields;
  ArgList nargs;
  NameList names;
  Catch *catch_;
  Name name_;
}

/* Every value lives in the Program's arena, freed as a whole with it: a
 * symbol discarded during error recovery needs no destructor of its own. */
%destructor { (void)$$; } <*>

/* ---- tokens: every one has the name a user reads in a message ----------- */
%token TK_EOF 0 "end of file"
%token <str> TK_IDENT "identifier"
%token <ival> TK_INT "number"
%token <dec> TK_DECIMAL "decimal"
%token <dur> TK_DURATION "duration"
%token <str> TK_DATE "date" TK_DATETIME "datetime"
%token TK_STR_BEGIN "string"
%token <text> TK_STR_TEXT "text"
%token TK_INTERP_BEGIN "`{` in a string"
%token TK_INTERP_END "`}` in a string"
%token TK_STR_END "end of string"
%token TK_SEP "end of line"
/* End of file while a block is open; never accepted, so the parser reports
 * it (as "end of file") and the filter then closes the open blocks. */
%token TK_EOF_OPEN "end of input"
/* Characters that start no token; the scanner has reported them, and the
 * parser's message for the same line is left out. */
%token TK_INVALID "invalid character"

%token TK_DOCUMENT "`document`" TK_ACTION "`action`" TK_PROCESS "`process`"
%token TK_ON "`on`" TK_START "`start`" TK_PARAM "`param`" TK_VAR "`var`"
%token TK_CONST "`const`" TK_TASK "`task`" TK_APPROVE "`approve`"
%token TK_REVIEW "`review`" TK_REQUEST "`request`" TK_MODE "`mode`" TK_DUE "`due`"
%token TK_REMIND "`remind`" TK_NOTIFY "`notify`" TK_LOG "`log`" TK_IF "`if`"
%token TK_ELSE "`else`" TK_WHILE "`while`" TK_LOOP "`loop`" TK_FOR "`for`"
%token TK_IN "`in`" TK_BREAK "`break`" TK_CONTINUE "`continue`"
%token TK_PARALLEL "`parallel`" TK_BRANCH "`branch`" TK_WAIT "`wait`"
%token TK_WAIT_MESSAGE "`wait message`"
%token TK_WAIT_ALL "`wait all`" TK_UNTIL "`until`" TK_TERMINATE "`terminate`"
%token TK_GOTO "`goto`" TK_STATES "`states`" TK_COMMAND "`command`" TK_BY "`by`"
%token TK_AFTER "`after`"
%token TK_FINAL "`final`" TK_ENTER "`enter`" TK_TRUE "`true`" TK_FALSE "`false`"
%token TK_AND "`and`" TK_OR "`or`" TK_NOT "`not`" TK_REASSIGN "`reassign`"
%token TK_ADD "`add`" TK_WHEN "`when`"
%token TK_TRY "`try`" TK_CATCH "`catch`" TK_THROW "`throw`"

%token TK_ASSIGN "`=`" TK_LBRACE "`{`" TK_RBRACE "`}`" TK_LPAREN "`(`" TK_RPAREN "`)`"
%token TK_LBRACKET "`[`" TK_RBRACKET "`]`" TK_COMMA "`,`" TK_COLON "`:`"
%token TK_DOT "`.`" TK_ARROW "`->`" TK_QUESTION "`?`"
%token TK_PLUS "`+`" TK_MINUS "`-`" TK_STAR "`*`" TK_SLASH "`/`" TK_PERCENT "`%`"
%token TK_EQ "`==`" TK_NE "`!=`" TK_LT "`<`" TK_LE "`<=`" TK_GT "`>`" TK_GE "`>=`"

/* A string of text alone: the end of the string is shifted, not the text reduced
 * to a list of one part (see str_parts). */
%precedence TK_STR_TEXT
%precedence TK_STR_END

/* Operators, loosest first (LANGUAGE.md). */
%right TK_QUESTION TK_COLON
%left TK_OR
%left TK_AND
%precedence TK_NOT
%nonassoc TK_EQ TK_NE TK_LT TK_LE TK_GT TK_GE TK_IN
%left TK_PLUS TK_MINUS
%left TK_STAR TK_SLASH TK_PERCENT
%precedence UMINUS
%precedence TK_DOT

%type <expr> expr postfix string opt_init opt_label
%type <exprs> exprs
%type <names> names opt_names
%type <parts> str_parts
%type <docfields> docfield_seq docfield_list
%type <params> params opt_params
%type <members> member_seq member_list
%type <stmts> stmt_seq
%type <states_> state_seq state_list
%type <rfields> rfield_seq rfield_list
%type <blocks> branch_seq branch_list
%type <nargs> named_args opt_named_args
%type <name_> type opt_type opt_result_type
%type <document> document
%type <docfield> docfield
%type <action> action
%type <aparam> param
%type <process> process process_head
%type <member> member
%type <trigger> trigger
%type <decl> decl
%type <states> states
%type <state> state state_head
%type <sbody> smember_seq smember_list
%type <command> command
%type <block> block branch
%type <stmt> stmt if_chain human human_clauses
%type <rfield> rfield
%type <narg> named_arg
%type <str> opt_parallel_any word
%type <stmt> try_stmt
%type <catch_> catch_clause
%type <exprs> catch_codes
%type <name_> opt_catch_as

%%

/* ---- a file: document types, actions and processes ---------------------- */
/* Items are handed to the Parser as soon as they are complete, so they stay
 * in the tree even if a later error makes the parse give up. */
program
  : items
  ;

items
  : %empty
  | items TK_SEP
  | items document TK_SEP   { tree_add_item(p, I_DOCUMENT, $2); }
  | items action TK_SEP     { tree_add_item(p, I_ACTION, $2); }
  | items process TK_SEP    { tree_add_item(p, I_PROCESS, $2); }
  | items error TK_SEP      { yyerrok; }
  ;

/* ---- document NAME { field: type [= default] ... } ---------------------- */
document
  : TK_DOCUMENT TK_IDENT TK_LBRACE docfield_list TK_RBRACE
      { $$ = tree_document(p, tree_name($2, @2), &$4, @$); }
  ;

/* A list whose last element may be followed directly by `}`; the same shape
 * is used for every brace-delimited list below. */
docfield_list
  : docfield_seq
  | docfield_seq docfield   { $$ = $1; LIST_PUSH(p, &$$, *$2); }
  | docfield_seq error      { $$ = $1; yyerrok; }
  ;

docfield_seq
  : %empty                  { LIST_INIT($$); }
  | docfield_seq TK_SEP
  | docfield_seq docfield TK_SEP { $$ = $1; LIST_PUSH(p, &$$, *$2); }
  | docfield_seq error TK_SEP    { $$ = $1; yyerrok; }
  ;

docfield
  : TK_IDENT TK_COLON type opt_init
      { $$ = tree_docfield(p, tree_name($1, @1), tree_type($3), $4, @$); }
  | word TK_COLON type opt_init
      { $$ = tree_docfield(p, tree_name($1, @1), tree_type($3), $4, @$); }
  ;

type
  : TK_IDENT                 { $$ = tree_name($1, @1); }
  ;

opt_init
  : %empty                  { $$ = NULL; }
  | TK_ASSIGN expr           { $$ = $2; }
  ;

/* ---- action NAME(p: T, ...)[: T] ----------------------------------------- */
action
  : TK_ACTION TK_IDENT TK_LPAREN opt_params TK_RPAREN opt_result_type
      { $$ = tree_action(p, tree_name($2, @2), &$4, tree_type($6), @$); }
  ;

opt_params
  : %empty                  { LIST_INIT($$); }
  | params
  ;

params
  : param                   { LIST_INIT($$); LIST_PUSH(p, &$$, *$1); }
  | params TK_COMMA param    { $$ = $1; LIST_PUSH(p, &$$, *$3); }
  ;

param
  : TK_IDENT TK_COLON type     { $$ = tree_action_param(p, tree_name($1, @1), tree_type($3), @$); }
  ;

opt_result_type
  : %empty                  { $$ = (Name){0}; }
  | TK_COLON type            { $$ = $2; }
  ;

/* ---- process NAME ["title"] [on DOC] { members } ------------------------ */
process
  : process_head TK_LBRACE member_list TK_RBRACE
      { $$ = tree_process_body(p, $1, &$3, @$); }
  ;

process_head
  : TK_PROCESS TK_IDENT opt_label
      { $$ = tree_process(p, tree_name($2, @2), $3, (Name){0}); }
  | TK_PROCESS TK_IDENT opt_label TK_ON TK_IDENT
      { $$ = tree_process(p, tree_name($2, @2), $3, tree_name($5, @5)); }
  ;

/* string's rules again (as in expr): `opt_label: string` was one reduction more
 * for each label. */
opt_label
  : %empty                  { $$ = NULL; }
  | TK_STR_BEGIN TK_STR_END   { PartList none; LIST_INIT(none); $$ = tree_string(p, &none, @$); }
  | TK_STR_BEGIN TK_STR_TEXT TK_STR_END { $$ = tree_text_string(p, $2, @2, @$); }
  | TK_STR_BEGIN str_parts TK_STR_END  { $$ = tree_string(p, &$2, @$); }
  ;

/* A statement or a declaration is pushed as a member in the list's own rules:
 * `member: stmt` was one reduction more for each. */
member_list
  : member_seq
  | member_seq member       { $$ = $1; LIST_PUSH(p, &$$, $2); }
  | member_seq stmt         { $$ = $1; LIST_PUSH(p, &$$, ((Member){.kind = M_STMT, .u.stmt = $2})); }
  | member_seq decl         { $$ = $1; LIST_PUSH(p, &$$, ((Member){.kind = M_DECL, .u.decl = $2})); }
  | member_seq error        { $$ = $1; yyerrok; LIST_PUSH(p, &$$, tree_error_member(p, @2)); }
  ;

member_seq
  : %empty                  { LIST_INIT($$); }
  | member_seq TK_SEP
  | member_seq member TK_SEP { $$ = $1; LIST_PUSH(p, &$$, $2); }
  | member_seq stmt TK_SEP
      { $$ = $1; LIST_PUSH(p, &$$, ((Member){.kind = M_STMT, .u.stmt = $2})); }
  | member_seq decl TK_SEP
      { $$ = $1; LIST_PUSH(p, &$$, ((Member){.kind = M_DECL, .u.decl = $2})); }
  | member_seq error TK_SEP  { $$ = $1; yyerrok; LIST_PUSH(p, &$$, tree_error_member(p, @2)); }
  ;

/* The rarer members (a statement and a declaration: member_seq's rules). */
member
  : trigger                 { $$ = (Member){.kind = M_TRIGGER, .u.trigger = $1}; }
  | states                  { $$ = (Member){.kind = M_STATES, .u.states = $1}; }
  ;

/* ---- start on create | start on change F, G [when COND] ----------------- */
trigger
  : TK_START TK_ON TK_IDENT opt_names
      { $$ = tree_trigger(p, tree_name($3, @3), &$4, NULL, @$); }
  | TK_START TK_ON TK_IDENT opt_names TK_WHEN expr
      { $$ = tree_trigger(p, tree_name($3, @3), &$4, $6, @$); }
  ;

opt_names
  : %empty                  { LIST_INIT($$); }
  | names
  ;

names
  : TK_IDENT                 { LIST_INIT($$); LIST_PUSH(p, &$$, tree_name($1, @1)); }
  | names TK_COMMA TK_IDENT   { $$ = $1; LIST_PUSH(p, &$$, tree_name($3, @3)); }
  ;

/* ---- param / var / const ------------------------------------------------- */
decl
  : TK_PARAM TK_IDENT TK_COLON type opt_init opt_label
      { $$ = tree_decl(p, D_PARAM, tree_name($2, @2), tree_type($4), $5, $6, @$); }
  | TK_VAR TK_IDENT opt_type opt_init
      { $$ = tree_decl(p, D_VAR, tree_name($2, @2), tree_type($3), $4, NULL, @$); }
  | TK_CONST TK_IDENT opt_type TK_ASSIGN expr
      { $$ = tree_decl(p, D_CONST, tree_name($2, @2), tree_type($3), $5, NULL, @$); }
  ;

opt_type
  : %empty                  { $$ = (Name){0}; }
  | TK_COLON TK_IDENT         { $$ = tree_name($2, @2); } /* type's rule, one reduction less */
  ;

/* ---- states { NAME ["label"] [final] [{ enter {...} command ... }] ... } - */
states
  : TK_STATES TK_LBRACE state_list TK_RBRACE   { $$ = tree_states(p, &$3, @$); }
  ;

state_list
  : state_seq
  | state_seq state         { $$ = $1; LIST_PUSH(p, &$$, *$2); }
  | state_seq error         { $$ = $1; yyerrok; }
  ;

state_seq
  : %empty                  { LIST_INIT($$); }
  | state_seq TK_SEP
  | state_seq state TK_SEP   { $$ = $1; LIST_PUSH(p, &$$, *$2); }
  | state_seq error TK_SEP   { $$ = $1; yyerrok; }
  ;

state
  : state_head
  | state_head TK_LBRACE smember_list TK_RBRACE
      { $$ = tree_state_body(p, $1, $3, @$); }
  ;

state_head
  : TK_IDENT opt_label
      { $$ = tree_state(p, tree_name($1, @1), $2, false, @$); }
  | TK_IDENT opt_label TK_FINAL
      { $$ = tree_state(p, tree_name($1, @1), $2, true, @$); }
  | word opt_label
      { $$ = tree_state(p, tree_name($1, @1), $2, false, @$); }
  | word opt_label TK_FINAL
      { $$ = tree_state(p, tree_name($1, @1), $2, true, @$); }
  ;

smember_list
  : smember_seq
  | smember_seq TK_ENTER block   { $$ = $1; tree_state_enter(p, $$, $3, @2); }
  | smember_seq command         { $$ = $1; LIST_PUSH(p, &$$->commands, *$2); }
  | smember_seq error           { $$ = $1; yyerrok; }
  ;

smember_seq
  : %empty                      { $$ = arena_alloc(p->arena, sizeof *$$); }
  | smember_seq TK_SEP
  | smember_seq TK_ENTER block TK_SEP { $$ = $1; tree_state_enter(p, $$, $3, @2); }
  | smember_seq command TK_SEP   { $$ = $1; LIST_PUSH(p, &$$->commands, *$2); }
  | smember_seq error TK_SEP     { $$ = $1; yyerrok; }
  ;

/* command NAME ["label"] [by WHO] (-> STATE | { ... }) */
command
  : TK_COMMAND TK_IDENT opt_label TK_ARROW TK_IDENT
      { $$ = tree_command(p, tree_name($2, @2), $3, NULL, tree_name($5, @5), NULL, @$); }
  | TK_COMMAND TK_IDENT opt_label block
      { $$ = tree_command(p, tree_name($2, @2), $3, NULL, (Name){0}, $4, @$); }
  | TK_COMMAND TK_IDENT opt_label TK_BY exprs TK_ARROW TK_IDENT
      { $$ = tree_command(p, tree_name($2, @2), $3, &$5, tree_name($7, @7), NULL, @$); }
  | TK_COMMAND TK_IDENT opt_label TK_BY exprs block
      { $$ = tree_command(p, tree_name($2, @2), $3, &$5, (Name){0}, $6, @$); }
  ;

/* ---- blocks and statements ----------------------------------------------- */
block
  : TK_LBRACE stmt_seq TK_RBRACE  { $$ = tree_block(p, &$2, @$); }
  /* The shape of the other brace-delimited lists (docfield_list), with the list's
   * last item in the block's own rules: a stmt_list between them was one reduction
   * more for each block. */
  | TK_LBRACE stmt_seq stmt TK_RBRACE
      { LIST_PUSH(p, &$2, $3); $$ = tree_block(p, &$2, @$); }
  | TK_LBRACE stmt_seq error TK_RBRACE
      { yyerrok; LIST_PUSH(p, &$2, tree_stmt(p, S_ERROR, @3)); $$ = tree_block(p, &$2, @$); }
  ;

stmt_seq
  : %empty                   { LIST_INIT($$); }
  | stmt_seq TK_SEP
  | stmt_seq stmt TK_SEP      { $$ = $1; LIST_PUSH(p, &$$, $2); }
  | stmt_seq error TK_SEP     { $$ = $1; yyerrok; LIST_PUSH(p, &$$, tree_stmt(p, S_ERROR, @2)); }
  ;

stmt
  : TK_IDENT TK_ASSIGN expr
      { $$ = tree_assign(p, tree_name($1, @1), $3, @$); }
  | word TK_ASSIGN expr
      { $$ = tree_assign(p, tree_name($1, @1), $3, @$); }
  /* The calls without and with arguments apart (here and in expr): an optional
   * list would be one reduction more for each call. */
  | TK_IDENT TK_LPAREN TK_RPAREN
      { ExprList none; LIST_INIT(none);
        $$ = tree_call_stmt(p, tree_name($1, @1), &none, (Name){0}, @$); }
  | TK_IDENT TK_LPAREN exprs TK_RPAREN
      { $$ = tree_call_stmt(p, tree_name($1, @1), &$3, (Name){0}, @$); }
  | TK_IDENT TK_LPAREN TK_RPAREN TK_ARROW TK_IDENT
      { ExprList none; LIST_INIT(none);
        $$ = tree_call_stmt(p, tree_name($1, @1), &none, tree_name($5, @5), @$); }
  | TK_IDENT TK_LPAREN exprs TK_RPAREN TK_ARROW TK_IDENT
      { $$ = tree_call_stmt(p, tree_name($1, @1), &$3, tree_name($6, @6), @$); }
  | human
  /* if C { } else if C { } ... [else { }] */
  | if_chain
  | if_chain TK_ELSE block    { $$ = $1; tree_if_else($$, $3, @$); }
  | TK_WHILE expr block       { $$ = tree_while(p, $2, $3, @$); }
  | TK_LOOP block             { $$ = tree_loop(p, $2, @$); }
  | TK_FOR TK_IDENT TK_IN expr block
      { $$ = tree_for(p, tree_name($2, @2), $4, $5, @$); }
  | TK_BREAK                  { $$ = tree_stmt(p, S_BREAK, @$); }
  | TK_CONTINUE               { $$ = tree_stmt(p, S_CONTINUE, @$); }
  | TK_PARALLEL opt_parallel_any TK_LBRACE branch_list TK_RBRACE
      { $$ = tree_parallel(p, $2 != NULL, &$4, @$); }
  | TK_WAIT expr              { $$ = tree_wait(p, false, $2, @$); }
  | TK_WAIT TK_UNTIL expr      { $$ = tree_wait(p, true, $3, @$); }
  | TK_WAIT_MESSAGE TK_IDENT   { $$ = tree_receive(p, tree_name($2, @2), NULL, NULL, @$); }
  | TK_WAIT_MESSAGE string     { $$ = tree_receive(p, (Name){0}, $2, NULL, @$); }
  | TK_WAIT_MESSAGE TK_IDENT TK_LBRACE rfield_list TK_RBRACE
      { $$ = tree_receive(p, tree_name($2, @2), NULL, &$4, @$); }
  | TK_WAIT_MESSAGE string TK_LBRACE rfield_list TK_RBRACE
      { $$ = tree_receive(p, (Name){0}, $2, &$4, @$); }
  | TK_TERMINATE              { $$ = tree_terminate(p, NULL, @$); }
  | TK_TERMINATE string       { $$ = tree_terminate(p, $2, @$); }
  | TK_NOTIFY exprs string    { $$ = tree_notify(p, &$2, $3, @$); }
  | TK_LOG string             { $$ = tree_log(p, $2, @$); }
  | TK_START TK_IDENT          { $$ = tree_start(p, tree_name($2, @2), NULL, @$); }
  | TK_START TK_IDENT TK_LPAREN opt_named_args TK_RPAREN
      { $$ = tree_start(p, tree_name($2, @2), &$4, @$); }
  | TK_GOTO TK_IDENT           { $$ = tree_goto(p, tree_name($2, @2), @$); }
  | TK_REASSIGN exprs         { $$ = tree_reassign(p, &$2, NULL, @$); }
  | TK_REASSIGN exprs TK_DUE expr { $$ = tree_reassign(p, &$2, $4, @$); }
  | TK_ADD exprs              { $$ = tree_add(p, &$2, @$); }
  | try_stmt
  | TK_THROW expr             { $$ = tree_throw(p, $2, NULL, @$); }
  | TK_THROW expr string      { $$ = tree_throw(p, $2, $3, @$); }
  ;

/* try { } catch ["CODE", ...] [as NAME] { } ... */
try_stmt
  : TK_TRY block catch_clause  { $$ = tree_try(p, $2, $3, @$); }
  | try_stmt catch_clause      { $$ = $1; tree_try_add(p, $$, $2, @$); }
  ;

catch_clause
  : TK_CATCH opt_catch_as block             { $$ = tree_catch(p, NULL, $2, $3, @$); }
  | TK_CATCH catch_codes opt_catch_as block { $$ = tree_catch(p, &$2, $3, $4, @$); }
  | TK_CATCH TK_IDENT block
      { (void)$2; diag_error(p->diags, @2, "an error code to catch is a string literal, like \"late\"");
        $$ = tree_catch(p, NULL, (Name){0}, $3, @$); }
  ;

catch_codes
  : string                    { LIST_INIT($$); LIST_PUSH(p, &$$, $1); }
  | catch_codes TK_COMMA string { $$ = $1; LIST_PUSH(p, &$$, $3); }
  ;

opt_catch_as
  : %empty                    { $$ = (Name){0}; }
  | TK_IDENT TK_IDENT
      { $$ = tree_expect_word(p, $1, @1, "as", "expected `as NAME` or `{` after `catch`")
                 ? tree_name($2, @2) : (Name){0}; }
  ;

if_chain
  : TK_IF expr block          { $$ = tree_if(p, $2, $3, @$); }
  | if_chain TK_ELSE TK_IF expr block { $$ = $1; tree_if_add(p, $$, $4, $5, @$); }
  ;

/* parallel [any] { branch { } ... } */
opt_parallel_any
  : %empty                   { $$ = NULL; }
  | TK_IDENT                  { $$ = tree_expect_word(p, $1, @1, "any", "expected `any` or `{` after `parallel`"); }
  ;

branch_list
  : branch_seq
  | branch_seq branch        { $$ = $1; LIST_PUSH(p, &$$, $2); }
  | branch_seq error         { $$ = $1; yyerrok; }
  ;

branch_seq
  : %empty                   { LIST_INIT($$); }
  | branch_seq TK_SEP
  | branch_seq branch TK_SEP  { $$ = $1; LIST_PUSH(p, &$$, $2); }
  | branch_seq error TK_SEP   { $$ = $1; yyerrok; }
  ;

branch
  : TK_BRANCH block           { $$ = $2; }
  ;

/* start PROCESS(name: expr, ...) */
opt_named_args
  : %empty                   { LIST_INIT($$); }
  | named_args
  ;

named_args
  : named_arg                { LIST_INIT($$); LIST_PUSH(p, &$$, *$1); }
  | named_args TK_COMMA named_arg { $$ = $1; LIST_PUSH(p, &$$, *$3); }
  ;

named_arg
  : TK_IDENT TK_COLON expr     { $$ = tree_named_arg(p, tree_name($1, @1), $3); }
  ;

/* ---- human steps: KIND WHO "title" [{ fields }] clause* tail* ------------ */
/* Clauses and tails are folded into the step as they come (left recursion);
 * their order is free, a repeated one is reported by the builder. */
human
  : human_clauses
  | human TK_REMIND expr TK_IDENT block
      { $$ = $1; tree_human_remind(p, $$, $3, $4, @4, $5, span_join(@2, @5)); }
  | human TK_REMIND expr TK_AFTER block /* `after` is a word of its own: still "expected before" */
      { $$ = $1; tree_human_remind(p, $$, $3, "after", @4, $5, span_join(@2, @5)); }
  | human TK_ON TK_IDENT block
      { $$ = $1; tree_human_timeout(p, $$, $3, @3, $4, span_join(@2, @3)); }
  /* on timeout times N { ... }: the escalation runs at most N times */
  | human TK_ON TK_IDENT TK_IDENT expr block
      { $$ = $1; tree_human_timeout_times(p, $$, $3, @3, $4, @4, $5, $6, span_join(@2, @3)); }
  /* on message NAME { ... } */
  | human TK_ON TK_IDENT TK_IDENT block
      { $$ = $1; tree_human_on_message(p, $$, $3, @3, tree_name($4, @4), NULL, $5, span_join(@2, @4)); }
  | human TK_ON TK_IDENT string block
      { $$ = $1; tree_human_on_message(p, $$, $3, @3, (Name){0}, $4, $5, span_join(@2, @4)); }
  /* after DELAY [every PERIOD [times N]] { ... } */
  | human TK_AFTER expr block
      { $$ = $1; tree_human_after(p, $$, $3, NULL, @2, NULL, NULL, @2, NULL, $4, span_join(@2, @3)); }
  | human TK_AFTER expr TK_IDENT expr block
      { $$ = $1; tree_human_after(p, $$, $3, $4, @4, $5, NULL, @2, NULL, $6, span_join(@2, @5)); }
  | human TK_AFTER expr TK_IDENT expr TK_IDENT expr block
      { $$ = $1; tree_human_after(p, $$, $3, $4, @4, $5, $6, @6, $7, $8, span_join(@2, @7)); }
  ;

/* The step's head (KIND WHO "title" [{ fields }]) is human_clauses' first rules,
 * not a nonterminal of its own: one reduction less for each step. */
human_clauses
  : TK_TASK exprs string      { $$ = tree_human(p, H_TASK, &$2, $3, NULL, @1, @$); }
  | TK_APPROVE exprs string   { $$ = tree_human(p, H_APPROVE, &$2, $3, NULL, @1, @$); }
  | TK_REVIEW exprs string    { $$ = tree_human(p, H_REVIEW, &$2, $3, NULL, @1, @$); }
  | TK_REQUEST exprs string   { $$ = tree_human(p, H_REQUEST, &$2, $3, NULL, @1, @$); }
  | TK_TASK exprs string TK_LBRACE rfield_list TK_RBRACE
      { $$ = tree_human(p, H_TASK, &$2, $3, &$5, @4, @$); }
  | TK_APPROVE exprs string TK_LBRACE rfield_list TK_RBRACE
      { $$ = tree_human(p, H_APPROVE, &$2, $3, &$5, @4, @$); }
  | TK_REVIEW exprs string TK_LBRACE rfield_list TK_RBRACE
      { $$ = tree_human(p, H_REVIEW, &$2, $3, &$5, @4, @$); }
  | TK_REQUEST exprs string TK_LBRACE rfield_list TK_RBRACE
      { $$ = tree_human(p, H_REQUEST, &$2, $3, &$5, @4, @$); }
  | human_clauses TK_MODE TK_IDENT
      { $$ = $1; tree_human_mode(p, $$, $3, @3, NULL, span_join(@2, @3)); }
  | human_clauses TK_MODE TK_IDENT postfix TK_PERCENT
      { $$ = $1; tree_human_mode(p, $$, $3, @3, $4, span_join(@2, @5)); }
  | human_clauses TK_MODE TK_IDENT TK_MINUS postfix TK_PERCENT
      { $$ = $1; tree_human_mode(p, $$, $3, @3, tree_unary(p, U_NEG, $5, span_join(@4, @5)),
                                 span_join(@2, @6)); }
  | human_clauses TK_WAIT_ALL { $$ = $1; tree_human_wait_all(p, $$, @2); }
  | human_clauses TK_DUE expr { $$ = $1; tree_human_due(p, $$, $3, span_join(@2, @3)); }
  | human_clauses TK_ARROW TK_IDENT
      { $$ = $1; tree_human_result(p, $$, tree_name($3, @3), span_join(@2, @3)); }
  ;

rfield_list
  : rfield_seq
  | rfield_seq rfield        { $$ = $1; LIST_PUSH(p, &$$, *$2); }
  | rfield_seq error         { $$ = $1; yyerrok; }
  ;

rfield_seq
  : %empty                   { LIST_INIT($$); }
  | rfield_seq TK_SEP
  | rfield_seq rfield TK_SEP  { $$ = $1; LIST_PUSH(p, &$$, *$2); }
  | rfield_seq error TK_SEP   { $$ = $1; yyerrok; }
  ;

rfield
  : TK_IDENT TK_COLON type opt_label
      { $$ = tree_request_field(p, tree_name($1, @1), tree_type($3), $4, @$); }
  | word TK_COLON type opt_label
      { $$ = tree_request_field(p, tree_name($1, @1), tree_type($3), $4, @$); }
  ;

/* ---- names that may be reserved words -------------------------------------- */
/* A name at the start of a line (a field, a state, an assignment target) may
 * be a statement word: `review = 1`, a state named `review`. Elsewhere the
 * filter in lex.c turns such a word into an identifier where only a name can
 * stand (`-> review`, `review.approved`). The words that declare something
 * (`var`, `param`, `const`) are left out: `var = 5` is a declaration that
 * lacks its name. An identifier is not a word: each rule that takes a word has an
 * alternative with TK_IDENT in its place, as `word: TK_IDENT` was one reduction more
 * for each of the 12,000 such names of 100,000 lines. */
word
  : TK_DOCUMENT  { $$ = "document"; }
  | TK_ACTION    { $$ = "action"; }
  | TK_PROCESS   { $$ = "process"; }
  | TK_START     { $$ = "start"; }
  | TK_TASK      { $$ = "task"; }
  | TK_APPROVE   { $$ = "approve"; }
  | TK_REVIEW    { $$ = "review"; }
  | TK_REQUEST   { $$ = "request"; }
  | TK_NOTIFY    { $$ = "notify"; }
  | TK_LOG       { $$ = "log"; }
  | TK_IF        { $$ = "if"; }
  | TK_WHILE     { $$ = "while"; }
  | TK_LOOP      { $$ = "loop"; }
  | TK_FOR       { $$ = "for"; }
  | TK_BREAK     { $$ = "break"; }
  | TK_CONTINUE  { $$ = "continue"; }
  | TK_PARALLEL  { $$ = "parallel"; }
  | TK_BRANCH    { $$ = "branch"; }
  | TK_WAIT      { $$ = "wait"; }
  | TK_TERMINATE { $$ = "terminate"; }
  | TK_GOTO      { $$ = "goto"; }
  | TK_STATES    { $$ = "states"; }
  | TK_COMMAND   { $$ = "command"; }
  | TK_FINAL     { $$ = "final"; }
  | TK_ENTER     { $$ = "enter"; }
  | TK_REASSIGN  { $$ = "reassign"; }
  | TK_ADD       { $$ = "add"; }
  | TK_TRY       { $$ = "try"; }
  | TK_THROW     { $$ = "throw"; }
  ;

/* ---- expressions ---------------------------------------------------------- */
/* WHO lists and call arguments: one or more expressions separated by commas. */
exprs
  : expr                     { LIST_INIT($$); LIST_PUSH(p, &$$, $1); }
  | exprs TK_COMMA expr       { $$ = $1; LIST_PUSH(p, &$$, $3); }
  ;

expr
  : expr TK_QUESTION expr TK_COLON expr { $$ = tree_cond(p, $1, $3, $5, @$); }
  | expr TK_OR expr           { $$ = tree_binary(p, B_OR, $1, $3, @2); }
  | expr TK_AND expr          { $$ = tree_binary(p, B_AND, $1, $3, @2); }
  | TK_NOT expr               { $$ = tree_unary(p, U_NOT, $2, @$); }
  | expr TK_EQ expr           { $$ = tree_binary(p, B_EQ, $1, $3, @2); }
  | expr TK_NE expr           { $$ = tree_binary(p, B_NE, $1, $3, @2); }
  | expr TK_LT expr           { $$ = tree_binary(p, B_LT, $1, $3, @2); }
  | expr TK_LE expr           { $$ = tree_binary(p, B_LE, $1, $3, @2); }
  | expr TK_GT expr           { $$ = tree_binary(p, B_GT, $1, $3, @2); }
  | expr TK_GE expr           { $$ = tree_binary(p, B_GE, $1, $3, @2); }
  | expr TK_IN expr           { $$ = tree_binary(p, B_IN, $1, $3, @2); }
  | expr TK_PLUS expr         { $$ = tree_binary(p, B_ADD, $1, $3, @2); }
  | expr TK_MINUS expr        { $$ = tree_binary(p, B_SUB, $1, $3, @2); }
  | expr TK_STAR expr         { $$ = tree_binary(p, B_MUL, $1, $3, @2); }
  | expr TK_SLASH expr        { $$ = tree_binary(p, B_DIV, $1, $3, @2); }
  | expr TK_PERCENT expr      { $$ = tree_binary(p, B_MOD, $1, $3, @2); }
  | TK_MINUS expr %prec UMINUS { $$ = tree_unary(p, U_NEG, $2, @$); }
  /* Operands: literals, names, `( )`, lists; x.member (TK_DOT binds tightest, so
   * the left of a `.` is an operand, as in postfix below), and calls of built-in
   * functions (only on a plain name). They are expr's own alternatives, not a
   * nonterminal of their own: `expr: postfix` was one reduction more for each of
   * the 145,000 operands of 100,000 lines, the most frequent rule of all. */
  | TK_INT                    { $$ = tree_int(p, $1, @$); }
  | TK_DECIMAL                { $$ = tree_decimal(p, *$1, @$); }
  | TK_DURATION               { $$ = tree_duration(p, $1, @$); }
  | TK_DATE                   { $$ = tree_date(p, $1, false, @$); }
  | TK_DATETIME               { $$ = tree_date(p, $1, true, @$); }
  /* string's rules, for the same reason */
  | TK_STR_BEGIN TK_STR_END   { PartList none; LIST_INIT(none); $$ = tree_string(p, &none, @$); }
  | TK_STR_BEGIN TK_STR_TEXT TK_STR_END { $$ = tree_text_string(p, $2, @2, @$); }
  | TK_STR_BEGIN str_parts TK_STR_END  { $$ = tree_string(p, &$2, @$); }
  | TK_TRUE                   { $$ = tree_bool(p, true, @$); }
  | TK_FALSE                  { $$ = tree_bool(p, false, @$); }
  | TK_IDENT                  { $$ = tree_name_expr(p, $1, @$); }
  | TK_LPAREN expr TK_RPAREN   { $$ = $2; }
  | TK_LBRACKET TK_RBRACKET    { $$ = tree_list(p, NULL, @$); }
  | TK_LBRACKET exprs TK_RBRACKET { $$ = tree_list(p, &$2, @$); }
  | expr TK_DOT TK_IDENT       { $$ = tree_field(p, $1, tree_name($3, @3), @$); }
  | TK_IDENT TK_LPAREN TK_RPAREN
      { ExprList none; LIST_INIT(none); $$ = tree_call(p, tree_name($1, @1), &none, @$); }
  | TK_IDENT TK_LPAREN exprs TK_RPAREN
      { $$ = tree_call(p, tree_name($1, @1), &$3, @$); }
  ;

/* The operand alone, for `mode vote N%` (where an expr would read `%` as the
 * remainder): the operands of expr above, with the same actions. */
postfix
  : TK_INT                    { $$ = tree_int(p, $1, @$); }
  | TK_DECIMAL                { $$ = tree_decimal(p, *$1, @$); }
  | TK_DURATION               { $$ = tree_duration(p, $1, @$); }
  | TK_DATE                   { $$ = tree_date(p, $1, false, @$); }
  | TK_DATETIME               { $$ = tree_date(p, $1, true, @$); }
  | string
  | TK_TRUE                   { $$ = tree_bool(p, true, @$); }
  | TK_FALSE                  { $$ = tree_bool(p, false, @$); }
  | TK_IDENT                  { $$ = tree_name_expr(p, $1, @$); }
  | TK_LPAREN expr TK_RPAREN   { $$ = $2; }
  | TK_LBRACKET TK_RBRACKET    { $$ = tree_list(p, NULL, @$); }
  | TK_LBRACKET exprs TK_RBRACKET { $$ = tree_list(p, &$2, @$); }
  | postfix TK_DOT TK_IDENT    { $$ = tree_field(p, $1, tree_name($3, @3), @$); }
  | TK_IDENT TK_LPAREN TK_RPAREN
      { ExprList none; LIST_INIT(none); $$ = tree_call(p, tree_name($1, @1), &none, @$); }
  | TK_IDENT TK_LPAREN exprs TK_RPAREN
      { $$ = tree_call(p, tree_name($1, @1), &$3, @$); }
  ;

/* "text {expr} text": the scanner splits it into decoded text and the
 * tokens of each interpolated expression. */
string
  : TK_STR_BEGIN TK_STR_END   { PartList none; LIST_INIT(none); $$ = tree_string(p, &none, @$); }
  | TK_STR_BEGIN TK_STR_TEXT TK_STR_END { $$ = tree_text_string(p, $2, @2, @$); }
  | TK_STR_BEGIN str_parts TK_STR_END  { $$ = tree_string(p, &$2, @$); }
  ;

/* At least one part: a list that starts empty is one reduction more for every
 * string, and a string of text alone (the second rule of string; TK_STR_END
 * outranks TK_STR_TEXT, so that rule wins over the list of one part) is two. */
str_parts
  : TK_STR_TEXT               { LIST_INIT($$); LIST_PUSH(p, &$$, tree_text_part($1, @1)); }
  | TK_INTERP_BEGIN expr TK_INTERP_END
      { LIST_INIT($$); LIST_PUSH(p, &$$, tree_expr_part($2, span_join(@1, @3))); }
  | str_parts TK_STR_TEXT     { $$ = $1; LIST_PUSH(p, &$$, tree_text_part($2, @2)); }
  | str_parts TK_INTERP_BEGIN expr TK_INTERP_END
      { $$ = $1; LIST_PUSH(p, &$$, tree_expr_part($3, span_join(@2, @4))); }
  ;

%%

/* ---- syntax error messages ------------------------------------------------ */

/* The name a user reads for a token kind (its alias: `->`, identifier, ...). */
const char *parse_token_name(int token_kind) {
  if (token_kind == TK_EOF_OPEN) return "end of file";
  return yysymbol_name(YYTRANSLATE(token_kind));
}

/* The source text of a span, cut at 40 bytes, for quoting in a hint. */
static const char *source_text(Parser *p, Span s) {
  uint32_t n = s.len > 40 ? 40 : s.len;
  while (n > 0 && n < s.len && ((unsigned char)p->lex.src->text[s.off + n] & 0xC0) == 0x80) n--;
  return arena_strndup(p->arena, p->lex.src->text + s.off, n);
}

/* The name of the unexpected token: an explicit `;` is a separator too, and
 * the separator the filter adds at the end of the file reads as its end. */
static const char *unexpected_name(Parser *p, yysymbol_kind_t sym, Span at) {
  if (sym == YYSYMBOL_TK_EOF_OPEN) return "end of file";
  if (sym == YYSYMBOL_TK_SEP) {
    if (at.len == 0) return "end of file";
    if (p->lex.src->text[at.off] == ';') return "`;`";
  }
  if (sym == YYSYMBOL_TK_IDENT)
    return arena_printf(p->arena, "identifier `%s`", source_text(p, at));
  return yysymbol_name(sym);
}

static bool expects(const yysymbol_kind_t *expected, int n, int token) {
  for (int i = 0; i < n; i++)
    if (expected[i] == YYTRANSLATE(token)) return true;
  return false;
}

static bool is_word(const char *s, const char *a, const char *b, const char *c) {
  return strcmp(s, a) == 0 || strcmp(s, b) == 0 || strcmp(s, c) == 0;
}

/* How to write what was most likely meant, for the mistakes people make
 * most often; NULL when there is nothing better to say than what was
 * expected. `before` is the token just before the unexpected one. */
static const char *syntax_hint(Parser *p, yysymbol_kind_t sym, Span at,
                               const yysymbol_kind_t *expected, int n) {
  int before = p->lex.before_last;
  const char *prev = source_text(p, p->lex.before_last_span);
  bool ident = sym == YYSYMBOL_TK_IDENT;
  const char *word = ident ? source_text(p, at) : "";
  if (expects(expected, n, TK_PERCENT) && n <= 3 && (before == TK_INT || before == TK_IDENT))
    return arena_printf(p->arena, "the share of votes is a percentage: write `vote %s%%`", prev);
  if (before == TK_MODE && sym == YYSYMBOL_TK_INT)
    return arena_printf(p->arena, "a share of votes is written `mode vote %s%%`",
                        source_text(p, at));
  if (sym == YYSYMBOL_TK_COMMA && before == TK_INT && !expects(expected, n, TK_COMMA))
    return "a decimal is written with a point: `1.50`";
  if (sym == YYSYMBOL_TK_RBRACE && !p->lex.last_closed_block)
    return "no block is open here: this `}` closes nothing";
  if (n > 4 && sym == YYSYMBOL_TK_LBRACE && expects(expected, n, TK_IDENT) &&
      !expects(expected, n, TK_INT))
    return "a reminder is written `remind 1d before { ... }`";
  if (ident && before == TK_INT)
    return arena_printf(p->arena, "a duration is written `%sd` or `%s %s` (units: minutes, "
                        "hours, days, weeks)", prev, prev, strcmp(prev, "1") ? "days" : "day");
  if (ident && before == TK_DECIMAL)
    return "a duration counts whole units: write `36h` or `36 hours`, not `1.5 days`";
  if (sym == YYSYMBOL_TK_ASSIGN && expects(expected, n, TK_EQ)) return "to compare, write `==`";
  if (sym == YYSYMBOL_TK_COLON && expects(expected, n, TK_ASSIGN))
    return "assign with `=` (`x = 1`); declare with `var x: int = 1`";
  if (ident && expects(expected, n, TK_ELSE) && is_word(word, "elif", "elsif", "elseif"))
    return "write `else if`";
  if (ident && expects(expected, n, TK_ARROW))
    return arena_printf(p->arena, "to name the result or the next state, write `-> %s`", word);
  if (ident && expects(expected, n, TK_COLON) && before == TK_IDENT)
    return arena_printf(p->arena, "a type follows a colon: `%s: %s`", prev, word);
  if (sym == YYSYMBOL_TK_DURATION && before == TK_DURATION)
    return "a duration of several units is written as one: `2h30m`";
  if (before == TK_WAIT_MESSAGE)
    return "a message is named after `wait message`: `wait message paid` or `wait message \"order paid\"`";
  if (expects(expected, n, TK_STR_BEGIN) && !expects(expected, n, TK_SEP) &&
      !expects(expected, n, TK_INT) &&
      (sym == YYSYMBOL_TK_SEP || sym == YYSYMBOL_TK_DUE || sym == YYSYMBOL_TK_MODE ||
       sym == YYSYMBOL_TK_ARROW || sym == YYSYMBOL_TK_REMIND || sym == YYSYMBOL_TK_ON))
    return "expected a string: a step's title or a message, as in "
           "`task lee \"Pay {title}\" due 3d`";
  Span open_at;
  int opener = lex_innermost_open(&p->lex, &open_at);
  if (opener == TK_INTERP_BEGIN && expects(expected, n, TK_INTERP_END))
    return "the `{` before it in the string starts an expression that must end with `}` (to "
           "write the brace itself, write `{{`)";
  if (n > 4 && (opener == TK_LPAREN || opener == TK_LBRACKET) &&
      expects(expected, n, lex_closer_of(opener)))
    return arena_printf(p->arena, "expected %s to close the %s",
                        parse_token_name(lex_closer_of(opener)), parse_token_name(opener));
  if (n > 4 && expects(expected, n, TK_LBRACE) && !expects(expected, n, TK_SEP))
    return "expected `{`: a block goes in braces, as in `if c { ... }`";
  if (n > 4 && expects(expected, n, TK_IDENT) && expects(expected, n, TK_INT))
    return "expected a value: a name, a number, a string or `(`";
  return NULL;
}

/* A string whose `{` is never closed: `"Pay {title"` reads the closing quote
 * as the start of a string inside the interpolation. Said at the `{`. */
static bool unclosed_interpolation(Parser *p, yysymbol_kind_t sym) {
  Span open_at;
  if (sym != YYSYMBOL_TK_STR_BEGIN || lex_innermost_open(&p->lex, &open_at) != TK_INTERP_BEGIN)
    return false;
  diag_error(p->diags, open_at,
             "this `{` in a string starts an expression that is never closed with `}`; to "
             "write the brace itself, write `{{` or `\\{`");
  return true;
}

static bool at_end_of_file(yysymbol_kind_t sym, Span at) {
  return sym == YYSYMBOL_YYEOF || sym == YYSYMBOL_TK_EOF_OPEN ||
         (sym == YYSYMBOL_TK_SEP && at.len == 0);
}

/* "unexpected X[, expected A, B or C]": up to 4 expected tokens are named.
 * At the end of the file with a block still open, the missing closer is named
 * even among many expected tokens, with a note at its opener. */
static int yyreport_syntax_error(const yypcontext_t *ctx, Parser *p) {
  Span at = *yypcontext_location(ctx);
  yysymbol_kind_t sym = yypcontext_token(ctx);
  bool eof = at_end_of_file(sym, at);
  p->syntax_errors++;
  lex_syntax_error(&p->lex, at); /* the filter helps the recovery either way */
  if (!parse_error_wanted(p, at, eof)) return 0;
  if (unclosed_interpolation(p, sym)) return 0;

  yysymbol_kind_t expected[YYNTOKENS];
  int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
  const char *names[YYNTOKENS];
  int nnames = 0;
  for (int i = 0; i < n; i++) names[nnames++] = yysymbol_name(expected[i]);

  Span opener_at;
  int opener = lex_innermost_open(&p->lex, &opener_at);
  int closer = lex_closer_of(opener);
  bool closer_expected = false;
  for (int i = 0; i < n && closer; i++)
    if (expected[i] == YYTRANSLATE(closer)) closer_expected = true;
  if (eof && closer_expected && nnames > 4) {
    names[0] = parse_token_name(closer);
    nnames = 1;
  }
  const char *hint = eof && closer_expected ? NULL : syntax_hint(p, sym, at, expected, n);
  parse_syntax_error(p, at, unexpected_name(p, sym, at), names, nnames, hint);
  if (eof && closer_expected)
    diag_note(p->diags, opener_at, "this %s is never closed", parse_token_name(opener));
  return 0;
}

/* Called by the parser only when its stack is exhausted: a chain of prefix
 * operators or `?:` thousands deep. */
static void yyerror(const Span *span, Parser *p, const char *message) {
  (void)span;
  (void)message;
  p->syntax_errors++;
  parse_too_deep(p, lex_last_span(&p->lex));
}

#ifdef BPC_PARSER_FAST
/* flex's scanner (see the top of this file). Its macros (yylex, yylval, ...) are its
 * own from here on: nothing of the parser follows. */
#undef yylex
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include "lexer.c"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

int lex_yylex(PARSE_YYSTYPE *value, Span *span, void *scanner) {
  return lex_yylex_inline(value, span, scanner);
}
#endif
