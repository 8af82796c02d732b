"""Answer stage: `ask()` returns a short answer whose every statement cites its passage.

No language model runs here: the default `ExtractiveComposer` quotes the
sentences (or the clauses of a long sentence) that answer the question, exactly
as the source has them, each followed by its marker. A generator (an intranet
LLM endpoint, say) can be plugged in later by implementing `Composer`.

Whether the documents hold an answer at all is decided by `Evidence.found`, a
rule on retrieval evidence calibrated on eval/questions/dev.jsonl.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

from .chunking import ELISION, LONG_SENTENCE, split_sentences, statements, units
from .errors import InputError
from .index import DocumentInfo, tokenize
from .ingest import KINDS
from .query import DOCUMENT_YEAR, YEAR, clean_question, english_terms, english_units, language, period_years
from .retrieval import Passage, Retriever, ScoredUnit, SearchStats, get_retriever, referenced_documents
from .settings import Settings

NOT_FOUND_TEXT = "现有政策文件中没有找到能回答这个问题的内容。"
ONLY_MARKUP_TEXT = "问题中只有网页标记（HTML），没有文字。请用中文或英文输入问题。(The question holds only HTML markup; type it as text.)"
# Policy documents speak with authority; when several documents say the same
# thing, they come first.
_KIND_ORDER = {"policy": 0, "speech": 1, "news": 2, "commentary": 3}
_LIST_WORDS = re.compile(
    r"哪些|哪几|哪[0-9一二三四五六七八九十两]+|几个(?!百分点)|几项|几大|分别|包括|列举|有什么措施|举措"
    r"|[一二三四五六七八九十两\d]+(?:个(?!百分点)|项|大|方面|战|条|类|种)"
    r"|\bwhich\b|\bwhat are\b|\blist\b|\bwhat measures\b",
    re.I,
)
# "政策文件《…》（2022-08-30）：" before each document's quotes in an answer.
ANSWER_LABEL = re.compile(r"^[^《\n]{0,8}《[^》]*》（[^）]*）[:：]", re.M)
MARKER = re.compile(r"\[(\d+)\]")
LIST_BONUS = 1.05  # a list question's whole list over the best single item
LIST_SENTENCE = 260  # characters: a longer sentence is not one list but several statements
# Questions answered by a figure, and the figures that answer them.
_QUANTITY = re.compile(
    r"多少|几[个项家条名亩成倍]|多大|多高|多快|比例|比重|占比|百分之|排第几|第几"
    r"|how (?:many|much|large|big|fast)|what (?:share|percentage|proportion|level)|\bratio\b",
    re.I,
)
_HAS_NUMBER = re.compile(
    r"\d|[一二两三四五六七八九十百千万亿]{1,4}(?:个|项|家|名|成|倍|条|分之|级|大|年|月|天|亩|人|次|批|类|种|所|座|台|套|吨|元|位|轮|方面|清单)"
    r"|[十百千万]亿|第[一二三四五六七八九十]|翻番|倍增|过半|一半"
)
_ASKS_WHICH = re.compile(r"哪些|哪几|哪[一二三四五六七八九十两\d]+[个项条大类种方]")
_ENUM_HEAD = re.compile(r"一是")
_ENUM_ITEM = re.compile(r"^[二三四五六七八九十]是")
# Markup is not part of a question: script/style blocks go whole, other tags leave their text.
_TAGS = re.compile(r"<(script|style)\b[^>]{0,200}>.*?(?:</\1\s*>|$)|<[^>]{0,200}>", re.I | re.S)


@dataclass(frozen=True)
class Answer:
    """An answer: ``text`` with markers [1], [2]…; ``citations[0]`` is [1]."""

    question: str
    text: str
    citations: list[Passage] = field(default_factory=list)
    found: bool = False
    # "answered", "not_found" or "invalid_question" (the text then says what to do).
    status: str = "not_found"
    passages: list[Passage] = field(default_factory=list)  # everything retrieved, best first


@dataclass(frozen=True)
class Statement:
    """One quotable piece of a passage and how well it answers the question."""

    text: str
    passage: Passage
    score: float  # the two below combined, weighed by how well its passage was retrieved
    lexical: float = 0.0  # share of the question's terms (weighted by rarity) the piece holds
    similarity: float | None = None  # cosine similarity to the question, when the index has the piece's vector
    offset: int = 0  # where it starts in the passage, to quote in reading order


# A passage's units with their similarity to the question (Retriever.unit_scores, bound to one search).
UnitScores = Callable[[Passage], list[ScoredUnit]]


class Composer(Protocol):
    """Turns a question and its passages into answer text with [n] markers.

    Returns the text and the passages cited, in marker order. An LLM-backed
    composer implements the same method and must cite only from ``passages``.
    """

    def compose(
        self,
        question: str,
        passages: Sequence[Passage],
        preferred: Sequence[str] = (),
        unit_scores: UnitScores | None = None,
    ) -> tuple[str, list[Passage]]: ...


@dataclass(frozen=True)
class Evidence:
    """What retrieval found, summarised for the not-found rule.

    The rule reads the evidence, not a list of forbidden words. A question is
    answerable when its best passage matches it clearly better than questions
    on unrelated matters match this index (``relevance``, calibrated per index
    at build time), and either matches very clearly or shares enough of its
    rarer terms with the passages found (``coverage``). A question that names a
    year, place, person or organisation the documents never mention (Jiangsu's
    clusters, 2030 targets) is not answerable from them, however close the
    topic. Thresholds are settings, calibrated on eval/questions/dev.jsonl.
    """

    coverage: float  # share of the question's terms (weighted by rarity) found in the top passages
    relevance: float  # best passage's similarity above the index's null level, in null standard deviations
    unknown_years: tuple[str, ...] = ()  # years the documents never mention
    unknown_names: tuple[str, ...] = ()  # places, people, organisations the documents never mention
    # Summed rarity of the question's terms found in the top passages: a short keyword
    # query ("415X", "2.5%") embeds poorly but says exactly what it wants.
    found_weight: float = 0.0

    def found(self, s: Settings) -> bool:
        if self.unknown_years or self.unknown_names:
            return False
        if self.relevance >= s.min_relevance_alone:
            return True
        if self.coverage >= 0.999 and self.found_weight >= s.min_keyword_weight:
            return True
        return self.relevance >= s.min_relevance and self.coverage >= s.min_term_coverage

    @property
    def reason(self) -> str:
        """Why the documents cannot answer, when the question itself shows it."""
        if self.unknown_names:
            return f"文件中没有提到“{self.unknown_names[0]}”。"
        if self.unknown_years:
            return f"文件中没有关于{self.unknown_years[0]}年的内容。"
        return ""


# Words that name a document rather than ask about something ("讲话里…", "指导意见中…").
_DOCUMENT_WORDS = {"讲话", "报道", "新闻", "日报", "浙江日报", "解读", "文章", "意见", "指导", "指导意见", "若干", "若干意见", "文件", "政策文件", "政策"}


def _chinese_side(question: str) -> str:
    """The question itself, or for an English question (as searched: followed by the Chinese
    terms of its words, see rag.query.expand_query) those Chinese terms."""
    if language(question) != "en":
        return question
    return " ".join(t for t in question.split() if re.search(r"[\u3400-\u9fff]", t))


def _terms(question: str) -> list[str]:
    """Content terms of the question; an English question contributes the Chinese terms of its words.
    Words and years that name a document ("2020年的意见") are not content."""
    naming = set(DOCUMENT_YEAR.findall(question))
    return list(
        dict.fromkeys(
            t
            for t in tokenize(_chinese_side(question))
            if not re.fullmatch(r"[a-z]+", t) and t not in _DOCUMENT_WORDS and t.rstrip("年") not in naming
        )
    )


_NAME_FLAGS = {"ns", "nr", "nrfg", "nrt", "nt"}
_PLACE_SUFFIX = re.compile(r"(?:省|市|县|区|州)$")
_posseg = None


@functools.lru_cache(maxsize=256)
def _tagged(question: str) -> tuple[tuple[str, str], ...]:
    """(word, tag) for the proper names in a question: words jieba's dictionary tags as places,
    people or organisations (its guesses for unknown words, such as "上省" in "大会上省领导", do
    not count). An English question's names come from the curated glossary ("Jiangsu" -> 江苏).
    Cached: the not-found rule and the answer checks both read them."""
    global _posseg
    if _posseg is None:
        import jieba.posseg

        _posseg = jieba.posseg
    text = " ".join(english_terms(question)) if language(question) == "en" else question
    known = _posseg.dt.word_tag_tab
    return tuple((w.word, w.flag) for w in _posseg.cut(text) if w.flag in _NAME_FLAGS and known.get(w.word) == w.flag)


def _names(question: str) -> list[str]:
    """Places, people and organisations named in the question."""
    # jieba's dictionary tags many two-character words as person names ("太贵"): a person's name must be longer.
    return [w for w, flag in _tagged(question) if len(w) >= (3 if flag.startswith("nr") else 2)]


def _unknown_names(retriever: Retriever, question: str) -> tuple[str, ...]:
    """Places, people and organisations the question names and the documents never mention
    ("江苏省" counts as mentioned when "江苏" is)."""
    known = retriever.known_text
    return tuple(n for n in _names(question) if n.lower() not in known and _PLACE_SUFFIX.sub("", n) not in known)


def gather_evidence(retriever: Retriever, stats: SearchStats, passages: Sequence[Passage]) -> Evidence:
    """Evidence for a search (``stats.query`` is the question as searched) from its passages and the whole index."""
    question = stats.query
    top = " ".join(p.text + p.section for p in passages[:3]).lower()
    found_weight = 0.0
    if stats.language == "en":
        # Each content word counts once: found when one of its Chinese terms is in the
        # passages, missing when they are not or the glossary has no word for it
        # ("passport", "renew").
        units = english_units(question, retriever.index.lexicon)
        found = [max(retriever.idf(t.lower()) for t in u.chinese if t.lower() in top) for u in units if any(t.lower() in top for t in u.chinese)]
        coverage = len(found) / len(units) if units else 0.0
        found_weight = sum(found)
    else:
        # Coverage weighted by rarity: "杭州" found and "明天", "下雨" missing is a miss,
        # however many common words ("会") match.
        weights = {t: retriever.idf(t) for t in _terms(question)}
        total = sum(weights.values())
        found_weight = sum(w for t, w in weights.items() if t in top)
        coverage = found_weight / total if total else 0.0
    years = tuple(y for y in dict.fromkeys(YEAR.findall(question)) if y not in retriever.known_text)
    names = _unknown_names(retriever, question)
    return Evidence(coverage, stats.relevance, years, names, found_weight)


class ExtractiveComposer:
    """Quotes the statements that answer the question, a document the question names first, then the newest policy.

    Each unit of the retrieved passages (a sentence, or a clause of a long
    sentence with its lead-in) is scored by how many of the question's rarer
    terms it holds and by its embedding similarity to the question, which the
    index already has, weighed by how well its passage was retrieved. The best
    unit is quoted, and the best passage's best unit; others when they score
    nearly as well in a document already quoted, or say the same thing in
    another document (the 2022 guideline beside the 2020 opinions), which is
    then shown with its date.
    """

    def __init__(
        self,
        max_statements: int = 3,
        floor: float = 0.75,
        same_point: float = 0.7,
        other_floor: float = 0.5,
        dense_weight: float = 0.25,
        retrieval_weight: float = 1.0,
        heading_weight: float = 0.5,
        anchor: bool = True,
        lexical_floor: float = 0.5,
    ) -> None:
        self.max_statements = max_statements
        self.floor = floor  # a unit below floor x the best one's score is not quoted
        self.same_point = same_point  # another document's unit must hold this share of the best unit's terms
        self.other_floor = other_floor  # ... and score at least this share of the best unit's score
        self.dense_weight = dense_weight  # share of embedding similarity (vs shared terms) in a unit's score
        self.retrieval_weight = retrieval_weight  # exponent of (passage score / best passage score)
        self.heading_weight = heading_weight  # a question term in a unit's headings counts this much
        self.anchor = anchor  # the best unit of the best passage is always quoted
        self.lexical_floor = lexical_floor  # shared-term shares are scaled by max(best share, this)

    def candidates(
        self, question: str, passages: Sequence[Passage], unit_scores: UnitScores | None = None
    ) -> list[Statement]:
        """Every quotable unit of ``passages``, scored, best first."""
        weights = _term_weights(_terms(question), passages)
        total = sum(weights.values()) or 1.0
        wants_list = bool(_LIST_WORDS.search(question))
        wants_number = _wants_number(question)
        years = set(period_years(question))
        raw: list[tuple[str, Passage, float, float | None, float]] = []
        for passage in passages:
            scored = unit_scores(passage) if unit_scores else [ScoredUnit(u) for u in units(passage.text, passage.headings)]
            best_sim = max((u.similarity for u in scored if u.similarity is not None), default=None)
            # For a list question the whole list beats any one of its items.
            pieces = [(u, 1.0) for u in scored] + [(ScoredUnit(x, best_sim), LIST_BONUS) for x in _list_units(passage) if wants_list]
            # A unit is read under its headings: "(一)优化“双核一带一廊”空间布局" is what its sentences are about.
            context = " ".join(passage.headings).lower()
            for unit, bonus in pieces:
                low = unit.text.lower()
                held = sum(w for t, w in weights.items() if t in low)
                under = sum(w for t, w in weights.items() if t not in low and t in context)
                raw.append((unit.text, passage, (held + self.heading_weight * under) / total, unit.similarity, bonus))
        if not raw:
            return []
        top_lexical = max(r[2] for r in raw) or 1.0
        top_score = max(p.score for p in passages)
        sims = [r[3] for r in raw if r[3] is not None]
        hi, lo = (max(sims), min(sims)) if sims else (1.0, 0.0)
        out = []
        for text, passage, lexical, sim, bonus in raw:
            # Shared terms count relative to the best unit's, but when no unit shares much
            # (a question in everyday words) their small differences must not decide.
            score = lexical / max(top_lexical, self.lexical_floor)
            if sim is not None:
                w = self.dense_weight
                score = (1 - w) * score + w * ((sim - lo) / (hi - lo) if hi > lo else 1.0)
            # Retrieval still counts: a passage far behind the best one is rarely the answer.
            score *= (max(passage.score, 0.0) / top_score) ** self.retrieval_weight if top_score > 0 else 1.0
            if wants_number and not _HAS_NUMBER.search(text):
                score *= 0.7  # "多少" is answered by a figure
            score *= bonus
            if years and not any(y in passage.text or y in passage.doc_date for y in years):
                score *= 0.6  # "2023年…" is answered by a passage about 2023
            offset = max(passage.text.find(text.split(ELISION)[-1]), 0)
            out.append(Statement(text, passage, score, lexical, sim, offset))
        return sorted(out, key=lambda st: -st.score)

    def compose(
        self,
        question: str,
        passages: Sequence[Passage],
        preferred: Sequence[str] = (),
        unit_scores: UnitScores | None = None,
    ) -> tuple[str, list[Passage]]:
        """``preferred``: ids of documents the question names; their statements come first."""
        ranked = self.candidates(question, passages, unit_scores)
        if not ranked or (ranked[0].lexical <= 0 and ranked[0].similarity is None):
            return "", []
        best = ranked[0]
        chosen = [best]
        if self.anchor and best.passage.chunk_id != passages[0].chunk_id:
            # The best passage is usually right (Hit@1 is high) even when another passage has a
            # sentence that looks better: quote its best unit too.
            first = next((st for st in ranked if st.passage.chunk_id == passages[0].chunk_id), None)
            if first is not None:
                chosen.append(first)
        docs = {c.passage.doc_id for c in chosen}
        for st in ranked[1:]:
            if len(chosen) >= self.max_statements:
                break
            body = st.text.split(ELISION)[-1]  # without its lead-in: the same words are the same quote
            if any(body in c.text or c.text.split(ELISION)[-1] in st.text for c in chosen):
                continue
            if st.passage.doc_id in docs:
                if st.score >= self.floor * best.score:  # another piece of a quoted document, nearly as good
                    chosen.append(st)
            elif len(docs) < 3 and st.lexical >= self.same_point * best.lexical and st.score >= self.other_floor * best.score:
                # The same point in another document (the 2020 opinions beside the 2022
                # guideline): shown too, with its date, even when retrieved lower.
                chosen.append(st)
                docs.add(st.passage.doc_id)
        return _render(chosen, preferred)


def _enumeration(sentences: list[str]) -> str | None:
    """"…打好“四战”:一是…。二是…。三是…。": the opening sentence and each item's lead, elided between."""
    for i, sentence in enumerate(sentences):
        if _ENUM_HEAD.search(sentence):
            items = [s for s in sentences[i + 1 :] if _ENUM_ITEM.match(s.strip())]
            return ELISION.join([sentence.strip(), *(s.strip() for s in items)]) if items else None
    return None


