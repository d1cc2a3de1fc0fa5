/* test_bpt_mutate.c — thousands of damaged bundles, made with a fixed-seed PRNG from the
 * richest bundle of test_bpt.c and from every compiled sample in build/samples/ (or the
 * directory named by $BPT_SAMPLES). Each mutant must be refused by bpt_read or
 * bpt_verify with a one-line message, or be accepted and then survive a full decode,
 * disassembly and rewrite. Run it under ASan/UBSan: nothing may crash, leak or read out
 * of bounds.
 *
 * Byte-level mutations (bit flips, byte and word sets, truncation, insertion, deletion,
 * swapped and duplicated sections, section counts) are each tried twice: as they are,
 * and with the size field and checksum recomputed so that the deeper checks run.
 * Structural mutations (operands, opcodes, jump targets, descriptor fields, counts) are
 * made on a read bundle and written back, so they always carry a valid checksum. */
#define BPT_TEST_BUILDER_ONLY
#include "test_bpt.c"

#include <dirent.h>
#include <time.h>

typedef struct Rng {
  uint64_t s;
} Rng;

static uint64_t rnd(Rng *r) { /* xorshift64* */
  r->s ^= r->s >> 12, r->s ^= r->s << 25, r->s ^= r->s >> 27;
  return r->s * 0x2545F4914F6CDD1DULL;
}

static uint32_t below(Rng *r, uint64_t n) { return n ? (uint32_t)(rnd(r) % n) : 0; }

/* Values that tend to sit on a boundary. */
static uint32_t interesting(Rng *r, uint32_t old) {
  static const uint32_t special[] = {
      0,    1,     2,      3,      7,       8,          9,           0x7F,        0x80,
      0xFF, 0x100, 0xFFFE, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu};
  switch (below(r, 4)) {
  case 0: return special[below(r, sizeof special / sizeof special[0])];
  case 1: return old + below(r, 7) - 3;
  case 2: return below(r, 300);
  default: return (uint32_t)rnd(r);
  }
}

typedef struct Stats {
  long total, by_read, by_verify, accepted;
} Stats;

/* One mutant through the loader, and through everything else if it is accepted. */
static void try_mutant(const uint8_t *bytes, size_t len, Stats *st) {
  Mem m = MEM_INIT;
  BptError err;
  BptBundle b;
  err.message[0] = '\0';
  st->total++;
  if (!bpt_read(bytes, len, mem_alloc, &m, &b, &err)) {
    if (err.message[0] == '\0' || strchr(err.message, '\n'))
      fail_msg("bad read message \"%s\"", err.message);
    assert_int_equal(m.live, 0);
    st->by_read++;
    return;
  }
  if (!bpt_verify(&b, mem_alloc, &m, &err)) {
    if (err.message[0] == '\0' || strchr(err.message, '\n'))
      fail_msg("bad verify message \"%s\"", err.message);
    bpt_free(&b, mem_alloc, &m);
    assert_int_equal(m.live, 0);
    st->by_verify++;
    return;
  }
  st->accepted++;
  walk_verified(&b);
  uint8_t *out;
  size_t out_len;
  if (!bpt_write(&b, mem_alloc, &m, &out, &out_len, &err)) fail_msg("rewrite: %s", err.message);
  assert_int_equal(out_len, len); /* the format has one encoding: the same bytes back */
  assert_memory_equal(out + 8, bytes + 8, len - 8); /* (the minor version may differ) */
  mem_alloc(&m, out, out_len, 0);
  bpt_free(&b, mem_alloc, &m);
  assert_int_equal(m.live, 0);
}

/* Tries a byte-level mutant as it is and resealed. */
static void try_both(uint8_t *bytes, size_t len, Stats *st) {
  try_mutant(bytes, len, st);
  if (len >= 16) {
    reseal(bytes, len);
    try_mutant(bytes, len, st);
  }
}

/* ---- byte-level mutations ------------------------------------------------------------ */

static uint32_t section_at(const uint8_t *b, unsigned i, unsigned field) {
  return get32(b + BPT_HEADER_SIZE + 12 * i + 4 * field);
}

/* Rebuilds the bundle with section contents taken from `from[i]` (an index into the
 * original's sections) and the table describing the new layout (ids unchanged). */
