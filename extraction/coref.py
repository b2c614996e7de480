"""Which entity a pronoun or a definite description refers to, so that the facts stated about it are not lost.

"Priya Raman is the chief executive officer of Arcturus Diagnostics. She co-founded the company in 2012." states
that Raman founded Arcturus, but neither "She" nor "the company" is a name. Documents state most of their facts
this way once they have introduced their subject. The rules are the classic, cautious ones:

- "he", "she", "him" and a non-possessive "her" refer to the last person who was the subject of a sentence
  (the subject is what a text goes on talking about; a person merely mentioned is not);
- "the N", a bare singular noun, refers to the last entity the text called an N: by a copula ("KST-110 is a
  Phase II trial"), an apposition ("Lumiprine, an experimental treatment"), a compound ("the Limerick plant"), or
  the kind of thing it is (an organisation is a "company").

"it" and "they" are left alone: too often they refer to no entity at all ("it is expected that ...").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from spacy.tokens import Span, Token

from kg.text import LITERAL_TYPES

PERSONAL_PRONOUNS = frozenset({"he", "she", "him"})
# The nouns that name an entity of each label, whatever the document called it.
DEFAULT_TYPE_NOUNS: Mapping[str, frozenset[str]] = {
    "ORG": frozenset({"company", "firm", "corporation", "organisation", "organization"}),
    "GPE": frozenset({"city", "town", "country"}),
}
PERSON = "PERSON"
# Labels no common noun stands for: "a Kannada film" is not Kannada.
_NOT_THINGS = LITERAL_TYPES | {"NORP", "LANGUAGE"}
_SUBJECTS = ("nsubj", "nsubjpass")
# Dependents a bare definite description may have: "the company", "the company's".
_BARE = frozenset({"det", "case", "punct"})
# Prepositions the parser may hang on the noun that do not restrict it: "leads the trial as investigator".
_ROLE_PREPOSITIONS = frozenset({"as"})


class Discourse:
    """What a document has said so far, read one sentence at a time; mention indexes are the caller's."""

    def __init__(self, type_nouns: Mapping[str, frozenset[str]]) -> None:
        self._type_nouns = type_nouns
        self._person: int | None = None
        self._called: dict[str, int] = {}

    def refers_to(self, token: Token) -> int | None:
        """The mention an anaphor refers to, or None when the token is not one or nothing fits."""
        lower = token.lower_
        if lower in PERSONAL_PRONOUNS or (lower == "her" and token.dep_ != "poss"):
            return self._person
        if _definite_description(token):
            return self._called.get(token.lemma_.lower())
        return None

    def read(self, sent: Span, mention_of: Callable[[Token], int | None], labels: Sequence[str]) -> None:
        """Learn from a sentence what later ones may refer back to. ``mention_of`` maps a token to its mention,
        also through a copula, an apposition or a compound, so every common noun it maps is what the text calls
        that entity."""
        for token in sent:
            mention = mention_of(token)
            if mention is None:
                continue
            for noun in self._type_nouns.get(labels[mention], ()):
                self._called[noun] = mention
            if token.pos_ == "NOUN" and labels[mention] not in _NOT_THINGS:
                self._called[token.lemma_.lower()] = mention
            if labels[mention] == PERSON and token.dep_ in _SUBJECTS:
                self._person = mention


def _definite_description(token: Token) -> bool:
    if token.pos_ != "NOUN" or token.tag_ != "NN":
        return False
    has_the = any(c.dep_ == "det" and c.lower_ == "the" for c in token.children)
    bare = all(c.dep_ in _BARE or (c.dep_ == "prep" and c.lower_ in _ROLE_PREPOSITIONS) for c in token.children)
    return has_the and bare
