#!/bin/sh
# t2008-wharf-fetch.sh - fetching packages (installer/pkgcache.c, through
# wharf mirror): the cache first, then a source's locations in order; a
# location serving a tampered, truncated, endless, slow or missing copy
# is a warning and the next one serves; when none does, one error lists
# what each said (exit 4 when one contradicted the index, 6 when all were
# missing); --offline uses no http(s); a damaged cache entry is removed
# and fetched again; folders are read without following links and capped
# at the signed size; a package's .minisig must name its signer.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$T" || exit 1

begin "node is installed"
command -v node >/dev/null 2>&1 || fail "node is missing; run 'make deps'"
end

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
id=$(sed -n 's/^untrusted comment: minisign public key //p' repo.pub)
oid=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)
mkdir pkgs www
mkpkg ferrpkg run.wasm pkgs/hello.ferrpkg
wharf-index sign -s repo.key pkgs/hello.ferrpkg
mkpkg ferrpkg run.wasm pkgs/more.ferrpkg --set 'name="more"'
wharf-index build pkgs -o www/site -n repo -q --no-catalogue
P=packages/more@1.0.0.ferrpkg
size=$(wc -c <"www/site/$P")
sum=$(sha256sum "www/site/$P" | cut -d' ' -f1)
# What badserve's /tamper/ serves: the middle byte inverted.
mkpkg ferrpkg run.wasm tampered --set 'name="more"' --flip $((size / 2))
tsum=$(sha256sum tampered | cut -d' ' -f1)
node "$top/tests/tools/badserve.mjs" www >port 2>server.err &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s port ] && break; sleep 0.2; done
url="http://127.0.0.1:$(cat port)"
wharf trust add repo.pub -q
wharf source add web "$url/ok/site" -q
wharf update -q

# locations LOCATION...: source web's locations (its verified index stays).
locations() {
    wharf source remove web -q
    wharf source add web "$@" -q
    rm -rf "$WHARF_HOME/cache" m
}

begin "each bad location is a warning and the next is tried: tampered, truncated, endless, missing, broken"
locations "$url/tamper/site" "$url/truncate/site" "$url/endless/site" \
          "$url/ok/nothere" "$url/error/site" "$url/ok/site"
run wharf mirror web m more
check_rc 0
check_out <<'EOF'
m: source 'web', serial 1: 1 of 2 packages, 1 copied, 0 already there
EOF
check_err <<EOF
wharf mirror: warning: $url/tamper/site/$P: sha256 is $tsum, the index says $sum
wharf mirror: warning: $url/truncate/site/$P: Transferred a partial file
wharf mirror: warning: $url/endless/site/$P: more than the $size bytes it may be
wharf mirror: warning: $url/ok/nothere/$P: HTTP 404: not found
wharf mirror: warning: $url/error/site/$P: HTTP 500
EOF
check_that "the good copy" cmp -s "m/$P" "www/site/$P"
check_that "and in the cache" cmp -s "$WHARF_HOME/cache/$sum" "www/site/$P"
end

begin "slow retrieval: cut after --timeout seconds under 1 KiB/s, the next serves"
locations "$url/slow/site" "$url/ok/site"
run wharf mirror web m more --timeout 1
check_rc 0
check_err <<EOF
wharf mirror: warning: $url/slow/site/$P: too slow: timed out
EOF
end

begin "no location serves a good copy: one error lists them all, exit 4; the index is not written"
locations "$url/ok/nothere" "$url/tamper/site" "$url/endless/site"
run wharf mirror web m more
check_rc 4
check_out </dev/null
check_err <<EOF
wharf mirror: warning: $url/ok/nothere/$P: HTTP 404: not found
wharf mirror: warning: $url/tamper/site/$P: sha256 is $tsum, the index says $sum
wharf mirror: warning: $url/endless/site/$P: more than the $size bytes it may be
wharf mirror: more@1.0.0: no location served a good copy: $url/ok/nothere/$P: HTTP 404: not found; $url/tamper/site/$P: sha256 is $tsum, the index says $sum; $url/endless/site/$P: more than the $size bytes it may be
wharf mirror: m: index not updated: 1 package could not be copied
EOF
check_that "no index in m" test ! -e m/index.json.minisig
check_that "nothing cached" test ! -e "$WHARF_HOME/cache/$sum"
end

begin "every location without the file: exit 6"
locations "$url/ok/nothere" "$T/nothere"
run wharf mirror web m more
check_rc 6
check_err_has "wharf mirror: more@1.0.0: no location served a good copy: $url/ok/nothere/$P: HTTP 404: not found; $T/nothere/$P: cannot open: No such file or directory"
end

begin "--offline: http(s) locations are skipped, folders used"
locations "$url/ok/site"
run wharf mirror web m more --offline
check_rc 6
check_err <<EOF
wharf mirror: more@1.0.0: no location served a good copy: $url/ok/site: skipped: offline
wharf mirror: m: index not updated: 1 package could not be copied
EOF
locations "$url/ok/site" "file://$T/www/site"
run wharf mirror web m more --offline
check_rc 0
check_empty_err
end

begin "the cache serves without any location; a damaged entry is removed and fetched again"
locations "$url/ok/site"
wharf mirror web m more -q
rm -rf m
wharf source remove web -q && wharf source add web "$url/ok/nothere" -q
run wharf mirror web m more --offline
check_rc 0
check_empty_err
check_that "from the cache" cmp -s "m/$P" "www/site/$P"
rm -rf m
printf 'x' >>"$WHARF_HOME/cache/$sum"
wharf source remove web -q && wharf source add web "$url/ok/site" -q
run wharf mirror web m more
check_rc 0
check_err <<EOF
wharf mirror: warning: $WHARF_HOME/cache/$sum: removed from the cache: file is $((size + 1)) bytes, more than the limit of $size
EOF
check_that "fetched again" cmp -s "$WHARF_HOME/cache/$sum" "www/site/$P"
end

begin "folders: a longer or shorter copy, a link, are refused; the next serves"
mkdir -p long/packages short/packages link/packages
cat "www/site/$P" tampered >"long/$P"
head -c 100 "www/site/$P" >"short/$P"
ln -s "$T/www/site/$P" "link/$P"
locations "$T/long" "$T/short" "$T/link" "$T/www/site"
run wharf mirror web m more
check_rc 0
check_err <<EOF
wharf mirror: warning: $T/long/$P: file is $((2 * size)) bytes, more than the limit of $size
wharf mirror: warning: $T/short/$P: size is 100 bytes, the index says $size
wharf mirror: warning: $T/link/$P: symbolic link not followed
EOF
end

begin "a signed package comes with its .minisig, which must be there and name the signer"
S=packages/hello@1.0.0.ferrpkg
mkdir -p nosig/packages badsig/packages
cp "www/site/$S" nosig/packages/
cp "www/site/$S" badsig/packages/
wharf-index sign -s other.key "badsig/$S"
locations "$T/nosig" "$T/badsig" "$url/ok/site"
run wharf mirror web m hello
check_rc 0
check_err <<EOF
wharf mirror: warning: $T/nosig/$S.minisig: cannot open: No such file or directory
wharf mirror: warning: $T/badsig/$S.minisig: signed by key $oid, the index says $id
EOF
check_that "the signature copied" cmp -s "m/$S.minisig" "www/site/$S.minisig"
end

finish
