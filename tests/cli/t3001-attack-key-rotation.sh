#!/bin/sh
# t3001-attack-key-rotation.sh - wharf update follows a repository's key
# rotation (wharf-index rotate) from a folder and over real HTTP, then
# refuses the old key (as an index's signer, as a statement's, in wharf
# trust add without --force), keeps the rollback floor across the
# rotation, re-pins a pinned source, follows a chain of two; and refuses
# what an attacker can serve: a statement signed by an untrusted key, one
# naming another key, a loop, a truncated statement; kill -9 at every
# write of a follow leaves a root the next update finishes.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$T" || exit 1

run_wasm run.wasm
for k in repo new third evil evil2; do
    wharf-index keygen -W -p $k.pub -s $k.key >/dev/null
done
idof() { sed -n 's/^untrusted comment: minisign public key //p' "$1"; }
id=$(idof repo.pub) nid=$(idof new.pub) tid=$(idof third.pub)
xid=$(idof evil.pub) yid=$(idof evil2.pub)
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/hello.ferrpkg
wharf-index build pkgs -o site -n repo -q --no-catalogue
cp -R site old                      # the old key's site, serial 1
SOURCE_DATE_EPOCH=1800000000 wharf-index rotate site -s repo.key -N new.key -q
cp -R site rotated                  # serial 2, by the new key
exp=$(date -u -d "@$(($(date +%s) + 90 * 86400))" +%Y-%m-%d)
copy="$WHARF_HOME/indexes/main"
serial_of() { sed -n 's/^trusted comment: wharf-index\/1 serial:\([0-9]*\) .*/\1/p' "$1/index.json.minisig"; }
# fresh: an install root trusting the old key, with source main at LOCATION
# updated from the old site.
fresh() {
    rm -rf "$WHARF_HOME"
    wharf trust add repo.pub -q
    wharf source add main "$T/old" -q && wharf update -q
    wharf source remove main -q && wharf source add main "$@" -q
}
# A statement made by hand: stmt SITE FOR.pub SIGNER.key OLDID NEWID
stmt() {
    mkdir -p "$1/keys/rotation"
    cp "$2" "$1/keys/rotation/$5.pub"
    wharf-index sign -s "$3" -t "wharf-rotation/1 old:$4 new:$5 issued:1800000000" \
        "$1/keys/rotation/$5.pub"
}
# site signed by KEY (a copy of the old site built again with it)
build_as() {
    rm -rf "$1" && mkdir "$1"
    wharf-index build pkgs -o "$1" -n repo -s "$2" -q --no-catalogue
}

begin "a rotation is followed: now trusting the new key, the old one revoked"
fresh "$T/site"
run wharf update
check_rc 0
check_out <<EOF
main: serial 2, 1 package in 1 module, expires $exp ($T/site)
EOF
check_err <<EOF
wharf update: main: key $id was rotated to $nid (statement issued 2027-01-15); now trusting $nid
EOF
run wharf trust list
check_out <<EOF
$nid  $(sed -n 2p new.pub)
$id  $(sed -n 2p repo.pub)  revoked: rotated to $nid (statement issued 2027-01-15)
EOF
run wharf trust list --json
check_out <<EOF
[{"key_id":"$nid","public_key":"$(sed -n 2p new.pub)"},{"key_id":"$id","public_key":"$(sed -n 2p repo.pub)","revoked":{"issued":1800000000,"rotated_to":"$nid"}}]
EOF
check_that "keys/OLD.pub is gone" test ! -e "$WHARF_HOME/keys/$id.pub"
run cat "$WHARF_HOME/seen.json"
check_out_has "\"$nid\":2"
run wharf update
check_rc 0
check_empty_err
end

begin "then an index signed by the old key is refused, naming the rotation (exit 4)"
wharf source remove main -q && wharf source add main "$T/old" -q
run wharf update
check_rc 4
check_err <<EOF
wharf update: warning: main: $T/old/index.json.minisig: signed by key $id, which was rotated to $nid (statement issued 2027-01-15) and is no longer trusted
wharf update: source 'main': its location served no usable index
EOF
check_that "the copy is still the new key's" test "$(serial_of "$copy")" = 2
end

begin "and whoever holds the old key cannot rotate it elsewhere (exit 4)"
build_as xsite evil.key
stmt xsite evil.pub repo.key "$id" "$xid"
wharf source remove main -q && wharf source add main "$T/xsite" -q
run wharf update
check_rc 4
check_err_has "wharf update: warning: main: $T/xsite/keys/rotation/$xid.pub.minisig: signed by key $id, which was rotated to $nid (statement issued 2027-01-15) and is no longer trusted"
end

begin "wharf trust add of a revoked key: refused unless --force"
run wharf trust add repo.pub
check_rc 4
check_err <<EOF
wharf trust: repo.pub: key $id was rotated to $nid (statement issued 2027-01-15) and is revoked; --force trusts it again
EOF
run wharf trust add repo.pub --force
check_rc 0
check_out <<EOF
trusted key $id
EOF
run wharf trust list
check_out_has "$id  $(sed -n 2p repo.pub)"
check_that "no longer listed as revoked" test "$(grep -c revoked "$T/.out")" = 0
end

begin "the rollback floor is carried to the new key"
rm -rf roll && cp -R old roll
wharf-index build pkgs -o roll -n repo -q --no-catalogue     # serial 2
wharf-index build pkgs -o roll -n repo -q --no-catalogue     # serial 3
rm -rf "$WHARF_HOME"
wharf trust add repo.pub -q
wharf source add main "$T/roll" -q && wharf update -q
wharf source remove main -q && wharf source add main "$T/rotated" -q
run wharf update
check_rc 4
check_err <<EOF
wharf update: warning: main: $T/rotated/index.json.minisig: index serial 2 is older than 3 already seen (a rollback, or a stale mirror)
wharf update: source 'main': its location served no usable index
EOF
end

