#!/bin/sh
# t2003-wharf-update.sh - wharf update: a source's index fetched from a
# folder or file:// location, verified with the trusted or pinned key, and
# kept as a verified copy (checked here with the real minisign); mirrors
# tried in order; the attacks a folder can mount: an untrusted or wrong
# key, a tampered index, a rollback to an older signed index, a frozen
# (expired) one; kill -9 at every write of an update; --dry-run (verified
# exactly so, judged in memory, nothing written, no lock taken, a rotation
# said and not followed) and --offline (http(s):// skipped).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
id=$(sed -n 's/^untrusted comment: minisign public key //p' repo.pub)
oid=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/hello.ferrpkg
wharf-index build pkgs -o site1 -n repo -q --no-catalogue
cp -R site1 site          # "site" moves on; site1 stays at serial 1
mkpkg ferrpkg run.wasm pkgs/more.ferrpkg --set 'name="more"'
wharf-index build pkgs -o site -n repo -q --no-catalogue
today=$(date -u +%Y-%m-%d)
exp=$(date -u -d "@$(($(date +%s) + 90 * 86400))" +%Y-%m-%d)
copy="$WHARF_HOME/indexes/main"
# The verified copy checks out with stock minisign.
copy_ok() {
    h=$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' "$copy/index.json.minisig")
    minisign -Vqm "$copy/by-hash/$h.json" -x "$copy/index.json.minisig" -p repo.pub
}
# Every path and every file's bytes under the install root.
snap() { { find "$WHARF_HOME" | sort; find "$WHARF_HOME" -type f | sort | xargs -r sha256sum; } >"$1"; }
serial_of() { sed -n 's/^trusted comment: wharf-index\/1 serial:\([0-9]*\) .*/\1/p' "$1/index.json.minisig"; }

begin "no source, an unknown source: exit 6"
run wharf update
check_rc 6
check_err <<'EOF'
wharf update: no sources (wharf source add NAME LOCATION)
EOF
wharf source add main "$T/site" -q
run wharf update nope
check_rc 6
check_err <<'EOF'
wharf update: no source 'nope'
EOF
end

begin "an index signed by an untrusted key is refused, naming the key (exit 4)"
run wharf update
check_rc 4
check_err <<EOF
wharf update: warning: main: $T/site/index.json.minisig: signed by key $id, which is not trusted (wharf trust add KEY.pub)
wharf update: source 'main': its location served no usable index
EOF
check_that "no copy" test ! -e "$copy"
run wharf update --dry-run
check_rc 4
check_err <<EOF
wharf update: warning: main: $T/site/index.json.minisig: signed by key $id, which is not trusted (wharf trust add KEY.pub)
wharf update: source 'main': its location served no usable index
EOF
end

begin "--dry-run: verified as an update, nothing kept, no lock taken"
wharf trust add repo.pub -q
printf 'pid 4242 wharf install since 2026-01-01 00:00:00 UTC\n' >"$WHARF_HOME/.lock"
flock "$WHARF_HOME/.lock" sleep 2 &
sleep 0.3
snap before.snap
run wharf update --dry-run
check_rc 0
check_out <<EOF
main: serial 2, 2 packages in 2 modules, expires $exp ($T/site) (dry run)
EOF
check_empty_err
snap after.snap
check_that "nothing written" cmp -s before.snap after.snap
check_that "no copy" test ! -e "$copy"
check_that "no seen.json" test ! -e "$WHARF_HOME/seen.json"
run wharf update --dry-run --json
check_rc 0
e=$(sed -n 's/^trusted comment: .* expires:\([0-9]*\) .*/\1/p' site/index.json.minisig)
check_out <<EOF
[{"dry_run":true,"expires":$e,"location":"$T/site","modules":2,"packages":2,"serial":2,"source":"main"}]
EOF
run wharf update --dry-run -q
check_rc 0
check_out </dev/null
snap after.snap
check_that "still nothing written" cmp -s before.snap after.snap
run wharf update
check_rc 7
wait
rm -f "$WHARF_HOME/.lock"
end

begin "trusted: the verified copy is kept, and checks out with minisign"
wharf trust add repo.pub -q
run wharf update
check_rc 0
check_out <<EOF
main: serial 2, 2 packages in 2 modules, expires $exp ($T/site)
EOF
check_empty_err
check_that "minisign accepts the copy" copy_ok
run cat "$WHARF_HOME/seen.json"
check_out_has "{\"format\":\"wharf-seen/1\",\"serials\":{\"$id\":2}}"
end

