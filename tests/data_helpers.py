"""Fake CIFAR-10 copies in the exact official layout, and a loopback HTTP server to download them from.

The official batches are Python-2 ``cPickle`` files (protocol 2) in which every Python-2 ``str`` — the dict
keys, the file names, numpy's raw array bytes, the dtype code — is a ``SHORT_BINSTRING``/``BINSTRING``,
read back as ``bytes`` under ``encoding="bytes"``, and numpy's array reconstruction is named
``numpy.core.multiarray._reconstruct``. ``py2_dumps`` writes the same opcodes, so the loader is tested on
the format it meets in the wild, not on a Python-3 re-pickle.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

FOLDER = "cifar-10-batches-py"
TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class _Py2Pickler(pickle._Pickler):
    """The pure-Python pickler, writing ``bytes`` and ``str`` as Python 2 wrote its ``str``."""

    dispatch: ClassVar[dict[type, Callable[..., None]]] = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj: bytes | str) -> None:
        raw = obj.encode("latin-1") if isinstance(obj, str) else obj
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str


def py2_dumps(obj: Any) -> bytes:
    """Pickle ``obj`` as Python 2's ``cPickle.dump(obj, f, 2)`` did for the CIFAR-10 batches."""
    out = io.BytesIO()
    _Py2Pickler(out, protocol=2).dump(obj)
    return out.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def batch_arrays(name: str, rows: int) -> tuple[np.ndarray, list[int]]:
    """Deterministic contents of one batch: ``(rows, 3072)`` uint8 data and labels 0..9."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    data = rng.integers(0, 256, size=(rows, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, size=rows)]
    return data, labels


def batch_blob(name: str, rows: int = 4, **override: Any) -> bytes:
    """One batch file as the official archive holds it; ``override`` replaces or removes (None) keys."""
    data, labels = batch_arrays(name, rows)
    batch: dict[bytes, Any] = {
        b"batch_label": f"batch {name}".encode(),
        b"labels": labels,
        b"data": data,
        b"filenames": [f"img_{i}.png".encode() for i in range(rows)],
    }
    for key, value in override.items():
        if value is None:
            batch.pop(key.encode(), None)
        else:
            batch[key.encode()] = value
    return py2_dumps(batch)


def official_files(rows: int = 4) -> dict[str, bytes]:
    """Every file of ``cifar-10-batches-py/`` with ``rows`` images per batch."""
    files = {name: batch_blob(name, rows) for name in (*TRAIN, "test_batch")}
    meta = {b"label_names": [c.encode() for c in CLASSES], b"num_cases_per_batch": rows, b"num_vis": 3072}
    files["batches.meta"] = py2_dumps(meta)
    files["readme.html"] = b"<html>CIFAR-10</html>"
    return files


def expected_split(split: str, rows: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """What ``load_cifar10`` must return for the files of ``official_files(rows)``: NHWC images, labels."""
    names = TRAIN if split == "train" else ("test_batch",)
    parts = [batch_arrays(name, rows) for name in names]
    data = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([np.asarray(p[1]) for p in parts])
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def file_member(name: str, blob: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(blob)
    return info, blob


def special_member(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, bytes]:
    """A non-file member: ``tarfile.SYMTYPE``, ``LNKTYPE``, ``CHRTYPE``, ``FIFOTYPE`` or ``DIRTYPE``."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, b""


def make_archive(
    path: Path, files: dict[str, bytes] | None = None, extra: list[tuple[tarfile.TarInfo, bytes]] | None = None
) -> Path:
    """Write a ``cifar-10-python.tar.gz`` holding ``files`` under ``cifar-10-batches-py/`` (as the official
    archive does, folder entry first), then the ``extra`` members."""
    files = official_files() if files is None else files
    members = [special_member(FOLDER, tarfile.DIRTYPE)]
    members += [file_member(f"{FOLDER}/{name}", blob) for name, blob in files.items()]
    members += extra or []
    with tarfile.open(path, "w:gz") as tar:
        for info, blob in members:
            tar.addfile(info, io.BytesIO(blob) if info.isfile() else None)
    return path


def write_folder(root: Path, files: dict[str, bytes] | None = None) -> Path:
    folder = root / FOLDER
    folder.mkdir(parents=True)
    for name, blob in (official_files() if files is None else files).items():
        (folder / name).write_bytes(blob)
    return folder


def md5(blob: bytes) -> str:
    return hashlib.md5(blob, usedforsecurity=False).hexdigest()


@contextmanager
def serve(body: bytes, *, send: int | None = None, status: int = 200) -> Iterator[str]:
    """Serve ``body`` at ``http://127.0.0.1:<port>/cifar-10-python.tar.gz`` from a thread; yield the URL.

    With ``send``, the server announces the full length but sends only the first ``send`` bytes and closes
    the connection (a truncated transfer)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body if send is None else body[:send])
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cifar-10-python.tar.gz"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Reduce:
    """An object that pickles as a call ``func(*args)``: the shape of every malicious pickle."""

    def __init__(self, func: Callable[..., Any], *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, ...]:
        return self.func, self.args
