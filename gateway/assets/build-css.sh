#!/usr/bin/env bash
# Rebuilds gateway/gateway/static/tracker.css from GOV.UK Frontend (MIT) and
# tracker.scss. The built file is committed, so running the system needs no
# Node.js; this needs it (npm) only to change the styles.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent govuk-frontend@6.6.0 sass@1.108.2
npx sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
  "$here/tracker.scss" "$here/../gateway/static/tracker.css"
echo "built gateway/gateway/static/tracker.css"
