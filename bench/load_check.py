"""Load check: many officials asking at once. Not a test: it reports, it does not judge timings.

    python bench/load_check.py                         # starts app.py on a free port, 50 users
    python bench/load_check.py --url http://127.0.0.1:7860/ --users 80 [--client gradio]
    python bench/load_check.py --api-users 200 --chat-users 50 [--api-workers 2]   # API and chat at once

Sends ``--users`` questions at the same moment to the chat's ``/chat`` endpoint
through gradio_client, each from its own client, and reports how many got an
answer (or the not-found message), how many got the queue's busy message, how
many failed otherwise, and the latency p50/p95 of those answered. Every request
must end as an answer or the busy message: anything else is a failure and makes
the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# gradio_client must not look for updates or reach a hub from the intranet.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "localhost,127.0.0.1")

ROOT = Path(__file__).resolve().parent.parent
FALLBACK = ["到2025年规上工业企业研发经费占营业收入比重要达到多少？", "浙江要打造哪4个世界级先进产业群？", "明天杭州会下雨吗？"]


@dataclass(frozen=True)
class Outcome:
    kind: str  # "answered" | "busy" | "error"
    seconds: float
    detail: str = ""


def questions(n: int) -> list[str]:
    """n questions from the development set (in and out of scope), else a short fallback list."""
    path = ROOT / "eval" / "questions" / "corpus" / "dev.jsonl"
    pool = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.exists() else []
    pool = pool or FALLBACK
    return [pool[(i * 7) % len(pool)] for i in range(n)]


def ask_once(url: str, question: str, start: threading.Event) -> Outcome:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return Outcome("error", 0.0, f"connect: {type(exc).__name__}: {exc}")
    start.wait()  # everyone asks at the same moment
    t = time.perf_counter()
    try:
        _, chat, _ = client.predict(question, api_name="/chat")
    except Exception as exc:  # noqa: BLE001
        seconds = time.perf_counter() - t
        if "queue is full" in str(exc).lower():
            return Outcome("busy", seconds, str(exc))
        return Outcome("error", seconds, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - t
    reply = json.dumps(chat[-1], ensure_ascii=False) if chat else ""
    if "answer" in reply or "notice" in reply:
        return Outcome("answered", seconds)
    return Outcome("error", seconds, f"unexpected reply: {reply[:120]}")


def chat_round_http(url: str, qs: list[str]) -> list[Outcome]:
    """Every question of ``qs`` to the chat at the same moment through Gradio's REST route
    (``POST /gradio_api/call/chat``, then its event stream), from one event loop.

    What the chat's page does per question (a queue join and an event stream), without
    gradio_client's per-client threads: 200 of them on this machine's two cores spend
    seconds on themselves, and that time was counted as the server's (officials' browsers
    run on their own machines).
    """
    import asyncio

    import httpx

    async def one(client: httpx.AsyncClient, question: str, go: asyncio.Event) -> Outcome:
        await go.wait()
        try:  # a new visitor loads the page's config first
            c = time.perf_counter()
            page = await client.get(url + "config")
            configs.append(time.perf_counter() - c if page.status_code == 200 else None)
        except Exception:  # noqa: BLE001 - counted as not served
            configs.append(None)
        t = time.perf_counter()
        try:
            r = await client.post(url + "gradio_api/call/chat", json={"data": [question, [], [], False]})
            if r.status_code == 503 and "queue is full" in r.text.lower():
                return Outcome("busy", time.perf_counter() - t)
            if r.status_code != 200:
                return Outcome("error", time.perf_counter() - t, f"HTTP {r.status_code}: {r.text[:120]}")
            event, reply = None, ""
            async with client.stream("GET", url + f"gradio_api/call/chat/{r.json()['event_id']}") as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event in ("complete", "error"):
                        reply = line
                        break
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return Outcome("error", time.perf_counter() - t, f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - t
        if event == "complete" and ("answer" in reply or "notice" in reply):
            return Outcome("answered", seconds)
        return Outcome("error", seconds, f"{event}: {reply[:120]}")

    configs: list[float | None] = []
    outcomes = _together(one, qs, lambda: asyncio.sleep(0.5))
    served = [c for c in configs if c is not None]
    print(f"page config: served to {len(served)} of {len(configs)} visitors" + (f", p95 {percentile(served, 95):.2f} s" if served else ""))
    return outcomes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    log = open(Path(tempfile.gettempdir()) / f"load-check-app-{port}.log", "w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return proc, _ready(proc, f"http://127.0.0.1:{port}/", "gradio_api/info", log.name)


def _ready(proc: subprocess.Popen, url: str, probe: str, log: str) -> str:
    """``url`` once ``url + probe`` answers; the started app's log is named when it does not."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url + probe, timeout=5):
                return url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"app.py did not start in 300 s; see {log}")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running chat (default: start app.py on a free port)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--client", choices=("http", "gradio"), default="http",
        help="http: Gradio's REST route from one event loop (default); gradio: a gradio_client per user, in threads",
    )
    args = parser.parse_args()
    proc = None
    url = args.url
    if not url:
        proc, url = start_app()
    url = url if url.endswith("/") else url + "/"
    before = rss_mb(proc.pid) if proc else 0.0
    try:
        t0 = time.perf_counter()
        if args.client == "http":
            outcomes = chat_round_http(url, questions(args.users))
        else:
            start = threading.Event()
            with ThreadPoolExecutor(max_workers=args.users) as pool:
                futures = [pool.submit(ask_once, url, q, start) for q in questions(args.users)]
                time.sleep(2.0)  # let every client connect first
                t0 = time.perf_counter()
                start.set()
                outcomes = [f.result() for f in futures]
        wall = time.perf_counter() - t0
        if proc:
            print(f"app RSS: {before:.0f} MB before, {rss_mb(proc.pid):.0f} MB after")
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    answered = [o.seconds for o in outcomes if o.kind == "answered"]
    counts = {k: sum(1 for o in outcomes if o.kind == k) for k in ("answered", "busy", "error")}
    print(f"{args.users} simultaneous questions to {url}")
    print(f"answered {counts['answered']}, busy message {counts['busy']}, failed {counts['error']}; all done in {wall:.1f} s")
    if answered:
        print(f"latency of answered: p50 {statistics.median(answered):.2f} s, p95 {percentile(answered, 95):.2f} s, max {max(answered):.2f} s")
    busy = [o.seconds for o in outcomes if o.kind == "busy"]
    if busy:
        print(f"latency of busy messages: p50 {statistics.median(busy):.2f} s, max {max(busy):.2f} s")
    print(f"answered or told busy within 1 s of asking: {sum(1 for o in outcomes if o.kind == 'busy' and o.seconds <= 1.0)} busy, "
          f"{sum(1 for s in answered if s <= 1.0)} answered, of {len(outcomes)}")
    for o in outcomes:
        if o.kind == "error":
            print(f"  failed: {o.detail}")
    return 1 if counts["error"] else 0


