"""Hidden checks for lora-linear. Base weights and factors are chosen here; references are float64."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def layer(in_features, out_features, seed, bias=True):
    """A base weight and bias like nn.Linear's default init (uniform in +-1/sqrt(in))."""
    g = gen(seed)
    bound = in_features**-0.5
    weight = (torch.rand(out_features, in_features, generator=g) * 2 - 1) * bound
    bias_value = (torch.rand(out_features, generator=g) * 2 - 1) * bound if bias else None
    return weight, bias_value


def factors(in_features, out_features, rank, seed):
    """Non-zero lora_A [rank, in] and lora_B [out, rank]."""
    g = gen(seed)
    return torch.randn(rank, in_features, generator=g) * 0.3, torch.randn(out_features, rank, generator=g) * 0.3


def reference(weight, bias_value, a, b, scaling, x):
    """x @ (W + scaling * B @ A).T + bias, in float64."""
    merged = weight.double() + scaling * b.double() @ a.double()
    out = x.double() @ merged.T
    return out if bias_value is None else out + bias_value.double()


def test_init_matches_base(candidate):
    for (in_f, out_f, rank, alpha, bias), seed in (((12, 7, 3, 6.0, True), 10), ((9, 5, 1, 1.0, False), 11)):
        weight, bias_value = layer(in_f, out_f, seed, bias)
        x = torch.randn(6, in_f, generator=gen(seed + 100))
        expected = reference(weight, bias_value, torch.zeros(rank, in_f), torch.zeros(out_f, rank), 0.0, x)
        for out, a, b in candidate.call("init_outputs", weight, bias_value, rank, alpha, x, [0, 1]):
            a = expect.floating(a, "lora_A at initialisation", (rank, in_f))
            b = expect.floating(b, "lora_B at initialisation", (out_f, rank))
            assert bool((b == 0).all()), "lora_B must be initialised to zeros"
            assert float(a.abs().max()) > 0, "lora_A must be initialised randomly (not all zeros)"
            expect.close(out, expected, f"the output at initialisation (rank {rank}): base(x)", rtol=0, atol=1e-6)


def test_frozen_base(candidate):
    weight, bias_value = layer(10, 6, 12)
    info = candidate.call("parameters", weight, bias_value, 2, 4.0)
    assert info["base_weight_requires_grad"] is False, "base.weight must have requires_grad False"
    assert info["base_bias_requires_grad"] is False, "base.bias must have requires_grad False"
    assert info["factors_trainable"] is True, "lora_A and lora_B must have requires_grad True"
    g = gen(13)
    x = torch.randn(16, 10, generator=g)
    target = torch.randn(16, 6, generator=g)
    for name in ("sgd", "adamw"):
        before, after = candidate.call("optimizer_steps", weight, bias_value, 2, 4.0, x, target, 4, name)
        optimizer = "SGD(momentum=0.9)" if name == "sgd" else "AdamW(weight_decay=0.1)"
        assert torch.equal(before[0], after[0]), f"{optimizer} over model.parameters() changed base.weight"
        assert torch.equal(before[1], after[1]), f"{optimizer} over model.parameters() changed base.bias"
        assert not torch.equal(before[2], after[2]), f"{optimizer} over model.parameters() left lora_A unchanged"
        assert not torch.equal(before[3], after[3]), f"{optimizer} over model.parameters() left lora_B unchanged"


def test_parameter_count(candidate):
    for in_f, out_f, rank, bias in ((20, 8, 4, True), (7, 30, 2, False)):
        weight, bias_value = layer(in_f, out_f, 14, bias)
        info = candidate.call("parameters", weight, bias_value, rank, 1.0)
        assert info["trainable_are_factors"] is True, "the only trainable parameters must be lora_A and lora_B"
        assert info["trainable_numel"] == rank * (in_f + out_f), f"LoRALinear({in_f} -> {out_f}, rank {rank}) must have rank * (in + out) trainable numbers"
        total = in_f * out_f + (out_f if bias else 0) + rank * (in_f + out_f)
        assert info["total_numel"] == total, f"model.parameters() must yield the base's weight{' and bias' if bias else ''} plus lora_A and lora_B, each once"


