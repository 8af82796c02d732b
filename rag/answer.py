"""Answer stage: `ask()` returns a short answer whose every statement cites its passage.

No language model runs here: the default `ExtractiveComposer` quotes the
sentences (or the clauses of a long sentence) that answer the question, exactly
as the source has them, each followed by its marker. A generator (an intranet
LLM endpoint, say) can be plugged in later by implementing `Composer`.

Whether the documents hold an answer at all is decided by `Evidence.found`, a
rule on retrieval evidence calibrated on eval/questions/dev.jsonl.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from .chunking import split_sentences
from .errors import InputError
from .index import tokenize
from .ingest import KINDS
from .retrieval import Passage, Retriever, clean_question, expand_query, get_retriever, referenced_documents
from .settings import Settings

NOT_FOUND_TEXT = (
    "现有政策文件中没有找到能回答这个问题的内容。本助手只回答浙江省建设全球先进制造业基地相关文件"
    "（2020年《若干意见》、2022年《指导意见》、2024年讲话摘要、解读文章和新闻报道）中的问题；"
    "可以换个说法，或询问这些文件中的目标、任务和政策措施。"
)
ONLY_MARKUP_TEXT = "问题中只有网页标记（HTML），没有文字。请用中文或英文输入问题。(The question holds only HTML markup; type it as text.)"
# Policy documents speak with authority; when several documents say the same
# thing, they come first.
_KIND_ORDER = {"policy": 0, "speech": 1, "news": 2, "commentary": 3}
_LIST_WORDS = re.compile(
    r"哪些|哪几|哪[0-9一二三四五六七八九十两]+|几个|几项|几大|分别|包括|列举|有什么措施|举措"
    r"|[一二三四五六七八九十两\d]+(?:个|项|大|方面|战|条|类|种)"
    r"|\bwhich\b|\bwhat are\b|\blist\b|\bwhat measures\b",
    re.I,
)
_ENUM_HEAD = re.compile(r"一是")
_ENUM_ITEM = re.compile(r"^[二三四五六七八九十]是")
_CLAUSE_END = re.compile(r"(?<=[;；])")
_COMMA_END = re.compile(r"(?<=[,，])")
_HEADING_ONLY = re.compile(r"^(?:\(?[一二三四五六七八九十]+[)、]|\d{1,2}\.(?!\d))[^。,，]{0,30}[。]?$")
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
    """One quoted piece of a passage, ready to be cited."""

    text: str
    passage: Passage
    score: float
    offset: int = 0  # where it starts in the passage, to quote in reading order


class Composer(Protocol):
    """Turns a question and its passages into answer text with [n] markers.

    Returns the text and the passages cited, in marker order. An LLM-backed
    composer implements the same method and must cite only from ``passages``.
    """

    def compose(
        self, question: str, passages: Sequence[Passage], preferred: Sequence[str] = ()
    ) -> tuple[str, list[Passage]]: ...


@dataclass(frozen=True)
class Evidence:
    """What retrieval found, summarised for the not-found rule.

    The rule reads the evidence, not the words of the question: a question is
    answerable when most of its terms occur in the passages retrieved for it,
    and it names no place, person, organisation or number that the corpus never
    mentions (Jiangsu's clusters or Zhejiang's 2030 targets are not in it).
    The dense margin only rescues questions whose terms the corpus words
    differently. Thresholds are settings, calibrated on eval/questions/dev.jsonl.
    """

    coverage: float  # share of the question's terms found in the top passages
    dense_margin: float  # best dense score, in standard deviations above the corpus mean
    unknown_numbers: tuple[str, ...] = ()  # numbers in the question found nowhere in the corpus
    unknown_names: tuple[str, ...] = ()  # places, people, organisations found nowhere in the corpus

    def found(self, s: Settings) -> bool:
        if self.unknown_numbers or self.unknown_names:
            return False
        if self.coverage >= s.min_term_coverage:
            return True
        return self.coverage >= s.min_term_coverage / 2 and self.dense_margin >= s.min_dense_margin


# Words that name a document rather than ask about something ("讲话里…", "指导意见中…").
_DOCUMENT_WORDS = {"讲话", "报道", "新闻", "日报", "浙江日报", "解读", "文章", "意见", "指导", "指导意见", "若干", "若干意见", "文件", "政策文件", "政策"}


def _terms(question: str) -> list[str]:
    """Content terms of the question; an English question contributes its Chinese glossary terms."""
    expanded = expand_query(question)
    if expanded != question:  # English: keep only the Chinese side
        expanded = expanded[len(question) :]
    return list(
        dict.fromkeys(t for t in tokenize(expanded) if not re.fullmatch(r"[a-z]+", t) and t not in _DOCUMENT_WORDS)
    )


_NAME_FLAGS = {"ns", "nr", "nrfg", "nrt", "nt"}
_PLACE_SUFFIX = re.compile(r"(?:省|市|县|区|州)$")
_posseg = None


def _names(question: str) -> list[str]:
    """Proper names in the question: jieba's place/person/organisation tags, and capitalised English words."""
    global _posseg
    if _posseg is None:
        import jieba.posseg

        _posseg = jieba.posseg
    names = [w.word for w in _posseg.cut(question) if w.flag in _NAME_FLAGS and len(w.word) >= 2]
    # "What is the capital of France?": capitalised words after the first, unless the glossary knows them.
    words = re.findall(r"[A-Za-z][A-Za-z-]+", question)
    names += [w for w in words[1:] if w[0].isupper() and not w.isupper() and expand_query(w) == w]
    return names


