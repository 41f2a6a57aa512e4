#!/bin/sh
# t0001-sha256.sh - common/sha256.c against coreutils' sha256sum on files
# around the SHA-256 block and our 128 KiB read-block boundaries.
. "$(dirname "$0")/lib.sh"

for size in 0 1 55 56 63 64 65 131071 131072 131073 5000000; do
    begin "sha256 of a $size-byte file equals sha256sum"
    head -c "$size" /dev/urandom >"$T/f$size"
    sha256sum "$T/f$size" >"$T/want"
    run wh-hash "$T/f$size"
    check_rc 0
    check_out <"$T/want"
    end
done

begin "several files, in order, like sha256sum"
sha256sum "$T/f0" "$T/f64" >"$T/want"
run wh-hash "$T/f0" "$T/f64"
check_rc 0
check_out <"$T/want"
end

begin "a missing file is named, with exit status 6 (not found)"
run wh-hash "$T/nope"
check_rc 6
check_err <<EOE
wh-hash: $T/nope: cannot open: No such file or directory
EOE
end

finish
