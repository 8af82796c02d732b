"""Paged formats: PDF (pypdf) and OFD (GB/T 33190, a zip of XML), read page by page.

A page is judged on its own: one with no text, or whose text is mostly ``(cid:…)``,
private-use or replacement characters, or not Chinese where the rest of the document is,
is OCR'd from its images when the ``ocr`` extra (RapidOCR) is installed, else reported by
page and left out, so no garbage is indexed.
"""

from __future__ import annotations

import io
import re
import zipfile

from .errors import CorpusError
from .readers import Page, PageProblem, ReadFile

_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*/\s*\d{1,4})?[-—–\s]*$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BAD = re.compile(r"\(cid:\d+\)|[\ue000-\uf8ff\ufffd]")
MAX_UNPACKED = 200 * 1024 * 1024  # an OFD that unpacks to more is refused (a zip bomb)



def page_problem(text: str, document_cjk: float) -> str | None:
    """Why a page's text cannot be indexed, or None: no text, mostly (cid:…)/private-use/replacement
    characters, or not Chinese where the rest of the document (``document_cjk``, its share of CJK) is."""
    visible = re.sub(r"\s", "", text)
    if not visible:
        return "no text layer (a scanned page?)"
    bad = sum(len(m.group(0)) for m in _BAD.finditer(visible))
    if bad / len(visible) > 0.3:
        return "garbled text: (cid:…), private-use or replacement characters (a broken font map)"
    if len(_CONTROL.findall(visible)) / len(visible) > 0.05:
        return "garbled text: control characters (a font without a Unicode map)"
    letters = re.sub(r"[\d\W_]", "", visible)
    if document_cjk > 0.5 and len(letters) >= 20 and len(_CJK.findall(letters)) / len(letters) < 0.1:
        return "garbled text: not Chinese where the rest of the document is (a broken font map)"
    return None


def _cjk_share(texts: list[str]) -> float:
    letters = re.sub(r"[\d\W_]", "", "".join(texts))
    return len(_CJK.findall(letters)) / len(letters) if letters else 0.0


def _ocr_engine():
    """RapidOCR when the ``ocr`` extra is installed (its models ship in the wheel), else None."""
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        return None
    return RapidOCR()


def _ocr_images(engine, images: list[bytes]) -> str:
    lines = []
    for data in images:
        result, _ = engine(data)
        lines.extend(item[1] for item in result or [])
    return "\n".join(lines)


