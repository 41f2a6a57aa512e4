#!/bin/sh
# t1101-wharf-index-verify.sh - wharf-index verify: a good site passes;
# a tampered, truncated or missing package, a changed index, a wrong key,
# a missing signature, an expired index and a stale index.json.gz are each
# found, with the exit status of the first failure.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run_wasm run.wasm
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/hello.ferrpkg
mkpkg ferrpkg run.wasm pkgs/world.ferrpkg --set name='"world"' --set version='"2.1.0"'
mkpar pkgs/pay.par --ver 1.0 --seed t1101
wharf-index keygen -W >/dev/null
wharf-index keygen -W -p other.pub -s other.key >/dev/null
wharf-index keygen -W -p pub.pub -s pub.key >/dev/null
mkdir tk && cp pub.pub tk/
wharf-index sign -s pub.key pkgs/world.ferrpkg
id=$(sed -n 's/^untrusted comment: minisign public key //p' repo.pub)
other=$(sed -n 's/^untrusted comment: minisign public key //p' other.pub)
now=$(date +%s)
SOURCE_DATE_EPOCH=$now wharf-index build pkgs -o site -k tk -q || echo "build failed"
cp -R site good
date=$(date -u -d @$((now + 90 * 86400)) +%Y-%m-%d)
sha() { sha256sum "$1" | cut -d' ' -f1; }
# Start each case from the good site (packages are copies, not links, so
# tampering with one leaves pkgs/ alone).
fresh() { rm -rf site && cp -R good site; }

begin "--help"
run wharf-index verify --help
check_rc 0
check_out_has "usage: wharf-index verify SITE [-p REPO.pub] [options]"
end

begin "usage errors, exit 2"
run wharf-index verify
check_rc 2
check_err <<'EOF'
wharf-index verify: no site to verify
try 'wharf-index verify --help'
EOF
run wharf-index verify a b
check_rc 2
check_err_has "wharf-index verify: one site expected"
end

begin "a good site verifies"
run wharf-index verify site -p repo.pub
check_rc 0
check_out <<EOF
verified 'site': 3 packages in 3 modules, serial 1, expires $date
EOF
check_empty_err
end

begin "--json summary"
run wharf-index verify site -p repo.pub --json
check_rc 0
check_out <<EOF
{"expires":$((now + 90 * 86400)),"failures":[],"generated":$now,"modules":3,"packages":3,"serial":1,"site":"site","verified":true}
EOF
end

begin "a tampered package: exit 4, naming both digests"
fresh
p=site/packages/hello@1.0.0.ferrpkg
old=$(sha "$p")
cp "$p" x && rm "$p" && cp x "$p"
printf 'X' | dd of="$p" bs=1 seek=20 conv=notrunc 2>/dev/null
run wharf-index verify site -p repo.pub
check_rc 4
check_out </dev/null
check_err <<EOF
wharf-index verify: site/packages/hello@1.0.0.ferrpkg: sha256 is $(sha "$p"), the index says $old
wharf-index verify: 1 of 3 packages failed verification
EOF
end

begin "a truncated package and a missing one: every failure reported, first one's status"
fresh
p=site/packages/fake-payments@1.0.0.par
size=$(stat -c %s "$p")
head -c 100 "$p" >x && rm "$p" && mv x "$p"
rm site/packages/world@2.1.0.ferrpkg
run wharf-index verify site -p repo.pub --json
check_rc 4
check_err <<EOF
wharf-index verify: site/packages/fake-payments@1.0.0.par: size is 100 bytes, the index says $size
wharf-index verify: site/packages/world@2.1.0.ferrpkg: cannot open: No such file or directory
wharf-index verify: 2 of 3 packages failed verification
EOF
check_out <<EOF
{"expires":$((now + 90 * 86400)),"failures":[{"error":"site/packages/fake-payments@1.0.0.par: size is 100 bytes, the index says $size","path":"packages/fake-payments@1.0.0.par","status":4},{"error":"site/packages/world@2.1.0.ferrpkg: cannot open: No such file or directory","path":"packages/world@2.1.0.ferrpkg","status":6}],"generated":$now,"modules":3,"packages":3,"serial":1,"site":"site","verified":false}
EOF
end

begin "a signed package's .minisig must be there"
fresh
rm site/packages/world@2.1.0.ferrpkg.minisig
run wharf-index verify site -p repo.pub
check_rc 6
check_err <<'EOF'
wharf-index verify: site/packages/world@2.1.0.ferrpkg.minisig: the package's signature is missing
wharf-index verify: 1 of 3 packages failed verification
EOF
end

