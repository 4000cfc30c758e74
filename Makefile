# Trade-surveillance pipeline: build, test, run, bench.
#
#   make            build everything (build/lda, cgi-bin/*.fcgi, tests)
#   make test       install deps, build, lint, run every test suite (CI runs this)
#   make lint       clang-format, cppcheck, exported symbols (mk/lint.mk)
#   make run        install deps, build, serve on http://127.0.0.1:8080/
#   make bench      benchmarks (tables), not part of make test
#   make bench-compare BASE=<rev>  20-event p50 against another revision
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 120)
#
# MODE=asan builds everything with AddressSanitizer + UBSan under build/asan/.

MODE    ?= release
CC      ?= cc
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla -D_GNU_SOURCE
# Every header, for what sits on top of all layers (tests, fuzzers).
INC     := -Isrc/core -Isrc/io -Isrc/web
LIBS    := -lfcgi -lcurl -ljansson -lcrypto -lz -lm -lpthread

ifeq ($(MODE),asan)
B       := build/asan
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT     := -O1 -g
CGI     := $(B)/cgi-bin
else
B       := build
SAN     :=
OPT     := -O2 -g
CGI     := cgi-bin
endif

CFLAGS  += $(WARN) $(OPT) $(SAN) -pthread
# A program records only the libraries it calls (detect-wash needs no
# libcurl).
LDFLAGS += $(SAN) -pthread -Wl,--as-needed

# The layers, each a static library, each compiled with only the headers
# of the layers below it on its include path: core (pure) <- io <- web <-
# the programs (src/services, src/cli). A program links what it uses.
CORE_SRC := $(wildcard src/core/*.c)
IO_SRC   := $(wildcard src/io/*.c)
WEB_SRC  := $(wildcard src/web/*.c)
CORE_LIB := $(B)/lib/libcore.a
IO_LIB   := $(B)/lib/libio.a
WEB_LIB  := $(B)/lib/libweb.a

$(B)/obj/src/core/%.o: LAYER_INC := -Isrc/core
$(B)/obj/src/io/%.o:   LAYER_INC := -Isrc/core -Isrc/io
$(B)/obj/src/cli/%.o:  LAYER_INC := -Isrc/core -Isrc/io
$(B)/obj/src/web/%.o:  LAYER_INC := -Isrc/core -Isrc/io -Isrc/web
$(B)/obj/src/services/%.o: LAYER_INC := -Isrc/core -Isrc/io -Isrc/web
LAYER_INC ?= $(INC)

# The programs: every name of the list of services (src/core/lda_svc.c,
# one entry a line). A detector is src/services/detect.c built with its
# name; any other program is src/services/<name>.c.
PROGRAM_NAMES := $(shell sed -n 's/^ *{"[a-z_]*", *"\([a-z-]*\)".*/\1/p' src/core/lda_svc.c)
PROGRAMS := $(PROGRAM_NAMES:%=$(CGI)/%.fcgi)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(B)/test/unit

.PHONY: all deps test unit golden test-asan run bench bench-compare fuzz soak clean
all: $(B)/lda $(PROGRAMS) $(if $(UNIT_SRC),$(UNIT_BIN))

deps:
	@sh scripts/install-deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LAYER_INC) -MMD -MP -c $< -o $@

DETECT_OBJ := $(patsubst %,$(B)/obj/src/services/%.o,$(filter detect-%,$(PROGRAM_NAMES)))
$(DETECT_OBJ): $(B)/obj/src/services/detect-%.o: src/services/detect.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LAYER_INC) -DLDA_PROGRAM='"detect-$*"' -MMD -MP -c $< -o $@

$(CORE_LIB): $(CORE_SRC:%.c=$(B)/obj/%.o)
$(IO_LIB):   $(IO_SRC:%.c=$(B)/obj/%.o)
$(WEB_LIB):  $(WEB_SRC:%.c=$(B)/obj/%.o)
$(CORE_LIB) $(IO_LIB) $(WEB_LIB):
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/lda: $(B)/obj/src/cli/lda.o $(IO_LIB) $(CORE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The service objects are intermediate files of a pattern rule: keep
# them, or every second `make` would rebuild and relink the programs.
.SECONDARY: $(PROGRAM_NAMES:%=$(B)/obj/src/services/%.o)
$(CGI)/%.fcgi: $(B)/obj/src/services/%.o $(WEB_LIB) $(IO_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(UNIT_BIN): $(UNIT_SRC:%.c=$(B)/obj/%.o) $(WEB_LIB) $(IO_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcunit

unit: $(UNIT_BIN)
	$(UNIT_BIN)

# Every case twice: the input as a file, then on standard input.
golden: $(B)/lda
	sh tests/golden/run.sh $(B)/lda
	GOLDEN_STDIN=1 sh tests/golden/run.sh $(B)/lda
	sh tests/golden/threads.sh $(B)/lda

# The whole suite, cheap and precise first; stays under 10 minutes on
# 2 cores. Long soaks and fuzzing are separate targets (soak, fuzz, bench).
# Builds use every core (JOBS); the suites run one at a time.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: deps
	$(MAKE) -j$(JOBS) all
	$(MAKE) lint
	$(MAKE) unit golden
	$(MAKE) integration
	$(MAKE) integration-apache
	$(MAKE) browser
	$(MAKE) fuzz-smoke
	$(MAKE) test-asan

# Unit, golden and the whole HTTP integration suite again, every program
# built with AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) MODE=asan -j$(JOBS) all
	$(MAKE) MODE=asan unit golden integration

run: deps all
	@sh scripts/lda-server run

bench: deps all
	@sh scripts/bench.sh

# The 20-event p50 of this tree against another revision's (BASE).
BASE ?= HEAD~1
bench-compare: deps all
	@python3 scripts/bench-compare.py $(BASE)

FUZZ_SECONDS ?= 120
fuzz: deps
	sh scripts/fuzz.sh $(FUZZ_SECONDS)

SOAK_SECONDS ?= 600
soak: deps all
	python3 tests/integration/soak.py $(SOAK_SECONDS)

clean:
	rm -rf build $(PROGRAMS)

-include $(shell find build -name '*.d' 2>/dev/null)
-include mk/*.mk
