"""The whole server of app.py (the API with the chat mounted), over a real HTTP connection.

Fast tier: `create_app` is served by uvicorn in a thread, on an index built on
the fake embedder (the chat answers from it too).
"""

from __future__ import annotations

import json

import httpx
import pytest

from .test_api import QUESTION, Served, index_settings  # noqa: F401 - the module's index fixture


@pytest.fixture(scope="module")
def site(index_settings):  # noqa: F811
    import app

    s = Served(app.create_app(index_settings))
    yield s
    s.stop()
    app.configure(None)


def _chat_call(url: str, data: list, timeout: float = 60) -> httpx.Response:
    return httpx.post(url + "/gradio_api/call/chat", json={"data": data}, timeout=timeout)


def test_page_and_api_come_from_one_server_with_security_headers(site):
    page = httpx.get(site.url + "/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "connect-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    config = httpx.get(site.url + "/config")
    assert config.status_code == 200 and config.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(site.url + "/api/health").json()["status"] == "ok"
    assert httpx.get(site.url + "/gradio_api/info").status_code == 200


def test_the_chat_still_answers_through_the_guard(site):
    r = _chat_call(site.url, [QUESTION, [], [], False])
    assert r.status_code == 200, r.text
    event = r.json()["event_id"]
    stream = httpx.get(f"{site.url}/gradio_api/call/chat/{event}", timeout=60).text
    assert "event: complete" in stream and "answer" in stream


def test_foreign_host_is_refused_and_never_echoed(site):
    for headers in ({"Host": "evil.example:7860"}, {"X-Forwarded-Host": "evil.example"}):
        r = httpx.get(site.url + "/config", headers=headers)
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_host"
        assert "evil" not in r.text
    ok = httpx.get(site.url + "/config", headers={"Host": f"localhost:{site.port}"})
    assert ok.status_code == 200 and "evil" not in ok.text


def test_uploads_are_turned_off(site):
    r = httpx.post(site.url + "/gradio_api/upload", files={"files": ("a.txt", b"x" * 1000)})
    assert r.status_code == 403 and r.json()["error"]["type"] == "upload_disabled"
    big = httpx.post(site.url + "/gradio_api/upload", files={"files": ("a.bin", b"x" * 2_000_000)})
    assert big.status_code in (403, 413)


def test_malformed_huge_history_is_refused_without_flooding_the_log(site, capfd):
    capfd.readouterr()
    r = _chat_call(site.url, [QUESTION, [1] * 20_000, [], False])
    assert r.status_code == 422 and "新对话" in r.json()["error"]["message"]
    many = [{"role": "user", "content": "研发"}] * 5_000  # well-formed, but longer than any real conversation
    assert _chat_call(site.url, [QUESTION, many, [], False]).status_code == 422
    out = capfd.readouterr()
    assert len((out.out + out.err).splitlines()) < 20  # was 60,000 lines: one traceback listing every item


def test_oversized_chat_request_gets_413(site, index_settings):  # noqa: F811
    data = json.dumps({"data": ["研" * index_settings.max_request_bytes, [], [], False]})
    r = httpx.post(site.url + "/gradio_api/queue/join", content=data, headers={"content-type": "application/json"})
    assert r.status_code == 413
