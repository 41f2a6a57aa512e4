#!/bin/sh
# t0100-minisign-interop.sh - common/minisign.c against the real minisign.
#
# Keys and signatures go both ways between wh-sign (tests/tools/wh-sign.c,
# the library on the command line) and /usr/bin/minisign 0.11: plain and
# password-encrypted keys, prehashed and legacy signatures, and every kind
# of rejection, with both programs' exact exit statuses and messages.
# minisign missing is a failure, not a skip.  The two cases that decrypt
# a key made by `minisign -G` spend about 5 s each in scrypt (minisign
# always uses libsodium's "sensitive" limits); wharf-made keys use the
# interactive limits through -O/-M.
. "$(dirname "$0")/lib.sh"

OPS=524288
MEM=16777216
TAB=$(printf '\t')
printf 'secret\n' >"$T/pw"
printf 'secret\nsecret\n' >"$T/pw2"
printf 'wrong\n' >"$T/badpw"
printf 'hello\n' >"$T/f.txt"
cd "$T" || exit 1

alg() {          # the algorithm bytes of a key or signature file
    sed -n 2p "$1" | base64 -d | head -c 2
}

ok_minisign() {   # the two lines minisign -V prints on success
    printf 'Signature and comment signature verified\nTrusted comment: %s\n' "$1"
}

begin "minisign 0.11 is installed"
run minisign -v
check_rc 0
check_out <<'EOF'
minisign 0.11
EOF
end
if [ $n_fail != 0 ]; then
    echo "FAIL: $suite: /usr/bin/minisign is required (apt-get install minisign)"
    finish
    exit 1
fi

# ---- keys made by wharf ---------------------------------------------------

begin "wh-sign keygen -W writes minisign-shaped files"
run wh-sign keygen -W -p w.pub -s w.key
check_rc 0
check_empty_err
check_that "public key comment" grep -Eq '^untrusted comment: minisign public key [0-9A-F]{1,16}$' w.pub
check_that "public key line" sh -c "sed -n 2p w.pub | grep -Eq '^[A-Za-z0-9+/]{56}\$'"
check_that "public key is Ed" test "$(alg w.pub)" = Ed
check_that "two lines" test "$(wc -l <w.pub)" = 2
check_that "secret key is 0600" test "$(stat -c %a w.key)" = 600
check_that "unencrypted: kdf 00 00" sh -c "sed -n 2p w.key | grep -q '^RWQAAEIy'"
end

begin "minisign -V accepts a wharf prehashed signature"
run wh-sign sign -s w.key -m f.txt -t "serial:42${TAB}expires:2030-01-01"
check_rc 0
check_that "ED signature" test "$(alg f.txt.minisig)" = ED
run minisign -Vm f.txt -p w.pub
check_rc 0
ok_minisign "serial:42${TAB}expires:2030-01-01" | check_out
end

begin "minisign -V -H accepts it as prehashed, with -P too"
run minisign -V -H -m f.txt -P "$(sed -n 2p w.pub)" -q
check_rc 0
check_out </dev/null
end

begin "wharf's default trusted comment matches minisign's"
run wh-sign sign -s w.key -m f.txt -x d.sig
check_rc 0
run minisign -S -s w.key -m f.txt -x m.sig
check_rc 0
a=$(sed -n 3p d.sig | sed 's/timestamp:[0-9]*/timestamp:N/')
b=$(sed -n 3p m.sig | sed 's/timestamp:[0-9]*/timestamp:N/')
check_that "same shape ($a | $b)" test "$a" = "$b"
check_that "exact form" test "$a" = "trusted comment: timestamp:N${TAB}file:f.txt${TAB}hashed"
run minisign -Vm f.txt -p w.pub -x d.sig -Q
check_rc 0
sed -n 3p d.sig | sed 's/^trusted comment: //' | check_out
end

begin "minisign -V accepts a wharf legacy signature"
run wh-sign sign -l -s w.key -m f.txt -x l.sig
check_rc 0
check_that "Ed signature" test "$(alg l.sig)" = Ed
check_that "no 'hashed'" sh -c "sed -n 3p l.sig | grep -Eq '^trusted comment: timestamp:[0-9]+${TAB}file:f.txt\$'"
run minisign -Vm f.txt -p w.pub -x l.sig -Q
check_rc 0
sed -n 3p l.sig | sed 's/^trusted comment: //' | check_out
end

begin "minisign -S signs with a wharf unencrypted key"
run minisign -S -s w.key -m f.txt -x m.sig -t "from minisign"
check_rc 0
run wh-sign verify -p w.pub -m f.txt -x m.sig
check_rc 0
check_out <<'EOF'
from minisign
EOF
check_empty_err
end

