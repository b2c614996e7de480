"""Personal data (PII) detection with Presidio over the configured spaCy pipeline, and redaction.

Detection runs offline: the spaCy pipeline is loaded by name (never downloaded), and the e-mail recogniser checks
domains against tldextract's bundled public suffix snapshot instead of fetching the list. Presidio is an optional
dependency (``pip install kgrag[pii]``), imported only when a detector is first used.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from extraction.coref import DEFAULT_TYPE_NOUNS
from extraction.domain import DomainPack
from extraction.loaders import LoadedDocument
from extraction.nlp import Extraction, RawMention, unwrap
from extraction.votes import PERSON, kind_noun_labels, vote_mentions
from kg.errors import ConfigError
from kg.model import PiiMode
from kg.text import CORPORATE_SUFFIXES, HONORIFICS, LITERAL_TYPES, NAME_PARTICLES

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine
    from spacy.tokens import Doc

MEDICAL_RECORD = "MEDICAL_RECORD_NUMBER"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
# Presidio's own recognisers kept: contact details, payment data, person names and national identifiers.
PRESIDIO_KINDS = frozenset(
    {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "US_ITIN",
        "US_PASSPORT",
        "US_DRIVER_LICENSE",
        "UK_NHS",
        "UK_NINO",
        "MEDICAL_LICENSE",
        "AU_TFN",
        "AU_MEDICARE",
        "IN_AADHAAR",
        "IN_PAN",
        "SG_NRIC_FIN",
        "ES_NIF",
        "ES_NIE",
        "IT_FISCAL_CODE",
        "PL_PESEL",
        "FI_PERSONAL_IDENTITY_CODE",
    }
)
KINDS = PRESIDIO_KINDS | {MEDICAL_RECORD, DATE_OF_BIRTH}
SCORE_THRESHOLD = 0.4

# Dates as documents write them: 1981-03-14, 14/03/1981, 3.14.81, 14 March 1981, March 14, 1981.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
# A date counts as a date of birth only right after a label that says so (the regex module allows the lookbehind).
_DOB_LABEL = r"(?<=\b(?:born(?:\s+on)?|d\.?o\.?b\.?|date[\s_]of[\s_]birth|birth[\s_]?date|birthday)\W{0,3})"
_MRN_LABEL = (
    r"(?<=\b(?:mrn|medical[\s_]record(?:[\s_](?:number|no\.?|#))?|hospital[\s_](?:number|no\.?)|patient[\s_]id)"
    r"\W{0,3})"
)
_MRN_VALUE = r"[a-z]{0,3}\d(?:[\d\-]{4,14})\d\b"
# A number right after a phone label, for numbers the phone number library rejects (a made-up subscriber number).
_PHONE_LABEL = r"(?<=\b(?:phone|tel|telephone|mobile|cell|fax)\W{0,3})"
_PHONE_VALUE = r"\+?\d[\d ().\-]{5,18}\d\b"


# A capitalised name of one to three words right after a personal title: a person, whatever the NER says.
_TITLED = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Judge|Sir|Dame)\.? "
    r"((?:[A-Z][a-z'’-]+)(?: [A-Z][a-z'’-]+){0,2})"
)
# Labels of spaCy entities that are not names; their words cannot make a PERSON on their own.
_NOT_NAMES = LITERAL_TYPES | {"PERSON"}


@dataclass(frozen=True)
class PiiSpan:
    """One detected value: ``text[start:end]`` is of ``kind`` (a Presidio entity type such as ``EMAIL_ADDRESS``)."""

    start: int
    end: int
    kind: str
    text: str


def placeholder(kind: str) -> str:
    return f"[{kind}]"


class PiiDetector:
    """Finds personal data in text; the Presidio engine (and its spaCy pipeline) loads on first use.

    With a domain pack, its entity patterns run before the model's NER, as in extraction, so that a drug or a
    company the pack names is not taken for a person.
    """

    def __init__(
        self, spacy_model: str, domain: DomainPack | None = None, score_threshold: float = SCORE_THRESHOLD
    ) -> None:
        if not 0 <= score_threshold <= 1:
            raise ConfigError(f"score_threshold must be within [0, 1], got {score_threshold}")
        self.spacy_model = spacy_model
        self.domain = domain
        self.score_threshold = score_threshold

    @cached_property
    def analyzer(self) -> AnalyzerEngine:
        try:
            from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
            from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
            from presidio_analyzer.predefined_recognizers import EmailRecognizer
        except ImportError as e:
            raise ConfigError("PII detection needs Presidio: install kgrag[pii]") from e
        import spacy
        import tldextract

        patterns = list(self.domain.entity_patterns) if self.domain else []

        class OfflineSpacyEngine(SpacyNlpEngine):  # type: ignore[misc]
            """Loads the configured pipeline by name; Presidio's own ``load`` downloads a missing model."""

            def load(self) -> None:
                name = self.models[0]["model_name"]
                try:
                    nlp = spacy.load(name)
                except OSError as e:
                    raise ConfigError(f"cannot load spaCy pipeline {name!r} for PII detection: install it") from e
                labels = set(nlp.get_pipe("ner").labels) if "ner" in nlp.pipe_names else set()
                if patterns and "ner" in nlp.pipe_names:
                    nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": True}).add_patterns(patterns)
                    labels |= {p["label"] for p in patterns}
                # Only the NER's persons are wanted; ignoring the other labels by name keeps Presidio from warning.
                self.ner_model_configuration = NerModelConfiguration(
                    model_to_presidio_entity_mapping={"PERSON": "PERSON"}, labels_to_ignore=sorted(labels - {"PERSON"})
                )
                self.nlp = {"en": nlp}

        offline_suffixes = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

        class OfflineEmailRecognizer(EmailRecognizer):  # type: ignore[misc]
            """Checks the domain against tldextract's bundled suffix list; the default fetches the list online."""

            def validate_result(self, pattern_text: str) -> bool:
                return offline_suffixes(pattern_text.rpartition("@")[2]).fqdn != ""

        engine = OfflineSpacyEngine(models=[{"lang_code": "en", "model_name": self.spacy_model}])
        engine.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        presidio_log = logging.getLogger("presidio-analyzer")
        level = presidio_log.level
        presidio_log.setLevel(logging.ERROR)  # it warns about each recogniser for another language it skips
        try:
            registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
        finally:
            presidio_log.setLevel(level)
        registry.remove_recognizer("EmailRecognizer")
        registry.add_recognizer(OfflineEmailRecognizer())
        registry.add_recognizer(
            PatternRecognizer(
                supported_entity=MEDICAL_RECORD,
                name="MedicalRecordNumberRecognizer",
                patterns=[Pattern("number after an MRN label", _MRN_LABEL + _MRN_VALUE, 0.85)],
                context=["mrn", "medical", "record", "patient", "hospital"],
            )
        )
        registry.add_recognizer(
            PatternRecognizer(
                supported_entity="PHONE_NUMBER",
                name="LabelledPhoneRecognizer",
                patterns=[Pattern("number after a phone label", _PHONE_LABEL + _PHONE_VALUE, 0.7)],
            )
        )
        registry.add_recognizer(
            PatternRecognizer(
                supported_entity=DATE_OF_BIRTH,
                name="DateOfBirthRecognizer",
                patterns=[Pattern("date after a birth label", _DOB_LABEL + _DATE, 0.85)],
                context=["born", "dob", "birth", "birthday"],
            )
        )
        return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])

    @cached_property
    def kind_nouns(self) -> dict[str, str]:
        """The kind nouns that vote for a name's type: extraction's own, the domain pack's, people's roles."""
        nouns = {label: set(found) for label, found in DEFAULT_TYPE_NOUNS.items()}
        for label, found in (self.domain.type_nouns if self.domain else {}).items():
            nouns.setdefault(label, set()).update(found)
        return kind_noun_labels(nouns)

    @cached_property
    def kinds(self) -> list[str]:
        """What this detector reports: the kinds in ``KINDS`` that this Presidio version can recognise."""
        return sorted(KINDS & set(self.analyzer.get_supported_entities(language="en")))

    def detect(self, text: str) -> list[PiiSpan]:
        """Non-overlapping spans, sorted; where recognisers overlap, the longer span (then the surer) wins.

        The text is read with lone line breaks as spaces (same length, so offsets hold), as extraction reads it.
        """
        if not text.strip():
            return []
        unwrapped = unwrap(text)
        artifacts = self.analyzer.nlp_engine.process_text(unwrapped, "en")
        other_words = _other_entity_words(artifacts.tokens)
        results = self.analyzer.analyze(
            text=unwrapped,
            language="en",
            entities=self.kinds,
            score_threshold=self.score_threshold,
            nlp_artifacts=artifacts,
        )
        candidates: list[tuple[int, int, str, float]] = []
        for r in results:
            start, end = _trim(unwrapped, r.start, r.end)
            if r.entity_type == "PERSON":
                if not _is_name(unwrapped, start, end, other_words):
                    continue
                start, end = _whole_name(text, start, end, other_words)  # not across line breaks
            if end > start:
                candidates.append((start, end, r.entity_type, r.score))
        companies = [
            (e.start_char, e.end_char)
            for e in artifacts.tokens.ents
            if e.label_ not in _NOT_NAMES and e.text.split()[-1].lower().rstrip(".") in CORPORATE_SUFFIXES
        ]
        found = [text[s:e] for s, e, kind, _ in candidates if kind == "PERSON"]
        found += _voted_names(text, unwrapped, artifacts.tokens, self.kind_nouns)
        candidates += [c for c in _voted_persons(text, found) if all(c[1] <= s or c[0] >= e for s, e in companies)]
        chosen: list[tuple[int, int, str, float]] = []
        for candidate in sorted(candidates, key=lambda c: (c[0] - c[1], -c[3], c[0])):
            if all(candidate[1] <= s or candidate[0] >= e for s, e, *_ in chosen):
                chosen.append(candidate)
        return [PiiSpan(s, e, kind, text[s:e]) for s, e, kind, _ in sorted(chosen)]

    def redact(self, text: str, spans: Sequence[PiiSpan] | None = None) -> str:
        """``text`` with each value (``spans``, or what ``detect`` finds) replaced by a placeholder."""
        return redaction(text, self.detect(text) if spans is None else spans).text

    def flagged_fields(self, metadata: Mapping[str, Any]) -> list[str]:
        """The metadata keys whose string values hold personal data (a PDF's or DOCX's author, say)."""
        return sorted(key for key, value in metadata.items() if isinstance(value, str) and self.detect(value))


