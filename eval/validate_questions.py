"""Check the evaluation questions against the cleaned corpus.

    python eval/validate_questions.py                       # every question set of the default library (corpus/)
    python eval/validate_questions.py --library library2    # the second library's
    python eval/validate_questions.py some.jsonl ...        # other files

Every line must be a question in the format below; every evidence string must
occur in the cleaned text of its document (so the set judges any chunking);
ids and question wordings are unique across files; out-of-scope questions carry
no evidence. Exit status 1 lists every problem found.

One question per line::

    {"id": "g22-rd-target", "question": "...", "kind": "numeric", "in_scope": true,
     "doc_id": "guideline-2022", "evidence": ["2.5%以上"],
     "also": [{"doc_id": "opinions-2020", "evidence": ["2.5%以上"]}]}

``also`` (optional) lists other documents whose passages answer the question
as well. Out-of-scope questions have ``"in_scope": false``, no ``doc_id``, no
evidence and ``"kind": "out_of_scope"``. Optional: ``history`` (earlier questions
of a follow-up), ``pair`` (the two halves of a contrastive pair: one answerable,
one a minimal edit that is not), ``points`` (a broad question's expected points,
each a list of alternative strings). Evidence is compared normalised as the
documents are (full-width forms, the private-use decimal point); a record
question's evidence may also lie in the document's record (signature, manifest).
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

from rag.ingest import load_corpus, normalise  # noqa: E402

QUESTIONS = ROOT / "eval" / "questions"
LIBRARIES = {"corpus": ROOT / "corpus", "library2": ROOT / "library2"}
KINDS = {
    "numeric",  # a target or figure: the number must come back exactly
    "list",  # which clusters / measures: the whole list
    "fact",  # who, what, when
    "paraphrase",  # worded with few of the source's words
    "document",  # needs the document's date or kind ("the 2020 opinions")
    "english",  # asked in English, answered from Chinese passages
    "record",  # a document's own record: issuer, number, dates, recipients
    "broad",  # gathers a section's points ("有哪些支持？"): scored by its points
    "out_of_scope",  # the documents hold no answer
}
MAX_EVIDENCE_CHARS = 40  # short strings, so any sensible passage can hold one whole


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def check_question(q: dict, texts: dict[str, str], where: str, records: dict[str, str] | None = None) -> list[Problem]:
    """Problems of one question (empty when it is well formed and its evidence exists)."""
    out: list[Problem] = []
    records = records or {}

    def bad(message: str) -> None:
        out.append(Problem(where, message))

    for key in ("id", "question", "kind", "in_scope"):
        if key not in q:
            bad(f"missing field {key!r}")
    if out:
        return out
    if not isinstance(q["question"], str) or not q["question"].strip():
        bad("empty question")
    if q["kind"] not in KINDS:
        bad(f"kind {q['kind']!r} is not one of {', '.join(sorted(KINDS))}")
    history = q.get("history")
    if history is not None and (not isinstance(history, list) or not all(isinstance(h, str) and h.strip() for h in history)):
        bad("history must be a list of earlier questions (strings)")
    if not q["in_scope"]:
        if q["kind"] != "out_of_scope" or q.get("evidence") or q.get("doc_id") or q.get("also") or q.get("points"):
            bad("an out-of-scope question has kind out_of_scope, no doc_id, no evidence and no also")
        return out
    if q["kind"] == "out_of_scope":
        bad("kind out_of_scope but in_scope is true")
    groups = [(q.get("doc_id"), q.get("evidence", []))] + [(a.get("doc_id"), a.get("evidence", [])) for a in q.get("also", [])]
    record = q["kind"] == "record"
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
            elif normalise(e) not in texts[doc_id] and not (record and normalise(e) in records.get(doc_id, "")):
                bad(f"evidence {e!r} does not occur in the cleaned text of {doc_id}")
    if q["kind"] == "broad":
        points = q.get("points")
        docs = [d for d, _ in groups if d in texts]
        if not points or not isinstance(points, list):
            bad("a broad question lists the points a good answer gives")
        else:
            for point in points:
                if not isinstance(point, list) or not point or not any(normalise(a) in texts[d] for a in point for d in docs):
                    bad(f"point {point!r} does not occur in {', '.join(docs)}")
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
    records = {d.doc_id: normalise("\n".join([d.title, d.issuer, d.date, d.source, *map(str, d.metadata.values())])) for d in corpus.documents}
    questions, problems = [], []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), "file is missing"))
            continue
        items, found = load_lines(path)
        problems += found
        for q in items:
            problems += check_question(q, texts, q["_where"], records)
        questions += items
    pairs: dict[str, list[dict]] = {}
    for q in questions:
        if q.get("pair"):
            pairs.setdefault(str(q["pair"]), []).append(q)
    for pair, members in pairs.items():
        if len(members) != 2 or sorted(bool(m.get("in_scope")) for m in members) != [False, True]:
            problems.append(Problem("all files", f"pair {pair!r} needs one answerable question and one that is not"))
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
    parser.add_argument("files", nargs="*", type=Path, help="JSONL files (default: every set of the library)")
    parser.add_argument("--library", choices=sorted(LIBRARIES), default="corpus")
    args = parser.parse_args(argv)
    paths = args.files or sorted((QUESTIONS / args.library).glob("*.jsonl"))
    questions, problems = validate(paths, LIBRARIES[args.library])
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
