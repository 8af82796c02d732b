"""Cleaning: one raw text into a `Document` of paragraphs, and the record it states.

Cleaning undoes what extraction did to the texts (see corpus/SOURCES.md):
the private-use decimal point, full-width forms (NFKC), PDF hard wraps, stray
spaces inside numbers and words, scraped page furniture (patterns of the
document's profile, rag.profiles), editor's asides, markdown markup, a
machine-written FAQ, front matter (发文字号, venue) and signature/distribution
blocks (kept as metadata and read into the record, never an answerable passage).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

from .document import Document, Paragraph
from .profiles import BUILTIN, Profile
from .structure import numbered
from .metadata import addressee, front_length, is_record_line, merged, notice_signature, read_record, signature_start

PUA_DECIMAL = "\ue010"  # stands for "." in the 2022 guideline's PDF extraction
_CJK = r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’"
_HEADING_START = re.compile(r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d{1,2}\.(?!\d))")
_TERMINAL = "。！？!?；;：:”」）)"
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
        # A heading a reader marked ("## …", from a PDF's outline or font size) is a line of its own.
        marked = line.startswith("#") or nxt.startswith("#")
        if not nxt or short or heading_line or heading_next or marked or _HEADING_START.match(nxt):
            paragraphs.append(current)
            current = ""
    return paragraphs


def _is_keyword_line(line: str) -> bool:
    """A scraped tag line such as "制造业 工业化 创新 绿色制造"."""
    words = line.split()
    return len(words) >= 4 and all(len(w) <= 8 and not re.search(f"[{_TERMINAL},，、]", w) for w in words)


def _clean_web(lines: list[str], metadata: dict[str, str], profile: Profile) -> list[str]:
    """Drop the page header above the furniture, furniture, tag lines, record lines (kept as
    metadata), the profile's asides, and trailing material such as a machine FAQ."""
    plain = [_strip_markup(line).strip() for line in lines]
    run = _furniture_run(plain, profile)
    markup = BUILTIN["text"]
    # A rule ("---") alone ends a header only of short lines (title, 发布日期: …): above a rule
    # in the body of a page is text. The page's own furniture ends any header.
    if run and all(markup.is_furniture(line) for line in plain[run[0] : run[1]] if line):
        run = run if all(len(line) <= 100 for line in plain[: run[0]]) else None
    if run:
        header = [line for line in lines[: run[0]] if line.strip()]
        if header:
            metadata["page_header"] = "\n".join(header)
        lines, plain = lines[run[1] :], plain[run[1] :]
    body: list[str] = []
    for i, line in enumerate(lines):
        key = profile.trailer(plain[i])
        if key:
            metadata[key] = "\n".join(line for line in lines[i:] if line.strip())
            break
        if profile.is_furniture(plain[i]) or _is_keyword_line(line.strip()):
            continue
        if profile.is_meta(plain[i]):
            metadata["source_lines"] = metadata.get("source_lines", "") + plain[i] + "\n"
            continue
        for aside in profile.asides:
            line = aside.sub("", line)
        body.append(line)
    return body


def _furniture_run(plain: list[str], profile: Profile, within: int = 40) -> tuple[int, int] | None:
    """(first, end) of the first run of furniture lines (blank lines may sit between them) that
    starts within the page's first ``within`` lines: everything above it is the page header."""
    for i, line in enumerate(plain[:within]):
        if line and profile.is_furniture(line):
            end = i + 1
            for j in range(i + 1, len(plain)):
                if plain[j] and not profile.is_furniture(plain[j]):
                    break
                if plain[j]:
                    end = j + 1
            return i, end
    return None


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
    """An unmarked lead sentence ("产业集群势头良好。", "——数据要素市场体系初步建立。"): short, no
    commas, before a longer paragraph; not a numbered heading, which is a heading already."""
    m = re.match(r"^(?:——)?([^。,，、;；:：\"“”()]{4,14})。", text)
    return m.group(1) if m and len(text) > len(m.group(0)) + 20 and not numbered(text) else None


