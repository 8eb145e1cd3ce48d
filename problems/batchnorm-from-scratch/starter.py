"""Batch normalisation from scratch: fill in __init__ and forward. See the statement for the exact rules."""

import torch
from torch import nn


class BatchNorm(nn.Module):
    """Batch normalisation over channel dim 1 of [N, C], [N, C, L] or [N, C, H, W] inputs."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        raise NotImplementedError

    def forward(self, x):
        raise NotImplementedError
