"""Public check: run it yourself with `judge grade lr-warmup-cosine your_file.py`."""


def test_multiplier_types(candidate):
    info = candidate.call("multiplier_types")
    for name in info["multipliers"]:
        assert name == "float", f"warmup_cosine_multiplier must return a Python float, got {name}"
    assert info["is_lambda_lr"], "warmup_cosine must return a torch.optim.lr_scheduler.LambdaLR"
