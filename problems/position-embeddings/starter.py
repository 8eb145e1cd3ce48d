"""Sinusoidal and rotary position embeddings: fill in both functions. See the statement for the exact layouts."""

import torch


def sinusoidal_embedding(positions, dim, base=10000.0):
    """positions [N] -> float32 [N, dim]: pe[:, 2i] = sin(p * w_i), pe[:, 2i + 1] = cos(p * w_i)."""
    raise NotImplementedError


def rope(x, positions, base=10000.0):
    """x [..., T, D], positions [T] -> rotated x, same shape and dtype."""
    raise NotImplementedError
