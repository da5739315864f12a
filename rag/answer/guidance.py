"""What the extractive analysis tells an LLM before it writes: the kind of answer asked for and the sentences
that look like the answer, each with its passage number, so the model quotes and cites what the
extractive answerer found (the same units and question analysis feed both answerers; the LLM's
sentences are then verified against the passages, as always)."""

from __future__ import annotations

from rag.answer.compose import choose

KIND_WORDS = {  # French words for the kind of answer asked, as the prompt says them
    "figure": "un chiffre", "amount": "un montant", "date": "une date", "duration": "une durée",
    "person": "une personne", "agent": "une personne ou une organisation", "place": "un lieu",
    "cause": "une cause ou une raison", "definition": "une définition",
    "identity": "qui est cette personne (sa fonction, son rôle)",
}


def llm_guidance(analysis, weights, most: int = 3) -> str:
    """A few French lines for the answer prompt ("" when there is nothing useful to say)."""
    if analysis is None or not analysis.ranked:
        return ""
    q = analysis.question
    lines = []
    asked = KIND_WORDS.get(q.kind or "")
    if q.is_list:
        lines.append("La question demande une liste : cite tous les éléments trouvés.")
    elif asked:
        lines.append(f"La question demande {asked}.")
    units = choose(q, analysis.terms, analysis.ranked, weights)[:most]
    if units:
        lines.append("Phrases qui semblent répondre :")
        lines += [f"[{u.n}] « {u.text} »" for u in units]
    return "\n".join(lines)
