"""Probes: run inside the candidate's process, call the submission, return plain tensors.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves, in float64.
"""


def gaussian(sol, mu1, logvar1, mu2, logvar2):
    """kl_diag_gaussian on the given tensors, as returned."""
    return sol.kl_diag_gaussian(mu1, logvar1, mu2, logvar2)


def gaussian_gradients(sol, mu1, logvar1, mu2, logvar2, weights):
    """The value and the gradients of sum(weights * kl_diag_gaussian(...)) with respect to all four inputs."""
    leaves = [t.clone().requires_grad_(True) for t in (mu1, logvar1, mu2, logvar2)]
    value = sol.kl_diag_gaussian(*leaves)
    (value * weights).sum().backward()
    return [value.detach()] + [leaf.grad for leaf in leaves]


def categorical(sol, p, q):
    """kl_categorical on the given tensors, as returned."""
    return sol.kl_categorical(p, q)


def categorical_gradients(sol, p, q, weights):
    """The value and the gradients of sum(weights * kl_categorical(p, q)) with respect to p and q."""
    p = p.clone().requires_grad_(True)
    q = q.clone().requires_grad_(True)
    value = sol.kl_categorical(p, q)
    (value * weights).sum().backward()
    return value.detach(), p.grad, q.grad
