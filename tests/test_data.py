"""CIFAR-10 read safely, and the built-in data set.

Every CIFAR-10 copy here is built by the tests in the official layout (``tests/data_helpers.py``: Python-2
protocol-2 pickles with bytes keys and numpy uint8 arrays, four images per batch) and downloaded only from a
loopback HTTP server; nothing leaves the machine.
"""

from __future__ import annotations

import builtins
import os
import pickle
import subprocess
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import scoresde.data
from scoresde.data import (
    CIFAR10,
    SHAPES,
    DataError,
    DownloadError,
    ImageDataset,
    SyntheticShapes,
    UnsafePickleError,
    cifar10_available,
    data_dir,
    download_cifar10,
    extract_cifar10,
    load_cifar10,
    load_images,
    random_hflip,
    synthetic_images,
    to_float,
    to_uint8,
)
from scoresde.data.cifar10 import _RestrictedUnpickler
from tests.data_helpers import (
    FOLDER,
    Reduce,
    batch_arrays,
    batch_blob,
    expected_split,
    file_member,
    make_archive,
    md5,
    official_files,
    py2_dumps,
    serve,
    special_member,
    write_folder,
)

ARCHIVE = "cifar-10-python.tar.gz"


@pytest.fixture(autouse=True)
def _no_ambient_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may see the user's real data folder."""
    monkeypatch.delenv("SCORESDE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def archive_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    make_archive(root / ARCHIVE)
    return root


def check_split(images: torch.Tensor, labels: torch.Tensor, split: str) -> None:
    want_images, want_labels = expected_split(split)
    assert images.dtype == torch.uint8 and images.shape == (len(want_labels), 32, 32, 3)
    assert labels.dtype == torch.int64
    np.testing.assert_array_equal(images.numpy(), want_images)
    np.testing.assert_array_equal(labels.numpy(), want_labels)


# ------------------------------------------------------------------------------------------ the format


def test_the_fake_batches_use_the_official_pickle_opcodes() -> None:
    blob = batch_blob("data_batch_1")
    assert blob.startswith(b"\x80\x02}")  # protocol 2, a dict
    assert b"U\x04data" in blob and b"cnumpy.core.multiarray\n_reconstruct\n" in blob  # py2 str, numpy 1 name
    assert b"\x8c" not in blob[:40]  # no SHORT_BINUNICODE: keys are Python-2 strings


@pytest.mark.parametrize("split", ["train", "test"])
def test_load_from_the_archive(archive_root: Path, split: str) -> None:
    check_split(*load_cifar10(archive_root, split), split)
    assert not (archive_root / FOLDER).exists()  # read in memory, nothing extracted


def test_rows_are_red_green_blue_planes(tmp_path: Path) -> None:
    data = np.zeros((2, 3072), np.uint8)
    data[1, :1024], data[1, 1024:2048], data[1, 2048:] = 10, 20, 30
    data[0, 5] = 99  # red plane, row 0, column 5
    files = official_files()
    files["test_batch"] = py2_dumps({b"data": data, b"labels": [3, 7]})
    write_folder(tmp_path, files)
    images, labels = load_cifar10(tmp_path, "test")
    assert images[1, 17, 4].tolist() == [10, 20, 30]
    assert images[0, 0, 5].tolist() == [99, 0, 0] and int(images[0].sum()) == 99
    assert labels.tolist() == [3, 7]


def test_load_from_the_extracted_folder(archive_root: Path) -> None:
    folder = extract_cifar10(archive_root)
    assert folder == archive_root / FOLDER
    assert sorted(p.name for p in folder.iterdir()) == sorted(official_files())
    assert not [p for p in archive_root.iterdir() if p.name.startswith(".")]  # no temporary folder left
    (archive_root / ARCHIVE).unlink()  # now only the folder can serve
    check_split(*load_cifar10(archive_root, "train"), "train")
    check_split(*load_cifar10(folder, "test"), "test")  # root may be the folder itself


def test_python3_repickled_batches_load_too(tmp_path: Path) -> None:
    files = official_files()
    data, labels = batch_arrays("test_batch", 4)
    files["test_batch"] = pickle.dumps({"data": data, "labels": labels}, protocol=pickle.HIGHEST_PROTOCOL)
    write_folder(tmp_path, files)
    check_split(*load_cifar10(tmp_path, "test"), "test")


# ------------------------------------------------------------------------------------------ where data lives


def test_data_dir_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data_dir() == Path.home() / ".cache" / "scoresde"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert data_dir() == Path.home() / ".cache" / "scoresde"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data_dir() == tmp_path / "cache" / "scoresde"
    monkeypatch.setenv("SCORESDE_DATA", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert data_dir("~/x") == Path.home() / "x"


def test_scoresde_data_is_where_loading_looks(monkeypatch: pytest.MonkeyPatch, archive_root: Path) -> None:
    assert not cifar10_available()
    monkeypatch.setenv("SCORESDE_DATA", str(archive_root))
    assert cifar10_available()
    check_split(*load_cifar10(split="test"), "test")
    assert CIFAR10(split="test")[0][0].shape == (3, 32, 32)


def test_available_and_not_found(tmp_path: Path) -> None:
    assert not cifar10_available(tmp_path)
    with pytest.raises(DataError, match=r"CIFAR-10 not found in .*download=True.*--data-dir"):
        load_cifar10(tmp_path)
    (tmp_path / FOLDER).mkdir()
    assert cifar10_available(tmp_path)  # present, if broken: loading says what is wrong


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"split": "valid"}, ValueError, r"split must be one of 'train', 'test'; got 'valid'"),
        ({"download": 1}, TypeError, r"download must be a bool; got int 1"),
        ({"root": 3}, TypeError, r"root must be a path .*; got int 3"),
        ({"root": ""}, ValueError, r"root must be a non-empty path"),
    ],
)
def test_load_bad_arguments(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        load_cifar10(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ download


def test_download_verifies_and_keeps_the_archive(tmp_path: Path) -> None:
    blob = (make_archive(tmp_path / "served.tar.gz")).read_bytes()
    root = tmp_path / "new" / "folder"
    with serve(blob) as url:
        images, labels = load_cifar10(root, "train", download=True, url=url, md5=md5(blob).upper())
    check_split(images, labels, "train")
    assert sorted(os.listdir(root)) == [ARCHIVE]  # no temporary file left
    assert (root / ARCHIVE).read_bytes() == blob
    assert download_cifar10(root, url="http://127.0.0.1:9/unused", md5=md5(blob)) == root / ARCHIVE  # kept


def test_wrong_checksum_leaves_nothing(tmp_path: Path) -> None:
    blob = make_archive(tmp_path / "served.tar.gz").read_bytes()
    root = tmp_path / "root"
    with serve(blob) as url, pytest.raises(DownloadError, match=r"MD5 [0-9a-f]{32}, not the expected 0{32}"):
        download_cifar10(root, url=url, md5="0" * 32)
    assert os.listdir(root) == []


def test_truncated_transfer_leaves_nothing(tmp_path: Path) -> None:
    blob = make_archive(tmp_path / "served.tar.gz").read_bytes()
    with serve(blob, send=len(blob) // 2) as url, pytest.raises(DownloadError, match="truncated"):
        download_cifar10(tmp_path / "root", url=url, md5=md5(blob))
    assert os.listdir(tmp_path / "root") == []


def test_truncated_archive_is_a_clear_error(tmp_path: Path) -> None:
    """An archive cut short whose checksum was published for the cut file: the download succeeds and
    reading it fails clearly."""
    blob = make_archive(tmp_path / "served.tar.gz").read_bytes()[:-200]
    with serve(blob) as url, pytest.raises(DataError, match=r"damaged or truncated.*download it again"):
        load_cifar10(tmp_path / "root", "test", download=True, url=url, md5=md5(blob))


def test_http_error_and_offline(tmp_path: Path) -> None:
    with serve(b"gone", status=404) as url, pytest.raises(DownloadError, match=r"could not download.*404"):
        download_cifar10(tmp_path, url=url)
    with serve(b"") as url:
        dead = url  # the server is shut down on leaving the block: nothing listens on its port any more
    with pytest.raises(DownloadError, match=r"could not download CIFAR-10 from .*network.*--data-dir"):
        download_cifar10(tmp_path, url=dead, timeout=5)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"url": "file:///etc/passwd"}, ValueError, r"url must be an http:// or https:// address"),
        ({"url": None}, TypeError, r"url must be a str"),
        ({"md5": "abc"}, ValueError, r"md5 must be 32 hexadecimal digits; got 'abc'"),
        ({"timeout": 0}, ValueError, r"timeout must be a finite number > 0"),
    ],
)
def test_download_bad_arguments(tmp_path: Path, kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        download_cifar10(tmp_path, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ unsafe archives

BAD_MEMBERS = {
    "parent": (file_member("../evil", b"x"), r"contains '\.\.'"),
    "parent inside": (file_member(f"{FOLDER}/../../evil", b"x"), r"contains '\.\.'"),
    "absolute": (file_member("/tmp/scoresde-evil", b"x"), "absolute path"),
    "symlink": (special_member(f"{FOLDER}/data_batch_6", tarfile.SYMTYPE, "/etc/passwd"), "is a link"),
    "hardlink": (special_member(f"{FOLDER}/data_batch_6", tarfile.LNKTYPE, "/etc/passwd"), "is a link"),
    "device": (special_member(f"{FOLDER}/tty", tarfile.CHRTYPE), "not a regular file"),
    "fifo": (special_member(f"{FOLDER}/pipe", tarfile.FIFOTYPE), "not a regular file"),
    "outside": (file_member("evil.sh", b"x"), "outside cifar-10-batches-py/"),
    "nested": (file_member(f"{FOLDER}/sub/evil", b"x"), "nested"),
    "twice": (file_member(f"{FOLDER}/test_batch", batch_blob("test_batch")), "appears twice"),
}


@pytest.mark.parametrize("case", sorted(BAD_MEMBERS))
def test_unsafe_members_are_refused(tmp_path: Path, case: str) -> None:
    member, match = BAD_MEMBERS[case]
    root = tmp_path / "deep" / "root"
    root.mkdir(parents=True)
    make_archive(root / ARCHIVE, extra=[member])
    with pytest.raises(DataError, match=f"member .*{match}.*refused"):
        load_cifar10(root, "test")
    with pytest.raises(DataError, match="refused"):
        extract_cifar10(root)
    assert sorted(os.listdir(root)) == [ARCHIVE]  # no folder, no temporary folder
    assert not (tmp_path / "deep" / "evil").exists() and not Path("/tmp/scoresde-evil").exists()


# ------------------------------------------------------------------------------------------ unsafe pickles

MALICIOUS = {  # the call a pickle makes, and the global it names (protocol 2 writes builtins as __builtin__)
    "os.system": (lambda marker: Reduce(os.system, f"touch {marker}"), r"(posix|nt|os)\.system"),
    "builtins.eval": (lambda marker: Reduce(builtins.eval, f"open({str(marker)!r}, 'w')"), r"__builtin__\.eval"),
    "builtins.exec": (lambda marker: Reduce(builtins.exec, f"open({str(marker)!r}, 'w')"), r"__builtin__\.exec"),
    "subprocess.Popen": (
        lambda marker: Reduce(subprocess.Popen, ["touch", str(marker)]),
        r"(subprocess|commands)\.Popen",
    ),
}


@pytest.mark.parametrize("name", sorted(MALICIOUS))
@pytest.mark.parametrize("where", ["folder", "archive"])
def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path: Path, name: str, where: str) -> None:
    marker = tmp_path / "pwned"
    make, named = MALICIOUS[name]
    files = official_files()
    files["test_batch"] = py2_dumps({b"data": make(marker), b"labels": [0]})
    root = tmp_path / "root"
    root.mkdir()
    if where == "folder":
        write_folder(root, files)
    else:
        make_archive(root / ARCHIVE, files)
    with pytest.raises(UnsafePickleError, match=f"test_batch: refused the global {named}.*nothing .* was run") as info:
        load_cifar10(root, "test")
    assert isinstance(info.value, pickle.UnpicklingError) and isinstance(info.value, DataError)
    time.sleep(0.05)  # a spawned process would have had time to create the marker
    assert not marker.exists()


def test_unpickler_admits_only_array_reconstruction() -> None:
    def load(blob: bytes) -> object:
        import io

        return _RestrictedUnpickler(io.BytesIO(blob), encoding="bytes").load()

    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(load(py2_dumps(array)), array)  # type: ignore[arg-type]
    for protocol in (3, 4, 5):  # (Python 3 writes protocol-2 bytes through _codecs.encode, refused)
        np.testing.assert_array_equal(load(pickle.dumps(array, protocol=protocol)), array)  # type: ignore[arg-type]
    for blob in (b"cnumpy\nload\n.", b"cnumpy.core.multiarray\nscalar\n.", b"ccollections\nOrderedDict\n."):
        with pytest.raises(UnsafePickleError, match="refused the global"):
            load(blob)


# ------------------------------------------------------------------------------------------ wrong layouts


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"data_batch_3": None}, r"lacks data_batch_3: not a complete copy of CIFAR-10"),
        ({"batches.meta": None}, r"lacks batches\.meta"),
        (
            {"data_batch_2": batch_blob("data_batch_2", data=np.zeros((4, 3071), np.uint8))},
            r"data_batch_2: .*\(n, 3072\); got uint8 array of shape \(4, 3071\)",
        ),
        (
            {"data_batch_2": batch_blob("data_batch_2", data=np.zeros((4, 3072), np.int16))},
            r"must be a uint8 array .* got int16",
        ),
        (
            {"data_batch_4": batch_blob("data_batch_4", data=None, images=np.zeros(3))},
            r"data_batch_4: expected a dict with b'data'.*got keys",
        ),
        ({"data_batch_1": batch_blob("data_batch_1", labels=[0, 1, 2])}, r"data_batch_1: 4 images but 3 labels"),
        (
            {"data_batch_1": batch_blob("data_batch_1", labels=[0, 1, 2, 10])},
            r"labels must lie in 0\.\.9; got values in \[0, 10\]",
        ),
        ({"data_batch_1": batch_blob("data_batch_1", labels=[0, 1, 2, 3.0])}, r"b'labels' must be a list of ints"),
        ({"data_batch_5": py2_dumps([1, 2, 3])}, r"data_batch_5: expected a dict .* got a list"),
        ({"data_batch_5": b"not a pickle at all"}, r"data_batch_5 is not a readable CIFAR-10 pickle"),
        ({"batches.meta": py2_dumps({b"label_names": [b"cat"]})}, r"batches\.meta: expected .* 10 class names"),
    ],
)
@pytest.mark.parametrize("where", ["folder", "archive"])
def test_wrong_or_partial_layout(tmp_path: Path, change: dict[str, bytes | None], match: str, where: str) -> None:
    files = official_files()
    for name, blob in change.items():
        if blob is None:
            del files[name]
        else:
            files[name] = blob
    if where == "folder":
        write_folder(tmp_path, files)
    else:
        make_archive(tmp_path / ARCHIVE, files)
    with pytest.raises(DataError, match=match):
        load_cifar10(tmp_path, "train")


