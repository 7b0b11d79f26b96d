r"""CIFAR-10 from the official "python version" archive, read without trusting it.

CIFAR-10 (Krizhevsky 2009) holds 60 000 colour images of 32×32 pixels in 10 classes: five training
batches of 10 000 images and one test batch. The official archive ``cifar-10-python.tar.gz``
(https://www.cs.toronto.edu/~kriz/cifar.html) unpacks to ``cifar-10-batches-py/`` with ``data_batch_1``
… ``data_batch_5``, ``test_batch`` and ``batches.meta``, each a Python-2 pickle of a dict whose
``b"data"`` is a uint8 array of shape ``(10000, 3072)`` (per row 1024 red, 1024 green, 1024 blue values,
each plane row-major) and whose ``b"labels"`` is a list of ints in 0..9.

Where the data lives, in this order: the ``root`` argument, the environment variable ``SCORESDE_DATA``,
the per-user cache ``$XDG_CACHE_HOME/scoresde`` (``~/.cache/scoresde``). The folder holds the archive,
the extracted ``cifar-10-batches-py/`` folder, or both (the folder is read first).

Nothing in the archive is trusted:

- a download is written to a temporary file next to its destination, its MD5 is checked against the
  published one before the file is opened, and only then is it renamed into place; a failed or
  truncated download leaves nothing behind;
- archive members are read into memory (or written by ``extract_cifar10``) only after checking them:
  no absolute paths, no ``..``, no links or devices, only regular files directly inside
  ``cifar-10-batches-py/``, each of a bounded size;
- the pickles are read by an unpickler that admits only numpy's array reconstruction; a pickle that
  names any other global (``os.system``, ``builtins.eval``, …) is refused before anything runs.

References:
    A. Krizhevsky. Learning Multiple Layers of Features from Tiny Images. Technical report,
    University of Toronto, 2009.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import pickle
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from scoresde._utils import check_bool, check_choice, check_positive_float
from scoresde.data.images import ImageDataset

__all__ = [
    "CIFAR10",
    "CIFAR10_CLASSES",
    "CIFAR10_MD5",
    "CIFAR10_URL",
    "SPLITS",
    "DataError",
    "DownloadError",
    "UnsafePickleError",
    "cifar10_available",
    "cifar10_path",
    "data_dir",
    "download_cifar10",
    "extract_cifar10",
    "load_cifar10",
]

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
ARCHIVE_NAME = "cifar-10-python.tar.gz"
FOLDER_NAME = "cifar-10-batches-py"
META_FILE = "batches.meta"
SPLIT_FILES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
SPLITS = tuple(SPLIT_FILES)  # ("train", "test")
ALL_FILES = (*SPLIT_FILES["train"], *SPLIT_FILES["test"], META_FILE)
ENV_VAR = "SCORESDE_DATA"
_ROW = 3 * 32 * 32
_MAX_MEMBER_BYTES = 64 * 2**20  # a real batch is 31 MB; anything far larger is not CIFAR-10
_CHUNK = 2**20
_MAX_DOWNLOAD_BYTES = 512 * 2**20  # the official archive is 170 498 071 bytes


class DataError(ValueError):
    """Data on disk that is not what the CIFAR-10 format promises: a missing file, a wrong layout, an
    unsafe archive member or a damaged archive. The message names the file and what was expected."""


class UnsafePickleError(DataError, pickle.UnpicklingError):
    """A pickle that names a global the CIFAR-10 batches never need (it was refused, nothing ran)."""


class DownloadError(OSError):
    """The download failed: no network, an HTTP error, a truncated transfer or a wrong checksum.
    Nothing is left at the destination."""


# ---------------------------------------------------------------------------------------------------
# where the data lives


def _as_path(root: str | os.PathLike[str] | None, name: str = "root") -> Path | None:
    if root is None:
        return None
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike) or None; got {type(root).__name__} {root!r}")
    if str(root) == "":
        raise ValueError(f"{name} must be a non-empty path or None; got ''")
    return Path(root).expanduser()


def data_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``root`` if given, else ``$SCORESDE_DATA``, else the per-user cache folder.

    The cache folder is ``$XDG_CACHE_HOME/scoresde`` when ``XDG_CACHE_HOME`` holds an absolute path
    (the XDG base-directory rule), else ``~/.cache/scoresde``. The folder need not exist.

    Args:
        root: an explicit folder, or None to look at the environment.

    Returns:
        The folder, with ``~`` expanded.

    Raises:
        TypeError: ``root`` is neither a path nor None.
        ValueError: ``root`` is an empty path.
    """
    explicit = _as_path(root)
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_VAR, "")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return base / "scoresde"


