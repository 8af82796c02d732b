"""Chunking stage: cut each document into section-aware passages.

Headings are recognised by their numbering (一、 / (一) / 1.), by bold or short
lead sentences, and as short unnumbered lines (the commentary's and the news
report's headings). Every chunk carries its section path; chunks end at
sentence ends, and never straddle two sections. A sentence longer than a passage
(a text with no full stops) is cut at its last clause mark, comma or space before
the limit, so no passage exceeds ``limit`` characters whatever the punctuation.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from .ingest import Document, Paragraph
from .sentences import TERMINAL, split_sentences
from .structure import ARTICLE_RANK, law_heading, markdown_heading, numbering, opens_address

CHUNKER_VERSION = "15"  # 15: a prepositional phrase with a figure leads into the clause after it; 10: law/report structure; 11: long clauses no longer lose or repeat a comma group; hard cuts; 12: an outline keeps to one kind of number; 13: dashed items are a list, only an opening passage has its subsections; 14: a unit embeds its run-in heading once

# Heading ranks: a heading closes every open heading of the same or a deeper rank.
_LEAD_RANK, _SUBLEAD_RANK, _PLAIN_RANK = 4, 5, 1


@dataclass(frozen=True)
class Chunk:
    """A passage of one document: ``text`` is ``doc.text[start:end]`` exactly."""

    chunk_id: str
    doc_id: str
    section: tuple[str, ...]  # heading path below the document title
    text: str
    start: int
    end: int
    # For the last passage before a section's subsections (say "要重点抓好六方面工作:"),
    # the headings of those subsections, in order: the list it introduces.
    outline: tuple[str, ...] = ()
    # The pages the passage is on, for a paged format (PDF, OFD); None otherwise.
    page: int | None = None
    last_page: int | None = None


def _heading(para: Paragraph, in_article: bool = False) -> tuple[int, str, bool] | None:
    """(rank, title, heading_only) when the paragraph opens a section, else None.

    Inside an article of a law (``in_article``) only another article or part opens a section:
    the article's (一)(二)… are its items."""
    text = para.text
    law = law_heading(text)
    if law or in_article:
        return law
    if para.lead:
        return (_SUBLEAD_RANK if para.sublead else _LEAD_RANK), para.lead, False
    if (rank := numbering(text)) is not None:
        if "。" not in text and len(text) <= 40:
            return rank, text, True
        first = text.split("。", 1)[0]
        if text == first + "。" and len(first) <= 40:
            return rank, first, True  # "(一)发展现状。" on a line of its own: a heading line
        return rank, first if len(first) <= 40 else first[:40] + "…", False
    if md := markdown_heading(text, para.level):
        return md
    if len(text) <= 30 and not text.endswith(TERMINAL):
        return _PLAIN_RANK, text, True
    return None


# Where a sentence longer than a passage may be cut, best first: after a clause mark, a comma, a space.
_SOFT_CUTS = (re.compile(r"[;；]"), re.compile(r"[,，、:：]"), re.compile(r"\s"))
_WORD_TAIL = re.compile(r"[A-Za-z0-9.%]+$")  # a number or Latin word a hard cut should not split
_WORD_CHAR = re.compile(r"[A-Za-z0-9.%]")


