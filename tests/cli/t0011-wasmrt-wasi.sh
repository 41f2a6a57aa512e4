#!/bin/sh
# t0011-wasmrt-wasi.sh - WASI commands run by `wasmrt FILE.wasm ARGS...`:
# C programs from examples/wasm/ compiled at test time with clang
# --target=wasm32-wasi and Debian's wasi-libc.  Hello world, arguments and
# environment, exit statuses (return and proc_exit), stdin, a file read
# from a preopened directory, the file operations of the subset, clocks
# and random bytes, and ENOSYS outside the subset.
. "$(dirname "$0")/lib.sh"

examples=$(cd "$(dirname "$0")/../../examples/wasm" && pwd)

# wasm_cc NAME: examples/wasm/NAME.c becomes $T/NAME.wasm.
wasm_cc() {
    clang --target=wasm32-wasi --sysroot=/usr -O2 -o "$T/$1.wasm" \
        "$examples/$1.c" 2>"$T/cc.err" ||
        { echo "FAIL: $suite: cannot compile $1.c:"; cat "$T/cc.err"; }
}
for p in hello args cat exit files clock; do wasm_cc $p; done

begin "hello world"
run wasmrt "$T/hello.wasm"
check_rc 0
check_out <<'EOF'
hello, world
EOF
check_empty_err
end

begin "arguments: argv[0] is the module, the environment is empty by default"
run wasmrt "$T/args.wasm" one "two words" ""
check_rc 0
check_out <<EOF
argc=4
argv[0]=$T/args.wasm
argv[1]=one
argv[2]=two words
argv[3]=
0 variables
EOF
end

begin "--env adds variables, in order"
run wasmrt --env A=1 --env "B=two words" --env C= "$T/args.wasm"
check_rc 0
check_out <<EOF
argc=1
argv[0]=$T/args.wasm
env: A=1
env: B=two words
env: C=
3 variables
EOF
end

begin "main's return value is the exit status"
run wasmrt --env EXIT=7 "$T/args.wasm"
check_rc 7
end

begin "options after the module are the guest's arguments"
run wasmrt "$T/args.wasm" --fuel 10
check_rc 0
check_out_has "argv[1]=--fuel"
end

for code in 0 3 255; do
    begin "proc_exit($code) is the exit status, after the output so far"
    run wasmrt "$T/exit.wasm" $code
    check_rc $code
    check_out <<EOF
exiting with $code
EOF
    check_empty_err
    end
done

begin "proc_exit statuses wrap at 256 as a native exit() does"
run wasmrt "$T/exit.wasm" 300
check_rc 44
end

begin "stdin reaches the guest"
printf 'line 1\nline 2\n' >"$T/in.txt"
run_in "$T/in.txt" wasmrt "$T/cat.wasm" -
check_rc 0
check_out <"$T/in.txt"
end

mkdir -p "$T/data/sub"
printf 'hello from a preopened file\n' >"$T/data/hello.txt"

begin "a program reads a file from a preopened directory (HOST::GUEST)"
run wasmrt --dir "$T/data::/data" "$T/cat.wasm" /data/hello.txt
check_rc 0
check_out <"$T/data/hello.txt"
check_empty_err
end

begin "a preopened directory under its host name"
run wasmrt --dir "$T/data" "$T/cat.wasm" "$T/data/hello.txt"
check_rc 0
check_out <"$T/data/hello.txt"
end

begin "a preopened directory under a relative guest name"
run wasmrt --dir "$T/data::." "$T/cat.wasm" hello.txt sub/../hello.txt
check_rc 0
cat "$T/data/hello.txt" "$T/data/hello.txt" >"$T/expected"
check_out <"$T/expected"
end

begin "a missing file inside the preopen: ENOENT"
run wasmrt --dir "$T/data::/data" "$T/cat.wasm" /data/missing.txt
check_rc 1
check_err <<'EOF'
cat: /data/missing.txt: No such file or directory
EOF
end

begin "without --dir no file is reachable"
run wasmrt "$T/cat.wasm" "$T/data/hello.txt"
check_rc 1
check_err <<EOF
cat: $T/data/hello.txt: Capabilities insufficient
EOF
end

begin "a missing --dir directory is not found (6)"
run wasmrt --dir "$T/nowhere" "$T/hello.wasm"
check_rc 6
check_err <<EOF
wasmrt: cannot open directory '$T/nowhere': No such file or directory
EOF
end

begin "files: write, seek, tell, read, stat, readdir; mkdir is ENOSYS"
mkdir -p "$T/box/sub"
printf 'x' >"$T/box/a.txt"
run wasmrt --dir "$T/box::/sandbox" "$T/files.wasm" /sandbox
check_rc 0
check_out <<'EOF'
preopen 3: /sandbox
tell after write: 10
seek to 3: 3
read 4: 3456
seek end-2: 8
fstat: size 10, regular 1
stat: size 10
stat sub: directory 1
open missing: No such file or directory
read fd 42: Bad file descriptor
mkdir: Function not implemented
entry .
entry ..
entry a.txt
entry new.txt
entry sub
EOF
check_empty_err
check_that "new.txt was written on the host" test "$(cat "$T/box/new.txt")" = 0123456789
end

begin "clocks, sleep, random bytes, sched_yield"
run wasmrt "$T/clock.wasm"
check_rc 0
check_out <<'EOF'
nanosleep: ok
slept at least 10 ms: ok
realtime after 2020: ok
clock_getres: ok
getentropy: ok
sched_yield: ok
EOF
end

finish