def _voted_names(text: str, unwrapped: str, doc: Doc, nouns: dict[str, str]) -> list[str]:
    """The NER's names that the document's vote over all their mentions makes persons, though the NER labelled
    them otherwise (extraction's vote: titles, kind nouns such as "the quarry manager, Nadia Frost", a following
    "she")."""
    mentions = []
    for ent in doc.ents:
        start, end = _trim(unwrapped, ent.start_char, ent.end_char)
        mentions.append(RawMention(unwrapped[start:end], ent.label_, start, end))
    voted = vote_mentions(unwrapped, mentions, [], {}, nouns, "")
    return [
        text[m.start : m.end]
        for m, before in zip(voted, mentions, strict=True)
        if m.label == PERSON != before.label and _is_name(unwrapped, m.start, m.end, frozenset())
    ]


def _voted_persons(text: str, found: Sequence[str]) -> list[tuple[int, int, str, float]]:
    """Persons by the document's vote, whatever the NER labelled each mention: a name after a personal title
    ("Ms. Calloway", "Judge Achebe"), and every other occurrence of a name found as a person, or of its last word
    (the surname of "Callum Reyes"), grown over the capitalised name words beside it ("Ines Calloway", which the
    NER took for an organisation). A mis-typed person is still redacted; a company named after one ("Ashgrove &
    Pell LLP") is left to the caller to keep."""
    names = {m.group(1) for m in _TITLED.finditer(text)}
    for name in found:
        words = name.split()
        names.add(name)
        if len(words) > 1 and _name_word(words[-1]) and words[-1].lower() not in HONORIFICS:
            names.add(words[-1])
    voted: list[tuple[int, int, str, float]] = []
    for name in sorted(names):
        for match in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            if _in_company_name(text, match.start(), match.end()):
                continue
            start, end = _whole_name(text, match.start(), match.end(), frozenset())
            voted.append((start, end, "PERSON", 0.5))
    return voted


