#!/bin/sh
# t2021-wharf-run-grants.sh - wharf run's grants: deny by default, READ
# for get/exists/hget and WRITE for set/del/incr/hset, Redis glob
# patterns (*, ?, classes, ranges, negation, escapes), the denial's
# message and exit status 4 (the store left as it was), and the one-line
# form --grants 'READ ... WRITE ... MEMORY ... TIMEOUT ...'.
. "$(dirname "$0")/lib.sh"
data=$(cd "$(dirname "$0")/data" && pwd)
cd "$T" || exit 1
wat2wasm "$data/ferrite-host.wat" -o host.wasm || echo "FAIL: $suite: wat2wasm host"
printf '(module (memory 300) (func (export "f") (result i32) memory.size))' >big.wat
wat2wasm big.wat -o big.wasm
printf '(module (func (export "spin") (loop $l (br $l))))' >spin.wat
wat2wasm spin.wat -o spin.wasm
R="wharf run --file host.wasm"

# --- the glob --------------------------------------------------------------------
# glob PATTERN KEY allow|deny: exists(KEY) under --read PATTERN.
glob() {
    begin "READ '$1' $3s '$2'"
    run $R probe --input "$2" --read "$1"
    if [ "$3" = allow ]; then
        check_rc 0
        check_out <<'X'
0
X
        check_empty_err
    else
        check_rc 4
        check_out <<'X'
-1
X
        printf 'wharf run: denied: READ %s (granted: %s)\n' "$2" "$1" | check_err
    fi
    end
}
glob 'user:*' 'user:1' allow
glob 'user:*' 'user:' allow
glob 'user:*' 'users:1' deny
glob 'user:*' 'User:1' deny
glob '*' 'anything at all' allow
glob '*:1' 'user:1' allow
glob '*:1' 'user:12' deny
glob 'user:?' 'user:1' allow
glob 'user:?' 'user:12' deny
glob 'user:?' 'user:' deny
glob 'user:[abc]' 'user:b' allow
glob 'user:[abc]' 'user:d' deny
glob 'user:[^a]' 'user:b' allow
glob 'user:[^a]' 'user:a' deny
glob 'user:[a-c]x' 'user:bx' allow
glob 'user:[c-a]x' 'user:bx' allow
glob 'user:[a-c]x' 'user:dx' deny
glob 'user:[\]]' 'user:]' allow
glob 'a\*b' 'a*b' allow
glob 'a\*b' 'axb' deny
glob 'a\?b' 'a?b' allow
glob 'a\?b' 'axb' deny
glob '\[x]' '[x]' allow
glob 'a\' 'a\' allow
glob '[]x' 'x' deny
glob 'h*llo' 'hllo' allow
glob 'h*llo' 'heeeeello' allow
glob '*a*a*a*a*a*a*b' 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' deny
glob '*a*a*a*a*a*a*b' 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab' allow

begin "several patterns: any one grants; the message lists them all"
run $R probe --input 'x:1' --read 'user:*' --read 'audit:*'
check_rc 4
check_err <<'X'
wharf run: denied: READ x:1 (granted: user:*, audit:*)
X
run $R probe --input 'audit:1' --read 'user:*' --read 'audit:*'
check_rc 0
end

# --- which grant each function needs ---------------------------------------------------
# host.wasm's data: 0 "user:1", 32 "ada lovelace", 64 "name", 96 "profile:1".

# need FUNC KIND WANT_DENIED_OUT ARGS...: denied with the other kind only,
# allowed with its own.
need() {
    fn=$1 kind=$2 code=$3; shift 3
    args=""
    for a in "$@"; do args="$args --arg $a"; done
    other=write; [ "$kind" = WRITE ] && other=read
    own=$(echo "$kind" | tr A-Z a-z)
    begin "$fn needs $kind: denied with $other only"
    printf '{}\n' >st.json
    # shellcheck disable=SC2086
    run $R "$fn" $args --$other '*' --store st.json
    check_rc 4
    printf '%s\n' "$code" | check_out
    printf 'wharf run: denied: %s %s (granted: none)\n' "$kind" "$key" | check_err
    end
    begin "$fn needs $kind: allowed with it"
    # shellcheck disable=SC2086
    run $R "$fn" $args --$own 'user:*' --$own 'profile:*' --store st.json
    check_rc 0
    end
}
key=user:1
need get READ -2 0 6 1024 10
need exists READ -1 0 6
need set WRITE -1 0 6 32 3
need del WRITE -1 0 6
need incr WRITE -9223372036854775808 0 6
key=profile:1
need hget READ -2 96 9 64 4 1024 10
need hset WRITE -1 96 9 64 4 32 3

