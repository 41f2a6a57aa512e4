#!/bin/sh
# t2026-example-plugins.sh - the example wharf-index plugins in
# examples/plugins/NAME/ (policy, wasm-meta, conan, stamp): each compiles
# warning-free (clang --target=wasm32, no C library) to the bytes the
# Makefile built; wasmrt validates it; its plugin.toml reads back with
# wharf's TOML parser and names it; it packs into a bundle with `wharf pack
# --zip`, which wh-pkg reads; its exports are exactly memory, alloc and its
# kind's functions and its imports only wharf.*, as its README's
# "Interface" says; the four index together.  Then each plugin's logic
# runs in wasmrt linked with examples/plugins/host.c, a stand-in host that
# calls one function the ABI's way and prints the JSON it returns.
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
ex="$top/examples/plugins"
built="$WHARF_BUILD/examples/plugins"
cd "$T" || exit 1
PLUGINS="policy wasm-meta conan stamp"

for name in $PLUGINS; do
    begin "$name compiles warning-free, to the bytes make built"
    run clang --target=wasm32 -O2 -Wall -Wextra -fno-builtin -nostdlib \
        -Wl,--no-entry -o "$name.wasm" "$ex/$name/$name.c"
    check_rc 0
    check_empty_err
    check_that "$built/$name.wasm differs from a fresh build" \
        cmp -s "$name.wasm" "$built/$name.wasm"
    end

    begin "$name: its plugin.toml reads back and names it"
    run toml_conformance --decode <"$ex/$name/plugin.toml"
    check_rc 0
    check_that "name is not $name" \
        [ "$(jq -r .plugin.name.value "$T/.out")" = "$name" ]
    end

    begin "$name: packs into a bundle wh-pkg reads"
    run wharf pack --zip "$built/$name.wasm" --manifest "$ex/$name/plugin.toml" -o out -q
    check_rc 0
    check_empty_err
    run wh-pkg "out/$name-0.1.0.zip"
    check_rc 0
    check_empty_err
    check_that "not a bundle named $name with its README" \
        sh -c 'jq -e "$0" "$1" >/dev/null' ".kind == \"bundle\" and
            .name == \"$name\" and .record.plugin.readme != false" "$T/.out"
    end

    begin "$name: exports and imports are its README's, imports only wharf.*"
    jq -r '.record.wasm |
        (.exports[] | "export \(.name) \(.kind) \(.type)"),
        (.imports[] | "import \(.module).\(.name) \(.kind) \(.type)")' \
        <"$T/.out" >"$T/.out2"
    mv "$T/.out2" "$T/.out"
    sed -n '/^## Interface/,$s/^    \([ei][xm]port .*\)/\1/p' \
        "$ex/$name/README.md" | check_out
    check_that "an import outside module wharf" \
        sh -c "! grep '^import' '$T/.out' | grep -qv '^import wharf\.'"
    end
done

begin "each exports memory, alloc and exactly its kind's functions"
for name in $PLUGINS; do
    printf '%s:' "$name"
    wh-pkg "out/$name-0.1.0.zip" | jq -r '.record.plugin.capabilities | keys_unsorted |
        map(select(. != "extensions")) | " " + join(",")' | tr -d '\n'
    wh-pkg "out/$name-0.1.0.zip" | jq -r '" " + ([.record.wasm.exports[].name] | sort | join(","))'
done >"$T/.out"
check_out <<'EOF'
policy: validation_hook alloc,memory,validate_upload
wasm-meta: metadata_extractor alloc,extract,memory
conan: format_handler alloc,extract_dependencies,memory,parse_metadata,validate
stamp: post_processor alloc,memory,process
EOF
end

begin "wasmrt validates them; without a host it cannot link the importers"
run wasmrt --invoke alloc "$built/policy.wasm" i32:16
check_rc 3
check_err <<EOF
wasmrt: $built/policy.wasm: unknown import: wharf.log
EOF
run wasmrt --invoke alloc "$built/stamp.wasm" i32:16
check_rc 3
check_err <<EOF
wasmrt: $built/stamp.wasm: unknown import: wharf.config
EOF
run wasmrt --invoke alloc "$built/conan.wasm" i32:-1
check_rc 0
check_out <<'EOF'
i32:0
EOF
end

