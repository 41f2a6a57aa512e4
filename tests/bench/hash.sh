#!/bin/sh
# hash.sh BUILD_DIR - SHA-256 of a large file: common/sha256.c (through
# the wh-hash tool) against coreutils' sha256sum, in the same run on the
# same file (and `openssl dgst -sha256`, the same code as ours, when
# installed).  Prints the best of 3 for each and the ratio wharf/sha256sum.
# The file is read from the page cache after the first pass, so this
# measures hashing speed, the part wharf controls; a cold read is bounded
# by the disk for both alike.  BENCH_MB sets the size (default 1024).
set -eu
O=${1:-build}
mb=${BENCH_MB:-1024}
dir=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
head -c "$((mb * 1048576))" /dev/urandom >"$dir/big"

best() {    # best COMMAND...: best wall time of 3 runs, in seconds
    b=""
    for _ in 1 2 3; do
        s=$(date +%s.%N)
        "$@" >/dev/null
        e=$(date +%s.%N)
        t=$(awk "BEGIN { print $e - $s }")
        if [ -z "$b" ] || awk "BEGIN { exit !($t < $b) }"; then b=$t; fi
    done
    echo "$b"
}

sha256sum "$dir/big" >/dev/null      # warm the cache
base=$(best sha256sum "$dir/big")
ours=$(best "$O/tests/tools/wh-hash" "$dir/big")
ossl=""
command -v openssl >/dev/null 2>&1 && ossl=$(best openssl dgst -sha256 "$dir/big")
[ "$("$O/tests/tools/wh-hash" "$dir/big")" = "$(sha256sum "$dir/big")" ] ||
    { echo "bench: digests differ" >&2; exit 1; }
awk -v mb="$mb" -v b="$base" -v o="$ours" 'BEGIN {
    printf "sha256 of %d MiB: sha256sum %.3f s (%.0f MiB/s), wharf %.3f s (%.0f MiB/s), ratio wharf/sha256sum %.2f\n",
        mb, b, mb / b, o, mb / o, o / b }'
if [ -n "$ossl" ]; then
    awk -v o="$ours" -v s="$ossl" 'BEGIN {
        printf "  and against openssl dgst -sha256 %.3f s: ratio wharf/openssl %.2f\n", s, o / s }'
fi
