"""Mutant: the cross term is added: + 2 Tr((sigma1 sigma2)^(1/2))."""

import torch


def feature_statistics(features):
    """Mean [D] and unbiased covariance [D, D] (divided by N - 1) of features [N, D]."""
    features = features.to(torch.float64)
    mu = features.mean(dim=0)
    centered = features - mu
    sigma = centered.T @ centered / (features.shape[0] - 1)
    return mu, sigma


def _psd_sqrt(matrix):
    """Symmetric square root of a symmetric positive semi-definite matrix; round-off negatives clamped to 0."""
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def _trace_sqrt_product(sigma1, sigma2):
    """Tr((sigma1 sigma2)^(1/2)) = Tr((s1^(1/2) sigma2 s1^(1/2))^(1/2)), a symmetric PSD form with the same eigenvalues."""
    root1 = _psd_sqrt(sigma1)
    inner = root1 @ sigma2 @ root1
    values = torch.linalg.eigvalsh((inner + inner.T) / 2)
    return values.clamp(min=0).sqrt().sum()


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """||mu1 - mu2||^2 + Tr(sigma1) + Tr(sigma2) - 2 Tr((sigma1 sigma2)^(1/2)), as a 0-dim float64 tensor."""
    mu1, sigma1, mu2, sigma2 = (x.to(torch.float64) for x in (mu1, sigma1, mu2, sigma2))
    trace_term = _trace_sqrt_product(sigma1, sigma2)
    if not torch.isfinite(trace_term):
        # The fallback of the statement: regularise both covariances and try again.
        offset = eps * torch.eye(sigma1.shape[0], dtype=torch.float64)
        trace_term = _trace_sqrt_product(sigma1 + offset, sigma2 + offset)
    diff = mu1 - mu2
    return diff @ diff + torch.trace(sigma1) + torch.trace(sigma2) + 2 * trace_term


def fid_from_features(features1, features2, eps=1e-6):
    """The Frechet distance between the Gaussians fitted to two feature sets [N1, D] and [N2, D]."""
    return frechet_distance(*feature_statistics(features1), *feature_statistics(features2), eps=eps)
