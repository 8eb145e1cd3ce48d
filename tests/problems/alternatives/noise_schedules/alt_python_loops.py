"""Alternative: schedules built with Python's math in loops, then turned into tensors."""

import math

import torch


def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    if T == 1:
        return torch.tensor([beta_start], dtype=torch.float64)
    step = (beta_end - beta_start) / (T - 1)
    return torch.tensor([beta_start + i * step for i in range(T)], dtype=torch.float64)


def _from_abar(abar, max_beta):
    return torch.tensor([min(1 - abar[i + 1] / abar[i], max_beta) for i in range(len(abar) - 1)], dtype=torch.float64)


def cosine_betas(T, s=0.008, max_beta=0.999):
    def f(t):
        return math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2

    return _from_abar([f(t) / f(0) for t in range(T + 1)], max_beta)


def sigmoid_betas(T, start=-3.0, end=3.0, tau=1.0, max_beta=0.999):
    def sig(z):
        return 1 / (1 + math.exp(-z))

    lo, hi = sig(start / tau), sig(end / tau)
    abar = [(hi - sig(((t / T) * (end - start) + start) / tau)) / (hi - lo) for t in range(T + 1)]
    return _from_abar(abar, max_beta)


def alpha_bar(betas):
    out, running = [], 1.0
    for b in betas.tolist():
        running *= 1 - b
        out.append(running)
    return torch.tensor(out, dtype=betas.dtype)


def snr(alpha_bar):
    return alpha_bar / (1 - alpha_bar)


def _b(a, x):
    return a.view(a.shape[0], *(1,) * (x.ndim - 1))


def v_from_eps(x0, eps, alpha_bar_t):
    a = _b(alpha_bar_t, x0)
    return torch.sqrt(a) * eps - torch.sqrt(1 - a) * x0


def x0_from_v(x_t, v, alpha_bar_t):
    a = _b(alpha_bar_t, x_t)
    return torch.sqrt(a) * x_t - torch.sqrt(1 - a) * v


def eps_from_v(x_t, v, alpha_bar_t):
    a = _b(alpha_bar_t, x_t)
    return torch.sqrt(1 - a) * x_t + torch.sqrt(a) * v
