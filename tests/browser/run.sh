#!/bin/sh
# Real-browser test of www/: installs the pinned playwright-core from
# package-lock.json (npm ci, no audit/fund, cache first so it works offline
# once the npm cache holds it), then runs test.mjs, which starts its own
# servers with scripts/lda-server and drives /usr/bin/chromium headless.
# Environment: LDA_BIN (default build/lda), LDA_CGI_DIR, CHROMIUM,
# LDA_TEST_ARTIFACTS (default build/test-artifacts; screenshots go there).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 ||
   [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    sh "$root/scripts/install-deps.sh"
fi

cd "$here"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --prefer-offline \
    --loglevel=error --no-progress >/dev/null
exec node test.mjs
