"""Alternative: torch.var_mean over the reduced dims, lerp_ for the running statistics."""

import torch
from torch import nn


class BatchNorm(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def _broadcast(self, t, x):
        return t.reshape((1, -1) + (1,) * (x.dim() - 2))

    def forward(self, x):
        reduce = tuple(d for d in range(x.dim()) if d != 1)
        if self.training:
            var, mean = torch.var_mean(x, dim=reduce, correction=0)
            count = x.numel() / x.size(1)
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * (count / (count - 1)), self.momentum)
        else:
            var, mean = self.running_var, self.running_mean
        scale = self.weight / torch.sqrt(var + self.eps)
        shift = self.bias - mean * scale
        return x * self._broadcast(scale, x) + self._broadcast(shift, x)
