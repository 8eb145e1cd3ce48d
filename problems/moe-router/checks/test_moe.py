"""Hidden checks for moe-router. References are float64, from the statement's rules."""

import math

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def router(n, e, seed, skew=0.0):
    """Router logits; skew > 0 favours the first experts."""
    g = gen(seed)
    return torch.randn(n, e, generator=g, dtype=torch.float64) + skew * torch.linspace(1, 0, e, dtype=torch.float64)


def reference(logits, k, factor):
    n, e = logits.shape
    probs = torch.softmax(logits, dim=-1)
    order = torch.argsort(probs, dim=-1, descending=True)[:, :k]
    top = probs.gather(1, order)
    gates = top / top.sum(1, keepdim=True)
    f = torch.zeros(e, dtype=torch.float64)
    for expert in order.reshape(-1).tolist():
        f[expert] += 1
    aux = e * float(((f / (n * k)) * probs.mean(0)).sum())
    if factor is not None:
        capacity, used = math.ceil(factor * n * k / e), [0] * e
        for choice in range(k):
            for token in range(n):
                expert = int(order[token, choice])
                if used[expert] < capacity:
                    used[expert] += 1
                else:
                    gates[token, choice] = 0.0
    return order, gates, aux


def test_topk_gates(candidate):
    for k in (1, 2, 3):
        logits = router(32, 8, 10 + k)
        index, gates, _ = candidate.call("route", logits, k, None)
        exp_index, exp_gates, _ = reference(logits, k, None)
        assert torch.equal(index, exp_index), f"k = {k}: index must hold each token's k most probable experts, most probable first"
        expect.close(gates, exp_gates, f"renormalised gates for k = {k}", rtol=1e-12, atol=1e-14)


def test_capacity(candidate):
    for factor, seed in ((1.0, 20), (0.5, 21)):
        logits = router(25, 6, seed, skew=2.5)  # N * k / E = 8.33: capacity rounds up
        index, gates, _ = candidate.call("route", logits, 2, factor)
        exp_index, exp_gates, _ = reference(logits, 2, factor)
        assert torch.equal(index, exp_index), "capacity must not change the indices"
        dropped = exp_gates == 0
        assert bool(dropped.any()), "this router must overflow some expert"
        assert torch.equal(gates == 0, dropped), (
            f"capacity factor {factor}: dropped assignments at {(gates == 0).nonzero().tolist()}, "
            f"expected {dropped.nonzero().tolist()} (first choices in token order, then second choices)"
        )
        expect.close(gates, exp_gates, f"gates under capacity factor {factor}", rtol=1e-12, atol=0)


def test_aux_loss(candidate):
    for k, skew, seed in ((1, 3.0, 30), (2, 3.0, 31), (2, 0.0, 32)):
        logits = router(40, 5, seed, skew=skew)
        _, _, aux = candidate.call("route", logits, k, None)
        expect.close_scalar(aux, reference(logits, k, None)[2], f"aux_loss for k = {k}, skew {skew}", rtol=1e-12, atol=1e-14)
        # Capacity drops assignments after the loss is computed: it must not change it.
        _, _, aux = candidate.call("route", logits, k, 0.5)
        expect.close_scalar(aux, reference(logits, k, None)[2], f"aux_loss for k = {k}, skew {skew}, capacity factor 0.5", rtol=1e-12, atol=1e-14)
    uniform = torch.zeros(20, 4, dtype=torch.float64)
    uniform[torch.arange(20), torch.arange(20) % 4] = 1e-9  # ties broken evenly: every expert picked 5 times
    _, _, aux = candidate.call("route", uniform, 1, None)
    expect.close_scalar(aux, 1.0, "aux_loss of a perfectly balanced router", rtol=1e-6, atol=1e-8)


def test_combine(candidate):
    g = gen(40)
    x = torch.randn(16, 5, generator=g, dtype=torch.float64)
    weights = [torch.randn(5, 5, generator=g, dtype=torch.float64) for _ in range(4)]
    for factor, seed in ((None, 41), (0.5, 42)):
        index, gates, _ = reference(router(16, 4, seed, skew=2.0), 2, factor)
        got = candidate.call("combine", x, weights, index, gates)
        expected = torch.zeros(16, 5, dtype=torch.float64)
        for n in range(16):
            for j in range(2):
                expected[n] += gates[n, j] * (x[n] @ weights[int(index[n, j])].T)
        expect.close(got["out"], expected, "combine" + (" with dropped assignments" if factor else ""), rtol=1e-12, atol=1e-12)
        assert max(got["calls"]) <= 1, f"each expert must be called once on its tokens, got calls {got['calls']}"
