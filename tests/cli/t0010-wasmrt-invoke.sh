#!/bin/sh
# t0010-wasmrt-invoke.sh - `wasmrt --invoke NAME FILE TYPE:VALUE...`:
# argument syntax for every type (hex, signed, NaN payloads, -0, inf),
# the printed form of results (C99 %a, nan:0xPAYLOAD, references),
# multi-value, and the command's errors with their exit statuses
# (docs/exit-codes.md: 2 usage, 3 bad module, 6 not found).
. "$(dirname "$0")/lib.sh"

# wat NAME: the WebAssembly text on stdin becomes $T/NAME.wasm (not
# validated by wat2wasm: wasmrt is what validates).
wat() {
    cat >"$T/$1.wat"
    wat2wasm --no-check "$T/$1.wat" -o "$T/$1.wasm" || echo "FAIL: $suite: wat2wasm $1"
}

wat m <<'EOF'
(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "i32") (param i32) (result i32) local.get 0)
  (func (export "i64") (param i64) (result i64) local.get 0)
  (func (export "f32") (param f32) (result f32) local.get 0)
  (func (export "f64") (param f64) (result f64) local.get 0)
  (func (export "neg32") (param f32) (result f32) local.get 0 f32.neg)
  (func (export "neg64") (param f64) (result f64) local.get 0 f64.neg)
  (func (export "half") (param f64) (result f64) local.get 0 f64.const 0.5 f64.mul)
  (func (export "swap") (param i64 f64) (result f64 i64) local.get 1 local.get 0)
  (func (export "none"))
  (func (export "nullfunc") (result funcref) ref.null func)
  (func (export "somefunc") (result funcref) ref.func 0)
  (elem declare func 0)
  (func (export "ext") (param externref) (result externref) local.get 0)
  (func (export "isnull") (param externref) (result i32) local.get 0 ref.is_null)
  (memory (export "mem") 1)
)
EOF

# inv NAME ARGS... EXPECTED-OUTPUT-LINES: one case, exit status 0.
inv() {
    what=$1; shift
    want=$1; shift
    begin "invoke $what"
    run wasmrt --invoke "$@"
    check_rc 0
    printf '%s\n' "$want" >"$T/expected"    # not a pipe: check_* must
    check_out <"$T/expected"                # run in this shell
    check_empty_err
    end
}

