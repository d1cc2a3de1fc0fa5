/* test_types.c — the type singletons and the conversion rules of types.c:
 * what may be assigned where, what two types mix to, names, lists and the
 * members of step results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "types.h"

static void test_by_name(void **state) {
  (void)state;
  assert_ptr_equal(type_by_name("string"), &type_string);
  assert_ptr_equal(type_by_name("int"), &type_int);
  assert_ptr_equal(type_by_name("decimal"), &type_decimal);
  assert_ptr_equal(type_by_name("bool"), &type_bool);
  assert_ptr_equal(type_by_name("date"), &type_date);
  assert_ptr_equal(type_by_name("datetime"), &type_datetime);
  assert_ptr_equal(type_by_name("duration"), &type_duration);
  assert_ptr_equal(type_by_name("user"), &type_user);
  assert_ptr_equal(type_by_name("users"), &type_users);
  assert_null(type_by_name("strng"));
  assert_null(type_by_name("String"));
  assert_null(type_by_name(""));
  /* step results and lists of other types are not declarable */
  assert_null(type_by_name("task result"));
  assert_null(type_by_name("list of string"));
}

static void test_names_list_matches_by_name(void **state) {
  (void)state;
  size_t n = 0;
  for (; type_names[n]; n++) assert_non_null(type_by_name(type_names[n]));
  assert_int_equal(n, 9);
}

static void test_list_of(void **state) {
  (void)state;
  assert_ptr_equal(type_list_of(&type_user), &type_users);
  assert_ptr_equal(type_list_of(&type_string), &type_list_string);
  assert_ptr_equal(type_list_of(&type_int), &type_list_int);
  assert_ptr_equal(type_list_of(&type_decimal), &type_list_decimal);
  assert_ptr_equal(type_list_of(&type_bool), &type_list_bool);
  assert_ptr_equal(type_list_of(&type_date), &type_list_date);
  assert_ptr_equal(type_list_of(&type_datetime), &type_list_datetime);
  assert_ptr_equal(type_list_of(&type_duration), &type_list_duration);
  assert_ptr_equal(type_users.elem, &type_user);
  /* no lists of lists, of results, of nothing */
  assert_null(type_list_of(&type_users));
  assert_null(type_list_of(&type_list_string));
  assert_null(type_list_of(&type_task_result));
  assert_null(type_list_of(&type_void));
  assert_null(type_list_of(&type_error));
}

static void test_assignable_same_and_error(void **state) {
  (void)state;
  const Type *all[] = {&type_string, &type_int,      &type_decimal,  &type_bool,
                       &type_date,   &type_datetime, &type_duration, &type_user,
                       &type_users,  &type_list_string};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    assert_true(type_assignable(all[i], all[i]));
    assert_true(type_assignable(all[i], &type_error));
    assert_true(type_assignable(&type_error, all[i]));
  }
}

static void test_assignable_conversions(void **state) {
  (void)state;
  /* the three implicit conversions */
  assert_true(type_assignable(&type_decimal, &type_int));
  assert_true(type_assignable(&type_users, &type_user));
  assert_true(type_assignable(&type_users, &type_list_empty));
  assert_true(type_assignable(&type_list_string, &type_list_empty));
  assert_true(type_assignable(&type_list_date, &type_list_empty));
  /* and nothing the other way round */
  assert_false(type_assignable(&type_int, &type_decimal));
  assert_false(type_assignable(&type_user, &type_users));
  assert_false(type_assignable(&type_string, &type_list_empty));
  assert_false(type_assignable(&type_list_empty, &type_users));
}

static void test_assignable_mismatches(void **state) {
  (void)state;
  assert_false(type_assignable(&type_string, &type_int));
  assert_false(type_assignable(&type_int, &type_string));
  assert_false(type_assignable(&type_date, &type_datetime));
  assert_false(type_assignable(&type_datetime, &type_date));
  assert_false(type_assignable(&type_duration, &type_int));
  assert_false(type_assignable(&type_bool, &type_int));
  assert_false(type_assignable(&type_string, &type_user));
  assert_false(type_assignable(&type_list_string, &type_users));
  assert_false(type_assignable(&type_list_decimal, &type_list_int));
  assert_false(type_assignable(&type_task_result, &type_approve_result));
  assert_false(type_assignable(&type_string, &type_void));
}

