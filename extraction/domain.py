"""Domain packs: a field's own entity patterns, predicate vocabulary and ontology, in one JSON file.

``types`` maps extractor labels to ontology classes; the ontology's property domains and ranges then tell
which extracted relations are plausible, so a relation whose subject or object type contradicts them keeps
its evidence but with lower confidence.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import ConfigError


@dataclass(frozen=True)
class Ontology:
    """The parts of an RDFS ontology kgrag uses: the class and property hierarchies and property domains/ranges."""

    classes: frozenset[str]
    parents: Mapping[str, frozenset[str]]
    domains: Mapping[str, str] = field(default_factory=dict)
    ranges: Mapping[str, str] = field(default_factory=dict)
    # rdfs:subPropertyOf: a chief executive officer of a company also leads it.
    super_properties: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def is_a(self, cls: str, ancestor: str) -> bool:
        return cls == ancestor or ancestor in _ancestors(cls, self.parents)

    def broader(self) -> dict[str, frozenset[str]]:
        """Each property with a super-property, and all of its super-properties."""
        return {p: _ancestors(p, self.super_properties) for p in self.super_properties}


def _ancestors(start: str, parents: Mapping[str, frozenset[str]]) -> frozenset[str]:
    seen: set[str] = set()
    todo = list(parents.get(start, ()))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(parents.get(current, ()))
    return frozenset(seen - {start})


@dataclass(frozen=True)
class DomainPack:
    name: str
    entity_patterns: tuple[dict[str, Any], ...] = ()
    predicates: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    ontology: Ontology | None = None
    # Common nouns that name an entity of a label ("trial" for a TRIAL), so "the trial" can refer back to one.
    type_nouns: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # SHA-256 of the pack and its ontology: documents extracted under another pack are extracted again.
    digest: str = ""

    def canonical_predicate(self, predicate: str) -> str:
        return self.predicates.get(predicate, predicate)

    @property
    def broader_predicates(self) -> dict[str, frozenset[str]]:
        """The ontology's super-properties of each predicate, so a question that asks who "runs" a company (``lead``)
        is answered by ``chief_executive_officer_of``."""
        return self.ontology.broader() if self.ontology else {}

    def specialises(self, labels: Iterable[str]) -> dict[str, str]:
        """Each label whose ontology class is a subclass of one of ``labels``' classes, and that label: a
        REGULATOR (Regulator) is an ORG (Organization)."""
        if self.ontology is None:
            return {}
        ontology = self.ontology
        general = {label: self.types[label] for label in labels if label in self.types}
        return {
            label: base
            for label, cls in sorted(self.types.items())
            if label not in general
            for base, base_cls in sorted(general.items())
            if ontology.is_a(cls, base_cls)
        }

    def plausibility(self, predicate: str, subject_label: str, object_label: str) -> float:
        """1.0 unless the ontology says this predicate's subject or object must be of another class."""
        if self.ontology is None:
            return 1.0
        factor = 1.0
        for label, expected in (
            (subject_label, self.ontology.domains.get(predicate)),
            (object_label, self.ontology.ranges.get(predicate)),
        ):
            cls = self.types.get(label)
            if expected and cls and not self.ontology.is_a(cls, expected):
                factor *= 0.5
        return factor


def load_domain(path: str | Path) -> DomainPack:
    """Read a domain pack; every problem is a ``ConfigError`` naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read domain pack: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: invalid JSON at line {e.lineno}: {e.msg}") from e
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ConfigError(f"{path}: a domain pack is a JSON object with a 'name'")
    patterns = data.get("entity_patterns", [])
    if not isinstance(patterns, list) or not all(
        isinstance(p, dict) and isinstance(p.get("label"), str) and "pattern" in p for p in patterns
    ):
        raise ConfigError(f"{path}: 'entity_patterns' must be a list of {{'label': ..., 'pattern': ...}} objects")
    predicates = data.get("predicates", {})
    types = data.get("types", {})
    for key, value in (("predicates", predicates), ("types", types)):
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ConfigError(f"{path}: {key!r} must map strings to strings")
    type_nouns = data.get("type_nouns", {})
    if not isinstance(type_nouns, dict) or not all(
        isinstance(v, list) and all(isinstance(n, str) for n in v) for v in type_nouns.values()
    ):
        raise ConfigError(f"{path}: 'type_nouns' must map labels to lists of nouns")
    ontology = None
    digest = hashlib.sha256(path.read_bytes())
    if data.get("ontology"):
        ontology = load_ontology(path.parent / data["ontology"])
        digest.update((path.parent / data["ontology"]).read_bytes())
        unknown = sorted(set(types.values()) - ontology.classes)
        if unknown:
            raise ConfigError(f"{path}: 'types' names classes the ontology lacks: {', '.join(unknown)}")
    return DomainPack(
        name=data["name"],
        entity_patterns=tuple(patterns),
        predicates={_key(k): _key(v) for k, v in predicates.items()},
        types=dict(types),
        ontology=ontology,
        type_nouns={label: frozenset(n.lower() for n in nouns) for label, nouns in type_nouns.items()},
        digest=digest.hexdigest(),
    )


def load_ontology(path: Path) -> Ontology:
    from rdflib import OWL, RDF, RDFS, Graph
    from rdflib.namespace import split_uri

    graph = Graph()
    try:
        graph.parse(path)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: ontology file not found") from e
    except Exception as e:  # rdflib raises parser-specific types
        raise ConfigError(f"{path}: invalid ontology: {e}") from e

    def local(node: Any) -> str:
        try:
            return split_uri(str(node))[1]
        except ValueError:
            return str(node)

    classes = {local(c) for t in (RDFS.Class, OWL.Class) for c in graph.subjects(RDF.type, t)}
    parents: dict[str, set[str]] = {}
    for child, parent in graph.subject_objects(RDFS.subClassOf):
        parents.setdefault(local(child), set()).add(local(parent))
        classes.update((local(child), local(parent)))
    domains = {_key(local(p)): local(c) for p, c in graph.subject_objects(RDFS.domain)}
    ranges = {_key(local(p)): local(c) for p, c in graph.subject_objects(RDFS.range)}
    super_properties: dict[str, set[str]] = {}
    for child, parent in graph.subject_objects(RDFS.subPropertyOf):
        super_properties.setdefault(_key(local(child)), set()).add(_key(local(parent)))
    return Ontology(
        frozenset(classes),
        {k: frozenset(v) for k, v in parents.items()},
        domains,
        ranges,
        {k: frozenset(v) for k, v in super_properties.items()},
    )


def _key(text: str) -> str:
    return "_".join(text.lower().split())
