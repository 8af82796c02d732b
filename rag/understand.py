"""Question understanding: one `Query` per question, made once, read by every later stage.

`understand(question, history, catalog)` cleans the text, reads its language,
the documents it names, the years and places it asks about, what kind of answer
it wants, and — for a follow-up that cannot stand alone — what it inherits from
the previous question and why. Retrieval, composing, the answerability checks
and the chat all take the `Query`; none of them re-reads the string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from .asking import CODE, IDENTIFIER, Asks, asks_of, members_of, topic_of, unit_of
from .errors import InputError
from .followup import POINTING, Inherited, history_questions, read_followup
from .naming import DOCUMENT_WORDS, an_example, english_places, kind_words, named_by_words, named_documents, names, nouns, places, tagged
from .query import (
    DOCUMENT_YEAR,
    YEAR,
    Translation,
    Vocabulary,
    clean_question,
    language,
    period_years,
)
from .spelling import respell


@dataclass(frozen=True)
class Catalog:
    """What understanding needs to know of a library: its documents and its vocabulary."""

    documents: tuple = ()  # DocumentInfo of the index manifest
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    text: str = field(default="", repr=False, compare=False)  # all it says, lower-cased: what slips are read as
    numbers: tuple[tuple[str, str], ...] = ()  # (发文字号, doc_id) of the documents whose record has one


@dataclass(frozen=True)
class Query:
    """A question as the assistant understood it."""

    raw: str  # as typed
    text: str  # cleaned; for a follow-up, the question as read in context
    language: str  # "zh" or "en"
    terms: tuple[str, ...]  # content terms (Chinese; an English question's come from its words)
    expansion: tuple[str, ...]  # the documents' words added for search (glossary, lexicon, synonyms)
    english: tuple[Translation, ...]  # an English question's content words and their Chinese terms
    years: tuple[str, ...]  # years asked about (not those naming a document)
    mentioned_years: tuple[str, ...]  # every year written in the question
    documents: tuple[str, ...]  # ids of the documents the question names
    asks: Asks
    record_fields: tuple[str, ...] = ()  # for Asks.RECORD: which fields of the record
    unit: str = ""  # the unit of measure a figure is asked in ("吨" for "多少万吨")
    identifiers: tuple[str, ...] = ()  # ordinals, article numbers and codes it names ("第二批", "第六十八条", "5G")
    quoted: tuple[str, ...] = ()  # phrases the question puts in quotes (“4+1”)
    other_titles: tuple[str, ...] = ()  # 《titles》 it names that are none of the library's documents
    topic: tuple[str, ...] = ()  # content terms outside the question's grammar ("具体怎么做", "有哪些"), two characters or more
    names: tuple[str, ...] = ()  # places and organisations it names
    places: tuple[str, ...] = ()  # places it names, without their suffix ("湖州市" -> 湖州)
    inherited: Inherited | None = None
    respelled: tuple[tuple[str, str], ...] = ()  # (typed, read) slips read as the library's words ("数子" -> 数字)
    plain_expansion: tuple[str, ...] = ()  # the curated part of ``expansion`` (see plain_text)
    members: int = 0  # for a list naming its size ("十大实验室分别是哪十个"): how many items it asks for
    english_places: tuple[tuple[str, tuple[str, ...]], ...] = ()  # an English question's places and their Chinese names

    @property
    def search_text(self) -> str:
        """What BM25 and the embedder see: the question and the documents' words for its terms."""
        return f"{self.text} {' '.join(self.expansion)}" if self.expansion else self.text

    @property
    def plain_text(self) -> str:
        """The question with the curated words only (glossary, synonyms): how the index's null level was measured."""
        return f"{self.text} {' '.join(self.plain_expansion)}" if self.plain_expansion else self.text

    @property
    def reading(self) -> str:
        """How the question was read, when not as typed: a follow-up in its context ("按上一问理解为…"),
        slips read as the library's words ("按“数字”理解“数子”。"); "" when as typed."""
        notes = [self.inherited.reason] if self.inherited is not None else []
        if self.respelled:
            typed = "、".join(f"“{t}”" for t, _ in self.respelled)
            notes.append(f"按{'、'.join(f'“{r}”' for _, r in self.respelled)}理解{typed}。")
        return " ".join(notes)


