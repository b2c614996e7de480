"""The encoder through ONNX Runtime: exported from the installed sentence-transformers model at first use, cached,
and run without PyTorch.

sentence-transformers' own ONNX backend needs optimum, whose releases pin transformers below the installed one, so
the export is done here with ``torch.onnx.export`` (the TorchScript exporter, which needs no network): the whole
sentence-transformers module (transformer, the model's own pooling, normalisation) is one graph, so the vectors are
the model's by construction, and the export is checked against the PyTorch encoder before it is cached. Attention
is exported in its eager form, which ONNX Runtime's transformer optimiser fuses into one operator; ``onnx-int8``
also quantises the weights (dynamic, per channel). The cache (``$XDG_CACHE_HOME/kgrag/onnx``, else
``~/.cache/kgrag/onnx``) is keyed by the model's files and the versions of every library that shapes the export.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kg.errors import ConfigError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

# Bump when the export changes, so that every cached export is made again.
EXPORT_VERSION = "1"
MANIFEST = "kgrag-onnx.json"
# An fp32 export must give the PyTorch encoder's vectors; int8 is judged by recall, and its cosine is recorded.
MIN_FP32_COSINE = 0.999
_PROBES = (
    "The Bubye River is a river in southern Zimbabwe.",
    "Halvorsen Therapeutics acquired Nordlys Bio in 2019, and its antibody was approved by the EMA.",
    "Who is the chief financial officer of the parent company?",
    "x",
)
_VERSIONED = ("torch", "transformers", "sentence-transformers", "onnx", "onnxruntime", "tokenizers")


@dataclass(frozen=True)
class _Manifest:
    inputs: tuple[str, ...]
    dimension: int
    max_length: int
    lowercase: bool
    cosine: float  # the lowest cosine to the PyTorch encoder's vectors over the probes, measured at export


class OnnxEncoder:
    """A sentence-transformers model as an ONNX Runtime session and its own fast tokenizer."""

    def __init__(self, folder: Path) -> None:
        self._manifest = _read_manifest(folder)
        self._session = _session(folder / "model.onnx")
        self._tokenizer = _tokenizer(folder, self._manifest.max_length)

    @classmethod
    def of_model(cls, path: str, quantized: bool, cache: Path | None = None) -> OnnxEncoder:
        """The encoder of the sentence-transformers model in folder ``path``, exported on first use."""
        return cls(cached_export(path, quantized, cache or cache_dir()))

    @property
    def dimension(self) -> int:
        return self._manifest.dimension

    @property
    def cosine(self) -> float:
        """How close the export came to the PyTorch encoder (lowest cosine over the probe sentences)."""
        return self._manifest.cosine

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Normalised vectors, in batches of similar length (as sentence-transformers does: less padding)."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chosen = order[start : start + batch_size]
            batch = [texts[i].lower() if self._manifest.lowercase else texts[i] for i in chosen]
            out[chosen] = self._run(batch)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _run(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)
        columns = {
            "input_ids": [e.ids for e in encoded],
            "attention_mask": [e.attention_mask for e in encoded],
            "token_type_ids": [e.type_ids for e in encoded],
        }
        feed = {name: np.asarray(columns[name], dtype=np.int64) for name in self._manifest.inputs}
        return np.asarray(self._session.run(None, feed)[0], dtype=np.float32)


def cache_dir() -> Path:
    """Where exports are kept: the user's cache folder, as the XDG convention places it."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgrag" / "onnx"


