"""Ignores SIGTERM, SIGINT and SIGHUP, then spins in every call."""

import signal

from torch import nn

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)


def spin(*args, **kwargs):
    while True:
        pass


class VAE(nn.Module):
    def __init__(self, latent_dim=20):
        super().__init__()
        spin()


vae_loss = sample = spin
