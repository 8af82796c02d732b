"""Shared fixtures. Fast tests use a deterministic fake embedder plugged in
through the real seam (`register_embedder`); tests marked `slow` use the bundled
model and the real corpus."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag import retrieval
from rag.embedding import register_embedder
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


# The fake embedder's similarities separate related questions less than e5's (the relevance of a
# question its one passage answers is 1-2 null deviations, not 3-8): tests of what happens after
# the not-found rule let such questions through with the thresholds set for that scale.
FAKE_RELEVANCE = {"min_relevance": 1.5, "min_relevance_alone": 2.9}


class FakeEmbedder:
    """Hashes character bigrams into a small vector: similar texts get similar vectors."""

    def __init__(self, name: str = "fake:bigram-64", dim: int = 64) -> None:
        self.name, self.dim = name, dim
        self.passage_calls = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:]):
            v[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_queries(self, texts):
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts):
        self.passage_calls += len(texts)
        return self.embed_queries(texts)


@pytest.fixture
def fake_embedder():
    emb = FakeEmbedder()
    register_embedder("fake", emb)
    return emb


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the real corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture
def fake_settings(tmp_path: Path, corpus_copy: Path, fake_embedder) -> Settings:
    retrieval.reset_cache()
    # Refusing, not rebuilding, a missing or stale index: tests build when they mean to.
    yield Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index", model="fake", auto_rebuild=False)
    retrieval.reset_cache()


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    """The real corpus and the bundled model, indexed once per test session."""
    from rag.build import build_index

    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("real") / "index")
    build_index(settings)
    return settings


@pytest.fixture
def fresh_jieba():
    """jieba's process-wide dictionary as it ships. Milvus Lite's jieba analyzer adds a collection's
    words to it (a Milvus server keeps each analyzer's own): tests that compare the backends' BM25
    start without the words an earlier test's library left there."""
    import jieba

    def reset() -> None:
        jieba.dt.initialized = False
        jieba.dt.initialize()

    reset()
    yield
    reset()
