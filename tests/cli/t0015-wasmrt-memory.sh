#!/bin/sh
# t0015-wasmrt-memory.sh - the memory wasmrt takes to load a module stays
# within a small multiple of the module's size, however hostile
# (docs/wasmrt.md, "Memory"): for each worst case tests/tools/wasm-mem.c
# builds (one giant br_table, many small br_tables, empty functions, deep
# nesting, full compile-time stacks, 50000 locals per function, returns
# moving 1000 values, segments, types, imports, exports, globals, custom
# sections, tables, memories),
#   - wh_pkg_wasm_describe (what every package reader calls: inspect,
#     then JSON) at WH_PKG_WASM_MEM, 4 x size + 16 MiB (pkg.h),
#   - wr_module_inspect at 4 x size + 8 MiB,
#   - wr_module_load, which also keeps a copy of the bytes and the
#     compiled code, at 5 x size + 8 MiB (13 x for empty functions, whose
#     code is larger than their bytes, 7 x for many small br_tables, and
#     33 x + 16 MiB for the most code a byte can compile to),
# and all report the same result, checked exactly.  Modules are 8 MB
# (moves: 1 MB), so that K x size outweighs the constant; each load is
# its own process (a peak cannot be reset).  The description's caps are
# checked at and just beyond them.  Under AddressSanitizer
# wasm-mem loosens the bounds to 4 K x size + C + 64 MiB, which still
# catches the old costs (25 x for a br_table, 33 x for functions, 2000 x
# for the stack case).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 2

size=8000000
c=8192                          # KiB

# mem CASE K RESULT [SIZE [C [INSPECT_RESULT [DESCRIBE_RESULT]]]]: CASE
# within the three bounds (load: K x size + C KiB), with RESULT
# (inspecting: INSPECT_RESULT; describing: DESCRIBE_RESULT, by default
# the inspection's error after "wasm: ").
mem() {
    name=$1 k=$2 n=${4:-$size} cl=${5:-$c} iwant=${6:-$3}
    dwant=${7:-wasm: $iwant}
    [ "$iwant" = ok ] && dwant=${7:-ok}
    wasm-mem gen "$name" "$n" "$name.wasm" ||
        echo "FAIL: $suite: wasm-mem gen $name"
    for how in describe inspect load; do
        bound="$k,$cl" want=$3 opt=
        [ $how = inspect ] && { bound="4,$c" want=$iwant opt=--inspect; }
        [ $how = describe ] && { bound="4,16384" want=$dwant
                                 opt=--describe; }
        begin "$name: $how within its bound, $want"
        run wasm-mem load $opt --bound "$bound" "$name.wasm"
        check_rc 0
        grep -v '^peak ' "$T/.out" >"$T/.out2" && mv "$T/.out2" "$T/.out"
        check_out <<EOF
$name.wasm: $(wc -c <"$name.wasm" | tr -d ' ') bytes, $want
within the bound
EOF
        check_empty_err
        end
    done
}

mem brtable    5  ok
mem brtables   7  ok
mem funcs      13 ok
mem nesting    5  'offset 0x2001b: blocks nested deeper than 65535'
mem deep       5  'offset 0x20489: operand stack deeper than 65536 values'
mem stack      5  'offset 0x48d: operand stack deeper than 65536 values'
mem locals     5  ok 2680         # 335 functions: the module-wide cap
mem moves      33 'module too large to compile' 1000000 16384 ok
mem data       5  ok
mem datas      5  ok
mem elems      5  ok
mem elemexprs  5  ok
mem elemsegs   5  ok
mem types      5  ok
mem imports    5  ok '' '' ok 'wasm: 2000000 imports and exports, more than 10000'
mem exports    5  ok '' '' ok 'wasm: 1262787 imports and exports, more than 10000'
mem exportsdup 5  'offset 0x17: duplicate export name'
mem globals    5  ok
mem customs    5  ok
mem tables     5  ok
mem mems       5  'offset 0x13: multiple memories'
# The description's caps (pkg.h), at them and one beyond: the JSON, not
# the module, is the cost there.
mem externs    5  ok 0
mem externs    5  ok 1 "$c" ok 'wasm: 10001 imports and exports, more than 10000'
mem longtypes  5  ok 0
mem longtypes  5  ok 1 "$c" ok 'wasm: the names and types of its imports and exports take 1051680 bytes, more than 1048576'

# The bound fails loudly: the tool itself is checked.
begin "a bound too tight is reported, status 1"
run wasm-mem load --bound 0,0 funcs.wasm      # 96 MB, more than ASan's 64
check_rc 1
check_err_has "wasm-mem: funcs.wasm: peak +"
end

finish
