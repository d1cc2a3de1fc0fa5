/* test_field.c — fields by index (bp.h: bp_field_index, bp_start_at, bp_start_at_process,
 * bp_doc_get_at), against their by-name twins: bp_start_at with fields by index (and
 * bp_start_at_process, with the process by index too) gives what bp_start gives with the
 * same fields by name (the same status and message, the same fields after the
 * run, the same end), for good and bad values; an index out of range is refused; and
 * every allocation of bp_start_at failing in turn gives BP_ENOMEM and leaks nothing;
 * bp_start_at_again, start after start on one instance, gives what bp_start_at_process
 * gives with one allocation fewer, and makes a new document when another instance holds
 * the old one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bp.h"
#include "support.h"

static const char source[] =
    "document Contact {\n"
    "  name: string\n"
    "  city: string\n"
    "  visits: int = 3\n"
    "  owner: user\n"
    "  tags: users\n"
    "  total: decimal\n"
    "}\n"
    "\n"
    "process fix \"Fix\" on Contact {\n"
    "  param step: int = 1\n"
    "  if trim(city) == \"Моква\" {\n"
    "    city = \"Москва\"\n"
    "  }\n"
    "  visits = visits + step\n"
    "  if visits > 100 {\n"
    "    terminate \"too many visits\"\n"
    "  }\n"
    "  if city == \"wait\" {\n"
    "    wait 1d\n"
    "  }\n"
    "}\n"
    "\n"
    "process spawn \"Spawn\" on Contact {\n"
    "  start fix(step: 5)\n"
    "  name = \"spawned\"\n"
    "}\n"
    "\n"
    "process join \"Join\" on Contact {\n"
    "  name = substr(name, 1, 3) + \"-\" + trim(city) + \"-\" + name\n"
    "}\n"
    "\n"
    "process share \"Share\" on Contact {\n"
    "  if starts_with(city, \"Тула\") {\n"
    "    name = city\n"
    "  }\n"
    "}\n";

typedef struct World {
  Heap heap;
  BpRuntime *rt;
  BpBundle *b;
  uint8_t *bytes;
} World;

/* config.started: the instances started by others (`start`), kept to be freed. */
typedef struct Started {
  BpInstance *inst[8];
  size_t n;
} Started;

static void on_started(void *ud, BpInstance *inst) {
  Started *s = ud;
  assert_true(s->n < 8);
  s->inst[s->n++] = inst;
}

static void open_world_with(World *w, Started *started) {
  Compiled c = compile_text(source);
  size_t len;
  w->bytes = bundle_of(c.ir, &len);
  compiled_free(&c);
  w->heap = (Heap){0};
  BpConfig cfg = {.size = sizeof cfg, .alloc = heap_alloc, .alloc_ud = &w->heap};
  if (started) cfg.started = on_started, cfg.ud = started;
  BpError err = {0};
  assert_int_equal(bp_runtime_new(&cfg, &w->rt, &err), BP_OK);
  assert_int_equal(bp_bundle_load(w->rt, w->bytes, len, &w->b, &err), BP_OK);
}

static void open_world(World *w) { open_world_with(w, NULL); }

/* The heap counts allocations from here on and fails the Nth (0: none) until disarmed. */
static void arm_heap(World *w, long n) {
  w->heap.allocations = 0;
  w->heap.fail_at = n;
  w->heap.failed = false;
  w->heap.armed = true;
}

static void close_world(World *w) {
  bp_bundle_free(w->b);
  bp_runtime_free(w->rt);
  free(w->bytes);
  assert_int_equal(w->heap.outstanding, 0);
}

/* The number of the world's process NAME (bp_bundle_process_name's I). */
static size_t process_number(const World *w, const char *name) {
  size_t i = 0, n = bp_bundle_process_count(w->b);
  while (i < n && strcmp(bp_bundle_process_name(w->b, i), name) != 0) i++;
  assert_true(i < n);
  return i;
}

static const char *const names[] = {"name", "city", "visits", "owner", "tags", "total"};
enum { NFIELDS = 6 };

static void test_field_index(void **state) {
  (void)state;
  World w;
  open_world(&w);
  for (uint16_t i = 0; i < NFIELDS; i++) {
    uint16_t k = 999;
    assert_true(bp_field_index(w.b, "fix", names[i], &k));
    assert_int_equal(k, i); /* declaration order */
  }
  uint16_t k;
  assert_false(bp_field_index(w.b, "fix", "step", &k)); /* a parameter, not a field */
  assert_false(bp_field_index(w.b, "fix", "nope", &k));
  assert_false(bp_field_index(w.b, "nope", "city", &k));
  assert_false(bp_field_index(w.b, "fix", NULL, &k));
  assert_false(bp_field_index(NULL, "fix", "city", &k));
  close_world(&w);
}

/* x (started by name) and y (by index) came to the same status and message, and have the
 * same fields: x's read by name, y's by index, formatted alike (and of the same types when
 * TYPES says so). */
