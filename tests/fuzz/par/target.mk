fuzz_extra_par := tests/fuzz/common/pkg_fuzz.c
