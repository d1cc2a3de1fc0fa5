/* check_states.c — processes with statuses: states, commands, gotos, and
 * whether the machine can run from its first state to a final one.
 *
 * Every command target and every `goto` inside a state's `enter` or command
 * body is an edge from that state. After the bodies are checked, a breadth-
 * first walk from the first state finds the states that can never be entered
 * and whether any final state is reachable. */
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

void check_register_states(Checker *C, States *st) {
  for (uint32_t i = 0; i < st->n; i++) {
    State *s = &st->states[i];
    if (!s->name.s) continue;
    check_add_symbol(C, SYM_STATE, s->name, &type_void, s);
    void **slot = check_table_slot(&C->states, s->name.s);
    if (*slot) {
      diag_error(C->diags, s->name.span, "duplicate state `%s`", s->name.s);
      diag_note(C->diags, ((State *)*slot)->name.span, "first declared here");
      continue;
    }
    *slot = s;
  }
}

static void add_edge(Checker *C, uint32_t to) {
  if (C->current_state < 0) return;
  if (C->nedges == C->edges_cap) {
    C->edges_cap = C->edges_cap ? C->edges_cap * 2 : 64;
    C->edges = xrealloc(C->edges, C->edges_cap * sizeof *C->edges);
  }
  C->edges[C->nedges++] = (StateEdge){(uint32_t)C->current_state, to};
}

/* `-> STATE` or `goto STATE`: the state's index, or -1 after a report. */
static int64_t resolve_state(Checker *C, const Name *name) {
  const State *s = check_table_get(&C->states, name->s);
  if (s) return s - C->cur_states->states;
  Suggest sg;
  check_suggest_init(&sg, name->s);
  for (uint32_t i = 0; i < C->cur_states->n; i++)
    check_suggest_consider(C, &sg, C->cur_states->states[i].name.s);
  check_report_unknown(C, name->span, "unknown state", name->s, sg.best);
  /* The flow checks go on: the edge goes where the message suggests, or,
   * without a suggestion, to any state (see STATE_ANY). */
  const State *meant = sg.best ? check_table_get(&C->states, sg.best) : NULL;
  add_edge(C, meant ? (uint32_t)(meant - C->cur_states->states) : STATE_ANY);
  return -1;
}

bool check_goto(Checker *C, Stmt *s) {
  const Name *name = &s->u.goto_.state;
  if (!C->cur_states) {
    diag_error(C->diags, s->span, "`goto` is only allowed in a process with states");
    return false;
  }
  if (!name->s) return true;
  int64_t to = resolve_state(C, name);
  if (to >= 0) add_edge(C, (uint32_t)to);
  return true;
}

static void check_command(Checker *C, Command *c, NameTable *names) {
  if (c->name.s) {
    void **slot = check_table_slot(names, c->name.s);
    if (*slot) {
      diag_error(C->diags, c->name.span, "duplicate command `%s` in this state", c->name.s);
      diag_note(C->diags, ((Command *)*slot)->name.span, "first declared here");
    } else {
      *slot = c;
    }
  }
  if (c->label) check_text(C, c->label, "a command label");
  check_who(C, c->by, c->nby, "no one may run this command: the list is empty");
  if (c->target.s) {
    int64_t to = resolve_state(C, &c->target);
    if (to >= 0) add_edge(C, (uint32_t)to);
  }
  if (c->body) check_block(C, c->body, (Flow){0});
}

static void check_state(Checker *C, State *s, uint32_t index) {
  C->current_state = index;
  if (s->label) check_text(C, s->label, "a state label");
  if (s->final && s->ncommands)
    diag_error(C->diags, s->commands[0].name.span, "final state `%s` cannot have commands",
               s->name.s);
  if (s->enter) check_block(C, s->enter, (Flow){0});
  NameTable commands;
  check_table_init(&commands);
  for (uint32_t i = 0; i < s->ncommands; i++) check_command(C, &s->commands[i], &commands);
  check_table_free(&commands);
  C->current_state = -1;
}

/* ---- reachability --------------------------------------------------------------- */

/* Marks in seen[] every state reachable from state 0 (edges in CSR form). */
static void walk_from_first(Checker *C, uint32_t n, bool *seen) {
  uint32_t *start = xcalloc(n + 1, sizeof *start);
  uint32_t *targets = xmalloc((C->nedges ? C->nedges : 1) * sizeof *targets);
  bool *to_any = xcalloc(n, sizeof *to_any);
  for (uint32_t i = 0; i < C->nedges; i++) {
    if (C->edges[i].to == STATE_ANY) to_any[C->edges[i].from] = true;
    else start[C->edges[i].from + 1]++;
  }
  for (uint32_t i = 0; i < n; i++) start[i + 1] += start[i];
  uint32_t *fill = xmalloc(n * sizeof *fill);
  memcpy(fill, start, n * sizeof *fill);
  for (uint32_t i = 0; i < C->nedges; i++)
    if (C->edges[i].to != STATE_ANY) targets[fill[C->edges[i].from]++] = C->edges[i].to;
  uint32_t *queue = xmalloc(n * sizeof *queue);
  uint32_t head = 0, tail = 0;
  seen[0] = true;
  queue[tail++] = 0;
  while (head < tail) {
    uint32_t s = queue[head++];
    if (to_any[s]) {
      for (uint32_t t = 0; t < n; t++) seen[t] = true;
      break;
    }
    for (uint32_t k = start[s]; k < start[s + 1]; k++) {
      uint32_t t = targets[k];
      if (!seen[t]) {
        seen[t] = true;
        queue[tail++] = t;
      }
    }
  }
  free(to_any);
  free(queue);
  free(fill);
  free(targets);
  free(start);
}

static void check_reachability(Checker *C, States *st) {
  bool *seen = xcalloc(st->n, sizeof *seen);
  walk_from_first(C, st->n, seen);
  bool final_reached = false;
  for (uint32_t i = 0; i < st->n; i++) {
    const State *s = &st->states[i];
    if (seen[i]) final_reached |= s->final;
    /* A duplicate was reported as such; its edges went to the first. */
    else if (s->name.s && check_table_get(&C->states, s->name.s) == s)
      diag_error(C->diags, s->name.span, "state `%s` can never be reached", s->name.s);
  }
  if (!final_reached)
    diag_error(C->diags, st->states[0].name.span, "no final state can be reached from `%s`",
               st->states[0].name.s);
  free(seen);
}

void check_states(Checker *C, States *st) {
  if (st->n == 0) {
    diag_error(C->diags, st->span, "a `states` block needs at least one state");
    return;
  }
  for (uint32_t i = 0; i < st->n; i++) check_state(C, &st->states[i], i);
  check_reachability(C, st);
}
