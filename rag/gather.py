"""Gathering: a broad question answered from one section — its points, in the document's order.

"条例在治理数字化方面规定了哪些内容" is answered by a chapter of eleven articles,
"主要目标是什么" by the targets of a section on goals and tasks. A short answer
that gathers the points beats a long quote, so the section's parts (its
sub-sections or articles) each give their best statement first — breadth before
depth — and the rest of the room goes to the best statements left: what the
question asks about first, a figure next (targets are what officials quote).
"""

from __future__ import annotations

import re
from typing import Sequence

from .sentences import ELISION, statements
from .passage import Passage
from .quote import HAS_NUMBER, Statement, spans_of, term_weights
from .understand import Query

ANSWER_CHARS = 592  # a broad answer's length, with its documents' names and its markers: under 600
MARKER = 4  # "[3]。" after each statement


def label_chars(passage: Passage) -> int:
    """What the line naming a document costs: "政策文件《…》（2022-08-30）："."""
    return len(passage.doc_title) + len(passage.doc_date) + 8
# A part whose best statement scores under this share of the best part's is not what is asked
# ("主要目标" against the sub-sections on tasks): it gets room only after the parts that are.
PART_FLOOR = 0.5
CARRY = 0.8  # share of the previous statement's relevance a statement keeps when it holds none of its own
FIGURE_BONUS = 0.5  # a statement with a figure over one without, at equal share of the question's terms
# A heading that is only a number ("第三十六条", "(二)") names no point: listing it says nothing.
ORDINAL = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百千零〇\d]+[编章节条款项]|[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．])\s*"
)


def heading_name(heading: str) -> str:
    """What a heading says without the number that orders it: "加快建设创新浙江" of "(一)加快建设创新浙江"."""
    return ORDINAL.sub("", heading, count=1).strip(" 。.")


def says_something(heading: str) -> bool:
    """Whether a heading names its part ("(一)加快建设创新浙江"), not only numbers it ("第三十七条")."""
    return len(heading_name(heading)) >= 2


def common_path(passages: Sequence[Passage]) -> tuple[str, ...]:
    """The section path all passages share."""
    common: list[str] = []
    for level in zip(*(p.headings for p in passages)):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return tuple(common)


def parts(passages: Sequence[Passage]) -> list[str]:
    """The parts of a section: those a passage announces (its outline), else the sub-headings below
    the path all passages share."""
    for p in passages:
        if p.outline:
            return list(p.outline)
    section = common_path(passages)
    return list(dict.fromkeys(p.headings[len(section)] for p in passages if len(p.headings) > len(section)))


def one_section(passages: Sequence[Passage]) -> bool:
    """Passages of one section of one document (what `rag.sections.find_section` hands over)."""
    return len(passages) >= 1 and len({p.doc_id for p in passages}) == 1 and bool(common_path(passages))


BRIEF_PARTS = 4  # parts at least, for their leads to be cut to their first clauses when they do not fit
BRIEF_CHARS = 60  # ... of about this many characters


def _brief(text: str) -> str:
    """A statement's first clauses, cut at a clause mark after BRIEF_CHARS characters at most."""
    if len(text) <= BRIEF_CHARS or ELISION in text:
        return text
    cuts = [m.end() for m in re.finditer(r"[，,；;]", text) if 20 <= m.start() <= BRIEF_CHARS]
    return text[: cuts[-1] - 1] if cuts else text


