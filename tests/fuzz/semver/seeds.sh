# seeds.sh - the seed corpus of the semver fuzz target, from the unit
# tests' tables: every requirement of tests/unit/semver.data with its
# version, every version of tests/unit/semver_parse.data (an "order"
# chain as pairs of neighbours), and a few hand-written inputs.
#
#   (sourced by tests/fuzz/seeds.sh: seed, seed_tmp, $WHARF_SHARED)
#
# Input format (fuzz.c): byte 0 odd = Cargo ('c'), even = npm ('n'), then
# the requirement and up to four versions, one a line.
#
# Tests: tests/conformance/regress.sh replays the corpus.
out=$(seed_tmp)/semver
mkdir -p "$out"
# Fields are runs of non-blanks or "..." (semver_test.c's rule).
awk -v out="$out" '
function fields(line,   n, q) {
    n = 0
    while (line != "") {
        sub(/^[ \t]+/, "", line)
        if (line == "") break
        if (substr(line, 1, 1) == "\"") {
            q = index(substr(line, 2), "\"")
            f[++n] = substr(line, 2, q - 1)
            line = substr(line, q + 2)
        } else {
            match(line, /^[^ \t]+/)
            f[++n] = substr(line, 1, RLENGTH)
            line = substr(line, RLENGTH + 1)
        }
    }
    return n
}
function seed(text) { printf "%s", text > (out "/t" ++k); close(out "/t" k) }
/^#/ || /^[ \t]*$/ { next }
FILENAME ~ /semver\.data$/ {
    n = fields($0)
    s = f[1] == "cargo" ? "c" : "n"
    if (f[3] == "render") seed(s f[2] "\n" "1.0.0\n" f[4])
    else if (f[3] == "error") seed(s f[2])
    else seed(s f[2] "\n" f[3])
    next
}
{
    n = fields($0)
    if (f[1] == "ok" || f[1] == "err") seed("n=" f[2] "\n" f[2])
    else if (f[1] == "same") seed("c" f[2] "\n" f[2] "\n" f[3])
    else if (f[1] == "order") for (i = 2; i < n; i++) seed("n>=" f[i] "\n" f[i] "\n" f[i + 1])
}' tests/unit/semver.data tests/unit/semver_parse.data
# Hand-written: the caps, carries past UINT64_MAX, OR of hyphen ranges.
printf 'c^0.0.3, <0.0.4-0\n0.0.3\n0.0.3-alpha.1\n0.0.4' >"$out/h1"
printf 'n1.2.3 - 2.3.4 || ~>3.1 || 4.x.x || <=5.0.0-rc.1\n2.3.4+b\n3.1.9\n5.0.0-rc.0' >"$out/h2"
printf 'c~18446744073709551615.18446744073709551615\n18446744073709551615.18446744073709551615.1\n0.0.0-0' >"$out/h3"
printf 'n>18446744073709551615.18446744073709551615.18446744073709551615\n1.0.0-a.b.c.1.2.3\n1.0.0-a.b.c.1.2.3+x' >"$out/h4"
printf 'c=1.0.0-x.7.z.92+exp.sha.5114f85\n1.0.0-x.7.z.92+other\n1.0.0-x.7.z.93\n1.0.0-x-y-z.--' >"$out/h5"
seed "$out"/*
