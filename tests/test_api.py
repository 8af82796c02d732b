"""The HTTP API (rag.api) through a real HTTP client against a running server.

uvicorn serves `create_api` on a free loopback port in a thread, over an index
built on the fake embedder (fast tier). The library's own results are the
expected values: the API must return the same fields as the Python types.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import enum
import json
import socket
import threading
import time

import httpx
import numpy as np
import pytest

from rag import retrieval
from rag.answer import ask
from rag.api import create_api
from rag.build import build_index
from rag.embedding import register_embedder
from rag.serialize import to_jsonable
from rag.settings import Settings

from .conftest import CORPUS, FakeEmbedder

KEY = "test-key-1"
QUESTION = "山区26县规上工业增加值要达到多少？"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A FastAPI app served by uvicorn on a loopback port, in a thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def index_settings(tmp_path_factory) -> Settings:
    import shutil

    register_embedder("fake", FakeEmbedder())
    root = tmp_path_factory.mktemp("api")
    shutil.copytree(CORPUS, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index", model="fake", auto_rebuild=False)
    retrieval.reset_cache()
    build_index(settings)
    yield settings
    retrieval.reset_cache()


@pytest.fixture(scope="module")
def served(index_settings):
    """The API with a key required and generous limits."""
    s = Served(create_api(index_settings.replace(api_keys=(KEY, "other-key"), rate_limit_burst=1000)))
    yield s
    s.stop()


@pytest.fixture
def client(served):
    with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as c:
        yield c


def _error(r: httpx.Response, status: int, type_: str | None = None) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert isinstance(err["message"], str) and len(err["message"]) > 10
    if type_:
        assert err["type"] == type_
    return err["message"]


# --- the routes ----------------------------------------------------------------------


def test_ask_returns_the_answer_with_the_fields_of_the_python_type(client, index_settings):
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    body = r.json()
    expected = to_jsonable(ask(QUESTION, settings=index_settings.replace(api_keys=(KEY, "other-key"), rate_limit_burst=1000)))
    assert body == expected
    assert body["status"] == "answered" and body["found"] is True and "[1]" in body["text"]
    first = body["citations"][0]
    for name in ("text", "doc_id", "doc_title", "section", "start", "end", "score"):
        assert name in first
    assert first["end"] > first["start"]


def test_search_and_documents_match_the_library(client, index_settings):
    r = client.post("/api/search", json={"question": "工业用地", "k": 3, "retriever": "bm25"})
    assert r.status_code == 200, r.text
    passages = retrieval.get_retriever(index_settings).search("工业用地", 3, retriever="bm25")
    assert r.json() == {"passages": to_jsonable(passages)} and len(passages) == 3

    docs = client.get("/api/documents").json()["documents"]
    manifest = retrieval.get_retriever(index_settings).index.manifest
    assert [d["doc_id"] for d in docs] == [d.doc_id for d in manifest.documents]
    assert set(docs[0]) >= {"doc_id", "title", "issuer", "kind", "date"}


def test_health_needs_no_key(served):
    r = httpx.get(served.url + "/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["documents"] >= 5 and body["passages"] > 100 and body["model"].startswith("fake")


def test_bad_requests_get_json_errors_saying_what_to_do(client):
    msg = _error(client.post("/api/ask", content=b'{"question": "x"', headers={"content-type": "application/json"}), 400)
    assert "JSON" in msg
    assert "`question`" in _error(client.post("/api/ask", json={"questoin": "研发"}), 422)
    assert "JSON object" in _error(client.post("/api/ask", json=["研发"]), 422)
    assert "`k`" in _error(client.post("/api/ask", json={"question": "研发", "k": 0}), 422)
    # a question ask() cannot take: its own message, as an error
    assert "空" in _error(client.post("/api/ask", json={"question": "   "}), 422, "invalid_question")
    assert "POST" in _error(client.get("/api/ask"), 405)
    assert "/api/docs" in _error(client.get("/api/nothing-here"), 404, "not_found")
    assert "retriever" in _error(client.post("/api/search", json={"question": "研发", "retriever": "magic"}), 422)


def test_keys_missing_or_wrong_are_refused(served):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}, {"Authorization": "Basic " + KEY}):
        r = httpx.post(served.url + "/api/ask", json={"question": QUESTION}, headers=headers)
        assert "key" in _error(r, 401, "authentication_error").lower()
        assert r.headers["www-authenticate"] == "Bearer"
    assert httpx.get(served.url + "/v1/models").status_code == 401
    ok = httpx.post(served.url + "/api/search", json={"question": "研发"}, headers={"X-API-Key": "other-key"})
    assert ok.status_code == 200


def test_oversized_body_is_refused_before_it_is_read(served, index_settings):
    big = json.dumps({"question": "研" * (index_settings.max_request_bytes // 2)}).encode()
    headers = {"Authorization": f"Bearer {KEY}", "content-type": "application/json"}
    assert "RAG_MAX_REQUEST_BYTES" in _error(httpx.post(served.url + "/api/ask", content=big, headers=headers), 413)

    def chunked():  # no Content-Length: refused once the limit is passed
        for i in range(0, len(big), 4096):
            yield big[i : i + 4096]

    _error(httpx.post(served.url + "/api/ask", content=chunked(), headers=headers), 413, "request_too_large")


def test_every_response_has_security_headers_and_foreign_hosts_are_refused(served, client):
    r = client.get("/api/documents")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]
    for headers in ({"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}):
        bad = httpx.get(served.url + "/api/health", headers=headers)
        _error(bad, 400, "invalid_host")
        assert "evil" not in bad.text  # never repeated back
        assert bad.headers["x-frame-options"] == "DENY"
    assert httpx.get(served.url + "/api/health", headers={"Host": f"localhost:{served.port}"}).status_code == 200


def test_docs_are_served_offline(served):
    page = httpx.get(served.url + "/api/docs")
    assert page.status_code == 200
    assert "http://" not in page.text.replace("http://127.0.0.1", "") and "https://" not in page.text
    assert httpx.get(served.url + "/api/docs-static/swagger-ui-bundle.js").status_code == 200
    paths = httpx.get(served.url + "/api/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/search", "/api/documents", "/api/health", "/v1/chat/completions", "/v1/models"} <= set(paths)


# --- OpenAI-compatible routes -------------------------------------------------------------


def _chat(question: str, **kw) -> dict:
    return {"model": "zj-policy-rag", "messages": [{"role": "user", "content": question}], **kw}


def test_chat_completion_and_its_stream_read_to_the_end(client):
    models = client.get("/v1/models").json()
    assert [m["id"] for m in models["data"]] == ["zj-policy-rag"]

    whole = client.post("/v1/chat/completions", json=_chat(QUESTION)).json()
    content = whole["choices"][0]["message"]["content"]
    assert "[1]" in content and whole["choices"][0]["finish_reason"] == "stop"
    assert whole["citations"] and whole["citations"][0]["doc_id"] and whole["status"] == "answered"

    chunks, done = [], False
    with client.stream("POST", "/v1/chat/completions", json=_chat(QUESTION, stream=True)) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if not line:
                continue
            assert line.startswith("data: ")
            if line == "data: [DONE]":
                done = True
                continue
            assert not done, "nothing may follow [DONE]"
            chunks.append(json.loads(line[6:]))
    assert done and chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == content
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"] == whole["citations"]


def test_chat_completion_reads_content_parts_and_history(client):
    parts = [{"type": "text", "text": QUESTION}]
    r = client.post("/v1/chat/completions", json={"model": "zj-policy-rag", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": parts}]})
    assert r.status_code == 200 and "[1]" in r.json()["choices"][0]["message"]["content"]
    empty = client.post("/v1/chat/completions", json=_chat("  ")).json()  # a chat front-end shows the message
    assert empty["status"] == "invalid_question" and empty["citations"] == [] and "空" in empty["choices"][0]["message"]["content"]
    assert "zj-policy-rag" in _error(client.post("/v1/chat/completions", json={**_chat(QUESTION), "model": "gpt-4o"}), 404, "model_not_found")
    last_not_user = {"model": "zj-policy-rag", "messages": [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "…"}]}
    assert "user" in _error(client.post("/v1/chat/completions", json=last_not_user), 422)


def test_openai_client_gets_an_answer_with_citations(served):
    openai = pytest.importorskip("openai")
    oc = openai.OpenAI(base_url=served.url + "/v1", api_key=KEY, max_retries=0, timeout=30)
    assert [m.id for m in oc.models.list()] == ["zj-policy-rag"]
    resp = oc.chat.completions.create(model="zj-policy-rag", messages=[{"role": "user", "content": QUESTION}])
    assert "[1]" in resp.choices[0].message.content
    citations = resp.model_extra["citations"]
    assert citations and citations[0]["doc_id"] and citations[0]["text"]
    streamed = oc.chat.completions.create(model="zj-policy-rag", messages=[{"role": "user", "content": QUESTION}], stream=True)
    text, last = "", None
    for event in streamed:
        text += event.choices[0].delta.content or ""
        last = event
    assert text == resp.choices[0].message.content and last.model_extra["citations"] == citations
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=served.url + "/v1", api_key="wrong", max_retries=0).models.list()


# --- limits ---------------------------------------------------------------------------


def test_rate_limit_per_key(index_settings):
    s = Served(create_api(index_settings.replace(api_keys=("a", "b"), rate_limit_burst=2, rate_limit_per_minute=1)))
    try:
        codes = [httpx.post(s.url + "/api/search", json={"question": "研发"}, headers={"X-API-Key": "a"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = httpx.post(s.url + "/api/search", json={"question": "研发"}, headers={"X-API-Key": "a"})
        _error(r, 429, "rate_limit_exceeded")
        assert int(r.headers["retry-after"]) >= 1
        # another key has its own bucket
        assert httpx.post(s.url + "/api/search", json={"question": "研发"}, headers={"X-API-Key": "b"}).status_code == 200
    finally:
        s.stop()


def test_beyond_the_slots_and_queue_callers_are_told_busy_at_once(index_settings, monkeypatch):
    import rag.workers

    real = rag.workers.run

    def slow(kind, kwargs, settings):
        if kind == "ask":
            time.sleep(1.5)
        return real(kind, kwargs, settings)

    monkeypatch.setattr(rag.workers, "run", slow)
    s = Served(create_api(index_settings.replace(api_concurrency=1, api_queue=1)))
    try:
        def one(_):
            t = time.perf_counter()
            r = httpx.post(s.url + "/api/ask", json={"question": QUESTION}, timeout=30)
            return r, time.perf_counter() - t

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            results = list(pool.map(one, range(6)))
        answered = [r for r, _ in results if r.status_code == 200]
        busy = [(r, sec) for r, sec in results if r.status_code == 503]
        assert len(answered) == 2 and len(busy) == 4  # one answering, one waiting, the rest refused
        for r, seconds in busy:
            assert "busy" in _error(r, 503, "server_busy") and int(r.headers["retry-after"]) >= 1
            assert seconds < 1.0  # at once, not after a wait
        assert httpx.get(s.url + "/api/health").json()["load"]["answering"] == 0
    finally:
        s.stop()


# --- serialisation ------------------------------------------------------------------------


class _Status(enum.Enum):
    OK = "answered"


@dataclasses.dataclass(frozen=True)
class _Inner:
    score: float
    tags: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class _Outer:
    status: _Status
    inner: _Inner
    items: list
    _private: str = "hidden"
    extra: dict = dataclasses.field(default_factory=dict)


def test_serializer_walks_dataclasses_generically():
    obj = _Outer(_Status.OK, _Inner(np.float32(0.5), ("a", "b")), [np.int64(3), float("nan"), np.arange(2)], extra={"k": (1,)})
    out = to_jsonable(obj)
    assert out == {"status": "answered", "inner": {"score": 0.5, "tags": ["a", "b"]}, "items": [3, None, [0, 1]], "extra": {"k": [1]}}
    assert type(out["inner"]["score"]) is float and type(out["items"][0]) is int
    json.dumps(out)  # plain JSON
    with pytest.raises(TypeError, match="no JSON form"):
        to_jsonable(object())


# --- answering processes (real model: a spawned process cannot use the fake embedder) ---------


@pytest.mark.slow
def test_worker_processes_answer_like_the_library_and_recover_from_a_killed_one(real_settings):
    import os
    import signal

    s = Served(create_api(real_settings, workers=1, warm=True))
    try:
        question = "到2025年规上工业企业研发经费占营业收入比重要达到多少？"
        r = httpx.post(s.url + "/api/ask", json={"question": question}, timeout=60)
        assert r.status_code == 200 and r.json() == to_jsonable(ask(question, settings=real_settings))
        assert httpx.get(s.url + "/api/health").json()["workers"] == 1
        pool = s.server.config.app.state.service.run._pool
        for pid in list(pool._processes):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        gone = httpx.post(s.url + "/api/ask", json={"question": question}, timeout=60)
        assert gone.status_code == 500 and "again" in gone.json()["error"]["message"]
        again = httpx.post(s.url + "/api/ask", json={"question": question}, timeout=60)
        assert again.status_code == 200 and "2.5%" in again.json()["text"]
    finally:
        s.stop()


def test_server_settings_come_from_the_environment_and_keys_stay_out_of_repr():
    s = Settings.from_env({"RAG_API_KEYS": "k1, k2,,", "RAG_ALLOWED_HOSTS": "policy.intranet", "RAG_API_WORKERS": "2"})
    assert s.api_keys == ("k1", "k2") and s.allowed_hosts == ("policy.intranet",) and s.api_workers == 2
    assert "k1" not in repr(s)
    with pytest.raises(Exception, match="api_concurrency"):
        create_api(Settings(api_concurrency=0))


def test_host_names_are_matched_by_name_without_port():
    from rag.guard import host_allowed

    allowed = ("localhost", "::1", ".policy.intranet")
    assert host_allowed("localhost:7860", allowed) and host_allowed("[::1]:7860", allowed)
    assert host_allowed("chat.policy.intranet", allowed) and host_allowed("policy.intranet:80", allowed)
    assert not host_allowed("evilpolicy.intranet", allowed) and not host_allowed("localhost.evil.example", allowed)
    assert not host_allowed("", allowed) and host_allowed("anything", ("*",))
