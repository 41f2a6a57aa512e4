#!/bin/sh
# t2022-wharf-pack.sh - wharf pack and wharf verify-package: a .ferrpkg
# byte for byte (header keys in Ferrite's order, Ferrite's checksum equal
# to the reference vector computed independently in Python), the round
# trip pack -> wharf-index build -> wharf install, manifests and modules
# refused with exact messages (nothing written), -s signatures checked
# by the real minisign, plugin bundles (--zip) read back, listed by unzip
# and indexed, and verify-package on good, unsigned, untrusted, tampered
# and missing files, with the exit statuses of docs/exit-codes.md.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# The module of t1011-ferrpkg.sh (an import and an export of every kind),
# and one that decodes but does not validate.
cat >m.wat <<'EOF'
(module
  (import "env" "log" (func (param i32 i64) (result f32)))
  (import "env" "tab" (table 0 externref))
  (import "env" "g" (global (mut i32)))
  (table (export "t") 1 10 funcref)
  (global (export "answer") i64 (i64.const 42))
  (func (export "run"))
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (memory (export "heap") 1 2))
EOF
echo '(module (func (result i32) (i64.const 1)))' >bad.wat
wat2wasm m.wat -o m.wasm || echo "FAIL: $suite: wat2wasm m.wat"
wat2wasm --no-check bad.wat -o bad.wasm || echo "FAIL: $suite: wat2wasm bad.wat"
# Ferrite's checksum of m.wasm: the reference vector (t1011-ferrpkg.sh).
SUM=ee1cbf87e8e8045a573eec53495d4d9d
SHA=$(sha256sum m.wasm | cut -c1-64)
SIZE=$(wc -c <m.wasm | tr -d ' ')
wharf-index keygen -W -p pub.pub -s pub.key >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
KEYID=$(sed -n 's/^untrusted comment: minisign public key //p' pub.pub)
OTHERID=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)

mkdir src
cp m.wasm src/hello.wasm
cat >src/ferrite-plugin.toml <<'EOF'
# as Ferrite's ModuleManifest reads it; keys it does not know are ignored
[module]
name = "hello"
version = "1.0.0"
author = "Ada"
description = "a \"test\" module"
license = "MIT"
categories = ["tools", "formats"]
tags = ["demo", "demo"]
min_ferrite_version = "0.3.0"
entry = "hello.wasm"

[dependencies]
zeta = "^1.2"
base = "~1"
EOF

# u32le N: N as four little-endian bytes.
u32le() {
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) \
        $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"
}

