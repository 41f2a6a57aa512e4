# seeds.sh - the seed corpus of the jwt fuzz target: the real wascap token
# of tests/unit/par_test.c (the claims.jwt of ../shared's
# libwascc_redis.par.gz), and headers and payloads for the target to sign:
# the ones par_test.c tries and claims as a PAR carries them.
#
#   (sourced by tests/fuzz/seeds.sh: seed, seed_tmp, $WHARF_SHARED)
#
# Input format (fuzz.c): '0' + a token, or '1' + HEADER '\n' PAYLOAD
# (signed by the target; "@ACC@" is its account nkey).
#
# Tests: tests/conformance/regress.sh replays the corpus.
out=$(seed_tmp)/jwt
mkdir -p "$out"
# REDIS_JWT is a C string split over lines: join its literals.
tok=$(sed -n '/^static const char REDIS_JWT/,/;$/p' tests/unit/par_test.c |
      grep -o '"[^"]*"' | tr -d '"\n')
printf '0%s' "$tok" >"$out/redis"
printf '0%s.' "$tok" >"$out/redis-4"
printf '0%s' "${tok%?}" >"$out/redis-short"
H='{"typ":"jwt","alg":"Ed25519"}'
i=0
signed() { i=$((i + 1)); printf '1%s\n%s' "$1" "$2" >"$out/s$i"; }
signed "$H" '{}'
signed '{"alg":"Ed25519","typ":"jwt"}' '{"iss":"@ACC@"}'
signed ' { "typ" : "jwt" ,
"alg":"Ed25519" } ' '{"iss":"@ACC@","exp":1700000000}'
signed '{"typ":"JWT","alg":"Ed25519"}' '{}'
signed '{"typ":"jwt","alg":"none"}' '{}'
signed '{"typ":"jwt","alg":"Ed25519\u0000"}' '{}'
signed '{"typ":"jwt"}' '{}'
signed '{"typ":"jwt","alg":"Ed25519","kid":"k"}' '{}'
signed '{"typ":"jwt","alg":"Ed25519","alg":"Ed25519"}' '{}'
signed '["jwt","Ed25519"]' '{}'
signed "$H" '[]'
signed "$H" '{"a":1,"a":2}'
signed "$H" '{"exp":null,"nbf":1600000000,"iat":1605280346}'
signed "$H" '{"exp":-1}'
signed "$H" '{"exp":9223372036854775807,"nbf":"soon"}'
signed "$H" '{"jti":"N8pscfqMN8vPrfissQwKXV","iat":1605280346,"iss":"@ACC@","sub":"VDJ4XCXRYCOSX4HJEWQMZNSRX3ISFR2SW3SN5OZ2IPPPQL3TCAHKFMQM","wascap":{"name":"Redis","capid":"wascc:keyvalue","vendor":"waSCC","rev":3,"ver":"1.2.3","target_hashes":{"x86_64-linux":"A70C02BEAC4881AE711E7825D01E67348F83F45120BB1D834EF90F9077F3B9E8"}}}'
seed "$out"/*
