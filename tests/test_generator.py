"""The generated answer: a local stub speaking the OpenAI chat protocol on 127.0.0.1 (no network), and kgrag
checking that every sentence it writes cites numbered evidence that exists."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from kg.errors import ConfigError, GeneratorError
from retrieval.claims import Answer
from retrieval.generator import ABSTAIN, ChatGenerator, GeneratorSettings
from retrieval.result import Passage, RetrievalResult


class Stub:
    """Answers every chat completion with ``reply`` and keeps the requests it got."""

    def __init__(self) -> None:
        self.reply = ""
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": stub.reply}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def stub() -> Iterator[Stub]:
    running = Stub()
    yield running
    running.server.shutdown()


def passage(n: int, text: str, verified: bool = True) -> Passage:
    return Passage(f"c{n}", f"d{n}", f"Doc {n}", f"/d{n}", "a" * 64, 0, len(text), text, 1.0, verified=verified)


RESULT = RetrievalResult(
    "Who leads HLV-301?",
    "answered",
    0.9,
    passages=(
        passage(1, "Dr. Amara Okafor leads HLV-301."),
        passage(2, "HLV-301 enrolled 1,204 patients."),
        passage(3, "An unrelated page.", verified=False),
    ),
)
EXTRACTIVE = Answer(RESULT.question, "answered", "Amara Okafor", 0.8)


def generate(stub: Stub, reply: str, uncited: str = "flag") -> Answer:
    stub.reply = reply
    settings = GeneratorSettings(stub.url, "stub-model", "secret", uncited)  # type: ignore[arg-type]
    return ChatGenerator(settings).run(RESULT, EXTRACTIVE)


def test_numbered_evidence_is_sent_and_every_cited_sentence_traces(stub: Stub) -> None:
    found = generate(stub, "Amara Okafor leads HLV-301 [1]. The trial enrolled 1,204 patients [1][2].")
    request = stub.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    assert request["body"]["model"] == "stub-model"
    prompt = request["body"]["messages"][-1]["content"]
    assert "[1] Doc 1\nDr. Amara Okafor leads HLV-301." in prompt and "Question: Who leads HLV-301?" in prompt
    assert found.status == "answered" and found.mode == "generated" and found.verified
    assert [c.text for c in found.claims] == ["Amara Okafor leads HLV-301.", "The trial enrolled 1,204 patients."]
    assert [[c.doc_id for c in claim.citations] for claim in found.claims] == [["d1"], ["d1", "d2"]]
    assert found.confidence == pytest.approx(0.8)


def test_a_sentence_without_a_valid_citation_is_flagged_or_removed(stub: Stub) -> None:
    reply = "Amara Okafor leads HLV-301 [1]. She was born in Enugu. She won a prize [7]. It is listed [3]."
    flagged = generate(stub, reply)
    assert [c.verified for c in flagged.claims] == [True, False, False, False]  # none, out of range, unverified
    assert not flagged.verified and flagged.confidence == pytest.approx(0.8 / 4)
    removed = generate(stub, reply, uncited="remove")
    assert [c.text for c in removed.claims] == ["Amara Okafor leads HLV-301."] and removed.verified
    assert removed.answer == "Amara Okafor leads HLV-301."


def test_the_generator_may_abstain_and_nothing_traced_is_no_answer(stub: Stub) -> None:
    abstained = generate(stub, ABSTAIN)
    assert abstained.status == "insufficient_evidence" and abstained.answer == "" and abstained.missing
    nothing = generate(stub, "Nothing here is cited.", uncited="remove")
    assert nothing.status == "insufficient_evidence" and nothing.claims == ()


def test_an_unreachable_or_malformed_endpoint_is_a_generator_error(stub: Stub) -> None:
    with pytest.raises(GeneratorError, match="failed"):
        ChatGenerator(GeneratorSettings("http://127.0.0.1:9/v1", "m", timeout=2)).run(RESULT, EXTRACTIVE)
    stub.reply = ""
    with pytest.raises(ConfigError, match="http"):
        GeneratorSettings("ftp://x", "m")
    with pytest.raises(ConfigError, match="uncited"):
        GeneratorSettings(stub.url, "m", uncited="drop")  # type: ignore[arg-type]
