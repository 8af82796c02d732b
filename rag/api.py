"""The HTTP API: the library's `ask`, `search` and documents as JSON, for other systems.

    from rag.api import create_api
    app = create_api(settings)          # a FastAPI app; app.py mounts the chat on it

Routes: ``POST /api/ask``, ``POST /api/search``, ``GET /api/documents``,
``GET /api/health``, and the OpenAI-compatible ``POST /v1/chat/completions`` and
``GET /v1/models`` (`rag.api_openai`). Documentation: ``/api/docs`` (served from
the package, nothing from outside) and ``/api/openapi.json``.

Answers and passages are the library's dataclasses as JSON (`rag.serialize`):
the same fields as the Python types. Every error is JSON
``{"error": {"message": ..., "type": ...}}`` whose message says what to do.
With ``api_keys`` set, every route but health needs ``Authorization: Bearer <key>``
(or ``X-API-Key``); each key (each client address when there are no keys) has a
token bucket; each server process answers ``api_concurrency`` questions at
once with ``api_queue`` waiting, and answers 503 "busy" with Retry-After beyond.
No gradio here: the library never imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import IndexStateError, InputError, RagError
from .limits import Busy, Gate, RateLimited, TokenBuckets
from .serialize import to_jsonable
from .settings import Settings
from .workers import ThreadRunner, make_runner

log = logging.getLogger("rag")

MAX_K = 50
MAX_HISTORY = 20  # earlier questions considered for a follow-up; more are refused, not read


class ApiError(Exception):
    """An error the API reports as ``{"error": {...}}`` with this status."""

    def __init__(self, status: int, message: str, type_: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.headers = status, message, type_, headers or {}


def error_response(status: int, message: str, type_: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type_, **extra}}, status_code=status, headers=headers)


class AskRequest(BaseModel):
    """A question, as `rag.ask` takes it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"question": "到2025年规上工业企业研发经费占营业收入比重要达到多少？"}]})
    question: str = Field(description="The question, in Chinese or English.")
    k: int = Field(5, ge=1, le=MAX_K, description="Passages to retrieve.")
    doc_ids: list[str] | None = Field(None, description="Only these documents (ids from GET /api/documents).")
    kinds: list[str] | None = Field(None, description='Only these kinds of document, e.g. ["policy"].')
    history: list[str] = Field(default_factory=list, max_length=MAX_HISTORY, description="Earlier questions of this conversation, oldest first.")


