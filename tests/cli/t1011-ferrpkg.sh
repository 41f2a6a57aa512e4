#!/bin/sh
# t1011-ferrpkg.sh - Ferrite .ferrpkg packages (common/pkg_ferrpkg.c) end to
# end: modules assembled with wat2wasm, packages written by
# tests/tools/mkpkg as Ferrite writes them, then broken one thing at a time
# (header keys, sizes, checksums, tampered and truncated bytes, invalid
# modules), each read by tests/tools/wh-pkg, which prints the package as
# the indexer gets it (and its warnings), or the error and the exit status
# (3 malformed, 4 verification failed, 6 not found: docs/exit-codes.md).
# The checksum's two forms (32 digits: Ferrite's double FNV-1a; 64: the
# module's SHA-256, accepted with a warning) are also taken through
# wharf-index build: the warning line, the status, the index record.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1

# A module with an import and an export of every kind, and one that
# decodes but does not validate (an i64 returned as an i32).
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
cat >bad.wat <<'EOF'
(module (func (result i32) (i64.const 1)))
EOF
wat2wasm m.wat -o m.wasm || echo "FAIL: $suite: wat2wasm m.wat"
wat2wasm --no-check bad.wat -o bad.wasm || echo "FAIL: $suite: wat2wasm bad.wat"

# Ferrite's checksum of m.wasm, computed independently (Python, from the
# issue's definition), as the tampered one below.
SUM=ee1cbf87e8e8045a573eec53495d4d9d
WASM='{"exports":[{"kind":"table","name":"t","type":"funcref 1..10"},{"kind":"global","name":"answer","type":"i64"},{"kind":"func","name":"run","type":"() -> ()"},{"kind":"func","name":"add","type":"(i32 i32) -> (i32)"},{"kind":"memory","name":"heap","type":"1..2"}],"imports":[{"kind":"func","module":"env","name":"log","type":"(i32 i64) -> (f32)"},{"kind":"table","module":"env","name":"tab","type":"externref 0.."},{"kind":"global","module":"env","name":"g","type":"mut i32"}]}'

# refuse DESCRIPTION STATUS MESSAGE MKPKG-OPTION...
# mkpkg x.ferrpkg from m.wasm with the options; wh-pkg must print nothing
# on stdout, exactly "wh-pkg: x.ferrpkg: MESSAGE" on stderr, and exit with
# STATUS.
refuse() {
    what=$1 status=$2 msg=$3
    shift 3
    begin "$what"
    mkpkg ferrpkg m.wasm x.ferrpkg "$@" || fail "mkpkg $* failed"
    run wh-pkg x.ferrpkg
    check_rc "$status"
    check_out </dev/null
    check_err <<EOF
wh-pkg: x.ferrpkg: $msg
EOF
    end
}

begin "a package as Ferrite writes it: fields, digest, record"
mkpkg ferrpkg m.wasm h.ferrpkg
SHA=$(sha256sum h.ferrpkg | cut -c1-64)
run wh-pkg h.ferrpkg
check_rc 0
check_empty_err
check_out <<EOF
{"kind":"ferrpkg","name":"hello","record":{"author":"Ada","categories":[],"dependencies":{},"description":"a test module","ferrite":{"checksum":"$SUM","checksum_algorithm":"fnv1a-double"},"kind":"ferrpkg","license":"MIT","sha256":"$SHA","size":300,"tags":[],"wasm":$WASM},"sha256":"$SHA","size":300,"version":"1.0.0"}
EOF
end

begin "the header Ferrite writes: FPKG, u32le length, compact JSON in its key order"
od -An -c -N 8 h.ferrpkg | tr -s ' ' >head.txt
run cat head.txt
check_out <<'EOF'
 F P K G 235 \0 \0 \0
EOF
dd if=h.ferrpkg bs=1 skip=8 count=157 2>/dev/null >hdr.json
run cat hdr.json
check_out_has "{\"name\":\"hello\",\"version\":\"1.0.0\",\"author\":\"Ada\",\"description\":\"a test module\",\"license\":\"MIT\",\"checksum\":\"$SUM\",\"wasm_size\":135}"
end

begin "wharf's extra keys: sha256 verified, labels sorted, dependencies, min_ferrite_version"
mkpkg ferrpkg m.wasm e.ferrpkg --sha256 --set 'tags=["zip","csv","zip"]' \
    --set 'categories=["formats"]' --set 'dependencies={"base":"^1.2","util-x":"~0.3, <0.3.9"}' \
    --set 'min_ferrite_version="0.4.0"' --set 'version="2.1.0-rc.1+build.7"' \
    --set 'future_key={"ignored":[1,2]}'