def gather_evidence(retriever: Retriever, question: str, passages: Sequence[Passage], dense_margin: float = 0.0) -> Evidence:
    terms = _terms(question)
    top = " ".join(p.text + p.section for p in passages[:3]).lower()
    # Coverage weighted by rarity: "杭州" found and "明天", "下雨" missing is a miss,
    # however many common words ("会") match.
    weights = {t: _idf(retriever, t) for t in terms}
    total = sum(weights.values())
    coverage = sum(w for t, w in weights.items() if t in top) / total if total else 0.0
    corpus_text = _corpus_text(retriever)
    numbers = tuple(n for n in re.findall(r"\d+(?:\.\d+)?", question) if n not in corpus_text)
    names = tuple(
        n for n in _names(question) if n.lower() not in corpus_text.lower() and _PLACE_SUFFIX.sub("", n) not in corpus_text
    )
    return Evidence(coverage, dense_margin, numbers, names)


_CORPUS_TEXT: dict[int, str] = {}
_IDF: dict[tuple[int, str], float] = {}


def _idf(retriever: Retriever, term: str) -> float:
    """Inverse passage frequency of a term in the index; a term the corpus lacks weighs most."""
    key = (id(retriever.index), term)
    if key not in _IDF:
        chunks = retriever.index.chunks
        df = sum(1 for c in chunks if term in c.text.lower())
        _IDF[key] = math.log((len(chunks) + 1) / (df + 0.5))
    return _IDF[key]


def _corpus_text(retriever: Retriever) -> str:
    key = id(retriever.index)
    if key not in _CORPUS_TEXT:
        _CORPUS_TEXT[key] = "\n".join(c.text for c in retriever.index.chunks)
    return _CORPUS_TEXT[key]


class ExtractiveComposer:
    """Quotes the sentences that answer the question, newest policy first."""

    def __init__(self, max_statements: int = 3, relative_floor: float = 0.55, other_document_floor: float = 0.45) -> None:
        self.max_statements = max_statements
        self.relative_floor = relative_floor
        self.other_document_floor = other_document_floor

    def compose(
        self, question: str, passages: Sequence[Passage], preferred: Sequence[str] = ()
    ) -> tuple[str, list[Passage]]:
        """``preferred``: ids of documents the question names; their statements come first."""
        terms = _terms(question)
        weights = _term_weights(terms, passages)
        wants_list = bool(_LIST_WORDS.search(question))
        candidates: list[Statement] = []
        for rank, passage in enumerate(passages):
            prior = 1.0 / (1.0 + 0.35 * rank)  # retrieval order still counts
            for unit in _units(passage.text, wants_list):
                low = unit.lower()
                overlap = sum(w for t, w in weights.items() if t in low)
                if overlap <= 0 and rank > 0:
                    continue
                offset = passage.text.find(unit.split("……")[-1])
                candidates.append(Statement(unit, passage, (overlap + 0.01) * prior, max(offset, 0)))
        if not candidates:
            return "", []
        candidates.sort(key=lambda st: -st.score)
        best = candidates[0]
        chosen: list[Statement] = []
        for st in candidates:
            if len(chosen) >= self.max_statements or st.score < best.score * self.relative_floor:
                break
            if not any(st.text in c.text or c.text in st.text for c in chosen):
                chosen.append(st)
        # Another document on the same point (the 2020 opinions beside the 2022
        # guideline) is shown too, with its date, even if worded less like the question.
        shown = {c.passage.doc_id for c in chosen}
        for st in candidates:
            if st.passage.doc_id not in shown and st.score >= best.score * self.other_document_floor:
                chosen.append(st)
                shown.add(st.passage.doc_id)
            if len(shown) >= 3:
                break
        return _render(chosen, preferred)


