"""Mutant: eps added to the standard deviation."""

import torch


class LayerNormFunction(torch.autograd.Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias; backward by hand."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        mean = x.mean(dim=-1, keepdim=True)
        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)
        rstd = 1 / (var.sqrt() + eps)
        x_hat = (x - mean) * rstd
        ctx.save_for_backward(x_hat, weight, rstd)
        return x_hat * weight + bias

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, weight, rstd = ctx.saved_tensors
        leading = tuple(range(grad_out.dim() - 1))
        grad_weight = (grad_out * x_hat).sum(dim=leading)
        grad_bias = grad_out.sum(dim=leading)
        g_hat = grad_out * weight
        grad_x = rstd * (
            g_hat - g_hat.mean(dim=-1, keepdim=True) - x_hat * (g_hat * x_hat).mean(dim=-1, keepdim=True)
        )
        return grad_x, grad_weight, grad_bias, None


def layer_norm(x, weight, bias, eps=1e-5):
    """LayerNorm over the last dim through LayerNormFunction."""
    return LayerNormFunction.apply(x, weight, bias, eps)