# ------------------------------------------------------------------------------------------ tensors, datasets


def test_to_float_and_back() -> None:
    u = torch.arange(256, dtype=torch.uint8).repeat(12).view(1, 32, 32, 3)
    x = to_float(u)
    assert x.dtype == torch.float32 and x.shape == (1, 3, 32, 32)
    assert float(x.min()) == -1.0 and float(x.max()) == 1.0
    assert torch.equal(to_uint8(x), u)
    assert torch.equal(to_uint8(x[0]), u[0]) and to_float(u[0]).shape == (3, 32, 32)
    assert torch.equal(to_uint8(torch.tensor([[[-3.0]], [[0.0]], [[7.0]]])).flatten(), torch.tensor([0, 128, 255]))
    with pytest.raises(TypeError, match=r"images must be a uint8 tensor .* got torch.float32 tensor"):
        to_float(x)
    with pytest.raises(ValueError, match=r"images must be a uint8 tensor .* got shape \(32, 3\)"):
        to_float(u[0, 0])
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor .* got torch.uint8 tensor"):
        to_uint8(u)
    with pytest.raises(ValueError, match=r"x must be a floating-point tensor .* got shape \(1, 1, 3, 32, 32\)"):
        to_uint8(x[None])


def test_random_hflip() -> None:
    x = torch.randn(64, 3, 4, 5)
    a = random_hflip(x, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, random_hflip(x, generator=torch.Generator().manual_seed(1)))
    flipped = torch.tensor([torch.equal(a[i], x[i].flip(-1)) for i in range(64)])
    assert 16 < int(flipped.sum()) < 48 and all(torch.equal(a[i], x[i]) for i in range(64) if not flipped[i])
    assert torch.equal(random_hflip(x, p=0.0), x) and torch.equal(random_hflip(x, p=1.0), x.flip(-1))
    with pytest.raises(ValueError, match=r"p must be a finite number >= 0 and <= 1; got 1.5"):
        random_hflip(x, p=1.5)
    with pytest.raises(TypeError, match=r"p must be a real number; got bool True"):
        random_hflip(x, p=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        random_hflip(x.numpy())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(n, \.\.\., W\); got shape \(5,\)"):
        random_hflip(x[0, 0, 0])


def test_cifar10_dataset_values_and_flips(archive_root: Path) -> None:
    train = CIFAR10(archive_root, seed=5)
    assert len(train) == 20 and train.flip and not CIFAR10(archive_root, "test").flip
    x, label = train[3]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and isinstance(label, int)
    assert -1.0 <= float(x.min()) and float(x.max()) <= 1.0
    flips = [train.flipped(i) for i in range(len(train))]
    assert 0 < sum(flips) < len(train)
    for i in range(len(train)):
        plain = to_float(train.images[i])
        assert torch.equal(train[i][0], plain.flip(-1) if flips[i] else plain)
    assert flips == [CIFAR10(archive_root, seed=5).flipped(i) for i in range(20)]  # same seed, same flips
    assert flips != [CIFAR10(archive_root, seed=6).flipped(i) for i in range(20)]
    train.set_epoch(1)
    assert flips != [train.flipped(i) for i in range(20)]
    assert torch.equal(train[-1][0], train[19][0])
    with pytest.raises(IndexError, match="index 20 is out of range for a dataset of 20 images"):
        train[20]


def test_flips_are_balanced_and_worker_independent() -> None:
    data = ImageDataset(torch.zeros(2000, 2, 2, 3, dtype=torch.uint8), torch.zeros(2000), flip=True, seed=0)
    assert 900 < sum(data.flipped(i) for i in range(2000)) < 1100
    assert not ImageDataset(data.images, data.labels).flipped(0)  # off by default
    with pytest.raises(ValueError, match=r"labels must be a tensor of shape \(2000,\); got \(3,\)"):
        ImageDataset(data.images, torch.zeros(3))


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    ((torch.zeros(2, 2, 2, 3), torch.zeros(2)), {}, TypeError, r"images must be a uint8 tensor .* got torch\.float32"),
    ((torch.zeros(2, 2, 3, dtype=torch.uint8), torch.zeros(2)), {}, ValueError, r"got shape \(2, 2, 3\)"),
    ((torch.zeros(2, 2, 2, 3, dtype=torch.uint8), [0, 1]), {}, TypeError, r"labels must be a tensor .* got list"),
    ((torch.zeros(2, 2, 2, 3, dtype=torch.uint8), torch.zeros(2)), {"flip": 1}, TypeError, "flip must be a bool"),
    ((torch.zeros(2, 2, 2, 3, dtype=torch.uint8), torch.zeros(2)), {"seed": 1.0}, TypeError, "seed must be an int"),
    ((torch.zeros(2, 2, 2, 3, dtype=torch.uint8), torch.zeros(2)), {"seed": -1}, ValueError,
     "seed must be an integer >= 0; got -1"),
])
def test_image_dataset_bad_arguments(args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception],
                                     match: str) -> None:
    """The wrong type is a TypeError, a value of the right type out of range a ValueError."""
    with pytest.raises(error, match=match):
        ImageDataset(*args, **kwargs)  # type: ignore[arg-type]