def _list_units(passage: Passage) -> list[str]:
    """Extra pieces for a list question: the parts a passage announces, its enumeration (一是…二是…),
    and each long sentence whole when it is a list ("重点培育高端软件、集成电路、…等15个千亿级特色产业集群")."""
    text = passage.text
    out = []
    if passage.outline:
        out.append("".join(statements(text, headings=passage.headings)) + "；".join(passage.outline))
    if enumeration := _enumeration(split_sentences(text)):
        out.append(enumeration)
    out += [
        s
        for s in statements(text, long_sentence=LIST_SENTENCE, headings=passage.headings)
        if s.count("、") >= 3 and LONG_SENTENCE < len(s) <= LIST_SENTENCE
    ]
    return out


def _term_weights(terms: Sequence[str], passages: Sequence[Passage]) -> dict[str, float]:
    """IDF-like weights over the retrieved passages: rare terms decide which sentence answers."""
    n = max(len(passages), 1)
    weights = {}
    for t in terms:
        df = sum(1 for p in passages if t in p.text.lower())
        weights[t] = math.log(1 + (n + 1) / (df + 0.5)) * (1.5 if re.search(r"\d", t) else 1.0)
    return weights


def _render(chosen: Sequence[Statement], preferred: Sequence[str] = ()) -> tuple[str, list[Passage]]:
    """Group statements by document: a document the question names first, then policy documents, newest first."""
    citations: list[Passage] = []
    best = max((st.score for st in chosen), default=0.0)
    by_doc: dict[str, list[Statement]] = {}
    for st in chosen:
        by_doc.setdefault(st.passage.doc_id, []).append(st)
    groups = sorted(
        by_doc.values(),
        key=lambda g: (
            g[0].passage.doc_id not in preferred,
            # documents that answer about as well as the best one come first; among them
            # policy documents, then the newest
            max(st.score for st in g) < 0.8 * best,
            _KIND_ORDER.get(g[0].passage.doc_kind, 9),
            _negdate(g[0].passage.doc_date),
        ),
    )
    lines = []
    for group in groups:
        p0 = group[0].passage
        # Within one document, quote in the order the document says things.
        group = sorted(group, key=lambda st: (st.passage.start, st.offset))
        parts = []
        for st in group:
            if st.passage not in citations:
                citations.append(st.passage)
            marker = f"[{citations.index(st.passage) + 1}]"
            # One line per document: a statement never carries the source's line breaks.
            body = re.sub(r"\s*\n\s*", "", st.text).rstrip().rstrip(",，、:：")
            end = "。"
            if body and body[-1] in "。！？!?;；":
                end = "。" if body[-1] in ";；" else body[-1]
                body = body[:-1]
            parts.append(f"{body}{marker}{end}")
        label = KINDS.get(p0.doc_kind, p0.doc_kind)
        lines.append(f"{label}《{p0.doc_title}》（{p0.doc_date}）：" + "".join(parts))
    return "\n".join(lines), citations


