"""The examples run in a reduced size inside the test suite, and refuse bad input with a clear message."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def load(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CIFAR-10 on disk: the examples fall back to the built-in data set; one thread each."""
    monkeypatch.setenv("SCORESDE_DATA", str(tmp_path / "no-data"))
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    torch.set_num_threads(1)


def read_steps(log: Path) -> list[int]:
    with open(log, newline="") as f:
        return [int(r["step"]) for r in csv.DictReader(f)]


def test_toy_2d_quick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load("toy_2d").main(["--quick", "--out", str(tmp_path), "--threads", "1"]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    for key in ("sw2_euler_maruyama", "sw2_ode", "sw2_noise_floor_mean", "nll_gap", "nll_true"):
        assert isinstance(metrics[key], float)
    assert (tmp_path / "toy_2d.png").stat().st_size > 0 and (tmp_path / "loss.png").stat().st_size > 0
    assert "noise floor" in capsys.readouterr().out


def test_vp_sde_cifar_smoke_writes_every_output_and_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    main = load("vp_sde_cifar").main
    out = tmp_path / "run"
    assert main(["--preset", "smoke", "--out", str(out), "--steps", "2"]) == 0
    assert "training on the built-in 'shapes' data set" in capsys.readouterr().out
    assert main(["--preset", "smoke", "--out", str(out), "--inpaint"]) == 0
    printed = capsys.readouterr().out
    assert "resumed from" in printed and "at step 2" in printed
    assert read_steps(out / "log.csv") == [2, 4]  # the resumed run continues the step count and the log
    for name in ("config.json", "loss.png", "forward_noising.png", "samples_euler_maruyama.png", "samples_ode.png",
                 "inpainting.png"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 4 and metrics["samples"]["ode"]["nfe"] > 0
    bpd, base = metrics["test_bits_per_dim"], metrics["baseline_bits_per_dim"]
    assert bpd["n_images"] == 2 and bpd["trace"] == "hutchinson" and bpd["mean"] > 0
    assert abs(base["mean"] - base["exact_closed_form"]) < 0.05  # the ODE path agrees with the closed form
    # samples are data: the scored ones in samples.npz, each grid's beside its PNG; scored beside the floor
    with np.load(out / "samples.npz") as f:
        assert f["arr_0"].dtype == np.uint8 and f["arr_0"].shape == (8, 32, 32, 3)
    with np.load(out / "samples_ode.npz") as f:
        assert f["arr_0"].shape == (4, 32, 32, 3)
    quality = metrics["sample_quality"]
    assert quality["n"] == 8 and quality["method"] == "dpm_solver" and quality["reference"]["n"] == 64
    assert quality["metrics"]["n"] == quality["floor"]["n"] == 8 and quality["extractor"].startswith("shapes-")
    assert 0 <= quality["metrics"]["recognizable_rate"] <= 1 and quality["floor"]["frechet_distance"] >= 0

    # the evaluation command samples from the run's EMA weights and scores them
    from scoresde.evaluation.__main__ import main as evaluate

    assert evaluate([str(out), "--n", "6", "--steps", "2", "--n-reference", "20", "--device", "cpu"]) == 0
    record = json.loads((out / "evaluation.json").read_text())
    assert record["sampling"]["step"] == 4 and record["metrics"]["n"] == 6 and record["floor"]["n"] == 6
    assert (out / "samples_dpm_solver_2_n6.npz").is_file()


def test_vp_sde_cifar_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main = load("vp_sde_cifar").main
    with pytest.raises(SystemExit):
        main(["--preset", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err

    assert main(["--preset", "smoke", "--out", str(tmp_path / "a"), "--batch-size", "100"]) == 2
    assert "batch_size (100) is larger than the data set (64 examples)" in capsys.readouterr().err

    partial = tmp_path / "partial" / "cifar-10-batches-py"
    partial.mkdir(parents=True)
    (partial / "data_batch_1").write_bytes(b"")
    assert main(["--preset", "smoke", "--data", "cifar10", "--data-dir", str(partial.parent)]) == 2
    assert "error:" in capsys.readouterr().err

    run = tmp_path / "b"
    assert main(["--preset", "smoke", "--out", str(run), "--steps", "2", "--eval-images", "1"]) == 0
    capsys.readouterr()
    assert main(["--preset", "smoke", "--out", str(run), "--steps", "4", "--batch-size", "4"]) == 2
    assert "different config" in capsys.readouterr().err
    assert main(["--preset", "cpu", "--out", str(run)]) == 2
    assert "different architecture" in capsys.readouterr().err
    assert main(["--preset", "smoke", "--out", str(run), "--resume", "never"]) == 2
    assert "already holds checkpoints" in capsys.readouterr().err


def _tiny_pipeline(folder: Path) -> None:
    diffusers = pytest.importorskip("diffusers")
    torch.manual_seed(0)
    unet = diffusers.UNet2DModel(sample_size=8, in_channels=3, out_channels=3, block_out_channels=(8, 16),
                                 layers_per_block=1, down_block_types=("DownBlock2D",) * 2,
                                 up_block_types=("UpBlock2D",) * 2, norm_num_groups=4)
    scheduler = diffusers.DDPMScheduler(num_train_timesteps=100)
    diffusers.DDPMPipeline(unet=unet, scheduler=scheduler).save_pretrained(folder)


def test_sample_diffusers_samples_a_saved_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tiny_pipeline(tmp_path / "pipe")
    out = tmp_path / "out"
    assert load("sample_diffusers").main([str(tmp_path / "pipe"), "--n", "5", "--batch", "4", "--nfe", "3",
                                          "--out", str(out)]) == 0
    images = np.load(out / "samples.npz")["arr_0"]
    assert images.shape == (5, 8, 8, 3) and images.dtype == np.uint8
    assert (out / "samples.png").stat().st_size > 0
    assert "N = 100" in capsys.readouterr().out  # t_min = 1/N = 0.01, above the samplers' default 1e-3
    with pytest.raises(SystemExit):
        load("sample_diffusers").main([str(tmp_path / "pipe"), "--nfe", "1"])


@pytest.mark.slow
def test_sample_diffusers_reports_bits_per_dim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tiny_pipeline(tmp_path / "pipe")
    images = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    np.savez(tmp_path / "x.npz", arr_0=images)
    assert load("sample_diffusers").main([str(tmp_path / "pipe"), "--n", "2", "--nfe", "2", "--bpd",
                                          str(tmp_path / "x.npz"), "--out", str(tmp_path / "out")]) == 0
    bpd = json.loads((tmp_path / "out" / "summary.json").read_text())["bits_per_dim"]
    assert np.isfinite(bpd) and bpd > 0
    assert "bits/dim of 2 images" in capsys.readouterr().out
