"""The samplers benchmark runs (in a reduced size): its self-test on a stand-in sampler of exact samples, and
one real cell through ``scoresde.sample`` (cf. py-pde's test_examples.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "samplers.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_samplers", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script is being executed
    spec.loader.exec_module(module)
    return module


def test_self_test_passes_in_a_reduced_size(capsys: pytest.CaptureFixture[str]) -> None:
    code = load().main(["--self-test", "--n", "400", "--nfe", "5,10", "--methods", "ancestral,ddim",
                        "--grids", "uniform,logsnr", "--floor-reps", "5", "--threads", "0"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "self-test: PASS" in out


def test_one_real_cell(capsys: pytest.CaptureFixture[str]) -> None:
    code = load().main(["--targets", "ring2d", "--n", "200", "--nfe", "5", "--methods", "ddim",
                        "--grids", "uniform", "--no-rms", "--threads", "0"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ddim / uniform" in out and "noise floor" in out
