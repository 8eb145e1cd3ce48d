"""Alternative: guided-diffusion style `extract` with gather, outputs cast back to x's dtype, torch.where mask."""

import torch


def extract(values, t, shape):
    """values[t] gathered per sample, reshaped to broadcast over `shape`, as float32."""
    out = values.gather(0, t).float()
    return out.reshape(t.shape[0], *((1,) * (len(shape) - 1)))


class DDPM:
    """Linear-schedule DDPM with 0-based timesteps."""

    def __init__(self, T=1000, beta_start=1e-4, beta_end=0.02):
        self.T = T
        self.betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = self.alphas.cumprod(0)
        self.alphas_cumprod_prev = torch.nn.functional.pad(self.alphas_cumprod[:-1], (1, 0), value=1.0)
        self.posterior_variance = self.betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        # Precomputed coefficients, as most code bases keep them.
        self.sqrt_alphas_cumprod = self.alphas_cumprod.sqrt()
        self.sqrt_one_minus_alphas_cumprod = (1.0 - self.alphas_cumprod).sqrt()
        self.sqrt_recip_alphas = (1.0 / self.alphas).sqrt()

    def q_sample(self, x0, t, noise):
        """Closed-form forward process."""
        return (
            extract(self.sqrt_alphas_cumprod, t, x0.shape) * x0
            + extract(self.sqrt_one_minus_alphas_cumprod, t, x0.shape) * noise
        )

    def p_sample(self, model, x_t, t, noise, variance="posterior"):
        """Ancestral step; t == 0 returns the mean."""
        eps = model(x_t, t)
        coef = extract(self.betas / self.sqrt_one_minus_alphas_cumprod, t, x_t.shape)
        mean = extract(self.sqrt_recip_alphas, t, x_t.shape) * (x_t - coef * eps)
        var = self.posterior_variance if variance == "posterior" else self.betas
        std = extract(var.sqrt(), t, x_t.shape)
        nonzero = (t != 0).reshape(-1, *((1,) * (x_t.dim() - 1)))
        return torch.where(nonzero, mean + std * noise, mean)

    @torch.no_grad()
    def sample(self, model, x_T, noises, variance="posterior"):
        """Full reverse chain."""
        x = x_T
        for i in range(self.T - 1, -1, -1):
            x = self.p_sample(model, x, torch.full((x.shape[0],), i, dtype=torch.long), noises[i], variance=variance)
        return x

    def loss(self, model, x0, t, noise):
        """Simple epsilon-prediction loss."""
        return torch.nn.functional.mse_loss(model(self.q_sample(x0, t, noise), t), noise)
