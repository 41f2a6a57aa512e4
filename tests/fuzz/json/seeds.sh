# seeds.sh - JSON seeds (sourced by tests/fuzz/seeds.sh): the JSON of the
# test suites (the mustache spec's files, package.json), a site built by
# the build's wharf-index from the package targets' seeds (its index.json,
# of the three kinds of record, and its .wharf-cache.json), a synthetic
# index from tests/tools/mksite, and the claims of the PAR seeds.
seed "$WHARF_SHARED"/mustache-spec/specs/*.json tests/browser/package.json
seed_text '{"a":[1,-2,"\u0001",true,false,null,{}],"b":"\u00e9"}'
seed_text '{"exp":1800000000,"iat":1600000000,"iss":"A","jti":"x","nbf":1600000000,"sub":"V","wascap":{"name":"p","rev":1,"vendor":"v","ver":"1.0"},"wascap_revision":3}'
d=$(seed_tmp)
wi=$WHARF_BUILD/bin/wharf-index
fz=${OUT%/corpus/json}
if [ -x "$wi" ] && "$wi" keygen -W -p "$d/k.pub" -s "$d/k.key" >/dev/null 2>&1; then
    sh tests/fuzz/seeds.sh "$fz" ferrpkg par bundle >/dev/null
    mkdir "$d/p"
    for t in ferrpkg par bundle; do
        for f in $(ls "$fz/corpus/$t" | head -8); do
            case $t in ferrpkg) e=ferrpkg ;; bundle) e=zip ;; par) e=par ;; esac
            cp "$fz/corpus/$t/$f" "$d/p/$f.$e"
        done
    done
    "$wi" build "$d/p" -o "$d/site" -s "$d/k.key" >/dev/null 2>&1
    seed "$d/site/index.json" "$d/site/.wharf-cache.json"
    for f in "$d"/p/*.par; do      # claims.jwt's payload, base64url
        tar -xOf "$f" claims.jwt 2>/dev/null | cut -d. -f2 | tr '_-' '/+' |
            awk '{ while (length($0) % 4) $0 = $0 "="; print }' |
            base64 -d >"$d/claims.json" 2>/dev/null && seed "$d/claims.json"
    done
    [ -x "$WHARF_BUILD/tests/tools/mksite" ] &&
        "$WHARF_BUILD/tests/tools/mksite" "$d/syn" "$d/k.key" 4 3 >/dev/null 2>&1 &&
        seed "$d"/syn/by-hash/*.json
fi
