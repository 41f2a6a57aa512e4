#!/bin/sh
# t2023-wharf-par.sh - wharf par keygen, create, insert, inspect: nkeys
# seeds (their format, and that they decode to their public keys), archives
# created and extended, each read back by the indexer's reader
# (tests/tools/wh-pkg), indexed by wharf-index build with the issuer trusted,
# installed by wharf install with this machine's binary as bin/provider;
# re-signing (the old token does not cover the new binary, the new
# signature does not cover the old payload), wrong seed kinds, seed files
# that are not safe, bad target names, missing files and --world.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# Fixed test keys (made by wharf par keygen), so outputs are exact.
ISS_SEED=SAAE4SNUA46IGSGZWHYBOGEPPO2IHYYZRFIPYFLVBJLTRAJL62IHXLHPOQ
ISS=ACTKBMI7ZO6ZZ7KORDAKOOLBJ7SWGDBSMG4JV7GMW4JMK7LFHZ3WP457
SUB_SEED=SVAJZ2UYWSBZJKCC7AK7L4Q26HJRWSDJ34V2R4NE267CKMOJUQ3S3K3NLQ
SUB=VA724KSKB2DQVV2SMXR3MEEOT6M6DY3WZ2XGIXUCWHVMDPILLAPUNNS2
OTHER_SEED=SAAGVDVQUNL6TFFJCY4Q5JJFXPQXL2V3HZ5CSBKNCVRG6OXOMO4GOONQI4
OTHER=ADVJQYAF2XADJKYFU36LADY44PCCYESAC5EHOXFRN5ADYFYRZXVNSMT6
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
umask 022

seedfile() { printf '%s\n' "$2" >"$1"; chmod 600 "$1"; }
seedfile iss.nk "$ISS_SEED"
seedfile sub.nk "$SUB_SEED"
seedfile other.nk "$OTHER_SEED"
printf 'linux x86_64 provider\n' >x86_64-linux.so
printf 'linux aarch64 provider\n' >aarch64-linux.so
printf 'macos provider\n' >aarch64-macos.dylib
printf '\000asm\015\000\001\000' >world.wasm
# This machine's target as wasmCloud names it (wh_pkg_host_target).
HOST="$(uname -m | sed 's/arm64/aarch64/')-$(uname -s | tr A-Z a-z | sed 's/darwin/macos/')"
sha() { sha256sum "$1" | cut -d' ' -f1; }
# The bytes of a tar entry.
entry() { tar -xOf "$1" "$2"; }

create() {
    wharf par create --name 'Fake Payments' --vendor ACME --version 1.0 \
        --revision 3 --issuer iss.nk --subject sub.nk "$@"
}

# --- keygen ------------------------------------------------------------------

begin "par --help lists the subcommands"
run wharf par --help
check_rc 0
check_out_has "  keygen       make an account or service key (nkeys seed)"
check_out_has "  inspect      show the claims and entries; verify"
end

begin "keygen --account: a seed SA... of 58 and its key A... of 56 characters"
run wharf par keygen --account
check_rc 0
check_empty_err
check_that "two lines" test "$(wc -l <"$T/.out")" = 2
check_that "seed format" grep -qE '^SA[A-Z2-7]{56}$' "$T/.out"
check_that "key format" grep -qE '^A[A-Z2-7]{55}$' "$T/.out"
cp "$T/.out" acc.out
chmod 600 acc.out
end

begin "keygen --service: SV... and V..."
run wharf par keygen --service
check_rc 0
check_that "seed format" grep -qE '^SV[A-Z2-7]{56}$' "$T/.out"
check_that "key format" grep -qE '^V[A-Z2-7]{55}$' "$T/.out"
cp "$T/.out" svc.out
chmod 600 svc.out
end

begin "keygen's output is a seed file, and its seed decodes to its key"
run create --target x86_64-linux=x86_64-linux.so --issuer acc.out --subject svc.out -o k.par
check_rc 0
run wharf par inspect k.par
check_out_has "issuer      $(sed -n 2p acc.out)"
check_out_has "subject     $(sed -n 2p svc.out)"
end

begin "two keys are different"
wharf par keygen --account >a2.out
check_that "new seed" test "$(sed -n 1p a2.out)" != "$(sed -n 1p acc.out)"
end

