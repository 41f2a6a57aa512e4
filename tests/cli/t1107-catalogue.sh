#!/bin/sh
# t1107-catalogue.sh - the HTML catalogue wharf-index build writes
# (docs/catalogue.md): the page data a theme sees, exactly (through a
# small theme that prints it); the default theme's files; an unchanged
# rebuild rewrites only the home page; hostile package text is escaped
# everywhere; stale pages go; theme errors stop the build before any write;
# --no-catalogue; kill -9 at every catalogue write leaves whole pages.
# The browser's view of the default theme is t1106-catalogue-browser.sh.
. "$(dirname "$0")/lib.sh"
FIXTURES=${WHARF_SHARED:-$(pwd)/../shared}/fixtures/par
cd "$T" || exit 1

run_wasm run.wasm
cat >plugin.toml <<'EOF'
[plugin]
name = "fmt-md"
version = "0.3.0"
description = "formats markdown"
author = "Bea"
license = "Apache-2.0"
[plugin.capabilities]
format_handler = true
extensions = ["md", "markdown"]
[plugin.config]
width = 80
EOF
wharf-index keygen -W >/dev/null
id=$(sed -n 's/^untrusted comment: minisign public key //p' repo.pub)
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/hello-1.0.0.ferrpkg --set 'categories=["Text Tools"]' \
    --set 'tags=["b","a"]' --set 'dependencies={"fmt-md":"^0.3","nope":"^1"}'
