"""The evidence picture: a query's linked entities, the paths from them through bridge entities, and the passages they
lead to, labelled with predicates and citation marks, drawn by Graphviz (``dot``) as SVG, PNG or a standalone HTML
page (the SVG inline, no script, nothing fetched).

Citation marks are the passages' ranks as ``kgrag query`` prints them (``[1]``); a relation read from a sentence
outside the cited passages is marked with its document and span instead. Unverified citations are drawn in red.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass
from typing import Any, Literal, get_args

from kg.errors import ConfigError, InvalidArgument
from retrieval.result import Passage, RetrievalResult, TripleEvidence

PictureFormat = Literal["svg", "html", "png"]
PICTURE_FORMATS: tuple[str, ...] = get_args(PictureFormat)
MEDIA_TYPES: dict[str, str] = {"svg": "image/svg+xml", "html": "text/html", "png": "image/png"}
QUESTION = "question"
LINKED, BRIDGE, ENTITY, PASSAGE, UNVERIFIED = "#cfe2ff", "#ffd59e", "#f2f2f2", "#e8f5e9", "#d32f2f"
TITLE_CHARS = 48
QUESTION_WIDTH = 40


@dataclass(frozen=True)
class _Node:
    id: str
    label: str
    kind: Literal["question", "linked", "bridge", "entity", "passage"]


def picture_format(name: str) -> PictureFormat:
    """The format a file name asks for by its suffix (``evidence.svg``), or a format's own name."""
    fmt = name.rsplit(".", 1)[-1].lower()
    if fmt not in PICTURE_FORMATS:
        raise InvalidArgument(f"draw the evidence as {', '.join('.' + f for f in PICTURE_FORMATS)}, not {name!r}")
    return fmt  # type: ignore[return-value]


def draw_evidence(result: RetrievalResult, fmt: PictureFormat = "svg") -> bytes:
    """The picture of ``result`` as ``svg``, ``png`` or ``html``; ``ConfigError`` when Graphviz is not installed."""
    import graphviz

    graph = evidence_graph(result)
    try:
        if fmt == "png":
            return graph.pipe(format="png")
        svg = graph.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound as e:
        raise ConfigError("drawing the evidence needs Graphviz's dot: install it (apt-get install graphviz)") from e
    return (_page(result, svg) if fmt == "html" else svg).encode("utf-8")


def evidence_graph(result: RetrievalResult) -> Any:
    """The ``graphviz.Digraph`` (typed ``Any``: graphviz loads only when a picture is asked for)."""
    import graphviz

    marks = {p.chunk_id: rank for rank, p in enumerate(result.passages, start=1)}
    dot = graphviz.Digraph("evidence", graph_attr={"rankdir": "LR", "fontname": "Helvetica", "bgcolor": "white"})
    dot.attr("node", fontname="Helvetica", fontsize="11", style="filled")
    dot.attr("edge", fontname="Helvetica", fontsize="10")
    nodes = _nodes(result)
    for node in nodes.values():
        _add_node(dot, node, result)
    drawn: set[tuple[str, str, str, str, int]] = set()
    for e in result.linked_entities:
        dot.edge(QUESTION, e.entity_id, label=f"{e.how}: {e.phrase}", style="dotted", color="#5b7bb2")
    leads: set[tuple[str, str]] = set()
    for path in result.paths:
        for t in path.triples:
            _add_triple(dot, t, marks, drawn, bold=True)
        end = _path_end(path.entities[-1], path.triples)
        if path.chunk_id in marks and end is not None and (end, path.chunk_id) not in leads:
            leads.add((end, path.chunk_id))
            dot.edge(end, f"passage_{path.chunk_id}", label=f"leads to [{marks[path.chunk_id]}]", style="dashed")
    for t in result.triples:
        if t.subject_id in nodes and t.object_id in nodes:
            _add_triple(dot, t, marks, drawn, bold=False)
    return dot


