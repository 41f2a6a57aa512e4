#!/bin/sh
# demo.sh BUILD_DIR - what `make demo` runs: the end-to-end job, as far as
# it exists.  Today: a repository key, a signed package, a site built from
# it and verified, with its HTML catalogue (kept in BUILD_DIR/demo-site to
# open in a browser), stock minisign checking that site's index, and
# wharf trusting the key, reading the site as a source, searching it,
# installing a module with its dependency, verifying and locking the
# install.  The packer (`wharf pack`) and running modules join it in step
# 7; the list at the end says what is still missing.  Until `wharf pack`
# exists, the packages are made by the test tool mkpkg (built by `make
# test-build`, which `make demo` runs).
set -eu
O=${1:-build}
bin="$(cd "$O/bin" && pwd)"
tools="$(cd "$O/tests/tools" && pwd)"
site="$(cd "$O" && pwd)/demo-site"
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== wharf-index keygen -W (an unattended repository key)"
"$bin/wharf-index" keygen -W
echo "== a package: a module exporting run() in a .ferrpkg, signed"
printf '\000asm\001\000\000\000\001\004\001\140\000\000\003\002\001\000\007\007\001\003run\000\000\012\004\001\002\000\013' >run.wasm
mkdir packages
"$tools/mkpkg" ferrpkg run.wasm packages/hello-1.0.0.ferrpkg
"$tools/mkpkg" ferrpkg run.wasm packages/greeter-0.2.0.ferrpkg \
    --set 'name="greeter"' --set 'version="0.2.0"' \
    --set 'description="says hello through hello"' --set 'dependencies={"hello":"^1"}'
"$bin/wharf-index" sign -s repo.key packages/hello-1.0.0.ferrpkg packages/greeter-0.2.0.ferrpkg
rm -rf "$site"
echo "== wharf-index build packages -o $site"
"$bin/wharf-index" build packages -o "$site" -n demo -s repo.key -k .
(cd "$site" && find . -type f ! -name '.*' | LC_ALL=C sort)
echo "== wharf-index verify $site"
"$bin/wharf-index" verify "$site" -p repo.pub
echo "== minisign checks the index the signature names"
h=$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' "$site/index.json.minisig")
minisign -Vm "$site/by-hash/$h.json" -p repo.pub
echo "== wharf trusts the repository key and reads the site as a source"
home="$work/wharf-home"
"$bin/wharf" --home "$home" trust add repo.pub
"$bin/wharf" --home "$home" source add demo "$site"
"$bin/wharf" --home "$home" update
echo "== wharf search, info, then install with its dependency"
"$bin/wharf" --home "$home" search hello
"$bin/wharf" --home "$home" info greeter
"$bin/wharf" --home "$home" install greeter
"$bin/wharf" --home "$home" list
"$bin/wharf" --home "$home" verify
"$bin/wharf" --home "$home" lock "$work/wharf.lock"
echo
echo "The catalogue: open file://$site/index.html in a browser."
echo
echo "Not built yet, so not part of this demo:"
echo "  wharf pack/run and the example modules (step 7)."