def _in_company_name(text: str, start: int, end: int) -> bool:
    """Whether a name is part of a company's ("Ashgrove & Pell LLP", "Pell LLP"): beside an ampersand, or before a
    corporate suffix."""
    after = text[end : end + 12].split()[:1]
    before = text[max(0, start - 3) : start].split()[-1:]
    return before == ["&"] or after == ["&"] or bool(after and after[0].lower().strip(".,") in CORPORATE_SUFFIXES)


def _other_entity_words(doc: Doc) -> frozenset[str]:
    return frozenset(w for ent in doc.ents if ent.label_ not in _NOT_NAMES for w in ent.text.split())


def _is_name(text: str, start: int, end: int, other_words: frozenset[str]) -> bool:
    """Filters the NER's commonest misses: a heading run into the next paragraph or standing alone (``Background``),
    a field label (``Date:``), a field name (``date_of_birth``), an abbreviation (``MA``), and words that other
    entities use (``Halvorsen`` of ``Halvorsen Therapeutics``)."""
    value = text[start:end]
    words = value.split()
    if "\n" in value or not all(_name_word(w) or w.lower() in NAME_PARTICLES for w in words):
        return False
    if len(words) == 1:
        line_start, line_end = text.rfind("\n", 0, start) + 1, text.find("\n", end)
        alone = text[line_start : len(text) if line_end < 0 else line_end].strip() == value
        if alone or text[end : end + 1] == ":" or (value.isupper() and len(value) <= 3):
            return False
    return not all(w in other_words for w in words)


