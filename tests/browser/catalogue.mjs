// catalogue.mjs - the HTML catalogue (docs/catalogue.md) in a real browser.
//
//   node catalogue.mjs main=SITE hostile=SITE www=DIR shots=DIR
//                      [pmain=SITE phostile=SITE big=SITE]
//
// tests/cli/t1106-catalogue-browser.sh builds the two sites under www=DIR
// (www/main, www/hostile), the same packages as sharded sites with paged
// catalogues (pmain, phostile: their search loads search shards), and
// "big", a paged catalogue of 5,000 modules in 8 shards, and runs this; it prints one line a case,
// "ok NAME" or "not ok NAME: FIRST PROBLEM" followed by the other problems
// indented, and the wrapper counts them.  It exits 1 when a case failed.
//
// Chromium is Debian's (/usr/bin/chromium), driven by playwright-core.
// Every site is opened over file:// (a USB stick) and over
// http://127.0.0.1:PORT/NAME/ (serve.mjs, started here on a free port and
// stopped at the end, whatever happens).  Every page opened is watched for
// what must never happen: a console error (CSP violations are console
// errors), an uncaught exception, a dialog (alert() of an injection), a
// request that fails or leaves the site, and its links are checked to name
// existing files (a folder link shows a listing on file://, not the page).
//
// What the main site holds is set by the wrapper; the expectations below
// (EXPECT) must follow it.

import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { start } from './serve.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
    const i = a.indexOf('=');
    return [a.slice(0, i), a.slice(i + 1)];
}));
for (const k of ['main', 'hostile', 'www', 'shots']) {
    if (!args[k]) {
        console.error(`usage: node catalogue.mjs main=SITE hostile=SITE www=DIR shots=DIR (no ${k}=)`);
        process.exit(2);
    }
}
const CHROMIUM = process.env.WHARF_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 10000;     // ms for one action: CI machines can be slow

// --- what the wrapper put in the sites ------------------------------------

const EXPECT = {
    // by name; cards are sorted by name, byte-wise
    names: ['fake-payments', 'fmt-md', 'hello', 'jsonq', 'zlib-wasm'],
    // newest "updated" first: each module was published by its own build
    updated: ['hello', 'zlib-wasm', 'jsonq', 'fmt-md', 'fake-payments'],
    categories: ['Data', 'Examples', 'Text'],
    // the card's signature badge: jsonq is signed by a trusted key
    badges: { 'fake-payments': 'untrusted', 'fmt-md': 'unsigned', hello: 'unsigned',
        jsonq: 'verified', 'zlib-wasm': 'unsigned' },
    tags: ['compression', 'demo', 'formatter', 'greeting', 'json', 'markdown', 'query'],
    byCategory: { Data: ['jsonq', 'zlib-wasm'], Examples: ['hello'], Text: ['fmt-md', 'hello'] },
    install: {
        hello: 'wharf install hello@^1.2',
        jsonq: 'wharf install jsonq@^0.4',
        'zlib-wasm': 'wharf install zlib-wasm@=2.0.0-beta.1',
        'fmt-md': 'wharf install fmt-md@^0.3',
        'fake-payments': 'wharf install fake-payments@^1.0',
    },
    versions: {
        hello: ['1.2.0', '1.0.0'], jsonq: ['0.4.1'], 'zlib-wasm': ['2.0.0-beta.1'],
        'fmt-md': ['0.3.0'], 'fake-payments': ['1.0.0'],
    },
    // newest first by published, then by name
    feed: ['hello@1.2.0', 'zlib-wasm@2.0.0-beta.1', 'hello@1.0.0', 'jsonq@0.4.1',
        'fmt-md@0.3.0', 'fake-payments@1.0.0'],
    // [query, visible cards]: a description word, a tag, a name, several,
    // nothing, a word of an older version only
    queries: [
        ['politely', ['hello']],
        ['formatter', ['fmt-md']],
        ['zlib', ['zlib-wasm']],
        ['fake-payments', ['fake-payments']],
        ['demo', ['hello', 'jsonq']],
        ['markdown', ['fmt-md']],
        ['deflate', ['zlib-wasm']],
        ['zzqqxx', []],
        ['POLITELY', ['hello']],
        ['', ['fake-payments', 'fmt-md', 'hello', 'jsonq', 'zlib-wasm']],
    ],
    // [category, tag, query, visible cards]
    filters: [
        ['Text', '', '', ['fmt-md', 'hello']],
        ['Data', '', '', ['jsonq', 'zlib-wasm']],
        ['Examples', '', '', ['hello']],
        ['', 'greeting', '', ['hello']],
        ['', 'demo', '', ['hello', 'jsonq']],
        ['Data', 'demo', '', ['jsonq']],
        ['Data', '', 'deflate', ['zlib-wasm']],
        ['Text', 'json', '', []],
        ['', '', '', ['fake-payments', 'fmt-md', 'hello', 'jsonq', 'zlib-wasm']],
    ],
};

const XSS = {
    script: '<script>alert(1)</script>',
    img: '"><img src=x onerror=alert(2)>',
    js: 'javascript:alert(3)',
    svg: "'><svg onload=alert(4)>",
    close: '</script><script>alert(5)</script>\u2028{{site.pubkey}}{{{content}}}<!--',
};
const HOSTILE = {
    'fake-payments': { description: '', author: '<script>alert(9)</script>', tags: [], categories: [] },
    'xss-plugin': {
        description: XSS.svg, author: XSS.script, tags: [XSS.img], categories: [XSS.js],
        text: ['<img src=x onerror=alert(6)>', '"<script>alert(7)</script>"',
            '"><svg onload=alert(8)>', '"javascript:alert(3)"'],
    },
    xss1: { description: XSS.script, author: XSS.img, tags: [XSS.js, XSS.svg], categories: [XSS.script, XSS.js], text: [XSS.svg] },
    xss2: { description: XSS.img, author: XSS.js, tags: [XSS.script, XSS.img], categories: [XSS.svg, XSS.img] },
    xss3: { description: XSS.close, author: XSS.js, tags: ['{{#modules}}x{{/modules}}'], categories: [] },
};
const HOSTILE_NAMES = Object.keys(HOSTILE).sort();

