"""Naming: the documents a question names, and the places and organisations it names.

A document is named by its kind, a year with a document word, a phrase of its
title or its issuer; a place or organisation by jieba's dictionary tags. Used by
question understanding (rag.understand) only.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from typing import Any, Callable, Sequence

from .query import DOCUMENT_YEAR, jieba_for

# ---------------------------------------------------------------- documents named


# Words that name a kind of document ("讲话里…", "the 2020 opinions"), by the kinds of rag.ingest.KINDS.
KIND_WORDS = {
    "policy": ("政策文件", "意见", "规划", "方案", "通知", "policy", "opinions", "guideline", "plan"),
    "law": ("条例", "规定", "办法", "法规", "regulation", "rules", "law"),
    "report": ("工作报告", "政府工作报告", "work report"),
    "speech": ("讲话", "speech"),
    "news": ("报道", "新闻", "日报", "news"),
    "commentary": ("解读", "评论", "署名文章", "文章", "commentary"),
}


def kind_words(text: str) -> list[str]:
    """The Chinese words of the kinds of document an English question names ("regulation": 条例, 规定 …)."""
    low = text.lower()
    out: list[str] = []
    for words in KIND_WORDS.values():
        if any(re.search(rf"\b{w}", low) for w in words if w.isascii()):
            out += [w for w in words if not w.isascii()]
    return out


def _title_grams(title: str) -> set[str]:
    return {title[i : i + 4] for i in range(len(title) - 3)}


_PER_CATALOG: dict[tuple[str, int], tuple[Sequence[Any], Any]] = {}


def _per_catalog(name: str, documents: Sequence[Any], make: Callable[[Sequence[Any]], Any]) -> Any:
    """``make(documents)``, computed once per catalog (a tuple: an index's documents do not change),
    not per question: comparing every title with every other made a question over 2,000
    documents cost ~1 s. A list (a subset picked for one question) is computed each time."""
    hit = _PER_CATALOG.get((name, id(documents)))
    if hit is not None and hit[0] is documents:
        return hit[1]
    value = make(documents)
    if isinstance(documents, tuple):
        if len(_PER_CATALOG) >= 32:
            _PER_CATALOG.clear()
        _PER_CATALOG[(name, id(documents))] = (documents, value)
    return value


def _own_phrases(documents: Sequence[Any]) -> tuple[dict[str, int], list[str]]:
    """Title phrases found in one title only -> that document's position, and each document's issuer name."""

    def make(documents: Sequence[Any]) -> tuple[dict[str, int], list[str]]:
        grams = [_title_grams(d.title) for d in documents]
        count = Counter(g for own in grams for g in own)
        owner = {g: i for i, own in enumerate(grams) for g in own if count[g] == 1}
        return owner, [re.split(r"[（(,，、]", d.issuer)[0] for d in documents]

    return _per_catalog("phrases", documents, make)


# A document called by its count of numbered parts ("制造业30条", "30条意见"), not an article (第30条).
_COUNT_OF_PARTS = re.compile(r"(?<![第\d])(\d{1,3})\s*条(?!例)")


def named_documents(text: str, documents: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(ids of the documents the question names, the words that named them).

    A document is named by its kind ("讲话里…"), a year with a document word
    ("2020年的意见"), a four-character phrase found in its title only ("指导意见"),
    its issuer's name ("兰建平的文章") or its count of numbered parts ("30条").
    Naming all of them names none.
    """
    low = text.lower()
    kinds = {k for k, words in KIND_WORDS.items() if any(w in low for w in words) and any(d.kind == k for d in documents)}
    words = [w for k in kinds for w in KIND_WORDS[k] if w in low]
    years = set(DOCUMENT_YEAR.findall(text))
    picked = [d for d in documents if (not kinds or d.kind in kinds) and (not years or d.date[:4] in years)]
    owner, issuers = _own_phrases(documents)
    found: dict[int, list[str]] = {}
    for g in dict.fromkeys(text[i : i + 4] for i in range(len(text) - 3)):  # the question's phrases, looked up
        if g in owner:
            found.setdefault(owner[g], []).append(g)
    by_title = []
    counted = {int(n) for n in _COUNT_OF_PARTS.findall(text)}
    for i, d in enumerate(documents):
        grams, issuer = found.get(i, []), issuers[i]
        parts = getattr(d, "items", 0) in counted  # "30条": the document of thirty numbered parts
        if grams or (len(issuer) >= 3 and issuer in text) or parts:
            by_title.append(d)
            words += grams + ([issuer] if len(issuer) >= 3 and issuer in text else []) + ([f"{d.items}条"] if parts else [])
    if by_title:
        picked = [d for d in by_title if d in picked] or by_title
    elif words:
        # "条例第三十八条…" among a 条例 and a 管理规定 of the same kind: the document word the question
        # uses first, where some titles have it and others do not, names those.
        for w in sorted(words, key=low.find):
            titled = [d for d in picked if w in d.title.lower()]
            if 0 < len(titled) < len(picked):
                picked = titled
                break
    elif not (kinds or years):
        return (), ()
    if not picked or len(picked) == len(documents):
        return (), tuple(dict.fromkeys(words))  # the words still name documents, not a topic
    return tuple(d.doc_id for d in picked), tuple(dict.fromkeys(words))


def _own_words(documents: Sequence[Any]) -> list[set[str]]:
    """Each title's words (jieba, two characters or more) that no other title has."""

    def make(documents: Sequence[Any]) -> list[set[str]]:
        cut = jieba_for(())
        words = [{w for w in cut.lcut(d.title) if len(w) >= 2} for d in documents]
        count = Counter(w for own in words for w in own)
        return [{w for w in ws if count[w] == 1} for ws in words]

    return _per_catalog("words", documents, make)


def named_by_words(words: Sequence[str], documents: Sequence[Any], least: int = 2) -> tuple[str, ...]:
    """The document ``least`` or more of whose own title words ``words`` hold — an English question's
    Chinese words ("terminal devices … satellites": 终端, 卫星 of 《终端设备直连卫星服务管理规定》);
    () unless exactly one document is so named."""
    given = [w for w in words if len(w) >= 2]
    hits = [
        d.doc_id
        for d, own in zip(documents, _own_words(documents))
        if sum(any(g == w or g in w or w in g for g in given) for w in own) >= least
    ]
    return tuple(hits) if len(hits) == 1 else ()


# ---------------------------------------------------------------- proper names

# jieba's tags for places and organisations. Not its person names: its dictionary tags everyday
# words so ("那阵子"), and a person the documents never name is for the relevance rule to judge.
_NAME_FLAGS = {"ns", "nt"}
PLACE_SUFFIX = re.compile(r"(?:省|市|县|区|州)$")  # "江苏省" is mentioned when "江苏" is


@functools.lru_cache(maxsize=8)
def _pos_tokenizer(words: tuple[str, ...]):
    import jieba.posseg

    return jieba.posseg.POSTokenizer(jieba_for(words))


@functools.lru_cache(maxsize=512)
def tagged(text: str, words: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(word, tag) for the proper names in a text: words jieba's dictionary tags as places or
    organisations (its guesses for unknown words, such as "上省" in "大会上省领导", do not count;
    the library's own terms of art are never names)."""
    pos = _pos_tokenizer(words)
    known = pos.word_tag_tab
    out = []
    for w in pos.cut(text):
        if known.get(w.word) != w.flag or not is_proper_name(w.word):
            continue
        if w.flag in _NAME_FLAGS:
            out.append((w.word, w.flag))
        elif w.flag in ("n", "nz") and _is_region(w.word):
            out.append((w.word, "ns"))  # "京津冀", "珠三角": jieba tags a region a noun; the dictionary names it one
    return tuple(out)


_REGION_GLOSS = re.compile(r"\b(?:Delta|Bay Area|Economic Belt|Province|Region)\b")


def _is_region(word: str) -> bool:
    """Whether CC-CEDICT names a word a region ("Pearl River Delta", "Beijing, Tianjin and Hebei Province")."""
    from .query import cedict

    return any(_REGION_GLOSS.search(g) for g in cedict().get(word, ()))


@functools.lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], frozenset[str]]:
    """CC-CEDICT's headwords split in two: proper names (every gloss starts with a capital:
    "Huzhou prefecture-level city", "China") and common words ("to return to one's home country")."""
    from .query import NOT_A_GLOSS, cedict

    proper, common = set(), set()
    for word, glosses in cedict().items():
        real = [g for g in glosses if g and not NOT_A_GLOSS.match(g)]
        # A word that is also an everyday word ("新建": newly built, and a county of Nanchang) is no sure name.
        (proper if real and all(g[0].isupper() for g in real) else common).add(word)
    return frozenset(proper), frozenset(common)


def warm() -> None:
    """Load the dictionary now (about a second), not at the first question that names a place."""
    _dictionary()
    _english_places()


_PLACE_GLOSS = re.compile(r"\b(?:city|county|province|district|municipality|prefecture|country|capital|region|island|town)\b", re.I)
_CAPITALISED = re.compile(r"[A-Za-z][A-Za-z'’-]*")


@functools.lru_cache(maxsize=1)
def _english_places() -> dict[str, tuple[str, ...]]:
    """English place names -> their Chinese names, by CC-CEDICT ("Lishui prefecture-level city…" -> 丽水)."""
    from .query import NOT_A_GLOSS, cedict

    tags = _pos_tokenizer(()).word_tag_tab
    out: dict[str, list[str]] = {}
    for word, glosses in cedict().items():
        if not 2 <= len(word) <= 4:
            continue  # "中" (China) is in every text; longer entries are not names
        for g in glosses:
            m = re.match(r"([A-Z][a-z]+)(?:$|[ ,(])", g) if g and not NOT_A_GLOSS.match(g) else None
            # a gloss that says it is a place, or only a name ("Germany") of a word jieba tags as a place ("January" is not)
            if m and (_PLACE_GLOSS.search(g) or (g.strip() == m.group(1) and tags.get(word) == "ns")):
                out.setdefault(m.group(1).lower(), []).append(word)
            elif g and re.fullmatch(r"[A-Z]{2,4}", g.strip()) and tags.get(word) == "ns" and is_proper_name(word):
                out.setdefault(g.strip(), []).append(word)  # "US", "EU": kept in capitals ("us" is a pronoun)
    return {k: tuple(v) for k, v in out.items()}


def english_places(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(word, its Chinese names) for the places an English question names: a capitalised word standing
    alone (not the first word, not part of a name of several words such as "Lan Jianping"), or an
    abbreviation in capitals ("US", "EU")."""
    words = _CAPITALISED.findall(text)
    out = []
    for i, w in enumerate(words):
        bare = re.sub(r"['’]s$", "", w)
        if bare.isupper() and (chinese := _english_places().get(bare)):
            out.append((bare, chinese))  # an abbreviation ("the US FCC rules") stands alone wherever it is
            continue
        neighbours = [words[j] for j in (i - 1, i + 1) if 0 <= j < len(words)]
        if i == 0 or not bare[:1].isupper() or any(n[:1].isupper() for n in neighbours):
            continue
        if chinese := _english_places().get(bare.lower()):
            out.append((bare, chinese))
    return tuple(out)


def is_proper_name(word: str) -> bool:
    """Whether a word jieba tags as a place or organisation is a proper name by the dictionary:
    jieba tags everyday words so too ("回国", "海关", "深山老林"). A word the dictionary does not
    hold is a name when it ends like one (…市, …区) or begins with one (宁波栎社)."""
    proper, common = _dictionary()
    if word in proper:
        return True
    if word in common:
        return False
    return bool(PLACE_SUFFIX.search(word)) or any(word[:i] in proper for i in range(2, len(word)))


@functools.lru_cache(maxsize=512)
def nouns(text: str, words: tuple[str, ...]) -> tuple[str, ...]:
    """The nouns of a short question (a library's terms of art count as nouns): what it is about."""
    pos = _pos_tokenizer(words)
    return tuple(
        w.word for w in pos.cut(text)
        if (w.flag[:1] == "n" or w.flag in ("x", "vn", "eng")) and w.word.strip() and len(w.word) >= 2 and w.word not in DOCUMENT_WORDS
        and not re.fullmatch(r"[\W\d_]+", w.word)
    )


# jieba's tags for words that carry no topic: pronouns ("那个"), adverbs, prepositions, conjunctions,
# particles, modal words, interjections.
_FUNCTION_FLAGS = {"r", "d", "p", "c", "u", "y", "e", "o"}


def is_function_word(word: str) -> bool:
    """Whether jieba's dictionary tags a word as grammar rather than topic ("那个", "已经", "到底")."""
    return word_tag(word)[:1] in _FUNCTION_FLAGS


def word_tag(word: str) -> str:
    """jieba's dictionary tag of a word ("" when its dictionary does not hold it)."""
    return _pos_tokenizer(()).word_tag_tab.get(word, "")


def words_of(text: str) -> list[tuple[str, str]]:
    """(word, tag) for every word jieba cuts a text into."""
    return [(w.word, w.flag) for w in _pos_tokenizer(()).cut(text)]


def opens_with_preposition(text: str) -> bool:
    """Whether a phrase opens with a preposition ("以1.5%的国土面积", "对符合条件的企业"): it says how,
    where or for whom, and is no statement without the clause it leads into."""
    first = next(iter(words_of(text.strip())), None)
    return first is not None and first[1] == "p"


def word_before(text: str, end: int) -> str:
    """The word jieba cuts just before position ``end`` of ``text`` ("" when none ends there)."""
    pos = 0
    for w in _pos_tokenizer(()).cut(text):
        pos += len(w.word)
        if pos == end:
            return w.word
        if pos > end:
            return ""
    return ""


def an_example(name: str, text: str) -> bool:
    """Whether a question gives a name as an example of a kind ("在上海、深圳这些大城市设研发点",
    "像杭州这样的城市"): it asks about the kind, which the documents may speak of, not of the place."""
    n = re.escape(name)
    return bool(
        re.search(rf"{n}(?:[、,，和与及][\u4e00-\u9fff]{{1,6}}?)*(?:这些|这样|这类|那些|那样|之类)", text)
        or re.search(rf"(?:像|比如|例如|诸如)[\u4e00-\u9fff、,，]{{0,8}}{n}", text)
    )


def names(tagged: Sequence[tuple[str, str]]) -> list[str]:
    return [w for w, _ in tagged if len(w) >= 2]


def places(tagged: Sequence[tuple[str, str]]) -> list[str]:
    return [PLACE_SUFFIX.sub("", w) if len(w) > 2 else w for w, flag in tagged if flag == "ns"]


# Words that name documents in general, and the kind words: never a question's topic.
DOCUMENT_WORDS = frozenset({"文件", "文章", "政策", "全文", "原文", *(w for ws in KIND_WORDS.values() for w in ws)})
