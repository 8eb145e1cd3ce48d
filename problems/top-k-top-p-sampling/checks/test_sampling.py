"""Hidden checks for top-k-top-p-sampling. References are computed here, in float64, never in the candidate's process."""

import math

import torch

from judge.harness import expect

NEG_INF = float("-inf")


def gen(seed):
    """A CPU generator for the check's own inputs."""
    return torch.Generator().manual_seed(seed)


def from_probs(rows, seed):
    """float32 logits log(p) + a random offset per row (softmax is blind to the offset)."""
    probs = torch.tensor(rows, dtype=torch.float64)
    offset = torch.randn(probs.shape[0], 1, generator=gen(seed), dtype=torch.float64) * 3
    return (probs.log() + offset).float()


# -- float64 references of the stated rules -------------------------------------------------------


def ref_top_k_keep(logits, k):
    """Bool mask [B, V]: logit >= the k-th largest of its row (all kept when k >= V)."""
    logits = logits.double()
    if k >= logits.shape[-1]:
        return torch.ones_like(logits, dtype=torch.bool)
    kth = logits.sort(dim=-1, descending=True).values[:, k - 1 : k]
    return logits >= kth


def ref_top_p_keep(logits, p):
    """Bool mask [B, V]: the probability of the strictly larger logits of the row is < p (all kept when p >= 1)."""
    logits = logits.double()
    if p >= 1.0:
        return torch.ones_like(logits, dtype=torch.bool)
    probs = torch.softmax(logits, dim=-1)
    larger = logits.unsqueeze(-2) > logits.unsqueeze(-1)  # [B, j, i]: logit i is strictly larger than logit j
    mass_above = (larger * probs.unsqueeze(-2)).sum(-1)
    return mass_above < p


def ref_probs(logits, temperature, top_k, top_p):
    """The float64 distribution sample() draws from: temperature, then top-k, then top-p, then softmax."""
    scores = logits.double() / temperature
    if top_k > 0:
        scores = scores.masked_fill(~ref_top_k_keep(scores, top_k), NEG_INF)
    if top_p < 1.0:
        scores = scores.masked_fill(~ref_top_p_keep(scores, top_p), NEG_INF)
    return torch.softmax(scores, dim=-1)


def assert_filtered(out, logits, keep, name):
    """out has the input's shape and dtype, kept logits unchanged, every other one -inf."""
    out = expect.tensor(out, name, tuple(logits.shape), logits.dtype)
    kept_same = bool((out[keep] == logits[keep]).all())
    removed_inf = bool((out[~keep] == NEG_INF).all())
    assert kept_same and removed_inf, f"{name}: the logits kept, or the ones set to -inf, do not follow the stated rule"


# -- checks ------------------------------------------------------------------------------------------


def test_temperature_value(candidate):
    """apply_temperature(logits, t) == logits / t, shape and dtype kept."""
    logits = torch.randn(4, 9, generator=gen(1)) * 3
    temperatures = [0.5, 1.0, 2.0, 0.7]
    result = candidate.call("temperature", logits, temperatures)
    for t, out in zip(temperatures, result["outputs"]):
        expect.tensor(out, f"apply_temperature(logits, {t})", (4, 9), torch.float32)
        expect.close(out, logits.double() / t, f"apply_temperature(logits, {t})", rtol=1e-6, atol=1e-6)


DISTINCT_ROWS = [
    [1.0, 3.0, -2.0, 0.5, 2.0, -1.0, 4.0, 0.0],
    [0.3, -0.7, 2.2, 1.1, -3.0, 0.9, -0.1, 1.6],
    [-5.0, -4.0, -6.5, -4.5, -3.0, -7.0, -5.5, -3.5],
]


def test_top_k_exact(candidate):
    """Distinct logits: exactly the k largest of each row stay, for k from 1 to beyond V."""
    logits = torch.cat([torch.tensor(DISTINCT_ROWS), torch.randn(2, 8, generator=gen(2)) * 2])
    ks = [1, 2, 3, 5, 7, 8, 12]
    result = candidate.call("top_k", logits, ks)
    assert isinstance(result["outputs"], list) and len(result["outputs"]) == len(ks), "one output per call"
    for k, out in zip(ks, result["outputs"]):
        assert_filtered(out, logits, ref_top_k_keep(logits, k), f"top_k_filter(logits, k={k})")