def _locate(root: Path) -> Path | None:
    """The extracted folder (preferred) or the archive under ``root``; None when neither is there.

    ``root`` may also be the extracted folder itself (it holds ``batches.meta`` or a batch file)."""
    if any((root / name).is_file() for name in ALL_FILES):
        return root
    folder, archive = root / FOLDER_NAME, root / ARCHIVE_NAME
    if folder.is_dir():
        return folder
    if archive.is_file():
        return archive
    return None


def cifar10_path(root: str | os.PathLike[str] | None = None) -> Path | None:
    """Where CIFAR-10 lies in the data folder (``data_dir(root)``): the extracted folder, else the archive.

    The extracted ``cifar-10-batches-py/`` is preferred to ``cifar-10-python.tar.gz``; ``root`` may also be the
    extracted folder itself (it holds ``batches.meta`` or a batch file). Whether the files are complete and well
    formed is checked when they are loaded.

    Args:
        root: the data folder, or None for the default (see ``data_dir``).

    Returns:
        The folder or the archive that ``load_cifar10`` would read, or None when neither is there.

    Raises:
        TypeError: ``root`` is neither a path nor None.
        ValueError: ``root`` is an empty path.

    References:
        The layout of the official archive: <https://www.cs.toronto.edu/~kriz/cifar.html> (Krizhevsky 2009).
    """
    return _locate(data_dir(root))


def cifar10_available(root: str | os.PathLike[str] | None = None) -> bool:
    """Whether CIFAR-10 is on disk in the data folder (``data_dir(root)``).

    True when the folder holds ``cifar-10-python.tar.gz`` or ``cifar-10-batches-py/`` (or is that
    folder): ``cifar10_path(root) is not None``. Whether the files are complete and well formed is checked
    when they are loaded, so that a broken copy is reported rather than silently replaced.

    Args:
        root: the data folder, or None for the default (see ``data_dir``).

    Returns:
        Whether the archive or the extracted folder is there.
    """
    return cifar10_path(root) is not None


# ---------------------------------------------------------------------------------------------------
# download


def _check_url(url: Any) -> str:
    if not isinstance(url, str):
        raise TypeError(f"url must be a str; got {type(url).__name__} {url!r}")
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise ValueError(f"url must be an http:// or https:// address; got {url!r}")
    return url


def _check_md5(md5: Any) -> str:
    if not isinstance(md5, str):
        raise TypeError(f"md5 must be a str of 32 hexadecimal digits; got {type(md5).__name__} {md5!r}")
    digest = md5.lower()
    if len(digest) != 32 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"md5 must be 32 hexadecimal digits; got {md5!r}")
    return digest


def _fetch(url: str, file: io.BufferedWriter, timeout: float) -> str:
    """Stream ``url`` into ``file``; return the MD5 of what was received. Raises on a short transfer."""
    digest = hashlib.md5(usedforsecurity=False)
    request = urllib.request.Request(url, headers={"User-Agent": "scoresde"})
    received = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        while chunk := response.read(_CHUNK):
            digest.update(chunk)
            file.write(chunk)
            received += len(chunk)
            if received > _MAX_DOWNLOAD_BYTES:
                raise DownloadError(f"the server sent more than {_MAX_DOWNLOAD_BYTES} bytes; not CIFAR-10")
    if length is not None and length.isdigit() and received != int(length):
        raise DownloadError(f"the transfer was truncated: received {received} of {int(length)} bytes")
    return digest.hexdigest()


