"""Reference: the RealNVP affine coupling layer and a flow's log-likelihood."""

import math

import torch
from torch import nn


class AffineCoupling(nn.Module):
    """y = x_m + (1 - mask) * (x * exp(s(x_m)) + t(x_m)), with x_m = x * mask."""

    def __init__(self, mask, s_net, t_net):
        super().__init__()
        self.register_buffer("mask", mask)
        self.s_net = s_net
        self.t_net = t_net

    def _scale_and_shift(self, conditioner):
        """s and t of the transformed dims, from the masked (conditioning) input."""
        return self.s_net(conditioner), self.t_net(conditioner)

    def forward(self, x):
        x_m = x * self.mask
        s, t = self._scale_and_shift(x_m)
        y = x_m + (1 - self.mask) * (x * torch.exp(s) + t)
        log_det = ((1 - self.mask) * s).sum(dim=-1)
        return y, log_det

    def inverse(self, y):
        y_m = y * self.mask
        s, t = self._scale_and_shift(y_m)
        x = y_m + (1 - self.mask) * (y - t) * torch.exp(-s)
        return x


def flow_log_prob(layers, x):
    """log p(x) under a standard normal base, through the layers in order."""
    z, total = x, torch.zeros(x.shape[0], dtype=x.dtype)
    for layer in layers:
        z, log_det = layer(z)
        total = total + log_det
    d = x.shape[-1]
    log_base = -0.5 * (z**2).sum(dim=-1) - 0.5 * d * math.log(2 * math.pi)
    return log_base + total
