# ==== file: train.py ====
"""A ModuleList walked in a loop, log-softmax with NLL, and index splits of one permutation per epoch."""

import torch
from torch.nn import functional as F

from model import MLP


def make_model(in_dim, hidden_dim, n_classes):
    return MLP(in_dim, hidden_dim, n_classes)


def train_step(model, optimizer, x, y):
    model.train()
    optimizer.zero_grad(set_to_none=True)
    loss = F.nll_loss(F.log_softmax(model(x), dim=-1), y)
    value = float(loss)
    loss.backward()
    optimizer.step()
    return value


@torch.inference_mode()
def accuracy(model, x, y):
    model.eval()
    return torch.eq(model(x).max(dim=-1).indices, y).double().mean().item()


def fit(x, y, n_classes, hidden_dim=32, epochs=60, lr=0.01, batch_size=32, seed=0):
    torch.manual_seed(seed)
    model = make_model(x.size(1), hidden_dim, n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    per_epoch = []
    for _epoch in range(epochs):
        sums = [
            train_step(model, optimizer, x[chunk], y[chunk]) * chunk.numel()
            for chunk in torch.split(torch.randperm(x.size(0)), batch_size)
        ]
        per_epoch.append(sum(sums) / x.size(0))
    return model, per_epoch


# ==== file: model.py ====
from torch import nn
from torch.nn import functional as F


class MLP(nn.Module):
    def __init__(self, in_dim, hidden_dim, n_classes):
        super().__init__()
        sizes = [in_dim, hidden_dim, hidden_dim, n_classes]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        *hidden, last = self.layers
        for layer in hidden:
            x = F.relu(layer(x))
        return last(x)
