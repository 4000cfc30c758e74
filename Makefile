# Trade-surveillance pipeline: build, test, run, bench.
#
#   make            build everything (build/lda, cgi-bin/*.fcgi, tests)
#   make test       install deps, build, run every test suite (CI runs this)
#   make run        install deps, build, serve on http://127.0.0.1:8080/
#   make bench      benchmarks (tables), not part of make test
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 120)
#
# MODE=asan builds everything with AddressSanitizer + UBSan under build/asan/.

MODE    ?= release
CC      ?= cc
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla -D_GNU_SOURCE
INC     := -Isrc/core -Isrc/io -Isrc/web
LIBS    := -lfcgi -lcurl -ljansson -lcrypto -lm

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

CFLAGS  += $(WARN) $(OPT) $(SAN) $(INC)
LDFLAGS += $(SAN)

CORE_SRC := $(wildcard src/core/*.c)
IO_SRC   := $(wildcard src/io/*.c)
WEB_SRC  := $(wildcard src/web/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(B)/obj/%.o)
IO_OBJ   := $(IO_SRC:%.c=$(B)/obj/%.o)
WEB_OBJ  := $(WEB_SRC:%.c=$(B)/obj/%.o)

SERVICES := $(patsubst src/services/%.c,%,$(wildcard src/services/*.c))
PROGRAMS := $(SERVICES:%=$(CGI)/%.fcgi)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(B)/test/unit

.PHONY: all deps test unit golden test-asan run bench fuzz soak clean
all: $(B)/lda $(PROGRAMS) $(if $(UNIT_SRC),$(UNIT_BIN))

deps:
	@sh scripts/install-deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/lda: $(B)/obj/src/cli/lda.o $(IO_OBJ) $(CORE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The service objects are intermediate files of this pattern rule: keep
# them, or every second `make` would rebuild and relink the programs.
.SECONDARY: $(SERVICES:%=$(B)/obj/src/services/%.o)
$(CGI)/%.fcgi: $(B)/obj/src/services/%.o $(WEB_OBJ) $(IO_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(UNIT_BIN): $(UNIT_SRC:%.c=$(B)/obj/%.o) $(WEB_OBJ) $(IO_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcunit

unit: $(UNIT_BIN)
	$(UNIT_BIN)

golden: $(B)/lda
	sh tests/golden/run.sh $(B)/lda

# The whole suite, cheap and precise first; stays under 10 minutes on
# 2 cores. Long soaks and fuzzing are separate targets (soak, fuzz, bench).
test: deps
	$(MAKE) all
	$(MAKE) unit golden
	$(MAKE) integration
	$(MAKE) browser
	$(MAKE) fuzz-smoke
	$(MAKE) test-asan

# Unit, golden and the whole HTTP integration suite again, every program
# built with AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) MODE=asan all unit golden integration

run: deps all
	@sh scripts/lda-server run

bench: deps all
	@sh scripts/bench.sh

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
