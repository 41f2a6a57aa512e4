fuzz_extra_bundle := tests/fuzz/common/pkg_fuzz.c
