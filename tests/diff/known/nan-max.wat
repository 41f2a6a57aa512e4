;; nan-max.wat - a difference the spec allows: the sign of a NaN result.
;; f32.max with a NaN operand: wasmrt returns that operand (0x7fc00000),
;; V8 the x86 default NaN (0xffc00000).  diff.sh's self-check expects its
;; triage to call this "NaN bits" (docs/testing.md).
(module
  (func (export "max") (result i32)
    (i32.reinterpret_f32 (f32.max (f32.const 0) (f32.const nan)))))