def hard_cuts(sentence: str, limit: int) -> list[str]:
    """``sentence`` in runs of at most ``limit`` characters (one run when it fits).

    Each run ends after the last clause mark, comma or space in the second half of
    its window; failing those, at the limit, moved back to the start of a number
    or Latin word it would split ("2.5%"). The runs join back to ``sentence``.
    """
    limit = max(1, limit)
    out: list[str] = []
    begin = 0  # offsets, not slices of the rest: a 5 MB line must not be copied once per run
    while len(sentence) - begin > limit:
        window, cut = sentence[begin : begin + limit], 0
        for marks in _SOFT_CUTS:
            ends = [m.end() for m in marks.finditer(window, limit // 2)]
            if ends:
                cut = ends[-1]
                break
        if not cut:
            cut = limit
            word = _WORD_TAIL.search(window)
            if word and word.start() >= max(1, limit // 2) and _WORD_CHAR.match(sentence, begin + limit):
                cut = word.start()
        out.append(window[:cut])
        begin += cut
    return out + [sentence[begin:]] if begin < len(sentence) else out


def _pieces(para: Paragraph, target: int, limit: int) -> list[tuple[int, int]]:
    """Offsets (in the document) of a paragraph cut at sentence ends into balanced pieces of
    at most ``limit`` characters (a sentence longer than that is cut by `hard_cuts`)."""
    if len(para.text) <= limit:
        return [(para.start, para.start + len(para.text))]
    atoms = [run for sentence in split_sentences(para.text) for run in hard_cuts(sentence, limit)]
    n = max(2, math.ceil(len(para.text) / target))
    goal = len(para.text) / n
    pieces, begin, pos = [], 0, 0
    for atom in atoms:
        if pos > begin and pos + len(atom) - begin > limit:
            pieces.append((para.start + begin, para.start + pos))  # the next sentence would not fit
            begin = pos
        pos += len(atom)
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
    """Section-aware chunks of one document, in reading order; they cover its whole text.

    No chunk is longer than ``limit`` (for ``limit >= target``), the headings it opens with included.
    """
    text = doc.text
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []  # pieces of the current section

    def section() -> tuple[str, ...]:
        return tuple(title for _, title in stack)

    def flush() -> None:
        current: tuple[int, int] | None = None
        for begin, end in spans:
            if current and end - current[0] <= target:
                current = (current[0], end)  # merge short neighbours of one section
                continue
            if current:
                chunks.append(_chunk(doc, len(chunks), section(), text, current))
            current = (begin, end)
        if current:
            chunks.append(_chunk(doc, len(chunks), section(), text, current))
        spans.clear()

    headings: tuple[int, int] | None = None  # headings with no text of their own yet (offsets)
    salutation = doc.info.salutation
    for para in doc.paragraphs:
        head = _heading(para, in_article=bool(stack) and stack[-1][0] == ARTICLE_RANK)
        end = para.start + len(para.text)
        if not head and stack and opens_address(para.text, salutation):
            # "各位代表!…" speaks at the level of the part again: close its subsections.
            flush()
            while stack and stack[-1][0] >= 2:
                stack.pop()
        if head:
            flush()
            rank, title, heading_only = head
            heading_only = heading_only and len(para.text) <= limit  # else it is cut like any text
            if heading_only and headings and end - headings[0] > limit:
                # A run of headings longer than a passage: what came so far is a passage of its own.
                chunks.append(_chunk(doc, len(chunks), section(), text, headings))
                headings = None
            while stack and stack[-1][0] >= rank:
                stack.pop()
            stack.append((rank, title))
            if heading_only:
                headings = (para.start if headings is None else headings[0], end)
                continue
        pieces = _pieces(para, target, limit)
        if headings is not None:
            if pieces[0][1] - headings[0] <= limit:
                pieces[0] = (headings[0], pieces[0][1])  # the passage shown starts with its headings, as the document does
            else:
                spans.append(headings)
            headings = None
        spans.extend(pieces)
    flush()
    if headings is not None:  # the document ends with headings: they are text too
        chunks.append(_chunk(doc, len(chunks), section(), text, headings))
    return _with_outlines(chunks)


def announces(text: str) -> bool:
    """Whether a passage ends by announcing what follows ("要重点抓好六方面工作:")."""
    return text.rstrip().endswith((":", "："))


def _with_outlines(chunks: list[Chunk]) -> list[Chunk]:
    """Give a section's opening passage, or a passage announcing a list ("要重点抓好六方面工作:"), the
    headings of the subsections that follow — or, when what follows is a run of dashed items in the
    same section ("做到“五个更加注重”：——更加注重…。"), their first sentences."""
    out = list(chunks)
    for i, c in enumerate(chunks):
        following = chunks[i + 1].section if i + 1 < len(chunks) else ()
        opening = i == 0 or chunks[i - 1].section != c.section
        deeper = len(following) > len(c.section) and following[: len(c.section)] == c.section
        if not (announces(c.text) or (opening and deeper)):
            continue
        depth, titles = len(c.section), []
        for later in chunks[i + 1 :]:
            if later.section[:depth] != c.section or len(later.section) == depth:
                break  # left the section, or back to its own text
            title = later.section[depth]
            if titles and numbering(title) != numbering(titles[0]):
                break  # "1.…10." announced; "(十)…" after them is the next part of the text
            if title not in titles:
                titles.append(title)
        if not titles and announces(c.text):
            titles = _dashed_items(chunks[i + 1 :], c.section)
        if len(titles) >= 2:
            out[i] = dataclasses.replace(c, outline=tuple(titles))
    return out


_DASHED = re.compile(r"^——([^。]{2,40})。")


def _dashed_items(later: list[Chunk], section: tuple[str, ...]) -> list[str]:
    """The first sentences of the dashed paragraphs that follow in the same section."""
    items: list[str] = []
    for c in later:
        if c.section != section:
            break
        heads = [m.group(1) for line in c.text.split("\n") if (m := _DASHED.match(line.strip()))]
        if not heads:
            break
        items.extend(heads)
    return items


def _chunk(doc: Document, n: int, section: tuple[str, ...], text: str, span: tuple[int, int]) -> Chunk:
    start, end = span
    page, last = (doc.page_at(start), doc.page_at(max(start, end - 1))) if doc.pages else (None, None)
    return Chunk(f"{doc.doc_id}#{n}", doc.doc_id, section, text[start:end], start, end, page=page, last_page=last)


def chunk_corpus(documents, target: int = 220, limit: int = 420) -> list[Chunk]:
    return [c for doc in documents for c in chunk_document(doc, target, limit)]