static void assert_same_instance(BpInstance *x, BpInstance *y, bool types) {
  assert_int_equal(bp_instance_status(x), bp_instance_status(y));
  assert_string_equal(bp_instance_message(x), bp_instance_message(y));
  for (uint16_t i = 0; i < NFIELDS; i++) {
    BpValue a, b;
    char ta[200], tb[200];
    assert_int_equal(bp_doc_get(bp_instance_doc(x), names[i], &a), BP_OK);
    bp_value_format(&a, ta, sizeof ta);
    assert_int_equal(bp_doc_get_at(bp_instance_doc(y), i, &b), BP_OK);
    bp_value_format(&b, tb, sizeof tb);
    if (types) assert_int_equal(a.type, b.type);
    assert_string_equal(ta, tb);
  }
}

/* Starts `fix` both ways with the same fields (and parameters), and compares. */
static void same_both_ways(World *w, const BpArg *fields, size_t n, const BpArg *params, size_t np) {
  BpArg all[16];
  uint16_t index[16];
  BpValue vals[16];
  assert_true(n + np <= 16);
  for (size_t i = 0; i < n; i++) {
    all[i] = fields[i];
    vals[i] = fields[i].value;
    assert_true(bp_field_index(w->b, "fix", fields[i].name, &index[i]));
  }
  for (size_t i = 0; i < np; i++) all[n + i] = params[i];
  BpInstance *by_name = NULL, *by_index = NULL;
  BpError e1 = {0}, e2 = {0};
  BpStatus s1 = bp_start(w->b, "fix", NULL, all, n + np, NULL, &by_name, &e1);
  BpStatus s2 = bp_start_at(w->b, "fix", index, vals, n, params, np, NULL, &by_index, &e2);
  assert_int_equal(s1, s2);
  assert_string_equal(e1.message, e2.message);
  assert_true((by_name == NULL) == (by_index == NULL));
  /* The process by its index too: the same again. */
  BpInstance *by_process = NULL;
  BpError e3 = {0};
  assert_string_equal(bp_bundle_process_name(w->b, 0), "fix");
  assert_int_equal(bp_start_at_process(w->b, 0, index, vals, n, params, np, NULL, &by_process, &e3), s1);
  assert_string_equal(e1.message, e3.message);
  assert_true((by_name == NULL) == (by_process == NULL));
  if (by_process) assert_same_instance(by_name, by_process, false);
  bp_instance_free(by_process);
  if (by_name) {
    assert_same_instance(by_name, by_index, true);
    assert_int_equal(bp_doc_get_at(bp_instance_doc(by_index), NFIELDS, &(BpValue){0}), BP_EINVAL);
  }
  bp_instance_free(by_name);
  bp_instance_free(by_index);
}

static void test_start_at_as_start(void **state) {
  (void)state;
  World w;
  open_world(&w);
  BpValue tags[] = {bp_user("bob"), bp_user("ann")};
  BpArg good[] = {{"name", bp_string("Контакт 1, ООО \"Ромашка\"")},
                  {"city", bp_string(" Моква ")},
                  {"owner", bp_user("ann")},
                  {"tags", bp_list(BP_T_USER, tags, 2)},
                  {"total", bp_int(12)}}; /* an int where a decimal is declared: converted */
  same_both_ways(&w, good, 5, NULL, 0);
  same_both_ways(&w, good + 1, 1, NULL, 0);  /* the rest at their defaults */
  same_both_ways(&w, NULL, 0, NULL, 0);      /* all of them */
  BpArg step[] = {{"step", bp_int(200)}};    /* the process terminates: visits 203 */
  same_both_ways(&w, good, 5, step, 1);
  BpArg twice[] = {{"city", bp_string("Тула")}, {"city", bp_string("Моква")}}; /* the last wins */
  same_both_ways(&w, twice, 2, NULL, 0);
  BpArg bad_utf8[] = {{"name", bp_string("ok")}, {"city", {.type = BP_T_STRING, .s = "\xD0", .len = 1}}};
  same_both_ways(&w, bad_utf8, 2, NULL, 0);
  BpArg bad_type[] = {{"visits", bp_string("three")}};
  same_both_ways(&w, bad_type, 1, NULL, 0);
  BpArg bad_param[] = {{"step", bp_string("one")}};
  same_both_ways(&w, good, 2, bad_param, 1);
  close_world(&w);
}

