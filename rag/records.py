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

from .mentions import missing_quote
from .compose import Statement
from .index import DocumentRecord
from .ingest import KINDS
from .metadata import EFFECTIVE, REPEALS
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
    ("printed", "印发", re.compile(r"^(.*\d{4}年\d{1,2}月\d{1,2}日\s*印发)$")),
    ("signed", "成文日期", re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日)$")),
)
# What a document states about itself (rag.metadata.DocumentRecordInfo, read from its text or set in
# the manifest): the attribute and its label; the attribute names the record field.
_INFO_FIELDS = (
    ("doc_number", "发文字号"),
    ("addressees", "主送"),
    ("cc", "抄送"),
    ("signed", "成文日期"),
    ("issued", "印发日期"),
    ("published", "发布日期"),
    ("adopted", "通过日期"),
    ("delivered", "报告日期"),
    ("venue", "会议"),
    ("speaker", "报告人"),
    ("effective", "施行日期"),
    ("repealed", "废止日期"),
    ("superseded_by", "已被替代"),
    ("repeals", "同时废止"),
    ("notice_title", "印发通知"),
)
_DATES = {"date", "signed", "issued", "published", "adopted", "delivered", "effective", "repealed"}
# Which record fields answer what a question asks for (Query.record_fields): "哪天印发的" is answered
# by the dates it was signed, issued and published, not by when it takes effect.
_ANSWERS = {
    "title": {"title", "notice_title"},
    "issuer": {"issuer", "speaker", "signature"},  # the signatories as the text writes them, too
    "issued": {"signed", "issued", "printed", "published", "adopted", "delivered"},
    "effective": {"effective", "repealed"},
    "adopted": {"adopted", "venue"},
    "venue": {"venue", "delivered", "adopted"},  # a meeting is told with the day it adopted the text
    "number": {"doc_number"},
    "items": {"items"},
    "recipients": {"addressees", "recipients"},
    "copied": {"cc", "copied"},
    "source": {"source"},
    "repeals": {"repeals", "repealed", "superseded_by"},
}
_DAY = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
_MONTH = re.compile(r"\d{4}年\d{1,2}月")


def chinese_date(iso: str) -> str:
    """"2021-12-12" as the text writes it, "2021年12月12日" ("2024-01": "2024年1月"); other text unchanged."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", iso.strip())
    if not m:
        return iso
    year, month, day = m.groups()
    return f"{year}年" + (f"{int(month)}月" if month else "") + (f"{int(day)}日" if day else "")


def record_fields(doc: DocumentRecord, items: int = 0) -> list[RecordField]:
    """The record of a document, line by line; dates as the text writes them. ``items``: how many
    numbered parts (articles) the build counted in it (DocumentInfo.items)."""
    fields = [
        RecordField("title", "标题", f"《{doc.title}》"),
        RecordField("issuer", "发布者", doc.issuer),
        RecordField("date", "日期", doc.date),
        RecordField("kind", "类型", KINDS.get(doc.kind, doc.kind)),
        RecordField("items", "条数", f"共{items}条" if items else ""),
    ]
    if doc.source:
        fields.append(RecordField("source", "来源", doc.source))
    info = getattr(doc, "info", None)
    for attr, label in _INFO_FIELDS:
        value = getattr(info, attr, "") if info is not None else ""
        if isinstance(value, tuple):
            value = "、".join(value)
        if value:
            fields.append(RecordField(attr, label, str(value)))
    fields = [RecordField(f.field, f.label, chinese_date(f.value)) if f.field in _DATES else f for f in fields]
    meta = doc.metadata or {}
    signature = [line.strip() for line in str(meta.get("signature", "")).splitlines() if line.strip()]
    for line in signature:
        for field, label, pattern in _SIGNATURE_FIELDS:
            m = pattern.match(line)
            if not m:
                continue
            # Not again what the record already says; the text's own line rather than the date read from it
            # ("浙江省人民政府办公厅2022年8月31日印发" for "印发日期：2022年8月31日").
            value = m.group(1).rstrip("。")
            same = [j for j, f in enumerate(fields) if value in f.value or (f.field in _DATES and f.value in value)]
            if not same:
                fields.append(RecordField(field, label, value))
            elif value not in fields[same[0]].value:
                fields[same[0]] = RecordField(fields[same[0]].field, label, value)
            break
    if signature:
        fields.append(RecordField("signature", "落款", "，".join(signature)))
    return [f for f in fields if f.value]


def _selected(fields: Sequence[RecordField], wanted: Sequence[str]) -> list[RecordField]:
    """The fields that answer what is asked: the document's own date and its source line only when
    no field asked for gives the day ("若干意见是什么时候发布的" has its date in the source line)."""
    names: set[str] = set().union(*(_ANSWERS.get(w, {w}) for w in wanted))
    chosen = [f for f in fields if f.field in names]
    if "issued" in wanted:
        # The source line when it tells when ("…2022年8月30日签发，8月31日印发"); the bare date when nothing does.
        dated = any(_DAY.search(f.value) for f in chosen)
        chosen += [f for f in fields if (f.field == "source" and (_MONTH.search(f.value) or not dated)) or (f.field == "date" and not dated)]
    return [f for f in fields if f in chosen]  # in the record's order


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


def _record_statements(doc: DocumentRecord, wanted: Sequence[str], items: int = 0) -> list[Statement]:
    """The statements of the record fields asked for; [] when the record has none of them."""
    fields = record_fields(doc, items)
    passage = record_passage(doc, fields)
    chosen = _selected(fields, wanted)
    out, pos = [], 0
    for f in fields:
        line = f"{f.label}：{f.value}"
        start = passage.text.index(line, pos)
        pos = start + len(line)
        if f in chosen:
            out.append(Statement(line, passage, ((start, pos),), score=1.0, lexical=1.0))
    return out


# Record fields a document states in its body ("第四十一条 本规定自2025年6月1日起施行"): answered
# with that sentence, cited to its article, where the text has it.
_IN_BODY = {"effective": EFFECTIVE, "repeals": REPEALS}


def _body_statements(retriever: Retriever, doc_id: str, wanted: Sequence[str]) -> tuple[list[Statement], set[str]]:
    """The sentences of the document's body that state the fields asked for, and those fields."""
    out: list[Statement] = []
    done: set[str] = set()
    for field, pattern in _IN_BODY.items():
        if field not in wanted:
            continue
        for i in retriever.chunks_of(doc_id):
            text = retriever.index.chunks[i].text
            if not (m := pattern.search(text)):
                continue
            start = max(text.rfind(mark, 0, m.start()) for mark in "。\n；") + 1
            end = min((j for j in (text.find(mark, m.end()) for mark in "。\n；") if j >= 0), default=len(text))
            passage = retriever.chunk_passage(i)
            if not any(st.passage.chunk_id == passage.chunk_id and st.spans == ((start, end),) for st in out):
                out.append(Statement(text[start:end].strip(), passage, ((start, end),), score=1.0, lexical=1.0))
            done.add(field)
            break
    return out, done


