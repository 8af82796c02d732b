"""Readers: every file format in, one `ReadFile` out (text with its heading structure, pages, table rows).

- ``.txt`` / ``.md``: decoded as text (UTF-8, else GB18030).
- ``.pdf`` (pypdf): text page by page; headings from the outline and from a font size above
  the body's; a page with no text, or whose text is mostly ``(cid:…)``, private-use or
  replacement characters, or not Chinese where the rest is, is OCR'd from its images when the
  ``ocr`` extra (RapidOCR, models inside its wheel) is installed, else reported by page and
  left out. No garbage is indexed.
- ``.docx`` (python-docx): heading styles give levels; a table row is one line "header: value".
- ``.html`` / ``.htm`` (lxml): scripts, styles, navigation and forms dropped; h1–h6 give levels.
- ``.ofd`` (GB/T 33190, a zip of XML): the text objects of each page, in order.
- ``.doc``: converted by antiword or LibreOffice when installed, else refused naming them.

Headings are written as Markdown marks ("## 一、总体要求"), the cue `rag.cleaning` reads.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError

SUFFIXES = {".txt", ".md", ".pdf", ".docx", ".doc", ".html", ".htm", ".ofd"}


@dataclass(frozen=True)
class Page:
    """One page's text as read (None for formats without pages)."""

    number: int
    text: str


@dataclass(frozen=True)
class PageProblem:
    """A page left out: its number and why ("no text layer", "garbled text: …")."""

    number: int
    reason: str


@dataclass(frozen=True)
class ReadFile:
    """A file read: its text (headings as Markdown marks, one table row a line), its pages, what was
    left out and the title its properties give."""

    name: str
    format: str
    text: str
    pages: tuple[Page, ...] = ()
    problems: tuple[PageProblem, ...] = ()
    title: str = ""
    ocr_pages: tuple[int, ...] = ()

    @property
    def report(self) -> str:
        """The pages left out, by name and page, for the build's warnings ("" when none)."""
        if not self.problems:
            return ""
        pages = "; ".join(f"第{p.number}页 (page {p.number}): {p.reason}" for p in self.problems)
        return (
            f"{self.name}: {len(self.problems)} page(s) not indexed — {pages}. Install the OCR extra "
            "(pip install 'zj-policy-rag[ocr]') to read scanned pages, or replace the file with one that has a text layer."
        )


def read_file(path: Path, raw: bytes | None = None) -> ReadFile:
    """Read one file of any supported format; a `CorpusError` names the file and what to do.
    A file this process has read before (same name, same bytes) is not read again."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CorpusError(f"{path.name}: files of type {suffix or '(none)'} cannot be read; use one of {', '.join(sorted(SUFFIXES))}.")
    raw = path.read_bytes() if raw is None else raw
    if suffix in {".txt", ".md"}:
        from .ingest import decode_bytes

        return ReadFile(path.name, suffix[1:], decode_bytes(raw, path.name))
    from . import paged
    from .paged import read_ofd, read_pdf

    # A file read before, byte for byte, is not read again (a rebuild after one upload re-reads only it).
    key = (path.name, hashlib.sha256(raw).hexdigest(), id(paged._ocr_engine))
    with _read_lock:
        if key in _read_before:
            _read_before.move_to_end(key)
            return _read_before[key]
    readers = {".pdf": read_pdf, ".docx": _read_docx, ".html": _read_html, ".htm": _read_html, ".ofd": read_ofd, ".doc": _read_doc}
    try:
        read = readers[suffix](path.name, raw)
    except CorpusError:
        raise
    except Exception as exc:  # a damaged file: the library's own message, named
        raise CorpusError(f"{path.name} cannot be read as {suffix[1:].upper()} ({type(exc).__name__}: {exc}). Check the file.") from None
    if not read.problems:  # a page left out may read another time (the OCR extra installed since): not kept
        with _read_lock:
            _read_before[key] = read
            while len(_read_before) > READ_KEEP:
                _read_before.popitem(last=False)
    return read


READ_KEEP = 256  # files whose reading this process keeps (a ReadFile is the file's text: ~100 KB each at most here)
_read_before: "OrderedDict[tuple[str, str, int], ReadFile]" = OrderedDict()
_read_lock = threading.Lock()


# ---------------------------------------------------------------- pages


def page_offsets(text: str, pages: tuple[Page, ...]) -> tuple[tuple[int, int], ...]:
    """Where each page begins in a cleaned document's ``text``: (offset, page number), in order.

    Cleaning joins lines and drops furniture, so each page's opening characters (letters and
    digits only) are looked for in the cleaned text, after the previous page's start."""
    from .cleaning import normalise

    keep = [(i, ch) for i, ch in enumerate(text) if ch.isalnum()]
    squashed = "".join(ch for _, ch in keep)
    out: list[tuple[int, int]] = []
    cursor = 0
    for page in pages:
        plain = "".join(ch for ch in normalise(re.sub(r"(?m)^#+\s*", "", page.text)) if ch.isalnum())
        for begin in range(0, min(len(plain), 60), 6):  # a dropped header line: try further in
            key = plain[begin : begin + 10]
            pos = squashed.find(key, cursor) if len(key) >= 4 else -1
            if pos >= 0:
                out.append((keep[pos][0], page.number))
                cursor = pos + 1
                break
    if out:
        out[0] = (0, out[0][1])  # the text before the first page found is on that page
    return tuple(out)