static void test_start_at_refuses(void **state) {
  (void)state;
  World w;
  open_world(&w);
  BpInstance *inst = (BpInstance *)&w; /* set to NULL by the call */
  BpError err = {0};
  uint16_t index[] = {NFIELDS};
  BpValue vals[] = {bp_string("x")};
  assert_int_equal(bp_start_at(w.b, "fix", index, vals, 1, NULL, 0, NULL, &inst, &err), BP_EINVAL);
  assert_null(inst);
  assert_non_null(strstr(err.message, "no field 6"));
  assert_int_equal(bp_start_at(w.b, "nope", NULL, NULL, 0, NULL, 0, NULL, &inst, &err), BP_EINVAL);
  assert_non_null(strstr(err.message, "no process `nope`"));
  BpArg not_param[] = {{"city", bp_string("x")}}; /* fields go by index */
  assert_int_equal(bp_start_at(w.b, "fix", NULL, NULL, 0, not_param, 1, NULL, &inst, &err), BP_EINVAL);
  assert_non_null(strstr(err.message, "`city` is not a parameter of `fix`"));
  assert_int_equal(bp_start_at(w.b, "fix", NULL, vals, 1, NULL, 0, NULL, &inst, &err), BP_EINVAL);
  /* By the process's index: one out of range, and the same refusals as by name. */
  inst = (BpInstance *)&w;
  assert_int_equal(bp_start_at_process(w.b, 4, NULL, NULL, 0, NULL, 0, NULL, &inst, &err), BP_EINVAL);
  assert_null(inst);
  assert_non_null(strstr(err.message, "no process 4"));
  assert_int_equal(bp_start_at_process(w.b, 0, index, vals, 1, NULL, 0, NULL, &inst, &err), BP_EINVAL);
  assert_non_null(strstr(err.message, "no field 6 in the document of `fix`"));
  assert_int_equal(bp_start_at_process(w.b, 0, NULL, NULL, 0, not_param, 1, NULL, &inst, &err), BP_EINVAL);
  assert_non_null(strstr(err.message, "`city` is not a parameter of `fix`"));
  assert_int_equal(bp_start_at_process(NULL, 0, NULL, NULL, 0, NULL, 0, NULL, &inst, &err), BP_EINVAL);
  close_world(&w);
}

static void test_start_at_every_allocation_fails(void **state) {
  (void)state;
  World w;
  open_world(&w);
  uint16_t index[3];
  BpValue vals[] = {bp_string("Моква"), bp_user("ann"), bp_list(BP_T_USER, (BpValue[]){bp_user("a")}, 1)};
  assert_true(bp_field_index(w.b, "fix", "city", &index[0]));
  assert_true(bp_field_index(w.b, "fix", "owner", &index[1]));
  assert_true(bp_field_index(w.b, "fix", "tags", &index[2]));
  BpArg step[] = {{"step", bp_int(2)}};
  bool done = false;
  for (long n = 1; !done && n < 1000; n++) {
    long before = w.heap.outstanding;
    arm_heap(&w, n);
    BpInstance *inst = NULL;
    BpError err = {0};
    BpStatus st = bp_start_at(w.b, "fix", index, vals, 3, step, 1, NULL, &inst, &err);
    w.heap.armed = false;
    if (!w.heap.failed) {
      assert_int_equal(st, BP_OK);
      BpValue city;
      assert_int_equal(bp_doc_get_at(bp_instance_doc(inst), index[0], &city), BP_OK);
      assert_string_equal(city.s, "Москва");
      done = true;
    } else {
      assert_int_equal(st, BP_ENOMEM);
      assert_null(inst);
    }
    bp_instance_free(inst);
    assert_int_equal(w.heap.outstanding, before);
  }
  assert_true(done);
  close_world(&w);
}

/* Allocations (those of the heap's counting) of one start: bp_start_at_process's, or
 * bp_start_at_again's on *AGAIN. */
static long start_counted(World *w, size_t process, const uint16_t *index, const BpValue *vals, size_t n,
                          const BpArg *params, size_t np, BpInstance **again, BpInstance **fresh, BpStatus *st,
                          BpError *err) {
  arm_heap(w, 0);
  if (again) *st = bp_start_at_again(w->b, process, index, vals, n, params, np, NULL, again, err);
  else *st = bp_start_at_process(w->b, process, index, vals, n, params, np, NULL, fresh, err);
  w->heap.armed = false;
  return w->heap.allocations;
}

/* bp_start_at_again on one instance, row after row: each start the same as
 * bp_start_at_process's (status, message, fields), with fewer allocations (the instance
 * and its document, and texts as long as the old ones: test_start_at_again_in_place)
 * whenever the instance before it was there to be taken: one that completed, terminated,
 * waits on a timer, or is gone after a refused start. */
