#!/usr/bin/env bash
# Debian's chromium for the browser test (tests/test_browser.py drives it headless with playwright's
# Python client over the DevTools protocol: no browser download, no chromium-driver needed).
# Idempotent: exits at once when /usr/bin/chromium is there. Needs root or sudo to install; without
# them, or when apt fails, it says so and the browser test is skipped with that reason.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "warning: chromium is not installed and this user cannot install it (no root, no sudo):" \
         "the browser test will be skipped. Install it with: apt-get install chromium" >&2
    exit 0
  fi
fi
echo "==> installing chromium (Debian package) for the browser test"
if ! $SUDO apt-get update -qq; then
  echo "warning: apt-get update failed; trying the install with the current package lists" >&2
fi
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; then
  echo "warning: could not install chromium: the browser test will be skipped" >&2
fi
[ -x /usr/bin/chromium ] && /usr/bin/chromium --version 2>/dev/null | head -1
exit 0
