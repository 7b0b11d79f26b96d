"""Score networks: the MLP, the DDPM++-style U-Net and their time embeddings.

The nets are tested on small configs (a forward pass of a few milliseconds); the DDPM++ CIFAR-10 config is only
instantiated, to pin its parameter count. Several properties need a network whose output is not zero, so
``_unzero`` fills every parameter that starts at zero (the zero-initialised output layers, biases) with small
random numbers first. Each property is one that a broken network fails: a gradient that is zero or wrong, a time
that does not reach the output, one sample leaking into another, a construction that the seed does not fix.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from typing import TypeVar

import pytest
import torch
from torch import nn

import scoresde as sd
from scoresde.nets import (
    MLP,
    FourierEmbedding,
    MLPConfig,
    SinusoidalEmbedding,
    UNet,
    UNetConfig,
    num_groups,
    time_embedding,
)
from scoresde.nets.unet import AttnBlock, ResBlock
from tests.problems import F64

_Net = TypeVar("_Net", bound=nn.Module)
SMALL = UNetConfig(in_channels=2, resolution=8, channels=8, channel_mult=(1, 2), num_res_blocks=1,
                   attn_resolutions=(4,), dropout=0.0)
SMALL_MLP = MLPConfig(dim=3, hidden=32, depth=2, embedding_dim=16)


def _unzero(net: _Net, seed: int = 0) -> _Net:
    """Fill every parameter that is all zeros with N(0, 0.1²) numbers, so no output or gradient is zero."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            if not p.any():
                p.copy_(0.1 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return net


def _inputs(shape: tuple[int, ...], dtype: torch.dtype = torch.float32, seed: int = 0
            ) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=dtype), torch.rand(shape[0], generator=g, dtype=dtype)


def _mlp(config: MLPConfig = SMALL_MLP) -> MLP:
    torch.manual_seed(0)
    return MLP(config)


def _unet(config: UNetConfig = SMALL) -> UNet:
    torch.manual_seed(0)
    return UNet(config)


NETS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "mlp": (_mlp, (5, 3)),
    "mlp_fourier": (lambda: _mlp(dataclasses.replace(SMALL_MLP, time_embedding="fourier")), (5, 3)),
    "unet": (_unet, (5, 2, 8, 8)),
    # the DDPM-style resampling layers, the Fourier embedding and two attention heads
    "unet_conv_fourier": (lambda: _unet(dataclasses.replace(SMALL, resample="conv", time_embedding="fourier",
                                                            attn_heads=2)), (5, 2, 8, 8)),
    # 2×2 patches: the levels run at 8 and 4 for a 16×16 image
    "unet_patch2": (lambda: _unet(dataclasses.replace(SMALL, resolution=16, patch_size=2)), (5, 2, 16, 16)),
}
U64 = 2.0**-53  # the unit roundoff of float64


# --- embeddings -------------------------------------------------------------------------------------------------


def test_sinusoidal_embedding_formula() -> None:
    """e(t) = [sin(s t ω_k), cos(s t ω_k)], ω_k = P^(-k/(h-1)), checked entry by entry."""
    emb = SinusoidalEmbedding(6, scale=1000.0, max_period=10000.0)
    t = torch.tensor([0.0, 0.001, 0.37, 1.0], dtype=F64)
    out = emb(t)
    assert out.shape == (4, 6) and out.dtype == F64
    for i, ti in enumerate(t.tolist()):
        for k in range(3):
            omega = 10000.0 ** (-k / 2)
            assert out[i, k].item() == pytest.approx(math.sin(1000 * ti * omega), rel=1e-12, abs=1e-12)
            assert out[i, 3 + k].item() == pytest.approx(math.cos(1000 * ti * omega), rel=1e-12, abs=1e-12)


def test_sinusoidal_embedding_of_ddpm_times_is_ddpm_index_embedding() -> None:
    """With scale 1000, t_i = i/1000 is embedded as DDPM embeds the integer index i (scale 1)."""
    i = torch.tensor([1.0, 17.0, 500.0, 1000.0], dtype=F64)
    torch.testing.assert_close(SinusoidalEmbedding(32)(i / 1000), SinusoidalEmbedding(32, scale=1.0)(i),
                               rtol=0, atol=1e-10)
    assert SinusoidalEmbedding(32).frequencies()[[0, -1]].tolist() == pytest.approx([1.0, 1e-4], rel=1e-14)


