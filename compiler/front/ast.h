/* ast.h — the syntax tree of a `.bp` file.
 *
 * The parser builds it (grammar/parser.y), the checker (check.c) resolves its
 * names and fills in types and symbols, the formatter (fmt.c) prints it back,
 * and the back end lowers the checked tree to the graph IR. Every node carries
 * the byte range of its source text; all nodes and strings live in the
 * Program's arena and are freed with it.
 *
 * Lists are arrays with a count (collected by the parser: LIST_PUSH). */
#ifndef BPC_AST_H
#define BPC_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "types.h"
#include "util.h"

typedef struct Expr Expr;
typedef struct Stmt Stmt;
typedef struct Block Block;
typedef struct Symbol Symbol;

/* An identifier where it was written. */
typedef struct Name {
  const char *s; /* NULL when absent (e.g. no `-> r`) */
  Span span;
} Name;

/* A type as written: an identifier such as `string` or `users`. The checker
 * resolves it to a Type. */
typedef struct TypeRef {
  Name name;
  const Type *type; /* set by the checker; NULL if unknown */
} TypeRef;

/* ---- expressions -------------------------------------------------------- */

typedef enum ExprKind {
  E_INT,      /* 42 */
  E_DECIMAL,  /* 12.50 */
  E_BOOL,     /* true, false */
  E_DURATION, /* 3d, 4h30m */
  E_STRING,   /* "text {expr} text": parts */
  E_LIST,     /* [a, b] */
  E_NAME,     /* title */
  E_FIELD,    /* r.approved: a member of a step result */
  E_CALL,     /* len(s), date("2026-03-05"), role("x") */
  E_UNARY,    /* -x, not x */
  E_BINARY,   /* a + b, a and b, x in list, ... */
  E_COND,     /* c ? a : b */
  E_ERROR     /* placeholder left by syntax error recovery */
} ExprKind;

typedef enum UnaryOp { U_NEG, U_NOT } UnaryOp;

typedef enum BinaryOp {
  B_ADD, B_SUB, B_MUL, B_DIV, B_MOD,
  B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE,
  B_AND, B_OR, B_IN
} BinaryOp;

/* One piece of a string literal: decoded text, or an interpolated expression. */
typedef struct StrPart {
  const char *text; /* decoded UTF-8 (escapes and {{ }} resolved); NULL for an expr */
  uint32_t len;     /* bytes of text */
  Expr *expr;       /* the {expr}, or NULL for text */
  Span span;        /* the source of this part */
} StrPart;

/* The two branches of `c ? a : b`, out of the Expr: conditionals are rare, and their
 * three pointers inline would make every expression a word larger. */
typedef struct ExprArms {
  Expr *then, *otherwise;
} ExprArms;

/* 40 bytes (the first layout took 56, the one before this 48): the kind, one byte of
 * length, a binary operator and the depth beside each other, a word shared by a
 * call's count and the place of a member or operator, a payload of at most two
 * words. A tree of 100,000 lines holds about 220,000 of them, and each byte of the
 * tree is a byte of fresh memory the kernel clears; the positions of members, call
 * names and operators, read only for messages, are kept in the header (read them
 * with expr_member, expr_fn and expr_op_span). */
struct Expr {
  ExprKind kind : 8;
  /* E_CALL: the length of the function's name as written (EXPR_LONG_NAME: longer,
   * its strlen); E_BINARY: of the operator; E_DECIMAL: the scale (12.50: 2). */
  unsigned len8 : 8;
  BinaryOp op : 4;      /* E_BINARY: the operator */
  unsigned literal : 1; /* E_CALL: a date literal `2026-03-05`: date("2026-03-05") */
  /* The height of the tree it roots, for the parser's bound on nesting
   * (PARSE_MAX_DEPTH, below 2^11: parse_tree.c checks). */
  unsigned depth : 11;
  union {
    uint32_t nargs; /* E_CALL: how many arguments */
    uint32_t at;    /* E_FIELD: where the member starts; E_BINARY: the operator */
  };
  Span span;
  const Type *type; /* set by the checker */
  union {
    int64_t ival;       /* E_INT */
    struct {            /* E_DECIMAL: exact, as unscaled digits and a scale (len8) */
      const char *text; /* the literal as written, e.g. "1250.50" */
      int64_t unscaled; /* 125050 */
    } dec;
    bool bval;          /* E_BOOL */
    struct {            /* E_DURATION */
      int64_t seconds;
      const char *text; /* as written, e.g. "4h30m" */
    } dur;
    struct { StrPart *parts; uint32_t n; } str; /* E_STRING */
    struct { Expr **items; uint32_t n; } list;  /* E_LIST */
    struct {            /* E_NAME */
      const char *s;
      Symbol *sym;      /* set by the checker */
    } name;
    struct {            /* E_FIELD: obj.member; the member ends where the expression does */
      Expr *obj;
      const char *member;
    } field;
    struct {            /* E_CALL: a built-in function, nargs arguments; the name starts
                         * where the expression does (a literal: the name is the whole) */
      const char *fn;
      Expr **args;
    } call;
    struct { UnaryOp op; Expr *operand; } unary;
    struct { Expr *lhs, *rhs; } binary; /* op: the operator */
    struct { Expr *cond; ExprArms *arms; } cond;
  } u;
};

