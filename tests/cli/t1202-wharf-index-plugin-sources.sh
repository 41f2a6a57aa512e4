#!/bin/sh
# t1202-wharf-index-plugin-sources.sh - wharf-index plugin install from a
# wharf site (NAME[@REQ] --from SITE --repo-key KEY: the highest matching
# bundle, yanked ones only when pinned, the publisher's .minisig beside
# it verified with -k, size and SHA-256 against the signed record; a
# wrong repository key, a tampered package or an unknown name refused),
# the same over HTTP from tests/tools/badserve.mjs on 127.0.0.1 (the URL
# recorded and updated from; a tampered package, one longer than its
# record, a missing .minisig, a missing site, another key's index and
# endless data refused) and from a Git repository (git+URL[@REF]:
# plugin.toml and NAME.wasm at its root, each signed, zipped into the
# very bundle `wharf pack --zip` makes; missing files and signatures,
# untrusted keys, options smuggled as URLs, ext:: URLs refused), and
# `update` from all three.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
EX=$TOP/examples/plugins
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
TP=$(pwd -P)
mkdir tmp
TMPDIR=$TP/tmp      # where the clones go
export TMPDIR

# man VERSION [FILE]: policy's plugin.toml at VERSION.
man() {
    sed -e "s/^version = \"0.1.0\"/version = \"$1\"/" "$EX/policy/plugin.toml"
}
mkdir pk m1 m2 m3
man 0.1.0 >m1/plugin.toml
man 0.2.0 >m2/plugin.toml
man 0.3.0 >m3/plugin.toml
wharf pack --zip --manifest m1/plugin.toml "$WHARF_BUILD/examples/plugins/policy.wasm" -o pk >/dev/null
wharf pack --zip --manifest m2/plugin.toml "$WHARF_BUILD/examples/plugins/policy.wasm" -o pk >/dev/null
wharf pack --zip --manifest "$EX/conan/plugin.toml" "$WHARF_BUILD/examples/plugins/conan.wasm" -o pk >/dev/null
wharf-index keygen -W -p pub.pub -s pub.key >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
rk=$(sed -n 2p repo.pub)     # the repository key, as a source records it
mkdir keys && cp pub.pub keys/
kid=$(sed -n 's/^untrusted comment: minisign public key //p' pub.pub)
oid=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)
wharf-index sign -s pub.key pk/policy-0.1.0.zip >/dev/null
wharf-index sign -s pub.key pk/policy-0.2.0.zip >/dev/null
wharf-index build pk -o site -s repo.key -q --no-catalogue
h1=$(sha256sum pk/policy-0.1.0.zip | cut -d' ' -f1)
h2=$(sha256sum pk/policy-0.2.0.zip | cut -d' ' -f1)

# --- a wharf site -------------------------------------------------------------

begin "--from needs --repo-key (exit 2)"
run wharf-index plugin -p pl -k keys install policy --from site
check_rc 2
check_err <<'EOF'
wharf-index plugin: a site needs its repository key: --repo-key FILE.pub
EOF
check_that "nothing installed" test ! -e pl/state.json
end

begin "--from SITE: the highest version, its signer and source recorded"
run wharf-index plugin -p pl -k keys install policy --from site --repo-key repo.pub
check_rc 0
check_out <<'EOF'
installed policy 0.2.0 (disabled)
EOF
check_empty_err
check_that "state" grep -qF "\"sha256\":\"$h2\",\"signer\":\"$kid\",\"source\":{\"key\":\"$rk\",\"location\":\"$TP/site\",\"request\":\"\",\"type\":\"site\"},\"version\":\"0.2.0\"" pl/state.json
check_that "files" cmp -s pl/policy/policy.wasm "$WHARF_BUILD/examples/plugins/policy.wasm"
end

