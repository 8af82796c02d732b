"""HTML for the web chat (app.py): escaping, highlighting, linked markers, source cards.

Pure functions over strings and `Passage` objects, so they are tested without a
browser. Every piece of source or user text goes through `html.escape` before
any markup is added: the only tags in the output are the ones written here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from .ingest import KINDS
from .passage import Passage
from .render import groups, sentence

if TYPE_CHECKING:  # pragma: no cover
    from .answer import Answer
    from .index import DocumentInfo
    from .understand import Query

# Question words that say nothing about where the answer is ("多少", "哪些").
_QUESTION_WORDS = {
    "什么", "多少", "多大", "多高", "几个", "哪些", "哪个", "哪几", "怎么", "怎样", "如何", "是否", "有没有", "为什么", "怎么样",
    "方面", "重要", "要求", "一下", "介绍", "请问", "说说", "关于", "有关", "提出", "主要", "怎么说", "达到",
}


def escape(text: str) -> str:
    """Text made safe to place in HTML, quotes included."""
    return html.escape(str(text), quote=True)


_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"}


def chinese_punctuation(text: str) -> str:
    """Source text as a Chinese reader expects it: the ASCII punctuation that cleaning (NFKC) gave
    it back in full width ("到2025年,……" -> "到2025年，……"), except between digits ("22:25").

    One character for one, so offsets found on the cleaned text still hold.
    """
    chars = list(text)
    for i, ch in enumerate(chars):
        if ch in _FULL_WIDTH and not (0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()):
            chars[i] = _FULL_WIDTH[ch]
    return "".join(chars)


def shown(text: str) -> str:
    """Escaped source or answer text in Chinese punctuation, ready for HTML."""
    return escape(chinese_punctuation(text))


def highlight_terms(query: "Query", keep: Callable[[str], bool] | None = None) -> list[str]:
    """The words of a query worth marking in a passage, longest first.

    Phrases the question puts in quotes (“4+1”), then its content terms (for an
    English question, the Chinese terms it maps to), without question words,
    single characters, words that only repeat part of a longer one, and words
    ``keep`` rejects (the chat drops those found in most passages: marking
    every "企业" marks nothing).
    """
    terms = list(query.quoted)
    for tok in (*query.terms, *query.expansion, *query.mentioned_years):
        if tok in _QUESTION_WORDS or re.fullmatch(r"[a-z]+", tok) or len(tok) < 2:
            continue
        if keep is not None and not keep(tok):
            continue
        terms.append(tok)
    terms = list(dict.fromkeys(terms))
    terms = [t for t in terms if not any(t != o and t in o for o in terms)]
    return sorted(terms, key=lambda t: (-len(t), t))


def _flags(text: str, needles: Iterable[str], case_insensitive: bool = True) -> list[bool]:
    low = text.lower() if case_insensitive else text
    flags = [False] * len(text)
    for needle in needles:
        n = needle.lower() if case_insensitive else needle
        if not n:
            continue
        start = low.find(n)
        while start != -1:
            for i in range(start, start + len(n)):
                flags[i] = True
            start = low.find(n, start + len(n))
    return flags


def highlight(text: str, terms: Sequence[str] = (), quotes: Sequence[str] = ()) -> str:
    """Escaped ``text`` with ``terms`` in <mark> and the ``quotes`` (what the answer quoted) in a span.

    Matching runs on the plain text; each run is escaped on its own, so markup
    in the source shows as text and a term can never match inside an entity.
    """
    display = chinese_punctuation(text)  # one character for one: the flags below still line up
    marked = _flags(text, terms)
    quoted = _flags(text, quotes, case_insensitive=False)
    out = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and marked[j] == marked[i] and quoted[j] == quoted[i]:
            j += 1
        piece = escape(display[i:j])
        if marked[i]:
            piece = f"<mark>{piece}</mark>"
        if quoted[i]:
            piece = f'<span class="quoted">{piece}</span>'
        out.append(piece)
        i = j
    return "".join(out)


def quoted_fragments(answer: "Answer") -> dict[int, list[str]]:
    """For each marker number, the pieces of source text the answer quotes from that passage."""
    found: dict[int, list[str]] = {}
    for group in groups(answer.statements, answer.citations):
        for st, n in group.items:
            found.setdefault(n, []).extend(p for p in st.quoted if len(p) >= 4)
    return found


def anchor(turn: int, n: int) -> str:
    """The id of source card ``n`` of answer ``turn``."""
    return f"src-{turn}-{n}"


def answer_html(answer: "Answer", turn: int, upto: int | None = None) -> str:
    """An answer as one HTML block: a paragraph per document, its label in bold, markers linked.
    ``upto``: show only the first statements (progressive display).

    Built from the answer's statements, never from its text. One block with no
    blank lines, so the chat's Markdown renderer passes it through as HTML.
    """
    paras, shown_so_far = [], 0
    for group in groups(answer.statements, answer.citations):
        parts = []
        for st, n in group.items:
            if upto is not None and shown_so_far >= upto:
                break
            body, end = sentence(st)
            parts.append(f'{shown(body)}<a class="cite" href="#{anchor(turn, n)}" title="查看来源 {n}">[{n}]</a>{escape(end)}')
            shown_so_far += 1
        if parts:
            paras.append(f'<p><span class="doc-label">{escape(group.label)}</span>{"".join(parts)}</p>')
    reading = ""
    if answer.query is not None and answer.query.reading:
        reading = f'<p class="reading">{escape(answer.query.reading)}</p>'
    return f'<div class="answer">{reading}{"".join(paras)}</div>'


def answer_steps(answer: "Answer") -> list[int]:
    """How many statements to show at each step of a progressively displayed answer."""
    return list(range(1, len(answer.statements) + 1)) or [0]


def notice_html(text: str, kind: str = "info") -> str:
    """A message in the chat (not found, bad question, busy): escaped, in one block."""
    body = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
    return f'<div class="notice notice-{escape(kind)}">{body}</div>'


def user_html(question: str) -> str:
    """The user's question as it was typed: escaped, line breaks kept, never read as HTML or Markdown."""
    text = escape(question.strip()).replace("\n", "<br>")
    return f'<div class="question">{text}</div>'