def export_key(path: str, quantized: bool) -> str:
    """The model's files (name, size, modification time) and the versions of the libraries the export depends on:
    a changed model or library makes another export, never a stale one."""
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"the ONNX backend needs a local model folder; {path!r} is not one")
    parts = [EXPORT_VERSION, str(root.resolve()), "int8" if quantized else "fp32"]
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = file.stat()
        parts.append(f"{file.relative_to(root).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}")
    for package in _VERSIONED:
        try:
            parts.append(f"{package}=={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{package} missing")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def cached_export(path: str, quantized: bool, cache: Path) -> Path:
    """The folder holding the model's export, made on first use. It is built in a scratch folder and renamed into
    place, so that a process that is killed, or two that export at once, never leave a half-written one."""
    folder = cache / f"{Path(path).name}-{export_key(path, quantized)}"
    if (folder / MANIFEST).exists():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=cache))
    try:
        log.info("exporting %s to ONNX%s (once; cached in %s)", path, " int8" if quantized else "", folder)
        _export(path, quantized, scratch)
        try:
            scratch.rename(folder)
        except OSError:  # another process placed the same export first
            if not (folder / MANIFEST).exists():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def _export(path: str, quantized: bool, folder: Path) -> None:
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers.optimizer import optimize_model
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ConfigError(f"the ONNX backend needs onnx and onnxruntime ({e}); pip install 'kgrag[onnx]'") from e

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = SentenceTransformer(path, device="cpu")  # its own copy: the export changes its attention
    model.eval()
    transformer = model[0].auto_model
    transformer.set_attn_implementation("eager")
    features = model.tokenize(list(_PROBES[:2]))
    inputs = tuple(name for name in ("input_ids", "attention_mask", "token_type_ids") if name in features)
    with torch.no_grad():
        reference = model.encode(list(_PROBES), normalize_embeddings=True, convert_to_numpy=True)
    raw = folder / "raw.onnx"
    axes = {name: {0: "batch", 1: "tokens"} for name in inputs}

    class Whole(torch.nn.Module):
        """The sentence-transformers pipeline from token ids to its vector, as one module to trace."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return self.model(dict(zip(inputs, tensors, strict=True)))["sentence_embedding"]

    with torch.no_grad():
        torch.onnx.export(
            Whole().eval(),
            tuple(features[name] for name in inputs),
            str(raw),
            input_names=list(inputs),
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    config = transformer.config
    optimised = optimize_model(
        str(raw), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    final = folder / "model.onnx"
    if quantized:
        fused = folder / "fused.onnx"
        optimised.save_model_to_file(str(fused))
        # Shape inference cannot type the fused operators' outputs; they are float32.
        quantize_dynamic(
            fused, final, weight_type=QuantType.QInt8, per_channel=True, extra_options={"DefaultTensorType": 1}
        )
        fused.unlink()
    else:
        optimised.save_model_to_file(str(final))
    raw.unlink()
    model.tokenizer.save_pretrained(str(folder / "tokenizer"))
    if not (folder / "tokenizer" / "tokenizer.json").exists():
        raise ConfigError(f"the ONNX backend needs a model with a fast tokenizer (tokenizer.json); {path!r} has none")
    max_length = int(model.max_seq_length)
    lowercase = bool(getattr(model[0], "do_lower_case", False))
    manifest = _Manifest(inputs, int(reference.shape[1]), max_length, lowercase, cosine=1.0)
    _write_manifest(folder, manifest)
    vectors = OnnxEncoder(folder).encode(list(_PROBES), batch_size=len(_PROBES))
    cosine = float(np.min(np.sum(vectors * reference, axis=1)))
    if not quantized and cosine < MIN_FP32_COSINE:
        raise ConfigError(f"the ONNX export of {path!r} does not reproduce its vectors (cosine {cosine:.4f})")
    _write_manifest(folder, _Manifest(inputs, manifest.dimension, max_length, lowercase, round(cosine, 6)))


def _write_manifest(folder: Path, manifest: _Manifest) -> None:
    data = {**manifest.__dict__, "inputs": list(manifest.inputs)}
    (folder / MANIFEST).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _read_manifest(folder: Path) -> _Manifest:
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return _Manifest(tuple(data["inputs"]), data["dimension"], data["max_length"], data["lowercase"], data["cosine"])


def _session(file: Path) -> onnxruntime.InferenceSession:
    try:
        import onnxruntime
    except ImportError as e:
        raise ConfigError(f"the ONNX backend needs onnxruntime ({e}); pip install 'kgrag[onnx]'") from e
    options = onnxruntime.SessionOptions()
    # Waiting threads sleep instead of spinning: on a shared machine, spinning burns the cores others need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])


def _tokenizer(folder: Path, max_length: int) -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer" / "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    pad = tokenizer.padding or {}
    tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
    return tokenizer
