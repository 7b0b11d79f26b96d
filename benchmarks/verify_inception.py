r"""Verify once that ``scoresde.evaluation.inception.FIDInception`` computes pytorch-fid's Inception features.

    /tmp/refvenv/bin/python benchmarks/verify_inception.py            # about a minute on 2 CPU cores
    /tmp/refvenv/bin/python benchmarks/verify_inception.py --n 2 --sizes 32,299

What it checks. A seeded random state dict (He-scaled convolutions, BatchNorm statistics with positive variances,
so that the features are O(1)) with FIDInception's names is saved to a temporary file and loaded

* into ours, by ``load_inception(file, check_hash=False)``, the loader users call;
* into pytorch-fid's ``InceptionV3(output_blocks=[3])``, the reference FID feature extractor: its
  ``fid_inception_v3()`` builds torchvision's ``Inception3(num_classes=1008, aux_logits=False)``, patches in the FID
  blocks (``FIDInceptionA``, ``C``, ``E_1``, ``E_2``) and loads the weights *strictly* from
  ``load_state_dict_from_url``, which this script replaces by a function returning the random state dict (nothing
  is downloaded). That strict load is the check that our parameter names and shapes are pytorch-fid's; the script
  also compares the two key sets and shapes itself.

Then both see the same random uint8 images ``(n, H, W, 3)`` of several sizes (noise and smooth images, smaller and
larger than 299 and not square): ours through ``inception_features`` (uint8 → ``u/255`` → the network), pytorch-fid's
as its ``ImagePathDataset`` feeds it (``ToTensor``, the same ``u/255``). It prints the largest absolute difference
of the 2048 pool3 features, and the relative one, ``max|ours − ref| / max|ref|`` (features are averages of ReLUs,
many near 0, so a relative difference per element means little). In float32 the two differ by round-off only
(the convolutions may be summed in another order); the goal is 1e-4 relative or better. The same comparison with
both networks in float64 separates round-off from a real difference: it must be at the level of float64 round-off
(below 1e-10). The script exits with status 1 if either bound is missed.

Why a separate virtual environment. pytorch-fid needs torchvision, and PyPI's torchvision wheels are built for one
torch release each: none imports beside this project's system torch (2.13.0+cpu). So the reference runs in a
throw-away venv with a matching pair (pip takes both from this machine's disk, ~5.5 GB, a few minutes):

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.14.1 torchvision==0.29.1
    /tmp/refvenv/bin/pip install --no-deps pytorch-fid pillow
    /tmp/refvenv/bin/pip install -e .          # scoresde and its dependencies; the torch above satisfies it

pytorch-fid is only imported here, never copied into this project.

References:
    Seitzer 2020, pytorch-fid, github.com/mseitzer/pytorch-fid (``src/pytorch_fid/inception.py``: ``InceptionV3``,
    ``fid_inception_v3``; ``src/pytorch_fid/fid_score.py``: ``ImagePathDataset`` and ``ToTensor``).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from scoresde.evaluation.inception import FIDInception, inception_features, load_inception

F32_GOAL = 1e-4  # relative to the largest feature
F64_GOAL = 1e-10


def random_state_dict(seed: int) -> dict[str, Tensor]:
    """FIDInception's names and shapes with seeded random values of a sensible scale."""
    g = torch.Generator().manual_seed(seed)
    state: dict[str, Tensor] = {}
    for name, ref in FIDInception().state_dict().items():
        if name.endswith("conv.weight"):
            state[name] = torch.randn(ref.shape, generator=g) * math.sqrt(2.0 / ref[0].numel())
        elif name.endswith(("bn.weight", "running_var")):
            state[name] = 0.5 + torch.rand(ref.shape, generator=g)
        elif name.endswith(("bn.bias", "running_mean")):
            state[name] = 0.1 * torch.randn(ref.shape, generator=g)
        elif name.endswith("num_batches_tracked"):
            state[name] = torch.zeros((), dtype=torch.long)
        else:  # fc.weight, fc.bias
            state[name] = 0.01 * torch.randn(ref.shape, generator=g)
    return state


