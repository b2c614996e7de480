"""kgrag domain suggest: a pack proposed from a corpus. The rules are tested on small inputs without a model;
one slow test proposes a pack for data/lawfirm through the CLI, loads it, and ingests with it."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from extraction.domain import load_domain
from extraction.suggest import _kind_nouns, _shape, _synonyms, _type_patterns
from kg.model import Access
from kg.text import normalise
from kgrag.api import KnowledgeGraph
from kgrag.cli import cli
from kgrag.settings import Settings

LAWFIRM = Path(__file__).resolve().parent.parent / "data" / "lawfirm" / "corpus"


def test_identifier_shapes_keep_letters_and_count_digits() -> None:
    assert _shape("M-1057") == r"^M\-\d{4}$"
    assert _shape("INV-2024-0311") == r"^INV\-\d{4}\-\d{4}$"
    assert re.fullmatch(_shape("HC-2023-0412"), "HC-2019-0001")
    assert not re.fullmatch(_shape("M-1057"), "M-10570")


def test_a_name_is_typed_by_vote_and_a_tie_is_left_to_a_person() -> None:
    votes = {"helena strand": Counter(PERSON=3, ORG=1), "callum reyes": Counter(PERSON=2, ORG=2)}
    forms = {"helena strand": Counter({"Helena Strand": 3, "Helena Strand's": 1}), "callum reyes": Counter(x=4)}
    patterns, typed = _type_patterns(votes, forms, min_count=2)
    assert patterns == [
        {"label": "PERSON", "pattern": "Helena Strand"},
        {"label": "PERSON", "pattern": "Helena Strand's"},
    ]
    assert set(typed) == {"Helena Strand", "x"}  # the tie is in the evidence, not among the patterns


def test_kind_nouns_need_evidence_and_one_type() -> None:
    voted = {"brightwater": "ORG", "halden": "ORG", "lyon": "GPE", "anna": "PERSON"}
    found = [("brightwater", "client"), ("halden", "client"), ("lyon", "client"), ("anna", "client")]
    found += [("brightwater", "company"), ("halden", "company"), ("anna", "partner")]
    nouns, evidence = _kind_nouns(found, voted, min_count=2)
    assert nouns == {}  # "client" introduces organisations only half the time; "company" is already known
    nouns, evidence = _kind_nouns(found[:2] + found[4:], voted, min_count=2)
    assert nouns == {"ORG": ["client"]} and evidence["client"] == {"ORG": 2}


def test_synonyms_map_a_rarer_verb_to_a_close_frequent_one() -> None:
    vectors = {"acquire": [1.0, 0.0], "buy": [0.96, 0.28], "sell": [0.6, 0.8], "acquire_for": [1.0, 0.0]}

    def encode(texts: list[str]) -> np.ndarray:
        return np.array([vectors[t] for t in texts], dtype=np.float32)

    predicates = Counter(acquire=5, buy=2, sell=2, acquire_for=1)
    assert _synonyms(predicates, encode, similarity=0.9) == {"buy": "acquire"}
    assert _synonyms(predicates, encode, similarity=0.99) == {}


def _types_per_name(kg: KnowledgeGraph) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for doc in kg.store.documents(Access.unrestricted()):
        graph = kg.store.document_graph(doc.id)
        assert graph is not None
        for entity in graph.entities:
            found.setdefault(normalise(entity.name), set()).add(entity.type)
    return found


@pytest.mark.slow
def test_a_suggested_pack_loads_and_types_the_corpus_consistently(tmp_path: Path) -> None:
    pack = tmp_path / "lawfirm.json"
    result = CliRunner().invoke(cli, ["domain", "suggest", str(LAWFIRM), "--out", str(pack), "--name", "lawfirm"])
    assert result.exit_code == 0, result.output
    assert "entity patterns" in result.output
    domain = load_domain(pack)
    labels = {p["label"] for p in domain.entity_patterns}
    assert {"MATTER", "INVOICE"} <= labels and "matter" in domain.type_nouns["MATTER"]
    evidence = json.loads(pack.read_text(encoding="utf-8"))["_evidence"]
    assert evidence["identifiers"][r"^M\-\d{4}$"]["values"] >= 5

    typed = {}
    for name, settings in (("plain", Settings()), ("pack", Settings(domain=str(pack)))):
        with KnowledgeGraph.open(tmp_path / f"{name}.db", settings) as kg:
            assert not kg.ingest([LAWFIRM]).failed
            typed[name] = _types_per_name(kg)
    # spaCy types the matter ids as it guesses (ORG, PERSON); without a pack the vote makes every identifier a
    # CONCEPT (a record, not a person), with the pack a matter.
    kinds = {
        name: {t for key, types in found.items() if re.fullmatch(r"m \d{4}", key) for t in types}
        for name, found in typed.items()
    }
    assert kinds == {"plain": {"CONCEPT"}, "pack": {"MATTER"}}, kinds
    invoices = {key: types for key, types in typed["pack"].items() if key.startswith("inv ")}
    assert invoices and all(types == {"INVOICE"} for types in invoices.values()), invoices
