"""Growing a library: adding, replacing or removing one document embeds only what is new,
and a build stopped by the embedder resumes where it stopped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.build import build_index
from rag.cli import main
from rag.embedding import register_embedder
from rag.index import load_index
from tests.conftest import ROOT, FakeEmbedder


def _args(s):
    return ["--corpus-dir", str(s.corpus_dir), "--index-dir", str(s.index_dir), "--model", s.model]


def _rows(settings, doc_id: str | None = None) -> set[str]:
    """Every text the live index embedded (passages and their units), of one document or all."""
    chunks = load_index(settings).chunks
    return {t for c in chunks if doc_id in (None, c.doc_id) for t in (c.search_text, *c.units)}


def test_rag_add_builds_and_embeds_only_the_new_document(fake_settings, fake_embedder, tmp_path, capsys):
    build_index(fake_settings)
    before = _rows(fake_settings)
    calls = fake_embedder.passage_calls
    new = tmp_path / "future_industries.txt"
    shutil.copyfile(ROOT / "library2" / "miit_future_industries_opinions_2024.txt", new)
    assert main([*_args(fake_settings), "add", str(new), "--quiet"]) == 0  # was an AttributeError (no --force)
    assert "added future_industries.txt" in capsys.readouterr().out
    added = _rows(fake_settings) - before
    assert added and fake_embedder.passage_calls - calls == len(added)


def test_replacing_a_document_embeds_only_its_changed_passages(fake_settings, fake_embedder):
    build_index(fake_settings)
    before = _rows(fake_settings)
    calls = fake_embedder.passage_calls
    document = fake_settings.corpus_dir / "004_23ac486bf6fab815.txt"
    document.write_text(document.read_text(encoding="utf-8") + "\n全省新增一批未来工厂试点。\n", encoding="utf-8")
    build_index(fake_settings)
    changed = _rows(fake_settings) - before
    assert 0 < fake_embedder.passage_calls - calls == len(changed)
    assert len(changed) < len(_rows(fake_settings, load_index(fake_settings).chunks[-1].doc_id))  # not the whole document


def test_removing_a_document_embeds_nothing(fake_settings, fake_embedder, capsys):
    build_index(fake_settings)
    calls = fake_embedder.passage_calls
    assert main([*_args(fake_settings), "remove", "news-2023", "--quiet"]) == 0
    assert fake_embedder.passage_calls == calls
    assert "news-2023" not in {c.doc_id for c in load_index(fake_settings).chunks}


class Failing(FakeEmbedder):
    """Fails (as a crash or a kill would stop it) once it has embedded ``limit`` texts."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def embed_passages(self, texts):
        if self.passage_calls + len(texts) > self.limit:
            raise RuntimeError("embedder gone")
        return super().embed_passages(texts)


@pytest.mark.parametrize("batches", [1, 5])
def test_a_build_stopped_after_n_batches_resumes_with_only_the_rest(fake_settings, batches):
    settings = fake_settings.replace(batch_size=8)
    register_embedder("fake", Failing(limit=8 * batches))
    with pytest.raises(RuntimeError, match="embedder gone"):
        build_index(settings)
    assert not (Path(settings.index_dir) / "CURRENT").exists()
    rest = FakeEmbedder()
    register_embedder("fake", rest)
    build_index(settings)
    assert rest.passage_calls == len(_rows(settings)) - 8 * batches  # the stopped build's batches were kept


def test_a_rebuild_cuts_only_new_passages_and_bm25_is_the_same(fake_settings, monkeypatch, tmp_path):
    from rag.query import Vocabulary

    build_index(fake_settings)
    before = {c.search_text for c in load_index(fake_settings).chunks}
    cut: list[str] = []
    tokenize = Vocabulary.tokenize
    monkeypatch.setattr(Vocabulary, "tokenize", lambda self, text: cut.append(text) or tokenize(self, text))
    document = fake_settings.corpus_dir / "004_23ac486bf6fab815.txt"
    document.write_text(document.read_text(encoding="utf-8") + "\n全省新增一批未来工厂试点。\n", encoding="utf-8")
    build_index(fake_settings)
    after = {c.search_text for c in load_index(fake_settings).chunks}
    assert set(cut) & after == after - before != set()  # only the changed passages were cut
    fresh = fake_settings.replace(index_dir=tmp_path / "fresh")  # no cache: every passage cut
    build_index(fresh)
    a, b = load_index(fake_settings).store.bm25, load_index(fresh).store.bm25
    assert a.vocab_dict == b.vocab_dict
    query = tokenize(load_index(fresh).vocabulary, "山区26县规上工业增加值")
    assert (a.get_scores(query) == b.get_scores(query)).all()
    cut.clear()
    words = fake_settings.corpus_dir / "vocabulary" / "words.txt"
    words.write_text(words.read_text(encoding="utf-8") + "\n未来工厂试点\n", encoding="utf-8")
    build_index(fake_settings)
    assert after <= set(cut)  # the library's words changed: every passage is cut again


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"k": [1, 2]}', b"[1, 2, 3]"])
def test_a_damaged_token_cache_only_costs_time(fake_settings, garbage):
    build_index(fake_settings)
    expected = load_index(fake_settings).store.bm25.vocab_dict
    (cache,) = (fake_settings.index_dir / "embedding-cache").glob("tokens-*.json")
    cache.write_bytes(garbage)
    build_index(fake_settings, force=True)
    assert load_index(fake_settings).store.bm25.vocab_dict == expected


def test_the_token_cache_reads_back_what_it_wrote_in_slices(tmp_path):
    from rag.query import Vocabulary
    from rag.tokencache import TokenCache

    texts = [f"第{i}条 推进制造业高质量发展" for i in range(12_001)]  # more than two slices of 5,000
    first = TokenCache(tmp_path, Vocabulary())
    tokens = first.tokenize(texts)
    first.save(texts[:-1])  # what the build no longer holds is dropped
    again = TokenCache(tmp_path, Vocabulary())
    assert again.tokenize(texts[:-1]) == tokens[:-1] and again.cut == 0
    assert again.tokenize(texts[-1:]) == tokens[-1:] and again.cut == 1
