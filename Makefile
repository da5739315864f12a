.PHONY: setup run test test-fast index bench
setup:      ; bash scripts/setup.sh
run:        ; bash scripts/run.sh
test:       ; bash scripts/test.sh
test-fast:  ; bash scripts/test.sh -m "not slow and not browser"
index: setup ; .venv/bin/rag index
bench: setup ; .venv/bin/python scripts/bench_retrieval.py
