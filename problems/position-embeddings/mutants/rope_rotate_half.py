"""Mutant: rope pairs x[i] with x[i + D/2] (the rotate-half convention) instead of adjacent pairs."""

import torch


def _frequencies(dim, base):
    """w_i = base ** (-2i / dim) for i = 0 .. dim / 2 - 1, in float64."""
    return base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)


def sinusoidal_embedding(positions, dim, base=10000.0):
    """positions [N] (integer or floating) -> float32 [N, dim], interleaved as in Vaswani et al.

    pe[n, 2i] = sin(positions[n] * w_i), pe[n, 2i + 1] = cos(positions[n] * w_i). Angles are formed in
    float64 so that large positions keep their accuracy, then the result is cast to float32.
    """
    if dim % 2:
        raise ValueError("dim must be even")
    angles = positions.to(torch.float64)[:, None] * _frequencies(dim, base)[None, :]
    pe = torch.stack((torch.sin(angles), torch.cos(angles)), dim=-1)  # [N, dim / 2, 2]
    return pe.reshape(positions.shape[0], dim).to(torch.float32)


def rope(x, positions, base=10000.0):
    """Rotary position embedding of x [..., T, D] at positions [T]; same shape and dtype as x.

    Pairs (x[..., 2i], x[..., 2i + 1]) are rotated counter-clockwise by the angle positions[t] * w_i,
    w_i = base ** (-2i / D): y_2i = x_2i cos - x_2i+1 sin, y_2i+1 = x_2i sin + x_2i+1 cos.
    """
    dim = x.shape[-1]
    if dim % 2:
        raise ValueError("the last dimension must be even")
    angles = positions.to(torch.float64)[:, None] * _frequencies(dim, base)[None, :]  # [T, D / 2]
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    even, odd = x[..., : dim // 2], x[..., dim // 2 :]
    return torch.cat((even * cos - odd * sin, even * sin + odd * cos), dim=-1)
