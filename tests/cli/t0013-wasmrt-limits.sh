#!/bin/sh
# t0013-wasmrt-limits.sh - traps and limits through the wasmrt command:
# every trap of wasmrt.h a small module can trigger prints
# "wasmrt: trap: MESSAGE" and exits with status 8, never with a signal;
# --fuel, --timeout (in wasm code and in a WASI sleep), call-stack
# exhaustion on infinite recursion, and --max-memory.
. "$(dirname "$0")/lib.sh"

wat() {
    cat >"$T/$1.wat"
    wat2wasm "$T/$1.wat" -o "$T/$1.wasm" || echo "FAIL: $suite: wat2wasm $1"
}

wat traps <<'EOF'
(module
  (type $v (func))
  (type $r (func (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $unreachable)
  (memory 1)
  (func $unreachable (export "unreachable") unreachable)
  (func (export "div0") (result i32) i32.const 1 i32.const 0 i32.div_s)
  (func (export "rem0") (result i64) i64.const 1 i64.const 0 i64.rem_u)
  (func (export "overflow") (result i32)
    i32.const 0x80000000 i32.const -1 i32.div_s)
  (func (export "nan_to_int") (result i32) f32.const nan i32.trunc_f32_s)
  (func (export "big_to_int") (result i64) f64.const 1e19 i64.trunc_f64_s)
  (func (export "oob_load") (result i32) i32.const 65535 i32.load)
  (func (export "oob_store") i32.const -1 i32.const 0 i32.store8)
  (func (export "oob_fill") (memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000)))
  (func (export "table_get") (result funcref) i32.const 2 table.get 0)
  (func (export "undefined") i32.const 2 call_indirect (type $v))
  (func (export "uninitialized") i32.const 1 call_indirect (type $v))
  (func (export "mismatch") (result i32) i32.const 0 call_indirect (type $r))
  (func $recurse (export "recurse") call $recurse)
  (func $recurse_big (export "recurse_big") (param i64 i64 i64 i64)
    (local f64 f64 f64 f64 f64 f64 f64 f64)
    local.get 0 local.get 1 local.get 2 local.get 3 call $recurse_big)
  (func (export "spin") (loop br 0))
  (func (export "count") (param i32) (result i32)
    (loop
      local.get 0 i32.const 1 i32.sub local.tee 0
      br_if 0)
    local.get 0)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size)
)
EOF

# trap WHAT MESSAGE ARGS...: wasmrt ARGS traps with MESSAGE, status 8.
trap_case() {
    what=$1; shift
    msg=$1; shift
    begin "$what: trap \"$msg\" (8)"
    run wasmrt "$@"
    check_rc 8
    check_err <<EOF
wasmrt: trap: $msg
EOF
    check_out </dev/null
    end
}

M=$T/traps.wasm
trap_case "unreachable" "unreachable" --invoke unreachable "$M"
trap_case "i32.div_s by zero" "integer divide by zero" --invoke div0 "$M"
trap_case "i64.rem_u by zero" "integer divide by zero" --invoke rem0 "$M"
trap_case "INT32_MIN / -1" "integer overflow" --invoke overflow "$M"
trap_case "i32.trunc_f32_s of NaN" "invalid conversion to integer" --invoke nan_to_int "$M"
trap_case "i64.trunc_f64_s of 1e19" "integer overflow" --invoke big_to_int "$M"
trap_case "a load across the end of memory" "out of bounds memory access" --invoke oob_load "$M"
trap_case "a store at 0xffffffff" "out of bounds memory access" --invoke oob_store "$M"
trap_case "memory.fill past the end" "out of bounds memory access" --invoke oob_fill "$M"
trap_case "table.get past the end" "out of bounds table access" --invoke table_get "$M"
trap_case "call_indirect past the table" "undefined element" --invoke undefined "$M"
trap_case "call_indirect of a null entry" "uninitialized element" --invoke uninitialized "$M"
trap_case "call_indirect with another type" "indirect call type mismatch" --invoke mismatch "$M"
trap_case "infinite recursion" "call stack exhausted" --invoke recurse "$M"
trap_case "infinite recursion with big frames" "call stack exhausted" \
    --invoke recurse_big "$M" i64:1 i64:2 i64:3 i64:4
trap_case "an endless loop with --fuel" "out of fuel" --fuel 100000 --invoke spin "$M"

begin "enough fuel: the call completes"
run wasmrt --fuel 100000 --invoke count "$M" i32:1000
check_rc 0
check_out <<'EOF'
i32:0
EOF
end

trap_case "the same loop with too little fuel" "out of fuel" \
    --fuel 1000 --invoke count "$M" i32:1000

begin "an endless loop with --timeout 200: deadline exceeded, promptly"
start=$(date +%s)
run wasmrt --timeout 200 --invoke spin "$M"
took=$(($(date +%s) - start))
check_rc 8
check_err <<'EOF'
wasmrt: trap: deadline exceeded
EOF
check_that "stopped within 5 s (took $took s)" test "$took" -le 5
end

begin "--max-memory caps memory.grow: 2 pages allowed, a third is refused"
run wasmrt --max-memory 128K --invoke grow "$M" i32:1
check_rc 0
check_out <<'EOF'
i32:1
EOF
end

begin "memory.grow beyond --max-memory returns -1"
run wasmrt --max-memory 128K --invoke grow "$M" i32:2
check_rc 0
check_out <<'EOF'
i32:-1
EOF
end

wat bigmem <<'EOF'
(module (memory 3) (func (export "f")))
EOF
trap_case "an initial memory above --max-memory" "memory limit exceeded" \
    --max-memory 128K --invoke f "$T/bigmem.wasm"

begin "--max-memory with no suffix and a large value"
run wasmrt --max-memory 1048576 --invoke size "$M"
check_rc 0
check_out <<'EOF'
i32:1
EOF
end

wat startrap <<'EOF'
(module (func $s unreachable) (start $s) (func (export "f")))
EOF
trap_case "a trap in the start function" "unreachable" --invoke f "$T/startrap.wasm"

wat startloop <<'EOF'
(module (func $s (loop br 0)) (start $s) (func (export "_start")))
EOF
trap_case "fuel covers the start function" "out of fuel" --fuel 5000 "$T/startloop.wasm"

examples=$(cd "$(dirname "$0")/../../examples/wasm" && pwd)
clang --target=wasm32-wasi --sysroot=/usr -O2 -o "$T/clock.wasm" "$examples/clock.c" ||
    echo "FAIL: $suite: cannot compile clock.c"

begin "--timeout also ends a guest sleeping in poll_oneoff"
start=$(date +%s)
run wasmrt --timeout 300 "$T/clock.wasm" 20000
took=$(($(date +%s) - start))
check_rc 8
check_err <<'EOF'
wasmrt: trap: deadline exceeded
EOF
check_that "stopped within 5 s (took $took s)" test "$took" -le 5
end

begin "a short sleep within the timeout completes"
run wasmrt --timeout 5000 "$T/clock.wasm" 50
check_rc 0
check_out <<'EOF'
slept 50 ms
EOF
end

finish