begin "keygen wants exactly one of --account and --service (exit 2)"
run wharf par keygen
check_rc 2
check_err <<'EOF'
wharf par keygen: give --account or --service (one of them)
try 'wharf par keygen --help'
EOF
run wharf par keygen --account --service
check_rc 2
end

begin "keygen -o: the seed file is 0600, only the key is printed"
run wharf par keygen --service -o new.nk
check_rc 0
check_that "mode" test "$(stat -c %a new.nk)" = 600
sed -n 2p new.nk | check_out
check_that "a seed" grep -qE '^SV[A-Z2-7]{56}$' new.nk
end

begin "keygen -o never replaces a file (exit 1)"
cp new.nk keep.nk
run wharf par keygen --account -o new.nk
check_rc 1
check_err <<'EOF'
wharf par keygen: new.nk: already exists
EOF
check_that "kept" cmp -s new.nk keep.nk
end

# --- create and inspect --------------------------------------------------------

begin "create: a gzip PAR when the name ends in .gz"
run create --target x86_64-linux=x86_64-linux.so --target aarch64-macos=aarch64-macos.dylib -o pay.par.gz
check_rc 0
check_empty_err
check_out <<'EOF'
created 'pay.par.gz': fake-payments 1.0.0, 2 targets: aarch64-macos x86_64-linux
EOF
check_that "gzip magic" test "$(head -c2 pay.par.gz | od -An -tx1)" = " 1f 8b"
end

begin "create: wasmCloud's layout, claims.jwt first, binaries as TARGET.bin"
run tar -tzf pay.par.gz
check_out <<'EOF'
claims.jwt
aarch64-macos.bin
x86_64-linux.bin
EOF
check_that "binary bytes" test "$(tar -xzOf pay.par.gz x86_64-linux.bin)" = "linux x86_64 provider"
end

begin "the same inputs make the same bytes (SOURCE_DATE_EPOCH)"
create --target x86_64-linux=x86_64-linux.so --target aarch64-macos=aarch64-macos.dylib -o again.par.gz >/dev/null
check_that "identical" cmp -s pay.par.gz again.par.gz
end

begin "inspect: the claims, the entries, valid"
create --target x86_64-linux=x86_64-linux.so --target aarch64-macos=aarch64-macos.dylib -o pay.par >/dev/null
run wharf par inspect pay.par
check_rc 0
check_empty_err
check_out <<EOF
file        pay.par (tar, 4608 bytes)
name        Fake Payments
vendor      ACME
version     1.0
revision    3
issuer      $ISS
subject     $SUB
issued      2023-11-14 (1700000000)
expires     never
not before  immediately
jti         Lm3MwYv12Fi9eRN6EpYUDE
entries:
  aarch64-macos.bin                15 bytes  sha256 $(sha aarch64-macos.dylib)
  x86_64-linux.bin                 22 bytes  sha256 $(sha x86_64-linux.so)
valid       yes: fake-payments 1.0.0
EOF
end

begin "inspect --json"
run wharf par inspect --json pay.par.gz
check_rc 0
check_out_has '"entries":[{"name":"aarch64-macos.bin","sha256":"'"$(sha aarch64-macos.dylib)"'","size":15},'
check_out_has '"error":null,"file":"pay.par.gz","gzip":true,"module":"fake-payments"'
check_out_has '"valid":true,"version":"1.0.0"}'
check_out_has '"wascap":{"name":"Fake Payments","rev":3,"target_hashes":{"aarch64-macos":"7D026AAEEE69BBFE5A1E092228BB595112357054916C40D2E782CCA95B1CA4DC",'
end

begin "the indexer's reader accepts it"
run wh-pkg pay.par.gz
check_rc 0
check_out_has "\"issuer\":\"$ISS\",\"kind\":\"par\",\"name\":\"fake-payments\""
check_out_has "\"revision\":3,\"subject\":\"$SUB\""
check_out_has "\"x86_64-linux\":{\"sha256\":\"$(sha x86_64-linux.so)\",\"size\":22}"
check_out_has "\"version\":\"1.0.0\""
end