begin "NAME@REQ through file://: the highest match"
run wharf-index plugin -p pl2 -k keys install policy@0.1 --from "file://$TP/site" --repo-key repo.pub
check_rc 0
check_out <<'EOF'
installed policy 0.1.0 (disabled)
EOF
check_that "request recorded" grep -qF "\"source\":{\"key\":\"$rk\",\"location\":\"file://$TP/site\",\"request\":\"0.1\",\"type\":\"site\"}" pl2/state.json
end

begin "no match, no such plugin, a bad requirement"
run wharf-index plugin -p pl3 -k keys install policy@9 --from site --repo-key repo.pub
check_rc 6
check_err <<'EOF'
wharf-index plugin: site: no plugin bundle policy matching 9
EOF
run wharf-index plugin -p pl3 -k keys install nope --from site --repo-key repo.pub
check_rc 6
check_err <<'EOF'
wharf-index plugin: site: no plugin bundle nope
EOF
run wharf-index plugin -p pl3 -k keys install 'policy@>>1' --from site --repo-key repo.pub
check_rc 3
check_err_has "requirement '>>1'"
check_that "nothing installed" test ! -e pl3/state.json
end

begin "the site's publisher signature: unsigned refused unless allowed (exit 4)"
run wharf-index plugin -p pl -k keys install conan --from site --repo-key repo.pub
check_rc 4
check_err <<'EOF'
wharf-index plugin: site/packages/conan@0.1.0.zip: no signature site/packages/conan@0.1.0.zip.minisig (use --allow-unsigned to install it anyway)
EOF
run wharf-index plugin -p pl install conan --from site --repo-key repo.pub --allow-unsigned
check_rc 0
check_out <<'EOF'
installed conan 0.1.0 (disabled)
EOF
end

begin "a publisher key not in -k is refused (exit 4)"
run wharf-index plugin -p pl3 -k pk install policy --from site --repo-key repo.pub
check_rc 4
check_err <<EOF
wharf-index plugin: site/packages/policy@0.2.0.zip.minisig: signed by key $kid, which is not among the trusted keys
EOF
end

begin "another repository key, a tampered package: refused"
run wharf-index plugin -p pl3 -k keys install policy --from site --repo-key other.pub
check_rc 4
check_err_has "site/index.json.minisig"
cp -R site site2
printf 'x' >>site2/packages/policy@0.2.0.zip
run wharf-index plugin -p pl3 -k keys install policy --from site2 --repo-key repo.pub
check_rc 4
check_err_has "site2/packages/policy@0.2.0.zip"
check_that "nothing installed" test ! -e pl3/state.json
end

begin "a yanked version is taken only when pinned with ="
printf 'policy@0.2.0 broken\n' >pk/yanked
wharf-index build pk -o site -s repo.key -q --no-catalogue
run wharf-index plugin -p pl4 -k keys install policy --from site --repo-key repo.pub
check_rc 0
check_out <<'EOF'
installed policy 0.1.0 (disabled)
EOF
run wharf-index plugin -p pl5 -k keys install policy@=0.2.0 --from site --repo-key repo.pub
check_rc 0
check_out <<'EOF'
installed policy 0.2.0 (disabled)
EOF
end

begin "update from the site: by the key the install was given; takes the new highest"
wharf pack --zip --manifest m3/plugin.toml "$WHARF_BUILD/examples/plugins/policy.wasm" -o pk >/dev/null
wharf-index sign -s pub.key pk/policy-0.3.0.zip >/dev/null
wharf-index build pk -o site -s repo.key -q --no-catalogue
run jq -r '.plugins.policy.source.key' pl4/state.json
check_out <<EOF
$(sed -n 2p repo.pub)
EOF
run wharf-index plugin -p pl4 -k keys update policy --repo-key other.pub
check_rc 4
check_err_has "signature key id"
run wharf-index plugin -p pl4 -k keys update policy
check_rc 0
check_out <<'EOF'
updated policy 0.1.0 -> 0.3.0
EOF
run wharf-index plugin -p pl2 -k keys update policy --repo-key repo.pub
check_rc 0
check_out <<'EOF'
policy 0.1.0 is up to date
EOF
end

