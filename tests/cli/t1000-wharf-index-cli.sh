#!/bin/sh
# t1000-wharf-index-cli.sh - wharf-index's command-line conventions: the
# command list, --version, unknown commands and options, exit statuses.
. "$(dirname "$0")/lib.sh"

begin "--version"
run wharf-index --version
check_rc 0
check_out <<'EOE'
wharf-index 0.1.0
EOE
end

begin "--help lists the commands on stdout"
run wharf-index --help
check_rc 0
check_out_has "usage: wharf-index [--version] [--help] COMMAND [ARGS]"
check_out_has "  keygen       create a repository signing key pair"
check_empty_err
end

begin "no command: the list on stderr, exit 2"
run wharf-index
check_rc 2
check_err_has "commands:"
end

begin "unknown command, exit 2"
run wharf-index frobnicate
check_rc 2
check_err <<'EOE'
wharf-index: 'frobnicate' is not a wharf-index command
try 'wharf-index --help'
EOE
end

begin "help COMMAND shows that command's help"
run wharf-index help keygen
check_rc 0
check_out_has "usage: wharf-index keygen"
end

begin "an unknown option names itself, exit 2"
run wharf-index keygen --frobnicate
check_rc 2
check_err <<'EOE'
wharf-index keygen: unknown option '--frobnicate'
try 'wharf-index keygen --help'
EOE
end

finish
