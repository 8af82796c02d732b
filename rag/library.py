"""What a shell (the chat, the HTTP API) needs to know of the library, without reaching into the index.

The documents of the live index, their texts, whether a filter leaves anything
to search, and the words of a query worth highlighting.
"""

from __future__ import annotations

from typing import Sequence

from .errors import RagError
from .index import DocumentInfo, check_index
from .retrieval import get_retriever
from .settings import Settings
from .understand import Query

RARE_ENOUGH = 1.5  # inverse passage frequency a word needs to be highlighted (about one passage in three)


def documents(settings: Settings, loaded: bool = False) -> list[DocumentInfo]:
    """The indexed documents, or [] when there is no usable index.

    ``loaded``: those of the index this process has loaded (loading it once), rather
    than those the manifest on disk lists (cheap; used before the index is loaded)."""
    try:
        if loaded:
            return list(get_retriever(settings).index.manifest.documents)
        return list(check_index(settings).documents)
    except (RagError, OSError):
        return []


def document_texts(settings: Settings) -> dict[str, str]:
    """doc_id -> the whole cleaned text, for the document view."""
    return {doc_id: rec.text for doc_id, rec in get_retriever(settings).index.documents.items()}


def searchable(settings: Settings, doc_ids: Sequence[str] | None, kinds: Sequence[str] | None) -> bool:
    """Whether the filters leave any document to search (True when there is no index to tell)."""
    docs = documents(settings, loaded=True)
    return not docs or any((not doc_ids or d.doc_id in doc_ids) and (not kinds or d.kind in kinds) for d in docs)


def telling_terms(query: Query, settings: Settings) -> list[str]:
    """The query's words worth marking in a passage: not those most passages share ("企业")."""
    from .chat import highlight_terms

    retriever = get_retriever(settings)
    return highlight_terms(query, keep=lambda t: retriever.idf(t) >= RARE_ENOUGH)
