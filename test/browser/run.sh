#!/usr/bin/env bash
# The browser lane: headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
# against a real 3-node mdclusterd cluster on the simulated md driver, looking at the status
# port's dashboard. Writes dist/vitest-browser.json (BROWSER_RESULTS overrides) and screenshots
# in dist/browser/. Exits non-zero, loudly, when Chromium is missing or cannot start: a lane
# that cannot run is never reported as passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
results=${BROWSER_RESULTS:-dist/vitest-browser.json}
chromium=${CHROMIUM:-/usr/bin/chromium}
loud() {
  echo "################################################################################"
  echo "#  BROWSER LANE NOT RUN: $1"
  echo "################################################################################"
}
if [ ! -x "$chromium" ]; then loud "$chromium is missing (apt-get install -y chromium)"; exit 2; fi
probe_dir=$(mktemp -d)
if ! out=$(timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$probe_dir" \
    --dump-dom 'data:text/html,<p>ok</p>' 2>&1) || ! grep -q '<p>ok</p>' <<<"$out"; then
  rm -rf "$probe_dir"
  loud "$chromium cannot run headless here:"; echo "$out" | tail -20; exit 2
fi
rm -rf "$probe_dir"
mkdir -p dist/browser
npx tsc -p tsconfig.json || { echo "browser lane: build failed"; exit 1; }
CHROMIUM="$chromium" npx vitest run --config test/browser/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$results"