def test_fourier_embedding_formula_and_buffer() -> None:
    """e(t) = [sin(2π t w), cos(2π t w)] with fixed w ~ N(0, s²): a buffer in the state dict, not a parameter."""
    emb = FourierEmbedding(8, scale=16.0, generator=torch.Generator().manual_seed(3))
    w = 16.0 * torch.randn(4, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(emb.weight, w, rtol=0, atol=0)
    t = torch.tensor([0.0, 0.25, 0.9], dtype=F64)
    angles = 2 * math.pi * t[:, None] * w.to(F64)[None, :]
    torch.testing.assert_close(emb(t), torch.cat([angles.sin(), angles.cos()], 1), rtol=1e-14, atol=1e-14)
    assert list(emb.parameters()) == [] and "weight" in emb.state_dict()


@pytest.mark.parametrize(("kind", "dim"), [("sinusoidal", 2), ("sinusoidal", 7), ("fourier", 5), ("fourier", 0)])
def test_embedding_refuses_bad_dim(kind: str, dim: int) -> None:
    with pytest.raises(ValueError, match="dim must be"):
        time_embedding(kind, dim)


def test_embedding_refuses_bad_kind_and_t() -> None:
    with pytest.raises(ValueError, match="'sinusoidal', 'fourier'"):
        time_embedding("learned", 8)
    with pytest.raises(ValueError, match=r"t must have shape \(batch,\)"):
        SinusoidalEmbedding(8)(torch.zeros(3, 1))
    with pytest.raises(TypeError, match="floating-point"):
        SinusoidalEmbedding(8)(torch.arange(3))


# --- shapes, dtypes, zero output --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(NETS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_dtype_and_zero_output_at_init(name: str, dtype: torch.dtype) -> None:
    """net(x, t) has x's shape and dtype, and is exactly zero at initialisation (zero output layer)."""
    make, shape = NETS[name]
    net = make().to(dtype)
    x, t = _inputs(shape, dtype)
    out = net(x, t)
    assert out.shape == x.shape and out.dtype == dtype
    assert not out.any()


def test_score_model_wraps_the_nets() -> None:
    """The nets plug into ScoreModel: s = -ε_θ/σ(t)."""
    net = _unzero(_mlp())
    model = sd.ScoreModel(net, sd.VPSDE())
    x, t = _inputs((4, 3))
    sigma = sd.VPSDE().marginal(t)[1].to(x.dtype)
    torch.testing.assert_close(model(x, t), -net(x, t) / sd.append_dims(sigma, 2))


# --- conditioning, dropout, gradients, batch independence -------------------------------------------------------


@pytest.mark.parametrize("name", list(NETS))
def test_output_depends_on_t(name: str) -> None:
    """Different times give different outputs, for every sample; the same time gives the same output (the same
    operations in the same order: bit for bit)."""
    make, shape = NETS[name]
    net = _unzero(make()).eval()
    x, t = _inputs(shape)
    out = net(x, t)
    torch.testing.assert_close(net(x, t.clone()), out, rtol=0, atol=0)
    changed = (net(x, 1 - t) - out).flatten(1).abs().amax(1)
    assert (changed > 1e-4).all()


@pytest.mark.parametrize("name", list(NETS))
def test_batch_independence(name: str) -> None:
    """In eval mode each sample's output depends on neither the other samples nor their times.

    In float64. Run alone or among other samples, a sample meets the same operations, but the BLAS kernels may
    block its sums differently by batch size, and a reordered sum of k terms moves by at most k·u·Σ|terms|
    (u = 2⁻⁵³). Summed over the ~30 layers of these nets, 10⁴·u·max|out| (~10⁻¹² here) bounds that with room to
    spare; one sample leaking into another (a norm or attention over the batch) moves the output by ~10⁻¹."""
    make, shape = NETS[name]
    net = _unzero(make()).to(F64).eval().requires_grad_(False)
    x, t = _inputs(shape, F64)
    x2, t2 = _inputs(shape, F64, seed=1)
    x2[0], t2[0] = x[0], t[0]
    out, mixed = net(x, t), net(x2, t2)
    tol = 1e4 * U64 * float(out.abs().max())
    torch.testing.assert_close(mixed[0], out[0], rtol=0, atol=tol)
    alone = torch.cat([net(x[i:i + 1], t[i:i + 1]) for i in range(shape[0])])
    torch.testing.assert_close(alone, out, rtol=0, atol=tol)
    assert float((mixed[1:] - out[1:]).abs().max()) > 1e-2  # the other samples did change


@pytest.mark.parametrize("name", list(NETS))
def test_construction_and_output_are_fixed_by_the_seed(name: str) -> None:
    """The same seed builds the same weights (and so the same output, bit for bit: the same operations in the same
    order); another seed builds other weights in every randomly initialised tensor."""
    make, shape = NETS[name]
    a, b = make(), make()  # each seeds torch's generator with 0
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())
    torch.manual_seed(1)
    c = type(a)(a.config)
    random = [k for k, v in a.state_dict().items() if v.unique().numel() > 1]  # not the zeros and ones
    assert len(random) > 10 and all(not torch.equal(a.state_dict()[k], c.state_dict()[k]) for k in random)
    x, t = _inputs(shape)
    assert torch.equal(_unzero(a).eval()(x, t), _unzero(b).eval()(x, t))


