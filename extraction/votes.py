"""Entity types by vote over every mention of a name and its context, without a domain pack.

spaCy's small English pipeline types a name by its local context, so one company is an ORG in one sentence and a
PERSON in the next, and a person wrapped in an unusual sentence is an ORG. What surrounds the mentions says more:
a personal title before a name ("Ms. Calloway", "Judge Achebe"), a corporate suffix after it ("Ashgrove & Pell
LLP"), a kind noun beside it ("the quarry manager, Nadia Frost", "Brightwater, the company"), the column a
table's value sits in ("responsible_partner"), and the roles it takes in relations whose other holders mostly
have one type. Ingestion (``vote_mentions``), PII detection of person names and ``kgrag domain suggest`` all read
types through this one ballot.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from extraction.nlp import DEFAULT_ENTITY_LABELS, RawMention
from extraction.resolve import CONCEPT
from kg.text import CORPORATE_SUFFIXES, HONORIFICS, LITERAL_TYPES, identifiers, normalise

PERSON = "PERSON"
ORG = "ORG"
# Words before a name that say it is a person, and words after one that say it is an organisation.
PERSON_TITLES = HONORIFICS | {"judge", "justice", "mx", "sen", "senator", "rep", "gov", "president"}
ORG_SUFFIXES = CORPORATE_SUFFIXES | {"llp", "llc", "plc", "gmbh", "ag", "sa", "bv", "nv", "kk", "partners"}
# Nouns for what only people are: an apposition or a column named by one types the name beside it.
PERSON_NOUNS = frozenset(
    {
        "accountant",
        "actor",
        "actress",
        "analyst",
        "associate",
        "attorney",
        "author",
        "barrister",
        "brother",
        "ceo",
        "cfo",
        "chairman",
        "chairwoman",
        "clerk",
        "coach",
        "consultant",
        "cto",
        "daughter",
        "director",
        "doctor",
        "employee",
        "engineer",
        "father",
        "founder",
        "husband",
        "investigator",
        "judge",
        "lawyer",
        "manager",
        "mother",
        "nurse",
        "paralegal",
        "partner",
        "physician",
        "player",
        "politician",
        "professor",
        "scientist",
        "secretary",
        "singer",
        "sister",
        "solicitor",
        "son",
        "spokesman",
        "spokesperson",
        "spokeswoman",
        "supervisor",
        "surgeon",
        "wife",
        "writer",
    }
)
# Role nouns that organisations take too ("our partner, Arcturus Diagnostics"): alone as a column's name they say
# nothing of its values' type.
SHARED_NOUNS = frozenset({"partner", "associate"})
# How much a title, suffix, kind noun or column counts against the label spaCy gave one mention.
CONTEXT_WEIGHT = 2
# A relation role votes when at least this many of its holders, and this share of them, have one type.
ROLE_EVIDENCE = 3
ROLE_AGREEMENT = 0.75
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\W*$")
# "the quarry manager, Nadia Frost", "the company Brightwater"; "Ines Calloway, founder and director",
# "Pennick Haulage, a family-owned haulier".
_NOUN_BEFORE = re.compile(r"\b(?:the|a|an|our|its|their|his|her)\s+(?:[\w-]+\s+)?([a-z]+)\s*,?\s+$", re.IGNORECASE)
_NOUN_AFTER = re.compile(r"^\s*[,:]\s+(?:(?:the|a|an|our|its|their)\s+)?(?:[\w-]+\s+)?([a-z]+)\b")
# A sentence that starts with a name, followed by one that starts with "He" or "She": the name is a person's.
_SENTENCE_START = re.compile(r"(?:[.!?]\s+|\n\s*)$")
_NEXT_SENTENCE = re.compile(r"[.!?]\s+([A-Za-z]+)")
_PERSONAL = frozenset({"He", "She"})
_CONTEXT = 40
_SENTENCE = 300


def kind_noun_labels(type_nouns: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Each kind noun with the one label it names (``type_nouns``: label → nouns, as a domain pack gives them),
    people's role nouns included; a noun two labels claim names neither."""
    labels: dict[str, set[str]] = defaultdict(set)
    for label, nouns in type_nouns.items():
        for noun in nouns:
            labels[noun].add(label)
    for noun in PERSON_NOUNS:
        labels[noun].add(PERSON)
    return {noun: next(iter(named)) for noun, named in labels.items() if len(named) == 1}


