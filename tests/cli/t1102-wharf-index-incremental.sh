#!/bin/sh
# t1102-wharf-index-incremental.sh - the cache in SITE/.wharf-cache.json:
# a rebuild reads only what changed (path, size, mtime, inode), gives the
# bytes a full build gives, remembers rejections (a PAR's too, unless time
# can undo them: expired claims), re-checks a signature
# when its file or the trusted keys change, ignores a tampered cache, and
# never trusts a file modified within the last two seconds ("racy").
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
cat >plugin.toml <<'EOF'
[plugin]
name = "fmt-md"
version = "0.3.0"
description = "formats markdown"
author = "Bea"
license = "Apache-2.0"
EOF
mkdir pkgs tk
mkpkg ferrpkg run.wasm pkgs/a.ferrpkg --set name='"alpha"'
mkpkg ferrpkg run.wasm pkgs/b.ferrpkg --set name='"beta"'
mkpkg ferrpkg run.wasm pkgs/bad.ferrpkg --header-len 9999
mkpkg zip pkgs/fmt.zip plugin.toml=plugin.toml fmt.wasm=run.wasm
mkpar pkgs/pay.par.gz --gzip --ver 1.0 --seed t1102
echo "notes" >pkgs/NOTES
wharf-index keygen -W >/dev/null
wharf-index keygen -W -p pub.pub -s pub.key >/dev/null
wharf-index sign -s pub.key pkgs/b.ferrpkg
# Old enough not to be racy.
touch -d @1600000000 pkgs/*
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

# summary: the counts of a --json summary
summary() { sed 's/.*"packages":\([0-9]*\),"read":\([0-9]*\),"rejected".*"unchanged":\([0-9]*\).*/packages \1 read \2 unchanged \3/' "$T/.out"; }

# full_matches: a build of a copy of the site without its cache (made
# before the incremental one) gives the same bytes.
full_copy() { rm -rf full && cp -R site full && rm -f full/.wharf-cache.json*; }
full_matches() {
    wharf-index build pkgs -o full -n site --no-cache -q 2>/dev/null
    for f in index.json index.json.gz index.json.minisig; do
        cmp -s site/$f full/$f || fail "$f differs from a full build's"
    done
}

begin "a first build reads every package, once"
run wharf-index build pkgs -o site --json
check_rc 3
check_that "counts" test "$(summary)" = "packages 5 read 5 unchanged 0"
check_err <<'EOF'
wharf-index build: pkgs/bad.ferrpkg: offset 0x4: truncated: header length 9999 but only 189 bytes follow
wharf-index build: rejected 1 of 5 packages
EOF
end

begin "nothing changed: nothing read; the rejection is remembered; same bytes as a full build"
full_copy
run wharf-index build pkgs -o site
check_rc 3
check_out <<'EOF'
read 0 files, 5 unchanged
wrote 'site': 4 packages in 4 modules, serial 2, expires 2024-02-12
catalogue: 9 files, 1 written
EOF
check_err <<'EOF'
wharf-index build: pkgs/bad.ferrpkg: offset 0x4: truncated: header length 9999 but only 189 bytes follow
wharf-index build: rejected 1 of 5 packages
EOF
full_matches
end

begin "one file changed: only it is read; same bytes as a full build"
full_copy
mkpkg ferrpkg run.wasm pkgs/a.ferrpkg --set name='"alpha"' --set description='"changed"'
touch -d @1600000100 pkgs/a.ferrpkg
run wharf-index build pkgs -o site --json
check_that "counts" test "$(summary)" = "packages 5 read 1 unchanged 4"
check_that "new description" grep -q '"description":"changed"' site/index.json
full_matches
end

begin "a new inode with the same size and mtime is read again"
full_copy
cp -p pkgs/fmt.zip x && rm pkgs/fmt.zip && mv x pkgs/fmt.zip
run wharf-index build pkgs -o site --json
check_that "counts" test "$(summary)" = "packages 5 read 1 unchanged 4"
full_matches
end

