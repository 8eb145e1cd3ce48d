"""Hidden checks for adamw-from-scratch. Gradients are chosen here; expected parameters come from
torch.optim.AdamW (foreach=False) in float64, or from the statement's formula."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


SHAPES = [(4, 3), (5,), (2, 2, 2)]


def inits(seed):
    """Initial float64 parameters of SHAPES."""
    g = gen(seed)
    return [torch.randn(*shape, generator=g, dtype=torch.float64) for shape in SHAPES]


def gradients(steps, seed, scale=1.0, missing=()):
    """grads[step][i]: random, of each parameter's shape; None for (step, i) in `missing`."""
    g = gen(seed)
    return [
        [None if (step, i) in missing else scale * torch.randn(*shape, generator=g, dtype=torch.float64) for i, shape in enumerate(SHAPES)]
        for step in range(steps)
    ]


def torch_run(start, groups, grads, lr_changes, record_every):
    """The same run with torch.optim.AdamW: the reference."""
    params = [torch.nn.Parameter(t.clone()) for t in start]
    optimizer = torch.optim.AdamW(
        [
            {"params": [params[i] for i in grp["indices"]], "lr": grp["lr"], "betas": tuple(grp["betas"]), "eps": grp["eps"], "weight_decay": grp["weight_decay"]}
            for grp in groups
        ],
        foreach=False,
    )
    snapshots = []
    for step, step_grads in enumerate(grads):
        for change_step, group, lr in lr_changes:
            if change_step == step:
                optimizer.param_groups[group]["lr"] = lr
        for p, grad in zip(params, step_grads):
            p.grad = None if grad is None else grad.clone()
        optimizer.step()
        if (step + 1) % record_every == 0:
            snapshots.append([p.detach().clone() for p in params])
    return snapshots


def one_group(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """Every parameter in one group."""
    return [{"indices": list(range(len(SHAPES))), "lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay}]


def compare(got, expected, what, rtol, atol, record_every=1):
    assert isinstance(got, list) and len(got) == len(expected), f"{what}: expected {len(expected)} snapshots"
    for k, (params, reference) in enumerate(zip(got, expected)):
        for i, (p, r) in enumerate(zip(params, reference)):
            expect.close(p, r, f"{what}: parameter {i} {list(r.shape)} after step {(k + 1) * record_every}", rtol=rtol, atol=atol)


def test_first_steps(candidate):
    for scale, seed in ((1.0, 3), (1e-8, 4)):
        start, grads, groups = inits(seed), gradients(3, seed + 10, scale), one_group()
        got = candidate.call("run", start, groups, grads, [], 1)
        compare(got, torch_run(start, groups, grads, [], 1), f"gradients of scale {scale:g}", rtol=1e-10, atol=1e-14)


def test_matches_torch(candidate):
    start, grads = inits(5), gradients(200, 6)
    groups = [
        {"indices": [0, 2], "lr": 1e-2, "betas": [0.9, 0.99], "eps": 1e-8, "weight_decay": 0.1},
        {"indices": [1], "lr": 3e-3, "betas": [0.8, 0.999], "eps": 1e-6, "weight_decay": 0.0},
    ]
    got = candidate.call("run", start, groups, grads, [], 20)
    compare(got, torch_run(start, groups, grads, [], 20), "200 steps, two groups", rtol=1e-9, atol=1e-12, record_every=20)


def test_decoupled_decay(candidate):
    start = inits(7)
    grads = gradients(1, 8) + [[torch.zeros(*shape, dtype=torch.float64) for shape in SHAPES] for _ in range(10)]
    lr, wd, beta1, beta2, eps = 0.05, 0.2, 0.9, 0.999, 1e-8
    got = candidate.call("run", start, one_group(lr, (beta1, beta2), eps, wd), grads, [], 1)
    # The statement's formula, written out: after the first step the gradient is 0, so m and v only decay.
    expected, params = [], [t.clone() for t in start]
    m = [torch.zeros_like(t) for t in start]
    v = [torch.zeros_like(t) for t in start]
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            params[i] = params[i] * (1 - lr * wd)
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat, v_hat = m[i] / (1 - beta1**t), v[i] / (1 - beta2**t)
            params[i] = params[i] - lr * m_hat / (v_hat.sqrt() + eps)
        expected.append([p.clone() for p in params])
    compare(got, expected, "zero gradients after one step (decay and moments)", rtol=1e-10, atol=1e-14)


def test_param_groups(candidate):
    start = inits(9)
    grads = gradients(12, 10, missing={(2, 1), (3, 1), (7, 0)})
    groups = [
        {"indices": [0, 1], "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.05},
        {"indices": [2], "lr": 2e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0},
    ]
    changes = [[5, 0, 0.05], [5, 1, 1e-3]]
    got = candidate.call("run", start, groups, grads, changes, 1)
    compare(got, torch_run(start, groups, grads, changes, 1), "lr changed after step 5, gradients missing", rtol=1e-10, atol=1e-14)


def test_own_update(candidate):
    start, grads, groups = inits(11), gradients(5, 12), one_group(lr=0.02, weight_decay=0.1)
    got = candidate.call("without_torch_adam", start, groups, grads)
    compare(got, torch_run(start, groups, grads, [], 5), "5 steps with torch's Adam/AdamW unavailable", rtol=1e-10, atol=1e-14, record_every=5)
