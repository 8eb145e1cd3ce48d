"""Public check: run it yourself with `judge grade adamw-from-scratch your_file.py`."""


def test_interface(candidate):
    info = candidate.call("interface")
    assert info["is_optimizer"], "AdamW must subclass torch.optim.Optimizer"
    assert info["changed"], "step() must change the parameters"
    assert info["in_place"], "step() must update the parameters in place (same storage)"
    assert info["returned_loss"] == 14.0, f"step(closure) must return the closure's loss (14.0), got {info['returned_loss']!r}"
    assert info["no_closure_returns"] is None, f"step() without a closure must return None, got {info['no_closure_returns']!r}"
