#!/bin/sh
# t0012-wasmrt-escape.sh - a WASI guest cannot leave its preopened
# directory: '..' above it, absolute paths, and symbolic links pointing
# out (relative or absolute, as the last component or in the middle) get
# ENOTCAPABLE, and nothing outside is created.  examples/wasm/escape.c
# calls path_open / path_filestat_get directly and prints what WASI
# answered; cat.c shows what the C library makes of it.
. "$(dirname "$0")/lib.sh"

examples=$(cd "$(dirname "$0")/../../examples/wasm" && pwd)
for p in escape cat; do
    clang --target=wasm32-wasi --sysroot=/usr -O2 -o "$T/$p.wasm" \
        "$examples/$p.c" 2>"$T/cc.err" ||
        { echo "FAIL: $suite: cannot compile $p.c:"; cat "$T/cc.err"; }
done

mkdir -p "$T/outside" "$T/box/sub"
printf 'top secret\n' >"$T/outside/secret.txt"
printf 'inside\n' >"$T/box/inside.txt"
ln -s ../outside "$T/box/out"                 # a relative link out
ln -s "$T/outside/secret.txt" "$T/box/abs"    # an absolute link out
ln -s inside.txt "$T/box/good"                # a link that stays inside
ln -s sub/.. "$T/box/subup"                   # '..' inside a link, inside
ln -s ../.. "$T/box/sub/upup"                 # a link climbing too far
ln -s loop "$T/box/loop"                      # a link to itself

begin "escape attempts through path_open and path_filestat_get"
run wasmrt --dir "$T/box::/box" "$T/escape.wasm" \
    inside.txt ./sub/../inside.txt ../outside/secret.txt ../box/inside.txt \
    /etc/passwd "$T/outside/secret.txt" sub/../../outside/secret.txt \
    out out/secret.txt abs good subup/inside.txt sub/upup/outside/secret.txt \
    loop . .. sub/
check_rc 0
check_out <<EOF
inside.txt
  open: ok "inside"
  open, follow: ok "inside"
  stat, follow: ok (file, 7 bytes)
./sub/../inside.txt
  open: ok "inside"
  open, follow: ok "inside"
  stat, follow: ok (file, 7 bytes)
../outside/secret.txt
  open: ENOTCAPABLE
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
../box/inside.txt
  open: ENOTCAPABLE
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
/etc/passwd
  open: ENOTCAPABLE
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
$T/outside/secret.txt
  open: ENOTCAPABLE
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
sub/../../outside/secret.txt
  open: ENOTCAPABLE
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
out
  open: ELOOP
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
out/secret.txt
  open: ENOTCAPABLE
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
abs
  open: ELOOP
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
good
  open: ELOOP
  open, follow: ok "inside"
  stat, follow: ok (file, 7 bytes)
subup/inside.txt
  open: ok "inside"
  open, follow: ok "inside"
  stat, follow: ok (file, 7 bytes)
sub/upup/outside/secret.txt
  open: ENOTCAPABLE
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
loop
  open: ELOOP
  open, follow: ELOOP
  stat, follow: ELOOP
.
  open: ok
  open, follow: ok
  stat, follow: ok (directory, $(stat -c %s "$T/box") bytes)
..
  open: ENOTCAPABLE
  open, follow: ENOTCAPABLE
  stat, follow: ENOTCAPABLE
sub/
  open: ok
  open, follow: ok
  stat, follow: ok (directory, $(stat -c %s "$T/box/sub") bytes)
EOF
check_empty_err
end

begin "creating files: refused outside, nothing is created there"
run wasmrt --dir "$T/box::/box" "$T/escape.wasm" +../created +out/created \
    +sub/upup/outside/created "+$T/outside/created" +new.txt
check_rc 0
check_out <<EOF
create ../created
  open: ENOTCAPABLE
create out/created
  open: ENOTCAPABLE
create sub/upup/outside/created
  open: ENOTCAPABLE
create $T/outside/created
  open: ENOTCAPABLE
create new.txt
  open: ok
EOF
check_that "nothing created beside the preopen" test ! -e "$T/created"
check_that "nothing created through the link" test ! -e "$T/outside/created"
check_that "the file inside was created" test "$(cat "$T/box/new.txt")" = created
end

begin "the C library's view: cat through a link out of the preopen"
run wasmrt --dir "$T/box::/box" "$T/cat.wasm" /box/out/secret.txt
check_rc 1
check_err <<'EOF'
cat: /box/out/secret.txt: Capabilities insufficient
EOF
check_out </dev/null
end

begin "the C library's view: an absolute path outside every preopen"
run wasmrt --dir "$T/box::/box" "$T/cat.wasm" "$T/outside/secret.txt"
check_rc 1
check_err <<EOF
cat: $T/outside/secret.txt: Capabilities insufficient
EOF
end

finish
