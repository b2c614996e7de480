"""Answer benchmark: how often ``kg.answer`` is right, whether its confidence means what it says, whether it
abstains when the answer is not there, and whether its claims cite spans that hold the answer.

    python -m benchmarks.answers ../shared/bench data                 # every bench set, and data/questions.json
    python -m benchmarks.answers ../shared/bench/hotpotqa_dev100 --limit 20
    python -m benchmarks.answers ../shared/bench --fit retrieval/calibration.json   # refit the calibration
    python -m benchmarks.answers --fit retrieval/calibration.json --fit-from bench-out/answers-*_dev*.jsonl

Per set it prints exact match (EM) and token F1 against the ``answers`` field (SQuAD's normalisation), overall and
per question type; the expected calibration error (ECE) and a 10-bin reliability table of ``confidence`` against
being right (token F1 of at least 0.5); selective accuracy at 50, 80 and 100% coverage (the most confident
questions first); the abstention rate with each question's gold passages removed from the corpus (they are
deleted, the question asked, and they are ingested again) and on the full corpus; citation precision (the share of
answer claims whose cited span holds the answer); answer and query latency. ``data`` is data/questions.json on
data/corpus with its domain pack (its unanswerable questions should abstain on the full corpus).

Stores are kept in ``--store-dir`` (one per set) and reused while they hold the whole corpus: indexing a bench
corpus takes minutes.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import string
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.multihop import discover, load_set, passage_text
from kg.errors import KgragError
from kgrag import Answer, KnowledgeGraph, Settings, TextRecord

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent.parent / "data"
BINS = 10
COVERAGES = (0.5, 0.8, 1.0)
RIGHT_F1 = 0.5  # an answer is right when its token F1 against a gold answer reaches this
# What the calibration reads of an answer's features (``Answer.features``); ``rounds`` is left out, since a retry
# happens only for low-confidence answers.
FEATURES = ("retrieval", "support", "margin", "typed", "overlap", "candidates", "path", "comparison", "sentence")


@dataclass
class Row:
    id: str
    type: str
    question: str
    gold: list[str]
    answer: Answer
    em: float
    f1: float
    answer_ms: float
    query_ms: float
    removed: Answer | None = None  # the answer with the gold passages deleted from the corpus

    @property
    def abstained_removed(self) -> bool | None:
        return None if self.removed is None else self.removed.status == "insufficient_evidence"

    @property
    def right(self) -> bool:
        return self.answer.status == "answered" and self.f1 >= RIGHT_F1


def normalise(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(c for c in text if c not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(answer: str, gold: Sequence[str]) -> float:
    return float(bool(answer) and any(normalise(answer) == normalise(g) for g in gold))


def token_f1(answer: str, gold: Sequence[str]) -> float:
    best = 0.0
    predicted = normalise(answer).split()
    for g in gold:
        expected = normalise(g).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def open_set(name: str, store_dir: Path) -> tuple[KnowledgeGraph, list[dict[str, Any]], list[TextRecord]]:
    """The set's questions and a store holding its corpus (indexed once, then reused)."""
    store_dir.mkdir(parents=True, exist_ok=True)
    if name == "data":
        raw = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))
        questions = [{**q, "answers": [q["answer"]] if q["answer"] else [], "gold_ids": q["supporting"]} for q in raw]
        kg = KnowledgeGraph.open(store_dir / "data.db", Settings(domain=str(DATA / "domain" / "pharma.json")))
        kg.ingest([DATA / "corpus"])
        return kg, questions, []
    bench = load_set(Path(name))
    records = [TextRecord(id=str(p["id"]), title=p["title"], text=passage_text(p)) for p in bench.corpus]
    kg = KnowledgeGraph.open(store_dir / f"{bench.name}.db")
    if kg.stats().documents != len(records):
        kg.ingest_texts(records, progress=sys.stderr.isatty())
    return kg, bench.questions, records