def gather(query: Query, passages: Sequence[Passage], budget: int | None = None) -> list[Statement]:
    """The points of one section within ``budget`` characters (quotes and markers; by default what
    an answer of ANSWER_CHARS leaves beside the document's name), in the document's order. A section
    too long to quote in full (or one announcing its parts) first lists its named sub-headings."""
    chosen: list[Statement] = []
    passages = sorted(passages, key=lambda p: p.start)  # one document's, as retrieved: in its order
    if budget is None:
        budget = ANSWER_CHARS - label_chars(passages[0]) if passages else ANSWER_CHARS
    depth = len(common_path(passages))
    pieces = [(p, u) for p in passages for u in statements(p.text, headings=p.headings)]
    named = [t for t in parts(passages) if says_something(t)]
    announced = any(p.outline for p in passages)
    heading = passages[0].headings[depth - 1] if depth else ""
    named_first = False  # whether the answer opens with the section's name alone
    if len(named) >= 2 and (announced or sum(len(u) for _, u in pieces) > budget):
        # Under the section's own heading: "五、保障措施：(一)加强统筹协调；(二)加大金融支持…".
        text = f"{heading}：{'；'.join(named)}" if heading else "；".join(named)
        chosen.append(Statement(text, passages[0], (), 1.0, 1.0))
        budget -= len(text) + MARKER
    elif says_something(heading):
        # The section's name first ("第二章 发展与促进"): the answer says which part of the document it
        # gathers, as the citations do — unless a statement quoted says it (a run-in heading), checked
        # once they are chosen.
        chosen.append(Statement(heading, passages[0], (), 1.0, 1.0))
        budget -= len(heading) + MARKER
        named_first = True
    # Every term of the question, its grammar words too: within a section on goals and tasks,
    # "目标" is what tells the targets from the tasks.
    weights = term_weights(query.terms or query.topic, passages)
    total = sum(weights.values()) or 1.0

    shares = [sum(w for t, w in weights.items() if t in u.lower()) / total for _, u in pieces]
    # A statement goes on from the one before it in its passage: "主要目标是：…。到2030年，…达到30万元/人"
    # holds none of the question's words but is what the sentence before it announced.
    for i in range(1, len(pieces)):
        if pieces[i][0] is pieces[i - 1][0]:
            shares[i] = max(shares[i], CARRY * shares[i - 1])
    scores = [share + (FIGURE_BONUS if HAS_NUMBER.search(u) else 0.0) for share, (_, u) in zip(shares, pieces)]
    by_part: dict[str, list[int]] = {}
    for i, (p, _) in enumerate(pieces):
        by_part.setdefault(p.headings[depth] if len(p.headings) > depth else "", []).append(i)
    # Whether a part is about what is asked goes by the question's terms alone: a figure makes a
    # statement worth quoting, not its part relevant.
    best_of = {part: max(shares[i] for i in members) for part, members in by_part.items()}
    top = max(best_of.values(), default=0.0)
    # First the best statement of each part that is about the question, best parts first; then the
    # best statements left, whichever part they are in.
    leads = [max(members, key=lambda i: (scores[i], -i)) for part, members in by_part.items() if best_of[part] >= PART_FLOOR * top]
    leads.sort(key=lambda i: -scores[i])
    # Many parts with long statements (a chapter of articles) do not fit: each part then says its
    # first clauses only ("第三十八条…应当完善并规范使用全省统一的行政处罚办案系统"), so every part is heard.
    if len(leads) >= BRIEF_PARTS and sum(len(pieces[i][1]) + MARKER for i in leads) > budget:
        pieces = [(p, _brief(u)) if i in leads else (p, u) for i, (p, u) in enumerate(pieces)]
    rest = sorted((i for i in range(len(pieces)) if i not in leads), key=lambda i: (-scores[i], i))
    picked: list[int] = []
    for i in [*leads, *rest]:
        u = pieces[i][1]
        body = u.split(ELISION)[-1]
        if len(u) + MARKER > budget or any(body in pieces[j][1] or pieces[j][1].split(ELISION)[-1] in u for j in picked):
            continue
        picked.append(i)
        budget -= len(u) + MARKER
    for i in sorted(picked):
        p, u = pieces[i]
        chosen.append(Statement(u, p, spans_of(u, p.text), 1.0, 1.0))
    if named_first and any(st.text.startswith((heading, heading_name(heading))) for st in chosen[1:]):
        chosen.pop(0)  # the section's name, which a statement quoted opens with: "推动人工智能创新发展。深化…"
    return chosen
