"""Retrieval stage: dense and BM25 rankings fused by weighted reciprocal rank.

`search()` is the public entry point; `Retriever` holds a loaded index and is
what the answer stage and the chat reuse.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .errors import InputError
from .index import Index, IndexedChunk, load_index, tokenize
from .ingest import normalise
from .settings import Settings

RETRIEVERS = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class Passage:
    """A retrieved passage. ``text`` is the source text as shown to users (plain text, unescaped)."""

    text: str
    doc_id: str
    doc_title: str
    doc_date: str
    doc_issuer: str
    doc_kind: str
    section: str  # 《title》 › 一、… › (一)…
    score: float  # fused score; higher is better
    chunk_id: str = ""
    start: int = 0  # offsets of ``text`` in the document's cleaned text
    end: int = 0
    dense_score: float = 0.0  # cosine similarity of question and passage
    bm25_score: float = 0.0

    @classmethod
    def from_chunk(cls, chunk: IndexedChunk, score: float, dense: float, bm25: float) -> "Passage":
        return cls(
            text=chunk.text,
            doc_id=chunk.doc_id,
            doc_title=chunk.doc_title,
            doc_date=chunk.doc_date,
            doc_issuer=chunk.doc_issuer,
            doc_kind=chunk.doc_kind,
            section=chunk.section_path,
            score=float(score),
            chunk_id=chunk.chunk_id,
            start=chunk.start,
            end=chunk.end,
            dense_score=float(dense),
            bm25_score=float(bm25),
        )


def clean_question(question: object, max_chars: int) -> str:
    """The question normalised, or an `InputError` that says what to ask instead."""
    if not isinstance(question, str):
        raise InputError(f"问题必须是文字。(The question must be text, not {type(question).__name__}.)")
    if len(question) > max_chars:
        raise InputError(
            f"问题太长（{len(question):,} 字，上限 {max_chars:,} 字）。请用一两句话提一个问题。"
            f"(The question is {len(question):,} characters; the limit is {max_chars:,}. Ask one question in a sentence or two.)"
        )
    text = normalise(question).strip()
    if not text:
        raise InputError("问题是空的。请输入与政策文件有关的问题，例如：到2025年研发投入目标是多少？(The question is empty.)")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise InputError(
            "问题里没有文字或数字。请用中文或英文提问，例如：浙江要打造哪些世界级先进产业群？"
            "(The question has no words or numbers; ask in Chinese or English.)"
        )
    return text


class Retriever:
    """Search over one loaded index."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._is_policy = np.array([c.doc_kind == "policy" for c in index.chunks], dtype=np.float64)

    def _allowed(self, doc_ids: Iterable[str] | None, kinds: Iterable[str] | None) -> np.ndarray:
        docs = set(doc_ids) if doc_ids else None
        kinds = set(kinds) if kinds else None
        return np.array(
            [(docs is None or c.doc_id in docs) and (kinds is None or c.doc_kind in kinds) for c in self.index.chunks],
            dtype=bool,
        )

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Dense (cosine) and BM25 scores of every chunk for a normalised query."""
        n = len(self.index.chunks)
        qv = self.index.embedder.embed_queries([query])
        sims, rows = self.index.dense.search(qv, self.index.dense.ntotal)
        dense = np.full(n, -1.0, dtype=np.float32)
        np.maximum.at(dense, self.index.owners[rows[0]], sims[0])  # a chunk scores as its best row
        tokens = tokenize(query)
        bm25 = self.index.bm25.get_scores(tokens) if tokens else np.zeros(n, dtype=np.float32)
        return dense, np.asarray(bm25, dtype=np.float32)

    def search(
        self,
        question: str,
        k: int = 5,
        doc_ids: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        retriever: str | None = None,
    ) -> list[Passage]:
        """The ``k`` best passages, best first."""
        return self.search_with_stats(question, k, doc_ids, kinds, retriever)[0]

    def search_with_stats(
        self,
        question: str,
        k: int = 5,
        doc_ids: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        retriever: str | None = None,
    ) -> tuple[list[Passage], "SearchStats"]:
        """Passages and how far the best stood out from the whole corpus (for the not-found rule)."""
        s = self.settings
        mode = retriever or s.retriever
        if mode not in RETRIEVERS:
            raise InputError(f"Unknown retriever {mode!r}; use one of {', '.join(RETRIEVERS)}.")
        if not isinstance(k, int) or k < 1:
            raise InputError(f"k must be a positive whole number, got {k!r}.")
        query = expand_query(clean_question(question, s.max_question_chars))
        dense, bm25 = self.scores(query)
        allowed = self._allowed(doc_ids, kinds)
        fused = np.zeros(len(dense), dtype=np.float64)
        if mode in ("hybrid", "dense"):
            fused += s.weight_dense * _normalise_scores(dense, allowed)
        if mode in ("hybrid", "bm25"):
            fused += s.weight_bm25 * _normalise_scores(bm25, allowed)
        if mode == "hybrid":
            # A question that names a document ("讲话里…", "2020年的意见…") prefers its passages,
            # and policy documents outrank reports and commentary saying the same thing.
            named = set(referenced_documents(question, self.index.manifest.documents))
            fused += s.named_document_boost * np.array([c.doc_id in named for c in self.index.chunks])
            fused += s.policy_boost * self._is_policy
        order = [i for i in np.argsort(-fused, kind="stable") if allowed[i]]
        if mode == "bm25":
            order = [i for i in order if bm25[i] > 0]  # BM25 alone has nothing to say about the rest
        order = order[:k]
        chunks = self.index.chunks
        passages = [Passage.from_chunk(chunks[i], fused[i], dense[i], bm25[i]) for i in order]
        spread = float(dense.std()) or 1.0
        stats = SearchStats(
            query=query,
            dense_margin=float((dense.max() - dense.mean()) / spread),
            top_bm25=float(bm25.max()) if len(bm25) else 0.0,
        )
        return passages, stats


@dataclass(frozen=True)
class SearchStats:
    """Corpus-wide evidence of one search, comparable across embedding models."""

    query: str  # the normalised, expanded query
    dense_margin: float  # best dense score in standard deviations above the corpus mean
    top_bm25: float


def _normalise_scores(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Scores mapped to [0, 1]: the best allowed item is 1, the allowed mean or below is 0.

    Score fusion rather than rank fusion: with few passages, how far ahead the
    best one is matters (a BM25 hit on "研发经费" and "2.5%" should not be
    outweighed by a passage the embedder ranks first by a hair).
    """
    out = np.zeros(len(scores), dtype=np.float64)
    if not allowed.any():
        return out
    top = float(scores[allowed].max())
    floor = float(scores[allowed].mean())
    if top <= floor or top <= 0:
        return out
    out[allowed] = np.clip((scores[allowed] - floor) / (top - floor), 0.0, 1.0)
    return out