/* len8 of a call whose name has 255 bytes or more: only a name written in the source
 * is that long, and there its length is its strlen. */
enum { EXPR_LONG_NAME = 255 };

/* The member of E_FIELD, where it was written. */
static inline Name expr_member(const Expr *e) {
  Name n = {e->u.field.member, {e->at, e->span.off + e->span.len - e->at}};
  return n;
}

/* The function of E_CALL, where it was written. */
static inline Name expr_fn(const Expr *e) {
  Name n = {e->u.call.fn, e->span};
  if (!e->literal)
    n.span.len = e->len8 == EXPR_LONG_NAME ? (uint32_t)strlen(e->u.call.fn) : e->len8;
  return n;
}

/* The operator of E_BINARY, where it was written. */
static inline Span expr_op_span(const Expr *e) {
  return span_make(e->at, e->len8);
}

/* ---- statements --------------------------------------------------------- */

struct Block {
  Stmt **stmts;
  uint32_t n;
  Span span; /* from `{` to `}` */
};

typedef enum HumanKind { H_TASK, H_APPROVE, H_REVIEW, H_REQUEST } HumanKind;

typedef enum ApproveMode {
  MODE_DEFAULT, /* not written: any for approve, all for review */
  MODE_ANY, MODE_ALL, MODE_MAJORITY, MODE_VOTE,
  MODE_BITRIX   /* `mode bitrix M%`: Bitrix24's vote, ApproveMinPercent M (docs/bitrix.md) */
} ApproveMode;

/* `FIELD: TYPE "label"` inside a request. */
typedef struct RequestField {
  Name name;
  TypeRef type;
  Expr *label; /* E_STRING or NULL */
  Span span;
  Symbol *sym; /* the field or variable it stores into; set by the checker */
} RequestField;

/* `remind DURATION before { ... }` */
typedef struct Remind {
  Expr *before;
  Block *body;
  Span span;
} Remind;

/* `after DELAY [every PERIOD [times N]] { ... }` */
typedef struct After {
  Expr *delay;
  Expr *every; /* NULL: once */
  Expr *times; /* NULL: while the step is open */
  Block *body;
  Span span;   /* `after` to the last expression */
} After;

/* `on message NAME { ... }`: each arrival of the message while the step is open runs the
 * block as a token of its own. */
typedef struct OnMessage {
  Name name;    /* `on message paid`; s NULL when quoted */
  Expr *quoted; /* `on message "order paid"` (E_STRING), or NULL */
  Block *body;
  Span span;    /* `on message NAME` */
} OnMessage;

/* A Stmt points at it (u.human): it has 160 bytes, and the largest other kind of Stmt 40.
 * In a Stmt it would make every statement 176 bytes, not 56. */
typedef struct HumanStep {
  Expr **who;           /* WHO: one or more user / users expressions */
  Expr *title;          /* E_STRING */
  Expr *vote_percent;   /* MODE_VOTE: the N of `vote N%` (MODE_BITRIX: its M) */
  Expr *due;            /* duration (from now) or datetime/date; NULL if none */
  RequestField *fields; /* H_REQUEST */
  Remind *reminds;
  Block *on_timeout;    /* NULL if absent */
  After *afters;
  OnMessage *onmsgs;    /* `on message` handlers */
  Name result;          /* `-> r`; result.s NULL if absent */
  Symbol *result_sym;   /* set by the checker */
  Span mode_span;       /* the `mode ...` clause, if written */
  Span wait_all_span;
  Span on_timeout_span; /* `on timeout` keywords */
  uint32_t nwho;
  uint32_t nfields;
  uint32_t nreminds;
  uint32_t nafters;
  uint32_t nonmsgs;
  HumanKind kind;
  ApproveMode mode;
  bool wait_all;
  Expr *timeout_times;  /* `on timeout times N`: N (an int), NULL if not written */
} HumanStep;

