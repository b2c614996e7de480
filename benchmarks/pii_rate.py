"""PII detection rate on the personal data planted in data/restricted: found / planted, per kind.

    .venv/bin/python -m benchmarks.pii_rate                                   # the configured spaCy pipeline
    .venv/bin/python -m benchmarks.pii_rate --domain data/domain/pharma.json  # with the domain pack's entities

Each occurrence of a planted value in the text kgrag extracts from a file counts once; it is found when one
detected span of the same kind covers it. Detected spans that cover no planted value are listed as false positives
(some are true names the ground truth leaves out, such as a company taken for a person). The home address is
planted but is no kind kgrag detects; it is reported apart and left out of the overall rate.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from extraction.domain import load_domain
from extraction.loaders import load_file
from extraction.pii import KINDS, PiiDetector, PiiSpan
from kgrag.settings import DEFAULT_SPACY_MODEL

DATA = Path(__file__).resolve().parent.parent / "data"
RESTRICTED = DATA / "restricted"
# The ground truth: each file's planted values and their kinds (data/README.md, "Restricted documents").
PLANTED: dict[str, dict[str, str]] = json.loads((DATA / "planted-pii.json").read_text(encoding="utf-8"))


def occurrences(text: str, value: str) -> list[int]:
    found, at = [], text.find(value)
    while at >= 0:
        found.append(at)
        at = text.find(value, at + 1)
    return found


def measure(detector: PiiDetector) -> tuple[Counter[str], Counter[str], list[tuple[str, PiiSpan]]]:
    planted: Counter[str] = Counter()
    found: Counter[str] = Counter()
    false_positives: list[tuple[str, PiiSpan]] = []
    for name, values in PLANTED.items():
        text = load_file(RESTRICTED / name).text
        spans = detector.detect(text)
        covered: set[PiiSpan] = set()
        for value, kind in values.items():
            for start in occurrences(text, value):
                planted[kind] += 1
                hit = next((s for s in spans if s.start <= start and start + len(value) <= s.end), None)
                if hit is not None:
                    covered.add(hit)
                    found[kind] += hit.kind == kind
        false_positives += [(name, s) for s in spans if s not in covered]
    return planted, found, false_positives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spacy-model", default=DEFAULT_SPACY_MODEL)
    parser.add_argument("--domain", help="a domain pack whose entity patterns run before the NER")
    args = parser.parse_args()
    detector = PiiDetector(args.spacy_model, domain=load_domain(args.domain) if args.domain else None)
    planted, found, false_positives = measure(detector)
    print(f"spaCy pipeline {args.spacy_model}, domain pack {args.domain or 'none'}")
    print(f"{'kind':<24}{'found':>7}{'planted':>9}{'rate':>8}")
    for kind in sorted(planted):
        note = "" if kind in KINDS else "  (not a kind kgrag detects)"
        print(f"{kind:<24}{found[kind]:>7}{planted[kind]:>9}{found[kind] / planted[kind]:>8.1%}{note}")
    total = sum(planted[k] for k in planted if k in KINDS)
    hits = sum(found[k] for k in planted if k in KINDS)
    print(f"{'all detected kinds':<24}{hits:>7}{total:>9}{hits / total:>8.1%}")
    print(f"false positives: {len(false_positives)}")
    for name, span in false_positives:
        print(f"  {name}: {span.kind} {span.text!r}")


if __name__ == "__main__":
    main()
