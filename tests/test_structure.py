"""Structure of every kind of policy text, one rule per test, on inline snippets (fast tier)."""

from __future__ import annotations

import re
import warnings

import pytest

from rag.chunking import chunk_document
from rag.sentences import statements
from rag.errors import CorpusError
from rag.ingest import CorpusWarning, clean_document, load_corpus
from rag.profiles import BUILTIN, load_profiles


class _Sections(dict):
    """Paragraph text -> section path of the chunk holding it; looked up by a paragraph's opening."""

    def __getitem__(self, opening: str) -> tuple[str, ...]:
        matches = [v for k, v in self.items() if k.startswith(opening)]
        assert len(matches) == 1, (opening, list(self))
        return matches[0]


def _sections(raw: str, profile: str = "text", **entry) -> _Sections:
    """The section path of the chunk holding each paragraph."""
    doc = clean_document(raw, {"id": "t", "title": "测试文件", "kind": "policy", "profile": profile, **entry})
    chunks = chunk_document(doc)
    out = _Sections()
    for para in doc.paragraphs:
        chunk = next(c for c in chunks if c.start <= para.start < c.end)
        dict.__setitem__(out, para.text, chunk.section)
    return out


LAW = """# 测试条例

2020年12月24日某省第十三届人民代表大会常务委员会第二十六次会议通过

<!-- INFO END -->

## 第一章　总则

第一条 为了测试，制定本条例。

第二条 有下列情形之一的，不予处罚：

（一）初次违法的；

（二）及时改正的。

本条所称违法，是指违反本条例的行为。

## 第二章　附则

第三条 本条例自2021年3月1日起施行。《某省旧条例》同时废止。
"""


def test_law_chapters_and_articles_are_sections_and_items_are_not():
    sections = _sections(LAW)
    assert sections["第一条为了测试"] == ("第一章 总则", "第一条")
    assert sections["第二条有下列情"] == ("第一章 总则", "第二条")
    # An article's (一)(二) items and its later paragraphs stay in the article.
    assert sections["(一)初次违法的"] == ("第一章 总则", "第二条")
    assert sections["(二)及时改正的"] == ("第一章 总则", "第二条")
    assert sections["本条所称违法,"] == ("第一章 总则", "第二条")
    assert sections["第三条本条例自"] == ("第二章 附则", "第三条")


def test_plain_chapter_lines_without_markdown_are_headings_too():
    raw = "第一章 总则\n第一条 为了测试，制定本规定。\n第二章 附则\n第二条 本规定下列用语的含义：\n（一）终端，是指设备。\n"
    sections = _sections(raw)
    assert sections["第一条为了测试"] == ("第一章 总则", "第一条")
    assert sections["(一)终端,是指"] == ("第二章 附则", "第二条")


def test_parts_and_sections_of_a_code_nest():
    raw = "第一编 总则\n第一章 基本规定\n第一节 一般规定\n第一条 甲。\n第二节 特别规定\n第二条 乙。\n"
    sections = _sections(raw)
    assert sections["第一条甲。"] == ("第一编 总则", "第一章 基本规定", "第一节 一般规定", "第一条")
    assert sections["第二条乙。"] == ("第一编 总则", "第一章 基本规定", "第二节 特别规定", "第二条")


def test_opinions_numbering_runs_through_the_parts():
    raw = (
        "一、总体要求\n（一）指导思想。坚持测试优先。\n二、重点任务\n（一）全面布局\n1.加强谋划。开展测试。\n"
        "（二）加快创新\n2.提升能力。加强研发。\n3.促进转化。推广应用。\n"
    )
    sections = _sections(raw)
    assert sections["(一)指导思想。"] == ("一、总体要求", "(一)指导思想")
    assert sections["1.加强谋划。开"] == ("二、重点任务", "(一)全面布局", "1.加强谋划")
    assert sections["2.提升能力。加"] == ("二、重点任务", "(二)加快创新", "2.提升能力")
    assert sections["3.促进转化。推"] == ("二、重点任务", "(二)加快创新", "3.促进转化")


def test_headings_running_into_their_paragraph_and_on_a_line_of_their_own():
    raw = (
        "一、发展现状\n（一）发展现状。\n我国数字经济取得积极成效。\n"
        "三、优化设施\n（一）加快建设信息网络基础设施。建设高速泛在的网络。\n"
    )
    doc = clean_document(raw, {"id": "t", "title": "T", "kind": "policy"})
    chunks = chunk_document(doc)
    own_line = next(c for c in chunks if "积极成效" in c.text)
    assert own_line.section == ("一、发展现状", "(一)发展现状")
    assert own_line.text.startswith("一、发展现状")  # the passage shows its headings, and is not a heading alone
    run_in = next(c for c in chunks if "高速泛在" in c.text)
    assert run_in.section == ("三、优化设施", "(一)加快建设信息网络基础设施")


