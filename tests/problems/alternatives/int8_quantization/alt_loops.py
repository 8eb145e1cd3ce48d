"""Alternative: row by row, as a reader would write it first."""

import torch


def quantize_absmax(w):
    rows = []
    scales = []
    for row in w:
        m = float(row.abs().max())
        s = m / 127 if m > 0 else 1.0
        scales.append(s)
        rows.append(torch.clamp(torch.round(row / s), -127, 127))
    return torch.stack(rows).to(torch.int8), torch.tensor(scales, dtype=torch.float32)


def dequantize_absmax(q, scale):
    return torch.stack([q[r].float() * scale[r] for r in range(q.shape[0])])


def int8_linear(x, q, scale, bias=None):
    acc = torch.einsum("...i,oi->...o", x.float(), q.float())
    out = acc * scale
    return out + bias if bias is not None else out


def quantize_zero_point(w):
    codes, scales, points = [], [], []
    for row in w:
        lo, hi = min(float(row.min()), 0.0), max(float(row.max()), 0.0)
        s = (hi - lo) / 255 if hi > lo else 1.0
        z = min(max(round(-lo / s), 0), 255)
        codes.append(torch.clamp(torch.round(row / s) + z, 0, 255))
        scales.append(s)
        points.append(z)
    return (
        torch.stack(codes).to(torch.uint8),
        torch.tensor(scales, dtype=torch.float32),
        torch.tensor(points, dtype=torch.uint8),
    )


def dequantize_zero_point(q, scale, zero_point):
    return (q.float() - zero_point.float().unsqueeze(1)) * scale.unsqueeze(1)
