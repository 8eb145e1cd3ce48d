"""Probes: run inside the candidate's process, drive the submission, return plain tensors.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values; the checks compare.
"""

import torch


def encode(sol, latent_dim, x):
    model = sol.VAE(latent_dim=latent_dim)
    model.eval()
    with torch.no_grad():
        mu, logvar = model.encode(x)
    return mu, logvar


def decode(sol, latent_dim, z):
    model = sol.VAE(latent_dim=latent_dim)
    model.eval()
    with torch.no_grad():
        return model.decode(z)


def forward_and_encode(sol, latent_dim, x):
    model = sol.VAE(latent_dim=latent_dim)
    model.eval()
    with torch.no_grad():
        recon, mu, logvar = model(x)
        mu2, logvar2 = model.encode(x)
    return recon, mu, logvar, mu2, logvar2


def reparameterize(sol, latent_dim, mu, logvar, eps):
    model = sol.VAE(latent_dim=latent_dim)
    return model.reparameterize(mu, logvar, eps)


def reparameterize_gradients(sol, latent_dim, mu, logvar, eps):
    model = sol.VAE(latent_dim=latent_dim)
    mu = mu.clone().requires_grad_(True)
    logvar = logvar.clone().requires_grad_(True)
    z = model.reparameterize(mu, logvar, eps)
    z.sum().backward()
    return z, mu.grad, logvar.grad


def reparameterize_random(sol, latent_dim, n):
    model = sol.VAE(latent_dim=latent_dim)
    mu = torch.zeros(n, latent_dim)
    logvar = torch.zeros(n, latent_dim)
    first = model.reparameterize(mu, logvar)
    second = model.reparameterize(mu, logvar)
    return first, second


def loss(sol, recon, x, mu, logvar):
    return sol.vae_loss(recon, x, mu, logvar)


def train(sol, latent_dim, data, steps, lr, eps):
    # torch is seeded with the run's seed before each probe (0 when graded): the model's initialisation.
    model = sol.VAE(latent_dim=latent_dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def evaluate():
        model.eval()
        with torch.no_grad():
            mu, logvar = model.encode(data)
            recon = model.decode(model.reparameterize(mu, logvar, eps))
        model.train()
        return recon, mu, logvar

    before = evaluate()
    losses = []
    for _ in range(steps):
        recon, mu, logvar = model(data)
        value = sol.vae_loss(recon, data, mu, logvar)
        losses.append(value.detach().reshape(-1)[:1].clone())
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    after = evaluate()
    return before, after, losses


def sample(sol, latent_dim, n, seeds):
    model = sol.VAE(latent_dim=latent_dim)
    model.eval()
    outputs = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        outputs.append(sol.sample(model, n, generator=generator))
    return outputs
