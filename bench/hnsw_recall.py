"""Benchmark: recall@10 of the HNSW index against exact search, on real embeddings.

    python bench/hnsw_recall.py                     # the live index's vectors, the evaluation's questions
    python bench/hnsw_recall.py --rows 100000       # also padded to 100k rows (see below); --json

The vectors are the real index's rows (each passage and each of its units, as `rag build`
embedded them with the bundled model; read back from ``dense.faiss``), the queries every
question of ``eval/questions/<library>/`` embedded as a search embeds them. For each query the
exact top 10 (`faiss.IndexFlatIP`, what a small library uses) is compared with the top 10 of
`faiss.IndexHNSWFlat` built as the embedded store builds it (rag.store_graph: M, efConstruction),
searched at several beam widths (efSearch) and at the one a search uses (2 × search_depth).

A real library of 100,000 passages is not at hand: ``--rows N`` adds copies of the real rows
with Gaussian noise (σ = --noise, then re-normalised) until there are N — real directions,
synthetic density. Say so wherever the figure is quoted. Not a test: it measures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.index import load_index  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store_embedded import HNSW_EF_SEARCH_MIN  # noqa: E402
from rag.store_graph import HNSW_EF_CONSTRUCTION, HNSW_M  # noqa: E402

K = 10


def real_vectors(settings: Settings) -> tuple[np.ndarray, object]:
    """Every row of the live index, exactly as stored, and its embedder."""
    index = load_index(settings)
    dense = index.store.dense
    return dense.reconstruct_n(0, index.store.info.rows), index  # rows: a grown HNSW graph also holds dead nodes


def questions(library: str) -> list[str]:
    out = []
    for path in sorted((ROOT / "eval" / "questions" / library).glob("*.jsonl")):
        out += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def padded(vectors: np.ndarray, rows: int, noise: float, seed: int = 0) -> np.ndarray:
    """The real rows, then noisy copies of them until there are ``rows``."""
    if rows <= len(vectors):
        return vectors
    rng = np.random.default_rng(seed)
    extra = vectors[rng.integers(0, len(vectors), rows - len(vectors))] + rng.normal(0, noise, (rows - len(vectors), vectors.shape[1]))
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.vstack([vectors, extra.astype(np.float32)])


def _ms_per_query(search, queries: np.ndarray) -> float:
    """Median time of one question's search, one at a time as a server asks them (a batch would
    let exact search multiply matrices)."""
    times = []
    for q in queries:
        started = time.perf_counter()
        search(q.reshape(1, -1))
        times.append((time.perf_counter() - started) * 1000)
    return round(float(np.median(times)), 2)


def measure(vectors: np.ndarray, queries: np.ndarray, efs: list[int]) -> dict:
    import faiss

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, K)
    exact_ms = _ms_per_query(lambda q: exact.search(q, K), queries)
    started = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw.add(vectors)
    build_s = time.perf_counter() - started
    out = {"rows": len(vectors), "queries": len(queries), "build_s": round(build_s, 1), "exact_ms_per_query": exact_ms, "by_ef": {}}
    for ef in efs:
        params = faiss.SearchParametersHNSW()
        params.efSearch = ef
        _, found = hnsw.search(queries, K, params=params)  # faiss searches with a beam of max(efSearch, k)
        ms = _ms_per_query(lambda q: hnsw.search(q, K, params=params), queries)
        recall = np.mean([len(set(t) & set(f[:K])) / K for t, f in zip(truth, found)])
        out["by_ef"][ef] = {"recall@10": round(float(recall), 4), "ms_per_query": ms}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", default="corpus", choices=["corpus", "library2"])
    parser.add_argument("--rows", type=int, action="append", default=[], help="also pad to this many rows (repeatable)")
    parser.add_argument("--noise", type=float, default=0.02, help="σ of the noise on padded copies")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    index_dir = ROOT / "index" if args.library == "corpus" else ROOT / "index" / args.library
    settings = Settings.from_env(corpus_dir=ROOT / args.library, index_dir=index_dir, backend="embedded")
    vectors, index = real_vectors(settings)
    queries = np.asarray(index.embedder.embed_queries(questions(args.library)), dtype=np.float32)
    used = max(HNSW_EF_SEARCH_MIN, 2 * settings.search_depth)  # what rag.store_embedded searches with
    efs = sorted({16, 32, 64, HNSW_EF_SEARCH_MIN, used})
    results = [measure(vectors, queries, efs)] + [measure(padded(vectors, n, args.noise), queries, efs) for n in args.rows]
    if args.json:
        print(json.dumps({"library": args.library, "M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "ef_used": used, "results": results}, indent=2))
        return 0
    print(f"HNSW (M={HNSW_M}, efConstruction={HNSW_EF_CONSTRUCTION}) against exact search, {args.library}, recall@{K}; a search uses efSearch={used}")
    for r in results:
        kind = "real rows" if r["rows"] == len(vectors) else f"real + noisy copies (σ={args.noise})"
        cells = ", ".join(f"ef {ef}: {v['recall@10']:.4f} ({v['ms_per_query']} ms)" for ef, v in r["by_ef"].items())
        print(f"{r['rows']:>7} rows ({kind}), {r['queries']} queries, build {r['build_s']} s, exact {r['exact_ms_per_query']} ms (median per question): {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
