"""Settings and the command line (issue 12, items 5 and 9): clear messages, no tracebacks."""

from __future__ import annotations

import os
import subprocess

import pytest

from rag.build import build_index
from rag.cli import main
from rag.errors import InputError
from rag.settings import Settings

from .test_hardening_index import _args, runner


@pytest.mark.parametrize(
    "env, message",
    [
        ({"RAG_BATCH_SIZE": "0"}, "RAG_BATCH_SIZE.*1 or more"),
        ({"RAG_CHUNK_TARGET": "-5"}, "RAG_CHUNK_TARGET.*1 or more"),
        ({"RAG_MAX_QUESTION_CHARS": "-1"}, "RAG_MAX_QUESTION_CHARS.*1 or more"),
        ({"RAG_RERANK_DEPTH": "0"}, "RAG_RERANK_DEPTH"),
        ({"RAG_CHUNK_MAX": "100"}, "at least chunk_target"),
        ({"RAG_WEIGHT_BM25": "-1"}, "0 or more"),
        ({"RAG_MIN_RELEVANCE": "nan"}, "finite"),
        ({"RAG_INDEX_DIR": "/etc/passwd"}, "RAG_INDEX_DIR.*a file"),
        ({"RAG_INDEX_DIR": ""}, "RAG_INDEX_DIR.*empty"),
        ({"RAG_CORPUS_DIR": "  "}, "RAG_CORPUS_DIR.*empty"),
        ({"RAG_MODEL": ""}, "RAG_MODEL"),
    ],
)
def test_unusable_settings_are_refused_with_what_to_do(env, message):
    with pytest.raises(InputError, match=message) as caught:
        Settings.from_env(env)
    assert "Correct or unset it" in str(caught.value)


def test_settings_built_in_code_are_checked_too():
    with pytest.raises(InputError, match="batch_size"):
        Settings(batch_size=0)
    with pytest.raises(InputError, match="chunk_target"):
        Settings().replace(chunk_target=0)


def test_a_bad_setting_on_the_command_line_is_a_message(capsys, monkeypatch):
    monkeypatch.setenv("RAG_BATCH_SIZE", "0")
    assert main(["build", "--quiet"]) == 2
    assert "RAG_BATCH_SIZE" in capsys.readouterr().err


@pytest.mark.parametrize("question", ["研发\ud800经费", "研发\udcff经费"])
def test_a_question_that_is_not_text_is_a_message(fake_settings, capsys, question):
    build_index(fake_settings)
    assert main([*_args(fake_settings), "search", question]) == 2
    assert main([*_args(fake_settings), "ask", question]) == 2
    assert main([*_args(fake_settings), "search", "研发", "--doc", "x\udcff"]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_invalid_utf8_bytes_on_the_real_command_line(fake_settings, tmp_path):
    build_index(fake_settings)
    command = [os.fsencode(a) for a in [*runner(tmp_path), *_args(fake_settings), "search"]] + [b"\xff\xfe\xe7\xa0\x94"]
    out = subprocess.run(command, capture_output=True, timeout=120)
    assert out.returncode == 2 and b"Traceback" not in out.stderr, out.stderr
    assert "不是 UTF-8" in out.stderr.decode("utf-8")


def test_output_into_a_closed_pipe_stops_quietly(fake_settings, tmp_path):
    build_index(fake_settings)
    command = [*runner(tmp_path), *_args(fake_settings), "search", "制造业", "-k", "100", "--json"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()  # as `| head -1` does, then goes away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and "BrokenPipeError" not in err and "Traceback" not in err, err