// --- results --------------------------------------------------------------

let failed = 0;

// The problems of one case, and the pages it opened.
class Case {
    constructor() { this.problems = []; this.pages = []; }
    add(msg) { this.problems.push(msg); }
    check(cond, msg) { if (!cond) this.add(msg); return cond; }
    eq(what, got, want) {
        const g = JSON.stringify(got), w = JSON.stringify(want);
        if (g !== w)
            this.add(`${what}: got ${g}, expected ${w}`);
        return g === w;
    }
}

async function test(name, fn) {
    console.assert(!name.includes(': '), 'a case name holds ": "');
    const c = new Case();
    const t0 = Date.now();
    try {
        await fn(c);
    } catch (e) {
        c.add(`stopped: ${String(e.message || e).split('\n')[0]}`);
    }
    for (const p of c.pages)
        await p.close().catch(() => {});
    // A dialog or a console error may come late: the pages are closed now.
    if (process.env.WHARF_BROWSER_TIMES)
        console.log(`# ${((Date.now() - t0) / 1000).toFixed(2)} s`);
    if (c.problems.length === 0) {
        console.log(`ok ${name}`);
        return;
    }
    failed++;
    const [first, ...rest] = [...new Set(c.problems)];
    console.log(`not ok ${name}: ${first}`);
    for (const p of rest.slice(0, 30))
        console.log(`    ${p}`);
    if (rest.length > 30)
        console.log(`    ... and ${rest.length - 30} more`);
}

// --- sites and pages ------------------------------------------------------

// A site as the browser sees it: dir on disk, url of its root (ends in /),
// home the URL the home page is opened at.
function fileSite(dir) {
    const url = pathToFileURL(dir).href + '/';
    return { dir, url, home: url + 'index.html', mode: 'file://' };
}
function httpSite(dir, srv) {
    const url = srv.url + path.relative(args.www, dir).split(path.sep).join('/') + '/';
    return { dir, url, home: url, mode: 'http://' };  // the folder's URL: index.html is the server's
}

function keyId(dir) {
    const first = fs.readFileSync(path.join(dir, 'keys/repo.pub'), 'utf8').split('\n')[0];
    return first.replace(/^untrusted comment: minisign public key /, '');
}

