#!/bin/sh
# t1001-wharf-index-keygen-sign.sh - repository keys and signatures made by
# wharf-index, checked by the real minisign.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
echo "module bytes" >m.ferrpkg

begin "keygen -W writes both files in the current directory"
run wharf-index keygen -W
check_rc 0
id=$(sed -n 's/^untrusted comment: minisign public key //p' repo.pub)
check_out <<EOE
key id $id
public key: repo.pub
secret key: repo.key (unencrypted)
EOE
check_that "secret key is mode 0600" test "$(stat -c %a repo.key)" = 600
check_that "secret key comment" grep -qx "untrusted comment: minisign unencrypted secret key" repo.key
end

begin "keygen refuses to replace a key, exit 1"
cp repo.key repo.key.orig
run wharf-index keygen -W
check_rc 1
check_err <<'EOE'
wharf-index keygen: repo.key: key file exists; use -f to replace it
EOE
check_that "key unchanged" cmp -s repo.key repo.key.orig
end

begin "sign: minisign -V accepts it, with the default trusted comment"
run wharf-index sign m.ferrpkg
check_rc 0
check_empty_err
run minisign -Vm m.ferrpkg -p repo.pub
check_rc 0
check_out_has "Signature and comment signature verified"
check_out_has "file:m.ferrpkg	hashed"
end

begin "sign -t: minisign shows our trusted comment"
run wharf-index sign -s repo.key -t "serial:7 expires:1800000000" -x m.sig m.ferrpkg
check_rc 0
run minisign -Vm m.ferrpkg -x m.sig -p repo.pub
check_rc 0
check_out <<'EOE'
Signature and comment signature verified
Trusted comment: serial:7 expires:1800000000
EOE
end

begin "a file changed after signing is rejected by minisign"
echo tampered >>m.ferrpkg
run minisign -Vm m.ferrpkg -p repo.pub
check_rc 1
check_err_has "Signature verification failed"
end

begin "keygen -f with a password; sign reads it from stdin"
echo "correct horse" >pw
run_in pw wharf-index keygen -f -p e.pub -s e.key
check_rc 0
check_that "encrypted comment" grep -qx "untrusted comment: minisign encrypted secret key" e.key
run_in pw wharf-index sign -s e.key m.ferrpkg
check_rc 0
run minisign -Vm m.ferrpkg -p e.pub
check_rc 0
end

begin "a wrong password is refused, exit 4"
echo "wrong" >bad
run_in bad wharf-index sign -s e.key m.ferrpkg
check_rc 4
check_err <<'EOE'
wharf-index sign: e.key: wrong password or corrupted secret key
EOE
end

begin "a missing key or file is named, exit 6"
run wharf-index sign -s nope.key m.ferrpkg
check_rc 6
check_err <<'EOE'
wharf-index sign: nope.key: cannot open: No such file or directory
EOE
run wharf-index sign nope.ferrpkg
check_rc 6
check_err <<'EOE'
wharf-index sign: nope.ferrpkg: cannot open: No such file or directory
EOE
end

begin "usage errors, exit 2"
run wharf-index sign
check_rc 2
check_err <<'EOE'
wharf-index sign: no file to sign
try 'wharf-index sign --help'
EOE
run wharf-index sign -x a.sig m.ferrpkg pw
check_rc 2
check_err_has "-x names one signature file, but 2 files were given"
run wharf-index keygen extra
check_rc 2
check_err_has "wharf-index keygen: unexpected argument 'extra'"
end

finish