def test_forward_formula(candidate):
    cases = (((12, 7, 4, 8.0, True), (5, 12)), ((12, 7, 2, 1.0, True), (2, 3, 12)), ((6, 9, 3, 12.0, False), (4, 6)))
    for (in_f, out_f, rank, alpha, bias), x_shape in cases:
        weight, bias_value = layer(in_f, out_f, 15, bias)
        a, b = factors(in_f, out_f, rank, 16)
        x = torch.randn(*x_shape, generator=gen(17))
        out = candidate.call("forward", weight, bias_value, rank, alpha, a, b, x)
        name = f"LoRALinear(rank={rank}, alpha={alpha:g})(x of shape {list(x_shape)})"
        expect.close(out, reference(weight, bias_value, a, b, alpha / rank, x), name, rtol=1e-5, atol=1e-5)


def test_gradients(candidate):
    in_f, out_f, rank, alpha = 8, 5, 3, 6.0
    weight, bias_value = layer(in_f, out_f, 18)
    a, b = factors(in_f, out_f, rank, 19)
    g = gen(20)
    x, upstream = torch.randn(7, in_f, generator=g), torch.randn(7, out_f, generator=g)
    grad_a, grad_b, grad_w = candidate.call("gradients", weight, bias_value, rank, alpha, a, b, x, upstream)
    assert grad_w is None, "the frozen base.weight must receive no gradient"
    assert grad_a is not None and grad_b is not None, "no gradient reached lora_A or lora_B"
    scaling = alpha / rank
    x, upstream, a, b = x.double(), upstream.double(), a.double(), b.double()
    # L = sum(G * (scaling * X A^T B^T)): dL/dB = scaling * G^T X A^T, dL/dA = scaling * B^T G^T X.
    expect.close(grad_b, scaling * upstream.T @ x @ a.T, "d loss / d lora_B", rtol=1e-4, atol=1e-5)
    expect.close(grad_a, scaling * b.T @ upstream.T @ x, "d loss / d lora_A", rtol=1e-4, atol=1e-5)


def test_merge(candidate):
    for in_f, out_f, rank, alpha, bias in ((12, 7, 4, 8.0, True), (6, 9, 3, 1.5, False)):
        weight, bias_value = layer(in_f, out_f, 21, bias)
        a, b = factors(in_f, out_f, rank, 22)
        x = torch.randn(5, in_f, generator=gen(23))
        info = candidate.call("merge", weight, bias_value, rank, alpha, a, b, x)
        assert info["is_linear"] is True, "merge() must return an nn.Linear"
        expected_weight = weight.double() + (alpha / rank) * b.double() @ a.double()
        expect.close(info["weight"], expected_weight, f"merge().weight (rank {rank}, alpha {alpha:g})", rtol=1e-5, atol=1e-6)
        if bias:
            expect.close(info["bias"], bias_value.double(), "merge().bias", rtol=0, atol=0)
        else:
            assert info["bias"] is None, "merge() of a base without bias must have no bias"
        expected = reference(weight, bias_value, a, b, alpha / rank, x)
        expect.close(info["merged_out"], expected, "merge()(x)", rtol=1e-5, atol=1e-5)
        expect.close(info["merged_out"], info["before"].double(), "merge()(x) against the unmerged model(x)", rtol=1e-5, atol=1e-5)
        expect.close(info["after"], expected, "model(x) after merge() (the LoRALinear must be left unchanged)", rtol=1e-5, atol=1e-5)
        assert torch.equal(info["base_weight_after"], weight), "merge() must not modify base.weight"


def test_loss_decreases(candidate):
    in_f, out_f = 32, 16
    weight, bias_value = layer(in_f, out_f, 24)
    g = gen(25)
    # The target differs from the base by a rank-2 update, which a rank-4 adapter can represent.
    delta = (torch.randn(out_f, 2, generator=g) * 0.3) @ (torch.randn(2, in_f, generator=g) * 0.3)
    x = torch.randn(128, in_f, generator=g)
    target = x @ (weight + delta).T + bias_value
    before, after = candidate.call("train", weight, bias_value, 4, 8.0, x, target, 60, 0.01, 0)
    losses = []
    for name, out in (("before", before), ("after", after)):
        out = expect.floating(out, f"model(x) {name} training", (128, out_f))
        expect.finite(out, f"model(x) {name} training")
        losses.append(float(((out - target.double()) ** 2).mean()))
    assert losses[1] < 0.2 * losses[0], "the mean squared error did not fall below 0.2 x its starting value after 60 Adam steps"
