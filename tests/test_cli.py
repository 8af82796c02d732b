from __future__ import annotations

import json

import pytest

from rag.cli import main


def _args(s):
    return ["--corpus-dir", str(s.corpus_dir), "--index-dir", str(s.index_dir), "--model", s.model]


def test_build_search_ask(fake_settings, capsys):
    assert main([*_args(fake_settings), "build", "--quiet"]) == 0
    assert "Built index of" in capsys.readouterr().out
    assert main([*_args(fake_settings), "search", "山区26县规上工业增加值", "-k", "2", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2 and "2170亿元" in hits[0]["text"]
    assert main([*_args(fake_settings), "ask", "山区26县规上工业增加值要达到多少？"]) == 0
    out = capsys.readouterr().out
    assert "2170亿元" in out and "[1]" in out and "来源" in out


def test_errors_are_messages_not_tracebacks(fake_settings, capsys, monkeypatch):
    monkeypatch.setenv("RAG_AUTO_REBUILD", "false")
    assert main([*_args(fake_settings), "search", "研发"]) == 2
    assert "rag build" in capsys.readouterr().err
    main([*_args(fake_settings), "build", "--quiet"])
    assert main([*_args(fake_settings), "ask", "   "]) == 2


def test_the_fix_commands_work_as_written_flags_after_the_command(fake_settings, capsys):
    """`rag build --model …` and `rag build --backend …` (the commands the errors name) take their
    flags after the command as well as before it."""
    assert main(["build", *_args(fake_settings), "--quiet"]) == 0
    assert main(["search", "山区26县规上工业增加值", *_args(fake_settings), "--backend", "embedded", "-k", "1"]) == 0
    assert main(["build", *_args(fake_settings), "--backend", "nope"]) == 2
    assert "RAG_BACKEND" in capsys.readouterr().err


def test_a_library_built_for_milvus_is_refused_embedded_with_the_fix(fake_settings, capsys):
    pytest.importorskip("pymilvus")
    assert main([*_args(fake_settings), "build", "--backend", "milvus", "--quiet"]) == 0
    assert main([*_args(fake_settings), "search", "研发经费"]) == 2
    assert "rag build --backend embedded" in capsys.readouterr().err
    assert main([*_args(fake_settings), "--backend", "milvus", "search", "研发经费", "-k", "1"]) == 0
