;; ferrite-host.wat - a module calling every function of Ferrite's host
;; API, for tests/cli/t2020-wharf-run.sh and t2021-wharf-run-grants.sh.
;;
;; Each host function has an export of the same name and signature that
;; passes its arguments through, so a test calls it with --arg pointers
;; into the data below; get and hget also log the value they read.  The
;; UDF exports (buffer at 2048, 256 bytes) use the input as the key.
(module
  (import "ferrite" "log" (func $log (param i32 i32 i32)))
  (import "ferrite" "time" (func $time (result i64)))
  (import "ferrite" "get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "ferrite" "set" (func $set (param i32 i32 i32 i32) (result i32)))
  (import "ferrite" "del" (func $del (param i32 i32) (result i32)))
  (import "ferrite" "exists" (func $exists (param i32 i32) (result i32)))
  (import "ferrite" "incr" (func $incr (param i32 i32) (result i64)))
  (import "ferrite" "hget" (func $hget (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "ferrite" "hset" (func $hset (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "user:1")        ;; 0, 6
  (data (i32.const 8) "audit:log")     ;; 8, 9
  (data (i32.const 32) "ada lovelace") ;; 32, 12
  (data (i32.const 48) "counter")      ;; 48, 7
  (data (i32.const 64) "name")         ;; 64, 4
  (data (i32.const 72) "hello, log")   ;; 72, 10
  (data (i32.const 96) "profile:1")    ;; 96, 9

  (func (export "log") (param i32 i32 i32)
    (call $log (local.get 0) (local.get 1) (local.get 2)))
  (func (export "time") (result i64) (call $time))
  (func (export "get") (param $kp i32) (param $kl i32) (param $bp i32) (param $cap i32)
    (result i32) (local $n i32)
    (local.set $n (call $get (local.get $kp) (local.get $kl) (local.get $bp) (local.get $cap)))
    (if (i32.gt_s (local.get $n) (i32.const 0))
      (then (call $log (i32.const 2) (local.get $bp) (local.get $n))))
    (local.get $n))
  (func (export "set") (param i32 i32 i32 i32) (result i32)
    (call $set (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "del") (param i32 i32) (result i32)
    (call $del (local.get 0) (local.get 1)))
  (func (export "exists") (param i32 i32) (result i32)
    (call $exists (local.get 0) (local.get 1)))
  (func (export "incr") (param i32 i32) (result i64)
    (call $incr (local.get 0) (local.get 1)))
  (func (export "hget") (param $kp i32) (param $kl i32) (param $fp i32) (param $fl i32)
    (param $bp i32) (param $cap i32) (result i32) (local $n i32)
    (local.set $n (call $hget (local.get $kp) (local.get $kl) (local.get $fp)
                              (local.get $fl) (local.get $bp) (local.get $cap)))
    (if (i32.gt_s (local.get $n) (i32.const 0))
      (then (call $log (i32.const 2) (local.get $bp) (local.get $n))))
    (local.get $n))
  (func (export "hset") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $hset (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                (local.get 4) (local.get 5)))

  ;; The buffer convention: the input is a key.
  (func (export "get_buffer_ptr") (result i32) (i32.const 2048))
  (func (export "get_buffer_cap") (result i32) (i32.const 256))
  ;; exists(input): needs READ
  (func (export "probe") (param $len i32) (result i32)
    (call $exists (i32.const 2048) (local.get $len)))
  ;; set(input, "ada"): needs WRITE
  (func (export "put") (param $len i32) (result i32)
    (call $set (i32.const 2048) (local.get $len) (i32.const 32) (i32.const 3)))
  ;; set(input, "ada") twelve times: the last result
  (func (export "put12") (param $len i32) (result i32) (local $i i32) (local $r i32)
    (loop $again
      (local.set $r (call $set (i32.const 2048) (local.get $len) (i32.const 32) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 12))))
    (local.get $r))
  ;; set(input, "ada"), then trap
  (func (export "put_then_trap") (param $len i32) (result i32)
    (drop (call $set (i32.const 2048) (local.get $len) (i32.const 32) (i32.const 3)))
    unreachable)
  ;; set(input, "ada"), then spin for ever
  (func (export "put_then_spin") (param $len i32) (result i32)
    (drop (call $set (i32.const 2048) (local.get $len) (i32.const 32) (i32.const 3)))
    (loop $l (br $l))
    (i32.const 0))
)
