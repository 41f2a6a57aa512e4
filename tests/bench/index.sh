#!/bin/sh
# index.sh BUILD_DIR - wharf-index build on a synthetic repository:
# BENCH_FERRPKGS .ferrpkg files of about 100 KB (default 10000) and
# BENCH_PARS provider archives of about 1 MB (default 100, half of them
# gzipped), made with the test tools mkpkg and mkpar.  Times, best of
# BENCH_RUNS (default 3):
#
#   sha256sum   coreutils over every file: reading and hashing each byte
#               once, the floor for a tool that must hash everything
#   full        wharf-index build into a new site (--no-cache)
#   unchanged   a rebuild with nothing changed (the cache answers)
#   one         a rebuild after one .ferrpkg changed
#   hook        the full build with a validation hook (the policy example
#               plugin) run on every package
#
# and prints each with its ratio to sha256sum; then the HTML catalogue's
# share (docs/catalogue.md): the same full and unchanged builds with
# --no-catalogue, and the difference, which is what rendering, comparing
# and writing the pages costs (a full build writes every page; an
# unchanged one compares every page and writes the home page); and
# `wharf-index catalogue` alone, on the unchanged site and with a theme
# that changes every page.  The files are read from
# the page cache (a first pass warms it), so this measures the work wharf
# does, not the disk.  Builds use every CPU (--jobs default); sha256sum is
# one process, as a user would run it.  Record results in
# docs/performance.md ("Index build").
set -eu
O=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)     # the source tree (its theme)
nf=${BENCH_FERRPKGS:-10000}
np=${BENCH_PARS:-100}
runs=${BENCH_RUNS:-3}
tools=$O/tests/tools
wi=$O/bin/wharf-index
dir=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$wi" ] && [ -x "$tools/mkpkg" ] && [ -x "$tools/mkpar" ] ||
    die "$wi, $tools/mkpkg and $tools/mkpar are needed (make test-build)"

# --- the repository -----------------------------------------------------------

# A valid module of 100,000 bytes: the 8-byte header and one custom
# section "pad": id 0, size 99,988 (LEB128 94 8d 06), the name (1 + 3
# bytes) and 99,984 bytes of content.
mkpad() {
    printf '\000asm\001\000\000\000\000\224\215\006\003pad'
    head -c 99984 /dev/zero | tr '\000' 'w'
}
cd "$dir"
mkdir pkgs
mkpad >pad.wasm
[ "$(wc -c <pad.wasm)" = 100000 ] || die "pad.wasm has the wrong size"
# One template, then each copy gets its own name: "m00000" is patched in
# place (the checksum covers the module, not the header).
"$tools/mkpkg" ferrpkg pad.wasm tpl.ferrpkg --set name='"m00000"'
off=$(grep -boa 'm00000' tpl.ferrpkg | head -1 | cut -d: -f1)
# Where m00000's patch version digit is, for the "one file changed" run.
voff=$(($(grep -boa '"version":"1.0.0"' tpl.ferrpkg | head -1 | cut -d: -f1) + 15))
i=0
while [ $i -lt "$nf" ]; do
    f=$(printf 'pkgs/m%05d.ferrpkg' $i)
    cp tpl.ferrpkg "$f"
    printf 'm%05d' $i | dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
    i=$((i + 1))
done
head -c 524288 /dev/urandom >bin.a
head -c 524288 /dev/urandom >bin.b
i=0
while [ $i -lt "$np" ]; do
    gz=""
    [ $((i % 2)) = 0 ] && gz=--gzip
    "$tools/mkpar" "pkgs/p$i.par" $gz --name "Bench Provider $i" --ver 1.0 \
        --bin x86_64-linux.bin=bin.a --bin aarch64-linux.bin=bin.b --seed "b$i"
    i=$((i + 1))
done
# Old enough for the cache's racy-entry rule (see indexer/scan.c).
find pkgs -type f -exec touch -d @1600000000 {} +
"$wi" keygen -W -p repo.pub -s repo.key >/dev/null
files=$((nf + np))
mb=$(du -sm pkgs | cut -f1)

# --- timing ---------------------------------------------------------------------

