#!/bin/sh
# t1200-wharf-index-plugin.sh - wharf-index plugin: the plugin folder
# (--plugins DIR or WHARF_PLUGINS_PATH, neither a usage error); install of
# each example bundle (signed by a trusted key, or --allow-unsigned;
# unsigned, untrusted or tampered refused; a signature that is a link,
# even a dangling one, not followed; a module importing anything but
# wharf.* refused, naming the import; the names logs, state.json and
# profile.json refused in any case); list and --json; enable/disable;
# config with good values, a value of the wrong type and an unknown key
# (nothing kept); remove; the exact canonical state.json with signer,
# source and module; limits; update from the recorded file (settings kept,
# dropped ones noted, signature rules); logs (both files, oldest first,
# escaped, -n, --json); profile (none yet, table, one plugin, JSON, a
# damaged one); test of each kind on one file, without a plugin folder,
# its failures, log lines and the environment's limits.
EX=$(cd "$(dirname "$0")/../.." && pwd)/examples/plugins
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

for n in policy conan stamp wasm-meta; do
    wharf pack --zip --manifest "$EX/$n/plugin.toml" "$WHARF_BUILD/examples/plugins/$n.wasm" -o . >/dev/null
done
wharf-index keygen -W -p pub.pub -s pub.key >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
mkdir keys && cp pub.pub keys/
kid=$(sed -n 's/^untrusted comment: minisign public key //p' pub.pub)
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
check_out <<EOF
conan 0.1.0 format_handler disabled, signed by $kid
policy 0.1.0 validation_hook disabled, signed by $kid
  max_size_mb = 10
  name_pattern = "*"
  require_signer = false
stamp 0.1.0 post_processor disabled, signed by $kid
  prefix = "# "
  trailer = "published by wharf-index"
wasm-meta 0.1.0 metadata_extractor disabled, signed by $kid
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
check_that "canonical state" grep -qF "\"policy\":{\"config\":{\"max_size_mb\":5,\"name_pattern\":\"a*\",\"require_signer\":true},\"enabled\":true,\"kinds\":[\"validation_hook\"],\"sha256\":\"$h_pol\",\"signer\":\"$kid\",\"source\":{\"path\":\"$(pwd -P)/policy-0.1.0.zip\",\"type\":\"file\"},\"version\":\"0.1.0\",\"wasm\":\"policy.wasm\"}" pl/state.json
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
run wharf-index plugin -p pl list
check_out_has "conan 0.1.0 format_handler disabled, unsigned"
check_that "signer recorded as empty" grep -qF '"sha256":"'"$(sha256sum u.zip | cut -d' ' -f1)"'","signer":"",' pl/state.json
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

begin "a signature that is a symbolic link is not followed, dangling or not (exit 3)"
cp policy-0.1.0.zip l.zip
ln -s nowhere l.zip.minisig
run wharf-index plugin -p pl -k keys install l.zip
check_rc 3
check_err <<'EOF'
wharf-index plugin: l.zip.minisig: symbolic link not followed
EOF
rm l.zip.minisig && ln -s policy-0.1.0.zip.minisig l.zip.minisig
run wharf-index plugin -p pl3 -k keys install l.zip
check_rc 3
check_err <<'EOF'
wharf-index plugin: l.zip.minisig: symbolic link not followed
EOF
check_that "not installed" test ! -e pl3/state.json
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

begin "a plugin named logs, state.json or profile.json, in any case, is refused (exit 3)"
for n in logs LOGS State.json profile.json; do
    sed -e "s/^name = \"policy\"/name = \"$n\"/" "$EX/policy/plugin.toml" >r.toml
    wharf pack --zip --manifest r.toml "$WHARF_BUILD/examples/plugins/policy.wasm" -o . >/dev/null
    run wharf-index plugin -p pl install --allow-unsigned $n-0.1.0.zip
    check_rc 3
    check_err <<EOF