def cited_statements(answer_text: str) -> list[tuple[int, str]]:
    """The statements of an answer with the number of the citation each carries, in order.

    "政策文件《…》（2022-08-30）：甲[1]。乙[2]。" gives [(1, "甲"), (2, "乙")].
    """
    out = []
    for line in answer_text.splitlines():
        line = ANSWER_LABEL.sub("", line)
        pos = 0
        for m in MARKER.finditer(line):
            out.append((int(m.group(1)), line[pos : m.start()].lstrip("。！？!?;；").strip()))
            pos = m.end()
    return out


# Questions about a document itself rather than its content: who issued it, when, its title.
_ABOUT_DOCUMENT = re.compile(
    r"什么时候(?:发布|印发|出台|公布|签发|发的|出的|发表|讲的|写的)|哪(?:一)?(?:年|天)(?:发布|印发|出台|公布|签发|发表|写的|讲的)"
    r"|(?:发布|印发|签发|成文)(?:时间|日期)|(?:哪个|哪些|什么)(?:部门|单位|机关)(?:发布|印发|出台|制定|发的|出的)"
    r"|谁(?:发布|印发|发的|写的|讲的|出的)|发文(?:机关|单位)|作者是谁|是谁写的|全称|(?:文件|文章)(?:名称|标题|题目)"
    r"|when (?:was|were|did) .{0,60}(?:issued|published|released|signed|written|given)|who (?:issued|published|wrote|signed|authored)",
    re.I,
)


