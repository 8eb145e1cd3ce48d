"""Hidden checks for mlp-model-and-training. Weights and data are chosen here; references are float64."""

import torch
from torch.nn import functional as F

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def weights(in_dim, hidden_dim, n_classes, seed):
    """Weights and biases of the three layers, like nn.Linear's default init."""
    g = gen(seed)
    out = []
    for fan_in, fan_out in ((in_dim, hidden_dim), (hidden_dim, hidden_dim), (hidden_dim, n_classes)):
        bound = fan_in**-0.5
        out.append((torch.rand(fan_out, fan_in, generator=g) * 2 - 1) * bound)
        out.append((torch.rand(fan_out, generator=g) * 2 - 1) * bound)
    return out


def reference(ws, x):
    """The logits of the three-layer ReLU network, in float64."""
    w1, b1, w2, b2, w3, b3 = (w.double() for w in ws)
    h = torch.relu(x.double() @ w1.T + b1)
    h = torch.relu(h @ w2.T + b2)
    return h @ w3.T + b3


def sgd_reference(ws, batches, lr):
    """Losses before each step and the weights after plain SGD on mean cross-entropy, float64."""
    params = [w.double().clone().requires_grad_(True) for w in ws]
    losses = []
    for x, y in batches:
        loss = F.cross_entropy(reference(params, x), y)
        grads = torch.autograd.grad(loss, params)
        losses.append(float(loss))
        with torch.no_grad():
            params = [(p - lr * g).requires_grad_(True) for p, g in zip(params, grads)]
    return losses, [p.detach() for p in params]


def blobs(n_per_class, seed):
    """Three separable Gaussian clusters in 6 dimensions."""
    g = gen(seed)
    centres = torch.tensor([[3.0, 0, 0, 0, 1, 0], [0, 3.0, 0, 1, 0, 0], [0, 0, 3.0, 0, 0, 1]])
    x = torch.cat([c + 0.7 * torch.randn(n_per_class, 6, generator=g) for c in centres])
    y = torch.arange(3).repeat_interleave(n_per_class)
    return x, y


def test_model_forward(candidate):
    for (in_dim, hidden_dim, n_classes), seed in (((5, 12, 4), 10), ((3, 6, 2), 11)):
        ws = weights(in_dim, hidden_dim, n_classes, seed)
        x = torch.randn(9, in_dim, generator=gen(seed + 100)) * 2
        out = candidate.call("forward", in_dim, hidden_dim, n_classes, ws, x)
        expect.close(out, reference(ws, x), "the logits (Linear, ReLU, Linear, ReLU, Linear)", rtol=1e-4, atol=1e-5)


def test_train_step_value(candidate):
    ws = weights(6, 10, 3, 12)
    g = gen(13)
    x, y = torch.randn(16, 6, generator=g), torch.randint(0, 3, (16,), generator=g)
    got = candidate.call("steps", 6, 10, 3, ws, [[x, y]], 0.5)
    losses, after = sgd_reference(ws, [(x, y)], 0.5)
    expect.close_scalar(got["losses"][0], losses[0], "train_step's return: the mean cross-entropy before the step", rtol=1e-4, atol=1e-5)
    for index, (actual, expected) in enumerate(zip(got["weights"], after)):
        expect.close(actual, expected, f"parameter {index} after one SGD(lr=0.5) train_step", rtol=1e-3, atol=1e-5)


def test_train_step_repeated(candidate):
    ws = weights(6, 10, 3, 14)
    g = gen(15)
    batches = [(torch.randn(12, 6, generator=g), torch.randint(0, 3, (12,), generator=g)) for _ in range(3)]
    got = candidate.call("steps", 6, 10, 3, ws, [list(b) for b in batches], 0.3)
    losses, after = sgd_reference(ws, batches, 0.3)
    for index, (actual, expected) in enumerate(zip(got["losses"], losses)):
        expect.close_scalar(actual, expected, f"the loss of train_step call {index + 1} of 3", rtol=1e-3, atol=1e-5)
    for index, (actual, expected) in enumerate(zip(got["weights"], after)):
        expect.close(actual, expected, f"parameter {index} after three train_step calls (gradients cleared each time)", rtol=1e-3, atol=1e-5)


def test_accuracy_value(candidate):
    ws = weights(4, 8, 5, 16)
    g = gen(17)
    x = torch.randn(40, 4, generator=g)
    logits = reference(ws, x)
    y = logits.argmax(dim=-1)
    y[:13] = (y[:13] + 1) % 5
    got = candidate.call("accuracy", 4, 8, 5, ws, x, y)
    expect.close_scalar(got, 27 / 40, "accuracy (a fraction in [0, 1])", rtol=0, atol=1e-6)


def test_fit_learns(candidate):
    x, y = blobs(60, 18)
    x_test, y_test = blobs(30, 19)
    got = candidate.call("fit", x, y, 3, x_test, y_test)
    losses = got["losses"]
    expect.record_series("loss", losses)
    assert len(losses) == 60, f"fit must return one mean loss per epoch (60 with the defaults), got {len(losses)}"
    assert losses[-1] < 0.5 * losses[0], f"the loss must fall by half over training: first epoch {losses[0]:.4f}, last {losses[-1]:.4f}"
    logits = expect.floating(got["logits"], "the trained model's logits on held-out points", (90, 3))
    held_out = float((logits.argmax(dim=-1) == y_test).double().mean())
    assert held_out >= 0.9, f"the trained model must classify 90% of held-out points, got {held_out:.0%}"
