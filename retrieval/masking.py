"""Masking personal data in what callers see, for documents ingested in PII ``mask`` mode.

Such a document keeps its text, and its metadata records where the values are (``metadata["pii"]``: offsets and
kinds, never the values; see ``extraction/pii.py``). A caller whose groups include ``pii`` sees everything; any
other caller gets texts with each value masked, and entity names that are such a value replaced by its kind.
Masks in texts keep the value's length, so that every cited span still slices the shown text at the same offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kg.export import GraphView
from kg.model import Access, Document
from kg.store import GraphStore
from retrieval.result import GraphPath, LinkedEntity, Passage, RetrievalResult, TripleEvidence

PII_CLEARANCE = "pii"
MASK_FILL = "*"


def cleared(access: Access) -> bool:
    """The unrestricted system view and callers in the ``pii`` group see personal data."""
    return access.groups is None or PII_CLEARANCE in access.groups


@dataclass(frozen=True)
class ValueSpan:
    start: int
    end: int
    kind: str


def value_spans(metadata: Mapping[str, Any], key: str = "spans") -> tuple[ValueSpan, ...]:
    """The recorded value spans of a mask-mode document's text (``key="spans"``) or title (``key="title"``)."""
    info = metadata.get("pii")
    if not isinstance(info, Mapping) or info.get("mode") != "mask":
        return ()
    return tuple(ValueSpan(int(s), int(e), str(kind)) for s, e, kind in info.get(key, ()))


def mask_value(kind: str, length: int) -> str:
    """``[KIND]`` padded to the value's length (``*`` alone when the value is shorter than its kind's tag)."""
    tag = f"[{kind}]"
    return tag.ljust(length, MASK_FILL) if len(tag) <= length else MASK_FILL * length


def mask_text(text: str, spans: Sequence[ValueSpan], offset: int = 0) -> str:
    """``text`` (which starts at ``offset`` of its document) with the parts of ``spans`` it holds masked; a value cut
    by the text's edge is masked as the same slice of the whole value's mask, so slices of the document agree."""
    if not spans:
        return text
    chars = list(text)
    end = offset + len(text)
    for span in spans:
        lo, hi = max(span.start, offset), min(span.end, end)
        if lo < hi:
            chars[lo - offset : hi - offset] = mask_value(span.kind, span.end - span.start)[
                lo - span.start : hi - span.start
            ]
    return "".join(chars)


def mask_document(doc: Document) -> Document:
    """The document as a caller without clearance sees it: text, title and flagged metadata fields masked."""
    spans = value_spans(doc.metadata)
    info = doc.metadata.get("pii")
    if not spans and not value_spans(doc.metadata, "title") and not (isinstance(info, Mapping) and info.get("fields")):
        return doc
    fields = set(info.get("fields", ())) if isinstance(info, Mapping) else set()
    metadata = {key: f"[{key.upper()}]" if key in fields else value for key, value in doc.metadata.items()}
    return replace(
        doc,
        text=mask_text(doc.text, spans),
        title=mask_text(doc.title, value_spans(doc.metadata, "title")),
        metadata=metadata,
    )


def mask_view(view: GraphView) -> GraphView:
    """An export as a caller without clearance sees it: texts and titles masked, mentions of a value shown as the
    masked slice, and an entity with such a mention (or named like a value) named by the value's kind."""
    documents = {d.id: mask_document(d) for d in view.documents}
    values: dict[str, str] = {}
    kinds: dict[str, str] = {}
    mentions = []
    for doc in view.documents:
        for span in value_spans(doc.metadata):
            values.setdefault(doc.text[span.start : span.end].casefold(), span.kind)
    for mention in view.mentions:
        doc = view.document(mention.doc_id)
        hit = next((s for s in value_spans(doc.metadata) if mention.start < s.end and s.start < mention.end), None)
        if hit is not None:
            kinds.setdefault(mention.entity_id, hit.kind)
            mention = replace(mention, text=documents[doc.id].text[mention.start : mention.end])
        mentions.append(mention)
    entities = []
    for entity in view.entities:
        kind = kinds.get(entity.id) or _within(entity.name, values)
        if kind:
            entity = replace(entity, name=f"[{kind}]", aliases=())
        else:
            entity = replace(entity, aliases=tuple(a for a in entity.aliases if not _within(a, values)))
        entities.append(entity)
    return replace(view, documents=tuple(documents.values()), entities=tuple(entities), mentions=tuple(mentions))