@dataclass
class Ballots:
    """Votes for each name's type (keyed by ``normalise``d name), gathered from its mentions and their context."""

    nouns: Mapping[str, str]  # kind noun → label (``kind_noun_labels``)
    votes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # Names with a vote from their context, not only the NER's labels: only these are relabelled.
    evidenced: set[str] = field(default_factory=set)

    def mention(self, text: str, label: str | None, start: int, end: int) -> str:
        """Count one mention of ``text[start:end]`` (``label``: what the NER said, None for a table's value), and
        the context around it; returns its key ("" when it is a date, an amount or no name)."""
        name = text[start:end]
        key = normalise(name)
        if not key or label in LITERAL_TYPES:
            return ""
        ballot = self.votes[key]
        if identifiers(name) == [name.upper()]:
            if label in DEFAULT_ENTITY_LABELS:  # a matter or case number names a record, not a person or a place
                ballot[CONCEPT] += CONTEXT_WEIGHT
                self.evidenced.add(key)
            elif label:  # a domain pack's label ("MATTER")
                ballot[label] += 1
            return key
        if label:
            ballot[label] += 1
        words = name.split()
        title = _WORD_BEFORE.search(text[max(0, start - _CONTEXT) : start])
        if (title and title.group(1).lower() in PERSON_TITLES) or (
            len(words) > 1 and words[0].lower().rstrip(".") in PERSON_TITLES
        ):
            self._context(key, PERSON)
        if len(words) > 1 and words[-1].lower().rstrip(".") in ORG_SUFFIXES:
            self._context(key, ORG)
        before = text[max(0, start - _CONTEXT) : start]
        if start == 0 or _SENTENCE_START.search(before):
            following = _NEXT_SENTENCE.search(text, end, end + _SENTENCE)
            if following and following.group(1) in _PERSONAL:
                self._context(key, PERSON)
        for pattern, context in (
            (_NOUN_BEFORE, before),
            (_NOUN_AFTER, text[end : end + _CONTEXT]),
        ):
            found = pattern.search(context)
            noun = self.nouns.get(found.group(1).lower()) if found else None
            if noun:
                self._context(key, noun)
        return key

    def _context(self, key: str, label: str, weight: int = CONTEXT_WEIGHT) -> None:
        self.votes[key][label] += weight
        self.evidenced.add(key)

    def column(self, key: str, column: str) -> None:
        """A table's value votes for the type its column's name names ("responsible_partner": a person); a bare
        "partner" column votes for nothing, since a deals table's partners are companies."""
        words = [w for w in re.split(r"[^a-z]+", column.lower()) if w]
        labels = [self.nouns[w] for w in words if w in self.nouns]
        if words == [words[-1]] and words[-1] in SHARED_NOUNS:
            return
        if key and labels:
            self._context(key, labels[-1])

    def roles(self, roles: Sequence[tuple[str, str]]) -> None:
        """A vote for each role a name takes (``(key, "born_in:subject")``) whose other holders mostly have one
        type: whoever is ``born_in`` somewhere or ``study_at`` a school is a person, whatever spaCy made of that
        one sentence."""
        by_role: dict[str, Counter[str]] = defaultdict(Counter)
        for key, role in roles:
            leader = self.leader(key)
            if leader:
                by_role[role][leader] += 1
        for key, role in roles:
            holders = by_role[role]
            if not holders:
                continue
            label, count = holders.most_common(1)[0]
            if count >= ROLE_EVIDENCE and count >= ROLE_AGREEMENT * sum(holders.values()):
                self._context(key, label, 1)

    def leader(self, key: str) -> str | None:
        """The label ahead in ``key``'s votes; None without votes or on a tie."""
        ranked = self.votes[key].most_common(2) if key in self.votes else []
        if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
            return None
        return ranked[0][0]

    def surnames(self) -> None:
        """A one-word name that is the last word of exactly one longer name is that name when either is voted a
        person: "Reyes" is Callum Reyes, though the NER took the lone surname for an organisation, and "Ms.
        Calloway" makes Ines Calloway a person, though the NER took her full name for one."""
        full: dict[str, list[str]] = defaultdict(list)
        for key in list(self.votes):
            words = key.split()
            if len(words) > 1:
                full[words[-1]].append(key)
        for short, names in full.items():
            if len(names) != 1 or short not in self.votes:
                continue
            name = names[0]
            if self.leader(name) != PERSON and self.leader(short) == PERSON and short in self.evidenced:
                self.votes[name].update(self.votes[short])
                self.evidenced.add(name)
            if self.leader(name) == PERSON and name in self.evidenced:
                self.votes[short] = Counter(self.votes[name])
                self.evidenced.add(short)

    def voted(self, key: str) -> str | None:
        """The label ``key``'s context made it (``leader``), or None when only the NER's labels voted: a mix of
        those alone is no reason to relabel a mention."""
        return self.leader(key) if key in self.evidenced else None


def vote_mentions(
    text: str,
    mentions: Sequence[RawMention],
    relations: Sequence[tuple[int, str, int]],
    columns: Mapping[int, str],
    nouns: Mapping[str, str],
    unknown: str,
) -> list[RawMention]:
    """``mentions`` of one document, each labelled as the document's vote over all mentions of its name says.

    ``relations`` are ``(subject, predicate, object)`` mention indexes (extracted triples and a table's facts),
    ``columns`` the column name of each mention that is a table's value, ``unknown`` the label of a value no NER
    read. A tie keeps each mention's own label; dates and amounts keep theirs."""
    ballots = Ballots(nouns)
    keys = [ballots.mention(text, None if m.label == unknown else m.label, m.start, m.end) for m in mentions]
    for index, column in columns.items():
        ballots.column(keys[index], column)
    roles = [
        (keys[index], f"{predicate}:{role}")
        for subject, predicate, obj in relations
        for index, role in ((subject, "subject"), (obj, "object"))
        if keys[index]
    ]
    ballots.roles(roles)
    ballots.surnames()
    voted: list[RawMention] = []
    for mention, key in zip(mentions, keys, strict=True):
        label = ballots.voted(key) if key else None
        voted.append(replace(mention, label=label) if label and label != mention.label else mention)
    return voted
