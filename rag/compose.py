"""Composing: a `Query` and its passages in, `Statement`s out.

The `Composer` contract is what a generator (an intranet LLM endpoint) would
meet too: ``compose(query, passages) -> list[Statement]``, each statement
citing one of ``passages``. The default `ExtractiveComposer` quotes the
sentences (or clauses of a long sentence, with the lead-in they depend on) that
answer, exactly as the source has them; it never writes a word of its own.
The statements come back in the order they are to be read.
"""

from __future__ import annotations

import re
from typing import Protocol, Sequence

from .sentences import ELISION, LONG_SENTENCE, split_sentences, statements
from .gather import ANSWER_CHARS, MARKER, gather, label_chars, one_section
from .listing import defines, meaning_asked
from .quote import HAS_NUMBER, Statement, continued, spans_of, term_weights
from .query import YEAR, years_named
from .retrieval import Passage, ScoredUnit
from .understand import Asks, Query

__all__ = ["Composer", "ExtractiveComposer", "HAS_NUMBER", "KIND_ORDER", "Statement", "in_reading_order", "spans_of"]

# Policy documents speak with authority; when several documents say the same thing, they come first.
KIND_ORDER = {"policy": 0, "law": 0, "report": 1, "speech": 1, "news": 2, "commentary": 3}
LIST_SENTENCE = 260  # characters: a longer sentence is not one list but several statements
_ENUM_HEAD = re.compile(r"一是")  # "…打好“四战”:一是…。二是…。": an enumeration in running text
_ENUM_ITEM = re.compile(r"^[二三四五六七八九十]是")


class Composer(Protocol):
    """Turns a query and its passages into statements, each citing one of ``passages``.

    An LLM-backed composer implements the same method; the answerability checks
    and the renderer read its statements exactly as they read the extractive ones.
    """

    def compose(self, query: Query, passages: Sequence[Passage]) -> list[Statement]: ...


