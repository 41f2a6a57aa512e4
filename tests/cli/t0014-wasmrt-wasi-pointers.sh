#!/bin/sh
# t0014-wasmrt-wasi-pointers.sh - hostile arguments to WASI functions,
# called from hand-written modules through `wasmrt --invoke`: pointers and
# lengths outside linear memory (or wrapping around 4 GiB) give EFAULT
# (21) before any I/O is done, a module without memory gets EFAULT, bad
# fds EBADF (8), an empty poll EINVAL (28), functions outside the subset
# ENOSYS (52); wasmrt never crashes.
. "$(dirname "$0")/lib.sh"

wat() {
    cat >"$T/$1.wat"
    wat2wasm "$T/$1.wat" -o "$T/$1.wasm" || echo "FAIL: $suite: wat2wasm $1"
}

wat p <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name"
    (func $prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek"
    (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir"
    (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept"
    (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename"
    (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "hi\n")
  (data (i32.const 16) "\00\00\00\00\03\00\00\00")   ;; iovec {0, 3}
  (data (i32.const 24) "\fe\ff\00\00\0a\00\00\00")   ;; iovec {65534, 10}
  (data (i32.const 32) "\00\00\00\00\ff\ff\ff\ff")   ;; iovec {0, 4 GiB - 1}
  (data (i32.const 48) "a.txt")
  (func (export "write_ok") (result i32)
    (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 64)))
  (func (export "write_iovs_out") (result i32)
    (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 64)))
  (func (export "write_buf_out") (result i32)
    (call $fd_write (i32.const 1) (i32.const 24) (i32.const 1) (i32.const 64)))
  (func (export "write_buf_huge") (result i32)
    (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 64)))
  (func (export "write_count_huge") (result i32)
    (call $fd_write (i32.const 1) (i32.const 16) (i32.const 0x20000000) (i32.const 64)))
  (func (export "write_result_out") (result i32)
    (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 65534)))
  (func (export "write_bad_fd") (result i32)
    (call $fd_write (i32.const 99) (i32.const 16) (i32.const 1) (i32.const 64)))
  (func (export "write_negative_fd") (result i32)
    (call $fd_write (i32.const -1) (i32.const 16) (i32.const 1) (i32.const 64)))
  (func (export "read_into_end") (result i32)
    (call $fd_read (i32.const 0) (i32.const 24) (i32.const 1) (i32.const 64)))
  (func (export "args_out") (result i32)
    (call $args_get (i32.const 65535) (i32.const 0)))
  (func (export "args_buf_out") (result i32)
    (call $args_get (i32.const 0) (i32.const 65535)))
  (func (export "environ_sizes_out") (result i32)
    (call $environ_sizes_get (i32.const 65533) (i32.const 0)))
  (func (export "random_out") (result i32)
    (call $random_get (i32.const 65000) (i32.const 1000)))
  (func (export "random_wrap") (result i32)
    (call $random_get (i32.const 0xffffffff) (i32.const 2)))
  (func (export "random_ok") (result i32)
    (call $random_get (i32.const 1024) (i32.const 64512)))
  (func (export "path_out") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 65530) (i32.const 100)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))
  (func (export "path_long") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 5000)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))
  (func (export "path_result_out") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 48) (i32.const 5)
      (i32.const 1) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 65535)))
  (func (export "path_nul") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 8)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))
  (func (export "path_too_many_rights") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 48) (i32.const 5)
      (i32.const 0) (i64.const -1) (i64.const 0) (i32.const 0) (i32.const 64)))
  (func (export "path_not_dir") (result i32)
    (call $path_open (i32.const 1) (i32.const 0) (i32.const 48) (i32.const 5)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))
  (func (export "prestat_name_out") (result i32)
    (call $prestat_dir_name (i32.const 3) (i32.const 65534) (i32.const 100)))
  (func (export "prestat_name_short") (result i32)
    (call $prestat_dir_name (i32.const 3) (i32.const 0) (i32.const 1)))
  (func (export "seek_whence") (result i32)
    (call $fd_seek (i32.const 3) (i64.const 0) (i32.const 7) (i32.const 64)))
  (func (export "poll_none") (result i32)
    (call $poll_oneoff (i32.const 0) (i32.const 1024) (i32.const 0) (i32.const 64)))
  (func (export "poll_out") (result i32)
    (call $poll_oneoff (i32.const 65500) (i32.const 1024) (i32.const 1) (i32.const 64)))
  (func (export "poll_fd") (result i32)   ;; one fd_read subscription
    (i32.store8 (i32.const 2056) (i32.const 1))
    (call $poll_oneoff (i32.const 2048) (i32.const 4096) (i32.const 1) (i32.const 64)))
  (func (export "readdir_out") (result i32)
    (call $fd_readdir (i32.const 3) (i32.const 65000) (i32.const 4096) (i64.const 0) (i32.const 64)))
  (func (export "readdir_file") (result i32)
    (call $fd_readdir (i32.const 1) (i32.const 1024) (i32.const 256) (i64.const 0) (i32.const 64)))
  (func (export "sock_accept") (result i32)
    (call $sock_accept (i32.const 3) (i32.const 0) (i32.const 64)))
  (func (export "rename") (result i32)
    (call $path_rename (i32.const 3) (i32.const 48) (i32.const 5) (i32.const 3)
      (i32.const 48) (i32.const 5)))
)
EOF