static void test_start_at_again(void **state) {
  (void)state;
  World w;
  open_world(&w);
  BpValue tags[] = {bp_user("bob"), bp_user("ann")};
  BpArg good[] = {{"name", bp_string("Контакт 1, ООО \"Ромашка\"")},
                  {"city", bp_string(" Моква ")},
                  {"owner", bp_user("ann")},
                  {"tags", bp_list(BP_T_USER, tags, 2)},
                  {"total", bp_int(12)}};
  BpArg waits[] = {{"city", bp_string("wait")}, {"name", bp_string("w")}};
  BpArg bad_utf8[] = {{"name", bp_string("ok")}, {"city", {.type = BP_T_STRING, .s = "\xD0", .len = 1}}};
  BpArg bad_type[] = {{"visits", bp_string("three")}};
  BpArg step[] = {{"step", bp_int(200)}}; /* the process terminates: visits 203 */
  BpArg bad_param[] = {{"step", bp_string("one")}};
  struct {
    const BpArg *fields;
    size_t n;
    const BpArg *params;
    size_t np;
  } rows[] = {{good, 5, NULL, 0},     {good + 1, 1, NULL, 0}, {NULL, 0, NULL, 0},     {good, 5, step, 1},
              {waits, 2, NULL, 0},    {good, 2, NULL, 0},     {bad_utf8, 2, NULL, 0}, {good, 5, NULL, 0},
              {bad_type, 1, NULL, 0}, {good, 3, NULL, 0},     {good, 2, bad_param, 1}, {waits, 2, NULL, 0},
              {good, 5, NULL, 0}};
  BpInstance *again = NULL;
  for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
    uint16_t index[8];
    BpValue vals[8];
    for (size_t i = 0; i < rows[r].n; i++) {
      assert_true(bp_field_index(w.b, "fix", rows[r].fields[i].name, &index[i]));
      vals[i] = rows[r].fields[i].value;
    }
    BpInstance *fresh = NULL;
    BpStatus s1, s2;
    BpError e1 = {0}, e2 = {0};
    long a1 = start_counted(&w, 0, index, vals, rows[r].n, rows[r].params, rows[r].np, NULL, &fresh, &s1, &e1);
    bool there = again != NULL;
    long a2 = start_counted(&w, 0, index, vals, rows[r].n, rows[r].params, rows[r].np, &again, NULL, &s2, &e2);
    assert_int_equal(s1, s2);
    assert_string_equal(e1.message, e2.message);
    assert_true((fresh == NULL) == (again == NULL));
    if (fresh) assert_same_instance(fresh, again, true);
    if (s1 == BP_OK && there) assert_true(a2 < a1);
    if (s1 == BP_OK && !there) assert_int_equal(a2, a1);
    bp_instance_free(fresh);
  }
  assert_non_null(again);
  assert_int_equal(bp_instance_status(again), BP_COMPLETED);
  bp_instance_free(again);
  /* Refused before anything is done: the instance is let go all the same. */
  BpError err = {0};
  again = NULL;
  assert_int_equal(bp_start_at_again(w.b, 0, NULL, NULL, 0, NULL, 0, NULL, &again, &err), BP_OK);
  assert_int_equal(bp_start_at_again(w.b, 7, NULL, NULL, 0, NULL, 0, NULL, &again, &err), BP_EINVAL);
  assert_null(again);
  assert_non_null(strstr(err.message, "no process 7"));
  assert_int_equal(bp_start_at_again(w.b, 0, NULL, NULL, 0, NULL, 0, NULL, NULL, &err), BP_EINVAL);
  close_world(&w); /* nothing left */
}

/* Starts process PROCESS both ways with TEXTS for the fields named NAMES; the same
 * status, message and fields; returns how many allocations bp_start_at_again saved, and
 * how many it made in *MADE (when given). */
static long again_vs_fresh_made(World *w, size_t process, const char *const *names_, const char *const *texts,
                                size_t n, BpInstance **again, long *made) {
  uint16_t index[4];
  BpValue vals[4];
  for (size_t i = 0; i < n; i++) {
    assert_true(bp_field_index(w->b, bp_bundle_process_name(w->b, process), names_[i], &index[i]));
    vals[i] = (BpValue){.type = BP_T_STRING, .s = texts[i], .len = strlen(texts[i])};
  }
  BpInstance *fresh = NULL;
  BpStatus s1, s2;
  BpError e1 = {0}, e2 = {0};
  long a1 = start_counted(w, process, index, vals, n, NULL, 0, NULL, &fresh, &s1, &e1);
  long a2 = start_counted(w, process, index, vals, n, NULL, 0, again, NULL, &s2, &e2);
  assert_int_equal(s1, s2);
  assert_string_equal(e1.message, e2.message);
  assert_true((fresh == NULL) == (*again == NULL));
  if (fresh) assert_same_instance(fresh, *again, true);
  bp_instance_free(fresh);
  if (made) *made = a2;
  return a1 - a2;
}

static long again_vs_fresh(World *w, size_t process, const char *const *names_, const char *const *texts, size_t n,
                           BpInstance **again) {
  return again_vs_fresh_made(w, process, names_, texts, n, again, NULL);
}

static void assert_name_city(BpInstance *inst, const char *name, const char *city) {
  BpValue v;
  assert_int_equal(bp_doc_get(bp_instance_doc(inst), "name", &v), BP_OK);
  assert_string_equal(v.s, name);
  assert_int_equal(bp_doc_get(bp_instance_doc(inst), "city", &v), BP_OK);
  assert_string_equal(v.s, city);
}

/* A text the document's room for texts holds goes there (BpDoc.made), and each
 * bp_start_at_again has that room whole again: no allocation at all, row after row, for
 * texts of any length that fit, one shared by two fields (name = city) or not; the fresh
 * start makes only the document. */