wharf-index plugin: $n-0.1.0.zip: plugin name '$n' is reserved: the plugin folder uses it
EOF
done
check_that "nothing installed" test ! -e pl/LOGS -a ! -e pl/State.json -a ! -e pl/profile.json
check_that "not in the state" test -z "$(grep -i -e '"logs"' -e '"state.json"' -e '"profile.json"' pl/state.json)"
end

# --- limits -----------------------------------------------------------------

begin "limits: set, shown by list, one removed with KEY="
run wharf-index plugin -p pl limits policy memory_mb=16 fuel=1000000
check_rc 0
check_out <<'EOF'
limits of policy: memory_mb=16, fuel=1000000
EOF
check_that "limits in the state" grep -qF '"limits":{"fuel":1000000,"memory_mb":16}' pl/state.json
run wharf-index plugin -p pl limits policy fuel= time_ms=250
check_rc 0
check_out <<'EOF'
limits of policy: memory_mb=16, time_ms=250
EOF
run wharf-index plugin -p pl list
check_out_has "  limits: memory_mb=16, time_ms=250"
end

begin "limits: an unknown key, a bad number, no '=': nothing changes (exit 2)"
cp pl/state.json before.json
run wharf-index plugin -p pl limits policy fuel=5 colour=1
check_rc 2
check_err <<'EOF'
wharf-index plugin: unknown limit 'colour' (memory_mb, fuel or time_ms)
EOF
run wharf-index plugin -p pl limits policy memory_mb=4097
check_rc 2
check_err <<'EOF'
wharf-index plugin: limit memory_mb '4097' is not a number from 1 to 4096
EOF
run wharf-index plugin -p pl limits policy fuel=0
check_rc 2
check_err <<'EOF'
wharf-index plugin: limit fuel '0' is not a number from 1 to 9223372036854775807
EOF
run wharf-index plugin -p pl limits policy time_ms=1x
check_rc 2
check_err <<'EOF'
wharf-index plugin: limit time_ms '1x' is not a number from 1 to 3600000
EOF
run wharf-index plugin -p pl limits policy fuel
check_rc 2
check_err <<'EOF'
wharf-index plugin: 'fuel' is not KEY=N
EOF
run wharf-index plugin -p pl limits policy
check_rc 2
check_err <<'EOF'
wharf-index plugin: limits: a plugin name and KEY=N expected
try 'wharf-index plugin --help'
EOF
run wharf-index plugin -p pl limits nope fuel=1
check_rc 6
check_err <<'EOF'
wharf-index plugin: plugin 'nope' is not installed
EOF
check_that "state unchanged" cmp -s before.json pl/state.json
run wharf-index plugin -p pl limits policy memory_mb= time_ms=
check_rc 0
check_out <<'EOF'
limits of policy: the system-wide ones
EOF
check_that "no limits left" sh -c "! grep -q limits pl/state.json"
end

# --- update -----------------------------------------------------------------

# version 0.2.0 of policy: max_size_mb becomes a string, require_signer
# goes, max_files comes.
mkdir v2 v3
sed -e 's/^version = "0.1.0"/version = "0.2.0"/' -e 's/^max_size_mb = 10/max_size_mb = "10MB"/' \
    -e '/^require_signer/d' "$EX/policy/plugin.toml" >v2/plugin.toml
echo 'max_files = 3' >>v2/plugin.toml
sed -e 's/^version = "0.1.0"/version = "0.3.0"/' "$EX/policy/plugin.toml" >v3/plugin.toml
sed -e 's/^version = "0.1.0"/version = "0.2.0"/' "$EX/conan/plugin.toml" >v2/conan.toml
wharf pack --zip --manifest v2/plugin.toml "$WHARF_BUILD/examples/plugins/policy.wasm" -o v2 >/dev/null
wharf pack --zip --manifest v3/plugin.toml "$WHARF_BUILD/examples/plugins/policy.wasm" -o v3 >/dev/null
wharf pack --zip --manifest v2/conan.toml "$WHARF_BUILD/examples/plugins/conan.wasm" -o v2 >/dev/null
TP=$(pwd -P)

