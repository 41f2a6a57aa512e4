#!/bin/sh
# t2005-wharf-search.sh - wharf search: the sources' modules from their
# tables (indexes/NAME/table-HEX.bin, written by wharf update), ranked
# exact name, prefix, substring, description/tag; --category and --tag;
# --json; index text shown without control characters, cut to a
# terminal's width; several sources; an expired index; the table read
# and the index copy never opened (strace); a damaged, truncated, stale
# or missing table rebuilt from the verified copy; kill -9 at every
# write of an update, then a search that heals.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
wharf-index keygen -W -p old.pub -s old.key >/dev/null
mkdir pkgs oldpkgs
mkpkg ferrpkg run.wasm pkgs/hello-1.0.0.ferrpkg --set 'description="says hello"' \
    --set 'categories=["text"]' --set 'tags=["greeting"]'
mkpkg ferrpkg run.wasm pkgs/hello-1.2.0.ferrpkg --set 'version="1.2.0"' \
    --set 'description="says hello, louder"' --set 'categories=["text","tools"]' \
    --set 'tags=["Greeting","loud"]'
mkpkg ferrpkg run.wasm pkgs/hw.ferrpkg --set 'name="hello-world"' --set 'version="0.1.0"' \
    --set 'description="the classic"' --set 'tags=["demo"]'
mkpkg ferrpkg run.wasm pkgs/othello.ferrpkg --set 'name="othello"' --set 'version="2.0.0"' \
    --set 'description="a board game"' --set 'categories=["games"]'
mkpkg ferrpkg run.wasm pkgs/json.ferrpkg --set 'name="json-parse"' \
    --set 'description="parses JSON; says hello in \u001b[31mred"' \
    --set 'categories=["parsers"]' --set 'tags=["json"]'
mkpkg ferrpkg run.wasm pkgs/pre.ferrpkg --set 'name="pre"' --set 'version="2.0.0-rc.1"' \
    --set 'description="only a prerelease"'
wharf-index build pkgs -o site -q --no-catalogue
mkpkg ferrpkg run.wasm oldpkgs/hello.ferrpkg --set 'version="1.2.0"' --set 'description="old hello"'
mkpkg ferrpkg run.wasm oldpkgs/retro.ferrpkg --set 'name="retro"' --set 'description="from 2023"'
SOURCE_DATE_EPOCH=1700000000 wharf-index build oldpkgs -o oldsite -s old.key -q --no-catalogue
copy="$WHARF_HOME/indexes/main"
# LeakSanitizer cannot work under strace (ptrace): off for those runs.
NOLEAK="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
table() { echo "$copy/table-$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' "$copy/index.json.minisig").bin"; }

begin "--help is the option table"
run wharf search --help
check_rc 0
check_out_has "usage: wharf search [QUERY] [options]"
check_out_has "--category C"
check_out_has "--tag T"
run wharf search a b
check_rc 2
check_err_has "wharf search: one QUERY at most ('b' is a second)"
end

begin "no sources; a source without an index yet (exit 6)"
run wharf search
check_rc 6
check_err <<'EOF'
wharf search: no sources (wharf source add NAME LOCATION)
EOF
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
run wharf search hello
check_rc 6
check_err <<'EOF'
wharf search: warning: source 'main' has no index yet (wharf update)
wharf search: no module matches 'hello'
EOF
end

begin "update writes the table beside the copy"
wharf update -q
check_that "the table is there" test -f "$(table)"
check_that "one table" test "$(ls "$copy" | grep -c '^table-')" = 1
end