# --- HTTP API and chat together (`--api-users`) ---------------------------------------------


def _api_outcome(status: int, headers: dict, body: str, seconds: float) -> Outcome:
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    if status == 200 and "text" in data:
        return Outcome("answered", seconds)
    if status == 422 and data.get("error", {}).get("type") == "invalid_question":
        return Outcome("answered", seconds)  # told what to do: an answer too
    if status == 503 and "retry-after" in headers and "error" in data:
        return Outcome("busy", seconds)
    return Outcome("error", seconds, f"HTTP {status}: {body[:120]}")


_start_event = None  # in the API callers' process: the moment to ask (set by _inherit_start)


def _inherit_start(event) -> None:
    global _start_event
    _start_event = event


def api_round(url: str, qs: list[str], start=None, key: str = "") -> list[Outcome]:
    """Every question of ``qs`` to POST /api/ask at the same moment (``start`` set), each on its own connection.

    One event loop sends them all (not a thread each): 200 client threads would spend
    seconds of this machine's two cores on themselves and be counted as the server's time.
    """
    import asyncio

    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}

    async def one(client: httpx.AsyncClient, question: str, go: asyncio.Event) -> Outcome:
        await go.wait()
        t = time.perf_counter()
        try:
            r = await client.post(url + "api/ask", json={"question": question}, headers=headers)
        except Exception as exc:  # noqa: BLE001
            return Outcome("error", time.perf_counter() - t, f"{type(exc).__name__}: {exc}")
        return _api_outcome(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.text, time.perf_counter() - t)

    return _together(one, qs, lambda: asyncio.to_thread((start or _start_event).wait))


def _together(one, qs: list[str], ready) -> list[Outcome]:
    """``one(client, question, go)`` for every question, each on its own connection, all released
    together once ``ready()`` (awaited) returns: one event loop sends them all."""
    import asyncio

    import httpx

    async def run_all() -> list[Outcome]:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            go = asyncio.Event()
            tasks = [asyncio.create_task(one(client, q, go)) for q in qs]
            await ready()
            go.set()
            return list(await asyncio.gather(*tasks))

    return asyncio.run(run_all())


