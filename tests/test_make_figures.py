"""docs/make_figures.py builds every figure of the docs: run in --quick mode, then --only, then a bad name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "make_figures.py"
FIGURES = (
    "schedules.png",
    "forward_noising.png",
    "trajectories_2d.png",
    "heat_density_flow.png",
    "heat_reverse.png",
    "heat_images.png",
    "samplers_error_vs_nfe.png",
    "simple_vs_exact.png",
    "score_field.png",
    "shapes_classifier.png",
)
"""The file names the docs pages embed."""


@pytest.fixture(scope="module")
def make_figures() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_make_figures", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quick_run_writes_every_figure(make_figures: ModuleType, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert make_figures.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FIGURES)
    for name in FIGURES:
        assert is_png(tmp_path / name), name
        assert name in out, name  # one line per figure
    assert "SW2 simple" in out and "wrote 10 figure(s)" in out


def test_only_builds_the_named_figures(make_figures: ModuleType, tmp_path: Path) -> None:
    assert make_figures.main(["--quick", "--out", str(tmp_path), "--only", "schedules, score_field.png"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schedules.png", "score_field.png"]
    assert all(is_png(p) for p in tmp_path.iterdir())


@pytest.mark.parametrize("only", ["schedules,no_such_figure", ""])
def test_unknown_name_is_a_usage_error(make_figures: ModuleType, tmp_path: Path, only: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        make_figures.main(["--quick", "--out", str(tmp_path), "--only", only])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert ("unknown figure name(s) 'no_such_figure'" if only else "no figure name given") in err
    assert "choose from schedules, forward_noising" in err and "score_field" in err
    assert not any(tmp_path.iterdir())  # nothing was built
