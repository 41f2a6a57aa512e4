#!/bin/sh
# t1100-wharf-index-build.sh - wharf-index build: the site it writes (exact
# index.json, signature checked by the real minisign, gzip, hard-linked
# packages, key), determinism, serials, bad packages (reported, left out,
# counted, exit status of the first), --strict, duplicates, trust
# (--trusted-keys, --trusted-issuers, --require-signatures), the real PAR,
# pruning, and write failures that must leave the old site intact.
. "$(dirname "$0")/lib.sh"
FIXTURES=${WHARF_SHARED:-$(pwd)/../shared}/fixtures/par
cd "$T" || exit 1

# A module exporting "run" () -> (), and a plugin manifest.
run_wasm run.wasm
printf 'not wasm' >notwasm.wasm
cat >plugin.toml <<'EOF'
[plugin]
name = "fmt-md"
version = "0.3.0"
description = "formats markdown"
author = "Bea"
license = "Apache-2.0"
[plugin.capabilities]
format_handler = true
extensions = ["md", "markdown"]
[plugin.config]
width = 80
EOF
mkdir pkgs one
mkpkg ferrpkg run.wasm pkgs/hello-1.0.0.ferrpkg
mkpkg zip pkgs/fmt-md.zip plugin.toml=plugin.toml fmt.wasm=run.wasm
mkpar pkgs/pay.par.gz --gzip --ver 1.0 --seed t1100
cp pkgs/hello-1.0.0.ferrpkg one/
wharf-index keygen -W >/dev/null
id=$(sed -n 's/^untrusted comment: minisign public key //p' repo.pub)
issuer=$(mkpar keys.par --seed t1100 --print-keys | cut -d' ' -f1)
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

# sha256 of a file, hex only.
sha() { sha256sum "$1" | cut -d' ' -f1; }

begin "--help shows the options"
run wharf-index build --help
check_rc 0
check_out_has "usage: wharf-index build PKGDIR -o SITE [-s KEY] [options]"
check_out_has "  -k, --trusted-keys DIR"
check_out_has "      --strict"
check_empty_err
end

begin "usage errors, exit 2"
run wharf-index build
check_rc 2
check_err <<'EOF'
wharf-index build: no package directory
try 'wharf-index build --help'
EOF
run wharf-index build pkgs
check_rc 2
check_err_has "wharf-index build: no output site: use -o SITE"
run wharf-index build pkgs -o s --expires 0
check_rc 2
check_err_has "wharf-index build: --expires '0' is not a number of days from 1 to 36500"
run wharf-index build pkgs -o s --jobs x
check_rc 2
check_err_has "wharf-index build: --jobs 'x' is not a number from 1 to 256"
SOURCE_DATE_EPOCH=soon run wharf-index build pkgs -o s
check_rc 2
check_err <<'EOF'
wharf-index build: SOURCE_DATE_EPOCH 'soon' is not a number of seconds
EOF
run wharf-index build pkgs -o pkgs/site
check_rc 2
check_err <<'EOF'
wharf-index build: pkgs/site: the site is inside the package directory 'pkgs'
EOF
check_that "nothing written" test ! -e s -a ! -e pkgs/site
end

begin "missing key or package directory, exit 6"
run wharf-index build pkgs -o s -s nope.key
check_rc 6
check_err <<'EOF'
wharf-index build: nope.key: cannot open: No such file or directory
EOF
run wharf-index build nope -o s
check_rc 6
check_err <<'EOF'
wharf-index build: nope: cannot open directory: No such file or directory
EOF
end

begin "one package: the exact index"
run wharf-index build one -o site1
check_rc 0
check_out <<'EOF'
read 1 file, 0 unchanged
wrote 'site1': 1 package in 1 module, serial 1, expires 2024-02-12
catalogue: 6 files, 6 written
EOF
check_empty_err
{ sed "s/$id/KEYID/g" site1/index.json; echo; } >got
cat >want <<'EOF'
{"expires":1707776000,"format":"wharf-index/1","generated":1700000000,"modules":{"hello":{"versions":{"1.0.0":{"author":"Ada","categories":[],"dependencies":{},"description":"a test module","ferrite":{"checksum":"c54b2274c55f2025bcbf4c67ab1e4d22","checksum_algorithm":"fnv1a-double"},"kind":"ferrpkg","license":"MIT","path":"packages/hello@1.0.0.ferrpkg","published":1700000000,"sha256":"97603582e4038f464e6fb3bb184ce2399213c4e46b6c14300cf8f5b09286216e","signer":{"status":"unsigned"},"size":197,"tags":[],"wasm":{"exports":[{"kind":"func","name":"run","type":"() -> ()"}],"imports":[]}}}}},"repository":{"key_id":"KEYID","name":"site1"},"serial":1}
EOF
check_that "index.json is exact" cmp -s want got
diff -u want got
end

