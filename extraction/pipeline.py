"""Ingestion: source files or texts → extracted, resolved, embedded ``DocumentGraph``s → one store write each.

Files are read in a reader process within per-file limits (``extraction/reader.py``), and each document is
written in one store transaction as soon as it is ready, so a failure never leaves half a document and a slow or
failing file never holds back or loses another; a file that fails to load or write is reported and the batch
goes on.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from extraction.chunking import chunk_text
from extraction.limits import Limits
from extraction.loaders import LoadedDocument, iter_files, load_text
from extraction.nlp import Extraction, Extractor, RawMention
from extraction.pii import PiiDetector, PiiSpan, protect, stored_mode, without_values
from extraction.reader import Reader
from extraction.records import FailedSource, IngestReport, Stop, TextRecord
from extraction.resolve import GROUPS, EntityResolver
from extraction.votes import kind_noun_labels, vote_mentions
from kg.backend import document_entities
from kg.embedding import Embedder, model_id
from kg.errors import ConfigError, KgragError, LoadError
from kg.export import GraphView
from kg.model import (
    PII_MODES,
    PUBLIC_GROUP,
    Access,
    Chunk,
    Document,
    DocumentGraph,
    Entity,
    Mention,
    PiiMode,
    Provenance,
    Relation,
    clean_groups,
    stable_id,
)
from kg.store import GraphStore
from kg.text import TITLE_WORDS

log = logging.getLogger(__name__)

STRUCTURED_EXTRACTOR = "kgrag.structured"
STRUCTURED_VERSION = "1"
# The document metadata key recording how its chunks and relations were made (``IngestionPipeline.fingerprint``).
EXTRACTION_KEY = "extraction"
STRUCTURED_LABEL = "UNKNOWN"
MAX_TITLE_WORDS = 8


@dataclass
class _Tally:
    ingested: int = 0
    unchanged: int = 0
    chunks: int = 0
    relations: int = 0
    failed: list[FailedSource] = field(default_factory=list)
    regrouped: list[str] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    not_reached: int = 0
    stopped: str | None = None

    def report(self, started: float) -> IngestReport:
        return IngestReport(
            ingested=self.ingested,
            unchanged=self.unchanged,
            failed=tuple(self.failed),
            chunks=self.chunks,
            relations=self.relations,
            seconds=time.perf_counter() - started,
            regrouped=tuple(self.regrouped),
            skipped=tuple(str(p) for p in self.skipped),
            not_reached=self.not_reached,
            stopped=self.stopped,
        )


@dataclass(frozen=True)
class _Built:
    """A document extracted and resolved, waiting for its embeddings."""

    item: _Pending
    document: Document
    chunks: list[Chunk]
    entities: list[Entity]
    mentions: list[Mention]
    relations: list[Relation]


@dataclass(frozen=True)
class _Pending:
    doc_id: str
    loaded: LoadedDocument
    placeholders: tuple[PiiSpan, ...] = ()  # where a redacted text's values were
    twins: tuple[str, ...] = ()  # ids the same file may be stored under from an earlier ingest


@dataclass(frozen=True)
class _Restore:
    """A kgrag export found among the files: its documents are written back as they were exported."""

    source: str
    view: GraphView


def document_id(key: str) -> str:
    """Ids follow the source, not the content, so that a changed file replaces its previous version."""
    return stable_id("document", key)


def document_keys(path: Path, given: Path) -> list[str]:
    """The names a file may be stored under, shortest first: relative to the parent of the path it was found under
    (``corpus/trials/x.json`` for ``ingest data/corpus``), so that moving the folder keeps every id, then relative
    to each folder above, so that a file re-ingested on its own replaces its copy from an earlier folder ingest."""
    parts = path.resolve().parts
    depth = len(path.resolve().relative_to(given.resolve().parent).parts)
    return [Path(*parts[-n:]).as_posix() for n in range(depth, len(parts))]


def twin_ids(path: Path, keys: list[str]) -> tuple[str, ...]:
    """Ids the same file may hold from an ingest of a folder further down, or from a store written before ids
    were relative (a hash of the absolute path)."""
    shorter = [Path(*path.resolve().parts[-n:]).as_posix() for n in range(1, len(Path(keys[0]).parts))]
    return tuple(document_id(key) for key in [*shorter, str(path.resolve())])


class IngestionPipeline:
    """Turns documents into graph records; the extractor and embedder are shared with retrieval."""

    def __init__(
        self,
        store: GraphStore,
        extractor: Extractor,
        embedder: Embedder,
        chunk_max_chars: int = 1200,
        pii: PiiDetector | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.store = store
        self.extractor = extractor
        self.embedder = embedder
        self.chunk_max_chars = chunk_max_chars
        self.pii = pii
        self.limits = limits or Limits()
        self._kind_nouns = kind_noun_labels(extractor.type_nouns)

    @property
    def fingerprint(self) -> str:
        """How this pipeline chunks and reads a document; one stored under another is ingested again."""
        return (
            f"{self.extractor.fingerprint}; {STRUCTURED_EXTRACTOR} {STRUCTURED_VERSION}; chunks {self.chunk_max_chars}"
        )

    def ingest_paths(
        self,
        paths: Sequence[str | Path],
        groups: Sequence[str] = (PUBLIC_GROUP,),
        progress: bool = False,
        force: bool = False,
        pii: PiiMode = "off",
        stop: Stop | None = None,
    ) -> IngestReport:
        """Ingest files and folders (recursively); unreadable files are reported, the rest go on.

        ``pii`` is what happens to personal data: ``redact`` before storing, ``mask`` in results, or ``off``.
        ``stop``, once set, ends the ingestion after the current document; the rest is reported as not reached.
        """
        started = time.perf_counter()
        tally = _Tally()
        files: list[tuple[Path, str, tuple[str, ...]]] = []
        taken: dict[str, Path] = {}
        for path in paths:
            try:
                for found in iter_files([Path(path)], tally.skipped):
                    if found.is_symlink() and not found.exists():
                        tally.failed.append(FailedSource(str(found), "a broken or looping symbolic link"))
                        continue
                    keys = document_keys(found, Path(path))
                    doc_id = self._document_id(keys)
                    if doc_id in taken:
                        if taken[doc_id] != found.resolve():
                            reason = f"same id as {taken[doc_id]}; ingest the folder that holds both instead"
                            tally.failed.append(FailedSource(str(found), reason))
                        continue
                    taken[doc_id] = found.resolve()
                    files.append((found, doc_id, twin_ids(found, keys)))
            except LoadError as e:
                tally.failed.append(FailedSource(e.path, e.reason))

        def loaded(reader: Reader) -> Iterator[_Pending | _Restore | FailedSource]:
            for (path, doc_id, twins), (_, result) in zip(files, reader.read_all([f[0] for f in files]), strict=True):
                if isinstance(result, LoadError):
                    yield FailedSource(result.path, result.reason)
                elif isinstance(result, GraphView):
                    yield _Restore(str(path), result)
                else:
                    yield _Pending(doc_id, result, twins=twins)

        with self.store.writer(_waiting), Reader(self.limits) as reader:
            self._run(loaded(reader), reader.ready, len(files), groups, progress, force, pii, tally, stop)
        return tally.report(started)

    def ingest_records(
        self,
        records: Iterable[TextRecord],
        groups: Sequence[str] = (PUBLIC_GROUP,),
        progress: bool = False,
        force: bool = False,
        total: int | None = None,
        pii: PiiMode = "off",
        stop: Stop | None = None,
    ) -> IngestReport:
        """Ingest in-memory texts; each record's ``id`` is its document id; ``pii`` and ``stop`` as for
        ``ingest_paths``."""
        started = time.perf_counter()
        tally = _Tally()

        def load(record: TextRecord) -> _Pending | FailedSource:
            source = record.source or f"record:{record.id}"
            try:
                loaded = load_text(record.text, source=source, title=record.title, metadata=dict(record.metadata or {}))
            except LoadError as e:
                return FailedSource(e.path, e.reason)
            return _Pending(record.id, loaded)

        if total is None and isinstance(records, Sequence):
            total = len(records)
        with self.store.writer(_waiting):
            self._run((load(r) for r in records), lambda: True, total, groups, progress, force, pii, tally, stop)
        return tally.report(started)

    def _run(
        self,
        items: Iterable[_Pending | _Restore | FailedSource],
        ready: Callable[[], bool],
        total: int | None,
        groups: Sequence[str],
        progress: bool,
        force: bool,
        pii: PiiMode,
        tally: _Tally,
        stop: Stop | None,
    ) -> None:
        """Extract each document as it comes; embed and write those extracted together (the encoder is several
        times cheaper batched) whenever a batch is full or the next item is not ready yet (``ready``), so that a
        document never waits for a slow file, and before stopping."""
        group_tuple = clean_groups(groups)
        detector = self._detector(pii)
        bar = tqdm(total=total, unit="doc", desc="ingest", disable=not progress, leave=False)
        pending: list[_Built] = []
        seen = 0
        try:
            for item in items:
                if stop is not None and stop.reason is not None:
                    tally.stopped = stop.reason
                    tally.not_reached = total - seen if total is not None else 1 + sum(1 for _ in items)
                    break
                seen += 1
                bar.update(1)
                if isinstance(item, FailedSource):
                    log.info("skipped %s: %s", item.source, item.reason)  # the report names it: once is enough
                    tally.failed.append(item)
                elif isinstance(item, _Restore):
                    self._write(pending, tally)
                    self._restore(item, group_tuple, force, tally)
                elif not force and self._is_current(item, pii):
                    if self._regroup(item.doc_id, group_tuple):
                        tally.regrouped.append(item.doc_id)
                    else:
                        tally.unchanged += 1
                else:
                    if detector is not None:
                        item = _Pending(item.doc_id, *protect(item.loaded, pii, detector), item.twins)
                    try:
                        pending.append(self._extract(item, group_tuple, pending))
                    except LoadError as e:
                        tally.failed.append(FailedSource(item.loaded.source, e.reason))
                if sum(len(b.chunks) for b in pending) >= self.embedder.batch_size or not ready():
                    self._write(pending, tally)
        finally:
            self._write(pending, tally)
            bar.close()

    def _restore(self, item: _Restore, groups: tuple[str, ...], force: bool, tally: _Tally) -> None:
        """Write an export's documents back with their chunks, mentions and relations as exported (ids, spans and
        provenance kept) and their chunks embedded again, a batch of documents per encoder call; like any ingested
        file, they get the ingest's groups, and a stored document with other groups is left alone and reported."""
        view = item.view
        stored = {e.id: (e.name, e.type) for e in view.entities}
        chunks_of = {d.id: tuple(c for c in view.chunks if c.doc_id == d.id) for d in view.documents}
        todo: list[Document] = []
        for doc in view.documents:
            # Ids come from the file, not from where it lies: a restore may replace only a document that already has
            # the groups it gives, so that no curator reaches a document outside its own groups by naming its id.
            present = self.store.get_document(doc.id, Access.unrestricted())
            if present is not None and tuple(sorted(present.groups)) != groups:
                reason = f"stored with groups {','.join(present.groups)}; delete or regroup it first"
                tally.failed.append(FailedSource(f"{item.source}#{doc.id}", reason))
            elif not force and present is not None and present.content_hash == doc.content_hash:
                tally.unchanged += 1
            else:
                todo.append(doc)
        batch: list[Document] = []
        for doc in todo:
            batch.append(doc)
            if sum(len(chunks_of[d.id]) for d in batch) >= self.embedder.batch_size or doc is todo[-1]:
                self._write_restored(item, batch, chunks_of, stored, groups, tally)
                batch = []

    def _write_restored(
        self,
        item: _Restore,
        batch: list[Document],
        chunks_of: dict[str, tuple[Chunk, ...]],
        stored: dict[str, tuple[str, str]],
        groups: tuple[str, ...],
        tally: _Tally,
    ) -> None:
        """Embed a batch of an export's documents in one encoder call and write each in its own transaction."""
        view = item.view
        vectors = self.embedder.encode([_embedding_text(d.title, c.text) for d in batch for c in chunks_of[d.id]])
        offset = 0
        for doc in batch:
            own = chunks_of[doc.id]
            mentions = tuple(m for m in view.mentions if m.doc_id == doc.id)
            relations = tuple(r for r in view.relations if r.provenance.doc_id == doc.id)
            graph = DocumentGraph(
                document=replace(doc, groups=groups),
                chunks=own,
                embeddings=np.ascontiguousarray(vectors[offset : offset + len(own)]),
                entities=document_entities(mentions, relations, lambda ids: {i: stored[i] for i in ids if i in stored}),
                mentions=mentions,
                relations=relations,
                embedding_model=model_id(self.embedder.model_name),
            )
            offset += len(own)
            try:
                self.store.write_document(graph)
            except KgragError as e:
                tally.failed.append(FailedSource(f"{item.source}#{doc.id}", f"cannot store: {e}"))
                continue
            tally.ingested += 1
            tally.chunks += len(own)
            tally.relations += len(relations)

    def _write(self, pending: list[_Built], tally: _Tally) -> None:
        """Embed the pending documents in one encoder batch and write each in its own transaction."""
        if not pending:
            return
        vectors = self.embedder.encode([_embedding_text(b.document.title, c.text) for b in pending for c in b.chunks])
        offset = 0
        for built in pending:
            embeddings = vectors[offset : offset + len(built.chunks)]
            offset += len(built.chunks)
            graph = DocumentGraph(
                document=built.document,
                chunks=tuple(built.chunks),
                embeddings=np.ascontiguousarray(embeddings),
                entities=tuple(built.entities),
                mentions=tuple(built.mentions),
                relations=tuple(built.relations),
                embedding_model=model_id(self.embedder.model_name),
            )
            try:
                self.store.write_document(graph)
            except KgragError as e:
                tally.failed.append(FailedSource(built.item.loaded.source, f"cannot store: {e}"))
                continue
            self._retire_twins(built.item)
            tally.ingested += 1
            tally.chunks += len(graph.chunks)
            tally.relations += len(graph.relations)
        pending.clear()

    def _document_id(self, keys: list[str]) -> str:
        """The id of the first of ``keys`` already stored, else of the first."""
        for key in keys:
            if self.store.document_version(document_id(key)) is not None:
                return document_id(key)
        return document_id(keys[0])

    def _retire_twins(self, item: _Pending) -> None:
        """The file's copies under other ids go once it is stored under its own: re-ingesting a folder is also how
        a store written with absolute-path ids moves to relative ones."""
        for twin in item.twins:
            stored = self.store.get_document(twin, Access.unrestricted()) if twin != item.doc_id else None
            if stored is not None and stored.source == item.loaded.source:
                self.store.delete_document(twin)
                log.info("replaced %s's id %s by %s", item.loaded.source, twin, item.doc_id)

    def _is_current(self, item: _Pending, pii: PiiMode) -> bool:
        """Stored in this version, under this PII mode and read by this extractor, so only its groups may need
        changing."""
        if self.store.document_version(item.doc_id) != item.loaded.content_hash:
            return False
        stored = self.store.get_document(item.doc_id, Access.unrestricted())
        if stored is None or stored_mode(stored.metadata) != pii:
            return False
        return stored.metadata.get(EXTRACTION_KEY) == self.fingerprint

    def _regroup(self, doc_id: str, groups: tuple[str, ...]) -> bool:
        """Give an unchanged document the groups it is ingested with; ``True`` when they changed."""
        stored = self.store.get_document(doc_id, Access.unrestricted())
        if stored is None or tuple(sorted(stored.groups)) == groups:
            return False
        self.store.set_groups(doc_id, groups)
        return True

    def _detector(self, pii: PiiMode) -> PiiDetector | None:
        if pii not in PII_MODES:
            raise ConfigError(f"unknown PII mode {pii!r}; use one of {', '.join(PII_MODES)}")
        if pii == "off":
            return None
        if self.pii is None:
            raise ConfigError("this pipeline has no PII detector; build it with pii=PiiDetector(...)")
        return self.pii

    def _extract(self, item: _Pending, groups: tuple[str, ...], pending: Sequence[_Built]) -> _Built:
        """Extract and resolve one document against every document before it: those stored, and those extracted
        but not yet written (``pending``), as a run of one file after another would."""
        records = [(fact.start, fact.end) for fact in item.loaded.facts]
        (extracted,) = self.extractor.extract([item.loaded.text], records=[records])
        extraction = without_values(extracted, item.placeholders)
        resolver = self._resolver_for(item, extraction, [e for built in pending for e in built.entities])
        return _Built(item, *self._graph_parts(item, extraction, groups, resolver))

    def _resolver_for(self, item: _Pending, extraction: Extraction, pending: list[Entity]) -> EntityResolver:
        """A resolver that knows the stored entities this document might refer to and those of ``pending``."""
        phrases = sorted(
            {m.text for m in extraction.mentions}
            | {text for fact in item.loaded.facts for text in (fact.subject, fact.object)}
        )
        known = self.store.entity_candidates(phrases, Access.unrestricted(), limit=5) if phrases else []
        domain = self.extractor.domain
        return EntityResolver(known=[*known, *pending], specialises=domain.specialises(GROUPS) if domain else {})

    def _graph_parts(
        self, item: _Pending, extraction: Extraction, groups: tuple[str, ...], resolver: EntityResolver
    ) -> tuple[Document, list[Chunk], list[Entity], list[Mention], list[Relation]]:
        loaded = item.loaded
        doc = Document(
            id=item.doc_id,
            source=loaded.source,
            title=loaded.title,
            media_type=loaded.media_type,
            content_hash=loaded.content_hash,
            text=loaded.text,
            groups=groups,
            metadata={**loaded.metadata, EXTRACTION_KEY: self.fingerprint},
        )
        chunks = chunk_text(
            doc.id, doc.content_hash, doc.text, extraction.sentences, self.chunk_max_chars, loaded.records
        )
        if not chunks:
            raise LoadError(loaded.source, "no text to index after sentence splitting")
        chunk_of = _ChunkLocator(chunks)

        fact_mentions: list[RawMention] = []
        for fact in loaded.facts:
            fact_mentions.append(RawMention(fact.subject, STRUCTURED_LABEL, fact.subject_start, fact.subject_end))
            fact_mentions.append(RawMention(fact.object, STRUCTURED_LABEL, fact.object_start, fact.object_end))
        raw_mentions = list(extraction.mentions) + fact_mentions + _title_mention(doc, extraction.mentions)
        base = len(extraction.mentions)
        raw_mentions = vote_mentions(
            doc.text,
            raw_mentions,
            [(t.subject, t.predicate, t.object) for t in extraction.triples]
            + [(base + 2 * i, fact.predicate, base + 2 * i + 1) for i, fact in enumerate(loaded.facts)],
            {base + 2 * i + 1: fact.predicate for i, fact in enumerate(loaded.facts)},
            self._kind_nouns,
            STRUCTURED_LABEL,
        )
        resolved = resolver.resolve(doc.id, raw_mentions)

        entities: dict[str, Entity] = {}
        mentions: dict[tuple[str, int, int], Mention] = {}
        for raw, entity in zip(raw_mentions, resolved, strict=True):
            chunk = chunk_of(raw.start)
            if chunk is None:
                continue
            entities.setdefault(entity.id, entity)
            # A row's subject is the subject of each of its facts, and spaCy may name it too: one span, one mention.
            mentions.setdefault(
                (entity.id, raw.start, raw.end), Mention(entity.id, doc.id, chunk.id, raw.start, raw.end, raw.text)
            )
        relations: list[Relation] = []
        for triple in extraction.triples:
            chunk = chunk_of(triple.start)
            subject, obj = resolved[triple.subject], resolved[triple.object]
            if chunk is None or subject.id == obj.id:
                continue
            provenance = Provenance(
                doc.id,
                chunk.id,
                triple.start,
                triple.end,
                self.extractor.name,
                self.extractor.version,
                triple.confidence,
            )
            relations.append(Relation(subject.id, triple.predicate, obj.id, provenance))
        for i, fact in enumerate(loaded.facts):
            chunk = chunk_of(fact.start)
            subject, obj = resolved[base + 2 * i], resolved[base + 2 * i + 1]
            if chunk is None or subject.id == obj.id:
                continue
            provenance = Provenance(
                doc.id, chunk.id, fact.start, fact.end, STRUCTURED_EXTRACTOR, STRUCTURED_VERSION, 1.0
            )
            relations.append(Relation(subject.id, fact.predicate, obj.id, provenance))
        return doc, chunks, list(entities.values()), list(mentions.values()), _dedupe(relations)