function sha256(file) {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function index(dir) {
    return JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
}

// The file of the site an absolute URL names, or null if outside the site.
function siteFile(site, href) {
    const u = href.split('#')[0].split('?')[0];
    if (!u.startsWith(site.url))
        return null;
    return decodeURIComponent(u.slice(site.url.length));
}

function short(site, url) {
    return url.startsWith(site.url) ? url.slice(site.url.length) || '(home)' : url;
}

// Open url in a new page of ctx, watched for the case c.
async function open(c, ctx, site, url) {
    const page = await ctx.newPage();
    c.pages.push(page);
    const where = () => short(site, page.url());
    page.on('console', (m) => {
        if (m.type() === 'error')
            c.add(`${where()}: console error: ${m.text()} (${m.location().url || 'no URL'})`);
    });
    page.on('pageerror', (e) => c.add(`${where()}: uncaught: ${e.message}`));
    page.on('dialog', (d) => {
        c.add(`${where()}: a dialog opened (${d.type()}): ${JSON.stringify(d.message())}`);
        d.dismiss().catch(() => {});
    });
    page.on('request', (r) => {
        const u = r.url();
        if (!u.startsWith(site.url) && !u.startsWith('data:') && u !== 'about:blank')
            c.add(`${where()}: loads ${u}, outside the site`);
    });
    page.on('requestfailed', (r) => {
        const why = r.failure() ? r.failure().errorText : '?';
        if (why !== 'net::ERR_ABORTED')
            c.add(`${where()}: ${short(site, r.url())} failed: ${why}`);
    });
    page.on('response', (r) => {
        if (r.status() >= 400)
            c.add(`${where()}: ${short(site, r.url())}: HTTP ${r.status()}`);
    });
    await page.goto(url, { waitUntil: 'load' });
    return page;
}

// Poll get() until it returns want (the page may filter on a timer).
async function settle(get, want, ms = 2000) {
    const w = JSON.stringify(want);
    const t0 = Date.now();
    let got;
    for (;;) {
        got = await get();
        if (JSON.stringify(got) === w || Date.now() - t0 > ms)
            return got;
        await new Promise((r) => setTimeout(r, 20));
    }
}

// The cards: every one in document order, and those shown.  A card is shown
// when it has no hidden attribute; it must then be rendered, and a hidden
// one must not be (author CSS "display: flex" would override [hidden]).
async function cards(page) {
    return page.$$eval('li.card', (els) => ({
        all: els.map((e) => e.dataset.name),
        shown: els.filter((e) => !e.hasAttribute('hidden')).map((e) => e.dataset.name),
        rendered: els.filter((e) => e.getClientRects().length > 0).map((e) => e.dataset.name),
        ids: els.map((e) => e.dataset.id),
    }));
}

async function checkShown(c, page, what, want) {
    const got = await settle(async () => (await cards(page)).shown, want);
    c.eq(`${what}: cards shown`, got, want);
    const r = (await cards(page)).rendered;
    c.eq(`${what}: cards rendered (hidden ones must not be)`, r, got);
    const count = (await page.locator('#count').textContent()).trim().replace(/\s+/g, ' ');
    const n = want.length;
    const ok = n === 0 ? /^(0|no) modules?\b/i.test(count)
        : count.startsWith(`${n} module${n === 1 ? '' : 's'}`);
    c.check(ok, `${what}: #count says ${JSON.stringify(count)} for ${n} shown`);
}

// Every link into the site names a file that exists (not a folder); none
// leaves the site except to http(s) elsewhere; none is javascript:.
async function checkLinks(c, page, site) {
    const links = await page.$$eval('a[href]', (as) => as.map((a) => ({ raw: a.getAttribute('href'), abs: a.href })));
    const from = short(site, page.url());
    for (const { raw, abs } of links) {
        if (raw.startsWith('#'))
            continue;
        if (/^\s*javascript:/i.test(raw) || abs.startsWith('javascript:')) {
            c.add(`${from}: a javascript: link ${JSON.stringify(raw)}`);
            continue;
        }
        const rel = siteFile(site, abs);
        if (rel === null) {
            const u = new URL(abs);
            if (!/^https?:$/.test(u.protocol) || u.hostname === '127.0.0.1')
                c.add(`${from}: link ${JSON.stringify(raw)} leaves the site (${abs})`);
            continue;
        }
        const file = path.join(site.dir, rel);
        if (rel === '' || rel.endsWith('/'))
            c.add(`${from}: link ${JSON.stringify(raw)} names a folder; file:// needs its index.html`);
        else if (!fs.existsSync(file) || !fs.statSync(file).isFile())
            c.add(`${from}: link ${JSON.stringify(raw)} names ${rel}, which does not exist`);
    }
}

// Nothing on the page can run or load what a package wrote: no on*
// attribute, no URL attribute holding markup or a javascript: URL, no
// script but the site's own two, one CSP <meta> without 'unsafe-*'.  With
// allowed (a list of outerHTML: the theme's own images, as found on the
// pages of the main site), also no img/svg/iframe/object/embed element but
// those (on the hostile site's pages, any other would be an injection).
async function checkNoInjection(c, page, site, allowed) {
    const bad = await page.evaluate(({ root, allowed, MEDIA }) => {
        const out = [];
        const own = [root + 'search.js', root + 'assets/catalogue.js'];
        for (const el of document.querySelectorAll('*')) {
            for (const a of el.attributes) {
                const n = a.name.toLowerCase();
                if (n.startsWith('on'))
                    out.push(`<${el.localName}> has ${n}=${JSON.stringify(a.value)}`);
                if (['href', 'src', 'action', 'formaction', 'style', 'srcset', 'xlink:href', 'poster', 'data'].includes(n)
                    && /javascript:|[<>"`]|alert\(/i.test(a.value))
                    out.push(`<${el.localName}> ${n}=${JSON.stringify(a.value)}`);
                // Links are the derived hrefs: relative, of safe characters.
                if (el.localName === 'a' && n === 'href' && !/^[A-Za-z0-9._~\/#?=&%:@+-]*$/.test(a.value))
                    out.push(`<a> href=${JSON.stringify(a.value)} has unsafe characters`);
            }
            if (allowed && MEDIA.includes(el.localName) && !allowed.includes(el.outerHTML))
                out.push(`an <${el.localName}> element: ${el.outerHTML.slice(0, 80)}`);
        }
        for (const s of document.querySelectorAll('script')) {
            if (!s.src)
                out.push(`an inline script: ${JSON.stringify(s.textContent.slice(0, 60))}`);
            else if (!own.includes(s.src))
                out.push(`a script from ${s.src}`);
        }
        const csp = [...document.querySelectorAll('meta[http-equiv]')]
            .filter((m) => m.httpEquiv.toLowerCase() === 'content-security-policy');
        if (csp.length !== 1)
            out.push(`${csp.length} Content-Security-Policy <meta>, expected 1`);
        else if (/unsafe-|\*/.test(csp[0].content) || !/(script-src|default-src)/.test(csp[0].content))
            out.push(`a weak Content-Security-Policy: ${csp[0].content}`);
        else if (document.head.querySelector('meta[http-equiv]') !== csp[0])
            out.push('the Content-Security-Policy <meta> is not the first http-equiv in <head>');
        return out;
    }, { root: site.url, allowed, MEDIA: MEDIA_TAGS });
    for (const b of bad)
        c.add(`${short(site, page.url())}: ${b}`);
}

// Some element inside sel's first match whose whole text is text.
async function hasTextElement(page, sel, text) {
    return page.$eval(sel, (root, text) => [root, ...root.querySelectorAll('*')]
        .some((e) => e.textContent.trim() === text), text).catch(() => false);
}

async function clean(c, page, site, allowed = null) {
    await checkLinks(c, page, site);
    await checkNoInjection(c, page, site, allowed);
    await checkHeadings(c, page, site);
}

// One h1, and no heading more than one level below the one before it.
async function checkHeadings(c, page, site) {
    const levels = await page.$$eval('h1,h2,h3,h4,h5,h6', (hs) => hs.map((h) => Number(h.localName[1])));
    const where = short(site, page.url());
    c.check(levels.filter((l) => l === 1).length === 1 && levels[0] === 1,
        `${where}: headings ${JSON.stringify(levels)}: not one h1 first`);
    for (let i = 1; i < levels.length; i++)
        if (levels[i] > levels[i - 1] + 1) {
            c.add(`${where}: headings ${JSON.stringify(levels)}: h${levels[i]} after h${levels[i - 1]}`);
            break;
        }
}

// Press Tab until sel has the focus (at most n times).
async function tabTo(page, sel, n = 60) {
    for (let i = 0; i < n; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), sel))
            return true;
    }
    return false;
}

// The elements that load or embed something, or could carry a handler.
const MEDIA_TAGS = ['img', 'svg', 'iframe', 'object', 'embed', 'frame', 'video', 'audio', 'math', 'base', 'form', 'picture', 'source'];

// The outerHTML of every such element on pages of a clean site: the
// theme's own (a logo, icons), allowed on the hostile site's pages.
async function themeMedia(ctx, site) {
    const out = new Set();
    for (const url of [site.home, `${site.url}modules/hello/index.html`, `${site.url}modules/fmt-md/index.html`,
        `${site.url}modules/fake-payments/index.html`]) {
        const page = await ctx.newPage();
        await page.goto(url);
        for (const h of await page.$$eval(MEDIA_TAGS.join(','), (els) => els.map((e) => e.outerHTML)))
            out.add(h);
        await page.close();
    }
    return [...out];
}

// The href of the link to each category's page, found on page by its text.
async function categoryLinks(c, page, site, names) {
    const links = await page.$$eval('a[href]', (as) => as.map((a) => ({ text: a.textContent, abs: a.href })));
    const out = {};
    for (const name of names) {
        const hrefs = [...new Set(links.filter((l) => l.text.includes(name) && /\/categories\/[^/]+\/index\.html$/.test(l.abs))
            .map((l) => l.abs))];
        c.check(hrefs.length === 1, `no single link to category ${JSON.stringify(name)}'s page: ${JSON.stringify(hrefs)}`);
        if (hrefs.length)
            out[name] = hrefs[0];
    }
    return out;
}

// --- the main site --------------------------------------------------------

async function mainCases(browser, site) {
    const m = site.mode;
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(TIMEOUT);
    const kid = keyId(site.dir);
    const idx = index(site.dir);

    await test(`home lists every module over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        const k = await cards(page);
        c.eq('cards', k.all, EXPECT.names);
        c.eq('data-id', k.ids, EXPECT.names.map((_, i) => String(i)));
        await checkShown(c, page, 'no query', EXPECT.names);
        c.check(await page.locator('ul#cards > li.card').count() === EXPECT.names.length, 'cards are not the items of ul#cards');
        const search = await page.evaluate(() => window.WHARF_SEARCH && window.WHARF_SEARCH.modules.map((x) => x.name));
        c.eq('search.js names', search, EXPECT.names);
        for (const id of ['#q', '#category', '#tag', '#sort'])
            c.check(await page.locator(id).isVisible(), `${id} is not shown with JavaScript`);
        const labelled = await page.$eval('input#q', (q) => q.labels.length > 0 || !!q.getAttribute('aria-label'));
        c.check(labelled, 'input#q has no label');
        const badges = await page.$$eval('li.card', (ls) => Object.fromEntries(ls.map((l) =>
            [l.dataset.name, [...l.querySelectorAll('.badge')].map((b) => b.textContent.trim()).filter((t) => /^(verified|untrusted|unsigned)$/.test(t)).join(',')])));
        c.eq('signature badges', badges, EXPECT.badges);
        c.check((await page.textContent('body')).includes(kid), `the key id ${kid} is not shown`);
        c.check((await page.title()).includes(idx.repository.name), `title ${JSON.stringify(await page.title())} lacks the repository name`);
        await clean(c, page, site);
    });

    await test(`search by description, tag, name over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        for (const [q, want] of EXPECT.queries) {
            await page.fill('#q', '');
            if (q)
                await page.locator('#q').pressSequentially(q);
            await checkShown(c, page, `query ${JSON.stringify(q)}`, want);
        }
        await clean(c, page, site);
    });

    await test(`filter by category and tag over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        const opts = (sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => o.value));
        c.eq('select#category options', await opts('select#category'), ['', ...EXPECT.categories]);
        c.eq('select#tag options', await opts('select#tag'), ['', ...EXPECT.tags]);
        for (const [cat, tag, q, want] of EXPECT.filters) {
            await page.selectOption('select#category', cat);
            await page.selectOption('select#tag', tag);
            await page.fill('#q', q);
            await checkShown(c, page, `category ${JSON.stringify(cat)} tag ${JSON.stringify(tag)} query ${JSON.stringify(q)}`, want);
        }
        await clean(c, page, site);
    });

    await test(`sort by name and by updated over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        c.eq('select#sort options', await page.$$eval('select#sort option', (os) => os.map((o) => o.value)), ['name', 'updated']);
        const order = async () => page.$$eval('ul#cards > li.card', (els) => els.map((e) => e.dataset.name));
        await page.selectOption('select#sort', 'updated');
        c.eq('order by updated', await settle(order, EXPECT.updated), EXPECT.updated);
        await page.selectOption('select#category', 'Data');
        await checkShown(c, page, 'updated, category Data', ['zlib-wasm', 'jsonq']);
        await page.selectOption('select#category', '');
        await page.selectOption('select#sort', 'name');
        c.eq('order by name', await settle(order, EXPECT.names), EXPECT.names);
        await checkShown(c, page, 'back to name', EXPECT.names);
    });

    await test(`use this repository shows this site's URL over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        const urls = await settle(() => page.$$eval('span.site-url', (s) => s.map((e) => e.textContent)), [site.url, site.url]);
        c.check(urls.length >= 2, `${urls.length} span.site-url, expected one in each command`);
        for (const u of urls)
            c.eq('span.site-url', u, site.url);
        const lines = (t) => t.split('\n').map((l) => l.trim()).filter((l) => l);
        c.eq('code#trust-add', lines(await page.textContent('code#trust-add')),
            [`curl -o repo.pub ${site.url}keys/repo.pub`, 'wharf trust add repo.pub']);
        c.eq('code#source-add', lines(await page.textContent('code#source-add')),
            [`wharf source add ${idx.repository.name} ${site.url} --key repo.pub`]);
        const keyLinks = await page.$$eval('a[href]', (as) => as.map((a) => a.href).filter((h) => h.endsWith('keys/repo.pub')));
        c.check(keyLinks.length > 0 && keyLinks.every((h) => h === site.url + 'keys/repo.pub'),
            `links to keys/repo.pub: ${JSON.stringify(keyLinks)}`);
    });

    await test(`a card's link opens its module page over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        const link = page.locator('li.card[data-name="hello"] a[href$="modules/hello/index.html"]').first();
        if (!c.check(await link.count() === 1, "hello's card has no link to modules/hello/index.html"))
            return;
        await Promise.all([page.waitForURL(site.url + 'modules/hello/index.html', { waitUntil: 'load' }), link.click()]);
        c.eq('code#install', await page.textContent('code#install'), EXPECT.install.hello);
        c.check(await page.locator('button#copy').count() === 1, 'no button#copy');
        c.check((await page.title()).includes('hello'), `title ${JSON.stringify(await page.title())} lacks hello`);
        await checkVersions(c, page, site, idx, 'hello');
        const used = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
        c.check(used.includes(site.url + 'modules/jsonq/index.html'), 'no link to jsonq, which uses hello');
        for (const u of await page.$$eval('span.site-url', (s) => s.map((e) => e.textContent)))
            c.eq('span.site-url on a module page', u, site.url);
        await clean(c, page, site);
    });

    await test(`the keyboard alone searches, opens a module and copies its install line over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        if (!c.check(await tabTo(page, 'input#q'), 'Tab never reaches input#q'))
            return;
        await page.keyboard.type('politely');
        await checkShown(c, page, 'typed politely', ['hello']);
        if (!c.check(await tabTo(page, 'li.card[data-name="hello"] a'), "Tab never reaches hello's card link"))
            return;
        await Promise.all([page.waitForURL(site.url + 'modules/hello/index.html', { waitUntil: 'load' }),
            page.keyboard.press('Enter')]);
        if (!c.check(await tabTo(page, 'button#copy'), 'Tab never reaches button#copy'))
            return;
        const outline = await page.$eval('button#copy', (b) => getComputedStyle(b).outlineStyle);
        c.check(outline !== 'none', 'the focused copy button shows no outline');
        await page.keyboard.press('Enter');
        await settle(async () => (await page.textContent('button#copy')).trim(), 'copied');
        c.eq('button#copy after Enter', (await page.textContent('button#copy')).trim(), 'copied');
        await clean(c, page, site);
    });

    await test(`module pages of every kind over ${m}`, async (c) => {
        for (const name of EXPECT.names) {
            if (name === 'hello')
                continue;
            const page = await open(c, ctx, site, `${site.url}modules/${name}/index.html`);
            c.eq(`${name}: code#install`, await page.textContent('code#install'), EXPECT.install[name]);
            await checkVersions(c, page, site, idx, name);
            const body = await page.textContent('body');
            if (name === 'jsonq') {
                const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
                c.check(hrefs.includes(site.url + 'modules/hello/index.html'), 'jsonq: no link to its dependency hello');
                c.check(body.includes('^1.0'), 'jsonq: its dependency\'s requirement ^1.0 is not shown');
            }
            if (name === 'fake-payments')
                for (const t of ['aarch64-macos', 'x86_64-linux'])
                    c.check(body.includes(t), `fake-payments: target ${t} is not shown`);
            if (name === 'fmt-md')
                for (const t of ['format_handler', '["md","markdown"]', 'width', '80'])
                    c.check(body.includes(t), `fmt-md: ${t} is not shown`);
            await clean(c, page, site);
        }
    });

    await test(`category pages over ${m}`, async (c) => {
        const home = await open(c, ctx, site, site.home);
        const links = await categoryLinks(c, home, site, EXPECT.categories);
        for (const [name, href] of Object.entries(links)) {
            const page = await open(c, ctx, site, href);
            const k = await cards(page);
            c.eq(`${name}: cards`, k.all, EXPECT.byCategory[name]);
            c.eq(`${name}: cards rendered`, k.rendered, EXPECT.byCategory[name]);
            c.check((await page.title()).includes(name), `${name}: title ${JSON.stringify(await page.title())}`);
            await clean(c, page, site);
        }
    });
    await ctx.close();
}

