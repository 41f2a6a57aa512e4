/* catalogue.js - the wharf catalogue's only script: search, filters and
 * sort on the home page, copy buttons, and this site's URL in the
 * "use this repository" commands.
 *
 * Design:
 *   - The pages are complete without it.  It adds class "js" to <html>,
 *     which shows the .needs-js controls (style.css hides them until then).
 *   - It never writes HTML.  The cards are rendered by the server; the
 *     script only sets their `hidden` attribute (filter) and moves the
 *     existing li.card nodes (sort).  Text it writes goes through
 *     textContent.  So package data, which is hostile, is never parsed as
 *     markup here, and the page's CSP (script-src 'self', no inline code)
 *     holds.
 *   - The search data is window.WHARF_SEARCH, set by SITE/search.js, a
 *     plain <script src> loaded before this one (fetch is refused on
 *     file://).  li.card's data-id is the card's index in its modules list.
 *   - A paged catalogue (a sharded site, docs/catalogue.md) has too many
 *     modules for one file: its search.js lists search shards
 *     (search/HEX.js, each calling window.WHARF_SEARCH_SHARD), and the home
 *     page's cards are the latest updates.  A search loads shards
 *     PARALLEL at a time, in the listed order, until LIMIT modules match
 *     or none is left, keeping at most KEEP shards; so no browser ever
 *     holds the whole repository.  Its results are the one place this
 *     script makes elements: li.card in ul#results, every text through
 *     textContent, the only link modules/NAME/index.html (a name is
 *     [A-Za-z0-9._-], and is URI-encoded even so).
 *   - The filter state lives in the controls and is mirrored in the URL's
 *     fragment (#q=csv&tag=x&sort=updated), so a filtered view can be
 *     bookmarked or shared and comes back on reload.
 *   - The site's URL is this page's URL resolved against its relative
 *     root (<html data-root>), so the commands are right wherever the
 *     folder is served from, file:// included.
 * ES2017, no libraries, one IIFE.
 */
