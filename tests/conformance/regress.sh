#!/bin/sh
# regress.sh - the fuzz targets in make check (tests/fuzz/README.md).
#
#   sh tests/conformance/regress.sh [TARGET...]
#
# For each target tests/fuzz/TARGET/fuzz.c (or those named):
#   regress  $WHARF_BUILD/fuzz/replay-TARGET runs every input of
#            tests/regress/TARGET/ (each a minimised finding, fixed)
#   corpus   the same on the seed corpus, made by tests/fuzz/seeds.sh in
#            $WHARF_BUILD/fuzz/corpus/TARGET/
#   fuzz     the libFuzzer program $WHARF_BUILD/fuzz/TARGET mutates for
#            $FUZZ_CHECK_SECONDS seconds (default 3) starting from the
#            regression inputs and the corpus, keeping what it finds in a
#            scratch directory (the corpus stays as it was); skipped, on a
#            "#" line, when the build has no libFuzzer program (no
#            libclang-rt-14-dev)
# and prints "RESULT fuzz/TARGET P F" (one case per step).  A failure
# shows the input (replay -v names it) and the sanitizer's report.
# Exit status 1 when anything failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
WHARF_BUILD=${WHARF_BUILD:-$(pwd)/build}
FZ=$WHARF_BUILD/fuzz
secs=${FUZZ_CHECK_SECONDS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/regress.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

targets=$*
[ -n "$targets" ] || targets=$(ls tests/fuzz/*/fuzz.c | sed 's|tests/fuzz/\(.*\)/fuzz.c|\1|')

pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() {         # bad TARGET STEP LOG
    fail=$((fail + 1))
    echo "FAIL fuzz/$1: $2"
    grep -E 'replay: |ERROR|runtime error|fuzz assertion|SUMMARY|^ +#[0-9]' "$3" |
        tail -20 | sed 's/^/    /'
}

# replay TARGET STEP DIR...: a failing replay is run again with -v, so
# the log names the input that failed.
replay() {
    t=$1; step=$2; shift 2
    log=$tmp/$t.$step.log
    if "$FZ/replay-$t" "$@" >"$log" 2>&1; then
        ok
    else
        "$FZ/replay-$t" -v "$@" >"$log" 2>&1
        bad "$t" "$step replay failed" "$log"
    fi
}

fuzz_run() {    # fuzz_run TARGET
    t=$1
    if [ ! -x "$FZ/$t" ]; then
        echo "# fuzz/$t: no libFuzzer program, fuzz run skipped"
        return
    fi
    log=$tmp/$t.fuzz.log
    mkdir -p "$tmp/$t.new" "$tmp/$t.findings"
    dirs=
    for d in "tests/regress/$t" "$FZ/corpus/$t"; do
        [ -d "$d" ] && dirs="$dirs $d"
    done
    # shellcheck disable=SC2086
    if "$FZ/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$tmp/$t.findings/" "$tmp/$t.new" $dirs \
            >"$log" 2>&1; then
        ok
        echo "# fuzz/$t: $(grep -o '#[0-9]*.*DONE *cov: [0-9]* ft: [0-9]*' "$log" | tail -1)"
    else
        mkdir -p "$FZ/findings/$t"
        cp "$tmp/$t.findings"/* "$FZ/findings/$t/" 2>/dev/null
        bad "$t" "the fuzz run failed; input saved in $FZ/findings/$t/: $(ls "$tmp/$t.findings" | tr '\n' ' ')" "$log"
    fi
}

status=0
for t in $targets; do
    pass=0; fail=0
    if [ ! -x "$FZ/replay-$t" ]; then
        echo "FAIL fuzz/$t: no $FZ/replay-$t (make fuzz-build)"
        echo "RESULT fuzz/$t 0 1"
        status=1
        continue
    fi
    replay "$t" regress "tests/regress/$t"
    if sh tests/fuzz/seeds.sh "$FZ" "$t" >"$tmp/$t.seeds.log" 2>&1; then
        replay "$t" corpus "$FZ/corpus/$t"
    else
        bad "$t" "seeding failed" "$tmp/$t.seeds.log"
    fi
    fuzz_run "$t"
    echo "RESULT fuzz/$t $pass $fail"
    [ "$fail" = 0 ] || status=1
done
exit $status
