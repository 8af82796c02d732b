"""Corpus stage: read the manifest and the texts, clean them into paragraphs.

Cleaning undoes what extraction did to the texts (see corpus/SOURCES.md):
the private-use decimal point, full-width forms (NFKC), PDF hard wraps, stray
spaces inside numbers and words, scraped page furniture, editor's asides,
markdown markup, a machine-written FAQ, and a signature/distribution block
(kept as metadata, never as an answerable passage).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError

CLEANING_VERSION = "4"
MANIFEST_NAME = "manifest.toml"
KINDS = {"policy": "政策文件", "speech": "讲话", "commentary": "解读文章", "news": "新闻报道"}
PROFILES = {"pdf", "web", "text"}
PUA_DECIMAL = "\ue010"  # stands for "." in the 2022 guideline's PDF extraction


class CorpusWarning(UserWarning):
    """Something in the corpus was skipped; the build goes on without it."""


@dataclass(frozen=True)
class Paragraph:
    """A cleaned paragraph; ``start`` is its offset in ``Document.text``.

    ``lead`` is the paragraph's lead sentence when the source marks it as a
    heading (a bold lead such as "**实体制造挑起大梁。**"), else None.
    """

    text: str
    start: int
    lead: str | None = None
    # True when the lead opened a sub-point inside a longer paragraph.
    sublead: bool = False


@dataclass(frozen=True)
class Document:
    """One source document, cleaned, with its manifest metadata."""

    doc_id: str
    title: str
    issuer: str
    date: str
    kind: str
    source: str
    file: str
    paragraphs: tuple[Paragraph, ...]
    # Text kept out of the index: signature block, page header, machine FAQ.
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def text(self) -> str:
        """The whole cleaned text, paragraphs separated by blank lines."""
        return "\n\n".join(p.text for p in self.paragraphs)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


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
    for path in sorted(corpus_dir.glob("*.txt")) + sorted(corpus_dir.glob("*.md")):
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


def _read_manifest(corpus_dir: Path) -> list[dict]:
    path = corpus_dir / MANIFEST_NAME
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist. Create it and add documents.")
    if not path.exists():
        raise CorpusError(
            f"{path} is missing. Add a [[document]] entry (id, file, title, kind) for each text."
        )
    try:
        data = tomllib.loads(decode_bytes(path.read_bytes(), str(path)))
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{path} is not valid TOML ({exc}). Correct it and build again.") from None
    entries = _entries(data, path)
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        _check_types(entry, i, path)
        missing = [k for k in ("id", "file", "title", "kind") if not entry.get(k)]
        if missing:
            raise CorpusError(f"{path}: entry {i + 1} lacks {', '.join(missing)}. Fill them in.")
        if entry["kind"] not in KINDS:
            raise CorpusError(
                f"{path}: document {entry['id']} has kind {entry['kind']!r}; use one of {', '.join(KINDS)}."
            )
        if entry.get("profile", "text") not in PROFILES:
            raise CorpusError(
                f"{path}: document {entry['id']} has profile {entry['profile']!r}; use one of {', '.join(sorted(PROFILES))}."
            )
        if entry["id"] in seen:
            raise CorpusError(f"{path}: document id {entry['id']!r} is used twice. Make ids unique.")
        seen.add(entry["id"])
    return entries


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
    """Read and clean every document listed in the manifest.

    Files without an entry, entries without a file and undecodable files are
    skipped with a `CorpusWarning` (collected in ``Corpus.warnings``); an empty
    result is a `CorpusError`.
    """
    corpus_dir = Path(corpus_dir)
    entries = _read_manifest(corpus_dir)
    problems: list[str] = []
    listed = {e["file"] for e in entries}
    for path in sorted(corpus_dir.iterdir()):
        if path.is_file() and path.suffix in {".txt", ".md"} and path.name != "SOURCES.md" and path.name not in listed:
            problems.append(f"{path.name} has no entry in {MANIFEST_NAME}; it is not indexed. Add an entry to include it.")
    documents = []
    for entry in entries:
        path = document_path(corpus_dir, entry, corpus_dir / MANIFEST_NAME)
        if not path.exists():
            problems.append(f"{entry['file']} (document {entry['id']}) is listed in {MANIFEST_NAME} but missing.")
            continue
        try:
            raw = decode_bytes(path.read_bytes(), entry["file"])
        except OSError as exc:
            problems.append(f"{entry['file']} (document {entry['id']}) cannot be read ({exc.strerror}); it is not indexed.")
            continue
        except CorpusError as exc:
            problems.append(f"{exc} It is not indexed.")
            continue
        doc = clean_document(raw, entry)
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


# ---------------------------------------------------------------- cleaning

_CJK = r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’"
_HEADING_START = re.compile(r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d{1,2}\.(?!\d))")
_TERMINAL = "。！？!?；;：:”」）)"
_WEB_FURNITURE = {"文章内容", "思维导图", "常见问题", "社交分享"}
_FAQ_START = re.compile(r"^(?:思维导图生成中|问题\s*\d+\s*[:：])")
_ASIDE = re.compile(r"\((?=[^()]*[\u4e00-\u9fff])[^()]{6,}\)")
_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
_META_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:\s+\d{1,2}:\d{2})?$")
_URL_LINE = re.compile(r"^https?://\S+$")


def normalise(text: str) -> str:
    """Character-level normalisation shared by documents and queries.

    The private-use decimal point becomes ".", then NFKC turns full-width digits,
    letters and punctuation into their plain forms; stray spaces are removed
    except between two ASCII letters or digits (so "2 .5 %" is "2.5%", but
    "22:25" in "2023-10-24 22:25" keeps its space).
    """
    text = text.replace(PUA_DECIMAL, ".")
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    # Spaces survive only between two ASCII alphanumerics ("AI chip", "2023-10-24 22:25").
    text = re.sub(r"(?<![A-Za-z0-9]) +| +(?![A-Za-z0-9])", "", text)
    return text


def _strip_markup(text: str) -> str:
    text = re.sub(r"^#{1,6}\s*", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return text.replace("**", "").replace("__", "")


def _join_pdf_lines(lines: list[str]) -> list[str]:
    """Re-join hard-wrapped PDF lines into paragraphs.

    A justified PDF line is full unless it ends a paragraph, so a line much
    shorter than the usual width ends its paragraph (or is a heading); a line
    is also ended before the next numbered heading. Everything else is a wrap
    and is joined with no space (Chinese has none between words).
    """
    if not lines:
        return []
    widths = sorted(len(line) for line in lines)
    full = widths[int(len(widths) * 0.9) - 1 if len(widths) > 1 else 0]
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        current += line
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        short = len(line) < 0.85 * full
        heading_line = bool(_HEADING_START.match(line)) and "。" not in line and short
        # A short unpunctuated line after a finished sentence is an unnumbered heading.
        heading_next = line.endswith("。") and len(nxt) < 0.85 * full and not nxt.endswith(tuple(_TERMINAL))
        if not nxt or short or heading_line or heading_next or _HEADING_START.match(nxt):
            paragraphs.append(current)
            current = ""
    return paragraphs


def _is_keyword_line(line: str) -> bool:
    """A scraped tag line such as "制造业 工业化 创新 绿色制造"."""
    words = line.split()
    return len(words) >= 4 and all(len(w) <= 8 and not re.search(f"[{_TERMINAL},，、]", w) for w in words)


def _clean_web(lines: list[str], metadata: dict[str, str]) -> list[str]:
    """Drop page furniture, the header above it, editor's asides and the trailing FAQ."""
    furniture = [i for i, line in enumerate(lines) if line.strip() in _WEB_FURNITURE]
    if furniture:
        header = [line for line in lines[: furniture[0]] if line.strip()]
        metadata["page_header"] = "\n".join(header)
        lines = lines[furniture[-1] + 1 :]
    body: list[str] = []
    for i, line in enumerate(lines):
        if _FAQ_START.match(line.strip()):
            metadata["machine_faq"] = "\n".join(line for line in lines[i:] if line.strip())
            break
        if line.strip() in _WEB_FURNITURE or _is_keyword_line(line.strip()):
            continue
        body.append(_ASIDE.sub("", line))
    return body