def ask(kg: KnowledgeGraph, q: dict[str, Any]) -> Row:
    started = time.perf_counter()
    kg.query(q["question"])
    query_ms = 1000 * (time.perf_counter() - started)
    started = time.perf_counter()
    found = kg.answer(q["question"])
    answer_ms = 1000 * (time.perf_counter() - started)
    gold = [str(a) for a in q.get("answers") or []]
    return Row(
        str(q["id"]),
        str(q["type"]),
        q["question"],
        gold,
        found,
        exact_match(found.answer, gold),
        token_f1(found.answer, gold),
        answer_ms,
        query_ms,
    )


def answer_without_gold(kg: KnowledgeGraph, q: dict[str, Any], records: Sequence[TextRecord]) -> Answer:
    """Ask ``q`` with its gold passages deleted, then put them back."""
    gold = {str(g) for g in q["gold_ids"]}
    for doc_id in gold:
        kg.delete(doc_id)
    try:
        return kg.answer(q["question"])
    finally:
        kg.ingest_texts([r for r in records if r.id in gold])


def run_set(name: str, args: argparse.Namespace) -> tuple[str, list[Row]]:
    kg, questions, records = open_set(name, args.store_dir)
    label = "data" if name == "data" else Path(name).name
    with kg:
        kg.query(questions[0]["question"])  # load the models before timing
        rows = [ask(kg, q) for q in questions[: args.limit]]
        if records and not args.no_removed:
            for row, q in zip(rows, questions, strict=False):
                row.removed = answer_without_gold(kg, q, records)
    return label, rows


def reliability(rows: Sequence[Row]) -> tuple[float, list[tuple[str, int, float, float]]]:
    """ECE over every question (an abstention is a wrong answer at its confidence) and the 10-bin table."""
    table = []
    ece = 0.0
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        inside = [r for r in rows if lo <= r.answer.confidence < hi or (b == BINS - 1 and r.answer.confidence == 1)]
        if not inside:
            table.append((f"{lo:.1f}-{hi:.1f}", 0, 0.0, 0.0))
            continue
        confidence = statistics.fmean(r.answer.confidence for r in inside)
        accuracy = statistics.fmean(float(r.right) for r in inside)
        ece += len(inside) / len(rows) * abs(confidence - accuracy)
        table.append((f"{lo:.1f}-{hi:.1f}", len(inside), confidence, accuracy))
    return ece, table


def selective(rows: Sequence[Row], coverage: float) -> float:
    ranked = sorted(rows, key=lambda r: -r.answer.confidence)
    kept = ranked[: max(1, round(coverage * len(ranked)))]
    return 100 * statistics.fmean(float(r.right) for r in kept)


def citation_precision(rows: Sequence[Row]) -> float | None:
    """Answer claims whose cited text holds the answer (yes and no are nowhere written, so not counted)."""
    held = []
    for r in rows:
        a = r.answer
        if a.status != "answered" or normalise(a.answer) in ("yes", "no"):
            continue
        for claim in a.claims:
            if claim.role == "answer":
                held.append(normalise(a.answer) in normalise(claim.text))
    return 100 * statistics.fmean(held) if held else None


