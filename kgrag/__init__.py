"""kgrag: knowledge-graph retrieval with cited evidence.

The application layer: the Python API (``KnowledgeGraph``), its settings and the ``kgrag`` command line, over
``retrieval`` and ``extraction``, which sit over the graph records, the store protocol and its backends (``kg``).
Importing it loads no model: spaCy and the encoder load when a query or an ingestion first needs them.
"""

from extraction.records import FailedSource, IngestReport, TextRecord
from kg.errors import KgragError
from kgrag.api import KnowledgeGraph
from kgrag.picture import draw_evidence
from kgrag.settings import Settings
from retrieval.answer import Answer, AnswerSettings
from retrieval.config import RetrievalConfig
from retrieval.result import RetrievalResult

__all__ = [
    "Answer",
    "AnswerSettings",
    "FailedSource",
    "IngestReport",
    "KgragError",
    "KnowledgeGraph",
    "RetrievalConfig",
    "RetrievalResult",
    "Settings",
    "TextRecord",
    "draw_evidence",
]