def _document_outlines(retriever: Retriever, doc_ids: Sequence[str]) -> tuple[str, list[Passage]]:
    """The parts of each document (the outline its opening passage carries), quoted and cited."""
    citations, lines = [], []
    for doc_id in doc_ids:
        opening = next((c for c in retriever.index.chunks if c.doc_id == doc_id and c.outline and not c.section), None)
        if opening is None:
            return "", []
        p = Passage.from_chunk(opening, 1.0, 0.0, 0.0)
        citations.append(p)
        parts = "；".join(p.outline)
        lines.append(f"{KINDS.get(p.doc_kind, p.doc_kind)}《{p.doc_title}》（{p.doc_date}）：{parts}[{len(citations)}]。")
    return "\n".join(lines), citations


_ASKS_SOURCE = re.compile(r"印发|签发|公布|来源|出处|网址|source|where", re.I)


_STRUCTURE_WORDS = re.compile(  # a word made only of these says nothing about a topic
    r"(?:主要|重点|任务|内容|措施|部分|章节|方面|框架|结构|目录|提纲|包括|包含|分为|哪些|哪几|几个|几|个|有|年|提出|部署|讲|说"
    r"|main|task|part|section|outline|structure|content)+",
    re.I,
)
# Questions about how a named document is laid out: its parts are its outline.
_ABOUT_CONTENTS = re.compile(
    r"主要内容|主要任务|重点任务|主要措施|(?:哪些|哪几个|几个|几)(?:部分|章节)|框架|结构|目录|提纲"
    r"|main (?:tasks|contents|parts|sections|points)|(?:what|which) (?:parts|sections)|outline|structure",
    re.I,
)


