#!/bin/sh
# run.sh FZ SECONDS TARGET... - make fuzz: run each target's libFuzzer
# program FZ/TARGET for SECONDS seconds on its corpus FZ/corpus/TARGET/
# (seeded first by tests/fuzz/seeds.sh; what it finds is added there)
# and print one line per target:
#
#   fuzz toml: 812345 runs (13539/s) in 60 s, cov: 2105 ft: 9120, corpus 1014 files, 0 findings
#
# cov: and ft: are libFuzzer's final counts (edges and features covered).
# A crash, leak, timeout or out-of-memory is saved as
# FZ/findings/TARGET/crash-SHA1 (leak-, timeout-, oom-), and the report's
# first lines follow the target's line; the log is FZ/logs/TARGET.log.
# Flags: -timeout=10 -rss_limit_mb=2048, plus tests/fuzz/TARGET/fuzz.options
# (libFuzzer flags, one per line) and -dict=tests/fuzz/TARGET/fuzz.dict
# when there is one.  Exit status 1 when any target found something.
set -u
FZ=$1; secs=$2; shift 2
cd "$(dirname "$0")/../.." || exit 2
status=0
for t in "$@"; do
    sh tests/fuzz/seeds.sh "$FZ" "$t" >/dev/null || { status=1; continue; }
    mkdir -p "$FZ/findings/$t" "$FZ/logs"
    log=$FZ/logs/$t.log
    before=$(ls "$FZ/findings/$t" | wc -l)
    opts="-timeout=10 -rss_limit_mb=2048 -print_final_stats=1"
    [ -f "tests/fuzz/$t/fuzz.options" ] && opts="$opts $(grep -v '^#' "tests/fuzz/$t/fuzz.options")"
    [ -f "tests/fuzz/$t/fuzz.dict" ] && opts="$opts -dict=tests/fuzz/$t/fuzz.dict"
    # shellcheck disable=SC2086
    "$FZ/$t" $opts -max_total_time="$secs" \
        -artifact_prefix="$FZ/findings/$t/" "$FZ/corpus/$t" >"$log" 2>&1
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    after=$(ls "$FZ/findings/$t" | wc -l)
    found=$((after - before))
    printf 'fuzz %s: %s runs (%s/s) in %s s, %s, corpus %s files, %s findings\n' \
        "$t" "${runs:-?}" "${rate:-?}" "$secs" "${cov:-cov: ?}" \
        "$(ls "$FZ/corpus/$t" | wc -l)" "$found"
    if [ "$found" != 0 ] || grep -q '^==[0-9]*==ERROR\|^SUMMARY\|deadly signal' "$log"; then
        status=1
        ls -t "$FZ/findings/$t" | head -3 | sed "s|^|    saved $FZ/findings/$t/|"
        grep -m1 -A12 'ERROR:\|runtime error\|fuzz assertion' "$log" | sed 's/^/    /'
    fi
done
exit $status
