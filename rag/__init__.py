"""政策问答助手: retrieval-augmented answers over Zhejiang's manufacturing policies.

    >>> from rag import search, ask
    >>> ask("到2025年规上工业企业研发经费占营业收入比重要达到多少？").text

Heavy parts (models, FAISS, jieba) load on first use, so ``import rag`` is fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["ask", "search", "build_index", "Passage", "Answer", "Status", "Statement", "Query", "Settings"]

if TYPE_CHECKING:  # pragma: no cover
    from .answer import Answer, Status, ask
    from .compose import Statement
    from .understand import Query
    from .build import build_index
    from .passage import Passage
    from .retrieval import search
    from .settings import Settings

_WHERE = {
    "ask": "answer",
    "Answer": "answer",
    "Status": "answer",
    "Statement": "compose",
    "Query": "understand",
    "search": "retrieval",
    "Passage": "passage",
    "build_index": "build",
    "Settings": "settings",
}


def __getattr__(name: str):
    """Import on first use: keeps `import rag` free of numpy, faiss and the model."""
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
