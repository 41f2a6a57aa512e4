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
for c in trust source update search info install uninstall list outdated upgrade verify lock mirror run pack verify-package publish; do
    run wharf $c --help
    [ "$rc" = 0 ] || fail "$c --help: exit status $rc"
    grep -q "^usage: wharf $c" "$T/.out" || fail "$c --help: no usage line"
    grep -q "^  -h, --help " "$T/.out" || fail "$c --help: no option table"
done
end

begin "wharf par's commands have --help too"
for c in keygen create insert inspect; do
    run wharf par $c --help
    [ "$rc" = 0 ] || fail "par $c --help: exit status $rc"
    grep -q "^usage: wharf par $c" "$T/.out" || fail "par $c --help: no usage line"
done
end

begin "the shared options work before the command's name too"
run wharf --home "$T/h" --from "$T/nowhere" --timeout 3 install hello --dry-run
check_rc 6
check_err_has "wharf install: warning: $T/nowhere/index.json.minisig:"
run wharf --home "$T/h" list
check_rc 0
end

begin "wharf is a small front: run stays in it, every other command is handed over"
check_that "the full program beside it" test -x "$WHARF_BUILD/libexec/wharf/wharf-commands"
ldd "$WHARF_BUILD/bin/wharf" >"$T/ldd" 2>&1
grep -q "libcurl\|libarchive\|libcrypto" "$T/ldd" && fail "the front loads $(grep -o 'lib[a-z]*' "$T/ldd" | tr '\n' ' ')"
run "$WHARF_BUILD/bin/wharf" --home "$T/h" list --json
check_rc 0
check_out <<'EOE'
{}
EOE
end

finish
