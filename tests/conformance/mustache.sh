#!/bin/sh
# mustache.sh - the Mustache spec's tests against wh_mustache.
#
# Runs tests/tools/mustache_conformance on $MUSTACHE_SPEC_DIR (default
# $WHARF_SHARED/mustache-spec/specs); it prints each failure, a RESULT line
# per required module of the spec and a "# optional" line per optional one
# (not counted), for tests/run.sh; its exit status is ours.
set -u
cd "$(dirname "$0")/../.." || exit 2
WHARF_BUILD=${WHARF_BUILD:-$(pwd)/build}
exec "$WHARF_BUILD/tests/tools/mustache_conformance" "$@"
