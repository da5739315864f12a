#!/usr/bin/env bash
# Create .venv and install the project (idempotent: a second run only checks).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then
  echo "==> .venv is up to date"
  exit 0
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# The CPU build of torch first: sentence-transformers would otherwise pull the CUDA build.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "==> installing torch==2.13.0 (CPU)"
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
fi
echo "==> installing the project and its dependencies (with the PostgreSQL store's and the tests' extras)"
.venv/bin/python -m pip install --quiet -e ".[dev,postgres]"
rm -f .venv/.installed-*
touch "$stamp"
echo "==> set-up done"