class ExtractiveComposer:
    """Quotes the statements that answer the query, a document the query names first, then the newest policy.

    Each unit of the retrieved passages (a sentence, or a clause of a long
    sentence with its lead-in) is scored by how many of the query's rarer terms
    it holds and by its embedding similarity to the query (the retriever gives
    it), weighed by how well its passage was retrieved. The best unit is quoted,
    and the best passage's best unit; others when they score nearly as well in
    a document already quoted, or say the same thing in another document (which
    is then shown with its date).
    """

    def __init__(
        self,
        max_statements: int = 3,
        floor: float = 0.75,
        same_point: float = 0.7,
        other_floor: float = 0.5,
        dense_weight: float = 0.25,
        retrieval_weight: float = 1.0,
        heading_weight: float = 0.5,
        anchor: bool = True,
        lexical_floor: float = 0.5,
        list_bonus: float = 1.05,
        no_figure: float = 0.7,
        other_year: float = 0.6,
        other_year_said: float = 0.4,
        close_enough: float = 0.8,
        list_statements: int = 6,
        list_floor: float = 0.6,
    ) -> None:
        self.max_statements = max_statements
        self.floor = floor  # a unit below floor x the best one's score is not quoted
        self.same_point = same_point  # another document's unit must hold this share of the best unit's terms
        self.other_floor = other_floor  # ... and score at least this share of the best unit's score
        self.dense_weight = dense_weight  # share of embedding similarity (vs shared terms) in a unit's score
        self.retrieval_weight = retrieval_weight  # exponent of (passage score / best passage score)
        self.heading_weight = heading_weight  # a query term in a unit's headings counts this much
        self.anchor = anchor  # the best unit of the best passage is always quoted
        self.lexical_floor = lexical_floor  # shared-term shares are scaled by max(best share, this)
        self.list_bonus = list_bonus  # a list question's whole list over the best single item
        self.no_figure = no_figure  # factor for a unit without a figure when a figure is asked for
        self.other_year = other_year  # factor for a passage that never speaks of the year asked about
        self.other_year_said = other_year_said  # factor for a unit that names other years only
        self.list_statements = list_statements  # at most this many statements for a list question
        self.list_floor = list_floor  # ... each scoring at least this share of the best
        self.close_enough = close_enough  # documents scoring this share of the best are ordered by kind and date

    def candidates(self, query: Query, passages: Sequence[Passage]) -> list[Statement]:
        """Every quotable unit of ``passages``, scored, best first."""
        weights = term_weights(query.terms, passages)
        total = sum(weights.values()) or 1.0
        wants_list = bool(query.asks & Asks.LIST)
        wants_number = bool(query.asks & Asks.FIGURE)
        years = set(query.years)
        raw: list[tuple[str, Passage, float, float | None, float]] = []
        for passage in passages:
            scored = list(passage.units) or [ScoredUnit(u) for u in statements(passage.text, headings=passage.headings)]
            best_sim = max((u.similarity for u in scored if u.similarity is not None), default=None)
            # For a list question the whole list beats any one of its items.
            pieces = [(u, 1.0) for u in scored]
            if wants_list:
                pieces += [(ScoredUnit(x, best_sim), self.list_bonus) for x in list_units(passage)]
            # A unit is read under its headings: "(一)优化“双核一带一廊”空间布局" is what its sentences are about.
            context = " ".join(passage.headings).lower()
            for unit, bonus in pieces:
                low = unit.text.lower()
                held = sum(w for t, w in weights.items() if t in low)
                under = sum(w for t, w in weights.items() if t not in low and t in context)
                raw.append((unit.text, passage, (held + self.heading_weight * under) / total, unit.similarity, bonus))
        if not raw:
            return []
        top_lexical = max(r[2] for r in raw) or 1.0
        top_score = max(p.score for p in passages)
        sims = [r[3] for r in raw if r[3] is not None]
        hi, lo = (max(sims), min(sims)) if sims else (1.0, 0.0)
        out = []
        for text, passage, lexical, sim, bonus in raw:
            # Shared terms count relative to the best unit's, but when no unit shares much
            # (a question in everyday words) their small differences must not decide.
            score = lexical / max(top_lexical, self.lexical_floor)
            if sim is not None:
                w = self.dense_weight
                score = (1 - w) * score + w * ((sim - lo) / (hi - lo) if hi > lo else 1.0)
            # Retrieval still counts: a passage far behind the best one is rarely the answer.
            score *= (max(passage.score, 0.0) / top_score) ** self.retrieval_weight if top_score > 0 else 1.0
            if wants_number and not HAS_NUMBER.search(YEAR.sub("", text)):
                score *= self.no_figure  # "多少" is answered by a figure, not by "到2025年" alone
            score *= bonus
            if years and (said := set(years_named(text))) and not said & years:
                score *= self.other_year_said  # "2023年…" is not answered by "到2025年,…"
            elif years and not said and not _speaks_of(passage, years):
                score *= self.other_year  # ... and is answered by a passage about 2023
            out.append(Statement(text, passage, spans_of(text, passage.text), score, lexical, sim))
        return sorted(out, key=lambda st: -st.score)

    def _parts_best(self, query: Query, ranked: Sequence[Statement], passages: Sequence[Passage]) -> list[Statement]:
        """The best statement for each part of a question of several parts ([] for one part)."""
        parts = question_parts(query.raw)
        if len(parts) < 2:
            return []
        out = []
        for part in parts:
            # Its words the passages hold (not its years: those are checked apart; not a tokenizer's
            # fragment such as "年全" of "2026年全社会", which no passage holds).
            terms = [t for t in query.terms if len(t) >= 2 and t in part.lower() and not YEAR.search(t) and any(t in p.text.lower() for p in passages)]
            if len(terms) >= 2 and (st := _best_for(terms, ranked, passages)) is not None:
                out.append(st)
        return out

    def compose(self, query: Query, passages: Sequence[Passage]) -> list[Statement]:
        if not query.asks & Asks.FIGURE and one_section(passages):
            # A broad question gathers the section's points; a list question the section's parts.
            if query.asks & (Asks.BROAD | Asks.LIST):
                return gather(query, passages)
        ranked = self.candidates(query, passages)
        if not ranked or (ranked[0].lexical <= 0 and ranked[0].similarity is None):
            return []
        asked = meaning_asked(query)
        if definitions := [st for st in ranked if defines(asked, st.text)]:
            # "关口站是什么意思" is answered by its definition ("(三)关口站,是指…"), however the articles
            # that only use the word score: each document's best one, whole.
            best_of = {st.passage.doc_id: st for st in reversed(definitions)}
            return in_reading_order([continued(st) for st in best_of.values()][:3], query.documents, self.close_enough)
        best = ranked[0]
        chosen = [best]
        years = set(query.years)
        if self.anchor and best.passage.chunk_id != passages[0].chunk_id and not _of_other_years(passages[0], years):
            # The best passage is usually right (Hit@1 is high) even when another passage has a
            # sentence that looks better: quote its best unit too — unless it says it is of another year.
            first = next((st for st in ranked if st.passage.chunk_id == passages[0].chunk_id), None)
            if first is not None:
                chosen.append(first)
        docs = {c.passage.doc_id for c in chosen}
        # A list asked for outside any one section ("提供者要承担哪些责任") is spread over several
        # passages: more of its items, within the room of a short answer.
        wants_items = bool(query.asks & Asks.LIST) and not query.asks & Asks.FIGURE
        most, floor = (self.list_statements, self.list_floor) if wants_items else (self.max_statements, self.floor)
        room = _room(chosen)
        for st in ranked[1:]:
            if len(chosen) >= most:
                break
            if wants_items and len(st.text) + MARKER + (0 if st.passage.doc_id in docs else label_chars(st.passage)) > room:
                continue
            body = st.text.split(ELISION)[-1]  # without its lead-in: the same words are the same quote
            if any(body in c.text or c.text.split(ELISION)[-1] in st.text for c in chosen):
                continue
            if st.passage.doc_id in docs:
                if st.score >= floor * best.score:  # another piece of a quoted document, nearly as good
                    chosen.append(st)
                    room -= len(st.text) + MARKER
            elif query.documents and st.passage.doc_id not in query.documents:
                continue  # "条例第三十八条" asks the regulation, not another document's article 38
            elif len(docs) < 3 and st.lexical >= self.same_point * best.lexical and st.score >= self.other_floor * best.score:
                # The same point in another document (the 2020 opinions beside the 2022
                # guideline): shown too, with its date, even when retrieved lower.
                chosen.append(st)
                room -= len(st.text) + MARKER + label_chars(st.passage)
                docs.add(st.passage.doc_id)
        # A question of two parts ("…力争到多少？规上工业企业研发费用和营收之比呢？") is answered part by part.
        for st in self._parts_best(query, ranked, passages):
            if len(chosen) < most + 1 and not any(st.text in c.text or c.text in st.text for c in chosen) and len(st.text) + MARKER <= room:
                chosen.append(st)
                room -= len(st.text) + MARKER + (0 if st.passage.doc_id in docs else label_chars(st.passage))
                docs.add(st.passage.doc_id)
        # What completes a statement in its paragraph (an article's sanction, what a short opening
        # sentence heads) is part of it, within the room of a short answer.
        room = _room(chosen)
        for i, st in enumerate(chosen):
            grown = continued(st)
            if grown is not st and len(grown.text) - len(st.text) <= room:
                room -= len(grown.text) - len(st.text)
                chosen[i] = grown
        # A grown statement may now hold another one: that one is said already.
        chosen = [st for st in chosen if not any(o is not st and o.passage.chunk_id == st.passage.chunk_id and st.text in o.text for o in chosen)]
        return in_reading_order(chosen, query.documents, self.close_enough)