def reference_model(state: dict[str, Tensor]) -> torch.nn.Module:
    """pytorch-fid's InceptionV3 (pool3 block) with ``state`` loaded strictly by its own fid_inception_v3()."""
    import pytorch_fid.inception as ref

    calls: list[str] = []

    def fake_download(url: str, *args: Any, **kwargs: Any) -> dict[str, Tensor]:
        calls.append(url)
        return {k: v.clone() for k, v in state.items()}

    original = ref.load_state_dict_from_url
    ref.load_state_dict_from_url = fake_download
    try:
        model = ref.InceptionV3([ref.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    finally:
        ref.load_state_dict_from_url = original
    if calls != [ref.FID_WEIGHTS_URL]:
        raise RuntimeError(f"pytorch-fid did not load its weights through load_state_dict_from_url once: {calls}")
    return model.eval()


def images(kind: str, n: int, h: int, w: int, g: torch.Generator) -> Tensor:
    """uint8 ``(n, h, w, 3)``: uniform noise, or smooth (noise on an 8×8 grid, upsampled bicubically)."""
    if kind == "noise":
        return torch.randint(0, 256, (n, h, w, 3), generator=g, dtype=torch.uint8)
    coarse = torch.rand(n, 3, 8, 8, generator=g)
    smooth = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)
    return (smooth * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def reference_features(model: torch.nn.Module, u: Tensor, dtype: torch.dtype) -> Tensor:
    x = u.permute(0, 3, 1, 2).to(dtype) / 255.0  # torchvision's ToTensor on uint8 pixels
    with torch.no_grad():
        out = model(x)[0]
    return out.squeeze(-1).squeeze(-1).to(torch.float64)


def compare(ours: Tensor, ref: Tensor) -> tuple[float, float]:
    diff = float((ours - ref).abs().max())
    return diff, diff / float(ref.abs().max())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=4, help="images per size and kind")
    p.add_argument("--sizes", default="32,48x80,299,512", help="comma-separated H or HxW")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split("x")) * (1 if "x" in s else 2) for s in args.sizes.split(",")]

    import pytorch_fid
    import torchvision

    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, pytorch-fid {pytorch_fid.__version__}, "
          f"{torch.get_num_threads()} threads")
    state = random_state_dict(args.seed)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random_inception.pth"
        torch.save(state, path)
        ours = load_inception(path, check_hash=False)
    ref = reference_model(state)

    ok &= check_names(state)

    g = torch.Generator().manual_seed(args.seed + 1)
    print(f"\nfloat32, {args.n} images per row (goal: relative <= {F32_GOAL:g})")
    print(f"{'images':<18} {'max |ours - ref|':>17} {'relative':>10} {'max |ref|':>10} {'seconds':>8}")
    for kind in ("noise", "smooth"):
        for h, w in sizes:
            u = images(kind, args.n, h, w, g)
            start = time.perf_counter()
            a = inception_features(u, ours, batch_size=args.n)
            b = reference_features(ref, u, torch.float32)
            diff, rel = compare(a, b)
            ok &= rel <= F32_GOAL
            print(f"{kind + f' {h}x{w}':<18} {diff:>17.3e} {rel:>10.2e} {float(b.abs().max()):>10.3g} "
                  f"{time.perf_counter() - start:>8.1f}")

    ours64, ref64 = ours.double(), ref.double()
    print(f"\nfloat64, both networks in double (goal: relative <= {F64_GOAL:g})")
    print(f"{'images':<18} {'max |ours - ref|':>17} {'relative':>10}")
    for h, w in (sizes[0], sizes[-1]):
        u = images("noise", 2, h, w, g)
        with torch.no_grad():
            a = ours64(u.permute(0, 3, 1, 2).to(torch.float64) / 255.0)
        b = reference_features(ref64, u, torch.float64)
        diff, rel = compare(a, b)
        ok &= rel <= F64_GOAL
        print(f"{f'noise {h}x{w}':<18} {diff:>17.3e} {rel:>10.2e}")

    print("\nverify_inception: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def check_names(state: dict[str, Tensor]) -> bool:
    """Our names and shapes against those of the net that pytorch-fid's fid_inception_v3() builds."""
    import pytorch_fid.inception as ref

    def fake_download(url: str, *args: Any, **kwargs: Any) -> dict[str, Tensor]:
        return {k: v.clone() for k, v in state.items()}

    original = ref.load_state_dict_from_url
    ref.load_state_dict_from_url = fake_download
    try:
        net = ref.fid_inception_v3()
    finally:
        ref.load_state_dict_from_url = original
    theirs = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    mine = {k: tuple(v.shape) for k, v in FIDInception().state_dict().items()}
    missing, extra = sorted(theirs.keys() - mine.keys()), sorted(mine.keys() - theirs.keys())
    shapes = sorted(k for k in theirs.keys() & mine.keys() if theirs[k] != mine[k])
    print(f"state dict: {len(mine)} entries, pytorch-fid's fid_inception_v3(): {len(theirs)}; "
          f"only theirs: {missing or 'none'}; only ours: {extra or 'none'}; other shapes: {shapes or 'none'}")
    return not (missing or extra or shapes)


if __name__ == "__main__":
    sys.exit(main())
