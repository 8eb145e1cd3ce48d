"""Alternative: index the conditioning and transformed dims, scatter the result back."""

import math

import torch
from torch import nn


class AffineCoupling(nn.Module):
    def __init__(self, mask, s_net, t_net):
        super().__init__()
        self.mask = mask
        self.s_net = s_net
        self.t_net = t_net
        self.free = (mask == 0).nonzero().flatten()

    def forward(self, x):
        cond = x * self.mask
        s = self.s_net(cond)[:, self.free]
        t = self.t_net(cond)[:, self.free]
        y = cond.clone()
        y[:, self.free] = x[:, self.free] * torch.exp(s) + t
        return y, s.sum(dim=1)

    def inverse(self, y):
        cond = y * self.mask
        s = self.s_net(cond)[:, self.free]
        t = self.t_net(cond)[:, self.free]
        x = cond.clone()
        x[:, self.free] = (y[:, self.free] - t) * torch.exp(-s)
        return x


def flow_log_prob(layers, x):
    log_dets = []
    for layer in layers:
        x, ld = layer(x)
        log_dets.append(ld)
    d = x.shape[1]
    return -0.5 * x.pow(2).sum(1) - 0.5 * d * math.log(2 * math.pi) + torch.stack(log_dets).sum(0)
