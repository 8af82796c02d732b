"""The web chat: its HTML helpers (rag.chat) and the chat function of app.py, called directly.

Helper tests need no index. Chat tests (marked slow) answer with the real model
over the real corpus, indexed once per session into a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag import chat as fmt
from rag.answer import NOT_FOUND_TEXT, Answer, Status
from rag.compose import Statement, spans_of
from rag.index import DocumentInfo
from rag.passage import Passage
from rag.query import Vocabulary
from rag.render import citations_of, render_text
from rag.understand import Catalog, understand

VOCAB = Vocabulary(
    words=("研发经费", "专项基金"),
    glossary={"r&d intensity": ("研发经费", "研发投入"), "target": ("目标",)},
)
CATALOG = Catalog((DocumentInfo("news-2023", "推进新型工业化", "浙江日报", "news", "2023-10-24", 9),), VOCAB)

ROOT = Path(__file__).resolve().parent.parent


def _passage(text: str, **kw) -> Passage:
    base = dict(
        doc_id="guideline-2022",
        doc_title="关于<b>高质量</b>发展的指导意见",
        doc_date="2022-08-30",
        doc_issuer="浙江省人民政府",
        doc_kind="policy",
        section="《关于<b>高质量</b>发展的指导意见》 › 一、总体要求 › (二)主要目标",
        score=1.0,
        start=0,
        end=len(text),
    )
    base.update(kw)
    return Passage(text=text, **base)


def _tags(html: str) -> set[str]:
    return set(re.findall(r"<\s*([a-zA-Z]+)", html))


# --- helpers: escaping ------------------------------------------------------------------


def test_user_message_shows_markup_as_text():
    out = fmt.user_html('<img src=x onerror="window.__xss=1">\n<script>alert(1)</script>')
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert _tags(out) == {"div", "br"}  # only the wrapper and the kept line break are tags


def test_highlight_escapes_source_text_before_marking():
    out = fmt.highlight('研发经费<script>alert("x")</script> & 研发经费', ["研发经费", "script"])
    assert "<script" not in out
    assert out.count("<mark>研发经费</mark>") == 2
    # a term that is also a tag name is marked as text, inside the escaped form
    assert "&lt;<mark>script</mark>&gt;alert（&quot;x&quot;）" in out
    assert "&amp;" in out and _tags(out) == {"mark"}


def test_highlight_never_matches_inside_entities():
    # "amp" and "lt" occur in the escaped form only; they must not be marked
    out = fmt.highlight("a < b & c", ["amp", "lt"])
    assert out == "a &lt; b &amp; c"


def test_highlight_marks_terms_and_quoted_pieces_case_insensitively():
    text = "到2025年,规上工业企业研发经费占营业收入比重达到2.5%以上;R&D intensity"
    out = fmt.highlight(text, ["研发经费", "r&d"], ["规上工业企业研发经费占营业收入比重达到2.5%以上"])
    assert '<span class="quoted"><mark>研发经费</mark></span>' in out
    assert '<span class="quoted">占营业收入比重达到2.5%以上</span>' in out
    assert "<mark>R&amp;D</mark>" in out
    # removing the tags gives back the text, escaped, in Chinese punctuation
    assert re.sub(r"<[^>]+>", "", out) == fmt.shown(text)
    assert "到2025年，" in out and "2.5%以上；" in re.sub(r"<[^>]+>", "", out)


def test_highlight_terms_drop_question_words_and_keep_quoted_phrases():
    terms = fmt.highlight_terms(understand("浙江日报报道的“4+1”专项基金群规模多大？", catalog=CATALOG))
    assert "4+1" in terms and "专项基金" in terms
    assert not {"多大", "报道", "浙江日报"} & set(terms)
    terms = fmt.highlight_terms(understand("到2025年规上工业企业研发经费占营业收入比重要达到多少？", catalog=CATALOG))
    assert "研发经费" in terms and "2025" in terms
    assert "研发" not in terms  # part of the longer word already marked
    assert not {"多少", "重要", "到", "年"} & set(terms)
    assert terms == sorted(terms, key=lambda t: (-len(t), t))


def test_english_question_highlights_its_chinese_glossary_terms():
    terms = fmt.highlight_terms(understand("What is the R&D intensity target for 2025?", catalog=CATALOG))
    assert "研发经费" in terms and "2025" in terms
    assert not any(re.fullmatch(r"[a-z]+", t) for t in terms)


# --- helpers: answer, markers, cards -----------------------------------------------------

G_TEXT = "到2025年,全球先进制造业基地建设取得重大进展;规上工业企业研发经费占营业收入比重达到2.5%以上;高技术制造业增加值比重达到19%。"
O_TEXT = "到2025年,研发经费占营业收入比重达到2.5%以上,智能化水平全国领先。"
G = _passage(G_TEXT, doc_title="浙江省人民政府关于高质量发展建设全球先进制造业基地的指导意见", chunk_id="guideline-2022#3")
O = _passage(O_TEXT, doc_id="opinions-2020", doc_title="关于以新发展理念引领制造业高质量发展的若干意见", doc_date="2020-03-16", chunk_id="opinions-2020#2")


def _statement(text: str, passage: Passage) -> Statement:
    return Statement(text, passage, spans_of(text, passage.text))


def _made(*statements: Statement) -> Answer:
    citations = citations_of(statements)
    return Answer("问题", render_text(statements, citations), citations, Status.ANSWERED, citations, tuple(statements))


ANSWER = _made(
    _statement("到2025年,……规上工业企业研发经费占营业收入比重达到2.5%以上", G),
    _statement("到2025年,……研发经费占营业收入比重达到2.5%以上", O),
)


def test_markers_link_to_their_source_cards():
    out = fmt.answer_html(ANSWER, turn=3)
    assert '<a class="cite" href="#src-3-1"' in out and '<a class="cite" href="#src-3-2"' in out
    assert out.count("<p>") == 2 and "\n" not in out  # one HTML block: never read as Markdown
    assert '<span class="doc-label">政策文件《浙江省人民政府关于高质量发展建设全球先进制造业基地的指导意见》（2022-08-30）：</span>' in out
    card = fmt.source_card(_passage("到2025年,研发经费达到2.5%以上。"), 1, 3)
    assert 'id="src-3-1"' in card


def test_answer_html_is_built_from_statements_and_escapes_their_text():
    odd = _passage("见<附件>与[7]。", chunk_id="x#1")
    out = fmt.answer_html(_made(_statement("见<附件>与[7]。", odd)), turn=1)
    assert "&lt;附件&gt;" in out
    assert 'href="#src-1-1"' in out and "[7]" in out and "src-1-7" not in out  # text that looks like a marker is text


def test_quoted_fragments_follow_the_statements():
    quotes = fmt.quoted_fragments(ANSWER)
    assert quotes[1] == ["到2025年,", "规上工业企业研发经费占营业收入比重达到2.5%以上"]
    assert quotes[2] == ["到2025年,", "研发经费占营业收入比重达到2.5%以上"]


def test_answer_steps_grow_one_statement_at_a_time():
    steps = fmt.answer_steps(ANSWER)
    assert steps == [1, 2]
    first, whole = fmt.answer_html(ANSWER, 1, steps[0]), fmt.answer_html(ANSWER, 1, steps[-1])
    assert "[1]" in first and "[2]" not in first and "[2]" in whole


def test_a_follow_up_answer_says_how_the_question_was_read():
    query = understand("讲话里怎么说？", ["研发经费目标是多少？"], Catalog((
        DocumentInfo("speech-2024", "讲话", "省领导", "speech", "2024", 3),
        DocumentInfo("guideline-2022", "指导意见", "省政府", "policy", "2022", 3),
    ), VOCAB))
    answer = Answer("讲话里怎么说？", ANSWER.text, ANSWER.citations, Status.ANSWERED, [], ANSWER.statements, query)
    assert "按上一问理解为" in fmt.answer_html(answer, 1)
    assert "按上一问理解为" not in fmt.answer_html(ANSWER, 1)


def test_source_card_shows_metadata_escaped_and_highlighted():
    p = _passage("(二)主要目标。到2025年,规上工业企业研发经费占营业收入比重达到2.5%以上<img src=x>。")
    card = fmt.source_card(p, 2, 1, ["研发经费"], ["规上工业企业研发经费占营业收入比重达到2.5%以上"])
    assert 'id="src-1-2"' in card and "[2]" in card
    assert "政策文件" in card  # the kind in Chinese
    assert "《关于&lt;b&gt;高质量&lt;/b&gt;发展的指导意见》" in card and "<b>" not in card
    assert "浙江省人民政府 · 2022-08-30" in card
    assert '<div class="src-path">一、总体要求 › （二）主要目标</div>' in card  # title not repeated
    assert "<mark>研发经费</mark>" in card and "&lt;img src=x&gt;" in card and "<img" not in card


def test_document_view_marks_the_cited_span_and_escapes_the_rest():
    doc = "第一段<i>x</i>。\n\n第二段,研发经费达到2.5%以上。\n\n第三段。"
    start = doc.index("研发经费")
    end = doc.index("。", start) + 1
    p = _passage(doc[start:end], start=start, end=end)
    card = fmt.source_card(p, 1, 4, ["研发经费"], document=fmt.DocumentSpan(doc, start, end))
    view = card[card.index("<details") :]
    assert '<a class="jump" href="#src-4-1-here"' in view
    assert '<mark class="cited" id="src-4-1-here"><mark>研发经费</mark>达到2.5%以上。</mark>' in view
    assert "<p>第一段&lt;i&gt;x&lt;/i&gt;。</p>" in view and "<p>第三段。</p>" in view
    assert "<i>" not in view


def test_document_view_survives_offsets_outside_the_text():
    out = fmt.document_html(fmt.DocumentSpan("只有一段。", 50, 80), "m")
    assert out == "<p>只有一段。</p>"


def test_sources_panel_cards_in_citation_order_with_documents():
    a = _passage("甲段研发经费。", doc_id="a", doc_title="甲", start=0, end=7)
    b = _passage("乙段贷款。", doc_id="b", doc_title="乙", doc_kind="news", start=3, end=8)
    html = fmt.sources_html([a, b], 2, "问题<script>", ["研发经费"], {1: ["甲段研发经费"]}, {"a": "甲段研发经费。\n\n后文。"})
    assert html.index('id="src-2-1"') < html.index('id="src-2-2"')
    assert "新闻报道" in html and "问题&lt;script&gt;" in html and "<script" not in html
    assert html.count('<details class="doc-view"') == 1  # only the document whose text was given


def test_chinese_punctuation_is_given_back_one_character_for_one():
    text = "到2025年,规上(含)企业:达到2.5%以上;2023-10-24 22:25发布,共1,000家?"
    out = fmt.chinese_punctuation(text)
    assert out == "到2025年，规上（含）企业：达到2.5%以上；2023-10-24 22:25发布，共1,000家？"
    assert len(out) == len(text)  # offsets found on the cleaned text still hold


def test_document_label_is_title_and_date():
    from rag.index import DocumentInfo

    doc = DocumentInfo("news-2023", "推进新型工业化，浙江这样干", "浙江日报", "news", "2023-10-24", 12)
    assert fmt.document_label(doc) == "推进新型工业化，浙江这样干（2023-10-24）"


# --- the app: import and index -------------------------------------------------------------


def test_importing_app_builds_nothing_and_launches_nothing(tmp_path):
    """Importing app.py with no index gives the Blocks and leaves the index folder alone."""
    index_dir = tmp_path / "no-index"
    code = (
        "import app, gradio as gr; "
        "assert isinstance(app.demo, gr.Blocks); "
        "print(len(app.document_choices()))"
    )
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "PYTHONPATH": str(ROOT), "GRADIO_ANALYTICS_ENABLED": "False"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0"  # no index: no choices, and no error
    assert not index_dir.exists()


def test_queue_is_bounded_so_overload_gets_the_busy_message():
    import app

    assert app.demo._queue.max_size == app.MAX_QUEUE
    assert app.demo._queue.default_concurrency_limit == app.CONCURRENCY
    assert "繁忙" in app.BUSY_TEXT and "This application is currently busy" in app.SOURCES_JS


# --- the chat function, with the real index ----------------------------------------------------

slow = pytest.mark.slow


@pytest.fixture
def chat_app(real_settings):
    import app
    from rag.retrieval import reset_cache

    reset_cache()
    app.configure(real_settings)
    monkey = pytest.MonkeyPatch()
    monkey.setattr(app, "STEP_DELAY", 0.0)
    yield app
    monkey.undo()
    app.configure(None)
    reset_cache()


def run(app, message, history=None, doc_ids=None, policy_only=False, session=None):
    """Drain the chat generator; return every yield and the final (textbox, chat, panel, session)."""
    outs = list(app.respond(message, history or [], doc_ids, policy_only, session))
    return outs, outs[-1]


def _content(msg) -> str:
    return msg["content"]


@slow
def test_answer_streams_then_shows_linked_markers_and_sources(chat_app):
    q = "到2025年规上工业企业研发经费占营业收入比重要达到多少？"
    outs, (textbox, chat, panel, session) = run(chat_app, q)
    assert len(outs) >= 3  # placeholder, then the answer statement by statement
    first_chat = outs[0][1]
    assert "正在查找" in _content(first_chat[-1]) and outs[0][0]["interactive"] is False
    assert textbox["interactive"] is True
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert _content(chat[0]) == fmt.user_html(q)
    answer = _content(chat[-1])
    assert "2.5%以上" in answer and '<a class="cite" href="#src-1-1"' in answer
    # a partial answer comes before the whole one
    partial = [_content(o[1][-1]) for o in outs if o[1] and "cite" in _content(o[1][-1])]
    assert len(partial) >= 2 and len(partial[0]) < len(partial[-1])
    # sources: every marker has its card, with title, issuer, date, kind, section and the passage highlighted
    for n in range(1, answer.count('class="cite"') + 1):
        assert f'id="src-1-{n}"' in panel
    assert "《浙江省人民政府关于高质量发展建设全球先进制造业基地的指导意见》" in panel
    assert "浙江省人民政府 · 2022-08-30" in panel and "政策文件" in panel
    assert "一、总体要求 › （二）主要目标" in panel
    assert "<mark>研发经费</mark>" in panel
    # the whole document, cited span marked, reachable from the card
    assert '<mark class="cited" id="src-1-1-here">' in panel and 'href="#src-1-1-here"' in panel
    assert [a.question for a in session["questions"]] == [q] and session["turn"] == 1


@slow
def test_follow_up_uses_earlier_questions(chat_app):
    _, (_, chat, panel, session) = run(chat_app, "到2025年规上工业企业研发经费占营业收入比重要达到多少？")
    _, (_, chat, panel, session) = run(chat_app, "2020年的文件怎么说？", chat, session=session)
    answer = _content(chat[-1])
    assert "若干意见" in answer and "2.5%以上" in answer and "2020-03-16" in answer
    assert 'href="#src-2-1"' in answer and len(chat) == 4
    # the new answer's cards first; the first answer's cards kept, folded, so its markers still lead somewhere
    assert panel.index('id="src-2-1"') < panel.index('id="src-1-1"')
    assert '<details class="older">' in panel
    assert session["questions"][-1].question == "2020年的文件怎么说？"
    assert "按上一问理解为" in answer


@slow
def test_question_with_no_answer_says_so(chat_app):
    _, (_, chat, panel, session) = run(chat_app, "明天杭州会下雨吗？")
    assert NOT_FOUND_TEXT in _content(chat[-1]) and "cite" not in _content(chat[-1])
    assert "src-card" not in panel and "没有可引用的来源" in panel


@pytest.mark.parametrize(
    "question, expected",
    [
        ("", "问题是空的"),
        ("   \n ", "问题是空的"),
        ("研" * 5000, "问题太长"),
        ("<img src=x onerror=alert(1)>", "只有网页标记"),
        ("？？？！！", "没有文字或数字"),
    ],
)
@slow
def test_bad_questions_get_a_message_not_an_error(chat_app, question, expected):
    _, (textbox, chat, panel, session) = run(chat_app, question)
    assert expected in _content(chat[-1])
    assert textbox["interactive"] is True
    assert session["questions"] == []  # not taken as context for a follow-up
    for msg in chat:
        assert "<img" not in _content(msg) and "<script" not in _content(msg)
    if question.strip():
        shown = _content(chat[0])
        assert len(shown) < 700  # a 5,000-character question is shown shortened


@slow
def test_script_in_a_real_question_is_shown_literally_and_still_answered(chat_app):
    q = "<script>alert(1)</script>浙江要打造哪4个世界级先进产业群？"
    _, (_, chat, panel, _) = run(chat_app, q)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _content(chat[0])
    assert "<script" not in _content(chat[0]) + _content(chat[1]) + panel
    assert "绿色石化与新材料" in _content(chat[1])


@slow
def test_document_filter_restricts_the_sources(chat_app):
    _, (_, chat, panel, _) = run(chat_app, "制造业贷款方面有什么支持政策？", doc_ids=["opinions-2020"])
    ids = re.findall(r'<span class="src-title">《([^》]+)》', panel)
    assert ids and set(ids) == {"关于以新发展理念引领制造业高质量发展的若干意见"}


@slow
def test_policy_only_filter_cites_policy_documents_only(chat_app):
    _, (_, chat, panel, _) = run(chat_app, "2023年全省工业增加值是多少？", policy_only=True)
    kinds = re.findall(r'class="kind kind-(\w+)"', panel)
    assert "2.94万亿元" not in _content(chat[-1])  # that figure is only in the 2024 speech
    assert all(k == "policy" for k in kinds)
    # the answer is in a document the filter leaves out: say so, and which
    assert "筛选条件排除" in _content(chat[-1]) and "聚焦重点" in _content(chat[-1])


@slow
def test_filters_that_leave_no_document_get_a_message(chat_app):
    _, (_, chat, _, _) = run(chat_app, "制造业贷款方面有什么支持政策？", doc_ids=["news-2023"], policy_only=True)
    assert _content(chat[-1]) == fmt.notice_html(chat_app.NO_DOCUMENTS_TEXT, "invalid")


@slow
def test_document_choices_come_from_the_index_manifest(chat_app, real_settings):
    from rag.retrieval import get_retriever

    docs = get_retriever(real_settings).index.manifest.documents
    from rag import library

    choices = chat_app.document_choices(library.documents(real_settings, loaded=True))
    assert [c[1] for c in choices] == [d.doc_id for d in docs]
    assert ("浙江省人民政府关于高质量发展建设全球先进制造业基地的指导意见（2022-08-30）", "guideline-2022") in choices
    update = chat_app.refresh_documents(["guideline-2022", "gone-document"])
    assert update["value"] == ["guideline-2022"] and len(update["choices"]) == len(docs)


@slow
def test_unexpected_error_becomes_a_message(chat_app, monkeypatch, capsys):
    def broken(*a, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(chat_app, "ask", broken)
    _, (textbox, chat, _, session) = run(chat_app, "研发经费目标是多少？")
    assert chat_app.ERROR_TEXT in _content(chat[-1]) and textbox["interactive"] is True
    assert "RuntimeError: boom" in capsys.readouterr().err


@slow
def test_history_with_content_blocks_is_accepted(chat_app):
    history = [
        {"role": "user", "content": [{"type": "text", "text": "你好"}]},
        {"role": "assistant", "content": "<div>hi</div>"},
    ]
    _, (_, chat, _, _) = run(chat_app, "山区26县工业发展有什么目标？", history)
    assert _content(chat[0]) == "你好" and len(chat) == 4
    assert "2170亿元" in _content(chat[-1])


@slow
def test_ensure_index_rebuilds_a_missing_index(real_settings, tmp_path, capsys):
    import app
    from rag.index import check_index

    # a copy of the session's index without its live pointer: as good as missing (embeddings cached)
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    (index_dir / "CURRENT").unlink()
    settings = real_settings.replace(index_dir=index_dir)
    app.ensure_index(settings)
    assert check_index(settings).n_chunks > 0
    assert "正在建立索引" in capsys.readouterr().out
    app.ensure_index(settings)  # a usable index is not rebuilt
    assert "正在建立索引" not in capsys.readouterr().out


def test_a_document_record_has_no_span_to_open():
    record = _passage("标题：《甲》\n发布者：省政府", start=0, end=0)
    html = fmt.sources_html([record], 1, "甲是谁发的？", documents={"guideline-2022": "全文。"})
    assert 'id="src-1-1"' in html and "doc-view" not in html