def test_set_epoch_bad_arguments() -> None:
    data = ImageDataset(torch.zeros(2, 2, 2, 3, dtype=torch.uint8), torch.zeros(2), flip=True)
    with pytest.raises(ValueError, match="epoch must be an integer >= 0; got -1"):
        data.set_epoch(-1)
    with pytest.raises(TypeError, match="epoch must be an int; got bool"):
        data.set_epoch(True)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ the built-in set


def test_synthetic_is_deterministic_and_seed_dependent() -> None:
    a, la = synthetic_images(240, seed=1)
    b, lb = synthetic_images(240, seed=1)
    c, _ = synthetic_images(240, seed=2)
    assert a.dtype == torch.uint8 and a.shape == (240, 32, 32, 3) and la.dtype == torch.int64
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert not torch.equal(a, c)
    prefix, _ = synthetic_images(100, seed=1)  # the first k of n do not depend on n (up to float rounding)
    assert int((prefix.int() - a[:100].int()).abs().max()) <= 1


def test_synthetic_splits_are_disjoint() -> None:
    train, _ = synthetic_images(2000, seed=0)
    test, _ = synthetic_images(2000, seed=0, split="test")
    seen = {bytes(img.numpy()) for img in train}
    assert not any(bytes(img.numpy()) in seen for img in test)
    assert len(seen) == 2000  # and no duplicates within a split


