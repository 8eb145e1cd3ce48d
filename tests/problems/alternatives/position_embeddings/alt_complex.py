"""Alternative: RoPE as complex multiplication (view_as_complex / polar); sinusoids written into strided slices."""

import math

import torch


def sinusoidal_embedding(positions, dim, base=10000.0):
    """Fill the even columns with sines and the odd ones with cosines."""
    inv = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(base) / dim))
    angles = positions.double().unsqueeze(1) * inv
    pe = torch.empty(len(positions), dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles)
    return pe.float()


def rope(x, positions, base=10000.0):
    """Adjacent pairs as complex numbers, multiplied by exp(1j * angle)."""
    dim = x.shape[-1]
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    angles = torch.outer(positions.double(), inv)
    phase = torch.polar(torch.ones_like(angles), angles)  # complex128 [T, D / 2]
    pairs = torch.view_as_complex(x.double().reshape(*x.shape[:-1], dim // 2, 2).contiguous())
    out = torch.view_as_real(pairs * phase).reshape(x.shape)
    return out.to(x.dtype)
