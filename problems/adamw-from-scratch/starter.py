"""AdamW from scratch: fill in __init__ and step. See the statement for the exact update."""

import torch


class AdamW(torch.optim.Optimizer):
    """Adam with bias correction and decoupled weight decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        raise NotImplementedError

    def step(self, closure=None):
        raise NotImplementedError
