"""What an answer is made of: cited claims, the candidates an answerer weighs, the answer and its settings, and
the returned passages read as sentences (shared by the extractive answerer, comparisons and the generator)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from kg.errors import InvalidArgument
from retrieval.result import Passage, Status

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

Source = Literal["path", "triple", "passage", "sentence", "comparison", "generated"]
Role = Literal["answer", "support"]

# How much each way of finding an answer is worth before calibration: a path the question's words trace, a
# relation read from a returned passage, a typed span of a passage, a whole sentence.
SOURCE_WEIGHT: Mapping[Source, float] = {
    "path": 1.0,
    "comparison": 0.9,
    "triple": 0.7,
    "passage": 0.55,
    "sentence": 0.3,
    "generated": 0.5,
}


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str
    start: int
    end: int
    content_hash: str
    verified: bool


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer's support and the spans it rests on; ``role`` is ``answer`` for the sentences
    that state the answer itself. ``verified``: every citation checked, and (for a generated sentence) it cites
    evidence that exists."""

    text: str
    citations: tuple[Citation, ...]
    role: Role = "support"
    verified: bool = True


@dataclass(frozen=True)
class Candidate:
    name: str
    score: float
    source: Source
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class Answer:
    """A short answer and its support. ``confidence`` is the probability of being right where a calibration is
    recorded for the embedding model (``retrieval/calibration.py``), the raw support score otherwise; ``missing``
    names the hop no evidence supports when kgrag abstains or is unsure, and ``next_hop`` the question asked again
    for it; ``rounds`` counts retrieval rounds (a query's own second round included), ``retrievals`` queries."""

    question: str
    status: Status
    answer: str
    confidence: float
    claims: tuple[Claim, ...] = ()
    asked: str = "thing"
    source: Source | None = None
    verified: bool = True
    rounds: int = 1
    retrievals: int = 1
    missing: str | None = None
    next_hop: str | None = None
    found: tuple[str, ...] = ()
    retrieval_confidence: float = 0.0
    features: Mapping[str, float] = field(default_factory=dict)
    calibrated: bool = False
    mode: Literal["extractive", "generated"] = "extractive"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["confidence"] = round(self.confidence, 4)
        data["retrieval_confidence"] = round(self.retrieval_confidence, 4)
        data["features"] = {k: round(v, 4) for k, v in self.features.items()}
        return data


@dataclass(frozen=True)
class AnswerSettings:
    """``min_confidence``: below it kgrag abstains (on the calibrated scale when there is one); ``retry``:
    retrieve once more for a missing hop when the confidence is below ``retry_below``; ``passages``: how many
    returned passages are read for answers; ``require_anchor``: abstain when none of them mentions any name the
    question gives."""

    min_confidence: float = 0.15
    retry: bool = True
    retry_below: float = 0.6
    passages: int = 5
    require_anchor: bool = True

    def __post_init__(self) -> None:
        for name in ("min_confidence", "retry_below"):
            if not 0 <= getattr(self, name) <= 1:
                raise InvalidArgument(f"AnswerSettings: {name} must be in [0, 1], got {getattr(self, name)!r}")
        if self.passages < 1:
            raise InvalidArgument(f"AnswerSettings: passages must be at least 1, got {self.passages!r}")


@dataclass
class Reading:
    """The returned passages as parsed sentences, each with its document span."""

    passages: tuple[Passage, ...]
    docs: list[Doc]

    def sentences(self) -> Iterable[tuple[int, Passage, Span]]:
        for rank, (passage, doc) in enumerate(zip(self.passages, self.docs, strict=True)):
            for sentence in doc.sents:
                yield rank, passage, sentence


def overlap(text: str, terms: frozenset[str]) -> float:
    """The share of the question's content words that a sentence holds (as written or as a word's start)."""
    if not terms:
        return 0.0
    words = {w for w in re.findall(r"[\w'-]+", text.lower())}
    held = sum(1 for t in terms if t in words or any(w.startswith(t[:5]) for w in words if len(t) >= 5))
    return held / len(terms)


def sentence_claim(passage: Passage, sentence: Span, role: Role) -> Claim:
    start = passage.start + sentence.start_char
    end = passage.start + sentence.end_char
    citation = Citation(passage.doc_id, passage.title, start, end, passage.content_hash, passage.verified)
    return Claim(" ".join(sentence.text.split()), (citation,), role, passage.verified)
