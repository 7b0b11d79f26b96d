r"""A DDPM++-style U-Net for images: net(x, t) with x (batch, C, H, W) and t (batch,).

The architecture of Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential
Equations" (DDPM++, their improvement of the DDPM U-Net of Ho et al. 2020), written anew:

    e(t)      sinusoidal (or Fourier) features of t -> Linear -> SiLU -> Linear      (4·channels wide)
    conv_in   3×3 conv to ``channels``
    down      per resolution: ``num_res_blocks`` residual blocks (+ self-attention after each at the
              ``attn_resolutions``), then a downsampling block (all but the last resolution);
              every output is kept for a long skip connection
    middle    residual block, self-attention, residual block
    up        per resolution, coarse to fine: ``num_res_blocks + 1`` residual blocks, each fed the
              concatenation [h, skip], self-attention after the last one at the ``attn_resolutions``,
              then an upsampling block (all but the finest resolution)
    out       GroupNorm -> SiLU -> 3×3 conv back to ``in_channels``, initialised at zero

With ``patch_size = p > 1`` the network first folds every p×p patch into channels (``pixel_unshuffle``:
(C, R, R) -> (C·p², R/p, R/p)) and unfolds its output the same way (``pixel_shuffle``), so every level runs at
1/p of the image side: the patch embedding of ViT/DiT (Dosovitskiy et al. 2021; Peebles & Xie 2023) in front of
a U-Net. On a CPU, p = 2 gives a wider network for the cost of a narrow full-resolution one (docs/training.md).

A residual block (Ho et al. 2020, after Zagoruyko & Komodakis 2016; BigGAN-style resampling from
Brock et al. 2019 as in DDPM++):

    h   = conv1(resample(SiLU(GN(x))))
    h   = h + W_e SiLU(e(t))                       the time features, added in every block
    h   = conv2(dropout(SiLU(GN(h))))              conv2 initialised at zero
    out = (skip(resample(x)) + h) / √2             skip: identity, or a 1×1 conv when the shape changes

With ``resample="resblock"`` (DDPM++) the down/upsampling blocks are residual blocks whose ``resample``
is a 2×2 average pool / a nearest-neighbour ×2 upsampling; with ``resample="conv"`` (DDPM) they are
plain layers: a stride-2 3×3 conv down, nearest ×2 then a 3×3 conv up.

Skip rescaling (``skip_rescale``, DDPM++): every *sum* of a block's input and its residual branch, in the
residual and the attention blocks, is multiplied by 1/√2, which keeps the variance of the sum near that
of its terms. The U-Net's long skip connections are concatenations, not sums, so there is nothing to
rescale there (as in DDPM++).

GroupNorm uses ``num_groups(C)`` groups: the largest g <= min(32, C // 4) that divides C (and at least 1);
32 groups for C >= 128 as in DDPM, fewer for small channel counts so a group never holds < 4 channels.
Weights follow DDPM++'s initialisation: Xavier-uniform (variance scaling, fan-average), biases zero.

References:
    - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
      (arXiv:2011.13456), App. H: DDPM++.
    - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS: the DDPM U-Net.
    - Zagoruyko & Komodakis 2016, "Wide Residual Networks", BMVC; Brock, Donahue & Simonyan 2019, "Large Scale
      GAN Training for High Fidelity Natural Image Synthesis", ICLR (BigGAN resampling).
    - Wu & He 2018, "Group Normalization", ECCV.
    - Vaswani et al. 2017, "Attention Is All You Need", NeurIPS.
    - Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words", ICLR; Peebles & Xie 2023, "Scalable Diffusion
      Models with Transformers", ICCV (patch embedding).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scoresde._utils import (
    append_dims,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_positive_float,
    check_tensor,
)
from scoresde.nets.embeddings import (
    EMBEDDINGS,
    NetConfig,
    check_embedding_dim,
    check_int_tuple,
    check_times,
    time_embedding,
)

__all__ = ["RESAMPLE", "AttnBlock", "ResBlock", "UNet", "UNetConfig", "num_groups"]

RESAMPLE: tuple[str, ...] = ("resblock", "conv")
SKIP_SCALE = 1 / math.sqrt(2)
_Layer = TypeVar("_Layer", nn.Conv2d, nn.Linear)


@dataclasses.dataclass(frozen=True)
class UNetConfig(NetConfig):
    """The architecture of a ``UNet`` (a frozen dataclass). The defaults are ``UNetConfig.ddpmpp_cifar10()``.

    ``from_dict`` / ``to_dict`` come from ``NetConfig``; change a field of a preset with ``dataclasses.replace``.

    Attributes:
        in_channels: image channels C; the network maps (batch, C, R, R) to the same shape.
        resolution: image side R; divisible by 2^(len(channel_mult) - 1).
        channels: base width; resolution level i has ``channels * channel_mult[i]`` channels.
        channel_mult: one multiplier per resolution level, finest first; each level but the last halves R.
        num_res_blocks: residual blocks per level on the way down (one more on the way up).
        attn_resolutions: the sides (e.g. 16 for 16×16) at which self-attention follows the blocks, counted
            after patching (the levels run at R/p, R/(2p), ...).
        dropout: dropout probability in every residual block, in [0, 1).
        resample: ``"resblock"`` (DDPM++: residual blocks that pool / upsample) or ``"conv"`` (DDPM).
        attn_heads: attention heads; must divide the channel count wherever attention sits.
        skip_rescale: multiply every residual sum by 1/√2 (DDPM++).
        time_embedding: ``"sinusoidal"`` (DDPM++ VP) or ``"fourier"`` (NCSN++ VE).
        time_scale: the sinusoidal embedding sees ``time_scale * t``.
        fourier_scale: std of the Fourier embedding's random frequencies.
        patch_size: p; each p×p patch becomes C·p² channels before the first conv and the output is unfolded
            back (1: no patching). ``resolution`` must be divisible by p·2^(len(channel_mult) - 1).

    Raises:
        TypeError: a field of the wrong type.
        ValueError: a size < 1, ``dropout`` outside [0, 1), an unknown ``resample`` or ``time_embedding``, a
            ``resolution`` not divisible by 2^(len(channel_mult) - 1), an attention resolution the network does not
            have, or ``attn_heads`` not dividing the channels where attention sits.

    References:
        Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
        (arXiv:2011.13456), App. H.
    """

    in_channels: int = 3
    resolution: int = 32
    channels: int = 128
    channel_mult: tuple[int, ...] = (1, 2, 2, 2)
    num_res_blocks: int = 4
    attn_resolutions: tuple[int, ...] = (16,)
    dropout: float = 0.1
    resample: str = "resblock"
    attn_heads: int = 1
    skip_rescale: bool = True
    time_embedding: str = "sinusoidal"
    time_scale: float = 1000.0
    fourier_scale: float = 16.0
    patch_size: int = 1

    @classmethod
    def ddpmpp_cifar10(cls) -> UNetConfig:
        """Song et al. 2021's CIFAR-10 "DDPM++ cont. (VP)" network (61,804,419 parameters).

        128 channels, multipliers (1, 2, 2, 2), 4 blocks per resolution, attention at 16×16, dropout 0.1,
        BigGAN-type resampling, skip rescaling.

        Returns:
            The config.

        References:
            Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
            (arXiv:2011.13456), App. H.
        """
        return cls(in_channels=3, resolution=32, channels=128, channel_mult=(1, 2, 2, 2), num_res_blocks=4,
                   attn_resolutions=(16,), dropout=0.1, resample="resblock", skip_rescale=True)

    @classmethod
    def tiny(cls) -> UNetConfig:
        """A small 32×32 network for a few minutes of CPU training (1,260,547 parameters).

        32 channels, multipliers (1, 2, 2), one block per resolution, attention at 8×8, no dropout. Change a
        field with ``dataclasses.replace``.

        Returns:
            The config.
        """
        return cls(in_channels=3, resolution=32, channels=32, channel_mult=(1, 2, 2), num_res_blocks=1,
                   attn_resolutions=(8,), dropout=0.0)

    @property
    def resolutions(self) -> tuple[int, ...]:
        """The side at each level, finest first: R/p, R/(2p), …, R/(p·2^(len(channel_mult) - 1)) for patch size p."""
        return tuple((self.resolution // self.patch_size) >> i for i in range(len(self.channel_mult)))

    def __post_init__(self) -> None:
        for name in ("in_channels", "resolution", "channels", "num_res_blocks", "attn_heads", "patch_size"):
            check_int(getattr(self, name), name, minimum=1)
        object.__setattr__(self, "channel_mult", check_int_tuple(self.channel_mult, "channel_mult"))
        object.__setattr__(self, "attn_resolutions",
                           check_int_tuple(self.attn_resolutions, "attn_resolutions", allow_empty=True))
        object.__setattr__(self, "dropout", check_float(self.dropout, "dropout", low=0.0, high=1.0, high_open=True))
        check_choice(self.resample, "resample", RESAMPLE)
        check_bool(self.skip_rescale, "skip_rescale")
        check_choice(self.time_embedding, "time_embedding", EMBEDDINGS)
        check_embedding_dim(self.channels, self.time_embedding, "channels")
        for name in ("time_scale", "fourier_scale"):
            object.__setattr__(self, name, check_positive_float(getattr(self, name), name))
        self._check_levels()

    def _check_levels(self) -> None:
        factor = self.patch_size * 2 ** (len(self.channel_mult) - 1)
        if self.resolution % factor:
            raise ValueError(f"resolution must be divisible by patch_size·2^(len(channel_mult) - 1) = {factor} "
                             f"for patch_size={self.patch_size}, channel_mult={self.channel_mult}; "
                             f"got {self.resolution}")
        missing = [r for r in self.attn_resolutions if r not in self.resolutions]
        if missing:
            raise ValueError(f"attn_resolutions must be among the resolutions of the network, {self.resolutions}; "
                             f"got {missing} in {self.attn_resolutions}")
        attn_levels = [i for i, r in enumerate(self.resolutions) if r in self.attn_resolutions]
        for ch in {self.channels * self.channel_mult[i] for i in [*attn_levels, len(self.channel_mult) - 1]}:
            if ch % self.attn_heads:
                raise ValueError(f"attn_heads must divide the channel count {ch} at every attention block; "
                                 f"got {self.attn_heads}")


def num_groups(channels: int) -> int:
    """GroupNorm groups for ``channels``: the largest ``g <= min(32, channels // 4)`` dividing ``channels``, >= 1.

    32 groups for C >= 128 as in DDPM; fewer for small channel counts, so that a group never holds fewer than 4
    channels.

    Args:
        channels: the channel count C >= 1.

    Returns:
        The number of groups g.

    References:
        Wu & He 2018, "Group Normalization", ECCV.
    """
    g = max(1, min(32, channels // 4))
    while channels % g:
        g -= 1
    return g


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(num_groups(channels), channels, eps=1e-6)


def _init(layer: _Layer, zero: bool = False) -> _Layer:
    """DDPM++'s initialisation: Xavier-uniform weights (or zeros), zero biases."""
    if zero:
        nn.init.zeros_(layer.weight)
    else:
        nn.init.xavier_uniform_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def _conv(in_ch: int, out_ch: int, kernel: int = 3, *, stride: int = 1, zero: bool = False) -> nn.Conv2d:
    return _init(nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2), zero)


