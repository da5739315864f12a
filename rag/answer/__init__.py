"""Answering: from retrieved passages to a short answer whose every sentence carries a verified [n].

The extractive answerer (offline, the default), one module per step:
    question.py    what is asked: kind of answer, focus names, constraints, list or not
    units.py       answer units: sentences, list items with their introduction, labelled figures
    kinds.py       does a unit hold the asked kind (a figure, a date, a name, a cause...)
    scoring.py     similarity, rarity-weighted coverage, passage similarity, bonuses
    abstention.py  when to refuse (weak evidence, near-misses, topics the corpus lacks)
    compose.py     one unit for a fact, every item of a list, a few parts of a synthesis
    extractive.py  the answerer that runs them
The LLM answerer (any OpenAI-compatible server, or a local .gguf through llama.cpp):
    prompts.py + templates/   the French prompts, checked at load
    guidance.py    what the extractive analysis tells the model before it writes
    llm.py         robust streamed calls (token cap, deadlines, repetition, <think> blocks: think_tags.py)
    local_server.py  llama.cpp's server for RAG_LLM_MODEL_PATH, in a child process
    claims.py, support.py, citations.py, streaming.py   sentence cutting, support checks, citation
                   verification, and the stream that shows only verified sentences
    llm_check.py   `rag llm-check`
Word lists live in data/, each file saying where its words come from.
"""
