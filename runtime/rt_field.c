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
  Value v = doc->fields[index];
  if (v.type == BPT_T_STRING || v.type == BPT_T_USER) { /* rt_view's first case, without the call: most fields */
    *out = (BpValue){.type = v.type, .unset = v.unset != 0, .scale = v.scale, .s = v.u.s->s, .len = v.u.s->len};
    return BP_OK;
  }
  /* The view's list items live in the document's scratch memory until the next call. */
  return rt_view(doc->b->rt, doc->fields[index], out, &((BpDoc *)doc)->scratch) ? BP_OK : BP_ENOMEM;
}

enum { PARAMS_FEW = 16 }; /* this many parameters or fewer go on the stack */
enum { TEXTS_MAX = 512 };  /* the most bytes of given texts a new document has room for (bp_start's) */

/* A text given for a text field of its type, when rt_field_value would take it as it is
 * (its first case: valid UTF-8, not too long), straight into the field's SLOT, without
 * rt_field_value's way through rt_from_public: in place of the old value when that is a
 * text of the same type and as many bytes held by nothing else (the same allocation, the
 * same size), else in the document's room for texts (ROOM: BpDoc.made) while it fits, as
 * bp_start places the host's texts, else as a new text; the old value let go. True when
 * the field is set, or when the new text could not be made (*ST is then BP_ENOMEM, as
 * rt_field_value would say); false when it goes the usual way (with rt_field_value's
 * error, if any), and then SLOT is as it was. */
static bool text_given(BpRuntime *rt, RtRoom *room, Value *slot, const BpValue *in, const BptField *f, BpStatus *st,
                       BpError *err) {
  if (in->type != f->type || (f->type != BPT_T_STRING && f->type != BPT_T_USER) || !in->s || in->len > BP_MAX_STRING)
    return false;
  if (!rt_text_valid(in->s, in->len)) return false;
  if (slot->type == f->type && slot->u.s->ref == 1 && slot->u.s->len == in->len) {
    memcpy(slot->u.s->s, in->s, in->len);
    return true;
  }
  Value v;
  if (rt_room_text(room, in->s, in->len, f->type, &v)) {
    rt_unref(rt, *slot);
    *slot = v;
    return true;
  }
  if (!rt_str_new(rt, in->s, in->len, f->type, &v)) {
    *st = rt_fail_status(err, BP_ENOMEM, "out of memory");
    return true;
  }
  rt_unref(rt, *slot);
  *slot = v;
  return true;
}

/* bp_start_at of process PI, which exists; its arguments are checked. The document is
 * AGAIN when given (bp_start_at_again: blank, its room the instance's again), else a new
 * one with room for the instance, as bp_start makes it: one allocation for both, which
 * bp_start_at_again can use again. */
static BpStatus start_at(BpBundle *b, uint16_t pi, const uint16_t *index, const BpValue *fields, size_t nfields,
                         const BpArg *params, size_t nparams, void *ud, BpDoc *again, BpInstance **out,
                         BpError *err) {
  const BptProcess *p = &b->b.processes[pi];
  const char *process = rt_string(b, p->name); /* for the messages: the name the host gave */
  BpRuntime *rt = b->rt;
  /* A new document has room for the instance, then for the texts given (bp_start's
   * START_TEXTS_MAX at most) and those the instance makes (RT_DOC_MADE_ROOM), as
   * bp_start's has; bp_start_at_again finds them there again. */
  size_t texts = 0;
  for (size_t i = 0; !again && i < nfields; i++) {
    size_t k = fields[i].type == BP_T_STRING || fields[i].type == BP_T_USER ? rt_room_text_need(&fields[i]) : 0;
    if (k <= TEXTS_MAX - texts) texts += k;
  }
  BpDoc *doc = again ? again : rt_doc_blank_room(b, p->doctype, rt_instance_size(b, pi), texts + RT_DOC_MADE_ROOM);
  Value few[PARAMS_FEW];
  bool on_stack = p->nparams <= PARAMS_FEW;
  Value *pv = on_stack ? few : rt_alloc(rt, rt_values_bytes(p->nparams));
  if (on_stack && p->nparams) memset(few, 0, p->nparams * sizeof *few); /* (most have none: no call) */
  BpStatus st = doc && pv ? BP_OK : rt_fail_status(err, BP_ENOMEM, "out of memory");
  /* The parameters by name, as bp_start takes them (the last of a name given twice). */
  for (size_t i = 0; st == BP_OK && i < nparams; i++)
    if (!rt_start_param(b, p, &params[i], NULL, 0, pv, &st, err))
      st = rt_fail_status(err, BP_EINVAL, "`%s` is not a parameter of `%s`", params[i].name ? params[i].name : "(null)",
                          process);
  /* The fields: those given, in order (the last of an index given twice), then every
   * other at its default, as bp_doc_new makes them. */
  for (size_t i = 0; st == BP_OK && i < nfields; i++) {
    if (index[i] >= doc->nfields) {
      st = rt_fail_status(err, BP_EINVAL, "bp_start_at: no field %u in the document of `%s`", index[i], process);
      break;
    }
    const BptField *f = &b->b.doctypes[p->doctype].fields[index[i]];
    if (text_given(rt, &doc->made, &doc->fields[index[i]], &fields[i], f, &st, err)) continue; /* (st: BP_ENOMEM) */
    Value v;
    st = rt_field_value(b, f, &fields[i], &v, err);
    if (st != BP_OK) break;
    rt_unref(rt, doc->fields[index[i]]);
    doc->fields[index[i]] = v;
  }
  for (uint16_t i = 0; st == BP_OK && i < doc->nfields; i++)
    if (doc->fields[i].type == BPT_T_VOID) doc->fields[i] = b->doc_initial[p->doctype][i]; /* (uncounted) */
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
  return start_at(b, pi, index, fields, nfields, params, nparams, ud, NULL, out, err);
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
  return start_at(b, (uint16_t)process, index, fields, nfields, params, nparams, ud, NULL, out, err);
}