def _split_inner_leads(text: str) -> list[str]:
    """Split a paragraph before each bold lead sentence inside it ("…。**要优化…机制。**…")."""
    cuts = [
        m.start()
        for m in re.finditer(r"\*\*([^*]+?)\*\*", text)  # bold spans, paired left to right
        if m.start() > 0
        and text[m.start() - 1] in "。；;"
        and re.fullmatch(r"[^。]{2,40}[。！？]", m.group(1))
        # "二是…三是…" continue one enumerated list: keep it in one paragraph
        and not re.match(r"[一二三四五六七八九十]是", m.group(1))
    ]
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if text[a:b]]


def _lead_of(text: str) -> str | None:
    """The bold lead sentence that opens a paragraph, without its full stop."""
    m = re.match(r"^\*\*([^*。]{2,40}?)。", text)
    return m.group(1) if m else None


def _short_lead(text: str) -> str | None:
    """An unmarked lead sentence ("产业集群势头良好。"): short, no commas."""
    m = re.match(r"^([^。,，、;；:：\"“”()]{4,14})。", text)
    return m.group(1) if m and len(text) > len(m.group(0)) + 20 else None


def _squash(text: str) -> str:
    """Text without spaces and punctuation, for comparing a line with the title."""
    return re.sub(r"[\s\u3000-\u303f\uff00-\uffef“”‘’,.;:!?()\[\]【】《》、\-\"'*]", "", text)