begin "wharf-index indexes the four bundles"
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
run wharf-index build out -o site -n plugins -s repo.key -q --no-catalogue
check_rc 0
check_empty_err
check_that "the index lacks the conan plugin's extensions" \
    grep -q '"extensions":\[".conan.txt"\]' site/by-hash/*.json
end

# host NAME: NAME's source linked with the stand-in host.
host() {
    clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -DWP_HOSTED \
        -o "$1-host.wasm" "$ex/host.c" "$ex/$1/$1.c" 2>cc.err ||
        { fail "cannot link $1 with host.c"; cat cc.err; }
}
for name in $PLUGINS; do host $name; done

# call NAME ARGS...: one call in the stand-in host, exit status 0.
call() {
    name=$1
    shift
    run wasmrt --dir . "$name-host.wasm" "$@"
    check_rc 0
    check_empty_err
}

info='{"name":"acme-x","version":"1.0.0","format":"ferrpkg","size_bytes":2000000,"sha256":"00","signer":""}'
begin "policy: the defaults allow, warning when no license is declared"
call policy validate_upload "$info" 'no declaration'
check_out <<'EOF'
{"allowed":true,"warnings":["acme-x declares no license"]}
EOF
call policy validate_upload "$info" 'x{"license":"MIT"}'
check_out <<'EOF'
{"allowed":true,"warnings":[]}
EOF
end

begin "policy: over max_size_mb is refused"
call policy -c '{"max_size_mb":1}' validate_upload "$info" ''
check_out <<'EOF'
{"allowed":false,"message":"size 2000000 bytes exceeds max_size_mb 1","warnings":[]}
EOF
end

begin "policy: a name outside name_pattern is refused, one inside allowed"
call policy -c '{"name_pattern":"acme-?"}' validate_upload '{"name":"acme-xy","license":"MIT"}' ''
check_out <<'EOF'
{"allowed":false,"message":"name 'acme-xy' does not match name_pattern 'acme-?'","warnings":[]}
EOF
call policy -c '{"name_pattern":"a*-*"}' validate_upload '{"name":"acme-x","license":"MIT"}' ''
check_out <<'EOF'
{"allowed":true,"warnings":[]}
EOF
end

begin "policy: require_signer refuses an empty signer"
call policy -c '{"require_signer":true}' validate_upload "$info" ''
check_out <<'EOF'
{"allowed":false,"message":"unsigned, and require_signer is set","warnings":[]}
EOF
end

begin "policy: an info without a name is refused, with an error logged"
call policy validate_upload '{"name":1}' ''
check_out <<'EOF'
log 3 "info has no name"
{"allowed":false,"message":"info has no name","warnings":[]}
EOF
end

begin "wasm-meta: a module's custom sections and license section"
cp "$built/policy.wasm" p.wasm
printf '\000asm\001\000\000\000\000\013\007licenseMIT' >lic.wasm
call wasm-meta extract lic.wasm @lic.wasm
check_out <<'EOF'
{"wasm_sections":"1","wasm_custom_sections":"license","license":"MIT"}
EOF
end

begin "wasm-meta: a .ferrpkg's module and header license; a truncated one"
mkpkg ferrpkg p.wasm p.ferrpkg --set 'name="p"' --set 'version="1.0.0"' \
    --set 'license="Apache-2.0"' || fail "mkpkg"
call wasm-meta extract p.ferrpkg @p.ferrpkg
jq -r '"\(.license) \(.wasm_custom_sections | split(",") | index("producers") != null)"' \
    "$T/.out" >"$T/.out2"
mv "$T/.out2" "$T/.out"
check_out <<'EOF'
Apache-2.0 true
EOF
printf '\000asm\001\000\000\000\000\177\001' >cut.wasm
call wasm-meta extract cut @cut.wasm
check_out <<'EOF'
{"wasm_sections":"0","wasm_custom_sections":"","wasm_error":"section runs past the end of the data"}
EOF
end

begin "wasm-meta: no module"
call wasm-meta extract x 'plain text'
check_out <<'EOF'
log 0 "no webassembly module in the data"
{}
EOF
end

cat >app.conan.txt <<'EOF'
# name: zlib-app
# version: 1.0.0
# description: a "demo"
# license: MIT
# authors: Ada, Bob ,
# keywords: compression
[requires]
zlib/1.2.13
fmt/[>=10.0 <11]@user/stable
[tool_requires]
cmake/3.27.0
[generators]
CMakeDeps
EOF
begin "conan: parse_metadata, validate, extract_dependencies"
call conan parse_metadata @app.conan.txt
check_out <<'EOF'
{"name":"zlib-app","version":"1.0.0","description":"a \"demo\"","license":"MIT","authors":["Ada","Bob"],"keywords":["compression"]}
EOF
call conan validate @app.conan.txt
check_out <<'EOF'
{"allowed":true,"warnings":[]}
EOF
call conan extract_dependencies @app.conan.txt
check_out <<'EOF'
{"zlib":"=1.2.13","fmt":">=10.0, <11"}
EOF
end

begin "conan: what validate refuses"
printf '# name: x\n# version: 1.0.0\n\000\n' >nul.conan.txt
for t in '[requires]' '# name: x
# version: 1.0' '# name: x
# version: 01.0.0' '# name: x
# version: 1.0.0
[requires]
zlib' @nul.conan.txt; do
    wasmrt --dir . conan-host.wasm validate "$t"
done >"$T/.out" 2>"$T/.err"
check_empty_err
check_out <<'EOF'
{"allowed":false,"message":"no '# name:' header comment","warnings":[]}
{"allowed":false,"message":"the '# version:' header is not MAJOR.MINOR.PATCH","warnings":[]}
{"allowed":false,"message":"the '# version:' header is not MAJOR.MINOR.PATCH","warnings":[]}
{"allowed":false,"message":"a [requires] line is not name/version: zlib","warnings":[]}
{"allowed":false,"message":"the file holds a NUL byte","warnings":[]}
EOF
end

# stamped ARGS...: the stand-in's answer, with its data decoded.
stamped() {
    call stamp "$@"
    jq -c '.data |= (@base64d)' "$T/.out" >"$T/.out2"
    mv "$T/.out2" "$T/.out"
}
begin "stamp: text gets a trailer line, once"
stamped process x-1.0.0.conan.txt 'a=1
'
check_out <<'EOF'
{"data":"a=1\n# published by wharf-index x-1.0.0.conan.txt\n","modified":true,"metadata":{"processed_by":"stamp","stamped":"true"}}
EOF
stamped process x-1.0.0.conan.txt 'a=1
# published by wharf-index x-1.0.0.conan.txt
'
check_out <<'EOF'
{"data":"a=1\n# published by wharf-index x-1.0.0.conan.txt\n","modified":false,"metadata":{"processed_by":"stamp","stamped":"false"}}
EOF
end

begin "stamp: the config's prefix and trailer"
stamped -c '{"prefix":"// ","trailer":"from acme"}' process id 'x
'
check_out <<'EOF'
{"data":"x\n// from acme id\n","modified":true,"metadata":{"processed_by":"stamp","stamped":"true"}}
EOF
end

begin "stamp: binary data and text without a final newline are left alone"
call stamp process p.wasm @p.wasm
check_that "the module's bytes changed" \
    sh -c "jq -r .data '$T/.out' | base64 -d | cmp -s - p.wasm"
check_that "marked modified" \
    sh -c 'jq -e "$0" "$1" >/dev/null' '.modified == false' "$T/.out"
stamped process id 'abc'
check_out <<'EOF'
{"data":"abc","modified":false,"metadata":{"processed_by":"stamp","stamped":"false"}}
EOF
end

finish