/* `name: expr` in `start PROCESS(name: expr, ...)`. */
typedef struct NamedArg {
  Name name;
  Expr *value;
} NamedArg;

/* One `catch` clause of a try: the codes it takes (none: any error), the name the
 * caught error is known by (`as e`; s NULL: none) and its block. */
typedef struct Catch {
  Expr **codes; /* E_STRING literals */
  uint32_t ncodes;
  Name var;
  Symbol *sym;  /* the checker's symbol of var (SYM_ERROR) */
  Block *body;
  Span span;
} Catch;

typedef enum StmtKind {
  S_ASSIGN,    /* NAME = EXPR */
  S_HUMAN,     /* task / approve / review / request */
  S_IF,        /* if c { } else if c { } else { } */
  S_WHILE,     /* while c { } */
  S_LOOP,      /* loop { } */
  S_FOR,       /* for x in list { } */
  S_BREAK,
  S_CONTINUE,
  S_PARALLEL,  /* parallel [any] { branch { } ... } */
  S_WAIT,      /* wait DURATION | wait until EXPR */
  S_TERMINATE, /* terminate ["reason"] */
  S_NOTIFY,    /* notify WHO "message" */
  S_LOG,       /* log "text" */
  S_CALL,      /* action(args) [-> r] */
  S_START,     /* start PROCESS(name: expr, ...) */
  S_GOTO,      /* goto STATE */
  S_REASSIGN,  /* reassign WHO [due EXPR]   (only inside on timeout) */
  S_ADD,       /* add WHO                   (only inside on timeout) */
  S_ERROR,     /* what syntax error recovery left */
  S_TRY,       /* try { } catch ["CODE", ...] [as e] { } ... */
  S_THROW,     /* throw CODE ["message"] */
  S_RECEIVE    /* wait message NAME [{ FIELD: TYPE ... }] */
} StmtKind;

/* The `-> r` of an action call, out of the Stmt (tree_call_stmt): inline, its 24 bytes
 * made the call the largest kind of statement, and every statement 72 bytes, not 56. */
typedef struct CallResult {
  Name name;
  Symbol *sym; /* set by the checker */
} CallResult;

struct Stmt {
  StmtKind kind;
  Span span;
  union {
    struct { Name target; Expr *value; Symbol *sym; } assign;
    HumanStep *human; /* out of line (tree_stmt): the largest kind by far, and 1 in 8 */
    struct {
      Expr **conds;   /* if, else if, ... */
      Block **blocks; /* one per cond */
      uint32_t n;
      Block *otherwise; /* final else, or NULL */
    } if_;
    struct { Expr *cond; Block *body; } while_;
    struct { Block *body; } loop;
    struct { Name var; Expr *list; Block *body; Symbol *sym; } for_;
    struct { bool any; Block **branches; uint32_t n; } parallel;
    struct { bool until; Expr *value; } wait;
    struct { Expr *reason; } terminate; /* E_STRING or NULL */
    struct { Expr **who; uint32_t nwho; Expr *message; } notify;
    struct { Expr *text; } log;
    struct {
      Name action;
      Expr **args;
      uint32_t n;
      CallResult *result; /* `-> r`, or NULL when not written */
    } call;
    struct { Name process; NamedArg *args; uint32_t n; } start;
    struct { Name state; } goto_;
    struct { Expr **who; uint32_t nwho; Expr *due; } reassign;
    struct { Expr **who; uint32_t nwho; } add;
    struct { Block *body; Catch **catches; uint32_t n; } try_;
    struct { Expr *code, *message; } throw_;
    struct {
      Name name;          /* as an identifier; name.s NULL when written as a string */
      Expr *quoted;       /* the name as a string (E_STRING), or NULL */
      RequestField *fields;
      uint32_t nfields;
      bool braces;        /* `{ ... }` written (perhaps empty) */
    } receive;
  } u;
};

/* ---- declarations ------------------------------------------------------- */

typedef enum TriggerKind { TRIG_MANUAL, TRIG_CREATE, TRIG_CHANGE } TriggerKind;

/* `start on create` / `start on change F, G [when COND]` / `start manual` */
typedef struct Trigger {
  TriggerKind kind;
  Name *fields; /* TRIG_CHANGE */
  uint32_t nfields;
  Expr *when;   /* NULL if absent */
  Span span;
} Trigger;

typedef enum DeclKind { D_PARAM, D_VAR, D_CONST } DeclKind;

/* `param NAME: TYPE [= EXPR] ["label"]`, `var NAME[: TYPE] = EXPR`,
 * `const NAME[: TYPE] = EXPR` */
