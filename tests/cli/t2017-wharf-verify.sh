#!/bin/sh
# t2017-wharf-verify.sh - wharf verify hashes every installed file again:
# a changed, truncated, missing or added file, a file replaced by a link
# or a FIFO (never followed, never waited on), and a dependency removed by
# uninstall --force are each reported on their own line (exit 4); an
# intact install verifies (exit 0).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/json.ferrpkg --set 'name="json"' --set 'version="2.0.0"'
mkpkg ferrpkg run.wasm pkgs/app.ferrpkg --set 'name="app"' --set 'version="1.2.0"' \
    --set 'dependencies={"json":"^2"}'
wharf-index build pkgs -o site -n repo -q --no-catalogue
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
wharf update -q
wharf install app -q
m="$WHARF_HOME/modules"

begin "an intact install verifies"
run wharf verify
check_rc 0
check_out <<'EOF2'
verified 2 modules, 6 files
EOF2
run wharf verify --json
check_out <<'EOF2'
{"files":6,"modules":2,"problems":[]}
EOF2
end

begin "changed, missing and added files are each reported (exit 4)"
printf 'x' >>"$m/app/1.2.0/module.wasm"
rm "$m/json/2.0.0/ferrpkg.json"
echo hi >"$m/json/2.0.0/extra.txt"
run wharf verify
check_rc 4
check_out </dev/null
check_err <<EOF2
wharf verify: $m/app/1.2.0/module.wasm: size differs from the installed file's
wharf verify: $m/json/2.0.0/ferrpkg.json: missing
wharf verify: $m/json/2.0.0/extra.txt: not placed by wharf
wharf verify: 3 problems found
EOF2
end

begin "same size, other bytes; a link; a FIFO: reported, never followed or waited on"
wharf uninstall app -q
wharf install app -q
printf 'X' | dd of="$m/app/1.2.0/module.wasm" bs=1 seek=8 conv=notrunc 2>/dev/null
rm "$m/json/2.0.0/module.wasm"
ln -s /etc/passwd "$m/json/2.0.0/module.wasm"
rm "$m/json/2.0.0/ferrpkg.json"
mkfifo "$m/json/2.0.0/ferrpkg.json"
run wharf verify json app
check_rc 4
check_err <<EOF2
wharf verify: $m/json/2.0.0/ferrpkg.json: not a regular file any more
wharf verify: $m/json/2.0.0/module.wasm: replaced by a symbolic link
wharf verify: $m/app/1.2.0/module.wasm: sha256 differs from the installed file's (changed since it was installed)
wharf verify: 3 problems found
EOF2
end

begin "a dependency removed by uninstall --force is reported"
run wharf uninstall json --force
check_rc 0
check_out <<'EOF2'
remove json 2.0.0
removed 1
EOF2
run wharf verify app
check_rc 4
check_err_has "wharf verify: $m/app/1.2.0: needs json ^2, but no version is installed"
end

begin "verify of what is not installed: exit 6"
run wharf verify nope
check_rc 6
check_err <<'EOF2'
wharf verify: 'nope' is not installed
EOF2
end

finish
