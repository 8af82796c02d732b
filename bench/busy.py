"""Latency when the machine is busy: search() and ask() idle, then beside CPU-bound processes.

    python bench/busy.py                       # 60 dev questions, one competing process
    python bench/busy.py --competitors 2 --query-threads 0   # 0: a thread per core (the old default)

Runs the same questions twice in this process: on the machine as it is, and beside
``--competitors`` busy loops (each takes one core) that it starts and stops itself,
and prints p50/p95 side by side with the ratio. The two runs are interleaved in
blocks of ten questions (the loops are paused with SIGSTOP for the idle blocks), so
that whatever else the machine runs weighs on both alike. Target (issue 13): beside one
competing process, search p50 <= 2x and p95 <= 3x the idle figures. Not a test:
timings depend on the machine and on whatever else runs on it (the load average
is printed with each run).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer import ask  # noqa: E402
from rag.build import build_index  # noqa: E402
from rag.retrieval import get_retriever  # noqa: E402
from rag.settings import Settings  # noqa: E402


def questions(n: int) -> list[str]:
    """The first n questions of the development set (in and out of scope)."""
    path = ROOT / "eval" / "questions" / "corpus" / "dev.jsonl"
    pool = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [pool[i % len(pool)] for i in range(n)]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(settings: Settings, qs: list[str], competitors: list[subprocess.Popen], block: int = 10) -> dict[str, dict[str, float]]:
    """p50/p95 in ms of search() and ask(), idle and busy, in alternating blocks of questions."""
    retriever = get_retriever(settings)
    calls = {"search": lambda q: retriever.search(q, 5), "ask": lambda q: ask(q, settings=settings)}
    ms: dict[str, dict[str, list[float]]] = {c: {n: [] for n in calls} for c in ("idle", "busy")}
    loads: dict[str, list[float]] = {"idle": [], "busy": []}
    for start in range(0, len(qs), block):
        for condition in ("idle", "busy"):
            for proc in competitors:
                os.kill(proc.pid, signal.SIGCONT if condition == "busy" else signal.SIGSTOP)
            time.sleep(0.2)  # let the scheduler settle
            for name, call in calls.items():
                for q in qs[start : start + block]:
                    t = time.perf_counter()
                    call(q)
                    ms[condition][name].append((time.perf_counter() - t) * 1000)
            loads[condition].append(os.getloadavg()[0])
    out = {}
    for condition, by_call in ms.items():
        out[condition] = {"load": statistics.mean(loads[condition])}
        for name, values in by_call.items():
            out[condition][f"{name}_p50"], out[condition][f"{name}_p95"] = statistics.median(values), percentile(values, 95)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--competitors", type=int, default=1, help="CPU-bound processes to run beside (default 1)")
    parser.add_argument("--query-threads", type=int, help="override RAG_QUERY_THREADS (0: one per core)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    overrides = {} if args.query_threads is None else {"query_threads": args.query_threads}
    settings = Settings.from_env(**overrides)
    build_index(settings)  # nothing to do when the index is up to date
    qs = questions(args.questions)
    retriever = get_retriever(settings)
    for q in qs[:10]:  # warm-up: jieba dictionaries, model pages, POS tagger
        retriever.search(q, 5)
        ask(q, settings=settings)
    busy_loop = [sys.executable, "-c", "while True: pass"]
    competitors = [subprocess.Popen(busy_loop) for _ in range(args.competitors)]
    try:
        measured = measure(settings, qs, competitors)
    finally:
        for proc in competitors:
            proc.kill()
            proc.wait()
    idle, busy = measured["idle"], measured["busy"]
    result = {
        "questions": len(qs),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "query_threads": settings.query_threads,
        "competitors": args.competitors,
        "idle": {k: round(v, 1) for k, v in idle.items()},
        "busy": {k: round(v, 1) for k, v in busy.items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{len(qs)} questions, {result['cores']} cores, query_threads={settings.query_threads} "
        f"(0 = one per core), {args.competitors} competing process(es)"
    )
    print(f"{'':12}{'idle':>10}{'busy':>10}{'ratio':>8}")
    for key in ("search_p50", "search_p95", "ask_p50", "ask_p95"):
        ratio = busy[key] / idle[key] if idle[key] else float("nan")
        print(f"{key + ' ms':12}{idle[key]:10.1f}{busy[key]:10.1f}{ratio:7.1f}x")
    print(f"{'load avg':12}{idle['load']:10.2f}{busy['load']:10.2f}")
    ok = busy["search_p50"] <= 2 * idle["search_p50"] and busy["search_p95"] <= 3 * idle["search_p95"]
    print("target (search p50 <= 2x idle, p95 <= 3x):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
