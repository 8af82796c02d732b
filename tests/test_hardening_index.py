"""The index under stress (issue 12, items 2, 6 and 7): concurrent builds, damaged files,
a full disk or read-only folder, a killed cold build."""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from rag import build as build_module
from rag.build import build_index
from rag.embedding import EmbeddingCache, register_embedder
from rag.errors import IndexStateError, StorageError
from rag.index import CURRENT, check_index, load_index
from rag.storage import build_lock

from .conftest import ROOT, FakeEmbedder

RUNNER = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from tests.conftest import FakeEmbedder
from rag.embedding import register_embedder
register_embedder("fake", FakeEmbedder())
from rag.cli import main
sys.exit(main(sys.argv[1:]))
"""


def runner(tmp_path: Path) -> list[str]:
    """The `rag` command with the fake embedder, as a separate process."""
    script = tmp_path / "fake_rag.py"
    script.write_text(RUNNER, encoding="utf-8")
    return [sys.executable, str(script)]


def _args(s) -> list[str]:
    return ["--corpus-dir", str(s.corpus_dir), "--index-dir", str(s.index_dir), "--model", s.model]


def _live(s) -> Path:
    return s.index_dir / (s.index_dir / CURRENT).read_text().strip()


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if ".tmp" in p.name or p.name.startswith(".tmp-")]


# ---------------------------------------------------------------- item 2: concurrent builds


def test_concurrent_builds_leave_one_complete_index(fake_settings, tmp_path):
    command = [*runner(tmp_path), *_args(fake_settings), "build", "--quiet"]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0, 0], results
    index = load_index(fake_settings)  # checksums verified: every file there and intact
    assert {"dense.faiss", "owners.npy", "english.json", "chunks.jsonl"} <= set(index.manifest.files)
    assert len(list(fake_settings.index_dir.glob("build-*"))) == 1 and not _leftovers(fake_settings.index_dir)


def test_a_second_build_waits_for_the_first(fake_settings):
    done: list[object] = []
    with build_lock(fake_settings.index_dir):
        worker = threading.Thread(target=lambda: done.append(build_index(fake_settings)))
        worker.start()
        time.sleep(1.0)
        assert worker.is_alive() and not done  # waiting for the lock, not building alongside
    worker.join(timeout=120)
    assert done and load_index(fake_settings).chunks


def test_a_build_that_cannot_get_the_lock_says_why(fake_settings, monkeypatch):
    from rag import storage

    monkeypatch.setattr(storage, "LOCK_WAIT", 0.3)
    with build_lock(fake_settings.index_dir):
        with pytest.raises(IndexStateError, match="Another build.*still running"):
            build_index(fake_settings)


# ---------------------------------------------------------------- item 6: damage is detected


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _garble_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(255 - b for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


DAMAGE = {
    "CURRENT not UTF-8": lambda live: (live.parent / CURRENT).write_bytes(b"\xff\xfebuild\n"),
    "CURRENT names a path": lambda live: (live.parent / CURRENT).write_text("../../etc\n"),
    "empty owners.npy": lambda live: _empty(live / "owners.npy"),
    "empty BM25 array": lambda live: _empty(next((live / "bm25").glob("*.npy"))),
    "garbage inside dense.faiss": lambda live: _garble_middle(live / "dense.faiss"),
    "garbage inside a BM25 array": lambda live: _garble_middle(max((live / "bm25").glob("*.npy"), key=lambda p: p.stat().st_size)),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_index_is_refused_then_rebuilt(fake_settings, damage):
    build_index(fake_settings)
    DAMAGE[damage](_live(fake_settings))
    with pytest.raises(IndexStateError, match="damaged.*Fix: run `rag build`"):
        load_index(fake_settings)
    with pytest.raises(IndexStateError, match="damaged"):
        check_index(fake_settings)  # what the app checks at start before it rebuilds
    index = load_index(fake_settings.replace(auto_rebuild=True))
    assert index.chunks and check_index(fake_settings).n_chunks == len(index.chunks)


def test_the_manifest_records_a_checksum_of_every_file(fake_settings):
    manifest = build_index(fake_settings)
    live = _live(fake_settings)
    on_disk = {p.relative_to(live).as_posix() for p in live.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest.files) == on_disk and any(name.startswith("bm25/") for name in on_disk)
    assert all(len(f["sha256"]) == 64 and f["bytes"] > 0 for f in manifest.files.values())


# ---------------------------------------------------------------- item 7: disk full, read-only


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["owners", "faiss", "cache"])
def test_a_full_disk_is_a_clear_error_that_leaves_nothing(fake_settings, monkeypatch, where):
    build_index(fake_settings)
    before = (fake_settings.index_dir / CURRENT).read_text()
    document = fake_settings.corpus_dir / "003_8361e96e119f0d94.txt"
    original = document.read_bytes()
    document.write_bytes(original + "\n31.新增条款。磁盘已满时的构建。\n".encode())  # new text: the cache has something to write
    if where == "owners":
        monkeypatch.setattr(build_module.np, "save", _no_space)
    elif where == "faiss":  # faiss's own error for a full disk, written for real to /dev/full
        import faiss

        real = faiss.write_index
        monkeypatch.setattr(faiss, "write_index", lambda index, path: real(index, "/dev/full"))
    else:
        from rag import embedding

        def half_written(file, **arrays):
            Path(file).write_bytes(b"PK\x03\x04 partial")
            _no_space()

        monkeypatch.setattr(embedding.np, "savez", half_written)
    with pytest.raises(StorageError, match="No space left on device.*previous index.*still answers"):
        build_index(fake_settings)
    monkeypatch.undo()
    assert (fake_settings.index_dir / CURRENT).read_text() == before
    assert not _leftovers(fake_settings.index_dir)
    document.write_bytes(original)
    assert load_index(fake_settings).path.name == before.strip()  # the old build still answers


def test_a_failed_cold_build_keeps_the_vectors_it_made(fake_settings):
    class Dying(FakeEmbedder):
        def embed_passages(self, texts):
            if self.passage_calls >= 48:
                raise KeyboardInterrupt  # as a kill would, after three batches of 16
            return super().embed_passages(texts)

    register_embedder("fake", Dying())
    with pytest.raises(KeyboardInterrupt):
        build_index(fake_settings)
    assert not _leftovers(fake_settings.index_dir)
    counting = FakeEmbedder()
    register_embedder("fake", counting)
    build_index(fake_settings)
    rows = sum(1 + len(c.units) for c in load_index(fake_settings).chunks)
    assert counting.passage_calls == rows - 48  # main embedded everything again: the cache was written only at the end


def test_a_torn_journal_record_is_ignored_and_overwritten(tmp_path):
    emb = FakeEmbedder()
    cache = EmbeddingCache(tmp_path, emb.name)
    cache.embed(emb, ["甲乙丙丁", "戊己庚辛"], batch_size=1)
    cache.close()
    with open(cache.journal, "ab") as fh:
        fh.write(b"\x01" * 50)  # a record cut short by a kill
    again = EmbeddingCache(tmp_path, emb.name)
    calls = emb.passage_calls
    again.embed(emb, ["甲乙丙丁", "戊己庚辛", "壬癸子丑"], batch_size=1)
    again.close()
    assert emb.passage_calls == calls + 1  # the two whole records were kept
    third = EmbeddingCache(tmp_path, emb.name)
    vectors = third.embed(emb, ["壬癸子丑"])
    assert emb.passage_calls == calls + 1 and np.allclose(vectors[0], emb.embed_queries(["壬癸子丑"])[0])


def _read_only_supported(folder: Path) -> bool:
    probe = "mount --bind {0} {0} && mount -o remount,ro,bind {0} {0} && ! touch {0}/probe 2>/dev/null"
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rm", "sh", "-c", probe.format(folder)], capture_output=True).returncode == 0


def test_a_read_only_index_folder_is_a_clear_error_and_still_serves(fake_settings, tmp_path):
    build_index(fake_settings)
    root = fake_settings.index_dir
    if not _read_only_supported(root):
        pytest.skip("cannot mount a read-only folder here (needs unshare)")
    document = fake_settings.corpus_dir / "004_23ac486bf6fab815.txt"
    original = document.read_bytes()
    document.write_bytes(original + "\n新的一段话。\n".encode())
    rag = " ".join(f"'{a}'" for a in [*runner(tmp_path), *_args(fake_settings)])
    script = (
        f"mount --bind {root} {root} && mount -o remount,ro,bind {root} {root} && "
        f"{rag} build --quiet; echo build=$?; RAG_AUTO_REBUILD=false {rag} search 研发经费 -k 1 >/dev/null; echo stale=$?"
    )
    out = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    assert "build=2" in out.stdout and "Traceback" not in out.stderr, out.stderr
    assert "无法写入索引文件夹" in out.stderr and "Read-only file system" in out.stderr
    assert "stale=2" in out.stdout  # the corpus changed; the old index is refused with the command, not a crash
    assert not _leftovers(root)
    document.write_bytes(original)
    assert load_index(fake_settings).chunks  # the old index still answers


SLOW_RUNNER = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from tests.conftest import FakeEmbedder
from rag.embedding import register_embedder

class Slow(FakeEmbedder):
    def embed_passages(self, texts):
        time.sleep(0.2)
        return super().embed_passages(texts)

register_embedder("fake", Slow())
from rag.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_cold_build_keeps_its_embeddings(fake_settings, tmp_path):
    script = tmp_path / "slow_rag.py"
    script.write_text(SLOW_RUNNER, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), *_args(fake_settings), "build", "--quiet"])
    journal = fake_settings.index_dir / "embedding-cache"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(p.stat().st_size > 12 + 3 * 16 * (32 + 4 * 64) for p in journal.glob("*.journal")):
        time.sleep(0.1)  # until at least three batches of 16 are on disk
    proc.kill()  # SIGKILL: no cleanup runs
    proc.wait()
    kept = (next(journal.glob("*.journal")).stat().st_size - 12) // (32 + 4 * 64)
    assert kept >= 48
    counting = FakeEmbedder()
    register_embedder("fake", counting)
    build_index(fake_settings)
    rows = sum(1 + len(c.units) for c in load_index(fake_settings).chunks)
    assert counting.passage_calls <= rows - kept  # what the killed build embedded was not embedded again
    assert not _leftovers(fake_settings.index_dir)
