"""Alternative: schedule built with a Python loop, the mean written via the predicted x0 and the posterior mean."""

import torch


class DDPM:
    """DDPM whose reverse step goes through x0_hat and the posterior q(x_{t-1} | x_t, x0_hat)."""

    def __init__(self, T=1000, beta_start=1e-4, beta_end=0.02):
        self.T = T
        step = (beta_end - beta_start) / (T - 1) if T > 1 else 0.0
        self.betas = torch.tensor([beta_start + i * step for i in range(T)], dtype=torch.float64)
        self.alphas = 1 - self.betas
        running, products = 1.0, []
        for a in self.alphas.tolist():
            running *= a
            products.append(running)
        self.alphas_cumprod = torch.tensor(products, dtype=torch.float64)
        prev = torch.tensor([1.0] + products[:-1], dtype=torch.float64)
        self.prev = prev
        self.posterior_variance = self.betas * (1 - prev) / (1 - self.alphas_cumprod)

    def _take(self, values, t, x):
        return values.index_select(0, t).view([-1] + [1] * (x.dim() - 1))

    def q_sample(self, x0, t, noise):
        """sqrt(a_bar) x0 + sqrt(1 - a_bar) noise."""
        a_bar = self._take(self.alphas_cumprod, t, x0)
        return torch.sqrt(a_bar) * x0 + torch.sqrt(1 - a_bar) * noise

    def p_sample(self, model, x_t, t, noise, variance="posterior"):
        """Posterior mean with x0_hat = (x_t - sqrt(1 - a_bar) eps) / sqrt(a_bar): the same mean as the eps form."""
        eps = model(x_t, t)
        a_bar = self._take(self.alphas_cumprod, t, x_t)
        prev = self._take(self.prev, t, x_t)
        beta = self._take(self.betas, t, x_t)
        alpha = self._take(self.alphas, t, x_t)
        x0_hat = (x_t - torch.sqrt(1 - a_bar) * eps) / torch.sqrt(a_bar)
        mean = (torch.sqrt(prev) * beta / (1 - a_bar)) * x0_hat + (torch.sqrt(alpha) * (1 - prev) / (1 - a_bar)) * x_t
        table = self.posterior_variance if variance == "posterior" else self.betas
        var = self._take(table, t, x_t) * (t > 0).double().view_as(a_bar)
        return mean + torch.sqrt(var) * noise

    def sample(self, model, x_T, noises, variance="posterior"):
        """Iterate the reverse step without recording gradients."""
        with torch.no_grad():
            x = x_T.clone()
            for i in reversed(range(self.T)):
                t = torch.full((x.shape[0],), i, dtype=torch.int64)
                x = self.p_sample(model, x, t, noises[i], variance)
            return x

    def loss(self, model, x0, t, noise):
        """Mean squared error of the noise prediction over all elements."""
        diff = model(self.q_sample(x0, t, noise), t) - noise
        return diff.pow(2).sum() / diff.numel()
