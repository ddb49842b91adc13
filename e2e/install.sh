#!/usr/bin/env bash
# Installs the pinned Node.js clients the e2e tests drive (package-lock.json), quietly.
# Idempotent: does nothing when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")"

command -v npm >/dev/null 2>&1 || { echo "e2e/install.sh: npm not found; install Node.js 20+ and npm" >&2; exit 1; }

stamp=node_modules/.rtmock-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
# openai 7.x declares node >= 22 but runs on Node 20: its EBADENGINE notice is a warning,
# which --loglevel=error hides; stdout (only the "added N packages" summary) is dropped.
npm ci --no-audit --no-fund --loglevel=error >/dev/null
echo "$want" > "$stamp"
