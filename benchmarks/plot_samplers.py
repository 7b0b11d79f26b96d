"""Figure of sampler error vs NFE from the JSON that ``benchmarks/samplers.py --json PATH`` writes.

    python benchmarks/plot_samplers.py RUN.json [MORE.json ...] --out docs/figures/samplers_error_vs_nfe.png

One panel per target: SW2 against the NFE actually used, for each row (method / grid, and peers when the run
had --peers), with the Monte-Carlo noise floor as a band. Rows from several runs (e.g. with and without the final
denoising step) are drawn together; a run's rows are labelled with "(no denoise)" when it had --no-denoise.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def load_rows(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """{target: {"floor": ..., "rows": [(label, [(nfe, sw2), ...]), ...]}} over all runs."""
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        run = json.loads(path.read_text())
        suffix = " (no denoise)" if run["args"].get("no_denoise") else ""
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs/figures/samplers_error_vs_nfe.png"))
    ap.add_argument("--only", default="", help="comma-separated substrings; keep rows whose label has one")
    args = ap.parse_args()
    data = load_rows(args.runs)
    keep = [s for s in args.only.split(",") if s]
    fig, axes = plt.subplots(1, len(data), figsize=(7 * len(data), 5.5), squeeze=False)
    for ax, (tname, entry) in zip(axes[0], data.items(), strict=True):
        for label, points in entry["rows"]:
            if keep and not any(k in label for k in keep):
                continue
            nfe, sw2 = zip(*points, strict=True)
            style = "--" if label.startswith("peer") else "-"
            ax.plot(nfe, sw2, style, marker="o", ms=3, lw=1.2, label=label)
        fl = entry["floor"]
        ax.axhspan(fl["min"], fl["max"], color="0.85", zorder=0, label="noise floor (exact vs exact)")
        ax.set(xscale="log", yscale="log", xlabel="score evaluations (NFE)", ylabel="sliced W2 to exact samples",
               title=f"{tname}: error vs NFE, exact score, VP SDE")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(args.out, dpi=130)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
