"""An HNSW build grows the previous build's graph (rag.store_graph): after adding, removing or
replacing a document the search returns what a fresh build of the same library returns, never a
row of a removed passage; the graph is made anew past the dead share or when it cannot be reused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from rag import retrieval, store_graph
from rag.build import build_index
from rag.errors import IndexStateError, StorageError
from rag.index import load_index
from rag.manage import add_files, remove_document
from rag.retrieval import search
from rag.settings import Settings
from rag.store import StoreFilter, StoreQuery

# The documents have no manifest entries (their titles are read from them): that is not the matter here.
pytestmark = pytest.mark.filterwarnings("ignore::rag.ingest.CorpusWarning")

# Ten inline documents of the same shape, each about its own matters and figures.
SUBJECTS = ["集成电路", "生物医药", "新能源汽车", "智能装备", "新材料", "数字贸易", "现代农业", "文化旅游", "海洋经济", "航空航天"]
CITIES = ["甲市", "乙市", "丙市", "丁市", "戊市", "己市", "庚市", "辛市", "壬市", "癸市"]


def _document(i: int, extra: str = "") -> str:
    s, c = SUBJECTS[i], CITIES[i]
    return (
        f"一、总体目标\n到{2025 + i % 3}年，{c}{s}产业规模达到{100 + 37 * i}亿元，培育龙头企业{3 + i}家。"
        f"研发投入占比达到{2 + i / 10:.1f}%，建成{s}创新中心{1 + i % 4}个。\n"
        f"二、重点任务\n(一)壮大{s}集群。支持{c}建设{s}产业园，引进重大项目{10 + i}个，完善上下游配套。"
        f"鼓励企业兼并重组，推动{s}产品进入国际市场。\n"
        f"(二)强化{s}人才支撑。实施{c}{s}英才计划，每年引进高层次人才{50 + 5 * i}名，建设实训基地。\n"
        f"三、保障措施\n设立{s}发展专项资金{5 + i}亿元，落实用地指标，优化审批服务，建立{c}{s}统计监测制度。\n{extra}"
    )


QUESTIONS = [f"{CITIES[i]}{SUBJECTS[i]}{q}" for i in range(10) for q in ("产业规模目标是多少？", "人才计划", "专项资金")]


@pytest.fixture
def library(tmp_path, fake_embedder, fresh_jieba):
    folder = tmp_path / "library"
    (folder / "vocabulary").mkdir(parents=True)
    for i in range(8):
        (folder / f"doc{i}.txt").write_text(_document(i), encoding="utf-8")
    retrieval.reset_cache()
    yield folder
    retrieval.reset_cache()


def _settings(library, index_dir) -> Settings:
    return Settings(corpus_dir=library, index_dir=index_dir, model="fake", auto_rebuild=False, hnsw_threshold=5, search_depth=10)


def _results(settings: Settings) -> list:
    """Every question's passages and scores, and the store's raw dense hits for a few of its own rows."""
    retrieval.reset_cache()
    index = load_index(settings)
    found = [[(p.chunk_id, round(p.score, 5)) for p in search(q, k=5, settings=settings)] for q in QUESTIONS]
    vectors = index.store.dense.reconstruct_batch(np.arange(0, index.store.info.rows, 7, dtype=np.int64))
    hits = [index.store.search(StoreQuery(vector=v)) for v in vectors]
    raw = [(h.rows.tolist(), np.round(h.row_scores, 5).tolist()) for h in hits]
    everything = index.store.search(StoreQuery(vector=vectors[0], depth=index.store.info.rows))
    return [found, raw, sorted(everything.rows.tolist())]


def _same_as_fresh(settings: Settings, tmp_path) -> None:
    fresh = settings.replace(index_dir=tmp_path / f"fresh-{len(list(tmp_path.glob('fresh-*')))}")
    grown_results = _results(settings)
    manifest = build_index(fresh)
    assert manifest.store["reused"] == 0 == manifest.store["dead"]
    fresh_results = _results(fresh)
    assert grown_results == fresh_results
    rows = load_index(settings).store.info.rows
    assert grown_results[2] == list(range(rows))  # every live row once, no dead node (-1 or another number)


def _store(settings: Settings) -> dict:
    return load_index(settings).manifest.store


def test_adding_a_document_grows_the_graph_and_searches_as_a_fresh_build(library, tmp_path):
    settings = _settings(library, tmp_path / "index")
    first = build_index(settings).store
    assert (first["index"], first["reused"], first["dead"]) == ("hnsw", 0, 0)
    new = tmp_path / "doc8.txt"
    new.write_text(_document(8), encoding="utf-8")
    add_files(library, [new])
    grown = build_index(settings).store
    assert grown["reused"] == first["rows"] and grown["dead"] == 0 and grown["rows"] > first["rows"]
    assert load_index(settings).store.dense.ntotal == grown["rows"]
    _same_as_fresh(settings, tmp_path)


def test_removed_and_replaced_passages_are_never_returned(library, tmp_path):
    settings = _settings(library, tmp_path / "index")
    first = build_index(settings).store
    removed_vectors = load_index(settings)
    gone = [i for i, c in enumerate(removed_vectors.chunks) if c.doc_id == "doc3"]
    rows_of_gone = np.flatnonzero(np.isin(removed_vectors.owners, gone))
    their_vectors = removed_vectors.store.dense.reconstruct_batch(rows_of_gone.astype(np.int64))
    remove_document(library, "doc3")
    removed = build_index(settings).store
    assert removed["dead"] == len(rows_of_gone) and removed["reused"] == first["rows"] - len(rows_of_gone)
    index = load_index(settings)
    assert "doc3" not in {c.doc_id for c in index.chunks}
    for vector in their_vectors:  # questions that match the removed rows best still get live rows only
        for where in (StoreFilter(), StoreFilter(kinds=frozenset({index.chunks[0].doc_kind}))):
            hits = index.store.search(StoreQuery(vector=vector, where=where))
            assert len(hits.rows) == 10 and ((hits.rows >= 0) & (hits.rows < removed["rows"])).all()
    _same_as_fresh(settings, tmp_path)

    doc5 = int(np.isin(index.owners, [i for i, c in enumerate(index.chunks) if c.doc_id == "doc5"]).sum())
    document = library / "doc5.txt"
    document.write_text(_document(5).replace("完善上下游配套", "完善上下游配套，建设公共检测平台"), encoding="utf-8")
    replaced = build_index(settings).store
    assert replaced["dead"] > removed["dead"]  # the edited passage's old rows died too
    assert removed["rows"] - doc5 < replaced["reused"] < removed["rows"]  # the other documents' rows, and doc5's unchanged ones
    _same_as_fresh(settings, tmp_path)


def test_the_graph_is_made_anew_past_the_dead_share(library, tmp_path):
    settings = _settings(library, tmp_path / "index")
    build_index(settings)
    remove_document(library, "doc0")  # 1 of 8 documents: 12.5% of the nodes dead, below 20%
    assert build_index(settings).store["dead"] > 0
    remove_document(library, "doc1")  # 2 of 8: 25%
    again = build_index(settings).store
    assert (again["reused"], again["dead"]) == (0, 0)
    assert load_index(settings).store.dense.ntotal == again["rows"]
    _same_as_fresh(settings, tmp_path)


def test_removed_then_added_back_revives_its_nodes(library, tmp_path):
    settings = _settings(library, tmp_path / "index")
    first = build_index(settings).store
    kept = tmp_path / "doc2.txt"
    shutil.copyfile(library / "doc2.txt", kept)
    remove_document(library, "doc2")
    build_index(settings)
    add_files(library, [kept])
    back = build_index(settings).store
    assert (back["rows"], back["reused"], back["dead"]) == (first["rows"], first["rows"], 0)
    _same_as_fresh(settings, tmp_path)


def test_another_graph_shape_or_a_damaged_graph_is_not_grown(library, tmp_path, monkeypatch):
    settings = _settings(library, tmp_path / "index")
    build_index(settings)
    (library / "doc0.txt").write_text(_document(0, "四、附则\n本意见自印发之日起施行。\n"), encoding="utf-8")
    monkeypatch.setattr(store_graph, "HNSW_EF_CONSTRUCTION", 40)  # the settings of the graph changed
    assert build_index(settings).store["reused"] == 0
    monkeypatch.undo()
    assert build_index(settings, force=True).store["reused"] == 0  # efConstruction back: the 40 graph is not it either
    live = load_index(settings).path / "dense.faiss"
    data = bytearray(live.read_bytes())
    data[-100] ^= 0xFF
    live.write_bytes(bytes(data))  # fails its checksum: never grown
    assert build_index(settings, force=True).store["reused"] == 0
    assert build_index(settings, force=True).store["reused"] > 0  # an intact graph of the same shape is


def test_a_failed_build_leaves_the_live_graph_answering(library, tmp_path, monkeypatch):
    from rag import build as build_module

    settings = _settings(library, tmp_path / "index")
    build_index(settings)
    before = _results(settings)
    live = load_index(settings)
    (library / "doc9.txt").write_text(_document(9), encoding="utf-8")

    def fail(folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build_module, "checksums", fail)  # after the grown graph is written, before the switch
    with pytest.raises(StorageError, match="No space left"):
        build_index(settings)
    monkeypatch.undo()
    (library / "doc9.txt").unlink()
    assert load_index(settings).path == live.path  # verified: its graph file is the one it was built with
    assert _results(settings) == before


def test_a_manifest_that_miscounts_the_dead_nodes_is_refused(library, tmp_path):
    settings = _settings(library, tmp_path / "index")
    build_index(settings)
    remove_document(library, "doc4")
    build_index(settings)
    path = load_index(settings).path / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    assert manifest["store"]["dead"] > 0
    manifest["store"]["dead"] -= 1
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    retrieval.reset_cache()
    with pytest.raises(IndexStateError, match="inconsistent"):
        load_index(settings)
