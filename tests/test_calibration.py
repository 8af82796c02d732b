"""The null level: measured at build time per document, so a question's relevance does not fall
when documents on other matters join its library. The real build with the fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import retrieval
from rag.build import build_index
from rag.retrieval import get_retriever, null_level
from rag.settings import Settings

LAW = "测试促进条例\n第一章 总则\n第二条 本条例所称数字经济，是指以数据资源为关键生产要素的新经济形态。\n第三条 促进数字经济发展。\n"
REPORT = (  # a notice on other matters: none of its passages is closer to the law's question than the law's
    "文化旅游通知\n一、文化\n博物馆免费开放，图书馆延长开放时间。\n二、旅游\n景区门票优惠，游客服务中心全天开放。\n"
)


def _library(tmp_path: Path, name: str, texts: dict[str, str]) -> Settings:
    corpus = tmp_path / name
    corpus.mkdir()
    for stem, text in texts.items():
        (corpus / f"{stem}.txt").write_text(text, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / f"{name}-index", model="fake", auto_rebuild=False)
    build_index(settings)
    return settings


def test_the_build_measures_each_documents_null_level(tmp_path: Path, fake_embedder):
    settings = _library(tmp_path, "both", {"law": LAW, "report": REPORT})
    retrieval.reset_cache()
    calibration = get_retriever(settings).index.manifest.calibration
    for language in ("zh", "en"):
        own = calibration[language]["documents"]
        assert set(own) == {"law", "report"}
        # the library's best passage is the best of its documents': its level is no lower than theirs
        assert calibration[language]["mean"] >= max(mean for mean, _ in own.values()) - 1e-6
    retrieval.reset_cache()


def test_a_questions_relevance_is_the_same_when_documents_on_other_matters_join_its_library(tmp_path: Path, fake_embedder):
    question = "数字经济是指什么"
    alone = _library(tmp_path, "alone", {"law": LAW})
    both = _library(tmp_path, "both", {"law": LAW, "report": REPORT})
    try:
        retrieval.reset_cache()
        first = get_retriever(alone).retrieve(question, k=1)
        retrieval.reset_cache()
        second = get_retriever(both).retrieve(question, k=1)
        # the report holds no passage closer to the question than the law's best
        assert second.dense_top == pytest.approx(first.dense_top) and second.passages[0].doc_id == "law"
        assert second.relevance == pytest.approx(first.relevance)
        # against the library-wide level, which the report's passages raise, it would have fallen
        calibration = get_retriever(both).index.manifest.calibration["zh"]
        assert (second.dense_top - calibration["mean"]) / calibration["std"] < first.relevance
    finally:
        retrieval.reset_cache()


def test_an_index_without_per_document_levels_uses_the_librarys():
    calibration = {"zh": {"mean": 0.85, "std": 0.01, "documents": {"law": [0.80, 0.02]}}}
    assert null_level(calibration, "zh", "law") == (0.80, 0.02)
    assert null_level(calibration, "zh", "other") == (0.85, 0.01)
    assert null_level({"zh": {"mean": 0.85, "std": 0.0}}, "en", "law") == (0.85, 0.005)  # English falls back to Chinese
