#!/bin/sh
# t2013-wharf-resolve.sh - resolution as wharf install does it, on a real
# signed site: the highest version meeting every requirement, installed
# versions kept when they fit, backtracking to an older version of a
# module when a newer one conflicts, prereleases only when asked for,
# yanked versions only when pinned with '=', a PAR without a binary for
# this machine, and conflicts explained word for word (PubGrub-style),
# exit 5, nothing written.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs
pkg() {
    mkpkg ferrpkg run.wasm "pkgs/$1-$2.ferrpkg" --set "name=\"$1\"" \
        --set "version=\"$2\"" --set "dependencies=${3:-{\}}"
}
pkg app 1.2.0 '{"json":"^2"}'
pkg audit 1.0.0 '{"json":"^1"}'
pkg json 1.0.0
pkg json 1.4.0
pkg json 2.0.0
pkg json 2.1.0-beta.1
pkg tool 1.0.0 '{"json":"^1"}'
pkg tool 2.0.0 '{"json":"^2"}'
pkg old 1.0.0 '{"tool":"*"}'
pkg old 1.1.0 '{"tool":"*","audit":"^1"}'
pkg fmt 0.3.0
pkg fmt 0.3.1
pkg ring-a 1.0.0 '{"ring-b":"^1"}'
pkg ring-b 1.0.0 '{"ring-a":"^1"}'
pkg ghostly 1.0.0 '{"ghost":"^1"}'
mkpar pkgs/pay.par --bin-text aarch64-macos.bin=bin --ver 1.0.0
pkg needpay 1.0.0 '{"fake-payments":"^1"}'
printf 'fmt@0.3.1   reads past its input\n' >pkgs/yanked
wharf-index build pkgs -o site -n repo -q --no-catalogue
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
wharf update -q
fresh() { rm -rf "$WHARF_HOME/modules" "$WHARF_HOME/installed.json"; }

begin "the explanation of a conflict, word for word (exit 5, nothing written)"
run wharf install app audit
check_rc 5
check_out </dev/null
check_err <<'EOF2'
wharf install: the requirements cannot all be satisfied
Because app 1.2.0 depends on json ^2 and audit 1.0.0 depends on json ^1, app 1.2.0 and audit 1.0.0 cannot both be installed.
So, because the request needs app and audit, the request cannot be satisfied.
EOF2
check_that "nothing installed" test ! -e "$WHARF_HOME/installed.json"
end

begin "a conflict with what is installed is explained too"
wharf install audit -q
run wharf install app
check_rc 5
check_err <<'EOF2'
wharf install: the requirements cannot all be satisfied
Because app 1.2.0 depends on json ^2 and audit 1.0.0 depends on json ^1, app 1.2.0 and audit 1.0.0 cannot both be installed.
So, because the request needs app and audit, the request cannot be satisfied.
EOF2
fresh
end

begin "no version matches"
run wharf install 'json@^3'
check_rc 5
check_err <<'EOF2'
wharf install: the requirements cannot all be satisfied
Because the request needs json ^3 and no version of json matches ^3, the request cannot be satisfied.
EOF2
end

begin "a dependency on a module no source has"
run wharf install ghostly
check_rc 5
check_err <<'EOF2'
wharf install: the requirements cannot all be satisfied
Because ghostly 1.0.0 depends on ghost ^1 and there is no module named ghost, ghostly 1.0.0 cannot be installed.
So, because the request needs ghostly, the request cannot be satisfied.
EOF2
end

begin "a PAR without a binary for this machine"
run wharf install needpay
check_rc 5
check_err <<'EOF2'
wharf install: the requirements cannot all be satisfied
Because needpay 1.0.0 depends on fake-payments ^1 and fake-payments 1.0.0 is not available for x86_64-linux (it has aarch64-macos), needpay 1.0.0 cannot be installed.
So, because the request needs needpay, the request cannot be satisfied.
EOF2
end

begin "the highest release, not the prerelease"
run wharf install json --dry-run
check_rc 0
check_out <<'EOF2'
install json 2.0.0 (main)
dry run: would install 1
EOF2
end

begin "a prerelease when the requirement names one"
run wharf install 'json@2.1.0-beta.1' --dry-run
check_out <<'EOF2'
install json 2.1.0-beta.1 (main)
dry run: would install 1
EOF2
end

begin "backtracking: old 1.1.0 needs audit (json ^1), so tool goes back to 1.0.0"
run wharf install old
check_rc 0
check_out <<'EOF2'
install json 1.4.0 (main)
install audit 1.0.0 (main)
install tool 1.0.0 (main)
install old 1.1.0 (main)
installed 4
EOF2
fresh
end

begin "an installed version is kept while it fits, moved when it must"
wharf install 'json@=1.0.0' -q
wharf install json -q
run wharf install audit --dry-run
check_out <<'EOF2'
install audit 1.0.0 (main)
dry run: would install 1
EOF2
run wharf install tool 'json@^2' --dry-run
check_out <<'EOF2'
upgrade json 1.0.0 -> 2.0.0 (main)
install tool 2.0.0 (main)
dry run: would install 1, upgrade 1
EOF2
fresh
end

begin "a yanked version: never picked, unless pinned with ="
run wharf install fmt --dry-run
check_out <<'EOF2'
install fmt 0.3.0 (main)
dry run: would install 1
EOF2
run wharf install 'fmt@^0.3.1' --dry-run
check_rc 5
check_err <<'EOF2'
wharf install: the requirements cannot all be satisfied
Because the request needs fmt ^0.3.1 and fmt 0.3.1 is yanked, the request cannot be satisfied.
EOF2
run wharf install 'fmt@=0.3.1' --dry-run
check_rc 0
check_out <<'EOF2'
install fmt 0.3.1 (main)
dry run: would install 1
EOF2
end

begin "a dependency cycle installs"
run wharf install ring-a
check_rc 0
check_out <<'EOF2'
install ring-a 1.0.0 (main)
install ring-b 1.0.0 (main)
installed 2
EOF2
end

finish
