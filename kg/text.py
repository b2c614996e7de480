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
