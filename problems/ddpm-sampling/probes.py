"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing;
the checks compute every reference (in float64) on the trusted side.

The noise-prediction model is a mock built here from two coefficients the check sends:
model(x, t) = c1 * x + c2 * (t + 1) / T, one value of t per sample. It depends on t so that a
wrong timestep shows, and it records the t it was called with.
"""

import torch
from torch import nn


class MockEps(nn.Module):
    """eps(x, t) = c1 * x + c2 * (t + 1) / T, with c1 and c2 trainable; remembers every t it gets."""

    def __init__(self, c1, c2, T):
        super().__init__()
        self.c1 = nn.Parameter(torch.tensor(float(c1)))
        self.c2 = nn.Parameter(torch.tensor(float(c2)))
        self.T = T
        self.calls = []

    def forward(self, x, t):
        """The mock prediction; t must be a tensor with one timestep per sample."""
        self.calls.append(t.detach().clone() if isinstance(t, torch.Tensor) else f"<{type(t).__name__}>")
        scale = ((t.to(torch.float32) + 1.0) / self.T).view(-1, *([1] * (x.dim() - 1)))
        return self.c1 * x + self.c2 * scale


def _ddpm(sol, T, beta_start, beta_end):
    """DDPM(T, beta_start, beta_end), or DDPM() with its defaults when T is None."""
    if T is None:
        return sol.DDPM()
    return sol.DDPM(T=T, beta_start=beta_start, beta_end=beta_end)


def _plain(value):
    """Tensors pass; anything else is described by its type name."""
    return value if isinstance(value, torch.Tensor) else f"<{type(value).__name__}>"


def schedule(sol, T, beta_start, beta_end):
    """The schedule tensors, by attribute name."""
    ddpm = _ddpm(sol, T, beta_start, beta_end)
    names = ("betas", "alphas", "alphas_cumprod", "posterior_variance")
    return {name: _plain(getattr(ddpm, name, None)) for name in names}


def q_sample(sol, T, beta_start, beta_end, x0, t, noise):
    """The submission's q_sample."""
    return _ddpm(sol, T, beta_start, beta_end).q_sample(x0, t, noise)


def p_sample(sol, T, beta_start, beta_end, coefficients, x_t, t, noise, variance):
    """One reverse step with the mock model (variance left to its default when None); plus the model's calls."""
    ddpm = _ddpm(sol, T, beta_start, beta_end)
    model = MockEps(*coefficients, T)
    with torch.no_grad():
        if variance is None:
            out = ddpm.p_sample(model, x_t, t, noise)
        else:
            out = ddpm.p_sample(model, x_t, t, noise, variance=variance)
    return out, model.calls


def sample(sol, T, beta_start, beta_end, coefficients, x_T, noises, variance):
    """The whole reverse chain with the mock model; plus the model's calls in order."""
    ddpm = _ddpm(sol, T, beta_start, beta_end)
    model = MockEps(*coefficients, T)
    if variance is None:
        out = ddpm.sample(model, x_T, noises)
    else:
        out = ddpm.sample(model, x_T, noises, variance=variance)
    return out, model.calls


def loss(sol, T, beta_start, beta_end, coefficients, x0, t, noise):
    """The training loss with the mock model and its gradients with respect to c1 and c2."""
    ddpm = _ddpm(sol, T, beta_start, beta_end)
    model = MockEps(*coefficients, T)
    value = ddpm.loss(model, x0, t, noise)
    grads = None
    if isinstance(value, torch.Tensor) and value.requires_grad:
        grads = [None if g is None else g.detach() for g in torch.autograd.grad(value, [model.c1, model.c2], allow_unused=True)]
    return value, grads
