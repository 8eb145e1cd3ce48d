"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""

import torch


def describe(sol, x, weight, bias):
    """The output of layer_norm and the name of its grad_fn."""
    x = x.clone().requires_grad_(True)
    y = sol.layer_norm(x, weight, bias)
    return {"out": y.detach(), "grad_fn": type(y.grad_fn).__name__ if y.grad_fn is not None else None}


def forward(sol, x, weight, bias, eps):
    """layer_norm(x, weight, bias, eps) without gradients."""
    with torch.no_grad():
        return sol.layer_norm(x, weight, bias, eps)


def gradients(sol, x, weight, bias, eps, grad_out):
    """The output and the gradients reaching x, weight and bias from grad_out."""
    leaves = [t.clone().requires_grad_(True) for t in (x, weight, bias)]
    y = sol.layer_norm(*leaves, eps)
    y.backward(grad_out)
    return [y.detach()] + [leaf.grad for leaf in leaves]


def gradcheck(sol, x, weight, bias):
    """torch.autograd.gradcheck of layer_norm with respect to x, weight and bias: True, or the error."""
    leaves = tuple(t.clone().requires_grad_(True) for t in (x, weight, bias))
    try:
        return torch.autograd.gradcheck(lambda a, b, c: sol.layer_norm(a, b, c, 1e-5), leaves)
    except Exception as exc:  # gradcheck raises GradcheckError (a RuntimeError) with the mismatch
        return f"{type(exc).__name__}: {str(exc)[:300]}"


def backward_without_autograd(sol, x, weight, bias, grad_out):
    """The gradients of layer_norm with torch.autograd.grad and Tensor.backward made to raise while its
    backward runs: the gradients, or the error."""
    leaves = [t.clone().requires_grad_(True) for t in (x, weight, bias)]
    y = sol.layer_norm(*leaves, 1e-5)
    run_backward = torch.autograd.backward

    def refuse(*args, **kwargs):
        raise RuntimeError("autograd was run inside backward")

    saved = (torch.autograd.grad, torch.Tensor.backward, torch.autograd.backward)
    torch.autograd.grad, torch.Tensor.backward, torch.autograd.backward = refuse, refuse, refuse
    try:
        run_backward(y, grad_out)
    except RuntimeError as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        torch.autograd.grad, torch.Tensor.backward, torch.autograd.backward = saved
    return [leaf.grad for leaf in leaves]
