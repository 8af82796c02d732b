"""Storage of the index folder: the build lock, failed writes, checksums, syncing.

What lets `rag.build` and `rag.index` promise an index that is atomic, locked and verified:

* `build_lock` - one build at a time per folder (`fcntl.flock`, released by the
  kernel when the holder exits, even by ``kill -9``); a second build waits.
* `writing` - a failed write (disk full, read-only folder) becomes a `StorageError`
  that says what to do, instead of an `OSError` traceback.
* `checksums` / `verify` - the SHA-256 of every file of a build, recorded in its
  manifest and checked on load (under a millisecond for the real 1.2 MB index).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import IndexStateError, StorageError

LOCK_NAME = ".build.lock"
LOCK_WAIT = 900.0  # seconds a build waits for another build of the same folder to finish


@contextmanager
def build_lock(root: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the exclusive build lock of ``root`` (waiting up to ``wait`` seconds for another build).

    `fcntl.flock` on ``root/.build.lock``: the kernel releases it when its holder exits,
    even by ``kill -9``, so a crashed build never leaves the folder locked.
    """
    wait = LOCK_WAIT if wait is None else wait
    with writing(root):
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline, noted = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                if time.monotonic() >= deadline:
                    raise IndexStateError(
                        f"另一个构建（进程 {holder}）仍在进行。(Another build of {root}, process {holder}, is still "
                        f"running after {wait:.0f} s. Wait for it to finish, or stop it.)",
                        "rag build",
                    ) from None
                if not noted:
                    logging.getLogger("rag").warning("Another build of %s (process %s) is running; waiting for it.", root, holder)
                    noted = True
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # who holds it, for the message above
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def writing(root: Path) -> Iterator[None]:
    """Turn a failed write (disk full, read-only folder, no permission) into a `StorageError`."""
    try:
        yield
    except OSError as exc:
        raise StorageError(
            f"无法写入索引文件夹 {root}：{exc.strerror or exc}。原有索引未受影响。(Cannot write the index in {root}: "
            f"{exc.strerror or exc}. Nothing was left behind and the previous index, if any, still answers. "
            "Free some disk space or make the folder writable (or point RAG_INDEX_DIR / --index-dir at one "
            "that is), then run `rag build`.)"
        ) from exc


def checksums(folder: Path) -> dict:
    """{relative path: {"sha256", "bytes"}} of every file in ``folder`` but the manifest."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json"):
        out[path.relative_to(folder).as_posix()] = {"sha256": sha256(path), "bytes": path.stat().st_size}
    return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def verify(path: Path, files: dict) -> None:
    """Every file of the build has the size and SHA-256 its manifest recorded (``files``, see `checksums`)."""
    if not isinstance(files, dict) or not files:
        raise IndexStateError(f"The index in {path} is damaged: its manifest lists no files.", "rag build")
    for name, expected in files.items():
        file = path / name
        try:
            intact = file.stat().st_size == expected["bytes"] and sha256(file) == expected["sha256"]
        except OSError as exc:
            raise IndexStateError(f"The index in {path} is damaged: {name} cannot be read ({exc.strerror}).", "rag build") from None
        except (KeyError, TypeError):
            raise IndexStateError(f"The index in {path} is damaged: its manifest's entry for {name} is garbled.", "rag build") from None
        if not intact:
            raise IndexStateError(f"The index in {path} is damaged: {name} is not the file that was built.", "rag build")
