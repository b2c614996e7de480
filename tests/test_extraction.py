"""spaCy extraction (mentions, relation patterns, spans), entity resolution and domain packs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction.domain import load_domain
from extraction.nlp import Extractor, RawMention, paragraphs, unwrap
from extraction.relations import CONFIDENCE
from extraction.resolve import EntityResolver
from kg.errors import ConfigError
from kg.model import Entity
from kg.text import normalise

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


def confident(extractor: Extractor, text: str) -> dict[tuple[str, str, str], float]:
    [x] = extractor.extract([text])
    return {(x.mentions[t.subject].text, t.predicate, x.mentions[t.object].text): t.confidence for t in x.triples}


def test_pronouns_and_definite_descriptions_refer_back(extractor: Extractor) -> None:
    text = "Priya Raman is the chief executive officer of Arcturus Diagnostics. She co-founded the company in 2012."
    found = confident(extractor, text)
    assert ("Priya Raman", "found", "Arcturus Diagnostics") in found
    # Through the discourse, a fact is a little less certain than one the sentence states with names.
    assert found[("Priya Raman", "found", "Arcturus Diagnostics")] < CONFIDENCE["svo"]
    assert found[("Priya Raman", "chief_executive_officer_of", "Arcturus Diagnostics")] == CONFIDENCE["copula"]


def test_a_copula_names_what_a_description_refers_to(pharma: Extractor) -> None:
    """ "KST-110 is a trial" makes "trial" KST-110, in its own relative clause and in later sentences."""
    text = (
        "KST-110 is a Phase II trial that tests Lumiprine.\n\n"
        "Dr. Rafael Quintero leads the trial as principal investigator."
    )
    found = triples(pharma, text)
    assert ("KST-110", "test", "Lumiprine") in found
    assert ("Rafael Quintero", "lead", "KST-110") in found


def test_a_compound_names_what_a_description_refers_to(pharma: Extractor) -> None:
    text = "Siobhan Keane heads the Limerick plant. The plant manufactures Veltrazumab."
    assert ("Limerick", "manufacture", "Veltrazumab") in triples(pharma, text)


def test_a_nationality_is_not_what_its_noun_names(extractor: Extractor) -> None:
    found = triples(extractor, "Kaalapani is a 1996 Indian film. The film was produced by Mohanlal.")
    assert not any(s in ("Indian", "1996") or o in ("Indian", "1996") for s, _, o in found if _ == "produce")


@pytest.mark.parametrize(
    "text",
    [
        # A person merely mentioned is not who "she" is: the sentence's subject is.
        "Lena Berg hired Tom Price in 2019. She founded Nordlys Bio in 2001.",
        # "It" too often refers to no entity, and a modified or plural noun to something else.
        "Lena Berg joined Nordlys Bio in 2001. It acquired Calder Pharmaceuticals in 2019.",
        "Nordlys Bio hired Lena Berg. The two companies acquired Calder Pharmaceuticals.",
        "Nordlys Bio hired Lena Berg. The first company acquired Calder Pharmaceuticals.",
    ],
)
def test_what_the_discourse_does_not_resolve(extractor: Extractor, text: str) -> None:
    found = triples(extractor, text)
    assert ("Tom Price", "found", "Nordlys Bio") not in found
    assert not any(o == "Calder Pharmaceuticals" and p == "acquire" for _, p, o in found)


def test_records_are_read_for_names_only(pharma: Extractor) -> None:
    """A record line ("trial: KST-110; drug: Lumiprine") is facts the loader has read; parsed as prose it would
    make "trial" and "drug" mean whichever name came last."""
    record = "title: KST-110 summary; trial: KST-110; drug: Lumiprine\n"
    text = record + "KST-110 is a trial of Lumiprine. Halvorsen Therapeutics terminated the trial."
    [x] = pharma.extract([text], records=[[(0, len(record) - 1)]])
    found = {(x.mentions[t.subject].text, t.predicate, x.mentions[t.object].text) for t in x.triples}
    assert ("Halvorsen Therapeutics", "terminate", "KST-110") in found
    assert all(t.start >= len(record) for t in x.triples)
    assert {"KST-110", "Lumiprine"} <= {m.text for m in x.mentions if m.end <= len(record)}


def test_a_record_is_read_once_however_many_facts_share_it(pharma: Extractor) -> None:
    """Every fact of a row gives the row's span; the row is still parsed once."""
    text = "trial: KST-110; drug: Lumiprine; phase: Phase II\nLumiprine is a drug."
    row = (0, text.index("\n"))
    [x] = pharma.extract([text], records=[[row, row, row]])
    assert [m.text for m in x.mentions if m.end <= row[1]].count("Lumiprine") == 1


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