begin "without -o: NAME-VERSION.par, a plain tar"
run wharf par create --name 'Fake Payments' --vendor ACME --target x86_64-linux=x86_64-linux.so --issuer iss.nk --subject sub.nk
check_rc 0
check_out <<'EOF'
created 'fake-payments-0.0.0.par': fake-payments 0.0.0, 1 target: x86_64-linux
EOF
check_that "tar magic" test "$(dd if=fake-payments-0.0.0.par bs=1 skip=257 count=5 2>/dev/null)" = ustar
end

begin "--world adds world.wasm, last, hashed"
run create --target x86_64-linux=x86_64-linux.so --world world.wasm -o w.par
check_rc 0
run tar -tf w.par
check_out <<'EOF'
claims.jwt
x86_64-linux.bin
world.wasm
EOF
run wh-pkg w.par
check_out_has '"world":true'
run wharf par inspect w.par
check_out_has "  world.wasm                        8 bytes  sha256 $(sha world.wasm)"
end

begin "--world that is not WebAssembly (exit 3)"
run create --target x86_64-linux=x86_64-linux.so --world x86_64-linux.so -o w2.par
check_rc 3
check_err <<'EOF'
wharf par create: x86_64-linux.so: not a WebAssembly file (for world.wasm)
EOF
check_that "nothing written" test ! -e w2.par
end

# --- index and install ---------------------------------------------------------

begin "wharf-index build: the issuer trusted with --trusted-issuers: verified"
mkdir pkgs
create --target x86_64-linux=x86_64-linux.so --target aarch64-linux=aarch64-linux.so --target aarch64-macos=aarch64-macos.dylib -o pkgs/pay.par.gz >/dev/null
printf '%s\n' "$ISS" >issuers
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
run env -u SOURCE_DATE_EPOCH wharf-index build pkgs -o site -s repo.key -i issuers -n repo -q --no-catalogue
check_rc 0
check_empty_err
run sh -c 'grep -o "\"signer\":{[^}]*}" site/index.json'
check_out <<EOF
"signer":{"key_id":"$ISS","status":"verified"}
EOF
end

begin "wharf install: this machine's binary becomes bin/provider"
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
wharf update -q
run wharf install fake-payments
check_rc 0
check_out <<'EOF'
install fake-payments 1.0.0 (main)
installed 1
EOF
dir="$WHARF_HOME/modules/fake-payments/1.0.0"
check_that "executable" test -x "$dir/bin/provider"
check_that "the $HOST binary" cmp -s "$dir/bin/provider" "$HOST.so"
check_that "the claims" test -s "$dir/claims.jwt"
end

# --- insert ----------------------------------------------------------------------

begin "insert: a new target, the claims signed again"
cp pay.par before.par
entry before.par claims.jwt >old.jwt
SOURCE_DATE_EPOCH=1700000100 run wharf par insert pay.par --target aarch64-linux=aarch64-linux.so --issuer iss.nk
check_rc 0
check_empty_err
check_out <<'EOF'
signed 'pay.par': fake-payments 1.0.0, 3 targets: aarch64-macos x86_64-linux aarch64-linux
EOF
run tar -tf pay.par
check_out <<'EOF'
claims.jwt
aarch64-macos.bin
x86_64-linux.bin
aarch64-linux.bin
EOF
entry pay.par claims.jwt >new.jwt
check_that "new claims" test "$(cat old.jwt)" != "$(cat new.jwt)"
check_that "binaries kept" test "$(entry pay.par x86_64-linux.bin)" = "linux x86_64 provider"
end

begin "insert: the new archive verifies, with a new iat and jti"
run wh-pkg pay.par
check_rc 0
check_out_has "\"aarch64-linux\":{\"sha256\":\"$(sha aarch64-linux.so)\",\"size\":23}"
run wharf par inspect pay.par
check_out_has "issued      2023-11-14 (1700000100)"
check_out_has "valid       yes: fake-payments 1.0.0"
wharf par inspect pay.par | grep jti >jti.txt
check_that "new jti" test "$(cat jti.txt)" != "jti         Lm3MwYv12Fi9eRN6EpYUDE"
end

# mix OUT CLAIMS: pay.par's binaries under the claims.jwt in file CLAIMS.
mix() {
    rm -rf mix && mkdir mix && (cd mix && tar -xf ../pay.par) && cp "$2" mix/claims.jwt
    (cd mix && tar --format=gnu -cf "../$1" claims.jwt aarch64-macos.bin x86_64-linux.bin aarch64-linux.bin)
}