static size_t relayout(const uint8_t *base, uint8_t *out, const unsigned from[BPT_SEC_COUNT]) {
  size_t at = BPT_HEADER_SIZE + 12 * BPT_SEC_COUNT;
  memcpy(out, base, at);
  for (unsigned i = 0; i < BPT_SEC_COUNT; i++) {
    uint32_t off = section_at(base, from[i], 1), size = section_at(base, from[i], 2);
    memcpy(out + at, base + off, size);
    set32(out + BPT_HEADER_SIZE + 12 * i + 4, (uint32_t)at);
    set32(out + BPT_HEADER_SIZE + 12 * i + 8, size);
    at += size;
  }
  return at;
}

/* One random byte-level mutation of base into buf (room: 2 * len + 64); its length. */
static size_t mutate_bytes(Rng *r, const uint8_t *base, size_t len, uint8_t *buf) {
  memcpy(buf, base, len);
  switch (below(r, 10)) {
  case 0: /* bit flips */
    for (uint32_t n = 1 + below(r, 4); n > 0; n--)
      buf[below(r, len)] ^= (uint8_t)(1u << below(r, 8));
    return len;
  case 1: /* byte sets */
    for (uint32_t n = 1 + below(r, 3); n > 0; n--) {
      uint32_t at = below(r, len);
      buf[at] = (uint8_t)interesting(r, buf[at]);
    }
    return len;
  case 2: { /* a u32 or u16 somewhere: counts, indices, pcs, lengths */
    uint32_t at = below(r, len - 4);
    uint32_t v = interesting(r, get32(buf + at));
    if (below(r, 2))
      set32(buf + at, v);
    else
      buf[at] = (uint8_t)v, buf[at + 1] = (uint8_t)(v >> 8);
    return len;
  }
  case 3: /* truncation */ return below(r, len);
  case 4: { /* insertion */
    uint32_t at = below(r, len + 1), n = 1 + below(r, 16);
    memmove(buf + at + n, buf + at, len - at);
    for (uint32_t i = 0; i < n; i++) buf[at + i] = (uint8_t)rnd(r);
    return len + n;
  }
  case 5: { /* deletion */
    uint32_t at = below(r, len), n = 1 + below(r, 16);
    if (n > len - at) n = (uint32_t)(len - at);
    memmove(buf + at, buf + at + n, len - at - n);
    return len - n;
  }
  case 6: { /* two sections' contents swapped */
    unsigned from[BPT_SEC_COUNT], i = below(r, BPT_SEC_COUNT), j = below(r, BPT_SEC_COUNT);
    for (unsigned k = 0; k < BPT_SEC_COUNT; k++) from[k] = k;
    from[i] = j, from[j] = i;
    return relayout(base, buf, from);
  }
  case 7: { /* one section's content duplicated over another */
    unsigned from[BPT_SEC_COUNT];
    for (unsigned k = 0; k < BPT_SEC_COUNT; k++) from[k] = k;
    from[below(r, BPT_SEC_COUNT)] = below(r, BPT_SEC_COUNT);
    return relayout(base, buf, from);
  }
  case 8: { /* two section table entries swapped */
    unsigned i = below(r, BPT_SEC_COUNT), j = below(r, BPT_SEC_COUNT);
    uint8_t tmp[12];
    memcpy(tmp, buf + BPT_HEADER_SIZE + 12 * i, 12);
    memcpy(buf + BPT_HEADER_SIZE + 12 * i, buf + BPT_HEADER_SIZE + 12 * j, 12);
    memcpy(buf + BPT_HEADER_SIZE + 12 * j, tmp, 12);
    return len;
  }
  default: { /* the count at the start of a section */
    unsigned i = below(r, BPT_SEC_COUNT);
    uint32_t at = section_at(base, i, 1) + (i + 1 == BPT_SEC_LINES ? 4 : 0);
    if (i + 1 != BPT_SEC_CODE && at + 4 <= len) set32(buf + at, interesting(r, get32(buf + at)));
    return len;
  }
  }
}

/* ---- structural mutations, on a read bundle ------------------------------------------ */