begin "update: no higher version is up to date"
run wharf-index plugin -p pl -k keys update policy
check_rc 0
check_out <<'EOF'
policy 0.1.0 is up to date
EOF
check_empty_err
run wharf-index plugin -p pl update nope
check_rc 6
check_err <<'EOF'
wharf-index plugin: plugin 'nope' is not installed
EOF
end

begin "update: a stale signature refuses the new version, changing nothing (exit 4)"
wharf-index plugin -p pl remove policy >/dev/null
cp policy-0.1.0.zip policy.zip
cp policy-0.1.0.zip.minisig policy.zip.minisig
wharf-index plugin -p pl -k keys install policy.zip >/dev/null
wharf-index plugin -p pl config policy max_size_mb=5 require_signer=true 'name_pattern=a*' >/dev/null
wharf-index plugin -p pl enable policy >/dev/null
wharf-index plugin -p pl limits policy fuel=5000000 >/dev/null
cp v2/policy-0.2.0.zip policy.zip
cp pl/state.json before.json
run wharf-index plugin -p pl -k keys update policy
check_rc 4
check_err <<EOF
wharf-index plugin: $TP/policy.zip.minisig: signature verification failed
EOF
check_that "state unchanged" cmp -s before.json pl/state.json
check_that "files unchanged" grep -q '^version = "0.1.0"' pl/policy/plugin.toml
end

begin "update from the recorded file: switch, limits and fitting config kept"
wharf-index sign -s pub.key policy.zip >/dev/null
run wharf-index plugin -p pl -k keys update policy
check_rc 0
check_out <<'EOF'
updated policy 0.1.0 -> 0.2.0
EOF
check_err <<'EOF'
wharf-index plugin: note: config 'max_size_mb' dropped: policy 0.2.0 makes it a string
wharf-index plugin: note: config 'require_signer' dropped: policy 0.2.0 has no such setting
EOF
run wharf-index plugin -p pl list
check_out <<EOF
policy 0.2.0 validation_hook enabled, signed by $kid
  limits: fuel=5000000
  max_files = 3
  max_size_mb = "10MB"
  name_pattern = "a*"
stamp 0.1.0 post_processor disabled, signed by $kid
  prefix = "# "
  trailer = "published by wharf-index"
wasm-meta 0.1.0 metadata_extractor disabled, signed by $kid
EOF
check_that "new files in place" grep -q '^version = "0.2.0"' pl/policy/plugin.toml
check_that "nothing left aside" sh -c '! ls -a pl | grep -q "^\.\(replaced\|staging\)-"'
run wharf-index plugin -p pl -k keys update policy
check_out <<'EOF'
policy 0.2.0 is up to date
EOF
end

begin "update: --allow-unsigned does not waive a signed plugin's signature (exit 4)"
cp v3/policy-0.3.0.zip policy.zip
rm policy.zip.minisig
run wharf-index plugin -p pl -k keys update --allow-unsigned policy
check_rc 4
check_err <<EOF
wharf-index plugin: $TP/policy.zip: no signature $TP/policy.zip.minisig (use --allow-unsigned to install it anyway)
EOF
end

begin "update: one installed unsigned needs --allow-unsigned again"
cp conan-0.1.0.zip c.zip
wharf-index plugin -p pl install --allow-unsigned c.zip >/dev/null
cp v2/conan-0.2.0.zip c.zip
run wharf-index plugin -p pl update conan
check_rc 4
check_err <<EOF
wharf-index plugin: $TP/c.zip: no signature $TP/c.zip.minisig (use --allow-unsigned to install it anyway)
EOF
run wharf-index plugin -p pl update --allow-unsigned conan
check_rc 0
check_out <<'EOF'
updated conan 0.1.0 -> 0.2.0
EOF
check_empty_err
run wharf-index plugin -p pl list
check_out_has "conan 0.2.0 format_handler disabled, unsigned"
end

# --- logs ---------------------------------------------------------------------

