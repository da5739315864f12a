"""English questions over a French corpus: a small bundled glossary turns them into French keywords.

The corpus is French and the bundled embedding model is English-trained and weak across languages, so
an English question shares almost no terms with the passages. When a question reads as English (several
English function words), each phrase found in the glossary below is replaced by its French equivalent
and the rest (names, figures, cognates such as "Douvrin") is kept. The result is a French keyword query
used for retrieval and sentence scoring; the user still sees the answer quoted from the French text.
The glossary covers question words and the domain's common content words (industry, jobs, defence,
batteries...), not the words of particular test questions.
"""

from __future__ import annotations

import re

_ENGLISH_MARKERS = frozenset(
    "the what which when where who whom whose why how does did do is are was were should would will can "
    "could of and in on for with by from about this that these those there their its it to a an at as be has have had "
    "into than take took get got went been".split()
)

# Longest phrases first when matching; values are French words as the corpus writes them.
GLOSSARY: dict[str, str] = {
    # question words
    "how much": "combien", "how many": "combien", "how long": "combien de temps mois ans", "when": "quand",
    "by when": "d'ici quand", "who": "qui", "where": "où", "why": "pourquoi", "which": "quels",
    "what": "quel", "how": "comment",
    # economy and industry
    "industry": "industrie", "industrial": "industriel", "industries": "industries", "manufacturers": "industriels",
    "manufacturer": "industriel", "manufacturing": "production", "company": "entreprise", "companies": "entreprises",
    "firm": "entreprise", "firms": "entreprises", "business": "entreprise", "businesses": "entreprises",
    "factory": "usine", "factories": "usines", "plant": "usine", "plants": "usines", "site": "site", "sites": "sites",
    "jobs": "emplois", "job": "emploi", "employment": "emploi", "salaried": "salarié", "employees": "salariés",
    "workers": "salariés", "share": "part", "rank": "rang", "national": "national", "total": "total",
    "money": "montant millions euros", "amount": "montant", "investment": "investissement", "investments": "investissements",
    "invest": "investir", "invested": "investi", "subsidy": "subvention", "grant": "subvention", "aid": "aides",
    "budget": "budget", "represent": "représente", "represents": "représente", "euros": "euros", "million": "millions", "billion": "milliards",
    "exports": "exportations", "gdp": "PIB", "growth": "croissance", "relocation": "relocalisation",
    "reindustrialisation": "réindustrialisation", "reindustrialization": "réindustrialisation",
    "battery": "batteries", "batteries": "batteries", "gigafactory": "gigafactory", "gigafactories": "gigafactories",
    "data centre": "datacenter", "data center": "datacenter", "datacentre": "datacenter",
    "electric": "électriques", "vehicles": "véhicules", "cars": "voitures", "steel": "acier", "glass": "verre",
    "energy": "énergie", "decarbonisation": "décarbonation", "decarbonization": "décarbonation",
    "land": "foncier", "training": "formation", "skills": "compétences", "recruitment": "recrutement",
    "innovation": "innovation", "research": "recherche", "development": "développement",
    # public action
    "region": "région", "regional": "régionale", "council": "conseil", "state": "État", "government": "gouvernement",
    "president": "président", "minister": "ministre", "ministry": "ministère", "armed forces": "armées",
    "defence": "défense", "defense": "défense", "army": "armée", "task force": "task-force", "partnership": "partenariat",
    "programme": "programme", "program": "programme", "phase": "phase", "territories": "territoires",
    "territory": "territoire", "local": "locaux", "elected": "élus", "policy": "politique", "ports": "ports",
    "port": "port", "drones": "drones", "drone": "drone",
    "newsletter": "lettre d'information", "letter": "lettre", "college": "collège", "prospective": "prospective",
    "foresight": "prospective", "workshop": "atelier", "participants": "participants", "published": "publiée",
    "consultancy": "cabinet", "consulting firm": "cabinet", "external": "extérieur",
    # verbs and the rest
    "mobilise": "mobiliser", "mobilize": "mobiliser", "meet": "rencontré", "met": "rencontré", "create": "créer",
    "created": "créés", "start operating": "mise en service", "start": "débuter", "open": "ouvrir", "opened": "inauguré",
    "inaugurated": "inauguré", "produce": "produire", "production": "production", "build": "construire",
    "behind": "porteurs", "near": "près de", "first": "premier", "second": "deuxième", "fifty": "cinquantaine",
    "hundred": "centaine", "months": "mois", "month": "mois", "years": "ans", "year": "année",
}

_PHRASES = sorted(GLOSSARY, key=lambda p: -len(p))
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(p) for p in _PHRASES) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]+")
_NAME_OR_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)*")


def is_english(question: str) -> bool:
    """True when at least a third of the words (and two or more) are English function words. Names (a
    capital inside the question: "Hauts-de-France", "Toyota") are language-neutral and not counted."""
    ws = [m.group(0).lower() for m in _NAME_OR_WORD.finditer(question)
          if m.start() == 0 or not m.group(0)[0].isupper()]
    hits = sum(w in _ENGLISH_MARKERS for w in ws)
    return hits >= 2 and hits * 3 >= len(ws)


def to_french_query(question: str) -> str:
    """French keywords for an English question (unchanged when it is not English)."""
    if not is_english(question):
        return question
    text = re.sub(r"['’]s\b", "", question)  # "the region's rank" -> "the region rank"
    text = _PATTERN.sub(lambda m: GLOSSARY[m.group(0).lower()], text)
    kept = [w for w in re.findall(r"[\w'’-]+|\?", text) if w.lower() not in _ENGLISH_MARKERS]
    return " ".join(kept).replace(" ?", " ?")