# --- a wharf site over HTTP ---------------------------------------------------------

begin "node is installed"
command -v node >/dev/null 2>&1 || fail "node is missing; run 'make deps'"
end

# www/up: policy 0.1.0 alone (0.3.0 comes for update); www/site: the site
# above; www/bad: its policy 0.3.0 with a byte changed; www/big: with two
# bytes more; www/other: the site signed by another repository key.
mkdir www pk1
cp pk/policy-0.1.0.zip pk/policy-0.1.0.zip.minisig pk1/
wharf-index build pk1 -o www/up -s repo.key -q --no-catalogue
cp -R site www/site
cp -R site www/bad
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 0xff; open(sys.argv[1], "wb").write(b)' www/bad/packages/policy@0.3.0.zip
cp -R site www/big
printf 'xx' >>www/big/packages/policy@0.3.0.zip
wharf-index build pk -o www/other -s other.key -q --no-catalogue
h3=$(sha256sum pk/policy-0.3.0.zip | cut -d' ' -f1)
hb=$(sha256sum www/bad/packages/policy@0.3.0.zip | cut -d' ' -f1)
size3=$(wc -c <pk/policy-0.3.0.zip)
rid=$(sed -n 's/^untrusted comment: minisign public key //p' repo.pub)
xid=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)
node "$TOP/tests/tools/badserve.mjs" www >port 2>server.err &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s port ] && break; sleep 0.2; done
url="http://127.0.0.1:$(cat port)"

begin "--from http://...: installed with the same checks, the URL recorded"
run wharf-index plugin -p ph -k keys install policy --from "$url/ok/site" --repo-key repo.pub
check_rc 0
check_out <<'EOF'
installed policy 0.3.0 (disabled)
EOF
check_empty_err
check_that "state" grep -qF "\"sha256\":\"$h3\",\"signer\":\"$kid\",\"source\":{\"key\":\"$rk\",\"location\":\"$url/ok/site\",\"request\":\"\",\"type\":\"site\"},\"version\":\"0.3.0\"" ph/state.json
check_that "files" cmp -s ph/policy/policy.wasm "$WHARF_BUILD/examples/plugins/policy.wasm"
end

begin "update from the recorded URL: the new highest"
run wharf-index plugin -p ph2 -k keys install policy --from "$url/ok/up" --repo-key repo.pub
check_out <<'EOF'
installed policy 0.1.0 (disabled)
EOF
run wharf-index plugin -p ph2 -k keys update policy --repo-key repo.pub
check_out <<'EOF'
policy 0.1.0 is up to date
EOF
cp pk/policy-0.3.0.zip pk/policy-0.3.0.zip.minisig pk1/
wharf-index build pk1 -o www/up -s repo.key -q --no-catalogue
run wharf-index plugin -p ph2 -k keys update policy --repo-key repo.pub
check_rc 0
check_out <<'EOF'
updated policy 0.1.0 -> 0.3.0
EOF
check_empty_err
check_that "new files" grep -q '^version = "0.3.0"' ph2/policy/plugin.toml
check_that "source kept" grep -qF "\"source\":{\"key\":\"$rk\",\"location\":\"$url/ok/up\",\"request\":\"\",\"type\":\"site\"}" ph2/state.json
end

begin "a package the server changed: refused by its SHA-256 (exit 4)"
run wharf-index plugin -p ph3 -k keys install policy --from "$url/ok/bad" --repo-key repo.pub
check_rc 4
check_err <<EOF
wharf-index plugin: $url/ok/bad/packages/policy@0.3.0.zip: sha256 is $hb, the index says $h3
EOF
check_that "nothing installed" test ! -e ph3/state.json
end

