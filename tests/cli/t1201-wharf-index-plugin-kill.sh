#!/bin/sh
# t1201-wharf-index-plugin-kill.sh - never a half-changed plugin folder:
# kill -9 at every write, rename and unlink (WHARF_FS_FAULT=N:kill, N = 1,
# 2, ... until the command completes) of install, update, enable, config,
# limits and remove leaves `plugin list` saying exactly the old state or
# the new one, each plugin's folder holding the version listed; the next
# command that takes the lock finishes or undoes what was left, changing
# nothing listed (no staging or replaced folder stays), running the
# command again completes it, and a following remove and install work.
EX=$(cd "$(dirname "$0")/../.." && pwd)/examples/plugins
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

mkdir v2
sed -e 's/^version = "0.1.0"/version = "0.2.0"/' -e '/^require_signer/d' \
    "$EX/policy/plugin.toml" >v2/plugin.toml
for n in policy conan; do
    wharf pack --zip --manifest "$EX/$n/plugin.toml" "$WHARF_BUILD/examples/plugins/$n.wasm" -o . >/dev/null
done
wharf pack --zip --manifest v2/plugin.toml "$WHARF_BUILD/examples/plugins/policy.wasm" -o v2 >/dev/null
wharf-index keygen -W -p pub.pub -s pub.key >/dev/null
mkdir keys && cp pub.pub keys/
cp policy-0.1.0.zip policy.zip
for f in policy-0.1.0.zip conan-0.1.0.zip policy.zip; do wharf-index sign -s pub.key $f >/dev/null; done

P="wharf-index plugin -p pl -k keys"

# start STEP...: the state a command starts from, pl.before (and what
# `plugin list` says of it): policy 0.1.0 (from policy.zip, configured,
# limited) and, unless "without-conan", conan; policy.zip is then 0.2.0.
start() {
    rm -rf pl pl.before
    cp policy-0.1.0.zip policy.zip
    wharf-index sign -s pub.key policy.zip >/dev/null
    $P install policy.zip -q
    [ "${1:-}" = without-conan ] || $P install conan-0.1.0.zip -q
    $P config policy max_size_mb=5 require_signer=true -q
    $P limits policy time_ms=900 -q
    cp -R pl pl.before
    $P list >list.before
    cp v2/policy-0.2.0.zip policy.zip
    wharf-index sign -s pub.key policy.zip >/dev/null
}

# consistent WHEN [strict]: each listed plugin's folder holds its module
# and the version the state names, or (not strict: right after a kill)
# an update moved it aside, which the next holder of the lock puts right;
# strict: no staging or replaced folder is left.
consistent() {
    [ -n "${2:-}" ] && ls -a pl | grep -q '^\.\(staging\|replaced\)-' &&
        fail "$1: a folder left aside"
    jq -r '.plugins | to_entries[] | "\(.key) \(.value.version) \(.value.wasm)"' \
        pl/state.json | while read -r name ver wasm; do
        grep -q "^version = \"$ver\"" "pl/$name/plugin.toml" 2>/dev/null &&
            test -f "pl/$name/$wasm" && continue
        [ -z "${2:-}" ] && ls -a pl | grep -q "^\.replaced-$name\." && continue
        fail "$1: pl/$name does not hold $name $ver"
    done
}

# kill_each CMD...: CMD killed at each write in turn, from pl.before.
kill_each() {
    rm -rf pl && cp -R pl.before pl
    $P "$@" -q || fail "the clean run failed"
    $P list >list.after
    n=1
    while :; do
        rm -rf pl && cp -R pl.before pl
        WHARF_FS_FAULT=$n:kill $P "$@" -q 2>/dev/null
        r=$?
        [ $r = 0 ] && break
        [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
        $P list >list.now 2>&1
        cmp -s list.now list.before || cmp -s list.now list.after ||
            { fail "write $n: a state that is neither"; cat list.now; }
        consistent "write $n"
        # The next command that takes the lock (one that changes nothing)
        # finishes or undoes what was left.
        $P disable conan -q 2>/dev/null
        $P list >list.next
        cmp -s list.now list.next || fail "write $n: the next command changed the state"
        consistent "write $n, then a command" strict
        # Stopped before its commit, the change is still to be made.
        if cmp -s list.now list.before; then
            $P "$@" -q 2>next.err || { fail "write $n: the next run failed"; cat next.err; }
        fi
        $P list >list.now
        cmp -s list.now list.after || fail "write $n: the next run did not finish it"
        { $P remove policy -q 2>/dev/null || [ "$1" = remove ]; } &&
            $P install policy-0.1.0.zip -q && $P remove conan -q &&
            $P install conan-0.1.0.zip -q || fail "write $n: a following remove or install failed"
        consistent "write $n, then remove and install" strict
        n=$((n + 1))
        [ $n -gt 200 ] && { fail "no end to the writes"; break; }
    done
    check_that "writes were cut ($n)" test $n -gt 2
}

start without-conan
begin "kill -9 at every write of an install"
kill_each install conan-0.1.0.zip
end

start
begin "kill -9 at every write of an update"
kill_each update policy
end

begin "kill -9 at every write of an enable"
kill_each enable policy
end

begin "kill -9 at every write of a config"
kill_each config policy max_size_mb=7 'name_pattern=b*'
end

begin "kill -9 at every write of a limits"
kill_each limits policy fuel=1000 time_ms=
end

begin "kill -9 at every write of a remove"
kill_each remove policy
end

finish