def read_pdf(name: str, raw: bytes) -> ReadFile:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(raw))
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise CorpusError(f"{name} is an encrypted PDF. Save an unencrypted copy and add that.")
        except NotImplementedError:
            raise CorpusError(f"{name} is an encrypted PDF. Save an unencrypted copy and add that.") from None
    outline = _outline_titles(reader)
    pages_lines: list[list[tuple[str, float]]] = [_pdf_lines(page) for page in reader.pages]
    sizes = sorted(size for lines in pages_lines for text, size in lines for _ in text)
    body = sizes[len(sizes) // 2] if sizes else 0.0
    texts = ["\n".join(t for t, _ in lines) for lines in pages_lines]
    share = _cjk_share(texts)
    engine = None
    pages, problems, ocr = [], [], []
    for number, (page, lines) in enumerate(zip(reader.pages, pages_lines), 1):
        reason = page_problem(texts[number - 1], share)
        if reason:
            engine = engine or _ocr_engine()
            images = [img.data for img in page.images] if engine else []
            text = _ocr_images(engine, images) if images else ""
            if text.strip():
                ocr.append(number)
                pages.append(Page(number, text))
            else:
                problems.append(PageProblem(number, reason))
            continue
        out = []
        for i, (text, size) in enumerate(lines):
            if _PAGE_NUMBER.match(text) and (i == 0 or i == len(lines) - 1):
                continue  # a printed page number
            squashed = re.sub(r"\s", "", text)
            if squashed in outline or (body and size >= body * 1.2 and len(squashed) <= 40):
                level = outline.get(squashed, 2 if size < body * 1.5 else 1)
                out.append(f"{'#' * (level + 1)} {text}")
            else:
                out.append(text)
        pages.append(Page(number, "\n".join(out)))
    title = str((reader.metadata or {}).get("/Title", "") or "")
    return ReadFile(name, "pdf", "\n".join(p.text for p in pages), tuple(pages), tuple(problems), title, tuple(ocr))


def _pdf_lines(page) -> list[tuple[str, float]]:
    """The page's lines with the font size each was set in (pypdf's text visitor)."""
    pieces: list[tuple[str, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        scale = abs(tm[3]) if tm and tm[3] else 1.0
        pieces.append((text, float(font_size) * scale))

    text = page.extract_text(visitor_text=visit) or ""
    # Sizes by line: the largest size a line's pieces were set in.
    lines: list[tuple[str, float]] = []
    current, size = "", 0.0
    for piece, piece_size in pieces:
        for k, part in enumerate(piece.split("\n")):
            if k:
                if current.strip():
                    lines.append((current.strip(), size))
                current, size = "", 0.0
            if part.strip():
                current += part
                size = max(size, piece_size)
    if current.strip():
        lines.append((current.strip(), size))
    if not lines and text.strip():
        lines = [(line.strip(), 0.0) for line in text.split("\n") if line.strip()]
    return lines


def _outline_titles(reader) -> dict[str, int]:
    """Outline (bookmark) titles, without spaces, with their depth (1 = top)."""
    titles: dict[str, int] = {}

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            elif getattr(item, "title", None):
                titles[re.sub(r"\s", "", item.title)] = depth

    try:
        walk(reader.outline, 1)
    except Exception:  # a broken outline is no reason to lose the text
        return {}
    return titles


def read_ofd(name: str, raw: bytes) -> ReadFile:
    """OFD: OFD.xml names the document's Document.xml, which lists its pages' Content.xml files."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        names = set(z.namelist())
        total = sum(i.file_size for i in z.infolist())
        if total > MAX_UNPACKED:
            raise CorpusError(f"{name} unpacks to {total // 2**20} MB; that is not an OFD document. Check the file.")

        def xml(member: str):
            return etree.fromstring(z.read(member))

        if "OFD.xml" not in names:
            raise CorpusError(f"{name} has no OFD.xml: it is not an OFD file. Check the file.")
        root = xml("OFD.xml")
        doc_root = next((e.text.strip().lstrip("/") for e in root.iter() if _local(e.tag) == "DocRoot" and e.text), None)
        if not doc_root or doc_root not in names:
            raise CorpusError(f"{name}: OFD.xml names no readable DocRoot. Check the file.")
        base = doc_root.rsplit("/", 1)[0] + "/" if "/" in doc_root else ""
        document = xml(doc_root)
        pages = []
        for number, page in enumerate((e for e in document.iter() if _local(e.tag) == "Page"), 1):
            loc = page.get("BaseLoc", "").lstrip("/")
            member = loc if loc in names else base + loc
            if member not in names:
                continue
            lines = _ofd_lines(xml(member))
            pages.append(Page(number, "\n".join(lines)))
    share = _cjk_share([p.text for p in pages])
    problems = tuple(PageProblem(p.number, r) for p in pages if (r := page_problem(p.text, share)))
    kept = tuple(p for p in pages if p.number not in {q.number for q in problems})
    return ReadFile(name, "ofd", "\n".join(p.text for p in kept), kept, problems)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ofd_lines(content) -> list[str]:
    """Text objects of an OFD page joined into lines by their vertical position."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for obj in content.iter():
        if _local(obj.tag) != "TextObject":
            continue
        box = [float(v) for v in (obj.get("Boundary") or "0 0 0 0").split()[:4]]
        for code in obj:
            if _local(code.tag) == "TextCode" and code.text:
                y = round(box[1] + float(code.get("Y") or 0), 0)
                x = box[0] + float(code.get("X") or 0)
                rows.setdefault(y, []).append((x, code.text))
    return ["".join(t for _, t in sorted(parts)) for _, parts in sorted(rows.items())]
