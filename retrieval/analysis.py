"""Question analysis: which phrases might name entities or titles, and whether the question compares things."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from kg.text import NAME_JOINERS

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span

WH_WORDS = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how"}
SKIP_POS = {"DET", "PRON", "PUNCT", "CCONJ", "ADP", "AUX", "PART", "SCONJ"}
COMPARISON = re.compile(
    r"\b(or|both|same|either|neither|older|younger|earlier|later|first|last|longer|shorter|more|less|"
    r"before|after|larger|smaller|higher|lower)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionAnalysis:
    question: str
    phrases: tuple[str, ...]  # candidate names, most specific (longest) first
    comparison: bool
    terms: tuple[frozenset[str], ...]  # the forms of each content word, for matching relation predicates

    @cached_property
    def lemmas(self) -> frozenset[str]:
        """Every form of every content word."""
        return frozenset().union(*self.terms)


class QuestionAnalyzer:
    """Reads a question with the same spaCy pipeline that read the documents (domain patterns included)."""

    def __init__(self, nlp: Language, canonical: Callable[[str], str] | None = None) -> None:
        self.nlp = nlp
        self.canonical = canonical or str

    def run(self, question: str) -> QuestionAnalysis:
        doc = self.nlp(question)
        phrases: list[str] = [ent.text for ent in doc.ents]
        phrases.extend(_strip(chunk) for chunk in doc.noun_chunks)
        phrases.extend(capitalised_runs(question))
        phrases.extend(m.group(1) for m in re.finditer(r"[\"“']([^\"”']{2,80})[\"”']", question))
        cleaned: dict[str, None] = {}
        for phrase in phrases:
            phrase = phrase.strip(" ?.,;:!'\"“”")
            words = phrase.lower().split()
            if phrase and not all(w in WH_WORDS or w in NAME_JOINERS for w in words):
                cleaned.setdefault(phrase, None)
        ordered = sorted(cleaned, key=lambda p: (-len(p.split()), p))
        content = [t for t in doc if t.pos_ not in SKIP_POS and not t.is_stop and t.lower_ not in WH_WORDS]
        # Each content word as written, as its lemma and as the domain's canonical predicate says it: the parser
        # reads "born" as "bear" where predicates keep "born", and a domain may store "heads" as ``lead``.
        terms = tuple(frozenset({t.lower_, t.lemma_.lower(), self.canonical(t.lemma_.lower())}) for t in content)
        has_two_names = len([e for e in doc.ents]) >= 2 or " or " in question.lower()
        comparison = bool(COMPARISON.search(question)) and has_two_names
        return QuestionAnalysis(question, tuple(ordered), comparison, terms)


def is_name(phrase: str) -> bool:
    """Whether a phrase can name an entity or a title: a capital or a digit ("Corvanib", "HLV-301"), unlike
    common nouns ("company", "film") that name kinds of things."""
    return any(c.isupper() or c.isdigit() for c in phrase)


def _strip(chunk: Span) -> str:
    tokens = [t for t in chunk if not (t.pos_ in ("DET", "PRON") or t.lower_ in WH_WORDS)]
    return " ".join(t.text for t in tokens)


def capitalised_runs(question: str) -> list[str]:
    """Runs of capitalised words ("The Lord of the Rings", "Nordlys Bio"), which the small NER often misses."""
    words = re.findall(r"[\w'’.-]+", question)
    runs: list[str] = []
    current: list[str] = []
    for i, word in enumerate(words):
        capital = word[:1].isupper() and not (i == 0 and word.lower() in WH_WORDS)
        if capital or (current and word.lower() in NAME_JOINERS):
            current.append(word)
            continue
        runs.append(" ".join(current))
        current = []
    runs.append(" ".join(current))
    result = []
    for run in runs:
        parts = run.split()
        while parts and parts[-1].lower() in NAME_JOINERS:
            parts.pop()
        if parts and not (len(parts) == 1 and parts[0].lower() in WH_WORDS):
            result.append(" ".join(parts))
    return result
