"""Hidden checks for frechet-distance. References are computed here, in float64, by eigen-decomposition."""

import torch

from judge.harness import expect

RTOL, ATOL = 1e-4, 1e-6


def gen(seed):
    """A seeded torch.Generator for the inputs this side makes."""
    return torch.Generator().manual_seed(seed)


def features(seed, n, d, scale=1.0, shift=0.0):
    """Correlated float64 features [n, d]: Gaussian rows through a random mixing matrix."""
    g = gen(seed)
    mixing = torch.randn(d, d, generator=g, dtype=torch.float64) / d**0.5
    return (torch.randn(n, d, generator=g, dtype=torch.float64) @ mixing) * scale + shift


def statistics(x):
    """Mean and unbiased covariance, float64."""
    x = x.double()
    centered = x - x.mean(0)
    return x.mean(0), centered.T @ centered / (x.shape[0] - 1)


def psd_sqrt(m):
    """Symmetric PSD square root by eigh, negatives from round-off clamped."""
    values, vectors = torch.linalg.eigh((m + m.T) / 2)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def reference(mu1, s1, mu2, s2):
    """||mu1 - mu2||^2 + Tr s1 + Tr s2 - 2 Tr((s1^(1/2) s2 s1^(1/2))^(1/2)), float64."""
    mu1, s1, mu2, s2 = (x.double() for x in (mu1, s1, mu2, s2))
    root = psd_sqrt(s1)
    inner = root @ s2 @ root
    trace_sqrt = torch.linalg.eigvalsh((inner + inner.T) / 2).clamp(min=0).sqrt().sum()
    return float(((mu1 - mu2) ** 2).sum() + s1.trace() + s2.trace() - 2 * trace_sqrt)


def distance(candidate, mu1, s1, mu2, s2, name):
    """frechet_distance as a float, finite."""
    return expect.scalar(candidate.call("distance", mu1, s1, mu2, s2), name)


def test_distance_value(candidate):
    g = gen(2)
    cases = []
    for seed in (3, 4):
        mu1, s1 = statistics(features(seed, 50, 8))
        mu2, s2 = statistics(features(seed + 100, 40, 8, scale=1.5, shift=0.3))
        cases.append((mu1, s1, mu2, s2))
    a = torch.randn(6, 6, generator=g, dtype=torch.float64)
    b = torch.randn(6, 6, generator=g, dtype=torch.float64)
    cases.append((torch.randn(6, generator=g, dtype=torch.float64), a @ a.T + 0.1 * torch.eye(6, dtype=torch.float64),
                  torch.randn(6, generator=g, dtype=torch.float64), b @ b.T + 0.1 * torch.eye(6, dtype=torch.float64)))
    for index, (mu1, s1, mu2, s2) in enumerate(cases):
        value = distance(candidate, mu1, s1, mu2, s2, f"frechet_distance (case {index + 1})")
        expect.close_scalar(value, reference(mu1, s1, mu2, s2), f"frechet_distance (case {index + 1})", rtol=RTOL, atol=ATOL)


def test_mean_term(candidate):
    _, sigma = statistics(features(5, 30, 5))
    mu1 = torch.tensor([0.0, 1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    mu2 = torch.tensor([1.0, 1.0, 0.0, -0.5, 1.0], dtype=torch.float64)
    value = distance(candidate, mu1, sigma, mu2, sigma, "frechet_distance with equal covariances")
    expect.close_scalar(value, float(((mu1 - mu2) ** 2).sum()), "frechet_distance with equal covariances (only ||mu1 - mu2||^2 remains)", rtol=RTOL, atol=ATOL)


def test_identical_sets_zero(candidate):
    for n, d in ((40, 8), (5, 12)):
        x = features(6 + d, n, d, scale=2.0)
        value = expect.scalar(candidate.call("fid", x, x), f"fid_from_features(X, X) for X of shape [{n}, {d}]")
        _, sigma = statistics(x)
        allowed = 1e-6 * (1 + 2 * float(sigma.trace()))
        assert abs(value) <= allowed, f"fid_from_features(X, X) for X of shape [{n}, {d}] must be 0 (within 1e-6 x (1 + 2 Tr sigma)) and finite"


def test_symmetric(candidate):
    mu1, s1 = statistics(features(7, 50, 8))
    mu2, s2 = statistics(features(8, 50, 8, scale=0.7, shift=-0.2))
    forward = distance(candidate, mu1, s1, mu2, s2, "frechet_distance(a, b)")
    backward = distance(candidate, mu2, s2, mu1, s1, "frechet_distance(b, a)")
    expected = reference(mu1, s1, mu2, s2)
    expect.close_scalar(forward, expected, "frechet_distance(a, b)", rtol=RTOL, atol=ATOL)
    expect.close_scalar(backward, expected, "frechet_distance(b, a)", rtol=RTOL, atol=ATOL)
    assert abs(forward - backward) <= 1e-6 * max(1.0, abs(expected)), "frechet_distance(a, b) and frechet_distance(b, a) differ by more than 1e-6 (relative)"


def test_singular_covariance(candidate):
    x1 = features(9, 6, 16)
    x2 = features(10, 7, 16, scale=1.3, shift=0.1)
    duplicated = features(11, 30, 6)
    duplicated = torch.cat([duplicated, duplicated[:, :2], torch.full((30, 1), 0.5, dtype=torch.float64)], dim=1)
    other = features(12, 30, 9, shift=0.2)
    for name, a, b in (("6 and 7 samples of 16 features", x1, x2), ("duplicated and constant features", duplicated, other)):
        mu1, s1 = statistics(a)
        mu2, s2 = statistics(b)
        value = distance(candidate, mu1, s1, mu2, s2, f"frechet_distance with singular covariances ({name})")
        expect.close_scalar(value, reference(mu1, s1, mu2, s2), f"frechet_distance with singular covariances ({name})", rtol=RTOL, atol=ATOL)


def test_fid_from_features(candidate):
    for seed, (n1, n2, d) in ((13, (60, 45, 8)), (14, (4, 9, 3))):
        a = features(seed, n1, d)
        b = features(seed + 1, n2, d, scale=1.2, shift=0.4)
        value = expect.scalar(candidate.call("fid", a, b), "fid_from_features")
        expect.close_scalar(value, reference(*statistics(a), *statistics(b)), f"fid_from_features for feature sets [{n1}, {d}] and [{n2}, {d}]", rtol=RTOL, atol=ATOL)
