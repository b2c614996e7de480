"""The embedded store's vector index: an inverted file (IVF) of cells kept inside the SQLite file.

Each chunk row carries the cell of its nearest centroid, and the centroids are a table of the same file, so the
index is written in the same transaction as the chunks it covers: a crash mid-write rolls both back, an erased
chunk takes its cell entry with it, and there is no second file to fall out of step. A search scores the query
against the centroids, reads the rows of the nearest cells from the in-memory matrix (kept in cell order) and
scores them exactly, so the scores are the stored vectors' cosines as a brute-force scan gives them; only which
rows are read is approximate. Rows without a cell (a store below ``min_chunks``, or written before the index
existed) are always read.

Why not a library: sqlite-vec cannot be loaded by this Python's ``sqlite3`` (no ``enable_load_extension``), and
the graph indexes (hnswlib, usearch, faiss HNSW) live beside the file: rebuilding one from 100k stored vectors
takes minutes on two cores, and their files keep deleted vectors' bytes. The README's Stores section has the
measurements.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kg.errors import ConfigError


@dataclass(frozen=True)
class VectorIndexConfig:
    """When the index is built and how much of it a search reads.

    ``min_chunks``: below it a search scans every row (measured as fast); at the first write that reaches it the
    cells are trained on the stored vectors. ``cells_per_root``: cells per square root of the chunk count.
    ``probe``: the share of the caller's visible rows a search scores, read from the cells nearest to the
    query (at least ``k`` rows). ``retrain_growth``: the cells are trained again when the store has grown by this factor
    since they were. ``train_iterations`` and ``train_sample_per_cell`` bound the k-means of a training.
    """

    min_chunks: int = 10000
    cells_per_root: float = 2.0
    probe: float = 0.3
    retrain_growth: float = 4.0
    train_iterations: int = 10
    train_sample_per_cell: int = 64

    def __post_init__(self) -> None:
        if self.min_chunks < 1:
            raise ConfigError(f"vector index min_chunks must be at least 1, got {self.min_chunks}")
        if self.cells_per_root <= 0:
            raise ConfigError(f"vector index cells_per_root must be positive, got {self.cells_per_root}")
        if not 0 < self.probe <= 1:
            raise ConfigError(f"vector index probe must be in (0, 1], got {self.probe}")
        if self.retrain_growth <= 1:
            raise ConfigError(f"vector index retrain_growth must be above 1, got {self.retrain_growth}")
        if self.train_iterations < 1 or self.train_sample_per_cell < 2:
            raise ConfigError("vector index train_iterations must be at least 1 and train_sample_per_cell at least 2")

    def cell_count(self, chunks: int) -> int:
        return max(1, min(chunks // 2, round(self.cells_per_root * math.sqrt(chunks))))


def train(vectors: np.ndarray, config: VectorIndexConfig, seed: int = 0) -> np.ndarray:
    """Spherical k-means centroids (unit rows) of ``vectors``. A cell left with fewer than two members is dropped,
    so that no centroid is one stored vector (which an erasure would then leave behind)."""
    cells = config.cell_count(len(vectors))
    rng = np.random.default_rng(seed)
    sample_size = min(len(vectors), cells * config.train_sample_per_cell)
    sample = vectors[np.sort(rng.choice(len(vectors), sample_size, replace=False))]
    centroids = sample[rng.choice(len(sample), cells, replace=False)].copy()
    for _ in range(config.train_iterations):
        centroids = _means(sample, assign(sample, centroids), len(centroids))
    members = np.bincount(assign(vectors, centroids), minlength=len(centroids))
    return centroids[members >= 2] if (members >= 2).any() else _means(vectors, np.zeros(len(vectors), int), 1)


def assign(vectors: np.ndarray, centroids: np.ndarray, batch: int = 8192) -> np.ndarray:
    """The nearest centroid (highest inner product) of each vector, in batches that bound the score matrix."""
    parts = [np.argmax(vectors[i : i + batch] @ centroids.T, axis=1) for i in range(0, len(vectors), batch)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _means(vectors: np.ndarray, cells: np.ndarray, count: int) -> np.ndarray:
    sums = np.zeros((count, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, cells, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    empty = norms[:, 0] == 0
    sums[empty] = vectors[np.random.default_rng(count).choice(len(vectors), int(empty.sum()))]
    norms[empty] = 1.0
    return (sums / norms).astype(np.float32)


class Vectors:
    """The stored embeddings in memory, rows ordered by cell (rows without a cell first), with the centroids."""

    def __init__(
        self, ids: list[str], doc_ids: np.ndarray, matrix: np.ndarray, cells: np.ndarray, centroids: np.ndarray | None
    ) -> None:
        order = np.argsort(cells, kind="stable")
        self.ids = [ids[i] for i in order]
        self.doc_ids = doc_ids[order]
        self.matrix = np.ascontiguousarray(matrix[order])
        self.centroids = centroids
        # Rows [0, unassigned) have no cell; cell c's rows are [starts[c], starts[c + 1]).
        ordered = cells[order]
        self.unassigned = int((ordered < 0).sum())
        counts = np.bincount(ordered[ordered >= 0], minlength=0 if centroids is None else len(centroids))
        self.starts = self.unassigned + np.concatenate([[0], np.cumsum(counts)])

    def search(
        self, queries: np.ndarray, k: int, readable: np.ndarray | None, probe: float
    ) -> list[list[tuple[int, float]]]:
        """For each query the best ``min(k, visible rows)`` visible (row, exact score) pairs, best first, ties by
        chunk id. The rows read are those without a cell and those of the cells nearest to the query that hold at
        least ``max(k, probe × visible rows)`` rows the caller may see, so ``k`` visible hits come when ``k`` exist."""
        visible = len(self.ids) if readable is None else int(readable.sum())
        count = min(k, visible)
        if count == 0:
            return [[] for _ in queries]
        if self.centroids is None or not len(self.centroids):
            return [self._top(rows, scores, count) for rows, scores in self._scan(queries, readable)]
        cell_order = np.argsort(-(queries @ self.centroids.T), axis=1)
        sizes = np.diff(self.starts)
        if readable is None:
            free, per_cell = self.unassigned, sizes
        else:
            seen = np.concatenate([[0], np.cumsum(readable)])
            free, per_cell = int(seen[self.unassigned]), seen[self.starts[1:]] - seen[self.starts[:-1]]
        wanted = max(count, math.ceil(probe * visible)) - free
        return [
            self._probe(q, order, per_cell, wanted, count, readable)
            for q, order in zip(queries, cell_order, strict=True)
        ]

    def _scan(self, queries: np.ndarray, readable: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray]]:
        all_scores = queries @ self.matrix.T
        rows = np.arange(len(self.ids)) if readable is None else np.flatnonzero(readable)
        return [(rows, scores if readable is None else scores[rows]) for scores in all_scores]

    def _probe(
        self,
        query: np.ndarray,
        order: np.ndarray,
        per_cell: np.ndarray,
        wanted: int,
        count: int,
        readable: np.ndarray | None,
    ) -> list[tuple[int, float]]:
        """Score the rows without a cell and those of the nearest cells that hold ``wanted`` visible rows."""
        cells = 0 if wanted <= 0 else int(np.searchsorted(np.cumsum(per_cell[order]), wanted)) + 1
        segments = [(0, self.unassigned)] + [(int(self.starts[c]), int(self.starts[c + 1])) for c in order[:cells]]
        rows: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for start, end in segments:
            if end <= start:
                continue
            if readable is None:
                rows.append(np.arange(start, end))
                scores.append(self.matrix[start:end] @ query)
                continue
            span = start + np.flatnonzero(readable[start:end])
            if len(span):
                rows.append(span)
                scores.append(self.matrix[span] @ query)
        return self._top(np.concatenate(rows), np.concatenate(scores), count)

    def _top(self, rows: np.ndarray, scores: np.ndarray, count: int) -> list[tuple[int, float]]:
        count = min(count, len(rows))
        top = np.argpartition(-scores, count - 1)[:count] if count < len(rows) else np.arange(len(rows))
        ranked = sorted(top, key=lambda i: (-scores[i], self.ids[rows[i]]))
        return [(int(rows[i]), float(scores[i])) for i in ranked]


def cell_blobs(centroids: np.ndarray) -> Sequence[tuple[int, bytes]]:
    """Centroid rows as the ``vector_cells`` table stores them."""
    return [(i, np.asarray(c, dtype=np.float32).tobytes()) for i, c in enumerate(centroids)]
