"""Read and write safetensors files with the standard library only (spec: model.md "Files").

Layout: 8-byte little-endian u64 header length N, N bytes of JSON header, then the raw
little-endian tensor data. The header maps each tensor name to {"dtype", "shape",
"data_offsets": [begin, end)} (offsets relative to the start of the data section) and holds
an optional "__metadata__" object whose values are strings. As the reference implementation
(huggingface/safetensors) does, the writer pads the header with spaces to a multiple of
8 bytes, serializes compact JSON and lays the data out in name order. Tensors are F32.

A tensor is passed around as (shape, values): shape a list of ints, values an
array.array('f') (or any float sequence when writing) in row-major order.
"""
import json
import struct
import sys
from array import array

_DTYPE_CODES = {"F32": "f", "F64": "d"}  # the reader also accepts F64 for convenience


def _to_le_bytes(values, code):
    arr = values if isinstance(values, array) and values.typecode == code else array(code, values)
    if sys.byteorder != "little":
        arr = array(code, arr)
        arr.byteswap()
    return arr.tobytes()


def _from_le_bytes(raw, code):
    arr = array(code)
    arr.frombytes(raw)
    if sys.byteorder != "little":
        arr.byteswap()
    return arr


def _numel(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


def encode(tensors, metadata=None, dtype="F32"):
    """tensors: {name: (shape, values)}; metadata: {str: str} or None; dtype "F32" (checkpoints) or "F64"
    (test output). Returns the file bytes."""
    code = _DTYPE_CODES[dtype]
    width = array(code).itemsize
    header = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"safetensors __metadata__ must map str to str, got {k!r}: {type(v).__name__}")
        header["__metadata__"] = dict(metadata)
    chunks, offset = [], 0
    for name in sorted(tensors):
        if name == "__metadata__":
            raise ValueError("a tensor may not be named __metadata__")
        shape, values = tensors[name]
        shape = [int(d) for d in shape]
        data = _to_le_bytes(values, code)
        if len(data) != width * _numel(shape):
            raise ValueError(f"tensor {name}: {len(data) // width} values for shape {shape}")
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def decode(blob):
    """Inverse of encode: returns ({name: (shape, array)}, metadata dict)."""
    if len(blob) < 8:
        raise ValueError("safetensors: file shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"safetensors: header length {n} exceeds file size {len(blob)}")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        code = _DTYPE_CODES.get(info["dtype"])
        if code is None:
            raise ValueError(f"safetensors: tensor {name} has unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        shape = [int(d) for d in info["shape"]]
        if end - begin != array(code).itemsize * _numel(shape) or end > len(data):
            raise ValueError(f"safetensors: tensor {name} offsets {begin}..{end} do not fit shape {shape}")
        tensors[name] = (shape, _from_le_bytes(bytes(data[begin:end]), code))
    return tensors, metadata


def save(path, tensors, metadata=None):
    with open(path, "wb") as f:
        f.write(encode(tensors, metadata))


def load(path):
    with open(path, "rb") as f:
        return decode(f.read())