/* Whether INST's allocation can take the next start of process PI in bundle B: it
 * lives in its document's (bp_start_at made both), and nothing else holds that document
 * (no instance it started on it, no host's view: only the instance's own reference). */
static bool can_start_in(const BpInstance *inst, const BpBundle *b, size_t pi) {
  return inst && inst->b == b && inst->proc == pi && inst->in_doc && inst->doc->refs == 1 &&
         inst->doc->room == NULL && inst->doc->room_size == inst->size && inst->doc->trigger_depth == 0;
}

/* bp_instance_free(*inout), then bp_start_at_process into *inout; when the old instance
 * can take it (can_start_in), in its place: what it held is let go as bp_instance_free
 * lets it go (its state, its views, its document's fields), and its document and its
 * memory, cleared as rt_alloc clears them, are the new start's. The document's scratch
 * for views stays (it is only ever reused). The start is then start_at's on a blank
 * document, as bp_start_at_process's is: the same fields, run, errors and journal. */
BpStatus bp_start_at_again(BpBundle *b, size_t process, const uint16_t *index, const BpValue *fields,
                           size_t nfields, const BpArg *params, size_t nparams, void *ud, BpInstance **inout,
                           BpError *err) {
  if (!inout) return rt_fail_status(err, BP_EINVAL, "bp_start_at_again: missing argument");
  BpInstance *old = *inout;
  *inout = NULL;
  if (!can_start_in(old, b, process)) {
    bp_instance_free(old);
    return bp_start_at_process(b, process, index, fields, nfields, params, nparams, ud, inout, err);
  }
  if ((nfields && (!index || !fields)) || (nparams && !params)) {
    bp_instance_free(old);
    return rt_fail_status(err, BP_EINVAL, "bp_start_at_process: missing argument");
  }
  BpRuntime *rt = b->rt;
  BpDoc *doc = old->doc;
  rt_state_free(rt, &old->s);
  rt_vec_free(rt, &old->scratch, sizeof(BpValue));
  rt_vec_free(rt, &old->message_fields, sizeof(BpField));
  /* Every field VOID, as rt_doc_blank makes it, but for the given texts of their own
   * allocation, which start_at replaces (or fills in place: text_given) when it comes to
   * them. Any other value may lie in the memory cleared below (a restored instance's
   * texts, lists and records are immortal in its allocation: rt_save.c's region_guess), so
   * it goes now, not after the clearing, when it would be read there. The fields given
   * are marked when the first such text is met: the texts given before mostly lie in the
   * document's room for texts (text_given), immortal, and then none is. */
  enum { MARKS = 256 };
  bool given[MARKS];
  bool marked = false;
  for (uint16_t f = 0; f < doc->nfields; f++) {
    Value v = doc->fields[f];
    bool counted_text = (v.type == BPT_T_STRING || v.type == BPT_T_USER) && !rt_uncounted(v);
    if (counted_text && !marked && doc->nfields <= MARKS) {
      memset(given, 0, doc->nfields);
      for (size_t i = 0; i < nfields; i++)
        if (index[i] < doc->nfields) given[index[i]] = true;
      marked = true;
    }
    if (!counted_text || !marked || !given[f]) {
      rt_unref(rt, doc->fields[f]);
      doc->fields[f] = (Value){0};
    }
  }
  memset(old, 0, old->size);
  doc->room = old; /* the instance's reference to the document is start_at's now */
  /* The document's room for texts is the new start's whole: the texts in it were the old
   * instance's fields' (cleared above), its state's and its effects' (let go and
   * delivered), and nothing else holds the document. A restored instance's room for what
   * it makes lies in its memory instead (rt_doc_texts has none), which the next start may
   * take whole (rt_start_ex): what it makes is allocated from now on. */
  doc->made = rt_doc_texts(doc, old);
  return start_at(b, (uint16_t)process, index, fields, nfields, params, nparams, ud, doc, inout, err);
}
