#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright. Install it when missing and possible.
set -euo pipefail
CHROMIUM="${PORTAL_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the browser tests (apt-get)…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "Chromium is needed for the browser tests: install Debian's 'chromium' package (or set PORTAL_CHROMIUM)." >&2
exit 1
