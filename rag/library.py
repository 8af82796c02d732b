"""Managing the library folder: list what was read, add files, remove a document.

Adding checks a file completely (it is read and cleaned) before anything is copied, and
copies atomically, so a bad file is refused with its reason and the folder (and the live
index built from it) is unchanged. `rag.index.build_index` then rebuilds atomically,
embedding only passages it has not embedded before.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from .document import Document
from .errors import CorpusError
from .ingest import MANIFEST_NAME, load_corpus
from .readers import SUFFIXES, read_file

MAX_BYTES = 100 * 1024 * 1024  # larger files are refused: no policy document is this big
_RESERVED = {MANIFEST_NAME, "SOURCES.md"}


@dataclass(frozen=True)
class Listed:
    """One document as `rag documents` shows it: its record and where each field came from."""

    document: Document
    passages_hint: int  # paragraphs (the passage count is known only after a build)
    pages: int  # 0 for formats without pages
    read: tuple[str, ...]  # fields read from the text
    from_manifest: bool


def list_documents(corpus_dir: Path) -> tuple[list[Listed], tuple[str, ...]]:
    """Every document of the folder with what was read from it, and the build's warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = load_corpus(Path(corpus_dir))
    listed = set(_manifest_files(Path(corpus_dir)))
    out = [
        Listed(d, len(d.paragraphs), len(d.pages), d.info.read, d.file in listed)
        for d in corpus.documents
    ]
    return out, corpus.warnings


def add_files(corpus_dir: Path, files: list[Path]) -> list[Path]:
    """Copy files into the library after checking each can be read; returns the new paths.

    Refused, with nothing copied: a name with a folder part or reserved, an unsupported type, an
    empty or too large file, one that cannot be read (damaged, encrypted, an .exe renamed .pdf)."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist. Create it first.")
    checked: list[tuple[Path, str]] = []
    for file in map(Path, files):
        name = file.name
        if name in _RESERVED or name.startswith(".") or not re.fullmatch(r"[^/\\\x00]{1,200}", name):
            raise CorpusError(f"{file}: the name {name!r} cannot be used in the library. Rename the file.")
        if file.suffix.lower() not in SUFFIXES:
            raise CorpusError(f"{file}: files of type {file.suffix or '(none)'} cannot be read; use one of {', '.join(sorted(SUFFIXES))}.")
        if not file.is_file():
            raise CorpusError(f"{file} does not exist or is not a file.")
        size = file.stat().st_size
        if size == 0 or size > MAX_BYTES:
            raise CorpusError(f"{file} is {'empty' if size == 0 else f'{size // 2**20} MB'}; add a file of 1 byte to {MAX_BYTES // 2**20} MB.")
        read = read_file(file)  # raises with the reason when it cannot be read
        if not read.text.strip():
            raise CorpusError(f"{file} has no readable text. {read.report}".strip())
        checked.append((file, name))
    added = []
    for file, name in checked:
        target = corpus_dir / name
        fd, tmp = tempfile.mkstemp(dir=corpus_dir, prefix=".add-")
        os.close(fd)
        shutil.copyfile(file, tmp)
        os.replace(tmp, target)
        added.append(target)
    return added


def remove_document(corpus_dir: Path, doc_id: str) -> Path:
    """Delete a document's file and its manifest entry (if it has one); returns the file removed."""
    corpus_dir = Path(corpus_dir)
    docs, _ = list_documents(corpus_dir)
    match = next((d.document for d in docs if d.document.doc_id == doc_id), None)
    if match is None:
        known = ", ".join(d.document.doc_id for d in docs)
        raise CorpusError(f"No document {doc_id!r} in {corpus_dir}; the documents are: {known}.")
    manifest = corpus_dir / MANIFEST_NAME
    if manifest.exists():
        text = manifest.read_text(encoding="utf-8")
        kept = _without_entry(text, doc_id)
        if kept != text:
            fd, tmp = tempfile.mkstemp(dir=corpus_dir, prefix=".manifest-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(kept)
            os.replace(tmp, manifest)
    path = corpus_dir / match.file
    path.unlink(missing_ok=True)
    return path


def _without_entry(text: str, doc_id: str) -> str:
    """The manifest text without the [[document]] block whose id is ``doc_id``."""
    blocks = re.split(r"(?m)^(?=\[\[document\]\]|\[profile)", text)
    pattern = re.compile(rf"""(?m)^id\s*=\s*["']{re.escape(doc_id)}["']\s*$""")
    return "".join(b for b in blocks if not (b.startswith("[[document]]") and pattern.search(b)))


def _manifest_files(corpus_dir: Path) -> list[str]:
    import tomllib

    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return []
    return [e.get("file", "") for e in tomllib.loads(path.read_text(encoding="utf-8")).get("document", [])]
