#!/usr/bin/env bash
# Set up (Python packages and, for the browser test, Debian's chromium) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-chromium.sh
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False NO_PROXY=127.0.0.1,localhost
exec .venv/bin/python -m pytest "$@"