class ResultMasker:
    """Masks a result for a caller without clearance; reads the metadata of the documents the result touches."""

    def __init__(self, store: GraphStore, documents: StoredDocuments | None = None) -> None:
        """``documents``: the stored documents read unrestricted (only their metadata and values decide what is
        masked), shared with whoever read them before (the citation checks); by default read afresh."""
        self.store = store
        self.documents = documents

    def mask(self, result: RetrievalResult, access: Access) -> RetrievalResult:
        if cleared(access):
            return result
        docs = self.documents or StoredDocuments(self.store)
        docs.read(result.cited_doc_ids())
        entity_ids = [
            *(e.entity_id for e in result.linked_entities),
            *(i for t in _all_triples(result) for i in (t.subject_id, t.object_id)),
        ]
        kinds = self._pii_entities(list(dict.fromkeys(entity_ids)), access, docs)
        # Values of the cited documents, to catch a name that equals or lies within one (``Eze`` of ``Ngozi Eze``).
        values: dict[str, str] = {}
        for doc_id in result.cited_doc_ids():
            doc = docs.get(doc_id)
            if doc is not None:
                for span in value_spans(doc.metadata):
                    values.setdefault(doc.text[span.start : span.end].casefold(), span.kind)

        def name(entity_id: str | None, text: str) -> str:
            kind = kinds.get(entity_id or "") or _within(text, values)
            return f"[{kind}]" if kind else text

        names: dict[str, str] = {}  # surface name -> as shown; masked if any entity of that name is a value
        for t in _all_triples(result):
            for entity_id, text in ((t.subject_id, t.subject), (t.object_id, t.object)):
                if names.get(text, text) == text:
                    names[text] = name(entity_id, text)

        def triple(t: TripleEvidence) -> TripleEvidence:
            return replace(
                t, subject=names[t.subject], object=names[t.object], title=self._title(docs, t.doc_id, t.title)
            )

        def passage(p: Passage) -> Passage:
            doc = docs.get(p.doc_id)
            if doc is None:
                return p
            return replace(
                p,
                text=mask_text(p.text, value_spans(doc.metadata), p.start),
                title=self._title(docs, p.doc_id, p.title),
            )

        def path(g: GraphPath) -> GraphPath:
            entities = tuple(names.get(e) or name(None, e) for e in g.entities)
            return replace(g, entities=entities, triples=tuple(map(triple, g.triples)))

        def linked(e: LinkedEntity) -> LinkedEntity:
            return replace(e, name=name(e.entity_id, e.name))

        return replace(
            result,
            passages=tuple(map(passage, result.passages)),
            triples=tuple(map(triple, result.triples)),
            paths=tuple(map(path, result.paths)),
            linked_entities=tuple(map(linked, result.linked_entities)),
        )

    def _pii_entities(self, entity_ids: list[str], access: Access, docs: StoredDocuments) -> dict[str, str]:
        """The entities (and the kind of value) with a visible mention on a recorded value: a person named in a
        masked document is still a node, but its name is personal data wherever it is shown."""
        if not entity_ids:
            return {}
        found: dict[str, str] = {}
        subgraph = self.store.expand(entity_ids, (), 1, access, limit=len(entity_ids))
        docs.read(m.doc_id for m in subgraph.mentions)
        for mention in subgraph.mentions:
            if mention.entity_id in found:
                continue
            doc = docs.get(mention.doc_id)
            for span in value_spans(doc.metadata) if doc is not None else ():
                if mention.start < span.end and span.start < mention.end:
                    found[mention.entity_id] = span.kind
                    break
        return found

    @staticmethod
    def _title(docs: StoredDocuments, doc_id: str, title: str) -> str:
        doc = docs.get(doc_id)
        return mask_text(title, value_spans(doc.metadata, "title")) if doc is not None else title


class StoredDocuments:
    """Stored documents read unrestricted, each once per result; the ones named together are read in one store
    read."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._cache: dict[str, Document | None] = {}

    def read(self, doc_ids: Iterable[str]) -> None:
        """Read the documents of ``doc_ids`` not read yet, in one store read."""
        missing = [i for i in dict.fromkeys(doc_ids) if i not in self._cache]
        if missing:
            found = {d.id: d for d in self.store.get_documents(missing, Access.unrestricted())}
            self._cache.update({i: found.get(i) for i in missing})

    def get(self, doc_id: str) -> Document | None:
        self.read([doc_id])
        return self._cache[doc_id]


def _all_triples(result: RetrievalResult) -> list[TripleEvidence]:
    return [*result.triples, *(t for g in result.paths for t in g.triples)]


def _within(name: str, values: Mapping[str, str]) -> str | None:
    """The kind of the first value that ``name`` equals or lies within (whole words only)."""
    folded = name.casefold().strip()
    if len(folded) < 3:
        return None
    for value, kind in values.items():
        if folded == value or f" {folded} " in f" {value} ":
            return kind
    return None
