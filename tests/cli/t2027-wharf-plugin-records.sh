#!/bin/sh
# t2027-wharf-plugin-records.sh - the readers' side of what wharf-index
# plugins add to a version record (docs/index-format.md, "Plugin
# fields"): kind "format:PLUGIN" with its "file", "metadata", plugin
# warnings, and a post-processed package's "original_sha256",
# "original_size" and "processed_by".  Indexes holding them are written
# with mkindex (a built index edited with jq, signed again), so every
# field can also be given wrong.  Checked: `wharf-index verify` and
# `wharf update` accept them and refuse each malformed one with its exact
# message (exit 3); a processed package needs no .minisig beside it;
# `wharf install` places a format package as its one file (0644),
# `wharf verify` checks it and a tampered copy is refused by its sha256;
# `wharf run` refuses it (exit 2); `wharf info` shows metadata, warnings,
# "processed by" and the kind (text and --json); the catalogue's module
# page shows them, HTML-escaped.  Then the same end to end: the example
# plugins (examples/plugins) installed and enabled, `wharf-index build
# --plugins` writes the fields, and wharf installs and shows them.
EX=$(cd "$(dirname "$0")/../.." && pwd)/examples/plugins
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
sde=1796000000
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs keys
wharf-index keygen -W -p keys/pub.pub -s pub.key >/dev/null
mkpkg ferrpkg run.wasm pkgs/hello-1.0.0.ferrpkg --set 'description="says hello"'
wharf-index sign -s pub.key pkgs/hello-1.0.0.ferrpkg
SOURCE_DATE_EPOCH=$sde wharf-index build pkgs -o site -k keys -q --no-catalogue
cp -R site plain                     # as built: no plugin fields
expires=$(date -u -d "@$((sde + 90 * 86400))" +%Y-%m-%d)

cat >zlib-app.conan.txt <<'EOF'
# name: zlib-app
# version: 1.0.0
# description: a demo
# license: MIT
# authors: Ada, Bob
# keywords: compression, demo
[requires]
zlib/1.2.13
EOF
conan_size=$(wc -c <zlib-app.conan.txt | tr -d ' ')
conan_sha=$(sha256sum zlib-app.conan.txt | cut -d' ' -f1)
cp zlib-app.conan.txt site/packages/zlib-app@1.0.0.conan.txt
hello_sha=$(sha256sum site/packages/hello@1.0.0.ferrpkg | cut -d' ' -f1)
orig_sha=$(printf 'the original' | sha256sum | cut -d' ' -f1)

# The fields plugins add, as wharf-index build will write them: a format
# package (zlib-app, depending on hello) and a processed, annotated hello.
cat >plugin.jq <<EOF
.serial += 1
| .modules["zlib-app"] = {"versions": {"1.0.0": {
    "kind": "format:conan", "file": "zlib-app.conan.txt",
    "path": "packages/zlib-app@1.0.0.conan.txt",
    "size": $conan_size, "sha256": "$conan_sha", "published": $sde,
    "description": "a demo", "author": "Ada, Bob", "license": "MIT",
    "tags": ["compression", "demo"], "categories": [],
    "dependencies": {"hello": "^1.0"}, "signer": {"status": "unsigned"},
    "metadata": {"conan.requires": "zlib/1.2.13"},
    "warnings": ["plugin 'policy': 'zlib-app' has a dash"]}}}
| .modules.hello.versions["1.0.0"] += {
    "metadata": {"license-scan": "MIT", "note": "<script>alert(1)</script>",
                 "a key": "x & y \"quoted\""},
    "warnings": ["plugin 'policy': short description"],
    "original_sha256": "$orig_sha", "original_size": 1234,
    "processed_by": ["stamp", "gz"]}
EOF