def document_label(doc: DocumentInfo) -> str:
    """Checkbox label of a manifest document: "title（date）"."""
    return f"{doc.title}（{doc.date}）" if doc.date else doc.title


def section_path(section: str, title: str) -> str:
    """The section path without its leading 《title》 (shown on the card already)."""
    parts = [p.strip() for p in section.split("›")]
    if parts and parts[0] in (f"《{title}》", title):
        parts = parts[1:]
    return " › ".join(p for p in parts if p)


@dataclass(frozen=True)
class DocumentSpan:
    """Where a passage sits in its document's cleaned text."""

    text: str  # the whole document
    start: int
    end: int


def document_html(doc: DocumentSpan, mark_id: str, terms: Sequence[str] = ()) -> str:
    """The whole document, escaped, paragraph by paragraph, the cited span in <mark class="cited" id=…>."""
    text = doc.text
    start, end = max(0, min(doc.start, len(text))), max(0, min(doc.end, len(text)))
    if end <= start:
        start = end = 0
    out = []
    pos = 0
    for para in re.split(r"(\n\s*\n)", text):
        p_start, p_end = pos, pos + len(para)
        pos = p_end
        if not para.strip() or re.fullmatch(r"\n\s*\n", para):
            continue
        a, b = max(start, p_start), min(end, p_end)
        if a < b:  # the cited span covers part of this paragraph
            pre, mid, post = text[p_start:a], text[a:b], text[b:p_end]
            first = a == start
            mark_attr = f' id="{escape(mark_id)}"' if first else ""
            body = f'{shown(pre)}<mark class="cited"{mark_attr}>{highlight(mid, terms)}</mark>{shown(post)}'
        else:
            body = shown(para)
        out.append(f"<p>{body}</p>")
    return "".join(out)