mkdir pl/logs
cat >pl/logs/policy.log.1 <<'EOF'
{"call":"validate_upload","level":"warn","message":"old line","package":"a@1.0.0","time":1796432523}
EOF
cat >pl/logs/policy.log <<'EOF'
{"call":"validate_upload","level":"info","message":"tab\there\u001b[31m é","package":"zlib-app@1.0.0","time":1796432524}
{"call":"-","level":"warn","message":"3 more lines dropped","package":"-","time":1796432525}
{"call":"process","level":"error","message":"last","package":"sub/x.conan.txt","time":1796432526}
EOF
printf '{"call":"cut' >>pl/logs/policy.log

begin "logs: .1 then the current file, oldest first, escaped; a cut line skipped"
run wharf-index plugin -p pl logs policy
check_rc 0
check_out <<'EOF'
2026-12-05T01:02:03Z warn a@1.0.0 validate_upload: old line
2026-12-05T01:02:04Z info zlib-app@1.0.0 validate_upload: tab\x09here\x1b[31m é
2026-12-05T01:02:05Z warn - -: 3 more lines dropped
2026-12-05T01:02:06Z error sub/x.conan.txt process: last
EOF
check_empty_err
end

begin "logs -n N: the last N lines; --json: the lines as they are"
run wharf-index plugin -p pl logs policy -n 1
check_out <<'EOF'
2026-12-05T01:02:06Z error sub/x.conan.txt process: last
EOF
run wharf-index plugin -p pl logs policy --json -n 2
check_out <<'EOF'
{"call":"-","level":"warn","message":"3 more lines dropped","package":"-","time":1796432525}
{"call":"process","level":"error","message":"last","package":"sub/x.conan.txt","time":1796432526}
EOF
run wharf-index plugin -p pl logs policy -n x
check_rc 2
check_err <<'EOF'
wharf-index plugin: --lines 'x' is not a number from 0 to 1000000000
try 'wharf-index plugin --help'
EOF
end

begin "logs: none yet prints nothing; not installed is exit 6"
run wharf-index plugin -p pl logs stamp
check_rc 0
check_out </dev/null
check_empty_err
run wharf-index plugin -p pl logs nope
check_rc 6
check_err <<'EOF'
wharf-index plugin: plugin 'nope' is not installed
EOF
end

# --- profile --------------------------------------------------------------------

begin "profile: none yet"
run wharf-index plugin -p pl profile
check_rc 0
check_out <<'EOF'
no profile yet: run wharf-index build with plugins enabled
EOF
end

cat >pl/profile.json <<'EOF'
{"format":"wharf-plugin-profile/1","plugins":{"conan":{"parse_metadata":{"calls":1,"fuel":12353,"fuel_max":12353,"peak_memory":131072,"time_us":50,"time_us_max":50}},"policy":{"validate_upload":{"calls":4,"fuel":800000,"fuel_max":250000,"peak_memory":131000,"time_us":1000,"time_us_max":400}}},"time":1796432525}
EOF
begin "profile: a table per plugin and function; one plugin; --json"
run wharf-index plugin -p pl profile
check_rc 0
check_out <<'EOF'
plugin           function               calls      mean fuel       max fuel    mean ms     max ms  peak KiB
conan            parse_metadata             1          12353          12353       0.05       0.05       128
policy           validate_upload            4         200000         250000       0.25       0.40       128
EOF
run wharf-index plugin -p pl profile policy
check_out <<'EOF'
plugin           function               calls      mean fuel       max fuel    mean ms     max ms  peak KiB
policy           validate_upload            4         200000         250000       0.25       0.40       128
EOF
run wharf-index plugin -p pl profile stamp
check_out <<'EOF'
no profile of stamp yet: run wharf-index build with plugins enabled
EOF
run wharf-index plugin -p pl profile --json conan
check_out <<'EOF'
{
  "conan": {
    "parse_metadata": {
      "calls": 1,
      "fuel": 12353,
      "fuel_max": 12353,
      "peak_memory": 131072,
      "time_us": 50,
      "time_us_max": 50
    }
  }
}
EOF
end

begin "profile: a damaged one is refused (exit 3)"
sed 's/"calls":4/"calls":0/' pl/profile.json >p.json && mv p.json pl/profile.json
run wharf-index plugin -p pl profile
check_rc 3
check_err <<'EOF'
wharf-index plugin: pl/profile.json: plugin 'policy' function 'validate_upload': "calls" is not a count
EOF
end

# --- test -------------------------------------------------------------------------

cat >app.conan.txt <<'EOF'
# name: zlib-app
# version: 1.0.0
[requires]
zlib/1.2.13
EOF
# masked: the wall time of each call
masked() { sed 's/time [0-9]*\.[0-9][0-9] ms/time T ms/' "$T/.out" >"$T/.out2"; mv "$T/.out2" "$T/.out"; }

begin "test: a format handler's three functions on a file, with no plugin folder"
WHARF_PLUGINS_PATH= run wharf-index plugin test --plugin conan-0.1.0.zip --artifact app.conan.txt
check_rc 0
check_empty_err
masked
check_out <<'EOF'
parse_metadata: {"name":"zlib-app","version":"1.0.0"}
  fuel 12353, time T ms, peak memory 128 KiB
validate: {"allowed":true,"warnings":[]}
  fuel 5823, time T ms, peak memory 128 KiB
extract_dependencies: {"zlib":"=1.2.13"}
  fuel 4434, time T ms, peak memory 128 KiB
EOF
end

begin "test: a validation hook sees the package's name; a post-processor's result"
run wharf-index plugin test --plugin policy-0.1.0.zip --artifact stamp-0.1.0.zip
check_rc 0
masked
check_out_has 'validate_upload: {"allowed":true,"warnings":["stamp declares no license"]}'
run wharf-index plugin test --plugin stamp-0.1.0.zip --artifact app.conan.txt
check_rc 0
check_out_has 'process: {"data":"IyBuYW1lOiB6bGliLWFwcAojIHZlcnNpb246IDEuMC4wCltyZXF1aXJlc10KemxpYi8xLjIuMTMKIyBwdWJsaXNoZWQgYnkgd2hhcmYtaW5kZXggYXBwLmNvbmFuLnR4dEAwLjAuMAo=","metadata":{"processed_by":"stamp","stamped":"true"},"modified":true}'
end

begin "test: log lines at WHARF_PLUGIN_LOG_LEVEL go to stderr"
run wharf-index plugin test --plugin wasm-meta-0.1.0.zip --artifact app.conan.txt
check_rc 0
check_empty_err
WHARF_PLUGIN_LOG_LEVEL=debug run wharf-index plugin test --plugin wasm-meta-0.1.0.zip --artifact app.conan.txt
check_rc 0
masked
check_out <<'EOF'
extract: {}
  fuel 1323, time T ms, peak memory 128 KiB
EOF
check_err <<'EOF'
log: debug: no webassembly module in the data
EOF
end

begin "test: the environment's fuel limit stops a call (exit 8)"
WHARF_PLUGIN_MAX_FUEL=100 run wharf-index plugin test --plugin stamp-0.1.0.zip --artifact app.conan.txt
check_rc 8
masked
check_out <<'EOF'
process: error: plugin 'stamp': process: out of fuel after 100 instructions
  fuel 98, time T ms, peak memory 128 KiB
EOF
check_empty_err
end

begin "test: a bad environment, a missing option (exit 2)"
WHARF_PLUGIN_MAX_FUEL=abc run wharf-index plugin test --plugin stamp-0.1.0.zip --artifact app.conan.txt
check_rc 2
check_err <<'EOF'
wharf-index plugin: WHARF_PLUGIN_MAX_FUEL 'abc' is not a number from 1 to 18446744073709551615
EOF
run wharf-index plugin test --plugin stamp-0.1.0.zip
check_rc 2
check_err <<'EOF'
wharf-index plugin: test needs --plugin X.zip and --artifact FILE
EOF
end

begin "test: not a bundle (exit 3)"
run wharf-index plugin test --plugin app.conan.txt --artifact app.conan.txt
check_rc 3
check_out </dev/null
end

finish
