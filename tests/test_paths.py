"""Asked paths: relation chains from the question's entities that follow the question's own words."""

from __future__ import annotations

import pytest

from kg.model import Document, Entity, Mention, Provenance, Relation, Subgraph
from retrieval.config import PathSettings, ResultSettings
from retrieval.evidence import find_paths
from retrieval.paths import AskedPath, asked_paths, most_asked, reading_order
from retrieval.predicates import PredicateReader, predicate_words, same_stem

LITERALS = frozenset({"DATE", "MONEY"})
ENTITIES = {
    e.id: e
    for e in (
        Entity("hbi", "Halvorsen Biologics Ireland", "ORG"),
        Entity("ht", "Halvorsen Therapeutics", "ORG"),
        Entity("cfo", "Daniel Achterberg", "PERSON"),
        Entity("ceo", "Lena Berg", "PERSON"),
        Entity("nb", "Nordlys Bio", "ORG"),
        Entity("y2019", "2019", "DATE"),
        Entity("other", "Calder Pharmaceuticals", "ORG"),
    )
}


def _relation(subject: str, predicate: str, obj: str, chunk: str) -> Relation:
    return Relation(subject, predicate, obj, Provenance("doc-" + chunk, chunk, 0, 10, "test", "1"))


SUBGRAPH = Subgraph(
    ENTITIES,
    (
        _relation("hbi", "parent", "ht", "c-subsidiaries"),
        _relation("cfo", "chief_financial_officer_of", "ht", "c-annual-report"),
        _relation("ceo", "chief_executive_officer_of", "ht", "c-ceo"),
        _relation("ht", "acquire", "nb", "c-press"),
        _relation("ht", "acquire_in", "y2019", "c-press"),
        _relation("other", "parent", "y2019", "c-other"),
    ),
    (),
)


def _terms(*words: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(w.split("/")) for w in words)


QUESTION = _terms("chief", "financial", "officer", "parent", "company")


def test_every_hop_names_a_word_of_the_question() -> None:
    [best, *rest] = asked_paths(SUBGRAPH, {"hbi": 1.0}, PredicateReader(QUESTION), LITERALS, max_hops=3, beam=10)
    assert [e.id for e in best.entities] == ["hbi", "ht", "cfo"]
    assert [r.provenance.chunk_id for r in best.relations] == ["c-subsidiaries", "c-annual-report"]
    assert best.covered == {0, 1, 2, 3}
    # The chief executive names fewer of the question's words; the acquisition names none and is not walked.
    assert [e.id for e in rest[0].entities] == ["hbi", "ht", "ceo"]
    assert rest[0].score < best.score
    assert all("nb" not in {e.id for e in p.entities} for p in rest)


def test_a_term_counts_once_along_a_path() -> None:
    """A second hop named by the same word is no progress: "parent" does not lead from one parent to another."""
    subgraph = Subgraph(
        ENTITIES,
        (_relation("hbi", "parent", "ht", "c1"), _relation("ht", "parent", "nb", "c2")),
        (),
    )
    paths = asked_paths(subgraph, {"hbi": 1.0}, PredicateReader(_terms("parent")), LITERALS, max_hops=3, beam=10)
    assert [[e.id for e in p.entities] for p in paths] == [["hbi", "ht"]]


def test_values_end_paths_and_do_not_start_them() -> None:
    """A date joins facts that share nothing else: the 2019 acquisition does not lead to another 2019 fact."""
    terms = _terms("acquire/acquired", "parent")
    paths = asked_paths(SUBGRAPH, {"ht": 1.0, "y2019": 1.0}, PredicateReader(terms), LITERALS, max_hops=3, beam=10)
    walked = [[e.id for e in p.entities] for p in paths]
    assert ["ht", "y2019"] in walked
    assert all(p[0] != "y2019" for p in walked)
    assert ["ht", "y2019", "other"] not in walked


def test_entity_types_and_word_forms_name_hops() -> None:
    """A PERSON is named by its type ("which person"); ``born_in`` by "born", though its lemma is "bear"."""
    subgraph = Subgraph(
        {**ENTITIES, "town": Entity("town", "Tromsø", "GPE")},
        (_relation("cfo", "work_at", "nb", "c1"), _relation("cfo", "born_in", "town", "c2")),
        (),
    )
    terms = _terms("person", "bear/born")
    [best, *_] = asked_paths(subgraph, {"nb": 1.0}, PredicateReader(terms), LITERALS, max_hops=2, beam=5)
    assert [e.id for e in best.entities] == ["nb", "cfo", "town"]


