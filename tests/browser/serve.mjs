// serve.mjs - a tiny static file server for the catalogue's browser tests.
//
// It serves the files under one folder on 127.0.0.1, on a free port, as a
// plain static host would: a folder's URL serves its index.html (a folder
// URL without its final "/" is redirected to it, so relative links work),
// types by extension, 404 for anything else.  A path is decoded,
// normalized and refused (403) when it would leave the folder ("..", a NUL
// byte), and symbolic links are not followed out of it either.  Only GET
// and HEAD.  No dependencies beyond Node's own modules.
//
// As a module (what tests/browser/catalogue.mjs does, so the server always
// stops with the test):
//
//     import { start } from './serve.mjs';
//     const srv = await start('/path/to/root');   // { port, url, close() }
//     ...
//     await srv.close();
//
// As a command: `node serve.mjs ROOT` prints the port and a newline on
// stdout once it listens, and exits on SIGTERM or SIGINT.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.xml': 'application/xml; charset=utf-8',
    '.json': 'application/json',
    '.pub': 'text/plain; charset=utf-8',
    '.minisig': 'text/plain; charset=utf-8',
    '.txt': 'text/plain; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.ico': 'image/x-icon',
    '.woff2': 'font/woff2',
    '.gz': 'application/gzip',
};

// The content type of a file name: by its last extension, else bytes.
export function contentType(name) {
    return TYPES[path.extname(name).toLowerCase()] || 'application/octet-stream';
}

function send(res, status, text, headers = {}) {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(text + '\n');
}

// The file a request path names under root, or null when it would leave
// root.  rel is the decoded URL path; it must not climb out, whatever the
// encoding ("%2e%2e", "..\\" are decoded or refused before this).
function resolveUnder(root, rel) {
    if (rel.includes('\0') || rel.includes('\\'))
        return null;
    const parts = rel.split('/');
    if (parts.some((p) => p === '..'))
        return null;
    const full = path.normalize(path.join(root, ...parts));
    if (full !== root && !full.startsWith(root + path.sep))
        return null;
    return full;
}

function handler(root) {
    return (req, res) => {
        if (req.method !== 'GET' && req.method !== 'HEAD')
            return send(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
        let url;
        let rel;
        try {
            url = new URL(req.url, 'http://localhost');
            rel = decodeURIComponent(url.pathname);
        } catch {
            return send(res, 400, 'bad request');
        }
        const full = resolveUnder(root, rel);
        if (full === null)
            return send(res, 403, 'forbidden');
        let file = full;
        let st;
        try {
            // realpath: a symbolic link must not lead out of root either.
            const real = fs.realpathSync(full);
            if (real !== root && !real.startsWith(root + path.sep))
                return send(res, 403, 'forbidden');
            st = fs.statSync(real);
            file = real;
            if (st.isDirectory()) {
                if (!url.pathname.endsWith('/'))
                    return send(res, 301, 'moved', { Location: url.pathname + '/' + url.search });
                file = path.join(real, 'index.html');
                st = fs.statSync(file);
            }
            if (!st.isFile())
                return send(res, 404, 'not found');
        } catch {
            return send(res, 404, 'not found');
        }
        res.writeHead(200, {
            'Content-Type': contentType(file),
            'Content-Length': st.size,
            'Cache-Control': 'no-store',
        });
        if (req.method === 'HEAD')
            return res.end();
        const stream = fs.createReadStream(file);
        stream.on('error', () => res.destroy());
        stream.pipe(res);
    };
}

// Start serving root; resolves to { port, url, close } once listening.
// close() stops accepting and drops kept-alive connections.
export function start(root) {
    const top = fs.realpathSync(path.resolve(root));
    const server = http.createServer(handler(top));
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            resolve({
                port,
                url: `http://127.0.0.1:${port}/`,
                close: () => new Promise((done) => {
                    server.close(() => done());
                    if (server.closeAllConnections)
                        server.closeAllConnections();
                }),
            });
        });
    });
}

// `node serve.mjs ROOT`
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    if (process.argv.length !== 3) {
        process.stderr.write('usage: node serve.mjs ROOT\n');
        process.exit(2);
    }
    start(process.argv[2]).then((srv) => {
        process.stdout.write(`${srv.port}\n`);
        const stop = () => srv.close().then(() => process.exit(0));
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
    }, (e) => {
        process.stderr.write(`serve.mjs: ${e.message}\n`);
        process.exit(1);
    });
}
