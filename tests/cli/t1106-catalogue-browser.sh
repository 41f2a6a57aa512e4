#!/bin/sh
# t1106-catalogue-browser.sh - the HTML catalogue in a real browser
# (Debian's chromium driven by playwright-core; docs/catalogue.md).
#
# Builds two sites with the test tools: "main" (five modules of the three
# kinds, two versions of hello, a pre-release-only module, a dependency,
# categories and tags, each module published by its own build so "updated"
# has one order) and "hostile" (package text made of HTML, attribute and
# URL injections), then runs tests/browser/catalogue.mjs on them, over
# file:// and over http://127.0.0.1 (tests/browser/serve.mjs, in the test's
# own process, on a free port).  Each "ok NAME" / "not ok NAME: REASON"
# line it prints is one case here.  Screenshots go to $WHARF_BUILD/screenshots/.
#
# No skipping: `make check` must run these, so a missing chromium, node or
# playwright-core is a failure that says to run `make deps`.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
browser="$top/tests/browser"
cd "$T" || exit 1

begin "chromium, node and playwright-core are installed"
missing=""
[ -x /usr/bin/chromium ] || missing="$missing /usr/bin/chromium"
command -v node >/dev/null 2>&1 || missing="$missing node"
[ -e "$browser/node_modules/playwright-core/package.json" ] ||
    missing="$missing tests/browser/node_modules/playwright-core"
[ -z "$missing" ] ||
    fail "missing:$missing; run 'make deps' (installs chromium, nodejs, npm, then playwright-core with npm ci in tests/browser)"
end
if [ -n "$missing" ]; then
    finish
    exit 1
fi

# A module exporting "run" () -> ().
run_wasm run.wasm
wharf-index keygen -W >/dev/null
# A publisher's key, trusted by the builds: jsonq is signed with it.
mkdir pkgs hostile www trusted
wharf-index keygen -W -p trusted/ada.pub -s ada.key >/dev/null

# build EPOCH PKGDIR SITE: one build into www/SITE at that time, with the
# default theme of this source tree (or WHARF_TEST_THEME, to check that a
# broken theme fails these tests).
theme=${WHARF_TEST_THEME:-$top/site-templates}
build() {
    SOURCE_DATE_EPOCH=$1 run wharf-index build "$2" -o "www/$3" -n "$3" -q \
        --templates "$theme" --trusted-keys trusted
    check_rc 0
    check_empty_err
}

begin "the main site: five modules published one build after another"
cat >fmt.toml <<'EOF'
[plugin]
name = "fmt-md"
version = "0.3.0"
description = "formats markdown documents"
author = "Bea"
license = "Apache-2.0"
categories = ["Text"]
tags = ["formatter", "markdown"]
[plugin.capabilities]
format_handler = true
extensions = ["md", "markdown"]
[plugin.config]
width = 80
EOF
mkpar pkgs/pay.par.gz --gzip --ver 1.0 --seed t1106
build 1700000000 pkgs main
mkpkg zip pkgs/fmt-md.zip plugin.toml=fmt.toml fmt.wasm=run.wasm
build 1700086400 pkgs main
mkpkg ferrpkg run.wasm pkgs/jsonq.ferrpkg --set name='"jsonq"' \
    --set version='"0.4.1"' --set author='"Grace"' \
    --set description='"queries documents with a path language"' \
    --set tags='["json","query","demo"]' --set categories='["Data"]' \
    --set dependencies='{"hello":"^1.0"}'
wharf-index sign -s ada.key pkgs/jsonq.ferrpkg >/dev/null
build 1700172800 pkgs main
mkpkg ferrpkg run.wasm pkgs/hello-1.0.0.ferrpkg --set description='"an old greeter"' \
    --set tags='["greeting"]' --set categories='["Text"]'
build 1700259200 pkgs main
mkpkg ferrpkg run.wasm pkgs/zlib.ferrpkg --set name='"zlib-wasm"' \
    --set version='"2.0.0-beta.1"' --set description='"compresses bytes with deflate"' \
    --set tags='["compression"]' --set categories='["Data"]'
build 1700345600 pkgs main
mkpkg ferrpkg run.wasm pkgs/hello-1.2.0.ferrpkg --set version='"1.2.0"' \
    --set description='"greets the world politely"' \
    --set tags='["greeting","demo"]' --set categories='["Text","Examples"]'
