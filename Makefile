# bpc — compiler and embeddable runtime for business processes.
#
#   make          build build/bpc
#   make check    install missing packages, build, run every test
#   make asan     the same tests built with AddressSanitizer + UBSan
#   make demo     the main job on a sample
#   make bench    the benchmarks in bench/

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  += -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L $(OPT) $(SAN)
LDFLAGS += $(SAN)
BISON   ?= bison
FLEX    ?= flex

GEN      = $(BUILD)/gen
CPPFLAGS += -Icompiler -Iruntime -I$(GEN)

COMPILER_SRC = $(filter-out compiler/bpc.c,$(wildcard compiler/*.c))
RUNTIME_SRC  = $(filter-out runtime/bprun.c,$(wildcard runtime/*.c))
RUNTIME_OBJ  = $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
COMPILER_OBJ = $(COMPILER_SRC:%.c=$(BUILD)/%.o) $(GEN)/parser.o $(GEN)/lexer.o
UNIT_SRC     = $(wildcard tests/unit/test_*.c)
UNIT_BIN     = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

.PHONY: all deps check asan demo bench clean unit
all: $(BUILD)/bpc

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
$(BUILD)/runtime/%.o: runtime/%.c $(wildcard runtime/*.h runtime/*.def)
	@mkdir -p $(dir $@)
	$(CC) -Iruntime $(CFLAGS) -c -o $@ $<

$(BUILD)/libbprt.a: $(RUNTIME_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libbpc.a: $(COMPILER_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bpc: $(BUILD)/compiler/bpc.o $(BUILD)/libbpc.a $(BUILD)/libbprt.a
	$(CC) $(LDFLAGS) -o $@ $^

# ---- tests -----------------------------------------------------------------
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbpc.a $(BUILD)/libbprt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CMOCKA_CFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libbpc.a $(BUILD)/libbprt.a $(CMOCKA_LIBS) $(LDFLAGS)

unit: $(UNIT_BIN)

deps:
	@sh .ci/deps

check: deps
	@$(MAKE) --no-print-directory all unit
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

clean:
	rm -rf build
