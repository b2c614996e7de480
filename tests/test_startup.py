"""The startup benchmark runs the real commands, and none of them loads a model library."""

from __future__ import annotations

import json

import pytest

from benchmarks import startup


def test_commands_without_models_import_no_model_library(capsys: pytest.CaptureFixture[str]) -> None:
    startup.main(["--runs", "1", "--json"])
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == {"kgrag --help", "kgrag stats", "kgrag documents", "kgrag audit"}
    for name, figure in figures.items():
        assert figure["heavy_imports"] == [], f"{name} imports {figure['heavy_imports']}"
        assert figure["median_s"] > 0 and figure["median_cpu_s"] > 0
