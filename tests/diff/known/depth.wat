;; depth.wat - a difference the spec allows: how deep calls may nest.
;; 10500 nested calls: more than wasmrt's default limit of 10000
;; (wr_limits.max_call_depth), fewer than V8 takes in its 984 KB stack.
;; diff.sh's self-check expects its triage to call this "call depth".
(module
  (func $f (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $f (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.const 0))))
  (func (export "deep") (result i32)
    (call $f (i32.const 10500))))
