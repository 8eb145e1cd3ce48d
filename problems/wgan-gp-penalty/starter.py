"""WGAN-GP losses: fill in every function. See the statement for exact shapes and formulas."""

import torch


def interpolate(real, fake, alpha):
    raise NotImplementedError


def gradient_penalty(critic, real, fake, alpha, lambda_gp=10.0):
    raise NotImplementedError


def critic_loss(critic, real, fake, alpha, lambda_gp=10.0):
    raise NotImplementedError


def generator_loss(critic, fake):
    raise NotImplementedError