inv "i32 add" "i32:5" add "$T/m.wasm" i32:2 i32:3
inv "i32 negative" "i32:-7" i32 "$T/m.wasm" i32:-7
inv "i32 hex above 2^31 wraps to signed" "i32:-1" i32 "$T/m.wasm" i32:0xffffffff
inv "i32 2^31 prints as INT32_MIN" "i32:-2147483648" i32 "$T/m.wasm" i32:2147483648
inv "i32 minimum" "i32:-2147483648" i32 "$T/m.wasm" i32:-2147483648
inv "i32 upper-case hex" "i32:43981" i32 "$T/m.wasm" i32:0XABCD
inv "i64 hex" "i64:255" i64 "$T/m.wasm" i64:0xff
inv "i64 minimum" "i64:-9223372036854775808" i64 "$T/m.wasm" i64:-9223372036854775808
inv "i64 2^64-1 is -1" "i64:-1" i64 "$T/m.wasm" i64:18446744073709551615
inv "f32 1.5 as %a" "f32:0x1.8p+0" f32 "$T/m.wasm" f32:1.5
inv "f32 0.1 rounds to float" "f32:0x1.99999ap-4" f32 "$T/m.wasm" f32:0.1
inv "f32 hex float" "f32:-0x1.8p+3" f32 "$T/m.wasm" f32:-0x1.8p3
inv "f32 negative zero" "f32:-0x0p+0" f32 "$T/m.wasm" f32:-0
inv "f32 smallest subnormal" "f32:0x1p-149" f32 "$T/m.wasm" f32:0x1p-149
inv "f32 inf" "f32:inf" f32 "$T/m.wasm" f32:inf
inv "f32 -inf" "f32:-inf" f32 "$T/m.wasm" f32:-inf
inv "f32 canonical nan" "f32:nan:0x400000" f32 "$T/m.wasm" f32:nan
inv "f32 nan payload" "f32:nan:0x200000" f32 "$T/m.wasm" f32:nan:0x200000
inv "f32 negative nan payload 1" "f32:-nan:0x1" f32 "$T/m.wasm" f32:-nan:0x1
inv "f32.neg keeps the payload" "f32:-nan:0x200000" neg32 "$T/m.wasm" f32:nan:0x200000
inv "f64 hex float" "f64:-0x1.8p+3" f64 "$T/m.wasm" f64:-0x1.8p3
inv "f64 decimal" "f64:0x1.91eb851eb851fp+1" f64 "$T/m.wasm" f64:3.14
inv "f64 negative zero" "f64:-0x0p+0" f64 "$T/m.wasm" f64:-0
inv "f64.neg of zero" "f64:-0x0p+0" neg64 "$T/m.wasm" f64:0
inv "f64 canonical nan" "f64:nan:0x8000000000000" f64 "$T/m.wasm" f64:nan
inv "f64 -nan payload" "f64:-nan:0x4000000000001" f64 "$T/m.wasm" f64:-nan:0x4000000000001
inv "f64 largest" "f64:0x1.fffffffffffffp+1023" f64 "$T/m.wasm" f64:1.7976931348623157e308
inv "f64 -inf" "f64:-inf" f64 "$T/m.wasm" f64:-inf
inv "f64 arithmetic" "f64:0x1.4p+0" half "$T/m.wasm" f64:2.5
inv "multi-value results, one per line" "f64:0x1.4p+1
i64:1" swap "$T/m.wasm" i64:1 f64:2.5
inv "funcref null" "funcref:null" nullfunc "$T/m.wasm"
inv "funcref non-null" "funcref:<non-null>" somefunc "$T/m.wasm"
inv "externref round trip" "externref:42" ext "$T/m.wasm" externref:42
inv "externref null" "externref:null" ext "$T/m.wasm" externref:null
inv "ref.is_null of externref null" "i32:1" isnull "$T/m.wasm" externref:null

begin "invoke a function without results prints nothing"
run wasmrt --invoke none "$T/m.wasm"
check_rc 0
check_out </dev/null
check_empty_err
end

begin "--invoke=NAME and options after it"
run wasmrt --invoke=add --fuel=1000 "$T/m.wasm" i32:-1 i32:1
check_rc 0
check_out <<'EOF'
i32:0
EOF
end

# --- errors --------------------------------------------------------------

# bad WHAT RC STDERR ARGS...: a failing case with exact stderr, no stdout.
bad() {
    what=$1; shift
    want_rc=$1; shift
    want_err=$1; shift
    begin "$what"
    run wasmrt "$@"
    check_rc "$want_rc"
    printf '%s\n' "$want_err" >"$T/expected"
    check_err <"$T/expected"
    check_out </dev/null
    end
}

bad "an unknown export is not found (6)" 6 \
    "wasmrt: $T/m.wasm: unknown export 'nope'" --invoke nope "$T/m.wasm"
bad "a memory export cannot be invoked (2)" 2 \
    "wasmrt: $T/m.wasm: export 'mem' is not a function" --invoke mem "$T/m.wasm"
bad "too few arguments (2)" 2 \
    "wasmrt: 'add' takes 2 arguments, got 1" --invoke add "$T/m.wasm" i32:1
bad "too many arguments (2)" 2 \
    "wasmrt: 'i32' takes 1 argument, got 2" --invoke i32 "$T/m.wasm" i32:1 i32:2
bad "an argument of the wrong type (2)" 2 \
    "wasmrt: argument 2 of 'add' is i32, got 'i64:2'" --invoke add "$T/m.wasm" i32:1 i64:2
