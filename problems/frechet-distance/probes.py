"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing;
the checks compute every reference (in float64) on the trusted side. NumPy results are turned into
tensors (or floats) here, since only tensors and plain data cross the channel.
"""

import torch


def _plain(value):
    """Tensors, numbers, lists and tuples pass; NumPy arrays and scalars become tensors; anything else its type name."""
    if isinstance(value, (torch.Tensor, bool, int, float)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if type(value).__module__ == "numpy":
        return torch.as_tensor(value.copy() if hasattr(value, "copy") else value)
    return f"<{type(value).__name__}>"


def statistics(sol, features):
    """The submission's feature_statistics."""
    return _plain(sol.feature_statistics(features))


def distance(sol, mu1, sigma1, mu2, sigma2):
    """The submission's frechet_distance with its default eps."""
    return _plain(sol.frechet_distance(mu1, sigma1, mu2, sigma2))


def fid(sol, features1, features2):
    """The submission's fid_from_features with its default eps."""
    return _plain(sol.fid_from_features(features1, features2))
