"""Hidden checks for lr-warmup-cosine. Expected values come from the statement's formula, computed here."""

import math


def reference(step, warmup_steps, total_steps, min_lr_ratio):
    """The statement's rule."""
    if step < warmup_steps:
        return step / warmup_steps
    if step >= total_steps:
        return min_lr_ratio
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def assert_multipliers(candidate, steps, warmup_steps, total_steps, min_lr_ratio, what):
    got = candidate.call("multipliers", list(steps), warmup_steps, total_steps, min_lr_ratio)
    assert isinstance(got, list) and len(got) == len(steps), "one multiplier per step"
    for step, value in zip(steps, got):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"multiplier at step {step} is not a number"
        expected = reference(step, warmup_steps, total_steps, min_lr_ratio)
        assert abs(value - expected) <= 1e-12, (
            f"{what}: multiplier at step {step} (warmup_steps={warmup_steps}, total_steps={total_steps}, "
            f"min_lr_ratio={min_lr_ratio}) is {value:.12g}, expected {expected:.12g}"
        )


def test_warmup(candidate):
    for warmup, total in ((1, 10), (4, 20), (10, 100), (1000, 5000)):
        assert_multipliers(candidate, range(warmup + 1), warmup, total, 0.1, "warmup")


def test_cosine_decay(candidate):
    for warmup, total, ratio in ((10, 100, 0.0), (5, 37, 0.1), (0, 50, 0.25), (100, 1000, 0.01)):
        assert_multipliers(candidate, range(warmup, total + 1), warmup, total, ratio, "cosine decay")


def test_edges(candidate):
    assert_multipliers(candidate, range(0, 31), 0, 10, 0.2, "no warmup, past the end")
    assert_multipliers(candidate, range(0, 61), 6, 20, 0.0, "past the end, floor 0")
    assert_multipliers(candidate, range(0, 25), 12, 12, 0.3, "warmup as long as training")
    assert_multipliers(candidate, range(0, 25), 4, 16, 1.0, "floor 1 (constant after warmup)")


def test_scheduler(candidate):
    base_lrs, steps, warmup, total, ratio = [0.1, 0.03], 60, 8, 50, 0.05
    got = candidate.call("schedule", base_lrs, steps, warmup, total, ratio)
    for step in range(steps):
        for group, base in enumerate(base_lrs):
            expected = base * reference(step, warmup, total, ratio)
            seen = got["seen"][step][group]
            assert abs(seen - expected) <= 1e-9 * base, (
                f"group {group} (base lr {base}) has lr {seen:.10g} at optimizer step {step}, expected {expected:.10g}"
            )
            expected_next = base * reference(step + 1, warmup, total, ratio)
            last = got["last"][step][group]
            assert abs(last - expected_next) <= 1e-9 * base, (
                f"get_last_lr() after {step + 1} scheduler steps is {last:.10g} for group {group}, expected {expected_next:.10g}"
            )