def _nodes(result: RetrievalResult) -> dict[str, _Node]:
    """Every node once: the question, linked entities, the entities on paths (inner ones are bridges), the passages;
    triples outside paths add no nodes, only edges between drawn entities."""
    nodes: dict[str, _Node] = {QUESTION: _Node(QUESTION, result.question, "question")}
    for e in result.linked_entities:
        nodes.setdefault(e.entity_id, _Node(e.entity_id, f"{e.name}\n{e.type}", "linked"))
    for path in result.paths:
        inner = {_path_end(name, path.triples) for name in path.entities[1:-1]}
        for t in path.triples:
            for entity_id, name in ((t.subject_id, t.subject), (t.object_id, t.object)):
                kind = "bridge" if entity_id in inner else "entity"
                if entity_id not in nodes or (kind == "bridge" and nodes[entity_id].kind == "entity"):
                    nodes[entity_id] = _Node(entity_id, name, kind)
    for rank, p in enumerate(result.passages, start=1):
        nodes[f"passage_{p.chunk_id}"] = _Node(f"passage_{p.chunk_id}", _passage_label(rank, p), "passage")
    return nodes


def _path_end(name: str, triples: tuple[TripleEvidence, ...]) -> str | None:
    """The id of the entity a path names ``name`` (paths list names; their triples carry the ids)."""
    for t in triples:
        if t.subject == name:
            return t.subject_id
        if t.object == name:
            return t.object_id
    return None


def _passage_label(rank: int, p: Passage) -> str:
    title = p.title if len(p.title) <= TITLE_CHARS else p.title[: TITLE_CHARS - 1] + "…"
    flag = "" if p.verified else "\nUNVERIFIED"
    return f"[{rank}] {title}\nchars {p.start}-{p.end} · sha256 {p.content_hash[:12]}{flag}"


def _add_node(dot: Any, node: _Node, result: RetrievalResult) -> None:
    if node.kind == "question":
        label = "\n".join(textwrap.wrap(f"Q: {node.label}", QUESTION_WIDTH))
        if result.status != "answered":
            label += "\n(insufficient evidence)"
        dot.node(node.id, label, shape="box", style="rounded,filled", fillcolor="white", penwidth="1.5")
    elif node.kind == "passage":
        unverified = "UNVERIFIED" in node.label
        dot.node(
            node.id,
            node.label,
            shape="note",
            fillcolor=PASSAGE,
            color=UNVERIFIED if unverified else "#2e7d32",
            fontcolor=UNVERIFIED if unverified else "black",
        )
    else:
        fill = {"linked": LINKED, "bridge": BRIDGE}.get(node.kind, ENTITY)
        label = f"{node.label}\n(bridge)" if node.kind == "bridge" else node.label
        dot.node(node.id, label, shape="ellipse", fillcolor=fill, tooltip=node.kind)


def _add_triple(
    dot: Any, t: TripleEvidence, marks: dict[str, int], drawn: set[tuple[str, str, str, str, int]], bold: bool
) -> None:
    key = (t.subject_id, t.predicate, t.object_id, t.doc_id, t.start)
    if key in drawn:
        return
    drawn.add(key)
    mark = f"[{marks[t.chunk_id]}]" if t.chunk_id in marks else f"{t.doc_id[:8]}… {t.start}-{t.end}"
    label = f"{t.predicate} {mark}" + ("" if t.verified else " UNVERIFIED")
    dot.edge(
        t.subject_id,
        t.object_id,
        label=label,
        penwidth="2" if bold else "1",
        color=UNVERIFIED if not t.verified else ("#333333" if bold else "#999999"),
        fontcolor=UNVERIFIED if not t.verified else "black",
    )


def _page(result: RetrievalResult, svg: str) -> str:
    """A standalone page: the picture, then the cited passages it marks."""
    items = "\n".join(
        f"<li id='passage-{rank}'><b>[{rank}] {html.escape(p.title)}</b> <code>{html.escape(p.doc_id)} "
        f"{p.start}-{p.end} sha256 {p.content_hash[:12]}</code>{'' if p.verified else ' <b>UNVERIFIED</b>'}"
        f"<br>{html.escape(' '.join(p.text.split()))}</li>"
        for rank, p in enumerate(result.passages, start=1)
    )
    svg_body = svg[svg.index("<svg") :]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Evidence: {html.escape(result.question)}</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;margin:1.5em}} li{{margin:.6em 0}} code{{color:#555}}</style>
</head><body>
<h1>{html.escape(result.question)}</h1>
<p>{html.escape(result.status.replace("_", " "))}, confidence {result.confidence:.2f}</p>
<figure>{svg_body}</figure>
<ol>{items}</ol>
</body></html>
"""