static void test_start_at_again_texts_in_room(void **state) {
  (void)state;
  World w;
  open_world(&w);
  size_t share = process_number(&w, "share");
  BpInstance *again = NULL;
  const char *const nc[] = {"name", "city"}, *const cn[] = {"city", "name"};
  long made;
  assert_int_equal(again_vs_fresh(&w, share, nc, (const char *[]){"abc", "Омск"}, 2, &again), 0);
  static const char *const cities[] = {"Рига", "Санкт-Петербург", "Омск", "Тула", "Новгород", "Ростов-на-Дону"};
  char name[80];
  for (int r = 0; r < 60; r++) { /* 60 rows of about 60 bytes each: many times the room */
    snprintf(name, sizeof name, "Контакт %d, ООО \"Ромашка\"%.*s", r * 37, r % 9, "xxxxxxxxx");
    const char *city = cities[r % 6];
    assert_int_equal(again_vs_fresh_made(&w, share, r % 2 ? nc : cn, r % 2 ? (const char *[]){name, city}
                                                                            : (const char *[]){city, name},
                                         2, &again, &made),
                     1);
    assert_int_equal(made, 0);
    assert_name_city(again, strcmp(city, "Тула") == 0 ? "Тула" : name, city);
  }
  /* name = city, one text for both; then each its own */
  again_vs_fresh_made(&w, share, nc, (const char *[]){"xy", "Тула"}, 2, &again, &made);
  assert_int_equal(made, 0);
  assert_name_city(again, "Тула", "Тула");
  again_vs_fresh_made(&w, share, cn, (const char *[]){"Рига", "Омск"}, 2, &again, &made);
  assert_int_equal(made, 0);
  assert_name_city(again, "Омск", "Рига");
  bp_instance_free(again);
  close_world(&w);
}

/* Texts that the process makes of texts (substr, trim, +) go to the document's room for
 * texts while they fit, as the given ones do: no allocation at all row after row; past
 * the room they are allocated; the same values either way. */
static void test_start_at_again_made_in_room(void **state) {
  (void)state;
  World w;
  open_world(&w);
  size_t join = process_number(&w, "join");
  BpInstance *again = NULL;
  const char *const nc[] = {"name", "city"};
  long made;
  char name[80], want[200];
  static const char *const cities[] = {" Рига ", "Санкт-Петербург", "Омск  ", "Тула"};
  static const char *const trimmed[] = {"Рига", "Санкт-Петербург", "Омск", "Тула"};
  for (int r = 0; r < 60; r++) {
    snprintf(name, sizeof name, "Контакт %d, ООО \"Ромашка\"", r * 37);
    assert_int_equal(
        again_vs_fresh_made(&w, join, nc, (const char *[]){name, cities[r % 4]}, 2, &again, &made), r ? 1 : 0);
    if (r) assert_int_equal(made, 0);
    snprintf(want, sizeof want, "онт-%s-%s", trimmed[r % 4], name);
    assert_name_city(again, want, cities[r % 4]);
  }
  /* a name of 300 bytes: the texts made of it no longer fit; allocated, the same */
  char longname[301];
  memset(longname, 'n', 300);
  longname[300] = '\0';
  again_vs_fresh_made(&w, join, nc, (const char *[]){longname, "Омск"}, 2, &again, &made);
  assert_true(made > 0);
  BpValue v;
  assert_int_equal(bp_doc_get(bp_instance_doc(again), "name", &v), BP_OK);
  assert_int_equal(v.len, 3 + 1 + strlen("Омск") + 1 + 300);
  assert_memory_equal(v.s, "nnn-Омск-nnn", strlen("nnn-Омск-nnn"));
  again_vs_fresh_made(&w, join, nc, (const char *[]){"Новгород", "Омск"}, 2, &again, &made);
  assert_int_equal(made, 0);
  assert_name_city(again, "овг-Омск-Новгород", "Омск");
  bp_instance_free(again);
  close_world(&w);
}

/* Texts past the room: one as long as the field's old one, which nothing else holds, is
 * written over it: no allocation for it; one held by another field too is not (the other
 * would change); text that is not UTF-8 is refused as bp_start_at_process refuses it. */