def download_cifar10(
    root: str | os.PathLike[str] | None = None,
    *,
    url: str = CIFAR10_URL,
    md5: str = CIFAR10_MD5,
    timeout: float = 60.0,
) -> Path:
    """Download the CIFAR-10 archive into the data folder and verify its MD5 before keeping it.

    The file is streamed to a temporary file in the same folder; its MD5 is compared with ``md5``
    before anything opens it, and only then is it renamed (atomically) to ``cifar-10-python.tar.gz``.
    On any failure the temporary file is removed. An archive already in place is kept as it is.

    Args:
        root: the data folder (see ``data_dir``); created if missing.
        url: where to download from; the official address by default.
        md5: the expected MD5 of the archive, 32 hexadecimal digits; the published one by default.
        timeout: seconds to wait for the server on each network operation.

    Returns:
        The path of the archive.

    Raises:
        DownloadError: no connection, an HTTP error, a truncated transfer or a checksum mismatch.
        TypeError: ``url`` or ``md5`` is not a str, or ``timeout`` not a number.
        ValueError: ``url`` is not an http(s) address, ``md5`` not 32 hexadecimal digits, or ``timeout`` <= 0.

    References:
        The official archive and its MD5: <https://www.cs.toronto.edu/~kriz/cifar.html> (Krizhevsky 2009).
    """
    url, md5 = _check_url(url), _check_md5(md5)
    timeout = check_positive_float(timeout, "timeout")
    folder = data_dir(root)
    dest = folder / ARCHIVE_NAME
    if dest.is_file():
        return dest
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{ARCHIVE_NAME}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as file:
            got = _fetch(url, file, timeout)
        if got != md5:
            raise DownloadError(
                f"the file downloaded from {url} has MD5 {got}, not the expected {md5}; it was deleted. "
                "The download may be damaged or the server may not serve the official archive: try again"
            )
        os.replace(tmp, dest)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, DownloadError):
            raise
        raise DownloadError(
            f"could not download CIFAR-10 from {url}: {err}. Check the network connection, or fetch "
            f"{ARCHIVE_NAME} yourself and put it in {folder} (or point --data-dir / ${ENV_VAR} at a folder "
            "that holds it)"
        ) from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


# ---------------------------------------------------------------------------------------------------
# the archive: members are checked before anything is read


def _member_name(member: tarfile.TarInfo, archive: Path) -> str | None:
    """The file name of a safe member inside ``cifar-10-batches-py/`` (None for that folder itself).

    Raises ``DataError`` for anything else: absolute paths, ``..``, links, devices, nesting, huge files.
    """
    name = member.name
    where = f"{archive}: member {name!r}"
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise DataError(f"{where} has an absolute path; refused (members must lie inside {FOLDER_NAME}/)")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise DataError(f"{where} contains '..'; refused (members must lie inside {FOLDER_NAME}/)")
    if not (member.isfile() or member.isdir()):
        kind = "a link" if member.issym() or member.islnk() else "not a regular file or folder"
        raise DataError(f"{where} is {kind}; refused (the archive holds only regular files)")
    if not parts or parts[0] != FOLDER_NAME or len(parts) > 2:
        raise DataError(f"{where} lies outside {FOLDER_NAME}/ or is nested; refused")
    if member.isdir():
        if len(parts) != 1:
            raise DataError(f"{where} is a sub-folder; refused (the official archive has none)")
        return None
    if len(parts) != 2:
        raise DataError(f"{where} is a file where the folder {FOLDER_NAME}/ belongs; refused")
    if member.size > _MAX_MEMBER_BYTES:
        raise DataError(f"{where} is {member.size} bytes, more than any CIFAR-10 file; refused")
    return parts[1]


def _read_archive(archive: Path, wanted: Iterable[str] = ALL_FILES) -> dict[str, bytes]:
    """Check every member of the archive and read the wanted files into memory."""
    wanted, files, seen = set(wanted), {}, set()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = _member_name(member, archive)
                if name is None:
                    continue
                if name in seen:
                    raise DataError(f"{archive}: member {member.name!r} appears twice; refused")
                seen.add(name)
                if name in wanted:
                    handle = tar.extractfile(member)
                    files[name] = handle.read() if handle is not None else b""
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataError(
            f"{archive} is damaged or truncated ({type(err).__name__}: {err}); delete it and download it again"
        ) from err
    return files


def _read_folder(folder: Path, wanted: Iterable[str]) -> dict[str, bytes]:
    files = {}
    for name in wanted:
        path = folder / name
        if path.is_file():
            if path.stat().st_size > _MAX_MEMBER_BYTES:
                raise DataError(f"{path} is {path.stat().st_size} bytes, more than any CIFAR-10 file")
            files[name] = path.read_bytes()
    return files


def _read_files(source: Path, wanted: tuple[str, ...]) -> dict[str, bytes]:
    """Read the wanted files from the archive or folder ``source``; every one must be there."""
    files = _read_folder(source, wanted) if source.is_dir() else _read_archive(source, wanted)
    missing = [name for name in wanted if name not in files]
    if missing:
        where = f"{source}/" if source.is_dir() else f"{source} (in {FOLDER_NAME}/)"
        raise DataError(
            f"{where} lacks {', '.join(missing)}: not a complete copy of CIFAR-10. Expected the official "
            f"layout {FOLDER_NAME}/ with {', '.join(ALL_FILES)}; delete the partial copy and download again"
        )
    return files


