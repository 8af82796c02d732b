"""Questions as the index sees them: language, English terms, everyday Chinese, years."""

from __future__ import annotations

import re

import pytest

from rag.ingest import load_corpus
from rag.query import Vocabulary, english_lexicon, language, period_years

from .conftest import ROOT


@pytest.mark.parametrize(
    "text, lang",
    [
        ("What is the R&D intensity target for 2025?", "en"),
        ("到2025年研发经费占比目标是多少？", "zh"),
        ("AI芯片和大模型有什么部署？", "zh"),  # Chinese with an English abbreviation
        ("415X集群", "zh"),
    ],
)
def test_language(text, lang):
    assert language(text) == lang


GLOSSARY = "# a comment\nfuture factory\t未来工厂\nby 2025\t到2025年\nHangzhou\t杭州\nindustrial land\t工业用地\nland\t土地\n"


@pytest.fixture
def vocab(tmp_path):
    folder = tmp_path / "vocabulary"
    folder.mkdir()
    (folder / "glossary.tsv").write_text(GLOSSARY, encoding="utf-8")
    (folder / "synonyms.tsv").write_text("前三季度\t1月至9月\n卖地收入\t土地出让收入\n", encoding="utf-8")
    (folder / "words.txt").write_text("山区26县\n", encoding="utf-8")
    (folder / "stopwords.txt").write_text("浙江 全省\n", encoding="utf-8")
    return Vocabulary.from_folder(folder)


def test_english_words_get_the_documents_chinese_terms(vocab):
    terms = vocab.glossary_terms("How many future factories by 2025?")
    assert terms == ["未来工厂", "到2025年"]  # "factories" matched "future factory"
    assert vocab.glossary_terms("到2025年研发经费占比") == []  # nothing to add
    assert [u.english for u in vocab.english_units("industrial land and land")] == ["industrial land", "land"]  # longest first


def test_english_units_keep_untranslated_content_words_and_drop_function_words(vocab):
    units = {u.english: u.chinese for u in vocab.english_units("How do I renew my passport in Hangzhou?")}
    assert units == {"renew": (), "passport": (), "hangzhou": ("杭州",)}


def test_lexicon_covers_what_the_glossary_lacks_longest_phrase_first(vocab):
    with_lexicon = vocab.with_lexicon({"gas": ["天然气"], "hard core": ["硬核"], "hard": ["困难"]})
    units = {u.english: u.chinese for u in with_lexicon.english_units("Hard-core tech and gas prices")}
    assert units["hard core"] == ("硬核",) and "hard" not in units
    assert units["gas"] == ("天然气",)
    assert "天然气" not in with_lexicon.glossary_terms("gas prices")  # the lexicon is not the curated glossary


def test_a_librarys_words_stay_whole_and_its_stopwords_are_dropped(vocab):
    tokens = vocab.tokenize("浙江山区26县全省工业")
    assert "山区26县" in tokens and "浙江" not in tokens and "全省" not in tokens
    assert "浙江" in Vocabulary().tokenize("浙江山区26县")  # another library keeps them


def test_english_lexicon_from_cc_cedict_targets_only_corpus_words():
    lexicon = english_lexicon({"天然气": 3, "成本": 5, "硬核": 1})
    assert lexicon["natural gas"] == ["天然气"] and lexicon["gas"] == ["天然气"]  # the head noun answers too
    assert "成本" in lexicon["cost"]
    assert lexicon["hardcore"] == ["硬核"]
    assert all(w in {"天然气", "成本", "硬核"} for words in lexicon.values() for w in words)


def test_both_words_of_a_gloss_x_and_y_answer_for_it():
    lexicon = english_lexicon({"城镇": 4})  # CC-CEDICT: "town; cities and towns"
    assert "城镇" in lexicon["city"] and "城镇" in lexicon["town"]
    assert "and" not in lexicon


def test_the_noun_a_gloss_verb_takes_answers_for_it():
    lexicon = english_lexicon({"就业": 4})  # CC-CEDICT: "to get a job; employment"
    assert "就业" in lexicon["job"] and "就业" in lexicon["employment"]
    assert "a" not in lexicon and "get" not in lexicon


def test_everyday_chinese_gets_the_documents_wording(vocab):
    assert vocab.synonyms("前三季度数字经济增速") == ["1月至9月"]
    assert vocab.synonyms("卖地收入能用在哪") == ["土地出让收入"]


def test_years_that_name_a_document_are_not_periods():
    assert period_years("2022年的指导意见里，2025年山区26县目标") == ["2025"]
    assert period_years("2024年制造业大会上的讲话说2023年工业增加值是多少") == ["2023"]
    assert period_years("浙江日报2023年的报道中基金规模") == []
    assert period_years("In the 2022 guideline, what is the 2025 target?") == ["2025"]
    assert period_years("2023年全年制造业投资增长了多少") == ["2023"]


# The library's own vocabulary files against its texts: facts of the real corpus (slow tier).


@pytest.fixture(scope="module")
def corpus_text():
    return "\n".join(d.text for d in load_corpus(ROOT / "corpus").documents)


def _entries(name):
    lines = (ROOT / "corpus" / "vocabulary" / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")], lines


@pytest.mark.slow
def test_synonyms_point_at_words_the_documents_use(corpus_text):
    entries, _ = _entries("synonyms.tsv")
    assert len(entries) > 300
    for line in entries:
        said, written = line.split("\t")
        assert all(w in corpus_text for w in written.split()), line


@pytest.mark.slow
def test_glossary_points_at_words_the_documents_use(corpus_text):
    _, lines = _entries("glossary.tsv")
    outside = next(i for i, line in enumerate(lines) if line.startswith("# Places outside the corpus"))
    checked = 0
    for line in lines[:outside]:
        if line.strip() and not line.startswith("#"):
            en, zh = line.split("\t")
            assert re.fullmatch(r"[a-z0-9 &+'.,/\-]+", en), line
            assert all(t in corpus_text for t in zh.split()), line
            checked += 1
    assert checked > 800


def test_words_ending_in_s_that_are_no_plurals_keep_their_s():
    from rag.query import _words

    assert _words("news series firms cities") == "news series firm city"
