#!/usr/bin/env bash
# Run a command with the local demo defaults of deploy/demo.env for every
# variable the environment does not already set.
set -euo pipefail
while IFS='=' read -r key value; do
  [[ -z "$key" || "$key" == \#* ]] && continue
  [[ -z "${!key:-}" ]] && export "$key=$value"
done < "$(dirname "$0")/demo.env"
exec "$@"