def chat_user(url: str, question: str, start: threading.Event) -> tuple[Outcome, float | None]:
    """A new visitor: loads the page's config (seconds, or None when it failed), then asks through the chat."""
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(url + "config", timeout=20) as r:
            r.read()
        config_seconds: float | None = time.perf_counter() - t
    except OSError:
        config_seconds = None
    return ask_once(url, question, start), config_seconds


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the API's answering processes), in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total / 1024


def start_server(env: dict[str, str], api_workers: int) -> tuple[subprocess.Popen, str]:
    """app.py (chat and API) on a free port with ``env`` added; returns when it answers."""
    port = _free_port()
    log = open(Path(tempfile.gettempdir()) / f"load-check-server-{port}.log", "w", encoding="utf-8")
    cmd = [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--api-workers", str(api_workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env})
    return proc, _ready(proc, f"http://127.0.0.1:{port}/", "api/health", log.name)


def _report(name: str, outcomes: list[Outcome]) -> None:
    answered = [o.seconds for o in outcomes if o.kind == "answered"]
    busy = [o.seconds for o in outcomes if o.kind == "busy"]
    counts = {k: sum(1 for o in outcomes if o.kind == k) for k in ("answered", "busy", "error")}
    print(f"{name}: {len(outcomes)} asked — answered {counts['answered']}, busy {counts['busy']}, failed {counts['error']}")
    if answered:
        print(f"  answered in p50 {statistics.median(answered):.2f} s, p95 {percentile(answered, 95):.2f} s, max {max(answered):.2f} s")
    if busy:
        print(f"  told busy in p50 {statistics.median(busy):.2f} s, p95 {percentile(busy, 95):.2f} s, max {max(busy):.2f} s")
    for o in [o for o in outcomes if o.kind == "error"][:10]:
        print(f"  failed: {o.detail}")


def main_mixed() -> int:
    """``--api-users`` questions to the HTTP API and ``--chat-users`` chat visitors, all at the same moment."""
    parser = argparse.ArgumentParser(description="HTTP API and chat under load at once")
    parser.add_argument("--url", help="a running server (default: start app.py on a free port)")
    parser.add_argument("--api-users", type=int, default=200)
    parser.add_argument("--chat-users", type=int, default=50)
    parser.add_argument("--api-workers", type=int, default=2, help="answering processes of the started server")
    parser.add_argument("--key", default="", help="API key, when the server requires one")
    args = parser.parse_args()
    proc, url = None, args.url
    if not url:
        # every simulated caller comes from 127.0.0.1: the per-caller rate limit would count them as one
        proc, url = start_server({"RAG_RATE_LIMIT_PER_MINUTE": "0"}, args.api_workers)
    url = url if url.endswith("/") else url + "/"
    before = rss_mb(proc.pid) if proc else 0.0
    try:
        # The API callers run in a process of their own: the 50 chat clients' threads would
        # otherwise hold up their event loop, and that wait would be counted as the server's.
        ctx = multiprocessing.get_context("spawn")
        start = ctx.Event()
        api_pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=_inherit_start, initargs=(start,))
        with api_pool, ThreadPoolExecutor(max_workers=max(1, args.chat_users)) as pool:
            chat = [pool.submit(chat_user, url, q, start) for q in questions(args.chat_users)]
            api = api_pool.submit(api_round, url, questions(args.api_users), None, args.key)
            time.sleep(5.0)  # chat clients load the page config and connect first; the API process starts
            t0 = time.perf_counter()
            start.set()
            api_out = api.result()
            chat_res = [f.result() for f in chat]
            wall = time.perf_counter() - t0
        after = rss_mb(proc.pid) if proc else 0.0
        # a second round, API only: memory must not grow with the number of questions
        start2 = threading.Event()
        start2.set()
        api_out2 = api_round(url, questions(args.api_users), start2, args.key)
        after2 = rss_mb(proc.pid) if proc else 0.0
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    chat_out = [o for o, _ in chat_res]
    configs = [c for _, c in chat_res]
    print(f"{args.api_users} HTTP API questions and {args.chat_users} chat visitors at once, to {url}; all done in {wall:.1f} s")
    _report("HTTP API", api_out)
    _report("chat", chat_out)
    loaded = [c for c in configs if c is not None]
    print(f"page config: served to {len(loaded)} of {len(configs)} visitors" + (f", p95 {percentile(loaded, 95):.2f} s" if loaded else ""))
    _report("HTTP API, second round", api_out2)
    if proc:
        print(f"server RSS (with its answering processes): {before:.0f} MB before, {after:.0f} MB after, {after2:.0f} MB after a second round")
    failed = any(o.kind == "error" for o in api_out + chat_out + api_out2) or len(loaded) < len(configs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main_mixed() if any(a.startswith("--api-users") for a in sys.argv[1:]) else main())
