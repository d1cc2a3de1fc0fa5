/* bpmn_form.c — what a user task asks and how its instances decide
 * (docs/bpmn.md): form fields (camunda:formField, activiti/flowable:
 * formProperty) make the task a request whose answers are process
 * variables; a multi-instance task's completion condition that is a vote
 * makes it an approval with `mode vote N%`. */
#include "bpmn_map.h"

#include <ctype.h>
#include <string.h>

static const char *eid(const BpmnElement *e) { return e->id ? e->id : bpmn_kind_name(e->kind); }

/* ---- form fields ---------------------------------------------------------------- */

/* Each field is an answer stored in the process variable of its id
 * (formProperty: its `variable`), typed by the field's type, which joins the
 * variables' type inference. Read-only properties (writable="false") are
 * shown by the host's form, not answered. */
static const Type *form_type(const char *t) {
  if (!t || !*t || strcmp(t, "string") == 0 || strcmp(t, "enum") == 0) return &type_string;
  if (strcmp(t, "long") == 0 || strcmp(t, "double") == 0 || strcmp(t, "integer") == 0 || strcmp(t, "int") == 0)
    return &type_decimal;
  if (strcmp(t, "boolean") == 0) return &type_bool;
  if (strcmp(t, "date") == 0) return &type_date;
  return NULL;
}

static const char *form_var(const BpmnFormField *ff) { return ff->variable && *ff->variable ? ff->variable : ff->id; }

bool bpmn_form_plan(BpmnMap *mp, BpmnVars *vs, const BpmnElement *e, IrNode *n) {
  uint32_t answers = 0;
  bool ok = true;
  for (uint32_t i = 0; i < e->form_fields.n; i++) {
    const BpmnFormField *ff = e->form_fields.items[i];
    if (ff->read_only) continue;
    const char *name = form_var(ff);
    bool ident = name && (isalpha((unsigned char)name[0]) || name[0] == '_');
    for (const char *q = name; ident && *q; q++) ident = isalnum((unsigned char)*q) || *q == '_';
    if (!ident) {
      bpmn_error(mp->m, ff->line, "%s: a form field `%.60s` is not supported (its id must be a variable name: letters, digits, _)",
                 eid(e), name ? name : "");
      ok = false;
      continue;
    }
    for (uint32_t k = 0; k < i; k++) {
      const BpmnFormField *g = e->form_fields.items[k];
      if (!g->read_only && form_var(g) && strcmp(form_var(g), name) == 0) {
        bpmn_error(mp->m, ff->line, "%s: two form fields write `%s` (lines %u and %u)", eid(e), name, g->line, ff->line);
        ok = false;
      }
    }
    const Type *t = form_type(ff->type);
    if (!t) {
      bpmn_error(mp->m, ff->line, "%s: the form field `%s` of type `%.40s` is not supported (mapped: string, long, double, boolean, date, enum)",
                 eid(e), name, ff->type);
      ok = false;
      continue;
    }
    if (!bpmn_var_use(mp, vs, name, t, eid(e), ff->line)) ok = false;
    answers++;
  }
  if (!ok || !answers) return ok;
  if (n->kind != IR_TASK) {
    bpmn_error(mp->m, e->line, "%s: form fields on a parallel multi-instance task are not supported (every instance's answers would go to the same variables)",
               eid(e));
    return false;
  }
  n->kind = IR_REQUEST; /* a human step still: ir_node numbered it */
  return true;
}

void bpmn_form_build(BpmnMap *mp, const BpmnVars *vs, const BpmnElement *e, IrNode *n) {
  IrProgram *ir = mp->ir;
  IrReqField *fields = arena_alloc(&ir->arena, (e->form_fields.n + 1) * sizeof *fields);
  uint32_t nf = 0;
  for (uint32_t k = 0; k < e->form_fields.n; k++) {
    const BpmnFormField *ff = e->form_fields.items[k];
    if (ff->read_only) continue;
    const char *name = form_var(ff);
    for (uint32_t j = 0; j < vs->n; j++) {
      const BpmnVar *v = &vs->v[j];
      if (strcmp(v->name, name) != 0) continue;
      IrReqField *f = &fields[nf++];
      memset(f, 0, sizeof *f);
      f->name = ir_str(ir, name);
      f->label = ir_str(ir, ff->label && *ff->label ? ff->label : name);
      f->type = v->type;
      f->to_slot = true;
      f->index = (uint16_t)v->slot;
    }
  }
  n->u.human->fields = fields;
  n->u.human->nfields = nf;
}

/* ---- votes ----------------------------------------------------------------------- */

/* A completion condition that is a vote (a parallel multi-instance user task
 * over a collection): the task becomes an approval of the collection's
 * users, `mode vote N%` with its early decision; completing an instance is
 * approving it. `nrOfCompletedInstances/nrOfInstances >= 0.6` (or
 * nrOfApproved/…): 60%; `nrOfApproved >= 2` (or nrOfCompletedInstances): two
 * approvals, N = min(100, 200 / the number of users), exact up to 100 users
 * (100·approvals >= N·users holds from the second approval on). */
/* body with every `gt`, `ge`, `or` keyword spelled as its operator: JUEL's
 * `nrOfApproved gt nrOfInstances / 2` reads, without its blanks, as
 * `nrOfApprovedgtnrOfInstances/2`. The keywords stand after a variable name the
 * patterns know, so only those places are rewritten. */
