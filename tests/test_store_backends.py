"""A library on each backend through the public API: the same passages from both, a library built
for one backend refused by the other, a Milvus that does not answer, atomic rebuilds, HNSW by size."""

from __future__ import annotations

import json
import socket

import pytest

from rag import retrieval
from rag.build import build_index, unchanged_index
from rag.errors import BackendError, IndexStateError, StorageError
from rag.index import CURRENT, load_index
from rag.retrieval import search
from rag.settings import Settings

pytest.importorskip("pymilvus", reason="the milvus extra: pip install -e '.[milvus]'")

# A small library written inline: two documents, one policy and one report.
MANIFEST = """
[[document]]
id = "plan"
file = "plan.txt"
title = "关于推进制造业高质量发展的实施意见"
issuer = "某省人民政府"
date = "2022-03-01"
kind = "policy"

[[document]]
id = "review"
file = "review.txt"
title = "某省工业经济运行情况报告"
issuer = "某省经济和信息化厅"
date = "2024-01-15"
kind = "report"
"""
PLAN = """一、总体目标
到2025年，规上工业企业研发经费占营业收入比重达到2.5%以上，数字经济核心产业增加值占比达到15%。
二、重点任务
(一)培育先进制造业集群。打造4个世界级先进产业群，培育415X先进制造业集群，建设一批特色产业园区。
(二)推动山区26县工业发展。因地制宜发展生态工业，每县培育一个主导产业，推进飞地经济。
三、保障措施
加强用地保障，新增工业用地出让比例不低于30%。落实首台套保险补偿政策，支持专精特新企业融资。
"""
REVIEW = """一、总体情况
2023年全省规上工业增加值增长6.0%，高技术制造业增加值增长8.2%，研发投入持续增加。
二、存在问题
部分行业需求不足，中小企业融资难问题依然存在，山区26县产业基础仍然薄弱。
"""
QUESTIONS = ["研发经费占营业收入比重要达到多少？", "世界级先进产业群有几个？", "山区26县怎么发展工业？",
             "工业用地出让比例", "2023年工业增加值增长多少？", "首台套保险补偿"]


