"""Managing the library from the CLI: `rag documents`, `rag add FILE…`, `rag remove ID`."""

from __future__ import annotations

import json

import pytest

from rag.cli import main
from rag.errors import CorpusError
from rag.manage import add_files, list_documents, remove_document

from .conftest import CORPUS


def test_documents_lists_what_was_read(capsys):
    assert main(["--corpus-dir", str(CORPUS), "documents", "--json"]) == 0
    rows = {r["doc_id"]: r for r in json.loads(capsys.readouterr().out)}
    guideline = rows["guideline-2022"]["record"]
    # Read from the signature block and 版记 the cleaning keeps out of the text.
    assert guideline["signed"] == "2022-08-30" and guideline["issued"] == "2022-08-31"
    assert guideline["cc"].startswith("省委各部门") and guideline["addressees"] == "各市、县(市、区)人民政府,省政府直属各单位"
    assert {"cc", "issued", "signed", "addressees"} <= set(guideline["read"])
    assert all(r["in_manifest"] for r in rows.values())


def test_add_checks_before_copying_and_remove_drops_file_and_entry(corpus_copy, tmp_path):
    good = tmp_path / "upload" / "rules.txt"
    good.parent.mkdir()
    good.write_text("测试管理办法\n第一章 总则\n第一条 为了测试，制定本办法。\n第二条 本办法自2026年1月1日起施行。\n", encoding="utf-8")
    bad = tmp_path / "upload" / "virus.pdf"
    bad.write_bytes(b"MZ\x90\x00 not a pdf")
    before = sorted(p.name for p in corpus_copy.iterdir())
    with pytest.raises(CorpusError, match="virus.pdf"):
        add_files(corpus_copy, [good, bad])
    assert sorted(p.name for p in corpus_copy.iterdir()) == before  # nothing copied, not even the good one
    with pytest.raises(CorpusError, match="cannot be used"):
        add_files(corpus_copy, [tmp_path / "upload" / "manifest.toml"])
    add_files(corpus_copy, [good])
    docs = {d.document.doc_id: d for d in list_documents(corpus_copy)[0]}
    rules = docs["rules"].document
    assert (rules.title, rules.kind, rules.info.effective) == ("测试管理办法", "law", "2026-01-01")
    assert not docs["rules"].from_manifest
    # Removing a listed document drops its manifest entry too; the other entries stay.
    remove_document(corpus_copy, "news-2023")
    remaining = {d.document.doc_id for d in list_documents(corpus_copy)[0]}
    assert "news-2023" not in remaining and {"guideline-2022", "rules"} <= remaining
    assert "news-2023" not in (corpus_copy / "manifest.toml").read_text(encoding="utf-8")
    with pytest.raises(CorpusError, match="No document 'nope'"):
        remove_document(corpus_copy, "nope")


def test_add_refuses_huge_files_and_keeps_names_inside_the_library(corpus_copy, tmp_path):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as fh:
        fh.truncate(100 * 2**20 + 1)  # sparse: nothing is written; the limit is 100 MB
    with pytest.raises(CorpusError, match="huge.txt is 100 MB"):
        add_files(corpus_copy, [huge])
    (tmp_path / "sub").mkdir()
    sneaky = tmp_path / "sub" / ".." / "rules.txt"
    sneaky.write_text("一、总则\n正文。", encoding="utf-8")
    [added] = add_files(corpus_copy, [sneaky])
    assert added == corpus_copy / "rules.txt" and added.read_text(encoding="utf-8") == "一、总则\n正文。"