# make SITE FILTER...: SITE's index through jq's filters (each a file or
# a program), signed again into SITE.
make_index() {
    site=$1; shift
    cp "$site/index.json" "$T/.idx"
    for f in "$@"; do
        if [ -f "$f" ]; then jq -f "$f" "$T/.idx"; else jq "$f" "$T/.idx"; fi >"$T/.idx2" &&
            mv "$T/.idx2" "$T/.idx"
    done
    mkindex "$site" repo.key "$T/.idx"
}
byhash() { echo "$1/by-hash/$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' "$1/index.json.minisig").json"; }
make_index site plugin.jq

begin "an index with plugin fields verifies"
run wharf-index verify site -p repo.pub
check_rc 0
check_empty_err
check_out <<EOF
verified 'site': 2 packages in 2 modules, serial 2, expires $expires
EOF
end

begin "a processed package needs no .minisig beside it; another still does"
rm site/packages/hello@1.0.0.ferrpkg.minisig
run wharf-index verify site -p repo.pub
check_rc 0
rm plain/packages/hello@1.0.0.ferrpkg.minisig
run wharf-index verify plain -p repo.pub
check_rc 6
check_err <<EOF
wharf-index verify: plain/packages/hello@1.0.0.ferrpkg.minisig: the package's signature is missing
wharf-index verify: 1 of 1 package failed verification
EOF
end

# bad FILTER MESSAGE: the site with one field wrong is refused, naming it.
bad() {
    rm -rf bad
    cp -R site bad
    make_index bad "$1"
    run wharf-index verify bad -p repo.pub
    check_rc 3
    check_err <<EOF
wharf-index verify: $(byhash bad): $2
EOF
}
Z="module 'zlib-app' version '1.0.0'"
H="module 'hello' version '1.0.0'"
ZR='.modules["zlib-app"].versions["1.0.0"]'
HR='.modules.hello.versions["1.0.0"]'

begin "kind: format:PLUGIN with a module name as PLUGIN"
bad "$ZR.kind = \"format:\"" "$Z: 'kind' \"format:\": module name is empty"
bad "$ZR.kind = \"format:Co nan\"" \
    "$Z: 'kind' \"format:Co nan\": module name 'Co nan' contains ' '"
bad "$ZR.kind = \"conan\"" \
    "$Z: 'kind' is not \"ferrpkg\", \"par\", \"bundle\" or \"format:PLUGIN\""
end

begin "file: required for format:PLUGIN, refused on other kinds, a plain name"
bad "del($ZR.file)" "$Z: 'file' is missing (a format:PLUGIN package is installed as it)"
bad "$HR.file = \"hello.wasm\"" "$H: 'file' is only for format:PLUGIN packages"
bad "$ZR.file = \"../x\"" "$Z: 'file' '../x' contains '/'"
bad "$ZR.file = \"..\"" "$Z: 'file' is '..', not a file name"
bad "$ZR.file = \"\"" "$Z: 'file' is empty"
bad "$ZR.file = \"a\\u001b[31m\"" "$Z: 'file' 'a\\x1b[31m' contains control character 0x1b"
bad "$ZR.file = \"$(printf '%0256d' 0)\"" "$Z: 'file' is 256 bytes long, more than 255"
bad "$ZR.file = 7" "$Z: 'file' is not a string"
end

begin "metadata: an object of short strings, keys without control characters"
bad "$HR.metadata = [\"a\"]" "$H: 'metadata' is not an object"
bad "$HR.metadata.n = 5" "$H: 'metadata' value of 'n' is not a string"
bad "$HR.metadata[\"a\\nb\"] = \"x\"" \
    "$H: 'metadata' key 'a\\x0ab' contains control character 0x0a"
bad "$HR.metadata[\"\"] = \"x\"" "$H: 'metadata' has an empty key"
bad "$HR.metadata.n = \"$(printf '%01025d' 0)\"" \
    "$H: 'metadata' value of 'n' is 1025 bytes long, more than 1024"
bad "$HR.metadata = ([range(257)] | map({key: \"k\\(.)\", value: \"v\"}) | from_entries)" \
    "$H: 'metadata' has 257 pairs, more than 256"
end

