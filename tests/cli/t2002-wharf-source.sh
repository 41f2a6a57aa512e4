#!/bin/sh
# t2002-wharf-source.sh - wharf source add/list/remove: names, locations
# (folders made absolute, file:// and http(s):// URLs kept, other schemes
# refused), mirrors in order, --key pinning, sources.json as canonical
# JSON, a damaged sources.json named, --dry-run (checked as a change,
# nothing written, no lock taken), exact messages and exit statuses.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

wharf-index keygen -W -p a.pub -s a.key >/dev/null
ida=$(sed -n 's/^untrusted comment: minisign public key //p' a.pub)
keya=$(sed -n 2p a.pub)
mkdir -p usb/site
# Every path and every file's bytes under the install root.
snap() { { find "$WHARF_HOME" | sort; find "$WHARF_HOME" -type f | sort | xargs -r sha256sum; } >"$1"; }

begin "usage errors (exit 2), nothing made"
run wharf source
check_rc 2
check_err <<'EOF'
wharf source: no subcommand: add, list or remove
try 'wharf source --help'
EOF
run wharf source add
check_rc 2
check_err_has "wharf source: add: no source name given"
run wharf source add main
check_rc 2
check_err_has "wharf source: add: no location given for 'main'"
run wharf source remove
check_rc 2
check_err_has "wharf source: remove: no source name given"
run wharf source list --key a.pub
check_rc 2
check_err_has "wharf source: --key goes with add"
run wharf source add ../up usb/site
check_rc 2
check_err <<'EOF'
wharf source: source name '../up': a name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit
EOF
for loc in ftp://example.org/site 'ssh://h/x' 'file://relative/path' 'https://' 'http:///path'; do
    run wharf source add main "$loc"
    check_rc 2
done
run wharf source add main ftp://example.org/site
check_err <<'EOF'
wharf source: location 'ftp://example.org/site': only http://, https://, file:// and folders are sources
EOF
run wharf source add main file://relative/path
check_err <<'EOF'
wharf source: location 'file://relative/path': a file:// URL needs an absolute path (file:///...)
EOF
run wharf source add main https://
check_err <<'EOF'
wharf source: location 'https://': no host
EOF
run wharf source add main "$(printf 'usb/\033[31msite')"
check_rc 2
check_err_has "wharf source: location holds a control character"
check_that "nothing made" test ! -e "$WHARF_HOME"
end

begin "add: a folder becomes absolute, URLs are kept, mirrors in order"
run wharf source add main usb/site/ https://example.org/repo/ file:///media/usb/site
check_rc 0
check_out <<'EOF'
added source main
EOF
check_empty_err
run wharf source add pinned https://pinned.example.org --key a.pub
check_rc 0
run wharf source list
check_out <<EOF
main  $T/usb/site https://example.org/repo file:///media/usb/site
pinned  https://pinned.example.org  (key $ida)
EOF
run sh -c 'cat "$WHARF_HOME/sources.json"; echo'
check_out <<EOF
{"format":"wharf-sources/1","sources":{"main":{"key":null,"locations":["$T/usb/site","https://example.org/repo","file:///media/usb/site"]},"pinned":{"key":"$keya","locations":["https://pinned.example.org"]}}}
EOF
run wharf source list --json
check_out <<EOF
{"main":{"key":null,"locations":["$T/usb/site","https://example.org/repo","file:///media/usb/site"]},"pinned":{"key":"$keya","locations":["https://pinned.example.org"]}}
EOF
end

begin "a name twice is refused; a bad --key writes nothing"
cp "$WHARF_HOME/sources.json" before.json
run wharf source add main /elsewhere
check_rc 1
check_err <<'EOF'
wharf source: source 'main' exists already (wharf source remove main, then add it again)
EOF
run wharf source add other /x --key nosuch.pub
check_rc 6
check_err_has "wharf source: nosuch.pub: "
check_that "sources.json unchanged" cmp -s before.json "$WHARF_HOME/sources.json"
end

