"""Questions about a document's own record: which fields answer which question, dates as the text
writes them, and the article that states when a rule takes effect.

An inline library of three documents, indexed with the fake embedder through the real build."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import ask, retrieval
from rag.build import build_index
from rag.records import chinese_date
from rag.settings import Settings

LAW = """# 某省测试促进条例

2020年12月24日某省第十三届人民代表大会常务委员会第二十六次会议通过

<!-- INFO END -->

## 第一章　总则

第一条 为了促进测试事业发展，制定本条例。

第二条 县级以上人民政府应当加强测试平台建设。

## 第二章　附则

第三条 本条例自2021年3月1日起施行。《某省旧测试条例》同时废止。
"""

REPORT = """2026年某省政府工作报告
2026年1月14日在某省第十四届人民代表大会第四次会议上
某省省长张某某
各位代表：
现在，我代表省人民政府向大会作政府工作报告，请予审议。
一、2025年主要工作
全省生产总值增长5.5%，测试产业规模突破一千亿元。
"""

NOTICE = """国务院关于印发测试发展规划的通知
国发〔2021〕99号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
现将《测试发展规划》印发给你们，请认真贯彻执行。
国务院
2021年12月12日
测试发展规划
一、发展目标
到2025年，测试产业增加值占比达到10%。
"""

MANIFEST = """
[[document]]
id = "law"
file = "law.txt"
title = "某省测试促进条例"
kind = "law"

[[document]]
id = "report"
file = "report.txt"
title = "2026年某省政府工作报告"
kind = "report"

[[document]]
id = "plan"
file = "plan.txt"
title = "测试发展规划"
kind = "policy"
"""


@pytest.fixture
def settings(tmp_path: Path, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in (("law.txt", LAW), ("report.txt", REPORT), ("plan.txt", NOTICE)):
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    retrieval.reset_cache()
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="fake", auto_rebuild=False)
    build_index(settings)
    yield settings
    retrieval.reset_cache()


def test_dates_are_written_as_the_texts_write_them():
    assert chinese_date("2021-12-12") == "2021年12月12日"
    assert chinese_date("2024-01") == "2024年1月"
    assert chinese_date("2024") == "2024年"
    assert chinese_date("浙江省第十四届人民代表大会") == "浙江省第十四届人民代表大会"


def test_when_it_takes_effect_is_the_article_that_says_so(settings):
    answer = ask("测试促进条例从哪天开始施行？", settings=settings)
    assert answer.found and "本条例自2021年3月1日起施行" in answer.text
    # cited to the article, not to the record
    assert answer.citations[0].section.endswith("第三条") or "第三条" in answer.citations[0].text
    assert "通过日期" not in answer.text


def test_when_and_where_a_law_was_adopted(settings):
    answer = ask("测试促进条例是哪天、哪次会议通过的？", settings=settings)
    assert answer.found and "2020年12月24日" in answer.text
    assert "某省第十三届人民代表大会常务委员会第二十六次会议" in answer.text
    assert "施行" not in answer.text


def test_which_meeting_adopted_a_law_is_told_with_the_day(settings):
    answer = ask("测试促进条例是哪次会议通过的", settings=settings)
    assert answer.found and "第二十六次会议" in answer.text and "2020年12月24日" in answer.text


def test_a_bare_date_beside_the_number_asks_when_it_was_issued(settings):
    answer = ask("测试发展规划 文号 日期", settings=settings)
    assert answer.found and "国发〔2021〕99号" in answer.text and "2021年12月12日" in answer.text
    assert "施行" not in answer.text


def test_how_many_articles_a_law_has_is_its_record(settings):
    answer = ask("测试促进条例一共有多少条", settings=settings)
    assert answer.found and "共3条" in answer.text
    assert answer.citations[0].section.endswith("文件信息")
    # of a part of it, or of a thing it counts, it is not the record's count
    assert "共3条" not in ask("测试促进条例第一章有多少条", settings=settings).text


def test_who_gave_a_report_and_at_which_meeting(settings):
    answer = ask("2026年某省政府工作报告是谁作的？在哪次会议上作的？", settings=settings)
    assert answer.found and "某省省长张某某" in answer.text
    assert "某省第十四届人民代表大会第四次会议" in answer.text


def test_the_number_and_the_day_it_was_issued_but_not_everything_else(settings):
    answer = ask("测试发展规划的文号是多少，哪天印发的", settings=settings)
    assert answer.found and "国发〔2021〕99号" in answer.text and "2021年12月12日" in answer.text
    assert "主送" not in answer.text and "2021-12-12）：" not in answer.text.split("：", 1)[1]


def test_a_record_of_another_document_or_year_is_not_this_ones(settings):
    # a kind of document the title does not name: another document (its 分工方案), whose number is not here
    answer = ask("测试发展规划重点任务分工方案的文号", settings=settings)
    assert not answer.found and "国发〔2021〕99号" not in answer.text
    # a year neither the title nor the record holds: a later revision the library does not have
    answer = ask("测试促进条例2024年修正后哪天起施行", settings=settings)
    assert not answer.found and "2021年3月1日" not in answer.text
    # the covering notice is the plan's own
    assert ask("国务院印发测试发展规划的通知文号是多少", settings=settings).found


def test_a_record_of_a_document_the_library_only_mentions_is_not_answered(settings):
    answer = ask("被废止的《某省旧测试条例》当初是哪天通过的", settings=settings)
    assert not answer.found and "《某省旧测试条例》" in answer.text and "2020年12月24日" not in answer.text