mkpkg zip pkgs/fmt-md.zip plugin.toml=plugin.toml fmt.wasm=run.wasm
mkpar pkgs/pay.par.gz --gzip --ver 1.0 --seed t1107
# Old enough for the cache to trust (a file changed within the build's
# racy window is read again), so what a build reads is the same every run.
old() { touch -d @1600000000 "$@"; }
old pkgs/*
SOURCE_DATE_EPOCH=1700000000 wharf-index build pkgs -o site -q --no-catalogue
mkpkg ferrpkg run.wasm pkgs/hello-1.2.0.ferrpkg --set 'version="1.2.0"' \
    --set 'categories=["Text Tools","wasm"]' --set 'tags=["a"]' \
    --set 'dependencies={"fmt-md":"^0.3","nope":"^1"}'
mkpkg ferrpkg run.wasm pkgs/hello-2.0.0-beta.1.ferrpkg --set 'version="2.0.0-beta.1"'
old pkgs/*
SOURCE_DATE_EPOCH=1700086400
export SOURCE_DATE_EPOCH

# A theme that prints the page data (docs/catalogue.md) instead of HTML.
mkdir -p theme/assets/img
cat >theme/layout.mustache <<'EOF'
<{{page.kind}}:{{page.title}} root={{root}} site={{site.name}},{{site.modules}},{{site.packages}},s{{site.serial}}>
{{{content}}}
EOF
cat >theme/home.mustache <<'EOF'
{{site.key_id}} {{site.generated_date}} {{site.expires_iso}}
{{#modules}}{{>card}}{{/modules}}{{#categories}}C {{name}} {{slug}} {{count}} {{href}}
{{/categories}}{{#tags}}T {{name}} {{count}}
{{/tags}}{{#kinds}}K {{kind}} {{label}} {{count}}
{{/kinds}}
EOF
cat >theme/card.mustache <<'EOF'
{{name}} {{version}} {{kind}}/{{kind_label}} {{href}} {{signer_status}} v={{verified}} u={{updated_date}} n={{versions_count}} id={{search_id}} d={{description}}{{#categories}} c={{name}}:{{href}}{{/categories}}{{#tags}} t={{.}}{{/tags}}
EOF
cat >theme/module.mustache <<'EOF'
{{#module}}{{>card}}{{install}}
{{#versions}}V {{version}} {{published_date}} {{size_human}} {{href}} sig={{sig_href}} latest={{is_latest}} pre={{prerelease}} {{signer.status}}
{{/versions}}{{#dependencies}}D {{name}} {{req}} {{href}}
{{/dependencies}}{{#used_by}}U {{name}} {{href}}
{{/used_by}}{{#par_targets}}P {{target}} {{size}} {{size_human}}
{{/par_targets}}{{#wasm_exports}}E {{name}} {{kind}} {{type}}
{{/wasm_exports}}{{#capabilities}}CAP {{key}}={{value}}
{{/capabilities}}{{#config}}CFG {{key}}={{value}}
{{/config}}{{/module}}
EOF
cat >theme/category.mustache <<'EOF'
{{#category}}{{name}} {{slug}} {{count}}:{{#modules}} {{name}}={{href}}{{/modules}}{{/category}}
EOF
cat >theme/feed.mustache <<'EOF'
{{feed.updated_iso}} s{{site.serial}}
{{#entries}}{{name}} {{version}} {{published_iso}} {{href}} {{id}}
{{/entries}}
EOF
printf 'body{}\n' >theme/assets/a.css
printf 'x' >theme/assets/img/dot.txt

# The file's text with the key id as KEYID.
show() { sed "s/$id/KEYID/g" "$@"; }

begin "a theme sees the documented data: summary and files"
run wharf-index build pkgs -o site -t theme
check_rc 0
check_out <<'EOF'
read 2 files, 3 unchanged
wrote 'site': 5 packages in 3 modules, serial 2, expires 2024-02-13
catalogue: 10 files, 10 written
EOF
check_empty_err
run sh -c 'cd site && find index.html feed.xml search.js assets modules categories | LC_ALL=C sort'
check_out <<'EOF'
assets
assets/a.css
assets/img
assets/img/dot.txt
categories
categories/text-tools-e4c1e679
categories/text-tools-e4c1e679/index.html
categories/wasm
categories/wasm/index.html
feed.xml
index.html
modules
modules/fake-payments
modules/fake-payments/index.html
modules/fmt-md
modules/fmt-md/index.html
modules/hello
modules/hello/index.html
search.js
EOF
check_that "assets copied" cmp -s theme/assets/img/dot.txt site/assets/img/dot.txt
end

begin "the home page's data"
run show site/index.html
check_out <<'EOF'
<home:site root= site=site,3,5,s2>
KEYID 2023-11-15 2024-02-13T22:13:20Z
fake-payments 1.0.0 par/wasmCloud provider modules/fake-payments/index.html untrusted v=false u=2023-11-14 n=1 id=0 d=
fmt-md 0.3.0 bundle/plugin modules/fmt-md/index.html unsigned v=false u=2023-11-14 n=1 id=1 d=formats markdown
hello 1.2.0 ferrpkg/Ferrite UDF modules/hello/index.html unsigned v=false u=2023-11-15 n=3 id=2 d=a test module c=Text Tools:categories/text-tools-e4c1e679/index.html c=wasm:categories/wasm/index.html t=a
C Text Tools text-tools-e4c1e679 1 categories/text-tools-e4c1e679/index.html
C wasm wasm 1 categories/wasm/index.html
T a 1
K bundle plugin 1
K ferrpkg Ferrite UDF 1
K par wasmCloud provider 1

EOF
end

begin "a module page's data: versions newest first, install line, links"
run show site/modules/hello/index.html
check_out <<'EOF'
<module:hello root=../../ site=site,3,5,s>
hello 1.2.0 ferrpkg/Ferrite UDF modules/hello/index.html unsigned v=false u=2023-11-15 n=3 id=2 d=a test module c=Text Tools:categories/text-tools-e4c1e679/index.html c=wasm:categories/wasm/index.html t=a
wharf install hello@^1.2
V 2.0.0-beta.1 2023-11-15 204 B packages/hello@2.0.0-beta.1.ferrpkg sig= latest=false pre=true unsigned
V 1.2.0 2023-11-15 290 B packages/hello@1.2.0.ferrpkg sig= latest=true pre=false unsigned
V 1.0.0 2023-11-14 287 B packages/hello@1.0.0.ferrpkg sig= latest=false pre=false unsigned
D fmt-md ^0.3 modules/fmt-md/index.html
D nope ^1 
E run func () -&gt; ()


EOF
run show site/modules/fmt-md/index.html
check_out <<'EOF'
<module:fmt-md root=../../ site=site,3,5,s>
fmt-md 0.3.0 bundle/plugin modules/fmt-md/index.html unsigned v=false u=2023-11-14 n=1 id=1 d=formats markdown
wharf install fmt-md@^0.3
V 0.3.0 2023-11-14 529 B packages/fmt-md@0.3.0.zip sig= latest=true pre=false unsigned
U hello modules/hello/index.html
E run func () -&gt; ()
CAP extensions=[&quot;md&quot;,&quot;markdown&quot;]
CAP format_handler=true
CFG width=80


EOF
run sh -c 'grep "^P " site/modules/fake-payments/index.html'
check_out <<'EOF'
P aarch64-macos 15 15 B
P x86_64-linux 15 15 B
EOF
end

begin "category pages and the feed"
run show site/categories/text-tools-e4c1e679/index.html
check_out <<'EOF'
<category:Text Tools root=../../ site=site,3,5,s>
Text Tools text-tools-e4c1e679 1: hello=modules/hello/index.html

EOF
run show site/feed.xml
check_out <<'EOF'
2023-11-15T22:13:20Z s
hello 2.0.0-beta.1 2023-11-15T22:13:20Z modules/hello/index.html urn:wharf:KEYID:hello@2.0.0-beta.1
hello 1.2.0 2023-11-15T22:13:20Z modules/hello/index.html urn:wharf:KEYID:hello@1.2.0
fake-payments 1.0.0 2023-11-14T22:13:20Z modules/fake-payments/index.html urn:wharf:KEYID:fake-payments@1.0.0
fmt-md 0.3.0 2023-11-14T22:13:20Z modules/fmt-md/index.html urn:wharf:KEYID:fmt-md@0.3.0
hello 1.0.0 2023-11-14T22:13:20Z modules/hello/index.html urn:wharf:KEYID:hello@1.0.0
EOF
run cat site/search.js
check_out <<'EOF'
window.WHARF_SEARCH = {"modules":[{"categories":[],"description":"","kind":"par","name":"fake-payments","tags":[],"updated":1700000000,"verified":false,"version":"1.0.0"},{"categories":[],"description":"formats markdown","kind":"bundle","name":"fmt-md","tags":[],"updated":1700000000,"verified":false,"version":"0.3.0"},{"categories":["Text Tools","wasm"],"description":"a test module","kind":"ferrpkg","name":"hello","tags":["a"],"updated":1700086400,"verified":false,"version":"1.2.0"}]};
EOF
end

begin "a version without a signature or outside the index shadows nothing"
# "sig_href" and a dependency's "href" are null, not absent: the card's
# own href is not picked up from the enclosing object.
check_that "no sig link" grep -q '^V 1.2.0 .* sig= latest' site/modules/hello/index.html
check_that "nope has no link" grep -qx 'D nope ^1 ' site/modules/hello/index.html
end

# stamp FILE...: inode and mtime (ns) of each, to see what was rewritten.
stamp() { for f in "$@"; do stat -c '%n %i %.9Y' "$f"; done; }

begin "the default theme: an unchanged rebuild rewrites only the home page"
run wharf-index build pkgs -o dsite
check_rc 0
check_out <<'EOF'
read 5 files, 0 unchanged
wrote 'dsite': 5 packages in 3 modules, serial 1, expires 2024-02-13
catalogue: 10 files, 10 written
EOF
(cd dsite && find index.html feed.xml search.js assets modules categories -type f | LC_ALL=C sort) >files
check_that "the theme's assets" grep -qx 'assets/style.css' files
check_that "and its script" grep -qx 'assets/catalogue.js' files
html=$(grep html files | tr '\n' ' ')
check_that "a CSP on every page" test "$(cd dsite && grep -l 'http-equiv="Content-Security-Policy"' $html | wc -l)" = "$(grep -c html files)"
(cd dsite && stamp $(cat ../files)) >before
run wharf-index build pkgs -o dsite
check_rc 0
check_out <<'EOF'
read 0 files, 5 unchanged
wrote 'dsite': 5 packages in 3 modules, serial 2, expires 2024-02-13
catalogue: 10 files, 1 written
EOF
(cd dsite && stamp $(cat ../files)) >after
run sh -c 'diff before after | sed -n "s/^> \([^ ]*\) .*/\1/p"'
check_out <<'EOF'
index.html
EOF
end

