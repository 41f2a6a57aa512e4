#!/bin/sh
# t1010-par.sh - wasmCloud provider archives (common/pkg_par.c) end to end:
# the real archive from wasmCloud's tests, archives written by
# tests/tools/mkpar (keys from --seed, so every byte is repeatable) with one
# thing broken at a time, each read by tests/tools/wh-pkg, which prints the
# package as the indexer gets it, or the error and the exit status
# (3 malformed, 4 verification failed: docs/exit-codes.md).
. "$(dirname "$0")/lib.sh"

FIXTURE="$WHARF_SHARED/fixtures/par/libwascc_redis.par.gz"
[ -f "$FIXTURE" ] || FIXTURE="../shared/fixtures/par/libwascc_redis.par.gz"
cd "$T" || exit 1

# The claims of mkpar's default archive after --seed t.
ISS=AACZOWNXW2VDJUFV6APD7Z4J5IPBU4UO2C7CH4KGXMG7KYEPP53XQAAV
SUB=VDWNZXJEMAYEQUSHQOQOTYYD5HVP2T4O2AJYIPVH2CKW2JABGNZKCZVE
LINUX=31242bf72b50a8214b5b652f93792821335f75edec1fd8f1ae7ceabedb8addbb
MACOS=7d026aaeee69bbfe5a1e092228bb595112357054916c40d2e782cca95b1ca4dc

# refuse DESCRIPTION STATUS MESSAGE MKPAR-OPTION...
# mkpar x.par with the options; wh-pkg must print nothing on stdout and
# exactly "wh-pkg: x.par: MESSAGE" on stderr, and exit with STATUS.
refuse() {
    what=$1 status=$2 msg=$3
    shift 3
    begin "$what"
    mkpar x.par --seed t "$@" || fail "mkpar $* failed"
    run wh-pkg --now 1700000001 x.par
    check_rc "$status"
    check_out </dev/null
    printf '%s\n' "wh-pkg: x.par: $msg" | check_err
    end
}

# accept DESCRIPTION TEXT MKPAR-OPTION...: read fine, stdout contains TEXT.
accept() {
    what=$1 text=$2
    shift 2
    begin "$what"
    mkpar x.par --seed t "$@" || fail "mkpar $* failed"
    run wh-pkg --now 1700000001 x.par
    check_rc 0
    check_empty_err
    check_out_has "$text"
    end
}

begin "the real provider archive from wasmCloud verifies"
run wh-pkg "$FIXTURE"
check_rc 0
check_empty_err
check_out <<'EOF'
{"issuer":"AA7IQURGTAIG4IHVP5ON7YRWLLUJBSOWOTAGK3QZKV4CC6QQNFFDS2JM","kind":"par","name":"redis","record":{"author":"waSCC","categories":[],"dependencies":{},"description":"","kind":"par","license":"","par":{"capid":"wascc:keyvalue","config_schema":null,"display_name":"Redis","expires":null,"issued_at":1605280346,"issuer":"AA7IQURGTAIG4IHVP5ON7YRWLLUJBSOWOTAGK3QZKV4CC6QQNFFDS2JM","not_before":null,"revision":null,"subject":"VDJ4XCXRYCOSX4HJEWQMZNSRX3ISFR2SW3SN5OZ2IPPPQL3TCAHKFMQM","targets":{"x86_64-linux":{"sha256":"a70c02beac4881ae711e7825d01e67348f83f45120bb1d834ef90f9077f3b9e8","size":5701792},"x86_64-macos":{"sha256":"ce183325d30583931895fea30ef3c736bf2bb7e453c9b7f9e2653ab7eab05405","size":2363160}},"vendor":"waSCC","ver":null,"world":false},"sha256":"4d361042796b22e3c64c35ead55489e1c53cb4a39d6e0c59cf66f83d86e7ebc1","size":2379699,"tags":[]},"sha256":"4d361042796b22e3c64c35ead55489e1c53cb4a39d6e0c59cf66f83d86e7ebc1","size":2379699,"subject":"VDJ4XCXRYCOSX4HJEWQMZNSRX3ISFR2SW3SN5OZ2IPPPQL3TCAHKFMQM","version":"0.0.0"}
EOF
end

begin "the same archive uncompressed verifies (gzip is decided by magic)"
gzip -dc "$FIXTURE" >redis.tar
run wh-pkg redis.tar
check_rc 0
check_out_has '"name":"redis","record":{"author":"waSCC"'
check_out_has '"x86_64-linux":{"sha256":"a70c02beac4881ae711e7825d01e67348f83f45120bb1d834ef90f9077f3b9e8","size":5701792}'
end

begin "the fixture's target bytes are what the claims and the record say"
tar -xzf "$FIXTURE" x86_64-linux.bin
run sha256sum x86_64-linux.bin
check_out <<'EOF'
a70c02beac4881ae711e7825d01e67348f83f45120bb1d834ef90f9077f3b9e8  x86_64-linux.bin
EOF
end

