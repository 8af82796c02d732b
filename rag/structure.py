"""Headings of the kinds of Chinese policy text.

- Numbered headings: 一、 above (一) above 1. (`NUMBERED`, `numbering`).
- Laws, regulations and rules: 第X编 / 第X章 / 第X节 are heading lines ("第一章总则" once
  normalised); every 第X条 opens an article, whose (一)(二)… are its items, not headings.
- Markdown headings (``## 背景``): their level gives their rank.

Ranks follow rag.chunking: a heading closes every open heading of the same or a
deeper (larger) rank; parts of a law rank above everything else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable

_NUM = "[一二三四五六七八九十百千零〇两]+"
PART_RANKS = {"编": -3, "章": -2, "节": -1}
ARTICLE_RANK = 0
_PART = re.compile(rf"^(第{_NUM}[编章节])([^。,，;；:：]{{0,30}})$")
# "第五条" opens an article; "第五条规定的…" or "第五条之一" at a paragraph's start does not.
_ARTICLE = re.compile(rf"^第{_NUM}条(?![之的规])")


def law_heading(text: str) -> tuple[int, str, bool] | None:
    """(rank, title, heading_only) of a 编/章/节 line or of an article's opening paragraph."""
    m = _PART.match(text)
    if m:
        number, name = m.groups()
        return PART_RANKS[number[-1]], f"{number} {name}".strip(), True
    m = _ARTICLE.match(text)
    if m:
        return ARTICLE_RANK, m.group(0), False
    return None


# Numbered headings of any policy text, with their ranks: 一、 above (一) above 1.
NUMBERED = [
    (re.compile(r"^[一二三四五六七八九十]+、"), 1),
    (re.compile(r"^\([一二三四五六七八九十]+\)"), 2),
    (re.compile(r"^\d{1,2}\.(?!\d)"), 3),
]


def numbering(text: str) -> int | None:
    """The rank of the heading number a text opens with (一、 1, (一) 2, 1. 3), None for none."""
    return next((rank for pattern, rank in NUMBERED if pattern.match(text)), None)


def numbered(text: str) -> bool:
    """Whether a paragraph opens with a heading's number ("(二)", "3.") or a law's 第X章/第X条."""
    return numbering(text) is not None or law_heading(text) is not None


def markdown_heading(text: str, level: int | None) -> tuple[int, str, bool] | None:
    """(rank, title, True) of a Markdown heading line: ``##`` ranks 1, ``###`` 2 and so on."""
    if level is None or len(text) > 60:
        return None
    return max(1, level - 1), text, True


def opens_address(text: str, salutation: str) -> bool:
    """Whether a paragraph turns to the audience again ("各位代表!…"): in a speech or work
    report it closes the subsection before it and speaks at the level of the part."""
    return bool(salutation) and text.startswith(salutation) and len(text) > len(salutation) + 1


def numbered_parts(chunks: Iterable) -> dict[str, int]:
    """Per document (``doc_id``), how many numbered parts it has: its articles (第X条) when it has
    any, else its most numerous kind of numbered heading (1.…30., or (一)…(十)) — what makes a
    document of thirty numbered measures "the 30条"."""
    heads: dict[str, dict[int | None, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c in chunks:
        for h in c.section:
            if _ARTICLE.match(h):
                heads[c.doc_id][ARTICLE_RANK - 10].add(h)
            elif (rank := numbering(h)) is not None:
                heads[c.doc_id][rank].add(h)
    out = {}
    for doc_id, by_rank in heads.items():
        articles = by_rank.get(ARTICLE_RANK - 10)
        out[doc_id] = len(articles) if articles else max(len(v) for v in by_rank.values())
    return out