def test_a_work_report_turns_to_its_audience_at_the_level_of_the_part():
    raw = (
        "各位代表：\n现在，我代表省政府作报告。\n三、重点工作\n（九）着力防范风险\n防范化解重点风险。加强监测。\n"
        "各位代表！今年要办好十方面民生实事。\n1.医疗卫生方面。开展筛查。\n2.养老帮困方面。提高补贴。\n（十）加强自身建设\n提升效能。\n"
    )
    doc = clean_document(raw, {"id": "t", "title": "T", "kind": "report"})
    assert doc.info.salutation == "各位代表"
    sections = _sections(raw, kind="report")
    assert sections["防范化解重点风险"] == ("三、重点工作", "(九)着力防范风险")
    assert sections["各位代表!今年要"] == ("三、重点工作",)
    assert sections["1.医疗卫生方面。"] == ("三、重点工作", "1.医疗卫生方面")
    assert sections["提升效能。"] == ("三、重点工作", "(十)加强自身建设")


def test_markdown_heading_levels_give_ranks():
    raw = "# 测试文件\n\n## 背景与意义说明的一个相当长的标题，带逗号也仍是标题\n\n正文一。\n\n### 细节\n\n正文二。\n\n## 其他\n\n正文三。\n"
    sections = _sections(raw)
    long_title = "背景与意义说明的一个相当长的标题,带逗号也仍是标题"
    assert sections["正文一。"] == (long_title,)
    assert sections["正文二。"] == (long_title, "细节")
    assert sections["正文三。"] == ("其他",)


def test_an_item_ending_with_a_semicolon_is_a_statement_not_a_heading():
    assert statements("(一)篡改、伪造数字经济主要统计指标的;") == ["(一)篡改、伪造数字经济主要统计指标的;"]
    assert statements("(一)加快建设信息网络基础设施。") == []  # a heading says nothing the path does not


# ---------------------------------------------------------------- page furniture

PAGE = """下载
打印
全屏
收藏
【字号：
加大
还原
减小
】
某省政府工作报告
2026年1月14日在某省第十四届人民代表大会第四次会议上
来源：某省日报
时间：2026-01-22
各位代表：
现在，我代表省人民政府向大会作政府工作报告。
一、主要工作
全省生产总值增长5.5%。
相关报道：
"""


def test_web_furniture_record_lines_and_related_links_are_not_text():
    doc = clean_document(PAGE, {"id": "r", "title": "某省政府工作报告", "kind": "report", "profile": "web"})
    for junk in ["下载", "打印", "字号", "加大", "来源", "时间:", "相关报道", "会议上"]:
        assert junk not in doc.text, junk
    assert doc.paragraphs[0].text == "各位代表:"
    assert "来源:某省日报" in doc.metadata["source_lines"] and doc.metadata["related"] == "相关报道:"
    assert "会议上" in doc.metadata["front_matter"]
    assert doc.info.published == "2026-01-22" and doc.info.delivered == "2026-01-14"
    assert doc.info.venue == "某省第十四届人民代表大会第四次会议"


SCRAPED = """# 某部关于推动测试的意见

**发布日期**: 2024年1月
**发布机构**: 某部
**分类**: 
**来源**: https://www.gov.cn/x.htm

---

## 政策全文
某部关于推动测试的意见
某部发〔2024〕12号

各省、自治区、直辖市有关部门：

为推动测试，现提出如下意见。

一、指导思想

坚持测试优先。

某部
2024年1月18日

**更新时间**: 2026-01-26 11:25:38
"""


def test_scraper_header_and_footer_are_metadata_and_a_profile_extends_the_furniture():
    plain = clean_document(SCRAPED, {"id": "m", "title": "某部关于推动测试的意见", "kind": "policy", "profile": "web"})
    assert "**" not in plain.text and "更新时间" not in plain.text and "https://" not in plain.text
    assert "发布日期" in plain.metadata["page_header"] and "更新时间" in plain.metadata["source_lines"]
    assert "政策全文" in plain.metadata["front_matter"]  # the built-in profile does not know this site's heading
    profiles = load_profiles({"web": {"furniture": ["政策全文"]}}, "test")
    doc = clean_document(SCRAPED, {"id": "m", "title": "某部关于推动测试的意见", "kind": "policy"}, profiles["web"])
    assert "政策全文" not in doc.text and "政策全文" not in doc.metadata.get("front_matter", "")
    assert doc.paragraphs[0].text.startswith("各省、自治区")
    assert doc.info.doc_number == "某部发〔2024〕12号" and doc.info.signed == "2024-01-18"
    assert doc.metadata["signature"] == "某部\n2024年1月18日"