def _waiting(holder: str) -> None:
    log.warning("waiting for another ingestion to finish writing this store (%s)", holder)


class _ChunkLocator:
    """Finds the chunk holding a character offset (chunks are sorted and disjoint)."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._chunks = chunks
        self._starts = [c.start for c in chunks]

    def __call__(self, offset: int) -> Chunk | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i < 0:
            return None
        chunk = self._chunks[i]
        return chunk if offset < chunk.end else None


def _title_mention(doc: Document, mentions: Sequence[RawMention]) -> list[RawMention]:
    """A short title names what its document is about ("Pál Gábor", "Veltrazumab"): as a mention, it links the
    document to every other document that mentions the same name, which is how a bridge entity finds its page."""
    title = doc.title.strip()
    words = title.split()
    if not words or len(words) > MAX_TITLE_WORDS or any(c in title for c in ":;,!?"):
        return []
    # A name capitalises its words ("Payment on Demand", "James Stanley (bishop)"); a headline does not.
    if not all(w[0].isupper() or w[0].isdigit() or w.lower() in TITLE_WORDS or w.startswith("(") for w in words):
        return []
    start = doc.text.find(title)
    if start < 0 or any(m.start == start and m.end == start + len(title) for m in mentions):
        return []
    return [RawMention(title, STRUCTURED_LABEL, start, start + len(title))]


def _embedding_text(title: str, text: str) -> str:
    """Chunks are embedded under their document's title, so a passage keeps the context its title gives."""
    return text if not title or text.startswith(title) else f"{title}\n{text}"


def _dedupe(relations: list[Relation]) -> list[Relation]:
    seen: set[tuple[str, str, str, int, int]] = set()
    unique: list[Relation] = []
    for r in relations:
        key = (*r.key, r.provenance.start, r.provenance.end)
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique
