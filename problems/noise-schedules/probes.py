"""Probes: run inside the candidate's process, call the submission, return what it returns.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""


def linear(sol, T, beta_start, beta_end):
    """linear_betas as returned."""
    return sol.linear_betas(T, beta_start, beta_end)


def cosine(sol, T, s, max_beta):
    """cosine_betas as returned."""
    return sol.cosine_betas(T, s=s, max_beta=max_beta)


def sigmoid(sol, T, start, end, tau, max_beta):
    """sigmoid_betas as returned."""
    return sol.sigmoid_betas(T, start=start, end=end, tau=tau, max_beta=max_beta)


def defaults(sol, T):
    """Each schedule with its default arguments."""
    return [sol.linear_betas(T), sol.cosine_betas(T), sol.sigmoid_betas(T)]


def alpha_bar(sol, betas):
    """alpha_bar as returned."""
    return sol.alpha_bar(betas)


def snr(sol, alpha_bar):
    """snr as returned."""
    return sol.snr(alpha_bar)


def conversions(sol, x0, eps, alpha_bar_t):
    """v from (x0, eps); with x_t built here from the forward process, x0 and eps back from (x_t, v)."""
    view = alpha_bar_t.reshape(-1, *([1] * (x0.dim() - 1)))
    x_t = view.sqrt() * x0 + (1 - view).sqrt() * eps
    v = sol.v_from_eps(x0, eps, alpha_bar_t)
    return {"v": v, "x0": sol.x0_from_v(x_t, v, alpha_bar_t), "eps": sol.eps_from_v(x_t, v, alpha_bar_t)}
