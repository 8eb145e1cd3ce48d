"""The message codec between the trusted runner and the candidate process.

Values are JSON with two tagged forms: tensors as dtype + shape + raw bytes (base64), and
non-finite floats. Decoding builds only plain data and fresh tensors: no pickle, ever, because
the bytes come from a process running untrusted code.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any, BinaryIO

import torch

#: The largest message either side accepts. Decoding one costs the reader a bounded multiple of it
#: (measured in bench/wire_allocation.py): JSON parsing, base64 and a tensor copy.
MAX_FRAME_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
#: Values in one message (list items, dict entries and scalars): what bounds the objects a frame can
#: make the reader build, whatever their kind.
MAX_ITEMS = 100_000
_LENGTH = struct.Struct(">I")

DTYPES: dict[str, torch.dtype] = {
    "float64": torch.float64,
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
    "int16": torch.int16,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
_DTYPE_NAMES = {dtype: name for name, dtype in DTYPES.items()}


class WireError(Exception):
    """A frame or value that does not follow the protocol."""


def to_plain(value: Any, depth: int = 0) -> Any:
    """Turn a value into JSON-ready plain data; tensors and non-finite floats become tagged dicts."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {"$float": repr(float(value))}
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        if tensor.dtype not in _DTYPE_NAMES:
            raise WireError(f"unsupported tensor dtype {tensor.dtype}")
        raw = tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        return {
            "$tensor": {
                "dtype": _DTYPE_NAMES[tensor.dtype],
                "shape": list(tensor.shape),
                "data": base64.b64encode(raw).decode(),
            }
        }
    if isinstance(value, (list, tuple)):
        return [to_plain(item, depth + 1) for item in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$"):
                raise WireError("dict keys must be strings not starting with $")
            out[key] = to_plain(item, depth + 1)
        return out
    raise WireError(f"unsupported value of type {type(value).__name__}")


def from_plain(value: Any, depth: int = 0) -> Any:
    """Rebuild values from plain data, strictly: anything unexpected raises WireError."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [from_plain(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if "$tensor" in value:
            return _tensor_from_plain(value)
        if "$float" in value:
            if len(value) != 1 or value["$float"] not in ("nan", "inf", "-inf"):
                raise WireError("malformed float")
            return float(value["$float"])
        return {key: from_plain(item, depth + 1) for key, item in value.items()}
    raise WireError(f"unexpected JSON value {type(value).__name__}")


def _tensor_from_plain(value: dict[str, Any]) -> torch.Tensor:
    spec = value["$tensor"]
    if len(value) != 1 or not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise WireError("malformed tensor")
    dtype = DTYPES.get(spec["dtype"]) if isinstance(spec["dtype"], str) else None
    shape = spec["shape"]
    if dtype is None or not isinstance(shape, list) or not all(isinstance(s, int) and 0 <= s < 2**31 for s in shape):
        raise WireError("malformed tensor dtype or shape")
    if len(shape) > 16 or not isinstance(spec["data"], str):
        raise WireError("malformed tensor")
    try:
        raw = base64.b64decode(spec["data"], validate=True)
    except ValueError as exc:
        raise WireError("tensor data is not base64") from exc
    numel = math.prod(shape)
    itemsize = torch.empty((), dtype=dtype).element_size()
    if len(raw) != numel * itemsize:
        raise WireError("tensor data does not match its shape")
    if numel == 0:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape).clone()


def encode(value: Any) -> bytes:
    """Serialise a value to bytes."""
    return json.dumps(to_plain(value), allow_nan=False, separators=(",", ":")).encode()


def decode(data: bytes | bytearray) -> Any:
    """Parse bytes produced by encode; WireError on anything else (too many values included)."""
    if item_bound(data) > MAX_ITEMS:
        raise WireError(f"message holds more than {MAX_ITEMS} values")
    try:
        return from_plain(json.loads(data))
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise WireError(f"undecodable message: {type(exc).__name__}") from exc


def item_bound(data: bytes | bytearray) -> int:
    """An upper bound on the values a JSON text holds, counted before parsing it.

    Every value but the first follows a comma or opens a container; commas inside strings only
    make the bound larger, never smaller.
    """
    return data.count(b",") + data.count(b"[") + data.count(b"{") + 1


def frame(payload: bytes) -> bytes:
    """Prefix a payload with its length."""
    if len(payload) > MAX_FRAME_BYTES:
        raise WireError(f"message of {len(payload)} bytes exceeds the {MAX_FRAME_BYTES}-byte cap")
    return _LENGTH.pack(len(payload)) + payload


def write_message(stream: BinaryIO, value: Any) -> None:
    """Write one framed message and flush."""
    stream.write(frame(encode(value)))
    stream.flush()


def read_message(stream: BinaryIO) -> Any:
    """Read one framed message (blocking); EOFError when the peer has closed."""
    header = _read_exactly(stream, _LENGTH.size)
    (length,) = _LENGTH.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise WireError(f"message of {length} bytes exceeds the cap")
    return decode(_read_exactly(stream, length))


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    chunks, remaining = [], n
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EOFError("peer closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
