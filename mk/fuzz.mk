# fuzz.mk: libFuzzer targets (tests/fuzz/fuzz_<target>.c), built with clang
# under build/fuzz/. The src/core, src/io and src/web .c files they need are
# compiled again with the fuzz flags into build/fuzz/obj/ (never the gcc
# objects).
# Every target links the core+io objects; a web target also links the
# src/web files listed in FUZZ_WEB_<target> (only those, so a web module
# still being written cannot break the others).
#
#   make fuzz-build          build every build/fuzz/fuzz_<target>
#   make fuzz-smoke          regressions + 5 s per target (fuzz.sh --smoke)
#   sh scripts/fuzz.sh 300   longer runs, see the script header

FUZZ_CC      ?= $(shell command -v clang-14 >/dev/null 2>&1 && \
                  echo clang-14 || echo clang)
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := $(WARN) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(INC)
FUZZ_LDFLAGS := $(FUZZ_SAN) -fsanitize=fuzzer

FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
# src/web sources per web target.
FUZZ_WEB_multipart      := src/web/lda_multipart.c
FUZZ_WEB_validate       := src/web/lda_validate.c src/web/lda_http.c \
                           src/web/lda_uuid.c src/web/lda_trace.c \
                           src/web/lda_log.c
FUZZ_WEB_detect_json    := src/web/lda_codec_detect.c \
                           src/web/lda_codec_seq.c src/web/lda_validate.c
# (the aggregate codec reads "params" with lda_reqparams, which parses
# query strings with lda_http)
FUZZ_WEB_reqparams      := src/web/lda_reqparams.c src/web/lda_http.c \
                           src/web/lda_uuid.c src/web/lda_trace.c \
                           src/web/lda_log.c
FUZZ_WEB_aggregate_json := src/web/lda_codec_agg.c src/web/lda_codec_seq.c \
                           src/web/lda_validate.c $(FUZZ_WEB_reqparams)
FUZZ_WEB_wire           := src/web/lda_codec_agg.c src/web/lda_codec_seq.c \
                           src/web/lda_codec_res.c src/web/lda_validate.c \
                           $(FUZZ_WEB_reqparams)

FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(FUZZ_DIR)/obj/%.o) \
                 $(IO_SRC:%.c=$(FUZZ_DIR)/obj/%.o)

.PHONY: fuzz-build fuzz-smoke
fuzz-build: $(FUZZ_BINS)

fuzz-smoke:
	sh scripts/fuzz.sh --smoke

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

# One link rule per target: its harness, core + io, its web objects.
define FUZZ_LINK
$(FUZZ_DIR)/fuzz_$(1): $(FUZZ_DIR)/obj/tests/fuzz/fuzz_$(1).o $(FUZZ_CORE_OBJ) \
    $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_WEB_$(1)))
	$$(FUZZ_CC) $$(FUZZ_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_LINK,$(t))))