def clean_document(raw: str, entry: dict) -> Document:
    """Turn one raw text into a `Document` of cleaned paragraphs."""
    profile = entry.get("profile", "text")
    title, issuer = entry["title"], entry.get("issuer", "")
    metadata: dict[str, str] = {}
    lines = [line.strip() for line in normalise(raw).split("\n")]
    if profile == "web":
        lines = _clean_web(lines, metadata)
    lines = [line for line in lines if line]
    paragraphs = _join_pdf_lines(lines) if profile == "pdf" else lines

    # Lines that only repeat the metadata: title, author, date, URL.
    title_key = _squash(unicodedata.normalize("NFKC", title))
    names = {_squash(unicodedata.normalize("NFKC", n)) for n in (issuer, entry.get("author", "")) if n}
    kept: list[str] = []
    for i, para in enumerate(paragraphs):
        plain = _strip_markup(para).strip()
        key = _squash(plain)
        if i < 4 and key and (key in title_key or title_key in key or key in names) and len(plain) < 80:
            continue
        if _URL_LINE.match(plain) or _META_DATE.match(plain):
            metadata.setdefault("source_lines", "")
            metadata["source_lines"] += plain + "\n"
            continue
        kept.append(para)

    # The signature, date and distribution list at the end are metadata.
    issuer_keys = names | {_squash(unicodedata.normalize("NFKC", issuer.split("（")[0]))}
    for i in range(max(0, len(kept) - 8), len(kept)):
        plain = _strip_markup(kept[i]).strip()
        if _squash(plain) in issuer_keys or _DATE_LINE.match(plain) or plain.startswith("抄送"):
            metadata["signature"] = "\n".join(_strip_markup(p).strip() for p in kept[i:])
            kept = kept[:i]
            break

    bold_leads = sum(1 for p in kept if _lead_of(p))
    result: list[Paragraph] = []
    offset = 0
    for para in kept:
        for n, piece in enumerate(_split_inner_leads(para)):
            lead = _lead_of(piece)
            text = _strip_markup(piece).strip()
            if not re.search(r"[\w\u4e00-\u9fff]", text):
                continue  # what an aside left behind, e.g. a lone "。"
            if lead is None and bold_leads >= 2:
                lead = _short_lead(text)  # same heading style, bold lost in scraping
            result.append(Paragraph(text=text, start=offset, lead=lead, sublead=n > 0 and lead is not None))
            offset += len(text) + 2
    return Document(
        doc_id=entry["id"],
        title=title,
        issuer=issuer,
        date=str(entry.get("date", "")),
        kind=entry["kind"],
        source=entry.get("source", ""),
        file=entry.get("file", ""),
        paragraphs=tuple(result),
        metadata=metadata,
    )