def test_a_domain_label_for_a_kind_of_organisation_resolves_as_one() -> None:
    """A regulator is an organisation: its names are matched fuzzily, and it keeps the id it had as an ORG."""
    name, variant = (
        "Medicines and Healthcare products Regulatory Agency",
        "Medicines and Healthcare Products Regulatry Agency",
    )
    as_org = EntityResolver().resolve("d1", [mention(name, "ORG")])[0]
    for specialises, merged in (({}, False), ({"REGULATOR": "ORG"}, True)):
        resolver = EntityResolver(specialises=specialises)
        [regulator] = resolver.resolve("d1", [mention(name, "REGULATOR")])
        [later] = resolver.resolve("d2", [mention(variant, "ORG")])
        assert regulator.type == "REGULATOR"
        assert (later.id == regulator.id) is merged and (regulator.id == as_org.id) is merged
    pack = load_domain(DATA / "domain" / "pharma.json")
    assert pack.specialises(["ORG", "PERSON", "GPE"]) == {"REGULATOR": "ORG"}


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
    # A regulator approves medical products, tests as well as drugs.
    assert pack.plausibility("approve", "REGULATOR", "DIAGNOSTIC") == 1.0
    assert pack.plausibility("approve", "REGULATOR", "PERSON") == 0.5
    assert "study" in pack.type_nouns["TRIAL"]
    assert pack.broader_predicates == {"chief_executive_officer_of": {"lead"}}


def test_super_properties_are_transitive(tmp_path: Path) -> None:
    (tmp_path / "o.ttl").write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n@prefix : <urn:x#> .\n"
        ":chief_executive_officer_of rdfs:subPropertyOf :executive_of .\n:executive_of rdfs:subPropertyOf :lead .\n",
        encoding="utf-8",
    )
    (tmp_path / "d.json").write_text(json.dumps({"name": "x", "ontology": "o.ttl"}), "utf-8")
    broader = load_domain(tmp_path / "d.json").broader_predicates
    assert broader == {"chief_executive_officer_of": {"executive_of", "lead"}, "executive_of": {"lead"}}


def test_a_domain_names_its_types(pharma: Extractor, extractor: Extractor) -> None:
    """With the pharma pack, "the study" is a trial; without it, nothing says so."""
    text = "HLV-301 enrolled 900 patients. Amara Okafor led the study."
    assert ("Amara Okafor", "lead", "HLV-301") in triples(pharma, text)
    assert "company" in extractor.type_nouns["ORG"] and "TRIAL" not in extractor.type_nouns


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
    (tmp_path / "n.json").write_text(json.dumps({"name": "x", "type_nouns": {"TRIAL": "trial"}}), "utf-8")
    with pytest.raises(ConfigError, match=r"n\.json: 'type_nouns'"):
        load_domain(tmp_path / "n.json")
    with pytest.raises(ConfigError, match="entity_patterns"):
        (tmp_path / "p.json").write_text(json.dumps({"name": "x", "entity_patterns": [{"pattern": "x"}]}), "utf-8")
        load_domain(tmp_path / "p.json")
