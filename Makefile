# bpc — compiler and embeddable runtime for business processes.
#
#   make          build build/bpc
#   make check    install missing packages, build, run every test
#   make asan     the same tests built with AddressSanitizer + UBSan (make asan-build:
#                 the build alone)
#   make demo     the main job on a sample
#   make sweep    every scenario's events with each allocation failing, under ASan
#                 (tests/alloc_sweep.sh; make check sweeps them all without ASan)
#   make bench    every measure against its peer, one `ratio` line each (bench/run.sh,
#                 docs/performance.md); make bench-check: bpc check at 100k lines
#   make bench-mass  bprun mass on 100,000 generated contacts (bench/mass.sh)
#   make bench-scaling  how cost grows at 10x the input (bench/scaling.sh)
#   make pgo      build/pgo/bpc: the compiler built with gcc's profile-guided optimization
#   make gallery  docs/gallery.md: every sample drawn beside its source
#   make fuzz     the libFuzzer targets of tests/fuzz, with clang, into build/fuzz
#   make fuzz-smoke  each fuzz target about 30 s (tests/fuzz/run.sh long: longer)
#   make install     bpc, bprun, libbprt (shared and static), bp.h, libbprt.pc, man
#                    pages, editor files, bash completion (PREFIX, DESTDIR, BINDIR...)
#   make uninstall   removes exactly what `make install` put there

# `make` alone builds `all` (the rules made by pub_header below would come first).
.DEFAULT_GOAL := all

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
WARN    = -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L
CFLAGS  += $(WARN) $(OPT) $(SAN)
LDFLAGS += $(SAN) -pthread
BISON   ?= bison
FLEX    ?= flex

GEN      = $(BUILD)/gen

# ---- rooms -----------------------------------------------------------------
# Each folder is a room of the pipeline (docs/architecture.md):
#
#   .bp text --front--> tree --check--> checked tree --lower--> graph IR
#       --back--> bytecode --bundle--> .bpt bytes --runtime--> instances
#
# ROOM_x is a room's folder; SEES_x the rooms whose headers it may include
# (its own always). A room is compiled with -I for exactly those folders, so
# an include it may not see does not compile; tests/rooms.sh checks the same
# table against every #include line (`make rooms` prints it).
ROOM_base    = compiler/base
ROOM_front   = compiler/front
ROOM_check   = compiler/check
ROOM_ir      = compiler/ir
ROOM_lower   = compiler/lower
ROOM_back    = compiler/back
ROOM_diagram = compiler/diagram
ROOM_bpmn    = compiler/import/bpmn
ROOM_bitrix  = compiler/import/bitrix
ROOM_export  = compiler/export
ROOM_bxw     = compiler/export/bitrix
ROOM_tobp    = compiler/import/tobp
ROOM_bpc     = compiler
ROOM_bundle  = runtime/bundle
ROOM_runtime = runtime
ROOM_bprun   = runtime/bprun
ROOM_store   = runtime/store
ROOM_gen     = $(GEN)

SEES_base    = base
SEES_bundle  = bundle
SEES_front   = base front gen
SEES_check   = base front check runtime/bundle/bpt_time.h
SEES_ir      = base ir
SEES_lower   = base front check ir lower
SEES_back    = base ir back bundle
SEES_diagram = base ir diagram bundle
SEES_bpmn    = base ir bpmn
SEES_bitrix  = base bitrix
SEES_export  = base ir export
SEES_bxw     = base front check bxw
SEES_tobp    = base front gen ir tobp
SEES_bpc     = base front check ir lower back diagram bpmn bitrix export bxw tobp bundle
SEES_runtime = runtime bundle
SEES_bprun   = bprun runtime/bp.h runtime/store/bps.h
SEES_store   = store runtime/bp.h

ROOMS = base front check ir lower back diagram bpmn bitrix export bxw tobp bpc bundle runtime bprun store
# -I flags of a room: the folders of the rooms it sees. A room that sees single
# headers of another (bprun sees runtime/bp.h, check sees the calendar) gets a
# folder $(BUILD)/pub/ROOM holding copies of just those headers.
incs = $(foreach r,$(SEES_$(1)),$(if $(findstring /,$(r)),-I$(BUILD)/pub/$(1),-I$(ROOM_$(r))))

define pub_header
$(BUILD)/pub/$(1)/$(notdir $(2)): $(2)
	@mkdir -p $$(dir $$@)
	cp $$< $$@
