#!/bin/sh
# t2007-wharf-mirror.sh - wharf mirror SOURCE DIR [SPEC...]: DIR is a site
# that wharf-index verify accepts and a fresh install root uses as a
# source; with SPECs, exactly the versions they match and, transitively,
# those their dependencies match; re-runs copy only what is missing; DIR
# is never a folder of someone's files, another repository's site or a
# newer one; SPEC errors; the same over real HTTP; kill -9 at every write
# leaves DIR a valid site, and a re-run completes it.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
id=$(sed -n 's/^untrusted comment: minisign public key //p' repo.pub)
oid=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)
mkdir pkgs
# hello 1.0.0 (signed) and 2.0.0 -> base ^1.1; base 1.0.0, 1.1.0, 1.2.0
# -> util ~0.1; util 0.1.0, 0.1.5, 0.2.0; other 1.0.0.
mk() { mkpkg ferrpkg run.wasm "pkgs/$1@$2.ferrpkg" --set "name=\"$1\"" --set "version=\"$2\"" ${3:+--set "dependencies=$3"}; }
mk hello 1.0.0
mk hello 2.0.0 '{"base":"^1.1"}'
mk base 1.0.0
mk base 1.1.0
mk base 1.2.0 '{"util":"~0.1"}'
mk util 0.1.0
mk util 0.1.5
mk util 0.2.0
mk other 1.0.0
wharf-index sign -s repo.key 'pkgs/hello@1.0.0.ferrpkg'
wharf-index build pkgs -o site -n repo -q --no-catalogue
# A small site, serial 1 (small1) and 2 (small), for the kill -9 cases.
mkdir spkgs && cp pkgs/hello@1.0.0.ferrpkg* pkgs/other@1.0.0.ferrpkg spkgs/
wharf-index build spkgs -o small -n repo -q --no-catalogue
cp -R small small1
mkpkg ferrpkg run.wasm spkgs/new.ferrpkg --set 'name="new"'
wharf-index build spkgs -o small -n repo -q --no-catalogue
exp=$(date -u -d "@$(($(date +%s) + 90 * 86400))" +%Y-%m-%d)
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
serial_of() { sed -n 's/^trusted comment: wharf-index\/1 serial:\([0-9]*\) .*/\1/p' "$1/index.json.minisig"; }
# Every file of a site but the indexer's hidden ones, with its hash.
tree() { (cd "$1" && find . -type f ! -name '.*' | sort | xargs sha256sum); }

begin "usage: a source and a folder are needed (exit 2)"
run wharf mirror
check_rc 2
check_err <<'EOF'
wharf mirror: no source to mirror
try 'wharf mirror --help'
EOF
run wharf mirror main
check_rc 2
check_err_has "wharf mirror: no folder to mirror into"
end

begin "an unknown source; a source not yet updated (exit 6)"
run wharf mirror nope m
check_rc 6
check_err <<'EOF'
wharf mirror: no source 'nope'
EOF
run wharf mirror main m
check_rc 6
check_err <<'EOF'
wharf mirror: source 'main' has no index yet (wharf update main)
EOF
check_that "nothing written" test ! -e m
end

wharf update -q

begin "everything: DIR is the site again, byte for byte, and verifies"
run wharf mirror main m
check_rc 0
check_out <<'EOF'
m: source 'main', serial 1: 9 of 9 packages, 9 copied, 0 already there
EOF
check_empty_err
tree site >site.tree
tree m >m.tree
check_that "the same files, the same bytes" cmp -s site.tree m.tree
run wharf-index verify m -p repo.pub
check_rc 0
check_out <<EOF
verified 'm': 9 packages in 4 modules, serial 1, expires $exp
EOF
end

begin "a second run copies nothing and writes nothing"
run env WHARF_FS_FAULT=1:kill wharf mirror main m
check_rc 0
check_out <<'EOF'
m: source 'main', serial 1: 9 of 9 packages, 0 copied, 9 already there
EOF
end

begin "a fresh install root uses DIR as a source"
run env WHARF_HOME="$T/home2" wharf trust add "$T/m/keys/repo.pub" -q
check_rc 0
WHARF_HOME="$T/home2" wharf source add m "$T/m" -q
run env WHARF_HOME="$T/home2" wharf update
check_rc 0
check_out <<EOF
m: serial 1, 9 packages in 4 modules, expires $exp ($T/m)
EOF
end

begin "a damaged package in DIR is copied again"
printf 'x' >>'m/packages/util@0.2.0.ferrpkg'
rm 'm/packages/hello@1.0.0.ferrpkg.minisig'
run wharf mirror main m
check_rc 0
check_out <<'EOF'
m: source 'main', serial 1: 9 of 9 packages, 2 copied, 7 already there
EOF
tree m >m.tree
check_that "the site again" cmp -s site.tree m.tree
end

