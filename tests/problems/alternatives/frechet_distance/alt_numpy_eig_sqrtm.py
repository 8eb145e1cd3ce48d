"""Alternative: pytorch-fid's structure in NumPy, with sqrtm of the (non-symmetric) product by np.linalg.eig."""

import numpy as np
import torch


def feature_statistics(features):
    """np.mean and np.cov(rowvar=False), returned as float64 tensors."""
    x = features.detach().cpu().numpy().astype(np.float64)
    return torch.from_numpy(np.mean(x, axis=0)), torch.from_numpy(np.atleast_2d(np.cov(x, rowvar=False)))


def sqrtm(matrix):
    """General matrix square root V diag(sqrt(lambda)) V^-1 (complex), as a stand-in for scipy.linalg.sqrtm."""
    values, vectors = np.linalg.eig(matrix)
    return (vectors * np.sqrt(values.astype(np.complex128))) @ np.linalg.inv(vectors)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid: sqrtm of the product, eps * I only if it is not finite, real part of a complex result."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1, sigma2 = (
        np.atleast_2d(np.asarray(sigma1, dtype=np.float64)),
        np.atleast_2d(np.asarray(sigma2, dtype=np.float64)),
    )
    diff = mu1 - mu2
    covmean = sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def fid_from_features(features1, features2, eps=1e-6):
    """Statistics of both sets, then the distance."""
    mu1, sigma1 = feature_statistics(features1)
    mu2, sigma2 = feature_statistics(features2)
    return frechet_distance(mu1, sigma1, mu2, sigma2, eps)