def _resample(h: Tensor, how: str) -> Tensor:
    """2×2 average pooling ("down"), nearest-neighbour ×2 upsampling ("up") or nothing ("none")."""
    if how == "down":
        return F.avg_pool2d(h, 2)
    if how == "up":
        return F.interpolate(h, scale_factor=2.0, mode="nearest")
    return h


class ResBlock(nn.Module):
    r"""A residual block with the time features added, optionally resampling.

        h   = conv1(resample(SiLU(GN(x))))
        h   = h + W_e SiLU(e(t))
        h   = conv2(dropout(SiLU(GN(h))))            conv2 initialised at zero
        out = (skip(resample(x)) + h) / √2            skip: identity, or a 1×1 conv when the shape changes

    Called as ``block(x, emb)`` with x of shape (batch, in_ch, H, W) and emb of shape (batch, emb_dim).

    Args:
        in_ch: channels in.
        out_ch: channels out.
        emb_dim: size of the time features e(t).
        dropout: dropout probability before the last conv.
        resample: ``"none"``, ``"down"`` (2×2 average pool) or ``"up"`` (nearest ×2), applied to both
            branches (BigGAN-style, Brock et al. 2019).
        skip_rescale: divide the sum by √2.

    Raises:
        ValueError: an unknown ``resample``.

    References:
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS; Zagoruyko & Komodakis 2016,
          "Wide Residual Networks", BMVC.
        - Brock, Donahue & Simonyan 2019, "Large Scale GAN Training for High Fidelity Natural Image Synthesis",
          ICLR (resampling inside the block).
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
          (arXiv:2011.13456), App. H (DDPM++: skip rescaling).
    """

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, *, dropout: float = 0.0, resample: str = "none",
                 skip_rescale: bool = True) -> None:
        super().__init__()
        self.resample = check_choice(resample, "resample", ("none", "down", "up"))
        self.scale = SKIP_SCALE if skip_rescale else 1.0
        self.norm1, self.conv1 = _norm(in_ch), _conv(in_ch, out_ch)
        self.emb_proj = _init(nn.Linear(emb_dim, out_ch))
        self.norm2, self.dropout, self.conv2 = _norm(out_ch), nn.Dropout(dropout), _conv(out_ch, out_ch, zero=True)
        reshape = in_ch != out_ch or resample != "none"
        self.skip: nn.Module = _conv(in_ch, out_ch, 1) if reshape else nn.Identity()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        """The block's output ``(skip(resample(x)) + h) / √2``.

        Args:
            x: features, shape (batch, in_ch, H, W).
            emb: time features e(t), shape (batch, emb_dim).

        Returns:
            Tensor of shape (batch, out_ch, H', W'): H' = H/2 with ``"down"``, 2H with ``"up"``, else H.
        """
        h = self.conv1(_resample(F.silu(self.norm1(x)), self.resample))
        h = h + append_dims(self.emb_proj(F.silu(emb)), h.ndim)
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        out: Tensor = (self.skip(_resample(x, self.resample)) + h) * self.scale
        return out


