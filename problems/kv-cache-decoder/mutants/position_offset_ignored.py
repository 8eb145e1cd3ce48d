"""Mutant: positions restart at 0 for every call, so tokens decoded with a cache get the wrong position embedding."""

import math

import torch
from torch import nn


class CachedSelfAttention(nn.Module):
    """Causal multi-head self-attention that can continue from cached keys and values."""

    def __init__(self, d_model, n_heads):
        """A fused q/k/v projection and an output projection."""
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x, past=None):
        """x [B, T, D]; past (k, v) each [B, H, P, d_head] or None -> (y [B, T, D], (k, v) [B, H, P + T, d_head])."""
        batch, length, d_model = x.shape
        q, k, v = (z.view(batch, length, self.n_heads, self.d_head).transpose(1, 2) for z in self.qkv(x).split(d_model, dim=-1))
        if past is not None:
            # The time axis of the cache is dim 2: [B, H, T, d_head].
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        offset = k.shape[2] - length  # absolute position of the first new token
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # [B, H, T, P + T]
        query_pos = torch.arange(length).unsqueeze(1) + offset
        key_pos = torch.arange(k.shape[2]).unsqueeze(0)
        scores = scores.masked_fill(key_pos > query_pos, float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, length, d_model)
        return self.out(y), (k, v)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, d_model, n_heads):
        """Attention and a 4x GELU MLP, each behind a LayerNorm."""
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = CachedSelfAttention(d_model, n_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x, past=None):
        """Returns the new hidden states and this layer's updated (k, v)."""
        attended, present = self.attn(self.ln1(x), past)
        x = x + attended
        return x + self.mlp(self.ln2(x)), present


class TinyDecoder(nn.Module):
    """Token and learned position embeddings, n_layers blocks, a final LayerNorm and a vocabulary head."""

    def __init__(self, vocab_size, d_model=32, n_heads=4, n_layers=2, max_len=64):
        """Build the embeddings, blocks and head."""
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, d_model)
        self.positions = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_heads) for _ in range(n_layers))
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens, cache=None):
        """tokens [B, T] -> (logits [B, T, V], cache: one (k, v) per layer, each [B, H, past + T, d_head])."""
        past_length = 0 if cache is None else cache[0][0].shape[2]
        # New tokens sit after the cached ones: their positions start at the cache length.
        positions = torch.arange(tokens.shape[1])
        x = self.tokens(tokens) + self.positions(positions)
        new_cache = []
        for i, block in enumerate(self.blocks):
            x, present = block(x, None if cache is None else cache[i])
            new_cache.append(present)
        return self.head(self.ln(x)), new_cache


@torch.no_grad()
def greedy_generate(model, prompt, n):
    """prompt [B, T0] -> the n greedily chosen new ids [B, n]; the prompt is run once, then one token per call."""
    logits, cache = model(prompt)
    new_ids = []
    for i in range(n):
        next_id = logits[:, -1].argmax(dim=-1, keepdim=True)  # [B, 1]
        new_ids.append(next_id)
        if i < n - 1:
            logits, cache = model(next_id, cache)
    return torch.cat(new_ids, dim=1) if new_ids else prompt.new_zeros(prompt.shape[0], 0)