def about_documents(retriever: Retriever, question: str, doc_ids: Sequence[str] | None, kinds: Sequence[str] | None) -> tuple[str, list[Passage]]:
    """An answer from the documents' own records when the question asks who issued a named
    document, when, or its title ("指导意见是哪个部门发的？"), or what its parts are
    ("指导意见的主要任务有哪些？"); ("", []) otherwise."""
    record = _ABOUT_DOCUMENT.search(question)
    # "指导意见的主要任务有哪些？" asks for the outline; "指导意见里山区26县的主要任务？" does not.
    contents = _ABOUT_CONTENTS.search(question) and not [
        t for t in _terms(question) if not _STRUCTURE_WORDS.fullmatch(t) and not YEAR.search(t)
    ]
    if not (record or contents):
        return "", []
    if _unknown_names(retriever, question):
        return "", []  # "江苏的指导意见是谁发的？" is not about these documents
    named = [
        d
        for d in referenced_documents(question, retriever.index.manifest.documents)
        if (not doc_ids or d in doc_ids) and (not kinds or retriever.index.documents[d].kind in kinds)
    ]
    if not named or len(named) > 2:
        return "", []
    if not record:
        return _document_outlines(retriever, named)
    citations = [retriever.document_passage(d) for d in named]
    lines = []
    for n, p in enumerate(citations, 1):
        wanted = ("发布者", "日期", "来源") if _ASKS_SOURCE.search(question) else ("发布者", "日期")
        quote = ELISION.join(line for line in p.text.splitlines() if line.startswith(wanted))
        lines.append(f"{KINDS.get(p.doc_kind, p.doc_kind)}《{p.doc_title}》（{p.doc_date}）：{quote}[{n}]。")
    return "\n".join(lines), citations