begin "a server sending more than the record's size: cut there (exit 4)"
run wharf-index plugin -p ph3 -k keys install policy --from "$url/ok/big" --repo-key repo.pub
check_rc 4
check_err <<EOF
wharf-index plugin: $url/ok/big/packages/policy@0.3.0.zip: more than the $size3 bytes it may be
EOF
check_that "nothing installed" test ! -e ph3/state.json
end

begin "no .minisig beside the package: refused unless --allow-unsigned (exit 4)"
run wharf-index plugin -p ph3 -k keys install conan --from "$url/ok/site" --repo-key repo.pub
check_rc 4
check_err <<EOF
wharf-index plugin: $url/ok/site/packages/conan@0.1.0.zip: no signature $url/ok/site/packages/conan@0.1.0.zip.minisig (use --allow-unsigned to install it anyway)
EOF
check_that "nothing installed" test ! -e ph3/state.json
run wharf-index plugin -p ph3 install conan --from "$url/ok/site" --repo-key repo.pub --allow-unsigned
check_rc 0
check_out <<'EOF'
installed conan 0.1.0 (disabled)
EOF
check_that "signer empty" grep -qF '"signer":"","source":{"key":"'"$rk"'","location":"'"$url"'/ok/site"' ph3/state.json
end

begin "no site there (exit 6); an index by another key (exit 4); endless data (exit 3)"
run wharf-index plugin -p ph4 -k keys install policy --from "$url/ok/nothere" --repo-key repo.pub
check_rc 6
check_err <<EOF
wharf-index plugin: $url/ok/nothere/index.json.minisig: HTTP 404: not found
EOF
run wharf-index plugin -p ph4 -k keys install policy --from "$url/ok/other" --repo-key repo.pub
check_rc 4
check_err <<EOF
wharf-index plugin: $url/ok/other/index.json.minisig: signature key id $xid does not match public key $rid
EOF
run wharf-index plugin -p ph4 -k keys install policy --from "$url/endless/site" --repo-key repo.pub
check_rc 3
check_err <<EOF
wharf-index plugin: $url/endless/site/index.json.minisig: more than the 4096 bytes it may be
EOF
check_that "nothing installed" test ! -e ph4/state.json
end

# --- a Git repository -------------------------------------------------------------

gitc() { git -C repo -c user.name=t -c user.email=t@example.com "$@"; }
mkdir repo
cp m1/plugin.toml "$EX/policy/README.md" repo/
cp "$WHARF_BUILD/examples/plugins/policy.wasm" repo/
wharf-index sign -s pub.key repo/policy.wasm >/dev/null
wharf-index sign -s pub.key repo/plugin.toml >/dev/null
git init -q repo
gitc add .
gitc commit -q -m v0.1.0
gitc tag v0.1.0
cp "$EX/policy/README.md" m1/
wharf pack --zip --manifest m1/plugin.toml "$WHARF_BUILD/examples/plugins/policy.wasm" -o m1 >/dev/null

begin "git+URL@REF: the bundle wharf pack makes, signed, its source recorded"
run wharf-index plugin -p gl -k keys install "git+file://$TP/repo@v0.1.0"
check_rc 0
check_out <<'EOF'
installed policy 0.1.0 (disabled)
EOF
check_empty_err
check_that "the same bytes as wharf pack's bundle" grep -qF "\"sha256\":\"$(sha256sum m1/policy-0.1.0.zip | cut -d' ' -f1)\",\"signer\":\"$kid\",\"source\":{\"ref\":\"v0.1.0\",\"type\":\"git\",\"url\":\"file://$TP/repo\"}" gl/state.json
check_that "no clone left" test -z "$(ls -A tmp)"
end

