#!/bin/sh
# scale.sh BUILD_DIR - how `wharf-index build` grows with the repository:
# for each size in BENCH_SCALES (default "1000 10000 100000") versions, a
# folder of that many small .ferrpkg files (one version of one module
# each, a 31-byte module: the index record dominates, as in a registry of
# many small modules), made from one template by patching its name (the
# checksum covers the module only).  For each size it prints the index's
# bytes, a full build (--no-cache, into a new site), a rebuild with
# nothing changed, and each one's peak memory (tests/tools/maxrss), with
# --no-catalogue so the index's own cost is what grows.  Issue 13 (step
# 10) sets the targets at 10^6; this is the baseline curve it starts
# from.  Then the same packages with --layout sharded: a full build, a
# rebuild with one version added (its time and how many files it wrote:
# every file newer than before it, the package's link and the cache
# included), and what `wharf update` of a copy taken before fetched (the
# bins, and the top level and its signature).  Record results in
# docs/performance.md ("Scale").
set -eu
O=$(cd "${1:-build}" && pwd)
scales=${BENCH_SCALES:-1000 10000 100000}
tools=$O/tests/tools
wi=$O/bin/wharf-index
dir=$(mktemp -d "${TMPDIR:-/tmp}/wharf-scale.XXXXXX")
trap 'rm -rf "$dir"' EXIT

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$wi" ] && [ -x "$tools/mkpkg" ] && [ -x "$tools/maxrss" ] ||
    die "$wi, $tools/mkpkg and $tools/maxrss are needed (make test-build)"
[ "$("$tools/maxrss" --asan)" = 0 ] || die "a sanitizer build measures its shadow memory: use a plain one"

cd "$dir"
printf '\000asm\001\000\000\000\001\004\001\140\000\000\003\002\001\000\007\007\001\003run\000\000\012\004\001\002\000\013' >run.wasm
"$tools/mkpkg" ferrpkg run.wasm tpl.ferrpkg --set name='"s0000000"'
off=$(grep -boa 's0000000' tpl.ferrpkg | head -1 | cut -d: -f1)
"$wi" keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs
have=0

now() { date +%s.%N; }
# timed OUT CMD...: run CMD under maxrss; prints "SECONDS KIB".
timed() {
    s=$(now)
    "$tools/maxrss" "$dir/rss" "$@" >/dev/null 2>"$dir/err" || { cat "$dir/err" >&2; die "$* failed"; }
    e=$(now)
    echo "$(awk "BEGIN { print $e - $s }") $(cat "$dir/rss")"
}

printf '%-9s %10s %12s %10s %12s %10s | %s\n' versions index full "peak" unchanged "peak" \
    "sharded: full build, peak; one version added: time, files written; update: files, bytes"
"$O/bin/wharf" trust add repo.pub --home "$dir/home" -q
for n in $scales; do
    while [ $have -lt "$n" ]; do          # each file once, kept for the next size
        f=$(printf 'pkgs/s%07d.ferrpkg' $have)
        cp tpl.ferrpkg "$f"
        printf 's%07d' $have | dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
        have=$((have + 1))
    done
    find pkgs -type f -newermt @1600000001 -exec touch -d @1600000000 {} +
    rm -rf site
    set -- $(timed "$wi" build pkgs -o site -s repo.key --no-cache --no-catalogue -q)
    tf=$1 rf=$2
    set -- $(timed "$wi" build pkgs -o site -s repo.key --no-catalogue -q)
    tu=$1 ru=$2
    ix=$(awk "BEGIN { print $(wc -c <site/index.json) / 1e6 }")
    # The sharded index: a full build, then one version more.
    rm -rf shard
    set -- $(timed "$wi" build pkgs -o shard -s repo.key --no-cache --no-catalogue -q --layout sharded)
    sf=$1 sr=$2
    "$O/bin/wharf" source remove s --home "$dir/home" -q 2>/dev/null
    "$O/bin/wharf" source add s "$dir/shard" --home "$dir/home" -q
    "$O/bin/wharf" update --home "$dir/home" -q
    "$tools/mkpkg" ferrpkg run.wasm pkgs/extra.ferrpkg --set 'name="s0000001"' --set 'version="2.0.0"'
    touch mark
    set -- $(timed "$wi" build pkgs -o shard -s repo.key --no-catalogue -q --layout sharded)
    s1=$1
    nw=$(find shard -newer mark -type f | wc -l)
    up=$("$O/bin/wharf" update --home "$dir/home" | sed -n 's/.*fetched \([0-9]*\) files*, \([0-9]*\) bytes.*/\1 \2/p')
    top=$(wc -c <shard/snapshot.json)
    rm -f pkgs/extra.ferrpkg
    set -- $up
    printf '%-9s %8.1f MB %10.2f s %7d MB %10.2f s %7d MB | %6.2f s %5d MB; %5.2f s, %d files; %d + 2 files, %d bytes\n' \
        "$n" "$ix" "$tf" $((rf / 1024)) "$tu" $((ru / 1024)) "$sf" $((sr / 1024)) \
        "$s1" "$nw" "$1" $(($2 + top))
done
