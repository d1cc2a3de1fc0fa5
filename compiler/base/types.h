/* types.h — the static types of the `.bp` language.
 *
 * Types are immutable singletons compared by pointer: scalar types, one list
 * type per element type (`users` is the list of `user`), and the record types
 * of step results (`r.approved`, `t.completed_by`). */
#ifndef BPC_TYPES_H
#define BPC_TYPES_H

#include <stdbool.h>
#include <stdint.h>

typedef enum TypeKind {
  T_ERROR, /* an expression that already got an error: silences follow-ups */
  T_VOID,  /* an action with no result */
  T_STRING,
  T_INT,
  T_DECIMAL,
  T_BOOL,
  T_DATE,
  T_DATETIME,
  T_DURATION,
  T_USER,
  T_LIST,  /* elem says of what; list of user is `users` */
  T_RECORD /* a step's result */
} TypeKind;

typedef struct Type Type;

typedef struct TypeField {
  const char *name;
  const Type *type;
} TypeField;

struct Type {
  TypeKind kind;
  const char *name;         /* as printed in messages */
  const Type *elem;         /* T_LIST */
  const TypeField *fields;  /* T_RECORD */
  uint32_t nfields;
};

extern const Type type_error, type_void, type_string, type_int, type_decimal,
    type_bool, type_date, type_datetime, type_duration, type_user;
/* Lists: type_list_of(&type_user) is `users`. */
extern const Type type_users, type_list_string, type_list_int, type_list_decimal,
    type_list_bool, type_list_date, type_list_datetime, type_list_duration;
/* Results of human steps. */
extern const Type type_task_result, type_approve_result, type_review_result,
    type_request_result;
/* The error a `catch ... as e` names: `e.code`, `e.message`. */
extern const Type type_caught_error;
/* The empty list literal `[]` before context gives it an element type. */
extern const Type type_list_empty;

/* The list type of elem, or NULL when lists of that type do not exist. */
const Type *type_list_of(const Type *elem);
/* The type a declaration names (`string`, `users`, ...), or NULL. */
const Type *type_by_name(const char *name);
/* Names accepted by type_by_name, NULL-terminated (for "did you mean"). */
extern const char *const type_names[];
/* A record's field, or NULL. */
const TypeField *type_field(const Type *record, const char *name);

/* Can a value of type `from` be used where `to` is expected? Allows the
 * implicit conversions of the language: int -> decimal, user -> users, and
 * the empty list to any list. T_ERROR is compatible with everything. */
bool type_assignable(const Type *to, const Type *from);
bool type_is_numeric(const Type *t); /* int or decimal */
/* The type of a value mixed from a and b in arithmetic or comparison: the
 * common type under the implicit conversions, or NULL if there is none. */
const Type *type_common(const Type *a, const Type *b);

#endif
