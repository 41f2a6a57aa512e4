#!/bin/sh
# t2001-wharf-trust.sh - wharf trust add/list/remove: repository keys kept
# as keys/KEYID.pub in the install root (--home, WHARF_HOME), the same key
# twice, another key under a trusted id, bad key files, ids in any case,
# options before the command, the lock, --dry-run (checked as a change,
# nothing written, no lock taken), and the exact messages and exit
# statuses.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

wharf-index keygen -W -p a.pub -s a.key >/dev/null
wharf-index keygen -W -p b.pub -s b.key >/dev/null
ida=$(sed -n 's/^untrusted comment: minisign public key //p' a.pub)
idb=$(sed -n 's/^untrusted comment: minisign public key //p' b.pub)
keya=$(sed -n 2p a.pub)
keyb=$(sed -n 2p b.pub)
# Every path and every file's bytes under the install root.
snap() { { find "$WHARF_HOME" | sort; find "$WHARF_HOME" -type f | sort | xargs -r sha256sum; } >"$1"; }
# A key with a's id but b's key bytes: an impostor under a trusted id.
printf 'untrusted comment: impostor\n%s\n' "$(printf '%s' "$keyb" | base64 -d |
    { head -c 2; printf '%s' "$keya" | base64 -d | tail -c +3 | head -c 8;
      printf '%s' "$keyb" | base64 -d | tail -c 32; } | base64 -w0)" >imp.pub

begin "--help, and usage errors (exit 2)"
run wharf trust --help
check_rc 0
check_out_has "usage: wharf trust add KEY.pub... | wharf trust list | wharf trust remove KEYID..."
check_out_has "      --home DIR"
run wharf trust
check_rc 2
check_err <<'EOF'
wharf trust: no subcommand: add, list or remove
try 'wharf trust --help'
EOF
run wharf trust forget x
check_rc 2
check_err_has "wharf trust: 'forget' is not add, list or remove"
run wharf trust add
check_rc 2
check_err_has "wharf trust: add: no key file given"
run wharf trust list x
check_rc 2
check_err_has "wharf trust: list takes no operand"
run wharf trust remove nothex
check_rc 2
check_err <<'EOF'
wharf trust: 'nothex' is not a key id (up to 16 hex digits, as 'wharf trust list' shows)
EOF
run wharf trust remove 00000000000000001
check_rc 2
check_err <<'EOF'
wharf trust: '00000000000000001' is not a key id (up to 16 hex digits, as 'wharf trust list' shows)
EOF
end

begin "nothing trusted yet: an empty list, and no install root made"
run wharf trust list
check_rc 0
check_out </dev/null
check_empty_err
check_that "list writes nothing" test ! -e "$WHARF_HOME"
run wharf trust list --json
check_out <<'EOF'
[]
EOF
end

begin "add keys: kept as keys/KEYID.pub, listed by id"
run wharf trust add a.pub b.pub
check_rc 0
check_out <<EOF
trusted key $ida
trusted key $idb
EOF
check_empty_err
check_that "a's file" test -f "$WHARF_HOME/keys/$ida.pub"
check_that "minisign's format" test "$(sed -n 2p "$WHARF_HOME/keys/$ida.pub")" = "$keya"
run wharf trust list
check_out <<EOF
$(printf '%s  %s\n%s  %s' "$ida" "$keya" "$idb" "$keyb" | sort)
EOF
run wharf trust list --json
check_out_has "{\"key_id\":\"$ida\",\"public_key\":\"$keya\"}"
end

begin "the same key again is said, another key under a trusted id refused"
run wharf trust add a.pub
check_rc 0
check_out <<EOF
key $ida is already trusted
EOF
run wharf trust add imp.pub
check_rc 1
check_err <<EOF
wharf trust: imp.pub: key id $ida is already trusted for a different key ('$WHARF_HOME/keys/$ida.pub'); remove that one first
EOF
check_that "a's key unchanged" test "$(sed -n 2p "$WHARF_HOME/keys/$ida.pub")" = "$keya"
end

begin "bad key files: missing, not a key, a folder"
run wharf trust add nosuch.pub
check_rc 6
check_err_has "wharf trust: nosuch.pub: "
printf 'untrusted comment: x\nnot a key\n' >junk.pub
run wharf trust add junk.pub
check_rc 3
check_err_has "wharf trust: junk.pub"
mkdir dir.pub
run wharf trust add dir.pub
check_rc 1
check_err_has "wharf trust: dir.pub: not a regular file"
end

begin "remove by id, in any case; an unknown id is exit 6"
lower=$(printf '%s' "$idb" | tr 'A-F' 'a-f')
run wharf trust remove "$lower"
check_rc 0
check_out <<EOF
removed key $idb
EOF
check_that "b's file gone" test ! -e "$WHARF_HOME/keys/$idb.pub"
run wharf trust remove "$idb"
check_rc 6
check_err <<EOF
wharf trust: key $idb is not trusted
EOF
# minisign prints an id without its leading zeros: any number of them is
# the same id.
run wharf trust remove 0000000000000001
check_rc 6
check_err <<'EOF'
wharf trust: key 1 is not trusted
EOF
end

