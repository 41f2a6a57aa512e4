#!/bin/sh
# t1109-wharf-index-rotate.sh - wharf-index rotate: the statement (checked
# with stock minisign), the site signed again by the new key with a higher
# serial, builds with the new key (reusing the cache) and not the old one,
# a second run, a wrong current key, a chain of two rotations, usage
# errors, and kill -9 at every write of a rotation: the site verifies
# with one key or the other, and the same command finishes the job.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
for k in repo new third other; do
    wharf-index keygen -W -p $k.pub -s $k.key >/dev/null
done
idof() { sed -n 's/^untrusted comment: minisign public key //p' "$1"; }
id=$(idof repo.pub)
nid=$(idof new.pub)
tid=$(idof third.pub)
oid=$(idof other.pub)
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/hello.ferrpkg
touch -d '2 minutes ago' pkgs/hello.ferrpkg      # old enough for the cache
wharf-index build pkgs -o site -n repo -q --no-catalogue
cp -R site site.orig
serial_of() { sed -n 's/^trusted comment: wharf-index\/1 serial:\([0-9]*\) .*/\1/p' "$1/index.json.minisig"; }
exp=$(date -u -d "@$(($(date +%s) + 90 * 86400))" +%Y-%m-%d)

begin "--help, and usage errors (exit 2)"
run wharf-index rotate --help
check_rc 0
check_out_has "usage: wharf-index rotate SITE [-s OLD.key] -N NEW.key [options]"
check_out_has "  -N, --new-key FILE"
run wharf-index rotate -N new.key
check_rc 2
check_err <<'EOF'
wharf-index rotate: no site given
try 'wharf-index rotate --help'
EOF
run wharf-index rotate site
check_rc 2
check_err_has "wharf-index rotate: no new key: use -N NEW.key"
run wharf-index rotate site a b -N new.key
check_rc 2
check_err_has "wharf-index rotate: one site expected"
run wharf-index rotate site -s repo.key -N repo.key
check_rc 2
check_err <<EOF
wharf-index rotate: repo.key: the new key has the id of the current key, $id
EOF
end

begin "no site, or no signed index yet (exit 6)"
run wharf-index rotate nope -s repo.key -N new.key
check_rc 6
check_err <<'EOF'
wharf-index rotate: nope: no site here (build it first)
EOF
mkdir empty
run wharf-index rotate empty -s repo.key -N new.key
check_rc 6
check_err <<'EOF'
wharf-index rotate: empty/index.json.minisig: no signed index to rotate (build the site first)
EOF
end

begin "rotate: the statement, then the site signed by the new key"
SOURCE_DATE_EPOCH=1800000000 run wharf-index rotate site -s repo.key -N new.key
check_rc 0
check_out <<EOF
key $id rotated to $nid: wrote site/keys/rotation/$nid.pub.minisig
re-signed 'site' with key $nid: serial 2, expires $exp
next: build with the new key (wharf-index build PKGDIR -o site -s new.key); wharf follows at its next update, then refuses key $id
EOF
check_empty_err
check_that "the statement's key file is the new public key" cmp site/keys/rotation/$nid.pub new.pub
run minisign -Vm site/keys/rotation/$nid.pub -p repo.pub
check_rc 0
check_out <<EOF
Signature and comment signature verified
Trusted comment: wharf-rotation/1 old:$id new:$nid issued:1800000000
EOF
run wharf-index verify site -p new.pub
check_rc 0
check_out <<EOF
verified 'site': 1 package in 1 module, serial 2, expires $exp
EOF
check_that "keys/repo.pub is the new key" cmp site/keys/repo.pub new.pub
run grep -c "\"key_id\":\"$nid\"" site/index.json
check_out <<'EOF'
1
EOF
run wharf-index verify site -p repo.pub
check_rc 4
check_err_has "signature key id $nid does not match public key $id"
end