begin "pack: NAME-VERSION.ferrpkg, byte for byte as Ferrite writes it"
run wharf pack src/hello.wasm -o out
check_rc 0
HDR='{"name":"hello","version":"1.0.0","author":"Ada","description":"a \"test\" module","license":"MIT","checksum":"'$SUM'","wasm_size":'$SIZE',"sha256":"'$SHA'","categories":["formats","tools"],"tags":["demo"],"dependencies":{"base":"~1","zeta":"^1.2"},"min_ferrite_version":"0.3.0"}'
{ printf FPKG; u32le ${#HDR}; printf '%s' "$HDR"; cat m.wasm; } >want.ferrpkg
check_that "the exact bytes" cmp want.ferrpkg out/hello-1.0.0.ferrpkg
FSHA=$(sha256sum want.ferrpkg | cut -c1-64)
FSIZE=$(wc -c <want.ferrpkg | tr -d ' ')
check_out <<EOF
wrote out/hello-1.0.0.ferrpkg: hello 1.0.0, $FSIZE bytes, sha256 $FSHA
EOF
check_empty_err
check_that "no signature" test ! -e out/hello-1.0.0.ferrpkg.minisig
end

begin "pack again: the same bytes"
run wharf pack src/hello.wasm -o out2 -q
check_rc 0
check_out </dev/null
check_that "identical" cmp out/hello-1.0.0.ferrpkg out2/hello-1.0.0.ferrpkg
end

begin "verify-package: what it is, unsigned"
run wharf verify-package out/hello-1.0.0.ferrpkg
check_rc 0
check_out <<EOF
verified out/hello-1.0.0.ferrpkg: hello 1.0.0 (ferrpkg, $FSIZE bytes)
  sha256:    $FSHA
  checksum:  $SUM (fnv1a-double)
  wasm:      3 imports, 5 exports
  signature: none (no out/hello-1.0.0.ferrpkg.minisig)
EOF
check_empty_err
end

begin "verify-package --require-signature refuses it (exit 4)"
run wharf verify-package --require-signature out/hello-1.0.0.ferrpkg
check_rc 4
check_out </dev/null
check_err <<'EOF'
wharf verify-package: out/hello-1.0.0.ferrpkg: not signed (no out/hello-1.0.0.ferrpkg.minisig)
EOF
end

begin "pack -s: a .minisig the real minisign verifies"
SOURCE_DATE_EPOCH=1700000000 run wharf pack src/hello.wasm -o signed -s pub.key
check_rc 0
check_out <<EOF
wrote signed/hello-1.0.0.ferrpkg: hello 1.0.0, $FSIZE bytes, sha256 $FSHA
signed signed/hello-1.0.0.ferrpkg.minisig with key $KEYID
EOF
run minisign -Vm signed/hello-1.0.0.ferrpkg -p pub.pub
check_rc 0
check_out <<'EOF'
Signature and comment signature verified
Trusted comment: timestamp:1700000000	file:hello-1.0.0.ferrpkg	hashed
EOF
run minisign -Vm signed/hello-1.0.0.ferrpkg -p other.pub
check_rc 1
end

begin "verify-package with -p: the signature and its trusted comment"
run wharf verify-package signed/hello-1.0.0.ferrpkg -p pub.pub
check_rc 0
check_out <<EOF
verified signed/hello-1.0.0.ferrpkg: hello 1.0.0 (ferrpkg, $FSIZE bytes)
  sha256:    $FSHA
  checksum:  $SUM (fnv1a-double)
  wasm:      3 imports, 5 exports
  signature: key $KEYID, trusted comment 'timestamp:1700000000\x09file:hello-1.0.0.ferrpkg\x09hashed'
EOF
end

begin "verify-package: a key nobody trusts (exit 4), then the trusted one of wharf trust"
run wharf verify-package signed/hello-1.0.0.ferrpkg
check_rc 4
check_err <<EOF
wharf verify-package: signed/hello-1.0.0.ferrpkg.minisig: signed by key $KEYID, which is not trusted (-p KEY.pub, or wharf trust add KEY.pub)
EOF
run wharf verify-package signed/hello-1.0.0.ferrpkg -p other.pub
check_rc 4
wharf trust add pub.pub -q
run wharf verify-package signed/hello-1.0.0.ferrpkg -q
check_rc 0
check_out </dev/null
check_empty_err
end

begin "verify-package --json"
run wharf verify-package --json signed/hello-1.0.0.ferrpkg
check_rc 0
check_out_has '{"kind":"ferrpkg","name":"hello","path":"signed/hello-1.0.0.ferrpkg","record":{"author":"Ada","categories":["formats","tools"],"dependencies":{"base":"~1","zeta":"^1.2"},'
check_out_has '"signature":{"key_id":"'$KEYID'","trusted_comment":"timestamp:1700000000\tfile:hello-1.0.0.ferrpkg\thashed"},"size":'$FSIZE',"version":"1.0.0"}'
end

begin "verify-package: a tampered module byte (exit 4), signed and not"
cp out/hello-1.0.0.ferrpkg t.ferrpkg
printf 'X' | dd of=t.ferrpkg bs=1 seek=$((FSIZE - 3)) conv=notrunc 2>/dev/null
run wharf verify-package t.ferrpkg
check_rc 4
check_out </dev/null
check_err_has "wharf verify-package: t.ferrpkg: offset 0x$(printf %x $((FSIZE - SIZE))): checksum mismatch: header says $SUM, the module hashes to "
cp signed/hello-1.0.0.ferrpkg.minisig t.ferrpkg.minisig
run wharf verify-package t.ferrpkg
check_rc 4
check_err <<'EOF'
wharf verify-package: t.ferrpkg.minisig: signature verification failed
EOF
end

begin "verify-package: several files, the status of the first failure; a missing one is 6"
run wharf verify-package -q nothere.ferrpkg out/hello-1.0.0.ferrpkg t.ferrpkg
check_rc 6
check_err <<'EOF'
wharf verify-package: nothere.ferrpkg: cannot open: No such file or directory
wharf verify-package: t.ferrpkg.minisig: signature verification failed
EOF
run wharf verify-package
check_rc 2
end

begin "verify-package: a PAR names its issuer and subject"
mkpar x.par --seed t
run wharf verify-package x.par
check_rc 0
check_out <<EOF
verified x.par: fake-payments 0.0.0 (par, $(wc -c <x.par | tr -d ' ') bytes)
  sha256:    $(sha256sum x.par | cut -c1-64)
  issuer:    AACZOWNXW2VDJUFV6APD7Z4J5IPBU4UO2C7CH4KGXMG7KYEPP53XQAAV
  subject:   VDWNZXJEMAYEQUSHQOQOTYYD5HVP2T4O2AJYIPVH2CKW2JABGNZKCZVE
  signature: none (no x.par.minisig)
EOF
end

# refuse DESCRIPTION STATUS MESSAGE MANIFEST-TEXT: wharf pack of m.wasm
# with that manifest fails with exactly "wharf pack: MESSAGE" and writes
# nothing.
refuse() {
    begin "$1"
    printf '%s\n' "$4" >bad.toml
    run wharf pack m.wasm --manifest bad.toml -o refused
    check_rc "$2"
    check_out </dev/null
    check_err <<EOF
wharf pack: $3
EOF
    check_that "nothing written" test ! -e refused
    end
}
ID='[module]
name = "hello"
version = "1.0.0"
author = "Ada"
description = "d"'
refuse "a manifest without [module] (exit 3)" 3 \
    "bad.toml: missing key 'module'" '[package]'
refuse "a required key missing" 3 \
    "bad.toml:1:1: missing key 'module.license'" "$ID"
refuse "a version that is not a string" 3 \
    "bad.toml:3:11: 'module.version' must be a string" \
    '[module]
name = "hello"
version = 1'
refuse "a version that is not SemVer" 3 \
    "bad.toml:3:11: module.version '1.0' is not SemVer 2.0.0: missing patch version" \
    '[module]
name = "hello"
version = "1.0"'
refuse "a name that cannot be a module name" 3 \
    "bad.toml:2:8: module name 'a/b' contains '/'" \
    '[module]
name = "a/b"'
refuse "tags that are not strings" 3 \
    "bad.toml:7:14: 'module.tags[1]' must be a string" "$ID
license = \"MIT\"
tags = [\"a\", 2]"
refuse "a bad dependency requirement" 3 \
    "bad.toml:8:8: dependency 'base': requirement '^^1': invalid character '^' in major version" "$ID
license = \"MIT\"
[dependencies]
base = \"^^1\""
refuse "not TOML at all" 3 \
    "bad.toml:1:8: expected ']' after table name" '[module'

begin "a module that does not validate (exit 3), nothing written"
run wharf pack bad.wasm --manifest src/ferrite-plugin.toml -o refused
check_rc 3
check_err <<'EOF'
wharf pack: bad.wasm: not a valid module: offset 0x1a: type mismatch
EOF
check_that "nothing written" test ! -e refused
end

begin "usage and missing files"
run wharf pack
check_rc 2
check_err <<'EOF'
wharf pack: no module given
try 'wharf pack --help'
EOF
run wharf pack m.wasm
check_rc 6
check_err <<'EOF'
wharf pack: ferrite-plugin.toml: cannot open: No such file or directory
EOF
run wharf pack m.wasm --wit x.wit
check_rc 2
end

# --- plugin bundles ------------------------------------------------------

mkdir zsrc
cp m.wasm zsrc/csv.wasm
cat >zsrc/plugin.toml <<'EOF'
[plugin]
name = "csv"
version = "0.3.1"
description = "reads CSV"
author = "Ada"
license = "MIT"
tags = ["csv"]

[plugin.capabilities]
format_handler = true
EOF
printf '# csv\n' >zsrc/README.md
printf 'package ada:csv;\n' >zsrc/plugin.wit

begin "pack --zip: plugin.toml, NAME.wasm, plugin.wit and README.md beside it"
run wharf pack --zip --manifest zsrc/plugin.toml -o zout
check_rc 0
ZSHA=$(sha256sum zout/csv-0.3.1.zip | cut -c1-64)
ZSIZE=$(wc -c <zout/csv-0.3.1.zip | tr -d ' ')
check_out <<EOF
wrote zout/csv-0.3.1.zip: csv 0.3.1, $ZSIZE bytes, sha256 $ZSHA
EOF
run unzip -Z1 zout/csv-0.3.1.zip
check_out <<'EOF'
plugin.toml
csv.wasm
plugin.wit
README.md
EOF
run unzip -tq zout/csv-0.3.1.zip
check_rc 0
unzip -p zout/csv-0.3.1.zip csv.wasm >got.wasm
check_that "the module inside" cmp got.wasm m.wasm
end

begin "pack --zip again, from another folder and time zone: the same bytes"
(cd zsrc && TZ=Asia/Tokyo wharf pack --zip csv.wasm -o ../zout2 -q)
check_that "identical" cmp zout/csv-0.3.1.zip zout2/csv-0.3.1.zip
end

begin "verify-package reads the bundle back"
run wharf verify-package zout/csv-0.3.1.zip
check_rc 0
check_out <<EOF
verified zout/csv-0.3.1.zip: csv 0.3.1 (bundle, $ZSIZE bytes)
  sha256:    $ZSHA
  module:    entry csv.wasm
  wasm:      3 imports, 5 exports
  signature: none (no zout/csv-0.3.1.zip.minisig)
EOF
end

begin "pack --zip: a manifest error the bundle reader finds, at the manifest's place"
cp m.wasm csv.wasm
printf '[plugin]\nname = "csv"\nversion = "0.3.1"\ndescription = "d"\nauthor = "A"\nlicense = "M"\ncategories = "x"\n' >plugin.toml
run wharf pack --zip -o refused
check_rc 3
check_err <<'EOF'
wharf pack: plugin.toml:7:14: 'plugin.categories' must be an array
EOF
check_that "nothing written" test ! -e refused
printf '[plugin]\nname = "csv"\n' >plugin.toml
run wharf pack --zip
check_rc 3
check_err <<'EOF'
wharf pack: plugin.toml:1:1: missing key 'plugin.version'
EOF
end

begin "pack --zip -s: signed, and minisign agrees"
run wharf pack --zip -m zsrc/plugin.toml -o zsigned -s pub.key -q
check_rc 0
run minisign -Vqm zsigned/csv-0.3.1.zip -p pub.pub
check_rc 0
end

# --- the round trip -----------------------------------------------------

begin "pack -> wharf-index build -> wharf install: the module and manifest in place"
mkdir pkgs
printf '[module]\nname = "base"\nversion = "1.4.0"\nauthor = "A"\ndescription = "b"\nlicense = "MIT"\n' >base.toml
wharf pack m.wasm -m base.toml -o pkgs -s pub.key -q
printf '[module]\nname = "zeta"\nversion = "1.2.0"\nauthor = "A"\ndescription = "z"\nlicense = "MIT"\n' >zeta.toml
wharf pack m.wasm -m zeta.toml -o pkgs -s pub.key -q
cp signed/hello-1.0.0.ferrpkg* zsigned/csv-0.3.1.zip* pkgs/
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
run wharf-index build pkgs -o site -s repo.key --trusted-keys . -q --no-catalogue
check_rc 0
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
wharf update -q
run wharf install hello csv
check_rc 0
check_out <<'EOF'
install base 1.4.0 (main)
install csv 0.3.1 (main)
install zeta 1.2.0 (main)
install hello 1.0.0 (main)
installed 4
EOF
mods="$WHARF_HOME/modules"
check_that "hello's module" cmp "$mods/hello/1.0.0/module.wasm" m.wasm
check_that "csv's module" cmp "$mods/csv/0.3.1/csv.wasm" m.wasm
check_that "csv's manifest" cmp "$mods/csv/0.3.1/plugin.toml" zsrc/plugin.toml
run cat "$mods/hello/1.0.0/ferrite-plugin.toml"
check_out <<'EOF'
[module]
name = "hello"
version = "1.0.0"
author = "Ada"
description = "a \"test\" module"
license = "MIT"
categories = ["formats", "tools"]
tags = ["demo"]
min_ferrite_version = "0.3.0"

[dependencies]
"base" = "~1"
"zeta" = "^1.2"
EOF
end

finish
