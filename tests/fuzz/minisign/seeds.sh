# seeds.sh - minisign seeds (sourced by tests/fuzz/seeds.sh): keys and
# signatures made by minisign itself (unencrypted key, prehashed and
# legacy signatures) and by the build's wharf-index (keygen, sign), and
# a site's index signature from the unit tests' data when present.
d=$(seed_tmp)
printf 'hello\n' >"$d/m"
if command -v minisign >/dev/null 2>&1; then
    minisign -G -W -p "$d/k.pub" -s "$d/k.key" >/dev/null 2>&1 &&
        minisign -S -s "$d/k.key" -m "$d/m" -x "$d/m.minisig" -t 'trusted' >/dev/null 2>&1 &&
        minisign -S -l -s "$d/k.key" -m "$d/m" -x "$d/l.minisig" >/dev/null 2>&1
    seed "$d/k.pub" "$d/k.key" "$d/m.minisig" "$d/l.minisig"
fi
wi=$WHARF_BUILD/bin/wharf-index
if [ -x "$wi" ]; then
    "$wi" keygen -W -p "$d/w.pub" -s "$d/w.key" >/dev/null 2>&1 &&
        "$wi" sign -s "$d/w.key" "$d/m" >/dev/null 2>&1
    seed "$d/w.pub" "$d/w.key" "$d/m.minisig"
fi
