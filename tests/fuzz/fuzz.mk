# tests/fuzz/fuzz.mk - fuzz targets (included by the Makefile; the
# contract is tests/fuzz/README.md).
#
#   make fuzz-build          every target, for libFuzzer and for replay
#   make fuzz FUZZ_SECONDS=N run each target N seconds (default 60) on its
#                            corpus; FUZZ="wasm toml" picks targets
#   make check               replays tests/regress/ and the corpora, and
#                            runs each fuzzer a few seconds
#                            (tests/conformance/regress.sh)
#
# A target is found by wildcard: tests/fuzz/NAME/fuzz.c.  It is built
# twice:
#   $(FZ)/NAME         clang + libFuzzer + ASan + UBSan, linked with a copy
#                      of libwhcommon and libwasmrt compiled the same way
#                      (-fsanitize=fuzzer-no-link: coverage for the fuzzer)
#                      in $(FZ)/obj/ and $(FZ)/lib/
#   $(FZ)/replay-NAME  $(CC) and the build's own flags and libraries, with
#                      tests/fuzz/common/replay.c as its main: no clang
#                      needed, and under SANITIZE=1 the build's sanitizers
# A target needing objects outside the two libraries (indexer/, installer/)
# lists them in tests/fuzz/NAME/target.mk as `fuzz_extra_NAME := a.c b.c`,
# and extra libraries as `fuzz_libs_NAME := -lfoo`.
# Without a clang that links -fsanitize=fuzzer (Debian: libclang-rt-14-dev)
# only the replay programs are built and the fuzz runs are skipped.

FUZZ_CC      ?= clang
FZ           := $(O)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_ALL     := $(patsubst tests/fuzz/%/fuzz.c,%,$(wildcard tests/fuzz/*/fuzz.c))
FUZZ         ?= $(FUZZ_ALL)

-include $(wildcard tests/fuzz/*/target.mk)

FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) \
                -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -I. \
                -DWHARF_VERSION='"$(VERSION)"' -DWHARF_FUZZING=1 \
                $(shell pkg-config --cflags $(PC_LIBS) $(PC_NET)) -MMD -MP

# Is libFuzzer there?  Asked only when a goal needs the answer.
ifneq ($(filter check fuzz fuzz-build,$(MAKECMDGOALS)),)
FUZZ_OK := $(shell printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }\n' | \
             $(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1 && echo ok)
endif

FUZZ_BINS    := $(patsubst %,$(FZ)/%,$(FUZZ_ALL))
FUZZ_REPLAYS := $(patsubst %,$(FZ)/replay-%,$(FUZZ_ALL))
FUZZ_LIBS    := $(FZ)/lib/libwhcommon.a $(FZ)/lib/libwasmrt.a
fobj = $(patsubst %.c,$(FZ)/obj/%.o,$(1))

.PHONY: fuzz fuzz-build

# Objects for libFuzzer; rebuilt when the compiler or flags change.
FUZZ_BUILD_ID := $(FUZZ_CC) $(FUZZ_CFLAGS)
ifneq ($(file <$(FZ)/.build-id),$(FUZZ_BUILD_ID))
$(shell mkdir -p $(FZ))
$(file >$(FZ)/.build-id,$(FUZZ_BUILD_ID))
endif

$(FZ)/obj/%.o: %.c $(FZ)/.build-id
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FZ)/lib/libwhcommon.a: $(call fobj,$(common_src))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(FZ)/lib/libwasmrt.a: $(call fobj,$(wasmrt_src))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# One target's two programs (extra objects before the libraries).
define fuzz_rule
$(FZ)/$(1): $(call fobj,tests/fuzz/$(1)/fuzz.c $(fuzz_extra_$(1))) $(FUZZ_LIBS)
	@mkdir -p $$(dir $$@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $(fuzz_libs_$(1)) $$(LDLIBS_ALL)

$(FZ)/replay-$(1): $(call obj,tests/fuzz/$(1)/fuzz.c tests/fuzz/common/replay.c $(fuzz_extra_$(1))) $(LIB_COMMON) $(LIB_WASMRT)
	@mkdir -p $$(dir $$@)
	$(CC) $(SANFLAGS) -o $$@ $$^ $(fuzz_libs_$(1)) $$(LDLIBS_ALL)
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call fuzz_rule,$(t))))

# make check needs them (tests/conformance/regress.sh): the replay programs
# always, the fuzzers when libFuzzer is there (the script skips them
# otherwise).
fuzz-build: $(FUZZ_REPLAYS) $(if $(FUZZ_OK),$(FUZZ_BINS))
	@$(if $(FUZZ_OK),true,echo "fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer (libclang-rt-14-dev); built the replay programs only")

fuzz: $(if $(FUZZ_OK),$(patsubst %,$(FZ)/%,$(FUZZ)),fuzz-no-libfuzzer)
	@sh tests/fuzz/run.sh $(FZ) $(FUZZ_SECONDS) $(FUZZ)

.PHONY: fuzz-no-libfuzzer
fuzz-no-libfuzzer:
	@echo "fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer: install libclang-rt-14-dev (make deps)" >&2; exit 1

-include $(shell find $(FZ)/obj -name '*.d' 2>/dev/null)
