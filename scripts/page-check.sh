#!/usr/bin/env bash
# Loads a Quarry search page in headless Chromium (Debian `chromium`, installed
# here when missing), with JavaScript on and off: dumps the DOM and saves a
# screenshot of each for people to look at.
#
#   scripts/page-check.sh URL OUTPUT_DIR
#
# Writes OUTPUT_DIR/{dom,dom-nojs}.html and OUTPUT_DIR/{search-page,search-page-nojs}.png.
set -euo pipefail
url=$1 out=$2
mkdir -p "$out"
if ! command -v chromium >/dev/null; then
    echo "page-check: installing chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
browse() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
        --user-data-dir="$profile" --hide-scrollbars --window-size=1200,900 "$@" 2>>"$out/chromium.log"
}
browse --dump-dom "$url" > "$out/dom.html"
browse --disable-javascript --dump-dom "$url" > "$out/dom-nojs.html"
browse --screenshot="$out/search-page.png" "$url" >/dev/null
browse --disable-javascript --screenshot="$out/search-page-nojs.png" "$url" >/dev/null
echo "page-check: screenshots at $out/search-page.png and $out/search-page-nojs.png" >&2
