"""Hidden checks for lora-merge. Base layers and adapters are the check's; references are float64."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def setup(seed, out=6, inp=10):
    g = gen(seed)
    weight, bias = torch.randn(out, inp, generator=g, dtype=torch.float64) * 0.5, torch.randn(out, generator=g, dtype=torch.float64)
    adapters = [
        ["style", 4, 16.0, torch.randn(4, inp, generator=g, dtype=torch.float64) * 0.3, torch.randn(out, 4, generator=g, dtype=torch.float64) * 0.3],
        ["math", 2, 1.0, torch.randn(2, inp, generator=g, dtype=torch.float64) * 0.3, torch.randn(out, 2, generator=g, dtype=torch.float64) * 0.3],
    ]
    x = torch.randn(3, 4, inp, generator=g, dtype=torch.float64)
    return weight, bias, adapters, x


def delta(adapter):
    _, rank, alpha, a, b = adapter
    return alpha / rank * b @ a


def test_active_adapter(candidate):
    weight, bias, adapters, x = setup(1)
    got = candidate.call("outputs", weight, bias, adapters, ["style", "math", None, "style"], x)
    base = x @ weight.T + bias
    expected = [x @ (weight + delta(adapters[0])).T + bias, x @ (weight + delta(adapters[1])).T + bias, base, x @ (weight + delta(adapters[0])).T + bias]
    for out, exp, name in zip(got, expected, ("style", "math", "no adapter", "style again")):
        expect.close(out, exp, f"output with {name} active", rtol=1e-12, atol=1e-12)


def test_merge_unmerge(candidate):
    weight, bias, adapters, x = setup(2)
    got = candidate.call("merging", weight, bias, adapters, x)
    with_style = x @ (weight + delta(adapters[0])).T + bias
    expect.close(got["unmerged"], with_style, "output before merging", rtol=1e-12, atol=1e-12)
    expect.close(got["merged"], with_style, "output after merge()", rtol=1e-12, atol=1e-12)
    expect.close(got["merged_twice"], with_style, "output after merge() twice (the second must do nothing)", rtol=1e-12, atol=1e-12)
    expect.close(got["merged_twice_weight"], weight + delta(adapters[0]), "base weight after merge() twice", rtol=1e-12, atol=1e-12)
    expect.close(got["restored_weight"], weight, "base weight after unmerge()", rtol=1e-12, atol=1e-12)
    expect.close(got["unmerged_twice_weight"], weight, "base weight after unmerge() twice", rtol=1e-12, atol=1e-12)
    expect.close(got["switched"], x @ (weight + delta(adapters[1])).T + bias, "output after switching adapters while merged", rtol=1e-12, atol=1e-12)
    expect.close(got["switched_weight"], weight, "base weight after switching while merged (unmerged first)", rtol=1e-12, atol=1e-12)


def test_frozen_base(candidate):
    weight, bias, adapters, x = setup(3)
    got = candidate.call("gradients", weight, bias, adapters, x)
    assert got["base_requires_grad"] == [False, False], "the base weight and bias must have requires_grad False"
    assert got["base_grads"] == [False, False], "no gradient may reach the base layer"
    a_grad, b_grad = got["grads"]["style"]
    assert a_grad is not None and b_grad is not None, "the active adapter's lora_A and lora_B must get gradients"
    for g in got["grads"]["math"]:
        assert g is None or not bool(g.abs().sum()), "the inactive adapter must get no gradient"
    _, rank, alpha, a, b = adapters[0]
    a_ref, b_ref = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
    out = x @ weight.T + bias + alpha / rank * (x @ a_ref.T) @ b_ref.T
    (out * torch.linspace(-1, 1, out.shape[-1], dtype=out.dtype)).sum().backward()
    expect.close(a_grad, a_ref.grad, "d/d lora_A", rtol=1e-10, atol=1e-12)
    expect.close(b_grad, b_ref.grad, "d/d lora_B", rtol=1e-10, atol=1e-12)


def test_merge_and_unload(candidate):
    layers = []
    for seed, (out, inp), active in ((10, (8, 10), "style"), (11, (5, 8), None), (12, (6, 5), "math")):
        weight, bias, adapters, _ = setup(seed, out=out, inp=inp)
        layers.append([weight, bias, adapters, active])
    x = torch.randn(4, 10, generator=gen(13), dtype=torch.float64)
    got = candidate.call("unload", layers, x)
    assert got["kinds"] == ["Linear", "Linear", "Linear"], f"after merge_and_unload the model's layers are {got['kinds']}: every adapted layer must be a plain nn.Linear"
    h = torch.tanh(x @ (layers[0][0] + delta(layers[0][2][0])).T + layers[0][1])
    h = torch.relu(h @ layers[1][0].T + layers[1][1])
    expected = h @ (layers[2][0] + delta(layers[2][2][1])).T + layers[2][1]
    expect.close(got["before"], expected, "the adapted model's output", rtol=1e-12, atol=1e-12)
    expect.close(got["after"], expected, "the output after merge_and_unload", rtol=1e-12, atol=1e-12)
