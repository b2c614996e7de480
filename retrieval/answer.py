"""Answers from a trusted result: the entity or value a path or relation ends on that is what the question asks
for, else the best supporting sentence, with the sentences that support it as claims, each citing its span.

The answerer reads only a ``RetrievalResult`` that has passed the trust step (citations verified, the query
audited, personal data masked), so an answer cites nothing a query would not have shown, and a citation's
``verified`` is the trust step's. Entity types come from the graph (what extraction stored); the spaCy pipeline
that read the question types the spans of returned passages only where no path or relation reaches an answer.
Deterministic and offline: no language model (``retrieval/generator.py`` is the optional one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from retrieval.analysis import WH_WORDS
from retrieval.anchors import anchors_of, is_option, mentions
from retrieval.asked import Asked, read_asked
from retrieval.claims import (
    SOURCE_WEIGHT,
    Answer,
    AnswerSettings,
    Candidate,
    Citation,
    Claim,
    Reading,
    Role,
    overlap,
    sentence_claim,
)
from retrieval.compare import compare
from retrieval.result import GraphPath, Passage, RetrievalResult, TripleEvidence

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

__all__ = ["Answer", "AnswerSettings", "Citation", "Claim", "ExtractiveAnswerer"]

EntityTypes = Callable[[Sequence[str]], Mapping[str, str]]

NEGATED = "not_"  # the extractor's prefix for a negated relation
# An entity a path passes on its way is more often a bridge the question describes than the answer.
BRIDGE_WEIGHT = 0.6


class ExtractiveAnswerer:
    """The default answerer: no language model, the same answer for the same result."""

    def __init__(self, nlp: Language, type_nouns: Mapping[str, frozenset[str]], settings: AnswerSettings) -> None:
        self.nlp = nlp
        self.type_nouns = type_nouns
        self.settings = settings

    def asked(self, question: str, result: RetrievalResult) -> tuple[Asked, Doc]:
        doc = self.nlp(question)
        compared = len({e.entity_id for e in result.linked_entities}) >= 2 or " or " in question.lower()
        return read_asked(doc, self.type_nouns, compared), doc

    def run(self, result: RetrievalResult, entity_types: EntityTypes) -> Answer:
        """The answer ``result`` supports; abstains when the result does, or nothing in it fits the question."""
        asked, qdoc = self.asked(result.question, result)
        if result.status == "insufficient_evidence" or not result.passages:
            return _abstain(result, asked, "no passage speaks to the question", ())
        terms = _terms(qdoc)
        read = result.passages[: self.settings.passages]
        anchors = anchors_of(qdoc)
        unmentioned = [a for a in anchors if not any(mentions(f"{p.title} {p.text}", a) for p in read)]
        if anchors and self.settings.require_anchor and len(unmentioned) == len(anchors):
            # Passages that never name what the question is about can hold a plausible answer, never a supported one.
            return _abstain(result, asked, f"no passage read mentions {', '.join(anchors)}", read)
        anchored = 1.0 - len(unmentioned) / len(anchors) if anchors else 1.0
        reading = Reading(read, list(self.nlp.pipe([p.text for p in read])))
        if asked.kind in ("choice", "yesno"):
            compared = compare(result, asked, qdoc, reading, terms)
            if compared is not None:
                return _with_anchoring(_answered(result, asked, compared, [compared], terms), anchored)
            if asked.kind == "yesno":
                # Yes or no is the only answer such a question has, and no stated values settle it.
                return _abstain(result, asked, "no stated values that settle yes or no", read)
        answer = self._answer(result, asked, reading, terms, entity_types)
        if answer.status == "answered" and asked.kind == "choice" and not is_option(answer.answer, qdoc):
            return _abstain(result, asked, "no stated values to choose between the options", read)
        return _with_anchoring(answer, anchored)

    def _answer(
        self,
        result: RetrievalResult,
        asked: Asked,
        reading: Reading,
        terms: frozenset[str],
        entity_types: EntityTypes,
    ) -> Answer:
        """The best candidate a path, relation or typed span gives, else the best sentence."""
        candidates = _graph_candidates(result, asked, entity_types, terms)
        if not candidates or max(c.score for c in candidates) < SOURCE_WEIGHT["passage"]:
            candidates += _span_candidates(result, asked, reading, terms)
        if candidates:
            best = max(candidates, key=lambda c: (c.score, c.name))
            answer = _answered(result, asked, best, candidates, terms)
            # No relation chain reaches the answer: the last hop rests on a sentence's wording alone.
            if best.source == "path":
                return answer
            missing, next_hop = _missing_hop(result, asked, terms)
            return replace(answer, missing=missing, next_hop=next_hop)
        sentence = _best_sentence(reading, terms)
        missing, next_hop = _missing_hop(result, asked, terms)
        if sentence is None:
            return replace(_abstain(result, asked, missing, reading.passages), next_hop=next_hop)
        answer = _answered(result, asked, sentence, [sentence], terms)
        return replace(answer, missing=missing, next_hop=next_hop) if asked.labels else answer


def _with_anchoring(answer: Answer, anchored: float) -> Answer:
    if answer.status != "answered":
        return answer
    return replace(answer, features={**answer.features, "anchored": anchored})


def _terms(qdoc: Doc) -> frozenset[str]:
    """The question's content words, as lemmas."""
    return frozenset(
        t.lemma_.lower() for t in qdoc if not (t.is_stop or t.is_punct or t.lower_ in WH_WORDS) and t.lemma_.strip()
    )


