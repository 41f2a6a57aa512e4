#!/bin/sh
# t1203-wharf-index-build-plugins.sh - wharf-index build --plugins DIR:
# validation hooks (accept with a warning, refuse, trap, out of fuel, out
# of time, over memory, bad JSON, a log line kept or dropped by level), a
# disabled plugin ignored, WHARF_PLUGINS_ENABLED=0, a config change that
# re-judges cached packages, an unsigned plugin refused under
# --require-signatures, the profile, and the four example plugins
# together (metadata, a format:conan package, a post-processed copy that
# verifies and is restored when removed), kill -9 at every write of such a
# build, with exact messages and records.
EX=$(cd "$(dirname "$0")/../.." && pwd)/examples/plugins
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# Packages: two small .ferrpkg files, older than the cache's racy window.
mkdir pk
run_wasm run.wasm
for m in a b; do
    cat >$m.toml <<EOF
[module]
name = "$m"
version = "1.0.0"
author = "t"
description = "module $m"
license = "MIT"
EOF
    wharf pack --manifest $m.toml run.wasm -o pk >/dev/null
done
touch -d '1 hour ago' pk/*
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null

# mkhook NAME RESULT [BODY] [PAGES]: a validation hook in WAT whose
# validate_upload answers RESULT (JSON, placed at offset 0) unless BODY
# replaces its body; installed unsigned into pl/ and enabled.
mkhook() {
    name=$1 result=$2 body=${3:-} pages=${4:-1}
    len=$(printf '%s' "$result" | wc -c)
    esc=$(printf '%s' "$result" | sed 's/\\/\\\\/g; s/"/\\"/g')
    [ -n "$body" ] || body="(i64.const $len)"
    mkdir -p "src/$name"
    cat >"src/$name/$name.wat" <<EOF
(module
  (import "wharf" "log" (func \$log (param i32 i32 i32)))
  (memory (export "memory") $pages)
  (global \$bump (mut i32) (i32.const 4096))
  (data (i32.const 0) "$esc")
  (data (i32.const 2048) "judging a package")
  (func (export "alloc") (param i32) (result i32) (local i32)
    global.get \$bump local.set 1
    global.get \$bump local.get 0 i32.add global.set \$bump
    local.get 1)
  (func (export "validate_upload") (param i32 i32 i32 i32) (result i64)
    $body))
EOF
    wat2wasm "src/$name/$name.wat" -o "src/$name/$name.wasm"
    cat >"src/$name/plugin.toml" <<EOF
[plugin]
name = "$name"
version = "0.1.0"
description = "test hook"
author = "t"
license = "MIT"

[plugin.capabilities]
validation_hook = true
EOF
    wharf pack --zip --manifest "src/$name/plugin.toml" "src/$name/$name.wasm" -o src >/dev/null
    wharf-index plugin -p pl install --allow-unsigned "src/$name-0.1.0.zip" >/dev/null
    wharf-index plugin -p pl enable "$name" >/dev/null
}

build() { run wharf-index build pk -o site -s repo.key --plugins pl "$@"; }
# one hook enabled at a time: disable every other
only() {
    for p in $(wharf-index plugin -p pl list --json | jq -r 'keys[]'); do
        [ "$p" = "$1" ] && act=enable || act=disable
        wharf-index plugin -p pl $act "$p" >/dev/null
    done
}

begin "a hook that accepts with a warning: printed, kept in the index"
mkhook okwarn '{"allowed":true,"warnings":["looks odd"]}'
build
check_rc 0
check_err <<'EOF'
wharf-index build: warning: pk/a-1.0.0.ferrpkg: plugin 'okwarn': looks odd
wharf-index build: warning: pk/b-1.0.0.ferrpkg: plugin 'okwarn': looks odd
EOF
check_out_has "wrote 'site': 2 packages in 2 modules"
run jq -c '.modules.a.versions."1.0.0".warnings' site/index.json
check_out <<'EOF'
["plugin 'okwarn': looks odd"]
EOF
end

begin "the profile counts the build's calls"
run jq -c '.format, (.plugins.okwarn.validate_upload | .calls, (.fuel > 0), (.peak_memory == 65536))' pl/profile.json
check_out <<'EOF'
"wharf-plugin-profile/1"
2
true
true
EOF
end

begin "an unchanged build does not ask the plugins again"
build
check_rc 0
check_out_has "read 0 files, 2 unchanged"
run jq '.plugins.okwarn.validate_upload.calls // 0' pl/profile.json
check_out <<'EOF'
2
EOF
end

begin "a hook that refuses: the plugin's name and message, exit 4"
mkhook nope '{"allowed":false,"message":"no thanks","warnings":[]}'
only nope
build
check_rc 4
check_err <<'EOF'
wharf-index build: pk/a-1.0.0.ferrpkg: plugin 'nope': refused: no thanks
wharf-index build: pk/b-1.0.0.ferrpkg: plugin 'nope': refused: no thanks
wharf-index build: rejected 2 of 2 packages
EOF
check_out_has "wrote 'site': 0 packages in 0 modules"
end

begin "a disabled plugin is not run"
wharf-index plugin -p pl disable nope >/dev/null
build
check_rc 0
check_empty_err
check_out_has "read 2 files, 0 unchanged"
check_out_has "wrote 'site': 2 packages in 2 modules"
end

begin "a trap refuses the package, naming the plugin (exit 8)"
mkhook trap '' 'unreachable'
only trap
build
check_rc 8
check_err <<'EOF'
wharf-index build: pk/a-1.0.0.ferrpkg: plugin 'trap': validate_upload: trap: unreachable
wharf-index build: pk/b-1.0.0.ferrpkg: plugin 'trap': validate_upload: trap: unreachable
wharf-index build: rejected 2 of 2 packages
EOF
end

begin "out of fuel, under WHARF_PLUGIN_MAX_FUEL"
mkhook spin '' '(loop $l (br $l)) (i64.const 0)'
only spin
WHARF_PLUGIN_MAX_FUEL=100000 build
check_rc 8
check_err_has "pk/a-1.0.0.ferrpkg: plugin 'spin': validate_upload: out of fuel after 100000 instructions"
end

begin "out of time, under WHARF_PLUGIN_MAX_TIME_MS"
WHARF_PLUGIN_MAX_FUEL=18446744073709551615 WHARF_PLUGIN_MAX_TIME_MS=50 build -j 1
check_rc 8
check_err_has "pk/b-1.0.0.ferrpkg: plugin 'spin': validate_upload: out of time after 50 ms"
end

begin "a per-plugin limit overrides the system-wide one"
wharf-index plugin -p pl limits spin fuel=2000 >/dev/null
WHARF_PLUGIN_MAX_FUEL=100000 build
check_rc 8
check_err_has "plugin 'spin': validate_upload: out of fuel after 2000 instructions"
end

begin "over the memory limit, under WHARF_PLUGIN_MAX_MEMORY_MB"
mkhook big '{"allowed":true,"warnings":[]}' '' 40
only big
WHARF_PLUGIN_MAX_MEMORY_MB=1 build
check_rc 8
check_err_has "pk/a-1.0.0.ferrpkg: plugin 'big': validate_upload: memory limit exceeded: 1048576 bytes"
build
check_rc 0
end

begin "a result that is not JSON, or of the wrong shape"
mkhook badjson '{"allowed":tru'
only badjson
build
check_rc 3
check_err_has "pk/a-1.0.0.ferrpkg: plugin 'badjson': validate_upload: result is not JSON: line 1 column 14: invalid token near 'tru'"
mkhook shape '{"allow":true}'
only shape
build
check_rc 3
check_err_has "pk/a-1.0.0.ferrpkg: plugin 'shape': validate_upload: result: unknown key \"allow\""
end

begin "a bad limit in the environment is a usage error"
WHARF_PLUGIN_MAX_FUEL=abc build
check_rc 2
check_err_has "WHARF_PLUGIN_MAX_FUEL 'abc' is not a number"
end

begin "log lines are kept with time, package and call; lower levels are not"
mkhook talk '{"allowed":true,"warnings":[]}' '(call $log (i32.const 2) (i32.const 2048) (i32.const 17)) (i64.const 30)'
only talk
rm -f pl/logs/talk.log
build
check_rc 0
run jq -c '[.level, .package, .call, .message, (.time > 0)]' pl/logs/talk.log
check_out <<'EOF'
["warn","a@1.0.0","validate_upload","judging a package",true]
["warn","b@1.0.0","validate_upload","judging a package",true]
EOF
rm -f pl/logs/talk.log
WHARF_PLUGIN_LOG_LEVEL=error build --no-cache
check_rc 0
check_that "no log below the level" test ! -s pl/logs/talk.log
end

begin "a build keeps at most 1000 lines of a plugin's log, and says how many it dropped"
mkhook chatty '{"allowed":true,"warnings":[]}' '(local $i i32)
    (loop $l
      (call $log (i32.const 2) (i32.const 2048) (i32.const 17))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 600))))
    (i64.const 30)'
only chatty
build
check_rc 0
run wc -l pl/logs/chatty.log
check_out <<'EOF'
1001 pl/logs/chatty.log
EOF
run jq -c 'select(.package == "-") | [.level, .call, .message]' pl/logs/chatty.log
check_out <<'EOF'
["warn","-","200 more lines dropped"]
EOF
end

begin "WHARF_PLUGINS_ENABLED=0: no plugin runs, and the build says so"
only nope
WHARF_PLUGINS_ENABLED=0 build
check_rc 0
check_err <<'EOF'
wharf-index build: plugins are turned off (WHARF_PLUGINS_ENABLED)
EOF
check_out_has "wrote 'site': 2 packages in 2 modules"
end

begin "--require-signatures: an enabled unsigned plugin stops the build"
mkdir -p keys
build --require-signatures -k keys
check_rc 4
check_err <<'EOF'
wharf-index build: plugins: plugin 'nope' was installed unsigned, and signatures are required
EOF
end

# --- the four examples together --------------------------------------------------

begin "the examples: policy, wasm-meta, conan and stamp in one build"
only none
for n in policy conan stamp wasm-meta; do
    wharf pack --zip --manifest "$EX/$n/plugin.toml" "$WHARF_BUILD/examples/plugins/$n.wasm" -o ex >/dev/null
    wharf-index plugin -p pl install --allow-unsigned ex/$n-0.1.0.zip >/dev/null
    wharf-index plugin -p pl enable $n >/dev/null
done
cat >pk/zlib-app.conan.txt <<'EOF'
# name: zlib-app
# version: 1.0.0
# description: a demo
# license: MIT
# authors: Ada, Bob
# keywords: compression, demo
[requires]
zlib/1.2.13
EOF
touch -d '1 hour ago' pk/zlib-app.conan.txt
orig=$(sha256sum pk/zlib-app.conan.txt | cut -d' ' -f1)
build
check_rc 0
check_empty_err
check_out_has "wrote 'site': 3 packages in 3 modules"
run jq -c '.modules."zlib-app".versions."1.0.0" | del(.published, .sha256, .size)' site/index.json
check_out <<EOF
{"author":"Ada, Bob","categories":[],"dependencies":{"zlib":"=1.2.13"},"description":"a demo","file":"zlib-app.conan.txt","kind":"format:conan","license":"MIT","metadata":{"processed_by":"stamp","stamped":"true"},"original_sha256":"$orig","original_size":144,"path":"packages/zlib-app@1.0.0.conan.txt","processed_by":["stamp"],"signer":{"status":"unsigned"},"tags":["compression","demo"]}
EOF
run tail -n 1 site/packages/zlib-app@1.0.0.conan.txt
check_out <<'EOF'
# published by wharf-index zlib-app@1.0.0
EOF
run jq -c '.modules.a.versions."1.0.0".metadata' site/index.json
check_out <<'EOF'
{"license":"MIT","processed_by":"stamp","stamped":"false","wasm_custom_sections":"","wasm_sections":"4"}
EOF
run wharf-index verify site -p repo.pub
check_rc 0
end

begin "a processed copy removed from the site is made again"
build
check_out_has "read 0 files, 3 unchanged"
rm site/packages/zlib-app@1.0.0.conan.txt
build
check_rc 0
check_out_has "read 1 file, 2 unchanged"
run tail -n 1 site/packages/zlib-app@1.0.0.conan.txt
check_out <<'EOF'
# published by wharf-index zlib-app@1.0.0
EOF
end

begin "a config change re-judges every cached package"
run wharf-index plugin -p pl config policy max_size_mb=0
build
check_rc 4
check_out_has "read 3 files, 0 unchanged"
check_err_has "pk/zlib-app.conan.txt: plugin 'policy': refused: size 144 bytes exceeds max_size_mb 0"
run wharf-index plugin -p pl config policy max_size_mb=10
build
check_rc 0
check_out_has "read 3 files, 0 unchanged"
check_out_has "wrote 'site': 3 packages in 3 modules"
end

begin "kill -9 at every write of a build with plugins: the site verifies, old or new, logs whole"
printf '# name: zlib-app\n# version: 1.1.0\n# license: MIT\n[requires]\nzlib/1.3.1\n' >pk/zlib-app-1.1.conan.txt
touch -d '1 hour ago' pk/zlib-app-1.1.conan.txt
cp -R site site.old
cp -R pl pl.old
serial() { sed -n 's/^trusted comment: .* serial:\([0-9]*\) .*/\1/p' site/index.json.minisig; }
old=$(serial)
n=1
while [ $n -lt 300 ]; do
    rm -rf site pl && cp -R site.old site && cp -R pl.old pl
    WHARF_FS_FAULT=$n:kill wharf-index build pk -o site -s repo.key --plugins pl -q >/dev/null 2>"$T/b.err" && break
    [ $? = 137 ] || fail "write $n: not killed: $(cat "$T/b.err")"
    s=$(serial)
    [ "$s" = "$old" ] || [ "$s" = $((old + 1)) ] || fail "write $n: serial '$s' is neither old nor new"
    wharf-index verify site -p repo.pub -q 2>/dev/null || fail "write $n: the site does not verify"
    for f in pl/logs/*.log; do
        [ -e "$f" ] && { jq -e . "$f" >/dev/null || fail "write $n: $f has a broken line"; }
    done
    wharf-index build pk -o site -s repo.key --plugins pl -q 2>/dev/null || fail "write $n: the next build failed"
    wharf-index verify site -p repo.pub -q || fail "write $n: the next build does not verify"
    n=$((n + 1))
done
check_that "writes were cut ($n)" test $n -gt 20
run jq -r '.modules."zlib-app".versions."1.1.0".processed_by[0]' site/index.json
check_out <<'EOF'
stamp
EOF
rm -rf site.old pl.old pk/zlib-app-1.1.conan.txt
build
check_rc 0
end

begin "a format package whose name or file name a reader would refuse"
printf '# name: Bad/Name\n# version: 1.0.0\n[requires]\n' >pk/bad.conan.txt
printf '# name: odd\n# version: 1.0.0\n[requires]\n' >'pk/o\dd.conan.txt'
build
check_rc 3
check_err <<'EOF'
wharf-index build: pk/bad.conan.txt: plugin 'conan': parse_metadata: module name 'Bad/Name' contains '/'
wharf-index build: pk/o\dd.conan.txt: plugin 'conan': parse_metadata: 'file' 'o\dd.conan.txt' contains '\'
wharf-index build: rejected 2 of 5 packages
EOF
rm pk/bad.conan.txt 'pk/o\dd.conan.txt'
end

begin "a format handler's answer with a NUL in a name is refused"
mkdir -p src/nulfmt
cat >src/nulfmt/nulfmt.wat <<'EOF'
(module
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 8192))
  (data (i32.const 0) "{\"name\":\"ok\\u0000x\",\"version\":\"1.0.0\"}")
  (data (i32.const 100) "{\"allowed\":true,\"warnings\":[]}")
  (func (export "alloc") (param i32) (result i32) (local i32)
    global.get $bump local.set 1
    global.get $bump local.get 0 i32.add global.set $bump
    local.get 1)
  (func (export "parse_metadata") (param i32 i32) (result i64) (i64.const 38))
  (func (export "validate") (param i32 i32) (result i64) (i64.const 0x640000001e)))
EOF
wat2wasm src/nulfmt/nulfmt.wat -o src/nulfmt/nulfmt.wasm
printf '[plugin]\nname = "nulfmt"\nversion = "0.1.0"\ndescription = "n"\nauthor = "t"\nlicense = "MIT"\n[plugin.capabilities]\nformat_handler = true\nextensions = [".nul"]\n' >src/nulfmt/plugin.toml
wharf pack --zip --manifest src/nulfmt/plugin.toml src/nulfmt/nulfmt.wasm -o src >/dev/null
wharf-index plugin -p pl install --allow-unsigned -q src/nulfmt-0.1.0.zip
only nulfmt
echo x >pk/x.nul
build
check_rc 3
check_err <<'EOF'
wharf-index build: pk/x.nul: plugin 'nulfmt': parse_metadata: "name" holds a NUL
wharf-index build: rejected 1 of 3 packages
EOF
rm pk/x.nul
end

begin "a post-processor whose bytes are no longer the package is refused"
mkdir -p src/breaker
cat >src/breaker/breaker.wat <<'EOF'
(module
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 4096))
  (data (i32.const 0) "{\"data\":\"aGVsbG8=\",\"modified\":true,\"metadata\":{}}")
  (func (export "alloc") (param i32) (result i32) (local i32)
    global.get $bump local.set 1
    global.get $bump local.get 0 i32.add global.set $bump
    local.get 1)
  (func (export "process") (param i32 i32 i32 i32) (result i64) (i64.const 49)))
EOF
wat2wasm src/breaker/breaker.wat -o src/breaker/breaker.wasm
printf '[plugin]\nname = "breaker"\nversion = "0.1.0"\ndescription = "b"\nauthor = "t"\nlicense = "MIT"\n[plugin.capabilities]\npost_processor = true\n' >src/breaker/plugin.toml
wharf pack --zip --manifest src/breaker/plugin.toml src/breaker/breaker.wasm -o src >/dev/null
wharf-index plugin -p pl install --allow-unsigned -q src/breaker-0.1.0.zip
only breaker
build
check_rc 3
check_err_has "wharf-index build: pk/a-1.0.0.ferrpkg: plugin 'breaker': process: the result does not read as a package: offset 0x0: not a .ferrpkg, PAR or plugin bundle (starts with 68 65 6c 6c)"
end

finish