def test_synthetic_classes_are_balanced_and_varied() -> None:
    images, labels = synthetic_images(6003, seed=0)
    counts = torch.bincount(labels, minlength=len(SHAPES)).tolist()
    assert max(counts) - min(counts) <= 1 and sum(counts) == 6003
    x = to_float(images)
    assert float(x.std()) > 0.3  # bold colours, not a grey wash
    per_class = torch.stack([x[labels == c].mean(0) for c in range(len(SHAPES))])
    assert float((per_class - per_class.mean(0)).abs().max()) > 0.05  # the classes look different
    assert set(images.reshape(-1).tolist()) >= {0, 255} or int(images.max()) >= 250


def test_synthetic_speed_and_sizes() -> None:
    start = time.perf_counter()
    synthetic_images(5000)
    assert time.perf_counter() - start < 3.0  # 50 000 take about 1 s
    assert synthetic_images(6, size=64)[0].shape == (6, 64, 64, 3)
    data = SyntheticShapes(12, seed=3)
    assert len(data) == 12 and data.flip and not SyntheticShapes(12, "test").flip
    assert data[0][0].shape == (3, 32, 32) and torch.equal(data.images, synthetic_images(12, seed=3)[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0}, ValueError, r"n must be an integer >= 1; got 0"),
        ({"n": 2.0}, TypeError, r"n must be an int; got float"),
        ({"n": 2, "seed": -1}, ValueError, r"seed must be an integer >= 0; got -1"),
        ({"n": 2, "size": 4}, ValueError, r"size must be at least 8 pixels; got 4"),
        ({"n": 2, "split": "val"}, ValueError, r"split must be one of 'train', 'test'; got 'val'"),
    ],
)
def test_synthetic_bad_arguments(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        synthetic_images(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ load_images


def test_load_images_falls_back_and_says_so(tmp_path: Path) -> None:
    data = load_images(root=tmp_path, n_synthetic=30, seed=4)
    assert data.name == "shapes" and data.class_names == SHAPES and data.images.shape == (30, 32, 32, 3)
    assert data.message.startswith(f"CIFAR-10 not found at {tmp_path}; training on the built-in 'shapes' data set")
    assert data.message.endswith("pass --data-dir or --download to use CIFAR-10")
    assert torch.equal(data.images, synthetic_images(30, seed=4)[0])
    test = load_images(root=tmp_path, split="test", n_synthetic=30, seed=4)
    assert "evaluating on" in test.message and not torch.equal(test.images, data.images)


def test_load_images_download_failure_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(root: Path) -> Path:
        raise DownloadError("could not download CIFAR-10 from https://example: no network")

    monkeypatch.setattr(scoresde.data, "download_cifar10", offline)
    data = load_images(root=tmp_path, download=True, n_synthetic=6)
    assert data.name == "shapes" and "the download failed: could not download" in data.message
    with pytest.raises(DownloadError):
        load_images("cifar10", root=tmp_path, download=True)  # insisting on CIFAR-10 keeps the error


def test_load_images_prefers_cifar10(archive_root: Path) -> None:
    data = load_images(root=archive_root)
    assert data.name == "cifar10" and data.class_names[0] == "airplane" and data.images.shape == (20, 32, 32, 3)
    assert data.message == f"CIFAR-10 train split: 20 images from {archive_root / ARCHIVE}"
    assert load_images("synthetic", root=archive_root, n_synthetic=6).name == "shapes"


def test_load_images_does_not_hide_a_broken_copy(tmp_path: Path) -> None:
    write_folder(tmp_path, {"batches.meta": official_files()["batches.meta"]})
    with pytest.raises(DataError, match="lacks data_batch_1"):
        load_images(root=tmp_path)
    with pytest.raises(DataError, match="CIFAR-10 not found"):
        load_images("cifar10", root=tmp_path / "empty")
    with pytest.raises(ValueError, match=r"source must be one of 'auto', 'cifar10', 'synthetic'; got 'imagenet'"):
        load_images("imagenet")
