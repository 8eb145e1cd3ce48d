"""The message codec decodes only plain data and fresh tensors, and rejects anything malformed."""

import base64
import io
import json
import math

import pytest
import torch

from judge.harness import wire


@pytest.mark.parametrize("dtype", list(wire.DTYPES.values()))
def test_tensors_of_every_dtype_round_trip_bit_exact(dtype):
    source = (torch.arange(24) - 7).reshape(2, 3, 4).to(dtype)
    back = wire.decode(wire.encode(source))
    assert back.dtype == dtype and back.shape == source.shape
    assert torch.equal(back, source)


def test_scalars_empty_tensors_and_nesting_round_trip():
    value = {"a": [1, 2.5, None, True, "x"], "t": torch.tensor(3.0), "e": torch.empty(0, 5), "n": (torch.ones(2),)}
    back = wire.decode(wire.encode(value))
    assert back["a"] == [1, 2.5, None, True, "x"]
    assert back["t"].shape == () and float(back["t"]) == 3.0
    assert back["e"].shape == (0, 5)
    assert isinstance(back["n"], list) and torch.equal(back["n"][0], torch.ones(2))


def test_non_finite_floats_survive():
    back = wire.decode(wire.encode([float("nan"), float("inf"), -float("inf")]))
    assert math.isnan(back[0]) and back[1] == math.inf and back[2] == -math.inf


def test_decoded_tensor_does_not_alias_the_message():
    payload = wire.encode(torch.zeros(4))
    tensor = wire.decode(payload)
    tensor += 1
    assert torch.equal(wire.decode(payload), torch.zeros(4))


def test_gradient_tracking_does_not_cross():
    x = torch.ones(3, requires_grad=True) * 2
    assert not wire.decode(wire.encode(x)).requires_grad


@pytest.mark.parametrize(
    "plain",
    [
        {"$tensor": {"dtype": "float32", "shape": [2], "data": base64.b64encode(b"\0" * 4).decode()}},  # too short
        {"$tensor": {"dtype": "object", "shape": [1], "data": ""}},
        {"$tensor": {"dtype": "float32", "shape": [-1], "data": ""}},
        {"$tensor": {"dtype": "float32", "shape": [1], "data": "not base64!"}},
        {"$tensor": {"dtype": "float32", "shape": [1], "data": "", "extra": 1}},
        {"$tensor": "x"},
        {"$float": "1e999"},
        {"$float": "nan", "more": 1},
    ],
)
def test_malformed_tagged_values_are_rejected(plain):
    with pytest.raises(wire.WireError):
        wire.decode(json.dumps(plain).encode())


def test_unsupported_values_are_not_encoded():
    class Anything:
        def __eq__(self, other):
            return True

    for value in (Anything(), {1: 2}, {"$tensor": 1}, b"bytes", torch.zeros(2, dtype=torch.complex64)):
        with pytest.raises(wire.WireError):
            wire.encode(value)


def test_deep_nesting_is_rejected_both_ways():
    deep = []
    for _ in range(wire.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.encode(deep)
    with pytest.raises(wire.WireError):
        wire.decode(b"[" * 100_000 + b"]" * 100_000)


def test_garbage_bytes_are_rejected():
    for junk in (b"\xff\xfe", b"{", b"", b"'single'"):
        with pytest.raises(wire.WireError):
            wire.decode(junk)


def test_frames_round_trip_and_are_capped():
    stream = io.BytesIO()
    wire.write_message(stream, {"ok": True, "value": torch.ones(3)})
    stream.seek(0)
    message = wire.read_message(stream)
    assert message["ok"] is True and torch.equal(message["value"], torch.ones(3))
    with pytest.raises(EOFError):
        wire.read_message(stream)
    oversized = io.BytesIO((wire.MAX_FRAME_BYTES + 1).to_bytes(4, "big"))
    with pytest.raises(wire.WireError):
        wire.read_message(oversized)
    with pytest.raises(wire.WireError):
        wire.frame(b"x" * (wire.MAX_FRAME_BYTES + 1))


def test_the_frame_cap_is_8_mib():
    # The runner decodes whatever the candidate sends: the cap bounds what one reply can cost it.
    assert wire.MAX_FRAME_BYTES == 8 * 1024 * 1024


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, 2, {"b": "x,y"}]}', "[]", '"a,b,c"', "[[[[1]]], {}, 2.5]", '{"k": [null, true, false, "[{,"]}'],
)
def test_item_bound_is_never_below_the_values_a_message_holds(text):
    def count(value) -> int:
        if isinstance(value, list):
            return 1 + sum(count(v) for v in value)
        if isinstance(value, dict):
            return 1 + sum(count(v) for v in value.values())
        return 1

    assert wire.item_bound(text.encode()) >= count(json.loads(text))


def test_a_message_with_too_many_values_is_refused_before_it_is_parsed():
    small = json.dumps([0] * (wire.MAX_ITEMS - 1)).encode()
    assert len(wire.decode(small)) == wire.MAX_ITEMS - 1
    with pytest.raises(wire.WireError, match="more than"):
        wire.decode(json.dumps([0] * (wire.MAX_ITEMS + 1)).encode())
    with pytest.raises(wire.WireError, match="more than"):
        wire.decode(json.dumps([{}] * wire.MAX_ITEMS).encode())