def _whole_name(text: str, start: int, end: int, other_words: frozenset[str]) -> tuple[int, int]:
    """The span grown over name-like words right beside it: the NER often finds ``Keane`` of ``Siobhan Keane``."""
    for _ in range(2):
        before = text[max(0, start - 30) : start]
        word = before.rsplit(" ", 2)[-2] if before.endswith(" ") and before.count(" ") >= 1 else ""
        if not (_name_word(word) and word not in other_words and before.endswith(f"{word} ")):
            break
        start -= len(word) + 1
    for _ in range(2):
        after = text[end : end + 30]
        word = after[1:].split(" ", 1)[0].rstrip(".,;") if after.startswith(" ") else ""
        if not (_name_word(word) and word not in other_words):  # a label (``From:``) is not a name word
            break
        end += len(word) + 1
    return start, end


def _name_word(word: str) -> bool:
    return bool(word) and word[0].isupper() and all(c.isalpha() or c in "'’-" for c in word)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without surrounding whitespace or trailing punctuation."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:"):
        end -= 1
    return start, end


@dataclass(frozen=True)
class Redaction:
    """A redacted text, where its placeholders are, and how offsets outside the redacted values moved."""

    text: str
    placeholders: tuple[PiiSpan, ...]
    moves: tuple[tuple[int, int], ...]  # (old end of a value, shift of every offset from there on)

    def offset(self, old: int) -> int:
        shift = 0
        for boundary, delta in self.moves:
            if boundary > old:
                break
            shift = delta
        return old + shift


