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
KINDS = {
    "policy": "政策文件",
    "law": "法规规章",
    "report": "工作报告",
    "speech": "讲话",
    "commentary": "解读文章",
    "news": "新闻报道",
}
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
    for path in sorted(corpus_dir.glob("*.txt")) + sorted(corpus_dir.glob("*.md")):
        if path.name == "SOURCES.md":
            continue
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


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
    entries = data.get("document", [])
    seen: set[str] = set()
    for i, entry in enumerate(entries):
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
        path = corpus_dir / entry["file"]
        if not path.exists():
            problems.append(f"{entry['file']} (document {entry['id']}) is listed in {MANIFEST_NAME} but missing.")
            continue
        try:
            raw = decode_bytes(path.read_bytes(), entry["file"])
        except CorpusError as exc:
            problems.append(f"{exc} It is not indexed.")
            continue
        documents.append(clean_document(raw, entry))
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