begin "a changed package rewrites its pages, not the others"
mkpkg ferrpkg run.wasm pkgs/fmt-md-extra.ferrpkg --set 'name="zeta"' --set 'description="new"'
old pkgs/*
(cd dsite && stamp $(cat ../files)) >before
run wharf-index build pkgs -o dsite
check_rc 0
check_out_has "catalogue: 11 files, 4 written"
(cd dsite && stamp $(cat ../files)) >after
run sh -c 'diff before after | sed -n "s/^> \([^ ]*\) .*/\1/p"'
check_out <<'EOF'
feed.xml
index.html
search.js
EOF
check_that "zeta's page" test -f dsite/modules/zeta/index.html
end

begin "modules and categories no longer listed lose their pages"
mkdir gone
cp -p pkgs/fmt-md.zip pkgs/pay.par.gz gone/
run wharf-index build gone -o dsite
check_rc 0
check_out <<'EOF'
read 2 files, 0 unchanged
wrote 'dsite': 2 packages in 2 modules, serial 4, expires 2024-02-13
catalogue: 7 files, 4 written, 4 removed
removed 4 files no longer listed
EOF
run sh -c 'cd dsite && find modules categories | LC_ALL=C sort'
check_out <<'EOF'
categories
modules
modules/fake-payments
modules/fake-payments/index.html
modules/fmt-md
modules/fmt-md/index.html
EOF
end

