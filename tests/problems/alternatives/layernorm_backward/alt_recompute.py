"""Alternative: saves x and the statistics, recomputes x_hat in backward, reduces with reshape."""

import torch


class LayerNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        d = x.shape[-1]
        flat = x.reshape(-1, d)
        mu = flat.sum(dim=1, keepdim=True) / d
        sigma2 = ((flat - mu) ** 2).sum(dim=1, keepdim=True) / d
        inv = 1.0 / torch.sqrt(sigma2 + eps)
        ctx.save_for_backward(flat, mu, inv, weight)
        ctx.shape = x.shape
        return ((flat - mu) * inv * weight + bias).reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_out):
        flat, mu, inv, weight = ctx.saved_tensors
        d = flat.shape[1]
        g = grad_out.reshape(-1, d)
        xhat = (flat - mu) * inv
        dw = (g * xhat).sum(0)
        db = g.sum(0)
        dxhat = g * weight
        dx = (inv / d) * (d * dxhat - dxhat.sum(1, keepdim=True) - xhat * (dxhat * xhat).sum(1, keepdim=True))
        return dx.reshape(ctx.shape), dw, db, None


def layer_norm(x, weight, bias, eps=1e-5):
    return LayerNormFunction.apply(x, weight, bias, eps)
