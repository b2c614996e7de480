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
from collections import Counter
from pathlib import Path

from extraction.domain import load_domain
from extraction.loaders import load_file
from extraction.pii import KINDS, PiiDetector, PiiSpan
from kg.config import DEFAULT_SPACY_MODEL

RESTRICTED = Path(__file__).resolve().parent.parent / "data" / "restricted"
_HR = [
    ("Lena Berg", "lena.berg@halvorsen.example.com", "+1 617 555 0101", "1971-05-12"),
    ("Marcus Oyelaran", "m.oyelaran@halvorsen.example.com", "+1 617 555 0102", "1973-09-30"),
    ("Daniel Achterberg", "d.achterberg@halvorsen.example.com", "+1 617 555 0103", "1969-02-07"),
    ("Ruth Ambrose", "r.ambrose@halvorsen.example.com", "+1 617 555 0104", "1975-11-21"),
    ("Yusuf Demir", "y.demir@halvorsen.example.com", "+1 617 555 0118", "1978-06-03"),
    ("Siobhan Keane", "s.keane@halvorsen.example.com", "+353 61 555 0142", "1976-01-19"),
]
# The ground truth: each file's planted values and their kinds (data/README.md, "Restricted documents").
PLANTED: dict[str, dict[str, str]] = {
    "board-memo-aurora.md": {
        "Lena Berg": "PERSON",
        "Claire Dubois": "PERSON",
        "Marcus Oyelaran": "PERSON",
        "Daniel Achterberg": "PERSON",
    },
    "hr-compensation-2024.csv": {
        value: kind
        for row in _HR
        for value, kind in zip(row, ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "DATE_OF_BIRTH"), strict=True)
    },
    "incident-report-hlv301-0457.txt": {
        "Amara Okafor": "PERSON",
        "Chinedu Eze": "PERSON",
        "Ngozi Eze": "PERSON",
        "Sofia Lindgren": "PERSON",
        "a.okafor@luth-research.example.org": "EMAIL_ADDRESS",
        "ngozi.eze@mail.example.net": "EMAIL_ADDRESS",
        "s.lindgren@halvorsen.example.com": "EMAIL_ADDRESS",
        "+234 803 555 0147": "PHONE_NUMBER",
        "555-201-8890": "PHONE_NUMBER",
        "+234 812 555 0934": "PHONE_NUMBER",
        "00-482-1193": "MEDICAL_RECORD_NUMBER",
        "14/03/1981": "DATE_OF_BIRTH",
        "412-68-3095": "US_SSN",
        "4111 1111 1111 1111": "CREDIT_CARD",
        "14 Adeniran Ogunsanya Street, Surulere, Lagos": "ADDRESS",
    },
    "safety-memo-zentoril.txt": {"Yusuf Demir": "PERSON", "Helen Marsh": "PERSON", "Pieter van Dam": "PERSON"},
}


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
