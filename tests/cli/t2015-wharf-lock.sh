#!/bin/sh
# t2015-wharf-lock.sh - wharf lock writes wharf.lock (canonical JSON: the
# exact version, SHA-256 and size of every installed module, and what was
# asked for); wharf install --locked reproduces it exactly in another
# install root, even when newer versions exist, and removes what the lock
# does not name; a lock whose hash the index contradicts is refused
# (exit 4), a damaged lock names itself (exit 3).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs
pkg() {
    mkpkg ferrpkg run.wasm "pkgs/$1-$2.ferrpkg" --set "name=\"$1\"" \
        --set "version=\"$2\"" --set "dependencies=${3:-{\}}"
}
pkg json 2.0.0
pkg app 1.2.0 '{"json":"^2"}'
pkg hello 1.0.0
wharf-index build pkgs -o site -n repo -q --no-catalogue
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
wharf update -q
wharf install app -q
jsha=$(sha256sum site/packages/json@2.0.0.ferrpkg | cut -d' ' -f1)
asha=$(sha256sum site/packages/app@1.2.0.ferrpkg | cut -d' ' -f1)
jsize=$(wc -c <site/packages/json@2.0.0.ferrpkg)
asize=$(wc -c <site/packages/app@1.2.0.ferrpkg)

begin "wharf lock: exact versions and hashes, canonical JSON"
run wharf lock
check_rc 0
check_out <<'EOF2'
wrote wharf.lock: 2 modules
EOF2
printf '{"format":"wharf-lock/1","modules":{"app":{"request":"app","sha256":"%s","size":%s,"source":"main","version":"1.2.0"},"json":{"sha256":"%s","size":%s,"source":"main","version":"2.0.0"}}}' \
    "$asha" "$asize" "$jsha" "$jsize" >want.lock
check_that "the lock's bytes" cmp wharf.lock want.lock
end

# The repository moves on: newer versions of both.
pkg json 2.1.0
pkg app 1.3.0 '{"json":"^2.1"}'
wharf-index build pkgs -o site -n repo -q --no-catalogue

begin "install --locked in another root: exactly the lock, not the newest"
export WHARF_HOME="$T/home2"
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
wharf update -q
wharf install hello -q
run wharf install --locked
check_rc 0
check_out <<'EOF2'
install json 2.0.0 (main)
install app 1.2.0 (main)
remove hello 1.0.0
installed 2, removed 1
EOF2
wharf lock again.lock -q
check_that "the same lock again" cmp again.lock wharf.lock
end

begin "--locked takes no SPEC (exit 2)"
run wharf install --locked app
check_rc 2
check_err_has "--locked takes no SPEC"
end

begin "a lock whose hash the index contradicts: refused (exit 4), nothing changed"
sed "s/$jsha/$(printf '%064d' 0)/" wharf.lock >bad.lock
rm -rf "$WHARF_HOME/modules" "$WHARF_HOME/installed.json"
run wharf install --locked --lock-file bad.lock
check_rc 4
check_err <<EOF2
wharf install: bad.lock: json 2.0.0: the index gives sha256 $jsha, the lock 0000000000000000000000000000000000000000000000000000000000000000
EOF2
check_that "nothing installed" test ! -e "$WHARF_HOME/installed.json"
end

begin "a damaged lock names itself (exit 3), a missing one (exit 6)"
printf '{"format":"wharf-lock/1","modules":{"app":{"version":"x"}}}' >broken.lock
run wharf install --locked --lock-file broken.lock
check_rc 3
check_err <<'EOF2'
wharf install: broken.lock: module 'app': 'version' is not a SemVer version
EOF2
run wharf install --locked --lock-file nowhere.lock
check_rc 6
end

finish
