"""Hidden checks for int8-quantization. References are float64, from the statement's formulas."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def weights(rows, cols, seed):
    """Rows of very different magnitudes, each with one outlier, in float32."""
    g = gen(seed)
    magnitudes = torch.logspace(-3, 3, rows, dtype=torch.float64)[:, None]
    w = torch.randn(rows, cols, generator=g, dtype=torch.float64) * magnitudes
    outliers = torch.randint(0, cols, (rows,), generator=g)
    w[torch.arange(rows), outliers] *= 6.0
    return w.to(torch.float32)


def reference_absmax(w):
    w = w.double()
    absmax = w.abs().amax(dim=1)
    scale = torch.where(absmax > 0, absmax / 127, torch.ones_like(absmax))
    return torch.clamp(torch.round(w / scale[:, None]), -127, 127), scale


def reference_zero_point(w):
    w = w.double()
    lo, hi = torch.clamp(w.amin(dim=1), max=0), torch.clamp(w.amax(dim=1), min=0)
    scale = torch.where(hi > lo, (hi - lo) / 255, torch.ones_like(hi))
    zp = torch.clamp(torch.round(-lo / scale), 0, 255)
    return torch.clamp(torch.round(w / scale[:, None]) + zp[:, None], 0, 255), scale, zp


def assert_codes(got, expected, ratio, what):
    """Codes equal, except a few off by one where w / scale sits within 1e-4 of a half (float32 vs float64)."""
    diff = (got.double() - expected).abs()
    near_half = ((ratio - ratio.floor()) - 0.5).abs() < 1e-4
    wrong = diff > 0
    assert not bool((diff > 1).any()), f"{what}: codes differ from the reference by up to {int(diff.max())}"
    assert not bool((wrong & ~near_half).any()), f"{what}: {int((wrong & ~near_half).sum())} codes differ from round(w / scale)"
    assert int(wrong.sum()) <= max(1, wrong.numel() // 1000), f"{what}: {int(wrong.sum())} codes off by one"


def test_absmax_codes(candidate):
    for (rows, cols), seed in (((12, 64), 1), ((7, 257), 2)):
        w = weights(rows, cols, seed)
        got = candidate.call("absmax", w)
        q, scale = reference_absmax(w)
        q_got = expect.tensor(got["q"], "codes", (rows, cols), dtype=torch.int8)
        expect.close(got["scale"], scale, f"scales of [{rows}, {cols}] weights", rtol=1e-6, atol=0)
        assert_codes(q_got, q, w.double() / scale[:, None], f"absmax codes of [{rows}, {cols}] weights")
        assert int(q_got.min()) >= -127, "the code -128 is used: clamp to [-127, 127]"


def test_error_bound(candidate):
    w = weights(10, 100, 3)
    got = candidate.call("absmax", w)
    _, scale = reference_absmax(w)
    error = (got["w_hat"].double() - w.double()).abs()
    bound = scale[:, None] / 2 * (1 + 1e-5)
    worst = float((error / bound).max())
    assert worst <= 1.0, f"a dequantized weight is {worst:.3f} x (scale / 2) away from the original"


def test_zero_rows(candidate):
    w = weights(5, 20, 4)
    w[2] = 0.0
    got = candidate.call("absmax", w)
    assert torch.equal(got["q"][2], torch.zeros(20, dtype=torch.int8)), "a row of zeros must quantize to zeros"
    assert float(got["scale"][2]) == 1.0, f"a row of zeros must have scale 1.0, got {float(got['scale'][2])}"
    expect.finite(got["w_hat"].double(), "dequantized weights with a row of zeros")
    q, scale = reference_absmax(w)
    for r in (0, 1, 3, 4):
        expect.close(got["scale"][r : r + 1], scale[r : r + 1], f"scale of row {r} beside a row of zeros", rtol=1e-6, atol=0)
    got = candidate.call("zero_point", w)
    assert float(got["scale"][2]) == 1.0 and int(got["zero_point"][2]) == 0, "a row of zeros: scale 1.0, zero point 0"


def test_int8_linear(candidate):
    g = gen(5)
    w = 0.2 * torch.randn(16, 32, generator=g)
    x = torch.randn(3, 5, 32, generator=g)
    for bias in (None, 0.5 * torch.randn(16, generator=g)):
        got = candidate.call("linear", x, w, bias)
        y = expect.tensor(got["y"], "int8_linear", (3, 5, 16), dtype=torch.float32)
        w_hat = got["q"].double() * got["scale"].double()[:, None]
        expected = x.double() @ w_hat.T + (0 if bias is None else bias.double())
        expect.close(y, expected, "int8_linear" + (" with a bias" if bias is not None else ""), rtol=1e-5, atol=1e-5)


def test_zero_point(candidate):
    w = weights(9, 48, 6)
    w[0] = w[0].abs() + 0.1  # all positive
    w[1] = -w[1].abs() - 0.1  # all negative
    got = candidate.call("zero_point", w)
    q, scale, zp = reference_zero_point(w)
    q_got = expect.tensor(got["q"], "zero-point codes", (9, 48), dtype=torch.uint8)
    expect.close(got["scale"], scale, "zero-point scales", rtol=1e-6, atol=0)
    zp_got = expect.tensor(got["zero_point"], "zero points", (9,), dtype=torch.uint8)
    assert int((zp_got.double() - zp).abs().max()) <= 1, "zero points differ from round(-min / scale) by more than 1"
    assert_codes(q_got.double() - zp_got.double()[:, None], q - zp[:, None], w.double() / scale[:, None], "zero-point codes")
    error = (got["w_hat"].double() - w.double()).abs()
    worst = float((error / (scale[:, None] / 2 * (1 + 1e-5))).max())
    assert worst <= 1.0, f"a weight dequantized from zero-point codes is {worst:.3f} x (scale / 2) away from the original"
