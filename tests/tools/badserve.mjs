// badserve.mjs ROOT - a static HTTP server on 127.0.0.1 (a free port,
// printed on stdout) that also misbehaves on request, for wharf's tests
// of hostile mirrors (tests/cli/t2004-wharf-update-http.sh,
// t2007-wharf-mirror.sh, t2008-wharf-fetch.sh).  The first
// path segment says how:
//
//   /ok/PATH        ROOT/PATH, as any static server would
//   /endless/PATH   200 and bytes forever (TUF's endless data)
//   /slow/PATH      ROOT/PATH, one byte every 200 ms (slow retrieval)
//   /loop/PATH      302 to itself, forever
//   /ftp/PATH       302 to ftp://127.0.0.1/PATH
//   /error/PATH     500
//   /tamper/PATH    ROOT/PATH with its middle byte inverted (same length)
//   /truncate/PATH  ROOT/PATH's first half, after a Content-Length of the
//                   whole: the connection closes early
//
// With BADSERVE_LOG=FILE, each request served from ROOT appends a line
// "PATH BYTES" to FILE (the bytes of the body), so a test can assert what
// a client fetched (tests/cli/t1110-wharf-index-sharded.sh).
// Stops on SIGTERM or SIGINT.  Node's own modules only.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] || '.');

function file(rel) {
    const p = path.resolve(root, '.' + path.posix.normalize('/' + rel));
    return p.startsWith(root + path.sep) ? p : null;
}

const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [, mode, ...rest] = url.split('/');
    const rel = rest.join('/');
    if (mode === 'endless') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        const chunk = Buffer.alloc(65536, 0x41);
        const more = () => { while (res.write(chunk)) { /* fill */ } };
        res.on('drain', more);
        res.on('close', () => res.off('drain', more));
        more();
        return;
    }
    if (mode === 'loop') {
        res.writeHead(302, { Location: req.url });
        return res.end();
    }
    if (mode === 'ftp') {
        res.writeHead(302, { Location: 'ftp://127.0.0.1/' + rel });
        return res.end();
    }
    if (mode === 'error') {
        res.writeHead(500);
        return res.end('broken');
    }
    const p = file(rel);
    let data;
    try { data = p && fs.readFileSync(p); } catch { data = null; }
    if (!data || !['ok', 'slow', 'tamper', 'truncate'].includes(mode)) {
        res.writeHead(404);
        return res.end();
    }
    res.writeHead(200, { 'Content-Length': data.length });
    if (process.env.BADSERVE_LOG)
        fs.appendFileSync(process.env.BADSERVE_LOG, `/${mode}/${rel} ${data.length}\n`);
    if (mode === 'ok')
        return res.end(data);
    if (mode === 'tamper') {
        data[data.length >> 1] ^= 0xff;
        return res.end(data);
    }
    if (mode === 'truncate') {
        return res.write(data.subarray(0, data.length >> 1), () => res.destroy());
    }
    let i = 0;
    const t = setInterval(() => {
        if (i >= data.length || res.destroyed) {
            clearInterval(t);
            return res.end();
        }
        res.write(data.subarray(i, i + 1));
        i++;
    }, 200);
    res.on('close', () => clearInterval(t));
});

server.listen(0, '127.0.0.1', () => console.log(server.address().port));
for (const s of ['SIGTERM', 'SIGINT'])
    process.on(s, () => { server.closeAllConnections(); server.close(); process.exit(0); });