class AttnBlock(nn.Module):
    r"""Self-attention over the H·W positions (Vaswani et al. 2017; in the U-Net since Ho et al. 2020).

        q, k, v = 1×1 convs of GN(x), split into ``heads``
        h       = softmax(q kᵀ / √d) v,   d = C / heads
        out     = (x + proj(h)) / √2,     proj a 1×1 conv initialised at zero

    Args:
        channels: C, the channels in and out.
        heads: the number of attention heads; must divide ``channels``.
        skip_rescale: divide the sum by √2 (else the plain sum x + proj(h)).

    Raises:
        ValueError: ``heads`` does not divide ``channels``.

    References:
        - Vaswani et al. 2017, "Attention Is All You Need", NeurIPS.
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS.
    """

    def __init__(self, channels: int, heads: int = 1, *, skip_rescale: bool = True) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"heads must divide channels = {channels}; got {heads}")
        self.heads = heads
        self.scale = SKIP_SCALE if skip_rescale else 1.0
        self.norm, self.qkv, self.proj = _norm(channels), _conv(channels, 3 * channels, 1), _conv(channels, channels, 1)
        _init(self.proj, zero=True)

    def forward(self, x: Tensor) -> Tensor:
        """The block's output ``(x + proj(softmax(q kᵀ / √d) v)) / √2``.

        Args:
            x: features, shape (batch, C, H, W).

        Returns:
            Tensor of the shape of x.
        """
        B, C, H, W = x.shape
        qkv = self.qkv(self.norm(x)).reshape(B, 3, self.heads, C // self.heads, H * W)
        q, k, v = qkv.transpose(-1, -2).unbind(1)  # each (B, heads, H·W, d)
        h = F.scaled_dot_product_attention(q, k, v).transpose(-1, -2).reshape(B, C, H, W)
        out: Tensor = (x + self.proj(h)) * self.scale
        return out


class _ConvResample(nn.Module):
    """DDPM's resampling layers: a stride-2 3×3 conv ("down"), or nearest ×2 then a 3×3 conv ("up")."""

    def __init__(self, channels: int, how: str) -> None:
        super().__init__()
        self.how = how
        self.conv = _conv(channels, channels, stride=2 if how == "down" else 1)

    def forward(self, h: Tensor, emb: Tensor) -> Tensor:  # emb unused: the signature of ResBlock
        out: Tensor = self.conv(h if self.how == "down" else _resample(h, "up"))
        return out


class _Stage(nn.Module):
    """One step of the U-Net: a block (residual or resampling), then self-attention if asked for.
    ``takes_skip`` marks the up-path steps that are fed [h, skip]."""

    def __init__(self, block: nn.Module, attn: AttnBlock | None = None, *, takes_skip: bool = False) -> None:
        super().__init__()
        self.block, self.attn, self.takes_skip = block, attn, takes_skip

    def forward(self, h: Tensor, emb: Tensor) -> Tensor:
        h = self.block(h, emb)
        return h if self.attn is None else self.attn(h)


class UNet(nn.Module):
    r"""The DDPM++-style U-Net ``net(x, t)``: x (batch, C, R, R), t (batch,) -> (batch, C, R, R).

        e(t) = Linear(SiLU(Linear(emb(t))))                 emb: sinusoidal or Fourier features of t
        patch: with patch_size p > 1, x -> pixel_unshuffle(x, p) (each p×p patch folded into channels)
        down: residual blocks (+ attention) per resolution, then downsampling; every output kept as a skip
        middle: residual block, self-attention, residual block
        up: residual blocks fed [h, skip] (+ attention) per resolution, then upsampling
        out = conv_out(SiLU(GN(h)))                         conv_out initialised at zero
        (unpatch: pixel_shuffle(out, p) with p > 1)

    Each residual block is ``out = (skip(x) + h) / √2`` with the time features added inside
    (``ResBlock``); self-attention is ``AttnBlock``. At initialisation the output is exactly zero (the last
    conv starts at zero), so an ε-network starts by predicting ε = 0. The config is kept as ``net.config``.

    Args:
        config: the architecture (default ``UNetConfig()``, the DDPM++ CIFAR-10 network).

    Raises:
        TypeError: ``config`` is not a ``UNetConfig`` (``UNetConfig.from_dict`` builds one from a dict).

    References:
        - Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR
          (arXiv:2011.13456), App. H: DDPM++.
        - Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", NeurIPS: the DDPM U-Net.
    """

    def __init__(self, config: UNetConfig | None = None) -> None:
        super().__init__()
        config = UNetConfig.checked(config)
        self.config = c = config
        emb_dim = 4 * c.channels
        self.time_embed = nn.Sequential(
            time_embedding(c.time_embedding, c.channels, time_scale=c.time_scale, fourier_scale=c.fourier_scale),
            _init(nn.Linear(c.channels, emb_dim)), nn.SiLU(), _init(nn.Linear(emb_dim, emb_dim)),
        )
        self.conv_in = _conv(c.in_channels * c.patch_size**2, c.channels)
        down, skip_channels = self._down_path(emb_dim)
        ch = skip_channels[-1]
        self.down = nn.ModuleList(down)
        self.mid = nn.ModuleList([_Stage(self._res(ch, ch, emb_dim), self._attn(ch)), self._stage(ch, ch, emb_dim)])
        self.up = nn.ModuleList(self._up_path(emb_dim, skip_channels))
        self.norm_out = _norm(c.channels)
        self.conv_out = _conv(c.channels, c.in_channels * c.patch_size**2, zero=True)

    def _res(self, in_ch: int, out_ch: int, emb_dim: int, resample: str = "none") -> ResBlock:
        c = self.config
        return ResBlock(in_ch, out_ch, emb_dim, dropout=c.dropout, resample=resample, skip_rescale=c.skip_rescale)

    def _attn(self, ch: int) -> AttnBlock:
        return AttnBlock(ch, self.config.attn_heads, skip_rescale=self.config.skip_rescale)

    def _stage(self, in_ch: int, out_ch: int, emb_dim: int, *, attn: bool = False, skip: bool = False) -> _Stage:
        return _Stage(self._res(in_ch, out_ch, emb_dim), self._attn(out_ch) if attn else None, takes_skip=skip)

    def _resampler(self, ch: int, emb_dim: int, how: str) -> _Stage:
        block = self._res(ch, ch, emb_dim, how) if self.config.resample == "resblock" else _ConvResample(ch, how)
        return _Stage(block)

    def _down_path(self, emb_dim: int) -> tuple[list[_Stage], list[int]]:
        """The down-path stages, and the channels of every output kept for a skip (conv_in's first)."""
        c = self.config
        stages, skip_channels = [], [c.channels]
        ch = c.channels
        for level, (mult, res) in enumerate(zip(c.channel_mult, c.resolutions, strict=True)):
            for _ in range(c.num_res_blocks):
                stages.append(self._stage(ch, c.channels * mult, emb_dim, attn=res in c.attn_resolutions))
                ch = c.channels * mult
                skip_channels.append(ch)
            if level < len(c.channel_mult) - 1:
                stages.append(self._resampler(ch, emb_dim, "down"))
                skip_channels.append(ch)
        return stages, skip_channels

    def _up_path(self, emb_dim: int, skip_channels: list[int]) -> list[_Stage]:
        c = self.config
        skips, stages, ch = list(skip_channels), [], skip_channels[-1]
        for level in reversed(range(len(c.channel_mult))):
            out_ch = c.channels * c.channel_mult[level]
            for i in range(c.num_res_blocks + 1):
                attn = c.resolutions[level] in c.attn_resolutions and i == c.num_res_blocks
                stages.append(self._stage(ch + skips.pop(), out_ch, emb_dim, attn=attn, skip=True))
                ch = out_ch
            if level > 0:
                stages.append(self._resampler(ch, emb_dim, "up"))
        return stages

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        """The prediction at (x, t).

        Args:
            x: images, shape (batch, C, R, R), in the dtype of the network's parameters.
            t: times, shape (batch,), floating point (cast to x's dtype).

        Returns:
            Tensor of the shape of x.

        Raises:
            TypeError: ``x`` or ``t`` is not a floating-point tensor, or ``x`` has another dtype than the network.
            ValueError: ``x`` is not of shape (batch, C, R, R) for this config, or ``t`` not of shape (batch,).
        """
        self._check_inputs(x, t)
        emb = self.time_embed(t.to(x.dtype))
        p = self.config.patch_size
        h = self.conv_in(F.pixel_unshuffle(x, p) if p > 1 else x)
        skips = [h]
        for stage in self.down:
            h = stage(h, emb)
            skips.append(h)
        for stage in self.mid:
            h = stage(h, emb)
        for stage in self.up:
            h = stage(torch.cat([h, skips.pop()], dim=1) if stage.takes_skip else h, emb)
        out: Tensor = self.conv_out(F.silu(self.norm_out(h)))
        return F.pixel_shuffle(out, p) if p > 1 else out

    def _check_inputs(self, x: Tensor, t: Tensor) -> None:
        c = self.config
        check_tensor(x, "x")
        want = (c.in_channels, c.resolution, c.resolution)
        if x.ndim != 4 or tuple(x.shape[1:]) != want:
            raise ValueError(f"x must have shape (batch, in_channels, resolution, resolution) = (batch, "
                             f"{', '.join(map(str, want))}) for this UNetConfig; got {tuple(x.shape)}")
        check_times(t, x.shape[0])
        dtype = self.conv_in.weight.dtype
        if x.dtype != dtype:
            raise TypeError(f"x must have the dtype of the network's parameters, {dtype} (convert the network "
                            f"with .to(dtype), or x); got {x.dtype}")
