"""Probes: run inside the candidate's process, call the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""

import torch
from torch.utils._python_dispatch import TorchDispatchMode


def attend(sol, q, k, v, block_size, causal):
    """online_attention as returned."""
    with torch.no_grad():
        return sol.online_attention(q, k, v, block_size, causal=causal)


class _LargestTensor(TorchDispatchMode):
    """Records the most elements of any tensor an operator produces."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for item in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(item, torch.Tensor):
                self.largest = max(self.largest, item.numel())
        return out


def largest_intermediate(sol, q, k, v, block_size):
    """The output, and the most elements of any tensor produced while it was computed."""
    mode = _LargestTensor()
    with torch.no_grad(), mode:
        out = sol.online_attention(q, k, v, block_size)
    return {"out": out, "largest": mode.largest}
