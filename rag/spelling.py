"""Spelling: a typed word the library never writes, read as the library's word that sounds the same.

Officials type with a pinyin input method, so their slips are homophones: "数子经济" for 数字经济,
"直联卫星" for 直连卫星, "增家值" for 增加值. Such a slip is no word of the language and none of the
library's, so the question seems to ask about something the documents never mention. `respell`
reads it as the library's own word when exactly that is plain: the typed word is in neither
jieba's dictionary nor the library; one character of it, replaced by a character of the library
that has the same pinyin (tones aside), gives a word the library writes often; and the library
writes that word next to the question's word beside it ("数字" + "经济"). Nothing here is chosen
for a library: the sounds are pypinyin's, the words jieba's and the library's own.
"""

from __future__ import annotations

import functools
import re

from .query import jieba_for

MIN_COUNT = 3  # times the library must write the word a slip is read as
MAX_WORD = 4  # characters: a longer run jieba could not cut is a name or a phrase, not a slip
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@functools.lru_cache(maxsize=4)
def _library(library_text: str) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """What a library's text gives once: each pinyin syllable (toneless, every reading of a character)
    -> the library's characters with it; and every pair of characters it writes, so a candidate
    word is ruled out without scanning the whole text."""
    from pypinyin import Style, pinyin

    runs = _HAN.findall(_sample(library_text))
    pairs = frozenset(run[i: i + 2] for run in runs for i in range(len(run) - 1))
    by_sound: dict[str, set[str]] = {}
    for char in set("".join(runs)):
        for syllable in pinyin(char, style=Style.NORMAL, heteronym=True)[0]:
            by_sound.setdefault(syllable, set()).add(char)
    return {s: frozenset(chars) for s, chars in by_sound.items()}, pairs


SAMPLE_CHARS = 2_000_000  # of a larger library's text, an evenly spaced sample gives its sounds and pairs
SAMPLE_SLICE = 4_000


def _sample(text: str) -> str:
    """``text``, or an evenly spaced sample of it (building the pairs of 100 million characters would
    take a minute; a word written often enough to read a slip as is in the sample all the same)."""
    if len(text) <= SAMPLE_CHARS:
        return text
    step = len(text) // (SAMPLE_CHARS // SAMPLE_SLICE)
    return "\n".join(text[i: i + SAMPLE_SLICE] for i in range(0, len(text), step))


def respell(text: str, library_text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``text`` with its slips read as the library's words, and the (typed, read) pairs; ``library_text``
    is everything the library says, lower-cased. Unchanged when there is no library text."""
    if not library_text or not _HAN.search(text):
        return text, ()
    tokenizer = jieba_for(())
    tokens = tokenizer.lcut(text)
    fixed: list[tuple[str, str]] = []
    for i, word in enumerate(tokens):
        if not (2 <= len(word) <= MAX_WORD and _HAN.fullmatch(word)) or word in library_text or tokenizer.FREQ.get(word, 0):
            continue
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        best = max(
            (
                (library_text.count(candidate), candidate)
                for candidate in _sound_alikes(word, library_text)
                if (before and before + candidate in library_text) or (after and candidate + after in library_text)
            ),
            default=None,
        )
        if best and best[0] >= MIN_COUNT:
            fixed.append((word, best[1]))
    for typed, read in fixed:
        text = text.replace(typed, read)
    return text, tuple(fixed)


def _sound_alikes(word: str, library_text: str) -> list[str]:
    """``word`` with one character replaced by a library character that sounds the same."""
    from pypinyin import Style, pinyin

    sounds, pairs = _library(library_text)
    out = []
    for i, char in enumerate(word):
        for syllable in pinyin(char, style=Style.NORMAL, heteronym=True)[0]:
            for other in sounds.get(syllable, ()):
                candidate = word[:i] + other + word[i + 1:]
                if other != char and all(candidate[j: j + 2] in pairs for j in range(len(candidate) - 1)):
                    out.append(candidate)
    return [c for c in dict.fromkeys(out) if c in library_text]
