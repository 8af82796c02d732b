"""What every request to the server passes first (the chat's and the API's alike).

One ASGI middleware, so streamed answers pass through untouched:

- the ``Host`` (and ``X-Forwarded-Host``) header must name this server
  (``allowed_hosts``); another gets 400 without being repeated back, so no page
  or ``/config`` ever carries a host an attacker chose;
- a body over ``max_request_bytes`` gets 413, by its ``Content-Length`` before it
  is read (a chunked body is read here up to the limit);
- blocked paths (Gradio's file upload: officials' chat takes no files) get 403, except
  Gradio's upload route for the library's administrator (``admin``: their session cookie
  or token, `rag.admin_auth`), whose body may be up to ``upload_bytes``;
- a chat request whose history is not a list of messages, or is too long, gets
  422 before Gradio validates it (and logs every bad item);
- every response gets the security headers below.

Refusals are JSON ``{"error": {"message", "type"}}``, like the API's errors.
"""

from __future__ import annotations

import json
from typing import Callable, Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Gradio's page runs inline scripts and styles ('unsafe-inline') and builds some functions at
# run time ('unsafe-eval': without it the sources panel's js_on_load never runs and no source
# card appears; test_browser checks). What the policy keeps out is anything from another
# origin, framing, plugins and form posts elsewhere.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}
BLOCKED_PATHS = ("/gradio_api/upload", "/upload")
ADMIN_UPLOAD_PATH = "/gradio_api/upload"  # the one upload route the administrator's tab uses
CHAT_PREFIX = "/gradio_api/"
# A chat request's lists (its history, the chosen documents) hold at most this many items,
# each a string or a message {"role": "user"|"assistant", …}. Gradio validates them
# itself, but prints every item's error: one malformed 20,000-item history was 60,000 log lines.
MAX_CHAT_ITEMS = 400


def _is_file(value: object) -> bool:
    """A file the administrator's tab sends (Gradio's FileData: {"path", "orig_name", "meta": {"_type"}})."""
    return isinstance(value, dict) and isinstance(value.get("meta"), dict) and value["meta"].get("_type") == "gradio.FileData"


def chat_payload_problem(body: bytes, files: bool = False) -> str:
    """Why a request to the chat's routes (Gradio's wire format: {"data": [input, …]}) is refused, or "".
    ``files``: the request is the administrator's, whose lists may hold uploaded files."""
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError:
        return "请求体不是有效的 JSON。(The request body is not valid JSON.)"
    data = payload.get("data") if isinstance(payload, dict) else None
    for value in data if isinstance(data, list) else []:
        if not isinstance(value, list):
            continue
        if len(value) > MAX_CHAT_ITEMS or not all(
            isinstance(v, str) or (isinstance(v, dict) and v.get("role") in ("user", "assistant")) or (files and _is_file(v))
            for v in value
        ):
            return (
                f"对话记录格式不对或超过 {MAX_CHAT_ITEMS} 条，请点“新对话”或刷新页面。(The chat history is malformed or "
                f"longer than {MAX_CHAT_ITEMS} messages: start a new conversation or reload the page.)"
            )
    return ""


