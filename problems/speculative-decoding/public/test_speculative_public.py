"""Public check: run it yourself with `judge grade speculative-decoding your_file.py`."""


def test_interface(candidate):
    info = candidate.call("types")
    assert info["index"] == "int", f"sample_index must return a Python int, got {info['index']}"
    assert info["step"] == "list" and info["items"] and set(info["items"]) == {"int"}, (
        f"speculative_step must return a list of Python ints, got a {info['step']} of {info['items']}"
    )
    assert 1 <= len(info["items"]) <= 3, f"with k = 2 drafts, 1 to 3 tokens come out, got {len(info['items'])}"
