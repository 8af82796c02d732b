"""The guard admits no more chat questions than the chat's queue has room for, and refuses the rest at once."""

from __future__ import annotations

import asyncio
import json

import httpx

from rag.guard import ServerGuard

JOIN = "/gradio_api/queue/join"
BODY = {"data": ["研发经费占比目标是多少？", [], [], False], "fn_index": 0, "session_hash": "abc123"}


def _slow_chat(release: asyncio.Event, joined: list):
    """Stands for Gradio: a queue join answers only when ``release`` is set."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        if scope["path"] == JOIN:
            joined.append(1)
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"event_id": "e"}'})

    return app


def test_a_burst_beyond_the_room_is_told_busy_before_the_chat_reads_it():
    async def run():
        release, joined = asyncio.Event(), []
        guard = ServerGuard(_slow_chat(release, joined), ["testserver"], 1 << 20, chat_room=lambda: 2)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guard), base_url="http://testserver") as client:
            first = [asyncio.create_task(client.post(JOIN, json=BODY)) for _ in range(2)]
            await asyncio.sleep(0.05)  # both on their way into the queue, neither answered
            third = await client.post(JOIN, json=BODY)
            other = await client.post("/gradio_api/upload_progress", json={})  # not a question: not counted
            release.set()
            done = await asyncio.gather(*first)
            after = await client.post(JOIN, json=BODY)  # the first two were answered: room again
        return third, other, done, after, joined

    third, other, done, after, joined = asyncio.run(run())
    assert third.status_code == 503 and "queue is full" in third.json()["detail"].lower()
    assert "系统繁忙" in third.json()["error"]["message"] and third.headers["retry-after"]
    assert [r.status_code for r in done] == [200, 200] and after.status_code == 200
    assert len(joined) == 3  # the refused one never reached the chat
    assert other.status_code != 503
