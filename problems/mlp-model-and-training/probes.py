"""Probes: run inside the candidate's process (train.py is the solution module; model.py beside it).

They hold no expected values and assert nothing; the checks compute every reference themselves.
Weights chosen by the check are copied into the candidate's model in `model.parameters()` order.
"""

import torch


def _model(sol, in_dim, hidden_dim, n_classes, weights):
    """The candidate's model holding exactly the check's weights."""
    model = sol.make_model(in_dim, hidden_dim, n_classes)
    params = list(model.parameters())
    if [tuple(p.shape) for p in params] != [tuple(w.shape) for w in weights]:
        raise ValueError(f"model.parameters() has shapes {[tuple(p.shape) for p in params]}")
    with torch.no_grad():
        for param, weight in zip(params, weights):
            param.copy_(weight)
    return model


def shapes(sol, in_dim, hidden_dim, n_classes, x):
    """The logits of a fresh model and the shapes of its parameters."""
    import model as model_file

    net = sol.make_model(in_dim, hidden_dim, n_classes)
    with torch.no_grad():
        out = net(x)
    return {
        "out": out,
        "is_mlp": isinstance(net, model_file.MLP) and isinstance(net, torch.nn.Module),
        "param_shapes": [list(p.shape) for p in net.parameters()],
    }


def forward(sol, in_dim, hidden_dim, n_classes, weights, x):
    """The logits of a model holding `weights`."""
    net = _model(sol, in_dim, hidden_dim, n_classes, weights)
    with torch.no_grad():
        return net(x)


def steps(sol, in_dim, hidden_dim, n_classes, weights, batches, lr):
    """train_step with SGD(lr) over each (x, y) batch: the returned losses and the weights after."""
    net = _model(sol, in_dim, hidden_dim, n_classes, weights)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = [sol.train_step(net, optimizer, x, y) for x, y in batches]
    return {"losses": [float(v) for v in losses], "weights": [p.detach().clone() for p in net.parameters()]}


def accuracy(sol, in_dim, hidden_dim, n_classes, weights, x, y):
    """accuracy() of a model holding `weights`."""
    net = _model(sol, in_dim, hidden_dim, n_classes, weights)
    return float(sol.accuracy(net, x, y))


def fit(sol, x, y, n_classes, x_test, y_test):
    """fit() with its defaults: each epoch's loss and the trained model's logits on held-out points."""
    net, losses = sol.fit(x, y, n_classes)
    with torch.no_grad():
        logits = net(x_test)
    return {"losses": [float(v) for v in losses], "logits": logits, "labels": y_test}
