#!/bin/sh
# t1200-wharf-index-plugin.sh - wharf-index plugin: the plugin folder
# (--plugins DIR or WHARF_PLUGINS_PATH, neither a usage error); install of
# each example bundle (signed by a trusted key, or --allow-unsigned;
# unsigned, untrusted or tampered refused; a module importing anything but
# wharf.* refused, naming the import); list and --json; enable/disable;
# config with good values, a value of the wrong type and an unknown key
# (nothing kept); remove; the exact canonical state.json.
EX=$(cd "$(dirname "$0")/../.." && pwd)/examples/plugins
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

for n in policy conan stamp wasm-meta; do
    wharf pack --zip --manifest "$EX/$n/plugin.toml" "$WHARF_BUILD/examples/plugins/$n.wasm" -o . >/dev/null
done
wharf-index keygen -W -p pub.pub -s pub.key >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
mkdir keys && cp pub.pub keys/
oid=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)
for n in policy conan stamp wasm-meta; do wharf-index sign -s pub.key $n-0.1.0.zip >/dev/null; done

begin "no plugin folder, an unknown action: usage error (exit 2)"
run wharf-index plugin list
check_rc 2
check_err <<'EOF'
wharf-index plugin: no plugin folder: use --plugins DIR or set WHARF_PLUGINS_PATH
try 'wharf-index plugin --help'
EOF
run wharf-index plugin -p pl frob
check_rc 2
check_err <<'EOF'
wharf-index plugin: unknown action 'frob'
try 'wharf-index plugin --help'
EOF
run wharf-index plugin -p pl enable
check_rc 2
check_err <<'EOF'
wharf-index plugin: enable: one plugin name expected
try 'wharf-index plugin --help'
EOF
end

begin "an empty folder lists nothing"
run wharf-index plugin -p pl list
check_rc 0
check_out </dev/null
check_empty_err
end

begin "install each example, signed by a trusted key: disabled, with its defaults"
for n in policy conan stamp wasm-meta; do
    run wharf-index plugin -p pl -k keys install $n-0.1.0.zip
    check_rc 0
    check_out <<EOF
installed $n 0.1.0 (disabled)
EOF
    check_empty_err
done
check_that "files unpacked" test -f pl/policy/policy.wasm -a -f pl/policy/plugin.toml -a -f pl/stamp/stamp.wasm
check_that "no staging left" test ! -e pl/.staging-policy
run wharf-index plugin -p pl list
check_rc 0
check_out <<'EOF'
conan 0.1.0 format_handler disabled
policy 0.1.0 validation_hook disabled
  max_size_mb = 10
  name_pattern = "*"
  require_signer = false
stamp 0.1.0 post_processor disabled
  prefix = "# "
  trailer = "published by wharf-index"
wasm-meta 0.1.0 metadata_extractor disabled
EOF
end

begin "install twice: refused (exit 1)"
run wharf-index plugin -p pl -k keys install policy-0.1.0.zip
check_rc 1
check_err <<'EOF'
wharf-index plugin: plugin 'policy' is already installed (remove it first)
EOF
end

begin "enable, disable, WHARF_PLUGINS_PATH"
run wharf-index plugin -p pl enable policy
check_rc 0
check_out <<'EOF'
enabled policy
EOF
WHARF_PLUGINS_PATH=pl run wharf-index plugin enable stamp
check_rc 0
WHARF_PLUGINS_PATH=pl run wharf-index plugin disable stamp
check_rc 0
check_out <<'EOF'
disabled stamp
EOF
run wharf-index plugin -p pl enable nope
check_rc 6
check_err <<'EOF'
wharf-index plugin: plugin 'nope' is not installed
EOF
end

begin "config: good values kept with their types"
run wharf-index plugin -p pl config policy max_size_mb=5 require_signer=true 'name_pattern=a*'
check_rc 0
check_out <<'EOF'
configured policy
EOF
end

