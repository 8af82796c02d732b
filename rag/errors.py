"""The errors the library raises. Every message says what to do next.

Three kinds, as in simonw/llm: a bad question or setting from the user
(`InputError`), a problem with the documents (`CorpusError`), and an index that
is missing, stale, damaged or built with another model (`IndexStateError`); and
an index folder that cannot be written (`StorageError`: disk full, read-only).
All derive from `RagError`, so a shell can catch one class and show ``str(err)``.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: anything the assistant can explain to its user."""


class InputError(RagError, ValueError):
    """The question or a setting cannot be used as given."""


class CorpusError(RagError):
    """The documents in the corpus folder cannot be read or described."""


class IndexStateError(RagError):
    """The index is missing, stale, damaged or made with another model."""

    def __init__(self, message: str, fix: str = "rag build") -> None:
        super().__init__(f"{message} Fix: run `{fix}`.")
        self.fix = fix


class StorageError(RagError):
    """The index folder cannot be written: the disk is full, or the folder is read-only.

    A failed build leaves nothing behind and the previous index keeps answering.
    """


class AccessError(RagError):
    """The request lacks the administrator's token (an administrator's action by anyone else)."""


class BackendError(IndexStateError):
    """The index store's server does not answer (a Milvus URI that is down, wrong or refuses the token).

    An `IndexStateError`, so shells treat it as an unusable index (the API answers 503); its
    message names the setting to correct instead of a command.
    """

    def __init__(self, message: str, setting: str = "RAG_MILVUS_URI") -> None:
        RagError.__init__(self, message)
        self.fix = f"check {setting}"
        self.setting = setting