// Each version row of module name: the versions newest first, each one's
// code.sha256 the real sha256 of its package file, and a link to that file.
async function checkVersions(c, page, site, idx, name) {
    const rows = await page.$$eval('tr.version', (trs) => trs.map((tr) => ({
        version: tr.dataset.version,
        sha: (tr.querySelector('code.sha256') || {}).textContent,
        hrefs: [...tr.querySelectorAll('a[href]')].map((a) => a.href),
    })));
    c.eq(`${name}: tr.version`, rows.map((r) => r.version), EXPECT.versions[name]);
    for (const r of rows) {
        const rec = idx.modules[name] && idx.modules[name].versions[r.version];
        if (!c.check(rec, `${name}: version ${r.version} is not in index.json`))
            continue;
        const real = sha256(path.join(site.dir, rec.path));
        c.eq(`${name}@${r.version}: code.sha256`, r.sha, real);
        c.check(r.hrefs.some((h) => siteFile(site, h) === rec.path),
            `${name}@${r.version}: no link to ${rec.path} in its row (${JSON.stringify(r.hrefs.map((h) => short(site, h)))})`);
    }
}

// --- once per run ---------------------------------------------------------

async function feedCase(browser, name, dir, want) {
    await test(`the ${name} site's feed.xml is well-formed Atom`, async (c) => {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        c.pages.push(page);
        const text = fs.readFileSync(path.join(dir, 'feed.xml'), 'utf8');
        const r = await page.evaluate((text) => {
            const doc = new DOMParser().parseFromString(text, 'application/xml');
            const err = doc.querySelector('parsererror');
            if (err)
                return { error: err.textContent };
            const root = doc.documentElement;
            const entries = [...root.children].filter((e) => e.localName === 'entry');
            return {
                root: `${root.namespaceURI} ${root.localName}`,
                ids: entries.map((e) => (e.getElementsByTagNameNS('*', 'id')[0] || {}).textContent),
                text: root.textContent,
            };
        }, text);
        await ctx.close();
        if (!c.check(!r.error, `not well-formed: ${r.error}`))
            return;
        c.eq('root element', r.root, 'http://www.w3.org/2005/Atom feed');
        c.eq('entry ids', r.ids, want.ids);
        for (const t of want.text || [])
            c.check(r.text.includes(t), `the text ${JSON.stringify(t)} is not in the feed as text`);
    });
}

