"""DDPM pieces: fill in every method. See the statement for exact formulas, shapes and dtypes."""

import torch


class DDPM:
    def __init__(self, T=1000, beta_start=1e-4, beta_end=0.02):
        self.T = T
        # TODO: self.betas, self.alphas, self.alphas_cumprod, self.posterior_variance (float64, shape [T])
        raise NotImplementedError

    def q_sample(self, x0, t, noise):
        raise NotImplementedError

    def p_sample(self, model, x_t, t, noise, variance="posterior"):
        raise NotImplementedError

    def sample(self, model, x_T, noises, variance="posterior"):
        raise NotImplementedError

    def loss(self, model, x0, t, noise):
        raise NotImplementedError