@pytest.fixture
def library(tmp_path, fake_embedder, fresh_jieba):
    folder = tmp_path / "library"
    (folder / "vocabulary").mkdir(parents=True)
    (folder / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    (folder / "plan.txt").write_text(PLAN, encoding="utf-8")
    (folder / "review.txt").write_text(REVIEW, encoding="utf-8")
    (folder / "vocabulary" / "words.txt").write_text("415X\n山区26县\n首台套\n", encoding="utf-8")
    retrieval.reset_cache()
    yield folder
    retrieval.reset_cache()


def _settings(library, tmp_path, backend: str, **kw) -> Settings:
    return Settings(corpus_dir=library, index_dir=tmp_path / f"index-{backend}", model="fake", auto_rebuild=False, backend=backend, **kw)


def _collections(settings: Settings) -> list[str]:
    from rag.store_milvus import client

    return sorted(client(settings).list_collections())


def test_both_backends_return_the_same_passages(library, tmp_path):
    results = {}
    for backend in ("embedded", "milvus"):
        settings = _settings(library, tmp_path, backend)
        manifest = build_index(settings)
        assert manifest.store["backend"] == backend and manifest.store["index"] == "flat"
        results[backend] = [
            [(p.chunk_id, round(p.score, 4), round(p.dense_score, 4)) for p in search(q, k=3, settings=settings, **filters)]
            for q in QUESTIONS
            for filters in ({}, {"kinds": ["report"]}, {"doc_ids": ["plan"]}, {"retriever": "bm25"})
        ]
    assert results["milvus"] == results["embedded"]
    assert all(results["embedded"])  # each question found something


def test_a_library_built_for_one_backend_is_refused_by_the_other(library, tmp_path):
    embedded = _settings(library, tmp_path, "embedded")
    build_index(embedded)
    milvus = embedded.replace(backend="milvus")
    with pytest.raises(IndexStateError, match=r"built for the embedded backend.*rag build --backend milvus"):
        load_index(milvus)
    with pytest.raises(IndexStateError, match=r"built for the embedded backend.*rag build --backend milvus"):
        load_index(milvus.replace(auto_rebuild=True))  # never rebuilt behind the user's back, like a model change
    assert unchanged_index(milvus) is None  # `rag build --backend milvus` does build it
    build_index(milvus)
    with pytest.raises(IndexStateError, match=r"built for the milvus backend.*rag build --backend embedded"):
        load_index(embedded)
    assert load_index(milvus).manifest.store["backend"] == "milvus"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once it is closed


def test_a_milvus_that_does_not_answer_names_the_setting(library, tmp_path):
    settings = _settings(library, tmp_path, "milvus", milvus_uri=f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(BackendError, match=r"RAG_MILVUS_URI=http://127\.0\.0\.1:\d+.*RAG_BACKEND=embedded") as err:
        build_index(settings)
    assert "无法连接 Milvus" in str(err.value)
    assert not (tmp_path / "index-milvus" / CURRENT).exists()  # nothing half-made became live
    assert isinstance(err.value, IndexStateError)  # the API answers it as an unusable index (503)


def test_a_token_is_never_shown(library, tmp_path):
    settings = _settings(library, tmp_path, "milvus", milvus_uri=f"http://root:secret@127.0.0.1:{_closed_port()}",
                         milvus_token="root:secret")
    with pytest.raises(BackendError) as err:
        build_index(settings)
    assert "secret" not in str(err.value) and "secret" not in repr(settings)


def test_a_rebuild_switches_collections_then_drops_the_old_ones(library, tmp_path):
    settings = _settings(library, tmp_path, "milvus")
    first = build_index(settings)
    assert _collections(settings) == [f"{first.store['collection']}_chunks", f"{first.store['collection']}_rows"]
    old = load_index(settings)
    second = build_index(settings, force=True)
    assert second.store["collection"] != first.store["collection"]
    assert _collections(settings) == [f"{second.store['collection']}_chunks", f"{second.store['collection']}_rows"]
    retrieval.reset_cache()
    assert search(QUESTIONS[0], k=1, settings=settings)[0].doc_id == "plan"
    assert old.manifest != load_index(settings).manifest


def test_a_failed_milvus_build_leaves_the_live_index_and_no_collection(library, tmp_path, monkeypatch):
    settings = _settings(library, tmp_path, "milvus")
    live = build_index(settings)
    from rag import build as build_module

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build_module, "checksums", fail)  # after the store is written, before the switch
    with pytest.raises(StorageError, match="No space left"):
        build_index(settings, force=True)
    assert _collections(settings) == [f"{live.store['collection']}_chunks", f"{live.store['collection']}_rows"]
    monkeypatch.undo()
    retrieval.reset_cache()
    assert load_index(settings).manifest == live


@pytest.mark.parametrize("backend", ["embedded", "milvus"])
def test_hnsw_above_the_threshold_and_exact_below(library, tmp_path, backend):
    exact = _settings(library, tmp_path, backend)
    build_index(exact)
    approximate = exact.replace(hnsw_threshold=5, search_depth=8)
    assert unchanged_index(approximate) is None  # a library that outgrew the threshold is rebuilt
    manifest = build_index(approximate)
    assert manifest.store["index"] == "hnsw"
    saved = json.loads((load_index(approximate).path / "manifest.json").read_text(encoding="utf-8"))
    assert saved["store"]["index"] == "hnsw"
    retrieval.reset_cache()
    found = search(QUESTIONS[0], k=3, settings=approximate)
    assert found[0].doc_id == "plan" and "2.5%" in found[0].text
    # Units an HNSW search did not reach are measured for the passages returned (the composer reads them).
    assert all(u.similarity is not None and u.similarity == u.similarity for p in found for u in p.units)


def test_collections_gone_under_a_running_index_are_a_clear_error(library, tmp_path):
    """A search on a Milvus that lost the collections (dropped by hand, another cluster) says what
    to do; a fresh load names the command that rebuilds them."""
    from rag.store_milvus import client

    settings = _settings(library, tmp_path, "milvus")
    build_index(settings)
    assert search(QUESTIONS[0], k=1, settings=settings)
    for name in client(settings).list_collections():
        client(settings).drop_collection(name)
    with pytest.raises(BackendError, match=r"RAG_MILVUS_URI=.*failed while searching"):
        search(QUESTIONS[0], k=1, settings=settings)
    retrieval.reset_cache()
    with pytest.raises(IndexStateError, match=r"has no collection .*rag build --backend milvus --force"):
        load_index(settings)
    assert unchanged_index(settings) is None  # `rag build` makes them again