static void test_start_at_again_in_place(void **state) {
  (void)state;
  World w;
  open_world(&w);
  size_t share = process_number(&w, "share");
  BpInstance *again = NULL;
  const char *const nc[] = {"name", "city"}, *const cn[] = {"city", "name"};
  /* texts of 400 bytes: more than the room for texts (RT_DOC_MADE_ROOM: 384) */
  enum { LONG = 400 };
  char abc[LONG + 1], xyz[LONG + 1], xy[LONG], omsk[LONG + 1], riga[LONG + 1], tula[LONG + 1];
  memset(abc, 'a', LONG), memset(xyz, 'x', LONG), memset(xy, 'y', LONG - 1);
  abc[LONG] = xyz[LONG] = xy[LONG - 1] = '\0';
  snprintf(omsk, sizeof omsk, "Омск%0*d", LONG - 8, 1);
  snprintf(riga, sizeof riga, "Рига%0*d", LONG - 8, 2);
  snprintf(tula, sizeof tula, "Тула%0*d", LONG - 8, 3);
  assert_int_equal(strlen(omsk), LONG);
  assert_int_equal(again_vs_fresh(&w, share, nc, (const char *[]){abc, omsk}, 2, &again), 0);
  /* name and city as long as before: both in place, and the document: three fewer */
  assert_int_equal(again_vs_fresh(&w, share, nc, (const char *[]){xyz, riga}, 2, &again), 3);
  /* a text of another length: made anew */
  assert_int_equal(again_vs_fresh(&w, share, nc, (const char *[]){xy, riga}, 2, &again), 2);
  /* city Тула... (in place, as name): then name = city, one text for both fields */
  assert_int_equal(again_vs_fresh(&w, share, nc, (const char *[]){xy, tula}, 2, &again), 3);
  assert_name_city(again, tula, tula);
  /* city first: the shared text is not written over (name would be Рига too); name,
   * then alone with it, is */
  assert_int_equal(again_vs_fresh(&w, share, cn, (const char *[]){riga, omsk}, 2, &again), 2);
  assert_name_city(again, omsk, riga);
  /* as long, but not UTF-8: refused, as by bp_start_at_process */
  char bad[LONG + 1];
  memset(bad, '\xD0', LONG);
  bad[LONG] = '\0';
  again_vs_fresh(&w, share, nc, (const char *[]){abc, bad}, 2, &again);
  assert_null(again);
  /* of another length (made anew, straight into the field) and not UTF-8: refused too,
   * short or long */
  assert_int_equal(again_vs_fresh(&w, share, nc, (const char *[]){abc, omsk}, 2, &again), 0);
  again_vs_fresh(&w, share, nc, (const char *[]){"abc", "Санкт-Петербург\xD0"}, 2, &again);
  assert_null(again);
  assert_int_equal(again_vs_fresh(&w, share, nc, (const char *[]){abc, omsk}, 2, &again), 0);
  again_vs_fresh(&w, share, nc, (const char *[]){"abcd", "\xC0\x80"}, 2, &again);
  assert_null(again);
  /* a shared text (name = city) given way to one of another length: the other field
   * keeps it until it is given its own */
  assert_int_equal(again_vs_fresh(&w, share, nc, (const char *[]){xy, tula}, 2, &again), 0);
  assert_int_equal(again_vs_fresh(&w, share, cn, (const char *[]){xy, omsk}, 2, &again), 2);
  assert_name_city(again, omsk, xy);
  bp_instance_free(again);
  close_world(&w);
}

/* Every allocation of bp_start_at_again failing in turn, on an instance it can take (a
 * text written in place, one made anew, a list): BP_ENOMEM, the old instance gone,
 * nothing leaked. */
static void test_start_at_again_every_allocation_fails(void **state) {
  (void)state;
  World w;
  open_world(&w);
  uint16_t index[4];
  BpValue first[] = {bp_string("Моква"), bp_string("abc"), bp_user("ann"), bp_list(BP_T_USER, (BpValue[]){bp_user("a")}, 1)};
  BpValue next[] = {bp_string(" Моква "), bp_string("xyz"), bp_user("bob"), bp_list(BP_T_USER, (BpValue[]){bp_user("b")}, 1)};
  assert_true(bp_field_index(w.b, "fix", "city", &index[0]));
  assert_true(bp_field_index(w.b, "fix", "name", &index[1]));
  assert_true(bp_field_index(w.b, "fix", "owner", &index[2]));
  assert_true(bp_field_index(w.b, "fix", "tags", &index[3]));
  bool done = false;
  for (long n = 1; !done && n < 1000; n++) {
    long before = w.heap.outstanding;
    BpInstance *inst = NULL;
    BpError err = {0};
    assert_int_equal(bp_start_at_again(w.b, 0, index, first, 4, NULL, 0, NULL, &inst, &err), BP_OK);
    arm_heap(&w, n);
    BpStatus st = bp_start_at_again(w.b, 0, index, next, 4, NULL, 0, NULL, &inst, &err);
    w.heap.armed = false;
    if (!w.heap.failed) {
      assert_int_equal(st, BP_OK);
      BpValue v;
      assert_int_equal(bp_doc_get_at(bp_instance_doc(inst), index[0], &v), BP_OK);
      assert_string_equal(v.s, "Москва");
      assert_int_equal(bp_doc_get_at(bp_instance_doc(inst), index[1], &v), BP_OK);
      assert_string_equal(v.s, "xyz");
      done = true;
    } else {
      assert_int_equal(st, BP_ENOMEM);
      assert_null(inst);
    }
    bp_instance_free(inst);
    assert_int_equal(w.heap.outstanding, before);
  }
  assert_true(done);
  close_world(&w);
}

/* An instance that started another on its document: the document is not only its own,
 * so the next start makes a new one and the other instance keeps its document. */
static void test_start_at_again_shared_doc(void **state) {
  (void)state;
  World w;
  Started started = {0};
  open_world_with(&w, &started);
  size_t spawn = process_number(&w, "spawn");
  uint16_t index[1];
  assert_true(bp_field_index(w.b, "spawn", "city", &index[0]));
  BpValue vals[] = {bp_string("Тула")};
  BpInstance *again = NULL, *fresh = NULL;
  BpStatus st;
  BpError err = {0};
  long fresh_allocs = start_counted(&w, spawn, index, vals, 1, NULL, 0, NULL, &fresh, &st, &err);
  assert_int_equal(st, BP_OK);
  for (size_t i = 0; i < started.n; i++) bp_instance_free(started.inst[i]);
  started.n = 0;
  bp_instance_free(fresh);
  assert_int_equal(bp_start_at_again(w.b, spawn, index, vals, 1, NULL, 0, NULL, &again, &err), BP_OK);
  assert_int_equal(started.n, 1);
  BpInstance *child = started.inst[0];
  assert_ptr_equal(bp_instance_doc(child), bp_instance_doc(again));
  /* The child holds the document: a start of its own, as many allocations as a fresh one. */
  assert_int_equal(start_counted(&w, spawn, index, vals, 1, NULL, 0, &again, NULL, &st, &err), fresh_allocs);
  assert_int_equal(st, BP_OK);
  assert_int_equal(started.n, 2);
  BpValue name;
  assert_int_equal(bp_doc_get(bp_instance_doc(child), "name", &name), BP_OK);
  assert_string_equal(name.s, "spawned");
  assert_int_equal(bp_instance_status(child), BP_COMPLETED);
  for (size_t i = 0; i < started.n; i++) bp_instance_free(started.inst[i]);
  bp_instance_free(again);
  close_world(&w);
}