# What a question asks for, when it is something policy documents rarely hold,
# and what a quote must contain to give it: an application procedure, criteria,
# a sum of money, a person or office in charge.
_ASKS_FOR = (
    (
        re.compile(
            r"(?:怎么|如何|怎样)(?:申报|申请|办理|报名|登记)|(?:去|到|在)哪(?:里|儿)?(?:申报|申请|办理|报名|登记|办)|找哪个部门"
            r"|(?:办理|申报|申请|什么|哪些)(?:的)?(?:流程|手续)|(?:流程|手续)(?:是什么|有哪些|怎么走)"
            r"|需要(?:准备|提交)?(?:哪些|什么)材料|how (?:do|can|to|should|does|would) (?:\w+ ){0,3}(?:apply|register)"
            r"|application (?:process|procedure)|procedure",
            re.I,
        ),
        re.compile(r"申报|申请|办理|流程|手续|提交|所需材料"),
        "文件中没有写申报或办理的具体程序。",
    ),
    (
        re.compile(r"(?:认定|评定|申报|申请|入选|评选|评审)[^，。？?,]{0,6}(?:条件|标准|门槛)|\bcriteria\b|eligib|qualif", re.I),
        re.compile(r"条件|门槛|认定标准|评定标准"),
        "文件中没有给出认定条件或标准。",
    ),
    (
        re.compile(r"多少钱|奖励多少|补贴多少|补助多少|资助多少|奖补|金额|how much (?:money|subsidy|funding|reward|support)|subsid", re.I),
        re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿)?元"),
        "文件中没有给出具体金额。",
    ),
    (
        re.compile(r"是谁|组长|负责人|哪个(?:厅|局|部门|单位)|^who\b|who (?:is|was|are|leads|heads|chairs)\b", re.I),
        re.compile(r"组长|负责人|厅|局|委员会|办公室|牵头|公司|院"),
        "文件中没有写明具体负责人或部门。",
    ),
)
# A figure for part of a year ("1—4月", "1月至9月") does not answer for the whole year.
_WHOLE_YEAR = re.compile(r"全年|整年|full[- ]year|whole year", re.I)
_PART_OF_YEAR = re.compile(r"\d{1,2}\s*(?:月)?\s*(?:—|-|–|至|到)\s*\d{1,2}\s*月|上半年|前三季度|一季度")
_NOT_PLACES = {"浙江", "浙江省", "全省", "我省", "全国", "中国", "我国", "国家", "省里", "省内", "本省"}


