"""Index stage, the building side: read, clean, chunk, embed and index a corpus into a new build.

`build_index` makes a build folder (its layout: `rag.index`) and makes it live:

* Embedding: every chunk whole and statement by statement, in batches, through the
  embedding cache (``index/embedding-cache``, `rag.embedding.EmbeddingCache`: vectors by
  content, so a rebuild embeds only new passages; its journal keeps each batch as it is
  embedded, so a build that is killed or fails resumes from the work it did).
* Calibration: the null level of the not-found rule, measured on this index with the
  questions of ``rag/offtopic.txt`` (`calibrate`).
* Atomic swap: a build is written into a fresh folder, synced, and only then made live
  by replacing CURRENT, so a crash, a kill or a full disk mid-build leaves the previous
  index untouched and nothing behind; superseded builds are then removed.
* Locking: builds hold an exclusive lock on the folder (``.build.lock``, `fcntl.flock`,
  see `rag.storage`): a second build waits for the first to finish.
* `unchanged_index`: when the live build is what a build would make, it is kept.

What a build *is* (its value types, manifest and checks) is `rag.index`'s, which this
module imports. Loading stays there too: answering questions needs this module only when
`rag.index.load_index` has to rebuild a missing or stale index (``auto_rebuild``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
import warnings
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import numpy as np

from .chunking import chunk_corpus
from .embedding import Embedder, EmbeddingCache, get_embedder
from .errors import IndexStateError
from .index import (
    CACHE_DIR,
    CHUNK_FIELDS,
    CURRENT,
    FORMAT_VERSION,
    OFFTOPIC_PATH,
    DocumentInfo,
    DocumentRecord,
    IndexedChunk,
    Manifest,
    check_index,
    chunker_signature,
    resources_fingerprint,
)
from .ingest import CLEANING_VERSION, Corpus, CorpusWarning, load_corpus
from .query import VOCABULARY_DIR, VOCABULARY_FILES, Vocabulary, english_lexicon
from .settings import Settings
from .storage import build_lock, checksums, fsync, writing
from .structure import numbered_parts
from .store import Analyzer, StoreData, StoredChunk, create_store, drop_store, index_kind, store_present
from .tokencache import TokenCache
from .workload import for_build


def build_index(settings: Settings | None = None, progress: bool = False, force: bool = False) -> Manifest:
    """Read, clean, chunk, embed and index the corpus; make the new index live atomically.

    When the live index was built from this very corpus, with these settings, resources
    and model, it is kept as it is and its manifest returned (``force`` builds anyway).
    Holds the index folder's lock (a concurrent build waits). A folder that cannot be
    written (disk full, read-only) is a `StorageError`; the previous index still answers.
    """
    settings = settings or Settings.from_env()
    with build_lock(Path(settings.index_dir)):
        return build_unlocked(settings, progress, force)


def build_unlocked(settings: Settings, progress: bool = False, force: bool = False) -> Manifest:
    """`build_index` without taking the lock: the caller holds it (`rag.index.load_index`'s rebuild does)."""
    started = time.perf_counter()
    if not force and (kept := unchanged_index(settings)) is not None:
        return kept
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        corpus = load_corpus(settings.corpus_dir)
    for w in caught:  # re-emit, so callers (the CLI) can show them
        warnings.warn(w.message, CorpusWarning, stacklevel=3)
    chunks = _indexed_chunks(corpus, settings)
    embedder = for_build(get_embedder(settings.model), settings)
    root = Path(settings.index_dir)
    with writing(root):
        cache = EmbeddingCache(root / CACHE_DIR, embedder.name)
        # Each chunk is embedded whole and sentence by sentence: a chunk listing eight
        # targets should match a question about one of them (its score is the best row's).
        pieces = [c.units for c in chunks]  # split once (a property: 0.5 s for 10,000 passages)
        owners = [i for i, u in enumerate(pieces) for _ in range(1 + len(u))]
        rows = [t for c, u in zip(chunks, pieces) for t in (c.search_text, *u)]
        try:
            vectors = cache.embed(embedder, rows, batch_size=settings.batch_size, progress=progress, workers=embedder.workers)
            cache.save(rows)
        finally:
            cache.close()
        name = f"build-{time.strftime('%Y%m%d-%H%M%S')}-{corpus.fingerprint[:8]}-{uuid.uuid4().hex[:8]}"
        tmp = root / f".tmp-{name}"
        pointer = root / f".{CURRENT}.{uuid.uuid4().hex[:8]}.tmp"
        live = False
        try:
            tmp.mkdir()
            manifest = _write_build(tmp, settings, corpus, chunks, owners, vectors, embedder, started)
            os.replace(tmp, root / name)
            pointer.write_text(name + "\n", encoding="utf-8")
            fsync(pointer)
            os.replace(pointer, root / CURRENT)
            live = True
            fsync(root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            pointer.unlink(missing_ok=True)
            if not live:
                shutil.rmtree(root / name, ignore_errors=True)
                drop_store(settings, name, None)  # its Milvus collections, if it got that far
            raise
    _remove_old_builds(root, keep=name, settings=settings)
    return manifest


def _write_build(tmp: Path, settings: Settings, corpus: Corpus, chunks: list["IndexedChunk"], owners: list[int],
                 vectors: np.ndarray, embedder: Embedder, started: float) -> Manifest:
    """Write every file of a build into ``tmp``, and its vectors and BM25 into the store; the
    manifest, with the files' checksums and the store's record, last."""
    import faiss

    texts = [c.search_text for c in chunks]
    dense = faiss.IndexFlatIP(embedder.dim)  # exact, in memory: the null level is measured on every row
    dense.add(vectors)
    vocabulary = Vocabulary.from_folder(Path(settings.corpus_dir) / VOCABULARY_DIR)
    token_cache = TokenCache(tmp.parent / CACHE_DIR, vocabulary)  # a rebuild cuts only new passages
    tokens = token_cache.tokenize(texts)  # once: for BM25 and for the corpus's vocabulary
    token_cache.save(texts)
    frequencies = Counter(t for words in tokens for t in words)
    lexicon = english_lexicon(frequencies)
    (tmp / "english.json").write_text(json.dumps(lexicon, ensure_ascii=False), encoding="utf-8")
    # The library's vocabulary files travel with the build: the index answers as it was built.
    (tmp / VOCABULARY_DIR).mkdir()
    for fname in VOCABULARY_FILES:
        source = Path(settings.corpus_dir) / VOCABULARY_DIR / fname
        if source.is_file():
            shutil.copyfile(source, tmp / VOCABULARY_DIR / fname)
    row_docs = [chunks[i].doc_id for i in owners]
    calibration = calibrate(embedder, dense, vocabulary.with_lexicon(lexicon), tmp.parent / CACHE_DIR, vectors, row_docs)
    del dense
    np.save(tmp / "owners.npy", np.asarray(owners, dtype=np.int32))
    analyzer = Analyzer(vocabulary.words, tuple(sorted(vocabulary.ignored)))
    stored = tuple(StoredChunk(c.doc_id, c.doc_kind, t, tuple(words)) for c, t, words in zip(chunks, texts, tokens))
    store = create_store(settings, tmp.name.removeprefix(".tmp-"), tmp).write(
        StoreData(np.asarray(vectors, dtype=np.float32), np.asarray(owners, dtype=np.int32), stored, analyzer)
    )
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for c in chunks:
            fh.write(json.dumps({f: getattr(c, f) for f in CHUNK_FIELDS}, ensure_ascii=False) + "\n")  # asdict copies deeply: 10x slower
    docs = [
        asdict(DocumentRecord(d.doc_id, d.title, d.issuer, d.date, d.kind, d.source, d.file, d.text, d.metadata, d.info))
        for d in corpus.documents
    ]
    (tmp / "documents.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    counts = {d.doc_id: 0 for d in corpus.documents}
    for c in chunks:
        counts[c.doc_id] += 1
    items = numbered_parts(chunks)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=embedder.name,
        dim=embedder.dim,
        chunker=chunker_signature(settings),
        cleaning_version=CLEANING_VERSION,
        corpus_fingerprint=corpus.fingerprint,
        documents=tuple(DocumentInfo(d.doc_id, d.title, d.issuer, d.kind, d.date, counts[d.doc_id], items.get(d.doc_id, 0)) for d in corpus.documents),
        n_chunks=len(chunks),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        build_seconds=round(time.perf_counter() - started, 2),
        warnings=list(corpus.warnings),
        calibration=calibration,
        resources=resources_fingerprint(settings.corpus_dir),
        files=checksums(tmp),
        store=asdict(store),
    )
    # The manifest is written last: a folder without one is never a finished build.
    (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")
    for path in tmp.rglob("*"):
        fsync(path)  # on disk before CURRENT names it: a power cut cannot leave a live index half-written
    return manifest


def calibrate(
    embedder: Embedder, dense, vocabulary: Vocabulary, cache_dir: Path | None = None,
    vectors: np.ndarray | None = None, row_docs: Sequence[str] = (),
) -> dict:
    """The index's null level: best-match similarity of questions on unrelated matters, per language,
    in the whole library and in each document (``vectors``: every row's, ``row_docs``: its document's).

    Cosine similarities of a model sit in a narrow band of its own (e5 scores
    nearly everything above 0.8), so a fixed threshold would not carry over to
    another model or corpus. Measured here, at build time, with the questions of
    offtopic.txt asked exactly as a user's would be.

    Per document because the best of more passages is higher: a library-wide level rises with
    every document added (five more put the corpus's questions 2.5 of its deviations lower),
    while a document's own level is the same in any library that holds it.
    """
    questions = [
        line.strip()
        for line in OFFTOPIC_PATH.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    from .understand import Catalog, understand

    catalog = Catalog((), vocabulary)
    by_language: dict[str, list[str]] = {}
    for q in questions:
        query = understand(q, catalog=catalog)
        by_language.setdefault(query.language, []).append(query.plain_text)
    out = {}
    for lang, qs in sorted(by_language.items()):
        queries = _query_vectors(embedder, qs, cache_dir)
        sims, _ = dense.search(queries, 1)
        top = sims[:, 0].astype(np.float64)
        out[lang] = {"mean": round(float(top.mean()), 5), "std": round(float(top.std()), 5), "n": len(qs)}
        if vectors is not None and len(row_docs):
            out[lang]["documents"] = _per_document(np.asarray(queries, dtype=np.float32), vectors, row_docs)
    return out


def _per_document(queries: np.ndarray, vectors: np.ndarray, row_docs: Sequence[str]) -> dict[str, list[float]]:
    """Each document's null level: [mean, std] of the questions' best similarity among its rows."""
    docs = np.asarray(row_docs)
    order = np.argsort(docs, kind="stable")
    names, starts = np.unique(docs[order], return_index=True)
    ends = [*starts[1:], len(order)]
    out = {}
    for name, start, end in zip(names, starts, ends):
        best = (queries @ np.asarray(vectors[order[start:end]], dtype=np.float32).T).max(axis=1).astype(np.float64)
        out[str(name)] = [round(float(best.mean()), 5), round(float(best.std()), 5)]
    return out


def _query_vectors(embedder: Embedder, questions: list[str], cache_dir: Path | None) -> np.ndarray:
    """The off-topic questions' vectors, kept beside the passage vectors: they depend on the model
    and the questions only, so a rebuild after a corpus change does not embed them again."""
    if cache_dir is None:
        return embedder.embed_queries(questions)
    digest = hashlib.sha256("\0".join([embedder.name, *questions]).encode("utf-8")).hexdigest()
    path = Path(cache_dir) / f"queries-{digest[:16]}.npy"
    try:
        vectors = np.load(path)
        if vectors.shape == (len(questions), embedder.dim):
            return vectors
    except (OSError, ValueError, EOFError):
        pass  # missing or damaged: it only costs time
    vectors = np.asarray(embedder.embed_queries(questions), dtype=np.float32)
    tmp = path.with_name(f".{path.stem}-{uuid.uuid4().hex[:8]}.tmp.npy")  # builds at once never share it
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(tmp, vectors)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a cache that cannot be written only costs time next build
    return vectors


# What a finished build folder holds besides its store's files; a folder missing one is rebuilt, not kept.
_BUILD_FILES = ("manifest.json", "chunks.jsonl", "documents.json", "owners.npy", "english.json", VOCABULARY_DIR)


def unchanged_index(settings: Settings) -> Manifest | None:
    """The live index's manifest when a build would make the same index: same corpus, chunker,
    cleaning, resources, model, backend and vector index type, and every file (and the store's
    collections) present. None when a build is needed."""
    try:
        manifest = check_index(settings)
    except IndexStateError:
        return None
    root = Path(settings.index_dir)
    live = root / (root / CURRENT).read_text(encoding="utf-8").strip()
    if not all((live / name).exists() for name in _BUILD_FILES):
        return None
    info = manifest.store_info
    rows = int(np.load(live / "owners.npy", mmap_mode="r").shape[0])
    if info.backend != settings.backend or info.index != index_kind(rows, settings):
        return None
    if not store_present(settings, live, info):
        return None
    embedder = get_embedder(settings.model)
    if (embedder.name, embedder.dim) != (manifest.model, manifest.dim):
        return None
    for message in manifest.warnings:  # as a build would, so `rag build` still shows them
        warnings.warn(message, CorpusWarning, stacklevel=3)
    return manifest


def _indexed_chunks(corpus: Corpus, settings: Settings) -> list[IndexedChunk]:
    docs = {d.doc_id: d for d in corpus.documents}
    out = []
    for c in chunk_corpus(corpus.documents, settings.chunk_target, settings.chunk_max):
        d = docs[c.doc_id]
        out.append(
            IndexedChunk(
                c.chunk_id, d.doc_id, d.title, d.issuer, d.date, d.kind, c.section, c.text, c.start, c.end, c.outline,
                page=c.page, last_page=c.last_page,
            )
        )
    return out


def _remove_old_builds(root: Path, keep: str, settings: Settings | None = None) -> None:
    """Delete superseded builds and what killed builds left behind (the caller holds the lock),
    their Milvus collections too (after the new build is live: a search never finds none)."""
    for pattern in ("build-*", ".tmp-build-*", f".{CURRENT}*.tmp"):
        for path in root.glob(pattern):
            if path.name != keep:
                if settings is not None and path.is_dir():
                    drop_store(settings, path.name.removeprefix(".tmp-"), _store_record(path))
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def _store_record(folder: Path) -> dict | None:
    """The ``store`` of a build folder's manifest, or None when it has none (a killed build)."""
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("store") or {"backend": "embedded"}
    except (OSError, ValueError, AttributeError):
        return None
