#!/bin/sh
# t1104-wharf-index-hostile-names.sh - wharf-index build over a package
# folder someone else fills: what sits beside a package (FIFOs, links) is
# never waited on or followed, and file names cannot forge output lines or
# send terminal escapes (they are quoted like names inside archives:
# printable ASCII as is, other bytes as \xNN).
#
# Every build runs under `timeout 20`: a regression that opens a FIFO
# hangs, and shows here as exit 124.  "Not opened" is proved with strace
# (.ci/packages) and, without it, by links to FIFOs that would hang.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# A module exporting "run" () -> ().
run_wasm run.wasm
wharf-index keygen -W >/dev/null
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
# LeakSanitizer cannot run under ptrace; leaks are checked by every
# other run of the same binary.
NOLEAK="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# pkgdir NAME: a folder holding hello 1.0.0.
pkgdir() {
    mkdir "$1" && mkpkg ferrpkg run.wasm "$1/hello-1.0.0.ferrpkg"
}

begin "a FIFO named X.minisig: rejected at once, not waited on"
pkgdir fifo
mkfifo fifo/hello-1.0.0.ferrpkg.minisig
run timeout 20 wharf-index build fifo -o s1 -q
check_rc 3
check_err <<'EOF'
wharf-index build: fifo/hello-1.0.0.ferrpkg.minisig: not a regular file
wharf-index build: rejected 1 of 1 package
EOF
check_that "hello left out" test ! -e s1/packages/hello@1.0.0.ferrpkg
end

begin "a signature replaced by a FIFO after a good build: the cache does not hide it"
pkgdir later
wharf-index sign -s repo.key later/hello-1.0.0.ferrpkg
run timeout 20 wharf-index build later -o s2 -q
check_rc 0
check_empty_err
rm later/hello-1.0.0.ferrpkg.minisig
mkfifo later/hello-1.0.0.ferrpkg.minisig
run timeout 20 wharf-index build later -o s2 -q
check_rc 3
check_err <<'EOF'
wharf-index build: later/hello-1.0.0.ferrpkg.minisig: not a regular file
wharf-index build: rejected 1 of 1 package
EOF
end

begin "X.minisig linking to /etc/passwd: rejected, the target never opened"
# strace -y prints the file each returned descriptor is: "= 3</etc/passwd>"
# for an open that followed the link.
pkgdir etc
ln -s /etc/passwd etc/hello-1.0.0.ferrpkg.minisig
run env "$NOLEAK" strace -f -qq -y -e trace=open,openat,openat2 -o trace \
    timeout 20 wharf-index build etc -o s3 -q
check_rc 3
check_err <<'EOF'
wharf-index build: etc/hello-1.0.0.ferrpkg.minisig: symbolic link not followed
wharf-index build: rejected 1 of 1 package
EOF
check_that "strace saw the key opened" grep -q '"repo.key"' trace
check_that "/etc/passwd never opened" sh -c '! grep -q "/etc/passwd" trace'
end

begin "X.minisig linking to a FIFO: not followed (following it would hang)"
pkgdir lfifo
mkfifo trap
ln -s "$T/trap" lfifo/hello-1.0.0.ferrpkg.minisig
run timeout 20 wharf-index build lfifo -o s4 -q
check_rc 3
check_err <<'EOF'
wharf-index build: lfifo/hello-1.0.0.ferrpkg.minisig: symbolic link not followed
wharf-index build: rejected 1 of 1 package
EOF
end

begin "FIFOs named like packages are rejected, others and their .minisig ignored"
pkgdir ff
mkfifo ff/x.ferrpkg ff/y.par.gz ff/notes
echo "read me" >ff/readme.txt
mkfifo ff/readme.txt.minisig
run timeout 20 wharf-index build ff -o s5 -q
check_rc 3
check_err <<'EOF'
wharf-index build: ff/x.ferrpkg: not a regular file
wharf-index build: ff/y.par.gz: not a regular file
wharf-index build: rejected 2 of 3 packages
EOF
check_that "hello indexed" test -f s5/packages/hello@1.0.0.ferrpkg
end

begin "a key given through a symbolic link is still read"
pkgdir viakey
ln -s repo.key link.key
run timeout 20 wharf-index build viakey -o s6 -s link.key -q
check_rc 0
check_empty_err
end

begin "file names with a newline or ESC [ are quoted, not printed raw"
mkdir names
echo garbage >"names/$(printf 'a\nwharf-index build: b').ferrpkg"
echo garbage >"names/$(printf '\033[31mred\033[0m').ferrpkg"
echo garbage >"names/caf$(printf '\303\251').zip"
run timeout 20 wharf-index build names -o s7 -q
check_rc 3
check_err <<'EOF'
wharf-index build: names/\x1b[31mred\x1b[0m.ferrpkg: offset 0x0: not a .ferrpkg, PAR or plugin bundle (starts with 67 61 72 62)
wharf-index build: names/a\x0awharf-index build: b.ferrpkg: offset 0x0: not a .ferrpkg, PAR or plugin bundle (starts with 67 61 72 62)
wharf-index build: names/caf\xc3\xa9.zip: offset 0x0: not a .ferrpkg, PAR or plugin bundle (starts with 67 61 72 62)
wharf-index build: rejected 3 of 3 packages
EOF
check_that "stderr is printable ASCII" sh -c '! LC_ALL=C grep -q "[^ -~]" "$1"' - "$T/.err"
end

begin "a name in the reason (a duplicate's) is quoted too"
pkgdir dup
cp dup/hello-1.0.0.ferrpkg "dup/$(printf 'z\033]0;owned\007').ferrpkg"
run timeout 20 wharf-index build dup -o s8 -q
check_rc 5
check_err <<'EOF'
wharf-index build: dup/hello-1.0.0.ferrpkg: 'hello@1.0.0' is also claimed by 'dup/z\x1b]0;owned\x07.ferrpkg'
wharf-index build: dup/z\x1b]0;owned\x07.ferrpkg: 'hello@1.0.0' is also claimed by 'dup/hello-1.0.0.ferrpkg'
wharf-index build: rejected 2 of 2 packages
EOF
end

begin "wharf-index sign refuses a FIFO without waiting"
mkfifo tosign
run timeout 20 wharf-index sign -s repo.key tosign
check_rc 1
check_err <<'EOF'
wharf-index sign: tosign: not a regular file
EOF
check_that "no signature written" test ! -e tosign.minisig
end

finish
