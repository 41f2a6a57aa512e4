#!/bin/sh
# t2006-wharf-info.sh - wharf info: a module's latest version in detail
# (Cargo's rule: not a pre-release or yanked one when there is another)
# and every version, newest first, marked prerelease or yanked; a PAR's
# targets; --json, the merged versions with their source; several
# sources (the first having a version wins it); an expired index; index
# text shown without control characters; the copy read through the
# table's span; a missing or stale table rebuilt.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
wharf-index keygen -W -p old.pub -s old.key >/dev/null
sde=$(date +%s)
today=$(date -u -d "@$sde" +%Y-%m-%d)
mkdir pkgs oldpkgs
mkpkg ferrpkg run.wasm pkgs/hello-1.0.0.ferrpkg --set 'description="says hello"'
mkpkg ferrpkg run.wasm pkgs/hello-1.1.0.ferrpkg --set 'version="1.1.0"' \
    --set 'description="says hello, better"' --set 'categories=["text","tools"]' \
    --set 'tags=["greeting"]' --set 'dependencies={"base":"^1.0","util":"=0.3.0"}'
mkpkg ferrpkg run.wasm pkgs/hello-1.2.0.ferrpkg --set 'version="1.2.0"'
mkpkg ferrpkg run.wasm pkgs/hello-2.0.0-rc.1.ferrpkg --set 'version="2.0.0-rc.1"'
mkpkg ferrpkg run.wasm pkgs/base.ferrpkg --set 'name="base"' --set 'license="Apache-2.0"'
mkpkg ferrpkg run.wasm pkgs/gone.ferrpkg --set 'name="gone"' \
    --set 'description="bad \u001b]0;title\u0007 news"'
mkpar pkgs/pay.par --seed t --ver 0.3.0 --bin-text x86_64-linux.bin=a \
    --bin-text aarch64-linux.bin=b
printf 'hello@1.2.0 too loud\ngone@1.0.0 see CVE-2026-1\n' >pkgs/yanked
SOURCE_DATE_EPOCH=$sde wharf-index build pkgs -o site -q --no-catalogue
mkpkg ferrpkg run.wasm oldpkgs/hello-0.9.0.ferrpkg --set 'version="0.9.0"'
mkpkg ferrpkg run.wasm oldpkgs/hello-1.1.0.ferrpkg --set 'version="1.1.0"' \
    --set 'description="an older build"'
SOURCE_DATE_EPOCH=1700000000 wharf-index build oldpkgs -o oldsite -s old.key -q --no-catalogue
copy="$WHARF_HOME/indexes/main"
# LeakSanitizer cannot work under strace (ptrace): off for those runs.
NOLEAK="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
table() { echo "$copy/table-$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' "$copy/index.json.minisig").bin"; }

begin "--help is the option table; one NAME (exit 2)"
run wharf info --help
check_rc 0
check_out_has "usage: wharf info NAME [options]"
check_out_has "--json"
run wharf info
check_rc 2
check_err_has "wharf info: no module NAME given"
run wharf info a b
check_rc 2
check_err_has "wharf info: one module NAME only"
end

begin "no sources; no such module (exit 6)"
run wharf info hello
check_rc 6
check_err <<'EOF'
wharf info: no sources (wharf source add NAME LOCATION)
EOF
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
wharf update -q
run wharf info nope
check_rc 6
check_err <<'EOF'
wharf info: no module 'nope' in any source
EOF
end

begin "the latest version (neither yanked nor a prerelease) and every version"
run wharf info hello
check_rc 0
check_out <<EOF
hello 1.1.0
description:  says hello, better
author:       Ada
license:      MIT
kind:         ferrpkg
categories:   text, tools
tags:         greeting
dependencies: base ^1.0, util =0.3.0
size:         299 bytes
sha256:       9ad9de44fde7283ea214bb53d74013187753ae1f2fc518fb1a8364e6f1eb91c8
signer:       unsigned
source:       main
published:    $today
versions:
  2.0.0-rc.1  $today  prerelease
  1.2.0       $today  yanked: too loud
  1.1.0       $today
  1.0.0       $today
EOF
check_empty_err
end

