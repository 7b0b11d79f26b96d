"""The FID Inception feature extractor (scoresde/evaluation/inception.py), with random weights.

The real weights (pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth``) are not needed: a seeded random state dict
with the same names and shapes is saved and loaded with ``check_hash=False``. That the network equals pytorch-fid's
is checked once by ``benchmarks/verify_inception.py``. The 299×299 network is slow on a CPU (every input is resized
to 299×299, so a 32×32 image costs as much as a large one): the features are computed once per module, for 2 images.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from scoresde.evaluation.inception import (
    ENV_VAR,
    FEATURE_DIM,
    WEIGHTS_FILE,
    WEIGHTS_SHA256_PREFIX,
    WEIGHTS_URL,
    FIDInception,
    InvalidWeightsError,
    WeightsError,
    WeightsNotFoundError,
    inception_features,
    inception_weights_path,
    load_inception,
)


def random_state_dict(seed: int) -> dict[str, Tensor]:
    """FIDInception's names and shapes with random values of a sensible scale: He-scaled convolutions, BatchNorm
    statistics with positive variances, so that the features are O(1) rather than vanishing."""
    g = torch.Generator().manual_seed(seed)
    state: dict[str, Tensor] = {}
    for name, ref in FIDInception().state_dict().items():
        shape = ref.shape
        if name.endswith("conv.weight"):
            state[name] = torch.randn(shape, generator=g) * math.sqrt(2.0 / ref[0].numel())
        elif name.endswith(("bn.weight", "running_var")):
            state[name] = 0.5 + torch.rand(shape, generator=g)
        elif name.endswith(("bn.bias", "running_mean")):
            state[name] = 0.1 * torch.randn(shape, generator=g)
        elif name.endswith("num_batches_tracked"):
            state[name] = torch.zeros((), dtype=torch.long)
        else:  # fc.weight, fc.bias
            state[name] = 0.01 * torch.randn(shape, generator=g)
    return state


@pytest.fixture(scope="module")
def state() -> dict[str, Tensor]:
    return random_state_dict(0)


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory, state: dict[str, Tensor]) -> Path:
    path = tmp_path_factory.mktemp("weights") / "random_inception.pth"
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def model(weights_file: Path) -> FIDInception:
    return load_inception(weights_file, check_hash=False)


@pytest.fixture(scope="module")
def images() -> Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (2, 32, 32, 3), generator=g, dtype=torch.uint8)


@pytest.fixture(scope="module")
def features(images: Tensor, model: FIDInception) -> Tensor:
    return inception_features(images, model, batch_size=2)


def assert_features_close(a: Tensor, b: Tensor, rtol: float = 1e-4) -> None:
    """Close relative to the largest feature: features are averages of ReLUs, many near 0."""
    scale = float(b.abs().max())
    torch.testing.assert_close(a, b, rtol=rtol, atol=rtol * scale)


# ---------------------------------------------------------------------------------------------------
# the network and its names


def test_state_dict_names_and_shapes_are_pytorch_fids() -> None:
    net = FIDInception()
    sd = net.state_dict()
    assert len(sd) == 566  # 94 conv+BN layers (1 + 5 each) and fc.weight, fc.bias
    assert sd["Conv2d_1a_3x3.conv.weight"].shape == (32, 3, 3, 3)
    assert sd["Conv2d_4a_3x3.bn.running_var"].shape == (192,)
    assert sd["Mixed_5b.branch_pool.conv.weight"].shape == (32, 192, 1, 1)
    assert sd["Mixed_5d.branch5x5_2.conv.weight"].shape == (64, 48, 5, 5)
    assert sd["Mixed_6e.branch7x7dbl_5.conv.weight"].shape == (192, 192, 1, 7)
    assert sd["Mixed_7a.branch7x7x3_4.conv.weight"].shape == (192, 192, 3, 3)
    assert sd["Mixed_7c.branch3x3dbl_3b.conv.weight"].shape == (384, 384, 3, 1)
    assert sd["fc.weight"].shape == (1008, FEATURE_DIM) and sd["fc.bias"].shape == (1008,)
    assert not any(name.endswith("conv.bias") for name in sd)
    assert all(bn.eps == 1e-3 for bn in net.modules() if isinstance(bn, torch.nn.BatchNorm2d))


def test_loads_strictly_in_eval_mode_without_gradients(model: FIDInception, state: dict[str, Tensor]) -> None:
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    loaded = model.state_dict()
    assert loaded.keys() == state.keys()
    assert torch.equal(loaded["Mixed_6c.branch7x7_2.conv.weight"], state["Mixed_6c.branch7x7_2.conv.weight"])
    assert torch.equal(loaded["Mixed_7c.branch_pool.bn.running_var"], state["Mixed_7c.branch_pool.bn.running_var"])


# ---------------------------------------------------------------------------------------------------
# the features


def test_features_shape_finite_and_scale(features: Tensor) -> None:
    assert features.shape == (2, FEATURE_DIM) and features.dtype == torch.float64 and features.device.type == "cpu"
    assert bool(torch.isfinite(features).all())
    assert bool((features >= 0).all())  # averages of ReLUs
    assert 0.1 < float(features.mean()) < 100.0  # the random weights keep the scale: nothing vanishes


def test_features_are_independent_of_batch_size(images: Tensor, model: FIDInception, features: Tensor) -> None:
    model.train()  # inception_features runs in eval mode and restores the mode
    one_by_one = inception_features(images.numpy(), model, batch_size=1, progress=True)  # numpy works too
    assert model.training
    model.eval()
    assert_features_close(one_by_one, features)
    # the forward on u/255 of the same batch (of one) gives the same numbers: the path is deterministic
    x = images[:1].permute(0, 3, 1, 2).to(torch.float32) / 255.0
    with torch.no_grad():
        direct = model(x).double()
    torch.testing.assert_close(direct, one_by_one[:1], rtol=1e-6, atol=1e-6 * float(features.abs().max()))


def test_the_resize_makes_a_small_image_and_its_bilinear_upsampling_agree(model: FIDInception) -> None:
    g = torch.Generator().manual_seed(2)
    small = torch.rand(1, 3, 32, 32, generator=g)
    large = F.interpolate(small, size=(299, 299), mode="bilinear", align_corners=False)
    with torch.no_grad():
        a, b = model(small), model(large)
    assert_features_close(a, b)
    assert float((a - b).abs().max()) < 1e-3 * float(b.abs().max())


# ---------------------------------------------------------------------------------------------------
# finding and checking the weights file


def test_missing_file_names_the_file_the_url_and_where_to_put_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere" / WEIGHTS_FILE
    monkeypatch.setenv(ENV_VAR, str(missing))
    with pytest.raises(WeightsNotFoundError) as info:
        load_inception()
    message = str(info.value)
    for part in (str(missing), WEIGHTS_FILE, WEIGHTS_URL, ENV_VAR, "load_inception(path)"):
        assert part in message
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, WeightsError)
    with pytest.raises(WeightsNotFoundError, match="is a folder"):
        load_inception(tmp_path)


def test_a_file_with_another_hash_is_refused_naming_both(tmp_path: Path) -> None:
    other = tmp_path / WEIGHTS_FILE
    other.write_bytes(b"not the Inception weights")
    got = hashlib.sha256(other.read_bytes()).hexdigest()[:8]
    assert got != WEIGHTS_SHA256_PREFIX
    with pytest.raises(InvalidWeightsError) as info:
        load_inception(other)
    message = str(info.value)
    assert f"should start with {WEIGHTS_SHA256_PREFIX}, got {got}" in message and WEIGHTS_URL in message
    assert isinstance(info.value, ValueError)


def test_a_truncated_file_is_refused(tmp_path: Path, weights_file: Path) -> None:
    cut = tmp_path / "cut.pth"
    data = weights_file.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidWeightsError, match="cannot be read as a torch state dict"):
        load_inception(cut, check_hash=False)
    with pytest.raises(InvalidWeightsError, match=f"should start with {WEIGHTS_SHA256_PREFIX}"):
        load_inception(cut)  # the hash is checked first


def test_a_file_that_is_no_state_dict_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(2)], path)
    with pytest.raises(InvalidWeightsError, match="holds a list, not a state dict"):
        load_inception(path, check_hash=False)


def test_missing_unexpected_and_misshapen_keys_are_named(tmp_path: Path, state: dict[str, Tensor]) -> None:
    broken = dict(state)
    del broken["Mixed_7c.branch_pool.conv.weight"]
    broken["AuxLogits.fc.weight"] = torch.zeros(1008, 768)
    path = tmp_path / "keys.pth"
    torch.save(broken, path)
    with pytest.raises(InvalidWeightsError) as info:
        load_inception(path, check_hash=False)
    message = str(info.value)
    assert "1 missing key(s): Mixed_7c.branch_pool.conv.weight" in message
    assert "1 unexpected key(s): AuxLogits.fc.weight" in message

    misshapen = dict(state)
    misshapen["fc.weight"] = torch.zeros(1000, FEATURE_DIM)  # torchvision's ImageNet head, not the TF graph's
    torch.save(misshapen, path)
    with pytest.raises(InvalidWeightsError, match=r"fc\.weight"):
        load_inception(path, check_hash=False)


def test_the_path_comes_from_the_argument_else_the_environment_else_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, weights_file: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(weights_file))
    assert inception_weights_path() == weights_file
    assert inception_weights_path(tmp_path / "x.pth") == tmp_path / "x.pth"
    loaded = load_inception(check_hash=False, device="cpu")  # found through the environment
    assert loaded.fc.weight.device.type == "cpu" and not loaded.training

    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert inception_weights_path() == tmp_path / "cache" / "scoresde" / WEIGHTS_FILE
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # not absolute: ignored, as the XDG rule says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert inception_weights_path() == tmp_path / "home" / ".cache" / "scoresde" / WEIGHTS_FILE
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert inception_weights_path() == tmp_path / "home" / ".cache" / "scoresde" / WEIGHTS_FILE
    assert inception_weights_path("~/w.pth") == tmp_path / "home" / "w.pth"


def test_bad_loader_arguments(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="path must be a path"):
        load_inception(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path must be a non-empty path"):
        load_inception("")
    with pytest.raises(TypeError, match=r"device must be a str, a torch\.device or None; got int"):
        load_inception(tmp_path / "w.pth", device=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="device must name a torch device"):
        load_inception(tmp_path / "w.pth", device="gpu-please")
    with pytest.raises(TypeError, match="check_hash must be a bool"):
        load_inception(tmp_path / "w.pth", check_hash="no")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# bad images and options


@pytest.mark.parametrize(("bad", "error", "text"), [
    (torch.zeros(2, 32, 32, 3), TypeError, "got a torch.float32 tensor"),
    (np.zeros((2, 32, 32, 3), dtype=np.float32), TypeError, "got a numpy array of dtype float32"),
    ([[0, 1, 2]], TypeError, "got list"),
    (torch.zeros(32, 32, 3, dtype=torch.uint8), ValueError, r"got shape \(32, 32, 3\)"),
    (torch.zeros(2, 32, 32, 4, dtype=torch.uint8), ValueError, r"must have 3 channels, last.*\(2, 32, 32, 4\)"),
    (torch.zeros(2, 32, 32, 1, dtype=torch.uint8), ValueError, "repeat the channel three times"),
    (torch.zeros(2, 3, 32, 32, dtype=torch.uint8), ValueError, "channels first"),
    (torch.zeros(0, 32, 32, 3, dtype=torch.uint8), ValueError, "with N, H, W >= 1"),
])
def test_bad_images_are_refused(bad: object, error: type[Exception], text: str, model: FIDInception) -> None:
    with pytest.raises(error, match=text) as info:
        inception_features(bad, model)
    assert "(N, H, W, 3)" in str(info.value)


def test_bad_options_are_refused(images: Tensor, model: FIDInception) -> None:
    with pytest.raises(TypeError, match="model must be a FIDInception"):
        inception_features(images, torch.nn.Identity())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1; got 0"):
        inception_features(images, model, batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        inception_features(images, model, batch_size=True)
    with pytest.raises(TypeError, match="progress must be a bool"):
        inception_features(images, model, progress=1)  # type: ignore[arg-type]


def test_forward_checks_its_input(model: FIDInception) -> None:
    with pytest.raises(TypeError, match=r"floating-point tensor of shape \(N, 3, H, W\).*got torch\.uint8 tensor"):
        model(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"got shape \(1, 8, 8, 3\)"):
        model(torch.zeros(1, 8, 8, 3))


@pytest.mark.slow
def test_large_images_in_uneven_batches(model: FIDInception) -> None:
    g = torch.Generator().manual_seed(3)
    big = torch.randint(0, 256, (5, 299, 299, 3), generator=g, dtype=torch.uint8)
    whole = inception_features(big, model, batch_size=5)
    assert_features_close(inception_features(big, model, batch_size=2), whole)
    assert bool(torch.isfinite(whole).all())