PUB_$(1) += $(BUILD)/pub/$(1)/$(notdir $(2))
endef
$(foreach r,$(ROOMS),$(foreach h,$(filter %.h,$(SEES_$(r))),$(eval $(call pub_header,$(r),$(h)))))
ALL_INCS = $(foreach r,$(filter-out bpc bprun,$(ROOMS)),-I$(ROOM_$(r))) -I$(GEN)

room_src = $(wildcard $(ROOM_$(1))/*.c)
COMPILER_ROOMS = base front check ir lower back diagram bpmn bitrix export bxw tobp
COMPILER_SRC = $(foreach r,$(COMPILER_ROOMS),$(call room_src,$(r)))
BUNDLE_SRC   = $(call room_src,bundle)
RUNTIME_SRC  = $(call room_src,runtime) $(BUNDLE_SRC)
BPC_SRC      = $(call room_src,bpc)
BPRUN_SRC    = $(call room_src,bprun)
BPRUN_OBJ    = $(BPRUN_SRC:%.c=$(BUILD)/%.o)
RUNTIME_OBJ  = $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
COMPILER_OBJ = $(COMPILER_SRC:%.c=$(BUILD)/%.o) $(GEN)/parser.o $(GEN)/parser_fast.o
BPC_OBJ      = $(BPC_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC     = $(wildcard tests/unit/test_*.c)
UNIT_BIN     = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
COMPILER_H   = $(wildcard compiler/*/*.h compiler/import/*/*.h)
RUNTIME_H    = $(wildcard runtime/*.h runtime/bundle/*.h runtime/bundle/*.def)

# Graphviz: only diagram/dot.c and the BPMN exporter (room export) include it; only bpc
# uses it, opened at run time (compiler/bpc_lazy.c, below), never the runtime.
GV_CFLAGS = $(shell pkg-config --cflags libcgraph libgvc 2>/dev/null)

# libxml2: only the BPMN reader (room bpmn) and writer (room export) include it; the tests
# link it, bpc opens it at run time (compiler/bpc_lazy.c).
XML_CFLAGS = $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
XML_LIBS   = $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)

# zlib: only the Bitrix reader (room bitrix) includes it; bpc and the tests link it.
Z_LIBS = $(shell pkg-config --libs zlib 2>/dev/null || echo -lz)

# bpc itself does not link Graphviz or libxml2: compiler/bpc_lazy.c opens them by soname
# (dlopen) at the first call, so `check` and `compile` of a .bp start without loading them
# and their dependencies (ICU, the C++ library). The sonames are those of the libraries the
# compiler finds now (objdump), or the usual ones.
soname = $(or $(shell objdump -p "$$($(CC) -print-file-name=$(1))" 2>/dev/null | awk '$$1 == "SONAME" { print $$2 }'),$(2))
LAZY_SONAMES = -DBPC_XML_SONAME='"$(call soname,libxml2.so,libxml2.so.2)"' \
               -DBPC_GVC_SONAME='"$(call soname,libgvc.so,libgvc.so.6)"' \
               -DBPC_CGRAPH_SONAME='"$(call soname,libcgraph.so,libcgraph.so.6)"'
DL_LIBS = -ldl

CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

.PHONY: all deps check asan asan-build tsan demo bench clean unit rooms sweep
all: $(BUILD)/bpc $(BUILD)/bprun $(BUILD)/libbprt.so

# `make rooms`: the table above, one room a line: NAME FOLDER SEES...
rooms:
	@$(foreach r,$(ROOMS),echo "$(r) $(ROOM_$(r)) $(SEES_$(r))";)

# ---- generated scanner and parser (room front) -----------------------------
$(GEN)/parser.c $(GEN)/parser.h: grammar/parser.y
	@mkdir -p $(GEN)
	$(BISON) -Wall -Werror --defines=$(GEN)/parser.h -o $(GEN)/parser.c $<

# The same grammar without LAC, as parse_yyparse_fast: parse.c parses with it first
# and again with the LAC parser only after a syntax error (LAC only changes which
# tokens a syntax error names as expected). It includes parser.h, which is the same;
# its two external functions are renamed.
$(GEN)/parser_fast.c: grammar/parser.y $(GEN)/parser.h
	@mkdir -p $(GEN)
	$(BISON) -Wall -Werror -Fparse.lac=none -Fapi.header.include='{"parser.h"}' --defines=$(GEN)/parser_fast.h -o $@ $<

# The scanner must never back up (lexer.l says why): flex reports the states that
# would, and a rule that brings one in fails the build.
$(GEN)/lexer.c $(GEN)/lexer.h: grammar/lexer.l $(GEN)/parser.h
	@mkdir -p $(GEN)
	$(FLEX) --backup-file=$(GEN)/lexer.backup --header-file=$(GEN)/lexer.h -o $(GEN)/lexer.c $<
	@grep -q '^No backing up' $(GEN)/lexer.backup || { cat $(GEN)/lexer.backup; rm -f $(GEN)/lexer.c; \
	  echo 'grammar/lexer.l: the scanner backs up (see above); add a rule for the prefixes'; exit 1; }

# Generated C is compiled with the same flags. Both include the front end's
# headers (and their inline functions). The scanner is compiled inside the fast
# parser (grammar/parser.y says why), which turns off, around it, the warnings
# about unused helpers and sign mismatches that are flex's skeleton's, not ours.
$(GEN)/parser.o: $(GEN)/parser.c $(GEN)/lexer.h $(COMPILER_H)
	$(CC) $(call incs,front) $(CFLAGS) -c -o $@ $<
# The fast parser (bison's loop, with the token filter and flex's scanner inline in it)
# at -O3 when the rest is at -O2: gcc then keeps flex's loop over the bytes at 6
# instructions a byte, not 9 (8.6 M instructions fewer at 100,082 lines).
PARSER_OPT = $(if $(filter -O2,$(OPT)),-O3)
$(GEN)/parser_fast.o: $(GEN)/parser_fast.c $(GEN)/lexer.c $(GEN)/lexer.h $(COMPILER_H)
	$(CC) $(call incs,front) $(CFLAGS) $(PARSER_OPT) -DBPC_PARSER_FAST -Dparse_yyparse=parse_yyparse_fast -Dparse_token_name=parse_token_name_fast -c -o $@ $<

# ---- compiler: one rule per room, with that room's include path -------------
define compiler_room
$(BUILD)/$(ROOM_$(1))/%.o: $(ROOM_$(1))/%.c $(COMPILER_H) $(RUNTIME_H) $(GEN)/parser.h $(GEN)/lexer.h $(PUB_$(1))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(call incs,$(1)) $$(CPPFLAGS) $$(CFLAGS) -c -o $$@ $$<
endef
$(foreach r,$(COMPILER_ROOMS) bpc,$(eval $(call compiler_room,$(r))))

# `bpc --version` prints the version bp.h declares (the compiler does not include bp.h).
$(BPC_OBJ): CPPFLAGS += -DBPC_VERSION='"$(BP_VERSION)"'

$(BUILD)/compiler/diagram/dot.o: CPPFLAGS += $(GV_CFLAGS)
# The tree's builders and the lexer's helpers, beside the fast parser at -O3 (see
# PARSER_OPT): 3.4 M instructions fewer at 100,082 lines.
$(BUILD)/compiler/front/parse_tree.o $(BUILD)/compiler/front/lex.o: CFLAGS += $(PARSER_OPT)
$(BUILD)/compiler/bpc_lazy.o: CPPFLAGS += $(XML_CFLAGS) $(GV_CFLAGS) $(LAZY_SONAMES)
$(BUILD)/$(ROOM_bpmn)/%.o: CPPFLAGS += $(XML_CFLAGS)
$(BUILD)/$(ROOM_export)/%.o: CPPFLAGS += $(XML_CFLAGS) $(GV_CFLAGS)

# ---- runtime (never includes a compiler header) ----------------------------
# Position-independent, so the same objects make the static and the shared library.
$(BUILD)/runtime/bundle/%.o: runtime/bundle/%.c $(RUNTIME_H)
	@mkdir -p $(dir $@)
	$(CC) $(call incs,bundle) $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<
$(BUILD)/runtime/%.o: runtime/%.c $(RUNTIME_H)
	@mkdir -p $(dir $@)
	$(CC) $(call incs,runtime) $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(BUILD)/libbprt.a: $(RUNTIME_OBJ)
	rm -f $@
	ar rcs $@ $^

# The library's version is the one bp.h declares; its soname carries the major number.
BP_VERSION := $(shell sed -n 's/^\#define BP_VERSION "\(.*\)"/\1/p' runtime/bp.h)
BP_MAJOR   := $(shell sed -n 's/^\#define BP_VERSION_MAJOR \([0-9]*\).*/\1/p' runtime/bp.h)
SONAME      = libbprt.so.$(BP_MAJOR)

$(BUILD)/libbprt.so: $(RUNTIME_OBJ)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -o $@ $^

# bprun, the reference host: sees only bp.h (copied alone into $(BUILD)/pub/bprun),
# links only the runtime.
$(BUILD)/runtime/bprun/%.o: runtime/bprun/%.c $(wildcard runtime/bprun/*.h) $(PUB_bprun)
	@mkdir -p $(dir $@)
	$(CC) $(call incs,bprun) $(CFLAGS) -c -o $@ $<
$(BUILD)/bprun: $(BPRUN_OBJ) $(BUILD)/libbps.a $(BUILD)/libbprt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(STORE_LIBS) -lpthread

# The store (runtime/store, docs/store.md): a library over the runtime, never linked
# into it. Its SQLite driver uses libsqlite3, its PostgreSQL driver (sdb_pg.c) libpq:
# their headers are needed to build, but each driver loads its library (dlopen) when it
# first opens a database, so a program that links the store does not load them at start.
SQLITE_CFLAGS = $(shell pkg-config --cflags sqlite3 2>/dev/null)
PQ_CFLAGS     = $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
STORE_SRC     = $(call room_src,store)
STORE_OBJ     = $(STORE_SRC:%.c=$(BUILD)/%.o)
STORE_LIBS    = -ldl -lpthread
$(BUILD)/runtime/store/%.o: runtime/store/%.c $(wildcard runtime/store/*.h) $(PUB_store)
	@mkdir -p $(dir $@)
	$(CC) $(call incs,store) $(CFLAGS) -c -o $@ $<
$(BUILD)/runtime/store/sdb_sqlite.o: CFLAGS += $(SQLITE_CFLAGS)
$(BUILD)/runtime/store/sdb_pg.o: CFLAGS += $(PQ_CFLAGS)
$(BUILD)/libbps.a: $(STORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libbpc.a: $(COMPILER_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bpc: $(BPC_OBJ) $(BUILD)/libbpc.a $(BUILD)/libbprt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(Z_LIBS) $(DL_LIBS)

# bpc with allocation-failure injection (tests/alloc_faults.sh): the same objects
# but compiler/base/util.c, which is built with -DBPC_ALLOC_FAULTS.
$(BUILD)/faults/util.o: compiler/base/util.c $(COMPILER_H)
	@mkdir -p $(dir $@)
	$(CC) $(call incs,base) -DBPC_ALLOC_FAULTS $(CFLAGS) -c -o $@ $<
$(BUILD)/faults/bpc: $(BPC_OBJ) $(filter-out %/base/util.o,$(COMPILER_OBJ)) $(BUILD)/faults/util.o $(BUILD)/libbprt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(Z_LIBS) $(DL_LIBS)

# bprun with allocation-failure sweeps (tests/alloc_sweep.sh): the same objects but
# host.c and scn.c, which are built with -DBPRUN_SWEEP (runtime/bprun/scn.c says how the
# sweep runs); bprun itself has none of it.
$(BUILD)/faults/bprun-%.o: runtime/bprun/%.c $(wildcard runtime/bprun/*.h) $(PUB_bprun)
	@mkdir -p $(dir $@)
	$(CC) $(call incs,bprun) -DBPRUN_SWEEP $(CFLAGS) -c -o $@ $<
$(BUILD)/faults/bprun: $(filter-out %/host.o %/scn.o,$(BPRUN_OBJ)) $(BUILD)/faults/bprun-host.o $(BUILD)/faults/bprun-scn.o $(BUILD)/libbps.a $(BUILD)/libbprt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(STORE_LIBS) -lpthread

# ---- tests -----------------------------------------------------------------
# Each unit test is one file, linked with the helpers they share (tests/unit/support.c).
UNIT_SUPPORT = $(BUILD)/tests/support.o
$(UNIT_SUPPORT): tests/unit/support.c tests/unit/support.h $(COMPILER_H) $(RUNTIME_H) $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_INCS) $(CMOCKA_CFLAGS) $(CFLAGS) -c -o $@ $<
$(BUILD)/tests/%: tests/unit/%.c tests/unit/support.h $(UNIT_SUPPORT) $(BUILD)/libbpc.a $(BUILD)/libbprt.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_INCS) $(CPPFLAGS) $(CMOCKA_CFLAGS) $(CFLAGS) -o $@ $< $(UNIT_SUPPORT) $(BUILD)/libbpc.a $(BUILD)/libbprt.a $(CMOCKA_LIBS) $(XML_LIBS) $(Z_LIBS) $(LDFLAGS)

# test_bpmn checks that the reader leaves libxml2's settings as it found them.
$(BUILD)/tests/test_bpmn: CPPFLAGS += $(XML_CFLAGS)

# The BPMN corpus sweep (tests/import/bpmn.sh runs it over ../shared/corpus/bpmn).
$(BUILD)/tests/bpmn_sweep: tests/import/bpmn_sweep.c $(BUILD)/libbpc.a $(COMPILER_H)
	@mkdir -p $(dir $@)
	$(CC) $(call incs,bpmn) $(CFLAGS) -o $@ $< $(BUILD)/libbpc.a $(XML_LIBS) $(Z_LIBS) $(LDFLAGS)

# A .bp file lowered to the IR and printed back by `bpc import`'s printer
# (tests/import/tobp.sh runs the file's scenarios on the text).
$(BUILD)/tests/tobp_bp: tests/import/tobp_bp.c $(BUILD)/libbpc.a $(BUILD)/libbprt.a $(COMPILER_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_INCS) $(CFLAGS) -o $@ $< $(BUILD)/libbpc.a $(BUILD)/libbprt.a $(LDFLAGS)

# The store's test programs (tests/pg/run.sh): the drivers' contract of sdb.h on a real
# database (sdb_test: SQLite and PostgreSQL, the same program) and many instances started
# from one program (start_many, for the concurrency test and the benchmark).
$(BUILD)/tests/sdb_test: tests/store/sdb_test.c runtime/store/sdb.h $(BUILD)/libbps.a
	@mkdir -p $(dir $@)
	$(CC) -Iruntime/store $(CFLAGS) -o $@ $< $(BUILD)/libbps.a $(STORE_LIBS) $(LDFLAGS)
$(BUILD)/tests/start_many: tests/store/start_many.c runtime/store/bps.h $(BUILD)/libbps.a $(BUILD)/libbprt.a
	@mkdir -p $(dir $@)
	$(CC) -Iruntime/store $(CFLAGS) -o $@ $< $(BUILD)/libbps.a $(BUILD)/libbprt.a $(STORE_LIBS) $(LDFLAGS)

unit: $(UNIT_BIN) $(BUILD)/tests/bpmn_sweep $(BUILD)/tests/tobp_bp $(BUILD)/tests/sdb_test $(BUILD)/tests/start_many

# Two runtimes on two threads under ThreadSanitizer (tests/tsan; run by tests/run.sh).
TSAN_BIN = build/tsan/two_threads
tsan: $(TSAN_BIN)
$(TSAN_BIN): tests/tsan/two_threads.c $(RUNTIME_SRC) runtime/bprun/host.c runtime/bprun/scn.c runtime/bprun/expr.c $(RUNTIME_H) $(wildcard runtime/bprun/*.h)
	@mkdir -p $(dir $@)
	$(CC) -Iruntime -Iruntime/bundle -Iruntime/bprun $(WARN) -O1 -g -fsanitize=thread -o $@ $(filter %.c,$^) -lpthread

# ---- fuzzing (tests/fuzz) ---------------------------------------------------
# One libFuzzer target per input of the tools; `make fuzz` builds them with clang
# into build/fuzz (every object instrumented, ASan + UBSan), `make fuzz-smoke`
# runs each for a while from the seed corpus (tests/fuzz/run.sh). The same sources
# with tests/fuzz/replay.c as main are $(BUILD)/replay/replay_NAME: `make check`
# builds them with the normal compiler and tests/run.sh replays every kept input.
FUZZ_TARGETS     = bp split bundle state scn csv bpmn bitrix json
FUZZ_GEN         = $(BUILD)/fuzzgen
FUZZ_BPRUN_OBJ   = $(filter-out %/bprun.o %/store_cmd.o,$(BPRUN_OBJ))
FUZZ_INCS_bp     = $(ALL_INCS)
FUZZ_INCS_split  = $(ALL_INCS)
FUZZ_INCS_bpmn   = $(ALL_INCS)
FUZZ_INCS_bitrix = $(ALL_INCS)
FUZZ_INCS_json   = -Icompiler/base
FUZZ_INCS_bundle = -Iruntime -Iruntime/bundle -Itests/fuzz
FUZZ_INCS_state  = $(FUZZ_INCS_bundle) -I$(FUZZ_GEN)
FUZZ_INCS_scn    = -Iruntime/bprun -I$(BUILD)/pub/bprun -I$(FUZZ_GEN)
FUZZ_INCS_csv    = -Iruntime/bprun
FUZZ_SRC_bundle  = tests/fuzz/drive.c
FUZZ_SRC_state   = tests/fuzz/drive.c
FUZZ_LIBS_bp     = $(BUILD)/libbpc.a $(BUILD)/libbprt.a $(Z_LIBS)
FUZZ_LIBS_split  = $(BUILD)/libbpc.a $(BUILD)/libbprt.a $(Z_LIBS) -lpthread
FUZZ_LIBS_bpmn   = $(BUILD)/libbpc.a $(BUILD)/libbprt.a $(XML_LIBS) $(Z_LIBS)
FUZZ_LIBS_bitrix = $(BUILD)/libbpc.a $(BUILD)/libbprt.a $(Z_LIBS)
FUZZ_LIBS_json   = $(BUILD)/libbpc.a
FUZZ_LIBS_bundle = $(BUILD)/libbprt.a
FUZZ_LIBS_state  = $(BUILD)/libbprt.a
FUZZ_LIBS_scn    = $(FUZZ_BPRUN_OBJ) $(BUILD)/libbprt.a -lpthread
FUZZ_LIBS_csv    = $(FUZZ_BPRUN_OBJ) $(BUILD)/libbprt.a -lpthread
FUZZ_DEPS_state  = $(FUZZ_GEN)/fuzz_bundles.h
FUZZ_DEPS_scn    = $(FUZZ_GEN)/fuzz_bundles.h

# fuzz_target NAME, OUTPUT, EXTRA SOURCE, EXTRA FLAGS
define fuzz_target
$(2): tests/fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1)) $(3) $(wildcard tests/fuzz/*.h) $(FUZZ_DEPS_$(1)) $(filter %.a %.o,$(FUZZ_LIBS_$(1))) $(PUB_bprun)
	@mkdir -p $$(dir $$@)
	$$(CC) $(FUZZ_INCS_$(1)) $$(CFLAGS) $(4) -o $$@ tests/fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1)) $(3) $(FUZZ_LIBS_$(1)) $$(LDFLAGS) $(4)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t),$(BUILD)/fuzz_$(t),,-fsanitize=fuzzer)))
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t),$(BUILD)/replay/replay_$(t),tests/fuzz/replay.c,)))

# The fixed bundles of fuzz_state and fuzz_scn: the samples and tests/scenarios.
$(FUZZ_GEN)/fuzz_bundles.h: tests/fuzz/bundles.sh $(BUILD)/bpc $(wildcard samples/*.bp tests/scenarios/*.bp)
	@mkdir -p $(dir $@)
	sh tests/fuzz/bundles.sh $(BUILD)/bpc $@

.PHONY: fuzz fuzz-targets fuzz-replay fuzz-smoke fuzz-corpus
FUZZ_SAN = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang OPT="-O1 -g" SAN="$(FUZZ_SAN)" fuzz-targets
fuzz-targets: $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%) $(BUILD)/replay/seed_state
fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/replay/replay_%) $(BUILD)/replay/seed_state
$(BUILD)/replay/seed_state: tests/fuzz/seed_state.c tests/fuzz/drive.c tests/fuzz/drive.h $(FUZZ_GEN)/fuzz_bundles.h $(BUILD)/libbprt.a
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_INCS_state) $(CFLAGS) -o $@ tests/fuzz/seed_state.c tests/fuzz/drive.c $(BUILD)/libbprt.a $(LDFLAGS)

# Each target ~30 s from the seed corpus (build/fuzz/corpus, made by corpus.sh);
# FUZZ_JOBS=2 runs two targets at a time (CI: two cores).
fuzz-smoke: fuzz
	@MAKEFLAGS= sh tests/fuzz/run.sh smoke

deps:
	@sh .ci/deps

# (`make -j2 check` builds on two cores; the tests then run without make's job server in
# MAKEFLAGS, so the makes they start themselves print no warning about it.)
check: deps
	@$(MAKE) --no-print-directory all unit tsan fuzz-replay $(BUILD)/faults/bpc $(BUILD)/faults/bprun
	@MAKEFLAGS= sh tests/run.sh $(BUILD)

# `make asan-build` builds what `make asan` runs, without running it; ASAN_BUILD names its
# folder (the CI builds it with gcc into another folder, while clang's runs the tests).
ASAN_BUILD ?= build/asan
ASAN_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
asan-build: deps
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) OPT="-O1 -g" SAN="$(ASAN_SAN)" \
	  all unit fuzz-replay $(ASAN_BUILD)/faults/bpc $(ASAN_BUILD)/faults/bprun
asan: asan-build
	@MAKEFLAGS= ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 sh tests/run.sh $(ASAN_BUILD)

# `make sweep`: tests/alloc_sweep.sh over every scenario (make asan's runs every 4th of
# tests/scenarios), built with ASan and UBSan: every event with each allocation failing.
sweep: deps
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) OPT="-O1 -g" SAN="$(ASAN_SAN)" \
	  $(ASAN_BUILD)/bpc $(ASAN_BUILD)/faults/bprun
	@MAKEFLAGS= ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 STRIDE=1 sh tests/alloc_sweep.sh $(ASAN_BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(BUILD)

# `make bench`: every measure of bench/run.sh against its peer, one `ratio` line each.
# bench/bpbench is the in-process host it times the runtime with (it sees only bp.h).
bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/bpbench
	@sh bench/run.sh $(BUILD)

.PHONY: bench-check
# The earlier separate timings: bpc check at 100k lines (PASS/FAIL at 100 ms), BPMN read.
bench-check: deps
	@$(MAKE) --no-print-directory all
	@sh bench/check.sh $(BUILD); rc=$$?; echo; sh bench/bpmn_read.sh $(BUILD); exit $$rc

$(BUILD)/bench/bpbench: bench/bpbench.c $(BUILD)/libbprt.a $(PUB_bprun)
	@mkdir -p $(dir $@)
	$(CC) -I$(BUILD)/pub/bprun $(CFLAGS) -o $@ $< $(BUILD)/libbprt.a $(LDFLAGS)

# `make pgo`: $(BUILD)/pgo/bpc, the compiler built with gcc's profile-guided optimization.
# An instrumented bpc compiles and checks the training inputs (bench/pgo.sh: bench/gen.sh's
# program and the samples), its objects are built again with the counts it wrote
# (-fprofile-use, next to each object), and the result must give the plain build's
# bundles, messages and exit codes on every training input. `bpc compile` at 100,082 lines
# ran 7.4% fewer instructions and took 6.3% less CPU time when it was added. gcc only
# (clang's profiles are another format).
PGO = $(BUILD)/pgo
.PHONY: pgo
pgo: $(BUILD)/bpc
	@rm -rf $(PGO)
	@$(MAKE) --no-print-directory BUILD=$(PGO) OPT="$(OPT) -fprofile-generate -fprofile-update=single" \
	  LDFLAGS="$(LDFLAGS) -fprofile-generate" $(PGO)/bpc
	@sh bench/pgo.sh train $(PGO)/bpc $(PGO)/train
	@find $(PGO) -name '*.o' -exec rm -f {} +
	@rm -f $(PGO)/bpc $(PGO)/*.a
	@$(MAKE) --no-print-directory BUILD=$(PGO) \
	  OPT="$(OPT) -fprofile-use -fprofile-partial-training -Wno-missing-profile" $(PGO)/bpc
	@sh bench/pgo.sh same $(BUILD)/bpc $(PGO)/bpc $(PGO)/train

.PHONY: bench-scaling
bench-scaling: deps
	@$(MAKE) --no-print-directory all
	@sh bench/scaling.sh $(BUILD)

.PHONY: bench-mass
bench-mass: deps
	@$(MAKE) --no-print-directory all
	@sh bench/mass.sh $(BUILD)

.PHONY: gallery
gallery: deps
	@$(MAKE) --no-print-directory all
	@sh docs/gallery.sh $(BUILD)

clean:
	rm -rf build

# ---- install (GNU conventions) ----------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=/staging]; every directory may be set alone.
PREFIX     ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
BINDIR     ?= $(EXEC_PREFIX)/bin
LIBDIR     ?= $(EXEC_PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATAROOTDIR ?= $(PREFIX)/share
DATADIR    ?= $(DATAROOTDIR)
MANDIR     ?= $(DATAROOTDIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
VIMDIR     ?= $(DATADIR)/vim/vimfiles
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
INSTALL    ?= install
INSTALL_PROGRAM ?= $(INSTALL)
INSTALL_DATA ?= $(INSTALL) -m 644

MAN_PAGES = man/bpc.1 man/bprun.1 man/libbprt.3 man/bp-language.7
EDITOR_FILES = editors/textmate/bp.tmLanguage.json editors/textmate/scn.tmLanguage.json
LIB_REAL  = libbprt.so.$(BP_VERSION)

$(BUILD)/libbprt.pc: Makefile runtime/bp.h
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$(EXEC_PREFIX)' 'libdir=$(LIBDIR)' \
	  'includedir=$(INCLUDEDIR)' '' 'Name: libbprt' \
	  'Description: runtime of bpc: runs compiled business-process bundles inside a host program' \
	  'Version: $(BP_VERSION)' \
	  'Libs: -L$${libdir} -lbprt' 'Cflags: -I$${includedir}' >$@

.PHONY: install uninstall
install: $(BUILD)/bpc $(BUILD)/bprun $(BUILD)/libbprt.so $(BUILD)/libbprt.a $(BUILD)/libbprt.pc
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)/bpc/textmate \
	  $(DESTDIR)$(VIMDIR)/syntax $(DESTDIR)$(VIMDIR)/ftdetect $(DESTDIR)$(COMPLETIONDIR)
	$(INSTALL_PROGRAM) $(BUILD)/bpc $(BUILD)/bprun $(DESTDIR)$(BINDIR)
	$(INSTALL_DATA) $(BUILD)/libbprt.so $(DESTDIR)$(LIBDIR)/$(LIB_REAL)
	ln -sf $(LIB_REAL) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libbprt.so
	$(INSTALL_DATA) $(BUILD)/libbprt.a $(DESTDIR)$(LIBDIR)
	$(INSTALL_DATA) runtime/bp.h $(DESTDIR)$(INCLUDEDIR)
	$(INSTALL_DATA) $(BUILD)/libbprt.pc $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL_DATA) man/bpc.1 man/bprun.1 $(DESTDIR)$(MANDIR)/man1
	$(INSTALL_DATA) man/libbprt.3 $(DESTDIR)$(MANDIR)/man3
	$(INSTALL_DATA) man/bp-language.7 $(DESTDIR)$(MANDIR)/man7
	$(INSTALL_DATA) $(EDITOR_FILES) $(DESTDIR)$(DATADIR)/bpc/textmate
	$(INSTALL_DATA) editors/vim/syntax/bp.vim editors/vim/syntax/scn.vim $(DESTDIR)$(VIMDIR)/syntax
	$(INSTALL_DATA) editors/vim/ftdetect/bp.vim $(DESTDIR)$(VIMDIR)/ftdetect
	$(INSTALL_DATA) editors/bash-completion/bpc $(DESTDIR)$(COMPLETIONDIR)/bpc
	ln -sf bpc $(DESTDIR)$(COMPLETIONDIR)/bprun

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bpc $(DESTDIR)$(BINDIR)/bprun
	rm -f $(DESTDIR)$(LIBDIR)/$(LIB_REAL) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	  $(DESTDIR)$(LIBDIR)/libbprt.so $(DESTDIR)$(LIBDIR)/libbprt.a
	rm -f $(DESTDIR)$(INCLUDEDIR)/bp.h $(DESTDIR)$(PKGCONFIGDIR)/libbprt.pc
	rm -f $(DESTDIR)$(MANDIR)/man1/bpc.1 $(DESTDIR)$(MANDIR)/man1/bprun.1 \
	  $(DESTDIR)$(MANDIR)/man3/libbprt.3 $(DESTDIR)$(MANDIR)/man7/bp-language.7
	rm -f $(DESTDIR)$(DATADIR)/bpc/textmate/bp.tmLanguage.json \
	  $(DESTDIR)$(DATADIR)/bpc/textmate/scn.tmLanguage.json
	-rmdir $(DESTDIR)$(DATADIR)/bpc/textmate $(DESTDIR)$(DATADIR)/bpc 2>/dev/null
	rm -f $(DESTDIR)$(VIMDIR)/syntax/bp.vim $(DESTDIR)$(VIMDIR)/syntax/scn.vim \
	  $(DESTDIR)$(VIMDIR)/ftdetect/bp.vim
	rm -f $(DESTDIR)$(COMPLETIONDIR)/bpc $(DESTDIR)$(COMPLETIONDIR)/bprun
