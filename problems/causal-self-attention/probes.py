"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves from the weights the probes send back.

This file is loaded before the submission is imported, so the instrumentation below is in place before
any of the submission's code runs (a `from torch.nn.functional import scaled_dot_product_attention` at
its top gets the recording wrapper). Fused attention is watched at three levels, and each probe sends
back the names of the forbidden functions that ran while it drove the submission:
  1. the public attributes (F.scaled_dot_product_attention and its torch._C._nn twin,
     F.multi_head_attention_forward, nn.MultiheadAttention) are replaced by recording wrappers that then
     call the original, so the output is unaffected and only the record tells;
  2. a TorchFunctionMode sees every torch function called, torch.ops.aten included;
  3. a TorchDispatchMode sees the aten kernels that actually run (the fused CPU kernels among them).
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

# Substrings of the names of fused attention functions and kernels.
FORBIDDEN = ("scaled_dot_product", "multi_head_attention", "flash_attention", "efficient_attention", "transformer_encoder_layer")
PARAMETERS = ("q_proj", "k_proj", "v_proj", "out_proj")

_forbidden_calls = []


def _record(name):
    """Note a forbidden call (once per name and probe)."""
    if name not in _forbidden_calls:
        _forbidden_calls.append(name)


def _recording(name, original):
    """A wrapper that records `name`, then calls the original function."""

    def wrapper(*args, **kwargs):
        _record(name)
        return original(*args, **kwargs)

    wrapper.__name__ = getattr(original, "__name__", name)
    return wrapper


_sdpa = _recording("torch.nn.functional.scaled_dot_product_attention", F.scaled_dot_product_attention)
F.scaled_dot_product_attention = _sdpa
torch._C._nn.scaled_dot_product_attention = _sdpa
F.multi_head_attention_forward = _recording("torch.nn.functional.multi_head_attention_forward", F.multi_head_attention_forward)


class _RecordedMultiheadAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention that records its construction."""

    def __init__(self, *args, **kwargs):
        """Record, then build the real module."""
        _record("torch.nn.MultiheadAttention")
        super().__init__(*args, **kwargs)


for _module in (torch.nn, torch.nn.modules, torch.nn.modules.activation):
    _module.MultiheadAttention = _RecordedMultiheadAttention


class _FunctionWatch(TorchFunctionMode):
    """Records forbidden torch functions by name, then runs them unchanged."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        """Look at the name, call through."""
        name = getattr(func, "__name__", "") or str(func)
        if any(part in name for part in FORBIDDEN):
            _record(f"torch function {name}")
        return func(*args, **(kwargs or {}))


class _KernelWatch(TorchDispatchMode):
    """Records forbidden aten kernels by name, then runs them unchanged."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        """Look at the kernel's name, call through."""
        name = str(func)
        if any(part in name for part in FORBIDDEN):
            _record(f"kernel {name}")
        return func(*args, **(kwargs or {}))


class _Watched:
    """Context manager: clear the record, then watch torch functions and kernels."""

    def __enter__(self):
        """Start watching."""
        _forbidden_calls.clear()
        self.modes = [_FunctionWatch(), _KernelWatch()]
        for mode in self.modes:
            mode.__enter__()
        return self

    def __exit__(self, *exc):
        """Stop watching (innermost mode first)."""
        for mode in reversed(self.modes):
            mode.__exit__(*exc)
        return False


# Entering a dispatch mode the first time can import heavy modules: pay that now, at load time, not
# during a check.
with _KernelWatch():
    torch.zeros(1) + 1


def _parameters(model):
    """The weights and biases of the four projections (bias None when a projection has none)."""
    out = {}
    for name in PARAMETERS:
        layer = getattr(model, name)
        out[f"{name}.weight"] = layer.weight.detach().clone()
        out[f"{name}.bias"] = None if layer.bias is None else layer.bias.detach().clone()
    return out


def forward(sol, d_model, n_heads, inputs):
    """One model; its output for each (x, key_padding_mask) in `inputs`; its weights; forbidden calls."""
    with _Watched():
        model = sol.CausalSelfAttention(d_model, n_heads)
        model.eval()
        with torch.no_grad():
            outputs = [model(x, key_padding_mask=mask) if mask is not None else model(x) for x, mask in inputs]
    return {"outputs": outputs, "parameters": _parameters(model), "forbidden": list(_forbidden_calls)}


def gradients(sol, d_model, n_heads, x, weight):
    """Gradients of sum(weight * model(x)) with respect to x and the four projections' parameters."""
    with _Watched():
        model = sol.CausalSelfAttention(d_model, n_heads)
        x = x.clone().requires_grad_(True)
        out = model(x)
        (out * weight).sum().backward()
    grads = {}
    for name in PARAMETERS:
        layer = getattr(model, name)
        grads[f"{name}.weight"] = None if layer.weight.grad is None else layer.weight.grad.clone()
        grads[f"{name}.bias"] = None if layer.bias is None or layer.bias.grad is None else layer.bias.grad.clone()
    return {
        "output": out.detach(),
        "x_grad": None if x.grad is None else x.grad.clone(),
        "grads": grads,
        "parameters": _parameters(model),
        "forbidden": list(_forbidden_calls),
    }
