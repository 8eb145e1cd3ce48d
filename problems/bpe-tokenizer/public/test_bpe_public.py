"""Public check: run it yourself with `judge grade bpe-tokenizer your_file.py`."""


def test_interface(candidate):
    info = candidate.call("types")
    assert info["merges"] == "list", f"train_bpe must return a list, got {info['merges']}"
    assert info["pair"] and info["pair"][1] == "str" and info["pair"][0] in ("tuple", "list"), (
        f"each merge is a pair of strings, got {info['pair']}"
    )
    assert info["tokens"] and set(info["tokens"]) == {"str"}, f"encode must return a list of strings, got {info['tokens']}"
    assert info["decoded"] == "str", f"decode must return a string, got {info['decoded']}"
