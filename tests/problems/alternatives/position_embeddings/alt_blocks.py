"""Alternative: RoPE with duplicated cos/sin tables and a pairwise swap; sinusoids by stacking and flattening."""

import torch


def sinusoidal_embedding(positions, dim, base=10000.0):
    """[sin, cos] stacked on a new last axis, flattened: sin at 2i, cos at 2i + 1."""
    exponents = torch.arange(dim // 2, dtype=torch.float64) * 2 / dim
    angles = positions.to(torch.float64).reshape(-1, 1) / torch.pow(torch.tensor(base, dtype=torch.float64), exponents)
    return torch.stack([angles.sin(), angles.cos()], dim=2).flatten(1).to(torch.float32)


def _swap_pairs(x):
    """(x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...): the 90-degree turn of each adjacent pair."""
    pairs = x.unflatten(-1, (-1, 2))
    return torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)


def rope(x, positions, base=10000.0):
    """x * cos + swap(x) * sin, with each angle repeated for both members of its pair."""
    dim = x.shape[-1]
    freqs = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    angles = (positions.to(torch.float64)[:, None] * freqs).repeat_interleave(2, dim=-1)  # [T, D]
    return x * angles.cos().to(x.dtype) + _swap_pairs(x) * angles.sin().to(x.dtype)