begin "minisign -S signs with a wharf encrypted key"
WH_PASSWORD=secret run wh-sign keygen -p we.pub -s we.key -O $OPS -M $MEM
check_rc 0
check_that "encrypted: kdf Sc" sh -c "sed -n 2p we.key | grep -q '^RWRTY0Iy'"
run_in pw minisign -S -s we.key -m f.txt -x we.sig -t "enc"
check_rc 0
check_out <<'EOF'
Deriving a key from the password and decrypting the secret key... done

EOF
run wh-sign verify -p we.pub -m f.txt -x we.sig
check_rc 0
check_out <<'EOF'
enc
EOF
end

begin "minisign rejects a wrong password for a wharf key"
run_in badpw minisign -S -s we.key -m f.txt -x bad.sig
check_rc 2
check_err_has "Wrong password for that key"
check_that "no signature written" test ! -e bad.sig
end

begin "wh-sign uses its own encrypted key, and refuses a wrong password"
WH_PASSWORD=secret run wh-sign sign -s we.key -m f.txt -x we2.sig -t t2
check_rc 0
run minisign -Vm f.txt -p we.pub -x we2.sig
check_rc 0
ok_minisign "t2" | check_out
WH_PASSWORD=nope run wh-sign sign -s we.key -m f.txt -x we3.sig
check_rc 4
check_err <<'EOF'
wh-sign: we.key: wrong password or corrupted secret key
EOF
check_that "no signature written" test ! -e we3.sig
end

# ---- keys made by minisign ------------------------------------------------

begin "wh-sign signs with a minisign -G -W key"
run minisign -G -W -p m.pub -s m.key
check_rc 0
run wh-sign sign -s m.key -m f.txt -x wm.sig -t "wharf with minisign key"
check_rc 0
run minisign -Vm f.txt -p m.pub -x wm.sig
check_rc 0
ok_minisign "wharf with minisign key" | check_out
end

begin "wh-sign recreates minisign's public key file byte for byte"
run wh-sign pubkey -s m.key -p r.pub
check_rc 0
check_that "identical to m.pub" cmp -s m.pub r.pub
end

begin "wh-sign verifies minisign prehashed and legacy signatures"
run minisign -S -s m.key -m f.txt -x mh.sig -t "prehashed by minisign"
check_rc 0
run minisign -S -l -s m.key -m f.txt -x ml.sig -t "legacy by minisign"
check_rc 0
check_that "legacy is Ed" test "$(alg ml.sig)" = Ed
run wh-sign verify -p m.pub -m f.txt -x mh.sig
check_rc 0
check_out <<'EOF'
prehashed by minisign
EOF
run wh-sign verify -p m.pub -m f.txt -x ml.sig
check_rc 0
check_out <<'EOF'
legacy by minisign
EOF
run wh-sign verify -H -p m.pub -m f.txt -x ml.sig
check_rc 4
check_err <<'EOF'
wh-sign: ml.sig: legacy signature refused: a prehashed signature is required
EOF
run minisign -V -H -p m.pub -m f.txt -x ml.sig
check_rc 1
check_err_has "Legacy (non-prehashed) signature found"
end

begin "wh-sign loads a password-encrypted key made by minisign -G"
run_in pw2 minisign -G -p me.pub -s me.key
check_rc 0
check_that "encrypted: kdf Sc" sh -c "sed -n 2p me.key | grep -q '^RWRTY0Iy'"
WH_PASSWORD=secret run wh-sign sign -s me.key -m f.txt -x me.sig -t "encrypted minisign key"
check_rc 0
check_empty_err
run minisign -Vm f.txt -p me.pub -x me.sig
check_rc 0
ok_minisign "encrypted minisign key" | check_out
end

begin "wh-sign refuses a wrong password for a minisign key"
WH_PASSWORD=wrong run wh-sign sign -s me.key -m f.txt -x me2.sig
check_rc 4
check_err <<'EOF'
wh-sign: me.key: wrong password or corrupted secret key
EOF
check_that "no signature written" test ! -e me2.sig
end

# ---- rejections, by both ---------------------------------------------------

run minisign -S -s m.key -m f.txt -x good.sig -t "original"
cp f.txt t.txt
printf 'hellO\n' >tampered.txt

begin "a tampered file is rejected by both"
run minisign -Vm tampered.txt -p m.pub -x good.sig
check_rc 1
check_err <<'EOF'
Signature verification failed
EOF
run wh-sign verify -p m.pub -m tampered.txt -x good.sig
check_rc 4
check_err <<'EOF'
wh-sign: good.sig: signature verification failed
EOF
check_out </dev/null
end

begin "a tampered legacy-signed file is rejected by both"
run minisign -Vm tampered.txt -p m.pub -x ml.sig
check_rc 1
check_err <<'EOF'
Signature verification failed
EOF
run wh-sign verify -p m.pub -m tampered.txt -x ml.sig
check_rc 4
check_err <<'EOF'
wh-sign: ml.sig: signature verification failed
EOF
end

