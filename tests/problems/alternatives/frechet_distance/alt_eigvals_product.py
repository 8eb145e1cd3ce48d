"""Alternative: the trace of the square root as the sum of square roots of the product's eigenvalues (torch)."""

import torch


def feature_statistics(features):
    """torch.cov on the transposed features (variables as rows)."""
    x = features.double()
    return x.mean(0), torch.cov(x.T)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """Eigenvalues of sigma1 @ sigma2: real parts, clamped at 0, square-rooted and summed."""
    eigenvalues = torch.linalg.eigvals(sigma1 @ sigma2)
    trace_sqrt = eigenvalues.real.clamp(min=0).sqrt().sum()
    if not torch.isfinite(trace_sqrt):
        offset = eps * torch.eye(sigma1.shape[0], dtype=sigma1.dtype)
        trace_sqrt = torch.linalg.eigvals((sigma1 + offset) @ (sigma2 + offset)).real.clamp(min=0).sqrt().sum()
    return torch.sum((mu1 - mu2) ** 2) + torch.trace(sigma1) + torch.trace(sigma2) - 2 * trace_sqrt


def fid_from_features(features1, features2, eps=1e-6):
    """FID of two feature sets."""
    return frechet_distance(*feature_statistics(features1), *feature_statistics(features2), eps=eps)
