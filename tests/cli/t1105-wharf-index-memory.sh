#!/bin/sh
# t1105-wharf-index-memory.sh - wharf-index build holds a bounded amount of
# memory however a package is built to cost: modules made by wasm-mem to be
# expensive to validate (one huge br_table, millions of functions, of
# imports), in a .ferrpkg and in a plugin bundle, read on two threads.  The
# whole build's peak resident set (maxrss) must stay within twice the
# packages' bytes plus 64 MiB; before step 4 a 60 MB br_table alone took
# 1.5 GB.  Under AddressSanitizer the bound is four times that.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

wharf-index keygen -W >/dev/null
mkdir p
wasm-mem gen brtable 30000000 brtable.wasm
wasm-mem gen funcs 10000000 funcs.wasm
wasm-mem gen imports 4000000 imports.wasm
mkpkg ferrpkg brtable.wasm p/brtable.ferrpkg --set name='"brtable"'
mkpkg ferrpkg funcs.wasm p/funcs.ferrpkg --set name='"funcs"'
printf '[plugin]\nname = "big"\nversion = "1.0.0"\ndescription = ""\nauthor = ""\nlicense = ""\n' >plugin.toml
mkpkg zip p/big.zip plugin.toml=plugin.toml big.wasm=brtable.wasm
mkpkg ferrpkg imports.wasm p/imports.ferrpkg --set name='"imports"'
bytes=$(cat p/* | wc -c)
k=2; c=64
[ "$(maxrss --asan)" = 1 ] && k=8 c=256
bound=$((k * bytes / 1024 + c * 1024))

begin "a build of expensive modules stays within $k x their bytes + $c MiB"
run maxrss rss.kib wharf-index build p -o site -j 2
check_rc 3
check_err <<'EOF2'
wharf-index build: p/imports.ferrpkg: wasm: 1000000 imports and exports, more than 10000
wharf-index build: rejected 1 of 4 packages
EOF2
check_that "peak $(cat rss.kib) KiB <= $bound KiB" test "$(cat rss.kib)" -le $bound
end

begin "the same packages one at a time"
run maxrss rss1.kib wharf-index build p -o site1 -j 1 -q
check_rc 3
check_that "peak $(cat rss1.kib) KiB <= $bound KiB" test "$(cat rss1.kib)" -le $bound
end

finish