# Paragraphs opening with a short sentence of their own ("推动人工智能创新发展。深化…"): this many
# make a document written with run-in headings, as government work reports are, bold or not.
LEAD_STYLE = 5


def _squash(text: str) -> str:
    """Text without spaces and punctuation, for comparing a line with the title."""
    return re.sub(r"[\s\u3000-\u303f\uff00-\uffef“”‘’,.;:!?()\[\]【】《》、\-\"'*]", "", text)


def clean_document(raw: str, entry: dict, profile: Profile | None = None) -> Document:
    """Turn one raw text into a `Document` of cleaned paragraphs and the record it states.

    ``entry`` is the manifest entry (only ``id`` is required: title, issuer, date and kind are
    read from the text when the entry does not give them); ``profile`` defaults to the built-in
    profile the entry names.
    """
    profile = profile or BUILTIN[entry.get("profile", "text")]
    metadata: dict[str, str] = {}
    lines = [line.strip() for line in normalise(raw).split("\n")]
    # (normalise took the space after the marks: "# 标题" is "#标题" here)
    markdown_title = next((m.group(1) for line in lines[:3] if (m := re.match(r"^#(?!#)\s*(.+)$", line))), "")
    if profile.web:
        lines = _clean_web(lines, metadata, profile)
    else:
        lines = [line for line in lines if not profile.is_furniture(_strip_markup(line).strip())]
    lines = [line for line in lines if line]
    paragraphs = _join_pdf_lines(lines) if profile.join_wraps else lines
    plain_all = [_strip_markup(p).strip() for p in paragraphs]
    front_read = plain_all[: front_length(plain_all)]

    title = entry.get("title") or _read_title(plain_all, markdown_title) or Path(entry.get("file", entry["id"])).stem
    issuer = entry.get("issuer", "")
    # Lines that only repeat the metadata: title, author, date, URL.
    title_key = _squash(unicodedata.normalize("NFKC", title))
    names = {_squash(unicodedata.normalize("NFKC", n)) for n in (issuer, entry.get("author", "")) if n}
    kept: list[str] = []
    for i, para in enumerate(paragraphs):
        plain = _strip_markup(para).strip()
        key = _squash(plain)
        if i < 4 and key and title_key and (key in title_key or title_key in key or key in names) and len(plain) < 80:
            continue
        if _URL_LINE.match(plain) or _META_DATE.match(plain):
            metadata.setdefault("source_lines", "")
            metadata["source_lines"] += plain + "\n"
            continue
        kept.append(para)

    kept, notice, document_title = _take_front_and_notice(kept, metadata)

    # The signature, date and distribution list at the end are metadata.
    issuer_keys = names | {_squash(unicodedata.normalize("NFKC", issuer.split("（")[0]))}
    signature: list[str] = []
    for i in range(max(0, len(kept) - 8), len(kept)):
        plain = _strip_markup(kept[i]).strip()
        if _squash(plain) in issuer_keys or _DATE_LINE.match(plain) or plain.startswith("抄送"):
            # Signatories listed one a line above the date belong to the signature too.
            i = signature_start([_strip_markup(p).strip() for p in kept], i, floor=max(0, i - 12))
            signature = [_strip_markup(p).strip() for p in kept[i:]]
            metadata["signature"] = "\n".join(signature)
            kept = kept[:i]
            break

    result = _paragraphs(kept)
    header = [*metadata.get("page_header", "").splitlines(), *metadata.get("source_lines", "").splitlines()]
    header = [_strip_markup(line).strip() for line in header]
    plain_kept = [p.text for p in result]
    main, salutation = addressee(plain_kept[:1])
    # "(此件公开发布)" under a notice's signature is a note, not a signatory.
    notice = [line for line in notice if not re.fullmatch(r"\(此件[^()]{2,12}\)", line)]
    read = read_record(
        front_read, notice, signature, header, "\n".join(plain_kept),
        markdown_title=markdown_title, document_title=document_title,
    )
    read = dataclasses.replace(
        read, addressees=main, salutation=salutation,
        read=tuple(sorted({*read.read, *(("addressees",) if main else ()), *(("salutation",) if salutation else ())})),
    )
    info = merged(read, entry)  # the entry's fields over what was read
    if not info.title:
        info = dataclasses.replace(info, title=title)
    return Document(
        doc_id=entry["id"],
        title=info.title,
        issuer=info.issuer,
        date=str(entry.get("date", "")) or info.date,
        kind=entry.get("kind") or guess_kind(info.title),
        source=entry.get("source", ""),
        file=entry.get("file", ""),
        paragraphs=tuple(result),
        metadata=metadata,
        info=info,
    )


