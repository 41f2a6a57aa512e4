#!/bin/sh
# resolve.sh BUILD_DIR - the installer on a large repository: a signed
# site of BENCH_MODULES modules (default 10000) x BENCH_VERSIONS versions
# (default 10), each depending on about 3 others, written by the test tool
# mksite (synthetic records, no package files) and served from a folder.
# Times, best of BENCH_RUNS (default 3):
#
#   sha256sum   coreutils over the index file: reading and hashing it once,
#               the floor for any reader that must verify it
#   update      wharf update: fetch, verify (signature, SHA-256, canonical
#               form, every record) and keep the verified copy
#
# with the ratio of update to sha256sum.  The targets on the
# 2-core machine: update under 2 s; search under 50 ms and install
# --dry-run of a 50-module closure under 100 ms (those commands come next
# and join this benchmark).  Record results in docs/performance.md.
set -eu
O=$(cd "${1:-build}" && pwd)
nm=${BENCH_MODULES:-10000}
nv=${BENCH_VERSIONS:-10}
runs=${BENCH_RUNS:-3}
dir=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$O/bin/wharf-index" keygen -W >/dev/null
"$O/tests/tools/mksite" site repo.key "$nm" "$nv" 3
export WHARF_HOME="$dir/home"
"$O/bin/wharf" trust add repo.pub -q
"$O/bin/wharf" source add bench "$dir/site" -q
idx=$(ls site/by-hash/*.json)
mb=$(du -m "$idx" | cut -f1)

now() { date +%s.%N; }
best() {
    b=""
    for _ in $(seq "$runs"); do
        s=$(now)
        "$@" >/dev/null 2>"$dir/err" || { cat "$dir/err" >&2; exit 1; }
        e=$(now)
        t=$(awk "BEGIN { print $e - $s }")
        if [ -z "$b" ] || awk "BEGIN { exit !($t < $b) }"; then b=$t; fi
    done
    echo "$b"
}
base=$(best sha256sum "$idx")
tu=$(best "$O/bin/wharf" update -q)
awk -v m="$nm" -v v="$nv" -v mb="$mb" -v b="$base" -v tu="$tu" 'BEGIN {
    printf "installer, %d modules x %d versions (index %d MiB), best of runs:\n", m, v, mb
    printf "  sha256sum (index)  %7.3f s\n", b
    printf "  wharf update       %7.3f s  ratio %.1f\n", tu, tu / b
}'
