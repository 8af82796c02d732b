"""`ask()`: a question in, an `Answer` whose every statement cites its passage out.

The stages, each in its own module, with the value that passes between them:

    understand (Query) -> retrieval (Retrieval) -> checks.gather_evidence (Evidence)
    -> compose (Statement list) -> checks.unanswered (reason) -> render (text)

No language model runs here: the default `ExtractiveComposer` quotes the
sources. A generator can be plugged in through the `Composer` contract.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, Sequence

from .checks import Evidence, gather_evidence, missing_place, unanswered
from .compose import Composer, ExtractiveComposer, KIND_ORDER, Statement, with_section
from .errors import InputError
from .gather import gather
from .ingest import KINDS
from .mentions import unknown_names
from .records import answer_from_record
from .render import citations_of, render_text
from .retrieval import Passage, Retriever, get_retriever
from .sections import find_section, named_articles, wants_section
from .settings import Settings
from .understand import Query

NOT_FOUND_TEXT = "现有政策文件中没有找到能回答这个问题的内容。"
# A place in the title or issuer of at least this share of the library's documents is the library's
# own scope (浙江 for a library of Zhejiang's bodies): passages need not name it to answer for it.
SCOPE_SHARE = 0.5
RECORD_ONLY = {"number", "recipients", "copied", "repeals"}  # record fields no passage states instead


class Status(str, enum.Enum):
    """What became of a question. A str, so ``answer.status == "answered"`` reads naturally."""

    ANSWERED = "answered"
    NOT_FOUND = "not_found"  # the documents hold no answer (the text says why, when known)
    INVALID = "invalid_question"  # the question cannot be read (the text says what to do)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Answer:
    """An answer: ``text`` with markers [1], [2]…; ``citations[0]`` is [1].

    ``statements`` are the claims, each citing its passage; ``query`` is how the
    question was read (a follow-up says what it inherited); ``reason`` says why
    nothing was found, when the question itself shows it.
    """

    question: str
    text: str
    citations: list[Passage] = field(default_factory=list)
    status: Status = Status.NOT_FOUND
    passages: list[Passage] = field(default_factory=list)  # everything retrieved, best first
    statements: tuple[Statement, ...] = ()
    query: Query | None = None
    reason: str = ""
    # For a question refused under a filter: the documents outside it that answer it.
    excluded: tuple[str, ...] = ()
    found: bool = field(init=False)  # status is ANSWERED

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "found", self.status is Status.ANSWERED)


def not_found_text(documents: Sequence[Any], reason: str = "") -> str:
    """The not-found message: the reason, if known, and what the assistant does answer (from the manifest)."""
    counts: dict[str, int] = {}
    for d in documents:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    kinds = "、".join(f"{KINDS.get(k, k)}{n}份" for k, n in sorted(counts.items(), key=lambda kv: KIND_ORDER.get(kv[0], 9)))
    return (
        f"{NOT_FOUND_TEXT}{reason}本助手只依据已收录的{len(documents)}份文件（{kinds}）回答，"
        "不推测文件以外的信息。可以换个说法，或询问这些文件中的目标、任务和政策措施。"
    )


def _checked_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k 必须是正整数，例如 k=5。(k must be a positive whole number, got {k!r}.)")
    return k


def ask(
    question: str,
    k: int = 5,
    settings: Settings | None = None,
    composer: Composer | None = None,
    doc_ids: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    history: Sequence[Any] | None = None,
) -> Answer:
    """Answer ``question`` from the documents, citing every statement.

    ``history``: this conversation's earlier questions (strings) or `Answer`s; only a
    question that cannot stand alone is read with the last answered one. ``doc_ids``
    and ``kinds`` restrict the documents searched.

    Bad input (an empty or overlong question, a bad ``k``, ``history``, ``doc_ids`` or
    ``kinds``) comes back as an `Answer` with status INVALID whose text says what to
    do; it never raises for it.
    """
    settings = settings or Settings.from_env()
    raw = question if isinstance(question, str) else ""
    try:
        k = _checked_k(k)
        retriever = get_retriever(settings)
        query = retriever.understand(question, history or ())
        composer = composer or ExtractiveComposer()
        answer = _answer(retriever, query, k, composer, doc_ids, kinds, raw)
        if not answer.found and (doc_ids or kinds):
            # Say so when the answer is in a document the filter leaves out, rather than just "not found".
            unfiltered = _answer(retriever, query, k, composer, None, None, raw)
            if unfiltered.found:
                return _excluded(answer, unfiltered, retriever)
        return answer
    except InputError as exc:
        return Answer(question=raw, text=str(exc), status=Status.INVALID)


def _answer(
    retriever: Retriever, query: Query, k: int, composer: Composer, doc_ids: Sequence[str] | None, kinds: Sequence[str] | None, raw: str
) -> Answer:
    documents = retriever.index.manifest.documents
    if query.inherited is not None and query.inherited.kept == "whole" and query.documents:
        # "2020年的文件怎么说？": the previous question, asked of the documents this one names.
        doc_ids = [d for d in query.documents if not doc_ids or d in doc_ids]
    allowed = [d.doc_id for d in documents if (not doc_ids or d.doc_id in doc_ids) and (not kinds or d.kind in kinds)]
    # "江苏的指导意见是谁发的？" is not about these documents: no record answers a place they never name.
    record = None if unknown_names(retriever, query) else answer_from_record(retriever, query, allowed)
    # A record is of the document named, and that document of a place: "上海市数据条例什么时候施行" is not
    # answered by the Zhejiang regulation's record (its own title and issuer say where it is from).
    if record and (reason := missing_place(query, record, lambda p: p.doc_title + p.doc_issuer, lambda place: _in_scope(retriever, place))):
        return Answer(raw, not_found_text(documents, reason), [], Status.NOT_FOUND, [], (), query, reason)
    if record:
        citations = citations_of(record)
        return Answer(raw, render_text(record, citations), citations, Status.ANSWERED, citations, tuple(record), query)
    if query.other_titles and query.record_fields and not query.documents:
        # "被废止的《浙江省信息化促进条例》当初是哪天通过的": a document the library only mentions has
        # no record here, whatever the passages that mention it say.
        reason = f"文件库中没有《{query.other_titles[0]}》这份文件，无法回答它的发布、施行等信息。"
        return Answer(raw, not_found_text(documents, reason), [], Status.NOT_FOUND, [], (), query, reason)
    if record == [] and query.record_fields and set(query.record_fields) <= RECORD_ONLY:
        # A 发文字号, 主送 or 抄送 is stated in a document's record or nowhere: the body has none to find.
        reason = "文件的记录中没有这一项。"
        return Answer(raw, not_found_text(documents, reason), [], Status.NOT_FOUND, [], (), query, reason)
    retrieval = retriever.retrieve(query, k=k, doc_ids=doc_ids, kinds=kinds)
    passages = retrieval.passages
    evidence: Evidence = gather_evidence(retriever, retrieval)
    if not passages or not evidence.found(retriever.settings):
        reason = evidence.reason
        return Answer(raw, not_found_text(documents, reason), [], Status.NOT_FOUND, passages, (), query, reason)
    # "第三十八条讲的啥" is answered by the article, whole, within the room of a short answer; a broad
    # question from the section it is about, when one is (its heading says so).
    articles = named_articles(retriever, query, passages)
    section = None if articles else find_section(retriever, query, passages) if wants_section(query) else None
    if articles:
        statements = gather(query, list(articles[0].passages))
        for other in articles[1:]:  # the same article number in another document, the question naming none
            statements = with_section(query, statements, other.passages)
    else:
        statements = composer.compose(query, list(section.passages) if section else passages)
    if section and not statements:
        statements = composer.compose(query, passages)
    elif section:
        # A second section the question is about, among the passages outside the first.
        # (Of a document the question names, if it names one: "30条里…" asks that one.)
        rest = [p for p in passages if not section.holds(p) and (not query.documents or p.doc_id in query.documents)]
        if rest and (other := find_section(retriever, query, rest)):
            statements = with_section(query, statements, other.passages)
    reason = (
        unanswered(
            query, statements, retriever.part_text, lambda place: _in_scope(retriever, place), retriever.idf,
            lambda term: term in retriever.known_text,
        )
        if statements
        else ""
    )
    if not statements or reason:
        return Answer(raw, not_found_text(documents, reason), [], Status.NOT_FOUND, passages, (), query, reason)
    citations = citations_of(statements)
    return Answer(raw, render_text(statements, citations), citations, Status.ANSWERED, passages, tuple(statements), query)


def _excluded(answer: Answer, unfiltered: Answer, retriever: Retriever) -> Answer:
    docs = tuple(dict.fromkeys(c.doc_id for c in unfiltered.citations))
    titles = "、".join(f"《{retriever.document(d).title}》" for d in docs)
    reason = f"答案在当前筛选条件排除的文件中：{titles}。取消筛选或选中这些文件后再问即可。"
    documents = retriever.index.manifest.documents
    return dataclasses.replace(answer, text=not_found_text(documents, reason), reason=reason, excluded=docs)


def _in_scope(retriever: Retriever, place: str) -> bool:
    """Whether a place is the library's own scope: its documents are mostly issued by, or titled for, it
    (a city a passage merely mentions is not)."""
    docs = retriever.index.manifest.documents
    return bool(docs) and sum(place in d.title + d.issuer for d in docs) >= SCOPE_SHARE * len(docs)
