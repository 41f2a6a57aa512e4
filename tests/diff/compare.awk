# compare.awk - compares dt_run's lines (file WR) with ref.mjs's (the
# standard input), module by module, and prints each module that differs
# as "K<TAB>wasmrt line<TAB>reference line".
#
#   node ref.mjs PACK | awk -v WR=wasmrt.out -f compare.awk
#
# Words are equal when identical, with one exception: V8 has one message,
# "float unrepresentable in integer range" (trap:conversion), for the
# two traps of a float-to-integer truncation the spec tells apart,
# "integer overflow" (out of range: wasmrt's trap:overflow) and "invalid
# conversion to integer" (NaN: trap:conversion).  A line missing on one
# side (a runner that died) is a difference too.
# Tests: tests/diff/diff.sh (docs/testing.md, "Differential testing").
function same(a, b,    na, nb, x, y, i) {
    if (a == b) return 1
    na = split(a, x, " "); nb = split(b, y, " ")
    if (na != nb) return 0
    for (i = 1; i <= na; i++) {
        if (x[i] == y[i]) continue
        sub(/=trap:overflow$/, "=trap:conversion", x[i])
        if (x[i] != y[i]) return 0
    }
    return 1
}
{
    ref = $0
    if ((getline wr < WR) <= 0) wr = "(missing)"
    n++
    if (!same(wr, ref)) { split(ref, k, " "); printf "%s\t%s\t%s\n", k[1], wr, ref }
}
END {
    while ((getline wr < WR) > 0) { split(wr, k, " "); printf "%s\t%s\t%s\n", k[1], wr, "(missing)" }
}