def test_dropout_only_in_train_mode() -> None:
    net = _unzero(_unet(dataclasses.replace(SMALL, dropout=0.5)))
    x, t = _inputs((2, 2, 8, 8))
    net.train()
    assert not torch.equal(net(x, t), net(x, t))
    net.eval()
    torch.testing.assert_close(net(x, t), net(x, t), rtol=0, atol=0)


@pytest.mark.parametrize("name", list(NETS))
def test_gradient_reaches_every_parameter(name: str) -> None:
    """Every parameter tensor gets a gradient with a non-zero entry (once the zero output layer is perturbed)."""
    make, shape = NETS[name]
    net = _unzero(make())
    x, t = _inputs(shape)
    net(x, t).square().sum().backward()
    dead = [n for n, p in net.named_parameters() if p.grad is None or not p.grad.any()]
    assert dead == []


@pytest.mark.parametrize("name", list(NETS))
def test_gradient_is_the_derivative_of_the_loss(name: str) -> None:
    """<∇L(θ), v> equals the central difference (L(θ + hv) - L(θ - hv))/2h along a random direction v, in float64.

    With h = 10⁻⁵ the difference's truncation error is O(h²) ~ 10⁻¹⁰ and its rounding error ~u·|L|/h ~ 10⁻¹¹ of L;
    a gradient that is wrong or missing in any layer is off by far more than rtol = 10⁻⁶."""
    make, shape = NETS[name]
    net = _unzero(make()).to(F64).eval()
    x, t = _inputs(shape, F64)
    params = list(net.parameters())
    g = torch.Generator().manual_seed(5)
    v = [torch.randn(p.shape, generator=g, dtype=F64) for p in params]
    loss = net(x, t).square().mean()
    grads = torch.autograd.grad(loss, params)
    directional = sum(float((gr * d).sum()) for gr, d in zip(grads, v, strict=True))

    def shifted(h: float) -> float:
        with torch.no_grad():
            for p, d in zip(params, v, strict=True):
                p.add_(d, alpha=h)
            value = float(net(x, t).square().mean())
            for p, d in zip(params, v, strict=True):
                p.sub_(d, alpha=h)
        return value

    h = 1e-5
    assert directional == pytest.approx((shifted(h) - shifted(-h)) / (2 * h), rel=1e-6)


def test_gradient_at_init_reaches_the_output_layer_only() -> None:
    """With the output layer at zero, the first gradient is zero everywhere but in that layer."""
    net = _unet()
    x, t = _inputs((2, 2, 8, 8))
    (net(x, t) - x).square().sum().backward()
    live = {n for n, p in net.named_parameters() if p.grad is not None and p.grad.any()}
    assert live == {"conv_out.weight", "conv_out.bias"}


# --- architecture details ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("channels", "groups"), [(1, 1), (3, 1), (8, 2), (12, 3), (20, 5), (32, 8), (36, 9),
                                                  (48, 12), (64, 16), (66, 11), (96, 24), (128, 32), (256, 32)])
def test_num_groups(channels: int, groups: int) -> None:
    """The largest g <= min(32, C // 4) that divides C."""
    assert num_groups(channels) == groups


def test_group_norms_use_num_groups() -> None:
    norms = [m for m in _unet().modules() if isinstance(m, nn.GroupNorm)]
    assert norms and all(m.num_groups == num_groups(m.num_channels) for m in norms)
    assert {m.num_channels for m in norms} == {8, 16, 24, 32}


