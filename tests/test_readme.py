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


def test_command_line_examples_run_as_written(real_settings):
    """The README's command-line block, line by line, in a shell as a new user has it after the
    quick start (the venv activated). `rag eval` is left out: CI runs the evaluation itself."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Command line\n.*?```bash\n(.*?)```", readme, re.S).group(1)
    lines = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    assert lines[0] == "source .venv/bin/activate"
    venv = Path(sys.executable).parent.parent  # the venv the tests run in: the quick start's .venv
    env = {**os.environ, "RAG_INDEX_DIR": str(real_settings.index_dir), "RAG_CORPUS_DIR": str(real_settings.corpus_dir)}
    for line in lines[1:]:
        if line.startswith("rag eval"):
            continue
        result = subprocess.run(
            ["bash", "-c", f"source {venv}/bin/activate && {line}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{line}: {result.stderr[-800:]}"
        assert result.stdout.strip(), line
