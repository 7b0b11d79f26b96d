"""The trainer: EMA arithmetic, safe checkpoints, exact resume, signals, non-finite steps and bad input."""

from __future__ import annotations

import csv
import os
import signal
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

import scoresde as sd
from scoresde.data import ImageDataset, to_float
from scoresde.losses import DSMLoss
from scoresde.training import (
    EMA,
    CheckpointError,
    CheckpointManager,
    DataCursor,
    DistInfo,
    NonFiniteLossError,
    TrainConfig,
    Trainer,
    load_checkpoint,
    save_checkpoint,
)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


class TinyNet(nn.Module):
    """x, t ↦ ε̂ with dropout (so the global RNG matters) and a config, as real networks have."""

    def __init__(self, dim: int = 2, width: int = 32) -> None:
        super().__init__()
        self.config = _Config(dim, width)
        self.body = nn.Sequential(nn.Linear(dim + 1, width), nn.SiLU(), nn.Dropout(0.1), nn.Linear(width, dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([x, t[:, None]], 1))


class _Config:
    def __init__(self, dim: int, width: int) -> None:
        self.dim, self.width = dim, width

    def to_dict(self) -> dict[str, int]:
        return {"dim": self.dim, "width": self.width}


DATA = torch.randn(600, 2, generator=torch.Generator().manual_seed(0))


def config(**kw: object) -> TrainConfig:
    base: dict[str, object] = {"steps": 30, "batch_size": 50, "warmup": 5, "log_every": 5, "checkpoint_every": 10,
                               "progress": False, "ema_decay": 0.9}
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def trainer(out: Path | None, width: int = 32, data: object = DATA, **kw: object) -> Trainer:
    torch.manual_seed(1)
    return Trainer(TinyNet(width=width), sd.VPSDE(), data, config(**kw), out)  # type: ignore[arg-type]


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


# ----------------------------------------------------------------------------------------------------- EMA
def test_ema_is_the_exponential_average_of_the_weights() -> None:
    """After updates with weights θ_1..θ_n: θ_EMA = βⁿ θ_0 + Σ_k (1-β) β^{n-k} θ_k, in float64 exactly enough."""
    model = nn.Linear(3, 2).double()
    ema = EMA(model, decay=0.8)
    expected = [p.detach().clone() for p in model.parameters()]
    for k in range(5):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.full_like(p, 0.5 * (k + 1)))
        ema.update(model)
        expected = [0.8 * e + 0.2 * p.detach() for e, p in zip(expected, model.parameters(), strict=True)]
    for e, s in zip(expected, ema.module.parameters(), strict=True):
        torch.testing.assert_close(s, e, rtol=1e-14, atol=1e-14)
    assert ema.updates == 5 and not any(p.requires_grad for p in ema.module.parameters())


def test_ema_warmup_decay_and_buffers() -> None:
    model = nn.BatchNorm1d(2)
    ema = EMA(model, decay=0.999, warmup=True)
    assert [ema.decay_at(n) for n in (0, 1, 10_000)] == [0.1, 2 / 11, 0.999]
    model.running_mean.fill_(3.0)
    ema.update(model)
    assert torch.equal(ema.module.running_mean, model.running_mean)  # buffers are copied, not averaged
    with pytest.raises(ValueError, match=r"decay must be a finite number >= 0 and < 1; got 1.0"):
        EMA(model, decay=1.0)
    with pytest.raises(TypeError, match=r"decay must be a real number; got str"):
        EMA(model, decay="0.9")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"warmup must be a bool; got int 1"):
        EMA(model, warmup=1)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- checkpoints