static uint32_t pick_pc(Rng *r, const BptProcess *p, const uint8_t *code) {
  if (below(r, 4) == 0) return interesting(r, p->code_size);
  uint32_t target = below(r, p->code_size), pc = 0; /* the start of a random instruction */
  BptInsn in;
  while (pc < p->code_size && bpt_decode(code, p->code_size, pc, &in) && pc + in.size <= target)
    pc += in.size;
  return below(r, 5) == 0 ? pc + 1 : pc;
}

static void set_rel(uint8_t *q, uint32_t end, uint32_t target) { set32(q, target - end); }

/* Changes one instruction of one process. */
static void mutate_code(Rng *r, BptBundle *b) {
  if (b->nprocesses == 0) return;
  BptProcess *p = &b->processes[below(r, b->nprocesses)];
  if (p->code_size == 0 || (uint64_t)p->code_offset + p->code_size > b->code_size) return;
  uint8_t *code = b->code + p->code_offset; /* (an earlier mutation may have moved it) */
  uint32_t pc = pick_pc(r, p, code) % p->code_size;
  BptInsn in;
  if (!bpt_decode(code, p->code_size, pc, &in)) return;
  switch (below(r, 4)) {
  case 0: code[pc] = (uint8_t)below(r, BPT_OP_COUNT + 4); break; /* another opcode */
  case 1: /* one operand byte */
    if (in.size > 1) {
      uint32_t at = pc + 1 + below(r, in.size - 1);
      code[at] = (uint8_t)interesting(r, code[at]);
    }
    break;
  case 2: { /* a jump target, most often an instruction start */
    const char *j = strchr(bpt_ops[in.op].operands, 'j');
    if (j)
      set_rel(code + pc + in.size - 4, pc + in.size, pick_pc(r, p, code));
    else if (in.nbranches) {
      uint8_t k = (uint8_t)below(r, in.nbranches);
      set_rel((uint8_t *)in.branch + 4 * k, pc + in.size, pick_pc(r, p, code));
    }
    break;
  }
  default: /* a 16-bit operand set to something near the tables' sizes */
    if (in.size >= 3) {
      uint32_t at = pc + 1 + below(r, in.size - 2),
               v = below(r, 2) ? below(r, 24) : interesting(r, 0);
      code[at] = (uint8_t)v, code[at + 1] = (uint8_t)(v >> 8);
    }
  }
}

