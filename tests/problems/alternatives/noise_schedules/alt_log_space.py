"""Alternative: alpha_bar in log space, v-prediction through the angle phi = arccos(sqrt(alpha_bar))."""

import math

import torch


def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    w = torch.arange(T, dtype=torch.float64) / max(T - 1, 1)
    return (1 - w) * beta_start + w * beta_end


def _betas(abar, max_beta):
    ratio = torch.exp(torch.log(abar[1:].clamp_min(1e-300)) - torch.log(abar[:-1]))
    return torch.clamp(1 - ratio, max=max_beta)


def cosine_betas(T, s=0.008, max_beta=0.999):
    steps = torch.linspace(0, 1, T + 1, dtype=torch.float64)
    angle = (steps + s) / (1 + s) * (math.pi / 2)
    return _betas(torch.cos(angle).square() / math.cos(s / (1 + s) * math.pi / 2) ** 2, max_beta)


def sigmoid_betas(T, start=-3.0, end=3.0, tau=1.0, max_beta=0.999):
    steps = torch.linspace(0, 1, T + 1, dtype=torch.float64)
    z = torch.sigmoid(torch.tensor([start / tau, end / tau], dtype=torch.float64))
    abar = (z[1] - torch.sigmoid((start + steps * (end - start)) / tau)) / (z[1] - z[0])
    return _betas(abar, max_beta)


def alpha_bar(betas):
    return torch.exp(torch.cumsum(torch.log1p(-betas), dim=0))


def snr(alpha_bar):
    return torch.exp(torch.log(alpha_bar) - torch.log1p(-alpha_bar))


def _angle(alpha_bar_t, x):
    phi = torch.arccos(alpha_bar_t.sqrt())
    return phi.reshape(-1, *([1] * (x.dim() - 1)))


def v_from_eps(x0, eps, alpha_bar_t):
    phi = _angle(alpha_bar_t, x0)
    return torch.cos(phi) * eps - torch.sin(phi) * x0


def x0_from_v(x_t, v, alpha_bar_t):
    phi = _angle(alpha_bar_t, x_t)
    return torch.cos(phi) * x_t - torch.sin(phi) * v


def eps_from_v(x_t, v, alpha_bar_t):
    phi = _angle(alpha_bar_t, x_t)
    return torch.sin(phi) * x_t + torch.cos(phi) * v
