"""The README's Python example is a test (as in minsearch)."""

from __future__ import annotations

import re

import pytest

from rag import retrieval

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_readme_python_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "README has no python example"
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    retrieval.reset_cache()
    exec(compile(blocks[0], "README.md", "exec"), {})
    retrieval.reset_cache()
