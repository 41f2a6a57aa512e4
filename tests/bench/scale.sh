#!/bin/sh
# scale.sh BUILD_DIR - how publishing and installing grow with the
# repository (issue 13, step 10), at BENCH_SCALES versions (default
# "1000 10000 100000"; 1000000 is the target): tests/tools/mkrepo writes
# a third as many modules, three versions each, in 50-module dependency
# chains, of small .ferrpkg files (a 31-byte module: the index record
# dominates).  For each size, with peak memory (tests/tools/maxrss):
#
#   full      wharf-index build --layout full (index.json), a new site:
#             the baseline (only up to BENCH_FULL_MAX versions, default
#             100000: it holds the whole index)
#   sharded   --layout sharded, a new site; then a rebuild with nothing
#             changed; then one version added, by a full rebuild and by
#             --changed LIST: time and files written
#   update    `wharf update` over HTTP on 127.0.0.1 (badserve.mjs, which
#             logs each request) of a copy taken before that version:
#             files and bytes fetched
#   install   `wharf install --dry-run` of the head of a 50-module chain,
#             cold (no module file in the copy) and warm
#   catalogue the paged catalogue: `wharf-index catalogue` (every page),
#             then a rebuild with one version more (pages of what changed)
#
# All with --no-catalogue but the last.  Record results in docs/performance.md
# ("Scale").
set -eu
O=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
scales=${BENCH_SCALES:-1000 10000 100000}
full_max=${BENCH_FULL_MAX:-100000}
tools=$O/tests/tools
wi=$O/bin/wharf-index
wh=$O/bin/wharf
dir=$(mktemp -d "${TMPDIR:-/tmp}/wharf-scale.XXXXXX")
server=
trap '[ -n "$server" ] && kill $server; rm -rf "$dir"' EXIT

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$wi" ] && [ -x "$tools/mkrepo" ] && [ -x "$tools/maxrss" ] ||
    die "$wi, $tools/mkrepo and $tools/maxrss are needed (make test-build)"
[ "$("$tools/maxrss" --asan)" = 0 ] || die "a sanitizer build measures its shadow memory: use a plain one"

cd "$dir"
printf '\000asm\001\000\000\000\001\004\001\140\000\000\003\002\001\000\007\007\001\003run\000\000\012\004\001\002\000\013' >run.wasm
"$wi" keygen -W -p repo.pub -s repo.key >/dev/null
export WHARF_HOME="$dir/home"
mkdir www
BADSERVE_LOG="$dir/requests" node "$top/tests/tools/badserve.mjs" www >port 2>/dev/null &
server=$!
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat port)/ok/site"

now() { date +%s.%N; }
# timed CMD...: run CMD under maxrss; prints "SECONDS MB".
timed() {
    s=$(now)
    "$tools/maxrss" "$dir/rss" "$@" >/dev/null 2>"$dir/err" || { cat "$dir/err" >&2; die "$* failed"; }
    e=$(now)
    echo "$(awk "BEGIN { printf \"%.2f\", $e - $s }") $(($(cat "$dir/rss") / 1024))"
}
ms() { s=$(now); "$@" >/dev/null 2>"$dir/err" || { cat "$dir/err" >&2; die "$* failed"; }
       e=$(now); awk "BEGIN { printf \"%.0f\", ($e - $s) * 1000 }"; }
fetched() { awk '{ n++; b += $2 } END { printf "%d files, %d bytes", n, b }' "$dir/requests"; : >"$dir/requests"; }

for n in $scales; do
    m=$(( (n + 2) / 3 ))
    rm -rf pkgs www/site full "$WHARF_HOME"     # a new site starts at serial 1
    "$wh" trust add repo.pub -q
    mkdir pkgs
    "$tools/mkrepo" pkgs $m 3
    echo "== $n versions ($m modules)"
    if [ "$n" -le "$full_max" ]; then
        set -- $(timed "$wi" build pkgs -o full -s repo.key --no-cache --no-catalogue -q)
        echo "full layout:     build $1 s, $2 MB; index.json $(awk "BEGIN { printf \"%.1f\", $(wc -c <full/index.json) / 1e6 }") MB"
    fi
    set -- $(timed "$wi" build pkgs -o www/site -s repo.key --no-cache --no-catalogue -q --layout sharded)
    echo "sharded:         build $1 s, $2 MB; top level $(wc -c <www/site/snapshot.json) bytes, $(ls www/site/index/bins | wc -l) bins"
    set -- $(timed "$wi" build pkgs -o www/site -s repo.key --no-catalogue -q --layout sharded)
    echo "  unchanged:     $1 s, $2 MB"
    # One version more, by a full rebuild, then another by --changed.
    "$tools/mkpkg" ferrpkg run.wasm pkgs/new1.ferrpkg --set 'name="m0000000"' --set 'version="1.0.3"'
    touch mark
    set -- $(timed "$wi" build pkgs -o www/site -s repo.key --no-catalogue -q --layout sharded)
    echo "  one version:   full rebuild $1 s, $2 MB, $(find www/site -newer mark -type f | wc -l) files written"
    "$wh" source remove s -q 2>/dev/null || true
    "$wh" source add s "$url" -q
    "$wh" update -q
    : >"$dir/requests"
    "$tools/mkpkg" ferrpkg run.wasm pkgs/new2.ferrpkg --set 'name="m0000001"' --set 'version="1.0.3"'
    echo new2.ferrpkg >list
    touch mark
    set -- $(timed "$wi" build pkgs -o www/site -s repo.key --no-catalogue -q --layout sharded --changed list)
    echo "  --changed:     $1 s, $2 MB, $(find www/site -newer mark -type f | wc -l) files written"
    : >"$dir/requests"
    "$wh" update -q
    echo "update:          $(fetched) (one version since the copy)"
    head=m0000050
    rm -rf "$WHARF_HOME/indexes/s/index/modules"
    cold=$(ms "$wh" install --dry-run $head)
    echo "install:         cold $cold ms ($(fetched)), warm $(ms "$wh" install --dry-run $head) ms"
    # The paged catalogue: the first (every page), then one version more.
    set -- $(timed "$wi" catalogue www/site -p repo.pub -q)
    echo "catalogue:       first $1 s, $2 MB, $(find www/site/modules -name index.html | wc -l) module pages, $(ls www/site/search | wc -l) search shards"
    "$tools/mkpkg" ferrpkg run.wasm pkgs/new3.ferrpkg --set 'name="m0000002"' --set 'version="1.0.3"'
    touch mark
    set -- $(timed "$wi" build pkgs -o www/site -s repo.key -q --layout sharded)
    echo "  one version:   rebuild with it $1 s, $2 MB, $(find www/site -newer mark -type f ! -path '*/index/*' ! -path '*/packages/*' ! -path '*/.wharf*' ! -name 'snapshot.json*' | wc -l) catalogue files written"
done