begin "original_sha256 and original_size together, with processed_by"
bad "del($HR.original_size)" \
    "$H: 'original_sha256' and 'original_size' are not both present"
bad "$HR.original_sha256 = \"ABC\"" \
    "$H: 'original_sha256' is not 64 lower-case hex digits"
bad "$HR.original_size = -1" "$H: 'original_size' is not a non-negative integer"
bad "del($HR.processed_by)" "$H: 'processed_by' is missing beside 'original_sha256'"
bad "del($HR.original_size, $HR.original_sha256)" \
    "$H: 'processed_by' without 'original_sha256'"
bad "$HR.processed_by = []" \
    "$H: 'processed_by' is not a non-empty array of plugin names"
bad "$HR.processed_by = [\"stamp\", \"../x\"]" \
    "$H: 'processed_by' entry 2: module name '../x' must start with a letter or digit"
bad "$HR.warnings = [1]" "$H: 'warnings' is not an array of strings"
end

wharf trust add repo.pub -q
wharf source add main "$T/site" -q

begin "wharf update refuses a malformed index with the same message (3)"
rm -rf bad
cp -R site bad
make_index bad "$ZR.file = \"a/b\""
wharf source add worse "$T/bad" -q
run wharf update
check_rc 3
check_err <<EOF
wharf update: warning: worse: $T/$(byhash bad): $Z: 'file' 'a/b' contains '/'
wharf update: source 'worse': its location served no usable index
EOF
wharf source remove worse -q
run wharf update -q
check_rc 0
end

begin "install: a format package is its one file, verified by wharf verify"
run wharf install zlib-app
check_rc 0
check_out <<'EOF'
install hello 1.0.0 (main)
install zlib-app 1.0.0 (main)
installed 2
EOF
f="$WHARF_HOME/modules/zlib-app/1.0.0/zlib-app.conan.txt"
check_that "the file is not the package" cmp -s "$f" zlib-app.conan.txt
check_that "mode is not 0644" [ "$(stat -c %a "$f")" = 644 ]
check_that "more than one file" [ "$(ls "$WHARF_HOME/modules/zlib-app/1.0.0" | wc -l)" = 1 ]
jq -c '.modules["zlib-app"] | {kind, size, sha256, files}' "$WHARF_HOME/installed.json" >"$T/.out"
check_out <<EOF
{"kind":"format:conan","size":$conan_size,"sha256":"$conan_sha","files":{"zlib-app.conan.txt":{"mode":420,"sha256":"$conan_sha","size":$conan_size}}}
EOF
run wharf verify
check_rc 0
check_out <<'EOF'
verified 2 modules, 4 files
EOF
end

begin "wharf verify reports a changed format file (4)"
cp "$f" keep
echo '[generators]' >>"$f"
run wharf verify zlib-app
check_rc 4
check_err <<EOF
wharf verify: $f: size differs from the installed file's
wharf verify: 1 problem found
EOF
cp keep "$f"
end

begin "wharf run refuses a format package (2)"
run wharf run zlib-app
check_rc 2
check_err <<'EOF'
wharf run: 'zlib-app' is a format:conan package, not a runnable module
EOF
end

begin "wharf info: kind, metadata sorted by key, warnings"
run wharf info zlib-app
check_rc 0
check_out <<EOF
zlib-app 1.0.0
description:  a demo
author:       Ada, Bob
license:      MIT
kind:         format:conan
categories:   (none)
tags:         compression, demo
dependencies: hello ^1.0
size:         $conan_size bytes
sha256:       $conan_sha
signer:       unsigned
source:       main
published:    $(date -u -d "@$sde" +%Y-%m-%d)
metadata:     conan.requires: zlib/1.2.13
warnings:     plugin 'policy': 'zlib-app' has a dash
versions:
  1.0.0  $(date -u -d "@$sde" +%Y-%m-%d)
EOF
end

