"""Probes: run inside the candidate's process, call the submission, return what it returns.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""

import torch


def repeat(sol, x, n_rep):
    """repeat_kv as returned."""
    return sol.repeat_kv(x, n_rep)


def attend(sol, q, k, v, past_k, past_v):
    """gqa_attention as returned: [out, k_all, v_all]."""
    with torch.no_grad():
        return list(sol.gqa_attention(q, k, v, past_k, past_v))


def decode(sol, q, k, v, prefill):
    """A prefill of the first `prefill` positions, then one position per call: the outputs concatenated and
    the final caches."""
    with torch.no_grad():
        out, past_k, past_v = sol.gqa_attention(q[:, :, :prefill], k[:, :, :prefill], v[:, :, :prefill])
        outs = [out]
        for t in range(prefill, q.shape[2]):
            out, past_k, past_v = sol.gqa_attention(q[:, :, t : t + 1], k[:, :, t : t + 1], v[:, :, t : t + 1], past_k, past_v)
            outs.append(out)
    return [torch.cat(outs, dim=2), past_k, past_v]