async function noScriptCase(browser, site) {
    await test(`without JavaScript every card is shown over ${site.mode}`, async (c) => {
        const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
        ctx.setDefaultTimeout(TIMEOUT);
        try {
            const page = await open(c, ctx, site, site.home);
            const k = await cards(page);
            c.eq('cards', k.all, EXPECT.names);
            c.eq('cards shown', k.shown, EXPECT.names);
            c.eq('cards rendered', k.rendered, EXPECT.names);
            for (const id of ['#q', '#category', '#tag', '#sort'])
                c.check(!(await page.locator(id).isVisible()), `${id} is shown, but does nothing without JavaScript`);
            for (const u of await page.$$eval('span.site-url', (s) => s.map((e) => e.textContent)))
                c.check(/^URL-OF-THIS-SITE\/?$/.test(u), `span.site-url without JavaScript: ${JSON.stringify(u)}, expected "URL-OF-THIS-SITE"`);
            await checkLinks(c, page, site);
            const link = page.locator('li.card[data-name="hello"] a[href$="modules/hello/index.html"]').first();
            await Promise.all([page.waitForURL(site.url + 'modules/hello/index.html', { waitUntil: 'load' }), link.click()]);
            c.eq('code#install', await page.textContent('code#install'), EXPECT.install.hello);
            c.eq('tr.version', await page.$$eval('tr.version', (t) => t.map((e) => e.dataset.version)), EXPECT.versions.hello);
            await checkLinks(c, page, site);
        } finally {
            await ctx.close();
        }
    });
}

