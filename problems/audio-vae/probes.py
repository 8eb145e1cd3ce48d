"""Probes: run inside the candidate's process, drive the submission, return plain tensors and strings.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values; the checks compare.
"""

import torch


def encode(sol, clip_length, latent_dim, x):
    """(mu, logvar) of a fresh model in eval mode."""
    model = sol.AudioVAE(clip_length=clip_length, latent_dim=latent_dim)
    model.eval()
    with torch.no_grad():
        mu, logvar = model.encode(x)
    return mu, logvar


def decode(sol, clip_length, latent_dim, zs):
    """decode(z) of one fresh model in eval mode, for each z in the list."""
    model = sol.AudioVAE(clip_length=clip_length, latent_dim=latent_dim)
    model.eval()
    with torch.no_grad():
        return [model.decode(z) for z in zs]


def forward_and_encode(sol, clip_length, latent_dim, x):
    """forward(x) and encode(x) of the same model in eval mode."""
    model = sol.AudioVAE(clip_length=clip_length, latent_dim=latent_dim)
    model.eval()
    with torch.no_grad():
        recon, mu, logvar = model(x)
        mu2, logvar2 = model.encode(x)
    return recon, mu, logvar, mu2, logvar2


def _class_names(module):
    # Every class in the module's MRO, so a subclass of nn.Conv1d still reads as a Conv1d.
    return [cls.__name__ for cls in type(module).__mro__]


def layer_usage(sol, clip_length, latent_dim, x, z):
    """Class names of all submodules, and of the submodules actually called by encode and by decode."""
    model = sol.AudioVAE(clip_length=clip_length, latent_dim=latent_dim)
    model.eval()
    called = []
    handles = [m.register_forward_hook(lambda m, inputs, output: called.append(_class_names(m))) for m in model.modules()]
    try:
        with torch.no_grad():
            model.encode(x)
            during_encode = list(called)
            called.clear()
            model.decode(z)
            during_decode = list(called)
    finally:
        for handle in handles:
            handle.remove()
    return {"modules": [_class_names(m) for m in model.modules()], "encode": during_encode, "decode": during_decode}


def reparameterize(sol, latent_dim, mu, logvar, eps):
    """reparameterize with an explicit eps."""
    model = sol.AudioVAE(clip_length=256, latent_dim=latent_dim)
    return model.reparameterize(mu, logvar, eps)


def reparameterize_gradients(sol, latent_dim, mu, logvar, eps):
    """z and the gradients of sum(z) with respect to mu and logvar."""
    model = sol.AudioVAE(clip_length=256, latent_dim=latent_dim)
    mu = mu.clone().requires_grad_(True)
    logvar = logvar.clone().requires_grad_(True)
    z = model.reparameterize(mu, logvar, eps)
    z.sum().backward()
    return z, mu.grad, logvar.grad


def reparameterize_random(sol, latent_dim, n):
    """Two calls with eps=None at mu = 0, logvar = 0."""
    model = sol.AudioVAE(clip_length=256, latent_dim=latent_dim)
    mu = torch.zeros(n, latent_dim)
    logvar = torch.zeros(n, latent_dim)
    first = model.reparameterize(mu, logvar)
    second = model.reparameterize(mu, logvar)
    return first, second


def loss(sol, recon, x, mu, logvar, beta):
    """audio_vae_loss, with beta passed positionally, or left to its default when beta is None."""
    if beta is None:
        return sol.audio_vae_loss(recon, x, mu, logvar)
    return sol.audio_vae_loss(recon, x, mu, logvar, beta)


def train(sol, clip_length, latent_dim, data, steps, lr, eps):
    """Adam on the candidate's own loss; outputs at a fixed eps before and after, for the trusted side to score."""
    torch.manual_seed(0)
    model = sol.AudioVAE(clip_length=clip_length, latent_dim=latent_dim)
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
        value = sol.audio_vae_loss(recon, data, mu, logvar)
        losses.append(value.detach().reshape(-1)[:1].clone())
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    after = evaluate()
    return before, after, losses


def codes_and_decodes(sol, clip_length, latent_dim, x, z):
    """mu = encode(x)[0] and decode(z) of one fresh model in eval mode."""
    model = sol.AudioVAE(clip_length=clip_length, latent_dim=latent_dim)
    model.eval()
    with torch.no_grad():
        mu, _ = model.encode(x)
        return mu, model.decode(z)


def determinism(sol, clip_length, latent_dim, x, z, seed):
    """Two models built after the same torch.manual_seed, each called twice; then eps=None draws after reseeding."""
    outputs = []
    for _ in range(2):
        torch.manual_seed(seed)
        model = sol.AudioVAE(clip_length=clip_length, latent_dim=latent_dim)
        model.eval()
        with torch.no_grad():
            for _ in range(2):
                mu, logvar = model.encode(x)
                outputs.append([mu, logvar, model.decode(z)])
    draws = []
    mu = torch.zeros(4, latent_dim)
    for _ in range(2):
        torch.manual_seed(seed)
        draws.append(model.reparameterize(mu, mu.clone()))
    return outputs, draws