# ---------------------------------------------------------------- titles and markup

_TITLE = re.compile(r"《([^》]{2,60})》")  # a document named by its title
_QUOTED = re.compile(r"[“「『\"]([^”」』\"]{1,20})[”」』\"]")
# Markup is not part of a question: script/style blocks go whole, other tags leave their text.
_TAGS = re.compile(r"<(script|style)\b[^>]{0,200}>.*?(?:</\1\s*>|$)|<[^>]{0,200}>", re.I | re.S)
ONLY_MARKUP_TEXT = "问题中只有网页标记（HTML），没有文字。请用中文或英文输入问题。(The question holds only HTML markup; type it as text.)"


def _other_titles(text: str, documents: Sequence[Any]) -> tuple[str, ...]:
    """The 《titles》 a question names that are none of the library's documents."""
    return tuple(t for t in _TITLE.findall(text) if not any(t in d.title or d.title in t for d in documents))


_BRACKETS = re.compile(r"[〔〕\[\]()（）［］【】\s]")


def by_number(text: str, numbers: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """(the 发文字号 as written, its document) when the question writes a document's number, whatever
    brackets it puts round the year ("国发〔2021〕29号", "国发[2021]29号")."""
    bare = _BRACKETS.sub("", text)
    for number, doc_id in numbers:
        if len(number) >= 5 and _BRACKETS.sub("", number) in bare:
            return number, doc_id
    return None


# ---------------------------------------------------------------- understand


def understand(question: object, history: Sequence[Any] = (), catalog: Catalog | None = None, max_chars: int = 2000) -> Query:
    """The `Query` of ``question``; `InputError` (saying what to ask instead) when it cannot be read.

    ``history``: earlier questions (strings) or `Answer`s of this conversation; only a question
    that cannot stand alone inherits from the last answered one.
    """
    catalog = catalog or Catalog()
    if isinstance(history, (str, bytes)) or (history is not None and not isinstance(history, (list, tuple))):
        raise InputError("history 必须是列表。(history must be a list of earlier questions.)")
    if isinstance(question, str):
        if question.strip() and _TAGS.search(question) and not _TAGS.sub("", question).strip():
            raise InputError(ONLY_MARKUP_TEXT)
        question = _TAGS.sub(" ", question)
    text = clean_question(question, max_chars)
    raw = text
    text, respelled = respell(text, catalog.text)  # "数子经济" is 数字经济 (rag.spelling)
    vocab = catalog.vocabulary
    documents = catalog.documents
    # A 《title》 that is none of the library's documents names none of them by its words ("被废止的
    # 《浙江省信息化促进条例》…": its 条例 is not the library's regulation).
    foreign = _other_titles(text, documents)
    named, naming = named_documents(_TITLE.sub(lambda m: " " if m.group(1) in foreign else m.group(0), text), documents)
    if not named and (numbered := by_number(text, catalog.numbers)):
        named, naming = (numbered[1],), (*naming, numbered[0])  # "工信部联科〔2024〕12号是哪几个部门发的"
    year_named: tuple[str, ...] = ()
    if not named:  # "2020年的呢？": in a follow-up a bare year names that year's documents
        years = set(YEAR.findall(text))
        year_named = tuple(d.doc_id for d in documents if years and d.date[:4] in years)
        year_named = year_named if len(year_named) < len(documents) else ()
    inherited = None
    previous = history_questions(history)
    if previous and len(text) <= 30:
        own = [t for t in _content_terms(text, vocab, naming) if len(t) >= 2 and not POINTING.fullmatch(t) and not YEAR.search(t)]
        subject = nouns(text, vocab.words)
        read = read_followup(text, previous[-1], own, named or year_named, bool(year_named), max_chars, bool(subject))
        if read:
            text, inherited = read
            if inherited.kept == "whole":
                named = named or year_named
            elif inherited.kept == "time":  # the previous question, whole, of another year: its documents too
                named = named_documents(text, documents)[0]
            else:
                named = ()
            _, more = named_documents(text, documents)
            naming = tuple(dict.fromkeys([*naming, *more]))
    lang = language(text)
    # Latin words get the documents' Chinese words in any question ("AI芯片" -> 人工智能).
    english = tuple(vocab.english_units(text))
    synonyms = [t for t in vocab.synonyms(text) if t not in text]
    expansion = tuple(dict.fromkeys([*(t for u in english for t in u.chinese), *synonyms]))
    # The curated words only: the index's null level was measured so (dictionary words would lift any question).
    plain = tuple(dict.fromkeys([*vocab.glossary_terms(text), *synonyms]))
    places_en = english_places(text) if lang == "en" else ()  # an English question's places, by their Chinese names
    if lang == "en" and not inherited:
        # "the rules on terminal devices connecting directly to satellites" names a document by the
        # Chinese words of its title (终端, 卫星); "rules" alone names every rule, which is no name.
        # It narrows the documents its kind words name ("rules": both rules), or names one by three words.
        given = [*expansion, *(c for _, chinese in places_en for c in chinese), *kind_words(text)]
        if len(named) != 1:
            among = [d for d in documents if d.doc_id in named] if named else documents
            named = named_by_words(given, among, least=2 if named else 3)
    terms = _content_terms(" ".join(expansion) if lang == "en" else text, vocab, naming)
    asks, fields = asks_of(text, terms, bool(named), [d.title for d in documents if d.doc_id in named])
    # An English question's names come from its curated glossary words ("Jiangsu" -> 江苏).
    tags = tagged(" ".join(plain) if lang == "en" else text, vocab.words)
    # A place given as an example of a kind ("上海、深圳这些大城市") is not one the question asks about.
    tags = tuple((w, tag) for w, tag in tags if not an_example(w, text))
    return Query(
        raw=raw,
        text=text,
        language=lang,
        terms=terms,
        expansion=expansion,
        english=english if lang == "en" else (),
        years=tuple(period_years(text)),
        mentioned_years=tuple(dict.fromkeys(YEAR.findall(text))),
        documents=named,
        asks=asks,
        record_fields=fields,
        identifiers=tuple(dict.fromkeys([*IDENTIFIER.findall(text), *CODE.findall(text)])),
        unit=unit_of(text),
        quoted=tuple(m.strip() for m in _QUOTED.findall(text) if m.strip()),
        other_titles=_other_titles(text, documents),
        topic=topic_of(text, terms),
        names=tuple(names(tags)),
        places=tuple(places(tags)),
        inherited=inherited,
        respelled=respelled,
        plain_expansion=plain,
        members=members_of(raw) if asks & Asks.LIST else 0,
        english_places=places_en,
    )


# "首批68家…都有哪些", "十大省实验室分别是哪十个": a list whose size the question names asks for its members.
# Not 条: "30条" is what officials call a document of thirty articles, not a list asked for.
def _content_terms(text: str, vocab: Vocabulary, naming: Sequence[str]) -> tuple[str, ...]:
    """Content terms of a Chinese question: its words, without Latin fragments and without the
    words and years that name a document ("2020年的意见": neither 2020 nor 意见 is content)."""
    naming_years = set(DOCUMENT_YEAR.findall(text))
    # A title phrase that names a document by its kind ("指导意见", "若干意见") is not content; a
    # phrase of a title or an issuer's name that does not ("先进制造", "兰建平") may well be.
    naming_low = [w.lower() for w in naming if any(k in w for k in DOCUMENT_WORDS)]
    return tuple(
        dict.fromkeys(
            t
            for t in vocab.tokenize(text)
            if not re.fullmatch(r"[a-z]+", t)
            and t not in DOCUMENT_WORDS
            and not any(t in w for w in naming_low)
            and t.rstrip("年") not in naming_years
        )
    )