async function phoneCase(browser, site, hostile) {
    await test(`no horizontal scroll at phone width (390x844) over ${site.mode}`, async (c) => {
        const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
        ctx.setDefaultTimeout(TIMEOUT);
        try {
            const home = await open(c, ctx, site, site.home);
            const cats = await categoryLinks(c, home, site, ['Text']);
            const urls = [site.home, `${site.url}modules/hello/index.html`, `${site.url}modules/fake-payments/index.html`,
                cats.Text, hostile.home, `${hostile.url}modules/xss3/index.html`, `${hostile.url}modules/xss-plugin/index.html`];
            for (const url of urls.filter((u) => u)) {
                const s = url.startsWith(hostile.url) ? hostile : site;
                const page = await open(c, ctx, s, url);
                const w = await page.evaluate(() => {
                    const wide = [...document.querySelectorAll('body *')]
                        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                        .map((e) => `${e.localName}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).split(' ').join('.') : ''}`);
                    return { scroll: document.documentElement.scrollWidth, inner: window.innerWidth, wide: wide.slice(0, 5) };
                });
                c.check(w.scroll <= w.inner, `${short(s, url)}: scrollWidth ${w.scroll} > innerWidth ${w.inner}; too wide: ${w.wide.join(', ')}`);
            }
        } finally {
            await ctx.close();
        }
    });
}

async function screenshotCase(browser, site) {
    await test(`screenshots of home and module pages over ${site.mode}`, async (c) => {
        fs.mkdirSync(args.shots, { recursive: true });
        const sizes = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
        const sums = {};
        for (const [size, viewport] of Object.entries(sizes)) {
            for (const scheme of ['light', 'dark']) {
                const ctx = await browser.newContext({ viewport, colorScheme: scheme, isMobile: size === 'phone' });
                ctx.setDefaultTimeout(TIMEOUT);
                try {
                    for (const [kind, url] of [['home', site.home], ['module', `${site.url}modules/hello/index.html`]]) {
                        const page = await open(c, ctx, site, url);
                        const file = path.join(args.shots, `${kind}-${size}${scheme === 'dark' ? '-dark' : ''}.png`);
                        const png = await page.screenshot({ path: file, fullPage: true });
                        c.check(png.length > 1000, `${file}: only ${png.length} bytes`);
                        sums[`${kind}-${size}-${scheme}`] = crypto.createHash('sha256').update(png).digest('hex');
                        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
                        sums[`${kind}-${size}-${scheme}-bg`] = bg;
                    }
                } finally {
                    await ctx.close();
                }
            }
        }
        for (const kind of ['home', 'module'])
            for (const size of Object.keys(sizes))
                if (sums[`${kind}-${size}-light`] === sums[`${kind}-${size}-dark`])
                    console.log(`# note: ${kind}-${size}: the dark screenshot is the light one (no prefers-color-scheme: dark?)`);
        console.log(`# screenshots in ${args.shots}`);
    });
}

// --- the hostile site -----------------------------------------------------

