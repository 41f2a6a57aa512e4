#!/bin/sh
# t2024-wharf-publish.sh - wharf publish: verified packages and their
# signatures copied into a package folder as NAME-VERSION.EXT; the same
# file again is fine, another file of a published version is refused
# (also under another extension or build metadata, and between two
# operands), a bad or untrusted package stops the whole run before
# anything is written, --dry-run writes nothing, the folder's lock, a
# kill -9 at every write leaves a folder the next run completes, and the
# folder builds into a site.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p pub.pub -s pub.key >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
KEYID=$(sed -n 's/^untrusted comment: minisign public key //p' pub.pub)
OTHERID=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)

# manifest NAME VERSION [DESCRIPTION]: NAME-VERSION.toml
manifest() {
    printf '[module]\nname = "%s"\nversion = "%s"\nauthor = "A"\ndescription = "%s"\nlicense = "MIT"\n' \
        "$1" "$2" "${3:-d}" >"$1-$2.toml"
}
manifest hello 1.0.0
manifest hello 1.1.0
manifest other 2.0.0
mkdir a b
wharf pack run.wasm -m hello-1.0.0.toml -o a -s pub.key -q
wharf pack run.wasm -m hello-1.1.0.toml -o a -q
wharf pack run.wasm -m other-2.0.0.toml -o a -s pub.key -q
manifest hello 1.0.0 changed
wharf pack run.wasm -m hello-1.0.0.toml -o b -s pub.key -q
cp a/hello-1.0.0.ferrpkg renamed.ferrpkg
cp a/hello-1.0.0.ferrpkg.minisig renamed.ferrpkg.minisig

begin "publish: each package and its signature, as NAME-VERSION.EXT"
run wharf publish renamed.ferrpkg a/hello-1.1.0.ferrpkg --repo repo -p pub.pub
check_rc 0
check_out <<EOF
published hello 1.0.0: repo/hello-1.0.0.ferrpkg (signed by key $KEYID)
published hello 1.1.0: repo/hello-1.1.0.ferrpkg (unsigned)
EOF
check_empty_err
check_that "the package" cmp renamed.ferrpkg repo/hello-1.0.0.ferrpkg
check_that "its signature" cmp renamed.ferrpkg.minisig repo/hello-1.0.0.ferrpkg.minisig
check_that "no signature for the unsigned one" test ! -e repo/hello-1.1.0.ferrpkg.minisig
run minisign -Vqm repo/hello-1.0.0.ferrpkg -p pub.pub
check_rc 0
end

begin "the same file again: done already (exit 0)"
run wharf publish a/hello-1.0.0.ferrpkg --repo repo -p pub.pub
check_rc 0
check_out <<'EOF'
hello 1.0.0: already published as repo/hello-1.0.0.ferrpkg
EOF
end

begin "another file of a published version is refused (exit 1), nothing written"
ls -l repo >before
run wharf publish a/other-2.0.0.ferrpkg b/hello-1.0.0.ferrpkg --repo repo -p pub.pub
check_rc 1
check_out </dev/null
check_err <<'EOF'
wharf publish: b/hello-1.0.0.ferrpkg: hello@1.0.0 already exists as 'repo/hello-1.0.0.ferrpkg', a different file
EOF
ls -l repo >after
check_that "repo unchanged" cmp before after
end

begin "the same version under another name counts: build metadata, another extension"
manifest hello 1.0.0+build.7
wharf pack run.wasm -m hello-1.0.0+build.7.toml -o c -q
run wharf publish c/hello-1.0.0+build.7.ferrpkg --repo repo
check_rc 1
check_err <<'EOF'
wharf publish: c/hello-1.0.0+build.7.ferrpkg: hello@1.0.0+build.7 already exists as 'repo/hello-1.0.0.ferrpkg', a different file
EOF
printf '[plugin]\nname = "hello"\nversion = "1.1.0"\ndescription = "d"\nauthor = "A"\nlicense = "M"\n' >plugin.toml
cp run.wasm hello.wasm
wharf pack --zip -o c -q
run wharf publish c/hello-1.1.0.zip --repo repo
check_rc 1
check_err <<'EOF'
wharf publish: c/hello-1.1.0.zip: hello@1.1.0 already exists as 'repo/hello-1.1.0.ferrpkg', a different file
EOF
end

begin "a file named like the version but holding another package is not a copy"
cp a/other-2.0.0.ferrpkg repo/hello-1.2.0.ferrpkg.x
cp a/other-2.0.0.ferrpkg repo/hello-2.0.0-x.ferrpkg
manifest hello 2.0.0-x
wharf pack run.wasm -m hello-2.0.0-x.toml -o c -q
run wharf publish c/hello-2.0.0-x.ferrpkg --repo repo
check_rc 1
check_err_has "already exists as 'repo/hello-2.0.0-x.ferrpkg'"
rm repo/hello-2.0.0-x.ferrpkg
cp a/other-2.0.0.ferrpkg repo/hello-2.0.0-x.zip
run wharf publish c/hello-2.0.0-x.ferrpkg --repo repo -q
check_rc 0
check_empty_err
rm repo/hello-1.2.0.ferrpkg.x repo/hello-2.0.0-x.zip repo/hello-2.0.0-x.ferrpkg
end

begin "two operands of one version with different bytes (exit 1); the same file twice is once"
run wharf publish a/hello-1.0.0.ferrpkg b/hello-1.0.0.ferrpkg --repo new -p pub.pub
check_rc 1
check_err <<'EOF'
wharf publish: b/hello-1.0.0.ferrpkg: hello@1.0.0 is also 'a/hello-1.0.0.ferrpkg', a different file
EOF
check_that "nothing made" test ! -e new
run wharf publish a/other-2.0.0.ferrpkg a/other-2.0.0.ferrpkg --repo new -p pub.pub
check_rc 0
check_out <<EOF
published other 2.0.0: new/other-2.0.0.ferrpkg (signed by key $KEYID)
EOF
end

