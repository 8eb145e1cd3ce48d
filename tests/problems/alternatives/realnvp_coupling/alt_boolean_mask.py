"""Alternative: a boolean mask with torch.where; log-likelihood with Normal.log_prob."""

import torch
from torch import nn
from torch.distributions import Normal


class AffineCoupling(nn.Module):
    def __init__(self, mask, s_net, t_net):
        super().__init__()
        self.keep = mask.bool()
        self.s_net, self.t_net = s_net, t_net

    def _st(self, v):
        conditioner = torch.where(self.keep, v, torch.zeros_like(v))
        return conditioner, self.s_net(conditioner), self.t_net(conditioner)

    def forward(self, x):
        _, s, t = self._st(x)
        y = torch.where(self.keep, x, x * s.exp() + t)
        log_det = torch.where(self.keep, torch.zeros_like(s), s).sum(-1)
        return y, log_det

    def inverse(self, y):
        _, s, t = self._st(y)
        return torch.where(self.keep, y, (y - t) / s.exp())


def flow_log_prob(layers, x):
    log_det = 0
    z = x
    for layer in layers:
        z, ld = layer(z)
        log_det = log_det + ld
    base = Normal(torch.zeros((), dtype=x.dtype), torch.ones((), dtype=x.dtype))
    return base.log_prob(z).sum(-1) + log_det