typedef struct Decl {
  DeclKind kind;
  Name name;
  TypeRef type; /* type.name.s NULL when not written */
  Expr *init;   /* NULL if none */
  Expr *label;  /* params: E_STRING or NULL */
  Span span;
  Symbol *sym;  /* set by the checker */
} Decl;

/* `command NAME "label" [by WHO] (-> STATE | { ... })` */
typedef struct Command {
  Name name;
  Expr *label; /* E_STRING or NULL */
  Expr **by;   /* NULL/0 when anyone may run it */
  uint32_t nby;
  Name target; /* `-> STATE`; target.s NULL when a body is given */
  Block *body;
  Span span;
} Command;

typedef struct State {
  Name name;
  Expr *label; /* E_STRING or NULL */
  bool final;
  Block *enter; /* NULL if none */
  Command *commands;
  uint32_t ncommands;
  Span span;
} State;

typedef struct States {
  State *states;
  uint32_t n;
  Span span;
} States;

/* Members of a process body, in source order (the formatter keeps the order;
 * the checker reads declarations first). */
typedef enum MemberKind { M_TRIGGER, M_DECL, M_STMT, M_STATES } MemberKind;

typedef struct Member {
  MemberKind kind;
  union {
    Trigger *trigger;
    Decl *decl;
    Stmt *stmt;
    States *states;
  } u;
} Member;

/* `NAME: TYPE [= EXPR]` in a document */
typedef struct DocField {
  Name name;
  TypeRef type;
  Expr *init;
  Span span;
} DocField;

typedef struct Document {
  Name name;
  DocField *fields;
  uint32_t nfields;
  Span span;
} Document;

typedef struct ActionParam {
  Name name;
  TypeRef type;
  Span span;
} ActionParam;

/* `action NAME(p: T, ...)[: T]` */
typedef struct Action {
  Name name;
  ActionParam *params;
  uint32_t nparams;
  TypeRef result; /* result.name.s NULL for an action with no result */
  Span span;
} Action;

typedef struct Process {
  Name name;
  Expr *title; /* E_STRING or NULL */
  Name doc;    /* `on DOC`; doc.s NULL if absent */
  Member *members;
  uint32_t nmembers;
  Span span;
  struct ProcInfo *info; /* the checker's findings; see check.h */
} Process;

/* The parser allocates a process's tree in order: the Process node first, then what it
 * holds, and the members' array last, so the tree is the range between them (about 5 to
 * 13 KB at 100,000 lines). By the time a process is checked or lowered the range has
 * left the core's cache (the whole tree is about 20 MB), and a walk missed on nearly
 * every statement and expression it met first; asked for at once, the lines come in
 * together. Only a hint: a tree laid out otherwise (another parser, a range too long) is
 * walked the same. */
static inline void process_prefetch(const Process *proc) {
  if (!proc->members) return; /* no members: nothing past the node */
  uintptr_t from = (uintptr_t)proc, to = (uintptr_t)(proc->members + proc->nmembers);
  if (to <= from || to - from > 64 * 1024) return;
  for (; from < to; from += 64) __builtin_prefetch((const void *)from);
}

typedef enum ItemKind { I_DOCUMENT, I_ACTION, I_PROCESS } ItemKind;

typedef struct Item {
  ItemKind kind;
  union {
    Document *doc;
    Action *action;
    Process *proc;
  } u;
} Item;

/* A comment as written, kept for the formatter. */
typedef struct Comment {
  Span span;        /* from `#` to the end of the line (newline excluded) */
  bool own_line;    /* nothing but blanks before it on its line */
} Comment;

typedef struct Program {
  Arena arena; /* owns every node and string below */
  const Source *src;
  Item *items;
  uint32_t nitems;
  Comment *comments;
  uint32_t ncomments;
} Program;

/* ---- symbols (filled by the checker) ------------------------------------ */

typedef enum SymKind {
  SYM_FIELD,   /* a document field */
  SYM_PARAM,
  SYM_VAR,
  SYM_CONST,
  SYM_RESULT,  /* a step's `-> r` */
  SYM_LOOPVAR, /* for x in ... */
  SYM_STATE,
  SYM_PROCESS,
  SYM_ACTION,
  SYM_ERROR    /* the caught error of a `catch ... as e` */
} SymKind;

struct Symbol {
  SymKind kind;
  const char *name;
  Span decl_span;    /* where it was declared */
  const Type *type;
  uint32_t slot;     /* index among the process's symbols of its kind */
  bool used;
  bool assigned;     /* written after its declaration */
  const void *decl;  /* the Decl, DocField, HumanStep, Stmt (for/call), State, ... */
  Expr *const_value; /* SYM_CONST: the folded initializer */
};

#endif
