#!/bin/sh
# seeds.sh FZ TARGET... - make the seed corpus of each target in
# FZ/corpus/TARGET/ (FZ is BUILD/fuzz) from the test suites and ../shared.
#
# A target's seeds are its hand-written tests/fuzz/TARGET/seeds/* plus
# whatever tests/fuzz/TARGET/seeds.sh adds; that script is sourced in a
# subshell with the cwd at the project's top and these at hand:
#   seed FILE...     add files (each named by its SHA-1, so adding twice
#                    is harmless; files over $SEED_MAX bytes are skipped)
#   seed_text TEXT   add TEXT as one input
#   seed_tmp         a scratch directory of its own, removed afterwards
#   $OUT $WHARF_BUILD $WHARF_SHARED  (the build whose tools may be used)
# Seeds are never copied into the repository.  The corpus is only added
# to (the fuzzer adds its own finds there too); it is seeded again when a
# seed script is newer than FZ/corpus/.TARGET.seeded.  Prints
# "seeds TARGET: N files".
set -u
FZ=$1; shift
cd "$(dirname "$0")/../.." || exit 2
case $FZ in /*) ;; *) FZ=$(pwd)/$FZ ;; esac
WHARF_BUILD=${WHARF_BUILD:-${FZ%/fuzz}}
WHARF_SHARED=${WHARF_SHARED:-$(pwd)/../shared}
SEED_MAX=${SEED_MAX:-1048576}
export WHARF_BUILD WHARF_SHARED

seed() {
    for f in "$@"; do
        [ -f "$f" ] || continue
        [ "$(wc -c <"$f")" -le "$SEED_MAX" ] || continue
        h=$(sha1sum <"$f" | cut -c1-40)
        [ -e "$OUT/$h" ] || cp "$f" "$OUT/$h"
    done
}
seed_text() {
    printf '%s' "$1" >"$seed_dir/text"
    seed "$seed_dir/text"
}
seed_tmp() {
    echo "$seed_dir"
}

stale() {       # stale TARGET: seeds missing or a seed source is newer
    stamp=$FZ/corpus/.$1.seeded
    [ -f "$stamp" ] || return 0
    [ -n "$(find "tests/fuzz/$1" -newer "$stamp" 2>/dev/null | head -1)" ]
}

for t in "$@"; do
    OUT=$FZ/corpus/$t
    mkdir -p "$OUT" || exit 2
    if stale "$t"; then
        seed_dir=$(mktemp -d "${TMPDIR:-/tmp}/seeds.XXXXXX") || exit 2
        (
            [ -d "tests/fuzz/$t/seeds" ] && seed "tests/fuzz/$t/seeds"/*
            [ -f "tests/fuzz/$t/seeds.sh" ] && . "./tests/fuzz/$t/seeds.sh"
            true
        ) || { rm -rf "$seed_dir"; echo "seeds $t: seed script failed" >&2; exit 1; }
        rm -rf "$seed_dir"
        touch "$FZ/corpus/.$t.seeded"
    fi
    echo "seeds $t: $(ls "$OUT" | wc -l) files"
done