begin "SPECs: every matching version, then their dependencies' matches, transitively"
run wharf mirror main s1 hello@2
check_rc 0
check_out <<'EOF'
s1: source 'main', serial 1: 5 of 9 packages, 5 copied, 0 already there
EOF
run ls s1/packages
check_out <<'EOF'
base@1.1.0.ferrpkg
base@1.2.0.ferrpkg
hello@2.0.0.ferrpkg
util@0.1.0.ferrpkg
util@0.1.5.ferrpkg
EOF
end

begin "SPEC syntax: npm's exact version, Cargo's when there is a comma, a bare name"
run wharf mirror main s2 util@0.1.0 'base@>=1.0, <1.2' other -q
check_rc 0
check_out </dev/null
run ls s2/packages
check_out <<'EOF'
base@1.0.0.ferrpkg
base@1.1.0.ferrpkg
other@1.0.0.ferrpkg
util@0.1.0.ferrpkg
EOF
run wharf mirror main s3 'util@0.1.0 || ^0.2' 'hello@1.x' -q
check_rc 0
run ls s3/packages
check_out <<'EOF'
hello@1.0.0.ferrpkg
hello@1.0.0.ferrpkg.minisig
util@0.1.0.ferrpkg
util@0.2.0.ferrpkg
EOF
end

begin "a SPEC run adds to a folder and never removes what another copied"
run wharf mirror main s2 hello@1
check_rc 0
check_out <<'EOF'
s2: source 'main', serial 1: 1 of 9 packages, 1 copied, 0 already there
EOF
run ls s2/packages
check_out <<'EOF'
base@1.0.0.ferrpkg
base@1.1.0.ferrpkg
hello@1.0.0.ferrpkg
hello@1.0.0.ferrpkg.minisig
other@1.0.0.ferrpkg
util@0.1.0.ferrpkg
EOF
end

begin "--dry-run lists what would be copied and writes nothing"
run wharf mirror main dry hello@2 --dry-run
check_rc 0
check_out <<'EOF'
would copy base@1.1.0 (packages/base@1.1.0.ferrpkg, 196 bytes)
would copy base@1.2.0 (packages/base@1.2.0.ferrpkg, 227 bytes)
would copy hello@2.0.0 (packages/hello@2.0.0.ferrpkg, 228 bytes)
would copy util@0.1.0 (packages/util@0.1.0.ferrpkg, 196 bytes)
would copy util@0.1.5 (packages/util@0.1.5.ferrpkg, 196 bytes)
dry: source 'main', serial 1: 5 of 9 packages, 5 to copy, 0 already there
EOF
check_that "no folder" test ! -e dry
run wharf mirror main s1 hello --dry-run --json
check_rc 0
check_out <<'EOF'
{"copied":["hello@1.0.0"],"dir":"s1","dry_run":true,"packages":9,"present":5,"serial":1,"source":"main","wanted":6}
EOF
end

begin "--json"
run wharf mirror main s4 other --json
check_rc 0
check_out <<'EOF'
{"copied":["other@1.0.0"],"dir":"s4","dry_run":false,"packages":9,"present":0,"serial":1,"source":"main","wanted":1}
EOF
end

begin "bad SPECs are usage errors (exit 2); SPECs that match nothing, exit 6"
run wharf mirror main x 'hello@1.2.q'
check_rc 2
check_err <<'EOF'
wharf mirror: bad requirement in 'hello@1.2.q': offset 4: invalid character 'q' in patch version
EOF
run wharf mirror main x 'Hello!'
check_rc 2
check_err <<'EOF'
wharf mirror: bad spec 'Hello!': module name 'Hello!' contains '!'
EOF
run wharf mirror main x 'hello@'
check_rc 2
check_err <<'EOF'
wharf mirror: no requirement after '@' in 'hello@'
EOF
run wharf mirror main x ./hello.ferrpkg
check_rc 2
check_err <<'EOF'
wharf mirror: './hello.ferrpkg' is a package file; mirror takes module names (NAME or NAME@REQ)
try 'wharf mirror --help'
EOF
run wharf mirror main x nope
check_rc 6
check_err <<'EOF'
wharf mirror: no module 'nope' in source 'main'
EOF
run wharf mirror main x 'hello@^9'
check_rc 6
check_err <<'EOF'
wharf mirror: no version of 'hello' in source 'main' matches '^9'
EOF
check_that "nothing written" test ! -e x
end

