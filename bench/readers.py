"""Benchmark: pages per second read from text PDFs, and from scanned pages through OCR.

    python bench/readers.py              # 40 text pages, 5 scanned pages (OCR only with the `ocr` extra)
    python bench/readers.py --pages 100

Makes the PDFs itself (fpdf2, from the `test` extra, and a TrueType CJK font:
fonts-wqy-microhei). Not a test: timings vary by machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.readers import read_file  # noqa: E402

# TrueType CJK fonts (Debian fonts-wqy-microhei / fonts-wqy-zenhei). Not Noto CJK: fpdf2 embeds
# its CFF outlines without a usable Unicode map, and such a PDF is (rightly) read as garbled.
FONTS = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"]
PARAGRAPH = (
    "（{n}）到2025年，规上工业企业研发经费占营业收入比重达到2.5%以上，制造业增加值占全省生产总值比重稳定在1/3左右，"
    "数字经济核心产业增加值占生产总值比重力争达到15%，高技术制造业增加值占规模以上工业增加值比重达到19%。"
)


def _text_pdf(path: Path, pages: int, font: str) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", fname=font)
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("cjk", size=15)
        pdf.multi_cell(0, 8, text=f"第{page + 1}部分 重点任务", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=11)
        for n in range(6):
            pdf.multi_cell(0, 7, text=PARAGRAPH.format(n=n + 1), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def _scanned_pdf(path: Path, pages: int, font: str) -> None:
    """Pages that are images of text (what a scanner makes)."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    pdf = FPDF()
    face = ImageFont.truetype(font, 28)
    for _ in range(pages):
        image = Image.new("RGB", (1240, 1754), "white")
        draw = ImageDraw.Draw(image)
        for line in range(20):
            draw.text((80, 80 + line * 70), PARAGRAPH.format(n=line + 1)[:40], fill="black", font=face)
        pdf.add_page()
        pdf.image(image, x=0, y=0, w=210)
    pdf.output(str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--scanned", type=int, default=5)
    args = parser.parse_args()
    font = next((f for f in FONTS if Path(f).exists()), None)
    if font is None:
        print("no TrueType CJK font: apt-get install fonts-wqy-microhei", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "text.pdf"
        _text_pdf(text, args.pages, font)
        started = time.perf_counter()
        read = read_file(text)
        seconds = time.perf_counter() - started
        print(f"text PDF:     {len(read.pages)} pages in {seconds:.2f} s = {len(read.pages) / seconds:.1f} pages/s")
        scanned = Path(tmp) / "scanned.pdf"
        _scanned_pdf(scanned, args.scanned, font)
        started = time.perf_counter()
        read = read_file(scanned)
        seconds = time.perf_counter() - started
        if read.ocr_pages:
            print(f"scanned PDF:  {len(read.ocr_pages)} pages OCR'd in {seconds:.2f} s = {len(read.ocr_pages) / seconds:.2f} pages/s")
        else:
            print(f"scanned PDF:  {len(read.problems)} pages reported, none OCR'd (install the `ocr` extra: pip install '.[ocr]')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