# Package text an attacker controls, in every field a page shows.
mkdir evil
mkpkg ferrpkg run.wasm evil/x.ferrpkg --set 'name="xss"' \
    --set 'description="<script>alert(1)</script>"' \
    --set 'author="\"><img src=x onerror=alert(2)>"' \
    --set 'license="javascript:alert(3)"' \
    --set 'tags=["'"'"'><svg onload=alert(4)>"]' \
    --set 'categories=["</script><script>alert(5)</script>"]' \
    --set 'dependencies={"a":"^1"}'
mkpkg ferrpkg run.wasm evil/y.ferrpkg --set 'name="ctl"' --set 'description="bell\u0007esc\u001b[31m\ufffe\uffff"'

begin "hostile package text is escaped on every page, in the feed and in search.js"
run wharf-index build evil -o esite
check_rc 0
pages=$(cd esite && find . -name '*.html' -o -name feed.xml | LC_ALL=C sort | tr '\n' ' ')
for raw in '<script>alert' '<img src=x' '<svg onload' 'href="javascript:' '</script><script>'; do
    check_that "no raw '$raw'" sh -c "cd esite && ! grep -lF '$raw' $pages"
done
check_that "the description shown as text" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' esite/modules/xss/index.html
check_that "the author shown as text" grep -qF '&quot;&gt;&lt;img src=x onerror=alert(2)&gt;' esite/modules/xss/index.html
check_that "the tag shown as text" grep -qF '&#39;&gt;&lt;svg onload=alert(4)&gt;' esite/index.html
check_that "search.js cannot close its script" sh -c '! grep -q "[<>&]" esite/search.js'
check_that "search.js escapes them" grep -qF '\u003cscript\u003ealert(1)\u003c/script\u003e' esite/search.js
check_that "no control character on any page" sh -c "cd esite && ! grep -lP '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' $pages"
check_that "they show as U+FFFD" grep -qF 'bell�esc�[31m��' esite/modules/ctl/index.html
check_that "so does U+FFFE in the feed" sh -c '! grep -q "$(printf "\\357\\277\\276")" esite/feed.xml'
end