def unanswered(
    question: str, answer_text: str, citations: Sequence[Passage], context: Callable[[Passage], str] = lambda p: p.text
) -> str:
    """Why a composed answer does not answer the question after all, or "" when it does.

    The passages may be on the question's topic yet not hold what it asks:
    - a year: every quote that names years names others ("山区26县2023年实际
      新增了多少家" against "到2025年,……每年共新增…500家"), or the quotes name
      none and their part of the document and its date do not speak of that year;
    - the whole year, when the quotes give figures for some months only;
    - a place the cited passages never mention (湖州's figures against the province's);
    - a figure, when the quotes hold no number ("保险补偿比例是多少");
    - what policy texts rarely hold: how to apply, criteria, sums of money, who is in charge.
    ``context`` gives the text a passage is read in (its part of the document:
    "2023年,…" opens the part of the 2024 speech whose passages report 2023's results).
    """
    quotes = [(citations[n - 1], text) for n, text in cited_statements(answer_text) if 0 < n <= len(citations)]
    quoted = " ".join(text for _, text in quotes)
    for year in period_years(question):
        supported = False
        for passage, text in quotes:
            years = set(YEAR.findall(text))
            if year in years or (not years and (year in context(passage) + passage.section or year == passage.doc_date[:4])):
                supported = True
                break
        if not supported:
            return f"引用的文件中没有{year}年的相关内容。"
    if _WHOLE_YEAR.search(question) and quotes and all(_PART_OF_YEAR.search(text) for _, text in quotes if _HAS_NUMBER.search(text)):
        return "文件中只有部分月份的数据，没有全年数据。"
    for place in _places(question):
        if not any(place in context(p) + p.section + p.doc_title for p, _ in quotes):
            return f"引用的文件中没有关于“{place}”的具体内容。"
    if _wants_number(question) and not _HAS_NUMBER.search(YEAR.sub("", quoted)):
        return "文件中没有给出这方面的具体数字。"
    for asks, gives, reason in _ASKS_FOR:
        if asks.search(question) and not gives.search(quoted):
            return reason
    return ""


def _wants_number(question: str) -> bool:
    """A question answered by a figure ("多少", "比重", "how many"); "哪几个" asks for a list.

    Only the question's last clause is read: "我们县今年上了几个光伏项目，…会不会算进考核？"
    tells how many projects, it does not ask.
    """
    last = re.split(r"[,，;；。]", question.strip().rstrip("?？!！。"))[-1]
    return bool(_QUANTITY.search(last)) and not _ASKS_WHICH.search(last)


def _places(question: str) -> list[str]:
    """Places named in a question, without the province itself."""
    out = []
    for word, flag in _tagged(question):
        if flag != "ns":
            continue
        name = _PLACE_SUFFIX.sub("", word) if len(word) > 2 else word
        if word not in _NOT_PLACES and name not in _NOT_PLACES:
            out.append(name)
    return out


def not_found_text(documents: Sequence[DocumentInfo], reason: str = "") -> str:
    """The not-found message: the reason, if known, and what the assistant does answer (from the manifest)."""
    counts: dict[str, int] = {}
    for d in documents:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    kinds = "、".join(f"{KINDS.get(k, k)}{n}份" for k, n in sorted(counts.items(), key=lambda kv: _KIND_ORDER.get(kv[0], 9)))
    return (
        f"{NOT_FOUND_TEXT}{reason}本助手只依据已收录的{len(documents)}份文件（{kinds}）回答，"
        "不推测文件以外的信息。可以换个说法，或询问这些文件中的目标、任务和政策措施。"
    )


def _negdate(date: str) -> tuple:
    """Sort key that puts later dates first ("2022-08-30" before "2020-03")."""
    digits = [int(x) for x in re.findall(r"\d+", date)] or [0]
    return tuple(-d for d in digits)


