"""An optional generated answer: any OpenAI-compatible chat endpoint writes it from numbered evidence, and kgrag
checks that every sentence cites evidence that exists before the answer is shown.

The evidence is the trusted result's passages (verified, masked), numbered [1]..[n]; the model is told to answer
only from them and to end every sentence with the numbers it rests on. A sentence citing no number, or a number
outside [1, n], is flagged (``Claim.verified`` false) or removed (``uncited="remove"``); the answer is
``verified`` only when every sentence kept traces to verified passages. Nothing here runs unless a generator is
configured (``Settings.generator_url``); the endpoint is the caller's choice, and nothing is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from kg.errors import ConfigError, GeneratorError
from retrieval.claims import Answer, Citation, Claim
from retrieval.result import Passage, RetrievalResult

if TYPE_CHECKING:
    import httpx

Uncited = Literal["flag", "remove"]
UNCITED = ("flag", "remove")
ABSTAIN = "INSUFFICIENT EVIDENCE"
SYSTEM = (
    "You answer questions only from the numbered evidence you are given, never from what you know otherwise. "
    "Begin with the answer itself in a short sentence, then add what supports it. End every sentence with the "
    "numbers of the evidence it rests on, in square brackets, like [1] or [2][3]. If the evidence does not answer "
    f"the question, reply with exactly {ABSTAIN}."
)
CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=\])\s+(?=[A-Z])")


@dataclass(frozen=True)
class GeneratorSettings:
    """``base_url`` of an OpenAI-compatible API (``.../v1``), the ``model`` to ask, an optional ``api_key``;
    ``uncited``: what happens to a sentence without a valid citation (``flag`` it, or ``remove`` it)."""

    base_url: str
    model: str
    api_key: str | None = None
    uncited: Uncited = "flag"
    timeout: float = 60.0
    max_passages: int = 8

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"generator URL must start with http:// or https://, got {self.base_url!r}")
        if not self.model:
            raise ConfigError("a generator needs a model name (KGRAG_GENERATOR_MODEL)")
        if self.uncited not in UNCITED:
            raise ConfigError(f"generator uncited must be one of {', '.join(UNCITED)}, got {self.uncited!r}")


class ChatGenerator:
    def __init__(self, settings: GeneratorSettings, client: httpx.Client | None = None) -> None:
        import httpx

        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.client = client or httpx.Client(base_url=settings.base_url, headers=headers, timeout=settings.timeout)

    def run(self, result: RetrievalResult, extractive: Answer) -> Answer:
        """The generated answer to ``result``'s question, checked sentence by sentence against the evidence;
        ``extractive`` (the default answer to the same result) supplies the confidence and what was found."""
        if result.status == "insufficient_evidence" or not result.passages:
            return replace(extractive, mode="generated")
        passages = result.passages[: self.settings.max_passages]
        text = self._complete(result.question, passages)
        if text.strip().rstrip(".").upper() == ABSTAIN:
            return replace(
                extractive,
                status="insufficient_evidence",
                answer="",
                claims=(),
                mode="generated",
                missing=extractive.missing or "the generator found no answer in the evidence",
            )
        claims = [c for c in (_claim(s, passages) for s in _sentences(text)) if c is not None]
        if self.settings.uncited == "remove":
            claims = [c for c in claims if c.verified]
        if not claims:
            return replace(extractive, status="insufficient_evidence", answer="", claims=(), mode="generated")
        traced = sum(c.verified for c in claims) / len(claims)
        return replace(
            extractive,
            status="answered",
            answer=" ".join(c.text for c in claims),
            claims=tuple(claims),
            source="generated",
            mode="generated",
            verified=traced == 1.0,
            confidence=extractive.confidence * traced,
        )

    def _complete(self, question: str, passages: tuple[Passage, ...]) -> str:
        import httpx

        evidence = "\n\n".join(f"[{i}] {p.title}\n{' '.join(p.text.split())}" for i, p in enumerate(passages, 1))
        body = {
            "model": self.settings.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Evidence:\n\n{evidence}\n\nQuestion: {question}"},
            ],
        }
        try:
            response = self.client.post("/chat/completions", json=body)
            response.raise_for_status()
            return str(response.json()["choices"][0]["message"]["content"])
        except httpx.HTTPError as e:
            raise GeneratorError(f"generator at {self.settings.base_url} failed: {e}") from e
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise GeneratorError(f"generator at {self.settings.base_url} answered out of protocol: {e!r}") from e


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def _claim(sentence: str, passages: tuple[Passage, ...]) -> Claim | None:
    """A sentence as a claim citing the passages it names; unverified when it names none, or one that does not
    exist, or one whose citation did not verify."""
    numbers = [int(n) for group in CITE.findall(sentence) for n in group.split(",")]
    text = " ".join(CITE.sub("", sentence).split()).replace(" .", ".")
    if not text:
        return None
    valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= len(passages)]
    citations = tuple(
        Citation(p.doc_id, p.title, p.start, p.end, p.content_hash, p.verified)
        for p in (passages[n - 1] for n in valid)
    )
    traced = bool(numbers) and len(valid) == len(set(numbers)) and all(c.verified for c in citations)
    return Claim(text, citations, "answer", traced)