def _in_question(name: str, result: RetrievalResult) -> bool:
    lowered = name.lower()
    return lowered in result.question.lower() or any(e.name.lower() == lowered for e in result.linked_entities)


def _citation_of(t: TripleEvidence) -> Citation:
    return Citation(t.doc_id, t.title, t.start, t.end, t.content_hash, t.verified)


def _triple_claim(t: TripleEvidence, passages: Mapping[str, Passage], role: Role) -> Claim:
    """The sentence a relation was read from, as the returned passage shows it (masked where it must be); a
    relation read from a passage not returned is stated from its (already masked) names."""
    passage = passages.get(t.chunk_id)
    if passage is not None and passage.start <= t.start and t.end <= passage.end:
        text = " ".join(passage.text[t.start - passage.start : t.end - passage.start].split())
    else:
        text = f"{t.subject} {t.predicate.replace('_', ' ')} {t.object}."
    return Claim(text, (_citation_of(t),), role, t.verified)


def _end_id(entities: Sequence[str], triples: Sequence[TripleEvidence]) -> str:
    last = triples[-1]
    return last.object_id if last.object == entities[-1] else last.subject_id


def _predicate_named(predicate: str, terms: frozenset[str]) -> bool:
    """Whether a relation's predicate shares a word (or a word's first five letters) with the question."""
    words = predicate.lower().split("_")
    return any(t == w or (len(t) >= 5 and w.startswith(t[:5])) for t in terms for w in words)


def _fit(
    name: str, claims: Sequence[Claim], hops: Sequence[TripleEvidence], asked: Asked, terms: frozenset[str]
) -> float:
    """How well a reading answers: the question's words in its sentences, each hop whose predicate the question
    names (the asked noun naming the last one makes its object the answer), the asked noun in the name itself; the
    sentence stating the answer counts twice."""
    score = 0.3 + 0.7 * overlap(" ".join(c.text for c in claims), terms) + 0.3 * overlap(claims[-1].text, terms)
    # A typed question's noun says what the answer is ("which city"), not which relation leads to it: any city
    # has a ``city`` relation.
    hop_terms = terms - {asked.noun} if asked.labels else terms
    score += 0.2 * sum(_predicate_named(t.predicate, hop_terms) for t in hops)
    last = hops[-1]
    if last.predicate.startswith(NEGATED):
        score *= 0.5  # "has not filed with the EMA" is no answer to who was told
    if not asked.labels and asked.names_predicate(last.predicate):
        score += 0.3 if last.object == name else -0.3
    if asked.named_by(name):
        score += 0.3
    return max(0.0, score)


def _answer_hops(path: GraphPath, asked: Asked) -> list[tuple[int, str, str]]:
    """The entities a path reaches, as (hops taken, name, id), furthest first; when the noun of an untyped question
    names a hop's relation ("what condition": ``condition``), that hop's object alone."""
    hops = []
    for hop, t in enumerate(path.triples, start=1):
        name = path.entities[hop]
        hops.append((hop, name, t.object_id if t.object == name else t.subject_id))
    named = [
        (hop, t.object, t.object_id)
        for hop, t in enumerate(path.triples, start=1)
        if not asked.labels and asked.names_predicate(t.predicate)
    ]
    return named[::-1] if named else hops[::-1]


