"""Ranking, the retrieval stage's second half: from every passage's dense and BM25 scores to an order.

`rag.retrieval` asks the store for the scores; what it then does with them is here, as
functions over score arrays and chunks, with their weights in `Settings`:

* `fuse` - score fusion (`normalise_scores`) and the boosts: a document the question
  names, policy documents, the documents of a place the question names (`place_documents`);
* `rerank` - a second look at the leading candidates: proximity of the question's rarer
  terms (`term_weight`), and the period the question asks about;
* `top_k` - the best ``k`` allowed passages, without sorting them all.

The retriever keeps what belongs to one index (its chunks' units and parts, the term
weights already counted) and hands it in; nothing here holds state.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from .gather import heading_name, says_something
from .listing import asks_meaning
from .query import YEAR

if TYPE_CHECKING:  # pragma: no cover
    from .index import DocumentInfo, IndexedChunk
    from .settings import Settings
    from .understand import Query

IDF_SAMPLE = 5_000  # passages the rerank's term weights are counted in (all of them in a smaller library)


def fuse(
    mode: str, query: Query, dense: np.ndarray, bm25: np.ndarray, allowed: np.ndarray, settings: Settings,
    doc_ids: np.ndarray, is_policy: np.ndarray, documents: Sequence[DocumentInfo],
) -> np.ndarray:
    """Every chunk's fused score for a retriever ``mode`` (hybrid, dense or bm25), before the rerank.

    ``doc_ids`` and ``is_policy`` are per chunk; ``documents`` are the index's (its manifest's).
    """
    s = settings
    fused = np.zeros(len(dense), dtype=np.float64)
    if mode in ("hybrid", "dense"):
        # The small model matches English questions to Chinese text only coarsely;
        # their glossary words, matched by BM25, are the surer evidence.
        weight = s.weight_dense_english if query.language == "en" and mode == "hybrid" else s.weight_dense
        fused += weight * normalise_scores(dense, allowed)
    if mode in ("hybrid", "bm25"):
        fused += s.weight_bm25 * normalise_scores(bm25, allowed)
    if mode == "hybrid":
        # A question that names a document ("讲话里…", "2020年的意见…") prefers its passages,
        # and policy documents outrank reports and commentary saying the same thing.
        if query.documents:
            fused += s.named_document_boost * np.isin(doc_ids, list(query.documents))
        fused += s.policy_boost * is_policy
        if s.place_boost and (own := place_documents(query, documents)):
            fused += s.place_boost * np.isin(doc_ids, own)
    return fused


def rerank(
    fused: np.ndarray, allowed: np.ndarray, query: Query, terms: list[str], settings: Settings,
    chunks: Sequence[IndexedChunk], idf: Callable[[str], float], units_of: Callable[[int], list[str]],
    part_of: Callable[[str, tuple[str, ...]], str],
) -> None:
    """Adjust the leading candidates' scores in place with what whole-passage scores miss.

    Proximity: a passage one of whose sentences holds most of the question's
    rarer terms (its headings counting half) answers better than one that
    scatters them. Period: a question about 2023 is answered by a passage
    about 2023, not by a 2025 target on the same subject.

    The retriever's own: ``idf`` (a term's weight), ``units_of`` (chunk ``i``'s units) and
    ``part_of`` (the text of a document's top-level part).
    """
    s = settings
    meaning = asks_meaning(query)
    candidates = [i for i in top_k(fused, np.ones(len(fused), dtype=bool), s.rerank_depth * 2) if allowed[i]][: s.rerank_depth]
    weights = {t: idf(t) for t in dict.fromkeys(terms)}
    years = query.years
    total = sum(weights.values())
    for i in candidates:
        chunk = chunks[i]
        if total and s.weight_proximity:
            heads = " ".join(chunk.section).lower()
            best = max(
                sum(w for t, w in weights.items() if t in u) + 0.5 * sum(w for t, w in weights.items() if t not in u and t in heads)
                for u in [p.lower() for p in units_of(i)] or [chunk.text.lower()]
            )
            fused[i] += s.weight_proximity * best / total
        if s.heading_boost and chunk.section:
            # Its own heading or one above it: "…规划的保障措施有哪些" asks for all of "十一、保障措施".
            fused[i] += s.heading_boost * any(repeats_heading(query.text, h) for h in chunk.section if not h.startswith("《"))
        if s.glossary_penalty and not meaning and len(_DEFINES.findall(chunk.text)) >= 2:
            # A list of definitions ("下列用语的含义是:(一)终端设备,是指…") holds every word of its
            # subject, so it matches any question on it; it answers what the words mean.
            fused[i] -= s.glossary_penalty
        if years and s.year_boost:
            own = set(YEAR.findall(chunk.text))
            context = chunk.text if own else part_of(chunk.doc_id, chunk.section[:1])
            if any(y in context or y == chunk.doc_date[:4] for y in years):
                fused[i] += s.year_boost


_DEFINES = re.compile(r"是指|系指")  # how a definition is written ("(三)关口站,是指…")


def repeats_heading(question: str, heading: str) -> bool:
    """Whether the question repeats a heading's whole name, without its number: "浙江今年怎么推动人工智能
    创新发展" repeats "推动人工智能创新发展", "…医疗卫生方面具体有哪些" "1.医疗卫生方面". A question that
    does is asking for that section, whatever else its passages' words say; one that repeats part of
    a heading ("产业集群" of 产业集群的突围) is not."""
    if not says_something(heading):
        return False
    name = heading_name(heading)
    # Said without its conjunctions too: "发展促进方面" repeats "第二章 发展与促进".
    return name in question or _CONJUNCTION.sub("", name) in _CONJUNCTION.sub("", question)


_CONJUNCTION = re.compile(r"[与和及、]")


def place_documents(query: Query, documents: Sequence[DocumentInfo]) -> list[str]:
    """The documents whose title or issuer names a place the question names; none when every
    document or no document does (the place then tells no document from another)."""
    places = {*query.places, *(c for _, chinese in query.english_places for c in chinese)}
    if not places:
        return []
    docs = [d.doc_id for d in documents if any(p in d.title + d.issuer for p in places)]
    return docs if 0 < len(docs) < len(documents) else []


def term_weight(texts: Sequence[str], term: str) -> float:
    """Inverse passage frequency of a term (substring match) in lower-cased ``texts``; a term no passage holds weighs most."""
    # Counted in every passage up to IDF_SAMPLE of them; in a larger library in an evenly
    # spaced IDF_SAMPLE (each term a scan of 100,000 passages took 15-40 ms, ten new terms a
    # question): the weights only rank a question's terms against each other.
    step = -(-len(texts) // IDF_SAMPLE)
    sample = texts[::step]
    df = sum(1 for text in sample if term in text) * len(texts) / max(len(sample), 1)
    return math.log((len(texts) + 1) / (df + 0.5))


def top_k(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` allowed entries of ``np.argsort(-scores, kind="stable")``, without sorting them all
    (two sorts of 100,000 scores were 13 ms of a question): ties keep the order of their positions."""
    idx = np.flatnonzero(allowed)
    if len(idx) > k:
        values = scores[idx]
        idx = idx[values >= np.partition(values, len(values) - k)[len(values) - k]]  # the k best, and ties
    return idx[np.argsort(-scores[idx], kind="stable")][:k]


def normalise_scores(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
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
