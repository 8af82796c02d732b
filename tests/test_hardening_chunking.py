"""Chunking loses nothing (issue 12, items 1 and 8): statements, units and chunks re-join to their text.

What is preserved, precisely:

* statements: every sentence of the text that is not a heading (`_is_heading`), in order.
  Joining each statement's body, with the lead-in before the first statement of a
  sentence, gives back those sentences; only whitespace-only clauses are dropped. The
  lead-in ("到2025年,") is *repeated* before later clauses by design (`Statement.text`).
* units: statements, some joined; joined, they are the statements joined.
* chunks: ``doc.text[start:end]``, in order, covering the whole document text (what lies
  between two chunks is the blank line between paragraphs), none longer than ``limit``.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.chunking import chunk_document, hard_cuts
from rag.sentences import ELISION, _comma_groups, _is_heading, split_sentences, statement_parts, statements, units
from rag.ingest import clean_document

_WORDS = st.text(alphabet="甲乙丙丁要到年的0123456789ab. ", max_size=90)
_MARKS = st.sampled_from([",", "，", ";", "；", ":", "：", "、", "。", "！", "?", "\n", "", "”", "(一)", "1."])
# Texts of runs and punctuation: long sentences with many commas, headings, numbers, blank lines.
TEXTS = st.lists(st.tuples(_WORDS, _MARKS), max_size=40).map(lambda parts: "".join(a + b for a, b in parts))


def _squeeze(text: str) -> str:
    return re.sub(r"\s", "", text)


def _kept_sentences(text: str, headings: tuple[str, ...] = ()) -> str:
    """The text as statements must give it back: its non-heading sentences."""
    out = []
    for paragraph in text.split("\n"):
        for sentence in split_sentences(paragraph.strip()):
            if sentence.strip() and not _is_heading(sentence.strip(), headings):
                out.append(sentence)
    return "".join(out)


def _rejoined(parts) -> str:
    return "".join((p.lead if p.opens else "") + p.body for p in parts)


def test_a_long_sentence_with_a_short_last_piece_does_not_crash():
    text = "要" * 150 + "，好的。"
    out = statements(text)  # IndexError on main
    assert "".join(out) == text


def test_three_comma_groups_keep_every_clause_once():
    clause = "甲" * 60 + "，" + "乙" * 60 + "，丙丙。"
    groups = _comma_groups(clause)
    assert "".join(groups) == clause  # main dropped the 甲 group and repeated the 乙 one
    assert groups == ["甲" * 60 + "，", "乙" * 60 + "，丙丙。"]


def test_statements_keep_the_lead_in_before_later_clauses():
    text = "到2025年," + "；".join("指标" + str(i) + "达到" + "很" * 30 + "高" for i in range(5)) + "。"
    parts = statement_parts(text)
    assert parts[0].lead == "" and parts[0].body.startswith("到2025年,")
    assert all(p.lead == "到2025年," and not p.opens for p in parts[1:])
    assert all(s.startswith("到2025年," + ELISION) for s in statements(text)[1:])
    assert _rejoined(parts) == text


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=5, max_value=200))
def test_statements_and_units_rejoin_to_the_text(text, long_sentence):
    parts = statement_parts(text, long_sentence=long_sentence)
    assert _squeeze(_rejoined(parts)) == _squeeze(_kept_sentences(text))
    assert [p.text for p in parts] == statements(text, long_sentence=long_sentence)
    assert "".join(units(text)) == "".join(statements(text))


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.sampled_from(["text", "pdf", "web"]), st.integers(10, 300), st.integers(0, 300))
def test_chunks_of_any_document_cover_its_text_and_stay_bounded(raw, profile, target, extra):
    limit = target + extra
    doc = clean_document(raw, {"id": "t", "title": "标题", "kind": "policy", "profile": profile})
    chunks = chunk_document(doc, target, limit)
    text, pos = doc.text, 0
    for c in chunks:
        assert c.text == text[c.start : c.end] and c.text
        assert c.start >= pos and not text[pos : c.start].strip(), "text between chunks was lost"
        assert len(c.text) <= limit, (len(c.text), limit)
        pos = c.end
    assert not text[pos:].strip(), "the end of the document was lost"


@given(st.text(alphabet="甲乙,，;。 ab12.%", max_size=400), st.integers(1, 80))
def test_hard_cuts_rejoin_and_fit(sentence, limit):
    runs = hard_cuts(sentence, limit)
    assert "".join(runs) == sentence and all(0 < len(r) <= limit for r in runs)


def test_hard_cut_prefers_a_comma_and_spares_numbers():
    assert hard_cuts("甲" * 30 + "," + "乙" * 30, 40) == ["甲" * 30 + ",", "乙" * 30]
    runs = hard_cuts("甲" * 37 + "2.5%以上" + "乙" * 10, 40)  # the limit falls inside "2.5%"
    assert runs[0] == "甲" * 37 and runs[1].startswith("2.5%")


def test_a_five_megabyte_line_becomes_bounded_passages():
    raw = ("制造业高质量发展" * 7 + "2.5%" + "、") * 40_000  # ~5 MB as UTF-8, one line, no full stop
    assert len(raw.encode("utf-8")) > 5_000_000
    doc = clean_document(raw, {"id": "big", "title": "大文件", "kind": "news"})
    chunks = chunk_document(doc, 220, 420)
    assert max(len(c.text) for c in chunks) <= 420  # main: one passage of 1.7 million characters
    assert "".join(c.text for c in chunks) == doc.text
