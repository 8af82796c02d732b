"""The index-store contract (rag.store), the same test code against every backend and index type:
embedded FAISS + bm25s, and Milvus (Milvus Lite in a tmp folder), each exact and HNSW."""

from __future__ import annotations

import numpy as np
import pytest

from rag.query import Vocabulary
from rag.settings import Settings
from rag.store import Analyzer, Layout, StoreData, StoredChunk, StoreFilter, StoreQuery, create_store, open_store

# Six passages of two documents and two kinds; row vectors are made below, two rows for chunk 1.
TEXTS = [
    ("guide", "policy", "到2025年规上工业企业研发经费占营业收入比重达到2.5%以上"),
    ("guide", "policy", "打造4个世界级先进产业群，培育415X先进制造业集群"),
    ("guide", "policy", "山区26县工业发展要因地制宜，培育特色产业"),
    ("report", "report", "2023年全省规上工业增加值增长6.0%，研发投入持续增加"),
    ("report", "report", "土地出让收入用于农业农村的比例逐步提高"),
    ("report", "report", "专精特新企业获得融资支持和首台套保险补偿"),
]
OWNERS = np.array([0, 1, 1, 2, 3, 4, 5], dtype=np.int32)
VOCAB = Vocabulary(words=("415X", "山区26县", "首台套"))


def _vectors(dim: int = 8) -> np.ndarray:
    rng = np.random.default_rng(7)
    v = rng.normal(size=(len(OWNERS), dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


BACKENDS = [
    pytest.param(("embedded", "flat"), id="embedded-flat"),
    pytest.param(("embedded", "hnsw"), id="embedded-hnsw"),
    pytest.param(("milvus", "flat"), id="milvus-flat"),
    pytest.param(("milvus", "hnsw"), id="milvus-hnsw"),
]


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    """One store per backend and index type, shared by the module's tests (they only read it)."""
    backend, kind = request.param
    if backend == "milvus":
        pytest.importorskip("pymilvus", reason="the milvus extra: pip install -e '.[milvus]'")
        import jieba

        jieba.dt.initialized = False  # as tests/conftest.py fresh_jieba: no words of an earlier test's library
        jieba.dt.initialize()
    tmp_path = tmp_path_factory.mktemp(f"{backend}-{kind}")
    settings = Settings(index_dir=tmp_path / "index", backend=backend, hnsw_threshold=1 if kind == "hnsw" else 10_000, search_depth=50)
    folder = tmp_path / "index" / "build-test"
    folder.mkdir(parents=True)
    chunks = tuple(StoredChunk(d, k, t, tuple(VOCAB.tokenize(t))) for d, k, t in TEXTS)
    data = StoreData(_vectors(), OWNERS, chunks, Analyzer(VOCAB.words, tuple(VOCAB.ignored)))
    info = create_store(settings, "build-test", folder).write(data)
    assert (info.backend, info.index, info.rows, info.chunks) == (backend, kind, len(OWNERS), len(TEXTS))
    layout = Layout(OWNERS, np.array([d for d, _, _ in TEXTS]), np.array([k for _, k, _ in TEXTS]))
    opened = open_store(settings, folder, info, layout)
    yield opened
    opened.close()


def _lexical(question: str) -> StoreQuery:
    return StoreQuery(text=question, tokens=tuple(VOCAB.tokenize(question)))


def test_dense_hits_are_every_row_best_first_with_their_inner_products(store):
    q = _vectors()[2] * 0.9 + _vectors()[5] * 0.1
    hits = store.search(StoreQuery(vector=q))
    expected = _vectors() @ q
    assert sorted(hits.rows.tolist()) == list(range(len(OWNERS)))  # a small library: every row
    assert np.all(np.diff(hits.row_scores) <= 1e-6)
    np.testing.assert_allclose(hits.row_scores, expected[hits.rows], rtol=1e-4, atol=1e-5)
    assert hits.rows[0] == 2 and len(hits.chunks) == 0  # no text: no lexical search


def test_depth_bounds_the_hits(store):
    hits = store.search(StoreQuery(vector=_vectors()[0], text="研发经费", tokens=("研发", "经费"), depth=2))
    assert len(hits.rows) == 2 and hits.rows[0] == 0
    assert len(hits.chunks) <= 2


def test_bm25_finds_the_chunks_holding_the_terms_and_only_those(store):
    hits = store.search(_lexical("研发经费比重"))
    assert hits.chunks[0] == 0  # 研发 + 经费 + 比重
    assert set(hits.chunks.tolist()) == {0, 3}  # chunk 3 holds 研发 only
    assert hits.chunk_scores[0] > hits.chunk_scores[1] > 0
    assert not store.search(_lexical("江苏省")).chunks.size  # no chunk holds it


def test_the_librarys_terms_of_art_are_kept_whole(store):
    """"415X" and "山区26县" are BM25 terms of their own (the analyzer knows the library's words)."""
    assert store.search(_lexical("415x集群")).chunks[0] == 1
    assert store.search(_lexical("山区26县")).chunks.tolist() == [2]


def test_filters_restrict_both_retrievers(store):
    q = _vectors()[0]
    only_report = StoreFilter(kinds=frozenset({"report"}))
    hits = store.search(StoreQuery(vector=q, text="研发经费", tokens=("研发", "经费"), where=only_report))
    assert set(OWNERS[hits.rows].tolist()) == {3, 4, 5}
    assert hits.chunks.tolist() == [3]
    one_doc = StoreFilter(doc_ids=frozenset({"guide"}), kinds=frozenset({"policy", "report"}))
    hits = store.search(StoreQuery(vector=q, where=one_doc, depth=1))
    assert hits.rows.tolist() == [0]
    nothing = StoreFilter(doc_ids=frozenset({"guide"}), kinds=frozenset({"report"}))
    hits = store.search(StoreQuery(vector=q, text="研发", tokens=("研发",), where=nothing))
    assert len(hits.rows) == 0 and len(hits.chunks) == 0


def test_similarities_of_given_rows(store):
    q = _vectors()[4]
    rows = np.array([6, 1, 2])
    np.testing.assert_allclose(store.similarities(q, rows), _vectors()[rows] @ q, rtol=1e-4, atol=1e-5)


def test_both_backends_score_bm25_alike(tmp_path, fresh_jieba):
    """Milvus's BM25 (its jieba analyzer with the library's words and stopwords) ranks as bm25s does
    over the library's own tokens, scores in the same proportions (Milvus's are k1 + 1 times larger)."""
    pytest.importorskip("pymilvus")
    found = {}
    for backend in ("embedded", "milvus"):
        settings = Settings(index_dir=tmp_path / backend, backend=backend)
        folder = tmp_path / backend / "build-x"
        folder.mkdir(parents=True)
        chunks = tuple(StoredChunk(d, k, t, tuple(VOCAB.tokenize(t))) for d, k, t in TEXTS)
        info = create_store(settings, "build-x", folder).write(StoreData(_vectors(), OWNERS, chunks, Analyzer(VOCAB.words, tuple(VOCAB.ignored))))
        layout = Layout(OWNERS, np.array([d for d, _, _ in TEXTS]), np.array([k for _, k, _ in TEXTS]))
        store = open_store(settings, folder, info, layout)
        found[backend] = [store.search(_lexical(q)) for q in ("研发经费比重", "工业增加值增长", "先进产业群和制造业集群", "山区26县的特色产业")]
    for embedded, milvus in zip(found["embedded"], found["milvus"]):
        assert embedded.chunks.tolist() == milvus.chunks.tolist()
        np.testing.assert_allclose(milvus.chunk_scores / embedded.chunk_scores, 2.5, rtol=1e-3)
