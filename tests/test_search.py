"""search() and ask() through the real pipeline with the fake embedder."""

from __future__ import annotations

import pytest

from rag.answer import ask
from rag.errors import IndexStateError, InputError
from rag.index import build_index
from rag.retrieval import Passage, search
from rag.settings import Settings


@pytest.fixture
def built(fake_settings):
    build_index(fake_settings)
    return fake_settings


def test_search_returns_passages_best_first(built):
    passages = search("山区26县规上工业增加值目标", k=3, settings=built)
    assert len(passages) == 3 and all(isinstance(p, Passage) for p in passages)
    assert passages[0].doc_id == "guideline-2022" and "2170亿元" in passages[0].text
    assert passages[0].section.endswith("(四)加快山区26县生态工业发展")
    assert passages[0].doc_date == "2022-08-30" and passages[0].doc_title.startswith("浙江省人民政府")
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_filters_restrict_documents(built):
    only = search("研发经费占营业收入比重", k=5, settings=built, doc_ids=["opinions-2020"])
    assert {p.doc_id for p in only} == {"opinions-2020"}
    policy = search("产业集群", k=8, settings=built, kinds=["policy"])
    assert {p.doc_kind for p in policy} == {"policy"}


@pytest.mark.parametrize(
    "question, message",
    [("", "空"), ("   \n\t", "空"), ("x" * 100_000, "太长"), ("？！。…，、", "没有文字"), ("🙂🙂🙂", "没有文字")],
)
def test_bad_questions_get_clear_messages(built, question, message):
    with pytest.raises(InputError, match=message):
        search(question, settings=built)
    answer = ask(question, settings=built)
    assert answer.status == "invalid_question" and not answer.found and message in answer.text
    assert answer.citations == []


def test_invisible_characters_are_not_words(built):
    with pytest.raises(InputError, match="空"):
        search("\u200b\x00\u2060 ", settings=built)
    passages = search("山区26县\u200b规上工业\x07增加值", k=3, settings=built)
    assert any("2170亿元" in p.text for p in passages)


def test_markup_only_question_is_not_run(built):
    answer = ask("<img src=x onerror=alert(1)>", settings=built)
    assert answer.status == "invalid_question" and "HTML" in answer.text


def test_bad_k_and_retriever(built):
    with pytest.raises(InputError, match="k must be"):
        search("研发", k=0, settings=built)
    with pytest.raises(InputError, match="Unknown retriever"):
        search("研发", settings=built, retriever="magic")


def test_missing_index_is_refused_with_the_fix(fake_settings):
    with pytest.raises(IndexStateError, match="No index.*rag build"):
        search("研发", settings=fake_settings)


def test_missing_index_is_built_when_first_needed_by_default(fake_settings, caplog):
    settings = fake_settings.replace(auto_rebuild=True)
    passages = search("山区26县规上工业增加值目标", k=3, settings=settings)
    assert any("2170亿元" in p.text for p in passages)
    assert "No index" in caplog.text and "正在重建索引" in caplog.text
    assert Settings().auto_rebuild is True