SHA=$(sha256sum e.ferrpkg | cut -c1-64)
SIZE=$(wc -c <e.ferrpkg | tr -d ' ')
run wh-pkg e.ferrpkg
check_rc 0
check_empty_err
check_out <<EOF
{"kind":"ferrpkg","name":"hello","record":{"author":"Ada","categories":["formats"],"dependencies":{"base":"^1.2","util-x":"~0.3, <0.3.9"},"description":"a test module","ferrite":{"checksum":"$SUM","checksum_algorithm":"fnv1a-double","min_ferrite_version":"0.4.0"},"kind":"ferrpkg","license":"MIT","sha256":"$SHA","size":$SIZE,"tags":["csv","zip"],"wasm":$WASM},"sha256":"$SHA","size":$SIZE,"version":"2.1.0-rc.1+build.7"}
EOF
end

# --- the checksum's sha256 form -------------------------------------------
# 64 hex digits are the module's SHA-256 (checked here against sha256sum):
# verified, recorded as such, and warned about, since a Ferrite that reads
# only its 32-digit checksum refuses the package.
MSHA=$(sha256sum m.wasm | cut -c1-64)
ESHA=$(printf '' | sha256sum | cut -c1-64)
WARN='checksum is a 64-digit sha256, which ferrite versions that verify only the 32-digit double fnv-1a checksum refuse'

begin "a 64-digit checksum is the module's sha256: accepted, with a warning"
mkpkg ferrpkg m.wasm s.ferrpkg --checksum sha256
SHA=$(sha256sum s.ferrpkg | cut -c1-64)
dd if=s.ferrpkg bs=1 skip=8 count=189 2>/dev/null >hdr.json
run cat hdr.json
check_out_has "\"checksum\":\"$MSHA\",\"wasm_size\":135}"
run wh-pkg s.ferrpkg
check_rc 0
check_out <<EOF
{"kind":"ferrpkg","name":"hello","record":{"author":"Ada","categories":[],"dependencies":{},"description":"a test module","ferrite":{"checksum":"$MSHA","checksum_algorithm":"sha256"},"kind":"ferrpkg","license":"MIT","sha256":"$SHA","size":332,"tags":[],"warnings":["$WARN"],"wasm":$WASM},"sha256":"$SHA","size":332,"version":"1.0.0"}
EOF
check_err <<EOF
wh-pkg: warning: s.ferrpkg: $WARN
EOF
end

begin "the sha256 form with wharf's sha256 key too: both verified, one warning"
mkpkg ferrpkg m.wasm s2.ferrpkg --checksum sha256 --sha256
run wh-pkg s2.ferrpkg
check_rc 0
check_out_has '"ferrite":{"checksum":"'"$MSHA"'","checksum_algorithm":"sha256"}'
check_out_has '"warnings":["'"$WARN"'"]'
check_err <<EOF
wh-pkg: warning: s2.ferrpkg: $WARN
EOF
end

# A module byte changed after the checksum was written: sha256sum of the
# changed module says what it hashes to.
mkpkg ferrpkg m.wasm t.ferrpkg --checksum sha256 --flip -3
TSHA=$(tail -c 135 t.ferrpkg | sha256sum | cut -c1-64)
refuse "a tampered module under a sha256 checksum" 4 \
    "offset 0xc5: sha256 checksum mismatch: header says $MSHA, the module hashes to $TSHA" \
    --checksum sha256 --flip -3
refuse "a sha256 checksum of other bytes" 4 \
    "offset 0xc5: sha256 checksum mismatch: header says $ESHA, the module hashes to $MSHA" \
    --set "checksum=\"$ESHA\""
UP=$(echo "$MSHA" | tr a-f A-F)
refuse "a sha256 checksum in upper case" 3 \
    "offset 0x72: checksum '$UP' is neither 32 lower-case hex digits (double fnv-1a) nor 64 (sha256)" \
    --set "checksum=\"$UP\""
refuse "a checksum of 63 digits" 3 \
    "offset 0x72: checksum '$(echo "$MSHA" | cut -c1-63)' is neither 32 lower-case hex digits (double fnv-1a) nor 64 (sha256)" \
    --set "checksum=\"$(echo "$MSHA" | cut -c1-63)\""
refuse "a checksum of 65 digits" 3 \
    "offset 0x72: checksum '${MSHA}0' is neither 32 lower-case hex digits (double fnv-1a) nor 64 (sha256)" \
    --set "checksum=\"${MSHA}0\""
refuse "a checksum of 33 digits" 3 \
    "offset 0x72: checksum '${SUM}0' is neither 32 lower-case hex digits (double fnv-1a) nor 64 (sha256)" \
    --set "checksum=\"${SUM}0\""