begin "only yanked versions: the latest is yanked, and says why; text escaped"
run wharf info gone
check_rc 0
check_out <<EOF
gone 1.0.0
description:  bad \x1b]0;title\x07 news
author:       Ada
license:      MIT
kind:         ferrpkg
categories:   (none)
tags:         (none)
dependencies: (none)
size:         212 bytes
sha256:       e38ec06ea6a5697167917e5f84139fd086d6dfa962d61d59b7317a2731c1a229
signer:       unsigned
source:       main
published:    $today
yanked:       see CVE-2026-1
versions:
  1.0.0  $today  yanked: see CVE-2026-1
EOF
end

begin "a PAR: its targets and its signer"
run wharf info fake-payments
check_rc 0
check_out <<EOF
fake-payments 0.3.0
description:  (none)
author:       wharf tests
license:      (none)
kind:         par
categories:   (none)
tags:         (none)
dependencies: (none)
size:         4608 bytes
sha256:       459184c7d7853af38d1917db3fd9a4b303ba872e64502e193b96948908514077
signer:       untrusted, key AACZOWNXW2VDJUFV6APD7Z4J5IPBU4UO2C7CH4KGXMG7KYEPP53XQAAV
source:       main
published:    $today
targets:      aarch64-linux, x86_64-linux
versions:
  0.3.0  $today
EOF
end

begin "--json: the versions, each with its source"
run wharf info base --json
check_rc 0
check_out <<EOF
{"1.0.0":{"author":"Ada","categories":[],"dependencies":{},"description":"a test module","ferrite":{"checksum":"c54b2274c55f2025bcbf4c67ab1e4d22","checksum_algorithm":"fnv1a-double"},"kind":"ferrpkg","license":"Apache-2.0","path":"packages/base@1.0.0.ferrpkg","published":$sde,"sha256":"fea03cf2feed360b56235b2bf8831d2678eb55f18cd112ab7460b25dc2ed6d2f","signer":{"status":"unsigned"},"size":203,"source":"main","tags":[],"wasm":{"exports":[{"kind":"func","name":"run","type":"() -> ()"}],"imports":[]}}}
EOF
end

begin "info maps the copy and reads the module's span"
run env "$NOLEAK" strace -f -qq -e trace=open,openat,openat2 -o "$T/trace" wharf info base
check_rc 0
check_that "the table was read" grep -q "table-.*\.bin" "$T/trace"
check_that "the copy was opened once" test "$(grep -c 'by-hash/.*\.json' "$T/trace")" = 1
end

begin "a missing table, then a stale one: rebuilt, the same answer"
wharf info hello >want.out
tb=$(table)
cp "$tb" good.table
rm "$tb"
run wharf info hello
check_rc 0
check_that "the same" cmp -s "$T/.out" want.out
check_empty_err
check_that "saved" cmp -s "$tb" good.table
wharf source add tmp "$T/oldsite" -q
wharf trust add old.pub -q
wharf update tmp --allow-expired -q 2>/dev/null
cp "$WHARF_HOME"/indexes/tmp/table-*.bin stale.table
wharf source remove tmp -q
cp stale.table "$tb"
run wharf info hello
check_rc 0
check_that "the same" cmp -s "$T/.out" want.out
check_empty_err
check_that "rebuilt" cmp -s "$tb" good.table
end

begin "several sources: the first having a version wins it; expired: a warning"
wharf source add old "$T/oldsite" -q
wharf update old --allow-expired -q 2>/dev/null
run wharf info hello
check_rc 0
check_out <<EOF
hello 1.1.0
description:  says hello, better
author:       Ada
license:      MIT
kind:         ferrpkg
categories:   text, tools
tags:         greeting
dependencies: base ^1.0, util =0.3.0
size:         299 bytes
sha256:       9ad9de44fde7283ea214bb53d74013187753ae1f2fc518fb1a8364e6f1eb91c8
signer:       unsigned
source:       main
published:    $today
versions:
  2.0.0-rc.1  $today  prerelease  (main)
  1.2.0       $today  yanked: too loud  (main)
  1.1.0       $today  (main)
  1.0.0       $today  (main)
  0.9.0       2023-11-14  (old)
EOF
check_err <<'EOF'
wharf info: warning: source 'old': the index expired on 2024-02-12; run wharf update
EOF
end

finish
