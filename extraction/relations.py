"""Relation patterns over spaCy's dependency parse, one small function per pattern.

Each pattern reads one construction (active verb, a verb's event noun ("led the discovery of"), passive,
prepositional attachment, copula with a relational noun, apposition, participle and relative clauses) and yields
``(subject token, predicate, object token, pattern)``. Predicates are lemma-based lower_snake_case: "was born in"
→ ``born_in``, "took over" → ``take_over``, "is a subsidiary of" → ``subsidiary_of``. Mapping tokens to entity
mentions happens in ``extraction/nlp.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from spacy.tokens import Span, Token

Candidate = tuple[Token, str, Token, str]
Pattern = Callable[[Span], Iterator[Candidate]]

SUBJECTS = {"nsubj", "csubj"}
PASSIVE_SUBJECTS = {"nsubjpass", "csubjpass"}
OBJECTS = {"dobj", "obj", "dative"}
RELATIVE_PRONOUNS = {"which", "that", "who", "whom"}
# Prepositions that attach the entity an event noun is about: "the discovery of", "approval to", "a bid for".
NOUN_PREPOSITIONS = {"of", "for", "on", "into", "to"}
# Lemmas the parser gives that read badly as predicates.
LEMMA_FIXES = {"bear": "born"}
CONFIDENCE = {
    "svo": 0.9,
    "passive": 0.9,
    "relcl": 0.8,
    "participle": 0.75,
    "prep": 0.7,
    "copula": 0.8,
    "appositive": 0.8,
    "object_noun": 0.75,
}


def _conjuncts(token: Token) -> list[Token]:
    return [token, *token.conjuncts]


def _verb_predicate(verb: Token) -> str:
    lemma = LEMMA_FIXES.get(verb.lemma_.lower(), verb.lemma_.lower())
    particles = [c.lower_ for c in verb.children if c.dep_ == "prt"]
    negated = any(c.dep_ == "neg" for c in verb.children)
    return ("not_" if negated else "") + "_".join([lemma, *particles])


def _noun_predicate(noun: Token) -> str:
    """A relational noun with its modifiers: "chief executive officer" → ``chief_executive_officer``."""
    modifiers = [c for c in noun.lefts if c.dep_ in ("compound", "amod") and c.pos_ in ("NOUN", "ADJ", "PROPN")]
    return "_".join([*(m.lemma_.lower() for m in modifiers), noun.lemma_.lower()])


def _subjects(verb: Token) -> list[Token]:
    """The verb's subjects, inherited along conjoined verbs and open complements ("agreed to acquire")."""
    current: Token | None = verb
    while current is not None:
        found = [c for c in current.children if c.dep_ in SUBJECTS]
        if found:
            return [t for s in found for t in _conjuncts(s)]
        if current.dep_ in ("conj", "xcomp") and current.head is not current:
            current = current.head
        else:
            return []
    return []


def _pobjs(prep: Token) -> list[Token]:
    return [t for c in prep.children if c.dep_ == "pobj" for t in _conjuncts(c)]


def active(sent: Span) -> Iterator[Candidate]:
    """Halvorsen acquired Nordlys Bio → (Halvorsen, acquire, Nordlys Bio)."""
    for verb in sent:
        if verb.pos_ not in ("VERB", "AUX") or verb.dep_ in ("amod",):
            continue
        objects = [t for c in verb.children if c.dep_ in OBJECTS for t in _conjuncts(c)]
        if not objects:
            continue
        predicate = _verb_predicate(verb)
        for subject in _subjects(verb):
            if subject.lower_ in RELATIVE_PRONOUNS:
                continue
            for obj in objects:
                yield subject, predicate, obj, "svo"


def object_noun(sent: Span) -> Iterator[Candidate]:
    """Oyelaran led the discovery of Corvanib → (Oyelaran, lead_discovery_of, Corvanib): the verb's object is an
    event or role noun, and the entity it is about hangs off that noun."""
    for verb in sent:
        if verb.pos_ not in ("VERB", "AUX") or verb.dep_ == "amod":
            continue
        nouns = [t for c in verb.children if c.dep_ in OBJECTS for t in _conjuncts(c) if t.pos_ == "NOUN"]
        if not nouns:
            continue
        base = _verb_predicate(verb)
        subjects = [s for s in _subjects(verb) if s.lower_ not in RELATIVE_PRONOUNS]
        for noun in nouns:
            for prep in (c for c in noun.children if c.dep_ == "prep" and c.lower_ in NOUN_PREPOSITIONS):
                for obj in _pobjs(prep):
                    for subject in subjects:
                        yield subject, f"{base}_{noun.lemma_.lower()}_{prep.lower_}", obj, "object_noun"