begin "config: a wrong type or an unknown key changes nothing (exit 2)"
cp pl/state.json before.json
run wharf-index plugin -p pl config policy max_size_mb=7 max_size_mb=abc
check_rc 2
check_err <<'EOF'
wharf-index plugin: config 'max_size_mb' is an integer, not 'abc'
EOF
run wharf-index plugin -p pl config policy require_signer=1
check_rc 2
check_err <<'EOF'
wharf-index plugin: config 'require_signer' is a boolean, not '1'
EOF
run wharf-index plugin -p pl config policy colour=red
check_rc 2
check_err <<'EOF'
wharf-index plugin: plugin 'policy' has no config 'colour'
EOF
run wharf-index plugin -p pl config policy novalue
check_rc 2
check_err <<'EOF'
wharf-index plugin: 'novalue' is not KEY=VALUE
EOF
check_that "state unchanged" cmp -s before.json pl/state.json
end

begin "the state is canonical wharf-plugins/1; list --json"
h_pol=$(sha256sum policy-0.1.0.zip | cut -d' ' -f1)
run wharf-index plugin -p pl list --json
check_rc 0
check_out_has '"max_size_mb": 5,'
check_out_has "\"sha256\": \"$h_pol\""
check_that "canonical state" grep -qF "\"policy\":{\"config\":{\"max_size_mb\":5,\"name_pattern\":\"a*\",\"require_signer\":true},\"enabled\":true,\"kinds\":[\"validation_hook\"],\"sha256\":\"$h_pol\",\"version\":\"0.1.0\"}" pl/state.json
check_that "format" grep -q '^{"format":"wharf-plugins/1","plugins":{' pl/state.json
end

begin "remove: state and files gone"
run wharf-index plugin -p pl remove conan
check_rc 0
check_out <<'EOF'
removed conan
EOF
check_that "folder gone" test ! -e pl/conan
run wharf-index plugin -p pl remove conan
check_rc 6
check_err <<'EOF'
wharf-index plugin: plugin 'conan' is not installed
EOF
run wharf-index plugin -p pl list
check_out_has "policy 0.1.0 validation_hook enabled"
check_that "conan not listed" sh -c "! grep -q conan '$T/.out'"
end

begin "unsigned bundle refused without --allow-unsigned (exit 4)"
cp conan-0.1.0.zip u.zip
run wharf-index plugin -p pl -k keys install u.zip
check_rc 4
check_err <<'EOF'
wharf-index plugin: u.zip: no signature u.zip.minisig (use --allow-unsigned to install it anyway)
EOF
check_that "not installed" test ! -e pl/conan
run wharf-index plugin -p pl install --allow-unsigned u.zip
check_rc 0
check_out <<'EOF'
installed conan 0.1.0 (disabled)
EOF
end

begin "a bundle signed by an untrusted key, or tampered with, is refused (exit 4)"
wharf-index plugin -p pl remove conan >/dev/null
wharf-index sign -s other.key u.zip >/dev/null
run wharf-index plugin -p pl -k keys install u.zip
check_rc 4
check_err <<EOF
wharf-index plugin: u.zip.minisig: signed by key $oid, which is not among the trusted keys
EOF
cp conan-0.1.0.zip.minisig u.zip.minisig
printf 'x' >>u.zip
run wharf-index plugin -p pl -k keys install u.zip
check_rc 4
check_that "not installed" test ! -e pl/conan
end

begin "a module importing env.f is refused at install, naming the import (exit 3)"
# (type () -> ()) (import "env" "f" (func (type 0)))
printf '\000asm\001\000\000\000\001\004\001\140\000\000\002\011\001\003env\001f\000\000' >bad.wasm
cat >bad.toml <<'EOF'
[plugin]
name = "bad"
version = "1.0.0"
description = "imports env.f"
author = "t"
license = "MIT"
[plugin.capabilities]
validation_hook = true
EOF
wharf pack --zip --manifest bad.toml bad.wasm -o . >/dev/null
run wharf-index plugin -p pl install --allow-unsigned bad-1.0.0.zip
check_rc 3
check_err <<'EOF'
wharf-index plugin: plugin 'bad': imports env.f: only wharf.log and wharf.config are allowed
EOF
check_that "nothing left" test ! -e pl/bad -a ! -e pl/.staging-bad
end

begin "not a bundle: refused (exit 3)"
run_wasm run.wasm
run wharf-index plugin -p pl install --allow-unsigned run.wasm
check_rc 3
check_err <<'EOF'
wharf-index plugin: run.wasm: offset 0x0: not a .ferrpkg, PAR or plugin bundle (starts with 00 61 73 6d)
EOF
end

finish
