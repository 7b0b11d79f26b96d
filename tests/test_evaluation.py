"""The shapes classifier (shipped weights, their checksum, what it says about real and broken images), images as
data (.npz, PNG folders), cached reference features, the scores beside their floor, runs, and the command."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from scoresde.data import synthetic_images, to_float, to_uint8
from scoresde.evaluation import (
    CLASSES,
    InvalidWeightsError,
    WeightsNotFoundError,
    class_histogram,
    load_shapes_classifier,
    read_images,
    recognizable_rate,
    reference_features,
    save_npz,
    score_images,
    shapes_scores,
)
from scoresde.evaluation.__main__ import main as evaluate_main
from scoresde.evaluation.shapes import WEIGHTS_PATH, WEIGHTS_SHA256
from scoresde.evaluation.train_shapes import blobs, blurred, ghosts, melted, none_images

N_TEST = 1200


@pytest.fixture(scope="module")
def real() -> tuple[torch.Tensor, torch.Tensor]:
    """Test-split images of seed 0 (the classifier trained on seed 12345) and their labels."""
    return synthetic_images(N_TEST, 0, 32, "test")


@pytest.fixture(scope="module")
def broken(real: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """'None of these' images made from other test images with a generator the training never used."""
    images, labels = synthetic_images(600, 7, 32, "test")
    return to_uint8(none_images(to_float(images), labels, torch.Generator().manual_seed(99)))


# ------------------------------------------------------------------------------------------------ the weights


def test_shipped_weights_match_their_checksum_and_are_small() -> None:
    data = WEIGHTS_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == WEIGHTS_SHA256
    assert len(data) <= 2 * 2**20
    model = load_shapes_classifier()
    assert not model.training and not any(p.requires_grad for p in model.parameters())


def test_classifier_knows_real_shapes_and_refuses_broken_ones(real: tuple[torch.Tensor, torch.Tensor],
                                                              broken: torch.Tensor) -> None:
    images, labels = real
    scores = shapes_scores(images)
    assert scores.features.shape == (N_TEST, 128) and scores.features.dtype == torch.float64
    assert scores.probs.shape == (N_TEST, len(CLASSES))
    torch.testing.assert_close(scores.probs.sum(1), torch.ones(N_TEST, dtype=torch.float64))
    accuracy = float((scores.probs.argmax(1) == labels).double().mean())
    assert accuracy >= 0.98, accuracy
    assert recognizable_rate(scores.probs) >= 0.93
    hist = class_histogram(scores.probs)
    for c, name in enumerate(CLASSES[:-1]):  # balanced data: each shape about 1/6
        assert abs(hist[name] - float((labels == c).double().mean())) < 0.03, (name, hist)
    on_broken = shapes_scores(broken).probs
    assert class_histogram(on_broken)["none"] >= 0.85
    assert recognizable_rate(on_broken) <= 0.1


@pytest.mark.parametrize(("make", "least"), [(melted, 0.6), (blurred, 0.9), (blobs, 0.85)])
def test_each_kind_of_broken_image_is_mostly_none(make: object, least: float,
                                                  real: tuple[torch.Tensor, torch.Tensor]) -> None:
    # measured on 1200 images of seed 7: melted 0.76 (a weak melt can leave a shape), blurred 1.00, blobs 0.92
    images, _ = real
    x = to_float(images[:300])
    out = make(x, torch.Generator().manual_seed(5))  # type: ignore[operator]
    assert out.shape == x.shape and torch.isfinite(out).all()
    probs = shapes_scores(to_uint8(out)).probs
    assert class_histogram(probs)["none"] >= least


def test_ghosts_mix_two_classes(real: tuple[torch.Tensor, torch.Tensor]) -> None:
    images, labels = real
    x = to_float(images[:60])
    out = ghosts(x, labels[:60], torch.Generator().manual_seed(0))
    # each ghost lies strictly between its image and another one (weights 0.35..0.65), never equal to either
    assert not torch.isclose(out, x).flatten(1).all(1).any()


def test_scores_do_not_depend_on_the_batch_size(real: tuple[torch.Tensor, torch.Tensor]) -> None:
    images = real[0][:90]
    a, b = shapes_scores(images, batch_size=90), shapes_scores(images, batch_size=7)
    torch.testing.assert_close(a.features, b.features, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(a.probs, b.probs, rtol=1e-5, atol=1e-6)


def test_bad_weights_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(WeightsNotFoundError, match="do not exist"):
        load_shapes_classifier(tmp_path / "missing.pt")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(WEIGHTS_PATH.read_bytes()[:5000])
    with pytest.raises(InvalidWeightsError, match="SHA-256"):
        load_shapes_classifier(truncated)
    with pytest.raises(InvalidWeightsError, match="cannot be read safely"):
        load_shapes_classifier(truncated, sha256=None)
    other = tmp_path / "other.pt"
    torch.save({"format": "something else"}, other)
    with pytest.raises(InvalidWeightsError, match="not a shapes classifier file"):
        load_shapes_classifier(other, sha256=None)
    wrong = tmp_path / "wrong.pt"
    saved = torch.load(WEIGHTS_PATH, weights_only=True)
    del saved["state_dict"]["head.bias"]
    torch.save(saved, wrong)
    with pytest.raises(InvalidWeightsError, match=r"head\.bias"):
        load_shapes_classifier(wrong, sha256=None)
    with pytest.raises(TypeError, match="path"):
        load_shapes_classifier(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sha256"):
        load_shapes_classifier(sha256=5)  # type: ignore[arg-type]


def test_scores_and_rates_refuse_bad_input() -> None:
    with pytest.raises(TypeError, match="uint8"):
        shapes_scores(torch.zeros(2, 32, 32, 3))
    with pytest.raises(ValueError, match=r"\(n, 32, 32, 3\)"):
        shapes_scores(torch.zeros(2, 3, 32, 32, dtype=torch.uint8))
    with pytest.raises(TypeError, match="images"):
        shapes_scores(np.zeros((2, 32, 32, 3), np.uint8))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="probs"):
        recognizable_rate(torch.ones(3, 6) / 6)
    with pytest.raises(ValueError, match="threshold"):
        recognizable_rate(torch.ones(3, 7) / 7, 0.0)
    with pytest.raises(TypeError, match="threshold"):
        recognizable_rate(torch.ones(3, 7) / 7, True)  # type: ignore[arg-type]


def test_recognizable_rate_and_histogram_by_hand() -> None:
    p = torch.tensor([
        [0.95, 0.01, 0.01, 0.01, 0.01, 0.005, 0.005],  # a confident disc
        [0.50, 0.40, 0.02, 0.02, 0.02, 0.02, 0.02],  # an unsure disc
        [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.94],  # confidently none: not recognizable
        [0.0, 0.0, 0.0, 0.9, 0.1, 0.0, 0.0],  # a ring at exactly the threshold
    ], dtype=torch.float64)
    assert recognizable_rate(p) == pytest.approx(0.5)
    assert recognizable_rate(p, 0.4) == pytest.approx(0.75)
    hist = class_histogram(p)
    assert list(hist) == list(CLASSES)
    assert hist == {"disc": 0.5, "square": 0.0, "triangle": 0.0, "ring": 0.25, "cross": 0.0, "stripes": 0.0,
                    "none": 0.25}


# ------------------------------------------------------------------------------------------------ images as data


def test_npz_round_trip_and_png_folder(tmp_path: Path, real: tuple[torch.Tensor, torch.Tensor]) -> None:
    images = real[0][:5]
    path = save_npz(images, tmp_path / "a" / "samples.npz")
    with np.load(path) as f:
        assert list(f.keys()) == ["arr_0"] and f["arr_0"].dtype == np.uint8 and f["arr_0"].shape == (5, 32, 32, 3)
    assert torch.equal(read_images(path), images)
    from PIL import Image

    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, im in enumerate(images):
        Image.fromarray(im.numpy()).save(folder / f"{i:03d}.png")
    assert torch.equal(read_images(folder), images)
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(folder / "999.png")
    with pytest.raises(ValueError, match="differ in size"):
        read_images(folder)
    np.savez(tmp_path / "floats.npz", arr_0=np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="uint8"):
        read_images(tmp_path / "floats.npz")
    with pytest.raises(FileNotFoundError):
        read_images(tmp_path / "nothing")
    with pytest.raises(TypeError, match="uint8"):
        save_npz(torch.zeros(2, 8, 8, 3), tmp_path / "x.npz")


# ------------------------------------------------------------------------------------------------ the scores


def test_reference_features_are_cached_and_a_broken_cache_is_recomputed(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    a = reference_features("shapes", "test", "shapes", 50, cache_dir=tmp_path)
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1 and "shapes-test-seed0-shapes-" in files[0].name and files[0].name.endswith("-n50.npz")
    import scoresde.evaluation.evaluate as ev

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(ev, "extract", boom)
    b = reference_features("shapes", "test", "shapes", 50, cache_dir=tmp_path)
    assert torch.equal(a.features, b.features) and b.probs is not None and torch.equal(a.probs, b.probs)
    monkeypatch.undo()
    files[0].write_bytes(b"garbage")
    c = reference_features("shapes", "test", "shapes", 50, cache_dir=tmp_path)
    torch.testing.assert_close(a.features, c.features)


def test_real_images_score_at_the_floor_and_broken_ones_far_above(tmp_path: Path, broken: torch.Tensor) -> None:
    held_out, _ = synthetic_images(600, 0, 32, "test")
    good = score_images(held_out, data="shapes", n_reference=1000, cache_dir=tmp_path)
    bad = score_images(broken, data="shapes", n_reference=1000, cache_dir=tmp_path)
    m, f = good["metrics"], good["floor"]
    # the "samples" are the floor's own images: every metric equals it
    for key in ("frechet_distance", "kid", "precision", "recall", "recognizable_rate"):
        assert m[key] == pytest.approx(f[key], rel=1e-9, abs=1e-12), key
    assert m["precision"] > 0.9 and m["recall"] > 0.9 and m["n"] == 600 and m["n_reference"] == 1000
    b = bad["metrics"]
    assert b["frechet_distance"] > 20 * m["frechet_distance"]
    assert b["kid"] > b["kid_se"] * 10 and b["recognizable_rate"] < 0.1
    assert good["reference"] == {"split": "train", "n": 1000, "seed": 0} and good["extractor"].startswith("shapes-")
    with pytest.raises(ValueError, match="at least 4 images"):
        score_images(held_out[:3], data="shapes", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="data"):
        score_images(held_out, data="mnist", cache_dir=tmp_path)


def test_command_scores_an_npz_and_writes_json(tmp_path: Path, broken: torch.Tensor,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    npz = save_npz(broken[:100], tmp_path / "samples.npz")
    args = [str(npz), "--n-reference", "300", "--cache-dir", str(tmp_path / "cache"), "--device", "cpu"]
    assert evaluate_main(args) == 0
    printed = capsys.readouterr().out
    assert "Fréchet distance" in printed and "recognizable rate" in printed and "floor" in printed
    record = json.loads((tmp_path / "samples_evaluation.json").read_text())
    assert record["metrics"]["n"] == 100 and record["floor"]["n"] == 100 and record["data"] == "shapes"
    assert evaluate_main([str(tmp_path / "missing.npz")]) == 2
    assert "error:" in capsys.readouterr().err


def test_inception_metrics_without_weights_name_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         broken: torch.Tensor,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SCORESDE_INCEPTION_WEIGHTS", str(tmp_path / "nowhere.pth"))
    npz = save_npz(broken[:10], tmp_path / "s.npz")
    assert evaluate_main([str(npz), "--extractor", "inception", "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "pt_inception-2015-12-05-6726825d.pth" in err and "SCORESDE_INCEPTION_WEIGHTS" in err
    assert os.listdir(tmp_path) == ["s.npz"]  # nothing half-written