/* A pointer to a random u32/u16/u8 field of the bundle's descriptors, and its width. */
static void mutate_field(Rng *r, BptBundle *b) {
  void *f = NULL;
  int w = 4;
#define U32(x) (f = &(x), w = 4)
#define U16(x) (f = &(x), w = 2)
#define U8(x) (f = &(x), w = 1)
  BptProcess *p = b->nprocesses ? &b->processes[below(r, b->nprocesses)] : NULL;
  switch (below(r, 12)) {
  case 0:
    if (!p) break;
    switch (below(r, 9)) {
    case 0: U32(p->entry_pc); break;
    case 1: U32(p->when_pc); break;
    case 2: U16(p->doctype); break;
    case 3: U8(p->trigger); break;
    case 4: U16(p->ngroups); break;
    case 5: U32(p->code_offset); break;
    case 6: U32(p->code_size); break;
    case 7:
      if (below(r, 2))
        U32(p->first_line);
      else
        U32(p->nlines);
      break;
    default:
      if (below(r, 2))
        U32(p->first_node);
      else
        U32(p->first_edge);
      break;
    }
    break;
  case 1:
    if (p && p->nslots) {
      BptSlot *s = &p->slots[below(r, p->nslots)];
      if (below(r, 2))
        U8(s->type);
      else
        U8(s->kind);
    }
    break;
  case 2:
    if (p && p->nparams) {
      BptParam *q = &p->params[below(r, p->nparams)];
      if (below(r, 2))
        U16(q->slot);
      else
        U8(q->required);
    }
    break;
  case 3:
    if (p && p->nsteps) {
      BptStep *s = &p->steps[below(r, p->nsteps)];
      switch (below(r, 8)) {
      case 0: U8(s->kind); break;
      case 1: U8(s->mode); break;
      case 2: U8(s->flags); break;
      case 3: U16(s->result); break;
      case 4: U32(s->timeout_pc); break;
      case 5:
        if (s->nreminds) U32(s->remind_pc[below(r, s->nreminds)]);
        break;
      case 6: U32(s->node); break;
      default:
        if (s->nfields) {
          BptReqField *q = &s->fields[below(r, s->nfields)];
          if (below(r, 2))
            U16(q->index);
          else
            U8(q->to_slot);
        }
      }
    }
    break;
  case 4:
    if (p && p->nstates) {
      BptState *s = &p->states[below(r, p->nstates)];
      if (below(r, 3) == 0 || s->ncommands == 0) {
        if (below(r, 2))
          U32(s->enter_pc);
        else
          U8(s->final);
      } else {
        BptCommand *c = &s->commands[below(r, s->ncommands)];
        switch (below(r, 3)) {
        case 0: U16(c->target); break;
        case 1: U32(c->by_pc); break;
        default: U32(c->body_pc); break;
        }
      }
    }
    break;
  case 5:
    if (b->nconsts) {
      BptConst *c = &b->consts[below(r, b->nconsts)];
      if (c->nitems && below(r, 2))
        U32(c->items[below(r, c->nitems)]);
      else if (below(r, 2))
        U8(c->scale);
      else if (!(c->type & BPT_T_LIST))
        U8(c->type); /* (a list keeps its items) */
    }
    break;
  case 6:
    if (b->ndoctypes && b->doctypes[0].nfields) {
      BptField *d = &b->doctypes[0].fields[below(r, b->doctypes[0].nfields)];
      if (below(r, 2))
        U8(d->type);
      else
        U16(d->def);
    }
    break;
  case 7:
    if (b->nactions) {
      BptAction *a = &b->actions[below(r, b->nactions)];
      if (a->nparams && below(r, 2))
        U8(a->params[below(r, a->nparams)].type);
      else
        U8(a->result);
    }
    break;
  case 8:
    if (b->nlines) U32(b->lines[below(r, b->nlines)].pc);
    break;
  case 9:
    if (b->nnodes && below(r, 2)) {
      BptNode *n = &b->nodes[below(r, b->nnodes)];
      if (below(r, 2))
        U8(n->kind);
      else
        U32(n->cluster);
    } else if (b->nedges) {
      BptEdge *e = &b->edges[below(r, b->nedges)];
      switch (below(r, 3)) {
      case 0: U32(e->from); break;
      case 1: U32(e->to); break;
      default: U8(e->kind); break;
      }
    }
    break;
  default: { /* a count made smaller: the arrays stay valid for the writer */
    uint32_t *c32 = NULL;
    uint16_t *c16 = NULL;
    uint8_t *c8 = NULL;
    switch (below(r, 10)) {
    case 0: c32 = &b->nstrings; break;
    case 1: c32 = &b->nconsts; break;
    case 2: c32 = &b->nprocesses; break;
    case 3: c32 = &b->nnodes; break;
    case 4: c32 = &b->nlines; break;
    case 5:
      if (p) c16 = &p->nslots;
      break;
    case 6:
      if (p) c16 = &p->nsteps;
      break;
    case 7:
      if (p) c16 = &p->nstates;
      break;
    case 8:
      if (p && p->nsteps) c8 = &p->steps[0].nreminds;
      break;
    default:
      if (p) c8 = &p->ntrigger_fields;
      break;
    }
    if (c32 && *c32) *c32 -= 1 + below(r, *c32);
    if (c16 && *c16) *c16 = (uint16_t)(*c16 - 1 - below(r, *c16));
    if (c8 && *c8) *c8 = (uint8_t)(*c8 - 1 - below(r, *c8));
    return;
  }
  }
#undef U32
#undef U16
#undef U8
  if (!f) return;
  uint32_t v;
  if (w == 4)
    memcpy(&v, f, 4), v = interesting(r, v), memcpy(f, &v, 4);
  else if (w == 2)
    *(uint16_t *)f = (uint16_t)interesting(r, *(uint16_t *)f);
  else
    *(uint8_t *)f = (uint8_t)interesting(r, *(uint8_t *)f);
}

