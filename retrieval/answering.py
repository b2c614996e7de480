"""From a question to an answer: retrieve (through the trust step), answer from what was retrieved, and when the
answer is unsure because a hop has no support, retrieve once more for that hop before abstaining.

Every retrieval here is ``Retriever.retrieve``: verified, audited and masked; nothing reads around it. The graph
read for entity types (``GraphStore.entities``) runs with the caller's access, as every other read does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from kg.model import Access
from kg.store import GraphStore
from retrieval.answer import Answer, ExtractiveAnswerer
from retrieval.calibration import recorded
from retrieval.generator import ChatGenerator
from retrieval.result import RetrievalResult
from retrieval.trust import Retriever


class Answering:
    def __init__(self, retriever: Retriever, store: GraphStore, answerer: ExtractiveAnswerer, model: str) -> None:
        """``model``: the embedding model's id, which chooses the recorded calibration (none: raw confidence)."""
        self.retriever = retriever
        self.store = store
        self.answerer = answerer
        self.calibration = recorded(model)

    def run(self, question: str, access: Access, k: int, generator: ChatGenerator | None = None) -> Answer:
        """The extractive answer, or with ``generator`` the generated one, checked against the same evidence."""
        settings = self.answerer.settings
        result = self.retriever.retrieve(question, access, k)
        answer = self._answer(result, access)
        if settings.retry and answer.next_hop is not None and answer.confidence < settings.retry_below:
            again = replace(self.retriever.retrieve(answer.next_hop, access, k), question=question)
            second = self._answer(again, access)
            rounds = result.rounds + again.rounds
            if second.confidence > answer.confidence:
                answer, result = second, again
            answer = replace(answer, rounds=rounds, retrievals=2, next_hop=answer.next_hop)
        if generator is not None:
            answer = generator.run(result, answer)
        if answer.status == "answered" and answer.confidence < settings.min_confidence:
            answer = replace(answer, status="insufficient_evidence", answer="", claims=())
        return answer

    def _answer(self, result: RetrievalResult, access: Access) -> Answer:
        def entity_types(ids: Sequence[str]) -> Mapping[str, str]:
            return {e.id: e.type for e in self.store.entities(ids, access)} if ids else {}

        found = self.answerer.run(result, entity_types)
        if self.calibration is None or found.status != "answered":
            return found
        return replace(found, confidence=self.calibration.probability(found.features), calibrated=True)
