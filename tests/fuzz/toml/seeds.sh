# seeds.sh - TOML seeds (sourced by tests/fuzz/seeds.sh): toml-test's valid
# and invalid documents, the project's own manifests and test data.
seed "$WHARF_SHARED"/toml-test/tests/valid/*.toml \
     "$WHARF_SHARED"/toml-test/tests/valid/*/*.toml \
     "$WHARF_SHARED"/toml-test/tests/invalid/*/*.toml \
     "$WHARF_SHARED"/toml-test/tests/invalid/*.toml
seed examples/*/*.toml examples/plugins/*/*.toml
for f in $(grep -rl '^\[module\]\|^\[plugin\]' tests/cli/data 2>/dev/null); do
    seed "$f"
done
