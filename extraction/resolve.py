"""Entity resolution: the surface variants of one entity become one node.

Variants handled: case, punctuation, honorifics, possessives, corporate suffixes ("Halvorsen Therapeutics Inc."
= "Halvorsen Therapeutics"), short forms of a name used after the full one in a document ("Okafor", "Dr. Okafor",
"Halvorsen"), acronyms defined in a document ("European Medicines Agency (EMA)") or matching a known name's
initials, and fuzzy matches of person and organisation names across documents. Ids derive from the first form
seen, so resolution is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from extraction.nlp import RawMention
from kg.errors import InvalidArgument
from kg.model import Entity, stable_id
from kg.text import HONORIFICS, normalise

GROUPS = {
    "PERSON": "person",
    "ORG": "org",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "DATE": "date",
    "TIME": "date",
    "MONEY": "money",
}
LITERAL_GROUPS = {"date", "money"}
FUZZY_GROUPS = {"person", "org"}
UNKNOWN = "UNKNOWN"
CONCEPT = "CONCEPT"


def display_name(surface: str) -> str:
    """A surface form without honorific or possessive, as it should read on a node."""
    text = re.sub(r"['’]s$", "", surface.strip())
    words = text.split()
    while len(words) > 1 and words[0].lower().rstrip(".") in HONORIFICS:
        words = words[1:]
    return " ".join(words)


def group_of(label: str) -> str:
    return GROUPS.get(label, label.lower())


def _initials(key: str) -> str:
    return "".join(w[0] for w in key.split() if w not in ("of", "and", "for", "the", "&"))


@dataclass
class _Known:
    id: str
    name: str
    type: str
    group: str
    key: str


@dataclass
class EntityResolver:
    """Resolves one document's mentions at a time against the entities it already knows."""

    known: Iterable[Entity] = ()
    fuzzy_threshold: float = 90.0
    # A domain's labels for kinds of another label's entities (a REGULATOR is an ORG) resolve as those do: they
    # share their stable ids and fuzzy matching, and a spaCy ORG mention of one is that entity.
    specialises: Mapping[str, str] = field(default_factory=dict)
    _by_key: dict[str, list[_Known]] = field(default_factory=dict, init=False)
    _by_group: dict[str, dict[str, _Known]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if not 0 < self.fuzzy_threshold <= 100:
            raise InvalidArgument(f"fuzzy_threshold must be in (0, 100], got {self.fuzzy_threshold}")
        for entity in self.known:
            group = self._group(entity.type)
            keys = {normalise(entity.name), *(normalise(a) for a in entity.aliases)}
            record = _Known(entity.id, entity.name, entity.type, group, normalise(entity.name))
            for key in keys - {""}:
                self._remember(key, record)

    def _remember(self, key: str, record: _Known) -> None:
        bucket = self._by_key.setdefault(key, [])
        if all(k.id != record.id for k in bucket):
            bucket.append(record)
        self._by_group.setdefault(record.group, {}).setdefault(key, record)

    def resolve(self, doc_id: str, mentions: Sequence[RawMention]) -> list[Entity]:
        """One entity per mention, in order; the aliases of each are its surface forms in this document."""
        keys = [normalise(m.text) for m in mentions]
        acronyms = _acronyms(mentions, keys)
        # Longer forms first, so that "Okafor" and "Halvorsen" find the full names used in the same document.
        order = sorted(range(len(mentions)), key=lambda i: (-len(keys[i].split()), i))
        local: dict[str, _Known] = {}
        assigned: dict[int, _Known] = {}
        for i in order:
            mention = mentions[i]
            key = keys[i] or mention.text.lower()
            key = acronyms.get(key, key)
            record = self._match(key, mention.label, local)
            if record is None:
                group = self._group(mention.label if mention.label != UNKNOWN else CONCEPT)
                label = mention.label if mention.label != UNKNOWN else CONCEPT
                record = _Known(stable_id(group, key), display_name(mention.text), label, group, key)
            local.setdefault(key, record)
            self._remember(key, record)
            assigned[i] = record
        aliases: dict[str, list[str]] = {}
        for i, mention in enumerate(mentions):
            names = aliases.setdefault(assigned[i].id, [])
            if mention.text not in names:
                names.append(mention.text)
        return [
            Entity(assigned[i].id, assigned[i].name, assigned[i].type, tuple(aliases[assigned[i].id]))
            for i in range(len(mentions))
        ]

    def _group(self, label: str) -> str:
        return group_of(self.specialises.get(label, label))

    def _match(self, key: str, label: str, local: dict[str, _Known]) -> _Known | None:
        group = self._group(label)
        candidates = self._by_key.get(key, [])
        if label == UNKNOWN:
            return candidates[0] if candidates else None
        same = [c for c in candidates if c.group == group]
        if same:
            return same[0]
        if group in LITERAL_GROUPS:
            return None
        # spaCy's small models mislabel names (a company tagged PERSON); a key known under one other type is that
        # entity, unless one side is a date or an amount.
        others = [c for c in candidates if c.group not in LITERAL_GROUPS]
        if len({c.id for c in others}) == 1:
            return others[0]
        short = self._short_form(key, group, local)
        if short is not None:
            return short
        if group in FUZZY_GROUPS and len(key) >= 4:
            pool = self._by_group.get(group, {})
            best = process.extractOne(key, list(pool), scorer=fuzz.token_sort_ratio, score_cutoff=self.fuzzy_threshold)
            if best is not None:
                return pool[best[0]]
        return None

    @staticmethod
    def _short_form(key: str, group: str, local: dict[str, _Known]) -> _Known | None:
        """A one- or two-word form naming an entity of the same kind already seen in full in this document, when
        unambiguous ("Okafor" for "Amara Okafor"; never "Nordlys Bio" for the concept "Nordlys Bio acquisition")."""
        words = key.split()
        if not words or len(words) > 2:
            return None
        matches = {
            record.id: record
            for full, record in local.items()
            if record.group not in LITERAL_GROUPS
            and len(full.split()) > len(words)
            and (full.split()[: len(words)] == words or full.split()[-len(words) :] == words)
            and record.group == group
        }
        return next(iter(matches.values())) if len(matches) == 1 else None


def _acronyms(mentions: Sequence[RawMention], keys: Sequence[str]) -> dict[str, str]:
    """Map acronym keys to the long names whose initials they spell, among this document's mentions."""
    long_forms = {k for k in keys if len(k.split()) >= 2}
    mapping: dict[str, str] = {}
    for mention, key in zip(mentions, keys, strict=True):
        text = mention.text.strip()
        if 2 <= len(text) <= 10 and text.isupper() and text.isalpha():
            matches = [long for long in long_forms if _initials(long) == key]
            if len(matches) == 1:
                mapping[key] = matches[0]
    return mapping