begin "git: a missing signature, an untrusted one (exit 4); --allow-unsigned"
git clone -q repo r2 && rm r2/plugin.toml.minisig
git -C r2 -c user.name=t -c user.email=t@example.com commit -q -am unsigned
run wharf-index plugin -p gl2 -k keys install "git+file://$TP/r2"
check_rc 4
check_err <<EOF
wharf-index plugin: git+file://$TP/r2: no signature plugin.toml.minisig (use --allow-unsigned to install it anyway)
EOF
wharf-index sign -s other.key r2/plugin.toml >/dev/null
git -C r2 add plugin.toml.minisig
git -C r2 -c user.name=t -c user.email=t@example.com commit -q -m other
run wharf-index plugin -p gl2 -k keys install "git+file://$TP/r2"
check_rc 4
check_err <<EOF
wharf-index plugin: plugin.toml.minisig: signed by key $oid, which is not among the trusted keys
EOF
run wharf-index plugin -p gl2 install --allow-unsigned "git+$TP/r2"
check_rc 0
check_out <<'EOF'
installed policy 0.1.0 (disabled)
EOF
check_that "signer empty" grep -qF '"signer":"","source":{"ref":"","type":"git","url":"'"$TP"'/r2"}' gl2/state.json
end

begin "git: no module at the root, no such repository or branch"
git clone -q repo r3 && git -C r3 rm -q policy.wasm
git -C r3 -c user.name=t -c user.email=t@example.com commit -q -m nomodule
run wharf-index plugin -p gl3 -k keys install "git+file://$TP/r3"
check_rc 6
check_err <<'EOF'
wharf-index plugin: the repository has no policy.wasm at its root
EOF
run wharf-index plugin -p gl3 -k keys install "git+file://$TP/none"
check_rc 1
check_that "git's own words, then ours" test "$(tail -n 1 "$T/.err")" = "wharf-index plugin: file://$TP/none: git clone failed (status 128)"
run wharf-index plugin -p gl3 -k keys install "git+file://$TP/repo@v9"
check_rc 1
check_that "ours last" test "$(tail -n 1 "$T/.err")" = "wharf-index plugin: file://$TP/repo: git clone failed (status 128)"
check_that "nothing installed" test ! -e gl3/state.json
end

begin "git: a URL or ref that looks like an option is refused (exit 2)"
run wharf-index plugin -p gl3 install "git+--upload-pack=touch pwned"
check_rc 2
check_err <<'EOF'
wharf-index plugin: 'git+--upload-pack=touch pwned': a URL or ref may not start with '-'
EOF
run wharf-index plugin -p gl3 install "git+file://$TP/repo@--help"
check_rc 2
run wharf-index plugin -p gl3 install "git+file://$TP/repo" --from site --repo-key repo.pub
check_rc 2
check_err <<'EOF'
wharf-index plugin: --from does not go with a git+URL
EOF
check_that "no file made" test ! -e pwned
end

begin "git: an ext:: URL runs nothing, even where the user's git allows it (exit 1)"
printf '[protocol "ext"]\n\tallow = always\n' >extcfg
GIT_CONFIG_GLOBAL=$TP/extcfg run wharf-index plugin -p gl5 install --allow-unsigned "git+ext::sh -c touch% $TP/pwned2"
check_rc 1
check_err_has "fatal: transport 'ext' not allowed"
check_that "ours last" test "$(tail -n 1 "$T/.err")" = "wharf-index plugin: ext::sh -c touch% $TP/pwned2: git clone failed (status 128)"
check_that "nothing ran" test ! -e pwned2
end

begin "update from Git: the branch's new version"
git clone -q repo r4
wharf-index plugin -p gl4 -k keys install "git+file://$TP/r4" >/dev/null
run wharf-index plugin -p gl4 -k keys update policy
check_out <<'EOF'
policy 0.1.0 is up to date
EOF
cp m2/plugin.toml r4/
wharf-index sign -s pub.key r4/plugin.toml >/dev/null
git -C r4 -c user.name=t -c user.email=t@example.com commit -q -am v0.2.0
run wharf-index plugin -p gl4 -k keys update policy
check_rc 0
check_out <<'EOF'
updated policy 0.1.0 -> 0.2.0
EOF
check_that "new files" grep -q '^version = "0.2.0"' gl4/policy/plugin.toml
end

finish
