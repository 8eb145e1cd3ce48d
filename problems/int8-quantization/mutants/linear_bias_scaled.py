"""Mutant: int8_linear adds the bias before scaling, so the bias is scaled too."""

import torch


def quantize_absmax(w):
    """Symmetric int8 codes and one scale per row."""
    absmax = w.abs().amax(dim=1)
    scale = torch.where(absmax > 0, absmax / 127, torch.ones_like(absmax)).to(torch.float32)
    q = torch.clamp(torch.round(w / scale[:, None]), -127, 127).to(torch.int8)
    return q, scale


def dequantize_absmax(q, scale):
    """The weights the codes stand for."""
    return q.to(torch.float32) * scale[:, None]


def int8_linear(x, q, scale, bias=None):
    """x @ dequantized(q).T + bias, from the codes."""
    out = x.to(torch.float32) @ q.to(torch.float32).T
    return (out if bias is None else out + bias) * scale


def quantize_zero_point(w):
    """Asymmetric uint8 codes, one scale and one zero point per row."""
    lo = torch.clamp(w.amin(dim=1), max=0)
    hi = torch.clamp(w.amax(dim=1), min=0)
    scale = torch.where(hi > lo, (hi - lo) / 255, torch.ones_like(hi)).to(torch.float32)
    zero_point = torch.clamp(torch.round(-lo / scale), 0, 255)
    q = torch.clamp(torch.round(w / scale[:, None]) + zero_point[:, None], 0, 255).to(torch.uint8)
    return q, scale, zero_point.to(torch.uint8)


def dequantize_zero_point(q, scale, zero_point):
    """The weights the codes stand for."""
    return (q.to(torch.float32) - zero_point.to(torch.float32)[:, None]) * scale[:, None]
