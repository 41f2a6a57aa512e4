#!/bin/sh
# t2025-examples.sh - the example UDFs in examples/NAME/ (validate-email,
# counter, audit-log, json-validate): each compiles warning-free to the
# bytes the Makefile built (BUILD/examples/NAME.wasm); its manifest reads
# back with wharf's TOML parser and names the module its folder names;
# its exports and imports, as wharf-index records them, are exactly the
# lines of its README's "Interface"; wasmrt validates it (and runs the
# pure ones with --invoke: the buffer's capacity, lengths outside it, the
# empty input; the others stop at their "ferrite" imports); all four index
# together.  Then each module's own logic runs in wasmrt linked with
# examples/wasm/udf-host.c, a stand-in host printing every call it gets:
# addresses and JSON texts good and bad, counting, denied reads and
# writes, and the audit log's ring of keys.  Last, the modules in the
# real host, `wharf run --file`, with and without their grants.
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
ex="$top/examples"
built="$WHARF_BUILD/examples"
cd "$T" || exit 1
CFLAGS="--target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -fno-builtin"

# field NAME KEY: a [module] string of examples/NAME/ferrite-plugin.toml.
field() {
    toml_conformance --decode <"$ex/$1/ferrite-plugin.toml" |
        jq -r ".module.$2.value"
}

semver_ok() {
    printf '%s\n' "$1" | grep -Eqx '(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)'
}

for name in validate-email counter audit-log json-validate; do
    begin "$name compiles warning-free, to the bytes make built"
    run clang $CFLAGS -nostdlib -nostartfiles -Wl,--no-entry \
        -o "$name.wasm" "$ex/$name/$name.c"
    check_rc 0
    check_empty_err
    check_that "$built/$name.wasm differs from a fresh build" \
        cmp -s "$name.wasm" "$built/$name.wasm"
    end

    begin "$name: its manifest reads back and names it"
    run toml_conformance --decode <"$ex/$name/ferrite-plugin.toml"
    check_rc 0
    check_that "name is not $name" [ "$(field "$name" name)" = "$name" ]
    check_that "version is not semver" \
        semver_ok "$(field "$name" version)"
    for k in author description license; do
        check_that "$k is empty" [ -n "$(field "$name" $k)" ]
    done
    end

    begin "$name: exports and imports are its README's"
    mkpkg ferrpkg "$name.wasm" "$name.ferrpkg" --set "name=\"$name\"" \
        --set "version=\"$(field "$name" version)\"" || fail "mkpkg"
    run wh-pkg "$name.ferrpkg"
    check_rc 0
    check_empty_err
    jq -r '.record.wasm |
        (.exports[] | "export \(.name) \(.kind) \(.type)"),
        (.imports[] | "import \(.module).\(.name) \(.kind) \(.type)")' \
        <"$T/.out" >"$T/.out2"
    mv "$T/.out2" "$T/.out"
    sed -n '/^## Interface/,$s/^    \([ei][xm]port .*\)/\1/p' \
        "$ex/$name/README.md" | check_out
    end
done

begin "the manifests' dependencies: audit-log needs counter ^1, no other has any"
for name in validate-email counter audit-log json-validate; do
    printf '%s %s\n' "$name" "$(toml_conformance --decode \
        <"$ex/$name/ferrite-plugin.toml" | jq -c '.dependencies | map_values(.value)')"
done >"$T/.out"
check_out <<'EOF'
validate-email {}
counter {}
audit-log {"counter":"^1"}
json-validate {}
EOF
end

# inv WHAT EXPECTED NAME FUNC ARGS...: wasmrt --invoke on the built module.
inv() {
    what=$1 want=$2 name=$3 func=$4
    shift 4
    begin "wasmrt --invoke $func $name: $what"
    run wasmrt --invoke "$func" "$built/$name.wasm" "$@"
    check_rc 0
    printf '%s\n' "$want" >"$T/expected"
    check_out <"$T/expected"
    check_empty_err
    end
}
inv "the buffer holds 4096 bytes" i32:4096 validate-email get_buffer_cap
inv "the buffer holds 64 KiB" i32:65536 json-validate get_buffer_cap
for name in validate-email json-validate; do
    inv "the empty input is invalid" i32:0 $name validate i32:0
    inv "a negative length is refused" i32:-1 $name validate i32:-1
done
inv "a length past the buffer is refused" i32:-1 validate-email validate i32:4097
inv "a length past the buffer is refused" i32:-1 json-validate validate i32:65537
inv "a full buffer of zero bytes is no address" i32:0 validate-email validate i32:4096

