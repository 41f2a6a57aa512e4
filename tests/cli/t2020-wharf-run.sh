#!/bin/sh
# t2020-wharf-run.sh - wharf run: which module (installed ferrpkg and
# bundle, NAME@REQ, not installed, a PAR, a changed file, --file), the
# buffer convention of Ferrite UDFs, typed --arg, WASI commands with
# arguments and --dir, every function of Ferrite's host API with bad
# pointers, the store (written only on success; a trap, a kill or a
# killed write leave the old file; malformed stores), and the limits.
. "$(dirname "$0")/lib.sh"
data=$(cd "$(dirname "$0")/data" && pwd)
examples=$(cd "$(dirname "$0")/../../examples/wasm" && pwd)
cd "$T" || exit 1

wat() {
    cat >"$1.wat"
    wat2wasm "$1.wat" -o "$1.wasm" || echo "FAIL: $suite: wat2wasm $1"
}
wat2wasm "$data/ferrite-host.wat" -o host.wasm || echo "FAIL: $suite: wat2wasm host"
for p in args cat; do
    clang --target=wasm32-wasi --sysroot=/usr -O2 -o "$p.wasm" "$examples/$p.c" ||
        echo "FAIL: $suite: cannot compile $p.c"
done

# email: a UDF, 1 when its input holds one '@', neither first nor last.
wat email <<'W'
(module
  (memory (export "memory") 1)
  (func (export "get_buffer_ptr") (result i32) i32.const 1024)
  (func (export "get_buffer_cap") (result i32) i32.const 64)
  (func (export "validate") (param $len i32) (result i32)
    (local $i i32) (local $at i32) (local $n i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (if (i32.eq (i32.load8_u offset=1024 (local.get $i)) (i32.const 64))
        (then (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (local.set $at (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.and (i32.eq (local.get $n) (i32.const 1))
      (i32.and (i32.gt_u (local.get $at) (i32.const 0))
               (i32.lt_u (local.get $at) (i32.sub (local.get $len) (i32.const 1))))))
  (func (export "add") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
  (func (export "half") (param f64 f32) (result f64 f32)
    (f64.div (local.get 0) (f64.const 2)) (f32.div (local.get 1) (f32.const 2)))
  (func (export "none"))
  (global (export "g") i32 (i32.const 1))
)
W
# badbuf: a buffer that does not fit in memory.
wat badbuf <<'W'
(module
  (memory (export "memory") 1)
  (func (export "get_buffer_ptr") (result i32) i32.const 65000)
  (func (export "get_buffer_cap") (result i32) i32.const 1000)
  (func (export "f") (param i32) (result i32) local.get 0))
W
wat limits <<'W'
(module
  (memory 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "boom") unreachable))
W
wat big <<'W'
(module (memory 300) (func (export "f") (result i32) memory.size))
W

mkpkg ferrpkg email.wasm email-1.0.0.ferrpkg --set 'name="email"' --set 'version="1.0.0"'
cat >plugin.toml <<'W'
[plugin]
name = "bmail"
version = "0.3.1"
description = "the email UDF as a bundle"
author = "Ada"
license = "MIT"
W
mkpkg zip bmail.zip plugin.toml=plugin.toml check.wasm=email.wasm README.md=plugin.toml
mkpar prov.par --name prov --ver 1.0.0 --rev 1 --bin-text x86_64-linux.bin=ELF
mkpkg ferrpkg args.wasm args-2.0.0.ferrpkg --set 'name="args"' --set 'version="2.0.0"'
for p in email-1.0.0.ferrpkg bmail.zip prov.par args-2.0.0.ferrpkg; do
    wharf install "./$p" --allow-unsigned -q || echo "FAIL: $suite: install $p"
done

# --- which module ------------------------------------------------------------

begin "the buffer convention: the input is copied, FUNC(len) printed"
run wharf run email validate --input ada@example.org
check_rc 0
check_out <<'X'
1
X
check_empty_err
run wharf run email validate --input ada.example.org
check_rc 0
check_out <<'X'
0
X
end

begin "NAME@REQ matching the installed version"
run wharf run 'email@^1' validate --input a@b
check_rc 0
check_out <<'X'
1
X
end

begin "NAME@REQ not matching: not installed (6)"
run wharf run 'email@^2' validate --input a@b
check_rc 6
check_err <<'X'
wharf run: 'email@^2' is not installed (email 1.0.0 is)
X
check_out </dev/null
end

begin "a module that is not installed (6)"
run wharf run nope
check_rc 6
check_err <<'X'
wharf run: 'nope' is not installed
X
end

begin "a bundle runs the .wasm at its root"
run wharf run bmail validate --input x@y
check_rc 0
check_out <<'X'
1
X
end

begin "a PAR is refused (2)"
run wharf run prov
check_rc 2
check_err <<'X'
wharf run: 'prov' is a PAR: a PAR is a native provider: wharf runs WebAssembly modules
X
end

begin "a package file is not a module name (2)"
run wharf run ./email-1.0.0.ferrpkg
check_rc 2
check_err <<'X'
wharf run: './email-1.0.0.ferrpkg' is a file: run a module file with --file
X
end

begin "no module named (2)"
run wharf run
check_rc 2
check_err_has "wharf run: no module named (NAME[@REQ], or --file MODULE.wasm)"
end

begin "--file runs a module file"
run wharf run --file email.wasm validate --input a@b
check_rc 0
check_out <<'X'
1
X
end

begin "a missing --file (6)"
run wharf run --file missing.wasm f
check_rc 6
check_err <<'X'
wharf run: missing.wasm: cannot open: No such file or directory
X
end

begin "a module that is not WebAssembly (3)"
echo hello >bad.wasm
run wharf run --file bad.wasm f
check_rc 3
check_err_has "wharf run: bad.wasm: "
end

# --- the buffer convention -------------------------------------------------------

begin "an input as long as the buffer fits"
run wharf run email validate --input "$(printf '%064d' 0 | tr 0 a)"
check_rc 0
check_out <<'X'
0
X
end

begin "an input longer than the buffer (3)"
run wharf run email validate --input "$(printf '%065d' 0 | tr 0 a)"
check_rc 3
check_err <<'X'
wharf run: the input of 65 bytes is longer than the buffer of 'email' (64 bytes)
X
check_out </dev/null
end

begin "--input-file"
printf 'ada@lovelace' >in.txt
run wharf run email validate --input-file in.txt
check_rc 0
check_out <<'X'
1
X
end

begin "no input: FUNC(0)"
run wharf run email validate
check_rc 0
check_out <<'X'
0
X
end

begin "a buffer outside memory (3)"
run wharf run --file badbuf.wasm f --input x
check_rc 3
check_err <<'X'
wharf run: badbuf.wasm: the buffer of 1000 bytes at 65000 (get_buffer_ptr, get_buffer_cap) is not inside the module's memory of 65536 bytes
X
end

begin "--input without the convention (2)"
run wharf run --file limits.wasm grow --input x
check_rc 2
check_err <<'X'
wharf run: --input needs the buffer convention: the module exports no get_buffer_ptr and get_buffer_cap
X
end

# --- typed arguments --------------------------------------------------------------

begin "--arg read by the parameter's type, results printed"
run wharf run email add --arg -2 --arg 0x7fffffffffffffff
check_rc 0
check_out <<'X'
9223372036854775805
X
end

begin "floats: the shortest decimal that reads back"
run wharf run email half --arg 0.1 --arg 3
check_rc 0
check_out <<'X'
0.05
1.5
X
end

begin "a function without results prints nothing"
run wharf run email none
check_rc 0
check_out </dev/null
check_empty_err
end

begin "the wrong number of --arg (2)"
run wharf run email add --arg 1
check_rc 2
check_err <<'X'
wharf run: 'add' takes 2 arguments, got 1 --arg
X
end

begin "a value of the wrong type (2)"
run wharf run email add --arg 1 --arg 1.5
check_rc 2
check_err <<'X'
wharf run: argument 2 of 'add' is i64, got '1.5'
X
end

begin "an i32 out of range (2)"
run wharf run email add --arg 4294967296 --arg 1
check_rc 2
check_err <<'X'
wharf run: argument 1 of 'add' is i32, got '4294967296'
X
end

begin "no FUNC and no _start: the exports are listed (2)"
run wharf run email
check_rc 2
check_err <<'X'
wharf run: email has no _start: name the function to call (it exports: get_buffer_ptr, get_buffer_cap, validate, add, half, none)
X
end

begin "an unknown FUNC (6)"
run wharf run email nope
check_rc 6
check_err <<'X'
wharf run: email: no function 'nope' (it exports: get_buffer_ptr, get_buffer_cap, validate, add, half, none)
X
end

begin "an export that is not a function (2)"
run wharf run email g
check_rc 2
check_err <<'X'
wharf run: email: not a function: 'g' (it exports: get_buffer_ptr, get_buffer_cap, validate, add, half, none)
X
end

begin "arguments after -- are only for a command (2)"
run wharf run email add -- 1 2
check_rc 2
check_err <<'X'
wharf run: arguments after '--' are for a WASI command (_start), not 'add': use --arg
X
end

begin "a reactor's _initialize runs before FUNC"
wat reactor <<'W'
(module
  (global $g (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $g (i32.const 41)))
  (func (export "get") (result i32) (i32.add (global.get $g) (i32.const 1))))
W
run wharf run --file reactor.wasm get
check_rc 0
check_out <<'X'
42
X
end

# --- WASI commands -------------------------------------------------------------------

begin "a command: arguments after --, argv[0] is the module's name"
run wharf run args -- one "two words" --input
check_rc 0
check_out <<'X'
argc=4
argv[0]=args
argv[1]=one
argv[2]=two words
argv[3]=--input
0 variables
X
end

begin "FUNC _start runs the command too"
run wharf run args _start -- x
check_rc 0
check_out_has "argv[1]=x"
end

begin "--dir HOST::GUEST preopens a directory"
mkdir -p d && echo "hello from d" >d/hello.txt
run wharf run --file cat.wasm --dir "$T/d::/data" -- /data/hello.txt
check_rc 0
check_out <<'X'
hello from d
X
end

begin "outside the preopened directories the guest sees nothing"
run wharf run --file cat.wasm --dir "$T/d::/data" -- "$T/in.txt"
check_rc 1
check_out </dev/null
end

begin "a --dir that does not exist (6)"
run wharf run --file cat.wasm --dir "$T/nodir" -- x
check_rc 6
check_err_has "wharf run: cannot open directory"
end

# --- Ferrite's host API ----------------------------------------------------------------
# host.wasm's data: 0 "user:1", 8 "audit:log", 32 "ada lovelace",
# 48 "counter", 64 "name", 72 "hello, log", 96 "profile:1".
set -f      # $H holds '*' patterns, unquoted
H="wharf run --file host.wasm --store s.json --read * --write *"

# hcase WHAT RC STDOUT FUNC ARGS...: one host call through an export.
hcase() {
    what=$1 want_rc=$2 want_out=$3 fn=$4; shift 4
    args=""
    for a in "$@"; do args="$args --arg $a"; done
    begin "$what"
    # shellcheck disable=SC2086
    run $H "$fn" $args
    check_rc "$want_rc"
    printf '%s\n' "$want_out" | check_out
    end
}

hcase "set: 0" 0 0 set 0 6 32 12
hcase "get: the bytes written" 0 12 get 0 6 1024 100
begin "get wrote the value into memory"
run $H get --arg 0 --arg 6 --arg 1024 --arg 100
check_err <<'X'
[info] ada lovelace
X
end
hcase "get: a value longer than the buffer is cut" 0 3 get 0 6 1024 3
hcase "get: no such key, -1" 0 -1 get 48 7 1024 100
hcase "get: a negative key pointer, -2" 0 -2 get -1 6 1024 100
hcase "get: a negative key length, -2" 0 -2 get 0 -6 1024 100
hcase "get: a key past the end of memory, -2" 0 -2 get 65531 6 1024 100
hcase "get: a buffer past the end of memory, -2" 0 -2 get 0 6 65530 7
hcase "set: a value ending at the end of memory is fine (NUL bytes too)" 0 0 set 8 9 65530 6
hcase "get: a pointer near 2^31, -2" 0 -2 get 2147483647 1 1024 10
hcase "set: a negative value length, -1" 0 -1 set 0 6 32 -1
hcase "set: a value past the end, -1" 0 -1 set 0 6 65535 2
hcase "exists: 1" 0 1 exists 0 6
hcase "exists: 0" 0 0 exists 48 7
hcase "exists: a bad pointer, -1" 0 -1 exists -5 1
hcase "incr: a new key starts at 1" 0 1 incr 48 7
hcase "incr: then 2" 0 2 incr 48 7
hcase "incr: a value that is not an integer, i64 min" 0 -9223372036854775808 incr 0 6
hcase "incr: a bad pointer, i64 min" 0 -9223372036854775808 incr 48 -7
hcase "hset: a new field, 1" 0 1 hset 96 9 64 4 32 3
hcase "hset: a field replaced, 0" 0 0 hset 96 9 64 4 32 12
hcase "hget: the bytes written" 0 12 hget 96 9 64 4 1024 100
hcase "hget: no such field, -1" 0 -1 hget 96 9 72 5 1024 100
hcase "hget: no such key, -1" 0 -1 hget 48 3 64 4 1024 100
hcase "hget: a string is not a hash, -2" 0 -2 hget 0 6 64 4 1024 100
hcase "hset: on a string, -1" 0 -1 hset 0 6 64 4 32 3
hcase "get: a hash is not a string, -2" 0 -2 get 96 9 1024 100
hcase "hget: a bad field pointer, -2" 0 -2 hget 96 9 65535 4 1024 100
hcase "hset: a bad value pointer, -1" 0 -1 hset 96 9 64 4 -32 3
hcase "del: 1 when removed" 0 1 del 48 7
hcase "del: 0 when there was none" 0 0 del 48 7
hcase "del: a bad pointer, -1" 0 -1 del 0 65537

set +f

begin "the store holds what the calls left, sorted and indented"
check_that "store" test -f s.json
cat s.json >"$T/.out"
check_out <<'X'
{
  "audit:log": "\u0000\u0000\u0000\u0000\u0000\u0000",
  "profile:1": {
    "name": "ada lovelace"
  },
  "user:1": "ada lovelace"
}
X
end

begin "log: each level, quoted"
run wharf run --file host.wasm log --arg 0 --arg 72 --arg 10
run sh -c 'for l in 0 1 2 3 4 99 -1; do wharf run --file host.wasm log --arg $l --arg 72 --arg 5; done'
check_rc 0
check_err <<'X'
[trace] hello
[debug] hello
[info] hello
[warn] hello
[error] hello
[error] hello
[error] hello
X
end

begin "log: a bad pointer logs nothing"
run wharf run --file host.wasm log --arg 2 --arg 65530 --arg 10
check_rc 0
check_empty_err
end

begin "time: milliseconds since the epoch"
before=$(($(date +%s) * 1000))
run wharf run --file host.wasm time
after=$((($(date +%s) + 1) * 1000))
check_rc 0
check_that "time in range" test "$(cat "$T/.out")" -ge "$before" -a "$(cat "$T/.out")" -le "$after"
end

begin "an import of ferrite that is not in the API (3)"
wat unknown <<'W'
(module (import "ferrite" "flush" (func)) (func (export "f")))
W
run wharf run --file unknown.wasm f
check_rc 3
check_err <<'X'
wharf run: unknown.wasm: unknown import: ferrite.flush
X
end

# --- the store: written only on success --------------------------------------------------

printf '{"user:1": "old"}\n' >old.json
cp old.json keep.json

begin "a trap after a set leaves the store as it was (8)"
run wharf run --file host.wasm put_then_trap --input user:1 --write '*' --store keep.json
check_rc 8
check_err <<'X'
wharf run: trap: unreachable
X
check_that "store unchanged" cmp keep.json old.json
end

begin "a run killed after a set leaves the store as it was"
wharf run --file host.wasm put_then_spin --input user:1 --write '*' --store keep.json \
    --fuel 0 --timeout 0 >/dev/null 2>&1 &
pid=$!
sleep 0.3
kill -9 $pid
wait $pid 2>/dev/null
check_that "store unchanged" cmp keep.json old.json
end

begin "a run killed while writing the store leaves the old file"
WHARF_FS_FAULT=1:kill wharf run --file host.wasm put --input user:1 --write '*' \
    --store keep.json >/dev/null 2>&1
check_that "store unchanged" cmp keep.json old.json
end

begin "a failed write of the store is an error (1), the old file stays"
WHARF_FS_FAULT=1 run wharf run --file host.wasm put --input user:1 --write '*' --store keep.json
check_rc 1
check_err <<'X'
wharf run: keep.json: write error: Input/output error
X
check_out <<'X'
0
X
check_that "store unchanged" cmp keep.json old.json
end

begin "a successful call writes it"
run wharf run --file host.wasm put --input user:2 --write '*' --store keep.json
check_rc 0
cat keep.json >"$T/.out"
check_out <<'X'
{
  "user:1": "old",
  "user:2": "ada"
}
X
end

begin "a call that changes nothing does not write"
touch -d '2001-01-01' keep.json
run wharf run --file host.wasm probe --input user:2 --read '*' --store keep.json
check_rc 0
check_that "not rewritten" test "$(stat -c %Y keep.json)" = "$(date -d 2001-01-01 +%s)"
end

begin "a malformed store: FILE:LINE:COL (3), before the module runs"
printf '{\n  "a": "b",\n  "c" 1\n}\n' >bad.json
run wharf run --file host.wasm put --input user:1 --write '*' --store bad.json
check_rc 3
check_err <<'X'
wharf run: bad.json:3:7: ':' expected near '1'
X
end

begin "a store value of the wrong kind names the key (3)"
printf '{"n": 1}' >kind.json
run wharf run --file host.wasm put --input user:1 --write '*' --store kind.json
check_rc 3
check_err <<'X'
wharf run: kind.json: key 'n': a value must be a string or an object of strings (a hash)
X
end

begin "a store that is not an object (3)"
printf '[]' >arr.json
run wharf run --file host.wasm put --input user:1 --write '*' --store arr.json
check_rc 3
check_err <<'X'
wharf run: arr.json: the store must be a JSON object of keys
X
end

# --- limits -----------------------------------------------------------------------------

begin "fuel: the default is 10 million instructions (8)"
run wharf run --file limits.wasm spin
check_rc 8
check_err <<'X'
wharf run: out of fuel after 10000000 instructions
X
end

begin "--fuel N"
run wharf run --file limits.wasm spin --fuel 1000
check_rc 8
check_err <<'X'
wharf run: out of fuel after 1000 instructions
X
end

begin "--timeout MS (8)"
run wharf run --file limits.wasm spin --fuel 0 --timeout 200
check_rc 8
check_err <<'X'
wharf run: deadline exceeded after 200 ms
X
end

begin "memory: the default limit is 16 MiB (8)"
run wharf run --file big.wasm f
check_rc 8
check_err <<'X'
wharf run: memory limit exceeded: the module needs 300 pages (19200 KiB), the limit is 16 MiB
X
end

begin "--memory 32MB lets it run"
run wharf run --file big.wasm f --memory 32MB
check_rc 0
check_out <<'X'
300
X
end

begin "memory.grow past the limit returns -1 to the guest"
run wharf run --file limits.wasm grow --arg 255 --memory 16MB
check_rc 0
check_out <<'X'
1
X
run wharf run --file limits.wasm grow --arg 256 --memory 16MB
check_out <<'X'
-1
X
end

begin "a trap with memory at its limit says so (8)"
run wharf run --file limits.wasm boom --memory 64K
check_rc 8
check_err <<'X'
wharf run: trap: unreachable (memory is at its limit of 64 KiB)
X
end

begin "bad limit values (2)"
run wharf run --file limits.wasm spin --memory lots
check_rc 2
check_err_has "wharf run: --memory 'lots' is not a size (like 16MB)"
run wharf run --file limits.wasm spin --fuel -1
check_rc 2
check_err_has "wharf run: --fuel '-1' is not a number"
end

finish
