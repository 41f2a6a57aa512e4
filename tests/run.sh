#!/bin/sh
# run.sh BUILD_DIR - run every test suite and add up the results.
#
# A suite is a unit test program (BUILD_DIR/tests/unit/*_test), a command-
# line script (tests/cli/t*.sh) or a conformance script
# (tests/conformance/*.sh).  Each prints one or more lines
# "RESULT name passed failed"; a suite that prints none, or exits non-zero
# without reporting a failure, counts as one failure (it crashed).
# Logs go to BUILD_DIR/test-logs/.  The last line is "N passed, N failed".
set -u
O=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
logs="$O/test-logs"
rm -rf "$logs"
mkdir -p "$logs"
case $O in /*) export WHARF_BUILD="$O" ;; *) export WHARF_BUILD="$top/$O" ;; esac
export WHARF_SHARED="${WHARF_SHARED:-$top/../shared}"

total_pass=0
total_fail=0
failed_suites=""

run_suite() {     # run_suite NAME COMMAND...
    name=$1; shift
    log="$logs/$(echo "$name" | tr '/' '_').log"
    "$@" >"$log" 2>&1
    rc=$?
    p=0; f=0; seen=0
    while read -r tag sname sp sf; do
        [ "$tag" = RESULT ] || continue
        seen=1
        p=$((p + sp)); f=$((f + sf))
        printf '  %-44s %6d passed, %d failed\n' "$sname" "$sp" "$sf"
    done <<EOR
$(grep '^RESULT ' "$log")
EOR
    if [ $seen = 0 ] || { [ $rc != 0 ] && [ $f = 0 ]; }; then
        printf '  %-44s crashed (exit %s), see %s\n' "$name" "$rc" "$log"
        f=$((f + 1))
    fi
    if [ $f != 0 ]; then
        failed_suites="$failed_suites $log"
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

echo "unit tests:"
for t in "$O"/tests/unit/*_test; do
    [ -x "$t" ] && run_suite "unit/${t##*/}" "$t"
done
echo "command-line tests:"
for t in tests/cli/t[0-9]*.sh; do
    [ -f "$t" ] && run_suite "cli/${t##*/}" sh "$t"
done
echo "conformance:"
for t in tests/conformance/*.sh; do
    [ -f "$t" ] && run_suite "conformance/${t##*/}" sh "$t"
done

for log in $failed_suites; do
    echo "--- failures in $log:"
    grep -E 'FAIL|ERROR|not ok|^---|^\+\+\+|^[-+ ]|error|Sanitizer|runtime error|cannot' "$log" |
        head -40 | grep . || tail -5 "$log"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