def headed_years(passage: Passage) -> set[str]:
    """The years a passage's headings name ("一、2025年主要工作"), not those of a 《title》."""
    return set(years_named(" ".join(passage.headings)))


def _speaks_of(passage: Passage, years: set[str]) -> bool:
    """Whether a passage speaks of one of ``years``: by its words, else under its headings ("一、2025年
    主要工作" of the report dated 2026), else by the year named last before it in its part of the document
    ("2023年,全省工业增加值…" above the speech's other results) or by its document's date."""
    if any(y in passage.text for y in years):
        return True
    headed = headed_years(passage)
    return bool(headed & years) if headed else any(y in passage.part_years or y in passage.doc_date for y in years)


def _of_other_years(passage: Passage, years: set[str]) -> bool:
    """Whether a passage says it is of years other than ``years`` (by its words, else its headings);
    one that says nothing of its years is not."""
    if not years:
        return False
    said = set(years_named(passage.text)) or headed_years(passage)
    return bool(said) and not said & years


def with_section(query: Query, chosen: Sequence[Statement], passages: Sequence[Passage], least: int = 80) -> list[Statement]:
    """A section's points and, in the room they leave, the points of a second section the question
    is about (``passages``, in reading order): the same heading in another document (the 2022
    guideline's 融资畅通 beside the 2020 opinions'), or the other half of "缺地缺能耗"."""
    out = list(chosen)
    if not passages:
        return out
    new_doc = all(c.passage.doc_id != passages[0].doc_id for c in out)
    room = _room(out) - (label_chars(passages[0]) if new_doc else 0)
    if room < least:
        return out
    quoted = [c.text.split(ELISION)[-1] for c in out]
    return out + [st for st in gather(query, passages, budget=room) if not any(st.text.split(ELISION)[-1] in q or q in st.text for q in quoted)]