def _graph_candidates(
    result: RetrievalResult, asked: Asked, entity_types: EntityTypes, terms: frozenset[str]
) -> list[Candidate]:
    """Entities of the asked type that a path reaches (at its end or at any hop on the way), or that a returned
    passage's relation names."""
    by_chunk = {p.chunk_id: p for p in result.passages}
    reached: list[tuple[str, str, tuple[TripleEvidence, ...], int]] = []
    for rank, path in enumerate(result.paths):
        reached.extend(
            (name, entity_id, path.triples[:hop], rank) for hop, name, entity_id in _answer_hops(path, asked)
        )
    ends = {(rank, len(path.triples)) for rank, path in enumerate(result.paths)}
    ids = [i for _, i, _, _ in reached] + [x for t in result.triples for x in (t.subject_id, t.object_id)]
    types = entity_types(list(dict.fromkeys(ids)))
    found: list[Candidate] = []
    # A path's furthest entity of the asked type is its answer: the entities before it are the bridges the
    # question describes on the way ("the developer of the antibody").
    seen_paths: set[int] = set()
    for name, entity_id, triples, rank in reached:
        if rank in seen_paths:
            continue
        if entity_id not in types or not asked.fits(name, types[entity_id]) or _in_question(name, result):
            continue
        claims = tuple(
            _triple_claim(t, by_chunk, "answer" if i == len(triples) - 1 else "support") for i, t in enumerate(triples)
        )
        fit = _fit(name, claims, triples, asked, terms) * (1.0 if (rank, len(triples)) in ends else BRIDGE_WEIGHT)
        found.append(Candidate(name, SOURCE_WEIGHT["path"] * fit / (1 + 0.15 * rank), "path", claims))
        seen_paths.add(rank)
    for rank, t in enumerate(result.triples):
        for name, entity_id in ((t.object, t.object_id), (t.subject, t.subject_id)):
            if entity_id not in types or not asked.fits(name, types[entity_id]) or _in_question(name, result):
                continue
            claim = _triple_claim(t, by_chunk, "answer")
            score = SOURCE_WEIGHT["triple"] * _fit(name, (claim,), (t,), asked, terms) / (1 + 0.1 * rank)
            found.append(Candidate(name, score, "triple", (claim,)))
    return _merged(found)


def _span_candidates(result: RetrievalResult, asked: Asked, reading: Reading, terms: frozenset[str]) -> list[Candidate]:
    """Named spans of the returned passages' sentences of the asked type, in sentences that hold the question's
    words (the pipeline's entity types, which the extractor's patterns include)."""
    if not asked.labels:
        return []
    found: list[Candidate] = []
    for rank, passage, sentence in reading.sentences():
        held = overlap(sentence.text, terms)
        if held == 0:
            continue
        for ent in sentence.ents:
            if not asked.fits(ent.text, ent.label_) or _in_question(ent.text, result) or _in_identifier(ent):
                continue
            claim = sentence_claim(passage, sentence, "answer")
            named = 1.5 if asked.named_by(ent.text) else 1.0
            score = SOURCE_WEIGHT["passage"] * min(1.0, held * named) / (1 + 0.25 * rank)
            found.append(Candidate(ent.text, score, "passage", (claim,)))
    return _merged(found)


def _in_identifier(ent: Span) -> bool:
    """A name that begins a number ("US 10,882,416" is a patent, not a country)."""
    doc = ent.doc
    return ent.end < len(doc) and doc[ent.end].like_num and not doc[ent.end].is_space


def _best_sentence(reading: Reading, terms: frozenset[str]) -> Candidate | None:
    best: tuple[float, int, Passage, Span] | None = None
    for rank, passage, sentence in reading.sentences():
        score = overlap(sentence.text, terms) / (1 + 0.25 * rank)
        if score > 0 and (best is None or score > best[0]):
            best = (score, rank, passage, sentence)
    if best is None:
        return None
    score, _, passage, sentence = best
    claim = sentence_claim(passage, sentence, "answer")
    return Candidate(claim.text, SOURCE_WEIGHT["sentence"] * score, "sentence", (claim,))


