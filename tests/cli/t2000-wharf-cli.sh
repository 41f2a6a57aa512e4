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

finish
