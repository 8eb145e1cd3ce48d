"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the noise
model is defined here from the check's matrices and records its calls.
"""

import torch


class Model:
    """eps(x, t, c) = tanh(x_flat @ A.T + c @ Bm.T + t / 1000 * d), reshaped; records (batch size, times)."""

    def __init__(self, a, bm, d):
        self.a, self.bm, self.d = a, bm, d
        self.calls = []

    def __call__(self, x, t, c):
        self.calls.append((int(x.shape[0]), [int(v) for v in t.tolist()]))
        flat = x.reshape(x.shape[0], -1)
        return torch.tanh(flat @ self.a.T + c @ self.bm.T + t.double()[:, None] / 1000 * self.d).reshape(x.shape)


def guided(sol, x, t, cond, null_cond, w, a, bm, d):
    """guided_eps, and the model's calls."""
    model = Model(a, bm, d)
    with torch.no_grad():
        eps = sol.guided_eps(model, x, t, cond, null_cond, w)
    return {"eps": eps, "calls": model.calls}


def step(sol, x_t, eps, abar_t, abar_prev, eta, noise):
    """ddim_step as returned."""
    with torch.no_grad():
        return sol.ddim_step(x_t, eps, abar_t, abar_prev, eta, noise)


def sample(sol, x_T, alpha_bars, timesteps, cond, null_cond, w, eta, noises, a, bm, d):
    """ddim_sample, and the model's calls."""
    model = Model(a, bm, d)
    with torch.no_grad():
        out = sol.ddim_sample(model, x_T, alpha_bars, timesteps, cond, null_cond, w, eta, noises)
    return {"x": out, "calls": model.calls}
