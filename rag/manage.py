"""Managing the library folder: list what was read, add files, remove a document.

Adding checks a file completely (it is read and cleaned) before anything is copied, and
copies atomically, so a bad file is refused with its reason and the folder (and the live
index built from it) is unchanged. `rag.build.build_index` then rebuilds atomically,
embedding only passages it has not embedded before.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .document import KINDS, Document
from .errors import CorpusError
from .ingest import MANIFEST_NAME, load_corpus
from .readers import SUFFIXES, read_file

MAX_BYTES = 100 * 1024 * 1024  # larger files are refused: no policy document is this big
MAX_ZIP_MEMBERS = 500  # files in one uploaded folder (zip)
MAX_ZIP_RATIO = 100  # a member that unpacks to more than this many times its packed size is a bomb…
_RATIO_FLOOR = 1024 * 1024  # …once it unpacks to more than 1 MB (small texts compress well)
# Record fields an administrator may correct (the manifest entry's keys; rag.metadata.OVERRIDABLE and the document's own).
EDITABLE = ("title", "issuer", "date", "kind", "doc_number", "effective", "repealed", "superseded_by")
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
        _check_indexable(file)
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


def _check_indexable(file: Path) -> None:
    """Refuse a file the build would skip (no text left once cleaned…), with the build's reason: it is
    read and cleaned as the build will, alone in a scratch folder (a file read before is not read again)."""
    with tempfile.TemporaryDirectory(prefix="rag-check-") as tmp:
        alone = Path(tmp) / file.name
        try:
            os.link(file, alone)
        except OSError:
            shutil.copyfile(file, alone)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                load_corpus(Path(tmp))
            except CorpusError:
                said = [str(w.message) for w in caught if f"no entry in {MANIFEST_NAME}" not in str(w.message)]
                raise CorpusError(" ".join(said) or f"{file.name} has no text to index. Check the file.") from None


def _document(corpus_dir: Path, doc_id: str):
    """The library's document ``doc_id``, or a `CorpusError` naming the ones it has."""
    docs, _ = list_documents(corpus_dir)
    match = next((d.document for d in docs if d.document.doc_id == doc_id), None)
    if match is None:
        known = ", ".join(d.document.doc_id for d in docs)
        raise CorpusError(f"没有文件 {doc_id!r}。(No document {doc_id!r} in {corpus_dir}; the documents are: {known}.)")
    return match


def remove_document(corpus_dir: Path, doc_id: str) -> Path:
    """Delete a document's file and its manifest entry (if it has one); returns the file removed."""
    corpus_dir = Path(corpus_dir)
    match = _document(corpus_dir, doc_id)
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