def test_attention_only_at_the_chosen_resolutions() -> None:
    """Attention sits after each down block and the last up block of the chosen levels, and in the middle."""
    config = UNetConfig(in_channels=1, resolution=16, channels=8, channel_mult=(1, 2, 2), num_res_blocks=2,
                        attn_resolutions=(8,), dropout=0.0)
    net = _unet(config)
    seen: list[int] = []
    for m in net.modules():
        if isinstance(m, AttnBlock):
            m.register_forward_hook(lambda _m, args, _out: seen.append(args[0].shape[-1]))
    net(*_inputs((1, 1, 16, 16)))
    assert sorted(seen) == [4] + [8] * 3  # middle (4×4); 2 down blocks and the last up block at 8×8


def test_residual_and_attention_blocks_rescale_skips_at_init() -> None:
    """With their last conv at zero, a residual block and an attention block return x/√2 (skip_rescale)."""
    x, _ = _inputs((2, 8, 4, 4), F64)
    emb = torch.randn(2, 16, dtype=F64)
    res = ResBlock(8, 8, 16).to(F64)
    attn = AttnBlock(8).to(F64)
    torch.testing.assert_close(res(x, emb), x / math.sqrt(2), rtol=1e-15, atol=1e-15)
    torch.testing.assert_close(attn(x), x / math.sqrt(2), rtol=1e-15, atol=1e-15)
    torch.testing.assert_close(ResBlock(8, 8, 16, skip_rescale=False).to(F64)(x, emb), x, rtol=0, atol=0)


def _count_small_by_hand() -> int:
    """The parameters of SMALL, layer by layer (in 2, channels 8 -> 16, E = 4·8 time features)."""
    def conv(i: int, o: int, k: int = 3) -> int:
        return k * k * i * o + o

    def lin(i: int, o: int) -> int:
        return i * o + o

    def res(i: int, o: int, reshape: bool = False) -> int:
        return 2 * i + conv(i, o) + lin(32, o) + 2 * o + conv(o, o) + (conv(i, o, 1) if i != o or reshape else 0)

    def attn(c: int) -> int:
        return 2 * c + conv(c, 3 * c, 1) + conv(c, c, 1)

    embed = lin(8, 32) + lin(32, 32)
    down = conv(2, 8) + res(8, 8) + res(8, 8, reshape=True) + res(8, 16) + attn(16)  # skips: 8, 8, 8, 16
    mid = res(16, 16) + attn(16) + res(16, 16)
    up = res(32, 16) + res(24, 16) + attn(16) + res(16, 16, reshape=True) + res(24, 8) + res(16, 8)
    return embed + down + mid + up + 2 * 8 + conv(8, 2)


def test_parameter_counts() -> None:
    """SMALL counted by hand; the presets pinned (DDPM++ cont. (VP): 61.8M, as Song et al.'s network)."""
    def count(net: nn.Module) -> int:
        return sum(p.numel() for p in net.parameters())

    assert count(_unet()) == _count_small_by_hand()
    assert count(UNet(UNetConfig.tiny())) == 1_260_547
    assert count(UNet(dataclasses.replace(UNetConfig.tiny(), patch_size=2))) == 1_265_740
    assert count(UNet(UNetConfig.ddpmpp_cifar10())) == 61_804_419
    def lin(i: int, o: int) -> int:
        return i * o + o

    embed, hidden_layers = lin(16, 32) + lin(32, 32), lin(3, 32) + lin(32, 32) + lin(32, 32) + lin(32, 32)
    assert count(_mlp()) == embed + hidden_layers + lin(32, 3)  # SMALL_MLP: 3 -> 32 -> 32 -> 3


# --- configs ----------------------------------------------------------------------------------------------------


def test_presets() -> None:
    c = UNetConfig.ddpmpp_cifar10()
    assert (c.in_channels, c.resolution, c.channels, c.channel_mult, c.num_res_blocks, c.attn_resolutions,
            c.dropout, c.resample, c.skip_rescale, c.time_embedding) == (
        3, 32, 128, (1, 2, 2, 2), 4, (16,), 0.1, "resblock", True, "sinusoidal")
    assert c == UNetConfig() and c.resolutions == (32, 16, 8, 4)
    tiny = UNetConfig.tiny()
    assert (tiny.channels, tiny.channel_mult, tiny.num_res_blocks, tiny.attn_resolutions) == (32, (1, 2, 2), 1, (8,))
    assert UNet(tiny).config is tiny