for v in i32:abc i32:4294967296 i32:-2147483649 i32: i32:0x i32:1.5 i64:18446744073709551616 \
         f32:nan:0x800000 f32:nan:0x0 f32:1e f32:--1 f32:0x f64:nan:0x10000000000000 \
         v128:0 i32 funcref:1 externref:0 externref:-1; do
    bad "invalid argument '$v' (2)" 2 \
        "wasmrt: invalid value '$v' (expected TYPE:VALUE)" --invoke i32 "$T/m.wasm" "$v"
done

bad "a missing module is not found (6)" 6 \
    "wasmrt: $T/none.wasm: cannot open: No such file or directory" "$T/none.wasm"
bad "a module without _start cannot be run as a command (6)" 6 \
    "wasmrt: $T/m.wasm: no '_start' function to run (use --invoke NAME to call an export)" \
    "$T/m.wasm"

printf 'not wasm' >"$T/bad.wasm"
bad "a file that is not wasm is a format error (3)" 3 \
    "wasmrt: $T/bad.wasm: offset 0x0: magic header not detected" "$T/bad.wasm"
printf '\000asm\001\000\000\000\001\005' >"$T/trunc.wasm"
begin "a truncated module names the offset (3)"
run wasmrt "$T/trunc.wasm"
check_rc 3
check_err_has "wasmrt: $T/trunc.wasm: offset 0x"
check_out </dev/null
end

wat invalid <<'EOF'
(module (func (export "f") (result i32) i64.const 0))
EOF
begin "a module that does not validate is a format error (3)"
run wasmrt --invoke f "$T/invalid.wasm"
check_rc 3
check_err_has "wasmrt: $T/invalid.wasm: offset 0x"
check_err_has "type mismatch"
end

wat needs <<'EOF'
(module (import "env" "f" (func)) (func (export "g")))
EOF
bad "an import wasmrt does not provide is a link error (3)" 3 \
    "wasmrt: $T/needs.wasm: unknown import: env.f" --invoke g "$T/needs.wasm"
wat badwasi <<'EOF'
(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))) (func (export "g")))
EOF
bad "a WASI import of the wrong type is a link error (3)" 3 \
    "wasmrt: $T/badwasi.wasm: incompatible import type" --invoke g "$T/badwasi.wasm"

# --- the command line ----------------------------------------------------

begin "--help prints the usage and the options"
run wasmrt --help
check_rc 0
check_out_has "usage: wasmrt [OPTIONS] FILE.wasm [ARGS...]"
check_out_has "--max-memory BYTES"
check_out_has "--dir HOST[::GUEST]"
check_empty_err
end

begin "--version"
run wasmrt --version
check_rc 0
check_out_has "wasmrt 0.1.0"
end

usage_line="usage: wasmrt [OPTIONS] FILE.wasm [ARGS...]  (see wasmrt --help)"
bad "no module is a usage error (2)" 2 "wasmrt: no module given
$usage_line"
bad "an unknown option is a usage error (2)" 2 "wasmrt: unknown option '--frobnicate'
$usage_line" --frobnicate "$T/m.wasm"
bad "an option without its value (2)" 2 "wasmrt: option '--fuel' requires a value
$usage_line" --fuel
bad "a bad --fuel (2)" 2 "wasmrt: invalid number of instructions '10x' for --fuel
$usage_line" --fuel 10x "$T/m.wasm"
bad "a bad --max-memory suffix (2)" 2 "wasmrt: invalid size '1T' for --max-memory
$usage_line" --max-memory 1T "$T/m.wasm"
bad "--env without '=' (2)" 2 "wasmrt: invalid variable 'FOO' for --env (NAME=VALUE)
$usage_line" --env FOO "$T/m.wasm"
bad "--help takes no value (2)" 2 "wasmrt: option '--help' takes no value
$usage_line" --help=yes

begin "'--' ends the options"
run wasmrt --invoke add -- "$T/m.wasm" i32:1 i32:1
check_rc 0
check_out <<'EOF'
i32:2
EOF
end

finish
