"""Alternative: statistics in float64, rounding with torch.round, codes through integer types."""

import torch


def quantize_absmax(w):
    w64 = w.double()
    absmax = w64.abs().max(dim=1).values
    scale = absmax / 127.0
    scale[absmax == 0] = 1.0
    q = (w64 / scale.unsqueeze(1)).round().clamp(-127, 127).to(torch.int8)
    return q, scale.float()


def dequantize_absmax(q, scale):
    return (q.double() * scale.double().unsqueeze(1)).float()


def int8_linear(x, q, scale, bias=None):
    y = torch.matmul(x.float(), q.float().t())
    y = y * scale.float()
    if bias is not None:
        y = y + bias.float()
    return y


def quantize_zero_point(w):
    w64 = w.double()
    lo = w64.min(dim=1).values.clamp(max=0.0)
    hi = w64.max(dim=1).values.clamp(min=0.0)
    span = hi - lo
    scale = torch.where(span > 0, span / 255.0, torch.ones_like(span))
    zero_point = (-lo / scale).round().clamp(0, 255)
    q = ((w64 / scale[:, None]).round() + zero_point[:, None]).clamp(0, 255).to(torch.uint8)
    return q, scale.float(), zero_point.to(torch.uint8)


def dequantize_zero_point(q, scale, zero_point):
    return ((q.to(torch.int16) - zero_point.to(torch.int16)[:, None]).float()) * scale.float()[:, None]