begin "a tampered or untrusted package stops the run before any write (exit 4)"
cp a/hello-1.1.0.ferrpkg t.ferrpkg
printf 'X' | dd of=t.ferrpkg bs=1 seek=$(($(wc -c <t.ferrpkg) - 2)) conv=notrunc 2>/dev/null
run wharf publish a/other-2.0.0.ferrpkg t.ferrpkg --repo fresh -p pub.pub
check_rc 4
check_out </dev/null
check_err_has "wharf publish: t.ferrpkg: offset 0x"
check_err_has ": checksum mismatch: header says "
check_that "nothing made" test ! -e fresh
run wharf publish a/other-2.0.0.ferrpkg --repo fresh -p other.pub
check_rc 4
check_err <<EOF
wharf publish: a/other-2.0.0.ferrpkg.minisig: signed by key $KEYID, which is not trusted
EOF
run wharf publish a/hello-1.1.0.ferrpkg --repo fresh --require-signature
check_rc 4
check_err <<'EOF'
wharf publish: a/hello-1.1.0.ferrpkg: not signed (no a/hello-1.1.0.ferrpkg.minisig)
EOF
check_that "nothing made" test ! -e fresh
end

begin "the keys of wharf trust are used without -p"
wharf trust add pub.pub -q
run wharf publish a/other-2.0.0.ferrpkg --repo trusted -q
check_rc 0
check_that "published" cmp a/other-2.0.0.ferrpkg trusted/other-2.0.0.ferrpkg
end

begin "--dry-run says what would happen and writes nothing"
run wharf publish a/other-2.0.0.ferrpkg a/hello-1.0.0.ferrpkg --repo dry --dry-run
check_rc 0
check_out <<EOF
would publish other 2.0.0: dry/other-2.0.0.ferrpkg (signed by key $KEYID)
would publish hello 1.0.0: dry/hello-1.0.0.ferrpkg (signed by key $KEYID)
EOF
check_that "nothing made" test ! -e dry
end

begin "a new signature of a published file replaces the old one"
wharf-index sign -s other.key -x re.minisig a/hello-1.0.0.ferrpkg 2>/dev/null
cp a/hello-1.0.0.ferrpkg re.ferrpkg
mv re.minisig re.ferrpkg.minisig
run wharf publish re.ferrpkg --repo repo -p other.pub
check_rc 0
check_out <<'EOF'
hello 1.0.0: already published as repo/hello-1.0.0.ferrpkg; signature replaced
EOF
check_that "the new signature" cmp re.ferrpkg.minisig repo/hello-1.0.0.ferrpkg.minisig
end

begin "the folder is locked while another publish runs (exit 7)"
flock repo/.wharf-publish.lock sh -c 'wharf publish a/other-2.0.0.ferrpkg --repo repo >"$0/.out" 2>"$0/.err"; echo $? >"$0/.rc"' "$T"
rc=$(cat .rc)
check_rc 7
check_err_has "wharf publish: "
check_that "not published" test ! -e repo/other-2.0.0.ferrpkg
end

begin "kill -9 at every write: the next run completes the folder"
n=1
while :; do
    rm -rf k
    mkdir k
    WHARF_FS_FAULT=$n:kill wharf publish a/other-2.0.0.ferrpkg a/hello-1.1.0.ferrpkg --repo k -q -p pub.pub 2>/dev/null
    st=$?
    [ $st = 0 ] && break
    [ -e k/other-2.0.0.ferrpkg ] && { cmp -s a/other-2.0.0.ferrpkg k/other-2.0.0.ferrpkg || fail "write $n: a partial package"; }
    run wharf publish a/other-2.0.0.ferrpkg a/hello-1.1.0.ferrpkg --repo k -q -p pub.pub
    check_rc 0
    check_that "write $n: complete" cmp a/other-2.0.0.ferrpkg k/other-2.0.0.ferrpkg
    check_that "write $n: complete" cmp a/other-2.0.0.ferrpkg.minisig k/other-2.0.0.ferrpkg.minisig
    check_that "write $n: complete" cmp a/hello-1.1.0.ferrpkg k/hello-1.1.0.ferrpkg
    n=$((n + 1))
    [ $n -gt 50 ] && { fail "no end to the writes"; break; }
done
check_that "several writes were tried" test $n -gt 3
end

begin "a PAR is named by its content: .par.gz when gzipped"
mkpar p.bin --seed t --gzip
run wharf publish p.bin --repo pars
check_rc 0
check_out <<'EOF'
published fake-payments 0.0.0: pars/fake-payments-0.0.0.par.gz (unsigned)
EOF
check_that "the copy" cmp p.bin pars/fake-payments-0.0.0.par.gz
mkpar p2.bin --seed t
run wharf publish p2.bin --repo pars
check_rc 1
check_err <<'EOF'
wharf publish: p2.bin: fake-payments@0.0.0 already exists as 'pars/fake-payments-0.0.0.par.gz', a different file
EOF
end

begin "the folder builds into a site"
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
run wharf-index build repo -o site -s repo.key --trusted-keys . -q --no-catalogue
check_rc 0
check_empty_err
end

begin "usage"
run wharf publish a/other-2.0.0.ferrpkg
check_rc 2
check_err <<'EOF'
wharf publish: no --repo PKGDIR given
try 'wharf publish --help'
EOF
run wharf publish --repo repo
check_rc 2
run wharf publish nothere.ferrpkg --repo repo
check_rc 6
check_err <<'EOF'
wharf publish: nothere.ferrpkg: cannot open: No such file or directory
EOF
end

finish
