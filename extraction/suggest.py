"""A domain pack proposed from a corpus, for a person to edit: voted entity types, kind nouns, identifier patterns
and predicate synonyms, each with the evidence that suggested it.

Without a pack, spaCy's small English pipeline types a name by its local context, so one company can be an ORG in
one sentence and a PERSON in the next, an identifier such as "M-1057" is a CONCEPT or nothing, and "bought" and
"acquired" are two relations. Reading the whole corpus first shows what no single sentence does: how each name is
typed across all its mentions (and by the titles and suffixes around it), which common nouns introduce a kind of
entity ("the client Brightwater"), what shapes the corpus's identifiers take and which noun names them ("matter
M-1057"), and which relation verbs mean alike.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from extraction.coref import DEFAULT_TYPE_NOUNS
from extraction.loaders import LoadedDocument, iter_files, load_file
from extraction.nlp import Extractor
from extraction.votes import Ballots, kind_noun_labels
from kg.errors import InvalidArgument, LoadError
from kg.text import LITERAL_TYPES, identifiers

# Nouns too general to name a kind of entity.
_VAGUE = frozenset({"one", "other", "same", "new", "first", "last", "next", "former", "latter", "following", "time"})
_BEFORE = re.compile(r"\b(?:the|a|an|our|its|their)\s+([a-z]{3,})\s+$")
_AFTER = re.compile(r"^\s*,\s+(?:the|a|an)\s+(?:[a-z]+\s+)?([a-z]{3,})\b")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Suggestion:
    """A proposed pack (``pack``, the JSON a ``--domain`` file holds) and how many files it was read from."""

    pack: dict[str, Any]
    files: int
    failed: tuple[LoadError, ...]


def suggest_pack(
    paths: Sequence[Path],
    extractor: Extractor,
    name: str,
    *,
    encode: Callable[[list[str]], np.ndarray] | None = None,
    min_count: int = 2,
    synonym_similarity: float = 0.8,
) -> Suggestion:
    """Read every supported file under ``paths`` and propose a pack. ``encode`` (texts to unit vectors) finds
    predicate synonyms; without it none are proposed. A name, noun or identifier shape is proposed only when
    seen at least ``min_count`` times."""
    if min_count < 1:
        raise InvalidArgument(f"min_count must be at least 1, got {min_count}")
    documents: list[LoadedDocument] = []
    failed: list[LoadError] = []
    for path in iter_files(list(paths)):
        try:
            documents.append(load_file(path))
        except LoadError as e:
            failed.append(e)
    if not documents:
        raise InvalidArgument(f"no readable documents in {', '.join(str(p) for p in paths)}")
    extractions = extractor.extract([d.text for d in documents], records=[d.records for d in documents])

    ballots = Ballots(kind_noun_labels(extractor.type_nouns))
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    nouns_before: list[tuple[str, str]] = []  # (mention key, noun)
    predicates: Counter[str] = Counter()
    roles: list[tuple[str, str]] = []  # (mention key, "predicate:subject" or "predicate:object")
    for doc, extraction in zip(documents, extractions, strict=True):
        keys = [ballots.mention(doc.text, m.label, m.start, m.end) for m in extraction.mentions]
        for m, key in zip(extraction.mentions, keys, strict=True):
            if not key:
                continue
            forms[key][m.text] += 1
            before, after = doc.text[max(0, m.start - 40) : m.start], doc.text[m.end : m.end + 40]
            for pattern, context in ((_BEFORE, before), (_AFTER, after)):
                found = pattern.search(context)
                if found and found.group(1) not in _VAGUE:
                    nouns_before.append((key, found.group(1)))
        for t in extraction.triples:
            predicates[t.predicate] += 1
            for index, role in ((t.subject, "subject"), (t.object, "object")):
                if 0 <= index < len(keys) and keys[index]:
                    roles.append((keys[index], f"{t.predicate}:{role}"))
    ballots.roles(roles)
    votes = ballots.votes

    voted = {key: counts.most_common(1)[0][0] for key, counts in votes.items() if counts}
    patterns, typed = _type_patterns(votes, forms, min_count)
    tokenize = extractor.nlp.tokenizer
    id_patterns, id_nouns, id_evidence = _identifier_patterns(
        documents, min_count, lambda v: [t.text for t in tokenize(v)]
    )
    nouns, noun_evidence = _kind_nouns(nouns_before, voted, min_count)
    for label, noun in id_nouns.items():
        nouns.setdefault(label, []).append(noun)
    synonyms = _synonyms(predicates, encode, synonym_similarity) if encode else {}
    pack = {
        "name": name,
        "entity_patterns": id_patterns + patterns,
        "type_nouns": {label: sorted(set(n)) for label, n in sorted(nouns.items())},
        "predicates": synonyms,
        "_evidence": {
            "suggested_by": "kgrag domain suggest",
            "documents": len(documents),
            "voted_types": typed,
            "identifiers": id_evidence,
            "kind_nouns": noun_evidence,
            "predicate_counts": dict(predicates.most_common(40)),
        },
    }
    return Suggestion(pack, len(documents), tuple(failed))


def _type_patterns(
    votes: dict[str, Counter[str]], forms: dict[str, Counter[str]], min_count: int
) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """A pattern for every name seen ``min_count`` times under more than one label with one label ahead: each of its
    surface forms, typed as the vote says (a name spaCy always types alike needs no pattern; a tie is left to the
    person editing the pack, and shown in the evidence)."""
    patterns: list[dict[str, Any]] = []
    typed: dict[str, dict[str, int]] = {}
    for key, counts in sorted(votes.items()):
        if len(counts) < 2 or sum(forms[key].values()) < min_count:
            continue
        typed[forms[key].most_common(1)[0][0]] = dict(counts)
        (label, first), (_, second) = counts.most_common(2)
        if first == second:
            continue
        patterns.extend({"label": label, "pattern": form} for form in sorted(forms[key]))
    return patterns, typed


def _identifier_patterns(
    documents: Sequence[LoadedDocument], min_count: int, tokenize: Callable[[str], list[str]]
) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, dict[str, Any]]]:
    """One pattern per identifier shape ("M-" and four digits) with ``min_count`` distinct values, labelled by the
    noun that most often comes just before its identifiers ("matter M-1057" gives MATTER). The pattern follows
    the pipeline's own tokens: spaCy splits "INV-2024-0311" into "INV-2024", "-", "0311"."""
    values: dict[str, set[str]] = defaultdict(set)
    named: dict[str, Counter[str]] = defaultdict(Counter)
    for doc in documents:
        for value in identifiers(doc.text):
            shape = _shape(value)
            values[shape].add(value)
            for found in re.finditer(rf"([A-Za-z]+)[\s:#]+{re.escape(value)}\b", doc.text, flags=re.IGNORECASE):
                named[shape][found.group(1).lower()] += 1
    patterns: list[dict[str, Any]] = []
    nouns: dict[str, str] = {}
    evidence: dict[str, dict[str, Any]] = {}
    for shape, seen in sorted(values.items()):
        if len(seen) < min_count:
            continue
        noun = next((n for n, _ in named[shape].most_common() if n not in _VAGUE and len(n) > 2), None)
        label = re.sub(r"\W", "_", noun.upper()) if noun else "ID_" + re.sub(r"\W", "", shape.split("\\")[0] or "N")
        if noun:
            nouns[label] = noun
        tokens = tokenize(min(seen))
        patterns.append({"label": label, "pattern": [{"TEXT": {"REGEX": _shape(t)}} for t in tokens]})
        evidence[shape] = {"label": label, "values": len(seen), "examples": sorted(seen)[:3]}
    return patterns, nouns, evidence


