#!/usr/bin/env bash
# Refreshes axe.min.js (axe-core, MPL-2.0, Deque Systems) from npm. The file
# is committed, so the tests need no Node.js; this needs npm only to update it.
set -euo pipefail
version="${1:-4.14.1}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent "axe-core@$version"
cp node_modules/axe-core/axe.min.js "$here/axe.min.js"
cp node_modules/axe-core/LICENSE "$here/axe-LICENSE"
echo "axe-core $version copied to $here"