class SearchRequest(BaseModel):
    """A query, as `rag.search` takes it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"question": "工业用地出让比例", "k": 3}]})
    question: str
    k: int = Field(5, ge=1, le=MAX_K)
    doc_ids: list[str] | None = None
    kinds: list[str] | None = None
    retriever: Literal["hybrid", "dense", "bm25"] | None = None


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    """(status, message, param) for a request FastAPI could not read."""
    first = exc.errors()[0] if exc.errors() else {}
    kind, loc = first.get("type", ""), [str(x) for x in first.get("loc", ()) if x != "body"]
    if kind == "json_invalid":
        return 400, (
            "请求体不是有效的 JSON。(The request body is not valid JSON: send a JSON object such as "
            '{"question": "…"} with Content-Type: application/json.)'
        ), ""
    field = ".".join(loc)
    if kind == "missing":
        return 422, f"缺少字段 {field}。(Field `{field}` is required; see /api/docs for the request's fields.)", field
    if kind == "extra_forbidden":
        return 422, f"未知字段 {field}。(Unknown field `{field}`: correct or remove it; see /api/docs.)", field
    if kind in ("model_attributes_type", "dict_type") and not loc:
        return 422, '请求体应是 JSON 对象。(The body must be a JSON object such as {"question": "…"}.)', ""
    return 422, f"字段 {field} 无效：{first.get('msg', '')}。(Field `{field}`: {first.get('msg', '')}; see /api/docs.)", field


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.type, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, message, param = _validation_message(exc)
        return error_response(status, message, "invalid_request_error", param=param or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            message = f"{request.method} 不适用于 {request.url.path}。(Method {request.method} is not allowed here; see /api/docs.)"
        else:
            message = f"{exc.detail} (see /api/docs for the routes)"
        return error_response(exc.status_code, message, "invalid_request_error", getattr(exc, "headers", None))

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy) -> JSONResponse:
        return error_response(
            503,
            f"系统繁忙：当前提问的人较多，请 {exc.retry_after} 秒后再试。(The assistant is busy; retry in {exc.retry_after} s.)",
            "server_busy",
            {"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(RateLimited)
    async def _rate(request: Request, exc: RateLimited) -> JSONResponse:
        return error_response(
            429,
            f"请求过于频繁，请 {exc.retry_after} 秒后再试。(Too many requests for this key; retry in {exc.retry_after} s.)",
            "rate_limit_exceeded",
            {"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(IndexStateError)
    async def _index(request: Request, exc: IndexStateError) -> JSONResponse:
        return error_response(503, f"索引不可用。(The index cannot be used: {exc})", "index_unavailable")

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        return error_response(422, str(exc), "invalid_request_error")

    @app.exception_handler(RagError)
    async def _rag(request: Request, exc: RagError) -> JSONResponse:
        return error_response(500, str(exc), "server_error")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API request %s %s failed", request.method, request.url.path)
        return error_response(
            500, "服务器内部错误，请稍后再试。(Something went wrong on the server; try again. The server log has the details.)", "server_error"
        )


class Service:
    """What the routes share: settings, where work runs, the gate and the buckets."""

    def __init__(self, settings: Settings, workers: int = 0) -> None:
        for name in ("max_request_bytes", "api_concurrency", "rate_limit_burst"):
            if getattr(settings, name) < 1:
                raise InputError(f"Setting {name} must be at least 1, got {getattr(settings, name)}.")
        for name in ("api_queue", "api_queue_timeout", "rate_limit_per_minute"):
            if getattr(settings, name) < 0:
                raise InputError(f"Setting {name} must not be negative, got {getattr(settings, name)}.")
        self.settings = settings
        self.run = make_runner(settings, workers)
        # Manifest reads (documents, health) in this process's threads: never queued behind questions.
        self.local = ThreadRunner(settings)
        self.gate = Gate(settings.api_concurrency, settings.api_queue, settings.api_queue_timeout)
        self.buckets = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)

    def caller(self, request: Request) -> str:
        """The caller's key when keys are set (checked), else its address; raises `ApiError` 401."""
        keys = self.settings.api_keys
        if not keys:
            return "addr:" + (request.client.host if request.client else "?")
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip() if auth[:7].lower() == "bearer " else request.headers.get("x-api-key", "").strip()
        if not given:
            raise ApiError(
                401,
                "需要 API 密钥。(An API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`; "
                "ask the operator for a key.)",
                "authentication_error",
                {"WWW-Authenticate": "Bearer"},
            )
        if not any(hmac.compare_digest(given.encode(), k.encode()) for k in keys):
            raise ApiError(401, "API 密钥无效。(The API key is not valid: check it, or ask the operator for a new one.)", "authentication_error", {"WWW-Authenticate": "Bearer"})
        return "key:" + given

    @contextlib.asynccontextmanager
    async def answering(self, caller: str):
        """The rate limit, then an answering slot, for the body of the ``async with``."""
        self.buckets.take(caller)
        async with self.gate.slot():
            yield