def _room(chosen: Sequence[Statement]) -> int:
    """What a short answer has left beside ``chosen``: their quotes, markers and documents' names."""
    return ANSWER_CHARS - sum(len(c.text) + MARKER for c in chosen) - sum(label_chars(p) for p in {c.passage.doc_id: c.passage for c in chosen}.values())


PART_SHARE = 0.6  # the share of a question part's terms its best statement must hold to be added


# Things a question lists to ask the same of each ("领航企业、单项冠军、科技企业这些的培育目标分别是多少").
_LISTED = re.compile(r"[\u4e00-\u9fffA-Za-z0-9“”]{2,10}(?:、[\u4e00-\u9fffA-Za-z0-9“”]{2,10})+")


def question_parts(text: str) -> list[str]:
    """The parts of a question asking two things: "…多少？…呢？", "…；…"; or the same of each thing
    it lists ("领航企业、单项冠军、科技企业…分别是多少": each of the three)."""
    parts = [p for p in re.split(r"[？?；;]", text) if len(p.strip()) >= 4]
    if len(parts) < 2 and (listed := _LISTED.search(text)):
        return [item for item in listed.group(0).split("、") if len(item) >= 2]
    return parts


def _best_for(terms: Sequence[str], ranked: Sequence[Statement], passages: Sequence[Passage]) -> Statement | None:
    weights = term_weights(terms, passages)
    total = sum(weights.values())
    if not total:
        return None
    share = {id(st): sum(w for t, w in weights.items() if t in st.text.lower()) / total for st in ranked}
    best = max(ranked, key=lambda st: (share[id(st)], st.score), default=None)
    return best if best is not None and share[id(best)] >= PART_SHARE else None


def in_reading_order(chosen: Sequence[Statement], preferred: Sequence[str] = (), close_enough: float = 0.8) -> list[Statement]:
    """Statements grouped by document — a document the query names first, then those answering
    about as well as the best (policy documents first, newest first) — each document's in the
    order it says them."""
    best = max((st.score for st in chosen), default=0.0)
    by_doc: dict[str, list[Statement]] = {}
    for st in chosen:
        by_doc.setdefault(st.passage.doc_id, []).append(st)
    groups = sorted(
        by_doc.values(),
        key=lambda g: (
            g[0].passage.doc_id not in preferred,
            max(st.score for st in g) < close_enough * best,
            bool(g[0].passage.validity),  # a document in force before one repealed or not yet in force
            KIND_ORDER.get(g[0].passage.doc_kind, 9),
            newest_first(g[0].passage.doc_date),
        ),
    )
    return [st for g in groups for st in sorted(g, key=lambda st: (st.passage.start, st.spans[-1][0] if st.spans else 0))]


def newest_first(date: str) -> tuple:
    """Sort key that puts later dates first ("2022-08-30" before "2020-03")."""
    digits = [int(x) for x in re.findall(r"\d+", date)] or [0]
    return tuple(-d for d in digits)


def _enumeration(sentences: list[str]) -> str | None:
    """"…打好“四战”:一是…。二是…。三是…。": the opening sentence and each item's lead, elided between."""
    for i, sentence in enumerate(sentences):
        if _ENUM_HEAD.search(sentence):
            items = [s for s in sentences[i + 1 :] if _ENUM_ITEM.match(s.strip())]
            return ELISION.join([sentence.strip(), *(s.strip() for s in items)]) if items else None
    return None


def list_units(passage: Passage) -> list[str]:
    """Extra pieces for a list question: the parts a passage announces, its enumeration (一是…二是…),
    and each long sentence whole when it is a list ("重点培育高端软件、集成电路、…等15个千亿级特色产业集群")."""
    text = passage.text
    out = []
    if passage.outline:
        out.append("".join(statements(text, headings=passage.headings)) + "；".join(passage.outline))
    if enumeration := _enumeration(split_sentences(text)):
        out.append(enumeration)
    out += [
        s
        for s in statements(text, long_sentence=LIST_SENTENCE, headings=passage.headings)
        if s.count("、") >= 3 and LONG_SENTENCE < len(s) <= LIST_SENTENCE
    ]
    return out


