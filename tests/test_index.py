"""The index: round trip, atomic writes, staleness, model mismatch, the embedding cache."""

from __future__ import annotations

import json

import pytest

from rag import retrieval
from rag.build import build_index
from rag.embedding import register_embedder
from rag.errors import IndexStateError
from rag.index import CURRENT, check_index, load_index

from .conftest import FakeEmbedder


def test_round_trip(fake_settings):
    manifest = build_index(fake_settings)
    index = load_index(fake_settings)
    assert manifest.n_chunks == len(index.chunks) > 100
    assert index.manifest == manifest
    assert {d.doc_id for d in manifest.documents} == set(index.documents)
    chunk = next(c for c in index.chunks if "2170亿元" in c.text)
    doc = index.documents[chunk.doc_id]
    assert doc.text[chunk.start : chunk.end] == chunk.text
    assert chunk.section_path.startswith("《浙江省人民政府关于高质量发展建设全球先进制造业基地的指导意见》 › 八、")
    saved = json.loads((index.path / "manifest.json").read_text(encoding="utf-8"))
    assert saved["model"] == "fake:bigram-64" and saved["dim"] == 64
    assert saved["chunker"]["target"] == fake_settings.chunk_target
    assert saved["corpus_fingerprint"] and saved["cleaning_version"]


def test_missing_index_names_the_command(fake_settings):
    with pytest.raises(IndexStateError, match="rag build"):
        load_index(fake_settings)


def test_stale_corpus_is_refused_then_rebuilt(fake_settings):
    build_index(fake_settings)
    with open(fake_settings.corpus_dir / "003_8361e96e119f0d94.txt", "a", encoding="utf-8") as fh:
        fh.write("\n　　31.新增条款。测试陈旧索引的检测。\n")
    with pytest.raises(IndexStateError, match="changed since the index was built.*rag build"):
        check_index(fake_settings)
    index = load_index(fake_settings.replace(auto_rebuild=True))
    assert any("测试陈旧索引的检测" in c.text for c in index.chunks)


def test_changed_chunker_settings_are_stale(fake_settings):
    build_index(fake_settings)
    with pytest.raises(IndexStateError, match="chunked with"):
        check_index(fake_settings.replace(chunk_target=300))


def test_other_model_is_a_clear_error(fake_settings):
    build_index(fake_settings)
    register_embedder("other", FakeEmbedder(name="fake:other-32", dim=32))
    with pytest.raises(IndexStateError, match="built with model fake:bigram-64.*rag build --model other"):
        load_index(fake_settings.replace(model="other"))


def test_crash_mid_build_leaves_previous_index(fake_settings, monkeypatch):
    build_index(fake_settings)
    before = (fake_settings.index_dir / CURRENT).read_text()
    import faiss

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(faiss, "write_index", boom)
    (fake_settings.corpus_dir / "extra.txt").write_text("新增", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(fake_settings)
    assert (fake_settings.index_dir / CURRENT).read_text() == before
    assert not list(fake_settings.index_dir.glob(".tmp-*"))
    monkeypatch.undo()
    (fake_settings.corpus_dir / "extra.txt").unlink()
    assert load_index(fake_settings).chunks


def test_unchanged_corpus_reuses_cached_embeddings(fake_settings, fake_embedder):
    build_index(fake_settings)
    first = fake_embedder.passage_calls
    assert first > 0
    build_index(fake_settings)
    assert fake_embedder.passage_calls == first  # nothing re-embedded
    assert len(list(fake_settings.index_dir.glob("build-*"))) == 1  # the old build was removed


def test_damaged_index_is_reported(fake_settings):
    build_index(fake_settings)
    live = fake_settings.index_dir / (fake_settings.index_dir / CURRENT).read_text().strip()
    (live / "chunks.jsonl").write_text("not json", encoding="utf-8")
    retrieval.reset_cache()
    with pytest.raises(IndexStateError, match="damaged"):
        load_index(fake_settings)


def test_changed_glossary_or_off_topic_questions_are_stale(fake_settings, monkeypatch, tmp_path):
    from rag import index as index_module

    build_index(fake_settings)
    changed = tmp_path / "offtopic.txt"
    changed.write_text(index_module.OFFTOPIC_PATH.read_text(encoding="utf-8") + "今天几号？\n", encoding="utf-8")
    monkeypatch.setattr(index_module, "OFFTOPIC_PATH", changed)
    with pytest.raises(IndexStateError, match="off-topic questions.*changed.*rag build"):
        check_index(fake_settings)


def test_manifest_describes_the_build(fake_settings):
    manifest = build_index(fake_settings)
    assert set(manifest.calibration) == {"zh", "en"}  # the not-found level of each language
    assert manifest.calibration["zh"]["n"] >= 20 and manifest.calibration["zh"]["std"] > 0
    assert manifest.resources and manifest.format_version
    lexicon = load_index(fake_settings).lexicon
    assert "天然气" in lexicon["natural gas"]  # English words for the corpus's Chinese ones
