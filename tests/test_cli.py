from __future__ import annotations

import json

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
