#!/bin/sh
# wasm-diff.sh - smoke run of the differential tests of wasmrt against V8
# (1500 modules, about 3 s; docs/testing.md "Differential testing of wasmrt").
exec sh "$(dirname "$0")/../diff/diff.sh" "${WHARF_BUILD:-build}"
