/* rt_field.c — fields by index (bp.h, "fields by index"): for a host that sets and reads
 * the same fields of many documents, such as `bprun mass` with one document per row of a
 * CSV file. The host looks each field's name up once (bp_field_index), then starts a
 * process on a new document with the fields given by index (bp_start_at) and reads them
 * back by index (bp_doc_get_at). bp_start and bp_doc_get look every name up again on
 * every call: a loop of string comparisons per field, twice per row.
 *
 * bp_start_at makes the same document, runs the same start and gives the same errors as
 * bp_start with the same fields and parameters by name: the values go through the same
 * checks (rt_from_public: UTF-8, sizes, ranges, then rt_convert to the field's type). */
#include <string.h>

#include "rt.h"

bool bp_field_index(const BpBundle *b, const char *process, const char *field, uint16_t *index) {
  uint16_t pi, f;
  if (!b || !field || !index || !rt_process_by_name(b, process, &pi)) return false;
  if (!rt_doc_lookup(b, b->b.processes[pi].doctype, field, &f)) return false;
  *index = f;
  return true;
}

BpStatus bp_doc_get_at(const BpDoc *doc, uint16_t index, BpValue *out) {
  if (!doc || !out || index >= doc->nfields) return BP_EINVAL;
  /* The view's list items live in the document's scratch memory until the next call. */
  return rt_view(doc->b->rt, doc->fields[index], out, &((BpDoc *)doc)->scratch) ? BP_OK : BP_ENOMEM;
}

enum { PARAMS_FEW = 16 }; /* this many parameters or fewer go on the stack */

/* bp_start_at of process PI, which exists; its arguments are checked. */
static BpStatus start_at(BpBundle *b, uint16_t pi, const uint16_t *index, const BpValue *fields, size_t nfields,
                         const BpArg *params, size_t nparams, void *ud, BpInstance **out, BpError *err) {
  const BptProcess *p = &b->b.processes[pi];
  const char *process = rt_string(b, p->name); /* for the messages: the name the host gave */
  BpRuntime *rt = b->rt;
  BpDoc *doc = rt_doc_blank(b, p->doctype);
  Value few[PARAMS_FEW];
  bool on_stack = p->nparams <= PARAMS_FEW;
  Value *pv = on_stack ? few : rt_alloc(rt, rt_values_bytes(p->nparams));
  if (on_stack) memset(few, 0, p->nparams * sizeof *few);
  BpStatus st = doc && pv ? BP_OK : rt_fail_status(err, BP_ENOMEM, "out of memory");
  /* The parameters by name, as bp_start takes them (the last of a name given twice). */
  for (size_t i = 0; st == BP_OK && i < nparams; i++)
    if (!rt_start_param(b, p, &params[i], NULL, pv, &st, err))
      st = rt_fail_status(err, BP_EINVAL, "`%s` is not a parameter of `%s`", params[i].name ? params[i].name : "(null)",
                          process);
  /* The fields: those given, in order (the last of an index given twice), then every
   * other at its default, as bp_doc_new makes them. */
  for (size_t i = 0; st == BP_OK && i < nfields; i++) {
    if (index[i] >= doc->nfields) {
      st = rt_fail_status(err, BP_EINVAL, "bp_start_at: no field %u in the document of `%s`", index[i], process);
      break;
    }
    Value v;
    st = rt_field_value(b, &b->b.doctypes[p->doctype].fields[index[i]], &fields[i], &v, err);
    if (st != BP_OK) break;
    rt_unref(rt, doc->fields[index[i]]);
    doc->fields[index[i]] = v;
  }
  for (uint16_t i = 0; st == BP_OK && i < doc->nfields; i++)
    if (doc->fields[i].type == BPT_T_VOID) rt_field_initial(b, &b->b.doctypes[p->doctype].fields[i], &doc->fields[i]);
  if (st == BP_OK) st = rt_start_ex(b, pi, doc, pv, ud, false, out, err);
  if (doc) bp_doc_release(doc);
  if (pv) {
    rt_unref_all(rt, pv, p->nparams);
    if (!on_stack) rt_dealloc(rt, pv, rt_values_bytes(p->nparams));
  }
  return st;
}

BpStatus bp_start_at(BpBundle *b, const char *process, const uint16_t *index, const BpValue *fields,
                     size_t nfields, const BpArg *params, size_t nparams, void *ud, BpInstance **out, BpError *err) {
  if (!b || !out || (nfields && (!index || !fields)) || (nparams && !params))
    return rt_fail_status(err, BP_EINVAL, "bp_start_at: missing argument");
  *out = NULL;
  uint16_t pi;
  if (!rt_process_by_name(b, process, &pi))
    return rt_fail_status(err, BP_EINVAL, "no process `%s` in the bundle", process ? process : "(null)");
  return start_at(b, pi, index, fields, nfields, params, nparams, ud, out, err);
}

/* The process by its index, not its name: bp_start_at without the names compared on
 * every call (a loop of strcmp over the bundle's processes). */
BpStatus bp_start_at_process(BpBundle *b, size_t process, const uint16_t *index, const BpValue *fields,
                             size_t nfields, const BpArg *params, size_t nparams, void *ud, BpInstance **out,
                             BpError *err) {
  if (!b || !out || (nfields && (!index || !fields)) || (nparams && !params))
    return rt_fail_status(err, BP_EINVAL, "bp_start_at_process: missing argument");
  *out = NULL;
  if (process >= b->b.nprocesses) return rt_fail_status(err, BP_EINVAL, "no process %zu in the bundle", process);
  return start_at(b, (uint16_t)process, index, fields, nfields, params, nparams, ud, out, err);
}