begin "a file modified just now is read on every build until it is old enough"
mkpkg ferrpkg run.wasm pkgs/c.ferrpkg --set name='"gamma"'
# An mtime in the future stays "just now" however slow the builds are.
touch -d "@$(($(date +%s) + 3600))" pkgs/c.ferrpkg
run wharf-index build pkgs -o site --json
check_that "counts (1)" test "$(summary)" = "packages 6 read 1 unchanged 5"
run wharf-index build pkgs -o site --json
check_that "counts (2)" test "$(summary)" = "packages 6 read 1 unchanged 5"
touch -d @1600000000 pkgs/c.ferrpkg
run wharf-index build pkgs -o site --json
run wharf-index build pkgs -o site --json
check_that "counts (3)" test "$(summary)" = "packages 6 read 0 unchanged 6"
end

begin "trusting a key re-reads the packages it signed, and only those"
full_copy
cp pub.pub tk/
run wharf-index build pkgs -o site -k tk --json
check_that "counts" test "$(summary)" = "packages 6 read 1 unchanged 5"
check_that "beta verified" grep -q '"signer":{"key_id":"[0-9A-F]*","status":"verified"}' site/index.json
wharf-index build pkgs -o full -n site -k tk --no-cache -q 2>/dev/null
cmp -s site/index.json full/index.json || fail "index.json differs from a full build's"
run wharf-index build pkgs -o site -k tk --json
check_that "then cached" test "$(summary)" = "packages 6 read 0 unchanged 6"
end

begin "a replaced signature is checked again"
wharf-index sign -s pub.key -t "again" pkgs/b.ferrpkg
touch -d @1600000000 pkgs/b.ferrpkg.minisig
run wharf-index build pkgs -o site -k tk --json
check_that "counts" test "$(summary)" = "packages 6 read 1 unchanged 5"
wharf-index sign -s repo.key -x pkgs/b.ferrpkg.minisig pkgs/a.ferrpkg
cp pub.pub tk/ && cp repo.pub tk/
touch -d @1600000000 pkgs/b.ferrpkg.minisig
run wharf-index build pkgs -o site -k tk
check_rc 4
check_err_has "wharf-index build: pkgs/b.ferrpkg.minisig: signature verification failed"
wharf-index sign -s pub.key pkgs/b.ferrpkg
touch -d @1600000000 pkgs/b.ferrpkg.minisig
end

begin "a tampered cache is ignored, and everything read"
sed 's/"alpha"/"omega"/' site/.wharf-cache.json >x && mv x site/.wharf-cache.json
run wharf-index build pkgs -o site --json
check_that "counts" test "$(summary)" = "packages 6 read 6 unchanged 0"
check_err_has "wharf-index build: site/.wharf-cache.json: ignored: site/.wharf-cache.json.minisig: signature verification failed"
check_that "no omega" test -z "$(grep omega site/index.json)"
end

begin "a rejected PAR is remembered; one whose claims expired is read again"
mkdir pp
mkpar pp/bomb.par.gz --gzip --tamper x86_64-linux.bin --seed t1102
mkpar pp/old.par --exp 1600000000 --name Old --seed t1102
touch -d @1600000000 pp/*
run wharf-index build pp -o psite --json
check_rc 4
check_that "counts" test "$(summary)" = "packages 2 read 2 unchanged 0"
cp "$T/.err" first.err
run wharf-index build pp -o psite --json
check_rc 4
check_that "counts" test "$(summary)" = "packages 2 read 1 unchanged 1"
check_err <first.err
check_err <<'EOF'
wharf-index build: pp/bomb.par.gz: entry 'x86_64-linux.bin': sha256 does not match the claims
wharf-index build: pp/old.par: claims.jwt: token expired at 1600000000
wharf-index build: rejected 2 of 2 packages
EOF
end

begin "--no-cache reads everything; a removed file leaves the index"
rm pkgs/c.ferrpkg
run wharf-index build pkgs -o site --no-cache --json
check_that "counts" test "$(summary)" = "packages 5 read 5 unchanged 0"
check_that "gamma gone" test -z "$(grep gamma site/index.json)" -a ! -e site/packages/gamma@1.0.0.ferrpkg
end

finish
