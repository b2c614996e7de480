"""The benchmark scripts start and explain themselves; their numbers are measured by running them, not by tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import corpus_qa

DATA = Path(__file__).resolve().parent.parent / "data"


def test_corpus_qa_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        corpus_qa.main(["--help"])
    assert exit_info.value.code == 0
    assert "evid@5" in capsys.readouterr().out


def test_corpus_qa_refuses_a_folder_without_questions(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"corpus/ and questions\.json"):
        corpus_qa.load_questions(tmp_path)


def test_lawfirm_questions_cite_existing_documents() -> None:
    """Every supporting document exists and every question type the benchmark reports is present."""
    folder = DATA / "lawfirm"
    questions = corpus_qa.load_questions(folder)
    assert len(questions) >= 35
    assert {q["type"] for q in questions} >= {"identifier", "comparison", "bridge", "chain", "unanswerable"}
    for question in questions:
        for path in question["supporting"]:
            assert (folder / path).is_file(), (question["id"], path)
    formats = {p.suffix for p in (folder / "corpus").rglob("*") if p.is_file()}
    assert len(formats) >= 5
