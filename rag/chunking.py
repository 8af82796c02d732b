"""Chunking stage: cut each document into section-aware passages.

Headings are recognised by their numbering (一、 / (一) / 1.), by bold or short
lead sentences, and as short unnumbered lines (the commentary's and the news
report's headings). Every chunk carries its section path; chunks end at
sentence ends only, and never straddle two sections.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .ingest import Document, Paragraph

CHUNKER_VERSION = "2"

# Heading ranks: a heading closes every open heading of the same or a deeper rank.
_NUMBERED = [
    (re.compile(r"^[一二三四五六七八九十]+、"), 1),
    (re.compile(r"^\([一二三四五六七八九十]+\)"), 2),
    (re.compile(r"^\d{1,2}\.(?!\d)"), 3),
]
_LEAD_RANK, _SUBLEAD_RANK, _PLAIN_RANK = 4, 5, 1
_SENTENCE_END = re.compile(r"(?<=[。！？!?])(?![”’」』)])|(?<=[。！？!?][”’」』)])")
_TERMINAL = tuple("。！？!?；;：:，,、")


@dataclass(frozen=True)
class Chunk:
    """A passage of one document: ``text`` is ``doc.text[start:end]`` exactly."""

    chunk_id: str
    doc_id: str
    section: tuple[str, ...]  # heading path below the document title
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[str]:
    """Sentences, each keeping its end mark and closing quote; "2.5%" is never a sentence end."""
    return [s for s in _SENTENCE_END.split(text) if s]


def _heading(para: Paragraph) -> tuple[int, str, bool] | None:
    """(rank, title, heading_only) when the paragraph opens a section, else None."""
    text = para.text
    if para.lead:
        return (_SUBLEAD_RANK if para.sublead else _LEAD_RANK), para.lead, False
    for pattern, rank in _NUMBERED:
        if pattern.match(text):
            if "。" not in text and len(text) <= 40:
                return rank, text, True
            first = text.split("。", 1)[0]
            return rank, first if len(first) <= 40 else first[:40] + "…", False
    if len(text) <= 30 and not text.endswith(_TERMINAL):
        return _PLAIN_RANK, text, True
    return None


def _pieces(para: Paragraph, target: int, limit: int) -> list[tuple[int, int]]:
    """Offsets (in the document) of a paragraph cut at sentence ends into balanced pieces."""
    if len(para.text) <= limit:
        return [(para.start, para.start + len(para.text))]
    sentences = split_sentences(para.text)
    n = max(2, math.ceil(len(para.text) / target))
    goal = len(para.text) / n
    pieces, begin, pos = [], 0, 0
    for sentence in sentences:
        pos += len(sentence)
        if pos - begin >= goal * 0.8 or pos - begin + 1 > limit:
            pieces.append((para.start + begin, para.start + pos))
            begin = pos
    if begin < len(para.text):
        if pieces and len(para.text) - begin < goal * 0.4 and pieces[-1][1] - pieces[-1][0] + len(para.text) - begin <= limit:
            pieces[-1] = (pieces[-1][0], para.start + len(para.text))  # fold a short tail back
        else:
            pieces.append((para.start + begin, para.start + len(para.text)))
    return pieces


def chunk_document(doc: Document, target: int = 220, limit: int = 420) -> list[Chunk]:
    """Section-aware chunks of one document, in reading order."""
    text = doc.text
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []  # pieces of the current section

    def flush() -> None:
        section = tuple(title for _, title in stack)
        current: tuple[int, int] | None = None
        for begin, end in spans:
            if current and end - current[0] <= target:
                current = (current[0], end)  # merge short neighbours of one section
                continue
            if current:
                chunks.append(_chunk(doc, len(chunks), section, text, current))
            current = (begin, end)
        if current:
            chunks.append(_chunk(doc, len(chunks), section, text, current))
        spans.clear()

    for para in doc.paragraphs:
        head = _heading(para)
        if head:
            flush()
            rank, title, heading_only = head
            while stack and stack[-1][0] >= rank:
                stack.pop()
            stack.append((rank, title))
            if heading_only:
                continue
        spans.extend(_pieces(para, target, limit))
    flush()
    return chunks


def _chunk(doc: Document, n: int, section: tuple[str, ...], text: str, span: tuple[int, int]) -> Chunk:
    start, end = span
    return Chunk(f"{doc.doc_id}#{n}", doc.doc_id, section, text[start:end], start, end)


def chunk_corpus(documents, target: int = 220, limit: int = 420) -> list[Chunk]:
    return [c for doc in documents for c in chunk_document(doc, target, limit)]
