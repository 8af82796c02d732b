"""A document's record, read from its own text: 文头 and 版记 (GB/T 9704), dates and validity.

Chinese official documents say who issued them and when in fixed places: the
title and 发文字号 above the 主送 line, the signatories and the 成文日期 under the
body, 抄送 and the 印发 line at the very end; a law says when it was adopted and
"自…起施行"; a speech or work report opens with its venue ("…在…会议上"). This
module reads those places. It works on cleaned lines (NFKC, no Markdown) and
only reads; `rag.ingest` decides which lines leave the text.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

_DATE = r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?"
DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[(]\d{4}[〕\])]\d{1,4}号")
_UNPUNCTUATED = re.compile(r"[。,，;；!！?？:：、]")
_HEADING = re.compile(r"^(?:第[一二三四五六七八九十百零〇两\d]+[编章节条]|[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d{1,2}\.(?!\d))")
_ADOPTED = re.compile(rf"^\(?{_DATE}(.{{2,80}}?)(?:通过|批准|公布|修正|修订)\)?$")
_DELIVERED = re.compile(rf"^\(?{_DATE}在(.{{2,80}}?)上\)?$")
_LEGISLATURE = re.compile(r"^(.*?)(?:第[一二三四五六七八九十]+届)?(人民代表大会(?:常务委员会)?)第")
EFFECTIVE = re.compile(rf"自{_DATE}起(?:施行|实施|执行|生效)")
_EFFECTIVE_ON_ISSUE = re.compile(r"自(?:公布|印发|发布)之日起(?:施行|实施|执行|生效)")
REPEALS = re.compile(r"(《[^》]{2,60}》(?:[、和](?:《[^》]{2,60}》))*)同时(?:废止|失效)")
_PRINTED = re.compile(rf"{_DATE}印发$")
_PUBLISHED = re.compile(r"^(?:发布日期|发布时间|时间|日期)[:：](.+)$")
NOTE_LINE = re.compile(r"^\(此件[^()]{2,12}\)$")  # "(此件公开发布)" under a signature


@dataclass(frozen=True)
class DocumentRecordInfo:
    """What a document says about itself, read from its text; a manifest entry overrides any field.

    Dates are ISO strings: "2021-12-12", or "2024-01" when the day is not given; "" when unknown.
    This is the value the answer stage reads for record questions (主送, 抄送, 印发日期 …).
    """

    title: str = ""
    issuer: str = ""  # 发文机关 / 制定机关; several are joined with "、"
    doc_number: str = ""  # 发文字号, e.g. "国发〔2021〕29号"
    addressees: str = ""  # 主送机关, as written, without the closing colon
    cc: str = ""  # 抄送机关
    signed: str = ""  # 成文日期: the date under the signature
    issued: str = ""  # 印发日期: "…办公厅2022年8月31日印发"
    published: str = ""  # 发布日期 given by the page the text was saved from
    adopted: str = ""  # 通过日期 of a law or regulation
    delivered: str = ""  # the day a report or speech was given
    venue: str = ""  # where: "浙江省第十四届人民代表大会第四次会议"
    speaker: str = ""  # who gave a report or speech: the byline under its venue ("浙江省省长刘捷")
    effective: str = ""  # 施行日期: "自2021年3月1日起施行"
    repealed: str = ""  # 废止/失效日期 (set in the manifest)
    superseded_by: str = ""  # the document that replaces this one (set in the manifest)
    repeals: tuple[str, ...] = ()  # what it repeals: "《浙江省信息化促进条例》同时废止"
    notice_title: str = ""  # the covering 通知 it was issued with
    salutation: str = ""  # 称谓 of a report or speech: "各位代表"
    read: tuple[str, ...] = ()  # the fields read from the text (the others came from the manifest or are empty)

    @property
    def date(self) -> str:
        """The document's date: signed, else adopted, delivered, issued, published."""
        return self.signed or self.adopted or self.delivered or self.issued or self.published

    def validity(self, on: str) -> str:
        """"in_force", "not_yet" (施行 after ``on``), "repealed" (废止 or superseded) or "unknown"; ``on`` ISO."""
        if self.superseded_by or (self.repealed and self.repealed <= on):
            return "repealed"
        if self.effective:
            return "not_yet" if self.effective > on else "in_force"
        return "unknown"

    @classmethod
    def from_dict(cls, data: dict) -> DocumentRecordInfo:
        """Rebuild from ``dataclasses.asdict`` (documents.json); unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in names}
        return cls(**values)


OVERRIDABLE = tuple(f.name for f in dataclasses.fields(DocumentRecordInfo) if f.name != "read")


def iso_date(text: str) -> str:
    """"2021年12月12日" -> "2021-12-12", "2024年1月" -> "2024-01", "2026-01-22 10:00" -> "2026-01-22"."""
    m = re.search(_DATE, text)
    if m:
        year, month, day = m.groups()
        return f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day else "")
    m = re.search(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    return m.group(0) if m else ""


def is_record_line(line: str) -> bool:
    """A short line with no sentence punctuation that is not a heading: a title line, 发文字号,
    a signatory, a venue or adoption line."""
    return 0 < len(line) <= 60 and not _UNPUNCTUATED.search(line) and not _HEADING.match(line)


def front_length(lines: list[str]) -> int:
    """How many leading lines are front matter (title, 发文字号, venue, speaker): record lines
    followed by a 主送 or salutation line, or by a heading; 0 when the text opens with its body."""
    n = 0
    while n < len(lines) and n < 8 and is_record_line(lines[n]):
        n += 1
    if n == len(lines):
        return 0
    nxt = lines[n]
    return n if (_addressee_line(nxt) is not None or _HEADING.match(nxt)) else 0


def _addressee_line(line: str) -> str | None:
    """The 主送 or 称谓 of a line "各省、自治区…:" / "各位代表:", else None."""
    if re.fullmatch(r"[^。!！?？]{2,300}[:：]", line):
        return line[:-1]
    return None


def notice_signature(lines: list[str], start: int, within: int = 25) -> tuple[int, int] | None:
    """(first, end) of a covering notice's signature block (signatories, date, "(此件公开发布)")
    in the opening lines, before any heading: the 通知 that issues a document ahead of it."""
    for i in range(start, min(len(lines), start + within)):
        if _HEADING.match(lines[i]):
            return None
        if DATE_LINE.match(lines[i]):
            first = signature_start(lines, i, floor=start)
            if first == i:
                return None  # a date alone is not a signature
            end = i + 1
            if end < len(lines) and NOTE_LINE.match(lines[end]):
                end += 1
            return first, end
    return None


def signature_start(lines: list[str], i: int, floor: int = 0, most: int = 12) -> int:
    """The first signatory line above line ``i``: short unpunctuated lines that are not headings."""
    first = i
    while first - 1 >= max(floor, i - most) and is_record_line(lines[first - 1]) and not DATE_LINE.match(lines[first - 1]):
        first -= 1
    return first


def read_record(
    front: list[str],
    notice: list[str],
    signature: list[str],
    header: list[str],
    body: str,
    markdown_title: str = "",
    document_title: str = "",
) -> DocumentRecordInfo:
    """The record read from a document's parts: its front matter, a covering notice's signature
    block, its closing signature and 版记, its page header/record lines, and its body text."""
    found: dict[str, object] = {}
    numbers = [line for line in front if DOC_NUMBER.fullmatch(line)]
    if numbers:
        found["doc_number"] = numbers[0]
        before = front[: front.index(numbers[0])]
        title = "".join(line for line in before if not (_ADOPTED.match(line) or _DELIVERED.match(line)))
        if title and document_title:
            found["notice_title"] = title
    for line in front:
        if m := _ADOPTED.match(line):
            found["adopted"] = iso_date(line)
            found["venue"] = m.group(4).strip()
            if legislature := _LEGISLATURE.match(m.group(4)):
                found["issuer"] = legislature.group(1) + legislature.group(2)
        elif m := _DELIVERED.match(line):
            found["delivered"] = iso_date(line)
            found["venue"] = m.group(4)
            # A report's or speech's byline follows its venue: one short unpunctuated line, never a date.
            after = front[front.index(line) + 1 :]
            if after and len(after[0]) <= 30 and not _UNPUNCTUATED.search(after[0]) and not re.search(r"\d", after[0]):
                found["speaker"] = after[0]
    title = document_title or markdown_title
    if not title and front and not (_ADOPTED.match(front[0]) or _DELIVERED.match(front[0])) and front[0] not in numbers:
        title = front[0]
    if title:
        found["title"] = title
    for block in (notice, signature):
        names = [line for line in block if is_record_line(line) and not DATE_LINE.match(line)]
        dates = [line for line in block if DATE_LINE.match(line)]
        if names and dates and "issuer" not in found:
            found["issuer"] = "、".join(names)
        if dates and "signed" not in found:
            found["signed"] = iso_date(dates[0])
    for line in signature:
        if line.startswith("抄送"):
            found["cc"] = re.sub(r"^抄送[:：]?", "", line).rstrip("。")
        elif _PRINTED.search(line):
            found["issued"] = iso_date(_PRINTED.search(line).group(0))
    for line in header:
        if m := _PUBLISHED.match(line):
            if date := iso_date(m.group(1)):
                found.setdefault("published", date)
    if m := EFFECTIVE.search(body):
        found["effective"] = iso_date(m.group(0))
    elif _EFFECTIVE_ON_ISSUE.search(body) and (found.get("signed") or found.get("published")):
        found["effective"] = found.get("signed") or found.get("published")
    repealed = [m.group(1) for m in REPEALS.finditer(body)]
    if repealed:
        found["repeals"] = tuple(t for group in repealed for t in re.findall(r"《[^》]+》", group))
    return DocumentRecordInfo(**found, read=tuple(sorted(found)))


def addressee(lines: list[str]) -> tuple[str, str]:
    """(主送, 称谓) of the line after the front matter: a list of bodies ("各省、自治区…") is the
    主送, a short form of address ("各位代表") the 称谓."""
    if not lines:
        return "", ""
    value = _addressee_line(lines[0])
    if value is None:
        return "", ""
    if re.search(r"[、,，]", value) or len(value) > 12:
        return value, ""
    return "", value


def merged(read: DocumentRecordInfo, entry: dict) -> DocumentRecordInfo:
    """The record read from the text with the manifest entry's fields laid over it."""
    overrides: dict[str, object] = {}
    for name in OVERRIDABLE:
        if name in entry and entry[name] not in (None, ""):
            value = entry[name]
            overrides[name] = tuple(value) if isinstance(value, list) else str(value)
    return dataclasses.replace(read, **overrides)