def _merged(candidates: list[Candidate]) -> list[Candidate]:
    """One candidate per name (case and spacing aside): its best reading, a little stronger for each other way
    that reached it."""
    groups: dict[str, list[Candidate]] = {}
    for c in candidates:
        groups.setdefault(" ".join(c.name.lower().split()), []).append(c)
    merged = []
    for group in groups.values():
        best = max(group, key=lambda c: c.score)
        votes = len({claim.citations[0] for c in group for claim in c.claims if claim.citations})
        merged.append(Candidate(best.name, best.score * (1 + 0.05 * min(votes - 1, 4)), best.source, best.claims))
    return merged


# -- outcomes ---------------------------------------------------------------------------------------------------


def _bridges(result: RetrievalResult, terms: frozenset[str], limit: int = 3) -> list[str]:
    """Where the evidence stops: the entities, not named by the question, that relations the question names reach
    (along the best path first), else the best path's end."""
    reached: list[str] = []
    hops = [(t, path.entities[i + 1]) for path in result.paths[:1] for i, t in enumerate(path.triples)]
    hops += [(t, name) for t in result.triples for name in (t.object, t.subject)]
    for t, name in hops:
        if _predicate_named(t.predicate, terms) and not _in_question(name, result) and name not in reached:
            reached.append(name)
    if not reached and result.paths:
        reached.append(result.paths[0].entities[-1])
    return reached[:limit]


def _missing_hop(result: RetrievalResult, asked: Asked, terms: frozenset[str]) -> tuple[str, str | None]:
    """Which hop has no support (the asked kind of thing from where the evidence stops) and the question to ask
    again for it, with those entities named."""
    what = asked.noun or asked.kind
    bridges = _bridges(result, terms)
    if not bridges:
        return f"no {what} in the evidence", None
    return f"no {what} linked to {', '.join(bridges)}", f"{result.question} {' '.join(bridges)}"


def _answered(
    result: RetrievalResult, asked: Asked, best: Candidate, candidates: Sequence[Candidate], terms: frozenset[str]
) -> Answer:
    others = sorted((c.score for c in candidates if c is not best), reverse=True)
    margin = best.score - (others[0] if others else 0.0)
    answer_claims = [c for c in best.claims if c.role == "answer"]
    raw = max(0.0, min(1.0, result.confidence * best.score))
    features = {
        "raw": raw,
        "retrieval": result.confidence,
        "support": best.score,
        "margin": margin,
        "typed": 1.0 if asked.labels else 0.0,
        "overlap": max((overlap(c.text, terms) for c in answer_claims), default=0.0),
        "candidates": float(len(candidates)),
        "path": 1.0 if best.source == "path" else 0.0,
        "comparison": 1.0 if best.source == "comparison" else 0.0,
        "sentence": 1.0 if best.source == "sentence" else 0.0,
        "rounds": float(result.rounds),
    }
    return Answer(
        question=result.question,
        status="answered",
        answer=best.name,
        confidence=raw,
        claims=_reading_order(best.claims),
        asked=asked.kind if not asked.noun else f"{asked.kind}:{asked.noun}",
        source=best.source,
        verified=all(c.verified for c in best.claims),
        rounds=result.rounds,
        found=tuple(dict.fromkeys(p.title for p in result.passages)),
        retrieval_confidence=result.confidence,
        features=features,
    )


def _reading_order(claims: Sequence[Claim]) -> tuple[Claim, ...]:
    """Claims once each, in the order the chain reads (a path's hops are already in that order)."""
    seen: dict[tuple[str, int, int], Claim] = {}
    for claim in claims:
        key = (claim.citations[0].doc_id, claim.citations[0].start, claim.citations[0].end)
        if key not in seen or claim.role == "answer":
            seen[key] = claim
    return tuple(seen.values())


def _abstain(result: RetrievalResult, asked: Asked, missing: str, passages: Sequence[Passage]) -> Answer:
    return Answer(
        question=result.question,
        status="insufficient_evidence",
        answer="",
        confidence=0.0,
        asked=asked.kind if not asked.noun else f"{asked.kind}:{asked.noun}",
        rounds=result.rounds,
        missing=missing,
        found=tuple(dict.fromkeys(p.title for p in passages)),
        retrieval_confidence=result.confidence,
    )
