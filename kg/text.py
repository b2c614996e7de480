"""The words kgrag treats specially, in one place below extraction and retrieval: how names compare
(``normalise``), which words join the words of a name, which entity labels are values rather than things, and how
free text becomes a full-text query that is safe in any engine.

User text never reaches a query parser as syntax: ``fts_query`` cuts it into words, drops stopwords and quotes
every word, so an operator, a field name or a bracket in a question is only ever a word.
"""

from __future__ import annotations

import re

# spaCy labels of values rather than things: a date or an amount joins facts that share nothing else, is never a
# bridge, and says little about whether a corpus covers a question.
LITERAL_TYPES = frozenset({"DATE", "TIME", "MONEY", "CARDINAL", "ORDINAL", "PERCENT", "QUANTITY"})
# Particles of personal and place names, written in lower case inside a capitalised name ("Ludwig van Beethoven").
NAME_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "da", "del", "della", "di", "du", "dos", "la", "le", "bin"}
)
# Words that join the capitalised words of one name ("Bank of England", "Tour de France", "Johnson & Johnson").
NAME_JOINERS = NAME_PARTICLES | {"of", "the", "and", "for", "in", "on", "&"}
# Words a title leaves in lower case ("Gone with the Wind", "Payment on Demand").
TITLE_WORDS = NAME_JOINERS | {"from", "a", "an", "to", "with", "at", "by"}
HONORIFICS = {"dr", "mr", "mrs", "ms", "miss", "prof", "professor", "sir", "dame", "lord", "lady", "rev", "hon"}
CORPORATE_SUFFIXES = {
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "plc",
    "gmbh",
    "sa",
    "s a",
    "llc",
    "co",
    "ag",
    "nv",
    "bv",
    "spa",
    "sas",
    "ab",
    "oy",
    "as",
    "llp",
    "lp",
    "pty",
}


def normalise(name: str) -> str:
    """The comparison key of a name: lower case, no punctuation, honorifics, possessive or corporate suffix."""
    text = re.sub(r"['’]s\b", "", name.lower())
    text = re.sub(r"[^\w\s$€£%]", " ", text)
    words = text.split()
    if words and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[0] in HONORIFICS:
        words = words[1:]
    while len(words) > 1 and words[-1] in CORPORATE_SUFFIXES:
        words = words[:-1]
    return " ".join(words)


STOPWORDS = frozenset(
    (
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    )
)


def fts_query(text: str) -> str | None:
    """A safe full-text query: every word quoted (no operator survives), OR-ed; ``None`` when nothing is searchable."""
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS]
    unique = list(dict.fromkeys(words))
    return " OR ".join(f'"{w}"' for w in unique) if unique else None


# An identifier as enterprise text writes one: a matter, case, invoice, trial or part number ("M-1057",
# "HC-2023-0412", "INV-2024-0318", "KST-110", "SKU4471"): letters and digits joined by dashes, one part a number
# of two or more digits (after letters or alone); or letters followed by two or more digits. Dates (digits only),
# "mid-1990s", "4-letter" and "Phase-3" are not.
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})
_TOKEN = re.compile(r"(?<![\w-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w-])")
_NUMBER_PART = re.compile(r"[A-Za-z]*\d{2,}")


def identifiers(text: str) -> list[str]:
    """The identifiers a text holds, upper-cased with dashes unified, once each in the order they first appear:
    what the stores index exactly (a dense encoder takes M-1057 and M-1070 for one another) and what a question's
    identifiers are looked up by."""
    found = []
    for match in _TOKEN.finditer(text.translate(_DASHES)):
        token = match.group(0)
        parts = token.split("-")
        if not any(c.isalpha() for c in token) or not any(_NUMBER_PART.fullmatch(p) for p in parts):
            continue
        if len(parts) > 1 or not token[0].isdigit():
            found.append(token.upper())
    return list(dict.fromkeys(found))


def identifier_shape(identifier: str) -> str:
    """An identifier with its digits as ``9``: M-1057 and M-1099 are two of one kind (two matters)."""
    return re.sub(r"\d", "9", identifier)
