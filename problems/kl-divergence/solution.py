"""Reference: KL divergences between diagonal Gaussians and between categoricals, summed over the last dim."""

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """KL(N(mu1, diag(exp(logvar1))) || N(mu2, diag(exp(logvar2)))), summed over the last dim.

    All four tensors broadcast against each other; the result has the broadcast shape without its
    last dim. Variance ratios are formed as exp(logvar1 - logvar2), never exp(logvar1) / exp(logvar2),
    so that large log-variances do not overflow into inf / inf.
    """
    diff = mu1 - mu2
    terms = logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + diff * diff * torch.exp(-logvar2) - 1.0
    return 0.5 * terms.sum(dim=-1)


def kl_categorical(p, q):
    """KL(p || q) = sum_k p_k * log(p_k / q_k) over the last dim, for probability vectors p and q.

    Terms with p_k = 0 contribute 0 (whatever q_k, 0 included); a row with some p_k > 0 where q_k = 0
    is +inf. torch.xlogy(p, p) is 0 where p is 0, which avoids the nan of 0 * log(0).
    """
    terms = torch.xlogy(p, p) - torch.xlogy(p, q)
    # xlogy(p, q) with p > 0, q = 0 is -inf, so the term is already +inf; p = q = 0 gives 0 - 0 = 0.
    return terms.sum(dim=-1)