begin "a changed index under its hash fails its signature, exit 4"
fresh
h=$(sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' good/index.json.minisig)
sed 's/"serial":1/"serial":9/' good/by-hash/$h.json >site/by-hash/$h.json
run wharf-index verify site -p repo.pub
check_rc 4
check_err <<'EOF'
wharf-index verify: site/index.json.minisig: signature verification failed
EOF
end

begin "a changed copy index.json is found, exit 4"
fresh
sed 's/"serial":1/"serial":9/' good/index.json >site/index.json
run wharf-index verify site -p repo.pub
check_rc 4
check_err <<EOF
wharf-index verify: site/index.json: is not the signed index: it has sha256 $(sha site/index.json), the signature names $h
EOF
end

begin "copies one build behind (a build killed after its commit) verify, with a note"
fresh
cp site/index.json site/index.json.1
cp site/index.json.gz site/index.json.gz.1
SOURCE_DATE_EPOCH=$now wharf-index build pkgs -o site -k tk -q
mv site/index.json.1 site/index.json
mv site/index.json.gz.1 site/index.json.gz
run wharf-index verify site -p repo.pub
check_rc 0
check_err <<'EOF'
wharf-index verify: note: site/index.json: serial 1, one build behind the signature's 2 (a build was interrupted; the next one replaces it)
wharf-index verify: note: site/index.json.gz: serial 1, one build behind the signature's 2 (a build was interrupted; the next one replaces it)
EOF
check_out <<EOF
verified 'site': 3 packages in 3 modules, serial 2, expires $date
EOF
end

begin "another key, exit 4"
fresh
run wharf-index verify site -p other.pub
check_rc 4
check_err <<EOF
wharf-index verify: site/index.json.minisig: signature key id $id does not match public key $other
EOF
end

begin "a missing signature or index"
fresh
rm site/index.json.minisig
run wharf-index verify site -p repo.pub
check_rc 4
check_err <<'EOF'
wharf-index verify: site/index.json.minisig: the signature is missing
EOF
run wharf-index verify nosite -p repo.pub
check_rc 6
check_err <<'EOF'
wharf-index verify: nosite/index.json.minisig: cannot open: No such file or directory
EOF
end

begin "a signature or index that is a link is not followed, exit 3"
fresh
mv site/index.json.minisig sig.real && ln -s ../sig.real site/index.json.minisig
run wharf-index verify site -p repo.pub
check_rc 3
check_err <<'EOF'
wharf-index verify: site/index.json.minisig: symbolic link not followed
EOF
fresh
mv site/by-hash/$h.json idx.real && ln -s ../../idx.real site/by-hash/$h.json
run wharf-index verify site -p repo.pub
check_rc 3
check_err <<EOF
wharf-index verify: site/by-hash/$h.json: symbolic link not followed
EOF
end

begin "a signature with another trusted comment is refused, exit 4"
fresh
wharf-index sign -s repo.key -t "serial:1" -x site/index.json.minisig site/index.json
run wharf-index verify site -p repo.pub
check_rc 4
check_err <<'EOF'
wharf-index verify: site/index.json.minisig: trusted comment 'serial:1' is not 'wharf-index/1 serial:N expires:T sha256:HEX'
EOF
end

begin "a signed index that breaks the format is refused, exit 3"
fresh
sed 's/"format":"wharf-index\/1"/"format":"wharf-index\/2"/' good/index.json >site/index.json
wharf-index sign -s repo.key -x site/index.json.minisig \
    -t "wharf-index/1 serial:1 expires:$((now + 90 * 86400)) sha256:$(sha site/index.json)" site/index.json
run wharf-index verify site -p repo.pub
check_rc 3
check_err <<'EOF'
wharf-index verify: site/index.json: 'format' is not "wharf-index/1"
EOF
printf '{"format": "wharf-index/1"}' >site/index.json
wharf-index sign -s repo.key -x site/index.json.minisig \
    -t "wharf-index/1 serial:1 expires:1 sha256:$(sha site/index.json)" site/index.json
run wharf-index verify site -p repo.pub
check_rc 3
check_err <<'EOF'
wharf-index verify: site/index.json: offset 0xa: not canonical JSON: white space
EOF
end

begin "a stale index.json.gz, exit 4"
fresh
echo '{}' | gzip -n >site/index.json.gz
run wharf-index verify site -p repo.pub
check_rc 4
check_err <<EOF
wharf-index verify: site/index.json.gz: is not the signed index: it has sha256 $(echo '{}' | sha -), the signature names $h
EOF
end

begin "a by-hash .gz that is not the index, exit 4; a damaged one, exit 3"
fresh
echo '{}' | gzip -n >site/by-hash/$h.json.gz
run wharf-index verify site -p repo.pub
check_rc 4
check_err <<EOF
wharf-index verify: site/by-hash/$h.json.gz: does not hold the bytes of the index
EOF
head -c 30 good/by-hash/$h.json.gz >site/by-hash/$h.json.gz
run wharf-index verify site -p repo.pub
check_rc 3
check_err <<EOF
wharf-index verify: site/by-hash/$h.json.gz: offset 0x1e: gzip: truncated data
EOF
end

begin "an expired index, exit 4 (packages are still checked)"
SOURCE_DATE_EPOCH=1000000000 wharf-index build pkgs -o old --expires 1 -q
rm old/packages/hello@1.0.0.ferrpkg
run wharf-index verify old -p repo.pub
check_rc 4
check_err <<'EOF'
wharf-index verify: old/index.json: the index expired on 2001-09-10
wharf-index verify: old/packages/hello@1.0.0.ferrpkg: cannot open: No such file or directory
wharf-index verify: 1 of 3 packages failed verification
EOF
end

finish