begin "then a build with the new key works and reuses the cache; with the old key it is refused"
run wharf-index build pkgs -o site -n repo -s repo.key --no-catalogue
check_rc 4
check_err <<EOF
wharf-index build: site/index.json.minisig: previous index: signature key id $nid does not match public key $id
EOF
run wharf-index build pkgs -o site -n repo -s new.key --no-catalogue
check_rc 0
check_out <<EOF
read 0 files, 1 unchanged
wrote 'site': 1 package in 1 module, serial 3, expires $exp
EOF
check_empty_err
end

begin "a second run keeps the statement and changes nothing"
cp site/keys/rotation/$nid.pub.minisig stmt.before
SOURCE_DATE_EPOCH=1900000000 run wharf-index rotate site -s repo.key -N new.key
check_rc 0
check_out <<EOF
key $id rotated to $nid: kept site/keys/rotation/$nid.pub.minisig
'site' is already signed by key $nid
EOF
check_that "the statement is unchanged" cmp stmt.before site/keys/rotation/$nid.pub.minisig
check_that "the serial is unchanged" test "$(serial_of site)" = 3
end

begin "a site signed by neither key is refused (exit 4)"
run wharf-index rotate site -s other.key -N third.key
check_rc 4
check_err <<EOF
wharf-index rotate: site/index.json.minisig: signed by key $nid, which is neither the current key $oid nor the new key $tid
EOF
check_that "no statement for the third key" test ! -e site/keys/rotation/$tid.pub
end

begin "a second rotation: both statements stay, a chain"
run wharf-index rotate site -s new.key -N third.key -q
check_rc 0
check_out </dev/null
check_empty_err
run minisign -Vqm site/keys/rotation/$tid.pub -p new.pub
check_rc 0
run minisign -Vqm site/keys/rotation/$nid.pub -p repo.pub
check_rc 0
run wharf-index verify site -p third.pub -q
check_rc 0
check_that "serial 4" test "$(serial_of site)" = 4
run wharf-index build pkgs -o site -n repo -s third.key -q --no-catalogue
check_rc 0
check_that "serial 5" test "$(serial_of site)" = 5
end

begin "a statement of another key under the new key's name is replaced"
rm -rf site && cp -R site.orig site
mkdir -p site/keys/rotation
cp other.pub site/keys/rotation/$nid.pub
run wharf-index rotate site -s repo.key -N new.key -q
check_rc 0
check_that "now the new key" cmp site/keys/rotation/$nid.pub new.pub
run minisign -Vqm site/keys/rotation/$nid.pub -p repo.pub
check_rc 0
end

begin "kill -9 at every write of a rotation: one key or the other, and the next run finishes"
n=1 copies=0
while [ $n -lt 100 ]; do
    rm -rf site && cp -R site.orig site
    WHARF_FS_FAULT=$n:kill wharf-index rotate site -s repo.key -N new.key -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    s=$(serial_of site)
    if [ "$s" = 1 ]; then
        wharf-index verify site -p repo.pub -q || fail "write $n: serial 1 does not verify with the old key"
    elif ! wharf-index verify site -p new.pub -q 2>"$T/v.err"; then
        # Killed between the commit and the copies: only they may lag.
        grep -v "^wharf-index verify: site/index.json\(.gz\)\?: is not the signed index" \
            "$T/v.err" && fail "write $n: serial $s does not verify with the new key"
        copies=$((copies + 1))
    fi
    wharf-index rotate site -s repo.key -N new.key -q || fail "write $n: the next run failed"
    wharf-index verify site -p new.pub -q || fail "write $n: then not the new key's"
    minisign -Vqm site/keys/rotation/$nid.pub -p repo.pub || fail "write $n: then no statement"
    [ "$(serial_of site)" = 2 ] || fail "write $n: then serial $(serial_of site)"
    wharf-index build pkgs -o site -n repo -s new.key -q --no-catalogue || fail "write $n: the build after failed"
    n=$((n + 1))
done
check_that "writes were cut ($n)" test $n -gt 5
check_that "some left the copies behind ($copies)" test $copies -gt 0
end

finish
