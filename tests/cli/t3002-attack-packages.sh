#!/bin/sh
# t3002-attack-packages.sh - TUF's attacks on packages, against wharf
# install: arbitrary software (a package that is not what the signed index
# says: other bytes, truncated, endless, or a package that says it is
# another module), malicious mirrors (one bad location cannot stop an
# install a good one can serve, over HTTP too), extraneous dependencies
# (only the signed record's dependencies count, never the package's own
# manifest), and a PAR without a binary for this machine.  In each
# refused case nothing is installed.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$T" || exit 1

begin "node is installed"
command -v node >/dev/null 2>&1 || fail "node is missing; run 'make deps'"
end

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/hello.ferrpkg
mkpkg ferrpkg run.wasm pkgs/jello.ferrpkg --set 'name="jello"'
wharf-index build pkgs -o site -n repo -q --no-catalogue
wharf trust add repo.pub -q
pkgfile=packages/hello@1.0.0.ferrpkg
hsha=$(sha256sum site/$pkgfile | cut -d' ' -f1)

# evil: a mirror with the same signed index whose hello is other bytes.
cp -R site evil
printf 'X' | dd of="evil/$pkgfile" bs=1 seek=100 conv=notrunc 2>/dev/null
# short: a mirror whose hello is cut short.
cp -R site short
head -c 100 "site/$pkgfile" >"short/$pkgfile"

begin "a mirror serving other bytes: refused, the next mirror serves it"
wharf source add main "$T/evil" "$T/site" -q
wharf update -q
run wharf install hello
check_rc 0
check_out <<'EOF2'
install hello 1.0.0 (main)
installed 1
EOF2
check_err_has "wharf install: warning: $T/evil/$pkgfile: "
check_that "the good bytes installed" cmp "$WHARF_HOME/cache/$hsha" "site/$pkgfile"
end

begin "every mirror bad: refused with what each said (exit 4), nothing installed"
wharf uninstall hello -q
rm -rf "$WHARF_HOME/cache"
wharf source remove main -q
wharf source add main "$T/evil" "$T/short" -q
wharf update -q
run wharf install hello
check_rc 4
check_err_has "wharf install: hello@1.0.0: no location served a good copy"
check_err_has "$T/evil/$pkgfile"
check_err_has "$T/short/$pkgfile"
check_that "nothing installed" test ! -e "$WHARF_HOME/modules/hello"
run wharf list
check_out </dev/null
end

# A repository that signed a record pointing at another module's package
# (a careless or compromised publisher): re-sign an index whose hello
# record carries jello's package hash, size and bytes.
resign() {          # resign SITE SED-EXPRESSION
    h=$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' "$1/index.json.minisig")
    exp=$(sed -n 's/^trusted comment: .* expires:\([0-9]*\) .*/\1/p' "$1/index.json.minisig")
    sed "$2" "$1/by-hash/$h.json" | sed 's/"serial":1\([,}]\)/"serial":2\1/' >new.json
    n=$(sha256sum new.json | cut -d' ' -f1)
    mv new.json "$1/by-hash/$n.json"
    wh-sign sign -s repo.key -m "$1/by-hash/$n.json" -x "$1/index.json.minisig" \
        -t "wharf-index/1 serial:2 expires:$exp sha256:$n" >/dev/null
}

begin "a package that says it is another module: refused (exit 4)"
cp -R site liar
jsha=$(sha256sum site/packages/jello@1.0.0.ferrpkg | cut -d' ' -f1)
cp site/packages/jello@1.0.0.ferrpkg "liar/$pkgfile"
resign liar "s/$hsha/$jsha/"
rm -rf "$WHARF_HOME"
wharf trust add repo.pub -q
wharf source add main "$T/liar" -q
wharf update -q
run wharf install hello
check_rc 4
check_err <<EOF2
wharf install: $T/liar/$pkgfile: the package is jello 1.0.0 (ferrpkg), but the signed index lists it as hello 1.0.0 (ferrpkg)
EOF2
check_that "nothing installed" test ! -e "$WHARF_HOME/modules"
end

begin "extraneous dependencies: a package's own manifest cannot add any"
mkpkg ferrpkg run.wasm pkgs2.ferrpkg --set 'name="greedy"' --set 'dependencies={"jello":"*"}'
mkdir pkgs2 && mv pkgs2.ferrpkg pkgs2/greedy.ferrpkg
cp pkgs/hello.ferrpkg pkgs2/
wharf-index build pkgs2 -o site2 -n repo -q --no-catalogue
resign site2 's/"dependencies":{"jello":"\*"}/"dependencies":{}/'
rm -rf "$WHARF_HOME"
wharf trust add repo.pub -q
wharf source add main "$T/site2" -q
wharf update -q
run wharf install greedy
check_rc 0
check_out <<'EOF2'
install greedy 1.0.0 (main)
installed 1
EOF2
end

begin "a PAR without a binary for this machine: not available (exit 5)"
mkdir pars
mkpar pars/pay.par --bin-text aarch64-macos.bin=bin --ver 1.0.0
wharf-index build pars -o site3 -n repo -q --no-catalogue
rm -rf "$WHARF_HOME"
wharf trust add repo.pub -q
wharf source add main "$T/site3" -q
wharf update -q
run wharf install fake-payments
check_rc 5
check_err_has "not available for x86_64-linux (it has aarch64-macos)"
end

node "$top/tests/tools/badserve.mjs" . >port 2>server.err &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s port ] && break; sleep 0.2; done
url="http://127.0.0.1:$(cat port)"

begin "over HTTP: tampered, truncated and endless mirrors fall back to a good one"
rm -rf "$WHARF_HOME"
wharf trust add repo.pub -q
wharf source add web "$url/tamper/site" "$url/truncate/site" "$url/endless/site" "$url/ok/site" -q
wharf update -q 2>/dev/null
run wharf install hello --timeout 2
check_rc 0
check_out <<'EOF2'
install hello 1.0.0 (web)
installed 1
EOF2
check_err_has "$url/tamper/site/$pkgfile"
check_err_has "$url/truncate/site/$pkgfile"
check_err_has "$url/endless/site/$pkgfile"
end

begin "--offline refuses the network: nothing fetched"
wharf uninstall hello -q
rm -rf "$WHARF_HOME/cache"
run wharf install hello --offline
check_rc 6
check_err_has "no location served a good copy"
end

finish