begin "--dry-run: add and remove checked and said, nothing written, no lock taken"
wharf-index keygen -W -p d.pub -s d.key >/dev/null
idd=$(sed -n 's/^untrusted comment: minisign public key //p' d.pub)
keyd=$(sed -n 2p d.pub)
printf 'pid 4242 wharf source add since 2026-01-01 00:00:00 UTC\n' >"$WHARF_HOME/.lock"
flock "$WHARF_HOME/.lock" sleep 2 &
sleep 0.3
snap before.snap
run wharf trust add d.pub d.pub a.pub --dry-run
check_rc 0
check_out <<EOF
would trust key $idd
key $idd is already trusted
key $ida is already trusted
EOF
check_empty_err
run wharf trust add imp.pub --dry-run
check_rc 1
check_err <<EOF
wharf trust: imp.pub: key id $ida is already trusted for a different key ('$WHARF_HOME/keys/$ida.pub'); remove that one first
EOF
run wharf trust add junk.pub --dry-run
check_rc 3
check_err_has "wharf trust: junk.pub"
run wharf trust remove "$ida" "$ida" --dry-run
check_rc 6
check_out <<EOF
would remove key $ida
EOF
check_err <<EOF
wharf trust: key $ida is not trusted
EOF
run wharf trust remove "$idd" --dry-run
check_rc 6
check_err <<EOF
wharf trust: key $idd is not trusted
EOF
run wharf trust add d.pub --dry-run -q
check_rc 0
check_out </dev/null
snap after.snap
check_that "nothing written" cmp -s before.snap after.snap
run wharf trust add d.pub
check_rc 7
wait
run wharf --home "$T/none" trust add d.pub --dry-run
check_rc 0
check_that "no install root made" test ! -e "$T/none"
end

begin "--dry-run of a revoked key: refused, or with --force said, revoked.json kept"
printf '{"format":"wharf-revoked/1","keys":{"%s":{"issued":1800000000,"public_key":"%s","rotated_to":"%s","rotated_to_key":"%s"}}}' \
    "$idd" "$keyd" "$ida" "$keya" >"$WHARF_HOME/revoked.json"
snap before.snap
run wharf trust add d.pub --dry-run
check_rc 4
check_err <<EOF
wharf trust: d.pub: key $idd was rotated to $ida (statement issued 2027-01-15) and is revoked; --force trusts it again
EOF
run wharf trust add d.pub --dry-run --force
check_rc 0
check_out <<EOF
would trust key $idd
EOF
snap after.snap
check_that "nothing written" cmp -s before.snap after.snap
rm "$WHARF_HOME/revoked.json"
end

begin "options before the command; --home and WHARF_HOME"
run wharf --home "$T/other" trust add b.pub -q
check_rc 0
check_out </dev/null
check_that "in --home" test -f "$T/other/keys/$idb.pub"
WHARF_HOME="$T/other" run wharf trust list
check_out <<EOF
$idb  $keyb
EOF
run wharf --home "" trust list
check_rc 2
check_err_has "wharf trust: --home is empty"
end

begin "one wharf at a time changes the install root: exit 7, or --wait"
printf 'pid 4242 wharf source add since 2026-01-01 00:00:00 UTC\n' >"$WHARF_HOME/.lock"
flock "$WHARF_HOME/.lock" sleep 2 &
sleep 0.3
run wharf trust add b.pub
check_rc 7
check_err <<EOF
wharf trust: $WHARF_HOME/.lock: locked by pid 4242 wharf source add since 2026-01-01 00:00:00 UTC
EOF
check_that "nothing written" test ! -e "$WHARF_HOME/keys/$idb.pub"
run wharf trust list
check_rc 0
run wharf trust add b.pub --wait
check_rc 0
check_err <<EOF
wharf: $WHARF_HOME/.lock: waiting for pid 4242 wharf source add since 2026-01-01 00:00:00 UTC
EOF
check_that "then it wrote" test -f "$WHARF_HOME/keys/$idb.pub"
wait
end

begin "kill -9 at every write of trust add: the key is there whole, or not at all"
wharf-index keygen -W -p c.pub -s c.key >/dev/null
idc=$(sed -n 's/^untrusted comment: minisign public key //p' c.pub)
n=1
while :; do
    rm -f "$WHARF_HOME/keys/$idc.pub"
    WHARF_FS_FAULT=$n:kill wharf trust add c.pub -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    if [ -e "$WHARF_HOME/keys/$idc.pub" ]; then
        cmp -s "$WHARF_HOME/keys/$idc.pub" c.pub || fail "write $n: a partial key file"
    fi
    wharf trust list >/dev/null 2>&1 || fail "write $n: the keys cannot be read"
    n=$((n + 1))
    [ $n -gt 50 ] && { fail "no end to the writes"; break; }
done
check_that "writes were cut ($n)" test $n -gt 2
check_that "then trusted" cmp -s "$WHARF_HOME/keys/$idc.pub" c.pub
check_that "no temporary left" test -z "$(find "$WHARF_HOME" -name '.*.tmp.*')"
end

finish
