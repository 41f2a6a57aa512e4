#!/bin/sh
# toml.sh - toml-test (TOML 1.0 file list) against wh_toml.
#
# Runs tests/tools/toml_conformance on $WHARF_SHARED/toml-test (or
# $TOML_TEST_DIR); it prints each failure and the RESULT lines for
# tests/run.sh, and its exit status is ours.
set -u
cd "$(dirname "$0")/../.." || exit 2
WHARF_BUILD=${WHARF_BUILD:-$(pwd)/build}
exec "$WHARF_BUILD/tests/tools/toml_conformance" "$@"
