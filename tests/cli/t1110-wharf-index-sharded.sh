#!/bin/sh
# t1110-wharf-index-sharded.sh - the sharded index (docs/index-format.md,
# "The sharded index"): wharf-index build --layout sharded writes module
# files and bins named by their SHA-256 under a signed top level that stock
# minisign checks; a rebuild writes only what changed; retired files stay
# for --retain; verify refuses a tampered or missing bin or module file;
# kill -9 at every write leaves the old site or the new one.  wharf over
# HTTP on 127.0.0.1 (tests/tools/badserve.mjs, which logs each request):
# update fetches the top level and only the bins that changed, install
# only the module files its resolution needs; a tampered bin or module
# file, and a rollback of the top level, are refused; a reader holding an
# old top level still installs; update --all then --offline; publishing
# while readers read never shows them a hole.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
id=$(sed -n 's/^untrusted comment: minisign public key //p' repo.pub)
mkdir pkgs www
for m in alpha beta gamma; do
    mkpkg ferrpkg run.wasm "pkgs/$m.ferrpkg" --set "name=\"$m\""
done
mkpkg ferrpkg run.wasm pkgs/app.ferrpkg --set 'name="app"' \
    --set 'dependencies={"alpha":"^1","beta":"^1"}'
build() { wharf-index build pkgs -o www/site -n repo -q --no-catalogue --layout sharded "$@"; }
tc_hash() { sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' "$1"; }
# The site's files below index/, sorted, without the top levels.
shards() { (cd www/site && find index/bins index/modules -type f | sort); }
bin_of() {    # bin_of MODULE: the digest of its module file, from the bin
    b=$(sed 's/.*"bins":\["\([0-9a-f]*\)".*/\1/' www/site/snapshot.json)
    sed "s/.*\"$1\":\"\([0-9a-f]*\)\".*/\1/" "www/site/index/bins/$b.json"
}

begin "build --layout sharded: a signed top level, bins, module files; no index.json"
run build
check_rc 0
check_that "no index.json" test ! -e www/site/index.json -a ! -e www/site/index.json.minisig
h=$(tc_hash www/site/snapshot.json.minisig)
check_that "stock minisign checks the top level" \
    minisign -Vqm "www/site/index/snapshot/$h.json" -x www/site/snapshot.json.minisig -p repo.pub
check_that "snapshot.json is the top level" cmp www/site/snapshot.json "www/site/index/snapshot/$h.json"
check_that "one bin, four module files" test "$(shards | grep -c bins/)" = 1 -a "$(shards | grep -c modules/)" = 4
run wharf-index verify www/site -p repo.pub
check_rc 0
check_out <<EOF
verified 'www/site': 4 packages in 4 modules, serial 1, expires $(date -u -d "@$(($(date +%s) + 90 * 86400))" +%Y-%m-%d)
EOF
end

begin "a rebuild with one new version writes its module file, the bin and the top level"
shards >before
mkpkg ferrpkg run.wasm pkgs/beta2.ferrpkg --set 'name="beta"' --set 'version="1.1.0"'
old_beta=$(bin_of beta)
run build --retain 0
check_rc 0
shards >after
check_that "two new files (beta's module file, the bin)" test "$(comm -13 before after | wc -l)" = 2
check_that "beta's new module file" grep -q "modules/$(bin_of beta | cut -c1-2)/$(bin_of beta).json" after
check_that "the old one is kept one more build" test -f "www/site/index/modules/$(echo "$old_beta" | cut -c1-2)/$old_beta.json"
run build --retain 0
check_rc 0
check_that "then removed" test ! -e "www/site/index/modules/$(echo "$old_beta" | cut -c1-2)/$old_beta.json"
run wharf-index verify www/site -p repo.pub -q
check_rc 0
end

begin "verify refuses a tampered or missing module file, or bin (exit 4)"
f=www/site/index/modules/$(bin_of alpha | cut -c1-2)/$(bin_of alpha).json
cp "$f" saved
sed -i 's/"alpha"/"alphb"/' "$f"
run wharf-index verify www/site -p repo.pub -q
check_rc 4
check_err_has "$f: sha256 is "
rm "$f"
run wharf-index verify www/site -p repo.pub -q
check_rc 4
check_err <<EOF
wharf-index verify: $f: missing: the signed index lists it for module 'alpha'
EOF
cp saved "$f"
b=$(sed 's/.*"bins":\["\([0-9a-f]*\)".*/\1/' www/site/snapshot.json)
cp "www/site/index/bins/$b.json" savedbin
sed -i 's/"format"/"formax"/' "www/site/index/bins/$b.json"
run wharf-index verify www/site -p repo.pub -q
check_rc 4
check_err_has "www/site/index/bins/$b.json: sha256 is "
cp savedbin "www/site/index/bins/$b.json"
run wharf-index verify www/site -p repo.pub -q
check_rc 0
end

begin "kill -9 at every write of a sharded rebuild: the site verifies, old or new"
n=1
while [ $n -lt 200 ]; do
    rm -f pkgs/k*.ferrpkg     # a new file: the site's copy is a hard link
    mkpkg ferrpkg run.wasm "pkgs/k$n.ferrpkg" --set 'name="gamma"' --set "version=\"2.0.$n\""
    before=$(tc_hash www/site/snapshot.json.minisig)
    WHARF_FS_FAULT=$n:kill build >/dev/null 2>&1 && break
    wharf-index verify www/site -p repo.pub -q || fail "write $n: the site does not verify"
    build 2>/dev/null || fail "write $n: the next build failed"
    wharf-index verify www/site -p repo.pub -q || fail "write $n: the next build does not verify"
    n=$((n + 1))
done
check_that "at least 10 writes were cut ($n)" test $n -gt 10
check_that "no temporaries left" test -z "$(find www/site -name '.*.tmp.*')"
end

begin "a sharded rebuild reads only what changed since the source map"
vbuild() { wharf-index build pkgs -o www/site -n repo --no-catalogue --layout sharded "$@"; }
run vbuild
check_rc 0
check_out <<EOF
read 0 files, $(find pkgs -name '*.ferrpkg' | wc -l) unchanged, 0 removed
wrote 'www/site': 4 modules, serial $(sed -n 's/.*serial:\([0-9]*\) .*/\1/p' www/site/snapshot.json.minisig); 0 index files written
EOF
touch -d @1700000000 pkgs/alpha.ferrpkg
run vbuild --json
check_rc 0
check_out <<EOF
{"accepted":1,"expires":$(sed -n 's/.*expires:\([0-9]*\) .*/\1/p' www/site/snapshot.json.minisig),"generated":$(sed -n 's/.*"generated":\([0-9]*\).*/\1/p' www/site/snapshot.json),"modules":4,"read":1,"rejected":0,"removed":0,"serial":$(sed -n 's/.*serial:\([0-9]*\) .*/\1/p' www/site/snapshot.json.minisig),"site":"www/site","unchanged":$(($(find pkgs -name '*.ferrpkg' | wc -l) - 1)),"written":true}
EOF
mkpkg ferrpkg run.wasm pkgs/zeta.ferrpkg --set 'name="zeta"'
rm pkgs/app.ferrpkg
run vbuild
check_rc 0
check_out_has "read 1 file, $(($(find pkgs -name '*.ferrpkg' | wc -l) - 1)) unchanged, 1 removed"
run wharf-index verify www/site -p repo.pub -q
check_rc 0
wharf-index build pkgs -o full2 -n repo -q --no-catalogue --layout sharded
check_that "the same module records as a full build" sh -c '
    for s in www/site full2; do
        b=$(sed "s/.*\"bins\":\[\"\([0-9a-f]*\)\".*/\1/" $s/snapshot.json)
        sed "s/\"[0-9a-f]\{64\}\"/H/g" $s/index/bins/$b.json
    done | uniq | wc -l | grep -qx 1'
# trust changed: every file read again (nothing new to write)
run vbuild -k "$T"
check_rc 0
check_out_has "read $(find pkgs -name '*.ferrpkg' | wc -l) files, 0 unchanged, 0 removed"
# a signature added, then removed: the package is read again each time
wharf-index sign -s repo.key pkgs/alpha.ferrpkg
run vbuild -k "$T"
check_rc 0
check_out_has "read 1 file, $(($(find pkgs -name '*.ferrpkg' | wc -l) - 1)) unchanged, 0 removed"
rm pkgs/alpha.ferrpkg.minisig
run vbuild -k "$T"
check_rc 0
check_out_has "read 1 file, $(($(find pkgs -name '*.ferrpkg' | wc -l) - 1)) unchanged, 0 removed"
# a map of another format (an older wharf's) is no map, not an empty one:
# the whole-index way, which writes it anew; then file by file again
printf '1 %s\n' "$(cut -d' ' -f3 www/site/.wharf-sources/serial)" >www/site/.wharf-sources/serial
run vbuild -k "$T"
check_rc 0
check_out_has "wrote 'www/site': $(find pkgs -name '*.ferrpkg' | wc -l) packages in 4 modules, serial"
run vbuild -k "$T"
check_rc 0
check_out_has "read 0 files, $(find pkgs -name '*.ferrpkg' | wc -l) unchanged, 0 removed"
# a damaged map file: said, with the place, and every file read
f=$(ls -S www/site/.wharf-sources/*.map | head -1)
head -c 20 "$f" >map && cat map >"$f"
run vbuild -k "$T"
check_rc 0
check_err <<EOF
wharf-index build: $f: offset 0xf: not a source map record ("wharf-srcmap/3"); reading every file
EOF
run vbuild -k "$T"
check_out_has "read 0 files, $(find pkgs -name '*.ferrpkg' | wc -l) unchanged, 0 removed"
# the longest record: a PAR with an expiry and a .minisig beside it
mkdir -p pkgs/p && mkpar pkgs/p/pay.par.gz --gzip --ver 1.0 --seed t1110 --exp 4102444800
wharf-index sign -s repo.key pkgs/p/pay.par.gz >/dev/null
run vbuild -k "$T"
check_rc 0
check_out_has "read 1 file, "
run vbuild -k "$T"
check_out_has "read 0 files, $(find pkgs -name '*.ferrpkg' -o -name '*.par.gz' | wc -l) unchanged, 0 removed"
rm -r pkgs/p
vbuild -k "$T" -q
# records that lie: a length past the end, a bad flags byte, a path with
# a NUL in it, records out of order
for rec in '\005\000abc' '\001\000a\000\001\000b\000\011' '\003\000a\000b\000\001\000c\000\000' \
           '\001\000b\000\001\000x\000\000AAAAAAAABBBBBBBBCCCCCCCC\001\000a\000\001\000x\000\000'; do
    { printf 'wharf-srcmap/3\n'; printf "$rec"; } >"$f"
    run vbuild -k "$T"
    check_rc 0
    check_err_has "$f: offset 0x"
    check_err_has ': not a source map record ("wharf-srcmap/3"); reading every file'
done
run vbuild -k "$T"
check_out_has "read 0 files, $(find pkgs -name '*.ferrpkg' | wc -l) unchanged, 0 removed"
# with the (paged) catalogue: the same modules
run wharf-index build pkgs -o withcat -n repo -q --layout sharded
check_rc 0
check_that "the catalogue is there" test -f withcat/index.html
run wharf-index verify withcat -p repo.pub -q
check_rc 0
check_that "the same modules as the walk's" sh -c '
    for s in www/site withcat; do
        b=$(sed "s/.*\"bins\":\[\"\([0-9a-f]*\)\".*/\1/" $s/snapshot.json)
        sed "s/\"[0-9a-f]\{64\}\"/H/g" $s/index/bins/$b.json
    done | uniq | wc -l | grep -qx 1'
mkpkg ferrpkg run.wasm pkgs/app.ferrpkg --set 'name="app"' \
    --set 'dependencies={"alpha":"^1","beta":"^1"}'
rm pkgs/zeta.ferrpkg
build
end

begin "--changed LIST: only the listed files are read; what it writes"
mkpkg ferrpkg run.wasm pkgs/delta.ferrpkg --set 'name="delta"'
shards >before
run sh -c "echo delta.ferrpkg | wharf-index build pkgs -o www/site -n repo --no-catalogue --layout sharded --changed -"
check_rc 0
check_out <<EOF
read 1 listed file, 1 accepted, 0 removed
wrote 'www/site': 5 modules, serial $(sed -n 's/.*serial:\([0-9]*\) .*/\1/p' www/site/snapshot.json.minisig); 2 index files written
EOF
shards >after
check_that "delta's module file and the bin, nothing else" test "$(comm -13 before after | wc -l)" = 2
run wharf-index verify www/site -p repo.pub
check_rc 0
check_out_has "packages in 5 modules"
# The same site as a full build writes (dates aside: --changed keeps them).
wharf-index build pkgs -o full -n repo -q --no-catalogue --layout sharded
check_that "the same module records as a full build" sh -c '
    for s in www/site full; do
        b=$(sed "s/.*\"bins\":\[\"\([0-9a-f]*\)\".*/\1/" $s/snapshot.json)
        sed "s/\"[0-9a-f]\{64\}\"/H/g" $s/index/bins/$b.json
    done | uniq | wc -l | grep -qx 1'
end

begin "--changed: a removed file's version goes, its package retired"
rm pkgs/delta.ferrpkg
run sh -c "echo delta.ferrpkg | wharf-index build pkgs -o www/site -n repo -q --no-catalogue --layout sharded --changed - --retain 0"
check_rc 0
run wharf-index verify www/site -p repo.pub
check_rc 0
check_out_has "packages in 4 modules"
check_that "the package is kept one build" test -f www/site/packages/delta@1.0.0.ferrpkg
build --retain 0
check_that "then removed" test ! -e www/site/packages/delta@1.0.0.ferrpkg
end

begin "--changed: a version another file publishes is refused (exit 5)"
mkpkg ferrpkg run.wasm pkgs/dup.ferrpkg --set 'name="alpha"'
run sh -c "echo dup.ferrpkg | wharf-index build pkgs -o www/site -n repo -q --no-catalogue --layout sharded --changed -"
check_rc 5
check_err <<EOF
wharf-index build: pkgs/dup.ferrpkg: 'alpha@1.0.0' is already published from another file (a full build rejects both)
EOF
rm pkgs/dup.ferrpkg
run wharf-index verify www/site -p repo.pub -q
check_rc 0
end

begin "kill -9 at every write of a --changed build: old or new, then it goes on"
n=1
while [ $n -lt 100 ]; do
    mkpkg ferrpkg run.wasm "pkgs/e$n.ferrpkg" --set 'name="epsilon"' --set "version=\"1.0.$n\""
    echo "e$n.ferrpkg" >list
    WHARF_FS_FAULT=$n:kill wharf-index build pkgs -o www/site -n repo -q --no-catalogue \
        --layout sharded --changed list >/dev/null 2>&1 && break
    wharf-index verify www/site -p repo.pub -q || fail "write $n: the site does not verify"
    # Killed before the commit: the next --changed goes on; after it, before
    # the source map's serial: it refuses, and a full build repairs.
    wharf-index build pkgs -o www/site -n repo -q --no-catalogue --layout sharded \
        --changed list 2>/dev/null || build 2>/dev/null || fail "write $n: no build repairs it"
    wharf-index verify www/site -p repo.pub -q || fail "write $n: the next build does not verify"
    n=$((n + 1))
done
check_that "at least 8 writes were cut ($n)" test $n -gt 8
wharf-index verify www/site -p repo.pub --json >v.json
check_that "every epsilon version is listed ($n, $(cat v.json | head -c 300))" grep -q "\"packages\":$((n + 6))," v.json
end

begin "--changed refuses a source map of another serial, and needs --layout sharded"
fp=$(cut -d' ' -f3 www/site/.wharf-sources/serial)
echo "wharf-srcmap/3 1 $fp" >www/site/.wharf-sources/serial
run sh -c "echo alpha.ferrpkg | wharf-index build pkgs -o www/site -n repo -q --no-catalogue --layout sharded --changed -"
check_rc 4
check_err_has "the source map is of serial 1, the site's is"
build
mkdir tk && cp repo.pub tk/
run sh -c "echo alpha.ferrpkg | wharf-index build pkgs -o www/site -n repo -q --no-catalogue --layout sharded --changed - -k tk"
check_rc 4
check_err_has "the trusted keys, issuers, plugins or yanked versions changed since the last full build: run a full build"
run wharf-index build pkgs -o www/site --changed x
check_rc 2
check_err_has "--changed needs --layout sharded"
end

# serve: badserve.mjs on www, logging every request to $T/requests.
serve() {
    rm -f port
    BADSERVE_LOG="$T/requests" node "$top/tests/tools/badserve.mjs" www >port 2>server.err &
    server=$!
    for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
    url="http://127.0.0.1:$(cat port)/ok/site"
}
serve
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
wharf trust add repo.pub -q
wharf source add web "$url" -q
copy="$WHARF_HOME/indexes/web"
fetched() { sed "s|^/ok/site/||; s| [0-9]*$||" "$T/requests" | sort; : >"$T/requests"; }

begin "update over HTTP: the top level and the bins; then only what changed"
: >"$T/requests"
run wharf update
check_rc 0
h=$(tc_hash www/site/snapshot.json.minisig)
b=$(sed 's/.*"bins":\["\([0-9a-f]*\)".*/\1/' www/site/snapshot.json)
fetched >got
check_out_has "web: sharded index: fetched 1 file"
check_that "fetched the top level, its signature, the bin" test "$(cat got)" = "$(printf '%s\n' "index/bins/$b.json" "index/snapshot/$h.json" snapshot.json.minisig)"
run wharf update
check_rc 0
fetched >got
check_that "nothing changed: two small files" test "$(cat got)" = "$(printf '%s\n' "index/snapshot/$h.json" snapshot.json.minisig)"
end

begin "install --dry-run fetches only the module files of its resolution"
run wharf install --dry-run app
check_rc 0
fetched >got
check_that "three module files: app, alpha, beta" test "$(grep -c modules/ got)" = 3
check_that "nothing else" test "$(wc -l <got)" = 3
run wharf install --dry-run app
check_rc 0
fetched >got
check_that "warm: nothing fetched" test ! -s got
end

begin "a tampered module file or bin over HTTP is refused"
rm -rf "$copy"
wharf source remove web -q
wharf source add web "http://127.0.0.1:$(cat port)/tamper/site" -q
run wharf update
check_rc 4
check_err_has "/tamper/site/snapshot.json.minisig"
wharf source remove web -q
wharf source add web "$url" -q
run wharf update -q
check_rc 0
f=index/modules/$(bin_of alpha | cut -c1-2)/$(bin_of alpha).json
cp "www/site/$f" saved
printf 'x' >>"www/site/$f"
rm -f "$copy/$f"
run wharf install --dry-run alpha
check_rc 4
check_err_has "$url/$f: sha256 is "
cp saved "www/site/$f"
run wharf install --dry-run alpha
check_rc 0
end

begin "a rollback of the top level is refused (exit 4)"
cp -R www/site www/old
build
run wharf update -q
check_rc 0
serial=$(sed -n 's/.*serial:\([0-9]*\) .*/\1/p' www/site/snapshot.json.minisig)
wharf source remove web -q
wharf source add web "http://127.0.0.1:$(cat port)/ok/old" -q
run wharf update
check_rc 4
check_err_has "index serial $((serial - 1)) is older than $serial already seen"
wharf source remove web -q
wharf source add web "$url" -q
wharf update -q
end

begin "a reader holding the old top level still installs after a publish (--retain)"
rm -rf "$copy"/index/modules
mkpkg ferrpkg run.wasm pkgs/alpha2.ferrpkg --set 'name="alpha"' --set 'version="1.2.0"'
build
run wharf install --dry-run app
check_rc 0
check_out_has "alpha 1.0.0"
wharf update -q
run wharf install --dry-run app
check_rc 0
check_out_has "alpha 1.2.0"
end

begin "mirror copies a consistent snapshot: top level, bins, module files, packages"
run wharf mirror web mir -q
check_rc 0
run wharf-index verify mir -p repo.pub -q
check_rc 0
check_that "the same top level as the site's" cmp mir/snapshot.json www/site/snapshot.json
check_that "no index.json" test ! -e mir/index.json.minisig
wharf source add local "$T/mir" -q
run wharf update local -q
check_rc 0
run wharf install --dry-run --offline app
check_rc 0
wharf source remove local -q
run wharf mirror web mir2 app -q
check_rc 0
check_that "app's closure of packages: app, alpha, beta" \
    test "$(ls mir2/packages | sed 's/@.*//' | sort -u | tr '\n' ' ')" = "alpha app beta "
check_that "and the whole index" cmp mir2/snapshot.json www/site/snapshot.json
end

begin "update --all fetches every module file; then --offline needs no server"
run wharf update --all -q
check_rc 0
kill $server
run wharf install --dry-run --offline gamma
check_rc 0
run wharf search alpha
check_rc 0
check_out <<'EOF'
alpha 1.2.0  a test module
EOF
end

serve
wharf source remove web -q
wharf source add web "$url" -q

begin "publishing while readers update and resolve: never a hole"
(   i=0
    while [ $i -lt 15 ]; do
        mkpkg ferrpkg run.wasm "pkgs/c$i.ferrpkg" --set 'name="beta"' --set "version=\"1.5.$i\""
        build --wait || echo "build $i failed" >>"$T/conc.err"
        i=$((i + 1))
    done
    : >"$T/conc.done"
) &
pub=$!
reads=0
while [ ! -e "$T/conc.done" ]; do
    wharf update -q 2>>"$T/conc.err" || echo "update failed" >>"$T/conc.err"
    wharf install --dry-run app >/dev/null 2>>"$T/conc.err" || echo "install failed" >>"$T/conc.err"
    reads=$((reads + 1))
done
wait $pub
check_that "no reader failed ($reads reads): $(head -3 "$T/conc.err" 2>/dev/null)" test ! -s "$T/conc.err"
check_that "several reads overlapped the publishing ($reads)" test $reads -ge 3
run wharf-index verify www/site -p repo.pub -q
check_rc 0
end

begin "a site that outgrows its bins is binned again; a reader follows"
mkdir grow
mkrepo grow 1000 1
wharf-index keygen -W -p g.pub -s g.key >/dev/null
gbuild() { wharf-index build grow -o www/grow -n grow -s g.key -q --no-catalogue --layout sharded "$@"; }
gbuild
check_that "one bin for 1,000 modules" grep -q '"bin_bits":0,' www/grow/snapshot.json
wharf trust add g.pub -q
wharf source add g "http://127.0.0.1:$(cat port)/ok/grow" --key g.pub -q
wharf update -q
mkrepo grow 1050 1
gbuild
check_that "two for 1,050" grep -q '"bin_bits":1,' www/grow/snapshot.json
run wharf-index verify www/grow -p g.pub -q
check_rc 0
run wharf update -q
check_rc 0
run wharf install --dry-run m0001000
check_rc 0
check_out_has "m0001049"
rm -r grow/0001
gbuild
check_that "still two for 1,000: no rebinning back and forth" grep -q '"bin_bits":1,' www/grow/snapshot.json
# verify goes a bin at a time: a bad package in either bin is found
for m in m0000003 m0000999; do printf x >>"www/grow/packages/$m@1.0.0.ferrpkg"; done
run wharf-index verify www/grow -p g.pub -q
check_rc 4
check_err_has "wharf-index verify: 2 of 1000 packages failed verification"
check_err_has "www/grow/packages/m0000999@1.0.0.ferrpkg: "
wharf source remove g -q
end

begin "rotate a sharded site: the top level re-signed, wharf follows"
wharf-index keygen -W -p new.pub -s new.key >/dev/null
nid=$(sed -n 's/^untrusted comment: minisign public key //p' new.pub)
run wharf-index rotate www/site -s repo.key -N new.key -q
check_rc 0
run wharf-index verify www/site -p new.pub -q
check_rc 0
check_that "keys/repo.pub is the new key" cmp -s www/site/keys/repo.pub new.pub
run wharf update
check_rc 0
check_err_has "now trusting $nid"
run sh -c "echo alpha.ferrpkg | wharf-index build pkgs -o www/site -n repo -q --no-catalogue --layout sharded --changed - -s new.key"
check_rc 0
run wharf-index verify www/site -p new.pub -q
check_rc 0
end

finish
