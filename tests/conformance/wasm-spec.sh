#!/bin/sh
# wasm-spec.sh - the WebAssembly core spec tests (2.0, without SIMD) on wasmrt.
#
#   sh tests/conformance/wasm-spec.sh [--verbose] [NAME...]
#
# First $WHARF_BUILD/tests/spec/spec_runner --self-test checks its value
# parsing and message comparison, and each row of its table of known
# message differences (--known-differences) must be a line of
# docs/spec-tests.md ("RESULT wasm-spec/known-differences P F").
# Then for each in-scope .wast of $WASM_TESTSUITE (default
# $WHARF_SHARED/wasm-testsuite/core-2.0; in scope: every file but
# simd_*.wast), or only NAME.wast when names are given, wabt's wast2json
# converts the script into a temporary directory and spec_runner runs
# it: its FAIL lines, the per-file summary and
# "RESULT wasm-spec/NAME.wast P F" go to stdout.
# A runner that dies before its RESULT line (a crash, a sanitizer
# report) counts as one failure of that file; one that exits non-zero
# after a clean RESULT (LeakSanitizer) as one more.  Without wast2json
# (Debian package wabt) or the suite this fails loudly.  The exit status
# is 1 when anything failed.  The last line adds up the files' summaries:
# "wasm-spec: P passed, F failed, S skipped, M messages checked, K known
# differences".  See docs/spec-tests.md.
set -u
cd "$(dirname "$0")/../.." || exit 2
WHARF_BUILD=${WHARF_BUILD:-$(pwd)/build}
WHARF_SHARED=${WHARF_SHARED:-$(pwd)/../shared}
suite=${WASM_TESTSUITE:-$WHARF_SHARED/wasm-testsuite/core-2.0}
runner=$WHARF_BUILD/tests/spec/spec_runner

opts=
if [ "${1:-}" = --verbose ] || [ "${1:-}" = -v ]; then
    opts=--verbose
    shift
fi

if ! command -v wast2json >/dev/null 2>&1; then
    echo "FAIL wasm-spec: wast2json not found (install Debian package wabt)"
    exit 2
fi
if [ ! -d "$suite" ]; then
    echo "FAIL wasm-spec: no test suite at $suite"
    exit 2
fi
if [ ! -x "$runner" ]; then
    echo "FAIL wasm-spec: no $runner (make test-build)"
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wasm-spec.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# The runner's own checks first.
status=0
"$runner" --self-test || status=1

# Every deliberate message difference is documented, word for word.
known_docs() {
    doc=docs/spec-tests.md
    p=0 f=0
    "$runner" --known-differences >"$tmp/known" || f=$((f + 1))
    while IFS= read -r row; do
        if grep -qxF -- "$row" "$doc"; then
            p=$((p + 1))
        else
            echo "FAIL wasm-spec: $doc lacks the row: $row"
            f=$((f + 1))
        fi
    done <"$tmp/known"
    echo "RESULT wasm-spec/known-differences $p $f"
    [ $f = 0 ] || status=1
}
known_docs

run_one() {     # run_one PATH.wast
    name=${1##*/}
    base=${name%.wast}
    dir=$tmp/$base
    mkdir "$dir" || return
    if ! wast2json "$1" -o "$dir/$base.json" >"$dir/wast2json.log" 2>&1; then
        echo "FAIL wasm-spec/$name: wast2json failed:"
        sed 's/^/    /' "$dir/wast2json.log" | head -20
        echo "RESULT wasm-spec/$name 0 1"
        status=1
        rm -rf "$dir"
        return
    fi
    "$runner" $opts "$dir/$base.json" >"$dir/out" 2>&1
    rc=$?
    cat "$dir/out"
    grep '^wasm-spec/.* passed, ' "$dir/out" >>"$tmp/summaries"
    [ $rc = 0 ] || status=1
    if ! grep -q '^RESULT ' "$dir/out"; then
        echo "FAIL wasm-spec/$name: spec_runner died (exit $rc) before its RESULT"
        echo "RESULT wasm-spec/$name 0 1"
    elif [ $rc != 0 ] && grep -q '^RESULT .* 0$' "$dir/out"; then
        echo "FAIL wasm-spec/$name: spec_runner exited $rc after passing (sanitizer report above?)"
        echo "RESULT wasm-spec/$name:exit 0 1"
    fi
    rm -rf "$dir"
}

if [ $# -gt 0 ]; then
    for n in "$@"; do
        run_one "$suite/${n%.wast}.wast"
    done
else
    for w in "$suite"/*.wast; do
        case ${w##*/} in
        simd_*) continue ;;
        esac
        run_one "$w"
    done
fi
# "wasm-spec/x.wast: 1 passed, 2 failed, 3 skipped, 4 messages checked,
# 5 known differences (0.01 s)": fields 2, 4, 6, 8 and 11.
[ -f "$tmp/summaries" ] && awk '{ for (i = 1; i <= 5; i++) t[i] += $(i == 5 ? 11 : 2 * i) }
    END { printf "wasm-spec: %d passed, %d failed, %d skipped, %d messages checked, %d known differences\n",
          t[1], t[2], t[3], t[4], t[5] }' "$tmp/summaries"
exit $status
