"""Document-record answers: what a document says of itself, not what it says.

A question about a named document's record — who issued it, when it was signed,
issued or takes effect, its number, to whom it is addressed or copied — is
answered from the document's record (manifest, metadata read from the text, the
signature block cleaning kept out of the passages), cited as the document's
"文件信息". A question about its parts ("指导意见的主要任务有哪些方面？") gets the
headings of its parts, cited to its opening passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .checks import missing_quote
from .compose import Statement
from .index import DocumentRecord
from .ingest import KINDS
from .retrieval import Passage, Retriever
from .understand import Asks, Query

DOCUMENT_INFO = "文件信息"  # the section path of a document's own record


@dataclass(frozen=True)
class RecordField:
    """One line of a document's record: what it is (a field name of Query.record_fields) and its text."""

    field: str
    label: str
    value: str


# Labelled lines of a signature block: "抄送:…", "…2022年8月31日印发".
_SIGNATURE_FIELDS = (
    ("copied", "抄送", re.compile(r"^抄送[:：]\s*(.+)$")),
    ("recipients", "主送", re.compile(r"^主送[:：]\s*(.+)$")),
    ("date", "印发", re.compile(r"^(.*\d{4}年\d{1,2}月\d{1,2}日\s*印发)$")),
    ("date", "成文日期", re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日)$")),
)
# What a document states about itself (rag.metadata.DocumentRecordInfo, read from its text or set in
# the manifest): the attribute, its label, and the record field of a question it answers.
_INFO_FIELDS = (
    ("doc_number", "发文字号", "number"),
    ("addressees", "主送", "recipients"),
    ("cc", "抄送", "copied"),
    ("signed", "成文日期", "date"),
    ("issued", "印发日期", "date"),
    ("published", "发布日期", "date"),
    ("adopted", "通过日期", "date"),
    ("delivered", "报告日期", "date"),
    ("venue", "会议", "date"),
    ("effective", "施行日期", "date"),
    ("repealed", "废止日期", "date"),
    ("superseded_by", "已被替代", "date"),
    ("repeals", "同时废止", "repeals"),
    ("notice_title", "印发通知", "title"),
)


def record_fields(doc: DocumentRecord) -> list[RecordField]:
    """The record of a document, line by line."""
    fields = [
        RecordField("title", "标题", f"《{doc.title}》"),
        RecordField("issuer", "发布者", doc.issuer),
        RecordField("date", "日期", doc.date),
        RecordField("kind", "类型", KINDS.get(doc.kind, doc.kind)),
    ]
    if doc.source:
        fields.append(RecordField("source", "来源", doc.source))
    info = getattr(doc, "info", None)
    for attr, label, field in _INFO_FIELDS:
        value = getattr(info, attr, "") if info is not None else ""
        if isinstance(value, tuple):
            value = "、".join(value)
        if value:
            fields.append(RecordField(field, label, str(value)))
    meta = doc.metadata or {}
    signature = [line.strip() for line in str(meta.get("signature", "")).splitlines() if line.strip()]
    for line in signature:
        for field, label, pattern in _SIGNATURE_FIELDS:
            m = pattern.match(line)
            if m and not any(f.value == m.group(1) for f in fields):
                fields.append(RecordField(field, label, m.group(1)))
                break
    if signature:
        fields.append(RecordField("signature", "落款", "，".join(signature)))
    return [f for f in fields if f.value]


def record_passage(doc: DocumentRecord, fields: Sequence[RecordField]) -> Passage:
    """The record as a passage that can be cited: one "label：value" line per field."""
    return Passage(
        text="\n".join(f"{f.label}：{f.value}" for f in fields),
        doc_id=doc.doc_id,
        doc_title=doc.title,
        doc_date=doc.date,
        doc_issuer=doc.issuer,
        doc_kind=doc.kind,
        section=f"《{doc.title}》 › {DOCUMENT_INFO}",
        score=1.0,
        chunk_id=f"{doc.doc_id}#info",
    )


def _record_statements(doc: DocumentRecord, wanted: Sequence[str]) -> list[Statement]:
    """The statements of the record fields asked for; [] when the record has none of them."""
    fields = record_fields(doc)
    passage = record_passage(doc, fields)
    out, pos = [], 0
    for f in fields:
        line = f"{f.label}：{f.value}"
        start = passage.text.index(line, pos)
        pos = start + len(line)
        if f.field in wanted:
            out.append(Statement(line, passage, ((start, pos),), score=1.0, lexical=1.0))
    return out


def _outline_statements(retriever: Retriever, doc_id: str) -> list[Statement]:
    """The parts of a document: the outline its opening passage carries."""
    for i, chunk in enumerate(retriever.index.chunks):
        if chunk.doc_id == doc_id and chunk.outline and not chunk.section:
            passage = retriever.chunk_passage(i)
            return [Statement("；".join(passage.outline), passage, (), score=1.0, lexical=1.0)]
    return []


def answer_from_record(retriever: Retriever, query: Query, allowed: Sequence[str] | None) -> list[Statement] | None:
    """Statements from the documents' own records when the query asks for them; None when it
    does not, [] when the record does not say (the text may: the question is then searched)."""
    if not query.asks & (Asks.RECORD | Asks.OUTLINE) or query.other_titles:
        return None  # "被废止的《…》是哪天通过的" asks of a document the library does not hold
    named = [d for d in query.documents if allowed is None or d in allowed]
    if not named or len(named) > 2:
        return None
    if any(missing_quote(query, [retriever.document(d).title]) for d in named):
        return None  # "“十五五”数字经济发展规划的文号" names no document here, however close a title is
    out: list[Statement] = []
    for doc_id in named:
        if query.asks & Asks.RECORD:
            # Who and when, unless the question names other fields (主送, 文号, 抄送).
            wanted = list(query.record_fields) or ["issuer", "date"]
            if "date" in wanted:
                wanted.append("source")  # a source line often tells when it was signed and issued
            out += _record_statements(retriever.document(doc_id), wanted)
        else:
            statements = _outline_statements(retriever, doc_id)
            if not statements:
                return None
            out += statements
    return out