def test_things_that_share_a_value_are_not_a_chain() -> None:
    """Two trials of the same phase meet at "Phase III" by one predicate in one role: siblings, not a path."""
    subgraph = Subgraph(
        {
            **ENTITIES,
            "phase": Entity("phase", "Phase III", "UNKNOWN"),
            "t1": Entity("t1", "HLV-301", "TRIAL"),
            "t2": Entity("t2", "HLV-412", "TRIAL"),
        },
        (_relation("t1", "phase", "phase", "c1"), _relation("t2", "phase", "phase", "c2")),
        (),
    )
    paths = asked_paths(subgraph, {"t1": 1.0}, PredicateReader(_terms("phase", "trial")), LITERALS, max_hops=3, beam=10)
    assert [[e.id for e in p.entities] for p in paths] == [["t1", "phase"]]


def test_the_words_naming_a_seed_are_not_hops_it_asks_for() -> None:
    """In "the Phase III trial", "phase" is how the question names the seed Phase III; a ``phase`` hop from it
    answers nothing the question asks."""
    subgraph = Subgraph(
        {**ENTITIES, "phase": Entity("phase", "Phase III", "UNKNOWN"), "t1": Entity("t1", "HLV-301", "TRIAL")},
        (_relation("t1", "phase", "phase", "c1"),),
        (),
    )
    terms = _terms("phase", "iii", "led")
    assert asked_paths(subgraph, {"phase": 1.0}, PredicateReader(terms), LITERALS, max_hops=2, beam=5) == []


def test_type_nouns_name_the_kind_of_entity_reached() -> None:
    """ "Which company acquired Nordlys Bio?": with "company" a noun for ORG, the acquirer is reached by a hop that
    names two question words, not one."""
    terms = _terms("company", "acquire/acquired")
    [plain, *_] = asked_paths(SUBGRAPH, {"nb": 1.0}, PredicateReader(terms), LITERALS, max_hops=1, beam=5)
    [typed, *_] = asked_paths(
        SUBGRAPH, {"nb": 1.0}, PredicateReader(terms, type_nouns={"ORG": frozenset({"company"})}), LITERALS, 1, 5
    )
    assert [e.id for e in typed.entities] == [e.id for e in plain.entities] == ["nb", "ht"]
    assert plain.covered == {1} and typed.covered == {0, 1}


def test_super_properties_name_hops() -> None:
    """ "Who runs Halvorsen Therapeutics?": the domain says "run" is ``lead``, and its ontology that a chief
    executive officer leads; without the ontology no word of the question names that hop."""
    terms = _terms("run/lead")
    broader = {"chief_executive_officer_of": frozenset({"lead"})}
    assert asked_paths(SUBGRAPH, {"ht": 1.0}, PredicateReader(terms), LITERALS, max_hops=2, beam=5) == []
    [path] = asked_paths(SUBGRAPH, {"ht": 1.0}, PredicateReader(terms, broader), LITERALS, 2, 5)
    assert [e.id for e in path.entities] == ["ht", "ceo"] and path.covered == {0}
    assert predicate_words("chief_executive_officer_of", broader) == {"chief", "executive", "officer", "lead"}


def test_the_most_asked_paths_are_the_shortest_full_readings() -> None:
    """Of paths naming as many words, a longer one took a detour to collect them; partial readings are dropped."""

    def path(hops: int, covered: set[int]) -> AskedPath:
        entities = tuple(ENTITIES[e] for e in ("hbi", "ht", "cfo", "ceo")[: hops + 1])
        relations = SUBGRAPH.relations[:hops]
        return AskedPath(entities, relations, frozenset(covered), float(len(covered)))

    direct, detour, partial = path(2, {0, 1, 2}), path(3, {0, 1, 3}), path(1, {0})
    assert most_asked([partial, detour, direct]) == [direct]
    assert most_asked([partial, detour]) == [detour]
    assert most_asked([]) == []


