"""A different but correct solution: rotary position embeddings applied to q and k (the cache holds the
rotated keys), F.scaled_dot_product_attention with an explicit bottom-right causal mask, post-norm blocks,
a ReLU MLP and tied input/output embeddings."""

import torch
import torch.nn.functional as F
from torch import nn


def rotate(x, start):
    """Rotary embedding of x [B, H, T, d_head] for positions start .. start + T - 1."""
    d_head = x.shape[-1]
    freqs = 10000.0 ** (-torch.arange(0, d_head, 2, dtype=torch.float32) / d_head)  # [d_head / 2]
    angles = torch.arange(start, start + x.shape[2], dtype=torch.float32)[:, None] * freqs  # [T, d_head / 2]
    cos, sin = angles.cos(), angles.sin()
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1).flatten(-2)


class Layer(nn.Module):
    """Post-norm block: ln(x + attn(x)), then ln(x + mlp(x))."""

    def __init__(self, d_model, n_heads):
        """Separate q, k, v projections, an output projection, a ReLU MLP and two LayerNorms."""
        super().__init__()
        self.h = n_heads
        self.q, self.k, self.v, self.o = (nn.Linear(d_model, d_model) for _ in range(4))
        self.mlp = nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.ReLU(), nn.Linear(2 * d_model, d_model))
        self.n1, self.n2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)

    def forward(self, x, past):
        """x [B, T, D]; past (k, v) or None -> (x, (k, v))."""
        b, t, d = x.shape
        start = 0 if past is None else past[0].shape[2]

        def split(z):
            return z.view(b, t, self.h, d // self.h).transpose(1, 2)

        q, k, v = rotate(split(self.q(x)), start), rotate(split(self.k(x)), start), split(self.v(x))
        if past is not None:
            k, v = torch.cat((past[0], k), 2), torch.cat((past[1], v), 2)
        # Query i (absolute position start + i) may see keys 0 .. start + i: a bottom-right aligned mask.
        allowed = torch.ones(t, start + t, dtype=torch.bool).tril(diagonal=start)
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        x = self.n1(x + self.o(attended.transpose(1, 2).reshape(b, t, d)))
        return self.n2(x + self.mlp(x)), (k, v)


class TinyDecoder(nn.Module):
    """No position embedding table: positions enter through the rotations."""

    def __init__(self, vocab_size, d_model=32, n_heads=4, n_layers=2, max_len=64):
        """Embedding (tied with the output), layers."""
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_model)
        self.layers = nn.ModuleList([Layer(d_model, n_heads) for _ in range(n_layers)])

    def forward(self, tokens, cache=None):
        """tokens [B, T] -> (logits [B, T, V], new cache)."""
        x = self.embed(tokens)
        out_cache = []
        for i, layer in enumerate(self.layers):
            x, kv = layer(x, cache[i] if cache else None)
            out_cache.append(kv)
        return x @ self.embed.weight.T, out_cache


def greedy_generate(model, prompt, n):
    """One prompt call, then one call per new token except after the last one."""
    out = torch.empty(prompt.shape[0], n, dtype=torch.long)
    with torch.inference_mode():
        logits, cache = model(prompt, None)
        for i in range(n):
            out[:, i] = logits[:, -1].argmax(-1)
            if i + 1 < n:
                logits, cache = model(out[:, i : i + 1], cache)
    return out.clone()
