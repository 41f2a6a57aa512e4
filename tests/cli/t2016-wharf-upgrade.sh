#!/bin/sh
# t2016-wharf-upgrade.sh - wharf outdated and wharf upgrade: what an
# upgrade would move each module to (the highest version that meets what
# was asked for and what the other modules need) and the latest release;
# upgrade of one module or of all, within the requests ("hello@^1" never
# goes to 2.0.0), its dependencies following; --dry-run and --json.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs
pkg() {
    mkpkg ferrpkg run.wasm "pkgs/$1-$2.ferrpkg" --set "name=\"$1\"" \
        --set "version=\"$2\"" --set "dependencies=${3:-{\}}"
}
pkg hello 1.0.0
pkg json 2.0.0
pkg app 1.0.0 '{"json":"^2"}'
wharf-index build pkgs -o site -n repo -q --no-catalogue
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
wharf update -q
wharf install 'hello@^1' app -q

begin "everything up to date"
run wharf outdated
check_rc 0
check_out <<'EOF2'
every installed module is up to date
EOF2
run wharf upgrade
check_out <<'EOF2'
nothing to do
EOF2
end

pkg hello 1.1.0
pkg hello 2.0.0
pkg json 2.1.0
pkg app 1.1.0 '{"json":"^2.1"}'
wharf-index build pkgs -o site -n repo -q --no-catalogue
wharf update -q

begin "outdated: what fits, and the latest"
run wharf outdated
check_rc 0
check_out <<'EOF2'
NAME   INSTALLED  FITS   LATEST
app    1.0.0      1.1.0  1.1.0
hello  1.0.0      1.1.0  2.0.0
json   2.0.0      2.1.0  2.1.0
EOF2
run wharf outdated --json
check_out <<'EOF2'
[{"fits":"1.1.0","installed":"1.0.0","latest":"1.1.0","name":"app"},{"fits":"1.1.0","installed":"1.0.0","latest":"2.0.0","name":"hello"},{"fits":"2.1.0","installed":"2.0.0","latest":"2.1.0","name":"json"}]
EOF2
end

begin "upgrade of one module: its dependencies follow as they must"
run wharf upgrade app --dry-run
check_rc 0
check_out <<'EOF2'
upgrade json 2.0.0 -> 2.1.0 (main)
upgrade app 1.0.0 -> 1.1.0 (main)
dry run: would upgrade 2
EOF2
end

begin "upgrade of all, within what was asked for"
run wharf upgrade
check_rc 0
check_out <<'EOF2'
upgrade hello 1.0.0 -> 1.1.0 (main)
upgrade json 2.0.0 -> 2.1.0 (main)
upgrade app 1.0.0 -> 1.1.0 (main)
upgraded 3
EOF2
run wharf outdated
check_out <<'EOF2'
NAME   INSTALLED  FITS   LATEST
hello  1.1.0      1.1.0  2.0.0
EOF2
end

begin "upgrade of what is not installed: exit 6"
run wharf upgrade nope
check_rc 6
check_err <<'EOF2'
wharf upgrade: 'nope' is not installed
EOF2
end

finish
