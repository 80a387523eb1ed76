#!/usr/bin/env bash
# Copies Leaflet (BSD-2-Clause), the map of Find care home vacancies, from
# the npm package into gateway/gateway/static/leaflet/: its built script,
# stylesheet, marker images and licence. The copy is committed, so running
# the system needs no Node.js; this needs it (npm) only to change version.
set -euo pipefail
version="1.9.4"
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../gateway/static/leaflet"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent "leaflet@$version"
rm -rf "$out"
mkdir -p "$out/images"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/"
cp node_modules/leaflet/dist/images/*.png "$out/images/"
cp node_modules/leaflet/LICENSE "$out/LICENSE"
echo "$version" > "$out/VERSION"
echo "copied leaflet $version to gateway/gateway/static/leaflet/"
