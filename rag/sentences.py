"""Sentences of a passage: where they end, and the statements and units they are quoted in.

A passage's sentences keep their end marks and closing quotes ("2.5%" is never a sentence end).
Long sentences are taken clause by clause, each clause with the lead-in it depends on
("到2025年,……"); headings are no statements. ``units`` are the statements with very short ones
joined to the next: the pieces that are embedded at build time and quoted in answers. A change
here changes what an index holds: bump ``rag.chunking.CHUNKER_VERSION`` with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .naming import opens_with_preposition

_SENTENCE_END = re.compile(r"(?<=[。！？!?])(?![”’」』)])|(?<=[。！？!?][”’」』)])")
TERMINAL = tuple("。！？!?；;：:，,、")  # marks a line that is a sentence, not a heading, ends with


def split_sentences(text: str) -> list[str]:
    """Sentences, each keeping its end mark and closing quote; "2.5%" is never a sentence end."""
    return [s for s in _SENTENCE_END.split(text) if s]


_CLAUSE_END = re.compile(r"(?<=[;；])")
_COMMA_END = re.compile(r"(?<=[,，])")
_LEAD_IN = re.compile(r"^[^,，:：;；]{2,20}[,，:：]")
LONG_SENTENCE = 120  # characters; longer sentences are taken clause by clause
ELISION = "……"


# An item ending with a semicolon ("(二)未按规定履行…职责的;") is a statement, not a heading.
_NUMBERED_HEADING = re.compile(r"^(?:\(?[一二三四五六七八九十]+[)、]|\d{1,2}\.(?!\d))[^。,，]{0,30}(?<![;；])。?$")


def _is_heading(sentence: str, headings: tuple[str, ...]) -> bool:
    """A heading line or sentence: it says nothing the section path does not."""
    bare = sentence.rstrip("。")
    return (
        bare in headings
        or bool(_NUMBERED_HEADING.match(sentence))  # "(四)加快山区26县生态工业发展。", "2.发展目标。"
        or (len(sentence) <= 40 and not sentence.endswith(TERMINAL))  # an unnumbered heading line
    )


@dataclass(frozen=True)
class Statement:
    """One quotable statement: ``body`` is a run of the source sentence; ``lead`` is the
    sentence's lead-in ("到2025年,") repeated before a later clause ('' when none).

    ``opens`` marks the first statement of its sentence. Joining ``lead + body`` of
    opening statements and ``body`` of the others gives back every non-heading
    sentence exactly (whitespace-only clauses aside): nothing is lost or repeated
    except the lead-in, which is repeated by design.
    """

    lead: str
    body: str
    opens: bool

    @property
    def text(self) -> str:
        return f"{self.lead}{ELISION}{self.body}" if self.lead else self.body


def statements(text: str, long_sentence: int = LONG_SENTENCE, headings: tuple[str, ...] = ()) -> list[str]:
    """The quotable statements of a passage: its sentences, long ones cut into clauses.

    A target paragraph is often one sentence of eight targets joined by
    semicolons; each target is a statement of its own. A clause keeps the
    lead-in it depends on ("到2025年,……规上工业企业研发经费…"), joined by an
    elision mark, so that a statement quoted alone still says when and what.
    Headings (``headings`` are the passage's section titles) are not statements.
    """
    return [s.text for s in statement_parts(text, long_sentence, headings)]


def statement_parts(text: str, long_sentence: int = LONG_SENTENCE, headings: tuple[str, ...] = ()) -> list[Statement]:
    """`statements()` before rendering: each with its lead-in and body apart (see `Statement`)."""
    out: list[Statement] = []
    for paragraph in text.split("\n"):
        sentences = split_sentences(paragraph.strip())
        for n, sentence in enumerate(sentences):
            sentence = sentence.strip()
            # A run-in heading ("加强生态文明建设。坚持…") is the paragraph's own first sentence too: it
            # says what the sentences after it are about.
            run_in = n == 0 and len(sentences) > 1 and not _NUMBERED_HEADING.match(sentence) and sentence.endswith("。")
            if not sentence or (_is_heading(sentence, headings) and not run_in):
                continue
            if len(sentence) <= long_sentence:
                out.append(Statement("", sentence, True))
                continue
            clauses: list[str] = []
            for clause in _CLAUSE_END.split(sentence):
                clauses.extend(_comma_groups(clause) if len(clause) > long_sentence else [clause])
            clauses = [c for c in clauses if c.strip()]
            match = _LEAD_IN.match(clauses[0])
            lead = match.group(0) if match else ""
            # The lead-in alone says nothing: it goes before the next clauses (unless it is all there is).
            skip_first = bool(lead) and clauses[0] == lead and len(clauses) > 1
            for i, clause in enumerate(clauses[1:] if skip_first else clauses, start=1 if skip_first else 0):
                out.append(Statement(lead if i > 0 else "", clause, opens=i == (1 if skip_first else 0)))
    return out


def _comma_groups(clause: str, size: int = 50) -> list[str]:
    """A long clause cut at commas into runs of about ``size`` characters: a phrase between
    two commas is rarely a statement ("并参照张江高科、苏州工业园等平台的做法,"). A phrase with
    a figure ends its run: in a sentence of targets each figure stays a statement of its own."""
    groups: list[str] = []
    last = ""  # the piece the last run ends with
    for piece in _COMMA_END.split(clause):
        # A figure in a prepositional phrase ("以1.5%的国土面积,创造了全国7.2%的工业增加值") leads into
        # the clause after it: it is no statement of its own.
        if groups and len(groups[-1]) < size and (not _FIGURE.search(groups[-1]) or _leads_in(last)):
            groups[-1] += piece
        else:
            groups.append(piece)
        last = piece
    if len(groups) > 1 and len(groups[-1]) < size / 2 and not _FIGURE.search(groups[-2]):
        # No short tail on its own. (Popped first: `groups[-2] += groups.pop()` would index the
        # shortened list, dropping one group and repeating another, or raise IndexError.)
        tail = groups.pop()
        groups[-1] += tail
    return groups


_FIGURE = re.compile(r"\d")


def _leads_in(piece: str) -> bool:
    """Whether a comma group's last phrase (after a colon, if any) is a prepositional phrase with a figure."""
    phrase = re.split(r"[:：]", piece)[-1]
    return bool(_FIGURE.search(phrase)) and opens_with_preposition(phrase)


def units(text: str, headings: tuple[str, ...] = ()) -> list[str]:
    """Statements with very short ones joined to the next: the pieces that are embedded and quoted."""
    merged: list[str] = []
    for statement in statements(text, headings=headings):
        # A clause with its lead-in ("到2025年,……") stands alone, however short: joined, it would repeat the lead-in.
        if merged and len(merged[-1]) < 30 and ELISION not in merged[-1] + statement:
            merged[-1] += statement
        else:
            merged.append(statement)
    return merged