def passive(sent: Span) -> Iterator[Candidate]:
    """Veltrazumab was developed by Nordlys Bio → (Nordlys Bio, develop, Veltrazumab)."""
    for verb in sent:
        patients = [t for c in verb.children if c.dep_ in PASSIVE_SUBJECTS for t in _conjuncts(c)]
        if not patients:
            continue
        agents = [t for c in verb.children if c.dep_ == "agent" for t in _pobjs(c)]
        predicate = _verb_predicate(verb)
        for agent in agents:
            for patient in patients:
                if patient.lower_ not in RELATIVE_PRONOUNS:
                    yield agent, predicate, patient, "passive"


def prepositional(sent: Span) -> Iterator[Candidate]:
    """Okafor was born in Lagos → (Okafor, born_in, Lagos); acquired X for $1 billion → (…, acquire_for, …)."""
    for verb in sent:
        if verb.pos_ not in ("VERB", "AUX"):
            continue
        preps = [c for c in verb.children if c.dep_ == "prep"]
        if not preps:
            continue
        patients = [t for c in verb.children if c.dep_ in PASSIVE_SUBJECTS for t in _conjuncts(c)]
        subjects = patients or _subjects(verb)
        base = _verb_predicate(verb)
        for prep in preps:
            for obj in _pobjs(prep):
                for subject in subjects:
                    if subject.lower_ not in RELATIVE_PRONOUNS:
                        yield subject, f"{base}_{prep.lower_}", obj, "prep"


def relative_clause(sent: Span) -> Iterator[Candidate]:
    """Nordlys Bio, which developed Veltrazumab, … → (Nordlys Bio, develop, Veltrazumab)."""
    for verb in sent:
        if verb.dep_ != "relcl":
            continue
        pronoun_subject = any(c.dep_ in SUBJECTS and c.lower_ in RELATIVE_PRONOUNS for c in verb.children)
        if not pronoun_subject:
            continue
        predicate = _verb_predicate(verb)
        for obj in (t for c in verb.children if c.dep_ in OBJECTS for t in _conjuncts(c)):
            yield verb.head, predicate, obj, "relcl"
        for prep in (c for c in verb.children if c.dep_ == "prep"):
            for obj in _pobjs(prep):
                yield verb.head, f"{predicate}_{prep.lower_}", obj, "relcl"


def participle(sent: Span) -> Iterator[Candidate]:
    """Veltrazumab, a drug developed by Nordlys Bio → (Nordlys Bio, develop, Veltrazumab / drug)."""
    for verb in sent:
        if verb.dep_ != "acl" or verb.tag_ != "VBN":
            continue
        noun = verb.head
        targets = [noun, *(t for t in (noun.head,) if noun.dep_ == "appos")]
        predicate = _verb_predicate(verb)
        for agent in (t for c in verb.children if c.dep_ == "agent" for t in _pobjs(c)):
            for target in targets:
                yield agent, predicate, target, "participle"


def copula(sent: Span) -> Iterator[Candidate]:
    """X is a subsidiary of Y → (X, subsidiary_of, Y); X is the CEO of Y → (X, ceo_of, Y)."""
    for verb in sent:
        if verb.lemma_ != "be":
            continue
        attributes = [c for c in verb.children if c.dep_ == "attr"]
        for subject in _subjects(verb):
            for attr in attributes:
                for prep in (c for c in attr.children if c.dep_ == "prep"):
                    for obj in _pobjs(prep):
                        yield subject, f"{_noun_predicate(attr)}_{prep.lower_}", obj, "copula"


def appositive(sent: Span) -> Iterator[Candidate]:
    """Amara Okafor, the principal investigator of HLV-301 → (Amara Okafor, principal_investigator_of, HLV-301);
    Halvorsen's chief executive, Lena Berg → (Lena Berg, chief_executive_of, Halvorsen)."""
    for token in sent:
        for appos in (c for c in token.children if c.dep_ == "appos"):
            for role, holder in ((appos, token), (token, appos)):
                for prep in (c for c in role.children if c.dep_ == "prep" and c.lower_ in ("of", "at", "for")):
                    for obj in _pobjs(prep):
                        yield holder, f"{_noun_predicate(role)}_{prep.lower_}", obj, "appositive"
                for owner in (c for c in role.children if c.dep_ == "poss"):
                    yield holder, f"{_noun_predicate(role)}_of", owner, "appositive"


PATTERNS: tuple[Pattern, ...] = (
    active,
    object_noun,
    passive,
    prepositional,
    relative_clause,
    participle,
    copula,
    appositive,
)
