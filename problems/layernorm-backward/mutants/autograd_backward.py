"""Mutant: backward re-runs the forward formula under autograd instead of computing the gradients."""

import torch


class LayerNormFunction(torch.autograd.Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias; backward by hand."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        mean = x.mean(dim=-1, keepdim=True)
        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)
        rstd = torch.rsqrt(var + eps)
        x_hat = (x - mean) * rstd
        ctx.save_for_backward(x, weight, bias)
        ctx.eps = eps
        return x_hat * weight + bias

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, bias = (t.detach().requires_grad_(True) for t in ctx.saved_tensors)
        with torch.enable_grad():
            mean = x.mean(dim=-1, keepdim=True)
            y = (x - mean) / torch.sqrt(x.var(dim=-1, keepdim=True, unbiased=False) + ctx.eps) * weight + bias
            grads = torch.autograd.grad(y, (x, weight, bias), grad_out)
        return grads[0], grads[1], grads[2], None


def layer_norm(x, weight, bias, eps=1e-5):
    """LayerNorm over the last dim through LayerNormFunction."""
    return LayerNormFunction.apply(x, weight, bias, eps)