begin "wharf info: a processed package; its text shown safely"
run wharf info hello
check_rc 0
sed -n '/^metadata:/,/^versions:/p' "$T/.out" >"$T/.out2"
mv "$T/.out2" "$T/.out"
check_out <<EOF
metadata:     a key: x & y "quoted"
              license-scan: MIT
              note: <script>alert(1)</script>
warnings:     plugin 'policy': short description
processed by: stamp, gz (original sha256 $orig_sha, 1234 bytes)
versions:
EOF
end

begin "wharf info --json: the records with their plugin fields"
run wharf info hello --json
check_rc 0
jq -c '.["1.0.0"] | {metadata, warnings, original_sha256, original_size, processed_by}' \
    "$T/.out" >"$T/.out2"
mv "$T/.out2" "$T/.out"
check_out <<EOF
{"metadata":{"a key":"x & y \"quoted\"","license-scan":"MIT","note":"<script>alert(1)</script>"},"warnings":["plugin 'policy': short description"],"original_sha256":"$orig_sha","original_size":1234,"processed_by":["stamp","gz"]}
EOF
run wharf info zlib-app --json
check_rc 0
check_that "kind and file" [ "$(jq -r '.["1.0.0"] | "\(.kind) \(.file)"' "$T/.out")" = \
    "format:conan zlib-app.conan.txt" ]
end

begin "a tampered format package is refused by its sha256 (4)"
rm -rf evil
cp -R site evil
printf 'evil' | dd of=evil/packages/zlib-app@1.0.0.conan.txt bs=1 seek=2 conv=notrunc 2>/dev/null
evil_sha=$(sha256sum evil/packages/zlib-app@1.0.0.conan.txt | cut -d' ' -f1)
wharf trust add repo.pub --home "$T/home2" -q
run wharf install zlib-app --from "$T/evil" --home "$T/home2"
check_rc 4
check_err_has "$T/evil/packages/zlib-app@1.0.0.conan.txt: sha256 is $evil_sha, the index says $conan_sha"
check_that "something was installed" [ ! -e "$T/home2/modules" ] || \
    [ -z "$(ls "$T/home2/modules")" ]
end

begin "the catalogue: metadata, warnings, processed by, the kind, all escaped"
run wharf-index catalogue site -p repo.pub -q
check_rc 0
page=site/modules/hello/index.html
for want in \
    '<dt>a key</dt>' \
    '<dd>x &amp; y &quot;quoted&quot;</dd>' \
    '<dt>note</dt>' \
    '<dd>&lt;script&gt;alert(1)&lt;/script&gt;</dd>' \
    '<dt>license-scan</dt>' \
    '<p class="warning"><strong>Warning:</strong> plugin &#39;policy&#39;: short description</p>' \
    "<dd class=\"processed\">processed by stamp, gz (original sha256 <code class=\"digest\">$orig_sha</code>, 1234 bytes)</dd>" \
    '<h2 id="metadata-h">Metadata</h2>'
do
    grep -qF -- "$want" "$page" || fail "$page lacks $want"
done
check_that "a script tag from metadata" sh -c "! grep -q '<script>alert' $page"
check_that "a link to the processed package's .minisig" \
    sh -c "! grep -q 'hello@1.0.0.ferrpkg.minisig' $page"
page=site/modules/zlib-app/index.html
for want in \
    '<span class="badge kind-format:conan">format:conan</span>' \
    '<dd>format:conan</dd>' \
    '<dd><code class="file">zlib-app.conan.txt</code></dd>' \
    '<dt>conan.requires</dt>' \
    '<dd>zlib/1.2.13</dd>'
do
    grep -qF -- "$want" "$page" || fail "$page lacks $want"
done
check_that "processed shown for a package not processed" \
    sh -c "! grep -q 'processed by' $page"
wharf-index catalogue plain -p repo.pub -q
page=plain/modules/hello/index.html
check_that "the page of a version without plugin fields has none" \
    sh -c "grep -q 'says hello' $page && ! grep -q 'metadata-h\\|processed by\\|Warning:' $page"
end

# --- end to end: the example plugins at work ---------------------------------

