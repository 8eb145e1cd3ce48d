"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
sampling probes seed the global generator and return counts and moments the checks judge.
"""

import torch


def sample(sol, logits, tau, hard, dim, seed):
    """gumbel_softmax with its own noise, under a seed."""
    torch.manual_seed(seed)
    with torch.no_grad():
        return sol.gumbel_softmax(logits, tau=tau, hard=hard, dim=dim)


def with_noise(sol, logits, gumbels, tau, hard, dim):
    """gumbel_softmax with the given noise."""
    with torch.no_grad():
        return sol.gumbel_softmax(logits, tau=tau, hard=hard, dim=dim, gumbels=gumbels)


def straight_through(sol, logits, gumbels, tau, weights):
    """The hard sample and the gradient of sum(weights * sample) with respect to the logits."""
    logits = logits.clone().requires_grad_(True)
    y = sol.gumbel_softmax(logits, tau=tau, hard=True, dim=-1, gumbels=gumbels)
    (weights * y).sum().backward()
    return y.detach(), logits.grad


def gumbel_moments(sol, n, seed):
    """sample_gumbel((n,)) under a seed: whether all finite, its mean, variance and fraction below 0."""
    torch.manual_seed(seed)
    g = sol.sample_gumbel((n,)).double()
    finite = bool(torch.isfinite(g).all())
    return {
        "shape": list(g.shape),
        "finite": finite,
        "mean": float(g.mean()),
        "var": float(g.var()),
        "below_zero": float((g < 0).double().mean()),
    }


def hard_counts(sol, logits, tau, n, seed):
    """How often each class is picked in n hard samples of each row of logits [R, K] -> [R, K]."""
    torch.manual_seed(seed)
    with torch.no_grad():
        y = sol.gumbel_softmax(logits.expand(n, *logits.shape).contiguous(), tau=tau, hard=True, dim=-1)
    return y.sum(0)