static void vote_operators(const char *body, char *out, size_t cap) {
  static const struct {
    const char *word, *op;
  } kw[] = {{"Instancesgt", "Instances>"}, {"Instancesge", "Instances>="},
            {"Approvedgt", "Approved>"},   {"Approvedge", "Approved>="},
            {"Rejectedge", "Rejected>="},  {"/2or", "/2||"}};
  size_t k = 0;
  while (*body && k + 4 < cap) {
    size_t i = 0;
    for (; i < sizeof kw / sizeof kw[0]; i++)
      if (!strncmp(body, kw[i].word, strlen(kw[i].word))) break;
    if (i < sizeof kw / sizeof kw[0] && k + strlen(kw[i].op) < cap) {
      memcpy(out + k, kw[i].op, strlen(kw[i].op));
      k += strlen(kw[i].op);
      body += strlen(kw[i].word);
    } else {
      out[k++] = *body++;
    }
  }
  out[k] = 0;
}

/* A majority: more than half of the instances completed (approved). JUEL and
 * FEEL divide exactly, so `a > n / 2` holds from the (floor(n/2)+1)-th approval
 * on, which is the runtime's `mode majority`; its early rejection is BPMN's
 * `|| nrOfRejected >= nrOfInstances / 2` (the approvals can no longer pass half),
 * which bpc export writes and which is accepted after the approvals' test. */
static bool vote_majority(const char *body) {
  static const char *const approved[] = {
      "nrOfApproved>nrOfInstances/2",        "nrOfCompletedInstances>nrOfInstances/2",
      "nrOfApproved/nrOfInstances>0.5",      "nrOfCompletedInstances/nrOfInstances>0.5",
      "nrOfApproved*2>nrOfInstances",        "nrOfCompletedInstances*2>nrOfInstances",
      "2*nrOfApproved>nrOfInstances",        "2*nrOfCompletedInstances>nrOfInstances",
  };
  for (size_t i = 0; i < sizeof approved / sizeof approved[0]; i++) {
    size_t n = strlen(approved[i]);
    if (strncmp(body, approved[i], n) != 0) continue;
    if (!body[n]) return true;
    if (i < 2 && !strcmp(body + n, "||nrOfRejected>=nrOfInstances/2")) return true;
  }
  return false;
}

bool bpmn_vote_condition(BpmnMap *mp, IrNode *n, const char *text, int64_t *count) {
  const char *rest = NULL;
  *count = 0;
  char body[160];
  vote_operators(text, body, sizeof body);
  if (vote_majority(body)) {
    n->kind = IR_APPROVE;
    n->u.human->mode = IR_MODE_MAJORITY;
    return true;
  }
  static const char *const frac[] = {"nrOfCompletedInstances/nrOfInstances>=", "nrOfApproved/nrOfInstances>=",
                                     "nrOfCompletedInstances/nrOfInstancesge", "nrOfApproved/nrOfInstancesge"};
  for (size_t i = 0; i < sizeof frac / sizeof frac[0] && !rest; i++)
    if (strncmp(body, frac[i], strlen(frac[i])) == 0) rest = body + strlen(frac[i]);
  if (rest) { /* a fraction with at most two decimals, 0..1: a whole percentage */
    int64_t v = 0, scale = 1;
    bool dot = false;
    const char *q = rest;
    for (; *q; q++) {
      if (*q == '.' && !dot) dot = true;
      else if (isdigit((unsigned char)*q) && (!dot || scale < 100) && v < 1000) {
        v = v * 10 + (*q - '0');
        if (dot) scale *= 10;
      } else return false;
    }
    if (q == rest || v * 100 % scale || v * 100 / scale > 100) return false;
    n->kind = IR_APPROVE;
    n->u.human->mode = IR_MODE_VOTE;
    n->u.human->vote = ir_expr_int(mp->ir, v * 100 / scale);
    return true;
  }
  static const char *const counts[] = {"nrOfApproved>=", "nrOfCompletedInstances>=", "nrOfApprovedge",
                                       "nrOfCompletedInstancesge"};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0] && !rest; i++)
    if (strncmp(body, counts[i], strlen(counts[i])) == 0) rest = body + strlen(counts[i]);
  if (!rest || !*rest) return false;
  int64_t k = 0;
  for (const char *q = rest; *q; q++) {
    if (!isdigit((unsigned char)*q) || k > 100000) return false;
    k = k * 10 + (*q - '0');
  }
  if (k < 1) return false;
  n->kind = IR_APPROVE;
  n->u.human->mode = IR_MODE_VOTE;
  *count = k;
  return true;
}

IrExpr *bpmn_vote_percent(BpmnMap *mp, IrProc *p, const BpmnVars *vs, const char *coll, int64_t count) {
  IrProgram *ir = mp->ir;
  int32_t slot = -1;
  for (uint32_t j = 0; j < vs->n; j++)
    if (strcmp(vs->v[j].name, coll) == 0) slot = vs->v[j].slot;
  IrExpr **len = ir_exprs(ir, 1);
  len[0] = ir_expr_slot(ir, p, (uint16_t)slot);
  IrExpr *pct = ir_expr_binary(ir, &type_int, IR_OP_DIV, ir_expr_int(ir, 100 * count),
                               ir_expr_call(ir, &type_int, "len", len, 1));
  IrExpr **args = ir_exprs(ir, 2);
  args[0] = ir_expr_int(ir, 100);
  args[1] = pct;
  return ir_expr_call(ir, &type_int, "min", args, 2);
}
