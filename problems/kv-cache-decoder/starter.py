"""A tiny decoder-only transformer with a key/value cache: fill in the model and greedy_generate.
See the statement for the cache's exact layout."""

import math

import torch
from torch import nn


class TinyDecoder(nn.Module):
    def __init__(self, vocab_size, d_model=32, n_heads=4, n_layers=2, max_len=64):
        super().__init__()
        # TODO: embeddings with positions, n_layers causal self-attention blocks, a head to vocab_size logits.

    def forward(self, tokens, cache=None):
        """tokens [B, T] -> (logits [B, T, V], cache: one (k, v) per layer, each [B, n_heads, past + T, d_head])."""
        raise NotImplementedError


def greedy_generate(model, prompt, n):
    """prompt [B, T0] -> the n greedily chosen new ids [B, n], using the cache."""
    raise NotImplementedError