begin "--json: what each source gave"
run wharf update --json
check_rc 0
check_out <<EOF
[{"dry_run":false,"expires":$e,"location":"$T/site","modules":2,"packages":2,"serial":2,"source":"main"}]
EOF
end

begin "mirrors in order: a missing one is a warning, the next serves"
wharf source remove main -q
wharf source add main "$T/gone" "file://$T/site" -q
run wharf update
check_rc 0
check_out <<EOF
main: serial 2, 2 packages in 2 modules, expires $exp (file://$T/site)
EOF
check_err <<EOF
wharf update: warning: main: $T/gone/index.json.minisig: cannot open: No such file or directory
EOF
end

begin "a file:// URL's %XX escapes name the folder (a stick's name with a space)"
mkdir -p "usb stick"
cp -R site "usb stick/site"
wharf source remove main -q
wharf source add main "file://$T/usb%20stick/site" -q
run wharf update
check_rc 0
check_out <<EOF
main: serial 2, 2 packages in 2 modules, expires $exp (file://$T/usb%20stick/site)
EOF
end

begin "rollback: an older signed index is refused; a good mirror after a stale one serves"
wharf source remove main -q
wharf source add main "$T/site1" -q
run wharf update
check_rc 4
check_err <<EOF
wharf update: warning: main: $T/site1/index.json.minisig: index serial 1 is older than 2 already seen (a rollback, or a stale mirror)
wharf update: source 'main': its location served no usable index
EOF
check_that "the copy is still serial 2" test "$(serial_of "$copy")" = 2
run wharf update --dry-run
check_rc 4
check_err <<EOF
wharf update: warning: main: $T/site1/index.json.minisig: index serial 1 is older than 2 already seen (a rollback, or a stale mirror)
wharf update: source 'main': its location served no usable index
EOF
wharf source remove main -q
wharf source add main "$T/site1" "$T/site" -q
run wharf update
check_rc 0
check_out <<EOF
main: serial 2, 2 packages in 2 modules, expires $exp ($T/site)
EOF
check_err_has "index serial 1 is older than 2 already seen"
end

begin "a tampered index is refused (exit 4), the copy kept"
cp -R site evil
h=$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' evil/index.json.minisig)
sed -i 's/"hello"/"hellp"/' "evil/by-hash/$h.json"
wharf source remove main -q
wharf source add main "$T/evil" -q
run wharf update
check_rc 4
check_err_has "wharf update: warning: main: $T/evil/index.json.minisig: signature verification failed"
check_that "the copy still checks out" copy_ok
end

begin "pinned to another key: refused naming both keys"
wharf source remove main -q
wharf source add main "$T/site" --key other.pub -q
run wharf update
check_rc 4
check_err_has "wharf update: warning: main: $T/site/index.json.minisig: signed by key $id, not by $oid, the key this source is pinned to"
run wharf update --json
check_rc 4
check_out <<'EOF'
[{"dry_run":false,"error":"source 'main': its location served no usable index","source":"main","status":4}]
EOF
run wharf update --json --dry-run
check_rc 4
check_out <<'EOF'
[{"dry_run":true,"error":"source 'main': its location served no usable index","source":"main","status":4}]
EOF
end

begin "freeze: an expired index is refused unless --allow-expired, which warns"
wharf-index keygen -W -p old.pub -s old.key >/dev/null
SOURCE_DATE_EPOCH=1700000000 wharf-index build pkgs -o oldsite -s old.key -q --no-catalogue
wharf trust add old.pub -q
wharf source add frozen "$T/oldsite" -q
run wharf update frozen
check_rc 4
check_err <<EOF
wharf update: warning: frozen: $T/oldsite/index.json.minisig: the index expired on 2024-02-12 (--allow-expired uses it anyway)
wharf update: source 'frozen': its location served no usable index
EOF
run wharf update frozen --allow-expired
check_rc 0
check_out <<EOF
frozen: serial 1, 2 packages in 2 modules, expires 2024-02-12 ($T/oldsite)
EOF
check_err_has "wharf update: warning: frozen: the index expired on 2024-02-12, "
check_err_has " days ago; used because of --allow-expired"
end

begin "a dry run judges each source after the ones before, as an update would"
rm -rf "$WHARF_HOME/seen.json" "$WHARF_HOME/indexes"
wharf source remove main frozen -q
wharf source add a "$T/site" -q
wharf source add b "$T/site1" -q
snap before.snap
run wharf update --dry-run
check_rc 4
check_out <<EOF
a: serial 2, 2 packages in 2 modules, expires $exp ($T/site) (dry run)
EOF
check_err <<EOF
wharf update: warning: b: $T/site1/index.json.minisig: index serial 1 is older than 2 already seen (a rollback, or a stale mirror)
wharf update: source 'b': its location served no usable index
EOF
snap after.snap
check_that "nothing written" cmp -s before.snap after.snap
run wharf update
check_rc 4
check_out <<EOF
a: serial 2, 2 packages in 2 modules, expires $exp ($T/site)
EOF
wharf source remove a b -q
end

begin "--offline: http(s):// locations skipped with a warning, folders used"
wharf source add main http://127.0.0.1:9/site "file://$T/site" -q
wharf source add web https://127.0.0.1:9/site http://127.0.0.1:9/mirror -q
run wharf update main --offline
check_rc 0
check_out <<EOF
main: serial 2, 2 packages in 2 modules, expires $exp (file://$T/site)
EOF
check_err <<EOF
wharf update: warning: main: http://127.0.0.1:9/site: skipped: --offline
EOF
run wharf update web --offline
check_rc 6
check_out </dev/null
check_err <<EOF
wharf update: warning: web: https://127.0.0.1:9/site: skipped: --offline
wharf update: warning: web: http://127.0.0.1:9/mirror: skipped: --offline
wharf update: source 'web': none of its locations served a usable index
EOF
run wharf update --offline --dry-run --json
check_rc 6
check_out <<EOF
[{"dry_run":true,"expires":$e,"location":"file://$T/site","modules":2,"packages":2,"serial":2,"source":"main"},{"dry_run":true,"error":"source 'web': none of its locations served a usable index","source":"web","status":6}]
EOF
wharf source remove main web -q
end

# "rotated": site's index re-signed by new.key, with the statement that
# repo.key was rotated to it.
wharf-index keygen -W -p new.pub -s new.key >/dev/null
nid=$(sed -n 's/^untrusted comment: minisign public key //p' new.pub)
cp -R site rotated
SOURCE_DATE_EPOCH=1800000000 wharf-index rotate rotated -s repo.key -N new.key -q

begin "--dry-run over a key rotation: said, verified, not followed"
wharf source add main "$T/rotated" -q
snap before.snap
run wharf update --dry-run
check_rc 0
check_out <<EOF
main: serial 3, 2 packages in 2 modules, expires $exp ($T/rotated) (dry run)
EOF
check_err <<EOF
wharf update: main: key $id was rotated to $nid (statement issued 2027-01-15); would follow it and trust $nid (dry run)
EOF
snap after.snap
check_that "nothing written" cmp -s before.snap after.snap
check_that "no revoked.json" test ! -e "$WHARF_HOME/revoked.json"
run wharf update
check_rc 0
check_err <<EOF
wharf update: main: key $id was rotated to $nid (statement issued 2027-01-15); now trusting $nid
EOF
end

begin "--dry-run after an interrupted follow: said, not finished"
cp repo.pub "$WHARF_HOME/keys/$id.pub"       # as if killed after the commit
rm "$WHARF_HOME/keys/$nid.pub"
snap before.snap
run wharf update --dry-run
check_rc 0
check_out <<EOF
main: serial 3, 2 packages in 2 modules, expires $exp ($T/rotated) (dry run)
EOF
check_err <<EOF
wharf update: would finish following the rotation of key $id to $nid, which an interrupted update began, and trust $nid (dry run)
EOF
snap after.snap
check_that "nothing written" cmp -s before.snap after.snap
run wharf update
check_rc 0
check_err <<EOF
wharf update: finished following the rotation of key $id to $nid, which an interrupted update began; now trusting $nid
EOF
check_that "the old key gone" test ! -e "$WHARF_HOME/keys/$id.pub"
wharf source remove main -q
end

begin "kill -9 at every write of an update: the old copy or the new, whole"
rm -rf "$WHARF_HOME"
wharf trust add repo.pub -q
wharf source add main "$T/site1" -q
wharf update -q
wharf source remove main -q
wharf source add main "$T/site" -q
cp -R "$WHARF_HOME" home.before
n=1
while :; do
    rm -rf "$WHARF_HOME" && cp -R home.before "$WHARF_HOME"
    WHARF_FS_FAULT=$n:kill wharf update -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    copy_ok || fail "write $n: the copy does not check out"
    s=$(serial_of "$copy")
    [ "$s" = 1 ] || [ "$s" = 2 ] || fail "write $n: serial '$s'"
    n=$((n + 1))
    [ $n -gt 50 ] && { fail "no end to the writes"; break; }
done
check_that "writes were cut ($n)" test $n -gt 3
check_that "then serial 2" test "$(serial_of "$copy")" = 2
check_that "one generation kept" test "$(ls "$copy/by-hash" | wc -l)" = 1
end

finish