begin "three kinds: the site's files"
run wharf-index build pkgs -o site
check_rc 0
check_out <<'EOF'
read 3 files, 0 unchanged
wrote 'site': 3 packages in 3 modules, serial 1, expires 2024-02-12
catalogue: 8 files, 8 written
EOF
check_empty_err
run sh -c 'cd site && find . | LC_ALL=C sort'
h=$(sha256sum site/index.json | cut -c1-64)
check_out <<EOF
.
./.wharf-cache.json
./.wharf-cache.json.minisig
./.wharf-lock
./assets
./assets/catalogue.js
./assets/style.css
./by-hash
./by-hash/$h.json
./by-hash/$h.json.gz
./by-hash/$h.json.minisig
./feed.xml
./index.html
./index.json
./index.json.gz
./index.json.minisig
./keys
./keys/repo.pub
./modules
./modules/fake-payments
./modules/fake-payments/index.html
./modules/fmt-md
./modules/fmt-md/index.html
./modules/hello
./modules/hello/index.html
./packages
./packages/fake-payments@1.0.0.par.gz
./packages/fmt-md@0.3.0.zip
./packages/hello@1.0.0.ferrpkg
./search.js
EOF
check_that "keys/repo.pub is the repository key" cmp -s repo.pub site/keys/repo.pub
check_that "the index under its hash is index.json" cmp -s site/index.json site/by-hash/$h.json
check_that "its .gz is index.json.gz" cmp -s site/index.json.gz site/by-hash/$h.json.gz
check_that "its signature is index.json.minisig" cmp -s site/index.json.minisig site/by-hash/$h.json.minisig
check_that "stock minisign checks it with no option" minisign -Vqm site/by-hash/$h.json -p repo.pub
check_that "the lock is released" test ! -s site/.wharf-lock
check_that "packages are hard links" test "$(stat -c %i pkgs/fmt-md.zip)" = "$(stat -c %i site/packages/fmt-md@0.3.0.zip)"
run sh -c 'grep -o "\"path\":\"[^\"]*\"\|\"kind\":\"[a-z]*\",\"license\|\"signer\":{[^}]*}" site/index.json'
check_out <<EOF
"kind":"par","license
"path":"packages/fake-payments@1.0.0.par.gz"
"signer":{"key_id":"$issuer","status":"untrusted"}
"kind":"bundle","license
"path":"packages/fmt-md@0.3.0.zip"
"signer":{"status":"unsigned"}
"kind":"ferrpkg","license
"path":"packages/hello@1.0.0.ferrpkg"
"signer":{"status":"unsigned"}
EOF
run grep -c '"plugin":{"capabilities":{"extensions":\["md","markdown"\],"format_handler":true},"config":{"width":80}' site/index.json
check_out <<'EOF'
1
EOF
end

begin "minisign -V accepts the index; the trusted comment carries serial, expiry, digest"
run minisign -Vm site/index.json -p repo.pub
check_rc 0
check_out <<EOF
Signature and comment signature verified
Trusted comment: wharf-index/1 serial:1 expires:1707776000 sha256:$(sha site/index.json)
EOF
end

begin "index.json.gz holds index.json, with no name or time in its header"
run sh -c 'gzip -dc site/index.json.gz | cmp - site/index.json'
check_rc 0
run od -An -tx1 -N10 site/index.json.gz
check_out <<'EOF'
 1f 8b 08 00 00 00 00 00 00 ff
EOF
end

begin "same inputs and SOURCE_DATE_EPOCH: the same bytes, whatever --jobs"
mkdir again again1
run wharf-index build pkgs -o again/site -j 1 -q
check_rc 0
check_out </dev/null
run wharf-index build pkgs -o again1/site -j 3 -q
check_rc 0
for f in index.json index.json.gz index.json.minisig; do
    check_that "$f identical (-j 1)" cmp -s site/$f again/site/$f
    check_that "$f identical (-j 3)" cmp -s site/$f again1/site/$f
done
end

begin "a rebuild has a greater serial"
run wharf-index build pkgs -o site --json
check_rc 0
check_out <<'EOF'
{"accepted":3,"catalogue":{"files":8,"removed":0,"written":1},"expires":1707776000,"generated":1700000000,"modules":3,"packages":3,"read":3,"rejected":[],"removed":0,"serial":2,"site":"site","temporaries":0,"unchanged":0,"written":true}
EOF
run minisign -Vm site/index.json -p repo.pub
check_out_has "Trusted comment: wharf-index/1 serial:2 expires:1707776000 sha256:"
end

