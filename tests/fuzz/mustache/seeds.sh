# seeds.sh - the seed corpus of the mustache fuzz target: every test of
# the Mustache spec (../shared/mustache-spec/specs/*.json: template, data,
# partials), the catalogue theme's templates (site-templates/, with "card"
# as their partial), and a few by hand for the limits.
#
#   (sourced by tests/fuzz/seeds.sh: seed, seed_tmp, $WHARF_SHARED)
#
# Input format (fuzz.c): TEMPLATE \0 DATA-JSON [\0 NAME \0 PARTIAL]...
# Needs jq.
#
# Tests: tests/conformance/regress.sh replays the corpus.
out=$(seed_tmp)/mustache
specs=$WHARF_SHARED/mustache-spec/specs
mkdir -p "$out"
for f in "$specs"/*.json; do
    m=$(basename "$f" .json | tr -d '~')
    n=$(jq '.tests | length' "$f")
    i=0
    while [ "$i" -lt "$n" ]; do
        jq -j --argjson i "$i" '.tests[$i] |
            .template + "\u0000" + (.data | tojson) +
            ((.partials // {}) | to_entries | map("\u0000" + .key + "\u0000" + .value) | join(""))' \
            "$f" >"$out/$m-$i"
        i=$((i + 1))
    done
done
card=site-templates/card.mustache
for t in site-templates/*.mustache; do
    { cat "$t"; printf '\000{"site":{"title":"t"},"modules":[{"name":"a<b","versions":[{"version":"1.0.0"}]}]}\000card\000'; cat "$card"; } \
        >"$out/theme-$(basename "$t" .mustache)"
done
printf '{{#a}}{{#a}}{{#a}}{{x}}{{/a}}{{/a}}{{/a}}\000\t{"a":[1,2,3,4,5,6,7,8,9],"x":"<&>"}' >"$out/h-steps"
printf '{{>p}}\000\r{}\000p\000{{>p}}' >"$out/h-recurse"
printf '{{=<%% %%>=}}<%%#s%%><%%{x}%%><%%/s%%>\000{"s":{"x":1.5e300},"x":-0.0}' >"$out/h-delim"
printf '{{a.b.c}}{{{a}}}\000{"a":{"b":{"c":"d"}}}' >"$out/h-object"
seed "$out"/*
