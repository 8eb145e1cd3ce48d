"""Hidden checks for realnvp-coupling. The nets' weights are chosen here; references are float64."""

import math

import torch
from torch import nn

from judge.harness import expect

D, H = 6, 8
MASKS = [
    torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], dtype=torch.float64),
    torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0, 0.0], dtype=torch.float64),
]


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def weights(seed, d=D, h=H):
    g = gen(seed)
    w = {}
    for prefix in ("s", "t"):
        w[f"{prefix}1"] = 0.5 * torch.randn(h, d, generator=g, dtype=torch.float64)
        w[f"{prefix}1b"] = 0.1 * torch.randn(h, generator=g, dtype=torch.float64)
        w[f"{prefix}2"] = 0.5 * torch.randn(d, h, generator=g, dtype=torch.float64)
        w[f"{prefix}2b"] = 0.1 * torch.randn(d, generator=g, dtype=torch.float64)
    return w


def s_t(w, x_m):
    """The reference s_net and t_net on x_m."""
    s = torch.tanh(torch.tanh(x_m @ w["s1"].T + w["s1b"]) @ w["s2"].T + w["s2b"])
    t = torch.tanh(x_m @ w["t1"].T + w["t1b"]) @ w["t2"].T + w["t2b"]
    return s, t


def reference_forward(mask, w, x):
    x_m = x * mask
    s, t = s_t(w, x_m)
    return x_m + (1 - mask) * (x * torch.exp(s) + t), ((1 - mask) * s).sum(-1)


def reference_inverse(mask, w, y):
    y_m = y * mask
    s, t = s_t(w, y_m)
    return y_m + (1 - mask) * (y - t) * torch.exp(-s)


def inputs(n, seed):
    return 1.5 * torch.randn(n, D, generator=gen(seed), dtype=torch.float64)


def test_forward_value(candidate):
    for k, mask in enumerate(MASKS):
        w, x = weights(10 + k), inputs(7, 20 + k)
        y, _ = candidate.call("forward", mask, w, x)
        expected, _ = reference_forward(mask, w, x)
        expect.close(y, expected, f"y for mask {mask.int().tolist()}", rtol=1e-12, atol=1e-12)
        kept = mask.bool()
        assert torch.equal(y[:, kept], x[:, kept]), f"the masked dims {kept.nonzero().flatten().tolist()} must pass through unchanged"


def test_log_det(candidate):
    for k, mask in enumerate(MASKS):
        w, x = weights(30 + k), inputs(4, 40 + k)
        _, log_det = candidate.call("forward", mask, w, x)
        expect.close(log_det, reference_forward(mask, w, x)[1], f"log_det for mask {mask.int().tolist()}", rtol=1e-9, atol=1e-10)
        for i in range(4):
            jacobian, own = candidate.call("forward_one", mask, w, x[i])
            sign, logabs = torch.linalg.slogdet(jacobian)
            assert float(sign) > 0, "the coupling's Jacobian determinant must be positive (exp(s) > 0)"
            expect.close_scalar(own, float(logabs), f"log_det against log|det dy/dx| by autograd (example {i})", rtol=1e-9, atol=1e-10)


def test_inverse(candidate):
    for k, mask in enumerate(MASKS):
        w, x = weights(50 + k), inputs(7, 60 + k)
        expect.close(candidate.call("round_trip", mask, w, x), x, f"inverse(forward(x)) for mask {mask.int().tolist()}", rtol=1e-10, atol=1e-10)
        y = inputs(7, 70 + k)
        expect.close(candidate.call("inverse", mask, w, y), reference_inverse(mask, w, y), f"inverse(y) for mask {mask.int().tolist()}", rtol=1e-10, atol=1e-10)


def test_flow_log_prob(candidate):
    masks = [MASKS[0], 1 - MASKS[0], MASKS[1], 1 - MASKS[1]]
    ws = [weights(80 + k) for k in range(4)]
    x = inputs(9, 90)
    got = expect.floating(candidate.call("log_prob", masks, ws, x), "flow_log_prob", (9,))
    z, total = x, torch.zeros(9, dtype=torch.float64)
    for mask, w in zip(masks, ws):
        z, log_det = reference_forward(mask, w, z)
        total = total + log_det
    expected = -0.5 * (z**2).sum(-1) - 0.5 * D * math.log(2 * math.pi) + total
    expect.close(got, expected, "log p(x) through 4 couplings", rtol=1e-9, atol=1e-9)
    for i in (0, 5):
        z_i, jacobian = candidate.call("flow_jacobian", masks, ws, x[i])
        by_change_of_variables = -0.5 * float((z_i**2).sum()) - 0.5 * D * math.log(2 * math.pi) + float(torch.linalg.slogdet(jacobian)[1])
        expect.close_scalar(got[i], by_change_of_variables, f"log p(x) against the change of variables with autograd's Jacobian (example {i})", rtol=1e-9, atol=1e-9)