def _paragraphs(kept: list[str]) -> list[Paragraph]:
    """Cleaned `Paragraph`s with their offsets, bold leads and Markdown heading levels."""
    bold_leads = sum(1 for p in kept if _lead_of(p))
    run_in = bold_leads >= 2 or sum(1 for p in kept if _short_lead(_strip_markup(p).strip())) >= LEAD_STYLE
    result: list[Paragraph] = []
    offset = 0
    for para in kept:
        for n, piece in enumerate(_split_inner_leads(para)):
            lead = _lead_of(piece)
            level = m.end(1) if (m := re.match(r"^(#{1,6})(?!#)\s*\S", piece)) else None
            text = _strip_markup(piece).strip()
            if not re.search(r"[\w\u4e00-\u9fff]", text):
                continue  # what an aside left behind, e.g. a lone "。"
            if lead is None and run_in:
                lead = _short_lead(text)  # same heading style, bold lost in scraping or never there
            result.append(Paragraph(text=text, start=offset, lead=lead, sublead=n > 0 and lead is not None, level=level))
            offset += len(text) + 2
    return result


def _read_title(plain: list[str], markdown_title: str) -> str:
    """A title when the manifest gives none: the Markdown title, else the first line of the front matter."""
    if markdown_title:
        return _strip_markup(markdown_title).strip()
    n = front_length(plain)
    return plain[0] if n else ""


def _take_front_and_notice(kept: list[str], metadata: dict[str, str]) -> tuple[list[str], list[str], str]:
    """Move the front matter (发文字号, venue, speaker …) and a covering notice's signature block
    out of the text into ``metadata``; returns the rest, the notice block and the title line of the
    document the notice issues (the text repeats it below the notice)."""
    plain = [_strip_markup(p).strip() for p in kept]
    n = front_length(plain)
    if n:
        metadata["front_matter"] = "\n".join(plain[:n])
        kept, plain = kept[n:], plain[n:]
    block = notice_signature(plain, start=0)
    if not block:
        return kept, [], ""
    first, end = block
    notice = plain[first:end]
    metadata["notice_signature"] = "\n".join(notice)
    document_title = ""
    if end < len(plain) and is_record_line(plain[end]):
        document_title = plain[end]  # the issued document's own title line: the path already shows it
        end += 1
    return kept[:first] + kept[end:], notice, document_title


def guess_profile(raw: str, profiles: dict[str, Profile]) -> str:
    """"web" when the top of a text has the web profile's furniture or record lines, else "text"."""
    web = profiles["web"]
    top = [_strip_markup(line).strip() for line in normalise(raw[:4000]).split("\n")[:40]]
    markup = BUILTIN["text"]
    hits = sum(1 for line in top if line and not markup.is_furniture(line) and (web.is_furniture(line) or web.is_meta(line)))
    return "web" if hits >= 2 else "text"


_GENRES = (("law", r"(?:条例|规定|办法|细则|规则|法)$"), ("report", r"工作报告$"), ("speech", r"讲话$"))


def guess_kind(title: str) -> str:
    """A document's kind from the genre word its title ends with (GB/T 9704 文种); else policy."""
    for kind, pattern in _GENRES:
        if re.search(pattern, title):
            return kind
    return "policy"
