# lib.sh - shared harness for tests/cli/tNNNN-*.sh (sourced, POSIX sh).
#
# A script is a list of cases:
#
#     begin "keygen writes a public key"
#     run wharf-index keygen -p "$T/k.pub" -s "$T/k.key" -W
#     check_rc 0
#     check_out <<'EOF'
#     ...exact expected stdout...
#     EOF
#     end
#
# `run` executes a command with build/bin first in PATH, recording stdout,
# stderr and the exit status; each check_* compares and, on a mismatch,
# prints a diff and marks the case failed; `end` counts it.  `finish` prints
# the RESULT line tests/run.sh reads.  Every script gets a fresh scratch
# directory $T and WHARF_HOME, removed on exit.
set -u
WHARF_BUILD=${WHARF_BUILD:-$(pwd)/build}
PATH="$WHARF_BUILD/bin:$WHARF_BUILD/tests/tools:$PATH"
export PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/wharf-test.XXXXXX")
WHARF_HOME="$T/home"
export WHARF_HOME
trap 'rm -rf "$T"' EXIT
suite=$(basename "$0" .sh)
n_pass=0
n_fail=0
case_name=""
case_ok=1
rc=0

# run_wasm FILE: the smallest useful module, exporting "run" () -> (),
# which the indexer's tests package again and again.
run_wasm() {
    printf '\000asm\001\000\000\000\001\004\001\140\000\000\003\002\001\000\007\007\001\003run\000\000\012\004\001\002\000\013' >"$1"
}

begin() { case_name=$1; case_ok=1; rm -f "$T/.failed"; }

# A check may run in a subshell (the right side of a pipe), where setting
# case_ok is lost; the marker file is not.
fail() {
    echo "FAIL: $suite: $case_name: $*"
    case_ok=0
    : >"$T/.failed"
}

run() {
    "$@" >"$T/.out" 2>"$T/.err"
    rc=$?
}

# run with stdin from a file: run_in FILE CMD...
run_in() {
    f=$1; shift
    "$@" <"$f" >"$T/.out" 2>"$T/.err"
    rc=$?
}

check_rc() {
    [ "$rc" = "$1" ] || { fail "exit status $rc, expected $1"; sed 's/^/  stderr: /' "$T/.err"; }
}

check_out() {
    cat >"$T/.want"
    diff -u "$T/.want" "$T/.out" >"$T/.diff" || { fail "stdout differs"; cat "$T/.diff"; }
}

check_err() {
    cat >"$T/.want"
    diff -u "$T/.want" "$T/.err" >"$T/.diff" || { fail "stderr differs"; cat "$T/.diff"; }
}

check_err_has() {
    grep -qF -- "$1" "$T/.err" || { fail "stderr lacks '$1'"; sed 's/^/  stderr: /' "$T/.err"; }
}

check_out_has() {
    grep -qF -- "$1" "$T/.out" || { fail "stdout lacks '$1'"; sed 's/^/  stdout: /' "$T/.out"; }
}

check_empty_err() {
    [ -s "$T/.err" ] && { fail "unexpected stderr"; sed 's/^/  stderr: /' "$T/.err"; }
    return 0
}

# check that a shell condition holds: check_that "description" test -f x
check_that() {
    what=$1; shift
    "$@" || fail "$what"
}

end() {
    [ -e "$T/.failed" ] && case_ok=0
    if [ $case_ok = 1 ]; then n_pass=$((n_pass + 1)); else n_fail=$((n_fail + 1)); fi
}

finish() {
    echo "RESULT $suite $n_pass $n_fail"
    [ $n_fail = 0 ]
}
