#!/bin/sh
# t2000-wharf-cli.sh - wharf's command-line conventions.
. "$(dirname "$0")/lib.sh"

begin "--version"
run wharf --version
check_rc 0
check_out <<'EOE'
wharf 0.1.0
EOE
end

begin "--help"
run wharf --help
check_rc 0
check_out_has "usage: wharf [--version] [--help] COMMAND [ARGS]"
end

begin "unknown command, exit 2"
run wharf install-everything
check_rc 2
check_err_has "wharf: 'install-everything' is not a wharf command"
end

begin "every command has --help, from its option table"
for c in trust source update search info install uninstall list outdated upgrade verify lock mirror; do
    run wharf $c --help
    [ "$rc" = 0 ] || fail "$c --help: exit status $rc"
    grep -q "^usage: wharf $c" "$T/.out" || fail "$c --help: no usage line"
    grep -q "^  -h, --help " "$T/.out" || fail "$c --help: no option table"
done
end

begin "the shared options work before the command's name too"
run wharf --home "$T/h" --from "$T/nowhere" --timeout 3 install hello --dry-run
check_rc 6
check_err_has "wharf install: warning: $T/nowhere/index.json.minisig:"
run wharf --home "$T/h" list
check_rc 0
end

finish
