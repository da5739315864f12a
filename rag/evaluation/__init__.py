"""`rag eval`: question sets (questions.py; the shipped set in data/), running them through the assistant
(run.py), metrics recomputable from results.jsonl (metrics.py), the report and charts (report.py), and
the naive LangChain baseline compared with (baseline.py)."""