begin "a mistake in a theme stops the build before anything is written"
cp -r theme badtheme
printf '{{#module}}\n  {{#versions}}{{version}}\n{{/module}}\n' >badtheme/module.mustache
cp site/index.json.minisig sig.before
run wharf-index build pkgs -o site -t badtheme
check_rc 3
check_err <<'EOF'
wharf-index build: badtheme/module.mustache:3:1: '/module' does not close section 'versions' opened at 2:3
EOF
check_that "the site is as it was" cmp -s sig.before site/index.json.minisig
printf '{{#x}}' >badtheme/card.mustache
printf '{{>card}}' >badtheme/module.mustache
run wharf-index build pkgs -o site -t badtheme
check_rc 3
check_err <<'EOF'
wharf-index build: badtheme/card.mustache:1:1: unclosed section 'x'
EOF
cp theme/card.mustache badtheme/
printf '{{>../../etc/passwd}}' >badtheme/module.mustache
run wharf-index build pkgs -o site -t badtheme
check_rc 3
check_err <<'EOF'
wharf-index build: badtheme: partial '../../etc/passwd' is not a plain name (letters, digits, '-', '_')
EOF
run wharf-index build pkgs -o site -t nosuch
check_rc 6
check_err <<'EOF'
wharf-index build: nosuch: no such theme folder
EOF
cp theme/module.mustache badtheme/
rm badtheme/feed.mustache
run wharf-index build pkgs -o site -t badtheme
check_rc 6
check_err <<'EOF'
wharf-index build: badtheme/feed.mustache: cannot open: No such file or directory
EOF
cp -r theme linktheme
ln -s /etc/passwd linktheme/assets/passwd
run wharf-index build pkgs -o site -t linktheme
check_rc 3
check_err <<'EOF'
wharf-index build: linktheme/assets: an asset is not a regular file (links and special files are not copied)
EOF
check_that "the site is still as it was" cmp -s sig.before site/index.json.minisig
end

# The "published" date in SITE's index (of its one package).
pub() { grep -o '"published":[0-9]*' "$1/index.json" | sed 's/.*://'; }

