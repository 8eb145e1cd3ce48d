"""Mutant: the variance is used as the standard deviation: mean + sigma^2 * noise."""

import torch


class DDPM:
    """Linear-schedule DDPM with 0-based timesteps t = 0 .. T-1 (t = 0 is the paper's t = 1)."""

    def __init__(self, T=1000, beta_start=1e-4, beta_end=0.02):
        self.T = T
        self.betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        # alpha_bar before step 0 is 1: the posterior of the first step is exact, so its variance is 0.
        previous = torch.cat([torch.ones(1, dtype=torch.float64), self.alphas_cumprod[:-1]])
        self.posterior_variance = self.betas * (1.0 - previous) / (1.0 - self.alphas_cumprod)

    @staticmethod
    def _per_sample(values, t, like):
        """values[t] shaped [B, 1, ..., 1] so that it broadcasts over one sample of `like`."""
        return values[t].view(-1, *([1] * (like.dim() - 1)))

    def q_sample(self, x0, t, noise):
        """x_t = sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * noise, for each sample's own t."""
        a_bar = self._per_sample(self.alphas_cumprod, t, x0)
        return a_bar.sqrt() * x0 + (1.0 - a_bar).sqrt() * noise

    def p_sample(self, model, x_t, t, noise, variance="posterior"):
        """One reverse step x_t -> x_{t-1} with the model's noise prediction; no noise where t == 0."""
        eps = model(x_t, t)
        beta = self._per_sample(self.betas, t, x_t)
        alpha = self._per_sample(self.alphas, t, x_t)
        a_bar = self._per_sample(self.alphas_cumprod, t, x_t)
        mean = (x_t - beta / (1.0 - a_bar).sqrt() * eps) / alpha.sqrt()
        table = self.posterior_variance if variance == "posterior" else self.betas
        sigma = self._per_sample(table, t, x_t)
        keep = (t > 0).to(torch.float64).view(-1, *([1] * (x_t.dim() - 1)))
        return mean + keep * sigma * noise

    @torch.no_grad()
    def sample(self, model, x_T, noises, variance="posterior"):
        """Run p_sample from t = T-1 down to 0, using noises[t] at step t; return x_0."""
        x = x_T
        for step in reversed(range(self.T)):
            t = torch.full((x_T.shape[0],), step, dtype=torch.long)
            x = self.p_sample(model, x, t, noises[step], variance)
        return x

    def loss(self, model, x0, t, noise):
        """Mean over all elements of (model(q_sample(x0, t, noise), t) - noise)^2."""
        prediction = model(self.q_sample(x0, t, noise), t)
        return ((prediction - noise) ** 2).mean()
