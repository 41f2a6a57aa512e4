# Makefile - builds wharf: the common library, wasmrt, the two commands
# and the tests.  Outputs go to build/ (build/san/ with SANITIZE=1).
#
#   make                  build/bin/wharf-index, build/bin/wharf, libraries
#   make demo             install deps, build, run the end-to-end demo
#   make check            every test suite; ends with "N passed, N failed"
#   make check SANITIZE=1 the same under ASan + UBSan
#   make bench            benchmarks, as ratios against a baseline
#                         (one of them: bench-hash, bench-wasm, bench-index)
#   make deps             install missing Debian packages (.ci/packages)
#   make install PREFIX=/usr/local DESTDIR=
#
# Source files are found by wildcard: a new .c in common/ joins the common
# library, a new tests/unit/*_test.c becomes a test program.

VERSION   := 0.1.0
CC        ?= cc
PREFIX    ?= /usr/local
DESTDIR   ?=
SANITIZE  ?= 0

PC_LIBS   := libarchive libcrypto jansson libsodium zlib
PC_NET    := libcurl          # wharf-commands, wharf-index: http(s) sites
PC_TEST   := cmocka

# Run `make deps` on our own when a library is missing, or (for check and
# demo) the browser tests' playwright-core, unless that is what was asked
# for (or cleaning, which needs nothing).
DEPS_OK := $(shell pkg-config --exists $(PC_LIBS) $(PC_NET) $(PC_TEST) 2>/dev/null && echo ok)
ifneq ($(filter check demo,$(MAKECMDGOALS)),)
ifeq ($(wildcard tests/browser/node_modules/playwright-core/package.json),)
DEPS_OK :=
endif
endif
ifeq ($(filter deps clean help,$(MAKECMDGOALS)),)
ifneq ($(DEPS_OK),ok)
$(info wharf: some dependencies are missing; running make deps)
ifneq ($(shell sh .ci/deps.sh >&2; echo $$?),0)
$(error make deps failed; see above)
endif
endif
endif

# BUILD=dir puts outputs elsewhere (e.g. a second tree for clang).
ifeq ($(SANITIZE),1)
O         := $(or $(BUILD),build/san)
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
else
O         := $(or $(BUILD),build)
SANFLAGS  :=
endif

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-unused-parameter
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) \
             $(CFLAGS) $(SANFLAGS) -I. -DWHARF_VERSION='"$(VERSION)"' \
             $(shell pkg-config --cflags $(PC_LIBS) $(PC_NET)) -MMD -MP
LDLIBS_ALL = $(shell pkg-config --libs $(PC_LIBS)) -lm
TEST_LIBS  = $(shell pkg-config --libs $(PC_TEST))

common_src   := $(wildcard common/*.c)
wasmrt_src   := $(filter-out wasmrt/main.c,$(wildcard wasmrt/*.c))
indexer_src  := $(wildcard indexer/*.c)
installer_src:= $(filter-out installer/front.c installer/front_sha256.c,$(wildcard installer/*.c))
# bin/wharf is a small front that runs `wharf run` itself and hands every
# other command to libexec/wharf/wharf-commands (installer/front.c says
# why): it links only what running needs, and no libcurl or libarchive.
# (common/fetch.o, the libcurl client, is in libwhcommon.a, but a static
# library gives a program only the objects it calls: none of the front's.)
front_src    := installer/front.c installer/cmd_run.c installer/ferrite_host.c \
                installer/grants.c installer/kvstore.c installer/state.c \
                installer/home.c installer/spec.c installer/options.c \
                installer/front_sha256.c
PC_FRONT     := jansson libsodium
unit_src     := $(wildcard tests/unit/*_test.c)
tool_src     := $(wildcard tests/tools/*.c)
spec_src     := $(wildcard tests/spec/*.c)

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB_COMMON := $(O)/lib/libwhcommon.a
LIB_WASMRT := $(O)/lib/libwasmrt.a
BINS       := $(O)/bin/wharf-index $(O)/bin/wharf $(O)/bin/wasmrt
LIBEXEC    := $(O)/libexec/wharf/wharf-commands
UNIT_BINS  := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(unit_src))
TOOL_BINS  := $(patsubst tests/tools/%.c,$(O)/tests/tools/%,$(tool_src)) \
              $(patsubst tests/spec/%.c,$(O)/tests/spec/%,$(spec_src))

# Keep objects of test programs between runs (they are intermediates).
.SECONDARY:

.PHONY: all check test-build bench demo deps install clean help
all: $(BINS) $(LIBEXEC) $(LIB_COMMON) $(LIB_WASMRT)

# Rebuild everything when the compiler or flags change (make CC=clang
# after make): objects depend on a file holding the command line, which
# is rewritten only when it differs.
BUILD_ID := $(CC) $(ALL_CFLAGS)
ifneq ($(file <$(O)/.build-id),$(BUILD_ID))
$(shell mkdir -p $(O))
$(file >$(O)/.build-id,$(BUILD_ID))
endif

# Where the default catalogue theme is (indexer/theme.c): only theme.o
# knows, so `make install PREFIX=...` rebuilds that one object.
TEMPLATE_DEFS := -DWHARF_TEMPLATES_SRC='"$(CURDIR)/site-templates"' \
                 -DWHARF_TEMPLATES_DIR='"$(PREFIX)/share/wharf/templates"'
ifneq ($(file <$(O)/.templates-id),$(TEMPLATE_DEFS))
$(shell mkdir -p $(O))
$(file >$(O)/.templates-id,$(TEMPLATE_DEFS))
endif
$(O)/obj/indexer/theme.o: ALL_CFLAGS += $(TEMPLATE_DEFS)
$(O)/obj/indexer/theme.o: $(O)/.templates-id

$(O)/obj/%.o: %.c $(O)/.build-id
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB_COMMON): $(call obj,$(common_src))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(LIB_WASMRT): $(call obj,$(wasmrt_src))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(O)/bin/wharf-index: $(call obj,$(indexer_src)) $(LIB_COMMON) $(LIB_WASMRT)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL) $(shell pkg-config --libs $(PC_NET))

$(O)/bin/wharf: $(call obj,$(front_src)) $(LIB_COMMON) $(LIB_WASMRT)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(shell pkg-config --libs $(PC_FRONT)) -lm

$(LIBEXEC): $(call obj,$(installer_src)) $(LIB_COMMON) $(LIB_WASMRT)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL) $(shell pkg-config --libs $(PC_NET))

$(O)/bin/wasmrt: $(O)/obj/wasmrt/main.o $(LIB_WASMRT)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ -lm

$(O)/tests/spec/%: $(O)/obj/tests/spec/%.o $(LIB_COMMON) $(LIB_WASMRT)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(O)/tests/unit/%: $(O)/obj/tests/unit/%.o $(LIB_COMMON) $(LIB_WASMRT)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL) $(TEST_LIBS)

# indexer/ objects are in no library: this test links the two it tests
# (before the libraries they call).
$(O)/tests/unit/plugin_log_test: $(O)/obj/tests/unit/plugin_log_test.o \
		$(call obj,indexer/plugin_log.c indexer/plugins.c) $(LIB_COMMON) $(LIB_WASMRT)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL) $(TEST_LIBS)

$(O)/tests/tools/%: $(O)/obj/tests/tools/%.o $(LIB_COMMON) $(LIB_WASMRT)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The example UDFs (examples/NAME/ with a ferrite-plugin.toml): every .c
# of the folder, compiled by clang for wasm32 into a reactor module with
# no C library (its exports are the functions marked export_name; its
# imports, module "ferrite", only those it calls), whatever CC is.
EXAMPLES     := $(patsubst examples/%/ferrite-plugin.toml,%,\
                  $(wildcard examples/*/ferrite-plugin.toml))
