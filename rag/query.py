"""Questions as the index sees them: checked, normalised, English terms given their Chinese words.

Used by the index (to calibrate its not-found level with the same queries a
user would send) and by retrieval; it depends only on the corpus stage's
character normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .errors import InputError
from .ingest import normalise

_GLOSSARY_PATH = Path(__file__).with_name("glossary.tsv")
_glossary: tuple[re.Pattern, dict[str, str]] | None = None
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
    text = normalise(question).strip()
    if not text:
        raise InputError("问题是空的。请输入与政策文件有关的问题，例如：到2025年研发投入目标是多少？(The question is empty.)")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise InputError(
            "问题里没有文字或数字。请用中文或英文提问，例如：浙江要打造哪些世界级先进产业群？"
            "(The question has no words or numbers; ask in Chinese or English.)"
        )
    return text


def language(text: str) -> str:
    """"en" when the question is written mostly in Latin letters, else "zh"."""
    latin = len(re.findall(r"[A-Za-z]", text))
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    return "en" if latin > 2 * cjk and latin >= 3 else "zh"


def _stem(word: str) -> str:
    """A plural or possessive English word in its base form, enough to match a glossary entry."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> str:
    """Lower-cased words in base form, separated by single spaces ("R&D-intensive firms'" -> "r&d intensive firm")."""
    text = text.lower().replace("’", "'").replace("'s", " ")
    return " ".join(_stem(w) for w in _WORD.findall(text))


def _load_glossary() -> tuple[re.Pattern, dict[str, str]]:
    global _glossary
    if _glossary is None:
        entries: dict[str, list[str]] = {}
        for line in _GLOSSARY_PATH.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and "\t" in line:
                en, zh = line.split("\t", 1)
                key = _words(en)
                if key:
                    entries.setdefault(key, [])
                    entries[key] += [t for t in zh.split() if t not in entries[key]]
        # Longest phrases first: at any position the longest entry wins ("industrial land" over "land").
        keys = sorted(entries, key=lambda k: (-len(k), k))
        pattern = re.compile(r"(?<![a-z0-9&+])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![a-z0-9&+])")
        _glossary = (pattern, {k: " ".join(v) for k, v in entries.items()})
    return _glossary


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


def english_terms(query: str) -> list[str]:
    """The Chinese glossary terms of the English words of a question, in order, without repeats."""
    if not re.search(r"[A-Za-z]{2,}", query):
        return []
    pattern, entries = _load_glossary()
    terms: list[str] = []
    for m in pattern.finditer(_words(query)):
        terms += [t for t in entries[m.group(0)].split() if t not in terms]
    return terms


def english_units(query: str) -> list[tuple[str, tuple[str, ...]]]:
    """The content of an English question: (phrase, its Chinese terms) for each glossary phrase,
    and (word, ()) for each content word the glossary cannot translate."""
    pattern, entries = _load_glossary()
    text = _words(query)
    units: list[tuple[str, tuple[str, ...]]] = []
    pos = 0
    for m in [*pattern.finditer(text), None]:
        end = m.start() if m else len(text)
        units += [(w, ()) for w in text[pos:end].split() if w not in ENGLISH_FUNCTION_WORDS and not w.isdigit()]
        if m:
            if m.group(0) not in ENGLISH_FUNCTION_WORDS:
                units.append((m.group(0), tuple(entries[m.group(0)].split())))
            pos = m.end()
    return units


def expand_query(query: str) -> str:
    """The question followed by the Chinese terms of its English words (see glossary.tsv).

    BM25 cannot match English words against Chinese text, and the small
    multilingual model matches them only weakly; the policy vocabulary is small
    enough that a glossary closes most of the gap.
    """
    terms = english_terms(query)
    return f"{query} {' '.join(terms)}" if terms else query
