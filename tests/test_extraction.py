"""spaCy extraction (mentions, relation patterns, spans), entity resolution and domain packs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction.domain import load_domain
from extraction.nlp import Extractor, RawMention, paragraphs, unwrap
from extraction.resolve import EntityResolver, normalise
from kg.errors import ConfigError
from kg.model import Entity

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture(scope="module")
def pharma() -> Extractor:
    return Extractor(domain=load_domain(DATA / "domain" / "pharma.json"))


def triples(extractor: Extractor, text: str) -> set[tuple[str, str, str]]:
    [x] = extractor.extract([text])
    return {(x.mentions[t.subject].text, t.predicate, x.mentions[t.object].text) for t in x.triples}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Halvorsen Therapeutics acquired Nordlys Bio in 2019.", ("Halvorsen Therapeutics", "acquire", "Nordlys Bio")),
        ("Veltrazumab was developed by Nordlys Bio.", ("Nordlys Bio", "develop", "Veltrazumab")),
        ("Amara Okafor was born in Lagos.", ("Amara Okafor", "born_in", "Lagos")),
        (
            "Nordlys Bio is a subsidiary of Halvorsen Therapeutics.",
            ("Nordlys Bio", "subsidiary_of", "Halvorsen Therapeutics"),
        ),
        ("Halvorsen's chief executive, Lena Berg, spoke.", ("Lena Berg", "chief_executive_of", "Halvorsen")),
        (
            "Halvorsen Therapeutics acquired Nordlys Bio for $1.2 billion.",
            ("Halvorsen Therapeutics", "acquire_for", "$1.2 billion"),
        ),
        (
            "The European Medicines Agency did not approve Zentoril.",
            ("European Medicines Agency", "not_approve", "Zentoril"),
        ),
        ("Marcus Oyelaran led the discovery of Corvanib.", ("Marcus Oyelaran", "lead_discovery_of", "Corvanib")),
    ],
)
def test_relation_patterns(extractor: Extractor, text: str, expected: tuple[str, str, str]) -> None:
    assert expected in triples(extractor, text)


def test_domain_synonyms_and_patterns(pharma: Extractor) -> None:
    found = triples(pharma, "Halvorsen Therapeutics bought Nordlys Bio. Lena Berg heads HLV-301.")
    assert ("Halvorsen Therapeutics", "acquire", "Nordlys Bio") in found
    [x] = pharma.extract(["Corvanib is tested in CDR-204."])
    assert {(m.text, m.label) for m in x.mentions} >= {("Corvanib", "DRUG"), ("CDR-204", "TRIAL")}


def test_spans_point_into_the_text(extractor: Extractor) -> None:
    text = "The board met.\n\nDr. Amara\nOkafor, the principal investigator of the study, was born in Enugu."
    [x] = extractor.extract([text])
    for m in x.mentions:
        assert text[m.start : m.end] == m.text
    for start, end in x.sentences:
        assert 0 <= start < end <= len(text)
    assert any(m.text == "Amara\nOkafor" for m in x.mentions), "a name wrapped across lines is still one mention"
    assert x.sentences[0] == (0, 16) or text[x.sentences[0][0] : x.sentences[0][1]].strip() == "The board met."


def test_unwrap_keeps_length_and_paragraphs() -> None:
    text = "one\ntwo\n\nthree"
    assert unwrap(text) == "one two\n\nthree" and len(unwrap(text)) == len(text)


def test_paragraphs_keep_their_offsets() -> None:
    text = "Title\n\n  First one.\nStill first.\n \n\nSecond."
    pieces = paragraphs(text)
    assert [piece for _, piece in pieces] == ["Title", "First one.\nStill first.", "Second."]
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)
    assert paragraphs("") == [(0, "")]


def test_a_heading_does_not_run_into_the_paragraph_below(extractor: Extractor) -> None:
    """Read as one text, "Priya Raman" above "Priya Raman is the chief executive ..." splits the second name and
    loses the relation; each paragraph is read on its own."""
    text = "Priya Raman\n\nPriya Raman is the chief executive officer of Arcturus Diagnostics. She joined in 2012."
    [x] = extractor.extract([text])
    assert ("Priya Raman", "chief_executive_officer_of", "Arcturus Diagnostics") in triples(extractor, text)
    assert [m.text for m in x.mentions if m.label == "PERSON"] == ["Priya Raman", "Priya Raman"]
    assert all(text[m.start : m.end] == m.text for m in x.mentions)
    assert all(text[t.start : t.end].startswith(("Priya", "She")) for t in x.triples)


def test_missing_pipeline_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cannot load spaCy pipeline"):
        _ = Extractor("no_such_pipeline_xyz").nlp


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Halvorsen Therapeutics Inc.", "halvorsen therapeutics"),
        ("Dr. Amara Okafor", "amara okafor"),
        ("Halvorsen's", "halvorsen"),
        ("The European Medicines Agency", "european medicines agency"),
        ("Nordlys Bio AS", "nordlys bio"),
        ("$1.2 billion", "$1 2 billion"),
    ],
)
def test_normalise(name: str, key: str) -> None:
    assert normalise(name) == key


def mention(text: str, label: str, at: int = 0) -> RawMention:
    return RawMention(text, label, at, at + len(text))


def test_resolver_merges_variants_within_a_document() -> None:
    resolver = EntityResolver()
    entities = resolver.resolve(
        "d1",
        [
            mention("Halvorsen Therapeutics Inc.", "ORG"),
            mention("Halvorsen", "ORG"),
            mention("Dr. Amara Okafor", "PERSON"),
            mention("Okafor", "PERSON"),
            mention("European Medicines Agency", "ORG"),
            mention("EMA", "ORG"),
            mention("Halvorsen Therapeutics", "PERSON"),
        ],
    )
    ids = [e.id for e in entities]
    assert ids[0] == ids[1] == ids[6]
    assert ids[2] == ids[3] and ids[4] == ids[5]
    assert entities[2].name == "Amara Okafor"
    assert set(entities[0].aliases) == {"Halvorsen Therapeutics Inc.", "Halvorsen", "Halvorsen Therapeutics"}


def test_resolver_uses_known_entities_and_fuzzy_names() -> None:
    known = Entity("e-okafor", "Amara Okafor", "PERSON", ("Amara Okafor",))
    resolver = EntityResolver(known=[known])
    [a, b, c] = resolver.resolve(
        "d2", [mention("Amara Okafer", "PERSON"), mention("EMA", "ORG"), mention("Amara Okafor", "GPE")]
    )
    assert a.id == "e-okafor" and c.id == "e-okafor"
    assert b.id != "e-okafor"


def test_resolver_ids_are_deterministic_and_literals_not_fuzzy() -> None:
    first = EntityResolver().resolve("d", [mention("March 2022", "DATE"), mention("Nordlys Bio", "ORG")])
    second = EntityResolver().resolve("d", [mention("March 2022", "DATE"), mention("Nordlys Bio", "ORG")])
    assert [e.id for e in first] == [e.id for e in second]
    [may] = EntityResolver(known=[first[0]]).resolve("d", [mention("May 2022", "DATE")])
    assert may.id != first[0].id


def test_unknown_label_adopts_a_known_type() -> None:
    resolver = EntityResolver(known=[Entity("e1", "Corvanib", "DRUG", ("Corvanib",))])
    [known, new] = resolver.resolve("d", [mention("Corvanib", "UNKNOWN"), mention("Phase II", "UNKNOWN")])
    assert known.id == "e1" and new.type == "CONCEPT"


def test_domain_pack_and_ontology() -> None:
    pack = load_domain(DATA / "domain" / "pharma.json")
    assert pack.canonical_predicate("buy") == "acquire"
    assert pack.ontology is not None and pack.ontology.is_a("Regulator", "Organization")
    assert pack.plausibility("born_in", "PERSON", "GPE") == 1.0
    assert pack.plausibility("born_in", "DRUG", "GPE") == 0.5


def test_domain_pack_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.json: invalid JSON"):
        load_domain(bad)
    wrong_type = tmp_path / "types.json"
    (tmp_path / "o.ttl").write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n<urn:A> a rdfs:Class .\n", encoding="utf-8"
    )
    wrong_type.write_text(json.dumps({"name": "x", "types": {"DRUG": "Medicine"}, "ontology": "o.ttl"}), "utf-8")
    with pytest.raises(ConfigError, match="Medicine"):
        load_domain(wrong_type)
    with pytest.raises(ConfigError, match="entity_patterns"):
        (tmp_path / "p.json").write_text(json.dumps({"name": "x", "entity_patterns": [{"pattern": "x"}]}), "utf-8")
        load_domain(tmp_path / "p.json")
