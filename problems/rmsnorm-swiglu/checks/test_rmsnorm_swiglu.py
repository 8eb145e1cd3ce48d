"""Hidden checks for rmsnorm-swiglu. Weights are chosen here; references are float64."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_rmsnorm(x, weight, eps=1e-6):
    """x / sqrt(mean(x^2) + eps) * weight over the last dim, in float64."""
    x = x.double()
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight.double()


def reference_swiglu(gate, up, down, x):
    """down(silu(gate x) * up x), in float64."""
    x, gate, up, down = x.double(), gate.double(), up.double(), down.double()
    return torch.nn.functional.silu(x @ gate.T) * (x @ up.T) @ down.T


def reference_hidden_dim(dim, multiple_of, multiplier):
    """LLaMA's rule, rounded up."""
    hidden = int(2 * (4 * dim) / 3)
    if multiplier is not None:
        hidden = int(multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def inputs(shape, seed, scale=1.0, offset=0.5, dtype=torch.float64):
    """Random inputs with a non-zero mean per row, so centring would show."""
    g = gen(seed)
    return (scale * (torch.randn(*shape, generator=g, dtype=torch.float64) + offset)).to(dtype)


def weights(dim, seed):
    """A weight around 1, different per feature."""
    return 1.0 + 0.5 * torch.randn(dim, generator=gen(seed), dtype=torch.float64)


def test_rmsnorm_value(candidate):
    x, weight = inputs((4, 6, 32), 3), weights(32, 4)
    out = expect.tensor(candidate.call("rmsnorm", x, weight, None), "RMSNorm(float64 x)", (4, 6, 32), dtype=torch.float64)
    expect.close(out, reference_rmsnorm(x, weight), "RMSNorm of float64 inputs [4, 6, 32]", rtol=1e-6, atol=1e-8)
    x, weight = inputs((3, 64), 5, dtype=torch.float32), weights(64, 6).float()
    out = expect.tensor(candidate.call("rmsnorm", x, weight, None), "RMSNorm(float32 x)", (3, 64), dtype=torch.float32)
    expect.close(out, reference_rmsnorm(x, weight), "RMSNorm of float32 inputs [3, 64]", rtol=1e-5, atol=1e-6)


def test_rmsnorm_eps(candidate):
    # Mean square ~ 1e-6, the default eps: where eps sits decides the result.
    x, weight = inputs((5, 32), 7, scale=1e-3, offset=0.0), weights(32, 8)
    out = candidate.call("rmsnorm", x, weight, None)
    expect.close(out, reference_rmsnorm(x, weight, 1e-6), "RMSNorm of inputs of scale 1e-3, default eps 1e-6", rtol=1e-4, atol=1e-7)
    x, weight = inputs((4, 16), 9, scale=0.2, offset=0.0), weights(16, 10)
    out = candidate.call("rmsnorm", x, weight, 0.05)
    expect.close(out, reference_rmsnorm(x, weight, 0.05), "RMSNorm(dim, eps=0.05) of inputs of scale 0.2", rtol=1e-4, atol=1e-7)


def test_rmsnorm_half_precision(candidate):
    for dtype, scale, rtol, atol in ((torch.float16, 300.0, 2e-3, 1e-3), (torch.bfloat16, 3.0, 2e-2, 1e-2)):
        x = inputs((4, 64), 11, scale=scale, dtype=dtype)
        weight = weights(64, 12).to(dtype)
        out = expect.tensor(candidate.call("rmsnorm", x, weight, None), f"RMSNorm({dtype} x)", (4, 64), dtype=dtype)
        expect.finite(out, f"RMSNorm of {dtype} inputs of scale {scale:g}")
        expected = reference_rmsnorm(x.float(), torch.ones(64)).to(dtype).double() * weight.double()
        expect.close(out, expected, f"RMSNorm of {dtype} inputs of scale {scale:g}", rtol=rtol, atol=atol)


def test_rmsnorm_gradients(candidate):
    x, weight = inputs((3, 5, 12), 13), weights(12, 14)
    w = torch.randn(3, 5, 12, generator=gen(15), dtype=torch.float64)
    value, g_x, g_weight = candidate.call("rmsnorm_gradients", x, weight, w)
    assert g_x is not None, "no gradient reached x"
    assert g_weight is not None, "no gradient reached RMSNorm.weight"
    xr = x.clone().requires_grad_(True)
    wr = weight.clone().requires_grad_(True)
    (reference_rmsnorm(xr, wr) * w).sum().backward()
    expect.close(value, reference_rmsnorm(x, weight), "RMSNorm", rtol=1e-4, atol=1e-5)
    expect.close(g_x, xr.grad, "d/dx of sum(w * RMSNorm(x))", rtol=1e-4, atol=1e-5)
    expect.close(g_weight, wr.grad, "d/dweight of sum(w * RMSNorm(x))", rtol=1e-4, atol=1e-5)


def swiglu_weights(dim, hidden, seed, dtype=torch.float64):
    """Three distinct weight matrices, so swapping gate and up shows."""
    g = gen(seed)
    gate = torch.randn(hidden, dim, generator=g, dtype=torch.float64) * dim**-0.5
    up = torch.randn(hidden, dim, generator=g, dtype=torch.float64) * dim**-0.5 + 0.1
    down = torch.randn(dim, hidden, generator=g, dtype=torch.float64) * hidden**-0.5
    return gate.to(dtype), up.to(dtype), down.to(dtype)


def test_swiglu_value(candidate):
    gate, up, down = swiglu_weights(16, 24, 20)
    x = inputs((2, 5, 16), 21, scale=1.5)
    out = candidate.call("swiglu", gate, up, down, x)
    expect.close(out, reference_swiglu(gate, up, down, x), "SwiGLU of float64 inputs [2, 5, 16]", rtol=1e-9, atol=1e-12)
    gate, up, down = swiglu_weights(8, 40, 22, dtype=torch.float32)
    x = inputs((6, 8), 23, scale=1.5, dtype=torch.float32)
    out = candidate.call("swiglu", gate, up, down, x)
    expect.close(out, reference_swiglu(gate, up, down, x), "SwiGLU of float32 inputs [6, 8]", rtol=1e-4, atol=1e-5)


def test_swiglu_gradients(candidate):
    gate, up, down = swiglu_weights(10, 14, 30)
    x = inputs((4, 10), 31, scale=1.5)
    w = torch.randn(4, 10, generator=gen(32), dtype=torch.float64)
    value, g_x, g_gate, g_up, g_down = candidate.call("swiglu_gradients", gate, up, down, x, w)
    leaves = [t.clone().requires_grad_(True) for t in (gate, up, down, x)]
    (reference_swiglu(*leaves) * w).sum().backward()
    expect.close(value, reference_swiglu(gate, up, down, x), "SwiGLU", rtol=1e-9, atol=1e-12)
    for got, leaf, name in ((g_x, leaves[3], "x"), (g_gate, leaves[0], "gate.weight"), (g_up, leaves[1], "up.weight"), (g_down, leaves[2], "down.weight")):
        assert got is not None, f"no gradient reached {name}"
        expect.close(got, leaf.grad, f"d/d{name} of sum(w * SwiGLU(x))", rtol=1e-8, atol=1e-10)


def test_hidden_dim(candidate):
    cases = [
        (dim, multiple_of, multiplier)
        for dim in (256, 1000, 4096, 5120)
        for multiple_of in (1, 64, 256, 1024)
        for multiplier in (None, 1.3, 0.5)
    ]
    got = candidate.call("hidden_dims", cases)
    assert isinstance(got, list) and len(got) == len(cases), "swiglu_hidden_dim must return one int per call"
    for (dim, multiple_of, multiplier), value in zip(cases, got):
        expected = reference_hidden_dim(dim, multiple_of, multiplier)
        assert isinstance(value, int) and not isinstance(value, bool), f"swiglu_hidden_dim({dim}, {multiple_of}, {multiplier}) must be an int, got {type(value).__name__}"
        assert value == expected, f"swiglu_hidden_dim({dim}, multiple_of={multiple_of}, ffn_dim_multiplier={multiplier}) is {value}, expected {expected}"
