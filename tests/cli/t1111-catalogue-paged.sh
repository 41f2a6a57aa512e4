#!/bin/sh
# t1111-catalogue-paged.sh - the paged catalogue of a sharded site
# (docs/catalogue.md, "A paged catalogue"; indexer/catalogue_paged.c): its
# module and category pages are the whole catalogue's; a build renders
# only the pages of what changed (a module, its dependencies' "used by",
# its dependents' links, its categories, the home page, the feed, the
# search shard of its bin); the pages after many builds are a first
# build's; kill -9 at every write, then a build, gives them too; the
# search shards a snapshot drops stay for --retain; another theme, a
# damaged state and `wharf-index catalogue` render every page.  The
# search itself runs in Chromium in t1106-catalogue-browser.sh.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$T" || exit 1

run_wasm run.wasm
wharf-index keygen -W -p repo.pub -s repo.key >/dev/null
mkdir pkgs
mkpkg ferrpkg run.wasm pkgs/alpha.ferrpkg --set 'name="alpha"' \
    --set 'categories=["Data","Text"]' --set 'tags=["csv"]' --set 'description="reads <csv>"'
mkpkg ferrpkg run.wasm pkgs/beta.ferrpkg --set 'name="beta"' --set 'categories=["Data"]'
mkpkg ferrpkg run.wasm pkgs/app.ferrpkg --set 'name="app"' \
    --set 'dependencies={"alpha":"^1","beta":"^1","zeta":"^1"}'
# Fixed dates, so that two builds of the same packages make the same pages.
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
pbuild() { wharf-index build pkgs -o site -n repo -s repo.key --layout sharded "$@"; }
# The catalogue's files written since `mark`.
written() {
    (cd site && find . -newer ../mark -type f ! -path './index/*' ! -path './.wharf*' \
        ! -path './packages/*' ! -path './keys/*' ! -name 'snapshot.json*' |
        sed 's|^\./||' | LC_ALL=C sort)
}
bin0() { sed 's/.*"bins":\["\([0-9a-f]*\)".*/\1/' "$1/snapshot.json"; }
# The pages of a catalogue, as one text (the search shards by search.js).
pages() {
    (cd "$1" && for f in $(find modules categories -type f | LC_ALL=C sort) search.js; do
        echo "== $f"; cat "$f"; done)
}

begin "a sharded build renders a paged catalogue: module and category pages as the whole one's"
run pbuild
check_rc 0
check_out <<EOF
read 3 files, 0 unchanged, 0 removed
wrote 'site': 3 modules, serial 1; 4 index files written
catalogue: 11 files, 11 written
EOF
b=$(bin0 site)
check_that "search.js lists the shards" grep -qxF \
    "window.WHARF_SEARCH = {\"modules\":3,\"paged\":true,\"shards\":[\"$b\"]};" site/search.js
check_that "the shard's modules, by name" sh -c "
    grep -o '\"name\":\"[a-z]*\"' site/search/$b.js | tr '\n' ' ' |
    grep -qx '\"name\":\"alpha\" \"name\":\"app\" \"name\":\"beta\" '"
check_that "the shard escapes what could end a script" grep -qF '"description":"reads \u003ccsv\u003e"' "site/search/$b.js"
check_that "the shard calls WHARF_SEARCH_SHARD" grep -q "^window.WHARF_SEARCH_SHARD(\"$b\", {\"modules\":\[" "site/search/$b.js"
wharf-index build pkgs -o whole -n repo -s repo.key -q
# A paged site links snapshot.json; the whole one's cards carry data-id,
# its category pages count each category.
for f in $(cd whole && find modules categories -type f); do
    sed 's/snapshot\.json/index.json/g; s/ data-id="[0-9]*"//' "site/$f" >a
    sed 's/ data-id="[0-9]*"//; s|<span class="n">[0-9]*</span>|<span class="n"></span>|' "whole/$f" >b
    cmp -s a b || fail "$f differs from the whole catalogue's: $(diff a b | head -5)"
