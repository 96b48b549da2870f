#!/usr/bin/env bash
# Installs from Debian's packages what the tests need beside node_modules:
#   prometheus (brings promtool): the Prometheus client and pipeline tests run against a real one;
#   chromium: the browser tests drive it with playwright-core;
#   postgresql: the PostgreSQL store tests start a throwaway cluster (test/harness/postgres.ts).
# Nothing is downloaded from anywhere else.
set -euo pipefail

missing=()
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  missing+=(prometheus)
fi
if [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
# Debian keeps initdb out of PATH, in /usr/lib/postgresql/<version>/bin.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies present: prometheus, promtool, chromium, postgresql"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "installing from Debian: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