def source_card(
    passage: Passage,
    n: int,
    turn: int,
    terms: Sequence[str] = (),
    quotes: Sequence[str] = (),
    document: DocumentSpan | None = None,
) -> str:
    """One citation: number, kind, title, issuer, date, section path, the passage highlighted, the whole document folded."""
    kind = KINDS.get(passage.doc_kind, passage.doc_kind)
    path = section_path(passage.section, passage.doc_title)
    meta = " · ".join(escape(x) for x in (passage.doc_issuer, passage.doc_date, passage.pages, passage.validity) if x)
    doc_view = ""
    if document is not None:
        mark_id = f"{anchor(turn, n)}-here"
        doc_view = (
            f'<details class="doc-view" data-mark="{mark_id}">'
            f"<summary>打开原文全文，定位到引用处</summary>"
            f'<div class="doc-head">《{escape(passage.doc_title)}》全文 <a class="jump" href="#{mark_id}">跳到引用处 ↓</a></div>'
            f'<div class="doc-text">{document_html(document, mark_id, terms)}</div>'
            f"</details>"
        )
    return (
        f'<article class="src-card" id="{anchor(turn, n)}">'
        f'<header><span class="src-n">[{n}]</span>'
        f'<span class="kind kind-{escape(passage.doc_kind)}">{escape(kind)}</span>'
        f'<span class="src-title">《{escape(passage.doc_title)}》</span></header>'
        f'<div class="src-meta">{meta}</div>'
        + (f'<div class="src-path">{shown(path)}</div>' if path else "")
        + f'<blockquote class="passage">{highlight(passage.text, terms, quotes)}{_outline_html(passage, terms)}</blockquote>'
        f"{doc_view}"
        f"</article>"
    )


def _outline_html(passage: Passage, terms: Sequence[str]) -> str:
    """The parts a passage announces, as the list the document goes on to give."""
    if not passage.outline:
        return ""
    items = "".join(f"<li>{highlight(title, terms)}</li>" for title in passage.outline)
    return f'<ol class="outline">{items}</ol>'


def sources_html(
    citations: Sequence[Passage],
    turn: int,
    question: str,
    terms: Sequence[str] = (),
    quotes: dict[int, list[str]] | None = None,
    documents: dict[str, str] | None = None,
) -> str:
    """The source cards of one answer, under a heading that repeats the question."""
    quotes = quotes or {}
    documents = documents or {}
    cards = []
    for i, p in enumerate(citations, start=1):
        doc_text = documents.get(p.doc_id)
        span = DocumentSpan(doc_text, p.start, p.end) if doc_text and p.end > p.start else None  # a span to open at
        cards.append(source_card(p, i, turn, terms, quotes.get(i, ()), span))
    return (
        f'<section class="turn" data-turn="{turn}">'
        f'<h3 class="turn-q">来源 · {escape(question.strip()[:80])}</h3>'
        + "".join(cards)
        + "</section>"
    )


EMPTY_SOURCES = (
    '<div class="sources-empty"><p>提问后，这里列出答案引用的每一段原文：文件名称、发文机关、日期、'
    "所在章节和原文段落（与问题相关的词语已标出）。</p>"
    "<p>点击答案中的 [1]、[2] 可跳到对应来源；每个来源下可展开原文全文，自动定位到引用处。</p></div>"
)


def no_sources_html(question: str, message: str) -> str:
    """What the sources panel says when an answer cites nothing."""
    return (
        f'<section class="turn"><h3 class="turn-q">来源 · {escape(question.strip()[:80])}</h3>'
        f'<div class="sources-empty"><p>{escape(message)}</p></div></section>'
    )