begin "a source pinned to the old key is re-pinned to the new one"
rm -rf "$WHARF_HOME"
wharf source add main "$T/old" --key repo.pub -q && wharf update -q
wharf source remove main -q && wharf source add main "$T/site" --key repo.pub -q
run wharf update
check_rc 0
check_err <<EOF
wharf update: main: key $id was rotated to $nid (statement issued 2027-01-15); now trusting $nid
EOF
run cat "$WHARF_HOME/sources.json"
check_out_has "\"key\":\"$(sed -n 2p new.pub)\""
end

begin "a chain of two rotations is followed"
rm -rf chain && cp -R rotated chain
SOURCE_DATE_EPOCH=1810000000 wharf-index rotate chain -s new.key -N third.key -q
fresh "$T/chain"
run wharf update
check_rc 0
check_out <<EOF
main: serial 3, 1 package in 1 module, expires $exp ($T/chain)
EOF
check_err <<EOF
wharf update: main: key $id was rotated to $nid (statement issued 2027-01-15), then to $tid (statement issued 2027-05-11); now trusting $tid
EOF
run wharf trust list
check_out_has "$nid  $(sed -n 2p new.pub)  revoked: rotated to $tid (statement issued 2027-05-11)"
end

begin "a statement signed by an untrusted key is refused (exit 4)"
build_as forged evil.key
stmt forged evil.pub evil2.key "$yid" "$xid"
fresh "$T/forged"
run wharf update
check_rc 4
check_err <<EOF
wharf update: warning: main: $T/forged/keys/rotation/$xid.pub.minisig: signed by key $yid, which is not trusted, and no rotation statement names it
wharf update: source 'main': its location served no usable index
EOF
stmt forged evil.pub evil2.key "$id" "$xid"
run wharf update
check_rc 4
check_err_has "wharf update: warning: main: $T/forged/keys/rotation/$xid.pub.minisig: the statement names old key $id but is signed by key $yid"
check_that "nothing followed" test -e "$WHARF_HOME/keys/$id.pub"
check_that "nothing revoked" test ! -e "$WHARF_HOME/revoked.json"
end

begin "a statement naming a different key is refused (exit 4)"
build_as other evil.key
stmt other new.pub repo.key "$id" "$xid"
fresh "$T/other"
run wharf update
check_rc 4
check_err_has "wharf update: warning: main: $T/other/keys/rotation/$xid.pub: holds key $nid, not $xid"
end

begin "statements in a loop are refused (exit 4)"
build_as loop evil.key
stmt loop evil.pub evil2.key "$yid" "$xid"
stmt loop evil2.pub evil.key "$xid" "$yid"
fresh "$T/loop"
run wharf update
check_rc 4
check_err_has "wharf update: warning: main: $T/loop/keys/rotation/$yid.pub.minisig: key rotations form a loop: $xid <- $yid <- $xid"
end

begin "a truncated statement is refused (exit 3)"
rm -rf trunc && cp -R rotated trunc
head -n 2 rotated/keys/rotation/$nid.pub.minisig >trunc/keys/rotation/$nid.pub.minisig
fresh "$T/trunc"
run wharf update
check_rc 3
check_err <<EOF
wharf update: warning: main: $T/trunc/keys/rotation/$nid.pub.minisig:3:1: missing trusted comment line
wharf update: source 'main': its location served no usable index
EOF
check_that "nothing followed" test ! -e "$WHARF_HOME/revoked.json"
end

begin "over HTTP: the rotation is followed, then the old key refused"
mkdir www && cp -R rotated www/site && cp -R old www/old
node "$top/tests/tools/badserve.mjs" www >port 2>server.err &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s port ] && break; sleep 0.2; done
url="http://127.0.0.1:$(cat port)"
fresh "$url/ok/site"
run wharf update --timeout 5
check_rc 0
check_out <<EOF
main: serial 2, 1 package in 1 module, expires $exp ($url/ok/site)
EOF
check_err <<EOF
wharf update: main: key $id was rotated to $nid (statement issued 2027-01-15); now trusting $nid
EOF
wharf source remove main -q && wharf source add main "$url/ok/old" -q
run wharf update --timeout 5
check_rc 4
check_err_has "wharf update: warning: main: $url/ok/old/index.json.minisig: signed by key $id, which was rotated to $nid (statement issued 2027-01-15) and is no longer trusted"
end

begin "kill -9 at every write of a follow: the next update finishes it"
fresh "$T/site"
cp -R "$WHARF_HOME" home.before
n=1 finished=0
while :; do
    rm -rf "$WHARF_HOME" && cp -R home.before "$WHARF_HOME"
    WHARF_FS_FAULT=$n:kill wharf update -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    wharf update -q 2>"$T/u.err" || fail "write $n: the next update failed: $(cat "$T/u.err")"
    grep -q "finished following the rotation of key $id to $nid" "$T/u.err" &&
        finished=$((finished + 1))
    [ "$(serial_of "$copy")" = 2 ] || fail "write $n: serial $(serial_of "$copy")"
    [ -e "$WHARF_HOME/keys/$nid.pub" ] || fail "write $n: the new key is not trusted"
    [ -e "$WHARF_HOME/keys/$id.pub" ] && fail "write $n: the old key is still trusted"
    wharf trust list | grep -q "^$id .* revoked: rotated to $nid" || fail "write $n: not revoked"
    n=$((n + 1))
    [ $n -gt 50 ] && { fail "no end to the writes"; break; }
done
check_that "writes were cut ($n)" test $n -gt 4
check_that "some follows were finished by the next update ($finished)" test $finished -gt 0
end

finish