done
check_that "the same pages" test "$(cd site && find modules categories -type f | sort)" = \
    "$(cd whole && find modules categories -type f | sort)"
check_that "the footer links the signed top level" grep -qF '<a href="../../snapshot.json.minisig">' site/modules/app/index.html
check_that "the home page says how many it shows" grep -qF 'The 3 modules updated last of 3' site/index.html
end

data=$(cd site/categories && ls -d data-*)
text=$(cd site/categories && ls -d text-*)

begin "a new module: its page, its dependents', its category's, home, feed, search"
mkpkg ferrpkg run.wasm pkgs/zeta.ferrpkg --set 'name="zeta"' --set 'categories=["Text"]'
old=$(bin0 site)
touch mark
run pbuild
check_rc 0
check_out_has "catalogue: 9 files, 7 written"
new=$(bin0 site)
run written
check_out <<EOF
categories/$text/index.html
feed.xml
index.html
modules/app/index.html
modules/zeta/index.html
search.js
search/$new.js
EOF
check_that "app links zeta now" grep -qF 'href="../../modules/zeta/index.html"' site/modules/app/index.html
check_that "the old shard stays for readers of the old search.js" test -f "site/search/$old.js"
end

begin "a new version: its page and its categories', not its dependents'"
mkpkg ferrpkg run.wasm pkgs/alpha-2.ferrpkg --set 'name="alpha"' --set 'version="1.1.0"' \
    --set 'categories=["Data","Text"]' --set 'tags=["csv"]'
touch mark
pbuild -q
run written
check_out <<EOF
categories/$data/index.html
categories/$text/index.html
feed.xml
index.html
modules/alpha/index.html
search.js
search/$(bin0 site).js
EOF
end

begin "a dependency dropped: the page of what it was a dependency of"
mkpkg ferrpkg run.wasm pkgs/app.ferrpkg --set 'name="app"' --set 'version="1.0.0"' \
    --set 'dependencies={"alpha":"^1","zeta":"^1"}'
touch mark
pbuild -q
run written
check_out <<EOF
index.html
modules/app/index.html
modules/beta/index.html
search.js
search/$(bin0 site).js
EOF
check_that "beta is used by nothing now" sh -c '! grep -q "modules/app/" site/modules/beta/index.html'
end

begin "modules removed: their folders go, a category left empty goes, links go"
rm pkgs/zeta.ferrpkg pkgs/alpha.ferrpkg pkgs/alpha-2.ferrpkg
touch mark
run pbuild
check_rc 0
check_out_has "catalogue: 8 files, 6 written, 3 removed"
run written
check_out <<EOF
categories/$data/index.html
feed.xml
index.html
modules/app/index.html
search.js
search/$(bin0 site).js
EOF
check_that "their folders and the empty category are gone" test "$(cd site && ls modules categories | tr '\n' ' ')" = \
    "categories: $data  modules: app beta "
check_that "app names zeta without a link" sh -c \
    'grep -q "zeta" site/modules/app/index.html && ! grep -q "modules/zeta/" site/modules/app/index.html'
end

begin "the pages after these builds are a first build's"
mkpkg ferrpkg run.wasm pkgs/zeta.ferrpkg --set 'name="zeta"' --set 'categories=["Text"]' \
    --set 'dependencies={"beta":"^1"}'
pbuild -q
wharf-index build pkgs -o fresh -n repo -s repo.key --layout sharded -q
pages site >a
pages fresh >b
cmp -s a b || fail "they differ: $(diff a b | head -10)"
end

begin "kill -9 at every write of a paged catalogue, then a build: a first build's pages"
cp -a site base
mkpkg ferrpkg run.wasm pkgs/omega.ferrpkg --set 'name="omega"' --set 'categories=["Data"]' \
    --set 'dependencies={"zeta":"^1"}'