/* An instance restored without a document of the host's (its texts and lists in its
 * document's allocation, immortal), then bp_start_at_again of the same process with the
 * fields that hold them given: the old allocation is cleared for the new start, so those
 * values must not be kept (let go, or written over) from there. */
static void test_start_at_again_restored(void **state) {
  (void)state;
  World w;
  open_world(&w);
  uint16_t index[4];
  assert_true(bp_field_index(w.b, "fix", "city", &index[0]));
  assert_true(bp_field_index(w.b, "fix", "name", &index[1]));
  assert_true(bp_field_index(w.b, "fix", "owner", &index[2]));
  assert_true(bp_field_index(w.b, "fix", "tags", &index[3]));
  BpValue first[] = {bp_string("wait"), bp_string("abc"), bp_user("ann"), bp_list(BP_T_USER, (BpValue[]){bp_user("a")}, 1)};
  BpValue next[] = {bp_string("Омск"), bp_string("xyz"), bp_user("bob"), bp_list(BP_T_USER, (BpValue[]){bp_user("b")}, 1)};
  BpInstance *inst = NULL;
  BpError err = {0};
  assert_int_equal(bp_start_at_process(w.b, 0, index, first, 4, NULL, 0, NULL, &inst, &err), BP_OK);
  assert_int_equal(bp_instance_status(inst), BP_WAITING);
  uint8_t *saved;
  size_t n;
  assert_int_equal(bp_instance_save(inst, &saved, &n, &err), BP_OK);
  bp_instance_free(inst);
  inst = NULL;
  assert_int_equal(bp_instance_restore(w.b, NULL, saved, n, &inst, &err), BP_OK);
  bp_free(w.rt, saved, n);
  /* Where the restored city's text is: in the instance's memory, which the next start
   * clears (and does not take: a restored instance is of another size than a started
   * one), and the document keeps. Its count (the 4 bytes before its length, before its
   * bytes) must stay as the clearing left it: nothing may count the text down there. */
  BpDoc *doc = bp_instance_doc(inst);
  BpValue v;
  assert_int_equal(bp_doc_get_at(doc, index[0], &v), BP_OK);
  const unsigned char *count = (const unsigned char *)v.s - 8;
  assert_int_equal(bp_start_at_again(w.b, 0, index, next, 4, NULL, 0, NULL, &inst, &err), BP_OK);
  assert_ptr_equal(bp_instance_doc(inst), doc);
  for (int k = 0; k < 4; k++) assert_int_equal(count[k], 0);
  assert_int_equal(bp_doc_get_at(bp_instance_doc(inst), index[1], &v), BP_OK);
  assert_string_equal(v.s, "xyz");
  assert_int_equal(bp_doc_get_at(bp_instance_doc(inst), index[2], &v), BP_OK);
  assert_string_equal(v.s, "bob");
  bp_instance_free(inst);
  close_world(&w);
}

/* A process that waits for a person, row after row on one instance (bp_start_at_again),
 * a decision on each and, every third row, a save and a restore before it: the texts it
 * made before the wait (substr, trim, + and the title, in the document's room for texts
 * or past it) are read after it, by the event and by the next start's clearing; the same
 * journal, fields and end as a fresh start's (bp_start_at_process), row after row. */
static const char hold_source[] = "document Contact {\n"
                                  "  name: string\n"
                                  "  city: string\n"
                                  "  owner: user\n"
                                  "}\n"
                                  "process hold \"Hold\" on Contact {\n"
                                  "  var acc: string = \"\"\n"
                                  "  acc = substr(name, 1, 3) + \"/\" + trim(city)\n"
                                  "  approve owner \"Check {acc}\" -> r\n"
                                  "  name = acc + \"|\" + r.comment + \"|\" + trim(name)\n"
                                  "  log \"{acc} {name}\"\n"
                                  "}\n";

typedef struct Lines {
  char text[16384];
  size_t len;
} Lines;

static Lines *lines_now; /* where on_line writes: the fresh start's or the kept one's */

static void on_line(void *ud, BpInstance *inst, const BpJournal *line) {
  (void)ud, (void)inst;
  Lines *l = lines_now;
  int n = snprintf(l->text + l->len, sizeof l->text - l->len, "%d %s %s\n", line->kind, line->node, line->text);
  assert_true(n >= 0 && (size_t)n < sizeof l->text - l->len);
  l->len += (size_t)n;
}

