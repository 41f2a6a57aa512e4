# seeds.sh - PAR seeds (sourced by tests/fuzz/seeds.sh): wasmCloud's own
# archive from ../shared/fixtures/par, and archives written by the test
# tool mkpar (the build's, when built; fixed keys), tar and gzip, with
# and without world.wasm, optional claims and a config schema; and plain
# gzip members (wh_gunzip).
seed "$WHARF_SHARED"/fixtures/par/*.par* "$WHARF_SHARED"/fixtures/par/*/*.par*
mkpar=$WHARF_BUILD/tests/tools/mkpar
d=$(seed_tmp)
if [ -x "$mkpar" ]; then
    n=0
    for args in "" "--gzip" "--world x" "--ver 1.0 --rev 7" "--exp 1700000001 --nbf 1700000000" \
            "--capid wascc:keyvalue" "--schema {\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"}}}" \
            "--name Server --vendor ACME"; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        "$mkpar" "$d/p$n.par" --seed t $args >/dev/null 2>&1 && seed "$d/p$n.par"
    done
fi
# Plain gzip members for wh_gunzip: one of text, one empty, one of zeroes.
gzip -9c tests/fuzz/README.md >"$d/r.gz" && seed "$d/r.gz"
printf '' | gzip -c >"$d/e.gz" && seed "$d/e.gz"
head -c 70000 /dev/zero | gzip -c >"$d/z.gz" && seed "$d/z.gz"
