# seeds.sh - .ferrpkg seeds (sourced by tests/fuzz/seeds.sh): packages
# written by the test tool mkpkg (the build's, when built) around small
# modules, in both checksum forms, with and without the optional keys.
mkpkg=$WHARF_BUILD/tests/tools/mkpkg
d=$(seed_tmp)
if [ -x "$mkpkg" ] && command -v wat2wasm >/dev/null 2>&1; then
    printf '(module (memory (export "memory") 1) (func (export "f") (param i32) (result i32) local.get 0))' >"$d/m.wat"
    printf '(module (import "ferrite" "log" (func (param i32 i32))))' >"$d/i.wat"
    wat2wasm "$d/m.wat" -o "$d/m.wasm" && wat2wasm "$d/i.wat" -o "$d/i.wasm"
    n=0
    for w in "$d/m.wasm" "$d/i.wasm"; do
        for args in "" "--sha256" "--checksum sha256" \
                "--set categories=[\"a\",\"b\"] --set tags=[\"t\"]" \
                "--set dependencies={\"base\":\"^1.2\"} --set min_ferrite_version=\"0.3.0\"" \
                "--set version=\"1.0.0-rc.1+b\"" "--del license"; do
            n=$((n + 1))
            # shellcheck disable=SC2086
            "$mkpkg" ferrpkg "$w" "$d/p$n.ferrpkg" $args >/dev/null 2>&1 && seed "$d/p$n.ferrpkg"
        done
    done
fi
