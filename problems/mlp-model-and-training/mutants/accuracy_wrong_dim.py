# ==== file: train.py ====
import torch
from torch import nn
from torch.nn import functional as F

from model import MLP


def make_model(in_dim, hidden_dim, n_classes):
    """A fresh MLP."""
    return MLP(in_dim, hidden_dim, n_classes)


def train_step(model, optimizer, x, y):
    """One step on the batch; the mean cross-entropy before the step, as a float."""
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return float(loss.item())


def accuracy(model, x, y):
    """The fraction of rows whose arg-max logit is the label."""
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(dim=0)[: len(y)]
    return float((predicted == y).float().mean().item())


def fit(x, y, n_classes, hidden_dim=32, epochs=60, lr=0.01, batch_size=32, seed=0):
    """Train a fresh MLP with Adam; the model and each epoch's mean loss."""
    torch.manual_seed(seed)
    model = make_model(x.shape[1], hidden_dim, n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(x))
        total = 0.0
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            total += train_step(model, optimizer, x[index], y[index]) * len(index)
        losses.append(total / len(x))
    return model, losses
# ==== file: model.py ====
import torch
from torch import nn


class MLP(nn.Module):
    """in_dim -> hidden_dim -> hidden_dim -> n_classes, ReLU between the layers."""

    def __init__(self, in_dim, hidden_dim, n_classes):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, n_classes),
        )

    def forward(self, x):
        return self.net(x)
