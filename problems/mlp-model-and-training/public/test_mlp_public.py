"""Public check: run it yourself with `judge grade mlp-model-and-training your_files.zip`."""

import torch

from judge.harness import expect


def test_model_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for in_dim, hidden_dim, n_classes, batch in ((4, 16, 3, 5), (10, 8, 7, 2)):
        x = torch.randn(batch, in_dim, generator=g)
        info = candidate.call("shapes", in_dim, hidden_dim, n_classes, x)
        assert info["is_mlp"] is True, "make_model must return an instance of model.MLP (an nn.Module)"
        expect.floating(info["out"], f"MLP({in_dim}, {hidden_dim}, {n_classes})(x of shape [{batch}, {in_dim}])", (batch, n_classes))
        expected = [[hidden_dim, in_dim], [hidden_dim], [hidden_dim, hidden_dim], [hidden_dim], [n_classes, hidden_dim], [n_classes]]
        assert info["param_shapes"] == expected, f"model.parameters() must be three nn.Linear layers' weights and biases: expected shapes {expected}, got {info['param_shapes']}"
