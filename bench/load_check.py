"""Load check: many officials asking at once. Not a test: it reports, it does not judge timings.

    python bench/load_check.py                         # starts app.py on a free port, 50 users
    python bench/load_check.py --url http://127.0.0.1:7860/ --users 80

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
from concurrent.futures import ThreadPoolExecutor
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    log = open(Path(tempfile.gettempdir()) / f"load-check-app-{port}.log", "w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(url + "gradio_api/info", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"app.py did not start in 300 s; see {log.name}")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running chat (default: start app.py on a free port)")
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    proc = None
    url = args.url
    if not url:
        proc, url = start_app()
    try:
        start = threading.Event()
        with ThreadPoolExecutor(max_workers=args.users) as pool:
            futures = [pool.submit(ask_once, url, q, start) for q in questions(args.users)]
            time.sleep(2.0)  # let every client connect first
            t0 = time.perf_counter()
            start.set()
            outcomes = [f.result() for f in futures]
            wall = time.perf_counter() - t0
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


if __name__ == "__main__":
    sys.exit(main())