def _outline_statements(retriever: Retriever, doc_id: str) -> list[Statement]:
    """The parts of a document: the outline its opening passage carries."""
    for i in retriever.chunks_of(doc_id):
        chunk = retriever.index.chunks[i]
        if chunk.outline and not chunk.section:
            passage = retriever.chunk_passage(i)
            return [Statement("；".join(passage.outline), passage, (), score=1.0, lexical=1.0)]
    return []


# The kinds of official document (GB/T 9704's 公文种类 and the rules and plans offices issue): a question
# naming one its document's title does not ("规划的重点任务分工方案的文号") asks of another document.
# Not 通知 or 报告: a document is often asked of by its covering notice or called a report loosely.
_DOCUMENT_KIND = re.compile(r"意见|规划|方案|办法|细则|条例|规定|决定|纲要|公告|通告|批复|通报|决议")


def _of_another(query: Query, doc: DocumentRecord) -> bool:
    """Whether a record question is about another document than ``doc``: it names a kind of document
    or a year (“2024年修正后”) that neither its title nor its record holds."""
    info = getattr(doc, "info", None)
    own = doc.title + (info.notice_title if info is not None else "")
    record = own + "".join(f.value for f in record_fields(doc))
    if any(kind not in own for kind in _DOCUMENT_KIND.findall(query.raw)):
        return True
    return any(f"{year}年" not in record and year not in doc.date for year in query.years)


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
    if query.asks & Asks.RECORD and any(_of_another(query, retriever.document(d)) for d in named):
        return []
    out: list[Statement] = []
    for doc_id in named:
        if query.asks & Asks.RECORD:
            # Who and when, unless the question names other fields (主送, 文号, 抄送).
            wanted = list(query.record_fields) or ["issuer", "issued"]
            body, done = _body_statements(retriever, doc_id, wanted)
            items = next((d.items for d in retriever.index.manifest.documents if d.doc_id == doc_id), 0)
            out += _record_statements(retriever.document(doc_id), [w for w in wanted if w not in done], items) + body
        else:
            statements = _outline_statements(retriever, doc_id)
            if not statements:
                return None
            out += statements
    return out