rm pkgs/beta.ferrpkg
wharf-index build pkgs -o fresh -n repo -s repo.key --layout sharded -q
pages fresh >want
n=1
while :; do
    rm -rf site
    cp -a base site
    WHARF_FS_FAULT=$n:kill pbuild -q 2>/dev/null
    r=$?
    [ $r = 0 ] && break
    [ $r = 137 ] || { fail "write $n: exit status $r"; break; }
    pbuild -q 2>err || { fail "write $n: the next build fails: $(cat err)"; break; }
    pages site >got
    cmp -s got want || { fail "write $n: pages differ: $(diff got want | head -6)"; break; }
    n=$((n + 1))
    [ $n -gt 300 ] && { fail "no end to the writes"; break; }
done
check_that "many writes were cut ($n)" test $n -gt 20
check_that "no temporaries left" test -z "$(find site -name '.*.tmp.*')"
pages site >got
cmp -s got want || fail "uncut: pages differ: $(diff got want | head -6)"
end

begin "search shards a snapshot dropped stay for --retain, then go"
touch mark
old=$(bin0 site)
rm pkgs/omega.ferrpkg
pbuild -q
check_that "the old shard is there" test -f "site/search/$old.js"
pbuild -q --retain 0
check_that "and gone with --retain 0" test ! -e "site/search/$old.js"
check_that "the current one stays" test -f "site/search/$(bin0 site).js"
end

begin "a damaged state, another theme, wharf-index catalogue: every page"
echo garbage >site/.wharf-catalogue/state.json
run pbuild
check_rc 0
check_out_has "catalogue: 9 files, 1 written"
# a state that lies: a slug that climbs out of SITE, a release that is
# not one; nothing outside SITE goes, nothing crashes: every page again
mkdir victim && touch victim/keep
cp site/.wharf-catalogue/state.json good.json
sed 's/"slug":"[a-z0-9-]*"/"slug":"..\/..\/victim"/' good.json >site/.wharf-catalogue/state.json
mv pkgs/zeta.ferrpkg .
run pbuild
check_rc 0
check_that "the victim is there" test -f victim/keep
mv zeta.ferrpkg pkgs/
pbuild -q
sed 's/"recent":\[\[/"recent":[[null,"x"],[/' site/.wharf-catalogue/state.json >bad.json
cp bad.json site/.wharf-catalogue/state.json
run pbuild
check_rc 0
check_out_has "catalogue: 9 files, 1 written"
# a state file named by a path, not a digest: refused, not read
up=$(printf '../%.0s' $(seq 19))etc/pwd
mkdir -p etc && echo '{}' >etc/pwd.json
sed "s|\"rdeps\":\[\"[0-9a-f]*\"|\"rdeps\":[\"$up\"|" site/.wharf-catalogue/state.json >bad.json
check_that "the lie is in place" grep -qF "$up" bad.json
cp bad.json site/.wharf-catalogue/state.json
run pbuild
check_rc 0
check_out_has "catalogue: 9 files, 1 written"
cp -r "$top/site-templates" theme
sed -i 's|<h2 id="versions-h">|<h2 class="t" id="versions-h">|' theme/module.mustache
echo extra >theme/assets/extra.txt
run pbuild -t theme
check_rc 0
check_out_has "catalogue: 10 files, 4 written"
rm -r site/modules/app
SOURCE_DATE_EPOCH= run wharf-index catalogue site -p repo.pub -t theme
check_rc 0
check_out <<EOF
catalogue: 10 files, 1 written
EOF
check_that "app's page is back" grep -qF 'class="t"' site/modules/app/index.html
pbuild -q
check_that "an asset the theme no longer has is gone" test ! -e site/assets/extra.txt
end

begin "--changed renders the catalogue of what it changed"
mkpkg ferrpkg run.wasm pkgs/omega.ferrpkg --set 'name="omega"' --set 'categories=["Data"]'
touch mark
run sh -c 'echo omega.ferrpkg | wharf-index build pkgs -o site -n repo -s repo.key --layout sharded --changed -'
check_rc 0
check_out_has "catalogue: 9 files, 7 written"
run written
check_out <<EOF
categories/$data/index.html
categories/$text/index.html
feed.xml
index.html
modules/omega/index.html
search.js
search/$(bin0 site).js
EOF
end

finish
