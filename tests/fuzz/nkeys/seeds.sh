# seeds.sh - the seed corpus of the nkeys fuzz target: every base32,
# base64url and nkey text of tests/unit/par.data (valid and invalid), the
# base64 texts of tests/unit/minisign.data's key lines, and a few by hand.
#
#   (sourced by tests/fuzz/seeds.sh: seed, seed_tmp, $WHARF_SHARED)
#
# Input format (fuzz.c): a role byte (n % 9: account, cluster, module,
# server, operator, user, service, curve, any), the decoders' buffer size,
# then the text.
#
# Tests: tests/conformance/regress.sh replays the corpus.
out=$(seed_tmp)/nkeys
mkdir -p "$out"
awk -F'\t' -v out="$out" '
BEGIN {
    split("account cluster module server operator user service curve any", r, " ")
    for (i = 1; i <= 9; i++) role[r[i]] = i == 1 ? 9 : i - 1
    for (i = 0; i < 16; i++) hex[substr("0123456789abcdef", i + 1, 1)] = i
}
function unescape(s,   t, i) {    # \xNN is a byte
    t = ""
    while ((i = index(s, "\\x")) > 0) {
        t = t substr(s, 1, i - 1) sprintf("%c", hex[tolower(substr(s, i + 2, 1))] * 16 + hex[tolower(substr(s, i + 3, 1))])
        s = substr(s, i + 4)
    }
    return t s
}
function seed(sel, room, text) {
    f = out "/p" ++k
    printf "%c%c%s", sel, room, unescape(text) > f
    close(f)
}
/^#/ || NF < 2 { next }
$1 ~ /^nkey-/ { seed(role[substr($1, 6)], 32, $2); next }
$1 ~ /^(b32|b64url)(:[0-9]+)?$/ {
    room = index($1, ":") ? substr($1, index($1, ":") + 1) + 0 : 64
    seed(8, room ? room : 1, $2)
}' tests/unit/par.data
# Base64 keys and signatures (minisign's), as the base64 decoder sees them.
grep -o '[A-Za-z0-9+/]\{40,\}=*' tests/unit/minisign.data | head -40 |
    awk -v out="$out" '{ f = out "/m" NR; printf "%c%c%s", 8, 74, $0 > f; close(f) }'
printf '\006\043VAAACAQDAQCQMBYIBEFAWDANBYHRAEISCMKBKFQXDAMRUGY4DUPB7UX7' >"$out/h1"
printf '\010\377%s' 'Zm9vYmFy-_-_Zg' >"$out/h2"
seed "$out"/*