def _enumeration(sentences: list[str]) -> str | None:
    """"…打好“四战”:一是…。二是…。三是…。": the opening sentence and each item's lead, elided between."""
    for i, sentence in enumerate(sentences):
        if _ENUM_HEAD.search(sentence):
            items = [s for s in sentences[i + 1 :] if _ENUM_ITEM.match(s.strip())]
            return "……".join([sentence.strip(), *(s.strip() for s in items)]) if items else None
    return None


def _units(text: str, wants_list: bool) -> list[str]:
    """Quotable pieces: sentences, and the clauses of long sentences (with their lead-in)."""
    units = []
    sentences = split_sentences(text)
    if wants_list and (enumeration := _enumeration(sentences)):
        units.append(enumeration)
    for sentence in sentences:
        sentence = sentence.strip()
        if not sentence:
            continue
        if _HEADING_ONLY.match(sentence):
            continue  # "(四)加快山区26县生态工业发展。" says nothing the section path does not
        if len(sentence) <= 120 or (wants_list and len(sentence) <= 260):
            units.append(sentence)
            continue
        # A long sentence (eight targets in one) is quoted by its clauses: at
        # semicolons, and at commas where a clause is still long.
        clauses = []
        for clause in _CLAUSE_END.split(sentence):
            clauses.extend(_COMMA_END.split(clause) if len(clause) > 120 else [clause])
        clauses = [c for c in clauses if c.strip()]
        lead = re.match(r"^[^,，:：;；]{2,20}[,，:：]", clauses[0])
        for i, clause in enumerate(clauses):
            if lead and i == 0 and clause == lead.group(0):
                continue
            # "到2025年,……规上工业企业研发经费…": keep the time frame the clause depends on.
            units.append(f"{lead.group(0)}……{clause}" if lead and i > 0 else clause)
    return units


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
            body = st.text.rstrip().rstrip(",，、:：")
            end = "。"
            if body and body[-1] in "。！？!?;；":
                end = "。" if body[-1] in ";；" else body[-1]
                body = body[:-1]
            parts.append(f"{body}{marker}{end}")
        label = KINDS.get(p0.doc_kind, p0.doc_kind)
        lines.append(f"{label}《{p0.doc_title}》（{p0.doc_date}）：" + "".join(parts))
    return "\n".join(lines), citations


def _negdate(date: str) -> tuple:
    """Sort key that puts later dates first ("2022-08-30" before "2020-03")."""
    digits = [int(x) for x in re.findall(r"\d+", date)] or [0]
    return tuple(-d for d in digits)


_FOLLOWUP = re.compile(r"怎么说|如何说|怎么讲|说了什么|呢[?？]?$|^那|^这|^该|上述|同样|what about|how about|and the|and in", re.I)
_YEAR = re.compile(r"((?:19|20)\d{2})年?")


@dataclass(frozen=True)
class Followup:
    """A follow-up question read in the context of the previous one."""

    query: str
    doc_ids: tuple[str, ...] | None


def resolve_followup(question: str, history: Sequence[str], documents: Sequence[dict]) -> Followup:
    """Read "2020年的文件怎么说？" after a question about a target as that question, about 2020's documents.

    ``documents`` are the index manifest's entries (doc_id, kind, date). A
    question that names no document, or is not short and referring, is asked
    as it is.
    """
    previous = next((h for h in reversed(history) if h and h.strip()), None)
    named = referenced_documents(question, documents)
    if not named:  # "2020年的呢？": a bare year names that year's documents in a follow-up
        years = set(_YEAR.findall(question))
        named = tuple(d["doc_id"] for d in documents if years and str(d["date"])[:4] in years)
        named = named if len(named) < len(documents) else ()
    if not previous or len(question) > 30 or not (_FOLLOWUP.search(question) or named):
        return Followup(question, None)
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
    passages, stats = retriever.search_with_stats(text, k=max(k, 1), doc_ids=doc_ids, kinds=kinds)
    evidence = gather_evidence(retriever, text, passages, stats.dense_margin)
    if not passages or not evidence.found(settings):
        return Answer(question=raw, text=NOT_FOUND_TEXT, passages=passages)
    named = referenced_documents(text, retriever.index.manifest.documents)
    body, citations = (composer or ExtractiveComposer()).compose(text, passages, preferred=named)
    if not citations:
        return Answer(question=raw, text=NOT_FOUND_TEXT, passages=passages)
    return Answer(question=raw, text=body, citations=citations, found=True, status="answered", passages=passages)
