"""Alternative: PyTorch's scaled_dot_product_attention with a boolean mask."""

import torch
import torch.nn.functional as F


def repeat_kv(x, n_rep):
    return torch.repeat_interleave(x, n_rep, dim=1)


def gqa_attention(q, k, v, past_k=None, past_v=None):
    k_all = k if past_k is None else torch.cat((past_k, k), dim=-2)
    v_all = v if past_v is None else torch.cat((past_v, v), dim=-2)
    rep = q.size(1) // k_all.size(1)
    t, s = q.size(2), k_all.size(2)
    allowed = torch.ones(t, s, dtype=torch.bool).tril(diagonal=s - t)
    out = F.scaled_dot_product_attention(q, repeat_kv(k_all, rep), repeat_kv(v_all, rep), attn_mask=allowed)
    return out, k_all, v_all
