#!/bin/sh
# diff.sh - differential testing of wasmrt against V8 (node's WebAssembly).
#
#   sh tests/diff/diff.sh [BUILD_DIR [MODULES [SEED]]]
#
# Defaults: $WHARF_BUILD (or build), 1500 modules (the smoke run of make
# check, a few seconds), seed 1.  `make diff-test DIFF_MODULES=N` runs it
# with N.  Needs node, wabt (wast2json, wat2wasm, wasm-validate), jq and the spec
# suite ($WASM_TESTSUITE, default $WHARF_SHARED/wasm-testsuite/core-2.0).
#
# 0. Seeds: the modules of every spec script but simd_*.wast (wast2json,
#    "module" commands only), once, into BUILD/diff/seeds/.
# 1. Self-check: the two known differences of tests/diff/known/ go through
#    the triage (3.), which must call them allowed.
# 2. Batches of $DIFF_BATCH (5000) modules: dt_gen writes a pack (the
#    first batch starts with every seed unmutated), dt_run runs it in
#    wasmrt while ref.mjs runs it in node, compare.awk compares the lines.
#    wabt's wasm-validate checks every module too ($DIFF_WABT=0: skip).
# 3. Triage: when a batch has differences, its differing modules are
#    taken out (dt_run --subset) and dt_gen --canon-nan makes their NaNs
#    predictable bit for bit in a conforming engine (NaNs from constants,
#    loads and reinterpretations made canonical, NaN results of operators
#    stripped of their sign); both engines run them again.  A difference
#    that goes away was one of NaN bits, which the spec leaves to the
#    engine.  Those left run once more with far deeper stacks in both
#    engines: one that involved "call stack exhausted" and goes away was
#    one of call depth, also the engine's choice.  The rest are
#    unexplained: the module and both lines are saved in BUILD/diff/found/
#    for investigation (docs/testing.md lists the verdicts).  Examples of
#    the allowed kinds go to BUILD/diff/nan/ and BUILD/diff/depth/.
#
# Output: counts, modules/s, the unexplained differences, and
# "RESULT diff/wasmrt-vs-v8 P F" (P modules alike, F unexplained
# differences plus modules wasm-validate rejects).  Exit 1 if F > 0.
set -u
cd "$(dirname "$0")/../.." || exit 2
O=${1:-${WHARF_BUILD:-build}}
N=${2:-1500}
SEED=${3:-1}
BATCH=${DIFF_BATCH:-5000}
WABT=${DIFF_WABT:-1}
WHARF_SHARED=${WHARF_SHARED:-$(pwd)/../shared}
suite=${WASM_TESTSUITE:-$WHARF_SHARED/wasm-testsuite/core-2.0}
gen=$O/tests/diff/dt_gen
run=$O/tests/diff/dt_run
work=$O/diff
name=diff/wasmrt-vs-v8

fail() {
    echo "FAIL $name: $*"
    echo "RESULT $name 0 1"
    exit 1
}

for t in node wast2json wat2wasm jq wasm-validate; do
    command -v $t >/dev/null 2>&1 || fail "$t not found (Debian packages nodejs, wabt, jq)"
done
[ -x "$gen" ] && [ -x "$run" ] || fail "no $gen or $run (make test-build)"
[ -d "$suite" ] || fail "no test suite at $suite"
mkdir -p "$work/found" "$work/nan" "$work/depth" || exit 2

# --- 0. seeds ---------------------------------------------------------------
make_seeds() {
    rm -rf "$work/seeds" "$work/wast"
    mkdir -p "$work/seeds" "$work/wast" || return 1
    for w in "$suite"/*.wast; do
        base=${w##*/}; base=${base%.wast}
        case $base in simd_*) continue ;; esac
        d=$work/wast/$base
        mkdir -p "$d" && wast2json "$w" -o "$d/$base.json" 2>/dev/null || return 1
        jq -r '.commands[] | select(.type == "module") | .filename' "$d/$base.json" |
            while read -r f; do cp "$d/$f" "$work/seeds/$f"; done
    done
    rm -rf "$work/wast"
    touch "$work/seeds/.done"
}
[ -f "$work/seeds/.done" ] || make_seeds || fail "cannot make the seeds from $suite"

# --- 1., 2. and 3. --------------------------------------------------------
now() { date +%s.%N; }
covered=0 alike=0 nan=0 depth=0 unexplained=0 rejected=0 b=0

# run_both PACK NAME [--deep]: both engines on PACK; the differing modules
# into $work/NAME.diff, their keys into NAME.keys.  --deep: wasmrt with far higher
# depth limits, node with a 900 MB stack.
run_both() {
    if [ "${3:-}" = --deep ]; then
        "$run" --deep "$1" > "$work/$2.wr" &
        pid=$!
        (ulimit -s 1000000 2>/dev/null; node --stack-size=900000 tests/diff/ref.mjs "$1") > "$work/$2.v8"
    else
        "$run" "$1" > "$work/$2.wr" &
        pid=$!
        node tests/diff/ref.mjs "$1" > "$work/$2.v8"
    fi
    wait $pid
    awk -v WR="$work/$2.wr" -f tests/diff/compare.awk "$work/$2.v8" > "$work/$2.diff"
    cut -f1 "$work/$2.diff" > "$work/$2.keys"
}

# save DIR ID PACK K WR V8: keep a differing module and both lines.
save() {
    "$run" --extract "$4" "$3" "$1/$2.wasm"
    printf 'wasmrt: %s\nv8:     %s\n' "$5" "$6" > "$1/$2.txt"
}