build 1700432000 pkgs main
for f in index.html modules/hello/index.html search.js feed.xml assets/catalogue.js assets/style.css; do
    check_that "www/main/$f written" test -f "www/main/$f"
done
end

# Hostile text everywhere a package can put text (names are restricted to
# [A-Za-z0-9._-]); every alert() is a failure if it ever runs.
begin "the hostile site"
cat >xss.toml <<'EOF'
[plugin]
name = "xss-plugin"
version = "1.0.0"
description = "'><svg onload=alert(4)>"
author = "<script>alert(1)</script>"
license = "MIT"
categories = ["javascript:alert(3)"]
tags = ["\"><img src=x onerror=alert(2)>"]
[plugin.capabilities]
"<img src=x onerror=alert(6)>" = "<script>alert(7)</script>"
[plugin.config]
"\"><svg onload=alert(8)>" = "javascript:alert(3)"
EOF
mkpkg zip hostile/xss-plugin.zip plugin.toml=xss.toml xss.wasm=run.wasm
mkpkg ferrpkg run.wasm hostile/xss1.ferrpkg --set name='"xss1"' \
    --set description='"<script>alert(1)</script>"' \
    --set author='"\"><img src=x onerror=alert(2)>"' \
    --set license="\"'><svg onload=alert(4)>\"" \
    --set tags="[\"javascript:alert(3)\",\"'><svg onload=alert(4)>\"]" \
    --set categories='["<script>alert(1)</script>","javascript:alert(3)"]' \
    --set dependencies='{"xss2":"^1.0"}'
mkpkg ferrpkg run.wasm hostile/xss2.ferrpkg --set name='"xss2"' \
    --set description='"\"><img src=x onerror=alert(2)>"' \
    --set author='"javascript:alert(3)"' \
    --set tags='["<script>alert(1)</script>","\"><img src=x onerror=alert(2)>"]' \
    --set categories="[\"'><svg onload=alert(4)>\",\"\\\"><img src=x onerror=alert(2)>\"]"
mkpkg ferrpkg run.wasm hostile/xss3.ferrpkg --set name='"xss3"' \
    --set description='"</script><script>alert(5)</script>\u2028{{site.pubkey}}{{{content}}}<!--"' \
    --set author='"javascript:alert(3)"' --set tags='["{{#modules}}x{{/modules}}"]'
mkpar hostile/pay.par.gz --gzip --ver 1.0 --seed t1106 --vendor '<script>alert(9)</script>'
build 1700000000 hostile hostile
check_that "www/hostile/index.html written" test -f www/hostile/index.html
end

# The same packages as sharded sites with paged catalogues, and one of
# 5,000 modules (8 search shards).
begin "the paged sites"
for s in main hostile; do
    src=pkgs
    [ $s = hostile ] && src=hostile
    SOURCE_DATE_EPOCH=1700432000 run wharf-index build $src -o "www/p$s" -n "$s" -q \
        --templates "$theme" --trusted-keys trusted --layout sharded
    check_rc 0
    check_empty_err
done
mkdir big
mkrepo big 5000 1
run wharf-index build big -o www/big -n big -q --templates "$theme" --layout sharded
check_rc 0
check_that "8 search shards" test "$(ls www/big/search | wc -l)" = 8
end

begin "the browser tests ran"
shots="$WHARF_BUILD/screenshots"
mkdir -p "$shots"
node "$browser/catalogue.mjs" "main=$T/www/main" "hostile=$T/www/hostile" \
    "www=$T/www" "shots=$shots" "pmain=$T/www/pmain" "phostile=$T/www/phostile" \
    "big=$T/www/big" >browser.out 2>browser.err
brc=$?
grep -q '^not ok ' browser.out || [ $brc = 0 ] ||
    { fail "catalogue.mjs exited $brc"; sed 's/^/  stderr: /' browser.err; }
grep -q '^ok ' browser.out || fail "catalogue.mjs reported no case"
end
# One case per line the browser test printed; its details are indented.
while IFS= read -r line; do
    case $line in
        "ok "*) begin "${line#ok }"; end ;;
        "not ok "*)
            rest=${line#not ok }
            begin "${rest%%: *}"
            fail "${rest#*: }"
            end ;;
        *) printf '%s\n' "$line" ;;
    esac
done <browser.out
[ -s browser.err ] && sed 's/^/  stderr: /' browser.err | head -40

finish
