"""Probes: run inside the candidate's process, call the submission, return what it returns.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""

import torch


def absmax(sol, w):
    """quantize_absmax, and dequantize_absmax of its result."""
    q, scale = sol.quantize_absmax(w)
    return {"q": q, "scale": scale, "w_hat": sol.dequantize_absmax(q, scale)}


def linear(sol, x, w, bias):
    """int8_linear on the codes of w."""
    q, scale = sol.quantize_absmax(w)
    return {"q": q, "scale": scale, "y": sol.int8_linear(x, q, scale, bias)}


def zero_point(sol, w):
    """quantize_zero_point, and dequantize_zero_point of its result."""
    q, scale, zp = sol.quantize_zero_point(w)
    return {"q": q, "scale": scale, "zero_point": zp, "w_hat": sol.dequantize_zero_point(q, scale, zp)}