begin "a release keeps its first date: from the cache, the previous index, or now"
mkdir dates
mkpkg ferrpkg run.wasm dates/hello.ferrpkg
old dates/*
SOURCE_DATE_EPOCH=1700000000 wharf-index build dates -o datesite -q --no-catalogue
check_that "dated by its first build" test "$(pub datesite)" = 1700000000
SOURCE_DATE_EPOCH=1700086400 wharf-index build dates -o datesite -q --no-catalogue
check_that "the cache keeps the date" test "$(pub datesite)" = 1700000000
SOURCE_DATE_EPOCH=1700172800 wharf-index build dates -o datesite -q --no-catalogue --no-cache
check_that "without the cache, the previous index does" test "$(pub datesite)" = 1700000000
mv dates/hello.ferrpkg dates/renamed.ferrpkg
SOURCE_DATE_EPOCH=1700259200 wharf-index build dates -o datesite -q --no-catalogue
check_that "a renamed file is the same release" test "$(pub datesite)" = 1700000000
mkpkg ferrpkg run.wasm dates/renamed.ferrpkg --set 'description="replaced"'
old dates/*
SOURCE_DATE_EPOCH=1700345600 wharf-index build dates -o datesite -q --no-catalogue
check_that "a file replaced under the same version is a new release" test "$(pub datesite)" = 1700345600
# A damaged previous index is never read while the cache knows every
# package it lists: a new module is dated without it, and no warning.
named() { sed -n 's/^trusted comment: .* sha256:\([0-9a-f]*\)$/\1/p' datesite/index.json.minisig; }
printf 'x' >>"datesite/by-hash/$(named).json"
mkpkg ferrpkg run.wasm dates/new.ferrpkg --set 'name="newmod"'
old dates/*
SOURCE_DATE_EPOCH=1700400000 run wharf-index build dates -o datesite -q --no-catalogue
check_rc 0
check_empty_err
check_that "the new module dated now" grep -q '"published":1700400000' datesite/index.json
check_that "the other kept its date" grep -q '"published":1700345600' datesite/index.json
rm dates/new.ferrpkg
h=$(named)
printf 'x' >>"datesite/by-hash/$h.json"
SOURCE_DATE_EPOCH=1700432000 run wharf-index build dates -o datesite -q --no-catalogue --no-cache
check_rc 0
check_err <<'EOF'
wharf-index build: warning: previous index: datesite/index.json.minisig: signature verification failed; versions are dated from this build
EOF
check_that "dated now" test "$(pub datesite)" = 1700432000
end

begin "--no-catalogue writes the index only"
run wharf-index build pkgs -o plain --no-catalogue --json
check_rc 0
check_out_has '"catalogue":null,'
check_that "no page" test ! -e plain/index.html -a ! -e plain/modules
run wharf-index build pkgs -o plain --no-catalogue -t theme
check_rc 2
check_err_has "wharf-index build: --templates and --no-catalogue exclude each other"
end

begin "wharf-index catalogue renders a site again, with the public key only"
run wharf-index catalogue plain -p repo.pub
check_rc 0
check_out <<'EOF'
catalogue: 11 files, 11 written
EOF
check_empty_err
check_that "the default theme's module page" grep -qF '<code id="install">wharf install hello@^1.2</code>' plain/modules/hello/index.html
run wharf-index catalogue plain -p repo.pub -t theme
check_rc 0
check_out <<'EOF'
catalogue: 11 files, 10 written, 2 removed
EOF
check_that "the theme's own data" grep -qx 'wharf install hello@^1.2' plain/modules/hello/index.html
run wharf-index catalogue plain -p repo.pub -t theme
check_rc 0
check_out <<'EOF'
catalogue: 11 files, 0 written
EOF
run wharf-index catalogue plain -p repo.pub -t badtheme
check_rc 6
check_err <<'EOF'
wharf-index catalogue: badtheme/feed.mustache: cannot open: No such file or directory
EOF
run wharf-index catalogue nowhere -p repo.pub
check_rc 6
check_err <<'EOF'
wharf-index catalogue: nowhere: not a wharf site (no index.json.minisig or snapshot.json.minisig)
EOF
run wharf-index catalogue evil -p repo.pub
check_rc 6
check_err <<'EOF'
wharf-index catalogue: evil: not a wharf site (no index.json.minisig or snapshot.json.minisig)
EOF
check_that "and no lock file left in that folder" test ! -e evil/.wharf-lock
wharf-index keygen -W -p other.pub -s other.key >/dev/null
run wharf-index catalogue plain -p other.pub
check_rc 4
check_err_has "wharf-index catalogue: plain/index.json.minisig: "
run wharf-index catalogue
check_rc 2
check_err <<'EOF'
wharf-index catalogue: no site given
try 'wharf-index catalogue --help'
EOF
# It takes the site's lock like a build, and names itself in it.
printf 'pid 4242 wharf-index build since 2026-01-01 00:00:00 UTC\n' >plain/.wharf-lock
flock plain/.wharf-lock sleep 1 &
sleep 0.3
run wharf-index catalogue plain -p repo.pub
check_rc 7
check_err <<'EOF'
wharf-index catalogue: plain/.wharf-lock: locked by pid 4242 wharf-index build since 2026-01-01 00:00:00 UTC
EOF
run wharf-index catalogue plain -p repo.pub --wait
check_rc 0
check_err <<'EOF'
wharf-index catalogue: plain/.wharf-lock: waiting for pid 4242 wharf-index build since 2026-01-01 00:00:00 UTC
EOF
wait
end

begin "kill -9 at every write of the catalogue leaves whole pages"
# A build writes the catalogue after the commit; stop it at each write in
# turn: the site verifies, every page there is whole (the theme's pages
# end with their closing line), and the next build finishes the job.
rm -rf ksite
SOURCE_DATE_EPOCH=      # now: an index dated 2023 would not verify
wharf-index build gone -o ksite -t theme -q
n=1
while :; do
    WHARF_FS_FAULT=$n:kill wharf-index build pkgs -o ksite -t theme -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    wharf-index verify ksite -q 2>"$T/v.err" || { fail "write $n: the site does not verify"; cat "$T/v.err"; }
    for f in $(find ksite -name index.html); do
        tail -c 1 "$f" | od -An -c | grep -q '\\n' || fail "write $n: $f is not whole"
    done
    n=$((n + 1))
    [ $n -gt 400 ] && { fail "no end to the writes"; break; }
done
check_that "some writes were stopped" test $n -gt 5
wharf-index build pkgs -o ksite -t theme -q
check_that "no temporaries left" test -z "$(find ksite -name '.*.tmp.*')"
run sh -c 'cd ksite && find modules categories -type f | LC_ALL=C sort'
check_out <<'EOF'
categories/text-tools-e4c1e679/index.html
categories/wasm/index.html
modules/fake-payments/index.html
modules/fmt-md/index.html
modules/hello/index.html
modules/zeta/index.html
EOF
end

finish
