"""Hidden checks for batchnorm-from-scratch. References are float64, from the statement's formulas."""

import torch

from judge.harness import expect

SHAPES = [(16, 4), (6, 4, 7), (3, 4, 5, 5)]


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def batch(shape, seed):
    """Inputs whose per-channel means and scales are far from 0 and 1."""
    g = gen(seed)
    c = shape[1]
    view = [1, c] + [1] * (len(shape) - 2)
    means = torch.linspace(-3.0, 5.0, c, dtype=torch.float64).view(view)
    scales = torch.linspace(0.5, 4.0, c, dtype=torch.float64).view(view)
    return torch.randn(*shape, generator=g, dtype=torch.float64) * scales + means


def affine(c, seed):
    """A weight and a bias chosen by the check."""
    g = gen(seed)
    return 1.0 + 0.5 * torch.randn(c, generator=g, dtype=torch.float64), 0.3 * torch.randn(c, generator=g, dtype=torch.float64)


def stats(x):
    """Per-channel mean, biased variance and count."""
    dims = [0] + list(range(2, x.dim()))
    return x.mean(dim=dims), x.var(dim=dims, unbiased=False), x.numel() // x.shape[1]


def normalise(x, mean, var, weight, bias, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias per channel."""
    view = [1, -1] + [1] * (x.dim() - 2)
    return (x - mean.view(view)) / torch.sqrt(var.view(view) + eps) * weight.view(view) + bias.view(view)


def reference_run(batches, momentum):
    """Running mean and unbiased running variance after each batch."""
    running_mean, running_var = torch.zeros(batches[0].shape[1], dtype=torch.float64), torch.ones(batches[0].shape[1], dtype=torch.float64)
    means, variances = [], []
    for x in batches:
        mean, var, n = stats(x)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
        means.append(running_mean)
        variances.append(running_var)
    return means, variances


def test_train_output(candidate):
    for k, shape in enumerate(SHAPES):
        x, (weight, bias) = batch(shape, 10 + k), affine(shape[1], 20 + k)
        got = candidate.call("train_steps", [x], 0.1, weight, bias)
        mean, var, _ = stats(x)
        expect.close(got["outputs"][0], normalise(x, mean, var, weight, bias), f"training output for {list(shape)}", rtol=1e-9, atol=1e-10)


def test_running_stats(candidate):
    for k, shape in enumerate(SHAPES):
        for momentum in (0.1, 0.3):
            batches = [batch(shape, 100 + 10 * k + j) for j in range(5)]
            weight, bias = affine(shape[1], 30 + k)
            got = candidate.call("train_steps", batches, momentum, weight, bias)
            means, variances = reference_run(batches, momentum)
            for j in range(5):
                expect.close(got["running_mean"][j], means[j], f"running_mean after batch {j + 1} ({list(shape)}, momentum {momentum})", rtol=1e-9, atol=1e-12)
                expect.close(got["running_var"][j], variances[j], f"running_var after batch {j + 1} ({list(shape)}, momentum {momentum}; unbiased)", rtol=1e-9, atol=1e-12)


def test_eval_output(candidate):
    for k, shape in enumerate(SHAPES):
        batches = [batch(shape, 200 + 10 * k + j) for j in range(3)]
        weight, bias = affine(shape[1], 40 + k)
        x_eval = batch(shape, 300 + k) * 1.5 + 0.7
        got = candidate.call("train_then_eval", batches, 0.2, weight, bias, x_eval)
        means, variances = reference_run(batches, 0.2)
        expect.close(got["out"], normalise(x_eval, means[-1], variances[-1], weight, bias), f"eval output for {list(shape)}", rtol=1e-9, atol=1e-10)
        for before, after, name in zip(got["before"], got["after"], ("running_mean", "running_var")):
            assert torch.equal(before, after), f"{name} changed during an eval-mode forward"


def test_gradients(candidate):
    for k, shape in enumerate(SHAPES):
        x, (weight, bias) = batch(shape, 50 + k), affine(shape[1], 60 + k)
        w = torch.randn(*shape, generator=gen(70 + k), dtype=torch.float64)
        y, g_x, g_weight, g_bias = candidate.call("gradients", x, weight, bias, w)
        leaves = [t.clone().requires_grad_(True) for t in (x, weight, bias)]
        mean, var, _ = stats(leaves[0])
        (w * normalise(leaves[0], mean, var, leaves[1], leaves[2])).sum().backward()
        for got, leaf, name in ((g_x, leaves[0], "x"), (g_weight, leaves[1], "weight"), (g_bias, leaves[2], "bias")):
            assert got is not None, f"no gradient reached {name}"
            expect.close(got, leaf.grad, f"d/d{name} of sum(w * y) for {list(shape)}", rtol=1e-7, atol=1e-9)


def test_buffers(candidate):
    info = candidate.call("buffers", batch((8, 4, 3), 80))
    for name in ("running_mean", "running_var"):
        assert name in info["keys"], f"{name} is not in state_dict(): register it with register_buffer"
    assert info["dtypes"] == ["torch.float64", "torch.float64"], f"running statistics did not move with .to(torch.float64): {info['dtypes']}"
    assert not any(info["history"]), "running statistics carry gradient history (update them under torch.no_grad() or from detached values)"
    assert info["eval_backward_error"] is None, f"an eval forward and backward after training failed: {info['eval_backward_error']}"