wat nomem <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (func (export "write") (result i32)
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0)))
  (func (export "random0") (result i32)
    (call $random_get (i32.const 0) (i32.const 0))))
EOF

mkdir -p "$T/box"

# errno NAME VALUE [STDOUT-BEFORE]: --invoke NAME prints i32:VALUE.
errno_case() {
    begin "$1 returns $2"
    run wasmrt --dir "$T/box" --invoke "$1" "$T/p.wasm"
    check_rc 0
    { [ -z "${3:-}" ] || printf '%s\n' "$3"; printf 'i32:%s\n' "$2"; } >"$T/expected"
    check_out <"$T/expected"      # not through a pipe: that would be a subshell
    check_empty_err
    end
}

errno_case write_ok 0 hi
errno_case write_iovs_out 21
errno_case write_buf_out 21
errno_case write_buf_huge 21
errno_case write_count_huge 21
errno_case write_result_out 21
errno_case write_bad_fd 8
errno_case write_negative_fd 8
errno_case args_out 21
errno_case args_buf_out 21
errno_case environ_sizes_out 21
errno_case random_out 21
errno_case random_wrap 21
errno_case random_ok 0
errno_case path_out 21
errno_case path_long 37
errno_case path_result_out 21
errno_case path_nul 28
errno_case path_too_many_rights 76
errno_case path_not_dir 54
errno_case prestat_name_out 21
errno_case prestat_name_short 37
errno_case seek_whence 28
errno_case poll_none 28
errno_case poll_out 21
errno_case poll_fd 52
errno_case readdir_out 21
errno_case readdir_file 54
errno_case sock_accept 52
errno_case rename 52

begin "fd_read into a buffer past the end of memory: EFAULT, nothing read"
printf 'abc' >"$T/in"
run_in "$T/in" wasmrt --invoke read_into_end "$T/p.wasm"
check_rc 0
check_out <<'EOF'
i32:21
EOF
end

begin "nothing was created by the refused path_open"
check_that "a.txt not created" test ! -e "$T/box/a.txt"
end

begin "a module without memory: EFAULT for any pointer"
run wasmrt --invoke write "$T/nomem.wasm"
check_rc 0
check_out <<'EOF'
i32:21
EOF
end

begin "a module without memory: zero bytes at 0 is still EFAULT"
run wasmrt --invoke random0 "$T/nomem.wasm"
check_rc 0
check_out <<'EOF'
i32:21
EOF
end

finish
