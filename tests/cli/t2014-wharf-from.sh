#!/bin/sh
# t2014-wharf-from.sh - --from LOCATION: a one-off source for one command,
# verified like any (trusted key, rollback floor, expiry) but kept nowhere;
# repeated, its locations are mirrors tried in order.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
id=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/hello.ferrpkg
wharf-index build pkgs -o site -n repo -q --no-catalogue
wharf-index build pkgs -o foreign -n other -s other.key -q --no-catalogue
wharf trust add repo.pub -q

begin "install --from a folder, with no source configured"
run wharf install hello --from "$T/site"
check_rc 0
check_out <<'EOF2'
install hello 1.0.0 (from)
installed 1
EOF2
check_empty_err
check_that "no source added" test ! -e "$WHARF_HOME/sources.json"
check_that "no index kept" test ! -e "$WHARF_HOME/indexes"
end

begin "search and info --from, with no source configured"
run wharf search hello --from "$T/site"
check_rc 0
check_out <<'EOF2'
hello 1.0.0  a test module
EOF2
run wharf info hello --from "$T/site" --json
check_rc 0
check_out_has '{"1.0.0":{"author":"Ada",'
check_out_has '"source":"from"'
run wharf search hello
check_rc 6
check_err <<'EOF2'
wharf search: no sources (wharf source add NAME LOCATION)
EOF2
end

begin "--from mirrors: a foreign-key one is skipped with a warning"
wharf uninstall hello -q
run wharf install hello --from "$T/foreign" --from "file://$T/site"
check_rc 0
check_err <<EOF2
wharf install: warning: $T/foreign/index.json.minisig: signed by key $id, which is not trusted (wharf trust add KEY.pub)
EOF2
end

begin "--from where nothing verifies: the error, exit 4"
wharf uninstall hello -q
run wharf install hello --from "$T/foreign"
check_rc 4
check_err <<EOF2
wharf install: warning: $T/foreign/index.json.minisig: signed by key $id, which is not trusted (wharf trust add KEY.pub)
wharf install: --from: no location served a usable index
EOF2
end

begin "--from with a bad location is a usage error (exit 2)"
run wharf install hello --from 'ftp://x/y'
check_rc 2
check_err_has "--from: location 'ftp://x/y': only http://, https://, file:// and folders are sources"
end

begin "--from with --offline never uses the network"
run wharf install hello --offline --from http://127.0.0.1:9/site
check_rc 6
check_err <<'EOF2'
wharf install: warning: http://127.0.0.1:9/site: skipped: --offline
wharf install: --from: no location served a usable index
EOF2
end

finish
