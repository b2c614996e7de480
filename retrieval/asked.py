"""What a question asks for: a person, a place, a date, an organisation, a number, a yes or no, or one of the
things it compares. Read from the wh-word and the noun it governs ("which city", "how many patients"), with the
nouns of each entity type the extractor already knows (its own and the domain pack's ``type_nouns``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from spacy.tokens import Doc

Kind = Literal["person", "place", "date", "organisation", "number", "yesno", "choice", "typed", "thing"]

PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
NUMBER_LABELS = frozenset({"CARDINAL", "MONEY", "QUANTITY", "PERCENT"})
# Nouns that say which kind of thing a "which" or "what" question asks for, beside the extractor's type nouns.
KIND_NOUNS: Mapping[str, Kind] = {
    **dict.fromkeys(
        ["city", "town", "country", "state", "place", "region", "village", "county", "province", "island", "continent"],
        "place",
    ),
    **dict.fromkeys(
        [
            *["company", "firm", "university", "hospital", "school", "college", "band", "team", "club", "agency"],
            *["airline", "organisation", "organization", "publisher", "label", "network", "newspaper", "party"],
        ],
        "organisation",
    ),
    **dict.fromkeys(["year", "date", "day", "month", "decade", "century", "time"], "date"),
    **dict.fromkeys(
        [
            *["person", "man", "woman", "people", "scientist", "actor", "actress", "director", "author", "writer"],
            *["singer", "player", "founder", "leader", "investigator", "executive", "president", "king", "queen"],
        ],
        "person",
    ),
}
KIND_LABELS: Mapping[Kind, frozenset[str]] = {
    "person": frozenset({"PERSON"}),
    "place": PLACE_LABELS,
    "date": frozenset({"DATE"}),
    "organisation": frozenset({"ORG", "FAC"}),
    "number": NUMBER_LABELS,
}
HOW_LABELS = {"many": frozenset({"CARDINAL", "QUANTITY"}), "much": frozenset({"MONEY", "QUANTITY", "PERCENT"})}
YES_NO_STARTS = frozenset({"is", "are", "was", "were", "did", "do", "does", "has", "have", "had", "can", "could"})
# A number or a date stored under a generic type (a table's ``enrolled: 2150`` is a concept): its whole name.
NUMERIC = re.compile(r"[$€£]?\s?\d[\d,.]*\s*(%|percent|thousand|million|billion|trillion)?", re.IGNORECASE)
YEARLIKE = re.compile(r"(\d{1,2}\s+)?([A-Z][a-z]+\.?\s+)?(\d{1,2},?\s+)?\d{4}")
YEAR = re.compile(r"1[5-9]\d\d|20\d\d")
GENERIC_LABELS = frozenset({"CONCEPT", "CARDINAL", "ORDINAL"})


@dataclass(frozen=True)
class Asked:
    """``labels``: the entity types an answer may have (empty: any); ``noun``: the noun that named them."""

    kind: Kind
    labels: frozenset[str] = frozenset()
    noun: str | None = None

    def fits(self, name: str, label: str) -> bool:
        """Whether an entity named ``name`` of type ``label`` is the kind of thing asked for; a number or a date
        may be stored under a generic type (a table's ``enrolled: 2150`` is a concept), so its digits decide."""
        if not self.labels:
            return True
        if label in self.labels:
            return True
        if label not in GENERIC_LABELS:
            return False
        if self.kind == "number":
            year = YEAR.fullmatch(name.strip()) is not None
            return NUMERIC.fullmatch(name.strip()) is not None and not year
        if self.kind == "date":
            return YEARLIKE.fullmatch(name.strip()) is not None
        return False

    def named_by(self, name: str) -> bool:
        """Whether the asked noun is part of the name ("which hospital": St. Brendan's Hospital)."""
        return self.noun is not None and self.noun in name.lower().split()

    def names_predicate(self, predicate: str) -> bool:
        """Whether the asked noun is the relation itself ("what condition": ``condition``), so that the answer
        is the relation's value, its object."""
        return self.noun is not None and self.noun in predicate.lower().split("_")


def read_asked(doc: Doc, type_nouns: Mapping[str, frozenset[str]], comparison: bool) -> Asked:
    """The kind of answer ``doc`` (a parsed question) asks for; ``comparison``: the analysis found two things
    compared, so "Which trial ..., A or B?" asks to choose and "Was A before B?" for a yes or no."""
    words = [t.lower_ for t in doc if not t.is_punct]
    if not words:
        return Asked("thing")
    if words[0] in YES_NO_STARTS:
        return Asked("yesno")
    if comparison and " or " in doc.text.lower():
        return Asked("choice")
    noun_labels = {noun: label for label, nouns in type_nouns.items() for noun in nouns}
    for i, word in enumerate(words):
        if word in ("how",) and i + 1 < len(words) and words[i + 1] in ("many", "much"):
            return Asked("number", HOW_LABELS[words[i + 1]], words[i + 1])
        if word in ("when",):
            return Asked("date", KIND_LABELS["date"])
        if word in ("where",):
            return Asked("place", PLACE_LABELS)
        if word in ("who", "whom", "whose"):
            return Asked("person", KIND_LABELS["person"])
        if word in ("which", "what"):
            noun = _governed_noun(doc, word)
            if noun is None:
                continue
            if noun in noun_labels and noun not in KIND_NOUNS:
                label = noun_labels[noun]
                return Asked("typed", frozenset({label}), noun)
            kind = KIND_NOUNS.get(noun)
            if kind is not None:
                return Asked(kind, KIND_LABELS[kind], noun)
            return Asked("thing", frozenset(), noun)
    return Asked("thing")


def _governed_noun(doc: Doc, wh: str) -> str | None:
    """The noun a "which" or "what" determines ("which European regulator" → regulator), by the parse, or the
    first noun after the word when the parser hung it elsewhere."""
    for token in doc:
        if token.lower_ != wh:
            continue
        if token.head.pos_ in ("NOUN", "PROPN") and token.head.i > token.i:
            return token.head.lemma_.lower()
        for after in doc[token.i + 1 : token.i + 4]:
            if after.pos_ == "NOUN":
                return after.lemma_.lower()
        return None
    return None