# --- the header -----------------------------------------------------------
refuse "a name that is not a module name" 3 \
    "offset 0x10: module name '../etc' must start with a letter or digit" \
    --set 'name="../etc"'
refuse "a name with a slash" 3 "offset 0x10: module name 'a/b' contains '/'" \
    --set 'name="a/b"'
refuse "a name of 65 characters" 3 \
    "offset 0x10: module name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is 65 bytes long, more than 64" \
    --set 'name="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"'
refuse "a version that is not strict SemVer" 3 \
    "offset 0x22: version '1.0' is not SemVer 2.0.0: missing patch version" \
    --set 'version="1.0"'
refuse "a missing required key" 3 "offset 0x8: header lacks required key 'license'" \
    --del license
refuse "a null required key" 3 "offset 0x33: header key 'author' must be a string, not null" \
    --set 'author=null'
refuse "wasm_size larger than the module" 3 \
    "offset 0xa5: wasm_size 136 does not match the 135 bytes present" \
    --set 'wasm_size=136'
refuse "wasm_size as a string" 3 \
    "offset 0xa1: header key 'wasm_size' must be a non-negative integer, not a string" \
    --set 'wasm_size="135"'
refuse "a checksum in upper case" 3 \
    "offset 0x72: checksum 'EE1CBF87E8E8045A573EEC53495D4D9D' is neither 32 lower-case hex digits (double fnv-1a) nor 64 (sha256)" \
    --set 'checksum="EE1CBF87E8E8045A573EEC53495D4D9D"'
refuse "a checksum that does not match" 4 \
    "offset 0xa5: checksum mismatch: header says 00000000000000000000000000000000, the module hashes to $SUM" \
    --set 'checksum="00000000000000000000000000000000"'
refuse "a sha256 that does not match" 4 \
    "offset 0xf1: sha256 mismatch: header says 0000000000000000000000000000000000000000000000000000000000000000, the module hashes to $(sha256sum m.wasm | cut -c1-64)" \
    --set 'sha256="0000000000000000000000000000000000000000000000000000000000000000"'
refuse "a dependency with a bad requirement" 3 \
    "offset 0xb4: dependency 'base': requirement '>>1': invalid character '>' in major version" \
    --set 'dependencies={"base":">>1"}'
refuse "a header that is not JSON" 3 "offset 0x13: header: string or '}' expected near end of file" \
    --header '{"name":"x",'
refuse "a header that is not an object" 3 "offset 0x8: header is an array, not a JSON object" \
    --header '["FPKG"]'
refuse "duplicate header keys" 3 "offset 0x19: header: duplicate object key near '\"name\"'" \
    --header '{"name":"a","name":"b"}'

# --- framing, tampering and truncation -------------------------------------
refuse "a header length past the end" 3 "offset 0x4: truncated: header length 4096 but only 292 bytes follow" \
    --header-len 4096
refuse "a header length over the 1 MiB cap" 3 "offset 0x4: header length 16777216 exceeds the limit of 1048576 bytes" \
    --header-len 16777216
refuse "truncated inside the header length" 3 "offset 0x6: truncated: the file ends inside the header length" \
    --truncate 6
refuse "truncated inside the header" 3 "offset 0x4: truncated: header length 157 but only 92 bytes follow" \
    --truncate 100
refuse "truncated by one byte" 3 "offset 0xa5: wasm_size 135 does not match the 134 bytes present" \
    --truncate -1
refuse "the module cut off entirely" 3 "offset 0xa5: wasm_size 135 does not match the 0 bytes present" \
    --truncate 165
refuse "truncated by one byte of the header" 3 "offset 0x4: truncated: header length 157 but only 156 bytes follow" \
    --truncate 164
refuse "a tampered byte in the module" 4 \
    "offset 0xa5: checksum mismatch: header says $SUM, the module hashes to 1ae38f04725d4d4d7633dcf938f9470a" \
    --flip -3
refuse "a tampered byte in the header" 3 \
    "offset 0x33: header: unable to decode byte 0xbe near '\"'" \
    --flip 52

begin "a module that does not validate: wasmrt's reason and offset in the module"
mkpkg ferrpkg bad.wasm x.ferrpkg
run wh-pkg x.ferrpkg
check_rc 3
check_out </dev/null
check_err <<'EOF'
wh-pkg: x.ferrpkg: wasm: offset 0x1a: type mismatch
EOF
end

begin "bytes that are not a module at all"
printf 'not wasm' >junk.bin
mkpkg ferrpkg junk.bin x.ferrpkg
run wh-pkg x.ferrpkg
check_rc 3
check_err <<'EOF'
wh-pkg: x.ferrpkg: wasm: offset 0x0: magic header not detected
EOF
end

