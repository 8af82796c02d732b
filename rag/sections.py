"""Sections: the part of a document a broad question is about, found by its heading and path.

"对专精特新企业有哪些支持？" or "山区26县怎么发展？" is answered by a section, not by
a sentence: the section whose heading holds the question's rarer terms, among
the sections of the passages retrieved for it. Its passages, in document order,
go to the composer, which gathers their points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .gather import ORDINAL
from .naming import is_function_word, word_tag
from .quote import ARTICLE_LABEL
from .query import YEAR
from .ranking import repeats_heading
from .retrieval import Passage, Retriever
from .understand import Asks, Query

# A section is about the question when its heading holds at least this share of the
# question's term weight (rarity-weighted): "(四)加快山区26县生态工业发展" for "山区26县怎么发展".
MIN_HEADING_SHARE = 0.5
# Words for a part of any text ("规定了哪些内容", "哪几个方面"): question grammar, never in a heading's topic.
_PART_OF_TEXT = re.compile(r"内容|方面|部分|章节|条款|东西|事情?")
# Sibling headings matching nearly as well as the best one make their parent the section asked about.
SIBLING_SHARE = 0.9
MAX_SECTION_PASSAGES = 40
_CONTENT_TAGS = ("n", "v", "a")  # jieba's tags of nouns (places, names), verbs, adjectives  # longer than this is a whole document, not a section to gather


@dataclass(frozen=True)
class Section:
    """A section of one document: its path below the title and its passages in reading order."""

    doc_id: str
    path: tuple[str, ...]
    passages: tuple[Passage, ...]

    def holds(self, passage: Passage) -> bool:
        """Whether ``passage`` lies in this section."""
        return _within(passage, self.doc_id, self.path)


def _within(passage: Passage, doc_id: str, path: tuple[str, ...]) -> bool:
    return passage.doc_id == doc_id and tuple(passage.headings[: len(path)]) == path


def _members(retriever: Retriever, doc_id: str, path: tuple[str, ...]) -> list[Passage]:
    """The passages of a document's section, in reading order."""
    return [retriever.chunk_passage(i, 1.0) for i in retriever.chunks_of(doc_id) if tuple(retriever.index.chunks[i].section[: len(path)]) == path]


CANDIDATES = 3  # a section answers only if one of the best-retrieved passages lies in it


def wants_section(query: Query) -> bool:
    """A broad question or one asking for a list ("保障措施有哪些") — not one asking for a figure:
    "主要目标是多少" wants the number."""
    return bool(query.asks & (Asks.BROAD | Asks.LIST)) and not query.asks & (Asks.FIGURE | Asks.RECORD | Asks.OUTLINE)


def heading_terms(retriever: Retriever, query: Query) -> tuple[str, ...]:
    """The terms a section's heading would hold: the question's words of two characters or more —
    "目标" too, which tells 三、发展目标 from 四、重点任务 — but not its years, nor the words that name
    a document ("七部门未来产业意见"): those are in its title, not in a heading."""
    titles = " ".join(retriever.document(d).title for d in query.documents).lower()
    return tuple(
        t for t in query.terms
        if len(t) >= 2 and not YEAR.search(t) and t not in titles and not _PART_OF_TEXT.fullmatch(t)
        and not (t.isdigit() and f"{t}条" in query.raw)  # "30条意见": a document called by its count of articles
        and not is_function_word(t)  # "那个", "到底": no heading is about them
        and word_tag(t) != "t"  # "今年", "目前": they say when, not what a section is about
        # A term that is neither a word of the library nor a content word (a noun, verb or adjective) of
        # the language — a cut's fragment ("中要"), a question phrase ("哪几个") — is in no heading:
        # weighing it only keeps every heading under the share ("…要抓住哪几个机会" against
        # "(二)抓住“新科技”的技术机会"). A content word the library never writes ("厂子") still weighs.
        and (word_tag(t)[:1] in _CONTENT_TAGS or t in retriever.known_text)
    )


def _named(headings: Sequence[str]) -> str:
    """What headings say, without the numbers that only order them: "30.创新…的治理方式" is not
    about "30条意见"."""
    return " ".join(ORDINAL.sub("", h, count=1) for h in headings).lower()


def _heading_text(query: Query, headings: Sequence[str]) -> str:
    """What headings say (`_named`), with the labels the question names them by ("第七章")."""
    labels = [x for x in query.identifiers if any(h.startswith(x) for h in headings)]
    return " ".join([_named(headings), *labels])


def _own_weights(retriever: Retriever, doc_id: str, weights: dict[str, float]) -> dict[str, float]:
    """The heading terms' weights without the words of the document's record: "兰建平认为…" (its
    author) says which document, not which section."""
    record = retriever.document(doc_id)
    return {t: w for t, w in weights.items() if t not in f"{record.title} {record.issuer}".lower()}


