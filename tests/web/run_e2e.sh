#!/bin/sh
# Installs the pinned npm packages when missing, then drives the browser (e2e.js).
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node e2e.js
