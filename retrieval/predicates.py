"""Which question words name which relations: the one rule that the walk, the bridges and the asked paths share.

A question term names a predicate when one of its forms (as written, its lemma, the domain's canonical predicate)
is one of the predicate's words, or one of its ontology super-properties' words, in another form: by an
inflection or an agent suffix ("founder" / ``found``) or by Snowball stem ("approved" / ``grant_approval_to``). A hop
that reaches an entity also names the terms that name that entity's kind ("company" for an ORG, "trial" for a
TRIAL through the domain's type nouns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import snowballstemmer

# Predicate words that carry no meaning of their own ("chief_executive_of", "born_in").
FUNCTION_WORDS = frozenset({"of", "in", "at", "for", "by", "on", "to", "from", "with", "as", "into", "under", "not"})
MIN_STEM = 4
# What may follow a word for it still to be that word: inflections and agent nouns ("founder", "director").
SUFFIXES = frozenset({"s", "es", "d", "ed", "ing", "r", "er", "ers", "or", "ors"})
_STEMMER = snowballstemmer.stemmer("english")


class PredicateReader:
    """Reads one question's terms against predicates and entity kinds; each answer is computed once a query."""

    def __init__(
        self,
        terms: Sequence[frozenset[str]],
        broader: Mapping[str, frozenset[str]] | None = None,
        type_nouns: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        """``terms`` are the forms of each content word of the question; ``broader`` gives each predicate's
        super-properties (the domain ontology's); ``type_nouns`` the nouns that name each entity type."""
        self.terms = tuple(terms)
        self.broader = dict(broader or {})
        self.type_nouns = dict(type_nouns or {})
        self._named: dict[tuple[str, str | None], frozenset[int]] = {}

    def named_terms(self, predicate: str, reached_type: str | None = None) -> frozenset[int]:
        """The question's terms (by index) that a hop over ``predicate`` names, and, when it reaches an entity of
        ``reached_type``, the terms naming that kind."""
        key = (predicate, reached_type)
        if key not in self._named:
            words = predicate_words(predicate, self.broader)
            kinds = frozenset()
            if reached_type is not None:
                kinds = frozenset({reached_type.lower(), *self.type_nouns.get(reached_type, ())})
            self._named[key] = frozenset(
                i
                for i, forms in enumerate(self.terms)
                if forms & kinds or any(same_stem(f, w) for f in forms for w in words)
            )
        return self._named[key]

    def names(self, predicate: str) -> bool:
        """Whether a question word names this predicate: "director" asks for ``direct``, "born" for ``born_in``."""
        return bool(self.named_terms(predicate))


def predicate_words(predicate: str, broader: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The words that name a predicate: its own ("chief", "executive", "officer") and its super-properties'."""
    return frozenset(
        word
        for name in (predicate, *broader.get(predicate, ()))
        for word in name.split("_")
        if word not in FUNCTION_WORDS
    )


def same_stem(word: str, part: str) -> bool:
    """Whether a question word and a predicate word are one word in two forms: by an inflection or an agent
    suffix ("founder" / ``found``, "directed" / ``direct``) or by their Snowball stems ("approved" /
    ``approval``), each at least ``MIN_STEM`` long. Any longer prefix match would make "countess" a ``count``
    and "grandfather" a ``grand``."""
    if word == part:
        return True
    if min(len(word), len(part)) < MIN_STEM:
        return False
    short, long = sorted((word, part), key=len)
    return (long.startswith(short) and long[len(short) :] in SUFFIXES) or _stem(word) == _stem(part)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)
