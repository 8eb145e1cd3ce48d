"""Hidden checks for layernorm-backward. References come from autograd on the forward formula, in float64."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference(x, weight, bias, eps):
    """The forward formula, differentiable by autograd."""
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def inputs(shape, seed, dtype=torch.float64):
    """x with large per-row means and scales; weight around 1; bias around 0."""
    g = gen(seed)
    d = shape[-1]
    x = torch.randn(*shape, generator=g, dtype=torch.float64) * 3.0 + 5.0 * torch.randn(*shape[:-1], 1, generator=g, dtype=torch.float64)
    weight = 1.0 + 0.5 * torch.randn(d, generator=g, dtype=torch.float64)
    bias = 0.3 * torch.randn(d, generator=g, dtype=torch.float64)
    return x.to(dtype), weight.to(dtype), bias.to(dtype)


def reference_gradients(x, weight, bias, eps, grad_out):
    leaves = [t.clone().requires_grad_(True) for t in (x, weight, bias)]
    reference(*leaves, eps).backward(grad_out)
    return [leaf.grad for leaf in leaves]


def test_forward(candidate):
    for shape, seed, eps in (((5, 32), 1, 1e-5), ((2, 7, 64), 2, 1e-5), ((5, 32), 3, 0.1)):
        x, weight, bias = inputs(shape, seed)
        out = expect.tensor(candidate.call("forward", x, weight, bias, eps), f"layer_norm of {list(shape)}", shape, dtype=torch.float64)
        expect.close(out, reference(x, weight, bias, eps), f"layer_norm of float64 {list(shape)}, eps {eps}", rtol=1e-9, atol=1e-11)
    x, weight, bias = inputs((3, 48), 4, dtype=torch.float32)
    out = expect.tensor(candidate.call("forward", x, weight, bias, 1e-5), "layer_norm of float32 [3, 48]", (3, 48), dtype=torch.float32)
    expect.close(out, reference(x.double(), weight.double(), bias.double(), 1e-5), "layer_norm of float32 [3, 48]", rtol=1e-4, atol=1e-5)


CASES = (((6, 16), 10, 1e-5), ((2, 5, 32), 11, 1e-5), ((4, 8), 12, 0.5))


def run_case(candidate, shape, seed, eps):
    x, weight, bias = inputs(shape, seed)
    grad_out = torch.randn(*shape, generator=gen(seed + 100), dtype=torch.float64)
    got = candidate.call("gradients", x, weight, bias, eps, grad_out)
    return got, reference_gradients(x, weight, bias, eps, grad_out)


def test_grad_input(candidate):
    for shape, seed, eps in CASES:
        (y, g_x, _, _), (r_x, _, _) = run_case(candidate, shape, seed, eps)
        assert g_x is not None, "no gradient reached x"
        expect.close(g_x, r_x, f"d/dx for {list(shape)}, eps {eps}", rtol=1e-7, atol=1e-9)


def test_grad_weight_bias(candidate):
    for shape, seed, eps in CASES:
        (y, _, g_w, g_b), (_, r_w, r_b) = run_case(candidate, shape, seed, eps)
        assert g_w is not None and g_b is not None, "no gradient reached weight or bias"
        expect.close(g_w, r_w, f"d/dweight for {list(shape)}", rtol=1e-8, atol=1e-10)
        expect.close(g_b, r_b, f"d/dbias for {list(shape)}", rtol=1e-8, atol=1e-10)


def test_gradcheck(candidate):
    x, weight, bias = inputs((3, 4, 6), 20)
    result = candidate.call("gradcheck", x, weight, bias)
    assert result is True, f"torch.autograd.gradcheck failed: {result}"


def test_hand_written(candidate):
    x, weight, bias = inputs((4, 24), 30)
    grad_out = torch.randn(4, 24, generator=gen(31), dtype=torch.float64)
    got = candidate.call("backward_without_autograd", x, weight, bias, grad_out)
    assert not isinstance(got, str), f"backward ran autograd instead of computing the gradients: {got}"
    for g, r, name in zip(got, reference_gradients(x, weight, bias, 1e-5, grad_out), ("x", "weight", "bias")):
        assert g is not None, f"no gradient reached {name}"
        expect.close(g, r, f"d/d{name} with autograd unavailable inside backward", rtol=1e-7, atol=1e-9)