# triage PACK DIFFS: sort the differences of a batch.  Those that go away
# when NaNs are canonicalised are NaN bits; of the rest, those that involve
# "call stack exhausted" and go away with deeper stacks are depth limits
# (both are the engine's choice); the others are unexplained.
triage() {
    # only the differing modules are run again: module i of sub.pack is
    # line i of DIFFS
    cut -f1 "$2" > "$work/diff.keys"
    "$run" --subset "$work/diff.keys" "$1" "$work/sub.pack" || return 1
    "$gen" --canon-nan -o "$work/canon.pack" "$work/sub.pack" || return 1
    run_both "$work/canon.pack" canon
    : > "$work/deep.keys"
    if [ -s "$work/canon.keys" ]; then
        run_both "$work/canon.pack" deep --deep
    fi
    i=0
    while IFS="$(printf '\t')" read -r k wr v8; do
        id=s$SEED-b$b-$k
        ci=$i
        i=$((i + 1))
        if ! grep -qx "$ci" "$work/canon.keys"; then
            nan=$((nan + 1))
            [ "$(ls "$work/nan" | wc -l)" -ge 40 ] || save "$work/nan" "$id" "$1" "$k" "$wr" "$v8"
        elif ! grep -qx "$ci" "$work/deep.keys" &&
             case "$wr $v8" in *trap:exhausted*) true ;; *) false ;; esac; then
            depth=$((depth + 1))
            [ "$(ls "$work/depth" | wc -l)" -ge 40 ] || save "$work/depth" "$id" "$1" "$k" "$wr" "$v8"
        else
            unexplained=$((unexplained + 1))
            save "$work/found" "$id" "$1" "$k" "$wr" "$v8"
            echo "DIFF $id: wasmrt: $wr"
            echo "DIFF $id: v8:     $v8"
        fi
    done < "$2"
}

# self_check: the modules of tests/diff/known/ (one difference of NaN
# bits, one of call depth) must be sorted as such, or the triage is broken
# (or an engine changed: see the files).
self_check() {
    rm -rf "$work/known" && mkdir "$work/known" || return 1
    for w in tests/diff/known/*.wat; do
        f=${w##*/}
        wat2wasm "$w" -o "$work/known/${f%.wat}.wasm" || return 1
    done
    "$gen" --originals -n 2 -o "$work/known.pack" "$work/known" 2>/dev/null || return 1
    run_both "$work/known.pack" known
    b=known
    triage "$work/known.pack" "$work/known.diff" >/dev/null || return 1
    [ $nan = 1 ] && [ $depth = 1 ] && [ $unexplained = 0 ] || return 1
    nan=0 depth=0 unexplained=0 b=0
    rm -f "$work/found/"s*-bknown-*
}

# wabt_check PACK: every module wasm-validate rejects (wasmrt accepted them
# all) is saved and counted.
wabt_check() {
    rm -rf "$work/split" && mkdir "$work/split" && "$run" --split "$1" "$work/split" || return 1
    # wasm-validate does not name the file it rejects: find which only
    # when one of them failed
    : > "$work/wabt.keys"
    if ! (cd "$work/split" && ls | xargs -n 1 -P 2 wasm-validate >/dev/null 2>&1); then
        (cd "$work/split" && for f in *.wasm; do
            wasm-validate "$f" >/dev/null 2>&1 || echo "${f%.wasm}"
        done) > "$work/wabt.keys"
    fi
    while read -r k; do
        rejected=$((rejected + 1))
        cp "$work/split/$k.wasm" "$work/found/s$SEED-b$b-$k-wabt.wasm"
        echo "DIFF s$SEED-b$b-$k: wasm-validate rejects a module wasmrt and V8 accept"
    done < "$work/wabt.keys"
    rm -rf "$work/split"
}

self_check || fail "self-check: the triage did not sort tests/diff/known/ as NaN bits and call depth ($nan, $depth, $unexplained)"
start=$(now)

while [ $covered -lt "$N" ]; do
    n=$((N - covered))
    [ $n -gt "$BATCH" ] && n=$BATCH
    orig=
    [ $b = 0 ] && orig=--originals
    pack=$work/batch.pack
    "$gen" -s $((SEED * 100000 + b)) -n $n $orig -o "$pack" "$work/seeds" 2>"$work/gen.log" ||
        fail "dt_gen failed: $(cat "$work/gen.log")"
    "$run" "$pack" > "$work/batch.wr" &
    pid=$!
    node tests/diff/ref.mjs "$pack" > "$work/batch.v8" || fail "ref.mjs failed on batch $b"
    wait $pid || fail "dt_run failed on batch $b (see $pack)"
    awk -v WR="$work/batch.wr" -f tests/diff/compare.awk "$work/batch.v8" > "$work/batch.diff"
    got=$(wc -l < "$work/batch.wr")
    [ "$got" -gt 0 ] || fail "batch $b is empty"
    ndiff=$(wc -l < "$work/batch.diff")
    alike=$((alike + got - ndiff))
    if [ "$ndiff" -gt 0 ]; then
        triage "$pack" "$work/batch.diff" || fail "triage failed on batch $b"
    fi
    if [ "$WABT" = 1 ]; then
        wabt_check "$pack" || fail "wasm-validate check failed on batch $b"
    fi
    echo "batch $b: $got modules, $ndiff differing"
    covered=$((covered + got))
    b=$((b + 1))
done

secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
rate=$(awk -v n=$covered -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? n / s : n) }')
echo "diff-test: seed $SEED: $covered modules in $secs s ($rate modules/s), $b batches"
echo "diff-test: $alike alike; differing: $nan in NaN bits only, $depth in call depth only (both allowed), $unexplained unexplained; $rejected rejected by wasm-validate"
failed=$((unexplained + rejected))
echo "RESULT $name $((covered - failed)) $failed"
[ $failed = 0 ]
