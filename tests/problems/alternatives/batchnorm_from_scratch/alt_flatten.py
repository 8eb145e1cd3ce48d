"""Alternative: channels moved first and flattened; the unbiased variance taken directly for the running value."""

import torch
from torch import nn


class BatchNorm(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        c = self.num_features
        flat = x.transpose(0, 1).reshape(c, -1)
        if self.training:
            mean = flat.mean(dim=1)
            centred = flat - mean[:, None]
            var = (centred * centred).mean(dim=1)
            unbiased = flat.detach().var(dim=1, unbiased=True)
            self.running_mean.copy_((1 - self.momentum) * self.running_mean + self.momentum * mean.detach())
            self.running_var.copy_((1 - self.momentum) * self.running_var + self.momentum * unbiased)
        else:
            mean, var = self.running_mean, self.running_var
        out = (flat - mean[:, None]) * torch.rsqrt(var[:, None] + self.eps) * self.weight[:, None] + self.bias[:, None]
        moved = x.transpose(0, 1).shape
        return out.reshape(moved).transpose(0, 1)
