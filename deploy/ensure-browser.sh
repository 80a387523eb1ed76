#!/usr/bin/env bash
# The tests prove the web pages in a real browser: Chromium from Debian's
# packages, driven by Playwright (whose own browser download is not used).
# Installs Chromium when it is missing and this machine can (root with
# apt-get); otherwise says exactly what is missing and fails.
set -u
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
works() { "$browser" --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1; }
if [[ -x "$browser" ]] && works; then echo "✓ Chromium: $("$browser" --version 2>/dev/null)"; exit 0; fi
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  echo "✗ CHROMIUM_PATH=$CHROMIUM_PATH is not a working Chromium: the browser tests cannot run." >&2; exit 1
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "… installing Chromium from Debian's packages (apt-get install chromium)"
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
     { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; then
    works && { echo "✓ Chromium installed: $("$browser" --version 2>/dev/null)"; exit 0; }
  fi
  echo "✗ Chromium could not be installed (apt-get install chromium failed): the browser tests cannot run." >&2
  exit 1
fi
echo "✗ Chromium is missing: the browser tests need it. Install it (Debian/Ubuntu: sudo apt-get install chromium)," >&2
echo "  or set CHROMIUM_PATH to a Chromium or Chrome binary." >&2
exit 1