begin "insert: the old claims do not cover the new binary"
mix old-claims.par old.jwt
run wh-pkg old-claims.par
check_rc 4
check_err <<'EOF'
wh-pkg: old-claims.par: entry 'aarch64-linux.bin': no hash for 'aarch64-linux' in the claims
EOF
end

begin "insert: the new signature is not valid for the old payload"
printf '%s.%s' "$(cut -d. -f1,2 old.jwt)" "$(cut -d. -f3 new.jwt)" >spliced.jwt
mix spliced.par spliced.jwt
run wh-pkg spliced.par
check_rc 4
check_err <<'EOF'
wh-pkg: spliced.par: claims.jwt: token signature does not verify
EOF
run wharf par inspect spliced.par
check_rc 4
check_out_has "valid       no"
check_err <<'EOF'
wharf par inspect: spliced.par: claims.jwt: token signature does not verify
EOF
end

begin "insert keeps gzip, and -o leaves the original alone"
cp pay.par.gz keep.par.gz
run wharf par insert pay.par.gz --target aarch64-linux=aarch64-linux.so --issuer iss.nk -o more.par.gz
check_rc 0
check_that "gzip magic" test "$(head -c2 more.par.gz | od -An -tx1)" = " 1f 8b"
check_that "original kept" cmp -s pay.par.gz keep.par.gz
run wh-pkg more.par.gz
check_rc 0
end

begin "insert: only the archive's issuer may sign again (exit 4)"
cp before.par b.par
run wharf par insert b.par --target aarch64-linux=aarch64-linux.so --issuer other.nk
check_rc 4
check_err <<EOF
wharf par insert: b.par: issued by '$ISS', not by the --issuer seed's '$OTHER'
EOF
check_that "unchanged" cmp -s b.par before.par
end

begin "insert: a target already there (exit 1)"
run wharf par insert b.par --target x86_64-linux=aarch64-linux.so --issuer iss.nk
check_rc 1
check_err <<'EOF'
wharf par insert: b.par: target 'x86_64-linux' is already in the archive
EOF
end

begin "insert refuses an archive that does not verify (no laundering)"
mkpar bad.par --seed t --tamper x86_64-linux.bin
run wharf par insert bad.par --target aarch64-linux=aarch64-linux.so --issuer iss.nk
check_rc 4
check_err <<'EOF'
wharf par insert: bad.par: entry 'x86_64-linux.bin': sha256 does not match the claims
EOF
end

begin "insert: a service seed as --issuer (exit 3)"
run wharf par insert b.par --target aarch64-linux=aarch64-linux.so --issuer sub.nk
check_rc 3
check_err <<'EOF'
wharf par insert: sub.nk:1:1: a service seed, expected an account seed
EOF
end

# --- refusals ----------------------------------------------------------------------

begin "an account seed as the subject (exit 3)"
run wharf par create --name X --vendor V --target x86_64-linux=x86_64-linux.so --issuer iss.nk --subject other.nk -o no.par
check_rc 3
check_err <<'EOF'
wharf par create: other.nk:1:1: an account seed, expected a service seed
EOF
check_that "nothing written" test ! -e no.par
end

begin "a service seed as the issuer (exit 3)"
run wharf par create --name X --vendor V --target x86_64-linux=x86_64-linux.so --issuer sub.nk --subject sub.nk -o no.par
check_rc 3
check_err <<'EOF'
wharf par create: sub.nk:1:1: a service seed, expected an account seed
EOF
end

# badtarget TARGET: refused as a usage error naming it.
badtarget() {
    run create --target "$1=x86_64-linux.so" -o no.par
    check_rc 2
    printf "wharf par create: target '%s' is not <arch>-<os> (e.g. x86_64-linux)\ntry 'wharf par create --help'\n" "$1" | check_err
}

begin "target names are <arch>-<os> (exit 2)"
badtarget x86_64
badtarget x86_64-unknown-linux
badtarget X86_64-linux
badtarget -linux
badtarget x86_64-
badtarget ../x-y
badtarget world.wasm
check_that "nothing written" test ! -e no.par
end

begin "a target given twice (exit 2)"
run create --target x86_64-linux=x86_64-linux.so --target x86_64-linux=aarch64-linux.so -o no.par
check_rc 2
check_err <<'EOF'
wharf par create: target 'x86_64-linux' given twice
try 'wharf par create --help'
EOF
end

