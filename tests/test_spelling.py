"""Slips of a pinyin input method read as the library's words: "数子经济" is 数字经济.

Inline library text; the real understanding and (for the answer) the real build with the fake embedder."""

from __future__ import annotations

from pathlib import Path

from rag import retrieval
from rag.spelling import respell
from rag.understand import Catalog, understand

from .conftest import FAKE_RELEVANCE

LIBRARY = (
    "本条例所称数字经济，是指以数据资源为关键生产要素的新经济形态。促进数字经济发展。"
    "数字经济核心产业增加值占比提高。工业增加值增长6%，服务业增加值增长5%。终端设备直连卫星服务。直连卫星服务提供者应当实名登记。"
).lower()


def test_a_slip_is_read_as_the_library_word_that_sounds_the_same():
    assert respell("数子经济到底是个啥", LIBRARY) == ("数字经济到底是个啥", (("数子", "数字"),))
    assert respell("规上工业增家值涨了多少", LIBRARY)[1] == (("增家值", "增加值"),)


def test_a_word_of_the_language_or_of_the_library_is_never_respelled():
    # 医保 is a word of the language the library does not use: not a slip, however it sounds
    assert respell("新生儿医保怎么参保", LIBRARY) == ("新生儿医保怎么参保", ())
    assert respell("数字经济是什么", LIBRARY) == ("数字经济是什么", ())
    assert respell("数子经济到底是个啥", "") == ("数子经济到底是个啥", ())  # no library, nothing to read it as


def test_a_slip_is_read_so_only_where_the_library_writes_the_word_beside_the_question_s_next_word():
    # 数字 is the library's, but never before 游戏: "数子游戏" is left as typed
    assert respell("数子游戏怎么玩", LIBRARY) == ("数子游戏怎么玩", ())


def test_the_question_says_how_it_was_read():
    query = understand("数子经济到底是个啥", catalog=Catalog(text=LIBRARY))
    assert query.text == "数字经济到底是个啥" and query.raw == "数子经济到底是个啥"
    assert "数字" in query.terms and "数子" not in query.terms
    assert query.reading == "按“数字”理解“数子”。"
    assert understand("数字经济到底是个啥", catalog=Catalog(text=LIBRARY)).reading == ""


def test_a_question_with_a_slip_is_answered_through_the_real_index(tmp_path: Path, fake_embedder):
    from rag import ask
    from rag.build import build_index
    from rag.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "law.txt").write_text("测试数字经济促进条例\n第一章 总则\n第二条 本条例所称数字经济，是指以数据资源为关键生产要素的新经济形态。\n第三条 促进数字经济发展，推动数字经济和实体经济融合。\n", encoding="utf-8")
    retrieval.reset_cache()
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="fake", auto_rebuild=False, **FAKE_RELEVANCE)
    build_index(settings)
    try:
        answer = ask("数子经济是指什么", settings=settings)
        assert answer.found and answer.query.respelled == (("数子", "数字"),)
        assert answer.text == ask("数字经济是指什么", settings=settings).text  # read as if typed right
        from rag.chat import answer_html

        assert "按“数字”理解“数子”" in answer_html(answer, 1)  # and the chat says so
    finally:
        retrieval.reset_cache()
