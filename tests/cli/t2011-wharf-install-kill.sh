#!/bin/sh
# t2011-wharf-install-kill.sh - never a half-install: kill -9 at every
# write, rename and unlink of an install, an upgrade and an uninstall
# (the fault hook, WHARF_FS_FAULT=N:kill, N = 1, 2, ... until the command
# completes) leaves the previous state or the new one, whole (wharf list
# says one of the two, wharf verify finds every file as recorded), and the
# next run completes the change.  A failing write (EIO) leaves the
# previous state too.  A second wharf waits or stops with exit 7.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs
pkg() {
    mkpkg ferrpkg run.wasm "pkgs/$1-$2.ferrpkg" --set "name=\"$1\"" \
        --set "version=\"$2\"" --set "dependencies=${3:-{\}}"
}
pkg json 2.0.0
pkg json 2.1.0
pkg app 1.2.0 '{"json":"^2"}'
pkg hello 1.0.0
wharf-index build pkgs -o site -n repo -q --no-catalogue
wharf trust add repo.pub -q
wharf source add main "$T/site" -q
wharf update -q
wharf install hello@1.0.0 json@=2.0.0 -q
wharf list >list.before
cp -R "$WHARF_HOME" home.before

# kill_each CMD...: run CMD killed at each write in turn, from home.before,
# until it completes; after each kill the state is the old one or the new
# one (list.after, from a clean run), and verify passes.
kill_each() {
    rm -rf "$WHARF_HOME" && cp -R home.before "$WHARF_HOME"
    "$@" -q && wharf list >list.after || fail "the clean run failed"
    n=1
    while :; do
        rm -rf "$WHARF_HOME" && cp -R home.before "$WHARF_HOME"
        WHARF_FS_FAULT=$n:kill "$@" -q 2>/dev/null
        r=$?
        [ $r = 0 ] && break
        [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
        wharf list >list.now 2>&1
        cmp -s list.now list.before || cmp -s list.now list.after ||
            { fail "write $n: a state that is neither"; cat list.now; }
        wharf verify -q 2>verify.err || { fail "write $n: verify"; cat verify.err; }
        # Stopped before its commit, the change is still to be made.
        if cmp -s list.now list.before; then
            "$@" -q 2>next.err || { fail "write $n: the next run failed"; cat next.err; }
            [ -e "$WHARF_HOME/staging" ] && fail "write $n: staging left after the next run"
        fi
        wharf list >list.now
        cmp -s list.now list.after || fail "write $n: the next run did not finish it"
        wharf verify -q || fail "write $n: verify after the next run"
        n=$((n + 1))
        [ $n -gt 80 ] && { fail "no end to the writes"; break; }
    done
    check_that "writes were cut ($n)" test $n -gt 3
}

begin "kill -9 at every write of an install"
kill_each wharf install app
end

begin "kill -9 at every write of an upgrade"
kill_each wharf upgrade
end

begin "kill -9 at every write of an uninstall"
kill_each wharf uninstall hello
end

begin "a write that fails (EIO) at each point: an error, and a whole state"
rm -rf "$WHARF_HOME" && cp -R home.before "$WHARF_HOME"
wharf install app -q && wharf list >list.after
n=1
while :; do
    rm -rf "$WHARF_HOME" && cp -R home.before "$WHARF_HOME"
    WHARF_FS_FAULT=$n wharf install app -q 2>fault.err
    r=$?
    [ $r = 0 ] && break
    [ $r = 1 ] || { fail "write $n: exit status $r"; cat fault.err; break; }
    grep -q "nput/output error" fault.err || { fail "write $n: no reason"; cat fault.err; }
    wharf list >list.now
    cmp -s list.now list.before || cmp -s list.now list.after || fail "write $n: a state that is neither"
    wharf verify -q || fail "write $n: verify"
    n=$((n + 1))
    [ $n -gt 80 ] && { fail "no end to the writes"; break; }
done
end

begin "a second wharf that changes the root stops with exit 7"
rm -rf "$WHARF_HOME" && cp -R home.before "$WHARF_HOME"
exec 9>"$WHARF_HOME/.lock"
flock -x 9
run wharf install app
check_rc 7
exec 9>&-
end

finish
