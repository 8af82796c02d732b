"""Rendering: statements in, the answer's text with [n] markers out.

The only place an answer becomes a string. Statements are grouped by
document, one line per document under its label ("政策文件《…》（2022-08-30）："),
each statement followed by the marker of the passage it cites. The chat builds
its HTML from the same groups (rag.chat), never from this text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .compose import Statement
from .ingest import KINDS
from .passage import Passage


@dataclass(frozen=True)
class Group:
    """Consecutive statements of one document, each with its marker number."""

    label: str  # "政策文件《title》（date）："
    items: tuple[tuple[Statement, int], ...]


def citations_of(statements: Sequence[Statement]) -> list[Passage]:
    """The passages cited, in the order their statements are read; [1] is the first."""
    out: list[Passage] = []
    seen: set[str] = set()
    for st in statements:
        key = st.passage.chunk_id or f"{st.passage.doc_id}@{st.passage.start}"
        if key not in seen:
            seen.add(key)
            out.append(st.passage)
    return out


def marker(statement: Statement, citations: Sequence[Passage]) -> int:
    """The number of the citation a statement carries (1-based)."""
    for n, p in enumerate(citations, 1):
        if p is statement.passage or (p.chunk_id and p.chunk_id == statement.passage.chunk_id):
            return n
    raise ValueError("statement cites a passage that is not among the citations")


def label(passage: Passage) -> str:
    """What an answer line says of its document: kind, title, date (and whether it is in force)."""
    facts = [f for f in (passage.doc_date, getattr(passage, "validity", "")) if f]
    said = f"（{'，'.join(facts)}）" if facts else ""  # a document without a date gets no empty brackets
    return f"{KINDS.get(passage.doc_kind, passage.doc_kind)}《{passage.doc_title}》{said}："


def groups(statements: Sequence[Statement], citations: Sequence[Passage]) -> list[Group]:
    """Statements as the answer shows them: one group per run of one document's statements."""
    out: list[tuple[str, list[tuple[Statement, int]]]] = []
    last_doc = None
    for st in statements:
        if st.passage.doc_id != last_doc:
            out.append((label(st.passage), []))
            last_doc = st.passage.doc_id
        out[-1][1].append((st, marker(st, citations)))
    return [Group(lab, tuple(items)) for lab, items in out]


def sentence(statement: Statement) -> tuple[str, str]:
    """(body, end mark) of a statement as the answer prints it: on one line, its own end mark
    kept after the marker ("…达到2.5%以上[1]。")."""
    body = re.sub(r"\s*\n\s*", "", statement.text).rstrip().rstrip(",，、:：")
    end = "。"
    if body and body[-1] in "。！？!?;；":
        end = "。" if body[-1] in ";；" else body[-1]
        body = body[:-1]
    return body, end


def render_text(statements: Sequence[Statement], citations: Sequence[Passage] | None = None) -> str:
    """The answer text: a line per document, each statement followed by its marker."""
    citations = citations_of(statements) if citations is None else citations
    lines = []
    for group in groups(statements, citations):
        parts = []
        for st, n in group.items:
            body, end = sentence(st)
            parts.append(f"{body}[{n}]{end}")
        lines.append(group.label + "".join(parts))
    return "\n".join(lines)
