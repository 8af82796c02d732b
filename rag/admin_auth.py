"""Who is the library's administrator: the token from the environment (``RAG_ADMIN_TOKEN``).

No token set: there is no administrator (no tab, no routes, uploads refused as for
everyone). With one, the administrator opens ``/admin`` and gives it once; the server
answers with a session cookie (HttpOnly, SameSite=Strict, 8 hours) that is a signature
of its expiry made with the token, so the token itself is never stored in the browser.
A request is the administrator's when it carries that cookie or the token itself in
``X-Admin-Token`` (scripts); every comparison is constant-time (`hmac.compare_digest`).
No gradio here: the guard and the API use it too.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' `Request` annotations at run time.
import asyncio
import hashlib
import hmac
import html
import time
from http.cookies import CookieError, SimpleCookie
from typing import Any, Mapping

from .settings import Settings

COOKIE = "rag_admin"
HEADER = "x-admin-token"
SESSION_SECONDS = 8 * 3600
FAILED_LOGIN_DELAY = 1.0  # seconds a wrong token waits: guessing gets slow, the administrator barely notices


def enabled(settings: Settings) -> bool:
    """Whether the library has an administrator at all."""
    return bool(settings.admin_token)


def token_matches(given: str, settings: Settings) -> bool:
    """``given`` is the administrator's token (constant-time; False when there is none)."""
    if not enabled(settings) or not isinstance(given, str):
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), settings.admin_token.encode("utf-8"))


def _signature(settings: Settings, expires: int) -> str:
    return hmac.new(settings.admin_token.encode("utf-8"), f"rag-admin-session:{expires}".encode(), hashlib.sha256).hexdigest()


def session_value(settings: Settings, now: float | None = None) -> str:
    """The cookie value of a new administrator session: "<expiry>.<signature>"."""
    expires = int((time.time() if now is None else now) + SESSION_SECONDS)
    return f"{expires}.{_signature(settings, expires)}"


def session_valid(value: str, settings: Settings, now: float | None = None) -> bool:
    """``value`` is a session this token signed and it has not expired."""
    if not enabled(settings) or not isinstance(value, str) or "." not in value:
        return False
    expires, _, signature = value.partition(".")
    if not expires.isdigit() or int(expires) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(signature.encode(), _signature(settings, int(expires)).encode())


def cookie_from(header: str) -> str:
    """The session cookie's value in a ``Cookie`` header, or ""."""
    try:
        jar = SimpleCookie(header or "")
    except CookieError:
        return ""
    return jar[COOKIE].value if COOKIE in jar else ""


def is_admin(headers: Mapping[str, str] | Any, settings: Settings) -> bool:
    """Whether a request with these headers is the administrator's (session cookie or ``X-Admin-Token``)."""
    if not enabled(settings) or headers is None:
        return False
    get = headers.get
    token = get(HEADER) or get("X-Admin-Token") or ""
    if token and token_matches(token, settings):
        return True
    return session_valid(cookie_from(get("cookie") or get("Cookie") or ""), settings)


NOT_ADMIN = "需要管理员令牌：请先在 /admin 输入令牌。(This needs the administrator's token: open /admin and give it first.)"

_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>管理员登录</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:420px;margin:80px auto;padding:0 16px;color:#222}}
h1{{font-size:22px;color:#8e1515}}input{{width:100%;padding:8px;font-size:15px;box-sizing:border-box}}
button{{margin-top:12px;padding:8px 18px;font-size:15px;background:#b71c1c;color:#fff;border:0;border-radius:4px}}
.msg{{color:#b71c1c;margin:10px 0}}</style></head><body>
<h1>政策问答助手 · 管理员登录</h1>{message}
<form method="post" action="/admin/login"><label for="token">管理员令牌（RAG_ADMIN_TOKEN）</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus>
<button type="submit">登录</button></form>
<p><a href="/">返回问答</a></p></body></html>"""


def install_routes(app: Any, settings: Settings) -> None:
    """``GET /admin`` (the login form), ``POST /admin/login`` (sets the session cookie, back to the chat),
    ``POST /admin/logout``. Nothing is installed when there is no token."""
    if not enabled(settings):
        return
    from fastapi import Request
    from fastapi.responses import HTMLResponse, RedirectResponse

    def page(message: str = "", status: int = 200) -> HTMLResponse:
        shown = f'<p class="msg">{html.escape(message)}</p>' if message else ""
        return HTMLResponse(_PAGE.format(message=shown), status_code=status, headers={"cache-control": "no-store"})

    @app.get("/admin", include_in_schema=False)
    async def admin_page(request: Request) -> HTMLResponse:
        return page()

    @app.post("/admin/login", include_in_schema=False)
    async def admin_login(request: Request):
        form = await request.form()
        if not token_matches(str(form.get("token") or ""), settings):
            await asyncio.sleep(FAILED_LOGIN_DELAY)
            return page("令牌不对。(Wrong token: give the value of RAG_ADMIN_TOKEN.)", 401)
        response = RedirectResponse("/", status_code=303)
        secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
        response.set_cookie(COOKIE, session_value(settings), max_age=SESSION_SECONDS, httponly=True, samesite="strict",
                            secure=secure, path="/")
        return response

    @app.post("/admin/logout", include_in_schema=False)
    async def admin_logout(request: Request):
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response
