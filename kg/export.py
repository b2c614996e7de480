"""What a caller may see of a graph, as one snapshot, and its file formats: RDF (Turtle, JSON-LD), GraphML, CSV.

The RDF keeps every relation's provenance with PROV-O: the relation is asserted as a triple and also reified as an
``rdf:Statement`` that ``prov:wasDerivedFrom`` the document version (a ``prov:Entity`` carrying its SHA-256) with
the span and the extractor that read it. It also carries the documents' texts, chunks and mentions, so that
``read_rdf`` gives back the same records: ingesting an export into a fresh store restores the graph with the same
provenance (see ``extraction/pipeline.py``), and every restored citation can be verified against its text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, get_args
from urllib.parse import quote, unquote

from kg.errors import InvalidArgument
from kg.model import Access, Chunk, Document, Entity, Mention, Provenance, Relation
from kg.store import GraphStore

ExportFormat = Literal["turtle", "jsonld", "graphml", "csv"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
# rdflib's names for the two RDF formats.
RDF_SERIALISATIONS = {"turtle": "turtle", "jsonld": "json-ld"}
NS = "https://kgrag.dev/ns#"
PREDICATE_NS = "https://kgrag.dev/predicate/"


@dataclass(frozen=True)
class GraphView:
    """Everything a caller may see, read through the store protocol: visible documents with their chunks, mentions
    and relations, and the entities they name, with names and aliases from visible documents only."""

    documents: tuple[Document, ...]
    chunks: tuple[Chunk, ...]
    entities: tuple[Entity, ...]
    mentions: tuple[Mention, ...]
    relations: tuple[Relation, ...]

    @cached_property
    def _by_id(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents}

    def document(self, doc_id: str) -> Document:
        return self._by_id[doc_id]


@dataclass(frozen=True)
class Export:
    """An export's files (name → text: one for RDF and GraphML, ``entities.csv`` and ``relations.csv`` for CSV) and
    what they hold."""

    format: ExportFormat
    files: Mapping[str, str]
    documents: int
    entities: int
    relations: int


def read_view(store: GraphStore, access: Access) -> GraphView:
    """The caller's view: a visible document's records are all visible, and ``store.entities`` names the entities as
    the caller may see them."""
    documents, chunks, mentions, relations = [], [], [], []
    for doc in store.documents(access):
        graph = store.document_graph(doc.id)
        if graph is None:  # erased since it was listed
            continue
        documents.append(doc)
        chunks += graph.chunks
        mentions += graph.mentions
        relations += graph.relations
    ids = list(
        dict.fromkeys([m.entity_id for m in mentions] + [i for r in relations for i in (r.subject_id, r.object_id)])
    )
    entities = store.entities(ids, access)
    return GraphView(tuple(documents), tuple(chunks), tuple(entities), tuple(mentions), tuple(relations))


def check_format(fmt: str) -> ExportFormat:
    if fmt not in EXPORT_FORMATS:
        raise InvalidArgument(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    return fmt  # type: ignore[return-value]


def serialise(view: GraphView, fmt: ExportFormat) -> Export:
    if fmt in RDF_SERIALISATIONS:
        suffix = "ttl" if fmt == "turtle" else "jsonld"
        files = {f"graph.{suffix}": to_rdf(view).serialize(format=RDF_SERIALISATIONS[fmt])}
    elif fmt == "graphml":
        import networkx as nx

        files = {"graph.graphml": "\n".join(nx.generate_graphml(to_networkx(view))) + "\n"}
    else:
        files = to_csv(view)
    return Export(fmt, files, len(view.documents), len(view.entities), len(view.relations))


# -- RDF ----------------------------------------------------------------------------------------------------------


def _uri(kind: str, value: str) -> str:
    return f"urn:kgrag:{kind}:{quote(value, safe='')}"


def to_rdf(view: GraphView) -> Any:
    """An ``rdflib.Graph`` of the view (typed ``Any``: rdflib loads only when an export is asked for)."""
    from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCTERMS, PROV, SKOS

    kg = Namespace(NS)
    graph = Graph()
    for prefix, ns in (("kg", kg), ("prov", PROV), ("dcterms", DCTERMS), ("skos", SKOS)):
        graph.bind(prefix, ns)
    graph.bind("rel", Namespace(PREDICATE_NS))

    def node(kind: str, value: str) -> URIRef:
        return URIRef(_uri(kind, value))

    def integer(value: int) -> Literal:
        return Literal(value, datatype=XSD.integer)

    for doc in view.documents:
        d = node("document", doc.id)
        graph.add((d, RDF.type, PROV.Entity))
        graph.add((d, RDF.type, kg["Document"]))
        graph.add((d, DCTERMS.identifier, Literal(doc.id)))
        graph.add((d, DCTERMS.title, Literal(doc.title)))
        graph.add((d, DCTERMS.source, Literal(doc.source)))
        graph.add((d, DCTERMS.format, Literal(doc.media_type)))
        graph.add((d, kg["contentHash"], Literal(doc.content_hash)))
        graph.add((d, kg["text"], Literal(doc.text)))
        graph.add((d, kg["metadata"], Literal(json.dumps(dict(doc.metadata), sort_keys=True, ensure_ascii=False))))
        for group in doc.groups:
            graph.add((d, kg["group"], Literal(group)))
    for chunk in view.chunks:
        c = node("chunk", chunk.id)
        graph.add((c, RDF.type, kg["Chunk"]))
        graph.add((c, DCTERMS.isPartOf, node("document", chunk.doc_id)))
        graph.add((c, kg["index"], integer(chunk.index)))
        graph.add((c, kg["start"], integer(chunk.start)))
        graph.add((c, kg["end"], integer(chunk.end)))
    for entity in view.entities:
        e = node("entity", entity.id)
        graph.add((e, RDF.type, kg["Entity"]))
        graph.add((e, RDFS.label, Literal(entity.name)))
        graph.add((e, kg["entityType"], Literal(entity.type)))
        for alias in entity.aliases:
            graph.add((e, SKOS.altLabel, Literal(alias)))
    for order, mention in enumerate(view.mentions):
        m = BNode()
        graph.add((m, RDF.type, kg["Mention"]))
        graph.add((m, kg["entity"], node("entity", mention.entity_id)))
        graph.add((m, kg["chunk"], node("chunk", mention.chunk_id)))
        graph.add((m, kg["start"], integer(mention.start)))
        graph.add((m, kg["end"], integer(mention.end)))
        graph.add((m, kg["text"], Literal(mention.text)))
        graph.add((m, kg["order"], integer(order)))
    for order, relation in enumerate(view.relations):
        p = relation.provenance
        subject, obj = node("entity", relation.subject_id), node("entity", relation.object_id)
        predicate = URIRef(PREDICATE_NS + quote(relation.predicate, safe=""))
        graph.add((subject, predicate, obj))
        graph.add((predicate, RDFS.label, Literal(relation.predicate)))
        s = BNode()
        graph.add((s, RDF.type, RDF.Statement))
        graph.add((s, RDF.subject, subject))
        graph.add((s, RDF.predicate, predicate))
        graph.add((s, RDF.object, obj))
        graph.add((s, PROV.wasDerivedFrom, node("document", p.doc_id)))
        graph.add((s, kg["contentHash"], Literal(view.document(p.doc_id).content_hash)))
        graph.add((s, kg["chunk"], node("chunk", p.chunk_id)))
        graph.add((s, kg["start"], integer(p.start)))
        graph.add((s, kg["end"], integer(p.end)))
        graph.add((s, kg["extractor"], Literal(p.extractor)))
        graph.add((s, kg["extractorVersion"], Literal(p.extractor_version)))
        graph.add((s, kg["confidence"], Literal(p.confidence, datatype=XSD.double)))
        graph.add((s, kg["order"], integer(order)))
    return graph


def is_export(graph: Any) -> bool:
    """Whether an ``rdflib.Graph`` is a kgrag export (it describes kgrag documents), not RDF data to read as facts."""
    from rdflib import RDF, URIRef

    return next(graph.subjects(RDF.type, URIRef(NS + "Document")), None) is not None


def read_rdf(graph: Any) -> GraphView:
    """The records of a kgrag export, as ``to_rdf`` wrote them (relations and mentions in their exported order)."""
    from rdflib import RDF, RDFS, URIRef
    from rdflib.namespace import DCTERMS, PROV, SKOS

    def kg(name: str) -> URIRef:
        return URIRef(NS + name)

    def one(subject: Any, prop: Any) -> Any:
        found = graph.value(subject, prop)
        if found is None:
            raise InvalidArgument(f"kgrag export: {subject} has no {prop}")
        return found.toPython()

    def ident(uri: Any) -> str:
        return unquote(str(uri).rsplit(":", 1)[1])

    documents = tuple(
        sorted(
            (
                Document(
                    id=str(one(d, DCTERMS.identifier)),
                    source=str(one(d, DCTERMS.source)),
                    title=str(one(d, DCTERMS.title)),
                    media_type=str(one(d, DCTERMS.format)),
                    content_hash=str(one(d, kg("contentHash"))),
                    text=str(one(d, kg("text"))),
                    groups=tuple(sorted(str(g) for g in graph.objects(d, kg("group")))),
                    metadata=json.loads(str(one(d, kg("metadata")))),
                )
                for d in graph.subjects(RDF.type, kg("Document"))
            ),
            key=lambda d: d.id,
        )
    )
    texts = {d.id: d.text for d in documents}
    chunks = []
    for c in graph.subjects(RDF.type, kg("Chunk")):
        doc_id = ident(one(c, DCTERMS.isPartOf))
        start, end = int(one(c, kg("start"))), int(one(c, kg("end")))
        chunks.append(Chunk(ident(c), doc_id, int(one(c, kg("index"))), start, end, texts[doc_id][start:end]))
    chunks.sort(key=lambda c: (c.doc_id, c.index))
    doc_of = {c.id: c.doc_id for c in chunks}
    entities = tuple(
        sorted(
            (
                Entity(
                    ident(e),
                    str(one(e, RDFS.label)),
                    str(one(e, kg("entityType"))),
                    tuple(sorted(str(a) for a in graph.objects(e, SKOS.altLabel))),
                )
                for e in graph.subjects(RDF.type, kg("Entity"))
            ),
            key=lambda e: e.id,
        )
    )
    mentions = [
        (
            int(one(m, kg("order"))),
            Mention(
                ident(one(m, kg("entity"))),
                doc_of[ident(one(m, kg("chunk")))],
                ident(one(m, kg("chunk"))),
                int(one(m, kg("start"))),
                int(one(m, kg("end"))),
                str(one(m, kg("text"))),
            ),
        )
        for m in graph.subjects(RDF.type, kg("Mention"))
    ]
    relations = []
    for s in graph.subjects(RDF.type, RDF.Statement):
        provenance = Provenance(
            ident(one(s, PROV.wasDerivedFrom)),
            ident(one(s, kg("chunk"))),
            int(one(s, kg("start"))),
            int(one(s, kg("end"))),
            str(one(s, kg("extractor"))),
            str(one(s, kg("extractorVersion"))),
            float(one(s, kg("confidence"))),
        )
        predicate = str(one(graph.value(s, RDF.predicate), RDFS.label))
        relation = Relation(ident(one(s, RDF.subject)), predicate, ident(one(s, RDF.object)), provenance)
        relations.append((int(one(s, kg("order"))), relation))
    return GraphView(
        documents,
        tuple(chunks),
        entities,
        tuple(m for _, m in sorted(mentions, key=lambda pair: pair[0])),
        tuple(r for _, r in sorted(relations, key=lambda pair: pair[0])),
    )


# -- GraphML and CSV ----------------------------------------------------------------------------------------------


def _relation_row(view: GraphView, relation: Relation, names: Mapping[str, Entity]) -> dict[str, Any]:
    p = relation.provenance
    doc = view.document(p.doc_id)
    return {
        "subject_id": relation.subject_id,
        "subject": names[relation.subject_id].name,
        "predicate": relation.predicate,
        "object_id": relation.object_id,
        "object": names[relation.object_id].name,
        "doc_id": p.doc_id,
        "title": doc.title,
        "source": doc.source,
        "content_hash": doc.content_hash,
        "chunk_id": p.chunk_id,
        "start": p.start,
        "end": p.end,
        "extractor": p.extractor,
        "extractor_version": p.extractor_version,
        "confidence": p.confidence,
    }


RELATION_FIELDS = (
    "subject_id",
    "subject",
    "predicate",
    "object_id",
    "object",
    "doc_id",
    "title",
    "source",
    "content_hash",
    "chunk_id",
    "start",
    "end",
    "extractor",
    "extractor_version",
    "confidence",
)


def _entity_row(entity: Entity) -> dict[str, Any]:
    return {"id": entity.id, "name": entity.name, "type": entity.type, "aliases": "|".join(entity.aliases)}


def to_networkx(view: GraphView) -> Any:
    """A ``networkx.MultiDiGraph``: a node per entity, an edge per relation record with its provenance."""
    import networkx as nx

    names = {e.id: e for e in view.entities}
    graph = nx.MultiDiGraph()
    for entity in view.entities:
        row = _entity_row(entity)
        graph.add_node(row.pop("id"), **row)
    for relation in view.relations:
        row = _relation_row(view, relation, names)
        graph.add_edge(
            row.pop("subject_id"),
            row.pop("object_id"),
            **{k: v for k, v in row.items() if k not in ("subject", "object")},
        )
    return graph


def _csv(rows: Iterable[dict[str, Any]], fields: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_csv(view: GraphView) -> dict[str, str]:
    names = {e.id: e for e in view.entities}
    return {
        "entities.csv": _csv(map(_entity_row, view.entities), ["id", "name", "type", "aliases"]),
        "relations.csv": _csv(
            (_relation_row(view, r, names) for r in view.relations),
            list(RELATION_FIELDS),
        ),
    }
