"""Hidden checks for grad-accumulation-clipping. References are float64, from the statement's formulas."""

import math

import torch
from torch import nn

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_clip(grads, max_norm, norm_type):
    """(total, clipped grads) by the statement's formula, None gradients skipped."""
    present = [g.double() for g in grads if g is not None]
    if math.isinf(norm_type):
        total = max(float(g.abs().max()) for g in present)
    else:
        total = sum(float(g.abs().pow(norm_type).sum()) for g in present) ** (1 / norm_type)
    coef = min(1.0, max_norm / (total + 1e-6))
    return total, [None if g is None else g.double() * coef for g in grads]


def grads(seed, scale=1.0):
    g = gen(seed)
    return [scale * torch.randn(*shape, generator=g, dtype=torch.float64) for shape in ((4,), (3, 5, 2), (6, 2), (1,))]


def test_clip_value(candidate):
    for norm_type in (2.0, 1.0, math.inf):
        given = grads(1)
        got = candidate.call("clip", given, 0.5, norm_type)
        total, clipped = reference_clip(given, 0.5, norm_type)
        expect.close_scalar(got["total"], total, f"the {norm_type:g}-norm of every gradient together", rtol=1e-12, atol=1e-15)
        for i, (g, r) in enumerate(zip(got["grads"], clipped)):
            expect.close(g, r, f"gradient {i} clipped to max_norm 0.5 (norm_type {norm_type:g})", rtol=1e-12, atol=1e-15)


def test_clip_edges(candidate):
    given = grads(2, scale=0.01)
    got = candidate.call("clip", given, 100.0, 2.0)
    for i, (g, r) in enumerate(zip(got["grads"], given)):
        assert torch.equal(g, r), f"gradient {i} changed although the norm is under max_norm"
    given = [grads(3)[0], None, grads(3)[2]]
    got = candidate.call("clip", given, 0.3, 2.0)
    assert got["grads"][1] is None, "a parameter without a gradient must keep grad None"
    total, clipped = reference_clip(given, 0.3, 2.0)
    expect.close_scalar(got["total"], total, "the norm over the parameters that have a gradient", rtol=1e-12, atol=1e-15)
    for i in (0, 2):
        expect.close(got["grads"][i], clipped[i], f"gradient {i} with a gradient-less parameter among them", rtol=1e-12, atol=1e-15)


def weights(seed):
    g = gen(seed)
    return [0.5 * torch.randn(*shape, generator=g, dtype=torch.float64) for shape in ((8, 4), (8,), (2, 8), (2,))]


def data(n, seed):
    g = gen(seed)
    return torch.randn(n, 4, generator=g, dtype=torch.float64), 2.0 * torch.randn(n, 2, generator=g, dtype=torch.float64)


def split(x, y, sizes):
    out, start = [], 0
    for size in sizes:
        out.append([x[start : start + size], y[start : start + size]])
        start += size
    return out


def reference_step(w, x, y, max_norm):
    """The full batch's mean loss, its clipped gradient, and the parameters after SGD (lr 0.1)."""
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    with torch.no_grad():
        for p, value in zip(model.parameters(), w):
            p.copy_(value)
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    _, clipped = reference_clip([p.grad for p in model.parameters()], max_norm, 2.0)
    after = [p.detach() - 0.1 * g for p, g in zip(model.parameters(), clipped)]
    return loss.item(), clipped, after


def test_accumulation(candidate):
    for sizes, max_norm, seed in (((5, 5, 3), 0.5, 10), ((1, 4, 8), 0.2, 11), ((13,), 10.0, 12)):
        w, (x, y) = weights(seed), data(13, seed + 100)
        got = candidate.call("step", w, split(x, y, sizes), max_norm, False)
        _, clipped, _ = reference_step(w, x, y, max_norm)
        assert len(got["seen"]) == 1, f"optimizer.step() was called {len(got['seen'])} times for one batch"
        for i, (g, r) in enumerate(zip(got["seen"][0], clipped)):
            assert g is not None, f"parameter {i} had no gradient at step()"
            expect.close(g, r, f"gradient {i} at step() for micro-batches {list(sizes)} (max_norm {max_norm})", rtol=1e-10, atol=1e-12)


def test_step_order(candidate):
    w, (x, y) = weights(20), data(12, 21)
    got = candidate.call("step", w, split(x, y, (4, 4, 4)), 0.3, True)
    _, clipped, after = reference_step(w, x, y, 0.3)
    assert len(got["seen"]) == 1, f"optimizer.step() was called {len(got['seen'])} times for one batch"
    for i, (g, r) in enumerate(zip(got["seen"][0], clipped)):
        expect.close(g, r, f"gradient {i} at step() with stale gradients before the call", rtol=1e-10, atol=1e-12)
    for i, (p, r) in enumerate(zip(got["after"], after)):
        expect.close(p, r, f"parameter {i} after the step", rtol=1e-10, atol=1e-12)
    for i, g in enumerate(got["grads_after"]):
        assert g is None or not bool(g.abs().sum()), f"parameter {i} still has a gradient after train_step (zero_grad after the step)"


def test_returned_loss(candidate):
    w, (x, y) = weights(30), data(11, 31)
    got = candidate.call("step", w, split(x, y, (6, 2, 3)), 1.0, False)
    expected, _, _ = reference_step(w, x, y, 1.0)
    expect.close_scalar(got["loss"], expected, "the returned loss (the full batch's mean)", rtol=1e-10, atol=1e-14)
