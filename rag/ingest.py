"""Corpus stage: read the manifest and the texts; `rag.cleaning` cleans them into paragraphs.

The manifest is optional: an entry's fields override what is read from a text,
and a text without an entry is indexed with what was read from it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

from .cleaning import PUA_DECIMAL, clean_document, guess_profile, normalise  # noqa: F401 (the stage's API)
from .document import KINDS, Document, Paragraph  # noqa: F401
from .errors import CorpusError
from .profiles import BUILTIN, Profile, load_profiles
from .readers import SUFFIXES, page_offsets, read_file

CLEANING_VERSION = "5"
MANIFEST_NAME = "manifest.toml"


class CorpusWarning(UserWarning):
    """Something in the corpus was skipped; the build goes on without it."""


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    fingerprint: str  # hash of manifest + files + cleaning version
    warnings: tuple[str, ...] = ()

    def get(self, doc_id: str) -> Document:
        for doc in self.documents:
            if doc.doc_id == doc_id:
                return doc
        raise KeyError(doc_id)


# ---------------------------------------------------------------- reading


def decode_bytes(raw: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else GB18030 for legacy files; else an error naming the file."""
    if b"\x00" in raw[:4096]:
        raise CorpusError(f"{name} looks like a binary file, not text. Save it as UTF-8 text.")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CorpusError(f"{name} is neither UTF-8 nor GB18030 text. Re-save it as UTF-8.")


def corpus_fingerprint(corpus_dir: Path) -> str:
    """Hash of what a build reads: the manifest, every listed file, the cleaning rules."""
    h = hashlib.sha256(f"cleaning={CLEANING_VERSION}\n".encode())
    manifest = corpus_dir / MANIFEST_NAME
    if manifest.exists():
        h.update(manifest.read_bytes())
    for path in sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() in SUFFIXES):
        if path.name == "SOURCES.md":
            continue
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _read_manifest(corpus_dir: Path) -> tuple[list[dict], dict[str, Profile]]:
    """The manifest's entries and the profiles it defines; none of either when there is no manifest
    (every text is then indexed with the record read from it)."""
    path = corpus_dir / MANIFEST_NAME
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist. Create it and add documents.")
    if not path.exists():
        return [], dict(BUILTIN)
    try:
        data = tomllib.loads(decode_bytes(path.read_bytes(), str(path)))
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{path} is not valid TOML ({exc}). Correct it and build again.") from None
    profiles = load_profiles(data.get("profile", {}), str(path))
    entries = data.get("document", [])
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        missing = [k for k in ("id", "file") if not entry.get(k)]
        if missing:
            raise CorpusError(f"{path}: entry {i + 1} lacks {', '.join(missing)}. Fill them in.")
        if entry.get("kind") and entry["kind"] not in KINDS:
            raise CorpusError(
                f"{path}: document {entry['id']} has kind {entry['kind']!r}; use one of {', '.join(KINDS)}."
            )
        if entry.get("profile", "text") not in profiles:
            raise CorpusError(
                f"{path}: document {entry['id']} has profile {entry['profile']!r}; use one of {', '.join(sorted(profiles))}"
                " or define it as [profile.NAME] in the manifest."
            )
        if entry["id"] in seen:
            raise CorpusError(f"{path}: document id {entry['id']!r} is used twice. Make ids unique.")
        seen.add(entry["id"])
    return entries, profiles


def _unlisted_entry(path: Path, taken: set[str]) -> dict:
    """The entry of a file the manifest does not list: an id from its name, everything else read."""
    stem = re.sub(r"[^\w\-]+", "-", path.stem).strip("-").lower() or "document"
    doc_id, n = stem, 2
    while doc_id in taken:
        doc_id, n = f"{stem}-{n}", n + 1
    taken.add(doc_id)
    return {"id": doc_id, "file": path.name}


_FORMAT_PROFILES = {"pdf": "pdf", "html": "web"}  # how each format's text is cleaned unless the entry says


def _read_document(path: Path, entry: dict, profiles: dict[str, Profile], guess: bool, problems: list[str]) -> Document:
    """One file read (any format, rag.readers) and cleaned; pages it could not read go to ``problems``."""
    if path.suffix.lower() in {".txt", ".md"}:
        raw, read = decode_bytes(path.read_bytes(), entry["file"]), None
    else:
        read = read_file(path)
        raw = read.text
        if read.report:
            problems.append(read.report)
        if not raw.strip():
            raise CorpusError(f"{path.name} has no readable text.")
        entry = {**entry, "profile": entry.get("profile") or _FORMAT_PROFILES.get(read.format, "text")}
        if read.title and not entry.get("title") and guess:
            entry["title"] = read.title
    if "profile" not in entry and guess:
        entry = {**entry, "profile": guess_profile(raw, profiles)}
    doc = clean_document(raw, entry, profiles[entry.get("profile", "text")])
    if read and read.pages:
        doc = dataclasses.replace(doc, pages=page_offsets(doc.text, read.pages))
    return doc


def load_corpus(corpus_dir: Path) -> Corpus:
    """Read and clean every document of the folder.

    A file with a manifest entry gets the entry's metadata over what was read from its text; a
    file without one is indexed with what was read (a `CorpusWarning` says so). Entries without a
    file and undecodable files are skipped with a `CorpusWarning` (collected in
    ``Corpus.warnings``); an empty result is a `CorpusError`.
    """
    corpus_dir = Path(corpus_dir)
    entries, profiles = _read_manifest(corpus_dir)
    problems: list[str] = []
    listed = {e["file"] for e in entries}
    taken = {e["id"] for e in entries}
    for path in sorted(corpus_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in SUFFIXES and path.name != "SOURCES.md" and path.name not in listed:
            entry = _unlisted_entry(path, taken)
            entries.append(entry)
            problems.append(
                f"{path.name} has no entry in {MANIFEST_NAME}; it is indexed as {entry['id']!r} with the title, issuer "
                f"and date read from it (`rag documents` shows them). Add an entry to correct them."
            )
    documents = []
    for entry in entries:
        path = corpus_dir / entry["file"]
        if not path.exists():
            problems.append(f"{entry['file']} (document {entry['id']}) is listed in {MANIFEST_NAME} but missing.")
            continue
        try:
            documents.append(_read_document(path, entry, profiles, guess=entry["file"] not in listed, problems=problems))
        except CorpusError as exc:
            problems.append(f"{exc} It is not indexed.")
    for message in problems:
        warnings.warn(message, CorpusWarning, stacklevel=2)
    if not documents:
        raise CorpusError(
            f"No readable documents in {corpus_dir}. Add UTF-8 texts with entries in {MANIFEST_NAME}."
        )
    return Corpus(tuple(documents), corpus_fingerprint(corpus_dir), tuple(problems))