def unpack_zip(archive: Path, dest: Path) -> list[Path]:
    """The files of a zipped folder, written flat into ``dest``; refused whole (nothing kept) when a member
    names a path outside the folder (``../``, absolute, a link), two members share a name, or it unpacks to
    more than the library takes (a zip bomb; sizes are counted as written, not taken from the headers)."""
    archive, dest = Path(archive), Path(dest)
    name = archive.name
    try:
        z = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorpusError(f"{name} 不是完整的 zip 文件。({name} is not a readable zip archive ({exc}); zip the folder again.)") from None
    written: list[Path] = []
    try:
        with z:
            members = [i for i in z.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
            if len(members) > MAX_ZIP_MEMBERS:
                raise CorpusError(f"{name} 含 {len(members)} 个文件，超过 {MAX_ZIP_MEMBERS} 个。({name} holds {len(members)} files; "
                                  f"upload at most {MAX_ZIP_MEMBERS} at a time.)")
            seen: set[str] = set()
            for info in members:
                parts = info.filename.replace("\\", "/").split("/")
                if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0] or (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise CorpusError(f"{name} 中的 {info.filename!r} 指向文件夹以外，整个压缩包未收录。({name}: the member "
                                      f"{info.filename!r} names a path outside the folder (or a link); nothing was added. Zip the folder itself.)")
                base = parts[-1]
                if base in seen:
                    raise CorpusError(f"{name} 中有两个文件都叫 {base}。({name} holds two files named {base}; the library is one folder: rename one.)")
                seen.add(base)
            total = 0
            for info in members:
                base = info.filename.replace("\\", "/").split("/")[-1]
                if base.startswith("."):
                    continue  # .DS_Store and the like
                target = dest / base
                size = 0
                with z.open(info) as src, open(target, "wb") as out:
                    written.append(target)
                    while chunk := src.read(1 << 20):
                        size += len(chunk)
                        total += len(chunk)
                        packed = max(info.compress_size, 1)
                        if size > MAX_BYTES or total > 2 * MAX_BYTES or (size > _RATIO_FLOOR and size > MAX_ZIP_RATIO * packed):
                            raise CorpusError(f"{name} 解压后过大（疑似压缩炸弹），未收录。({name} unpacks to more than the library takes "
                                              f"({info.filename} alone passes {size // 2**20} MB, packed {info.compress_size:,} bytes): "
                                              f"a zip bomb or not a folder of documents. Nothing was added.)")
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise CorpusError(f"{name} 已损坏或已加密。({name} is damaged or encrypted ({exc}); zip the folder again without a password.)") from None
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def set_metadata(corpus_dir: Path, doc_id: str, values: dict[str, str]) -> Path:
    """Correct a document's record: its manifest entry gets ``values`` (an empty value removes the field, so
    what was read from the text applies again); an unlisted document gets an entry. Written atomically,
    after the new manifest has been parsed back and found to say exactly this; returns the manifest."""
    corpus_dir = Path(corpus_dir)
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise CorpusError(f"不能修改 {', '.join(unknown)}。(These fields cannot be set: {', '.join(unknown)}; use {', '.join(EDITABLE)}.)")
    values = {k: str(v).strip() for k, v in values.items()}
    for key, value in values.items():
        if any(c in value for c in "\r\n\x00"):
            raise CorpusError(f"{key} 只能写一行。({key} must be one line of text.)")
    if values.get("kind") and values["kind"] not in KINDS:
        raise CorpusError(f"类别 {values['kind']!r} 不可用。(kind {values['kind']!r} is not one of {', '.join(KINDS)}.)")
    match = _document(corpus_dir, doc_id)
    manifest = corpus_dir / MANIFEST_NAME
    text = manifest.read_text(encoding="utf-8") if manifest.exists() else ""
    blocks = re.split(r"(?m)^(?=\[\[document\]\]|\[profile)", text)
    own = re.compile(rf"""(?m)^id\s*=\s*["']{re.escape(doc_id)}["']\s*$""")
    at = next((i for i, b in enumerate(blocks) if b.startswith("[[document]]") and own.search(b)), None)
    if at is None:  # a document read without an entry: give it one, placed before any [profile] table
        block = f"[[document]]\nid = {json.dumps(doc_id, ensure_ascii=False)}\nfile = {json.dumps(match.file, ensure_ascii=False)}\n"
        at = next((i for i, b in enumerate(blocks) if b.startswith("[profile")), len(blocks))
        if at and not blocks[at - 1].endswith("\n\n"):
            blocks[at - 1] = blocks[at - 1].rstrip("\n") + "\n\n" if blocks[at - 1].strip() else blocks[at - 1]
        blocks.insert(at, block + ("\n" if at < len(blocks) else ""))
    blocks[at] = _with_fields(blocks[at], values)
    new = "".join(blocks)
    import tomllib

    try:
        entry = next(e for e in tomllib.loads(new).get("document", []) if e.get("id") == doc_id)
    except (tomllib.TOMLDecodeError, StopIteration) as exc:
        raise CorpusError(f"{manifest} could not be updated safely ({exc}); it is unchanged. Correct it by hand.") from None
    if any(entry.get(k, "") != v for k, v in values.items()):
        raise CorpusError(f"{manifest} could not be updated safely; it is unchanged. Correct it by hand.")
    fd, tmp = tempfile.mkstemp(dir=corpus_dir, prefix=".manifest-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(new)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, manifest)
    return manifest


def _with_fields(block: str, values: dict[str, str]) -> str:
    """A [[document]] block with each key's line set to its value (a TOML string), or dropped when empty."""
    lines = block.split("\n")
    for key, value in values.items():
        line = f"{key} = {json.dumps(value, ensure_ascii=False)}"  # a JSON string is a TOML basic string
        at = next((i for i, ln in enumerate(lines) if re.match(rf"{key}\s*=", ln)), None)
        if at is not None:
            lines[at : at + 1] = [line] if value else []
        elif value:
            last = max(i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#"))
            lines.insert(last + 1, line)
    return "\n".join(lines)


class Rollback:
    """Undo for one change to the library folder: files that existed are kept (hard links, or copies)
    before they are replaced or removed; ``undo`` puts them back and deletes files the change added."""

    def __init__(self, corpus_dir: Path) -> None:
        self.dir = Path(corpus_dir)
        self.before = {p.name for p in self.dir.iterdir()}
        self.backup = Path(tempfile.mkdtemp(dir=self.dir, prefix=".undo-"))
        self.saved: set[str] = set()
        self.closed = False

    def keep(self, name: str) -> None:
        """Keep the file ``name`` as it is now (before the change touches it)."""
        path = self.dir / name
        if name in self.saved or name not in self.before or not path.is_file():
            return
        try:
            os.link(path, self.backup / name)
        except OSError:
            shutil.copy2(path, self.backup / name)
        self.saved.add(name)

    def undo(self) -> None:
        if self.closed:
            return
        for path in self.dir.iterdir():
            if path.name not in self.before and path != self.backup and path.is_file():
                path.unlink()
        for name in self.saved:
            os.replace(self.backup / name, self.dir / name)
        self.done()

    def done(self) -> None:
        """Forget the kept files (the change stands); undo and done do nothing after either."""
        self.closed = True
        shutil.rmtree(self.backup, ignore_errors=True)
