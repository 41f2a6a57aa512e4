#!/bin/sh
# t2004-wharf-update-http.sh - wharf update over real HTTP on 127.0.0.1
# (tests/tools/badserve.mjs, a static server that also misbehaves): the
# index fetched and verified as from a folder; a missing mirror and a
# failing one fall back to the next; the attacks a server can mount:
# endless data (the download is capped), slow retrieval (--timeout),
# redirect loops and redirects to other protocols, a tampered index;
# --offline, which skips the server, and --dry-run over HTTP.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$T" || exit 1

begin "node is installed"
command -v node >/dev/null 2>&1 || fail "node is missing; run 'make deps'"
end

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs www
mkpkg ferrpkg run.wasm pkgs/hello.ferrpkg
wharf-index build pkgs -o www/site -n repo -q --no-catalogue
cp -R www/site www/evil
h=$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' www/evil/index.json.minisig)
sed -i 's/"hello"/"hellp"/' "www/evil/by-hash/$h.json"
node "$top/tests/tools/badserve.mjs" www >port 2>server.err &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s port ] && break; sleep 0.2; done
url="http://127.0.0.1:$(cat port)"
exp=$(date -u -d "@$(($(date +%s) + 90 * 86400))" +%Y-%m-%d)
wharf trust add repo.pub -q

# update_from LOCATION...: a fresh source "web" with these locations.
update_from() {
    wharf source remove web -q 2>/dev/null
    wharf source add web "$@" -q
    run wharf update --timeout 1
}

begin "an index over HTTP: fetched, verified, kept"
update_from "$url/ok/site"
check_rc 0
check_out <<EOF
web: serial 1, 1 package in 1 module, expires $exp ($url/ok/site)
EOF
check_empty_err
check_that "the verified copy" test -s "$WHARF_HOME/indexes/web/index.json.minisig"
end

begin "a missing mirror and a failing one fall back to the next"
update_from "$url/ok/nothere" "$url/error/site" "$url/ok/site"
check_rc 0
check_out <<EOF
web: serial 1, 1 package in 1 module, expires $exp ($url/ok/site)
EOF
check_err <<EOF
wharf update: warning: web: $url/ok/nothere/index.json.minisig: HTTP 404: not found
wharf update: warning: web: $url/error/site/index.json.minisig: HTTP 500
EOF
end

begin "endless data: the signature's download is cut at its cap (exit 3)"
update_from "$url/endless/site"
check_rc 3
check_err <<EOF
wharf update: warning: web: $url/endless/site/index.json.minisig: more than the 4096 bytes it may be
wharf update: source 'web': its location served no usable index
EOF
end

begin "slow retrieval: cut after --timeout seconds under 1 KiB/s; a good mirror after it serves"
update_from "$url/slow/site" "$url/ok/site"
check_rc 0
check_err <<EOF
wharf update: warning: web: $url/slow/site/index.json.minisig: too slow: timed out
EOF
end

begin "redirect loops and redirects to other protocols are refused"
update_from "$url/loop/site"
check_rc 1
check_err_has "wharf update: warning: web: $url/loop/site/index.json.minisig: Number of redirects hit maximum amount"
update_from "$url/ftp/site"
check_rc 1
check_err_has "wharf update: warning: web: $url/ftp/site/index.json.minisig: "
end

begin "a tampered index over HTTP is refused (exit 4)"
update_from "$url/ok/evil"
check_rc 4
check_err_has "wharf update: warning: web: $url/ok/evil/index.json.minisig: signature verification failed"
end

begin "--offline: every http(s):// location skipped, before any request (exit 6)"
update_from "$url/ok/site"
rm -rf "$WHARF_HOME/indexes"
run wharf update --offline
check_rc 6
check_out </dev/null
check_err <<EOF
wharf update: warning: web: $url/ok/site: skipped: --offline
wharf update: source 'web': its location served no usable index
EOF
check_that "no copy" test ! -e "$WHARF_HOME/indexes/web"
end

begin "--dry-run over HTTP: fetched and verified, nothing kept"
find "$WHARF_HOME" -type f | sort | xargs sha256sum >before.snap
run wharf update --dry-run
check_rc 0
check_out <<EOF
web: serial 1, 1 package in 1 module, expires $exp ($url/ok/site) (dry run)
EOF
check_empty_err
find "$WHARF_HOME" -type f | sort | xargs sha256sum >after.snap
check_that "nothing written" cmp -s before.snap after.snap
check_that "no copy" test ! -e "$WHARF_HOME/indexes/web"
end

begin "--timeout takes seconds from 1 to 3600"
run wharf update --timeout 0
check_rc 2
check_err_has "wharf update: --timeout '0' is not a number of seconds from 1 to 3600"
end

finish
