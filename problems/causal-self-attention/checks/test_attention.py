"""Hidden checks for causal-self-attention. References are computed here, in float64, from the weights
the submission's module used; never in the candidate's process."""

import math

import torch

from judge.harness import expect

PARAMETERS = ("q_proj", "k_proj", "v_proj", "out_proj")
TOL = {"rtol": 1e-4, "atol": 1e-5}


def gen(seed):
    """A CPU generator for the check's own inputs."""
    return torch.Generator().manual_seed(seed)


def inputs(batch, length, d_model, seed, scale=2.0):
    """float32 x [B, T, d_model]; scaled so that the attention weights are far from uniform."""
    return torch.randn(batch, length, d_model, generator=gen(seed)) * scale


def assert_no_fused(result):
    """The probe's record of forbidden calls is empty."""
    names = result["forbidden"]
    assert not names, "the submission used fused attention, which the statement forbids: " + ", ".join(names)[:200]


def weights(result, d_model):
    """The four projections' float64 weights [d, d] and biases [d] (zeros for a missing bias)."""
    params = {}
    for name in PARAMETERS:
        w = expect.floating(result["parameters"][f"{name}.weight"], f"{name}.weight", (d_model, d_model))
        b = result["parameters"][f"{name}.bias"]
        b = torch.zeros(d_model, dtype=torch.float64) if b is None else expect.floating(b, f"{name}.bias", (d_model,))
        params[name] = (w, b)
    return params


def reference(x, params, n_heads, key_padding_mask=None):
    """Causal multi-head attention in float64, as the statement defines it."""
    x = x.double()
    batch, length, d_model = x.shape
    d_head = d_model // n_heads

    def project(name, h):
        w, b = params[name]
        return h @ w.T + b

    def heads(h):
        return h.view(batch, length, n_heads, d_head).transpose(1, 2)

    q, k, v = heads(project("q_proj", x)), heads(project("k_proj", x)), heads(project("v_proj", x))
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_head)
    blocked = torch.ones(length, length, dtype=torch.bool).triu(1).expand(batch, 1, length, length)
    if key_padding_mask is not None:
        blocked = blocked | key_padding_mask[:, None, None, :]
    attention = torch.softmax(scores.masked_fill(blocked, float("-inf")), dim=-1)
    merged = (attention @ v).transpose(1, 2).reshape(batch, length, d_model)
    return project("out_proj", merged)


def run(candidate, d_model, n_heads, cases):
    """Outputs (float64) for each (x, mask) case from one model, its weights; fused attention refused."""
    result = candidate.call("forward", d_model, n_heads, cases)
    assert_no_fused(result)
    outputs = result["outputs"]
    assert isinstance(outputs, list) and len(outputs) == len(cases), "one output per forward call"
    outs = [expect.floating(out, "forward(x)", tuple(x.shape)) for out, (x, _) in zip(outputs, cases)]
    return outs, weights(result, d_model)


def test_matches_reference(candidate):
    """The output equals a float64 reference computed from the module's own four projections."""
    for batch, length, d_model, n_heads, seed in ((2, 7, 16, 4, 1), (3, 9, 12, 1, 2), (2, 6, 16, 8, 3), (1, 1, 8, 2, 4)):
        x = inputs(batch, length, d_model, seed)
        (out,), params = run(candidate, d_model, n_heads, [(x, None)])
        expect.close(out, reference(x, params, n_heads), f"forward(x) for B={batch}, T={length}, d_model={d_model}, n_heads={n_heads}", **TOL)


def test_causal(candidate):
    """Changing x after position t leaves outputs up to t unchanged; changing x at t changes the output at t."""
    x = inputs(2, 8, 16, seed=5)
    later = x.clone()
    later[:, 5:] = torch.randn(2, 3, 16, generator=gen(6)) * 2
    current = x.clone()
    current[:, 4] += 1.0
    (base, after_later, after_current), _ = run(candidate, 16, 4, [(x, None), (later, None), (current, None)])
    expect.close(after_later[:, :5], base[:, :5], "outputs at positions 0..4 after changing x at 5..7", rtol=0, atol=1e-6)
    expect.close(after_current[:, :4], base[:, :4], "outputs at positions 0..3 after changing x at 4", rtol=0, atol=1e-6)
    assert float((after_current[:, 4] - base[:, 4]).abs().max()) > 1e-4, "the output at position t does not depend on x at t"


def test_padding_mask(candidate):
    """key_padding_mask: padded keys are ignored; real positions match the reference; None = no padding."""
    x = inputs(3, 7, 16, seed=7)
    mask = torch.zeros(3, 7, dtype=torch.bool)
    mask[0, 5:] = True  # right padding
    mask[1, :2] = True  # left padding
    mask[2, 3] = True  # a hole in the middle
    changed = x.clone()
    changed[mask] = torch.randn(int(mask.sum()), 16, generator=gen(8)) * 5
    no_padding = torch.zeros(3, 7, dtype=torch.bool)
    (masked, masked_changed, plain, all_false), params = run(candidate, 16, 4, [(x, mask), (changed, mask), (x, None), (x, no_padding)])
    real = ~mask
    expect.close(masked[real], reference(x, params, 4, mask)[real], "forward(x, key_padding_mask) at real positions", **TOL)
    expect.close(masked_changed[real], masked[real], "outputs at real positions after changing x at padded positions", rtol=0, atol=1e-6)
    expect.close(all_false, plain, "forward(x, all-False key_padding_mask) vs forward(x)", rtol=0, atol=1e-6)


def test_gradients(candidate):
    """Gradients of sum(w * forward(x)) for x and the projections equal a float64 autograd reference."""
    x = inputs(2, 6, 12, seed=9)
    weight = torch.randn(2, 6, 12, generator=gen(10))
    result = candidate.call("gradients", 12, 3, x, weight)
    assert_no_fused(result)
    params = weights(result, 12)
    leaves = {name: (w.clone().requires_grad_(True), b.clone().requires_grad_(True)) for name, (w, b) in params.items()}
    x64 = x.double().requires_grad_(True)
    out = reference(x64, leaves, 3)
    expect.close(result["output"], out.detach(), "forward(x) in train mode", **TOL)
    (out * weight.double()).sum().backward()
    assert result["x_grad"] is not None, "no gradient reached x"
    expect.close(result["x_grad"], x64.grad, "d loss / d x", **TOL)
    for name, (w, b) in leaves.items():
        grad_w = result["grads"][f"{name}.weight"]
        assert grad_w is not None, f"no gradient reached {name}.weight"
        expect.close(grad_w, w.grad, f"d loss / d {name}.weight", **TOL)
        if result["parameters"][f"{name}.bias"] is not None:
            grad_b = result["grads"][f"{name}.bias"]
            assert grad_b is not None, f"no gradient reached {name}.bias"
            expect.close(grad_b, b.grad, f"d loss / d {name}.bias", **TOL)


def test_no_fused_attention(candidate):
    """Building the module and running forward and backward, with and without a mask, calls no fused attention."""
    x = inputs(2, 5, 16, seed=11)
    mask = torch.zeros(2, 5, dtype=torch.bool)
    mask[0, 3:] = True
    for n_heads in (1, 4):
        result = candidate.call("forward", 16, n_heads, [(x, None), (x, mask)])
        assert_no_fused(result)
        for out in result["outputs"]:
            expect.floating(out, "forward(x)", (2, 5, 16))
    result = candidate.call("gradients", 16, 4, x, torch.ones(2, 5, 16))
    assert_no_fused(result)
