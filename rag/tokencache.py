"""BM25 tokens by content, kept beside the embedding cache, so a rebuild cuts only new passages.

Cutting every passage with jieba is most of what a rebuild costs besides the model: 11.6 of
20 s when one document was added to a library of 10,000 passages. The tokens of a text depend
on the text, the library's words and stopwords, the tokenizer's code and jieba's version: the
cache file is named by a hash of all but the text, and keyed inside by the text's hash.
Written atomically at the end of a build with only the texts it used; a damaged or missing
file only costs time.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Sequence

from . import ingest, query
from .query import Vocabulary


def _fingerprint(vocabulary: Vocabulary) -> str:
    h = hashlib.sha256(f"jieba={importlib.metadata.version('jieba')}\n".encode())
    for module in (query, ingest):  # the tokenizer (rag.query) and the normalisation it applies (rag.ingest)
        h.update(Path(module.__file__).read_bytes())
    h.update("\0".join(vocabulary.words).encode() + b"\1" + "\0".join(sorted(vocabulary.stopwords)).encode())
    return h.hexdigest()[:16]


class TokenCache:
    """``vocabulary.tokenize`` of many texts, remembered across builds in ``folder``."""

    def __init__(self, folder: Path, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.folder = Path(folder)
        self.path = self.folder / f"tokens-{_fingerprint(vocabulary)}.json"
        self._tokens: dict[str, list[str]] = {}
        self.cut = 0  # texts cut by this cache (not found in it)
        try:
            with open(self.path, encoding="utf-8") as fh:
                loaded = json.load(fh)
            if isinstance(loaded, dict):
                # One string per distinct token: 100,000 passages hold 15 million tokens, ~1 GB as separate strings.
                self._tokens = {k: [sys.intern(t) for t in v] for k, v in loaded.items() if isinstance(v, list)}
        except (OSError, ValueError, TypeError):  # missing or damaged: it only costs time
            self._tokens = {}

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        out = []
        for text in texts:
            key = self.key(text)
            tokens = self._tokens.get(key)
            if tokens is None:
                tokens = self._tokens[key] = [sys.intern(t) for t in self.vocabulary.tokenize(text)]
                self.cut += 1
            out.append(tokens)
        return out

    def save(self, keep: Sequence[str]) -> None:
        """Write the tokens of ``keep`` only (atomically); other vocabularies' files are dropped."""
        kept = {k: self._tokens[k] for k in map(self.key, keep) if k in self._tokens}
        if not self.cut and len(kept) == len(self._tokens) and self.path.exists():
            return  # the file holds exactly these already
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".tokens-{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                # In slices: json.dump streams through the pure-Python encoder (1 s for 10,000 passages),
                # one json.dumps would hold the whole text (200 MB for 100,000) in memory at once.
                items = list(kept.items())
                fh.write("{")
                for i in range(0, len(items), 5000):
                    fh.write(("," if i else "") + json.dumps(dict(items[i : i + 5000]), ensure_ascii=False, separators=(",", ":"))[1:-1])
                fh.write("}")
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        for old in self.folder.glob("tokens-*.json"):
            if old != self.path:
                old.unlink(missing_ok=True)
        for orphan in self.folder.glob(".tokens-*.tmp"):  # left by a build that was killed
            orphan.unlink(missing_ok=True)
