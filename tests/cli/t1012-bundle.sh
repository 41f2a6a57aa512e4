#!/bin/sh
# t1012-bundle.sh - plugin bundles (common/pkg_bundle.c) end to end: zips
# written by tests/tools/mkpkg (libarchive, fixed times, so every byte is
# repeatable) around a module assembled with wat2wasm, then broken one
# thing at a time: the entries (missing, doubled, unsafe, links, nested
# module), the manifest (errors at plugin.toml:line:col), the module
# (wasmrt's reason), tampered and truncated bytes.  Each is read by
# tests/tools/wh-pkg, which prints the package as the indexer gets it, or
# the error and the exit status (3 malformed, docs/exit-codes.md).
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1

cat >m.wat <<'EOF'
(module
  (import "host" "emit" (func (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "parse") (param i32 i32) (result i32) local.get 1))
EOF
cat >bad.wat <<'EOF'
(module (func (result i32) (i64.const 1)))
EOF
wat2wasm m.wat -o m.wasm || echo "FAIL: $suite: wat2wasm m.wat"
wat2wasm --no-check bad.wat -o bad.wasm || echo "FAIL: $suite: wat2wasm bad.wat"
WASM='{"exports":[{"kind":"memory","name":"memory","type":"1.."},{"kind":"func","name":"parse","type":"(i32 i32) -> (i32)"}],"imports":[{"kind":"func","module":"host","name":"emit","type":"(i32 i32) -> ()"}]}'

cat >plugin.toml <<'EOF'
# A CSV reader for the editor.
[plugin]
name = "csv-reader"
version = "0.3.1"
description = "reads CSV and TSV"
author = "Ada Lovelace"
license = "MIT OR Apache-2.0"
categories = ["formats"]
tags = ["tsv", "csv", "tsv"]
dependencies = { text-utils = "^1.2", "base" = ">=0.9, <2" }

[plugin.capabilities]
format_handler = true
extensions = [".csv", ".tsv"]

[plugin.config]
delimiter = ","
max_rows = 100_000
sample = 0.25
since = 2024-01-15
limits = { depth = 3, names = ["a", "b"] }
EOF
printf '# csv-reader\n' >README.md
printf 'package ada:csv;\n' >plugin.wit

# minimal NAME=VALUE...: a manifest with the required keys, then lines.
minimal() {
    printf '[plugin]\nname = "p"\nversion = "1.0.0"\ndescription = ""\n'
    printf 'author = ""\nlicense = ""\n'
    for l in "$@"; do printf '%s\n' "$l"; done
}
minimal >min.toml

# refuse DESCRIPTION STATUS MESSAGE MKPKG-ZIP-ARGUMENT...
# mkpkg zip x.zip with the arguments; wh-pkg must print nothing on stdout,
# exactly "wh-pkg: x.zip: MESSAGE" on stderr, and exit with STATUS.
refuse() {
    what=$1 status=$2 msg=$3
    shift 3
    begin "$what"
    mkpkg zip x.zip "$@" || fail "mkpkg zip $* failed"
    run wh-pkg x.zip
    check_rc "$status"
    check_out </dev/null
    check_err <<EOF
wh-pkg: x.zip: $msg
EOF
    end
}

# manifest DESCRIPTION MESSAGE TOML-LINE...: refuse a bundle whose
# plugin.toml is minimal + the lines (or, with -, only the lines).
manifest() {
    what=$1 msg=$2
    shift 2
    if [ "$1" = - ]; then shift; : >bad.toml; for l in "$@"; do printf '%s\n' "$l" >>bad.toml; done
    else minimal "$@" >bad.toml; fi
    refuse "$what" 3 "$msg" plugin.toml=bad.toml p.wasm=m.wasm
}

begin "a bundle: fields, digest, manifest tables as JSON, module description"
mkpkg zip good.zip plugin.toml=plugin.toml csv.wasm=m.wasm README.md=README.md \
    plugin.wit=plugin.wit examples/ examples/a.csv=README.md
SHA=$(sha256sum good.zip | cut -c1-64)
SIZE=$(wc -c <good.zip | tr -d ' ')
run wh-pkg good.zip
check_rc 0
check_empty_err
check_out <<EOF
{"kind":"bundle","name":"csv-reader","record":{"author":"Ada Lovelace","categories":["formats"],"dependencies":{"base":">=0.9, <2","text-utils":"^1.2"},"description":"reads CSV and TSV","kind":"bundle","license":"MIT OR Apache-2.0","plugin":{"capabilities":{"extensions":[".csv",".tsv"],"format_handler":true},"config":{"delimiter":",","limits":{"depth":3,"names":["a","b"]},"max_rows":100000,"sample":"0.25","since":"2024-01-15"},"readme":true,"wasm":"csv.wasm","wit":true},"sha256":"$SHA","size":$SIZE,"tags":["csv","tsv"],"wasm":$WASM},"sha256":"$SHA","size":$SIZE,"version":"0.3.1"}
EOF
end

begin "the smallest bundle: manifest and module, deflated or stored"
mkpkg zip min.zip plugin.toml=min.toml p.wasm=m.wasm
mkpkg zip mins.zip plugin.toml=min.toml p.wasm=m.wasm --store
run wh-pkg min.zip mins.zip
check_rc 0
check_empty_err
SHA=$(sha256sum min.zip | cut -c1-64) SHAS=$(sha256sum mins.zip | cut -c1-64)
SIZE=$(wc -c <min.zip | tr -d ' ') SIZES=$(wc -c <mins.zip | tr -d ' ')
check_out <<EOF
{"kind":"bundle","name":"p","record":{"author":"","categories":[],"dependencies":{},"description":"","kind":"bundle","license":"","plugin":{"capabilities":{},"config":{},"readme":false,"wasm":"p.wasm","wit":false},"sha256":"$SHA","size":$SIZE,"tags":[],"wasm":$WASM},"sha256":"$SHA","size":$SIZE,"version":"1.0.0"}
{"kind":"bundle","name":"p","record":{"author":"","categories":[],"dependencies":{},"description":"","kind":"bundle","license":"","plugin":{"capabilities":{},"config":{},"readme":false,"wasm":"p.wasm","wit":false},"sha256":"$SHAS","size":$SIZES,"tags":[],"wasm":$WASM},"sha256":"$SHAS","size":$SIZES,"version":"1.0.0"}
EOF
end

# --- entries --------------------------------------------------------------
refuse "no manifest" 3 "no plugin.toml at the root of the bundle" p.wasm=m.wasm
refuse "a manifest only in a folder" 3 "no plugin.toml at the root of the bundle" \
    sub/plugin.toml=min.toml p.wasm=m.wasm
refuse "no module" 3 "no .wasm module at the root of the bundle" \
    plugin.toml=min.toml README.md=README.md
refuse "two modules" 3 "two modules, 'a.wasm' and 'b.wasm': a bundle holds exactly one" \
    plugin.toml=min.toml a.wasm=m.wasm b.wasm=m.wasm
refuse "a module in a folder" 3 "entry 'lib/p.wasm': the module must be at the root of the bundle" \
    plugin.toml=min.toml lib/p.wasm=m.wasm
refuse "the same entry twice" 3 "duplicate entry 'p.wasm'" \
    plugin.toml=min.toml p.wasm=m.wasm p.wasm=bad.wasm
refuse "an entry that climbs out" 3 "unsafe entry: path '../../.bashrc' has a '..' component" \
    plugin.toml=min.toml p.wasm=m.wasm ../../.bashrc=README.md
refuse "an absolute entry" 3 "unsafe entry: absolute path '/etc/cron.d/x'" \
    plugin.toml=min.toml p.wasm=m.wasm /etc/cron.d/x=README.md
refuse "a backslash path that climbs out (zip readers take \\ as /)" 3 \
    "unsafe entry: path '../x' has a '..' component" \
    plugin.toml=min.toml p.wasm=m.wasm '..\x=README.md'
refuse "a symbolic link" 3 "entry 'README.md' is a symbolic link" \
    plugin.toml=min.toml p.wasm=m.wasm README.md@/etc/passwd
refuse "a module that does not validate" 3 "entry 'p.wasm': offset 0x1a: type mismatch" \
    plugin.toml=min.toml p.wasm=bad.wasm

# --- the manifest ------------------------------------------------------------
manifest "a manifest without [plugin]" "plugin.toml: missing key 'plugin'" - 'name = "x"'
manifest "a required key missing" "plugin.toml:1:1: missing key 'plugin.license'" - \
    '[plugin]' 'name = "p"' 'version = "1.0.0"' 'description = ""' 'author = ""'
manifest "a required key of the wrong type" "plugin.toml:3:11: 'plugin.version' must be a string" - \
    '[plugin]' 'name = "p"' 'version = 1'
manifest "a bad module name" "plugin.toml:2:8: module name 'my plugin' contains ' '" - \
    '[plugin]' 'name = "my plugin"'
manifest "a version that is not strict SemVer" \
    "plugin.toml:3:11: version '1.2.3.4' is not SemVer 2.0.0: unexpected '.' after patch version" - \
    '[plugin]' 'name = "p"' 'version = "1.2.3.4"'
manifest "a TOML syntax error" "plugin.toml:3:11: expected a value" - \
    '[plugin]' 'name = "p"' 'version = '
manifest "a key defined twice" "plugin.toml:3:1: duplicate key 'plugin.name'" - \
    '[plugin]' 'name = "p"' 'name = "q"'
manifest "a tag that is not a string" "plugin.toml:7:14: 'plugin.tags[1]' must be a string" \
    'tags = ["a", 2]'
manifest "a dependency that is not a module name" \
    "plugin.toml:8:6: dependency: module name '_x' must start with a letter or digit" \
    '[plugin.dependencies]' '_x = "1"'
manifest "a dependency requirement in npm syntax" \
    "plugin.toml:7:31: dependency 'b': requirement '1.x || 2': unexpected '|' in cargo requirement" \
    'dependencies = { a = "1", b = "1.x || 2" }'
manifest "capabilities that are not a table" \
    "plugin.toml:7:16: 'plugin.capabilities' must be a table" 'capabilities = ["x"]'

# --- tampering and truncation ------------------------------------------------
# Offsets of the manifest and module data in the stored zip.  The CRC-32
# values below were computed independently (Python's zlib.crc32).
mkpkg zip s.zip plugin.toml=min.toml p.wasm=m.wasm --store
at_toml=$(grep -obUa 'version = "1.0.0"' s.zip | cut -d: -f1)
at_wasm=$(grep -obUa 'parse' s.zip | head -1 | cut -d: -f1)
size=$(wc -c <s.zip | tr -d ' ')
begin "the stored zip holds the manifest and module bytes as they are"
check_that "manifest text found" [ -n "$at_toml" ]
check_that "module bytes found" [ -n "$at_wasm" ]
end

refuse "a tampered byte in the manifest (CRC-32)" 3 \
    "entry 'plugin.toml': ZIP bad CRC: 0x38f47c3c should be 0xe07c3f46" \
    plugin.toml=min.toml p.wasm=m.wasm --store --flip $((at_toml + 11))
refuse "a tampered byte in the module (CRC-32)" 3 \
    "entry 'p.wasm': ZIP bad CRC: 0xc2f2352f should be 0xfd7add7e" \
    plugin.toml=min.toml p.wasm=m.wasm --store --flip $((at_wasm + 1))
refuse "a tampered byte in deflated data" 3 \
    "entry 'plugin.toml': ZIP decompression failed (-3)" \
    plugin.toml=plugin.toml p.wasm=m.wasm --flip 80
refuse "truncated by one byte (no end of central directory)" 3 \
    "not a readable zip archive: Unrecognized archive format" \
    plugin.toml=min.toml p.wasm=m.wasm --store --truncate -1
refuse "truncated in the middle of the module" 3 \
    "not a readable zip archive: Unrecognized archive format" \
    plugin.toml=min.toml p.wasm=m.wasm --store --truncate $((at_wasm + 2))

begin "every prefix of a good bundle is refused"
n=4 bad=0
while [ $n -lt "$size" ]; do
    head -c $n s.zip >p.zip
    if wh-pkg p.zip >/dev/null 2>&1; then bad=$((bad + 1)); echo "prefix $n accepted"; fi
    n=$((n + 1))
done
check_that "no prefix accepted" [ $bad = 0 ]
end

finish