begin "mkpar --seed: the keys are an account and a service key"
run mkpar x.par --seed t --print-keys
check_rc 0
check_out <<EOF
$ISS $SUB
EOF
end

begin "a synthesized PAR (plain tar) reads back exactly"
mkpar x.par --seed t
run wh-pkg x.par
check_rc 0
check_empty_err
check_out_has "\"issuer\":\"$ISS\",\"kind\":\"par\",\"name\":\"fake-payments\""
check_out_has "\"targets\":{\"aarch64-macos\":{\"sha256\":\"$MACOS\",\"size\":15},\"x86_64-linux\":{\"sha256\":\"$LINUX\",\"size\":15}}"
check_out_has "\"display_name\":\"Fake Payments\",\"expires\":null,\"issued_at\":1700000000"
check_out_has "\"subject\":\"$SUB\",\"version\":\"0.0.0\"}"
end

begin "the binaries' hashes are sha256sum's"
printf 'linux provider\n' | sha256sum >want
printf '%s  -\n' "$LINUX" >got
check_that "sha256sum agrees" cmp -s want got
end

begin "a gzip-compressed PAR reads back to the same record"
mkpar x.par --seed t
wh-pkg x.par | sed 's/"sha256":"[0-9a-f]*","size":[0-9]*,"tags"/X/; s/"sha256":"[0-9a-f]*","size":[0-9]*,"subject"/Y/' >plain.json
mkpar y.par.gz --seed t --gzip
run wh-pkg y.par.gz
check_rc 0
sed 's/"sha256":"[0-9a-f]*","size":[0-9]*,"tags"/X/; s/"sha256":"[0-9a-f]*","size":[0-9]*,"subject"/Y/' "$T/.out" >gz.json
check_that "records equal" cmp -s plain.json gz.json
end

begin "the file name does not matter: a .par.gz that is a plain tar"
mkpar z.par.gz --seed t
run wh-pkg z.par.gz
check_rc 0
end

# --- what the claims say ---------------------------------------------------
accept "ver 1.0 is completed to 1.0.0" '"version":"1.0.0"' --ver 1.0
accept "ver is kept as written in the record" '"ver":"1.0"' --ver 1.0
accept "no ver: 0.0.REV" '"version":"0.0.7"' --rev 7
accept "rev is recorded" '"revision":7' --rev 7
accept "ver wins over rev" '"version":"2.1.0"' --ver 2.1 --rev 9
accept "a prerelease survives completion" '"version":"1.0.0-rc.1"' --ver 1.0-rc.1
accept "the display name becomes the module name" '"name":"http-server-v2"' --name ' HTTP  Server (v2)! '
accept "the display name is kept" '"display_name":" HTTP  Server (v2)! "' --name ' HTTP  Server (v2)! '
accept "the vendor is the author" '"author":"ACME Corp"' --vendor 'ACME Corp'
accept "an old token (capid, no wascap_revision) verifies" '"capid":"wascc:keyvalue"' --capid wascc:keyvalue
accept "world.wasm is hashed and recorded" '"world":true' --world 'not really wasm'
accept "exp equal to now is still valid" '"expires":1700000001' --exp 1700000001
accept "nbf equal to now is valid" '"not_before":1700000001' --nbf 1700000001
accept "real numbers in config_schema become text" '"config_schema":{"maximum":"1e+300","minimum":"0.1","type":"number"}' --schema '{"type":"number","minimum":0.1,"maximum":1e300}'
accept "a header with other spacing and key order verifies" '"name":"fake-payments"' --header ' {"alg" : "Ed25519","typ":"jwt"}'
accept "unknown claims are ignored" '"name":"fake-payments"' --set 'wascap.call_alias="x"' --set 'extra=[1]'

# --- integrity ---------------------------------------------------------------
refuse "a tampered binary" 4 "entry 'x86_64-linux.bin': sha256 does not match the claims" --tamper x86_64-linux.bin
refuse "a tampered world.wasm" 4 "entry 'world.wasm': sha256 does not match the claims" --world abc --tamper world.wasm
refuse "a binary without a hash" 4 "entry 'aarch64-macos.bin': no hash for 'aarch64-macos' in the claims" --drop-hash aarch64-macos
refuse "an extra binary nobody signed" 4 "entry 'riscv64-linux.bin': no hash for 'riscv64-linux' in the claims" --raw riscv64-linux.bin=evil
refuse "a hash without a binary" 4 "claims.jwt: 'riscv64-linux' has a hash but no binary in the archive" --add-hash riscv64-linux
refuse "a world hash without world.wasm" 4 "claims.jwt: 'world.wasm' has a hash but no binary in the archive" --add-hash world.wasm
refuse "a signature by another key" 4 "claims.jwt: token signature does not verify" --wrong-signer
refuse "a damaged signature" 4 "claims.jwt: token signature does not verify" --bad-signature
refuse "an expired token" 4 "claims.jwt: token expired at 1700000000" --exp 1700000000
refuse "a token not yet valid" 4 "claims.jwt: token not valid before 1700000002" --nbf 1700000002