begin "the issue's example: WRITE user:1 with audit:* granted"
run $R put --input user:1 --write 'audit:*'
check_rc 4
check_out <<'X'
-1
X
check_err <<'X'
wharf run: denied: WRITE user:1 (granted: audit:*)
X
end

begin "a denial leaves the store as it was, even after allowed writes"
printf '{"audit:1": "old"}\n' >keep.json
cp keep.json old.json
run wharf run --file host.wasm put12 --input user:1 --write 'audit:*' --store keep.json
check_rc 4
check_that "store unchanged" cmp keep.json old.json
end

begin "ten denials are shown, the rest counted"
run $R put12 --input user:1
check_rc 4
check_out <<'X'
-1
X
check_err <<'X'
wharf run: denied: WRITE user:1 (granted: none)
wharf run: denied: WRITE user:1 (granted: none)
wharf run: denied: WRITE user:1 (granted: none)
wharf run: denied: WRITE user:1 (granted: none)
wharf run: denied: WRITE user:1 (granted: none)
wharf run: denied: WRITE user:1 (granted: none)
wharf run: denied: WRITE user:1 (granted: none)
wharf run: denied: WRITE user:1 (granted: none)
wharf run: denied: WRITE user:1 (granted: none)
wharf run: denied: WRITE user:1 (granted: none)
wharf run: 2 more denials not shown
X
end

begin "a key with control bytes is quoted in the message"
run $R probe --input "$(printf 'k\033[31m')"
check_rc 4
check_err <<'X'
wharf run: denied: READ k\x1b[31m (granted: none)
X
end

# --- the one-line form -----------------------------------------------------------------

G='READ user:* WRITE audit:* MEMORY 16MB TIMEOUT 1000'

begin "--grants: WRITE audit:* allows audit:log"
run $R put --input audit:log --grants "$G"
check_rc 0
check_out <<'X'
0
X
end

begin "--grants: READ user:* is not WRITE user:*"
run $R put --input user:1 --grants "$G"
check_rc 4
check_err <<'X'
wharf run: denied: WRITE user:1 (granted: audit:*)
X
end

begin "--grants: READ user:* allows reading"
run $R probe --input user:7 --grants "$G"
check_rc 0
end

begin "--grants: several patterns after one keyword, keywords in any case"
run $R probe --input b:1 --grants 'read a:* b:* write c:*'
check_rc 0
run $R put --input c:1 --grants 'read a:* b:* write c:*'
check_rc 0
end

begin "--grants: MEMORY is the memory limit"
run wharf run --file big.wasm f --grants "$G"
check_rc 8
check_err <<'X'
wharf run: memory limit exceeded: the module needs 300 pages (19200 KiB), the limit is 16 MiB
X
run wharf run --file big.wasm f --grants 'MEMORY 32MB'
check_rc 0
check_out <<'X'
300
X
end

begin "--grants: TIMEOUT is the deadline in ms"
run wharf run --file spin.wasm spin --fuel 0 --grants 'TIMEOUT 150'
check_rc 8
check_err <<'X'
wharf run: deadline exceeded after 150 ms
X
end

begin "--grants: FUEL is the fuel"
run wharf run --file spin.wasm spin --grants 'FUEL 500'
check_rc 8
check_err <<'X'
wharf run: out of fuel after 500 instructions
X
end

begin "the last limit given wins: --memory after --grants"
run wharf run --file big.wasm f --grants "$G" --memory 20MB
check_rc 0
end

# bad_line LINE MESSAGE: --grants LINE is a usage error.
bad_line() {
    begin "--grants '$1' (2)"
    run $R probe --input x --grants "$1"
    check_rc 2
    printf 'wharf run: %s\n' "$2" >"$T/.want1"
    head -1 "$T/.err" >"$T/.err1"
    check_that "message" cmp -s "$T/.want1" "$T/.err1" || cat "$T/.err1"
    end
}
bad_line 'READ' '--grants: READ needs a value'
bad_line 'READ WRITE a:*' '--grants: READ needs a value'
bad_line 'user:*' "--grants: unexpected 'user:*' (expected READ, WRITE, MEMORY, TIMEOUT or FUEL)"
bad_line 'MEMORY 16MB 32MB' "--grants: unexpected '32MB' (expected READ, WRITE, MEMORY, TIMEOUT or FUEL)"
bad_line 'MEMORY lots' "--grants: MEMORY 'lots' is not a size (like 16MB)"
bad_line 'TIMEOUT 1s' "--grants: TIMEOUT '1s' is not a number of milliseconds"
bad_line 'MEMORY 1M MEMORY 2M' '--grants: MEMORY given twice'
bad_line '' '--grants: empty'

begin "an empty --read pattern (2)"
run $R probe --input x --read ''
check_rc 2
check_err_has "wharf run: empty READ pattern"
end

finish