begin "remove; an unknown name is exit 6 and removes nothing"
run wharf source remove pinned nope
check_rc 6
check_err <<'EOF'
wharf source: no source 'nope'
EOF
check_that "sources.json unchanged" cmp -s before.json "$WHARF_HOME/sources.json"
run wharf source remove pinned
check_rc 0
check_out <<'EOF'
removed source pinned
EOF
run wharf --home "$WHARF_HOME" source list
check_out <<EOF
main  $T/usb/site https://example.org/repo file:///media/usb/site
EOF
end

begin "--dry-run: add and remove checked and said, nothing written, no lock taken"
printf 'pid 4242 wharf trust add since 2026-01-01 00:00:00 UTC\n' >"$WHARF_HOME/.lock"
flock "$WHARF_HOME/.lock" sleep 2 &
sleep 0.3
snap before.snap
run wharf source add web https://example.org/web/ usb/site --key a.pub --dry-run
check_rc 0
check_out <<'EOF'
would add source web
EOF
check_empty_err
run wharf source add main /elsewhere --dry-run
check_rc 1
check_err <<'EOF'
wharf source: source 'main' exists already (wharf source remove main, then add it again)
EOF
run wharf source add ../up usb/site --dry-run
check_rc 2
check_err_has "wharf source: source name '../up': a name is"
run wharf source add web ftp://example.org/site --dry-run
check_rc 2
check_err_has "wharf source: location 'ftp://example.org/site': only http://"
run wharf source add web /x --key nosuch.pub --dry-run
check_rc 6
check_err_has "wharf source: nosuch.pub: "
run wharf source remove main --dry-run
check_rc 0
check_out <<'EOF'
would remove source main
EOF
run wharf source remove main nope --dry-run
check_rc 6
check_out </dev/null
check_err <<'EOF'
wharf source: no source 'nope'
EOF
run wharf source remove main main --dry-run
check_rc 6
check_err <<'EOF'
wharf source: no source 'main'
EOF
snap after.snap
check_that "nothing written" cmp -s before.snap after.snap
run wharf source remove main
check_rc 7
wait
run wharf --home "$T/none" source add x /y --dry-run
check_rc 0
check_out <<'EOF'
would add source x
EOF
check_that "no install root made" test ! -e "$T/none"
end

begin "a damaged sources.json is named, never half used"
cp "$WHARF_HOME/sources.json" good.json
printf '{"format":"wharf-sources/1","sources":{"main":{"key":null,"locations":["relative"]}}}' >"$WHARF_HOME/sources.json"
run wharf source list
check_rc 3
check_err <<EOF
wharf source: $WHARF_HOME/sources.json: source 'main': a location is not one wharf writes
EOF
printf '{"format":"wharf-sources/9","sources":{}}' >"$WHARF_HOME/sources.json"
run wharf source list
check_rc 3
check_err <<EOF
wharf source: $WHARF_HOME/sources.json: not a wharf-sources/1 file
EOF
printf '{"format":"wharf-sources/1","sources":{"m":{"key":"RWQ","locations":["/x"]}}}' >"$WHARF_HOME/sources.json"
run wharf source add n /y
check_rc 3
check_err <<EOF
wharf source: $WHARF_HOME/sources.json: source 'm': 'key' is not a minisign public key
EOF
printf '{"format":' >"$WHARF_HOME/sources.json"
run wharf source list
check_rc 3
check_err_has "wharf source: $WHARF_HOME/sources.json:"
cp good.json "$WHARF_HOME/sources.json"
end

begin "kill -9 at every write of source add leaves the old sources.json"
n=1
while :; do
    cp good.json "$WHARF_HOME/sources.json"
    WHARF_FS_FAULT=$n:kill wharf source add k$n /k -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    # The old file, or the new one (killed after its rename), whole.
    cmp -s good.json "$WHARF_HOME/sources.json" ||
        grep -q "\"k$n\"" "$WHARF_HOME/sources.json" || fail "write $n: sources.json is neither"
    wharf source list >/dev/null 2>&1 || fail "write $n: sources.json unreadable"
    n=$((n + 1))
    [ $n -gt 50 ] && { fail "no end to the writes"; break; }
done
check_that "writes were cut ($n)" test $n -gt 2
check_that "and then written" grep -q "\"k$n\"" "$WHARF_HOME/sources.json"
check_that "the killed runs' temporaries removed by the next" test -z "$(find "$WHARF_HOME" -name '.*.tmp.*')"
end

finish