_ASKED = re.compile(r"多少|哪些|哪几|什么|目标|要求|措施|how many|how much|which|what")  # what a question asks for
_FOLLOWUP = re.compile(r"怎么说|如何说|怎么讲|说了什么|呢[?？]?$|^那|^这|^该|上述|同样|what about|how about|and the|and in", re.I)


@dataclass(frozen=True)
class Followup:
    """A follow-up question read in the context of the previous one."""

    query: str
    doc_ids: tuple[str, ...] | None


# Words of a follow-up that only point back ("…怎么说？", "那…呢？").
_POINTING = re.compile(r"(?:怎么|如何)?(?:说|讲)(?:了什么)?|呢|那|这|该|上述|同样|what|about|how|and", re.I)


def resolve_followup(question: str, history: Sequence[str], documents: Sequence[DocumentInfo]) -> Followup:
    """Read a short follow-up in the context of the previous question.

    "2020年的文件怎么说？" after a question about a target is that question, about
    2020's documents. "山区26县呢？" brings a subject of its own: it is asked with
    the previous question's years and what it asked for (到2025年, 多少), not its
    subject. ``documents`` are the index manifest's. A question that is not short
    and referring is asked as it is.
    """
    previous = next((h for h in reversed(history) if h and h.strip()), None)
    named = referenced_documents(question, documents)
    if not named:  # "2020年的呢？": a bare year names that year's documents in a follow-up
        years = set(YEAR.findall(question))
        named = tuple(d.doc_id for d in documents if years and d.date[:4] in years)
        named = named if len(named) < len(documents) else ()
    if not previous or len(question) > 30 or not (_FOLLOWUP.search(question) or named):
        return Followup(question, None)
    own = [t for t in _terms(question) if len(t) >= 2 and not _POINTING.fullmatch(t) and not YEAR.search(t)]
    if own and not named:
        # A subject of its own: the previous question lends only its time and what it asked.
        carried = [f"{y}年" for y in period_years(previous)] + _ASKED.findall(previous)
        return Followup(" ".join([question, *dict.fromkeys(carried)]), None)
    return Followup(f"{previous} {question}", named or None)


def ask(
    question: str,
    k: int = 5,
    settings: Settings | None = None,
    composer: Composer | None = None,
    doc_ids: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    history: Sequence[str] | None = None,
) -> Answer:
    """Answer ``question`` from the policy documents, citing every statement.

    ``history``: the user's earlier questions in this conversation, so a
    follow-up ("2020年的文件怎么说？") is understood in context. ``doc_ids`` and
    ``kinds`` restrict the documents searched.

    Bad questions (empty, too long, no words) come back as an `Answer` with
    ``status="invalid_question"`` whose text says what to do; they never raise.
    """
    settings = settings or Settings.from_env()
    raw = question if isinstance(question, str) else ""
    if raw.strip() and _TAGS.search(raw) and not _TAGS.sub("", raw).strip():
        return Answer(question=raw, text=ONLY_MARKUP_TEXT, status="invalid_question")
    try:
        # Markup is not part of a question; what is left is asked as text.
        text = clean_question(_TAGS.sub(" ", raw) if isinstance(question, str) else question, settings.max_question_chars)
    except InputError as exc:
        return Answer(question=raw, text=str(exc), status="invalid_question")
    retriever = get_retriever(settings)
    if history:
        follow = resolve_followup(text, history, retriever.index.manifest.documents)
        text = follow.query
        if follow.doc_ids is not None:
            doc_ids = [d for d in follow.doc_ids if not doc_ids or d in doc_ids]
    documents = retriever.index.manifest.documents
    body, citations = about_documents(retriever, text, doc_ids, kinds)
    if citations:
        return Answer(question=raw, text=body, citations=citations, found=True, status="answered", passages=citations)
    passages, stats = retriever.search_with_stats(text, k=max(k, 1), doc_ids=doc_ids, kinds=kinds)
    evidence = gather_evidence(retriever, stats, passages)
    if not passages or not evidence.found(settings):
        return Answer(question=raw, text=not_found_text(documents, evidence.reason), passages=passages)
    named = referenced_documents(text, documents)
    # From here on the question is read as searched: an English one with the Chinese words of its terms.
    body, citations = (composer or ExtractiveComposer()).compose(
        stats.query, passages, preferred=named, unit_scores=lambda p: retriever.unit_scores(stats, p)
    )
    reason = unanswered(stats.query, body, citations, retriever.part_text) if citations else ""
    if not citations or reason:
        return Answer(question=raw, text=not_found_text(documents, reason), passages=passages)
    return Answer(question=raw, text=body, citations=citations, found=True, status="answered", passages=passages)
