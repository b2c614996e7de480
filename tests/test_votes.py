"""Entity types by vote: the rules on small inputs without a model, and one slow ingestion of data/lawfirm whose
mis-typed names end with the right type in the store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from extraction.coref import DEFAULT_TYPE_NOUNS
from extraction.nlp import RawMention
from extraction.votes import Ballots, kind_noun_labels, vote_mentions
from kgrag.api import KnowledgeGraph
from kgrag.settings import Settings
from tests.test_suggest import _types_per_name

LAWFIRM = Path(__file__).resolve().parent.parent / "data" / "lawfirm" / "corpus"

NOUNS = kind_noun_labels(DEFAULT_TYPE_NOUNS)


def _mention(text: str, name: str, label: str, nth: int = 0) -> RawMention:
    start = -1
    for _ in range(nth + 1):
        start = text.index(name, start + 1)
    return RawMention(name, label, start, start + len(name))


def _labels(text: str, mentions: list[RawMention], **kwargs: object) -> list[str]:
    relations = kwargs.get("relations", [])
    columns = kwargs.get("columns", {})
    voted = vote_mentions(text, mentions, relations, columns, NOUNS, "UNKNOWN")  # type: ignore[arg-type]
    return [m.label for m in voted]


def test_a_kind_noun_beside_a_name_outvotes_the_ner() -> None:
    text = "Witness statements from the quarry manager, Nadia Frost, were read. Frost left."
    mentions = [_mention(text, "Nadia Frost", "ORG"), _mention(text, "Frost", "ORG", 1)]
    assert _labels(text, mentions) == ["PERSON", "PERSON"]
    text = "Pennick Haulage, a family-owned company from Exeter, was bought."
    assert _labels(text, [_mention(text, "Pennick Haulage", "PERSON")]) == ["ORG"]


def test_titles_suffixes_and_a_following_pronoun_vote() -> None:
    text = "Dear Ms. Calloway, Ines Calloway wrote. Calloway Energy Ltd paid."
    mentions = [_mention(text, "Calloway", "ORG"), _mention(text, "Calloway Energy Ltd", "PERSON")]
    assert _labels(text, mentions) == ["PERSON", "ORG"]
    text = "Callum Reyes heads the group. He joined in 2007."
    assert _labels(text, [_mention(text, "Callum Reyes", "ORG")]) == ["PERSON"]
    text = "The group is led by Callum Reyes. He joined in 2007."
    assert _labels(text, [_mention(text, "Callum Reyes", "ORG")]) == ["ORG"]  # not the sentence's first words


def test_a_surname_votes_with_the_one_full_name_it_ends() -> None:
    text = "Judge Helena Strand sat. Strand ruled; Strand Holdings appealed."
    mentions = [_mention(text, "Helena Strand", "PERSON"), _mention(text, "Strand", "ORG", 1)]
    assert _labels(text, mentions) == ["PERSON", "PERSON"]


def test_columns_and_relation_roles_type_a_tables_values() -> None:
    text = "responsible_partner: Theo Pell\nclient: Tindall Textiles\nclient: Corvale\nclient: Harlow\nclient: Sable"
    mentions = [_mention(text, "Theo Pell", "UNKNOWN")]
    mentions += [_mention(text, name, "UNKNOWN") for name in ("Tindall Textiles", "Corvale", "Harlow", "Sable")]
    mentions += [_mention(text, name, "ORG") for name in ("Corvale", "Harlow", "Sable")]
    relations = [(0, "responsible_partner", 0)] + [(i, "client", i) for i in range(1, 5)]
    labels = _labels(text, mentions, relations=relations, columns={0: "responsible_partner"})
    assert labels[:5] == ["PERSON", "ORG", "ORG", "ORG", "ORG"]
    ballots = Ballots(NOUNS)
    for key in ("a", "b", "c"):
        ballots.votes[key] = Counter(PERSON=1)
    ballots.votes["d"] = Counter(ORG=1)
    ballots.roles([("a", "born_in:subject"), ("d", "born_in:subject")])
    assert ballots.votes["d"] == Counter(ORG=1)  # two holders are not evidence
    ballots.roles([(n, "born_in:subject") for n in "abcd"])
    assert ballots.votes["d"] == Counter(ORG=1, PERSON=1)


def test_identifiers_dates_and_ties() -> None:
    text = "matter: M-1057, opened 2023-03-14 for Brightwater."
    mentions = [_mention(text, "M-1057", "PERSON"), _mention(text, "2023-03-14", "DATE")]
    mentions.append(_mention(text, "Brightwater", "ORG"))
    assert _labels(text, mentions) == ["CONCEPT", "DATE", "ORG"]
    text = "Avon met Avon."
    assert _labels(text, [_mention(text, "Avon", "ORG"), _mention(text, "Avon", "GPE", 1)]) == ["ORG", "GPE"]


def test_a_noun_two_labels_claim_names_neither() -> None:
    nouns = kind_noun_labels({"ORG": {"company", "client"}, "CLIENT": {"client"}})
    assert nouns["company"] == "ORG" and "client" not in nouns and nouns["partner"] == "PERSON"


@pytest.mark.slow
def test_names_the_ner_mistypes_end_with_the_voted_type_in_the_store(tmp_path: Path) -> None:
    with KnowledgeGraph.open(tmp_path / "graph.db", Settings()) as kg:
        assert not kg.ingest([LAWFIRM]).failed
        types = _types_per_name(kg)
    # spaCy types Nadia Frost an organisation, Callum Reyes one in his own page, Tindall Textiles nothing (a CSV value).
    assert types["nadia frost"] == {"PERSON"} and types["callum reyes"] == {"PERSON"}, types
    assert types["tindall textiles"] == {"ORG"} and "reyes" not in types


def test_a_bare_partner_column_does_not_make_a_company_a_person() -> None:
    text = "name: ArcSeq CDx partnership\npartner: Arcturus Diagnostics"
    mentions = [_mention(text, "Arcturus Diagnostics", "UNKNOWN")]
    assert _labels(text, mentions, columns={0: "partner"}) == ["UNKNOWN"]
    assert _labels(text, mentions, columns={0: "responsible_partner"}) == ["PERSON"]