# --- the token -------------------------------------------------------------------
refuse "alg other than Ed25519" 3 "claims.jwt: token header 'alg' is not \"Ed25519\"" --header '{"typ":"jwt","alg":"none"}'
refuse "typ other than jwt" 3 "claims.jwt: token header 'typ' is not \"jwt\"" --header '{"typ":"JWT","alg":"Ed25519"}'
refuse "an extra header key" 3 "claims.jwt: token header has unexpected key 'kid'" --header '{"typ":"jwt","alg":"Ed25519","kid":"1"}'
refuse "a subject that is an account key" 3 "claims.jwt: sub: not a service key" --sub-role account
refuse "a subject that is a module key" 3 "claims.jwt: sub: not a service key" --sub-role module
refuse "an issuer that is an operator key" 3 "claims.jwt: iss: not an account key" --iss-role operator
refuse "an issuer that is not an nkey" 3 "claims.jwt: iss: nkey has 3 characters, expected 56" --set 'iss="abc"'
refuse "not a token" 3 "claims.jwt: token has 1 segments, expected 3" --claims-text 'not a token'
refuse "no wascap claims" 3 "claims.jwt: 'wascap' is missing" --del wascap
refuse "no name" 3 "claims.jwt: 'wascap.name' is missing" --del wascap.name
refuse "no vendor" 3 "claims.jwt: 'wascap.vendor' is missing" --del wascap.vendor
refuse "no jti" 3 "claims.jwt: 'jti' is missing" --del jti
refuse "iat not a number" 3 "claims.jwt: 'iat' is not a non-negative integer" --set 'iat="now"'
refuse "exp not a number" 3 "claims.jwt: 'exp' is not a non-negative integer" --set 'exp="later"'
refuse "target_hashes not an object" 3 "claims.jwt: 'wascap.target_hashes' is not an object" --set 'wascap.target_hashes=[]'
refuse "a lower-case hash" 3 "claims.jwt: 'wascap.target_hashes' of 'x86_64-linux' is not an upper-case hex SHA-256" --set "wascap.target_hashes={\"x86_64-linux\":\"$LINUX\"}"
refuse "a name that leaves no module name" 3 "claims.jwt: 'wascap.name' '!!!': module name is empty" --name '!!!'
refuse "a ver that is no version" 3 "claims.jwt: 'wascap.ver' '1.x': invalid character 'x' in minor version" --ver 1.x
refuse "a v-prefixed ver" 3 "claims.jwt: 'wascap.ver' 'v1.0': invalid character 'v' in major version" --ver v1.0
refuse "a negative rev" 3 "claims.jwt: 'wascap.rev' is not an integer from 0 to 2147483647" --rev -1

# --- the archive -----------------------------------------------------------------
refuse "no claims.jwt" 3 "archive has no claims.jwt" --no-claims
refuse "no binary at all" 3 "archive has no binary" --no-default-bins
refuse "only world.wasm" 3 "archive has no binary" --no-default-bins --world abc
refuse "a directory" 3 "entry 'lib/': not a regular file" --dir lib
refuse "a binary below the root" 3 "entry 'lib/x86_64-linux.bin': not at the archive root" --raw lib/x86_64-linux.bin=x
refuse "a path with .." 3 "entry '../x86_64-linux.bin': unsafe path" --raw ../x86_64-linux.bin=x
refuse "an absolute path" 3 "entry '/tmp/x.bin': unsafe path" --raw /tmp/x.bin=x
refuse "a symbolic link" 3 "entry 'riscv64-linux.bin': not a regular file" --symlink riscv64-linux.bin=x86_64-linux.bin
refuse "a duplicate entry" 3 "entry 'x86_64-linux.bin': duplicate entry" --raw x86_64-linux.bin=x
refuse "a second claims.jwt" 3 "entry 'claims.jwt': duplicate entry" --raw claims.jwt=x
refuse "two binaries for one target" 3 "entry 'x86_64-linux.so': target 'x86_64-linux' already has a binary ('x86_64-linux.bin')" --raw x86_64-linux.so=x
refuse "a second claims file" 3 "entry 'claims.txt': reserved name" --raw claims.txt=x
refuse "a name without extension" 3 "entry 'x86_64-linux': name is not <arch>-<os>.<extension>" --raw x86_64-linux=x
refuse "a name with a space" 3 "entry 'a b.bin': name has a character other than A-Za-z0-9._-" --raw 'a b.bin=x'
refuse "truncated in claims.jwt" 3 "entry 'claims.jwt': cannot read: truncated tar archive" --truncate 1000
refuse "truncated in a header" 3 "cannot read archive: truncated tar archive" --truncate 1600
refuse "truncated after claims.jwt" 3 "archive has no binary" --truncate 1536
refuse "a damaged tar header" 3 "cannot read archive: damaged tar archive" --flip 1550
refuse "truncated gzip" 3 "cannot read archive: truncated gzip input" --gzip --truncate 300
refuse "gzip without its trailer" 3 "cannot read archive: corrupt or truncated data" --gzip --truncate -8

finish
