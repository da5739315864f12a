#!/usr/bin/env bash
# Set up, build the index if needed (incremental), then answer retrieval questions from the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/rag index
if [ "$#" -gt 0 ]; then
  exec .venv/bin/rag retrieve "$*"
fi
echo
echo "Ready. Ask: .venv/bin/rag retrieve \"Combien d'emplois représentent les gigafactories ?\""