begin "a file of no known format, an empty one, a missing one"
printf 'FPK' >short
: >empty
run wh-pkg short empty nope.ferrpkg
check_rc 6
check_out </dev/null
check_err <<'EOF'
wh-pkg: short: offset 0x0: not a .ferrpkg, PAR or plugin bundle (starts with 46 50 4b)
wh-pkg: empty: empty file
wh-pkg: nope.ferrpkg: cannot open: No such file or directory
EOF
end

begin "a file over the 512 MiB cap is refused before it is read"
cp h.ferrpkg big.ferrpkg
truncate -s 600M big.ferrpkg
run wh-pkg big.ferrpkg
check_rc 3
check_err <<'EOF'
wh-pkg: big.ferrpkg: file is 629145600 bytes, more than the limit of 536870912
EOF
rm -f big.ferrpkg
end

# --- through wharf-index build ---------------------------------------------
# The indexer prints each warning of an accepted package on stderr and
# keeps the exit status 0; the record in index.json names the algorithm
# and carries the warnings (only when there are some).
wharf-index keygen -W >/dev/null
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
mkdir pkgs bad
mkpkg ferrpkg m.wasm pkgs/hello-1.0.0.ferrpkg
mkpkg ferrpkg m.wasm pkgs/hello-2.0.0.ferrpkg --checksum sha256 --set 'version="2.0.0"'
mkpkg ferrpkg m.wasm bad/hello-3.0.0.ferrpkg --checksum sha256 --set 'version="3.0.0"' --flip -3
touch -d @1600000000 pkgs/*    # old enough for the cache (not "racy")
SHA1=$(sha256sum pkgs/hello-1.0.0.ferrpkg | cut -c1-64)
SHA2=$(sha256sum pkgs/hello-2.0.0.ferrpkg | cut -c1-64)
REC1='"1.0.0":{"author":"Ada","categories":[],"dependencies":{},"description":"a test module","ferrite":{"checksum":"'$SUM'","checksum_algorithm":"fnv1a-double"},"kind":"ferrpkg","license":"MIT","path":"packages/hello@1.0.0.ferrpkg","published":1700000000,"sha256":"'$SHA1'","signer":{"status":"unsigned"},"size":300,"tags":[],"wasm":'$WASM'}'
REC2='"2.0.0":{"author":"Ada","categories":[],"dependencies":{},"description":"a test module","ferrite":{"checksum":"'$MSHA'","checksum_algorithm":"sha256"},"kind":"ferrpkg","license":"MIT","path":"packages/hello@2.0.0.ferrpkg","published":1700000000,"sha256":"'$SHA2'","signer":{"status":"unsigned"},"size":332,"tags":[],"warnings":["'$WARN'"],"wasm":'$WASM'}'

begin "build: a sha256-form package is indexed, its warning printed, status 0"
run wharf-index build pkgs -o site
check_rc 0
check_out <<'EOF'
read 2 files, 0 unchanged
wrote 'site': 2 packages in 1 module, serial 1, expires 2024-02-12
catalogue: 6 files, 6 written
EOF
check_err <<EOF
wharf-index build: warning: pkgs/hello-2.0.0.ferrpkg: $WARN
EOF
check_that "1.0.0: fnv1a-double, no warnings" grep -qF "$REC1" site/index.json
check_that "2.0.0: sha256, the warning" grep -qF "$REC2" site/index.json
end

begin "build: an unchanged sha256-form package still warns (record from the cache)"
run wharf-index build pkgs -o site
check_rc 0
check_out_has "read 0 files, 2 unchanged"
check_err <<EOF
wharf-index build: warning: pkgs/hello-2.0.0.ferrpkg: $WARN
EOF
check_that "2.0.0 kept" grep -qF "$REC2" site/index.json
end

begin "build: a tampered module under a sha256 checksum is rejected, status 4"
run wharf-index build bad -o badsite
check_rc 4
check_err <<EOF
wharf-index build: bad/hello-3.0.0.ferrpkg: offset 0xc5: sha256 checksum mismatch: header says $MSHA, the module hashes to $TSHA
wharf-index build: rejected 1 of 1 package
EOF
check_that "nothing indexed" grep -qF '"modules":{}' badsite/index.json
end

begin "every prefix of a good package is refused"
n=0 bad=0
size=$(wc -c <h.ferrpkg | tr -d ' ')
while [ $n -lt "$size" ]; do
    head -c $n h.ferrpkg >p.ferrpkg
    if wh-pkg p.ferrpkg >/dev/null 2>&1; then bad=$((bad + 1)); echo "prefix $n accepted"; fi
    n=$((n + 1))
done
check_that "no prefix accepted" [ $bad = 0 ]
end

finish