# ---------------------------------------------------------------- formats


def _read_docx(name: str, raw: bytes) -> ReadFile:
    import docx

    document = docx.Document(io.BytesIO(raw))
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = docx.text.paragraph.Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            if style == "Title":
                lines.append(f"# {text}")
            elif m:
                lines.append(f"{'#' * (int(m.group(1)) + 1)} {text}")
            else:
                lines.append(text)
        elif tag == "tbl":
            lines.extend(table_rows([[c.text for c in row.cells] for row in docx.table.Table(child, document).rows]))
    title = document.core_properties.title or ""
    return ReadFile(name, "docx", "\n".join(lines), title=title)


def table_rows(rows: list[list[str]]) -> list[str]:
    """A table as lines, one per row, each with its header: "指标: 数字经济核心产业增加值；2025年: 10%。"."""
    rows = [[re.sub(r"\s+", " ", cell).strip() for cell in row] for row in rows if any(c.strip() for c in row)]
    if len(rows) < 2:
        return ["；".join(c for c in row if c) + "。" for row in rows]
    header, out = rows[0], []
    for row in rows[1:]:
        cells = [f"{h}: {v}" if h and h != v else v for h, v in zip(header, row) if v]
        out.append("；".join(cells) + "。")
    return out


def _read_html(name: str, raw: bytes) -> ReadFile:
    import lxml.html

    from .ingest import decode_bytes

    # The page's declared charset, else UTF-8, else GB18030 (lxml alone would guess Latin-1).
    declared = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", raw[:4096], re.I)
    try:
        text = raw.decode(declared.group(1).decode()) if declared else decode_bytes(raw, name)
    except (LookupError, UnicodeDecodeError):
        text = decode_bytes(raw, name)
    tree = lxml.html.document_fromstring(text)
    for bad in tree.xpath("//script|//style|//nav|//form|//noscript|//iframe|//button|//select"):
        bad.drop_tree()
    title = (tree.findtext(".//title") or "").strip()
    lines: list[str] = []
    blocks = {"p", "div", "li", "td", "th", "br", "section", "article", "blockquote", "pre", "dd", "dt", "span"}
    for el in tree.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            text = re.sub(r"\s+", " ", el.text_content()).strip()
            if text:
                lines.append(f"{'#' * int(tag[1])} {text}")
        elif tag == "table":
            rows = [[c.text_content() for c in tr.xpath("./th|./td")] for tr in el.xpath(".//tr")]
            lines.extend(table_rows(rows))
        elif tag in blocks and not el.xpath("ancestor::table|ancestor::h1|ancestor::h2|ancestor::h3|ancestor::h4|ancestor::h5|ancestor::h6"):
            # Only the element's own text and its children's tails: nested blocks are visited themselves.
            own = [el.text or ""] + [
                (child.text_content() if child.tag in {"a", "b", "strong", "em", "i", "font", "u", "sup", "sub"} else "") + (child.tail or "")
                for child in el
                if isinstance(child.tag, str)
            ]
            text = re.sub(r"\s+", " ", "".join(own)).strip()
            if text:
                lines.append(text)
    return ReadFile(name, "html", "\n".join(lines), title=title)


def _read_doc(name: str, raw: bytes) -> ReadFile:
    """Old Word: antiword, else LibreOffice; neither installed is a clear refusal."""
    antiword, office = shutil.which("antiword"), shutil.which("soffice") or shutil.which("libreoffice")
    if not antiword and not office:
        raise CorpusError(
            f"{name} is an old Word .doc file and no converter is installed. Install antiword or LibreOffice "
            "(apt-get install antiword), or save it as .docx, then add it again."
        )
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.doc"
        src.write_bytes(raw)
        if antiword:
            out = subprocess.run([antiword, "-m", "UTF-8.txt", str(src)], capture_output=True, timeout=120)
            if out.returncode == 0:
                return ReadFile(name, "doc", out.stdout.decode("utf-8", "replace"))
        if office:
            subprocess.run([office, "--headless", "--convert-to", "docx", "--outdir", tmp, str(src)], capture_output=True, timeout=300)
            converted = Path(tmp) / "in.docx"
            if converted.exists():
                read = _read_docx(name, converted.read_bytes())
                return ReadFile(name, "doc", read.text, title=read.title)
    raise CorpusError(f"{name}: the .doc converter failed on this file. Save it as .docx and add it again.")