def redaction(text: str, spans: Sequence[PiiSpan]) -> Redaction:
    """Replace each span (sorted, disjoint) by a placeholder like ``[EMAIL_ADDRESS]``."""
    parts: list[str] = []
    placeholders: list[PiiSpan] = []
    moves: list[tuple[int, int]] = []
    cursor = length = 0
    for span in spans:
        parts.append(text[cursor : span.start])
        length += span.start - cursor
        marker = placeholder(span.kind)
        placeholders.append(PiiSpan(length, length + len(marker), span.kind, marker))
        parts.append(marker)
        length += len(marker)
        cursor = span.end
        moves.append((span.end, length - span.end))
    parts.append(text[cursor:])
    return Redaction("".join(parts), tuple(placeholders), tuple(moves))


def overlaps(start: int, end: int, spans: Iterable[PiiSpan]) -> bool:
    return any(start < s.end and s.start < end for s in spans)


def counts(spans: Iterable[PiiSpan]) -> dict[str, int]:
    return dict(sorted(Counter(s.kind for s in spans).items()))


def stored_mode(metadata: Mapping[str, Any]) -> str:
    """The PII mode a stored document was ingested under (``off`` when its metadata records none)."""
    info = metadata.get("pii")
    return str(info.get("mode", "off")) if isinstance(info, Mapping) else "off"


def protect(loaded: LoadedDocument, mode: PiiMode, detector: PiiDetector) -> tuple[LoadedDocument, tuple[PiiSpan, ...]]:
    """The document as it may be stored under ``mode``, and where a redacted text's placeholders are.

    ``redact`` replaces every value in the text, the title and the metadata before anything is derived from them,
    and drops structured facts about a redacted value; ``mask`` keeps the document and records where its values
    are (offsets and kinds, never the values), for results to mask them. Both record counts per kind.
    """
    if mode == "off":
        return loaded, ()
    spans = detector.detect(loaded.text)
    title_spans = detector.detect(loaded.title)
    fields = detector.flagged_fields(loaded.metadata)
    if mode == "mask":
        info = {
            "mode": "mask",
            "counts": counts(spans),
            "spans": [[s.start, s.end, s.kind] for s in spans],
            "title": [[s.start, s.end, s.kind] for s in title_spans],
            "fields": fields,
        }
        return replace(loaded, metadata={**loaded.metadata, "pii": info}), ()
    redacted = redaction(loaded.text, spans)
    facts = tuple(
        replace(
            fact,
            subject_start=redacted.offset(fact.subject_start),
            subject_end=redacted.offset(fact.subject_end),
            object_start=redacted.offset(fact.object_start),
            object_end=redacted.offset(fact.object_end),
            start=redacted.offset(fact.start),
            end=redacted.offset(fact.end),
        )
        for fact in loaded.facts
        if not overlaps(fact.subject_start, fact.subject_end, spans)
        and not overlaps(fact.object_start, fact.object_end, spans)
    )
    metadata = {key: detector.redact(value) if key in fields else value for key, value in loaded.metadata.items()}
    metadata["pii"] = {"mode": "redact", "counts": counts(spans)}
    title = redaction(loaded.title, title_spans).text
    return replace(loaded, text=redacted.text, title=title, metadata=metadata, facts=facts), redacted.placeholders


def without_values(extraction: Extraction, placeholders: Sequence[PiiSpan]) -> Extraction:
    """The extraction without mentions on a redacted value's placeholder, nor the triples that use them: a
    redacted value never becomes an entity, and ``[PERSON]`` must not become one either."""
    if not placeholders:
        return extraction
    kept = [i for i, m in enumerate(extraction.mentions) if not overlaps(m.start, m.end, placeholders)]
    index = {old: new for new, old in enumerate(kept)}
    triples = tuple(
        replace(t, subject=index[t.subject], object=index[t.object])
        for t in extraction.triples
        if t.subject in index and t.object in index
    )
    return Extraction(extraction.sentences, tuple(extraction.mentions[i] for i in kept), triples)
