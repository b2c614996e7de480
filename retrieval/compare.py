"""Comparison questions: which of two things wins on the value the question compares (a date, an amount), or
whether the first does, read from the returned sentences that name each."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from retrieval.asked import Asked
from retrieval.claims import SOURCE_WEIGHT, Candidate, Claim, Reading, overlap, sentence_claim
from retrieval.result import RetrievalResult

if TYPE_CHECKING:
    from spacy.tokens import Doc

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            *[("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june")],
            *[("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october")],
            *[("nov", "november"), ("dec", "december")],
        ],
        start=1,
    )
    for m in names
}
DATE = re.compile(r"(?:(\d{1,2})\s+)?([A-Za-z]{3,9})\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})|\b(\d{4})\b")
AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion|trillion)?", re.IGNORECASE)
SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
EARLIER = frozenset({"first", "earlier", "earliest", "before", "older", "oldest", "sooner", "less", "fewer"})
EARLIER |= frozenset({"smaller", "lower", "shorter", "least", "smallest", "lowest", "shortest"})
LATER = frozenset({"later", "latest", "after", "younger", "youngest", "last", "newer", "more", "most", "larger"})
LATER |= frozenset({"largest", "higher", "highest", "longer", "longest", "bigger", "biggest", "greater", "many"})
DATE_WORDS = frozenset({"first", "earlier", "earliest", "before", "older", "oldest", "sooner", "later", "latest"})
DATE_WORDS |= frozenset({"after", "younger", "youngest", "last", "newer", "born", "released", "founded", "died"})


def _options(result: RetrievalResult, asked: Asked, qdoc: Doc) -> list[str]:
    """The two things compared: "..., A or B?" as written, else the first two entities the question names."""
    text = qdoc.text.strip().rstrip("?").strip()
    if asked.kind == "choice":
        tail = text.rsplit(",", 1)[-1]
        left, sep, right = tail.partition(" or ")
        if sep:
            if "," not in text:  # "Which is older X or Y": the name just before "or"
                names = [e.text for e in qdoc.ents if e.text in left]
                left = names[-1] if names else left
            return [left.strip(), right.strip()]
    named: list[str] = []
    for e in sorted(result.linked_entities, key=lambda e: _position(qdoc.text, e.phrase)):
        if e.type not in ("DATE", "GPE", "LOC", "NORP", "CONCEPT") and e.name not in named:
            named.append(e.name)
    return named[:2]


def _position(text: str, phrase: str) -> int:
    at = text.lower().find(phrase.lower())
    return at if at >= 0 else len(text)


def compare(
    result: RetrievalResult, asked: Asked, qdoc: Doc, reading: Reading, terms: frozenset[str]
) -> Candidate | None:
    """Which option wins on the value the question compares (a date or an amount), read from the sentences that
    name each option; ``None`` when either option's value is not in the returned passages."""
    options = _options(result, asked, qdoc)
    if len(options) != 2:
        return None
    words = {t.lower_ for t in qdoc}
    dates = bool(words & DATE_WORDS) or bool(words & {"when", "year"})
    earlier = bool(words & EARLIER) and not words & (LATER - {"many"})
    values = []
    for option in options:
        found = _option_value(option, reading, terms, dates)
        if found is None:
            return None
        values.append(found)
    (a, claim_a), (b, claim_b) = values
    if a == b:
        return None
    first_wins = a < b if earlier else a > b
    claims = (claim_a, claim_b)
    if asked.kind == "yesno":
        return Candidate("yes" if first_wins else "no", SOURCE_WEIGHT["comparison"], "comparison", claims)
    return Candidate(options[0] if first_wins else options[1], SOURCE_WEIGHT["comparison"], "comparison", claims)


def _option_value(option: str, reading: Reading, terms: frozenset[str], dates: bool) -> tuple[float, Claim] | None:
    """The value of ``option``: from the sentence naming it that holds most of the question's words and a value,
    else from the first value of a passage that names it (a dateline, a table row)."""
    lowered = option.lower()
    best: tuple[float, float, Claim] | None = None
    for rank, passage, sentence in reading.sentences():
        if lowered not in sentence.text.lower():
            continue
        value = _value(sentence.text, dates)
        if value is None:
            continue
        score = overlap(sentence.text, terms) / (1 + 0.25 * rank)
        if best is None or score > best[0]:
            best = (score, value, sentence_claim(passage, sentence, "answer"))
    if best is not None:
        return best[1], best[2]
    for passage, doc in zip(reading.passages, reading.docs, strict=True):
        if lowered not in passage.text.lower():
            continue
        for sentence in doc.sents:
            value = _value(sentence.text, dates)
            if value is not None:
                return value, sentence_claim(passage, sentence, "answer")
    return None


def _value(text: str, dates: bool) -> float | None:
    if dates:
        for m in DATE.finditer(text):
            if m.group(5):
                return float(m.group(5)) * 10000
            month = MONTHS.get(m.group(2).lower())
            if month is not None:
                day = int(m.group(1) or m.group(3) or 0)
                return float(m.group(4)) * 10000 + month * 100 + day
        return None
    for m in AMOUNT.finditer(text):
        digits = m.group(1).replace(",", "")
        if len(digits) == 4 and not m.group(2) and 1900 <= int(float(digits)) <= 2100:
            continue  # a year, not an amount
        return float(digits) * SCALE.get((m.group(2) or "").lower(), 1.0)
    return None
