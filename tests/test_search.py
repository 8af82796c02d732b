"""search() and ask() through the real pipeline with the fake embedder."""

from __future__ import annotations

import pytest

from rag.answer import ask
from rag.build import build_index
from rag.errors import IndexStateError, InputError
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


@pytest.mark.parametrize(
    "kwargs, says",
    [
        ({"k": "5"}, "k 必须是正整数"),
        ({"k": None}, "k 必须是正整数"),
        ({"k": 0}, "k 必须是正整数"),
        ({"k": True}, "k 必须是正整数"),
        ({"history": [1]}, "history"),
        ({"history": [{"role": "user", "content": "x"}]}, "history"),
        ({"history": "上一个问题"}, "history"),
        ({"doc_ids": ["no-such-document"]}, "guideline-2022"),  # the message names the valid ids
        ({"doc_ids": "guideline-2022"}, "必须是列表"),
        ({"kinds": ["speeches"]}, "policy"),
    ],
)
def test_bad_arguments_to_ask_are_an_answer_that_says_what_to_do(built, kwargs, says):
    answer = ask("研发经费占营业收入比重", settings=built, **kwargs)
    assert answer.status == "invalid_question" and says in answer.text and not answer.citations
    if "history" not in kwargs:  # search() takes no history; the rest it refuses with the same message
        with pytest.raises(InputError, match=says):
            search("研发经费占营业收入比重", settings=built, **kwargs)


def test_text_that_grows_past_the_limit_or_holds_a_lone_surrogate_is_still_answered_or_refused(built):
    assert ask("研发\ud800经费占营业收入比重", settings=built).status in ("answered", "not_found")
    assert ask("\ufdfa" * 1999, settings=built).status in ("not_found", "invalid_question")
    long_previous = "研发经费占营业收入比重" * 180
    assert ask("山区26县呢？", settings=built, history=[long_previous]).status in ("answered", "not_found")


def test_a_place_the_question_names_prefers_that_places_documents(tmp_path, fake_embedder):
    """Two documents saying the same: the one whose title names the place asked about ranks first;
    without the boost the text alone cannot tell them apart."""
    import dataclasses

    from rag import retrieval

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    same = "一、重点工作\n新增未来产业先导区10个，培育一批未来产业企业。\n"
    (corpus / "national.txt").write_text("关于推动未来产业发展的实施意见\n" + same, encoding="utf-8")
    (corpus / "province.txt").write_text("浙江省2026年政府工作报告\n" + same, encoding="utf-8")
    retrieval.reset_cache()
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="fake", auto_rebuild=False)
    build_index(settings)
    try:
        question = "浙江新增几个未来产业先导区"
        on = {p.doc_id: p.score for p in search(question, k=2, settings=settings)}
        retrieval.reset_cache()
        off = {p.doc_id: p.score for p in search(question, k=2, settings=dataclasses.replace(settings, place_boost=0.0))}
        assert on["province"] - off["province"] == pytest.approx(settings.place_boost) and settings.place_boost > 0
        assert on["national"] == pytest.approx(off["national"])
        # a place no document's title names tells no document from another
        retrieval.reset_cache()
        other = {p.doc_id: p.score for p in search("江苏新增几个未来产业先导区", k=2, settings=settings)}
        retrieval.reset_cache()
        other_off = {p.doc_id: p.score for p in search("江苏新增几个未来产业先导区", k=2, settings=dataclasses.replace(settings, place_boost=0.0))}
        assert other == pytest.approx(other_off)
    finally:
        retrieval.reset_cache()


def test_a_passage_without_years_is_read_under_the_last_year_named_before_it_in_its_part(tmp_path, fake_embedder):
    """"2023年,…" stays in force over the passages after it in its part, until another year is named;
    a part of its own starts without one."""
    from rag import retrieval

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    speech = (
        "在全省制造业大会上的讲话\n"
        "一、肯定成绩\n（一）实体制造挑起大梁\n2023年，全省工业增加值达到2.94万亿元，居全国第三。\n"
        "（二）创新驱动更进一步\n规上工业企业研发费用支出占营收比重达到3.1%，企业创新能力居全国第三。\n"
        "二、明确任务\n（一）集群培育\n要培育一批先进制造业集群，做强链主企业。\n"
        "（二）远景目标\n到2027年，集群规上企业营收达到10万亿元。\n（三）要素保障\n强化用地用能保障，优化要素配置。\n"
    )
    (corpus / "speech.txt").write_text(speech, encoding="utf-8")
    retrieval.reset_cache()
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="fake", auto_rebuild=False)
    build_index(settings)
    try:
        retriever = retrieval.get_retriever(settings)
        chunks = retriever.index.chunks
        of = lambda words: retriever.part_years(next(i for i, c in enumerate(chunks) if words in c.text))
        assert of("研发费用") == ("2023",)  # after "2023年,…" in its part
        assert of("要培育") == ()  # another part: 2023 is not its year
        assert of("强化用地") == ("2027",)
    finally:
        retrieval.reset_cache()