def test_a_crash_mid_write_leaves_the_previous_checkpoint_loadable(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ckpt.pt"
    save_checkpoint({"step": 1, "w": torch.ones(3)}, path)

    def crash(obj: object, f: object) -> None:
        f.write(b"PK\x03\x04 half a checkpoint")  # type: ignore[attr-defined]
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint({"step": 2, "w": torch.zeros(3)}, path)
    monkeypatch.undo()
    state = load_checkpoint(path)
    assert state["step"] == 1 and torch.equal(state["w"], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt", "ckpt.pt.sha256"]  # no temporary left


def test_checkpoints_load_with_weights_only_and_check_their_checksum(tmp_path: Path) -> None:
    path = save_checkpoint({"step": 3, "w": torch.arange(4.0)}, tmp_path / "c.pt")
    assert torch.load(path, weights_only=True)["step"] == 3
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="is corrupt: its SHA-256"):
        load_checkpoint(path)
    path.write_bytes(b"not a checkpoint at all")
    Path(f"{path}.sha256").unlink()
    with pytest.raises(CheckpointError, match="cannot be read safely"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_a_checkpoint_holding_code_is_refused(tmp_path: Path) -> None:
    """weights_only refuses to unpickle anything but tensors and plain values: no code runs."""

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path = tmp_path / "evil.pt"
    torch.save({"step": 1, "payload": Evil()}, path)
    with pytest.raises(CheckpointError, match="cannot be read safely"):
        load_checkpoint(path)
    assert not (tmp_path / "pwned").exists()


def test_the_manager_keeps_the_last_k_and_skips_a_bad_newest(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path, keep=2)
    for step in (10, 20, 30):
        manager.save({"step": step}, step)
    assert manager.steps() == [20, 30]
    manager.path(30).write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="skipping unusable checkpoint"):
        found = manager.load_latest()
    assert found is not None and found[1]["step"] == 20


# ------------------------------------------------------------------------------------------------ training
def test_training_reduces_the_loss_and_writes_its_files(tmp_path: Path) -> None:
    t = trainer(tmp_path, steps=60, lr=3e-3, sample_every=30, sample_count=16, sample_steps=10)
    result = t.fit()
    assert result.step == 60 and not result.interrupted and result.checkpoint is not None
    with open(tmp_path / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == list(range(5, 61, 5))
    assert list(rows[0]) == ["step", "loss", "lr", "grad_norm", "images_per_s"]
    assert float(rows[0]["lr"]) == pytest.approx(3e-3)  # warm-up over 5 steps is done at step 5
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert (tmp_path / "loss.png").stat().st_size > 0
    assert (tmp_path / "samples" / "step-00000060.png").stat().st_size > 0
    assert CheckpointManager(tmp_path / "checkpoints").steps() == [40, 50, 60]


def test_progress_in_a_log_file_is_a_few_lines_without_carriage_returns(capsys: pytest.CaptureFixture[str]) -> None:
    """stderr is not a terminal here (pytest captures it): the bar writes whole lines, at most one per 10 s."""
    t = trainer(None, steps=40, progress=True)
    t.fit()
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = [line for line in err.splitlines() if line.startswith("training")]
    assert 1 <= len(lines) <= 3 and "40/40" in lines[-1]


def test_the_learning_rate_warms_up_linearly() -> None:
    t = trainer(None, lr=1e-3, warmup=4)
    assert [t.lr_at(s) for s in range(6)] == pytest.approx([2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3])


def test_the_cosine_schedule_decays_to_zero_at_the_last_step(tmp_path: Path) -> None:
    t = trainer(None, lr=1e-3, warmup=4, steps=14, lr_schedule="cosine")
    assert [t.lr_at(s) for s in (3, 4, 9, 14)] == pytest.approx([1e-3, 1e-3, 5e-4, 0.0], abs=1e-15)
    trainer(tmp_path, steps=10, lr_schedule="cosine").fit()
    with pytest.raises(CheckpointError, match="steps: checkpoint 10, here 20"):  # the decay depends on steps
        trainer(tmp_path, steps=20, lr_schedule="cosine").resume()


@pytest.mark.parametrize("split", [10, 17])
def test_a_run_stopped_and_resumed_equals_one_run_straight_through(tmp_path: Path, split: int) -> None:
    """Bit for bit on the CPU: model, EMA and optimizer, with dropout, data order and noise all random."""
    straight = trainer(tmp_path / "a", steps=40)
    straight.fit()
    first = trainer(tmp_path / "b", steps=split)
    first.fit()
    second = trainer(tmp_path / "b", steps=40)
    assert second.resume() == tmp_path / "b" / "checkpoints" / f"ckpt-{split:08d}.pt"
    second.fit()
    assert same_weights(straight.net, second.net) and same_weights(straight.ema.module, second.ema.module)
    a, b = straight.optimizer.state_dict()["state"], second.optimizer.state_dict()["state"]
    assert all(torch.equal(a[k]["exp_avg_sq"], b[k]["exp_avg_sq"]) for k in a)
    with open(tmp_path / "b" / "log.csv", newline="") as f:
        steps = [int(r["step"]) for r in csv.DictReader(f)]
    assert steps == sorted(set(steps)) and steps[-1] == 40  # the log continues, without repeats


def test_resume_with_a_dataset_and_a_random_transform(tmp_path: Path) -> None:
    """Map-style datasets of (example, label) pairs and an augmentation drawn from the trainer's generator."""

    class Pairs(torch.utils.data.Dataset[tuple[torch.Tensor, int]]):
        def __len__(self) -> int:
            return 300

        def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
            return DATA[i], i % 3

    def flip(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        sign = torch.where(torch.rand(x.shape[0], 1, generator=g) < 0.5, -1.0, 1.0)
        return x * sign

    def make(out: Path, steps: int) -> Trainer:
        torch.manual_seed(1)
        return Trainer(TinyNet(), sd.VPSDE(), Pairs(), config(steps=steps), out, transform=flip)

    straight = make(tmp_path / "a", 24)
    straight.fit()
    first = make(tmp_path / "b", 13)
    first.fit()
    second = make(tmp_path / "b", 24)
    second.resume()
    second.fit()
    assert same_weights(straight.net, second.net)


FLAT = torch.randint(0, 256, (30, 2, 3, 1), generator=torch.Generator().manual_seed(4), dtype=torch.uint8)


def flipping_images(n: int = 30) -> ImageDataset:
    """uint8 images (n, 2, 3, 1) with random flips: items (1, 2, 3) that ``as_vectors`` makes (batch, 6)."""
    return ImageDataset(FLAT[:n], torch.zeros(n), flip=True, seed=0)


def as_vectors(x: torch.Tensor, _g: torch.Generator) -> torch.Tensor:
    return x.flatten(1)


def test_the_trainer_gives_a_flipping_data_set_new_flips_every_epoch() -> None:
    """ImageDataset flips item i in epoch e by a hash of (seed, e, i); the trainer must tell it the epoch.

    With the whole set as one batch, step e reads epoch e: the flips it sees must be those of epoch e, not those of
    epoch 0 over and over (what happened while the trainer never called ``set_epoch``)."""
    n, seen = 8, []

    def record(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        seen.append(x.clone())
        return as_vectors(x, g)

    torch.manual_seed(1)
    Trainer(TinyNet(dim=6), sd.VPSDE(), flipping_images(n), config(steps=4, batch_size=n), transform=record).fit()
    plain = to_float(FLAT[:n])
    reference = flipping_images(n)
    flips_seen, flips_due = [], []
    for epoch, batch in enumerate(seen):
        reference.set_epoch(epoch)
        flips_due.append({i for i in range(n) if reference.flipped(i)})
        flipped = set()
        for x in batch:  # the batch is a permutation of the images, some flipped
            (i,) = [i for i in range(n) if torch.equal(x, plain[i]) or torch.equal(x, plain[i].flip(-1))]
            if not torch.equal(x, plain[i]):
                flipped.add(i)
        flips_seen.append(flipped)
    assert len(seen) == 4 and len(set(map(frozenset, flips_due))) > 1  # the epochs' flips differ
    assert flips_seen == flips_due


def test_resume_with_a_flipping_data_set_across_epochs(tmp_path: Path) -> None:
    """Stopped in the middle of epoch 1 (3 batches an epoch) and resumed: the same flips, the same weights."""

    def make(out: Path, steps: int) -> Trainer:
        torch.manual_seed(1)
        return Trainer(TinyNet(dim=6), sd.VPSDE(), flipping_images(), config(steps=steps, batch_size=10), out,
                       transform=as_vectors)

    straight = make(tmp_path / "a", 11)
    straight.fit()
    make(tmp_path / "b", 5).fit()
    second = make(tmp_path / "b", 11)
    second.resume()
    assert second.cursor.state_dict() == {"epoch": 1, "batch_in_epoch": 2}
    second.fit()
    assert same_weights(straight.net, second.net) and same_weights(straight.ema.module, second.ema.module)


def test_a_checkpoint_of_the_first_format_still_resumes_exactly(tmp_path: Path) -> None:
    """scoresde.training/1 kept the data position as top-level epoch and batch_in_epoch; it loads as before."""
    straight = trainer(tmp_path / "a", steps=30)
    straight.fit()
    trainer(tmp_path / "b", steps=17).fit()
    path = tmp_path / "b" / "checkpoints" / "ckpt-00000017.pt"
    state = load_checkpoint(path)
    assert state["format"] == "scoresde.training/2" and state["cursor"] == {"epoch": 1, "batch_in_epoch": 5}
    old = {k: v for k, v in state.items() if k != "cursor"} | state["cursor"] | {"format": "scoresde.training/1"}
    save_checkpoint(old, path)
    second = trainer(tmp_path / "b", steps=30)
    assert second.resume() == path
    second.fit()
    assert same_weights(straight.net, second.net)
    state["cursor"] = {"epoch": 1, "batch_in_epoch": 13}  # 12 batches of 50 in an epoch of 600
    with pytest.raises(CheckpointError, match=r"data position does not fit this data set: batch_in_epoch = 13 is "
                                              r"beyond the 12 batches of an epoch"):
        trainer(None).load_state_dict(state)


def test_the_data_cursor_reads_each_example_once_an_epoch_and_resumes() -> None:
    data = torch.arange(10.0)[:, None]
    cursor = DataCursor(data, 4, seed=3)
    first = torch.cat([cursor.next_batch() for _ in range(2)]).flatten()  # 2 batches an epoch, 2 examples dropped
    order = torch.randperm(10, generator=torch.Generator().manual_seed(3 * 1_000_003))  # epoch 0's, as before
    assert torch.equal(first, order[:8].float()) and torch.equal(cursor.permutation(), order)
    state = cursor.state_dict()
    assert state == {"epoch": 0, "batch_in_epoch": 2}
    after = [cursor.next_batch() for _ in range(3)]
    assert cursor.epoch == 2 and cursor.batch_in_epoch == 1
    again = DataCursor(data, 4, seed=3)
    again.load_state_dict(state)
    assert all(torch.equal(again.next_batch(), b) for b in after)
    halves = [DataCursor(data, 4, seed=3, rank=r, world_size=2).next_batch() for r in (0, 1)]
    assert torch.equal(torch.cat(halves), DataCursor(data, 4, seed=3).next_batch())  # K processes, one batch


@pytest.mark.parametrize(("make", "error", "match"), [
    (lambda: DataCursor(torch.zeros(10, 1), 4, rank=2, world_size=2), ValueError, r"rank must be an integer in "
                                                                                  r"\[0, 1\]; got 2"),
    (lambda: DataCursor(torch.zeros(10, 1), 5, world_size=2), ValueError, "batch_size must be divisible"),
    (lambda: DataCursor(torch.zeros(10, 1), 4, seed=-1), ValueError, "seed must be an integer >= 0"),
    (lambda: DataCursor(torch.zeros(10, 1), 4.0), TypeError, "batch_size must be an int"),
    (lambda: DataCursor(torch.zeros(10, 1), 4).load_state_dict({"epoch": 0}), ValueError, "lacks batch_in_epoch"),
    (lambda: DataCursor(torch.zeros(10, 1), 4).load_state_dict({"epoch": -1, "batch_in_epoch": 0}), ValueError,
     "epoch must be an integer >= 0; got -1"),
    (lambda: DataCursor(torch.zeros(10, 1), 4).load_state_dict({"epoch": 0, "batch_in_epoch": 1.0}), TypeError,
     "batch_in_epoch must be an int"),
    (lambda: DataCursor(torch.zeros(10, 1), 4).load_state_dict([0, 0]), TypeError, "must be a mapping"),
])
def test_the_data_cursor_refuses_bad_input(make: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()  # type: ignore[operator]


def test_a_signal_saves_a_checkpoint_and_returns(tmp_path: Path) -> None:
    t = trainer(tmp_path, steps=1000, checkpoint_every=1000)
    calls = {"n": 0}
    inner = t.forward

    def forward_then_signal(x: torch.Tensor, tt: torch.Tensor) -> torch.Tensor:
        calls["n"] += 1
        if calls["n"] == 7:
            os.kill(os.getpid(), signal.SIGTERM)
        return inner(x, tt)

    t.forward = forward_then_signal
    previous = signal.getsignal(signal.SIGTERM)
    result = t.fit()
    assert result.interrupted and result.step == 7
    assert result.checkpoint == tmp_path / "checkpoints" / "ckpt-00000007.pt"
    assert load_checkpoint(result.checkpoint)["step"] == 7
    assert signal.getsignal(signal.SIGTERM) == previous  # the handler is put back


def test_a_non_finite_step_is_skipped_with_a_warning(tmp_path: Path) -> None:
    t = trainer(None, steps=5)
    calls = {"n": 0}
    inner = t.forward

    def nan_once(x: torch.Tensor, tt: torch.Tensor) -> torch.Tensor:
        calls["n"] += 1
        out = inner(x, tt)
        return out * float("nan") if calls["n"] == 2 else out

    t.forward = nan_once
    with pytest.warns(UserWarning, match=r"step 2: non-finite loss .* skipped \(1 in a row, at most 5\)"):
        result = t.fit()
    assert result.step == 5 and calls["n"] == 6 and t.ema.updates == 5


def test_repeated_non_finite_steps_stop_with_the_checkpoint_intact(tmp_path: Path) -> None:
    t = trainer(tmp_path, steps=10, checkpoint_every=10)
    t.fit()
    saved = load_checkpoint(tmp_path / "checkpoints" / "ckpt-00000010.pt")
    before = {k: v.clone() for k, v in t.net.state_dict().items()}
    t2 = trainer(tmp_path, steps=20, checkpoint_every=10, max_nonfinite=3)
    t2.resume()
    inner = t2.forward
    t2.forward = lambda x, tt: inner(x, tt) * float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(NonFiniteLossError, match="3 consecutive non-finite steps at step 10"):
            t2.fit()
    assert all(torch.equal(v, t2.net.state_dict()[k]) for k, v in before.items())
    again = load_checkpoint(tmp_path / "checkpoints" / "ckpt-00000010.pt")
    assert all(torch.equal(again["model"][k], saved["model"][k]) for k in saved["model"])
    assert CheckpointManager(tmp_path / "checkpoints").steps() == [10]


# ----------------------------------------------------------------------------------------------- bad input
def test_a_checkpoint_of_another_architecture_is_refused_listing_the_differences(tmp_path: Path) -> None:
    trainer(tmp_path, steps=5).fit()
    other = trainer(tmp_path, width=16, steps=10)
    with pytest.raises(CheckpointError, match=r"different architecture .* width: checkpoint 32, here 16"):
        other.resume()
    state = load_checkpoint(tmp_path / "checkpoints" / "ckpt-00000005.pt")
    state["net_config"] = {"dim": 2, "width": 16}
    with pytest.raises(CheckpointError, match=r"shape differs \(checkpoint vs here\): .*body.0.weight \(32, 3\) "
                                              r"vs \(16, 3\)"):
        other.load_state_dict(state)


def test_a_checkpoint_of_another_training_config_is_refused(tmp_path: Path) -> None:
    trainer(tmp_path, steps=5).fit()
    with pytest.raises(CheckpointError, match=r"different config.*lr: checkpoint 0.0002, here 0.001"):
        trainer(tmp_path, steps=10, lr=1e-3).resume()
    trainer(tmp_path, steps=10, log_every=2).resume()  # what only changes logging may differ


def test_a_corrupt_checkpoint_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError, match="cannot be read safely"):
        trainer(None).resume(bad)
    save_checkpoint({"hello": 1}, bad)
    with pytest.raises(CheckpointError, match="is not a scoresde training checkpoint"):
        trainer(None).resume(bad)


def test_config_round_trip_and_unknown_keys() -> None:
    c = config(loss=DSMLoss(weighting="likelihood", importance_sampling=True))
    assert TrainConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match=r"unknown training config key\(s\) 'learning_rate'; valid keys: steps"):
        TrainConfig.from_dict({"learning_rate": 1e-3})
    with pytest.raises(ValueError, match=r"unknown loss config key\(s\) 'weight'"):
        TrainConfig.from_dict({"loss": {"weight": "simple"}})


@pytest.mark.parametrize(("kw", "error", "match"), [
    ({"steps": 0}, ValueError, "steps must be an integer >= 1; got 0"),
    ({"steps": True}, TypeError, "steps must be an int; got bool"),
    ({"lr": -1.0}, ValueError, "lr must be a finite number > 0; got -1.0"),
    ({"lr": float("inf")}, ValueError, "lr must be a finite number > 0; got inf"),
    ({"lr": float("nan")}, ValueError, "lr must be a finite number > 0; got nan"),
    ({"lr": True}, TypeError, "lr must be a real number; got bool"),
    ({"weight_decay": -0.1}, ValueError, "weight_decay must be a finite number >= 0"),
    ({"grad_clip": 0.0}, ValueError, "grad_clip must be a finite number > 0"),
    ({"batch_size": 2.5}, TypeError, "batch_size must be an int"),
    ({"precision": "fp16"}, ValueError, "precision must be one of 'auto', 'fp32', 'bf16'"),
    ({"sample_method": "euler"}, ValueError, "sample_method must be one of"),
    ({"betas": (0.9, 1.0)}, ValueError, r"betas\[1\] must be a finite number >= 0 and < 1; got 1.0"),
    ({"betas": (0.9,)}, ValueError, r"betas must be two numbers in \[0, 1\); got \(0.9,\)"),
    ({"betas": 0.9}, TypeError, r"betas must be a pair of numbers"),
    ({"betas": (0.9, "0.99")}, TypeError, r"betas\[1\] must be a real number; got str"),
    ({"ema_decay": 1.0}, ValueError, r"ema_decay must be a finite number >= 0 and < 1; got 1.0"),
    ({"ema_warmup": 1}, TypeError, "ema_warmup must be a bool; got int"),
    ({"progress": "no"}, TypeError, "progress must be a bool; got str"),
    ({"loss": "dsm"}, TypeError, "loss must be a DSMLoss; got str"),
])
def test_bad_config_values_are_refused(kw: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        config(**kw)


def test_bad_trainer_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match=r"batch_size must be divisible by the number of processes \(2\); got "
                                         r"batch_size = 5"):
        Trainer(TinyNet(), sd.VPSDE(), DATA, config(batch_size=5), dist_info=DistInfo(world_size=2))
    with pytest.raises(ValueError, match=r"batch_size \(50\) is larger than the data set \(10 examples\)"):
        trainer(None, data=DATA[:10])
    with pytest.raises(TypeError, match="data must be a tensor"):
        trainer(None, data=[1, 2, 3])
    with pytest.raises(TypeError, match=r"net must be a torch\.nn\.Module"):
        Trainer(lambda x, t: x, sd.VPSDE(), DATA)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"sde must be an SDE; got str"):
        Trainer(TinyNet(), "vp", DATA)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"data must be a tensor of examples \(n, \*dims\); got shape \(600,\)"):
        trainer(None, data=DATA[:, 0])


def test_bf16_autocast_trains_on_the_cpu() -> None:
    """precision="bf16": the forward runs under bf16 autocast, the loss and the weights stay float32."""
    t = trainer(None, steps=3, precision="bf16")
    assert t.autocast_dtype == torch.bfloat16
    result = t.fit()
    assert result.step == 3 and all(p.dtype == torch.float32 and bool(torch.isfinite(p).all())
                                    for p in t.net.parameters())
    assert trainer(None, precision="auto").autocast_dtype is None  # auto: bf16 only on a CUDA device