for n in policy conan stamp wasm-meta; do
    wharf pack --zip --manifest "$EX/$n/plugin.toml" \
        "$WHARF_BUILD/examples/plugins/$n.wasm" -o . >/dev/null
    wharf-index plugin -p pl --allow-unsigned install $n-0.1.0.zip >/dev/null
    wharf-index plugin -p pl enable $n >/dev/null
done
mkdir e2e
mkpkg ferrpkg run.wasm e2e/hello-1.0.0.ferrpkg --set 'description="says hello"' \
    --set 'license=""'
sed 's|^zlib/1.2.13$|hello/1.0.0|' zlib-app.conan.txt >e2e/zlib-app.conan.txt
e2e_orig=$(sha256sum e2e/zlib-app.conan.txt | cut -d' ' -f1)
e2e_osize=$(wc -c <e2e/zlib-app.conan.txt | tr -d ' ')

begin "end to end: build --plugins writes the fields; verify accepts them"
SOURCE_DATE_EPOCH=$sde run wharf-index build e2e -o site3 --plugins pl -q
check_rc 0
check_err <<'EOF'
wharf-index build: warning: e2e/hello-1.0.0.ferrpkg: plugin 'policy': hello declares no license
EOF
jq -c '.modules["zlib-app"].versions["1.0.0"] | {kind, file, processed_by,
    original_sha256, original_size, metadata}' site3/index.json >"$T/.out"
check_out <<EOF
{"kind":"format:conan","file":"zlib-app.conan.txt","processed_by":["stamp"],"original_sha256":"$e2e_orig","original_size":$e2e_osize,"metadata":{"processed_by":"stamp","stamped":"true"}}
EOF
run wharf-index verify site3 -p repo.pub
check_rc 0
end

begin "end to end: installed as its processed file, shown by info, not run"
home3="$T/home3"
wharf trust add repo.pub --home "$home3" -q
wharf source add e2e "$T/site3" --home "$home3" -q
wharf update --home "$home3" -q
run wharf install zlib-app --home "$home3" -q
check_rc 0
f="$home3/modules/zlib-app/1.0.0/zlib-app.conan.txt"
check_that "not the stamped text" sh -c "cmp -s '$f' site3/packages/zlib-app@1.0.0.conan.txt &&
    tail -n 1 '$f' | grep -qx '# published by wharf-index zlib-app@1.0.0'"
run wharf verify --home "$home3"
check_rc 0
check_out <<'EOF'
verified 2 modules, 4 files
EOF
run wharf info zlib-app --home "$home3"
check_rc 0
sed -n '/^kind:/p; /^metadata:/,/^versions:/p' "$T/.out" >"$T/.out2"
mv "$T/.out2" "$T/.out"
check_out <<EOF
kind:         format:conan
metadata:     processed_by: stamp
              stamped: true
processed by: stamp (original sha256 $e2e_orig, $e2e_osize bytes)
versions:
EOF
run wharf info hello --home "$home3"
check_rc 0
check_out_has "warnings:     plugin 'policy': hello declares no license"
check_that "an empty metadata value is not 'KEY:' alone" \
    grep -qx '              wasm_custom_sections:' "$T/.out"
run wharf run zlib-app --home "$home3"
check_rc 2
check_err <<'EOF'
wharf run: 'zlib-app' is a format:conan package, not a runnable module
EOF
end

begin "end to end: the catalogue pages"
page=site3/modules/zlib-app/index.html
for want in \
    '<dd>format:conan</dd>' \
    '<dt>stamped</dt>' \
    "<dd class=\"processed\">processed by stamp (original sha256 <code class=\"digest\">$e2e_orig</code>, $e2e_osize bytes)</dd>"
do
    grep -qF -- "$want" "$page" || fail "$page lacks $want"
done
grep -qF '<strong>Warning:</strong> plugin &#39;policy&#39;: hello declares no license' \
    site3/modules/hello/index.html || fail "hello's page lacks the policy warning"
end

finish
