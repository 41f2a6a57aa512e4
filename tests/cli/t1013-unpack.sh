#!/bin/sh
# t1013-unpack.sh - the files an install lays down (common/pkg_unpack.c),
# through tests/tools/wh-unpack, which reads a package as the installer
# will, writes each file below a folder and prints "MODE SIZE SHA256
# PATH": the real wasmCloud archive, PARs from mkpar (keys from --seed, so
# every byte is repeatable), a .ferrpkg and bundles from mkpkg, and
# packages the readers accept whose names cannot all be created on a
# case-insensitive file system (README.md and readme.md), refused here.
. "$(dirname "$0")/lib.sh"

FIXTURE="$WHARF_SHARED/fixtures/par/libwascc_redis.par.gz"
[ -f "$FIXTURE" ] || FIXTURE="../shared/fixtures/par/libwascc_redis.par.gz"
case $FIXTURE in /*) ;; *) FIXTURE="$(pwd)/$FIXTURE" ;; esac
cd "$T" || exit 1

REDIS_LINUX=a70c02beac4881ae711e7825d01e67348f83f45120bb1d834ef90f9077f3b9e8
REDIS_MACOS=ce183325d30583931895fea30ef3c736bf2bb7e453c9b7f9e2653ab7eab05405
REDIS_CLAIMS=81b6c73aae640815312b0b42e57deb263dc3088da56bca8d2fd3b36f6d2409e9
# mkpar --seed t's default binaries (as in t1010-par.sh).
LINUX=31242bf72b50a8214b5b652f93792821335f75edec1fd8f1ae7ceabedb8addbb
MACOS=7d026aaeee69bbfe5a1e092228bb595112357054916c40d2e782cca95b1ca4dc

# files DIR: "MODE SIZE PATH" of every file below DIR, sorted.
files() {
    (cd "$1" && find . -type f -exec stat -c '%a %s %n' {} + | sort)
}

begin "the real provider archive: claims and the x86_64-linux binary"
run wh-unpack --target x86_64-linux "$FIXTURE" o1
check_rc 0
check_empty_err
check_out <<EOF
0644 699 $REDIS_CLAIMS claims.jwt
0755 5701792 $REDIS_LINUX bin/provider
EOF
files o1 >got
printf '644 699 ./claims.jwt\n755 5701792 ./bin/provider\n' | sort >want
check_that "files on disk" cmp -s want got
check_that "the binary is the archive's" sh -c \
    "gzip -dc '$FIXTURE' | tar -xOf - x86_64-linux.bin | cmp -s - o1/bin/provider"
end

begin "the same archive for x86_64-macos"
run wh-unpack --target x86_64-macos "$FIXTURE" o2
check_rc 0
check_out <<EOF
0644 699 $REDIS_CLAIMS claims.jwt
0755 2363160 $REDIS_MACOS bin/provider
EOF
end

begin "a target the archive lacks: exit 6, nothing written"
run wh-unpack --target aarch64-linux "$FIXTURE" o3
check_rc 6
check_out </dev/null
check_err <<EOF
wh-unpack: $FIXTURE: not available for aarch64-linux (it has x86_64-linux, x86_64-macos)
EOF
check_that "no folder" test ! -e o3
end

begin "mkpar with a world: claims, binary, world.wasm in archive order"
mkpar x.par --seed t --world 'world bytes' || fail "mkpar failed"
run wh-unpack --now 1700000001 --target x86_64-linux x.par o4
check_rc 0
check_empty_err
world=$(printf 'world bytes' | sha256sum | cut -d' ' -f1)
claims=$(tar -xOf x.par claims.jwt | sha256sum | cut -d' ' -f1)
check_out <<EOF
0644 $(tar -xOf x.par claims.jwt | wc -c) $claims claims.jwt
0755 15 $LINUX bin/provider
0644 11 $world world.wasm
EOF
check_that "world.wasm" test "$(cat o4/world.wasm)" = "world bytes"
end

begin "mkpar gzipped, the other target"
mkpar x.par.gz --seed t --gzip || fail "mkpar failed"
run wh-unpack --now 1700000001 --target aarch64-macos x.par.gz o5
check_rc 0
check_out_has "0755 15 $MACOS bin/provider"
end

begin "a PAR whose targets differ only in case is refused after the first"
mkpar x.par --seed t --bin-text x86_64-linux.bin=a \
    --bin-text X86_64-LINUX.bin=b || fail "mkpar failed"
run wh-pkg --now 1700000001 x.par
check_rc 0
run wh-unpack --now 1700000001 --target x86_64-linux x.par o6
check_rc 3
check_out_has "0755 1 ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb bin/provider"
check_err <<'EOF'
wh-unpack: x.par: entry 'X86_64-LINUX.bin': differs only in case from 'x86_64-linux'
EOF
end

begin "mkpkg .ferrpkg: manifest, header, module"
run_wasm m.wasm
mkpkg ferrpkg m.wasm h.ferrpkg || fail "mkpkg failed"
run wh-unpack h.ferrpkg o7
check_rc 0
check_empty_err
hdr=$(dd if=h.ferrpkg bs=1 skip=8 count=156 2>/dev/null)
cat >want.toml <<'EOF'
[module]
name = "hello"
version = "1.0.0"
author = "Ada"
description = "a test module"
license = "MIT"
categories = []
tags = []

[dependencies]
EOF
check_out <<EOF
0644 145 $(sha256sum <want.toml | cut -d' ' -f1) ferrite-plugin.toml
0644 156 $(printf '%s' "$hdr" | sha256sum | cut -d' ' -f1) ferrpkg.json
0644 $(wc -c <m.wasm) $(sha256sum <m.wasm | cut -d' ' -f1) module.wasm
EOF
check_that "manifest" cmp -s want.toml o7/ferrite-plugin.toml
check_that "module" cmp -s m.wasm o7/module.wasm
check_that "header" test "$(cat o7/ferrpkg.json)" = "$hdr"
end

printf '[plugin]\nname = "p"\nversion = "1.0.0"\ndescription = ""\nauthor = ""\nlicense = ""\n' >plugin.toml
printf 'read me\n' >readme.txt

begin "mkpkg bundle: every regular file under its own name"
mkpkg zip b.zip plugin.toml=plugin.toml p.wasm=m.wasm README.md=readme.txt \
    examples/ examples/one/a.txt=readme.txt || fail "mkpkg failed"
run wh-unpack b.zip o8
check_rc 0
check_empty_err
r=$(sha256sum <readme.txt | cut -d' ' -f1)
check_out <<EOF
0644 $(wc -c <plugin.toml) $(sha256sum <plugin.toml | cut -d' ' -f1) plugin.toml
0644 $(wc -c <m.wasm) $(sha256sum <m.wasm | cut -d' ' -f1) p.wasm
0644 8 $r README.md
0644 8 $r examples/one/a.txt
EOF
check_that "bytes" cmp -s readme.txt o8/examples/one/a.txt
end

# refuse_zip DESCRIPTION MESSAGE ENTRY...: the bundle reads fine, and is
# refused by wh-unpack with exit 3 and exactly MESSAGE.
refuse_zip() {
    what=$1 msg=$2
    shift 2
    begin "$what"
    rm -rf z.zip oz
    mkpkg zip z.zip plugin.toml=plugin.toml p.wasm=m.wasm "$@" ||
        fail "mkpkg failed"
    run wh-pkg z.zip
    check_rc 0
    run wh-unpack z.zip oz
    check_rc 3
    printf '%s\n' "wh-unpack: z.zip: $msg" | check_err
    end
}

refuse_zip "a bundle with README.md and readme.md" \
    "entry 'readme.md': differs only in case from 'README.md'" \
    README.md=readme.txt readme.md=readme.txt
refuse_zip "a bundle with a file where a folder must be" \
    "entry 'docs/a.txt': 'docs' is a file and a folder" \
    docs=readme.txt docs/a.txt=readme.txt
refuse_zip "a bundle with a folder where a file must be" \
    "entry 'Docs': it is a file and a folder of 'docs/a.txt'" \
    docs/a.txt=readme.txt Docs=readme.txt
refuse_zip "a bundle with a non-ASCII name" \
    "entry 'caf\\xc3\\xa9.txt': byte 0xc3 in name (installed names are printable ascii)" \
    "$(printf 'caf\303\251.txt')=readme.txt"

begin "usage"
run wh-unpack x.par
check_rc 2
check_err <<'EOF'
wh-unpack: expected FILE and OUTDIR
try 'wh-unpack --help'
EOF
end

finish