_GLOSSARY_PATH = Path(__file__).with_name("glossary.tsv")
_glossary: list[tuple[re.Pattern, str]] | None = None


def expand_query(query: str) -> str:
    """Add the Chinese terms of the English words in a question (see glossary.tsv).

    BM25 cannot match English words against Chinese text, and the small
    multilingual model matches them only weakly; the policy vocabulary is
    small enough that a glossary closes most of the gap.
    """
    global _glossary
    if not re.search(r"[A-Za-z]{2,}", query):
        return query
    if _glossary is None:
        entries = []
        for line in _GLOSSARY_PATH.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and "\t" in line:
                en, zh = line.split("\t", 1)
                entries.append((en.strip().lower(), zh.strip()))
        entries.sort(key=lambda e: -len(e[0]))
        _glossary = [(re.compile(rf"(?<![a-z0-9]){re.escape(en)}(?![a-z0-9])"), zh) for en, zh in entries]
    text, terms = query.lower(), []
    for pattern, zh in _glossary:
        if pattern.search(text):
            terms.append(zh)
            text = pattern.sub(" ", text)  # a longer phrase consumes its words
    return f"{query} {' '.join(terms)}" if terms else query


# Words that name a kind of document ("讲话里…", "the 2020 opinions").
KIND_WORDS = {
    "policy": ("政策文件", "意见", "policy", "opinions", "guideline"),
    "speech": ("讲话", "speech"),
    "news": ("报道", "新闻", "日报", "news", "report"),
    "commentary": ("解读", "评论", "署名文章", "commentary"),
}
_DOC_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:的|发布|出台|印发|公布|召开)?\s*(?:的)?\s*(?:政策|文件|意见|指导意见|若干意见|讲话|报道|新闻|解读|文章|opinions|guideline|speech|report|news|document|policy)", re.I)


def referenced_documents(question: str, documents: Sequence[dict]) -> tuple[str, ...]:
    """Documents the question names by kind, year or a phrase of their title ("2020年的意见", "指导意见里").

    ``documents`` are manifest entries (doc_id, title, kind, date). Returns an
    empty tuple when the question names no document, or names them all.
    """
    low = question.lower()
    kinds = {k for k, words in KIND_WORDS.items() if any(w in low for w in words)}
    years = set(_DOC_YEAR.findall(question))
    picked = [d for d in documents if (not kinds or d["kind"] in kinds) and (not years or str(d["date"])[:4] in years)]
    # A four-character phrase found in one title only ("指导意见", "若干意见") names that document.
    by_title = []
    for d in documents:
        grams = {d["title"][i : i + 4] for i in range(len(d["title"]) - 3)}
        others = {g for o in documents if o is not d for g in (o["title"][i : i + 4] for i in range(len(o["title"]) - 3))}
        # or its author/issuer by name ("兰建平的文章")
        issuer = re.split(r"[（(,，、]", d.get("issuer", ""))[0]
        if any(g in question for g in grams - others) or (len(issuer) >= 3 and issuer in question):
            by_title.append(d)
    if by_title:
        picked = [d for d in by_title if d in picked] or by_title
    elif not (kinds or years):
        return ()
    if not picked or len(picked) == len(documents):
        return ()
    return tuple(d["doc_id"] for d in picked)


_cache_lock = threading.Lock()
_retrievers: dict[Settings, Retriever] = {}


def get_retriever(settings: Settings | None = None) -> Retriever:
    """A retriever for these settings, loading the index once per process."""
    settings = settings or Settings.from_env()
    with _cache_lock:
        if settings not in _retrievers:
            _retrievers[settings] = Retriever(load_index(settings), settings)
        return _retrievers[settings]


def reset_cache() -> None:
    """Forget loaded indexes (after a rebuild, or in tests)."""
    with _cache_lock:
        _retrievers.clear()


def search(question: str, k: int = 5, settings: Settings | None = None, **filters) -> list[Passage]:
    """The ``k`` passages that best answer ``question``, best first.

    ``filters``: ``doc_ids=[...]``, ``kinds=["policy"]``, ``retriever="bm25"``.
    """
    return get_retriever(settings).search(question, k, **filters)