now() { date +%s.%N; }
best() {    # best COMMAND...: best wall time of $runs runs
    b=""
    for _ in $(seq "$runs"); do
        s=$(now)
        "$@" >/dev/null 2>"$dir/err" || { cat "$dir/err" >&2; die "$* failed"; }
        e=$(now)
        t=$(awk "BEGIN { print $e - $s }")
        if [ -z "$b" ] || awk "BEGIN { exit !($t < $b) }"; then b=$t; fi
    done
    echo "$b"
}
hash_all() { find pkgs -type f -print0 | xargs -0 sha256sum >/dev/null; }
k=0
full() {    # into a new site each time: removing the last one is not timed
    k=$((k + 1))
    "$wi" build pkgs -o "full$k" -s repo.key --no-cache -q
}
full_nocat() {
    k=$((k + 1))
    "$wi" build pkgs -o "full$k" -s repo.key --no-cache --no-catalogue -q
}
unchanged() { "$wi" build pkgs -o site -s repo.key -q; }
unchanged_nocat() { "$wi" build pkgs -o site -s repo.key -q --no-catalogue; }
patch=0
one() {     # m00000 becomes 1.0.1, then 1.0.0 again, ...
    patch=$((1 - patch))
    printf '%d' $patch | dd of=pkgs/m00000.ferrpkg bs=1 seek="$voff" conv=notrunc 2>/dev/null
    touch -d "@$((1600000000 + patch))" pkgs/m00000.ferrpkg
    "$wi" build pkgs -o site -s repo.key -q
}

# A validation hook on every package (docs/plugins.md): the policy
# example, enabled in a plugin folder of its own.
pl=$dir/plugins
"$O/bin/wharf" pack --zip --manifest "$top/examples/plugins/policy/plugin.toml" \
    "$O/examples/plugins/policy.wasm" -o "$dir" >/dev/null
"$wi" plugin -p "$pl" install --allow-unsigned -q "$dir/policy-0.1.0.zip"
"$wi" plugin -p "$pl" enable -q policy
full_hook() {
    k=$((k + 1))
    "$wi" build pkgs -o "full$k" -s repo.key --no-cache -q --plugins "$pl"
}

hash_all                               # warm the page cache
base=$(best hash_all)
# The hook's cost is the difference of two times that the file system's
# state (sites just written or removed) moves by more than it: the two
# builds alternate, so that state weighs on both alike.
min() { if [ -z "$1" ] || awk "BEGIN { exit !($2 < $1) }"; then echo "$2"; else echo "$1"; fi; }
tf="" tfh=""
for _ in $(seq "$runs"); do
    tf=$(min "$tf" "$(runs=1 best full)")
    tfh=$(min "$tfh" "$(runs=1 best full_hook)")
done
rm -rf full*
tfn=$(best full_nocat)
rm -rf full*
"$wi" build pkgs -o site -s repo.key -q   # the cache now knows every file
tu=$(best unchanged)
tun=$(best unchanged_nocat)
"$wi" build pkgs -o site -s repo.key -q   # the pages again
to=$(best one)
# The catalogue alone (wharf-index catalogue): every page rendered and
# compared, none changed; then with two themes in turn, whose layouts
# differ by one comment, so every page is rewritten over its old file.
tc=$(best "$wi" catalogue site -p repo.pub -q)
for t in a b; do
    cp -R "$top/site-templates" "theme-$t"
    printf '<!-- %s -->\n' "$t" >>"theme-$t/layout.mustache"
done
turn=a
retheme() {
    turn=$([ $turn = a ] && echo b || echo a)
    "$wi" catalogue site -p repo.pub -q -t "theme-$turn"
}
tr=$(best retheme)
pages=$(find site/modules site/categories -name index.html 2>/dev/null | wc -l)
"$wi" verify site -p repo.pub -q || die "the site does not verify"
[ "$(grep -o '"m[0-9]*":' site/index.json | wc -l)" = "$nf" ] ||
    die "not every .ferrpkg was indexed"

awk -v f="$files" -v mb="$mb" -v j="$(nproc)" -v b="$base" -v tf="$tf" \
    -v tu="$tu" -v to="$to" -v tfn="$tfn" -v tun="$tun" -v pages="$pages" \
    -v tc="$tc" -v tr="$tr" -v tfh="$tfh" 'BEGIN {
    printf "index build, %d files, %d MiB, %d CPUs (best of runs):\n", f, mb, j
    printf "  sha256sum          %7.3f s  (%.0f MiB/s)\n", b, mb / b
    printf "  full build         %7.3f s  ratio %.2f\n", tf, tf / b
    printf "  nothing changed    %7.3f s  ratio %.3f\n", tu, tu / b
    printf "  one file changed   %7.3f s  ratio %.3f\n", to, to / b
    printf "  full, with a validation hook on every package (the policy plugin) %7.3f s: %+.0f%% on the full build\n", tfh, 100 * (tfh - tf) / tf
    printf "the catalogue: %d module and category pages, the home page, feed, search.js\n", pages
    printf "  full build without it      %7.3f s: its share %6.3f s (%.0f%%): every page rendered and created\n", tfn, tf - tfn, 100 * (tf - tfn) / tf
    printf "  nothing changed without it %7.3f s: its share %6.3f s (%.0f%%): every page rendered and compared, one written\n", tun, tu - tun, 100 * (tu - tun) / tu
    printf "  wharf-index catalogue      %7.3f s: every page rendered and compared, none written\n", tc
    printf "  with another theme         %7.3f s: every page rendered and rewritten\n", tr
}'
