"""A different but correct solution: fixed sinusoidal positions, a fused qkv projection per layer,
attention written with einsum and a -1e9 mask, a cache of tuples, and a generator loop that also runs
the model after the last token (n calls after the prompt)."""

import math

import torch
from torch import nn


def sinusoid(positions, d_model):
    """Fixed sin/cos position encodings [T, d_model] for the given absolute positions."""
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    angles = positions[:, None].float() * div
    enc = torch.zeros(len(positions), d_model)
    enc[:, 0::2], enc[:, 1::2] = torch.sin(angles), torch.cos(angles)
    return enc


class TinyDecoder(nn.Module):
    """Layers kept in plain ModuleLists; pre-norm; SiLU MLP."""

    def __init__(self, vocab_size, d_model=32, n_heads=4, n_layers=2, max_len=64):
        """All parameters, layer by layer."""
        super().__init__()
        self.d, self.h = d_model, n_heads
        self.emb = nn.Embedding(vocab_size, d_model)
        self.norm1 = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(n_layers))
        self.norm2 = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(n_layers))
        self.qkv = nn.ModuleList(nn.Linear(d_model, 3 * d_model, bias=False) for _ in range(n_layers))
        self.proj = nn.ModuleList(nn.Linear(d_model, d_model) for _ in range(n_layers))
        self.ff = nn.ModuleList(
            nn.Sequential(nn.Linear(d_model, 3 * d_model), nn.SiLU(), nn.Linear(3 * d_model, d_model))
            for _ in range(n_layers)
        )
        self.final = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)

    def forward(self, tokens, cache=None):
        """tokens [B, T] -> (logits [B, T, V], [(k, v) per layer] with k, v [B, H, past + T, d_head])."""
        b, t = tokens.shape
        past = 0 if cache is None else cache[0][0].size(2)
        x = self.emb(tokens) * math.sqrt(self.d) + sinusoid(torch.arange(past, past + t), self.d)
        dh = self.d // self.h
        blocked = torch.arange(past + t)[None, :] > torch.arange(past, past + t)[:, None]  # [T, past + T]
        new_cache = []
        for layer in range(len(self.qkv)):
            q, k, v = self.qkv[layer](self.norm1[layer](x)).chunk(3, dim=-1)
            q, k, v = (z.reshape(b, t, self.h, dh).permute(0, 2, 1, 3) for z in (q, k, v))
            if cache is not None:
                k = torch.cat((cache[layer][0], k), dim=2)
                v = torch.cat((cache[layer][1], v), dim=2)
            new_cache.append((k, v))
            scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(dh)
            weights = scores.masked_fill(blocked, -1e9).softmax(-1)
            y = torch.einsum("bhqk,bhkd->bhqd", weights, v).permute(0, 2, 1, 3).reshape(b, t, self.d)
            x = x + self.proj[layer](y)
            x = x + self.ff[layer](self.norm2[layer](x))
        return self.lm_head(self.final(x)), new_cache


def greedy_generate(model, prompt, n):
    """Feeds every chosen token back, the last one included (n calls after the prompt)."""
    with torch.no_grad():
        logits, cache = model(prompt)
        chosen = []
        for _ in range(n):
            token = logits[:, -1:].argmax(-1)  # [B, 1]
            chosen.append(token)
            logits, cache = model(token, cache)
    return torch.cat(chosen, dim=1)