begin "--target without a file (exit 2)"
run create --target x86_64-linux -o no.par
check_rc 2
check_err <<'EOF'
wharf par create: --target wants TARGET=FILE
try 'wharf par create --help'
EOF
end

begin "a missing binary, seed or world file (exit 6)"
run create --target x86_64-linux=nope.so -o no.par
check_rc 6
check_err <<'EOF'
wharf par create: nope.so: cannot open: No such file or directory
EOF
run wharf par create --name X --vendor V --target x86_64-linux=x86_64-linux.so --issuer nope.nk --subject sub.nk -o no.par
check_rc 6
check_err <<'EOF'
wharf par create: nope.nk: cannot open: No such file or directory
EOF
run create --target x86_64-linux=x86_64-linux.so --world nope.wasm -o no.par
check_rc 6
run wharf par insert nope.par --target x86_64-linux=x86_64-linux.so --issuer iss.nk
check_rc 6
run wharf par inspect nope.par
check_rc 6
check_that "nothing written" test ! -e no.par
end

begin "required options (exit 2)"
run wharf par create --vendor V --target x86_64-linux=x86_64-linux.so --issuer iss.nk --subject sub.nk
check_rc 2
check_err <<'EOF'
wharf par create: --name is required
try 'wharf par create --help'
EOF
run wharf par create --name X --vendor V --issuer iss.nk --subject sub.nk
check_rc 2
check_err_has "wharf par create: --target is required"
run wharf par insert pay.par --target aarch64-linux=aarch64-linux.so
check_rc 2
check_err_has "wharf par insert: --issuer is required"
end

begin "a version the reader would refuse is refused before writing (exit 3)"
run create --target x86_64-linux=x86_64-linux.so --version 1.x -o no.par
check_rc 3
check_err <<'EOF'
wharf par create: claims.jwt: 'wascap.ver' '1.x': invalid character 'x' in minor version
EOF
run create --target x86_64-linux=x86_64-linux.so --revision -1 -o no.par
check_rc 2
check_that "nothing written" test ! -e no.par
end

begin "a seed file others can read is refused (exit 3)"
cp iss.nk open.nk
chmod 644 open.nk
run create --target x86_64-linux=x86_64-linux.so --issuer open.nk -o no.par
check_rc 3
check_err <<'EOF'
wharf par create: open.nk: readable or writable by others (mode 0644); chmod 600 it
EOF
end

begin "a seed file that is a link or a FIFO is refused"
ln -s iss.nk link.nk
run create --target x86_64-linux=x86_64-linux.so --issuer link.nk -o no.par
check_rc 3
check_err <<'EOF'
wharf par create: link.nk: symbolic link not followed
EOF
mkfifo fifo.nk
run create --target x86_64-linux=x86_64-linux.so --issuer fifo.nk -o no.par
check_rc 1
check_err_has "wharf par create: fifo.nk: "
end

begin "a seed file with a wrong public key line, or a mangled seed (exit 3)"
printf '%s\n%s\n' "$ISS_SEED" "$OTHER" >mixed.nk
chmod 600 mixed.nk
run create --target x86_64-linux=x86_64-linux.so --issuer mixed.nk -o no.par
check_rc 3
check_err <<'EOF'
wharf par create: mixed.nk:2:1: public key does not match the seed
EOF
printf '%sA\n' "$(echo "$ISS_SEED" | cut -c1-57)" >mangled.nk
chmod 600 mangled.nk
run create --target x86_64-linux=x86_64-linux.so --issuer mangled.nk -o no.par
check_rc 3
check_err_has "wharf par create: mangled.nk:1:1: "
printf '%s\n' "$ISS" >pub.nk
chmod 600 pub.nk
run create --target x86_64-linux=x86_64-linux.so --issuer pub.nk -o no.par
check_rc 3
check_err <<'EOF'
wharf par create: pub.nk:1:1: seed has 56 characters, expected 58
EOF
end

begin "inspect: not an archive (exit 3)"
echo hello >junk.par
run wharf par inspect junk.par
check_rc 3
check_out </dev/null
printf '%s\n' "wharf par inspect: junk.par: not a tar archive" | check_err
end

finish
