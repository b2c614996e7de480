"""The ONNX Runtime encoder: exported once from the installed model, cached, and giving the PyTorch vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kg.embedding import Embedder, resolve_model_path
from kg.errors import ConfigError
from kg.onnx import MANIFEST, OnnxEncoder, export_key
from kgrag.settings import Settings

TEXTS = [
    "Veltrazumab was approved by the European Medicines Agency.",
    "The Bubye River is a river in southern Zimbabwe, a tributary of the Limpopo.",
    "short",
    "A much longer passage " * 60,  # over the model's 256 tokens: truncated as sentence-transformers does
]


def test_an_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="embedding_backend must be one of torch, onnx, onnx-int8"):
        Settings(embedding_backend="tensorrt")
    with pytest.raises(ConfigError, match="embedding backend must be one of"):
        Embedder(backend="tensorrt")


def test_a_model_that_is_not_a_folder_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs a local model folder"):
        export_key("sentence-transformers/not-installed", quantized=False)


@pytest.mark.slow
def test_export_reproduces_the_torch_vectors_and_is_cached(tmp_path: Path) -> None:
    path = resolve_model_path("all-MiniLM-L6-v2")
    encoder = OnnxEncoder.of_model(path, quantized=False, cache=tmp_path)
    (folder,) = [p for p in tmp_path.iterdir() if (p / MANIFEST).exists()]
    assert encoder.cosine >= 0.999
    reference = Embedder().encode(TEXTS)
    vectors = encoder.encode(TEXTS, batch_size=3)
    assert vectors.shape == reference.shape
    assert np.min(np.sum(vectors * reference, axis=1)) >= 0.999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    written = (folder / "model.onnx").stat().st_mtime_ns
    again = OnnxEncoder.of_model(path, quantized=False, cache=tmp_path)  # the cached export, not a new one
    assert (folder / "model.onnx").stat().st_mtime_ns == written
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]
    assert np.allclose(again.encode(TEXTS[:1], batch_size=1), vectors[:1], atol=1e-6)


@pytest.mark.slow
def test_int8_stays_close_to_the_torch_vectors(tmp_path: Path) -> None:
    encoder = OnnxEncoder.of_model(resolve_model_path("all-MiniLM-L6-v2"), quantized=True, cache=tmp_path)
    reference = Embedder().encode(TEXTS)
    assert np.min(np.sum(encoder.encode(TEXTS, batch_size=4) * reference, axis=1)) >= 0.97
