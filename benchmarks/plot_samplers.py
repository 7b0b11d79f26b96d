"""Figure of sampler error vs NFE from the JSON that ``benchmarks/samplers.py --json PATH`` writes.

    python benchmarks/plot_samplers.py RUN.json [MORE.json ...] --out docs/figures/samplers_error_vs_nfe.png

One panel per target: SW2 against the NFE actually used, for each row (method / grid, and peers when the run
had --peers), with the Monte-Carlo noise floor as a band. Rows from several runs (e.g. with and without the final
denoising step) are drawn together; a run's rows are labelled with "(no denoise)" when it had --no-denoise.
``plot(paths, out, only)`` does it from Python; docs/make_figures.py calls it with the rows the docs show.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

NO_DENOISE = " (no denoise)"


def load_rows(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """{target: {"floor": ..., "rows": [(label, [(nfe, sw2), ...]), ...]}} over all runs."""
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        run = json.loads(path.read_text())
        suffix = NO_DENOISE if run["args"].get("no_denoise") else ""
        for tname, res in run["targets"].items():
            entry = out.setdefault(tname, {"floor": res["floor"], "rows": []})
            for row in res["rows"]:
                points = []
                for budget, cell in row["by_nfe"].items():
                    sw2 = cell.get("sw2")
                    if sw2 is not None and math.isfinite(sw2):
                        points.append((cell.get("nfe") or int(budget), sw2))
                if points:
                    label = row["label"] + ("" if row.get("peer") else suffix)
                    entry["rows"].append((label, sorted(points)))
    return out


def keep_row(label: str, only: Sequence[str], exact: bool = False) -> bool:
    """Whether a row is drawn: every row when ``only`` is empty, else the rows whose label has one of ``only``
    as a substring (``exact``: equals one of them)."""
    if not only:
        return True
    return label in only if exact else any(k in label for k in only)


def base_label(label: str) -> str:
    """The label without its run's suffix: a row and its "(no denoise)" twin share a colour."""
    return label.removesuffix(NO_DENOISE)


def draw_panel(ax: Any, tname: str, entry: dict[str, Any], colors: dict[str, Any],
               only: Sequence[str] = (), exact: bool = False) -> None:
    """One target's panel: SW2 against NFE per kept row (peers dashed, "(no denoise)" rows dotted), log-log,
    with the Monte-Carlo noise floor as a grey band."""
    for label, points in entry["rows"]:
        if not keep_row(label, only, exact):
            continue
        nfe, sw2 = zip(*points, strict=True)
        peer = label.startswith("peer")
        style = "--" if peer else ":" if label.endswith(NO_DENOISE) else "-"
        ax.plot(nfe, sw2, style, marker="s" if peer else "o", ms=3.5, lw=1.4, color=colors[base_label(label)],
                mfc="white" if peer else None, label=label)
    fl = entry["floor"]
    ax.axhspan(fl["min"], fl["max"], color="0.85", zorder=0, label="noise floor (exact vs exact)")
    ax.set(xscale="log", yscale="log", xlabel="score evaluations (NFE)", ylabel="sliced W2 to exact samples",
           title=f"{tname}: error vs NFE, exact score, VP SDE")
    ax.grid(True, which="both", alpha=0.3)


def plot(paths: Sequence[Path], out: Path, only: Sequence[str] = (), *, exact: bool = False,
         ymax: float | None = None, dpi: int = 130) -> dict[str, dict[str, Any]]:
    """Draw one panel per target from the runs' JSON and write the PNG to ``out``.

    Args:
        paths: JSON files written by ``benchmarks/samplers.py --json``.
        out: the PNG file.
        only: the rows to draw (see ``keep_row``); empty for all.
        exact: match ``only`` against whole labels instead of substrings.
        ymax: the top of the error axis (errors above it leave the panel); None to fit every point.
        dpi: of the PNG.

    Returns:
        The data drawn, as ``load_rows`` gives it (all rows, kept or not).
    """
    data = load_rows(list(paths))
    labels = [base_label(label) for entry in data.values() for label, _ in entry["rows"]
              if keep_row(label, only, exact)]
    unique = list(dict.fromkeys(labels))
    cmap = plt.get_cmap("tab10" if len(unique) <= 10 else "tab20")
    colors = {label: cmap(k % cmap.N) for k, label in enumerate(unique)}
    fig, axes = plt.subplots(1, len(data), figsize=(6.5 * len(data), 5.2), squeeze=False,
                             layout="constrained")
    for ax, (tname, entry) in zip(axes[0], data.items(), strict=True):
        draw_panel(ax, tname, entry, colors, only, exact)
        if ymax is not None:
            ax.set_ylim(top=ymax)
            ax.set_title(f"{ax.get_title()}\n(errors above {ymax:g} leave the panel)", fontsize=11)
    handles: dict[str, Any] = {}
    for ax in axes[0]:  # one legend for all panels: the union of their rows, each once
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    order = sorted(handles, key=lambda label: (label.startswith("noise floor"), label.startswith("peer")))
    fig.legend([handles[label] for label in order], order, loc="outside lower center", ncol=min(4, len(order)),
               fontsize=8)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return data


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs/figures/samplers_error_vs_nfe.png"))
    ap.add_argument("--only", default="", help="comma-separated substrings; keep rows whose label has one")
    args = ap.parse_args(argv)
    plot(args.runs, args.out, [s for s in args.only.split(",") if s])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
