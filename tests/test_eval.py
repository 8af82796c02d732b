"""The evaluation set stays valid, and relevance is judged by evidence, not by chunk ids."""

from __future__ import annotations

import json
import sys

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "eval"))

import evaluate  # noqa: E402
import validate_questions  # noqa: E402

from rag.passage import Passage  # noqa: E402


def test_shipped_questions_are_valid_and_held_out_from_each_other():
    questions, problems = validate_questions.validate(sorted((ROOT / "eval" / "questions" / "corpus").glob("*.jsonl")))
    assert problems == []
    assert len(questions) >= 150
    test = [q for q in questions if "test" in q["_where"]]
    assert sum(1 for q in test if not q["in_scope"]) >= 15
    assert {q["kind"] for q in test} == validate_questions.KINDS
    assert {q["doc_id"] for q in test if q["in_scope"]} == {
        "guideline-2022", "opinions-2020", "speech-2024", "commentary-2020", "news-2023"
    }


def test_the_second_librarys_questions_are_valid_and_held_out_from_each_other():
    # Two writers wrote one question word for word (a test question repeating a dev one): caught here.
    questions, problems = validate_questions.validate(sorted((ROOT / "eval" / "questions" / "library2").glob("*.jsonl")), ROOT / "library2")
    assert problems == []
    test = [q for q in questions if "test" in q["_where"]]
    assert sum(1 for q in test if not q["in_scope"]) >= 15 and {q["kind"] for q in test} >= {"numeric", "broad", "out_of_scope", "english"}


def test_validator_names_each_problem(tmp_path):
    bad = [
        {"id": "a", "question": "研发经费目标？", "kind": "numeric", "in_scope": True, "doc_id": "guideline-2022", "evidence": ["25%以上的研发"]},
        {"id": "a", "question": "江苏？", "kind": "out_of_scope", "in_scope": False, "doc_id": None, "evidence": ["x"]},
        {"id": "c", "question": "x", "kind": "guess", "in_scope": True, "doc_id": "nowhere", "evidence": ["y"]},
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in bad) + "\nnot json\n", encoding="utf-8")
    _, problems = validate_questions.validate([path])
    text = "\n".join(map(str, problems))
    assert "does not occur in the cleaned text of guideline-2022" in text
    assert "out-of-scope question has kind out_of_scope, no doc_id, no evidence" in text
    assert "kind 'guess'" in text and "doc_id 'nowhere'" in text
    assert "id 'a' occurs 2 times" in text and "not JSON" in text
    assert validate_questions.main([str(path)]) == 1


@pytest.mark.parametrize(
    "text, section, outline, relevant",
    [
        ("规上工业企业研发经费占营业收入比重达到2.5%以上。", "《指导意见》 › 一、总体要求", (), True),
        ("疫情后,国家将重点推进新型基础设施建设。", "《解读》 › (一)抓住“新基建”的政策机会", (), True),  # in its heading
        ("要重点抓好六方面工作:", "《讲话》 › 二、…", ("抓住“新基建”的政策机会",), True),  # in the list it announces
        ("研发投入持续增加。", "《指导意见》 › 一、总体要求", (), False),
    ],
)
def test_a_passage_is_relevant_when_what_is_shown_of_it_holds_the_evidence(text, section, outline, relevant):
    p = Passage(text=text, doc_id="d", doc_title="t", doc_date="", doc_issuer="", doc_kind="policy", section=section, score=1.0, outline=outline)
    sets = {"d": ["2.5%以上", "抓住“新基建”的政策机会"]}
    assert evaluate.relevant(p, sets) is relevant
    assert not evaluate.relevant(p, {"other": ["2.5%以上"]})  # evidence belongs to its document
