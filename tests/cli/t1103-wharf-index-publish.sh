#!/bin/sh
# t1103-wharf-index-publish.sh - publishing never breaks a site:
#   - kill -9 at every write of a build (the fault hook's "N:kill" mode
#     stops it at the N-th write, fsync, rename, link or unlink, for every
#     N until a build runs through): each time the site verifies, old or
#     new, stock minisign accepts the signature against the index it names,
#     and the next build repairs everything and leaves no temporary;
#   - the same with each of those calls failing (EIO) instead;
#   - a reader that takes the signature and then the index it names, while
#     builds run, always holds a matching pair;
#   - two builds into one SITE never mix: the lock (exit 7 naming the
#     holder, or --wait), and many concurrent builds from two folders;
#   - temporaries of a killed build are removed and counted; pruning
#     reports what it removed.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
mkdir a b
mkpkg ferrpkg run.wasm a/hello.ferrpkg
mkpkg ferrpkg run.wasm a/world.ferrpkg --set name='"world"'
mkpar a/pay.par --ver 1.0 --seed t1103
mkpkg ferrpkg run.wasm b/hello.ferrpkg --set version='"1.1.0"'
mkpkg ferrpkg run.wasm b/extra.ferrpkg --set name='"extra"'
mkpar b/pay.par --ver 2.0 --seed t1103
wharf-index keygen -W >/dev/null
wharf-index keygen -W -p pub.pub -s pub.key >/dev/null
mkdir tk && cp pub.pub tk/
wharf-index sign -s pub.key a/world.ferrpkg
wharf-index sign -s pub.key b/extra.ferrpkg

# The hash the signature of SITE names.
named() { sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' "$1/index.json.minisig"; }
serial() { sed -n 's/^trusted comment: wharf-index\/1 serial:\([0-9]*\) .*/\1/p' "$1/index.json.minisig"; }
# Temporaries anywhere in SITE.
temps() { find "$1" -name '.*.tmp.*' -o -name '.*.link.*' | wc -l; }

# The old site: folder a, built once, then a rebuild from b is cut short.
wharf-index build a -o old -k tk -q || echo "build failed"
cp -R old old.copy

# check_site SITE: verify accepts it, and minisign accepts the signature
# with the by-hash index it names.
check_site() {
    wharf-index verify "$1" -q >"$T/v.out" 2>"$T/v.err" ||
        { fail "verify: $(cat "$T/v.err")"; return; }
    h=$(named "$1")
    minisign -Vqm "$1/by-hash/$h.json" -x "$1/index.json.minisig" -p repo.pub ||
        fail "minisign refused by-hash/$h.json with index.json.minisig"
    minisign -Vqm "$1/by-hash/$h.json" -p repo.pub ||
        fail "minisign refused by-hash/$h.json with its own signature"
}

# kill_each MODE: run the rebuild from b with the fault hook at N = 1, 2, ...
# until it finishes; after each stop check the site, then rebuild.
kill_each() {
    mode=$1 n=1
    while [ $n -lt 500 ]; do
        rm -rf site && cp -R old.copy site
        WHARF_FS_FAULT=$n$mode wharf-index build b -o site -k tk -q >/dev/null 2>"$T/b.err"
        rc=$?
        [ $rc = 0 ] && break
        if [ "$mode" = ":kill" ]; then
            [ $rc = 137 ] || fail "write $n: exit $rc, not killed: $(cat "$T/b.err")"
        else
            [ $rc = 1 ] || fail "write $n: exit $rc, expected 1: $(cat "$T/b.err")"
        fi
        s=$(serial site)
        [ "$s" = 1 ] || [ "$s" = 2 ] || fail "write $n: serial '$s' is neither old nor new"
        check_site site
        wharf-index build b -o site -k tk -q >/dev/null 2>&1 || fail "write $n: the next build failed"
        [ "$(serial site)" = 2 ] || [ "$(serial site)" = 3 ] || fail "write $n: next serial $(serial site)"
        [ "$(temps site)" = 0 ] || fail "write $n: temporaries left after the next build"
        check_site site
        n=$((n + 1))
    done
    echo $((n - 1)) >"$T/points"
}

begin "kill -9 at every write of a rebuild: the site verifies, old or new"
kill_each :kill
points=$(cat "$T/points")
check_that "at least 40 writes were cut ($points)" test "$points" -ge 40
check_that "the uninterrupted build verifies" wharf-index verify site -q
end

begin "every write failing (EIO): the build says so, the site verifies"
kill_each ""
points=$(cat "$T/points")
check_that "at least 40 writes failed ($points)" test "$points" -ge 40
end

begin "kill -9 at every write of a first build: no site or a whole one"
n=1
while [ $n -lt 200 ]; do
    rm -rf new
    WHARF_FS_FAULT=$n:kill wharf-index build a -o new -k tk -q >/dev/null 2>&1 && break
    if [ -e new/index.json.minisig ]; then
        check_site new
    else
        run wharf-index verify new -q
        check_rc 6
    fi
    wharf-index build a -o new -k tk -q 2>/dev/null || fail "write $n: the next build failed"
    check_site new
    n=$((n + 1))
done
check_that "writes were cut ($n)" test $n -gt 20
end

begin "a reader taking the signature, then the index it names, never mismatches"
rm -rf site && cp -R old.copy site
(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    wharf-index build a -o site -k tk -q --wait; wharf-index build b -o site -k tk -q --wait
 done; : >"$T/builds.done") &
pairs=0 misses=0
while [ ! -e "$T/builds.done" ]; do
    cp site/index.json.minisig r.sig 2>/dev/null || continue
    h=$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' r.sig)
    if cp "site/by-hash/$h.json" r.json 2>/dev/null; then
        minisign -Vqm r.json -x r.sig -p repo.pub || fail "a mismatched pair (sha256 $h)"
        pairs=$((pairs + 1))
    else
        misses=$((misses + 1))     # pruned two builds later: read again
    fi
done
wait
check_that "the reader checked pairs ($pairs, $misses misses)" test $pairs -gt 10
check_that "the serial counted every build" test "$(serial site)" = 31
end

begin "a held lock: exit 7 naming the holder; --wait waits for it"
rm -rf site && cp -R old.copy site
printf 'pid 4242 wharf-index build since 2026-01-01 00:00:00 UTC\n' >site/.wharf-lock
flock site/.wharf-lock sleep 2 &
sleep 0.3
run wharf-index build b -o site -k tk
check_rc 7
check_err <<'EOF'
wharf-index build: site/.wharf-lock: locked by pid 4242 wharf-index build since 2026-01-01 00:00:00 UTC
EOF
check_that "nothing written" diff -r -x .wharf-lock old.copy site
run wharf-index build b -o site -k tk --wait
check_rc 0
check_err <<'EOF'
wharf-index build: site/.wharf-lock: waiting for pid 4242 wharf-index build since 2026-01-01 00:00:00 UTC
EOF
check_that "then it built" test "$(serial site)" = 2
wait
end

begin "a lock file that is a link is refused, exit 3"
rm -rf site && cp -R old.copy site
rm site/.wharf-lock && ln -s /etc/passwd site/.wharf-lock
run wharf-index build b -o site -k tk
check_rc 3
check_err <<'EOF'
wharf-index build: site/.wharf-lock: symbolic link not followed
EOF
end

begin "two builds from different folders into one SITE, many times: never mixed"
rm -rf site && cp -R old.copy site
(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    wharf-index build a -o site -k tk --wait --json || echo "a failed"; done >ja.out 2>ja.err) &
(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    wharf-index build b -o site -k tk --wait --json || echo "b failed"; done >jb.out 2>jb.err) &
wait
check_that "no build failed" test -z "$(grep -h failed ja.out jb.out)"
check_that "every serial once (2..41)" test "$(sed 's/.*"serial":\([0-9]*\).*/\1/' ja.out jb.out | sort -n | tr '\n' ' ')" = "$(seq 2 41 | tr '\n' ' ')"
check_that "the site verifies" wharf-index verify site -q
run sh -c 'ls site/packages | sed "s/@.*//" | sort -u | tr "\n" " "'
case $(cat "$T/.out") in
    "extra fake-payments hello ") ;;       # b's
    "fake-payments hello world ") ;;       # a's
    *) fail "the packages mix both folders: $(cat "$T/.out")" ;;
