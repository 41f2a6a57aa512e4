#!/bin/sh
# wasm.sh BUILD_DIR - wasmrt against native code on compute-heavy C
# programs of our own (tests/bench/wasm/*.c: n-body, fannkuch-redux, a
# CoreMark-like mix, a PolyBench-style gemm, SHA-256).  Each program is
# compiled twice with the same clang at -O2, natively and to wasm32-wasi
# (wasi-libc), and run both ways; the outputs must be equal.  Prints one
# line per program with the best wall time of 3 runs each and the ratio
# wasmrt/native, then their geometric mean (the issue's yardsticks on
# this machine: wasm3 12.8x, WAMR's fast interpreter 13.4x, a plain
# switch interpreter ~200x).  Record results in docs/performance.md.
#
# Environment: BENCH_RUNS (default 3), BENCH_ONLY="nbody mix" to run
# some programs only.  Exits non-zero, saying why, when a tool is missing
# or wasmrt fails or disagrees with the native program.
set -eu
O=${1:-build}
src=$(cd "$(dirname "$0")" && pwd)/wasm
wasmrt=$O/bin/wasmrt
runs=${BENCH_RUNS:-3}
only=${BENCH_ONLY:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

die() { echo "bench: $*" >&2; exit 1; }

command -v clang >/dev/null 2>&1 || die "clang is needed (make deps)"
[ -f /usr/include/wasm32-wasi/stdio.h ] ||
    die "wasi-libc is needed (/usr/include/wasm32-wasi; make deps)"
[ -x "$wasmrt" ] || die "$wasmrt is not built (make first)"

# best_time OUT COMMAND...: best wall time of $runs runs, in seconds; the
# output of the first run goes to OUT.  Fails when the command does.
best_time() {
    out=$1; shift
    b=""
    i=0
    while [ $i -lt "$runs" ]; do
        s=$(date +%s.%N)
        if [ $i = 0 ]; then
            "$@" >"$out" 2>"$out.err" || return 1
        else
            "$@" >/dev/null 2>&1 || return 1
        fi
        e=$(date +%s.%N)
        t=$(awk "BEGIN { print $e - $s }")
        if [ -z "$b" ] || awk "BEGIN { exit !($t < $b) }"; then b=$t; fi
        i=$((i + 1))
    done
    echo "$b"
}

failed=0
ratios=""
for c in "$src"/*.c; do
    name=$(basename "$c" .c)
    if [ -n "$only" ]; then
        case " $only " in *" $name "*) ;; *) continue ;; esac
    fi
    clang -O2 -o "$dir/$name" "$c" -lm || die "$name: native build failed"
    clang --target=wasm32-wasi --sysroot=/usr -O2 -o "$dir/$name.wasm" "$c" -lm ||
        die "$name: wasm32-wasi build failed"
    native=$(best_time "$dir/$name.native.out" "$dir/$name") ||
        die "$name: the native program failed"
    if ! wasm=$(best_time "$dir/$name.wasm.out" "$wasmrt" "$dir/$name.wasm"); then
        printf '%-9s native %.3f s, wasmrt failed: %s\n' "$name" "$native" \
            "$(head -1 "$dir/$name.wasm.out.err")"
        failed=1
        continue
    fi
    if ! cmp -s "$dir/$name.native.out" "$dir/$name.wasm.out"; then
        printf '%-9s native %.3f s, wasmrt %.3f s, OUTPUTS DIFFER:\n' "$name" "$native" "$wasm"
        diff "$dir/$name.native.out" "$dir/$name.wasm.out" | head -5
        failed=1
        continue
    fi
    ratio=$(awk "BEGIN { printf \"%.2f\", $wasm / $native }")
    ratios="$ratios $ratio"
    printf '%-9s native %.3f s, wasmrt %.3f s, ratio %s\n' "$name" "$native" "$wasm" "$ratio"
done

if [ -n "$ratios" ]; then
    echo "$ratios" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += log($i);
        printf "geometric mean of the ratios wasmrt/native over %d programs: %.2f\n", NF, exp(s / NF) }'
fi
[ $failed = 0 ] || die "wasmrt failed or disagreed with native code (see above)"
