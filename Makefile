# bpc — compiler and embeddable runtime for business processes.
#
#   make          build build/bpc
#   make check    install missing packages, build, run every test
#   make asan     the same tests built with AddressSanitizer + UBSan
#   make demo     the main job on a sample
#   make bench    the benchmarks in bench/
#   make bench-mass  bprun mass on 100,000 generated contacts (bench/mass.sh)
#   make gallery  docs/gallery.md: every sample drawn beside its source

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
WARN    = -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L
CFLAGS  += $(WARN) $(OPT) $(SAN)
LDFLAGS += $(SAN)
BISON   ?= bison
FLEX    ?= flex

GEN      = $(BUILD)/gen
CPPFLAGS += -Icompiler -Iruntime -I$(GEN)

COMPILER_SRC = $(filter-out compiler/bpc.c,$(wildcard compiler/*.c))
RUNTIME_SRC  = $(wildcard runtime/*.c)
BPRUN_SRC    = $(wildcard runtime/bprun/*.c)
BPRUN_OBJ    = $(BPRUN_SRC:%.c=$(BUILD)/%.o)
RUNTIME_OBJ  = $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
COMPILER_OBJ = $(COMPILER_SRC:%.c=$(BUILD)/%.o) $(GEN)/parser.o $(GEN)/lexer.o
UNIT_SRC     = $(wildcard tests/unit/test_*.c)
UNIT_BIN     = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Graphviz: only dot.c includes it, only bpc links it (never the runtime).
GV_CFLAGS = $(shell pkg-config --cflags libcgraph libgvc 2>/dev/null)
GV_LIBS   = $(shell pkg-config --libs libcgraph libgvc 2>/dev/null || echo -lgvc -lcgraph -lcdt)

CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

.PHONY: all deps check asan tsan demo bench clean unit
all: $(BUILD)/bpc $(BUILD)/bprun $(BUILD)/libbprt.so

# ---- generated scanner and parser ----------------------------------------
$(GEN)/parser.c $(GEN)/parser.h: grammar/parser.y
	@mkdir -p $(GEN)
	$(BISON) -Wall -Werror --defines=$(GEN)/parser.h -o $(GEN)/parser.c $<

$(GEN)/lexer.c $(GEN)/lexer.h: grammar/lexer.l $(GEN)/parser.h
	@mkdir -p $(GEN)
	$(FLEX) --header-file=$(GEN)/lexer.h -o $(GEN)/lexer.c $<

# Generated C is compiled with the same flags; the scanner's skeleton has
# unused helpers and sign mismatches that are flex's, not ours. Both include
# the compiler's headers (and their inline functions).
$(GEN)/lexer.o: $(GEN)/lexer.c $(GEN)/parser.h $(wildcard compiler/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter -c -o $@ $<
$(GEN)/parser.o: $(GEN)/parser.c $(GEN)/lexer.h $(wildcard compiler/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# ---- compiler --------------------------------------------------------------
$(BUILD)/compiler/%.o: compiler/%.c $(wildcard compiler/*.h runtime/bpt.h runtime/*.def) $(GEN)/parser.h $(GEN)/lexer.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# ---- runtime (never includes a compiler header) ----------------------------
# Position-independent, so the same objects make the static and the shared library.
$(BUILD)/runtime/%.o: runtime/%.c $(wildcard runtime/*.h runtime/*.def runtime/bprun/*.h)
	@mkdir -p $(dir $@)
	$(CC) -Iruntime $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(BUILD)/libbprt.a: $(RUNTIME_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libbprt.so: $(RUNTIME_OBJ)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libbprt.so.0 -o $@ $^

# bprun, the reference host: links only the runtime.
$(BUILD)/bprun: $(BPRUN_OBJ) $(BUILD)/libbprt.a
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

$(BUILD)/libbpc.a: $(COMPILER_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/compiler/dot.o: CPPFLAGS += $(GV_CFLAGS)

$(BUILD)/bpc: $(BUILD)/compiler/bpc.o $(BUILD)/libbpc.a $(BUILD)/libbprt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(GV_LIBS)

# ---- tests -----------------------------------------------------------------
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbpc.a $(BUILD)/libbprt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CMOCKA_CFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libbpc.a $(BUILD)/libbprt.a $(CMOCKA_LIBS) $(LDFLAGS)

unit: $(UNIT_BIN)

# Two runtimes on two threads under ThreadSanitizer (tests/tsan; run by tests/run.sh).
TSAN_BIN = build/tsan/two_threads
tsan: $(TSAN_BIN)
$(TSAN_BIN): tests/tsan/two_threads.c $(RUNTIME_SRC) runtime/bprun/host.c runtime/bprun/scn.c runtime/bprun/expr.c $(wildcard runtime/*.h runtime/*.def runtime/bprun/*.h)
	@mkdir -p $(dir $@)
	$(CC) -Iruntime -Iruntime/bprun $(WARN) -O1 -g -fsanitize=thread -o $@ $(filter %.c,$^) -lpthread

deps:
	@sh .ci/deps

check: deps
	@$(MAKE) --no-print-directory all unit tsan
	@sh tests/run.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" all unit
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 sh tests/run.sh build/asan

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh $(BUILD)

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