def test_top_k_ties(candidate):
    """Every logit tied with the k-th largest stays, so more than k may stay."""
    logits = torch.tensor(
        [
            [2.0, 1.0, 1.0, 1.0, 0.0, 3.0, -1.0, 1.0],
            [5.0, 1.0, 5.0, 0.0, 5.0, -2.0, 1.0, 4.0],
            [0.5] * 8,
        ]
    )
    ks = [1, 2, 3, 4, 5]
    result = candidate.call("top_k", logits, ks)
    for k, out in zip(ks, result["outputs"]):
        assert_filtered(out, logits, ref_top_k_keep(logits, k), f"top_k_filter(logits with ties, k={k})")


# Probability rows whose "mass of the strictly more likely tokens" stays at least 0.01 away from every p
# used below, so float32 rounding cannot move a token across the boundary.
NUCLEUS_ROWS = [
    [0.15, 0.5, 0.04, 0.3, 0.01],
    [0.2, 0.08, 0.35, 0.12, 0.25],
    [0.065, 0.005, 0.78, 0.01, 0.14],
    [0.19, 0.22, 0.18, 0.2, 0.21],
]
NUCLEUS_PS = [0.1, 0.45, 0.7, 0.9, 0.97, 1.0]


def test_top_p_exact(candidate):
    """Distinct probabilities: the smallest set of most likely tokens that reaches p stays."""
    logits = from_probs(NUCLEUS_ROWS, seed=3)
    result = candidate.call("top_p", logits, NUCLEUS_PS)
    assert isinstance(result["outputs"], list) and len(result["outputs"]) == len(NUCLEUS_PS), "one output per call"
    for p, out in zip(NUCLEUS_PS, result["outputs"]):
        assert_filtered(out, logits, ref_top_p_keep(logits, p), f"top_p_filter(logits, p={p})")


def test_top_p_ties(candidate):
    """Tokens tied at the boundary all stay (the rule looks at strictly more likely tokens only)."""
    logits = from_probs([[0.2, 0.4, 0.15, 0.2, 0.05], [0.1, 0.3, 0.2, 0.3, 0.1], [0.2] * 5], seed=4)
    ps = [0.2, 0.5, 0.85]
    result = candidate.call("top_p", logits, ps)
    for p, out in zip(ps, result["outputs"]):
        assert_filtered(out, logits, ref_top_p_keep(logits, p), f"top_p_filter(logits with ties, p={p})")


def test_filters_pure(candidate):
    """No function changes the logits it is given."""
    logits = torch.randn(3, 7, generator=gen(5))
    for probe, args, name in (
        ("temperature", [[0.5, 2.0]], "apply_temperature"),
        ("top_k", [[1, 3]], "top_k_filter"),
        ("top_p", [[0.3, 0.8]], "top_p_filter"),
        ("sample", [0.7, 3, 0.8, [0]], "sample"),
    ):
        result = candidate.call(probe, logits, *args)
        assert torch.equal(result["input_after"], logits), f"{name} modified the logits it was given"


# Rows for the sampling checks (V = 8): for every setting below, each token's "mass of the strictly more
# likely tokens" stays at least 0.01 away from top_p.
SAMPLE_ROWS = [
    [2.0, 0.5, -1.0, 1.2, 0.0, -2.5, 1.6, -0.4],
    [-0.3, 0.9, 0.1, -1.8, 2.4, 0.6, -0.9, 1.3],
    [0.2, 0.0, 0.35, -0.15, 0.1, -0.3, 0.05, 0.45],
]
SETTINGS = [
    # temperature, top_k, top_p
    (1.0, 0, 1.0),
    (0.5, 3, 1.0),
    (2.0, 0, 0.7),
    (0.8, 5, 0.75),
    (1.5, 4, 0.9),
]
DRAWS_PER_ROW = 10000  # for frequencies: a standard error of at most 0.005 per token
SUPPORT_DRAWS = 4000  # for the support: a token of probability 0.01 is missed with probability e^-40