for m in counter:incr audit-log:get; do
    name=${m%%:*}
    begin "wasmrt validates $name, and cannot link it without a host"
    run wasmrt --invoke get_buffer_cap "$built/$name.wasm"
    check_rc 3
    check_out </dev/null
    check_err <<EOF
wasmrt: $built/$name.wasm: unknown import: ferrite.${m#*:}
EOF
    end
done

begin "wharf-index indexes the four, with their interfaces"
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs
for name in validate-email counter audit-log json-validate; do
    cp "$name.ferrpkg" pkgs/
done
run wharf-index build pkgs -o site -n examples -q --no-catalogue
check_rc 0
check_empty_err
check_that "the index lacks counter's incr import" \
    grep -q '"module":"ferrite","name":"incr"' site/by-hash/*.json
end

# host NAME FUNC: NAME's source linked with the stand-in host.
host() {
    clang $CFLAGS -DUDF_FUNC="$2" -o "$1-host.wasm" "$ex/wasm/udf-host.c" \
        "$ex/$1/$1.c" 2>cc.err || { fail "cannot link $1 with udf-host.c"; cat cc.err; }
}
host validate-email validate
host json-validate validate
host counter hit
host audit-log record

# hostrun NAME HOST-ARGS... -- INPUTS...: one run, exit status 0.
hostrun() {
    name=$1
    shift
    run wasmrt "$name-host.wasm" "$@"
    check_rc 0
    check_empty_err
}

begin "validate-email: addresses worth sending to"
hostrun validate-email -- a@b.example ada@example.org first.last+tag@sub.example.org \
    "x!#\$%&'*+-/=?^_\`{|}~@a-b.c0.example" a@b.c "$(printf '%064d' 0)@x.example" \
    "a@$(printf '%063d' 0).example"
check_out <<EOF
validate("a@b.example") = 1
validate("ada@example.org") = 1
validate("first.last+tag@sub.example.org") = 1
validate("x!#\$%&'*+-/=?^_\`{|}~@a-b.c0.example") = 1
validate("a@b.c") = 1
validate("$(printf '%064d' 0)@x.example") = 1
validate("a@$(printf '%063d' 0).example") = 1
EOF
end

# The longest: 64 + 1 + 189 (63.63.59.1) = 254 bytes.
long_domain="$(printf '%063d' 0).$(printf '%063d' 0).$(printf '%059d' 0).x"
begin "validate-email: 254 bytes pass, 255 do not"
hostrun validate-email -- "$(printf '%064d' 0)@$long_domain" \
    "$(printf '%064d' 0)@$long_domain"x
check_out <<EOF
validate("$(printf '%064d' 0)@$long_domain") = 1
validate("$(printf '%064d' 0)@${long_domain}x") = 0
EOF
end

begin "validate-email: what is refused"
hostrun validate-email -- "" plain @x.example a@ a@@x.example a@b@x.example \
    .a@x.example a.@x.example a..b@x.example "a b@x.example" '"a"@x.example' \
    root@localhost a@x..example a@.x.example a@x.example. a@-x.example \
    a@x-.example a@x_y.example a@1.2.3.4 "a@[192.0.2.1]" \
    "$(printf '%065d' 0)@x.example" "a@$(printf '%064d' 0).example" \
    "$(printf 'caf\303\251@x.example')" "$(printf 'a@x.exa\nmple')"
check_out <<EOF
validate("") = 0
validate("plain") = 0
validate("@x.example") = 0
validate("a@") = 0
validate("a@@x.example") = 0
validate("a@b@x.example") = 0
validate(".a@x.example") = 0
validate("a.@x.example") = 0
validate("a..b@x.example") = 0
validate("a b@x.example") = 0
validate(""a"@x.example") = 0
validate("root@localhost") = 0
validate("a@x..example") = 0
validate("a@.x.example") = 0
validate("a@x.example.") = 0
validate("a@-x.example") = 0
validate("a@x-.example") = 0
validate("a@x_y.example") = 0
validate("a@1.2.3.4") = 0
validate("a@[192.0.2.1]") = 0
validate("$(printf '%065d' 0)@x.example") = 0
validate("a@$(printf '%064d' 0).example") = 0
validate("$(printf 'caf\303\251@x.example')") = 0
validate("a@x.exa
mple") = 0
EOF
end

deep=$(printf '%128s' '' | tr ' ' '[')$(printf '%128s' '' | tr ' ' ']')
begin "json-validate: well-formed texts"
hostrun json-validate -- '{"a": [1, -0, 2.5e-3, 1E+9, true, false, null]}' ' 7 ' \
    "$(printf '"caf\303\251 \360\237\246\200"')" \
    '{}' '[]' '{"a":{"a":{}}, "a": 1}' "$deep"
check_out <<EOF
validate("{"a": [1, -0, 2.5e-3, 1E+9, true, false, null]}") = 1
validate(" 7 ") = 1
validate("$(printf '"caf\303\251 \360\237\246\200"')") = 1
validate("{}") = 1
validate("[]") = 1
validate("{"a":{"a":{}}, "a": 1}") = 1
validate("$deep") = 1
EOF
end

begin "json-validate: every escape; a lone surrogate escape is grammatical"
hostrun json-validate -- '"\"\\\/\b\f\n\r\t\u00e9\uD800"'
check_out <<'EOF'
validate(""\"\\\/\b\f\n\r\t\u00e9\uD800"") = 1
EOF
end

begin "json-validate: malformed texts, 129 levels, bad UTF-8"
hostrun json-validate -- "" " " 01 1. .5 1e +1 - '[1,]' '{"a":1,}' '{"a" 1}' \
    '{a:1}' "['a']" '"\x"' '"\u12"' '[1] 2' nul True '"a' '[' \
    "$(printf '"\001"')" "$(printf '"\300\200"')" "$(printf '"\355\240\200"')" \
    "$(printf '"\364\220\200\200"')" "$(printf '"\303"')" "[$deep]"
check_out <<EOF
validate("") = 0
validate(" ") = 0
validate("01") = 0
validate("1.") = 0
validate(".5") = 0
validate("1e") = 0
validate("+1") = 0
validate("-") = 0
validate("[1,]") = 0
validate("{"a":1,}") = 0
validate("{"a" 1}") = 0
validate("{a:1}") = 0
validate("['a']") = 0
validate(""\x"") = 0
validate(""\u12"") = 0
validate("[1] 2") = 0
validate("nul") = 0
validate("True") = 0
validate(""a") = 0
validate("[") = 0
validate("$(printf '"\001"')") = 0
validate("$(printf '"\300\200"')") = 0
validate("$(printf '"\355\240\200"')") = 0
validate("$(printf '"\364\220\200\200"')") = 0
validate("$(printf '"\303"')") = 0
validate("[$deep]") = 0
EOF
end

begin "json-validate: 30000 open brackets end cleanly"
hostrun json-validate -- "$(printf '%30000s' '' | tr ' ' '[')"
check_that "not refused" grep -q '") = 0$' "$T/.out"
end

begin "counter: hit counts per key"
hostrun counter -- hits:a hits:a hits:b hits:a
check_out <<'EOF'
incr hits:a -> 1
hit("hits:a") = 1
incr hits:a -> 2
hit("hits:a") = 2
incr hits:b -> 1
hit("hits:b") = 1
incr hits:a -> 3
hit("hits:a") = 3
EOF
end

begin "counter: a denied incr, a value that is no number, an empty key"
hostrun counter -W -- hits:a
hostrun counter hits:a=abc hits:big=3000000000 hits:neg=-7 -- hits:a hits:big hits:neg ""
check_out <<'EOF'
incr hits:a -> -9223372036854775808
hit("hits:a") = -1
incr hits:big -> 3000000001
hit("hits:big") = 2147483647
incr hits:neg -> -6
hit("hits:neg") = 0
hit("") = -1
EOF
end

begin "audit-log: records events in order, logging each"
hostrun audit-log -- "login ada" "logout ada"
check_out <<'EOF'
get audit:config -> -1
incr audit:seq -> 1
time -> 1700000000000
set audit:1 "1700000000000 login ada" -> 0
log 2 "recorded audit:1"
record("login ada") = 1
get audit:config -> -1
incr audit:seq -> 2
time -> 1700000000000
set audit:2 "1700000000000 logout ada" -> 0
log 2 "recorded audit:2"
record("logout ada") = 2
EOF
end

begin "audit-log: keeps audit:config events, deleting the oldest"
hostrun audit-log audit:config=2 -- a b c
check_out <<'EOF'
get audit:config -> 1
incr audit:seq -> 1
time -> 1700000000000
set audit:1 "1700000000000 a" -> 0
log 2 "recorded audit:1"
record("a") = 1
get audit:config -> 1
incr audit:seq -> 2
time -> 1700000000000
set audit:2 "1700000000000 b" -> 0
log 2 "recorded audit:2"
record("b") = 2
get audit:config -> 1
incr audit:seq -> 3
time -> 1700000000000
set audit:3 "1700000000000 c" -> 0
del audit:1 -> 1
log 2 "recorded audit:3"
record("c") = 3
EOF
end

begin "audit-log: a config that is no number is ignored, with a warning"
hostrun audit-log audit:config=-5 -- x
check_out <<'EOF'
get audit:config -> 2
log 3 "ignoring audit:config -5"
incr audit:seq -> 1
time -> 1700000000000
set audit:1 "1700000000000 x" -> 0
log 2 "recorded audit:1"
record("x") = 1
EOF
end

begin "audit-log: config 0 switches recording off"
hostrun audit-log audit:config=0 -- x
check_out <<'EOF'
get audit:config -> 1
record("x") = 0
EOF
end

begin "audit-log: a denied write is -3, a denied read -2, with an error logged"
hostrun audit-log -W -- x
check_out <<'EOF'
get audit:config -> -1
incr audit:seq -> -9223372036854775808
log 4 "cannot write audit:seq"
record("x") = -3
EOF
hostrun audit-log -R -- x
check_out <<'EOF'
get audit:config -> -2
log 4 "cannot read audit:config"
record("x") = -2
EOF
end

begin "audit-log: an empty event is refused before any call"
hostrun audit-log -- ""
check_out <<'EOF'
record("") = -1
EOF
end


# The same modules in the real host, `wharf run --file`, as their READMEs
# show them: grants allow, and a call without one is denied (exit 4).
begin "wharf run: validate-email on a good and a bad address"
run wharf run --file "$built/validate-email.wasm" validate --input ada@example.org
check_rc 0
check_out <<'EOF'
1
EOF
check_empty_err
run wharf run --file "$built/validate-email.wasm" validate --input 'ada@@example..org'
check_rc 0
check_out <<'EOF'
0
EOF
end

begin "wharf run: counter counts under --write, into the store"
for want in 1 2; do
    run wharf run --file "$built/counter.wasm" hit --input hits:home \
        --write 'hits:*' --store store.json
    check_rc 0
    echo $want | check_out
    check_empty_err
done
run jq -c . store.json
check_out <<'EOF'
{"hits:home":"2"}
EOF
end

begin "wharf run: counter without the grant is denied"
run wharf run --file "$built/counter.wasm" hit --input hits:home --store store.json
check_rc 4
check_out <<'EOF'
-1
EOF
check_err <<'EOF'
wharf run: denied: WRITE hits:home (granted: none)
EOF
end

begin "wharf run: audit-log under --read audit:config --write 'audit:*'"
run wharf run --file "$built/audit-log.wasm" record --input 'login ada' \
    --read audit:config --write 'audit:*' --store store.json
check_rc 0
check_out <<'EOF'
1
EOF
check_err <<'EOF'
[info] recorded audit:1
EOF
run jq -c '[keys[], (.["audit:1"] | sub("^[0-9]+ "; ""))]' store.json
check_out <<'EOF'
["audit:1","audit:seq","hits:home","login ada"]
EOF
end

begin "wharf run: audit-log without READ of its config is denied"
run wharf run --file "$built/audit-log.wasm" record --input 'login ada' \
    --write 'audit:*' --store store.json
check_rc 4
check_out <<'EOF'
-2
EOF
check_err <<'EOF'
wharf run: denied: READ audit:config (granted: none)
[error] cannot read audit:config
EOF
end

begin "the round trip: pack, publish, index, install, run"
wharf-index keygen -W -p rt.pub -s rt.key >/dev/null
mkdir -p rt-publishers
wharf-index keygen -W -p rt-publishers/author.pub -s author.key >/dev/null
run wharf pack "$built/validate-email.wasm" --manifest "$ex/validate-email/ferrite-plugin.toml" \
    -s author.key -o out -q
check_rc 0
run wharf publish out/validate-email-1.0.0.ferrpkg --repo repo -p rt-publishers/author.pub -q
check_rc 0
wharf-index build repo -o rt-site -n rt -k rt-publishers -s rt.key -q --no-catalogue
export WHARF_HOME="$T/rt-home"
wharf trust add rt.pub -q
wharf source add rt "$T/rt-site" -q
wharf update -q
run wharf install 'validate-email@^1'
check_rc 0
check_out <<'EOF'
install validate-email 1.0.0 (rt)
installed 1
EOF
run wharf run validate-email validate --input ada@example.org
check_rc 0
check_out <<'EOF'
1
EOF
run wharf run validate-email@^1 validate --input 'not an address'
check_rc 0
check_out <<'EOF'
0
EOF
end

finish
