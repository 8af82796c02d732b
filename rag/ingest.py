"""Corpus stage: read the manifest and the texts; `rag.cleaning` cleans them into paragraphs.

The manifest is optional: an entry's fields override what is read from a text,
and a text without an entry is indexed with what was read from it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from .cleaning import PUA_DECIMAL, clean_document, guess_profile, normalise  # noqa: F401 (the stage's API)
from .document import KINDS, Document, Paragraph  # noqa: F401
from .errors import CorpusError
from .profiles import BUILTIN, Profile, load_profiles
from .readers import SUFFIXES, page_offsets, read_file

CLEANING_VERSION = "7"  # 6: a report's speaker; 7: run-in headings without bold
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


_BOMS = (  # longest first: the UTF-32-LE mark begins with the UTF-16-LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode_bytes(raw: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 with a BOM, else GB18030 for legacy files;
    else an error naming the file. A decoding that yields mostly unlikely characters is refused."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return _plausible(raw.decode(encoding), name, encoding)
            except UnicodeDecodeError:
                raise CorpusError(f"{name} starts with a {encoding.upper()} byte-order mark but is not {encoding.upper()} text. Re-save it as UTF-8.") from None
    if b"\x00" in raw[:4096]:
        raise CorpusError(f"{name} looks like a binary file, not text. Save it as UTF-8 text.")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _plausible(text, name, encoding)
    raise CorpusError(f"{name} is neither UTF-8 nor GB18030 text. Re-save it as UTF-8.")


_TEXT_CONTROLS = set("\t\n\r\f\v")
MAX_CONTROL_SHARE = 0.01  # text has next to no control characters; binaries have many
# Of a GB18030 decoding, the share of ASCII or GB2312 characters: 99.9% in the corpus's texts,
# about 30% for random bytes, about 65% for traditional Chinese (which should come as UTF-8).
MIN_COMMON_SHARE = 0.8


def _plausible(text: str, name: str, encoding: str) -> str:
    """``text`` if it reads as text, else a `CorpusError`.

    Two signals, no word list: control characters (other than tabs, line and page
    breaks) are rare in any text; and a GB18030 decoding, which almost any byte
    string survives, must consist mostly of ASCII and the characters of GB2312
    (the 6,763 common hanzi, CJK punctuation, full-width forms): mojibake from a
    binary or a misread encoding is mostly rare hanzi and symbols.
    """
    sample = text[:200_000]
    if not sample.strip():
        return text
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in _TEXT_CONTROLS)
    if controls > MAX_CONTROL_SHARE * len(sample):
        raise CorpusError(
            f"{name} 含有大量控制字符，不像文本文件。({name} decoded as {encoding} has {controls} control "
            f"characters in {len(sample)}: it looks like a binary file. Save the document as UTF-8 text.)"
        )
    if encoding == "gb18030":
        letters = [ch for ch in sample if not ch.isspace()]
        common = sum(1 for ch in letters if ch.isascii() or _in_gb2312(ch))
        if letters and common < MIN_COMMON_SHARE * len(letters):
            raise CorpusError(
                f"{name} 按 GB18030 解码后多为生僻字符，可能是二进制文件或其他编码。(Read as GB18030, {name} is "
                f"mostly unlikely characters ({common / len(letters):.0%} common): it looks like a binary file or "
                "another encoding. Re-save it as UTF-8 text.)"
            )
    return text


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def corpus_fingerprint(corpus_dir: Path) -> str:
    """Hash of what a build reads: the manifest, every listed file, the cleaning rules."""
    h = hashlib.sha256(f"cleaning={CLEANING_VERSION}\n".encode())
    manifest = corpus_dir / MANIFEST_NAME
    if manifest.exists():
        h.update(manifest.read_bytes())
    for path in sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() in SUFFIXES):
        if path.name == "SOURCES.md" or not _inside(corpus_dir, path) or not path.is_file():
            continue  # a link out of the folder is never read (it could be /dev/zero)
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _inside(corpus_dir: Path, path: Path) -> bool:
    """Whether ``path``, links resolved, lies inside ``corpus_dir``."""
    return path.resolve().is_relative_to(corpus_dir.resolve())


def document_path(corpus_dir: Path, entry: dict, manifest: Path) -> Path:
    """The file of a manifest entry, or a `CorpusError`: only files inside the corpus folder are read.

    Absolute paths, ``..`` and symbolic links that lead out of the folder are refused, so a
    manifest cannot make the assistant index and show ``/etc/passwd``.
    """
    name = entry["file"]
    relative = Path(name)
    where = f"{manifest}: document {entry['id']!r} has file = {name!r}"
    if relative.is_absolute() or ".." in relative.parts:
        raise CorpusError(
            f"{where}，文件必须在语料文件夹内。({where}: the file must be inside {corpus_dir}; "
            "give its name relative to that folder, without '..'.)"
        )
    path = corpus_dir / relative
    if not _inside(corpus_dir, path):
        raise CorpusError(
            f"{where}，它链接到语料文件夹之外。({where}, a link that leads out of {corpus_dir} "
            f"to {path.resolve()}. Copy the text into the folder instead.)"
        )
    if path.is_dir():
        raise CorpusError(f"{where}，这是文件夹而不是文本文件。({where}, which is a folder, not a text file. Name the text file.)")
    return path


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
    entries = _entries(data, path)
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        _check_types(entry, i, path)
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


_TEXT_FIELDS = ("id", "file", "title", "kind", "issuer", "source", "author", "profile")


def _entries(data: dict, path: Path) -> list[dict]:
    """The ``[[document]]`` tables of a manifest, or a `CorpusError` saying how to write them."""
    entries = data.get("document", [])
    if isinstance(entries, dict):  # a single [document] table
        raise CorpusError(
            f"{path}: 文档条目要写成 [[document]]（两层方括号）。(Each entry must be a [[document]] table, "
            "with double brackets; [document] defines a single table. Write [[document]] above each entry.)"
        )
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise CorpusError(
            f"{path}: document 必须是 [[document]] 条目的列表。(`document` must be a list of [[document]] tables, "
            f"not {type(entries).__name__}. Write one [[document]] table per text, with id, file, title and kind.)"
        )
    return entries


def _check_types(entry: dict, i: int, path: Path) -> None:
    for key in _TEXT_FIELDS:
        if key in entry and not isinstance(entry[key], str):
            raise CorpusError(
                f"{path}: 第 {i + 1} 条的 {key} 必须是加引号的文字。(Entry {i + 1}: {key} = {entry[key]!r} must be "
                f'text in quotes, e.g. {key} = "{entry[key]}".)'
            )


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
        if path.suffix.lower() in SUFFIXES and path.name != "SOURCES.md" and path.name not in listed and not _inside(corpus_dir, path):
            problems.append(f"{path.name} links out of {corpus_dir}; it is not read. Copy the text into the folder instead.")
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES and path.name != "SOURCES.md" and path.name not in listed:
            entry = _unlisted_entry(path, taken)
            entries.append(entry)
            problems.append(
                f"{path.name} has no entry in {MANIFEST_NAME}; it is indexed as {entry['id']!r} with the title, issuer "
                f"and date read from it (`rag documents` shows them). Add an entry to correct them."
            )
    documents = []
    for entry in entries:
        path = document_path(corpus_dir, entry, corpus_dir / MANIFEST_NAME)
        if not path.exists():
            problems.append(f"{entry['file']} (document {entry['id']}) is listed in {MANIFEST_NAME} but missing.")
            continue
        try:
            doc = _read_document(path, entry, profiles, guess=entry["file"] not in listed, problems=problems)
        except OSError as exc:
            problems.append(f"{entry['file']} (document {entry['id']}) cannot be read ({exc.strerror}); it is not indexed.")
            continue
        except CorpusError as exc:
            problems.append(f"{exc} It is not indexed.")
            continue
        if not doc.paragraphs:
            problems.append(
                f"{entry['file']} (document {entry['id']}) 没有文字内容，未收录。(It has no text after cleaning, "
                "so it is not indexed. Put the document's text in it, or remove its entry.)"
            )
            continue
        documents.append(doc)
    for message in problems:
        warnings.warn(message, CorpusWarning, stacklevel=2)
    if not documents:
        raise CorpusError(
            f"No readable documents in {corpus_dir}. Add UTF-8 texts with entries in {MANIFEST_NAME}."
        )
    return Corpus(tuple(documents), corpus_fingerprint(corpus_dir), tuple(problems))