begin "a tampered trusted comment is rejected by both"
sed '3s/original/0riginal/' good.sig >tc.sig
check_that "edited" test "$(sed -n 3p tc.sig)" = "trusted comment: 0riginal"
run minisign -Vm f.txt -p m.pub -x tc.sig
check_rc 1
check_err <<'EOF'
Comment signature verification failed
EOF
run wh-sign verify -p m.pub -m f.txt -x tc.sig
check_rc 4
check_err <<'EOF'
wh-sign: tc.sig: trusted comment verification failed
EOF
end

begin "an edited untrusted comment is accepted by both"
sed '1s/.*/untrusted comment: anything at all/' good.sig >uc.sig
run minisign -Vm f.txt -p m.pub -x uc.sig -Q
check_rc 0
check_out <<'EOF'
original
EOF
run wh-sign verify -p m.pub -m f.txt -x uc.sig
check_rc 0
check_out <<'EOF'
original
EOF
end

begin "a signature from a different key is rejected by both"
mid=$(sed -n 1p m.pub | sed 's/.* //')
wid=$(sed -n 1p w.pub | sed 's/.* //')
run minisign -Vm f.txt -p w.pub -x good.sig
check_rc 1
printf 'Signature key id in good.sig is %s\nbut the key id in the public key is %s\n' "$mid" "$wid" | check_err
run wh-sign verify -p w.pub -m f.txt -x good.sig
check_rc 4
printf 'wh-sign: good.sig: signature key id %s does not match public key %s\n' "$mid" "$wid" | check_err
end

begin "a different key given the signer's key id is rejected by both"
# w.pub's Ed25519 key under m.pub's key id: only the signature check stops it.
forged=$(printf 'untrusted comment: forged\n%s\n' \
    "$( { sed -n 2p m.pub | base64 -d | head -c 10; sed -n 2p w.pub | base64 -d | tail -c 32; } | base64 -w0)")
printf '%s\n' "$forged" >forged.pub
run minisign -Vm f.txt -p forged.pub -x good.sig
check_rc 1
check_err <<'EOF'
Signature verification failed
EOF
run wh-sign verify -p forged.pub -m f.txt -x good.sig
check_rc 4
check_err <<'EOF'
wh-sign: good.sig: signature verification failed
EOF
end

# ---- format edges ----------------------------------------------------------

begin "CRLF line endings are accepted by both"
sed 's/$/\r/' good.sig >crlf.sig
sed 's/$/\r/' m.pub >crlf.pub
run minisign -Vm f.txt -p crlf.pub -x crlf.sig -Q
check_rc 0
check_out <<'EOF'
original
EOF
run wh-sign verify -p crlf.pub -m f.txt -x crlf.sig
check_rc 0
check_out <<'EOF'
original
EOF
end

begin "the longest comments minisign reads work both ways"
long_t=$(printf '%8173s' '' | tr ' ' t)
long_u=$(printf '%1003s' '' | tr ' ' u)
run wh-sign sign -s m.key -m f.txt -x long.sig -t "$long_t" -c "$long_u"
check_rc 0
run minisign -Vm f.txt -p m.pub -x long.sig -Q
check_rc 0
printf '%s\n' "$long_t" | check_out
run wh-sign sign -s m.key -m f.txt -x long2.sig -t "${long_t}t"
check_rc 2
check_err <<'EOF'
wh-sign: trusted comment is longer than 8173 bytes
EOF
end

begin "a 3 MiB file, prehashed both ways"
head -c 3145729 /dev/urandom >big.bin
run wh-sign sign -s m.key -m big.bin -t big
check_rc 0
run minisign -Vm big.bin -p m.pub -Q
check_rc 0
check_out <<'EOF'
big
EOF
run minisign -S -s m.key -m big.bin -x big2.sig -t big2
check_rc 0
run wh-sign verify -p m.pub -m big.bin -x big2.sig
check_rc 0
check_out <<'EOF'
big2
EOF
end

begin "a signature file with junk after it: minisign ignores it, wharf refuses"
cp good.sig junk.sig
echo "junk" >>junk.sig
run minisign -Vm f.txt -p m.pub -x junk.sig -Q
check_rc 0
run wh-sign verify -p m.pub -m f.txt -x junk.sig
check_rc 3
check_err <<'EOF'
wh-sign: junk.sig:5:1: unexpected data after the signature
EOF
end

begin "an unknown signature algorithm is rejected by both"
{ sed -n 1p good.sig
  { printf 'Xy'; sed -n 2p good.sig | base64 -d | tail -c 72; } | base64 -w0; echo
  sed -n '3,4p' good.sig; } >alg.sig
run minisign -Vm f.txt -p m.pub -x alg.sig
check_rc 2
check_err_has "Unsupported signature algorithm"
run wh-sign verify -p m.pub -m f.txt -x alg.sig
check_rc 3
check_err <<'EOF'
wh-sign: alg.sig:2:1: unsupported signature algorithm 'Xy'
EOF
end

finish