esac
end

begin "without --wait, a second build stops with exit 7 or runs after"
rm -rf site && cp -R old.copy site
for i in 1 2 3 4 5 6 7 8 9 10; do
    wharf-index build a -o site -k tk -q >/dev/null 2>>lk.err & p1=$!
    wharf-index build b -o site -k tk -q >/dev/null 2>>lk.err & p2=$!
    wait $p1; r1=$?; wait $p2; r2=$?
    echo "$r1 $r2" >>lk.rc
done
check_that "every status is 0 or 7" test -z "$(tr ' ' '\n' <lk.rc | grep -v '^[07]$')"
check_that "every refusal names a pid: $(grep -v 'site/.wharf-lock: locked by pid [0-9]* wharf-index build since ' lk.err)" test -z "$(grep -v 'site/.wharf-lock: locked by pid [0-9]* wharf-index build since ' lk.err)"
check_that "the site verifies" wharf-index verify site -q
end

begin "temporaries of a killed build are removed and counted"
rm -rf site && cp -R old.copy site
: >site/.index.json.tmp.AbC123
: >site/by-hash/.x.json.tmp.q1w2e3
: >site/packages/.hello@1.0.0.ferrpkg.link.999
: >site/keys/.repo.pub.tmp.zzzzzz
run sh -c 'wharf-index build a -o site -k tk | sed -n 1p'
check_out <<EOF
removed 4 temporary files left by an interrupted build
EOF
check_that "none left" test "$(temps site)" = 0
end

begin "pruning says how many files it removed; one generation is kept"
h1=$(named site)
run wharf-index build b -o site -k tk
check_rc 0
check_out_has "removed 4 files no longer listed"
h2=$(named site)
check_that "the previous generation is kept" test -e site/by-hash/$h1.json.minisig
wharf-index build b -o site -k tk -q
check_that "the one before is removed" test ! -e site/by-hash/$h1.json
check_that "the previous is kept" test -e site/by-hash/$h2.json
check_that "three generations of files at most" test "$(ls site/by-hash | wc -l)" = 6
end

finish