def test_manifest_profiles_extend_builtins_and_bad_ones_are_named(tmp_path):
    (tmp_path / "a.txt").write_text("栏目导航\n正文第一段。\n本站推荐：其他文章\n", encoding="utf-8")
    (tmp_path / "manifest.toml").write_text(
        '[[document]]\nid = "a"\nfile = "a.txt"\ntitle = "A"\nkind = "news"\nprofile = "mysite"\n\n'
        "[profile.mysite]\nextends = \"web\"\nfurniture = ['栏目导航']\n[profile.mysite.trailer]\nrecommended = '本站推荐'\n",
        encoding="utf-8",
    )
    doc = load_corpus(tmp_path).get("a")
    assert doc.text == "正文第一段。" and doc.metadata["recommended"] == "本站推荐:其他文章"
    assert "栏目导航" not in BUILTIN["web"].furniture  # nothing of one site in the built-in patterns
    with pytest.raises(CorpusError, match="extends"):
        load_profiles({"other": {"furniture": ["x"]}}, "m.toml")
    with pytest.raises(CorpusError, match="not a valid regular expression"):
        load_profiles({"web": {"furniture": ["(unclosed"]}}, "m.toml")
    with pytest.raises(CorpusError, match="unknown keys"):
        load_profiles({"web": {"furnture": ["x"]}}, "m.toml")


def test_a_file_without_an_entry_is_indexed_with_what_was_read(tmp_path):
    (tmp_path / "rules.txt").write_text(LAW, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        corpus = load_corpus(tmp_path)  # no manifest at all
    doc = corpus.get("rules")
    assert (doc.title, doc.kind, doc.date) == ("测试条例", "law", "2020-12-24")
    assert doc.issuer == "某省人民代表大会常务委员会"
    assert "rules.txt has no entry" in str(caught[0].message)


NOTICE = """某省人民政府关于印发
某省促进办法的通知
某政发〔2023〕7号

各市、县（市、区）人民政府，省政府直属各单位：

现将《某省促进办法》印发给你们，请认真贯彻执行。

某省人民政府
2023年5月6日
（此件公开发布）

某省促进办法

第一条 为了促进发展，制定本办法。

第二条 本办法自公布之日起施行。

抄送：省委各部门，省人大常委会办公厅。
某省人民政府办公厅2023年5月8日印发
"""


def test_the_record_of_a_covering_notice_and_its_distribution_list():
    doc = clean_document(NOTICE, {"id": "n", "profile": "text"})
    info = doc.info
    assert (info.title, info.notice_title, info.doc_number) == ("某省促进办法", "某省人民政府关于印发某省促进办法的通知", "某政发〔2023〕7号")
    assert (info.issuer, info.signed, info.issued, info.effective) == ("某省人民政府", "2023-05-06", "2023-05-08", "2023-05-06")
    assert info.addressees == "各市、县(市、区)人民政府,省政府直属各单位"
    assert info.cc == "省委各部门,省人大常委会办公厅"
    assert (doc.kind, doc.date) == ("law", "2023-05-06")
    # The notice's signature and the 版记 are record, not text; the notice's sentence stays.
    assert "此件公开发布" not in doc.text and "抄送" not in doc.text and "2023年5月6日" not in doc.text
    assert doc.paragraphs[1].text.startswith("现将《某省促进办法》")
    assert [c.section for c in chunk_document(doc)][-1] == ("第二条",)


def test_manifest_fields_override_what_was_read_and_validity_follows():
    entry = {"id": "n", "title": "某省促进办法（2023年）", "superseded_by": "promotion-2026", "effective": "2023-06-01"}
    info = clean_document(NOTICE, entry).info
    assert info.title == "某省促进办法（2023年）" and info.effective == "2023-06-01" and info.doc_number == "某政发〔2023〕7号"
    assert "effective" in info.read  # read from the text, then overridden by the entry
    assert info.validity("2024-01-01") == "repealed"
    law = clean_document(LAW, {"id": "l"}).info
    assert (law.validity("2021-01-01"), law.validity("2021-03-01")) == ("not_yet", "in_force")
    assert law.repeals == ("《某省旧条例》",)


def test_a_rule_in_the_body_of_a_page_does_not_make_a_header():
    raw = "第一段说明了本文的背景和意义，" + "内容很长。" * 30 + "\n---\n第二段。\n"
    doc = clean_document(raw, {"id": "w", "title": "T", "kind": "news", "profile": "web"})
    assert doc.paragraphs[0].text.startswith("第一段") and doc.paragraphs[1].text == "第二段。"
    assert "page_header" not in doc.metadata


def test_a_documents_numbered_parts_are_counted_by_its_articles_else_its_most_numerous_numbering():
    from rag.structure import numbered_parts

    opinions = (
        "一、总体要求\n1.加强谋划。开展测试。\n2.提升能力。加强研发。\n二、重点任务\n3.促进转化。推广应用。\n"
        "4.完善机制。健全制度。\n5.强化保障。落实责任。\n"
    )
    doc = clean_document(opinions, {"id": "o", "title": "测试意见", "kind": "policy", "profile": "text"})
    law = clean_document(LAW, {"id": "law", "title": "测试条例", "kind": "law", "profile": "text"})
    counted = numbered_parts([*chunk_document(doc), *chunk_document(law)])
    assert counted["o"] == 5  # 1.…5. outnumber 一、二、
    articles = {line.split()[0] for line in LAW.splitlines() if re.match(r"第[一二三四五六七八九十]+条", line)}
    assert len(articles) >= 2 and counted["law"] == len(articles)  # its articles, not its chapters