async function hostileCases(browser, site, mainSite) {
    const m = site.mode;
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(TIMEOUT);
    const theme = await themeMedia(ctx, mainSite);

    await test(`hostile text on the home page is text over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        c.eq('cards', (await cards(page)).all, HOSTILE_NAMES);
        for (const [name, h] of Object.entries(HOSTILE))
            if (h.description)
                c.check(await hasTextElement(page, `li.card[data-name="${name}"]`, h.description),
                    `${name}'s card has no element whose text is its description ${JSON.stringify(h.description)}`);
        const descs = await page.evaluate(() => window.WHARF_SEARCH.modules.map((x) => x.description));
        c.eq('search.js descriptions', descs, HOSTILE_NAMES.map((n) => HOSTILE[n].description));
        await clean(c, page, site, theme);
        // A query is markup too: shown back (if it is) as text.
        for (const q of ['<img src=x onerror=alert(10)>', '"><svg onload=alert(11)>']) {
            await page.fill('#q', q);
            await checkShown(c, page, `query ${JSON.stringify(q)}`, []);
            await checkNoInjection(c, page, site, theme);
        }
        await page.fill('#q', 'alert');
        await checkShown(c, page, 'query "alert"', ['xss-plugin', 'xss1', 'xss2', 'xss3']);
        await page.fill('#q', '<script>');
        await checkShown(c, page, 'query "<script>"', ['xss1', 'xss2', 'xss3']);
        await page.waitForTimeout(100);  // a late alert() would show now
    });

    await test(`hostile categories and tags filter as text over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        const cats = [...new Set(Object.values(HOSTILE).flatMap((h) => h.categories))].sort();
        const tags = [...new Set(Object.values(HOSTILE).flatMap((h) => h.tags))].sort();
        const opts = (sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => o.value));
        c.eq('select#category options', await opts('select#category'), ['', ...cats]);
        c.eq('select#tag options', await opts('select#tag'), ['', ...tags]);
        for (const cat of cats) {
            await page.selectOption('select#category', cat);
            await checkShown(c, page, `category ${JSON.stringify(cat)}`, HOSTILE_NAMES.filter((n) => HOSTILE[n].categories.includes(cat)));
        }
        await page.selectOption('select#category', '');
        for (const tag of tags) {
            await page.selectOption('select#tag', tag);
            await checkShown(c, page, `tag ${JSON.stringify(tag)}`, HOSTILE_NAMES.filter((n) => HOSTILE[n].tags.includes(tag)));
        }
        await checkNoInjection(c, page, site, theme);
    });

    await test(`hostile module pages over ${m}`, async (c) => {
        for (const name of HOSTILE_NAMES) {
            const h = HOSTILE[name];
            const page = await open(c, ctx, site, `${site.url}modules/${name}/index.html`);
            const body = await page.textContent('body');
            for (const t of [h.description, h.author, ...h.tags, ...h.categories, ...(h.text || [])])
                if (t)
                    c.check(body.includes(t), `${name}: ${JSON.stringify(t)} is not shown as text`);
            if (h.description)
                c.check(await hasTextElement(page, 'body', h.description), `${name}: no element whose text is the description`);
            c.eq(`${name}: code#install`, await page.textContent('code#install'), `wharf install ${name}@^1.0`);
            await clean(c, page, site, theme);
            await page.waitForTimeout(50);
        }
    });

    await test(`hostile category pages over ${m}`, async (c) => {
        const home = await open(c, ctx, site, site.home);
        const cats = [...new Set(Object.values(HOSTILE).flatMap((h) => h.categories))].sort();
        const links = await categoryLinks(c, home, site, cats);
        const slugs = Object.values(links).map((h) => h.replace(/\/index\.html$/, '').split('/').pop());
        c.eq('distinct category slugs', new Set(slugs).size, cats.length);
        for (const s of slugs)
            c.check(/^[A-Za-z0-9._-]+$/.test(decodeURIComponent(s)), `category slug ${JSON.stringify(s)} has unsafe characters`);
        for (const [name, href] of Object.entries(links)) {
            const page = await open(c, ctx, site, href);
            c.eq(`${name}: cards`, (await cards(page)).all, HOSTILE_NAMES.filter((n) => HOSTILE[n].categories.includes(name)));
            c.check((await page.textContent('body')).includes(name), `${JSON.stringify(name)} is not shown as text on its page`);
            for (const n of HOSTILE_NAMES.filter((x) => HOSTILE[x].categories.includes(name) && HOSTILE[x].description))
                c.check(await hasTextElement(page, `li.card[data-name="${n}"]`, HOSTILE[n].description), `${name}: ${n}'s description is not text`);
            await clean(c, page, site, theme);
            await page.waitForTimeout(50);
        }
    });
    await ctx.close();
}

// search.js, byte by byte: the JSON cannot close its script.
function searchJsCase(dir) {
    return test('the hostile site\'s search.js escapes < > & U+2028 U+2029', async (c) => {
        const text = fs.readFileSync(path.join(dir, 'search.js'), 'utf8');
        const m = /^window\.WHARF_SEARCH = ([\s\S]*);\s*$/.exec(text);
        if (!c.check(m, `search.js is not "window.WHARF_SEARCH = {...};": ${JSON.stringify(text.slice(0, 60))}`))
            return;
        for (const ch of ['<', '>', '&', '\u2028', '\u2029'])
            c.check(!m[1].includes(ch), `search.js holds a raw ${JSON.stringify(ch)}`);
        const data = JSON.parse(m[1]);
        c.eq('names', data.modules.map((x) => x.name), HOSTILE_NAMES);
        c.eq('descriptions', data.modules.map((x) => x.description), HOSTILE_NAMES.map((n) => HOSTILE[n].description));
    });
}

// --- paged catalogues (sharded sites) ------------------------------------------

// The names in ul#results, once the search settles on want; and the shards
// the page asked for.
async function results(page, want) {
    return settle(() => page.$$eval('ul#results > li.card', (ls) => ls.map((l) => l.dataset.name)), want, 5000);
}

