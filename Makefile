.PHONY: setup run test test-fast index eval bench
setup:      ; bash scripts/setup.sh
run:        ; bash scripts/run.sh
test:       ; bash scripts/test.sh
test-fast:  ; bash scripts/test.sh -m "not slow and not browser"
index: setup ; .venv/bin/rag index
eval: setup ; .venv/bin/rag eval --questions tests/questions.jsonl --out eval-out --compare
bench: setup ; .venv/bin/python scripts/bench_retrieval.py
