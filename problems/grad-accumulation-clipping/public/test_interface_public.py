"""Public check: run it yourself with `judge grade grad-accumulation-clipping your_file.py`."""


def test_interface(candidate):
    info = candidate.call("interface")
    assert info["total"] == "Tensor" and info["total_dim"] == 0, "clip_grad_norm must return a 0-dim tensor"
    assert info["loss"] == "float", f"train_step must return a Python float, got {info['loss']}"
