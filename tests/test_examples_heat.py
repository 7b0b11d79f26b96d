"""examples/heat_link.py runs in its reduced size and writes each of its figures (cf. py-pde's test_examples.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "heat_link.py"
FIGURES = ("heat_density_flow.png", "heat_reverse.png", "heat_images.png")


def test_heat_link_example_writes_its_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("example_heat_link", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path), "--quick"]) == 0
    out = capsys.readouterr().out
    for name in FIGURES:
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 1000, name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert "max |heat - analytic|" in out and "amplification of a 1e-12 perturbation" in out


@pytest.mark.slow
def test_heat_link_example_full_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("example_heat_link_full", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    assert all((tmp_path / name).stat().st_size > 10_000 for name in FIGURES)
