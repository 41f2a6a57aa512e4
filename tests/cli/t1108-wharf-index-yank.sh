#!/bin/sh
# t1108-wharf-index-yank.sh - PKGDIR/yanked: versions their publisher
# withdrew stay in the index, marked "yanked" with the reason; a malformed
# line stops the build before anything is written (file:line:column); an
# unknown version is a warning; the catalogue never shows a yanked version
# as the latest, and pins the install line when every version is yanked.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W >/dev/null
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/hello-1.0.0.ferrpkg
mkpkg ferrpkg run.wasm pkgs/hello-1.2.0.ferrpkg --set 'version="1.2.0"'
mkpkg ferrpkg run.wasm pkgs/old-0.1.0.ferrpkg --set 'name="old"' --set 'version="0.1.0"'
cat >pkgs/yanked <<'EOF'
# withdrawn versions
hello@1.2.0   reads past the end of its input (#12)

old@0.1.0
nope@9.9.9	typo, or removed
EOF
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

begin "yanked versions stay in the index, marked with the reason"
run wharf-index build pkgs -o site
check_rc 0
check_out <<'EOF'
read 3 files, 0 unchanged
wrote 'site': 3 packages in 2 modules, serial 1, expires 2024-02-12
catalogue: 7 files, 7 written
EOF
check_err <<'EOF'
wharf-index build: warning: pkgs/yanked:5: nope@9.9.9 is not among the packages
EOF
check_that "hello 1.2.0 yanked, with its reason" sh -c "sed 's/.*\"1.2.0\"://' site/index.json | grep -q '\"yanked\":\"reads past the end of its input (#12)\"'"
check_that "old 0.1.0 yanked, no reason" grep -q '"yanked":""' site/index.json
check_that "hello 1.0.0 not yanked" test "$(grep -o '"yanked"' site/index.json | wc -l)" = 2
SOURCE_DATE_EPOCH= wharf-index build pkgs -o now -q 2>/dev/null
check_that "an index with yanked versions verifies" wharf-index verify now -p repo.pub -q
# read file by file (a sharded site): the same warning, from the snapshot
run wharf-index build pkgs -o sharded -q --layout sharded --no-catalogue
check_rc 0
check_err <<'EOF'
wharf-index build: warning: pkgs/yanked:5: nope@9.9.9 is not among the packages
EOF
check_that "hello 1.2.0 yanked there too" grep -rqF '"yanked":"reads past the end of its input (#12)"' sharded/index/modules
end

begin "the catalogue: a yanked version is never the latest; all yanked pins the install line"
check_that "hello's install line skips 1.2.0" grep -qF '<code id="install">wharf install hello@^1.0</code>' site/modules/hello/index.html
check_that "1.2.0's row says yanked, with the reason" grep -qF '<span class="badge yanked">yanked</span> <span class="yank-reason">reads past the end of its input (#12)</span>' site/modules/hello/index.html
check_that "old is pinned" grep -qF '<code id="install">wharf install old@=0.1.0</code>' site/modules/old/index.html
check_that "and its card says yanked" grep -qF 'title="every version of this module is yanked">yanked</span>' site/index.html
end

begin "a malformed line stops the build before anything is written (exit 3)"
cp site/index.json.minisig sig.before
for bad in 'hello' 'hello@1.x' '-x@1.0.0' "hello@1.0.0 $(printf 'bell\007')"; do
    printf '# ok\n%s\n' "$bad" >pkgs/yanked
    run wharf-index build pkgs -o site
    check_rc 3
done
printf '# ok\nhello\n' >pkgs/yanked
run wharf-index build pkgs -o site
check_err <<'EOF'
wharf-index build: pkgs/yanked:2:1: not NAME@VERSION
EOF
printf '  hello@1.x\n' >pkgs/yanked
run wharf-index build pkgs -o site
check_err_has "wharf-index build: pkgs/yanked:1:9: version: "
printf 'hello@1.0.0 bad\377reason\n' >pkgs/yanked
run wharf-index build pkgs -o site
check_rc 3
check_err <<'EOF'
wharf-index build: pkgs/yanked:1:13: the reason is not UTF-8 text
EOF
check_that "the site is as it was" cmp -s sig.before site/index.json.minisig
end

begin "no yanked file: nothing is yanked"
rm pkgs/yanked
run wharf-index build pkgs -o site -q
check_rc 0
check_that "no yanked field" test "$(grep -c '"yanked"' site/index.json)" = 0
check_that "hello's latest is 1.2.0 again" grep -qF 'wharf install hello@^1.2' site/modules/hello/index.html
end

finish