def create_api(settings: Settings | None = None, *, workers: int | None = None, warm: bool = False) -> FastAPI:
    """The API as a FastAPI app. ``workers``: answering processes (default ``settings.api_workers``; 0: threads).
    ``warm``: load the index and model when the server starts rather than at the first question."""
    from fastapi_offline import FastAPIOffline

    settings = settings or Settings.from_env()
    service = Service(settings, settings.api_workers if workers is None else workers)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm:  # every answering process loads the index and the model now, not at its first question
            await asyncio.gather(*(service.run("warm") for _ in range(max(1, service.run.workers))))
        try:
            yield
        finally:
            service.run.close()

    app = FastAPIOffline(
        title="政策问答助手 API",
        version="1",
        description="Cited answers from Zhejiang's manufacturing policies. Errors: {\"error\": {\"message\", \"type\"}}.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        static_url="/api/docs-static",
        swagger_ui_parameters={"validatorUrl": None},  # the validator badge would call an outside host
        lifespan=lifespan,
    )
    app.state.service = service
    _install_error_handlers(app)
    from .guard import ServerGuard

    # Around everything, the chat mounted later included: hosts, body size, uploads, security headers.
    gated = {"/api/ask", "/api/search", "/v1/chat/completions"}
    from . import admin_auth
    from .manage import MAX_BYTES

    app.add_middleware(
        ServerGuard,
        allowed_hosts=settings.allowed_hosts,
        max_request_bytes=settings.max_request_bytes,
        busy=lambda path: service.gate.full() if path in gated else None,
        # The administrator's tab uploads through Gradio's route; everyone else is refused it.
        admin=(lambda headers: admin_auth.is_admin(headers, settings)) if admin_auth.enabled(settings) else None,
        upload_bytes=MAX_BYTES,  # what one library file may be (checked again per file by rag.manage)
    )
    admin_auth.install_routes(app, settings)

    def caller(request: Request) -> str:
        return service.caller(request)

    @app.post("/api/ask", tags=["answers"], summary="Answer a question, citing every statement")
    async def api_ask(body: AskRequest, who: str = Depends(caller)) -> dict:
        """The `Answer`: ``text`` with markers [1], [2]…, ``citations`` ([1] is ``citations[0]``), ``status``, ``found``….
        A question that cannot be asked as given (empty, too long) gets 422 with the message saying what to do."""
        async with service.answering(who):
            answer = await service.run("ask", **body.model_dump())
        status = getattr(answer.status, "value", answer.status)
        if status == "invalid_question":
            raise ApiError(422, answer.text, "invalid_question")
        return to_jsonable(answer)

    @app.post("/api/search", tags=["answers"], summary="The passages that best match a query")
    async def api_search(body: SearchRequest, who: str = Depends(caller)) -> dict:
        """``{"passages": [Passage…]}``, best first."""
        filters = {k: v for k, v in body.model_dump().items() if k != "retriever" or v is not None}
        async with service.answering(who):
            passages = await service.run("search", **filters)
        return {"passages": to_jsonable(passages)}

    @app.get("/api/documents", tags=["documents"], summary="The indexed documents")
    async def api_documents(who: str = Depends(caller)) -> dict:
        """``{"documents": [{doc_id, title, issuer, kind, date, chunks}…]}`` from the index manifest."""
        return {"documents": to_jsonable(await service.local("documents"))}

    @app.get("/api/health", tags=["service"], summary="Whether the service can answer (no key needed)")
    async def api_health() -> dict:
        info = await service.local("health")
        return {"status": "ok", **info, "load": service.gate.state(), "workers": service.run.workers}

    from .api_openai import install_openai_routes

    install_openai_routes(app, service, caller)

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    async def unknown(rest: str, request: Request) -> JSONResponse:
        path = request.url.path
        allowed = sorted({m for r in app.routes if getattr(r, "path", None) == path for m in getattr(r, "methods", ()) or ()})
        if allowed:
            return error_response(
                405, f"{request.method} 不适用于 {path}。(Use {' or '.join(allowed)} for {path}; see /api/docs.)",
                "invalid_request_error", {"Allow": ", ".join(allowed)},
            )
        return error_response(404, f"没有这个接口：{path}。(No such route; see /api/docs for the routes.)", "not_found")

    return app