def extract_cifar10(root: str | os.PathLike[str] | None = None) -> Path:
    """Extract ``cifar-10-python.tar.gz`` in the data folder to ``cifar-10-batches-py/``, safely.

    Every member is checked before any file is written (no absolute paths, no ``..``, no links or
    devices, only regular files of bounded size directly inside ``cifar-10-batches-py/``); the files are
    written by this function (never by ``tarfile``'s extraction) into a temporary folder that is
    renamed into place at the end, so an interrupted extraction leaves no partial folder. Loading
    does not need this step (it reads the archive in memory); it only makes later loads faster.

    Args:
        root: the data folder (see ``data_dir``).

    Returns:
        The path of the extracted folder (an existing one is kept as it is).

    Raises:
        DataError: the archive is missing, damaged, or holds an unsafe or unexpected member.
    """
    folder = data_dir(root)
    archive, dest = folder / ARCHIVE_NAME, folder / FOLDER_NAME
    if dest.is_dir():
        return dest
    if not archive.is_file():
        raise DataError(f"{archive} does not exist; download it first (download_cifar10 or --download)")
    files = _read_archive(archive, (*ALL_FILES, "readme.html"))
    tmp = Path(tempfile.mkdtemp(dir=folder, prefix=f".{FOLDER_NAME}."))
    try:
        for name, blob in files.items():
            (tmp / name).write_bytes(blob)
        os.replace(tmp, dest)
    except BaseException as err:
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()
        if isinstance(err, OSError) and dest.is_dir():  # another process (torchrun) extracted it first
            return dest
        raise
    return dest


# ---------------------------------------------------------------------------------------------------
# the pickles: a restricted unpickler and a check of the layout


def _numpy_rebuilders() -> tuple[Any, Any]:
    """numpy's ``_reconstruct`` (pickle protocols 0-4) and ``_frombuffer`` (protocol 5), found without
    importing the private modules that hold them (``numpy.core`` became ``numpy._core`` in numpy 2)."""
    array = np.zeros(1, np.uint8)
    return array.__reduce__()[0], array.__reduce_ex__(5)[0]


