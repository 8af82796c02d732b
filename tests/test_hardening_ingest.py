"""Manifest and file reading (issue 12, items 3, 5 and 8): only files of the corpus folder,
clear errors for a malformed manifest, odd files refused or decoded."""

from __future__ import annotations

import os
import random
import warnings
from pathlib import Path

import pytest

from rag.errors import CorpusError
from rag.ingest import CorpusWarning, corpus_fingerprint, decode_bytes, load_corpus

GOOD = '[[document]]\nid = "good"\nfile = "good.txt"\ntitle = "好文件"\nkind = "policy"\n'


def _corpus(tmp_path: Path, extra: str) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text("一、总则\n\n1.目的。为了测试。\n", encoding="utf-8")
    (folder / "manifest.toml").write_text(GOOD + extra, encoding="utf-8")
    return folder


def _entry(file: str, id_: str = "odd") -> str:
    return f'\n[[document]]\nid = "{id_}"\nfile = {file}\ntitle = "怪文件"\nkind = "news"\n'


def _load(folder: Path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        corpus = load_corpus(folder)
    return corpus, " | ".join(str(w.message) for w in caught)


@pytest.mark.parametrize("file", ['"/etc/passwd"', '"../../../etc/passwd"', '"sub/../../outside.txt"'])
def test_paths_outside_the_corpus_are_refused(tmp_path, file):
    (tmp_path / "outside.txt").write_text("机密", encoding="utf-8")
    folder = _corpus(tmp_path, _entry(file))
    with pytest.raises(CorpusError, match="document 'odd'.*inside"):
        load_corpus(folder)


def test_a_link_out_of_the_corpus_is_refused_and_never_read(tmp_path):
    (tmp_path / "secret.txt").write_text("机密内容", encoding="utf-8")
    folder = _corpus(tmp_path, _entry('"link.txt"'))
    os.symlink(tmp_path / "secret.txt", folder / "link.txt")
    with pytest.raises(CorpusError, match="document 'odd'.*leads out of"):
        load_corpus(folder)
    before = corpus_fingerprint(folder)
    (tmp_path / "secret.txt").write_text("改过的机密", encoding="utf-8")
    assert corpus_fingerprint(folder) == before  # the fingerprint does not read through the link either


def test_a_link_inside_the_corpus_is_fine(tmp_path):
    folder = _corpus(tmp_path, _entry('"alias.txt"'))
    os.symlink(folder / "good.txt", folder / "alias.txt")
    corpus, _ = _load(folder)
    assert [d.doc_id for d in corpus.documents] == ["good", "odd"]


@pytest.mark.parametrize(
    "manifest, message",
    [
        ('document = "x"\n', "list of \\[\\[document\\]\\] tables"),
        ('[document]\nid = "a"\nfile = "good.txt"\ntitle = "T"\nkind = "policy"\n', "double brackets"),
        ('[[document]]\nid = "a"\nfile = 5\ntitle = "T"\nkind = "policy"\n', "file = 5 must be text in quotes"),
        ('[[document]]\nid = 7\nfile = "good.txt"\ntitle = "T"\nkind = "policy"\n', "id = 7 must be text"),
    ],
)
def test_a_malformed_manifest_is_a_clear_error(tmp_path, manifest, message):
    folder = _corpus(tmp_path, "")
    (folder / "manifest.toml").write_text(manifest, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_corpus(folder)


def test_a_folder_as_file_is_a_clear_error(tmp_path):
    folder = _corpus(tmp_path, _entry('"sub"'))
    (folder / "sub").mkdir()
    with pytest.raises(CorpusError, match="document 'odd'.*folder, not a text file"):
        load_corpus(folder)


@pytest.mark.parametrize("content", [b"", b"   \n\n\t \r\n", "\u3000\u3000\n".encode("utf-8")])
def test_an_empty_document_is_warned_and_skipped(tmp_path, content):
    folder = _corpus(tmp_path, _entry('"empty.txt"'))
    (folder / "empty.txt").write_bytes(content)
    corpus, messages = _load(folder)
    assert [d.doc_id for d in corpus.documents] == ["good"]
    assert "empty.txt (document odd)" in messages and "no text" in messages


def _mojibake(n: int = 3000) -> bytes:
    """Random double-byte sequences: valid GB18030, but not text."""
    rng = random.Random(12)
    trail = [*range(0x40, 0x7F), *range(0x80, 0xFF)]
    return b"".join(bytes([rng.randint(0x81, 0xFE), rng.choice(trail)]) for _ in range(n))


def test_binary_that_decodes_as_gb18030_is_refused(tmp_path):
    raw = _mojibake()
    raw.decode("gb18030")  # it does decode
    with pytest.raises(CorpusError, match="binary.*UTF-8"):
        decode_bytes(raw, "noise.txt")
    folder = _corpus(tmp_path, _entry('"noise.txt"'))
    (folder / "noise.txt").write_bytes(raw)
    corpus, messages = _load(folder)
    assert [d.doc_id for d in corpus.documents] == ["good"] and "noise.txt" in messages


def test_control_characters_mean_binary():
    rng = random.Random(3)
    raw = bytes(rng.choice([*range(1, 9), *range(14, 32), *range(32, 127)]) for _ in range(4000))
    with pytest.raises(CorpusError, match="control"):
        decode_bytes(raw, "blob.txt")


def test_real_gb18030_text_is_still_read():
    text = "浙江省人民政府关于高质量发展建设全球先进制造业基地的指导意见。到2025年，研发经费占比达到2.5%以上。"
    assert decode_bytes(text.encode("gb18030"), "old.txt") == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_with_a_bom_are_decoded(tmp_path, encoding):
    text = "一、总则\n\n1.目的。为了测试UTF-16。\n"
    raw = text.encode(encoding)
    if encoding in ("utf-16-be", "utf-16-le"):  # these codecs write no BOM: add it as editors do
        raw = "\ufeff".encode(encoding) + raw
    assert decode_bytes(raw, "wide.txt") == text
    folder = _corpus(tmp_path, _entry('"wide.txt"'))
    (folder / "wide.txt").write_bytes(raw)
    corpus, _ = _load(folder)
    assert "为了测试UTF-16" in corpus.get("odd").text