begin "DIR must be new, empty, or a site of the same key no newer than the source"
mkdir mine && echo hi >mine/notes.txt
run wharf mirror main mine
check_rc 1
check_err <<'EOF'
wharf mirror: mine: not empty and not a wharf site ('notes.txt'): mirror into a new or empty folder
EOF
check_that "mine untouched" test "$(ls -A mine)" = notes.txt
wharf-index build pkgs -o theirs -s other.key -q --no-catalogue
run wharf mirror main theirs
check_rc 1
check_err <<EOF
wharf mirror: theirs/index.json.minisig: a site signed by key $oid, not by $id, the key of source 'main': mirror into another folder
EOF
cp -R site newer
wharf-index build pkgs -o newer -n repo -q --no-catalogue
run wharf mirror main newer
check_rc 4
check_err <<'EOF'
wharf mirror: newer/index.json.minisig: serial 2, newer than the 1 of source 'main' (wharf update main first)
EOF
end

begin "the source moves on: the new index, packages no longer listed removed, one generation kept"
rm 'pkgs/other@1.0.0.ferrpkg'
mk other 1.1.0
wharf-index build pkgs -o site -n repo -q --no-catalogue
wharf update -q
run wharf mirror main m
check_rc 0
check_out <<'EOF'
m: source 'main', serial 2: 9 of 9 packages, 1 copied, 8 already there
EOF
check_that "other 1.0.0 removed" test ! -e 'm/packages/other@1.0.0.ferrpkg'
check_that "two generations in by-hash" test "$(ls m/by-hash | wc -l)" = 6
run wharf-index verify m -p repo.pub
check_rc 0
end

begin "over HTTP (tests/tools/badserve.mjs): the same site"
command -v node >/dev/null 2>&1 || fail "node is missing; run 'make deps'"
mkdir www && cp -R site www/site
node "$top/tests/tools/badserve.mjs" www >port 2>server.err &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s port ] && break; sleep 0.2; done
url="http://127.0.0.1:$(cat port)"
WHARF_HOME="$T/home3" wharf trust add repo.pub -q
WHARF_HOME="$T/home3" wharf source add web "$url/ok/site" -q
WHARF_HOME="$T/home3" wharf update -q
run env WHARF_HOME="$T/home3" wharf mirror web h
check_rc 0
check_out <<'EOF'
h: source 'web', serial 2: 9 of 9 packages, 9 copied, 0 already there
EOF
tree site >site.tree
tree h >h.tree
sort site.tree >site.sorted && sort h.tree >h.sorted
check_that "every file as in the site" test -z "$(comm -13 site.sorted h.sorted)"
check_that "and this generation's all" test "$(wc -l <h.tree)" = 17
end

# A valid site: verify accepts it (notes about lagging copies allowed).
site_ok() { wharf-index verify "$1" -p repo.pub -q 2>/dev/null; }

begin "kill -9 at every write of a first mirror: no site yet, or a valid one; a re-run completes it"
wharf source add small "$T/small" -q
wharf update small -q
rm -rf home.0 && cp -R "$WHARF_HOME" home.0 && rm -rf home.0/cache
n=1
while :; do
    rm -rf k "$WHARF_HOME" && cp -R home.0 "$WHARF_HOME"
    WHARF_FS_FAULT=$n:kill wharf mirror small k -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    [ -e k/index.json.minisig ] && { site_ok k || fail "write $n: not a valid site"; }
    wharf mirror small k -q || fail "write $n: the re-run failed"
    site_ok k || fail "write $n: the re-run left no valid site"
    n=$((n + 1))
    [ $n -gt 200 ] && { fail "no end to the writes"; break; }
done
check_that "writes were cut ($n)" test $n -gt 50
end

begin "kill -9 at every write of a mirror moving on: serial 1 or 2, valid; a re-run completes it"
WHARF_HOME="$T/home1" wharf trust add repo.pub -q
WHARF_HOME="$T/home1" wharf source add small "$T/small1" -q
WHARF_HOME="$T/home1" wharf update -q
WHARF_HOME="$T/home1" wharf mirror small k1 -q     # a serial-1 mirror
rm -rf home.0 && cp -R "$WHARF_HOME" home.0 && rm -rf home.0/cache
n=1
while :; do
    rm -rf k "$WHARF_HOME" && cp -R k1 k && cp -R home.0 "$WHARF_HOME"
    WHARF_FS_FAULT=$n:kill wharf mirror small k -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    site_ok k || fail "write $n: not a valid site"
    s=$(serial_of k)
    [ "$s" = 1 ] || [ "$s" = 2 ] || fail "write $n: serial '$s'"
    n=$((n + 1))
    [ $n -gt 200 ] && { fail "no end to the writes"; break; }
done
check_that "writes were cut ($n)" test $n -gt 25
wharf mirror small k -q
check_that "then serial 2" test "$(serial_of k)" = 2
check_that "then a valid site" site_ok k
end

finish
