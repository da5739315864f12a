#!/usr/bin/env bash
# The main job: set up, build the index if needed (incremental, with progress), then launch the chat app
# on http://127.0.0.1:7860 (RAG_HOST / RAG_PORT / RAG_AUTH change that). Extra arguments go to `rag serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False NO_PROXY=127.0.0.1,localhost
.venv/bin/rag index
exec .venv/bin/rag serve "$@"