def host_name(value: str) -> str:
    """The host part of a Host header value, lower-cased: "[::1]:7860" -> "::1"."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_allowed(value: str, allowed: Iterable[str]) -> bool:
    """``value`` (a Host header) names an allowed host: exact, "*" for any, ".example.org" for its subdomains."""
    name = host_name(value)
    if not name:
        return False
    for a in allowed:
        a = a.strip().lower()
        if a == "*" or a == name or (a.startswith(".") and (name.endswith(a) or name == a[1:])):
            return True
    return False


# Where the chat's questions join Gradio's queue (its page, its client, its REST call route).
CHAT_QUEUE_PATHS = frozenset({"/gradio_api/queue/join", "/gradio_api/call/chat", "/gradio_api/call/v2/chat"})
CHAT_FULL_DETAIL = "Queue is full. The assistant is busy."  # Gradio's words: its page shows them as busy
CHAT_BUSY_TEXT = "系统繁忙：当前提问的人较多，请稍后再试。(The assistant is busy; please try again shortly.)"


def error_body(message: str, type_: str, **fields: str) -> bytes:
    """The JSON of a refusal: ``{"error": {"message", "type"}}``, and ``fields`` beside it."""
    return json.dumps({**fields, "error": {"message": message, "type": type_}}, ensure_ascii=False).encode("utf-8")


class ServerGuard:
    """The checks above around ``app`` (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: Iterable[str],
        max_request_bytes: int,
        blocked_paths: Iterable[str] = BLOCKED_PATHS,
        busy: Callable[[str], int | None] | None = None,
        admin: Callable[[Headers], bool] | None = None,
        upload_bytes: int = 0,
        chat_room: Callable[[], int] | None = None,
    ) -> None:
        self.app = app
        self.chat_room = chat_room  # how many more questions the chat's queue takes
        self._joining = 0  # chat questions passed on whose queue join has not answered yet
        self.allowed_hosts = tuple(allowed_hosts)
        self.max_bytes = max_request_bytes
        self.blocked = tuple(blocked_paths)
        # path -> seconds to wait when every answering slot and waiting place is taken, else None:
        # checked before the body is read or the request parsed, so "busy" costs next to nothing.
        self.busy = busy
        self.admin = admin  # headers -> whether the request is the administrator's (None: no administrator)
        self.upload_bytes = upload_bytes

    async def _refuse(
        self, scope: Scope, send: Send, status: int, message: str, type_: str, headers: dict[str, str] | None = None, **fields: str
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = error_body(message, type_, **fields)
        raw = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        raw += [(k.encode(), v.encode()) for k, v in {**SECURITY_HEADERS, **(headers or {})}.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        hosts = [headers.get("host", "")] + headers.getlist("x-forwarded-host")
        if not all(host_allowed(h.split(",")[0], self.allowed_hosts) for h in hosts):
            await self._refuse(
                scope, send, 400,
                "请求的主机名不属于本服务。(The Host header does not name this server: use its configured address; "
                "the operator lists the names it answers in RAG_ALLOWED_HOSTS.)",
                "invalid_host",
            )
            return
        path = scope.get("path", "")
        upload = any(path == b or path.endswith(b) for b in self.blocked)
        if upload and path == ADMIN_UPLOAD_PATH and scope["type"] == "http" and self.admin is not None and self.admin(headers):
            await self._upload(scope, receive, send, headers)
            return
        if upload:
            await self._refuse(scope, send, 403, "本服务不接受上传文件。(This server takes no file uploads.)", "upload_disabled")
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if self.busy is not None and scope.get("method") == "POST" and (retry := self.busy(path)) is not None:
            await self._refuse(
                scope, send, 503,
                f"系统繁忙：当前提问的人较多，请 {retry} 秒后再试。(The assistant is busy; retry in {retry} s.)",
                "server_busy", {"retry-after": str(retry)},
            )
            return
        if self.chat_room is not None and scope.get("method") == "POST" and path in CHAT_QUEUE_PATHS:
            # Told at once, before Gradio parses the request: under load its own "queue is full" comes
            # only after the event loop has worked through everyone ahead (seconds at 200 users).
            # Questions still on their way into the queue count too, or all of a burst would pass.
            if self._joining >= self.chat_room():
                # Gradio's own words for a full queue (its page and its client read ``detail``), and ours.
                await self._refuse(scope, send, 503, CHAT_BUSY_TEXT, "server_busy", {"retry-after": "5"}, detail=CHAT_FULL_DETAIL)
                return
            self._joining += 1
            started = False

            async def counted(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start" and not started:
                    started = True
                    self._joining -= 1
                await send(message)

            try:
                await self._checked(scope, receive, counted, headers, path)
            finally:
                if not started:
                    self._joining -= 1
            return
        await self._checked(scope, receive, send, headers, path)

    async def _checked(self, scope: Scope, receive: Receive, send: Send, headers: Headers, path: str) -> None:
        """The body checks, then the app."""
        too_large = (
            f"请求内容超过 {self.max_bytes:,} 字节的上限。(The request body is larger than {self.max_bytes:,} bytes: "
            "send a shorter question or history; the limit is the server's RAG_MAX_REQUEST_BYTES.)"
        )
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, send, 413, too_large, "request_too_large")
            return

        checked = scope.get("method") == "POST" and path.startswith(CHAT_PREFIX)
        if checked or (not length.isdigit() and scope.get("method") in ("POST", "PUT", "PATCH")):
            # Read here, up to the limit (a chunked body has no length to refuse it by), then handed on.
            chunks, size, more = [], 0, True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                more = message.get("more_body", False)
                if size > self.max_bytes:
                    await self._refuse(scope, send, 413, too_large, "request_too_large")
                    return
            body = b"".join(chunks)
            if checked and (problem := chat_payload_problem(body, files=self.admin is not None and self.admin(headers))):
                await self._refuse(scope, send, 422, problem, "invalid_request_error")
                return
            pending = [{"type": "http.request", "body": body, "more_body": False}]
            original = receive

            async def replay() -> Message:
                return pending.pop() if pending else await original()

            receive = replay

        await self.app(scope, receive, _with_headers(send))

    async def _upload(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        """The administrator's upload: streamed on to Gradio (never held here), refused past ``upload_bytes``."""
        mb = self.upload_bytes // 2**20
        too_large = (
            f"上传内容超过 {mb} MB 的上限，未收录。(The upload is larger than {mb} MB and was not taken: a file may be at "
            f"most {mb} MB; upload fewer files at a time.)"
        )
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.upload_bytes:
            await self._refuse(scope, send, 413, too_large, "request_too_large")
            return
        size, refused = 0, False
        forward = _with_headers(send)

        async def counted() -> Message:
            nonlocal size, refused
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.upload_bytes and not refused:
                    refused = True
                    await self._refuse(scope, send, 413, too_large, "request_too_large")
                    return {"type": "http.disconnect"}  # Gradio stops reading and drops what it wrote
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await forward(message)

        await self.app(scope, counted, unless_refused)


def _with_headers(send: Send) -> Send:
    """``send`` adding the security headers to the response's start."""

    async def guarded_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return guarded_send
