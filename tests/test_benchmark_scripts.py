"""The evaluation and guidance benchmarks run in a reduced size and print their tables."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", ROOT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_evaluation_benchmark_reduced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load("evaluation").main(["--ns", "40,80", "--n-reference", "200", "--spread", "2",
                                    "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "throughput: 10 000 images" in out and "real-vs-real floors" in out and "spread of the floor" in out


def test_cpu_preset_ablation_reduced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two steps per variant, 8 samples: every variant builds, trains, samples and is scored; rows are appended."""
    results = tmp_path / "rows.jsonl"
    assert load("cpu_preset").main(["--steps", "2", "--n", "8", "--sample-steps", "2", "--n-reference", "64",
                                    "--cache-dir", str(tmp_path), "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert all(f"| {name} |" in out for name in ("today", "patch2", "edm", "now", "wide"))
    assert len(results.read_text().splitlines()) == 5


def test_guidance_benchmark_reduced(capsys: pytest.CaptureFixture[str]) -> None:
    assert load("guidance").main(["--n", "200", "--scales", "0,1", "--steps-em", "50", "--steps-dpm", "10"]) == 0
    out = capsys.readouterr().out
    assert "euler_maruyama 50" in out and "dpm_solver 10" in out


@pytest.mark.slow
def test_diffusers_interop_benchmark_reduced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Four training steps, 8 samples per cell: trains, saves and reloads the pipeline, samples every row, scores."""
    pytest.importorskip("diffusers")
    assert load("diffusers_interop").main(["--train-steps", "4", "--n", "8", "--nfe", "3,4", "--bpd", "2",
                                           "--interp-n", "16", "--n-reference", "64", "--cache-dir", str(tmp_path),
                                           "--out", str(tmp_path / "run"), "--figure", str(tmp_path / "f.png")]) == 0
    out = capsys.readouterr().out
    assert all(f"| {row} |" in out for row in load("diffusers_interop").ROWS)
    assert (tmp_path / "f.png").exists() and (tmp_path / "run" / "pipeline" / "model_index.json").exists()
    assert len(list((tmp_path / "run" / "samples").glob("*.npz"))) == 2 * len(load("diffusers_interop").ROWS)