_RECONSTRUCT, _FROMBUFFER = _numpy_rebuilders()
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Admits only numpy's array reconstruction; dicts, lists, bytes, str and ints need no globals.

    (The pattern of the Python documentation's "Restricting Globals", with an allow-list of four callables
    that build ndarrays and dtypes from bytes; none of them can reach the file system or run code.)"""

    def find_class(self, module: str, name: str, /) -> Any:
        allowed = _ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise UnsafePickleError(
                f"refused the global {module}.{name}: CIFAR-10 batches hold only dicts, lists, bytes, ints "
                "and numpy uint8 arrays"
            )
        return allowed


_DAMAGED = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
    OverflowError,
    MemoryError,
)


def _unpickle(blob: bytes, where: str) -> Any:
    try:
        return _RestrictedUnpickler(io.BytesIO(blob), encoding="bytes").load()
    except UnsafePickleError as err:
        raise UnsafePickleError(f"{where}: {err}; nothing from this file was run") from None
    except _DAMAGED as err:  # a damaged pickle may ask for absurd sizes: MemoryError, OverflowError
        raise DataError(f"{where} is not a readable CIFAR-10 pickle ({type(err).__name__}: {err})") from err


def _entry(batch: dict[Any, Any], key: str) -> Any:
    """``batch[b"key"]`` (the official Python-2 pickles) or ``batch["key"]`` (a Python-3 re-pickle)."""
    for k in (key.encode(), key):
        if k in batch:
            return batch[k]
    raise KeyError(key)


def _parse_batch(blob: bytes, where: str) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """The ``(n, 3072)`` uint8 data and ``(n,)`` labels of one batch, after checking the layout."""
    batch = _unpickle(blob, where)
    expected = "a dict with b'data' (uint8 array of shape (n, 3072)) and b'labels' (n ints in 0..9)"
    if not isinstance(batch, dict):
        raise DataError(f"{where}: expected {expected}; got a {type(batch).__name__}")
    try:
        data, labels = _entry(batch, "data"), _entry(batch, "labels")
    except KeyError:
        raise DataError(f"{where}: expected {expected}; got keys {sorted(map(repr, batch))}") from None
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _ROW:
        got = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{where}: b'data' must be a uint8 array of shape (n, {_ROW}); got {got}")
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if not isinstance(labels, list) or any(type(v) is not int for v in labels):
        raise DataError(f"{where}: b'labels' must be a list of ints; got {type(labels).__name__}")
    if len(labels) != data.shape[0] or data.shape[0] == 0:
        raise DataError(f"{where}: {data.shape[0]} images but {len(labels)} labels; expected as many, at least 1")
    label_array = np.asarray(labels, dtype=np.int64)
    if label_array.min() < 0 or label_array.max() > 9:
        raise DataError(f"{where}: labels must lie in 0..9; got values in [{label_array.min()}, {label_array.max()}]")
    return np.ascontiguousarray(data), label_array


def _check_meta(blob: bytes, where: str) -> None:
    meta = _unpickle(blob, where)
    try:
        names = _entry(meta, "label_names") if isinstance(meta, dict) else None
    except KeyError:
        names = None
    if not isinstance(names, list) or len(names) != len(CIFAR10_CLASSES):
        raise DataError(f"{where}: expected a dict with b'label_names', a list of 10 class names")


def _split_arrays(source: Path, split: str) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    names = SPLIT_FILES[split]
    files = _read_files(source, (*names, META_FILE))
    _check_meta(files.pop(META_FILE), f"{source}: {META_FILE}")
    batches = [_parse_batch(files.pop(name), f"{source}: {name}") for name in names]
    data = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # planes R, G, B → NHWC
    return np.ascontiguousarray(images), labels


# ---------------------------------------------------------------------------------------------------
# the public loaders


def load_cifar10(
    root: str | os.PathLike[str] | None = None,
    split: str = "train",
    download: bool = False,
    *,
    url: str = CIFAR10_URL,
    md5: str = CIFAR10_MD5,
) -> tuple[Tensor, Tensor]:
    """Load a CIFAR-10 split (Krizhevsky 2009) as uint8 images and int64 labels.

    Reads ``cifar-10-batches-py/`` if it is in the data folder, else the archive (in memory, each
    member checked, nothing written). With ``download=True`` and neither present, downloads the
    archive first (``download_cifar10``, MD5 verified).

    Args:
        root: the data folder (see ``data_dir``), or the extracted folder itself.
        split: ``"train"`` (50 000 images in the full set) or ``"test"`` (10 000).
        download: whether to download the archive when it is missing.
        url: download address (tests point it at a local server).
        md5: the archive's expected MD5.

    Returns:
        ``(images, labels)``: uint8 tensor ``(n, 32, 32, 3)`` (NHWC, RGB) and int64 tensor ``(n,)``
        with values in 0..9 (names in ``CIFAR10_CLASSES``).

    Raises:
        DataError: CIFAR-10 is missing (and not downloaded) or its files are not in the official layout.
        UnsafePickleError: a batch file names a global other than numpy's array reconstruction.
        DownloadError: the download failed.
        ValueError: an unknown ``split``.
        TypeError: ``download`` is not a bool.

    References:
        Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images", technical report, University
        of Toronto; the format: <https://www.cs.toronto.edu/~kriz/cifar.html>.
    """
    split = check_choice(split, "split", SPLIT_FILES)
    download = check_bool(download, "download")
    folder = data_dir(root)
    source = _locate(folder)
    if source is None and download:
        source = download_cifar10(folder, url=url, md5=md5)
    if source is None:
        raise DataError(
            f"CIFAR-10 not found in {folder} (expected {ARCHIVE_NAME} or {FOLDER_NAME}/ there); pass "
            f"download=True (--download), or point root (--data-dir, ${ENV_VAR}) at a folder that holds it"
        )
    images, labels = _split_arrays(source, split)
    return torch.from_numpy(images), torch.from_numpy(labels)


class CIFAR10(ImageDataset):
    """CIFAR-10 (Krizhevsky 2009) as a dataset of float32 ``(3, 32, 32)`` images in [-1, 1] and labels.

    Item i is ``(x, label)`` with ``x = u/127.5 - 1`` of the uint8 image u (``to_float``), flipped as
    ``ImageDataset`` says.

    Args:
        root: the data folder (see ``data_dir``).
        split: ``"train"`` or ``"test"``.
        download: download the archive when it is missing (MD5 verified).
        flip: random horizontal flips; None means on for ``"train"``, off for ``"test"``.
        seed: the flip seed (see ``ImageDataset``).

    Raises:
        DataError: CIFAR-10 is missing or not in the official layout (see ``load_cifar10``).
        DownloadError: the download failed.

    References:
        Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images", technical report, University
        of Toronto.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        split: str = "train",
        download: bool = False,
        *,
        flip: bool | None = None,
        seed: int = 0,
    ) -> None:
        images, labels = load_cifar10(root, split, download)
        super().__init__(images, labels, flip=split == "train" if flip is None else flip, seed=seed)
        self.split = split