async function pagedCases(browser, site, hostile, big) {
    const m = site.mode;
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(TIMEOUT);

    await test(`a paged catalogue's search over ${m}`, async (c) => {
        const page = await open(c, ctx, site, site.home);
        const data = await page.evaluate(() => window.WHARF_SEARCH);
        c.check(data && data.paged === true && data.shards.length === 1, `search.js: ${JSON.stringify(data).slice(0, 200)}`);
        c.eq('the latest updates (all five)', (await cards(page)).shown.sort(), EXPECT.names);
        for (const [q, want] of EXPECT.queries.filter(([q]) => q)) {
            await page.fill('#q', q);
            c.eq(`query ${JSON.stringify(q)}`, await results(page, want), want);
            c.check(await page.locator('ul#cards').isHidden(), `query ${JSON.stringify(q)}: the latest updates are still shown`);
        }
        await page.fill('#q', '');
        for (const [cat, tag, q, want] of EXPECT.filters.filter((f) => f[0] || f[1] || f[2])) {
            await page.selectOption('#category', cat);
            await page.selectOption('#tag', tag);
            await page.fill('#q', q);
            c.eq(`category ${JSON.stringify(cat)}, tag ${JSON.stringify(tag)}, query ${JSON.stringify(q)}`,
                await results(page, want), want);
        }
        await page.click('#reset');
        c.check(await settle(() => page.locator('ul#results').isHidden(), true), 'reset: the results stay');
        c.check(await page.locator('ul#cards').isVisible(), 'reset: the latest updates are not back');
        await page.fill('#q', 'demo');
        await results(page, ['hello', 'jsonq']);
        const hrefs = await page.$$eval('ul#results a', (as) => as.map((a) => a.href));
        c.eq('result links', hrefs, ['hello', 'jsonq'].map((n) => site.url + `modules/${n}/index.html`));
        for (const h of hrefs)
            c.check(fs.existsSync(path.join(site.dir, siteFile(site, h))), `${h}: no such page`);
        const count = await page.textContent('#count');
        c.eq('#count', count, '2 modules');
        const p2 = await open(c, ctx, site, site.home + '#category=Data');
        c.eq('#category=Data on opening', await results(p2, ['jsonq', 'zlib-wasm']), ['jsonq', 'zlib-wasm']);
    });

    await test(`a paged catalogue's results are text over ${m}`, async (c) => {
        const page = await open(c, ctx, hostile, hostile.home);
        await page.fill('#q', 'alert');
        const want = ['xss-plugin', 'xss1', 'xss2', 'xss3'];
        c.eq('results', await results(page, want), want);
        for (const n of want)
            c.check(await hasTextElement(page, `ul#results li.card[data-name="${n}"]`, HOSTILE[n].description),
                `${n}: its description is not text`);
        await clean(c, page, hostile);
    });

    await test(`a paged catalogue loads only the shards a search needs over ${m}`, async (c) => {
        const page = await open(c, ctx, big, big.home);
        const asked = new Set();
        page.on('request', (r) => { if (/\/search\/[0-9a-f]{64}\.js$/.test(r.url())) asked.add(r.url()); });
        const n = await page.evaluate(() => window.WHARF_SEARCH.shards.length);
        c.eq('shards', n, 8);
        await page.fill('#q', 'scale bench');
        await settle(() => page.textContent('#count'), 'first 100 matches (more: refine the search)', 5000);
        c.eq('#count', await page.textContent('#count'), 'first 100 matches (more: refine the search)');
        c.eq('results shown', await page.locator('ul#results > li.card').count(), 100);
        c.eq('shards loaded for a common word', asked.size, 4);
        await page.fill('#q', 'module 4321 of');
        c.eq('a rare one', await results(page, ['m0004321']), ['m0004321']);
        c.eq('#count', await settle(() => page.textContent('#count'), '1 module'), '1 module');
        c.eq('shards loaded for it: all, each once', asked.size, 8);
        await page.fill('#q', 'zzqqxx');
        await settle(() => page.locator('#empty').isVisible(), true, 5000);
        c.check(await page.locator('#empty').isVisible(), 'no match: #empty is not shown');
    });
}

// --- main -----------------------------------------------------------------

async function main() {
    const t0 = Date.now();
    const watchdog = setTimeout(() => {
        console.log('not ok the browser tests finish within 240 s: stopped');
        process.exit(1);
    }, 240000);
    watchdog.unref();
    const srv = await start(args.www);
    let browser;
    try {
        // --no-sandbox: CI runs as root; /dev/shm is small in containers.
        browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
        const main = [fileSite(args.main), httpSite(args.main, srv)];
        const hostile = [fileSite(args.hostile), httpSite(args.hostile, srv)];
        for (const site of main)
            await mainCases(browser, site);
        await noScriptCase(browser, main[0]);
        await noScriptCase(browser, main[1]);
        await phoneCase(browser, main[1], hostile[1]);
        await screenshotCase(browser, main[1]);
        const kid = keyId(args.main);
        await feedCase(browser, 'main', args.main, { ids: EXPECT.feed.map((e) => `urn:wharf:${kid}:${e}`) });
        for (let i = 0; i < hostile.length; i++)
            await hostileCases(browser, hostile[i], main[i]);
        await searchJsCase(args.hostile);
        if (args.pmain)
            for (const mk of [fileSite, (d) => httpSite(d, srv)])
                await pagedCases(browser, mk(args.pmain), mk(args.phostile), mk(args.big));
        const hk = keyId(args.hostile);
        await feedCase(browser, 'hostile', args.hostile, {
            ids: HOSTILE_NAMES.map((n) => `urn:wharf:${hk}:${n}@1.0.0`),
            text: [XSS.script, XSS.img, XSS.svg],
        });
    } finally {
        if (browser)
            await browser.close();
        await srv.close();
    }
    console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
    console.log(`not ok the browser tests run: ${String(e.message || e).split('\n')[0]}`);
    console.error(e.stack || e);
    process.exit(1);
});
