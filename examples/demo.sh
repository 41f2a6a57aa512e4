#!/bin/sh
# demo.sh BUILD_DIR - what `make demo` runs: the end-to-end job, as far as
# it exists.  Today that is a repository key, a signed file and minisign
# checking the signature; the index build, catalogue and install join it
# as they are built (steps 3 to 6), and the list at the end says which
# parts are still missing.
set -eu
O=${1:-build}
bin="$(cd "$O/bin" && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== wharf-index keygen -W (an unattended repository key)"
"$bin/wharf-index" keygen -W
echo "== wharf-index sign a file"
printf 'not yet a real module\n' >hello.txt
"$bin/wharf-index" sign -s repo.key -t "demo" hello.txt
echo "== minisign checks wharf's signature"
minisign -Vm hello.txt -p repo.pub
echo
echo "Not built yet, so not part of this demo:"
echo "  wasmrt (step 2), wharf-index build (step 3), the catalogue (step 4),"
echo "  wharf trust/install/run (steps 5 and 6)."