def summary(label: str, rows: Sequence[Row]) -> dict[str, Any]:
    answerable = [r for r in rows if r.gold]
    by_type: dict[str, list[Row]] = defaultdict(list)
    for r in answerable:
        by_type["all"].append(r)
        by_type[r.type].append(r)
    unanswerable = [r for r in rows if not r.gold]
    removed = [r.abstained_removed for r in answerable if r.abstained_removed is not None]
    ece, table = reliability(answerable)
    return {
        "set": label,
        "questions": len(rows),
        "accuracy": {
            t: {
                "n": len(rs),
                "EM": 100 * statistics.fmean(r.em for r in rs),
                "F1": 100 * statistics.fmean(r.f1 for r in rs),
                "right": 100 * statistics.fmean(float(r.right) for r in rs),
            }
            for t, rs in sorted(by_type.items(), key=lambda item: (item[0] != "all", item[0]))
        },
        "ece": ece,
        "reliability": table,
        "selective": {f"{int(c * 100)}%": selective(answerable, c) for c in COVERAGES},
        "abstain_removed": 100 * statistics.fmean(removed) if removed else None,
        "abstain_full": 100 * statistics.fmean(r.answer.status == "insufficient_evidence" for r in answerable),
        "abstain_unanswerable": (
            100 * statistics.fmean(r.answer.status == "insufficient_evidence" for r in unanswerable)
            if unanswerable
            else None
        ),
        "citation_precision": citation_precision(answerable),
        "retried": 100 * statistics.fmean(r.answer.retrievals > 1 for r in answerable),
        "latency_ms": {
            "answer_p50": float(np.percentile([r.answer_ms for r in rows], 50)),
            "query_p50": float(np.percentile([r.query_ms for r in rows], 50)),
            "answer_p95": float(np.percentile([r.answer_ms for r in rows], 95)),
            "query_p95": float(np.percentile([r.query_ms for r in rows], 95)),
        },
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_summary(s: dict[str, Any]) -> str:
    lines = [f"== {s['set']}: {s['questions']} questions"]
    lines.append(f"{'type':<22} {'n':>4} {'EM':>6} {'F1':>6} {'right':>6}")
    for t, row in s["accuracy"].items():
        lines.append(f"{t:<22} {row['n']:4d} {row['EM']:6.1f} {row['F1']:6.1f} {row['right']:6.1f}")
    lines.append(f"ECE {s['ece']:.3f}   reliability (confidence bin, n, mean confidence, accuracy):")
    lines.extend(f"  {b:<8} {n:4d} {c:6.2f} {a:6.2f}" for b, n, c, a in s["reliability"])
    lines.append("selective accuracy: " + ", ".join(f"{k} {v:.1f}" for k, v in s["selective"].items()))
    lines.append(
        f"abstain: gold removed {_pct(s['abstain_removed'])}, full corpus (wrongly) {_pct(s['abstain_full'])}, "
        f"unanswerable {_pct(s['abstain_unanswerable'])}; retried {s['retried']:.1f}"
    )
    lines.append(f"citation precision {_pct(s['citation_precision'])}")
    lat = s["latency_ms"]
    lines.append(
        f"latency ms: answer p50 {lat['answer_p50']:.0f} p95 {lat['answer_p95']:.0f}; "
        f"query p50 {lat['query_p50']:.0f} p95 {lat['query_p95']:.0f}"
    )
    return "\n".join(lines)


def write_rows(path: Path, rows: Sequence[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for r in rows:
            out.write(
                json.dumps(
                    {
                        "id": r.id,
                        "type": r.type,
                        "question": r.question,
                        "gold": r.gold,
                        "answer": r.answer.answer,
                        "status": r.answer.status,
                        "confidence": r.answer.confidence,
                        "features": dict(r.answer.features),
                        "em": r.em,
                        "f1": r.f1,
                        "right": r.right,
                        "abstained_removed": r.abstained_removed,
                        "removed": None
                        if r.removed is None
                        else {
                            "answer": r.removed.answer,
                            "confidence": r.removed.confidence,
                            "features": dict(r.removed.features),
                        },
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 5000) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression, by gradient descent on standardised features
    (returned on the original scale): a handful of features and a few hundred answers need nothing more."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        w -= 0.5 * (z.T @ (p - y) / len(y) + l2 * w)
        b -= 0.5 * float(np.mean(p - y))
    weights = w / scale
    return weights, b - float(weights @ mean)


def _rows(files: Sequence[Path]) -> tuple[list[list[float]], list[float]]:
    """Features and right-or-wrong of the answered questions with gold answers in rows files."""
    xs, ys = [], []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["gold"] and row["features"]:
                xs.append([row["features"].get(f, 0.0) for f in FEATURES])
                ys.append(1.0 if row["f1"] >= RIGHT_F1 else 0.0)
    return xs, ys


def fit(rows_files: Sequence[Path], target: Path, model: str, held_out: Sequence[Path] = ()) -> None:
    """Fit the confidence calibration on rows written by earlier runs, record it for ``model``, and print the
    ECE of the raw and the fitted confidence on those rows and on ``held_out`` rows."""
    xs, ys = _rows(rows_files)
    weights, bias = fit_logistic(np.array(xs), np.array(ys))
    recorded = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    recorded[model] = {
        "features": list(FEATURES),
        "weights": [round(float(w), 6) for w in weights],
        "bias": round(float(bias), 6),
        "fitted_on": sorted(p.stem for p in rows_files),
        "questions": len(ys),
    }
    target.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    print(f"fitted on {len(ys)} answers ({sum(ys):.0f} right) from {len(rows_files)} sets -> {target}")
    print(f"ECE on them: raw {_ece(xs, ys, None):.3f}, fitted {_ece(xs, ys, (weights, bias)):.3f}")
    if held_out:
        hx, hy = _rows(held_out)
        print(f"ECE held out ({len(hy)}): raw {_ece(hx, hy, None):.3f}, fitted {_ece(hx, hy, (weights, bias)):.3f}")


def _ece(xs: list[list[float]], ys: list[float], model: tuple[np.ndarray, float] | None) -> float:
    """ECE of the raw confidence (``model`` None: retrieval × support, capped at 1) or of the fitted one."""
    x, y = np.array(xs), np.array(ys)
    if model is None:
        p = np.clip(x[:, FEATURES.index("retrieval")] * x[:, FEATURES.index("support")], 0, 1)
    else:
        p = 1.0 / (1.0 + np.exp(-(x @ model[0] + model[1])))
    bins = np.minimum((p * BINS).astype(int), BINS - 1)
    return float(sum(abs(p[bins == b].mean() - y[bins == b].mean()) * (bins == b).mean() for b in set(bins)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", help="bench set prefixes or folders (as benchmarks.multihop), or data")
    parser.add_argument("--limit", type=int, help="only the first N questions of each set")
    parser.add_argument("--store-dir", type=Path, default=Path(".kgrag/bench"), help="where the stores are kept")
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="folder for per-question rows")
    parser.add_argument("--no-removed", action="store_true", help="skip asking with the gold passages removed")
    parser.add_argument("--fit", type=Path, help="after the run, fit the calibration on its rows into this file")
    parser.add_argument("--fit-from", type=Path, nargs="+", help="with --fit: fit on these rows files, run nothing")
    parser.add_argument("--held-out", type=Path, nargs="*", default=[], help="rows files to check the fit on")
    parser.add_argument("--json", action="store_true", help="print the summaries as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from kg.embedding import model_id

    model = model_id(Settings.from_env().embedding_model)
    if args.fit and args.fit_from:
        fit(args.fit_from, args.fit, model, args.held_out)
        return 0
    names = [s for s in args.sets if s == "data"]
    prefixes = [str(p) for p in discover([s for s in args.sets if s != "data"])] if len(names) < len(args.sets) else []
    summaries, files = [], []
    try:
        for name in prefixes + names:
            label, rows = run_set(name, args)
            path = args.out / f"answers-{label}.jsonl"
            write_rows(path, rows)
            files.append(path)
            result = summary(label, rows)
            summaries.append(result)
            if not args.json:
                print(format_summary(result), flush=True)
        if args.fit:
            from kg.embedding import model_id

            fit(
                [f for f in files if not f.stem.endswith("-data")],
                args.fit,
                model_id(Settings.from_env().embedding_model),
            )
    except KgragError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summaries, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
