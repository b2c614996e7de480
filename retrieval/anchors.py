"""What a question is about: the names it gives, which the passages behind a supported answer mention. An answer
read from passages that never name the question's subject is a plausible name of the asked type, not support."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kg.text import NAME_JOINERS
from retrieval.analysis import capitalised_runs

if TYPE_CHECKING:
    from spacy.tokens import Doc

# Entity labels that are values, not things the evidence must be about ("in 2018", "three films").
VALUE_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY"})


def anchors_of(qdoc: Doc) -> list[str]:
    """The names the question is about (its named things and capitalised runs, not its dates or numbers), which
    the evidence of a supported answer mentions."""
    values = {e.text for e in qdoc.ents if e.label_ in VALUE_LABELS}
    found = [e.text for e in qdoc.ents if e.label_ not in VALUE_LABELS]
    first = qdoc[0].text if len(qdoc) else ""
    for run in capitalised_runs(qdoc.text):
        words = run.split()
        if words and words[0] == first and qdoc[0].is_stop:  # "Are", "Did": capitalised because they start it
            words = words[1:]
        if words and " ".join(words) not in values:
            found.append(" ".join(words))
    anchors: list[str] = []
    for name in sorted(dict.fromkeys(found), key=lambda n: -len(n)):
        if name_words(name) and not any(mentions(other, name) for other in anchors):
            anchors.append(name)
    return anchors


def name_words(name: str) -> list[str]:
    return [w for w in re.findall(r"\w+", name.lower()) if w not in NAME_JOINERS]


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` names ``name``: every word of it (but one, for names of three words or more)."""
    words = name_words(name)
    held = set(re.findall(r"\w+", text.lower()))
    missing = sum(w not in held for w in words)
    return missing == 0 or (len(words) >= 3 and missing <= 1)


def is_option(answer: str, qdoc: Doc) -> bool:
    """Whether a choice question's answer is one of the things it names."""
    return bool(name_words(answer)) and mentions(qdoc.text, answer)
