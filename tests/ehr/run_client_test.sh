#!/bin/sh
# ctest entry: installs the pinned npm packages when missing, then runs the client test.
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node client_test.js
