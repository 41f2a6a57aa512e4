#!/bin/sh
# demo.sh BUILD_DIR - what `make demo` runs: the whole path from an
# author's C source to a module running under grants on a user's machine.
#
#   1. keys: a repository key (the indexer's) and a publisher key (the
#      author's), both unencrypted for an unattended run;
#   2. `wharf pack` turns each example of examples/ (compiled by `make
#      test-build` into BUILD_DIR/examples/NAME.wasm) into a signed
#      .ferrpkg with its manifest;
#   3. two example plugins (examples/plugins: the policy, a validation
#      hook, and wasm-meta, a metadata extractor), packed and signed by
#      the publisher, are installed and enabled; `wharf-index build` makes
#      a site of the packages with them, with its catalogue, and stock
#      minisign checks the site's index;
#   4. the site is served over HTTP (tests/tools/badserve.mjs on a free
#      local port, under /ok/);
#   5. `wharf` trusts the repository key, adds the site as a source,
#      updates, installs validate-email@^1, then audit-log, which brings
#      its dependency counter;
#   6. `wharf run` checks a good and a bad address, counts with a WRITE
#      grant, and is denied the write without one.
#
# Commands are shown as a user types them ("$ wharf ..."; WHARF_HOME
# points at the demo's home).  A command that answers "not yet" (a part of
# step 7 still being written) stops the demo there, saying so, with exit
# status 0: everything before it ran.  Any other failure stops it with
# that command's status.  The site stays in BUILD_DIR/demo-www/site, to
# open in a browser, and the home in BUILD_DIR/demo-home.  It takes about
# a second once everything is built.
#
# Tests: none of its own (it is `make demo`); the pieces are tested by
# tests/cli/t2025-examples.sh (the examples, and wharf run on them) and
# each command's tests.
set -eu
O=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$(cd "$O/bin" && pwd)"
wasm="$(cd "$O/examples" && pwd)"
www="$(cd "$O" && pwd)/demo-www"
site="$www/site"
WHARF_HOME="$(cd "$O" && pwd)/demo-home"
export WHARF_HOME
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-demo.XXXXXX")
server=
trap '[ -z "$server" ] || kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
rm -rf "$www" "$WHARF_HOME"

step() { printf '\n== %s\n' "$*"; }

# show ARGS...: the command line as one would type it (arguments quoted
# when the shell needs it).
show() {
    line='$'
    for a in "$@"; do
        case $a in
        *[!A-Za-z0-9@^:._/=+-]* | '') line="$line '$a'" ;;
        *) line="$line $a" ;;
        esac
    done
    printf '%s\n' "$line"
}

# not_yet WHAT: stop here, cleanly, because WHAT is not built yet.
not_yet() {
    printf '\ndemo stopped: `%s` is not built yet (issue 10, step 7).\n' "$1"
    echo "Everything above ran; the rest of the demo needs it."
    [ ! -e "$site/index.html" ] ||
        echo "The catalogue so far: open file://$site/index.html in a browser."
    exit 0
}

# w ARGS...: `wharf ARGS`, shown and run; its status is returned.
w() {
    show wharf "$@"
    rc=0
    "$bin/wharf" "$@" 2>"$work/err" || rc=$?
    cat "$work/err" >&2
    if [ $rc != 0 ] && grep -q 'not yet' "$work/err"; then
        not_yet "wharf $1"
    fi
    return $rc
}

# denied ARGS...: a `wharf run` that must be refused; says so and goes on.
denied() {
    if w "$@"; then
        echo "demo: that should have been denied" >&2
        exit 1
    fi
    echo "(exit status $rc: denied, as it should be)"
}

step "keys: the repository's, and the publisher's who packs the examples"
show wharf-index keygen -W
"$bin/wharf-index" keygen -W
mkdir publishers
show wharf-index keygen -W -p publishers/demo.pub -s demo.key
"$bin/wharf-index" keygen -W -p publishers/demo.pub -s demo.key

step "wharf pack: each example with its manifest, signed by the publisher"
mkdir packages
for name in validate-email json-validate counter audit-log; do
    mkdir "$name"
    cp "$wasm/$name.wasm" "$top/examples/$name/ferrite-plugin.toml" "$name/"
    w pack "$name/$name.wasm" --manifest "$name/ferrite-plugin.toml" -s demo.key -o packages
done
ls packages

step "wharf-index plugin: a size-and-naming policy and a metadata extractor"
# ix ARGS...: `wharf-index ARGS`, shown and run.
ix() {
    show wharf-index "$@"
    "$bin/wharf-index" "$@"
}
for name in policy wasm-meta; do
    w pack --zip --manifest "$top/examples/plugins/$name/plugin.toml" \
        "$wasm/plugins/$name.wasm" -s demo.key -o plugins
    ix plugin --plugins plugin-dir -k publishers install "plugins/$name-0.1.0.zip"
    ix plugin --plugins plugin-dir enable "$name"
done
ix plugin --plugins plugin-dir config policy max_size_mb=1
ix plugin --plugins plugin-dir list

step "wharf-index build: a signed site of them, judged by the plugins, with its catalogue"
ix build packages -o "$site" -n demo -k publishers --plugins plugin-dir
show wharf-index verify "$site" -p repo.pub
"$bin/wharf-index" verify "$site" -p repo.pub
echo "-- minisign itself checks the index the signature names:"
h=$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' "$site/index.json.minisig")
minisign -Vm "$site/by-hash/$h.json" -x "$site/index.json.minisig" -p repo.pub

step "serving $www over HTTP"
command -v node >/dev/null || { echo "demo: node is missing (make deps installs it)" >&2; exit 1; }
node "$top/tests/tools/badserve.mjs" "$www" >port 2>server.err &
server=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    [ -s port ] && break
    sleep 0.25
done
[ -s port ] || { echo "demo: the HTTP server did not start:" >&2; cat server.err >&2; exit 1; }
url="http://127.0.0.1:$(cat port)/ok/site"
echo "the site is at $url/"

step "wharf: trust the repository key, add the site as a source, update"
w trust add repo.pub
w source add demo "$url"
w update

step "wharf: search, install validate-email@^1, then audit-log and its dependency"
w search validate
w info audit-log
w install validate-email@^1
w install audit-log
w list

step "wharf run: validate-email, a pure function (needs no grant)"
w run validate-email validate --input ada@example.org
w run validate-email validate --input 'ada@@example..org'

step "wharf run: counter writes with ferrite.incr, under a WRITE grant"
store=store.json      # in the scratch folder: the key-value store behind ferrite.*
w run counter hit --input hits:home --write 'hits:*' --store "$store"
w run counter hit --input hits:home --write 'hits:*' --store "$store"
echo "-- the same without the grant:"
denied run counter hit --input hits:home --store "$store"

step "wharf run: audit-log reads its config and writes audit:<n>"
w run audit-log record --input 'login ada' --read audit:config --write 'audit:*' --store "$store"
echo "-- READ granted, WRITE not:"
denied run audit-log record --input 'login ada' --read audit:config --store "$store"

kill "$server" 2>/dev/null || true
server=
echo
echo "The catalogue: open file://$site/index.html in a browser"
echo "(or serve $www with any static web server)."
echo "The demo's home is $WHARF_HOME; try, for instance:"
echo "  WHARF_HOME=$WHARF_HOME $bin/wharf run validate-email validate --input you@example.org"