@pytest.mark.parametrize("config", [SMALL, UNetConfig.ddpmpp_cifar10(), SMALL_MLP, MLPConfig()])
def test_config_round_trip(config: UNetConfig | MLPConfig) -> None:
    """to_dict gives JSON types; from_dict(to_dict(c)) == c, also through JSON text."""
    d = config.to_dict()
    assert type(config).from_dict(json.loads(json.dumps(d))) == config
    assert type(config).from_dict(d) == config


def test_config_lists_become_tuples() -> None:
    c = UNetConfig(channel_mult=[1, 2], attn_resolutions=[], resolution=8)  # type: ignore[arg-type]
    assert c.channel_mult == (1, 2) and c.attn_resolutions == () and hash(c)


@pytest.mark.parametrize("cls", [UNetConfig, MLPConfig])
def test_config_refuses_unknown_keys(cls: type[UNetConfig] | type[MLPConfig]) -> None:
    d = cls().to_dict() | {"chanels": 64, "zz": 1}
    with pytest.raises(ValueError, match=rf"unknown {cls.__name__} keys: 'chanels', 'zz'; valid keys are '") as err:
        cls.from_dict(d)
    assert "'time_embedding'" in str(err.value)


@pytest.mark.parametrize(("change", "error", "match"), [
    ({"resolution": 30}, ValueError, r"divisible by patch_size·2\^\(len\(channel_mult\) - 1\) = 8"),
    ({"patch_size": 3}, ValueError, r"divisible by patch_size·2\^\(len\(channel_mult\) - 1\) = 24"),
    ({"patch_size": 0}, ValueError, "patch_size must be an integer >= 1"),
    ({"patch_size": 2, "attn_resolutions": (32,)}, ValueError, r"resolutions of the network, \(16, 8, 4, 2\)"),
    ({"attn_resolutions": (16, 5)}, ValueError, r"among the resolutions of the network, \(32, 16, 8, 4\); got \[5\]"),
    ({"dropout": 1.0}, ValueError, r"dropout must be a finite number >= 0 and < 1; got 1.0"),
    ({"dropout": -0.1}, ValueError, "dropout must be"),
    ({"dropout": True}, TypeError, "dropout must be a real number; got bool"),
    ({"channels": 0}, ValueError, "channels must be an integer >= 1"),
    ({"channels": 7}, ValueError, "channels must be an even integer >= 4"),
    ({"channel_mult": ()}, ValueError, "channel_mult must hold at least one"),
    ({"channel_mult": (1, 0)}, ValueError, r"channel_mult\[1\] must be an integer >= 1"),
    ({"channel_mult": "12"}, TypeError, "channel_mult must be a tuple of ints"),
    ({"num_res_blocks": 2.0}, TypeError, "num_res_blocks must be an int"),
    ({"resample": "fir"}, ValueError, "resample must be one of 'resblock', 'conv'"),
    ({"time_embedding": "learned"}, ValueError, "time_embedding must be one of"),
    ({"skip_rescale": 1}, TypeError, "skip_rescale must be a bool"),
    ({"attn_heads": 3}, ValueError, "attn_heads must divide the channel count 256"),
    ({"time_scale": 0.0}, ValueError, "time_scale must be a finite number > 0"),
])
def test_unet_config_refuses_bad_values(change: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        UNetConfig.from_dict(change)


def test_mlp_config_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="embedding_dim must be an even integer >= 4"):
        MLPConfig(embedding_dim=2)
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        MLPConfig(depth=0)
    with pytest.raises(TypeError, match="mapping"):
        MLPConfig.from_dict([("dim", 2)])  # type: ignore[arg-type]


# --- bad input at the forward boundary --------------------------------------------------------------------------


