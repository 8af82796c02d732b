"""The embedded store's HNSW graph, grown from the previous build's instead of made anew.

Making the graph is most of what a rebuild costs besides embedding once a library is past
``hnsw_threshold`` (10,000 passages, 19,000 rows: ~2.5 s of a 10 s `rag add`). A build that
follows an HNSW build of the same store reuses that build's graph: it keeps the nodes whose
vectors the new build still holds, ``add``s only the new rows, and leaves the nodes of removed
or replaced passages in the graph as *dead* nodes, which a search steps through but never
returns (`EmbeddedStore` searches with a selector of the live ids, as a filtered search
already does).

Design. A build's row numbers are not stable: rows are grouped by passage in library order
(``owners`` ascending, which the retrieval stage relies on), so removing one document renumbers
every row after it. The graph's node numbers, though, are fixed once a node is added. So the
graph is kept inside a `faiss.IndexIDMap2`: node -> the row number of *this* build (-1 for a
dead node), rewritten by each build, saved in the same ``dense.faiss``; search results, filter
selectors and `reconstruct` all speak row numbers, and nothing above the store changes. (Keeping
the old rows' order and appending new rows would change the row order the rest of the index
assumes; tombstones over a per-build id map change nothing outside this module.)

A node is reused only for a row whose vector is bit for bit the one the node holds (vectors are
cached by content, so an unchanged text gives the same bytes): the graph then holds exactly the
vectors a fresh build would, and another model (other vectors) reuses nothing. The graph is made
anew when there is no usable previous graph (none, another index type, another dimension, M or
efConstruction, a file that fails its checksum, or a graph made before this module: a plain
`IndexHNSWFlat`), or when more than `MAX_DEAD_SHARE` of its nodes would be dead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# HNSW graph: 32 links per vector and a construction beam of 80 (efConstruction 200 made the
# graph 2.8 times slower for 0.007 of recall@10). Recall against exact search: README.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
# Dead nodes cost memory and a little of each search's beam: past this share of the graph's
# nodes, the next build makes the graph anew (which drops them).
MAX_DEAD_SHARE = 0.2


@dataclass(frozen=True)
class Graph:
    """A build's HNSW index (`faiss.IndexIDMap2` over `faiss.IndexHNSWFlat`) and how it was made."""

    index: object
    reused: int  # nodes kept from the previous build's graph (0: made anew)
    dead: int  # nodes no row of this build holds (never returned by a search)


def new_graph(vectors: np.ndarray):
    """An HNSW graph of ``vectors``, node i holding row i."""
    import faiss

    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index = faiss.IndexIDMap2(hnsw)
    index.add_with_ids(vectors, np.arange(len(vectors), dtype=np.int64))
    return index


def build_graph(vectors: np.ndarray, folder: Path) -> Graph:
    """The graph of a build being written into ``folder`` (``index/.tmp-build-…``): the live
    build's graph grown by the new rows when it can be reused, else a new one."""
    previous = _previous_graph(Path(folder).parent, vectors.shape[1])
    if previous is not None:
        grown = _grow(previous, vectors)
        if grown is not None:
            return grown
    return Graph(new_graph(vectors), reused=0, dead=0)


def _previous_graph(root: Path, dim: int):
    """The live build's graph when this build may grow it, else None (it only costs time)."""
    import faiss

    from .errors import IndexStateError
    from .index import live_name
    from .storage import verify

    try:
        live = root / live_name(root)
        manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
        store = manifest.get("store") or {}
        if (store.get("backend"), store.get("index")) != ("embedded", "hnsw"):
            return None
        verify(live, {"dense.faiss": manifest["files"]["dense.faiss"]})  # never grow a damaged graph
        index = faiss.read_index(str(live / "dense.faiss"))
    except (IndexStateError, OSError, ValueError, TypeError, KeyError, AttributeError, RuntimeError):
        return None
    if not isinstance(index, faiss.IndexIDMap2):
        return None  # a graph made before graphs were grown: its nodes are its rows, no id map
    hnsw = faiss.downcast_index(index.index)
    if not (
        isinstance(hnsw, faiss.IndexHNSWFlat) and hnsw.d == dim and hnsw.metric_type == faiss.METRIC_INNER_PRODUCT
        and hnsw.hnsw.nb_neighbors(1) == HNSW_M and hnsw.hnsw.efConstruction == HNSW_EF_CONSTRUCTION
    ):
        return None
    return index


def _stored_vectors(index) -> np.ndarray:
    """Every node's vector, a view of the graph's own storage (no copy: 0.5 GB at 340,000 rows)."""
    import faiss

    hnsw = faiss.downcast_index(index.index)
    storage = faiss.downcast_index(hnsw.storage)
    return faiss.rev_swig_ptr(storage.get_xb(), hnsw.ntotal * hnsw.d).reshape(hnsw.ntotal, hnsw.d)


def _key(vector: np.ndarray) -> bytes:
    return hashlib.blake2b(vector.tobytes(), digest_size=16).digest()


def _grow(index, vectors: np.ndarray) -> Graph | None:
    """``index`` with its nodes renumbered to this build's rows and the new rows added; None when
    too many of its nodes would be dead."""
    import faiss

    stored = _stored_vectors(index)
    nodes: dict[bytes, list[int]] = {}
    for node in range(len(stored) - 1, -1, -1):  # popped from the end: equal vectors take the lowest nodes first
        nodes.setdefault(_key(stored[node]), []).append(node)
    ids = np.full(len(stored), -1, dtype=np.int64)
    new_rows = []
    for row, vector in enumerate(vectors):
        same = nodes.get(_key(vector))
        if same and np.array_equal(stored[same[-1]], vector):  # a digest is not proof: the bytes are
            ids[same.pop()] = row
        else:
            new_rows.append(row)
    reused = len(vectors) - len(new_rows)
    dead = len(stored) - reused
    if dead > MAX_DEAD_SHARE * (len(stored) + len(new_rows)):
        return None
    faiss.copy_array_to_vector(ids, index.id_map)
    index.construct_rev_map()
    if new_rows:
        added = np.asarray(new_rows, dtype=np.int64)
        index.add_with_ids(np.ascontiguousarray(vectors[added]), added)
    return Graph(index, reused=reused, dead=dead)


def live_rows(index, rows: int, dead: int) -> bool:
    """Whether a loaded graph's id map holds each of the build's ``rows`` once and ``dead`` dead nodes."""
    import faiss

    if not isinstance(index, faiss.IndexIDMap2):
        return dead == 0 and index.ntotal == rows  # a graph made before graphs were grown
    ids = faiss.vector_to_array(index.id_map)
    alive = np.sort(ids[ids >= 0])
    return len(ids) == rows + dead and np.array_equal(alive, np.arange(rows))
