"""The values the corpus stage hands on: a document's cleaned paragraphs and its record."""

from __future__ import annotations

from dataclasses import dataclass, field

from .metadata import DocumentRecordInfo

KINDS = {
    "policy": "政策文件",
    "law": "法规规章",
    "report": "工作报告",
    "speech": "讲话",
    "commentary": "解读文章",
    "news": "新闻报道",
}


@dataclass(frozen=True)
class Paragraph:
    """A cleaned paragraph; ``start`` is its offset in ``Document.text``.

    ``lead`` is the paragraph's lead sentence when the source marks it as a
    heading (a bold lead such as "**实体制造挑起大梁。**"), else None.
    """

    text: str
    start: int
    lead: str | None = None
    # True when the lead opened a sub-point inside a longer paragraph.
    sublead: bool = False
    level: int | None = None  # a Markdown heading's level ("## 第一章　总则" is 2)


@dataclass(frozen=True)
class Document:
    """One source document, cleaned, with its manifest metadata."""

    doc_id: str
    title: str
    issuer: str
    date: str
    kind: str
    source: str
    file: str
    paragraphs: tuple[Paragraph, ...]
    # Text kept out of the index: signature block, page header, machine FAQ.
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    # The record the text states (文号, 主送, dates, validity), the manifest's fields laid over it.
    info: DocumentRecordInfo = field(default_factory=DocumentRecordInfo, compare=False, hash=False)
    # For a paged format: (offset in ``text`` where a page begins, page number), in order.
    pages: tuple[tuple[int, int], ...] = field(default=(), compare=False, hash=False)

    def page_at(self, offset: int) -> int | None:
        """The page the text at ``offset`` is on, or None for a format without pages."""
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page

    @property
    def text(self) -> str:
        """The whole cleaned text, paragraphs separated by blank lines."""
        return "\n\n".join(p.text for p in self.paragraphs)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)