def draw(candidate, temperature, top_k, top_p, seed, draws=DRAWS_PER_ROW):
    """`draws` draws for each SAMPLE_ROWS row, in one call on the rows repeated; ids [n_rows, draws]."""
    rows = torch.tensor(SAMPLE_ROWS)
    logits = rows.repeat(draws, 1)  # row i of SAMPLE_ROWS sits at i, i + 3, i + 6, ...
    result = candidate.call("sample", logits, temperature, top_k, top_p, [seed])
    ids = expect.tensor(result["outputs"][0], "sample(logits, ...)", (logits.shape[0],), torch.int64)
    assert bool(((ids >= 0) & (ids < rows.shape[1])).all()), "sample must return ids in [0, V)"
    return ids.view(draws, len(SAMPLE_ROWS)).T


def test_sample_greedy(candidate):
    """temperature 0 returns each row's argmax, whatever top_k and top_p."""
    logits = torch.randn(16, 11, generator=gen(6)) * 2
    for top_k, top_p in ((0, 1.0), (2, 0.5)):
        result = candidate.call("sample", logits, 0.0, top_k, top_p, [1, 2])
        for out in result["outputs"]:
            ids = expect.tensor(out, "sample(logits, temperature=0)", (16,), torch.int64)
            assert torch.equal(ids, logits.argmax(dim=-1)), "with temperature 0, sample must return the argmax of each row"


def test_sample_support(candidate):
    """No draw falls outside the tokens the filters keep; every kept token with probability >= 0.01 shows up."""
    rows = torch.tensor(SAMPLE_ROWS)
    for index, (temperature, top_k, top_p) in enumerate(SETTINGS):
        ids = draw(candidate, temperature, top_k, top_p, seed=100 + index, draws=SUPPORT_DRAWS)
        probs = ref_probs(rows, temperature, top_k, top_p)
        setting = f"temperature={temperature}, top_k={top_k}, top_p={top_p}"
        for r in range(rows.shape[0]):
            drawn = torch.zeros(rows.shape[1], dtype=torch.bool)
            drawn[ids[r]] = True
            assert not bool((drawn & (probs[r] == 0)).any()), f"sample drew a token the filters remove ({setting})"
            assert not bool((~drawn & (probs[r] >= 0.01)).any()), f"sample never drew a token the filters keep ({setting})"


def test_sample_distribution(candidate):
    """Frequencies over 10,000 draws per row are within 0.025 of the reference probabilities."""
    rows = torch.tensor(SAMPLE_ROWS)
    for index, (temperature, top_k, top_p) in enumerate(SETTINGS):
        ids = draw(candidate, temperature, top_k, top_p, seed=200 + index)
        probs = ref_probs(rows, temperature, top_k, top_p)
        for r in range(rows.shape[0]):
            freq = torch.bincount(ids[r], minlength=rows.shape[1]).double() / DRAWS_PER_ROW
            worst = float((freq - probs[r]).abs().max())
            assert worst <= 0.025, (
                f"sample frequencies differ from the reference distribution by {worst:.3f} > 0.025 "
                f"(temperature={temperature}, top_k={top_k}, top_p={top_p})"
            )


def test_sample_generator(candidate):
    """Generators seeded alike give the same ids, another seed different ids; generator=None works."""
    logits = torch.zeros(200, 6)
    result = candidate.call("sample", logits, 1.0, 0, 1.0, [7, 7, 8, None])
    a, b, c, d = (expect.tensor(out, "sample(logits, ...)", (200,), torch.int64) for out in result["outputs"])
    assert torch.equal(a, b), "sample returned different ids for two generators seeded alike"
    assert not torch.equal(a, c), "sample returned the same ids for differently seeded generators"
    assert bool(((d >= 0) & (d < 6)).all()), "sample with generator=None must return ids in [0, V)"
    assert not math.isclose(float(a.double().std()), 0.0), "200 draws from a uniform distribution were all the same"