/* One row: started (fresh or on *AGAIN), perhaps saved and restored, decided by ann with
 * COMMENT; its journal in *L. Returns the instance (the fresh one is the caller's to free). */
static BpInstance *hold_row(World *w, const uint16_t *index, const BpValue *vals, BpInstance **again, bool restore,
                            const char *comment, Lines *l) {
  BpInstance *inst = NULL;
  BpError err = {0};
  lines_now = l;
  l->len = 0;
  if (again) {
    assert_int_equal(bp_start_at_again(w->b, 0, index, vals, 3, NULL, 0, NULL, again, &err), BP_OK);
    inst = *again;
  } else {
    assert_int_equal(bp_start_at_process(w->b, 0, index, vals, 3, NULL, 0, NULL, &inst, &err), BP_OK);
  }
  assert_int_equal(bp_instance_status(inst), BP_WAITING);
  if (restore) {
    uint8_t *saved;
    size_t n;
    assert_int_equal(bp_instance_save(inst, &saved, &n, &err), BP_OK);
    bp_instance_free(inst);
    inst = NULL;
    assert_int_equal(bp_instance_restore(w->b, NULL, saved, n, &inst, &err), BP_OK);
    bp_free(w->rt, saved, n);
    if (again) *again = inst;
  }
  assert_int_equal(bp_decide(inst, 0, "ann", true, comment, &err), BP_OK);
  assert_int_equal(bp_instance_status(inst), BP_COMPLETED);
  return inst;
}

static void test_start_at_again_waits_between_rows(void **state) {
  (void)state;
  World w;
  Compiled c = compile_text(hold_source);
  size_t len;
  w.bytes = bundle_of(c.ir, &len);
  compiled_free(&c);
  w.heap = (Heap){0};
  BpConfig cfg = {.size = sizeof cfg, .alloc = heap_alloc, .alloc_ud = &w.heap, .journal = on_line};
  BpError err = {0};
  assert_int_equal(bp_runtime_new(&cfg, &w.rt, &err), BP_OK);
  assert_int_equal(bp_bundle_load(w.rt, w.bytes, len, &w.b, &err), BP_OK);
  uint16_t index[3];
  assert_true(bp_field_index(w.b, "hold", "name", &index[0]));
  assert_true(bp_field_index(w.b, "hold", "city", &index[1]));
  assert_true(bp_field_index(w.b, "hold", "owner", &index[2]));
  static const char *const cities[] = {" Рига ", "Санкт-Петербург", "Омск  ", "Тула"};
  static Lines fresh_lines, again_lines;
  char name[600], comment[600];
  BpInstance *again = NULL;
  for (int r = 0; r < 24; r++) {
    /* names and comments of other lengths, some past the room for texts (384 bytes) */
    int pad = r % 4 == 0 ? 420 : r % 5;
    snprintf(name, sizeof name, " Контакт %d ", r * 37);
    size_t nl = strlen(name);
    memset(name + nl, 'n', (size_t)pad), name[nl + (size_t)pad] = '\0';
    int cl = r % 3 == 0 ? 390 : r;
    memset(comment, 'c', (size_t)cl), comment[cl] = '\0';
    BpValue vals[] = {bp_string(name), bp_string(cities[r % 4]), bp_user("ann")};
    BpInstance *fresh = hold_row(&w, index, vals, NULL, false, comment, &fresh_lines);
    BpInstance *kept = hold_row(&w, index, vals, &again, r % 3 == 1, comment, &again_lines);
    assert_ptr_equal(kept, again);
    for (int i = 0; i < 3; i++) {
      BpValue a, b;
      assert_int_equal(bp_doc_get_at(bp_instance_doc(fresh), index[i], &a), BP_OK);
      assert_int_equal(bp_doc_get_at(bp_instance_doc(kept), index[i], &b), BP_OK);
      assert_int_equal(a.type, b.type);
      assert_int_equal(a.len, b.len);
      assert_memory_equal(a.s, b.s, a.len);
    }
    assert_int_equal(fresh_lines.len, again_lines.len);
    assert_memory_equal(fresh_lines.text, again_lines.text, fresh_lines.len);
    BpValue v;
    assert_int_equal(bp_doc_get_at(bp_instance_doc(kept), index[0], &v), BP_OK);
    assert_int_equal(memcmp(v.s, "Кон/", strlen("Кон/")), 0);
    bp_instance_free(fresh);
  }
  bp_instance_free(again);
  close_world(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_field_index),
      cmocka_unit_test(test_start_at_as_start),
      cmocka_unit_test(test_start_at_refuses),
      cmocka_unit_test(test_start_at_every_allocation_fails),
      cmocka_unit_test(test_start_at_again),
      cmocka_unit_test(test_start_at_again_shared_doc),
      cmocka_unit_test(test_start_at_again_texts_in_room),
      cmocka_unit_test(test_start_at_again_made_in_room),
      cmocka_unit_test(test_start_at_again_in_place),
      cmocka_unit_test(test_start_at_again_every_allocation_fails),
      cmocka_unit_test(test_start_at_again_restored),
      cmocka_unit_test(test_start_at_again_waits_between_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