(function () {
    "use strict";

    var doc = document;
    var html = doc.documentElement;
    html.classList.add("js");

    function $(id) {
        return doc.getElementById(id);
    }

    /* A polite live region, for what a screen reader would otherwise miss. */
    var live = doc.createElement("span");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    doc.body.appendChild(live);

    function announce(text) {
        live.textContent = "";
        setTimeout(function () { live.textContent = text; }, 50);
    }

    /* --- this site's URL ------------------------------------------------- */

    /* The URL of the site's root folder, made safe to paste into a shell:
     * quoted when it holds anything but the usual URL characters (an IPv6
     * host's brackets, a folder named with & or $). */
    function siteUrl() {
        var root = html.getAttribute("data-root") || "./";
        var url = new URL(root, doc.baseURI).href;
        if (/[^A-Za-z0-9\-._~:/%@+,=]/.test(url))
            url = "'" + url.replace(/'/g, "%27") + "'";
        return url;
    }

    function fillSiteUrl() {
        var spans = doc.querySelectorAll("span.site-url");
        if (!spans.length)
            return;
        var url = siteUrl();
        spans.forEach(function (s) { s.textContent = url; });
    }

    /* --- copy buttons: button[data-copy=ID] copies #ID's text ------------ */

    function copy(btn) {
        var target = $(btn.getAttribute("data-copy"));
        if (!target)
            return;
        var text = target.textContent.trim();
        if (!btn.hasAttribute("data-label"))
            btn.setAttribute("data-label", btn.textContent);

        function say(msg, ok) {
            btn.textContent = msg;
            btn.classList.toggle("done", ok);
            announce(ok ? "copied" : "text selected, press Ctrl+C to copy");
            clearTimeout(btn.wharfTimer);
            btn.wharfTimer = setTimeout(function () {
                btn.textContent = btn.getAttribute("data-label");
                btn.classList.remove("done");
            }, 2000);
        }

        /* No clipboard API (an old browser, a refusal): select the text,
         * try the old command, and leave the selection for Ctrl+C. */
        function fallback() {
            var range = doc.createRange();
            var sel = window.getSelection();
            range.selectNodeContents(target);
            sel.removeAllRanges();
            sel.addRange(range);
            var ok = false;
            try {
                ok = doc.execCommand("copy");
            } catch (e) {
                ok = false;
            }
            say(ok ? "copied" : "selected", ok);
        }

        if (navigator.clipboard && navigator.clipboard.writeText)
            navigator.clipboard.writeText(text).then(function () {
                say("copied", true);
            }, fallback);
        else
            fallback();
    }

    function initCopy() {
        doc.querySelectorAll("button[data-copy]").forEach(function (btn) {
            btn.addEventListener("click", function () { copy(btn); });
        });
    }

    /* --- the home page: search, filters, sort ---------------------------- */

    /* Lower case without accents, so "Cafe" finds "café". */
    function norm(s) {
        return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
            .toLowerCase();
    }

    function initSearch() {
        var list = $("cards");
        var q = $("q");
        var controls = q && q.closest(".controls");
        var data = window.WHARF_SEARCH && window.WHARF_SEARCH.modules;
        if (!list || !q)
            return;
        if (window.WHARF_SEARCH && window.WHARF_SEARCH.paged &&
            Array.isArray(window.WHARF_SEARCH.shards)) {
            initPaged(window.WHARF_SEARCH, list, q);
            return;
        }
        if (!Array.isArray(data)) {
            /* search.js is missing: keep the plain list. */
            controls.hidden = true;
            $("count").hidden = true;
            return;
        }
        var sel = {
            category: $("category"),
            tag: $("tag"),
            kind: $("kind"),
            sort: $("sort")
        };
        var count = $("count");
        var empty = $("empty");

        var items = Array.prototype.map.call(
            list.querySelectorAll("li.card"), function (li) {
                var id = Number(li.getAttribute("data-id"));
                var m = data[id] || {};
                var tags = Array.isArray(m.tags) ? m.tags.map(String) : [];
                return {
                    li: li,
                    id: id,
                    text: norm([m.name, m.description].concat(tags).join("\n")),
                    tags: tags,
                    cats: Array.isArray(m.categories) ? m.categories.map(String) : [],
                    kind: String(m.kind),
                    updated: Number(m.updated) || 0
                };
            });

        function matches(it, terms) {
            return (!sel.category.value || it.cats.indexOf(sel.category.value) >= 0) &&
                (!sel.tag.value || it.tags.indexOf(sel.tag.value) >= 0) &&
                (!sel.kind || !sel.kind.value || it.kind === sel.kind.value) &&
                terms.every(function (t) { return it.text.indexOf(t) >= 0; });
        }

        function filter() {
            var terms = norm(q.value).split(/\s+/).filter(Boolean);
            var n = 0;
            items.forEach(function (it) {
                var show = matches(it, terms);
                if (it.li.hidden === show)
                    it.li.hidden = !show;
                if (show)
                    n++;
            });
            count.textContent = n === 1 ? "1 module" : n + " modules";
            empty.hidden = n !== 0;
        }

        /* Name order is the server's (data-id order); "updated" is newest
         * first, then by name.  Existing nodes are moved, not rebuilt. */
        function sort() {
            var byDate = sel.sort.value === "updated";
            var order = items.slice().sort(function (a, b) {
                return (byDate ? b.updated - a.updated : 0) || a.id - b.id;
            });
            var frag = doc.createDocumentFragment();
            order.forEach(function (it) { frag.appendChild(it.li); });
            list.appendChild(frag);
        }

        /* The state in the fragment: only non-default values. */
        var keys = ["q", "category", "tag", "kind", "sort"];
        function control(k) {
            return k === "q" ? q : sel[k];
        }

        function saveState() {
            var p = new URLSearchParams();
            keys.forEach(function (k) {
                var c = control(k);
                if (c && c.value && !(k === "sort" && c.value === "name"))
                    p.set(k, c.value);
            });
            var frag = p.toString();
            var url = location.href.split("#")[0] + (frag ? "#" + frag : "");
            if (url === location.href || (!frag && location.hash.indexOf("=") < 0))
                return;
            try {
                history.replaceState(null, "", url);
            } catch (e) {
                /* some browsers refuse it on file://: no bookmarkable state */
            }
        }

        function loadState() {
            var h = location.hash.slice(1);
            if (h.indexOf("=") < 0)
                return;
            var p = new URLSearchParams(h);
            keys.forEach(function (k) {
                var c = control(k);
                if (!c)
                    return;
                var v = p.has(k) ? p.get(k) : k === "sort" ? "name" : "";
                if (c.tagName === "SELECT" &&
                    !Array.prototype.some.call(c.options, function (o) { return o.value === v; }))
                    return;
                c.value = v;
            });
        }

        var pending = 0;
        function update() {
            if (pending)
                return;
            pending = requestAnimationFrame(function () {
                pending = 0;
                filter();
                saveState();
            });
        }

        q.addEventListener("input", update);
        q.addEventListener("keydown", function (e) {
            if (e.key === "Escape" && q.value) {
                q.value = "";
                update();
            }
        });
        ["category", "tag", "kind"].forEach(function (k) {
            if (sel[k])
                sel[k].addEventListener("change", update);
        });
        sel.sort.addEventListener("change", function () {
            sort();
            saveState();
        });
        $("reset").addEventListener("click", function () {
            q.value = "";
            ["category", "tag", "kind"].forEach(function (k) {
                if (sel[k])
                    sel[k].value = "";
            });
            filter();
            saveState();
            q.focus();
        });

        /* "/" jumps to the search box, as on many sites. */
        doc.addEventListener("keydown", function (e) {
            var t = e.target;
            if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey ||
                t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))
                return;
            e.preventDefault();
            q.focus();
            q.select();
        });

        /* A link or bookmark to another filtered view of this page. */
        window.addEventListener("hashchange", function () {
            if (location.hash.indexOf("=") < 0)
                return;
            loadState();
            sort();
            filter();
        });

        loadState();
        sort();
        filter();
    }

    /* --- a paged catalogue's search --------------------------------------- */

    var LIMIT = 100, KEEP = 64, PARALLEL = 4;

    function initPaged(data, list, q) {
        var root = html.getAttribute("data-root") || "";
        var shards = data.shards.filter(function (h) { return /^[0-9a-f]{64}$/.test(h); });
        var cache = new Map();          /* hex -> modules, oldest first */
        var waiting = new Map();        /* hex -> callbacks */
        var sel = { category: $("category"), tag: $("tag"), kind: $("kind"), sort: $("sort") };
        var count = $("count"), empty = $("empty");
        var results = doc.createElement("ul");
        results.id = "results";
        results.className = "cards";
        results.hidden = true;
        list.parentNode.insertBefore(results, list.nextSibling);
        var recentText = count.textContent;

        function done(hex, mods) {
            var w = waiting.get(hex);
            if (!w)
                return;
            waiting.delete(hex);
            cache.set(hex, mods);
            while (cache.size > KEEP)
                cache.delete(cache.keys().next().value);
            w.forEach(function (f) { f(mods); });
        }
        window.WHARF_SEARCH_SHARD = function (hex, obj) {
            done(hex, obj && Array.isArray(obj.modules) ? obj.modules : []);
        };
        function load(hex) {
            if (cache.has(hex)) {
                var m = cache.get(hex);
                cache.delete(hex);
                cache.set(hex, m);
                return Promise.resolve(m);
            }
            return new Promise(function (resolve) {
                if (waiting.has(hex)) {
                    waiting.get(hex).push(resolve);
                    return;
                }
                waiting.set(hex, [resolve]);
                var s = doc.createElement("script");
                s.src = root + "search/" + hex + ".js";
                /* A shard that is missing or says nothing counts as empty. */
                s.onerror = s.onload = function () {
                    s.remove();
                    done(hex, []);
                };
                doc.head.appendChild(s);
            });
        }

        function strings(v) {
            return Array.isArray(v) ? v.map(String) : [];
        }
        function matcher() {
            var terms = norm(q.value).split(/\s+/).filter(Boolean);
            var c = sel.category.value, t = sel.tag.value, k = sel.kind ? sel.kind.value : "";
            if (!terms.length && !c && !t && !k)
                return null;
            return function (m) {
                var tags = strings(m.tags);
                var text = norm([m.name, m.description].concat(tags).join("\n"));
                return (!c || strings(m.categories).indexOf(c) >= 0) &&
                    (!t || tags.indexOf(t) >= 0) && (!k || String(m.kind) === k) &&
                    terms.every(function (x) { return text.indexOf(x) >= 0; });
            };
        }

        function card(m) {
            var li = doc.createElement("li"), head = doc.createElement("div");
            var h = doc.createElement("h3"), a = doc.createElement("a");
            var ver = doc.createElement("span"), desc = doc.createElement("p");
            var tags = doc.createElement("ul");
            li.className = "card";
            li.setAttribute("data-name", String(m.name));
            head.className = "card-head";
            h.className = "card-title";
            a.href = root + "modules/" + encodeURIComponent(String(m.name)) + "/index.html";
            a.textContent = String(m.name);
            ver.className = "ver";
            ver.textContent = String(m.version);
            desc.className = "desc";
            desc.textContent = String(m.description || "");
            tags.className = "tags";
            strings(m.tags).forEach(function (t) {
                var i = doc.createElement("li");
                i.textContent = t;
                tags.appendChild(i);
            });
            h.appendChild(a);
            head.appendChild(h);
            head.appendChild(ver);
            li.appendChild(head);
            li.appendChild(desc);
            li.appendChild(tags);
            return li;
        }

        function show(found, complete) {
            var byDate = sel.sort.value === "updated";
            var v = found.slice().sort(function (a, b) {
                return (byDate ? (Number(b.updated) || 0) - (Number(a.updated) || 0) : 0) ||
                    (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0);
            }).slice(0, LIMIT);
            var frag = doc.createDocumentFragment();
            v.forEach(function (m) { frag.appendChild(card(m)); });
            results.textContent = "";
            results.appendChild(frag);
            var n = v.length;
            count.textContent = !complete ? "first " + n + " matches (more: refine the search)"
                : n === 1 ? "1 module" : n + " modules";
            empty.hidden = n !== 0 || !complete;
        }

        var gen = 0;
        function run() {
            var my = ++gen, match = matcher(), found = [], at = 0;
            list.hidden = !!match;
            results.hidden = !match;
            if (!match) {
                results.textContent = "";
                count.textContent = recentText;
                empty.hidden = true;
                return;
            }
            function next() {
                if (my !== gen)
                    return;
                if (at >= shards.length || found.length >= LIMIT) {
                    show(found, found.length <= LIMIT && at >= shards.length);
                    announce(count.textContent);
                    return;
                }
                var batch = shards.slice(at, at + PARALLEL);
                at += batch.length;
                Promise.all(batch.map(load)).then(function (lists) {
                    if (my !== gen)
                        return;
                    lists.forEach(function (mods) {
                        mods.forEach(function (m) {
                            if (m && typeof m === "object" && match(m))
                                found.push(m);
                        });
                    });
                    count.textContent = "searching: " + at + " of " + shards.length + " parts";
                    next();
                });
            }
            count.textContent = "searching";
            next();
        }

        var pending = 0;
        function update() {
            clearTimeout(pending);
            pending = setTimeout(run, 120);     /* one search per pause in typing */
        }
        q.addEventListener("input", update);
        q.addEventListener("keydown", function (e) {
            if (e.key === "Escape" && q.value) {
                q.value = "";
                run();
            }
        });
        ["category", "tag", "kind", "sort"].forEach(function (k) {
            if (sel[k])
                sel[k].addEventListener("change", run);
        });
        $("reset").addEventListener("click", function () {
            q.value = "";
            ["category", "tag", "kind"].forEach(function (k) {
                if (sel[k])
                    sel[k].value = "";
            });
            run();
            q.focus();
        });
        var h = location.hash.slice(1);
        if (h.indexOf("=") >= 0) {      /* #q=...&category=..., as a category page links */
            var p = new URLSearchParams(h);
            q.value = p.get("q") || "";
            ["category", "tag", "kind"].forEach(function (k) {
                var v = p.get(k) || "";
                if (sel[k] && Array.prototype.some.call(sel[k].options,
                        function (o) { return o.value === v; }))
                    sel[k].value = v;
            });
            run();
        }
    }

    /* --- category lists: mark the page's own category -------------------- */

    function markCurrent() {
        var here = location.href.split("#")[0];
        doc.querySelectorAll(".cat-list a").forEach(function (a) {
            if (a.href === here)
                a.setAttribute("aria-current", "page");
        });
    }

    fillSiteUrl();
    initCopy();
    initSearch();
    markCurrent();
})();
