"""The documentation pages are true: their code runs, their commands name real files and extras, every figure they
show exists, and every formula of docs/math.md names the function that computes it (issue 7).

The strict `mkdocs build` in `.ci/run` also fails on a broken link, a missing figure or an unresolved
cross-reference; these tests check the same facts without mkdocs, in the default test run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + sorted((DOCS / "api").glob("*.md"))
CROSS_REF = re.compile(r"\]\[((?:scoresde|heat)\.[\w.]+)\]")


def _blocks(page: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("name", ["index.md", "math.md"])
def test_python_blocks_run(name: str) -> None:
    blocks = _blocks(DOCS / name, "python")
    assert blocks, f"{name} has no python example"
    for code in blocks:
        exec(compile(code, str(DOCS / name), "exec"), {})  # raises if the example is broken


def test_quick_start_commands_name_real_scripts_options_and_extras() -> None:
    from importlib.metadata import metadata

    extras = metadata("scoresde").get_all("Provides-Extra") or []
    lines = [line for block in _blocks(DOCS / "index.md", "bash") for line in block.splitlines()]
    commands = [c for c in (line.split("#")[0].strip() for line in lines) if c]
    assert any(c.startswith("pytest") for c in commands)
    for command in commands:
        for script in re.findall(r"python (\S+\.py)", command):
            assert (ROOT / script).is_file(), f"quick start runs {script}, which does not exist"
        for extra in re.findall(r'"\.\[([\w,]+)\]"', command):
            for name in extra.split(","):
                assert name in extras, f"quick start installs the extra {name!r}; pyproject has {sorted(extras)}"
        if "--preset" in command:
            preset = command.split("--preset")[1].split()[0]
            assert preset in ("cpu", "paper", "smoke"), command


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_figure_a_page_shows_exists(page: Path) -> None:
    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text(encoding="utf-8")):
        path = (page.parent / target).resolve()
        assert path.is_file() and path.stat().st_size > 0, f"{page.name} shows {target}, which is missing or empty"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_cross_references_name_public_objects(page: Path) -> None:
    import importlib

    for ref in CROSS_REF.findall(page.read_text(encoding="utf-8")):
        parts = ref.split(".")
        for cut in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
            try:
                obj: object = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attr in parts[cut:]:
                assert hasattr(obj, attr), f"{page.name} links {ref}, which does not exist"
                obj = getattr(obj, attr)
            break


def test_every_formula_of_math_md_names_its_function() -> None:
    """Each display formula has a link to the function that computes it in the text around it (between the previous
    and the next display formula of its section)."""
    text = (DOCS / "math.md").read_text(encoding="utf-8")
    missing = []
    for section in re.split(r"\n(?=## )", text):
        formulas = list(re.finditer(r"\$\$(.*?)\$\$", section, flags=re.S))
        for k, formula in enumerate(formulas):
            lo = formulas[k - 1].end() if k > 0 else 0
            hi = formulas[k + 1].start() if k + 1 < len(formulas) else len(section)
            if not CROSS_REF.search(section[lo:formula.start()] + section[formula.end():hi]):
                missing.append(formula.group(1).strip()[:60])
    assert not missing, f"formulas of math.md without a function named next to them: {missing}"


def test_source_to_code_table_links_a_function_and_a_figure_in_every_row() -> None:
    """Two clicks from a formula of the source document: its row links the function and the figure."""
    text = (DOCS / "math.md").read_text(encoding="utf-8")
    table = text.split("## From the source document to the code")[1].split("\n## ")[0]
    rows = [r for r in table.splitlines() if r.startswith("| $") or r.startswith("| **") or r.startswith('| "')]
    assert len(rows) >= 10
    figure_ids = set(re.findall(r"\{ #(fig-[\w-]+) \}", text))
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert CROSS_REF.search(cells[2]) or "[`" in cells[2], f"no function in row {row}"
        figs = re.findall(r"\(#(fig-[\w-]+)\)", cells[3])
        assert figs and set(figs) <= figure_ids, f"row {row} links a figure that math.md does not show"
