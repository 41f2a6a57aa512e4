# seeds.sh - the seed corpus of the http fuzz target: responses a site's
# server may give, good and hostile (tests/tools/badserve.mjs plays some of
# them for the CLI tests): plain, chunked, not found, redirects (to the
# same server, to another host, in a loop, to ftp:), lying lengths,
# endless headers, a 1xx before the answer.
#
#   (sourced by tests/fuzz/seeds.sh: seed, seed_tmp)
#
# Input format (fuzz.c): a mode byte ('0' raw response, '1' body with its
# length, '2' body to the close), a cap byte (n % 8 picks 0, 1, 16, 100,
# 1000, 4096, 65536 or 1 MiB bytes), then the response or the body.
#
# Tests: tests/conformance/regress.sh replays the corpus.
out=$(seed_tmp)/http
mkdir -p "$out"
r() { printf "0$1$2" >"$out/$3"; }
r 5 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello' ok
r 1 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello' over-cap
r 5 'HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\nhello' lying-length
r 5 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhello' two-lengths
r 5 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' chunked
r 2 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhello\r\n0\r\n\r\n' chunk-huge
r 5 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc' gzip-claimed
r 5 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n' not-found
r 5 'HTTP/1.1 410 Gone\r\n\r\n' gone
r 5 'HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\noops' error
r 5 'HTTP/1.1 301 Moved\r\nLocation: /g\r\nContent-Length: 0\r\n\r\n' redirect-loop
r 5 'HTTP/1.1 302 Found\r\nLocation: http://example.invalid/x\r\n\r\n' redirect-away
r 5 'HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/x\r\n\r\n' redirect-ftp
r 5 'HTTP/1.1 307 Temporary\r\nLocation: https://127.0.0.1:1/x\r\n\r\n' redirect-https
r 5 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' continue
r 5 'HTTP/1.0 200 OK\r\n\r\nto the close' http10
r 5 'HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n' header
r 5 'HTTP/1.1 200 OK\n\nbare newlines' bare-lf
r 5 'garbage' garbage
r 5 '' empty
printf '1\003hello, world' >"$out/body-over"
printf '1\006hello, world' >"$out/body"
printf '2\006to the close' >"$out/close"
printf '2\000' >"$out/close-empty-zero-cap"
printf '1\007a b?c#d%%41/\303\251' >"$out/join"
seed "$out"/*