@pytest.mark.parametrize(("x_shape", "t_shape", "match"), [
    ((2, 3, 8, 8), (2,), r"x must have shape \(batch, in_channels, resolution, resolution\) = \(batch, 2, 8, 8\)"),
    ((2, 2, 16, 16), (2,), r"= \(batch, 2, 8, 8\) for this UNetConfig; got \(2, 2, 16, 16\)"),
    ((2, 2, 8), (2,), "x must have shape"),
    ((2, 2, 8, 8), (3,), r"t must have shape \(batch,\) = \(2,\), one time per sample; got shape \(3,\)"),
    ((2, 2, 8, 8), (), r"t must have shape \(batch,\) = \(2,\)"),
    ((2, 2, 8, 8), (2, 1), r"got shape \(2, 1\)"),
])
def test_unet_refuses_bad_shapes(x_shape: tuple[int, ...], t_shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _unet()(torch.zeros(x_shape), torch.zeros(t_shape))


def test_nets_refuse_bad_types() -> None:
    net = _unet()
    with pytest.raises(TypeError, match=r"x must have the dtype of the network's parameters, torch\.float32"):
        net(torch.zeros(1, 2, 8, 8, dtype=F64), torch.zeros(1))
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        net(torch.zeros(1, 2, 8, 8, dtype=torch.long), torch.zeros(1))
    with pytest.raises(TypeError, match=r"t must be a torch\.Tensor"):
        net(torch.zeros(1, 2, 8, 8), 0.5)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, dim\) = \(batch, 3\); got \(4, 2\)"):
        _mlp()(torch.zeros(4, 2), torch.zeros(4))
    with pytest.raises(TypeError, match="config must be a UNetConfig"):
        UNet({"channels": 8})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config must be a MLPConfig or None"):
        MLP(SMALL)  # type: ignore[arg-type]


def test_patching_is_pixel_unshuffle_around_a_unet_of_half_the_side() -> None:
    """UNet(patch_size=2)(x) = pixel_shuffle(UNet'(pixel_unshuffle(x))) for the patch-free net on C·4 channels at R/2,
    with the same weights: the patches are folded into channels and nothing else changes."""
    patched = _unzero(_unet(dataclasses.replace(SMALL, resolution=16, patch_size=2)))
    inner = UNet(dataclasses.replace(SMALL, in_channels=8, resolution=8))
    inner.load_state_dict(patched.state_dict())
    x, t = _inputs((3, 2, 16, 16))
    want = torch.nn.functional.pixel_shuffle(inner(torch.nn.functional.pixel_unshuffle(x, 2), t), 2)
    torch.testing.assert_close(patched(x, t), want, rtol=0, atol=0)
    # the levels run at half the image side
    assert patched.config.resolutions == (8, 4)


def test_state_dict_moves_between_nets_of_one_config() -> None:
    a = _unzero(_unet(dataclasses.replace(SMALL, time_embedding="fourier")))
    b = UNet(a.config)
    b.load_state_dict(a.state_dict())
    x, t = _inputs((2, 2, 8, 8))
    torch.testing.assert_close(b.eval()(x, t), a.eval()(x, t), rtol=0, atol=0)


# --- heavier checks ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ddpmpp_forward_backward() -> None:
    """The full DDPM++ network: a finite output of x's shape, and a finite, non-zero gradient in every parameter."""
    net = UNet(UNetConfig.ddpmpp_cifar10())
    x, t = _inputs((2, 3, 32, 32))
    out = _unzero(net)(x, t)
    assert out.shape == x.shape and bool(torch.isfinite(out).all())
    out.square().mean().backward()
    bad = [n for n, p in net.named_parameters()
           if p.grad is None or not p.grad.any() or not bool(torch.isfinite(p.grad).all())]
    assert bad == []


@pytest.mark.slow
def test_mlp_learns_the_ring_eps() -> None:
    """On the 2-D ring of Gaussians, 1500 Adam steps bring the MLP's ε within 0.02 (mean square) of the exact
    E[ε | x_t] of the GaussianMixture oracle (the irreducible ε-loss is ~0.27)."""
    from tests.problems import ring2d

    torch.manual_seed(0)
    gm, sde, net = ring2d(), sd.VPSDE(), MLP()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(1)

    def batch(n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x0 = gm.sample(n, generator=g).float()
        t = (1e-3 + torch.rand(n, generator=g)).clamp(max=1.0)
        eps = torch.randn(n, 2, generator=g)
        return sde.perturb(x0, t, eps), t, eps

    for _ in range(1500):
        x, t, eps = batch(512)
        opt.zero_grad()
        (net(x, t) - eps).square().mean().backward()
        opt.step()
    x, t, _ = batch(4000)
    with torch.no_grad():
        excess = (net(x, t) - gm.marginal_eps(sde, x.double(), t.double()).float()).square().mean()
    assert excess < 0.02
