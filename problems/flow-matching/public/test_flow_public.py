"""Public check: run it yourself with `judge grade flow-matching your_file.py`."""

import torch


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for shape in ((4, 3), (2, 3, 5)):
        got = candidate.call("shapes", torch.randn(*shape, generator=g, dtype=torch.float64))
        assert got["loss_shape"] == [], f"the loss must be a 0-dim tensor, got shape {got['loss_shape']}"
        assert got["sample_shape"] == list(shape), f"euler_sample returned shape {got['sample_shape']}, expected {list(shape)}"
        assert got["t_shapes"] and all(s == [shape[0]] for s in got["t_shapes"]), (
            f"the model must receive t of shape [B] = [{shape[0]}], got {got['t_shapes']}"
        )
