"""Check the evaluation questions against the cleaned corpus.

    python eval/validate_questions.py                  # eval/questions/dev.jsonl and test.jsonl
    python eval/validate_questions.py some.jsonl ...   # other files

Every line must be a question in the format below; every evidence string must
occur in the cleaned text of its document (so the set judges any chunking);
ids and question wordings are unique across files; out-of-scope questions carry
no evidence. Exit status 1 lists every problem found.

One question per line::

    {"id": "g22-rd-target", "question": "...", "kind": "numeric", "in_scope": true,
     "doc_id": "guideline-2022", "evidence": ["2.5%以上"],
     "also": [{"doc_id": "opinions-2020", "evidence": ["2.5%以上"]}]}

``also`` (optional) lists other documents whose passages answer the question
as well. Out-of-scope questions have ``"in_scope": false``, ``"doc_id": null``,
``"evidence": []`` and ``"kind": "out_of_scope"``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.ingest import load_corpus  # noqa: E402

QUESTIONS = ROOT / "eval" / "questions"
KINDS = {
    "numeric",  # a target or figure: the number must come back exactly
    "list",  # which clusters / measures: the whole list
    "fact",  # who, what, when
    "paraphrase",  # worded with few of the source's words
    "document",  # needs the document's date or kind ("the 2020 opinions")
    "english",  # asked in English, answered from Chinese passages
    "out_of_scope",  # the documents hold no answer
}
MAX_EVIDENCE_CHARS = 40  # short strings, so any sensible passage can hold one whole


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def check_question(q: dict, texts: dict[str, str], where: str) -> list[Problem]:
    """Problems of one question (empty when it is well formed and its evidence exists)."""
    out: list[Problem] = []

    def bad(message: str) -> None:
        out.append(Problem(where, message))

    for key in ("id", "question", "kind", "in_scope", "evidence"):
        if key not in q:
            bad(f"missing field {key!r}")
    if out:
        return out
    if not isinstance(q["question"], str) or not q["question"].strip():
        bad("empty question")
    if q["kind"] not in KINDS:
        bad(f"kind {q['kind']!r} is not one of {', '.join(sorted(KINDS))}")
    if not q["in_scope"]:
        if q["kind"] != "out_of_scope" or q["evidence"] or q.get("doc_id") or q.get("also"):
            bad("an out-of-scope question has kind out_of_scope, no doc_id, no evidence and no also")
        return out
    if q["kind"] == "out_of_scope":
        bad("kind out_of_scope but in_scope is true")
    groups = [(q.get("doc_id"), q["evidence"])] + [(a.get("doc_id"), a.get("evidence", [])) for a in q.get("also", [])]
    for doc_id, evidence in groups:
        if doc_id not in texts:
            bad(f"doc_id {doc_id!r} is not a document of the corpus ({', '.join(texts)})")
            continue
        if not evidence or not isinstance(evidence, list):
            bad(f"no evidence strings for {doc_id}")
            continue
        for e in evidence:
            if not isinstance(e, str) or not e.strip():
                bad(f"empty evidence string for {doc_id}")
            elif len(e) > MAX_EVIDENCE_CHARS:
                bad(f"evidence {e[:20]!r}… is {len(e)} characters; keep it under {MAX_EVIDENCE_CHARS}")
            elif e not in texts[doc_id]:
                bad(f"evidence {e!r} does not occur in the cleaned text of {doc_id}")
    return out


def load_lines(path: Path) -> tuple[list[dict], list[Problem]]:
    items, problems = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"{path.name}:{n}", f"not JSON ({exc})"))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(f"{path.name}:{n}", "not a JSON object"))
            continue
        items.append({**item, "_where": f"{path.name}:{n}"})
    return items, problems


def validate(paths: list[Path], corpus_dir: Path = ROOT / "corpus") -> tuple[list[dict], list[Problem]]:
    """All questions of ``paths`` and every problem found in them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = load_corpus(corpus_dir)
    texts = {d.doc_id: d.text for d in corpus.documents}
    questions, problems = [], []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), "file is missing"))
            continue
        items, found = load_lines(path)
        problems += found
        for q in items:
            problems += check_question(q, texts, q["_where"])
        questions += items
    for field in ("id", "question"):
        counts = Counter(str(q.get(field, "")).strip() for q in questions)
        for value, n in counts.items():
            if n > 1:
                problems.append(Problem("all files", f"{field} {value!r} occurs {n} times"))
    return questions, problems


def summary(questions: list[dict]) -> str:
    kinds = Counter(q.get("kind") for q in questions)
    docs = Counter(q.get("doc_id") or "(none)" for q in questions)
    return (
        f"{len(questions)} questions; kinds: "
        + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        + "; documents: "
        + ", ".join(f"{k} {n}" for k, n in sorted(docs.items()))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check evaluation questions against the cleaned corpus.")
    parser.add_argument("files", nargs="*", type=Path, help="JSONL files (default: eval/questions/dev.jsonl and test.jsonl)")
    args = parser.parse_args(argv)
    paths = args.files or [QUESTIONS / "dev.jsonl", QUESTIONS / "test.jsonl"]
    questions, problems = validate(paths)
    for p in problems:
        print(p)
    print(summary(questions))
    if problems:
        print(f"{len(problems)} problem(s). Correct the questions (or their evidence) and run again.", file=sys.stderr)
        return 1
    print("ok: every evidence string occurs in its document.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