def test_a_name_reached_that_holds_a_question_word_tells_equal_readings_apart() -> None:
    """ "Which European regulator approved the drug developed by the company Halvorsen acquired?": both regulators
    are reached by hops that name as many words; the European Medicines Agency's name holds one more, while the
    other chain sorts first by id alone. A name's echo is no reason to follow a hop: "sponsor" is no question word."""
    subgraph = Subgraph(
        {
            "ht": ENTITIES["ht"],
            "a-nb": Entity("a-nb", "Calder Pharmaceuticals", "ORG"),
            "a-drug": Entity("a-drug", "Corvanib", "DRUG"),
            "a-reg": Entity("a-reg", "Food and Drug Administration", "REGULATOR"),
            "b-nb": Entity("b-nb", "Nordlys Bio", "ORG"),
            "b-drug": Entity("b-drug", "Veltrazumab", "DRUG"),
            "b-reg": Entity("b-reg", "European Medicines Agency", "REGULATOR"),
            "network": Entity("network", "European Oncology Network", "ORG"),
        },
        (
            *(
                relation
                for side in ("a", "b")
                for relation in (
                    _relation("ht", "acquire", f"{side}-nb", f"{side}1"),
                    _relation(f"{side}-nb", "develop", f"{side}-drug", f"{side}2"),
                    _relation(f"{side}-reg", "approve", f"{side}-drug", f"{side}3"),
                )
            ),
            _relation("ht", "sponsor", "network", "n1"),
        ),
        (),
    )
    terms = _terms("european", "regulator", "approved/approve", "drug", "developed/develop", "acquired/acquire")
    paths = asked_paths(subgraph, {"ht": 1.0}, PredicateReader(terms), LITERALS, max_hops=3, beam=10)
    [best, other] = [p for p in paths if len(p.relations) == 3]
    assert [e.id for e in best.entities] == ["ht", "b-nb", "b-drug", "b-reg"]
    assert [e.id for e in other.entities] == ["ht", "a-nb", "a-drug", "a-reg"]
    assert best.covered == other.covered == {1, 2, 3, 4, 5}
    assert best.echoed == {0} and other.echoed == frozenset()
    assert all("network" not in {e.id for e in p.entities} for p in paths)


def test_a_result_shows_the_shortest_full_readings_first() -> None:
    """A detour can score higher than the reading it strays from (its names echo one more word), but the path
    shown first is the one that ranks the passages."""
    reading = AskedPath(
        tuple(ENTITIES[e] for e in ("hbi", "ht", "cfo")), SUBGRAPH.relations[:2], frozenset({0, 1}), 2.0
    )
    detour = AskedPath(
        tuple(ENTITIES[e] for e in ("hbi", "ht", "nb", "y2019")),
        SUBGRAPH.relations[:3],
        frozenset({0, 1}),
        2.5,
        frozenset({2}),
    )
    partial = AskedPath(reading.entities[:2], reading.relations[:1], frozenset({0}), 1.0)
    assert reading_order([detour, reading, partial]) == [reading, detour, partial]


@pytest.mark.parametrize(
    ("word", "part", "same"),
    [
        ("founder", "found", True),
        ("directed", "direct", True),
        ("approved", "approval", True),
        ("parents", "parent", True),
        ("countess", "count", False),
        ("grandfather", "grand", False),
        ("companion", "company", False),
        ("in", "inn", False),
    ],
)
def test_word_forms(word: str, part: str, same: bool) -> None:
    assert same_stem(word, part) is same


@pytest.mark.parametrize("hops", [1, 2])
def test_paths_are_bounded_by_hops(hops: int) -> None:
    paths = asked_paths(SUBGRAPH, {"hbi": 1.0}, PredicateReader(QUESTION), LITERALS, max_hops=hops, beam=10)
    assert max(len(p.relations) for p in paths) == hops


def test_no_seed_in_the_graph_gives_no_path() -> None:
    assert asked_paths(SUBGRAPH, {"missing": 1.0}, PredicateReader(QUESTION), LITERALS, max_hops=3, beam=10) == []
    assert asked_paths(SUBGRAPH, {"hbi": 1.0}, PredicateReader(()), LITERALS, max_hops=3, beam=10) == []


@pytest.mark.parametrize("field", ["hops", "beam", "min_terms"])
def test_path_settings_are_checked(field: str) -> None:
    with pytest.raises(ValueError, match=rf"PathSettings\.{field}"):
        PathSettings(**{field: 0})


def test_relation_paths_shown_never_join_things_that_share_a_value() -> None:
    """M-1057 -status-> open <-status- M-1070 is no chain: the passage about M-1070 gets no path through "open", but
    one through a real hop (the partner both matters have) is still shown."""
    entities = {
        "m57": Entity("m57", "M-1057", "CONCEPT"),
        "m70": Entity("m70", "M-1070", "CONCEPT"),
        "open": Entity("open", "open", "CONCEPT"),
        "pell": Entity("pell", "Theo Pell", "PERSON"),
    }
    shared = Subgraph(
        entities,
        (_relation("m57", "status", "open", "c57"), _relation("m70", "status", "open", "c70")),
        (Mention("m70", "doc-c70", "c70", 0, 6, "M-1070"),),
    )
    documents = {d: Document(d, d, d, "text/plain", "h", "x" * 20) for d in ("doc-c57", "doc-c70", "doc-p")}
    assert find_paths(shared, ["m57"], [("c70", 1.0)], documents, ResultSettings()) == []
    partner = Subgraph(
        entities,
        (*shared.relations, _relation("m57", "partner", "pell", "c57"), _relation("pell", "lead", "m70", "p")),
        shared.mentions,
    )
    [path] = find_paths(partner, ["m57"], [("c70", 1.0)], documents, ResultSettings())
    assert path.entities == ("M-1057", "Theo Pell", "M-1070")