EXAMPLE_WASM := $(patsubst %,$(O)/examples/%.wasm,$(EXAMPLES))
WASM_CC      ?= clang
WASM_CFLAGS  := --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra \
                -fno-builtin -nostdlib -nostartfiles -Wl,--no-entry
define example_rule
$(O)/examples/$(1).wasm: $(wildcard examples/$(1)/*.c) examples/ferrite.h
	@mkdir -p $$(dir $$@)
	$(WASM_CC) $(WASM_CFLAGS) -o $$@ $(wildcard examples/$(1)/*.c)
endef
$(foreach e,$(EXAMPLES),$(eval $(call example_rule,$(e))))

# The example wharf-index plugins (examples/plugins/NAME/NAME.c): core
# wasm32 with no C library and no WASI, as the plugin ABI allows only
# "wharf" imports; examples/plugins/wharf_plugin.h has the conventions.
PLUGINS      := $(patsubst examples/plugins/%/plugin.toml,%,\
                  $(wildcard examples/plugins/*/plugin.toml))
PLUGIN_WASM  := $(patsubst %,$(O)/examples/plugins/%.wasm,$(PLUGINS))
PLUGIN_CFLAGS := --target=wasm32 -O2 -Wall -Wextra -fno-builtin -nostdlib \
                 -Wl,--no-entry
define plugin_rule
$(O)/examples/plugins/$(1).wasm: examples/plugins/$(1)/$(1).c examples/plugins/wharf_plugin.h
	@mkdir -p $$(dir $$@)
	$(WASM_CC) $(PLUGIN_CFLAGS) -o $$@ examples/plugins/$(1)/$(1).c
endef
$(foreach p,$(PLUGINS),$(eval $(call plugin_rule,$(p))))

test-build: all $(UNIT_BINS) $(TOOL_BINS) $(EXAMPLE_WASM) $(PLUGIN_WASM)

# tests/run.sh runs every suite and prints the final "N passed, N failed".
check: test-build fuzz-build
	@sh tests/run.sh $(O)

# The end-to-end job, as far as it exists (examples/demo.sh says what not).
demo: all test-build
	@sh examples/demo.sh $(O)

# Benchmarks print ratios against a baseline measured in the same run
# (docs/performance.md).
bench: test-build
	@for b in tests/bench/*.sh; do sh "$$b" $(O) || exit 1; done

# One benchmark alone: make bench-hash, bench-wasm, bench-index.
bench-%: test-build
	@sh tests/bench/$*.sh $(O)

deps:
	@sh .ci/deps.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	           $(DESTDIR)$(PREFIX)/share/wharf/templates
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -D -m 755 $(LIBEXEC) $(DESTDIR)$(PREFIX)/libexec/wharf/wharf-commands
	install -m 644 $(wildcard docs/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	cd site-templates && find . -type f ! -name README.md | while read -r f; do \
	    install -D -m 644 "$$f" "$(DESTDIR)$(PREFIX)/share/wharf/templates/$$f"; done

clean:
	rm -rf build

help:
	@sed -n '2,12p' Makefile | sed 's/^# \{0,1\}//'

include tests/fuzz/fuzz.mk
include tests/diff/diff.mk

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
