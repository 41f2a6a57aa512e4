# seeds.sh - WebAssembly seeds (sourced by tests/fuzz/seeds.sh): every
# binary module of the core 2.0 spec suite (wast2json's .wasm files, the
# malformed and invalid ones included; SIMD left out as wasmrt has none),
# the example modules and plugins of the build, and the benchmark modules.
suite=${WASM_TESTSUITE:-$WHARF_SHARED/wasm-testsuite/core-2.0}
if command -v wast2json >/dev/null 2>&1; then
    d=$(seed_tmp)
    for w in "$suite"/*.wast; do
        case ${w##*/} in simd_*) continue ;; esac
        b=${w##*/}; b=${b%.wast}
        mkdir -p "$d/$b"
        wast2json "$w" -o "$d/$b/$b.json" >/dev/null 2>&1 || continue
        seed "$d/$b"/*.wasm
        rm -rf "${d:?}/$b"
    done
fi
seed "$WHARF_BUILD"/examples/*.wasm "$WHARF_BUILD"/examples/plugins/*.wasm \
     "$WHARF_BUILD"/tests/bench/*.wasm
