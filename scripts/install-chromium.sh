#!/usr/bin/env bash
# The browser test drives Debian's chromium headless; install it when missing (needs root or sudo).
set -uo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "chromium is not installed and this user cannot install it: the browser test will be skipped." >&2
    exit 0
  fi
fi
echo "==> installing chromium (Debian package) for the browser test"
$SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
  || echo "could not install chromium: the browser test will be skipped" >&2
exit 0
