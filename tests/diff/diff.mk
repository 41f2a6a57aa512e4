# tests/diff/diff.mk - the differential tests of wasmrt against V8 (node);
# included by the Makefile.  docs/testing.md, "Differential testing".
#
#   make diff-test [DIFF_MODULES=N] [DIFF_SEED=S]
#
# generates N valid modules (mutated spec-suite modules and generated
# ones, tests/diff/dt_gen.c), runs each in wasmrt (dt_run.c) and in node
# (ref.mjs), and compares every export's results or trap; differences go
# to $(O)/diff/found/.  test-build builds the two tools so that `make
# check` can run the smoke run (tests/diff/diff.sh without arguments).

DIFF_MODULES ?= 100000
DIFF_SEED    ?= 1
DIFF_TOOLS   := $(O)/tests/diff/dt_gen $(O)/tests/diff/dt_run

$(O)/tests/diff/%: $(O)/obj/tests/diff/%.o $(LIB_WASMRT)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ -lm

test-build: $(DIFF_TOOLS)

.PHONY: diff-test
diff-test: $(DIFF_TOOLS)
	@sh tests/diff/diff.sh $(O) $(DIFF_MODULES) $(DIFF_SEED)