def _shape(value: str) -> str:
    """The regular expression of an identifier's shape: letters kept, each run of digits by its length."""
    parts = _DIGITS.split(value)
    runs = _DIGITS.findall(value)
    body = "".join(
        re.escape(p) + (rf"\d{{{len(r)}}}" if i < len(runs) else "")
        for i, (p, r) in enumerate(zip(parts, [*runs, ""], strict=True))
    )
    return f"^{body}$"


def _kind_nouns(
    found: list[tuple[str, str]], voted: dict[str, str], min_count: int
) -> tuple[dict[str, list[str]], dict[str, dict[str, int]]]:
    """Nouns that introduce names of one voted label ``min_count`` times and never mostly another's."""
    by_noun: dict[str, Counter[str]] = defaultdict(Counter)
    for key, noun in found:
        by_noun[noun][voted[key]] += 1
    nouns: dict[str, list[str]] = defaultdict(list)
    evidence: dict[str, dict[str, int]] = {}
    for noun, labels in sorted(by_noun.items()):
        label, count = labels.most_common(1)[0]
        if count < min_count or count * 2 <= sum(labels.values()) or label in LITERAL_TYPES:
            continue
        if noun in DEFAULT_TYPE_NOUNS.get(label, ()):
            continue
        nouns[label].append(noun)
        evidence[noun] = dict(labels)
    return dict(nouns), evidence


def _synonyms(predicates: Counter[str], encode: Callable[[list[str]], np.ndarray], similarity: float) -> dict[str, str]:
    """Each relation verb mapped to the most similar more frequent one, when the cosine of the encoder's vectors of
    the two verbs is at least ``similarity``; compound predicates (``acquire_for``) stay as read. Antonyms can be
    close ("buy" and "sell": 0.76 with all-MiniLM-L6-v2), hence a high default and a person reading the pack."""
    verbs = [p for p, _ in predicates.most_common() if "_" not in p]
    if len(verbs) < 2:
        return {}
    vectors = encode(verbs)
    mapped: dict[str, str] = {}
    for i in range(1, len(verbs)):
        scores = vectors[:i] @ vectors[i]
        best = int(np.argmax(scores))
        if scores[best] >= similarity and verbs[best] not in mapped:
            mapped[verbs[i]] = verbs[best]
    return mapped
