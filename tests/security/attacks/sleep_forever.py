"""Every entry point sleeps for ten days."""

import time

from torch import nn


class VAE(nn.Module):
    def __init__(self, latent_dim=20):
        super().__init__()
        time.sleep(10**6)


def vae_loss(*args):
    time.sleep(10**6)


def sample(*args, **kwargs):
    time.sleep(10**6)
