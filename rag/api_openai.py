"""OpenAI-compatible routes, so a chat front-end can use the assistant as a "model".

``POST /v1/chat/completions`` answers the last user message with `rag.ask`, the
earlier user messages as the conversation's history. The message content is
the answer text with its [n] markers; the response (and the last chunk of a
stream) carries ``citations`` (the passages, [1] first), ``status`` and
``found`` as extra fields. ``stream: true`` sends server-sent events, the
answer a statement at a time, then ``data: [DONE]``. Optional extra fields:
``doc_ids``, ``kinds``, ``k`` (as for ``POST /api/ask``). Sampling fields
(temperature, max_tokens…) are accepted and ignored: there is no language model.
A question that cannot be asked as given is answered with the message that
says what to do, ``status: "invalid_question"``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any, Callable, Iterator

from fastapi import Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from .serialize import to_jsonable

MODEL_ID = "zj-policy-rag"
CREATED = 1764547200  # 2025-12-01, when the model id was first served
MAX_MESSAGES = 200
_PIECE = re.compile(r"[^\n]*?(?:\[\d+\][。；;，,.]?|\n)|[^\n]+$")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"model": MODEL_ID, "messages": [{"role": "user", "content": "浙江要打造哪4个世界级先进产业群？"}]}]},
    )
    model: str = Field(description=f'"{MODEL_ID}" (GET /v1/models)')
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    k: int = Field(5, ge=1, le=50)
    doc_ids: list[str] | None = None
    kinds: list[str] | None = None


def message_text(content: Any) -> str:
    """The text of a message: a string, or a list of content parts ({"type": "text", "text": …})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type", "text") == "text")
    return ""


def pieces(text: str) -> list[str]:
    """The answer in the pieces a stream sends: up to each marker (with its punctuation) or line end."""
    out = _PIECE.findall(text)
    return out if "".join(out) == text and out else [text]


def install_openai_routes(app: FastAPI, service: Any, caller: Callable[[Request], str]) -> None:
    """Add ``/v1/models`` and ``/v1/chat/completions`` to ``app`` (see the module's docstring)."""
    from .api import ApiError  # noqa: PLC0415 - api imports this module

    @app.get("/v1/models", tags=["openai"], summary="The one model: this assistant")
    async def models(who: str = Depends(caller)) -> dict:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": "zj-policy-rag"}]}

    @app.post("/v1/chat/completions", tags=["openai"], summary="Answer the last user message (OpenAI chat format)")
    async def completions(body: ChatRequest, who: str = Depends(caller)):
        if body.model != MODEL_ID:
            raise ApiError(404, f"没有模型 {body.model[:80]!r}。(Unknown model: use \"{MODEL_ID}\", the one GET /v1/models lists.)", "model_not_found")
        if body.messages[-1].role != "user":
            raise ApiError(422, "最后一条消息应是用户的问题。(The last message must be the user's question, role \"user\".)", "invalid_request_error")
        question = message_text(body.messages[-1].content)
        history = [message_text(m.content) for m in body.messages[:-1] if m.role == "user"][-20:]
        async with service.answering(who):
            answer = await service.run("ask", question=question, k=body.k, doc_ids=body.doc_ids, kinds=body.kinds, history=history)
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        extra = {
            "citations": to_jsonable(answer.citations),
            "status": to_jsonable(answer.status),
            "found": bool(answer.found),
        }
        if not body.stream:
            return {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text}, "finish_reason": "stop"}],
                **extra,
            }

        def chunk(delta: dict, finish: str | None = None, **more: Any) -> str:
            data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            for piece in pieces(answer.text):
                yield chunk({"content": piece})
            yield chunk({}, "stop", **extra)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
