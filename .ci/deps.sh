#!/bin/sh
# deps.sh - install the Debian packages in .ci/packages that are missing,
# then the one npm package the browser tests use (tests/browser).
#
# Each line names a package and how to tell it is present (a pkg-config
# module, a command, or a file), so a run with nothing missing costs no
# apt-get at all.  Off Debian, or without root/sudo, it prints what to
# install and fails.
set -eu
here=$(dirname "$0")
missing=""
while read -r pkg probe _; do
    case "$pkg" in ''|'#'*) continue ;; esac
    case "$probe" in
        pc:*)   pkg-config --exists "${probe#pc:}" 2>/dev/null && continue ;;
        cmd:*)  command -v "${probe#cmd:}" >/dev/null 2>&1 && continue ;;
        file:*) [ -e "${probe#file:}" ] && continue ;;
    esac
    missing="$missing $pkg"
done < "$here/packages"

# The npm part: playwright-core, pinned by tests/browser/package-lock.json,
# into tests/browser/node_modules (no root needed, nothing global).
npm_deps() {
    browser="$here/../tests/browser"
    [ -e "$browser/node_modules/playwright-core/package.json" ] && return 0
    echo "deps: npm ci in tests/browser (playwright-core)"
    (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error)
}

if [ -z "$missing" ]; then
    echo "deps: all present"
    npm_deps
    exit 0
fi
echo "deps: missing:$missing"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: not a Debian system; install the equivalents of:$missing" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "deps: run as root or install sudo; then: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086 # word splitting is wanted
$sudo apt-get install -y -qq --no-install-recommends $missing
npm_deps
