/* types.c — type singletons and the conversion rules of LANGUAGE.md. */
#include "types.h"

#include <stddef.h>
#include <string.h>

#include "util.h"

#define SCALAR(var, k, n) const Type var = {k, n, NULL, NULL, 0}
SCALAR(type_error, T_ERROR, "<error>");
SCALAR(type_void, T_VOID, "nothing");
SCALAR(type_string, T_STRING, "string");
SCALAR(type_int, T_INT, "int");
SCALAR(type_decimal, T_DECIMAL, "decimal");
SCALAR(type_bool, T_BOOL, "bool");
SCALAR(type_date, T_DATE, "date");
SCALAR(type_datetime, T_DATETIME, "datetime");
SCALAR(type_duration, T_DURATION, "duration");
SCALAR(type_user, T_USER, "user");
#undef SCALAR

#define LIST(var, n, e) const Type var = {T_LIST, n, &e, NULL, 0}
LIST(type_users, "users", type_user);
LIST(type_list_string, "list of string", type_string);
LIST(type_list_int, "list of int", type_int);
LIST(type_list_decimal, "list of decimal", type_decimal);
LIST(type_list_bool, "list of bool", type_bool);
LIST(type_list_date, "list of date", type_date);
LIST(type_list_datetime, "list of datetime", type_datetime);
LIST(type_list_duration, "list of duration", type_duration);
LIST(type_list_empty, "empty list", type_error);
#undef LIST

static const TypeField task_fields[] = {
    {"completed_by", &type_user},
    {"completed_at", &type_datetime},
    {"comment", &type_string},
    {"timed_out", &type_bool},
};
static const TypeField approve_fields[] = {
    {"approved", &type_bool},   {"approvals", &type_int},  {"rejections", &type_int},
    {"total", &type_int},       {"percent", &type_int},    {"last", &type_user},
    {"comment", &type_string},  {"comments", &type_list_string},
    {"timed_out", &type_bool},
};
static const TypeField review_fields[] = {
    {"notes", &type_list_string},
    {"count", &type_int},
    {"timed_out", &type_bool},
};
static const TypeField request_fields[] = {
    {"completed_by", &type_user},
    {"completed_at", &type_datetime},
    {"timed_out", &type_bool},
};

#define RECORD(var, n, f) const Type var = {T_RECORD, n, NULL, f, sizeof f / sizeof f[0]}
RECORD(type_task_result, "task result", task_fields);
RECORD(type_approve_result, "approval result", approve_fields);
RECORD(type_review_result, "review result", review_fields);
RECORD(type_request_result, "request result", request_fields);
static const TypeField caught_error_fields[] = {
    {"code", &type_string},
    {"message", &type_string},
};
RECORD(type_caught_error, "caught error", caught_error_fields);
#undef RECORD

const Type *type_list_of(const Type *elem) {
  switch (elem->kind) {
  case T_USER: return &type_users;
  case T_STRING: return &type_list_string;
  case T_INT: return &type_list_int;
  case T_DECIMAL: return &type_list_decimal;
  case T_BOOL: return &type_list_bool;
  case T_DATE: return &type_list_date;
  case T_DATETIME: return &type_list_datetime;
  case T_DURATION: return &type_list_duration;
  default: return NULL;
  }
}

const char *const type_names[] = {"string", "int",      "decimal",  "bool", "date",
                                  "datetime", "duration", "user", "users", NULL};
static const Type *const named_types[] = {&type_string, &type_int,      &type_decimal,
                                          &type_bool,   &type_date,     &type_datetime,
                                          &type_duration, &type_user,   &type_users};

const Type *type_by_name(const char *name) {
  for (size_t i = 0; type_names[i]; i++)
    if (str_eq(type_names[i], name)) return named_types[i];
  return NULL;
}

const TypeField *type_field(const Type *record, const char *name) {
  if (record->kind != T_RECORD) return NULL;
  for (uint32_t i = 0; i < record->nfields; i++)
    if (str_eq(record->fields[i].name, name)) return &record->fields[i];
  return NULL;
}

bool type_is_numeric(const Type *t) { return t->kind == T_INT || t->kind == T_DECIMAL; }

bool type_assignable(const Type *to, const Type *from) {
  if (to == from || to->kind == T_ERROR || from->kind == T_ERROR) return true;
  if (to->kind == T_DECIMAL && from->kind == T_INT) return true;
  if (to == &type_users && from->kind == T_USER) return true;
  if (to->kind == T_LIST && from == &type_list_empty) return true;
  return false;
}

const Type *type_common(const Type *a, const Type *b) {
  if (a->kind == T_ERROR) return b;
  if (b->kind == T_ERROR) return a;
  if (a == b) return a;
  if (type_is_numeric(a) && type_is_numeric(b)) return &type_decimal;
  if ((a == &type_users && b->kind == T_USER) || (b == &type_users && a->kind == T_USER))
    return &type_users;
  if (a->kind == T_LIST && b == &type_list_empty) return a;
  if (b->kind == T_LIST && a == &type_list_empty) return b;
  return NULL;
}