/* Reads base, changes it, writes it and tries the result. */
static void structural(Rng *r, const uint8_t *base, size_t len, Stats *st) {
  Mem m = MEM_INIT;
  BptError err;
  BptBundle b;
  if (!bpt_read(base, len, mem_alloc, &m, &b, &err)) fail_msg("base: %s", err.message);
  for (uint32_t n = 1 + (below(r, 4) == 0); n > 0; n--) {
    if (below(r, 2))
      mutate_code(r, &b);
    else
      mutate_field(r, &b);
  }
  uint8_t *out;
  size_t out_len;
  if (bpt_write(&b, mem_alloc, &m, &out, &out_len, &err)) {
    try_mutant(out, out_len, st);
    mem_alloc(&m, out, out_len, 0);
  } else {
    st->total++, st->by_read++; /* (refused at once: a constant's type with no encoding) */
  }
  bpt_free(&b, mem_alloc, &m);
  assert_int_equal(m.live, 0);
}

/* ---- the runs ------------------------------------------------------------------------ */

static void mutate_all(const char *name, const uint8_t *base, size_t len, long byte_mutants,
                       long struct_mutants, bool every_truncation) {
  Rng r = {0x9E3779B97F4A7C15ULL ^ len};
  Stats st = {0};
  uint8_t *buf = malloc(2 * len + 64);
  assert_non_null(buf);
  clock_t t0 = clock();
  try_mutant(base, len, &st);
  assert_int_equal(st.accepted, 1); /* the base itself is valid */
  if (every_truncation)
    for (size_t n = 0; n < len; n++) memcpy(buf, base, n), try_both(buf, n, &st);
  for (long i = 0; i < byte_mutants; i++) try_both(buf, mutate_bytes(&r, base, len, buf), &st);
  for (long i = 0; i < struct_mutants; i++) structural(&r, base, len, &st);
  free(buf);
  print_message("%s (%zu bytes): %ld mutants, %ld refused by bpt_read, %ld by bpt_verify, "
                "%ld accepted (%.1f%% refused), %.2f s\n",
                name, len, st.total, st.by_read, st.by_verify, st.accepted - 1,
                100.0 * (st.by_read + st.by_verify) / st.total,
                (double)(clock() - t0) / CLOCKS_PER_SEC);
  assert_true(st.by_read > 0 && st.by_verify > 0);
}

static void test_mutate_rich(void **state) {
  (void)state;
  Builder *B = rich();
  size_t len;
  uint8_t *base = write_bytes(&B->b, &len);
  mutate_all("rich bundle", base, len, 8000, 8000, true);
  free(base), free(B);
}

static void test_mutate_mini(void **state) {
  (void)state;
  Builder *B = mini();
  c_ok(B);
  mini_end(B);
  size_t len;
  uint8_t *base = write_bytes(&B->b, &len);
  mutate_all("mini bundle", base, len, 3000, 3000, true);
  free(base), free(B);
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *data = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;) {
    if (*len == cap) {
      cap = cap ? cap * 2 : 65536;
      data = realloc(data, cap);
      assert_non_null(data);
    }
    size_t n = fread(data + *len, 1, cap - *len, f);
    if (n == 0) break;
    *len += n;
  }
  fclose(f);
  return data;
}

/* Every compiled sample: valid as it is, and refused or harmless when damaged. */
static void test_mutate_samples(void **state) {
  (void)state;
  const char *dir = getenv("BPT_SAMPLES") ? getenv("BPT_SAMPLES") : "build/samples";
  DIR *d = opendir(dir);
  if (!d) {
    print_message("no %s: only the built-in bundles were mutated\n", dir);
    return;
  }
  struct dirent *e;
  long files = 0, budget;
  while ((e = readdir(d)) != NULL)
    files += strlen(e->d_name) > 4 && strcmp(e->d_name + strlen(e->d_name) - 4, ".bpt") == 0;
  rewinddir(d);
  /* About 24000 mutants in all, however many samples there are (ASan time). */
  budget = files ? 12000 / files : 0;
  if (budget < 300) budget = 300;
  if (budget > 3000) budget = 3000;
  files = 0;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name), len = 0;
    if (n < 5 || strcmp(e->d_name + n - 4, ".bpt") != 0) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    uint8_t *base = slurp(path, &len);
    assert_non_null(base);
    mutate_all(path, base, len, budget, budget, len <= 1024 && budget >= 1000);
    free(base);
    files++;
  }
  closedir(d);
  print_message("%ld samples from %s\n", files, dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mutate_rich),
      cmocka_unit_test(test_mutate_mini),
      cmocka_unit_test(test_mutate_samples),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