static void test_common(void **state) {
  (void)state;
  assert_ptr_equal(type_common(&type_int, &type_int), &type_int);
  assert_ptr_equal(type_common(&type_int, &type_decimal), &type_decimal);
  assert_ptr_equal(type_common(&type_decimal, &type_int), &type_decimal);
  assert_ptr_equal(type_common(&type_user, &type_users), &type_users);
  assert_ptr_equal(type_common(&type_users, &type_user), &type_users);
  assert_ptr_equal(type_common(&type_user, &type_user), &type_user);
  assert_ptr_equal(type_common(&type_list_empty, &type_list_int), &type_list_int);
  assert_ptr_equal(type_common(&type_list_string, &type_list_empty), &type_list_string);
  assert_ptr_equal(type_common(&type_list_empty, &type_list_empty), &type_list_empty);
  /* an error operand takes the other's type, so one mistake is reported once */
  assert_ptr_equal(type_common(&type_error, &type_string), &type_string);
  assert_ptr_equal(type_common(&type_date, &type_error), &type_date);
  assert_null(type_common(&type_string, &type_int));
  assert_null(type_common(&type_date, &type_datetime));
  assert_null(type_common(&type_bool, &type_int));
  assert_null(type_common(&type_list_int, &type_list_decimal));
  assert_null(type_common(&type_list_empty, &type_string));
}

static void test_numeric(void **state) {
  (void)state;
  assert_true(type_is_numeric(&type_int));
  assert_true(type_is_numeric(&type_decimal));
  assert_false(type_is_numeric(&type_duration));
  assert_false(type_is_numeric(&type_string));
  assert_false(type_is_numeric(&type_error));
}

/* Every member LANGUAGE.md promises on each kind of step result. */
static void test_record_fields(void **state) {
  (void)state;
  struct { const Type *rec; const char *name; const Type *type; } want[] = {
      {&type_task_result, "completed_by", &type_user},
      {&type_task_result, "completed_at", &type_datetime},
      {&type_task_result, "comment", &type_string},
      {&type_task_result, "timed_out", &type_bool},
      {&type_approve_result, "approved", &type_bool},
      {&type_approve_result, "approvals", &type_int},
      {&type_approve_result, "rejections", &type_int},
      {&type_approve_result, "total", &type_int},
      {&type_approve_result, "percent", &type_int},
      {&type_approve_result, "last", &type_user},
      {&type_approve_result, "comment", &type_string},
      {&type_approve_result, "comments", &type_list_string},
      {&type_approve_result, "timed_out", &type_bool},
      {&type_review_result, "notes", &type_list_string},
      {&type_review_result, "count", &type_int},
      {&type_review_result, "timed_out", &type_bool},
      {&type_request_result, "completed_by", &type_user},
      {&type_request_result, "completed_at", &type_datetime},
      {&type_request_result, "timed_out", &type_bool},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const TypeField *f = type_field(want[i].rec, want[i].name);
    assert_non_null(f);
    assert_string_equal(f->name, want[i].name);
    assert_ptr_equal(f->type, want[i].type);
  }
  assert_int_equal(type_task_result.nfields, 4);
  assert_int_equal(type_approve_result.nfields, 9);
  assert_int_equal(type_review_result.nfields, 3);
  assert_int_equal(type_request_result.nfields, 3);
}

static void test_record_missing_fields(void **state) {
  (void)state;
  assert_null(type_field(&type_approve_result, "aproved"));
  assert_null(type_field(&type_task_result, "approved"));
  assert_null(type_field(&type_review_result, "comment"));
  assert_null(type_field(&type_request_result, "comment"));
  /* only records have members */
  assert_null(type_field(&type_string, "len"));
  assert_null(type_field(&type_users, "count"));
}

static void test_printed_names(void **state) {
  (void)state;
  assert_string_equal(type_users.name, "users");
  assert_string_equal(type_list_string.name, "list of string");
  assert_string_equal(type_decimal.name, "decimal");
  assert_int_equal(type_task_result.kind, T_RECORD);
  assert_int_equal(type_list_empty.kind, T_LIST);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_by_name),
      cmocka_unit_test(test_names_list_matches_by_name),
      cmocka_unit_test(test_list_of),
      cmocka_unit_test(test_assignable_same_and_error),
      cmocka_unit_test(test_assignable_conversions),
      cmocka_unit_test(test_assignable_mismatches),
      cmocka_unit_test(test_common),
      cmocka_unit_test(test_numeric),
      cmocka_unit_test(test_record_fields),
      cmocka_unit_test(test_record_missing_fields),
      cmocka_unit_test(test_printed_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
