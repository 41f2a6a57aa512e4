#!/bin/sh
# t2010-wharf-install.sh - wharf install, list, uninstall from a folder
# source: dependencies pulled in, installed versions kept, the world
# (what was asked for) remembered, orphans removed, --dry-run and --json,
# local package files (signed by a trusted key, or --allow-unsigned), and
# installs from the package cache with the USB stick gone.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
wharf-index keygen -W -p stranger.pub -s stranger.key >/dev/null
mkdir pkgs
# pkg NAME VERSION [DEPENDENCIES]: a .ferrpkg in pkgs/.
pkg() {
    mkpkg ferrpkg run.wasm "pkgs/$1-$2.ferrpkg" --set "name=\"$1\"" \
        --set "version=\"$2\"" --set "dependencies=${3:-{\}}"
}
pkg hello 1.0.0
pkg hello 1.1.0
pkg json 1.0.0
pkg json 2.0.0
pkg app 1.2.0 '{"json":"^2"}'
wharf-index build pkgs -o usb -n repo -q --no-catalogue
wharf trust add repo.pub -q
mods="$WHARF_HOME/modules"

begin "no source: an unknown module (exit 6), nothing written"
run wharf install hello
check_rc 6
check_err <<'EOF2'
wharf install: no module 'hello' in any source
EOF2
check_that "no state" test ! -e "$WHARF_HOME/installed.json"
end

wharf source add main "$T/usb" -q
wharf update -q

begin "a bad SPEC is a usage error (exit 2)"
run wharf install 'hello@1.2.q'
check_rc 2
check_err_has "wharf install: bad requirement in 'hello@1.2.q'"
end

begin "--dry-run says what would happen and changes nothing"
run wharf install app --dry-run
check_rc 0
check_out <<'EOF2'
install json 2.0.0 (main)
install app 1.2.0 (main)
dry run: would install 2
EOF2
check_empty_err
check_that "nothing installed" test ! -e "$mods"
check_that "no state" test ! -e "$WHARF_HOME/installed.json"
end

begin "install: the dependency first, each placed in modules/NAME/VERSION"
run wharf install app
check_rc 0
check_out <<'EOF2'
install json 2.0.0 (main)
install app 1.2.0 (main)
installed 2
EOF2
check_empty_err
check_that "app's module" cmp "$mods/app/1.2.0/module.wasm" run.wasm
check_that "json's module" cmp "$mods/json/2.0.0/module.wasm" run.wasm
check_that "no staging left" test ! -e "$WHARF_HOME/staging"
end

begin "list: what was asked for, and what is there as a dependency"
run wharf list
check_rc 0
check_out <<'EOF2'
app 1.2.0 (main)
json 2.0.0 (main, dependency)
EOF2
run wharf list --json
check_rc 0
check_out_has '"app":{"dependencies":{"json":"^2"},"installed":'
check_out_has '"request":"app","sha256":"'
end

begin "installing again: nothing to do"
run wharf install app
check_rc 0
check_out <<'EOF2'
nothing to do
EOF2
end

begin "an exact version, then --json"
run wharf install hello@1.0.0 --json
check_rc 0
check_out <<'EOF2'
{"changes":[{"action":"install","from":null,"name":"hello","source":"main","version":"1.0.0"}],"dry_run":false}
EOF2
end

begin "the installed version is kept when it fits; upgrade moves it"
run wharf install hello
check_rc 0
check_out <<'EOF2'
nothing to do
EOF2
run wharf upgrade hello
check_rc 0
check_out <<'EOF2'
upgrade hello 1.0.0 -> 1.1.0 (main)
upgraded 1
EOF2
check_that "the old version's folder is gone" test ! -e "$mods/hello/1.0.0"
end

begin "uninstall of a module another needs is refused (exit 5)"
run wharf uninstall json
check_rc 5
check_err <<'EOF2'
wharf uninstall: cannot uninstall json: app 1.2.0 depends on it (json ^2); --force removes it anyway
EOF2
end

begin "uninstall takes the dependencies nobody needs any more"
run wharf uninstall app
check_rc 0
check_out <<'EOF2'
remove app 1.2.0
remove json 2.0.0
removed 2
EOF2
check_that "app's folder gone" test ! -e "$mods/app"
run wharf list
check_out <<'EOF2'
hello 1.1.0 (main)
EOF2
end

begin "uninstall of what is not installed: exit 6"
run wharf uninstall app
check_rc 6
check_err <<'EOF2'
wharf uninstall: 'app' is not installed
EOF2
end

begin "the USB stick gone: what was fetched once installs from the cache"
mv usb usb.away
run wharf install app --offline
check_rc 0
check_out <<'EOF2'
install json 2.0.0 (main)
install app 1.2.0 (main)
installed 2
EOF2
mv usb.away usb
end

begin "a local file without a signature is refused (exit 4)"
mkpkg ferrpkg run.wasm local.ferrpkg --set 'name="loco"' --set 'version="0.1.0"'
run wharf install ./local.ferrpkg
check_rc 4
check_err <<EOF2
wharf install: ./local.ferrpkg: not signed (no ./local.ferrpkg.minisig); --allow-unsigned installs it anyway
EOF2
end

begin "a local file signed by an untrusted key is refused (exit 4)"
wharf-index sign -s stranger.key local.ferrpkg >/dev/null 2>&1
sid=$(sed -n 's/^untrusted comment: minisign public key //p' stranger.pub)
run wharf install ./local.ferrpkg
check_rc 4
check_err <<EOF2
wharf install: ./local.ferrpkg.minisig: signed by key $sid, which is not trusted (wharf trust add KEY.pub)
EOF2
end

begin "a local file signed by a trusted key installs, its dependencies from the sources"
mkpkg ferrpkg run.wasm local.ferrpkg --set 'name="loco"' --set 'version="0.1.0"' \
    --set 'dependencies={"json":"^2"}'
wharf-index sign -s repo.key local.ferrpkg >/dev/null 2>&1
run wharf install ./local.ferrpkg
check_rc 0
check_out <<'EOF2'
install loco 0.1.0 (./local.ferrpkg)
installed 1
EOF2
end

begin "--allow-unsigned installs an unsigned local file"
mkpkg ferrpkg run.wasm free.ferrpkg --set 'name="free"' --set 'version="3.0.0"'
run wharf install ./free.ferrpkg --allow-unsigned -q
check_rc 0
check_out </dev/null
run wharf list
check_out <<'EOF2'
app 1.2.0 (main)
free 3.0.0 (./free.ferrpkg)
hello 1.1.0 (main)
json 2.0.0 (main, dependency)
loco 0.1.0 (./local.ferrpkg)
EOF2
end

begin "a real wasmCloud PAR: claims and target hashes checked again, this machine's binary placed"
fixture="$WHARF_SHARED/fixtures/par/libwascc_redis.par.gz"
mkdir par
cp "$fixture" par/
wharf-index build par -o parsite -n repo -q --no-catalogue
wharf source add par "$T/parsite" -q
wharf update par -q
run wharf install redis
check_rc 0
check_out <<'EOF2'
install redis 0.0.0 (par)
installed 1
EOF2
check_that "the binary, executable" test -x "$mods/redis/0.0.0/bin/provider"
check_that "its size" test "$(wc -c <"$mods/redis/0.0.0/bin/provider")" = 5701792
check_that "the claims" test -s "$mods/redis/0.0.0/claims.jwt"
end

finish
