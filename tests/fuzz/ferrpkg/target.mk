fuzz_extra_ferrpkg := tests/fuzz/common/pkg_fuzz.c
