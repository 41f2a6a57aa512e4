# seeds.sh - plugin bundle seeds (sourced by tests/fuzz/seeds.sh): zips
# written by the test tool mkpkg (the build's, when built), deflated and
# stored, with a full and a minimal plugin.toml, and the example plugins'
# manifests with their modules.
mkpkg=$WHARF_BUILD/tests/tools/mkpkg
d=$(seed_tmp)
if [ -x "$mkpkg" ] && command -v wat2wasm >/dev/null 2>&1; then
    printf '(module (memory (export "memory") 1) (func (export "parse") (param i32 i32) (result i32) local.get 0))' >"$d/m.wat"
    wat2wasm "$d/m.wat" -o "$d/m.wasm"
    printf '[plugin]\nname = "p"\nversion = "1.0.0"\ndescription = ""\nauthor = ""\nlicense = ""\n' >"$d/min.toml"
    cat >"$d/full.toml" <<'EOT'
[plugin]
name = "csv-reader"
version = "0.3.1"
description = "reads CSV"
author = "Ada"
license = "MIT"
categories = ["formats"]
tags = ["csv", "tsv"]
dependencies = { text-utils = "^1.2" }

[plugin.capabilities]
format_handler = true
extensions = [".csv"]

[plugin.config]
delimiter = ","
max_rows = 100
EOT
    printf '# p\n' >"$d/README.md"
    "$mkpkg" zip "$d/a.zip" plugin.toml="$d/min.toml" p.wasm="$d/m.wasm" >/dev/null 2>&1
    "$mkpkg" zip "$d/b.zip" plugin.toml="$d/min.toml" p.wasm="$d/m.wasm" --store >/dev/null 2>&1
    "$mkpkg" zip "$d/c.zip" plugin.toml="$d/full.toml" csv.wasm="$d/m.wasm" README.md="$d/README.md" >/dev/null 2>&1
    "$mkpkg" zip "$d/d.zip" plugin.toml="$d/full.toml" csv.wasm="$d/m.wasm" docs/ --store >/dev/null 2>&1
    seed "$d"/*.zip
    for p in examples/plugins/*/plugin.toml; do
        n=${p%/plugin.toml}; n=${n##*/}
        w=$WHARF_BUILD/examples/plugins/$n.wasm
        [ -f "$w" ] && "$mkpkg" zip "$d/$n.zip" plugin.toml="$p" "$n.wasm=$w" >/dev/null 2>&1 &&
            seed "$d/$n.zip"
    done
fi