begin "a progress bar on a terminal, erased at the end; none with -q"
run script -qec "wharf-index build pkgs -o ttysite" "$T/typescript"
check_rc 0
check_that "bar drawn" grep -q "reading \[########################\] 3/3 files 100%" typescript
check_that "then erased" grep -q "$(printf '\r\033\[K')" typescript
run script -qec "wharf-index build pkgs -o ttysite2 -q" "$T/typescript2"
check_rc 0
check_that "no bar with -q" test -z "$(grep "reading \[" typescript2)"
end

begin "--name and --expires"
run wharf-index build one -o named -n demo --expires 1 -q
check_rc 0
check_that "name" grep -q '"repository":{"key_id":"'"$id"'","name":"demo"}' named/index.json
check_that "expires" grep -q '"expires":1700086400,' named/index.json
end

# Bad packages, one of each kind of fault, in sorted order.
mkdir bad
cp pkgs/hello-1.0.0.ferrpkg bad/
mkpkg ferrpkg run.wasm bad/a-len.ferrpkg --header-len 9999
mkpar bad/b-trunc.par.gz --gzip --truncate -10 --seed x
mkpar bad/c-tamper.par --tamper x86_64-linux.bin --seed x
mkpkg zip bad/d-trunc.zip plugin.toml=plugin.toml fmt.wasm=run.wasm --truncate -20
mkpkg ferrpkg notwasm.wasm bad/e-notwasm.ferrpkg --set name='"e"'
echo junk >bad/f-junk.zip
mkpar bad/g-expired.par --exp 1600000000 --seed x
mkpkg ferrpkg run.wasm bad/h-name.ferrpkg --set name='"a/b"'
mkpkg ferrpkg run.wasm bad/i-version.ferrpkg --set version='"1.0"'
echo "not a package" >bad/README.md

begin "bad packages are reported, left out and counted; exit status of the first"
run wharf-index build bad -o badsite
check_rc 3
check_out <<'EOF'
read 10 files, 0 unchanged
wrote 'badsite': 1 package in 1 module, serial 1, expires 2024-02-12
catalogue: 6 files, 6 written
EOF
check_err <<'EOF'
wharf-index build: bad/a-len.ferrpkg: offset 0x4: truncated: header length 9999 but only 189 bytes follow
wharf-index build: bad/b-trunc.par.gz: cannot read archive: truncated gzip input
wharf-index build: bad/c-tamper.par: entry 'x86_64-linux.bin': sha256 does not match the claims
wharf-index build: bad/d-trunc.zip: not a readable zip archive: Unrecognized archive format
wharf-index build: bad/e-notwasm.ferrpkg: wasm: offset 0x0: magic header not detected
wharf-index build: bad/f-junk.zip: offset 0x0: not a .ferrpkg, PAR or plugin bundle (starts with 6a 75 6e 6b)
wharf-index build: bad/g-expired.par: claims.jwt: token expired at 1600000000
wharf-index build: bad/h-name.ferrpkg: offset 0x10: module name 'a/b' contains '/'
wharf-index build: bad/i-version.ferrpkg: offset 0x22: version '1.0' is not SemVer 2.0.0: missing patch version
wharf-index build: rejected 9 of 10 packages
EOF
check_that "only the good one is indexed" test "$(grep -o '"modules":{"[^"]*"' badsite/index.json)" = '"modules":{"hello"'
end

begin "the first rejection decides the status: a hash mismatch is 4"
mkdir bad2
cp bad/c-tamper.par bad/a-len.ferrpkg bad2/
mv bad2/c-tamper.par bad2/0-tamper.par
run wharf-index build bad2 -o bad2site -q
check_rc 4
check_err_has "rejected 2 of 2 packages"
end

begin "--json lists the rejected files"
run wharf-index build bad2 -o bad2site --json
check_rc 4
check_out <<'EOF'
{"accepted":0,"catalogue":{"files":5,"removed":0,"written":1},"expires":1707776000,"generated":1700000000,"modules":0,"packages":2,"read":2,"rejected":[{"error":"bad2/0-tamper.par: entry 'x86_64-linux.bin': sha256 does not match the claims","file":"bad2/0-tamper.par","status":4},{"error":"bad2/a-len.ferrpkg: offset 0x4: truncated: header length 9999 but only 189 bytes follow","file":"bad2/a-len.ferrpkg","status":3}],"removed":0,"serial":2,"site":"bad2site","temporaries":0,"unchanged":0,"written":true}
EOF
end

begin "--strict writes nothing when a package is bad"
cp -R site site.before
run wharf-index build bad -o site --strict
check_rc 3
check_out </dev/null
check_err_has "wharf-index build: rejected 9 of 10 packages; nothing written (--strict)"
check_that "site unchanged" diff -r site site.before
run wharf-index build bad -o fresh --strict
check_rc 3
check_that "no site created" test ! -e fresh
end

begin "two files claiming one name@version are both rejected, naming each other"
mkdir dup
cp pkgs/hello-1.0.0.ferrpkg dup/a.ferrpkg
mkpkg ferrpkg run.wasm dup/b.ferrpkg --set description='"another"'
mkpkg ferrpkg run.wasm dup/c.ferrpkg --set version='"1.0.0+build.7"'
mkpkg ferrpkg run.wasm dup/d.ferrpkg --set version='"1.0.1"'
run wharf-index build dup -o dupsite
check_rc 5
check_err <<'EOF'
wharf-index build: dup/a.ferrpkg: 'hello@1.0.0' is also claimed by 'dup/b.ferrpkg' and 1 other file
wharf-index build: dup/b.ferrpkg: 'hello@1.0.0' is also claimed by 'dup/a.ferrpkg' and 1 other file
wharf-index build: dup/c.ferrpkg: 'hello@1.0.0+build.7' is also claimed by 'dup/a.ferrpkg' as 'hello@1.0.0' and 1 other file
wharf-index build: rejected 3 of 4 packages
EOF
check_that "1.0.1 indexed" grep -q '"versions":{"1.0.1":' dupsite/index.json
end

# Trust: alice's key is trusted, bob's is not; the PAR's issuer is listed.
mkdir tk trust
wharf-index keygen -W -p tk/alice.pub -s alice.key >/dev/null
wharf-index keygen -W -p bob.pub -s bob.key >/dev/null
bob=$(sed -n 's/^untrusted comment: minisign public key //p' bob.pub)
alice=$(sed -n 's/^untrusted comment: minisign public key //p' tk/alice.pub)
cp pkgs/* trust/
mkpkg ferrpkg run.wasm trust/world.ferrpkg --set name='"world"'
wharf-index sign -s alice.key trust/hello-1.0.0.ferrpkg
wharf-index sign -s bob.key trust/world.ferrpkg
printf '# trusted issuers\n\n  %s  # the test account\n' "$issuer" >issuers

begin "trust: verified, untrusted, unsigned; signatures copied along"
run wharf-index build trust -o tsite -k tk -i issuers -q
check_rc 0
check_empty_err
run sh -c 'grep -o "\"signer\":{[^}]*}" tsite/index.json'
check_out <<EOF
"signer":{"key_id":"$issuer","status":"verified"}
"signer":{"status":"unsigned"}
"signer":{"key_id":"$alice","status":"verified"}
"signer":{"key_id":"$bob","status":"untrusted"}
EOF
check_that "hello's .minisig" cmp -s trust/hello-1.0.0.ferrpkg.minisig tsite/packages/hello@1.0.0.ferrpkg.minisig
check_that "world's .minisig" cmp -s trust/world.ferrpkg.minisig tsite/packages/world@1.0.0.ferrpkg.minisig
end

begin "--require-signatures rejects what is not verified, exit 4"
run wharf-index build trust -o tsite -k tk -i issuers --require-signatures -q
check_rc 4
check_err <<EOF
wharf-index build: trust/fmt-md.zip: not signed, and signatures are required
wharf-index build: trust/world.ferrpkg: signed by key $bob, which is not a trusted key
wharf-index build: rejected 2 of 4 packages
EOF
run wharf-index build trust -o tsite -k tk --require-signatures -q
check_rc 4
check_err_has "wharf-index build: trust/pay.par.gz: issuer '$issuer' is not a trusted issuer"
check_that "world and its signature pruned" test ! -e tsite/packages/world@1.0.0.ferrpkg -a ! -e tsite/packages/world@1.0.0.ferrpkg.minisig
end

begin "a trusted key's signature that does not verify rejects the package"
cp trust/hello-1.0.0.ferrpkg.minisig hello.sig
wharf-index sign -s alice.key -x trust/hello-1.0.0.ferrpkg.minisig trust/world.ferrpkg
run wharf-index build trust -o tsite -k tk -q
check_rc 4
check_err <<'EOF'
wharf-index build: trust/hello-1.0.0.ferrpkg.minisig: signature verification failed
wharf-index build: rejected 1 of 4 packages
EOF
echo "garbage" >trust/hello-1.0.0.ferrpkg.minisig
run wharf-index build trust -o tsite -k tk -q
check_rc 3
check_err_has "wharf-index build: trust/hello-1.0.0.ferrpkg.minisig:1:"
cp hello.sig trust/hello-1.0.0.ferrpkg.minisig
end

begin "bad trust lists stop the build before anything is read"
printf '%s\nADBNS7HPBFBRPNDCARMW6EIB6VRJCBZLQDGH32IK6PB4PX57E3WYFRU7\n' "$issuer" >bad-issuers
run wharf-index build trust -o tsite2 -i bad-issuers
check_rc 3
check_err <<'EOF'
wharf-index build: bad-issuers:2:1: invalid nkey checksum
EOF
mkpar keys.par --seed t1100 --print-keys | cut -d' ' -f2 >svc-issuers
run wharf-index build trust -o tsite2 -i svc-issuers
check_rc 3
check_err <<'EOF'
wharf-index build: svc-issuers:1:1: not an account key
EOF
mkdir badkeys
echo "not a key" >badkeys/x.pub
run wharf-index build trust -o tsite2 -k badkeys
check_rc 3
check_err_has "wharf-index build: badkeys/x.pub:"
check_that "nothing written" test ! -e tsite2
end

begin "the real PAR (libwascc_redis) is indexed"
mkdir real
cp "$FIXTURES/libwascc_redis.par.gz" real/
run wharf-index build real -o realsite -q
check_rc 0
check_empty_err
check_that "redis 0.0.0" grep -q '"modules":{"redis":{"versions":{"0.0.0":{' realsite/index.json
check_that "its path" test -f realsite/packages/redis@0.0.0.par.gz
end

begin "content, not the name, makes a package; links are not followed"
mkdir odd
cp pkgs/hello-1.0.0.ferrpkg odd/hello.bin
echo "notes" >odd/notes.txt
ln -s ../pkgs/fmt-md.zip odd/link.zip
run wharf-index build odd -o oddsite -q
check_rc 3
check_err <<'EOF'
wharf-index build: odd/link.zip: symbolic link not followed
wharf-index build: rejected 1 of 2 packages
EOF
check_that "hello.bin indexed" test -f oddsite/packages/hello@1.0.0.ferrpkg
end

begin "a package removed from PKGDIR leaves the site"
rm one/hello-1.0.0.ferrpkg
mkpkg ferrpkg run.wasm one/other.ferrpkg --set name='"other"'
run wharf-index build one -o site1 -q
check_rc 0
run sh -c 'cd site1/packages && find . | LC_ALL=C sort'
check_out <<'EOF'
.
./other@1.0.0.ferrpkg
EOF
end

begin "a site signed by another key is not built over, exit 4"
wharf-index keygen -W -p k2.pub -s k2.key >/dev/null
k2=$(sed -n 's/^untrusted comment: minisign public key //p' k2.pub)
run wharf-index build pkgs -o site -s k2.key
check_rc 4
check_err <<EOF
wharf-index build: site/index.json.minisig: previous index: signature key id $id does not match public key $k2
EOF
end

begin "a failed write never leaves a signed index naming missing files"
# Fail the 1st, 2nd, ... write, fsync or rename until a build succeeds.
# After each failure, whenever index.json's signature verifies, every
# package it names is in place (index.json.gz, written before index.json,
# may be ahead of it: readers check it against the signature too, and the
# old index may have expired).
cp -R site faulty
n=1
while [ $n -lt 80 ]; do
    WHARF_FS_FAULT=$n SOURCE_DATE_EPOCH= wharf-index build trust -o faulty -k tk -q \
        >/dev/null 2>"$T/.ferr"
    frc=$?
    if minisign -Vm faulty/index.json -p repo.pub >/dev/null 2>&1; then
        wharf-index verify faulty -p repo.pub -q 2>&1 |
            grep -v "expired on\|index.json.gz: does not hold" >"$T/.verr"
        [ -s "$T/.verr" ] && fail "fault $n: $(cat "$T/.verr")"
    fi
    [ $frc = 0 ] && break
    [ $frc = 1 ] || fail "fault $n: exit $frc: $(cat "$T/.ferr")"
    grep -q "Input/output error" "$T/.ferr" || fail "fault $n: $(cat "$T/.ferr")"
    n=$((n + 1))
done
check_that "some faults fired, then a run succeeded" test $n -gt 10 -a $n -lt 80
run wharf-index verify faulty -p repo.pub -q
check_rc 0
check_empty_err
end

finish