def find_section(retriever: Retriever, query: Query, passages: Sequence[Passage]) -> Section | None:
    """The section of a retrieved passage whose heading is most about the query, or None."""
    weights = {t: retriever.idf(t) for t in heading_terms(retriever, query)}
    best: tuple | None = None
    for rank, p in enumerate(passages[:CANDIDATES]):
        heads = p.headings
        own = _own_weights(retriever, p.doc_id, weights)
        own_total = sum(own.values())
        for depth in range(len(heads), 0, -1):
            # A section is read under its parents: "在制造业变革中寻求新路径 › (三)抓住…的改革机会";
            # a part the question names by its label ("第七章激励保障措施") by that label too.
            heading = _heading_text(query, heads[:depth])
            share = sum(w for t, w in own.items() if t in heading) / own_total if own_total else 0.0
            # A question that repeats the whole heading ("…医疗卫生方面具体有哪些") names the section,
            # whatever its other words ("具体") weigh.
            if repeats_heading(query.text, heads[depth - 1]):
                share = 1.0
            # the best-matching heading wins; ties go to the better-retrieved passage, then the deeper section
            key = (share, -rank, p.doc_id, heads[:depth], own_total, own)
            if share >= MIN_HEADING_SHARE and (best is None or key[:2] > best[:2]):
                best = key
    if best is None:
        return _two_siblings(retriever, query, passages, weights)
    share, _, doc_id, path, total, weights = best
    total = total or 1.0  # the heading repeated whole, no other term weighing
    # "要抓住哪些机会" matches five sibling headings "(一)抓住…的政策机会", "(二)抓住…的技术机会"…:
    # it asks about the section they make up, not the one that happened to be retrieved first.
    chunks = [(i, retriever.index.chunks[i]) for i in retriever.chunks_of(doc_id)]  # the document's, in order
    if len(path) >= 2:
        parent = path[:-1]
        siblings = {tuple(c.section)[len(parent)] for _, c in chunks if tuple(c.section[: len(parent)]) == parent and len(c.section) > len(parent)}
        matching = [h for h in siblings if sum(w for t, w in weights.items() if t in _heading_text(query, (*parent, h))) / total >= SIBLING_SHARE * share]
        if len(matching) >= 2:
            path = parent
    # A sentence of another retrieved passage that holds more of the question than this heading
    # ("今年经济社会发展主要预期目标为：…" against "(五)聚焦经济社会全面绿色转型") is the answer, not the section.
    # Not a sentence that names this section itself: an outline of its parent's ("1.医疗卫生方面；2.养老…")
    # points to it, it does not answer instead of it.
    outside = [
        u.text.lower() for p in passages[:CANDIDATES] if not _within(p, doc_id, path) for u in p.units
        if not repeats_heading(u.text, path[-1])
    ]
    if any(sum(w for t, w in weights.items() if t in u) / total > share for u in outside):
        return None
    members = _members(retriever, doc_id, path)
    if not members or len(members) > MAX_SECTION_PASSAGES:
        return None
    return Section(doc_id, path, tuple(members))


def _two_siblings(retriever: Retriever, query: Query, passages: Sequence[Passage], weights: dict[str, float]) -> Section | None:
    """Two sibling sections the two best passages lie in, whose headings hold together what neither
    holds alone ("项目缺地缺能耗指标，给了哪些保障" against "(三)优化能耗资源配置" and "(四)加强工业用地
    保障"): the question asks about both, and is answered from both."""
    if len(passages) < 2:
        return None
    a, b = passages[0], passages[1]
    if a.doc_id != b.doc_id or len(a.headings) < 2 or a.headings[:-1] != b.headings[:-1] or a.headings == b.headings:
        return None
    own = _own_weights(retriever, a.doc_id, weights)
    total = sum(own.values())
    if not total:
        return None
    held = [{t for t in own if t in _heading_text(query, p.headings)} for p in (a, b)]
    if not held[0] or not held[1] or held[0] <= held[1] or held[1] <= held[0]:
        return None  # each must hold a part of the question the other does not
    if sum(own[t] for t in held[0] | held[1]) / total < MIN_HEADING_SHARE:
        return None
    members = [m for p in (a, b) for m in _members(retriever, p.doc_id, tuple(p.headings))]
    if not members or len(members) > MAX_SECTION_PASSAGES:
        return None
    return Section(a.doc_id, tuple(a.headings[:-1]), tuple(sorted(members, key=lambda p: p.start)))


def named_articles(retriever: Retriever, query: Query, passages: Sequence[Passage]) -> list[Section]:
    """The whole article a question names and asks nothing more of ("条例第三十八条讲的啥"), when a
    best-retrieved passage is that article, with all its paragraphs: of the document named, or of
    each document whose article it may be when none is (best retrieved first)."""
    labels = [x for x in query.identifiers if ARTICLE_LABEL.match(x)]
    if len(labels) != 1 or query.asks & (Asks.FIGURE | Asks.RECORD | Asks.OUTLINE):
        return []
    out: list[Section] = []
    for p in passages[:CANDIDATES]:
        if not p.headings or p.headings[-1] != labels[0] or (query.documents and p.doc_id not in query.documents):
            continue
        if any(s.doc_id == p.doc_id for s in out):
            continue
        path = tuple(p.headings)
        out.append(Section(p.doc_id, path, tuple(_members(retriever, p.doc_id, path))))
    return out

