"""scoresde.interop: a diffusers model's SDE and score, checked against diffusers itself.

The agreement tests drive a small randomly initialised `UNet2DModel` through diffusers' own scheduler loops and through
scoresde's samplers on the same timesteps, from the same initial noise and the same random draws, and compare the
results to float32 round-off (docs/interop.md gives the observed errors).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor

import scoresde as sd

diffusers = pytest.importorskip("diffusers")
from diffusers import (  # noqa: E402
    DDIMScheduler,
    DDPMPipeline,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    EulerDiscreteScheduler,
    ScoreSdeVeScheduler,
    UNet2DModel,
)

from scoresde.interop import (  # noqa: E402
    DiffusersNet,
    DiffusersScore,
    from_diffusers,
    load_diffusers_model,
    scheduler_config,
    sde_from_scheduler,
    times_of,
)
from scoresde.training import TrainConfig, Trainer  # noqa: E402

SHAPE = (3, 3, 8, 8)


def small_unet(seed: int = 0, channels: int = 3, size: int = 8) -> UNet2DModel:
    torch.manual_seed(seed)
    return UNet2DModel(sample_size=size, in_channels=channels, out_channels=channels, block_out_channels=(8, 16),
                       layers_per_block=1, down_block_types=("DownBlock2D",) * 2, up_block_types=("UpBlock2D",) * 2,
                       norm_num_groups=4).eval()


@pytest.fixture(scope="module")
def unet() -> UNet2DModel:
    return small_unet()


def x_T(seed: int = 1) -> Tensor:
    return torch.randn(SHAPE, generator=torch.Generator().manual_seed(seed))


def diffusers_loop(unet: UNet2DModel, scheduler: Any, x: Tensor, steps: int, seed: int, **step_kwargs: Any) -> Tensor:
    scheduler.set_timesteps(steps)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for t in scheduler.timesteps:
            x = scheduler.step(unet(x, t).sample, t, x, generator=g, **step_kwargs).prev_sample
    return x


def ours(unet: UNet2DModel, scheduler: Any, x: Tensor, method: str, seed: int, **options: Any) -> sd.SampleResult:
    sde, score_fn = from_diffusers(unet, scheduler, clip_sample=options.pop("clip_sample", None))
    grid = times_of(scheduler.timesteps, scheduler.config.num_train_timesteps)
    with torch.no_grad():
        return sd.sample(score_fn, sde, x, method=method, grid=grid, generator=torch.Generator().manual_seed(seed),
                         **options)


def rel_err(a: Tensor, b: Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp(min=1.0))


# --- the chain --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", ["linear", "scaled_linear", "squaredcos_cap_v2"])
@pytest.mark.parametrize("n", [1000, 250])
def test_the_sde_has_the_schedulers_alphas_cumprod_at_t_equal_k_plus_1_over_n(schedule: str, n: int) -> None:
    scheduler = DDPMScheduler(beta_schedule=schedule, num_train_timesteps=n)
    sde, predicts = sde_from_scheduler(scheduler)
    k = torch.arange(n)
    alpha, _ = sde.marginal(times_of(k, n))
    torch.testing.assert_close(alpha**2, scheduler.alphas_cumprod.double(), rtol=1e-12, atol=0)
    assert predicts == "eps"


def test_a_config_dict_and_a_saved_config_give_the_same_sde_as_the_scheduler(tmp_path: Path) -> None:
    scheduler = DDIMScheduler(beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction")
    scheduler.save_config(tmp_path)
    t = torch.linspace(1e-3, 1.0, 57, dtype=torch.float64)
    reference = sde_from_scheduler(scheduler)
    for source in (dict(scheduler.config), tmp_path, tmp_path / "scheduler_config.json"):
        sde, predicts = sde_from_scheduler(source)
        assert predicts == "v"
        torch.testing.assert_close(sde.marginal(t)[1], reference[0].marginal(t)[1], rtol=1e-14, atol=0)


def test_our_linear_and_cosine_betas_are_diffusers_to_float32() -> None:
    torch.testing.assert_close(sd.linear_betas().float(), DDPMScheduler(beta_schedule="linear").betas)
    torch.testing.assert_close(sd.cosine_betas().float(), DDPMScheduler(beta_schedule="squaredcos_cap_v2").betas)


def test_scheduler_config_round_trips_through_diffusers() -> None:
    sde = sd.VPSDE.from_ddpm(sd.linear_betas(200))
    config = scheduler_config(sde, "v", clip_sample=False)
    back, predicts = sde_from_scheduler(DDPMScheduler.from_config(config))
    t = times_of(torch.arange(200), 200)
    torch.testing.assert_close(back.marginal(t)[0], sde.marginal(t)[0], rtol=1e-6, atol=0)  # float32 cumprod
    assert predicts == "v" and DDPMScheduler.from_config(config).config.clip_sample is False


# --- agreement with diffusers' loops ----------------------------------------------------------------------------------

CASES = [(schedule, prediction) for schedule in ("linear", "squaredcos_cap_v2")
         for prediction in ("epsilon", "v_prediction")]


@pytest.mark.parametrize(("schedule", "prediction"), CASES)
@pytest.mark.parametrize("steps", [10, 25])
def test_ancestral_reproduces_ddpm_scheduler(unet: UNet2DModel, schedule: str, prediction: str, steps: int) -> None:
    scheduler = DDPMScheduler(beta_schedule=schedule, prediction_type=prediction, clip_sample=False)
    ref = diffusers_loop(unet, scheduler, x_T(), steps, seed=5)
    out = ours(unet, scheduler, x_T(), "ancestral", seed=5)
    assert out.nfe == steps
    assert rel_err(out.samples, ref) < 5e-6


@pytest.mark.parametrize(("schedule", "prediction"), [*CASES, ("scaled_linear", "sample")])
@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_ddim_reproduces_ddim_scheduler(unet: UNet2DModel, schedule: str, prediction: str, eta: float) -> None:
    scheduler = DDIMScheduler(beta_schedule=schedule, prediction_type=prediction, clip_sample=False)
    ref = diffusers_loop(unet, scheduler, x_T(), 10, seed=5, eta=eta)
    out = ours(unet, scheduler, x_T(), "ddim", seed=5, eta=eta)
    assert out.nfe == 10
    assert rel_err(out.samples, ref) < 5e-6


@pytest.mark.parametrize(("schedule", "prediction"), CASES)
@pytest.mark.parametrize("steps", [10, 20])
def test_dpm_solver_reproduces_dpm_solver_multistep(unet: UNet2DModel, schedule: str, prediction: str,
                                                    steps: int) -> None:
    # diffusers' defaults: DPM-Solver++(2M), midpoint, final step to σ = 0 of first order (our denoising step)
    scheduler = DPMSolverMultistepScheduler(beta_schedule=schedule, prediction_type=prediction)
    ref = diffusers_loop(unet, scheduler, x_T(), steps, seed=5)
    out = ours(unet, scheduler, x_T(), "dpm_solver", seed=5, lower_order_final=False)
    assert out.nfe == steps
    # the cosine chain's first timestep has ᾱ ≈ 2e-9: x̂₀ through the score loses digits there (docs/interop.md;
    # observed 9.4e-5, amplified round-off, hence the wider bound)
    tol = 1e-3 if (schedule, prediction) == ("squaredcos_cap_v2", "v_prediction") else 5e-6
    assert rel_err(out.samples, ref) < tol


def test_ddim_with_stable_diffusions_config_ends_at_timestep_0_without_denoising(unet: UNet2DModel) -> None:
    # set_alpha_to_one=False: the last step lands on ᾱ_0 (t = 1/N), not on ᾱ = 1; steps_offset=1 shifts the grid
    scheduler = DDIMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    ref = diffusers_loop(unet, scheduler, x_T(), 10, seed=5)
    sde, score_fn = from_diffusers(unet, scheduler)
    grid = torch.cat([times_of(scheduler.timesteps, 1000), torch.tensor([1e-3], dtype=torch.float64)])
    with torch.no_grad():
        out = sd.sample(score_fn, sde, x_T(), method="ddim", grid=grid, denoise=False)
    assert out.nfe == 10 and rel_err(out.samples, ref) < 5e-6


def test_clip_sample_reproduces_ddpm_schedulers_default_clipping(unet: UNet2DModel) -> None:
    scheduler = DDPMScheduler()  # clip_sample=True by default
    ref = diffusers_loop(unet, scheduler, x_T(), 10, seed=5)
    out = ours(unet, scheduler, x_T(), "ancestral", seed=5, clip_sample=1.0)
    assert rel_err(out.samples, ref) < 5e-6
    unclipped = ours(unet, scheduler, x_T(), "ancestral", seed=5)
    assert rel_err(unclipped.samples, ref) > 1e-2  # the clipping matters here: the test could fail


@pytest.mark.parametrize("n", [1000, 250])
def test_on_the_schedulers_timesteps_the_model_sees_exact_integers(n: int) -> None:
    seen: list[Tensor] = []

    def spy(x: Tensor, timestep: Tensor) -> Tensor:
        seen.append(timestep.detach().clone())
        return torch.zeros_like(x)

    net = DiffusersNet(spy, n)  # type: ignore[arg-type]
    scheduler = DDIMScheduler(num_train_timesteps=n)
    scheduler.set_timesteps(50)
    times = times_of(scheduler.timesteps, n)
    for t in times:
        net(torch.zeros(2, 1), torch.full((2,), float(t)))  # float32 t, as the samplers pass it
    steps = torch.stack([s[0] for s in seen])
    assert torch.equal(steps, scheduler.timesteps.float())


def test_between_timesteps_linear_feeds_the_fraction_and_nearest_rounds() -> None:
    seen: list[Tensor] = []

    def spy(x: Tensor, timestep: Tensor) -> Tensor:
        seen.append(timestep)
        return torch.zeros_like(x)

    t = torch.tensor([0.5004, 0.0016], dtype=torch.float64)
    DiffusersNet(spy, 1000)(torch.zeros(2, 1), t)  # type: ignore[arg-type]
    DiffusersNet(spy, 1000, interpolation="nearest")(torch.zeros(2, 1), t)  # type: ignore[arg-type]
    torch.testing.assert_close(seen[0], torch.tensor([499.4, 0.6], dtype=torch.float64))
    torch.testing.assert_close(seen[1], torch.tensor([499.0, 1.0], dtype=torch.float64))


def test_a_half_precision_model_runs_under_float32_samplers_on_exact_timesteps(unet: UNet2DModel) -> None:
    half = small_unet().to(torch.bfloat16)
    net = DiffusersNet(half, 1000)
    x = x_T()
    for k in (999, 500, 37, 0):
        t = torch.full((3,), (k + 1) / 1000, dtype=torch.float32)
        with torch.no_grad():
            out = net(x, t)
            ref = half(x.to(torch.bfloat16), k).sample
        assert out.dtype == torch.float32
        torch.testing.assert_close(out, ref.float(), rtol=0, atol=0)


def test_learned_variances_are_dropped_keeping_the_means_prediction() -> None:
    torch.manual_seed(0)
    unet = UNet2DModel(sample_size=8, in_channels=3, out_channels=6, block_out_channels=(8, 16), layers_per_block=1,
                       down_block_types=("DownBlock2D",) * 2, up_block_types=("UpBlock2D",) * 2,
                       norm_num_groups=4).eval()
    net = DiffusersNet(unet, 1000)
    with torch.no_grad():
        torch.testing.assert_close(net(x_T(), torch.full((3,), 0.5)), unet(x_T(), 499).sample[:, :3])


def test_times_before_the_first_timestep_are_refused_naming_t_min(unet: UNet2DModel) -> None:
    sde, score_fn = from_diffusers(unet, DDPMScheduler(num_train_timesteps=100))
    assert score_fn.t_min == pytest.approx(0.01)
    with pytest.raises(ValueError, match=r"t must lie in \[1/N, 1\] = \[0.01, 1\].*t_min=0.01"):
        sd.sample(score_fn, sde, (2, 3, 8, 8), method="ddim", steps=3)  # default t_min 1e-3 < 1/N
    out = sd.sample(score_fn, sde, (2, 3, 8, 8), method="ddim", steps=3, t_min=score_fn.t_min)
    assert torch.isfinite(out.samples).all()
    nearest = DiffusersNet(unet, 100, interpolation="nearest")
    with pytest.raises(ValueError, match=r"t must lie in \[1/N, 1\]"):
        nearest(x_T(), torch.full((3,), 0.006))  # τ = -0.4 would round to timestep 0: refused all the same


# --- loading ------------------------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_a_pipeline_folder_loads_offline_and_scores_as_the_model(unet: UNet2DModel, tmp_path: Path,
                                                                 no_network: None) -> None:
    scheduler = DDPMScheduler(beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction")
    DDPMPipeline(unet=unet, scheduler=scheduler).save_pretrained(tmp_path)
    _, score_fn = from_diffusers(tmp_path)
    _, score0 = from_diffusers(unet, scheduler)
    x, t = x_T(), torch.tensor([0.3, 0.05, 1.0])
    with torch.no_grad():
        torch.testing.assert_close(score_fn.eval()(x, t), score0(x, t))
    assert score_fn.predicts == "v"


def test_a_model_folder_with_a_separate_scheduler_config_loads(unet: UNet2DModel, tmp_path: Path,
                                                              no_network: None) -> None:
    unet.save_pretrained(tmp_path / "model")
    DDIMScheduler().save_config(tmp_path / "sched")
    model, found = load_diffusers_model(tmp_path / "model")
    assert found is None and type(model).__name__ == "UNet2DModel"
    with pytest.raises(ValueError, match="scheduler_or_config is needed"):
        from_diffusers(tmp_path / "model")
    _, score_fn = from_diffusers(tmp_path / "model", tmp_path / "sched" / "scheduler_config.json")
    with torch.no_grad():
        torch.testing.assert_close(score_fn.net.model(x_T(), 10).sample, unet(x_T(), 10).sample)


def test_a_folder_with_only_pickled_weights_is_refused(unet: UNet2DModel, tmp_path: Path) -> None:
    unet.save_pretrained(tmp_path, safe_serialization=False)
    with pytest.raises(ValueError, match=r"no \.safetensors weights .*a \.bin file is a pickle"):
        from_diffusers(tmp_path, DDPMScheduler())


def test_a_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no model config\.json"):
        from_diffusers(tmp_path, DDPMScheduler())
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "X", "vae": ["diffusers", "AutoencoderKL"]}))
    with pytest.raises(ValueError, match="has no 'unet'"):
        from_diffusers(tmp_path)


def test_a_pipeline_object_gives_its_unet_and_scheduler(unet: UNet2DModel) -> None:
    pipe = DDPMPipeline(unet=unet, scheduler=DDIMScheduler(prediction_type="sample"))
    _, score_fn = from_diffusers(pipe)
    assert score_fn.net.model is unet and score_fn.predicts == "x0"
    assert isinstance(score_fn, DiffusersScore) and isinstance(score_fn, sd.ScoreModel)


# --- what does not fit ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("scheduler", "match"), [
    (ScoreSdeVeScheduler(), "ScoreSdeVeScheduler is not a DDPM-family"),
    ({"_class_name": "EDMEulerScheduler", "sigma_min": 0.002, "sigma_max": 80.0}, "VE / Karras-σ"),
    (DDPMScheduler(prediction_type="sample").config | {"prediction_type": "flow"}, "prediction_type must be one of"),
    (DDPMScheduler(beta_schedule="sigmoid"), r"beta_schedule must be one of .*'sigmoid'"),
    (DDIMScheduler(rescale_betas_zero_snr=True), "rescale_betas_zero_snr"),
    (EulerDiscreteScheduler(timestep_type="continuous"), "timestep_type='continuous'"),
])
def test_schedulers_that_do_not_map_are_refused(scheduler: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sde_from_scheduler(scheduler)


def test_trained_betas_and_non_default_schedulers_map(unet: UNet2DModel) -> None:
    betas = sd.linear_betas(300, 1e-4, 0.03)
    sde, _ = sde_from_scheduler({"trained_betas": betas.tolist(), "num_train_timesteps": 300})
    torch.testing.assert_close(sde.marginal(times_of(torch.arange(300), 300))[0] ** 2,
                               sd.DDPM(betas).alpha_bars[1:], rtol=1e-6, atol=0)
    sde_e, _ = sde_from_scheduler(EulerDiscreteScheduler())  # the model, not the sampler, fixes the SDE
    torch.testing.assert_close(sde_e.marginal(0.5)[0], sde_from_scheduler(DDPMScheduler())[0].marginal(0.5)[0])
    sde_d, _ = sde_from_scheduler({"num_train_timesteps": 1000})  # diffusers' defaults: linear 1e-4 … 0.02
    torch.testing.assert_close(sde_d.marginal(0.5)[0], sde_e.marginal(0.5)[0])


def test_bad_inputs_get_clear_errors(unet: UNet2DModel, tmp_path: Path) -> None:
    _, score_fn = from_diffusers(unet, DDPMScheduler())
    with pytest.raises(ValueError, match=r"model's 3 channels.*got shape \(2, 1, 8, 8\)"):
        score_fn(torch.zeros(2, 1, 8, 8), torch.full((2,), 0.5))
    with pytest.raises(ValueError, match="sample size 8×8; got 16×16"):
        score_fn(torch.zeros(2, 3, 16, 16), torch.full((2,), 0.5))
    with pytest.raises(TypeError, match="scheduler_or_config must be"):
        from_diffusers(unet, 3)
    with pytest.raises(TypeError, match=r"scheduler_or_config must be a diffusers scheduler.*got UNet2DModel"):
        from_diffusers(unet, unet)
    with pytest.raises(TypeError, match=r"model_or_folder is a scheduler \(DDPMScheduler\)"):
        from_diffusers(DDPMScheduler(), unet)
    with pytest.raises(ValueError, match="timesteps must be integers"):
        times_of([999.0, 500.5], 1000)
    _, unchecked = from_diffusers(unet, DDPMScheduler(), check_size=False)
    with torch.no_grad():
        assert unchecked(torch.zeros(2, 3, 16, 16), torch.full((2,), 0.5)).shape == (2, 3, 16, 16)
    with pytest.raises(TypeError, match="model must be a diffusers model"):
        from_diffusers(3, DDPMScheduler())
    with pytest.raises(ValueError, match="interpolation must be one of"):
        from_diffusers(unet, DDPMScheduler(), interpolation="cubic")
    with pytest.raises(ValueError, match="clip_sample"):
        from_diffusers(unet, DDPMScheduler(), clip_sample=-1.0)
    with pytest.raises(ValueError, match="timesteps must lie in"):
        times_of([1000], 1000)
    with pytest.raises(ValueError, match=r"no scheduler_config\.json"):
        sde_from_scheduler(tmp_path)
    with pytest.raises(ValueError, match=r"sde must be a VPSDE made by VPSDE\.from_ddpm"):
        scheduler_config(sd.VPSDE())


# --- the other direction: training a diffusers network with scoresde ---------------------------------------------


def test_a_diffusers_unet_trains_with_the_trainer_and_saves_as_a_pipeline(tmp_path: Path, no_network: None) -> None:
    scheduler = DDPMScheduler(num_train_timesteps=100, prediction_type="v_prediction")
    sde, predicts = sde_from_scheduler(scheduler)
    unet = small_unet(seed=3, channels=1)
    signs = torch.randint(0, 2, (64, 1, 1, 1), generator=torch.Generator().manual_seed(0)) * 2.0 - 1.0
    data = 0.5 * signs.expand(64, 1, 8, 8).contiguous()  # two flat images: a structure the network can learn
    config = TrainConfig(steps=60, batch_size=16, lr=3e-3, warmup=0, log_every=10, checkpoint_every=1000,
                         progress=False, ema_decay=0.0, loss=sd.DSMLoss(steps=100, predicts=predicts))
    trainer = Trainer(DiffusersNet(unet, 100), sde, data, config, tmp_path / "run")

    def eps_error() -> float:  # on fixed draws at the chain's times
        g = torch.Generator().manual_seed(1)
        t = times_of(torch.randint(0, 100, (256,), generator=g), 100)
        noise = torch.randn(256, 1, 8, 8, generator=g)
        x_t = sde.perturb(data[torch.arange(256) % 64], t, noise)
        with torch.no_grad():
            return float((trainer.score_model(ema=False).predict(x_t, t, "eps") - noise).pow(2).mean())

    before = eps_error()
    trainer.fit()
    assert eps_error() < 0.5 * before  # it learns (observed: 0.77 -> 0.09)
    DDPMPipeline(unet=trainer.net.model, scheduler=scheduler).save_pretrained(tmp_path / "pipe")
    _, score_fn = from_diffusers(tmp_path / "pipe")
    x, t = torch.randn(4, 1, 8, 8), torch.tensor([0.01, 0.2, 0.5, 1.0])
    with torch.no_grad():
        torch.testing.assert_close(score_fn(x, t), trainer.score_model(ema=False)(x, t), rtol=1e-5, atol=1e-5)


def test_the_likelihood_runs_on_the_adapter_from_t_min(unet: UNet2DModel) -> None:
    sde, score_fn = from_diffusers(unet, DDPMScheduler())
    images = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    bpd = sd.bits_per_dim(score_fn, sde, images, generator=torch.Generator().manual_seed(1), trace="hutchinson",
                          probes=1, rtol=1e-3, atol=1e-3, t_min=score_fn.t_min)
    assert bpd.shape == (2,) and torch.isfinite(bpd).all()

