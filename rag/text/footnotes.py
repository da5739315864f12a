"""Footnotes: a line opening on asterisks explains the word its call mark follows elsewhere in the document.

"comme avec Ynsect*, mais…" and, pages later, "* La start-up … a levé 650 millions": the note speaks of Ynsect
without naming it. The answerer gives the note the word's terms; retrieval brings the note to a question
about the word.
"""

from __future__ import annotations

import re

# a call mark: the asterisks right after a word ("comme avec Ynsect*, mais…"); a footnote: a line opening on as many
CALL_MARK = re.compile(r"([^\W\d_][\w'’-]*)(\*+)(?![\w*])")
_FOOTNOTE_LINE = re.compile(r"^(\*+)[ \t]*(\S[^\n]*)", re.MULTILINE)


def footnote_calls(document: str) -> dict[str, str]:
    """The footnotes of a document and the word each explains: {opening of the footnote: marked word}. A
    footnote ("* La start-up … a levé 650 millions") speaks of the word its call mark follows ("Ynsect*") without
    naming it. Only unambiguous pairs count: one footnote and one call mark with that many asterisks."""
    notes: dict[str, list[str]] = {}
    for m in _FOOTNOTE_LINE.finditer(document):
        notes.setdefault(m.group(1), []).append(" ".join(m.group(2).split())[:40])
    marks: dict[str, list[str]] = {}
    for m in CALL_MARK.finditer(document):
        marks.setdefault(m.group(2), []).append(m.group(1))
    return {texts[0]: marks[stars][0] for stars, texts in notes.items()
            if len(texts) == 1 and len(marks.get(stars, [])) == 1}


class DocumentFootnotes:
    """footnote_calls of each document of a store, read once per document (the cache is emptied when it grows past
    `limit` documents). After a rebuild by another process a document's notes may be the old ones, as its
    folded text is for the answerer: retrieval checks that a note's opening is in the passage it brings."""

    def __init__(self, store, limit: int = 256):
        self.store = store
        self.limit = limit
        self._calls: dict[str, dict[str, str]] = {}

    def of(self, doc_id: str) -> dict[str, str]:
        if doc_id not in self._calls:
            if len(self._calls) >= self.limit:
                self._calls.clear()
            self._calls[doc_id] = footnote_calls(self.store.document_text(doc_id))
        return self._calls[doc_id]
