# ==== file: train.py ====
"""Explicit layers, a loss module, and a DataLoader over a TensorDataset for the epochs."""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from model import MLP

criterion = nn.CrossEntropyLoss()


def make_model(in_dim, hidden_dim, n_classes):
    return MLP(in_dim, hidden_dim, n_classes)


def train_step(model, optimizer, x, y):
    model.train()
    for p in model.parameters():
        p.grad = None
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach().item()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        hits = (model(x).argmax(1) == y).sum().item()
    return hits / y.shape[0]


def fit(x, y, n_classes, hidden_dim=32, epochs=60, lr=0.01, batch_size=32, seed=0):
    torch.manual_seed(seed)
    model = make_model(x.shape[1], hidden_dim, n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    history = []
    for _ in range(epochs):
        weighted = 0.0
        for xb, yb in loader:
            weighted += train_step(model, optimizer, xb, yb) * xb.shape[0]
        history.append(weighted / x.shape[0])
    return model, history


# ==== file: model.py ====
import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, in_dim, hidden_dim, n_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, hidden_dim)
        self.fc3 = nn.Linear(hidden_dim, n_classes)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)