begin "no query: every module by name, latest version, control characters escaped"
run wharf search
check_rc 0
check_out <<'EOF'
hello       1.2.0       says hello, louder
hello-world 0.1.0       the classic
json-parse  1.0.0       parses JSON; says hello in \x1b[31mred
othello     2.0.0       a board game
pre         2.0.0-rc.1  only a prerelease
EOF
check_empty_err
end

begin "ranking: exact name, prefix, substring, then description; case ignored"
run wharf search hello
check_rc 0
check_out <<'EOF'
hello       1.2.0  says hello, louder
hello-world 0.1.0  the classic
othello     2.0.0  a board game
json-parse  1.0.0  parses JSON; says hello in \x1b[31mred
EOF
cp "$T/.out" hello.out
run wharf search HeLLo
check_rc 0
check_that "the same for HeLLo" cmp -s "$T/.out" hello.out
run wharf search LOUD
check_rc 0
check_out <<'EOF'
hello 1.2.0  says hello, louder
EOF
end

begin "--category and --tag match a label exactly, ignoring case; all must hold"
run wharf search --category TOOLS
check_rc 0
check_out <<'EOF'
hello 1.2.0  says hello, louder
EOF
run wharf search --tag greeting --category text
check_rc 0
check_out <<'EOF'
hello 1.2.0  says hello, louder
EOF
run wharf search hello --category parsers
check_rc 0
check_out <<'EOF'
json-parse 1.0.0  parses JSON; says hello in \x1b[31mred
EOF
run wharf search --tag greet
check_rc 6
check_err <<'EOF'
wharf search: no module with tag 'greet'
EOF
run wharf search hello --category games --tag x
check_rc 6
check_err <<'EOF'
wharf search: no module matches 'hello' in category 'games' with tag 'x'
EOF
end

begin "no match: exit 6, the query quoted"
run wharf search "$(printf 'zz\033[2J')"
check_rc 6
check_out </dev/null
check_err <<'EOF'
wharf search: no module matches 'zz\x1b[2J'
EOF
end

begin "--json: an array of objects, in rank order"
run wharf search hello --json
check_rc 0
check_out <<'EOF'
[{"categories":["text","tools"],"description":"says hello, louder","name":"hello","source":"main","tags":["Greeting","loud"],"version":"1.2.0"},{"categories":[],"description":"the classic","name":"hello-world","source":"main","tags":["demo"],"version":"0.1.0"},{"categories":["games"],"description":"a board game","name":"othello","source":"main","tags":[],"version":"2.0.0"},{"categories":["parsers"],"description":"parses JSON; says hello in \u001B[31mred","name":"json-parse","source":"main","tags":["json"],"version":"1.0.0"}]
EOF
end

begin "on a terminal, descriptions are cut to its width"
run script -qec "stty cols 40; wharf search hello" /dev/null
check_rc 0
tr -d '\r' <"$T/.out" >"$T/.tty"
mv "$T/.tty" "$T/.out"
check_out <<'EOF'
hello       1.2.0  says hello, louder
hello-world 0.1.0  the classic
othello     2.0.0  a board game
json-parse  1.0.0  parses JSON; says...
EOF
end

begin "search reads the table and never opens the index copy"
run env "$NOLEAK" strace -f -qq -e trace=open,openat,openat2 -o "$T/trace" wharf search hello
check_rc 0
check_that "the table was read" grep -q "table-.*\.bin" "$T/trace"
check_that "the copy was not opened" test "$(grep -c by-hash "$T/trace")" = 0
end

begin "a damaged table is rebuilt from the verified copy, with a warning"
tb=$(table)
cp "$tb" good.table
printf 'X' | dd of="$tb" bs=1 seek=200 conv=notrunc 2>/dev/null
run wharf search hello
check_rc 0
check_that "the same modules" cmp -s "$T/.out" hello.out
check_err <<EOF
wharf search: warning: $tb: offset 0x9c: checksum mismatch (a damaged table); rebuilt from the verified index
EOF
check_that "the table is whole again" cmp -s "$tb" good.table
run wharf search hello
check_empty_err
end

begin "a truncated table, at every length: rebuilt, never a crash"
n=0
size=$(wc -c <good.table)
while [ $n -lt "$size" ]; do
    head -c $n good.table >"$tb"
    wharf search hello >"$T/.out" 2>"$T/.err"
    r=$?
    [ $r = 0 ] || { fail "length $n: exit status $r"; break; }
    cmp -s "$T/.out" hello.out || { fail "length $n: other output"; break; }
    grep -q "; rebuilt from the verified index$" "$T/.err" || { fail "length $n: no warning"; break; }
    cmp -s "$tb" good.table || { fail "length $n: not rebuilt"; break; }
    n=$((n + 1))
done
check_that "every length tried ($n of $size)" test $n = "$size"
end

begin "a missing table (update killed before it) is rebuilt silently"
rm "$tb"
run wharf search hello
check_rc 0
check_that "the same modules" cmp -s "$T/.out" hello.out
check_empty_err
check_that "the table saved again" cmp -s "$tb" good.table
end

begin "a stale table (another copy's) is rebuilt silently"
mkpkg ferrpkg run.wasm pkgs/new.ferrpkg --set 'name="hello-new"' --set 'description="new"'
cp -R site site1
wharf-index build pkgs -o site -q --no-catalogue
wharf update -q
check_that "the old table is gone" test ! -e "$tb"
check_that "one table" test "$(ls "$copy" | grep -c '^table-')" = 1
tb2=$(table)
cp "$tb2" new.table
cp good.table "$tb2"
run wharf search hello-
check_rc 0
check_out <<'EOF'
hello-new   1.0.0  new
hello-world 0.1.0  the classic
EOF
check_empty_err
check_that "the table rebuilt" cmp -s "$tb2" new.table
end

begin "kill -9 at every write of an update: each search that follows heals"
wharf source remove main -q
wharf source add main "$T/site1" -q
rm -rf "$copy" "$WHARF_HOME/seen.json"
wharf update -q
wharf search >old.out
wharf source remove main -q
wharf source add main "$T/site" -q
wharf search 2>/dev/null >/dev/null
cp -R "$WHARF_HOME" home.before
n=1
while :; do
    rm -rf "$WHARF_HOME" && cp -R home.before "$WHARF_HOME"
    WHARF_FS_FAULT=$n:kill wharf update -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    wharf search >"$T/.out" 2>"$T/.err" || fail "write $n: search failed"
    [ -s "$T/.err" ] && { fail "write $n: a warning"; cat "$T/.err"; }
    cmp -s "$T/.out" old.out || grep -q '^hello-new ' "$T/.out" ||
        fail "write $n: neither the old modules nor the new"
    test -f "$(table)" || fail "write $n: the table was not saved"
    n=$((n + 1))
    [ $n -gt 60 ] && { fail "no end to the writes"; break; }
done
check_that "writes were cut ($n)" test $n -gt 5
run wharf search hello-new
check_rc 0
check_out <<'EOF'
hello-new 1.0.0  new
EOF
end

begin "several sources: a module of each is listed, with its source; expired: a warning"
oid=$(wharf trust add old.pub | sed -n 's/^trusted key //p')
wharf source add old "$T/oldsite" -q
wharf update old --allow-expired -q 2>/dev/null
run wharf search hello
check_rc 0
check_out <<'EOF'
hello       1.2.0  main  says hello, louder
hello       1.2.0  old   old hello
hello-new   1.0.0  main  new
hello-world 0.1.0  main  the classic
othello     2.0.0  main  a board game
json-parse  1.0.0  main  parses JSON; says hello in \x1b[31mred
EOF
check_err <<'EOF'
wharf search: warning: source 'old': the index expired on 2024-02-12; run wharf update
EOF
end

begin "a source whose key is no longer trusted is skipped, saying why"
wharf trust remove "$oid" -q
run wharf search retro
check_rc 6
check_err <<EOF
wharf search: warning: $WHARF_HOME/indexes/old/index.json.minisig: signed by key $oid, which is no longer trusted (wharf trust add KEY.pub)
wharf search: no module matches 'retro'
EOF
end

finish
