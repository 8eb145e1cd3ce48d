"""Flow matching: fill in the loss and the sampler. See the statement for the exact rules."""

import torch


def flow_matching_loss(model, x1, x0=None, t=None):
    raise NotImplementedError


def euler_sample(model, x0, steps):
    raise NotImplementedError
